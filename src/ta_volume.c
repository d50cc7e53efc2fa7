/*
 * ta_volume.c - volume indicators: OBV, the Chaikin A/D line and oscillator,
 * Chaikin money flow and the money flow index.
 */
#include "ta.h"
#include "ta_stream.h"

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

/*
 * Streaming forms (ta_stream.h), replaying the batch arithmetic above in the
 * same order; test/unit/test_stream.c proves them equal bit for bit.
 */

static const char *const one_value[] = {"value"};
static const TaStreamParam period_param[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 20}
};

/* OBV: the running total and the previous close */
typedef struct ObvBody
{
	int32_t		seen;			/* 0 before the first bar, then 1 */
	int32_t		pad;
	ta_real		obv;
	ta_real		prev;
} ObvBody;

static size_t
ObvSize(const double *params)
{
	(void) params;
	return sizeof(ObvBody);
}

static void
ObvInit(void *body, const double *params)
{
	(void) params;
	*(ObvBody *) body = (ObvBody) {0, 0, 0, 0};
}

static void
ObvPush(void *body, const ta_real *in, ta_real *out)
{
	ObvBody    *b = body;

	if (!b->seen)
		b->obv = in[1];
	else if (in[0] > b->prev)
		b->obv += in[1];
	else if (in[0] < b->prev)
		b->obv -= in[1];
	b->seen = 1;
	b->prev = in[0];
	out[0] = b->obv;
}

static void
ObvPeek(const void *body, const ta_real *in, ta_real *out)
{
	ObvBody		b = *(const ObvBody *) body;

	ObvPush(&b, in, out);
}

static bool
ObvCheck(const void *body, const double *params)
{
	int32_t		seen = ((const ObvBody *) body)->seen;

	(void) params;
	return seen == 0 || seen == 1;
}

static void
ObvBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	(void) params;
	ComputeObv(in[0], in[1], n, out[0]);
}

const TaStreamKernel ta_stream_obv = {
	"obv", "cv", 0, NULL, 1, one_value,
	ObvSize, ObvInit, ObvPush, ObvPeek, ObvCheck, ObvBatch
};

/* AD: the running total; ADOSC: that total through two EMAs */
typedef struct AdBody
{
	int32_t		fast;			/* ADOSC's periods; 0 for AD */
	int32_t		slow;
	ta_real		ad;
	TaEma		ef;
	TaEma		es;
} AdBody;

static const TaStreamParam adosc_params[] = {
	{"fast", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 3},
	{"slow", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 10}
};

static size_t
AdSize(const double *params)
{
	(void) params;
	return sizeof(AdBody);
}

static void
AdInit(void *body, const double *params)
{
	AdBody	   *b = body;

	(void) params;
	memset(b, 0, sizeof(AdBody));
}

static void
AdPush(void *body, const ta_real *in, ta_real *out)
{
	AdBody	   *b = body;

	b->ad += MoneyFlowVolume(in[0], in[1], in[2], in[3]);
	out[0] = b->ad;
}

static void
AdPeek(const void *body, const ta_real *in, ta_real *out)
{
	AdBody		b = *(const AdBody *) body;

	AdPush(&b, in, out);
}

static bool
AdCheck(const void *body, const double *params)
{
	const AdBody *b = body;

	(void) params;
	return b->fast == 0 && b->slow == 0;
}

static void
AdBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	(void) params;
	ComputeAd(in[0], in[1], in[2], in[3], n, out[0]);
}

const TaStreamKernel ta_stream_ad = {
	"ad", "hlcv", 0, NULL, 1, one_value,
	AdSize, AdInit, AdPush, AdPeek, AdCheck, AdBatch
};

static size_t
AdoscSize(const double *params)
{
	/* fast must be less than slow, as ap_adosc */
	return params[0] < params[1] ? sizeof(AdBody) : 0;
}

static void
AdoscInit(void *body, const double *params)
{
	AdBody	   *b = body;

	memset(b, 0, sizeof(AdBody));
	b->fast = TA_P(params, 0);
	b->slow = TA_P(params, 1);
	TaEmaInit(&b->ef, b->fast, false);
	TaEmaInit(&b->es, b->slow, false);
}

/* ComputePriceOsc(ad, fast, slow, ema, not percent) for one bar */
static void
AdoscPush(void *body, const ta_real *in, ta_real *out)
{
	AdBody	   *b = body;
	ta_real		f,
				s;

	b->ad += MoneyFlowVolume(in[0], in[1], in[2], in[3]);
	f = TaEmaStep(&b->ef, b->ad);
	s = TaEmaStep(&b->es, b->ad);
	out[0] = TA_HAS(s) ? f - s : s;
}

static void
AdoscPeek(const void *body, const ta_real *in, ta_real *out)
{
	AdBody		b = *(const AdBody *) body;

	AdoscPush(&b, in, out);
}

static bool
AdoscCheck(const void *body, const double *params)
{
	const AdBody *b = body;

	return b->fast == TA_P(params, 0) && b->slow == TA_P(params, 1) &&
		TaEmaValid(&b->ef, b->fast, false) && TaEmaValid(&b->es, b->slow, false);
}

static void
AdoscBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeAdosc(in[0], in[1], in[2], in[3], n, TA_P(params, 0), TA_P(params, 1), out[0]);
}

TA_STREAM_DEFINE(adosc, "hlcv", adosc_params, one_value, Adosc);

/* CMF: the last p money-flow volumes and volumes, their sums */
typedef struct CmfBody
{
	TaRing		r;				/* cap p; flows in slots[0..p), volumes after */
	RollSum		mf;
	RollSum		sv;
	ta_real		slots[];
} CmfBody;

