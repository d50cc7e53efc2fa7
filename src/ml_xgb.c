/*
 * ml_xgb.c - thin, leak-proof wrappers over the XGBoost C API for scoring
 * (training runs in the trainer process, see ml_trainer.c).  Handles are
 * registered with a memory-context reset callback of their owner context.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "ml_trainer.h"
#include "ml_util.h"
#include "ml_validate.h"
#include "ml_xgb.h"

typedef struct XgbHandle
{
	MemoryContextCallback cb;
	void	   *handle;
	bool		booster;
} XgbHandle;

/* Frees the handle when its owner context is reset or deleted (also on error). */
static void
XgbRelease(void *arg)
{
	XgbHandle  *h = (XgbHandle *) arg;

	if (h->handle == NULL)
		return;
	if (h->booster)
		XGBoosterFree(h->handle);
	else
		XGDMatrixFree(h->handle);
	h->handle = NULL;
}

static XgbHandle *
XgbTrack(MemoryContext owner, bool booster)
{
	XgbHandle  *h = MemoryContextAllocZero(owner, sizeof(XgbHandle));

	h->booster = booster;
	h->cb.func = XgbRelease;
	h->cb.arg = h;
	MemoryContextRegisterResetCallback(owner, &h->cb);
	return h;
}

/* longest XGBoost error text passed on */
#define XGB_ERROR_TEXT_LEN 200

/* XGBoost's last error without its stack trace, addresses and paths */
const char *
XgbLastError(void)
{
	static char buf[XGB_ERROR_TEXT_LEN + 1];

	ApCleanLibraryError(XGBGetLastError(), buf, sizeof(buf));
	return buf;
}

void
XgbCheck(int rc, const char *what)
{
	if (rc != 0)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("xgboost %s failed: %s", what, XgbLastError())));
}

void
XgbSetParam(XgbParams *ps, const char *name, const char *value)
{
	for (int i = 0; i < ps->n; i++)
		if (strcmp(ps->name[i], name) == 0)
		{
			strlcpy(ps->value[i], value, sizeof(ps->value[i]));
			return;
		}
	if (ps->n >= 32)
		elog(ERROR, "too many xgboost parameters");
	strlcpy(ps->name[ps->n], name, sizeof(ps->name[0]));
	strlcpy(ps->value[ps->n], value, sizeof(ps->value[0]));
	ps->n++;
}

const char *
XgbGetParam(const XgbParams *ps, const char *name)
{
	for (int i = 0; i < ps->n; i++)
		if (strcmp(ps->name[i], name) == 0)
			return ps->value[i];
	return NULL;
}

DMatrixHandle
XgbMatrix(MemoryContext owner, const float *x, int n, int p, const float *y)
{
	XgbHandle  *h = XgbTrack(owner, false);

	XgbCheck(XGDMatrixCreateFromMat_omp(x, n, p, NAN, &h->handle, XgbThreads()),
			 "matrix creation");
	if (y)
		XgbCheck(XGDMatrixSetFloatInfo(h->handle, "label", y, n), "setting labels");
	return h->handle;
}

BoosterHandle
XgbLoad(MemoryContext owner, const void *buf, size_t len)
{
	XgbHandle  *h = XgbTrack(owner, true);
	char		threads[16];

	XgbCheck(XGBoosterCreate(NULL, 0, &h->handle), "booster creation");
	/* callers validated the bytes (ml_validate.c); the library's text stays out */
	if (XGBoosterLoadModelFromBuffer(h->handle, buf, len) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt model blob"),
				 errdetail("XGBoost could not load the model.")));
	snprintf(threads, sizeof(threads), "%d", XgbThreads());
	XgbCheck(XGBoosterSetParam(h->handle, "nthread", threads), "setting nthread");
	return h->handle;
}

/* type: 0 value, 2 SHAP contributions; iteration_end 0 means all rounds. */
void
XgbPredict(BoosterHandle b, DMatrixHandle d, int type, int iteration_end, double *out, int nout)
{
	char		config[256];
	const bst_ulong *shape;
	bst_ulong	dim,
				total = 1;
	const float *res;

	snprintf(config, sizeof(config),
			 "{\"type\": %d, \"training\": false, \"iteration_begin\": 0, "
			 "\"iteration_end\": %d, \"strict_shape\": false}", type, iteration_end);
	XgbCheck(XGBoosterPredictFromDMatrix(b, d, config, &shape, &dim, &res), "prediction");
	for (bst_ulong k = 0; k < dim; k++)
		total *= shape[k];
	if ((int) total != nout)
		elog(ERROR, "xgboost returned %lu values, expected %d", (unsigned long) total, nout);
	for (int i = 0; i < nout; i++)
		out[i] = res[i];
}

/* In-place prediction from a row-major float8 matrix: no DMatrix, no copy. */
void
XgbPredictDense(BoosterHandle b, const double *x, int n, int p, double *out)
{
	char		iface[256];
	const bst_ulong *shape;
	bst_ulong	dim,
				total = 1;
	const float *res;
	static const char *config = "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
		"\"iteration_end\": 0, \"strict_shape\": false, \"cache_id\": 0, \"missing\": NaN}";

	snprintf(iface, sizeof(iface),
			 "{\"data\": [%lu, true], \"shape\": [%d, %d], \"typestr\": \"<f8\", \"version\": 3}",
			 (unsigned long) (uintptr_t) x, n, p);
	if (XGBoosterPredictFromDense(b, iface, config, NULL, &shape, &dim, &res) != 0)
	{
		/* gblinear has no in-place prediction: through a DMatrix (float32, as in place) */
		MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "xgboost prediction",
												  ALLOCSET_SMALL_SIZES);
		MemoryContext old = MemoryContextSwitchTo(cxt);
		float	   *fx = palloc(sizeof(float) * ((size_t) n * p + 1));

		for (size_t i = 0; i < (size_t) n * p; i++)
			fx[i] = (float) x[i];
		XgbPredict(b, XgbMatrix(cxt, fx, n, p, NULL), 0, 0, out, n);
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
		return;
	}
	for (bst_ulong k = 0; k < dim; k++)
		total *= shape[k];
	if ((int) total != n)
		elog(ERROR, "xgboost returned %lu values, expected %d", (unsigned long) total, n);
	for (int i = 0; i < n; i++)
		out[i] = res[i];
}

bytea *
XgbSave(BoosterHandle b)
{
	bst_ulong	len;
	const char *buf;
	bytea	   *out;

	XgbCheck(XGBoosterSaveModelToBuffer(b, "{\"format\": \"ubj\"}", &len, &buf), "saving the model");
	out = palloc(VARHDRSZ + len);
	SET_VARSIZE(out, VARHDRSZ + len);
	memcpy(VARDATA(out), buf, len);
	return out;
}

const char *
XgbVersion(void)
{
	int			major,
				minor,
				patch;

	XGBoostVersion(&major, &minor, &patch);
	return psprintf("%d.%d.%d", major, minor, patch);
}
