/*
 * backtest_sql.c - ap_backtest and ap_backtest_equity: read a symbol's
 * complete feature rows and the opens of the two bars after each, score them
 * with a registered model (ml_predict.c's cache) and run the kernel of
 * backtest.c.  Reads only: nothing is written, whatever the input.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "backtest.h"
#include "ml_predict.h"
#include "ml_progress.h"
#include "ml_seal.h"
#include "ml_train.h"
#include "ml_util.h"

/* The arguments both functions share, in their SQL order. */
typedef struct BtArgs
{
	char	   *symbol;
	bool		has_model;
	int64		model_id;
	TimestampTz from;			/* DT_NOBEGIN when NULL */
	TimestampTz to;				/* DT_NOEND when NULL */
	double		fee_bps;
	double		slippage_bps;
	bool		has_buy,
				has_sell;
	double		buy,
				sell;
	bool		allow_short;
	bool		allow_in_sample;
} BtArgs;

/* One backtest: the bars of the curve, their scores, the curve and its summary. */
typedef struct BtResult
{
	int64		model_id;
	TimestampTz train_to;		/* end of the model's training window */
	BtOptions	opt;
	int			n;
	int			in_sample_bars; /* bars at or before train_to */
	TimestampTz *ts;
	double	   *open1;
	double	   *open2;
	double	   *score;
	BtCurve		curve;
	BtSummary	sum;
} BtResult;

/* The kernel's cancel hook. */
static void
BtInterrupt(void)
{
	CHECK_FOR_INTERRUPTS();
}

static double
NotNullFloat(FunctionCallInfo fcinfo, int arg, const char *name)
{
	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
	return PG_GETARG_FLOAT8(arg);
}

static bool
NotNullBool(FunctionCallInfo fcinfo, int arg, const char *name)
{
	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
	return PG_GETARG_BOOL(arg);
}

/* Reads and checks the arguments that need no table: costs and the window's order. */
static void
ReadArgs(FunctionCallInfo fcinfo, BtArgs *a)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("symbol must not be null")));
	a->symbol = text_to_cstring(PG_GETARG_TEXT_PP(0));
	a->has_model = !PG_ARGISNULL(1);
	a->model_id = a->has_model ? PG_GETARG_INT64(1) : 0;
	a->from = PG_ARGISNULL(2) ? DT_NOBEGIN : PG_GETARG_TIMESTAMPTZ(2);
	a->to = PG_ARGISNULL(3) ? DT_NOEND : PG_GETARG_TIMESTAMPTZ(3);
	a->fee_bps = NotNullFloat(fcinfo, 4, "fee_bps");
	a->slippage_bps = NotNullFloat(fcinfo, 5, "slippage_bps");
	a->has_buy = !PG_ARGISNULL(6);
	a->buy = a->has_buy ? PG_GETARG_FLOAT8(6) : NAN;
	a->has_sell = !PG_ARGISNULL(7);
	a->sell = a->has_sell ? PG_GETARG_FLOAT8(7) : NAN;
	a->allow_short = NotNullBool(fcinfo, 8, "allow_short");
	a->allow_in_sample = NotNullBool(fcinfo, 9, "allow_in_sample");

	if (!(a->fee_bps >= 0 && a->slippage_bps >= 0 &&
		  a->fee_bps + a->slippage_bps <= AP_BT_MAX_COST_BPS))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("fee_bps and slippage_bps must be between 0 and %g together", AP_BT_MAX_COST_BPS),
				 errdetail("fee_bps was %g, slippage_bps %g.", a->fee_bps, a->slippage_bps),
				 errhint("Costs are in basis points of the traded value (10 = 0.1%%).")));
	if (!PG_ARGISNULL(2) && !PG_ARGISNULL(3) && a->from >= a->to)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"from\" must be before \"to\""),
				 errdetail("from was %s, to %s.", pstrdup(timestamptz_to_str(a->from)), pstrdup(timestamptz_to_str(a->to)))));
}

/* BUY/SELL thresholds: ap_score's defaults; probabilities in [0, 1]; sell <= buy. */
static void
ResolveThresholds(const BtArgs *a, const ApModelFacts *f, BtOptions *o)
{
	o->buy = a->has_buy ? a->buy :
		(f->classification ? AP_SCORE_BUY_CLASSIFICATION : AP_SCORE_BUY_REGRESSION);
	o->sell = a->has_sell ? a->sell :
		(f->classification ? AP_SCORE_SELL_CLASSIFICATION : AP_SCORE_SELL_REGRESSION);
	if (!isfinite(o->buy) || !isfinite(o->sell) ||
		(f->classification && (o->buy < 0 || o->buy > 1 || o->sell < 0 || o->sell > 1)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("buy and sell thresholds are out of range"),
				 errdetail("buy was %g, sell %g.", o->buy, o->sell),
				 errhint(f->classification ?
						 "The model scores a probability: thresholds are between 0 and 1." :
						 "The model scores a forward log return: thresholds are finite numbers.")));
	if (!(o->sell <= o->buy))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sell threshold must not be above the buy threshold"),
				 errdetail("buy was %g, sell %g.", o->buy, o->sell)));
}

