#!/usr/bin/python3
"""AlphaPulse models benchmark: the in-database path against Python
(psycopg2 + pandas + XGBoost from Debian) on the same rows, same machine.

Called by bench/models.sh with a server already running and the bars loaded.
Prints medians of RUNS runs and the ratios the issue asks for.
"""
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import psycopg2
import xgboost as xgb
from sklearn.metrics import roc_auc_score

RUNS = int(os.environ.get("RUNS", "3"))
PGBIN = os.environ["PGBIN"]
DB = os.environ.get("PGDATABASE", "bench")
ROUNDS = 200

conn = psycopg2.connect(dbname=DB)
conn.autocommit = True
cur = conn.cursor()
cur.execute("SET alphapulse.xgboost_threads = 1")


def q(sql, args=None):
    cur.execute(sql, args)
    return cur.fetchall()


def med(xs):
    return statistics.median(xs)


# ---------------------------------------------------------------- features
def pandas_features(df):
    c, o, h, l, v = (df[k].astype(float) for k in ("close", "open", "high", "low", "volume"))
    f = {}
    r1 = np.log(c / c.shift(1))
    for k in (1, 2, 4, 8, 24):
        f["ret_%d" % k] = np.log(c / c.shift(k))
    f["ret_lag_1"], f["ret_lag_2"] = r1.shift(1), r1.shift(2)
    for n in (10, 50):
        f["sma_ratio_%d" % n] = c / c.rolling(n).mean() - 1
    f["ema_ratio_20"] = c / c.ewm(span=20, adjust=False).mean() - 1
    d = c.diff()
    for n in (7, 14):
        g = d.clip(lower=0).ewm(alpha=1 / n, adjust=False).mean()
        s = (-d.clip(upper=0)).ewm(alpha=1 / n, adjust=False).mean()
        f["rsi_%d" % n] = 100 * g / (g + s)
    e12, e26 = c.ewm(span=12, adjust=False).mean(), c.ewm(span=26, adjust=False).mean()
    macd = e12 - e26
    sig = macd.ewm(span=9, adjust=False).mean()
    f["macd_12_26_9"], f["macd_hist_12_26_9"] = macd / c, (macd - sig) / c
    m20, s20 = c.rolling(20).mean(), c.rolling(20).std(ddof=0)
    f["bb_pctb_20_2"] = (c - (m20 - 2 * s20)) / (4 * s20)
    f["bb_width_20_2"] = 4 * s20 / m20
    c1 = c.shift(1)
    tr = pd.concat([h - l, (h - c1).abs(), (l - c1).abs()], axis=1).max(axis=1)
    atr = tr.ewm(alpha=1 / 14, adjust=False).mean()
    f["atr_pct_14"] = 100 * atr / c
    up, dn = h.diff(), -l.diff()
    pdm = np.where((up > dn) & (up > 0), up, 0.0)
    mdm = np.where((dn > up) & (dn > 0), dn, 0.0)
    pdi = 100 * pd.Series(pdm).ewm(alpha=1 / 14, adjust=False).mean().values / atr
    mdi = 100 * pd.Series(mdm).ewm(alpha=1 / 14, adjust=False).mean().values / atr
    dx = 100 * (pdi - mdi).abs() / (pdi + mdi)
    f["adx_14"], f["plus_di_14"], f["minus_di_14"] = dx.ewm(alpha=1 / 14, adjust=False).mean(), pdi, mdi
    ll, hh = l.rolling(14).min(), h.rolling(14).max()
    fk = 100 * (c - ll) / (hh - ll)
    sk = fk.rolling(3).mean()
    f["stoch_k_14_3_3"], f["stoch_d_14_3_3"] = sk, sk.rolling(3).mean()
    f["willr_14"] = -100 * (hh - c) / (hh - ll)
    tp = (h + l + c) / 3
    mad = tp.rolling(20).apply(lambda a: np.mean(np.abs(a - a.mean())), raw=True)
    f["cci_20"] = (tp - tp.rolling(20).mean()) / (0.015 * mad)
    mf = tp * v
    pos = mf.where(tp.diff() > 0, 0).rolling(14).sum()
    neg = mf.where(tp.diff() < 0, 0).rolling(14).sum()
    f["mfi_14"] = 100 * pos / (pos + neg)
    f["roc_10"] = 100 * (c / c.shift(10) - 1)
    su, sd = d.clip(lower=0).rolling(14).sum(), (-d.clip(upper=0)).rolling(14).sum()
    f["cmo_14"] = 100 * (su - sd) / (su + sd)
    bp = c - pd.concat([l, c1], axis=1).min(axis=1)
    uo = sum(w * bp.rolling(n).sum() / tr.rolling(n).sum() for w, n in ((4, 7), (2, 14), (1, 28)))
    f["ultosc_7_14_28"] = 100 * uo / 7
    f["ppo_12_26"] = 100 * (e12 - e26) / e26
    au = h.rolling(26).apply(np.argmax, raw=True)
    ad = l.rolling(26).apply(np.argmin, raw=True)
    f["aroon_osc_25"] = 100 * (au - ad) / 25
    f["zscore_20"] = (c - m20) / s20
    f["stddev_ret_24"] = r1.rolling(24).std(ddof=0)
    f["vol_z_20"] = (v - v.rolling(20).mean()) / v.rolling(20).std(ddof=0)
    f["vol_ratio_20"] = v / v.rolling(20).mean() - 1
    mfm = ((c - l) - (h - c)) / (h - l)
    f["cmf_20"] = (mfm * v).rolling(20).sum() / v.rolling(20).sum()
    f["hl_range"] = (h - l) / c
    f["co_ret"] = np.log(c / o)
    dl, du = l.rolling(20).min(), h.rolling(20).max()
    f["donchian_pos_20"] = (c - dl) / (du - dl)
    sec = df["ts"].astype("int64") // 10**9 % 86400
    f["hour_sin"], f["hour_cos"] = np.sin(sec / 86400 * 2 * np.pi), np.cos(sec / 86400 * 2 * np.pi)
    out = pd.DataFrame(f)
    out["ts"] = df["ts"]
    fwd = np.log(c.shift(-1) / c)
    out["target"] = np.where(fwd.isna(), np.nan, (fwd > 0).astype(float))
    out["fwd_return"] = fwd
    return out


