#!/usr/bin/env bash
# AlphaPulse container entrypoint.
#   server  (default) a PostgreSQL 15 cluster in $PGDATA on port $PGPORT that
#           preloads pg_cron and alphapulse, with database alphapulse holding
#           both extensions; made on first start, then run in the foreground
#   test    the installcheck suite against the installed package (test image)
#   demo    the demo pipeline against the installed package (test image)
#   other   run as a command
# The server listens on $AP_LISTEN (default localhost).  Listening elsewhere
# needs POSTGRES_PASSWORD: remote logins use scram-sha-256, never trust.
set -euo pipefail
bin=/usr/lib/postgresql/15/bin

init_cluster() {
	mkdir -p "$PGDATA"
	chown postgres:postgres "$PGDATA"
	chmod 700 "$PGDATA"
	local pwfile=()
	if [ "$AP_LISTEN" != localhost ]; then
		[ -n "${POSTGRES_PASSWORD:-}" ] || { echo "entrypoint: AP_LISTEN=$AP_LISTEN needs POSTGRES_PASSWORD" >&2; exit 1; }
		printf '%s\n' "$POSTGRES_PASSWORD" >/tmp/pwfile
		chown postgres /tmp/pwfile
		pwfile=(--pwfile=/tmp/pwfile)
	fi
	runuser -u postgres -- "$bin/initdb" -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 \
		--auth-local=trust --auth-host=scram-sha-256 "${pwfile[@]}" >/dev/null
	rm -f /tmp/pwfile
	cat >>"$PGDATA/postgresql.conf" <<CONF
# --- alphapulse container ---
listen_addresses = '$AP_LISTEN'
port = $PGPORT
shared_preload_libraries = 'pg_cron,alphapulse'
cron.database_name = 'alphapulse'
alphapulse.database = 'alphapulse'
cron.host = '/var/run/postgresql'
CONF
	[ "$AP_LISTEN" = localhost ] || echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
	mkdir -p /var/run/postgresql && chown postgres:postgres /var/run/postgresql
	# a private start (no TCP) to create the database and the extensions
	runuser -u postgres -- "$bin/pg_ctl" -D "$PGDATA" -o "-c listen_addresses=''" -w -t 120 start >/dev/null
	runuser -u postgres -- "$bin/psql" -X -q -v ON_ERROR_STOP=1 -d postgres \
		-c 'CREATE DATABASE alphapulse' \
		-c '\c alphapulse' -c 'CREATE EXTENSION pg_cron' -c 'CREATE EXTENSION alphapulse'
	runuser -u postgres -- "$bin/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
}

case ${1:-server} in
	server)
		[ -s "$PGDATA/PG_VERSION" ] || init_cluster
		mkdir -p /var/run/postgresql && chown postgres:postgres /var/run/postgresql
		# setpriv execs: postgres itself is PID 1 and gets the stop signal
		exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$bin/postgres" -D "$PGDATA"
		;;
	test)
		exec test/bin/test.sh
		;;
	demo)
		exec test/bin/demo.sh
		;;
	*)
		exec "$@"
		;;
esac
