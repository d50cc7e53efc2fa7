/*
 * ml_evaluate.c - ap_evaluate: the champion and its challengers scored on one
 * out-of-time window, the policy metric's difference with a paired block
 * bootstrap interval (ml_bootstrap.c), the verdict of the symbol's promotion
 * policy, and the model event log (alphapulse.model_events).
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "ml_bootstrap.h"
#include "ml_json.h"
#include "ml_model.h"
#include "ml_progress.h"
#include "ml_seal.h"
#include "ml_predict.h"
#include "ml_train.h"
#include "ml_trainer.h"
#include "ml_util.h"

/*
 * Limits of an evaluation, checked by alphapulse.promotion_policies' trigger
 * through alphapulse.evaluation_limits(): the fewest rows of any window (the
 * policy's min_rows may ask for more) and the bootstrap's resample count.
 */
#define AP_EVAL_MIN_ROWS 30
#define AP_EVAL_MIN_RESAMPLES 100
#define AP_EVAL_MAX_RESAMPLES 100000

/* A model as ap_evaluate needs it. */
typedef struct EvalModel
{
	int64		id;
	int			version;
	char	   *symbol;
	char	   *feature_set;
	char	   *stage;
	bool		classification;
	int			horizon;
	TimestampTz train_to;
	TimestampTz holdout_from;
} EvalModel;

/* The promotion policy in effect (alphapulse.promotion_policy). */
typedef struct EvalPolicy
{
	char	   *metric;			/* NULL: the task's loss */
	double		min_improvement;
	int			min_rows;
	double		confidence;
	bool		automatic;
	int			block_length;	/* 0: BootDefaultBlock */
	int			resamples;
	int64		seed;
	double		fee;
	Jsonb	   *json;
} EvalPolicy;

/* One challenger's evaluation, before it is stored. */
typedef struct EvalResult
{
	EvalModel	challenger;
	TimestampTz from,
				to;
	int			rows;
	BootMetric	metric;
	Jsonb	   *champion_metrics,
			   *challenger_metrics;
	double		difference,
				ci_low,
				ci_high,
				improvement;	/* difference in the better direction */
	int			block;
	bool		passes;
	char	   *verdict;
	char	   *reason;
	int64		id;
} EvalResult;

/* The role that asked: the session's current role, outside any SECURITY DEFINER. */
static char *
AskingUser(void)
{
	return GetUserNameFromId(GetOuterUserId(), false);
}

/* Appends one model event as the registry's owner; SPI must be connected. */
int64
ApLogModelEvent(const char *symbol, int64 model_id, const char *event, const char *reason,
				Jsonb *details)
{
	Oid			t[6] = {TEXTOID, INT8OID, TEXTOID, TEXTOID, JSONBOID, TEXTOID};
	Datum		a[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	bool		isnull;

	a[0] = CStringGetTextDatum(symbol);
	a[1] = Int64GetDatum(model_id);
	a[2] = CStringGetTextDatum(event);
	if (reason)
		a[3] = CStringGetTextDatum(reason);
	else
		nulls[3] = 'n';
	if (details)
		a[4] = JsonbPGetDatum(details);
	else
		a[4] = DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));
	a[5] = CStringGetTextDatum(AskingUser());
	if (ApExecuteAsModelsOwner("INSERT INTO alphapulse.model_events (symbol, model_id, event, reason, details, by_user) "
							   "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
							   6, t, a, nulls, 0) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "logging the model event failed");
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

PG_FUNCTION_INFO_V1(ap_log_model_event);

/* alphapulse.log_model_event(symbol, model_id, event, reason, details): SQL entry of ApLogModelEvent. */
Datum
ap_log_model_event(PG_FUNCTION_ARGS)
{
	int64		id;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a model event needs a symbol and an event")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	id = ApLogModelEvent(text_to_cstring(PG_GETARG_TEXT_PP(0)),
						 PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1),
						 text_to_cstring(PG_GETARG_TEXT_PP(2)),
						 PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3)),
						 PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4));
	SPI_finish();
	PG_RETURN_INT64(id);
}

