/*
 * ml_features.c - feature kinds built on the indicator kernels, and the SQL
 * functions that name a feature set's columns and build a symbol's features
 * in one pass over its bars.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "mb/pg_wchar.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "ml_features.h"
#include "ml_featstate.h"
#include "ml_progress.h"
#include "ml_util.h"
#include "win_numeric.h"

typedef void (*FeatureFn) (const BarSeries *b, const double *p, ta_real *out);

#define N (b->n)
#define P(i) ((int) p[i])

static ta_real *
Scratch(int n)
{
	return TaAlloc(sizeof(ta_real) * (n > 0 ? n : 1));
}

/* Divides out[i] by the close (indicators in price units become unitless). */
static void
PerClose(const BarSeries *b, ta_real *out)
{
	for (int i = 0; i < N; i++)
		if (TA_HAS(out[i]))
			out[i] /= b->close[i];
}

static void
FRet(const BarSeries *b, const double *p, ta_real *out)
{
	ComputeLogret(b->close, N, P(0), out);
}

static void
FRetLag(const BarSeries *b, const double *p, ta_real *out)
{
	ta_real    *r = Scratch(N);

	ComputeLogret(b->close, N, 1, r);
	for (int i = 0; i < N; i++)
		out[i] = (i >= P(0)) ? r[i - P(0)] : TA_NONE;
	TaFree(r);
}

static void
FSmaRatio(const BarSeries *b, const double *p, ta_real *out)
{
	ComputeSma(b->close, N, P(0), out);
	for (int i = 0; i < N; i++)
		if (TA_HAS(out[i]))
			out[i] = b->close[i] / out[i] - 1;
}

static void
FEmaRatio(const BarSeries *b, const double *p, ta_real *out)
{
	ComputeEma(b->close, N, P(0), out);
	for (int i = 0; i < N; i++)
		if (TA_HAS(out[i]))
			out[i] = b->close[i] / out[i] - 1;
}

static void
FRsi(const BarSeries *b, const double *p, ta_real *out)
{
	ComputeRsi(b->close, N, P(0), out);
}

static void
FMacdPart(const BarSeries *b, const double *p, ta_real *out, int part)
{
	ta_real    *m = Scratch(N),
			   *s = Scratch(N),
			   *h = Scratch(N);

	ComputeMacd(b->close, N, P(0), P(1), P(2), m, s, h);
	memcpy(out, part == 0 ? m : h, sizeof(ta_real) * N);
	PerClose(b, out);
	TaFree(m);
	TaFree(s);
	TaFree(h);
}

static void
FMacd(const BarSeries *b, const double *p, ta_real *out)
{
	FMacdPart(b, p, out, 0);
}

static void
FMacdHist(const BarSeries *b, const double *p, ta_real *out)
{
	FMacdPart(b, p, out, 2);
}

static void
FBbPart(const BarSeries *b, const double *p, ta_real *out, bool pctb)
{
	ta_real    *lo = Scratch(N),
			   *mid = Scratch(N),
			   *up = Scratch(N),
			   *bw = Scratch(N);

	ComputeBbands(b->close, N, P(0), p[1], lo, mid, up, bw, out);
	if (!pctb)
		memcpy(out, bw, sizeof(ta_real) * N);
	TaFree(lo);
	TaFree(mid);
	TaFree(up);
	TaFree(bw);
}

static void
FBbPctb(const BarSeries *b, const double *p, ta_real *out)
{
	FBbPart(b, p, out, true);
}

static void
FBbWidth(const BarSeries *b, const double *p, ta_real *out)
{
	FBbPart(b, p, out, false);
}

static void
FAtrPct(const BarSeries *b, const double *p, ta_real *out)
{
	ComputeNatr(b->high, b->low, b->close, N, P(0), out);
}

static void
FDmiPart(const BarSeries *b, const double *p, ta_real *out, int part)
{
	ta_real    *pl = Scratch(N),
			   *mi = Scratch(N),
			   *ad = Scratch(N);

	ComputeDmi(b->high, b->low, b->close, N, P(0), pl, mi, ad);
	memcpy(out, part == 0 ? pl : part == 1 ? mi : ad, sizeof(ta_real) * N);
	TaFree(pl);
	TaFree(mi);
	TaFree(ad);
}

static void
FPlusDi(const BarSeries *b, const double *p, ta_real *out)
{
	FDmiPart(b, p, out, 0);
}

static void
FMinusDi(const BarSeries *b, const double *p, ta_real *out)
{
	FDmiPart(b, p, out, 1);
}

static void
FAdx(const BarSeries *b, const double *p, ta_real *out)
{
	FDmiPart(b, p, out, 2);
}

static void
FStochPart(const BarSeries *b, const double *p, ta_real *out, bool d)
{
	ta_real    *k = Scratch(N),
			   *dd = Scratch(N);

	ComputeStoch(b->high, b->low, b->close, N, P(0), P(1), P(2), k, dd);
	memcpy(out, d ? dd : k, sizeof(ta_real) * N);
	TaFree(k);
	TaFree(dd);
}

static void
FStochK(const BarSeries *b, const double *p, ta_real *out)
{
	FStochPart(b, p, out, false);
}

