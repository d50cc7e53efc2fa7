/*
 * drift.c - drift statistics over plain arrays: two-sample KS with SciPy's
 * exact and asymptotic p-values, chi-square, Wasserstein, Jensen-Shannon and
 * PSI, and Evidently's binning and default choice.  No PostgreSQL headers.
 */
#include "drift.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[DRIFT_NMETHODS] = {
	"auto", "ks", "chisquare", "wasserstein", "jensenshannon", "psi"
};

const char *
DriftMethodName(DriftMethod m)
{
	return (m >= 0 && m < DRIFT_NMETHODS) ? method_names[m] : "unknown";
}

bool
DriftMethodFromName(const char *name, DriftMethod *m)
{
	for (int i = 0; i < DRIFT_NMETHODS; i++)
		if (strcmp(name, method_names[i]) == 0)
		{
			*m = (DriftMethod) i;
			return true;
		}
	return false;
}

/* p-value tests drift when p < threshold, distances when statistic >= threshold. */
bool
DriftMethodIsPValue(DriftMethod m)
{
	return m == DRIFT_KS || m == DRIFT_CHISQUARE;
}

double
DriftDefaultThreshold(DriftMethod m)
{
	switch (m)
	{
		case DRIFT_KS:
			return DRIFT_KS_THRESHOLD;
		case DRIFT_CHISQUARE:
			return DRIFT_CHISQUARE_THRESHOLD;
		case DRIFT_WASSERSTEIN:
			return DRIFT_WASSERSTEIN_THRESHOLD;
		case DRIFT_JENSENSHANNON:
			return DRIFT_JENSENSHANNON_THRESHOLD;
		case DRIFT_PSI:
			return DRIFT_PSI_THRESHOLD;
		default:
			return NAN;
	}
}

/* p-values are in (0, 1); JS distance (natural log) is at most sqrt(ln 2). */
bool
DriftThresholdValid(DriftMethod m, double t)
{
	if (!isfinite(t) || t <= 0)
		return false;
	if (DriftMethodIsPValue(m))
		return t < 1;
	if (m == DRIFT_JENSENSHANNON)
		return t <= sqrt(log(2.0));
	return true;
}

/* ---- sorting and counting ---- */

static void
InsertionSort(double *x, int n)
{
	for (int i = 1; i < n; i++)
	{
		double		v = x[i];
		int			j = i - 1;

		while (j >= 0 && x[j] > v)
		{
			x[j + 1] = x[j];
			j--;
		}
		x[j + 1] = v;
	}
}

/* Quicksort with median-of-three pivots; recursion on the smaller side only. */
void
DriftSort(double *x, int n)
{
	while (n > 24)
	{
		double		a = x[0],
					b = x[n / 2],
					c = x[n - 1],
					pivot;
		int			i = 0,
					j = n - 1;

		pivot = (a < b) ? ((b < c) ? b : (a < c ? c : a)) : ((a < c) ? a : (b < c ? c : b));
		while (i <= j)
		{
			while (x[i] < pivot)
				i++;
			while (x[j] > pivot)
				j--;
			if (i <= j)
			{
				double		t = x[i];

				x[i] = x[j];
				x[j] = t;
				i++;
				j--;
			}
		}
		if (j + 1 < n - i)
		{
			DriftSort(x, j + 1);
			x += i;
			n -= i;
		}
		else
		{
			DriftSort(x + i, n - i);
			n = j + 1;
		}
	}
	InsertionSort(x, n);
}

/* Distinct values of the union of two sorted samples (b may be empty). */
int
DriftDistinct(const double *a, int n1, const double *b, int n2)
{
	int			i = 0,
				j = 0,
				k = 0;

	while (i < n1 || j < n2)
	{
		double		v = (j >= n2 || (i < n1 && a[i] <= b[j])) ? a[i] : b[j];

		while (i < n1 && a[i] <= v)
			i++;
		while (j < n2 && b[j] <= v)
			j++;
		k++;
	}
	return k;
}

/* Evidently's default: by reference size, then by distinct values of both samples. */
DriftMethod
DriftChooseMethod(const double *ref, int nref, const double *cur, int ncur,
				  int small_reference, int low_cardinality)
{
	bool		numeric = DriftDistinct(ref, nref, cur, ncur) > low_cardinality;

	if (nref <= small_reference)
		return numeric ? DRIFT_KS : DRIFT_CHISQUARE;
	return numeric ? DRIFT_WASSERSTEIN : DRIFT_JENSENSHANNON;
}

