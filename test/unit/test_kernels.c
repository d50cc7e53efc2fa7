/*
 * test_kernels.c - the indicator kernels alone, outside PostgreSQL, on small
 * hand-worked examples (each expected value is worked out in the comment),
 * CCI against a naive O(n p) reference, and the interrupt polling of every
 * kernel.  Prints TAP; build and run with `make -C test/unit`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ta.h"
#include "ta_stream.h"
#include "run_kernels.h"

static int	tests = 0,
			failed = 0;
static long polls = 0;			/* calls of the interrupt hook */

/*
 * While TestPolling runs a kernel, the hook also watches its output arrays:
 * the number of output slots written between two polls measures the rows a
 * loop went through without a chance to be cancelled.
 */
#define WATCH_OUTPUTS 5
static ta_real *watch[WATCH_OUTPUTS];	/* the kernel's outputs, or NULL */
static ta_real *shadow[WATCH_OUTPUTS];	/* their contents at the last poll */
static int	watch_n = 0;
static int	max_unpolled = 0;	/* most slots written between two polls */

/* Rows with an output changed since the last look (bitwise: NaN to NaN is none). */
static void
WatchOutputs(void)
{
	int			changed = 0;

	for (int i = 0; i < watch_n; i++)
	{
		int			row = 0;

		for (int k = 0; k < WATCH_OUTPUTS; k++)
			if (watch[k] && memcmp(&watch[k][i], &shadow[k][i], 10) != 0)	/* 80 value bits */
			{
				row = 1;
				memcpy(&shadow[k][i], &watch[k][i], sizeof(ta_real));
			}
		changed += row;
	}
	if (changed > max_unpolled)
		max_unpolled = changed;
}

/* The window layer's CHECK_FOR_INTERRUPTS; here it counts and watches. */
void
TaCheckInterrupts(void)
{
	polls++;
	WatchOutputs();
}

/*
 * Scratch memory aligned to 8 bytes but not 16, as palloc's is: a kernel
 * that needs more alignment than the window layer gives fails here.
 */
void *
TaAlloc(size_t size)
{
	char	   *raw = malloc(size + 32);
	char	   *base;

	if (raw == NULL)
		abort();
	base = (char *) (((uintptr_t) raw + 8 + 15) & ~(uintptr_t) 15);
	((void **) base)[0] = raw;	/* freed through this header */
	return base + 8;
}

