/*
 * drift_sql.c - ap_drift: loads the champion's reference and current feature
 * rows, scores them, runs the kernels of drift.c per feature and stores the
 * report; the options parser shared with the drift_policies check.
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
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "drift.h"
#include "ml_progress.h"
#include "ml_seal.h"
#include "ml_predict.h"
#include "ml_train.h"
#include "ml_util.h"

#define DRIFT_MIN_ROWS 10			/* rows a window needs by default */
#define DRIFT_PREDICTION "prediction"	/* drift_features.feature of the champion's scores */
#define DRIFT_MAX_FEATURE_METHODS AP_MAX_FEATURES

/* ap_drift's options after the policy and the call's own are merged. */
typedef struct DriftOptions
{
	DriftMethod method;
	double		threshold;		/* NaN: per method */
	double		thresholds[DRIFT_NMETHODS];
	double		drift_share;
	int			small_reference;
	int			low_cardinality;
	int			min_rows;
	int			retrain;		/* -1 unset, else 0/1 */
	int			nfeature_methods;
	char	  **feature_names;
	DriftMethod *feature_methods;
} DriftOptions;

static const char *const option_keys =
"method, feature_methods, threshold, ks_threshold, chisquare_threshold, wasserstein_threshold, "
"jensenshannon_threshold, psi_threshold, drift_share, small_reference, low_cardinality, min_rows, "
"retrain_on_drift";

static void
DefaultOptions(DriftOptions *o)
{
	memset(o, 0, sizeof(*o));
	o->method = DRIFT_AUTO;
	o->threshold = NAN;
	for (int m = 0; m < DRIFT_NMETHODS; m++)
		o->thresholds[m] = DriftDefaultThreshold((DriftMethod) m);
	o->drift_share = DRIFT_SHARE;
	o->small_reference = DRIFT_SMALL_REFERENCE;
	o->low_cardinality = DRIFT_LOW_CARDINALITY;
	o->min_rows = DRIFT_MIN_ROWS;
	o->retrain = -1;
}

static void
pg_attribute_noreturn()
OptionError(const char *key, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("drift option \"%s\" %s", ApClip(key), what),
			 errhint("Valid options: %s.", option_keys)));
}

static double
OptionNumber(const char *key, JsonbValue *v)
{
	if (v->type != jbvNumeric)
		OptionError(key, "must be a number");
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
}

static int
OptionInteger(const char *key, JsonbValue *v, int min)
{
	double		d = OptionNumber(key, v);

	if (d != floor(d) || d < min || d > PG_INT32_MAX)
		OptionError(key, psprintf("must be an integer of at least %d", min));
	return (int) d;
}

static DriftMethod
OptionMethod(const char *key, JsonbValue *v)
{
	DriftMethod m;
	char	   *s;

	if (v->type != jbvString)
		OptionError(key, "must be a method name");
	s = pnstrdup(v->val.string.val, v->val.string.len);
	if (!DriftMethodFromName(s, &m))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown drift method \"%s\"", ApClip(s)),
				 errhint("Valid methods: auto, ks, chisquare, wasserstein, jensenshannon, psi.")));
	return m;
}

static void
CheckThreshold(const char *key, DriftMethod m, double t)
{
	if (!DriftThresholdValid(m, t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("drift option \"%s\" is out of range for %s", key, DriftMethodName(m)),
				 errdetail("It was %g.", t),
				 errhint("%s", DriftMethodIsPValue(m) ? "A p-value threshold is above 0 and below 1." :
						 m == DRIFT_JENSENSHANNON ? "A Jensen-Shannon threshold is above 0 and at most sqrt(ln 2) = 0.8326." :
						 "A distance threshold is a positive number.")));
}

