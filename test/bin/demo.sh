#!/usr/bin/env bash
# make demo: the whole pipeline on the bundled synthetic sample data.  Build
# and install AlphaPulse, start the demo cluster, pull the sample bars through
# the feed worker from a local fixture HTTP server (binance format), print the
# latest indicator values, build features, train a `full` model per symbol and
# print its out-of-time holdout metrics and the champions.  Then pull
# SYNTHETIC news headlines (test/data/gen_news.py) through the feed worker as
# an RSS feed, and train a second model per symbol with news features next to
# the first (skipped, with a message, while news.sentiment is not filled).
# Safe to re-run: the extension is dropped and re-created with fresh data.
# AP_DEMO_DIR, AP_DEMO_PORT and AP_DEMO_HTTP_PORT move the cluster and the
# fixture servers (HTTP_PORT for bars, HTTP_PORT - 1 for news).
set -euo pipefail
cd "$(dirname "$0")/../.."

dir=${AP_DEMO_DIR:-/tmp/alphapulse-demo} port=${AP_DEMO_PORT:-54329} db=alphapulse
httpport=${AP_DEMO_HTTP_PORT:-54328} newsport=$(( ${AP_DEMO_HTTP_PORT:-54328} - 1 ))
export PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
export PATH=$PGBIN:$PATH PG_CONFIG=$PGBIN/pg_config
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=$db

test/bin/deps.sh
make
make install
. test/bin/cluster.sh	# ap_wait_until, ap_wait_sql

# A fresh cluster each run: it preloads the library just installed and has
# the current settings (the feed worker's database among them).
test/bin/cluster.sh destroy "$dir" "$port" "$db"
test/bin/cluster.sh start "$dir" "$port" "$db"

# \copy reads the CSV client-side: the server may not be able to read this tree.
PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION IF NOT EXISTS pg_cron;
DROP EXTENSION IF EXISTS alphapulse CASCADE;
CREATE EXTENSION alphapulse;
\copy alphapulse.assets (symbol, description, bar_interval) FROM 'test/data/sample_assets.csv' WITH (FORMAT csv, HEADER true)
SQL

# The bars arrive the way production data does: HTTP pages through the worker.
echo "Pulling the sample bars through the feed worker from a local fixture server..."
test/feeds_load_sample.sh test/data/sample_bars.csv "$httpport"
psql -X -q -v ON_ERROR_STOP=1 -c "ANALYZE alphapulse.bars"

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET TIME ZONE 'UTC';
\echo
\echo 'Sample data (SYNTHETIC, from test/data/gen_sample.py):'
SELECT symbol, count(*) AS bars, min(ts) AS first_bar, max(ts) AS last_bar,
       min(low) AS min_low, max(high) AS max_high
FROM alphapulse.bars GROUP BY symbol ORDER BY symbol;

\echo 'Latest indicator values per symbol:'
\x on
SELECT DISTINCT ON (symbol)
       symbol, ts, close,
       round(sma20, 2) AS sma20, round(ema20, 2) AS ema20, round(rsi14, 2) AS rsi14,
       round(macd, 2) AS macd, round(macd_signal, 2) AS macd_signal,
       round(bb_lower, 2) AS bb_lower, round(bb_upper, 2) AS bb_upper,
       round(atr14, 2) AS atr14, round(adx14, 2) AS adx14
FROM (SELECT symbol, ts, close,
             ap_sma(close, 20) OVER w AS sma20,
             ap_ema(close, 20) OVER w AS ema20,
             ap_rsi(close, 14) OVER w AS rsi14,
             (ap_macd(close, 12, 26, 9) OVER w).macd AS macd,
             (ap_macd(close, 12, 26, 9) OVER w).signal AS macd_signal,
             (ap_bbands(close, 20, 2) OVER w).lower AS bb_lower,
             (ap_bbands(close, 20, 2) OVER w).upper AS bb_upper,
             ap_atr(high, low, close, 14) OVER w AS atr14,
             ap_adx(high, low, close, 14) OVER w AS adx14
      FROM alphapulse.bars
      WINDOW w AS (PARTITION BY symbol ORDER BY ts)) s
ORDER BY symbol, ts DESC;
SQL

echo
echo "Building features and training a full model per symbol (walk-forward CV, random search)..."
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET TIME ZONE 'UTC';
SELECT symbol, ap_train(symbol, mode => 'full') AS model_id
FROM alphapulse.assets ORDER BY symbol;

\echo 'Out-of-time holdout metrics of each new model:'
\x on
SELECT m.symbol, m.id AS model_id, m.version, m.algorithm, m.stage,
       m.holdout_from, m.holdout_to,
       round((m.metrics->>'auc')::numeric, 4) AS auc,
       round((m.metrics->>'accuracy')::numeric, 4) AS hit_rate,
       round((m.metrics->>'logloss')::numeric, 4) AS logloss,
       round((m.metrics->>'brier')::numeric, 4) AS brier,
       round((m.metrics->>'strategy_return')::numeric, 4) AS strategy_return,
       round((m.metrics->>'buy_hold_return')::numeric, 4) AS buy_hold_return,
       round((m.metrics->>'sharpe')::numeric, 3) AS sharpe,
       round((m.metrics->>'max_drawdown')::numeric, 4) AS max_drawdown
FROM alphapulse.models m ORDER BY m.symbol, m.id;
\x off
\echo 'Champions:'
SELECT symbol, model_id, version, algorithm, promoted FROM alphapulse.champions ORDER BY symbol;
SQL

