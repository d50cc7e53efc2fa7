/*
 * ml_assets.c - facts about an asset that several subsystems need: how many bars
 * make a year, for every annualised figure (holdout Sharpe, backtests).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "ml_util.h"

/* Bars per year: the asset's periods_per_year, else AP_DAYS_PER_YEAR / bar_interval. */
double
ApPeriodsPerYear(const char *symbol)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(symbol)};
	bool		isnull;
	Datum		d;

	if (SPI_execute_with_args("SELECT COALESCE(periods_per_year, "
							  AP_DAYS_PER_YEAR_SQL " * 86400 / extract(epoch FROM bar_interval)::float8) "
							  "FROM alphapulse.assets WHERE symbol OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading assets failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("unknown symbol \"%s\"", ApClip(symbol)),
				 errhint("Symbols are registered in alphapulse.assets.")));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return DatumGetFloat8(d);
}

PG_FUNCTION_INFO_V1(ap_periods_per_year);

Datum
ap_periods_per_year(PG_FUNCTION_ARGS)
{
	char	   *symbol = text_to_cstring(PG_GETARG_TEXT_PP(0));
	double		r;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	r = ApPeriodsPerYear(symbol);
	SPI_finish();
	PG_RETURN_FLOAT8(r);
}
