/*
 * feed_parse.c - parse one response body into bars or news items.  JSON goes
 * through PostgreSQL's own parser (jsonb_in); every price and volume goes from
 * the response text to NUMERIC by numeric_in, never through a double.  XML
 * goes through libxml2 with network access off and no DTDs accepted.
 * Parsers raise ERROR on a bad body; the caller runs them in a subtransaction.
 */
#include "postgres.h"

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/formatting.h"
#include "utils/numeric.h"

#include "feed.h"

/* ---- JSON helpers ---- */

/* The body as jsonb; NUL bytes and invalid encoding are errors. */
static Jsonb *
FeedJson(FeedDef *f, const char *body, size_t len)
{
	if (strlen(body) != len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("malformed %s response", FeedFormatName(f->format)),
				 errdetail("The body contains a NUL byte.")));
	pg_verifymbstr(body, (int) len, false);
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(body)));
}

static void pg_attribute_noreturn()
FeedBadShape(FeedDef *f, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("malformed %s response", FeedFormatName(f->format)),
			 errdetail("%s", what)));
}

/* Container of an array or object value, or NULL when v is a scalar. */
static JsonbContainer *
FeedContainer(JsonbValue *v, bool want_array)
{
	JsonbContainer *c;

	if (v == NULL || v->type != jbvBinary)
		return NULL;
	c = v->val.binary.data;
	if (want_array ? !JsonContainerIsArray(c) || JsonContainerIsScalar(c)
		: !JsonContainerIsObject(c))
		return NULL;
	return c;
}

static JsonbContainer *
FeedRootContainer(Jsonb *jb, bool want_array)
{
	JsonbContainer *c = &jb->root;

	if (want_array ? !JsonContainerIsArray(c) || JsonContainerIsScalar(c)
		: !JsonContainerIsObject(c))
		return NULL;
	return c;
}

static JsonbValue *
FeedKey(JsonbContainer *c, const char *key)
{
	if (c == NULL)
		return NULL;
	return getKeyJsonValueFromContainer(c, key, strlen(key), NULL);
}

/* NUMERIC from a JSON number or a string, by numeric_in on the exact text. */
static Datum
FeedNumeric(FeedDef *f, JsonbValue *v, int row, const char *field)
{
	Numeric		num;
	char	   *text;

	if (v != NULL && v->type == jbvNumeric)
		num = v->val.numeric;	/* jsonb_in made it with numeric_in */
	else if (v != NULL && v->type == jbvString)
	{
		text = pnstrdup(v->val.string.val, v->val.string.len);
		num = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(text),
												  ObjectIdGetDatum(InvalidOid),
												  Int32GetDatum(-1)));
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid number in %s response", FeedFormatName(f->format)),
				 errdetail("Row %d, field %s is not a number or a numeric string.", row, field)));
	if (numeric_is_nan(num) || numeric_is_inf(num))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid number in %s response", FeedFormatName(f->format)),
				 errdetail("Row %d, field %s is not finite.", row, field)));
	return NumericGetDatum(num);
}

/* A timestamp from an integer count of units (1000 = ms, 1 = s) since 1970. */
static TimestampTz
FeedEpoch(FeedDef *f, JsonbValue *v, int64 per_sec, int row)
{
	int64		n;
	TimestampTz t;

	if (v == NULL || v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid time in %s response", FeedFormatName(f->format)),
				 errdetail("Row %d has no numeric time.", row)));
	n = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(v->val.numeric)));
	if (n < 0 || n > INT64CONST(253402300799) * per_sec)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("time out of range in %s response", FeedFormatName(f->format)),
				 errdetail("Row %d has time " INT64_FORMAT ".", row, n)));
	t = (n / per_sec) * USECS_PER_SEC + (n % per_sec) * (USECS_PER_SEC / per_sec);
	return t - (TimestampTz) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;
}

