/*
 * ml_progress.c - one shared-memory slot per backend holding the progress of its
 * current long AlphaPulse call, the SQL view's row source, and NOTICE lines.
 * Without shared_preload_libraries there is no shared slot: the view is empty and
 * the NOTICE lines still work.
 */
#include "postgres.h"

#include "access/xact.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/backendid.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "ml_progress.h"

typedef struct ProgressSlot
{
	slock_t		mutex;
	int			pid;			/* 0: no call in progress */
	Oid			dbid;
	Oid			userid;
	char		function[AP_PROGRESS_NAME_LEN];
	char		symbol[AP_PROGRESS_NAME_LEN];
	char		phase[AP_PROGRESS_NAME_LEN];
	int64		step;
	int64		steps;
	int64		rows;
	TimestampTz started;
} ProgressSlot;

typedef struct ProgressShared
{
	int			nslots;
	ProgressSlot slots[FLEXIBLE_ARRAY_MEMBER];
} ProgressShared;

bool		ap_progress_notices = AP_DEFAULT_PROGRESS_NOTICES;

static ProgressShared *progress_shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* this backend's current call: its copy of the slot, nesting and notice clock */
static ProgressSlot progress_local;
static int	progress_depth = 0;
static int	progress_nest_level = 0;
static TimestampTz progress_last_notice = 0;
static bool progress_callbacks = false;

static Size
ProgressShmemSize(void)
{
	return add_size(offsetof(ProgressShared, slots), mul_size(MaxBackends, sizeof(ProgressSlot)));
}

static void
ProgressShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(ProgressShmemSize()));
}

