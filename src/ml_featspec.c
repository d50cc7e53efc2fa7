/*
 * ml_featspec.c - the feature-item parser ("rsi:14", "bb_pctb:20:2.5") and
 * the catalogue it checks against.  Pure C with no PostgreSQL headers, so the
 * fuzzer (test/fuzz/fuzz_feature_spec.c) links it alone.
 */
#include <stdio.h>
#include <string.h>

#include "ml_features.h"

typedef struct FeatureKindSpec
{
	const char *name;
	const char *params;			/* one letter per parameter: p period, r real */
	const char *doc;
} FeatureKindSpec;

#define AP_KIND_SPEC(name, params, fn, doc) {name, params, doc},
static const FeatureKindSpec kinds[] = {AP_FEATURE_KINDS(AP_KIND_SPEC)};

#define NKINDS ((int) (sizeof(kinds) / sizeof(kinds[0])))

int
FeatureKindCount(void)
{
	return NKINDS;
}

const char *
FeatureKindName(int kind)
{
	return kinds[kind].name;
}

int
FeatureKindParams(int kind)
{
	return (int) strlen(kinds[kind].params);
}

const char *
FeatureKindDoc(int kind)
{
	return kinds[kind].doc;
}

bool
FeatureKindUsesNews(int kind)
{
	return strncmp(kinds[kind].name, AP_FEATURE_NEWS_PREFIX, strlen(AP_FEATURE_NEWS_PREFIX)) == 0;
}

int64_t
NewsArrival(bool has_published, int64_t published, int64_t fetched, bool trust_published)
{
	/* "published before the end" is published + 1 microsecond <= the end */
	int64_t		pub = (has_published && published < INT64_MAX) ? published + 1 : published;

	if (!has_published)
		return fetched;
	if (trust_published)
		return pub;
	return pub > fetched ? pub : fetched;
}

/* Bytes of s to quote in a message: at most max, ending on a UTF-8 boundary. */
static int
QuoteLen(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return (int) len;
	while (max > 0 && ((unsigned char) s[max] & 0xC0) == 0x80)
		max--;
	return (int) max;
}

/*
 * Checks one parameter's text: a canonical decimal ("14", "2.5"; no sign,
 * space, leading zero, exponent, hex or trailing fractional zero) within the
 * limits of its type.  Returns NULL or what is wrong.
 */
static const char *
CheckParam(const char *s, size_t len, char type, double *value)
{
	size_t		i = 0;
	size_t		int_digits,
				frac_digits = 0;
	double		v = 0,
				scale = 1;

	while (i < len && s[i] >= '0' && s[i] <= '9')
		v = v * 10 + (s[i++] - '0');
	int_digits = i;
	if (int_digits == 0)
		return "is not a plain decimal number";
	if (int_digits > 1 && s[0] == '0')
		return "has a leading zero";
	if (i < len && s[i] == '.')
	{
		if (type != 'r')
			return "has a fraction";
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
		{
			scale /= 10;
			v += (s[i++] - '0') * scale;
			frac_digits++;
		}
		if (frac_digits == 0 || s[i - 1] == '0')
			return "ends in a point or a zero after the point";
		if (frac_digits > AP_FEATURE_MAX_DECIMALS)
			return "has too many fractional digits";
	}
	if (i != len)
		return "is not a plain decimal number";
	if (type == 'p' && (v < 1 || v > AP_FEATURE_MAX_PERIOD))
		return "is out of range";
	if (type == 'r' && (v <= 0 || v > AP_FEATURE_MAX_MULTIPLIER))
		return "is out of range";
	*value = v;
	return NULL;
}

/* The range of a parameter type, for messages. */
static void
RangeText(char type, char *buf, size_t len)
{
	if (type == 'p')
		snprintf(buf, len, "an integer from 1 to %d", AP_FEATURE_MAX_PERIOD);
	else
		snprintf(buf, len, "a decimal above 0 and at most %d with at most %d fractional digits",
				 AP_FEATURE_MAX_MULTIPLIER, AP_FEATURE_MAX_DECIMALS);
}

bool
ParseFeatureItem(const char *text, FeatureItem *item, char *err, size_t errlen)
{
	size_t		len = strlen(text);
	const char *colon = memchr(text, ':', len);
	size_t		klen = colon ? (size_t) (colon - text) : len;
	const char *spec;
	int			k;
	int			np;

	memset(item, 0, sizeof(*item));
	if (len > AP_FEATURE_MAX_ITEM_LEN)
	{
		snprintf(err, errlen, "feature \"%.*s...\" is longer than %d bytes",
				 QuoteLen(text, len, 32), text, AP_FEATURE_MAX_ITEM_LEN);
		return false;
	}
	for (k = 0; k < NKINDS; k++)
		if (strlen(kinds[k].name) == klen && memcmp(kinds[k].name, text, klen) == 0)
			break;
	if (k == NKINDS)
	{
		snprintf(err, errlen, "unknown feature kind \"%.*s\"", (int) klen, text);
		return false;
	}
	spec = kinds[k].params;
	np = (int) strlen(spec);
	item->kind = k;
	memcpy(item->name, text, klen);
	item->name[klen] = '\0';
	for (const char *p = colon ? colon + 1 : NULL; p != NULL;)
	{
		const char *next = memchr(p, ':', len - (size_t) (p - text));
		size_t		plen = next ? (size_t) (next - p) : len - (size_t) (p - text);
		const char *why;
		size_t		nlen;

		if (item->nparams >= np)
		{
			snprintf(err, errlen, "feature \"%s\" takes %d parameter%s (%s), not more",
					 kinds[k].name, np, np == 1 ? "" : "s", kinds[k].doc);
			return false;
		}
		why = CheckParam(p, plen, spec[item->nparams], &item->params[item->nparams]);
		if (why != NULL)
		{
			char		range[96];

			RangeText(spec[item->nparams], range, sizeof(range));
			snprintf(err, errlen, "feature \"%s\": parameter %d \"%.*s\" %s; expected %s",
					 text, item->nparams + 1, (int) plen, p, why, range);
			return false;
		}
		/* the column name: ':' becomes '_' and '.' becomes 'p' (rsi_14, bb_pctb_20_2p5) */
		nlen = strlen(item->name);
		item->name[nlen++] = '_';
		for (size_t i = 0; i < plen; i++)
			item->name[nlen++] = p[i] == '.' ? 'p' : p[i];
		item->name[nlen] = '\0';
		item->nparams++;
		p = next ? next + 1 : NULL;
	}
	if (item->nparams != np)
	{
		snprintf(err, errlen, "feature \"%s\" takes %d parameter%s (%s), not %d",
				 kinds[k].name, np, np == 1 ? "" : "s", kinds[k].doc, item->nparams);
		return false;
	}
	return true;
}
