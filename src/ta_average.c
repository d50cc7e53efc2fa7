/*
 * ta_average.c - moving-average kernels (SMA, EMA, Wilder, WMA and the
 * averages built from them).  Seeds follow TA-Lib: an EMA starts from the
 * simple average of its first p values.
 */
#include "ta.h"
#include "ta_stream.h"

/* Simple average of the last p values; starts at the first present value. */
void
ComputeSma(const ta_real *x, int n, int p, ta_real *out)
{
	int			f = FirstPresent(x, n);
	ta_real		sum = 0;

	FillNone(out, n);
	for (int i = f; i < n; i++)
	{
		TA_POLL(i);
		sum += x[i];
		if (i - f >= p)
			sum -= x[i - p];
		if (i - f >= p - 1)
			out[i] = sum / p;
	}
}

/*
 * Exponential smoothing with factor a, seeded by the SMA of the first p
 * values; out may be the same array as x.
 */
static void
SmoothSeeded(const ta_real *x, int n, int p, ta_real a, ta_real *out)
{
	int			f = FirstPresent(x, n);
	ta_real		e = 0;

	if (n - f < p)
	{
		FillNone(out, n);
		return;
	}
	for (int i = f; i < f + p; i++)
	{
		TA_POLL(i);
		e += x[i];
	}
	e /= p;
	FillNone(out, f + p - 1);
	out[f + p - 1] = e;
	for (int i = f + p; i < n; i++)
	{
		TA_POLL(i);
		e += a * (x[i] - e);
		out[i] = e;
	}
}

void
ComputeEma(const ta_real *x, int n, int p, ta_real *out)
{
	SmoothSeeded(x, n, p, (ta_real) 2 / (p + 1), out);
}

/* Wilder's average (alpha = 1/p), seeded like the EMA. */
void
ComputeWilder(const ta_real *x, int n, int p, ta_real *out)
{
	SmoothSeeded(x, n, p, (ta_real) 1 / p, out);
}

/* Linearly weighted average, newest weight p; O(n) with two running sums. */
void
ComputeWma(const ta_real *x, int n, int p, ta_real *out)
{
	int			f = FirstPresent(x, n);
	ta_real		sum = 0,		/* plain sum of the window */
				num = 0;		/* weighted sum of the window */
	ta_real		denom = (ta_real) p * (p + 1) / 2;

	FillNone(out, n);
	for (int i = f; i < n; i++)
	{
		int			k = i - f;

		TA_POLL(i);
		if (k < p)
		{
			num += (ta_real) (k + 1) * x[i];
			sum += x[i];
		}
		else
		{
			num += p * x[i] - sum;
			sum += x[i] - x[i - p];
		}
		if (k >= p - 1)
			out[i] = num / denom;
	}
}

void
ComputeDema(const ta_real *x, int n, int p, ta_real *out)
{
	ta_real    *e1 = TaAlloc(sizeof(ta_real) * n);
	ta_real    *e2 = TaAlloc(sizeof(ta_real) * n);

	ComputeEma(x, n, p, e1);
	ComputeEma(e1, n, p, e2);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		out[i] = TA_HAS(e2[i]) ? 2 * e1[i] - e2[i] : TA_NONE;
	}
	TaFree(e1);
	TaFree(e2);
}

void
ComputeTema(const ta_real *x, int n, int p, ta_real *out)
{
	ta_real    *e1 = TaAlloc(sizeof(ta_real) * n);
	ta_real    *e2 = TaAlloc(sizeof(ta_real) * n);
	ta_real    *e3 = TaAlloc(sizeof(ta_real) * n);

	ComputeEma(x, n, p, e1);
	ComputeEma(e1, n, p, e2);
	ComputeEma(e2, n, p, e3);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		out[i] = TA_HAS(e3[i]) ? 3 * e1[i] - 3 * e2[i] + e3[i] : TA_NONE;
	}
	TaFree(e1);
	TaFree(e2);
	TaFree(e3);
}

/* TA-Lib's triangular average: an SMA of an SMA whose periods add up to p + 1. */
void
ComputeTrima(const ta_real *x, int n, int p, ta_real *out)
{
	int			a = (p % 2) ? (p + 1) / 2 : p / 2;
	int			b = (p % 2) ? (p + 1) / 2 : p / 2 + 1;
	ta_real    *s = TaAlloc(sizeof(ta_real) * n);

	ComputeSma(x, n, a, s);
	ComputeSma(s, n, b, out);
	TaFree(s);
}

/* Kaufman's adaptive average; a window with no movement has efficiency 1. */
void
ComputeKama(const ta_real *x, int n, int p, int fast, int slow, ta_real *out)
{
	int			f = FirstPresent(x, n);
	ta_real		sc_slow = (ta_real) 2 / (slow + 1);
	ta_real		sc_diff = (ta_real) 2 / (fast + 1) - sc_slow;
	RollSum		path = {0, 0};
	ta_real		kama;

	FillNone(out, n);
	if (n - f <= p)
		return;
	for (int i = f + 1; i <= f + p; i++)
	{
		TA_POLL(i);
		RollSumAdd(&path, fabsl(x[i] - x[i - 1]));
	}
	kama = x[f + p - 1];
	for (int i = f + p; i < n; i++)
	{
		ta_real		er,
					sc;

		TA_POLL(i);
		if (i > f + p)
		{
			RollSumRemove(&path, fabsl(x[i - p] - x[i - p - 1]));
			RollSumAdd(&path, fabsl(x[i] - x[i - 1]));
		}
		er = (path.sum > 0) ? fabsl(x[i] - x[i - p]) / path.sum : 1;
		if (er > 1)
			er = 1;
		sc = er * sc_diff + sc_slow;
		kama += sc * sc * (x[i] - kama);
		out[i] = kama;
	}
}

