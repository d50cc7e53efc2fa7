/*
 * bulk_insert.h - inserting many new rows into one table as COPY does
 * (bulk_insert.c), with the foreign keys of columns that hold one value in
 * every row checked once instead of by an RI trigger event per row.
 */
#ifndef AP_BULK_INSERT_H
#define AP_BULK_INSERT_H

#include "postgres.h"

#include "nodes/parsenodes.h"

typedef struct ApBulk ApBulk;

/*
 * Starts a bulk insert into schema.table of rows giving ncols columns (the
 * others get their defaults); constant[c] marks a column holding value[c] in
 * every row.  need: the privileges the SQL statement it stands for would
 * need on the table.  NULL (having done nothing) when the table has anything
 * the bulk path would not honour: a BEFORE ROW trigger, another foreign key,
 * rules, row security, a deferrable index, stored generated columns, or a
 * privilege short.  Otherwise the constant columns' foreign keys are checked
 * (and their rows locked) now, and the caller adds the rows and ends it.
 */
extern ApBulk *ApBulkBegin(const char *schema, const char *table, const char *const *columns,
						   int ncols, const bool *constant, const Datum *value, AclMode need);
/* One row: ncols values, none NULL. */
extern void ApBulkAdd(ApBulk *b, const Datum *values);
/* Inserts what is buffered, fires the AFTER triggers; returns the rows inserted. */
extern int64 ApBulkEnd(ApBulk *b);

#endif							/* AP_BULK_INSERT_H */
