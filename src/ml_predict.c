/*
 * ml_predict.c - scoring: ap_predict (by symbol's champion or model id),
 * ap_score into alphapulse.signals and ap_explain.  Loaded models are cached
 * per backend; a change to alphapulse.models (the trigger queues a relcache
 * invalidation) empties the cache when it commits, in every session.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "ml_model.h"
#include "ml_predict.h"
#include "ml_rows.h"
#include "ml_seal.h"
#include "ml_signals.h"
#include "ml_util.h"
#include "ml_validate.h"
#include "ml_xgb.h"

/* A loaded model; its memory (and XGBoost handle) lives in its own context. */
typedef struct LoadedModel
{
	int64		id;				/* hash key */
	MemoryContext cxt;
	char		symbol[64];
	char		feature_set[64];
	bool		xgboost;
	bool		classification;
	int			p;
	int			horizon;
	BoosterHandle booster;
	LinearModel lin;
	char	  **names;
} LoadedModel;

typedef struct ChampionEntry
{
	char		symbol[64];		/* hash key */
	int64		model_id;
} ChampionEntry;

static HTAB *model_cache = NULL;
static HTAB *champion_cache = NULL;
static MemoryContext cache_cxt = NULL;
static bool callback_registered = false;
static bool cache_stale = false;
static Oid	models_relid = InvalidOid;

/* Drops every cached model (their contexts free the boosters). */
static void
ResetCache(void)
{
	if (cache_cxt != NULL)
		MemoryContextDelete(cache_cxt);
	cache_cxt = NULL;
	model_cache = NULL;
	champion_cache = NULL;
}

/*
 * Relcache callback: alphapulse.models changed and that change committed (or
 * is ours).  It only marks the cache stale: invalidations arrive at any lock
 * acquisition, e.g. while a model is being detoasted or loaded into the cache,
 * and freeing the cache there would pull memory from under that load.
 */
static void
ModelsChanged(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == models_relid)
		cache_stale = true;
}

/*
 * Makes the cache exist; at the start of a lookup (may_reset) a stale cache is
 * dropped first, never in the middle of one.
 */
static void
EnsureCache(bool may_reset)
{
	HASHCTL		ctl;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(ModelsChanged, (Datum) 0);
		callback_registered = true;
	}
	if (cache_stale && may_reset)
		ResetCache();
	if (cache_cxt != NULL)
		return;
	cache_stale = false;
	/* looked up with every rebuild: the extension may have been recreated */
	models_relid = get_relname_relid("models", get_namespace_oid("alphapulse", false));
	cache_cxt = AllocSetContextCreate(CacheMemoryContext, "alphapulse model cache",
									  ALLOCSET_DEFAULT_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(LoadedModel);
	ctl.hcxt = cache_cxt;
	model_cache = hash_create("alphapulse models", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = 64;
	ctl.entrysize = sizeof(ChampionEntry);
	ctl.hcxt = cache_cxt;
	champion_cache = hash_create("alphapulse champions", 64, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
}

static void
ReadFloat8Array(Datum d, double *out, int n)
{
	ArrayType  *a = DatumGetArrayTypeP(d);
	Datum	   *el;
	bool	   *nulls;
	int			k;

	deconstruct_array(a, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &el, &nulls, &k);
	if (k != n)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt model blob"),
				 errdetail("The linear coefficients have %d values for %d features.", k, n)));
	for (int i = 0; i < n; i++)
		out[i] = nulls[i] ? NAN : DatumGetFloat8(el[i]);
}

