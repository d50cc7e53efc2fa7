/*
 * test_bootstrap.c - ap_evaluate's bootstrap kernel (src/ml_bootstrap.c)
 * alone: hand-worked AUC with ties and weights, weighted metrics equal to the
 * unweighted ones (ml_model.c) on the rows repeated, the generator's known
 * first output, circular blocks, numpy's percentile.  Prints TAP.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_bootstrap.h"
#include "ml_model.h"

static int	tests = 0,
			failed = 0;

/* ml_model.c allocates through the kernels' hooks */
void	   *TaAlloc(size_t size);
void		TaFree(void *ptr);
void *
TaAlloc(size_t size)
{
	return malloc(size);
}

void
TaFree(void *ptr)
{
	free(ptr);
}

static void *
Alloc(size_t n)
{
	return malloc(n);
}

static void
Ok(int cond, const char *name)
{
	tests++;
	if (!cond)
		failed++;
	printf("%s %d - %s\n", cond ? "ok" : "not ok", tests, name);
}

static int
Near(double a, double b, double tol)
{
	return fabs(a - b) <= tol * (1 + fabs(b));
}

static void
TestAuc(void)
{
	/*
	 * pos scores 0.4, 0.8, 0.2 against neg 0.1, 0.4: 0.4 beats 0.1 and ties
	 * 0.4 (1.5), 0.8 beats both (2), 0.2 beats 0.1 (1): 4.5 of 6 pairs.
	 */
	double		y[5] = {0, 1, 0, 1, 1};
	double		p[5] = {0.1, 0.4, 0.4, 0.8, 0.2};
	double		w[5] = {2, 1, 0, 1, 1};
	/* the same weights as repeated rows */
	double		ye[5] = {0, 0, 1, 1, 1};
	double		pe[5] = {0.1, 0.1, 0.4, 0.8, 0.2};
	BootData	d = {5, y, {p, NULL, NULL}, {p, NULL, NULL}, 1};

	BootPrepare(&d, Alloc);
	Ok(Near(BootMetricValue(&d, &d.a, BOOT_AUC, NULL), 0.75, 1e-15), "AUC with a tie: 4.5 / 6 = 0.75");
	Ok(Near(BootMetricValue(&d, &d.a, BOOT_AUC, w), 1.0, 1e-15), "weighted AUC (the tied negative dropped): 1");
	Ok(Near(BootMetricValue(&d, &d.a, BOOT_AUC, w), Auc(ye, pe, 5), 1e-15),
	   "weighted AUC equals ml_model's Auc on the rows repeated");
	free(d.a.order);
	free(d.b.order);
}

/* Weighted class and regression metrics equal the unweighted ones on repeated rows. */
static void
TestWeightedEqualsRepeated(void)
{
	double		y[6] = {1, 0, 1, 1, 0, 0};
	double		p[6] = {0.9, 0.3, 0.45, 0.6, 0.55, 0.0};
	double		w[6] = {3, 0, 1, 2, 1, 1};
	double		ye[8],
				pe[8];
	int			k = 0;
	ClassMetrics cm;
	RegMetrics	rm;
	BootData	d = {6, y, {p, NULL, NULL}, {p, NULL, NULL}, 1};

	for (int i = 0; i < 6; i++)
		for (int j = 0; j < (int) w[i]; j++)
		{
			ye[k] = y[i];
			pe[k++] = p[i];
		}
	ClassificationMetrics(ye, pe, k, &cm);
	Ok(Near(BootMetricValue(&d, &d.a, BOOT_LOGLOSS, w), cm.logloss, 1e-13), "weighted logloss (p = 0 clipped as ml_model)");
	Ok(Near(BootMetricValue(&d, &d.a, BOOT_BRIER, w), cm.brier, 1e-13), "weighted brier");
	Ok(Near(BootMetricValue(&d, &d.a, BOOT_ACCURACY, w), cm.accuracy, 1e-13), "weighted accuracy");
	Ok(Near(BootMetricValue(&d, &d.a, BOOT_F1, w), cm.f1, 1e-13), "weighted f1");
	{
		double		yr[6] = {0.01, -0.02, 0.005, 0.03, -0.01, 0.0};
		double		pr[6] = {0.004, -0.01, -0.002, 0.01, 0.001, 0.0};
		double		yre[8],
					pre[8];
		BootData	dr = {6, yr, {pr, NULL, NULL}, {pr, NULL, NULL}, 1};

		k = 0;
		for (int i = 0; i < 6; i++)
			for (int j = 0; j < (int) w[i]; j++)
			{
				yre[k] = yr[i];
				pre[k++] = pr[i];
			}
		RegressionMetrics(yre, pre, k, &rm);
		Ok(Near(BootMetricValue(&dr, &dr.a, BOOT_RMSE, w), rm.rmse, 1e-13), "weighted rmse");
		Ok(Near(BootMetricValue(&dr, &dr.a, BOOT_MAE, w), rm.mae, 1e-13), "weighted mae");
		Ok(Near(BootMetricValue(&dr, &dr.a, BOOT_R2, w), rm.r2, 1e-13), "weighted r2");
		Ok(Near(BootMetricValue(&dr, &dr.a, BOOT_DIRECTIONAL, w), rm.directional, 1e-13), "weighted directional accuracy");
	}
}