static void
FeedBarsGrow(FeedBars *b)
{
	if (b->n < b->cap)
		return;
	b->cap = b->cap ? b->cap * 2 : 1024;
	if (b->ts == NULL)
	{
		b->ts = palloc(sizeof(TimestampTz) * b->cap);
		b->open = palloc(sizeof(Datum) * b->cap);
		b->high = palloc(sizeof(Datum) * b->cap);
		b->low = palloc(sizeof(Datum) * b->cap);
		b->close = palloc(sizeof(Datum) * b->cap);
		b->volume = palloc(sizeof(Datum) * b->cap);
		b->closed = palloc(sizeof(bool) * b->cap);
	}
	else
	{
		b->ts = repalloc(b->ts, sizeof(TimestampTz) * b->cap);
		b->open = repalloc(b->open, sizeof(Datum) * b->cap);
		b->high = repalloc(b->high, sizeof(Datum) * b->cap);
		b->low = repalloc(b->low, sizeof(Datum) * b->cap);
		b->close = repalloc(b->close, sizeof(Datum) * b->cap);
		b->volume = repalloc(b->volume, sizeof(Datum) * b->cap);
		b->closed = repalloc(b->closed, sizeof(bool) * b->cap);
	}
}

/* Keep a bar unless it is at or past the feed's end; note whether it is closed. */
static void
FeedAddBar(FeedDef *f, FeedBars *b, TimestampTz ts, Datum o, Datum h, Datum l,
		   Datum c, Datum v, bool closed)
{
	if (f->has_end && ts >= f->end)
		return;
	FeedBarsGrow(b);
	b->ts[b->n] = ts;
	b->open[b->n] = o;
	b->high[b->n] = h;
	b->low[b->n] = l;
	b->close[b->n] = c;
	b->volume[b->n] = v;
	b->closed[b->n] = closed;
	b->n++;
	if (closed)
	{
		if (b->nclosed == 0 || ts > b->last_closed)
			b->last_closed = ts;
		b->nclosed++;
	}
}

/* binance klines: [[openTime ms, "o","h","l","c","v", closeTime ms, ...], ...] */
static void
FeedParseBinance(FeedDef *f, Jsonb *jb, TimestampTz now, FeedBars *b)
{
	JsonbContainer *root = FeedRootContainer(jb, true);
	int			i,
				n;

	if (root == NULL)
		FeedBadShape(f, "Expected an array of klines.");
	n = JsonContainerSize(root);
	for (i = 0; i < n; i++)
	{
		JsonbContainer *k = FeedContainer(getIthJsonbValueFromContainer(root, i), true);
		TimestampTz ts;
		bool		closed;

		CHECK_FOR_INTERRUPTS();
		if (k == NULL || JsonContainerSize(k) < 7)
			FeedBadShape(f, psprintf("Kline %d is not an array of at least 7 fields.", i + 1));
		ts = FeedEpoch(f, getIthJsonbValueFromContainer(k, 0), 1000, i + 1);
		closed = FeedEpoch(f, getIthJsonbValueFromContainer(k, 6), 1000, i + 1) < now;
		FeedAddBar(f, b, ts,
				   FeedNumeric(f, getIthJsonbValueFromContainer(k, 1), i + 1, "open"),
				   FeedNumeric(f, getIthJsonbValueFromContainer(k, 2), i + 1, "high"),
				   FeedNumeric(f, getIthJsonbValueFromContainer(k, 3), i + 1, "low"),
				   FeedNumeric(f, getIthJsonbValueFromContainer(k, 4), i + 1, "close"),
				   FeedNumeric(f, getIthJsonbValueFromContainer(k, 5), i + 1, "volume"),
				   closed);
	}
	b->nraw = n;
}

/* coinbase candles, newest first: [[time s, low, high, open, close, volume], ...] */
static void
FeedParseCoinbase(FeedDef *f, Jsonb *jb, TimestampTz now, FeedBars *b)
{
	JsonbContainer *root = FeedRootContainer(jb, true);
	int			i,
				n;

	if (root == NULL)
	{
		JsonbValue *msg = FeedKey(FeedRootContainer(jb, false), "message");

		if (msg && msg->type == jbvString)
			FeedBadShape(f, psprintf("The exchange said: %.*s.", msg->val.string.len,
									 msg->val.string.val));
		FeedBadShape(f, "Expected an array of candles.");
	}
	n = JsonContainerSize(root);
	for (i = 0; i < n; i++)
	{
		JsonbContainer *k = FeedContainer(getIthJsonbValueFromContainer(root, i), true);
		TimestampTz ts;

		CHECK_FOR_INTERRUPTS();
		if (k == NULL || JsonContainerSize(k) < 6)
			FeedBadShape(f, psprintf("Candle %d is not an array of 6 fields.", i + 1));
		ts = FeedEpoch(f, getIthJsonbValueFromContainer(k, 0), 1, i + 1);
		FeedAddBar(f, b, ts,
				   FeedNumeric(f, getIthJsonbValueFromContainer(k, 3), i + 1, "open"),
				   FeedNumeric(f, getIthJsonbValueFromContainer(k, 2), i + 1, "high"),
				   FeedNumeric(f, getIthJsonbValueFromContainer(k, 1), i + 1, "low"),
				   FeedNumeric(f, getIthJsonbValueFromContainer(k, 4), i + 1, "close"),
				   FeedNumeric(f, getIthJsonbValueFromContainer(k, 5), i + 1, "volume"),
				   ts + f->bar_usecs <= now);
	}
	b->nraw = n;
}

