/*
 * win_numeric.c - reads and writes PostgreSQL's NUMERIC storage format
 * directly, so that decoding an input costs no text round trip and a result
 * keeps 17 significant digits (float8_numeric keeps only 15).
 *
 * The format (stable on disk since 9.1): a varlena whose first uint16 holds
 * the flags; short form packs sign, display scale and weight into it, long
 * form follows it with an int16 weight; then base-10000 digits, most
 * significant first, value = sum(d[i] * 10000^(weight - i)).
 */
#include "postgres.h"

#include "utils/fmgrprotos.h"

#include "win_numeric.h"

#define NBASE			10000
#define FLAG_MASK		0xC000
#define FLAG_NEG		0x4000
#define FLAG_SHORT		0x8000
#define FLAG_SPECIAL	0xC000
#define SHORT_NEG		0x2000
#define SHORT_DSCALE_MASK	0x1F80
#define SHORT_DSCALE_SHIFT	7
#define SHORT_WEIGHT_NEG	0x0040
#define SHORT_WEIGHT_MASK	0x003F
#define LONG_DSCALE_MASK	0x3FFF

#define POW10_MAX 64

/* Powers of ten as long double, 10^0 .. 10^64 (exact up to 10^27). */
static ta_real
Pow10(int e)
{
	static ta_real table[POW10_MAX + 1];
	static bool filled = false;

	if (!filled)
	{
		table[0] = 1;
		for (int i = 1; i <= POW10_MAX; i++)
			table[i] = table[i - 1] * 10;
		filled = true;
	}
	if (e >= 0 && e <= POW10_MAX)
		return table[e];
	return powl(10, e);
}

/* floor(log2(a)) of a positive normal long double, read from its bits. */
static inline int
BinaryExponent(ta_real a)
{
#if defined(__x86_64__) || defined(__i386__)
	union
	{
		ta_real		v;
		struct
		{
			uint64		mant;
			uint16		sexp;
		}			b;
	}			u;

	u.v = a;
	return (int) (u.b.sexp & 0x7FFF) - 16383;
#else
	int			e;

	(void) frexpl(a, &e);
	return e - 1;
#endif
}

/* a * 10^e for a power-of-ten exponent of either sign. */
static inline ta_real
Scale10(ta_real a, int e)
{
	return e >= 0 ? a * Pow10(e) : a / Pow10(-e);
}

/*
 * NUMERIC to real, correctly rounded for values of up to 36 significant
 * digits; false for NaN and infinities.
 */
bool
NumericToReal(Numeric num, ta_real *out, int *dscale)
{
	return NumericBytesToReal(VARDATA(num), VARSIZE(num) - VARHDRSZ, out, dscale);
}

/* The same from a NUMERIC's bytes after its varlena header (either size). */
bool
NumericBytesToReal(const char *p, Size len, ta_real *out, int *dscale)
{
	uint16		h = *(const uint16 *) p;
	const int16 *dig;
	int			ndig,
				weight,
				used = 0;
	bool		neg;
	unsigned __int128 u = 0;
	ta_real		v;
	int			e;

	if ((h & FLAG_MASK) == FLAG_SPECIAL)
		return false;
	if (h & FLAG_SHORT)
	{
		neg = (h & SHORT_NEG) != 0;
		if (dscale)
			*dscale = (h & SHORT_DSCALE_MASK) >> SHORT_DSCALE_SHIFT;
		weight = (h & SHORT_WEIGHT_NEG) ? (int) (~SHORT_WEIGHT_MASK | (h & SHORT_WEIGHT_MASK))
			: (int) (h & SHORT_WEIGHT_MASK);
		dig = (const int16 *) (p + sizeof(uint16));
		ndig = (len - sizeof(uint16)) / sizeof(int16);
	}
	else
	{
		neg = (h & FLAG_MASK) == FLAG_NEG;
		if (dscale)
			*dscale = h & LONG_DSCALE_MASK;
		weight = *(const int16 *) (p + sizeof(uint16));
		dig = (const int16 *) (p + 2 * sizeof(uint16));
		ndig = (len - 2 * sizeof(uint16)) / sizeof(int16);
	}
	if (ndig <= 4)
	{
		/* up to 16 decimal digits: integer arithmetic on int64 is exact */
		int64		w = 0;

		while (used < ndig)
			w = w * NBASE + dig[used++];
		v = (ta_real) w;
	}
	else
	{
		while (used < ndig && used < 9)
			u = u * NBASE + (unsigned) dig[used++];
		v = (ta_real) u;
	}
	e = 4 * (weight - used + 1);	/* value = digits * 10^e (beyond 36 dropped) */
	v = Scale10(v, e);
	*out = neg ? -v : v;
	return true;
}

/*
 * Builds a normalised NUMERIC from base-10000 digits (most significant
 * first), in buf when given (it is large enough for any result here).
 */
