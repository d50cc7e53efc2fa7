/*
 * feed_worker.c - the feed background worker.  ap_ingest queues a row in
 * alphapulse.feed_queue and sets the worker's latch when its transaction
 * commits; the worker drives many feeds at once through libcurl's multi
 * interface and a WaitEventSet of curl's sockets plus its latch, opening a
 * short transaction only to claim work and to land each page with its cursor.
 * A queue row is deleted in the transaction that lands the feed's last page,
 * so after a crash the worker resumes from the cursor.
 */
#include "postgres.h"

#include <curl/curl.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "feed.h"

PG_FUNCTION_INFO_V1(ap_ingest);

PGDLLEXPORT void FeedWorkerMain(Datum arg);

/* What backends need to wake the worker. */
typedef struct FeedShared
{
	pg_atomic_uint32 worker_procno; /* INVALID_PGPROCNO when not running */
} FeedShared;

static FeedShared *feed_shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static bool feed_wake_pending = false;
static bool feed_callback_registered = false;

/* One feed being run by the worker. */
typedef struct FeedJob
{
	char	   *name;
	int64		queue_id;		/* highest queue row this run serves */
	MemoryContext cxt;			/* the job's lifetime */
	MemoryContext pagecxt;		/* reset per response */
	FeedDef    *def;
	TimestampTz now;			/* run start: decides which bars are closed */
	TimestampTz pos;
	TimestampTz wend;
	char	   *url;			/* current page */
	char	   *fetch_url;		/* after redirects */
	List	   *headers;
	int			attempt;
	int			hops;
	TimestampTz started;
	TimestampTz retry_at;		/* when waiting to retry, else 0 */
	FeedRequest *req;
	bool		finished;
	bool		dequeued;		/* its queue rows are gone (in a committed or pending txn) */
	FeedRunBounds bounds;		/* requests, empty pages, backoff of this run */
	MemoryContext rescxt;		/* holds pending */
	FeedHttpResult *pending;	/* a response waiting to be landed at retry_at */
	TimestampTz busy_since;		/* when another session's lock first held the landing up */
} FeedJob;

/* A socket curl asked us to watch. */
typedef struct FeedSock
{
	curl_socket_t fd;
	int			what;
} FeedSock;

static CURLM *feed_multi = NULL;
static List *feed_jobs = NIL;
static FeedSock *feed_socks = NULL;
static int	feed_nsocks = 0;
static int	feed_socks_cap = 0;
static long feed_timer_ms = -1;	/* curl's timer, -1 when unset */
static bool feed_claim_cut = false;	/* the last claim stopped at a full set of slots */

static int	FeedInFlight(void);
static TimestampTz feed_timer_set_at = 0;

static void
FeedShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(FeedShared)));
}

static void
FeedShmemStartup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	feed_shared = ShmemInitStruct("alphapulse feeds", sizeof(FeedShared), &found);
	if (!found)
		pg_atomic_init_u32(&feed_shared->worker_procno, INVALID_PGPROCNO);
	LWLockRelease(AddinShmemInitLock);
}

/* Called from _PG_init in the postmaster: shared memory and the worker. */
void
FeedRegisterWorker(void)
{
	BackgroundWorker bgw;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = FeedShmemRequest;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = FeedShmemStartup;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = 5;	/* a crash or an unreachable database never spins */
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "alphapulse");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "FeedWorkerMain");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "alphapulse feed worker");
	snprintf(bgw.bgw_type, BGW_MAXLEN, "alphapulse feed worker");
	RegisterBackgroundWorker(&bgw);
}

static void
FeedXactCallback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT && feed_wake_pending && feed_shared != NULL)
	{
		uint32		procno = pg_atomic_read_u32(&feed_shared->worker_procno);

		if (procno != INVALID_PGPROCNO)
			SetLatch(&ProcGlobal->allProcs[procno].procLatch);
	}
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT)
		feed_wake_pending = false;
}