/* feature_methods: {"feature name": "method", ...} */
static void
ParseFeatureMethods(JsonbValue *v, DriftOptions *o)
{
	JsonbIterator *it;
	JsonbValue	k,
				val;
	JsonbIteratorToken tok;
	int			cap = 8;

	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		OptionError("feature_methods", "must be an object of feature names and methods");
	o->feature_names = palloc(sizeof(char *) * cap);
	o->feature_methods = palloc(sizeof(DriftMethod) * cap);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		if (tok != WJB_KEY)
			continue;
		tok = JsonbIteratorNext(&it, &val, true);
		if (o->nfeature_methods >= DRIFT_MAX_FEATURE_METHODS)
			OptionError("feature_methods", "names too many features");
		if (o->nfeature_methods == cap)
		{
			cap *= 2;
			o->feature_names = repalloc(o->feature_names, sizeof(char *) * cap);
			o->feature_methods = repalloc(o->feature_methods, sizeof(DriftMethod) * cap);
		}
		o->feature_names[o->nfeature_methods] = pnstrdup(k.val.string.val, k.val.string.len);
		o->feature_methods[o->nfeature_methods] = OptionMethod("feature_methods", &val);
		o->nfeature_methods++;
	}
}

/* One key of an options object. */
static void
ParseOption(const char *key, JsonbValue *v, DriftOptions *o, bool *threshold_given)
{
	if (strcmp(key, "method") == 0)
		o->method = OptionMethod(key, v);
	else if (strcmp(key, "feature_methods") == 0)
		ParseFeatureMethods(v, o);
	else if (strcmp(key, "threshold") == 0)
	{
		o->threshold = OptionNumber(key, v);
		*threshold_given = true;
	}
	else if (strcmp(key, "drift_share") == 0)
	{
		o->drift_share = OptionNumber(key, v);
		if (!(o->drift_share > 0 && o->drift_share <= 1))
			OptionError(key, "must be above 0 and at most 1");
	}
	else if (strcmp(key, "small_reference") == 0)
		o->small_reference = OptionInteger(key, v, 0);
	else if (strcmp(key, "low_cardinality") == 0)
		o->low_cardinality = OptionInteger(key, v, 1);
	else if (strcmp(key, "min_rows") == 0)
		o->min_rows = OptionInteger(key, v, 1);
	else if (strcmp(key, "retrain_on_drift") == 0)
	{
		if (v->type != jbvBool)
			OptionError(key, "must be true or false");
		o->retrain = v->val.boolean ? 1 : 0;
	}
	else
	{
		for (int m = DRIFT_KS; m < DRIFT_NMETHODS; m++)
			if (strcmp(key, psprintf("%s_threshold", DriftMethodName((DriftMethod) m))) == 0)
			{
				o->thresholds[m] = OptionNumber(key, v);
				CheckThreshold(key, (DriftMethod) m, o->thresholds[m]);
				return;
			}
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown drift option \"%s\"", ApClip(key)),
				 errhint("Valid options: %s.", option_keys)));
	}
}

/* Parses and checks an options object; raises 22023 on anything wrong. */
static void
ParseDriftOptions(Jsonb *j, DriftOptions *o)
{
	JsonbIterator *it;
	JsonbValue	k,
				v;
	JsonbIteratorToken tok;
	bool		threshold_given = false;

	DefaultOptions(o);
	if (!JB_ROOT_IS_OBJECT(j) || JB_ROOT_IS_SCALAR(j))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("drift options must be a JSON object"),
				 errhint("Example: {\"method\": \"psi\", \"psi_threshold\": 0.25}.")));
	it = JsonbIteratorInit(&j->root);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(k.val.string.val, k.val.string.len);
		(void) JsonbIteratorNext(&it, &v, true);
		ParseOption(key, &v, o, &threshold_given);
	}
	/* one threshold for every feature only makes sense for one method */
	if (threshold_given)
	{
		if (o->method == DRIFT_AUTO || o->nfeature_methods > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("drift option \"threshold\" needs a single \"method\""),
					 errdetail("The default choice mixes p-values and distances, whose thresholds differ."),
					 errhint("Give \"method\" too, or set ks_threshold, wasserstein_threshold ... instead.")));
		CheckThreshold("threshold", o->method, o->threshold);
	}
}

PG_FUNCTION_INFO_V1(ap_drift_check_options);

