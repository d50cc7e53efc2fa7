/*
 * ml_export.c - the C half of model export/import (issue 12): the size limit
 * of an imported bundle, and sealing one registered model after the same
 * structural checks every load runs.  ap_import_model (SQL, 95_models_ops)
 * parses and checks the bundle, inserts the row unsealed and calls this.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "ml_seal.h"
#include "ml_util.h"
#include "ml_validate.h"

/* alphapulse.max_import_bytes: largest bundle ap_import_model reads (kB) */
#define AP_DEFAULT_MAX_IMPORT_KB (256 * 1024)
#define AP_MAX_MAX_IMPORT_KB (1024 * 1024)
int			ap_max_import_kb = AP_DEFAULT_MAX_IMPORT_KB;

/* Defines alphapulse.max_import_bytes (called from MlDefineSettings). */
void
ModelsOpsDefineSettings(void)
{
	DefineCustomIntVariable("alphapulse.max_import_bytes",
							"Largest model bundle ap_import_model accepts (its jsonb size).",
							NULL, &ap_max_import_kb, AP_DEFAULT_MAX_IMPORT_KB, 1, AP_MAX_MAX_IMPORT_KB,
							PGC_SUSET, GUC_UNIT_KB, NULL, NULL, NULL);
}

/* A float8[] of exactly n finite-or-not values, or false when its length differs. */
static bool
ReadVector(Datum d, double *out, int n)
{
	ArrayType  *a = DatumGetArrayTypeP(d);
	Datum	   *el;
	bool	   *nulls;
	int			k;

	deconstruct_array(a, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &el, &nulls, &k);
	if (k != n)
		return false;
	for (int i = 0; i < n; i++)
		out[i] = nulls[i] ? NAN : DatumGetFloat8(el[i]);
	return true;
}

/*
 * A linear model's coefficients as every load reads them: a known link, a
 * finite intercept, n finite coefficients and means and positive scales.
 */
static bool
LinearSound(HeapTuple tup, TupleDesc td, int p, char *reason)
{
	bool		isnull;
	Datum		link = SPI_getbinval(tup, td, 9, &isnull);
	const char *l = isnull ? "" : TextDatumGetCString(link);
	double		intercept;
	double	   *v[3];

	if (strcmp(l, "identity") != 0 && strcmp(l, "logistic") != 0 && strcmp(l, "clip01") != 0)
	{
		snprintf(reason, AP_MODEL_REASON_LEN, "unknown link \"%.40s\"", l);
		return false;
	}
	intercept = DatumGetFloat8(SPI_getbinval(tup, td, 10, &isnull));
	if (isnull)
	{
		strlcpy(reason, "no intercept", AP_MODEL_REASON_LEN);
		return false;
	}
	for (int k = 0; k < 3; k++)
	{
		Datum		d = SPI_getbinval(tup, td, 11 + k, &isnull);

		v[k] = palloc(sizeof(double) * Max(p, 1));
		if (isnull || !ReadVector(d, v[k], p))
		{
			snprintf(reason, AP_MODEL_REASON_LEN, "the %s vector does not have %d values",
					 k == 0 ? "coef" : k == 1 ? "mean" : "scale", p);
			return false;
		}
	}
	return ApValidateLinear(v[0], v[1], v[2], p, intercept, reason);
}

PG_FUNCTION_INFO_V1(ap_seal_model);

/*
 * alphapulse.seal_model(model_id): validates one model as a load would and
 * seals it under this cluster's key; NULL when sealed, else why it is not
 * (the row is left as it was).  Superuser only: ap_import_model runs it as
 * the extension's owner after its own checks of the bundle.
 */