/*
 * kraken OHLC: {"error":[],"result":{"PAIR":[[time s,"o","h","l","c","vwap",
 * "volume",count],...],"last":N}}.  The last entry is the still-open frame:
 * it is never landed.
 */
static void
FeedParseKraken(FeedDef *f, Jsonb *jb, TimestampTz now, FeedBars *b)
{
	JsonbContainer *root = FeedRootContainer(jb, false);
	JsonbContainer *errs;
	JsonbContainer *result;
	JsonbContainer *rows = NULL;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			i,
				n;

	if (root == NULL)
		FeedBadShape(f, "Expected an object with error and result.");
	errs = FeedContainer(FeedKey(root, "error"), true);
	if (errs != NULL && JsonContainerSize(errs) > 0)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(errs, 0);

		FeedBadShape(f, psprintf("The exchange said: %s.",
								 e->type == jbvString ? pnstrdup(e->val.string.val, e->val.string.len)
								 : "(unreadable error)"));
	}
	result = FeedContainer(FeedKey(root, "result"), false);
	if (result == NULL)
		FeedBadShape(f, "No result object.");
	/* The pair's key is not known in advance: the one array under result. */
	it = JsonbIteratorInit(result);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_VALUE && rows == NULL)
			rows = FeedContainer(&v, true);
	}
	if (rows == NULL)
		FeedBadShape(f, "No OHLC array under result.");
	n = JsonContainerSize(rows);
	for (i = 0; i < n - 1; i++)
	{
		JsonbContainer *k = FeedContainer(getIthJsonbValueFromContainer(rows, i), true);

		CHECK_FOR_INTERRUPTS();
		if (k == NULL || JsonContainerSize(k) < 7)
			FeedBadShape(f, psprintf("Entry %d is not an array of 8 fields.", i + 1));
		FeedAddBar(f, b, FeedEpoch(f, getIthJsonbValueFromContainer(k, 0), 1, i + 1),
				   FeedNumeric(f, getIthJsonbValueFromContainer(k, 1), i + 1, "open"),
				   FeedNumeric(f, getIthJsonbValueFromContainer(k, 2), i + 1, "high"),
				   FeedNumeric(f, getIthJsonbValueFromContainer(k, 3), i + 1, "low"),
				   FeedNumeric(f, getIthJsonbValueFromContainer(k, 4), i + 1, "close"),
				   FeedNumeric(f, getIthJsonbValueFromContainer(k, 6), i + 1, "volume"),
				   true);
	}
	b->nraw = n;
}

/*
 * coingecko market_chart: {"prices":[[ms, price],...], ...}.  A price point
 * becomes a bar with open = high = low = close = price and volume 0: the
 * total_volumes series is a rolling 24-hour figure, not the bar's volume.
 */
