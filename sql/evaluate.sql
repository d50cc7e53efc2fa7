-- ap_evaluate, the promotion policy, the model events and champion_signals:
-- the default policy promoting, a manual and a refusing policy, and every
-- bad-input case (clear SQLSTATE, nothing written).
-- a fresh install (ids from 1), dropped at the end: later tests count every
-- run and model of the database
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS alphapulse CASCADE;
CREATE EXTENSION alphapulse;
RESET client_min_messages;
\set VERBOSITY default
\set SHOW_CONTEXT never
\set ECHO none
\i test/fixtures/models/bars.sql
\set ECHO all
SET alphapulse.xgboost_threads = 1;
SET alphapulse.progress_notices = off;
SELECT pg_temp.make_bars('ev1', 2000, 'sessions');
SELECT pg_temp.make_bars('ev2', 1500, 's');

-- the default policy: the task's loss, any improvement whose 95% interval is
-- above 0, at least 100 rows, automatic
SELECT * FROM alphapulse.promotion_policy('ev1');

-- a weak champion (ridge shrunk to a constant) and two challengers
SELECT ap_train('ev1', algorithm => 'ridge', params => '{"lambda": 1000000}') AS weak \gset
SELECT ap_train('ev1') AS xgb \gset
SELECT ap_train('ev1', algorithm => 'logistic') AS logit \gset
SELECT ap_train('ev2') AS other \gset

-- nothing has been evaluated yet; ap_train logged registrations
SELECT model_id = :weak AS first, event, reason FROM alphapulse.model_events WHERE symbol = 'ev1' ORDER BY id;

SELECT coalesce(max(id), 0) AS ev0 FROM alphapulse.model_events \gset
-- a manual policy records the passes without promoting, and says how to
INSERT INTO alphapulse.promotion_policies (symbol, mode) VALUES ('ev1', 'manual');
SELECT challenger_id = :logit AS is_logit, verdict, reason LIKE '%policy is manual: promote with ap_promote(%' AS says_how
FROM ap_evaluate('ev1') ORDER BY challenger_id;
SELECT stage FROM alphapulse.models WHERE id = :weak;
DELETE FROM alphapulse.promotion_policies WHERE symbol = 'ev1';

-- every challenger newer than the champion, on the newer model's holdout:
-- both pass, the larger improvement is promoted
SELECT challenger_id = :logit AS is_logit, metric, rows, block_length, resamples, seed,
	round(difference::numeric, 4) AS difference, ci_low < difference AND difference < ci_high AS in_interval,
	verdict, window_from = (SELECT holdout_from FROM alphapulse.models WHERE id = :logit) AS default_window,
	window_to
FROM ap_evaluate('ev1') ORDER BY challenger_id;
SELECT id = :logit AS is_logit, stage FROM alphapulse.models WHERE symbol = 'ev1' AND stage <> 'challenger' ORDER BY id;
SELECT event, model_id = :logit AS is_logit, model_id = :weak AS is_weak, details ? 'evaluation_id' AS has_numbers, by_user = current_user AS by_caller
FROM alphapulse.model_events WHERE symbol = 'ev1' AND id > :ev0 ORDER BY id;
-- the metrics of each model are models.metrics' keys, and the challenger's on its own holdout equal its registry metrics
SELECT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(e.champion_metrics) k)
	= (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(m.metrics) k) AS same_keys,
	e.challenger_metrics = m.metrics AS same_as_registry
FROM alphapulse.evaluations e JOIN alphapulse.models m ON m.id = e.challenger_id WHERE e.challenger_id = :logit;

