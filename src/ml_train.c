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

#include "ml_json.h"
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
	{"rate_drop", A_XGB, 0, 1, false},	/* dart only */
	{"skip_drop", A_XGB, 0, 1, false},	/* dart only */
};

/* XGBoost's booster families (the string parameter "booster"); -1: XGBoost's default, gbtree */
static const char *const booster_names[] = {"gbtree", "dart", "gblinear"};

#define BOOSTER_DART 1

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
	int			booster;		/* index in booster_names, -1: not given */
} TrainOpts;

/* One candidate configuration of the model. */
typedef struct Config
{
	double		v[NPARAMS];		/* NaN: library default */
	int			booster;		/* -1: not given */
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
	if (algo == ALGO_XGBOOST)
		appendStringInfoString(&s, ", booster");
	return s.data;
}

/* "booster": one of booster_names, for xgboost only. */
static void
ParseBooster(const JsonbValue *v, TrainOpts *o)
{
	if (o->algo != ALGO_XGBOOST)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown parameter \"booster\" for algorithm %s", algo_names[o->algo]),
				 errhint("Valid parameters: %s.", ValidParams(o->algo))));
	if (v->type == jbvString)
		for (int i = 0; i < (int) lengthof(booster_names); i++)
			if (strlen(booster_names[i]) == (size_t) v->val.string.len &&
				memcmp(booster_names[i], v->val.string.val, v->val.string.len) == 0)
			{
				o->booster = i;
				return;
			}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("parameter \"booster\" must be \"gbtree\", \"dart\" or \"gblinear\""),
			 errhint("LightGBM and CatBoost are not available (not packaged in Debian); the linear models are algorithms ridge, lasso and logistic.")));
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
	o->booster = -1;
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
		else if (tok == WJB_VALUE && strcmp(key, "booster") == 0)
			ParseBooster(&v, o);
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
	if (o->booster != BOOSTER_DART &&
		(!isnan(o->given[ParamIndex("rate_drop")]) || !isnan(o->given[ParamIndex("skip_drop")])))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rate_drop and skip_drop apply to the dart booster only"),
				 errhint("Add \"booster\": \"dart\" to params.")));
}