/* The trading metrics from TradingUnitReturns equal TradingMetrics' (horizon 2, fees). */
static void
TestTrading(void)
{
	double		fwd[7] = {0.01, 0.02, -0.015, 0.0, 0.03, -0.01, 0.005};
	double		score[7] = {0.7, 0.1, 0.2, 0.9, 0.6, 0.3, 0.4};
	double		r[7];
	TradeMetrics tm;
	int			n = TradingUnitReturns(fwd, score, 7, 2, 0.5, 0.001, r);
	double		ppy = 8766;
	BootData	d = {n, fwd, {fwd, r, NULL}, {fwd, r, NULL}, sqrt(ppy / 2)};

	TradingMetrics(fwd, score, 7, 2, 0.5, 0.001, ppy, &tm);
	Ok(n == 4, "horizon 2 over 7 rows: 4 rebalancing periods");
	/* long at 0 (fee), flat at 2 (fee), long at 4 (fee), flat at 6 (fee) */
	Ok(Near(r[0], log(0.999) + 0.01, 1e-15) && Near(r[1], log(0.999), 1e-15), "period returns include the fee on a change");
	Ok(Near(BootMetricValue(&d, &d.a, BOOT_STRATEGY_RETURN, NULL), tm.strategy_return, 1e-13), "strategy_return as TradingMetrics");
	Ok(Near(BootMetricValue(&d, &d.a, BOOT_SHARPE, NULL), tm.sharpe, 1e-12), "sharpe as TradingMetrics");
}

static void
TestResample(void)
{
	uint64_t	s = 0;
	double		w[10];
	int			ok = 1;

	/* the published first output of splitmix64 seeded with 0 */
	Ok(BootNextRandom(&s) == UINT64_C(0xE220A8397B1DCDAF), "splitmix64(0) first output 0xe220a8397b1dcdaf");
	for (int k = 0; k < 50; k++)
	{
		double		sum = 0;

		BootResample(10, 3, &s, w);
		for (int i = 0; i < 10; i++)
			sum += w[i];
		ok &= sum == 10;
	}
	Ok(ok, "every resample draws n units");
	BootResample(10, 10, &s, w);
	ok = 1;
	for (int i = 0; i < 10; i++)
		ok &= w[i] == 1;
	Ok(ok, "one block of length n wraps around: every unit once");
	{
		/* seed 7, n 5, block 2: starts from the stream, blocks wrap at the end */
		uint64_t	s1 = 7,
					s2 = 7;
		double		expect[5] = {0};
		int			drawn = 0;

		while (drawn < 5)
		{
			int			start = (int) (BootNextRandom(&s1) % 5);

			for (int j = 0; j < 2 && drawn < 5; j++, drawn++)
				expect[(start + j) % 5] += 1;
		}
		BootResample(5, 2, &s2, w);
		Ok(memcmp(expect, w, sizeof(expect)) == 0, "blocks of 2 from the seeded stream, wrapping, the last cut short");
	}
	Ok(BootDefaultBlock(1000) == 10 && BootDefaultBlock(1001) == 11 && BootDefaultBlock(27) == 3 &&
	   BootDefaultBlock(1) == 1, "default block ceil(n^(1/3))");
}

static void
TestQuantile(void)
{
	double		x[5] = {4, NAN, 1, 3, 2};
	double		y[4] = {4, 1, 3, 2};

	/* numpy.percentile([1, 2, 3, 4], 25) = 1.75, 97.5 -> 3.925 */
	Ok(Near(BootQuantile(x, 5, 0.25), 1.75, 1e-15), "quantile 0.25 of 1..4 is 1.75 (NaN left out)");
	Ok(Near(BootQuantile(y, 4, 0.975), 3.925, 1e-15), "quantile 0.975 of 1..4 is 3.925");
}

static void
TestDifferences(void)
{
	enum
	{
		N = 200, R = 50
	};
	double		y[N],
				pa[N],
				pb[N],
				w[N],
				d1[R],
				d2[R],
				d3[R];
	BootData	d;
	int			zero = 1;

	for (int i = 0; i < N; i++)
	{
		y[i] = (i * 7919) % 3 == 0;
		pa[i] = 0.3 + 0.4 * y[i] + 0.2 * sin(i);
		pb[i] = 0.5 + 0.1 * sin(3.0 * i);
	}
	d = (BootData)
	{
		N, y, {pa, NULL, NULL}, {pb, NULL, NULL}, 1
	};
	BootPrepare(&d, Alloc);
	BootDifferences(&d, BOOT_AUC, 6, R, 42, w, d1, NULL);
	BootDifferences(&d, BOOT_AUC, 6, R, 42, w, d2, NULL);
	Ok(memcmp(d1, d2, sizeof(d1)) == 0, "the same seed gives the same resamples");
	free(d.b.order);
	d.b = d.a;
	BootDifferences(&d, BOOT_LOGLOSS, 6, R, 42, w, d3, NULL);
	for (int k = 0; k < R; k++)
		zero &= d3[k] == 0;
	Ok(zero, "a model against itself: every difference is 0");
	free(d.a.order);
}

int
main(void)
{
	TestAuc();
	TestWeightedEqualsRepeated();
	TestTrading();
	TestResample();
	TestQuantile();
	TestDifferences();
	printf("1..%d\n", tests);
	return failed ? 1 : 0;
}
