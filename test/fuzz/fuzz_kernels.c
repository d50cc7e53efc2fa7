/*
 * fuzz_kernels.c - every indicator kernel over bars made from the input, as
 * the window layer passes them (rows with a missing series dropped, leading
 * gaps for the chainable averages), under ASan and UBSan; and the fast CCI
 * against a naive O(n p) reference, aborting on a mismatch.
 *
 * Input: byte 0 flags (bit 0: wild magnitudes up to 2^+-16000, not
 * compared), byte 1 a power-of-two scale, bytes 2-3 the period, then 4 bytes
 * a bar.
 */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ta.h"
#include "../unit/run_kernels.h"

#define FUZZ_MAX_BARS 2048

/* 8-byte aligned scratch, as palloc gives the kernels in the server */
void *
TaAlloc(size_t size)
{
	char	   *raw = malloc(size + 32);
	char	   *base;

	if (raw == NULL)
		abort();
	base = (char *) (((uintptr_t) raw + 8 + 15) & ~(uintptr_t) 15);
	((void **) base)[0] = raw;
	return base + 8;
}

void
TaFree(void *ptr)
{
	free(((void **) ptr)[-1]);
}

void
TaCheckInterrupts(void)
{
}

/*
 * Naive CCI of row i (typical prices as h + l + c: the factor 3 cancels),
 * window by window in long double; *flat when every typical price is equal,
 * *bound an error bound for the reference itself.
 */
static long double
NaiveCci(const ta_real *h, const ta_real *l, const ta_real *c, int i, int p,
		 int *flat, long double *bound)
{
	long double mean = 0,
				md = 0,
				top = 0,
				t_i = h[i] + l[i] + c[i];

	*flat = 1;
	for (int j = i - p + 1; j <= i; j++)
	{
		long double t = h[j] + l[j] + c[j];

		mean += t;
		top = fmaxl(top, fabsl(t));
		*flat = *flat && t == t_i;
	}
	mean /= p;
	for (int j = i - p + 1; j <= i; j++)
		md += fabsl(h[j] + l[j] + c[j] - mean);
	if (*flat)
		return 0;
	/* rounding of the sums relative to the deviation they measure */
	*bound = 1e-12L + 16 * (p + 2) * LDBL_EPSILON * top / (md / p);
	return p * (t_i - mean) / (0.015L * md);
}

static void
CheckCci(const ta_real *h, const ta_real *l, const ta_real *c, int n, int p, ta_real *out)
{
	ComputeCci(h, l, c, n, p, out);
	for (int i = 0; i < n; i++)
	{
		int			flat;
		long double bound = 0,
					want;

		if (i < p - 1)
		{
			if (TA_HAS(out[i]))
				abort();
			continue;
		}
		want = NaiveCci(h, l, c, i, p, &flat, &bound);
		if (!TA_HAS(out[i]))
			abort();
		if (flat ? out[i] != 0 : fabsl(out[i] - want) > bound * (1 + fabsl(want)))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ta_real    *raw[4],
			   *s[4],
			   *o[5];
	int			n = 0,
				rows,
				p;
	bool		wild,
				pos = true;
	int			scale;
	ta_real		px = 0;

	if (size < 4)
		return 0;
	wild = data[0] & 1;
	scale = (int) (data[1] % 121) - 60;
	rows = (int) ((size - 4) / 4);
	if (rows > FUZZ_MAX_BARS)
		rows = FUZZ_MAX_BARS;
	p = 1 + (int) ((data[2] | (data[3] << 8)) % (unsigned) (rows + 2));
	for (int k = 0; k < 4; k++)
	{
		raw[k] = TaAlloc(sizeof(ta_real) * (rows + 1));
		s[k] = TaAlloc(sizeof(ta_real) * (rows + 1));
	}
	for (int k = 0; k < 5; k++)
		o[k] = TaAlloc(sizeof(ta_real) * (rows + 1));

	/* bars: a random walk in binary fractions (exact for the reference) */
	for (int r = 0; r < rows; r++)
	{
		const uint8_t *b = data + 4 + 4 * r;

		if (wild)
		{
			ta_real		v = ldexpl((int8_t) b[1], ((int8_t) b[0]) * 125);

			raw[0][r] = v + ldexpl(b[2], ((int8_t) b[0]) * 125);
			raw[1][r] = v - ldexpl(b[3], ((int8_t) b[0]) * 125);
			raw[2][r] = v;
			raw[3][r] = b[3];
		}
		else
		{
			px += ldexpl((int8_t) b[1], -(b[0] & 7));
			raw[2][r] = ldexpl(px, scale);
			raw[0][r] = ldexpl(px + ldexpl(b[2] & 0x3f, -3), scale);
			raw[1][r] = ldexpl(px - ldexpl(b[3] & 0x3f, -3), scale);
			raw[3][r] = (b[2] >> 6) * 1000 + b[3];
		}
		if ((b[0] & 0xF0) == 0xF0)	/* a NULL in one series: the row is missing */
			raw[(b[0] >> 1) & 3][r] = TA_NONE;
	}

	/* the window layer keeps the rows whose series are all present */
	for (int r = 0; r < rows; r++)
	{
		if (!TA_HAS(raw[0][r]) || !TA_HAS(raw[1][r]) || !TA_HAS(raw[2][r]) ||
			!TA_HAS(raw[3][r]))
			continue;
		for (int k = 0; k < 4; k++)
			s[k][n] = raw[k][r];
		pos = pos && s[2][n] > 0;
		n++;
	}

	for (int k = 0; k < RUN_KERNELS_COUNT; k++)
		RunKernel(k, s[0], s[1], s[2], s[3], n, p < 2 ? 2 : p, pos, o);
	if (wild)
		ComputeCci(s[0], s[1], s[2], n, p, o[0]);
	else
		CheckCci(s[0], s[1], s[2], n, p, o[0]);

	/* chained averages accept leading gaps (an earlier stage's warm-up) */
	{
		int			lead = data[0] >> 4;

		for (int r = 0; r < n && r < lead; r++)
			s[2][r] = TA_NONE;
		ComputeSma(s[2], n, p, o[0]);
		ComputeEma(s[2], n, p, o[1]);
		ComputeWma(s[2], n, p, o[2]);
		ComputeWilder(s[2], n, p, o[3]);
	}

	for (int k = 0; k < 4; k++)
	{
		TaFree(raw[k]);
		TaFree(s[k]);
	}
	for (int k = 0; k < 5; k++)
		TaFree(o[k]);
	return 0;
}