def python_pipeline():
    t0 = time.perf_counter()
    pc = psycopg2.connect(dbname=DB)
    pcur = pc.cursor()
    pcur.execute("SELECT ts, open, high, low, close, volume FROM alphapulse.bars WHERE symbol = 'btc' ORDER BY ts")
    df = pd.DataFrame(pcur.fetchall(), columns=["ts", "open", "high", "low", "close", "volume"])
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    feats = pandas_features(df)
    names = [k for k in feats.columns if k not in ("ts", "target", "fwd_return")]
    train = feats.dropna()
    X, y = train[names].values, train["target"].values
    n = len(y)
    hold = int(n * 0.2)
    pre = n - hold - 1
    block = pre // 2
    params = {"objective": "binary:logistic", "eval_metric": "logloss", "tree_method": "hist",
              "max_depth": 4, "eta": 0.1, "subsample": 0.8, "colsample_bytree": 0.8, "seed": 42, "nthread": 1}
    dtr, dva = xgb.DMatrix(X[:block - 1], label=y[:block - 1]), xgb.DMatrix(X[block:pre], label=y[block:pre])
    b = xgb.train(params, dtr, 100, evals=[(dtr, "train"), (dva, "valid")], early_stopping_rounds=10, verbose_eval=False)
    dref = xgb.DMatrix(X[:pre], label=y[:pre])
    final = xgb.train(params, dref, b.best_iteration + 1)
    p = final.predict(xgb.DMatrix(X[n - hold:]))
    auc = roc_auc_score(y[n - hold:], p)
    # write back the features, as the in-database path stores them
    pcur.execute("CREATE TEMP TABLE py_features (symbol text, ts timestamptz, x float8[], target float8, fwd_return float8)")
    buf = io.StringIO()
    arr = feats[names].values
    for i in range(len(feats)):
        xs = "{" + ",".join("NULL" if np.isnan(val) else repr(float(val)) for val in arr[i]) + "}"
        t = feats["target"].iat[i]
        fr = feats["fwd_return"].iat[i]
        buf.write("btc\t%s\t%s\t%s\t%s\n" % (feats["ts"].iat[i].isoformat(), xs,
                                            "\\N" if np.isnan(t) else repr(t), "\\N" if np.isnan(fr) else repr(fr)))
    buf.seek(0)
    pcur.copy_expert("COPY py_features FROM STDIN", buf)
    pc.commit()
    pc.close()
    return time.perf_counter() - t0, auc


