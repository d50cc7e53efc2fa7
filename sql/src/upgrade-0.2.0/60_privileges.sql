-- BEGIN privileges (issue 7: findings 8, 9 and the SQL parts of 10)

-- Finding 9: the built-in feature sets are the extension's, not the user's.
-- pg_dump keeps only user rows of alphapulse.feature_sets (a dumped copy of
-- "default" collided with the one CREATE EXTENSION makes and the restore lost
-- every feature set and feature), and a trigger keeps the built-in rows as
-- the extension made them, so that the dump filter stays right.
ALTER TABLE alphapulse.feature_sets ADD COLUMN builtin boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN alphapulse.feature_sets.builtin IS 'Made by the extension (the default set): not dumped, and no role may change or delete it';
UPDATE alphapulse.feature_sets SET builtin = true WHERE name = 'default';

CREATE FUNCTION alphapulse.feature_sets_protect_builtin()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		RAISE EXCEPTION 'alphapulse.feature_sets cannot be truncated' USING ERRCODE = '42939',
			DETAIL = 'It holds the built-in feature sets.',
			HINT = 'Delete the user feature sets with DELETE ... WHERE NOT builtin.';
	END IF;
	IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.builtin THEN
		RAISE EXCEPTION 'feature set "%" is built in and cannot be changed or deleted', OLD.name
			USING ERRCODE = '42939', HINT = 'Create a feature set under another name with ap_feature_set.';
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.builtin THEN
		RAISE EXCEPTION 'only the extension makes built-in feature sets' USING ERRCODE = '42939',
			DETAIL = pg_catalog.format('Feature set "%s" was given builtin = true.', NEW.name);
	END IF;
	RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$fn$;
COMMENT ON FUNCTION alphapulse.feature_sets_protect_builtin() IS
'Trigger on alphapulse.feature_sets: built-in rows cannot be updated, deleted or truncated, and no row becomes built in (42939)';
CREATE TRIGGER feature_sets_protect_builtin
BEFORE INSERT OR UPDATE OR DELETE ON alphapulse.feature_sets
FOR EACH ROW EXECUTE FUNCTION alphapulse.feature_sets_protect_builtin();
CREATE TRIGGER feature_sets_no_truncate
BEFORE TRUNCATE ON alphapulse.feature_sets
FOR EACH STATEMENT EXECUTE FUNCTION alphapulse.feature_sets_protect_builtin();

