-- BEGIN models over time (issue 12): export/import of models, retention.

-- Export stamps the model (retention prunes only exported archived models by
-- default); an imported model remembers where it came from.
ALTER TABLE alphapulse.models ADD COLUMN exported_at timestamptz;
ALTER TABLE alphapulse.models ADD COLUMN imported_from jsonb;
COMMENT ON COLUMN alphapulse.models.exported_at IS 'Last time ap_export_model exported this model (NULL: never); ap_prune prunes archived models only once exported, unless told otherwise';
COMMENT ON COLUMN alphapulse.models.imported_from IS 'For a model registered by ap_import_model: the bundle''s source (cluster system identifier, database, model id and version there, export time); NULL for a model trained here';

CREATE FUNCTION alphapulse.seal_model(model_id bigint)
RETURNS text
AS 'MODULE_PATHNAME', 'ap_seal_model'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION alphapulse.seal_model(bigint) IS
'Superuser only (ap_import_model runs it as the extension''s owner): validates one model as every load does (XGBoost bytes structurally and against model_sha256, linear coefficients finite with positive scales and a known link, 1..100000 features) and seals it under this cluster''s key. NULL when sealed, else the reason and the row is left unsealed. Not executable by PUBLIC';
REVOKE ALL ON FUNCTION alphapulse.seal_model(bigint) FROM PUBLIC;

