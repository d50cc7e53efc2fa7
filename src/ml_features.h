/*
 * ml_features.h - feature sets: the catalogue of feature kinds, their names,
 * and the one-pass computation over a symbol's bars (pure C, no Datums).
 */
#ifndef AP_ML_FEATURES_H
#define AP_ML_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

#include "ta.h"

#define AP_MAX_FEATURES 500
#define AP_MAX_FEATURE_PARAMS 3

/* One parsed feature item such as "rsi:14". */
typedef struct FeatureItem
{
	int			kind;			/* index into the catalogue */
	int			nparams;
	double		params[AP_MAX_FEATURE_PARAMS];
	char		name[64];		/* column name, e.g. rsi_14 */
} FeatureItem;

/* A symbol's bars, oldest first, as kernel reals; ts as epoch seconds. */
typedef struct BarSeries
{
	int			n;
	double	   *ts;				/* seconds since 1970 (calendar features) */
	int64_t    *tstz;			/* the same as a TimestampTz */
	ta_real    *open;
	ta_real    *high;
	ta_real    *low;
	ta_real    *close;
	ta_real    *volume;
} BarSeries;

/*
 * Parses "kind[:p1[:p2[:p3]]]"; returns NULL on success or a static-free
 * error message (palloc'd) describing what is wrong.
 */
extern char *ParseFeatureItem(const char *text, FeatureItem *item);
extern const char *FeatureKindList(void);

/* Fills out[i] (length bars->n) with the feature, NaN where it has no value. */
extern void ComputeFeature(const FeatureItem *item, const BarSeries *bars, double *out);

#endif							/* AP_ML_FEATURES_H */
