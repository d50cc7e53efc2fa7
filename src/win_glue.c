/*
 * win_glue.c - turns the pure kernels into window functions.  The first call
 * in a partition reads every row once, checks the input, runs the kernel over
 * the rows whose series are all present and keeps the results in
 * partition-local memory; every call then returns its own row's result.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "windowapi.h"

#include "win_glue.h"
#include "win_numeric.h"

void *
TaAlloc(size_t size)
{
	return MemoryContextAllocHuge(CurrentMemoryContext, size > 0 ? size : 1);
}

void
TaFree(void *ptr)
{
	pfree(ptr);
}

/* The kernels' interrupt hook: a cancel or timeout ends the kernel here. */
void
TaCheckInterrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

/* Raises the error for a missing or out-of-range parameter. */
static void
BadParam(WinCalc *c, int argno, const char *what, const char *must)
{
	if (c->argnull[argno])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s parameter \"%s\" must not be null", c->fname, what)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s parameter \"%s\" must be %s", c->fname, what, must)));
}

int
ParamPeriod(WinCalc *c, int argno, const char *what, int min)
{
	int32		v;

	if (argno >= c->nargs || c->argnull[argno])
		BadParam(c, argno, what, "");
	v = DatumGetInt32(c->arg[argno]);
	if (v < min || v > AP_MAX_PERIOD)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s parameter \"%s\" must be between %d and %d",
						c->fname, what, min, AP_MAX_PERIOD),
				 errdetail("%s was %d.", what, v)));
	return v;
}

double
ParamFloat(WinCalc *c, int argno, const char *what, double min, double max)
{
	double		v;

	if (argno >= c->nargs || c->argnull[argno])
		BadParam(c, argno, what, "");
	v = DatumGetFloat8(c->arg[argno]);
	if (isnan(v) || v < min || v > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s parameter \"%s\" must be between %g and %g",
						c->fname, what, min, max),
				 errdetail("%s was %g.", what, v)));
	return v;
}

bool
ParamBool(WinCalc *c, int argno, const char *what)
{
	if (argno >= c->nargs || c->argnull[argno])
		BadParam(c, argno, what, "");
	return DatumGetBool(c->arg[argno]);
}

char *
ParamText(WinCalc *c, int argno, const char *what)
{
	if (argno >= c->nargs || c->argnull[argno])
		BadParam(c, argno, what, "");
	return TextDatumGetCString(c->arg[argno]);
}

/* Oscillators built from two averages need the fast one to be shorter. */
void
CheckFastSlow(WinCalc *c, int fast, int slow, const char *fast_name, const char *slow_name)
{
	if (fast >= slow)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s parameter \"%s\" must be less than \"%s\"",
						c->fname, fast_name, slow_name),
				 errdetail("%s was %d and %s was %d.", fast_name, fast, slow_name, slow)));
}

/* Reads the parameters at the first row; a parameter that varies is an error. */
static void
ReadParams(FunctionCallInfo fcinfo, WindowObject winobj, WinCalc *c,
		   const IndicatorDef *def)
{
	c->nargs = PG_NARGS();
	if (c->nargs > AP_MAX_ARGS)
		elog(ERROR, "%s called with %d arguments", def->name, c->nargs);
	for (int a = def->nseries; a < c->nargs; a++)
	{
		bool		isout;
		Oid			typid = get_fn_expr_argtype(fcinfo->flinfo, a);
		int16		typlen;
		bool		typbyval;

		get_typlenbyval(typid, &typlen, &typbyval);
		c->arg[a] = WinGetFuncArgInPartition(winobj, a, 0, WINDOW_SEEK_HEAD, false,
											 &c->argnull[a], &isout);
		if (!c->argnull[a])
			c->arg[a] = datumCopy(c->arg[a], typbyval, typlen);
		if (get_fn_expr_arg_stable(fcinfo->flinfo, a))
			continue;
		for (int r = 1; r < c->nrows; r++)
		{
			bool		isnull;
			Datum		d = WinGetFuncArgInPartition(winobj, a, r, WINDOW_SEEK_HEAD,
													 false, &isnull, &isout);

			CHECK_FOR_INTERRUPTS();
			if (isnull != c->argnull[a] ||
				(!isnull && !datumIsEqual(d, c->arg[a], typbyval, typlen)))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s parameters must be the same for every row of a partition",
								def->name),
						 errdetail("Argument %d changes at row %d of the partition.",
								   a + 1, r + 1)));
		}
	}
}

