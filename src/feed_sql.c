/*
 * feed_sql.c - SQL-callable feed functions: ap_add_feed, ap_remove_feed,
 * ap_ingest_now (a whole run in this backend, for scripts and tests), and the
 * network-free parsers ap_feed_parse / ap_feed_parse_news.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "feed.h"

PG_FUNCTION_INFO_V1(ap_add_feed);
PG_FUNCTION_INFO_V1(ap_remove_feed);
PG_FUNCTION_INFO_V1(ap_ingest_now);

/* Whether s is a valid feed name: the table's CHECK, checked early for a clear error. */
static bool
FeedNameValid(const char *s)
{
	int			i;

	if (!(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (i = 1; s[i]; i++)
		if (i > 62 || !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static char *
FeedArgName(FunctionCallInfo fcinfo, int n)
{
	char	   *name;

	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("feed name must not be null")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(n));
	if (!FeedNameValid(name))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid feed name \"%s\"", name),
				 errhint("A feed name matches ^[a-z][a-z0-9_]{0,62}$.")));
	return name;
}

/* Register a feed after checking every argument; the url must be allowed now. */
Datum
ap_add_feed(PG_FUNCTION_ARGS)
{
	char	   *name = FeedArgName(fcinfo, 0);
	char	   *kind;
	char	   *format;
	char	   *url;
	char	   *symbol = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	Jsonb	   *options = PG_ARGISNULL(5) ? NULL : PG_GETARG_JSONB_P(5);
	FeedFormat	fmt;
	Oid			argtypes[6] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID};
	Datum		args[6];
	char		nulls[6] = "      ";

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("kind, format and url must not be null")));
	kind = text_to_cstring(PG_GETARG_TEXT_PP(1));
	format = text_to_cstring(PG_GETARG_TEXT_PP(2));
	url = text_to_cstring(PG_GETARG_TEXT_PP(3));
	if (strcmp(kind, "price") != 0 && strcmp(kind, "news") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown feed kind \"%s\"", kind),
				 errhint("Use price or news.")));
	fmt = FeedFormatFromName(format);
	if ((fmt == FEED_RSS) != (strcmp(kind, "news") == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("format %s does not fit kind %s", format, kind),
				 errhint("News feeds use rss (RSS 2.0 or Atom); price feeds use an exchange format.")));
	if (fmt != FEED_RSS && symbol == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a price feed needs a symbol")));
	if (symbol != NULL && !FeedSymbolValid(symbol))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid symbol \"%s\"", symbol),
				 errhint("A symbol matches ^[a-z][a-z0-9_]{0,31}$.")));
	FeedCheckUrlPolicy(url);
	FeedCheckUrl(url);
	FeedCheckOptions(fmt, options);

	args[0] = CStringGetTextDatum(name);
	args[1] = CStringGetTextDatum(kind);
	args[2] = CStringGetTextDatum(format);
	args[3] = CStringGetTextDatum(url);
	if (symbol)
		args[4] = CStringGetTextDatum(symbol);
	else
		nulls[4] = 'n';
	args[5] = options ? JsonbPGetDatum(options) : DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));

	SPI_connect();
	if (symbol)
	{
		if (SPI_execute_with_args("SELECT 1 FROM alphapulse.assets WHERE symbol OPERATOR(pg_catalog.=) $1",
								  1, &argtypes[4], &args[4], NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read alphapulse.assets");
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg("asset \"%s\" does not exist", symbol),
					 errhint("Add it to alphapulse.assets with its bar_interval first.")));
	}
	if (SPI_execute_with_args("SELECT 1 FROM alphapulse.feeds WHERE name OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read alphapulse.feeds");
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("feed \"%s\" already exists", name)));
	if (SPI_execute_with_args("INSERT INTO alphapulse.feeds (name, kind, format, url, symbol, options)"
							  " VALUES ($1, $2, $3, $4, $5, $6)",
							  6, argtypes, args, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not insert the feed");
	SPI_finish();
	PG_RETURN_VOID();
}

/* Drop a feed with its log, queue, secret and cron job; landed bars and news stay. */
Datum
ap_remove_feed(PG_FUNCTION_ARGS)
{
	char	   *name = FeedArgName(fcinfo, 0);
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bool		isnull;

	args[0] = CStringGetTextDatum(name);
	SPI_connect();
	if (SPI_execute_with_args("DELETE FROM alphapulse.feeds WHERE name OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not delete the feed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("feed \"%s\" does not exist", name)));
	/* and its pg_cron job, when pg_cron is installed here */
	if (SPI_execute("SELECT pg_catalog.to_regclass('cron.job') IS NOT NULL", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look for pg_cron");
	if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
	{
		args[0] = CStringGetTextDatum(psprintf("alphapulse_feed_%s", name));
		if (SPI_execute_with_args("SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname OPERATOR(pg_catalog.=) $1",
								  1, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not unschedule the feed's cron job");
	}
	SPI_finish();
	PG_RETURN_VOID();
}

/* Sleep at least ms, waking for interrupts. */
static void
FeedSleep(int ms)
{
	TimestampTz until = GetCurrentTimestamp() + (int64) ms * 1000;

	for (;;)
	{
		TimestampTz now = GetCurrentTimestamp();
		long		left = (long) ((until - now + 999) / 1000);	/* never wake early */

		CHECK_FOR_INTERRUPTS();
		if (now >= until)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * Run a feed to the end here and now: page after page until caught up, each
 * page landed with its cursor; failures retried with backoff, then reported
 * in the result (and the run log) rather than raised, so the log survives.
 * No row is locked while the network is used: the feed's landing lock (an
 * object lock no SQL function can take; the worker only ever tries it)
 * keeps other runs of this feed out until this transaction ends.  Requests, empty pages and the total
 * backoff are bounded by the alphapulse.max_* settings.
 */
Datum
ap_ingest_now(PG_FUNCTION_ARGS)
{
	char	   *name = FeedArgName(fcinfo, 0);
	FeedDef    *f;
	TimestampTz now;
	TimestampTz pos;
	MemoryContext pagecxt;
	MemoryContext oldcxt;
	FeedRunBounds bounds;
	int64		total = 0;
	bool		ok = true;
	char	   *message = NULL;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	memset(&bounds, 0, sizeof(bounds));
	FeedLockLanding(name);
	f = FeedLoad(name, false);
	now = GetCurrentTimestamp();
	pos = FeedStartPos(f);
	pagecxt = AllocSetContextCreate(CurrentMemoryContext, "feed page", ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		TimestampTz wend;
		char	   *url;
		int			attempt;
		FeedPageOutcome out;
		bool		done = false;

		MemoryContextReset(pagecxt);
		oldcxt = MemoryContextSwitchTo(pagecxt);
		url = FeedNextUrl(f, pos, now, &wend);
		if (url == NULL)
		{
			MemoryContextSwitchTo(oldcxt);
			break;
		}
		for (attempt = 0;; attempt++)
		{
			FeedHttpResult res;
			TimestampTz started = GetCurrentTimestamp();
			char	   *stop = FeedRunStopReason(&bounds);

			if (stop)
			{
				FeedLogAttempt(f->name, started, url, 0, 0, stop, "now");
				ok = false;
				message = stop;
				break;
			}
			bounds.requests++;
			FeedFetch(FeedUrlWithSecrets(f, url), f->headers, &res);
			if (res.error)
			{
				res.error = FeedScrubSecrets(f, res.error);
				FeedLogAttempt(f->name, started, url, res.status, 0, res.error, "now");
				if (res.transient && attempt < feed_max_retries)
				{
					int			delay = FeedBackoffMs(attempt, res.retry_after);
					char	   *refused = FeedBackoffRefused(&bounds, delay);

					if (refused == NULL)
					{
						FeedSleep(delay);
						continue;
					}
					res.error = psprintf("%s; %s", res.error, refused);
				}
				ok = false;
				message = res.error;
				break;
			}
			FeedLandResponse(f, &res, now, &out);
			out.message = FeedScrubSecrets(f, out.message);
			FeedLogAttempt(f->name, started, url, res.status, out.rows, out.message, "now");
			if (!out.ok)
			{
				ok = false;
				message = out.message;
				break;
			}
			total += out.rows;
			break;
		}
		MemoryContextSwitchTo(oldcxt);
		if (!ok)
		{
			message = FeedCleanText(message, FEED_MAX_MESSAGE_BYTES);
			break;
		}
		done = FeedAdvance(f, &out, wend, &pos);
		if (done)
			break;
		if (FeedNoteEmptyPage(&bounds, &out))
		{
			ereport(NOTICE,
					(errmsg("feed \"%s\" stopped after %d pages that landed nothing new",
							f->name, bounds.empty_pages),
					 errhint("alphapulse.max_empty_pages sets how many.")));
			break;
		}
	}
	MemoryContextDelete(pagecxt);
	if (!ok)
		ereport(WARNING,
				(errmsg("feed \"%s\" failed: %s", f->name, message),
				 errdetail("Rows landed before the failure are kept; see alphapulse.feed_runs.")));
	values[0] = Int32GetDatum(bounds.requests);
	values[1] = Int64GetDatum(total);
	values[2] = BoolGetDatum(ok);
	if (message)
		values[3] = CStringGetTextDatum(message);
	else
		nulls[3] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

PG_FUNCTION_INFO_V1(ap_feeds_check_url);

/* Trigger on alphapulse.feeds: no URL with a credential and no invalid options are stored, whoever writes them. */
Datum
ap_feeds_check_url(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	HeapTuple	tuple;
	bool		isnull;
	Datum		d;
	int			attno;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ap_feeds_check_url must run as a BEFORE ROW trigger")));
	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	attno = SPI_fnumber(trigdata->tg_relation->rd_att, "url");
	if (attno <= 0)
		elog(ERROR, "alphapulse.feeds has no url column");
	d = SPI_getbinval(tuple, trigdata->tg_relation->rd_att, attno, &isnull);
	if (!isnull)
		FeedCheckUrlPolicy(TextDatumGetCString(d));
	/* options too, so an UPDATE cannot store what ap_add_feed would refuse (it failed only at run time) */
	{
		int			fattno = SPI_fnumber(trigdata->tg_relation->rd_att, "format");
		int			oattno = SPI_fnumber(trigdata->tg_relation->rd_att, "options");
		bool		fnull,
					onull;
		Datum		fd,
					od;

		if (fattno <= 0 || oattno <= 0)
			elog(ERROR, "alphapulse.feeds has no format or options column");
		fd = SPI_getbinval(tuple, trigdata->tg_relation->rd_att, fattno, &fnull);
		od = SPI_getbinval(tuple, trigdata->tg_relation->rd_att, oattno, &onull);
		if (!fnull && !onull)
			FeedCheckOptions(FeedFormatFromName(TextDatumGetCString(fd)), DatumGetJsonbP(od));
	}
	return PointerGetDatum(tuple);
}

PG_FUNCTION_INFO_V1(ap_feed_parse);
PG_FUNCTION_INFO_V1(ap_feed_parse_news);

/* A body as the worker would accept it: no larger than alphapulse.max_response_size, checked before it is copied. */
static char *
FeedParseBody(Datum d)
{
	int64		len = (int64) toast_raw_datum_size(d) - VARHDRSZ;	/* before detoasting it */

	if (len > (int64) feed_max_response_kb * 1024)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("feed body too large"),
				 errdetail("The body has %lld bytes; alphapulse.max_response_size allows %lld.",
						   (long long) len, (long long) feed_max_response_kb * 1024)));
	return text_to_cstring(DatumGetTextPP(d));
}

/* The bars a response body would land, without the network or the tables. */
Datum
ap_feed_parse(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FeedFormat	fmt = FeedFormatFromName(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	char	   *body = FeedParseBody(PG_GETARG_DATUM(1));
	Jsonb	   *options = PG_GETARG_JSONB_P(2);
	Interval   *bar = PG_GETARG_INTERVAL_P(3);
	TimestampTz now = PG_GETARG_TIMESTAMPTZ(4);
	FeedDef		f;
	FeedBars	b;
	int			i;

	if (fmt == FEED_RSS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rss is parsed by ap_feed_parse_news")));
	FeedDefForParse(&f, fmt, options,
					bar->time + (int64) bar->day * USECS_PER_DAY +
					(int64) bar->month * DAYS_PER_MONTH * USECS_PER_DAY);
	InitMaterializedSRF(fcinfo, 0);
	FeedParseBars(&f, body, strlen(body), now, &b);
	for (i = 0; i < b.n; i++)
	{
		Datum		values[7];
		bool		nulls[7] = {false, false, false, false, false, false, false};

		values[0] = TimestampTzGetDatum(b.ts[i]);
		values[1] = b.open[i];
		values[2] = b.high[i];
		values[3] = b.low[i];
		values[4] = b.close[i];
		values[5] = b.volume[i];
		values[6] = BoolGetDatum(b.closed[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* The items an RSS 2.0 or Atom body would land, without the network or the tables. */
Datum
ap_feed_parse_news(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *body = FeedParseBody(PG_GETARG_DATUM(0));
	Jsonb	   *options = PG_GETARG_JSONB_P(1);
	FeedDef		f;
	FeedNews	n;
	int			i;

	FeedDefForParse(&f, FEED_RSS, options, USECS_PER_HOUR);
	InitMaterializedSRF(fcinfo, 0);
	FeedParseNews(&f, body, strlen(body), &n);
	for (i = 0; i < n.n; i++)
	{
		Datum		values[7];
		bool		nulls[7] = {false, false, false, false, false, false, false};

#define FEED_TEXT_COL(k, s) do { if (s) values[k] = CStringGetTextDatum(s); else nulls[k] = true; } while (0)
		FEED_TEXT_COL(0, n.guid[i]);
		FEED_TEXT_COL(1, n.title[i]);
		FEED_TEXT_COL(2, n.link[i]);
		FEED_TEXT_COL(4, n.summary[i]);
		FEED_TEXT_COL(5, n.source);
#undef FEED_TEXT_COL
		values[3] = TimestampTzGetDatum(n.published[i]);
		nulls[3] = n.published_null[i];
		values[6] = n.symbols[i];
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
