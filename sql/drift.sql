-- ap_drift: a report per feature and the prediction against the champion's
-- training rows, options and policies, the retraining queue, and every bad
-- input refused with its SQLSTATE and nothing written.
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
SELECT pg_temp.make_bars('dft', 1500, 'drift');
SELECT ap_train('dft') AS m \gset

-- defaults: more than 1000 reference values, so Wasserstein (numeric) or
-- Jensen-Shannon (at most 5 distinct values); the prediction is tested too
SELECT ap_drift('dft', '2024-02-25') AS r1 \gset
SELECT r.model_id = :m AS champion, r.reference_from = m.train_from AND r.reference_to = m.train_to AS training_window,
	r.reference_rows, r.current_rows, r.current_from, r.current_to, r.since,
	round(r.share_drifted::numeric, 4) AS share, r.drifted, r.drift_share, r.options
FROM alphapulse.drift_reports r JOIN alphapulse.models m ON m.id = r.model_id WHERE r.id = :r1;
SELECT count(*) AS rows, count(*) FILTER (WHERE feature = 'prediction') AS prediction,
	array_agg(DISTINCT method) AS methods, bool_and(p_value IS NULL) AS no_p_values,
	bool_and(threshold = 0.1) AS thresholds,
	bool_and(drifted = (statistic >= threshold)) AS flags_follow_statistic
FROM alphapulse.drift_features WHERE report_id = :r1;
-- the share counts the features (not the prediction) that drifted
SELECT (SELECT share_drifted FROM alphapulse.drift_reports WHERE id = :r1)
	= avg(drifted::int) FILTER (WHERE feature <> 'prediction') AS share_matches
FROM alphapulse.drift_features WHERE report_id = :r1;
SELECT feature, method, round(statistic::numeric, 6) AS statistic, drifted, reference_values, current_values
FROM alphapulse.drift_features WHERE report_id = :r1 AND feature IN ('ret_1', 'rsi_14', 'hour_sin', 'prediction')
ORDER BY position;

-- a small reference (option small_reference) switches to KS and chi-square p-values
SELECT ap_drift('dft', '2024-02-25', '{"small_reference": 5000, "low_cardinality": 30}') AS r2 \gset
SELECT feature, method, round(statistic::numeric, 6) AS statistic, round(p_value::numeric, 6) AS p_value, threshold, drifted
FROM alphapulse.drift_features WHERE report_id = :r2 AND feature IN ('ret_1', 'hour_sin', 'prediction') ORDER BY position;
SELECT bool_and(drifted = (p_value < threshold)) AS flags_follow_p FROM alphapulse.drift_features WHERE report_id = :r2;

-- PSI on request with its own threshold, one feature by another method
SELECT ap_drift('dft', '2024-02-25', '{"method": "psi", "psi_threshold": 0.25, "feature_methods": {"rsi_14": "ks"}}') AS r3 \gset
SELECT method, threshold, count(*) FROM alphapulse.drift_features WHERE report_id = :r3 GROUP BY 1, 2 ORDER BY 1;

-- the retraining queue: a drifted report asks once; later ones join it
SELECT count(*) AS pending, min(drift_report_id) = :r1 AS first_report,
	regexp_replace(min(reason), '^drift report \d+', 'drift report N') AS reason
FROM alphapulse.retrain_requests WHERE symbol = 'dft' AND status = 'pending';
UPDATE alphapulse.retrain_requests SET status = 'done', finished_at = now() WHERE symbol = 'dft';
-- a policy without retraining: the drifted report queues nothing
INSERT INTO alphapulse.drift_policies (symbol, options, retrain_on_drift)
VALUES ('dft', '{"method": "wasserstein", "wasserstein_threshold": 0.2}', false);
SELECT ap_drift('dft', '2024-02-25') AS r4 \gset
SELECT drifted, options FROM alphapulse.drift_reports WHERE id = :r4;
SELECT DISTINCT method, threshold FROM alphapulse.drift_features WHERE report_id = :r4;
SELECT count(*) AS pending FROM alphapulse.retrain_requests WHERE status = 'pending';
-- the call's options win over the policy's, retrain_on_drift included
SELECT ap_drift('dft', '2024-02-25', '{"wasserstein_threshold": 0.05, "retrain_on_drift": true}') AS r5 \gset
SELECT drifted, options FROM alphapulse.drift_reports WHERE id = :r5;
SELECT count(*) AS pending, min(drift_report_id) = :r5 AS from_r5 FROM alphapulse.retrain_requests WHERE status = 'pending';
-- a dataset that did not drift queues nothing (drift_share 1: every feature must drift)
UPDATE alphapulse.retrain_requests SET status = 'skipped', finished_at = now() WHERE status = 'pending';
UPDATE alphapulse.drift_policies SET retrain_on_drift = true WHERE symbol = 'dft';
SELECT ap_drift('dft', '2024-02-25', '{"drift_share": 1}') AS r6 \gset
SELECT drifted FROM alphapulse.drift_reports WHERE id = :r6;
SELECT count(*) AS pending FROM alphapulse.retrain_requests WHERE status = 'pending';

