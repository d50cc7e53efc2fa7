#!/usr/bin/env bash
# make test (and CI): build with -Werror, install, then run the pg_regress
# suite (sql/, expected/), the kernel unit tests (test/unit) and the pgTAP
# files (test/*.sql) against a throwaway cluster.  Ends with one line
# "N passed, N failed"; exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# PGBIN: the PostgreSQL 15 bin directory to build against and run (default
# the system one; test/bin/private-pg.sh makes a private copy).
export PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
export PATH=$PGBIN:$PATH PG_CONFIG=$PGBIN/pg_config

test/bin/deps.sh
make
make install

# A free port (cluster.sh: no TCP socket uses it, below the ephemeral range).
port=$(test/bin/cluster.sh free-port)
dir=$(mktemp -d /tmp/alphapulse-test.XXXXXX)
db=alphapulse
trap 'test/bin/cluster.sh destroy "$dir" "$port" >/dev/null 2>&1 || true' EXIT
test/bin/cluster.sh start "$dir" "$port" "$db"
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres

passed=0 failed=0

# pg_regress: one result line per test ("... ok" / "... FAILED").
rc=0
make installcheck 2>&1 | tee "$dir/regress.out" || rc=$?
ok=$(grep -cE '\.\.\. ok' "$dir/regress.out" || true)
bad=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$dir/regress.out" || true)
if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi  # pg_regress itself broke
passed=$((passed + ok)) failed=$((failed + bad))
if [ -f regression.diffs ] && [ "$bad" -gt 0 ]; then
	echo "=== regression.diffs ==="
	cat regression.diffs
fi

# C kernel unit tests (TAP, no server), counted as one test program.
if [ -f test/unit/Makefile ]; then
	if make -C test/unit check; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi

# libFuzzer harnesses (test/fuzz): a short bounded run of each over its
# committed corpus, under ASan and UBSan, counted as one test program.
if ls test/fuzz/fuzz_*.c >/dev/null 2>&1; then
	if make -s -C test/fuzz check; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi

# pgTAP: every test/*.sql in one database, run from the repo root so that
# \copy of test/fixtures/... works.
shopt -s nullglob
# test/10_golden_ttr.sql's reference values, generated and checksummed first
# (cached in build/cache) so that a failure says why here.
test/bin/ttr_golden.sh >/dev/null || failed=$((failed + 1))
tap=(test/*.sql)
if [ ${#tap[@]} -gt 0 ]; then
	rc=0
	if psql -X -q -v ON_ERROR_STOP=1 -d "$db" \
		-c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION alphapulse'; then
		pg_prove -d "$db" "${tap[@]}" 2>&1 | tee "$dir/prove.out" || rc=$?
	else
		rc=1
	fi
	# The harness's summary report has one "FILE (Wstat: ...)" line per failed file.
	bad=$(grep -cE '^test/.*\.sql +\(Wstat:' "$dir/prove.out" 2>/dev/null || true)
	if [ "$rc" -ne 0 ] && [ "${bad:-0}" -eq 0 ]; then bad=${#tap[@]}; fi  # setup or pg_prove broke
	passed=$((passed + ${#tap[@]} - bad)) failed=$((failed + bad))
fi

# Process-level tests (several servers, fixture HTTP servers, crashes): each
# executable test/t/*.t prints TAP and starts and removes what it needs.
ttests=(test/t/*.t)
if [ ${#ttests[@]} -gt 0 ]; then
	rc=0
	prove -v "${ttests[@]}" 2>&1 | tee "$dir/prove_t.out" || rc=$?
	# the summary has one "FILE (Wstat: ...)" line per failed script
	bad=$(grep -cE '^test/t/[^ ]+ +\(Wstat:' "$dir/prove_t.out" 2>/dev/null || true)
	# a "Bail out!" stops prove: the scripts it never ran count as failed
	if grep -q '^FAILED--Further testing stopped' "$dir/prove_t.out"; then
		bad=$(( ${#ttests[@]} - $(grep -cE '^ok$' "$dir/prove_t.out" || true) ))  # prove -v ends each passed script with "ok" 
	fi
	if [ "$rc" -ne 0 ] && [ "${bad:-0}" -eq 0 ]; then bad=${#ttests[@]}; fi  # prove itself broke
	passed=$((passed + ${#ttests[@]} - bad)) failed=$((failed + bad))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