Jsonb *
LinearToJsonb(const LinearModel *m)
{
	JsonbParseState *st = NULL;
	const double *arrs[3] = {m->coef, m->mean, m->scale};
	const char *names[3] = {"coef", "mean", "scale"};

	ApJsonBegin(&st, false);
	ApJsonKey(&st, "link");
	ApJsonString(&st, m->logistic ? "logistic" : m->clip01 ? "clip01" : "identity");
	ApJsonKeyNumber(&st, "intercept", AP_JSON_EXACT, m->intercept);
	for (int k = 0; k < 3; k++)
	{
		ApJsonKey(&st, names[k]);
		ApJsonBegin(&st, true);
		for (int j = 0; j < m->p; j++)
			ApJsonNumber(&st, AP_JSON_EXACT, arrs[k][j]);
		ApJsonEnd(&st, true);
	}
	return ApJsonFinish(&st, false);
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
	if (c->booster >= 0)
		XgbSetParam(ps, "booster", booster_names[c->booster]);
	for (int k = 0; k < 2; k++)
	{
		const char *dart_key = k == 0 ? "rate_drop" : "skip_drop";

		if (!isnan(c->v[ParamIndex(dart_key)]))
		{
			snprintf(buf, sizeof(buf), "%.17g", c->v[ParamIndex(dart_key)]);
			XgbSetParam(ps, dart_key, buf);
		}
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

/* The metrics of models.metrics for n rows, as members of the open object. */
static void
PushMetrics(JsonbParseState **st, bool classification, const double *y, const double *pred, int n)
{
	if (classification)
	{
		ClassMetrics m;

		ClassificationMetrics(y, pred, n, &m);
		ApJsonKeyNumber(st, "auc", AP_JSON_EXACT, m.auc);
		ApJsonKeyNumber(st, "logloss", AP_JSON_EXACT, m.logloss);
		ApJsonKeyNumber(st, "accuracy", AP_JSON_EXACT, m.accuracy);
		ApJsonKeyNumber(st, "precision", AP_JSON_EXACT, m.precision);
		ApJsonKeyNumber(st, "recall", AP_JSON_EXACT, m.recall);
		ApJsonKeyNumber(st, "f1", AP_JSON_EXACT, m.f1);
		ApJsonKeyNumber(st, "brier", AP_JSON_EXACT, m.brier);
	}
	else
	{
		RegMetrics	m;

		RegressionMetrics(y, pred, n, &m);
		ApJsonKeyNumber(st, "rmse", AP_JSON_EXACT, m.rmse);
		ApJsonKeyNumber(st, "mae", AP_JSON_EXACT, m.mae);
		ApJsonKeyNumber(st, "r2", AP_JSON_EXACT, m.r2);
		ApJsonKeyNumber(st, "directional_accuracy", AP_JSON_EXACT, m.directional);
	}
	ApJsonKeyInt(st, "rows", n);
}

/*
 * The metrics document of models.metrics (and of ap_evaluate's windows):
 * the task's metrics and the long/flat strategy's (TradingMetrics) on n rows.
 */
Jsonb *
ApHoldoutMetrics(bool classification, const double *y, const double *pred, const double *fwd,
				 int n, int horizon, double fee, double periods_per_year)
{
	JsonbParseState *st = NULL;
	TradeMetrics tm;

	ApJsonBegin(&st, false);
	PushMetrics(&st, classification, y, pred, n);
	TradingMetrics(fwd, pred, n, horizon, classification ? 0.5 : 0, fee, periods_per_year, &tm);
	ApJsonKeyNumber(&st, "strategy_return", AP_JSON_EXACT, tm.strategy_return);
	ApJsonKeyNumber(&st, "buy_hold_return", AP_JSON_EXACT, tm.buy_hold_return);
	ApJsonKeyNumber(&st, "sharpe", AP_JSON_EXACT, tm.sharpe);
	ApJsonKeyNumber(&st, "buy_hold_sharpe", AP_JSON_EXACT, tm.buy_hold_sharpe);
	ApJsonKeyNumber(&st, "max_drawdown", AP_JSON_EXACT, tm.max_drawdown);
	ApJsonKeyNumber(&st, "trades", "%g", tm.trades);
	ApJsonKeyNumber(&st, "fee", "%g", fee);
	return ApJsonFinish(&st, false);
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
	c->booster = o->booster;
}

/* A configuration as an object of the parameters it sets. */
static void
PushConfig(JsonbParseState **st, const Config *c)
{
	ApJsonBegin(st, false);
	for (int i = 0; i < NPARAMS; i++)
		if (!isnan(c->v[i]))
			ApJsonKeyNumber(st, param_defs[i].name, AP_JSON_EXACT, c->v[i]);
	if (c->booster >= 0)
	{
		ApJsonKey(st, "booster");
		ApJsonString(st, booster_names[c->booster]);
	}
	ApJsonEnd(st, false);
}

static void
PushTs(JsonbParseState **st, const char *key, TimestampTz t)
{
	ApJsonKey(st, key);
	ApJsonString(st, timestamptz_to_str(t));
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

/* One ap_train call: what each phase decides and hands to the next. */
typedef struct TrainJob
{
	char	   *symbol,
			   *mode,
			   *feature_set;
	TrainOpts	o;
	int			p;
	char		task_kind[16];
	double		periods_per_year;
	FeatureRows r;
	Split	   *splits;
	Range		refit,
				hold;
	/* the search's choice */
	Config		best_cfg;
	double		best_score;
	int			best_rounds;
	FitResult	final;
	/* the documents of the run and the model */
	Jsonb	   *js_run_opts,	/* run options (params without the model's) */
			   *js_splits,
			   *js_folds,		/* the chosen trial's fold metrics */
			   *js_curves,		/* and its learning curves */
			   *js_trials,
			   *js_hold,
			   *js_stats;
	int64		model_id;
	TimestampTz started,
				t_features,
				t_load,
				t_cv,
				t_refit;
} TrainJob;

/* Phase "options": arguments, parameters, the feature set's target and the run options. */
static void
TrainOptions(FunctionCallInfo fcinfo, TrainJob *job)
{
	TrainOpts  *o = &job->o;
	char	   *algo_name;
	Jsonb	   *params = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	JsonbParseState *st = NULL;

	for (int i = 0; i < 5; i++)
		if (PG_ARGISNULL(i) && i != 3)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("ap_train arguments other than params must not be null")));
	job->symbol = text_to_cstring(PG_GETARG_TEXT_PP(0));
	job->mode = text_to_cstring(PG_GETARG_TEXT_PP(1));
	algo_name = text_to_cstring(PG_GETARG_TEXT_PP(2));
	job->feature_set = text_to_cstring(PG_GETARG_TEXT_PP(4));

	if (strcmp(job->mode, "fast") == 0)
		o->full = false;
	else if (strcmp(job->mode, "full") == 0)
		o->full = true;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown training mode \"%s\"", job->mode),
				 errhint("Valid modes: fast, full.")));
	o->algo = -1;
	for (int i = 0; i < (int) lengthof(algo_names); i++)
		if (strcmp(algo_names[i], algo_name) == 0)
			o->algo = i;
	if ((int) o->algo < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown algorithm \"%s\"", algo_name),
				 errhint("Valid algorithms: xgboost, ridge, lasso, logistic.")));
	ParseParams(params, o);

	CheckSymbol(job->symbol);
	job->p = FeatureSetWidth(job->feature_set);
	{
		Oid			t[1] = {TEXTOID};
		Datum		a[1] = {CStringGetTextDatum(job->feature_set)};
		bool		isnull;
		HeapTuple	tup;

		if (SPI_execute_with_args("SELECT horizon, target_kind FROM alphapulse.feature_sets WHERE name = $1",
								  1, t, a, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "reading the target of feature set \"%s\" failed", job->feature_set);
		tup = SPI_tuptable->vals[0];
		o->horizon = DatumGetInt32(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		strlcpy(job->task_kind, TextDatumGetCString(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull)),
				sizeof(job->task_kind));
		o->classification = strcmp(job->task_kind, "classification") == 0;
	}
	if (o->algo == ALGO_LOGISTIC && !o->classification)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("logistic regression needs a classification target"),
				 errdetail("Feature set \"%s\" has a regression target.", job->feature_set),
				 errhint("Use ridge, lasso or xgboost, or a feature set with \"type\": \"classification\".")));
	job->periods_per_year = ApPeriodsPerYear(job->symbol);

	o->holdout = isnan(o->given[ParamIndex("holdout")]) ? 0.2 : o->given[ParamIndex("holdout")];
	o->folds = isnan(o->given[ParamIndex("folds")]) ? (o->full ? 4 : 1) : (int) o->given[ParamIndex("folds")];
	o->gap = isnan(o->given[ParamIndex("gap")]) ? o->horizon : (int) o->given[ParamIndex("gap")];
	if (o->gap < o->horizon)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("gap must be at least the target horizon"),
				 errdetail("The gap was %d bars; the horizon of \"%s\" is %d.", o->gap, job->feature_set, o->horizon)));
	o->seed = isnan(o->given[ParamIndex("seed")]) ? 42 : (int64) o->given[ParamIndex("seed")];
	o->fee = isnan(o->given[ParamIndex("fee")]) ? 0.001 : o->given[ParamIndex("fee")];
	o->trials = isnan(o->given[ParamIndex("trials")]) ? (o->full ? 12 : 1) : (int) o->given[ParamIndex("trials")];
	o->min_train = isnan(o->given[ParamIndex("min_train_rows")]) ? 50 : (int) o->given[ParamIndex("min_train_rows")];
	if (o->trials * o->folds > AP_MAX_FITS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trials x folds must be at most %d", AP_MAX_FITS),
				 errdetail("%d trials of %d folds make %d fits.", o->trials, o->folds, o->trials * o->folds),
				 errhint("Lower trials or folds.")));
	/* these are options of the run, not of the model: keep them out of the search configs */
	{
		const char *run_keys[] = {"holdout", "folds", "gap", "seed", "fee", "trials", "min_train_rows"};

		ApJsonBegin(&st, false);
		ApJsonKeyNumber(&st, "holdout", "%g", o->holdout);
		ApJsonKeyInt(&st, "folds", o->folds);
		ApJsonKeyInt(&st, "gap", o->gap);
		ApJsonKeyInt(&st, "seed", o->seed);
		ApJsonKeyNumber(&st, "fee", "%g", o->fee);
		ApJsonKeyInt(&st, "trials", o->trials);
		ApJsonKeyInt(&st, "min_train_rows", o->min_train);
		job->js_run_opts = ApJsonFinish(&st, false);
		for (int k = 0; k < (int) lengthof(run_keys); k++)
			o->given[ParamIndex(run_keys[k])] = NAN;
	}
}