static char *
ColText(HeapTuple tup, TupleDesc td, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, td, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

#define EVAL_MODEL_COLUMNS \
	"m.id, m.version, m.symbol, m.feature_set, m.stage, m.task, s.horizon, m.train_to, m.holdout_from " \
	"FROM alphapulse.models m JOIN alphapulse.feature_sets s ON s.name OPERATOR(pg_catalog.=) m.feature_set "

static void
ReadEvalModel(HeapTuple tup, TupleDesc td, EvalModel *m)
{
	bool		isnull;

	m->id = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
	m->version = DatumGetInt32(SPI_getbinval(tup, td, 2, &isnull));
	m->symbol = ColText(tup, td, 3);
	m->feature_set = ColText(tup, td, 4);
	m->stage = ColText(tup, td, 5);
	m->classification = strcmp(ColText(tup, td, 6), "classification") == 0;
	m->horizon = DatumGetInt32(SPI_getbinval(tup, td, 7, &isnull));
	m->train_to = DatumGetTimestampTz(SPI_getbinval(tup, td, 8, &isnull));
	m->holdout_from = DatumGetTimestampTz(SPI_getbinval(tup, td, 9, &isnull));
}

/* The symbol's champion; an error when it has none. */
static void
ReadChampion(const char *symbol, EvalModel *m)
{
	Oid			t[1] = {TEXTOID};
	Datum		a[1] = {CStringGetTextDatum(symbol)};

	if (SPI_execute_with_args("SELECT " EVAL_MODEL_COLUMNS
							  "WHERE m.symbol OPERATOR(pg_catalog.=) $1 AND m.stage OPERATOR(pg_catalog.=) 'champion'",
							  1, t, a, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading the champion failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("symbol \"%s\" has no champion model", ApClip(symbol)),
				 errhint("Train one with ap_train('%s').", ApClip(symbol))));
	ReadEvalModel(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, m);
}

/*
 * The challengers: the one asked for (of this symbol, not the champion), or
 * every challenger newer than the champion, oldest first.
 */
static EvalModel *
ReadChallengers(const char *symbol, const EvalModel *champ, bool given, int64 id, int *n)
{
	Oid			t[2] = {TEXTOID, INT4OID};
	Datum		a[2] = {CStringGetTextDatum(symbol), Int32GetDatum(champ->version)};
	EvalModel  *out;

	if (given)
	{
		Oid			ti[1] = {INT8OID};
		Datum		ai[1] = {Int64GetDatum(id)};

		if (SPI_execute_with_args("SELECT " EVAL_MODEL_COLUMNS "WHERE m.id OPERATOR(pg_catalog.=) $1",
								  1, ti, ai, NULL, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "reading the challenger failed");
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("model %lld does not exist", (long long) id)));
		out = palloc(sizeof(EvalModel));
		ReadEvalModel(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, out);
		if (strcmp(out->symbol, symbol) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model %lld is a model of \"%s\", not of \"%s\"", (long long) id,
							ApClip(out->symbol), ApClip(symbol)),
					 errhint("Evaluate it with ap_evaluate('%s', %lld).", ApClip(out->symbol), (long long) id)));
		if (out->id == champ->id)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model %lld is the champion of \"%s\"", (long long) id, ApClip(symbol)),
					 errhint("Pass a challenger, or NULL for every challenger newer than the champion.")));
		*n = 1;
		return out;
	}
	if (SPI_execute_with_args("SELECT " EVAL_MODEL_COLUMNS
							  "WHERE m.symbol OPERATOR(pg_catalog.=) $1 AND m.stage OPERATOR(pg_catalog.=) 'challenger' "
							  "AND m.version OPERATOR(pg_catalog.>) $2 ORDER BY m.version",
							  2, t, a, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading the challengers failed");
	*n = (int) SPI_processed;
	out = palloc(sizeof(EvalModel) * (*n + 1));
	for (int i = 0; i < *n; i++)
		ReadEvalModel(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, &out[i]);
	return out;
}

/* The policy in effect, through alphapulse.promotion_policy (the defaults' one home). */
static void
ReadPolicy(const char *symbol, EvalPolicy *p)
{
	Oid			t[1] = {TEXTOID};
	Datum		a[1] = {CStringGetTextDatum(symbol)};
	HeapTuple	tup;
	TupleDesc	td;
	bool		isnull;
	Datum		d;

	if (SPI_execute_with_args("SELECT p.metric, p.min_improvement, p.min_rows, p.confidence, p.mode, p.block_length, "
							  "p.resamples, p.seed, p.fee, pg_catalog.to_jsonb(p) OPERATOR(pg_catalog.-) 'symbol'::pg_catalog.text "
							  "FROM alphapulse.promotion_policy($1) p",
							  1, t, a, NULL, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading the promotion policy failed");
	tup = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	p->metric = ColText(tup, td, 1);
	p->min_improvement = DatumGetFloat8(SPI_getbinval(tup, td, 2, &isnull));
	p->min_rows = DatumGetInt32(SPI_getbinval(tup, td, 3, &isnull));
	p->confidence = DatumGetFloat8(SPI_getbinval(tup, td, 4, &isnull));
	p->automatic = strcmp(ColText(tup, td, 5), "automatic") == 0;
	d = SPI_getbinval(tup, td, 6, &isnull);
	p->block_length = isnull ? 0 : DatumGetInt32(d);
	p->resamples = DatumGetInt32(SPI_getbinval(tup, td, 7, &isnull));
	p->seed = DatumGetInt64(SPI_getbinval(tup, td, 8, &isnull));
	p->fee = DatumGetFloat8(SPI_getbinval(tup, td, 9, &isnull));
	p->json = DatumGetJsonbPCopy(SPI_getbinval(tup, td, 10, &isnull));
}

/* The policy's metric for a task, checked against it. */
static BootMetric
PolicyMetric(const EvalPolicy *p, bool classification)
{
	int			m;

	if (p->metric == NULL)
		return classification ? BOOT_LOGLOSS : BOOT_RMSE;
	m = BootMetricByName(p->metric);
	if (m < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown metric \"%s\"", ApClip(p->metric))));
	if (!boot_metrics[m].any_task && boot_metrics[m].classification != classification)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the promotion policy's metric %s does not apply to %s models", p->metric,
						classification ? "classification" : "regression"),
				 errhint("Set alphapulse.promotion_policies.metric to one of %s, sharpe or strategy_return (or NULL for the task's loss).",
						 classification ? "auc, logloss, brier, accuracy, f1" : "rmse, mae, r2, directional_accuracy")));
	return (BootMetric) m;
}

