#!/bin/sh
# Scoring benchmark: ap_score of ROWS feature rows (200k hourly bars x the
# default 40 features, XGBoost champion) against what the old inference
# engine did: Python reading the same feature rows with psycopg2, predicting
# with XGBoost (Debian's python3-xgboost) and writing the signals back with
# COPY.  Both write into an emptied alphapulse.signals; RUNS runs each,
# alternating, on a private server started from PGBIN on BENCH_PORT.
#   PG_CONFIG=/tmp/pg-x/usr/lib/postgresql/15/bin/pg_config bench/score.sh
set -eu
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=${PGBIN:-$("$PG_CONFIG" --bindir)}
HERE=$(cd "$(dirname "$0")" && pwd)
CLUSTER=$HERE/../test/bin/cluster.sh	# the one cluster helper
PORT=${BENCH_PORT:-$("$CLUSTER" free-port)}
ROWS=${ROWS:-200000}
DIR=$(mktemp -d /tmp/ap-bench-score.XXXXXX)
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
	-f "$HERE/../test/fixtures/models/bars.sql" -c "SELECT pg_temp.make_bars('btc', $ROWS, 'bench')" \
	-c "SET alphapulse.xgboost_threads = 1" -c "SET alphapulse.progress_notices = off" -c "SELECT ap_build_features('btc')" \
	-c "SELECT ap_promote(ap_train('btc', params => '{\"num_round\": 200, \"early_stopping_rounds\": 0}'))" \
	-c "VACUUM ANALYZE alphapulse.features" >/dev/null
/usr/bin/python3 "$HERE/score_bench.py"
