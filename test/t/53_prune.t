#!/bin/bash
# Issue 12, retention: ap_prune deletes archived models (exported ones unless
# told otherwise), old runs, signals, feed runs, LLM log rows and (when asked)
# news after their ages, returns what it deleted per table, and never touches
# a champion, a challenger, the latest former champion (ap_rollback's
# target) or a younger row.  The counts it must return are worked out by
# hand from the rows made here.
. "$(dirname "$0")/sec_lib.sh"
# second_cluster <dir> [db]: start a private cluster on a free port (tried
# again on another port if one is taken meanwhile); sets port2
second_cluster() {
	local try
	for try in 1 2 3 4 5; do
		for _ in $(seq 50); do
			port2=$((59000 + RANDOM % 900))
			(exec 3<>"/dev/tcp/127.0.0.1/$port2") 2>/dev/null || break
		done
		PGBIN=$PGBIN test/bin/cluster.sh start "$1" "$port2" ${2:+"$2"} >/dev/null 2>&1 && return 0
		PGBIN=$PGBIN test/bin/cluster.sh destroy "$1" "$port2" >/dev/null 2>&1	# its conf names the taken port
	done
	return 1
}
db=ap_prune_$$
new_db "$db"
out=$(qf "$db" -c "SET alphapulse.xgboost_threads = 1" -f - <<'SQL'
CREATE EXTENSION alphapulse;
\i test/fixtures/models/bars.sql
SELECT pg_temp.make_bars('btc', 500, 'b');
SELECT pg_temp.make_bars('eth', 400, 'e');
-- btc: 1 champion then archived, 2 champion then archived (the rollback
-- target), 3 champion, 4 challenger, 5 never promoted then archived by hand
SELECT ap_train('btc', algorithm => 'ridge');                      -- 1
SELECT ap_promote(ap_train('btc', algorithm => 'ridge'));          -- 2
SELECT ap_promote(ap_train('btc', algorithm => 'ridge'));          -- 3
SELECT ap_train('btc', algorithm => 'ridge');                      -- 4
SELECT ap_train('btc', algorithm => 'ridge');                      -- 5
UPDATE alphapulse.models SET stage = 'archived' WHERE id = 5;
SELECT ap_train('eth', algorithm => 'ridge');                      -- 6
SELECT ap_promote(ap_train('eth', algorithm => 'ridge'));          -- 7: 6 archived, eth's rollback target
SELECT ap_train('eth', algorithm => 'ridge');                      -- 8
SELECT ap_promote(8);                                              -- 7 archived: now eth's rollback target, 6 not
SELECT ap_score('btc', '2024-01-15');
SELECT ap_score('eth', '2024-01-10');
-- every model old; 1, 2, 6 and 7 exported
UPDATE alphapulse.models SET created = now() - interval '400 days';
SELECT ap_export_model(id) IS NOT NULL FROM alphapulse.models WHERE id IN (1, 2, 6, 7);
-- signals: btc's written before 2024-01-18 are old
UPDATE alphapulse.signals SET created = now() - interval '400 days' WHERE ts < '2024-01-18';
INSERT INTO alphapulse.feeds (name, kind, format, url, symbol, options)
VALUES ('btc_bn', 'price', 'binance', 'https://api.binance.com/api/v3/klines?symbol=BTCUSDT', 'btc', '{}'),
	   ('eth_bn', 'price', 'binance', 'https://api.binance.com/api/v3/klines?symbol=ETHUSDT', 'eth', '{}'),
	   ('news1', 'news', 'rss', 'https://example.com/rss.xml', NULL, '{}');
-- feed runs: btc 5 old and 1 new, eth 3 old (its last one is kept), news1 2 old
INSERT INTO alphapulse.feed_runs (feed, started, finished, url, http_status, rows_landed, via)
SELECT f, now() - d * interval '1 day', now() - d * interval '1 day', 'https://x/', 200, 1, 'worker'
FROM (VALUES ('btc_bn', 100), ('btc_bn', 90), ('btc_bn', 80), ('btc_bn', 70), ('btc_bn', 60), ('btc_bn', 1),
			 ('eth_bn', 100), ('eth_bn', 90), ('eth_bn', 80), ('news1', 50), ('news1', 40)) v(f, d);
INSERT INTO alphapulse.news (guid, feed, title, published, symbols, fetched)
VALUES ('old', 'news1', 'Bitcoin rallies', now() - interval '400 days', '{btc}', now() - interval '400 days'),
	   ('new', 'news1', 'Ether dips', now(), '{eth}', now());
INSERT INTO alphapulse.llm_log (news_guid, started, finished, attempt, ok)
VALUES ('old', now() - interval '60 days', now() - interval '60 days', 0, true),
	   ('old', now() - interval '45 days', now() - interval '45 days', 1, true),
	   ('new', now(), now(), 0, true);
SQL
)
ok $? "filled: btc models 1-5, eth 6-8, signals, feeds with runs, news, LLM log" || diag "$out"
q "$db" "SELECT ap_train('btc', algorithm => 'nope')" >/dev/null
wait_for 30 "$db" "SELECT count(*) = 1 FROM alphapulse.runs WHERE status = 'failed'"
ok $? "a failed run is logged"
q "$db" "UPDATE alphapulse.runs SET finished = now() - interval '400 days'" >/dev/null
is "$(q "$db" "SELECT string_agg(id || stage, ' ' ORDER BY id) FROM alphapulse.models")" \
	"1archived 2archived 3champion 4challenger 5archived 6archived 7archived 8champion" "the registry as planned"

