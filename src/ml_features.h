/*
 * ml_features.h - feature sets: the catalogue of feature kinds, their names,
 * and the one-pass computation over a symbol's bars (pure C, no Datums).
 */
#ifndef AP_ML_FEATURES_H
#define AP_ML_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ta.h"

#define AP_MAX_FEATURES 500
#define AP_MAX_FEATURE_PARAMS 3

/* One parsed feature item such as "rsi:14". */
typedef struct FeatureItem
{
	int			kind;			/* index into the catalogue */
	int			nparams;
	double		params[AP_MAX_FEATURE_PARAMS];
	char		name[64];		/* column name, e.g. rsi_14 */
} FeatureItem;

/*
 * A symbol's news for the news_* kinds, sorted by arrival: the first instant
 * (a TimestampTz) at which the item counts for a bar whose end is at or after
 * it (see NewsArrival); sent is its sentiment, NaN when missing.
 */
typedef struct NewsSeries
{
	int			n;
	int64_t    *arrival;
	double	   *sent;
} NewsSeries;

/* A symbol's bars, oldest first, as kernel reals; ts as epoch seconds. */
typedef struct BarSeries
{
	int			n;
	double	   *ts;				/* seconds since 1970 (calendar features) */
	int64_t    *tstz;			/* the same as a TimestampTz */
	ta_real    *open;
	ta_real    *high;
	ta_real    *low;
	ta_real    *close;
	ta_real    *volume;
	int64_t    *tend;			/* the bar's end, ts + the asset's bar_interval */
	double		interval_us;	/* the asset's bar_interval in microseconds */
	const NewsSeries *news;		/* loaded only for sets with news_* kinds */
} BarSeries;

/* Feature kinds whose name starts with this read the symbol's news. */
#define AP_FEATURE_NEWS_PREFIX "news_"


/* Limits of a feature item's text and parameters (ml_featspec.c). */
#define AP_FEATURE_MAX_ITEM_LEN 63		/* bytes of "kind:p1:p2:p3" */
#define AP_FEATURE_MAX_PERIOD 100000	/* bars, for period parameters */
#define AP_FEATURE_MAX_MULTIPLIER 100	/* for real parameters such as k */
#define AP_FEATURE_MAX_DECIMALS 6		/* fractional digits of a real */
#define AP_FEATURE_ERRLEN 256

/*
 * The catalogue of feature kinds, one list for the parser (ml_featspec.c)
 * and the computation (ml_features.c): X(name, params, fn, doc), where
 * params has one letter per parameter, 'p' a period (a canonical decimal
 * integer in 1..AP_FEATURE_MAX_PERIOD) or 'r' a real (a canonical decimal in
 * (0, AP_FEATURE_MAX_MULTIPLIER] with at most AP_FEATURE_MAX_DECIMALS
 * fractional digits).
 */
