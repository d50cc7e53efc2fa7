/*
 * ml_train.c - ap_train: time-ordered splits (walk-forward folds with a gap,
 * an untouched out-of-time holdout), linear models or XGBoost with early
 * stopping, an optional seeded random search, the refit, holdout metrics and
 * the rows in alphapulse.runs and alphapulse.models.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "ml_model.h"
#include "ml_seal.h"
#include "ml_train.h"
#include "ml_trainer.h"
#include "ml_progress.h"
#include "ml_util.h"
#include "ml_validate.h"
#include "ml_xgb.h"

typedef enum Algo
{
	ALGO_XGBOOST,
	ALGO_RIDGE,
	ALGO_LASSO,
	ALGO_LOGISTIC
} Algo;

static const char *const algo_names[] = {"xgboost", "ridge", "lasso", "logistic"};

#define A_XGB (1 << ALGO_XGBOOST)
#define A_LIN ((1 << ALGO_RIDGE) | (1 << ALGO_LASSO) | (1 << ALGO_LOGISTIC))
#define A_ALL (A_XGB | A_LIN)

/*
 * Parameter limits (issue 7): wide enough for any model a quant would train
 * on bars, small enough that the memory estimate below stays meaningful.
 * num_round 10000 covers slow learning rates (eta down to 1e-6) with early
 * stopping; depth 12 is 4096 leaves, beyond which trees memorise bars;
 * max_bin 1024 is 4x XGBoost's default; at most 400 fits (trials x folds).
 */
#define AP_MAX_FOLDS 20
#define AP_MAX_TRIALS 200
#define AP_MAX_FITS 400
#define AP_MAX_NUM_ROUND 10000
#define AP_MAX_EARLY_STOPPING 1000
#define AP_MAX_DEPTH 12
#define AP_MIN_ETA 1e-6
#define AP_MAX_BIN 1024
#define AP_MAX_LINEAR_ITER 1000000
/* defaults used when a parameter is not given */
#define AP_FULL_NUM_ROUND 500
#define AP_FAST_NUM_ROUND 100
#define AP_DEFAULT_DEPTH 4
#define AP_SEARCH_MAX_DEPTH 8	/* the random search draws depths 2..8 */
#define AP_DEFAULT_MAX_BIN 256

/* A training parameter: who may use it and its valid range. */
typedef struct ParamDef
{
	const char *name;
	int			algos;
	double		min,
				max;
	bool		integer;
} ParamDef;

static const ParamDef param_defs[] = {
	{"holdout", A_ALL, 0.05, 0.5, false},
	{"folds", A_ALL, 1, AP_MAX_FOLDS, true},
	{"gap", A_ALL, 0, 100000, true},
	{"seed", A_ALL, 0, 2147483647, true},
	{"fee", A_ALL, 0, 0.1, false},
	{"trials", A_ALL, 1, AP_MAX_TRIALS, true},
	{"min_train_rows", A_ALL, 10, 10000000, true},
	{"num_round", A_XGB, 1, AP_MAX_NUM_ROUND, true},
	{"early_stopping_rounds", A_XGB, 0, AP_MAX_EARLY_STOPPING, true},
	{"max_depth", A_XGB, 1, AP_MAX_DEPTH, true},
	{"eta", A_XGB, AP_MIN_ETA, 1, false},
	{"subsample", A_XGB, 0.01, 1, false},
	{"colsample_bytree", A_XGB, 0.01, 1, false},
	{"min_child_weight", A_XGB, 0, 1e6, false},
	{"lambda", A_ALL, 0, 1e6, false},
	{"alpha", A_XGB, 0, 1e6, false},
	{"gamma", A_XGB, 0, 1e6, false},
	{"max_bin", A_XGB, 2, AP_MAX_BIN, true},
	{"l1_ratio", 1 << ALGO_LOGISTIC, 0, 1, false},
	{"max_iter", A_LIN, 1, AP_MAX_LINEAR_ITER, true},
	{"tol", A_LIN, 1e-15, 1, false},
};

#define NPARAMS ((int) lengthof(param_defs))

/* Everything ap_train decides before fitting. */
typedef struct TrainOpts
{
	Algo		algo;
	bool		full;
	bool		classification;
	int			horizon;
	double		holdout;
	int			folds;
	int			gap;
	int64		seed;
	double		fee;
	int			trials;
	int			min_train;
	/* values given by the caller (fixed in a search); NaN: not given */
	double		given[NPARAMS];
} TrainOpts;

/* One candidate configuration of the model. */
typedef struct Config
{
	double		v[NPARAMS];		/* NaN: library default */
} Config;

static int
ParamIndex(const char *name)
{
	for (int i = 0; i < NPARAMS; i++)
		if (strcmp(param_defs[i].name, name) == 0)
			return i;
	return -1;
}

static double
Opt(const Config *c, const char *name, double dflt)
{
	double		v = c->v[ParamIndex(name)];

	return isnan(v) ? dflt : v;
}

static char *
ValidParams(Algo algo)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < NPARAMS; i++)
		if (param_defs[i].algos & (1 << algo))
			appendStringInfo(&s, "%s%s", s.len ? ", " : "", param_defs[i].name);
	return s.data;
}

/* Reads the caller's params object: known keys, numbers, in range. */
static void
ParseParams(Jsonb *jb, TrainOpts *o)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	for (int i = 0; i < NPARAMS; i++)
		o->given[i] = NAN;
	if (jb == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("params must be a JSON object")));
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
		{
			int			k = ParamIndex(key);
			double		d;

			if (k < 0 || !(param_defs[k].algos & (1 << o->algo)))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown parameter \"%s\" for algorithm %s", key, algo_names[o->algo]),
						 errhint("Valid parameters: %s.", ValidParams(o->algo))));
			if (v.type != jbvNumeric)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("parameter \"%s\" must be a number", key)));
			d = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v.val.numeric)));
			if (d < param_defs[k].min || d > param_defs[k].max ||
				(param_defs[k].integer && d != floor(d)))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("parameter \"%s\" must be %s between %g and %g", key,
								param_defs[k].integer ? "an integer" : "a number",
								param_defs[k].min, param_defs[k].max),
						 errdetail("It was %g.", d)));
			o->given[k] = d;
		}
	}
}

static void
JsonNum(StringInfo s, double v)
{
	if (isfinite(v))
		appendStringInfo(s, "%.17g", v);
	else
		appendStringInfoString(s, "null");
}

static Datum
JsonbFromString(StringInfo s)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(s->data));
}

int
FeatureSetWidth(const char *feature_set)
{
	Oid			t[1] = {TEXTOID};
	Datum		a[1] = {CStringGetTextDatum(feature_set)};
	bool		isnull;

	SPI_execute_with_args("SELECT array_length(feature_names, 1) FROM alphapulse.feature_sets WHERE name = $1",
						  1, t, a, NULL, true, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("feature set \"%s\" does not exist", feature_set),
				 errhint("Create it with ap_feature_set(name, spec); see alphapulse.feature_sets.")));
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

