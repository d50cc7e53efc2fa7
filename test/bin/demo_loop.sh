#!/usr/bin/env bash
# The MLOps loop, told on the SYNTHETIC series "syn" (test/data/gen_sample.py:
# a regime change on 2022-06-01, a modest predictable component before it and
# the opposite one after).  Called by test/bin/demo.sh with the demo cluster's
# PG* variables set:  demo_loop.sh DEMO_DIR HTTP_PORT
#   1. bars up to the change arrive through the feed worker; a champion is
#      trained on them (what a working model looks like);
#   2. the loop is scheduled (ap_schedule, alphapulse.jobs);
#   3. the rest of the bars arrive: the ingest job lands, builds and scores them;
#   4. ap_drift sees the regime change and queues a retraining;
#   5. the requests job retrains (a challenger) and ap_evaluate decides, saying why;
#   6. backtests of both models next to buy-and-hold on the same bars;
#   7. ap_report writes the HTML report.
# Steps whose functions are not installed say so and the story goes on.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/bin/cluster.sh	# ap_wait_until, ap_wait_sql
dir=$1 port=$2
# the story, not the progress lines of every long call (alphapulse.progress has them)
export PGOPTIONS="${PGOPTIONS:-} -c alphapulse.progress_notices=off"
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
has() { [ "$(psql -X -qAt -c "SELECT to_regproc('$1') IS NOT NULL")" = t ]; }
change=2022-06-01

echo
echo "=== The MLOps loop on syn: SYNTHETIC hourly bars with a regime change on $change (test/data/gen_sample.py) ==="
/usr/bin/python3 test/fixture_server.py "$port" test/data/regime_bars.csv >"$dir/log/regime-fixture.log" 2>&1 &
fix=$!
trap 'kill $fix 2>/dev/null || true' EXIT
ap_wait_until 30 "the regime fixture server" grep -q "fixture server on" "$dir/log/regime-fixture.log"
hosts=$(psql -X -qAt -c "SHOW alphapulse.allowed_hosts")
case ",$hosts," in
	*",127.0.0.1:$port,"*) ;;
	*) psql -X -q -c "ALTER SYSTEM SET alphapulse.allowed_hosts = '${hosts:+$hosts,}127.0.0.1:$port'" -c "SELECT pg_reload_conf()" >/dev/null ;;
esac
# ap_ingest_now runs in the session: a new session sees the reloaded list
ap_wait_sql 30 "SELECT ',' || current_setting('alphapulse.allowed_hosts') || ',' LIKE '%,127.0.0.1:$port,%'"

"${PSQL[@]}" >/dev/null <<SQL
\copy alphapulse.assets (symbol, description, bar_interval) FROM 'test/data/regime_assets.csv' WITH (FORMAT csv, HEADER true)
-- the feed stops at the change for now ("end"): the later bars arrive in step 3
SELECT ap_add_feed('syn_binance', 'price', 'binance', 'http://127.0.0.1:$port/ok/binance/api/v3/klines?symbol=SYN&interval=1h',
                   'syn', '{"start": "2022-01-01", "end": "$change", "page_size": 1000}');
SQL
echo
echo "1. Bars before the change arrive (ap_ingest_now), and a champion is trained on them:"
"${PSQL[@]}" <<'SQL'
SET TIME ZONE 'UTC';
SELECT requests, rows_landed, ok FROM ap_ingest_now('syn_binance');
SELECT ap_train('syn', 'fast') AS champion_id;
\x on
SELECT m.id AS model_id, m.stage, m.train_from, m.train_to, m.holdout_from, m.holdout_to,
       round((m.metrics->>'auc')::numeric, 4) AS holdout_auc,
       round((m.metrics->>'accuracy')::numeric, 4) AS holdout_hit_rate,
       round((m.metrics->>'logloss')::numeric, 4) AS holdout_logloss
FROM alphapulse.models m WHERE m.symbol = 'syn';
\x off
\echo 'The generator put a modest mean reversion (AR(1) -0.12) before the change: the hit rate'
\echo 'above one half is that component, and ret_1 leads the SHAP importance in the report.'
SQL

