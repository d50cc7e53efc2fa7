/*
 * ml_featstate.c - feature kinds one bar at a time, on the indicator
 * kernels' streaming forms (ta_stream.h), and the saved state of a
 * (symbol, feature set) in alphapulse.feature_state.  Every value equals the
 * batch computation of ml_features.c bit for bit (test/t/90_realtime.t).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "ml_featstate.h"
#include "ml_util.h"

#define K AP_FEATURE_STATE_KERNELS

/* What a kind does with the bar, its recent bars and its kernels' outputs. */
typedef enum StepKind
{
	STEP_RET,					/* log return over p bars */
	STEP_RET_LAG,				/* 1-bar log return p bars ago */
	STEP_PRICE_RATIO,			/* close / kernel - 1 */
	STEP_VOL_RATIO,				/* volume / kernel - 1, 0 when the kernel is 0 */
	STEP_HL_RANGE,
	STEP_CO_RET,
	STEP_HOUR_SIN,
	STEP_HOUR_COS,
	STEP_DOW_SIN,
	STEP_DOW_COS,
	STEP_DONCHIAN,				/* kernels rolling max of high, rolling min of low */
	STEP_KERNEL,				/* the kernel's output as it is */
	STEP_PER_CLOSE,				/* the kernel's output / close */
	STEP_SQRT,					/* sqrt of the kernel's output (0 below 0) */
	STEP_PSAR_DIST,				/* (close - kernel) / close */
	STEP_NEWS_COUNT,			/* news in the window of p bars (NewsWindows) */
	STEP_NEWS_MEAN,
	STEP_NEWS_MAX_ABS,
	STEP_NEWS_DECAY				/* a running sum in the state */
} StepKind;

/*
 * A kind with a streaming form: its step and up to K kernels, each with its
 * inputs (bar columns o h l c v, or r the 1-bar log return of the close) and
 * the output it reads; the kernels take the item's parameters followed by
 * nextra fixed ones.
 */
typedef struct KindStream
{
	const char *kind;
	StepKind	step;
	const char *kernel[K];
	const char *inputs[K];
	const char *output[K];
	int			nextra;
	double		extra[2];
} KindStream;

#define NOK {NULL, NULL}, {NULL, NULL}, {NULL, NULL}, 0, {0, 0}
#define K1(k, in, out) {k, NULL}, {in, NULL}, {out, NULL}