static void
FStochD(const BarSeries *b, const double *p, ta_real *out)
{
	FStochPart(b, p, out, true);
}

static void
FStochRsi(const BarSeries *b, const double *p, ta_real *out)
{
	ComputeStochRsi(b->close, N, P(0), P(1), P(2), out);
}

static void
FWillr(const BarSeries *b, const double *p, ta_real *out)
{
	ComputeWillr(b->high, b->low, b->close, N, P(0), out);
}

static void
FCci(const BarSeries *b, const double *p, ta_real *out)
{
	ComputeCci(b->high, b->low, b->close, N, P(0), out);
}

static void
FMfi(const BarSeries *b, const double *p, ta_real *out)
{
	ComputeMfi(b->high, b->low, b->close, b->volume, N, P(0), out);
}

static void
FRoc(const BarSeries *b, const double *p, ta_real *out)
{
	ComputeRoc(b->close, N, P(0), out);
}

static void
FCmo(const BarSeries *b, const double *p, ta_real *out)
{
	ComputeCmo(b->close, N, P(0), out);
}

static void
FTrix(const BarSeries *b, const double *p, ta_real *out)
{
	ComputeTrix(b->close, N, P(0), out);
}

static void
FUltosc(const BarSeries *b, const double *p, ta_real *out)
{
	ComputeUltosc(b->high, b->low, b->close, N, P(0), P(1), P(2), out);
}

static void
FPpo(const BarSeries *b, const double *p, ta_real *out)
{
	ComputePriceOsc(b->close, N, P(0), P(1), true, true, out);
}

static void
FAroonOsc(const BarSeries *b, const double *p, ta_real *out)
{
	ta_real    *up = Scratch(N),
			   *dn = Scratch(N);

	ComputeAroon(b->high, b->low, N, P(0), up, dn, out);
	TaFree(up);
	TaFree(dn);
}

static void
FZscore(const BarSeries *b, const double *p, ta_real *out)
{
	ComputeZscore(b->close, N, P(0), out);
}

static void
FLinregSlope(const BarSeries *b, const double *p, ta_real *out)
{
	ComputeLinregSlope(b->close, N, P(0), out);
	PerClose(b, out);
}

static void
FStddevRet(const BarSeries *b, const double *p, ta_real *out)
{
	ta_real    *r = Scratch(N),
			   *m = Scratch(N);

	ComputeLogret(b->close, N, 1, r);
	ComputeVariance(r, N, P(0), false, m, out);
	for (int i = 0; i < N; i++)
		if (TA_HAS(out[i]))
			out[i] = sqrtl(out[i] > 0 ? out[i] : 0);
	TaFree(r);
	TaFree(m);
}

static void
FVolZ(const BarSeries *b, const double *p, ta_real *out)
{
	ComputeZscore(b->volume, N, P(0), out);
}

static void
FVolRatio(const BarSeries *b, const double *p, ta_real *out)
{
	ComputeSma(b->volume, N, P(0), out);
	for (int i = 0; i < N; i++)
		if (TA_HAS(out[i]))
			out[i] = (out[i] > 0) ? b->volume[i] / out[i] - 1 : 0;
}

static void
FCmf(const BarSeries *b, const double *p, ta_real *out)
{
	ComputeCmf(b->high, b->low, b->close, b->volume, N, P(0), out);
}

static void
FHlRange(const BarSeries *b, const double *p, ta_real *out)
{
	for (int i = 0; i < N; i++)
		out[i] = (b->high[i] - b->low[i]) / b->close[i];
}

static void
FCoRet(const BarSeries *b, const double *p, ta_real *out)
{
	for (int i = 0; i < N; i++)
		out[i] = logl(b->close[i] / b->open[i]);
}

static void
FDonchianPos(const BarSeries *b, const double *p, ta_real *out)
{
	ta_real    *lo = Scratch(N),
			   *mid = Scratch(N),
			   *up = Scratch(N);

	ComputeDonchian(b->high, b->low, N, P(0), lo, mid, up);
	for (int i = 0; i < N; i++)
		out[i] = !TA_HAS(lo[i]) ? TA_NONE :
			(up[i] > lo[i]) ? (b->close[i] - lo[i]) / (up[i] - lo[i]) : 0.5;
	TaFree(lo);
	TaFree(mid);
	TaFree(up);
}

static void
FPsarDist(const BarSeries *b, const double *p, ta_real *out)
{
	ComputePsar(b->high, b->low, N, 0.02, 0.2, out);
	for (int i = 0; i < N; i++)
		if (TA_HAS(out[i]))
			out[i] = (b->close[i] - out[i]) / b->close[i];
}

static void
FCalendar(const BarSeries *b, ta_real *out, double period, bool use_cos)
{
	for (int i = 0; i < N; i++)
	{
		double		phase = fmod(b->ts[i], period) / period * 2 * M_PI;

		out[i] = use_cos ? cos(phase) : sin(phase);
	}
}

static void
FHourSin(const BarSeries *b, const double *p, ta_real *out)
{
	FCalendar(b, out, 86400.0, false);
}

static void
FHourCos(const BarSeries *b, const double *p, ta_real *out)
{
	FCalendar(b, out, 86400.0, true);
}