# The tables of the evaluate and drift parts, where this build has them:
# evaluation 1 pairs models 1 and 2 (both archived), evaluation 2 pairs 6 with
# eth's champion 8, which keeps 6; an old drift report with a feature row, an
# old finished retrain request and an old pending one.
has() { [ "$(q "$db" "SELECT to_regclass('$1') IS NOT NULL")" = t ]; }
if has alphapulse.evaluations; then
	out=$(q "$db" "INSERT INTO alphapulse.evaluations (symbol, champion_id, challenger_id, window_from, window_to, rows, metric,
		higher_is_better, champion_metrics, challenger_metrics, difference, ci_low, ci_high, confidence, block_length,
		resamples, seed, policy, verdict, reason, by_user)
		SELECT s, c, h, '2024-01-01', '2024-01-10', 100, 'logloss', false, '{}', '{}', 0.01, -0.01, 0.02, 0.95, 5, 100, 42,
			'{}', 'refused', 'test', 'postgres'
		FROM (VALUES ('btc', 1, 2), ('eth', 6, 8)) v(s, c, h)")
	ok $? "two evaluations" || diag "$out"
fi
if has alphapulse.drift_reports; then
	out=$(qf "$db" -f - <<'SQL'
INSERT INTO alphapulse.drift_reports (id, symbol, model_id, reference_from, reference_to, current_from, current_to,
	reference_rows, current_rows, share_drifted, drifted, drift_share, since, options, created)
VALUES (1, 'btc', 3, '2024-01-01', '2024-01-10', '2024-01-11', '2024-01-20', 100, 100, 0.5, true, 0.5, '2024-01-11', '{}',
		now() - interval '400 days'),
	   (2, 'btc', 3, '2024-01-01', '2024-01-10', '2024-01-11', '2024-01-20', 100, 100, 0.5, true, 0.5, '2024-01-11', '{}', now());
INSERT INTO alphapulse.drift_features (report_id, feature, method, statistic, p_value, threshold, drifted,
	reference_values, current_values, distinct_values, position)
VALUES (1, 'ret_1', 'ks', 0.3, 0.01, 0.05, true, 100, 100, 100, 1);
INSERT INTO alphapulse.retrain_requests (symbol, requested_at, reason, drift_report_id, status, finished_at)
VALUES ('btc', now() - interval '400 days', 'drift', 1, 'done', now() - interval '399 days'),
	   ('eth', now() - interval '400 days', 'drift', NULL, 'pending', NULL);
SQL
)
	ok $? "drift reports, a feature row and retrain requests" || diag "$out"
fi

# expected, by hand: models 1 and 6 (exported, archived, not the latest former
# champion; 2 and 7 are, 5 is unexported) -- but 6 stays when an evaluation
# pairs it with eth's champion; runs: the failed one and those of the pruned
# models; signals: btc's old ones (none is of model 1 or 6, which never
# scored); feed runs: btc 5 old, eth 2 (its last is kept), news1 1; llm_log 2;
# the old drift report and the finished request.
old_sig=$(q "$db" "SELECT count(*) FROM alphapulse.signals WHERE created < now() - interval '1 year'")
ok $([ "$old_sig" -gt 0 ]; echo $?) "$old_sig old signals"
if has alphapulse.evaluations; then
	want="alphapulse.models:1 alphapulse.evaluations:1 alphapulse.runs:2" kept="2 3 4 5 6 7 8"
else
	want="alphapulse.models:2 alphapulse.runs:3" kept="2 3 4 5 7 8"