echo
echo "2. The loop is scheduled (pg_cron jobs, GMT; options and defaults: alphapulse.schedule_defaults()):"
"${PSQL[@]}" <<'SQL'
SELECT * FROM ap_schedule('syn');
SQL

echo "3. Bars after the change arrive: the ingest job (run now by hand, as pg_cron would) lands them,"
echo "   builds their features and scores them with the champion:"
"${PSQL[@]}" <<'SQL'
SET TIME ZONE 'UTC';
UPDATE alphapulse.feeds SET options = options - 'end' WHERE name = 'syn_binance';
SELECT ap_run_job('syn', 'ingest') AS ingest;
SELECT step, status, round(duration_ms) AS ms, details->'rows_landed' AS rows_landed, details->'scored' AS scored
FROM alphapulse.job_log WHERE symbol = 'syn' ORDER BY id DESC LIMIT 1;
SELECT step, schedule, last_status, round(last_duration_ms) AS last_ms FROM alphapulse.jobs WHERE symbol = 'syn';
SQL

champion=$(psql -X -qAt -c "SELECT model_id FROM alphapulse.champions WHERE symbol = 'syn'")
echo
echo "4. Drift: the champion's features over the bars since the change against its training rows:"
if has ap_drift; then
	"${PSQL[@]}" <<SQL
SET TIME ZONE 'UTC';
SELECT ap_drift('syn', '$change'::timestamptz) AS report_id \gset
SELECT id, model_id, reference_rows, current_rows, round(share_drifted::numeric, 3) AS share_drifted, drifted
FROM alphapulse.drift_reports WHERE id = :report_id;
SELECT feature, method, round(statistic::numeric, 4) AS statistic, p_value, threshold, drifted
FROM alphapulse.drift_features WHERE report_id = :report_id ORDER BY drifted DESC, statistic DESC LIMIT 8;
SQL
	if [ "$(psql -X -qAt -c "SELECT to_regclass('alphapulse.retrain_requests') IS NOT NULL")" = t ]; then
		psql -X -q -c "SELECT id, symbol, status, reason FROM alphapulse.retrain_requests WHERE symbol = 'syn' ORDER BY id"
	fi
else
	echo "   (ap_drift is not installed in this build: no drift report)"
fi

echo
echo "5. Retraining: the requests job takes the drift's retraining request (or the nightly retrain"
echo "   runs), trains a challenger on every bar so far and ap_evaluate decides on the same window:"
step=retrain
if [ "$(psql -X -qAt -c "SELECT to_regclass('alphapulse.retrain_requests') IS NOT NULL")" = t ] &&
   [ "$(psql -X -qAt -c "SELECT EXISTS (SELECT FROM alphapulse.retrain_requests WHERE symbol = 'syn' AND status = 'pending')")" = t ]; then
	step=requests
fi
"${PSQL[@]}" <<SQL
SET TIME ZONE 'UTC';
SELECT ap_run_job('syn', '$step') AS $step;
SELECT step, status, message, details->'model_id' AS challenger, details->'promoted' AS promoted
FROM alphapulse.job_log WHERE symbol = 'syn' ORDER BY id DESC LIMIT 1;
SELECT r.id, r.status, r.model_id, r.evaluation_id, r.message
FROM alphapulse.retrain_requests r WHERE r.symbol = 'syn' ORDER BY r.id;
SQL
if [ "$(psql -X -qAt -c "SELECT to_regclass('alphapulse.evaluations') IS NOT NULL")" = t ]; then
	echo "ap_evaluate's decision and why:"
	psql -X -q -P expanded=on -c "SELECT e.id, e.champion_id, e.challenger_id, e.window_from, e.window_to, e.rows, e.metric,
		round((e.champion_metrics->>e.metric)::numeric, 5) AS champion_value, round((e.challenger_metrics->>e.metric)::numeric, 5) AS challenger_value,
		round((e.champion_metrics->>'auc')::numeric, 4) AS champion_auc, round((e.challenger_metrics->>'auc')::numeric, 4) AS challenger_auc,
		e.difference, e.ci_low, e.ci_high, e.confidence, e.block_length, e.resamples, e.verdict, e.reason
		FROM alphapulse.evaluations e WHERE e.symbol = 'syn' ORDER BY e.id DESC LIMIT 1"
