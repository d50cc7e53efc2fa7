/*
 * feed_run.c - what one ingestion run does, shared by ap_ingest_now and the
 * worker: load a feed, say which URL comes next, land one response (rows and
 * cursor together, in a subtransaction so a bad page lands nothing), and log
 * every attempt.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "catalog/namespace.h"
#include "common/hashfn.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/formatting.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "bulk_insert.h"
#include "feed.h"

static int64
FeedIntervalUsecs(Interval *iv)
{
	return iv->time + (int64) iv->day * USECS_PER_DAY +
		(int64) iv->month * DAYS_PER_MONTH * USECS_PER_DAY;
}

/* Secrets sent as query parameters: escaped "name=value" pairs, and the raw values to scrub. */
static void
FeedLoadQuerySecrets(FeedDef *f, Jsonb *q)
{
	JsonbIterator *it = JsonbIteratorInit(&q->root);
	JsonbValue	k,
				v;
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		size_t		nk,
					nv;
		char	   *ek,
				   *ev;

		if (tok != WJB_KEY)
			continue;
		JsonbIteratorNext(&it, &v, true);
		if (v.type != jbvString)
			continue;
		nk = FeedUrlEscape(k.val.string.val, k.val.string.len, NULL, 0);
		ek = palloc(nk + 1);
		FeedUrlEscape(k.val.string.val, k.val.string.len, ek, nk + 1);
		nv = FeedUrlEscape(v.val.string.val, v.val.string.len, NULL, 0);
		ev = palloc(nv + 1);
		FeedUrlEscape(v.val.string.val, v.val.string.len, ev, nv + 1);
		f->query_secrets = lappend(f->query_secrets, psprintf("%s=%s", ek, ev));
		f->secret_values = lappend(f->secret_values, pnstrdup(v.val.string.val, v.val.string.len));
		f->secret_values = lappend(f->secret_values, ev);
	}
}

/* Load a feed with its bar spacing and secrets; ERROR if it does not exist.  No row lock is taken. */
FeedDef *
FeedLoad(const char *name, bool for_update)
{
	FeedDef    *f = palloc0(sizeof(FeedDef));
	MemoryContext cxt = CurrentMemoryContext;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bool		isnull;
	HeapTuple	tup;
	TupleDesc	desc;
	Datum		d;

	args[0] = CStringGetTextDatum(name);
	SPI_connect();
	if (SPI_execute_with_args(for_update ?
							  "SELECT f.format, f.url, f.symbol, f.options, f.cursor_ts, a.bar_interval, s.headers, s.query"
							  " FROM alphapulse.feeds f"
							  " LEFT JOIN alphapulse.assets a ON a.symbol OPERATOR(pg_catalog.=) f.symbol"
							  " LEFT JOIN alphapulse.feed_secrets s ON s.feed OPERATOR(pg_catalog.=) f.name"
							  " WHERE f.name OPERATOR(pg_catalog.=) $1 FOR UPDATE OF f" :
							  "SELECT f.format, f.url, f.symbol, f.options, f.cursor_ts, a.bar_interval, s.headers, s.query"
							  " FROM alphapulse.feeds f"
							  " LEFT JOIN alphapulse.assets a ON a.symbol OPERATOR(pg_catalog.=) f.symbol"
							  " LEFT JOIN alphapulse.feed_secrets s ON s.feed OPERATOR(pg_catalog.=) f.name"
							  " WHERE f.name OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read alphapulse.feeds");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("feed \"%s\" does not exist", name)));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	{
		MemoryContext spicxt = MemoryContextSwitchTo(cxt);

		f->name = pstrdup(name);
		f->format = FeedFormatFromName(TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull)));
		f->url = TextDatumGetCString(SPI_getbinval(tup, desc, 2, &isnull));
		d = SPI_getbinval(tup, desc, 3, &isnull);
		f->symbol = isnull ? NULL : TextDatumGetCString(d);
		d = SPI_getbinval(tup, desc, 4, &isnull);
		f->options = isnull ? NULL : DatumGetJsonbPCopy(d);
		d = SPI_getbinval(tup, desc, 5, &isnull);
		f->has_cursor = !isnull;
		f->cursor = isnull ? 0 : DatumGetTimestampTz(d);
		d = SPI_getbinval(tup, desc, 6, &isnull);
		f->bar_usecs = isnull ? USECS_PER_HOUR : FeedIntervalUsecs(DatumGetIntervalP(d));
		/* a writer may not make a feed hammer its server by shrinking the interval */
		if (f->bar_usecs < FEED_MIN_BAR_USECS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("bar interval of asset \"%s\" is too short for a feed", f->symbol),
					 errdetail("Feeds need a bar interval of at least %d second.",
							   (int) (FEED_MIN_BAR_USECS / USECS_PER_SEC))));
		d = SPI_getbinval(tup, desc, 8, &isnull);
		if (!isnull)
			FeedLoadQuerySecrets(f, DatumGetJsonbP(d));
		d = SPI_getbinval(tup, desc, 7, &isnull);
		if (!isnull)
		{
			Jsonb	   *h = DatumGetJsonbP(d);
			JsonbIterator *it = JsonbIteratorInit(&h->root);
			JsonbValue	k,
						v;
			JsonbIteratorToken tok;

			while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
			{
				if (tok != WJB_KEY)
					continue;
				JsonbIteratorNext(&it, &v, true);
				if (v.type == jbvString)
				{
					f->headers = lappend(f->headers,
										 psprintf("%.*s: %.*s", k.val.string.len, k.val.string.val,
												  v.val.string.len, v.val.string.val));
					f->secret_values = lappend(f->secret_values,
											   pnstrdup(v.val.string.val, v.val.string.len));
				}
			}
		}
		FeedReadOptions(f);
		MemoryContextSwitchTo(spicxt);
	}
	SPI_finish();
	if (!f->has_start)
		f->start = GetCurrentTimestamp() - (int64) f->page_size * f->bar_usecs;
	return f;
}

