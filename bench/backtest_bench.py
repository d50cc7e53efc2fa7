#!/usr/bin/python3
"""ap_backtest against the same rule in pandas, on the same bars and scores.

Called by bench/backtest.sh with a server running, BARS bars loaded, a model
trained and its scores in alphapulse.signals (ap_score).  The database side
runs end to end (reads the feature rows, scores them with the model, runs the
rule); the pandas side reads the opens and the stored scores with psycopg2
(the cheaper path: the model is not re-run) and runs the rule and the
summary.  Both sides run once untimed, then RUNS times, interleaved; prints medians, spread and
the ratio of the medians (wall clock and CPU time of the server backend plus
this client, read from /proc: the bench and the server share the machine),
and checks the two agree.
"""
import math
import os
import statistics
import time

import numpy as np
import pandas as pd
import psycopg2

RUNS = int(os.environ.get("RUNS", "9"))
ARGS = dict(buy=0.5, sell=0.5, fee=10.0)   # thresholds that trade; in-sample: every bar
conn = psycopg2.connect(dbname=os.environ.get("PGDATABASE", "bench"))
conn.autocommit = True
cur = conn.cursor()
cur.execute("SET alphapulse.progress_notices = off")
cur.execute("SELECT id FROM alphapulse.models WHERE symbol = 'btc' AND stage = 'champion'")
MODEL = cur.fetchone()[0]


def in_database():
    cur.execute("SELECT bars, total_return, sharpe FROM ap_backtest('btc', buy => %s, sell => %s, fee_bps => %s, "
                "allow_in_sample => true)", (ARGS["buy"], ARGS["sell"], ARGS["fee"]))
    return cur.fetchone()


def in_database_curve():
    cur.execute("SELECT ts, equity, bh_equity FROM ap_backtest_equity('btc', buy => %s, sell => %s, fee_bps => %s, "
                "allow_in_sample => true)", (ARGS["buy"], ARGS["sell"], ARGS["fee"]))
    return len(cur.fetchall())


def in_pandas():
    cur.execute("SELECT ts, open::float8 FROM alphapulse.bars WHERE symbol = 'btc' ORDER BY ts")
    bars = pd.DataFrame(cur.fetchall(), columns=["ts", "open"])
    cur.execute("SELECT ts, score FROM alphapulse.signals WHERE symbol = 'btc' AND model_id = %s ORDER BY ts",
                (MODEL,))
    sc = pd.DataFrame(cur.fetchall(), columns=["ts", "score"])
    bars["o1"], bars["o2"] = bars["open"].shift(-1), bars["open"].shift(-2)
    df = sc.merge(bars, on="ts").dropna(subset=["o2"]).reset_index(drop=True)
    rate = ARGS["fee"] / 10000.0
    pos = pd.Series(np.where(df["score"] > ARGS["buy"], 1.0, np.where(df["score"] < ARGS["sell"], 0.0, np.nan)))
    pos = pos.ffill().fillna(0.0)
    dp = pos.diff()
    dp.iloc[0] = pos.iloc[0]
    r = df["o2"] / df["o1"] - 1
    g = (1 - rate * dp.abs()) * (1 + pos * r)
    ret, eq = g - 1, g.cumprod()
    bhg = 1 + r
    bhg.iloc[0] *= 1 - rate
    bh = bhg.cumprod()
    n, ppy = len(df), 8760.0
    sd = ret.std(ddof=1)
    down = math.sqrt((np.minimum(ret, 0) ** 2).sum() / (n - 1))
    dd = 1 - eq / np.maximum(eq.cummax(), 1.0)
    cagr = eq.iloc[-1] ** (ppy / n) - 1
    summary = dict(bars=n, total_return=eq.iloc[-1] - 1, cagr=cagr, sharpe=ret.mean() / sd * math.sqrt(ppy),
                   sortino=ret.mean() / down * math.sqrt(ppy), max_drawdown=dd.max(), calmar=cagr / dd.max(),
                   hit_rate=(ret[pos != 0] > 0).mean(), trades=int((dp != 0).sum()), exposure=(pos != 0).mean(),
                   turnover=dp.abs().sum(), bh_total_return=bh.iloc[-1] - 1,
                   bh_sharpe=(bhg - 1).mean() / (bhg - 1).std(ddof=1) * math.sqrt(ppy),
                   bh_max_drawdown=(1 - bh / np.maximum(bh.cummax(), 1.0)).max())
    return summary


TICK = os.sysconf("SC_CLK_TCK")
BACKEND = conn.get_backend_pid()


def backend_cpu():
    """CPU seconds of the server process serving this connection (same machine)."""
    with open("/proc/%d/stat" % BACKEND) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def timed(f, cpu):
    t, c = time.perf_counter(), backend_cpu() + time.process_time()
    out = f()
    cpu.append(backend_cpu() + time.process_time() - c)
    return time.perf_counter() - t, out


# one untimed warm-up of each (model cache, buffers, imports)
in_database(), in_database_curve(), in_pandas()
db, curve, pdx = [], [], []
db_cpu, curve_cpu, pd_cpu = [], [], []
for _ in range(RUNS):
    t, got = timed(in_database, db_cpu)
    db.append(t)
    t, _ = timed(in_database_curve, curve_cpu)
    curve.append(t)
    t, ref = timed(in_pandas, pd_cpu)
    pdx.append(t)

agree = got[0] == ref["bars"] and abs(got[1] - ref["total_return"]) <= 1e-9 and abs(got[2] - ref["sharpe"]) <= 1e-9


def line(name, xs):
    return "%-44s median %8.1f ms   spread %7.1f-%7.1f ms" % (name, 1000 * statistics.median(xs),
                                                             1000 * min(xs), 1000 * max(xs))


print("backtest: %d bars scored by model %d, %d runs each, same machine, one process tree"
      % (ref["bars"], MODEL, RUNS))
print(line("ap_backtest (reads features, scores, rule)", db))
print(line("ap_backtest_equity, curve fetched by psycopg2", curve))
print(line("pandas (psycopg2 reads opens + stored scores)", pdx))
print("ratio pandas / ap_backtest: %.1fx (medians; per run %.1f-%.1fx)  target >= 3x"
      % (statistics.median(pdx) / statistics.median(db),
         min(p / d for p, d in zip(pdx, db)), max(p / d for p, d in zip(pdx, db))))
print("ratio pandas / ap_backtest_equity: %.1fx (medians)" % (statistics.median(pdx) / statistics.median(curve)))
print("CPU seconds (server backend + this client), medians: ap_backtest %.3f, ap_backtest_equity %.3f, pandas %.3f"
      % (statistics.median(db_cpu), statistics.median(curve_cpu), statistics.median(pd_cpu)))
print("CPU ratio pandas / ap_backtest: %.1fx (the wall-clock ratio moves with the machine's load; CPU time less)"
      % (statistics.median(pd_cpu) / max(statistics.median(db_cpu), 1e-9)))
print("results agree (bars, total_return, sharpe within 1e-9): %s" % ("yes" if agree else "NO"))
