/*
 * ta_volatility.c - true range, ATR, directional movement, dispersion,
 * channels and the parabolic SAR.
 */
#include <string.h>

#include "ta.h"
#include "ta_stream.h"

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
 * Rolling mean and variance over p values, one O(1) step per value shared by
 * ComputeVariance and its streaming form (no pass over the window, so no bar
 * costs O(p)).  The window's sums of differences from a centre c slide: the
 * new value added, the oldest removed.  Beside them, each block of p values
 * is summed afresh about the block's first value; when a block is complete it
 * is the window, and its sums replace the sliding ones.  So the sliding sums
 * carry at most p updates of rounding and every centre is one of the last 2p
 * values: the cancellation in s2 - s1^2/p is bounded by how far those values
 * spread compared with the window's deviation: ~1e-17 relative on real
 * bars; for at most 2p bars after a level shift of r deviations, about
 * p r^2 1e-19 (1e-9 at r = 2e4), as with the recentring pass this replaces.
 * A window whose values are all equal gives exactly 0: changes
 * counts the values in the window (not its first) that differ from the one
 * before.
 */
typedef struct VarSums
{
	int32_t		seen;			/* values so far, saturating at p */
	int32_t		pos;			/* values so far modulo p: place in the block */
	int32_t		changes;
	int32_t		pad;
	ta_real		c;				/* the window's centre and sums about it */
	ta_real		s1;
	ta_real		s2;
	ta_real		c2;				/* the block's first value and sums about it */
	ta_real		t1;
	ta_real		t2;
} VarSums;

static inline void
VarSumsInit(VarSums *v)
{
	memset(v, 0, sizeof(*v));
}

/*
 * Adds x.  full says p values were seen (v->seen == p, a constant in the
 * batch kernel's loops).  prev is the value before x (read when one was
 * seen), out the one leaving the window and next_out the one after that
 * (read when full; next_out is x itself when p = 1).  Mean and variance once
 * p are in, else TA_NONE.
 */
static inline __attribute__((always_inline)) void
VarSumsStep(VarSums *v, int p, bool sample, bool full, ta_real x, ta_real prev,
			ta_real out, ta_real next_out, ta_real *mean, ta_real *var)
{
	ta_real		d;

	if ((full || v->seen > 0) && x != prev)
		v->changes++;
	if (full && next_out != out)
		v->changes--;
	if (v->pos == 0)
	{
		v->c2 = x;
		v->t1 = v->t2 = 0;
	}
	d = x - v->c2;
	v->t1 += d;
	v->t2 += d * d;
	if (v->pos == p - 1)
	{
		v->c = v->c2;
		v->s1 = v->t1;
		v->s2 = v->t2;
	}
	else if (full)
	{
		ta_real		o = out - v->c;
		ta_real		w = x - v->c;

		v->s1 += w - o;
		v->s2 += w * w - o * o;
	}
	if (++v->pos == p)
		v->pos = 0;
	if (!full && ++v->seen < p)
	{
		*mean = *var = TA_NONE;
		return;
	}
	*mean = v->c + v->s1 / p;
	if (v->changes == 0 || p == 1)
		*var = 0;
	else
	{
		ta_real		m2 = v->s2 - v->s1 * v->s1 / p;

		*var = (m2 > 0 ? m2 : 0) / (sample ? p - 1 : p);
	}
}

