#!/bin/sh
# Real time (issue 9), the demo's last part: turns scoring on arrival on for a
# symbol with a champion, then lands new bars one by one while a LISTENing
# client prints each signal as NOTIFY alphapulse_signals announces it, with
# the time from COMMIT to the announcement; then corrects an earlier bar and
# shows its signals re-scored.  Run by test/bin/demo.sh with its PG*
# environment; alone: PGHOST=... PGPORT=... PGDATABASE=... test/bin/demo_realtime.sh [symbol] [bars]
set -eu
sym=${1:-btc}
n=${2:-12}
exec /usr/bin/python3 - "$sym" "$n" <<'PY'
import json
import select
import sys
import time

import psycopg2

sym, n = sys.argv[1], int(sys.argv[2])
w = psycopg2.connect("")
w.autocommit = True
c = w.cursor()
lis = psycopg2.connect("")
lis.autocommit = True
lis.cursor().execute("LISTEN alphapulse_signals")


def one(sql, args=None):
    c.execute(sql, args)
    return c.fetchone()[0]


def payload(deadline=30):
    end = time.time() + deadline
    while time.time() < end:
        if lis.notifies:
            return json.loads(lis.notifies.pop(0).payload)
        if select.select([lis], [], [], max(0.0, end - time.time())) != ([], [], []):
            lis.poll()
    return None


print()
print("Real time: scoring %s's bars as they land (ap_realtime), a LISTEN alphapulse_signals client printing them." % sym)
c.execute("SET TIME ZONE 'UTC'")
one("SELECT ap_realtime(%s)", (sym,))
c.execute("SELECT ts, close FROM alphapulse.bars WHERE symbol = %s ORDER BY ts DESC LIMIT 1", (sym,))
ts, close = c.fetchone()
step = one("SELECT bar_interval FROM alphapulse.assets WHERE symbol = %s", (sym,))
close = float(close)
for i in range(n):
    ts = ts + step
    o = close
    close = round(o * (1 + 0.006 * (((i * 7) % 5) - 2) / 2), 2)
    hi, lo = round(max(o, close) * 1.002, 2), round(min(o, close) * 0.998, 2)
    c.execute("INSERT INTO alphapulse.bars VALUES (%s, %s, %s, %s, %s, %s, %s)",
              (sym, ts, o, hi, lo, close, 500 + 37 * i))
    t0 = time.perf_counter()     # autocommit: the INSERT has committed
    p = payload()
    dt = (time.perf_counter() - t0) * 1000
    print("  bar %s close %10.2f landed -> NOTIFY %s (%.2f ms after COMMIT)"
          % (ts.strftime("%Y-%m-%d %H:%M"), close, json.dumps(p), dt))

back = ts - 3 * step
SCORES = ("SELECT s.ts, s.score, s.signal FROM alphapulse.signals s WHERE s.symbol = %s AND s.ts >= %s "
          "AND s.model_id = (SELECT model_id FROM alphapulse.champions WHERE symbol = %s) ORDER BY s.ts")
c.execute(SCORES, (sym, back, sym))
before = c.fetchall()
print("Correcting the close of the bar at %s (a late fix from the exchange):" % back.strftime("%Y-%m-%d %H:%M"))
c.execute("UPDATE alphapulse.bars SET close = round(close * 1.01, 2), high = greatest(high, round(close * 1.01, 2)) "
          "WHERE symbol = %s AND ts = %s", (sym, back))
p = payload()
c.execute(SCORES, (sym, back, sym))
after = c.fetchall()
print("  the corrected bar is announced again: %s" % json.dumps(p))
print("  features from it on were rebuilt in the same transaction, and their signals re-scored:")
for (t, s0, g0), (_, s1, g1) in zip(before, after):
    print("    %s  score %.6f %-4s -> %.6f %s" % (t.strftime("%Y-%m-%d %H:%M"), s0, g0, s1, g1))
print("Real time stays on for %s: LISTEN alphapulse_signals in psql and INSERT a bar to see it; "
      "SELECT ap_realtime('%s', false) turns it off." % (sym, sym))
PY