/*
 * The window: [from, to] as given, or from the holdout of the model whose
 * training ended later to the last bar; it may not reach into either
 * model's training rows (train_from..train_to, where selection happened).
 */
static void
EvalWindow(const EvalModel *a, const EvalModel *b, bool has_from, TimestampTz from,
		   bool has_to, TimestampTz to, TimestampTz *wfrom, TimestampTz *wto)
{
	const EvalModel *later = b->train_to > a->train_to ? b : a;

	*wfrom = has_from ? from : later->holdout_from;
	*wto = has_to ? to : DT_NOEND;
	if (*wfrom <= later->train_to)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the window reaches into the training rows of model %lld", (long long) later->id),
				 errdetail("The window starts at %s; model %lld was trained on rows up to %s.",
						   pstrdup(timestamptz_to_str(*wfrom)), (long long) later->id,
						   pstrdup(timestamptz_to_str(later->train_to))),
				 errhint("Start the window after %s, or leave window_from NULL for the newer model's holdout.",
						 timestamptz_to_str(later->train_to))));
}

/* Rows of the window where both models' features are complete and the target is known. */
typedef struct EvalRows
{
	int			n;
	double	   *xa,
			   *xb,
			   *y,
			   *fwd;
} EvalRows;

static void
CopyFeatures(HeapTuple tup, TupleDesc td, int col, double *dst, int p)
{
	bool		isnull;
	ArrayType  *arr = DatumGetArrayTypeP(SPI_getbinval(tup, td, col, &isnull));
	Datum	   *el;
	bool	   *nulls;
	int			nel;

	deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &el, &nulls, &nel);
	if (nel != p)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("a feature row does not match its feature set"),
				 errdetail("It has %d values; the model takes %d.", nel, p)));
	for (int j = 0; j < p; j++)
		dst[j] = DatumGetFloat8(el[j]);
}

/*
 * Rows of one feature set in the window, oldest first: complete features,
 * and (with_target) a known target and forward return.  One index range
 * scan; y and fwd only with_target.
 */
