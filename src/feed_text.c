/*
 * feed_text.c - the sanitizer every piece of network text passes through
 * before it is stored or logged (feed_runs.message, feeds.last_error, URLs
 * from redirects, header values).  Plain C: no PostgreSQL headers.
 */
#include <string.h>

#include "feed_text.h"

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes available), or 0
 * when the bytes there are not one: overlong forms, surrogates, code points
 * above U+10FFFF and cut sequences are all invalid (RFC 3629).
 */
static size_t
Utf8SeqLen(const unsigned char *s, size_t n)
{
	unsigned char b = s[0];
	unsigned char lo = 0x80,
				hi = 0xBF;
	size_t		len,
				i;

	if (b < 0x80)
		return 1;
	if (b >= 0xC2 && b <= 0xDF)
		len = 2;
	else if (b >= 0xE0 && b <= 0xEF)
	{
		len = 3;
		if (b == 0xE0)
			lo = 0xA0;			/* no overlong forms */
		else if (b == 0xED)
			hi = 0x9F;			/* no surrogates */
	}
	else if (b >= 0xF0 && b <= 0xF4)
	{
		len = 4;
		if (b == 0xF0)
			lo = 0x90;
		else if (b == 0xF4)
			hi = 0x8F;			/* nothing above U+10FFFF */
	}
	else
		return 0;
	if (n < len)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

/* Whether the valid sequence at s of len bytes is a control character we drop. */
static bool
IsUnwantedControl(const unsigned char *s, size_t len)
{
	if (len == 1)
		return (s[0] < 0x20 && s[0] != '\t' && s[0] != '\n') || s[0] == 0x7F;
	/* C1 controls U+0080..U+009F */
	return len == 2 && s[0] == 0xC2 && s[1] <= 0x9F;
}

size_t
FeedTextSanitize(const char *in, size_t inlen, char *out, size_t max)
{
	const unsigned char *s = (const unsigned char *) in;
	size_t		i = 0,
				o = 0;

	while (i < inlen)
	{
		size_t		len = Utf8SeqLen(s + i, inlen - i);
		const char *piece;
		size_t		plen;

		if (len == 0 || IsUnwantedControl(s + i, len))
		{
			piece = FEED_TEXT_REPLACEMENT;
			plen = FEED_TEXT_REPLACEMENT_LEN;
			if (len == 0)
				len = 1;		/* one replacement per bad byte */
		}
		else
		{
			piece = in + i;
			plen = len;
		}
		if (o + plen > max)
			break;				/* clip before a character, never inside one */
		memcpy(out + o, piece, plen);
		o += plen;
		i += len;
	}
	out[o] = '\0';
	return o;
}

bool
FeedTextIsClean(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t		i = 0;

	while (i < len)
	{
		size_t		n = Utf8SeqLen(u + i, len - i);

		if (n == 0 || IsUnwantedControl(u + i, n))
			return false;
		i += n;
	}
	return true;
}