void
BuildFeaturesFor(Oid nsp, const char *symbol, const char *feature_set)
{
	Oid			t[2] = {TEXTOID, TEXTOID};
	Datum		a[2] = {CStringGetTextDatum(symbol), CStringGetTextDatum(feature_set)};

	char	   *sql = psprintf("SELECT %s.ap_build_features($1, $2)",
							   quote_identifier(get_namespace_name(nsp)));

	if (SPI_execute_with_args(sql, 2, t, a, NULL, false, 0) < 0)
		elog(ERROR, "building features failed");
}

#define AP_FEATURE_QUERY(with_target) \
	((with_target) ? \
	 "FROM alphapulse.features WHERE symbol OPERATOR(pg_catalog.=) $1 AND feature_set OPERATOR(pg_catalog.=) $2 " \
	 "AND ts OPERATOR(pg_catalog.>=) $3 AND target IS NOT NULL AND pg_catalog.array_position(x, NULL) IS NULL" : \
	 "FROM alphapulse.features WHERE symbol OPERATOR(pg_catalog.=) $1 AND feature_set OPERATOR(pg_catalog.=) $2 " \
	 "AND ts OPERATOR(pg_catalog.>=) $3 AND pg_catalog.array_position(x, NULL) IS NULL")

/* The number of rows LoadFeatureRows would load, counted without loading them. */
int64
CountFeatureRows(const char *symbol, const char *feature_set, bool with_target,
				 TimestampTz since)
{
	Oid			t[3] = {TEXTOID, TEXTOID, TIMESTAMPTZOID};
	Datum		a[3] = {CStringGetTextDatum(symbol), CStringGetTextDatum(feature_set),
	TimestampTzGetDatum(since)};
	bool		isnull;

	if (SPI_execute_with_args(psprintf("SELECT pg_catalog.count(*) %s", AP_FEATURE_QUERY(with_target)),
							  3, t, a, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "counting features failed");
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * Bytes the backend holds while loading n rows of p features: its own copy
 * of the matrix and the targets, plus one batch of SPI tuples.
 */
double
FeatureLoadMemory(int64 n, int p)
{
	return 8.0 * n * (p + 3) +
		(double) Min(n, AP_FEATURE_LOAD_BATCH) * (8.0 * p + AP_FEATURE_TUPLE_OVERHEAD);
}

/*
 * Loads through a cursor in batches of AP_FEATURE_LOAD_BATCH rows, so the
 * peak is the matrix plus one batch rather than the matrix plus every tuple.
 * Callers check the count and FeatureLoadMemory first; rows beyond
 * max_rows (inserted since the count) are left out.
 */
void
LoadFeatureRows(const char *symbol, const char *feature_set, bool with_target,
				TimestampTz since, int expect_p, int64 max_rows, FeatureRows *r)
{
	Oid			t[3] = {TEXTOID, TEXTOID, TIMESTAMPTZOID};
	Datum		a[3] = {CStringGetTextDatum(symbol), CStringGetTextDatum(feature_set),
	TimestampTzGetDatum(since)};
	Portal		cur;
	int			i = 0;

	if (max_rows < 0 || max_rows >= INT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many feature rows of \"%s\"", symbol)));
	cur = SPI_cursor_open_with_args(NULL,
									psprintf("SELECT ts, x, target, fwd_return %s ORDER BY ts",
											 AP_FEATURE_QUERY(with_target)),
									3, t, a, NULL, false, CURSOR_OPT_NO_SCROLL);
	r->n = 0;
	r->p = expect_p;
	r->x = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * ((size_t) max_rows * r->p + 1));
	r->y = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * (max_rows + 1));
	r->fwd = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * (max_rows + 1));
	r->ts = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(TimestampTz) * (max_rows + 1));
	for (;;)
	{
		SPI_cursor_fetch(cur, true, AP_FEATURE_LOAD_BATCH);
		if (SPI_processed == 0)
			break;
		for (uint64 k = 0; k < SPI_processed && i < max_rows; k++, i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[k];
			TupleDesc	td = SPI_tuptable->tupdesc;
			bool		isnull;
			ArrayType  *arr;
			Datum		d;

			r->ts[i] = DatumGetTimestampTz(SPI_getbinval(tup, td, 1, &isnull));
			arr = DatumGetArrayTypeP(SPI_getbinval(tup, td, 2, &isnull));
			if (ARR_NDIM(arr) != 1 || ArrayGetNItems(1, ARR_DIMS(arr)) != r->p)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("a feature row of \"%s\" does not match feature set \"%s\"",
								symbol, feature_set),
						 errdetail("The row at %s has %d values; the feature set has %d features.",
								   timestamptz_to_str(r->ts[i]),
								   ARR_NDIM(arr) == 1 ? ArrayGetNItems(1, ARR_DIMS(arr)) : 0, r->p),
						 errhint("Rebuild the features: DELETE FROM alphapulse.features WHERE feature_set = '%s', then ap_build_features.",
								 feature_set)));
			if (!ARR_HASNULL(arr))
				memcpy(r->x + (size_t) i * r->p, (char *) arr + ARR_OVERHEAD_NONULLS(1), sizeof(double) * r->p);
			else
			{
				/* a slice may carry a null bitmap without nulls */
				Datum	   *el;
				bool	   *nulls;
				int			nel;

				deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &el, &nulls, &nel);
				for (int j = 0; j < r->p; j++)
					r->x[(size_t) i * r->p + j] = nulls[j] ? NAN : DatumGetFloat8(el[j]);
				pfree(el);
				pfree(nulls);
			}
			if ((Pointer) arr != DatumGetPointer(SPI_getbinval(tup, td, 2, &isnull)))
				pfree(arr);
			d = SPI_getbinval(tup, td, 3, &isnull);
			r->y[i] = isnull ? NAN : DatumGetFloat8(d);
			d = SPI_getbinval(tup, td, 4, &isnull);
			r->fwd[i] = isnull ? NAN : DatumGetFloat8(d);
			if ((i & 1023) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		SPI_freetuptable(SPI_tuptable);
		if (i >= max_rows)
			break;
	}
	SPI_cursor_close(cur);
	r->n = i;
}

Jsonb *
LinearToJsonb(const LinearModel *m)
{
	StringInfoData s;
	const double *arrs[3] = {m->coef, m->mean, m->scale};
	const char *names[3] = {"coef", "mean", "scale"};

	initStringInfo(&s);
	appendStringInfo(&s, "{\"link\": \"%s\", \"intercept\": ",
					 m->logistic ? "logistic" : m->clip01 ? "clip01" : "identity");
	JsonNum(&s, m->intercept);
	for (int k = 0; k < 3; k++)
	{
		appendStringInfo(&s, ", \"%s\": [", names[k]);
		for (int j = 0; j < m->p; j++)
		{
			if (j)
				appendStringInfoString(&s, ", ");
			JsonNum(&s, arrs[k][j]);
		}
		appendStringInfoChar(&s, ']');
	}
	appendStringInfoChar(&s, '}');
	return DatumGetJsonbP(JsonbFromString(&s));
}