/* Loads a model by id into the cache (or returns the cached one). */
static LoadedModel *
GetModel(int64 id)
{
	LoadedModel *m;
	bool		found;
	Oid			t[1] = {INT8OID};
	Datum		a[1] = {Int64GetDatum(id)};
	HeapTuple	tup;
	TupleDesc	td;
	bool		isnull;
	MemoryContext cxt,
				old;
	int			nest;

	EnsureCache(true);
	m = hash_search(model_cache, &id, HASH_FIND, NULL);
	if (m)
		return m;

	/* qualified and under a pinned search_path: the caller's objects change nothing */
	nest = ApPinSearchPath();
	SPI_connect();
	if (SPI_execute_with_args("SELECT m.symbol, m.feature_set, m.algorithm, m.task, pg_catalog.array_length(m.feature_names, 1), "
							  "m.model, m.coefficients OPERATOR(pg_catalog.->>) 'link'::pg_catalog.text, "
							  "(m.coefficients OPERATOR(pg_catalog.->>) 'intercept'::pg_catalog.text)::pg_catalog.float8, "
							  "ARRAY(SELECT pg_catalog.jsonb_array_elements_text(m.coefficients OPERATOR(pg_catalog.->) 'coef'::pg_catalog.text)::pg_catalog.float8), "
							  "ARRAY(SELECT pg_catalog.jsonb_array_elements_text(m.coefficients OPERATOR(pg_catalog.->) 'mean'::pg_catalog.text)::pg_catalog.float8), "
							  "ARRAY(SELECT pg_catalog.jsonb_array_elements_text(m.coefficients OPERATOR(pg_catalog.->) 'scale'::pg_catalog.text)::pg_catalog.float8), "
							  "m.feature_names, s.horizon, m.model_hmac, m.coefficients::pg_catalog.text, "
							  "m.feature_names IS NOT DISTINCT FROM s.feature_names, m.feature_names::pg_catalog.text "
							  "FROM alphapulse.models m JOIN alphapulse.feature_sets s ON s.name OPERATOR(pg_catalog.=) m.feature_set "
							  "WHERE m.id OPERATOR(pg_catalog.=) $1",
							  1, t, a, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading the model failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model %lld does not exist", (long long) id)));
	tup = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;

	/* invalidations read meanwhile only marked the cache stale: the next lookup reloads */
	EnsureCache(false);
	cxt = AllocSetContextCreate(cache_cxt, "alphapulse model", ALLOCSET_SMALL_SIZES);
	PG_TRY();
	{
		LoadedModel tmp;
		ArrayType  *names;
		Datum	   *el;
		bool	   *nulls;
		int			k;

		memset(&tmp, 0, sizeof(tmp));
		tmp.id = id;
		tmp.cxt = cxt;
		strlcpy(tmp.symbol, TextDatumGetCString(SPI_getbinval(tup, td, 1, &isnull)), sizeof(tmp.symbol));
		strlcpy(tmp.feature_set, TextDatumGetCString(SPI_getbinval(tup, td, 2, &isnull)), sizeof(tmp.feature_set));
		tmp.xgboost = strcmp(TextDatumGetCString(SPI_getbinval(tup, td, 3, &isnull)), "xgboost") == 0;
		tmp.classification = strcmp(TextDatumGetCString(SPI_getbinval(tup, td, 4, &isnull)), "classification") == 0;
		tmp.p = DatumGetInt32(SPI_getbinval(tup, td, 5, &isnull));
		if (isnull)
			tmp.p = 0;
		tmp.horizon = DatumGetInt32(SPI_getbinval(tup, td, 13, &isnull));
		old = MemoryContextSwitchTo(cxt);
		names = DatumGetArrayTypePCopy(SPI_getbinval(tup, td, 12, &isnull));
		deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT, &el, &nulls, &k);
		tmp.names = palloc(sizeof(char *) * k);
		for (int i = 0; i < k; i++)
			tmp.names[i] = TextDatumGetCString(el[i]);
		{
			/* the seal first: only rows the extension wrote are trusted at all */
			Datum		hd = SPI_getbinval(tup, td, 14, &isnull);
			bytea	   *hmac = isnull ? NULL : DatumGetByteaPP(hd);
			Datum		md = SPI_getbinval(tup, td, tmp.xgboost ? 6 : 15, &isnull);
			const char *data = "";
			size_t		len = 0;
			ApModelIdentity who;

			if (!isnull && tmp.xgboost)
			{
				bytea	   *b = DatumGetByteaPP(md);

				data = VARDATA_ANY(b);
				len = VARSIZE_ANY_EXHDR(b);
			}
			else if (!isnull)
			{
				data = TextDatumGetCString(md);
				len = strlen(data);
			}
			if (hmac == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("model %lld is not sealed", (long long) id),
						 errdetail("It has no integrity seal (model_hmac), so it is not loaded."),
						 errhint("A superuser who trusts where it came from can seal it with ap_reseal_models().")));
			/* the full texts: tmp's copies are cut to their buffers */
			who.symbol = TextDatumGetCString(SPI_getbinval(tup, td, 1, &isnull));
			who.feature_set = TextDatumGetCString(SPI_getbinval(tup, td, 2, &isnull));
			who.feature_names = TextDatumGetCString(SPI_getbinval(tup, td, 17, &isnull));
			if (!ApModelMacMatches(TextDatumGetCString(SPI_getbinval(tup, td, 3, &isnull)), tmp.p,
								   &who, data, len, hmac))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("model %lld fails its integrity check", (long long) id),
						 errdetail("Its stored model does not match its seal under this cluster's key."),
						 errhint("After restoring models from another cluster, a superuser runs ap_reseal_models().")));
		}
		/* a model scores only the features it was trained on (issue 7 F6) */
		if (!DatumGetBool(SPI_getbinval(tup, td, 16, &isnull)))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("model %lld does not match its feature set \"%s\"", (long long) id, tmp.feature_set),
					 errdetail("The feature set's feature_names are not the ones the model was trained on."),
					 errhint("Restore the feature set's definition, or train a new model.")));
		if (tmp.xgboost)
		{
			bytea	   *blob = DatumGetByteaPP(SPI_getbinval(tup, td, 6, &isnull));
			bst_ulong	nf;
			char		reason[AP_MODEL_REASON_LEN];

			if (isnull)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("corrupt model blob"),
						 errdetail("Model %lld has no XGBoost buffer.", (long long) id)));
			/* XGBoost's parser trusts its input: it sees only structurally sound trees */
			if (!ApValidateXgbModel((const unsigned char *) VARDATA_ANY(blob), VARSIZE_ANY_EXHDR(blob),
									tmp.p, NULL, reason))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("model %lld is malformed", (long long) id),
						 errdetail("%s", reason)));
			tmp.booster = XgbLoad(cxt, VARDATA_ANY(blob), VARSIZE_ANY_EXHDR(blob));
			if (XGBoosterGetNumFeature(tmp.booster, &nf) != 0 || (int) nf != tmp.p)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("corrupt model blob"),
						 errdetail("The XGBoost model of model %lld has %d features, its feature set %d.",
								   (long long) id, (int) nf, tmp.p)));
		}
		else
		{
			char	   *link;

			SPI_getbinval(tup, td, 8, &isnull);
			if (isnull)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("corrupt model blob"),
						 errdetail("Model %lld has no intercept.", (long long) id)));
			link = TextDatumGetCString(SPI_getbinval(tup, td, 7, &isnull));
			tmp.lin.p = tmp.p;
			tmp.lin.logistic = strcmp(link, "logistic") == 0;
			tmp.lin.clip01 = strcmp(link, "clip01") == 0;
			tmp.lin.intercept = DatumGetFloat8(SPI_getbinval(tup, td, 8, &isnull));
			tmp.lin.coef = palloc(sizeof(double) * tmp.p);
			tmp.lin.mean = palloc(sizeof(double) * tmp.p);
			tmp.lin.scale = palloc(sizeof(double) * tmp.p);
			ReadFloat8Array(SPI_getbinval(tup, td, 9, &isnull), tmp.lin.coef, tmp.p);
			ReadFloat8Array(SPI_getbinval(tup, td, 10, &isnull), tmp.lin.mean, tmp.p);
			ReadFloat8Array(SPI_getbinval(tup, td, 11, &isnull), tmp.lin.scale, tmp.p);
			{
				char		reason[AP_MODEL_REASON_LEN];

				if (!ApValidateLinear(tmp.lin.coef, tmp.lin.mean, tmp.lin.scale, tmp.p,
									  tmp.lin.intercept, reason))
					ereport(ERROR,
							(errcode(ERRCODE_DATA_CORRUPTED),
							 errmsg("model %lld is malformed", (long long) id),
							 errdetail("%s", reason)));
			}
		}
		MemoryContextSwitchTo(old);
		m = hash_search(model_cache, &id, HASH_ENTER, &found);
		*m = tmp;
	}
	PG_CATCH();
	{
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	SPI_finish();
	ApUnpinSearchPath(nest);
	return m;
}

