/*
 * bench_stream.c - cost per bar of every streamable kernel (ta_stream_list.h):
 * the batch kernel over 1,000,000 bars, the same bars pushed one at a time
 * into a streaming state, and a peek; push again at a long period (O(1):
 * the cost must not grow with it); and the size of a state and the cost of
 * saving and loading it.  CPU time (the machine may be shared), median and
 * range of several runs.  Not a test: nothing here passes or fails.
 * Arguments: runs (5), bars (1000000).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ta.h"
#include "ta_stream.h"
#include "bench_hooks.h"

#define MAX_RUNS 15
#define LONG_PERIOD 5000

static double
Now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
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

typedef enum
{
	MODE_BATCH, MODE_PUSH, MODE_PEEK, MODE_SAVELOAD
} Mode;

/* a sink the compiler cannot drop */
volatile long double sink;

/* ns per bar (per state for MODE_SAVELOAD) of one run */
static double
RunOnce(const TaStreamKernel *k, const double *params, Mode mode, ta_real **col,
		int n, ta_real **out)
{
	int			ni = (int) strlen(k->inputs);
	const ta_real *in[TA_STREAM_MAX_INPUTS];
	size_t		size = TaStreamStateSize(k, params);
	TaStream   *s = TaAlloc(size),
			   *t = TaAlloc(size);
	char	   *buf = TaAlloc(size);
	double		t0,
				t1;
	int			reps = 200;

	for (int j = 0; j < ni; j++)
		in[j] = col[k->inputs[j] == 'x' ? 2 : (int) (strchr("hlcv", k->inputs[j]) - "hlcv")];
	TaStreamInit(k, params, s);
	t0 = Now();
	if (mode == MODE_BATCH)
		k->batch(in, n, params, out);
	else if (mode == MODE_PUSH)
	{
		for (int i = 0; i < n; i++)
		{
			ta_real		bar[TA_STREAM_MAX_INPUTS],
						o[TA_STREAM_MAX_OUTPUTS];

			for (int j = 0; j < ni; j++)
				bar[j] = in[j][i];
			TaStreamPush(k, s, bar, o);
			out[0][i] = o[0];
		}
	}
	else
	{
		/* warm the state on the first bars, then time peeks or save+load */
		int			warm = n < 10000 ? n : 10000;
		ta_real		bar[TA_STREAM_MAX_INPUTS],
					o[TA_STREAM_MAX_OUTPUTS];

		for (int i = 0; i < warm; i++)
		{
			for (int j = 0; j < ni; j++)
				bar[j] = in[j][i];
			TaStreamPush(k, s, bar, o);
		}
		t0 = Now();
		reps = mode == MODE_PEEK ? n : 2000;
		for (int r = 0; r < reps; r++)
		{
			if (mode == MODE_PEEK)
			{
				for (int j = 0; j < ni; j++)
					bar[j] = in[j][r];
				TaStreamPeek(k, s, bar, o);
				sink = o[0];
			}
			else
			{
				TaStreamSave(s, buf);
				if (TaStreamLoad(k, params, buf, size, t) != TA_STREAM_OK)
					abort();
			}
		}
	}
	t1 = Now();
	TaFree(s);
	TaFree(t);
	TaFree(buf);
	return (t1 - t0) / (mode == MODE_BATCH || mode == MODE_PUSH ? n : reps);
}

/* median, low and high of runs */
static void
Time(const TaStreamKernel *k, const double *params, Mode mode, ta_real **col, int n,
	 ta_real **out, int runs, double *med, double *lo, double *hi)
{
	double		t[MAX_RUNS];

	for (int r = 0; r < runs; r++)
		t[r] = RunOnce(k, params, mode, col, n, out);
	qsort(t, runs, sizeof(double), CmpDouble);
	*med = t[runs / 2];
	*lo = t[0];
	*hi = t[runs - 1];
}

