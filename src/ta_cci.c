/*
 * ta_cci.c - commodity channel index, computed exactly, at a cost a row that
 * does not grow with long periods.  Typical prices are scaled by a power of
 * two to whole numbers held in 128-bit integers (NUMERIC prices arrive as
 * whole numbers already); the mean absolute deviation of a window about its
 * own mean is then summed exactly over the window for short periods, and
 * comes from a Fenwick tree over the ranks of the partition's values,
 * O(log n) a row, for long ones.
 */
#include <stdint.h>
#include <string.h>

#include "ta.h"
#include "ta_stream.h"

/* 8-byte aligned, as palloc returns: no 16-byte aligned loads of scratch arrays */
typedef __int128 ta_int128 __attribute__((aligned(8)));

/* TA-Lib's and Lambert's constant: CCI = (tp - mean) / (0.015 * mean deviation) */
#define TA_CCI_CONSTANT 0.015L

/* up to this period one pass over the window beats the tree (bench_kernels) */
#define TA_CCI_DIRECT_MAX_PERIOD 512

/*
 * Budget of the 128-bit sums: with scaled prices below 2^b, |T| < 2^(b+2) and
 * every intermediate (p T - S, D, 2 (S cnt - p sum), p (p T_i - S)) stays
 * below p^2 2^(b+4); ScaleTypical picks b = TA_CCI_INT_BITS - 5 -
 * 2 ceil(log2(p + 1)), which keeps them below 2^125.
 */
#define TA_CCI_INT_BITS 126

/* A typical price (times 3, scaled) and its row, sorted for the ranks. */
typedef struct CciKey
{
	ta_int128	key;
	int			row;
} CciKey;

/* ceil(log2(v)) for v >= 1 */
static int
CeilLog2(int64_t v)
{
	int			b = 0;

	while (((int64_t) 1 << b) < v)
		b++;
	return b;
}

/* |x| < 2^*top and x is a multiple of 2^*low, for a finite nonzero x. */
static inline void
BinarySpan(ta_real x, int *top, int *low)
{
#if defined(__x86_64__) || defined(__i386__)
	/* x87 extended: explicit 64-bit mantissa, 15-bit biased exponent */
	union
	{
		long double v;
		struct
		{
			uint64_t	mant;
			uint16_t	sexp;
		}			b;
	}			u;
	int			e;

	u.v = x;
	e = u.b.sexp & 0x7FFF;
	if (e == 0)
		e = 1;					/* denormal */
	*top = e - 16383 + 1;
	*low = e - 16383 - 63 + __builtin_ctzll(u.b.mant);
#else
	int			e;
	ta_real		m = ldexpl(fabsl(frexpl(x, &e)), 64);	/* |frexp| in [1/2, 1) */

	*top = e;
	if (m == floorl(m) && m < 18446744073709551616.0L)
		*low = e - 64 + __builtin_ctzll((uint64_t) m);
	else
		*low = e - 113;			/* a wider long double: assume its full width */
#endif
}

/* x * 2^-shift rounded to an integer (exact when x is a multiple of 2^shift) */
static inline ta_int128
ScaledInt(ta_real x, ta_real factor, int shift)
{
	ta_real		v = factor != 0 ? x * factor : ldexpl(x, -shift);

	/* llrintl rounds in the current mode: no switch of the x87 control word */
	if (fabsl(v) < 9223372036854775808.0L)
		return llrintl(v);
	return (ta_int128) rintl(v);
}

/*
 * Scales the sums h + l + c (3 x the typical price) to integers: the common
 * factor is a power of two, so a value that is a binary fraction is held
 * exactly.  Only when the partition spans more binary orders of magnitude
 * than the 128-bit budget allows are the lowest bits rounded away (relative
 * to the partition's largest price, below 2^-70); then it returns false.
 */