static int
LoadSetRows(const char *symbol, const char *feature_set, TimestampTz from, TimestampTz to,
			bool with_target, int p, TimestampTz **ts, double **x, double **y, double **fwd)
{
	Oid			t[4] = {TEXTOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		v[4] = {CStringGetTextDatum(symbol), CStringGetTextDatum(feature_set),
	TimestampTzGetDatum(from), TimestampTzGetDatum(to)};
	int			n;

	/* read_only false: a fresh snapshot sees the rows BuildFeaturesFor just added */
	if (SPI_execute_with_args(psprintf("SELECT f.ts, f.x, f.target, f.fwd_return FROM alphapulse.features f "
									   "WHERE f.symbol OPERATOR(pg_catalog.=) $1 AND f.feature_set OPERATOR(pg_catalog.=) $2 "
									   "AND f.ts OPERATOR(pg_catalog.>=) $3 AND f.ts OPERATOR(pg_catalog.<=) $4 "
									   "AND pg_catalog.array_position(f.x, NULL) IS NULL %s ORDER BY f.ts",
									   with_target ? "AND f.target IS NOT NULL AND f.fwd_return IS NOT NULL" : ""),
							  4, t, v, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "loading the evaluation window failed");
	n = (int) SPI_processed;
	*ts = palloc(sizeof(TimestampTz) * (n + 1));
	*x = palloc(sizeof(double) * ((size_t) n * p + 1));
	if (with_target)
	{
		*y = palloc(sizeof(double) * (n + 1));
		*fwd = palloc(sizeof(double) * (n + 1));
	}
	for (int i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;

		(*ts)[i] = DatumGetTimestampTz(SPI_getbinval(tup, td, 1, &isnull));
		CopyFeatures(tup, td, 2, *x + (size_t) i * p, p);
		if (with_target)
		{
			(*y)[i] = DatumGetFloat8(SPI_getbinval(tup, td, 3, &isnull));
			(*fwd)[i] = DatumGetFloat8(SPI_getbinval(tup, td, 4, &isnull));
		}
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	SPI_freetuptable(SPI_tuptable);
	return n;
}

/*
 * Refuses a window whose rows would take the backend past
 * alphapulse.max_training_memory (the limit of ap_train's loading too):
 * each set's tuples and matrix, the predictions and the bootstrap's arrays.
 */
static void
CheckWindowMemory(const EvalModel *a, const EvalModel *b, TimestampTz from, TimestampTz to,
				  int pa, int pb)
{
	Oid			t[4] = {TEXTOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		v[4] = {CStringGetTextDatum(a->symbol), CStringGetTextDatum(a->feature_set),
	TimestampTzGetDatum(from), TimestampTzGetDatum(to)};
	bool		isnull;
	double		n,
				est,
				limit = (double) ap_max_training_memory * 1024 * 1024;

	if (SPI_execute_with_args("SELECT pg_catalog.count(*)::float8 FROM alphapulse.features f "
							  "WHERE f.symbol OPERATOR(pg_catalog.=) $1 AND f.feature_set OPERATOR(pg_catalog.=) $2 "
							  "AND f.ts OPERATOR(pg_catalog.>=) $3 AND f.ts OPERATOR(pg_catalog.<=) $4",
							  4, t, v, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "counting the evaluation window failed");
	n = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	est = n * (2 * (8.0 * pa + AP_FEATURE_TUPLE_OVERHEAD) + 8.0 * 12);
	if (strcmp(a->feature_set, b->feature_set) != 0)
		est += n * (2 * (8.0 * pb + AP_FEATURE_TUPLE_OVERHEAD) + 8.0 * pb);
	if (est > limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("evaluating %.0f rows would need more memory than alphapulse.max_training_memory allows", n),
				 errdetail("The estimate is %.0f MB; the limit is %d MB.", ceil(est / (1024 * 1024)),
						   ap_max_training_memory),
				 errhint("Narrow the window with window_from and window_to, or ask a superuser to raise alphapulse.max_training_memory.")));
}

/*
 * The window's rows for both models: the champion's set with targets, and
 * for a challenger on another set the rows of the same bars, merged by time
 * here (two range scans rather than a self-join the planner may misjudge).
 */
static void
LoadEvalRows(const EvalModel *a, const EvalModel *b, TimestampTz from, TimestampTz to,
			 int pa, int pb, EvalRows *r)
{
	TimestampTz *tsa,
			   *tsb;
	double	   *xb;
	int			nb,
				k = 0,
				m = 0;

	CheckWindowMemory(a, b, from, to, pa, pb);
	r->n = LoadSetRows(a->symbol, a->feature_set, from, to, true, pa, &tsa, &r->xa, &r->y, &r->fwd);
	if (strcmp(a->feature_set, b->feature_set) == 0)
	{
		r->xb = r->xa;
		return;
	}
	nb = LoadSetRows(b->symbol, b->feature_set, from, to, false, pb, &tsb, &xb, NULL, NULL);
	r->xb = palloc(sizeof(double) * ((size_t) r->n * pb + 1));
	/* keep the champion's rows whose bar the challenger's set has too */
	for (int i = 0; i < r->n; i++)
	{
		while (k < nb && tsb[k] < tsa[i])
			k++;
		if (k == nb || tsb[k] != tsa[i])
			continue;
		if (m != i)
		{
			memmove(r->xa + (size_t) m * pa, r->xa + (size_t) i * pa, sizeof(double) * pa);
			r->y[m] = r->y[i];
			r->fwd[m] = r->fwd[i];
		}
		memcpy(r->xb + (size_t) m * pb, xb + (size_t) k * pb, sizeof(double) * pb);
		m++;
	}
	r->n = m;
}

static void
Interrupt(void)
{
	CHECK_FOR_INTERRUPTS();
}

static void *
PallocFn(size_t n)
{
	return palloc(n);
}

/*
 * The bootstrap's inputs: rows for the task metrics, the rebalancing
 * periods (TradingUnitReturns) for sharpe and strategy_return.
 */
static void
BootInputs(BootData *d, BootMetric m, const EvalRows *r, const double *pa, const double *pb,
		   int horizon, bool classification, double fee, double periods_per_year)
{
	memset(d, 0, sizeof(*d));
	if (m == BOOT_SHARPE || m == BOOT_STRATEGY_RETURN)
	{
		double	   *ra = palloc(sizeof(double) * (r->n + 1)),
				   *rb = palloc(sizeof(double) * (r->n + 1));
		double		cut = classification ? 0.5 : 0;

		d->n = TradingUnitReturns(r->fwd, pa, r->n, horizon, cut, fee, ra);
		(void) TradingUnitReturns(r->fwd, pb, r->n, horizon, cut, fee, rb);
		d->a.r = ra;
		d->b.r = rb;
		d->a.p = d->b.p = d->y = r->fwd;	/* unused by the trading metrics */
	}
	else
	{
		d->n = r->n;
		d->y = r->y;
		d->a.p = pa;
		d->b.p = pb;
	}
	d->annualise = sqrt(periods_per_year / horizon);
	if (m == BOOT_AUC)
		BootPrepare(d, PallocFn);
}

/* The verdict of the policy on one result (before choosing among passes). */
static void
Decide(EvalResult *e, const EvalPolicy *p)
{
	const BootMetricInfo *mi = &boot_metrics[e->metric];
	double		lo_imp = mi->higher_is_better ? e->ci_low : -e->ci_high;

	e->improvement = mi->higher_is_better ? e->difference : -e->difference;
	e->passes = false;
	e->verdict = "refused";
	if (e->rows < p->min_rows)
		e->reason = psprintf("the window has %d rows; the policy needs at least %d", e->rows, p->min_rows);
	else if (isnan(e->difference) || isnan(lo_imp))
		e->reason = psprintf("%s is undefined on this window (a single class, or no variation)", mi->name);
	else if (lo_imp > p->min_improvement)
	{
		e->passes = true;
		e->verdict = "passed";
		e->reason = psprintf("%s improves by %.6g; the %g%% interval of the improvement [%.6g, %.6g] is above the minimum %g",
							 mi->name, e->improvement, 100 * p->confidence, lo_imp,
							 mi->higher_is_better ? e->ci_high : -e->ci_low, p->min_improvement);
	}
	else
		e->reason = psprintf("%s %s by %.6g, but the %g%% interval of the improvement [%.6g, %.6g] does not clear the minimum %g",
							 mi->name, e->improvement >= 0 ? "improves" : "worsens", fabs(e->improvement),
							 100 * p->confidence, lo_imp, mi->higher_is_better ? e->ci_high : -e->ci_low,
							 p->min_improvement);
}

/* Scores champion and challenger on their window and bootstraps the difference. */
static void
EvaluatePair(const EvalModel *champ, EvalResult *e, const EvalPolicy *p, bool has_from,
			 TimestampTz from, bool has_to, TimestampTz to, double periods_per_year, int64 step)
{
	const EvalModel *ch = &e->challenger;
	int			pa = FeatureSetWidth(champ->feature_set),
				pb = FeatureSetWidth(ch->feature_set);
	EvalRows	r;
	double	   *preda,
			   *predb,
			   *w,
			   *diff;
	BootData	d;

	if (ch->classification != champ->classification || ch->horizon != champ->horizon)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model %lld and the champion %lld predict different targets",
						(long long) ch->id, (long long) champ->id),
				 errdetail("Their feature sets \"%s\" and \"%s\" differ in task or horizon.",
						   ch->feature_set, champ->feature_set)));
	e->metric = PolicyMetric(p, champ->classification);
	EvalWindow(champ, ch, has_from, from, has_to, to, &e->from, &e->to);
	ApProgressPhase("load", step, 0);
	LoadEvalRows(champ, ch, e->from, e->to, pa, pb, &r);
	e->rows = r.n;
	ApProgressRows(r.n);
	if (r.n < AP_EVAL_MIN_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("too few rows to evaluate model %lld against the champion: %d, at least %d needed",
						(long long) ch->id, r.n, AP_EVAL_MIN_ROWS),
				 errdetail("The window from %s to %s has %d rows with a known target and complete features of both models.",
						   pstrdup(timestamptz_to_str(e->from)),
						   e->to == DT_NOEND ? "the last bar" : pstrdup(timestamptz_to_str(e->to)), r.n),
				 errhint("Widen the window, or wait for more bars.")));
	ApProgressPhase("score", step + 1, 0);
	preda = palloc(sizeof(double) * r.n);
	predb = palloc(sizeof(double) * r.n);
	/*
	 * Model loading reads the registry with the active snapshot: make it a
	 * fresh one, so that a model registered earlier in this statement
	 * (ap_evaluate(s, ap_train(s))) is found.
	 */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	ApPredictModelRows(champ->id, r.xa, r.n, pa, preda);
	ApPredictModelRows(ch->id, r.xb, r.n, pb, predb);
	PopActiveSnapshot();
	e->champion_metrics = ApHoldoutMetrics(champ->classification, r.y, preda, r.fwd, r.n,
										   champ->horizon, p->fee, periods_per_year);
	e->challenger_metrics = ApHoldoutMetrics(champ->classification, r.y, predb, r.fwd, r.n,
											 champ->horizon, p->fee, periods_per_year);

	ApProgressPhase("bootstrap", step + 2, 0);
	BootInputs(&d, e->metric, &r, preda, predb, champ->horizon, champ->classification, p->fee,
			   periods_per_year);
	e->block = p->block_length > 0 ? Min(p->block_length, Max(d.n / 2, 1)) : BootDefaultBlock(d.n);
	e->difference = BootMetricValue(&d, &d.b, e->metric, NULL) - BootMetricValue(&d, &d.a, e->metric, NULL);
	w = palloc(sizeof(double) * (d.n + 1));
	diff = palloc(sizeof(double) * p->resamples);
	BootDifferences(&d, e->metric, e->block, p->resamples, (uint64_t) p->seed, w, diff, Interrupt);
	e->ci_low = BootQuantile(diff, p->resamples, (1 - p->confidence) / 2);
	e->ci_high = BootQuantile(diff, p->resamples, (1 + p->confidence) / 2);
	Decide(e, p);
}

