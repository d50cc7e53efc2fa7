#!/usr/bin/env bash
# make valgrind: the pg_regress suite (sql/ + expected/, what `make
# installcheck` runs) against a private cluster whose postmaster and every
# backend and background worker (the feed worker, pg_cron) run under valgrind
# memcheck; then a summary of valgrind's errors.  Fails when an error has a
# frame in alphapulse.so or in libxgboost/libcurl called from it, when a
# traced process died of a signal, or when the suite fails.
#
# What is traced: the postmaster and everything it forks (backends, workers
# share its image, so valgrind follows them).  Programs a backend starts
# with exec (the training helper, if any) run natively unless
# VALGRIND_TRACE_EXEC=1 (--trace-children=yes; much slower, and a child
# whose address space is capped with RLIMIT_AS before exec cannot start
# under valgrind).  --child-silent-after-fork is not used: backends are
# forked children, and their errors are the point; each process logs to
# its own file (%p).
# The server is a stock Debian build without USE_VALGRIND: memcheck sees
# malloc-level errors (XGBoost, libcurl, libxml2 use malloc) and uses of
# uninitialised values everywhere, not overruns inside palloc chunks.
# Leak checking is off (memory contexts free at context reset, not free()).
#
# Env: PGBIN (default the system PostgreSQL 15), PORT (default a free one),
#      VALGRIND_DIR (/tmp/alphapulse-valgrind: cluster, logs, summary; kept),
#      VALGRIND_TIMEOUT (seconds for the suite, 5400),
#      VALGRIND_TRACE_EXEC (0), VALGRIND_EXTRA (more valgrind options,
#      default --track-origins=yes).
# Takes 10-40 minutes on 2 cores (the suite alone takes about 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
export PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
export PATH=$PGBIN:$PATH PG_CONFIG=$PGBIN/pg_config
dir=${VALGRIND_DIR:-/tmp/alphapulse-valgrind}
timeout_s=${VALGRIND_TIMEOUT:-5400}
extra=${VALGRIND_EXTRA:---track-origins=yes}
trace_exec=no
[ "${VALGRIND_TRACE_EXEC:-0}" = 1 ] && trace_exec=yes
db=alphapulse
# rm -rf below: only ever a directory under /tmp.
if [[ $dir != /tmp/?* || $dir == *..* ]]; then
	echo "valgrind.sh: VALGRIND_DIR must be under /tmp (got $dir)" >&2
	exit 2
fi
log() { echo "[valgrind] $(date -u +%H:%M:%S) $*" >&2; }

as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "$@")
	fi
}

. test/bin/cluster.sh	# ap_cluster, ap_free_port, ap_wait_until
port=${PORT:-$(ap_free_port)}

command -v valgrind >/dev/null || test/bin/deps.sh
test/bin/deps.sh
make
make install

# A fresh cluster, initialised natively by cluster.sh (same settings as the
# tests), then stopped and restarted under valgrind.
data=$dir/cluster/data
test/bin/cluster.sh destroy "$dir/cluster" "$port" >/dev/null 2>&1 || true
rm -rf "$dir"
mkdir -p "$dir/vg"
test/bin/cluster.sh start "$dir/cluster" "$port" "$db" >/dev/null
test/bin/cluster.sh stop "$dir/cluster" "$port"
cat >>"$data/postgresql.conf" <<CONF
# --- valgrind.sh ---
jit = off                          # LLVM JIT code only adds noise and time
max_connections = 40
CONF
cp test/valgrind/postgresql.supp "$dir/postgresql.supp"
if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$dir"; fi

vgpid=
stop_server() {
	if [ -f "$data/postmaster.pid" ]; then
		as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 900 stop >/dev/null 2>&1 ||
			as_pg "$PGBIN/pg_ctl" -D "$data" -m immediate -w -t 300 stop >/dev/null 2>&1 || true
	fi
	# valgrind writes each process's final summary after it exits
	if [ -n "$vgpid" ]; then wait "$vgpid" 2>/dev/null || true; vgpid=; fi
}
trap 'stop_server' EXIT