/* A row range [from, to) of the feature rows. */
typedef struct Range
{
	int			from,
				to;
} Range;

typedef struct Split
{
	Range		train;
	Range		valid;
} Split;

/* The result of fitting one configuration on one training range. */
typedef struct FitResult
{
	int			rounds;			/* xgboost: best round count */
	int			rounds_run;
	double		valid_metric;	/* logloss or rmse on the validation range */
	double	   *curve;			/* train, valid metric per round */
	double	   *pred;			/* predictions on the evaluation range */
	LinearModel lin;
	bytea	   *model;			/* xgboost refit: the model as UBJ */
} FitResult;

static void
Interrupt(void)
{
	CHECK_FOR_INTERRUPTS();
}

static void
SetXgbParams(const TrainOpts *o, const Config *c, XgbParams *ps)
{
	char		buf[64];
	static const char *const keys[] = {"max_depth", "eta", "subsample", "colsample_bytree",
	"min_child_weight", "lambda", "alpha", "gamma", "max_bin"};
	static const double dflt[] = {AP_DEFAULT_DEPTH, 0.1, 0.8, 0.8, 1, 1, 0, 0, AP_DEFAULT_MAX_BIN};

	memset(ps, 0, sizeof(*ps));
	XgbSetParam(ps, "objective", o->classification ? "binary:logistic" : "reg:squarederror");
	XgbSetParam(ps, "eval_metric", o->classification ? "logloss" : "rmse");
	XgbSetParam(ps, "tree_method", "hist");
	snprintf(buf, sizeof(buf), "%lld", (long long) o->seed);
	XgbSetParam(ps, "seed", buf);
	for (int k = 0; k < (int) lengthof(keys); k++)
	{
		snprintf(buf, sizeof(buf), "%.17g", Opt(c, keys[k], dflt[k]));
		XgbSetParam(ps, keys[k], buf);
	}
}

/*
 * Fits on rows train and predicts rows eval; with early stopping when valid is
 * true (xgboost), otherwise exactly `rounds` rounds.  XGBoost runs in the
 * trainer process (ml_trainer.c), which already holds the rows; with
 * want_model the refit's model bytes come back in fr->model.
 */
static void
Fit(const TrainOpts *o, const Config *c, const FeatureRows *r, Range train, Range eval,
	bool early_stop, int rounds, bool want_model, FitResult *fr)
{
	int			nt = train.to - train.from,
				ne = eval.to - eval.from,
				p = r->p;
	const double *xt = r->x + (size_t) train.from * p;	/* ranges are contiguous */
	const double *yt = r->y + train.from;

	memset(fr, 0, sizeof(*fr));
	if (o->algo == ALGO_XGBOOST)
	{
		XgbParams	ps;
		TrainerFit	f;
		TrainerOut	out;

		f.train_from = train.from;
		f.train_to = train.to;
		f.eval_from = eval.from;
		f.eval_to = eval.to;
		f.max_rounds = early_stop ? (int) Opt(c, "num_round", o->full ? AP_FULL_NUM_ROUND : AP_FAST_NUM_ROUND) : rounds;
		f.es_rounds = (int) Opt(c, "early_stopping_rounds", o->full ? 25 : 10);
		f.early_stop = early_stop;
		f.want_model = want_model;
		SetXgbParams(o, c, &ps);
		TrainerRun(&f, &ps, &out);
		fr->rounds = out.rounds;
		fr->rounds_run = out.rounds_run;
		fr->valid_metric = out.best_metric;
		fr->curve = out.curve;
		fr->pred = out.pred;
		fr->model = out.model;
	}
	else
	{
		double		lambda = Opt(c, "lambda", o->algo == ALGO_LASSO ? 1e-3 : o->algo == ALGO_RIDGE ? 1e-2 : 1e-3);
		double		l1 = o->algo == ALGO_LASSO ? 1 : o->algo == ALGO_RIDGE ? 0 : Opt(c, "l1_ratio", 0);

		fr->pred = palloc(sizeof(double) * (ne + 1));
		fr->lin.coef = palloc(sizeof(double) * p);
		fr->lin.mean = palloc(sizeof(double) * p);
		fr->lin.scale = palloc(sizeof(double) * p);
		fr->rounds_run = FitLinear(xt, yt, nt, p, lambda, l1, o->algo == ALGO_LOGISTIC,
								   (int) Opt(c, "max_iter", 100000), Opt(c, "tol", 1e-10),
								   &fr->lin, Interrupt);
		fr->lin.clip01 = o->classification && o->algo != ALGO_LOGISTIC;
		for (int i = 0; i < ne; i++)
			fr->pred[i] = PredictLinear(&fr->lin, r->x + (size_t) (eval.from + i) * p);
	}
	/* the selection metric on the evaluation range */
	if (o->classification)
	{
		ClassMetrics m;

		ClassificationMetrics(r->y + eval.from, fr->pred, ne, &m);
		fr->valid_metric = m.logloss;
	}
	else
	{
		RegMetrics	m;

		RegressionMetrics(r->y + eval.from, fr->pred, ne, &m);
		fr->valid_metric = m.rmse;
	}
}

static void
AppendMetrics(StringInfo s, const TrainOpts *o, const double *y, const double *pred, int n)
{
	if (o->classification)
	{
		ClassMetrics m;

		ClassificationMetrics(y, pred, n, &m);
		appendStringInfoString(s, "{\"auc\": ");
		JsonNum(s, m.auc);
		appendStringInfoString(s, ", \"logloss\": ");
		JsonNum(s, m.logloss);
		appendStringInfoString(s, ", \"accuracy\": ");
		JsonNum(s, m.accuracy);
		appendStringInfoString(s, ", \"precision\": ");
		JsonNum(s, m.precision);
		appendStringInfoString(s, ", \"recall\": ");
		JsonNum(s, m.recall);
		appendStringInfoString(s, ", \"f1\": ");
		JsonNum(s, m.f1);
		appendStringInfoString(s, ", \"brier\": ");
		JsonNum(s, m.brier);
	}
	else
	{
		RegMetrics	m;

		RegressionMetrics(y, pred, n, &m);
		appendStringInfoString(s, "{\"rmse\": ");
		JsonNum(s, m.rmse);
		appendStringInfoString(s, ", \"mae\": ");
		JsonNum(s, m.mae);
		appendStringInfoString(s, ", \"r2\": ");
		JsonNum(s, m.r2);
		appendStringInfoString(s, ", \"directional_accuracy\": ");
		JsonNum(s, m.directional);
	}
	appendStringInfo(s, ", \"rows\": %d", n);
}

