/*
 * fuzz_feed_formats.c - each price format's extraction (src/feed_formats.c).
 * Byte 0 picks the format, byte 1 the run's options, the rest is the body.
 * Every bar that comes out must have a time in range and prices and volumes
 * inside the bounds (checked here independently with strtold); every error
 * must say what it is in printable ASCII.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed_formats.h"

static void
CheckText(const char *s)
{
	if (*s == '\0')
		abort();
	for (; *s; s++)
		if ((unsigned char) *s < 0x20 || (unsigned char) *s >= 0x7f)
			abort();
}

/* Independent of FeedDecimalCheck: the value by strtold, loosely bounded. */
static void
CheckDecimal(const char *s, int is_volume)
{
	char	   *end;
	long double v = strtold(s, &end);
	long double lim = is_volume ? 1e18L : 1e15L;

	if (*end != '\0' || v != v)
		abort();
	if (is_volume ? v < 0 : v <= 0)
		abort();
	if (v > lim)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FeedArena	a;
	FeedError	e;
	FeedRawBars out;
	FeedBarsContext cx;
	int			i,
				j;

	if (size < 2)
		return 0;
	cx.now = (data[1] & 1) ? INT64_MAX : INT64_C(1609462800000000);
	cx.bar_usecs = (data[1] & 2) ? INT64_MAX : INT64_C(3600000000);
	cx.has_end = (data[1] & 4) != 0;
	cx.end = INT64_C(1609462800000000);
	FeedArenaInit(&a, malloc, free);
	if (!FeedExtractBars((FeedFmt) (data[0] % FEED_FMT_NPRICE), (const char *) data + 2,
						 size - 2, &cx, &a, &out, &e))
	{
		if (e.kind == FEED_OK)
			abort();
		CheckText(e.msg);
		CheckText(e.detail);
	}
	else
	{
		if (out.n < 0 || out.n > out.nraw)
			abort();
		for (i = 0; i < out.n; i++)
		{
			if (out.bars[i].ts < 0 || out.bars[i].ts >= FEED_MAX_UNIX_SECS * INT64_C(1000000))
				abort();
			if (cx.has_end && out.bars[i].ts >= cx.end)
				abort();
			for (j = 0; j < 5; j++)
			{
				if (FeedDecimalCheck(out.bars[i].v[j], strlen(out.bars[i].v[j]),
									 j == 4 ? FEED_DEC_VOLUME : FEED_DEC_PRICE) != FEED_DEC_OK)
					abort();
				CheckDecimal(out.bars[i].v[j], j == 4);
			}
		}
	}
	FeedArenaFree(&a);
	return 0;
}