static void
FDowSin(const BarSeries *b, const double *p, ta_real *out)
{
	FCalendar(b, out, 7 * 86400.0, false);
}

static void
FDowCos(const BarSeries *b, const double *p, ta_real *out)
{
	FCalendar(b, out, 7 * 86400.0, true);
}

/*
 * News kinds.  Item i counts for bar t once its arrival is at or before t's
 * end (NewsArrival); the window of p bars at t is the arrivals in
 * (end[t - p], end[t]], where bars before the first are taken as spaced by
 * the bar interval.  Both ends only move forward, so one pass suffices.
 */
static const NewsSeries no_news = {0, NULL, NULL};

static const NewsSeries *
News(const BarSeries *b)
{
	return b->news ? b->news : &no_news;
}

static int64
WindowStart(const BarSeries *b, int t, int p)
{
	double		v;

	if (t >= p)
		return b->tend[t - p];
	v = (double) b->tend[0] - (double) (p - t) * b->interval_us;
	return v <= (double) PG_INT64_MIN ? PG_INT64_MIN : (int64) v;
}

/* lo[t], hi[t]: the news items in bar t's window are lo[t] .. hi[t] - 1. */
static void
NewsWindows(const BarSeries *b, int p, int *lo, int *hi)
{
	const NewsSeries *ns = News(b);
	int			l = 0,
				h = 0;

	for (int t = 0; t < N; t++)
	{
		int64		from = WindowStart(b, t, p);

		while (h < ns->n && ns->arrival[h] <= b->tend[t])
			h++;
		while (l < h && ns->arrival[l] <= from)
			l++;
		lo[t] = l;
		hi[t] = h;
	}
}

static void
FNewsCount(const BarSeries *b, const double *p, ta_real *out)
{
	int		   *lo = palloc(sizeof(int) * (N + 1)),
			   *hi = palloc(sizeof(int) * (N + 1));

	NewsWindows(b, P(0), lo, hi);
	for (int t = 0; t < N; t++)
		out[t] = hi[t] - lo[t];
	pfree(lo);
	pfree(hi);
}

/* Mean of the scored items in the window; NULL (missing) when none is scored. */
static void
FNewsSentMean(const BarSeries *b, const double *p, ta_real *out)
{
	const NewsSeries *ns = News(b);
	int		   *lo = palloc(sizeof(int) * (N + 1)),
			   *hi = palloc(sizeof(int) * (N + 1)),
			   *cnt = palloc(sizeof(int) * (ns->n + 1));
	ta_real    *sum = Scratch(ns->n + 1);

	cnt[0] = 0;
	sum[0] = 0;
	for (int i = 0; i < ns->n; i++)
	{
		bool		scored = !isnan(ns->sent[i]);

		cnt[i + 1] = cnt[i] + (scored ? 1 : 0);
		sum[i + 1] = sum[i] + (scored ? (ta_real) ns->sent[i] : 0);
	}
	NewsWindows(b, P(0), lo, hi);
	for (int t = 0; t < N; t++)
	{
		int			k = cnt[hi[t]] - cnt[lo[t]];

		out[t] = k > 0 ? (sum[hi[t]] - sum[lo[t]]) / k : TA_NONE;
	}
	pfree(lo);
	pfree(hi);
	pfree(cnt);
	TaFree(sum);
}

/* Largest |sentiment| in the window: a deque of candidates, largest first. */
static void
FNewsSentMaxAbs(const BarSeries *b, const double *p, ta_real *out)
{
	const NewsSeries *ns = News(b);
	int		   *lo = palloc(sizeof(int) * (N + 1)),
			   *hi = palloc(sizeof(int) * (N + 1)),
			   *dq = palloc(sizeof(int) * (ns->n + 1));
	int			head = 0,
				tail = 0,
				next = 0;

	NewsWindows(b, P(0), lo, hi);
	for (int t = 0; t < N; t++)
	{
		for (; next < hi[t]; next++)
		{
			if (isnan(ns->sent[next]))
				continue;
			while (tail > head && fabs(ns->sent[dq[tail - 1]]) <= fabs(ns->sent[next]))
				tail--;
			dq[tail++] = next;
		}
		while (tail > head && dq[head] < lo[t])
			head++;
		out[t] = tail > head ? fabs(ns->sent[dq[head]]) : TA_NONE;
	}
	pfree(lo);
	pfree(hi);
	pfree(dq);
}

/*
 * Sum of the scored items' sentiment, each weighted 2^(-age / p) with its age
 * in bars since its arrival (end[t] - arrival, over the bar interval); NULL
 * until the first scored item has arrived.
 */
static void
FNewsSentDecay(const BarSeries *b, const double *p, ta_real *out)
{
	const NewsSeries *ns = News(b);
	ta_real		rate = (ta_real) M_LN2 / ((ta_real) p[0] * (ta_real) b->interval_us);
	ta_real		d = 0;
	bool		any = false;
	int			next = 0;

	for (int t = 0; t < N; t++)
	{
		if (t > 0)
			d *= expl(-rate * (ta_real) (b->tend[t] - b->tend[t - 1]));
		for (; next < ns->n && ns->arrival[next] <= b->tend[t]; next++)
		{
			if (isnan(ns->sent[next]))
				continue;
			d += (ta_real) ns->sent[next] *
				expl(-rate * ((ta_real) b->tend[t] - (ta_real) ns->arrival[next]));
			any = true;
		}
		out[t] = any ? d : TA_NONE;
	}
}