void
TaFree(void *ptr)
{
	free(((void **) ptr)[-1]);
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

static void
Ok(int ok, const char *name)
{
	tests++;
	if (!ok)
		failed++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", tests, name);
}

static uint64_t rng_state = 88172645463325252ULL;

/* xorshift64: reproducible data without the C library's rand() */
static uint64_t
Rand(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* uniform in [0, 1) */
static double
Uniform(void)
{
	return (double) (Rand() >> 11) / 9007199254740992.0;
}

/*
 * The textbook CCI of row i, written independently of the kernel: typical
 * price, its mean over the window, the mean absolute deviation about that
 * mean, in long double, window by window; 0 when every typical price is the
 * same.
 */
static long double
NaiveCci(const ta_real *h, const ta_real *l, const ta_real *c, int i, int p, int *flat)
{
	long double mean = 0,
				md = 0,
				tp_i = (h[i] + l[i] + c[i]) / 3;
	int			same = 1;

	for (int j = i - p + 1; j <= i; j++)
		mean += (h[j] + l[j] + c[j]) / 3;
	mean /= p;
	for (int j = i - p + 1; j <= i; j++)
	{
		long double tp = (h[j] + l[j] + c[j]) / 3;

		md += fabsl(tp - mean);
		same = same && (h[j] + l[j] + c[j]) == (h[i] + l[i] + c[i]);
	}
	md /= p;
	*flat = same;
	if (same)
		return 0;
	return (tp_i - mean) / (0.015L * md);
}

/*
 * ComputeCci against NaiveCci on every row: warm-up rows have no value, a
 * window of equal typical prices gives exactly 0, others agree within tol
 * relative to the CCI's own scale (1 + |cci|).
 */
static void
CheckCci(const char *name, const ta_real *h, const ta_real *l, const ta_real *c,
		 int n, int p, long double tol)
{
	ta_real    *out = TaAlloc(sizeof(ta_real) * (n + 1));
	int			bad = 0;
	char		label[160];

	ComputeCci(h, l, c, n, p, out);
	for (int i = 0; i < n; i++)
	{
		long double want;
		int			same,
					flat = 0;

		if (i < p - 1)
		{
			same = !TA_HAS(out[i]);
			want = NAN;
		}
		else
		{
			want = NaiveCci(h, l, c, i, p, &flat);
			same = TA_HAS(out[i]) &&
				(flat ? out[i] == 0 : fabsl(out[i] - want) <= tol * (1 + fabsl(want)));
		}
		if (!same && bad++ < 3)
			printf("# %s p=%d [%d]: got %.20Lg, want %.20Lg\n", name, p, i, out[i], want);
	}
	snprintf(label, sizeof(label), "cci %s (n=%d, p=%d) matches the naive reference",
			 name, n, p);
	Ok(bad == 0, label);
	TaFree(out);
}

/*
 * Up to TA_CCI_DIRECT_MAX_PERIOD a CCI row depends on its window alone, even
 * on a partition too wide for exact integers as a whole (the windows within
 * one magnitude stay exact): each row equals ComputeCci over that window by
 * itself, and the streaming form pushed bar by bar equals both, to the bit.
 */
static void
CheckCciCausal(const char *name, const ta_real *h, const ta_real *l, const ta_real *c,
			   int n)
{
	int			periods[] = {1, 3, 20, 512};
	const TaStreamKernel *k = TaStreamFind("cci");

	for (size_t j = 0; j < sizeof(periods) / sizeof(periods[0]); j++)
	{
		int			p = periods[j];
		double		params[TA_STREAM_MAX_PARAMS] = {p};
		TaStream   *s = TaAlloc(TaStreamStateSize(k, params));
		ta_real    *all = TaAlloc(sizeof(ta_real) * n),
				   *one = TaAlloc(sizeof(ta_real) * p);
		int			bad_window = 0,
					bad_stream = 0;
		char		label[160];

		ComputeCci(h, l, c, n, p, all);
		TaStreamInit(k, params, s);
		for (int i = 0; i < n; i++)
		{
			ta_real		bar[3] = {h[i], l[i], c[i]},
						got;

			TaStreamPush(k, s, bar, &got);
			bad_stream += !(memcmp(&got, &all[i], 10) == 0 ||
							(!TA_HAS(got) && !TA_HAS(all[i])));
			if (i < p - 1)
				continue;
			ComputeCci(h + i - p + 1, l + i - p + 1, c + i - p + 1, p, p, one);
			bad_window += memcmp(&one[p - 1], &all[i], 10) != 0;
		}
		snprintf(label, sizeof(label),
				 "cci %s (p=%d): each row is its window's alone, and streams the same",
				 name, p);
		if (bad_window || bad_stream)
			printf("# %d rows differ from their window alone, %d from the stream\n",
				   bad_window, bad_stream);
		Ok(bad_window == 0 && bad_stream == 0, label);
		TaFree(s);
		TaFree(all);
		TaFree(one);
	}
}

/* Bars of a random walk around 100 with a spread, in cents (binary fractions). */
static void
RandomBars(ta_real *h, ta_real *l, ta_real *c, int n)
{
	double		px = 100;

	for (int i = 0; i < n; i++)
	{
		px += Uniform() - 0.5;
		c[i] = px;
		h[i] = px + Uniform();
		l[i] = px - Uniform();
	}
}

static void
TestCci(void)
{
	enum
	{
		NB = 3000
	};
	ta_real    *h = TaAlloc(sizeof(ta_real) * NB),
			   *l = TaAlloc(sizeof(ta_real) * NB),
			   *c = TaAlloc(sizeof(ta_real) * NB),
			   *h2 = TaAlloc(sizeof(ta_real) * NB),
			   *l2 = TaAlloc(sizeof(ta_real) * NB),
			   *c2 = TaAlloc(sizeof(ta_real) * NB),
			   *o1 = TaAlloc(sizeof(ta_real) * NB),
			   *o2 = TaAlloc(sizeof(ta_real) * NB);
	int			periods[] = {1, 2, 3, 5, 14, 20, 47, 48, 49, 50, 64, 100, 777, 2999, 3000, 3001};
	int			same;

	/* random walk: both sides of the direct/tree switch, p = 1 and p = n */
	RandomBars(h, l, c, NB);
	for (size_t k = 0; k < sizeof(periods) / sizeof(periods[0]); k++)
		CheckCci("random walk", h, l, c, NB, periods[k], 1e-12L);

	/* NULL gaps: the window layer drops rows with a missing series first */
	{
		int			m = 0;

		for (int i = 0; i < NB; i++)
		{
			if (Rand() % 10 == 0)
				continue;		/* a row with a NULL high, low or close */
			h2[m] = h[i];
			l2[m] = l[i];
			c2[m] = c[i];
			m++;
		}
		CheckCci("after NULL gaps", h2, l2, c2, m, 20, 1e-12L);
		CheckCci("after NULL gaps", h2, l2, c2, m, 900, 1e-12L);
	}

	/* decimal prices in whole cents, as the NUMERIC path passes them */
	for (int i = 0; i < NB; i++)
	{
		h2[i] = rintl(h[i] * 100);
		l2[i] = rintl(l[i] * 100);
		c2[i] = rintl(c[i] * 100);
	}
	CheckCci("whole cents", h2, l2, c2, NB, 20, 1e-12L);
	CheckCci("whole cents", h2, l2, c2, NB, 1500, 1e-12L);

	/* ties: four price levels only; flat runs longer than the period */
	for (int i = 0; i < NB; i++)
	{
		h[i] = l[i] = c[i] = (ta_real) (Rand() % 4);
		h2[i] = l2[i] = c2[i] = (ta_real) ((i / 300) % 3);
	}
	CheckCci("four levels", h, l, c, NB, 7, 1e-12L);
	CheckCci("four levels", h, l, c, NB, 250, 1e-12L);
	CheckCci("flat runs", h2, l2, c2, NB, 20, 1e-12L);
	CheckCci("flat runs", h2, l2, c2, NB, 200, 1e-12L);
	ComputeCci(h2, l2, c2, NB, 200, o1);
	same = o1[250] == 0 && o1[299] == 0 && o1[500] == 0 && o1[300] != 0;
	Ok(same, "cci flat window is exactly 0, the first bar after it is not");

	/* a typical price that ties but whose bars differ (1+5+3 = 2+4+3) */
	{
		ta_real		th[] = {5, 4, 5, 4, 5, 4};
		ta_real		tl[] = {1, 2, 1, 2, 1, 2};
		ta_real		tc[] = {3, 3, 3, 3, 3, 3};

		ComputeCci(th, tl, tc, 6, 3, o1);
		Expect("cci typical-price tie is flat", o1, (double[]) {N, N, 0, 0, 0, 0}, 6);
		ComputeCci(th, tl, tc, 6, 60, o1);
		Expect("cci period beyond the rows has no value", o1, (double[]) {N, N, N, N, N, N}, 6);
	}

	/* huge and tiny magnitudes: powers of two scale exactly, CCI is scale-free */
	RandomBars(h, l, c, NB);
	for (int e = -16000; e <= 16000; e += 8000)
	{
		char		label[80];
		int			bad = 0;

		for (int i = 0; i < NB; i++)
		{
			h2[i] = ldexpl(h[i], e);
			l2[i] = ldexpl(l[i], e);
			c2[i] = ldexpl(c[i], e);
		}
		ComputeCci(h, l, c, NB, 500, o1);
		ComputeCci(h2, l2, c2, NB, 500, o2);
		for (int i = 0; i < NB; i++)
			bad += !(o1[i] == o2[i] || (!TA_HAS(o1[i]) && !TA_HAS(o2[i])));
		snprintf(label, sizeof(label), "cci scaled by 2^%d is unchanged", e);
		Ok(bad == 0, label);
	}
	for (int i = 0; i < NB; i++)
	{
		h2[i] = h[i] * 1e300L;
		l2[i] = l[i] * 1e300L;
		c2[i] = c[i] * 1e300L;
	}
	CheckCci("times 1e300", h2, l2, c2, NB, 20, 1e-12L);
	CheckCci("times 1e300", h2, l2, c2, NB, 600, 1e-12L);

	/*
	 * A partition spanning more than the 128-bit budget (prices from 1e-30 to
	 * 1e30): short periods stay accurate, long ones stay finite and flat
	 * windows stay 0.
	 */
	for (int i = 0; i < NB; i++)
	{
		ta_real		m = (i / 1000 == 1) ? 1e30L : 1e-30L;

		h2[i] = h[i] * m;
		l2[i] = l[i] * m;
		c2[i] = c[i] * m;
	}
	CheckCci("mixed 1e-30 and 1e30", h2, l2, c2, NB, 20, 1e-12L);
	ComputeCci(h2, l2, c2, NB, 600, o1);
	same = 1;
	for (int i = 599; i < NB; i++)
		same = same && isfinite(o1[i]) && fabsl(o1[i]) <= 600 / 0.015L;
	Ok(same, "cci beyond the integer budget stays finite and bounded");
	CheckCciCausal("mixed 1e-30 and 1e30", h2, l2, c2, NB);

	TaFree(h);
	TaFree(l);
	TaFree(c);
	TaFree(h2);
	TaFree(l2);
	TaFree(c2);
	TaFree(o1);
	TaFree(o2);
}

/*
 * Every kernel polls the interrupt hook at least once per TA_POLL_INTERVAL
 * rows, so CHECK_FOR_INTERRUPTS is reached while it runs on a long partition:
 * it polls at least rows / TA_POLL_INTERVAL times, and no loop writes the
 * outputs of more than a few TA_POLL_INTERVAL rows between two polls (an
 * unpolled loop over the rows writes them all).
 */
static void
TestPolling(void)
{
	enum
	{
		NP = 8 * TA_POLL_INTERVAL
	};
	ta_real    *h = TaAlloc(sizeof(ta_real) * NP),
			   *l = TaAlloc(sizeof(ta_real) * NP),
			   *c = TaAlloc(sizeof(ta_real) * NP),
			   *v = TaAlloc(sizeof(ta_real) * NP);
	ta_real    *o[5];
	int			bad = 0;

	for (int k = 0; k < 5; k++)
	{
		o[k] = TaAlloc(sizeof(ta_real) * NP);
		shadow[k] = TaAlloc(sizeof(ta_real) * NP);
	}
	RandomBars(h, l, c, NP);
	for (int i = 0; i < NP; i++)
		v[i] = 1000 * Uniform();
	for (int k = 0; k < RUN_KERNELS_COUNT; k++)
	{
		int			periods[] = {14, 3000};

		for (int j = 0; j < 2; j++)
		{
			const char *name;

			for (int m = 0; m < 5; m++)
			{
				FillNone(o[m], NP);
				FillNone(shadow[m], NP);
				watch[m] = o[m];
			}
			polls = 0;
			max_unpolled = 0;
			watch_n = NP;
			name = RunKernel(k, h, l, c, v, NP, periods[j], true, o);
			WatchOutputs();		/* what the kernel wrote after its last poll */
			watch_n = 0;
			if (polls < NP / TA_POLL_INTERVAL - 1 || max_unpolled > 3 * TA_POLL_INTERVAL)
			{
				printf("# %s (p=%d): %ld interrupt checks over %d rows, "
					   "up to %d rows written between two\n",
					   name, periods[j], polls, NP, max_unpolled);
				bad++;
			}
		}
	}
	Ok(bad == 0, "every kernel checks for interrupts every TA_POLL_INTERVAL rows");
	for (int k = 0; k < 5; k++)
	{
		TaFree(o[k]);
		TaFree(shadow[k]);
		watch[k] = NULL;
	}
	TaFree(h);
	TaFree(l);
	TaFree(c);
	TaFree(v);
}

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
		/*
		 * Period 8, so every window of 8 holds 2,4,4,4,5,5,7,9: mean 5,
		 * population variance 4 (32 / 8) and z-score of 9 = 2, across two
		 * block switches and the sliding rows between them.
		 */
		ta_real		x[19];
		const double cyc[] = {2, 4, 4, 4, 5, 5, 7, 9};
		double		wm[19],
					wv[19];
		ta_real		mean[19],
					var[19];

		for (int i = 0; i < 19; i++)
		{
			x[i] = cyc[i % 8];
			wm[i] = i < 7 ? N : 5;
			wv[i] = i < 7 ? N : 4;
		}
		ComputeVariance(x, 19, 8, false, mean, var);
		Expect("variance of a periodic series, mean", mean, wm, 19);
		Expect("variance of a periodic series", var, wv, 19);
		ComputeZscore(x, 16, 8, var);
		Expect("zscore of the largest value", var + 15, (double[]) {2}, 1);
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
	TestCci();
	TestPolling();
	printf("1..%d\n", tests);
	return failed ? 1 : 0;
}
