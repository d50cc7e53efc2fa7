/*
 * ml_realtime.c - what happens when bars land or change: feature rows from a
 * corrected bar on are rebuilt and their signals re-scored, and the new bars
 * of a real-time symbol are scored by its champion and announced with
 * NOTIFY alphapulse_signals.  All of it runs in the statement's transaction.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "ml_featstate.h"
#include "ml_predict.h"
#include "ml_train.h"
#include "ml_util.h"

#define AP_SIGNALS_CHANNEL "alphapulse_signals"

/* Thresholds of a model: the symbol's real-time ones where set, else ap_score's defaults. */
typedef struct Thresholds
{
	double		buy;
	double		sell;
} Thresholds;

static void
DefaultThresholds(bool classification, Thresholds *t)
{
	t->buy = classification ? AP_SCORE_BUY_CLASSIFICATION : AP_SCORE_BUY_REGRESSION;
	t->sell = classification ? AP_SCORE_SELL_CLASSIFICATION : AP_SCORE_SELL_REGRESSION;
}

/*
 * The symbol's real-time row: false when it has none or it is disabled;
 * thresholds resolved against the model's task.
 */
static bool
RealtimeOf(const char *symbol, bool classification, Thresholds *t)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(symbol)};
	bool		enabled,
				isnull;
	Datum		d;

	DefaultThresholds(classification, t);
	if (SPI_execute_with_args("SELECT enabled, buy, sell FROM alphapulse.realtime "
							  "WHERE symbol OPERATOR(pg_catalog.=) $1",
							  1, types, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading alphapulse.realtime failed");
	if (SPI_processed == 0)
		return false;
	enabled = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	if (!isnull)
		t->buy = DatumGetFloat8(d);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull);
	if (!isnull)
		t->sell = DatumGetFloat8(d);
	return enabled;
}

/*
 * Scores the complete feature rows of the model's set with ts in [from, to]
 * (or, with only_new, the ts of the statement's new bars) and upserts the
 * signals; with notify, every signal written is announced.  Returns the rows.
 */