/* The champion model id of a symbol, cached until alphapulse.models changes. */
static int64
ChampionOf(const char *symbol)
{
	ChampionEntry *e;
	char		key[64];
	Oid			t[1] = {TEXTOID};
	Datum		a[1];
	bool		isnull;
	int64		id;
	int			nest;

	EnsureCache(true);
	memset(key, 0, sizeof(key));
	strlcpy(key, symbol, sizeof(key));
	e = hash_search(champion_cache, key, HASH_FIND, NULL);
	if (e)
		return e->model_id;
	a[0] = CStringGetTextDatum(symbol);
	nest = ApPinSearchPath();
	SPI_connect();
	SPI_execute_with_args("SELECT m.id FROM alphapulse.models m WHERE m.symbol OPERATOR(pg_catalog.=) $1 "
						  "AND m.stage OPERATOR(pg_catalog.=) 'champion'::pg_catalog.text",
						  1, t, a, NULL, true, 1);
	if (SPI_processed == 0)
	{
		CheckSymbol(symbol);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("symbol \"%s\" has no champion model", ApClip(symbol)),
				 errhint("Train one with ap_train('%s').", ApClip(symbol))));
	}
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	ApUnpinSearchPath(nest);
	EnsureCache(false);
	e = hash_search(champion_cache, key, HASH_ENTER, NULL);
	e->model_id = id;
	return id;
}