void
ComputeVariance(const ta_real *x, int n, int p, bool sample, ta_real *mean,
				ta_real *var)
{
	int			f = FirstPresent(x, n);
	int			i = f;
	VarSums		v;

	VarSumsInit(&v);
	FillNone(mean, f);
	FillNone(var, f);
	/* the first p values, then the full windows: no branch on reads inside */
	for (; i < n && i - f < p; i++)
	{
		TA_POLL(i);
		VarSumsStep(&v, p, sample, false, x[i], i > f ? x[i - 1] : 0, 0, 0, &mean[i],
					&var[i]);
	}
	for (; i < n; i++)
	{
		TA_POLL(i);
		VarSumsStep(&v, p, sample, true, x[i], x[i - 1], x[i - p], x[i - p + 1],
					&mean[i], &var[i]);
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
 * One step per bar, shared by the batch kernel and its streaming form.
 */
typedef struct PsarState
{
	int32_t		is_long;
	int32_t		pad;
	ta_real		af;
	ta_real		ep;
	ta_real		sar;
	ta_real		new_high;
	ta_real		new_low;
} PsarState;

/* the state after bars 0 and 1 are known, before bar 1's step */
static inline void
PsarStart(PsarState *s, ta_real h0, ta_real l0, ta_real h1, ta_real l1, double accel)
{
	ta_real		dn = l0 - l1;
	ta_real		up = h1 - h0;

	s->is_long = !(dn > 0 && up < dn);
	s->pad = 0;
	s->af = accel;
	s->new_high = h0;
	s->new_low = l0;
	if (s->is_long)
	{
		s->ep = h1;
		s->sar = s->new_low;
	}
	else
	{
		s->ep = l1;
		s->sar = s->new_high;
	}
}

/* the SAR in force for bar (h, l); moves the state past it */
static inline ta_real
PsarStep(PsarState *s, ta_real h, ta_real l, double accel, double max_accel)
{
	ta_real		prev_low = s->new_low;
	ta_real		prev_high = s->new_high;
	ta_real		out;

	s->new_low = l;
	s->new_high = h;
	if (s->is_long)
	{
		if (s->new_low <= s->sar)
		{
			s->is_long = false;
			s->sar = fmaxl(s->ep, fmaxl(prev_high, s->new_high));
			out = s->sar;
			s->af = accel;
			s->ep = s->new_low;
			s->sar = fmaxl(s->sar + s->af * (s->ep - s->sar), fmaxl(prev_high, s->new_high));
		}
		else
		{
			out = s->sar;
			if (s->new_high > s->ep)
			{
				s->ep = s->new_high;
				s->af = fmin(s->af + accel, max_accel);
			}
			s->sar = fminl(s->sar + s->af * (s->ep - s->sar), fminl(prev_low, s->new_low));
		}
	}
	else
	{
		if (s->new_high >= s->sar)
		{
			s->is_long = true;
			s->sar = fminl(s->ep, fminl(prev_low, s->new_low));
			out = s->sar;
			s->af = accel;
			s->ep = s->new_high;
			s->sar = fminl(s->sar + s->af * (s->ep - s->sar), fminl(prev_low, s->new_low));
		}
		else
		{
			out = s->sar;
			if (s->new_low < s->ep)
			{
				s->ep = s->new_low;
				s->af = fmin(s->af + accel, max_accel);
			}
			s->sar = fmaxl(s->sar + s->af * (s->ep - s->sar), fmaxl(prev_high, s->new_high));
		}
	}
	return out;
}

void
ComputePsar(const ta_real *h, const ta_real *l, int n, double accel, double max_accel,
			ta_real *out)
{
	PsarState	s;

	FillNone(out, n);
	if (n < 2)
		return;
	PsarStart(&s, h[0], l[0], h[1], l[1], accel);
	for (int i = 1; i < n; i++)
	{
		TA_POLL(i);
		out[i] = PsarStep(&s, h[i], l[i], accel, max_accel);
	}
}

/*
 * Streaming forms (ta_stream.h).  Each replays its batch kernel's arithmetic
 * in the same order (PSAR shares its step); test/unit/test_stream.c proves
 * them equal bit for bit.  Inputs h, l, c hold only present values, as the
 * batch kernels' do; series a batch kernel starts at FirstPresent start at
 * their first present value here too.
 */

static const char *const one_value[] = {"value"};
static const TaStreamParam atr_param[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 14}
};
static const TaStreamParam window_param[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 20}
};

static bool
FlagValid(int32_t f)
{
	return f == 0 || f == 1;
}

/* true range of (h, l) against the previous close (TA_NONE on the first bar) */
typedef struct TrState
{
	int32_t		seen;
	int32_t		pad;
	ta_real		prev_close;
} TrState;

