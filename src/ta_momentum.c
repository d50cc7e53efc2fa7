/*
 * ta_momentum.c - momentum and oscillator kernels.  Oscillators bounded to
 * 0..100 give their neutral midpoint on a 0/0 window (see each COMMENT ON).
 */
#include <string.h>

#include "ta.h"
#include "ta_stream.h"

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

/*
 * Streaming forms (ta_stream.h).  Each replays its batch kernel's arithmetic
 * in the same order, so test/unit/test_stream.c finds them equal bit for bit.
 * A body is a fixed header of scalars followed by its rings and deques; one
 * Step function serves push (commit) and peek (on a copy of the header,
 * reading the rings but never writing them), so the two cannot disagree.
 * Kernels whose batch form is not chainable take the close ("c"): the window
 * layer hands them present values only.
 */

static const char *const one_value[] = {"value"};

static bool
FlagValid(int32_t f)
{
	return f == 0 || f == 1;
}

/* RSI: the previous close and two Wilder averages (no ring) */
typedef struct RsiState
{
	int32_t		seen;
	int32_t		pad;
	ta_real		prev;
	TaEma		gain;
	TaEma		loss;
} RsiState;

static void
RsiStateInit(RsiState *r, int p)
{
	memset(r, 0, sizeof(RsiState));
	TaEmaInit(&r->gain, p, true);
	TaEmaInit(&r->loss, p, true);
}

/* ComputeRsi for one more close */
static ta_real
RsiStep(RsiState *r, ta_real x)
{
	ta_real		d,
				g,
				l;

	if (!r->seen)
	{
		r->seen = 1;
		r->prev = x;
		return TA_NONE;
	}
	d = x - r->prev;
	r->prev = x;
	g = TaEmaStep(&r->gain, d > 0 ? d : 0);
	l = TaEmaStep(&r->loss, d < 0 ? -d : 0);
	if (!TA_HAS(g))
		return TA_NONE;
	return (g + l > 0) ? 100 * g / (g + l) : 50;
}

static bool
RsiStateValid(const RsiState *r, int p)
{
	return FlagValid(r->seen) && TaEmaValid(&r->gain, p, true) &&
		TaEmaValid(&r->loss, p, true) &&
		(r->seen || (r->gain.count == 0 && r->loss.count == 0));
}

static const TaStreamParam rsi_params[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 14}
};

static size_t
RsiSize(const double *params)
{
	(void) params;
	return sizeof(RsiState);
}

static void
RsiInit(void *body, const double *params)
{
	RsiStateInit(body, TA_P(params, 0));
}

static void
RsiPush(void *body, const ta_real *in, ta_real *out)
{
	out[0] = RsiStep(body, in[0]);
}

static void
RsiPeek(const void *body, const ta_real *in, ta_real *out)
{
	RsiState	r = *(const RsiState *) body;

	out[0] = RsiStep(&r, in[0]);
}

static bool
RsiCheck(const void *body, const double *params)
{
	return RsiStateValid(body, TA_P(params, 0));
}

static void
RsiBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeRsi(in[0], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(rsi, "c", rsi_params, one_value, Rsi);

/* MACD: three EMAs (no ring) */
typedef struct MacdBody
{
	TaEma		fast;
	TaEma		slow;
	TaEma		sig;
} MacdBody;

static const TaStreamParam macd_params[] = {
	{"fast", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 12},
	{"slow", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 26},
	{"signal", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 9}
};
static const char *const macd_outputs[] = {"macd", "signal", "hist"};

static size_t
MacdSize(const double *params)
{
	/* fast < slow, as ap_macd */
	return params[0] < params[1] ? sizeof(MacdBody) : 0;
}

static void
MacdInit(void *body, const double *params)
{
	MacdBody   *b = body;

	TaEmaInit(&b->fast, TA_P(params, 0), false);
	TaEmaInit(&b->slow, TA_P(params, 1), false);
	TaEmaInit(&b->sig, TA_P(params, 2), false);
}

static void
MacdPush(void *body, const ta_real *in, ta_real *out)
{
	MacdBody   *b = body;
	ta_real		f = TaEmaStep(&b->fast, in[0]);
	ta_real		s = TaEmaStep(&b->slow, in[0]);
	ta_real		m = TA_HAS(s) ? f - s : s;
	ta_real		g = TaEmaStep(&b->sig, m);

	out[0] = m;
	out[1] = g;
	out[2] = TA_HAS(g) ? m - g : TA_NONE;
}

static void
MacdPeek(const void *body, const ta_real *in, ta_real *out)
{
	MacdBody	b = *(const MacdBody *) body;

	MacdPush(&b, in, out);
}

static bool
MacdCheck(const void *body, const double *params)
{
	const MacdBody *b = body;

	return TaEmaValid(&b->fast, TA_P(params, 0), false) &&
		TaEmaValid(&b->slow, TA_P(params, 1), false) &&
		TaEmaValid(&b->sig, TA_P(params, 2), false);
}

static void
MacdBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeMacd(in[0], n, TA_P(params, 0), TA_P(params, 1), TA_P(params, 2),
				out[0], out[1], out[2]);
}

