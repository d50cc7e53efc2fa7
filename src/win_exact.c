/*
 * win_exact.c - exact NUMERIC paths for the indicators that are finite sums
 * and ratios of their inputs (SMA, WMA, VWMA, VWAP, MOM, ROC, true range, OBV,
 * A/D, Donchian).  Running sums use NUMERIC arithmetic, so they are exact; a
 * ratio is one NUMERIC division, rounded as PostgreSQL's own division is.
 * Intermediate values live in a scratch context reset every row.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"

#include "win_glue.h"
#include "win_numeric.h"

/* A running NUMERIC kept in its own buffer across scratch resets. */
typedef struct NumAcc
{
	Numeric		v;
	Size		cap;
} NumAcc;

/* Scratch state of one exact pass. */
typedef struct ExactPass
{
	WinCalc    *c;
	MemoryContext tmp;
	MemoryContext old;
} ExactPass;

static void
AccStore(WinCalc *c, NumAcc *a, Numeric v)
{
	Size		sz = VARSIZE(v);

	if (sz > a->cap)
	{
		a->cap = Max(sz * 2, 64);
		a->v = MemoryContextAlloc(c->cxt, a->cap);
	}
	memcpy(a->v, v, sz);
}

static Datum
Keep(WinCalc *c, Numeric v)
{
	Numeric		copy = MemoryContextAlloc(c->cxt, VARSIZE(v));

	memcpy(copy, v, VARSIZE(v));
	return NumericGetDatum(copy);
}

static inline Numeric
Add(Numeric a, Numeric b)
{
	return numeric_add_opt_error(a, b, NULL);
}

static inline Numeric
Sub(Numeric a, Numeric b)
{
	return numeric_sub_opt_error(a, b, NULL);
}

static inline Numeric
Mul(Numeric a, Numeric b)
{
	return numeric_mul_opt_error(a, b, NULL);
}

static inline Numeric
Div(Numeric a, Numeric b)
{
	return numeric_div_opt_error(a, b, NULL);
}

/* Orders present rows i and j of series s exactly. */
static int
Cmp(WinCalc *c, int s, int i, int j)
{
	if (c->in[s][i] != c->in[s][j])
		return c->in[s][i] < c->in[s][j] ? -1 : 1;
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp,
											 NumericGetDatum(c->num[s][i]),
											 NumericGetDatum(c->num[s][j])));
}

