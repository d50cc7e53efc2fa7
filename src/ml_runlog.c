/*
 * ml_runlog.c - records a failed ap_train in alphapulse.runs even though the
 * caller's transaction is about to abort: a short-lived background worker
 * inserts the row in its own transaction (an autonomous write).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "ml_util.h"

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
	Size		len = offsetof(FailedRun, data);
	dsm_segment *seg;
	FailedRun  *fr;
	BackgroundWorker w;
	BackgroundWorkerHandle *h;
	pid_t		pid;
	int			pos = 0;

	for (int i = 0; i < 6; i++)
		len += strlen(strs[i] ? strs[i] : "") + 1;
	seg = dsm_create(len, 0);
	fr = dsm_segment_address(seg);
	fr->dboid = MyDatabaseId;
	fr->roleoid = GetUserId();
	fr->started = started;
	fr->sqlstate = sqlstate;
	for (int i = 0; i < 6; i++)
	{
		const char *s = strs[i] ? strs[i] : "";

		fr->off[i] = pos;
		memcpy(fr->data + pos, s, strlen(s) + 1);
		pos += strlen(s) + 1;
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
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	SPI_execute_with_args("INSERT INTO alphapulse.runs (symbol, feature_set, algorithm, mode, params, status, "
						  "sqlstate, message, started, duration_ms) "
						  "VALUES (coalesce($1, ''), $2, $3, $4, $5::jsonb, 'failed', $6, $7, $8, "
						  "extract(epoch FROM clock_timestamp() - $8) * 1000)",
						  8, t, a, nulls, false, 0);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	dsm_detach(seg);
	proc_exit(0);
}