-- The bundle format's name and version: ap_import_model reads only these.
CREATE FUNCTION alphapulse.model_bundle_format()
RETURNS TABLE (format text, format_version integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 'alphapulse-model'::text, 1 $fn$;
COMMENT ON FUNCTION alphapulse.model_bundle_format() IS
'Name and version of the model bundle format ap_export_model writes and ap_import_model reads';

CREATE FUNCTION @extschema@.ap_export_model(model_id bigint)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	m alphapulse.models;
	s alphapulse.feature_sets;
	r alphapulse.runs;
	fmt record;
	payload_sha text;
	b jsonb;
BEGIN
	SELECT * INTO m FROM alphapulse.models x WHERE x.id = model_id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'model % does not exist', model_id USING ERRCODE = '42704';
	END IF;
	SELECT * INTO s FROM alphapulse.feature_sets x WHERE x.name = m.feature_set;
	SELECT * INTO r FROM alphapulse.runs x WHERE x.id = m.run_id;
	SELECT * INTO fmt FROM alphapulse.model_bundle_format();
	payload_sha := encode(CASE WHEN m.algorithm = 'xgboost' THEN sha256(m.model)
							   ELSE sha256(convert_to(m.coefficients::text, 'UTF8')) END, 'hex');
	b := jsonb_build_object(
		'format', fmt.format, 'format_version', fmt.format_version,
		'symbol', m.symbol, 'algorithm', m.algorithm, 'task', m.task,
		'params', m.params, 'n_rounds', m.n_rounds,
		'feature_set', jsonb_build_object('name', s.name, 'spec', s.spec, 'features', to_jsonb(s.features),
										  'feature_names', to_jsonb(s.feature_names), 'horizon', s.horizon,
										  'target_kind', s.target_kind, 'threshold', s.threshold),
		'feature_names', to_jsonb(m.feature_names),
		'n_features', cardinality(m.feature_names),
		'train_from', m.train_from, 'train_to', m.train_to,
		'holdout_from', m.holdout_from, 'holdout_to', m.holdout_to,
		'cv_metrics', m.cv_metrics, 'metrics', m.metrics, 'feature_stats', m.feature_stats,
		'model', CASE WHEN m.algorithm = 'xgboost' THEN translate(encode(m.model, 'base64'), E'\n', '') END,
		'coefficients', m.coefficients,
		'sha256', payload_sha,
		'library_versions', coalesce(r.versions, 'null'::jsonb),
		'training', CASE WHEN r.id IS NULL THEN NULL ELSE jsonb_build_object(
			'run_id', r.id, 'mode', r.mode, 'seed', r.seed, 'n_rows', r.n_rows, 'n_train', r.n_train,
			'n_holdout', r.n_holdout, 'data_from', r.data_from, 'data_to', r.data_to,
			'duration_ms', r.duration_ms) END,
		'source', jsonb_build_object(
			'system_identifier', (SELECT c.system_identifier::text FROM pg_control_system() c),
			'database', current_database(), 'model_id', m.id, 'version', m.version, 'stage', m.stage,
			'created', m.created, 'promoted', m.promoted, 'imported_from', m.imported_from,
			'alphapulse', (SELECT e.extversion FROM pg_extension e WHERE e.extname = 'alphapulse'),
			'postgres', current_setting('server_version'), 'exported_at', clock_timestamp()));
	UPDATE alphapulse.models x SET exported_at = clock_timestamp() WHERE x.id = m.id;
	RETURN b;
END
$fn$;
COMMENT ON FUNCTION @extschema@.ap_export_model(bigint) IS
'A self-describing bundle (jsonb) of a registered model: format and format_version, symbol, algorithm, task, params, the feature set (name, spec, features, names, target), feature names and count, training and holdout windows, CV and holdout metrics, feature statistics, the model (XGBoost bytes in base64, or the linear coefficients), sha256 of the model (of the bytes, or of the coefficients'' jsonb text), the library versions it was trained with, its training run, and its source (cluster, database, model id, version). The seal does not travel (it is keyed per cluster): ap_import_model validates and seals again. Stamps models.exported_at. Writers may call it';

CREATE FUNCTION @extschema@.ap_import_model(bundle jsonb, symbol text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	-- keys a bundle must have, with their JSON types (NULL: any or null)
	required CONSTANT text[][] := ARRAY[
		['format', 'string'], ['format_version', 'number'], ['symbol', 'string'],
		['algorithm', 'string'], ['task', 'string'], ['params', 'object'],
		['feature_set', 'object'], ['feature_names', 'array'], ['n_features', 'number'],
		['train_from', 'string'], ['train_to', 'string'], ['holdout_from', 'string'],
		['holdout_to', 'string'], ['metrics', 'object'], ['feature_stats', NULL], ['sha256', 'string']];
	set_keys CONSTANT text[][] := ARRAY[
		['name', 'string'], ['spec', 'object'], ['features', 'array'], ['feature_names', 'array'],
		['horizon', 'number'], ['target_kind', 'string'], ['threshold', 'number']];
	max_bytes bigint;
	fmt record;
	sym text := coalesce(ap_import_model.symbol, bundle ->> 'symbol');
	fs jsonb;
	st alphapulse.feature_sets;
	names text[];
	p integer;
	algo text;
	bytes bytea;
	coefs jsonb;
	w timestamptz[];
	new_id bigint;
	has_champion boolean;
	reason text;
	k text[];
BEGIN
	IF bundle IS NULL THEN
		RAISE EXCEPTION 'model bundle must not be null' USING ERRCODE = '22004';
	END IF;
	-- the setting in bytes (pg_settings gives it in its unit, kB)
	SELECT g.setting::bigint * 1024 INTO max_bytes FROM pg_settings g WHERE g.name = 'alphapulse.max_import_bytes';
	IF pg_column_size(bundle) > max_bytes THEN
		RAISE EXCEPTION 'model bundle is too large' USING ERRCODE = '54000',
			DETAIL = format('It takes %s bytes; alphapulse.max_import_bytes is %s.', pg_column_size(bundle), max_bytes),
			HINT = 'A superuser can raise alphapulse.max_import_bytes.';
	END IF;
	IF jsonb_typeof(bundle) <> 'object' THEN
		RAISE EXCEPTION 'model bundle must be a JSON object' USING ERRCODE = '22023',
			HINT = 'Pass what ap_export_model returned.';
	END IF;
	SELECT * INTO fmt FROM alphapulse.model_bundle_format();
	IF bundle -> 'format' IS DISTINCT FROM to_jsonb(fmt.format)
	   OR bundle -> 'format_version' IS DISTINCT FROM to_jsonb(fmt.format_version) THEN
		RAISE EXCEPTION 'not an AlphaPulse model bundle of a known format version' USING ERRCODE = '22023',
			DETAIL = format('format %s, format_version %s; this server reads %s version %s.',
							left(coalesce(bundle ->> 'format', 'missing'), 64),
							left(coalesce(bundle ->> 'format_version', 'missing'), 16), fmt.format, fmt.format_version);
	END IF;
	FOREACH k SLICE 1 IN ARRAY required LOOP
		IF NOT bundle ? k[1] OR (k[2] IS NOT NULL AND jsonb_typeof(bundle -> k[1]) IS DISTINCT FROM k[2]) THEN
			RAISE EXCEPTION 'model bundle: "%" is missing or not a JSON %', k[1], coalesce(k[2], 'value')
				USING ERRCODE = '22023';
		END IF;
	END LOOP;
	fs := bundle -> 'feature_set';
	FOREACH k SLICE 1 IN ARRAY set_keys LOOP
		IF NOT fs ? k[1] OR jsonb_typeof(fs -> k[1]) IS DISTINCT FROM k[2] THEN
			RAISE EXCEPTION 'model bundle: "feature_set.%" is missing or not a JSON %', k[1], k[2]
				USING ERRCODE = '22023';
		END IF;
	END LOOP;
	algo := bundle ->> 'algorithm';
	IF algo NOT IN ('xgboost', 'ridge', 'lasso', 'logistic') THEN
		RAISE EXCEPTION 'model bundle: unknown algorithm "%"', left(algo, 64) USING ERRCODE = '22023';
	END IF;
	IF bundle ->> 'task' NOT IN ('classification', 'regression') THEN
		RAISE EXCEPTION 'model bundle: unknown task "%"', left(bundle ->> 'task', 64) USING ERRCODE = '22023';
	END IF;
	IF EXISTS (SELECT FROM jsonb_array_elements(bundle -> 'feature_names') e WHERE jsonb_typeof(e) <> 'string')
	   OR EXISTS (SELECT FROM jsonb_array_elements(fs -> 'features') e WHERE jsonb_typeof(e) <> 'string')
	   OR EXISTS (SELECT FROM jsonb_array_elements(fs -> 'feature_names') e WHERE jsonb_typeof(e) <> 'string') THEN
		RAISE EXCEPTION 'model bundle: feature names and items must be strings' USING ERRCODE = '22023';
	END IF;
	names := ARRAY(SELECT jsonb_array_elements_text(bundle -> 'feature_names'));
	p := cardinality(names);
	IF (bundle -> 'n_features') IS DISTINCT FROM to_jsonb(p) OR fs -> 'feature_names' IS DISTINCT FROM bundle -> 'feature_names' THEN
		RAISE EXCEPTION 'model bundle: the feature count does not match the feature names' USING ERRCODE = '22023',
			DETAIL = format('n_features is %s, there are %s feature names (%s in the feature set).',
							left((bundle -> 'n_features')::text, 32), p, jsonb_array_length(fs -> 'feature_names'));
	END IF;
	BEGIN
		w := ARRAY[(bundle ->> 'train_from')::timestamptz, (bundle ->> 'train_to')::timestamptz,
				   (bundle ->> 'holdout_from')::timestamptz, (bundle ->> 'holdout_to')::timestamptz];
	EXCEPTION WHEN data_exception THEN
		RAISE EXCEPTION 'model bundle: the training and holdout windows must be timestamps' USING ERRCODE = '22023';
	END;
	IF NOT (w[1] <= w[2] AND w[2] <= w[3] AND w[3] <= w[4]) OR array_position(w, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'model bundle: the windows must be in order (train_from <= train_to <= holdout_from <= holdout_to)'
			USING ERRCODE = '22023';
	END IF;
	IF bundle ? 'cv_metrics' AND jsonb_typeof(bundle -> 'cv_metrics') NOT IN ('object', 'null') THEN
		RAISE EXCEPTION 'model bundle: "cv_metrics" must be an object or null' USING ERRCODE = '22023';
	END IF;
	IF bundle ? 'n_rounds' AND jsonb_typeof(bundle -> 'n_rounds') <> 'null'
	   AND (jsonb_typeof(bundle -> 'n_rounds') <> 'number'
			OR (bundle ->> 'n_rounds')::numeric NOT BETWEEN 0 AND 100000
			OR (bundle ->> 'n_rounds')::numeric <> trunc((bundle ->> 'n_rounds')::numeric)) THEN
		RAISE EXCEPTION 'model bundle: "n_rounds" must be an integer from 0 to 100000, or null' USING ERRCODE = '22023';
	END IF;
	-- the training data's statistics, one object of numbers per feature (drift checks read them)
	IF jsonb_typeof(bundle -> 'feature_stats') IS DISTINCT FROM 'array'
	   OR jsonb_array_length(bundle -> 'feature_stats') <> p
	   OR EXISTS (SELECT FROM jsonb_array_elements(bundle -> 'feature_stats') e
				  WHERE jsonb_typeof(e) <> 'object'
					 OR EXISTS (SELECT FROM jsonb_each(e) v WHERE jsonb_typeof(v.value) NOT IN ('number', 'null'))) THEN
		RAISE EXCEPTION 'model bundle: "feature_stats" must be an array of one object of numbers per feature'
			USING ERRCODE = '22023';
	END IF;

	-- the payload and its checksum
	IF algo = 'xgboost' THEN
		IF jsonb_typeof(bundle -> 'model') IS DISTINCT FROM 'string' THEN
			RAISE EXCEPTION 'model bundle: an xgboost model needs "model" (base64 bytes)' USING ERRCODE = '22023';
		END IF;
		BEGIN
			bytes := decode(bundle ->> 'model', 'base64');
		EXCEPTION WHEN data_exception OR invalid_parameter_value THEN
			RAISE EXCEPTION 'model bundle: "model" is not valid base64' USING ERRCODE = '22023';
		END;
		IF encode(sha256(bytes), 'hex') <> bundle ->> 'sha256' THEN
			RAISE EXCEPTION 'model bundle: the model bytes do not match their sha256' USING ERRCODE = '22023',
				DETAIL = 'The bundle was damaged or altered after export.';
		END IF;
	ELSE
		coefs := bundle -> 'coefficients';
		IF jsonb_typeof(coefs) IS DISTINCT FROM 'object' THEN
			RAISE EXCEPTION 'model bundle: a linear model needs "coefficients" (an object)' USING ERRCODE = '22023';
		END IF;
		IF encode(sha256(convert_to(coefs::text, 'UTF8')), 'hex') <> bundle ->> 'sha256' THEN
			RAISE EXCEPTION 'model bundle: the coefficients do not match their sha256' USING ERRCODE = '22023',
				DETAIL = 'The bundle was damaged or altered after export.';
		END IF;
		IF EXISTS (SELECT FROM jsonb_each(coefs) c WHERE c.key NOT IN ('link', 'intercept', 'coef', 'mean', 'scale'))
		   OR jsonb_typeof(coefs -> 'intercept') IS DISTINCT FROM 'number'
		   OR EXISTS (SELECT FROM unnest(ARRAY['coef', 'mean', 'scale']) a
					  WHERE jsonb_typeof(coefs -> a) IS DISTINCT FROM 'array'
						 OR EXISTS (SELECT FROM jsonb_array_elements(coefs -> a) e WHERE jsonb_typeof(e) <> 'number')) THEN
			RAISE EXCEPTION 'model bundle: "coefficients" must hold link, a numeric intercept and numeric coef, mean and scale arrays'
				USING ERRCODE = '22023';
		END IF;
	END IF;

	-- the symbol and the feature set: an existing set must be the same, a new one is made
	IF sym IS NULL OR sym !~ '^[a-z][a-z0-9_]{0,31}$' THEN
		RAISE EXCEPTION 'invalid symbol "%"', left(sym, 64) USING ERRCODE = '22023';
	END IF;
	IF NOT EXISTS (SELECT FROM alphapulse.assets a WHERE a.symbol = sym) THEN
		RAISE EXCEPTION 'unknown symbol "%"', sym USING ERRCODE = '42704',
			HINT = 'Register the asset in alphapulse.assets first, or pass symbol => an existing one.';
	END IF;
	IF (fs ->> 'name') !~ '^[a-z][a-z0-9_]{0,62}$' THEN
		RAISE EXCEPTION 'model bundle: invalid feature set name "%"', left(fs ->> 'name', 64) USING ERRCODE = '22023';
	END IF;
	IF NOT EXISTS (SELECT FROM alphapulse.feature_sets x WHERE x.name = fs ->> 'name') THEN
		PERFORM @extschema@.ap_feature_set(fs ->> 'name', fs -> 'spec');
	END IF;
	SELECT * INTO st FROM alphapulse.feature_sets x WHERE x.name = fs ->> 'name';
	IF (to_jsonb(st.features), to_jsonb(st.feature_names), to_jsonb(st.horizon), to_jsonb(st.target_kind), to_jsonb(st.threshold))
	   IS DISTINCT FROM (fs -> 'features', fs -> 'feature_names', fs -> 'horizon', fs -> 'target_kind', fs -> 'threshold') THEN
		RAISE EXCEPTION 'feature set "%" here differs from the bundle''s', left(st.name, 64) USING ERRCODE = '55006',
			DETAIL = format('Here: %s, horizon %s, %s, threshold %s. Bundle: %s, horizon %s, %s, threshold %s.',
							st.features, st.horizon, st.target_kind, st.threshold,
							left((fs -> 'features')::text, 200), left((fs -> 'horizon')::text, 16),
							left(fs ->> 'target_kind', 32), left((fs -> 'threshold')::text, 32)),
			HINT = 'Import into a database whose feature set of that name has the same definition, or rename one.';
	END IF;
	IF (bundle ->> 'task') <> st.target_kind THEN
		RAISE EXCEPTION 'model bundle: task % does not match the feature set''s target %', bundle ->> 'task', st.target_kind
			USING ERRCODE = '22023';
	END IF;

	-- register unsealed, then validate and seal as any model (a failure rolls it all back)
	PERFORM FROM alphapulse.models x WHERE x.symbol = sym ORDER BY x.id FOR UPDATE;
	has_champion := EXISTS (SELECT FROM alphapulse.models x WHERE x.symbol = sym AND x.stage = 'champion');
	INSERT INTO alphapulse.models (symbol, version, algorithm, feature_set, feature_names, task, params, n_rounds,
		train_from, train_to, holdout_from, holdout_to, cv_metrics, metrics, model, model_sha256, coefficients,
		feature_stats, stage, promoted, imported_from)
	VALUES (sym, coalesce((SELECT max(x.version) FROM alphapulse.models x WHERE x.symbol = sym), 0) + 1, algo,
		st.name, st.feature_names, bundle ->> 'task', bundle -> 'params',
		(bundle ->> 'n_rounds')::numeric::integer, w[1], w[2], w[3], w[4],
		nullif(bundle -> 'cv_metrics', 'null'::jsonb), bundle -> 'metrics', bytes, sha256(bytes), coefs,
		bundle -> 'feature_stats', CASE WHEN has_champion THEN 'challenger' ELSE 'champion' END,
		CASE WHEN has_champion THEN NULL ELSE now() END,
		jsonb_build_object('source', bundle -> 'source', 'sha256', bundle -> 'sha256', 'imported_at', clock_timestamp()))
	RETURNING id INTO new_id;
	reason := alphapulse.seal_model(new_id);
	IF reason IS NOT NULL THEN
		RAISE EXCEPTION 'model bundle: the model is malformed' USING ERRCODE = '22023', DETAIL = reason || '.';
	END IF;
	-- the registry's event log, when this database has one
	IF to_regprocedure('alphapulse.log_model_event(text,bigint,text,text,jsonb)') IS NOT NULL THEN
		EXECUTE 'SELECT alphapulse.log_model_event($1, $2, $3, $4, $5)'
		USING sym, new_id, 'imported', 'ap_import_model', bundle -> 'source';
	END IF;
	RETURN new_id;
END
$fn$;
COMMENT ON FUNCTION @extschema@.ap_import_model(jsonb, text) IS
'Registers a model from a bundle of ap_export_model (of this or another server) as a new version of its symbol (or of symbol, an existing asset): a challenger, or the champion when the symbol has none. Checks the format, every field''s type, the windows'' order, the feature count against the names, the sha256 of the model, and the feature set (one of that name must have the same definition; a missing one is created from the bundle''s spec); the model is then validated like every load and sealed under this cluster''s key. Bundles larger than alphapulse.max_import_bytes are refused (54000); a bad bundle is 22023 (55006 for a feature set that differs) and writes nothing. Writers may call it';

REVOKE ALL ON FUNCTION @extschema@.ap_export_model(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ap_import_model(jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.ap_export_model(bigint) TO alphapulse_writer;
GRANT EXECUTE ON FUNCTION @extschema@.ap_import_model(jsonb, text) TO alphapulse_writer;

-- Retention.  The defaults have this one home; ap_prune's options override them.
CREATE FUNCTION alphapulse.prune_defaults()
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT '{"archived_models": "180 days", "unexported_models": false, "runs": "180 days",
		 "feed_runs": "30 days", "signals": "365 days", "llm_log": "30 days",
		 "news": null, "cron_history": "30 days", "drift_reports": "365 days",
		 "retrain_requests": "365 days", "dry_run": false}'::jsonb
$fn$;
COMMENT ON FUNCTION alphapulse.prune_defaults() IS
'Retention defaults of ap_prune: archived_models 180 days (after creation; only exported ones unless unexported_models is true), runs 180 days (failed runs and runs of models no longer registered), feed_runs 30 days (each feed''s last run is kept), signals 365 days (after they were written), llm_log 30 days, news never (null; news features need their history), cron_history 30 days (pg_cron''s job_run_details of this database), drift_reports 365 days (with their drift_features), retrain_requests 365 days (finished ones), dry_run false';

CREATE FUNCTION @extschema@.ap_prune(symbol text DEFAULT NULL, options jsonb DEFAULT '{}'::jsonb)
RETURNS TABLE (relation text, deleted bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	o jsonb;
	bad text;
	cut jsonb := '{}'::jsonb;
	c timestamptz;
	dry boolean;
	n bigint;
	sym text := ap_prune.symbol;
	ages CONSTANT text[] := ARRAY['archived_models', 'runs', 'feed_runs', 'signals', 'llm_log', 'news', 'cron_history',
								  'drift_reports', 'retrain_requests'];
	a text;
	gone bigint[] := '{}';
	n_sig bigint := 0;
	n_eval bigint;
BEGIN
	IF options IS NULL OR jsonb_typeof(options) <> 'object' THEN
		RAISE EXCEPTION 'prune options must be a JSON object' USING ERRCODE = '22023',
			HINT = 'Example: {"signals": "90 days", "archived_models": null}.';
	END IF;
	SELECT k INTO bad FROM jsonb_object_keys(options) k WHERE NOT alphapulse.prune_defaults() ? k;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'unknown prune option "%"', left(bad, 64) USING ERRCODE = '22023',
			HINT = format('Valid options: %s.', (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(alphapulse.prune_defaults()) k));
	END IF;
	o := alphapulse.prune_defaults() || options;
	-- every age: a positive interval, or null for never
	FOREACH a IN ARRAY ages LOOP
		IF jsonb_typeof(o -> a) = 'null' THEN
			CONTINUE;
		END IF;
		BEGIN
			IF jsonb_typeof(o -> a) <> 'string' OR (o ->> a)::interval <= interval '0' THEN
				RAISE EXCEPTION USING ERRCODE = '22007';
			END IF;
			cut := cut || jsonb_build_object(a, now() - (o ->> a)::interval);
		EXCEPTION WHEN data_exception THEN
			RAISE EXCEPTION 'prune option "%" must be a positive interval such as "90 days", or null for never', a
				USING ERRCODE = '22023', DETAIL = format('It was %s.', left((o -> a)::text, 64));
		END;
	END LOOP;
	FOREACH a IN ARRAY ARRAY['unexported_models', 'dry_run'] LOOP
		IF jsonb_typeof(o -> a) IS DISTINCT FROM 'boolean' THEN
			RAISE EXCEPTION 'prune option "%" must be true or false', a USING ERRCODE = '22023';
		END IF;
	END LOOP;
	dry := (o ->> 'dry_run')::boolean;
	IF sym IS NOT NULL AND NOT EXISTS (SELECT FROM alphapulse.assets x WHERE x.symbol = sym) THEN
		RAISE EXCEPTION 'unknown symbol "%"', left(sym, 64) USING ERRCODE = '42704';
	END IF;

	-- archived models: never a champion or challenger, never the champion's
	-- rollback target (the latest archived model that was champion); their
	-- signals go with them and are counted with the signals below
	c := (cut ->> 'archived_models')::timestamptz;
	IF c IS NOT NULL THEN
		PERFORM FROM alphapulse.models x WHERE sym IS NULL OR x.symbol = sym ORDER BY x.id FOR UPDATE;
		gone := ARRAY(
			SELECT x.id FROM alphapulse.models x
			WHERE x.stage = 'archived' AND x.created < c AND (sym IS NULL OR x.symbol = sym)
			  AND ((o ->> 'unexported_models')::boolean OR x.exported_at IS NOT NULL)
			  AND x.id NOT IN (SELECT DISTINCT ON (y.symbol) y.id FROM alphapulse.models y
							   WHERE y.stage = 'archived' AND y.promoted IS NOT NULL AND y.symbol = x.symbol
							   ORDER BY y.symbol, y.promoted DESC, y.id DESC)
			ORDER BY x.id);
		-- an evaluation that pairs a model with a live one (champion or
		-- challenger) is that model's record: both stay; evaluations among
		-- pruned models go with them
		IF pg_catalog.to_regclass('alphapulse.evaluations') IS NOT NULL THEN
			EXECUTE 'SELECT ARRAY(SELECT g FROM pg_catalog.unnest($1) g WHERE NOT EXISTS (
						SELECT FROM alphapulse.evaluations e JOIN alphapulse.models m
						ON m.id = CASE WHEN e.champion_id = g THEN e.challenger_id ELSE e.champion_id END
						WHERE (e.champion_id = g OR e.challenger_id = g) AND m.stage <> ''archived'') ORDER BY g)'
			INTO gone USING gone;
			EXECUTE format('%s FROM alphapulse.evaluations e WHERE e.champion_id = ANY ($1) OR e.challenger_id = ANY ($1) %s',
						   CASE WHEN dry THEN 'SELECT count(*)' ELSE 'WITH d AS (DELETE' END,
						   CASE WHEN dry THEN '' ELSE 'RETURNING 1) SELECT count(*) FROM d' END)
			INTO n_eval USING gone;
		END IF;
		IF dry THEN
			SELECT count(*) INTO n_sig FROM alphapulse.signals g WHERE g.model_id = ANY (gone);
		ELSE
			DELETE FROM alphapulse.signals g WHERE g.model_id = ANY (gone);
			GET DIAGNOSTICS n_sig = ROW_COUNT;
			DELETE FROM alphapulse.models x WHERE x.id = ANY (gone);
		END IF;
		relation := 'alphapulse.models'; deleted := cardinality(gone); RETURN NEXT;
		IF n_eval IS NOT NULL THEN
			relation := 'alphapulse.evaluations'; deleted := n_eval; RETURN NEXT;
		END IF;
	END IF;

	-- runs: failed ones and those of models no longer registered
	c := (cut ->> 'runs')::timestamptz;
	IF c IS NOT NULL THEN
		IF dry THEN
			SELECT count(*) INTO n FROM alphapulse.runs r WHERE r.finished < c AND (sym IS NULL OR r.symbol = sym)
			  AND NOT EXISTS (SELECT FROM alphapulse.models x WHERE (x.id = r.model_id OR x.run_id = r.id) AND x.id <> ALL (gone));
		ELSE
			DELETE FROM alphapulse.runs r WHERE r.finished < c AND (sym IS NULL OR r.symbol = sym)
			  AND NOT EXISTS (SELECT FROM alphapulse.models x WHERE x.id = r.model_id OR x.run_id = r.id);
			GET DIAGNOSTICS n = ROW_COUNT;
		END IF;
		relation := 'alphapulse.runs'; deleted := n; RETURN NEXT;
	END IF;

	-- signals, by when they were written (and those of the pruned models)
	c := (cut ->> 'signals')::timestamptz;
	IF c IS NOT NULL OR n_sig > 0 THEN
		n := 0;
		IF c IS NOT NULL AND dry THEN
			SELECT count(*) INTO n FROM alphapulse.signals g WHERE g.created < c AND (sym IS NULL OR g.symbol = sym)
			  AND g.model_id <> ALL (gone);
		ELSIF c IS NOT NULL THEN
			DELETE FROM alphapulse.signals g WHERE g.created < c AND (sym IS NULL OR g.symbol = sym);
			GET DIAGNOSTICS n = ROW_COUNT;
		END IF;
		relation := 'alphapulse.signals'; deleted := n + n_sig; RETURN NEXT;
	END IF;

	-- feed runs: each feed keeps its last one (feed health reads it)
	c := (cut ->> 'feed_runs')::timestamptz;
	IF c IS NOT NULL THEN
		IF dry THEN
			SELECT count(*) INTO n FROM alphapulse.feed_runs r JOIN alphapulse.feeds f ON f.name = r.feed
			WHERE r.finished < c AND (sym IS NULL OR f.symbol = sym)
			  AND r.id < (SELECT max(l.id) FROM alphapulse.feed_runs l WHERE l.feed = r.feed);
		ELSE
			DELETE FROM alphapulse.feed_runs r USING alphapulse.feeds f
			WHERE f.name = r.feed AND r.finished < c AND (sym IS NULL OR f.symbol = sym)
			  AND r.id < (SELECT max(l.id) FROM alphapulse.feed_runs l WHERE l.feed = r.feed);
			GET DIAGNOSTICS n = ROW_COUNT;
		END IF;
		relation := 'alphapulse.feed_runs'; deleted := n; RETURN NEXT;
	END IF;

	-- drift reports (with their per-feature rows) and finished retrain requests
	c := (cut ->> 'drift_reports')::timestamptz;
	IF c IS NOT NULL AND pg_catalog.to_regclass('alphapulse.drift_reports') IS NOT NULL THEN
		EXECUTE format('%s FROM alphapulse.drift_reports r WHERE r.created < $1 AND ($2 IS NULL OR r.symbol = $2) %s',
					   CASE WHEN dry THEN 'SELECT count(*)' ELSE 'WITH d AS (DELETE' END,
					   CASE WHEN dry THEN '' ELSE 'RETURNING 1) SELECT count(*) FROM d' END)
		INTO n USING c, sym;
		relation := 'alphapulse.drift_reports'; deleted := n; RETURN NEXT;
	END IF;
	c := (cut ->> 'retrain_requests')::timestamptz;
	IF c IS NOT NULL AND pg_catalog.to_regclass('alphapulse.retrain_requests') IS NOT NULL THEN
		EXECUTE format('%s FROM alphapulse.retrain_requests r WHERE r.finished_at < $1 AND ($2 IS NULL OR r.symbol = $2)
						AND r.status IN (''done'', ''failed'', ''skipped'') %s',
					   CASE WHEN dry THEN 'SELECT count(*)' ELSE 'WITH d AS (DELETE' END,
					   CASE WHEN dry THEN '' ELSE 'RETURNING 1) SELECT count(*) FROM d' END)
		INTO n USING c, sym;
		relation := 'alphapulse.retrain_requests'; deleted := n; RETURN NEXT;
	END IF;

	-- not per symbol, so pruned by every call (ap_schedule calls it per
	-- symbol): the LLM log, news (off by default), pg_cron's history
	BEGIN
		c := (cut ->> 'llm_log')::timestamptz;
		IF c IS NOT NULL THEN
			IF dry THEN
				SELECT count(*) INTO n FROM alphapulse.llm_log l WHERE l.finished < c;
			ELSE
				DELETE FROM alphapulse.llm_log l WHERE l.finished < c;
				GET DIAGNOSTICS n = ROW_COUNT;
			END IF;
			relation := 'alphapulse.llm_log'; deleted := n; RETURN NEXT;
		END IF;
		c := (cut ->> 'news')::timestamptz;
		IF c IS NOT NULL THEN
			IF dry THEN
				SELECT count(*) INTO n FROM alphapulse.news x WHERE x.fetched < c;
			ELSE
				DELETE FROM alphapulse.news x WHERE x.fetched < c;
				GET DIAGNOSTICS n = ROW_COUNT;
			END IF;
			relation := 'alphapulse.news'; deleted := n; RETURN NEXT;
		END IF;
		c := (cut ->> 'cron_history')::timestamptz;
		IF c IS NOT NULL AND to_regclass('cron.job_run_details') IS NOT NULL THEN
			IF dry THEN
				EXECUTE 'SELECT count(*) FROM cron.job_run_details d WHERE d.end_time < $1 AND d.database = current_database()'
				INTO n USING c;
			ELSE
				EXECUTE 'WITH d AS (DELETE FROM cron.job_run_details d WHERE d.end_time < $1 AND d.database = current_database() RETURNING 1) SELECT count(*) FROM d'
				INTO n USING c;
			END IF;
			relation := 'cron.job_run_details'; deleted := n; RETURN NEXT;
		END IF;
	END;
END
$fn$;
COMMENT ON FUNCTION @extschema@.ap_prune(text, jsonb) IS
'Retention: deletes, for one symbol or all (symbol NULL), archived models older than archived_models (only exported ones unless unexported_models; never a champion, a challenger, the latest archived former champion, which ap_rollback needs, or a model an evaluation pairs with a live one; their signals and evaluations go with them), failed runs and runs of unregistered models older than runs, signals written before signals, feed runs older than feed_runs (each feed keeps its last), drift reports and finished retrain requests older than theirs; and, in every call (they are not per symbol), llm_log, news and this database''s pg_cron history older than theirs. options override alphapulse.prune_defaults() (ages as intervals such as "90 days", null = never; dry_run counts without deleting). Returns the rows deleted per table. Admins may call it; ap_schedule runs it daily';
REVOKE ALL ON FUNCTION @extschema@.ap_prune(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.ap_prune(text, jsonb) TO alphapulse_admin;
-- END models over time