/* CHECK constraint of alphapulse.drift_policies.options. */
Datum
ap_drift_check_options(PG_FUNCTION_ARGS)
{
	DriftOptions o;

	ParseDriftOptions(PG_GETARG_JSONB_P(0), &o);
	PG_RETURN_BOOL(true);
}

/* ---- loading ---- */

/* Rows of one window: ts and features row-major, NaN for NULL or non-finite. */
typedef struct DriftWindow
{
	int			n;
	double	   *x;
	double	   *pred;
	TimestampTz first;
	TimestampTz last;
} DriftWindow;

static const char *const window_where[2] = {
	"f.ts OPERATOR(pg_catalog.>=) $3 AND f.ts OPERATOR(pg_catalog.<=) $4",
	"f.ts OPERATOR(pg_catalog.>=) $3"
};

/* Loads the window's rows (current when `current`, else the reference). */
static void
LoadWindow(const char *symbol, const char *feature_set, int p, bool current,
		   TimestampTz from, TimestampTz to, DriftWindow *w)
{
	Oid			t[4] = {TEXTOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		a[4] = {CStringGetTextDatum(symbol), CStringGetTextDatum(feature_set),
	TimestampTzGetDatum(from), TimestampTzGetDatum(to)};
	const char *from_where = psprintf("FROM alphapulse.features f WHERE f.symbol OPERATOR(pg_catalog.=) $1 "
									  "AND f.feature_set OPERATOR(pg_catalog.=) $2 AND %s",
									  window_where[current ? 1 : 0]);
	int			nargs = current ? 3 : 4;
	bool		isnull;
	int64		count;
	Portal		portal;
	MemoryContext batch = AllocSetContextCreate(CurrentMemoryContext, "ap_drift batch", ALLOCSET_DEFAULT_SIZES);

	if (SPI_execute_with_args(psprintf("SELECT pg_catalog.count(*) %s", from_where), nargs, t, a, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "counting feature rows failed");
	count = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (count > (int64) (MaxAllocHugeSize / sizeof(double) / (p + 1)) - 1 || count > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the %s window has too many rows", current ? "current" : "reference"),
				 errdetail("It has " INT64_FORMAT " rows.", count)));
	w->n = 0;
	w->x = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * ((size_t) count * p + 1));
	w->pred = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * ((size_t) count + 1));
	portal = SPI_cursor_open_with_args(NULL, psprintf("SELECT f.ts, f.x %s ORDER BY f.ts", from_where),
									   nargs, t, a, NULL, true, CURSOR_OPT_NO_SCROLL);
	for (;;)
	{
		MemoryContext old;

		SPI_cursor_fetch(portal, true, AP_FEATURE_LOAD_BATCH);
		if (SPI_processed == 0)
			break;
		old = MemoryContextSwitchTo(batch);
		for (uint64 r = 0; r < SPI_processed && w->n < count; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			TimestampTz ts = DatumGetTimestampTz(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
			ArrayType  *arr = DatumGetArrayTypeP(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull));
			double	   *row = w->x + (size_t) w->n * p;
			Datum	   *el;
			bool	   *nulls;
			int			ne;

			deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &el, &nulls, &ne);
			if (ne != p)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("feature row at %s has %d values, not %d", timestamptz_to_str(ts), ne, p),
						 errhint("Rebuild the symbol's features of set \"%s\".", feature_set)));
			for (int j = 0; j < p; j++)
			{
				double		v = nulls[j] ? NAN : DatumGetFloat8(el[j]);

				row[j] = isfinite(v) ? v : NAN;
			}
			if (w->n == 0)
				w->first = ts;
			w->last = ts;
			w->n++;
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(batch);
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	MemoryContextDelete(batch);
}

/* Rejects a window with fewer rows than min_rows. */
static void
CheckWindowRows(const DriftWindow *w, bool current, int min_rows, const char *symbol,
				TimestampTz since)
{
	if (w->n >= min_rows)
		return;
	if (current)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("too few feature rows since %s for drift of \"%s\"", timestamptz_to_str(since), ApClip(symbol)),
				 errdetail("The current window has %d rows; at least %d are needed.", w->n, min_rows),
				 errhint("Pass an earlier since, build the features (ap_build_features), or lower option min_rows.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("too few reference rows for drift of \"%s\"", ApClip(symbol)),
			 errdetail("The champion's training window has %d feature rows; at least %d are needed.", w->n, min_rows),
			 errhint("Build the features of the champion's feature set, or lower option min_rows.")));
}

