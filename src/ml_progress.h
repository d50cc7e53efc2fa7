/*
 * ml_progress.h - progress of long AlphaPulse calls (ap_train, ap_build_features,
 * ap_evaluate, ap_drift, ap_backtest …), visible to every session of the database in
 * the view alphapulse.progress and, at most once a second, as NOTICE lines.
 */
#ifndef AP_ML_PROGRESS_H
#define AP_ML_PROGRESS_H

#include "postgres.h"

#define AP_PROGRESS_NAME_LEN 64		/* bytes kept of a function, symbol or phase name */
#define AP_PROGRESS_NOTICE_MS 1000	/* NOTICE lines: the first after this long, then at most this often */
#define AP_DEFAULT_PROGRESS_NOTICES true

extern bool ap_progress_notices;

/* shared memory (from _PG_init, when preloaded) and the setting */
extern void ProgressInit(void);

/*
 * A call reports Begin, then phases, steps and rows, then End.  Nested calls
 * (ap_train building features) leave the outer call's row alone.  An error or abort
 * ends the report of every call begun inside the aborted (sub)transaction.
 */
extern void ApProgressBegin(const char *function, const char *symbol, int64 steps);
extern void ApProgressPhase(const char *phase, int64 step, int64 steps);
extern void ApProgressStep(int64 step);
extern void ApProgressRows(int64 rows);
extern void ApProgressEnd(void);

#endif							/* AP_ML_PROGRESS_H */
