#!/usr/bin/env bash
# make demo: the whole pipeline on the bundled synthetic sample data.  Build
# and install AlphaPulse, start the demo cluster, pull the sample bars through
# the feed worker from a local fixture HTTP server (binance format), print the
# latest indicator values, build features, train a `full` model per symbol and
# print its out-of-time holdout metrics and the champions.
# Safe to re-run: the extension is dropped and re-created with fresh data.
set -euo pipefail
cd "$(dirname "$0")/../.."

dir=/tmp/alphapulse-demo port=54329 db=alphapulse
export PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
export PATH=$PGBIN:$PATH PG_CONFIG=$PGBIN/pg_config
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=$db

test/bin/deps.sh
make
make install

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
test/feeds_load_sample.sh test/data/sample_bars.csv 54328
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

cat <<EOF
Demo cluster: $dir (data, log/postgresql.log), 127.0.0.1:$port, database $db.
Connect:      psql -h 127.0.0.1 -p $port -U postgres $db
Stop:         make demo-stop   (stops the server and removes $dir)
EOF
