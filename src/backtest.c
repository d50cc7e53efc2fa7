/*
 * backtest.c - the backtest rule of ap_backtest over plain arrays: signals,
 * positions, costs, the equity curve and buy-and-hold, and the summary
 * statistics.  Pure C (no PostgreSQL headers), unit-tested in test/unit.
 */
#include <math.h>
#include <stdlib.h>

#include "backtest.h"

/* ap_score's rule: BUY above buy, SELL below sell, else HOLD. */
int
BtSignal(double score, double buy, double sell)
{
	if (score > buy)
		return AP_BT_BUY;
	if (score < sell)
		return AP_BT_SELL;
	return AP_BT_HOLD;
}

/* p(t) from the signal and p(t-1): 1 after BUY, 0 (-1 short) after SELL, else kept. */
static int
NextPosition(int signal, int prev, bool allow_short)
{
	if (signal == AP_BT_BUY)
		return 1;
	if (signal == AP_BT_SELL)
		return allow_short ? -1 : 0;
	return prev;
}

/*
 * equity(t) = equity(t-1) (1 - cost(t)) (1 + p(t) r(t)) from 1, with r(t)
 * the open-to-open return of bar t+1 (held from open(t+1) to open(t+2));
 * buy-and-hold is the same with p = 1 and the entry cost on the first bar.
 */
void
BtEquity(const double *score, const double *open1, const double *open2, int n,
		 const BtOptions *o, BtCurve *c, void (*interrupt) (void))
{
	int			prev = 0;
	double		eq = 1,
				bh = 1,
				peak = 1;

	for (int i = 0; i < n; i++)
	{
		int			p;
		double		r,
					g;

		if (interrupt && i % AP_BT_POLL_BARS == 0)
			interrupt();
		c->signal[i] = (signed char) BtSignal(score[i], o->buy, o->sell);
		p = NextPosition(c->signal[i], prev, o->allow_short);
		c->position[i] = (signed char) p;
		c->cost[i] = o->cost_rate * abs(p - prev);
		r = open2[i] / open1[i] - 1;
		c->asset_return[i] = r;
		g = (1 - c->cost[i]) * (1 + p * r);
		c->bar_return[i] = g - 1;
		eq *= g;
		c->equity[i] = eq;
		bh *= (i == 0 ? 1 - o->cost_rate : 1) * (1 + r);
		c->bh_equity[i] = bh;
		if (eq > peak)
			peak = eq;
		c->drawdown[i] = 1 - eq / peak;
		prev = p;
	}
}

/*
 * Mean and sample standard deviation (n - 1) of ret, with ret[0] replaced
 * by first (buy-and-hold's first bar carries the entry cost).
 */
static void
Moments(const double *ret, double first, int n, double *mean, double *sd, double *downside)
{
	double		sum = 0,
				ss = 0,
				down = 0;

	for (int i = 0; i < n; i++)
		sum += i == 0 ? first : ret[i];
	*mean = sum / n;
	for (int i = 0; i < n; i++)
	{
		double		r = i == 0 ? first : ret[i];

		ss += (r - *mean) * (r - *mean);
		if (r < 0)
			down += r * r;
	}
	*sd = n > 1 ? sqrt(ss / (n - 1)) : NAN;
	*downside = n > 1 ? sqrt(down / (n - 1)) : NAN;
}

/* mean / sd (n - 1) x sqrt(periods per year); NaN for n < 2 or sd = 0. */
static double
Annualised(double mean, double dev, int n, double periods_per_year)
{
	if (n < 2 || !(dev > 0))
		return NAN;
	return mean / dev * sqrt(periods_per_year);
}

double
BtSharpe(const double *ret, int n, double periods_per_year)
{
	double		mean,
				sd,
				down;

	if (n < 1)
		return NAN;
	Moments(ret, ret[0], n, &mean, &sd, &down);
	return Annualised(mean, sd, n, periods_per_year);
}

/* Downside deviation: sqrt(sum of min(r, 0)^2 / (n - 1)), target 0, over every bar. */
double
BtSortino(const double *ret, int n, double periods_per_year)
{
	double		mean,
				sd,
				down;

	if (n < 1)
		return NAN;
	Moments(ret, ret[0], n, &mean, &sd, &down);
	return Annualised(mean, down, n, periods_per_year);
}

/* Largest 1 - equity / running peak, the peak starting at 1 (the initial equity). */
double
BtMaxDrawdown(const double *equity, int n)
{
	double		peak = 1,
				mdd = 0;

	for (int i = 0; i < n; i++)
	{
		if (equity[i] > peak)
			peak = equity[i];
		if (1 - equity[i] / peak > mdd)
			mdd = 1 - equity[i] / peak;
	}
	return mdd;
}

/* final^(periods per year / n) - 1: n bars are n / periods_per_year years; -1 once equity is gone. */
double
BtCagr(double final_equity, int n, double periods_per_year)
{
	if (n < 1)
		return NAN;
	if (final_equity <= 0)
		return -1;
	return pow(final_equity, periods_per_year / n) - 1;
}

void
BtSummarise(const BtCurve *c, int n, const BtOptions *o, BtSummary *s)
{
	double		mean,
				sd,
				down;
	int			in_market = 0,
				hits = 0;
	double		turnover = 0;
	int			prev = 0;

	s->bars = n;
	s->trades = 0;
	if (n < 1)
	{
		s->total_return = s->cagr = s->sharpe = s->sortino = s->max_drawdown = NAN;
		s->calmar = s->hit_rate = s->exposure = s->turnover = NAN;
		s->bh_total_return = s->bh_sharpe = s->bh_max_drawdown = NAN;
		return;
	}
	for (int i = 0; i < n; i++)
	{
		if (c->position[i] != prev)
			s->trades++;
		turnover += abs(c->position[i] - prev);
		if (c->position[i] != 0)
		{
			in_market++;
			if (c->bar_return[i] > 0)
				hits++;
		}
		prev = c->position[i];
	}
	s->total_return = c->equity[n - 1] - 1;
	s->cagr = BtCagr(c->equity[n - 1], n, o->periods_per_year);
	Moments(c->bar_return, c->bar_return[0], n, &mean, &sd, &down);
	s->sharpe = Annualised(mean, sd, n, o->periods_per_year);
	s->sortino = Annualised(mean, down, n, o->periods_per_year);
	s->max_drawdown = BtMaxDrawdown(c->equity, n);
	s->calmar = s->max_drawdown > 0 ? s->cagr / s->max_drawdown : NAN;
	s->hit_rate = in_market > 0 ? (double) hits / in_market : NAN;
	s->exposure = (double) in_market / n;
	s->turnover = turnover;
	s->bh_total_return = c->bh_equity[n - 1] - 1;
	Moments(c->asset_return, (1 - o->cost_rate) * (1 + c->asset_return[0]) - 1, n, &mean, &sd, &down);
	s->bh_sharpe = Annualised(mean, sd, n, o->periods_per_year);
	s->bh_max_drawdown = BtMaxDrawdown(c->bh_equity, n);
}
