#!/usr/bin/python3
"""ap_score against the Python inference loop it replaces (bench/score.sh).

Python: psycopg2 reads the champion's feature rows (complete ones, as
ap_score scores), XGBoost predicts them (the booster is loaded from the
registry before the clock starts, as the server caches it), the signals are
derived with ap_score's thresholds and COPYed into alphapulse.signals.  Both
sides start from an empty alphapulse.signals and commit; one XGBoost thread
each.  Prints medians, the spread (min-max) and the ratio of medians.
"""
import io
import os
import statistics
import time

import numpy as np
import psycopg2
import xgboost as xgb

RUNS = int(os.environ.get("RUNS", "5"))
DB = os.environ.get("PGDATABASE", "bench")
BUY, SELL = 0.55, 0.45			# ap_score's classification defaults

conn = psycopg2.connect(dbname=DB)
conn.autocommit = True
cur = conn.cursor()
cur.execute("SET alphapulse.xgboost_threads = 1")
cur.execute("SELECT id, feature_set, model, array_length(feature_names, 1) FROM alphapulse.models "
            "WHERE symbol = 'btc' AND stage = 'champion'")
model_id, feature_set, blob, width = cur.fetchone()
booster = xgb.Booster(params={"nthread": 1})
booster.load_model(bytearray(blob))


def python_loop():
    t0 = time.perf_counter()
    pc = psycopg2.connect(dbname=DB)
    pcur = pc.cursor()
    pcur.execute("SELECT ts, x FROM alphapulse.features WHERE symbol = 'btc' AND feature_set = %s "
                 "AND array_position(x, NULL) IS NULL ORDER BY ts", (feature_set,))
    rows = pcur.fetchall()
    X = np.array([r[1] for r in rows], dtype=np.float64)
    score = booster.inplace_predict(X)
    signal = np.where(score > BUY, "BUY", np.where(score < SELL, "SELL", "HOLD"))
    buf = io.StringIO()
    for (ts, _), s, g in zip(rows, score.tolist(), signal.tolist()):
        buf.write("btc\t%s\t%d\t%r\t%s\n" % (ts.isoformat(), model_id, s, g))
    buf.seek(0)
    pcur.copy_expert("COPY alphapulse.signals (symbol, ts, model_id, score, signal) FROM STDIN", buf)
    pc.commit()
    pc.close()
    return time.perf_counter() - t0, len(rows)


def in_database():
    t0 = time.perf_counter()
    cur.execute("SELECT ap_score('btc')")
    n = cur.fetchone()[0]
    return time.perf_counter() - t0, n


db, py, phases = [], [], []
for run in range(RUNS):
    cur.execute("TRUNCATE alphapulse.signals")
    cur.execute("CHECKPOINT")
    cur.execute("SET client_min_messages = debug1")
    del conn.notices[:]
    secs, n_db = in_database()
    cur.execute("RESET client_min_messages")
    db.append(secs)
    phases.append([m for m in conn.notices if "ap_score:" in m][-1].split("ap_score: ")[1].strip())
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS sig_db AS SELECT * FROM alphapulse.signals WITH NO DATA")
    cur.execute("TRUNCATE sig_db; INSERT INTO sig_db SELECT * FROM alphapulse.signals")
    cur.execute("TRUNCATE alphapulse.signals")
    cur.execute("CHECKPOINT")
    secs, n_py = python_loop()
    py.append(secs)
    if n_db != n_py:
        raise SystemExit("ap_score scored %d rows, the python loop %d" % (n_db, n_py))

# the two wrote the same signals (scores to float32 rounding: XGBoost predicts in float)
cur.execute("SELECT count(*), count(*) FILTER (WHERE d.signal IS DISTINCT FROM p.signal), "
            "max(abs(d.score - p.score)) FROM sig_db d FULL JOIN alphapulse.signals p USING (symbol, ts, model_id)")
total, differ, maxdiff = cur.fetchone()
ratios = [p / d for d, p in zip(db, py)]
print("scoring bench: %d feature rows x %d features (%s), XGBoost champion, %d runs, 1 XGBoost thread each side"
      % (n_db, width, feature_set, RUNS))
print("  %-58s median %6.3f s  (min %.3f, max %.3f)" % ("ap_score (features check, load, predict, write signals)",
                                                       statistics.median(db), min(db), max(db)))
print("  %-58s median %6.3f s  (min %.3f, max %.3f)" % ("python: psycopg2 read + xgboost predict + COPY signals",
                                                       statistics.median(py), min(py), max(py)))
print("  python / ap_score: %.2fx (per run %.2fx .. %.2fx)  target >= 5" % (
    statistics.median(py) / statistics.median(db), min(ratios), max(ratios)))
print("  ap_score phases (last run): %s" % phases[-1])
print("  same rows: %d, signals that differ: %d, max |score difference| %.2g" % (total, differ, maxdiff or 0))