int
main(int argc, char **argv)
{
	int			runs = argc > 1 ? atoi(argv[1]) : 5;
	int			n = argc > 2 ? atoi(argv[2]) : 1000000;
	ta_real    *col[4],
			   *out[TA_STREAM_MAX_OUTPUTS];
	double		px = 100;

	if (runs < 1 || runs > MAX_RUNS)
		runs = 5;
	if (n < 20000)
		n = 20000;
	for (int j = 0; j < 4; j++)
		col[j] = TaAlloc(sizeof(ta_real) * n);
	for (int j = 0; j < TA_STREAM_MAX_OUTPUTS; j++)
		out[j] = TaAlloc(sizeof(ta_real) * n);
	for (int i = 0; i < n; i++)
	{
		/* cent prices as whole numbers, as bench_kernels.c */
		px += Uniform() - 0.5;
		col[2][i] = rintl(px * 100);
		col[0][i] = col[2][i] + rintl(Uniform() * 100);
		col[1][i] = col[2][i] - rintl(Uniform() * 100);
		col[3][i] = rintl(Uniform() * 1e6);
	}
	printf("streaming indicator state: CPU ns per bar over %d bars, median [min-max] of %d runs\n",
		   n, runs);
	printf("%-13s %-22s %-22s %6s %-20s %-22s %7s %9s\n", "kernel", "batch ns/bar",
		   "push ns/bar", "push/b", "peek ns", "push at n=5000", "state B",
		   "save+load");
	for (int i = 0; i < ta_stream_nkernels; i++)
	{
		const TaStreamKernel *k = ta_stream_kernels[i];
		double		params[TA_STREAM_MAX_PARAMS] = {0},
					longp[TA_STREAM_MAX_PARAMS] = {0};
		double		bm, bl, bh, pm, pl, ph, km, kl, kh, lm, ll, lh, sm, sl, sh;
		char		bcol[40], pcol[40], kcol[40], lcol[40];

		for (int j = 0; j < k->nparams; j++)
			params[j] = longp[j] = k->params[j].dflt;
		Time(k, params, MODE_BATCH, col, n, out, runs, &bm, &bl, &bh);
		Time(k, params, MODE_PUSH, col, n, out, runs, &pm, &pl, &ph);
		Time(k, params, MODE_PEEK, col, n, out, runs, &km, &kl, &kh);
		Time(k, params, MODE_SAVELOAD, col, n, out, runs, &sm, &sl, &sh);
		/* the first period at a long value: a deque or ring, never a rescan */
		if (k->nparams > 0 && k->params[0].kind == TA_PARAM_PERIOD)
		{
			longp[0] = LONG_PERIOD;
			if (k->nparams > 1 && k->params[1].kind == TA_PARAM_PERIOD &&
				TaStreamStateSize(k, longp) == 0)
			{
				longp[0] = params[0];
				longp[1] = LONG_PERIOD;
			}
		}
		if (TaStreamStateSize(k, longp) > 0 && memcmp(longp, params, sizeof(params)) != 0)
		{
			Time(k, longp, MODE_PUSH, col, n, out, runs, &lm, &ll, &lh);
			snprintf(lcol, sizeof(lcol), "%6.1f [%.1f-%.1f]", lm, ll, lh);
		}
		else
			snprintf(lcol, sizeof(lcol), "%6s", "-");
		snprintf(bcol, sizeof(bcol), "%6.1f [%.1f-%.1f]", bm, bl, bh);
		snprintf(pcol, sizeof(pcol), "%6.1f [%.1f-%.1f]", pm, pl, ph);
		snprintf(kcol, sizeof(kcol), "%5.1f [%.1f-%.1f]", km, kl, kh);
		printf("%-13s %-22s %-22s %5.1fx %-20s %-22s %7zu %7.0f ns\n", k->name, bcol, pcol,
			   pm / bm, kcol, lcol, TaStreamStateSize(k, params), sm);
	}
	printf("push/b: streaming cost over batch cost per bar; state B: bytes of a state at\n"
		   "the default parameters (saved as is); save+load: both, per state.\n");
	return 0;
}
