/*
 * fuzz_feed_news.c - RSS 2.0 and Atom (src/feed_xml.c over libxml2).  Items
 * that come out have an identity, UTF-8 text and a date in range; errors say
 * what they are in printable ASCII; nothing leaks (LeakSanitizer).
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "feed_xml.h"

static void
CheckUtf8(const char *s)
{
	if (s != NULL && !FeedUtf8Valid((const unsigned char *) s, strlen(s)))
		abort();
}

static void
Silent(void *ctx, const char *msg,...)
{
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FeedArena	a;
	FeedError	e;
	FeedRawNews out;
	int			i;

	xmlSetGenericErrorFunc(NULL, Silent);
	FeedArenaInit(&a, malloc, free);
	if (!FeedExtractNews((const char *) data, size, &a, &out, &e))
	{
		const char *s;

		if (e.kind == FEED_OK || e.detail[0] == '\0')
			abort();
		for (s = e.detail; *s; s++)
			if ((unsigned char) *s < 0x20 || (unsigned char) *s >= 0x7f)
				abort();
	}
	else
	{
		CheckUtf8(out.source);
		for (i = 0; i < out.n; i++)
		{
			FeedRawItem *it = &out.items[i];

			if (it->guid == NULL || it->guid[0] == '\0')
				abort();
			CheckUtf8(it->guid);
			CheckUtf8(it->title);
			CheckUtf8(it->link);
			CheckUtf8(it->summary);
			if (it->has_published &&
				(it->published < 0 || it->published >= FEED_MAX_UNIX_SECS * INT64_C(1000000)))
				abort();
		}
	}
	FeedArenaFree(&a);
	return 0;
}