static inline ta_real
TrStep(TrState *t, ta_real h, ta_real l, ta_real c)
{
	ta_real		tr = t->seen ? fmaxl(h, t->prev_close) - fminl(l, t->prev_close) : TA_NONE;

	t->seen = 1;
	t->prev_close = c;
	return tr;
}

/* TRANGE */
static size_t
TrangeSize(const double *params)
{
	(void) params;
	return sizeof(TrState);
}

static void
TrangeInit(void *body, const double *params)
{
	(void) params;
	memset(body, 0, sizeof(TrState));
}

static void
TrangePush(void *body, const ta_real *in, ta_real *out)
{
	out[0] = TrStep(body, in[0], in[1], in[2]);
}

static void
TrangePeek(const void *body, const ta_real *in, ta_real *out)
{
	TrState		t = *(const TrState *) body;

	TrangePush(&t, in, out);
}

static bool
TrangeCheck(const void *body, const double *params)
{
	(void) params;
	return FlagValid(((const TrState *) body)->seen);
}

static void
TrangeBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	(void) params;
	ComputeTrange(in[0], in[1], in[2], n, out[0]);
}

const TaStreamKernel ta_stream_trange = {
	"trange", "hlc", 0, NULL, 1, one_value,
	TrangeSize, TrangeInit, TrangePush, TrangePeek, TrangeCheck, TrangeBatch
};

/* ATR and NATR: Wilder's average of the true range (no ring) */
typedef struct AtrBody
{
	TrState		tr;
	TaEma		atr;
} AtrBody;

static void
AtrBodyInit(AtrBody *b, int p)
{
	memset(&b->tr, 0, sizeof(b->tr));
	TaEmaInit(&b->atr, p, true);
}

static inline ta_real
AtrStep(AtrBody *b, ta_real h, ta_real l, ta_real c)
{
	return TaEmaStep(&b->atr, TrStep(&b->tr, h, l, c));
}

static bool
AtrBodyValid(const AtrBody *b, int p)
{
	return FlagValid(b->tr.seen) && TaEmaValid(&b->atr, p, true);
}

static size_t
AtrSize(const double *params)
{
	(void) params;
	return sizeof(AtrBody);
}

static void
AtrInit(void *body, const double *params)
{
	AtrBodyInit(body, TA_P(params, 0));
}

static void
AtrPush(void *body, const ta_real *in, ta_real *out)
{
	out[0] = AtrStep(body, in[0], in[1], in[2]);
}

static void
AtrPeek(const void *body, const ta_real *in, ta_real *out)
{
	AtrBody		b = *(const AtrBody *) body;

	AtrPush(&b, in, out);
}

static bool
AtrCheck(const void *body, const double *params)
{
	return AtrBodyValid(body, TA_P(params, 0));
}