/* Input values must be finite (and positive where the indicator needs it). */
static void
BadValue(const IndicatorDef *def, int row, const char *need, Datum value, bool is_numeric)
{
	char	   *text = is_numeric ?
		DatumGetCString(DirectFunctionCall1(numeric_out, value)) :
		DatumGetCString(DirectFunctionCall1(float8out, value));

	ereport(ERROR,
			(errcode(def->positive ? ERRCODE_INVALID_ARGUMENT_FOR_LOG : ERRCODE_DATA_EXCEPTION),
			 errmsg("%s input must be %s", def->name, need),
			 errdetail("Row %d of the partition holds %s.", row + 1, text),
			 errhint("Use NULL for a missing value; the row's result is then NULL.")));
}

/*
 * Scales the NUMERIC price (or volume) series of a partition by 10^shift so
 * that every value is an integer held exactly in the 64-bit mantissa: sums,
 * differences and comparisons of decimal prices are then exact, as in
 * NUMERIC, and kernels are unchanged.  Results are scaled back on output.
 */
static int
ScaleToIntegers(WinCalc *c, const IndicatorDef *def, bool volume, const int *maxds,
				const ta_real *maxabs, bool *exact)
{
	int			shift = 0,
				need;
	ta_real		top = 0;
	ta_real		factor;

	for (int s = 0; s < def->nseries; s++)
		if (((def->volume_mask >> s) & 1) == volume)
		{
			shift = Max(shift, maxds[s]);
			top = fmaxl(top, maxabs[s]);
		}
	need = shift;
	/* 1e18 keeps the decoding error (1 ulp) well below half a unit */
	while (shift > 0 && top * powl(10, shift) >= 1e18L)
		shift--;
	*exact = (shift == need && top < 1e18L);
	if (shift == 0)
		return 0;
	factor = powl(10, shift);
	for (int s = 0; s < def->nseries; s++)
		if (((def->volume_mask >> s) & 1) == volume)
			for (int i = 0; i < c->n; i++)
			{
				CHECK_FOR_INTERRUPTS();
				c->in[s][i] *= factor;
				if (*exact)		/* every value is now a whole number */
					c->in[s][i] = rintl(c->in[s][i]);
			}
	return shift;
}

/* Reads every row of the partition and computes the results. */
static void
LoadPartition(FunctionCallInfo fcinfo, WindowObject winobj, WinCalc *c,
			  const IndicatorDef *def)
{
	int64		nrows64 = WinGetPartitionRowCount(winobj);
	int			nrows;
	bool	   *missing;
	int			maxds[AP_MAX_SERIES];
	ta_real		maxabs[AP_MAX_SERIES];
	MemoryContext old;
	const char *need = def->positive ? "finite and positive" : "finite";

	if (nrows64 > INT_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s partition has too many rows", def->name),
				 errdetail("The partition has " INT64_FORMAT " rows.", nrows64)));
	nrows = (int) nrows64;
	c->fname = def->name;
	c->units = def->units;
	c->nrows = nrows;
	c->cxt = GetMemoryChunkContext(c);
	c->is_numeric = get_fn_expr_argtype(fcinfo->flinfo, 0) == NUMERICOID;
	old = MemoryContextSwitchTo(c->cxt);

	ReadParams(fcinfo, winobj, c, def);
	missing = palloc0(sizeof(bool) * (nrows + 1));
	memset(maxds, 0, sizeof(maxds));
	memset(maxabs, 0, sizeof(maxabs));
	for (int s = 0; s < def->nseries; s++)
	{
		c->in[s] = MemoryContextAllocHuge(c->cxt, sizeof(ta_real) * (nrows + 1));
		if (c->is_numeric && def->keep_numeric)
		{
			c->num[s] = MemoryContextAllocHuge(c->cxt, sizeof(Numeric) * (nrows + 1));
			c->dscale[s] = MemoryContextAllocHuge(c->cxt, sizeof(int16) * (nrows + 1));
		}
		for (int r = 0; r < nrows; r++)
		{
			bool		isnull,
						isout;
			Datum		d = WinGetFuncArgInPartition(winobj, s, r, WINDOW_SEEK_HEAD,
													 false, &isnull, &isout);

			CHECK_FOR_INTERRUPTS();
			if (isnull)
			{
				missing[r] = true;
				continue;
			}
			if (c->is_numeric)
			{
				struct varlena *raw = (struct varlena *) DatumGetPointer(d);
				int			dscale;

				/* decode in place unless compressed or out of line (rare) */
				if (VARATT_IS_EXTENDED(raw) && !VARATT_IS_SHORT(raw))
					raw = (struct varlena *) DatumGetNumeric(d);
				if (!NumericBytesToReal(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw),
										&c->in[s][r], &dscale))
					BadValue(def, r, need, d, true);
				if (!isfinite(c->in[s][r]))
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("%s input is out of range", def->name),
							 errdetail("Row %d of the partition holds a value of magnitude beyond 1e4900.",
									   r + 1)));
				if (c->num[s])
				{
					c->num[s][r] = (Numeric) PG_DETOAST_DATUM_COPY(PointerGetDatum(raw));
					c->dscale[s][r] = (int16) dscale;
				}
				maxds[s] = Max(maxds[s], dscale);
				maxabs[s] = fmaxl(maxabs[s], fabsl(c->in[s][r]));
			}
			else
			{
				c->in[s][r] = DatumGetFloat8(d);
				if (!isfinite(c->in[s][r]))
					BadValue(def, r, need, d, false);
			}
			if (def->positive && c->in[s][r] <= 0)
				BadValue(def, r, need, d, c->is_numeric);
		}
	}

	/* keep the rows whose series are all present, in order */
	c->rowmap = MemoryContextAllocHuge(c->cxt, sizeof(int) * (nrows + 1));
	c->n = 0;
	for (int r = 0; r < nrows; r++)
	{
		CHECK_FOR_INTERRUPTS();
		if (missing[r])
		{
			c->rowmap[r] = -1;
			continue;
		}
		for (int s = 0; s < def->nseries; s++)
		{
			c->in[s][c->n] = c->in[s][r];
			if (c->num[s])
			{
				c->num[s][c->n] = c->num[s][r];
				c->dscale[s][c->n] = c->dscale[s][r];
			}
		}
		c->rowmap[r] = c->n++;
	}
	pfree(missing);
	if (c->is_numeric)
	{
		bool		volume_exact;

		c->price_shift = ScaleToIntegers(c, def, false, maxds, maxabs, &c->price_exact);
		c->volume_shift = ScaleToIntegers(c, def, true, maxds, maxabs, &volume_exact);
	}

	for (int k = 0; k < def->nout; k++)
		c->out[k] = MemoryContextAllocHuge(c->cxt, sizeof(ta_real) * (c->n + 1));
	def->compute(c);
	if (c->is_numeric && def->exact)
		def->exact(c);
	MemoryContextSwitchTo(old);
	c->ready = true;
}