static void
FeedParseCoingecko(FeedDef *f, Jsonb *jb, TimestampTz now, FeedBars *b)
{
	JsonbContainer *root = FeedRootContainer(jb, false);
	JsonbContainer *prices;
	Datum		zero = DirectFunctionCall3(numeric_in, CStringGetDatum("0"),
										   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	int			i,
				n;

	if (root == NULL || (prices = FeedContainer(FeedKey(root, "prices"), true)) == NULL)
		FeedBadShape(f, "Expected an object with a prices array.");
	n = JsonContainerSize(prices);
	for (i = 0; i < n; i++)
	{
		JsonbContainer *k = FeedContainer(getIthJsonbValueFromContainer(prices, i), true);
		TimestampTz ts;
		Datum		p;

		CHECK_FOR_INTERRUPTS();
		if (k == NULL || JsonContainerSize(k) < 2)
			FeedBadShape(f, psprintf("Price %d is not a [time, price] pair.", i + 1));
		ts = FeedEpoch(f, getIthJsonbValueFromContainer(k, 0), 1000, i + 1);
		p = FeedNumeric(f, getIthJsonbValueFromContainer(k, 1), i + 1, "price");
		FeedAddBar(f, b, ts, p, p, p, p, zero, ts + f->bar_usecs <= now);
	}
	b->nraw = n;
}

/*
 * yahoo chart: {"chart":{"result":[{"timestamp":[...],"indicators":{"quote":
 * [{"open":[...],...}]}}],"error":null}}.  A row with a null field is a
 * missing bar and is skipped.
 */
static void
FeedParseYahoo(FeedDef *f, Jsonb *jb, TimestampTz now, FeedBars *b)
{
	JsonbContainer *chart = FeedContainer(FeedKey(FeedRootContainer(jb, false), "chart"), false);
	JsonbValue *err;
	JsonbContainer *results;
	JsonbContainer *r0;
	JsonbContainer *times;
	JsonbContainer *quote;
	JsonbContainer *cols[5];
	static const char *const names[5] = {"open", "high", "low", "close", "volume"};
	int			i,
				j,
				n;

	if (chart == NULL)
		FeedBadShape(f, "Expected an object with a chart object.");
	err = FeedKey(chart, "error");
	if (err != NULL && err->type != jbvNull)
	{
		JsonbValue *d = FeedKey(FeedContainer(err, false), "description");

		FeedBadShape(f, psprintf("The service said: %s.",
								 d && d->type == jbvString ? pnstrdup(d->val.string.val, d->val.string.len)
								 : "(no description)"));
	}
	results = FeedContainer(FeedKey(chart, "result"), true);
	if (results == NULL || JsonContainerSize(results) < 1 ||
		(r0 = FeedContainer(getIthJsonbValueFromContainer(results, 0), false)) == NULL)
		FeedBadShape(f, "No chart result.");
	times = FeedContainer(FeedKey(r0, "timestamp"), true);
	if (times == NULL)
	{
		b->nraw = 0;			/* a window without trading */
		return;
	}
	quote = FeedContainer(FeedKey(FeedContainer(FeedKey(r0, "indicators"), false), "quote"), true);
	if (quote == NULL || JsonContainerSize(quote) < 1)
		FeedBadShape(f, "No indicators.quote array.");
	quote = FeedContainer(getIthJsonbValueFromContainer(quote, 0), false);
	n = JsonContainerSize(times);
	for (j = 0; j < 5; j++)
	{
		cols[j] = FeedContainer(FeedKey(quote, names[j]), true);
		if (cols[j] == NULL || (int) JsonContainerSize(cols[j]) != n)
			FeedBadShape(f, psprintf("Quote column %s is missing or not as long as timestamp.", names[j]));
	}
	for (i = 0; i < n; i++)
	{
		JsonbValue *v[5];
		TimestampTz ts;
		bool		missing = false;

		CHECK_FOR_INTERRUPTS();
		for (j = 0; j < 5; j++)
		{
			v[j] = getIthJsonbValueFromContainer(cols[j], i);
			missing |= (v[j]->type == jbvNull);
		}
		if (missing)
			continue;
		ts = FeedEpoch(f, getIthJsonbValueFromContainer(times, i), 1, i + 1);
		FeedAddBar(f, b, ts,
				   FeedNumeric(f, v[0], i + 1, "open"),
				   FeedNumeric(f, v[1], i + 1, "high"),
				   FeedNumeric(f, v[2], i + 1, "low"),
				   FeedNumeric(f, v[3], i + 1, "close"),
				   FeedNumeric(f, v[4], i + 1, "volume"),
				   ts + f->bar_usecs <= now);
	}
	b->nraw = n;
}

/* Parse a price response into bars (ERROR on a bad body). */
void
FeedParseBars(FeedDef *f, const char *body, size_t len, TimestampTz now, FeedBars *out)
{
	Jsonb	   *jb;

	memset(out, 0, sizeof(*out));
	jb = FeedJson(f, body, len);
	switch (f->format)
	{
		case FEED_BINANCE:
			FeedParseBinance(f, jb, now, out);
			break;
		case FEED_COINBASE:
			FeedParseCoinbase(f, jb, now, out);
			break;
		case FEED_KRAKEN:
			FeedParseKraken(f, jb, now, out);
			break;
		case FEED_COINGECKO:
			FeedParseCoingecko(f, jb, now, out);
			break;
		case FEED_YAHOO:
			FeedParseYahoo(f, jb, now, out);
			break;
		case FEED_RSS:
			elog(ERROR, "rss is not a price format");
	}
}

/* ---- RSS 2.0 and Atom ---- */

/* Text content of a node in the server encoding, trimmed; NULL when empty. */
static char *
FeedXmlText(xmlNodePtr n)
{
	xmlChar    *c;
	char	   *volatile s = NULL;

	if (n == NULL)
		return NULL;
	c = xmlNodeGetContent(n);
	if (c == NULL)
		return NULL;
	PG_TRY();
	{
		char	   *start = (char *) c;
		char	   *end;
		char	   *conv;

		while (*start && isspace((unsigned char) *start))
			start++;
		end = start + strlen(start);
		while (end > start && isspace((unsigned char) end[-1]))
			end--;
		if (end > start)
		{
			conv = pg_any_to_server(start, (int) (end - start), PG_UTF8);
			s = (conv == start) ? pnstrdup(start, end - start) : conv;
		}
	}
	PG_FINALLY();
	{
		xmlFree(c);
	}
	PG_END_TRY();
	return s;
}

static bool
FeedXmlIs(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, (const xmlChar *) name) == 0;
}

