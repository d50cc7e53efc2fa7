#!/bin/sh
# Schedule and report benchmark: what the job runner adds around a step
# (advisory lock, options, the job_log row) against calling the step's SQL
# directly, what a skipped run costs, and how long ap_report takes, on the
# regime-change sample (test/data/regime_bars.csv, 12,384 hourly bars).
# Starts its own PostgreSQL from PGBIN (default: $(PG_CONFIG --bindir)) with
# the extension installed there, on BENCH_PORT.
#   PG_CONFIG=/tmp/pg-x/usr/lib/postgresql/15/bin/pg_config bench/schedule.sh
set -eu
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=${PGBIN:-$("$PG_CONFIG" --bindir)}
PORT=${BENCH_PORT:-54393}
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d /tmp/ap-bench-schedule.XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then (cd /tmp && runuser -u postgres -- "$@"); else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
cleanup() { as_pg "$PGBIN/pg_ctl" -D "$DIR/data" stop -m fast >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT
as_pg "$PGBIN/initdb" -D "$DIR/data" --auth=trust -U postgres >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 \
	-c shared_preload_libraries=alphapulse -c synchronous_commit=off" start >/dev/null
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGDATABASE=bench
"$PGBIN/createdb" bench
"$PGBIN/psql" -qX -v ON_ERROR_STOP=1 -c "CREATE EXTENSION alphapulse" \
	-c "\\copy alphapulse.assets (symbol, description, bar_interval) FROM '$HERE/../test/data/regime_assets.csv' WITH (FORMAT csv, HEADER true)" \
	-c "CREATE TEMP TABLE b (symbol text, ts timestamptz, open numeric, high numeric, low numeric, close numeric, volume numeric)" \
	-c "\\copy b FROM '$HERE/../test/data/regime_bars.csv' WITH (FORMAT csv, HEADER true)" \
	-c "INSERT INTO alphapulse.bars SELECT * FROM b" \
	-c "SET client_min_messages = warning" -c "SELECT ap_train('syn', 'fast')" -c "SELECT ap_score('syn')" >/dev/null
/usr/bin/python3 - <<'PY'
import statistics, time, psycopg2

def timed(cur, sql, n):
    out = []
    for _ in range(n):
        t = time.perf_counter(); cur.execute(sql); cur.fetchall(); out.append(time.perf_counter() - t)
    return out

def show(name, xs):
    q = statistics.quantiles(xs, n=4)
    print(f"  {name:<48} median {statistics.median(xs) * 1e3:8.2f} ms  (IQR {q[0] * 1e3:.2f}-{q[2] * 1e3:.2f}, n={len(xs)})")

c = psycopg2.connect(""); c.autocommit = True; cur = c.cursor()
holder = psycopg2.connect(""); hc = holder.cursor()
N = 30
print("Schedule and report benchmark, syn: 12,384 hourly bars, 40 features, XGBoost fast champion")
# the ingest step with no feed and no new bar rescores the last scored bar: the same
# work as this direct ap_score call, so the difference is the runner's
direct = timed(cur, "SELECT ap_score('syn', (SELECT max(ts) FROM alphapulse.signals WHERE symbol = 'syn'))", N)
runner = timed(cur, "SELECT ap_run_job('syn', 'ingest')", N)
# hold the step's lock as a run in progress would
hc.execute("SELECT FROM alphapulse.job_locks WHERE symbol = 'syn' AND step = 'ingest' FOR UPDATE")
skipped = timed(cur, "SELECT ap_run_job('syn', 'ingest')", N)
holder.rollback()
cur.execute("SELECT count(*) FILTER (WHERE status = 'skipped'), count(*) FROM alphapulse.job_log")
sk, total = cur.fetchone()
assert sk == N and total == 2 * N, (sk, total)
show("ap_score of the new bars, called directly", direct)
show("the same through ap_run_job (lock, options, log)", runner)
show("ap_run_job finding the previous run running", skipped)
print(f"  runner / direct: {statistics.median(runner) / statistics.median(direct):.2f}x "
      f"(+{(statistics.median(runner) - statistics.median(direct)) * 1e3:.2f} ms a run)")
rep = timed(cur, "SELECT ap_report('syn')", 5)
cur.execute("SELECT length(ap_report('syn'))")
show(f"ap_report('syn') ({cur.fetchone()[0] // 1024} KiB of HTML)", rep)
PY
