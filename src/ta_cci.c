/*
 * ta_cci.c - commodity channel index, computed exactly and in O(log n) a row
 * whatever the period.  Typical prices are scaled by a power of two to whole
 * numbers held in 128-bit integers (NUMERIC prices arrive as whole numbers
 * already); the mean absolute deviation of a window about its own mean then
 * comes exactly from a Fenwick tree over the ranks of the partition's values.
 */
#include <stdint.h>

#include "ta.h"

/* 8-byte aligned, as palloc returns: no 16-byte aligned loads of scratch arrays */
typedef __int128 ta_int128 __attribute__((aligned(8)));

/* TA-Lib's and Lambert's constant: CCI = (tp - mean) / (0.015 * mean deviation) */
#define TA_CCI_CONSTANT 0.015L

/* up to this period one pass over the window beats the tree (see bench/) */
#define TA_CCI_DIRECT_MAX_PERIOD 48

/*
 * Bits of headroom for the 128-bit sums: with |T| < 2^b and period p the
 * largest intermediate, 2 p (p |T| + |S|), stays below 2^(b + 2 log2 p + 3)
 * (see CciRow), and must stay below 2^127.
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
	int			bits = TA_CCI_INT_BITS - 2 - 2 * CeilLog2((int64_t) p + 1) - 3;
	int			shift;

	for (int k = 0; k < 3; k++)
		for (int i = 0; i < n; i++)
		{
			int			e;
			ta_real		f;
			ta_real		m;

			TA_POLL(i);
			if (s[k][i] == 0)
				continue;
			f = frexpl(s[k][i], &e);	/* |f| in [1/2, 1) */
			if (e > top)
				top = e;
			m = ldexpl(fabsl(f), 64);	/* the 64-bit mantissa as an integer */
			if (m == floorl(m) && m < 18446744073709551616.0L)
			{
				uint64_t	u = (uint64_t) m;

				e = e - 64 + __builtin_ctzll(u);
			}
			else
				e = e - 113;	/* a wider long double: assume its full width */
			if (e < low)
				low = e;
		}
	if (top == INT32_MIN)
	{
		for (int i = 0; i < n; i++)
			t[i] = 0;
		return true;
	}
	/* exact when the span fits; otherwise round below 2^(top - bits) */
	shift = (top - low <= bits) ? low : top - bits;
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		t[i] = (ta_int128) rintl(ldexpl(h[i], -shift)) +
			(ta_int128) rintl(ldexpl(l[i], -shift)) +
			(ta_int128) rintl(ldexpl(c[i], -shift));
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

/* Short periods: the deviation summed over the window, O(p) a row. */
static void
CciDirect(const ta_int128 *t, int n, int p, ta_real *out)
{
	ta_int128	s = 0;

	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		s += t[i];
		if (i >= p)
			s -= t[i - p];
		if (i >= p - 1)
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
}

/*
 * Short periods over a partition too wide for exact integers: each window
 * summed afresh in long double (no drift), an all-equal window gives 0.
 */
static void
CciDirectReal(const ta_real *h, const ta_real *l, const ta_real *c, int n, int p,
			  ta_real *out)
{
	for (int i = p - 1; i < n; i++)
	{
		ta_real		tp_i = h[i] + l[i] + c[i];
		ta_real		m = 0,
					d = 0;
		bool		flat = true;

		TA_POLL(i);
		for (int j = i - p + 1; j <= i; j++)
			m += h[j] + l[j] + c[j];
		m /= p;
		for (int j = i - p + 1; j <= i; j++)
		{
			ta_real		tp = h[j] + l[j] + c[j];

			d += fabsl(tp - m);
			flat = flat && tp == tp_i;
		}
		out[i] = (!flat && d > 0) ? p * (tp_i - m) / (TA_CCI_CONSTANT * d) : 0;
	}
}

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
	int		   *rank = TaAlloc(sizeof(int) * (size_t) n);
	int		   *cnt = TaAlloc(sizeof(int) * (size_t) (n + 1));
	ta_int128  *sum = TaAlloc(sizeof(ta_int128) * (size_t) (n + 1));
	ta_int128	s = 0;

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
		cnt[r + 1] = 0;
		sum[r + 1] = 0;
	}
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		for (int k = rank[i]; k <= n; k += k & -k)
		{
			cnt[k]++;
			sum[k] += t[i];
		}
		s += t[i];
		if (i >= p)
		{
			for (int k = rank[i - p]; k <= n; k += k & -k)
			{
				cnt[k]--;
				sum[k] -= t[i - p];
			}
			s -= t[i - p];
		}
		if (i >= p - 1)
		{
			int			lo = 0,
						hi = n;	/* ranks 1..lo have p T <= S; find the largest */
			int			cnt_lo = 0;
			ta_int128	sum_lo = 0;

			while (lo < hi)
			{
				int			mid = lo + (hi - lo + 1) / 2;

				if ((ta_int128) p * sorted[mid - 1].key <= s)
					lo = mid;
				else
					hi = mid - 1;
			}
			for (int k = lo; k > 0; k -= k & -k)
			{
				cnt_lo += cnt[k];
				sum_lo += sum[k];
			}
			out[i] = CciRow((ta_int128) p * t[i] - s,
							2 * (s * cnt_lo - (ta_int128) p * sum_lo), p);
		}
	}
	TaFree(sorted);
	TaFree(rank);
	TaFree(cnt);
	TaFree(sum);
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
		CciDirectReal(h, l, c, n, p, out);
	TaFree(t);
}