/* Every kind of ml_features.h. */
static const KindStream kind_streams[] = {
	{"ret", STEP_RET, NOK},
	{"ret_lag", STEP_RET_LAG, NOK},
	{"sma_ratio", STEP_PRICE_RATIO, K1("sma", "c", "value"), 0, {0, 0}},
	{"ema_ratio", STEP_PRICE_RATIO, K1("ema", "c", "value"), 0, {0, 0}},
	{"rsi", STEP_KERNEL, K1("rsi", "c", "value"), 0, {0, 0}},
	{"macd", STEP_PER_CLOSE, K1("macd", "c", "macd"), 0, {0, 0}},
	{"macd_hist", STEP_PER_CLOSE, K1("macd", "c", "hist"), 0, {0, 0}},
	{"bb_pctb", STEP_KERNEL, K1("bbands", "c", "percent_b"), 0, {0, 0}},
	{"bb_width", STEP_KERNEL, K1("bbands", "c", "bandwidth"), 0, {0, 0}},
	{"atr_pct", STEP_KERNEL, K1("natr", "hlc", "value"), 0, {0, 0}},
	{"adx", STEP_KERNEL, K1("dmi", "hlc", "adx"), 0, {0, 0}},
	{"plus_di", STEP_KERNEL, K1("dmi", "hlc", "plus_di"), 0, {0, 0}},
	{"minus_di", STEP_KERNEL, K1("dmi", "hlc", "minus_di"), 0, {0, 0}},
	{"stoch_k", STEP_KERNEL, K1("stoch", "hlc", "k"), 0, {0, 0}},
	{"stoch_d", STEP_KERNEL, K1("stoch", "hlc", "d"), 0, {0, 0}},
	{"stochrsi", STEP_KERNEL, K1("stochrsi", "c", "value"), 0, {0, 0}},
	{"willr", STEP_KERNEL, K1("willr", "hlc", "value"), 0, {0, 0}},
	{"cci", STEP_KERNEL, K1("cci", "hlc", "value"), 0, {0, 0}},
	{"mfi", STEP_KERNEL, K1("mfi", "hlcv", "value"), 0, {0, 0}},
	{"roc", STEP_KERNEL, K1("roc", "c", "value"), 0, {0, 0}},
	{"cmo", STEP_KERNEL, K1("cmo", "c", "value"), 0, {0, 0}},
	{"trix", STEP_KERNEL, K1("trix", "c", "value"), 0, {0, 0}},
	{"ultosc", STEP_KERNEL, K1("ultosc", "hlc", "value"), 0, {0, 0}},
	/* ComputePriceOsc(..., ema = true, percent = true) */
	{"ppo", STEP_KERNEL, K1("ppo", "c", "value"), 1, {1, 0}},
	{"aroon_osc", STEP_KERNEL, K1("aroon", "hl", "osc"), 0, {0, 0}},
	{"zscore", STEP_KERNEL, K1("zscore", "c", "value"), 0, {0, 0}},
	{"linreg_slope", STEP_PER_CLOSE, K1("linreg_slope", "c", "value"), 0, {0, 0}},
	/* population variance (sample = 0) of the 1-bar log returns */
	{"stddev_ret", STEP_SQRT, K1("var", "r", "var"), 1, {0, 0}},
	{"vol_z", STEP_KERNEL, K1("zscore", "v", "value"), 0, {0, 0}},
	{"vol_ratio", STEP_VOL_RATIO, K1("sma", "v", "value"), 0, {0, 0}},
	{"cmf", STEP_KERNEL, K1("cmf", "hlcv", "value"), 0, {0, 0}},
	{"hl_range", STEP_HL_RANGE, NOK},
	{"co_ret", STEP_CO_RET, NOK},
	{"donchian_pos", STEP_DONCHIAN, {"rolling_max", "rolling_min"}, {"h", "l"}, {"value", "value"}, 0, {0, 0}},
	/* SAR(0.02, 0.2), as FPsarDist */
	{"psar_dist", STEP_PSAR_DIST, K1("psar", "hl", "value"), 2, {0.02, 0.2}},
	{"hour_sin", STEP_HOUR_SIN, NOK},
	{"hour_cos", STEP_HOUR_COS, NOK},
	{"dow_sin", STEP_DOW_SIN, NOK},
	{"dow_cos", STEP_DOW_COS, NOK},
	{"news_count", STEP_NEWS_COUNT, NOK},
	{"news_sent_mean", STEP_NEWS_MEAN, NOK},
	{"news_sent_decay", STEP_NEWS_DECAY, NOK},
	{"news_sent_max_abs", STEP_NEWS_MAX_ABS, NOK},
};

static const KindStream *
KindStreamOf(const FeatureItem *item)
{
	const char *name = FeatureKindName(item->kind);

	for (int i = 0; i < (int) lengthof(kind_streams); i++)
		if (strcmp(kind_streams[i].kind, name) == 0)
			return &kind_streams[i];
	return NULL;
}

/* The kernels' parameters of an item: its own, then the kind's fixed ones; their count. */
static int
KernelParams(const KindStream *ks, const FeatureItem *item, double *params)
{
	int			n = 0;

	memset(params, 0, sizeof(double) * TA_STREAM_MAX_PARAMS);
	for (int i = 0; i < item->nparams && n < TA_STREAM_MAX_PARAMS; i++)
		params[n++] = item->params[i];
	for (int i = 0; i < ks->nextra && n < TA_STREAM_MAX_PARAMS; i++)
		params[n++] = ks->extra[i];
	return n;
}

/* Index of the named output of kernel k, -1 when it has none of that name. */
static int
OutputIndex(const TaStreamKernel *k, const char *name)
{
	for (int i = 0; i < k->noutputs; i++)
		if (strcmp(k->outputs[i], name) == 0)
			return i;
	return -1;
}

