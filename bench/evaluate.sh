#!/bin/sh
# ap_evaluate benchmark: champion vs challenger on a 10,000-row window with
# 1,000 paired block-bootstrap resamples, against the same evaluation in
# Python (psycopg2 + numpy + scikit-learn from Debian) on the same rows.
# Starts its own PostgreSQL from PGBIN (default: the system PostgreSQL 15, or
# $(PG_CONFIG --bindir)) with the extension installed there, on BENCH_PORT.
#   PG_CONFIG=/tmp/pg-x/usr/lib/postgresql/15/bin/pg_config bench/evaluate.sh
set -eu
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=${PGBIN:-$("$PG_CONFIG" --bindir)}
PORT=${BENCH_PORT:-54390}
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d /tmp/ap-bench-evaluate.XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then (cd /tmp && runuser -u postgres -- "$@"); else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
cleanup() { as_pg "$PGBIN/pg_ctl" -D "$DIR/data" stop -m fast >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT
as_pg "$PGBIN/initdb" -D "$DIR/data" --auth=trust -U postgres >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 \
	-c shared_preload_libraries=alphapulse -c shared_buffers=256MB -c synchronous_commit=off" start >/dev/null
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGDATABASE=bench PGBIN
"$PGBIN/createdb" bench
# 20,100 bars: with a 50% holdout the newer model's holdout is the 10,000-row window
"$PGBIN/psql" -qX -v ON_ERROR_STOP=1 -c "CREATE EXTENSION alphapulse" \
	-f "$HERE/../test/fixtures/models/bars.sql" -c "SELECT pg_temp.make_bars('btc', 20100, 'bench')" >/dev/null
/usr/bin/python3 "$HERE/evaluate_bench.py"
