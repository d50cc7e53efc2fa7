/*
 * run_kernels.h - calls every indicator kernel of ta.h once over the same
 * bars, for the unit tests (interrupt polling) and the fuzz harness (memory
 * and undefined behaviour).  A new kernel is added here once.
 */
#ifndef AP_RUN_KERNELS_H
#define AP_RUN_KERNELS_H

#include "ta.h"

#define RUN_KERNELS_COUNT 44

/*
 * Runs kernel k (0 .. RUN_KERNELS_COUNT-1) with period p >= 2 over n bars
 * (h >= l, c and v as the window layer passes them: present values only)
 * into o[0..4], each of n slots; returns its name.  Kernels that need
 * positive values are skipped unless pos is set.
 */
static const char *
RunKernel(int k, const ta_real *h, const ta_real *l, const ta_real *c,
		  const ta_real *v, int n, int p, bool pos, ta_real **o)
{
	int			q = p / 2 > 0 ? p / 2 : 1;	/* a shorter period */

	switch (k)
	{
		case 0: ComputeSma(c, n, p, o[0]); return "sma";
		case 1: ComputeEma(c, n, p, o[0]); return "ema";
		case 2: ComputeWilder(c, n, p, o[0]); return "wilder";
		case 3: ComputeWma(c, n, p, o[0]); return "wma";
		case 4: ComputeDema(c, n, p, o[0]); return "dema";
		case 5: ComputeTema(c, n, p, o[0]); return "tema";
		case 6: ComputeTrima(c, n, p, o[0]); return "trima";
		case 7: ComputeKama(c, n, p, q, p + 1, o[0]); return "kama";
		case 8: ComputeHma(c, n, p, o[0]); return "hma";
		case 9: ComputeVwma(c, v, n, p, o[0]); return "vwma";
		case 10: ComputeVwap(h, l, c, v, n, o[0]); return "vwap";
		case 11: ComputeRsi(c, n, p, o[0]); return "rsi";
		case 12: ComputeMacd(c, n, q, p, q, o[0], o[1], o[2]); return "macd";
		case 13: ComputeStoch(h, l, c, n, p, q, q, o[0], o[1]); return "stoch";
		case 14: ComputeStochRsi(c, n, p, q, q, o[0]); return "stochrsi";
		case 15: ComputeWillr(h, l, c, n, p, o[0]); return "willr";
		case 16: ComputeCci(h, l, c, n, p, o[0]); return "cci";
		case 17: ComputeRoc(c, n, p, o[0]); return "roc";
		case 18: ComputeMom(c, n, p, o[0]); return "mom";
		case 19: ComputeCmo(c, n, p, o[0]); return "cmo";
		case 20: ComputeTrix(c, n, p, o[0]); return "trix";
		case 21: ComputeUltosc(h, l, c, n, p, q, 2 * p, o[0]); return "ultosc";
		case 22: ComputePriceOsc(c, n, q, p, true, false, o[0]); return "apo";
		case 23: ComputePriceOsc(c, n, q, p, false, true, o[0]); return "ppo";
		case 24: ComputeAroon(h, l, n, p, o[0], o[1], o[2]); return "aroon";
		case 25:
			if (pos)
				ComputeLogret(c, n, p, o[0]);
			return "logret";
		case 26: ComputeLinregSlope(c, n, p, o[0]); return "linreg_slope";
		case 27: ComputeTrange(h, l, c, n, o[0]); return "trange";
		case 28: ComputeAtr(h, l, c, n, p, o[0]); return "atr";
		case 29: ComputeNatr(h, l, c, n, p, o[0]); return "natr";
		case 30: ComputeDmi(h, l, c, n, p, o[0], o[1], o[2]); return "dmi";
		case 31: ComputeVariance(c, n, p, true, o[0], o[1]); return "variance";
		case 32: ComputeBbands(c, n, p, 2.0, o[0], o[1], o[2], o[3], o[4]); return "bbands";
		case 33: ComputeZscore(c, n, p, o[0]); return "zscore";
		case 34: ComputeKeltner(h, l, c, n, p, 2.0, q, o[0], o[1], o[2]); return "keltner";
		case 35: ComputeDonchian(h, l, n, p, o[0], o[1], o[2]); return "donchian";
		case 36: ComputePsar(h, l, n, 0.02, 0.2, o[0]); return "psar";
		case 37: ComputeObv(c, v, n, o[0]); return "obv";
		case 38: ComputeAd(h, l, c, v, n, o[0]); return "ad";
		case 39: ComputeAdosc(h, l, c, v, n, q, p, o[0]); return "adosc";
		case 40: ComputeCmf(h, l, c, v, n, p, o[0]); return "cmf";
		case 41: ComputeMfi(h, l, c, v, n, p, o[0]); return "mfi";
		case 42: ComputeRollingMax(c, n, p, o[0], NULL); return "rolling_max";
		case 43: ComputeRollingMin(c, n, p, o[0], NULL); return "rolling_min";
	}
	return NULL;
}

#endif							/* AP_RUN_KERNELS_H */