TA_STREAM_DEFINE(macd, "x", macd_params, macd_outputs, Macd);

/*
 * STOCH: deques of the highest high and lowest low, the raw %K through two
 * SMAs.  Area: high deque, low deque (fastk + 1 slots each), then the rings
 * of the two SMAs (slowk, slowd values).
 */
typedef struct StochBody
{
	TaDeque		hi;
	TaDeque		lo;
	TaSma		k;
	TaSma		d;
	TaDequeSlot area[];
} StochBody;

static const TaStreamParam stoch_params[] = {
	{"fastk", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 14},
	{"slowk", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 3},
	{"slowd", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 3}
};
static const char *const stoch_outputs[] = {"k", "d"};

/* the SMA rings after the two deques */
static ta_real *
StochRing(const StochBody *b)
{
	return (ta_real *) (b->area + 2 * TA_DEQUE_SLOTS(b->hi.p));
}

static size_t
StochSize(const double *params)
{
	return offsetof(StochBody, area) +
		sizeof(TaDequeSlot) * 2 * TA_DEQUE_SLOTS(TA_P(params, 0)) +
		sizeof(ta_real) * (TA_P(params, 1) + TA_P(params, 2));
}

static void
StochInit(void *body, const double *params)
{
	StochBody  *b = body;

	TaDequeInit(&b->hi, TA_P(params, 0), 1);
	TaDequeInit(&b->lo, TA_P(params, 0), -1);
	TaSmaInit(&b->k, TA_P(params, 1));
	TaSmaInit(&b->d, TA_P(params, 2));
}

/*
 * One bar: on the body itself (commit) or on a copy h of its header whose
 * rings and deques are read from b and left alone.
 */
static void
StochStep(StochBody *h, const StochBody *b, bool commit, const ta_real *in, ta_real *out)
{
	TaDequeSlot *hs = (TaDequeSlot *) b->area;
	TaDequeSlot *ls = hs + TA_DEQUE_SLOTS(b->hi.p);
	ta_real    *ks = StochRing(b);
	ta_real    *ds = ks + b->k.r.cap;
	ta_real		hh,
				ll,
				raw;

	if (commit)
	{
		hh = TaDequePush(&h->hi, hs, in[0], NULL);
		ll = TaDequePush(&h->lo, ls, in[1], NULL);
	}
	else
	{
		hh = TaDequePeek(&h->hi, hs, in[0], NULL);
		ll = TaDequePeek(&h->lo, ls, in[1], NULL);
	}
	raw = TA_HAS(hh) ? RangePosition(in[2], ll, hh) : TA_NONE;
	out[0] = TaSmaStep(&h->k, ks, raw);
	out[1] = TaSmaStep(&h->d, ds, out[0]);
	if (commit)
	{
		TaSmaPut(&h->k, ks, raw);
		TaSmaPut(&h->d, ds, out[0]);
	}
}

static void
StochPush(void *body, const ta_real *in, ta_real *out)
{
	StochStep(body, body, true, in, out);
}

static void
StochPeek(const void *body, const ta_real *in, ta_real *out)
{
	StochBody	h = *(const StochBody *) body;

	StochStep(&h, body, false, in, out);
}

static bool
StochCheck(const void *body, const double *params)
{
	const StochBody *b = body;
	int			p = TA_P(params, 0);

	return TaDequeValid(&b->hi, b->area, p, 1) &&
		TaDequeValid(&b->lo, b->area + TA_DEQUE_SLOTS(p), p, -1) &&
		b->hi.next == b->lo.next &&
		TaSmaValid(&b->k, TA_P(params, 1)) && TaSmaValid(&b->d, TA_P(params, 2));
}

static void
StochBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeStoch(in[0], in[1], in[2], n, TA_P(params, 0), TA_P(params, 1),
				 TA_P(params, 2), out[0], out[1]);
}

TA_STREAM_DEFINE(stoch, "hlc", stoch_params, stoch_outputs, Stoch);

/*
 * STOCHRSI: an RSI, deques of its highest and lowest over k values (from
 * the first RSI value, as ComputeRollingMax skips the leading missing ones),
 * an SMA of the position.  Area: two deques of k + 1 slots, the SMA's ring.
 */
typedef struct StochRsiBody
{
	RsiState	rsi;
	TaDeque		hi;
	TaDeque		lo;
	TaSma		s;
	TaDequeSlot area[];
} StochRsiBody;

static const TaStreamParam stochrsi_params[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 14},
	{"k", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 14},
	{"smooth", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 3}
};

