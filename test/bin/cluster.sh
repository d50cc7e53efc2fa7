#!/usr/bin/env bash
# The one cluster helper for tests, bench and demo: a private PostgreSQL 15
# cluster, a free port, and waiting on a condition with a deadline.
#   cluster.sh init|start|stop|destroy|status DIR PORT [DBNAME [STOPMODE]]
#   cluster.sh free-port [LOW [SPAN]]
#   cluster.sh wait SECONDS WHAT CMD [ARG...]
# DIR (under /tmp) holds data/, log/postgresql.log and the unix socket; the
# server listens on 127.0.0.1:PORT only, trusts local connections, preloads
# pg_cron and alphapulse, and has database DBNAME (default alphapulse) for
# pg_cron and the feed worker.  init creates and configures without starting
# (append to DIR/data/postgresql.conf, then start); stop takes pg_ctl's
# shutdown mode (fast by default; immediate simulates a crash).  Idempotent.
# Sourced (". test/bin/cluster.sh"), it only defines the functions
# ap_cluster, ap_free_port, ap_wait_until and ap_wait_sql for scripts.
# Env: PGBIN (default /usr/lib/postgresql/15/bin).

# ap_free_port [LOW [SPAN]]: a port in LOW..LOW+SPAN-1 (default 20000..29999,
# below Linux's ephemeral range, where outgoing connections take their local
# ports) that no TCP socket uses, listening or not.
ap_free_port() {
	local low=${1:-20000} span=${2:-10000} p used
	used=$(_ap_used_ports)
	for _ in $(seq 100); do
		p=$((low + RANDOM % span))
		case " $used " in *" $p "*) continue ;; esac
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
		echo "$p"
		return 0
	done
	echo "cluster.sh: no free port in $low..$((low + span - 1))" >&2
	return 1
}
# the local ports of every TCP socket (/proc/net/tcp*: hex after the colon)
_ap_used_ports() {
	local h
	for h in $(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk 'NR > 1 && $1 != "sl" { split($2, a, ":"); print a[2] }'); do
		printf '%d ' "$((16#$h))"
	done
	echo
}

# ap_wait_until SECONDS WHAT CMD [ARG...]: run CMD until it succeeds; after
# SECONDS give up, say what was awaited on stderr and return 1.  The deadline
# only bounds a failure: a slow machine makes the wait longer, never wrong.
# AP_WAIT_SCALE (default 1) multiplies every deadline (valgrind, slow CI).
ap_wait_until() {
	local secs=$1 what=$2 start=$SECONDS
	shift 2
	local limit=$(( secs * ${AP_WAIT_SCALE:-1} ))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		if [ $((SECONDS - start)) -ge "$limit" ]; then
			echo "timed out after ${limit}s waiting for: $what" >&2
			return 1
		fi
		sleep 0.1	# poll interval, not a wait for anything
	done
}

# ap_wait_sql SECONDS SQL [psql args...]: until SQL returns t.
ap_wait_sql() {
	local secs=$1 sql=$2
	shift 2
	_ap_sql_true() { [ "$("${PGBIN:-/usr/lib/postgresql/15/bin}/psql" -X -qAt "$@" -c "$sql" 2>/dev/null)" = t ]; }
	ap_wait_until "$secs" "$sql" _ap_sql_true "$@"
}

# ap_cluster ACTION DIR PORT [DBNAME [STOPMODE]]: see the header.
ap_cluster() {
	[ $# -ge 3 ] || { echo "usage: cluster.sh init|start|stop|destroy|status DIR PORT [DBNAME [STOPMODE]]" >&2; return 2; }
	local action=$1 dir=$2 port=$3 db=${4:-alphapulse} mode=${5:-fast}
	# destroy runs rm -rf "$DIR": only ever below /tmp.
	if [[ $dir != /tmp/?* || $dir == *..* ]]; then
		echo "cluster.sh: DIR must be a path under /tmp (got $dir)" >&2
		return 2
	fi
	local bin=${PGBIN:-/usr/lib/postgresql/15/bin}
	local data=$dir/data log=$dir/log/postgresql.log
	case $action in
		init) [ -f "$data/PG_VERSION" ] || _ap_init ;;
		start)
			_ap_running && { echo "cluster running: $dir, 127.0.0.1:$port, database $db, log $log"; return 0; }
			[ -f "$data/PG_VERSION" ] || _ap_init || return 1
			if ! _ap_as_pg "$bin/pg_ctl" -D "$data" -l "$log" -w -t 120 start >/dev/null; then
				echo "cluster.sh: server failed to start; last lines of $log:" >&2
				tail -n 20 "$log" >&2 || true
				return 1
			fi
			# An older cluster may lack the database pg_cron is pointed at.
			if [ -z "$("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -XAtqc \
				"SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
				"$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db" || return 1
			fi
			echo "cluster running: $dir, 127.0.0.1:$port, database $db, log $log" ;;
		stop) ! _ap_running || _ap_as_pg "$bin/pg_ctl" -D "$data" -m "$mode" -w -t 120 stop >/dev/null ;;
		destroy) { ! _ap_running || _ap_as_pg "$bin/pg_ctl" -D "$data" -m "$mode" -w -t 120 stop >/dev/null; } && rm -rf "$dir" ;;
		status) if _ap_running; then echo "running: $dir port $port"; else echo "not running: $dir"; return 3; fi ;;
		*) echo "cluster.sh: unknown action $action" >&2; return 2 ;;
	esac
}

# initdb and pg_ctl refuse root: run them as postgres, from a directory
# postgres can read (the caller's checkout may be private to root).
_ap_as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "$@")
	fi
}
_ap_running() { [ -f "$data/PG_VERSION" ] && _ap_as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }
_ap_init() {
	mkdir -p "$dir/log"
	if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$dir"; fi
	_ap_as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C >"$dir/log/initdb.log" || return 1
	# Create pg_cron's database before its launcher first looks for it.
	case $db in
		postgres|template1) ;;
		*) echo "CREATE DATABASE \"$db\"" | _ap_as_pg "$bin/postgres" --single -D "$data" postgres >>"$dir/log/initdb.log" 2>&1 ;;
	esac
	cat >>"$data/postgresql.conf" <<CONF

# --- alphapulse cluster.sh ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
shared_preload_libraries = 'pg_cron,alphapulse'
cron.database_name = '$db'
alphapulse.database = '$db'
cron.host = '127.0.0.1'
max_worker_processes = 16
log_line_prefix = '%m [%p] %q%u@%d '
CONF
}

# Run as a program (not sourced): one action.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	case ${1:-} in
		free-port) shift; ap_free_port "$@" ;;
		wait) shift; [ $# -ge 3 ] || { echo "usage: $0 wait SECONDS WHAT CMD [ARG...]" >&2; exit 2; }; ap_wait_until "$@" ;;
		*) ap_cluster "$@" ;;
	esac
fi
