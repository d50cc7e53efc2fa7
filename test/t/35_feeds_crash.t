#!/bin/bash
# Crashes mid-backfill lose and duplicate nothing: kill -9 of the worker, then
# an immediate-mode server stop; after restart the worker resumes from the
# cursor and the bars (and news) are exactly the fixture's.
. "$(dirname "$0")/feeds_lib.sh"
pg_init; pg_start || { echo "Bail out! cluster did not start"; exit 1; }
fixture_start
q "CREATE EXTENSION alphapulse" >/dev/null
load_fixture_table
q "INSERT INTO alphapulse.assets (symbol) VALUES ('btc')" >/dev/null
# 88 pages of 100 bars; the fixture holds the pages after the 20th (k_bn) or
# the 30th (k_bn2) until the test opens the gate, so the crash always comes
# mid-backfill, however fast or slow the machine.
q "SELECT ap_add_feed('k_bn', 'price', 'binance', '$HTTP/gate20/binance/api/v3/klines?symbol=BTCUSDT', 'btc', '{\"start\": \"2021-01-01\", \"page_size\": 100}')" >/dev/null
q "SELECT ap_add_feed('k_bn2', 'price', 'binance', '$HTTP/gate30+stop/binance/api/v3/klines?symbol=BTCUSDT', 'btc', '{\"start\": \"2021-01-01\", \"page_size\": 100}')" >/dev/null
q "SELECT ap_add_feed('k_rss', 'news', 'rss', '$HTTP/delay/news/rss.xml', NULL, '{\"keywords\": {\"bitcoin\": \"btc\"}}')" >/dev/null
worker_pid() { q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'alphapulse feed worker'"; }
count() { curl -s "$HTTP/_count/$1"; }
held() {	# <faults segment> <pages let through>: the backfill waits at the gate
	wait_for 60 "SELECT count(*) = $(($2 * 100)) FROM alphapulse.bars" &&
		ap_wait_until 30 "request $(($2 + 1)) at the gate" test "$(count "$1")" -gt "$2"
}
check_exact() {	# <label> <feed>
	is "$(bars_diff btc)" 0 "$1: bars equal the fixture exactly (no gaps, no duplicates)"
	is "$(q "SELECT count(*) || ' ' || max(ts) FROM alphapulse.bars")" "8760 2021-12-31 23:00:00+00" "$1: 8760 bars to the last one"
	is "$(q "SELECT rows_landed || ' ' || cursor_ts FROM alphapulse.feeds WHERE name = '$2'")" "8760 2021-12-31 23:00:00+00" "$1: rows_landed counts each bar once; cursor at the end"
	is "$(q "SELECT sum(rows_landed) FROM alphapulse.feed_runs WHERE feed = '$2'")" 8760 "$1: the run log adds up to the same"
	is "$(q "SELECT count(*) FROM alphapulse.news")" 3 "$1: news exactly once"
}
reset_feed() {
	q "DELETE FROM alphapulse.bars; DELETE FROM alphapulse.news; DELETE FROM alphapulse.feed_runs;
	   UPDATE alphapulse.feeds SET cursor_ts = NULL, rows_landed = 0" >/dev/null
}


# 1: kill -9 the worker in the middle of the backfill
q "SELECT ap_ingest('k_bn'), ap_ingest('k_rss')" >/dev/null
held gate20 20
ok $? "kill -9: backfill under way (20 pages landed, the 21st held)"
pid=$(worker_pid)
t0=$(q "SELECT clock_timestamp()")
kill -9 "$pid"
curl -s "$HTTP/_open/gate20" >/dev/null
wait_for 60 "SELECT (SELECT count(*) FROM alphapulse.feed_queue) = 0 AND (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'alphapulse feed worker') = 1"
ok $? "kill -9: the worker came back and finished the queue"
grep -q "terminated by signal 9" "$WORK/server.log"
ok $? "kill -9: the server saw the worker die"
is "$(q "SELECT count(*) > 0 FROM alphapulse.feed_runs WHERE feed = 'k_bn' AND started > '$t0'")" t "kill -9: pages fetched after the crash"
check_exact "kill -9" k_bn

# 2: immediate-mode stop of the whole server in the middle of the backfill
reset_feed
q "SELECT ap_ingest('k_bn2'), ap_ingest('k_rss')" >/dev/null
held gate30+stop 30
ok $? "immediate stop: backfill under way (30 pages landed, the 31st held)"
pg_stop immediate
curl -s "$HTTP/_open/gate30+stop" >/dev/null
pg_start
wait_for 60 "SELECT (SELECT count(*) FROM alphapulse.feed_queue) = 0"
ok $? "immediate stop: after restart the worker resumed and finished"
is "$(q "SELECT count(*) > 1 FROM alphapulse.feed_runs WHERE started > (SELECT pg_postmaster_start_time())")" t "immediate stop: pages fetched after the restart"
is "$(q "SELECT count(*) FROM alphapulse.feed_runs WHERE feed = 'k_bn2' AND started > (SELECT pg_postmaster_start_time()) AND url LIKE '%startTime=1609459200000%'")" 0 "immediate stop: resumed from the cursor, not from the start"
check_exact "immediate stop" k_bn2
done_testing
