/*
 * win_glue.h - the window-function layer: reads a partition once, runs an
 * indicator kernel over its present rows and serves the results row by row.
 */
#ifndef AP_WIN_GLUE_H
#define AP_WIN_GLUE_H

#include "postgres.h"
#include "fmgr.h"
#include "utils/numeric.h"

#include "ta.h"

#define AP_MAX_SERIES	4
#define AP_MAX_OUTPUTS	5
#define AP_MAX_ARGS		8
#define AP_MAX_PERIOD	10000000

/* One partition's inputs and results, in partition-local memory. */
typedef struct WinCalc
{
	bool		ready;			/* computed for this partition */
	bool		is_numeric;		/* series are NUMERIC (else float8) */
	const char *fname;
	const char *units;			/* the indicator's output units */
	MemoryContext cxt;			/* the partition's memory context */
	int			nrows;			/* rows in the partition */
	int			n;				/* rows whose series are all present */
	int		   *rowmap;			/* partition row -> present index, or -1 */
	ta_real    *in[AP_MAX_SERIES];	/* present values, oldest first */
	Numeric    *num[AP_MAX_SERIES]; /* the same as NUMERIC, for exact paths */
	int16	   *dscale[AP_MAX_SERIES];	/* their display scales */
	ta_real    *out[AP_MAX_OUTPUTS];	/* TA_NONE where there is no value */
	Datum	   *exact[AP_MAX_OUTPUTS];	/* exact NUMERIC results ((Datum) 0: none) */
	int			price_shift;	/* NUMERIC prices were scaled by 10^shift */
	bool		price_exact;	/* ... and are now exact whole numbers */
	int			volume_shift;	/* and volumes by 10^shift */
	int			nargs;
	Datum		arg[AP_MAX_ARGS];	/* parameters (arguments after the series) */
	bool		argnull[AP_MAX_ARGS];
} WinCalc;

typedef struct IndicatorDef
{
	const char *name;
	int			nseries;		/* leading series arguments */
	int			nout;			/* 1, or fields of the composite result */
	bool		keep_numeric;	/* the exact path needs the NUMERIC inputs */
	bool		positive;		/* series values must be > 0 */
	void		(*compute) (WinCalc *c);	/* validates parameters, fills out[] */
	void		(*exact) (WinCalc *c);	/* NUMERIC input: fills some exact[] */
	const char *units;			/* per output: 0 none, p price, q price^2, v volume */
	uint8		volume_mask;	/* bit s set: series s is a volume */
} IndicatorDef;

extern Datum WinServe(FunctionCallInfo fcinfo, const IndicatorDef *def);

extern int	ParamPeriod(WinCalc *c, int argno, const char *what, int min);
extern double ParamFloat(WinCalc *c, int argno, const char *what, double min, double max);
extern bool ParamBool(WinCalc *c, int argno, const char *what);
extern char *ParamText(WinCalc *c, int argno, const char *what);
extern void CheckFastSlow(WinCalc *c, int fast, int slow, const char *fast_name,
						  const char *slow_name);

/* exact NUMERIC paths (win_exact.c) */
extern void ExactSmaInto(WinCalc *c, int p, int field);
extern void ExactWma(WinCalc *c);
extern void ExactVwma(WinCalc *c);
extern void ExactVwap(WinCalc *c);
extern void ExactMom(WinCalc *c);
extern void ExactRoc(WinCalc *c);
extern void ExactTrange(WinCalc *c);
extern void ExactObv(WinCalc *c);
extern void ExactAd(WinCalc *c);
extern void ExactDonchian(WinCalc *c);

#endif							/* AP_WIN_GLUE_H */
