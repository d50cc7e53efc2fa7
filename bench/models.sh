#!/bin/sh
# Models benchmark: features, training, scoring and ap_predict latency against
# Python (psycopg2 + pandas + XGBoost from Debian) on ~200k rows x 40 features.
# Starts its own PostgreSQL from PGBIN (default: the system PostgreSQL 15, or
# $(PG_CONFIG --bindir)) with the extension installed there, on BENCH_PORT.
#   PG_CONFIG=/opt/pg-models/lib/postgresql/15/bin/pg_config bench/models.sh
set -eu
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=${PGBIN:-$("$PG_CONFIG" --bindir)}
HERE=$(cd "$(dirname "$0")" && pwd)
CLUSTER=$HERE/../test/bin/cluster.sh	# the one cluster helper
PORT=${BENCH_PORT:-$("$CLUSTER" free-port)}
ROWS=${ROWS:-200000}
DIR=$(mktemp -d /tmp/ap-bench-models.XXXXXX)
export PGBIN
cleanup() { "$CLUSTER" destroy "$DIR" "$PORT" >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$CLUSTER" init "$DIR" "$PORT" bench
cat >>"$DIR/data/postgresql.conf" <<CONF
shared_buffers = '512MB'
max_wal_size = '4GB'
synchronous_commit = off
CONF
"$CLUSTER" start "$DIR" "$PORT" bench >/dev/null
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGDATABASE=bench
"$PGBIN/psql" -qX -v ON_ERROR_STOP=1 -c "CREATE EXTENSION alphapulse" \
	-f "$HERE/../test/fixtures/models/bars.sql" -c "SELECT pg_temp.make_bars('btc', $ROWS, 'bench')" >/dev/null
/usr/bin/python3 "$HERE/models_bench.py"
