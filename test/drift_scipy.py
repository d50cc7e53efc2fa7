#!/usr/bin/python3
"""Compares the drift kernels (src/drift.c, built as a shared library and
loaded with ctypes) with SciPy on the same samples: ks_2samp (exact and
asymptotic), kstwo.sf, smirnov, chisquare / chi2.sf, wasserstein_distance,
jensenshannon, and PSI and the binning against Evidently's numpy formulas.
Prints TAP.  Usage: drift_scipy.py LIBDRIFT.so"""
import ctypes
import sys
import warnings

import numpy as np
from scipy import special, stats
from scipy.spatial import distance

TOL = 1e-9
lib = ctypes.CDLL(sys.argv[1])
D = ctypes.c_double
P = ctypes.POINTER(ctypes.c_double)
I = ctypes.c_int
lib.DriftKs2Samp.restype = D
lib.DriftKs2Samp.argtypes = [P, I, P, I, P]
lib.DriftKolmogorovSf.restype = D
lib.DriftKolmogorovSf.argtypes = [I, D]
lib.DriftSmirnovSf.restype = D
lib.DriftSmirnovSf.argtypes = [I, D]
lib.DriftChiSquareSf.restype = D
lib.DriftChiSquareSf.argtypes = [D, D]
lib.DriftChiSquare.restype = D
lib.DriftChiSquare.argtypes = [P, P, I, P]
lib.DriftWasserstein.restype = D
lib.DriftWasserstein.argtypes = [P, I, P, I]
lib.DriftJensenShannon.restype = D
lib.DriftJensenShannon.argtypes = [P, P, I]
lib.DriftPsi.restype = D
lib.DriftPsi.argtypes = [P, P, I]
lib.DriftStd.restype = D
lib.DriftStd.argtypes = [P, I]
lib.DriftBinShares.restype = I
lib.DriftBinShares.argtypes = [P, I, P, I, P, P]
lib.DriftChooseMethod.restype = I
lib.DriftChooseMethod.argtypes = [P, I, P, I, I, I]

n_tests = 0
failures = 0


def ok(cond, name):
    global n_tests, failures
    n_tests += 1
    if not cond:
        failures += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n_tests, name))


def close(a, b):
    if np.isnan(a) and np.isnan(b):
        return True
    if np.isinf(a) or np.isinf(b):
        return a == b
    return abs(a - b) <= TOL


def arr(x):
    x = np.ascontiguousarray(x, dtype=np.float64)
    return x, x.ctypes.data_as(P)


def c_ks(a, b):
    a, pa = arr(np.sort(a))
    b, pb = arr(np.sort(b))
    p = D()
    d = lib.DriftKs2Samp(pa, len(a), pb, len(b), ctypes.byref(p))
    return d, p.value


