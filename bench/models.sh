#!/bin/sh
# Models benchmark: features, training, scoring and ap_predict latency against
# Python (psycopg2 + pandas + XGBoost from Debian) on ~200k rows x 40 features.
# Starts its own PostgreSQL from PGBIN (default: the system PostgreSQL 15, or
# $(PG_CONFIG --bindir)) with the extension installed there, on BENCH_PORT.
#   PG_CONFIG=/opt/pg-models/lib/postgresql/15/bin/pg_config bench/models.sh
set -eu
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=${PGBIN:-$("$PG_CONFIG" --bindir)}
PORT=${BENCH_PORT:-54389}
ROWS=${ROWS:-200000}
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d /tmp/ap-bench-models.XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then (cd /tmp && runuser -u postgres -- "$@"); else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
cleanup() { as_pg "$PGBIN/pg_ctl" -D "$DIR/data" stop -m fast >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT
as_pg "$PGBIN/initdb" -D "$DIR/data" --auth=trust -U postgres >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 \
	-c shared_preload_libraries=alphapulse -c shared_buffers=512MB -c max_wal_size=4GB -c synchronous_commit=off" start >/dev/null
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGDATABASE=bench PGBIN
"$PGBIN/createdb" bench
"$PGBIN/psql" -qX -v ON_ERROR_STOP=1 -c "CREATE EXTENSION alphapulse" \
	-f "$HERE/../test/fixtures/models/bars.sql" -c "SELECT pg_temp.make_bars('btc', $ROWS, 'bench')" >/dev/null
/usr/bin/python3 "$HERE/models_bench.py"
