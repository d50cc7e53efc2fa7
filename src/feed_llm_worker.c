/*
 * feed_llm_worker.c - the feed worker's LLM scorer: takes a batch of news
 * not yet scored in a short transaction (SKIP LOCKED, no lock kept), sends
 * one request per item through the worker's curl multi handle (so feeds go
 * on while the endpoint is slow), validates each answer (feed_llm.c) and
 * stores it, or logs why not, in another short transaction.
 */
#include "postgres.h"

#include <curl/curl.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "feed.h"
#include "feed_llm.h"

/* One item of a batch. */
typedef struct LlmItem
{
	char	   *guid;
	char	   *text;
} LlmItem;

/* The scorer's state; one batch at a time, one request in flight at most. */
static struct
{
	MemoryContext cxt;			/* the batch */
	MemoryContext rescxt;		/* one response */
	LlmItem    *items;
	int			nitems;
	int			next;			/* current item */
	int			attempt;		/* retries of the current item so far */
	FeedRequest *req;
	TimestampTz started;
	TimestampTz due;			/* no request or claim before this */
	char	   *url;			/* the batch's settings, fixed when it was taken */
	char	   *model;
	List	   *headers;
	FeedDef    *secrets;		/* only secret_values: what FeedScrubSecrets removes */
	bool		has_sentiment;	/* news.sentiment and sentiment_source exist */
	int			mode;
	char	   *problem;		/* last configuration problem logged */
} llm;

static void
LlmBegin(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "alphapulse llm scoring");
}

static void
LlmCommit(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
}

/* Whether news has this column (the sentiment columns come from another part). */
static bool
LlmNewsHas(const char *column)
{
	Oid			rel = get_relname_relid("news", get_namespace_oid("alphapulse", false));

	return OidIsValid(rel) && get_attnum(rel, column) != InvalidAttrNumber;
}