fi
want="$want alphapulse.signals:$old_sig alphapulse.feed_runs:8"
has alphapulse.drift_reports && want="$want alphapulse.drift_reports:1 alphapulse.retrain_requests:1"
want="$want alphapulse.llm_log:2"
snapshot="SELECT (SELECT count(*) FROM alphapulse.models) || '/' || (SELECT count(*) FROM alphapulse.runs) || '/' ||
	(SELECT count(*) FROM alphapulse.signals) || '/' || (SELECT count(*) FROM alphapulse.feed_runs) || '/' ||
	(SELECT count(*) FROM alphapulse.llm_log) || '/' || (SELECT count(*) FROM alphapulse.news)"
before=$(q "$db" "$snapshot")
res="SELECT string_agg(relation || ':' || deleted, ' ') FROM ap_prune"
is "$(q "$db" "$res(options => '{\"dry_run\": true}') WHERE relation LIKE 'alphapulse.%'")" "$want" "dry run: what would go, per table"
is "$(q "$db" "$snapshot")" "$before" "dry run deleted nothing"
is "$(q "$db" "$res() WHERE relation LIKE 'alphapulse.%'")" "$want" "ap_prune() with the defaults deletes what was worked out"
is "$(q "$db" "SELECT string_agg(id::text, ' ' ORDER BY id) FROM alphapulse.models")" "$kept" \
	"kept: champions, the challenger, the rollback targets, the unexported archived model (and one a live model's evaluation names)"
is "$(q "$db" "SELECT count(*) FROM alphapulse.runs r WHERE status = 'failed' OR NOT EXISTS (SELECT FROM alphapulse.models m WHERE m.id = r.model_id)") $(q "$db" "SELECT count(*) FROM alphapulse.runs")" \
	"0 $(wc -w <<<"$kept")" "runs: the failed one and those of pruned models went, those of kept models stayed"
if has alphapulse.drift_reports; then
	is "$(q "$db" "SELECT string_agg(id::text, ' ') FROM alphapulse.drift_reports") $(q "$db" "SELECT count(*) FROM alphapulse.drift_features") $(q "$db" "SELECT string_agg(status, ' ') FROM alphapulse.retrain_requests")" \
		"2 0 pending" "drift: the young report and the pending request stay, the old report's feature rows went with it"
fi
is "$(q "$db" "SELECT string_agg(feed || ':' || n, ' ' ORDER BY feed) FROM (SELECT feed, count(*) n FROM alphapulse.feed_runs GROUP BY feed) x")" \
	"btc_bn:1 eth_bn:1 news1:1" "feed runs: btc's recent one and each feed's last stayed"
is "$(q "$db" "SELECT count(*) FROM alphapulse.news")" 2 "news: kept by default"
is "$(q "$db" "SELECT ap_rollback('btc')")" 2 "ap_rollback still finds btc's former champion"
is "$(q "$db" "SELECT ap_promote(3)")" 3 "and the champion is promoted back"
is "$(q "$db" "$res() WHERE deleted > 0")" "" "a second run finds nothing more"

# options: the unexported archived model, per symbol, news; eth untouched when pruning btc
q "$db" "INSERT INTO alphapulse.llm_log (news_guid, started, finished, attempt, ok) VALUES (NULL, now() - interval '50 days', now() - interval '50 days', 0, false)" >/dev/null
is "$(q "$db" "$res('btc', '{\"unexported_models\": true}') WHERE deleted > 0")" "alphapulse.models:1 alphapulse.runs:1 alphapulse.llm_log:1" \
	"unexported_models: btc's archived model 5 goes (per symbol), with its run; the LLM log (not per symbol) is pruned by every call"
is "$(q "$db" "SELECT string_agg(id::text, ' ' ORDER BY id) FROM alphapulse.models")" "${kept/5 /}" "eth's models untouched"
is "$(q "$db" "$res(options => '{\"news\": \"30 days\", \"signals\": null, \"runs\": null, \"archived_models\": null, \"feed_runs\": null, \"llm_log\": null, \"drift_reports\": null, \"retrain_requests\": null}')")" \
	"alphapulse.news:1" "news pruned when asked; null ages leave a table alone (and are not reported)"
# the age boundary: signals written 100 days ago go at 99 days, not at 101
q "$db" "UPDATE alphapulse.signals SET created = now() - interval '100 days' WHERE ts < '2024-01-19'" >/dev/null
n100=$(q "$db" "SELECT count(*) FROM alphapulse.signals WHERE created < now() - interval '99 days'")
ok $([ "$n100" -gt 0 ]; echo $?) "$n100 signals written 100 days ago"
is "$(q "$db" "$res(options => '{\"signals\": \"101 days\"}') WHERE relation = 'alphapulse.signals'")" \
	"alphapulse.signals:0" "signals: none older than 101 days"
