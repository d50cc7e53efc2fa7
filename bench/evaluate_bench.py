#!/usr/bin/python3
"""ap_evaluate against the same evaluation in Python, same rows, same machine.

Called by bench/evaluate.sh with a server running and the bars loaded.  The
Python side is what a user would write: read the window's feature rows with
psycopg2, predict both (linear) models from their registry coefficients with
numpy, and bootstrap the metric difference with circular blocks of
ceil(n^(1/3)) rows and scikit-learn's metric on each resample.  Prints the
median and spread (min - max) of RUNS runs of each and the ratio.
"""
import math
import os
import statistics
import time

import numpy as np
import psycopg2
from sklearn.metrics import log_loss, roc_auc_score

RUNS = int(os.environ.get("RUNS", "5"))
RESAMPLES = 1000

conn = psycopg2.connect(dbname=os.environ.get("PGDATABASE", "bench"))
conn.autocommit = True
cur = conn.cursor()


def one(sql, args=None):
    cur.execute(sql, args)
    return cur.fetchone()


champion = one("SELECT ap_train('btc', 'fast', 'ridge', '{\"holdout\": 0.5}')")[0]
challenger = one("SELECT ap_train('btc', 'fast', 'logistic', '{\"holdout\": 0.5}')")[0]
cur.execute("INSERT INTO alphapulse.promotion_policies (symbol, metric, mode, resamples) VALUES ('btc', 'auc', 'manual', %s)",
            (RESAMPLES,))


def predict(coef, X):
    z = coef["intercept"] + ((X - np.array(coef["mean"])) / np.array(coef["scale"])) @ np.array(coef["coef"])
    if coef["link"] == "logistic":
        return 1 / (1 + np.exp(-z))
    return np.clip(z, 0, 1) if coef["link"] == "clip01" else z


def python_evaluate(metric, wfrom):
    """The whole evaluation in Python: read, predict, point estimate, bootstrap, interval."""
    cur.execute("SELECT coefficients FROM alphapulse.models WHERE id = %s", (champion,))
    ca = cur.fetchone()[0]
    cur.execute("SELECT coefficients FROM alphapulse.models WHERE id = %s", (challenger,))
    cb = cur.fetchone()[0]
    cur.execute("SELECT x, target FROM alphapulse.features WHERE symbol = 'btc' AND feature_set = 'default' "
                "AND ts >= %s AND target IS NOT NULL AND fwd_return IS NOT NULL "
                "AND array_position(x, NULL) IS NULL ORDER BY ts", (wfrom,))
    rows = cur.fetchall()
    X = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    pa, pb = predict(ca, X), predict(cb, X)
    f = roc_auc_score if metric == "auc" else (lambda yy, pp: log_loss(yy, np.clip(pp, 1e-15, 1 - 1e-15)))
    n = len(y)
    block = math.ceil(round(n ** (1 / 3), 9))
    rng = np.random.default_rng(42)
    diffs = np.empty(RESAMPLES)
    for k in range(RESAMPLES):
        starts = rng.integers(0, n, size=-(-n // block))
        idx = ((starts[:, None] + np.arange(block)[None, :]) % n).ravel()[:n]
        diffs[k] = f(y[idx], pb[idx]) - f(y[idx], pa[idx])
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return n, f(y, pb) - f(y, pa), lo, hi


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


print("ap_evaluate: champion (ridge) vs challenger (logistic), %d resamples, median of %d runs" % (RESAMPLES, RUNS))
for metric in ("auc", "logloss"):
    cur.execute("UPDATE alphapulse.promotion_policies SET metric = %s WHERE symbol = 'btc'", (metric,))
    ap, py = [], []
    for _ in range(RUNS):
        t, row = timed(lambda: one("SELECT rows, difference, ci_low, ci_high, window_from FROM ap_evaluate('btc', %s)",
                                    (challenger,)))
        ap.append(t)
        t, prow = timed(lambda: python_evaluate(metric, row[4]))
        py.append(t)
    assert row[0] == prow[0] and abs(row[1] - prow[1]) < 1e-9, (row, prow)
    print("  %-8s %6d rows  ap_evaluate %7.3f s (%.3f-%.3f)  python %7.3f s (%.3f-%.3f)  ratio %5.1fx  %s"
          % (metric, row[0], statistics.median(ap), min(ap), max(ap), statistics.median(py), min(py), max(py),
             statistics.median(py) / statistics.median(ap),
             "under 1 s" if statistics.median(ap) < 1 else "OVER the 1 s target"))
