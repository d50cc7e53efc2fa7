#!/usr/bin/env bash
# make load: pgbench with CLIENTS (32) clients for DURATION (300) seconds
# against a private cluster loaded with the sample bars
# (test/data/sample_bars.csv) and three models per symbol, mixing weighted
# scripts (bench/load/*.sql):
#   ingest 30      new bars for the client's own symbols (client 0: btc, eth)
#   build 10       ap_build_features, on btc/eth or a client symbol
#   score 10       ap_score of the last two days by the champion
#   predict 15     ap_predict by the champion and by a random model
#   indicators 10  window indicators over the last 300 bars
#   views 15       champions, features_default, signals, feature_values
#   promote 5      ap_promote of a random non-champion model
#   rollback 5     ap_rollback when there is an earlier champion
# (LOAD_MIX="script@weight ..." runs another mix of them.)
# Then asserts: pgbench ran to the end with zero failed transactions, no
# deadlock (pg_stat_database), no lost or doubled bar (every bar a client
# inserted is there exactly once), one feature row per bar after a final
# build, exactly one champion per symbol, and the server never restarted.
# Prints per-script TPS and latency (average, p50, p99, max).
#   bench/load.sh                  (or: make load; DURATION=30 for a quick run)
# Env: PGBIN (system PostgreSQL 15), DURATION (300), CLIENTS (32), THREADS (4),
#      PORT (a free one), LOAD_DIR (/tmp/alphapulse-load; the cluster is
#      removed at the end unless LOAD_KEEP=1; pgbench logs and the report,
#      report.txt, are kept in LOAD_DIR/out).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
export PATH=$PGBIN:$PATH PG_CONFIG=$PGBIN/pg_config
duration=${DURATION:-300}
clients=${CLIENTS:-32}
threads=${THREADS:-4}
dir=${LOAD_DIR:-/tmp/alphapulse-load}
db=alphapulse
if [[ $dir != /tmp/?* || $dir == *..* ]]; then
	echo "load.sh: LOAD_DIR must be under /tmp (got $dir)" >&2
	exit 2
fi
log() { echo "[load] $(date -u +%H:%M:%S) $*" >&2; }

. test/bin/cluster.sh	# ap_free_port, ap_wait_until
port=${PORT:-$(ap_free_port)}
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=$db
q() { psql -X -qAt -v ON_ERROR_STOP=1 "$@"; }

test/bin/deps.sh
make >/dev/null
make install >/dev/null

cluster=$dir/cluster
out=$dir/out
test/bin/cluster.sh destroy "$cluster" "$port" >/dev/null 2>&1 || true
rm -rf "$out"
mkdir -p "$out"
cleanup() {
	local rc=$?
	if [ $rc -ne 0 ] && [ -f "$cluster/log/postgresql.log" ]; then
		log "failed (exit $rc); last server log lines:"
		tail -n 15 "$cluster/log/postgresql.log" >&2 || true
	fi
	[ -f "$cluster/log/postgresql.log" ] && cp "$cluster/log/postgresql.log" "$out/" || true
	if [ "${LOAD_KEEP:-0}" != 1 ]; then
		test/bin/cluster.sh destroy "$cluster" "$port" >/dev/null 2>&1 || true
	fi
	exit $rc
}
trap cleanup EXIT
test/bin/cluster.sh start "$cluster" "$port" "$db" >/dev/null

log "loading the sample bars and training three models per symbol"
t0=$(date +%s)
# \copy reads the CSV client-side: the server may not be able to read this tree.
PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION alphapulse;
\copy alphapulse.assets (symbol, description, bar_interval) FROM 'test/data/sample_assets.csv' WITH (FORMAT csv, HEADER true)
\copy alphapulse.bars (symbol, ts, open, high, low, close, volume) FROM 'test/data/sample_bars.csv' WITH (FORMAT csv, HEADER true)
ANALYZE alphapulse.bars;
SQL
# champion xgboost, challengers logistic and ridge; one promotion and back,
# so that rollbacks have an earlier champion from the start
q <<'SQL' >"$out/models.txt"
SELECT symbol, ap_train(symbol), ap_train(symbol, algorithm => 'logistic'), ap_train(symbol, algorithm => 'ridge')
FROM alphapulse.assets WHERE symbol IN ('btc', 'eth') ORDER BY symbol;
SELECT ap_promote(id) FROM alphapulse.models WHERE algorithm = 'logistic';
SQL
q -v clients="$clients" -f bench/load/setup.sql
log "setup took $(( $(date +%s) - t0 )) s: $(q -c "SELECT count(*) FROM alphapulse.bars") bars, $(q -c "SELECT count(*) FROM alphapulse.models") models, $(q -c "SELECT count(*) FROM load.base") symbols"

