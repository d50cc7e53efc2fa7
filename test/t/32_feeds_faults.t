#!/bin/bash
# Fault handling of ap_ingest_now against the fixture server's fault modes:
# every attempt is a run-log row, transient failures are retried (Retry-After
# honoured), a bad page lands no rows, policy failures are not retried.
. "$(dirname "$0")/feeds_lib.sh"
pg_init; pg_start || { echo "Bail out! cluster did not start"; exit 1; }
fixture_start
q "CREATE EXTENSION alphapulse" >/dev/null
q "INSERT INTO alphapulse.assets (symbol) VALUES ('btc')" >/dev/null
q "ALTER SYSTEM SET alphapulse.max_retries = 2" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
wait_setting alphapulse.max_retries 2
opts='{"start": "2021-01-01", "end": "2021-01-03", "page_size": 24}'
# feed <name> <fault segment>: a 48-bar binance feed behind that fault
feed() { q "SELECT ap_add_feed('$1', 'price', 'binance', '$HTTP/$2/binance/api/v3/klines?symbol=BTCUSDT', 'btc', '$opts')" >/dev/null; }
run() { q "SELECT requests || ' ' || rows_landed || ' ' || ok || ' ' || coalesce(message, '') FROM ap_ingest_now('$1')"; }
attempts() { q "SELECT string_agg(coalesce(http_status::text, '-') || ':' || rows_landed || ':' || coalesce(left(message, 40), 'ok'), ' ' ORDER BY id) FROM alphapulse.feed_runs WHERE feed = '$1'"; }
nbars() { q "SELECT count(*) FROM alphapulse.bars"; }

feed e500 500
like "$(run e500)" "^3 0 false HTTP 500" "500 every time: 1 try + 2 retries, then a failure"
is "$(attempts e500)" "500:0:HTTP 500: {\"msg\":\"fixture 500\"} 500:0:HTTP 500: {\"msg\":\"fixture 500\"} 500:0:HTTP 500: {\"msg\":\"fixture 500\"}" "each attempt is a run-log row"
is "$(q "SELECT consecutive_failures || ' ' || (last_success IS NULL) || ' ' || left(last_error, 8) FROM alphapulse.feed_status WHERE name = 'e500'")" "3 true HTTP 500" "status view: consecutive failures, last error"
is "$(nbars)" 0 "no rows from a failing feed"
is "$(q "SELECT bool_and(g >= interval '0.25 s') FROM (SELECT started - lag(finished) OVER (ORDER BY id) g FROM alphapulse.feed_runs WHERE feed = 'e500') s WHERE g IS NOT NULL")" t "retries are spaced by backoff"

feed e500b 500x2
is "$(run e500b)" "4 48 true " "500 twice, then success: the run completes"
is "$(attempts e500b)" "500:0:HTTP 500: {\"msg\":\"fixture 500\"} 500:0:HTTP 500: {\"msg\":\"fixture 500\"} 200:24:ok 200:24:ok" "run log: two failures then the two pages up to end"
is "$(q "SELECT consecutive_failures FROM alphapulse.feed_status WHERE name = 'e500b'")" 0 "success resets consecutive failures"
q "DELETE FROM alphapulse.bars" >/dev/null

feed e429 429x1
is "$(run e429)" "3 48 true " "429 once: retried"
is "$(q "SELECT (SELECT started FROM alphapulse.feed_runs WHERE feed = 'e429' AND http_status = 200 ORDER BY id LIMIT 1) - (SELECT finished FROM alphapulse.feed_runs WHERE feed = 'e429' AND http_status = 429) >= interval '1 s'")" t "Retry-After: 1 honoured"
q "DELETE FROM alphapulse.bars" >/dev/null

feed etrunc truncx1
is "$(run etrunc)" "3 48 true " "truncated body once: retried"
like "$(attempts etrunc)" "^200:0:truncated response" "the truncated attempt is logged as such"
q "DELETE FROM alphapulse.bars" >/dev/null

feed ejson badjson
like "$(run ejson)" "^1 0 false malformed binance response: Invalid JSON at byte" "broken JSON: one attempt, no retry, a clear message"
is "$(nbars)" 0 "broken JSON lands nothing"

q "SELECT ap_add_feed('enum', 'price', 'binance', '$HTTP/badnum/binance/api/v3/klines?symbol=BTCUSDT', 'btc', '{\"start\": \"2021-01-01\", \"page_size\": 20}')" >/dev/null
like "$(run enum)" "^3 40 false invalid number in binance response: Row 11, field close is not a decimal number: \"12.3.4\"" "invalid number on page 3: pages 1-2 kept, run stops"
is "$(q "SELECT count(*) || ' ' || max(ts) FROM alphapulse.bars")" "40 2021-01-02 15:00:00+00" "no row of the bad page landed"
is "$(q "SELECT cursor_ts FROM alphapulse.feeds WHERE name = 'enum'")" "2021-01-02 15:00:00+00" "the cursor stayed at the last good page"
q "DELETE FROM alphapulse.bars" >/dev/null

# issue 7 finding 10: a close of 1e5000 refuses its page (22003), nothing of it lands
q "SELECT ap_add_feed('ehuge', 'price', 'binance', '$HTTP/huge/binance/api/v3/klines?symbol=BTCUSDT', 'btc', '{\"start\": \"2021-01-01\", \"page_size\": 20}')" >/dev/null
like "$(run ehuge)" "^3 40 false number out of range in binance response: Row 11, field close is 1e5000; prices must be less than 1e15" "close 1e5000 on page 3: refused with the field named"
is "$(q "SELECT count(*) || ' ' || max(ts) || ' ' || (max(close) < 1e6) FROM alphapulse.bars")" "40 2021-01-02 15:00:00+00 true" "no row of the page with 1e5000 landed"
q "DELETE FROM alphapulse.bars" >/dev/null

feed eslow slow
like "$(q "SET alphapulse.max_retries = 0; SET alphapulse.request_timeout = '1s'; SELECT requests || ' ' || rows_landed || ' ' || ok || ' ' || message FROM ap_ingest_now('eslow')")" "^1 0 false request timed out after 1000 ms" "slower than alphapulse.request_timeout: timed out"

feed eredir redirect
like "$(run eredir)" "^1 0 false redirect refused: host \"localhost\" is not in alphapulse.allowed_hosts" "redirect to a host not on the list: refused, not retried"
feed ehop hop
is "$(run ehop)" "2 48 true " "redirect to an allowed host: followed"
q "DELETE FROM alphapulse.bars" >/dev/null

feed ebig big
like "$(q "SET alphapulse.max_response_size = '1MB'; SELECT requests || ' ' || ok || ' ' || message FROM ap_ingest_now('ebig')")" "^1 false response larger than alphapulse.max_response_size \\(1024 kB\\)" "oversized body: refused"

feed eauth auth
like "$(run eauth)" "^1 0 false HTTP 401" "API key missing: 401, not retried"
q "INSERT INTO alphapulse.feed_secrets VALUES ('eauth', '{\"X-MBX-APIKEY\": \"fixture-key\"}')" >/dev/null
is "$(run eauth)" "2 48 true " "API key from the secrets table is sent as a header"

q "SELECT ap_add_feed('e404', 'price', 'binance', '$HTTP/ok/nosuchformat/x', 'btc', '$opts')" >/dev/null
like "$(run e404)" "^1 0 false HTTP 404" "404: one attempt"
is "$(q "SELECT count(*) FROM alphapulse.feed_runs WHERE message IS NULL AND rows_landed > 0 AND http_status <> 200")" 0 "only 200 responses land rows"
done_testing
