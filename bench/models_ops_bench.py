#!/usr/bin/python3
"""Export/import and retention timings (called by bench/models_ops.sh).

Export + import round trip of one XGBoost model: AlphaPulse's
ap_import_model(ap_export_model(id)) (bundle, sha256, structural validation,
seal) against a Python script doing the same job the way a user would
without it: read the row with psycopg2, load the bytes in XGBoost to check
them, hash them, write a JSON bundle, read it back and insert the row.
Retention: ap_prune against the equivalent hand-written DELETEs.
Prints medians and spread of RUNS runs and the ratios.
"""
import base64
import hashlib
import json
import os
import statistics
import time

import psycopg2
import xgboost as xgb

RUNS = int(os.environ.get("RUNS", "7"))
conn = psycopg2.connect(dbname=os.environ.get("PGDATABASE", "bench"))
conn.autocommit = True
cur = conn.cursor()
cur.execute("SET alphapulse.xgboost_threads = 1")


def q(sql, args=None):
    cur.execute(sql, args)
    return cur.fetchall() if cur.description else None


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def report(name, ours, theirs, other):
    mo, mt = statistics.median(ours), statistics.median(theirs)
    print("%-34s AlphaPulse %8.2f ms [%6.2f-%6.2f]   %-22s %8.2f ms [%6.2f-%6.2f]   ratio %.2fx"
          % (name, mo * 1e3, min(ours) * 1e3, max(ours) * 1e3, other, mt * 1e3,
             min(theirs) * 1e3, max(theirs) * 1e3, mt / mo))


rounds = int(os.environ.get("ROUNDS", "300"))
mid = q("SELECT ap_train('btc', params => %s)", (json.dumps({"num_round": rounds, "max_depth": 6}),))[0][0]
size = q("SELECT length(model) FROM alphapulse.models WHERE id = %s", (mid,))[0][0]
print("model: XGBoost, %d rounds, depth 6, %d bytes; %d runs each" % (rounds, size, RUNS))


def ours():
    q("SELECT ap_import_model(ap_export_model(%s))", (mid,))


def python_way():
    row = q("SELECT symbol, algorithm, feature_set, feature_names, task, params, train_from, train_to, "
            "holdout_from, holdout_to, metrics, model, feature_stats FROM alphapulse.models WHERE id = %s", (mid,))[0]
    raw = bytes(row[11])
    b = xgb.Booster()
    b.load_model(bytearray(raw))          # the check a user can make: XGBoost parses it
    assert b.num_features() == len(row[3])
    bundle = json.dumps({"symbol": row[0], "algorithm": row[1], "feature_set": row[2], "feature_names": row[3],
                         "task": row[4], "params": row[5], "windows": [str(x) for x in row[6:10]],
                         "metrics": row[10], "feature_stats": row[12],
                         "model": base64.b64encode(raw).decode(), "sha256": hashlib.sha256(raw).hexdigest()})
    back = json.loads(bundle)
    raw2 = base64.b64decode(back["model"])
    assert hashlib.sha256(raw2).hexdigest() == back["sha256"]
    b2 = xgb.Booster()
    b2.load_model(bytearray(raw2))
    q("CREATE TEMP TABLE IF NOT EXISTS py_models (LIKE alphapulse.models INCLUDING DEFAULTS)")
    q("INSERT INTO py_models (symbol, version, algorithm, feature_set, feature_names, task, params, train_from, "
      "train_to, holdout_from, holdout_to, metrics, model, feature_stats, stage) "
      "VALUES (%s, 1, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'challenger')",
      (back["symbol"], back["algorithm"], back["feature_set"], back["feature_names"], back["task"],
       json.dumps(back["params"]), *back["windows"], json.dumps(back["metrics"]), psycopg2.Binary(raw2),
       json.dumps(back["feature_stats"])))


ours()
python_way()
report("export + import, one model", [timed(ours) for _ in range(RUNS)],
       [timed(python_way) for _ in range(RUNS)], "Python (xgboost, json)")

# retention: the same rows pruned by ap_prune and by hand-written DELETEs
FILL = """
UPDATE alphapulse.models SET stage = 'archived', exported_at = now() WHERE stage = 'challenger';
UPDATE alphapulse.models SET created = now() - interval '400 days';
SELECT ap_score('btc');
UPDATE alphapulse.signals SET created = now() - interval '400 days' WHERE ts < (SELECT min(ts) + (max(ts) - min(ts)) / 2 FROM alphapulse.signals);
"""
HAND = """
DELETE FROM alphapulse.signals WHERE created < now() - interval '365 days';
DELETE FROM alphapulse.models m WHERE stage = 'archived' AND created < now() - interval '180 days' AND exported_at IS NOT NULL
  AND id NOT IN (SELECT DISTINCT ON (symbol) id FROM alphapulse.models WHERE stage = 'archived' AND promoted IS NOT NULL ORDER BY symbol, promoted DESC, id DESC);
DELETE FROM alphapulse.runs r WHERE finished < now() - interval '180 days' AND NOT EXISTS (SELECT FROM alphapulse.models m WHERE m.id = r.model_id OR m.run_id = r.id);
"""
ours_t, hand_t = [], []
for i in range(RUNS):
    for t, sql in ((ours_t, "SELECT * FROM ap_prune()"), (hand_t, HAND)):
        q("BEGIN")
        q(FILL)
        n = q("SELECT count(*) FROM alphapulse.signals WHERE created < now() - interval '365 days'")[0][0]
        t.append(timed(lambda: q(sql)))
        q("ROLLBACK")
report("prune (%d old signals)" % n, ours_t, hand_t, "hand-written DELETEs")
