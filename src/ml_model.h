/*
 * ml_model.h - pure model code over plain arrays: linear models by coordinate
 * descent, and the metrics (no PostgreSQL types).
 */
#ifndef AP_ML_MODEL_H
#define AP_ML_MODEL_H

#include <stdbool.h>

/* A linear model on standardised features: eta = b0 + sum b_j (x_j - mean_j) / scale_j. */
typedef struct LinearModel
{
	int			p;
	bool		logistic;		/* sigmoid link */
	bool		clip01;			/* linear score of a 0/1 target: clip to [0, 1] */
	double		intercept;
	double	   *coef;
	double	   *mean;
	double	   *scale;
} LinearModel;

/*
 * Minimises (1/n) loss + lambda (l1 |b|_1 + (1 - l1)/2 |b|^2) by coordinate
 * descent; loss is squared error / 2 or the logistic log loss.  x is row-major
 * n x p; mean/scale are computed from these rows only.  Returns iterations.
 */
extern int	FitLinear(const double *x, const double *y, int n, int p, double lambda,
					  double l1, bool logistic, int max_iter, double tol, LinearModel *m,
					  void (*interrupt) (void));
extern double PredictLinear(const LinearModel *m, const double *x);
extern void ColumnStats(const double *x, int n, int p, double *mean, double *scale);

typedef struct ClassMetrics
{
	double		auc,
				logloss,
				accuracy,
				precision,
				recall,
				f1,
				brier;
} ClassMetrics;

typedef struct RegMetrics
{
	double		rmse,
				mae,
				r2,
				directional;
} RegMetrics;

typedef struct TradeMetrics
{
	double		strategy_return,
				buy_hold_return,
				sharpe,
				buy_hold_sharpe,
				max_drawdown,
				trades;
} TradeMetrics;

extern double Auc(const double *y, const double *p, int n);
extern void ClassificationMetrics(const double *y, const double *p, int n, ClassMetrics *m);
extern void RegressionMetrics(const double *y, const double *p, int n, RegMetrics *m);
extern void TradingMetrics(const double *fwd, const double *score, int n, int horizon,
						   double cut, double fee, double periods_per_year, TradeMetrics *m);
extern int	TradingUnitReturns(const double *fwd, const double *score, int n, int horizon,
							   double cut, double fee, double *out);

#endif							/* AP_ML_MODEL_H */