/* The computation of each kind, in the catalogue's order (ml_features.h). */
#define AP_KIND_FN(name, params, fn, doc) fn,
static const FeatureFn kind_fns[] = {AP_FEATURE_KINDS(AP_KIND_FN)};



const char *
FeatureKindList(void)
{
	static char *list = NULL;

	if (list == NULL)
	{
		StringInfoData s;
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		initStringInfo(&s);
		for (int i = 0; i < FeatureKindCount(); i++)
			appendStringInfo(&s, "%s%s/%d", i ? ", " : "", FeatureKindName(i), FeatureKindParams(i));
		list = s.data;
		MemoryContextSwitchTo(old);
	}
	return list;
}

void
ComputeFeature(const FeatureItem *item, const BarSeries *bars, double *out)
{
	ta_real    *r = Scratch(bars->n);

	kind_fns[item->kind] (bars, item->params, r);
	for (int i = 0; i < bars->n; i++)
		out[i] = TA_HAS(r[i]) && isfinite((double) r[i]) ? (double) r[i] : NAN;
	TaFree(r);
}

/* Parses a text[] of feature items, raising the error of the first bad one. */
FeatureItem *
ParseFeatureArray(ArrayType *arr, int *nitems)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	FeatureItem *items;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must be a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n == 0 || n > AP_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a feature set needs between 1 and %d features", AP_MAX_FEATURES),
				 errdetail("It has %d.", n)));
	items = palloc(sizeof(FeatureItem) * n);
	for (int i = 0; i < n; i++)
	{
		char		msg[AP_FEATURE_ERRLEN];

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("feature %d is null", i + 1)));
		if (!ParseFeatureItem(TextDatumGetCString(elems[i]), &items[i], msg, sizeof(msg)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s", msg),
					 errhint("Features are written kind[:p1[:p2[:p3]]] with canonical decimal parameters; kinds (with their parameter counts): %s.",
							 FeatureKindList())));
		for (int j = 0; j < i; j++)
			if (strcmp(items[j].name, items[i].name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("feature \"%s\" appears twice", items[i].name)));
	}
	*nitems = n;
	return items;
}

PG_FUNCTION_INFO_V1(ap_feature_names);