-- a strict policy refuses and says why
INSERT INTO alphapulse.promotion_policies (symbol, metric, min_improvement) VALUES ('ev1', 'auc', 0.5);
SELECT verdict, reason LIKE 'auc % does not clear the minimum 0.5' AS says_why FROM ap_evaluate('ev1', :xgb);
UPDATE alphapulse.promotion_policies SET min_improvement = 0, min_rows = 100000 WHERE symbol = 'ev1';
SELECT verdict, reason FROM ap_evaluate('ev1', :xgb);
SELECT event, model_id = :xgb AS is_xgb, details->>'metric' AS metric FROM alphapulse.model_events
WHERE symbol = 'ev1' AND event = 'refused' ORDER BY id;
DELETE FROM alphapulse.promotion_policies WHERE symbol = 'ev1';

-- a challenger on another feature set (same target) is scored on the rows both sets complete
SELECT ap_feature_set('ev_small', '{"features": ["ret:1", "ret:4", "rsi:14"], "target": {"horizon": 1, "type": "classification", "threshold": 0}}') IS NOT NULL AS made;
SELECT ap_train('ev1', algorithm => 'logistic', feature_set => 'ev_small') AS small \gset
SELECT e.verdict IN ('passed', 'refused', 'promoted') AS evaluated, e.rows = (
	SELECT count(*) FROM alphapulse.features fa JOIN alphapulse.features fb USING (symbol, ts)
	WHERE fa.symbol = 'ev1' AND fa.feature_set = 'default' AND fb.feature_set = 'ev_small'
	AND fa.ts >= e.window_from AND fa.target IS NOT NULL AND fa.fwd_return IS NOT NULL
	AND array_position(fa.x, NULL) IS NULL AND array_position(fb.x, NULL) IS NULL) AS rows_of_both
FROM ap_evaluate('ev1', :small) e;
-- one with another horizon predicts another target
SELECT ap_feature_set('ev_h4', '{"features": ["ret:1", "rsi:14"], "target": {"horizon": 4, "type": "classification", "threshold": 0}}') IS NOT NULL AS made;
SELECT ap_train('ev1', algorithm => 'logistic', feature_set => 'ev_h4') AS h4 \gset
SELECT * FROM ap_evaluate('ev1', :h4);
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- champion_signals: only the champion's rows, though signals keeps every model's
SELECT count(*) > 0 AS scored FROM ap_score('ev1');
SELECT ap_promote(:xgb) = :xgb AS promoted;
SELECT count(*) > 0 AS scored FROM ap_score('ev1');
SELECT count(DISTINCT model_id) AS models_in_signals FROM alphapulse.signals WHERE symbol = 'ev1';
SELECT count(DISTINCT model_id) AS models_in_view, bool_and(model_id = :xgb) AS only_champion
FROM alphapulse.champion_signals WHERE symbol = 'ev1';

