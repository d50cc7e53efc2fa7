/*
 * test_drift.c - the drift kernels (src/drift.c) alone, on hand-worked cases
 * (each expected value is worked out in the comment) and properties, under
 * the sanitizers.  Prints TAP; `make -C test/unit check` runs it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "drift.h"

static int	tests = 0,
			failed = 0;

static void
Ok(int cond, const char *name)
{
	tests++;
	if (!cond)
		failed++;
	printf("%s %d - %s\n", cond ? "ok" : "not ok", tests, name);
}

static int
Near(double a, double b)
{
	return fabs(a - b) <= 1e-12 * fmax(1, fabs(b));
}

static int
CompareDouble(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

int
main(void)
{
	double		p;

	/* {1,2,3} vs {4,5,6}: D = 1; Pr(D = 1) = 2 / C(6,3) = 0.1 (both orders) */
	{
		double		a[] = {1, 2, 3},
					b[] = {4, 5, 6};

		Ok(Near(DriftKs2Samp(a, 3, b, 3, &p), 1) && Near(p, 0.1), "KS equal sizes: D 1, exact p 2/20");
	}
	/* {1,2} vs {3,4,5}: D = 1; one ordering of C(5,2) = 10 on each side: p = 0.2 */
	{
		double		a[] = {1, 2},
					b[] = {3, 4, 5};

		Ok(Near(DriftKs2Samp(a, 2, b, 3, &p), 1) && Near(p, 0.2), "KS unequal sizes: exact p 2/10");
	}
	/* identical samples: D = 0, p = 1 */
	{
		double		a[] = {1, 1, 2, 3};

		Ok(Near(DriftKs2Samp(a, 4, a, 4, &p), 0) && p == 1, "KS identical samples: D 0, p 1");
	}
	/* n = 1: D = max(U, 1 - U), Pr(D > x) = 2 (1 - x) for x >= 1/2 */
	Ok(Near(DriftKolmogorovSf(1, 0.7), 0.6), "Kolmogorov n=1: sf(0.7) = 0.6");
	/* x <= 1/(2n): D_n >= 1/(2n) always */
	Ok(DriftKolmogorovSf(10, 0.04) == 1, "Kolmogorov below 1/(2n): sf 1");
	/* large n tends to the Kolmogorov limit: sf(x/sqrt n) ~ 2 sum (-1)^(k-1) e^(-2k^2 x^2) */
	{
		double		lim = 0;

		for (int k = 1; k < 100; k++)
			lim += 2 * ((k % 2) ? 1 : -1) * exp(-2.0 * k * k * 1.0);
		Ok(fabs(DriftKolmogorovSf(1000000, 1.0 / 1000.0) - lim) < 2e-3, "Kolmogorov n=1e6 near its limit at z=1 (0.27)");
	}
	/* chi-square sf: 2 dof is exp(-x/2); 1 dof is erfc(sqrt(x/2)) */
	Ok(Near(DriftChiSquareSf(3, 2), exp(-1.5)), "chi2 sf 2 dof = exp(-x/2)");
	Ok(fabs(DriftChiSquareSf(2.5, 1) - erfc(sqrt(1.25))) < 1e-13, "chi2 sf 1 dof = erfc(sqrt(x/2))");
	/* obs {10, 20}, exp {15, 15}: (25 + 25) / 15 = 10/3 on 1 dof */
	{
		double		o[] = {10, 20},
					e[] = {15, 15};

		Ok(Near(DriftChiSquare(o, e, 2, &p), 10.0 / 3) && fabs(p - erfc(sqrt(10.0 / 6))) < 1e-13,
		   "chisquare {10,20} vs {15,15}: 10/3, p erfc(sqrt(5/3))");
	}
	/* a shift by 5 moves every quantile by 5 */
	{
		double		a[] = {0, 1, 3},
					b[] = {5, 6, 8};

		Ok(Near(DriftWasserstein(a, 3, b, 3), 5), "Wasserstein of a shift by 5 is 5");
	}
	/* {0, 2}: mean 1, population variance 1 */
	{
		double		a[] = {0, 2};

		Ok(Near(DriftStd(a, 2), 1), "population std of {0, 2} is 1");
	}
	/* disjoint distributions: JS = sqrt(ln 2) */
	{
		double		pp[] = {1, 0},
					q[] = {0, 1};

		Ok(Near(DriftJensenShannon(pp, q, 2), sqrt(log(2.0))), "Jensen-Shannon of disjoint shares is sqrt(ln 2)");
	}
	/* {.5,.5} vs {.25,.75}: .25 ln 2 - .25 ln(2/3) = .25 ln 3 */
	{
		double		pp[] = {0.5, 0.5},
					q[] = {0.25, 0.75};

		Ok(Near(DriftPsi(pp, q, 2), 0.25 * log(3.0)), "PSI {.5,.5} vs {.25,.75} is ln(3)/4");
	}
	/* an empty bin takes 0.0001: (0.5 - 1e-4) ln(0.5/1e-4) + (1e-4 - 0.5) ln(1e-4/0.5) ... */
	{
		double		pp[] = {0.5, 0.5},
					q[] = {0, 1};
		double		want = (0.5 - 1e-4) * log(0.5 / 1e-4) + (0.5 - 1) * log(0.5 / 1.0);

		Ok(Near(DriftPsi(pp, q, 2), want), "PSI fills an empty share with 0.0001");
	}
	/* categorical binning: ref {1,1,2}, cur {2,3}: keys 1,2,3 */
	{
		double		r[] = {1, 1, 2},
					c[] = {2, 3},
					pr[7],
					pc[7];
		int			k = DriftBinShares(r, 3, c, 2, pr, pc);

		Ok(k == 3 && Near(pr[0], 2.0 / 3) && Near(pr[1], 1.0 / 3) && pr[2] == 0 && pc[0] == 0 &&
		   Near(pc[1], 0.5) && Near(pc[2], 0.5), "one bin per distinct value of either sample");
	}
	/* Sturges: 30 reference values 0..29 and current {0, 29}: 32 values, 6 bins of width 29/6 */
	{
		double		r[30],
					c[] = {0, 29},
					pr[40],
					pc[40];
		int			k;

		for (int i = 0; i < 30; i++)
			r[i] = i;
		k = DriftBinShares(r, 30, c, 2, pr, pc);
		/* bins [0,4.83) [4.83,9.67) ... hold 5,5,5,5,5,5 of the reference; the last bin is closed */
		Ok(k == 6 && Near(pr[0], 5.0 / 30) && Near(pr[5], 5.0 / 30) && Near(pc[0], 0.5) && Near(pc[5], 0.5),
		   "Sturges bins over both samples: ceil(log2(32) + 1) = 6 bins");
	}
	/* Evidently's choice: at most 1000 reference values -> KS (> 5 distinct) or chi-square */
	{
		double	   *r = malloc(sizeof(double) * 1001),
					c[] = {0, 1};

		for (int i = 0; i < 1001; i++)
			r[i] = i % 6;
		DriftSort(r, 1000);
		Ok(DriftChooseMethod(r, 1000, c, 2, DRIFT_SMALL_REFERENCE, DRIFT_LOW_CARDINALITY) == DRIFT_KS,
		   "1000 reference values with 6 distinct: ks");
		for (int i = 0; i < 1001; i++)
			r[i] = i % 5;
		DriftSort(r, 1001);
		Ok(DriftChooseMethod(r, 1000, c, 2, DRIFT_SMALL_REFERENCE, DRIFT_LOW_CARDINALITY) == DRIFT_CHISQUARE,
		   "1000 reference values with 5 distinct: chisquare");
		Ok(DriftChooseMethod(r, 1001, c, 2, DRIFT_SMALL_REFERENCE, DRIFT_LOW_CARDINALITY) == DRIFT_JENSENSHANNON,
		   "1001 reference values with 5 distinct: jensenshannon");
		for (int i = 0; i < 1001; i++)
			r[i] = i;
		Ok(DriftChooseMethod(r, 1001, c, 2, DRIFT_SMALL_REFERENCE, DRIFT_LOW_CARDINALITY) == DRIFT_WASSERSTEIN,
		   "1001 reference values, all distinct: wasserstein");
		free(r);
	}
	/* the sort agrees with qsort on random data with many ties */
	{
		int			n = 100000,
					same = 1;
		double	   *a = malloc(sizeof(double) * n),
				   *b = malloc(sizeof(double) * n);

		srand(7);
		for (int i = 0; i < n; i++)
			a[i] = b[i] = (double) (rand() % 1000) / 7;
		DriftSort(a, n);
		qsort(b, n, sizeof(double), CompareDouble);
		for (int i = 0; i < n; i++)
			same &= a[i] == b[i];
		Ok(same, "DriftSort = qsort on 100000 values with ties");
		free(a);
		free(b);
	}
	/* thresholds: p-values in (0,1), JS at most sqrt(ln 2), distances positive */
	Ok(DriftThresholdValid(DRIFT_KS, 0.05) && !DriftThresholdValid(DRIFT_KS, 1) &&
	   !DriftThresholdValid(DRIFT_JENSENSHANNON, 0.9) && DriftThresholdValid(DRIFT_PSI, 0.25) &&
	   !DriftThresholdValid(DRIFT_WASSERSTEIN, 0) && !DriftThresholdValid(DRIFT_PSI, NAN),
	   "threshold ranges");
	printf("1..%d\n", tests);
	return failed ? 1 : 0;
}