/* The kernel j of an item, NULL when it has none; *ok false when it cannot take the item. */
static const TaStreamKernel *
ItemKernel(const KindStream *ks, const FeatureItem *item, int j, bool *ok)
{
	const TaStreamKernel *k;
	double		params[TA_STREAM_MAX_PARAMS];
	int			np;

	*ok = true;
	if (ks->kernel[j] == NULL)
		return NULL;
	k = TaStreamFind(ks->kernel[j]);
	np = KernelParams(ks, item, params);
	if (k == NULL || k->nparams != np || strlen(k->inputs) != strlen(ks->inputs[j]) ||
		OutputIndex(k, ks->output[j]) < 0 || TaStreamCheckParams(k, params) != TA_STREAM_OK)
	{
		*ok = false;
		return NULL;
	}
	return k;
}

/* Bars an item looks back on, the current one included. */
static int
ItemLookback(const KindStream *ks, const FeatureItem *item)
{
	if (ks->step == STEP_RET)
		return (int) item->params[0] + 1;
	if (ks->step == STEP_RET_LAG)
		return (int) item->params[0] + 2;
	if (ks->step == STEP_NEWS_COUNT || ks->step == STEP_NEWS_MEAN || ks->step == STEP_NEWS_MAX_ABS)
		return (int) item->params[0] + 1;
	if (ks->step == STEP_NEWS_DECAY)
		return 2;
	for (int j = 0; j < K; j++)
		if (ks->inputs[j] && strchr(ks->inputs[j], 'r'))
			return 2;
	return 1;
}

/* Every item has a kind with a streaming form whose kernels take its parameters. */
bool
FeatureSetStreams(const FeatureItem *items, int nfeat)
{
	for (int f = 0; f < nfeat; f++)
	{
		const KindStream *ks = KindStreamOf(&items[f]);

		if (ks == NULL)
			return false;
		for (int j = 0; j < K; j++)
		{
			bool		ok;

			(void) ItemKernel(ks, &items[f], j, &ok);
			if (!ok)
				return false;
		}
	}
	return true;
}

/* The state's shape for a set that streams: kernels and ring capacity, no bar. */
static FeatState *
StateShape(const FeatureItem *items, int nfeat)
{
	FeatState  *st = palloc0(sizeof(FeatState));

	st->nfeat = nfeat;
	st->ringcap = 1;
	st->kern = palloc0(sizeof(TaStreamKernel *) * nfeat * K);
	st->ks = palloc0(sizeof(TaStream *) * nfeat * K);
	st->outidx = palloc0(sizeof(int) * nfeat * K);
	st->decay = palloc0(sizeof(FeatDecay) * nfeat);
	for (int f = 0; f < nfeat; f++)
	{
		const KindStream *ks = KindStreamOf(&items[f]);
		bool		ok;

		st->ringcap = Max(st->ringcap, ItemLookback(ks, &items[f]));
		for (int j = 0; j < K; j++)
		{
			st->kern[f * K + j] = ItemKernel(ks, &items[f], j, &ok);
			if (st->kern[f * K + j])
				st->outidx[f * K + j] = OutputIndex(st->kern[f * K + j], ks->output[j]);
		}
	}
	st->ring = palloc0(sizeof(FeatBar) * st->ringcap);
	return st;
}

/* A state before the first bar: every kernel initialised. */
FeatState *
FeatureStateNew(const FeatureItem *items, int nfeat)
{
	FeatState  *st = StateShape(items, nfeat);

	for (int i = 0; i < nfeat * K; i++)
		if (st->kern[i])
		{
			double		params[TA_STREAM_MAX_PARAMS];

			(void) KernelParams(KindStreamOf(&items[i / K]), &items[i / K], params);
			st->ks[i] = palloc0(TaStreamStateSize(st->kern[i], params));
			TaStreamInit(st->kern[i], params, st->ks[i]);
		}
	return st;
}

/* The bar k bars before the newest (0: the newest); k < ringcount. */
static const FeatBar *
Ago(const FeatState *st, int k)
{
	int			i = st->ringpos - 1 - k;

	return &st->ring[i < 0 ? i + st->ringcap : i];
}