/* A row of alphapulse.llm_log; message scrubbed of the key, clean and bounded. */
static void
LlmLog(const char *guid, int attempt, long status, const FeedLlmAnswer *ans,
	   const char *message)
{
	Oid			argtypes[8] = {TEXTOID, TIMESTAMPTZOID, TEXTOID, INT4OID, INT4OID,
	TEXTOID, FLOAT8OID, TEXTOID};
	Datum		args[8];
	char		nulls[8] = "        ";

	if (guid)
		args[0] = CStringGetTextDatum(guid);
	else
		nulls[0] = 'n';
	args[1] = TimestampTzGetDatum(llm.started ? llm.started : GetCurrentTimestamp());
	if (llm.model)
		args[2] = CStringGetTextDatum(llm.model);
	else
		nulls[2] = 'n';
	args[3] = Int32GetDatum(attempt);
	args[4] = Int32GetDatum((int32) status);
	if (status == 0)
		nulls[4] = 'n';
	if (ans)
	{
		args[5] = CStringGetTextDatum(FeedLlmLabelName(ans->label));
		args[6] = Float8GetDatum(ans->score);
	}
	else
		nulls[5] = nulls[6] = 'n';
	if (message)
		args[7] = CStringGetTextDatum(FeedCleanText(llm.secrets ? FeedScrubSecrets(llm.secrets, message) : message,
													FEED_MAX_MESSAGE_BYTES));
	else
		nulls[7] = 'n';
	SPI_connect();
	if (SPI_execute_with_args("INSERT INTO alphapulse.llm_log (news_guid, started, finished, model, attempt,"
							  " http_status, ok, label, score, message)"
							  " SELECT $1, $2, pg_catalog.clock_timestamp(), $3, $4, $5, $8 IS NULL, $6, $7, $8"
							  " WHERE $1 IS NULL OR EXISTS (SELECT FROM alphapulse.news"
							  "  WHERE guid OPERATOR(pg_catalog.=) $1)",
							  8, argtypes, args, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not log an LLM request");
	SPI_finish();
}

/* Log a configuration problem once (server log and llm_log), and wait before looking again. */
static void
LlmConfigProblem(const char *why)
{
	llm.due = GetCurrentTimestamp() + (int64) FEED_LLM_CONFIG_RECHECK_MS * 1000;
	llm.started = 0;			/* the row is stamped now */
	if (llm.problem && strcmp(llm.problem, why) == 0)
		return;
	ereport(LOG, (errmsg("alphapulse LLM scoring is paused: %s", why)));
	LlmLog(NULL, 0, 0, NULL, why);
	if (llm.problem)
		pfree(llm.problem);
	llm.problem = MemoryContextStrdup(TopMemoryContext, why);
}

static void
LlmDropBatch(void)
{
	if (llm.cxt)
		MemoryContextReset(llm.cxt);
	llm.items = NULL;
	llm.nitems = llm.next = llm.attempt = 0;
	llm.url = llm.model = NULL;
	llm.headers = NIL;
	llm.secrets = NULL;
}

/*
 * In the open transaction: check the settings and take up to
 * alphapulse.llm_batch_size unscored items, newest first.  SKIP LOCKED passes
 * over rows a session holds; the row locks end with this transaction, before
 * any request is sent.
 */
static void
LlmClaim(void)
{
	Oid			argtypes[2] = {INT4OID, INT4OID};
	Datum		args[2];
	char	   *why;
	char	   *key = NULL;
	const char *textexpr;
	char	   *sql;
	MemoryContext old;
	uint64		i;
	bool		isnull;

	if (!OidIsValid(get_relname_relid("llm_log", get_namespace_oid("alphapulse", true))))
	{
		llm.due = GetCurrentTimestamp() + (int64) FEED_LLM_IDLE_POLL_MS * 1000;
		return;					/* the extension (0.2.0) is not here yet */
	}
	if (feed_llm_url == NULL || feed_llm_url[0] == '\0')
	{
		LlmConfigProblem("alphapulse.llm_url is not set");
		return;
	}
	if (feed_llm_model == NULL || feed_llm_model[0] == '\0')
	{
		LlmConfigProblem("alphapulse.llm_model is not set");
		return;
	}
	if (!FeedUrlAllowed(feed_llm_url, &why))
	{
		LlmConfigProblem(why);
		return;
	}
	llm.has_sentiment = LlmNewsHas("sentiment") && LlmNewsHas("sentiment_source");
	if (feed_llm_mode == FEED_LLM_INSTEAD && !llm.has_sentiment)
	{
		LlmConfigProblem("alphapulse.llm_mode is instead but alphapulse.news has no sentiment column");
		return;
	}

	SPI_connect();
	if (SPI_execute("SELECT api_key FROM alphapulse.llm_secret", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read alphapulse.llm_secret");
	if (SPI_processed == 1)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			key = MemoryContextStrdup(llm.cxt, TextDatumGetCString(d));
	}
	textexpr = LlmNewsHas("text_plain")
		? "COALESCE(text_plain, pg_catalog.concat_ws(' ', title, summary))"
		: "pg_catalog.concat_ws(' ', title, summary)";
	sql = psprintf("SELECT guid, pg_catalog.left(%s, %d) FROM alphapulse.news"
				   " WHERE llm_scored_at IS NULL AND llm_attempts OPERATOR(pg_catalog.<) $1"
				   " AND (title IS NOT NULL OR summary IS NOT NULL)"
				   " ORDER BY fetched DESC LIMIT $2 FOR UPDATE SKIP LOCKED",
				   textexpr, FEED_LLM_MAX_INPUT_BYTES);
	args[0] = Int32GetDatum(feed_llm_max_attempts);
	args[1] = Int32GetDatum(feed_llm_batch_size);
	if (SPI_execute_with_args(sql, 2, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read unscored news");

	old = MemoryContextSwitchTo(llm.cxt);
	llm.nitems = (int) SPI_processed;
	llm.items = palloc0(sizeof(LlmItem) * Max(llm.nitems, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;

		llm.items[i].guid = TextDatumGetCString(SPI_getbinval(t, td, 1, &isnull));
		llm.items[i].text = isnull ? pstrdup("") : SPI_getvalue(t, td, 2);
		if (llm.items[i].text == NULL)
			llm.items[i].text = pstrdup("");
	}
	llm.next = 0;
	llm.attempt = 0;
	llm.mode = feed_llm_mode;
	llm.url = pstrdup(feed_llm_url);
	llm.model = pstrdup(feed_llm_model);
	llm.headers = list_make2(pstrdup("Content-Type: application/json"), pstrdup("Expect:"));
	llm.secrets = palloc0(sizeof(FeedDef));
	if (key && key[0] != '\0' && FeedTextIsClean(key, strlen(key)) && strchr(key, '\n') == NULL &&
		strchr(key, '\t') == NULL)
	{
		llm.headers = lappend(llm.headers, psprintf("Authorization: Bearer %s", key));
		llm.secrets->secret_values = list_make1(key);
	}
	MemoryContextSwitchTo(old);
	SPI_finish();
	if (llm.problem)
	{
		ereport(LOG, (errmsg("alphapulse LLM scoring resumed")));
		pfree(llm.problem);
		llm.problem = NULL;
	}
	if (llm.nitems == 0)
		llm.due = GetCurrentTimestamp() + (int64) FEED_LLM_IDLE_POLL_MS * 1000;
}

/* Send the current item's request (rate-limited by the caller through llm.due). */
static void
LlmStart(CURLM *multi)
{
	LlmItem    *it = &llm.items[llm.next];
	size_t		tlen = strlen(it->text);
	size_t		mlen = strlen(llm.model);
	char	   *body = MemoryContextAlloc(llm.cxt, FeedLlmRequestBound(mlen, tlen));
	size_t		blen = FeedLlmBuildRequest(body, llm.model, mlen, it->text, tlen);
	CURL	   *e;

	llm.req = FeedRequestCreate(llm.url, llm.headers);
	e = (CURL *) FeedRequestEasy(llm.req);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) blen);
	curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
	pfree(body);
	llm.started = GetCurrentTimestamp();
	llm.due = llm.started + (int64) feed_llm_min_interval_ms * 1000;
	if (curl_multi_add_handle(multi, e) != CURLM_OK)
	{
		FeedRequestFree(llm.req);
		llm.req = NULL;
		elog(ERROR, "could not add an LLM request to the curl multi handle");
	}
}

/*
 * Contain an error: report it, end any transaction, drop the batch (its items
 * are taken again later), wait a while.  A lock a session holds (the worker's
 * lock_timeout) is not an error worth reporting and is retried sooner.
 */
static void
LlmRecover(MemoryContext old, CURLM *multi)
{
	ErrorData  *ed;
	bool		busy;

	MemoryContextSwitchTo(old);
	ed = CopyErrorData();
	busy = ed->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE;
	if (!busy)
		EmitErrorReport();
	FreeErrorData(ed);
	FlushErrorState();
	AbortCurrentTransaction();
	MemoryContextSwitchTo(old);
	if (llm.req)
	{
		curl_multi_remove_handle(multi, FeedRequestEasy(llm.req));
		FeedRequestFree(llm.req);
		llm.req = NULL;
	}
	LlmDropBatch();
	llm.due = GetCurrentTimestamp() +
		(int64) (busy ? FEED_BUSY_RETRY_MS : FEED_LLM_CONFIG_RECHECK_MS) * 1000;
}

/* Called on every pass of the worker's loop: take a batch or send the next request when due. */
void
FeedLlmWork(void *multi_arg)
{
	CURLM	   *multi = (CURLM *) multi_arg;
	MemoryContext old = CurrentMemoryContext;

	if (llm.req != NULL || GetCurrentTimestamp() < llm.due)
		return;
	if (llm.cxt == NULL)
	{
		llm.cxt = AllocSetContextCreate(TopMemoryContext, "alphapulse llm batch", ALLOCSET_DEFAULT_SIZES);
		llm.rescxt = AllocSetContextCreate(TopMemoryContext, "alphapulse llm response", ALLOCSET_DEFAULT_SIZES);
	}
	if (feed_llm_mode == FEED_LLM_OFF)
	{
		LlmDropBatch();
		return;
	}
	PG_TRY();
	{
		if (llm.next >= llm.nitems || llm.mode != feed_llm_mode)
		{
			LlmDropBatch();
			LlmBegin();
			LlmClaim();
			LlmCommit();
			MemoryContextSwitchTo(old);
		}
		if (llm.next < llm.nitems)
			LlmStart(multi);
	}
	PG_CATCH();
	{
		LlmRecover(old, multi);
	}
	PG_END_TRY();
}

/* The item has had its round: count a failed one, then go to the next item. */
static void
LlmNextItem(bool failed)
{
	if (failed)
	{
		Oid			argtypes[1] = {TEXTOID};
		Datum		args[1];

		args[0] = CStringGetTextDatum(llm.items[llm.next].guid);
		SPI_connect();
		if (SPI_execute_with_args("UPDATE alphapulse.news SET llm_attempts = llm_attempts OPERATOR(pg_catalog.+) 1"
								  " WHERE guid OPERATOR(pg_catalog.=) $1 AND llm_scored_at IS NULL",
								  1, argtypes, args, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not count a failed LLM round");
		SPI_finish();
	}
	llm.next++;
	llm.attempt = 0;
}

/* Store a valid answer (all SQL parameterised; the label is one of three constants). */
static void
LlmStore(const FeedLlmAnswer *ans)
{
	Oid			argtypes[4] = {TEXTOID, FLOAT8OID, TEXTOID, TEXTOID};
	Datum		args[4];
	const char *sql;

	args[0] = CStringGetTextDatum(llm.items[llm.next].guid);
	args[1] = Float8GetDatum(ans->score);
	args[2] = CStringGetTextDatum(FeedLlmLabelName(ans->label));
	args[3] = CStringGetTextDatum(llm.model);
	if (llm.mode == FEED_LLM_INSTEAD)
		sql = "UPDATE alphapulse.news SET llm_score = $2, llm_label = $3, llm_model = $4,"
			" llm_scored_at = pg_catalog.clock_timestamp(), sentiment = $2, sentiment_source = 'llm'"
			" WHERE guid OPERATOR(pg_catalog.=) $1 AND llm_scored_at IS NULL";
	else
		sql = "UPDATE alphapulse.news SET llm_score = $2, llm_label = $3, llm_model = $4,"
			" llm_scored_at = pg_catalog.clock_timestamp()"
			" WHERE guid OPERATOR(pg_catalog.=) $1 AND llm_scored_at IS NULL";
	SPI_connect();
	if (SPI_execute_with_args(sql, 4, argtypes, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not store an LLM score");
	SPI_finish();
}

static void *
LlmArenaAlloc(size_t size)
{
	return MemoryContextAllocExtended(llm.rescxt, size, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void
LlmArenaFree(void *p)
{
	pfree(p);
}

/* Settle a finished request: store, retry later, or log and move on. */
static void
LlmSettle(CURLM *multi, int curlcode)
{
	FeedHttpResult res;
	char	   *redirect;
	FeedLlmAnswer ans;
	FeedError	err;
	bool		valid = false;
	const char *guid = llm.items[llm.next].guid;
	int			delay = -1;

	curl_multi_remove_handle(multi, FeedRequestEasy(llm.req));
	redirect = FeedRequestFinish(llm.req, curlcode, &res);
	FeedRequestFree(llm.req);
	llm.req = NULL;
	if (redirect != NULL)
	{
		res.error = psprintf("HTTP %ld: the LLM endpoint redirected; redirects are not followed", res.status);
		res.transient = false;
	}
	else if (res.error == NULL && (res.status < 200 || res.status >= 300))
		res.error = psprintf("HTTP %ld: not a successful answer", res.status);
	if (res.error == NULL)
	{
		FeedArena	a;

		FeedArenaInit(&a, LlmArenaAlloc, LlmArenaFree);
		valid = FeedLlmParseAnswer(res.body, res.len, &a, &ans, &err);
		if (!valid)
			res.error = psprintf("%s: %s", err.kind == FEED_ERR_MEMORY ? "out of memory" : err.msg, err.detail);
		FeedArenaFree(&a);
	}

	LlmBegin();
	if (valid)
	{
		LlmStore(&ans);
		LlmLog(guid, llm.attempt, res.status, &ans, NULL);
		LlmNextItem(false);
	}
	else
	{
		LlmLog(guid, llm.attempt, res.status, NULL, res.error);
		if (res.transient && llm.attempt < feed_max_retries)
		{
			delay = FeedBackoffMs(llm.attempt, res.retry_after);
			llm.attempt++;
		}
		else
		{
			ereport(LOG,
					(errmsg("alphapulse LLM scoring of a news item failed; it keeps its lexicon score"),
					 errdetail("%s", FeedCleanText(FeedScrubSecrets(llm.secrets, res.error),
												   FEED_MAX_MESSAGE_BYTES))));
			LlmNextItem(true);
		}
	}
	LlmCommit();
	if (delay >= 0)
		llm.due = Max(llm.due, GetCurrentTimestamp() + (int64) delay * 1000);
}

/* If req is the scorer's, settle it (errors contained) and say so. */
bool
FeedLlmTransferDone(void *multi, FeedRequest *req, int curlcode)
{
	MemoryContext old = CurrentMemoryContext;

	if (req == NULL || req != llm.req)
		return false;
	MemoryContextReset(llm.rescxt);
	PG_TRY();
	{
		MemoryContextSwitchTo(llm.rescxt);
		LlmSettle((CURLM *) multi, curlcode);
		MemoryContextSwitchTo(old);
	}
	PG_CATCH();
	{
		LlmRecover(old, (CURLM *) multi);
	}
	PG_END_TRY();
	return true;
}

/* Milliseconds until the scorer wants to run again, -1 when it waits on curl or is off. */
long
FeedLlmTimeoutMs(void)
{
	TimestampTz now;

	if (feed_llm_mode == FEED_LLM_OFF || llm.req != NULL)
		return -1;
	now = GetCurrentTimestamp();
	return llm.due <= now ? 0 : (long) ((llm.due - now + 999) / 1000);
}