/* The model to backtest (default the champion), which must be one of the symbol's. */
static void
ResolveModel(const BtArgs *a, ApModelFacts *f, BtResult *r)
{
	Oid			t[1] = {INT8OID};
	Datum		v[1];
	bool		isnull;

	CheckSymbol(a->symbol);
	r->model_id = a->has_model ? a->model_id : ApChampionModel(a->symbol);
	ApGetModelFacts(r->model_id, f);
	if (strcmp(f->symbol, a->symbol) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model %lld is a model of \"%s\", not of \"%s\"",
						(long long) r->model_id, ApClip(f->symbol), ApClip(a->symbol)),
				 errhint("Pass a model_id of alphapulse.models with symbol '%s', or NULL for its champion.",
						 ApClip(a->symbol))));
	v[0] = Int64GetDatum(r->model_id);
	if (SPI_execute_with_args("SELECT m.train_to FROM alphapulse.models m WHERE m.id OPERATOR(pg_catalog.=) $1",
							  1, t, v, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading the training window of model %lld failed", (long long) r->model_id);
	r->train_to = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/* Copies a complete feature array into row i of x (p values). */
static void
CopyFeatures(ArrayType *arr, int p, double *x, TimestampTz ts, const char *symbol, const char *feature_set)
{
	if (ARR_NDIM(arr) != 1 || ArrayGetNItems(1, ARR_DIMS(arr)) != p)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("a feature row of \"%s\" does not match feature set \"%s\"", symbol, feature_set),
				 errdetail("The row at %s does not have the feature set's %d features.", timestamptz_to_str(ts), p),
				 errhint("Rebuild the features: DELETE FROM alphapulse.features WHERE feature_set = '%s', then ap_build_features.",
						 feature_set)));
	if (!ARR_HASNULL(arr))
		memcpy(x, (char *) arr + ARR_OVERHEAD_NONULLS(1), sizeof(double) * p);
	else
	{
		/* a null bitmap without nulls (the query keeps complete rows only) */
		Datum	   *el;
		bool	   *nulls;
		int			nel;

		deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &el, &nulls, &nel);
		for (int j = 0; j < p; j++)
			x[j] = DatumGetFloat8(el[j]);
		pfree(el);
		pfree(nulls);
	}
}

/* The symbol's bars from lo to the second bar after `to`: times and opens (numeric read as the nearest double). */
static int
LoadOpens(const BtArgs *a, TimestampTz lo, TimestampTz **ts, double **open)
{
	Oid			t[3] = {TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		v[3] = {CStringGetTextDatum(a->symbol), TimestampTzGetDatum(lo), TimestampTzGetDatum(a->to)};
	Portal		cur;
	int			n = 0,
				cap = AP_FEATURE_LOAD_BATCH;

	cur = SPI_cursor_open_with_args(NULL,
									"SELECT b.ts, b.open::pg_catalog.float8 FROM alphapulse.bars b "
									"WHERE b.symbol OPERATOR(pg_catalog.=) $1 AND b.ts OPERATOR(pg_catalog.>=) $2 "
									"AND b.ts OPERATOR(pg_catalog.<=) COALESCE((SELECT b2.ts FROM alphapulse.bars b2 "
									"WHERE b2.symbol OPERATOR(pg_catalog.=) $1 AND b2.ts OPERATOR(pg_catalog.>) $3 "
									"ORDER BY b2.ts OFFSET 1 LIMIT 1), 'infinity'::pg_catalog.timestamptz) "
									"ORDER BY b.ts",
									3, t, v, NULL, true, CURSOR_OPT_NO_SCROLL | CURSOR_OPT_FAST_PLAN);
	*ts = palloc(sizeof(TimestampTz) * cap);
	*open = palloc(sizeof(double) * cap);
	for (;;)
	{
		SPI_cursor_fetch(cur, true, AP_FEATURE_LOAD_BATCH);
		if (SPI_processed == 0)
			break;
		if (n + (int64) SPI_processed > cap)
		{
			if (cap >= INT_MAX / 2)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("too many bars to backtest for \"%s\"", ApClip(a->symbol)),
						 errhint("Backtest a shorter window with \"from\" and \"to\".")));
			cap *= 2;
			*ts = repalloc_huge(*ts, sizeof(TimestampTz) * cap);
			*open = repalloc_huge(*open, sizeof(double) * cap);
		}
		for (uint64 k = 0; k < SPI_processed; k++, n++)
		{
			bool		isnull;

			(*ts)[n] = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 1, &isnull));
			(*open)[n] = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 2, &isnull));
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(cur);
	return n;
}