# ---------------------------------------------------------------- runs
train_db, train_py, pipe_db, pipe_py, score_db, score_py = [], [], [], [], [], []
aucs = []
score_phase, score_predict = [], []
for run in range(RUNS):
    # 1. the whole pipeline: features + fast training
    cur.execute("DELETE FROM alphapulse.signals; DELETE FROM alphapulse.models; DELETE FROM alphapulse.runs; "
                "DELETE FROM alphapulse.features")
    cur.execute("VACUUM alphapulse.features")
    t0 = time.perf_counter()
    cur.execute("SELECT ap_build_features('btc'); SELECT ap_train('btc')")
    pipe_db.append(time.perf_counter() - t0)
    dbauc = q("SELECT (metrics->>'auc')::float8 FROM alphapulse.models ORDER BY id DESC LIMIT 1")[0][0]
    secs, pyauc = python_pipeline()
    pipe_py.append(secs)
    aucs.append((dbauc, pyauc))

    # 2. the training step on the same in-memory matrix: 200 rounds, refit rows
    mid = q("SELECT ap_train('btc', params => %s)", (json.dumps({"num_round": ROUNDS, "early_stopping_rounds": 0}),))[0][0]
    splits, durations, n_rounds = q("SELECT r.splits, r.durations, m.n_rounds FROM alphapulse.runs r "
                                    "JOIN alphapulse.models m ON m.id = r.model_id WHERE m.id = %s", (mid,))[0]
    train_db.append(durations["refit_ms"] / 1000)
    rows = q("SELECT x, target FROM alphapulse.features WHERE symbol = 'btc' AND target IS NOT NULL "
             "AND array_position(x, NULL) IS NULL ORDER BY ts")
    X = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    r0, r1 = splits["refit"]
    h0, h1 = splits["holdout"]
    params = {"objective": "binary:logistic", "eval_metric": "logloss", "tree_method": "hist", "max_depth": 4,
              "eta": 0.1, "subsample": 0.8, "colsample_bytree": 0.8, "min_child_weight": 1, "lambda": 1,
              "alpha": 0, "gamma": 0, "max_bin": 256, "seed": 42, "nthread": 1}
    t0 = time.perf_counter()
    dtr = xgb.DMatrix(X[r0:r1].astype(np.float32), label=y[r0:r1], nthread=1)
    bst = xgb.train(params, dtr, n_rounds)
    bst.inplace_predict(X[h0:h1])  # as the refit in the database does
    train_py.append(time.perf_counter() - t0)

    # 3. batch scoring of every row: ap_score against in-place predict
    cur.execute("DELETE FROM alphapulse.signals")
    cur.execute("SELECT ap_promote(%s)", (mid,))
    cur.execute("SET client_min_messages = debug1")
    del conn.notices[:]
    t0 = time.perf_counter()
    nscored = q("SELECT ap_score('btc')")[0][0]
    score_db.append(nscored / (time.perf_counter() - t0))
    cur.execute("RESET client_min_messages")
    phase = [n for n in conn.notices if "ap_score:" in n][-1]
    score_phase.append(phase.split("ap_score: ")[1].strip())
    score_predict.append(nscored / (float(phase.split("predict ")[1].split(" ms")[0]) / 1000))
    allx = np.array([r[0] for r in q("SELECT x FROM alphapulse.features WHERE symbol = 'btc' "
                                     "AND array_position(x, NULL) IS NULL ORDER BY ts")])
    t0 = time.perf_counter()
    bst.inplace_predict(allx)
    score_py.append(len(allx) / (time.perf_counter() - t0))

