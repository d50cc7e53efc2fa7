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

/* One KAMA update from the window's path length, x and the value p bars back. */
static inline ta_real
KamaUpdate(ta_real kama, ta_real path, ta_real x, ta_real x_p, ta_real sc_diff,
		   ta_real sc_slow)
{
	ta_real		er = (path > 0) ? fabsl(x - x_p) / path : 1;
	ta_real		sc;

	if (er > 1)
		er = 1;
	sc = er * sc_diff + sc_slow;
	return kama + sc * sc * (x - kama);
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
		TA_POLL(i);
		if (i > f + p)
		{
			RollSumRemove(&path, fabsl(x[i - p] - x[i - p - 1]));
			RollSumAdd(&path, fabsl(x[i] - x[i - 1]));
		}
		kama = KamaUpdate(kama, path.sum, x[i], x[i - p], sc_diff, sc_slow);
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
 * Streaming forms (ta_stream.h).  Each replays its batch kernel's arithmetic
 * in the same order; test/unit/test_stream.c proves them equal bit for bit.
 */

static const char *const one_value[] = {"value"};
/* defaults as the SQL functions' (ap_sma ... ap_trima 30, ap_vwma 20) */
static const TaStreamParam period_param[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 30}
};
static const TaStreamParam vwma_param[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 20}
};

/* SMA: one TaSma */
typedef struct SmaBody
{
	TaSma		s;
	ta_real		slots[];
} SmaBody;

static size_t
SmaSize(const double *params)
{
	return offsetof(SmaBody, slots) + sizeof(ta_real) * TA_P(params, 0);
}

static void
SmaInit(void *body, const double *params)
{
	TaSmaInit(&((SmaBody *) body)->s, TA_P(params, 0));
}

static void
SmaPush(void *body, const ta_real *in, ta_real *out)
{
	SmaBody    *b = body;

	out[0] = TaSmaStep(&b->s, b->slots, in[0]);
	TaSmaPut(&b->s, b->slots, in[0]);
}

static void
SmaPeek(const void *body, const ta_real *in, ta_real *out)
{
	const SmaBody *b = body;
	TaSma		s = b->s;

	out[0] = TaSmaStep(&s, b->slots, in[0]);
}

static bool
SmaCheck(const void *body, const double *params)
{
	return TaSmaValid(&((const SmaBody *) body)->s, TA_P(params, 0));
}