static bool
ScaleTypical(const ta_real *h, const ta_real *l, const ta_real *c, int n, int p,
			 ta_int128 *t)
{
	const ta_real *s[3] = {h, l, c};
	int			top = INT32_MIN,	/* |x| < 2^top for every x */
				low = INT32_MAX;	/* every x is a multiple of 2^low */
	int			bits = TA_CCI_INT_BITS - 5 - 2 * CeilLog2((int64_t) p + 1);
	int			shift;
	bool		integers = bits >= 63;
	ta_real		factor;

	/* whole numbers below 2^63 (NUMERIC prices as the window layer scales them) */
	for (int i = 0; integers && i < n; i++)
	{
		ta_int128	sum = 0;

		TA_POLL(i);
		for (int k = 0; k < 3; k++)
		{
			ta_real		x = s[k][i];
			int64_t		v = fabsl(x) < 9223372036854775808.0L ? llrintl(x) : 0;

			integers = integers && (ta_real) v == x;
			sum += v;
		}
		t[i] = sum;
	}
	if (integers)
		return true;

	for (int k = 0; k < 3; k++)
		for (int i = 0; i < n; i++)
		{
			int			e_top,
						e_low;

			TA_POLL(i);
			if (s[k][i] == 0)
				continue;
			BinarySpan(s[k][i], &e_top, &e_low);
			if (e_top > top)
				top = e_top;
			if (e_low < low)
				low = e_low;
		}
	if (top == INT32_MIN)
	{
		for (int i = 0; i < n; i++)
			t[i] = 0;
		return true;
	}
	/* exact when the span fits; otherwise round below 2^(top - bits) */
	shift = (top - low <= bits) ? low : top - bits;
	factor = (shift > -16000 && shift < 16000) ? ldexpl(1, -shift) : 0;
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		t[i] = ScaledInt(h[i], factor, shift) + ScaledInt(l[i], factor, shift) +
			ScaledInt(c[i], factor, shift);
	}
	return shift == low;
}

/*
 * CCI of one row from the exact window sum S, the exact
 * D = sum |p T_j - S| and p T_i - S.  With tp = T / 3: tp_i - mean = (p T_i -
 * S) / 3p and the mean deviation is D / 3p^2, so CCI = p (p T_i - S) /
 * (0.015 D); a window without deviation gives 0, as TA-Lib does.
 */
static inline ta_real
CciRow(ta_int128 dev_i, ta_int128 d, int p)
{
	if (d == 0)
		return 0;
	return (ta_real) (dev_i * p) / (TA_CCI_CONSTANT * (ta_real) d);
}

/*
 * Short periods: the deviation summed over the window, O(p) a row; in 64-bit
 * integers when 2 p^2 max|T| fits, as it does for prices in cents.
 */
static void
CciDirect(const ta_int128 *t, int n, int p, ta_real *out)
{
	ta_int128	s = 0,
				top = 0;
	int64_t    *u = NULL;

	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		if (t[i] > top || -t[i] > top)
			top = t[i] > 0 ? t[i] : -t[i];
	}
	if (top < ((ta_int128) 1 << 62) / ((ta_int128) 2 * p * p))
	{
		u = TaAlloc(sizeof(int64_t) * (size_t) n);
		for (int i = 0; i < n; i++)
			u[i] = (int64_t) t[i] * p;
	}
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		s += t[i];
		if (i >= p)
			s -= t[i - p];
		if (i < p - 1)
			continue;
		if (u)
		{
			int64_t		s64 = (int64_t) s,
						d = 0;

			for (int j = i - p + 1; j <= i; j++)
			{
				int64_t		v = u[j] - s64;

				d += v < 0 ? -v : v;
			}
			out[i] = CciRow((ta_int128) u[i] - s, d, p);
		}
		else
		{
			ta_int128	d = 0;

			for (int j = i - p + 1; j <= i; j++)
			{
				ta_int128	v = (ta_int128) p * t[j] - s;

				d += v < 0 ? -v : v;
			}
			out[i] = CciRow((ta_int128) p * t[i] - s, d, p);
		}
	}
	if (u)
		TaFree(u);
}

/*
 * One window's CCI from its bars alone, oldest first, in up to three runs
 * (a stream's ring wraps, and its newest bar may not be stored yet): the
 * typical prices are scaled by the window's own power of two to exact
 * integers when the window's span fits the budget (whole numbers as they
 * are), which gives the very value the partition-wide integers give (both
 * are exact, and a power of two cancels in CciRow); otherwise the window is
 * summed afresh in long double and an all-equal window gives 0.  O(p).
 */