/* As ComputeLogret (ta_momentum.c) at one bar. */
static ta_real
Logret(ta_real x, ta_real x0)
{
	return log1pl((x - x0) / x0);
}

/* Input c of the newest bar: a column, or r its 1-bar log return (none at the first bar). */
static ta_real
InputOf(const FeatState *st, char c)
{
	const FeatBar *bar = Ago(st, 0);

	switch (c)
	{
		case 'r':
			return st->nbars >= 2 ? Logret(bar->c, Ago(st, 1)->c) : TA_NONE;
		case 'o':
			return bar->o;
		case 'h':
			return bar->h;
		case 'l':
			return bar->l;
		case 'c':
			return bar->c;
		default:
			return bar->v;
	}
}

/* As FCalendar (ml_features.c). */
static ta_real
Calendar(int64 tstz, double period, bool use_cos)
{
	double		phase = fmod(TimestampTzToEpoch(tstz), period) / period * 2 * M_PI;

	return use_cos ? cos(phase) : sin(phase);
}

/* Items of ns with arrival <= t (ns is sorted by arrival). */
static int
ArrivedBy(const NewsSeries *ns, int64 t)
{
	int			lo = 0,
				hi = ns->n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (ns->arrival[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* As WindowStart (ml_features.c) for the newest bar: the end of the bar p before it. */
static int64
StreamWindowStart(const FeatState *st, double interval_us, int p)
{
	int64		t = st->nbars - 1;
	double		v;

	if (t >= p)
		return Ago(st, p)->tend;
	v = (double) st->first_tend - (double) (p - t) * interval_us;
	return v <= (double) PG_INT64_MIN ? PG_INT64_MIN : (int64) v;
}

/* The news kinds at the newest bar, as FNews* (ml_features.c); cnt, sum: prefix counts and sums. */
static ta_real
NewsStep(const FeatState *st, StepKind step, int p, const BarSeries *b, const int *cnt,
		 const ta_real *sum, FeatDecay *dec)
{
	static const NewsSeries none = {0, NULL, NULL};
	const NewsSeries *ns = b->news ? b->news : &none;
	int64		end = Ago(st, 0)->tend;
	int			hi = ArrivedBy(ns, end),
				lo;

	if (step == STEP_NEWS_DECAY)
	{
		ta_real		rate = (ta_real) M_LN2 / ((ta_real) p * (ta_real) b->interval_us);

		if (st->nbars > 1)
		{
			dec->d *= expl(-rate * (ta_real) (end - Ago(st, 1)->tend));
			lo = ArrivedBy(ns, Ago(st, 1)->tend);
		}
		else
			lo = 0;
		for (int i = lo; i < hi; i++)
		{
			if (isnan(ns->sent[i]))
				continue;
			dec->d += (ta_real) ns->sent[i] * expl(-rate * ((ta_real) end - (ta_real) ns->arrival[i]));
			dec->any = 1;
		}
		return dec->any ? dec->d : TA_NONE;
	}
	lo = Min(hi, ArrivedBy(ns, StreamWindowStart(st, b->interval_us, p)));
	if (step == STEP_NEWS_COUNT)
		return hi - lo;
	if (step == STEP_NEWS_MEAN)
	{
		int			k = cnt[hi] - cnt[lo];

		return k > 0 ? (sum[hi] - sum[lo]) / k : TA_NONE;
	}
	{
		double		m = -1;

		for (int i = lo; i < hi; i++)
			if (!isnan(ns->sent[i]) && fabs(ns->sent[i]) > m)
				m = fabs(ns->sent[i]);
		return m >= 0 ? m : TA_NONE;
	}
}

/* One feature at the newest bar, from its kernels' outputs v (as ml_features.c's kinds). */
static ta_real
Step(const FeatState *st, const KindStream *ks, const FeatureItem *item, const ta_real *v)
{
	const FeatBar *b = Ago(st, 0);
	int64		i = st->nbars - 1;
	int			p = (int) item->params[0];

	switch (ks->step)
	{
		case STEP_RET:
			return i >= p ? Logret(b->c, Ago(st, p)->c) : TA_NONE;
		case STEP_RET_LAG:
			return (i >= p && i - p >= 1) ? Logret(Ago(st, p)->c, Ago(st, p + 1)->c) : TA_NONE;
		case STEP_PRICE_RATIO:
			return TA_HAS(v[0]) ? b->c / v[0] - 1 : TA_NONE;
		case STEP_VOL_RATIO:
			return TA_HAS(v[0]) ? ((v[0] > 0) ? b->v / v[0] - 1 : 0) : TA_NONE;
		case STEP_HL_RANGE:
			return (b->h - b->l) / b->c;
		case STEP_CO_RET:
			return logl(b->c / b->o);
		case STEP_HOUR_SIN:
			return Calendar(b->tstz, 86400.0, false);
		case STEP_HOUR_COS:
			return Calendar(b->tstz, 86400.0, true);
		case STEP_DOW_SIN:
			return Calendar(b->tstz, 7 * 86400.0, false);
		case STEP_DOW_COS:
			return Calendar(b->tstz, 7 * 86400.0, true);
		case STEP_DONCHIAN:
			{
				ta_real		up = v[0],
							lo = v[1];

				return !TA_HAS(lo) ? TA_NONE :
					(up > lo) ? (b->c - lo) / (up - lo) : 0.5;
			}
		case STEP_KERNEL:
			return v[0];
		case STEP_PER_CLOSE:
			return TA_HAS(v[0]) ? v[0] / b->c : TA_NONE;
		case STEP_SQRT:
			return TA_HAS(v[0]) ? sqrtl(v[0] > 0 ? v[0] : 0) : TA_NONE;
		case STEP_PSAR_DIST:
			return TA_HAS(v[0]) ? (b->c - v[0]) / b->c : TA_NONE;
		case STEP_NEWS_COUNT:
		case STEP_NEWS_MEAN:
		case STEP_NEWS_MAX_ABS:
		case STEP_NEWS_DECAY:
			break;				/* NewsStep */
	}
	return TA_NONE;
}

/* Pushes bars [from, n) through every feature: O(1) each but for the news windows' binary search. */
void
FeatureStatePush(FeatState *st, const FeatureItem *items, const BarSeries *b, int from, double **cols)
{
	const KindStream **kss = palloc(sizeof(KindStream *) * st->nfeat);

	int			nn = b->news ? b->news->n : 0;
	int		   *cnt = palloc(sizeof(int) * (nn + 1));
	ta_real    *sum = palloc(sizeof(ta_real) * (nn + 1));

	/* as FNewsSentMean: prefix counts and sums of the scored items from the first */
	cnt[0] = 0;
	sum[0] = 0;
	for (int i = 0; i < nn; i++)
	{
		bool		scored = !isnan(b->news->sent[i]);

		cnt[i + 1] = cnt[i] + (scored ? 1 : 0);
		sum[i + 1] = sum[i] + (scored ? (ta_real) b->news->sent[i] : 0);
	}
	for (int f = 0; f < st->nfeat; f++)
		kss[f] = KindStreamOf(&items[f]);
	for (int i = from; i < b->n; i++)
	{
		FeatBar    *bar = &st->ring[st->ringpos];

		bar->tstz = b->tstz[i];
		bar->tend = b->tend[i];
		if (st->nbars == 0)
			st->first_tend = b->tend[i];
		bar->o = b->open[i];
		bar->h = b->high[i];
		bar->l = b->low[i];
		bar->c = b->close[i];
		bar->v = b->volume[i];
		st->ringpos = (st->ringpos + 1) % st->ringcap;
		st->ringcount = Min(st->ringcount + 1, st->ringcap);
		st->nbars++;
		for (int f = 0; f < st->nfeat; f++)
		{
			ta_real		out[TA_STREAM_MAX_OUTPUTS];
			ta_real		v[K] = {TA_NONE, TA_NONE};
			ta_real		r;

			for (int j = 0; j < K; j++)
			{
				const TaStreamKernel *k = st->kern[f * K + j];
				ta_real		in[TA_STREAM_MAX_INPUTS];

				if (k == NULL)
					continue;
				for (int c = 0; kss[f]->inputs[j][c]; c++)
					in[c] = InputOf(st, kss[f]->inputs[j][c]);
				TaStreamPush(k, st->ks[f * K + j], in, out);
				v[j] = out[st->outidx[f * K + j]];
			}
			if (kss[f]->step >= STEP_NEWS_COUNT)
				r = NewsStep(st, kss[f]->step, (int) items[f].params[0], b, cnt, sum, &st->decay[f]);
			else
				r = Step(st, kss[f], &items[f], v);
			if (cols)
				cols[f][i] = TA_HAS(r) && isfinite((double) r) ? (double) r : NAN;
		}
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(kss);
	pfree(cnt);
	pfree(sum);
}

/*
 * Saved form: this header, the ring (ringcap bars), then for each feature
 * and kernel slot a uint64 length and that many bytes (a TaStream's saved
 * form, or nothing), each padded to 8 bytes.  The checksum (FNV-1a 64, this
 * field as 0) covers everything; fingerprint is that of the feature names.
 */
typedef struct FeatStateHeader
{
	uint32		magic;
	uint32		version;
	uint64		size;
	uint64		checksum;
	uint64		fingerprint;
	int32		nfeat;
	int32		ringcap;
	int32		ringpos;
	int32		ringcount;
	int64		nbars;
	int64		first_tend;
} FeatStateHeader;

static uint64
Fnv(const void *buf, size_t len, uint64 h)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
	{
		h ^= p[i];
		h *= UINT64CONST(0x100000001b3);
	}
	return h;
}

#define FNV_SEED UINT64CONST(0xcbf29ce484222325)

static uint64
Fingerprint(const FeatureItem *items, int nfeat)
{
	uint64		h = FNV_SEED;

	for (int f = 0; f < nfeat; f++)
		h = Fnv(items[f].name, strlen(items[f].name) + 1, h);
	return h;
}

static uint64
Checksum(const char *buf, size_t len)
{
	uint64		zero = 0;
	uint64		h = Fnv(buf, offsetof(FeatStateHeader, checksum), FNV_SEED);

	h = Fnv(&zero, sizeof(zero), h);
	return Fnv(buf + offsetof(FeatStateHeader, fingerprint), len - offsetof(FeatStateHeader, fingerprint), h);
}

#define PAD8(n) (((n) + 7) & ~((size_t) 7))

static bytea *
StateBytes(const FeatState *st, const FeatureItem *items)
{
	size_t		size = sizeof(FeatStateHeader) + sizeof(FeatBar) * st->ringcap +
		sizeof(FeatDecay) * st->nfeat;
	char	   *buf;
	size_t		off;
	FeatStateHeader h;
	bytea	   *out;

	for (int i = 0; i < st->nfeat * K; i++)
		size += sizeof(uint64) + (st->ks[i] ? PAD8(st->ks[i]->size) : 0);
	out = palloc0(VARHDRSZ + size);
	SET_VARSIZE(out, VARHDRSZ + size);
	buf = VARDATA(out);
	memset(&h, 0, sizeof(h));
	h.magic = AP_FEATURE_STATE_MAGIC;
	h.version = AP_FEATURE_STATE_VERSION;
	h.size = size;
	h.fingerprint = Fingerprint(items, st->nfeat);
	h.nfeat = st->nfeat;
	h.ringcap = st->ringcap;
	h.ringpos = st->ringpos;
	h.ringcount = st->ringcount;
	h.nbars = st->nbars;
	h.first_tend = st->first_tend;
	memcpy(buf, &h, sizeof(h));
	off = sizeof(h);
	memcpy(buf + off, st->ring, sizeof(FeatBar) * st->ringcap);
	off += sizeof(FeatBar) * st->ringcap;
	memcpy(buf + off, st->decay, sizeof(FeatDecay) * st->nfeat);
	off += sizeof(FeatDecay) * st->nfeat;
	for (int i = 0; i < st->nfeat * K; i++)
	{
		uint64		len = st->ks[i] ? st->ks[i]->size : 0;

		memcpy(buf + off, &len, sizeof(len));
		off += sizeof(len);
		if (st->ks[i])
			TaStreamSave(st->ks[i], buf + off);
		off += PAD8(len);
	}
	h.checksum = Checksum(buf, size);
	memcpy(buf + offsetof(FeatStateHeader, checksum), &h.checksum, sizeof(h.checksum));
	return out;
}

/* Unpacks saved bytes into a state of the set's shape: NULL with *why when they cannot be used. */
static FeatState *
StateFromBytes(const char *buf, size_t len, const FeatureItem *items, int nfeat, const char **why)
{
	FeatState  *st = StateShape(items, nfeat);
	FeatStateHeader h;
	size_t		off;

	if (len < sizeof(h))
	{
		*why = "it is shorter than its header";
		return NULL;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.magic != AP_FEATURE_STATE_MAGIC)
		*why = "it is not a feature state";
	else if (h.version != AP_FEATURE_STATE_VERSION)
		*why = "it was saved by another format version";
	else if (h.size != len)
		*why = "its length is not the one it records";
	else if (Checksum(buf, len) != h.checksum)
		*why = "its checksum does not match (corrupt bytes)";
	else if (h.fingerprint != Fingerprint(items, nfeat) || h.nfeat != nfeat || h.ringcap != st->ringcap)
		*why = "it was saved for another feature list";
	else if (h.ringpos < 0 || h.ringpos >= h.ringcap || h.ringcount < 1 || h.ringcount > h.ringcap ||
			 h.nbars < h.ringcount || (h.ringcount < h.ringcap && (h.nbars != h.ringcount || h.ringpos != h.ringcount)))
		*why = "its bar counts are inconsistent";
	else
		*why = NULL;
	if (*why)
		return NULL;
	st->ringpos = h.ringpos;
	st->ringcount = h.ringcount;
	st->nbars = h.nbars;
	st->first_tend = h.first_tend;
	off = sizeof(h);
	if (len - off < sizeof(FeatBar) * st->ringcap)
	{
		*why = "it is truncated";
		return NULL;
	}
	memcpy(st->ring, buf + off, sizeof(FeatBar) * st->ringcap);
	off += sizeof(FeatBar) * st->ringcap;
	if (len - off < sizeof(FeatDecay) * nfeat)
	{
		*why = "it is truncated";
		return NULL;
	}
	memcpy(st->decay, buf + off, sizeof(FeatDecay) * nfeat);
	off += sizeof(FeatDecay) * nfeat;
	for (int f = 0; f < nfeat; f++)
		if ((st->decay[f].any != 0 && st->decay[f].any != 1) || !isfinite((double) st->decay[f].d))
		{
			*why = "a news sum is inconsistent";
			return NULL;
		}
	for (int i = 0; i < nfeat * K; i++)
	{
		uint64		klen;
		double		params[TA_STREAM_MAX_PARAMS];
		TaStreamStatus s;

		if (len - off < sizeof(klen))
		{
			*why = "it is truncated";
			return NULL;
		}
		memcpy(&klen, buf + off, sizeof(klen));
		off += sizeof(klen);
		if (st->kern[i] == NULL)
		{
			if (klen != 0)
			{
				*why = "it holds an indicator state where none belongs";
				return NULL;
			}
			continue;
		}
		(void) KernelParams(KindStreamOf(&items[i / K]), &items[i / K], params);
		if (klen > len - off || klen != TaStreamStateSize(st->kern[i], params))
		{
			*why = "an indicator state has the wrong length";
			return NULL;
		}
		st->ks[i] = palloc0(klen);
		s = TaStreamLoad(st->kern[i], params, buf + off, klen, st->ks[i]);
		if (s != TA_STREAM_OK)
		{
			*why = psprintf("the state of %s: %s", items[i / K].name, TaStreamStatusText(s));
			return NULL;
		}
		if (st->ks[i]->bars != st->nbars)
		{
			*why = psprintf("the state of %s has seen another number of bars", items[i / K].name);
			return NULL;
		}
		off += PAD8(klen);
	}
	if (off != len)
	{
		*why = "it has trailing bytes";
		return NULL;
	}
	return st;
}

/*
 * Whether the extension's SQL has the state table: a server running this
 * library with the extension still at 0.1.0 (before ALTER EXTENSION UPDATE)
 * builds every time from the history and saves nothing.
 */
static bool
FeatureStateTableExists(void)
{
	Oid			nsp = get_namespace_oid(AP_SCHEMA, true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid("feature_state", nsp));
}

/* The saved state of the set, or NULL (with a WARNING when one exists but cannot be used). */
FeatState *
FeatureStateLoad(const char *symbol, const char *setname, const FeatureItem *items, int nfeat,
				 TimestampTz last_ts)
{
	Oid			t[2] = {TEXTOID, TEXTOID};
	Datum		a[2] = {CStringGetTextDatum(symbol), CStringGetTextDatum(setname)};
	bool		isnull;
	TimestampTz saved_ts;
	int32		version;
	bytea	   *bytes;
	const char *why;
	FeatState  *st;

	if (!FeatureStateTableExists())
		return NULL;
	if (SPI_execute_with_args("SELECT last_ts, version, state FROM alphapulse.feature_state "
							  "WHERE symbol OPERATOR(pg_catalog.=) $1 AND feature_set OPERATOR(pg_catalog.=) $2",
							  2, t, a, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading the feature state failed");
	if (SPI_processed == 0)
		return NULL;
	saved_ts = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	bytes = DatumGetByteaPCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	if (saved_ts != last_ts)
		why = "it is not at the last feature row";
	else if (version != AP_FEATURE_STATE_VERSION)
		why = "it was saved by another format version";
	else
	{
		st = StateFromBytes(VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes), items, nfeat, &why);
		if (st && Ago(st, 0)->tstz != last_ts)
			why = "its last bar is not at the last feature row";
		if (why == NULL)
			return st;
	}
	ereport(WARNING,
			(errcode(ERRCODE_WARNING),
			 errmsg("feature state of symbol \"%s\", feature set \"%s\" is not used: %s",
					ApClip(symbol), setname, why),
			 errdetail("The rows are built from the history instead, and a new state is saved.")));
	return NULL;
}

/* The state's recent bars are the table's bars before the new ones. */
bool
FeatureStateMatchesBars(const FeatState *st, const BarSeries *b, int upto)
{
	int			n = Min(st->ringcount, upto);

	for (int k = 0; k < n; k++)
	{
		const FeatBar *r = Ago(st, k);
		int			i = upto - 1 - k;

		if (r->tstz != b->tstz[i] || r->tend != b->tend[i] || r->o != b->open[i] || r->h != b->high[i] ||
			r->l != b->low[i] || r->c != b->close[i] || r->v != b->volume[i])
			return false;
	}
	return n == st->ringcount;
}

/* Upserts the state of the set as of last_ts. */
void
FeatureStateSave(const char *symbol, const char *setname, const FeatState *st,
				 const FeatureItem *items, TimestampTz last_ts)
{
	Oid			t[5] = {TEXTOID, TEXTOID, TIMESTAMPTZOID, INT4OID, BYTEAOID};
	Datum		a[5] = {CStringGetTextDatum(symbol), CStringGetTextDatum(setname),
		TimestampTzGetDatum(last_ts), Int32GetDatum(AP_FEATURE_STATE_VERSION),
	PointerGetDatum(StateBytes(st, items))};

	if (!FeatureStateTableExists())
		return;
	if (SPI_execute_with_args("INSERT INTO alphapulse.feature_state AS s (symbol, feature_set, last_ts, version, state) "
							  "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (symbol, feature_set) DO UPDATE "
							  "SET last_ts = excluded.last_ts, version = excluded.version, state = excluded.state, "
							  "updated = pg_catalog.now()",
							  5, t, a, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "saving the feature state failed");
}

/* Deletes the saved state of the set. */
void
FeatureStateForget(const char *symbol, const char *setname)
{
	Oid			t[2] = {TEXTOID, TEXTOID};
	Datum		a[2] = {CStringGetTextDatum(symbol), CStringGetTextDatum(setname)};

	if (!FeatureStateTableExists())
		return;
	if (SPI_execute_with_args("DELETE FROM alphapulse.feature_state "
							  "WHERE symbol OPERATOR(pg_catalog.=) $1 AND feature_set OPERATOR(pg_catalog.=) $2",
							  2, t, a, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "dropping the feature state failed");
}
