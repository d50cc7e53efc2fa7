/*
 * ml_signals.c - writing scores into alphapulse.signals.
 *
 * Where the time of a 200k-row ap_score went (bench/score.sh): the INSERT of
 * the rows cost about twice the rest of the call, and 60% of it was the
 * foreign key to alphapulse.models, checked by its RI trigger once per row
 * (a queued trigger event and a locking query each), the rest the executor's
 * row-at-a-time heap insert (one WAL record per row) and the primary key.
 * Every row of one call carries the same model_id, so when none of the
 * model's signals exist from the first time on, the rows go in by
 * bulk_insert.c: as COPY writes them, with that key checked once.  When the
 * table has something that path would not honour, or the model scored some
 * of these times already (the upsert), the rows go through SQL.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "bulk_insert.h"
#include "ml_signals.h"
#include "ml_util.h"

static const char *const SignalColumns[] = {"symbol", "ts", "model_id", "score", "signal"};

/* ap_score's rule, with PostgreSQL's float order (NaN above every number) */
static int
SignalOf(double score, double buy, double sell)
{
	if (float8_gt(score, buy))
		return 0;
	if (float8_lt(score, sell))
		return 1;
	return 2;
}

/* The bulk path (bulk_insert.c); false, having written nothing, when it does not apply. */
static bool
BulkWriteSignals(const char *symbol, int64 model_id, const TimestampTz *ts, const double *score,
				 int n, double buy, double sell)
{
	bool		constant[5] = {true, false, true, false, false};
	Datum		v[5];
	Datum		sig[3] = {CStringGetTextDatum("BUY"), CStringGetTextDatum("SELL"),
	CStringGetTextDatum("HOLD")};
	ApBulk	   *b;

	v[0] = CStringGetTextDatum(symbol);
	v[2] = Int64GetDatum(model_id);
	b = ApBulkBegin("alphapulse", "signals", SignalColumns, 5, constant, v, ACL_INSERT);
	if (b == NULL)
		return false;
	for (int i = 0; i < n; i++)
	{
		v[1] = TimestampTzGetDatum(ts[i]);
		v[3] = Float8GetDatum(score[i]);
		v[4] = sig[SignalOf(score[i], buy, sell)];
		ApBulkAdd(b, v);
	}
	ApBulkEnd(b);
	return true;
}

/* The SQL insert (an upsert unless fresh), one statement for every row. */
static void
SqlWriteSignals(const char *symbol, int64 model_id, const TimestampTz *ts, const double *score,
				int n, double buy, double sell, bool fresh)
{
	Datum	   *tsd = palloc(sizeof(Datum) * n);
	Datum	   *scd = palloc(sizeof(Datum) * n);
	Oid			t[5] = {TEXTOID, INT8OID, TIMESTAMPTZARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID};
	Datum		a[5];
	Datum		th[2] = {Float8GetDatum(buy), Float8GetDatum(sell)};
	const char *insert = "INSERT INTO alphapulse.signals AS g (symbol, ts, model_id, score, signal) "
		"SELECT $1, u.ts, $2, u.score, CASE WHEN u.score OPERATOR(pg_catalog.>) $5[1] THEN 'BUY' "
		"WHEN u.score OPERATOR(pg_catalog.<) $5[2] THEN 'SELL' ELSE 'HOLD' END "
		"FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u(ts, score)";

	for (int i = 0; i < n; i++)
	{
		tsd[i] = TimestampTzGetDatum(ts[i]);
		scd[i] = Float8GetDatum(score[i]);
	}
	a[0] = CStringGetTextDatum(symbol);
	a[1] = Int64GetDatum(model_id);
	a[2] = PointerGetDatum(construct_array(tsd, n, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	a[3] = PointerGetDatum(construct_array(scd, n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	a[4] = PointerGetDatum(construct_array(th, 2, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	if (SPI_execute_with_args(fresh ? insert :
							  psprintf("%s ON CONFLICT (symbol, ts, model_id) DO UPDATE SET score = excluded.score, "
									   "signal = excluded.signal, created = pg_catalog.now() "
									   "WHERE NOT (g.score OPERATOR(pg_catalog.=) excluded.score "
									   "AND g.signal OPERATOR(pg_catalog.=) excluded.signal)",
									   insert),
							  5, t, a, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "writing signals failed");
}

bool
ApWriteSignals(const char *symbol, int64 model_id, const TimestampTz *ts, const double *score,
			   int n, double buy, double sell)
{
	Oid			t[3] = {TEXTOID, INT8OID, TIMESTAMPTZOID};
	Datum		a[3];
	bool		isnull,
				fresh;
	TimestampTz first;

	if (n == 0)
		return false;
	first = ts[0];
	for (int i = 1; i < n; i++)
		first = Min(first, ts[i]);
	/*
	 * Scorers of one symbol and model take turns; when none of the rows is
	 * there yet the rows need no upsert's per-row probe.
	 */
	ApLockRows(AP_SIGNALS_TABLE, symbol, (uint32) (model_id ^ (model_id >> 32)));
	a[0] = CStringGetTextDatum(symbol);
	a[1] = Int64GetDatum(model_id);
	a[2] = TimestampTzGetDatum(first);
	/* a statement of its own, so its snapshot sees what the scorer before us committed */
	if (SPI_execute_with_args("SELECT NOT EXISTS (SELECT FROM alphapulse.signals s WHERE s.symbol OPERATOR(pg_catalog.=) $1 "
							  "AND s.model_id OPERATOR(pg_catalog.=) $2 AND s.ts OPERATOR(pg_catalog.>=) $3)",
							  3, t, a, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading the signals of a model failed");
	/* a transaction snapshot cannot see a concurrent scorer's rows: always upsert */
	fresh = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) &&
		!IsolationUsesXactSnapshot();
	if (fresh && BulkWriteSignals(symbol, model_id, ts, score, n, buy, sell))
		return true;
	SqlWriteSignals(symbol, model_id, ts, score, n, buy, sell, fresh);
	return false;
}
