#!/bin/sh
# Backtest benchmark: ap_backtest (and ap_backtest_equity) on 100k hourly bars
# against the same rule in pandas reading the bars and the model's scores
# with psycopg2 (Debian's python3-pandas, python3-psycopg2).  Starts its own
# PostgreSQL from PGBIN (default: $(PG_CONFIG --bindir)) with the extension
# installed there, on BENCH_PORT.
#   PG_CONFIG=/tmp/pg-x/usr/lib/postgresql/15/bin/pg_config bench/backtest.sh
# Env: BARS (100000), RUNS (9), BENCH_PORT (54395).  Prints medians, the
# spread (min-max) and the ratio; slow results never fail the script.
set -eu
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=${PGBIN:-$("$PG_CONFIG" --bindir)}
PORT=${BENCH_PORT:-54395}
BARS=${BARS:-100000}
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d /tmp/ap-bench-backtest.XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then (cd /tmp && runuser -u postgres -- "$@"); else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
cleanup() { as_pg "$PGBIN/pg_ctl" -D "$DIR/data" stop -m fast >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT
as_pg "$PGBIN/initdb" -D "$DIR/data" --auth=trust -U postgres >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 \
	-c shared_preload_libraries=alphapulse -c shared_buffers=256MB -c max_wal_size=4GB -c synchronous_commit=off" start >/dev/null
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGDATABASE=bench BARS
"$PGBIN/createdb" bench
echo "[backtest bench] $BARS bars, features and a logistic model (setup, not timed)" >&2
"$PGBIN/psql" -qX -v ON_ERROR_STOP=1 -c "CREATE EXTENSION alphapulse" \
	-f "$HERE/../test/fixtures/models/bars.sql" -c "SELECT pg_temp.make_bars('btc', $BARS, 'bench')" \
	-c "SELECT ap_train('btc', algorithm => 'logistic')" -c "SELECT ap_score('btc')" >/dev/null
/usr/bin/python3 "$HERE/backtest_bench.py"
