/*
 * ml_bootstrap.c - paired circular block bootstrap of a metric difference
 * (ap_evaluate): resamples are unit weights, and every metric is computed
 * from weights in one pass (AUC over a once-sorted order), so 1,000
 * resamples of 10,000 rows cost a few tens of milliseconds.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml_bootstrap.h"

/* the same clipping of probabilities as ClassificationMetrics (ml_model.c) */
#define BOOT_PROB_EPS 1e-15

const BootMetricInfo boot_metrics[BOOT_NMETRICS] = {
	[BOOT_AUC] = {"auc", true, true, false},
	[BOOT_LOGLOSS] = {"logloss", false, true, false},
	[BOOT_BRIER] = {"brier", false, true, false},
	[BOOT_ACCURACY] = {"accuracy", true, true, false},
	[BOOT_F1] = {"f1", true, true, false},
	[BOOT_RMSE] = {"rmse", false, false, false},
	[BOOT_MAE] = {"mae", false, false, false},
	[BOOT_R2] = {"r2", true, false, false},
	[BOOT_DIRECTIONAL] = {"directional_accuracy", true, false, false},
	[BOOT_SHARPE] = {"sharpe", true, false, true},
	[BOOT_STRATEGY_RETURN] = {"strategy_return", true, false, true},
};

int
BootMetricByName(const char *name)
{
	for (int i = 0; i < BOOT_NMETRICS; i++)
		if (strcmp(boot_metrics[i].name, name) == 0)
			return i;
	return -1;
}

int
BootDefaultBlock(int n)
{
	int			b = (int) ceil(cbrt((double) n) - 1e-9);

	return b < 1 ? 1 : b;
}

static const double *sort_keys;

static int
CmpByKey(const void *a, const void *b)
{
	double		x = sort_keys[*(const int *) a],
				y = sort_keys[*(const int *) b];

	if (x < y)
		return -1;
	if (x > y)
		return 1;
	return *(const int *) a - *(const int *) b;
}

static void
SortSide(BootSide *s, int n, void *(*alloc) (size_t))
{
	s->order = alloc(sizeof(int) * (n > 0 ? n : 1));
	for (int i = 0; i < n; i++)
		s->order[i] = i;
	sort_keys = s->p;
	qsort(s->order, n, sizeof(int), CmpByKey);
	sort_keys = NULL;
}

void
BootPrepare(BootData *d, void *(*alloc) (size_t))
{
	SortSide(&d->a, d->n, alloc);
	SortSide(&d->b, d->n, alloc);
}

#define W(i) (w ? w[i] : 1.0)

/* Weighted Mann-Whitney AUC, ties counted one half (sklearn's on repeated rows). */
static double
WeightedAuc(const BootData *d, const BootSide *s, const double *w)
{
	double		neg_below = 0,
				pos_total = 0,
				neg_total = 0,
				pairs = 0;

	for (int k = 0; k < d->n;)
	{
		double		pos = 0,
					neg = 0;
		int			j = k;

		while (j < d->n && s->p[s->order[j]] == s->p[s->order[k]])
		{
			int			i = s->order[j++];

			if (d->y[i] > 0.5)
				pos += W(i);
			else
				neg += W(i);
		}
		pairs += pos * (neg_below + 0.5 * neg);
		neg_below += neg;
		pos_total += pos;
		neg_total += neg;
		k = j;
	}
	if (pos_total == 0 || neg_total == 0)
		return NAN;
	return pairs / (pos_total * neg_total);
}

static double
WeightedClass(const BootData *d, const BootSide *s, BootMetric m, const double *w)
{
	double		tot = 0,
				acc = 0,
				tp = 0,
				fp = 0,
				fn = 0;

	for (int i = 0; i < d->n; i++)
	{
		double		wi = W(i),
					p = s->p[i];
		bool		pos = d->y[i] > 0.5,
					pred = p > 0.5;

		if (wi == 0)
			continue;
		tot += wi;
		if (m == BOOT_LOGLOSS)
		{
			double		q = p < BOOT_PROB_EPS ? BOOT_PROB_EPS : p > 1 - BOOT_PROB_EPS ? 1 - BOOT_PROB_EPS : p;

			acc -= wi * (pos ? log(q) : log(1 - q));
		}
		else if (m == BOOT_BRIER)
			acc += wi * (p - (pos ? 1 : 0)) * (p - (pos ? 1 : 0));
		else
		{
			acc += wi * (pos == pred);
			tp += wi * (pos && pred);
			fp += wi * (!pos && pred);
			fn += wi * (pos && !pred);
		}
	}
	if (m == BOOT_F1)
		return 2 * tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : 0;
	return acc / tot;
}

