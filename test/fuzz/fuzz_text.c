/*
 * fuzz_text.c - FeedTextSanitize always yields valid UTF-8 without controls,
 * never longer than its bound, and leaves clean input that fits unchanged.
 * The validator here is written independently of the one in feed_text.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feed_text.h"

/* Independent check: decode to code points and reject what RFC 3629 forbids. */
static int
ValidUtf8NoControls(const unsigned char *s, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		unsigned int cp;
		size_t		len,
					k;

		if (s[i] < 0x80)
		{
			cp = s[i];
			len = 1;
		}
		else if ((s[i] & 0xE0) == 0xC0)
		{
			cp = s[i] & 0x1F;
			len = 2;
		}
		else if ((s[i] & 0xF0) == 0xE0)
		{
			cp = s[i] & 0x0F;
			len = 3;
		}
		else if ((s[i] & 0xF8) == 0xF0)
		{
			cp = s[i] & 0x07;
			len = 4;
		}
		else
			return 0;
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
			return 0;			/* overlong */
		if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		if (cp == 0 || (cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7F && cp <= 0x9F))
			return 0;
		i += len;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t		max;
	char	   *out;
	size_t		n;

	if (size < 1)
		return 0;
	/* first byte picks the bound: 0..255, small bounds exercise the clip */
	max = data[0];
	data++;
	size--;
	out = malloc(max + 1);
	n = FeedTextSanitize((const char *) data, size, out, max);
	if (n > max || strlen(out) != n)
		abort();
	if (!ValidUtf8NoControls((const unsigned char *) out, n))
		abort();
	if (FeedTextIsClean((const char *) out, n) != 1)
		abort();
	/* clean input is kept as is, up to the bound */
	if (ValidUtf8NoControls(data, size))
	{
		if (!FeedTextIsClean((const char *) data, size))
			abort();
		if (size <= max && (n != size || memcmp(out, data, size) != 0))
			abort();
		if (size > max && (n + 4 <= max || memcmp(out, data, n) != 0))
			abort();			/* a clip loses less than one character */
	}
	else if (FeedTextIsClean((const char *) data, size))
		abort();
	/* sanitizing is idempotent */
	{
		char	   *again = malloc(max + 1);

		if (FeedTextSanitize(out, n, again, max) != n || memcmp(again, out, n) != 0)
			abort();
		free(again);
	}
	free(out);
	return 0;
}