/* Phase "load": builds the symbol's features and loads them within the memory limit. */
static void
TrainLoad(FunctionCallInfo fcinfo, TrainJob *job)
{
	int64		n_rows;

	BuildFeaturesFor(get_func_namespace(fcinfo->flinfo->fn_oid), job->symbol, job->feature_set);
	job->t_features = GetCurrentTimestamp();
	/* the backend's own memory is checked before a row is loaded */
	n_rows = CountFeatureRows(job->symbol, job->feature_set, true, DT_NOBEGIN);
	CheckBackendMemory(&job->o, n_rows, job->p);
	TrainerSlotAcquire();
	LoadFeatureRows(job->symbol, job->feature_set, true, DT_NOBEGIN, job->p, n_rows, &job->r);
	job->t_load = GetCurrentTimestamp();
}

/* Refuses a target that is constant over the pre-holdout rows or any fold's training rows. */
static void
CheckTargetVaries(const TrainJob *job, int pre_end)
{
	const FeatureRows *r = &job->r;
	double		lo = r->y[0],
				hi = r->y[0];

	for (int i = 0; i < pre_end; i++)
	{
		lo = Min(lo, r->y[i]);
		hi = Max(hi, r->y[i]);
	}
	for (int k = 0; k < job->o.folds && lo < hi; k++)
	{
		double		flo = r->y[0],
					fhi = r->y[0];

		for (int i = 0; i < job->splits[k].train.to; i++)
		{
			flo = Min(flo, r->y[i]);
			fhi = Max(fhi, r->y[i]);
		}
		if (flo == fhi)
			lo = hi;
	}
	if (lo == hi)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the target of \"%s\" is constant in the training data", job->symbol),
				 errdetail("Every training row has target %g.", lo),
				 errhint("Check the bars, or the threshold of feature set \"%s\".", job->feature_set)));
}