/* Wake the worker when (and only if) the current transaction commits. */
void
FeedWakeWorkerAtCommit(void)
{
	if (!feed_callback_registered)
	{
		RegisterXactCallback(FeedXactCallback, NULL);
		feed_callback_registered = true;
	}
	feed_wake_pending = true;
}

/* Queue a feed for the worker and return at once; the worker starts at commit. */
Datum
ap_ingest(PG_FUNCTION_ARGS)
{
	text	   *name = PG_GETARG_TEXT_PP(0);
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bool		isnull;
	int64		id;

	if (!feed_worker_preloaded || feed_shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the alphapulse feed worker is not running"),
				 errhint("Add alphapulse to shared_preload_libraries and restart, or use ap_ingest_now.")));
	args[0] = PointerGetDatum(name);
	SPI_connect();
	if (SPI_execute_with_args("SELECT 1 FROM alphapulse.feeds WHERE name OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read alphapulse.feeds");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("feed \"%s\" does not exist", text_to_cstring(name))));
	if (SPI_execute_with_args("INSERT INTO alphapulse.feed_queue (feed) VALUES ($1) RETURNING id",
							  1, argtypes, args, NULL, false, 0) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "could not queue the feed");
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	if (strcmp(get_database_name(MyDatabaseId), feed_database) != 0)
		ereport(WARNING,
				(errmsg("the feed worker works in database \"%s\", not this one", feed_database),
				 errhint("Set alphapulse.database.")));
	FeedWakeWorkerAtCommit();
	PG_RETURN_INT64(id);
}

/* ---- curl multi glue ---- */

static int
FeedSocketCallback(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	int			i;

	for (i = 0; i < feed_nsocks; i++)
		if (feed_socks[i].fd == s)
			break;
	if (what == CURL_POLL_REMOVE)
	{
		if (i < feed_nsocks)
			feed_socks[i] = feed_socks[--feed_nsocks];
		return 0;
	}
	if (i == feed_nsocks)
	{
		if (feed_nsocks == feed_socks_cap)
		{
			int			cap = feed_socks_cap ? feed_socks_cap * 2 : 16;
			FeedSock   *n = realloc(feed_socks, sizeof(FeedSock) * cap);

			if (n == NULL)
				return -1;
			feed_socks = n;
			feed_socks_cap = cap;
		}
		feed_nsocks++;
	}
	feed_socks[i].fd = s;
	feed_socks[i].what = what;
	return 0;
}

static int
FeedTimerCallback(CURLM *multi, long timeout_ms, void *userp)
{
	feed_timer_ms = timeout_ms;
	feed_timer_set_at = GetCurrentTimestamp();
	return 0;
}

/* ---- transactions ---- */

static MemoryContext feed_begin_cxt = NULL;

/* A short transaction; FeedCommit returns to the memory context we had. */
static void
FeedBegin(void)
{
	feed_begin_cxt = CurrentMemoryContext;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
}

