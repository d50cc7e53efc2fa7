-- ap_train, the run log and the registry: splits in time order with a gap,
-- determinism, champion rules, scoring, and every bad-input case.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS alphapulse;
RESET client_min_messages;
\set VERBOSITY default
\set SHOW_CONTEXT never
\set ECHO none
\i test/fixtures/models/bars.sql
\set ECHO all
SET alphapulse.xgboost_threads = 1;
-- ap_train reports its phases; NOTICE lines would depend on the machine's speed
SET alphapulse.progress_notices = off;
SELECT pg_temp.make_bars('sol', 1500, 's');

-- the first model of a symbol becomes champion, later ones challengers
SELECT ap_train('sol') AS m1 \gset
SELECT ap_train('sol', algorithm => 'logistic') AS m2 \gset
SELECT ap_train('sol', algorithm => 'ridge') AS m3 \gset
SELECT version, algorithm, stage, (model IS NOT NULL) AS has_blob, (coefficients IS NOT NULL) AS has_coef,
	jsonb_array_length(feature_stats) AS n_stats, array_length(feature_names, 1) AS n_features
FROM alphapulse.models WHERE symbol = 'sol' ORDER BY version;

-- holdout metrics are all there
SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys((SELECT metrics FROM alphapulse.models WHERE id = :m1)) k;

-- splits: every training row is gap rows before its validation block, the
-- refit ends gap rows before the holdout, and the holdout is the last 20%
SELECT f.value->'train'->>1 AS train_end, f.value->'valid'->>0 AS valid_start,
	(f.value->'valid'->>0)::int - (f.value->'train'->>1)::int >= (r.splits->>'gap')::int AS gap_ok,
	(f.value->>'train_to')::timestamptz < (f.value->>'valid_from')::timestamptz AS time_ordered,
	(r.splits->'refit'->>1)::int + (r.splits->>'gap')::int <= (r.splits->'holdout'->>0)::int AS holdout_gap_ok,
	(r.splits->'holdout'->>1)::int = r.n_rows AS holdout_is_last,
	r.n_holdout = floor(r.n_rows * 0.2) AS holdout_share
FROM alphapulse.runs r, jsonb_array_elements(r.splits->'folds') f WHERE r.model_id = :m1;
-- in full mode with four folds: expanding windows, each validated after its gap
SELECT ap_train('sol', 'full', 'ridge', '{"trials": 3}') AS m4 \gset
SELECT count(*) AS folds,
	bool_and((f.value->'valid'->>0)::int - (f.value->'train'->>1)::int >= 1) AS gaps_ok,
	bool_and((f.value->'valid'->>1)::int <= (r.splits->'refit'->>1)::int) AS before_refit_end,
	bool_and((f.value->>'valid_to')::timestamptz < (r.splits->>'holdout_from')::timestamptz) AS before_holdout,
	jsonb_array_length(r.trials) AS trials
FROM alphapulse.runs r, jsonb_array_elements(r.splits->'folds') f WHERE r.model_id = :m4 GROUP BY r.trials;
-- full mode with xgboost: a seeded search, the best mean validation loss wins,
-- and the same seed repeats the search and the model bytes
SELECT ap_train('sol', 'full', params => '{"trials": 3, "folds": 2, "num_round": 60}') AS f1 \gset
SELECT ap_train('sol', 'full', params => '{"trials": 3, "folds": 2, "num_round": 60}') AS f2 \gset
SELECT jsonb_array_length(r.trials) AS trials,
	(SELECT min((t->>'mean_valid_logloss')::float8) FROM jsonb_array_elements(r.trials) t)
		= (m.cv_metrics->>'mean_valid_logloss')::float8 AS best_trial_chosen,
	jsonb_array_length(m.cv_metrics->'folds') AS folds,
	m.model = (SELECT model FROM alphapulse.models WHERE id = :f2) AS same_search_same_bytes,
	r.trials = (SELECT trials FROM alphapulse.runs WHERE model_id = :f2) AS same_trials
FROM alphapulse.models m JOIN alphapulse.runs r ON r.model_id = m.id WHERE m.id = :f1;
-- the model's windows match: training ends before the holdout starts
SELECT train_to < holdout_from AS windows_ok FROM alphapulse.models WHERE id = :m1;

-- learning curves: train and validation metric per round for each fold
SELECT jsonb_array_length(learning_curves) AS folds,
	jsonb_array_length(learning_curves->0->'train') = jsonb_array_length(learning_curves->0->'valid') AS same_length,
	jsonb_array_length(learning_curves->0->'train') >= (fold_metrics->0->>'best_rounds')::int AS covers_best,
	(learning_curves->0->'train'->>0)::float8 > (learning_curves->0->'train'->>-1)::float8 AS train_improves
FROM alphapulse.runs WHERE model_id = :m1;

-- same data and seed: the same model bytes; another seed with subsampling: different
SELECT ap_train('sol') AS m5 \gset
SELECT (SELECT model FROM alphapulse.models WHERE id = :m1) = (SELECT model FROM alphapulse.models WHERE id = :m5) AS same_bytes;
SELECT ap_train('sol', params => '{"seed": 7}') AS m6 \gset
SELECT (SELECT model FROM alphapulse.models WHERE id = :m1) = (SELECT model FROM alphapulse.models WHERE id = :m6) AS same_bytes_other_seed;

