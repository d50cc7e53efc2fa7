-- The data-server side of scale-out (98_proxy.sql), on one server: loading
-- assets and bars, indicator items, and the export/import/delete steps of
-- moving a symbol.  test/t/52_scale_out.t runs them through the proxy.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS alphapulse;
RESET client_min_messages;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TIME ZONE 'UTC';

SELECT ap_add_asset('so_a', 'scale-out test', '1 hour');
SELECT symbol, description, bar_interval FROM alphapulse.assets WHERE symbol = 'so_a';
-- an existing symbol is a unique violation, as an INSERT would be
SELECT ap_add_asset('so_a');
-- a page: the later of two rows with the same ts wins; 3 rows land
SELECT ap_load_bars('so_a',
	ARRAY['2024-01-01 00:00', '2024-01-01 01:00', '2024-01-01 01:00', '2024-01-01 02:00']::timestamptz[],
	'{10, 11, 12, 13}', '{10.5, 11.5, 12.5, 13.5}', '{9.5, 10.5, 11.5, 12.5}', '{10.1, 11.1, 12.1, 13.1}', '{1, 2, 3, 4}');
SELECT ts, open, high, low, close, volume FROM alphapulse.bars WHERE symbol = 'so_a' ORDER BY ts;
-- the same page again lands nothing; one changed bar lands one row
SELECT ap_load_bars('so_a', ARRAY['2024-01-01 00:00']::timestamptz[], '{10}', '{10.5}', '{9.5}', '{10.1}', '{1}');
SELECT ap_load_bars('so_a', ARRAY['2024-01-01 00:00']::timestamptz[], '{10}', '{10.5}', '{9.5}', '{10.2}', '{1}');
SELECT close FROM alphapulse.bars WHERE symbol = 'so_a' AND ts = '2024-01-01 00:00';
-- empty pages land nothing; arrays of different lengths and bad bars are refused
SELECT ap_load_bars('so_a', '{}', '{}', '{}', '{}', '{}', '{}');
SELECT ap_load_bars('so_a', ARRAY['2024-01-01 03:00']::timestamptz[], '{1, 2}', '{1}', '{1}', '{1}', '{1}');
SELECT ap_load_bars('so_a', ARRAY['2024-01-01 03:00']::timestamptz[], '{1}', '{0.5}', '{1}', '{1}', '{1}');
SELECT ap_load_bars('nosuch', ARRAY['2024-01-01 03:00']::timestamptz[], '{1}', '{1}', '{1}', '{1}', '{1}');
SELECT count(*) FROM alphapulse.bars WHERE symbol = 'so_a';

-- indicators over the bars equal the window functions
SELECT ap_load_bars('so_a', array_agg('2024-01-01 03:00'::timestamptz + i * interval '1 hour' ORDER BY i),
	array_agg((20 + sin(i))::numeric(10, 4) ORDER BY i), array_agg((22 + sin(i / 3.0))::numeric(10, 4) ORDER BY i),
	array_agg((18 - cos(i / 5.0))::numeric(10, 4) ORDER BY i), array_agg((20 + cos(i))::numeric(10, 4) ORDER BY i),
	array_agg((100 + i)::numeric ORDER BY i))
FROM generate_series(0, 59) i;
SELECT count(*) AS rows, bool_and(i.value IS NOT DISTINCT FROM w.value) AS equal
FROM ap_indicators('so_a', ARRAY['ap_rsi(close, 14)', '(ap_macd(close, 12, 26, 9)).signal', 'ap_atr(high, low, close)'], '2024-01-02 00:00') i
JOIN (SELECT ts, unnest(ARRAY['ap_rsi(close, 14)', '(ap_macd(close, 12, 26, 9)).signal', 'ap_atr(high, low, close)']) AS indicator,
		unnest(ARRAY[ap_rsi(close, 14) OVER w, (ap_macd(close, 12, 26, 9) OVER w).signal, ap_atr(high, low, close) OVER w]) AS value
	  FROM alphapulse.bars WHERE symbol = 'so_a' WINDOW w AS (ORDER BY ts)) w USING (ts, indicator);
SELECT ts, indicator, round(value, 6) FROM ap_indicators('so_a', ARRAY['ap_sma(close, 3)', 'ap_obv(close, volume)']) ORDER BY ts, indicator LIMIT 6;
-- items that are not a call on bar columns and constants
SELECT * FROM ap_indicators('so_a', ARRAY['ap_rsi(close); DROP TABLE alphapulse.bars']);
SELECT * FROM ap_indicators('so_a', ARRAY['pg_sleep(1)']);
SELECT * FROM ap_indicators('so_a', ARRAY['ap_rsi(ts)']);
SELECT * FROM ap_indicators('so_a', ARRAY['(ap_macd(close).signal']);
SELECT * FROM ap_indicators('so_a', ARRAY[]::text[]);
-- a NULL item is refused (it used to shift the labels of the items after it)
SELECT * FROM ap_indicators('so_a', ARRAY[NULL, 'ap_rsi(close, 14)', 'ap_sma(close, 3)']);
-- an unknown symbol is an error, as in every other ap_ function, not an empty result
SELECT * FROM ap_indicators('nosuch', ARRAY['ap_rsi(close, 14)']);
SELECT * FROM ap_indicators(NULL, ARRAY['ap_rsi(close, 14)']);
\set VERBOSITY terse
SELECT * FROM ap_indicators('so_a', ARRAY['ap_nosuch(close)']);
\set VERBOSITY default

