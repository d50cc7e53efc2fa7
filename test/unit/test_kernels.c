/*
 * test_kernels.c - the indicator kernels alone, outside PostgreSQL, on small
 * hand-worked examples (each expected value is worked out in the comment).
 * Prints TAP; build and run with `make -C test/unit`.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ta.h"

static int	tests = 0,
			failed = 0;

void *
TaAlloc(size_t size)
{
	void	   *p = malloc(size > 0 ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

void
TaFree(void *ptr)
{
	free(ptr);
}

/* Compares a kernel output with expected values (NAN = no value). */
static void
Expect(const char *name, const ta_real *got, const double *want, int n)
{
	int			ok = 1;

	for (int i = 0; i < n; i++)
	{
		int			same;

		if (isnan(want[i]))
			same = !TA_HAS(got[i]);
		else
			same = TA_HAS(got[i]) && fabsl(got[i] - want[i]) <= 1e-12L * (1 + fabsl(want[i]));
		if (!same)
		{
			printf("# %s[%d]: got %.17Lg, want %.17g\n", name, i, got[i], want[i]);
			ok = 0;
		}
	}
	tests++;
	if (!ok)
		failed++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", tests, name);
}

#define N NAN

int
main(void)
{
	ta_real		out[8],
				o2[8],
				o3[8],
				o4[8],
				o5[8];

	{
		ta_real		x[] = {1, 2, 3, 4, 5};

		/* SMA(3): (1+2+3)/3, (2+3+4)/3, (3+4+5)/3 */
		ComputeSma(x, 5, 3, out);
		Expect("sma", out, (double[]) {N, N, 2, 3, 4}, 5);
		/* EMA(3), alpha 1/2, seed mean(1,2,3) = 2: 2 + (4-2)/2 = 3, 3 + (5-3)/2 = 4 */
		ComputeEma(x, 5, 3, out);
		Expect("ema seeded by sma", out, (double[]) {N, N, 2, 3, 4}, 5);
		/* WMA(3): (1+4+9)/6, (2+6+12)/6, (3+8+15)/6 */
		ComputeWma(x, 5, 3, out);
		Expect("wma", out, (double[]) {N, N, 14.0 / 6, 20.0 / 6, 26.0 / 6}, 5);
	}
	{
		ta_real		x[] = {2, 4, 6};

		/* Wilder(2), alpha 1/2: seed 3, then 3 + (6-3)/2 */
		ComputeWilder(x, 3, 2, out);
		Expect("wilder", out, (double[]) {N, 3, 4.5}, 3);
	}
	{
		ta_real		x[] = {N, N, 1, 2, 3, 4};

		/* chained kernels start at the first present value */
		ComputeSma(x, 6, 2, out);
		Expect("sma after leading gaps", out, (double[]) {N, N, N, 1.5, 2.5, 3.5}, 6);
	}
	{
		ta_real		x[] = {1, 2, 1, 2, 3};

		/*
		 * RSI(2): changes +1 -1 +1 +1; seed gain (1+0)/2, loss (0+1)/2 -> 50;
		 * then gain .75 loss .25 -> 75; gain .875 loss .125 -> 87.5
		 */
		ComputeRsi(x, 5, 2, out);
		Expect("rsi wilder", out, (double[]) {N, N, 50, 75, 87.5}, 5);
	}
	{
		ta_real		x[] = {5, 5, 5, 5};

		ComputeRsi(x, 4, 2, out);
		Expect("rsi flat is 50", out, (double[]) {N, N, 50, 50}, 4);
		ComputeCmo(x, 4, 2, out);
		Expect("cmo flat is 0", out, (double[]) {N, N, 0, 0}, 4);
		ComputeVariance(x, 4, 3, false, o2, out);
		Expect("variance flat is 0", out, (double[]) {N, N, 0, 0}, 4);
		ComputeZscore(x, 4, 3, out);
		Expect("zscore flat is 0", out, (double[]) {N, N, 0, 0}, 4);
		ComputeStoch(x, x, x, 4, 2, 1, 1, out, o2);
		Expect("stoch flat is 50", out, (double[]) {N, 50, 50, 50}, 4);
		ComputeWillr(x, x, x, 4, 2, out);
		Expect("willr flat is -50", out, (double[]) {N, -50, -50, -50}, 4);
		ComputeCci(x, x, x, 4, 2, out);
		Expect("cci flat is 0", out, (double[]) {N, 0, 0, 0}, 4);
		ComputeBbands(x, 4, 2, 2.0, out, o2, o3, o4, o5);
		Expect("bbands flat percent_b is 0.5", o5, (double[]) {N, 0.5, 0.5, 0.5}, 4);
		ComputeUltosc(x, x, x, 4, 1, 2, 3, out);
		Expect("ultosc flat is 50", out, (double[]) {N, N, N, 50}, 4);
	}
	{
		ta_real		x[] = {1, 2, 3, 2, 4};
		double		sc1 = 2.0 / 3 * 2.0 / 3;	/* ER 1: (1 (2/3 - 2/31) + 2/31)^2 */
		double		k2 = 2 + sc1 * (3 - 2);
		double		sc2 = (2.0 / 31) * (2.0 / 31);	/* ER 0: |2-2| over path 2 */
		double		k3 = k2 + sc2 * (2 - k2);
		double		sc3 = ((1.0 / 3) * (2.0 / 3 - 2.0 / 31) + 2.0 / 31);	/* ER |4-3|/(1+2) */
		double		k4;

		sc3 *= sc3;
		k4 = k3 + sc3 * (4 - k3);
		/* KAMA(2, 2, 30) seeded with x[1] = 2 */
		ComputeKama(x, 5, 2, 2, 30, out);
		Expect("kama", out, (double[]) {N, N, k2, k3, k4}, 5);
	}
	{
		ta_real		x[] = {1, 2, 3, 4, 5, 6};

		/* TRIMA(4) = SMA3(SMA2) = weights 1,2,2,1 / 6: (1+4+6+4)/6 = 2.5 */
		ComputeTrima(x, 6, 4, out);
		Expect("trima even", out, (double[]) {N, N, N, 2.5, 3.5, 4.5}, 6);
		/* HMA(4) of a straight line is the line itself (the lags cancel) */
		ComputeHma(x, 6, 4, out);
		Expect("hma on a line", out, (double[]) {N, N, N, N, 5, 6}, 6);
		/* slope of 1, 2, 3 ... is 1 */
		ComputeLinregSlope(x, 6, 3, out);
		Expect("linreg slope", out, (double[]) {N, N, 1, 1, 1, 1}, 6);
		/* population variance of 1..4 = 1.25 */
		ComputeVariance(x, 6, 4, false, o2, out);
		Expect("variance population", out, (double[]) {N, N, N, 1.25, 1.25, 1.25}, 6);
		ComputeVariance(x, 6, 4, true, o2, out);
		Expect("variance sample", out, (double[]) {N, N, N, 5.0 / 3, 5.0 / 3, 5.0 / 3}, 6);
		/* MOM(2) = 2, ROC(2) = 100 * 2 / x(t-2) */
		ComputeMom(x, 6, 2, out);
		Expect("mom", out, (double[]) {N, N, 2, 2, 2, 2}, 6);
		ComputeRoc(x, 6, 2, out);
		Expect("roc", out, (double[]) {N, N, 200, 100, 200.0 / 3, 50}, 6);
	}
	{
		ta_real		h[] = {1, 3, 3, 2};
		ta_real		l[] = {0, 2, 1, 1};

		/* Aroon(2) over 3 bars; the tie at 3 goes to the most recent bar */
		ComputeAroon(h, l, 4, 2, out, o2, o3);
		Expect("aroon up ties most recent", out, (double[]) {N, N, 100, 50}, 4);
		/* lows 0,2,1 -> lowest 2 bars ago; 2,1,1 -> the tie at 1 is the newest */
		Expect("aroon down", o2, (double[]) {N, N, 0, 100}, 4);
	}
	{
		ta_real		h[] = {10, 11, 12, 11, 9};
		ta_real		l[] = {9, 10, 11, 10, 8};

		/*
		 * SAR(0.02, 0.2): bar 2 has no minus DM, so long from sar = low[0] = 9,
		 * ep 11; bar 3 makes a new high 12: af .04, sar 9 + .04*(12-9) = 9.12;
		 * next 9.12 + .04*(12-9.12) = 9.2352; bar 5's low 8 breaks it: short at
		 * max(ep 12, highs 11, 9) = 12.
		 */
		ComputePsar(h, l, 5, 0.02, 0.2, out);
		Expect("psar", out, (double[]) {N, 9, 9, 9.12, 12}, 5);
	}
	{
		ta_real		c[] = {10, 11, 11, 10};
		ta_real		v[] = {5, 7, 3, 2};

		/* OBV: 5, +7, unchanged, -2 */
		ComputeObv(c, v, 4, out);
		Expect("obv", out, (double[]) {5, 12, 12, 10}, 4);
		/* VWMA(2): (10*5+11*7)/12, (11*7+11*3)/10, (11*3+10*2)/5 */
		ComputeVwma(c, v, 4, 2, out);
		Expect("vwma", out, (double[]) {N, 127.0 / 12, 11, 53.0 / 5}, 4);
	}
	{
		ta_real		h[] = {12, 13};
		ta_real		l[] = {8, 9};
		ta_real		c[] = {11, 9};
		ta_real		v[] = {100, 50};

		/* A/D: 100*((11-8)-(12-11))/4 = 50, then 50 + 50*((9-9)-(13-9))/4 = 0 */
		ComputeAd(h, l, c, v, 2, out);
		Expect("ad", out, (double[]) {50, 0}, 2);
		/* true range of bar 2: max(13, 11) - min(9, 11) = 4 */
		ComputeTrange(h, l, c, 2, out);
		Expect("trange", out, (double[]) {N, 4}, 2);
	}
	{
		ta_real		h[] = {10, 12, 11};
		ta_real		l[] = {9, 10, 8};
		ta_real		c[] = {9.5, 11, 9};

		/*
		 * DI(2): bar 2 has +DM 2, TR 2.5; bar 3 has -DM 2, TR 3.  Wilder sums
		 * start at bar 3 as value + (1/2) previous: +DM 1, -DM 2, TR 4.25.
		 */
		ComputeDmi(h, l, c, 3, 2, out, o2, NULL);
		Expect("plus di wilder sums", out, (double[]) {N, N, 100 / 4.25}, 3);
		Expect("minus di wilder sums", o2, (double[]) {N, N, 200 / 4.25}, 3);
	}
	{
		/* typical prices 5.47+5.41+5.45 and 5.49+5.41+5.43 tie as integers (cents) */
		ta_real		h[] = {547, 549};
		ta_real		l[] = {541, 541};
		ta_real		c[] = {545, 543};
		ta_real		v[] = {1000, 1000};

		ComputeMfi(h, l, c, v, 2, 1, out);
		Expect("mfi tie is no flow", out, (double[]) {N, 50}, 2);
	}
	printf("1..%d\n", tests);
	return failed ? 1 : 0;
}
