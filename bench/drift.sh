#!/bin/sh
# Drift benchmark: ap_drift end to end against SciPy (Evidently's default
# tests written with numpy/SciPy from Debian) on the same rows read with
# psycopg2: 40 features x ~100k reference x 10k recent rows.
# Starts its own PostgreSQL from PGBIN (default: the system PostgreSQL 15, or
# $(PG_CONFIG --bindir)) with the extension installed there, on BENCH_PORT.
#   PG_CONFIG=/tmp/pg-x/usr/lib/postgresql/15/bin/pg_config bench/drift.sh
set -eu
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=${PGBIN:-$("$PG_CONFIG" --bindir)}
HERE=$(cd "$(dirname "$0")" && pwd)
CLUSTER=$HERE/../test/bin/cluster.sh	# the one cluster helper
PORT=${BENCH_PORT:-$("$CLUSTER" free-port)}
# the champion trains on 80% of the rows (less a gap), so 125k bars give ~100k reference rows
BARS=${BARS:-125000}
DIR=$(mktemp -d /tmp/ap-bench-drift.XXXXXX)
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
# setup (not timed): bars (moved 15 x 365 days back so that they end in the past),
# features, a ridge champion, its logged scores
"$PGBIN/psql" -qX -v ON_ERROR_STOP=1 -c "CREATE EXTENSION alphapulse" \
	-f "$HERE/../test/fixtures/models/bars.sql" -c "SELECT pg_temp.make_bars('btc', $BARS, 'drift')" \
	-c "UPDATE alphapulse.bars SET ts = ts - interval '131400 hours'" \
	-c "SET alphapulse.progress_notices = off" -c "SELECT ap_train('btc', 'fast', 'ridge')" \
	-c "SELECT ap_score('btc')" >/dev/null
/usr/bin/python3 "$HERE/drift_bench.py"