/* splitmix64, for a seeded search that is the same on every machine */
static uint64
NextRandom(uint64 *state)
{
	uint64		z = (*state += UINT64CONST(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static double
Uniform(uint64 *state, double lo, double hi)
{
	return lo + (hi - lo) * ((NextRandom(state) >> 11) * (1.0 / 9007199254740992.0));
}

static double
LogUniform(uint64 *state, double lo, double hi)
{
	return exp(Uniform(state, log(lo), log(hi)));
}

/* Draws trial t's configuration; trial 0 is the defaults; given values stay fixed. */
static void
DrawConfig(const TrainOpts *o, int t, uint64 *rng, Config *c)
{
	for (int i = 0; i < NPARAMS; i++)
		c->v[i] = NAN;
	if (t > 0)
	{
		if (o->algo == ALGO_XGBOOST)
		{
			c->v[ParamIndex("max_depth")] = floor(Uniform(rng, 2, 9));
			c->v[ParamIndex("eta")] = LogUniform(rng, 0.01, 0.3);
			c->v[ParamIndex("subsample")] = Uniform(rng, 0.5, 1);
			c->v[ParamIndex("colsample_bytree")] = Uniform(rng, 0.5, 1);
			c->v[ParamIndex("min_child_weight")] = LogUniform(rng, 1, 20);
			c->v[ParamIndex("lambda")] = LogUniform(rng, 0.1, 10);
			c->v[ParamIndex("gamma")] = Uniform(rng, 0, 1) < 0.5 ? 0 : LogUniform(rng, 0.001, 1);
		}
		else
		{
			c->v[ParamIndex("lambda")] = LogUniform(rng, 1e-5, 1);
			if (o->algo == ALGO_LOGISTIC)
				c->v[ParamIndex("l1_ratio")] = Uniform(rng, 0, 1);
		}
	}
	for (int i = 0; i < NPARAMS; i++)
		if (!isnan(o->given[i]))
			c->v[i] = o->given[i];
}

static void
AppendConfig(StringInfo s, const Config *c)
{
	bool		first = true;

	appendStringInfoChar(s, '{');
	for (int i = 0; i < NPARAMS; i++)
		if (!isnan(c->v[i]))
		{
			appendStringInfo(s, "%s\"%s\": ", first ? "" : ", ", param_defs[i].name);
			JsonNum(s, c->v[i]);
			first = false;
		}
	appendStringInfoChar(s, '}');
}

static void
AppendTs(StringInfo s, TimestampTz t)
{
	appendStringInfo(s, "\"%s\"", timestamptz_to_str(t));
}

/*
 * Upper bound of the trainer's memory for an XGBoost job (bytes), checked
 * against alphapulse.max_training_memory before anything starts.  With n rows
 * of p features, nt rows in the largest training range (the refit), ne in the
 * largest evaluation range, R = num_round, d = max_depth (8 when the search
 * draws it), b = max_bin and T threads, XGBoost 1.7 hist holds at most:
 *
 *   data   8 n (p + 1)                     the rows sent to the trainer
 *   matrix (nt + ne) (12 p + 16)           DMatrix entries (8 B), quantised
 *                                          index (<= 4 B), row pointers
 *   hist   16 p min(b, nt) (L + T W)       a gradient histogram per node of
 *                                          a tree (L = min(2^(d+1) - 1, 2 nt)
 *                                          nodes) and per-thread buffers for
 *                                          one level (W = min(2^d, nt))
 *   model  AP_NODE_BYTES R L               every tree node in the model, its
 *                                          JSON and UBJ copies when saved
 *   misc   64 (nt + ne) + 16 R + base      gradients, predictions, row
 *                                          partitions, the learning curve and
 *                                          the program with its libraries
 *
 * Measured with bench/training_memory.py (20,000 bars x 40 features, XGBoost
 * 1.7.4; estimate / peak RSS (VmHWM) / peak address space (VmPeak), MB):
 *
 *   defaults (fast: depth 4, 100 rounds, 256 bins)          76 /   33 /   37
 *   full mode (12 trials x 4 folds, depth <= 8)            252 /   82 /   89
 *   depth 8, 1000 rounds, no early stopping                312 /   95 /  103
 *   depth 12, 100 rounds, 1024 bins, mcw 0, lambda 0      7947 / 1945 / 2722
 *   depth 10, 100 rounds, 1024 bins, 2 threads            2677 /  621 /  819
 *
 * The estimate is 2.3x to 4.3x the measured peak: the histogram and model
 * terms assume full trees, which real data rarely grows.  The trainer's
 * RLIMIT_AS is the limit plus AP_TRAINER_BASE_VM_MB and a stack per thread,
 * which covers the address space reserved beyond the resident peak.
 */
#define AP_NODE_BYTES 256
#define AP_TRAINER_BASE_RSS ((double) 48 * 1024 * 1024)
/* what a backend holds besides the rows (metrics, JSON of the run) */
#define AP_BACKEND_BASE_BYTES ((double) 4 * 1024 * 1024)

static double
TrainingMemoryEstimate(int n, int p, int nt, int ne, int rounds, int depth, int max_bin,
					   int threads)
{
	double		nodes = Min(ldexp(1, depth + 1) - 1, 2.0 * nt),
				width = Min(ldexp(1, depth), (double) nt),
				bins = (double) p * Min(max_bin, nt);

	return 8.0 * n * (p + 1) +
		(double) (nt + ne) * (12.0 * p + 16) +
		16.0 * bins * (nodes + threads * width) +
		(double) AP_NODE_BYTES * rounds * nodes +
		64.0 * (nt + ne) + 16.0 * rounds + AP_TRAINER_BASE_RSS;
}

/* Refuses an XGBoost job whose estimate exceeds alphapulse.max_training_memory. */
static void
CheckTrainingMemory(const TrainOpts *o, int n, int p, int nt, int ne)
{
	int			ki = ParamIndex("max_depth"),
				kb = ParamIndex("max_bin"),
				kr = ParamIndex("num_round");
	int			depth = !isnan(o->given[ki]) ? (int) o->given[ki] :
		o->trials > 1 ? AP_SEARCH_MAX_DEPTH : AP_DEFAULT_DEPTH;
	int			max_bin = !isnan(o->given[kb]) ? (int) o->given[kb] : AP_DEFAULT_MAX_BIN;
	int			rounds = !isnan(o->given[kr]) ? (int) o->given[kr] :
		o->full ? AP_FULL_NUM_ROUND : AP_FAST_NUM_ROUND;
	int			threads = XgbThreads();
	double		est = TrainingMemoryEstimate(n, p, nt, ne, rounds, depth, max_bin, threads);
	double		limit = (double) ap_max_training_memory * 1024 * 1024;

	if (est > limit || !isfinite(est))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training would need more memory than alphapulse.max_training_memory allows"),
				 errdetail("The estimate for %d rows of %d features, num_round %d, max_depth %d, max_bin %d and %d thread%s is %.0f MB; the limit is %d MB.",
						   n, p, rounds, depth, max_bin, threads, threads == 1 ? "" : "s",
						   ceil(est / (1024 * 1024)), ap_max_training_memory),
				 errhint("Lower num_round or max_depth (the model grows with num_round x 2^max_depth), max_bin, alphapulse.xgboost_threads or the rows (min_train_rows, holdout), or ask a superuser to raise alphapulse.max_training_memory.")));
}

/*
 * Refuses a job whose rows alone would take the backend past
 * alphapulse.max_training_memory, before they are loaded: the matrix, its
 * targets and a batch of tuples (FeatureLoadMemory), and for linear models,
 * which fit in the backend, the standardised copy of the matrix and the
 * (p + 1)^2 normal equations.  The XGBoost trainer's own memory is checked
 * by CheckTrainingMemory and bounded by its RLIMIT_AS.
 */
static void
CheckBackendMemory(const TrainOpts *o, int64 n, int p)
{
	double		est = FeatureLoadMemory(n, p) + AP_BACKEND_BASE_BYTES;
	double		limit = (double) ap_max_training_memory * 1024 * 1024;

	if (o->algo != ALGO_XGBOOST)
		est += 8.0 * n * p + 8.0 * (p + 1.0) * (p + 1.0) + 64.0 * n;
	if (est > limit || !isfinite(est))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training would need more memory than alphapulse.max_training_memory allows"),
				 errdetail("The estimate for loading%s %lld rows of %d features in the backend is %.0f MB; the limit is %d MB.",
						   o->algo != ALGO_XGBOOST ? " and fitting" : "",
						   (long long) n, p, ceil(est / (1024 * 1024)), ap_max_training_memory),
				 errhint("Use a feature set with fewer features or fewer rows (bars), or ask a superuser to raise alphapulse.max_training_memory.")));
}

