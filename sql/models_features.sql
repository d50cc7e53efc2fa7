-- Feature sets and ap_build_features: names, incremental builds, the views,
-- and bad input with its SQLSTATE.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS alphapulse;
RESET client_min_messages;
\set VERBOSITY default
\set SHOW_CONTEXT never
\set ECHO none
\i test/fixtures/models/bars.sql
\set ECHO all

-- the default set: 40 features, horizon 1, classification
SELECT array_length(feature_names, 1) AS n, horizon, target_kind, threshold
FROM alphapulse.feature_sets WHERE name = 'default';
-- the wide view has one column per feature, in order
SELECT array_agg(attname::text ORDER BY attnum) FILTER (WHERE attnum > 2 AND attnum <= 42)
	= (SELECT feature_names FROM alphapulse.feature_sets WHERE name = 'default') AS view_matches
FROM pg_attribute WHERE attrelid = 'alphapulse.features_default'::regclass AND attnum > 0;

SELECT ap_feature_set('small', '{"features": ["ret:1", "sma_ratio:3", "bb_pctb:5:1.5", "hl_range"],
	"target": {"horizon": 3, "type": "regression"}}');

-- build on 60 bars, then on 100: the same as one build on 100 bars
SELECT pg_temp.make_bars('eth', 60, 'e');
SELECT ap_build_features('eth', 'small');
SELECT count(*) AS rows, count(target) AS with_target FROM alphapulse.features WHERE symbol = 'eth';
DELETE FROM alphapulse.bars WHERE symbol = 'eth';
SELECT pg_temp.make_bars('eth', 100, 'e');
SELECT ap_build_features('eth', 'small') AS added;
SELECT ap_build_features('eth', 'small') AS added_again;
SELECT ap_feature_set('small2', (SELECT spec FROM alphapulse.feature_sets WHERE name = 'small'));
SELECT ap_build_features('eth', 'small2');
SELECT count(*) AS differing FROM alphapulse.features a JOIN alphapulse.features b USING (symbol, ts)
WHERE a.feature_set = 'small' AND b.feature_set = 'small2'
  AND (a.x IS DISTINCT FROM b.x OR a.target IS DISTINCT FROM b.target OR a.fwd_return IS DISTINCT FROM b.fwd_return);
SELECT count(*) FILTER (WHERE target IS NULL) AS unknown_targets FROM alphapulse.features
WHERE symbol = 'eth' AND feature_set = 'small';

-- values against hand computation from the bars: warm-up NULLs, sma ratio, range, target
SELECT f.ts, f.x[1] IS NULL AS ret_null, f.x[2] IS NULL AS sma_null,
	abs(f.x[2] - (b.close / avg(b.close) OVER w - 1)::float8) < 1e-12 AS sma_ok,
	abs(f.x[4] - ((b.high - b.low) / b.close)::float8) < 1e-12 AS range_ok,
	abs(f.target - ln(lead(b.close, 3) OVER (ORDER BY b.ts) / b.close)::float8) < 1e-12 AS target_ok
FROM alphapulse.features f JOIN alphapulse.bars b USING (symbol, ts)
WHERE f.symbol = 'eth' AND f.feature_set = 'small'
WINDOW w AS (ORDER BY b.ts ROWS 2 PRECEDING)
ORDER BY f.ts LIMIT 4;

-- long view by name
SELECT feature, count(*), count(value) FROM alphapulse.feature_values
WHERE symbol = 'eth' AND feature_set = 'small' GROUP BY feature ORDER BY feature;

-- bad input
SELECT ap_feature_set('bad', '{"features": ["rsi:14", "nosuch:3"]}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_feature_set('bad', '{"features": ["rsi"]}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_feature_set('bad', '{"features": ["rsi:1.5"]}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_feature_set('bad', '{"features": ["rsi:14", "rsi:14"]}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_feature_set('bad', '{"features": []}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_feature_set('bad', '{"feature": ["rsi:14"]}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_feature_set('bad', '{"features": ["rsi:14"], "target": {"type": "ranking"}}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_feature_set('bad', '{"features": ["rsi:14"], "target": {"horizon": 0}}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_feature_set('small', '{"features": ["rsi:14"]}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_feature_set('small', (SELECT spec FROM alphapulse.feature_sets WHERE name = 'small')) AS unchanged_is_fine;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_build_features('nosuch', 'small');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_build_features('eth', 'nosuch');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
