#!/usr/bin/env bash
# Private PostgreSQL 15 cluster for tests and the demo.
#   cluster.sh start|stop|destroy|status DIR PORT [DBNAME]
# DIR (under /tmp) holds data/, log/ and the unix socket; the server listens on
# 127.0.0.1:PORT only, trusts local connections, preloads pg_cron and alphapulse,
# and has database DBNAME (default alphapulse) for pg_cron.  Idempotent.
set -euo pipefail

usage() { echo "usage: $0 start|stop|destroy|status DIR PORT [DBNAME]" >&2; exit 2; }
[ $# -ge 3 ] || usage
action=$1 dir=$2 port=$3 db=${4:-alphapulse}
# destroy runs rm -rf "$DIR": only ever below /tmp.
if [[ $dir != /tmp/?* || $dir == *..* ]]; then
	echo "cluster.sh: DIR must be a path under /tmp (got $dir)" >&2
	exit 2
fi
bin=${PGBIN:-/usr/lib/postgresql/15/bin}
data=$dir/data
log=$dir/log/postgresql.log

# initdb and pg_ctl refuse root: run them as postgres, from a directory
# postgres can read (the caller's checkout may be private to root).
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "$@")
	fi
}

running() { [ -f "$data/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

init() {
	mkdir -p "$dir/log"
	if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$dir"; fi
	as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C >"$dir/log/initdb.log"
	# Create pg_cron's database before its launcher first looks for it.
	echo "CREATE DATABASE \"$db\"" | as_pg "$bin/postgres" --single -D "$data" postgres >>"$dir/log/initdb.log" 2>&1
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

start() {
	running && return 0
	[ -f "$data/PG_VERSION" ] || init
	if ! as_pg "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null; then
		echo "cluster.sh: server failed to start; last lines of $log:" >&2
		tail -n 20 "$log" >&2 || true
		exit 1
	fi
	# An older cluster may lack the database pg_cron is pointed at.
	if [ -z "$("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -XAtqc \
		"SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
		"$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db"
	fi
}

stop() {
	running || return 0
	as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
}

case $action in
	start) start; echo "cluster running: $dir, 127.0.0.1:$port, database $db, log $log" ;;
	stop) stop ;;
	destroy) stop; rm -rf "$dir" ;;
	status) running && echo "running: $dir port $port" || { echo "not running: $dir"; exit 3; } ;;
	*) usage ;;
esac