/* ---- per feature ---- */

/* The finite values of column j (or of the predictions when j < 0), sorted. */
static int
ColumnValues(const DriftWindow *w, int p, int j, double *out)
{
	int			k = 0;

	for (int i = 0; i < w->n; i++)
	{
		double		v = j < 0 ? w->pred[i] : w->x[(size_t) i * p + j];

		if (!isnan(v))
			out[k++] = v;
	}
	DriftSort(out, k);
	return k;
}

static DriftMethod
MethodFor(const DriftOptions *o, const char *feature)
{
	for (int i = 0; i < o->nfeature_methods; i++)
		if (strcmp(o->feature_names[i], feature) == 0)
			return o->feature_methods[i];
	return o->method;
}

typedef struct FeatureDrift
{
	DriftResult r;
	int			nref;
	int			ncur;
	int			distinct;
} FeatureDrift;

/* Tests one column; drifted -1 when a window has no value of it. */
static void
TestColumn(const DriftOptions *o, const char *feature, const DriftWindow *ref, const DriftWindow *cur,
		   int p, int j, double *bufr, double *bufc, FeatureDrift *f)
{
	DriftMethod m = MethodFor(o, feature);

	f->nref = ColumnValues(ref, p, j, bufr);
	f->ncur = ColumnValues(cur, p, j, bufc);
	f->distinct = DriftDistinct(bufr, f->nref, bufc, f->ncur);
	if (f->nref == 0 || f->ncur == 0)
	{
		f->r.method = m != DRIFT_AUTO ? m : (f->nref <= o->small_reference ? DRIFT_KS : DRIFT_WASSERSTEIN);
		f->r.statistic = f->r.p_value = NAN;
		f->r.threshold = !isnan(o->threshold) ? o->threshold : o->thresholds[f->r.method];
		f->r.drifted = -1;
		return;
	}
	if (m == DRIFT_AUTO)
		m = DriftChooseMethod(bufr, f->nref, bufc, f->ncur, o->small_reference, o->low_cardinality);
	if (!DriftTest(m, !isnan(o->threshold) ? o->threshold : o->thresholds[m],
				   bufr, f->nref, bufc, f->ncur, &f->r))
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory computing the drift of \"%s\"", feature)));
}

/* ---- storing ---- */