static xmlNodePtr
FeedXmlChild(xmlNodePtr parent, const char *name)
{
	xmlNodePtr	c;

	for (c = parent ? parent->children : NULL; c; c = c->next)
		if (FeedXmlIs(c, name))
			return c;
	return NULL;
}

/* Atom link: rel="alternate" (or no rel) wins, else the first with an href. */
static char *
FeedAtomLink(xmlNodePtr entry)
{
	xmlNodePtr	c;
	char	   *first = NULL;

	for (c = entry->children; c; c = c->next)
	{
		xmlChar    *href;
		xmlChar    *rel;
		char	   *h;
		bool		alt;

		if (!FeedXmlIs(c, "link"))
			continue;
		href = xmlGetProp(c, (const xmlChar *) "href");
		if (href == NULL)
			continue;
		rel = xmlGetProp(c, (const xmlChar *) "rel");
		alt = (rel == NULL || xmlStrcmp(rel, (const xmlChar *) "alternate") == 0);
		xmlFree(rel);
		h = pstrdup((char *) href);	/* URLs are ASCII or already UTF-8 */
		xmlFree(href);
		if (alt)
			return h;
		if (first == NULL)
			first = h;
	}
	return first;
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

/* RSS dates are RFC 822, Atom dates RFC 3339; an unreadable date is a bad page. */
static TimestampTz
FeedItemTime(FeedDef *f, const char *s, bool rss, int item)
{
	if (rss)
	{
		time_t		t = curl_getdate(s, NULL);

		if (t == -1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
					 errmsg("invalid date in rss response"),
					 errdetail("Item %d has pubDate \"%s\".", item, s)));
		return time_t_to_timestamptz((pg_time_t) t);
	}
	return DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in, CStringGetDatum(s),
												   ObjectIdGetDatum(InvalidOid),
												   Int32GetDatum(-1)));
}

/* Grow (or make) an array to cap elements. */
static void *
FeedGrowArray(void *p, size_t elsize, int cap)
{
	return p ? repalloc(p, elsize * cap) : palloc(elsize * cap);
}