IFS='|' read -r start_time deadlocks0 < <(q -F '|' -c "SELECT pg_postmaster_start_time(), deadlocks FROM pg_stat_database WHERE datname = current_database()")
# LOAD_MIX: another mix of the same scripts, e.g. "ingest@50 predict@50"
read -r -a scripts <<<"${LOAD_MIX:-ingest@30 build@10 score@10 predict@15 indicators@10 views@15 promote@5 rollback@5}"
args=()
names=()
for s in "${scripts[@]}"; do
	args+=(-f "bench/load/${s%@*}.sql@${s#*@}")
	names+=("${s%@*}")
done

log "pgbench: $clients clients, $threads threads, ${duration}s"
rc=0
pgbench -n -c "$clients" -j "$threads" -T "$duration" -P 30 -l --log-prefix="$out/xact" \
	"${args[@]}" >"$out/pgbench.out" 2>"$out/pgbench.err" || rc=$?
log "pgbench exit $rc"

# after a crash the server recovers first: wait for it to accept queries
ap_wait_until 60 "the server to accept queries" q -c 'SELECT 1'
# backends report their statistics when they exit: wait for them to go
no_clients() { [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()" 2>/dev/null)" = 0 ]; }
ap_wait_until 30 "pgbench's backends to exit" no_clients || true
IFS='|' read -r start_time1 deadlocks1 < <(q -F '|' -c "SELECT pg_postmaster_start_time(), deadlocks FROM pg_stat_database WHERE datname = current_database()")

# catch up the features of every symbol, then the data assertions
q -c "SELECT sum(ap_build_features(symbol)) FROM load.base" >/dev/null
checks=$(q -F '|' -f bench/load/check.sql)

fail=0
{
	echo "AlphaPulse load test: $clients clients, $threads threads, ${duration}s, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
	echo "scripts: ${scripts[*]}"
	echo
	sed -n '/^transaction type/,$p' "$out/pgbench.out"
	echo
	python3 bench/load/latency.py "$duration" "${names[@]}" -- "$out"/xact.*
	echo
	echo "assertions:"
	nfailed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out/pgbench.out")
	aborted=$(grep -c 'aborted' "$out/pgbench.err" || true)
	check() { # name ok detail
		if [ "$2" = t ]; then echo "  ok    $1${3:+ ($3)}"; else echo "  FAIL  $1${3:+: $3}"; fail=1; fi
	}
	check "pgbench ran to the end" "$([ "$rc" -eq 0 ] && [ "$aborted" -eq 0 ] && echo t)" \
		"exit $rc, $aborted clients aborted"
	check "zero failed transactions" "$([ "${nfailed:-x}" = 0 ] && echo t)" "${nfailed:-no count} failed"
	check "no deadlock" "$([ "$deadlocks1" = "$deadlocks0" ] && echo t)" "pg_stat_database.deadlocks $deadlocks0 -> $deadlocks1"
	check "server never restarted" \
		"$([ "$start_time" = "$start_time1" ] && ! grep -qE 'terminated by signal|exited with exit code|terminating any other active server' "$cluster/log/postgresql.log" && echo t)" \
		"started $start_time"
	while IFS='|' read -r name ok detail; do
		[ -n "$name" ] && check "$name" "$ok" "$detail"
	done <<<"$checks"
	errs=$(grep -E ' (ERROR|FATAL|PANIC): ' "$cluster/log/postgresql.log" | sed -E 's/^.* (ERROR|FATAL|PANIC): /\1: /' | sort | uniq -c | sort -rn || true)
	if [ -n "$errs" ]; then
		echo
		echo "server errors during the run (count, message):"
		echo "$errs" | head -20
		echo
		echo "pgbench errors (first 10):"
		head -n 10 "$out/pgbench.err"
	fi
	echo
	[ $fail -eq 0 ] && echo "load test: passed" || echo "load test: FAILED"
} 2>&1 | tee "$out/report.txt"
grep -q '^load test: passed' "$out/report.txt"