/*
 * Phase "splits": [0, pre_end) for the walk-forward folds and the refit, a
 * gap, then the out-of-time holdout; recorded with row ranges and timestamps.
 */
static void
TrainSplits(TrainJob *job)
{
	const TrainOpts *o = &job->o;
	const FeatureRows *r = &job->r;
	int			block = o->min_train + o->gap;
	int			needed = (int) ceil(((o->folds + 1) * (double) block + o->gap + 1) / (1 - o->holdout));
	int			nhold,
				pre_end;
	JsonbParseState *st = NULL;

	if (r->n < needed)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("too few feature rows of \"%s\" to train: %d, %d needed", job->symbol, r->n, needed),
				 errdetail("%d fold%s, a gap of %d bars, at least %d training rows per fold and a holdout of %g need %d rows with known targets and complete features; there are %d.",
						   o->folds, o->folds == 1 ? "" : "s", o->gap, o->min_train, o->holdout, needed, r->n),
				 errhint("Load more bars, or lower folds, min_train_rows or holdout in params.")));
	nhold = (int) floor(r->n * o->holdout);
	job->hold.from = r->n - nhold;
	job->hold.to = r->n;
	pre_end = job->hold.from - o->gap;
	job->refit.from = 0;
	job->refit.to = pre_end;
	job->splits = palloc(sizeof(Split) * o->folds);
	block = pre_end / (o->folds + 1);
	for (int k = 0; k < o->folds; k++)
	{
		Split	   *s = &job->splits[k];

		s->valid.from = (k + 1) * block;
		s->valid.to = (k == o->folds - 1) ? pre_end : (k + 2) * block;
		s->train.from = 0;
		s->train.to = s->valid.from - o->gap;
	}
	CheckTargetVaries(job, pre_end);

	ApJsonBegin(&st, false);
	ApJsonKey(&st, "folds");
	ApJsonBegin(&st, true);
	for (int k = 0; k < o->folds; k++)
	{
		const Split *s = &job->splits[k];

		ApJsonBegin(&st, false);
		ApJsonKey(&st, "train");
		ApJsonBegin(&st, true);
		ApJsonInt(&st, s->train.from);
		ApJsonInt(&st, s->train.to);
		ApJsonEnd(&st, true);
		ApJsonKey(&st, "valid");
		ApJsonBegin(&st, true);
		ApJsonInt(&st, s->valid.from);
		ApJsonInt(&st, s->valid.to);
		ApJsonEnd(&st, true);
		PushTs(&st, "train_from", r->ts[s->train.from]);
		PushTs(&st, "train_to", r->ts[s->train.to - 1]);
		PushTs(&st, "valid_from", r->ts[s->valid.from]);
		PushTs(&st, "valid_to", r->ts[s->valid.to - 1]);
		ApJsonEnd(&st, false);
	}
	ApJsonEnd(&st, true);
	ApJsonKey(&st, "refit");
	ApJsonBegin(&st, true);
	ApJsonInt(&st, job->refit.from);
	ApJsonInt(&st, job->refit.to);
	ApJsonEnd(&st, true);
	ApJsonKey(&st, "holdout");
	ApJsonBegin(&st, true);
	ApJsonInt(&st, job->hold.from);
	ApJsonInt(&st, job->hold.to);
	ApJsonEnd(&st, true);
	PushTs(&st, "refit_to", r->ts[job->refit.to - 1]);
	PushTs(&st, "holdout_from", r->ts[job->hold.from]);
	ApJsonKeyInt(&st, "gap", o->gap);
	job->js_splits = ApJsonFinish(&st, false);
}

