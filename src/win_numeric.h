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
/* up to 12 base-10000 digits: any int128 at any alignment */
#define AP_NUMERIC_MAX_DIGITS 12

/* Room for one NUMERIC built here, so a caller can avoid a palloc. */
typedef union NumericBuf
{
	char		data[VARHDRSZ + 2 * sizeof(uint16) + AP_NUMERIC_MAX_DIGITS * sizeof(int16)];
	int32		align;
} NumericBuf;

extern Numeric RealToNumeric(ta_real v, int shift, NumericBuf *buf);
extern Numeric FixedToNumeric(bool neg, unsigned __int128 m, int scale, int dscale,
							  NumericBuf *buf);
extern int	NumericDscale(Numeric num);
extern bool NumericIsZero(Numeric num);

#endif							/* AP_WIN_NUMERIC_H */
