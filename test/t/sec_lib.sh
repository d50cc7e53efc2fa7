# sec_lib.sh - shared by test/t/50_dump_restore.t and 60_roles.t: TAP
# helpers and a server.  With PGHOST/PGPORT set (make test) the tests use
# that cluster and make their own databases and roles in it; otherwise they
# start a private cluster with test/bin/cluster.sh, removed on exit.
#   PGBIN   PostgreSQL bin dir (default /usr/lib/postgresql/15/bin)

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
. "$TOP/test/bin/cluster.sh"	# the one cluster helper: ap_cluster, ap_free_port, ap_wait_until
export PATH=$PGBIN:$PATH PGUSER=${PGUSER:-postgres}
SEC_CLUSTER=
SEC_CLEANUP=()
TAPN=0
TAPFAIL=0

sec_cleanup() {
	local c
	for c in "${SEC_CLEANUP[@]}"; do eval "$c" >/dev/null 2>&1; done
	[ -n "$SEC_CLUSTER" ] && ap_cluster destroy "$SEC_CLUSTER" "$PGPORT" >/dev/null 2>&1
	return 0
}
trap sec_cleanup EXIT
on_exit() { SEC_CLEANUP=("$*" "${SEC_CLEANUP[@]}"); }	# run at exit, last added first

if [ -z "${PGHOST:-}" ] || [ -z "${PGPORT:-}" ]; then
	PGPORT=$(ap_free_port)
	SEC_CLUSTER=$(mktemp -d /tmp/ap-sec-t.XXXXXX)
	PGHOST=127.0.0.1
	ap_cluster start "$SEC_CLUSTER" "$PGPORT" >/dev/null ||
		{ echo "Bail out! cluster did not start"; exit 1; }
fi
export PGHOST PGPORT

ok() {		# ok <0|1 as exit status> <description>
	TAPN=$((TAPN + 1))
	if [ "$1" = 0 ]; then echo "ok $TAPN - $2"; else echo "not ok $TAPN - $2"; TAPFAIL=$((TAPFAIL + 1)); fi
	[ "$1" = 0 ]	# so that "ok … || diag …" shows why
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
wait_for() { ap_wait_until "$1" "$3" _sql_true "$2" "$3"; }
_sql_true() { [ "$(q "$1" "$2")" = t ]; }

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
