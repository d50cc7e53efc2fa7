#!/usr/bin/env bash
# Benchmark the ap_* window indicators against lag()/avg() windows, PL/pgSQL
# loops and a pandas round trip, on 1,000,000 bars in a private cluster.
#   bench/run.sh            (or: make bench)
# Env: AP_BENCH_RUNS (5), AP_BENCH_NO_EXT=1 (skip build and ap_* rows),
#      AP_BENCH_DIR (/tmp/alphapulse-bench), AP_BENCH_PORT (a free one),
#      AP_BENCH_CLUSTER (test/bin/cluster.sh; same start|stop|destroy interface).
# Takes about 5 minutes on 2 cores; the naive numeric PL/pgSQL EMA runs over
# fewer symbols and is scaled up (bench.py --plpgsql-budget), as the table says.
# Prints a table of medians and ratios; slow results never fail the script.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bench=$root/bench
dir=${AP_BENCH_DIR:-/tmp/alphapulse-bench}
port=${AP_BENCH_PORT:-$("$root/test/bin/cluster.sh" free-port)}
db=alphapulse_bench
runs=${AP_BENCH_RUNS:-5}
no_ext=${AP_BENCH_NO_EXT:-0}
cluster=${AP_BENCH_CLUSTER:-$root/test/bin/cluster.sh}
py=/usr/bin/python3   # Debian's interpreter: pandas, numpy, psycopg2 from apt
bin=/usr/lib/postgresql/15/bin
buildlog=$(mktemp /tmp/alphapulse-bench-build.XXXXXX)

log() { echo "[bench] $*" >&2; }
psql_db() { "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$db" "$@"; }

cleanup() {
	local rc=$?
	if [ $rc -ne 0 ] && [ -f "$dir/log/postgresql.log" ]; then
		log "failed (exit $rc); last server log lines:"
		tail -n 20 "$dir/log/postgresql.log" >&2 || true
	fi
	"$cluster" destroy "$dir" "$port" >/dev/null 2>&1 || true
	rm -f "$buildlog"
	exit $rc
}

# 1. dependencies, build, install
if [ -f "$root/test/bin/deps.sh" ]; then
	log "checking Debian packages (test/bin/deps.sh)"
	bash "$root/test/bin/deps.sh" >&2
fi
if [ "$no_ext" != 1 ]; then
	log "building and installing the extension (make && make install)"
	if ! (cd "$root" && make && make install) >"$buildlog" 2>&1; then
		tail -n 40 "$buildlog" >&2
		log "build failed"
		exit 1
	fi
fi
[ -x "$cluster" ] || { log "no cluster script at $cluster"; exit 1; }

# 2. private cluster, torn down on any exit
trap cleanup EXIT
"$cluster" destroy "$dir" "$port" >/dev/null 2>&1 || true
log "starting private cluster in $dir on port $port"
"$cluster" start "$dir" "$port" "$db" >&2
# the 1M-row table (~250 MB with its index) should sit in shared buffers
"$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
	-c "ALTER SYSTEM SET shared_buffers = '1GB'"
"$cluster" stop "$dir" "$port" "$db"
"$cluster" start "$dir" "$port" "$db" >/dev/null
psql_db <<SQL
ALTER DATABASE $db SET work_mem = '256MB';
ALTER DATABASE $db SET max_parallel_workers_per_gather = 0;
ALTER DATABASE $db SET jit = off;
SQL
if [ "$no_ext" != 1 ]; then
	psql_db -c "CREATE EXTENSION alphapulse CASCADE"
fi

# 3. data and the PL/pgSQL alternatives
log "generating 1,000,000 bars (bench/data.sql)"
t0=$(date +%s)
psql_db -f "$bench/data.sql" >/dev/null
log "data loaded in $(( $(date +%s) - t0 )) s"
psql_db -f "$bench/plpgsql.sql" >/dev/null

# 4. time everything and print the table
args=(--dsn "host=127.0.0.1 port=$port user=postgres dbname=$db" --runs "$runs")
[ "$no_ext" = 1 ] && args+=(--no-ext)
"$py" "$bench/bench.py" "${args[@]}"