/* Stores one evaluation as the registry's owner; keeps the stored row in the result set. */
static void
StoreEvaluation(const char *symbol, const EvalModel *champ, EvalResult *e, const EvalPolicy *p,
				Tuplestorestate *ts)
{
	Oid			t[21] = {TEXTOID, INT8OID, INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID, TEXTOID,
		BOOLOID, JSONBOID, JSONBOID, FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID, INT4OID, INT4OID,
	INT8OID, JSONBOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		a[21];
	char		nulls[21];
	double		nums[3] = {e->difference, e->ci_low, e->ci_high};
	bool		isnull;

	memset(nulls, ' ', sizeof(nulls));
	a[0] = CStringGetTextDatum(symbol);
	a[1] = Int64GetDatum(champ->id);
	a[2] = Int64GetDatum(e->challenger.id);
	a[3] = TimestampTzGetDatum(e->from);
	a[4] = TimestampTzGetDatum(e->to);
	a[5] = Int32GetDatum(e->rows);
	a[6] = CStringGetTextDatum(boot_metrics[e->metric].name);
	a[7] = BoolGetDatum(boot_metrics[e->metric].higher_is_better);
	a[8] = JsonbPGetDatum(e->champion_metrics);
	a[9] = JsonbPGetDatum(e->challenger_metrics);
	for (int k = 0; k < 3; k++)
	{
		a[10 + k] = Float8GetDatum(nums[k]);
		if (!isfinite(nums[k]))
			nulls[10 + k] = 'n';
	}
	a[13] = Float8GetDatum(p->confidence);
	a[14] = Int32GetDatum(e->block);
	a[15] = Int32GetDatum(p->resamples);
	a[16] = Int64GetDatum(p->seed);
	a[17] = JsonbPGetDatum(p->json);
	a[18] = CStringGetTextDatum(e->verdict);
	a[19] = CStringGetTextDatum(e->reason);
	a[20] = CStringGetTextDatum(AskingUser());	/* not the owner the row is written as */
	if (ApExecuteAsModelsOwner("INSERT INTO alphapulse.evaluations (symbol, champion_id, challenger_id, window_from, window_to, "
							   "rows, metric, higher_is_better, champion_metrics, challenger_metrics, difference, ci_low, ci_high, "
							   "confidence, block_length, resamples, seed, policy, verdict, reason, by_user) "
							   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) "
							   "RETURNING *",
							   21, t, a, nulls, 0) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "storing the evaluation failed");
	e->id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	tuplestore_puttuple(ts, SPI_tuptable->vals[0]);
}