/* ---- two-sample Kolmogorov-Smirnov (scipy.stats.ks_2samp, method 'auto') ---- */

static int64_t
Gcd(int64_t a, int64_t b)
{
	while (b)
	{
		int64_t		t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Pr(D_{n,n} >= h/n) for equal sample sizes, as SciPy's Horner-like sum. */
static double
ProbOutsideSquare(int64_t n, int64_t h)
{
	double		p = 0.0;

	for (int64_t k = (int64_t) floor((double) n / h); k >= 0; k--)
	{
		double		p1 = 1.0;

		for (int64_t j = 0; j < h; j++)
			p1 = (double) (n - k * h - j) * p1 / (double) (n + k * h + j + 1);
		p = p1 * (1.0 - p);
	}
	return 2 * p;
}

/*
 * Share of lattice paths not staying strictly inside |x/m - y/n| < h/lcm:
 * Hodges' inside method with Viehmann's 1-p recursion, as SciPy.  NaN when
 * out of memory.
 */
static double
ProbOutsideInside(int64_t m, int64_t n, int64_t g, int64_t h)
{
	int64_t		mg,
				ng,
				minj,
				maxj,
				curlen;
	double	   *a;
	double		result;

	if (m < n)
	{
		int64_t		t = m;

		m = n;
		n = t;
	}
	mg = m / g;
	ng = n / g;
	minj = 0;
	maxj = (int64_t) ceil((double) h / mg);
	if (maxj > n + 1)
		maxj = n + 1;
	curlen = maxj - minj;
	a = malloc(sizeof(double) * (n + 2));
	if (a == NULL)
		return NAN;
	for (int64_t j = 0; j < n + 2; j++)
		a[j] = 1.0;
	for (int64_t j = minj; j < maxj; j++)
		a[j] = 0.0;
	for (int64_t i = 1; i <= m; i++)
	{
		int64_t		lastminj = minj,
					lastlen = curlen;
		double		val;

		minj = (int64_t) floor((double) (ng * i - h) / mg) + 1;
		if (minj < 0)
			minj = 0;
		if (minj > n)
			minj = n;
		maxj = (int64_t) ceil((double) (ng * i + h) / mg);
		if (maxj > n + 1)
			maxj = n + 1;
		if (maxj <= minj)
		{
			free(a);
			return 1.0;
		}
		val = (minj == 0) ? 0.0 : 1.0;
		for (int64_t jj = 0; jj < maxj - minj; jj++)
		{
			int64_t		j = jj + minj;

			val = (a[jj + minj - lastminj] * (double) i + val * (double) j) / (double) (i + j);
			a[jj] = val;
		}
		curlen = maxj - minj;
		for (int64_t jj = curlen; jj < lastlen; jj++)
			a[jj] = 1.0;
	}
	result = a[maxj - minj - 1];
	free(a);
	return result;
}

/* SciPy's two-sided statistic: the larger of max(F1 - F2) and max(F2 - F1). */
static double
KsStatistic(const double *a, int n1, const double *b, int n2)
{
	int			i = 0,
				j = 0;
	double		maxs = -INFINITY,
				mins = INFINITY;

	while (i < n1 || j < n2)
	{
		double		v = (j >= n2 || (i < n1 && a[i] <= b[j])) ? a[i] : b[j];
		double		diff;

		while (i < n1 && a[i] <= v)
			i++;
		while (j < n2 && b[j] <= v)
			j++;
		diff = (double) i / n1 - (double) j / n2;
		if (diff > maxs)
			maxs = diff;
		if (diff < mins)
			mins = diff;
	}
	mins = -mins;
	if (mins < 0)
		mins = 0;
	if (mins > 1)
		mins = 1;
	return mins > maxs ? mins : maxs;
}

/* Statistic and p-value of sorted samples as ks_2samp(a, b) (two-sided, auto). */
double
DriftKs2Samp(const double *a, int n1, const double *b, int n2, double *p_value)
{
	double		d = KsStatistic(a, n1, b, n2);
	double		p = NAN;
	int64_t		g = Gcd(n1, n2);
	bool		exact = (n1 > n2 ? n1 : n2) <= DRIFT_KS_MAX_EXACT;

	if (exact)
	{
		int64_t		lcm = ((int64_t) n1 / g) * n2;
		int64_t		h = (int64_t) rint(d * (double) lcm);

		d = (double) h / (double) lcm;
		if (h == 0)
			p = 1.0;
		else if (n1 == n2)
			p = ProbOutsideSquare(n1, h);
		else
			p = ProbOutsideInside(n1, n2, g, h);
		/* SciPy falls back to the asymptotic value when exact fails */
		if (!(p >= 0 && p <= 1))
			exact = false;
	}
	if (!exact)
	{
		double		m = n1 > n2 ? n1 : n2,
					n = n1 > n2 ? n2 : n1;
		double		en = m * n / (m + n);

		p = DriftKolmogorovSf((int) rint(en), d);
	}
	if (p < 0)
		p = 0;
	if (p > 1)
		p = 1;
	*p_value = p;
	return d;
}

/* ---- the Kolmogorov distribution (scipy.stats._ksstats, Simard & L'Ecuyer) ---- */

#define KS_E128 128
#define KS_LOG_2PI 1.8378770664093454836
#define KS_SQRT2PI 2.5066282746310005024

static double
Clip01(double p)
{
	return p < 0 ? 0 : (p > 1 ? 1 : p);
}

/* log(n!/n^n) by Stirling's series, as SciPy. */
static double
LogNFactorialDivNPowN(int n)
{
	static const double c[] = {-2.955065359477124183e-2, 6.4102564102564102564e-3,
		-1.9175269175269175269e-3, 8.4175084175084175084e-4,
		-5.952380952380952381e-4, 7.9365079365079365079e-4,
	-2.7777777777777777778e-3, 8.3333333333333333333e-2};
	double		rn = 1.0 / n,
				x = rn / n,
				poly = 0;

	for (int i = 0; i < 8; i++)
		poly = poly * x + c[i];
	return log((double) n) / 2 - n + KS_LOG_2PI / 2 + rn * poly;
}

static void
MatMul(const double *a, const double *b, double *out, int m)
{
	for (int i = 0; i < m; i++)
		for (int j = 0; j < m; j++)
		{
			double		s = 0;

			for (int k = 0; k < m; k++)
				s += a[i * m + k] * b[k * m + j];
			out[i * m + j] = s;
		}
}

/* Pr(D_n <= d) by Durbin's matrix (Marsaglia, Tsang, Wang); NaN when out of memory. */
static double
KolmogorovDurbin(int n, double d)
{
	double		nd = n * d,
				h,
				fac = 1.0,
				tt,
				p,
				ep128 = ldexp(1.0, KS_E128),
				em128 = ldexp(1.0, -KS_E128);
	int			k,
				m,
				expnt = 0,
				hexpnt = 0;
	double	   *H,
			   *P,
			   *T,
			   *v,
			   *w;

	if (d >= 1.0)
		return 1.0;
	if (nd <= 0.5)
		return 0.0;
	k = (int) ceil(nd);
	h = k - nd;
	m = 2 * k - 1;
	H = calloc((size_t) 3 * m * m + 2 * m, sizeof(double));
	if (H == NULL)
		return NAN;
	P = H + (size_t) m * m;
	T = P + (size_t) m * m;
	v = T + (size_t) m * m;
	w = v + m;
	for (int j = 1; j <= m; j++)
	{
		v[j - 1] = 1.0 - pow(h, j);
		w[j - 1] = fac;
		fac /= j;
		v[j - 1] *= fac;
	}
	tt = pow(fmax(2 * h - 1.0, 0), m) - 2 * pow(h, m);
	v[m - 1] = (1.0 + tt) * fac;
	for (int i = 1; i < m; i++)
		for (int r = i - 1; r < m; r++)
			H[r * m + i] = w[r - (i - 1)];
	for (int r = 0; r < m; r++)
		H[r * m] = v[r];
	for (int c = 0; c < m; c++)
		H[(m - 1) * m + c] = v[m - 1 - c];
	for (int i = 0; i < m; i++)
		P[i * m + i] = 1.0;
	for (int nn = n; nn > 0; nn /= 2)
	{
		if (nn % 2)
		{
			MatMul(P, H, T, m);
			memcpy(P, T, sizeof(double) * m * m);
			expnt += hexpnt;
		}
		MatMul(H, H, T, m);
		memcpy(H, T, sizeof(double) * m * m);
		hexpnt *= 2;
		if (fabs(H[(k - 1) * m + (k - 1)]) > ep128)
		{
			for (int i = 0; i < m * m; i++)
				H[i] /= ep128;
			hexpnt += KS_E128;
		}
	}
	p = P[(k - 1) * m + (k - 1)];
	free(H);
	for (int i = 1; i <= n; i++)
	{
		p = i * p / n;
		if (fabs(p) < em128)
		{
			p *= ep128;
			expnt -= KS_E128;
		}
	}
	if (expnt != 0)
		p = ldexp(p, expnt);
	return Clip01(p);
}

static void
PomeranzJ1J2(int i, int n, int ll, int ceilf, int roundf, int *j1, int *j2)
{
	int			a,
				b;

	if (i == 0)
	{
		a = -ll - ceilf - 1;
		b = ll + ceilf - 1;
	}
	else
	{
		int			half = (i + 1) / 2,
					odd = (i + 1) % 2;

		if (odd == 0)
		{
			if (half == n + 1)
			{
				a = n - ll - ceilf - 1;
				b = n + ll + ceilf - 1;
			}
			else
			{
				a = half - 1 - ll - roundf - 1;
				b = half + ll - 1 + ceilf - 1;
			}
		}
		else
		{
			a = half - 1 - ll - 1;
			b = half + ll + roundf - 1;
		}
	}
	*j1 = (a + 2 > 0) ? a + 2 : 0;
	*j2 = b < n ? b : n;
}

/* Pr(D_n <= x) by Pomeranz's recursion; NaN when out of memory. */
static double
KolmogorovPomeranz(int n, double x)
{
	double		t = n * x,
				f,
				g,
				ans,
				ep128 = ldexp(1.0, KS_E128),
				em128 = ldexp(1.0, -KS_E128);
	int			ll = (int) floor(t),
				ceilf,
				roundf,
				npwrs,
				expnt = 0,
				v0s = 0,
				v1s = 0,
				j1,
				j2;
	double	   *gp,
			   *tgp,
			   *omp,
			   *v0,
			   *v1,
			   *conv;

	f = t - ll;
	g = fmin(f, 1.0 - f);
	ceilf = f > 0 ? 1 : 0;
	roundf = f > 0.5 ? 1 : 0;
	npwrs = 2 * (ll + 1);
	gp = calloc((size_t) 7 * npwrs, sizeof(double));
	if (gp == NULL)
		return NAN;
	tgp = gp + npwrs;
	omp = tgp + npwrs;
	v0 = omp + npwrs;
	v1 = v0 + npwrs;
	conv = v1 + npwrs;			/* 2 * npwrs - 1 entries */
	gp[0] = tgp[0] = omp[0] = 1.0;
	for (int m = 1; m < npwrs; m++)
	{
		gp[m] = gp[m - 1] * (g / n) / m;
		tgp[m] = tgp[m - 1] * (2 * g / n) / m;
		omp[m] = omp[m - 1] * ((1 - 2 * g) / n) / m;
	}
	v1[0] = 1;
	PomeranzJ1J2(0, n, ll, ceilf, roundf, &j1, &j2);
	for (int i = 1; i < 2 * n + 2; i++)
	{
		int			k1 = j1,
					ln2,
					s;
		double	   *tmp = v0;
		const double *pw;

		v0 = v1;
		v1 = tmp;
		s = v0s;
		v0s = v1s;
		v1s = s;
		memset(v1, 0, sizeof(double) * npwrs);
		PomeranzJ1J2(i, n, ll, ceilf, roundf, &j1, &j2);
		pw = (i == 1 || i == 2 * n + 1) ? gp : ((i % 2) ? tgp : omp);
		ln2 = j2 - k1 + 1;
		if (ln2 > 0)
		{
			const double *src = v0 + (k1 - v0s);
			int			start = j1 - k1,
						len = j2 - j1 + 1;
			double		vmax = 0;

			/* full convolution of src[0..ln2) with pw[0..ln2), entries start..start+len */
			for (int c = start; c < start + len; c++)
			{
				double		sum = 0;

				for (int q = 0; q <= c; q++)
					if (q < ln2 && c - q < ln2)
						sum += src[q] * pw[c - q];
				conv[c - start] = sum;
			}
			memcpy(v1, conv, sizeof(double) * len);
			for (int q = 0; q < npwrs; q++)
				vmax = fmax(vmax, v1[q]);
			if (vmax > 0 && vmax < em128)
			{
				for (int q = 0; q < npwrs; q++)
					v1[q] *= ep128;
				expnt -= KS_E128;
			}
			v1s = v0s + j1 - k1;
		}
	}
	ans = v1[n - v1s];
	free(gp);
	for (int m = 1; m <= n; m++)
	{
		if (fabs(ans) > ep128)
		{
			ans *= em128;
			expnt += KS_E128;
		}
		ans *= m;
	}
	if (expnt != 0)
		ans = ldexp(ans, expnt);
	return Clip01(ans);
}

/* Pelz-Good approximation of Pr(D_n <= x). */
static double
KolmogorovPelzGood(int n, double x)
{
	const double pi2 = M_PI * M_PI,
				pi4 = pi2 * pi2,
				pi6 = pi4 * pi2;
	double		z,
				z2,
				z3,
				z4,
				z6,
				qlog,
				q,
				k0[4] = {0, 0, 0, 0},
				k1a,
				k1b,
				k2a,
				k2b,
				k2c,
				k3a,
				k3b,
				k3c,
				k3d,
				k2extra = 0,
				k3extra = 0,
				sum = 0;
	int			maxk;

	if (x <= 0.0)
		return 0.0;
	if (x >= 1.0)
		return 1.0;
	z = sqrt((double) n) * x;
	z2 = z * z;
	z3 = z2 * z;
	z4 = z2 * z2;
	z6 = z4 * z2;
	qlog = -pi2 / 8 / z2;
	if (qlog < -708)
		return 0.0;
	q = exp(qlog);
	k1a = -z2;
	k1b = pi2 / 4;
	k2a = 6 * z6 + 2 * z4;
	k2b = (2 * z4 - 5 * z2) * pi2 / 4;
	k2c = pi4 * (1 - 2 * z2) / 16;
	k3d = pi6 * (5 - 30 * z2) / 64;
	k3c = pi4 * (-60 * z2 + 212 * z4) / 16;
	k3b = pi2 * (135 * z4 - 96 * z6) / 4;
	k3a = -30 * z6 - 90 * pow(z, 8);
	maxk = (int) ceil(16 * z / M_PI);
	for (int k = maxk; k > 0; k--)
	{
		double		m = 2 * k - 1,
					m2 = m * m,
					m4 = m2 * m2,
					m6 = m4 * m2,
					qp = pow(q, 8 * k);
		double		c[4] = {1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
		k3a + k3b * m2 + k3c * m4 + k3d * m6};

		for (int i = 0; i < 4; i++)
			k0[i] = k0[i] * qp + c[i];
	}
	for (int i = 0; i < 4; i++)
		k0[i] *= q * KS_SQRT2PI;
	k0[0] /= z;
	k0[1] /= 6 * z4;
	k0[2] /= 72 * pow(z, 7);
	k0[3] /= 6480 * pow(z, 10);
	q = exp(-pi2 / 2 / z2);
	for (int k = maxk; k > 0; k--)
	{
		double		k2 = (double) k * k,
					qk = pow(q, k2),
					kpi = M_PI * k,
					s3z = sqrt(3.0) * z;

		k2extra += k2 * qk;
		k3extra += (s3z + kpi) * (s3z - kpi) * k2 * qk;
	}
	k0[2] += k2extra * pi2 * KS_SQRT2PI / (-36 * z3);
	k0[3] += k3extra * pi2 * KS_SQRT2PI / (216 * z6);
	for (int i = 0; i < 4; i++)
		sum += k0[i] / pow((double) n, i / 2.0);
	return sum;
}

/*
 * One-sided Smirnov Pr(D_n^+ >= x) by the Birnbaum-Tingey sum, its terms
 * in logarithms.
 */
double
DriftSmirnovSf(int n, double x)
{
	double		sum = 0,
				lx,
				lgn;

	if (!(x > 0))
		return 1.0;
	if (x >= 1)
		return 0.0;
	lx = log(x);
	lgn = lgamma(n + 1.0);
	for (int j = 0; j <= n; j++)
	{
		double		a = ((double) (n - j) - n * x) / n,
					b = x + (double) j / n,
					lt;

		if (a <= 0)
			break;
		lt = lx + lgn - lgamma(j + 1.0) - lgamma(n - j + 1.0) + (n - j) * log(a) + (j - 1) * log(b);
		sum += exp(lt);
	}
	return Clip01(sum);
}

/* Pr(D_n > x) for the two-sided one-sample statistic, as scipy.stats.kstwo.sf. */
double
DriftKolmogorovSf(int n, double x)
{
	double		t,
				nx2,
				cdf;

	if (n <= 0 || isnan(x))
		return NAN;
	if (x >= 1.0)
		return 0.0;
	if (x <= 0.0)
		return 1.0;
	t = n * x;
	if (t <= 1.0)
	{
		double		prob;

		if (t <= 0.5)
			return 1.0;
		if (n <= 140)
		{
			prob = 1.0;
			for (int i = 1; i <= n; i++)
				prob *= i * (1.0 / n) * (2 * t - 1);
		}
		else
			prob = exp(LogNFactorialDivNPowN(n) + n * log(2 * t - 1));
		return Clip01(1.0 - prob);
	}
	if (t >= n - 1)
		return Clip01(2 * pow(1.0 - x, n));
	if (x >= 0.5)
		return Clip01(2 * DriftSmirnovSf(n, x));
	nx2 = t * x;
	if (n <= 140)
	{
		if (nx2 <= 0.754693)
			return Clip01(1.0 - KolmogorovDurbin(n, x));
		if (nx2 <= 4)
			return Clip01(1.0 - KolmogorovPomeranz(n, x));
		return Clip01(2 * DriftSmirnovSf(n, x));
	}
	if (nx2 >= 370.0)
		return 0.0;
	if (nx2 >= 2.2)
		return Clip01(2 * DriftSmirnovSf(n, x));
	if (nx2 >= 18.0)
		cdf = 1.0;
	else if (n <= 100000 && n * pow(x, 1.5) <= 1.4)
		cdf = KolmogorovDurbin(n, x);
	else
		cdf = KolmogorovPelzGood(n, x);
	return Clip01(1.0 - cdf);
}

/* ---- chi-square ---- */

/* Upper regularised incomplete gamma Q(a, x): series below a + 1, else Lentz's fraction. */
static double
GammaQ(double a, double x)
{
	double		lpre;

	if (x <= 0)
		return 1.0;
	if (isinf(x))
		return 0.0;
	lpre = -x + a * log(x) - lgamma(a);
	if (x < a + 1)
	{
		double		sum = 1.0 / a,
					term = sum,
					ap = a;

		for (int i = 0; i < 100000; i++)
		{
			ap += 1;
			term *= x / ap;
			sum += term;
			if (fabs(term) < fabs(sum) * DBL_EPSILON)
				break;
		}
		return Clip01(1.0 - sum * exp(lpre));
	}
	else
	{
		double		tiny = DBL_MIN / DBL_EPSILON,
					b = x + 1 - a,
					c = 1 / tiny,
					d = 1 / b,
					h = d;

		for (int i = 1; i < 100000; i++)
		{
			double		an = -i * (i - a),
						del;

			b += 2;
			d = an * d + b;
			if (fabs(d) < tiny)
				d = tiny;
			c = b + an / c;
			if (fabs(c) < tiny)
				c = tiny;
			d = 1 / d;
			del = d * c;
			h *= del;
			if (fabs(del - 1) < DBL_EPSILON)
				break;
		}
		return Clip01(exp(lpre) * h);
	}
}

double
DriftChiSquareSf(double x, double df)
{
	if (!(df > 0) || isnan(x))
		return NAN;
	return GammaQ(df / 2, x / 2);
}

/* scipy.stats.chisquare(obs, expected): sum (o - e)^2 / e, k - 1 degrees of freedom. */
double
DriftChiSquare(const double *obs, const double *expected, int k, double *p_value)
{
	double		stat = 0;

	for (int i = 0; i < k; i++)
	{
		double		dlt = obs[i] - expected[i];

		stat += dlt * dlt / expected[i];
	}
	*p_value = DriftChiSquareSf(stat, k - 1);
	return stat;
}

/* ---- distances ---- */

/* scipy.stats.wasserstein_distance of sorted samples: integral of |F1 - F2|. */
double
DriftWasserstein(const double *a, int n1, const double *b, int n2)
{
	int			i = 0,
				j = 0;
	long double sum = 0;

	while (i < n1 || j < n2)
	{
		double		v = (j >= n2 || (i < n1 && a[i] <= b[j])) ? a[i] : b[j],
					next;

		while (i < n1 && a[i] <= v)
			i++;
		while (j < n2 && b[j] <= v)
			j++;
		if (i >= n1 && j >= n2)
			break;
		next = (j >= n2 || (i < n1 && a[i] <= b[j])) ? a[i] : b[j];
		sum += fabs((double) i / n1 - (double) j / n2) * (next - v);
	}
	return (double) sum;
}

/* numpy.std: population standard deviation. */
double
DriftStd(const double *x, int n)
{
	long double s = 0,
				ss = 0;
	double		mean;

	for (int i = 0; i < n; i++)
		s += x[i];
	mean = (double) (s / n);
	for (int i = 0; i < n; i++)
		ss += (long double) (x[i] - mean) * (x[i] - mean);
	return sqrt((double) (ss / n));
}

static double
RelEntr(double x, double y)
{
	if (x > 0 && y > 0)
		return x * log(x / y);
	if (x == 0 && y >= 0)
		return 0;
	return INFINITY;
}

/* scipy.spatial.distance.jensenshannon(p, q), natural log. */
double
DriftJensenShannon(const double *p, const double *q, int k)
{
	long double sp = 0,
				sq = 0,
				left = 0,
				right = 0;

	for (int i = 0; i < k; i++)
	{
		sp += p[i];
		sq += q[i];
	}
	for (int i = 0; i < k; i++)
	{
		double		pi = p[i] / (double) sp,
					qi = q[i] / (double) sq,
					m = (pi + qi) / 2.0;

		left += RelEntr(pi, m);
		right += RelEntr(qi, m);
	}
	return sqrt((double) (left + right) / 2.0);
}

/* Evidently: an empty share becomes 0.0001, or the smallest share / 1e6 when that is smaller. */
static void
FillZeroShares(double *p, int k)
{
	double		minnz = INFINITY,
				fill;

	for (int i = 0; i < k; i++)
		if (p[i] != 0 && p[i] < minnz)
			minnz = p[i];
	fill = minnz <= DRIFT_PSI_ZERO_FILL ? minnz / DRIFT_PSI_ZERO_SCALE : DRIFT_PSI_ZERO_FILL;
	for (int i = 0; i < k; i++)
		if (p[i] == 0)
			p[i] = fill;
}

double
DriftPsi(double *p, double *q, int k)
{
	long double sum = 0;

	FillZeroShares(p, k);
	FillZeroShares(q, k);
	for (int i = 0; i < k; i++)
		sum += (p[i] - q[i]) * log(p[i] / q[i]);
	return (double) sum;
}

/* ---- binning ---- */

static int
LowerBound(const double *x, int n, double v)
{
	int			lo = 0,
				hi = n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (x[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
UpperBound(const double *x, int n, double v)
{
	int			lo = 0,
				hi = n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (x[mid] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* numpy.histogram(x, edges) / n: [e_i, e_i+1) bins, the last one closed. */
static void
HistogramShares(const double *x, int n, const double *edges, int nbins, double *share)
{
	int			prev = LowerBound(x, n, edges[0]);

	for (int i = 0; i < nbins; i++)
	{
		int			next = (i + 1 < nbins) ? LowerBound(x, n, edges[i + 1]) : UpperBound(x, n, edges[nbins]);

		share[i] = (double) (next - prev) / n;
		prev = next;
	}
}

int
DriftBinShares(const double *ref, int nref, const double *cur, int ncur,
			   double *pref, double *pcur)
{
	int			k = 0;

	if (DriftDistinct(ref, nref, NULL, 0) > DRIFT_BIN_CARDINALITY)
	{
		/* numpy.histogram_bin_edges(concat, "sturges") */
		double		first = fmin(ref[0], cur[0]),
					last = fmax(ref[nref - 1], cur[ncur - 1]),
					width = (last - first) / (log2((double) nref + ncur) + 1.0),
					step;
		double	   *edges;

		k = width != 0 ? (int) ceil((last - first) / width) : 1;
		edges = malloc(sizeof(double) * (k + 1));
		if (edges == NULL)
			return -1;
		step = (last - first) / k;
		for (int i = 0; i <= k; i++)
			edges[i] = (double) i * step + first;
		edges[k] = last;
		HistogramShares(ref, nref, edges, k, pref);
		HistogramShares(cur, ncur, edges, k, pcur);
		free(edges);
		return k;
	}
	/* one bin per distinct value of either sample */
	{
		int			i = 0,
					j = 0;

		while (i < nref || j < ncur)
		{
			double		v = (j >= ncur || (i < nref && ref[i] <= cur[j])) ? ref[i] : cur[j];
			int			i0 = i,
						j0 = j;

			while (i < nref && ref[i] <= v)
				i++;
			while (j < ncur && cur[j] <= v)
				j++;
			pref[k] = (double) (i - i0) / nref;
			pcur[k] = (double) (j - j0) / ncur;
			k++;
		}
	}
	return k;
}

/* chi-square of current counts against reference counts scaled to the current size. */
static bool
ChiSquareTest(const double *ref, int nref, const double *cur, int ncur, double *stat, double *p)
{
	int			k = DriftDistinct(ref, nref, cur, ncur),
				i = 0,
				j = 0,
				c = 0;
	double	   *obs = malloc(sizeof(double) * 2 * (k + 1)),
			   *exp_ = obs + k + 1,
				knorm = (double) ncur / nref;

	if (obs == NULL)
		return false;
	while (i < nref || j < ncur)
	{
		double		v = (j >= ncur || (i < nref && ref[i] <= cur[j])) ? ref[i] : cur[j];
		int			i0 = i,
					j0 = j;

		while (i < nref && ref[i] <= v)
			i++;
		while (j < ncur && cur[j] <= v)
			j++;
		exp_[c] = (i - i0) * knorm;
		obs[c] = j - j0;
		c++;
	}
	*stat = DriftChiSquare(obs, exp_, k, p);
	free(obs);
	return true;
}

/* Runs one method on sorted finite samples (both non-empty). */
bool
DriftTest(DriftMethod m, double threshold, const double *ref, int nref,
		  const double *cur, int ncur, DriftResult *r)
{
	double		stat = NAN,
				p = NAN;

	r->method = m;
	r->threshold = threshold;
	switch (m)
	{
		case DRIFT_KS:
			stat = DriftKs2Samp(ref, nref, cur, ncur, &p);
			break;
		case DRIFT_CHISQUARE:
			if (!ChiSquareTest(ref, nref, cur, ncur, &stat, &p))
				return false;
			break;
		case DRIFT_WASSERSTEIN:
			stat = DriftWasserstein(ref, nref, cur, ncur) /
				fmax(DriftStd(ref, nref), DRIFT_WASSERSTEIN_MIN_STD);
			break;
		case DRIFT_JENSENSHANNON:
		case DRIFT_PSI:
			{
				double	   *pr = malloc(sizeof(double) * 2 * ((size_t) nref + ncur + 2)),
						   *pc;
				int			k;

				if (pr == NULL)
					return false;
				pc = pr + nref + ncur + 2;
				k = DriftBinShares(ref, nref, cur, ncur, pr, pc);
				if (k < 0)
				{
					free(pr);
					return false;
				}
				stat = (m == DRIFT_PSI) ? DriftPsi(pr, pc, k) : DriftJensenShannon(pr, pc, k);
				free(pr);
			}
			break;
		default:
			return false;
	}
	r->statistic = stat;
	r->p_value = p;
	if (DriftMethodIsPValue(m))
		r->drifted = isnan(p) ? -1 : (p < threshold);
	else
		r->drifted = isnan(stat) ? -1 : (stat >= threshold);
	return true;
}
