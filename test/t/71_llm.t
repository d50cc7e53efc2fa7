#!/bin/bash
# Optional LLM scoring (issue 11) against a fake /chat/completions endpoint
# (test/fixture_llm.py): what each mode stores, every fault logged while the
# item keeps its lexicon score, answers that "try to be SQL" never executed,
# the API key in no readable table and not in the server log, no user
# transaction waiting on the endpoint, and price feeds landing while it hangs.
# Conditions with deadlines decide; timings are printed only.
. "$(dirname "$0")/feeds_lib.sh"
LLM_PORT=$(free_port)
LLM="http://127.0.0.1:$LLM_PORT"
KEY='sk-test-SECRET-4242-abcdef'
pg_init "alphapulse.allowed_hosts = '127.0.0.1:$FEEDS_HTTP_PORT,127.0.0.1:$LLM_PORT'
alphapulse.llm_mode = 'next_to'
alphapulse.llm_url = '$LLM/v1/chat/completions'
alphapulse.llm_model = 'fake-model'
alphapulse.llm_min_interval = 0
alphapulse.llm_max_attempts = 1
alphapulse.max_retries = 1
alphapulse.request_timeout = '15s'
log_min_messages = info"
pg_start || { echo "Bail out! cluster did not start"; exit 1; }
fixture_start
/usr/bin/python3 "$TOP/test/fixture_llm.py" "$LLM_PORT" >"$WORK/llm.log" 2>&1 &
LLMPID=$!
trap 'kill $LLMPID 2>/dev/null; feeds_cleanup' EXIT
ap_wait_until 30 "the llm fixture" grep -q "llm fixture on" "$WORK/llm.log"