/* The numbers that decided, for the model event. */
static Jsonb *
EventDetails(const EvalResult *e, const EvalModel *champ)
{
	JsonbParseState *st = NULL;

	ApJsonBegin(&st, false);
	ApJsonKeyInt(&st, "evaluation_id", e->id);
	ApJsonKeyInt(&st, "champion_id", champ->id);
	ApJsonKey(&st, "metric");
	ApJsonString(&st, boot_metrics[e->metric].name);
	ApJsonKeyNumber(&st, "difference", AP_JSON_EXACT, e->difference);
	ApJsonKeyNumber(&st, "ci_low", AP_JSON_EXACT, e->ci_low);
	ApJsonKeyNumber(&st, "ci_high", AP_JSON_EXACT, e->ci_high);
	ApJsonKeyInt(&st, "rows", e->rows);
	return ApJsonFinish(&st, false);
}

/* Locks the symbol's registry rows in the one order (alphapulse.lock_symbol). */
static void
LockSymbol(const char *symbol)
{
	Oid			t[1] = {TEXTOID};
	Datum		a[1] = {CStringGetTextDatum(symbol)};

	if (ApExecuteAsModelsOwner("SELECT alphapulse.lock_symbol($1)", 1, t, a, NULL, 0) != SPI_OK_SELECT)
		elog(ERROR, "locking \"%s\" failed", symbol);
}

