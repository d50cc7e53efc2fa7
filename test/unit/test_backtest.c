/*
 * test_backtest.c - the backtest kernel (src/backtest.c) alone, outside
 * PostgreSQL, on a five-bar case worked by hand below (long only and with
 * shorts), plus its edge cases.  Prints TAP; run with `make -C test/unit check`.
 *
 * The case (also sql/backtest.sql, through the tables): opens of bars 0..6
 *   100, 100, 110, 99, 99, 118.8, 106.92
 * so r(t) = open(t+2)/open(t+1) - 1 for t = 0..4 is
 *   110/100-1 = +0.10, 99/110-1 = -0.10, 99/99-1 = 0, 118.8/99-1 = +0.20, 106.92/118.8-1 = -0.10.
 * Scores 0.60, 0.55, 0.30, 0.45, 0.70 with buy 0.55, sell 0.45 give
 *   BUY, HOLD (0.55 is not above 0.55), SELL, HOLD (0.45 is not below 0.45), BUY.
 * fee 50 + slippage 50 bps: rate 0.01 per unit of |p(t) - p(t-1)|.
 * Periods per year 5, so the 5 bars are one year and sqrt(5) = 2.2360679775.
 *
 * Long only: p = 1, 1, 0, 0, 1; cost = .01, 0, .01, 0, .01
 *   g(t) = (1 - cost)(1 + p r): .99*1.1 = 1.089, 1*.9 = .9, .99*1 = .99, 1, .99*.9 = .891
 *   bar returns .089, -.1, -.01, 0, -.109
 *   equity 1.089, .9801, .970299, .970299, .864536409  -> total_return -.135463591
 *   cagr = .864536409^(5/5) - 1 = -.135463591 (one year)
 *   peak 1.089 from bar 0: drawdown 0, .1, 1-.970299/1.089 = .109, .109,
 *     1-.864536409/1.089 = 1-.793881 = .206119 -> max_drawdown .206119
 *   calmar = -.135463591/.206119 = -.65721059679...
 *   mean = (.089-.1-.01+0-.109)/5 = -.026
 *   deviations .115 -.074 .016 .026 -.083, squares sum .026522, /4 = .0066305,
 *     sd = .08142788220...; sharpe = -.026/.0814278822 * 2.2360679775 = -.71397862553
 *   downside: (.01 + .0001 + .011881)/4 = .00549525, sqrt = .07412995346;
 *     sortino = -.026/.07412995346 * 2.2360679775 = -.78426823034
 *   trades 3 (bars 0, 2, 4), turnover 3, exposure 3/5 = .6,
 *   hit_rate: in the market on bars 0, 1, 4, positive on bar 0 only: 1/3
 * Buy-and-hold: g = .99*1.1, .9, 1, 1.2, .9: equity 1.089, .9801, .9801,
 *   1.17612, 1.058508 -> bh_total_return .058508; drawdowns 0 .1 .1 0 .1 ->
 *   bh_max_drawdown .1; returns .089 -.1 0 .2 -.1, mean .0178, squares of the
 *   deviations .0712 -.1178 -.0178 .1822 -.1178 sum .0663368, /4 = .0165842,
 *   sd .12877965678 -> bh_sharpe .0178/.12877965678 * 2.2360679775 = .30907063270
 * With shorts: p = 1, 1, -1, -1, 1; cost .01, 0, .02, 0, .02
 *   g = 1.089, .9, .98*(1-0) = .98, 1*(1-.2) = .8, .98*.9 = .882
 *   equity 1.089, .9801, .960498, .7683984, .677727389 -> total_return -.322272611
 *   drawdown of the last bar 1-.677727389/1.089 = .3776608
 *   trades 3, turnover 1 + 2 + 2 = 5, exposure 1
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "backtest.h"

static int	tests = 0,
			failed = 0;
static int	polls = 0;

static void
Ok(int cond, const char *what)
{
	tests++;
	if (!cond)
		failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tests, what);
}

static void
Near(double got, double want, const char *what)
{
	int			ok = fabs(got - want) <= 1e-9;

	if (!ok)
		printf("# %s: got %.15g, want %.15g\n", what, got, want);
	Ok(ok, what);
}

static void
CountPoll(void)
{
	polls++;
}

typedef struct Case
{
	double	   *score,
			   *o1,
			   *o2;
	BtCurve		c;
} Case;

static void
Alloc(BtCurve *c, int n)
{
	c->signal = calloc(n, 1);
	c->position = calloc(n, 1);
	c->cost = calloc(n, sizeof(double));
	c->asset_return = calloc(n, sizeof(double));
	c->bar_return = calloc(n, sizeof(double));
	c->equity = calloc(n, sizeof(double));
	c->bh_equity = calloc(n, sizeof(double));
	c->drawdown = calloc(n, sizeof(double));
}

static void
Free(BtCurve *c)
{
	free(c->signal);
	free(c->position);
	free(c->cost);
	free(c->asset_return);
	free(c->bar_return);
	free(c->equity);
	free(c->bh_equity);
	free(c->drawdown);
}

static void
TestHandCase(void)
{
	static const double open[7] = {100, 100, 110, 99, 99, 118.8, 106.92};
	static const double score[5] = {0.60, 0.55, 0.30, 0.45, 0.70};
	double		o1[5],
				o2[5];
	BtOptions	o = {(50 + 50) / AP_BT_BPS, 0.55, 0.45, false, 5};
	BtCurve		c;
	BtSummary	s;
	static const int sig[5] = {AP_BT_BUY, AP_BT_HOLD, AP_BT_SELL, AP_BT_HOLD, AP_BT_BUY};
	static const int pos[5] = {1, 1, 0, 0, 1};
	static const double eq[5] = {1.089, .9801, .970299, .970299, .864536409};
	static const double ret[5] = {.089, -.1, -.01, 0, -.109};
	static const double dd[5] = {0, .1, .109, .109, .206119};
	static const double bh[5] = {1.089, .9801, .9801, 1.17612, 1.058508};
	int			sig_ok = 1,
				pos_ok = 1;
	double		err = 0;

	for (int t = 0; t < 5; t++)
	{
		o1[t] = open[t + 1];
		o2[t] = open[t + 2];
	}
	Alloc(&c, 5);
	BtEquity(score, o1, o2, 5, &o, &c, NULL);
	for (int t = 0; t < 5; t++)
	{
		sig_ok &= c.signal[t] == sig[t];
		pos_ok &= c.position[t] == pos[t];
		err = fmax(err, fabs(c.equity[t] - eq[t]));
		err = fmax(err, fabs(c.bar_return[t] - ret[t]));
		err = fmax(err, fabs(c.drawdown[t] - dd[t]));
		err = fmax(err, fabs(c.bh_equity[t] - bh[t]));
	}
	Ok(sig_ok, "hand case: signals BUY HOLD SELL HOLD BUY (ties are HOLD)");
	Ok(pos_ok, "hand case: positions 1 1 0 0 1");
	Near(c.cost[0] + c.cost[2] + c.cost[4], .03, "hand case: cost .01 on each change");
	Ok(err <= 1e-12, "hand case: equity, bar returns, drawdowns, buy-and-hold per bar");
	BtSummarise(&c, 5, &o, &s);
	Ok(s.bars == 5, "hand case: bars");
	Near(s.total_return, -.135463591, "hand case: total_return");
	Near(s.cagr, -.135463591, "hand case: cagr (5 bars at 5 per year = one year)");
	Near(s.sharpe, -.026 / sqrt(.0066305) * sqrt(5), "hand case: sharpe");
	Near(s.sharpe, -0.71397862553, "hand case: sharpe's digits");
	Near(s.sortino, -.026 / sqrt(.00549525) * sqrt(5), "hand case: sortino (downside over n - 1)");
	Near(s.max_drawdown, .206119, "hand case: max_drawdown");
	Near(s.calmar, -.135463591 / .206119, "hand case: calmar");
	Near(s.hit_rate, 1.0 / 3, "hand case: hit_rate over bars in the market");
	Ok(s.trades == 3, "hand case: trades");
	Near(s.exposure, .6, "hand case: exposure");
	Near(s.turnover, 3, "hand case: turnover");
	Near(s.bh_total_return, .058508, "hand case: bh_total_return");
	Near(s.bh_sharpe, .0178 / sqrt(.0165842) * sqrt(5), "hand case: bh_sharpe");
	Near(s.bh_max_drawdown, .1, "hand case: bh_max_drawdown");

	o.allow_short = true;
	BtEquity(score, o1, o2, 5, &o, &c, NULL);
	BtSummarise(&c, 5, &o, &s);
	Ok(c.position[2] == -1 && c.position[3] == -1, "shorts: SELL goes to -1 and HOLD keeps it");
	Near(c.cost[2], .02, "shorts: a flip from 1 to -1 costs twice");
	Near(c.equity[3], .7683984, "shorts: a short loses when the price rises");
	Near(s.total_return, -.322272611, "shorts: total_return");
	Near(s.max_drawdown, .3776608, "shorts: max_drawdown");
	Ok(s.trades == 3, "shorts: trades");
	Near(s.turnover, 5, "shorts: turnover 1 + 2 + 2");
	Near(s.exposure, 1, "shorts: exposure");
	Near(s.bh_total_return, .058508, "shorts: buy-and-hold does not change");
	Free(&c);
}

static void
TestEdges(void)
{
	double		score[3] = {1, 1, 1},
				o1[3] = {10, 20, 40},
				o2[3] = {20, 40, 80};
	BtOptions	o = {0, 0.5, 0.5, true, 8760};
	BtCurve		c;
	BtSummary	s;
	double		one = .05;

	Alloc(&c, 3);
	BtEquity(score, o1, o2, 1, &o, &c, NULL);
	BtSummarise(&c, 1, &o, &s);
	Ok(isnan(s.sharpe) && isnan(s.sortino), "one bar: no standard deviation, sharpe and sortino undefined");
	Ok(isnan(BtSharpe(&one, 1, 8760)), "BtSharpe of one value is undefined");
	BtEquity(score, o1, o2, 3, &o, &c, NULL);
	BtSummarise(&c, 3, &o, &s);
	Ok(isnan(s.sharpe), "constant returns: sd 0, sharpe undefined");
	Ok(s.max_drawdown == 0 && isnan(s.calmar), "no drawdown: calmar undefined");
	Ok(isnan(s.sortino), "no losing bar: sortino undefined");
	Near(s.total_return, 7, "doubling three times");

	/* a short through a tripling price loses more than everything */
	score[0] = 0;
	o2[0] = 30;
	BtEquity(score, o1, o2, 1, &o, &c, NULL);
	BtSummarise(&c, 1, &o, &s);
	Near(c.equity[0], -1, "short through a tripling: equity -1");
	Ok(s.cagr == -1, "equity gone: cagr -1");
	Ok(s.hit_rate == 0 && s.exposure == 1, "short bar in the market, not a hit");
	Free(&c);
}

static void
TestPolling(void)
{
	int			n = 3 * AP_BT_POLL_BARS + 1;
	double	   *score = calloc(n, sizeof(double)),
			   *o1 = malloc(sizeof(double) * n),
			   *o2 = malloc(sizeof(double) * n);
	BtOptions	o = {0.001, 0.5, 0.5, false, 8760};
	BtCurve		c;

	for (int i = 0; i < n; i++)
	{
		o1[i] = 100;
		o2[i] = 100 + (i % 3);
		score[i] = (i % 7) / 6.0;
	}
	Alloc(&c, n);
	BtEquity(score, o1, o2, n, &o, &c, CountPoll);
	Ok(polls == 4, "the interrupt hook runs every AP_BT_POLL_BARS bars");
	Free(&c);
	free(score);
	free(o1);
	free(o2);
}

int
main(void)
{
	TestHandCase();
	TestEdges();
	TestPolling();
	printf("1..%d\n", tests);
	if (failed)
		printf("# %d of %d failed\n", failed, tests);
	return failed ? 1 : 0;
}