-- scoring with the champion, by id, and the explanation sums to the margin
SELECT x AS xrow FROM alphapulse.features WHERE symbol = 'sol' AND feature_set = 'default' ORDER BY ts DESC LIMIT 1 \gset
SELECT ap_predict('sol', :'xrow') = ap_predict(:m1, :'xrow') AS champion_is_m1;
SELECT ap_predict('sol', :'xrow') BETWEEN 0 AND 1 AS is_probability;
SELECT abs(1 / (1 + exp(-sum(contribution))) - ap_predict('sol', :'xrow')) < 1e-6 AS shap_sums, count(*) AS rows
FROM ap_explain('sol', :'xrow');
SELECT ap_score('sol') = (SELECT count(*) FROM alphapulse.features WHERE symbol = 'sol' AND array_position(x, NULL) IS NULL) AS scored_all;
SELECT bool_and(signal = CASE WHEN score > 0.55 THEN 'BUY' WHEN score < 0.45 THEN 'SELL' ELSE 'HOLD' END) AS thresholds_ok,
	bool_and(model_id = :m1) AS by_champion
FROM alphapulse.signals WHERE symbol = 'sol';
SELECT ap_score('sol', since => now() + interval '1 day') AS nothing_new;
-- scoring again with other thresholds updates the signals in place
SELECT ap_score('sol', buy => 0.7, sell => 0.3) > 0 AS rescored;
SELECT bool_and(signal = CASE WHEN score > 0.7 THEN 'BUY' WHEN score < 0.3 THEN 'SELL' ELSE 'HOLD' END) AS new_thresholds,
	count(*) = count(DISTINCT ts) AS one_row_per_bar
FROM alphapulse.signals WHERE symbol = 'sol';

-- promotion and rollback; exactly one champion, enforced by the database
SELECT ap_promote(:m2) = :m2 AS promoted;
SELECT id = :m2 AS m2_champion FROM alphapulse.models WHERE symbol = 'sol' AND stage = 'champion';
SELECT ap_predict('sol', :'xrow') = ap_predict(:m2, :'xrow') AS predicts_with_m2;
SELECT ap_rollback('sol') = :m1 AS rolled_back;
SELECT count(*) FILTER (WHERE stage = 'champion') AS champions FROM alphapulse.models WHERE symbol = 'sol';
SELECT model_id = :m1 AS champion_view, holdout_metrics ? 'auc' AS has_auc FROM alphapulse.champions WHERE symbol = 'sol';
UPDATE alphapulse.models SET stage = 'champion' WHERE id = :m3;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE alphapulse.models SET stage = 'archived' WHERE id = :m1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_rollback('sol');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_promote(999999);
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- bad input
SELECT ap_train('nosuch');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_train('sol', feature_set => 'nosuch');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_train('sol', algorithm => 'randomforest');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_train('sol', mode => 'slow');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_train('sol', params => '{"depth": 3}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_train('sol', algorithm => 'ridge', params => '{"max_depth": 3}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_train('sol', params => '{"eta": 2}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_train('sol', params => '{"max_depth": "deep"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_train('sol', params => '[1]');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_train('sol', params => '{"folds": 20, "min_train_rows": 100}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_feature_set('flat', '{"features": ["ret:1", "rsi:14"], "target": {"horizon": 2, "threshold": 5}}');
SELECT ap_train('sol', feature_set => 'flat');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_train('sol', feature_set => 'flat', params => '{"gap": 1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_feature_set('reg', '{"features": ["ret:1", "rsi:14"], "target": {"type": "regression"}}');
SELECT ap_train('sol', algorithm => 'logistic', feature_set => 'reg');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_predict('sol', ARRAY[1, 2, 3]::float8[]);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_predict(:m2, ARRAY[1, NULL]::float8[] || (:'xrow'::float8[])[3:40]);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_predict(999999, :'xrow');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT pg_temp.make_bars('doge', 10, 'd');
SELECT ap_predict('doge', :'xrow');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_predict('nosuch', :'xrow');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_train('doge');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_score('sol', buy => 0.4, sell => 0.6);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_score(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_train(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_predict('sol', NULL) IS NULL AS strict_null;
-- a corrupt blob is an error, never a crash
BEGIN;
UPDATE alphapulse.models SET model = substring(model FROM 1 FOR 5000) WHERE id = :m5;
SELECT ap_predict(:m5, :'xrow');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE alphapulse.models SET model = '\x7b4c0000deadbeef'::bytea, model_sha256 = sha256('\x7b4c0000deadbeef'::bytea) WHERE id = :m5;
SELECT ap_predict(:m5, :'xrow');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE alphapulse.models SET coefficients = jsonb_set(coefficients, '{coef}', '[1, 2]') WHERE id = :m2;
SELECT ap_predict(:m2, :'xrow');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT ap_predict(:m5, :'xrow') = ap_predict(:m1, :'xrow') AS intact_after_rollback;
-- the regression target: ridge predicts a forward log return
SELECT ap_train('sol', algorithm => 'ridge', feature_set => 'reg') AS r1 \gset
SELECT task, metrics ? 'rmse' AND metrics ? 'r2' AND metrics ? 'directional_accuracy' AS reg_metrics
FROM alphapulse.models WHERE id = :r1;
-- every failed attempt is in the run log, written outside the aborted transaction
SELECT symbol, algorithm, mode, sqlstate, message FROM alphapulse.runs WHERE status = 'failed' ORDER BY id;
BEGIN;
SELECT ap_train('sol', algorithm => 'svm');
ROLLBACK;
SELECT count(*) AS logged_despite_rollback FROM alphapulse.runs WHERE algorithm = 'svm';
SELECT count(*) FILTER (WHERE model_id IS NULL) AS failed_without_model, count(*) FILTER (WHERE status = 'succeeded' AND model_id IS NOT NULL) AS succeeded
FROM alphapulse.runs;