Datum
ap_seal_model(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);
	Oid			t[2] = {INT8OID, BYTEAOID};
	Datum		a[2];
	HeapTuple	tup;
	TupleDesc	td;
	bool		isnull,
				mnull,
				cnull;
	char		reason[AP_MODEL_REASON_LEN];
	char	   *algorithm;
	int			p;
	Datum		md,
				cd;
	bytea	   *mac;
	ApModelIdentity who;
	int			nest;
	bool		sealed;

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser may run alphapulse.seal_model()")));
	nest = ApPinSearchPath();
	SPI_connect();
	a[0] = Int64GetDatum(id);
	if (SPI_execute_with_args("SELECT m.algorithm, pg_catalog.array_length(m.feature_names, 1), m.model, m.coefficients, "
							  "m.symbol, m.feature_set, m.feature_names::pg_catalog.text, m.model_sha256 OPERATOR(pg_catalog.=) pg_catalog.sha256(m.model), "
							  "m.coefficients OPERATOR(pg_catalog.->>) 'link'::pg_catalog.text, "
							  "(m.coefficients OPERATOR(pg_catalog.->>) 'intercept'::pg_catalog.text)::pg_catalog.float8, "
							  "ARRAY(SELECT pg_catalog.jsonb_array_elements_text(m.coefficients OPERATOR(pg_catalog.->) 'coef'::pg_catalog.text)::pg_catalog.float8), "
							  "ARRAY(SELECT pg_catalog.jsonb_array_elements_text(m.coefficients OPERATOR(pg_catalog.->) 'mean'::pg_catalog.text)::pg_catalog.float8), "
							  "ARRAY(SELECT pg_catalog.jsonb_array_elements_text(m.coefficients OPERATOR(pg_catalog.->) 'scale'::pg_catalog.text)::pg_catalog.float8) "
							  "FROM alphapulse.models m WHERE m.id OPERATOR(pg_catalog.=) $1 FOR UPDATE",
							  1, t, a, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading model %lld failed", (long long) id);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model %lld does not exist", (long long) id)));
	tup = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	algorithm = TextDatumGetCString(SPI_getbinval(tup, td, 1, &isnull));
	p = DatumGetInt32(SPI_getbinval(tup, td, 2, &isnull));
	if (isnull)
		p = 0;
	md = SPI_getbinval(tup, td, 3, &mnull);
	cd = SPI_getbinval(tup, td, 4, &cnull);
	who.symbol = TextDatumGetCString(SPI_getbinval(tup, td, 5, &isnull));
	who.feature_set = TextDatumGetCString(SPI_getbinval(tup, td, 6, &isnull));
	who.feature_names = TextDatumGetCString(SPI_getbinval(tup, td, 7, &isnull));
	mac = NULL;
	if (p < 1 || p > AP_MODEL_MAX_FEATURES)
		snprintf(reason, AP_MODEL_REASON_LEN, "%d features", p);
	else if (strcmp(algorithm, "xgboost") == 0 &&
			 (mnull || !DatumGetBool(SPI_getbinval(tup, td, 8, &isnull)) || isnull))
		strlcpy(reason, "the model bytes do not match model_sha256", AP_MODEL_REASON_LEN);
	else if (strcmp(algorithm, "xgboost") != 0 && (cnull || !LinearSound(tup, td, p, reason)))
	{
		if (cnull)
			strlcpy(reason, "no coefficients", AP_MODEL_REASON_LEN);
	}
	else
		mac = ApSealModel(algorithm, p, &who, mnull ? NULL : DatumGetByteaPP(md), cnull ? (Datum) 0 : cd, reason);
	if (mac != NULL)
	{
		a[0] = Int64GetDatum(id);
		a[1] = PointerGetDatum(mac);
		t[1] = BYTEAOID;
		if (SPI_execute_with_args("UPDATE alphapulse.models SET model_hmac = $2 WHERE id OPERATOR(pg_catalog.=) $1",
								  2, t, a, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "sealing model %lld failed", (long long) id);
	}
	sealed = mac != NULL;
	SPI_finish();
	ApUnpinSearchPath(nest);
	if (sealed)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(reason));
}