/*
 * A backtest reads the feature rows as they are: bars newer than the
 * newest row (loaded but not yet built) are left out, which it says.
 */
static void
WarnUnbuiltFeatures(const BtArgs *a, const ApModelFacts *f, const TimestampTz *bar_ts, int nbars)
{
	Oid			t[2] = {TEXTOID, TEXTOID};
	Datum		v[2] = {CStringGetTextDatum(a->symbol), CStringGetTextDatum(f->feature_set)};
	bool		isnull;
	TimestampTz newest;
	int			missing = 0;

	if (SPI_execute_with_args("SELECT pg_catalog.max(f.ts) FROM alphapulse.features f "
							  "WHERE f.symbol OPERATOR(pg_catalog.=) $1 AND f.feature_set OPERATOR(pg_catalog.=) $2",
							  2, t, v, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading the newest feature row failed");
	newest = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	/* bars that would be on the curve (two later bars, within "to") had they features */
	for (int j = 0; j + 2 < nbars; j++)
		if ((isnull || bar_ts[j] > newest) && bar_ts[j] <= a->to)
			missing++;
	if (missing > 0)
		ereport(NOTICE,
				(errmsg("%d bars of \"%s\" have no feature rows in \"%s\" yet and are not backtested",
						missing, ApClip(a->symbol), f->feature_set),
				 errhint("Build them first: SELECT ap_build_features('%s', '%s').", ApClip(a->symbol), f->feature_set)));
}

/*
 * The bars of the curve: feature rows from `lo` to `to` with complete
 * features and two later bars in the table, with the opens of those two,
 * scored by the model a batch at a time (the features are not kept: memory
 * is O(bars), not O(bars x features)).  Result arrays are allocated in cxt;
 * the bars are matched to the rows by time.
 */
static void
LoadBacktestRows(const BtArgs *a, const ApModelFacts *f, TimestampTz lo, MemoryContext cxt, BtResult *r)
{
	Oid			t[4] = {TEXTOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		v[4] = {CStringGetTextDatum(a->symbol), CStringGetTextDatum(f->feature_set),
	TimestampTzGetDatum(lo), TimestampTzGetDatum(a->to)};
	Portal		cur;
	TimestampTz *bar_ts;
	double	   *bar_open;
	int			nbars = LoadOpens(a, lo, &bar_ts, &bar_open);
	int			j = 0;
	double	   *xb = palloc(sizeof(double) * AP_FEATURE_LOAD_BATCH * (f->p + 1));
	/* every row of the curve is one of the bars: nbars bounds them */
	size_t		cap = Max(nbars, 1);

	ApProgressPhase("loading and scoring features", 1, 3);
	cur = SPI_cursor_open_with_args(NULL,
									"SELECT f.ts, f.x FROM alphapulse.features f "
									"WHERE f.symbol OPERATOR(pg_catalog.=) $1 AND f.feature_set OPERATOR(pg_catalog.=) $2 "
									"AND f.ts OPERATOR(pg_catalog.>=) $3 AND f.ts OPERATOR(pg_catalog.<=) $4 "
									"AND pg_catalog.array_position(f.x, NULL) IS NULL ORDER BY f.ts",
									4, t, v, NULL, true, CURSOR_OPT_NO_SCROLL | CURSOR_OPT_FAST_PLAN);
	r->n = 0;
	r->ts = MemoryContextAllocHuge(cxt, sizeof(TimestampTz) * cap);
	r->score = MemoryContextAllocHuge(cxt, sizeof(double) * cap);
	r->open1 = MemoryContextAllocHuge(cxt, sizeof(double) * cap);
	r->open2 = MemoryContextAllocHuge(cxt, sizeof(double) * cap);
	for (;;)
	{
		int			first = r->n;

		SPI_cursor_fetch(cur, true, AP_FEATURE_LOAD_BATCH);
		if (SPI_processed == 0)
			break;
		for (uint64 k = 0; k < SPI_processed; k++)
		{
			HeapTuple	tup = SPI_tuptable->vals[k];
			TupleDesc	td = SPI_tuptable->tupdesc;
			bool		isnull;
			TimestampTz ts = DatumGetTimestampTz(SPI_getbinval(tup, td, 1, &isnull));

			/* t+1 and t+2 are the next two bars of the table */
			while (j < nbars && bar_ts[j] < ts)
				j++;
			if (j + 2 >= nbars || bar_ts[j] != ts)
				continue;
			r->ts[r->n] = ts;
			CopyFeatures(DatumGetArrayTypeP(SPI_getbinval(tup, td, 2, &isnull)), f->p,
						 xb + (size_t) (r->n - first) * f->p, ts, a->symbol, f->feature_set);
			r->open1[r->n] = bar_open[j + 1];
			r->open2[r->n] = bar_open[j + 2];
			r->n++;
		}
		SPI_freetuptable(SPI_tuptable);
		ApPredictModelRows(r->model_id, xb, r->n - first, f->p, r->score + first);
		ApProgressRows(r->n);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(cur);
	pfree(xb);
	WarnUnbuiltFeatures(a, f, bar_ts, nbars);
	pfree(bar_ts);
	pfree(bar_open);
}

/* Errors when the window holds fewer bars than a backtest needs. */
static void
CheckEnoughBars(const BtArgs *a, const BtResult *r)
{
	if (r->n >= AP_BT_MIN_BARS)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("too few bars to backtest \"%s\": %d, %d needed", ApClip(a->symbol), r->n, AP_BT_MIN_BARS),
			 errdetail("From %s to %s, %d bars have complete features for model %lld and two later bars%s.",
					   a->from == DT_NOBEGIN ? "the first bar" : pstrdup(timestamptz_to_str(a->from)),
					   a->to == DT_NOEND ? "the last" : pstrdup(timestamptz_to_str(a->to)),
					   r->n, (long long) r->model_id,
					   a->allow_in_sample ? "" : " and follow its training window"),
			 a->allow_in_sample ?
			 errhint("Widen the window, or build the features with ap_build_features.") :
			 errhint("Only bars after the model's training window (after %s) are backtested unless allow_in_sample => true.",
					 timestamptz_to_str(r->train_to))));
}

static void
AllocCurve(BtCurve *c, int n, MemoryContext cxt)
{
	size_t		nd = sizeof(double) * (n + 1);

	c->signal = MemoryContextAllocHuge(cxt, n + 1);
	c->position = MemoryContextAllocHuge(cxt, n + 1);
	c->cost = MemoryContextAllocHuge(cxt, nd);
	c->asset_return = MemoryContextAllocHuge(cxt, nd);
	c->bar_return = MemoryContextAllocHuge(cxt, nd);
	c->equity = MemoryContextAllocHuge(cxt, nd);
	c->bh_equity = MemoryContextAllocHuge(cxt, nd);
	c->drawdown = MemoryContextAllocHuge(cxt, nd);
}

/* Both functions: checks, loads, scores and runs the kernel; results live in the caller's context. */
static void
RunBacktest(FunctionCallInfo fcinfo, BtResult *r)
{
	BtArgs		a;
	ApModelFacts f;
	MemoryContext cxt = CurrentMemoryContext;
	TimestampTz lo;
	int			nest;

	ReadArgs(fcinfo, &a);
	memset(r, 0, sizeof(*r));
	/* qualified and under a pinned search_path: the caller's objects change nothing */
	nest = ApPinSearchPath();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ResolveModel(&a, &f, r);
	ResolveThresholds(&a, &f, &r->opt);
	r->opt.cost_rate = (a.fee_bps + a.slippage_bps) / AP_BT_BPS;
	r->opt.allow_short = a.allow_short;
	r->opt.periods_per_year = ApPeriodsPerYear(a.symbol);
	/* out of sample: the first bar after the training window, unless allowed in */
	lo = a.from;
	if (!a.allow_in_sample && lo <= r->train_to)
		lo = r->train_to + 1;

	ApProgressBegin("ap_backtest", a.symbol, 3);
	ApProgressPhase("loading bars", 0, 3);
	LoadBacktestRows(&a, &f, lo, cxt, r);
	CheckEnoughBars(&a, r);
	for (int i = 0; i < r->n; i++)
		if (r->ts[i] <= r->train_to)
			r->in_sample_bars++;

	ApProgressPhase("equity", 2, 3);
	AllocCurve(&r->curve, r->n, cxt);
	BtEquity(r->score, r->open1, r->open2, r->n, &r->opt, &r->curve, BtInterrupt);
	BtSummarise(&r->curve, r->n, &r->opt, &r->sum);
	ApProgressStep(3);
	ApProgressEnd();
	SPI_finish();
	ApUnpinSearchPath(nest);
}

/* A double as a datum, NaN as NULL. */
static Datum
Float8OrNull(double v, bool *isnull)
{
	*isnull = isnan(v);
	return Float8GetDatum(*isnull ? 0 : v);
}

PG_FUNCTION_INFO_V1(ap_backtest);

/* One summary row of the backtest (see the COMMENT ON and the README for every field). */
Datum
ap_backtest(PG_FUNCTION_ARGS)
{
	BtResult	r;
	TupleDesc	td;
	Datum		v[24];
	bool		nulls[24];
	int			k = 0;

	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "ap_backtest must return a composite type");
	td = BlessTupleDesc(td);
	RunBacktest(fcinfo, &r);
	memset(nulls, 0, sizeof(nulls));
	v[k++] = PG_GETARG_DATUM(0);
	v[k++] = Int64GetDatum(r.model_id);
	v[k++] = TimestampTzGetDatum(r.ts[0]);
	v[k++] = TimestampTzGetDatum(r.ts[r.n - 1]);
	v[k++] = Int32GetDatum(r.sum.bars);
	v[k++] = BoolGetDatum(r.in_sample_bars > 0);
	v[k++] = Int32GetDatum(r.in_sample_bars);
	v[k++] = Float8GetDatum(r.opt.periods_per_year);
	v[k++] = Float8GetDatum(r.opt.buy);
	v[k++] = Float8GetDatum(r.opt.sell);
	v[k] = Float8OrNull(r.sum.total_return, &nulls[k]), k++;
	v[k] = Float8OrNull(r.sum.cagr, &nulls[k]), k++;
	v[k] = Float8OrNull(r.sum.sharpe, &nulls[k]), k++;
	v[k] = Float8OrNull(r.sum.sortino, &nulls[k]), k++;
	v[k] = Float8OrNull(r.sum.max_drawdown, &nulls[k]), k++;
	v[k] = Float8OrNull(r.sum.calmar, &nulls[k]), k++;
	v[k] = Float8OrNull(r.sum.hit_rate, &nulls[k]), k++;
	v[k++] = Int32GetDatum(r.sum.trades);
	v[k] = Float8OrNull(r.sum.exposure, &nulls[k]), k++;
	v[k] = Float8OrNull(r.sum.turnover, &nulls[k]), k++;
	v[k] = Float8OrNull(r.sum.bh_total_return, &nulls[k]), k++;
	v[k] = Float8OrNull(r.sum.bh_sharpe, &nulls[k]), k++;
	v[k] = Float8OrNull(r.sum.bh_max_drawdown, &nulls[k]), k++;
	if (k != td->natts)
		elog(ERROR, "ap_backtest returns %d columns, its declaration %d", k, td->natts);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, v, nulls)));
}