static double
WeightedRegression(const BootData *d, const BootSide *s, BootMetric m, const double *w)
{
	double		tot = 0,
				se = 0,
				ae = 0,
				dir = 0,
				sy = 0,
				ss = 0,
				mean;

	for (int i = 0; i < d->n; i++)
	{
		double		wi = W(i),
					e = d->y[i] - s->p[i];

		tot += wi;
		sy += wi * d->y[i];
		se += wi * e * e;
		ae += wi * fabs(e);
		dir += wi * ((d->y[i] > 0) == (s->p[i] > 0));
	}
	mean = sy / tot;
	for (int i = 0; i < d->n; i++)
		ss += W(i) * (d->y[i] - mean) * (d->y[i] - mean);
	switch (m)
	{
		case BOOT_RMSE:
			return sqrt(se / tot);
		case BOOT_MAE:
			return ae / tot;
		case BOOT_R2:
			return ss > 0 ? 1 - se / ss : NAN;
		default:
			return dir / tot;
	}
}

/* Sharpe (mean over n-1 standard deviation, annualised) or exp(sum) - 1 of the unit returns. */
static double
WeightedTrading(const BootData *d, const BootSide *s, BootMetric m, const double *w)
{
	double		k = 0,
				s1 = 0,
				s2 = 0,
				mu,
				sd;

	for (int i = 0; i < d->n; i++)
	{
		k += W(i);
		s1 += W(i) * s->r[i];
		s2 += W(i) * s->r[i] * s->r[i];
	}
	if (m == BOOT_STRATEGY_RETURN)
		return exp(s1) - 1;
	mu = k > 0 ? s1 / k : 0;
	sd = k > 1 ? sqrt(fmax(s2 - k * mu * mu, 0) / (k - 1)) : 0;
	return sd > 0 ? mu / sd * d->annualise : 0;
}

double
BootMetricValue(const BootData *d, const BootSide *s, BootMetric m, const double *w)
{
	switch (m)
	{
		case BOOT_AUC:
			return WeightedAuc(d, s, w);
		case BOOT_LOGLOSS:
		case BOOT_BRIER:
		case BOOT_ACCURACY:
		case BOOT_F1:
			return WeightedClass(d, s, m, w);
		case BOOT_SHARPE:
		case BOOT_STRATEGY_RETURN:
			return WeightedTrading(d, s, m, w);
		default:
			return WeightedRegression(d, s, m, w);
	}
}

uint64_t
BootNextRandom(uint64_t *state)
{
	uint64_t	z = (*state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

void
BootResample(int n, int block, uint64_t *state, double *w)
{
	int			drawn = 0;

	memset(w, 0, sizeof(double) * n);
	while (drawn < n)
	{
		int			start = (int) (BootNextRandom(state) % (uint64_t) n);

		for (int j = 0; j < block && drawn < n; j++, drawn++)
			w[(start + j) % n] += 1;
	}
}

void
BootDifferences(const BootData *d, BootMetric m, int block, int resamples, uint64_t seed,
				double *w, double *diff, void (*interrupt) (void))
{
	uint64_t	state = seed;

	for (int k = 0; k < resamples; k++)
	{
		if (interrupt)
			interrupt();
		BootResample(d->n, block, &state, w);
		diff[k] = BootMetricValue(d, &d->b, m, w) - BootMetricValue(d, &d->a, m, w);
	}
}

static int
CmpDouble(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

double
BootQuantile(double *x, int n, double q)
{
	int			m = 0;
	double		h;
	int			lo;

	for (int i = 0; i < n; i++)
		if (!isnan(x[i]))
			x[m++] = x[i];
	if (m == 0)
		return NAN;
	qsort(x, m, sizeof(double), CmpDouble);
	h = (m - 1) * q;
	lo = (int) floor(h);
	if (lo >= m - 1)
		return x[m - 1];
	return x[lo] + (h - lo) * (x[lo + 1] - x[lo]);
}