is "$(q "$db" "$res(options => '{\"signals\": \"99 days\"}') WHERE relation = 'alphapulse.signals'")" \
	"alphapulse.signals:$n100" "signals: the $n100 older than 99 days go"
sig=$(q "$db" "SELECT count(*) FROM alphapulse.signals")
ok $([ "$sig" -gt 0 ]; echo $?) "$sig younger signals stay"

# bad options, unknown symbols and roles
st() { psql -X -qAt -d "$db" -c '\set VERBOSITY sqlstate' -c "$1" 2>&1 | sed -n 's/^ERROR: *//p'; }
is "$(st "SELECT * FROM ap_prune(options => '{\"signal\": \"1 day\"}')")" 22023 "an unknown option: 22023"
is "$(st "SELECT * FROM ap_prune(options => '{\"signals\": \"-1 day\"}')")" 22023 "a negative age: 22023"
is "$(st "SELECT * FROM ap_prune(options => '{\"signals\": \"soon\"}')")" 22023 "an age that is not an interval: 22023"
is "$(st "SELECT * FROM ap_prune(options => '{\"signals\": 30}')")" 22023 "an age that is a number: 22023"
is "$(st "SELECT * FROM ap_prune(options => '{\"dry_run\": \"yes\"}')")" 22023 "dry_run not a boolean: 22023"
is "$(st "SELECT * FROM ap_prune(options => '[]')")" 22023 "options not an object: 22023"
is "$(st "SELECT * FROM ap_prune('doge')")" 42704 "an unknown symbol: 42704"
is "$(q "$db" "SELECT count(*) FROM alphapulse.signals")" "$sig" "refused calls deleted nothing"
q "$db" "CREATE ROLE ap_prune_w_$$ LOGIN IN ROLE alphapulse_writer; CREATE ROLE ap_prune_a_$$ LOGIN IN ROLE alphapulse_admin" >/dev/null
on_exit "psql -X -q -d postgres -c 'DROP ROLE IF EXISTS ap_prune_w_$$' -c 'DROP ROLE IF EXISTS ap_prune_a_$$'"
is "$(PGUSER=ap_prune_w_$$ psql -X -qAt -d "$db" -c '\set VERBOSITY sqlstate' -c "SELECT * FROM ap_prune()" 2>&1 | sed -n 's/^ERROR: *//p')" 42501 \
	"a writer may not prune"
is "$(PGUSER=ap_prune_a_$$ psql -X -qAt -d "$db" -c "SELECT count(*) FROM ap_prune(options => '{\"dry_run\": true}')" 2>&1)" $(wc -w <<<"$want") \
	"an admin may (the same tables reported; pg_cron's history only where pg_cron is installed)"
is "$(q "$db" "SELECT ap_predict('btc', x) IS NOT NULL FROM alphapulse.features WHERE symbol = 'btc' AND array_position(x, NULL) IS NULL ORDER BY ts DESC LIMIT 1")" t \
	"the champion still predicts"

# pg_cron's history, in a cluster of its own whose cron database runs AlphaPulse
dir2=$(mktemp -d /tmp/ap-prune-c2.XXXXXX)
cdb=ap_prune_cron
second_cluster "$dir2" "$cdb" || { echo "Bail out! second cluster did not start"; exit 1; }
on_exit "PGBIN=$PGBIN test/bin/cluster.sh destroy $dir2 $port2"
out=$(PGPORT=$port2 qf "$cdb" -f - <<'SQL'
CREATE EXTENSION pg_cron;
CREATE EXTENSION alphapulse;
INSERT INTO cron.job_run_details (jobid, runid, database, username, command, status, start_time, end_time)
VALUES (1, 1001, current_database(), 'postgres', 'SELECT 1', 'succeeded', now() - interval '40 days', now() - interval '40 days'),
	   (1, 1002, current_database(), 'postgres', 'SELECT 1', 'succeeded', now() - interval '31 days', now() - interval '31 days'),
	   (1, 1003, current_database(), 'postgres', 'SELECT 1', 'succeeded', now() - interval '29 days', now() - interval '29 days'),
	   (2, 1004, 'elsewhere', 'postgres', 'SELECT 1', 'succeeded', now() - interval '40 days', now() - interval '40 days');
SQL
)
ok $? "a pg_cron database with four job runs (two of this database older than 30 days)" || diag "$out"
is "$(PGPORT=$port2 q "$cdb" "$res() WHERE relation = 'cron.job_run_details'")" "cron.job_run_details:2" \
	"cron_history: this database's runs older than 30 days go"
is "$(PGPORT=$port2 q "$cdb" "SELECT string_agg(runid::text, ' ' ORDER BY runid) FROM cron.job_run_details")" "1003 1004" \
	"the younger run and another database's runs stay"
done_testing