-- ap_promote and ap_rollback log who asked (the caller, not the function's owner)
CREATE ROLE regress_ev_writer IN ROLE alphapulse_writer;
SET ROLE regress_ev_writer;
SELECT ap_rollback('ev1') = :logit AS rolled_back;
RESET ROLE;
SELECT event, by_user FROM alphapulse.model_events WHERE symbol = 'ev1' ORDER BY id DESC LIMIT 2;
-- a writer evaluates too: the rows are written as the registry's owner, by_user is the writer
SET ROLE regress_ev_writer;
SELECT verdict <> '' AS evaluated, by_user FROM ap_evaluate('ev1', :xgb);
RESET ROLE;
-- a writer keeps the symbol's policy (its trigger reads the evaluation limits)
SET ROLE regress_ev_writer;
INSERT INTO alphapulse.promotion_policies (symbol, min_rows) VALUES ('ev1', 50);
UPDATE alphapulse.promotion_policies SET min_rows = 10 WHERE symbol = 'ev1';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM alphapulse.promotion_policies WHERE symbol = 'ev1';
RESET ROLE;
-- bars that arrived since are built and evaluated in the same call
SELECT rows AS rows_before FROM alphapulse.evaluations WHERE challenger_id = :xgb ORDER BY id DESC LIMIT 1 \gset
INSERT INTO alphapulse.bars (symbol, ts, open, high, low, close, volume)
SELECT symbol, ts + interval '48 hours', open, high, low, close, volume FROM alphapulse.bars
WHERE symbol = 'ev1' AND ts > (SELECT max(ts) - interval '48 hours' FROM alphapulse.bars WHERE symbol = 'ev1');
SELECT id AS eid FROM ap_evaluate('ev1', :xgb) \gset
SELECT e.rows - :rows_before AS new_rows, e.rows = (SELECT count(*) FROM alphapulse.features f
	WHERE f.symbol = 'ev1' AND f.feature_set = 'default' AND f.ts >= e.window_from
	AND f.target IS NOT NULL AND f.fwd_return IS NOT NULL AND array_position(f.x, NULL) IS NULL) AS all_rows
FROM alphapulse.evaluations e WHERE e.id = :eid;
-- only the extension writes events and evaluations
SET ROLE regress_ev_writer;
SELECT alphapulse.log_model_event('ev1', :xgb, 'promoted', 'forged', '{}');
INSERT INTO alphapulse.model_events (symbol, model_id, event, by_user) VALUES ('ev1', 1, 'promoted', 'x');
RESET ROLE;

-- bad input: a clear error and nothing written
SELECT count(*) AS evaluations FROM alphapulse.evaluations \gset
SELECT count(*) AS events FROM alphapulse.model_events \gset
SELECT * FROM ap_evaluate('nope');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM ap_evaluate(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_promote(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_rollback(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM ap_evaluate('ev1', :other);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM ap_evaluate('ev1', 999999);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM ap_evaluate('ev1', :logit);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM ap_evaluate('ev1', :xgb, '2024-03-01', '2024-02-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM ap_evaluate('ev1', :xgb, '2024-03-01', '2024-03-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM ap_evaluate('ev1', :xgb, '2024-01-10');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM ap_evaluate('ev1', :xgb, '2024-03-20 00:00', '2024-03-20 12:00');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.promotion_policies (symbol, metric) VALUES ('ev1', 'profit');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.promotion_policies (symbol, metric) VALUES ('ev1', 'rmse');
SELECT * FROM ap_evaluate('ev1', :xgb);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM alphapulse.promotion_policies WHERE symbol = 'ev1';
INSERT INTO alphapulse.promotion_policies (symbol, confidence) VALUES ('ev1', 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.promotion_policies (symbol, metric, min_improvement) VALUES ('ev1', 'auc', 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.promotion_policies (symbol, min_improvement) VALUES ('ev1', -0.1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.promotion_policies (symbol, block_length, min_rows) VALUES ('ev1', 80, 100);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.promotion_policies (symbol, resamples) VALUES ('ev1', 10);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.promotion_policies (symbol, min_rows) VALUES ('ev1', 5);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.promotion_policies (symbol, mode) VALUES ('ev1', 'sometimes');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.promotion_policies (symbol) VALUES ('nope');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT (SELECT count(*) FROM alphapulse.evaluations) = :evaluations AS no_evaluation_written,
	(SELECT count(*) FROM alphapulse.model_events) = :events AS no_event_written,
	(SELECT count(*) FROM alphapulse.promotion_policies) AS policies;
DROP ROLE regress_ev_writer;
-- a reader granted EXECUTE by mistake still may not evaluate (it writes and
-- promotes as the registry's owner)
CREATE ROLE regress_ev_reader IN ROLE alphapulse_reader;
GRANT EXECUTE ON FUNCTION ap_evaluate(text, bigint, timestamptz, timestamptz) TO regress_ev_reader;
SET ROLE regress_ev_reader;
SELECT count(*) FROM ap_evaluate('ev1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE EXECUTE ON FUNCTION ap_evaluate(text, bigint, timestamptz, timestamptz) FROM regress_ev_reader;
DROP ROLE regress_ev_reader;

-- retrain and evaluate in one statement: the new model is found by the evaluation
SELECT count(*) AS evaluated FROM ap_evaluate('ev1', ap_train('ev1', algorithm => 'ridge'));
DROP EXTENSION alphapulse CASCADE;