static Datum
Float8Array(const double *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * n);
	bool	   *nulls = palloc(sizeof(bool) * n);
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
	{
		nulls[i] = isnan(v[i]);
		d[i] = Float8GetDatum(nulls[i] ? 0 : v[i]);
	}
	return PointerGetDatum(construct_md_array(d, nulls, 1, dims, lbs, FLOAT8OID, 8,
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

static Datum
Int4Array(const int *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * n);

	for (int i = 0; i < n; i++)
		d[i] = Int32GetDatum(v[i]);
	return PointerGetDatum(construct_array(d, n, INT4OID, 4, true, TYPALIGN_INT));
}

static Datum
TextArray(char **v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * n);

	for (int i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(v[i]);
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* Inserts the per-feature rows of a report. */
static void
StoreFeatures(int64 report_id, char **names, const FeatureDrift *f, int n)
{
	double	   *stat = palloc(sizeof(double) * n),
			   *pv = palloc(sizeof(double) * n),
			   *thr = palloc(sizeof(double) * n),
			   *drifted = palloc(sizeof(double) * n);
	int		   *nr = palloc(sizeof(int) * n),
			   *nc = palloc(sizeof(int) * n),
			   *nd = palloc(sizeof(int) * n);
	char	  **method = palloc(sizeof(char *) * n);
	Oid			t[10] = {INT8OID, TEXTARRAYOID, TEXTARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID,
	FLOAT8ARRAYOID, FLOAT8ARRAYOID, INT4ARRAYOID, INT4ARRAYOID, INT4ARRAYOID};
	Datum		a[10];

	for (int i = 0; i < n; i++)
	{
		stat[i] = f[i].r.statistic;
		pv[i] = f[i].r.p_value;
		thr[i] = f[i].r.threshold;
		drifted[i] = f[i].r.drifted < 0 ? NAN : f[i].r.drifted;
		nr[i] = f[i].nref;
		nc[i] = f[i].ncur;
		nd[i] = f[i].distinct;
		method[i] = (char *) DriftMethodName(f[i].r.method);
	}
	a[0] = Int64GetDatum(report_id);
	a[1] = TextArray(names, n);
	a[2] = TextArray(method, n);
	a[3] = Float8Array(stat, n);
	a[4] = Float8Array(pv, n);
	a[5] = Float8Array(thr, n);
	a[6] = Float8Array(drifted, n);
	a[7] = Int4Array(nr, n);
	a[8] = Int4Array(nc, n);
	a[9] = Int4Array(nd, n);
	if (SPI_execute_with_args("INSERT INTO alphapulse.drift_features (report_id, feature, method, statistic, p_value, "
							  "threshold, drifted, reference_values, current_values, distinct_values, position) "
							  "SELECT $1, u.f, u.m, u.s, u.p, u.t, u.d OPERATOR(pg_catalog.=) 1, u.nr, u.nc, u.nd, u.i::pg_catalog.int4 "
							  "FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), "
							  "pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8), "
							  "pg_catalog.unnest($9), pg_catalog.unnest($10)) WITH ORDINALITY AS u(f, m, s, p, t, d, nr, nc, nd, i)",
							  10, t, a, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "writing drift features failed");
}

/* The champion of a symbol: id, feature set, feature names and training window. */
typedef struct DriftChampion
{
	int64		id;
	char	   *feature_set;
	int			p;
	char	  **names;
	TimestampTz train_from;
	TimestampTz train_to;
} DriftChampion;

static void
LoadChampion(const char *symbol, DriftChampion *c)
{
	Oid			t[1] = {TEXTOID};
	Datum		a[1] = {CStringGetTextDatum(symbol)};
	HeapTuple	tup;
	TupleDesc	td;
	bool		isnull;
	Datum	   *el;
	int			n;

	CheckSymbol(symbol);
	if (SPI_execute_with_args("SELECT m.id, m.feature_set, m.feature_names, m.train_from, m.train_to "
							  "FROM alphapulse.models m WHERE m.symbol OPERATOR(pg_catalog.=) $1 "
							  "AND m.stage OPERATOR(pg_catalog.=) 'champion'::pg_catalog.text",
							  1, t, a, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading the champion failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("symbol \"%s\" has no champion model", ApClip(symbol)),
				 errhint("Drift is measured against the champion's training rows: train one with ap_train('%s').",
						 ApClip(symbol))));
	tup = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	c->id = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
	c->feature_set = TextDatumGetCString(SPI_getbinval(tup, td, 2, &isnull));
	deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(tup, td, 3, &isnull)), TEXTOID, -1, false,
					  TYPALIGN_INT, &el, NULL, &n);
	c->p = n;
	c->names = palloc(sizeof(char *) * (n + 1));
	for (int i = 0; i < n; i++)
		c->names[i] = TextDatumGetCString(el[i]);
	c->names[n] = DRIFT_PREDICTION;
	c->train_from = DatumGetTimestampTz(SPI_getbinval(tup, td, 4, &isnull));
	c->train_to = DatumGetTimestampTz(SPI_getbinval(tup, td, 5, &isnull));
}

/* A feature_methods name that is no feature of the champion (nor "prediction") is a typo, not a no-op. */
static void
CheckFeatureMethodNames(const DriftOptions *o, const DriftChampion *c)
{
	for (int i = 0; i < o->nfeature_methods; i++)
	{
		bool		found = false;

		for (int j = 0; j <= c->p && !found; j++)
			found = strcmp(o->feature_names[i], c->names[j]) == 0;
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("drift option \"feature_methods\" names \"%s\", which is not a feature of model %lld",
							ApClip(o->feature_names[i]), (long long) c->id),
					 errdetail("The champion's features are those of feature set \"%s\", and \"prediction\".",
							   c->feature_set),
					 errhint("Correct the name in the call's options or in alphapulse.drift_policies.")));
	}
}

