/*
 * drift.h - distribution drift statistics over plain arrays (no PostgreSQL
 * headers): the two-sample tests and distances ap_drift uses, computed as
 * SciPy 1.10 computes them, and Evidently's rules for choosing among them.
 */
#ifndef AP_DRIFT_H
#define AP_DRIFT_H

#include <stdbool.h>

typedef enum DriftMethod
{
	DRIFT_AUTO = 0,				/* Evidently's default choice, see DriftChooseMethod */
	DRIFT_KS,					/* two-sample Kolmogorov-Smirnov p-value */
	DRIFT_CHISQUARE,			/* chi-square p-value of current counts against reference */
	DRIFT_WASSERSTEIN,			/* Wasserstein-1 distance / reference population std */
	DRIFT_JENSENSHANNON,		/* Jensen-Shannon distance (natural log) */
	DRIFT_PSI,					/* population stability index */
	DRIFT_NMETHODS
} DriftMethod;

/* Evidently's defaults (one home for each; ap_drift's options override them). */
#define DRIFT_SMALL_REFERENCE 1000	/* reference rows up to which p-value tests are chosen */
#define DRIFT_LOW_CARDINALITY 5		/* distinct values up to which a feature is categorical */
#define DRIFT_BIN_CARDINALITY 20	/* reference distinct values above which JS/PSI use Sturges bins */
#define DRIFT_KS_THRESHOLD 0.05		/* drifted when p < threshold */
#define DRIFT_CHISQUARE_THRESHOLD 0.05
#define DRIFT_WASSERSTEIN_THRESHOLD 0.1 /* drifted when statistic >= threshold */
#define DRIFT_JENSENSHANNON_THRESHOLD 0.1
#define DRIFT_PSI_THRESHOLD 0.1		/* 0.25 is the usual "major shift" level */
#define DRIFT_SHARE 0.5				/* dataset drifted when this share of features drifted */
#define DRIFT_WASSERSTEIN_MIN_STD 0.001 /* the normaliser's floor (a constant reference) */
#define DRIFT_PSI_ZERO_FILL 0.0001	/* PSI: an empty bin's share (Evidently) ... */
#define DRIFT_PSI_ZERO_SCALE 1e6	/* ... or the smallest share / this when that is <= the fill */
#define DRIFT_KS_MAX_EXACT 10000	/* SciPy 'auto': exact p-value when both samples are this small */

typedef struct DriftResult
{
	DriftMethod method;			/* never DRIFT_AUTO */
	double		statistic;
	double		p_value;		/* NaN for the distances */
	double		threshold;
	int			drifted;		/* 1, 0, or -1 when the statistic is undefined */
} DriftResult;

extern const char *DriftMethodName(DriftMethod m);
extern bool DriftMethodFromName(const char *name, DriftMethod *m);
extern bool DriftMethodIsPValue(DriftMethod m);
extern double DriftDefaultThreshold(DriftMethod m);
extern bool DriftThresholdValid(DriftMethod m, double threshold);

/*
 * Work on sorted samples of finite values (DriftSort sorts in place).
 * DriftChooseMethod: KS or chi-square for a reference of at most
 * small_reference values, Wasserstein or Jensen-Shannon above, by the number
 * of distinct values of both samples (more than low_cardinality: numeric).
 * DriftTest returns false only when memory ran out.
 */
extern void DriftSort(double *x, int n);
extern int	DriftDistinct(const double *a, int n1, const double *b, int n2);
extern DriftMethod DriftChooseMethod(const double *ref, int nref, const double *cur, int ncur,
									 int small_reference, int low_cardinality);
extern bool DriftTest(DriftMethod m, double threshold, const double *ref, int nref,
					  const double *cur, int ncur, DriftResult *r);

/* The statistics, each as SciPy computes it (NaN result: out of memory). */
extern double DriftKs2Samp(const double *a, int n1, const double *b, int n2, double *p_value);
extern double DriftKolmogorovSf(int n, double x);	/* scipy.stats.kstwo.sf(x, n) */
extern double DriftSmirnovSf(int n, double x);	/* scipy.special.smirnov(n, x) */
extern double DriftChiSquareSf(double x, double df); /* scipy.stats.chi2.sf(x, df) */
extern double DriftChiSquare(const double *obs, const double *expected, int k, double *p_value);
extern double DriftWasserstein(const double *a, int n1, const double *b, int n2);
extern double DriftJensenShannon(const double *p, const double *q, int k);
extern double DriftPsi(double *p, double *q, int k);	/* fills zero shares first */
extern double DriftStd(const double *x, int n);	/* population standard deviation */

/*
 * Evidently's binning for JS and PSI: Sturges bins over both samples when the
 * reference has more than DRIFT_BIN_CARDINALITY distinct values, else one bin
 * per distinct value of either sample.  Fills shares of each sample (arrays
 * of at least n1 + n2 + 2) and returns the number of bins, or -1 when out of
 * memory.
 */
extern int	DriftBinShares(const double *ref, int nref, const double *cur, int ncur,
						   double *pref, double *pcur);

#endif							/* AP_DRIFT_H */
