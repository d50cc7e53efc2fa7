/*
 * ml_train.h - what training (ml_train.c) offers the other ml_* files; the
 * feature rows it reads are ml_rows.h's.
 */
#ifndef AP_ML_TRAIN_H
#define AP_ML_TRAIN_H

#include "postgres.h"
#include "utils/jsonb.h"

#include "ml_model.h"
#include "ml_rows.h"

extern Jsonb *LinearToJsonb(const LinearModel *m);


/* models.metrics of n rows: the task's metrics and the long/flat strategy's */
extern Jsonb *ApHoldoutMetrics(bool classification, const double *y, const double *pred,
							   const double *fwd, int n, int horizon, double fee,
							   double periods_per_year);


/* a row of alphapulse.model_events, by the session's current role (ml_evaluate.c) */
extern int64 ApLogModelEvent(const char *symbol, int64 model_id, const char *event,
							 const char *reason, Jsonb *details);

#endif							/* AP_ML_TRAIN_H */