/* Hull: WMA(2 WMA(x, p/2) - WMA(x, p), floor(sqrt(p))). */
void
ComputeHma(const ta_real *x, int n, int p, ta_real *out)
{
	int			s = (int) sqrt((double) p);
	ta_real    *w1 = TaAlloc(sizeof(ta_real) * n);
	ta_real    *w2 = TaAlloc(sizeof(ta_real) * n);

	while ((s + 1) * (s + 1) <= p)
		s++;
	while (s * s > p)
		s--;
	ComputeWma(x, n, p / 2, w1);
	ComputeWma(x, n, p, w2);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		w1[i] = TA_HAS(w2[i]) ? 2 * w1[i] - w2[i] : TA_NONE;
	}
	ComputeWma(w1, n, s, out);
	TaFree(w1);
	TaFree(w2);
}

/* sum(c*v)/sum(v) over p bars; an all-zero-volume window gives the mean of c. */
void
ComputeVwma(const ta_real *c, const ta_real *v, int n, int p, ta_real *out)
{
	RollSum		sv = {0, 0},
				scv = {0, 0};
	ta_real		sc = 0;

	FillNone(out, n);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		RollSumAdd(&sv, v[i]);
		RollSumAdd(&scv, c[i] * v[i]);
		sc += c[i];
		if (i >= p)
		{
			RollSumRemove(&sv, v[i - p]);
			RollSumRemove(&scv, c[i - p] * v[i - p]);
			sc -= c[i - p];
		}
		if (i >= p - 1)
			out[i] = (sv.nonzero > 0) ? scv.sum / sv.sum : sc / p;
	}
}

/* Cumulative VWAP of the typical price; zero volume so far gives its mean. */
void
ComputeVwap(const ta_real *h, const ta_real *l, const ta_real *c, const ta_real *v,
			int n, ta_real *out)
{
	ta_real		spv = 0,
				sv = 0,
				sp = 0;

	for (int i = 0; i < n; i++)
	{
		ta_real		tp3 = h[i] + l[i] + c[i];

		TA_POLL(i);
		spv += tp3 * v[i];
		sv += v[i];
		sp += tp3;
		out[i] = (sv != 0) ? spv / (3 * sv) : sp / (3 * (ta_real) (i + 1));
	}
}

/*
 * Streaming forms.  Each replays its batch kernel's arithmetic in the same
 * order (test/unit/test_stream.c proves them equal bit for bit).
 */

static const char *const one_value[] = {"value"};
static const TaStreamParam period_param[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 20}
};

/* an SMA of a series that starts at its first present value */
typedef struct SmaState
{
	TaRing		r;				/* the last p values; cap is p */
	int32_t		started;
	int32_t		pad;
	ta_real		sum;
} SmaState;

static void
SmaInit(SmaState *s, int p)
{
	TaRingInit(&s->r, p);
	s->started = 0;
	s->pad = 0;
	s->sum = 0;
}

static inline ta_real
SmaPush(SmaState *s, ta_real *slots, ta_real x)
{
	if (!s->started)
	{
		if (!TA_HAS(x))
			return TA_NONE;
		s->started = 1;
	}
	s->sum += x;
	if (s->r.count == s->r.cap)
		s->sum -= TaRingOldest(&s->r, slots);
	TaRingPut(&s->r, slots, x);
	return (s->r.count == s->r.cap) ? s->sum / s->r.cap : TA_NONE;
}

static inline ta_real
SmaPeek(const SmaState *s, const ta_real *slots, ta_real x)
{
	ta_real		sum;

	if (!s->started && !TA_HAS(x))
		return TA_NONE;
	sum = s->sum + x;
	if (s->r.count == s->r.cap)
		sum -= TaRingOldest(&s->r, slots);
	return (s->r.count + 1 >= s->r.cap) ? sum / s->r.cap : TA_NONE;
}

static bool
SmaValid(const SmaState *s, int p)
{
	return TaRingValid(&s->r, p) && (s->started == 1 ||
									 (s->started == 0 && s->r.count == 0));
}

typedef struct SmaBody
{
	SmaState	s;
	ta_real		slots[];
} SmaBody;

static size_t
SmaSize(const double *params)
{
	return offsetof(SmaBody, slots) + sizeof(ta_real) * TA_P(params, 0);
}

static void
SmaBodyInit(void *body, const double *params)
{
	SmaInit(&((SmaBody *) body)->s, TA_P(params, 0));
}

static void
SmaBodyPush(void *body, const ta_real *in, ta_real *out)
{
	SmaBody    *b = body;

	out[0] = SmaPush(&b->s, b->slots, in[0]);
}

static void
SmaBodyPeek(const void *body, const ta_real *in, ta_real *out)
{
	const SmaBody *b = body;

	out[0] = SmaPeek(&b->s, b->slots, in[0]);
}

static bool
SmaBodyCheck(const void *body, const double *params)
{
	return SmaValid(&((const SmaBody *) body)->s, TA_P(params, 0));
}

static void
SmaBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeSma(in[0], n, TA_P(params, 0), out[0]);
}

const TaStreamKernel ta_stream_sma = {
	"sma", "x", 1, period_param, 1, one_value,
	SmaSize, SmaBodyInit, SmaBodyPush, SmaBodyPeek, SmaBodyCheck, SmaBatch
};
