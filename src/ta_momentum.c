/*
 * ta_momentum.c - momentum and oscillator kernels.  Oscillators bounded to
 * 0..100 give their neutral midpoint on a 0/0 window (see each COMMENT ON).
 */
#include "ta.h"

/* RSI with Wilder averages of gains and losses, first value at index p. */
void
ComputeRsi(const ta_real *x, int n, int p, ta_real *out)
{
	ta_real    *gain = TaAlloc(sizeof(ta_real) * n);
	ta_real    *loss = TaAlloc(sizeof(ta_real) * n);

	FillNone(out, n);
	if (n > 0)
		gain[0] = loss[0] = TA_NONE;
	for (int i = 1; i < n; i++)
	{
		ta_real		d = x[i] - x[i - 1];

		TA_POLL(i);
		gain[i] = d > 0 ? d : 0;
		loss[i] = d < 0 ? -d : 0;
	}
	ComputeWilder(gain, n, p, gain);
	ComputeWilder(loss, n, p, loss);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		if (!TA_HAS(gain[i]))
			continue;
		out[i] = (gain[i] + loss[i] > 0) ? 100 * gain[i] / (gain[i] + loss[i]) : 50;
	}
	TaFree(gain);
	TaFree(loss);
}

/* MACD from two independently SMA-seeded EMAs; signal is an EMA of the line. */
void
ComputeMacd(const ta_real *x, int n, int fast, int slow, int sig,
			ta_real *macd, ta_real *signal, ta_real *hist)
{
	ta_real    *ef = TaAlloc(sizeof(ta_real) * n);

	ComputeEma(x, n, fast, ef);
	ComputeEma(x, n, slow, macd);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		if (TA_HAS(macd[i]))
			macd[i] = ef[i] - macd[i];
	}
	ComputeEma(macd, n, sig, signal);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		hist[i] = TA_HAS(signal[i]) ? macd[i] - signal[i] : TA_NONE;
	}
	TaFree(ef);
}

/* Position of v in [lo, hi] scaled to 0..100; 50 when the range is empty. */
static inline ta_real
RangePosition(ta_real v, ta_real lo, ta_real hi)
{
	return (hi > lo) ? 100 * (v - lo) / (hi - lo) : 50;
}

void
ComputeStoch(const ta_real *h, const ta_real *l, const ta_real *c, int n,
			 int fastk, int slowk, int slowd, ta_real *k, ta_real *d)
{
	ta_real    *hh = TaAlloc(sizeof(ta_real) * n);
	ta_real    *ll = TaAlloc(sizeof(ta_real) * n);

	ComputeRollingMax(h, n, fastk, hh, NULL);
	ComputeRollingMin(l, n, fastk, ll, NULL);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		hh[i] = TA_HAS(hh[i]) ? RangePosition(c[i], ll[i], hh[i]) : TA_NONE;
	}
	ComputeSma(hh, n, slowk, k);
	ComputeSma(k, n, slowd, d);
	TaFree(hh);
	TaFree(ll);
}

void
ComputeStochRsi(const ta_real *x, int n, int p, int k, int smooth, ta_real *out)
{
	ta_real    *r = TaAlloc(sizeof(ta_real) * n);
	ta_real    *hi = TaAlloc(sizeof(ta_real) * n);
	ta_real    *lo = TaAlloc(sizeof(ta_real) * n);

	ComputeRsi(x, n, p, r);
	ComputeRollingMax(r, n, k, hi, NULL);
	ComputeRollingMin(r, n, k, lo, NULL);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		hi[i] = TA_HAS(hi[i]) ? RangePosition(r[i], lo[i], hi[i]) : TA_NONE;
	}
	ComputeSma(hi, n, smooth, out);
	TaFree(r);
	TaFree(hi);
	TaFree(lo);
}

void
ComputeWillr(const ta_real *h, const ta_real *l, const ta_real *c, int n, int p,
			 ta_real *out)
{
	ta_real    *ll = TaAlloc(sizeof(ta_real) * n);

	ComputeRollingMax(h, n, p, out, NULL);
	ComputeRollingMin(l, n, p, ll, NULL);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		if (TA_HAS(out[i]))
			out[i] = RangePosition(c[i], ll[i], out[i]) - 100;
	}
	TaFree(ll);
}

void
ComputeRoc(const ta_real *x, int n, int p, ta_real *out)
{
	FillNone(out, n);
	for (int i = p; i < n; i++)
	{
		TA_POLL(i);
		if (x[i - p] != 0)
			out[i] = 100 * (x[i] - x[i - p]) / x[i - p];
	}
}

void
ComputeMom(const ta_real *x, int n, int p, ta_real *out)
{
	FillNone(out, n);
	for (int i = p; i < n; i++)
	{
		TA_POLL(i);
		out[i] = x[i] - x[i - p];
	}
}

/* Chande: sums (not averages) of the last p gains and losses. */
void
ComputeCmo(const ta_real *x, int n, int p, ta_real *out)
{
	RollSum		up = {0, 0},
				dn = {0, 0};

	FillNone(out, n);
	for (int i = 1; i < n; i++)
	{
		ta_real		d = x[i] - x[i - 1];

		TA_POLL(i);
		RollSumAdd(&up, d > 0 ? d : 0);
		RollSumAdd(&dn, d < 0 ? -d : 0);
		if (i > p)
		{
			ta_real		o = x[i - p] - x[i - p - 1];

			RollSumRemove(&up, o > 0 ? o : 0);
			RollSumRemove(&dn, o < 0 ? -o : 0);
		}
		if (i >= p)
			out[i] = (up.nonzero + dn.nonzero > 0) ?
				100 * (up.sum - dn.sum) / (up.sum + dn.sum) : 0;
	}
}

