/*
 * ml_featstate.h - the streaming state of a (symbol, feature set): every
 * feature's indicator states and the recent bars the features look back on,
 * saved in alphapulse.feature_state so a new bar costs O(1).
 */
#ifndef AP_ML_FEATSTATE_H
#define AP_ML_FEATSTATE_H

#include "postgres.h"
#include "utils/timestamp.h"

#include "ml_features.h"
#include "ta_stream.h"

/* alphapulse.feature_state.version of the states this build writes and reads */
#define AP_FEATURE_STATE_VERSION 1
#define AP_FEATURE_STATE_MAGIC 0x41504653	/* "APFS" */
/* indicator states a feature holds at most */
#define AP_FEATURE_STATE_KERNELS 2

/* One bar as the features see it. */
typedef struct FeatBar
{
	int64		tstz;
	int64		tend;			/* the bar's end (news windows) */
	ta_real		o,
				h,
				l,
				c,
				v;
} FeatBar;

/* news_sent_decay's running sum and whether a scored item has arrived. */
typedef struct FeatDecay
{
	ta_real		d;
	int64		any;
} FeatDecay;

/* A feature set's state, unpacked (FeatureStateLoad / FeatureStateNew). */
typedef struct FeatState
{
	int			nfeat;
	int			ringcap;		/* bars kept: the longest look-back + 1 */
	int			ringpos;		/* slot the next bar goes to */
	int			ringcount;
	int64		nbars;			/* bars pushed since the first */
	int64		first_tend;		/* end of the first bar (news windows before it) */
	FeatBar    *ring;
	const TaStreamKernel **kern;	/* nfeat x AP_FEATURE_STATE_KERNELS, NULL unused */
	TaStream  **ks;
	int		   *outidx;			/* the output each kernel's value is read from */
	FeatDecay  *decay;			/* per feature: news_sent_decay's running sum */
} FeatState;

/* True when every feature of the set has a streaming form. */
extern bool FeatureSetStreams(const FeatureItem *items, int nfeat);
/* A fresh state (no bar yet); the set streams. */
extern FeatState *FeatureStateNew(const FeatureItem *items, int nfeat);
/* Pushes bars [from, b->n) of b; cols[f][i] gets feature f of bar i (cols may be NULL). */
extern void FeatureStatePush(FeatState *st, const FeatureItem *items, const BarSeries *b,
							 int from, double **cols);
/*
 * The saved state of the set after last_ts, or NULL when there is none or it
 * cannot be used (another version, corrupt bytes, another feature list, a
 * state not at last_ts: a WARNING names why).  Inside an SPI connection.
 */
extern FeatState *FeatureStateLoad(const char *symbol, const char *setname,
								   const FeatureItem *items, int nfeat, TimestampTz last_ts);
/* Checks the state's recent bars against the loaded bars [0, upto) (the bars before the new ones). */
extern bool FeatureStateMatchesBars(const FeatState *st, const BarSeries *b, int upto);
/* Saves the state as of its last bar (ts). */
extern void FeatureStateSave(const char *symbol, const char *setname, const FeatState *st,
							 const FeatureItem *items, TimestampTz last_ts);
/* Drops the saved state (rows it included were dropped). */
extern void FeatureStateForget(const char *symbol, const char *setname);

/* ml_features.c: the build behind ap_build_features, inside an SPI connection */
extern int64 ApBuildFeatures(const char *symbol, const char *setname, TimestampTz rebuild_from);

#endif							/* AP_ML_FEATSTATE_H */
