#!/usr/bin/python3
"""ap_drift against what a Python stack does for the same report: read the
champion's training rows and the recent rows with psycopg2 (features and the
logged scores), then Evidently's default tests per column with numpy/SciPy
(Wasserstein / reference std for numeric columns, Jensen-Shannon over
Evidently's bins for columns with at most 5 distinct values).  Both end to
end from a client, RUNS runs each, medians and spread (min..max); checks that
both reach the same statistics.  Called by bench/drift.sh."""
import os
import statistics
import time

import numpy as np
import psycopg2
from scipy import stats
from scipy.spatial import distance

RUNS = int(os.environ.get("RUNS", "5"))
RECENT = int(os.environ.get("RECENT", "10000"))
conn = psycopg2.connect(dbname=os.environ.get("PGDATABASE", "bench"))
conn.autocommit = True
cur = conn.cursor()
cur.execute("SET alphapulse.progress_notices = off")
cur.execute("SELECT id, train_from, train_to, feature_names FROM alphapulse.models WHERE symbol = 'btc' AND stage = 'champion'")
model_id, train_from, train_to, names = cur.fetchone()
cur.execute("SELECT ts FROM alphapulse.features WHERE symbol = 'btc' AND feature_set = 'default' ORDER BY ts DESC OFFSET %s LIMIT 1",
            (RECENT - 1,))
since = cur.fetchone()[0]


def evidently_column(ref, cur_):
    ref = ref[~np.isnan(ref)]
    cur_ = cur_[~np.isnan(cur_)]
    if len(np.unique(np.concatenate([ref, cur_]))) > 5:
        return stats.wasserstein_distance(ref, cur_) / max(np.std(ref), 0.001)
    if len(np.unique(ref)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([ref, cur_]), bins="sturges")
        rp, cp = np.histogram(ref, bins)[0] / len(ref), np.histogram(cur_, bins)[0] / len(cur_)
    else:
        keys = np.union1d(ref, cur_)
        rp = np.array([np.sum(ref == k) for k in keys]) / len(ref)
        cp = np.array([np.sum(cur_ == k) for k in keys]) / len(cur_)
    return distance.jensenshannon(rp, cp)


def python_drift():
    q = ("SELECT f.x, s.score FROM alphapulse.features f LEFT JOIN alphapulse.signals s ON s.symbol = f.symbol "
         "AND s.ts = f.ts AND s.model_id = %s WHERE f.symbol = 'btc' AND f.feature_set = 'default' AND {} ORDER BY f.ts")
    cur.execute(q.format("f.ts >= %s AND f.ts <= %s"), (model_id, train_from, train_to))
    R = cur.fetchall()
    cur.execute(q.format("f.ts >= %s"), (model_id, since))
    C = cur.fetchall()
    XR = np.array([r[0] + [r[1]] for r in R], dtype=float)  # None -> nan
    XC = np.array([r[0] + [r[1]] for r in C], dtype=float)
    out = [evidently_column(XR[:, j], XC[:, j]) for j in range(XR.shape[1])]
    return len(R), len(C), out


def ap_drift():
    cur.execute("SELECT ap_drift('btc', %s)", (since,))
    rid = cur.fetchone()[0]
    return rid


def timed(f):
    t = time.perf_counter()
    r = f()
    return time.perf_counter() - t, r


ap_t, py_t = [], []
for i in range(RUNS):
    t, rid = timed(ap_drift)
    ap_t.append(t)
    t, (nr, nc, py_stats) = timed(python_drift)
    py_t.append(t)
cur.execute("SELECT reference_rows, current_rows FROM alphapulse.drift_reports WHERE id = %s", (rid,))
ar, ac = cur.fetchone()
cur.execute("SELECT statistic FROM alphapulse.drift_features WHERE report_id = %s ORDER BY position", (rid,))
ap_stats = [r[0] for r in cur.fetchall()]
worst = max(abs(a - b) for a, b in zip(ap_stats, py_stats))
med_ap, med_py = statistics.median(ap_t), statistics.median(py_t)
print("drift: %d features + prediction, %d reference x %d recent rows (SciPy side: %d x %d), %d runs"
      % (len(names), ar, ac, nr, nc, RUNS))
print("  ap_drift end to end         median %7.3f s  (min %.3f, max %.3f)" % (med_ap, min(ap_t), max(ap_t)))
print("  psycopg2 + numpy/SciPy      median %7.3f s  (min %.3f, max %.3f)" % (med_py, min(py_t), max(py_t)))
print("  ratio (SciPy / ap_drift)    median %7.1fx (range %.1fx .. %.1fx)  target >= 3x"
      % (med_py / med_ap, min(py_t) / max(ap_t), max(py_t) / min(ap_t)))
print("  same statistics: largest difference %.2g over %d columns" % (worst, len(ap_stats)))
