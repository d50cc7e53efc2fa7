/*
 * ml_featstate.h - the saved streaming state of a (symbol, feature set) in
 * alphapulse.feature_state, so ap_build_features costs O(1) a new bar.
 */
#ifndef AP_ML_FEATSTATE_H
#define AP_ML_FEATSTATE_H

#include "postgres.h"
#include "utils/timestamp.h"

#include "ml_features.h"

/* alphapulse.feature_state.version of the states this build writes and reads */
#define AP_FEATURE_STATE_VERSION 1
#define AP_FEATURE_STATE_TABLE "feature_state"

/*
 * Builds the rows after last_ts from the saved state: the number of rows
 * added, or -1 when the state is missing, stale, unreadable (it is then
 * rebuilt from history by the caller) or the set has a kind that does not
 * stream.  Inside the caller's SPI connection.
 */
extern int64 FeatureStateBuild(const char *symbol, const char *setname,
							   const FeatureItem *items, int nfeat, int horizon,
							   bool classification, double threshold,
							   TimestampTz last_ts);
/* Saves the state after the last bar of a full pass (when the set streams). */
extern void FeatureStateSaveFromHistory(const char *symbol, const char *setname,
										const FeatureItem *items, int nfeat,
										const BarSeries *b);
/* Drops the saved state (rows it included were dropped). */
extern void FeatureStateForget(const char *symbol, const char *setname);

/* ml_features.c: the build behind ap_build_features, inside an SPI connection */
extern int64 ApBuildFeatures(const char *symbol, const char *setname, TimestampTz rebuild_from);

#endif							/* AP_ML_FEATSTATE_H */