/* The column names of a list of feature items; validates every item. */
Datum
ap_feature_names(PG_FUNCTION_ARGS)
{
	int			n;
	FeatureItem *items = ParseFeatureArray(PG_GETARG_ARRAYTYPE_P(0), &n);
	Datum	   *names = palloc(sizeof(Datum) * n);

	for (int i = 0; i < n; i++)
		names[i] = CStringGetTextDatum(items[i].name);
	PG_RETURN_ARRAYTYPE_P(construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* Reads the bars of a symbol from ts `from` on, oldest first, into kernel reals. */
static void
LoadBars(const char *symbol, TimestampTz from, BarSeries *b)
{
	Oid			argtypes[2] = {TEXTOID, TIMESTAMPTZOID};
	Datum		args[2] = {CStringGetTextDatum(symbol), TimestampTzGetDatum(from)};
	int			ret;

	ret = SPI_execute_with_args("SELECT b.ts, b.open, b.high, b.low, b.close, b.volume, "
								"b.ts + a.bar_interval, extract(epoch FROM a.bar_interval)::float8 * 1000000 "
								"FROM alphapulse.bars b JOIN alphapulse.assets a ON a.symbol = b.symbol "
								"WHERE b.symbol = $1 AND b.ts >= $2 ORDER BY b.ts",
								2, argtypes, args, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading bars failed: %d", ret);
	b->n = (int) SPI_processed;
	b->ts = palloc(sizeof(double) * (b->n + 1));
	b->tstz = palloc(sizeof(int64) * (b->n + 1));
	b->tend = palloc(sizeof(int64) * (b->n + 1));
	b->interval_us = 0;
	b->news = NULL;
	b->open = Scratch(b->n);
	b->high = Scratch(b->n);
	b->low = Scratch(b->n);
	b->close = Scratch(b->n);
	b->volume = Scratch(b->n);
	for (int i = 0; i < b->n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		ta_real    *cols[5] = {b->open, b->high, b->low, b->close, b->volume};

		b->tstz[i] = DatumGetTimestampTz(SPI_getbinval(tup, td, 1, &isnull));
		b->ts[i] = TimestampTzToEpoch(b->tstz[i]);
		b->tend[i] = DatumGetTimestampTz(SPI_getbinval(tup, td, 7, &isnull));
		b->interval_us = DatumGetFloat8(SPI_getbinval(tup, td, 8, &isnull));
		for (int c = 0; c < 5; c++)
		{
			Numeric		num = DatumGetNumeric(SPI_getbinval(tup, td, c + 2, &isnull));
			int			dscale;

			NumericToReal(num, &cols[c][i], &dscale);
		}
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	SPI_freetuptable(SPI_tuptable);
}

typedef struct NewsRow
{
	int64		arrival;
	double		sent;
} NewsRow;

static int
NewsRowCmp(const void *a, const void *b)
{
	const NewsRow *x = a,
			   *y = b;

	/* ties in a fixed order (sentiment, missing last): every build sums alike */
	if (x->arrival != y->arrival)
		return x->arrival < y->arrival ? -1 : 1;
	if (isnan(x->sent) || isnan(y->sent))
		return isnan(x->sent) - isnan(y->sent);
	return x->sent < y->sent ? -1 : x->sent > y->sent ? 1 : 0;
}

/*
 * Reads the news of a symbol (items whose symbols contain it) with their
 * arrival under the point-in-time rule (NewsArrival), sorted by arrival.
 * A feed with trust_published (an admin's back-fill) counts from publication.
 */
static void
LoadNews(const char *symbol, NewsSeries *ns)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(symbol)};
	NewsRow    *rows;

	if (SPI_execute_with_args("SELECT n.published, n.fetched, n.sentiment, coalesce(f.trust_published, false) "
							  "FROM alphapulse.news n LEFT JOIN alphapulse.feeds f ON f.name = n.feed "
							  "WHERE n.symbols @> ARRAY[$1]::text[]",
							  1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading news failed");
	ns->n = (int) SPI_processed;
	rows = palloc(sizeof(NewsRow) * (ns->n + 1));
	for (int i = 0; i < ns->n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		nopub,
					isnull;
		Datum		pub = SPI_getbinval(tup, td, 1, &nopub);
		Datum		fetched = SPI_getbinval(tup, td, 2, &isnull);
		Datum		sent = SPI_getbinval(tup, td, 3, &isnull);
		double		s = isnull ? NAN : DatumGetFloat8(sent);
		bool		trust = DatumGetBool(SPI_getbinval(tup, td, 4, &isnull));

		rows[i].arrival = NewsArrival(!nopub, nopub ? 0 : DatumGetTimestampTz(pub),
									  DatumGetTimestampTz(fetched), trust);
		/* a non-finite score is no score */
		rows[i].sent = isfinite(s) ? s : NAN;
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	SPI_freetuptable(SPI_tuptable);
	qsort(rows, ns->n, sizeof(NewsRow), NewsRowCmp);
	ns->arrival = palloc(sizeof(int64) * (ns->n + 1));
	ns->sent = palloc(sizeof(double) * (ns->n + 1));
	for (int i = 0; i < ns->n; i++)
	{
		ns->arrival[i] = rows[i].arrival;
		ns->sent[i] = rows[i].sent;
	}
	pfree(rows);
}

/* Feature-set metadata read from alphapulse.feature_sets. */
typedef struct FeatureSetDef
{
	int			nfeat;
	FeatureItem *items;
	int			horizon;
	bool		classification;
	double		threshold;
} FeatureSetDef;

static void
LoadFeatureSet(const char *name, FeatureSetDef *fs)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(name)};
	bool		isnull;
	TupleDesc	td;
	HeapTuple	tup;

	if (SPI_execute_with_args("SELECT features, horizon, target_kind, threshold "
							  "FROM alphapulse.feature_sets WHERE name = $1",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading feature set failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("feature set \"%s\" does not exist", name),
				 errhint("Create it with ap_feature_set(name, spec); see alphapulse.feature_sets.")));
	td = SPI_tuptable->tupdesc;
	tup = SPI_tuptable->vals[0];
	fs->items = ParseFeatureArray(DatumGetArrayTypeP(SPI_getbinval(tup, td, 1, &isnull)), &fs->nfeat);
	fs->horizon = DatumGetInt32(SPI_getbinval(tup, td, 2, &isnull));
	fs->classification = strcmp(TextDatumGetCString(SPI_getbinval(tup, td, 3, &isnull)),
								"classification") == 0;
	fs->threshold = DatumGetFloat8(SPI_getbinval(tup, td, 4, &isnull));
}

/* A caller's text for a message: at most AP_MSG_CLIP bytes, cut at a character boundary. */
char *
ApClip(const char *s)
{
	int			n = (int) strlen(s);

	if (n <= AP_MSG_CLIP)
		return pstrdup(s);
	return psprintf("%.*s...", pg_mbcliplen(s, n, AP_MSG_CLIP), s);
}

/*
 * Makes the callers with the same key take turns until the end of the
 * transaction: a lock on a LOCKTAG_OBJECT tag whose class is the table
 * (alphapulse.<table>) and whose object is the symbol's hash and key2.  No
 * SQL function can take such a lock (pg_advisory_xact_lock keys could be
 * held by any role to stall us), so waiting here only waits for AlphaPulse.
 */
void
ApLockRows(const char *table, const char *symbol, uint32 key2)
{
	Oid			nsp = get_namespace_oid(AP_SCHEMA, false);
	Oid			rel = get_relname_relid(table, nsp);
	uint32		h = hash_bytes((const unsigned char *) symbol, strlen(symbol));
	LOCKTAG		tag;

	if (!OidIsValid(rel))
		elog(ERROR, "relation %s.%s does not exist", AP_SCHEMA, table);
	SET_LOCKTAG_OBJECT(tag, MyDatabaseId, rel, h ^ (key2 >> 16) ^ (key2 << 16), (uint16) key2);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

/*
 * The lock over every build (its tag: the class alphapulse.feature_sets,
 * which ApLockRows never uses and which exists at 0.1.0 too, so the library
 * also builds before ALTER EXTENSION UPDATE).  Builders take it shared (RowExclusiveLock)
 * before their symbol's lock; a statement that changed the bars of too many
 * symbols to lock each takes it exclusive (ShareRowExclusiveLock, which also
 * excludes another such statement) and waits for every open build instead.
 * Returns true when this transaction holds it exclusive: no other build can
 * run, so the symbols' locks are not needed.
 */
#define AP_BUILDS_LOCK_CLASS "feature_sets"

bool
ApLockAllBuilds(bool exclusive)
{
	Oid			rel = get_relname_relid(AP_BUILDS_LOCK_CLASS, get_namespace_oid(AP_SCHEMA, false));
	LOCKTAG		tag;

	if (!OidIsValid(rel))
		elog(ERROR, "relation %s.%s does not exist", AP_SCHEMA, AP_BUILDS_LOCK_CLASS);
	SET_LOCKTAG_OBJECT(tag, MyDatabaseId, rel, 0, 0);
	if (!exclusive && LockHeldByMe(&tag, ShareRowExclusiveLock))
		return true;
	(void) LockAcquire(&tag, exclusive ? ShareRowExclusiveLock : RowExclusiveLock, false, false);
	return exclusive;
}

/* Checks that the symbol is registered in alphapulse.assets. */
void
CheckSymbol(const char *symbol)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(symbol)};

	if (SPI_execute_with_args("SELECT 1 FROM alphapulse.assets WHERE symbol = $1",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading assets failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("unknown symbol \"%s\"", ApClip(symbol)),
				 errhint("Symbols are registered in alphapulse.assets.")));
}

static Datum
Float8ArrayWithNulls(const double *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * n);
	bool	   *nulls = palloc(sizeof(bool) * n);
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
	{
		nulls[i] = isnan(v[i]);
		d[i] = Float8GetDatum(nulls[i] ? 0 : v[i]);
	}
	return PointerGetDatum(construct_md_array(d, nulls, 1, dims, lbs, FLOAT8OID, 8,
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

#define AP_BUILD_BATCH 2000

/* The last stored feature row's ts, DT_NOBEGIN when there is none. */
static TimestampTz
LastFeatureTs(const char *symbol, const char *setname)
{
	Oid			t[2] = {TEXTOID, TEXTOID};
	Datum		a[2] = {CStringGetTextDatum(symbol), CStringGetTextDatum(setname)};
	bool		isnull;
	Datum		d;

	if (SPI_execute_with_args("SELECT max(ts) FROM alphapulse.features WHERE symbol = $1 AND feature_set = $2",
							  2, t, a, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading the last feature row failed");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? DT_NOBEGIN : DatumGetTimestampTz(d);
}

/* True when no bar of the symbol is newer than ts. */
static bool
NoBarAfter(const char *symbol, TimestampTz ts)
{
	Oid			t[2] = {TEXTOID, TIMESTAMPTZOID};
	Datum		a[2] = {CStringGetTextDatum(symbol), TimestampTzGetDatum(ts)};

	if (SPI_execute_with_args("SELECT 1 FROM alphapulse.bars WHERE symbol = $1 AND ts > $2 LIMIT 1",
							  2, t, a, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading bars failed");
	return SPI_processed == 0;
}

/* Forgets the rows of the set from ts on (and the saved state that includes them). */
static void
DropFeaturesFrom(const char *symbol, const char *setname, TimestampTz ts)
{
	Oid			t[3] = {TEXTOID, TEXTOID, TIMESTAMPTZOID};
	Datum		a[3] = {CStringGetTextDatum(symbol), CStringGetTextDatum(setname), TimestampTzGetDatum(ts)};

	if (SPI_execute_with_args("DELETE FROM alphapulse.features WHERE symbol = $1 AND feature_set = $2 AND ts >= $3",
							  3, t, a, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "deleting feature rows failed");
	FeatureStateForget(symbol, setname);
}

/* The target and forward return of bar i, NaN while bar i + h is unknown. */
static void
TargetOf(const FeatureSetDef *fs, const BarSeries *b, int i, double *tg, double *fw)
{
	double		fwd;

	if (i + fs->horizon >= b->n)
	{
		*tg = *fw = NAN;
		return;
	}
	fwd = (double) logl(b->close[i + fs->horizon] / b->close[i]);
	*tg = fs->classification ? (fwd > fs->threshold ? 1.0 : 0.0) : fwd;
	*fw = fwd;
}

/*
 * Sets the targets of the stored rows [from, to) to what the bars say now:
 * known ones that became known, and ones a corrected or deleted later bar
 * changed or made unknown again.
 */
static void
RefreshTargets(const char *symbol, const char *setname, const FeatureSetDef *fs,
			   const BarSeries *b, int from, int to)
{
	Oid			types[5] = {TEXTOID, TEXTOID, TIMESTAMPTZOID, FLOAT8OID, FLOAT8OID};
	SPIPlanPtr	upd = SPI_prepare("UPDATE alphapulse.features SET target = $4, fwd_return = $5 "
								  "WHERE symbol = $1 AND feature_set = $2 AND ts = $3 "
								  "AND (target IS DISTINCT FROM $4 OR fwd_return IS DISTINCT FROM $5)",
								  5, types);

	if (upd == NULL)
		elog(ERROR, "preparing the target update failed");
	for (int i = Max(0, from); i < to; i++)
	{
		Datum		a[5];
		char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
		double		tg,
					fw;

		TargetOf(fs, b, i, &tg, &fw);
		a[0] = CStringGetTextDatum(symbol);
		a[1] = CStringGetTextDatum(setname);
		a[2] = TimestampTzGetDatum(b->tstz[i]);
		a[3] = Float8GetDatum(isnan(tg) ? 0 : tg);
		a[4] = Float8GetDatum(isnan(fw) ? 0 : fw);
		nulls[3] = nulls[4] = isnan(tg) ? 'n' : ' ';
		if (SPI_execute_plan(upd, a, nulls, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "updating targets failed");
	}
	SPI_freeplan(upd);
}

/* Inserts the rows [first_new, n) of the computed columns, AP_BUILD_BATCH a statement. */
static int64
StoreFeatureRows(const char *symbol, const char *setname, const FeatureSetDef *fs,
				 const BarSeries *b, double **cols, int first_new)
{
	Oid			instypes[7] = {TEXTOID, TEXTOID, TIMESTAMPTZARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID, INT4OID};
	SPIPlanPtr	ins;
	int64		added = 0;

	ins = SPI_prepare("INSERT INTO alphapulse.features (symbol, feature_set, ts, x, target, fwd_return) "
					  "SELECT $1, $2, u.ts, $4[(u.o - 1) * $7 + 1 : u.o * $7], $5[u.o], $6[u.o] "
					  "FROM unnest($3) WITH ORDINALITY AS u(ts, o)", 7, instypes);
	if (ins == NULL)
		elog(ERROR, "preparing feature statements failed");
	for (int from = first_new; from < b->n; from += AP_BUILD_BATCH)
	{
		int			cnt = Min(AP_BUILD_BATCH, b->n - from);
		Datum		a[7];
		double	   *flat = palloc(sizeof(double) * ((size_t) cnt * fs->nfeat));
		double	   *tg = palloc(sizeof(double) * cnt);
		double	   *fw = palloc(sizeof(double) * cnt);
		Datum	   *ts = palloc(sizeof(Datum) * cnt);

		for (int k = 0; k < cnt; k++)
		{
			int			i = from + k;

			for (int f = 0; f < fs->nfeat; f++)
				flat[(size_t) k * fs->nfeat + f] = cols[f][i];
			ts[k] = TimestampTzGetDatum(b->tstz[i]);
			TargetOf(fs, b, i, &tg[k], &fw[k]);
		}
		a[0] = CStringGetTextDatum(symbol);
		a[1] = CStringGetTextDatum(setname);
		a[2] = PointerGetDatum(construct_array(ts, cnt, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		a[3] = Float8ArrayWithNulls(flat, cnt * fs->nfeat);
		a[4] = Float8ArrayWithNulls(tg, cnt);
		a[5] = Float8ArrayWithNulls(fw, cnt);
		a[6] = Int32GetDatum(fs->nfeat);
		if (SPI_execute_plan(ins, a, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "inserting features failed");
		added += cnt;
		ApProgressPhase("store", from + cnt - first_new, b->n - first_new);
		ApProgressRows(added);
		pfree(flat);
		pfree(tg);
		pfree(fw);
		pfree(ts);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_freeplan(ins);
	return added;
}

/* The symbol's news when the set has a news kind, else NULL. */
static const NewsSeries *
SetNews(const char *symbol, const FeatureSetDef *fs)
{
	for (int f = 0; f < fs->nfeat; f++)
		if (FeatureKindUsesNews(fs->items[f].kind))
		{
			NewsSeries *ns = palloc0(sizeof(NewsSeries));

			LoadNews(symbol, ns);
			return ns;
		}
	return NULL;
}

/* The ts of the k-th bar at or before ts (the oldest one when there are fewer). */
static TimestampTz
NthBarBack(const char *symbol, TimestampTz ts, int k)
{
	Oid			t[3] = {TEXTOID, TIMESTAMPTZOID, INT4OID};
	Datum		a[3] = {CStringGetTextDatum(symbol), TimestampTzGetDatum(ts), Int32GetDatum(k)};
	bool		isnull;
	Datum		d;

	if (SPI_execute_with_args("SELECT min(s.ts) FROM (SELECT ts FROM alphapulse.bars WHERE symbol = $1 AND ts <= $2 "
							  "ORDER BY ts DESC LIMIT $3) s", 3, t, a, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading bars failed");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? ts : DatumGetTimestampTz(d);
}

/*
 * Computes the rows of bars [first_new, n): from the state st (which has seen
 * the bars before first_new), or without one by the batch kernels over all
 * of b, a fresh state then following every bar; stores them, refreshes the
 * targets before them and saves the state.
 */
static int64
StoreBuilt(const char *symbol, const char *setname, const FeatureSetDef *fs,
		   BarSeries *b, int first_new, FeatState *st)
{
	double	  **cols = palloc(sizeof(double *) * fs->nfeat);
	int64		added;

	for (int f = 0; f < fs->nfeat; f++)
		cols[f] = palloc(sizeof(double) * (b->n + 1));
	if (st != NULL)
	{
		ApProgressPhase("indicators", 1, 1);
		FeatureStatePush(st, fs->items, b, first_new, cols);
	}
	else
	{
		for (int f = 0; f < fs->nfeat; f++)
		{
			ApProgressPhase("indicators", f + 1, fs->nfeat);
			ComputeFeature(&fs->items[f], b, cols[f]);
			CHECK_FOR_INTERRUPTS();
		}
		if (FeatureSetStreams(fs->items, fs->nfeat))
		{
			st = FeatureStateNew(fs->items, fs->nfeat);
			FeatureStatePush(st, fs->items, b, 0, NULL);
		}
	}
	/* rows already stored whose target has become known (or changed) since */
	RefreshTargets(symbol, setname, fs, b, first_new - fs->horizon, first_new);
	added = StoreFeatureRows(symbol, setname, fs, b, cols, first_new);
	if (st != NULL && b->n > 0)
		FeatureStateSave(symbol, setname, st, fs->items, b->tstz[b->n - 1]);
	return added;
}

/*
 * Builds the symbol's rows of a feature set after the last stored one (with
 * the targets that became known).  rebuild_from (DT_NOEND: none) first drops
 * the rows from that bar on: a bar there was inserted, changed or deleted.
 * From the saved streaming state when it is valid and current (O(1) a new
 * bar), else in one pass over the history, which saves the state again.
 * Runs inside the caller's SPI connection.
 */
int64
ApBuildFeatures(const char *symbol, const char *setname, TimestampTz rebuild_from)
{
	FeatureSetDef fs;
	BarSeries	b;
	TimestampTz last_ts;
	int			first_new;

	CheckSymbol(symbol);
	LoadFeatureSet(setname, &fs);
	/*
	 * Builders of one symbol and set take turns (two would insert the same new
	 * rows); the statements after the lock take fresh snapshots (read_only
	 * false), so each sees the rows the one before it committed.
	 */
	if (!ApLockAllBuilds(false))
		ApLockRows(AP_FEATURES_TABLE, symbol, hash_bytes((const unsigned char *) setname, strlen(setname)));
	if (rebuild_from != DT_NOEND)
		DropFeaturesFrom(symbol, setname, rebuild_from);
	last_ts = LastFeatureTs(symbol, setname);
	/* nothing to do when no bar is newer than the last row built */
	if (rebuild_from == DT_NOEND && last_ts != DT_NOBEGIN && NoBarAfter(symbol, last_ts))
		return 0;
	if (FeatureSetStreams(fs.items, fs.nfeat) && last_ts != DT_NOBEGIN)
	{
		FeatState  *st = FeatureStateLoad(symbol, setname, fs.items, fs.nfeat, last_ts);

		if (st != NULL)
		{
			int			keep = Max(fs.horizon, st->ringcount);

			/* the bars the state and the targets look back on, then the new ones */
			LoadBars(symbol, NthBarBack(symbol, last_ts, keep), &b);
			b.news = SetNews(symbol, &fs);
			first_new = 0;
			while (first_new < b.n && b.tstz[first_new] <= last_ts)
				first_new++;
			if (FeatureStateMatchesBars(st, &b, first_new))
			{
				elog(DEBUG1, "ap_build_features: %d new bars of \"%s\" from the saved state of \"%s\"",
					 b.n - first_new, symbol, setname);
				return StoreBuilt(symbol, setname, &fs, &b, first_new, st);
			}
			ereport(WARNING,
					(errcode(ERRCODE_WARNING),
					 errmsg("feature state of symbol \"%s\", feature set \"%s\" is not used: its recent bars are not the table's",
							ApClip(symbol), setname),
					 errdetail("The rows are built from the history instead, and a new state is saved.")));
		}
	}

	LoadBars(symbol, DT_NOBEGIN, &b);
	b.news = SetNews(symbol, &fs);
	first_new = 0;
	while (first_new < b.n && b.tstz[first_new] <= last_ts)
		first_new++;
	return StoreBuilt(symbol, setname, &fs, &b, first_new, NULL);
}

PG_FUNCTION_INFO_V1(ap_build_features);

/*
 * Builds a feature set's rows of a symbol after the last stored one, plus
 * targets that have become known; identical to a build from scratch (bars
 * changed before the last row are rebuilt by the bars' triggers).
 */
Datum
ap_build_features(PG_FUNCTION_ARGS)
{
	char	   *symbol = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *setname = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int64		added;

	SPI_connect();
	ApProgressBegin("ap_build_features", symbol, 0);
	added = ApBuildFeatures(symbol, setname, DT_NOEND);
	ApProgressEnd();
	SPI_finish();
	PG_RETURN_INT64(added);
}