/* One output field of present row i as a Datum of the series type. */
static Datum
FieldDatum(WinCalc *c, int k, int i, bool *isnull, NumericBuf *buf)
{
	if (c->exact[k])
	{
		*isnull = (c->exact[k][i] == (Datum) 0);
		return c->exact[k][i];
	}
	*isnull = !TA_HAS(c->out[k][i]);
	if (*isnull)
		return (Datum) 0;
	if (c->is_numeric)
	{
		int			shift = 0;

		switch (c->units[k])
		{
			case 'p':
				shift = c->price_shift;
				break;
			case 'q':
				shift = 2 * c->price_shift;
				break;
			case 'v':
				shift = c->volume_shift;
				break;
		}
		return NumericGetDatum(RealToNumeric(c->out[k][i], shift, buf));
	}
	return Float8GetDatum((double) c->out[k][i]);
}

/* Entry point shared by every indicator's window function. */
Datum
WinServe(FunctionCallInfo fcinfo, const IndicatorDef *def)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	WinCalc    *c = (WinCalc *) WinGetPartitionLocalMemory(winobj, sizeof(WinCalc));
	int64		pos;
	int			i;

	if (!c->ready)
		LoadPartition(fcinfo, winobj, c, def);
	pos = WinGetCurrentPosition(winobj);
	i = c->rowmap[pos];
	if (i < 0)
		PG_RETURN_NULL();
	if (def->nout == 1)
	{
		bool		isnull;
		Datum		d = FieldDatum(c, 0, i, &isnull, NULL);

		if (isnull)
			PG_RETURN_NULL();
		return d;
	}
	else
	{
		TupleDesc	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
		Datum		values[AP_MAX_OUTPUTS];
		bool		nulls[AP_MAX_OUTPUTS];
		NumericBuf	bufs[AP_MAX_OUTPUTS];	/* heap_form_tuple copies them */

		if (tupdesc == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
			TupleDesc	td;

			if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE ||
				td->natts != def->nout)
				elog(ERROR, "%s must be declared to return a %d-field composite type",
					 def->name, def->nout);
			tupdesc = BlessTupleDesc(CreateTupleDescCopy(td));
			fcinfo->flinfo->fn_extra = tupdesc;
			MemoryContextSwitchTo(old);
		}
		for (int k = 0; k < def->nout; k++)
			values[k] = FieldDatum(c, k, i, &nulls[k], &bufs[k]);
		return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
	}
}