/* Checks a feature array against a model's width; NULL elements are missing (NaN). */
static void
ReadFeatures(const LoadedModel *m, ArrayType *arr, double *x)
{
	int			n = ARR_NDIM(arr) == 0 ? 0 : ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	Datum	   *el;
	bool	   *nulls;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features must be a one-dimensional array"),
				 errdetail("The array has %d dimensions.", ARR_NDIM(arr)),
				 errhint("Pass the %d features of model %lld as '{x1, x2, ...}'.", m->p, (long long) m->id)));
	if (n != m->p)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("model %lld takes %d features, not %d", (long long) m->id, m->p, n),
				 errhint("The order is alphapulse.feature_sets.feature_names of \"%s\".", m->feature_set)));
	deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &el, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		x[i] = nulls[i] ? NAN : DatumGetFloat8(el[i]);
		/* as ap_explain: a missing feature is NULL, never NaN or infinity */
		if (!nulls[i] && !isfinite(x[i]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("feature %d (%s) is not a finite number", i + 1, m->names[i]),
					 errdetail("It was %g.", x[i]),
					 errhint("Pass NULL for a missing feature.")));
	}
}

/* Predictions of n rows (row-major x); NaN is missing (XGBoost only). */
static void
PredictRows(LoadedModel *m, const double *x, int n, double *out)
{
	if (n == 0)
		return;
	if (m->xgboost)
	{
		XgbPredictDense(m->booster, x, n, m->p, out);
		return;
	}
	for (int i = 0; i < n; i++)
	{
		const double *row = x + (size_t) i * m->p;

		for (int j = 0; j < m->p; j++)
			if (isnan(row[j]))
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("linear model %lld needs every feature; feature %d (%s) is missing",
								(long long) m->id, j + 1, m->names[j])));
		out[i] = PredictLinear(&m->lin, row);
	}
}