static size_t
StochRsiSize(const double *params)
{
	return offsetof(StochRsiBody, area) +
		sizeof(TaDequeSlot) * 2 * TA_DEQUE_SLOTS(TA_P(params, 1)) +
		sizeof(ta_real) * TA_P(params, 2);
}

static void
StochRsiInit(void *body, const double *params)
{
	StochRsiBody *b = body;

	RsiStateInit(&b->rsi, TA_P(params, 0));
	TaDequeInit(&b->hi, TA_P(params, 1), 1);
	TaDequeInit(&b->lo, TA_P(params, 1), -1);
	TaSmaInit(&b->s, TA_P(params, 2));
}

static void
StochRsiStep(StochRsiBody *h, const StochRsiBody *b, bool commit, const ta_real *in,
			 ta_real *out)
{
	TaDequeSlot *hs = (TaDequeSlot *) b->area;
	TaDequeSlot *ls = hs + TA_DEQUE_SLOTS(b->hi.p);
	ta_real    *ss = (ta_real *) (ls + TA_DEQUE_SLOTS(b->hi.p));
	ta_real		r = RsiStep(&h->rsi, in[0]);
	ta_real		pos = TA_NONE;

	if (TA_HAS(r))
	{
		ta_real		hi,
					lo;

		if (commit)
		{
			hi = TaDequePush(&h->hi, hs, r, NULL);
			lo = TaDequePush(&h->lo, ls, r, NULL);
		}
		else
		{
			hi = TaDequePeek(&h->hi, hs, r, NULL);
			lo = TaDequePeek(&h->lo, ls, r, NULL);
		}
		pos = TA_HAS(hi) ? RangePosition(r, lo, hi) : TA_NONE;
	}
	out[0] = TaSmaStep(&h->s, ss, pos);
	if (commit)
		TaSmaPut(&h->s, ss, pos);
}

static void
StochRsiPush(void *body, const ta_real *in, ta_real *out)
{
	StochRsiStep(body, body, true, in, out);
}

static void
StochRsiPeek(const void *body, const ta_real *in, ta_real *out)
{
	StochRsiBody h = *(const StochRsiBody *) body;

	StochRsiStep(&h, body, false, in, out);
}

static bool
StochRsiCheck(const void *body, const double *params)
{
	const StochRsiBody *b = body;
	int			k = TA_P(params, 1);

	return RsiStateValid(&b->rsi, TA_P(params, 0)) &&
		TaDequeValid(&b->hi, b->area, k, 1) &&
		TaDequeValid(&b->lo, b->area + TA_DEQUE_SLOTS(k), k, -1) &&
		b->hi.next == b->lo.next && TaSmaValid(&b->s, TA_P(params, 2));
}

static void
StochRsiBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeStochRsi(in[0], n, TA_P(params, 0), TA_P(params, 1), TA_P(params, 2), out[0]);
}

TA_STREAM_DEFINE(stochrsi, "c", stochrsi_params, one_value, StochRsi);

/* WILLR: deques of the highest high and lowest low (p + 1 slots each) */
typedef struct WillrBody
{
	TaDeque		hi;
	TaDeque		lo;
	TaDequeSlot area[];
} WillrBody;

static const TaStreamParam willr_params[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 14}
};

static size_t
WillrSize(const double *params)
{
	return offsetof(WillrBody, area) + sizeof(TaDequeSlot) * 2 * TA_DEQUE_SLOTS(TA_P(params, 0));
}

static void
WillrInit(void *body, const double *params)
{
	WillrBody  *b = body;

	TaDequeInit(&b->hi, TA_P(params, 0), 1);
	TaDequeInit(&b->lo, TA_P(params, 0), -1);
}

static ta_real
WillrValue(ta_real hh, ta_real ll, ta_real c)
{
	return TA_HAS(hh) ? RangePosition(c, ll, hh) - 100 : TA_NONE;
}

static void
WillrPush(void *body, const ta_real *in, ta_real *out)
{
	WillrBody  *b = body;
	ta_real		hh = TaDequePush(&b->hi, b->area, in[0], NULL);
	ta_real		ll = TaDequePush(&b->lo, b->area + TA_DEQUE_SLOTS(b->hi.p), in[1], NULL);

	out[0] = WillrValue(hh, ll, in[2]);
}

static void
WillrPeek(const void *body, const ta_real *in, ta_real *out)
{
	const WillrBody *b = body;
	ta_real		hh = TaDequePeek(&b->hi, b->area, in[0], NULL);
	ta_real		ll = TaDequePeek(&b->lo, b->area + TA_DEQUE_SLOTS(b->hi.p), in[1], NULL);

	out[0] = WillrValue(hh, ll, in[2]);
}