static void
PromoteAsOwner(int64 id, const char *reason, Jsonb *details)
{
	Oid			t[3] = {INT8OID, TEXTOID, JSONBOID};
	Datum		a[3] = {Int64GetDatum(id), CStringGetTextDatum(reason), JsonbPGetDatum(details)};

	if (ApExecuteAsModelsOwner("SELECT alphapulse.promote_model($1, $2, $3)", 3, t, a, NULL, 0) != SPI_OK_SELECT)
		elog(ERROR, "promoting model %lld failed", (long long) id);
}

/*
 * Among the challengers that pass, the one with the largest improvement is
 * promoted (automatic policy); the others that pass are recorded as passed.
 */
static int
ChooseWinner(EvalResult *res, int n, const EvalPolicy *p)
{
	int			best = -1;

	for (int i = 0; i < n; i++)
		if (res[i].passes && (best < 0 || res[i].improvement > res[best].improvement))
			best = i;
	for (int i = 0; i < n; i++)
	{
		if (!res[i].passes)
			continue;
		if (i == best && p->automatic)
			res[i].verdict = "promoted";
		else if (!p->automatic)
			res[i].reason = psprintf("%s; the policy is manual: promote with ap_promote(%lld)",
									 res[i].reason, (long long) res[i].challenger.id);
		else
			res[i].reason = psprintf("%s; model %lld improved more and was promoted",
									 res[i].reason, (long long) res[best].challenger.id);
	}
	return best;
}

PG_FUNCTION_INFO_V1(ap_evaluation_limits);

