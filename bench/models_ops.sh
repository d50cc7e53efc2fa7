#!/bin/sh
# Models-over-time benchmark: ap_export_model + ap_import_model of an XGBoost
# model against what a user would otherwise script in Python (psycopg2 reads
# the row, XGBoost loads the bytes to check them, hashlib, json; then writes
# the row back), and ap_prune against the plain DELETE statements of the same
# policy.  Starts its own cluster (test/bin/cluster.sh) on BENCH_PORT.
#   PGBIN=/tmp/pg-x/usr/lib/postgresql/15/bin bench/models_ops.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${BENCH_PORT:-54391}
DIR=$(mktemp -d /tmp/ap-bench-modelsops.XXXXXX)
export PGBIN
cleanup() { "$HERE/../test/bin/cluster.sh" destroy "$DIR" "$PORT" >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$HERE/../test/bin/cluster.sh" start "$DIR" "$PORT" bench >/dev/null
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGDATABASE=bench
"$PGBIN/psql" -qX -v ON_ERROR_STOP=1 -c "CREATE EXTENSION alphapulse" \
	-f "$HERE/../test/fixtures/models/bars.sql" -c "SELECT pg_temp.make_bars('btc', ${ROWS:-20000}, 'bench')" >/dev/null
/usr/bin/python3 "$HERE/models_ops_bench.py"
