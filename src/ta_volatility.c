/*
 * ta_volatility.c - true range, ATR, directional movement, dispersion,
 * channels and the parabolic SAR.
 */
#include "ta.h"

void
ComputeTrange(const ta_real *h, const ta_real *l, const ta_real *c, int n, ta_real *out)
{
	if (n > 0)
		out[0] = TA_NONE;
	for (int i = 1; i < n; i++)
	{
		TA_POLL(i);
		out[i] = fmaxl(h[i], c[i - 1]) - fminl(l[i], c[i - 1]);
	}
}

void
ComputeAtr(const ta_real *h, const ta_real *l, const ta_real *c, int n, int p,
		   ta_real *out)
{
	ta_real    *tr = TaAlloc(sizeof(ta_real) * n);

	ComputeTrange(h, l, c, n, tr);
	ComputeWilder(tr, n, p, out);
	TaFree(tr);
}

void
ComputeNatr(const ta_real *h, const ta_real *l, const ta_real *c, int n, int p,
			ta_real *out)
{
	ComputeAtr(h, l, c, n, p, out);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		if (TA_HAS(out[i]))
			out[i] = (c[i] != 0) ? 100 * out[i] / c[i] : TA_NONE;
	}
}

/*
 * Wilder's smoothed sum in place, seeded as TA-Lib and TTR do: the first sum
 * is the p-th value plus (p-1)/p of the sum of the p-1 before it.
 */
static void
WilderSum(ta_real *x, int n, int p)
{
	int			f = FirstPresent(x, n);
	ta_real		sum = 0;
	ta_real		keep = (ta_real) (p - 1) / p;

	if (n - f < p)
	{
		FillNone(x, n);
		return;
	}
	for (int i = f; i < f + p - 1; i++)
	{
		TA_POLL(i);
		sum += x[i];
		x[i] = TA_NONE;
	}
	x[f + p - 1] += sum * keep;
	for (int i = f + p; i < n; i++)
	{
		TA_POLL(i);
		x[i] += x[i - 1] * keep;
	}
}

/* +DI, -DI (first at p) from Wilder sums; ADX (first at 2p - 1) averages DX. */
void
ComputeDmi(const ta_real *h, const ta_real *l, const ta_real *c, int n, int p,
		   ta_real *plus_di, ta_real *minus_di, ta_real *adx)
{
	ta_real    *pdm = TaAlloc(sizeof(ta_real) * n);
	ta_real    *mdm = TaAlloc(sizeof(ta_real) * n);
	ta_real    *tr = TaAlloc(sizeof(ta_real) * n);

	ComputeTrange(h, l, c, n, tr);
	if (n > 0)
		pdm[0] = mdm[0] = TA_NONE;
	for (int i = 1; i < n; i++)
	{
		ta_real		up = h[i] - h[i - 1];
		ta_real		dn = l[i - 1] - l[i];

		TA_POLL(i);
		pdm[i] = (up > dn && up > 0) ? up : 0;
		mdm[i] = (dn > up && dn > 0) ? dn : 0;
	}
	WilderSum(pdm, n, p);
	WilderSum(mdm, n, p);
	WilderSum(tr, n, p);
	for (int i = 0; i < n; i++)
	{
		ta_real		pd,
					md;

		TA_POLL(i);
		if (!TA_HAS(tr[i]))
		{
			plus_di[i] = minus_di[i] = pdm[i] = TA_NONE;
			continue;
		}
		pd = (tr[i] > 0) ? 100 * pdm[i] / tr[i] : 0;
		md = (tr[i] > 0) ? 100 * mdm[i] / tr[i] : 0;
		plus_di[i] = pd;
		minus_di[i] = md;
		pdm[i] = (pd + md > 0) ? 100 * fabsl(pd - md) / (pd + md) : 0;	/* DX */
	}
	if (adx)
		ComputeWilder(pdm, n, p, adx);
	TaFree(pdm);
	TaFree(mdm);
	TaFree(tr);
}

/*
 * Rolling mean and variance over p values.  Sums are kept about a centre that
 * is reset to the window mean every p rows; a window whose values are all
 * equal gives exactly 0.
 */
void
ComputeVariance(const ta_real *x, int n, int p, bool sample, ta_real *mean,
				ta_real *var)
{
	int			f = FirstPresent(x, n);
	ta_real		c = 0,
				s1 = 0,
				s2 = 0;
	int			changes = 0;	/* j in window (not its first) with x[j] != x[j-1] */

	FillNone(mean, n);
	FillNone(var, n);
	for (int i = f; i < n; i++)
	{
		TA_POLL(i);
		if (i > f && x[i] != x[i - 1])
			changes++;
		if (i - f >= p && x[i - p + 1] != x[i - p])
			changes--;
		if (i - f < p - 1)
			continue;
		if (i - f == p - 1 || ((i - f) % p) == 0)
		{
			c = 0;
			for (int j = i - p + 1; j <= i; j++)
			{
				TA_POLL(j);
				c += x[j];
			}
			c /= p;
			s1 = s2 = 0;
			for (int j = i - p + 1; j <= i; j++)
			{
				TA_POLL(j);
				s1 += x[j] - c;
				s2 += (x[j] - c) * (x[j] - c);
			}
		}
		else
		{
			ta_real		o = x[i - p] - c;
			ta_real		v = x[i] - c;

			s1 += v - o;
			s2 += v * v - o * o;
		}
		mean[i] = c + s1 / p;
		if (changes == 0 || p == 1)
			var[i] = 0;
		else
		{
			ta_real		m2 = s2 - s1 * s1 / p;

			var[i] = (m2 > 0 ? m2 : 0) / (sample ? p - 1 : p);
		}
	}
}