#define AP_FEATURE_KINDS(X) \
	X("ret", "p", FRet, "log return over p bars") \
	X("ret_lag", "p", FRetLag, "1-bar log return k bars ago") \
	X("sma_ratio", "p", FSmaRatio, "close/SMA(p) - 1") \
	X("ema_ratio", "p", FEmaRatio, "close/EMA(p) - 1") \
	X("rsi", "p", FRsi, "RSI(p)") \
	X("macd", "ppp", FMacd, "MACD line / close") \
	X("macd_hist", "ppp", FMacdHist, "MACD histogram / close") \
	X("bb_pctb", "pr", FBbPctb, "Bollinger %B(p, k)") \
	X("bb_width", "pr", FBbWidth, "Bollinger bandwidth(p, k)") \
	X("atr_pct", "p", FAtrPct, "NATR(p)") \
	X("adx", "p", FAdx, "ADX(p)") \
	X("plus_di", "p", FPlusDi, "+DI(p)") \
	X("minus_di", "p", FMinusDi, "-DI(p)") \
	X("stoch_k", "ppp", FStochK, "slow %K(fastk, slowk, slowd)") \
	X("stoch_d", "ppp", FStochD, "slow %D(fastk, slowk, slowd)") \
	X("stochrsi", "ppp", FStochRsi, "StochRSI(p, k, smooth)") \
	X("willr", "p", FWillr, "Williams %R(p)") \
	X("cci", "p", FCci, "CCI(p)") \
	X("mfi", "p", FMfi, "MFI(p)") \
	X("roc", "p", FRoc, "ROC(p)") \
	X("cmo", "p", FCmo, "CMO(p)") \
	X("trix", "p", FTrix, "TRIX(p)") \
	X("ultosc", "ppp", FUltosc, "Ultimate oscillator(p1, p2, p3)") \
	X("ppo", "pp", FPpo, "PPO(fast, slow), EMA based") \
	X("aroon_osc", "p", FAroonOsc, "Aroon oscillator(p)") \
	X("zscore", "p", FZscore, "z-score of close over p") \
	X("linreg_slope", "p", FLinregSlope, "least-squares slope(p) / close") \
	X("stddev_ret", "p", FStddevRet, "population stddev of 1-bar log returns over p") \
	X("vol_z", "p", FVolZ, "z-score of volume over p") \
	X("vol_ratio", "p", FVolRatio, "volume/SMA(volume, p) - 1") \
	X("cmf", "p", FCmf, "Chaikin money flow(p)") \
	X("hl_range", "", FHlRange, "(high - low) / close") \
	X("co_ret", "", FCoRet, "ln(close/open)") \
	X("donchian_pos", "p", FDonchianPos, "(close - lower)/(upper - lower) of Donchian(p), 0.5 if flat") \
	X("psar_dist", "", FPsarDist, "(close - SAR(0.02, 0.2)) / close") \
	X("hour_sin", "", FHourSin, "sin of the UTC time of day") \
	X("hour_cos", "", FHourCos, "cos of the UTC time of day") \
	X("dow_sin", "", FDowSin, "sin of the position in the week") \
	X("dow_cos", "", FDowCos, "cos of the position in the week") \
	X("news_count", "p", FNewsCount, "news items that arrived in the last p bars") \
	X("news_sent_mean", "p", FNewsSentMean, "mean sentiment of the news that arrived in the last p bars, NULL if none is scored") \
	X("news_sent_decay", "p", FNewsSentDecay, "sum of news sentiment decayed with a half-life of p bars, NULL until one is scored") \
	X("news_sent_max_abs", "p", FNewsSentMaxAbs, "largest |sentiment| of the news that arrived in the last p bars, NULL if none is scored")

/*
 * Parses "kind[:p1[:p2[:p3]]]" (pure C): true on success; on failure false
 * with a message in err (errlen bytes, AP_FEATURE_ERRLEN is enough) that
 * quotes at most the first AP_FEATURE_MAX_ITEM_LEN bytes of text.
 */
extern bool ParseFeatureItem(const char *text, FeatureItem *item, char *err, size_t errlen);
extern int	FeatureKindCount(void);
extern const char *FeatureKindName(int kind);
extern int	FeatureKindParams(int kind);
extern const char *FeatureKindDoc(int kind);
extern const char *FeatureKindList(void);
extern bool FeatureKindUsesNews(int kind);

/*
 * The point-in-time rule: the arrival of a news item, the first bar end at
 * which it counts.  It counts for bar t when it was published before t's end
 * and had landed (fetched) by then; a NULL published counts from its landing;
 * trust_published (a back-fill feed) counts it from its publication alone.
 */
extern int64_t NewsArrival(bool has_published, int64_t published, int64_t fetched,
						   bool trust_published);

/* Fills out[i] (length bars->n) with the feature, NaN where it has no value. */
extern void ComputeFeature(const FeatureItem *item, const BarSeries *bars, double *out);

#endif							/* AP_ML_FEATURES_H */