static void
AtrBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeAtr(in[0], in[1], in[2], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(atr, "hlc", atr_param, one_value, Atr);

#define NatrSize AtrSize
#define NatrInit AtrInit
#define NatrCheck AtrCheck

static void
NatrPush(void *body, const ta_real *in, ta_real *out)
{
	ta_real		atr = AtrStep(body, in[0], in[1], in[2]);

	if (TA_HAS(atr))
		atr = (in[2] != 0) ? 100 * atr / in[2] : TA_NONE;
	out[0] = atr;
}

static void
NatrPeek(const void *body, const ta_real *in, ta_real *out)
{
	AtrBody		b = *(const AtrBody *) body;

	NatrPush(&b, in, out);
}

static void
NatrBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeNatr(in[0], in[1], in[2], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(natr, "hlc", atr_param, one_value, Natr);

/*
 * DMI: Wilder sums (WilderSum) of +DM, -DM and the true range, then Wilder's
 * average of DX for ADX.  No ring.
 */
typedef struct WsumState
{
	int32_t		started;
	int32_t		count;			/* values summed, saturating at p */
	ta_real		sum;			/* the first p - 1 values, then the last sum */
} WsumState;

static inline ta_real
WsumStep(WsumState *w, int p, ta_real x)
{
	ta_real		keep = (ta_real) (p - 1) / p;

	if (!w->started)
	{
		if (!TA_HAS(x))
			return TA_NONE;
		w->started = 1;
	}
	if (w->count < p - 1)
	{
		w->count++;
		w->sum += x;
		return TA_NONE;
	}
	w->sum = x + w->sum * keep;
	w->count = p;
	return w->sum;
}

static bool
WsumValid(const WsumState *w, int p)
{
	return FlagValid(w->started) && w->count >= 0 && w->count <= p &&
		(w->started || w->count == 0);
}

static const char *const dmi_outputs[] = {"plus_di", "minus_di", "adx"};

typedef struct DmiBody
{
	int32_t		seen;
	int32_t		p;
	ta_real		prev_high;
	ta_real		prev_low;
	TrState		tr;
	WsumState	pdm;
	WsumState	mdm;
	WsumState	trs;
	TaEma		adx;
} DmiBody;

static size_t
DmiSize(const double *params)
{
	(void) params;
	return sizeof(DmiBody);
}

static void
DmiInit(void *body, const double *params)
{
	DmiBody    *b = body;

	memset(b, 0, sizeof(*b));
	b->p = TA_P(params, 0);
	TaEmaInit(&b->adx, b->p, true);
}

static void
DmiPush(void *body, const ta_real *in, ta_real *out)
{
	DmiBody    *b = body;
	ta_real		pdm = TA_NONE,
				mdm = TA_NONE,
				tr = TrStep(&b->tr, in[0], in[1], in[2]),
				dx = TA_NONE;

	if (b->seen)
	{
		ta_real		up = in[0] - b->prev_high;
		ta_real		dn = b->prev_low - in[1];

		pdm = (up > dn && up > 0) ? up : 0;
		mdm = (dn > up && dn > 0) ? dn : 0;
	}
	b->seen = 1;
	b->prev_high = in[0];
	b->prev_low = in[1];
	pdm = WsumStep(&b->pdm, b->p, pdm);
	mdm = WsumStep(&b->mdm, b->p, mdm);
	tr = WsumStep(&b->trs, b->p, tr);
	if (!TA_HAS(tr))
		out[0] = out[1] = TA_NONE;
	else
	{
		ta_real		pd = (tr > 0) ? 100 * pdm / tr : 0;
		ta_real		md = (tr > 0) ? 100 * mdm / tr : 0;

		out[0] = pd;
		out[1] = md;
		dx = (pd + md > 0) ? 100 * fabsl(pd - md) / (pd + md) : 0;
	}
	out[2] = TaEmaStep(&b->adx, dx);
}

static void
DmiPeek(const void *body, const ta_real *in, ta_real *out)
{
	DmiBody		b = *(const DmiBody *) body;

	DmiPush(&b, in, out);
}

static bool
DmiCheck(const void *body, const double *params)
{
	const DmiBody *b = body;
	int			p = TA_P(params, 0);

	return FlagValid(b->seen) && b->p == p && FlagValid(b->tr.seen) &&
		WsumValid(&b->pdm, p) && WsumValid(&b->mdm, p) && WsumValid(&b->trs, p) &&
		TaEmaValid(&b->adx, p, true);
}

static void
DmiBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeDmi(in[0], in[1], in[2], n, TA_P(params, 0), out[0], out[1], out[2]);
}

TA_STREAM_DEFINE(dmi, "hlc", atr_param, dmi_outputs, Dmi);

/* VarSums and the last p values (from the first present one) in a ring */
typedef struct VarState
{
	TaRing		r;
	int32_t		started;
	int32_t		pad;
	VarSums		v;
} VarState;

static void
VarInit(VarState *v, int p)
{
	memset(v, 0, sizeof(*v));
	TaRingInit(&v->r, p);
	VarSumsInit(&v->v);
}

/*
 * Updates v's scalars for x, reading its ring as it was (VarPut then stores
 * x): ComputeVariance's step with the values it reads from its array.
 */
static inline void
VarStep(VarState *v, const ta_real *slots, ta_real x, bool sample, ta_real *mean,
		ta_real *var)
{
	const TaRing *r = &v->r;
	int			p = r->cap;
	bool		full = v->v.seen == p;

	if (!v->started)
	{
		*mean = *var = TA_NONE;
		if (!TA_HAS(x))
			return;
		v->started = 1;
	}
	VarSumsStep(&v->v, p, sample, full, x, v->v.seen > 0 ? TaRingAgo(r, slots, 1) : 0,
				full ? TaRingOldest(r, slots) : 0,
				full ? (p == 1 ? x : TaRingAgo(r, slots, p - 1)) : 0, mean, var);
}

static inline void
VarPut(VarState *v, ta_real *slots, ta_real x)
{
	if (v->started)
		TaRingPut(&v->r, slots, x);
}

static bool
VarValid(const VarState *v, int p)
{
	const VarSums *s = &v->v;

	return TaRingValid(&v->r, p) && FlagValid(v->started) &&
		s->seen >= 0 && s->seen <= p && s->pos >= 0 && s->pos < p &&
		(s->seen == p || s->pos == s->seen) && v->r.count == s->seen &&
		(v->started || s->seen == 0) &&
		s->changes >= 0 && s->changes <= (s->seen > 0 ? s->seen - 1 : 0);
}

/*
 * VAR (mean and variance) and STDDEV: one VarState and its ring.  Push and
 * peek receive no parameters: the flag is kept in the body.
 */
typedef struct VarBody
{
	int32_t		sample;
	int32_t		pad;
	VarState	v;
	ta_real		slots[];
} VarBody;

static const char *const var_outputs[] = {"mean", "var"};
static const TaStreamParam var_params[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 20},
	{"sample", TA_PARAM_FLAG, 0, 1, 0}
};