/* One fold's learning curve: the train and valid metric of every round. */
static void
PushCurve(JsonbParseState **st, int fold, const FitResult *fr)
{
	ApJsonBegin(st, false);
	ApJsonKeyInt(st, "fold", fold);
	for (int side = 0; side < 2; side++)
	{
		ApJsonKey(st, side == 0 ? "train" : "valid");
		ApJsonBegin(st, true);
		for (int i = 0; i < fr->rounds_run; i++)
			ApJsonNumber(st, AP_JSON_EXACT, fr->curve[2 * i + side]);
		ApJsonEnd(st, true);
	}
	ApJsonEnd(st, false);
}

/*
 * Phase "search": every trial's configuration fitted on every fold; the
 * lowest mean validation loss wins (the first trial on a tie).
 */
static void
TrainSearch(TrainJob *job)
{
	const TrainOpts *o = &job->o;
	const FeatureRows *r = &job->r;
	MemoryContext handles;
	uint64		rng = (uint64) o->seed * UINT64CONST(0x2545F4914F6CDD1D) + 1;
	JsonbParseState *trials = NULL;
	const char *mean_key = o->classification ? "mean_valid_logloss" : "mean_valid_rmse";

	if (o->algo == ALGO_XGBOOST)
	{
		if (ap_check_training_estimate)
			CheckTrainingMemory(o, r->n, job->p, job->refit.to - job->refit.from,
								Max(job->hold.to - job->hold.from,
									job->splits[o->folds - 1].valid.to - job->splits[0].valid.from));
		/* one trainer process for every fit of this call; ap_train stops it on error */
		TrainerStart(r->x, r->y, r->n, job->p);
	}
	handles = AllocSetContextCreate(CurrentMemoryContext, "ap_train xgboost handles",
									ALLOCSET_SMALL_SIZES);
	job->best_score = INFINITY;
	ApJsonBegin(&trials, true);
	for (int t = 0; t < o->trials; t++)
	{
		Config		cfg;
		double		sum = 0;
		int			rounds_sum = 0;
		JsonbParseState *folds = NULL,
				   *curves = NULL;
		Jsonb	   *folds_t,
				   *curves_t;

		DrawConfig(o, t, &rng, &cfg);
		ApJsonBegin(&folds, true);
		ApJsonBegin(&curves, true);
		for (int k = 0; k < o->folds; k++)
		{
			const Split *s = &job->splits[k];
			FitResult	fr;

			ApProgressPhase("search", 3 + (int64) t * o->folds + k, 0);
			Fit(o, &cfg, r, s->train, s->valid, true, 0, false, &fr);
			sum += fr.valid_metric;
			rounds_sum += fr.rounds;
			ApJsonBegin(&folds, false);
			PushMetrics(&folds, o->classification, r->y + s->valid.from, fr.pred, s->valid.to - s->valid.from);
			ApJsonKeyInt(&folds, "fold", k + 1);
			ApJsonKeyInt(&folds, "best_rounds", fr.rounds);
			ApJsonKeyInt(&folds, "iterations", fr.rounds_run);
			ApJsonEnd(&folds, false);
			if (o->algo == ALGO_XGBOOST)
				PushCurve(&curves, k + 1, &fr);
			MemoryContextReset(handles);
		}
		folds_t = ApJsonFinish(&folds, true);
		curves_t = ApJsonFinish(&curves, true);
		ApJsonBegin(&trials, false);
		ApJsonKeyInt(&trials, "trial", t);
		ApJsonKey(&trials, "params");
		PushConfig(&trials, &cfg);
		ApJsonKeyNumber(&trials, mean_key, AP_JSON_EXACT, sum / o->folds);
		ApJsonEnd(&trials, false);
		if (sum / o->folds < job->best_score || t == 0)
		{
			job->best_score = sum / o->folds;
			job->best_cfg = cfg;
			job->best_rounds = (int) floor((double) rounds_sum / o->folds + 0.5);
			job->js_folds = folds_t;
			job->js_curves = curves_t;
		}
	}
	job->js_trials = ApJsonFinish(&trials, true);
	MemoryContextDelete(handles);
	job->t_cv = GetCurrentTimestamp();
}

