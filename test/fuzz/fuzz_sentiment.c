/*
 * fuzz_sentiment.c - the sentiment scorer and the HTML-to-text extractor
 * (src/sentiment.c) on arbitrary bytes: no crash, bounded output, valid UTF-8
 * out (whatever comes in), compound in [-1, 1] and proportions summing to 1,
 * and the same score twice (deterministic).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sentiment.h"

/* Whether s[0..n) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
static int
ValidUtf8(const unsigned char *s, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		unsigned char c = s[i];
		size_t		k;
		uint32_t	cp;

		if (c < 0x80)
		{
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0)
			k = 2, cp = c & 0x1F;
		else if ((c & 0xF0) == 0xE0)
			k = 3, cp = c & 0x0F;
		else if ((c & 0xF8) == 0xF0)
			k = 4, cp = c & 0x07;
		else
			return 0;
		if (i + k > n)
			return 0;
		for (size_t j = 1; j < k; j++)
		{
			if ((s[i + j] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + j] & 0x3F);
		}
		if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
			cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += k;
	}
	return 1;
}

static void
CheckScore(const SentimentScore *s)
{
	if (!(s->compound >= -1.0 && s->compound <= 1.0))
		abort();
	if (s->positive < 0 || s->negative < 0 || s->neutral < 0 ||
		fabs(s->positive + s->negative + s->neutral - 1.0) > 1e-9)
		abort();
	if (s->words < 0 || s->words > SENTIMENT_MAX_WORDS)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[SENTIMENT_HTML_MAX_OUTPUT_BYTES + 1];
	SentimentScore a,
				b;
	size_t		n;
	unsigned	rules = size > 0 ? (data[0] & SENT_RULE_ALL) : SENT_RULE_ALL;

	SentimentScoreText((const char *) data, size, NULL, SENT_RULE_ALL, &a);
	CheckScore(&a);
	SentimentScoreText((const char *) data, size, NULL, SENT_RULE_ALL, &b);
	if (a.compound != b.compound || a.positive != b.positive || a.negative != b.negative ||
		a.neutral != b.neutral || a.words != b.words)
		abort();
	SentimentScoreText((const char *) data, size, NULL, rules, &b);
	CheckScore(&b);

	n = SentimentHtmlToText((const char *) data, size, out, sizeof(out));
	if (n > SENTIMENT_HTML_MAX_OUTPUT_BYTES || out[n] != '\0' || strlen(out) != n)
		abort();
	if (!ValidUtf8((const unsigned char *) out, n))
		abort();
	/* the plain text is what news is scored on */
	SentimentScoreText(out, n, NULL, SENT_RULE_ALL, &b);
	CheckScore(&b);
	/* a small output buffer still ends in a NUL within it */
	{
		char		small[8];

		n = SentimentHtmlToText((const char *) data, size, small, sizeof(small));
		if (n >= sizeof(small) || small[n] != '\0')
			abort();
	}
	return 0;
}
