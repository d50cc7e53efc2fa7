-- Issue 7, finding 1: hostile model bytes.  Writers cannot write model rows;
-- a row edited by a superuser (or restored from elsewhere) must carry a valid
-- seal, and even a sealed row is validated before XGBoost sees it: each attack
-- that crashed or hung the backend in 0.1.0 is now a clean XX001 error, and
-- the server stays up.  The hostile bytes are made below in SQL from a real
-- model: pg_temp.at() finds a key in the UBJSON buffer, and overlay() writes
-- the field after it; pg_temp.seal() recomputes the HMAC exactly as the
-- extension does (with pgcrypto and the key file), i.e. what an attacker who
-- stole the key could do, so that the validator alone has to stop them.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS alphapulse;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
RESET client_min_messages;
\set VERBOSITY default
\set SHOW_CONTEXT never
\set ECHO none
\i test/fixtures/models/bars.sql
\set ECHO all
SET alphapulse.xgboost_threads = 1;
SELECT pg_temp.make_bars('sec', 1200, 'q');
SELECT ap_feature_set('sec3', '{"features": ["ret:1", "rsi:14", "ret:2"]}');

-- a writer trains, promotes and rolls back without any write right on the table
SET ROLE alphapulse_writer;
SELECT ap_train('sec', params => '{"num_round": 4}') AS m1 \gset
SELECT ap_train('sec', params => '{"num_round": 4}') AS m2 \gset
SELECT ap_train('sec', params => '{"num_round": 4}', feature_set => 'sec3') AS m3 \gset
SELECT ap_train('sec', algorithm => 'ridge') AS m4 \gset
SELECT ap_promote(:m2) = :m2 AS promoted, ap_rollback('sec') = :m1 AS rolled_back;
SELECT count(*) AS models, count(model_hmac) AS sealed, bool_and(pg_catalog.length(model_hmac) = 32) AS macs
FROM alphapulse.models WHERE symbol = 'sec';
-- ... but cannot write model rows, nor seal, nor validate
UPDATE alphapulse.models SET stage = 'archived' WHERE id = :m1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.models SELECT * FROM alphapulse.models WHERE id = :m1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM alphapulse.models WHERE id = :m1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
TRUNCATE alphapulse.models CASCADE;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM alphapulse.seal_models();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM ap_reseal_models();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT alphapulse.validate_model('\x00', 40);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE alphapulse_admin;
UPDATE alphapulse.models SET model = model WHERE id = :m1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;

SELECT x AS xrow FROM alphapulse.features WHERE symbol = 'sec' AND feature_set = 'default' ORDER BY ts DESC LIMIT 1 \gset
SELECT ap_predict(:m1, :'xrow') AS p1 \gset
CREATE TEMP TABLE src AS SELECT (SELECT model FROM alphapulse.models WHERE id = :m1) AS good,
	(SELECT model FROM alphapulse.models WHERE id = :m3) AS other_width;