/* First bar wanted by a run: the one after the cursor, else the start option. */
TimestampTz
FeedStartPos(FeedDef *f)
{
	return f->has_cursor ? f->cursor + f->bar_usecs : f->start;
}

static int64
FeedUnixUsecs(TimestampTz t)
{
	return t + (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;
}

static char *
FeedIso(TimestampTz t)
{
	int64		u = FeedUnixUsecs(t) / USECS_PER_SEC;
	time_t		tt = (time_t) u;
	struct tm	tm;
	char		buf[64];

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return pstrdup(buf);
}

/*
 * URL of the request that fetches bars from pos on, or NULL when the run is
 * caught up.  *window_end is where the next window starts (window formats).
 */
char *
FeedNextUrl(FeedDef *f, TimestampTz pos, TimestampTz now, TimestampTz *window_end)
{
	const char *sep = strchr(f->url, '?') ? "&" : "?";
	TimestampTz limit = (f->has_end && f->end < now) ? f->end : now;
	int64		span = (int64) f->page_size * f->bar_usecs;

	*window_end = pos + span;
	if (f->format == FEED_RSS)
		return pstrdup(f->url);
	if (pos >= limit)
		return NULL;
	switch (f->format)
	{
		case FEED_BINANCE:
			return psprintf("%s%sstartTime=" INT64_FORMAT "&limit=%d", f->url, sep,
							FeedUnixUsecs(pos) / 1000, f->page_size);
		case FEED_KRAKEN:
			return psprintf("%s%ssince=" INT64_FORMAT, f->url, sep,
							FeedUnixUsecs(pos) / USECS_PER_SEC - 1);
		case FEED_COINBASE:
			return psprintf("%s%sgranularity=" INT64_FORMAT "&start=%s&end=%s", f->url, sep,
							f->bar_usecs / USECS_PER_SEC, FeedIso(pos),
							FeedIso(pos + span - f->bar_usecs));
		case FEED_COINGECKO:
			return psprintf("%s%sfrom=" INT64_FORMAT "&to=" INT64_FORMAT, f->url, sep,
							FeedUnixUsecs(pos) / USECS_PER_SEC,
							FeedUnixUsecs(pos + span - f->bar_usecs) / USECS_PER_SEC);
		case FEED_YAHOO:
			return psprintf("%s%speriod1=" INT64_FORMAT "&period2=" INT64_FORMAT, f->url, sep,
							FeedUnixUsecs(pos) / USECS_PER_SEC,
							FeedUnixUsecs(pos + span) / USECS_PER_SEC);
		case FEED_RSS:
			break;
	}
	return NULL;
}

/* Upsert the bars of a page by SQL; returns rows inserted or changed. */
static int64
FeedUpsertBars(FeedDef *f, FeedBars *b)
{
	Oid			argtypes[7] = {TEXTOID, TIMESTAMPTZARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID,
	NUMERICARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID};
	Datum		args[7];
	bool		isnull;
	int64		rows;

	if (b->n == 0)
		return 0;
	args[0] = CStringGetTextDatum(f->symbol);
	args[1] = PointerGetDatum(construct_array((Datum *) b->ts, b->n, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[2] = PointerGetDatum(construct_array(b->open, b->n, NUMERICOID, -1, false, TYPALIGN_INT));
	args[3] = PointerGetDatum(construct_array(b->high, b->n, NUMERICOID, -1, false, TYPALIGN_INT));
	args[4] = PointerGetDatum(construct_array(b->low, b->n, NUMERICOID, -1, false, TYPALIGN_INT));
	args[5] = PointerGetDatum(construct_array(b->close, b->n, NUMERICOID, -1, false, TYPALIGN_INT));
	args[6] = PointerGetDatum(construct_array(b->volume, b->n, NUMERICOID, -1, false, TYPALIGN_INT));
	if (SPI_execute_with_args(
							  "WITH page AS ("
							  " SELECT DISTINCT ON (u.ts) u.ts, u.o, u.h, u.l, u.c, u.v"
							  " FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5),"
							  " pg_catalog.unnest($6), pg_catalog.unnest($7)) WITH ORDINALITY AS u(ts, o, h, l, c, v, n)"
							  " ORDER BY u.ts, u.n DESC),"
							  " up AS ("
							  " INSERT INTO alphapulse.bars AS b (symbol, ts, open, high, low, close, volume)"
							  " SELECT $1, ts, o, h, l, c, v FROM page"
							  " ON CONFLICT (symbol, ts) DO UPDATE SET open = excluded.open, high = excluded.high,"
							  " low = excluded.low, close = excluded.close, volume = excluded.volume"
							  " WHERE (b.open, b.high, b.low, b.close, b.volume) IS DISTINCT FROM"
							  " (excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume)"
							  " RETURNING 1)"
							  " SELECT pg_catalog.count(*) FROM up",
							  7, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not land bars");
	rows = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	return rows;
}

/*
 * Whether a page can go in by the bulk path: its times strictly increase
 * (nothing for DISTINCT ON to drop) and the symbol has no bar in its span
 * (nothing to upsert).  The probe is a statement of its own, so it sees
 * what committed before it.
 */
static bool
FeedPageIsNew(FeedDef *f, FeedBars *b)
{
	Oid			argtypes[3] = {TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		args[3];
	bool		isnull;

	for (int i = 1; i < b->n; i++)
		if (b->ts[i] <= b->ts[i - 1])
			return false;
	args[0] = CStringGetTextDatum(f->symbol);
	args[1] = TimestampTzGetDatum(b->ts[0]);
	args[2] = TimestampTzGetDatum(b->ts[b->n - 1]);
	if (SPI_execute_with_args("SELECT NOT EXISTS (SELECT FROM alphapulse.bars b WHERE b.symbol OPERATOR(pg_catalog.=) $1"
							  " AND b.ts OPERATOR(pg_catalog.>=) $2 AND b.ts OPERATOR(pg_catalog.<=) $3)",
							  3, argtypes, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look for the page's bars");
	return DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * A new page by bulk_insert.c: as COPY, with the asset checked once for the
 * page instead of by an RI trigger event per bar.  -1 when the table has
 * something that path does not honour.  It asks the privileges the upsert
 * needs, so who may land bars does not depend on the path.
 */
static int64
FeedBulkBars(FeedDef *f, FeedBars *b)
{
	static const char *const cols[7] = {"symbol", "ts", "open", "high", "low", "close", "volume"};
	bool		constant[7] = {true, false, false, false, false, false, false};
	Datum		v[7];
	ApBulk	   *bulk;

	v[0] = CStringGetTextDatum(f->symbol);
	bulk = ApBulkBegin("alphapulse", "bars", cols, 7, constant, v, ACL_INSERT | ACL_UPDATE | ACL_SELECT);
	if (bulk == NULL)
		return -1;
	for (int i = 0; i < b->n; i++)
	{
		v[1] = TimestampTzGetDatum(b->ts[i]);
		v[2] = b->open[i];
		v[3] = b->high[i];
		v[4] = b->low[i];
		v[5] = b->close[i];
		v[6] = b->volume[i];
		ApBulkAdd(bulk, v);
	}
	return ApBulkEnd(bulk);
}

/*
 * The bulk path in a subtransaction of its own: a bar another session
 * inserted since the probe (a unique violation) sends the page to the
 * upsert instead, as if the probe had seen it.  -1: not landed.
 */
static int64
FeedTryBulkBars(FeedDef *f, FeedBars *b)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile int64 rows = -1;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		rows = FeedBulkBars(f, b);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (e->sqlerrcode != ERRCODE_UNIQUE_VIOLATION)
			ReThrowError(e);
		FreeErrorData(e);
		rows = -1;
	}
	PG_END_TRY();
	return rows;
}

/* Land the bars of a page; returns rows inserted or changed. */
static int64
FeedStoreBars(FeedDef *f, FeedBars *b)
{
	int64		rows;

	if (b->n == 0)
		return 0;
	if (FeedPageIsNew(f, b) && (rows = FeedTryBulkBars(f, b)) >= 0)
	{
		elog(DEBUG1, "feed \"%s\": %d bars by bulk insert", f->name, b->n);
		return rows;
	}
	rows = FeedUpsertBars(f, b);
	elog(DEBUG1, "feed \"%s\": %d bars by upsert", f->name, b->n);
	return rows;
}

/* Insert the items not seen before (by guid); returns how many were new. */
static int64
FeedStoreNews(FeedDef *f, FeedNews *news, TimestampTz *newest, bool *has_newest)
{
	Oid			argtypes[8] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID,
	TEXTOID, TEXTARRAYOID};
	SPIPlanPtr	plan;
	int64		rows = 0;
	int			i;

	*has_newest = false;
	plan = SPI_prepare("INSERT INTO alphapulse.news (guid, feed, title, link, published, summary, source, symbols)"
					   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (guid) DO NOTHING",
					   8, argtypes);
	if (plan == NULL)
		elog(ERROR, "could not prepare the news insert");
	for (i = 0; i < news->n; i++)
	{
		Datum		args[8];
		char		nulls[8] = "        ";

		CHECK_FOR_INTERRUPTS();
		args[0] = CStringGetTextDatum(news->guid[i]);
		args[1] = CStringGetTextDatum(f->name);
#define FEED_TEXT_ARG(k, s) do { if (s) args[k] = CStringGetTextDatum(s); else nulls[k] = 'n'; } while (0)
		FEED_TEXT_ARG(2, news->title[i]);
		FEED_TEXT_ARG(3, news->link[i]);
		FEED_TEXT_ARG(5, news->summary[i]);
		FEED_TEXT_ARG(6, news->source);
#undef FEED_TEXT_ARG
		args[4] = TimestampTzGetDatum(news->published[i]);
		if (news->published_null[i])
			nulls[4] = 'n';
		else if (!*has_newest || news->published[i] > *newest)
		{
			*newest = news->published[i];
			*has_newest = true;
		}
		args[7] = news->symbols[i];
		if (SPI_execute_plan(plan, args, nulls, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not land a news item");
		rows += SPI_processed;
	}
	SPI_freeplan(plan);
	return rows;
}

/* Parse and store one response with the cursor move; runs inside a subtransaction. */
static void
FeedLandInner(FeedDef *f, FeedHttpResult *res, TimestampTz now, FeedPageOutcome *out)
{
	TimestampTz newest = 0;
	bool		has_newest = false;

	SPI_connect();
	if (f->format == FEED_RSS)
	{
		FeedNews	news;

		FeedParseNews(f, res->body, res->len, &news);
		out->rows = FeedStoreNews(f, &news, &newest, &has_newest);
		out->nraw = news.n;
		out->nclosed = news.n;
	}
	else
	{
		FeedBars	bars;

		FeedParseBars(f, res->body, res->len, now, &bars);
		out->rows = FeedStoreBars(f, &bars);
		out->nraw = bars.nraw;
		out->nclosed = bars.nclosed;
		has_newest = bars.nclosed > 0;
		newest = bars.last_closed;
	}
	if (has_newest)
	{
		Oid			argtypes[2] = {TEXTOID, TIMESTAMPTZOID};
		Datum		args[2];

		args[0] = CStringGetTextDatum(f->name);
		args[1] = TimestampTzGetDatum(newest);
		if (SPI_execute_with_args("UPDATE alphapulse.feeds SET cursor_ts = GREATEST(cursor_ts, $2)"
								  " WHERE name OPERATOR(pg_catalog.=) $1",
								  2, argtypes, args, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not move the feed cursor");
		out->progressed = !f->has_cursor || newest > f->cursor;
		if (out->progressed)
		{
			f->cursor = newest;
			f->has_cursor = true;
		}
		out->cursor = f->cursor;
	}
	SPI_finish();
}

/*
 * Land a successful response: rows and cursor commit together or not at all.
 * A bad body is caught here and described in out->message.
 */
void
FeedLandResponse(FeedDef *f, FeedHttpResult *res, TimestampTz now, FeedPageOutcome *out)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	bool		had_cursor = f->has_cursor;
	TimestampTz old_cursor = f->cursor;

	memset(out, 0, sizeof(*out));
	out->cursor = f->cursor;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		FeedLandInner(f, res, now, out);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		out->ok = true;
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(oldcxt);
		ed = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		f->has_cursor = had_cursor;
		f->cursor = old_cursor;
		/* a lock another session holds is not the page's fault: the caller decides */
		if (ed->sqlerrcode == ERRCODE_QUERY_CANCELED || ed->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN ||
			ed->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE)
			ReThrowError(ed);
		out->ok = false;
		out->rows = 0;
		out->progressed = false;
		out->cursor = old_cursor;
		out->message = FeedCleanText(ed->detail ? psprintf("%s: %s", ed->message, ed->detail) : ed->message,
									 FEED_MAX_MESSAGE_BYTES);
		FreeErrorData(ed);
	}
	PG_END_TRY();
}

/* One row in alphapulse.feed_runs, and the feed's status counters, per attempt. */
void
FeedLogAttempt(const char *feed, TimestampTz started, const char *url, long status,
			   int64 rows, const char *message, const char *via)
{
	Oid			argtypes[7] = {TEXTOID, TIMESTAMPTZOID, TEXTOID, INT4OID, INT8OID, TEXTOID, TEXTOID};
	Datum		args[7];
	char		nulls[7] = "       ";

	args[0] = CStringGetTextDatum(feed);
	args[1] = TimestampTzGetDatum(started);
	/* network text is stored only redacted, valid and bounded */
	args[2] = CStringGetTextDatum(url ? FeedRedactUrl(url) : "");
	args[3] = Int32GetDatum((int32) status);
	if (status == 0)
		nulls[3] = 'n';
	args[4] = Int64GetDatum(rows);
	if (message)
		args[5] = CStringGetTextDatum(FeedCleanText(message, FEED_MAX_MESSAGE_BYTES));
	else
		nulls[5] = 'n';
	args[6] = CStringGetTextDatum(via);
	SPI_connect();
	if (SPI_execute_with_args("WITH r AS (INSERT INTO alphapulse.feed_runs"
							  " (feed, started, finished, url, http_status, rows_landed, message, via)"
							  " VALUES ($1, $2, pg_catalog.clock_timestamp(), $3, $4, $5, $6, $7))"
							  " UPDATE alphapulse.feeds SET"
							  " last_success = CASE WHEN $6 IS NULL THEN pg_catalog.clock_timestamp() ELSE last_success END,"
							  " last_error_at = CASE WHEN $6 IS NULL THEN last_error_at ELSE pg_catalog.clock_timestamp() END,"
							  " last_error = CASE WHEN $6 IS NULL THEN last_error ELSE $6 END,"
							  " consecutive_failures = CASE WHEN $6 IS NULL THEN 0"
							  "  ELSE consecutive_failures OPERATOR(pg_catalog.+) 1 END,"
							  " rows_landed = rows_landed OPERATOR(pg_catalog.+) $5"
							  " WHERE name OPERATOR(pg_catalog.=) $1",
							  7, argtypes, args, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not log a feed attempt");
	SPI_finish();
}

/* Delay before retry number attempt (0-based): Retry-After, else capped exponential with jitter. */
int
FeedBackoffMs(int attempt, int retry_after)
{
	double		base;

	if (retry_after >= 0)
		return Min(retry_after, feed_max_retry_after_s) * 1000;
	base = 500.0 * (double) (1 << Min(attempt, 7));
	base = Min(base, 60000.0);
	/* "equal jitter": half fixed, half random, so retries spread out */
	return (int) (base / 2 + pg_prng_double(&pg_global_prng_state) * base / 2);
}

/*
 * After a landed page: move *pos to where the next request starts and say
 * whether the run is caught up (window formats stop in FeedNextUrl).
 */
bool
FeedAdvance(FeedDef *f, FeedPageOutcome *out, TimestampTz window_end, TimestampTz *pos)
{
	switch (f->format)
	{
		case FEED_RSS:
			return true;
		case FEED_BINANCE:
		case FEED_KRAKEN:
			*pos = f->cursor + f->bar_usecs;
			return !out->progressed ||
				(f->format == FEED_BINANCE && out->nraw < f->page_size);
		default:
			*pos = window_end;
			return false;
	}
}

/* ---- text, URLs and secrets (issue 7) ---- */

/* s as valid UTF-8 without controls, at most max bytes (palloc'd); NULL stays NULL. */
char *
FeedCleanText(const char *s, size_t max)
{
	char	   *out;

	if (s == NULL)
		return NULL;
	out = palloc(max + 1);
	FeedTextSanitize(s, strlen(s), out, max);
	return out;
}

/* url without userinfo or credential values, clean and bounded: what may be stored or logged. */
char *
FeedRedactUrl(const char *url)
{
	size_t		need = FeedUrlRedact(url, NULL, 0);
	char	   *red = palloc(need + 1);

	FeedUrlRedact(url, red, need + 1);
	return FeedCleanText(red, FEED_MAX_URL_BYTES);
}

/* text with every secret value of the feed replaced (a server may echo a key back). */
char *
FeedScrubSecrets(FeedDef *f, const char *text)
{
	char	   *t;
	ListCell   *lc;

	if (text == NULL)
		return NULL;
	t = pstrdup(text);
	foreach(lc, f->secret_values)
	{
		const char *v = (const char *) lfirst(lc);
		size_t		vl = strlen(v);
		StringInfoData buf;
		char	   *p,
				   *hit;

		if (vl < 4)
			continue;			/* too short to tell from ordinary text */
		initStringInfo(&buf);
		p = t;
		while ((hit = strstr(p, v)) != NULL)
		{
			appendBinaryStringInfo(&buf, p, hit - p);
			appendStringInfoString(&buf, FEED_URL_REDACTED);
			p = hit + vl;
		}
		appendStringInfoString(&buf, p);
		t = buf.data;
	}
	return t;
}

/* The URL actually requested: url plus the feed's query-parameter secrets (never stored). */
char *
FeedUrlWithSecrets(FeedDef *f, const char *url)
{
	StringInfoData buf;
	const char *hash = strchr(url, '#');
	size_t		base = hash ? (size_t) (hash - url) : strlen(url);
	bool		has_query = memchr(url, '?', base) != NULL;
	ListCell   *lc;

	if (f->query_secrets == NIL)
		return pstrdup(url);
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, url, base);
	foreach(lc, f->query_secrets)
	{
		appendStringInfoChar(&buf, has_query ? '&' : '?');
		appendStringInfoString(&buf, (const char *) lfirst(lc));
		has_query = true;
	}
	if (hash)
		appendStringInfoString(&buf, hash);
	return buf.data;
}

/* Refuse a feed URL that would show a credential to readers of feeds and feed_runs. */
void
FeedCheckUrlPolicy(const char *url)
{
	char		name[64];
	FeedUrlCred cred;
	char	   *why;

	if (strlen(url) > FEED_MAX_URL_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feed url too long"),
				 errdetail("A feed URL has at most %d bytes.", FEED_MAX_URL_BYTES)));
	if (!FeedTextIsClean(url, strlen(url)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feed url contains control characters")));
	cred = FeedUrlCredential(url, name, sizeof(name));
	if (cred == FEED_URL_CRED_NONE && !FeedUrlSound(url, &why))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feed url not accepted"),
				 errdetail("%s.", why),
				 errhint("Write it as scheme://host[:port]/path?query; credentials go in alphapulse.feed_secrets.")));
	if (cred == FEED_URL_CRED_USERINFO)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feed url must not contain a user name or password"),
				 errdetail("Readers of alphapulse.feeds and alphapulse.feed_runs would see it."),
				 errhint("Put credentials in alphapulse.feed_secrets (headers, or query for parameters added at request time).")));
	if (cred == FEED_URL_CRED_PARAM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feed url must not contain a credential"),
				 errdetail("Query parameter \"%s\" looks like an API key, token, signature or password; readers of alphapulse.feeds and alphapulse.feed_runs would see it.",
						   FeedCleanText(name, sizeof(name) - 1)),
				 errhint("Put it in alphapulse.feed_secrets: {\"query\": {\"%s\": \"...\"}} adds it to each request without storing it in a URL.",
						 FeedCleanText(name, sizeof(name) - 1))));
}

/* Why a run must stop before its next request, or NULL (the request budget). */
char *
FeedRunStopReason(FeedRunBounds *b)
{
	if (b->requests >= feed_max_requests_per_run)
		return psprintf("run stopped after %d requests (alphapulse.max_requests_per_run); the next run continues from the cursor",
						b->requests);
	return NULL;
}

/* Count a retry's wait; a message when it would take the run past alphapulse.max_backoff_per_run. */
char *
FeedBackoffRefused(FeedRunBounds *b, int delay_ms)
{
	if (b->backoff_ms + delay_ms > (int64) feed_max_backoff_per_run_s * 1000)
		return psprintf("retries would wait more than %d s in total (alphapulse.max_backoff_per_run)",
						feed_max_backoff_per_run_s);
	b->backoff_ms += delay_ms;
	return NULL;
}

/* Count a landed page; true when alphapulse.max_empty_pages pages in a row landed nothing new. */
bool
FeedNoteEmptyPage(FeedRunBounds *b, FeedPageOutcome *out)
{
	if (out->rows > 0 || out->progressed)
		b->empty_pages = 0;
	else
		b->empty_pages++;
	return b->empty_pages >= feed_max_empty_pages;
}

/*
 * The feed's landing lock: an object lock keyed (this database, the OID of
 * alphapulse.feeds, a hash of the feed's name).  No SQL function can take a
 * lock with a user table's OID as its class, and PostgreSQL's own DDL never
 * does, so unlike an advisory lock no session can hold it to block the
 * worker; only ap_ingest_now and the worker take it.
 */
static LockAcquireResult
FeedLandingLockTry(const char *name)
{
	Oid			ns = get_namespace_oid("alphapulse", false);
	Oid			feeds = get_relname_relid("feeds", ns);
	LOCKTAG		tag;

	if (!OidIsValid(feeds))
		elog(ERROR, "alphapulse.feeds does not exist");
	SET_LOCKTAG_OBJECT(tag, MyDatabaseId, feeds,
					   DatumGetUInt32(hash_any((const unsigned char *) name, strlen(name))), 0);
	return LockAcquire(&tag, ExclusiveLock, false, true);
}

/*
 * A session's run of a feed (ap_ingest_now) excludes other runs of it until
 * its transaction ends.  The worker holds the lock only while it lands a
 * page, another ap_ingest_now of the same feed for its whole run: wait for
 * at most FEED_NOW_LOCK_WAIT_MS, then say the feed is busy.
 */
void
FeedLockLanding(const char *name)
{
	TimestampTz until = GetCurrentTimestamp() + (int64) FEED_NOW_LOCK_WAIT_MS * 1000;

	while (FeedLandingLockTry(name) == LOCKACQUIRE_NOT_AVAIL)
	{
		CHECK_FOR_INTERRUPTS();
		if (GetCurrentTimestamp() >= until)
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("feed \"%s\" is being run by another session", name),
					 errdetail("Another run of the feed held it for more than %d ms.", FEED_NOW_LOCK_WAIT_MS),
					 errhint("Try again when that run has finished.")));
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 FEED_NOW_LOCK_POLL_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* The worker's try: false when a session holds the feed (its run, or a lock on its row). */
bool
FeedTryLockLanding(const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bool		got;

	if (FeedLandingLockTry(name) == LOCKACQUIRE_NOT_AVAIL)
		return false;
	/* the feed row too, without waiting: a session may hold it FOR UPDATE */
	args[0] = CStringGetTextDatum(name);
	SPI_connect();
	if (SPI_execute_with_args("SELECT 1 FROM alphapulse.feeds WHERE name OPERATOR(pg_catalog.=) $1"
							  " FOR NO KEY UPDATE SKIP LOCKED",
							  1, argtypes, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not lock the feed row");
	got = SPI_processed > 0;
	/* no row: locked, or removed while its response was in flight (then the job ends) */
	if (!got &&
		SPI_execute_with_args("SELECT 1 FROM alphapulse.feeds WHERE name OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("feed \"%s\" was removed during its run", name)));
	SPI_finish();
	return got;
}
