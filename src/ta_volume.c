/*
 * ta_volume.c - volume indicators: OBV, the Chaikin A/D line and oscillator,
 * Chaikin money flow and the money flow index.
 */
#include "ta.h"

void
ComputeObv(const ta_real *c, const ta_real *v, int n, ta_real *out)
{
	ta_real		obv = 0;

	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		if (i == 0)
			obv = v[0];
		else if (c[i] > c[i - 1])
			obv += v[i];
		else if (c[i] < c[i - 1])
			obv -= v[i];
		out[i] = obv;
	}
}

/* Money-flow volume of one bar; a bar with high = low contributes 0. */
static inline ta_real
MoneyFlowVolume(ta_real h, ta_real l, ta_real c, ta_real v)
{
	return (h > l) ? v * ((c - l) - (h - c)) / (h - l) : 0;
}

void
ComputeAd(const ta_real *h, const ta_real *l, const ta_real *c, const ta_real *v,
		  int n, ta_real *out)
{
	ta_real		ad = 0;

	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		ad += MoneyFlowVolume(h[i], l[i], c[i], v[i]);
		out[i] = ad;
	}
}

void
ComputeAdosc(const ta_real *h, const ta_real *l, const ta_real *c, const ta_real *v,
			 int n, int fast, int slow, ta_real *out)
{
	ta_real    *ad = TaAlloc(sizeof(ta_real) * n);

	ComputeAd(h, l, c, v, n, ad);
	ComputePriceOsc(ad, n, fast, slow, true, false, out);
	TaFree(ad);
}

void
ComputeCmf(const ta_real *h, const ta_real *l, const ta_real *c, const ta_real *v,
		   int n, int p, ta_real *out)
{
	RollSum		mf = {0, 0},
				sv = {0, 0};

	FillNone(out, n);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		RollSumAdd(&mf, MoneyFlowVolume(h[i], l[i], c[i], v[i]));
		RollSumAdd(&sv, v[i]);
		if (i >= p)
		{
			RollSumRemove(&mf, MoneyFlowVolume(h[i - p], l[i - p], c[i - p], v[i - p]));
			RollSumRemove(&sv, v[i - p]);
		}
		if (i >= p - 1)
			out[i] = (sv.nonzero > 0) ? mf.sum / sv.sum : 0;
	}
}

/* MFI over the last p one-bar typical-price moves; no flow at all gives 50. */
void
ComputeMfi(const ta_real *h, const ta_real *l, const ta_real *c, const ta_real *v,
		   int n, int p, ta_real *out)
{
	ta_real    *tp = TaAlloc(sizeof(ta_real) * n);
	ta_real    *pos = TaAlloc(sizeof(ta_real) * n);
	ta_real    *neg = TaAlloc(sizeof(ta_real) * n);
	RollSum		sp = {0, 0},
				sn = {0, 0};

	FillNone(out, n);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		tp[i] = h[i] + l[i] + c[i];		/* 3 x typical price: compared exactly */
	}
	for (int i = 1; i < n; i++)
	{
		ta_real		flow = tp[i] / 3 * v[i];

		TA_POLL(i);
		pos[i] = (tp[i] > tp[i - 1]) ? flow : 0;
		neg[i] = (tp[i] < tp[i - 1]) ? flow : 0;
		RollSumAdd(&sp, pos[i]);
		RollSumAdd(&sn, neg[i]);
		if (i > p)
		{
			RollSumRemove(&sp, pos[i - p]);
			RollSumRemove(&sn, neg[i - p]);
		}
		if (i >= p)
			out[i] = (sp.nonzero + sn.nonzero > 0) ? 100 * sp.sum / (sp.sum + sn.sum) : 50;
	}
	TaFree(tp);
	TaFree(pos);
	TaFree(neg);
}
