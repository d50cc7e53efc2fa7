/*
 * feed_format.c - what a feed's format decides, apart from fetching and
 * landing (feed_run.c) and reading responses (feed_parse.c): its name, the
 * options it takes and their checks.  Both of those files and feed_sql.c
 * call in here; this file calls neither.
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "feed.h"
#include "feed_formats.h"

StaticAssertDecl((int) FEED_BINANCE == (int) FEED_FMT_BINANCE &&
				 (int) FEED_COINBASE == (int) FEED_FMT_COINBASE &&
				 (int) FEED_KRAKEN == (int) FEED_FMT_KRAKEN &&
				 (int) FEED_COINGECKO == (int) FEED_FMT_COINGECKO &&
				 (int) FEED_YAHOO == (int) FEED_FMT_YAHOO &&
				 (int) FEED_RSS == (int) FEED_FMT_NPRICE,
				 "FeedFormat and FeedFmt must list the formats in the same order");

/* The one list of names: the price formats' from feed_formats.c, then RSS's. */
const char *
FeedFormatName(FeedFormat f)
{
	return f == FEED_RSS ? "rss" : FeedFmtNames[f];
}

FeedFormat
FeedFormatFromName(const char *name)
{
	for (int i = 0; i <= (int) FEED_RSS; i++)
		if (strcmp(name, FeedFormatName((FeedFormat) i)) == 0)
			return (FeedFormat) i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown feed format \"%s\"", name),
			 errhint("Use binance, coinbase, kraken, coingecko, yahoo or rss.")));
	return FEED_RSS;			/* keep the compiler quiet */
}

static TimestampTz
FeedTextTime(const char *key, const char *s)
{
	TimestampTz t = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in, CStringGetDatum(s),
															ObjectIdGetDatum(InvalidOid),
															Int32GetDatum(-1)));

	if (TIMESTAMP_NOT_FINITE(t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option %s must be a finite time", key)));
	return t;
}

/* Read and check options; unknown keys and wrong types are errors. */
void
FeedReadOptions(FeedDef *f)
{
	JsonbIterator *it;
	JsonbValue	k,
				v;
	JsonbIteratorToken tok;

	f->page_size = f->format == FEED_COINBASE ? Min(feed_batch_size, FEED_COINBASE_PAGE_MAX) : feed_batch_size;
	f->has_start = false;
	f->has_end = false;
	f->keywords = NIL;
	if (f->options == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(f->options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feed options must be a JSON object")));
	it = JsonbIteratorInit(&f->options->root);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(k.val.string.val, k.val.string.len);
		tok = JsonbIteratorNext(&it, &v, true);
		if (strcmp(key, "start") == 0 || strcmp(key, "end") == 0)
		{
			TimestampTz t;

			if (v.type != jbvString)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option %s must be a timestamp string", key)));
			t = FeedTextTime(key, pnstrdup(v.val.string.val, v.val.string.len));
			if (key[0] == 's')
			{
				f->start = t;
				f->has_start = true;
			}
			else
			{
				f->end = t;
				f->has_end = true;
			}
		}
		else if (strcmp(key, "page_size") == 0)
		{
			int			n;

			if (v.type != jbvNumeric)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option page_size must be a number")));
			n = DatumGetInt32(DirectFunctionCall1(numeric_int4, NumericGetDatum(v.val.numeric)));
			if (n < 1 || n > (f->format == FEED_COINBASE ? FEED_COINBASE_PAGE_MAX : FEED_PAGE_SIZE_MAX))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option page_size out of range"),
						 errdetail("page_size was %d; it must be 1 to %d for %s.", n,
								   f->format == FEED_COINBASE ? FEED_COINBASE_PAGE_MAX : FEED_PAGE_SIZE_MAX,
								   FeedFormatName(f->format))));
			f->page_size = n;
		}
		else if (strcmp(key, "keywords") == 0 && f->format == FEED_RSS)
		{
			JsonbIterator *it2;
			JsonbValue	k2,
						v2;
			JsonbIteratorToken t2;

			if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option keywords must be an object mapping words to symbols")));
			it2 = JsonbIteratorInit(v.val.binary.data);
			while ((t2 = JsonbIteratorNext(&it2, &k2, true)) != WJB_DONE)
			{
				char	   *word;
				char	   *sym;

				if (t2 != WJB_KEY)
					continue;
				JsonbIteratorNext(&it2, &v2, true);
				word = pnstrdup(k2.val.string.val, k2.val.string.len);
				if (v2.type != jbvString)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("keyword \"%s\" must map to a symbol string", word)));
				sym = pnstrdup(v2.val.string.val, v2.val.string.len);
				if (!FeedSymbolValid(sym))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid symbol \"%s\" for keyword \"%s\"", sym, word),
							 errhint("A symbol matches ^[a-z][a-z0-9_]{0,31}$.")));
				word = str_tolower(word, strlen(word), DEFAULT_COLLATION_OID);
				f->keywords = lappend(lappend(f->keywords, word), sym);
			}
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown option \"%s\" for a %s feed", key, FeedFormatName(f->format)),
					 errhint(f->format == FEED_RSS ? "News feeds take keywords."
							 : "Price feeds take start, end and page_size.")));
	}
	if (f->has_end && f->has_start && f->end <= f->start)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option end must be after start")));
}

/* Whether s is a valid symbol (the assets CHECK, checked early for a clear error). */
bool
FeedSymbolValid(const char *s)
{
	int			i;

	if (s == NULL || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (i = 1; s[i]; i++)
		if (i > 31 || !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* Check options for ap_add_feed without loading anything. */
void
FeedCheckOptions(FeedFormat format, Jsonb *options)
{
	FeedDef		f;

	memset(&f, 0, sizeof(f));
	f.format = format;
	f.options = options;
	FeedReadOptions(&f);
}

/* A feed definition with just what the parsers need (ap_feed_parse). */
void
FeedDefForParse(FeedDef *f, FeedFormat format, Jsonb *options, int64 bar_usecs)
{
	memset(f, 0, sizeof(*f));
	f->name = "ap_feed_parse";
	f->format = format;
	f->options = options;
	f->bar_usecs = bar_usecs;
	FeedReadOptions(f);
}
