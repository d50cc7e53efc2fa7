/*
 * feed_parse.c - PostgreSQL glue for the response parsers.  The pure-C cores
 * (feed_json.c, feed_formats.c, feed_xml.c, feed_date.c) check a body
 * against the shapes and the bounds of feed_bounds.h; this file turns their
 * checked decimal text into NUMERIC with numeric_in (money never passes
 * through a double), their Unix times into TimestampTz, and their errors
 * into ereports.  The cores never raise, so libxml2 objects are always freed.
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/formatting.h"
#include "utils/numeric.h"

#include "feed.h"
#include "feed_formats.h"
#include "feed_xml.h"

/* Microseconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch. */
#define FEED_PG_EPOCH_OFFSET \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

/* Arena blocks in the current memory context; NULL (not ERROR) when out of memory. */
static void *
FeedArenaPalloc(size_t size)
{
	return MemoryContextAllocExtended(CurrentMemoryContext, size,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void
FeedArenaPfree(void *p)
{
	pfree(p);
}

/* A core's error as an ereport. */
static void pg_attribute_noreturn()
FeedRaise(const FeedError *e)
{
	int			code;

	switch (e->kind)
	{
		case FEED_ERR_RANGE:
			code = ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE;
			break;
		case FEED_ERR_TIME_RANGE:
			code = ERRCODE_DATETIME_VALUE_OUT_OF_RANGE;
			break;
		case FEED_ERR_TIME_FORMAT:
			code = ERRCODE_INVALID_DATETIME_FORMAT;
			break;
		case FEED_ERR_XML:
			code = ERRCODE_INVALID_XML_DOCUMENT;
			break;
		case FEED_ERR_MEMORY:
			code = ERRCODE_OUT_OF_MEMORY;
			break;
		default:
			code = ERRCODE_INVALID_TEXT_REPRESENTATION;
			break;
	}
	ereport(ERROR, (errcode(code), errmsg("%s", e->msg), errdetail("%s", e->detail)));
}

/* Unix microseconds of a TimestampTz, saturating for infinities. */
static int64
FeedUnixUsecs(TimestampTz t)
{
	if (TIMESTAMP_IS_NOBEGIN(t) || t < PG_INT64_MIN + FEED_PG_EPOCH_OFFSET)
		return PG_INT64_MIN;
	if (TIMESTAMP_IS_NOEND(t) || t > PG_INT64_MAX - FEED_PG_EPOCH_OFFSET)
		return PG_INT64_MAX;
	return t + FEED_PG_EPOCH_OFFSET;
}

/* The cores only return times within the bounds, so this cannot overflow. */
static TimestampTz
FeedTimestamp(int64 unix_us)
{
	return (TimestampTz) (unix_us - FEED_PG_EPOCH_OFFSET);
}

static Datum
FeedNumericIn(const char *text)
{
	return DirectFunctionCall3(numeric_in, CStringGetDatum(text),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/* Parse a price response into bars (ERROR on a bad body). */
void
FeedParseBars(FeedDef *f, const char *body, size_t len, TimestampTz now, FeedBars *out)
{
	FeedArena	arena;
	FeedBarsContext cx;
	FeedRawBars raw;
	FeedError	err;
	int			i;

	memset(out, 0, sizeof(*out));
	if (f->format == FEED_RSS)
		elog(ERROR, "rss is not a price format");
	cx.now = FeedUnixUsecs(now);
	cx.bar_usecs = f->bar_usecs;
	cx.has_end = f->has_end;
	cx.end = f->has_end ? FeedUnixUsecs(f->end) : 0;
	FeedArenaInit(&arena, FeedArenaPalloc, FeedArenaPfree);
	if (!FeedExtractBars((FeedFmt) f->format, body, len, &cx, &arena, &raw, &err))
	{
		FeedArenaFree(&arena);
		FeedRaise(&err);
	}
	out->nraw = raw.nraw;
	out->n = out->cap = raw.n;
	if (raw.n > 0)
	{
		out->ts = palloc(sizeof(TimestampTz) * raw.n);
		out->open = palloc(sizeof(Datum) * raw.n);
		out->high = palloc(sizeof(Datum) * raw.n);
		out->low = palloc(sizeof(Datum) * raw.n);
		out->close = palloc(sizeof(Datum) * raw.n);
		out->volume = palloc(sizeof(Datum) * raw.n);
		out->closed = palloc(sizeof(bool) * raw.n);
	}
	for (i = 0; i < raw.n; i++)
	{
		FeedRawBar *r = &raw.bars[i];
		Datum		d[5];
		int			j;

		CHECK_FOR_INTERRUPTS();
		for (j = 0; j < 5; j++)
			d[j] = (j > 0 && r->v[j] == r->v[j - 1]) ? d[j - 1] : FeedNumericIn(r->v[j]);
		out->ts[i] = FeedTimestamp(r->ts);
		out->open[i] = d[0];
		out->high[i] = d[1];
		out->low[i] = d[2];
		out->close[i] = d[3];
		out->volume[i] = d[4];
		out->closed[i] = r->closed;
		if (r->closed)
		{
			if (out->nclosed == 0 || out->ts[i] > out->last_closed)
				out->last_closed = out->ts[i];
			out->nclosed++;
		}
	}
	FeedArenaFree(&arena);
}

/* ---- RSS 2.0 and Atom ---- */

/* A core's UTF-8 text in the server encoding, or NULL. */
static char *
FeedServerText(const char *s)
{
	char	   *conv;

	if (s == NULL)
		return NULL;
	conv = pg_any_to_server(s, (int) strlen(s), PG_UTF8);
	return conv == s ? pstrdup(s) : conv;
}

/* Whether kw occurs in text (both lower case) as a whole word. */
static bool
FeedMentions(const char *text, const char *kw)
{
	size_t		kl = strlen(kw);
	const char *p = text;

	if (kl == 0)
		return false;
	while ((p = strstr(p, kw)) != NULL)
	{
		bool		before = (p == text) || !isalnum((unsigned char) p[-1]);
		bool		after = !isalnum((unsigned char) p[kl]);

		if (before && after)
			return true;
		p += 1;
	}
	return false;
}

static int
FeedCmpCstring(const ListCell *a, const ListCell *b)
{
	return strcmp((char *) lfirst(a), (char *) lfirst(b));
}

/* Symbols an item mentions by the feed's keyword map, sorted, as text[]. */
static Datum
FeedItemSymbols(FeedDef *f, const char *title, const char *summary)
{
	char	   *hay;
	List	   *syms = NIL;
	ListCell   *lc;
	Datum	   *elems;
	int			n = 0;

	hay = str_tolower(psprintf("%s %s", title ? title : "", summary ? summary : ""),
					  strlen(title ? title : "") + strlen(summary ? summary : "") + 1,
					  DEFAULT_COLLATION_OID);
	if (f->symbol)
		syms = lappend(syms, f->symbol);
	for (lc = list_head(f->keywords); lc; lc = lnext(f->keywords, lnext(f->keywords, lc)))
	{
		char	   *kw = (char *) lfirst(lc);
		char	   *sym = (char *) lfirst(lnext(f->keywords, lc));

		if (FeedMentions(hay, kw))
		{
			ListCell   *s;
			bool		dup = false;

			foreach(s, syms)
				dup |= (strcmp((char *) lfirst(s), sym) == 0);
			if (!dup)
				syms = lappend(syms, sym);
		}
	}
	list_sort(syms, FeedCmpCstring);
	elems = palloc(sizeof(Datum) * Max(list_length(syms), 1));
	foreach(lc, syms)
		elems[n++] = CStringGetTextDatum((char *) lfirst(lc));
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* Parse an RSS 2.0 or Atom document into items (ERROR on a bad body). */
void
FeedParseNews(FeedDef *f, const char *body, size_t len, FeedNews *out)
{
	FeedArena	arena;
	FeedRawNews raw;
	FeedError	err;
	int			i;

	memset(out, 0, sizeof(*out));
	FeedArenaInit(&arena, FeedArenaPalloc, FeedArenaPfree);
	if (!FeedExtractNews(body, len, &arena, &raw, &err))
	{
		FeedArenaFree(&arena);
		FeedRaise(&err);
	}
	out->n = out->cap = raw.n;
	out->source = FeedServerText(raw.source);
	if (raw.n > 0)
	{
		out->guid = palloc(sizeof(char *) * raw.n);
		out->title = palloc(sizeof(char *) * raw.n);
		out->link = palloc(sizeof(char *) * raw.n);
		out->summary = palloc(sizeof(char *) * raw.n);
		out->published = palloc(sizeof(TimestampTz) * raw.n);
		out->published_null = palloc(sizeof(bool) * raw.n);
		out->symbols = palloc(sizeof(Datum) * raw.n);
	}
	for (i = 0; i < raw.n; i++)
	{
		FeedRawItem *r = &raw.items[i];

		CHECK_FOR_INTERRUPTS();
		out->guid[i] = FeedServerText(r->guid);
		out->title[i] = FeedServerText(r->title);
		out->link[i] = FeedServerText(r->link);
		out->summary[i] = FeedServerText(r->summary);
		out->published_null[i] = !r->has_published;
		out->published[i] = r->has_published ? FeedTimestamp(r->published) : 0;
		out->symbols[i] = FeedItemSymbols(f, out->title[i], out->summary[i]);
	}
	FeedArenaFree(&arena);
}

PG_FUNCTION_INFO_V1(ap_feed_bounds);

/* The bounds of feed_bounds.h, for tests that compare them with the bars' CHECKs. */
Datum
ap_feed_bounds(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = Int32GetDatum(AP_PRICE_MAX_INT_DIGITS);
	values[1] = Int32GetDatum(AP_VOLUME_MAX_INT_DIGITS);
	values[2] = Int32GetDatum(AP_MAX_SCALE);
	values[3] = Int32GetDatum(FEED_MIN_YEAR);
	values[4] = Int32GetDatum(FEED_MAX_YEAR);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