/* a sample statistic needs two values (ap_var and ap_stddev refuse n = 1) */
static size_t
VarSize(const double *params)
{
	if (params[1] != 0 && TA_P(params, 0) < 2)
		return 0;
	return offsetof(VarBody, slots) + sizeof(ta_real) * TA_P(params, 0);
}

static void
VarKernelInit(void *body, const double *params)
{
	VarBody    *b = body;

	b->sample = params[1] != 0;
	b->pad = 0;
	VarInit(&b->v, TA_P(params, 0));
}

static void
VarPush(void *body, const ta_real *in, ta_real *out)
{
	VarBody    *b = body;

	VarStep(&b->v, b->slots, in[0], b->sample, &out[0], &out[1]);
	VarPut(&b->v, b->slots, in[0]);
}

static void
VarPeek(const void *body, const ta_real *in, ta_real *out)
{
	const VarBody *b = body;
	VarState	v = b->v;

	VarStep(&v, b->slots, in[0], b->sample, &out[0], &out[1]);
}

static bool
VarCheck(const void *body, const double *params)
{
	const VarBody *b = body;

	return b->sample == (params[1] != 0) && VarValid(&b->v, TA_P(params, 0));
}

static void
VarBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeVariance(in[0], n, TA_P(params, 0), params[1] != 0, out[0], out[1]);
}

const TaStreamKernel ta_stream_var = {
	"var", "x", TA_LENGTHOF(var_params), var_params, TA_LENGTHOF(var_outputs), var_outputs,
	VarSize, VarKernelInit, VarPush, VarPeek, VarCheck, VarBatch
};

/* STDDEV: the square root of VAR's variance, as ap_stddev takes it */
#define StddevSize VarSize
#define StddevInit VarKernelInit
#define StddevCheck VarCheck

static void
StddevPush(void *body, const ta_real *in, ta_real *out)
{
	ta_real		mv[2];

	VarPush(body, in, mv);
	out[0] = sqrtl(mv[1]);
}

static void
StddevPeek(const void *body, const ta_real *in, ta_real *out)
{
	ta_real		mv[2];

	VarPeek(body, in, mv);
	out[0] = sqrtl(mv[1]);
}