/* Trains, validates and registers a model of a symbol; returns the model id. */
static Datum
TrainModel(FunctionCallInfo fcinfo)
{
	char	   *symbol,
			   *mode,
			   *algo_name,
			   *feature_set;
	Jsonb	   *params = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	TrainOpts	o;
	FeatureRows r;
	int			p,
				nhold,
				pre_end,
				needed,
				block;
	Split	   *splits;
	MemoryContext handles;
	TimestampTz started = GetCurrentTimestamp();
	uint64		rng;
	Config		best_cfg;
	double		best_score = INFINITY;
	int			best_rounds = 0;
	StringInfoData js_splits,
				js_folds,
				js_curves,
				js_trials,
				js_hold,
				js_params,
				js_stats;
	FitResult	final;
	Range		refit,
				hold;
	int64		model_id;
	int			ntrials;
	double		periods_per_year;
	char		task_kind[16];
	int64		n_rows;
	TimestampTz t_features,
				t_load,
				t_cv,
				t_refit;

	for (int i = 0; i < 5; i++)
		if (PG_ARGISNULL(i) && i != 3)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("ap_train arguments other than params must not be null")));
	symbol = text_to_cstring(PG_GETARG_TEXT_PP(0));
	mode = text_to_cstring(PG_GETARG_TEXT_PP(1));
	algo_name = text_to_cstring(PG_GETARG_TEXT_PP(2));
	feature_set = text_to_cstring(PG_GETARG_TEXT_PP(4));

	memset(&o, 0, sizeof(o));
	if (strcmp(mode, "fast") == 0)
		o.full = false;
	else if (strcmp(mode, "full") == 0)
		o.full = true;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown training mode \"%s\"", mode),
				 errhint("Valid modes: fast, full.")));
	o.algo = -1;
	for (int i = 0; i < (int) lengthof(algo_names); i++)
		if (strcmp(algo_names[i], algo_name) == 0)
			o.algo = i;
	if ((int) o.algo < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown algorithm \"%s\"", algo_name),
				 errhint("Valid algorithms: xgboost, ridge, lasso, logistic.")));
	ParseParams(params, &o);

	SPI_connect();
	CheckSymbol(symbol);
	p = FeatureSetWidth(feature_set);
	{
		Oid			t[1] = {TEXTOID};
		Datum		a[1] = {CStringGetTextDatum(feature_set)};
		bool		isnull;
		HeapTuple	tup;

		SPI_execute_with_args("SELECT horizon, target_kind FROM alphapulse.feature_sets WHERE name = $1",
							  1, t, a, NULL, true, 1);
		tup = SPI_tuptable->vals[0];
		o.horizon = DatumGetInt32(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		strlcpy(task_kind, TextDatumGetCString(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull)),
				sizeof(task_kind));
		o.classification = strcmp(task_kind, "classification") == 0;
	}
	if (o.algo == ALGO_LOGISTIC && !o.classification)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("logistic regression needs a classification target"),
				 errdetail("Feature set \"%s\" has a regression target.", feature_set),
				 errhint("Use ridge, lasso or xgboost, or a feature set with \"type\": \"classification\".")));
	periods_per_year = ApPeriodsPerYear(symbol);

	o.holdout = isnan(o.given[ParamIndex("holdout")]) ? 0.2 : o.given[ParamIndex("holdout")];
	o.folds = isnan(o.given[ParamIndex("folds")]) ? (o.full ? 4 : 1) : (int) o.given[ParamIndex("folds")];
	o.gap = isnan(o.given[ParamIndex("gap")]) ? o.horizon : (int) o.given[ParamIndex("gap")];
	if (o.gap < o.horizon)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("gap must be at least the target horizon"),
				 errdetail("The gap was %d bars; the horizon of \"%s\" is %d.", o.gap, feature_set, o.horizon)));
	o.seed = isnan(o.given[ParamIndex("seed")]) ? 42 : (int64) o.given[ParamIndex("seed")];
	o.fee = isnan(o.given[ParamIndex("fee")]) ? 0.001 : o.given[ParamIndex("fee")];
	o.trials = isnan(o.given[ParamIndex("trials")]) ? (o.full ? 12 : 1) : (int) o.given[ParamIndex("trials")];
	o.min_train = isnan(o.given[ParamIndex("min_train_rows")]) ? 50 : (int) o.given[ParamIndex("min_train_rows")];
	if (o.trials * o.folds > AP_MAX_FITS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trials x folds must be at most %d", AP_MAX_FITS),
				 errdetail("%d trials of %d folds make %d fits.", o.trials, o.folds, o.trials * o.folds),
				 errhint("Lower trials or folds.")));
	/* these are options of the run, not of the model: keep them out of the search configs */
	{
		const char *run_keys[] = {"holdout", "folds", "gap", "seed", "fee", "trials", "min_train_rows"};

		initStringInfo(&js_params);
		appendStringInfo(&js_params, "{\"holdout\": %g, \"folds\": %d, \"gap\": %d, \"seed\": %lld, \"fee\": %g, \"trials\": %d, \"min_train_rows\": %d",
						 o.holdout, o.folds, o.gap, (long long) o.seed, o.fee, o.trials, o.min_train);
		for (int k = 0; k < (int) lengthof(run_keys); k++)
			o.given[ParamIndex(run_keys[k])] = NAN;
	}

	BuildFeaturesFor(get_func_namespace(fcinfo->flinfo->fn_oid), symbol, feature_set);
	t_features = GetCurrentTimestamp();
	/* the backend's own memory is checked before a row is loaded */
	n_rows = CountFeatureRows(symbol, feature_set, true, DT_NOBEGIN);
	CheckBackendMemory(&o, n_rows, p);
	TrainerSlotAcquire();
	LoadFeatureRows(symbol, feature_set, true, DT_NOBEGIN, p, n_rows, &r);
	t_load = GetCurrentTimestamp();

	/* splits: [0, pre_end) for folds and refit, a gap, then the holdout */
	block = o.min_train + o.gap;
	needed = (int) ceil(((o.folds + 1) * (double) block + o.gap + 1) / (1 - o.holdout));
	if (r.n < needed)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("too few feature rows of \"%s\" to train: %d, %d needed", symbol, r.n, needed),
				 errdetail("%d fold%s, a gap of %d bars, at least %d training rows per fold and a holdout of %g need %d rows with known targets and complete features; there are %d.",
						   o.folds, o.folds == 1 ? "" : "s", o.gap, o.min_train, o.holdout, needed, r.n),
				 errhint("Load more bars, or lower folds, min_train_rows or holdout in params.")));
	nhold = (int) floor(r.n * o.holdout);
	hold.from = r.n - nhold;
	hold.to = r.n;
	pre_end = hold.from - o.gap;
	refit.from = 0;
	refit.to = pre_end;
	splits = palloc(sizeof(Split) * o.folds);
	block = pre_end / (o.folds + 1);
	for (int k = 0; k < o.folds; k++)
	{
		splits[k].valid.from = (k + 1) * block;
		splits[k].valid.to = (k == o.folds - 1) ? pre_end : (k + 2) * block;
		splits[k].train.from = 0;
		splits[k].train.to = splits[k].valid.from - o.gap;
	}
	{
		double		lo = r.y[0],
					hi = r.y[0];

		for (int i = 0; i < pre_end; i++)
		{
			lo = Min(lo, r.y[i]);
			hi = Max(hi, r.y[i]);
		}
		for (int k = 0; k < o.folds && lo < hi; k++)
		{
			double		flo = r.y[0],
						fhi = r.y[0];

			for (int i = 0; i < splits[k].train.to; i++)
			{
				flo = Min(flo, r.y[i]);
				fhi = Max(fhi, r.y[i]);
			}
			if (flo == fhi)
				lo = hi;
		}
		if (lo == hi)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("the target of \"%s\" is constant in the training data", symbol),
					 errdetail("Every training row has target %g.", lo),
					 errhint("Check the bars, or the threshold of feature set \"%s\".", feature_set)));
	}

	initStringInfo(&js_splits);
	appendStringInfoString(&js_splits, "{\"folds\": [");
	for (int k = 0; k < o.folds; k++)
	{
		appendStringInfo(&js_splits, "%s{\"train\": [%d, %d], \"valid\": [%d, %d], \"train_from\": ",
						 k ? ", " : "", splits[k].train.from, splits[k].train.to,
						 splits[k].valid.from, splits[k].valid.to);
		AppendTs(&js_splits, r.ts[splits[k].train.from]);
		appendStringInfoString(&js_splits, ", \"train_to\": ");
		AppendTs(&js_splits, r.ts[splits[k].train.to - 1]);
		appendStringInfoString(&js_splits, ", \"valid_from\": ");
		AppendTs(&js_splits, r.ts[splits[k].valid.from]);
		appendStringInfoString(&js_splits, ", \"valid_to\": ");
		AppendTs(&js_splits, r.ts[splits[k].valid.to - 1]);
		appendStringInfoChar(&js_splits, '}');
	}
	appendStringInfo(&js_splits, "], \"refit\": [%d, %d], \"holdout\": [%d, %d], \"refit_to\": ",
					 refit.from, refit.to, hold.from, hold.to);
	AppendTs(&js_splits, r.ts[refit.to - 1]);
	appendStringInfoString(&js_splits, ", \"holdout_from\": ");
	AppendTs(&js_splits, r.ts[hold.from]);
	appendStringInfo(&js_splits, ", \"gap\": %d}", o.gap);

	if (o.algo == ALGO_XGBOOST)
	{
		if (ap_check_training_estimate)
			CheckTrainingMemory(&o, r.n, p, refit.to - refit.from, Max(hold.to - hold.from, splits[o.folds - 1].valid.to - splits[0].valid.from));
		/* one trainer process for every fit of this call; ap_train stops it on error */
		TrainerStart(r.x, r.y, r.n, p);
	}
	handles = AllocSetContextCreate(CurrentMemoryContext, "ap_train xgboost handles",
									ALLOCSET_SMALL_SIZES);
	rng = (uint64) o.seed * UINT64CONST(0x2545F4914F6CDD1D) + 1;
	ntrials = o.trials;
	initStringInfo(&js_folds);
	initStringInfo(&js_curves);
	initStringInfo(&js_trials);
	appendStringInfoChar(&js_trials, '[');
	for (int t = 0; t < ntrials; t++)
	{
		Config		cfg;
		double		sum = 0;
		int			rounds_sum = 0;
		StringInfoData folds_t,
					curves_t;

		DrawConfig(&o, t, &rng, &cfg);
		initStringInfo(&folds_t);
		initStringInfo(&curves_t);
		appendStringInfoChar(&folds_t, '[');
		appendStringInfoChar(&curves_t, '[');
		for (int k = 0; k < o.folds; k++)
		{
			FitResult	fr;

			Fit(&o, &cfg, &r, splits[k].train, splits[k].valid, true, 0, false, &fr);
			sum += fr.valid_metric;
			rounds_sum += fr.rounds;
			appendStringInfo(&folds_t, "%s", k ? ", " : "");
			AppendMetrics(&folds_t, &o, r.y + splits[k].valid.from, fr.pred,
						  splits[k].valid.to - splits[k].valid.from);
			appendStringInfo(&folds_t, ", \"fold\": %d, \"best_rounds\": %d, \"iterations\": %d}",
							 k + 1, fr.rounds, fr.rounds_run);
			if (o.algo == ALGO_XGBOOST)
			{
				appendStringInfo(&curves_t, "%s{\"fold\": %d, \"train\": [", k ? ", " : "", k + 1);
				for (int i = 0; i < fr.rounds_run; i++)
				{
					appendStringInfoString(&curves_t, i ? ", " : "");
					JsonNum(&curves_t, fr.curve[2 * i]);
				}
				appendStringInfoString(&curves_t, "], \"valid\": [");
				for (int i = 0; i < fr.rounds_run; i++)
				{
					appendStringInfoString(&curves_t, i ? ", " : "");
					JsonNum(&curves_t, fr.curve[2 * i + 1]);
				}
				appendStringInfoString(&curves_t, "]}");
			}
			MemoryContextReset(handles);
		}
		appendStringInfoChar(&folds_t, ']');
		appendStringInfoChar(&curves_t, ']');
		appendStringInfo(&js_trials, "%s{\"trial\": %d, \"params\": ", t ? ", " : "", t);
		AppendConfig(&js_trials, &cfg);
		appendStringInfo(&js_trials, ", \"mean_valid_%s\": ", o.classification ? "logloss" : "rmse");
		JsonNum(&js_trials, sum / o.folds);
		appendStringInfoChar(&js_trials, '}');
		if (sum / o.folds < best_score || t == 0)
		{
			best_score = sum / o.folds;
			best_cfg = cfg;
			best_rounds = (int) floor((double) rounds_sum / o.folds + 0.5);
			resetStringInfo(&js_folds);
			appendStringInfoString(&js_folds, folds_t.data);
			resetStringInfo(&js_curves);
			appendStringInfoString(&js_curves, curves_t.data);
		}
	}
	appendStringInfoChar(&js_trials, ']');
	t_cv = GetCurrentTimestamp();

	/* refit on all pre-holdout rows with the chosen configuration, score the holdout once */
	Fit(&o, &best_cfg, &r, refit, hold, false, Max(best_rounds, 1), true, &final);
	TrainerStop();
	TrainerSlotRelease();
	t_refit = GetCurrentTimestamp();
	initStringInfo(&js_hold);
	AppendMetrics(&js_hold, &o, r.y + hold.from, final.pred, hold.to - hold.from);
	{
		TradeMetrics tm;

		TradingMetrics(r.fwd + hold.from, final.pred, hold.to - hold.from, o.horizon,
					   o.classification ? 0.5 : 0, o.fee, periods_per_year, &tm);
		appendStringInfoString(&js_hold, ", \"strategy_return\": ");
		JsonNum(&js_hold, tm.strategy_return);
		appendStringInfoString(&js_hold, ", \"buy_hold_return\": ");
		JsonNum(&js_hold, tm.buy_hold_return);
		appendStringInfoString(&js_hold, ", \"sharpe\": ");
		JsonNum(&js_hold, tm.sharpe);
		appendStringInfoString(&js_hold, ", \"buy_hold_sharpe\": ");
		JsonNum(&js_hold, tm.buy_hold_sharpe);
		appendStringInfoString(&js_hold, ", \"max_drawdown\": ");
		JsonNum(&js_hold, tm.max_drawdown);
		appendStringInfo(&js_hold, ", \"trades\": %g, \"fee\": %g}", tm.trades, o.fee);
	}

	/* reference statistics of each feature on the refit rows */
	initStringInfo(&js_stats);
	appendStringInfoChar(&js_stats, '[');
	for (int j = 0; j < p; j++)
	{
		double		s = 0,
					ss = 0,
					lo = INFINITY,
					hi = -INFINITY,
					mean;

		for (int i = refit.from; i < refit.to; i++)
		{
			double		v = r.x[(size_t) i * p + j];

			s += v;
			lo = Min(lo, v);
			hi = Max(hi, v);
		}
		mean = s / (refit.to - refit.from);
		for (int i = refit.from; i < refit.to; i++)
		{
			double		d = r.x[(size_t) i * p + j] - mean;

			ss += d * d;
		}
		appendStringInfoString(&js_stats, j ? ", {\"mean\": " : "{\"mean\": ");
		JsonNum(&js_stats, mean);
		appendStringInfoString(&js_stats, ", \"std\": ");
		JsonNum(&js_stats, sqrt(ss / (refit.to - refit.from)));
		appendStringInfoString(&js_stats, ", \"min\": ");
		JsonNum(&js_stats, lo);
		appendStringInfoString(&js_stats, ", \"max\": ");
		JsonNum(&js_stats, hi);
		appendStringInfoChar(&js_stats, '}');
	}
	appendStringInfoChar(&js_stats, ']');

	/* the model's parameters: chosen config plus run options */
	appendStringInfoString(&js_params, ", \"model\": ");
	AppendConfig(&js_params, &best_cfg);
	appendStringInfoChar(&js_params, '}');

	{
		Oid			t[16] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, INT4OID,
			TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, JSONBOID, JSONBOID,
		BYTEAOID, JSONBOID, JSONBOID, BYTEAOID};
		Datum		a[16];
		char		nulls[16];
		bool		isnull;
		char		reason[AP_MODEL_REASON_LEN];
		bytea	   *seal;
		ApModelIdentity who;

		memset(nulls, ' ', sizeof(nulls));
		ApCheckMayRegister();
		/* serialise registrations per symbol (versions, first champion) */
		a[0] = CStringGetTextDatum(symbol);
		/*
		 * Callers cannot write alphapulse.models: registration runs as its
		 * owner (ApExecuteAsModelsOwner, the SECURITY DEFINER pattern in C)
		 * rather than through a SQL-callable definer function, so no entry
		 * point exists that would seal bytes a caller supplies.
		 */
		ApExecuteAsModelsOwner("SELECT 1 FROM alphapulse.assets WHERE symbol OPERATOR(pg_catalog.=) $1 FOR NO KEY UPDATE",
							   1, t, a, NULL, 0);
		a[1] = CStringGetTextDatum(algo_names[o.algo]);
		a[2] = CStringGetTextDatum(feature_set);
		a[3] = CStringGetTextDatum(task_kind);
		a[4] = JsonbFromString(&js_params);
		a[5] = Int32GetDatum(o.algo == ALGO_XGBOOST ? Max(best_rounds, 1) : 0);
		if (o.algo != ALGO_XGBOOST)
			nulls[5] = 'n';
		a[6] = TimestampTzGetDatum(r.ts[refit.from]);
		a[7] = TimestampTzGetDatum(r.ts[refit.to - 1]);
		a[8] = TimestampTzGetDatum(r.ts[hold.from]);
		a[9] = TimestampTzGetDatum(r.ts[hold.to - 1]);
		{
			StringInfoData cv;

			initStringInfo(&cv);
			appendStringInfo(&cv, "{\"mean_valid_%s\": ", o.classification ? "logloss" : "rmse");
			JsonNum(&cv, best_score);
			appendStringInfo(&cv, ", \"folds\": %s}", js_folds.data);
			a[10] = JsonbFromString(&cv);
		}
		a[11] = JsonbFromString(&js_hold);
		if (o.algo == ALGO_XGBOOST)
		{
			a[12] = PointerGetDatum(final.model);
			nulls[13] = 'n';
		}
		else
		{
			nulls[12] = 'n';
			a[13] = JsonbPGetDatum(LinearToJsonb(&final.lin));
		}
		a[14] = JsonbFromString(&js_stats);
		/* the fresh model is validated like any stored one, then sealed */
		{
			Oid			tn[1] = {TEXTOID};
			Datum		an[1] = {CStringGetTextDatum(feature_set)};

			/* the names the INSERT below stores (a set in use cannot change) */
			if (SPI_execute_with_args("SELECT s.feature_names::pg_catalog.text FROM alphapulse.feature_sets s "
									  "WHERE s.name OPERATOR(pg_catalog.=) $1",
									  1, tn, an, NULL, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
				elog(ERROR, "reading the feature names failed");
			who.feature_names = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
																  SPI_tuptable->tupdesc, 1, &isnull));
		}
		who.symbol = symbol;
		who.feature_set = feature_set;
		seal = ApSealModel(algo_names[o.algo], p, &who, nulls[12] == 'n' ? NULL : DatumGetByteaPP(a[12]),
						   nulls[13] == 'n' ? (Datum) 0 : a[13], reason);
		if (seal == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("the trained model failed validation"),
					 errdetail("%s", reason)));
		a[15] = PointerGetDatum(seal);
		if (ApExecuteAsModelsOwner("INSERT INTO alphapulse.models (symbol, version, algorithm, feature_set, feature_names, task, params, n_rounds, "
								   "train_from, train_to, holdout_from, holdout_to, cv_metrics, metrics, model, model_sha256, coefficients, feature_stats, "
								   "stage, promoted, model_hmac) "
								   "SELECT $1, COALESCE((SELECT pg_catalog.max(m.version) FROM alphapulse.models m "
								   "WHERE m.symbol OPERATOR(pg_catalog.=) $1), 0) OPERATOR(pg_catalog.+) 1, $2, $3, "
								   "(SELECT s.feature_names FROM alphapulse.feature_sets s WHERE s.name OPERATOR(pg_catalog.=) $3), "
								   "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13, pg_catalog.sha256($13), $14, $15, "
								   "CASE WHEN EXISTS (SELECT FROM alphapulse.models m WHERE m.symbol OPERATOR(pg_catalog.=) $1 "
								   "AND m.stage OPERATOR(pg_catalog.=) 'champion') THEN 'challenger' ELSE 'champion' END, "
								   "CASE WHEN EXISTS (SELECT FROM alphapulse.models m WHERE m.symbol OPERATOR(pg_catalog.=) $1 "
								   "AND m.stage OPERATOR(pg_catalog.=) 'champion') THEN NULL ELSE pg_catalog.now() END, $16 "
								   "RETURNING id",
								   16, t, a, nulls, 0) != SPI_OK_INSERT_RETURNING)
			elog(ERROR, "registering the model failed");
		model_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	{
		Oid			t[21] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, INT8OID, JSONBOID, JSONBOID,
			JSONBOID, JSONBOID, JSONBOID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID, INT4OID, INT4OID,
		INT8OID, JSONBOID, TIMESTAMPTZOID, FLOAT8OID, JSONBOID};
		Datum		a[21];
		char		nulls[21];
		StringInfoData dur;
		StringInfoData ver;
		StringInfoData curves;

		memset(nulls, ' ', sizeof(nulls));
		initStringInfo(&ver);
		appendStringInfo(&ver, "{\"alphapulse\": \"%s\", \"xgboost\": \"%s\", \"postgres\": \"%s\"}", AP_VERSION,
						 XgbVersion(), PG_VERSION);
		initStringInfo(&curves);
		appendStringInfoString(&curves, o.algo == ALGO_XGBOOST ? js_curves.data : "[]");
		a[0] = CStringGetTextDatum(symbol);
		a[1] = CStringGetTextDatum(feature_set);
		a[2] = CStringGetTextDatum(algo_names[o.algo]);
		a[3] = CStringGetTextDatum(mode);
		a[4] = JsonbFromString(&js_params);
		a[5] = Int64GetDatum(o.seed);
		a[6] = JsonbFromString(&js_splits);
		{
			StringInfoData f;

			initStringInfo(&f);
			appendStringInfoString(&f, js_folds.data);
			a[7] = JsonbFromString(&f);
		}
		a[8] = JsonbFromString(&curves);
		a[9] = JsonbFromString(&js_trials);
		a[10] = JsonbFromString(&js_hold);
		a[11] = TimestampTzGetDatum(r.ts[0]);
		a[12] = TimestampTzGetDatum(r.ts[r.n - 1]);
		a[13] = Int32GetDatum(r.n);
		a[14] = Int32GetDatum(refit.to - refit.from);
		a[15] = Int32GetDatum(hold.to - hold.from);
		a[16] = Int64GetDatum(model_id);
		a[17] = JsonbFromString(&ver);
		a[18] = TimestampTzGetDatum(started);
		a[19] = Float8GetDatum((GetCurrentTimestamp() - started) / 1000.0);
		initStringInfo(&dur);
		appendStringInfo(&dur, "{\"features_ms\": %.3f, \"load_ms\": %.3f, \"cv_ms\": %.3f, \"refit_ms\": %.3f}",
						 (t_features - started) / 1000.0, (t_load - t_features) / 1000.0,
						 (t_cv - t_load) / 1000.0, (t_refit - t_cv) / 1000.0);
		a[20] = JsonbFromString(&dur);
		if (ApExecuteAsModelsOwner("WITH run AS (INSERT INTO alphapulse.runs (symbol, feature_set, algorithm, mode, status, params, seed, splits, "
								   "fold_metrics, learning_curves, trials, holdout_metrics, data_from, data_to, n_rows, n_train, n_holdout, "
								   "model_id, versions, started, duration_ms, durations) VALUES ($1, $2, $3, $4, 'succeeded', $5, $6, $7, $8, $9, $10, $11, "
								   "$12, $13, $14, $15, $16, $17, $18, $19, $20, $21) RETURNING id) "
								   "UPDATE alphapulse.models SET run_id = (SELECT id FROM run) WHERE id OPERATOR(pg_catalog.=) $17",
								   21, t, a, nulls, 0) != SPI_OK_UPDATE)
			elog(ERROR, "logging the run failed");
	}
	MemoryContextDelete(handles);
	SPI_finish();
	PG_RETURN_INT64(model_id);
}

