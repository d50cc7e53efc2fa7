/*
 * ml_bootstrap.h - the paired circular block bootstrap of ap_evaluate over
 * plain arrays (no PostgreSQL types): a metric of two models' predictions on
 * the same resampled rows, and the percentile interval of its difference.
 */
#ifndef AP_ML_BOOTSTRAP_H
#define AP_ML_BOOTSTRAP_H

#include <stdbool.h>
#include <stdint.h>

typedef enum BootMetric
{
	BOOT_AUC,
	BOOT_LOGLOSS,
	BOOT_BRIER,
	BOOT_ACCURACY,
	BOOT_F1,
	BOOT_RMSE,
	BOOT_MAE,
	BOOT_R2,
	BOOT_DIRECTIONAL,
	BOOT_SHARPE,
	BOOT_STRATEGY_RETURN,
	BOOT_NMETRICS
} BootMetric;

/* name (as in models.metrics), better direction, and whether it needs a 0/1 target */
typedef struct BootMetricInfo
{
	const char *name;
	bool		higher_is_better;
	bool		classification;	/* true: class targets only; false: regression only */
	bool		any_task;		/* sharpe, strategy_return: either task */
} BootMetricInfo;

extern const BootMetricInfo boot_metrics[BOOT_NMETRICS];
extern int	BootMetricByName(const char *name);

/*
 * One model's scores on the window's units (rows; for the trading metrics
 * the rebalancing points every horizon rows): y the target, p the
 * prediction, r the strategy's log return of the unit (fee included).
 */
typedef struct BootSide
{
	const double *p;
	const double *r;
	int		   *order;			/* units by ascending p, for AUC (BootPrepare) */
} BootSide;

typedef struct BootData
{
	int			n;
	const double *y;
	BootSide	a,
				b;
	double		annualise;		/* sqrt of periods per year / horizon, for sharpe */
} BootData;

/* the default block length: ceil(n^(1/3)) */
extern int	BootDefaultBlock(int n);

/* Sorts each side's units by score (needed by BOOT_AUC); arrays from alloc. */
extern void BootPrepare(BootData *d, void *(*alloc) (size_t));

/* The metric of one side with unit weights w (w = NULL: every unit once). */
extern double BootMetricValue(const BootData *d, const BootSide *s, BootMetric m, const double *w);

/* splitmix64, the generator whose stream test/fixtures reproduce */
extern uint64_t BootNextRandom(uint64_t *state);

/*
 * Fills w (n counts) with one circular block resample: blocks of length
 * `block` starting at uniformly drawn units (state), wrapping at the end,
 * until n units are drawn (the last block cut short).
 */
extern void BootResample(int n, int block, uint64_t *state, double *w);

/*
 * diff[k] = metric(b) - metric(a) on resample k = 0..resamples-1 from the
 * seed; w is n doubles of scratch.  interrupt (may be NULL) is called each
 * resample.
 */
extern void BootDifferences(const BootData *d, BootMetric m, int block, int resamples,
							uint64_t seed, double *w, double *diff, void (*interrupt) (void));

/* The q-quantile of x (sorted in place; NaNs excluded) by linear interpolation, as numpy. */
extern double BootQuantile(double *x, int n, double q);

#endif							/* AP_ML_BOOTSTRAP_H */
