#!/usr/bin/python3
"""Peak memory of the XGBoost trainer process against ap_train's estimate.

For each configuration: the estimate (from the refusal detail with a 32 MB
limit), then a real run whose trainer process is polled for VmHWM (peak RSS)
and VmPeak (address space).  Connection from PGHOST/PGPORT/PGUSER; needs to
read /proc of the server's processes (run as root or postgres).
Usage: training_memory.py [ROWS]
"""
import json
import os
import re
import sys
import threading
import time

import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
DB = "ap_training_memory"
CONFIGS = [
    ("defaults (fast)", {}),
    ("full mode (12 trials x 4 folds, depth <= 8)", {}, 1, "full"),
    ("depth 8, 1000 rounds", {"max_depth": 8, "num_round": 1000, "early_stopping_rounds": 0}),
    ("depth 12, 100 rounds, 1024 bins, mcw 0, lambda 0",
     {"max_depth": 12, "num_round": 100, "max_bin": 1024, "min_child_weight": 0, "lambda": 0,
      "early_stopping_rounds": 0}),
    ("depth 10, 100 rounds, 1024 bins, 2 threads",
     {"max_depth": 10, "num_round": 100, "max_bin": 1024, "early_stopping_rounds": 0}, 2),
]


def trainer_of(pid):
    try:
        kids = open("/proc/%d/task/%d/children" % (pid, pid)).read().split()
    except OSError:
        return None
    for k in kids:
        try:
            if open("/proc/%s/comm" % k).read().strip() == "alphapulse_trai":
                return int(k)
        except OSError:
            pass
    return None


def status(pid):
    try:
        s = open("/proc/%d/status" % pid).read()
    except OSError:
        return None
    out = {}
    for k in ("VmHWM", "VmPeak"):
        m = re.search(k + r":\s+(\d+)", s)
        if m is None:
            return None         # a zombie has no memory left
        out[k] = int(m.group(1)) // 1024
    return out


admin = psycopg2.connect(dbname="postgres")
admin.autocommit = True
admin.cursor().execute("DROP DATABASE IF EXISTS " + DB)
admin.cursor().execute("CREATE DATABASE " + DB)
conn = psycopg2.connect(dbname=DB)
conn.autocommit = True
cur = conn.cursor()
cur.execute("CREATE EXTENSION alphapulse")
cur.execute(open(os.path.join(HERE, "..", "test", "fixtures", "models", "bars.sql")).read())
cur.execute("SELECT pg_temp.make_bars('mem', %s, 'mem')", (ROWS,))
cur.execute("SELECT pg_backend_pid()")
pid = cur.fetchone()[0]
print("rows %d x 40 features; peak RSS (VmHWM) and address space (VmPeak) of the trainer, MB" % ROWS)
print("%-52s %9s %9s %9s %8s" % ("configuration", "estimate", "VmHWM", "VmPeak", "seconds"))
for cfg in CONFIGS:
    name, params = cfg[0], cfg[1]
    threads = cfg[2] if len(cfg) > 2 else 1
    mode = cfg[3] if len(cfg) > 3 else "fast"
    cur.execute("SET alphapulse.max_xgboost_threads = %d" % max(threads, 4))
    cur.execute("SET alphapulse.xgboost_threads = %d" % threads)
    cur.execute("SET alphapulse.max_training_memory = '32MB'")
    try:
        cur.execute("SELECT ap_train('mem', %s, params => %s)", (mode, json.dumps(params)))
        est = None
    except psycopg2.Error as e:
        m = re.search(r"is (\d+) MB", e.diag.message_detail or "")
        est = int(m.group(1)) if m else None
    cur.execute("SET alphapulse.max_training_memory = '64GB'")
    peak = {"VmHWM": 0, "VmPeak": 0}
    done = threading.Event()

    def poll():
        while not done.is_set():
            t = trainer_of(pid)
            if t:
                s = status(t)
                if s:
                    for k in peak:
                        peak[k] = max(peak[k], s[k])
            time.sleep(0.005)

    th = threading.Thread(target=poll)
    th.start()
    t0 = time.time()
    cur.execute("SELECT ap_train('mem', %s, params => %s)", (mode, json.dumps(params)))
    secs = time.time() - t0
    done.set()
    th.join()
    print("%-52s %9s %9d %9d %8.1f" % (name, est, peak["VmHWM"], peak["VmPeak"], secs))
conn.close()
admin.cursor().execute("DROP DATABASE " + DB)