typedef struct CciRun
{
	const ta_real *h;
	const ta_real *l;
	const ta_real *c;
	int			n;
} CciRun;

#define CCI_EACH(runs, nruns, r, j) \
	for (int r = 0; r < (nruns); r++) \
		for (int j = 0; j < (runs)[r].n; j++)

/* a window too wide for the integers: summed afresh in long double */
static ta_real
CciRealWindow(const CciRun *runs, int nruns, int p)
{
	const CciRun *last = &runs[nruns - 1];
	ta_real		tp_i = last->h[last->n - 1] + last->l[last->n - 1] + last->c[last->n - 1];
	ta_real		m = 0,
				dr = 0;
	bool		flat = true;

	CCI_EACH(runs, nruns, r, j)
		m += runs[r].h[j] + runs[r].l[j] + runs[r].c[j];
	m /= p;
	CCI_EACH(runs, nruns, r, j)
	{
		ta_real		tp = runs[r].h[j] + runs[r].l[j] + runs[r].c[j];

		dr += fabsl(tp - m);
		flat = flat && tp == tp_i;
	}
	return (!flat && dr > 0) ? p * (tp_i - m) / (TA_CCI_CONSTANT * dr) : 0;
}

/* windows up to this period keep their integers on the stack (8 KiB) */
#define TA_CCI_WINDOW_BUFFER 512

static ta_real
CciWindow(const CciRun *runs, int nruns, int p)
{
	const CciRun *last = &runs[nruns - 1];
	int			bits = TA_CCI_INT_BITS - 5 - 2 * CeilLog2((int64_t) p + 1);
	int			top = INT32_MIN,
				low = INT32_MAX,
				at = 0;
	ta_real		factor;
	ta_int128	buf[TA_CCI_WINDOW_BUFFER];
	ta_int128	s = 0,
				d = 0,
				t_i,
				big = 0;

	/*
	 * No separate whole-number path: whole numbers below 2^63 span at most
	 * 63 <= bits binary orders, so the scaled path holds them exactly too,
	 * and CciRow gives the same value at any exact scale.
	 */
	CCI_EACH(runs, nruns, r, j)
	{
		const ta_real x3[3] = {runs[r].h[j], runs[r].l[j], runs[r].c[j]};

		for (int k = 0; k < 3; k++)
		{
			int			e_top,
						e_low;

			if (x3[k] == 0)
				continue;
			BinarySpan(x3[k], &e_top, &e_low);
			top = e_top > top ? e_top : top;
			low = e_low < low ? e_low : low;
		}
	}
	if (top == INT32_MIN)
		return 0;				/* all zero */
	if (top - low > bits)
		return CciRealWindow(runs, nruns, p);
	factor = (low > -16000 && low < 16000) ? ldexpl(1, -low) : 0;
#define CCI_T(r, j) (ScaledInt(runs[r].h[j], factor, low) + \
	ScaledInt(runs[r].l[j], factor, low) + ScaledInt(runs[r].c[j], factor, low))
	CCI_EACH(runs, nruns, r, j)
	{
		ta_int128	t = CCI_T(r, j);

		if (p <= TA_CCI_WINDOW_BUFFER)
			buf[at++] = t;
		s += t;
		big = (t > big || -t > big) ? (t < 0 ? -t : t) : big;
	}
	t_i = CCI_T(nruns - 1, last->n - 1);
	if (p <= TA_CCI_WINDOW_BUFFER && big < ((ta_int128) 1 << 62) / ((ta_int128) 2 * p))
	{
		/* |p t - S| < 2 p max|t|: 64-bit sums, as CciDirect */
		int64_t		s64 = (int64_t) s,
					d64 = 0;

		for (int j = 0; j < p; j++)
		{
			int64_t		v = (int64_t) buf[j] * p - s64;

			d64 += v < 0 ? -v : v;
		}
		d = d64;
	}
	else if (p <= TA_CCI_WINDOW_BUFFER)
		for (int j = 0; j < p; j++)
		{
			ta_int128	v = (ta_int128) p * buf[j] - s;

			d += v < 0 ? -v : v;
		}
	else
		CCI_EACH(runs, nruns, r, j)
		{
			ta_int128	v = (ta_int128) p * CCI_T(r, j) - s;

			d += v < 0 ? -v : v;
		}