static bool
WillrCheck(const void *body, const double *params)
{
	const WillrBody *b = body;
	int			p = TA_P(params, 0);

	return TaDequeValid(&b->hi, b->area, p, 1) &&
		TaDequeValid(&b->lo, b->area + TA_DEQUE_SLOTS(p), p, -1) &&
		b->hi.next == b->lo.next;
}

static void
WillrBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeWillr(in[0], in[1], in[2], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(willr, "hlc", willr_params, one_value, Willr);

/*
 * ROC, MOM and LOGRET: the value p bars back, from a ring of the last p
 * closes.
 */
typedef struct LagBody
{
	TaRing		r;
	ta_real		slots[];
} LagBody;

static const TaStreamParam roc_params[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 10}
};
static const TaStreamParam logret_params[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 1}
};

typedef enum LagKind
{
	LAG_ROC,
	LAG_MOM,
	LAG_LOGRET
} LagKind;

static size_t
LagSize(const double *params)
{
	return offsetof(LagBody, slots) + sizeof(ta_real) * TA_P(params, 0);
}

static void
LagInit(void *body, const double *params)
{
	TaRingInit(&((LagBody *) body)->r, TA_P(params, 0));
}

/* the batch kernels' formulas, given x and the value p bars back */
static ta_real
LagValue(const LagBody *b, LagKind kind, ta_real x)
{
	ta_real		old;

	if (b->r.count < b->r.cap)
		return TA_NONE;
	old = TaRingOldest(&b->r, b->slots);
	switch (kind)
	{
		case LAG_ROC:
			return (old != 0) ? 100 * (x - old) / old : TA_NONE;
		case LAG_MOM:
			return x - old;
		case LAG_LOGRET:
			return log1pl((x - old) / old);
	}
	return TA_NONE;
}

static bool
LagCheck(const void *body, const double *params)
{
	return TaRingValid(&((const LagBody *) body)->r, TA_P(params, 0));
}

#define RocSize LagSize
#define RocInit LagInit
#define RocCheck LagCheck

static void
RocPush(void *body, const ta_real *in, ta_real *out)
{
	LagBody    *b = body;

	out[0] = LagValue(b, LAG_ROC, in[0]);
	TaRingPut(&b->r, b->slots, in[0]);
}

static void
RocPeek(const void *body, const ta_real *in, ta_real *out)
{
	out[0] = LagValue(body, LAG_ROC, in[0]);
}

