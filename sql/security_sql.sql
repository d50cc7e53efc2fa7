-- Issue 7, SQL side: canonical feature parameters, numeric targets, the
-- built-in feature set protected and not dumped, privileges of the training
-- and scoring functions, and their search_path pinned against a hostile
-- caller's objects.
-- start from a fresh install, whatever earlier tests left behind
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS alphapulse CASCADE;
RESET client_min_messages;
CREATE EXTENSION alphapulse;
\set VERBOSITY default
\set SHOW_CONTEXT never
\set ECHO none
\i test/fixtures/models/bars.sql
\set ECHO all
SET alphapulse.xgboost_threads = 1;

-- outcome of a statement: ok, or its SQLSTATE and message
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ' ' || SQLERRM;
END
$fn$;

-- finding 10: feature parameters are canonical decimals in range; hex,
-- signs, spaces, leading zeros, exponents, NaN and trailing zeros are refused
SELECT left(item, 40) AS item, pg_temp.try(format('SELECT alphapulse.feature_names(ARRAY[%L])', item)) AS outcome
FROM unnest(ARRAY['rsi:0x2', 'rsi: 14', 'rsi:+10', 'rsi:14 ', 'rsi:014', 'rsi:1e2', 'rsi:-1', 'rsi:0',
	'rsi:100001', 'rsi:NaN', 'rsi:inf', 'rsi:', 'rsi:١٤', E'rsi:14\n', 'rsi:14:14', 'bb_pctb:20:2.0',
	'bb_pctb:20:2.', 'bb_pctb:20:.5', 'bb_pctb:20:0.0000001', 'bb_pctb:20:101', 'bb_pctb:20.5:2',
	'macd:12:26:9' || repeat(':9', 30), repeat('x', 100000)]) AS item;
-- canonical ones are accepted, with their column names
SELECT alphapulse.feature_names(ARRAY['rsi:14', 'rsi:100000', 'bb_pctb:20:2', 'bb_width:20:2.5',
	'bb_pctb:20:0.000001', 'macd:12:26:9', 'hl_range']);