log "starting postgres under valgrind on port $port (trace exec'd children: $trace_exec); logs in $dir/vg"
start=$(date +%s)
# shellcheck disable=SC2086
as_pg valgrind --tool=memcheck --leak-check=no --error-limit=no \
	--num-callers=40 --gen-suppressions=all \
	--error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END \
	--trace-children=$trace_exec \
	--suppressions="$dir/postgresql.supp" \
	--log-file="$dir/vg/%p.log" $extra \
	"$PGBIN/postgres" -D "$data" >"$dir/cluster/log/postgresql.log" 2>&1 &
vgpid=$!
# ready, or dead (then there is nothing to wait for)
ready_or_dead() { "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres || ! kill -0 "$vgpid" 2>/dev/null; }
ap_wait_until 600 "postgres under valgrind to accept connections" ready_or_dead || true
kill -0 "$vgpid" 2>/dev/null || { log "server died on start"; tail -n 20 "$dir/cluster/log/postgresql.log" >&2; exit 1; }
"$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres || { log "server not ready after 600 s"; exit 1; }
log "server ready after $(( $(date +%s) - start )) s; running the pg_regress suite (timeout ${timeout_s}s)"

export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
suite_start=$(date +%s)
rc=0
timeout "$timeout_s" make installcheck >"$dir/regress.out" 2>&1 || rc=$?
suite_s=$(( $(date +%s) - suite_start ))
cat "$dir/regress.out"
[ -f regression.diffs ] && cp regression.diffs "$dir/" || true
log "suite finished in ${suite_s}s (exit $rc); stopping the server"
# Did the server restart mid-suite (a backend crash)?
crashes=$(grep -cE 'terminating any other active server processes|was terminated by signal' "$dir/cluster/log/postgresql.log" || true)
stop_server
total_s=$(( $(date +%s) - start ))
cp "$dir/cluster/log/postgresql.log" "$dir/postgresql.log"

ok=$(grep -cE '\.\.\. ok|^ok ' "$dir/regress.out" || true)
bad=$(grep -cE '\.\.\. FAILED|\.\.\. failed|^not ok ' "$dir/regress.out" || true)
# Tests whose output legitimately differs under valgrind (known-diffs: test
# name, then why) do not fail the run when their process did not abort.
known=0
while read -r t _; do
	[ -n "$t" ] && [ "${t:0:1}" != '#' ] || continue
	if grep -qE "^(test | +)?$t +\.\.\. FAILED +[0-9]+ ms" "$dir/regress.out"; then
		known=$((known + 1))
		echo "note: $t differs under valgrind as expected: $(grep -E "^$t " test/valgrind/known-diffs | cut -d' ' -f2- | sed 's/^ *//')"
	fi
done <test/valgrind/known-diffs
so=$("$PG_CONFIG" --pkglibdir)/alphapulse.so
vrc=0
python3 test/valgrind/summarize.py --so "$so" --src "$root/src" \
	--summary "$dir/summary.txt" "$dir"/vg/*.log || vrc=$?
echo "pg_regress under valgrind: $ok ok, $bad failed (exit $rc) in ${suite_s}s; whole run ${total_s}s"
echo "server restarts (crash messages in the server log): $crashes"
echo "logs and summary: $dir"
fail=0
if [ "$bad" -gt "$known" ] || { [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; }; then
	echo "FAIL: the regression suite failed under valgrind (diffs: $dir/regression.diffs)"
	fail=1
fi
[ "$crashes" -eq 0 ] || { echo "FAIL: the server restarted after a crash (see $dir/postgresql.log)"; fail=1; }
[ "$vrc" -eq 0 ] || { echo "FAIL: valgrind errors in AlphaPulse (see $dir/summary.txt)"; fail=1; }
[ $fail -eq 0 ] && echo "valgrind: clean"
exit $fail