-- bad input: each refused with its SQLSTATE, and nothing written
INSERT INTO alphapulse.assets (symbol) VALUES ('nomodel');
CREATE TEMP TABLE before AS SELECT (SELECT count(*) FROM alphapulse.drift_reports) AS reports,
	(SELECT count(*) FROM alphapulse.drift_features) AS features,
	(SELECT count(*) FROM alphapulse.retrain_requests) AS requests,
	(SELECT count(*) FROM alphapulse.drift_policies) AS policies;
SELECT ap_drift(NULL, '2024-02-25');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('nosuch', '2024-02-25');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('nomodel', '2024-02-25');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- every feature missing in the current window: no verdict about nothing
BEGIN;
UPDATE alphapulse.features SET x = pg_catalog.array_fill(NULL::float8, ARRAY[pg_catalog.cardinality(x)])
WHERE symbol = 'dft' AND ts >= '2024-02-25';
SELECT ap_drift('dft', '2024-02-25');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT ap_drift('dft', '2999-01-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', 'infinity');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', '2024-03-03 08:00+00');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', '2024-02-25', '{"min_rows": 100000}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', '2024-02-25', '{"method": "kolmogorov"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', '2024-02-25', '{"feature_methods": {"rsi_14": "magic"}}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', '2024-02-25', '{"feature_methods": ["rsi_14"]}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', '2024-02-25', '{"methd": "ks"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', '2024-02-25', '{"ks_threshold": 1.5}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', '2024-02-25', '{"wasserstein_threshold": -0.1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', '2024-02-25', '{"jensenshannon_threshold": 0.9}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', '2024-02-25', '{"psi_threshold": "0.25"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', '2024-02-25', '{"threshold": 0.2}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', '2024-02-25', '{"method": "ks", "threshold": 0.2, "feature_methods": {"rsi_14": "psi"}}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', '2024-02-25', '{"method": "ks", "threshold": 2}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', '2024-02-25', '{"drift_share": 0}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', '2024-02-25', '{"small_reference": 10.5}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', '2024-02-25', '{"retrain_on_drift": "yes"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_drift('dft', '2024-02-25', '[1, 2]');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a feature_methods name that is no feature of the champion is refused, not ignored
SELECT ap_drift('dft', '2024-02-25', '{"feature_methods": {"rsi14": "psi"}}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a policy that contradicts itself cannot be stored
INSERT INTO alphapulse.drift_policies (symbol, options) VALUES ('nomodel', '{"threshold": 0.2}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE alphapulse.drift_policies SET options = '{"method": "chisquare", "chisquare_threshold": 0}' WHERE symbol = 'dft';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- retrain_on_drift has one home in a policy, its column: the same key in its
-- options would contradict it (it stays a per-call option of ap_drift)
\set VERBOSITY terse
INSERT INTO alphapulse.drift_policies (symbol, options, retrain_on_drift) VALUES ('nomodel', '{"retrain_on_drift": true}', false);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT (SELECT count(*) FROM alphapulse.drift_reports) = b.reports AS no_reports,
	(SELECT count(*) FROM alphapulse.drift_features) = b.features AS no_features,
	(SELECT count(*) FROM alphapulse.retrain_requests) = b.requests AS no_requests,
	(SELECT count(*) FROM alphapulse.drift_policies) = b.policies AS no_policies
FROM before b;
-- the stored policy is unchanged
SELECT options FROM alphapulse.drift_policies WHERE symbol = 'dft';
-- one pending request per symbol holds against a direct insert as well
INSERT INTO alphapulse.retrain_requests (symbol, reason) VALUES ('dft', 'by hand');
INSERT INTO alphapulse.retrain_requests (symbol, reason) VALUES ('dft', 'twice');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP EXTENSION alphapulse CASCADE;
