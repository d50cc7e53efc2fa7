/*
 * ml_util.h - PostgreSQL-side helpers shared by the ml_* files: settings,
 * registry lookups and argument checks.
 */
#ifndef AP_ML_UTIL_H
#define AP_ML_UTIL_H

#include "postgres.h"
#include "utils/array.h"
#include "utils/timestamp.h"

#include "ml_features.h"

/* alphapulse.xgboost_threads */
extern int	ap_xgboost_threads;

extern void MlDefineSettings(void);
extern void ModelsOpsDefineSettings(void);	/* ml_export.c */
extern void CheckSymbol(const char *symbol);
extern char *ApClip(const char *s);
extern void ApLockRows(const char *table, const char *symbol, uint32 key2);
extern bool ApLockAllBuilds(bool exclusive);
#define AP_MSG_CLIP 64			/* bytes of a caller's text echoed in a message */
#define AP_FEATURES_TABLE "features"
#define AP_SIGNALS_TABLE "signals"
extern void LogFailedRun(const char *symbol, const char *feature_set, const char *algorithm,
						 const char *mode, const char *params, int sqlstate,
						 const char *message, TimestampTz started);
extern FeatureItem *ParseFeatureArray(ArrayType *arr, int *nitems);

/* The schema of AlphaPulse's tables and the run log in it (ml_runlog.c). */
#define AP_SCHEMA "alphapulse"
#define AP_RUNS_TABLE "runs"
#define AP_WRITER_ROLE "alphapulse_writer"	/* whose failed runs are recorded */

/* alphapulse.run_log_rate: failed runs recorded per second by a worker */
#define AP_RUN_LOG_RATE_DEFAULT 10
#define AP_RUN_LOG_RATE_MAX 1000
#define AP_RUN_LOG_BURST_SECONDS 5	/* the bucket holds this many seconds' worth */
#define AP_RUN_LOG_MAX_NAME 64		/* bytes kept of symbol, feature set, algorithm, mode */
#define AP_RUN_LOG_MAX_TEXT 8192	/* bytes kept of the message; longer params are left out */
extern int	ap_run_log_rate;
extern void RunLogInit(void);

/* Annualisation: bars per year are AP_DAYS_PER_YEAR days over the bar interval
 * unless the asset sets periods_per_year (252 for a stock's daily bars). */
#define AP_DAYS_PER_YEAR_SQL "365"
extern double ApPeriodsPerYear(const char *symbol);

/* seconds since 1970-01-01 UTC */
static inline double
TimestampTzToEpoch(TimestampTz t)
{
	return (double) (t - ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * USECS_PER_SEC)) / 1e6;
}

#endif							/* AP_ML_UTIL_H */