SELECT pg_catalog.pg_extension_config_dump('alphapulse.feature_sets', 'WHERE NOT builtin');
-- The feed run log is history like alphapulse.runs: dump it and its sequence.
-- (alphapulse.feed_queue is work in progress and is not dumped: a restored
-- database starts with an empty queue and the feeds' cursors.)
SELECT pg_catalog.pg_extension_config_dump('alphapulse.feed_runs', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.feed_runs_id_seq', '');

-- Finding 10: a threshold or horizon given as a string ("NaN", "Infinity",
-- "1") was cast and accepted; they must be JSON numbers in range.  Built-in
-- sets cannot be redefined.  Feature items are checked by
-- alphapulse.feature_names (canonical decimal parameters, ml_featspec.c).
DROP FUNCTION ap_feature_set(text, jsonb);
CREATE FUNCTION ap_feature_set(name text, spec jsonb)
RETURNS text[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	-- limits of the target (alphapulse.feature_sets.horizon has the same CHECK)
	max_horizon CONSTANT integer := 10000;
	max_abs_threshold CONSTANT numeric := 10;
	items text[];
	names text[];
	tgt jsonb := coalesce(spec -> 'target', '{}'::jsonb);
	hnum numeric;
	tnum numeric;
	h integer;
	kind text;
	thr double precision;
	bad text;
BEGIN
	IF name IS NULL OR spec IS NULL THEN
		RAISE EXCEPTION 'feature set name and spec must not be null' USING ERRCODE = '22004';
	END IF;
	IF jsonb_typeof(spec) <> 'object' OR jsonb_typeof(spec -> 'features') IS DISTINCT FROM 'array' THEN
		RAISE EXCEPTION 'feature set spec must be an object with a "features" array'
			USING ERRCODE = '22023',
			HINT = 'Example: {"features": ["ret:1", "rsi:14"], "target": {"horizon": 1, "type": "classification", "threshold": 0}}.';
	END IF;
	IF jsonb_typeof(tgt) <> 'object' THEN
		RAISE EXCEPTION 'feature set target must be an object' USING ERRCODE = '22023',
			HINT = 'Example: "target": {"horizon": 1, "type": "classification", "threshold": 0}.';
	END IF;
	SELECT k INTO bad FROM jsonb_object_keys(spec) k WHERE k NOT IN ('features', 'target');
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'unknown feature set key "%"', left(bad, 64)
			USING ERRCODE = '22023', HINT = 'Valid keys: features, target.';
	END IF;
	SELECT k INTO bad FROM jsonb_object_keys(tgt) k WHERE k NOT IN ('horizon', 'type', 'threshold');
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'unknown target key "%"', left(bad, 64)
			USING ERRCODE = '22023', HINT = 'Valid keys: horizon, type, threshold.';
	END IF;
	IF EXISTS (SELECT FROM jsonb_array_elements(spec -> 'features') e WHERE jsonb_typeof(e) <> 'string') THEN
		RAISE EXCEPTION 'feature items must be strings such as "rsi:14"' USING ERRCODE = '22023';
	END IF;
	items := ARRAY(SELECT jsonb_array_elements_text(spec -> 'features'));
	names := alphapulse.feature_names(items);
	IF tgt ? 'horizon' AND jsonb_typeof(tgt -> 'horizon') <> 'number' THEN
		RAISE EXCEPTION 'target horizon must be a JSON number' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('It was %s.', left((tgt -> 'horizon')::text, 64));
	END IF;
	IF tgt ? 'threshold' AND jsonb_typeof(tgt -> 'threshold') <> 'number' THEN
		RAISE EXCEPTION 'target threshold must be a JSON number' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('It was %s; NaN, Infinity and strings are refused.',
									   left((tgt -> 'threshold')::text, 64));
	END IF;
	IF tgt ? 'type' AND jsonb_typeof(tgt -> 'type') <> 'string' THEN
		RAISE EXCEPTION 'target type must be a JSON string' USING ERRCODE = '22023',
			HINT = 'Valid types: classification, regression.';
	END IF;
	hnum := coalesce((tgt -> 'horizon')::numeric, 1);
	tnum := coalesce((tgt -> 'threshold')::numeric, 0);
	IF hnum <> trunc(hnum) OR hnum < 1 OR hnum > max_horizon THEN
		RAISE EXCEPTION 'target horizon must be an integer between 1 and % bars', max_horizon
			USING ERRCODE = '22023', DETAIL = pg_catalog.format('It was %s.', left(hnum::text, 64));
	END IF;
	IF abs(tnum) > max_abs_threshold THEN
		RAISE EXCEPTION 'target threshold must be between -% and %', max_abs_threshold, max_abs_threshold
			USING ERRCODE = '22023', DETAIL = pg_catalog.format('It was %s (a forward log return).', left(tnum::text, 64));
	END IF;
	h := hnum::integer;
	thr := tnum::double precision;
	kind := coalesce(tgt ->> 'type', 'classification');
	IF kind NOT IN ('classification', 'regression') THEN
		RAISE EXCEPTION 'unknown target type "%"', left(kind, 64) USING ERRCODE = '22023',
			HINT = 'Valid types: classification, regression.';
	END IF;
	IF EXISTS (SELECT FROM alphapulse.feature_sets s WHERE s.name = ap_feature_set.name AND s.builtin) THEN
		RAISE EXCEPTION 'feature set "%" is built in and cannot be redefined', name USING ERRCODE = '42939',
			HINT = 'Create a feature set under another name.';
	END IF;
	IF EXISTS (SELECT FROM alphapulse.feature_sets s WHERE s.name = ap_feature_set.name
			   AND (s.features, s.horizon, s.target_kind, s.threshold) IS DISTINCT FROM (items, h, kind, thr))
	   AND (EXISTS (SELECT FROM alphapulse.features f WHERE f.feature_set = ap_feature_set.name)
			OR EXISTS (SELECT FROM alphapulse.models m WHERE m.feature_set = ap_feature_set.name)) THEN
		RAISE EXCEPTION 'feature set "%" is in use and cannot change', name USING ERRCODE = '55006',
			HINT = 'Create a feature set under a new name, or delete its features and models first.';
	END IF;
	INSERT INTO alphapulse.feature_sets AS s (name, spec, features, feature_names, horizon, target_kind, threshold)
	VALUES (name, spec, items, names, h, kind, thr)
	ON CONFLICT ON CONSTRAINT feature_sets_pkey DO UPDATE
	SET spec = excluded.spec, features = excluded.features, feature_names = excluded.feature_names,
		horizon = excluded.horizon, target_kind = excluded.target_kind, threshold = excluded.threshold;
	RETURN names;
END
$fn$;
COMMENT ON FUNCTION ap_feature_set(text, jsonb) IS
'Creates or replaces a named feature set from {"features": ["kind[:p...]", ...], "target": {"horizon": h (a JSON number, integer 1..10000, default 1), "type": "classification" (forward log return > threshold) | "regression" (forward log return), "threshold": a JSON number in [-10, 10], default 0}}; parameters are canonical decimals (14, 2.5). Returns the feature column names. A set with features or models cannot change (55006); built-in sets cannot be redefined (42939).';

-- A feature set stored by 0.1.0 with parameters 0.2.0 refuses (0x2, 014,
-- " 14") or a threshold that is not finite can no longer be built: name it
-- at upgrade time rather than at the next ap_build_features.
DO $check$
DECLARE
	s record;
BEGIN
	FOR s IN SELECT name, features, threshold FROM alphapulse.feature_sets ORDER BY name LOOP
		BEGIN
			PERFORM alphapulse.feature_names(s.features);
			IF s.threshold IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8) THEN
				RAISE EXCEPTION 'its threshold is %', s.threshold USING ERRCODE = '22023';
			END IF;
		EXCEPTION WHEN data_exception OR invalid_parameter_value THEN
			RAISE WARNING 'feature set "%" cannot be built by AlphaPulse 0.2.0: %', s.name, SQLERRM
				USING HINT = 'Define it again under a new name with canonical parameters and a numeric threshold.';
		END;
	END LOOP;
END
$check$;

-- Finding 10: the functions that run internal SQL do it with a pinned
-- search_path, so nothing a caller puts on theirs (a function, operator or
-- table of the same name) is resolved; the C code qualifies what it calls in
-- the extension's schema through get_func_namespace.  Applied by name to
-- every overload, so a signature changed by another part is covered too.
DO $pin$
DECLARE
	f regprocedure;
BEGIN
	FOR f IN
		SELECT p.oid::regprocedure
		FROM pg_catalog.pg_proc p
		JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid
			AND d.deptype = 'e'
		JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'alphapulse'
		WHERE p.proname IN ('ap_train', 'ap_score', 'ap_build_features', 'ap_explain')
	LOOP
		EXECUTE pg_catalog.format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp', f);
	END LOOP;
END
$pin$;

-- Finding 8: least privilege for functions.  PUBLIC keeps the pure
-- indicator window functions (no table access, bounded by their input); every
-- function that reads the registry, writes, trains, scores, builds or fetches
-- is granted to the role that needs it (admin > writer > reader inherit):
--   reader: ap_predict, ap_explain, ap_feed_parse, ap_feed_parse_news,
--           alphapulse.feature_names (reads, predicts, checks input)
--   writer: ap_feature_set, ap_build_features, ap_train, ap_score,
--           ap_ingest, ap_ingest_now
--   admin:  ap_add_feed, ap_remove_feed, ap_schedule_feed
--   nobody: the trigger functions (they run as triggers, not calls)
-- ap_promote, ap_rollback and the model import/export functions are granted
-- with the model registry (their own part).
DO $grants$
DECLARE
	r record;
BEGIN
	FOR r IN
		SELECT p.oid::regprocedure AS f, g.grantee
		FROM pg_catalog.pg_proc p
		JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid
			AND d.deptype = 'e'
		JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'alphapulse'
		JOIN (VALUES ('ap_predict', 'alphapulse_reader'), ('ap_explain', 'alphapulse_reader'),
					 ('ap_feed_parse', 'alphapulse_reader'), ('ap_feed_parse_news', 'alphapulse_reader'),
					 ('feature_names', 'alphapulse_reader'),
					 ('ap_feature_set', 'alphapulse_writer'), ('ap_build_features', 'alphapulse_writer'),
					 ('ap_train', 'alphapulse_writer'), ('ap_score', 'alphapulse_writer'),
					 ('ap_ingest', 'alphapulse_writer'), ('ap_ingest_now', 'alphapulse_writer'),
					 ('ap_add_feed', 'alphapulse_admin'), ('ap_remove_feed', 'alphapulse_admin'),
					 ('ap_schedule_feed', 'alphapulse_admin'),
					 ('models_check_champion', NULL), ('models_invalidate', NULL),
					 ('feature_sets_protect_builtin', NULL)) AS g(proname, grantee)
			ON g.proname = p.proname
	LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', r.f);
		IF r.grantee IS NOT NULL THEN
			EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', r.f, r.grantee);
		END IF;
	END LOOP;
END
$grants$;
-- END privileges
