/*
 * ml_predict.h - what the scoring code (ml_predict.c) offers the other ml_*
 * files: the champion and a model's facts through the per-backend cache.
 */
#ifndef AP_ML_PREDICT_H
#define AP_ML_PREDICT_H

#include "postgres.h"

/* ap_score's default thresholds: BUY above, SELL below. */
#define AP_SCORE_BUY_CLASSIFICATION 0.55
#define AP_SCORE_SELL_CLASSIFICATION 0.45
#define AP_SCORE_BUY_REGRESSION 0.0
#define AP_SCORE_SELL_REGRESSION 0.0

typedef struct ApModelFacts
{
	char		symbol[64];
	char		feature_set[64];
	bool		classification;
	int			p;				/* number of features */
} ApModelFacts;

/* The symbol's champion (42704 when it has none or is unknown). */
extern int64 ApChampionModel(const char *symbol);
/* Loads the model (42704 when it does not exist) and describes it. */
extern void ApGetModelFacts(int64 model_id, ApModelFacts *facts);
/*
 * Predictions of a registered model for n rows (row-major n x p, NaN a
 * missing feature); a row a linear model cannot score gets NaN.
 */
extern void ApPredictModelRows(int64 model_id, const double *x, int n, int p, double *out);

#endif							/* AP_ML_PREDICT_H */