static void
SmaBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeSma(in[0], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(sma, "x", period_param, one_value, Sma);

/* EMA and Wilder: one TaEma each; up to three chained for DEMA and TEMA */
typedef struct EmaBody
{
	TaEma		e[3];
} EmaBody;

static size_t
EmaSize(const double *params)
{
	(void) params;
	return sizeof(EmaBody);
}

static void
EmaBodyInit(EmaBody *b, int p, bool wilder)
{
	for (int i = 0; i < 3; i++)
		TaEmaInit(&b->e[i], p, wilder);
}

static bool
EmaBodyValid(const EmaBody *b, int p, bool wilder)
{
	for (int i = 0; i < 3; i++)
		if (!TaEmaValid(&b->e[i], p, wilder))
			return false;
	return true;
}

static void
EmaInit(void *body, const double *params)
{
	EmaBodyInit(body, TA_P(params, 0), false);
}

static void
EmaPush(void *body, const ta_real *in, ta_real *out)
{
	out[0] = TaEmaStep(&((EmaBody *) body)->e[0], in[0]);
}

/* bodies without a ring peek by pushing on a copy */
static void
EmaPeek(const void *body, const ta_real *in, ta_real *out)
{
	EmaBody		b = *(const EmaBody *) body;

	EmaPush(&b, in, out);
}

static bool
EmaCheck(const void *body, const double *params)
{
	return EmaBodyValid(body, TA_P(params, 0), false);
}

static void
EmaBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeEma(in[0], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(ema, "x", period_param, one_value, Ema);

#define WilderSize EmaSize
#define WilderPush EmaPush
#define WilderPeek EmaPeek

static void
WilderInit(void *body, const double *params)
{
	EmaBodyInit(body, TA_P(params, 0), true);
}

static bool
WilderCheck(const void *body, const double *params)
{
	return EmaBodyValid(body, TA_P(params, 0), true);
}

static void
WilderBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeWilder(in[0], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(wilder, "x", period_param, one_value, Wilder);

#define DemaSize EmaSize
#define DemaInit EmaInit
#define DemaCheck EmaCheck

static void
DemaPush(void *body, const ta_real *in, ta_real *out)
{
	EmaBody    *b = body;
	ta_real		e1 = TaEmaStep(&b->e[0], in[0]);
	ta_real		e2 = TaEmaStep(&b->e[1], e1);

	out[0] = TA_HAS(e2) ? 2 * e1 - e2 : TA_NONE;
}

static void
DemaPeek(const void *body, const ta_real *in, ta_real *out)
{
	EmaBody		b = *(const EmaBody *) body;

	DemaPush(&b, in, out);
}

static void
DemaBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeDema(in[0], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(dema, "x", period_param, one_value, Dema);

#define TemaSize EmaSize
#define TemaInit EmaInit
#define TemaCheck EmaCheck

static void
TemaPush(void *body, const ta_real *in, ta_real *out)
{
	EmaBody    *b = body;
	ta_real		e1 = TaEmaStep(&b->e[0], in[0]);
	ta_real		e2 = TaEmaStep(&b->e[1], e1);
	ta_real		e3 = TaEmaStep(&b->e[2], e2);

	out[0] = TA_HAS(e3) ? 3 * e1 - 3 * e2 + e3 : TA_NONE;
}

static void
TemaPeek(const void *body, const ta_real *in, ta_real *out)
{
	EmaBody		b = *(const EmaBody *) body;

	TemaPush(&b, in, out);
}

static void
TemaBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeTema(in[0], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(tema, "x", period_param, one_value, Tema);

/* WMA: one TaWma */
typedef struct WmaBody
{
	TaWma		w;
	ta_real		slots[];
} WmaBody;

static size_t
WmaSize(const double *params)
{
	return offsetof(WmaBody, slots) + sizeof(ta_real) * TA_P(params, 0);
}

static void
WmaInit(void *body, const double *params)
{
	TaWmaInit(&((WmaBody *) body)->w, TA_P(params, 0));
}

static void
WmaPush(void *body, const ta_real *in, ta_real *out)
{
	WmaBody    *b = body;

	out[0] = TaWmaStep(&b->w, b->slots, in[0]);
	TaWmaPut(&b->w, b->slots, in[0]);
}

static void
WmaPeek(const void *body, const ta_real *in, ta_real *out)
{
	const WmaBody *b = body;
	TaWma		w = b->w;

	out[0] = TaWmaStep(&w, b->slots, in[0]);
}

static bool
WmaCheck(const void *body, const double *params)
{
	return TaWmaValid(&((const WmaBody *) body)->w, TA_P(params, 0));
}

static void
WmaBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeWma(in[0], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(wma, "x", period_param, one_value, Wma);

/* TRIMA: an SMA of period a feeding one of period b (ComputeTrima's split) */
typedef struct TrimaBody
{
	TaSma		s1;
	TaSma		s2;
	ta_real		slots[];		/* a for s1, then b for s2 */
} TrimaBody;

static void
TrimaPeriods(int p, int *a, int *b)
{
	*a = (p % 2) ? (p + 1) / 2 : p / 2;
	*b = (p % 2) ? (p + 1) / 2 : p / 2 + 1;
}

static size_t
TrimaSize(const double *params)
{
	int			a,
				b;

	TrimaPeriods(TA_P(params, 0), &a, &b);
	return offsetof(TrimaBody, slots) + sizeof(ta_real) * (a + b);
}

static void
TrimaInit(void *body, const double *params)
{
	TrimaBody  *t = body;
	int			a,
				b;

	TrimaPeriods(TA_P(params, 0), &a, &b);
	TaSmaInit(&t->s1, a);
	TaSmaInit(&t->s2, b);
}

/* both SMAs stepped on s1, s2 (the body's or copies); returns the mid value */
static inline ta_real
TrimaStep(const TrimaBody *t, TaSma *s1, TaSma *s2, ta_real x, ta_real *out)
{
	ta_real		mid = TaSmaStep(s1, t->slots, x);

	*out = TaSmaStep(s2, t->slots + t->s1.r.cap, mid);
	return mid;
}

static void
TrimaPush(void *body, const ta_real *in, ta_real *out)
{
	TrimaBody  *t = body;
	ta_real		mid = TrimaStep(t, &t->s1, &t->s2, in[0], &out[0]);

	TaSmaPut(&t->s1, t->slots, in[0]);
	TaSmaPut(&t->s2, t->slots + t->s1.r.cap, mid);
}

static void
TrimaPeek(const void *body, const ta_real *in, ta_real *out)
{
	const TrimaBody *t = body;
	TaSma		s1 = t->s1,
				s2 = t->s2;

	TrimaStep(t, &s1, &s2, in[0], &out[0]);
}

static bool
TrimaCheck(const void *body, const double *params)
{
	const TrimaBody *t = body;
	int			a,
				b;

	TrimaPeriods(TA_P(params, 0), &a, &b);
	return TaSmaValid(&t->s1, a) && TaSmaValid(&t->s2, b);
}

static void
TrimaBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeTrima(in[0], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(trima, "x", period_param, one_value, Trima);

/* KAMA: the last p + 1 values, the path length over them and the average */
typedef struct KamaBody
{
	TaRing		r;				/* cap p + 1 */
	int32_t		started;
	int32_t		pad;
	RollSum		path;
	ta_real		kama;
	ta_real		sc_slow;
	ta_real		sc_diff;
	ta_real		slots[];
} KamaBody;

static const TaStreamParam kama_params[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 30},
	{"fast", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 2},
	{"slow", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 30}
};

static size_t
KamaSize(const double *params)
{
	if (params[1] >= params[2])
		return 0;				/* fast must be less than slow, as ap_kama */
	return offsetof(KamaBody, slots) + sizeof(ta_real) * (TA_P(params, 0) + 1);
}

static void
KamaConstants(const double *params, ta_real *sc_slow, ta_real *sc_diff)
{
	*sc_slow = (ta_real) 2 / (TA_P(params, 2) + 1);
	*sc_diff = (ta_real) 2 / (TA_P(params, 1) + 1) - *sc_slow;
}

static void
KamaInit(void *body, const double *params)
{
	KamaBody   *k = body;

	TaRingInit(&k->r, TA_P(params, 0) + 1);
	k->started = 0;
	k->path.sum = 0;
	k->path.nonzero = 0;
	k->kama = 0;
	KamaConstants(params, &k->sc_slow, &k->sc_diff);
}

/* ComputeKama's loop for one value, on the body's scalars or copies of them */
static inline ta_real
KamaStep(const KamaBody *k, const ta_real *slots, int32_t *started, RollSum *path,
		 ta_real *kama, ta_real x)
{
	int			c = k->r.count;
	int			p = k->r.cap - 1;

	if (!*started)
	{
		if (!TA_HAS(x))
			return TA_NONE;
		*started = 1;
	}
	if (c == 0)
		return TA_NONE;
	if (c <= p)
	{
		RollSumAdd(path, fabsl(x - TaRingAgo(&k->r, slots, 1)));
		if (c < p)
			return TA_NONE;
		*kama = TaRingAgo(&k->r, slots, 1);
	}
	else
	{
		RollSumRemove(path, fabsl(TaRingAgo(&k->r, slots, p) - TaRingAgo(&k->r, slots, p + 1)));
		RollSumAdd(path, fabsl(x - TaRingAgo(&k->r, slots, 1)));
	}
	*kama = KamaUpdate(*kama, path->sum, x, TaRingAgo(&k->r, slots, p), k->sc_diff,
					   k->sc_slow);
	return *kama;
}

static void
KamaPush(void *body, const ta_real *in, ta_real *out)
{
	KamaBody   *k = body;

	out[0] = KamaStep(k, k->slots, &k->started, &k->path, &k->kama, in[0]);
	if (k->started)
		TaRingPut(&k->r, k->slots, in[0]);
}

static void
KamaPeek(const void *body, const ta_real *in, ta_real *out)
{
	const KamaBody *k = body;
	int32_t		started = k->started;
	RollSum		path = k->path;
	ta_real		kama = k->kama;

	out[0] = KamaStep(k, k->slots, &started, &path, &kama, in[0]);
}

/* the path's nonzero count matches the moves between the ring's values */
static bool
KamaPathMatches(const KamaBody *k)
{
	int			nonzero = 0;

	for (int j = 1; j < k->r.count; j++)
		nonzero += (fabsl(TaRingAgo(&k->r, k->slots, j) -
						  TaRingAgo(&k->r, k->slots, j + 1)) != 0);
	return k->path.nonzero == nonzero;
}

static bool
KamaCheck(const void *body, const double *params)
{
	const KamaBody *k = body;
	ta_real		sc_slow,
				sc_diff;

	KamaConstants(params, &sc_slow, &sc_diff);
	return TaRingValid(&k->r, TA_P(params, 0) + 1) &&
		KamaPathMatches(k) &&
		(k->started == 1 || (k->started == 0 && k->r.count == 0)) &&
		memcmp(&k->sc_slow, &sc_slow, 10) == 0 && memcmp(&k->sc_diff, &sc_diff, 10) == 0;
}

static void
KamaBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeKama(in[0], n, TA_P(params, 0), TA_P(params, 1), TA_P(params, 2), out[0]);
}

TA_STREAM_DEFINE(kama, "x", kama_params, one_value, Kama);

/* HMA: WMAs of p/2 and p, and one of floor(sqrt(p)) over their blend */
typedef struct HmaBody
{
	TaWma		w1;
	TaWma		w2;
	TaWma		w3;
	ta_real		slots[];		/* p/2, then p, then s */
} HmaBody;

static const TaStreamParam hma_param[] = {
	{"n", TA_PARAM_PERIOD, 2, TA_STREAM_MAX_PERIOD, 20}
};

/* floor(sqrt(p)) exactly, as ComputeHma */
static int
HmaSqrt(int p)
{
	int			s = (int) sqrt((double) p);

	while ((s + 1) * (s + 1) <= p)
		s++;
	while (s * s > p)
		s--;
	return s;
}

static size_t
HmaSize(const double *params)
{
	int			p = TA_P(params, 0);

	return offsetof(HmaBody, slots) + sizeof(ta_real) * (p / 2 + p + HmaSqrt(p));
}

static void
HmaInit(void *body, const double *params)
{
	HmaBody    *h = body;
	int			p = TA_P(params, 0);

	TaWmaInit(&h->w1, p / 2);
	TaWmaInit(&h->w2, p);
	TaWmaInit(&h->w3, HmaSqrt(p));
}

/* the three WMAs stepped on w1..w3 (the body's or copies); returns the blend */
static inline ta_real
HmaStep(const HmaBody *h, TaWma *w1, TaWma *w2, TaWma *w3, ta_real x, ta_real *out)
{
	const ta_real *s2 = h->slots + h->w1.r.cap;
	ta_real		a = TaWmaStep(w1, h->slots, x);
	ta_real		b = TaWmaStep(w2, s2, x);
	ta_real		d = TA_HAS(b) ? 2 * a - b : TA_NONE;

	*out = TaWmaStep(w3, s2 + h->w2.r.cap, d);
	return d;
}

static void
HmaPush(void *body, const ta_real *in, ta_real *out)
{
	HmaBody    *h = body;
	ta_real	   *s2 = h->slots + h->w1.r.cap;
	ta_real		d = HmaStep(h, &h->w1, &h->w2, &h->w3, in[0], &out[0]);

	TaWmaPut(&h->w1, h->slots, in[0]);
	TaWmaPut(&h->w2, s2, in[0]);
	TaWmaPut(&h->w3, s2 + h->w2.r.cap, d);
}

static void
HmaPeek(const void *body, const ta_real *in, ta_real *out)
{
	const HmaBody *h = body;
	TaWma		w1 = h->w1,
				w2 = h->w2,
				w3 = h->w3;

	HmaStep(h, &w1, &w2, &w3, in[0], &out[0]);
}

static bool
HmaCheck(const void *body, const double *params)
{
	const HmaBody *h = body;
	int			p = TA_P(params, 0);

	return TaWmaValid(&h->w1, p / 2) && TaWmaValid(&h->w2, p) &&
		TaWmaValid(&h->w3, HmaSqrt(p));
}

static void
HmaBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeHma(in[0], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(hma, "x", hma_param, one_value, Hma);

/* VWMA: the last p closes and volumes, their sums */
typedef struct VwmaBody
{
	TaRing		r;				/* cap p; closes in slots[0..p), volumes after */
	RollSum		sv;
	RollSum		scv;
	ta_real		sc;
	ta_real		slots[];
} VwmaBody;

static size_t
VwmaSize(const double *params)
{
	return offsetof(VwmaBody, slots) + sizeof(ta_real) * 2 * TA_P(params, 0);
}

static void
VwmaInit(void *body, const double *params)
{
	VwmaBody   *w = body;

	TaRingInit(&w->r, TA_P(params, 0));
	w->sv = w->scv = (RollSum) {0, 0};
	w->sc = 0;
}

/* ComputeVwma's loop for one bar, on copies of the sums */
static inline ta_real
VwmaStep(const VwmaBody *w, RollSum *sv, RollSum *scv, ta_real *sc, ta_real c, ta_real v)
{
	int			p = w->r.cap;

	RollSumAdd(sv, v);
	RollSumAdd(scv, c * v);
	*sc += c;
	if (w->r.count == p)
	{
		ta_real		oc = w->slots[w->r.pos],
					ov = w->slots[p + w->r.pos];

		RollSumRemove(sv, ov);
		RollSumRemove(scv, oc * ov);
		*sc -= oc;
	}
	if (w->r.count + 1 < p)
		return TA_NONE;
	return (sv->nonzero > 0) ? scv->sum / sv->sum : *sc / p;
}

static void
VwmaPush(void *body, const ta_real *in, ta_real *out)
{
	VwmaBody   *w = body;

	out[0] = VwmaStep(w, &w->sv, &w->scv, &w->sc, in[0], in[1]);
	w->slots[w->r.cap + w->r.pos] = in[1];
	TaRingPut(&w->r, w->slots, in[0]);
}

static void
VwmaPeek(const void *body, const ta_real *in, ta_real *out)
{
	const VwmaBody *w = body;
	RollSum		sv = w->sv,
				scv = w->scv;
	ta_real		sc = w->sc;

	out[0] = VwmaStep(w, &sv, &scv, &sc, in[0], in[1]);
}

static bool
VwmaCheck(const void *body, const double *params)
{
	const VwmaBody *w = body;
	int			p = TA_P(params, 0);
	int			nv = 0,
				ncv = 0;

	if (!TaRingValid(&w->r, p))
		return false;
	/* the sums' nonzero counts match the window the ring holds */
	for (int k = 1; k <= w->r.count; k++)
	{
		ta_real		c = TaRingAgo(&w->r, w->slots, k),
					v = TaRingAgo(&w->r, w->slots + p, k);

		nv += (v != 0);
		ncv += (c * v != 0);
	}
	return w->sv.nonzero == nv && w->scv.nonzero == ncv;
}

static void
VwmaBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeVwma(in[0], in[1], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(vwma, "cv", vwma_param, one_value, Vwma);

/* VWAP: cumulative sums and the bar count */
typedef struct VwapBody
{
	ta_real		spv;
	ta_real		sv;
	ta_real		sp;
	int64_t		count;
} VwapBody;

static size_t
VwapSize(const double *params)
{
	(void) params;
	return sizeof(VwapBody);
}

static void
VwapInit(void *body, const double *params)
{
	(void) params;
	*(VwapBody *) body = (VwapBody) {0, 0, 0, 0};
}

static void
VwapPush(void *body, const ta_real *in, ta_real *out)
{
	VwapBody   *w = body;
	ta_real		tp3 = in[0] + in[1] + in[2];

	w->spv += tp3 * in[3];
	w->sv += in[3];
	w->sp += tp3;
	w->count++;
	out[0] = (w->sv != 0) ? w->spv / (3 * w->sv) : w->sp / (3 * (ta_real) w->count);
}

static void
VwapPeek(const void *body, const ta_real *in, ta_real *out)
{
	VwapBody	w = *(const VwapBody *) body;

	VwapPush(&w, in, out);
}

static bool
VwapCheck(const void *body, const double *params)
{
	int64_t		count = ((const VwapBody *) body)->count;

	(void) params;
	return count >= 0 && count <= TA_STREAM_MAX_BARS;
}

static void
VwapBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	(void) params;
	ComputeVwap(in[0], in[1], in[2], in[3], n, out[0]);
}

const TaStreamKernel ta_stream_vwap = {
	"vwap", "hlcv", 0, NULL, 1, one_value,
	VwapSize, VwapInit, VwapPush, VwapPeek, VwapCheck, VwapBatch
};
