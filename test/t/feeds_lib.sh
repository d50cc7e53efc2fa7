# feeds_lib.sh - shared by the test/t/3N_*.t feed tests: TAP helpers, a
# private cluster and the fixture HTTP server, all removed on exit.
#   PGBIN           PostgreSQL bin dir (default /usr/lib/postgresql/15/bin)
#   FEEDS_PG_PORT   cluster port, FEEDS_HTTP_PORT fixture (default: free ports)
# Run as root, a test re-runs itself as postgres (initdb refuses root).

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# The one cluster helper: ap_cluster, ap_free_port, ap_wait_until, ap_wait_sql.
. "$TOP/test/bin/cluster.sh"
# free_port: a port nothing answers on (so parallel runs do not collide)
free_port() { ap_free_port; }
FEEDS_PG_PORT=${FEEDS_PG_PORT:-$(free_port)}
FEEDS_HTTP_PORT=${FEEDS_HTTP_PORT:-$(free_port)}
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
	[ -f "$DATA/postmaster.pid" ] && ap_cluster stop "$WORK" "$FEEDS_PG_PORT" postgres immediate >/dev/null 2>&1
	[ -n "$FIXPID" ] && kill "$FIXPID" 2>/dev/null
	rm -rf "$WORK"
	[ -n "${FEEDS_STAGE:-}" ] && rm -rf "$FEEDS_STAGE"
}
trap feeds_cleanup EXIT

ok() {		# ok <0|1 as exit status> <description>
	TAPN=$((TAPN + 1))
	if [ "$1" = 0 ]; then echo "ok $TAPN - $2"; else echo "not ok $TAPN - $2"; fi
	[ "$1" = 0 ]	# so that "ok … || …" can say why
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

# pg_init [extra postgresql.conf lines]: a cluster.sh cluster in $WORK
# (database postgres for the worker and pg_cron), configured, not started;
# its log is also $WORK/server.log.
pg_init() {
	ap_cluster init "$WORK" "$FEEDS_PG_PORT" postgres || exit 1
	ln -sf log/postgresql.log "$WORK/server.log"
	cat >>"$DATA/postgresql.conf" <<CONF
alphapulse.allowed_hosts = '127.0.0.1:$FEEDS_HTTP_PORT'
alphapulse.request_timeout = '20s'
CONF
	[ -n "$1" ] && printf '%s\n' "$1" >>"$DATA/postgresql.conf"
	return 0
}
pg_start() { ap_cluster start "$WORK" "$FEEDS_PG_PORT" postgres >/dev/null; }
# pg_stop [fast|immediate|smart]
pg_stop() { ap_cluster stop "$WORK" "$FEEDS_PG_PORT" postgres "${1:-fast}"; }
# q <sql>: one statement, unaligned tuples only
q() { PGOPTIONS="-c client_min_messages=error" "$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$FEEDS_PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
qf() { "$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$FEEDS_PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@" 2>&1; }

fixture_start() {
	/usr/bin/python3 "$TOP/test/fixture_server.py" "$FEEDS_HTTP_PORT" >"$WORK/fixture.log" 2>&1 &
	FIXPID=$!
	ap_wait_until 30 "the fixture server" _fixture_up
	grep -q "fixture server on" "$WORK/fixture.log" && return 0
	echo "Bail out! fixture server did not start: $(tr "\n" " " <"$WORK/fixture.log")"
	exit 1
}

# up, or dead (then there is nothing to wait for)
_fixture_up() { grep -q "fixture server on" "$WORK/fixture.log" || ! kill -0 "$FIXPID" 2>/dev/null; }

# wait_for <seconds> <sql returning t when done>
wait_for() { ap_wait_until "$1" "$2" _sql_true "$2"; }
_sql_true() { [ "$(q "$1")" = t ]; }
# wait_setting <name> <value>: until a new session shows the reloaded value.
# The postmaster signals its children before it forks a new backend, so from
# then on the feed worker handles the reload before it takes more work.
wait_setting() { wait_for 30 "SELECT current_setting('$1') = '$2'"; }

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