#undef CCI_T
	return CciRow((ta_int128) p * t_i - s, d, p);
}

/* short periods over a partition too wide for exact integers as a whole */
static void CciByWindow(const ta_real *h, const ta_real *l, const ta_real *c, int n,
						int p, ta_real *out);

/* Stable bottom-up merge sort of keys (interruptible: runs may be long). */
static void
SortKeys(CciKey *a, int n)
{
	CciKey	   *b = TaAlloc(sizeof(CciKey) * (size_t) n);
	CciKey	   *src = a,
			   *dst = b;

	for (int64_t width = 1; width < n; width *= 2)
	{
		for (int64_t lo = 0; lo < n; lo += 2 * width)
		{
			int			mid = (int) (lo + width < n ? lo + width : n);
			int			hi = (int) (lo + 2 * width < n ? lo + 2 * width : n);
			int			i = (int) lo,
						j = mid,
						k = (int) lo;

			while (k < hi)
			{
				TA_POLL(k);
				if (j >= hi || (i < mid && src[i].key <= src[j].key))
					dst[k++] = src[i++];
				else
					dst[k++] = src[j++];
			}
		}
		{
			CciKey	   *tmp = src;

			src = dst;
			dst = tmp;
		}
	}
	if (src != a)
		for (int i = 0; i < n; i++)
			a[i] = src[i];
	TaFree(b);
}

/* One Fenwick node: count and sum of the window's values in its rank range. */
typedef struct CciNode
{
	ta_int128	sum;
	int64_t		cnt;
} CciNode;

/*
 * How many sorted keys have p key <= s, searched outward from the previous
 * row's answer: the window mean moves little from row to row.
 */
