/*
 * ml_model.c - linear models by coordinate descent (glmnet-style, with IRLS
 * for the logistic loss) and metrics computed as scikit-learn defines them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml_model.h"
#include "ta.h"

void
ColumnStats(const double *x, int n, int p, double *mean, double *scale)
{
	for (int j = 0; j < p; j++)
	{
		double		s = 0,
					ss = 0;

		for (int i = 0; i < n; i++)
			s += x[(long) i * p + j];
		mean[j] = n > 0 ? s / n : 0;
		for (int i = 0; i < n; i++)
		{
			double		d = x[(long) i * p + j] - mean[j];

			ss += d * d;
		}
		scale[j] = n > 0 ? sqrt(ss / n) : 0;
		if (!(scale[j] > 1e-300))
			scale[j] = 1;		/* a constant column: its coefficient stays 0 */
	}
}

static inline double
SoftThreshold(double z, double g)
{
	return z > g ? z - g : z < -g ? z + g : 0;
}

/*
 * Covariance-update coordinate descent: each outer step (one for squared
 * error, IRLS steps for the logistic loss) forms the weighted Gram matrix of
 * the standardised features plus an unpenalised intercept column, so a sweep
 * costs O(p^2) whatever n is, and strongly correlated features (ret_1 and
 * co_ret are nearly equal) converge in affordable sweeps.
 */
int
FitLinear(const double *x, const double *y, int n, int p, double lambda, double l1,
		  bool logistic, int max_iter, double tol, LinearModel *m,
		  void (*interrupt) (void))
{
	int			q = p + 1;		/* coordinates; q - 1 is the intercept */
	double	   *z = TaAlloc(sizeof(double) * ((size_t) n * p + 1));	/* row-major */
	double	   *a = TaAlloc(sizeof(double) * (size_t) q * q);
	double	   *c = TaAlloc(sizeof(double) * q);
	double	   *ab = TaAlloc(sizeof(double) * q);
	double	   *b = TaAlloc(sizeof(double) * q);
	double	   *prev = TaAlloc(sizeof(double) * q);
	double	   *row = TaAlloc(sizeof(double) * q);
	int			sweeps = 0;
	double		ymean = 0;

	m->p = p;
	m->logistic = logistic;
	ColumnStats(x, n, p, m->mean, m->scale);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < p; j++)
			z[(size_t) i * p + j] = (x[(size_t) i * p + j] - m->mean[j]) / m->scale[j];
	for (int i = 0; i < n; i++)
		ymean += y[i];
	ymean /= n;
	memset(b, 0, sizeof(double) * q);
	b[p] = logistic ? log((ymean + 1e-9) / (1 - ymean + 1e-9)) : ymean;

	for (int outer = 0; outer < (logistic ? 100 : 1); outer++)
	{
		double		max_outer = 0;

		memset(a, 0, sizeof(double) * (size_t) q * q);
		memset(c, 0, sizeof(double) * q);
		memcpy(prev, b, sizeof(double) * q);
		for (int i = 0; i < n; i++)
		{
			double		w = 1,
						u = y[i];

			memcpy(row, z + (size_t) i * p, sizeof(double) * p);
			row[p] = 1;
			if (logistic)
			{
				double		e = 0,
							pr;

				for (int j = 0; j < q; j++)
					e += b[j] * row[j];
				pr = 1 / (1 + exp(-e));
				w = pr * (1 - pr);
				if (w < 1e-5)
					w = 1e-5;
				u = e + (y[i] - pr) / w;
			}
			for (int j = 0; j < q; j++)
			{
				double		wj = w * row[j];

				c[j] += wj * u;
				for (int k = j; k < q; k++)
					a[(size_t) j * q + k] += wj * row[k];
			}
			if (interrupt && (i & 4095) == 0)
				interrupt();
		}
		for (int j = 0; j < q; j++)
		{
			c[j] /= n;
			for (int k = j; k < q; k++)
			{
				a[(size_t) j * q + k] /= n;
				a[(size_t) k * q + j] = a[(size_t) j * q + k];
			}
		}
		for (int j = 0; j < q; j++)
		{
			ab[j] = 0;
			for (int k = 0; k < q; k++)
				ab[j] += a[(size_t) j * q + k] * b[k];
		}
		for (int it = 0; it < max_iter; it++, sweeps++)
		{
			double		max_delta = 0;

			if (interrupt && (it & 255) == 0)
				interrupt();
			for (int j = 0; j < q; j++)
			{
				double		ajj = a[(size_t) j * q + j];
				double		rho,
							nb,
							delta;

				if (!(ajj > 0))
					continue;
				rho = c[j] - ab[j] + ajj * b[j];
				if (j == p)
					nb = rho / ajj;
				else
					nb = SoftThreshold(rho, lambda * l1) / (ajj + lambda * (1 - l1));
				delta = nb - b[j];
				if (delta != 0)
				{
					for (int k = 0; k < q; k++)
						ab[k] += delta * a[(size_t) k * q + j];
					b[j] = nb;
					if (fabs(delta) * sqrt(ajj) > max_delta)
						max_delta = fabs(delta) * sqrt(ajj);
				}
			}
			if (max_delta < tol)
				break;
		}
		for (int j = 0; j < q; j++)
			if (fabs(b[j] - prev[j]) > max_outer)
				max_outer = fabs(b[j] - prev[j]);
		if (!logistic || max_outer < tol)
			break;
	}
	memcpy(m->coef, b, sizeof(double) * p);
	m->intercept = b[p];
	TaFree(z);
	TaFree(a);
	TaFree(c);
	TaFree(ab);
	TaFree(b);
	TaFree(prev);
	TaFree(row);
	return sweeps;
}

