#!/bin/sh
# Real-time benchmark (issue 9): latency from the COMMIT of one new bar to the
# NOTIFY alphapulse_signals a listening client receives (p50, p99 over 1,000
# bars, default 40-feature set, XGBoost champion, three runs); the cost per
# bar of landing it with real time on against off; ap_build_features per new
# bar from the saved state against a rebuild from scratch.
# Starts its own PostgreSQL from PGBIN (default: the system PostgreSQL 15, or
# $(PG_CONFIG --bindir)) with the extension installed there, on BENCH_PORT.
#   PG_CONFIG=/tmp/pg-x/usr/lib/postgresql/15/bin/pg_config bench/realtime.sh
set -eu
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=${PGBIN:-$("$PG_CONFIG" --bindir)}
HERE=$(cd "$(dirname "$0")" && pwd)
CLUSTER=$HERE/../test/bin/cluster.sh	# the one cluster helper
PORT=${BENCH_PORT:-$("$CLUSTER" free-port)}
HISTORY=${HISTORY:-2000}	# bars before the measured ones
DIR=$(mktemp -d /tmp/ap-bench-realtime.XXXXXX)
export PGBIN
cleanup() { "$CLUSTER" destroy "$DIR" "$PORT" >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$CLUSTER" start "$DIR" "$PORT" bench >/dev/null
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGDATABASE=bench
# setup (not timed): bars, the default features, an XGBoost champion, its signals
"$PGBIN/psql" -qX -v ON_ERROR_STOP=1 -c "CREATE EXTENSION alphapulse" \
	-f "$HERE/../test/fixtures/models/bars.sql" -c "SELECT pg_temp.make_bars('btc', $HISTORY, 'realtime')" \
	-c "SET alphapulse.progress_notices = off" -c "SET alphapulse.xgboost_threads = 1" \
	-c "SELECT ap_train('btc')" -c "SELECT ap_score('btc')" >/dev/null
/usr/bin/python3 "$HERE/realtime_bench.py"
