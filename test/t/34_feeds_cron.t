#!/bin/bash
# ap_schedule_feed makes a pg_cron job that really fires (pg_cron 1.4: at the
# next minute boundary) and lands rows through the worker; ap_remove_feed
# removes the job.
. "$(dirname "$0")/feeds_lib.sh"
pg_init; pg_start || { echo "Bail out! cluster did not start"; exit 1; }
fixture_start
q "CREATE EXTENSION alphapulse" >/dev/null
like "$(q "SELECT ap_add_feed('c_rss', 'news', 'rss', '$HTTP/ok/news/rss.xml'); SELECT ap_schedule_feed('c_rss', '* * * * *')")" "pg_cron is not installed in this database" "without pg_cron: a clear error"
q "CREATE EXTENSION pg_cron" >/dev/null
load_fixture_table
q "INSERT INTO alphapulse.assets (symbol) VALUES ('btc')" >/dev/null
q "SELECT ap_add_feed('c_bn', 'price', 'binance', '$HTTP/ok/binance/api/v3/klines?symbol=BTCUSDT', 'btc', '{\"start\": \"2021-01-01\"}')" >/dev/null
like "$(q "SELECT ap_schedule_feed('c_nosuch', '* * * * *')")" 'feed "c_nosuch" does not exist' "unknown feed: an error"
like "$(q "SELECT ap_schedule_feed('c_bn', 'every now and then')")" "invalid schedule" "bad cron expression: pg_cron's error"
like "$(q "SELECT ap_schedule_feed('c_bn', '* * * * *')")" "^[0-9]+$" "scheduled"
is "$(q "SELECT command FROM cron.job WHERE jobname = 'alphapulse_feed_c_bn'")" "SELECT public.ap_ingest('c_bn')" "the job calls ap_ingest with the feed name as a literal"
wait_for 180 "SELECT count(*) = 8760 AND (SELECT count(*) = 0 FROM alphapulse.feed_queue) FROM alphapulse.bars"
ok $? "the cron job fired and the worker landed the backfill"
is "$(bars_diff btc)" 0 "bars equal the fixture"
is "$(q "SELECT status FROM cron.job_run_details ORDER BY runid LIMIT 1")" succeeded "pg_cron recorded the run"
q "SELECT ap_remove_feed('c_bn')" >/dev/null
is "$(q "SELECT count(*) FROM cron.job WHERE jobname = 'alphapulse_feed_c_bn'")" 0 "ap_remove_feed unscheduled the job"
done_testing
