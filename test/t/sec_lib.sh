# sec_lib.sh - shared by test/t/50_dump_restore.t and 60_roles.t: TAP
# helpers and a server.  With PGHOST/PGPORT set (make test) the tests use
# that cluster and make their own databases and roles in it; otherwise they
# start a private cluster with test/bin/cluster.sh, removed on exit.
#   PGBIN   PostgreSQL bin dir (default /usr/lib/postgresql/15/bin)

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
export PATH=$PGBIN:$PATH PGUSER=${PGUSER:-postgres}
SEC_CLUSTER=
SEC_CLEANUP=()
TAPN=0
TAPFAIL=0

sec_cleanup() {
	local c
	for c in "${SEC_CLEANUP[@]}"; do eval "$c" >/dev/null 2>&1; done
	[ -n "$SEC_CLUSTER" ] && PGBIN=$PGBIN "$TOP/test/bin/cluster.sh" destroy "$SEC_CLUSTER" "$PGPORT" >/dev/null 2>&1
	return 0
}
trap sec_cleanup EXIT
on_exit() { SEC_CLEANUP=("$*" "${SEC_CLEANUP[@]}"); }	# run at exit, last added first

if [ -z "${PGHOST:-}" ] || [ -z "${PGPORT:-}" ]; then
	for _ in $(seq 50); do
		PGPORT=$((59000 + RANDOM % 900))
		(exec 3<>"/dev/tcp/127.0.0.1/$PGPORT") 2>/dev/null || break
	done
	SEC_CLUSTER=$(mktemp -d /tmp/ap-sec-t.XXXXXX)
	PGHOST=127.0.0.1
	PGBIN=$PGBIN "$TOP/test/bin/cluster.sh" start "$SEC_CLUSTER" "$PGPORT" >/dev/null ||
		{ echo "Bail out! cluster did not start"; exit 1; }
fi
export PGHOST PGPORT

ok() {		# ok <0|1 as exit status> <description>
	TAPN=$((TAPN + 1))
	if [ "$1" = 0 ]; then echo "ok $TAPN - $2"; else echo "not ok $TAPN - $2"; TAPFAIL=$((TAPFAIL + 1)); return 1; fi
}
is() {		# is <got> <want> <description>
	TAPN=$((TAPN + 1))
	if [ "$1" == "$2" ]; then
		echo "ok $TAPN - $3"
	else
		echo "not ok $TAPN - $3"
		printf '#   got: %s\n#  want: %s\n' "$1" "$2"
		TAPFAIL=$((TAPFAIL + 1))
	fi
}
diag() { printf '# %s\n' "$@"; }
done_testing() { echo "1..$TAPN"; [ "$TAPFAIL" -eq 0 ]; }

# q <db> <sql>: unaligned tuples only, stops at the first error
q() { PGOPTIONS="-c client_min_messages=error" psql -X -qAt -d "$1" -v ON_ERROR_STOP=1 -c "$2" 2>&1; }
# qf <db> [psql args]: the same for files and several -c
qf() { local db=$1; shift; PGOPTIONS="-c client_min_messages=error" psql -X -qAt -d "$db" -v ON_ERROR_STOP=1 "$@" 2>&1; }

# wait_for <seconds> <db> <sql returning t when done>
wait_for() {
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		[ "$(q "$2" "$3" 2>/dev/null)" = t ] && return 0
		sleep 0.2
	done
	return 1
}

# new_db <name>: an empty database, dropped at exit
new_db() {
	q postgres "DROP DATABASE IF EXISTS $1" >/dev/null
	q postgres "CREATE DATABASE $1" >/dev/null || { echo "Bail out! cannot create database $1"; exit 1; }
	on_exit "psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS $1 WITH (FORCE)'"
}

# The server log (cluster.sh keeps it beside the data directory), if readable.
server_log() {
	local d
	d=$(q postgres "SHOW data_directory")
	[ -r "$(dirname "$d")/log/postgresql.log" ] && echo "$(dirname "$d")/log/postgresql.log"
}