static void
StddevBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ta_real    *mean = TaAlloc(sizeof(ta_real) * (n > 0 ? n : 1));

	ComputeVariance(in[0], n, TA_P(params, 0), params[1] != 0, mean, out[0]);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		out[0][i] = sqrtl(out[0][i]);
	}
	TaFree(mean);
}

TA_STREAM_DEFINE(stddev, "x", var_params, one_value, Stddev);

/* BBANDS: population variance about the SMA, k kept in the body */
typedef struct BbandsBody
{
	double		k;
	VarState	v;
	ta_real		slots[];
} BbandsBody;

static const char *const bbands_outputs[] = {"lower", "middle", "upper", "bandwidth", "percent_b"};
static const TaStreamParam bbands_params[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 20},
	{"k", TA_PARAM_REAL, 0, 1e6, 2}
};

static size_t
BbandsSize(const double *params)
{
	return offsetof(BbandsBody, slots) + sizeof(ta_real) * TA_P(params, 0);
}

static void
BbandsInit(void *body, const double *params)
{
	BbandsBody *b = body;

	b->k = params[1];
	VarInit(&b->v, TA_P(params, 0));
}

/* ComputeBbands' arithmetic for one bar */
static void
BbandsOut(double k, ta_real x, ta_real middle, ta_real var, ta_real *out)
{
	ta_real		sd,
				lower,
				upper;

	if (!TA_HAS(middle))
	{
		out[0] = out[1] = out[2] = out[3] = out[4] = TA_NONE;
		return;
	}
	sd = sqrtl(var);
	upper = middle + k * sd;
	lower = middle - k * sd;
	out[0] = lower;
	out[1] = middle;
	out[2] = upper;
	out[3] = (middle != 0) ? (upper - lower) / middle : TA_NONE;
	out[4] = (k * sd > 0) ? (x - middle + k * sd) / (2 * k * sd) : (ta_real) 0.5;
}

static void
BbandsPush(void *body, const ta_real *in, ta_real *out)
{
	BbandsBody *b = body;
	ta_real		middle,
				var;

	VarStep(&b->v, b->slots, in[0], false, &middle, &var);
	VarPut(&b->v, b->slots, in[0]);
	BbandsOut(b->k, in[0], middle, var, out);
}

static void
BbandsPeek(const void *body, const ta_real *in, ta_real *out)
{
	const BbandsBody *b = body;
	VarState	v = b->v;
	ta_real		middle,
				var;

	VarStep(&v, b->slots, in[0], false, &middle, &var);
	BbandsOut(b->k, in[0], middle, var, out);
}

static bool
BbandsCheck(const void *body, const double *params)
{
	const BbandsBody *b = body;

	return b->k == params[1] && VarValid(&b->v, TA_P(params, 0));
}

static void
BbandsBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeBbands(in[0], n, TA_P(params, 0), params[1], out[0], out[1], out[2], out[3],
				  out[4]);
}

TA_STREAM_DEFINE(bbands, "x", bbands_params, bbands_outputs, Bbands);

/* ZSCORE: distance from the window mean in population standard deviations */
typedef struct ZscoreBody
{
	VarState	v;
	ta_real		slots[];
} ZscoreBody;

static size_t
ZscoreSize(const double *params)
{
	return offsetof(ZscoreBody, slots) + sizeof(ta_real) * TA_P(params, 0);
}

static void
ZscoreInit(void *body, const double *params)
{
	VarInit(&((ZscoreBody *) body)->v, TA_P(params, 0));
}

static ta_real
ZscoreOut(ta_real x, ta_real mean, ta_real var)
{
	if (TA_HAS(var))
		var = (var > 0) ? (x - mean) / sqrtl(var) : 0;
	return var;
}

static void
ZscorePush(void *body, const ta_real *in, ta_real *out)
{
	ZscoreBody *b = body;
	ta_real		mean,
				var;

	VarStep(&b->v, b->slots, in[0], false, &mean, &var);
	VarPut(&b->v, b->slots, in[0]);
	out[0] = ZscoreOut(in[0], mean, var);
}