static Numeric
MakeNumeric(bool neg, int weight, int dscale, const int16 *dig, int ndig, NumericBuf *buf)
{
	Numeric		res;
	char	   *p;
	bool		is_short;
	Size		len;

	while (ndig > 0 && dig[0] == 0)
	{
		dig++;
		ndig--;
		weight--;
	}
	while (ndig > 0 && dig[ndig - 1] == 0)
		ndig--;
	if (ndig == 0)
	{
		neg = false;
		weight = 0;
	}
	is_short = dscale <= (SHORT_DSCALE_MASK >> SHORT_DSCALE_SHIFT) &&
		weight >= -(SHORT_WEIGHT_MASK + 1) && weight <= SHORT_WEIGHT_MASK;
	len = VARHDRSZ + (is_short ? 1 : 2) * sizeof(uint16) + ndig * sizeof(int16);
	Assert(len <= sizeof(NumericBuf));
	res = buf ? (Numeric) buf->data : (Numeric) palloc(len);
	SET_VARSIZE(res, len);
	p = (char *) res + VARHDRSZ;
	if (is_short)
	{
		*(uint16 *) p = FLAG_SHORT | (neg ? SHORT_NEG : 0) |
			(dscale << SHORT_DSCALE_SHIFT) |
			(weight < 0 ? SHORT_WEIGHT_NEG : 0) | (weight & SHORT_WEIGHT_MASK);
		p += sizeof(uint16);
	}
	else
	{
		*(uint16 *) p = (neg ? FLAG_NEG : 0) | (dscale & LONG_DSCALE_MASK);
		*(int16 *) (p + sizeof(uint16)) = weight;
		p += 2 * sizeof(uint16);
	}
	memcpy(p, dig, ndig * sizeof(int16));
	return res;
}

/*
 * The NUMERIC m * 10^-scale (scale may be negative) with display scale
 * dscale, which must be at least the number of its nonzero decimals.
 */
Numeric
FixedToNumeric(bool neg, unsigned __int128 m, int scale, int dscale, NumericBuf *buf)
{
	static const uint64 p10[] = {1, 10, 100, 1000};
	int			pad = ((scale % 4) + 4) % 4;	/* digits of m in its lowest group */
	int			nd = 0;
	int16		grp[AP_NUMERIC_MAX_DIGITS];
	int16		dig[AP_NUMERIC_MAX_DIGITS];
	int			low_weight;

	/* split m into base-10000 groups aligned on the decimal point */
	if (pad > 0)
	{
		grp[nd++] = (int16) ((uint64) (m % p10[pad]) * p10[4 - pad]);
		m /= p10[pad];
	}
	while (m > UINT64_MAX)
	{
		grp[nd++] = (int16) (uint64) (m % NBASE);
		m /= NBASE;
	}
	for (uint64 w = (uint64) m; w > 0; w /= NBASE)
		grp[nd++] = (int16) (w % NBASE);
	for (int i = 0; i < nd; i++)
		dig[i] = grp[nd - 1 - i];
	low_weight = -((scale + (pad ? 4 - pad : 0)) / 4);
	return MakeNumeric(neg, low_weight + nd - 1, dscale, dig, nd, buf);
}

/*
 * v * 10^-shift as a NUMERIC with 17 significant digits, trailing zeros
 * dropped (shift undoes the window layer's scaling of prices to integers).
 * Values far outside the range of prices and oscillators take the slow path.
 */
Numeric
RealToNumeric(ta_real v, int shift, NumericBuf *buf)
{
	ta_real		a = fabsl(v);
	int			e,
				scale;
	uint64		m;

	Assert(!isnan(v));
	if (a == 0)
		return MakeNumeric(false, 0, 0, NULL, 0, buf);
	if (a < 1e-40L || a > 1e40L)
		return DatumGetNumeric(DirectFunctionCall1(float8_numeric,
												   Float8GetDatum((double) Scale10(v, -shift))));
	/* floor(log10(a)) from the binary exponent (78913 / 2^18 ~ log10 2) */
	e = (BinaryExponent(a) * 78913) >> 18;
	if (a >= Scale10(1, e + 1))
		e++;
	scale = 16 - e;				/* decimal places that leave 17 digits */
	m = (uint64) llrintl(Scale10(a, scale));
	if (m >= UINT64CONST(100000000000000000))
	{
		scale--;
		m = (uint64) llrintl(Scale10(a, scale));
	}
	else if (m < UINT64CONST(10000000000000000))
	{
		scale++;
		m = (uint64) llrintl(Scale10(a, scale));
	}
	while (scale > -shift && m % 10 == 0)
	{
		m /= 10;
		scale--;
	}
	scale += shift;
	return FixedToNumeric(v < 0, m, scale, scale > 0 ? scale : 0, buf);
}

/* Display scale of a finite NUMERIC. */
int
NumericDscale(Numeric num)
{
	uint16		h = *(const uint16 *) ((const char *) num + VARHDRSZ);

	if (h & FLAG_SHORT)
		return (h & SHORT_DSCALE_MASK) >> SHORT_DSCALE_SHIFT;
	return h & LONG_DSCALE_MASK;
}

/* True for a finite zero (a NUMERIC with no digits). */
bool
NumericIsZero(Numeric num)
{
	uint16		h = *(const uint16 *) ((const char *) num + VARHDRSZ);
	Size		hdr = VARHDRSZ + ((h & FLAG_SHORT) ? 1 : 2) * sizeof(uint16);

	return (h & FLAG_MASK) != FLAG_SPECIAL && VARSIZE(num) == hdr;
}