static void
RocBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeRoc(in[0], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(roc, "c", roc_params, one_value, Roc);

#define MomSize LagSize
#define MomInit LagInit
#define MomCheck LagCheck

static void
MomPush(void *body, const ta_real *in, ta_real *out)
{
	LagBody    *b = body;

	out[0] = LagValue(b, LAG_MOM, in[0]);
	TaRingPut(&b->r, b->slots, in[0]);
}

static void
MomPeek(const void *body, const ta_real *in, ta_real *out)
{
	out[0] = LagValue(body, LAG_MOM, in[0]);
}

static void
MomBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeMom(in[0], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(mom, "c", roc_params, one_value, Mom);

#define LogretSize LagSize
#define LogretInit LagInit
#define LogretCheck LagCheck

static void
LogretPush(void *body, const ta_real *in, ta_real *out)
{
	LagBody    *b = body;

	out[0] = LagValue(b, LAG_LOGRET, in[0]);
	TaRingPut(&b->r, b->slots, in[0]);
}

static void
LogretPeek(const void *body, const ta_real *in, ta_real *out)
{
	out[0] = LagValue(body, LAG_LOGRET, in[0]);
}

static void
LogretBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeLogret(in[0], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(logret, "c", logret_params, one_value, Logret);

/* how many of the last k values of a ring are nonzero (sign 1: > 0, -1: < 0, 0: != 0) */
static int
CountNonzero(const TaRing *r, const ta_real *slots, int k, int sign)
{
	int			n = 0;

	for (int a = 1; a <= k; a++)
	{
		ta_real		v = TaRingAgo(r, slots, a);

		n += sign > 0 ? v > 0 : sign < 0 ? v < 0 : v != 0;
	}
	return n;
}

/* CMO: the previous close, the last p changes, their gain and loss sums */
typedef struct CmoBody
{
	int32_t		seen;
	int32_t		pad;
	ta_real		prev;
	RollSum		up;
	RollSum		dn;
	TaRing		r;
	ta_real		slots[];
} CmoBody;

static const TaStreamParam cmo_params[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 14}
};

static size_t
CmoSize(const double *params)
{
	return offsetof(CmoBody, slots) + sizeof(ta_real) * TA_P(params, 0);
}

static void
CmoInit(void *body, const double *params)
{
	CmoBody    *b = body;

	memset(b, 0, offsetof(CmoBody, slots));
	TaRingInit(&b->r, TA_P(params, 0));
}

/* ComputeCmo for one more close; the new change is stored by the caller */
static ta_real
CmoStep(CmoBody *h, const ta_real *slots, ta_real x, ta_real *d)
{
	int			p = h->r.cap;

	if (!h->seen)
	{
		h->seen = 1;
		h->prev = x;
		return TA_NONE;
	}
	*d = x - h->prev;
	h->prev = x;
	RollSumAdd(&h->up, *d > 0 ? *d : 0);
	RollSumAdd(&h->dn, *d < 0 ? -*d : 0);
	if (h->r.count == p)
	{
		ta_real		o = TaRingOldest(&h->r, slots);

		RollSumRemove(&h->up, o > 0 ? o : 0);
		RollSumRemove(&h->dn, o < 0 ? -o : 0);
	}
	if (h->r.count + 1 < p)
		return TA_NONE;
	return (h->up.nonzero + h->dn.nonzero > 0) ?
		100 * (h->up.sum - h->dn.sum) / (h->up.sum + h->dn.sum) : 0;
}

static void
CmoPush(void *body, const ta_real *in, ta_real *out)
{
	CmoBody    *b = body;
	bool		seen = b->seen;
	ta_real		d = 0;

	out[0] = CmoStep(b, b->slots, in[0], &d);
	if (seen)
		TaRingPut(&b->r, b->slots, d);
}

static void
CmoPeek(const void *body, const ta_real *in, ta_real *out)
{
	const CmoBody *b = body;
	CmoBody		h;
	ta_real		d = 0;

	memcpy(&h, b, offsetof(CmoBody, slots));
	out[0] = CmoStep(&h, b->slots, in[0], &d);
}

static bool
CmoCheck(const void *body, const double *params)
{
	const CmoBody *b = body;
	int			p = TA_P(params, 0);

	if (!FlagValid(b->seen) || !TaRingValid(&b->r, p) || (!b->seen && b->r.count > 0))
		return false;
	/* the sums hold exactly the ring's changes: their nonzero counts match */
	return b->up.nonzero == CountNonzero(&b->r, b->slots, b->r.count, 1) &&
		b->dn.nonzero == CountNonzero(&b->r, b->slots, b->r.count, -1);
}

static void
CmoBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeCmo(in[0], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(cmo, "c", cmo_params, one_value, Cmo);

/* TRIX: three chained EMAs and the previous triple-smoothed value */
typedef struct TrixBody
{
	TaEma		e[3];
	ta_real		prev;
} TrixBody;

static const TaStreamParam trix_params[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 30}
};

static size_t
TrixSize(const double *params)
{
	(void) params;
	return sizeof(TrixBody);
}

static void
TrixInit(void *body, const double *params)
{
	TrixBody   *b = body;

	for (int i = 0; i < 3; i++)
		TaEmaInit(&b->e[i], TA_P(params, 0), false);
	b->prev = TA_NONE;
}

static void
TrixPush(void *body, const ta_real *in, ta_real *out)
{
	TrixBody   *b = body;
	ta_real		e = TaEmaStep(&b->e[2], TaEmaStep(&b->e[1], TaEmaStep(&b->e[0], in[0])));

	out[0] = (TA_HAS(b->prev) && b->prev != 0) ? 100 * (e - b->prev) / b->prev : TA_NONE;
	b->prev = e;
}

static void
TrixPeek(const void *body, const ta_real *in, ta_real *out)
{
	TrixBody	b = *(const TrixBody *) body;

	TrixPush(&b, in, out);
}

static bool
TrixCheck(const void *body, const double *params)
{
	const TrixBody *b = body;

	for (int i = 0; i < 3; i++)
		if (!TaEmaValid(&b->e[i], TA_P(params, 0), false))
			return false;
	return true;
}

static void
TrixBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeTrix(in[0], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(trix, "x", trix_params, one_value, Trix);

/*
 * ULTOSC: the previous close, three pairs of rolling sums, and a ring of the
 * last max(p) buying pressures and true ranges (two slot arrays, one ring).
 */
typedef struct UltoscBody
{
	int32_t		p[3];			/* sorted */
	int32_t		seen;
	ta_real		prev;
	RollSum		bp[3];
	RollSum		tr[3];
	TaRing		r;
	ta_real		slots[];		/* pressures, then true ranges */
} UltoscBody;

static const TaStreamParam ultosc_params[] = {
	{"p1", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 7},
	{"p2", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 14},
	{"p3", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 28}
};

/* the periods sorted as ComputeUltosc sorts them */
static void
UltoscPeriods(const double *params, int32_t *p)
{
	for (int i = 0; i < 3; i++)
		p[i] = TA_P(params, i);
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (p[j] < p[i])
			{
				int32_t		tmp = p[i];

				p[i] = p[j];
				p[j] = tmp;
			}
}

static size_t
UltoscSize(const double *params)
{
	int32_t		p[3];

	UltoscPeriods(params, p);
	return offsetof(UltoscBody, slots) + sizeof(ta_real) * 2 * p[2];
}

static void
UltoscInit(void *body, const double *params)
{
	UltoscBody *b = body;

	memset(b, 0, offsetof(UltoscBody, slots));
	UltoscPeriods(params, b->p);
	TaRingInit(&b->r, b->p[2]);
}

/* ComputeUltosc for one more bar; the caller stores *bv and *tv */
static ta_real
UltoscStep(UltoscBody *h, const ta_real *slots, const ta_real *in, ta_real *bv,
		   ta_real *tv)
{
	const ta_real *ts = slots + h->r.cap;
	ta_real		lo,
				a[3];

	if (!h->seen)
	{
		h->seen = 1;
		h->prev = in[2];
		return TA_NONE;
	}
	lo = fminl(in[1], h->prev);
	*bv = in[2] - lo;
	*tv = fmaxl(in[0], h->prev) - lo;
	h->prev = in[2];
	for (int k = 0; k < 3; k++)
	{
		RollSumAdd(&h->bp[k], *bv);
		RollSumAdd(&h->tr[k], *tv);
		if (h->r.count >= h->p[k])
		{
			RollSumRemove(&h->bp[k], TaRingAgo(&h->r, slots, h->p[k]));
			RollSumRemove(&h->tr[k], TaRingAgo(&h->r, ts, h->p[k]));
		}
		a[k] = (h->tr[k].nonzero > 0) ? h->bp[k].sum / h->tr[k].sum : (ta_real) 0.5;
	}
	if (h->r.count + 1 < h->r.cap)
		return TA_NONE;
	return 100 * (4 * a[0] + 2 * a[1] + a[2]) / 7;
}

static void
UltoscPush(void *body, const ta_real *in, ta_real *out)
{
	UltoscBody *b = body;
	bool		seen = b->seen;
	ta_real		bv = 0,
				tv = 0;

	out[0] = UltoscStep(b, b->slots, in, &bv, &tv);
	if (seen)
	{
		/* both arrays share the ring's position: write the second first */
		b->slots[b->r.cap + b->r.pos] = tv;
		TaRingPut(&b->r, b->slots, bv);
	}
}

static void
UltoscPeek(const void *body, const ta_real *in, ta_real *out)
{
	const UltoscBody *b = body;
	UltoscBody	h;
	ta_real		bv = 0,
				tv = 0;

	memcpy(&h, b, offsetof(UltoscBody, slots));
	out[0] = UltoscStep(&h, b->slots, in, &bv, &tv);
}

static bool
UltoscCheck(const void *body, const double *params)
{
	const UltoscBody *b = body;
	int32_t		p[3];

	UltoscPeriods(params, p);
	if (!FlagValid(b->seen) || !TaRingValid(&b->r, p[2]) || (!b->seen && b->r.count > 0))
		return false;
	/* each pair of sums holds the ring's last p[k] values: nonzero counts match */
	for (int k = 0; k < 3; k++)
	{
		int			held = b->r.count < p[k] ? b->r.count : p[k];

		if (b->p[k] != p[k] ||
			b->bp[k].nonzero != CountNonzero(&b->r, b->slots, held, 0) ||
			b->tr[k].nonzero != CountNonzero(&b->r, b->slots + p[2], held, 0))
			return false;
	}
	return true;
}

static void
UltoscBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeUltosc(in[0], in[1], in[2], n, TA_P(params, 0), TA_P(params, 1),
				  TA_P(params, 2), out[0]);
}

TA_STREAM_DEFINE(ultosc, "hlc", ultosc_params, one_value, Ultosc);

/*
 * APO and PPO: two EMA legs, or two SMA legs with their rings (fast values,
 * then slow).  The flag "ema" stands for ap_apo's ma => 'ema' (1) or 'sma'.
 */
typedef struct PriceOscBody
{
	int32_t		ema;
	int32_t		pad;
	TaEma		ef;
	TaEma		es;
	TaSma		sf;
	TaSma		ss;
	ta_real		slots[];
} PriceOscBody;

static const TaStreamParam priceosc_params[] = {
	{"fast", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 12},
	{"slow", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 26},
	{"ema", TA_PARAM_FLAG, 0, 1, 1}
};

static size_t
PriceOscSize(const double *params)
{
	/* fast < slow, as ap_apo and ap_ppo */
	if (params[0] >= params[1])
		return 0;
	return offsetof(PriceOscBody, slots) +
		(params[2] != 0 ? 0 : sizeof(ta_real) * (TA_P(params, 0) + TA_P(params, 1)));
}

static void
PriceOscInit(void *body, const double *params)
{
	PriceOscBody *b = body;
	int			fast = TA_P(params, 0),
				slow = TA_P(params, 1);

	memset(b, 0, offsetof(PriceOscBody, slots));
	b->ema = params[2] != 0;
	TaEmaInit(&b->ef, fast, false);
	TaEmaInit(&b->es, slow, false);
	/* the SMA legs of an EMA body are never used (and have no slots) */
	TaSmaInit(&b->sf, b->ema ? 1 : fast);
	TaSmaInit(&b->ss, b->ema ? 1 : slow);
}

/* ComputePriceOsc for one more value, on h (a copy for peek) */
static ta_real
PriceOscStep(PriceOscBody *h, ta_real *slots, bool commit, bool percent, ta_real x)
{
	ta_real		f,
				s;

	if (h->ema)
	{
		f = TaEmaStep(&h->ef, x);
		s = TaEmaStep(&h->es, x);
	}
	else
	{
		f = TaSmaStep(&h->sf, slots, x);
		s = TaSmaStep(&h->ss, slots + h->sf.r.cap, x);
		if (commit)
		{
			TaSmaPut(&h->sf, slots, x);
			TaSmaPut(&h->ss, slots + h->sf.r.cap, x);
		}
	}
	if (!TA_HAS(s))
		return s;
	if (!percent)
		return f - s;
	return (s != 0) ? 100 * (f - s) / s : TA_NONE;
}

static void
PriceOscPeek(const void *body, bool percent, const ta_real *in, ta_real *out)
{
	const PriceOscBody *b = body;
	PriceOscBody h;

	memcpy(&h, b, offsetof(PriceOscBody, slots));
	out[0] = PriceOscStep(&h, (ta_real *) b->slots, false, percent, in[0]);
}

static bool
PriceOscCheck(const void *body, const double *params)
{
	const PriceOscBody *b = body;
	bool		ema = params[2] != 0;
	int			fast = TA_P(params, 0),
				slow = TA_P(params, 1);

	return b->ema == (int32_t) ema &&
		TaEmaValid(&b->ef, fast, false) && TaEmaValid(&b->es, slow, false) &&
		TaSmaValid(&b->sf, ema ? 1 : fast) && TaSmaValid(&b->ss, ema ? 1 : slow);
}

#define ApoSize PriceOscSize
#define ApoInit PriceOscInit
#define ApoCheck PriceOscCheck
#define PpoSize PriceOscSize
#define PpoInit PriceOscInit
#define PpoCheck PriceOscCheck

static void
ApoPush(void *body, const ta_real *in, ta_real *out)
{
	PriceOscBody *b = body;

	out[0] = PriceOscStep(b, b->slots, true, false, in[0]);
}

static void
ApoPeek(const void *body, const ta_real *in, ta_real *out)
{
	PriceOscPeek(body, false, in, out);
}

static void
ApoBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputePriceOsc(in[0], n, TA_P(params, 0), TA_P(params, 1), params[2] != 0, false,
					out[0]);
}

TA_STREAM_DEFINE(apo, "x", priceosc_params, one_value, Apo);

static void
PpoPush(void *body, const ta_real *in, ta_real *out)
{
	PriceOscBody *b = body;

	out[0] = PriceOscStep(b, b->slots, true, true, in[0]);
}

static void
PpoPeek(const void *body, const ta_real *in, ta_real *out)
{
	PriceOscPeek(body, true, in, out);
}

static void
PpoBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputePriceOsc(in[0], n, TA_P(params, 0), TA_P(params, 1), params[2] != 0, true,
					out[0]);
}