static int
CountAtMost(const ta_int128 *keys, int n, int p, ta_int128 s, int from)
{
	int			lo,
				hi,
				step = 1;

	if (from < n && (ta_int128) p * keys[from] <= s)
	{
		lo = from + 1;
		for (;;)
		{
			int			probe = lo + step - 1;

			if (probe >= n)
			{
				hi = n;
				break;
			}
			if ((ta_int128) p * keys[probe] > s)
			{
				hi = probe;
				break;
			}
			lo = probe + 1;
			step *= 2;
		}
	}
	else
	{
		hi = from;
		for (;;)
		{
			int			probe = hi - step;

			if (probe < 0)
			{
				lo = 0;
				break;
			}
			if ((ta_int128) p * keys[probe] <= s)
			{
				lo = probe + 1;
				break;
			}
			hi = probe;
			step *= 2;
		}
	}
	while (lo < hi)				/* keys[lo-1] qualifies, keys[hi] does not */
	{
		int			mid = lo + (hi - lo) / 2;

		if ((ta_int128) p * keys[mid] <= s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Long periods: a Fenwick tree indexed by rank holds the count and the sum of
 * the window's values.  The values with p T_j <= S (a prefix of the ranks)
 * give D = sum |p T_j - S| = 2 (S cnt_lo - p sum_lo), as the deviations
 * p T_j - S of a window add up to 0.
 */
static void
CciTree(const ta_int128 *t, int n, int p, ta_real *out)
{
	CciKey	   *sorted = TaAlloc(sizeof(CciKey) * (size_t) n);
	ta_int128  *keys = TaAlloc(sizeof(ta_int128) * (size_t) n);
	int		   *rank = TaAlloc(sizeof(int) * (size_t) n);
	CciNode    *tree;
	ta_int128	s = 0;
	int			below = 0;		/* keys with p key <= S at the previous row */

	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		sorted[i].key = t[i];
		sorted[i].row = i;
	}
	SortKeys(sorted, n);
	for (int r = 0; r < n; r++)
	{
		TA_POLL(r);
		rank[sorted[r].row] = r + 1;
		keys[r] = sorted[r].key;
	}
	TaFree(sorted);
	tree = TaAlloc(sizeof(CciNode) * (size_t) (n + 1));
	memset(tree, 0, sizeof(CciNode) * (size_t) (n + 1));
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		for (int k = rank[i]; k <= n; k += k & -k)
		{
			tree[k].cnt++;
			tree[k].sum += t[i];
		}
		s += t[i];
		if (i >= p)
		{
			for (int k = rank[i - p]; k <= n; k += k & -k)
			{
				tree[k].cnt--;
				tree[k].sum -= t[i - p];
			}
			s -= t[i - p];
		}
		if (i >= p - 1)
		{
			int64_t		cnt_lo = 0;
			ta_int128	sum_lo = 0;

			below = CountAtMost(keys, n, p, s, below);
			for (int k = below; k > 0; k -= k & -k)
			{
				cnt_lo += tree[k].cnt;
				sum_lo += tree[k].sum;
			}
			out[i] = CciRow((ta_int128) p * t[i] - s,
							2 * (s * cnt_lo - (ta_int128) p * sum_lo), p);
		}
	}
	TaFree(keys);
	TaFree(rank);
	TaFree(tree);
}

/*
 * CCI over p bars, first value at index p - 1, as TA-Lib: (tp - SMA(tp)) /
 * (0.015 x mean absolute deviation of tp about that SMA); 0 on a window
 * without deviation.
 */
void
ComputeCci(const ta_real *h, const ta_real *l, const ta_real *c, int n, int p,
		   ta_real *out)
{
	ta_int128  *t;
	bool		exact;

	FillNone(out, n);
	if (n < p || n == 0)
		return;
	t = TaAlloc(sizeof(ta_int128) * (size_t) n);
	exact = ScaleTypical(h, l, c, n, p, t);
	if (p > TA_CCI_DIRECT_MAX_PERIOD)
		CciTree(t, n, p, out);
	else if (exact)
		CciDirect(t, n, p, out);
	else
		CciByWindow(h, l, c, n, p, out);
	TaFree(t);
}

/*
 * Streaming form (ta_stream.h).  The mean deviation about the window's own
 * mean changes for every bar of the window when the mean moves, so a bar
 * costs O(p), as TA-Lib's definition does; what a stream can save is the
 * conversion.  The state keeps the last p bars and each bar's typical price
 * as an exact integer at one shift for the whole state (sh: every held bar
 * is a multiple of 2^sh and below 2^(sh + bits)), converted once when the
 * bar arrives; a bar then costs two passes of integer sums, and the value
 * is the batch kernel's to the bit (CciRow gives the same value at any exact
 * scale).  A bar outside the shift's range re-scales the window (O(p), rare:
 * prices crossing binary orders); a window wider than the 128-bit budget is
 * summed in long double as the batch kernel does (CciWindow).  Beyond
 * TA_CCI_DIRECT_MAX_PERIOD, a partition too wide for the budget as a whole
 * (prices spanning more than ~2^85) is rounded at the partition's scale by
 * the batch tree, which a stream cannot know in advance: there they differ.
 */
typedef struct CciBody
{
	TaRing		r;				/* cap p: highs, then lows, then closes */
	int32_t		exact;			/* 1: ints[] holds every held bar at sh */
	int32_t		sh;
	ta_real		slots[];		/* 3 p bars, p integers (ta_int128), then each
								 * bar's binary top and low (int32_t) */
} CciBody;

static const char *const cci_outputs[] = {"value"};
static const TaStreamParam cci_params[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 20}
};

static inline ta_int128 *
CciInts(const CciBody *b)
{
	return (ta_int128 *) (b->slots + 3 * b->r.cap);
}

/* tops, then lows */
static inline int32_t *
CciSpans(const CciBody *b)
{
	return (int32_t *) (CciInts(b) + b->r.cap);
}

static size_t
CciSize(const double *params)
{
	return offsetof(CciBody, slots) +
		(sizeof(ta_real) * 3 + sizeof(ta_int128) + 2 * sizeof(int32_t)) * TA_P(params, 0);
}

static void
CciInit(void *body, const double *params)
{
	CciBody    *b = body;

	TaRingInit(&b->r, TA_P(params, 0));
	b->exact = 0;
	b->sh = 0;
}

static int
CciBits(int p)
{
	return TA_CCI_INT_BITS - 5 - 2 * CeilLog2((int64_t) p + 1);
}