void
ComputeTrix(const ta_real *x, int n, int p, ta_real *out)
{
	ta_real    *e = TaAlloc(sizeof(ta_real) * n);

	ComputeEma(x, n, p, e);
	ComputeEma(e, n, p, out);
	ComputeEma(out, n, p, e);
	FillNone(out, n);
	for (int i = 1; i < n; i++)
	{
		TA_POLL(i);
		if (TA_HAS(e[i - 1]) && e[i - 1] != 0)
			out[i] = 100 * (e[i] - e[i - 1]) / e[i - 1];
	}
	TaFree(e);
}

/* Ultimate oscillator; periods are sorted so the shortest weighs 4. */
void
ComputeUltosc(const ta_real *h, const ta_real *l, const ta_real *c, int n,
			  int p1, int p2, int p3, ta_real *out)
{
	int			p[3] = {p1, p2, p3};
	RollSum		bp[3] = {{0, 0}, {0, 0}, {0, 0}};
	RollSum		tr[3] = {{0, 0}, {0, 0}, {0, 0}};
	ta_real    *b = TaAlloc(sizeof(ta_real) * n);
	ta_real    *t = TaAlloc(sizeof(ta_real) * n);
	int			maxp;

	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (p[j] < p[i])
			{
				int			tmp = p[i];

				p[i] = p[j];
				p[j] = tmp;
			}
	maxp = p[2];
	FillNone(out, n);
	for (int i = 1; i < n; i++)
	{
		ta_real		lo = fminl(l[i], c[i - 1]);
		ta_real		a[3];

		TA_POLL(i);
		b[i] = c[i] - lo;
		t[i] = fmaxl(h[i], c[i - 1]) - lo;
		for (int k = 0; k < 3; k++)
		{
			RollSumAdd(&bp[k], b[i]);
			RollSumAdd(&tr[k], t[i]);
			if (i > p[k])
			{
				RollSumRemove(&bp[k], b[i - p[k]]);
				RollSumRemove(&tr[k], t[i - p[k]]);
			}
			a[k] = (tr[k].nonzero > 0) ? bp[k].sum / tr[k].sum : (ta_real) 0.5;
		}
		if (i >= maxp)
			out[i] = 100 * (4 * a[0] + 2 * a[1] + a[2]) / 7;
	}
	TaFree(b);
	TaFree(t);
}

/* APO (percent = false) or PPO (percent = true) with EMA or SMA legs. */
void
ComputePriceOsc(const ta_real *x, int n, int fast, int slow, bool ema, bool percent,
				ta_real *out)
{
	ta_real    *f = TaAlloc(sizeof(ta_real) * n);

	if (ema)
	{
		ComputeEma(x, n, fast, f);
		ComputeEma(x, n, slow, out);
	}
	else
	{
		ComputeSma(x, n, fast, f);
		ComputeSma(x, n, slow, out);
	}
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		if (!TA_HAS(out[i]))
			continue;
		if (!percent)
			out[i] = f[i] - out[i];
		else
			out[i] = (out[i] != 0) ? 100 * (f[i] - out[i]) / out[i] : TA_NONE;
	}
	TaFree(f);
}

/* Aroon over p + 1 bars; ties go to the most recent bar. */
void
ComputeAroon(const ta_real *h, const ta_real *l, int n, int p,
			 ta_real *up, ta_real *down, ta_real *osc)
{
	int		   *age_h = TaAlloc(sizeof(int) * n);
	int		   *age_l = TaAlloc(sizeof(int) * n);

	ComputeRollingMax(h, n, p + 1, up, age_h);
	ComputeRollingMin(l, n, p + 1, down, age_l);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		if (!TA_HAS(up[i]))
		{
			osc[i] = TA_NONE;
			continue;
		}
		up[i] = (ta_real) 100 * (p - age_h[i]) / p;
		down[i] = (ta_real) 100 * (p - age_l[i]) / p;
		osc[i] = up[i] - down[i];
	}
	TaFree(age_h);
	TaFree(age_l);
}

/* ln(x(t)/x(t-p)); the caller guarantees positive values. */
void
ComputeLogret(const ta_real *x, int n, int p, ta_real *out)
{
	FillNone(out, n);
	for (int i = p; i < n; i++)
	{
		TA_POLL(i);
		out[i] = log1pl((x[i] - x[i - p]) / x[i - p]);
	}
}

/*
 * Least-squares slope over the last p values.  Running sums are kept about a
 * centre that is reset, with the sums recomputed, every p rows to bound drift.
 */
void
ComputeLinregSlope(const ta_real *x, int n, int p, ta_real *out)
{
	ta_real		c = 0,
				s0 = 0,			/* sum of (y - c) */
				s1 = 0;			/* sum of j * (y - c), j = 0..p-1 oldest first */
	ta_real		denom = (ta_real) p * p * ((ta_real) p * p - 1) / 12;

	FillNone(out, n);
	for (int i = p - 1; i < n; i++)
	{
		TA_POLL(i);
		if (i == p - 1 || (i % p) == 0)
		{
			c = x[i];
			s0 = s1 = 0;
			for (int j = 0; j < p; j++)
			{
				TA_POLL(j);
				s0 += x[i - p + 1 + j] - c;
				s1 += j * (x[i - p + 1 + j] - c);
			}
		}
		else
		{
			ta_real		old = x[i - p] - c;
			ta_real		nw = x[i] - c;

			s1 += -(s0 - old) + (ta_real) (p - 1) * nw;
			s0 += nw - old;
		}
		out[i] = (ta_real) p * (s1 - s0 * (ta_real) (p - 1) / 2) / denom;
	}
}