static void
ZscorePeek(const void *body, const ta_real *in, ta_real *out)
{
	const ZscoreBody *b = body;
	VarState	v = b->v;
	ta_real		mean,
				var;

	VarStep(&v, b->slots, in[0], false, &mean, &var);
	out[0] = ZscoreOut(in[0], mean, var);
}

static bool
ZscoreCheck(const void *body, const double *params)
{
	return VarValid(&((const ZscoreBody *) body)->v, TA_P(params, 0));
}

static void
ZscoreBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeZscore(in[0], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(zscore, "x", window_param, one_value, Zscore);

/* KELTNER: EMA of the close, ATR of period atr_n; mult kept in the body */
typedef struct KeltnerBody
{
	double		mult;
	TaEma		mid;
	AtrBody		atr;
} KeltnerBody;

static const char *const band_outputs[] = {"lower", "middle", "upper"};
static const TaStreamParam keltner_params[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 20},
	{"mult", TA_PARAM_REAL, 0, 1e6, 2},
	{"atr_n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 10}
};

static size_t
KeltnerSize(const double *params)
{
	(void) params;
	return sizeof(KeltnerBody);
}

static void
KeltnerInit(void *body, const double *params)
{
	KeltnerBody *b = body;

	b->mult = params[1];
	TaEmaInit(&b->mid, TA_P(params, 0), false);
	AtrBodyInit(&b->atr, TA_P(params, 2));
}

static void
KeltnerPush(void *body, const ta_real *in, ta_real *out)
{
	KeltnerBody *b = body;
	ta_real		middle = TaEmaStep(&b->mid, in[2]);
	ta_real		atr = AtrStep(&b->atr, in[0], in[1], in[2]);

	if (!TA_HAS(middle) || !TA_HAS(atr))
	{
		out[0] = out[1] = out[2] = TA_NONE;
		return;
	}
	out[0] = middle - b->mult * atr;
	out[1] = middle;
	out[2] = middle + b->mult * atr;
}

static void
KeltnerPeek(const void *body, const ta_real *in, ta_real *out)
{
	KeltnerBody b = *(const KeltnerBody *) body;

	KeltnerPush(&b, in, out);
}

static bool
KeltnerCheck(const void *body, const double *params)
{
	const KeltnerBody *b = body;

	return b->mult == params[1] && TaEmaValid(&b->mid, TA_P(params, 0), false) &&
		AtrBodyValid(&b->atr, TA_P(params, 2));
}

static void
KeltnerBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeKeltner(in[0], in[1], in[2], n, TA_P(params, 0), params[1], TA_P(params, 2),
				   out[0], out[1], out[2]);
}

TA_STREAM_DEFINE(keltner, "hlc", keltner_params, band_outputs, Keltner);

/* DONCHIAN: deques of the highest high and lowest low (ComputeRollingMax/Min) */
typedef struct DonchianBody
{
	int32_t		started_high;
	int32_t		started_low;
	TaDeque		high;
	TaDeque		low;
	TaDequeSlot slots[];		/* p + 1 for high, then p + 1 for low */
} DonchianBody;

static size_t
DonchianSize(const double *params)
{
	return offsetof(DonchianBody, slots) +
		sizeof(TaDequeSlot) * 2 * TA_DEQUE_SLOTS(TA_P(params, 0));
}

static void
DonchianInit(void *body, const double *params)
{
	DonchianBody *b = body;

	b->started_high = b->started_low = 0;
	TaDequeInit(&b->high, TA_P(params, 0), 1);
	TaDequeInit(&b->low, TA_P(params, 0), -1);
}

static void
DonchianOut(ta_real upper, ta_real lower, ta_real *out)
{
	out[0] = lower;
	out[1] = TA_HAS(upper) ? (upper + lower) / 2 : TA_NONE;
	out[2] = upper;
}