/* alphapulse.evaluation_limits(): the limits above, for the policy trigger. */
Datum
ap_evaluation_limits(PG_FUNCTION_ARGS)
{
	TupleDesc	td;
	Datum		v[3] = {Int32GetDatum(AP_EVAL_MIN_ROWS), Int32GetDatum(AP_EVAL_MIN_RESAMPLES),
	Int32GetDatum(AP_EVAL_MAX_RESAMPLES)};
	bool		nulls[3] = {false, false, false};

	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "evaluation_limits must return a record");
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(td), v, nulls)));
}

PG_FUNCTION_INFO_V1(ap_evaluate);

/* ap_evaluate(symbol, challenger, window_from, window_to) → the stored evaluations. */
Datum
ap_evaluate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *symbol;
	bool		has_from = !PG_ARGISNULL(2),
				has_to = !PG_ARGISNULL(3);
	TimestampTz from = has_from ? PG_GETARG_TIMESTAMPTZ(2) : 0,
				to = has_to ? PG_GETARG_TIMESTAMPTZ(3) : 0;
	EvalModel	champ;
	EvalModel  *chal;
	EvalResult *res;
	EvalPolicy	policy;
	int			nchal,
				best;
	double		ppy;
	Oid			nsp = get_func_namespace(fcinfo->flinfo->fn_oid);

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("symbol must not be null")));
	symbol = text_to_cstring(PG_GETARG_TEXT_PP(0));
	/* it writes evaluations and promotes as the registry's owner */
	ApCheckMayRegister("evaluate and promote models");
	if (has_from && has_to && from >= to)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window_from must be before window_to"),
				 errdetail("The window was %s to %s.", pstrdup(timestamptz_to_str(from)),
						   pstrdup(timestamptz_to_str(to)))));
	InitMaterializedSRF(fcinfo, 0);
	ApProgressBegin("ap_evaluate", symbol, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	CheckSymbol(symbol);
	ReadPolicy(symbol, &policy);
	ppy = ApPeriodsPerYear(symbol);

	/* features first, then the symbol's lock: the order ap_train takes them in */
	ApProgressPhase("features", 0, 0);
	ReadChampion(symbol, &champ);
	chal = ReadChallengers(symbol, &champ, !PG_ARGISNULL(1), PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1), &nchal);
	BuildFeaturesFor(nsp, symbol, champ.feature_set);
	for (int i = 0; i < nchal; i++)
		if (strcmp(chal[i].feature_set, champ.feature_set) != 0)
			BuildFeaturesFor(nsp, symbol, chal[i].feature_set);
	ApProgressPhase("lock", 1, 0);
	LockSymbol(symbol);
	/* under the lock: the champion and challengers as committed now */
	ReadChampion(symbol, &champ);
	chal = ReadChallengers(symbol, &champ, !PG_ARGISNULL(1), PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1), &nchal);
	if (nchal == 0)
	{
		ereport(NOTICE,
				(errmsg("symbol \"%s\" has no challenger newer than its champion (model %lld)",
						ApClip(symbol), (long long) champ.id),
				 errhint("Train one with ap_train('%s'), or pass a model id.", ApClip(symbol))));
		SPI_finish();
		ApProgressEnd();
		return (Datum) 0;
	}

	/* steps: features, lock, then load, score and bootstrap of each challenger, store */
	res = palloc0(sizeof(EvalResult) * nchal);
	for (int i = 0; i < nchal; i++)
	{
		res[i].challenger = chal[i];
		ApProgressPhase("evaluate", 2 + 3 * (int64) i, 3 + 3 * (int64) nchal);
		EvaluatePair(&champ, &res[i], &policy, has_from, from, has_to, to, ppy, 2 + 3 * (int64) i);
	}
	best = ChooseWinner(res, nchal, &policy);
	ApProgressPhase("store", 2 + 3 * (int64) nchal, 0);

	for (int i = 0; i < nchal; i++)
	{
		StoreEvaluation(symbol, &champ, &res[i], &policy, rsinfo->setResult);
		if (strcmp(res[i].verdict, "refused") == 0)
			ApLogModelEvent(symbol, res[i].challenger.id, "refused", res[i].reason,
							EventDetails(&res[i], &champ));
	}
	if (best >= 0 && policy.automatic)
		PromoteAsOwner(res[best].challenger.id,
					   psprintf("ap_evaluate %lld: %s", (long long) res[best].id, res[best].reason),
					   EventDetails(&res[best], &champ));
	SPI_finish();
	ApProgressEnd();
	return (Datum) 0;
}