static void
FeedNewsAdd(FeedDef *f, FeedNews *out, char *guid, char *title, char *link,
			char *summary, char *when, bool rss)
{
	int			i = out->n;

	if (guid == NULL)
		guid = link ? link : title;
	if (guid == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("malformed rss response"),
				 errdetail("Item %d has no guid, link or title.", i + 1)));
	if (out->n == out->cap)
	{
		out->cap = out->cap ? out->cap * 2 : 64;
		out->guid = FeedGrowArray(out->guid, sizeof(char *), out->cap);
		out->title = FeedGrowArray(out->title, sizeof(char *), out->cap);
		out->link = FeedGrowArray(out->link, sizeof(char *), out->cap);
		out->summary = FeedGrowArray(out->summary, sizeof(char *), out->cap);
		out->published = FeedGrowArray(out->published, sizeof(TimestampTz), out->cap);
		out->published_null = FeedGrowArray(out->published_null, sizeof(bool), out->cap);
		out->symbols = FeedGrowArray(out->symbols, sizeof(Datum), out->cap);
	}
	out->guid[i] = guid;
	out->title[i] = title;
	out->link[i] = link;
	out->summary[i] = summary;
	out->published_null[i] = (when == NULL);
	out->published[i] = when ? FeedItemTime(f, when, rss, i + 1) : 0;
	out->symbols[i] = FeedItemSymbols(f, title, summary);
	out->n++;
}

/* Parse an RSS 2.0 or Atom document into items (ERROR on a bad body). */
void
FeedParseNews(FeedDef *f, const char *body, size_t len, FeedNews *out)
{
	xmlParserCtxtPtr volatile ctxt = NULL;
	xmlDocPtr	volatile doc = NULL;

	memset(out, 0, sizeof(*out));
	xmlInitParser();
	PG_TRY();
	{
		xmlNodePtr	root;
		xmlNodePtr	c;

		ctxt = xmlNewParserCtxt();
		if (ctxt == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		/* No NOENT, no DTDLOAD: entities are not expanded, nothing is fetched. */
		doc = xmlCtxtReadMemory(ctxt, body, (int) len, NULL, NULL,
								XML_PARSE_NONET | XML_PARSE_NOERROR |
								XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
		if (doc == NULL || !ctxt->wellFormed)
		{
			const xmlError *e = xmlCtxtGetLastError(ctxt);

			ereport(ERROR,
					(errcode(ERRCODE_INVALID_XML_DOCUMENT),
					 errmsg("malformed rss response"),
					 errdetail("libxml2: %s", e && e->message ? pchomp(e->message) : "not well-formed")));
		}
		if (doc->intSubset != NULL || doc->extSubset != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_XML_DOCUMENT),
					 errmsg("malformed rss response"),
					 errdetail("Documents with a DTD are not accepted.")));
		root = xmlDocGetRootElement(doc);
		if (root && FeedXmlIs(root, "rss"))
		{
			xmlNodePtr	ch = FeedXmlChild(root, "channel");

			out->source = FeedXmlText(FeedXmlChild(ch, "title"));
			for (c = ch ? ch->children : NULL; c; c = c->next)
			{
				CHECK_FOR_INTERRUPTS();
				if (!FeedXmlIs(c, "item"))
					continue;
				FeedNewsAdd(f, out,
							FeedXmlText(FeedXmlChild(c, "guid")),
							FeedXmlText(FeedXmlChild(c, "title")),
							FeedXmlText(FeedXmlChild(c, "link")),
							FeedXmlText(FeedXmlChild(c, "description")),
							FeedXmlText(FeedXmlChild(c, "pubDate")), true);
			}
		}
		else if (root && FeedXmlIs(root, "feed"))
		{
			out->source = FeedXmlText(FeedXmlChild(root, "title"));
			for (c = root->children; c; c = c->next)
			{
				char	   *when;
				char	   *summary;

				CHECK_FOR_INTERRUPTS();
				if (!FeedXmlIs(c, "entry"))
					continue;
				when = FeedXmlText(FeedXmlChild(c, "published"));
				if (when == NULL)
					when = FeedXmlText(FeedXmlChild(c, "updated"));
				summary = FeedXmlText(FeedXmlChild(c, "summary"));
				if (summary == NULL)
					summary = FeedXmlText(FeedXmlChild(c, "content"));
				FeedNewsAdd(f, out,
							FeedXmlText(FeedXmlChild(c, "id")),
							FeedXmlText(FeedXmlChild(c, "title")),
							FeedAtomLink(c), summary, when, false);
			}
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_XML_DOCUMENT),
					 errmsg("malformed rss response"),
					 errdetail("The document is neither RSS 2.0 nor Atom.")));
	}
	PG_FINALLY();
	{
		if (doc)
			xmlFreeDoc(doc);
		if (ctxt)
			xmlFreeParserCtxt(ctxt);
	}
	PG_END_TRY();
}