-- moving a symbol, step by step: export, delete, import back
SELECT ap_build_features('so_a') > 0 AS built;
-- (the tables other parts add are listed too: here the core ones and the drift
-- tables, and a check that every table with a symbol column is among them)
SELECT depth, relation, filter FROM alphapulse.symbol_tables()
WHERE relation::text IN ('alphapulse.assets', 'alphapulse.bars', 'alphapulse.features', 'alphapulse.runs',
	'alphapulse.models', 'alphapulse.signals', 'alphapulse.feeds', 'alphapulse.feed_secrets',
	'alphapulse.drift_reports', 'alphapulse.drift_features')
ORDER BY depth, relation::text;
SELECT count(*) = 0 AS all_symbol_tables_listed FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = 'alphapulse'::regnamespace AND c.relkind = 'r' AND a.attname = 'symbol'
	AND c.oid NOT IN (SELECT relation FROM alphapulse.symbol_tables());
CREATE TEMP TABLE so_export AS SELECT * FROM alphapulse.symbol_export('so_a');
SELECT relation, jsonb_array_length(rows) AS n FROM so_export WHERE rows IS NOT NULL ORDER BY depth, relation;
SELECT relation, rows FROM alphapulse.symbol_delete('so_a') WHERE rows > 0 ORDER BY 1;
SELECT count(*) FROM alphapulse.bars WHERE symbol = 'so_a';
SELECT relation, imported FROM (SELECT e.relation, alphapulse.symbol_import(e.relation, e.rows) AS imported
	FROM so_export e ORDER BY e.depth, e.relation) i WHERE imported > 0;
SELECT count(*) FROM alphapulse.bars WHERE symbol = 'so_a';
SELECT alphapulse.symbol_import('pg_catalog.pg_class', '[]');
-- moving models: the imported ones are sealed under this server's key, a
-- model an admin left unsealed (so_q) stays unsealed, a malformed one fails
\set ECHO none
\i test/fixtures/models/bars.sql
\set ECHO all
SET alphapulse.xgboost_threads = 1;
SET alphapulse.progress_notices = off;
SELECT pg_temp.make_bars('so_m', 1200, 'm') AS so_m_bars, pg_temp.make_bars('so_q', 1200, 'q') AS so_q_bars;
SELECT ap_train('so_m') > 0 AS so_m_model, ap_train('so_q', algorithm => 'ridge') > 0 AS so_q_model;
UPDATE alphapulse.models SET model_hmac = NULL WHERE symbol = 'so_q';
CREATE TEMP TABLE so_m_export AS SELECT * FROM alphapulse.symbol_export('so_m');
SELECT sum(rows) > 0 AS deleted FROM alphapulse.symbol_delete('so_m');
SELECT sum(alphapulse.symbol_import(e.relation, e.rows)) > 0 AS imported
FROM (SELECT * FROM so_m_export ORDER BY depth, relation) e;
SELECT symbol, model_hmac IS NOT NULL AS sealed FROM alphapulse.models WHERE symbol IN ('so_m', 'so_q') ORDER BY symbol;
SELECT sum(rows) > 0 AS deleted FROM alphapulse.symbol_delete('so_m');
UPDATE so_m_export SET rows = jsonb_set(rows, '{0,model}', '"\\\\x7b7d"') WHERE relation = 'alphapulse.models';
SET client_min_messages = error;
\set VERBOSITY sqlstate
SELECT sum(alphapulse.symbol_import(e.relation, e.rows)) > 0 AS imported
FROM (SELECT * FROM so_m_export ORDER BY depth, relation) e;
\set VERBOSITY default
RESET client_min_messages;
SELECT count(*) AS so_m_models, (SELECT model_hmac IS NULL FROM alphapulse.models WHERE symbol = 'so_q') AS so_q_unsealed
FROM alphapulse.models WHERE symbol = 'so_m';
-- the move steps are superusers' only
SELECT has_function_privilege('alphapulse_admin', 'alphapulse.symbol_export(text)', 'EXECUTE') AS admin_exports;
SELECT sum(rows) AS deleted FROM alphapulse.symbol_delete('so_a');
