#!/bin/bash
# feeds_load_sample.sh - load sample bars the way production does: through the
# fixture HTTP server and the feed worker (binance format), instead of COPY.
#   usage: test/feeds_load_sample.sh BARS_CSV HTTP_PORT [psql connection args...]
# Needs a superuser connection (it adds 127.0.0.1:HTTP_PORT to alphapulse.allowed_hosts),
# alphapulse preloaded, the extension created, and the symbols in
# alphapulse.assets.  Starts the fixture server, queues one feed per symbol of
# the CSV, waits until the worker has landed them, stops the server.
set -euo pipefail
CSV=$1 PORT=$2
shift 2
PSQL=(psql -X -qAt -v ON_ERROR_STOP=1 "$@")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/bin/cluster.sh"	# ap_wait_until
/usr/bin/python3 "$HERE/fixture_server.py" "$PORT" "$CSV" >/tmp/feeds-load-fixture.$$ 2>&1 &
FIX=$!
trap 'kill $FIX 2>/dev/null; rm -f /tmp/feeds-load-fixture.$$' EXIT
ap_wait_until 30 "the fixture server" grep -q "fixture server on" /tmp/feeds-load-fixture.$$
hosts=$("${PSQL[@]}" -c "SHOW alphapulse.allowed_hosts")
case ",$hosts," in
	*,127.0.0.1:$PORT,*|*", 127.0.0.1:$PORT,"*) ;;
	*) "${PSQL[@]}" -c "ALTER SYSTEM SET alphapulse.allowed_hosts = '${hosts:+$hosts,}127.0.0.1:$PORT'" -c "SELECT pg_reload_conf()" >/dev/null
	   # reloaded once a new session sees it: the worker was signalled before
	   reloaded() { [ "$("${PSQL[@]}" -c "SELECT current_setting('alphapulse.allowed_hosts') = '${hosts:+$hosts,}127.0.0.1:$PORT'")" = t ]; }
	   ap_wait_until 30 "the new alphapulse.allowed_hosts" reloaded ;;
esac
read -r first last < <(awk -F, 'NR > 1 { if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2 } END { print min, max }' "$CSV")
for sym in $(awk -F, 'NR > 1 { print $1 }' "$CSV" | sort -u); do
	"${PSQL[@]}" -c "SELECT ap_add_feed('sample_$sym', 'price', 'binance',
		'http://127.0.0.1:$PORT/ok/binance/api/v3/klines?symbol=${sym^^}USDT&interval=1h', '$sym',
		jsonb_build_object('start', '$first', 'end', '$last'::timestamptz + interval '1 hour', 'page_size', 1000))" >/dev/null
	"${PSQL[@]}" -c "SELECT ap_ingest('sample_$sym')" >/dev/null
done
queue_empty() { [ "$("${PSQL[@]}" -c "SELECT count(*) FROM alphapulse.feed_queue WHERE feed LIKE 'sample\_%'")" = 0 ]; }
ap_wait_until 300 "the worker to land the sample bars" queue_empty || true	# the status check below says what is missing
"${PSQL[@]}" -c "SELECT name || ': ' || rows_landed || ' bars, cursor ' || cursor_ts || coalesce(', last error: ' || last_error, '')
	FROM alphapulse.feed_status WHERE name LIKE 'sample\_%' ORDER BY name"
failed=$("${PSQL[@]}" -c "SELECT count(*) FROM alphapulse.feed_status WHERE name LIKE 'sample\_%' AND (queued > 0 OR consecutive_failures > 0)")
[ "$failed" = 0 ]