-- 1-based position just after the first occurrence of a key (the first tree's)
CREATE FUNCTION pg_temp.at(m bytea, k text) RETURNS integer LANGUAGE sql AS
$$ SELECT position(pg_catalog.convert_to(k, 'UTF8') IN m) + pg_catalog.length(k) $$;
-- overwrite n bytes at a position
CREATE FUNCTION pg_temp.put(m bytea, pos integer, b bytea) RETURNS bytea LANGUAGE sql AS
$$ SELECT overlay(m PLACING b FROM pos FOR pg_catalog.length(b)) $$;
-- the seal as the extension computes it: tag, algorithm, symbol, feature set,
-- feature names, feature count, bytes (of a model of 'sec' on the default set)
CREATE FUNCTION pg_temp.seal(algorithm text, p integer, m bytea) RETURNS bytea LANGUAGE sql AS
$$ SELECT hmac(pg_catalog.convert_to('alphapulse-model-mac-v2', 'UTF8') || '\x00'::bytea
	|| pg_catalog.convert_to(algorithm, 'UTF8') || '\x00'::bytea
	|| pg_catalog.convert_to('sec', 'UTF8') || '\x00'::bytea
	|| pg_catalog.convert_to('default', 'UTF8') || '\x00'::bytea
	|| pg_catalog.convert_to((SELECT feature_names::text FROM alphapulse.feature_sets WHERE name = 'default'), 'UTF8')
	|| '\x00'::bytea || pg_catalog.int4send(p) || m,
	pg_catalog.pg_read_binary_file('alphapulse_model.key'), 'sha256') $$;
-- runs a statement and shows its error with model ids as "M" (ids depend on earlier tests)
CREATE FUNCTION pg_temp.err(q text) RETURNS TABLE (state text, message text, detail text) LANGUAGE plpgsql AS $$
DECLARE
	s text;
	m text;
	d text;
BEGIN
	EXECUTE q;
	RETURN QUERY SELECT 'none'::text, NULL::text, NULL::text;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL;
	RETURN QUERY SELECT s, regexp_replace(m, 'model \d+', 'model M'), d;
END
$$;
-- the seal recomputation matches what ap_train stored
SELECT pg_temp.seal('xgboost', 40, model) = model_hmac AS seal_reproduced FROM alphapulse.models WHERE id = :m1;
SELECT pg_temp.seal('ridge', 40, pg_catalog.convert_to(coefficients::text, 'UTF8')) = model_hmac AS linear_seal_reproduced
FROM alphapulse.models WHERE id = :m4;

-- The attacks.  A typed per-node array's payload starts 13 bytes after its
-- key ([ $ type # L and an 8-byte count); its count 5 bytes after it.
CREATE TEMP TABLE attack (name text, bytes bytea);
INSERT INTO attack SELECT v.* FROM src, LATERAL (VALUES
	('child out of range',
	 pg_temp.put(good, pg_temp.at(good, 'left_children') + 13, '\x00000384')),
	('negative child',
	 pg_temp.put(good, pg_temp.at(good, 'right_children') + 13, '\xfffffffb')),
	('split index >= num_feature',
	 pg_temp.put(good, pg_temp.at(good, 'split_indices') + 13, '\x00000028')),
	('tree_info out of range',      -- [ # L count, then 'i' and the first group
	 pg_temp.put(good, pg_temp.at(good, 'tree_info') + 12, '\x05')),
	('array count 2^31',
	 pg_temp.put(good, pg_temp.at(good, 'left_children') + 5, '\x0000000080000000')),
	('root is its own child',
	 pg_temp.put(good, pg_temp.at(good, 'left_children') + 13, '\x00000000')),
	('JSON text model',
	 pg_catalog.convert_to('{"learner": {"gradient_booster": {"model": {"trees": [{"left_children": [900, -1]}]}}}, "version": [1, 7, 4]}', 'UTF8')),
	('another feature count', other_width),
	('trailing bytes', good || '\x00'::bytea),
	('truncated', substring(good FROM 1 FOR 3000))) AS v(name, bytes);
-- what the validator says of each
SELECT name, alphapulse.validate_model(bytes, 40) AS reason FROM attack ORDER BY name;
SELECT alphapulse.validate_model(good, 40) IS NULL AS good_is_valid FROM src;

-- each one sealed into m1's row by the superuser, then loaded
CREATE FUNCTION pg_temp.try(a text, id bigint, x float8[]) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text;
	msg text;
BEGIN
	UPDATE alphapulse.models m SET model = t.bytes, model_sha256 = sha256(t.bytes),
		model_hmac = pg_temp.seal('xgboost', 40, t.bytes)
	FROM attack t WHERE t.name = a AND m.id = try.id;
	PERFORM ap_predict(id, x);
	RETURN 'loaded!';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
	RETURN st || ' ' || regexp_replace(msg, 'model \d+', 'model M');
END
$$;
SELECT name, pg_temp.try(name, :m1, :'xrow') AS result FROM attack ORDER BY name;
-- the backend survived every one, and the real model still loads
SELECT pg_backend_pid() > 0 AS still_here, ap_predict(:m1, :'xrow') = :p1 AS intact;

-- the same through ap_predict directly: a clean error, not a crash
BEGIN;
UPDATE alphapulse.models SET model = a.bytes, model_hmac = pg_temp.seal('xgboost', 40, a.bytes)
FROM attack a WHERE a.name = 'root is its own child' AND id = :m1;
SELECT * FROM pg_temp.err(format('SELECT ap_predict(%s, %L)', :m1, :'xrow'));
ROLLBACK;
BEGIN;
UPDATE alphapulse.models SET model = a.bytes, model_hmac = pg_temp.seal('xgboost', 40, a.bytes)
FROM attack a WHERE a.name = 'array count 2^31' AND id = :m1;
SELECT * FROM pg_temp.err(format('SELECT ap_explain(%L, %L)', 'sec', :'xrow'));
ROLLBACK;

-- without the key, an edited model (or a copied seal) is refused
BEGIN;
UPDATE alphapulse.models SET model = pg_temp.put(model, pg_temp.at(model, 'split_conditions') + 13, '\x3f800000'),
	model_sha256 = sha256(pg_temp.put(model, pg_temp.at(model, 'split_conditions') + 13, '\x3f800000'))
WHERE id = :m1;
SELECT * FROM pg_temp.err(format('SELECT ap_predict(%s, %L)', :m1, :'xrow'));
ROLLBACK;
BEGIN;
UPDATE alphapulse.models SET model = (SELECT model FROM alphapulse.models WHERE id = :m2),
	model_hmac = (SELECT model_hmac FROM alphapulse.models WHERE id = :m2) WHERE id = :m1;
SELECT ap_predict(:m1, :'xrow') = ap_predict(:m2, :'xrow') AS same_bytes_same_seal;
ROLLBACK;
BEGIN;
UPDATE alphapulse.models SET coefficients = jsonb_set(coefficients, '{intercept}', '1e300') WHERE id = :m4;
SELECT * FROM pg_temp.err(format('SELECT ap_predict(%s, %L)', :m4, :'xrow'));
ROLLBACK;
-- a sealed linear model with a non-finite coefficient is refused by its check
BEGIN;
UPDATE alphapulse.models SET coefficients = jsonb_set(coefficients, '{coef,0}', '"Infinity"') WHERE id = :m4;
UPDATE alphapulse.models SET model_hmac = pg_temp.seal('ridge', 40, pg_catalog.convert_to(coefficients::text, 'UTF8'))
WHERE id = :m4;
SELECT * FROM pg_temp.err(format('SELECT ap_predict(%s, %L)', :m4, :'xrow'));
ROLLBACK;
BEGIN;
UPDATE alphapulse.models SET model_hmac = NULL WHERE id = :m1;
SELECT * FROM pg_temp.err(format('SELECT ap_predict(%s, %L)', :m1, :'xrow'));
ROLLBACK;

-- a restore into another cluster: every seal is foreign, ap_reseal_models()
-- validates and reseals; a malformed model stays unsealed and is reported
BEGIN;
UPDATE alphapulse.models SET model_hmac = pg_catalog.sha256(pg_catalog.int8send(id)) WHERE symbol = 'sec';
UPDATE alphapulse.models SET model = a.bytes FROM attack a WHERE a.name = 'child out of range' AND id = :m2;
SAVEPOINT s;
SELECT * FROM pg_temp.err(format('SELECT ap_predict(%s, %L)', :m1, :'xrow'));
ROLLBACK TO s;
SET client_min_messages = error;  -- its WARNING names the model id
SELECT model_id = :m2 AS is_m2, sealed, reason FROM ap_reseal_models() WHERE NOT sealed;
RESET client_min_messages;
SELECT ap_predict(:m1, :'xrow') = :p1 AS resealed_loads;
SELECT * FROM pg_temp.err(format('SELECT ap_predict(%s, %L)', :m2, :'xrow'));
ROLLBACK;

-- 0.1.0 models have no seal: the upgrade runs alphapulse.seal_models(), which
-- seals the sound ones and leaves a malformed one unsealed
BEGIN;
UPDATE alphapulse.models SET model_hmac = NULL WHERE id IN (:m1, :m2);
UPDATE alphapulse.models SET model = a.bytes FROM attack a WHERE a.name = 'negative child' AND id = :m2;
SET client_min_messages = error;
SELECT model_id = :m1 AS is_m1, sealed, reason FROM alphapulse.seal_models() ORDER BY model_id;
RESET client_min_messages;
SELECT ap_predict(:m1, :'xrow') = :p1 AS sealed_loads;
SELECT * FROM pg_temp.err(format('SELECT ap_predict(%s, %L)', :m2, :'xrow'));
ROLLBACK;

-- search_path: a role's own objects named like built-ins change nothing
CREATE SCHEMA evil;
CREATE FUNCTION evil.never(bigint, bigint) RETURNS boolean LANGUAGE sql AS 'SELECT false';
CREATE FUNCTION evil.never(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT false';
CREATE OPERATOR evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.never);
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.never);
CREATE FUNCTION evil.array_length(anyarray, integer) RETURNS integer LANGUAGE sql AS 'SELECT 3';
CREATE FUNCTION evil.sha256(bytea) RETURNS bytea LANGUAGE sql AS 'SELECT ''\x00''::bytea';
\c
SET search_path = evil, pg_catalog, public;
SELECT ap_predict(:m1, :'xrow') = :p1 AS same_prediction, ap_predict('sec', :'xrow') = :p1 AS same_champion;
SELECT count(*) AS explained FROM ap_explain('sec', :'xrow');
SELECT ap_score('sec') > 0 AS scored;
RESET search_path;
DROP SCHEMA evil CASCADE;

-- (a new session: the error helper again)
CREATE FUNCTION pg_temp.err(q text) RETURNS TABLE (state text, message text, detail text) LANGUAGE plpgsql AS $$
DECLARE
	s text;
	m text;
	d text;
BEGIN
	EXECUTE q;
	RETURN QUERY SELECT 'none'::text, NULL::text, NULL::text;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL;
	RETURN QUERY SELECT s, regexp_replace(m, 'model \d+', 'model M'), d;
END
$$;

-- Review of main, F7: a writer renamed or deleted an asset and the cascading
-- foreign key moved or deleted its models; now both are refused (23503).
SELECT count(*) AS sec_models FROM alphapulse.models WHERE symbol = 'sec' \gset
SET ROLE alphapulse_writer;
UPDATE alphapulse.assets SET symbol = 'moved' WHERE symbol = 'sec';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM alphapulse.assets WHERE symbol = 'sec';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) = :sec_models AS models_kept, count(*) FILTER (WHERE stage = 'champion') AS champions
FROM alphapulse.models WHERE symbol = 'sec';

-- F8: a writer inserted runs with ids ahead of the sequence (the next ap_train
-- of anyone failed on runs_pkey) and could rewrite run history: writers have
-- no write right on alphapulse.runs or its sequence; ap_train still logs
-- runs, failed ones too (the logger's worker writes as the table's owner).
SET ROLE alphapulse_writer;
INSERT INTO alphapulse.runs (id, symbol, status, started)
SELECT m + g, 'sec', 'failed', now() FROM (SELECT pg_catalog.max(id) AS m FROM alphapulse.runs) r, generate_series(1, 5) g;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT nextval('alphapulse.runs_id_seq');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE alphapulse.runs SET status = 'failed';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM alphapulse.runs;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_train('sec', algorithm => 'ridge') > 0 AS trained;
SELECT ap_train('sec', 'fast', 'ridge', '{"no_such_param": 1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT status, sqlstate FROM alphapulse.runs ORDER BY id DESC LIMIT 2;
RESET ROLE;
-- admins keep DELETE as retention, not INSERT or UPDATE
SET ROLE alphapulse_admin;
INSERT INTO alphapulse.runs (symbol, status, started) VALUES ('sec', 'failed', now());
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE alphapulse.runs SET status = 'failed';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
WITH d AS (DELETE FROM alphapulse.runs WHERE status = 'failed' RETURNING 1) SELECT count(*) > 0 AS deleted FROM d;
RESET ROLE;

-- F6: writers wrote alphapulse.feature_sets directly, skipping ap_feature_set's
-- checks: a NaN threshold, feature_names that do not match the features, and
-- a change to a set in use (its model then scored other features).  The
-- trigger applies the rules to every write.
SET ROLE alphapulse_writer;
INSERT INTO alphapulse.feature_sets (name, spec, features, feature_names, horizon, target_kind, threshold)
VALUES ('hand', '{}', '{ret:1,rsi:14}', '{ret_1}', 1, 'classification', 0);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.feature_sets (name, spec, features, feature_names, horizon, target_kind, threshold)
VALUES ('hand', '{}', '{ret:1}', alphapulse.feature_names('{ret:1}'), 1, 'classification', 'NaN');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.feature_sets (name, spec, features, feature_names, horizon, target_kind, threshold)
VALUES ('hand', '{}', '{ret:1}', alphapulse.feature_names('{ret:1}'), 1, 'classification', 'Infinity');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE alphapulse.feature_sets SET features = '{ret:1,ret:2,ret:5}',
	feature_names = alphapulse.feature_names('{ret:1,ret:2,ret:5}') WHERE name = 'sec3';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE alphapulse.feature_sets SET threshold = 0.5 WHERE name = 'sec3';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a well-formed row is still accepted, and an unused set may change
INSERT INTO alphapulse.feature_sets (name, spec, features, feature_names, horizon, target_kind, threshold)
VALUES ('hand', '{}', '{ret:1}', alphapulse.feature_names('{ret:1}'), 1, 'classification', 0);
UPDATE alphapulse.feature_sets SET threshold = 0.001 WHERE name = 'hand';
SELECT name, feature_names, threshold FROM alphapulse.feature_sets WHERE name IN ('hand', 'sec3') ORDER BY name;
RESET ROLE;
-- a set changed behind the trigger's back (a superuser's replica mode): its
-- models refuse to score rather than score other features (XX001)
SELECT ap_promote(:m3) = :m3 AS promoted_m3;
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE alphapulse.feature_sets SET features = '{ret:1,ret:2,ret:5}',
	feature_names = alphapulse.feature_names('{ret:1,ret:2,ret:5}') WHERE name = 'sec3';
SET LOCAL session_replication_role = origin;
SELECT * FROM pg_temp.err('SELECT ap_score(''sec'')');
ROLLBACK;
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE alphapulse.feature_sets SET feature_names = '{a,b,c}' WHERE name = 'sec3';
SET LOCAL session_replication_role = origin;
SELECT * FROM pg_temp.err(format('SELECT ap_predict(%s, %L)', :m3, '{0.1,0.2,0.3}'));
ROLLBACK;
SELECT ap_promote(:m1) = :m1 AS promoted_back;

-- feature rows of another width than their set (a set changed behind the
-- trigger's back) are a clean XX001 in ap_train, not an internal error
SELECT ap_build_features('sec', 'hand') > 0 AS built_hand;
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE alphapulse.feature_sets SET features = '{ret:1,ret:2}',
	feature_names = alphapulse.feature_names('{ret:1,ret:2}') WHERE name = 'hand';
SET LOCAL session_replication_role = origin;
SELECT * FROM pg_temp.err('SELECT ap_train(''sec'', ''fast'', ''ridge'', NULL, ''hand'')');
ROLLBACK;

-- the seal covers the symbol, the feature set and the feature names: a model
-- row relabelled (even by a superuser) no longer loads
BEGIN;
INSERT INTO alphapulse.assets (symbol) VALUES ('other');
UPDATE alphapulse.models SET symbol = 'other', stage = 'challenger' WHERE id = :m1;
SELECT * FROM pg_temp.err(format('SELECT ap_predict(%s, %L)', :m1, :'xrow'));
ROLLBACK;
BEGIN;
UPDATE alphapulse.models SET feature_set = 'hand' WHERE id = :m1;
SELECT * FROM pg_temp.err(format('SELECT ap_predict(%s, %L)', :m1, :'xrow'));
ROLLBACK;
BEGIN;
UPDATE alphapulse.models SET feature_names[1] = 'renamed' WHERE id = :m1;
SELECT * FROM pg_temp.err(format('SELECT ap_predict(%s, %L)', :m1, :'xrow'));
ROLLBACK;
SELECT ap_predict(:m1, :'xrow') = :p1 AS m1_intact;

-- smaller: ap_predict refuses NaN and infinities as ap_explain does (22000),
-- a 2-D array, and an unknown symbol's message is clipped
SELECT ap_predict(:m3, '{0.1,NaN,0.3}');
SELECT ap_predict(:m3, '{0.1,Infinity,0.3}');
SELECT * FROM pg_temp.err(format('SELECT ap_predict(%s, %L)', :m3, '{{0.1,0.2,0.3}}'));
SELECT ap_predict(:m3, '{0.1,NULL,0.3}') IS NOT NULL AS null_is_missing;
SELECT ap_predict(repeat('s', 100000), '{0.1,0.2,0.3}');
SELECT ap_score(repeat('s', 100000));