TA_STREAM_DEFINE(ppo, "x", priceosc_params, one_value, Ppo);

/*
 * AROON: deques of the highest high and lowest low over p + 1 bars, with
 * ages; n goes up to TA_STREAM_MAX_PERIOD like the others (one slot more).
 */
typedef struct AroonBody
{
	TaDeque		hi;
	TaDeque		lo;
	TaDequeSlot area[];
} AroonBody;

static const TaStreamParam aroon_params[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 14}
};
static const char *const aroon_outputs[] = {"up", "down", "osc"};

static size_t
AroonSize(const double *params)
{
	return offsetof(AroonBody, area) +
		sizeof(TaDequeSlot) * 2 * TA_DEQUE_SLOTS(TA_P(params, 0) + 1);
}

static void
AroonInit(void *body, const double *params)
{
	AroonBody  *b = body;

	TaDequeInit(&b->hi, TA_P(params, 0) + 1, 1);
	TaDequeInit(&b->lo, TA_P(params, 0) + 1, -1);
}

static void
AroonValue(int p, ta_real hv, int64_t age_h, int64_t age_l, ta_real *out)
{
	if (!TA_HAS(hv))
	{
		out[0] = out[1] = out[2] = TA_NONE;
		return;
	}
	out[0] = (ta_real) 100 * (p - age_h) / p;
	out[1] = (ta_real) 100 * (p - age_l) / p;
	out[2] = out[0] - out[1];
}