-- the same through ap_feature_set, with its SQLSTATE
SELECT ap_feature_set('hexy', '{"features": ["rsi:0x2"]}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_feature_set('spacy', '{"features": ["rsi: 14"]}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_feature_set('plussy', '{"features": ["ret:+10"]}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- the target's threshold and horizon must be JSON numbers in range: NaN,
-- Infinity and strings were cast and accepted before
SELECT target, pg_temp.try(format('SELECT ap_feature_set(%L, %L)', 'tgt',
	jsonb_build_object('features', '["rsi:14"]'::jsonb, 'target', target::jsonb))) AS outcome
FROM unnest(ARRAY['{"threshold": "NaN"}', '{"threshold": "Infinity"}', '{"threshold": "-Infinity"}',
	'{"threshold": "0.5"}', '{"threshold": 1e400}', '{"threshold": -11}', '{"threshold": null}',
	'{"horizon": "1"}', '{"horizon": 1.5}', '{"horizon": 1e400}', '{"horizon": 10001}',
	'{"type": 1}', '[]']) AS target;
SELECT ap_feature_set('tgt', '{"features": ["rsi:14"], "target": {"threshold": "NaN"}}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_feature_set('tgt', '{"features": ["rsi:14"], "target": {"horizon": 2.0, "threshold": -0.001}}');
SELECT horizon, threshold FROM alphapulse.feature_sets WHERE name = 'tgt';
SELECT count(*) AS nan_thresholds FROM alphapulse.feature_sets WHERE threshold = 'NaN' OR threshold IN ('Infinity', '-Infinity');

-- finding 9: the built-in set is not dumped and nobody changes it, so the
-- dump filter stays right; user sets are dumped
SELECT c.relname, x.cond
FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(rel, cond)
JOIN pg_class c ON c.oid = x.rel
WHERE e.extname = 'alphapulse' AND c.relname IN ('feature_sets', 'feed_runs', 'feed_runs_id_seq') ORDER BY 1;
SELECT name, builtin FROM alphapulse.feature_sets ORDER BY name;
SELECT ap_feature_set('default', '{"features": ["rsi:14"]}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE alphapulse.feature_sets SET threshold = 1 WHERE name = 'default';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE alphapulse.feature_sets SET builtin = false WHERE name = 'default';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM alphapulse.feature_sets WHERE name = 'default';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE alphapulse.feature_sets SET builtin = true WHERE name = 'tgt';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.feature_sets (name, spec, features, feature_names, horizon, target_kind, builtin)
VALUES ('sneaky', '{}', '{rsi:14}', '{rsi_14}', 1, 'classification', true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
TRUNCATE alphapulse.feature_sets CASCADE;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- user sets can still be changed and deleted
DELETE FROM alphapulse.feature_sets WHERE name = 'tgt';
SELECT name, builtin FROM alphapulse.feature_sets ORDER BY name;

-- finding 8: PUBLIC may execute only the pure indicator window functions
-- and the pure sentiment and HTML-to-text functions (no table access, bounded
-- by their input); every other extension function is granted to a role
SELECT p.oid::regprocedure AS executable_by_public
FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'alphapulse'
WHERE p.prokind <> 'w' AND has_function_privilege('public', p.oid, 'EXECUTE')
ORDER BY p.oid::regprocedure::text;
SELECT f AS function, has_function_privilege('alphapulse_reader', f, 'EXECUTE') AS reader,
	has_function_privilege('alphapulse_writer', f, 'EXECUTE') AS writer,
	has_function_privilege('alphapulse_admin', f, 'EXECUTE') AS admin
FROM unnest(ARRAY['ap_train(text,text,text,jsonb,text)', 'ap_build_features(text,text)',
	'ap_score(text,timestamptz,float8,float8)', 'ap_feature_set(text,jsonb)',
	'ap_explain(text,float8[])', 'ap_predict(text,float8[])']::regprocedure[]) AS f;
-- a role with no grant is refused before any work: no failed run is logged
CREATE ROLE regress_ap_nobody;
SET ROLE regress_ap_nobody;
SELECT ap_train('nosuch');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) AS runs_logged FROM alphapulse.runs WHERE symbol = 'nosuch';
-- a role allowed to call ap_train but not to write the run log starts no
-- worker (its insert would fail): the failure is not logged
GRANT EXECUTE ON FUNCTION ap_train(text,text,text,jsonb,text) TO regress_ap_nobody;
SET ROLE regress_ap_nobody;
SELECT ap_train('nosuch');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) AS runs_logged FROM alphapulse.runs WHERE symbol = 'nosuch';
REVOKE EXECUTE ON FUNCTION ap_train(text,text,text,jsonb,text) FROM regress_ap_nobody;
DROP ROLE regress_ap_nobody;

-- finding 10: ap_train, ap_score, ap_build_features and ap_explain run their
-- SQL with search_path = pg_catalog, pg_temp; a caller's same-named
-- function, operator, aggregate or table in a schema ahead of pg_catalog is
-- never used.  Every hostile object records that it ran in evil_hits.
SELECT p.oid::regprocedure AS function, p.proconfig
FROM pg_proc p WHERE p.proname IN ('ap_train', 'ap_score', 'ap_build_features', 'ap_explain')
ORDER BY p.oid::regprocedure::text;
SELECT pg_temp.make_bars('sec', 600, 'sec');
CREATE SCHEMA evil;
CREATE TABLE public.evil_hits (what text);
CREATE FUNCTION evil.hit(w text) RETURNS void LANGUAGE sql AS $$ INSERT INTO public.evil_hits VALUES (w) $$;
CREATE FUNCTION evil.sha256(b bytea) RETURNS bytea LANGUAGE plpgsql AS
$$ BEGIN PERFORM evil.hit('sha256'); RETURN pg_catalog.sha256(b); END $$;
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE plpgsql AS
$$ BEGIN PERFORM evil.hit('now'); RETURN pg_catalog.now(); END $$;
CREATE FUNCTION evil.array_length(a anyarray, d integer) RETURNS integer LANGUAGE plpgsql AS
$$ BEGIN PERFORM evil.hit('array_length'); RETURN pg_catalog.array_length(a, d); END $$;
CREATE FUNCTION evil.unnest(a anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql AS
$$ BEGIN PERFORM evil.hit('unnest'); RETURN QUERY SELECT * FROM pg_catalog.unnest(a); END $$;
CREATE FUNCTION evil.texteq(a text, b text) RETURNS boolean LANGUAGE plpgsql AS
$$ BEGIN PERFORM evil.hit('='); RETURN pg_catalog.texteq(a, b); END $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.texteq);
CREATE FUNCTION evil.tsmax(s timestamptz, v timestamptz) RETURNS timestamptz LANGUAGE plpgsql AS
$$ BEGIN PERFORM evil.hit('max'); RETURN CASE WHEN s IS NULL OR v > s THEN v ELSE s END; END $$;
CREATE AGGREGATE evil.max(timestamptz) (SFUNC = evil.tsmax, STYPE = timestamptz);
CREATE TABLE evil.features (LIKE alphapulse.features);
CREATE TABLE evil.feature_sets (LIKE alphapulse.feature_sets);
CREATE TABLE evil.bars (LIKE alphapulse.bars);
CREATE TEMP TABLE assets (symbol text);
-- the hostile objects work when a query does resolve them
SET search_path = evil, public, pg_catalog;
SELECT max(t) IS NOT NULL AS hostile_max_works FROM (VALUES (now())) v(t);
SELECT string_agg(DISTINCT what, ', ' ORDER BY what) AS hits_of_the_probe FROM public.evil_hits;
DELETE FROM public.evil_hits;
-- ... but never inside the extension's functions
SELECT ap_build_features('sec') > 0 AS built;
RESET search_path;
SELECT x AS xrow FROM alphapulse.features WHERE symbol = 'sec' ORDER BY ts DESC LIMIT 1 \gset
SET search_path = evil, public, pg_catalog;
SELECT ap_train('sec', algorithm => 'ridge') > 0 AS trained;
SELECT ap_train('sec', params => '{"num_round": 20}') > 0 AS trained_xgboost;
SELECT ap_score('sec') > 0 AS scored;
SELECT count(*) > 0 AS explained FROM ap_explain('sec', :'xrow');
SELECT ap_feature_set('sec_set', '{"features": ["rsi:14", "ret:1"]}');
SELECT ap_train('nosuch');
RESET search_path;
SELECT count(*) AS hostile_calls, string_agg(DISTINCT what, ', ') AS which FROM public.evil_hits;
DROP SCHEMA evil CASCADE;
DROP TABLE public.evil_hits, pg_temp.assets;

-- upgrading from 0.1.0 names the feature sets 0.2.0 can no longer build,
-- marks the default set built in and drops it from the dump
SET client_min_messages = warning;
DROP EXTENSION alphapulse CASCADE;
RESET client_min_messages;
CREATE EXTENSION alphapulse VERSION '0.1.0';
-- (a row 0.1.0's parser let through; today's library refuses it, so insert it)
INSERT INTO alphapulse.feature_sets (name, spec, features, feature_names, horizon, target_kind)
VALUES ('old_hex', '{"features": ["rsi:0x2"]}', '{rsi:0x2}', '{rsi_2}', 1, 'classification');
SELECT ap_feature_set('old_nan', '{"features": ["rsi:14"], "target": {"threshold": "NaN"}}');
SELECT ap_feature_set('old_fine', '{"features": ["rsi:14"], "target": {"threshold": 0.001}}');
ALTER EXTENSION alphapulse UPDATE TO '0.2.0';
SELECT name, builtin FROM alphapulse.feature_sets ORDER BY name;
SELECT x.cond FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(rel, cond)
WHERE e.extname = 'alphapulse' AND x.rel = 'alphapulse.feature_sets'::regclass;
SELECT has_function_privilege('public', 'ap_train(text,text,text,jsonb,text)', 'EXECUTE') AS public_may_train;