/* Reference statistics of each feature on the refit rows (population std). */
static Jsonb *
FeatureStats(const FeatureRows *r, Range refit)
{
	JsonbParseState *st = NULL;
	int			p = r->p;

	ApJsonBegin(&st, true);
	for (int j = 0; j < p; j++)
	{
		double		s = 0,
					ss = 0,
					lo = INFINITY,
					hi = -INFINITY,
					mean;

		for (int i = refit.from; i < refit.to; i++)
		{
			double		v = r->x[(size_t) i * p + j];

			s += v;
			lo = Min(lo, v);
			hi = Max(hi, v);
		}
		mean = s / (refit.to - refit.from);
		for (int i = refit.from; i < refit.to; i++)
		{
			double		d = r->x[(size_t) i * p + j] - mean;

			ss += d * d;
		}
		ApJsonBegin(&st, false);
		ApJsonKeyNumber(&st, "mean", AP_JSON_EXACT, mean);
		ApJsonKeyNumber(&st, "std", AP_JSON_EXACT, sqrt(ss / (refit.to - refit.from)));
		ApJsonKeyNumber(&st, "min", AP_JSON_EXACT, lo);
		ApJsonKeyNumber(&st, "max", AP_JSON_EXACT, hi);
		ApJsonEnd(&st, false);
	}
	return ApJsonFinish(&st, true);
}

/*
 * Phase "refit": the chosen configuration on every pre-holdout row, the
 * holdout scored once (models.metrics), and the training rows' statistics.
 */
static void
TrainRefit(TrainJob *job)
{
	const TrainOpts *o = &job->o;
	const FeatureRows *r = &job->r;
	int			nh = job->hold.to - job->hold.from;

	Fit(o, &job->best_cfg, r, job->refit, job->hold, false, Max(job->best_rounds, 1), true, &job->final);
	TrainerStop();
	TrainerSlotRelease();
	job->t_refit = GetCurrentTimestamp();

	job->js_hold = ApHoldoutMetrics(o->classification, r->y + job->hold.from, job->final.pred,
									r->fwd + job->hold.from, nh, o->horizon, o->fee,
									job->periods_per_year);
	job->js_stats = FeatureStats(r, job->refit);
}

/* The model's parameters: the run options plus the chosen configuration under "model". */
static Jsonb *
ModelParams(const TrainJob *job)
{
	JsonbParseState *st = NULL;
	JsonbIterator *it = JsonbIteratorInit(&job->js_run_opts->root);
	JsonbValue	v;
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_END_OBJECT)
			break;
		pushJsonbValue(&st, tok, tok == WJB_BEGIN_OBJECT ? NULL : &v);
	}
	ApJsonKey(&st, "model");
	PushConfig(&st, &job->best_cfg);
	return ApJsonFinish(&st, false);
}

