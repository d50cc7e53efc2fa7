/*
 * bench_kernels.c - times every indicator kernel alone (no server) on
 * 1,000,000 bars at its usual period, and CCI at short and long periods on
 * 300,000 bars; prints the median CPU time of several runs in ms (CPU time:
 * the machine may be shared).  Build against any checkout's kernels to
 * compare them: `make -C test/unit bench` (SRC=/path/to/other/src for another
 * version).  Arguments: runs (5), largest CCI period to time (150000).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ta.h"
#include "run_kernels.h"
#include "bench_hooks.h"

static double
Now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
CmpDouble(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

static uint64_t rng = 88172645463325252ULL;

static double
Uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double) (rng >> 11) / 9007199254740992.0;
}

/* Median time of runs calls of kernel k (or CCI when k < 0). */
static double
Time(int k, ta_real **s, int n, int p, int runs, ta_real **o)
{
	double		t[16];

	for (int r = 0; r < runs; r++)
	{
		double		t0 = Now();

		if (k < 0)
			ComputeCci(s[0], s[1], s[2], n, p, o[0]);
		else
			RunKernel(k, s[0], s[1], s[2], s[3], n, p, true, o);
		t[r] = Now() - t0;
	}
	qsort(t, runs, sizeof(double), CmpDouble);
	return t[runs / 2];
}

int
main(int argc, char **argv)
{
	int			n = 1000000;
	int			runs = argc > 1 ? atoi(argv[1]) : 5;
	int			max_p = argc > 2 ? atoi(argv[2]) : 150000;

	if (runs < 1 || runs > 15)
		runs = 5;
	ta_real    *s[4],
			   *o[5];
	double		px = 100;
	int			cci_periods[] = {20, 5000, 150000};

	for (int k = 0; k < 4; k++)
		s[k] = TaAlloc(sizeof(ta_real) * n);
	for (int k = 0; k < 5; k++)
		o[k] = TaAlloc(sizeof(ta_real) * n);
	for (int i = 0; i < n; i++)
	{
		/* cent prices as whole numbers, as the NUMERIC path passes them */
		px += Uniform() - 0.5;
		s[2][i] = rintl(px * 100);
		s[0][i] = s[2][i] + rintl(Uniform() * 100);
		s[1][i] = s[2][i] - rintl(Uniform() * 100);
		s[3][i] = rintl(Uniform() * 1e6);
	}
	printf("kernel          CPU ms (1,000,000 bars, period 14, median of %d)\n", runs);
	for (int k = 0; k < RUN_KERNELS_COUNT; k++)
	{
		const char *name = RunKernel(k, s[0], s[1], s[2], s[3], 100, 14, true, o);

		printf("%-15s %8.1f\n", name, Time(k, s, n, 14, runs, o));
	}
	printf("cci             CPU ms (300,000 bars, median of %d)\n", runs);
	for (size_t j = 0; j < sizeof(cci_periods) / sizeof(int) && cci_periods[j] <= max_p; j++)
		printf("cci p=%-9d %8.1f\n", cci_periods[j],
			   Time(-1, s, 300000, cci_periods[j], cci_periods[j] > 5000 ? 1 : runs, o));
	return 0;
}