double
PredictLinear(const LinearModel *m, const double *x)
{
	double		e = m->intercept;

	for (int j = 0; j < m->p; j++)
		e += m->coef[j] * (x[j] - m->mean[j]) / m->scale[j];
	if (m->logistic)
		return 1 / (1 + exp(-e));
	if (m->clip01)
		return e < 0 ? 0 : e > 1 ? 1 : e;
	return e;
}

typedef struct ScoreIdx
{
	double		p;
	double		y;
} ScoreIdx;

static int
CmpScore(const void *a, const void *b)
{
	double		x = ((const ScoreIdx *) a)->p,
				y = ((const ScoreIdx *) b)->p;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* ROC AUC by the rank-sum formula with average ranks for ties (as sklearn). */
double
Auc(const double *y, const double *p, int n)
{
	ScoreIdx   *s = TaAlloc(sizeof(ScoreIdx) * (n > 0 ? n : 1));
	double		npos = 0,
				rank_sum = 0;

	for (int i = 0; i < n; i++)
	{
		s[i].p = p[i];
		s[i].y = y[i];
		npos += y[i] > 0.5;
	}
	qsort(s, n, sizeof(ScoreIdx), CmpScore);
	for (int i = 0; i < n;)
	{
		int			j = i;
		double		avg,
					pos = 0;

		while (j < n && s[j].p == s[i].p)
			pos += s[j++].y > 0.5;
		avg = (i + 1 + j) / 2.0;	/* mean of ranks i+1..j */
		rank_sum += pos * avg;
		i = j;
	}
	TaFree(s);
	if (npos == 0 || npos == n)
		return NAN;
	return (rank_sum - npos * (npos + 1) / 2) / (npos * (n - npos));
}

/* Labels are 0/1; a score above 0.5 predicts 1. */
void
ClassificationMetrics(const double *y, const double *p, int n, ClassMetrics *m)
{
	double		tp = 0,
				fp = 0,
				fn = 0,
				tn = 0,
				ll = 0,
				br = 0;

	for (int i = 0; i < n; i++)
	{
		double		q = p[i] < 1e-15 ? 1e-15 : p[i] > 1 - 1e-15 ? 1 - 1e-15 : p[i];
		bool		pos = y[i] > 0.5;
		bool		pred = p[i] > 0.5;

		ll -= pos ? log(q) : log(1 - q);
		br += (p[i] - (pos ? 1 : 0)) * (p[i] - (pos ? 1 : 0));
		tp += pos && pred;
		fp += !pos && pred;
		fn += pos && !pred;
		tn += !pos && !pred;
	}
	m->auc = Auc(y, p, n);
	m->logloss = ll / n;
	m->brier = br / n;
	m->accuracy = (tp + tn) / n;
	m->precision = tp + fp > 0 ? tp / (tp + fp) : 0;
	m->recall = tp + fn > 0 ? tp / (tp + fn) : 0;
	m->f1 = 2 * tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : 0;
}

/* Directional accuracy: share of rows where prediction and target have the same sign. */
void
RegressionMetrics(const double *y, const double *p, int n, RegMetrics *m)
{
	double		se = 0,
				ae = 0,
				mean = 0,
				ss = 0,
				dir = 0;

	for (int i = 0; i < n; i++)
		mean += y[i];
	mean /= n;
	for (int i = 0; i < n; i++)
	{
		double		d = y[i] - p[i];

		se += d * d;
		ae += fabs(d);
		ss += (y[i] - mean) * (y[i] - mean);
		dir += (y[i] > 0) == (p[i] > 0);
	}
	m->rmse = sqrt(se / n);
	m->mae = ae / n;
	m->r2 = ss > 0 ? 1 - se / ss : NAN;
	m->directional = dir / n;
}

/*
 * Long/flat strategy rebalanced every horizon bars on non-overlapping forward
 * log returns: long when score > cut; fee (fraction) per position change.
 * Returns are simple (exp of the summed log returns minus 1).
 */
void
TradingMetrics(const double *fwd, const double *score, int n, int horizon, double cut,
			   double fee, double periods_per_year, TradeMetrics *m)
{
	double		cum = 0,
				bh = 0,
				peak = 0,
				mdd = 0,
				s1 = 0,
				s2 = 0,
				b1 = 0,
				b2 = 0;
	int			pos = 0,
				k = 0;

	m->trades = 0;
	for (int i = 0; i < n; i += horizon)
	{
		int			want = score[i] > cut;
		double		r = 0;

		if (want != pos)
		{
			r += log(1 - fee);
			m->trades++;
		}
		pos = want;
		r += pos ? fwd[i] : 0;
		cum += r;
		bh += fwd[i];
		s1 += r;
		s2 += r * r;
		b1 += fwd[i];
		b2 += fwd[i] * fwd[i];
		k++;
		if (cum > peak)
			peak = cum;
		if (1 - exp(cum - peak) > mdd)
			mdd = 1 - exp(cum - peak);
	}
	m->strategy_return = exp(cum) - 1;
	m->buy_hold_return = exp(bh) - 1;
	m->max_drawdown = mdd;
	{
		double		per = periods_per_year / horizon;
		double		mu = k ? s1 / k : 0,
					sd = k > 1 ? sqrt((s2 - k * mu * mu) / (k - 1)) : 0;
		double		bmu = k ? b1 / k : 0,
					bsd = k > 1 ? sqrt((b2 - k * bmu * bmu) / (k - 1)) : 0;

		m->sharpe = sd > 0 ? mu / sd * sqrt(per) : 0;
		m->buy_hold_sharpe = bsd > 0 ? bmu / bsd * sqrt(per) : 0;
	}
}

/*
 * The per-period log returns TradingMetrics sums: one per rebalancing point
 * (every horizon rows), the fee included where the position changes.
 * Returns their number; out holds at least (n + horizon - 1) / horizon.
 */
int
TradingUnitReturns(const double *fwd, const double *score, int n, int horizon, double cut,
				   double fee, double *out)
{
	int			pos = 0,
				k = 0;

	for (int i = 0; i < n; i += horizon)
	{
		int			want = score[i] > cut;
		double		r = 0;

		if (want != pos)
			r += log(1 - fee);
		pos = want;
		r += pos ? fwd[i] : 0;
		out[k++] = r;
	}
	return k;
}