/* The feature names the registry stores with the model (a set in use cannot change). */
static char *
FeatureNamesText(const char *feature_set)
{
	Oid			t[1] = {TEXTOID};
	Datum		a[1] = {CStringGetTextDatum(feature_set)};
	bool		isnull;

	if (SPI_execute_with_args("SELECT s.feature_names::pg_catalog.text FROM alphapulse.feature_sets s "
							  "WHERE s.name OPERATOR(pg_catalog.=) $1",
							  1, t, a, NULL, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading the feature names failed");
	return TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * Phase "register", the model: validated like any stored one, sealed, and
 * inserted as the table's owner (the first model of a symbol is champion).
 */
static void
TrainRegisterModel(TrainJob *job, Jsonb *params)
{
	const TrainOpts *o = &job->o;
	const FeatureRows *r = &job->r;
	Oid			t[16] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, INT4OID,
		TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, JSONBOID, JSONBOID,
	BYTEAOID, JSONBOID, JSONBOID, BYTEAOID};
	Datum		a[16];
	char		nulls[16];
	bool		isnull;
	char		reason[AP_MODEL_REASON_LEN];
	bytea	   *seal;
	ApModelIdentity who;
	JsonbParseState *st = NULL;
	Jsonb	   *details;
	bool		champion;

	memset(nulls, ' ', sizeof(nulls));
	ApCheckMayRegister("register a model");
	/* serialise registrations per symbol (versions, first champion) */
	a[0] = CStringGetTextDatum(job->symbol);

	/*
	 * Callers cannot write alphapulse.models: registration runs as its owner
	 * (ApExecuteAsModelsOwner, the SECURITY DEFINER pattern in C) rather than
	 * through a SQL-callable definer function, so no entry point exists that
	 * would seal bytes a caller supplies.
	 */
	if (ApExecuteAsModelsOwner("SELECT 1 FROM alphapulse.assets WHERE symbol OPERATOR(pg_catalog.=) $1 FOR NO KEY UPDATE",
							   1, t, a, NULL, 0) != SPI_OK_SELECT)
		elog(ERROR, "locking the asset \"%s\" failed", job->symbol);
	a[1] = CStringGetTextDatum(algo_names[o->algo]);
	a[2] = CStringGetTextDatum(job->feature_set);
	a[3] = CStringGetTextDatum(job->task_kind);
	a[4] = JsonbPGetDatum(params);
	a[5] = Int32GetDatum(o->algo == ALGO_XGBOOST ? Max(job->best_rounds, 1) : 0);
	if (o->algo != ALGO_XGBOOST)
		nulls[5] = 'n';
	a[6] = TimestampTzGetDatum(r->ts[job->refit.from]);
	a[7] = TimestampTzGetDatum(r->ts[job->refit.to - 1]);
	a[8] = TimestampTzGetDatum(r->ts[job->hold.from]);
	a[9] = TimestampTzGetDatum(r->ts[job->hold.to - 1]);
	ApJsonBegin(&st, false);
	ApJsonKeyNumber(&st, o->classification ? "mean_valid_logloss" : "mean_valid_rmse",
					AP_JSON_EXACT, job->best_score);
	ApJsonKey(&st, "folds");
	ApJsonEmbed(&st, job->js_folds);
	a[10] = JsonbPGetDatum(ApJsonFinish(&st, false));
	a[11] = JsonbPGetDatum(job->js_hold);
	if (o->algo == ALGO_XGBOOST)
	{
		a[12] = PointerGetDatum(job->final.model);
		nulls[13] = 'n';
	}
	else
	{
		nulls[12] = 'n';
		a[13] = JsonbPGetDatum(LinearToJsonb(&job->final.lin));
	}
	a[14] = JsonbPGetDatum(job->js_stats);
	who.feature_names = FeatureNamesText(job->feature_set);
	who.symbol = job->symbol;
	who.feature_set = job->feature_set;
	seal = ApSealModel(algo_names[o->algo], job->p, &who, nulls[12] == 'n' ? NULL : DatumGetByteaPP(a[12]),
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
							   "AND m.stage OPERATOR(pg_catalog.=) 'champion') THEN NULL ELSE pg_catalog.clock_timestamp() END, $16 "
							   "RETURNING id, stage",
							   16, t, a, nulls, 0) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "registering the model failed");
	job->model_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	champion = strcmp(TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)),
					  "champion") == 0;
	ApJsonBegin(&st, false);
	ApJsonKey(&st, "algorithm");
	ApJsonString(&st, algo_names[o->algo]);
	ApJsonKey(&st, "feature_set");
	ApJsonString(&st, job->feature_set);
	ApJsonKey(&st, "mode");
	ApJsonString(&st, job->mode);
	ApJsonKey(&st, "metrics");
	ApJsonEmbed(&st, job->js_hold);
	details = ApJsonFinish(&st, false);
	ApLogModelEvent(job->symbol, job->model_id, "registered",
					champion ? "trained by ap_train; the symbol's first model" : "trained by ap_train",
					details);
	if (champion)
		ApLogModelEvent(job->symbol, job->model_id, "promoted", "the first model of a symbol is its champion",
						details);
}