nrows = q("SELECT count(*) FROM alphapulse.features WHERE symbol = 'btc'")[0][0]
print("data: %d hourly bars x 40 features (default set); medians of %d runs; 1 XGBoost thread each side" % (nrows, RUNS))
print("xgboost %s (C library and python), pandas %s, PostgreSQL via %s" % (xgb.__version__, pd.__version__, PGBIN))
print()
print("training step (%d rounds on %d refit rows, DMatrix + train + holdout predict):" % (n_rounds, r1 - r0))
print("  in database %.3f s, python xgboost %.3f s  -> ratio db/python %.2f (target <= 1.2)" % (
    med(train_db), med(train_py), med(train_db) / med(train_py)))
print("  (each run, db/python: %s)" % ", ".join("%.3f/%.3f" % ab for ab in zip(train_db, train_py)))
print("whole pipeline (features + fast training + stored features):")
print("  in database %.3f s, python (psycopg2 export, pandas, xgboost, COPY back) %.3f s  -> python/db %.2fx (target >= 3)" % (
    med(pipe_db), med(pipe_py), med(pipe_py) / med(pipe_db)))
print("  holdout AUC: in database %.4f, python pipeline %.4f" % aucs[-1])
print("batch scoring (%d rows):" % nscored)
print("  ap_score %.0f rows/s (reads features, predicts, upserts signals), python inplace_predict %.0f rows/s (in memory)"
      % (med(score_db), med(score_py)))
print("  -> ap_score / inplace_predict %.2f (target >= 0.80)" % (med(score_db) / med(score_py)))
print("  ap_score phases (last run): %s" % score_phase[-1])
print("  prediction phase alone %.0f rows/s -> / inplace_predict %.2f" % (
    med(score_predict), med(score_predict) / med(score_py)))

# 4. single-row ap_predict: server time per call and pgbench latency
x = q("SELECT x FROM alphapulse.features WHERE symbol = 'btc' ORDER BY ts DESC LIMIT 1")[0][0]
lit = "{" + ",".join(repr(v) for v in x) + "}"
cur.execute("SELECT ap_predict('btc', %s::float8[])", (lit,))
per_call = []
for _ in range(RUNS):
    t0 = time.perf_counter()
    cur.execute("SELECT count(ap_predict('btc', %s::float8[])) FROM generate_series(1, 20000)", (lit,))
    per_call.append((time.perf_counter() - t0) / 20000 * 1e6)
print("single-row ap_predict:")
print("  server time per call (20000 calls in one query, cached champion): %.1f us" % med(per_call))
with tempfile.TemporaryDirectory() as tmp:
    script = os.path.join(tmp, "predict.sql")
    with open(script, "w") as fh:
        fh.write("SELECT ap_predict('btc', '%s'::float8[]);\n" % lit)
    for clients in (1, 8):
        logdir = os.path.join(tmp, "c%d" % clients)
        os.mkdir(logdir)
        subprocess.run([os.path.join(PGBIN, "pgbench"), "-n", "-M", "prepared", "-f", script, "-T", "5",
                        "-c", str(clients), "-j", str(min(clients, 4)), "-l", "--log-prefix", os.path.join(logdir, "log"), DB],
                       check=True, capture_output=True, cwd=tmp)
        lat = []
        for name in os.listdir(logdir):
            with open(os.path.join(logdir, name)) as fh:
                lat += [int(line.split()[2]) for line in fh]
        lat.sort()
        print("  pgbench -c %d: %d calls, p50 %d us, p99 %d us round trip (client side, includes protocol)" % (
            clients, len(lat), lat[len(lat) // 2], lat[int(len(lat) * 0.99)]))
