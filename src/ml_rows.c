/*
 * ml_rows.c - a symbol's feature rows as the model code reads them: built
 * first (ap_build_features), counted, and loaded into a dense matrix in time
 * order.  Training, scoring, evaluation and drift all read rows here; none
 * of them reaches into another's file for it.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "ml_rows.h"

/* The number of features of a set (42704 when it does not exist). */
int
FeatureSetWidth(const char *feature_set)
{
	Oid			t[1] = {TEXTOID};
	Datum		a[1] = {CStringGetTextDatum(feature_set)};
	bool		isnull;

	if (SPI_execute_with_args("SELECT array_length(feature_names, 1) FROM alphapulse.feature_sets WHERE name = $1",
							  1, t, a, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading feature set \"%s\" failed", feature_set);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("feature set \"%s\" does not exist", feature_set),
				 errhint("Create it with ap_feature_set(name, spec); see alphapulse.feature_sets.")));
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/* Brings the symbol's rows of the set up to date, through the SQL function (its locks and checks). */
void
BuildFeaturesFor(Oid nsp, const char *symbol, const char *feature_set)
{
	Oid			t[2] = {TEXTOID, TEXTOID};
	Datum		a[2] = {CStringGetTextDatum(symbol), CStringGetTextDatum(feature_set)};

	char	   *sql = psprintf("SELECT %s.ap_build_features($1, $2)",
							   quote_identifier(get_namespace_name(nsp)));

	if (SPI_execute_with_args(sql, 2, t, a, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "building features failed");
}

#define AP_FEATURE_QUERY(with_target) \
	((with_target) ? \
	 "FROM alphapulse.features WHERE symbol OPERATOR(pg_catalog.=) $1 AND feature_set OPERATOR(pg_catalog.=) $2 " \
	 "AND ts OPERATOR(pg_catalog.>=) $3 AND target IS NOT NULL AND pg_catalog.array_position(x, NULL) IS NULL" : \
	 "FROM alphapulse.features WHERE symbol OPERATOR(pg_catalog.=) $1 AND feature_set OPERATOR(pg_catalog.=) $2 " \
	 "AND ts OPERATOR(pg_catalog.>=) $3 AND pg_catalog.array_position(x, NULL) IS NULL")

/* The number of rows LoadFeatureRows would load, counted without loading them. */
int64
CountFeatureRows(const char *symbol, const char *feature_set, bool with_target,
				 TimestampTz since)
{
	Oid			t[3] = {TEXTOID, TEXTOID, TIMESTAMPTZOID};
	Datum		a[3] = {CStringGetTextDatum(symbol), CStringGetTextDatum(feature_set),
	TimestampTzGetDatum(since)};
	bool		isnull;

	if (SPI_execute_with_args(psprintf("SELECT pg_catalog.count(*) %s", AP_FEATURE_QUERY(with_target)),
							  3, t, a, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "counting features failed");
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * Bytes the backend holds while loading n rows of p features: its own copy
 * of the matrix and the targets, plus one batch of SPI tuples.
 */
double
FeatureLoadMemory(int64 n, int p)
{
	return 8.0 * n * (p + 3) +
		(double) Min(n, AP_FEATURE_LOAD_BATCH) * (8.0 * p + AP_FEATURE_TUPLE_OVERHEAD);
}

/*
 * Loads through a cursor in batches of AP_FEATURE_LOAD_BATCH rows, so the
 * peak is the matrix plus one batch rather than the matrix plus every tuple.
 * Callers check the count and FeatureLoadMemory first; rows beyond
 * max_rows (inserted since the count) are left out.
 */
void
LoadFeatureRows(const char *symbol, const char *feature_set, bool with_target,
				TimestampTz since, int expect_p, int64 max_rows, FeatureRows *r)
{
	Oid			t[3] = {TEXTOID, TEXTOID, TIMESTAMPTZOID};
	Datum		a[3] = {CStringGetTextDatum(symbol), CStringGetTextDatum(feature_set),
	TimestampTzGetDatum(since)};
	Portal		cur;
	int			i = 0;

	if (max_rows < 0 || max_rows >= INT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many feature rows of \"%s\"", symbol)));
	cur = SPI_cursor_open_with_args(NULL,
									psprintf("SELECT ts, x, target, fwd_return %s ORDER BY ts",
											 AP_FEATURE_QUERY(with_target)),
									3, t, a, NULL, false, CURSOR_OPT_NO_SCROLL);
	if (cur == NULL)
		elog(ERROR, "opening the feature cursor failed: %s", SPI_result_code_string(SPI_result));
	r->n = 0;
	r->p = expect_p;
	r->x = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * ((size_t) max_rows * r->p + 1));
	r->y = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * (max_rows + 1));
	r->fwd = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * (max_rows + 1));
	r->ts = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(TimestampTz) * (max_rows + 1));
	for (;;)
	{
		SPI_cursor_fetch(cur, true, AP_FEATURE_LOAD_BATCH);
		if (SPI_processed == 0)
			break;
		for (uint64 k = 0; k < SPI_processed && i < max_rows; k++, i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[k];
			TupleDesc	td = SPI_tuptable->tupdesc;
			bool		isnull;
			ArrayType  *arr;
			Datum		d;

			r->ts[i] = DatumGetTimestampTz(SPI_getbinval(tup, td, 1, &isnull));
			arr = DatumGetArrayTypeP(SPI_getbinval(tup, td, 2, &isnull));
			if (ARR_NDIM(arr) != 1 || ArrayGetNItems(1, ARR_DIMS(arr)) != r->p)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("a feature row of \"%s\" does not match feature set \"%s\"",
								symbol, feature_set),
						 errdetail("The row at %s has %d values; the feature set has %d features.",
								   timestamptz_to_str(r->ts[i]),
								   ARR_NDIM(arr) == 1 ? ArrayGetNItems(1, ARR_DIMS(arr)) : 0, r->p),
						 errhint("Rebuild the features: DELETE FROM alphapulse.features WHERE feature_set = '%s', then ap_build_features.",
								 feature_set)));
			if (!ARR_HASNULL(arr))
				memcpy(r->x + (size_t) i * r->p, (char *) arr + ARR_OVERHEAD_NONULLS(1), sizeof(double) * r->p);
			else
			{
				/* a slice may carry a null bitmap without nulls */
				Datum	   *el;
				bool	   *nulls;
				int			nel;

				deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &el, &nulls, &nel);
				for (int j = 0; j < r->p; j++)
					r->x[(size_t) i * r->p + j] = nulls[j] ? NAN : DatumGetFloat8(el[j]);
				pfree(el);
				pfree(nulls);
			}
			if ((Pointer) arr != DatumGetPointer(SPI_getbinval(tup, td, 2, &isnull)))
				pfree(arr);
			d = SPI_getbinval(tup, td, 3, &isnull);
			r->y[i] = isnull ? NAN : DatumGetFloat8(d);
			d = SPI_getbinval(tup, td, 4, &isnull);
			r->fwd[i] = isnull ? NAN : DatumGetFloat8(d);
			if ((i & 1023) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		SPI_freetuptable(SPI_tuptable);
		if (i >= max_rows)
			break;
	}
	SPI_cursor_close(cur);
	r->n = i;
}