/* Phase "register", the run: its row in alphapulse.runs, linked from the model. */
static void
TrainRegisterRun(TrainJob *job, Jsonb *params)
{
	const TrainOpts *o = &job->o;
	const FeatureRows *r = &job->r;
	Oid			t[21] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, INT8OID, JSONBOID, JSONBOID,
		JSONBOID, JSONBOID, JSONBOID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID, INT4OID, INT4OID,
	INT8OID, JSONBOID, TIMESTAMPTZOID, FLOAT8OID, JSONBOID};
	Datum		a[21];
	JsonbParseState *st = NULL;

	a[0] = CStringGetTextDatum(job->symbol);
	a[1] = CStringGetTextDatum(job->feature_set);
	a[2] = CStringGetTextDatum(algo_names[o->algo]);
	a[3] = CStringGetTextDatum(job->mode);
	a[4] = JsonbPGetDatum(params);
	a[5] = Int64GetDatum(o->seed);
	a[6] = JsonbPGetDatum(job->js_splits);
	a[7] = JsonbPGetDatum(job->js_folds);
	if (o->algo == ALGO_XGBOOST)
		a[8] = JsonbPGetDatum(job->js_curves);
	else
	{
		ApJsonBegin(&st, true);
		a[8] = JsonbPGetDatum(ApJsonFinish(&st, true));
	}
	a[9] = JsonbPGetDatum(job->js_trials);
	a[10] = JsonbPGetDatum(job->js_hold);
	a[11] = TimestampTzGetDatum(r->ts[0]);
	a[12] = TimestampTzGetDatum(r->ts[r->n - 1]);
	a[13] = Int32GetDatum(r->n);
	a[14] = Int32GetDatum(job->refit.to - job->refit.from);
	a[15] = Int32GetDatum(job->hold.to - job->hold.from);
	a[16] = Int64GetDatum(job->model_id);
	ApJsonBegin(&st, false);
	ApJsonKey(&st, "alphapulse");
	ApJsonString(&st, AP_VERSION);
	ApJsonKey(&st, "xgboost");
	ApJsonString(&st, XgbVersion());
	ApJsonKey(&st, "postgres");
	ApJsonString(&st, PG_VERSION);
	a[17] = JsonbPGetDatum(ApJsonFinish(&st, false));
	a[18] = TimestampTzGetDatum(job->started);
	a[19] = Float8GetDatum((GetCurrentTimestamp() - job->started) / 1000.0);
	ApJsonBegin(&st, false);
	ApJsonKeyNumber(&st, "features_ms", "%.3f", (job->t_features - job->started) / 1000.0);
	ApJsonKeyNumber(&st, "load_ms", "%.3f", (job->t_load - job->t_features) / 1000.0);
	ApJsonKeyNumber(&st, "cv_ms", "%.3f", (job->t_cv - job->t_load) / 1000.0);
	ApJsonKeyNumber(&st, "refit_ms", "%.3f", (job->t_refit - job->t_cv) / 1000.0);
	a[20] = JsonbPGetDatum(ApJsonFinish(&st, false));
	if (ApExecuteAsModelsOwner("WITH run AS (INSERT INTO alphapulse.runs (symbol, feature_set, algorithm, mode, status, params, seed, splits, "
							   "fold_metrics, learning_curves, trials, holdout_metrics, data_from, data_to, n_rows, n_train, n_holdout, "
							   "model_id, versions, started, duration_ms, durations) VALUES ($1, $2, $3, $4, 'succeeded', $5, $6, $7, $8, $9, $10, $11, "
							   "$12, $13, $14, $15, $16, $17, $18, $19, $20, $21) RETURNING id) "
							   "UPDATE alphapulse.models SET run_id = (SELECT id FROM run) WHERE id OPERATOR(pg_catalog.=) $17",
							   21, t, a, NULL, 0) != SPI_OK_UPDATE)
		elog(ERROR, "logging the run failed");
}

/* Trains, validates and registers a model of a symbol; returns the model id. */
static Datum
TrainModel(FunctionCallInfo fcinfo)
{
	TrainJob	job;
	Jsonb	   *params;
	int			fits;

	memset(&job, 0, sizeof(job));
	job.started = GetCurrentTimestamp();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ApProgressPhase("options", 0, 0);
	TrainOptions(fcinfo, &job);
	/* steps: options, load, splits, every fit of the search, refit, register */
	fits = job.o.trials * job.o.folds;
	ApProgressPhase("load", 1, fits + 5);
	TrainLoad(fcinfo, &job);
	ApProgressRows(job.r.n);
	ApProgressPhase("splits", 2, 0);
	TrainSplits(&job);
	TrainSearch(&job);
	ApProgressPhase("refit", fits + 3, 0);
	TrainRefit(&job);
	ApProgressPhase("register", fits + 4, 0);
	params = ModelParams(&job);
	TrainRegisterModel(&job, params);
	TrainRegisterRun(&job, params);
	SPI_finish();
	PG_RETURN_INT64(job.model_id);
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