PG_FUNCTION_INFO_V1(ap_backtest_equity);

/* The curve of ap_backtest, one row per bar. */
Datum
ap_backtest_equity(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	static const char *const signal_names[3] = {"SELL", "HOLD", "BUY"};
	BtResult	r;
	Datum		v[11];
	bool		nulls[11];

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	if (rsinfo->setDesc->natts != lengthof(v))
		elog(ERROR, "ap_backtest_equity returns %d columns, its declaration %d",
			 (int) lengthof(v), rsinfo->setDesc->natts);
	RunBacktest(fcinfo, &r);
	memset(nulls, 0, sizeof(nulls));
	for (int i = 0; i < r.n; i++)
	{
		const BtCurve *c = &r.curve;

		v[0] = TimestampTzGetDatum(r.ts[i]);
		v[1] = Float8GetDatum(r.score[i]);
		v[2] = CStringGetTextDatum(signal_names[c->signal[i] - AP_BT_SELL]);
		v[3] = Int32GetDatum(c->position[i]);
		v[4] = Float8GetDatum(c->cost[i]);
		v[5] = Float8GetDatum(c->asset_return[i]);
		v[6] = Float8GetDatum(c->bar_return[i]);
		v[7] = Float8GetDatum(c->equity[i]);
		v[8] = Float8GetDatum(c->bh_equity[i]);
		v[9] = Float8GetDatum(c->drawdown[i]);
		v[10] = BoolGetDatum(r.ts[i] <= r.train_to);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
		pfree(DatumGetPointer(v[2]));
		if (i % AP_BT_POLL_BARS == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return (Datum) 0;
}
