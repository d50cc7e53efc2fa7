# feeds_lib.sh - shared by the test/t/3N_*.t feed tests: TAP helpers, a
# private cluster and the fixture HTTP server, all removed on exit.
#   PGBIN           PostgreSQL bin dir (default /usr/lib/postgresql/15/bin)
#   FEEDS_PG_PORT   cluster port, FEEDS_HTTP_PORT fixture (default: free ports)
# Run as root, a test re-runs itself as postgres (initdb refuses root).

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
# free_port: a port nothing answers on (so parallel runs do not collide)
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((56000 + RANDOM % 3000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
	echo 54371
}
FEEDS_PG_PORT=${FEEDS_PG_PORT:-$(free_port)}
FEEDS_HTTP_PORT=${FEEDS_HTTP_PORT:-$(free_port)}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" = 0 ]; then
	# CI runs as root in a clone the postgres user may not be able to read:
	# re-run from a copy of test/ that postgres owns (removed on exit).
	STAGE=$(mktemp -d /tmp/feeds-stage.XXXXXX)
	cp -a "$TOP/test" "$STAGE/"
	chown -R postgres "$STAGE"
	cd "$STAGE"
	exec runuser -u postgres -- env PGBIN="$PGBIN" FEEDS_PG_PORT="$FEEDS_PG_PORT" \
		FEEDS_HTTP_PORT="$FEEDS_HTTP_PORT" FEEDS_STAGE="$STAGE" \
		bash "$STAGE/test/t/$(basename "$0")" "$@"
fi
WORK=$(mktemp -d /tmp/feeds-t.XXXXXX)
DATA=$WORK/data
FIXPID=
TAPN=0
HTTP="http://127.0.0.1:$FEEDS_HTTP_PORT"

feeds_cleanup() {
	[ -f "$DATA/postmaster.pid" ] && "$PGBIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1
	[ -n "$FIXPID" ] && kill "$FIXPID" 2>/dev/null
	rm -rf "$WORK"
	[ -n "${FEEDS_STAGE:-}" ] && rm -rf "$FEEDS_STAGE"
}
trap feeds_cleanup EXIT

ok() {		# ok <0|1 as exit status> <description>
	TAPN=$((TAPN + 1))
	if [ "$1" = 0 ]; then echo "ok $TAPN - $2"; else echo "not ok $TAPN - $2"; fi
}
is() {		# is <got> <want> <description>
	TAPN=$((TAPN + 1))
	if [ "$1" == "$2" ]; then
		echo "ok $TAPN - $3"
	else
		echo "not ok $TAPN - $3"
		printf '#   got: %s\n#  want: %s\n' "$1" "$2"
	fi
}
like() {	# like <got> <regex> <description>
	TAPN=$((TAPN + 1))
	if [[ "$1" =~ $2 ]]; then
		echo "ok $TAPN - $3"
	else
		echo "not ok $TAPN - $3"
		printf '#   got: %s\n#  want match: %s\n' "$1" "$2"
	fi
}
done_testing() { echo "1..$TAPN"; }

# pg_init [extra postgresql.conf lines]: initdb and configure, not started
pg_init() {
	"$PGBIN/initdb" -D "$DATA" -U postgres -A trust >/dev/null || exit 1
	cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $FEEDS_PG_PORT
unix_socket_directories = '$WORK'
shared_preload_libraries = 'pg_cron,alphapulse'
cron.database_name = 'postgres'
alphapulse.database = 'postgres'
alphapulse.allowed_hosts = '127.0.0.1:$FEEDS_HTTP_PORT'
alphapulse.request_timeout = '20s'
max_worker_processes = 16
CONF
	[ -n "$1" ] && printf '%s\n' "$1" >>"$DATA/postgresql.conf"
	return 0
}
pg_start() { "$PGBIN/pg_ctl" -D "$DATA" -l "$WORK/server.log" -w -t 60 start >/dev/null; }
pg_stop() { "$PGBIN/pg_ctl" -D "$DATA" -m "${1:-fast}" -w -t 60 stop >/dev/null; }
# q <sql>: one statement, unaligned tuples only
q() { PGOPTIONS="-c client_min_messages=error" "$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$FEEDS_PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
qf() { "$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$FEEDS_PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@" 2>&1; }

fixture_start() {
	/usr/bin/python3 "$TOP/test/fixture_server.py" "$FEEDS_HTTP_PORT" >"$WORK/fixture.log" 2>&1 &
	FIXPID=$!
	for _ in $(seq 1 50); do
		grep -q "fixture server on" "$WORK/fixture.log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "Bail out! fixture server did not start: $(cat "$WORK/fixture.log")"
	exit 1
}

# wait_for <seconds> <sql returning t when done>
wait_for() {
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		[ "$(q "$2" 2>/dev/null)" = t ] && return 0
		sleep 0.2
	done
	return 1
}

# The fixture's bars for a symbol as a table fx(symbol, ts, open, high, low, close, volume).
load_fixture_table() {
	q "CREATE TABLE IF NOT EXISTS fx (symbol text, ts timestamptz, open numeric, high numeric, low numeric, close numeric, volume numeric)" >/dev/null
	qf -c "\\copy fx FROM '$TOP/test/fixtures/feed_bars.csv' CSV HEADER" >/dev/null
}
# bars_diff <symbol> <coingecko?>: rows that differ from the fixture, text-exact
bars_diff() {
	if [ "$2" = coingecko ]; then
		q "SELECT count(*) FROM ((SELECT ts, close::text c, close::text, close::text, close::text, '0' FROM fx WHERE symbol = '$1'
		    EXCEPT SELECT ts, close::text, open::text, high::text, low::text, volume::text FROM alphapulse.bars WHERE symbol = '$1')
		   UNION ALL (SELECT ts, close::text, open::text, high::text, low::text, volume::text FROM alphapulse.bars WHERE symbol = '$1'
		    EXCEPT SELECT ts, close::text c, close::text, close::text, close::text, '0' FROM fx WHERE symbol = '$1')) d"
	else
		q "SELECT count(*) FROM ((SELECT ts, open::text, high::text, low::text, close::text, volume::text FROM fx WHERE symbol = '$1'
		    EXCEPT SELECT ts, open::text, high::text, low::text, close::text, volume::text FROM alphapulse.bars WHERE symbol = '$1')
		   UNION ALL (SELECT ts, open::text, high::text, low::text, close::text, volume::text FROM alphapulse.bars WHERE symbol = '$1'
		    EXCEPT SELECT ts, open::text, high::text, low::text, close::text, volume::text FROM fx WHERE symbol = '$1')) d"
	fi
}