def evidently_bins(ref, cur, fill):
    """Evidently's get_binned_data for a numerical feature."""
    if len(np.unique(ref)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        rp = np.histogram(ref, bins)[0] / len(ref)
        cp = np.histogram(cur, bins)[0] / len(cur)
    else:
        keys = sorted(set(ref) | set(cur))
        rp = np.array([np.sum(ref == k) / len(ref) for k in keys])
        cp = np.array([np.sum(cur == k) / len(cur) for k in keys])
    if fill:
        for v in (rp, cp):
            m = min(v[v != 0])
            np.place(v, v == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return rp, cp


def c_bins(ref, cur):
    ref, pr = arr(np.sort(ref))
    cur, pc = arr(np.sort(cur))
    outr = np.zeros(len(ref) + len(cur) + 2)
    outc = np.zeros(len(ref) + len(cur) + 2)
    k = lib.DriftBinShares(pr, len(ref), pc, len(cur), outr.ctypes.data_as(P), outc.ctypes.data_as(P))
    return outr[:k].copy(), outc[:k].copy()


rng = np.random.default_rng(20261129)


def samples():
    """(name, reference, current): small and large, ties, shifts, low cardinality."""
    yield "tiny", rng.normal(size=5), rng.normal(size=7)
    yield "equal n=50", rng.normal(size=50), rng.normal(0.3, size=50)
    yield "equal n=300 ties", np.round(rng.normal(size=300), 1), np.round(rng.normal(size=300), 1)
    yield "1000 x 168", rng.normal(size=1000), rng.normal(size=168)
    yield "1000 x 168 shifted", rng.normal(size=1000), rng.normal(0.5, 1.3, size=168)
    yield "800 x 240 ties", rng.integers(0, 40, 800).astype(float), rng.integers(0, 40, 240).astype(float)
    yield "3 values", rng.integers(0, 3, 900).astype(float), rng.integers(0, 3, 150).astype(float)
    yield "binary", rng.integers(0, 2, 5000).astype(float), rng.integers(0, 2, 400).astype(float)
    yield "10000 x 10000", rng.normal(size=10000), rng.normal(0.02, size=10000)
    yield "20000 x 100 asymp n<=140", rng.normal(size=20000), rng.normal(0.2, size=100)
    yield "20000 x 150 asymp", rng.normal(size=20000), rng.normal(0.1, size=150)
    yield "100000 x 10000 asymp", rng.standard_t(5, size=100000), rng.standard_t(5, size=10000)
    yield "50000 x 20000 shifted", rng.exponential(size=50000), rng.exponential(1.05, size=20000)
    yield "30 distinct", rng.integers(0, 30, 3000).astype(float), rng.integers(0, 30, 700).astype(float)
    yield "new category", rng.integers(0, 4, 600).astype(float), rng.integers(0, 5, 200).astype(float)
    yield "constant reference", np.full(2000, 1.5), rng.normal(1.5, 0.01, size=300)


with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for name, ref, cur in samples():
        r = stats.ks_2samp(ref, cur)
        d, p = c_ks(ref, cur)
        ok(close(d, r.statistic) and close(p, r.pvalue),
           "ks_2samp %s: C (%.17g, %.17g) SciPy (%.17g, %.17g)" % (name, d, p, r.statistic, r.pvalue))

        w = stats.wasserstein_distance(ref, cur)
        a, pa = arr(np.sort(ref))
        b, pb = arr(np.sort(cur))
        cw = lib.DriftWasserstein(pa, len(a), pb, len(b))
        ok(abs(cw - w) <= TOL * max(1, abs(w)), "wasserstein_distance %s: %.17g vs %.17g" % (name, cw, w))
        cs = lib.DriftStd(pa, len(a))
        ok(close(cs, np.std(ref)), "population std %s" % name)

        keys = sorted(set(ref) | set(cur))
        if len(keys) <= 50:
            fo = np.array([np.sum(cur == k) for k in keys], dtype=float)
            fe = np.array([np.sum(ref == k) for k in keys], dtype=float) * (len(cur) / len(ref))
            chi = stats.chisquare(fo, fe)
            po = D()
            fo_, pfo = arr(fo)
            fe_, pfe = arr(fe)
            st = lib.DriftChiSquare(pfo, pfe, len(keys), ctypes.byref(po))
            ok(close(st, chi.statistic) and close(po.value, chi.pvalue),
               "chisquare %s: (%.17g, %.17g) vs (%.17g, %.17g)" % (name, st, po.value, chi.statistic, chi.pvalue))

        rp, cp = evidently_bins(ref, cur, False)
        crp, ccp = c_bins(ref, cur)
        ok(len(rp) == len(crp) and np.max(np.abs(rp - crp)) <= TOL and np.max(np.abs(cp - ccp)) <= TOL,
           "Evidently binning %s: %d bins vs %d" % (name, len(crp), len(rp)))
        if len(rp) == len(crp):
            js = distance.jensenshannon(rp, cp)
            cjs = lib.DriftJensenShannon(arr(crp)[1], arr(ccp)[1], len(crp))
            ok(close(cjs, js), "jensenshannon %s: %.17g vs %.17g" % (name, cjs, js))
            frp, fcp = evidently_bins(ref, cur, True)
            psi = np.sum((frp - fcp) * np.log(frp / fcp))
            crp2, ccp2 = arr(crp.copy()), arr(ccp.copy())
            cpsi = lib.DriftPsi(crp2[1], ccp2[1], len(crp))
            ok(close(cpsi, psi), "PSI %s: %.17g vs %.17g" % (name, cpsi, psi))

        nvals = len(np.unique(np.concatenate([ref, cur])))
        want = (1 if nvals > 5 else 2) if len(ref) <= 1000 else (3 if nvals > 5 else 4)
        got = lib.DriftChooseMethod(arr(np.sort(ref))[1], len(ref), arr(np.sort(cur))[1], len(cur), 1000, 5)
        ok(got == want, "default method %s: %d (Evidently: %d)" % (name, got, want))

    # the Kolmogorov distribution over every branch of SciPy's kolmogn
    worst = 0.0
    bad = []
    for n in list(range(1, 160, 3)) + [500, 1000, 5000, 9091, 50000, 99999, 200000]:
        for x in np.concatenate([np.linspace(0.5 / n, 1, 37), np.geomspace(0.3 / np.sqrt(n), 3 / np.sqrt(n), 23)]):
            x = float(min(x, 1.0))
            want = stats.kstwo.sf(x, n)
            got = lib.DriftKolmogorovSf(n, x)
            if not close(got, want):
                bad.append((n, x, got, want))
            worst = max(worst, abs(got - want))
    ok(not bad, "kstwo.sf on %s points, worst difference %.3g %s" % ("n x x grid", worst, bad[:3]))

    bad = []
    for n in [1, 2, 5, 10, 50, 140, 141, 1000, 9091]:
        for x in np.linspace(0.001, 0.999, 41):
            want = special.smirnov(n, x)
            got = lib.DriftSmirnovSf(n, x)
            if not close(got, want):
                bad.append((n, x, got, want))
    ok(not bad, "smirnov one-sided %s" % bad[:3])

    bad = []
    for df in [1, 2, 3, 4, 7, 10, 29, 100, 1000, 5000]:
        for x in np.concatenate([[0.0, 1e-6], np.geomspace(0.01, 20 * df, 40)]):
            want = stats.chi2.sf(x, df)
            got = lib.DriftChiSquareSf(x, df)
            if not close(got, want):
                bad.append((df, x, got, want))
    ok(not bad, "chi2.sf %s" % bad[:3])

    # many small random KS cases, ties included: the exact branch
    bad = []
    for i in range(300):
        n1, n2 = rng.integers(1, 120, 2)
        a = np.round(rng.normal(size=n1), int(rng.integers(0, 3)))
        b = np.round(rng.normal(rng.uniform(-1, 1), size=n2), int(rng.integers(0, 3)))
        r = stats.ks_2samp(a, b)
        d, p = c_ks(a, b)
        if not (close(d, r.statistic) and close(p, r.pvalue)):
            bad.append((n1, n2, d, p, r.statistic, r.pvalue))
    ok(not bad, "ks_2samp on 300 random small samples with ties %s" % bad[:2])

print("1..%d" % n_tests)
sys.exit(1 if failures else 0)