else
	echo "   (ap_evaluate is not installed in this build: the challenger stays a challenger)"
fi
challenger=$(psql -X -qAt -c "SELECT max(id) FROM alphapulse.models WHERE symbol = 'syn'")
echo "Both models' AUC on that window (the challenger's holdout; Mann-Whitney with average ranks for ties):"
"${PSQL[@]}" <<SQL
WITH w AS (SELECT holdout_from, holdout_to FROM alphapulse.models WHERE id = $challenger),
s AS (SELECT m.label, m.id, ap_predict(m.id, f.x) AS p, f.target AS y
      FROM (VALUES ('champion, trained before the change', $champion::bigint), ('challenger, trained after it', $challenger::bigint)) AS m(label, id),
           alphapulse.features f, w
      WHERE f.symbol = 'syn' AND f.feature_set = 'default' AND f.ts BETWEEN w.holdout_from AND w.holdout_to AND f.target IS NOT NULL),
r AS (SELECT label, id, y, rank() OVER (PARTITION BY id ORDER BY p) + (count(*) OVER (PARTITION BY id, p) - 1) / 2.0 AS ar FROM s)
SELECT label, id AS model_id, count(*) AS rows,
       round(((sum(ar) FILTER (WHERE y = 1) - count(*) FILTER (WHERE y = 1) * (count(*) FILTER (WHERE y = 1) + 1) / 2.0)
              / (count(*) FILTER (WHERE y = 1) * count(*) FILTER (WHERE y = 0)))::numeric, 4) AS auc
FROM r GROUP BY label, id ORDER BY id;
SQL

echo
echo "6. Backtests of both models on the same bars (the challenger's holdout, after both training windows),"
echo "   next to buy-and-hold; at the default thresholds these weak models barely trade, so also long/flat"
echo "   on every bar at 0.5, with and without the default 10 bps per position change:"
if has ap_backtest; then
	from=$(psql -X -qAt -c "SELECT holdout_from FROM alphapulse.models WHERE id = $challenger")
	"${PSQL[@]}" <<SQL
-- default thresholds (0.55 / 0.45) and fees (10 bps), then every bar long or flat at 0.5,
-- with and without the 10 bps: the edge is real and hourly trading costs eat it
SELECT m.label, c.setting, round(b.total_return::numeric, 4) AS total_return, round(b.sharpe::numeric, 2) AS sharpe,
       round(b.max_drawdown::numeric, 3) AS max_drawdown, b.trades, round(b.exposure::numeric, 2) AS exposure,
       round(b.hit_rate::numeric, 3) AS hit_rate, round(b.bh_total_return::numeric, 4) AS buy_and_hold
FROM (VALUES (1, 'champion (before the change)', $champion), (2, 'challenger (after it)', $challenger)) AS m(k, label, id)
CROSS JOIN (VALUES (1, 'defaults', 10::float8, NULL::float8), (2, 'buy/sell at 0.5, 10 bps', 10, 0.5),
                   (3, 'buy/sell at 0.5, no costs', 0, 0.5)) AS c(n, setting, fee, thr)
CROSS JOIN LATERAL ap_backtest('syn', m.id, '$from'::timestamptz, NULL, c.fee, 0, c.thr, c.thr) b
ORDER BY m.k, c.n;
SQL
else
	echo "   (ap_backtest is not installed in this build)"
fi

echo
"${PSQL[@]}" -c "SELECT symbol, model_id, version, algorithm, promoted FROM alphapulse.champions WHERE symbol = 'syn'"
report=$dir/report-syn.html
psql -X -qAt -v ON_ERROR_STOP=1 -c "SELECT ap_report('syn')" >"$report"
echo "7. The report (one self-contained HTML file: charts, drift, leaderboard, feed health):"
echo "   $report"
# the fixture feed server stops with this script: its jobs would only fail from now on
psql -X -qAt -c "SELECT ap_unschedule('syn')" >/dev/null
echo "   (the syn jobs are unscheduled again: their feed's fixture server stops with the demo)"
