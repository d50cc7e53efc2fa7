/*
 * win_numeric.h - fast conversions between NUMERIC and the kernels' reals.
 */
#ifndef AP_WIN_NUMERIC_H
#define AP_WIN_NUMERIC_H

#include "postgres.h"
#include "utils/numeric.h"

#include "ta.h"

extern bool NumericToReal(Numeric num, ta_real *out, int *dscale);
extern bool NumericBytesToReal(const char *p, Size len, ta_real *out, int *dscale);
extern Numeric RealToNumeric(ta_real v, int shift);
extern int	NumericDscale(Numeric num);
extern bool NumericIsZero(Numeric num);

#endif							/* AP_WIN_NUMERIC_H */