/* one bar's binary span (top INT32_MIN when all three are 0) */
static void
CciBarSpan(const ta_real *bar3[3], int *top, int *low)
{
	*top = INT32_MIN;
	*low = INT32_MAX;
	for (int k = 0; k < 3; k++)
	{
		int			e_top,
					e_low;

		if (*bar3[k] == 0)
			continue;
		BinarySpan(*bar3[k], &e_top, &e_low);
		*top = e_top > *top ? e_top : *top;
		*low = e_low < *low ? e_low : *low;
	}
}

/* a bar of this span is held exactly at shift sh within the budget */
static inline bool
CciFits(int top, int low, int sh, int bits)
{
	return top == INT32_MIN || (low >= sh && top - sh <= bits);
}

static inline ta_int128
CciBarInt(const ta_real *bar3[3], int sh)
{
	ta_real		factor = (sh > -16000 && sh < 16000) ? ldexpl(1, -sh) : 0;

	return ScaledInt(*bar3[0], factor, sh) + ScaledInt(*bar3[1], factor, sh) +
		ScaledInt(*bar3[2], factor, sh);
}

/* the window's runs: the last p - 1 held bars, oldest first, then in */
static void
CciRuns(const CciBody *b, const ta_real *in, CciRun *runs)
{
	int			p = b->r.cap;
	int			start = b->r.pos - (p - 1);
	int			first;
	const ta_real *hs = b->slots,
			   *ls = hs + p,
			   *cs = ls + p;

	if (start < 0)
		start += p;
	first = (start <= 1) ? p - 1 : p - start;
	runs[0] = (CciRun) {hs + start, ls + start, cs + start, first};
	runs[1] = (CciRun) {hs, ls, cs, p - 1 - first};
	runs[2] = (CciRun) {&in[0], &in[1], &in[2], 1};
}

/*
 * The CCI of the window from the held integers (the oldest left out when
 * the ring is full) and the new bar's t: S, then D = sum |p t_j - S|.
 */
static ta_real
CciFromInts(const CciBody *b, ta_int128 t)
{
	const ta_int128 *ints = CciInts(b);
	int			p = b->r.cap;
	int			skip = (b->r.count == p) ? b->r.pos : -1;
	ta_int128	s = t,
				d,
				big = t < 0 ? -t : t;

	for (int j = 0; j < b->r.count; j++)
		if (j != skip)
		{
			s += ints[j];
			big = (ints[j] > big || -ints[j] > big) ? (ints[j] < 0 ? -ints[j] : ints[j]) : big;
		}
	d = (t * p - s) < 0 ? -(t * p - s) : (t * p - s);
	if (big < ((ta_int128) 1 << 62) / ((ta_int128) 2 * p))
	{
		/* |p t - S| < 2 p max|t|: 64-bit sums, as CciDirect */
		int64_t		s64 = (int64_t) s,
					d64 = 0;

		for (int j = 0; j < b->r.count; j++)
		{
			int64_t		v = (int64_t) ints[j] * p - s64;

			d64 += (j == skip) ? 0 : (v < 0 ? -v : v);
		}
		d += d64;
	}
	else
		for (int j = 0; j < b->r.count; j++)
		{
			ta_int128	v = (ta_int128) p * ints[j] - s;

			d += (j == skip) ? 0 : (v < 0 ? -v : v);
		}
	return CciRow((ta_int128) p * t - s, d, p);
}

/*
 * Rewrites every held integer at the window's own shift (the new bar's span
 * is top, low); false, with no integers, when the window is too wide.
 */
static bool
CciRescale(CciBody *b, int top, int low)
{
	int			p = b->r.cap;
	const int32_t *tops = CciSpans(b),
			   *lows = tops + p;

	for (int j = 0; j < b->r.count; j++)
	{
		if (j == b->r.pos && b->r.count == p)
			continue;			/* the bar that leaves */
		top = tops[j] > top ? tops[j] : top;
		low = lows[j] < low ? lows[j] : low;
	}
	b->exact = 0;
	if (top != INT32_MIN && top - low > CciBits(p))
		return false;
	b->sh = (top == INT32_MIN) ? 0 : low;
	for (int j = 0; j < b->r.count; j++)
	{
		const ta_real *held[3] = {&b->slots[j], &b->slots[p + j], &b->slots[2 * p + j]};

		/* the leaving bar may not fit the new shift: its slot is reused */
		CciInts(b)[j] = (j == b->r.pos && b->r.count == p) ? 0 : CciBarInt(held, b->sh);
	}
	b->exact = 1;
	return true;
}