static void
AroonPush(void *body, const ta_real *in, ta_real *out)
{
	AroonBody  *b = body;
	int64_t		age_h = 0,
				age_l = 0;
	ta_real		hv = TaDequePush(&b->hi, b->area, in[0], &age_h);

	(void) TaDequePush(&b->lo, b->area + TA_DEQUE_SLOTS(b->hi.p), in[1], &age_l);
	AroonValue(b->hi.p - 1, hv, age_h, age_l, out);
}

static void
AroonPeek(const void *body, const ta_real *in, ta_real *out)
{
	const AroonBody *b = body;
	int64_t		age_h = 0,
				age_l = 0;
	ta_real		hv = TaDequePeek(&b->hi, b->area, in[0], &age_h);

	(void) TaDequePeek(&b->lo, b->area + TA_DEQUE_SLOTS(b->hi.p), in[1], &age_l);
	AroonValue(b->hi.p - 1, hv, age_h, age_l, out);
}

static bool
AroonCheck(const void *body, const double *params)
{
	const AroonBody *b = body;
	int			w = TA_P(params, 0) + 1;

	return TaDequeValid(&b->hi, b->area, w, 1) &&
		TaDequeValid(&b->lo, b->area + TA_DEQUE_SLOTS(w), w, -1) &&
		b->hi.next == b->lo.next;
}

