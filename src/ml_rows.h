/*
 * ml_rows.h - a symbol's feature rows as the model code reads them
 * (ml_rows.c), shared by training, scoring, evaluation and drift.
 */
#ifndef AP_ML_ROWS_H
#define AP_ML_ROWS_H

#include "postgres.h"

#include "datatype/timestamp.h"

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
extern void BuildFeaturesFor(Oid nsp, const char *symbol, const char *feature_set);

#endif							/* AP_ML_ROWS_H */