stat() { curl -s "$LLM/_stats" | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
fmode() { curl -s "$LLM/_mode/$1" >/dev/null; }
# news <guid> <title>: a news row as a feed would land it, with a lexicon score of 0.25
news() {
	q "INSERT INTO alphapulse.news (guid, feed, title, summary, sentiment, sentiment_source)
	   VALUES ('$1', 'test', '$2', 'summary of $1', 0.25, 'lexicon')" >/dev/null
}
round_done() { wait_for 40 "SELECT llm_scored_at IS NOT NULL OR llm_attempts >= 1 FROM alphapulse.news WHERE guid = '$1'"; }
item() { q "SELECT coalesce(llm_label, '-'), coalesce(llm_score::text, '-'), sentiment, sentiment_source, llm_attempts FROM alphapulse.news WHERE guid = '$1'"; }
logs() { q "SELECT string_agg(attempt || ':' || coalesce(http_status::text, '-') || ':' || ok, ',' ORDER BY id) FROM alphapulse.llm_log WHERE news_guid = '$1'"; }
lastmsg() { q "SELECT message FROM alphapulse.llm_log WHERE news_guid = '$1' ORDER BY id DESC LIMIT 1"; }

q "CREATE EXTENSION alphapulse" >/dev/null
# The news sentiment columns come from 70_sentiment.sql; without that part, the test adds them.
q "DO \$\$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'alphapulse.news'::regclass AND attname = 'sentiment') THEN
		ALTER TABLE alphapulse.news ADD COLUMN sentiment double precision, ADD COLUMN sentiment_source text;
	END IF; END \$\$" >/dev/null
q "INSERT INTO alphapulse.llm_secret (api_key) VALUES ('$KEY')" >/dev/null
q "INSERT INTO alphapulse.assets (symbol) VALUES ('btc'), ('eth')" >/dev/null
q "CREATE ROLE lr LOGIN IN ROLE alphapulse_reader" >/dev/null
q "CREATE ROLE lw LOGIN IN ROLE alphapulse_writer" >/dev/null
opts='{"start": "2021-01-01", "end": "2021-01-03", "page_size": 24}'
q "SELECT ap_add_feed('pb', 'price', 'binance', '$HTTP/ok/binance/api/v3/klines?symbol=BTCUSDT', 'btc', '$opts')" >/dev/null
q "SELECT ap_add_feed('pe', 'price', 'binance', '$HTTP/ok/binance/api/v3/klines?symbol=ETHUSDT', 'eth', '$opts')" >/dev/null

# ---- settings ----
r=$(q "ALTER SYSTEM SET alphapulse.llm_url = 'http://u:pw@127.0.0.1:$LLM_PORT/v1'")
like "$r" "invalid value|must not hold" "llm_url with a password is refused"
r=$(q "ALTER SYSTEM SET alphapulse.llm_url = '$LLM/v1?api_key=abcd'")
like "$r" "invalid value|must not hold" "llm_url with an api_key parameter is refused"
r=$(PGOPTIONS= "$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$FEEDS_PG_PORT" -U lw -d postgres -c "SET alphapulse.llm_mode = 'off'" 2>&1)
like "$r" "cannot be changed now|permission denied" "no session may SET alphapulse.llm_mode"

# ---- next_to: llm_* stored, the lexicon score kept ----
t0=$(date +%s%3N)
news n_pos 'Bitcoin prices surge to a record'
news n_neg 'Exchange hack drains hot wallet'
round_done n_pos && round_done n_neg
ok $? "next_to: both items scored"
echo "# scored in $(( $(date +%s%3N) - t0 )) ms"
is "$(item n_pos)" "positive|0.8|0.25|lexicon|0" "next_to: positive item has llm_label/llm_score, sentiment stays the lexicon's"
is "$(item n_neg)" "negative|-0.7|0.25|lexicon|0" "next_to: negative item likewise"
is "$(q "SELECT llm_model FROM alphapulse.news WHERE guid = 'n_pos'")" "fake-model" "llm_model records the model"
is "$(logs n_pos)" "0:200:true" "one ok row in llm_log"
is "$(stat 'd["last_auth"]')" "Bearer $KEY" "the key travels only as the Authorization header"
like "$(stat 'json.loads(d["last_body"])["model"] + "|" + json.loads(d["last_body"])["messages"][1]["content"]')" "^fake-model\|(Exchange hack drains hot wallet summary of n_neg|Bitcoin prices surge to a record summary of n_pos)$" "the request carries the model and the news text as a JSON string"

# ---- faults (still next_to): one item each, every request logged ----
fault() {	# fault <mode> <guid>
	fmode "$1"
	news "$2" "Fault test $1 surge"
	round_done "$2"
}
fault e500 f500
ok $? "e500: the round ends"
is "$(item f500)" "-|-|0.25|lexicon|1" "e500: no llm score, lexicon score kept, attempt counted"
is "$(logs f500)" "0:500:false,1:500:false" "e500: retried once (max_retries = 1), both logged with status 500"
m=$(lastmsg f500)
like "$m" "REDACTED" "e500: the echoed key is redacted in the log message"
[[ "$m" != *SECRET-4242* ]]; ok $? "e500: the key itself is not in the message"

t0=$(date +%s%3N)
fault e429 f429
ok $? "e429: the round ends"
is "$(logs f429)" "0:429:false,1:429:false" "e429: retried once, both logged with status 429"
echo "# e429 round took $(( $(date +%s%3N) - t0 )) ms (Retry-After: 1)"
is "$(q "SELECT (max(started) - min(started)) >= interval '1 second' FROM alphapulse.llm_log WHERE news_guid = 'f429'")" "t" "e429: the retry waited for Retry-After"

for m in badjson range label sql sqlcontent huge redirect; do
	fault "$m" "f_$m"
	ok $? "$m: the round ends"
	is "$(item "f_$m")" "-|-|0.25|lexicon|1" "$m: no llm score, lexicon score kept"
done
like "$(lastmsg f_badjson)" "^invalid LLM answer: The response is not JSON" "badjson: logged as not JSON"
like "$(lastmsg f_range)" "score 1.5 is outside \[-1, 1\]" "range: logged as out of range"
like "$(lastmsg f_label)" "label is not positive, negative or neutral: \"bullish\"" "label: logged as a label not allowed"
like "$(lastmsg f_sql)" "label is not positive, negative or neutral" "sql label: refused as a label, stored only as quoted text"
like "$(lastmsg f_sqlcontent)" "answer is not a JSON object" "sql content: refused as not JSON"
like "$(lastmsg f_huge)" "at most 1024 are accepted" "huge: refused by size"
like "$(lastmsg f_redirect)" "redirects are not followed" "redirect: refused"
is "$(q "SELECT to_regclass('alphapulse.news') IS NOT NULL AND (SELECT count(*) FROM alphapulse.news) = 11")" "t" "nothing was executed: alphapulse.news is intact"
is "$(q "SELECT count(*) FROM alphapulse.llm_log WHERE NOT ok AND octet_length(message) > 1000")" 0 "logged messages are bounded"

# ---- slow: no user transaction waits, feeds go on ----
fmode slow
news f_slow 'Slow endpoint surge'
slow_active() { [ "$(stat 'd["slow_active"]')" = 1 ]; }
ap_wait_until 30 "a request hanging on the slow endpoint" slow_active
is "$(stat 'd["slow_active"]')" 1 "slow: the worker has a request hanging on the endpoint"
t0=$(date +%s%3N)
r=$(q "SET statement_timeout = '5s'; BEGIN; SELECT guid FROM alphapulse.news WHERE guid = 'f_slow' FOR UPDATE NOWAIT; ROLLBACK;")
is "$r" "f_slow" "slow: the item being scored is not locked (FOR UPDATE NOWAIT succeeds)"
r=$(PGOPTIONS="-c statement_timeout=10s" "$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$FEEDS_PG_PORT" -U lw -d postgres -c "SELECT ok FROM ap_ingest_now('pb')" 2>&1)
is "$r" "t" "slow: a writer's ap_ingest_now returns and lands"
echo "# user calls returned in $(( $(date +%s%3N) - t0 )) ms"
q "SELECT ap_ingest('pe')" >/dev/null
wait_for 30 "SELECT count(*) = 48 FROM alphapulse.bars WHERE symbol = 'eth'"
ok $? "slow: the worker lands a queued price feed meanwhile"
is "$(stat 'str(d["slow_active"]) + " " + str(d["slow_started"])')" "1 1" "slow: and the same LLM request is still hanging"
round_done f_slow
ok $? "slow: the request times out and the round ends"
like "$(lastmsg f_slow)" "timed out" "slow: logged as a timeout"
is "$(item f_slow)" "-|-|0.25|lexicon|1" "slow: lexicon score kept"
curl -s "$LLM/_release" >/dev/null

# ---- instead: sentiment becomes the LLM's (restart reads the new mode) ----
fmode ok
pg_stop
echo "alphapulse.llm_mode = 'instead'" >>"$DATA/postgresql.conf"
pg_start || { echo "Bail out! cluster did not restart"; exit 1; }
news i_pos 'Ether volumes surge'
round_done i_pos
ok $? "instead: item scored"
is "$(item i_pos)" "positive|0.8|0.8|llm|0" "instead: sentiment = llm_score, sentiment_source = llm"
fmode sql
news i_sql 'Injected surge'
round_done i_sql
is "$(item i_sql)" "-|-|0.25|lexicon|1" "instead: an invalid answer leaves the lexicon score"

# ---- a host not on the allow list pauses scoring, logged once ----
q "ALTER SYSTEM SET alphapulse.llm_url = 'http://127.0.0.1:1/v1/chat/completions'" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
wait_for 20 "SELECT EXISTS (SELECT FROM alphapulse.llm_log WHERE news_guid IS NULL AND message LIKE '%not in alphapulse.allowed_hosts%')"
ok $? "an llm_url host not in alphapulse.allowed_hosts is logged and nothing is sent"

# ---- the key: in no table a reader sees, not in the server log ----
r=$(PGOPTIONS= "$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$FEEDS_PG_PORT" -U lr -d postgres -c "SELECT * FROM alphapulse.llm_secret" 2>&1)
like "$r" "permission denied" "a reader cannot read alphapulse.llm_secret"
tables=$(q "SELECT string_agg(format('SELECT count(*) FROM %s t WHERE t::text LIKE ''%%SECRET-4242%%''', c.oid::regclass), ' UNION ALL ')
            FROM pg_class c WHERE c.relnamespace = 'alphapulse'::regnamespace AND c.relkind IN ('r', 'v')
            AND has_table_privilege('lr', c.oid, 'SELECT')")
is "$(q "SELECT sum(count) FROM ($tables) s")" 0 "the key is in no table or view a reader can select"
is "$(q "SELECT count(*) FROM pg_settings WHERE setting LIKE '%SECRET-4242%'")" 0 "nor in any setting"
grep -q 'SECRET-4242' "$WORK/server.log"
ok $((! $?)) "the key is not in the server log"
echo "# server log errors: $(grep -c ERROR "$WORK/server.log")"
is "$(grep -c 'LLM scoring of a news item failed' "$WORK/server.log")" "$(q "SELECT count(*) FROM alphapulse.news WHERE llm_attempts > 0")" "each failed round is one line in the server log"
done_testing
