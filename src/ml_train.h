/*
 * ml_train.h - training data and model (de)serialisation shared by training
 * and scoring.
 */
#ifndef AP_ML_TRAIN_H
#define AP_ML_TRAIN_H

#include "postgres.h"
#include "utils/jsonb.h"

#include "ml_model.h"

/* Feature rows of one symbol and feature set, oldest first. */
typedef struct FeatureRows
{
	int			n;
	int			p;
	double	   *x;				/* row-major n x p */
	double	   *y;				/* target (NaN when unknown) */
	double	   *fwd;			/* forward log return */
	TimestampTz *ts;
} FeatureRows;

/* Loads rows with complete features; with_target: only rows whose target is known. */
extern void LoadFeatureRows(const char *symbol, const char *feature_set, bool with_target,
							TimestampTz since, int expect_p, int64 max_rows, FeatureRows *rows);
extern int64 CountFeatureRows(const char *symbol, const char *feature_set, bool with_target,
							  TimestampTz since);
extern double FeatureLoadMemory(int64 n, int p);

/* rows fetched per batch when loading features, and a tuple's size beyond its values */
#define AP_FEATURE_LOAD_BATCH 1000
#define AP_FEATURE_TUPLE_OVERHEAD 160
extern int	FeatureSetWidth(const char *feature_set);
extern Jsonb *LinearToJsonb(const LinearModel *m);
extern void BuildFeaturesFor(Oid nsp, const char *symbol, const char *feature_set);


/* models.metrics of n rows: the task's metrics and the long/flat strategy's */
extern Jsonb *ApHoldoutMetrics(bool classification, const double *y, const double *pred,
							   const double *fwd, int n, int horizon, double fee,
							   double periods_per_year);


/* a row of alphapulse.model_events, by the session's current role (ml_evaluate.c) */
extern int64 ApLogModelEvent(const char *symbol, int64 model_id, const char *event,
							 const char *reason, Jsonb *details);

/* Predictions of a registered model for n rows (ml_predict.c); NaN: not scorable. */
extern void ApPredictModelRows(int64 model_id, const double *x, int n, int p, double *out);

#endif							/* AP_ML_TRAIN_H */