/* One row through the cached model. */
static double
PredictOne(LoadedModel *m, const double *x)
{
	double		out;

	PredictRows(m, x, 1, &out);
	return out;
}

static Datum
PredictDatum(LoadedModel *m, ArrayType *arr)
{
	double	   *x = palloc(sizeof(double) * (m->p + 1));

	ReadFeatures(m, arr, x);
	return Float8GetDatum(PredictOne(m, x));
}

PG_FUNCTION_INFO_V1(ap_predict_symbol);

/* Champion's prediction for one feature vector. */
Datum
ap_predict_symbol(PG_FUNCTION_ARGS)
{
	char	   *symbol = text_to_cstring(PG_GETARG_TEXT_PP(0));
	LoadedModel *m = GetModel(ChampionOf(symbol));

	return PredictDatum(m, PG_GETARG_ARRAYTYPE_P(1));
}

PG_FUNCTION_INFO_V1(ap_predict_model);

/* A given model's prediction for one feature vector. */
Datum
ap_predict_model(PG_FUNCTION_ARGS)
{
	LoadedModel *m = GetModel(PG_GETARG_INT64(0));

	return PredictDatum(m, PG_GETARG_ARRAYTYPE_P(1));
}

PG_FUNCTION_INFO_V1(ap_explain);