/* The symbol's policy merged with the call's options (the call wins); parses the result. */
static Jsonb *
MergedOptions(const char *symbol, Jsonb *call, DriftOptions *o, bool *retrain)
{
	Oid			t[2] = {TEXTOID, JSONBOID};
	Datum		a[2] = {CStringGetTextDatum(symbol), JsonbPGetDatum(call)};
	bool		isnull;
	Jsonb	   *merged;

	if (SPI_execute_with_args("SELECT COALESCE((SELECT p.options FROM alphapulse.drift_policies p "
							  "WHERE p.symbol OPERATOR(pg_catalog.=) $1), '{}'::pg_catalog.jsonb) OPERATOR(pg_catalog.||) $2, "
							  "COALESCE((SELECT p.retrain_on_drift FROM alphapulse.drift_policies p "
							  "WHERE p.symbol OPERATOR(pg_catalog.=) $1), true)",
							  2, t, a, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading the drift policy failed");
	merged = DatumGetJsonbPCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	*retrain = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	ParseDriftOptions(merged, o);
	if (o->retrain >= 0)
		*retrain = o->retrain == 1;
	return merged;
}

/* Inserts the report row and returns its id. */
static int64
StoreReport(const char *symbol, const DriftChampion *c, const DriftWindow *ref, const DriftWindow *cur,
			double share, bool drifted, const DriftOptions *o, TimestampTz since, Jsonb *options,
			TimestampTz started)
{
	Oid			t[14] = {TEXTOID, INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID,
		INT4OID, INT4OID, FLOAT8OID, BOOLOID, FLOAT8OID, TIMESTAMPTZOID, JSONBOID, FLOAT8OID};
	Datum		a[14] = {CStringGetTextDatum(symbol), Int64GetDatum(c->id), TimestampTzGetDatum(c->train_from),
		TimestampTzGetDatum(c->train_to), TimestampTzGetDatum(cur->first), TimestampTzGetDatum(cur->last),
		Int32GetDatum(ref->n), Int32GetDatum(cur->n), Float8GetDatum(share), BoolGetDatum(drifted),
		Float8GetDatum(o->drift_share), TimestampTzGetDatum(since), JsonbPGetDatum(options),
	Float8GetDatum((GetCurrentTimestamp() - started) / 1000.0)};
	bool		isnull;

	if (SPI_execute_with_args("INSERT INTO alphapulse.drift_reports (symbol, model_id, reference_from, reference_to, "
							  "current_from, current_to, reference_rows, current_rows, share_drifted, drifted, "
							  "drift_share, since, options, duration_ms) "
							  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
							  14, t, a, NULL, false, 1) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "writing the drift report failed");
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/* A drifted report queues a retraining, unless one is already pending. */
static void
QueueRetrain(const char *symbol, int64 report_id, int drifted, int tested)
{
	Oid			t[3] = {TEXTOID, INT8OID, TEXTOID};
	Datum		a[3] = {CStringGetTextDatum(symbol), Int64GetDatum(report_id),
		CStringGetTextDatum(psprintf("drift report %lld: %d of %d features drifted",
									 (long long) report_id, drifted, tested))};

	if (SPI_execute_with_args("INSERT INTO alphapulse.retrain_requests (symbol, reason, drift_report_id) "
							  "VALUES ($1, $3, $2) ON CONFLICT (symbol) WHERE status OPERATOR(pg_catalog.=) 'pending' "
							  "DO NOTHING", 3, t, a, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "queueing a retraining failed");
}

/* Tests every feature and the predictions; returns the number of features drifted and tested. */
static FeatureDrift *
TestAll(const DriftOptions *o, const DriftChampion *c, const DriftWindow *ref, const DriftWindow *cur,
		int *ndrifted, int *ntested)
{
	FeatureDrift *f = palloc0(sizeof(FeatureDrift) * (c->p + 1));
	double	   *bufr = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * ((size_t) ref->n + 1));
	double	   *bufc = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * ((size_t) cur->n + 1));

	*ndrifted = *ntested = 0;
	for (int j = 0; j <= c->p; j++)
	{
		TestColumn(o, c->names[j], ref, cur, c->p, j < c->p ? j : -1, bufr, bufc, &f[j]);
		if (j < c->p && f[j].r.drifted >= 0)
		{
			(*ntested)++;
			*ndrifted += f[j].r.drifted;
		}
		ApProgressStep(3 + j + 1);
		CHECK_FOR_INTERRUPTS();
	}
	pfree(bufr);
	pfree(bufc);
	return f;
}

PG_FUNCTION_INFO_V1(ap_drift);

/*
 * ap_drift(symbol, since, options): the champion's features and predictions
 * from since against its training rows; stores and returns a report.
 */
Datum
ap_drift(PG_FUNCTION_ARGS)
{
	char	   *symbol;
	TimestampTz since,
				started = GetCurrentTimestamp();
	Jsonb	   *call = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	DriftOptions o;
	DriftChampion c;
	DriftWindow ref,
				cur;
	FeatureDrift *f;
	Jsonb	   *merged;
	bool		retrain,
				drifted;
	int			ndrifted,
				ntested;
	double		share;
	int64		report_id;
	int			nest;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", PG_ARGISNULL(0) ? "symbol" : "since")));
	symbol = text_to_cstring(PG_GETARG_TEXT_PP(0));
	since = PG_GETARG_TIMESTAMPTZ(1);
	if (call == NULL)
		call = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	ParseDriftOptions(call, &o);	/* the call's own options, before any lookup */
	if (TIMESTAMP_NOT_FINITE(since) || since > started)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("since must be a finite time in the past"),
				 errdetail("It was %s.", timestamptz_to_str(since)),
				 errhint("The current window is the feature rows from since to now; the default is now() - interval '7 days'.")));

	nest = ApPinSearchPath();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	LoadChampion(symbol, &c);
	merged = MergedOptions(symbol, call, &o, &retrain);
	CheckFeatureMethodNames(&o, &c);
	ApProgressBegin("ap_drift", symbol, c.p + 4);
	ApProgressPhase("load reference", 0, c.p + 4);
	LoadWindow(symbol, c.feature_set, c.p, false, c.train_from, c.train_to, &ref);
	CheckWindowRows(&ref, false, o.min_rows, symbol, since);
	ApProgressRows(ref.n);
	ApProgressPhase("load current", 1, c.p + 4);
	LoadWindow(symbol, c.feature_set, c.p, true, since, 0, &cur);
	CheckWindowRows(&cur, true, o.min_rows, symbol, since);
	ApProgressRows((int64) ref.n + cur.n);
	ApProgressPhase("predict", 2, c.p + 4);
	ApPredictModelRows(c.id, ref.x, ref.n, c.p, ref.pred);
	ApPredictModelRows(c.id, cur.x, cur.n, c.p, cur.pred);
	ApProgressPhase("test", 3, c.p + 4);
	f = TestAll(&o, &c, &ref, &cur, &ndrifted, &ntested);
	/* a report with no testable feature would say "not drifted" about nothing */
	if (ntested == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no feature of \"%s\" has values in both windows", ApClip(symbol)),
				 errdetail("Every feature of the champion's feature set is NULL in the reference or the current window."),
				 errhint("Use a later since, or build the features of the current window.")));
	share = (double) ndrifted / ntested;
	drifted = share >= o.drift_share;
	report_id = StoreReport(symbol, &c, &ref, &cur, share, drifted, &o, since, merged, started);
	StoreFeatures(report_id, c.names, f, c.p + 1);
	if (drifted && retrain)
		QueueRetrain(symbol, report_id, ndrifted, ntested);
	SPI_finish();
	ApUnpinSearchPath(nest);
	ApProgressEnd();
	PG_RETURN_INT64(report_id);
}
