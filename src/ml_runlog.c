/*
 * ml_runlog.c - records a failed ap_train in alphapulse.runs even though the
 * caller's transaction is about to abort: a short-lived background worker
 * inserts the row in its own transaction (an autonomous write).  Workers are
 * a shared resource, so they are rationed: none for a caller who may not
 * write the run log, and at most alphapulse.run_log_rate per second (a token
 * bucket in shared memory when preloaded, else per backend).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/syscache.h"
#include "catalog/pg_class.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "mb/pg_wchar.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "ml_util.h"

int			ap_run_log_rate = AP_RUN_LOG_RATE_DEFAULT;

/*
 * Token bucket: tokens refill at ap_run_log_rate per second up to
 * AP_RUN_LOG_BURST_SECONDS seconds' worth, so a script's few quick failures
 * are all recorded while a flood is held to the rate.
 */
typedef struct RunLogBucket
{
	slock_t		mutex;
	TimestampTz refilled;
	double		tokens;
} RunLogBucket;

static RunLogBucket *shared_bucket = NULL;	/* when preloaded */
static RunLogBucket local_bucket;	/* otherwise: this backend's own */
static bool local_bucket_ready = false;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
RunLogShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(RunLogBucket)));
}

static void
RunLogShmemStartup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared_bucket = ShmemInitStruct("alphapulse run log bucket", sizeof(RunLogBucket), &found);
	if (!found)
	{
		SpinLockInit(&shared_bucket->mutex);
		shared_bucket->refilled = 0;
		shared_bucket->tokens = 0;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Defines alphapulse.run_log_rate and, when preloaded, the shared bucket; from _PG_init. */
void
RunLogInit(void)
{
	DefineCustomIntVariable("alphapulse.run_log_rate",
							"Failed ap_train runs per second recorded in alphapulse.runs by a background worker.",
							"Cluster-wide when alphapulse is preloaded, else per session, with bursts of up to "
							CppAsString2(AP_RUN_LOG_BURST_SECONDS) " seconds' worth; failures over the rate are reported with a WARNING but not "
							"recorded. 0 records none.",
							&ap_run_log_rate, AP_RUN_LOG_RATE_DEFAULT, 0, AP_RUN_LOG_RATE_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	if (process_shared_preload_libraries_in_progress)
	{
		prev_shmem_request_hook = shmem_request_hook;
		shmem_request_hook = RunLogShmemRequest;
		prev_shmem_startup_hook = shmem_startup_hook;
		shmem_startup_hook = RunLogShmemStartup;
	}
}

/* Takes one token from the bucket (shared or this backend's); false when empty. */
static bool
RunLogTakeToken(void)
{
	RunLogBucket *b = shared_bucket;
	TimestampTz now = GetCurrentTimestamp();
	double		rate = ap_run_log_rate;
	double		burst = rate * AP_RUN_LOG_BURST_SECONDS;
	bool		ok = false;

	if (rate <= 0)
		return false;
	if (b == NULL)
	{
		b = &local_bucket;
		if (!local_bucket_ready)
		{
			SpinLockInit(&b->mutex);
			b->refilled = 0;
			b->tokens = 0;
			local_bucket_ready = true;
		}
	}
	SpinLockAcquire(&b->mutex);
	if (b->refilled == 0 || now < b->refilled)
		b->tokens = burst;		/* first use, or the clock went back: full */
	else
		b->tokens = Min(burst, b->tokens + (double) (now - b->refilled) / USECS_PER_SEC * rate);
	b->refilled = now;
	if (b->tokens >= 1)
	{
		b->tokens -= 1;
		ok = true;
	}
	SpinLockRelease(&b->mutex);
	return ok;
}

/*
 * Whether the caller is one whose failures are recorded: a member of
 * alphapulse_writer (who may train) or a superuser.  The worker writes as
 * the owner of alphapulse.runs (no role may write it directly); sets
 * *owner.  Uses lookups that do not raise, as the caller is handling an
 * error.
 */
static bool
RunLogCallerEligible(Oid *owner)
{
	Oid			nsp = get_namespace_oid(AP_SCHEMA, true);
	Oid			rel = OidIsValid(nsp) ? get_relname_relid(AP_RUNS_TABLE, nsp) : InvalidOid;
	Oid			writer = get_role_oid(AP_WRITER_ROLE, true);
	HeapTuple	tup;

	if (!OidIsValid(rel))
		return false;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(rel));
	if (!HeapTupleIsValid(tup))
		return false;
	*owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return superuser() || (OidIsValid(writer) && has_privs_of_role(GetUserId(), writer));
}

/* The failed run, laid out in a DSM segment: fixed part then strings. */
typedef struct FailedRun
{
	Oid			dboid;
	Oid			roleoid;
	TimestampTz started;
	int			sqlstate;
	int			off[6];			/* symbol, feature_set, algorithm, mode, params, message */
	char		data[FLEXIBLE_ARRAY_MEMBER];
} FailedRun;

/* Hands the failed run to a worker and waits (bounded) until it has written it. */
void
LogFailedRun(const char *symbol, const char *feature_set, const char *algorithm,
			 const char *mode, const char *params, int sqlstate, const char *message,
			 TimestampTz started)
{
	const char *strs[6] = {symbol, feature_set, algorithm, mode, params, message};
	int			lens[6];
	Size		len = offsetof(FailedRun, data);
	dsm_segment *seg;
	FailedRun  *fr;
	BackgroundWorker w;
	BackgroundWorkerHandle *h;
	pid_t		pid;
	int			pos = 0;
	Oid			owner = InvalidOid;

	if (!RunLogCallerEligible(&owner))
	{
		elog(DEBUG1, "failed run not recorded: the role is not a member of %s", AP_WRITER_ROLE);
		return;
	}
	if (!RunLogTakeToken())
	{
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("failed run not recorded in alphapulse.runs"),
				 errdetail("More than %d failed runs per second (bursts of %d) were recorded.",
						   ap_run_log_rate, ap_run_log_rate * AP_RUN_LOG_BURST_SECONDS),
				 errhint("The limit is alphapulse.run_log_rate.")));
		return;
	}
	/*
	 * Arguments are the caller's and may be huge: names are clipped (a 10 MB
	 * symbol overflowed the runs index), params too long to clip as JSON are
	 * left out, the message is clipped; all at character boundaries.
	 */
	for (int i = 0; i < 6; i++)
	{
		const char *s = strs[i] ? strs[i] : "";
		int			n = (int) strlen(s);

		if (i == 4 && n > AP_RUN_LOG_MAX_TEXT)
			n = 0;
		else if (n > (i < 4 ? AP_RUN_LOG_MAX_NAME : AP_RUN_LOG_MAX_TEXT))
			n = pg_mbcliplen(s, n, i < 4 ? AP_RUN_LOG_MAX_NAME : AP_RUN_LOG_MAX_TEXT);
		lens[i] = n;
		len += n + 1;
	}
	seg = dsm_create(len, 0);
	fr = dsm_segment_address(seg);
	fr->dboid = MyDatabaseId;
	fr->roleoid = owner;		/* the worker writes as the table's owner */
	fr->started = started;
	fr->sqlstate = sqlstate;
	for (int i = 0; i < 6; i++)
	{
		fr->off[i] = pos;
		memcpy(fr->data + pos, strs[i] ? strs[i] : "", lens[i]);
		fr->data[pos + lens[i]] = '\0';
		pos += lens[i] + 1;
	}

	memset(&w, 0, sizeof(w));
	w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w.bgw_start_time = BgWorkerStart_RecoveryFinished;
	w.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(w.bgw_library_name, BGW_MAXLEN, "alphapulse");
	snprintf(w.bgw_function_name, BGW_MAXLEN, "ap_run_log_main");
	snprintf(w.bgw_name, BGW_MAXLEN, "alphapulse run log");
	snprintf(w.bgw_type, BGW_MAXLEN, "alphapulse run log");
	w.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	w.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&w, &h))
	{
		ereport(WARNING,
				(errmsg("could not record the failed run in alphapulse.runs"),
				 errhint("No background worker slot was free; raise max_worker_processes.")));
		dsm_detach(seg);
		return;
	}
	if (WaitForBackgroundWorkerStartup(h, &pid) == BGWH_STARTED)
	{
		/* bounded: never hang the caller on the log */
		for (int i = 0; i < 1000; i++)
		{
			if (GetBackgroundWorkerPid(h, &pid) == BGWH_STOPPED)
				break;
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10,
							 PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
	dsm_detach(seg);
}

PGDLLEXPORT void ap_run_log_main(Datum arg);

/* Worker entry: insert the failed run and exit. */
void
ap_run_log_main(Datum arg)
{
	dsm_segment *seg;
	FailedRun  *fr;
	Oid			t[8] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID};
	Datum		a[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

	BackgroundWorkerUnblockSignals();
	seg = dsm_attach(DatumGetUInt32(arg));
	if (seg == NULL)
		proc_exit(0);			/* the caller gave up waiting */
	fr = dsm_segment_address(seg);
	BackgroundWorkerInitializeConnectionByOid(fr->dboid, fr->roleoid, 0);

	for (int i = 0; i < 5; i++)
	{
		const char *s = fr->data + fr->off[i];

		a[i] = CStringGetTextDatum(s);
		if (*s == '\0')
			nulls[i] = 'n';
	}
	a[5] = CStringGetTextDatum(unpack_sql_state(fr->sqlstate));
	a[6] = CStringGetTextDatum(fr->data + fr->off[5]);
	a[7] = TimestampTzGetDatum(fr->started);

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	/* the role's own search_path (ALTER ROLE ... SET) must not resolve anything here */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_execute_with_args("INSERT INTO alphapulse.runs (symbol, feature_set, algorithm, mode, params, status, "
							  "sqlstate, message, started, duration_ms) "
							  "VALUES (COALESCE($1, ''), $2, $3, $4, $5::pg_catalog.jsonb, 'failed', $6, $7, $8, "
							  "pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) $8) "
							  "OPERATOR(pg_catalog.*) 1000)",
							  8, t, a, nulls, false, 0) != SPI_OK_INSERT)
		elog(WARNING, "recording the failed run failed");
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	dsm_detach(seg);
	proc_exit(0);
}