static Datum *
ExactBegin(ExactPass *x, WinCalc *c, int field)
{
	x->c = c;
	x->tmp = AllocSetContextCreate(c->cxt, "alphapulse exact", ALLOCSET_SMALL_SIZES);
	c->exact[field] = MemoryContextAllocExtended(c->cxt, sizeof(Datum) * (c->n + 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	return c->exact[field];
}

/* Enter the scratch context for one row. */
static inline void
RowBegin(ExactPass *x)
{
	CHECK_FOR_INTERRUPTS();
	x->old = MemoryContextSwitchTo(x->tmp);
}

static inline void
RowEnd(ExactPass *x)
{
	MemoryContextSwitchTo(x->old);
	MemoryContextReset(x->tmp);
}

static void
ExactEnd(ExactPass *x)
{
	MemoryContextDelete(x->tmp);
}

/*
 * sum/p over the last p values into exact[field].  The sum carries the
 * largest display scale in its window, so the division rounds exactly as
 * avg(x) OVER (ROWS p-1 PRECEDING) does.  When the prices are exact whole
 * numbers after scaling, the running sum is an integer; otherwise it is kept
 * in NUMERIC arithmetic.
 */
void
ExactSmaInto(WinCalc *c, int p, int field)
{
	ExactPass	x;
	Datum	   *res = ExactBegin(&x, c, field);
	Numeric    *v = c->num[0];
	int16	   *ds = c->dscale[0];
	int			maxds = 0,
				top = 0;
	int		   *cnt;
	NumAcc		sum = {NULL, 0};
	__int128	isum = 0;
	Numeric		np = int64_to_numeric(p);

	for (int i = 0; i < c->n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		maxds = Max(maxds, ds[i]);
	}
	cnt = palloc0(sizeof(int) * (maxds + 1));
	AccStore(c, &sum, int64_to_numeric(0));
	for (int i = 0; i < c->n; i++)
	{
		Numeric		s;
		NumericBuf	buf;

		cnt[ds[i]]++;
		top = Max(top, ds[i]);
		if (i >= p)
		{
			cnt[ds[i - p]]--;
			while (top > 0 && cnt[top] == 0)
				top--;
		}
		if (c->price_exact)
		{
			CHECK_FOR_INTERRUPTS();
			isum += (int64) c->in[0][i];
			if (i >= p)
				isum -= (int64) c->in[0][i - p];
			if (i < p - 1)
				continue;
			s = FixedToNumeric(isum < 0, isum < 0 ? -isum : isum, c->price_shift, top, &buf);
			res[i] = NumericGetDatum(Div(s, np));	/* allocated in the partition */
			continue;
		}
		RowBegin(&x);
		s = Add(sum.v, v[i]);
		if (i >= p)
			s = Sub(s, v[i - p]);
		AccStore(c, &sum, s);
		if (i >= p - 1)
		{
			if (NumericDscale(s) > top)
				s = DatumGetNumeric(DirectFunctionCall2(numeric_round,
														NumericGetDatum(s),
														Int32GetDatum(top)));
			res[i] = Keep(c, Div(s, np));
		}
		RowEnd(&x);
	}
	pfree(cnt);
	ExactEnd(&x);
}

/* Weighted sum kept as num(t) = num(t-1) + p x(t) - sum of the previous window. */
void
ExactWma(WinCalc *c)
{
	int			p = ParamPeriod(c, 1, "n", 1);
	ExactPass	x;
	Datum	   *res = ExactBegin(&x, c, 0);
	Numeric    *v = c->num[0];
	NumAcc		sum = {NULL, 0},
				num = {NULL, 0};
	Numeric		np = int64_to_numeric(p);
	Numeric		denom = int64_to_numeric((int64) p * (p + 1) / 2);

	AccStore(c, &sum, int64_to_numeric(0));
	AccStore(c, &num, int64_to_numeric(0));
	for (int i = 0; i < c->n; i++)
	{
		RowBegin(&x);
		if (i < p)
		{
			AccStore(c, &num, Add(num.v, Mul(v[i], int64_to_numeric(i + 1))));
			AccStore(c, &sum, Add(sum.v, v[i]));
		}
		else
		{
			AccStore(c, &num, Sub(Add(num.v, Mul(v[i], np)), sum.v));
			AccStore(c, &sum, Sub(Add(sum.v, v[i]), v[i - p]));
		}
		if (i >= p - 1)
			res[i] = Keep(c, Div(num.v, denom));
		RowEnd(&x);
	}
	ExactEnd(&x);
}

void
ExactVwma(WinCalc *c)
{
	int			p = ParamPeriod(c, 2, "n", 1);
	ExactPass	x;
	Datum	   *res = ExactBegin(&x, c, 0);
	Numeric    *cl = c->num[0],
			   *vol = c->num[1];
	NumAcc		scv = {NULL, 0},
				sv = {NULL, 0},
				sc = {NULL, 0};
	Numeric		np = int64_to_numeric(p);

	AccStore(c, &scv, int64_to_numeric(0));
	AccStore(c, &sv, int64_to_numeric(0));
	AccStore(c, &sc, int64_to_numeric(0));
	for (int i = 0; i < c->n; i++)
	{
		RowBegin(&x);
		AccStore(c, &scv, Add(scv.v, Mul(cl[i], vol[i])));
		AccStore(c, &sv, Add(sv.v, vol[i]));
		AccStore(c, &sc, Add(sc.v, cl[i]));
		if (i >= p)
		{
			AccStore(c, &scv, Sub(scv.v, Mul(cl[i - p], vol[i - p])));
			AccStore(c, &sv, Sub(sv.v, vol[i - p]));
			AccStore(c, &sc, Sub(sc.v, cl[i - p]));
		}
		if (i >= p - 1)
			res[i] = Keep(c, NumericIsZero(sv.v) ? Div(sc.v, np) : Div(scv.v, sv.v));
		RowEnd(&x);
	}
	ExactEnd(&x);
}

void
ExactVwap(WinCalc *c)
{
	ExactPass	x;
	Datum	   *res = ExactBegin(&x, c, 0);
	NumAcc		spv = {NULL, 0},
				sv = {NULL, 0},
				sp = {NULL, 0};
	Numeric		three = int64_to_numeric(3);

	AccStore(c, &spv, int64_to_numeric(0));
	AccStore(c, &sv, int64_to_numeric(0));
	AccStore(c, &sp, int64_to_numeric(0));
	for (int i = 0; i < c->n; i++)
	{
		Numeric		tp3;

		RowBegin(&x);
		tp3 = Add(Add(c->num[0][i], c->num[1][i]), c->num[2][i]);
		AccStore(c, &spv, Add(spv.v, Mul(tp3, c->num[3][i])));
		AccStore(c, &sv, Add(sv.v, c->num[3][i]));
		AccStore(c, &sp, Add(sp.v, tp3));
		if (NumericIsZero(sv.v))
			res[i] = Keep(c, Div(sp.v, int64_to_numeric(3 * (int64) (i + 1))));
		else
			res[i] = Keep(c, Div(spv.v, Mul(three, sv.v)));
		RowEnd(&x);
	}
	ExactEnd(&x);
}

void
ExactMom(WinCalc *c)
{
	int			p = ParamPeriod(c, 1, "n", 1);
	ExactPass	x;
	Datum	   *res = ExactBegin(&x, c, 0);

	for (int i = p; i < c->n; i++)
	{
		RowBegin(&x);
		res[i] = Keep(c, Sub(c->num[0][i], c->num[0][i - p]));
		RowEnd(&x);
	}
	ExactEnd(&x);
}

void
ExactRoc(WinCalc *c)
{
	int			p = ParamPeriod(c, 1, "n", 1);
	ExactPass	x;
	Datum	   *res = ExactBegin(&x, c, 0);
	Numeric		hundred = int64_to_numeric(100);

	for (int i = p; i < c->n; i++)
	{
		Numeric		prev = c->num[0][i - p];

		if (NumericIsZero(prev))
			continue;
		RowBegin(&x);
		res[i] = Keep(c, Div(Mul(hundred, Sub(c->num[0][i], prev)), prev));
		RowEnd(&x);
	}
	ExactEnd(&x);
}

/* max(high, previous close) - min(low, previous close). */
void
ExactTrange(WinCalc *c)
{
	ExactPass	x;
	Datum	   *res = ExactBegin(&x, c, 0);

	for (int i = 1; i < c->n; i++)
	{
		Numeric		hi = c->num[0][i],
					lo = c->num[1][i],
					pc = c->num[2][i - 1];
		ta_real		pcr = c->in[2][i - 1];

		if (pcr > c->in[0][i] || (pcr == c->in[0][i] &&
								  DatumGetInt32(DirectFunctionCall2(numeric_cmp,
																	NumericGetDatum(pc),
																	NumericGetDatum(hi))) > 0))
			hi = pc;
		if (pcr < c->in[1][i] || (pcr == c->in[1][i] &&
								  DatumGetInt32(DirectFunctionCall2(numeric_cmp,
																	NumericGetDatum(pc),
																	NumericGetDatum(lo))) < 0))
			lo = pc;
		RowBegin(&x);
		res[i] = Keep(c, Sub(hi, lo));
		RowEnd(&x);
	}
	ExactEnd(&x);
}

void
ExactObv(WinCalc *c)
{
	ExactPass	x;
	Datum	   *res = ExactBegin(&x, c, 0);
	NumAcc		obv = {NULL, 0};

	for (int i = 0; i < c->n; i++)
	{
		RowBegin(&x);
		if (i == 0)
			AccStore(c, &obv, c->num[1][0]);
		else
		{
			int			dir = Cmp(c, 0, i, i - 1);

			if (dir > 0)
				AccStore(c, &obv, Add(obv.v, c->num[1][i]));
			else if (dir < 0)
				AccStore(c, &obv, Sub(obv.v, c->num[1][i]));
		}
		res[i] = Keep(c, obv.v);
		RowEnd(&x);
	}
	ExactEnd(&x);
}

/* Running sum of volume*((close-low)-(high-close))/(high-low), one division a bar. */
void
ExactAd(WinCalc *c)
{
	ExactPass	x;
	Datum	   *res = ExactBegin(&x, c, 0);
	NumAcc		ad = {NULL, 0};

	AccStore(c, &ad, int64_to_numeric(0));
	for (int i = 0; i < c->n; i++)
	{
		Numeric		h = c->num[0][i],
					l = c->num[1][i],
					cl = c->num[2][i];
		ta_real		range;
		Numeric		diff;

		RowBegin(&x);
		diff = Sub(h, l);
		if (NumericToReal(diff, &range, NULL) && range > 0)
		{
			Numeric		clv = Sub(Sub(cl, l), Sub(h, cl));

			AccStore(c, &ad, Add(ad.v, Div(Mul(clv, c->num[3][i]), diff)));
		}
		res[i] = Keep(c, ad.v);
		RowEnd(&x);
	}
	ExactEnd(&x);
}

/* Channel bounds are input values themselves; the middle is one division. */
void
ExactDonchian(WinCalc *c)
{
	int			p = ParamPeriod(c, 2, "n", 1);
	ExactPass	x;
	Datum	   *lower = ExactBegin(&x, c, 0);
	Datum	   *middle,
			   *upper;
	int		   *age_h = palloc(sizeof(int) * (c->n + 1));
	int		   *age_l = palloc(sizeof(int) * (c->n + 1));
	ta_real    *scratch = MemoryContextAllocHuge(c->cxt, sizeof(ta_real) * (c->n + 1));
	Numeric		two = int64_to_numeric(2);

	c->exact[1] = middle = MemoryContextAllocExtended(c->cxt, sizeof(Datum) * (c->n + 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	c->exact[2] = upper = MemoryContextAllocExtended(c->cxt, sizeof(Datum) * (c->n + 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	ComputeRollingMax(c->in[0], c->n, p, scratch, age_h);
	ComputeRollingMin(c->in[1], c->n, p, scratch, age_l);
	for (int i = p - 1; i < c->n; i++)
	{
		Numeric		hi = c->num[0][i - age_h[i]],
					lo = c->num[1][i - age_l[i]];

		RowBegin(&x);
		upper[i] = NumericGetDatum(hi);
		lower[i] = NumericGetDatum(lo);
		middle[i] = Keep(c, Div(Add(hi, lo), two));
		RowEnd(&x);
	}
	pfree(scratch);
	pfree(age_h);
	pfree(age_l);
	ExactEnd(&x);
}
