/*
 * ta.h - AlphaPulse indicator kernels: pure computations over plain arrays.
 *
 * Kernels know nothing about PostgreSQL.  Inputs hold only present values
 * (the window layer removes missing rows first); an output slot that has no
 * value (warm-up) is set to TA_NONE, a NaN.  Leading TA_NONE values in an
 * input are allowed for the chainable kernels (SMA, EMA, WMA, Wilder), which
 * start at the first value present, so stages can be composed.
 */
#ifndef AP_TA_H
#define AP_TA_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * 64-bit mantissa: ~1e-19 relative, headroom for cancellation in differences.
 * Arrays come from palloc, which aligns to 8 bytes only: say so, so that no
 * compiler assumes the 16 of long double.
 */
typedef long double ta_real __attribute__((aligned(8)));

#define TA_NONE ((ta_real) NAN)
#define TA_HAS(v) (!isnan(v))

/* moving averages (ta_average.c) */
extern void ComputeSma(const ta_real *x, int n, int p, ta_real *out);
extern void ComputeEma(const ta_real *x, int n, int p, ta_real *out);
extern void ComputeWilder(const ta_real *x, int n, int p, ta_real *out);
extern void ComputeWma(const ta_real *x, int n, int p, ta_real *out);
extern void ComputeDema(const ta_real *x, int n, int p, ta_real *out);
extern void ComputeTema(const ta_real *x, int n, int p, ta_real *out);
extern void ComputeTrima(const ta_real *x, int n, int p, ta_real *out);
extern void ComputeKama(const ta_real *x, int n, int p, int fast, int slow, ta_real *out);
extern void ComputeHma(const ta_real *x, int n, int p, ta_real *out);
extern void ComputeVwma(const ta_real *c, const ta_real *v, int n, int p, ta_real *out);
extern void ComputeVwap(const ta_real *h, const ta_real *l, const ta_real *c,
						const ta_real *v, int n, ta_real *out);

/* momentum and oscillators (ta_momentum.c) */
extern void ComputeRsi(const ta_real *x, int n, int p, ta_real *out);
extern void ComputeMacd(const ta_real *x, int n, int fast, int slow, int sig,
						ta_real *macd, ta_real *signal, ta_real *hist);
extern void ComputeStoch(const ta_real *h, const ta_real *l, const ta_real *c, int n,
						 int fastk, int slowk, int slowd, ta_real *k, ta_real *d);
extern void ComputeStochRsi(const ta_real *x, int n, int p, int k, int smooth, ta_real *out);
extern void ComputeWillr(const ta_real *h, const ta_real *l, const ta_real *c, int n,
						 int p, ta_real *out);
extern void ComputeCci(const ta_real *h, const ta_real *l, const ta_real *c, int n,
					   int p, ta_real *out);
extern void ComputeRoc(const ta_real *x, int n, int p, ta_real *out);
extern void ComputeMom(const ta_real *x, int n, int p, ta_real *out);
extern void ComputeCmo(const ta_real *x, int n, int p, ta_real *out);
extern void ComputeTrix(const ta_real *x, int n, int p, ta_real *out);
extern void ComputeUltosc(const ta_real *h, const ta_real *l, const ta_real *c, int n,
						  int p1, int p2, int p3, ta_real *out);
extern void ComputePriceOsc(const ta_real *x, int n, int fast, int slow, bool ema,
							bool percent, ta_real *out);
extern void ComputeAroon(const ta_real *h, const ta_real *l, int n, int p,
						 ta_real *up, ta_real *down, ta_real *osc);
extern void ComputeLogret(const ta_real *x, int n, int p, ta_real *out);
extern void ComputeLinregSlope(const ta_real *x, int n, int p, ta_real *out);

/* trend and volatility (ta_volatility.c) */
extern void ComputeTrange(const ta_real *h, const ta_real *l, const ta_real *c, int n,
						  ta_real *out);
extern void ComputeAtr(const ta_real *h, const ta_real *l, const ta_real *c, int n,
					   int p, ta_real *out);
extern void ComputeNatr(const ta_real *h, const ta_real *l, const ta_real *c, int n,
						int p, ta_real *out);
extern void ComputeDmi(const ta_real *h, const ta_real *l, const ta_real *c, int n,
					   int p, ta_real *plus_di, ta_real *minus_di, ta_real *adx);
extern void ComputeVariance(const ta_real *x, int n, int p, bool sample,
							ta_real *mean, ta_real *var);
extern void ComputeBbands(const ta_real *x, int n, int p, double k, ta_real *lower,
						  ta_real *middle, ta_real *upper, ta_real *bandwidth,
						  ta_real *percent_b);
extern void ComputeZscore(const ta_real *x, int n, int p, ta_real *out);
extern void ComputeKeltner(const ta_real *h, const ta_real *l, const ta_real *c, int n,
						   int p, double mult, int atr_p, ta_real *lower,
						   ta_real *middle, ta_real *upper);
extern void ComputeDonchian(const ta_real *h, const ta_real *l, int n, int p,
							ta_real *lower, ta_real *middle, ta_real *upper);
extern void ComputePsar(const ta_real *h, const ta_real *l, int n, double accel,
						double max_accel, ta_real *out);

/* volume (ta_volume.c) */
extern void ComputeObv(const ta_real *c, const ta_real *v, int n, ta_real *out);
extern void ComputeAd(const ta_real *h, const ta_real *l, const ta_real *c,
					  const ta_real *v, int n, ta_real *out);
extern void ComputeAdosc(const ta_real *h, const ta_real *l, const ta_real *c,
						 const ta_real *v, int n, int fast, int slow, ta_real *out);
extern void ComputeCmf(const ta_real *h, const ta_real *l, const ta_real *c,
					   const ta_real *v, int n, int p, ta_real *out);
extern void ComputeMfi(const ta_real *h, const ta_real *l, const ta_real *c,
					   const ta_real *v, int n, int p, ta_real *out);

/* shared rolling helpers (ta_rolling.c) */

/* A rolling sum that is exactly 0 when no nonzero term is in the window. */
typedef struct RollSum
{
	ta_real		sum;
	int			nonzero;
} RollSum;

static inline void
RollSumAdd(RollSum *s, ta_real v)
{
	s->sum += v;
	s->nonzero += (v != 0);
}

static inline void
RollSumRemove(RollSum *s, ta_real v)
{
	s->sum -= v;
	s->nonzero -= (v != 0);
	if (s->nonzero == 0)
		s->sum = 0;
}

extern void ComputeRollingMax(const ta_real *x, int n, int p, ta_real *out, int *age);
extern void ComputeRollingMin(const ta_real *x, int n, int p, ta_real *out, int *age);
extern int	FirstPresent(const ta_real *x, int n);

/* scratch memory for kernels; the window layer maps these to palloc/pfree */
extern void *TaAlloc(size_t size);
extern void TaFree(void *ptr);
extern void FillNone(ta_real *out, int n);

/*
 * Interrupt hook: the window layer maps it to CHECK_FOR_INTERRUPTS, which may
 * not return (a cancel leaves the kernel by longjmp; scratch memory is then
 * freed with the partition's context).  Every loop whose length grows with
 * the input calls TA_POLL with its counter, so a cancel or timeout is seen
 * within TA_POLL_INTERVAL iterations (a few microseconds).
 */
extern void TaCheckInterrupts(void);

#define TA_POLL_INTERVAL 4096	/* a power of two */
#define TA_POLL(i) \
	do { \
		if (((unsigned) (i) & (TA_POLL_INTERVAL - 1)) == 0) \
			TaCheckInterrupts(); \
	} while (0)

#endif							/* AP_TA_H */