static void
CciPush(void *body, const ta_real *in, ta_real *out)
{
	CciBody    *b = body;
	int			p = b->r.cap;
	int			top,
				low;
	const ta_real *bar3[3] = {&in[0], &in[1], &in[2]};
	ta_int128	t = 0;

	CciBarSpan(bar3, &top, &low);
	if ((b->exact && CciFits(top, low, b->sh, CciBits(p))) || CciRescale(b, top, low))
		t = CciBarInt(bar3, b->sh);
	if (b->r.count < p - 1)
		out[0] = TA_NONE;
	else if (b->exact)
		out[0] = CciFromInts(b, t);
	else
	{
		CciRun		runs[3];

		/* CciRescale found the window too wide, as CciWindow would */
		CciRuns(b, in, runs);
		out[0] = CciRealWindow(runs, 3, p);
	}
	CciInts(b)[b->r.pos] = t;
	CciSpans(b)[b->r.pos] = top;
	CciSpans(b)[p + b->r.pos] = low;
	b->slots[p + b->r.pos] = in[1];
	b->slots[2 * p + b->r.pos] = in[2];
	TaRingPut(&b->r, b->slots, in[0]);
}

static void
CciPeek(const void *body, const ta_real *in, ta_real *out)
{
	const CciBody *b = body;
	int			p = b->r.cap;
	int			top,
				low;
	const ta_real *bar3[3] = {&in[0], &in[1], &in[2]};
	CciRun		runs[3];

	if (b->r.count < p - 1)
	{
		out[0] = TA_NONE;
		return;
	}
	CciBarSpan(bar3, &top, &low);
	if (b->exact && CciFits(top, low, b->sh, CciBits(p)))
	{
		out[0] = CciFromInts(b, CciBarInt(bar3, b->sh));
		return;
	}
	CciRuns(b, in, runs);
	out[0] = CciWindow(runs, 3, p);
}

/*
 * The ring valid, its bars finite (as the window layer passes them), their
 * spans the ones they have, and when exact, every held integer the one its
 * bar gives at sh (so no sum can overflow).
 */
static bool
CciCheck(const void *body, const double *params)
{
	const CciBody *b = body;
	int			p = TA_P(params, 0);

	if (!TaRingValid(&b->r, p) || (b->exact != 0 && b->exact != 1) ||
		b->sh < -20000 || b->sh > 20000)
		return false;
	for (int j = 0; j < b->r.count; j++)
	{
		const ta_real *held[3] = {&b->slots[j], &b->slots[p + j], &b->slots[2 * p + j]};
		int			top,
					low;

		if (!isfinite(*held[0]) || !isfinite(*held[1]) || !isfinite(*held[2]))
			return false;
		CciBarSpan(held, &top, &low);
		if (CciSpans(b)[j] != top || CciSpans(b)[p + j] != low)
			return false;
		if (b->exact &&
			(!CciFits(top, low, b->sh, CciBits(p)) || CciInts(b)[j] != CciBarInt(held, b->sh)))
			return false;
	}
	return true;
}

/*
 * Short periods over a partition too wide for exact integers as a whole:
 * the stream's steps over the rows, so each row is exact when its own window
 * fits and summed in long double when not (as CciWindow), and the integers
 * are converted once a bar, not once a window.
 */
static void
CciByWindow(const ta_real *h, const ta_real *l, const ta_real *c, int n, int p,
			ta_real *out)
{
	double		params[1] = {p};
	CciBody    *b = TaAlloc(CciSize(params));

	CciInit(b, params);
	for (int i = 0; i < n; i++)
	{
		ta_real		bar[3] = {h[i], l[i], c[i]};

		TA_POLL(i);
		CciPush(b, bar, &out[i]);
	}
	TaFree(b);
}

static void
CciBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ComputeCci(in[0], in[1], in[2], n, TA_P(params, 0), out[0]);
}

TA_STREAM_DEFINE(cci, "hlc", cci_params, cci_outputs, Cci);