static void
FeedCommit(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextSwitchTo(feed_begin_cxt);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/* Whether the extension exists here (the worker waits quietly until it does). */
static bool
FeedExtensionReady(void)
{
	return OidIsValid(get_namespace_oid("alphapulse", true)) &&
		OidIsValid(get_relname_relid("feed_queue", get_namespace_oid("alphapulse", true)));
}

/* Delete the queue rows a finished run served; same transaction as its last page. */
static void
FeedDequeue(FeedJob *job)
{
	Oid			argtypes[2] = {TEXTOID, INT8OID};
	Datum		args[2];

	args[0] = CStringGetTextDatum(job->name);
	args[1] = Int64GetDatum(job->queue_id);
	SPI_connect();
	if (SPI_execute_with_args("DELETE FROM alphapulse.feed_queue WHERE feed OPERATOR(pg_catalog.=) $1"
							  " AND id OPERATOR(pg_catalog.<=) $2",
							  2, argtypes, args, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not dequeue a feed");
	SPI_finish();
	job->finished = true;
	job->dequeued = true;
}

/*
 * The run's queue rows wait until retry_at: after a restart a feed that is
 * backing off is not claimed before feeds that are due.
 */
static void
FeedQueueNotBefore(FeedJob *job, TimestampTz retry_at)
{
	Oid			argtypes[3] = {TEXTOID, INT8OID, TIMESTAMPTZOID};
	Datum		args[3];

	args[0] = CStringGetTextDatum(job->name);
	args[1] = Int64GetDatum(job->queue_id);
	args[2] = TimestampTzGetDatum(retry_at);
	SPI_connect();
	if (SPI_execute_with_args("UPDATE alphapulse.feed_queue SET not_before = $3"
							  " WHERE feed OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.<=) $2",
							  3, argtypes, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not update the feed queue");
	SPI_finish();
}

/* A result that needs no transfer (a refused URL, a spent budget), landed like a response. */
static void
FeedSetPending(FeedJob *job, const char *error)
{
	MemoryContext old;

	MemoryContextReset(job->rescxt);
	old = MemoryContextSwitchTo(job->rescxt);
	job->pending = palloc0(sizeof(FeedHttpResult));
	job->pending->retry_after = -1;
	job->pending->body = pstrdup("");
	job->pending->error = pstrdup(error);
	MemoryContextSwitchTo(old);
	job->started = GetCurrentTimestamp();
	job->retry_at = 0;
}

/*
 * Start a transfer, unless the allow list (as of now) forbids the URL or the
 * run's request budget is spent.  A page's first request carries the feed's
 * query secrets; a redirect's target is taken as the server gave it.
 */
static void
FeedStartRequest(FeedJob *job, const char *url, bool page)
{
	char	   *why;
	char	   *stop;

	if (page && FeedInFlight() >= feed_max_concurrent)
	{
		/* no free slot: wait, holding none, until a transfer ends */
		job->retry_at = GetCurrentTimestamp();
		return;
	}
	if (!FeedUrlAllowed(url, &why))
	{
		FeedSetPending(job, why);
		return;
	}
	if (page && (stop = FeedRunStopReason(&job->bounds)) != NULL)
	{
		FeedSetPending(job, stop);
		return;
	}
	if (page)
		job->bounds.requests++;	/* a redirect hop is part of its page's request */
	job->req = FeedRequestCreate(page ? FeedUrlWithSecrets(job->def, url) : url, job->headers);
	job->started = GetCurrentTimestamp();
	job->retry_at = 0;
	if (curl_multi_add_handle(feed_multi, FeedRequestEasy(job->req)) != CURLM_OK)
		elog(ERROR, "could not add a transfer to the curl multi handle");
}

/*
 * Requests in flight: the slots alphapulse.max_concurrent_requests counts.
 * A job waiting out a backoff or Retry-After, or for another session to let
 * go of its feed, holds none.
 */
static int
FeedInFlight(void)
{
	ListCell   *lc;
	int			n = 0;

	foreach(lc, feed_jobs)
		if (((FeedJob *) lfirst(lc))->req != NULL)
			n++;
	return n;
}

static FeedJob *
FeedFindJob(const char *name)
{
	ListCell   *lc;

	foreach(lc, feed_jobs)
	{
		FeedJob    *j = (FeedJob *) lfirst(lc);

		if (strcmp(j->name, name) == 0)
			return j;
	}
	return NULL;
}

/*
 * Start a job for a feed; a feed that cannot even be loaded (say its options
 * were edited into nonsense) gets a run-log row and leaves the queue, so one
 * bad feed never stops the worker or makes it loop.
 */
static bool
FeedClaimOne(const char *name, int64 maxid)
{
	MemoryContext spicxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	FeedJob    *job = MemoryContextAllocZero(TopMemoryContext, sizeof(FeedJob));

	job->cxt = AllocSetContextCreate(TopMemoryContext, "feed job", ALLOCSET_DEFAULT_SIZES);
	job->pagecxt = AllocSetContextCreate(job->cxt, "feed page", ALLOCSET_DEFAULT_SIZES);
	job->rescxt = AllocSetContextCreate(job->cxt, "feed response", ALLOCSET_DEFAULT_SIZES);
	job->name = MemoryContextStrdup(job->cxt, name);
	job->queue_id = maxid;
	BeginInternalSubTransaction(NULL);
	PG_TRY();
	{
		MemoryContextSwitchTo(job->cxt);
		job->def = FeedLoad(name, false);
		job->headers = job->def->headers;
		job->now = GetCurrentTimestamp();
		job->pos = FeedStartPos(job->def);
		job->url = FeedNextUrl(job->def, job->pos, job->now, &job->wend);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(spicxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(job->cxt);
		ed = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(spicxt);
		CurrentResourceOwner = owner;
		if (ed->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE)
		{
			/* a session holds a lock we need: leave the feed queued for later */
			ereport(LOG,
					(errmsg("feed \"%s\" is locked by another session; claiming it later", name)));
			MemoryContextDelete(job->cxt);
			pfree(job);
			return false;
		}
		FeedLogAttempt(name, GetCurrentTimestamp(), "", 0, 0, ed->message, "worker");
		FeedDequeue(job);
		MemoryContextDelete(job->cxt);
		pfree(job);
		return true;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(TopMemoryContext);
	feed_jobs = lappend(feed_jobs, job);	/* the list outlives transactions */
	MemoryContextSwitchTo(spicxt);
	if (job->url == NULL)
		FeedDequeue(job);		/* already caught up */
	else
		FeedStartRequest(job, job->url, true);
	return true;
}

/* Take due queue rows into jobs, up to alphapulse.max_concurrent_requests. */
static void
FeedClaim(TimestampTz *next_due)
{
	uint64		i;
	SPITupleTable *tt;
	uint64		n;

	*next_due = 0;
	feed_claim_cut = false;
	if (!FeedExtensionReady())
		return;
	SPI_connect();
	if (SPI_execute("SELECT feed, pg_catalog.max(id), pg_catalog.min(not_before) <= pg_catalog.now(),"
					" pg_catalog.min(not_before) FROM alphapulse.feed_queue GROUP BY feed ORDER BY pg_catalog.min(id)",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read alphapulse.feed_queue");
	tt = SPI_tuptable;
	n = SPI_processed;
	for (i = 0; i < n; i++)
	{
		bool		isnull;
		char	   *name = SPI_getvalue(tt->vals[i], tt->tupdesc, 1);
		int64		maxid = DatumGetInt64(SPI_getbinval(tt->vals[i], tt->tupdesc, 2, &isnull));
		bool		due = DatumGetBool(SPI_getbinval(tt->vals[i], tt->tupdesc, 3, &isnull));
		TimestampTz nb = DatumGetTimestampTz(SPI_getbinval(tt->vals[i], tt->tupdesc, 4, &isnull));
		FeedJob    *job;

		if (!due)
		{
			if (*next_due == 0 || nb < *next_due)
				*next_due = nb;
			continue;
		}
		if ((job = FeedFindJob(name)) != NULL)
		{
			job->queue_id = Max(job->queue_id, maxid);	/* this run serves it too */
			continue;
		}
		if (FeedInFlight() >= feed_max_concurrent)
		{
			feed_claim_cut = true;
			break;
		}
		if (!FeedClaimOne(name, maxid))
		{
			TimestampTz again = GetCurrentTimestamp() + (int64) FEED_BUSY_RETRY_MS * 1000;

			if (*next_due == 0 || again < *next_due)
				*next_due = again;
		}
	}
	SPI_finish();
}

static void
FeedFreeJob(FeedJob *job)
{
	if (job->req)
	{
		curl_multi_remove_handle(feed_multi, FeedRequestEasy(job->req));
		FeedRequestFree(job->req);
	}
	MemoryContextDelete(job->cxt);
	pfree(job);
}

/*
 * Land the job's pending response (or failure) with its run-log row and
 * cursor in one short transaction, then start the next request.  The feed's
 * landing lock is only tried: if a session holds it, or any lock we need for
 * longer than lock_timeout, this raises ERRCODE_LOCK_NOT_AVAILABLE and
 * FeedSettleSafe leaves the response for later.
 */
static void
FeedSettle(FeedJob *job)
{
	FeedHttpResult *res = job->pending;
	MemoryContext old;
	FeedPageOutcome out;
	TimestampTz retry_at = 0;

	memset(&out, 0, sizeof(out));
	MemoryContextReset(job->pagecxt);
	old = MemoryContextSwitchTo(job->pagecxt);
	FeedBegin();
	pgstat_report_activity(STATE_RUNNING, job->name);
	if (!FeedTryLockLanding(job->name))
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("feed \"%s\" is locked by another session", job->name)));
	if (res->error)
	{
		char	   *error = FeedScrubSecrets(job->def, res->error);
		char	   *refused = NULL;

		FeedLogAttempt(job->name, job->started, job->url, res->status, 0, error, "worker");
		if (res->transient && job->attempt < feed_max_retries)
		{
			int			delay = FeedBackoffMs(job->attempt, res->retry_after);

			refused = FeedBackoffRefused(&job->bounds, delay);
			if (refused == NULL)
			{
				retry_at = GetCurrentTimestamp() + (int64) delay * 1000;
				FeedQueueNotBefore(job, retry_at);
			}
		}
		if (retry_at == 0)
		{
			ereport(LOG, (errmsg("feed \"%s\" failed: %s%s%s", job->name,
								 FeedCleanText(error, FEED_MAX_MESSAGE_BYTES),
								 refused ? "; " : "", refused ? refused : "")));
			FeedDequeue(job);
		}
	}
	else
	{
		FeedLandResponse(job->def, res, job->now, &out);
		out.message = FeedScrubSecrets(job->def, out.message);
		FeedLogAttempt(job->name, job->started, job->url, res->status, out.rows, out.message, "worker");
		if (!out.ok)
		{
			ereport(LOG, (errmsg("feed \"%s\" failed: %s", job->name, out.message)));
			FeedDequeue(job);
		}
		else
		{
			MemoryContextSwitchTo(job->cxt);
			if (FeedAdvance(job->def, &out, job->wend, &job->pos) ||
				(job->url = FeedNextUrl(job->def, job->pos, job->now, &job->wend)) == NULL)
				FeedDequeue(job);
			else if (FeedNoteEmptyPage(&job->bounds, &out))
			{
				ereport(LOG,
						(errmsg("feed \"%s\" stopped after %d pages that landed nothing new (alphapulse.max_empty_pages)",
								job->name, job->bounds.empty_pages)));
				FeedDequeue(job);
			}
			MemoryContextSwitchTo(job->pagecxt);
		}
	}
	FeedCommit();
	MemoryContextSwitchTo(old);
	job->pending = NULL;
	job->busy_since = 0;
	if (retry_at != 0)
	{
		job->retry_at = retry_at;
		job->attempt++;
	}
	else if (!job->finished)
	{
		job->attempt = 0;
		FeedStartRequest(job, job->url, true);
	}
}

/* A transfer finished: follow a redirect, or keep the result and land it. */
static void
FeedTransferDone(FeedJob *job, CURLcode code)
{
	FeedHttpResult res;
	char	   *redirect;
	char	   *why;
	MemoryContext old;

	MemoryContextReset(job->rescxt);
	old = MemoryContextSwitchTo(job->rescxt);
	curl_multi_remove_handle(feed_multi, FeedRequestEasy(job->req));
	redirect = FeedRequestFinish(job->req, code, &res);
	FeedRequestFree(job->req);
	job->req = NULL;

	if (redirect != NULL)
	{
		if (job->hops >= FEED_MAX_REDIRECTS)
			res.error = psprintf("more than %d redirects", FEED_MAX_REDIRECTS);
		else if (!FeedUrlAllowed(redirect, &why))
			res.error = psprintf("redirect refused: %s", why);
		else
		{
			MemoryContextSwitchTo(job->cxt);
			if (!FeedSameHost(job->fetch_url ? job->fetch_url : job->url, redirect))
				job->headers = NIL;
			job->fetch_url = pstrdup(redirect);
			job->hops++;
			MemoryContextSwitchTo(old);
			FeedStartRequest(job, job->fetch_url, false);
			return;
		}
	}

	/* the page's redirect chain is over: the next request starts afresh */
	job->hops = 0;
	job->fetch_url = NULL;
	job->headers = job->def->headers;
	job->pending = palloc(sizeof(FeedHttpResult));
	*job->pending = res;
	job->retry_at = 0;
	MemoryContextSwitchTo(old);
}

/* After an unexpected error, hold the feed's queue rows back a minute (best effort). */
static void
FeedHoldBack(const char *name)
{
	MemoryContext old = CurrentMemoryContext;

	PG_TRY();
	{
		Oid			argtypes[1] = {TEXTOID};
		Datum		args[1];

		FeedBegin();
		args[0] = CStringGetTextDatum(name);
		SPI_connect();
		SPI_execute_with_args("UPDATE alphapulse.feed_queue SET not_before = pg_catalog.now()"
							  " OPERATOR(pg_catalog.+) '1 minute'::pg_catalog.interval"
							  " WHERE feed OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, false, 0);
		SPI_finish();
		FeedCommit();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		MemoryContextSwitchTo(old);
	}
	PG_END_TRY();
}

/*
 * FeedSettle with errors contained.  Another session's lock leaves the
 * response pending, retried every FEED_BUSY_RETRY_MS (for at most
 * FEED_MAX_BUSY_MS), while other feeds go on; any other error ends the job,
 * its queue rows wait a minute (so a persistent error cannot spin), and the
 * worker goes on.
 */
static void
FeedSettleSafe(FeedJob *job)
{
	MemoryContext old = CurrentMemoryContext;
	/* what FeedSettle may move before its transaction fails */
	bool		had_cursor = job->def->has_cursor;
	TimestampTz cursor = job->def->cursor;
	TimestampTz pos = job->pos;
	TimestampTz wend = job->wend;
	char	   *url = job->url;
	FeedRunBounds bounds = job->bounds;

	PG_TRY();
	{
		FeedSettle(job);
	}
	PG_CATCH();
	{
		ErrorData  *ed;
		bool		busy;

		MemoryContextSwitchTo(old);
		ed = CopyErrorData();
		busy = ed->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE && job->pending != NULL;
		if (!busy)
			EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		MemoryContextSwitchTo(old);
		job->def->has_cursor = had_cursor;
		job->def->cursor = cursor;
		job->pos = pos;
		job->wend = wend;
		job->url = url;
		job->bounds = bounds;
		if (job->req)
		{
			curl_multi_remove_handle(feed_multi, FeedRequestEasy(job->req));
			FeedRequestFree(job->req);
			job->req = NULL;
		}
		if (busy)
		{
			TimestampTz now = GetCurrentTimestamp();

			if (job->busy_since == 0)
			{
				job->busy_since = now;
				ereport(LOG,
						(errmsg("feed \"%s\" is locked by another session; landing it later", job->name),
						 errdetail("%s", ed->message)));
			}
			if (now - job->busy_since > (int64) FEED_MAX_BUSY_MS * 1000)
			{
				ereport(LOG,
						(errmsg("feed \"%s\" stayed locked by another session for %d s; its run waits in the queue",
								job->name, FEED_MAX_BUSY_MS / 1000)));
				job->finished = true;
				job->dequeued = false;
			}
			else
				job->retry_at = now + (int64) FEED_BUSY_RETRY_MS * 1000;
		}
		else
		{
			job->finished = true;
			job->dequeued = false;	/* the aborted transaction took any dequeue with it */
		}
		FreeErrorData(ed);
	}
	PG_END_TRY();
	if (job->finished && !job->dequeued)
		FeedHoldBack(job->name);
}

/* FeedTransferDone with errors contained (the job ends), then land what it kept. */
static void
FeedTransferDoneSafe(FeedJob *job, CURLcode code)
{
	MemoryContext old = CurrentMemoryContext;

	PG_TRY();
	{
		FeedTransferDone(job, code);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		EmitErrorReport();
		FlushErrorState();
		MemoryContextSwitchTo(old);
		if (job->req)
		{
			curl_multi_remove_handle(feed_multi, FeedRequestEasy(job->req));
			FeedRequestFree(job->req);
			job->req = NULL;
		}
		job->pending = NULL;
		job->finished = true;
		job->dequeued = false;
	}
	PG_END_TRY();
	if (job->finished && !job->dequeued)
		FeedHoldBack(job->name);
	else if (job->pending != NULL)
		FeedSettleSafe(job);
}

/* FeedClaim in its own transaction; a lock it cannot get only delays the claim. */
static void
FeedClaimSafe(TimestampTz *next_due)
{
	MemoryContext old = CurrentMemoryContext;

	PG_TRY();
	{
		FeedBegin();
		FeedClaim(next_due);
		FeedCommit();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		MemoryContextSwitchTo(old);
		*next_due = GetCurrentTimestamp() + (int64) FEED_BUSY_RETRY_MS * 1000;
	}
	PG_END_TRY();
}

static void
FeedWorkerExit(int code, Datum arg)
{
	if (feed_shared)
		pg_atomic_write_u32(&feed_shared->worker_procno, INVALID_PGPROCNO);
}

/* Milliseconds from now until t, at least 0. */
static long
FeedMsUntil(TimestampTz t)
{
	TimestampTz now = GetCurrentTimestamp();

	return t <= now ? 0 : (long) ((t - now + 999) / 1000);
}

void
FeedWorkerMain(Datum arg)
{
	bool		need_claim = true;
	TimestampTz next_due = 0;
	MemoryContext loopcxt;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(feed_database, NULL, 0);
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	/* the worker never waits on a session: any lock it cannot get soon fails and is retried later */
	SetConfigOption("lock_timeout", CppAsString2(FEED_WORKER_LOCK_TIMEOUT_MS), PGC_SUSET, PGC_S_OVERRIDE);
	pgstat_report_appname("alphapulse feed worker");

	before_shmem_exit(FeedWorkerExit, (Datum) 0);
	pg_atomic_write_u32(&feed_shared->worker_procno, MyProc->pgprocno);

	FeedHttpGlobalInit();
	feed_multi = curl_multi_init();
	if (feed_multi == NULL)
		elog(ERROR, "could not create a curl multi handle");
	curl_multi_setopt(feed_multi, CURLMOPT_SOCKETFUNCTION, FeedSocketCallback);
	curl_multi_setopt(feed_multi, CURLMOPT_TIMERFUNCTION, FeedTimerCallback);
	ereport(LOG, (errmsg("alphapulse feed worker started in database \"%s\"", feed_database)));
	loopcxt = AllocSetContextCreate(TopMemoryContext, "feed worker loop", ALLOCSET_DEFAULT_SIZES);

	while (!ShutdownRequestPending)
	{
		WaitEventSet *wes;
		WaitEvent	events[64];
		long		timeout = 60000;
		int			nfired;
		int			i;
		int			running;
		CURLMsg    *msg;
		int			left;
		ListCell   *lc;

		/* whatever one pass allocates outside jobs and transactions */
		MemoryContextSwitchTo(loopcxt);
		MemoryContextReset(loopcxt);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		if (need_claim || (next_due != 0 && next_due <= GetCurrentTimestamp()))
		{
			need_claim = false;
			FeedClaimSafe(&next_due);
		}

		/* responses to land (new, or held up by a session's lock) and retries whose backoff has passed */
		foreach(lc, feed_jobs)
		{
			FeedJob    *job = (FeedJob *) lfirst(lc);

			if (job->finished || job->req != NULL || job->retry_at > GetCurrentTimestamp())
				continue;
			if (job->pending != NULL)
				FeedSettleSafe(job);
			else if (job->retry_at != 0)
				FeedStartRequest(job, job->url, true);
		}

		/* the optional LLM scorer: a batch or its next request when due */
		FeedLlmWork(feed_multi);

		/* curl's timer */
		if (feed_timer_ms >= 0 &&
			GetCurrentTimestamp() >= feed_timer_set_at + (int64) feed_timer_ms * 1000)
		{
			feed_timer_ms = -1;
			curl_multi_socket_action(feed_multi, CURL_SOCKET_TIMEOUT, 0, &running);
		}

		/* finished transfers */
		while ((msg = curl_multi_info_read(feed_multi, &left)) != NULL)
		{
			FeedRequest *req = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &req);
			if (FeedLlmTransferDone(feed_multi, req, msg->data.result))
				continue;
			foreach(lc, feed_jobs)
			{
				FeedJob    *job = (FeedJob *) lfirst(lc);

				if (job->req == req)
				{
					FeedTransferDoneSafe(job, msg->data.result);
					break;
				}
			}
		}
		/* a claim cut short by full slots goes on once one is free */
		if (feed_claim_cut && FeedInFlight() < feed_max_concurrent)
			need_claim = true;
		/* forget finished jobs; a freed slot may take more work */
		foreach(lc, feed_jobs)
		{
			FeedJob    *job = (FeedJob *) lfirst(lc);

			if (job->finished)
			{
				feed_jobs = foreach_delete_current(feed_jobs, lc);
				FeedFreeJob(job);
				need_claim = true;
			}
		}
		if (need_claim)
			continue;

		/* sleep until a socket, the latch, curl's timer, a retry or a due queue row */
		if (feed_timer_ms >= 0)
			timeout = Min(timeout, FeedMsUntil(feed_timer_set_at + (int64) feed_timer_ms * 1000));
		if (next_due != 0)
			timeout = Min(timeout, FeedMsUntil(next_due));
		if (FeedLlmTimeoutMs() >= 0)
			timeout = Min(timeout, FeedLlmTimeoutMs());
		foreach(lc, feed_jobs)
		{
			FeedJob    *job = (FeedJob *) lfirst(lc);

			/* a job waiting for a slot is woken by the end of a transfer, not by time */
			if (job->req == NULL && !job->finished &&
				(job->pending != NULL || FeedInFlight() < feed_max_concurrent))
				timeout = Min(timeout, FeedMsUntil(job->retry_at));
		}
		wes = CreateWaitEventSet(CurrentMemoryContext, feed_nsocks + 2);
		AddWaitEventToSet(wes, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
		AddWaitEventToSet(wes, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
		for (i = 0; i < feed_nsocks; i++)
		{
			uint32		ev = 0;

			if (feed_socks[i].what & CURL_POLL_IN)
				ev |= WL_SOCKET_READABLE;
			if (feed_socks[i].what & CURL_POLL_OUT)
				ev |= WL_SOCKET_WRITEABLE;
			AddWaitEventToSet(wes, ev, feed_socks[i].fd, NULL, NULL);
		}
		nfired = WaitEventSetWait(wes, timeout, events, lengthof(events), PG_WAIT_EXTENSION);
		FreeWaitEventSet(wes);
		for (i = 0; i < nfired; i++)
		{
			if (events[i].events & WL_LATCH_SET)
			{
				ResetLatch(MyLatch);
				need_claim = true;
			}
			else if (events[i].events & WL_SOCKET_MASK)
			{
				int			mask = 0;

				if (events[i].events & WL_SOCKET_READABLE)
					mask |= CURL_CSELECT_IN;
				if (events[i].events & WL_SOCKET_WRITEABLE)
					mask |= CURL_CSELECT_OUT;
				curl_multi_socket_action(feed_multi, events[i].fd, mask, &running);
			}
		}
	}
	/* exit 1: restarted after bgw_restart_time unless the server is stopping */
	ereport(LOG, (errmsg("alphapulse feed worker shutting down")));
	proc_exit(1);
}