void
ComputeBbands(const ta_real *x, int n, int p, double k, ta_real *lower,
			  ta_real *middle, ta_real *upper, ta_real *bandwidth, ta_real *percent_b)
{
	ComputeVariance(x, n, p, false, middle, upper);
	for (int i = 0; i < n; i++)
	{
		ta_real		sd;

		TA_POLL(i);
		if (!TA_HAS(middle[i]))
		{
			lower[i] = upper[i] = bandwidth[i] = percent_b[i] = TA_NONE;
			continue;
		}
		sd = sqrtl(upper[i]);
		upper[i] = middle[i] + k * sd;
		lower[i] = middle[i] - k * sd;
		bandwidth[i] = (middle[i] != 0) ? (upper[i] - lower[i]) / middle[i] : TA_NONE;
		percent_b[i] = (k * sd > 0) ? (x[i] - middle[i] + k * sd) / (2 * k * sd) : (ta_real) 0.5;
	}
}

void
ComputeZscore(const ta_real *x, int n, int p, ta_real *out)
{
	ta_real    *mean = TaAlloc(sizeof(ta_real) * n);

	ComputeVariance(x, n, p, false, mean, out);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		if (TA_HAS(out[i]))
			out[i] = (out[i] > 0) ? (x[i] - mean[i]) / sqrtl(out[i]) : 0;
	}
	TaFree(mean);
}

void
ComputeKeltner(const ta_real *h, const ta_real *l, const ta_real *c, int n, int p,
			   double mult, int atr_p, ta_real *lower, ta_real *middle, ta_real *upper)
{
	ComputeEma(c, n, p, middle);
	ComputeAtr(h, l, c, n, atr_p, upper);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		if (!TA_HAS(middle[i]) || !TA_HAS(upper[i]))
		{
			lower[i] = middle[i] = upper[i] = TA_NONE;
			continue;
		}
		lower[i] = middle[i] - mult * upper[i];
		upper[i] = middle[i] + mult * upper[i];
	}
}

void
ComputeDonchian(const ta_real *h, const ta_real *l, int n, int p, ta_real *lower,
				ta_real *middle, ta_real *upper)
{
	ComputeRollingMax(h, n, p, upper, NULL);
	ComputeRollingMin(l, n, p, lower, NULL);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		middle[i] = TA_HAS(upper[i]) ? (upper[i] + lower[i]) / 2 : TA_NONE;
	}
}

/*
 * Parabolic SAR as TA-Lib: direction from the second bar's minus DM, the SAR
 * is the value in force for each bar and never enters the last two bars' range.
 */
void
ComputePsar(const ta_real *h, const ta_real *l, int n, double accel, double max_accel,
			ta_real *out)
{
	bool		is_long;
	ta_real		af = accel,
				ep,
				sar,
				new_high,
				new_low,
				prev_high,
				prev_low;

	FillNone(out, n);
	if (n < 2)
		return;
	{
		ta_real		dn = l[0] - l[1];
		ta_real		up = h[1] - h[0];

		is_long = !(dn > 0 && up < dn);
	}
	new_high = h[0];
	new_low = l[0];
	if (is_long)
	{
		ep = h[1];
		sar = new_low;
	}
	else
	{
		ep = l[1];
		sar = new_high;
	}
	for (int i = 1; i < n; i++)
	{
		TA_POLL(i);
		prev_low = new_low;
		prev_high = new_high;
		new_low = l[i];
		new_high = h[i];
		if (is_long)
		{
			if (new_low <= sar)
			{
				is_long = false;
				sar = fmaxl(ep, fmaxl(prev_high, new_high));
				out[i] = sar;
				af = accel;
				ep = new_low;
				sar = fmaxl(sar + af * (ep - sar), fmaxl(prev_high, new_high));
			}
			else
			{
				out[i] = sar;
				if (new_high > ep)
				{
					ep = new_high;
					af = fmin(af + accel, max_accel);
				}
				sar = fminl(sar + af * (ep - sar), fminl(prev_low, new_low));
			}
		}
		else
		{
			if (new_high >= sar)
			{
				is_long = true;
				sar = fminl(ep, fminl(prev_low, new_low));
				out[i] = sar;
				af = accel;
				ep = new_high;
				sar = fminl(sar + af * (ep - sar), fminl(prev_low, new_low));
			}
			else
			{
				out[i] = sar;
				if (new_low < ep)
				{
					ep = new_low;
					af = fmin(af + accel, max_accel);
				}
				sar = fmaxl(sar + af * (ep - sar), fmaxl(prev_high, new_high));
			}
		}
	}
}