static size_t
CmfSize(const double *params)
{
	return offsetof(CmfBody, slots) + sizeof(ta_real) * 2 * TA_P(params, 0);
}

static void
CmfInit(void *body, const double *params)
{
	CmfBody    *b = body;

	TaRingInit(&b->r, TA_P(params, 0));
	b->mf = b->sv = (RollSum) {0, 0};
}

/* ComputeCmf's loop for one bar, on copies of the sums */
static inline ta_real
CmfStep(const CmfBody *b, RollSum *mf, RollSum *sv, ta_real flow, ta_real v)
{
	int			p = b->r.cap;

	RollSumAdd(mf, flow);
	RollSumAdd(sv, v);
	if (b->r.count == p)
	{
		RollSumRemove(mf, b->slots[b->r.pos]);
		RollSumRemove(sv, b->slots[p + b->r.pos]);
	}
	if (b->r.count + 1 < p)
		return TA_NONE;
	return (sv->nonzero > 0) ? mf->sum / sv->sum : 0;
}

static void
CmfPush(void *body, const ta_real *in, ta_real *out)
{
	CmfBody    *b = body;
	ta_real		flow = MoneyFlowVolume(in[0], in[1], in[2], in[3]);

	out[0] = CmfStep(b, &b->mf, &b->sv, flow, in[3]);
	b->slots[b->r.cap + b->r.pos] = in[3];
	TaRingPut(&b->r, b->slots, flow);
}

static void
CmfPeek(const void *body, const ta_real *in, ta_real *out)
{
	const CmfBody *b = body;
	RollSum		mf = b->mf,
				sv = b->sv;

	out[0] = CmfStep(b, &mf, &sv, MoneyFlowVolume(in[0], in[1], in[2], in[3]), in[3]);
}

static bool
CmfCheck(const void *body, const double *params)
{
	const CmfBody *b = body;
	int			p = TA_P(params, 0);

	return TaRingValid(&b->r, p) && TaRollSumMatches(&b->mf, &b->r, b->slots) &&
		TaRollSumMatches(&b->sv, &b->r, b->slots + p);
}

static void
CmfBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeCmf(in[0], in[1], in[2], in[3], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(cmf, "hlcv", period_param, one_value, Cmf);

/* MFI: the previous typical price, the last p positive and negative flows */
typedef struct MfiBody
{
	TaRing		r;				/* cap p; positive flows, then negative ones */
	int32_t		seen;			/* 0 before the first bar, then 1 */
	int32_t		pad;
	ta_real		prev;			/* 3 x the previous typical price */
	RollSum		sp;
	RollSum		sn;
	ta_real		slots[];
} MfiBody;

static const TaStreamParam mfi_param[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 14}
};

static size_t
MfiSize(const double *params)
{
	return offsetof(MfiBody, slots) + sizeof(ta_real) * 2 * TA_P(params, 0);
}

static void
MfiInit(void *body, const double *params)
{
	MfiBody    *b = body;

	TaRingInit(&b->r, TA_P(params, 0));
	b->seen = 0;
	b->prev = 0;
	b->sp = b->sn = (RollSum) {0, 0};
}

/* ComputeMfi's second loop for one bar (tp is 3 x its typical price) */
static inline ta_real
MfiStep(const MfiBody *b, RollSum *sp, RollSum *sn, ta_real tp, ta_real v,
		ta_real *pos, ta_real *neg)
{
	int			p = b->r.cap;
	ta_real		flow = tp / 3 * v;

	*pos = (tp > b->prev) ? flow : 0;
	*neg = (tp < b->prev) ? flow : 0;
	RollSumAdd(sp, *pos);
	RollSumAdd(sn, *neg);
	if (b->r.count == p)
	{
		RollSumRemove(sp, b->slots[b->r.pos]);
		RollSumRemove(sn, b->slots[p + b->r.pos]);
	}
	if (b->r.count + 1 < p)
		return TA_NONE;
	return (sp->nonzero + sn->nonzero > 0) ? 100 * sp->sum / (sp->sum + sn->sum) : 50;
}

static void
MfiPush(void *body, const ta_real *in, ta_real *out)
{
	MfiBody    *b = body;
	ta_real		tp = in[0] + in[1] + in[2],
				pos,
				neg;

	if (!b->seen)
	{
		b->seen = 1;
		out[0] = TA_NONE;
	}
	else
	{
		out[0] = MfiStep(b, &b->sp, &b->sn, tp, in[3], &pos, &neg);
		b->slots[b->r.cap + b->r.pos] = neg;
		TaRingPut(&b->r, b->slots, pos);
	}
	b->prev = tp;
}

static void
MfiPeek(const void *body, const ta_real *in, ta_real *out)
{
	const MfiBody *b = body;
	RollSum		sp = b->sp,
				sn = b->sn;
	ta_real		pos,
				neg;

	out[0] = b->seen ? MfiStep(b, &sp, &sn, in[0] + in[1] + in[2], in[3], &pos, &neg) :
		TA_NONE;
}

static bool
MfiCheck(const void *body, const double *params)
{
	const MfiBody *b = body;
	int			p = TA_P(params, 0);

	return TaRingValid(&b->r, p) && TaRollSumMatches(&b->sp, &b->r, b->slots) &&
		TaRollSumMatches(&b->sn, &b->r, b->slots + p) &&
		(b->seen == 1 || (b->seen == 0 && b->r.count == 0));
}

static void
MfiBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeMfi(in[0], in[1], in[2], in[3], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(mfi, "hlcv", mfi_param, one_value, Mfi);