static void
DonchianPush(void *body, const ta_real *in, ta_real *out)
{
	DonchianBody *b = body;
	TaDequeSlot *low_slots = b->slots + TA_DEQUE_SLOTS(b->high.p);
	ta_real		upper = TA_NONE,
				lower = TA_NONE;

	b->started_high |= TA_HAS(in[0]);
	b->started_low |= TA_HAS(in[1]);
	if (b->started_high)
		upper = TaDequePush(&b->high, b->slots, in[0], NULL);
	if (b->started_low)
		lower = TaDequePush(&b->low, low_slots, in[1], NULL);
	DonchianOut(upper, lower, out);
}

static void
DonchianPeek(const void *body, const ta_real *in, ta_real *out)
{
	const DonchianBody *b = body;
	const TaDequeSlot *low_slots = b->slots + TA_DEQUE_SLOTS(b->high.p);
	ta_real		upper = TA_NONE,
				lower = TA_NONE;

	if (b->started_high || TA_HAS(in[0]))
		upper = TaDequePeek(&b->high, b->slots, in[0], NULL);
	if (b->started_low || TA_HAS(in[1]))
		lower = TaDequePeek(&b->low, low_slots, in[1], NULL);
	DonchianOut(upper, lower, out);
}

static bool
DonchianCheck(const void *body, const double *params)
{
	const DonchianBody *b = body;
	int			p = TA_P(params, 0);

	return FlagValid(b->started_high) && FlagValid(b->started_low) &&
		TaDequeValid(&b->high, b->slots, p, 1) &&
		TaDequeValid(&b->low, b->slots + TA_DEQUE_SLOTS(p), p, -1) &&
		(b->started_high || b->high.next == 0) && (b->started_low || b->low.next == 0);
}

static void
DonchianBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeDonchian(in[0], in[1], n, TA_P(params, 0), out[0], out[1], out[2]);
}

TA_STREAM_DEFINE(donchian, "hl", window_param, band_outputs, Donchian);

/* PSAR: the first bar, then PsarStep's state; accel and max_accel in the body */
typedef struct PsarBody
{
	int32_t		bars;			/* bars seen, saturating at 2 */
	int32_t		pad;
	double		accel;
	double		max_accel;
	ta_real		h0;
	ta_real		l0;
	PsarState	s;
} PsarBody;

static const TaStreamParam psar_params[] = {
	{"accel", TA_PARAM_REAL, 1e-9, 1, 0.02},
	{"max_accel", TA_PARAM_REAL, 1e-9, 1, 0.2}
};

/* max_accel may not be below accel (as ap_psar refuses) */
static size_t
PsarSize(const double *params)
{
	return params[1] >= params[0] ? sizeof(PsarBody) : 0;
}

static void
PsarInit(void *body, const double *params)
{
	PsarBody   *b = body;

	memset(b, 0, sizeof(*b));
	b->accel = params[0];
	b->max_accel = params[1];
}

static void
PsarPush(void *body, const ta_real *in, ta_real *out)
{
	PsarBody   *b = body;

	if (b->bars == 0)
	{
		b->h0 = in[0];
		b->l0 = in[1];
		b->bars = 1;
		out[0] = TA_NONE;
		return;
	}
	if (b->bars == 1)
	{
		PsarStart(&b->s, b->h0, b->l0, in[0], in[1], b->accel);
		b->bars = 2;
	}
	out[0] = PsarStep(&b->s, in[0], in[1], b->accel, b->max_accel);
}

static void
PsarPeek(const void *body, const ta_real *in, ta_real *out)
{
	PsarBody	b = *(const PsarBody *) body;

	PsarPush(&b, in, out);
}

static bool
PsarCheck(const void *body, const double *params)
{
	const PsarBody *b = body;

	return b->bars >= 0 && b->bars <= 2 && b->accel == params[0] &&
		b->max_accel == params[1] && FlagValid(b->s.is_long);
}

static void
PsarBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputePsar(in[0], in[1], n, params[0], params[1], out[0]);
}

TA_STREAM_DEFINE(psar, "hl", psar_params, one_value, Psar);