static void
AroonBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeAroon(in[0], in[1], n, TA_P(params, 0), out[0], out[1], out[2]);
}

TA_STREAM_DEFINE(aroon, "hl", aroon_params, aroon_outputs, Aroon);

/*
 * LINREG_SLOPE: the last p values and the centred sums.  The batch kernel
 * recentres (re-summing the window) at its first row and every p rows after,
 * by row number; the state keeps that schedule, so a bar costs O(1)
 * amortised (O(p) on one bar in p).
 */
typedef struct LinregBody
{
	int64_t		i;				/* row number of the next value */
	ta_real		c;
	ta_real		s0;
	ta_real		s1;
	TaRing		r;
	ta_real		slots[];
} LinregBody;

static const TaStreamParam linreg_params[] = {
	{"n", TA_PARAM_PERIOD, 2, TA_STREAM_MAX_PERIOD, 14}
};

static size_t
LinregSize(const double *params)
{
	return offsetof(LinregBody, slots) + sizeof(ta_real) * TA_P(params, 0);
}

static void
LinregInit(void *body, const double *params)
{
	LinregBody *b = body;

	memset(b, 0, offsetof(LinregBody, slots));
	TaRingInit(&b->r, TA_P(params, 0));
}

/* ComputeLinregSlope's row i = h->i for value x; the caller stores x */
static ta_real
LinregStep(LinregBody *h, const ta_real *slots, ta_real x)
{
	int			p = h->r.cap;
	int64_t		i = h->i++;
	ta_real		denom = (ta_real) p * p * ((ta_real) p * p - 1) / 12;

	if (i < p - 1)
		return TA_NONE;
	if (i == p - 1 || (i % p) == 0)
	{
		h->c = x;
		h->s0 = h->s1 = 0;
		for (int j = 0; j < p; j++)
		{
			ta_real		v = (j < p - 1) ? TaRingAgo(&h->r, slots, p - 1 - j) : x;

			h->s0 += v - h->c;
			h->s1 += j * (v - h->c);
		}
	}
	else
	{
		ta_real		old = TaRingOldest(&h->r, slots) - h->c;
		ta_real		nw = x - h->c;

		h->s1 += -(h->s0 - old) + (ta_real) (p - 1) * nw;
		h->s0 += nw - old;
	}
	return (ta_real) p * (h->s1 - h->s0 * (ta_real) (p - 1) / 2) / denom;
}

static void
LinregSlopePush(void *body, const ta_real *in, ta_real *out)
{
	LinregBody *b = body;

	out[0] = LinregStep(b, b->slots, in[0]);
	TaRingPut(&b->r, b->slots, in[0]);
}

static void
LinregSlopePeek(const void *body, const ta_real *in, ta_real *out)
{
	const LinregBody *b = body;
	LinregBody	h;

	memcpy(&h, b, offsetof(LinregBody, slots));
	out[0] = LinregStep(&h, b->slots, in[0]);
}

static bool
LinregSlopeCheck(const void *body, const double *params)
{
	const LinregBody *b = body;
	int			p = TA_P(params, 0);

	/* the ring holds min(i, p) values */
	return TaRingValid(&b->r, p) && b->i >= 0 && b->i <= TA_STREAM_MAX_BARS &&
		b->r.count == (b->i < p ? b->i : p) && b->r.pos == b->i % p;
}

#define LinregSlopeSize LinregSize
#define LinregSlopeInit LinregInit

static void
LinregSlopeBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeLinregSlope(in[0], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(linreg_slope, "c", linreg_params, one_value, LinregSlope);
