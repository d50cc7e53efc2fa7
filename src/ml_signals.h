/*
 * ml_signals.h - writing scores into alphapulse.signals (ml_signals.c), for
 * ap_score and any other scorer of feature rows.
 */
#ifndef AP_ML_SIGNALS_H
#define AP_ML_SIGNALS_H

#include "postgres.h"

#include "utils/timestamp.h"

/*
 * Writes n scores of one symbol by one model with their signals (BUY above
 * buy, SELL below sell, else HOLD) into alphapulse.signals, replacing the
 * model's earlier signals at those times.  Call it connected to SPI.
 * True when the rows went in by the bulk path (ml_signals.c).
 */
extern bool ApWriteSignals(const char *symbol, int64 model_id, const TimestampTz *ts,
						   const double *score, int n, double buy, double sell);

#endif							/* AP_ML_SIGNALS_H */
