/*
 * backtest.h - the backtest rule over plain arrays (no PostgreSQL types): a
 * model's scores become positions, positions an equity curve next to
 * buy-and-hold, the curve a summary.  backtest_sql.c feeds it from the tables.
 */
#ifndef AP_BACKTEST_H
#define AP_BACKTEST_H

#include <stdbool.h>

/* Limits of ap_backtest's arguments (its defaults are in its SQL declaration). */
#define AP_BT_MAX_COST_BPS 5000.0	/* fee + slippage: a flip (|dp| = 2) costs at most all */
#define AP_BT_BPS 10000.0			/* basis points per unit */
#define AP_BT_MIN_BARS 2			/* a standard deviation with n - 1 needs two */

/* Signals as the kernel sees them (ap_score's BUY/SELL/HOLD). */
#define AP_BT_SELL (-1)
#define AP_BT_HOLD 0
#define AP_BT_BUY 1

typedef struct BtOptions
{
	double		cost_rate;		/* (fee_bps + slippage_bps) / 10,000 per unit of |dp| */
	double		buy;			/* BUY when score > buy */
	double		sell;			/* SELL when score < sell */
	bool		allow_short;	/* SELL goes to -1 instead of 0 */
	double		periods_per_year;	/* bars per year, for the annualised fields */
} BtOptions;

/* The curve, one element per bar; the caller allocates every array (n). */
typedef struct BtCurve
{
	signed char *signal;		/* AP_BT_BUY / AP_BT_SELL / AP_BT_HOLD */
	signed char *position;		/* p(t): -1, 0 or 1 */
	double	   *cost;			/* rate x |p(t) - p(t-1)| */
	double	   *asset_return;	/* open(t+2) / open(t+1) - 1 */
	double	   *bar_return;		/* equity(t) / equity(t-1) - 1 */
	double	   *equity;
	double	   *bh_equity;		/* p = 1 throughout, one entry cost */
	double	   *drawdown;		/* 1 - equity / running peak (peak starts at 1) */
} BtCurve;

/* The summary; NaN where a field is undefined (SQL NULL). */
typedef struct BtSummary
{
	int			bars;
	double		total_return;
	double		cagr;
	double		sharpe;
	double		sortino;
	double		max_drawdown;
	double		calmar;
	double		hit_rate;
	int			trades;
	double		exposure;
	double		turnover;
	double		bh_total_return;
	double		bh_sharpe;
	double		bh_max_drawdown;
} BtSummary;

extern int	BtSignal(double score, double buy, double sell);

/*
 * Runs the rule over n bars: score[i] is the model's score of bar t = i,
 * open1[i] and open2[i] the opens of the next two bars of the table.
 * interrupt (may be NULL) is called every AP_BT_POLL_BARS bars.
 */
#define AP_BT_POLL_BARS 65536
extern void BtEquity(const double *score, const double *open1, const double *open2, int n,
					 const BtOptions *o, BtCurve *c, void (*interrupt) (void));
extern void BtSummarise(const BtCurve *c, int n, const BtOptions *o, BtSummary *s);

/* The summary's statistics, exposed for the tests. */
extern double BtSharpe(const double *ret, int n, double periods_per_year);
extern double BtSortino(const double *ret, int n, double periods_per_year);
extern double BtMaxDrawdown(const double *equity, int n);
extern double BtCagr(double final_equity, int n, double periods_per_year);

#endif							/* AP_BACKTEST_H */
