#!/bin/bash
# The feed worker: waits quietly without the extension, is woken at commit
# (not by polling), runs several feeds at once, retries, reloads settings on
# SIGHUP, comes back after SIGTERM, and ap_ingest says so when not preloaded.
. "$(dirname "$0")/feeds_lib.sh"
pg_init; pg_start || { echo "Bail out! cluster did not start"; exit 1; }
fixture_start
worker_pid() { q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'alphapulse feed worker'"; }
# served <feed>: ap_ingest it and wait until the worker made a new attempt and emptied the queue
served() {
	local last
	last=$(q "SELECT coalesce(max(id), 0) FROM alphapulse.feed_runs WHERE feed = '$1'")
	q "SELECT ap_ingest('$1')" >/dev/null
	wait_for 30 "SELECT (SELECT count(*) FROM alphapulse.feed_queue) = 0 AND (SELECT count(*) FROM alphapulse.feed_runs WHERE feed = '$1' AND id > $last) > 0"
}
# the worker sleeps in its loop's wait (after a pass over the queue)
worker_waiting() { wait_for 30 "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'alphapulse feed worker' AND wait_event_type = 'Extension'"; }

wait_for 30 "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'alphapulse feed worker'"
like "$(worker_pid)" "^[0-9]+$" "worker running before the extension exists"
# started, then its first pass (looking for the queue) is over: it waits
ap_wait_until 30 "the worker's start in the log" grep -q "alphapulse feed worker started" "$WORK/server.log"
worker_waiting
ok $? "the worker got past its first pass and waits"
is "$(grep -c -E 'ERROR|FATAL' "$WORK/server.log")" 0 "and waiting quietly (no errors in the log)"

q "CREATE EXTENSION alphapulse" >/dev/null
load_fixture_table
q "INSERT INTO alphapulse.assets (symbol) VALUES ('btc'), ('eth')" >/dev/null
q "SELECT ap_add_feed('w_bn', 'price', 'binance', '$HTTP/ok/binance/api/v3/klines?symbol=BTCUSDT', 'btc', '{\"start\": \"2021-01-01\", \"page_size\": 500}')" >/dev/null
q "SELECT ap_add_feed('w_cb', 'price', 'coinbase', '$HTTP/ok/coinbase/products/ETH-USD/candles', 'eth', '{\"start\": \"2021-01-01\", \"end\": \"2022-01-01\"}')" >/dev/null
q "SELECT ap_add_feed('w_rss', 'news', 'rss', '$HTTP/ok/news/rss.xml', NULL, '{\"keywords\": {\"bitcoin\": \"btc\"}}')" >/dev/null

# rolled back: nothing queued, nothing fetched.  A committed ap_ingest of
# another feed after it is served: the worker has passed the point where it
# would have fetched w_bn, had the rolled-back call left anything behind.
q "BEGIN; SELECT ap_ingest('w_bn'); ROLLBACK;" >/dev/null
is "$(q "SELECT count(*) FROM alphapulse.feed_queue")" 0 "ap_ingest in a rolled-back transaction queues nothing"
q "SELECT ap_ingest('w_rss')" >/dev/null
wait_for 20 "SELECT (SELECT count(*) FROM alphapulse.feed_queue) = 0 AND (SELECT count(*) FROM alphapulse.feed_runs WHERE feed = 'w_rss') > 0"
ok $? "a later committed ap_ingest is served"
is "$(q "SELECT count(*) FROM alphapulse.feed_runs WHERE feed <> 'w_rss'")" 0 "and the rolled-back one fetched nothing"
q "DELETE FROM alphapulse.news; DELETE FROM alphapulse.feed_runs; UPDATE alphapulse.feeds SET cursor_ts = NULL, rows_landed = 0" >/dev/null

# committed: the worker wakes at once (its fallback poll is 60 s)
q "SELECT ap_ingest('w_bn'), ap_ingest('w_cb'), ap_ingest('w_rss')" >/dev/null
wait_for 20 "SELECT count(*) = 0 FROM alphapulse.feed_queue"
ok $? "three queued feeds served within 20 s of commit"
is "$(bars_diff btc) $(bars_diff eth)" "0 0" "worker-landed bars equal the fixture exactly"
is "$(q "SELECT count(*) FROM alphapulse.news")" 3 "news landed by the worker"
is "$(q "SELECT string_agg(DISTINCT via, ',') FROM alphapulse.feed_runs")" worker "every attempt logged as the worker's"
is "$(q "SELECT count(*) FROM alphapulse.feed_runs WHERE message IS NOT NULL")" 0 "no failed attempts"
# ran concurrently: the feeds' attempt windows overlap
is "$(q "SELECT (SELECT min(started) FROM alphapulse.feed_runs WHERE feed = 'w_cb') < (SELECT max(finished) FROM alphapulse.feed_runs WHERE feed = 'w_bn')")" t "feeds are fetched concurrently"

# a second run from the cursor lands nothing (and is one new attempt: the
# backfill's own last page may have landed nothing too)
last=$(q "SELECT max(id) FROM alphapulse.feed_runs WHERE feed = 'w_bn'")
q "SELECT ap_ingest('w_bn')" >/dev/null
wait_for 30 "SELECT count(*) = 0 FROM alphapulse.feed_queue"
is "$(q "SELECT count(*) || ' ' || coalesce(sum(rows_landed), -1) FROM alphapulse.feed_runs WHERE feed = 'w_bn' AND id > $last")" "1 0" "re-run from the cursor: one request, nothing new"

# retry with Retry-After through the worker
q "SELECT ap_add_feed('w_429', 'price', 'binance', '$HTTP/429x1/binance/api/v3/klines?symbol=BTCUSDT', 'btc', '{\"start\": \"2021-01-01\"}')" >/dev/null
q "SELECT ap_ingest('w_429')" >/dev/null
wait_for 20 "SELECT count(*) = 0 FROM alphapulse.feed_queue"
is "$(q "SELECT string_agg(http_status::text, ',' ORDER BY id) FROM alphapulse.feed_runs WHERE feed = 'w_429'")" "429,200,200,200,200,200,200,200,200,200" "429 retried by the worker, then the backfill"

# SIGHUP reloads settings: take the host off the list
q "ALTER SYSTEM SET alphapulse.allowed_hosts = 'elsewhere.example'" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
wait_setting alphapulse.allowed_hosts elsewhere.example
served w_rss
is "$(q "SELECT message FROM alphapulse.feed_runs WHERE feed = 'w_rss' ORDER BY id DESC LIMIT 1")" 'host "127.0.0.1" is not in alphapulse.allowed_hosts' "SIGHUP: the worker sees the new allow list"
q "ALTER SYSTEM RESET alphapulse.allowed_hosts" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
wait_setting alphapulse.allowed_hosts "127.0.0.1:$FEEDS_HTTP_PORT"

# a feed removed while the worker is running it: the run ends, the worker goes on
q "SELECT ap_add_feed('w_gone', 'price', 'binance', '$HTTP/delay/binance/api/v3/klines?symbol=ETHUSDT', 'eth', '{\"start\": \"2021-01-01\", \"page_size\": 100}')" >/dev/null
pid=$(worker_pid)
q "SELECT ap_ingest('w_gone')" >/dev/null
wait_for 20 "SELECT count(*) > 0 FROM alphapulse.feed_runs WHERE feed = 'w_gone'"
q "SELECT ap_remove_feed('w_gone')" >/dev/null
# the worker's next landing finds the feed gone and ends that run (logged)
ap_wait_until 30 "the worker to drop w_gone" grep -q 'feed "w_gone" was removed during its run' "$WORK/server.log"
ok $? "the worker ends the removed feed's run"
is "$(worker_pid)" "$pid" "removing a feed mid-run does not kill the worker"
served w_rss
ok $? "and it takes new work"

# SIGTERM: clean exit, then restarted
old=$(worker_pid)
kill -TERM "$old"
wait_for 30 "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'alphapulse feed worker' AND pid <> $old"
ok $? "after SIGTERM the worker is back (new pid)"
grep -q "alphapulse feed worker shutting down" "$WORK/server.log"
ok $? "SIGTERM: clean shutdown logged"
served w_rss
ok $? "the restarted worker takes new work"

# DROP DATABASE of another database does not hang
q "CREATE DATABASE other" >/dev/null
timeout 20 "$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$FEEDS_PG_PORT" -U postgres -d postgres -c "DROP DATABASE other" >/dev/null 2>&1
ok $? "DROP DATABASE of another database returns"
is "$(grep -c -E 'PANIC|terminated by signal' "$WORK/server.log")" 0 "no crashes in the log"

# not preloaded: a clear error from ap_ingest, ap_ingest_now still works
pg_stop
sed -i "s/^shared_preload_libraries = 'pg_cron,alphapulse'/shared_preload_libraries = ''/" "$DATA/postgresql.conf"
pg_start
like "$(q "SELECT ap_ingest('w_rss')")" "the alphapulse feed worker is not running" "ap_ingest without preload: a clear error"
is "$(q "SET alphapulse.allowed_hosts = '127.0.0.1:$FEEDS_HTTP_PORT'; SELECT ok FROM ap_ingest_now('w_rss')")" t "ap_ingest_now works without the worker"
done_testing