static int64
ScoreRows(const char *symbol, int64 model_id, TimestampTz from, TimestampTz to,
		  bool only_new, const Thresholds *th, bool notify)
{
	ApModelFacts f;
	Oid			types[4] = {TEXTOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		args[4];
	int			n;
	double	   *x,
			   *pred;
	Datum	   *ts,
			   *sc;
	Oid			wtypes[5] = {TEXTOID, INT8OID, TIMESTAMPTZARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID};
	Datum		w[5];
	Datum		thd[2] = {Float8GetDatum(th->buy), Float8GetDatum(th->sell)};
	TimestampTz *newts = NULL;
	int			nnew = 0;

	ApGetModelFacts(model_id, &f);
	args[0] = CStringGetTextDatum(symbol);
	args[1] = CStringGetTextDatum(f.feature_set);
	args[2] = TimestampTzGetDatum(from);
	args[3] = TimestampTzGetDatum(to);
	/*
	 * with only_new, the new bars' ts (sorted) select the rows of the range
	 * by a merge: a join with ap_new was planned as a nested loop over every
	 * row (the planner guesses one row in the range), quadratic in the bars
	 */
	if (only_new)
	{
		if (SPI_execute_with_args("SELECT DISTINCT n.ts FROM ap_new n WHERE n.symbol OPERATOR(pg_catalog.=) $1 "
								  "ORDER BY n.ts", 1, types, args, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "reading the new bars failed");
		nnew = (int) SPI_processed;
		newts = palloc(sizeof(TimestampTz) * (nnew + 1));
		for (int i = 0; i < nnew; i++)
		{
			bool		isnull;

			newts[i] = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		}
		SPI_freetuptable(SPI_tuptable);
	}
	if (SPI_execute_with_args("SELECT f.ts, f.x FROM alphapulse.features f "
							  "WHERE f.symbol OPERATOR(pg_catalog.=) $1 AND f.feature_set OPERATOR(pg_catalog.=) $2 "
							  "AND f.ts OPERATOR(pg_catalog.>=) $3 AND f.ts OPERATOR(pg_catalog.<=) $4 "
							  "AND pg_catalog.array_position(f.x, NULL) IS NULL ORDER BY f.ts",
							  4, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading feature rows to score failed");
	n = (int) SPI_processed;
	if (n == 0)
		return 0;
	x = palloc(sizeof(double) * ((size_t) n * f.p));
	pred = palloc(sizeof(double) * n);
	ts = palloc(sizeof(Datum) * n);
	sc = palloc(sizeof(Datum) * n);
	n = 0;						/* the rows kept */
	for (int r = 0, j = 0, i = 0; r < (int) SPI_processed; r++)
	{
		bool		isnull;
		ArrayType  *arr;
		Datum	   *el;
		int			m;

		ts[i] = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull);
		if (only_new)
		{
			while (j < nnew && newts[j] < DatumGetTimestampTz(ts[i]))
				j++;
			if (j == nnew || newts[j] != DatumGetTimestampTz(ts[i]))
				continue;
		}
		n = ++i;
		arr = DatumGetArrayTypeP(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull));
		deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &el, NULL, &m);
		if (m != f.p)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("model %lld takes %d features, the rows of \"%s\" have %d",
							(long long) model_id, f.p, f.feature_set, m)));
		for (int k = 0; k < m; k++)
			x[(size_t) (i - 1) * f.p + k] = DatumGetFloat8(el[k]);
	}
	SPI_freetuptable(SPI_tuptable);
	if (n == 0)
		return 0;
	ApPredictModelRows(model_id, x, n, f.p, pred);
	for (int i = 0; i < n; i++)
		sc[i] = Float8GetDatum(pred[i]);
	w[0] = CStringGetTextDatum(symbol);
	w[1] = Int64GetDatum(model_id);
	w[2] = PointerGetDatum(construct_array(ts, n, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	w[3] = PointerGetDatum(construct_array(sc, n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	w[4] = PointerGetDatum(construct_array(thd, 2, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	ApLockRows(AP_SIGNALS_TABLE, symbol, (uint32) (model_id ^ (model_id >> 32)));
	/* the payload's score is the float8 text (shortest exact), so it reads back equal */
	if (SPI_execute_with_args(psprintf("WITH w AS (INSERT INTO alphapulse.signals AS g (symbol, ts, model_id, score, signal) "
									   "SELECT $1, u.ts, $2, u.score, CASE WHEN u.score OPERATOR(pg_catalog.>) $5[1] THEN 'BUY' "
									   "WHEN u.score OPERATOR(pg_catalog.<) $5[2] THEN 'SELL' ELSE 'HOLD' END "
									   "FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u(ts, score) "
									   "ON CONFLICT (symbol, ts, model_id) DO UPDATE SET score = excluded.score, "
									   "signal = excluded.signal, created = pg_catalog.now() "
									   "RETURNING g.symbol, g.ts, g.model_id, g.score, g.signal) "
									   "%s",
									   notify ?
									   "SELECT pg_catalog.pg_notify('" AP_SIGNALS_CHANNEL "', pg_catalog.jsonb_build_object("
									   "'symbol', w.symbol, 'ts', w.ts, 'model_id', w.model_id, "
									   "'score', w.score, 'signal', w.signal)::pg_catalog.text) FROM w ORDER BY w.ts" :
									   "SELECT pg_catalog.count(*) FROM w"),
							  5, wtypes, w, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "writing signals failed");
	return n;
}

/*
 * Of a real-time symbol, the re-scored signals of a model whose score or
 * signal differs from before the correction (old: the deleted ones' ts,
 * score and signal arrays) are announced like new ones: a listener's copy
 * of them would be stale otherwise.
 */
static void
AnnounceRescored(const char *symbol, int64 model_id, TimestampTz from, TimestampTz to, const Datum *old)
{
	Oid			types[7] = {TEXTOID, INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID,
	TIMESTAMPTZARRAYOID, FLOAT8ARRAYOID, TEXTARRAYOID};
	Datum		args[7] = {CStringGetTextDatum(symbol), Int64GetDatum(model_id), TimestampTzGetDatum(from),
	TimestampTzGetDatum(to), old[0], old[1], old[2]};

	if (SPI_execute_with_args("SELECT pg_catalog.pg_notify('" AP_SIGNALS_CHANNEL "', pg_catalog.jsonb_build_object("
							  "'symbol', s.symbol, 'ts', s.ts, 'model_id', s.model_id, 'score', s.score, "
							  "'signal', s.signal)::pg_catalog.text) "
							  "FROM alphapulse.signals s LEFT JOIN ROWS FROM (pg_catalog.unnest($5), pg_catalog.unnest($6), "
							  "pg_catalog.unnest($7)) AS o(ts, score, signal) ON o.ts OPERATOR(pg_catalog.=) s.ts "
							  "WHERE s.symbol OPERATOR(pg_catalog.=) $1 AND s.model_id OPERATOR(pg_catalog.=) $2 "
							  "AND s.ts OPERATOR(pg_catalog.>=) $3 AND s.ts OPERATOR(pg_catalog.<=) $4 "
							  "AND (o.ts IS NULL OR o.score IS DISTINCT FROM s.score OR o.signal IS DISTINCT FROM s.signal) "
							  "ORDER BY s.ts",
							  7, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "announcing re-scored signals failed");
}

/*
 * Signals of the symbol's models on the set's rows from ts on were scored on
 * bars that changed: each such model scores the rebuilt rows again, over the
 * same span, and signals on rows that are gone go.
 */
static void
RescoreFrom(const char *symbol, const char *setname, TimestampTz from)
{
	Oid			types[3] = {TEXTOID, TEXTOID, TIMESTAMPTZOID};
	Datum		args[3] = {CStringGetTextDatum(symbol), CStringGetTextDatum(setname), TimestampTzGetDatum(from)};
	int			n;
	int64	   *models;
	TimestampTz *upto;
	Datum	   *old;

	if (SPI_execute_with_args("WITH d AS (DELETE FROM alphapulse.signals s USING alphapulse.models m "
							  "WHERE m.id OPERATOR(pg_catalog.=) s.model_id AND m.feature_set OPERATOR(pg_catalog.=) $2 "
							  "AND s.symbol OPERATOR(pg_catalog.=) $1 AND s.ts OPERATOR(pg_catalog.>=) $3 "
							  "RETURNING s.model_id, s.ts, s.score, s.signal) "
							  "SELECT d.model_id, pg_catalog.max(d.ts), pg_catalog.array_agg(d.ts), "
							  "pg_catalog.array_agg(d.score), pg_catalog.array_agg(d.signal) "
							  "FROM d GROUP BY d.model_id ORDER BY d.model_id",
							  3, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "deleting signals to re-score failed");
	n = (int) SPI_processed;
	models = palloc(sizeof(int64) * (n + 1));
	upto = palloc(sizeof(TimestampTz) * (n + 1));
	old = palloc(sizeof(Datum) * 3 * (n + 1));
	for (int i = 0; i < n; i++)
	{
		bool		isnull;

		models[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		upto[i] = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
		for (int k = 0; k < 3; k++)
			old[i * 3 + k] = PointerGetDatum(DatumGetArrayTypePCopy(
				SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3 + k, &isnull)));
	}
	for (int i = 0; i < n; i++)
	{
		ApModelFacts f;
		Thresholds	th;
		bool		realtime;

		ApGetModelFacts(models[i], &f);
		realtime = RealtimeOf(symbol, f.classification, &th);
		if (!realtime)
			DefaultThresholds(f.classification, &th);
		ScoreRows(symbol, models[i], from, upto[i], false, &th, false);
		if (realtime)
			AnnounceRescored(symbol, models[i], from, upto[i], &old[i * 3]);
	}
}

/* The feature sets with rows of the symbol at or after ts (their rows are stale). */
static List *
StaleSets(const char *symbol, TimestampTz ts)
{
	Oid			types[2] = {TEXTOID, TIMESTAMPTZOID};
	Datum		args[2] = {CStringGetTextDatum(symbol), TimestampTzGetDatum(ts)};
	List	   *sets = NIL;

	if (SPI_execute_with_args("SELECT s.name FROM alphapulse.feature_sets s WHERE EXISTS "
							  "(SELECT FROM alphapulse.features f WHERE f.symbol OPERATOR(pg_catalog.=) $1 "
							  "AND f.feature_set OPERATOR(pg_catalog.=) s.name AND f.ts OPERATOR(pg_catalog.>=) $2) "
							  "ORDER BY s.name",
							  2, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading feature sets failed");
	for (uint64 i = 0; i < SPI_processed; i++)
		sets = lappend(sets, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	return sets;
}

/*
 * Waits for the open builds of the symbols' sets: a build not yet committed
 * read the bars before this statement changed them, and StaleSets must see
 * its rows to rebuild them.  Each (symbol, set) lock is held to the commit,
 * so past AP_CHANGE_LOCKS of them one lock over every build is taken instead
 * (the lock table is shared and small).
 */
#define AP_CHANGE_LOCKS 64

static void
LockChangedBuilds(char **symbols, int n)
{
	uint64		nsets;

	if (SPI_execute("SELECT name FROM alphapulse.feature_sets ORDER BY name", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading feature sets failed");
	nsets = SPI_processed;
	if ((uint64) n * nsets > AP_CHANGE_LOCKS)
	{
		(void) ApLockAllBuilds(true);
		return;
	}
	if (ApLockAllBuilds(false))
		return;
	for (int i = 0; i < n; i++)
		for (uint64 j = 0; j < nsets; j++)
		{
			char	   *name = SPI_getvalue(SPI_tuptable->vals[j], SPI_tuptable->tupdesc, 1);

			ApLockRows(AP_FEATURES_TABLE, symbols[i], hash_bytes((const unsigned char *) name, strlen(name)));
		}
}

/* Drops the symbol's rows from ts on in every set and their signals (no stale row survives a failed rebuild). */
static void
DropStale(const char *symbol, TimestampTz ts)
{
	Oid			types[2] = {TEXTOID, TIMESTAMPTZOID};
	Datum		args[2] = {CStringGetTextDatum(symbol), TimestampTzGetDatum(ts)};

	if (SPI_execute_with_args("DELETE FROM alphapulse.features WHERE symbol OPERATOR(pg_catalog.=) $1 "
							  "AND ts OPERATOR(pg_catalog.>=) $2", 2, types, args, NULL, false, 0) != SPI_OK_DELETE ||
		SPI_execute_with_args("DELETE FROM alphapulse.signals WHERE symbol OPERATOR(pg_catalog.=) $1 "
							  "AND ts OPERATOR(pg_catalog.>=) $2", 2, types, args, NULL, false, 0) != SPI_OK_DELETE ||
		SPI_execute_with_args("DELETE FROM alphapulse.feature_state WHERE symbol OPERATOR(pg_catalog.=) $1",
							  1, types, args, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "dropping stale feature rows failed");
}

/* Records a real-time failure on the symbol's row (cleared by the next success). */
static void
NoteFailure(const char *symbol, const char *message)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		args[2] = {CStringGetTextDatum(symbol), CStringGetTextDatum(message ? message : "")};

	if (SPI_execute_with_args("UPDATE alphapulse.realtime SET last_error = $2, last_error_at = pg_catalog.now() "
							  "WHERE symbol OPERATOR(pg_catalog.=) $1",
							  2, types, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "recording a real-time failure failed");
}

typedef enum ChangeWork
{
	WORK_REBUILD,				/* rebuild the stale sets from ts and re-score */
	WORK_SCORE					/* score the new bars of a real-time symbol */
} ChangeWork;

/* One step of a symbol's work; errors propagate. */
static void
DoWork(ChangeWork work, const char *symbol, TimestampTz first, TimestampTz last)
{
	if (work == WORK_REBUILD)
	{
		ListCell   *lc;

		foreach(lc, StaleSets(symbol, first))
		{
			const char *setname = lfirst(lc);

			(void) ApBuildFeatures(symbol, setname, first);
			RescoreFrom(symbol, setname, first);
		}
	}
	else
	{
		int64		model_id = ApChampionModel(symbol);
		ApModelFacts f;
		Thresholds	th;

		ApGetModelFacts(model_id, &f);
		if (!RealtimeOf(symbol, f.classification, &th))
			return;
		(void) ApBuildFeatures(symbol, f.feature_set, DT_NOEND);
		(void) ScoreRows(symbol, model_id, first, last, true, &th, true);
		if (SPI_execute_with_args("UPDATE alphapulse.realtime SET last_error = NULL, last_error_at = NULL "
								  "WHERE symbol OPERATOR(pg_catalog.=) $1 AND last_error IS NOT NULL",
								  1, (Oid[]) {TEXTOID}, (Datum[]) {CStringGetTextDatum(symbol)},
								  NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "clearing a real-time failure failed");
	}
}

/*
 * Runs one step in a subtransaction: a failure is logged (WARNING, and on the
 * real-time row) and never takes the bars with it.  A failed rebuild drops
 * the stale rows instead, so nothing stale is left; the next build redoes them.
 */
static void
TryWork(ChangeWork work, const char *symbol, TimestampTz first, TimestampTz last)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		DoWork(work, symbol, first, last);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
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
		/*
		 * a cancel or shutdown is the statement's, not the step's; so is a
		 * serialization failure or deadlock: the transaction's snapshot
		 * misses a concurrent writer's bars, and only a retry of the whole
		 * transaction builds and scores its bars (else they stay unscored)
		 */
		if (ed->sqlerrcode == ERRCODE_QUERY_CANCELED || ed->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN ||
			ed->sqlerrcode == ERRCODE_T_R_SERIALIZATION_FAILURE || ed->sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED)
			ReThrowError(ed);
		ereport(WARNING,
				(errcode(ed->sqlerrcode),
				 errmsg("%s of symbol \"%s\" failed: %s",
						work == WORK_REBUILD ? "rebuilding the features" : "real-time scoring",
						ApClip(symbol), ed->message),
				 ed->detail ? errdetail_internal("%s", ed->detail) : 0,
				 errhint(work == WORK_REBUILD ?
						 "The rows from the changed bar on were dropped; ap_build_features builds them again." :
						 "The bars are kept; ap_score scores them once the cause is fixed.")));
		if (work == WORK_REBUILD)
			DropStale(symbol, first);
		else
			NoteFailure(symbol, ed->message);
	}
	PG_END_TRY();
}

/*
 * The symbols a statement touched, with the first and last ts of the bars it
 * inserted, changed (old and new versions) or deleted; an update that
 * rewrote a bar with the same values is no change.
 */
static const char *
ChangedBarsQuery(bool has_old, bool has_new)
{
	if (has_old && has_new)
		return "SELECT c.symbol, pg_catalog.min(c.ts), pg_catalog.max(c.ts) FROM ("
			"SELECT n.symbol, n.ts FROM ap_new n LEFT JOIN ap_old o ON o.symbol OPERATOR(pg_catalog.=) n.symbol "
			"AND o.ts OPERATOR(pg_catalog.=) n.ts AND o.open OPERATOR(pg_catalog.=) n.open "
			"AND o.high OPERATOR(pg_catalog.=) n.high AND o.low OPERATOR(pg_catalog.=) n.low "
			"AND o.close OPERATOR(pg_catalog.=) n.close AND o.volume OPERATOR(pg_catalog.=) n.volume "
			"WHERE o.symbol IS NULL UNION ALL "
			"SELECT o.symbol, o.ts FROM ap_old o LEFT JOIN ap_new n ON o.symbol OPERATOR(pg_catalog.=) n.symbol "
			"AND o.ts OPERATOR(pg_catalog.=) n.ts AND o.open OPERATOR(pg_catalog.=) n.open "
			"AND o.high OPERATOR(pg_catalog.=) n.high AND o.low OPERATOR(pg_catalog.=) n.low "
			"AND o.close OPERATOR(pg_catalog.=) n.close AND o.volume OPERATOR(pg_catalog.=) n.volume "
			"WHERE n.symbol IS NULL) c GROUP BY c.symbol ORDER BY c.symbol";
	return has_new ?
		"SELECT n.symbol, pg_catalog.min(n.ts), pg_catalog.max(n.ts) FROM ap_new n GROUP BY n.symbol ORDER BY n.symbol" :
		"SELECT o.symbol, pg_catalog.min(o.ts), pg_catalog.max(o.ts) FROM ap_old o GROUP BY o.symbol ORDER BY o.symbol";
}

/* True when the symbol is enabled in alphapulse.realtime. */
static bool
IsRealtime(const char *symbol)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(symbol)};

	if (SPI_execute_with_args("SELECT 1 FROM alphapulse.realtime WHERE symbol OPERATOR(pg_catalog.=) $1 AND enabled",
							  1, types, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading alphapulse.realtime failed");
	return SPI_processed > 0;
}

/* TRUNCATE took every bar: every feature row, state and signal is stale. */
static void
BarsTruncated(void)
{
	if (SPI_execute("DELETE FROM alphapulse.features", false, 0) != SPI_OK_DELETE ||
		SPI_execute("DELETE FROM alphapulse.feature_state", false, 0) != SPI_OK_DELETE ||
		SPI_execute("DELETE FROM alphapulse.signals", false, 0) != SPI_OK_DELETE)
		elog(ERROR, "clearing features after TRUNCATE failed");
}

PG_FUNCTION_INFO_V1(ap_bars_changed);

/*
 * AFTER ... FOR EACH STATEMENT on alphapulse.bars (transition tables ap_old,
 * ap_new): per symbol touched, the feature sets whose rows reach the first
 * changed bar are rebuilt from it and re-scored; then, for a real-time
 * symbol, the new bars are scored by the champion and announced.
 */
Datum
ap_bars_changed(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	int			n;
	char	  **symbols;
	TimestampTz *first,
			   *last;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) ||
		!TRIGGER_FIRED_AFTER(td->tg_event))
		elog(ERROR, "ap_bars_changed must run as an AFTER ... FOR EACH STATEMENT trigger");
	SPI_connect();
	if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
	{
		BarsTruncated();
		SPI_finish();
		return PointerGetDatum(NULL);
	}
	if (SPI_register_trigger_data(td) != SPI_OK_TD_REGISTER)
		elog(ERROR, "registering the transition tables failed");
	if (SPI_execute(ChangedBarsQuery(td->tg_oldtable != NULL, td->tg_newtable != NULL), false, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading the changed bars failed");
	n = (int) SPI_processed;
	symbols = palloc(sizeof(char *) * (n + 1));
	first = palloc(sizeof(TimestampTz) * (n + 1));
	last = palloc(sizeof(TimestampTz) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		bool		isnull;

		symbols[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		first[i] = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
		last[i] = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3, &isnull));
	}
	LockChangedBuilds(symbols, n);
	for (int i = 0; i < n; i++)
	{
		if (StaleSets(symbols[i], first[i]) != NIL)
			TryWork(WORK_REBUILD, symbols[i], first[i], last[i]);
		if (td->tg_newtable != NULL && IsRealtime(symbols[i]))
			TryWork(WORK_SCORE, symbols[i], first[i], last[i]);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_finish();
	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(ap_realtime);

/*
 * Turns scoring on arrival on or off for a symbol.  Enabling needs a champion
 * and thresholds in order (NULL: ap_score's defaults for its task), and
 * builds its feature set now so the next bar costs one streaming step.
 */
Datum
ap_realtime(PG_FUNCTION_ARGS)
{
	char	   *symbol;
	bool		enabled = PG_ARGISNULL(1) ? true : PG_GETARG_BOOL(1);
	Thresholds	th;
	Oid			types[4] = {TEXTOID, BOOLOID, FLOAT8OID, FLOAT8OID};
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("symbol must not be null")));
	symbol = text_to_cstring(PG_GETARG_TEXT_PP(0));
	for (int i = 2; i <= 3; i++)
		if (!PG_ARGISNULL(i) && !isfinite(PG_GETARG_FLOAT8(i)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s threshold must be a finite number", i == 2 ? "buy" : "sell")));
	SPI_connect();
	CheckSymbol(symbol);
	if (enabled)
	{
		int64		model_id = ApChampionModel(symbol);
		ApModelFacts f;

		ApGetModelFacts(model_id, &f);
		DefaultThresholds(f.classification, &th);
		if (!PG_ARGISNULL(2))
			th.buy = PG_GETARG_FLOAT8(2);
		if (!PG_ARGISNULL(3))
			th.sell = PG_GETARG_FLOAT8(3);
		if (!(th.sell <= th.buy))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sell threshold must not be above the buy threshold"),
					 errdetail("buy was %g, sell %g.", th.buy, th.sell)));
		(void) ApBuildFeatures(symbol, f.feature_set, DT_NOEND);
	}
	args[0] = CStringGetTextDatum(symbol);
	args[1] = BoolGetDatum(enabled);
	args[2] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	args[3] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	nulls[2] = PG_ARGISNULL(2) ? 'n' : ' ';
	nulls[3] = PG_ARGISNULL(3) ? 'n' : ' ';
	if (SPI_execute_with_args("INSERT INTO alphapulse.realtime AS r (symbol, enabled, buy, sell) VALUES ($1, $2, $3, $4) "
							  "ON CONFLICT (symbol) DO UPDATE SET enabled = excluded.enabled, buy = excluded.buy, "
							  "sell = excluded.sell, last_error = NULL, last_error_at = NULL, updated = pg_catalog.now()",
							  4, types, args, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "writing alphapulse.realtime failed");
	SPI_finish();
	PG_RETURN_BOOL(enabled);
}