static char *
ArgText(FunctionCallInfo fcinfo, int i)
{
	return PG_ARGISNULL(i) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(i));
}

PG_FUNCTION_INFO_V1(ap_train);

/*
 * ap_train: TrainModel, and on any error a 'failed' row in alphapulse.runs
 * written outside the aborting transaction, before the error propagates.
 */
Datum
ap_train(PG_FUNCTION_ARGS)
{
	TimestampTz started = GetCurrentTimestamp();
	MemoryContext cxt = CurrentMemoryContext;
	Datum		result = (Datum) 0;

	ApProgressBegin("ap_train", ArgText(fcinfo, 0), 0);
	PG_TRY();
	{
		result = TrainModel(fcinfo);
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		/* kill and reap the trainer first: a cancel returns at once */
		TrainerStop();
		TrainerSlotRelease();
		MemoryContextSwitchTo(cxt);
		ed = CopyErrorData();
		LogFailedRun(ArgText(fcinfo, 0), ArgText(fcinfo, 4), ArgText(fcinfo, 2),
					 ArgText(fcinfo, 1),
					 PG_ARGISNULL(3) ? NULL :
					 DatumGetCString(DirectFunctionCall1(jsonb_out, PG_GETARG_DATUM(3))),
					 ed->sqlerrcode, ed->message, started);
		PG_RE_THROW();
	}
	PG_END_TRY();
	ApProgressEnd();
	return result;
}