/* Per-feature contributions (SHAP for XGBoost, coef * standardised x for linear) plus the bias, in margin units. */
Datum
ap_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *symbol = text_to_cstring(PG_GETARG_TEXT_PP(0));
	LoadedModel *m;
	double	   *x,
			   *contrib;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	/* before the model lookup: catalog access here may reset the model cache */
	InitMaterializedSRF(fcinfo, 0);
	m = GetModel(ChampionOf(symbol));
	x = palloc(sizeof(double) * (m->p + 1));
	contrib = palloc(sizeof(double) * (m->p + 1));
	ReadFeatures(m, PG_GETARG_ARRAYTYPE_P(1), x);
	if (m->xgboost)
	{
		MemoryContext tmp = AllocSetContextCreate(CurrentMemoryContext, "ap explain", ALLOCSET_SMALL_SIZES);
		float	   *f = MemoryContextAlloc(tmp, sizeof(float) * m->p);
		DMatrixHandle d;

		for (int j = 0; j < m->p; j++)
			f[j] = (float) x[j];
		d = XgbMatrix(tmp, f, 1, m->p, NULL);
		XgbPredict(m->booster, d, 2, 0, contrib, m->p + 1);
		MemoryContextDelete(tmp);
	}
	else
	{
		double		dummy;

		PredictRows(m, x, 1, &dummy);	/* checks that no feature is missing */
		for (int j = 0; j < m->p; j++)
			contrib[j] = m->lin.coef[j] * (x[j] - m->lin.mean[j]) / m->lin.scale[j];
		contrib[m->p] = m->lin.intercept;
	}
	for (int j = 0; j <= m->p; j++)
	{
		values[0] = CStringGetTextDatum(j < m->p ? m->names[j] : "(bias)");
		values[1] = Float8GetDatum(contrib[j]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(ap_score);

/*
 * Scores the symbol's feature rows from `since` with its champion into
 * alphapulse.signals: BUY above buy, SELL below sell, else HOLD.
 */
Datum
ap_score(PG_FUNCTION_ARGS)
{
	char	   *symbol;
	TimestampTz since = PG_ARGISNULL(1) ? DT_NOBEGIN : PG_GETARG_TIMESTAMPTZ(1);
	LoadedModel *m;
	FeatureRows r;
	double	   *pred;
	double		buy,
				sell;
	int64		model_id;
	char		feature_set[64];
	Oid			nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	int			nest;
	TimestampTz t_start = GetCurrentTimestamp(),
				t_built,
				t_loaded,
				t_predicted;
	bool		bulk;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("symbol must not be null")));
	symbol = text_to_cstring(PG_GETARG_TEXT_PP(0));
	/* everything below, feature building included, runs with a pinned search_path */
	nest = ApPinSearchPath();
	model_id = ChampionOf(symbol);
	m = GetModel(model_id);
	strlcpy(feature_set, m->feature_set, sizeof(feature_set));
	buy = PG_ARGISNULL(2) ? (m->classification ? AP_SCORE_BUY_CLASSIFICATION : AP_SCORE_BUY_REGRESSION) :
		PG_GETARG_FLOAT8(2);
	sell = PG_ARGISNULL(3) ? (m->classification ? AP_SCORE_SELL_CLASSIFICATION : AP_SCORE_SELL_REGRESSION) :
		PG_GETARG_FLOAT8(3);
	if (!(sell <= buy))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sell threshold must not be above the buy threshold"),
				 errdetail("buy was %g, sell %g.", buy, sell)));

	SPI_connect();
	BuildFeaturesFor(nsp, symbol, feature_set);
	t_built = GetCurrentTimestamp();
	LoadFeatureRows(symbol, feature_set, false, since, m->p,
					CountFeatureRows(symbol, feature_set, false, since), &r);
	t_loaded = GetCurrentTimestamp();
	/* building features may have run invalidations: fetch the model again */
	m = GetModel(model_id);
	pred = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * (r.n + 1));
	PredictRows(m, r.x, r.n, pred);
	t_predicted = GetCurrentTimestamp();
	bulk = ApWriteSignals(symbol, model_id, r.ts, pred, r.n, buy, sell);
	SPI_finish();
	ApUnpinSearchPath(nest);
	elog(DEBUG1, "ap_score: %d rows; features %.3f ms, load %.3f ms, predict %.3f ms, write %.3f ms (%s)",
		 r.n, (t_built - t_start) / 1000.0, (t_loaded - t_built) / 1000.0,
		 (t_predicted - t_loaded) / 1000.0, (GetCurrentTimestamp() - t_predicted) / 1000.0, bulk ? "bulk insert" : "sql");
	PG_RETURN_INT64(r.n);
}

/* The champion of a symbol, for other files (ml_predict.h). */
int64
ApChampionModel(const char *symbol)
{
	return ChampionOf(symbol);
}

/* A model's symbol, feature set, task and width, loading it into the cache. */
void
ApGetModelFacts(int64 model_id, ApModelFacts *facts)
{
	LoadedModel *m = GetModel(model_id);

	strlcpy(facts->symbol, m->symbol, sizeof(facts->symbol));
	strlcpy(facts->feature_set, m->feature_set, sizeof(facts->feature_set));
	facts->classification = m->classification;
	facts->p = m->p;
}

/*
 * Predictions of a registered model for n rows (row-major n x p, NaN a
 * missing feature), for callers outside this file (ap_drift).  A row a linear
 * model cannot score (a missing feature) gets NaN instead of an error.
 */
void
ApPredictModelRows(int64 model_id, const double *x, int n, int p, double *out)
{
	LoadedModel *m = GetModel(model_id);

	if (m->p != p)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("model %lld takes %d features, not %d", (long long) model_id, m->p, p)));
	if (m->xgboost)
	{
		PredictRows(m, x, n, out);
		return;
	}
	for (int i = 0; i < n; i++)
	{
		const double *row = x + (size_t) i * p;
		bool		complete = true;

		for (int j = 0; j < p && complete; j++)
			complete = !isnan(row[j]);
		out[i] = complete ? PredictLinear(&m->lin, row) : NAN;
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}