# News: the fixture server generates an RSS feed of SYNTHETIC headlines tied
# to the sample bars' dates (test/data/gen_news.py documents their modest
# relation to later returns); the feed worker lands them in alphapulse.news.
echo
echo "Pulling the sample news (SYNTHETIC headlines, test/data/gen_news.py) through the feed worker..."
/usr/bin/python3 test/fixture_server.py "$newsport" test/data/sample_bars.csv >"$dir/log/news-fixture.log" 2>&1 &
newsfix=$!
trap 'kill $newsfix 2>/dev/null || true' EXIT
ap_wait_until 30 "the news fixture server" grep -q "fixture server on" "$dir/log/news-fixture.log"
hosts=$(psql -X -qAt -c "SHOW alphapulse.allowed_hosts")
psql -X -q -v ON_ERROR_STOP=1 -c "ALTER SYSTEM SET alphapulse.allowed_hosts = '${hosts:+$hosts,}127.0.0.1:$newsport'" -c "SELECT pg_reload_conf()" >/dev/null
# A new session sees the new list once the postmaster has reloaded, and it
# signals the feed worker before it forks that session's backend: from then
# on the worker reloads before it takes more work.
ap_wait_sql 30 "SELECT current_setting('alphapulse.allowed_hosts') = '${hosts:+$hosts,}127.0.0.1:$newsport'"
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
SELECT ap_add_feed('sample_news', 'news', 'rss', 'http://127.0.0.1:$newsport/ok/gennews/rss.xml', NULL,
                   '{"keywords": {"bitcoin": "btc", "ethereum": "eth"}}');
SELECT ap_ingest('sample_news');
SQL
ap_wait_sql 300 "SELECT count(*) = 0 FROM alphapulse.feed_queue WHERE feed = 'sample_news'"
kill $newsfix 2>/dev/null || true
psql -X -qAt -v ON_ERROR_STOP=1 -c "SELECT name || ': ' || rows_landed || ' items' || coalesce(', last error: ' || last_error, '')
	FROM alphapulse.feed_status WHERE name = 'sample_news'"
[ "$(psql -X -qAt -c "SELECT count(*) FROM alphapulse.feed_status WHERE name = 'sample_news' AND (queued > 0 OR consecutive_failures > 0)")" = 0 ]
# The headlines are back-filled history: they all land now, so by the
# point-in-time rule they would count only from today.  Trusting this
# archive's publication times is a deliberate choice (feeds.trust_published).
echo "Back-filling on purpose: trusting the publication times of feed sample_news (alphapulse.feeds.trust_published)."
psql -X -q -v ON_ERROR_STOP=1 -c "UPDATE alphapulse.feeds SET trust_published = true WHERE name = 'sample_news'"

# Until the sentiment scorer is installed, news.sentiment may be missing or
# empty: the news model needs it (to_jsonb reads the column if it exists).
scored=$(psql -X -qAt -c "SELECT count(*) FROM alphapulse.news n WHERE to_jsonb(n) ->> 'sentiment' IS NOT NULL")
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET TIME ZONE 'UTC';
\echo 'Sample news (SYNTHETIC, from test/data/gen_news.py):'
SELECT s.symbol, count(*) AS items, min(n.published) AS first_published, max(n.published) AS last_published,
       count(*) FILTER (WHERE to_jsonb(n) ->> 'sentiment' IS NOT NULL) AS scored
FROM alphapulse.news n CROSS JOIN LATERAL unnest(n.symbols) s(symbol)
GROUP BY s.symbol ORDER BY s.symbol;
SQL
if [ "$scored" = 0 ]; then
	echo "alphapulse.news.sentiment is missing or empty (no sentiment scorer installed): skipping the model with news features."
else
	echo
	echo "Training a full model per symbol with news features next to the one without..."
	psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET TIME ZONE 'UTC';
-- the default features plus news over the last bars (windows in bars)
SELECT ap_feature_set('default_news', jsonb_build_object(
         'features', to_jsonb(s.features || ARRAY['news_count:6', 'news_sent_mean:1', 'news_sent_mean:3',
                                                  'news_sent_decay:3', 'news_sent_max_abs:6']),
         'target', jsonb_build_object('horizon', s.horizon, 'type', s.target_kind, 'threshold', s.threshold))) IS NOT NULL AS created
FROM alphapulse.feature_sets s WHERE s.name = 'default';
SELECT symbol, ap_train(symbol, mode => 'full', feature_set => 'default_news') AS model_id
FROM alphapulse.assets ORDER BY symbol;

\echo 'Holdout metrics without and with news features (same target, splits and seed):'
SELECT m.symbol, m.feature_set, m.id AS model_id,
       round((m.metrics->>'auc')::numeric, 4) AS auc,
       round((m.metrics->>'accuracy')::numeric, 4) AS hit_rate,
       round((m.metrics->>'logloss')::numeric, 4) AS logloss,
       round((m.metrics->>'strategy_return')::numeric, 4) AS strategy_return,
       round((m.metrics->>'sharpe')::numeric, 3) AS sharpe
FROM alphapulse.models m
WHERE m.id IN (SELECT max(id) FROM alphapulse.models GROUP BY symbol, feature_set)
ORDER BY m.symbol, m.feature_set;
SQL
fi

"$(dirname "$0")/demo_realtime.sh" btc
cat <<EOF
Demo cluster: $dir (data, log/postgresql.log), 127.0.0.1:$port, database $db.
Connect:      psql -h 127.0.0.1 -p $port -U postgres $db
Stop:         make demo-stop   (stops the server and removes $dir)
EOF
