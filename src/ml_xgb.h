/*
 * ml_xgb.h - XGBoost through its C API, called only in backends.  Every handle
 * is owned by a memory context and freed when that context goes, so errors
 * and cancels never leak boosters or matrices.
 */
#ifndef AP_ML_XGB_H
#define AP_ML_XGB_H

#include "postgres.h"

#include <xgboost/c_api.h>

/* A name/value list of booster parameters. */
typedef struct XgbParams
{
	int			n;
	char		name[32][32];
	char		value[32][64];
} XgbParams;

extern void XgbSetParam(XgbParams *ps, const char *name, const char *value);
extern const char *XgbGetParam(const XgbParams *ps, const char *name);

/* Handles tied to the lifetime of a memory context. */
extern DMatrixHandle XgbMatrix(MemoryContext owner, const float *x, int n, int p,
							   const float *y);
extern BoosterHandle XgbLoad(MemoryContext owner, const void *buf, size_t len);
extern void XgbCheck(int rc, const char *what);
extern const char *XgbLastError(void);

extern void XgbPredict(BoosterHandle b, DMatrixHandle d, int type, int iteration_end,
					   double *out, int nout);
extern void XgbPredictDense(BoosterHandle b, const double *x, int n, int p, double *out);
extern bytea *XgbSave(BoosterHandle b);
extern const char *XgbVersion(void);

#endif							/* AP_ML_XGB_H */