static void
ProgressShmemStartup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	progress_shared = ShmemInitStruct("alphapulse progress", ProgressShmemSize(), &found);
	if (!found)
	{
		progress_shared->nslots = MaxBackends;
		for (int i = 0; i < MaxBackends; i++)
		{
			SpinLockInit(&progress_shared->slots[i].mutex);
			progress_shared->slots[i].pid = 0;
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

void
ProgressInit(void)
{
	DefineCustomBoolVariable("alphapulse.progress_notices",
							 "Long AlphaPulse calls report their progress as NOTICE lines (at most one a second).",
							 "The lines reach the client when client_min_messages lets NOTICE through.",
							 &ap_progress_notices, AP_DEFAULT_PROGRESS_NOTICES,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = ProgressShmemRequest;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = ProgressShmemStartup;
}

/* this backend's slot, or NULL when there is no shared memory for it */
static ProgressSlot *
MySlot(void)
{
	if (progress_shared == NULL || MyBackendId == InvalidBackendId ||
		MyBackendId > progress_shared->nslots)
		return NULL;
	return &progress_shared->slots[MyBackendId - 1];
}

static void
Publish(void)
{
	ProgressSlot *slot = MySlot();

	if (slot == NULL)
		return;
	SpinLockAcquire(&slot->mutex);
	slot->pid = progress_depth > 0 ? MyProcPid : 0;
	slot->dbid = progress_local.dbid;
	slot->userid = progress_local.userid;
	memcpy(slot->function, progress_local.function, AP_PROGRESS_NAME_LEN);
	memcpy(slot->symbol, progress_local.symbol, AP_PROGRESS_NAME_LEN);
	memcpy(slot->phase, progress_local.phase, AP_PROGRESS_NAME_LEN);
	slot->step = progress_local.step;
	slot->steps = progress_local.steps;
	slot->rows = progress_local.rows;
	slot->started = progress_local.started;
	SpinLockRelease(&slot->mutex);
}

static void
Clear(void)
{
	progress_depth = 0;
	Publish();
}

static void
ProgressXactCallback(XactEvent event, void *arg)
{
	if (progress_depth > 0 &&
		(event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		 event == XACT_EVENT_COMMIT || event == XACT_EVENT_PREPARE))
		Clear();
}

static void
ProgressSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	/* the aborted subtransaction is at the current nesting level */
	if (event == SUBXACT_EVENT_ABORT_SUB && progress_depth > 0 &&
		progress_nest_level >= GetCurrentTransactionNestLevel())
		Clear();
}

static void
ProgressAtExit(int code, Datum arg)
{
	if (progress_depth > 0)
		Clear();
}

/* estimated time left from the share of steps done, or -1 when unknown */
static double
RemainingSeconds(const ProgressSlot *s, double elapsed)
{
	if (s->steps <= 0 || s->step <= 0 || s->step > s->steps)
		return -1;
	return elapsed * (double) (s->steps - s->step) / (double) s->step;
}

static void
MaybeNotice(void)
{
	TimestampTz now;
	double		elapsed,
				left;

	if (!ap_progress_notices || !message_level_is_interesting(NOTICE))
		return;
	now = GetCurrentTimestamp();
	if (!TimestampDifferenceExceeds(progress_local.started, now, AP_PROGRESS_NOTICE_MS) ||
		!TimestampDifferenceExceeds(progress_last_notice, now, AP_PROGRESS_NOTICE_MS))
		return;
	progress_last_notice = now;
	elapsed = (double) (now - progress_local.started) / USECS_PER_SEC;
	left = RemainingSeconds(&progress_local, elapsed);
	ereport(NOTICE,
			(errmsg("%s(%s): %s%s, step " INT64_FORMAT " of " INT64_FORMAT ", " INT64_FORMAT " rows, %.1f s elapsed%s",
					progress_local.function, progress_local.symbol,
					progress_local.phase[0] ? "phase " : "", progress_local.phase,
					progress_local.step, progress_local.steps, progress_local.rows, elapsed,
					left >= 0 ? psprintf(", about %.1f s left", left) : "")));
}

void
ApProgressBegin(const char *function, const char *symbol, int64 steps)
{
	if (progress_depth++ > 0)
		return;
	if (!progress_callbacks)
	{
		RegisterXactCallback(ProgressXactCallback, NULL);
		RegisterSubXactCallback(ProgressSubXactCallback, NULL);
		before_shmem_exit(ProgressAtExit, (Datum) 0);
		progress_callbacks = true;
	}
	memset(&progress_local, 0, sizeof(progress_local));
	progress_local.dbid = MyDatabaseId;
	progress_local.userid = GetUserId();
	strlcpy(progress_local.function, function, AP_PROGRESS_NAME_LEN);
	strlcpy(progress_local.symbol, symbol ? symbol : "", AP_PROGRESS_NAME_LEN);
	progress_local.steps = steps;
	progress_local.started = GetCurrentTimestamp();
	progress_last_notice = 0;
	progress_nest_level = GetCurrentTransactionNestLevel();
	Publish();
}

void
ApProgressPhase(const char *phase, int64 step, int64 steps)
{
	/* a nested call (ap_train building features) leaves the outer report alone */
	if (progress_depth != 1)
		return;
	strlcpy(progress_local.phase, phase, AP_PROGRESS_NAME_LEN);
	progress_local.step = step;
	if (steps > 0)
		progress_local.steps = steps;
	Publish();
	MaybeNotice();
}

void
ApProgressStep(int64 step)
{
	/* a nested call (ap_train building features) leaves the outer report alone */
	if (progress_depth != 1)
		return;
	progress_local.step = step;
	Publish();
	MaybeNotice();
}

void
ApProgressRows(int64 rows)
{
	/* a nested call (ap_train building features) leaves the outer report alone */
	if (progress_depth != 1)
		return;
	progress_local.rows = rows;
	Publish();
	MaybeNotice();
}

void
ApProgressEnd(void)
{
	if (progress_depth == 0 || --progress_depth > 0)
		return;
	Publish();
}

PG_FUNCTION_INFO_V1(ap_progress);

/* The rows of alphapulse.progress: every call in progress in this database. */
Datum
ap_progress(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TimestampTz now = GetCurrentTimestamp();

	InitMaterializedSRF(fcinfo, 0);
	if (progress_shared == NULL)
		return (Datum) 0;
	for (int i = 0; i < progress_shared->nslots; i++)
	{
		ProgressSlot s;
		Datum		values[11];
		bool		nulls[11] = {0};
		double		elapsed,
					left;

		SpinLockAcquire(&progress_shared->slots[i].mutex);
		s = progress_shared->slots[i];
		SpinLockRelease(&progress_shared->slots[i].mutex);
		if (s.pid == 0 || s.dbid != MyDatabaseId)
			continue;
		elapsed = (double) (now - s.started) / USECS_PER_SEC;
		left = RemainingSeconds(&s, elapsed);
		values[0] = Int32GetDatum(s.pid);
		values[1] = ObjectIdGetDatum(s.userid);
		values[2] = CStringGetTextDatum(s.symbol);
		values[3] = CStringGetTextDatum(s.function);
		values[4] = CStringGetTextDatum(s.phase);
		nulls[4] = s.phase[0] == '\0';
		values[5] = Int64GetDatum(s.step);
		values[6] = Int64GetDatum(s.steps);
		nulls[6] = s.steps <= 0;
		values[7] = Int64GetDatum(s.rows);
		values[8] = TimestampTzGetDatum(s.started);
		values[9] = Float8GetDatum(elapsed);
		values[10] = Float8GetDatum(left);
		nulls[10] = left < 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
