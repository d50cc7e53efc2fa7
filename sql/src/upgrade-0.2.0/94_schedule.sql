-- BEGIN schedule 0.2.0
-- The loop runs itself (issue 8): ap_schedule(symbol) installs the pg_cron
-- jobs of a symbol, each calling ap_run_job(symbol, step); ap_run_job locks
-- the step's row of alphapulse.job_locks (a run that finds the previous one
-- still holding it skips and says so), runs the step and logs it in
-- alphapulse.job_log.  pg_cron stays optional: it is looked up when
-- ap_schedule is called, not when the extension is created.

-- The one home of the schedule options and their defaults (README, Schedules).
CREATE FUNCTION alphapulse.schedule_defaults()
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN '{
	"ingest_schedule": "*/15 * * * *",
	"drift_schedule": "7 * * * *",
	"retrain_schedule": "30 2 * * *",
	"requests_schedule": "*/10 * * * *",
	"prune_schedule": "45 3 * * *",
	"retrain_mode": "fast",
	"algorithm": "xgboost",
	"params": {},
	"feature_set": "default",
	"evaluate": true,
	"drift_window": "7 days",
	"drift_options": {},
	"prune_options": {},
	"job_log_days": 30
}'::jsonb;
COMMENT ON FUNCTION alphapulse.schedule_defaults() IS
'Options of ap_schedule and their defaults: <step>_schedule (pg_cron expression in GMT, minute resolution; null leaves the step out) for ingest (the symbol''s feeds, then features and scoring of the new bars), drift (ap_drift), retrain (ap_train then ap_evaluate), requests (pending alphapulse.retrain_requests) and prune (ap_prune and old job_log rows); retrain_mode fast|full, algorithm, params and feature_set for ap_train; evaluate (run ap_evaluate after a retrain); drift_window (ap_drift''s since = now() - drift_window) and drift_options; prune_options (passed to ap_prune); job_log_days (alphapulse.job_log rows kept)';

-- The steps, in the order a day runs them.
CREATE FUNCTION alphapulse.schedule_steps()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY['ingest', 'drift', 'retrain', 'requests', 'prune'];
COMMENT ON FUNCTION alphapulse.schedule_steps() IS 'The job steps ap_schedule installs and ap_run_job runs: ingest, drift, retrain, requests, prune';

-- Advisory key of one symbol's step: a run also takes
-- pg_try_advisory_xact_lock(1095780930, key) (0x41504A42, "APJB") so that
-- pg_locks shows it, with its pid; the row of alphapulse.job_locks decides.
CREATE FUNCTION alphapulse.job_lock_key(symbol text, step text)
RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN pg_catalog.hashtext(symbol || '/' || step);
COMMENT ON FUNCTION alphapulse.job_lock_key(text, text) IS
'Second key of the advisory lock a run of ap_run_job(symbol, step) takes for its transaction, so that pg_locks and alphapulse.jobs show it running (classid 1095780930, "APJB"; objid = this key as unsigned; objsubid 2). It only informs: whether a run may start is decided by the row lock on alphapulse.job_locks, which no role but the extension''s owner can take.';

CREATE TABLE alphapulse.schedules (
	symbol		text PRIMARY KEY REFERENCES alphapulse.assets (symbol),
	options		jsonb NOT NULL CHECK (pg_catalog.jsonb_typeof(options) = 'object'),
	created		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	updated		timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE alphapulse.schedules IS 'Symbols scheduled by ap_schedule with the options given (alphapulse.schedule_options(symbol) lays them over alphapulse.schedule_defaults()); ap_unschedule deletes the row. An asset with a schedule cannot be deleted (unschedule it first).';

CREATE TABLE alphapulse.schedule_jobs (
	symbol		text NOT NULL REFERENCES alphapulse.schedules (symbol) ON DELETE CASCADE,
	step		text NOT NULL CHECK (step = ANY (alphapulse.schedule_steps())),
	jobname		text NOT NULL UNIQUE,
	jobid		bigint NOT NULL,
	schedule	text NOT NULL,
	command		text NOT NULL,
	PRIMARY KEY (symbol, step)
);
COMMENT ON TABLE alphapulse.schedule_jobs IS 'The pg_cron jobs ap_schedule installed (cron.job ids and names alphapulse_<symbol>_<step>); ap_unschedule removes exactly these';

-- The lock that decides: one row per symbol and step, locked FOR UPDATE by a
-- run for its transaction.  No role is granted anything on it, so no session
-- but ap_run_job's can hold it (an advisory lock any role could take).
CREATE TABLE alphapulse.job_locks (
	symbol		text NOT NULL REFERENCES alphapulse.assets (symbol) ON UPDATE CASCADE ON DELETE CASCADE,
	step		text NOT NULL CHECK (step = ANY (alphapulse.schedule_steps())),
	PRIMARY KEY (symbol, step)
);
COMMENT ON TABLE alphapulse.job_locks IS 'One row per symbol and job step, locked by the run of ap_run_job in progress (FOR UPDATE SKIP LOCKED: a second run skips); only the extension''s owner can lock it. ap_schedule creates the rows of its steps.';

CREATE TABLE alphapulse.job_log (
	id			bigserial PRIMARY KEY,
	symbol		text NOT NULL,
	step		text NOT NULL,
	started		timestamptz NOT NULL,
	finished	timestamptz NOT NULL,
	duration_ms	double precision NOT NULL,
	status		text NOT NULL CHECK (status IN ('succeeded', 'failed', 'skipped')),
	sqlstate	text,
	message		text,
	details		jsonb,
	username	text NOT NULL DEFAULT SESSION_USER,
	pid			integer NOT NULL DEFAULT pg_catalog.pg_backend_pid()
);
CREATE INDEX job_log_symbol_step ON alphapulse.job_log (symbol, step, id);
COMMENT ON TABLE alphapulse.job_log IS 'One row per ap_run_job call: succeeded (details say what it did), failed (SQLSTATE and message; the step''s changes are rolled back, the row stays) or skipped (the previous run of the same symbol and step still held its lock)';

-- Current values of the options with the defaults under them.
CREATE FUNCTION alphapulse.schedule_options(symbol text)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN alphapulse.schedule_defaults()
	|| coalesce((SELECT s.options FROM alphapulse.schedules s WHERE s.symbol = schedule_options.symbol), '{}'::jsonb);
COMMENT ON FUNCTION alphapulse.schedule_options(text) IS 'The options ap_run_job uses for a symbol: its alphapulse.schedules row over alphapulse.schedule_defaults() (the defaults alone when it is not scheduled)';

-- Checks options given to ap_schedule; every error is 22023 and names the key.
CREATE FUNCTION alphapulse.schedule_check_options(options jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	defaults CONSTANT jsonb := alphapulse.schedule_defaults();
	max_job_log_days CONSTANT integer := 36500;
	o jsonb;
	k text;
	v jsonb;
	days numeric;
	win interval;
BEGIN
	IF options IS NULL OR jsonb_typeof(options) <> 'object' THEN
		RAISE EXCEPTION 'schedule options must be a JSON object' USING ERRCODE = '22023',
			HINT = 'Example: {"retrain_mode": "full", "drift_schedule": null}.';
	END IF;
	SELECT e.key INTO k FROM jsonb_each(options) e WHERE NOT defaults ? e.key ORDER BY e.key LIMIT 1;
	IF k IS NOT NULL THEN
		RAISE EXCEPTION 'unknown schedule option "%"', left(k, 64) USING ERRCODE = '22023',
			HINT = 'Valid options: ' || (SELECT string_agg(d, ', ' ORDER BY d) FROM jsonb_object_keys(defaults) d) || '.';
	END IF;
	o := defaults || options;
	FOR k, v IN SELECT e.key, e.value FROM jsonb_each(o) e WHERE e.key LIKE '%\_schedule' LOOP
		CONTINUE WHEN jsonb_typeof(v) = 'null';
		IF jsonb_typeof(v) <> 'string'
		   OR NOT (v #>> '{}' ~ '^\s*[0-9A-Za-z*,/-]+(\s+[0-9A-Za-z*,/-]+){4}\s*$'
				   OR v #>> '{}' ~ '^@(yearly|annually|monthly|weekly|daily|hourly)$') THEN
			RAISE EXCEPTION 'invalid schedule for option "%"', k USING ERRCODE = '22023',
				DETAIL = pg_catalog.format('It was %s.', left(v::text, 64)),
				HINT = 'A pg_cron expression of five fields in GMT, minute resolution (e.g. "*/15 * * * *"), or null to leave the step out.';
		END IF;
	END LOOP;
	IF jsonb_typeof(o -> 'retrain_mode') IS DISTINCT FROM 'string' OR o ->> 'retrain_mode' NOT IN ('fast', 'full') THEN
		RAISE EXCEPTION 'retrain_mode must be "fast" or "full"' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('It was %s.', left((o -> 'retrain_mode')::text, 64));
	END IF;
	IF jsonb_typeof(o -> 'algorithm') IS DISTINCT FROM 'string' THEN
		RAISE EXCEPTION 'algorithm must be a string' USING ERRCODE = '22023',
			HINT = 'An algorithm of ap_train, e.g. "xgboost".';
	END IF;
	IF jsonb_typeof(o -> 'feature_set') IS DISTINCT FROM 'string'
	   OR NOT EXISTS (SELECT FROM alphapulse.feature_sets s WHERE s.name = o ->> 'feature_set') THEN
		RAISE EXCEPTION 'feature_set must name an existing feature set' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('It was %s.', left((o -> 'feature_set')::text, 64));
	END IF;
	FOREACH k IN ARRAY ARRAY['params', 'drift_options', 'prune_options'] LOOP
		IF jsonb_typeof(o -> k) IS DISTINCT FROM 'object' THEN
			RAISE EXCEPTION 'option "%" must be a JSON object', k USING ERRCODE = '22023';
		END IF;
	END LOOP;
	IF jsonb_typeof(o -> 'evaluate') IS DISTINCT FROM 'boolean' THEN
		RAISE EXCEPTION 'option "evaluate" must be true or false' USING ERRCODE = '22023';
	END IF;
	BEGIN
		win := (o ->> 'drift_window')::interval;
	EXCEPTION WHEN data_exception OR syntax_error THEN
		win := NULL;
	END;
	IF jsonb_typeof(o -> 'drift_window') IS DISTINCT FROM 'string' OR win IS NULL OR win <= interval '0' THEN
		RAISE EXCEPTION 'drift_window must be a positive interval such as "7 days"' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('It was %s.', left((o -> 'drift_window')::text, 64));
	END IF;
	IF jsonb_typeof(o -> 'job_log_days') = 'number' THEN
		days := (o -> 'job_log_days')::numeric;
	END IF;
	IF days IS NULL OR days <> trunc(days) OR days < 1 OR days > max_job_log_days THEN
		RAISE EXCEPTION 'job_log_days must be an integer between 1 and %', max_job_log_days USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('It was %s.', left((o -> 'job_log_days')::text, 64));
	END IF;
	RETURN o;
END
$fn$;
COMMENT ON FUNCTION alphapulse.schedule_check_options(jsonb) IS 'Checks ap_schedule options (keys of alphapulse.schedule_defaults(), types, cron expressions, ranges) and returns them over the defaults; 22023 naming the option otherwise';

-- The step bodies.  Each returns what it did as jsonb; an "error" key marks
-- the run failed while keeping what the step committed (a feed that failed).

-- Ingest: every price feed of the symbol, synchronously (a job is no user's
-- transaction), then features and scoring of the bars after the last scored one.
CREATE FUNCTION alphapulse.job_ingest(symbol text, options jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	f record;
	r record;
	feeds jsonb := '[]'::jsonb;
	landed bigint := 0;
	errors text[] := '{}';
	champion bigint;
	since timestamptz;
	scored bigint;
	built bigint;
BEGIN
	FOR f IN SELECT fe.name FROM alphapulse.feeds fe WHERE fe.symbol = job_ingest.symbol AND fe.kind = 'price' ORDER BY fe.name LOOP
		SELECT * INTO r FROM @extschema@.ap_ingest_now(f.name);
		feeds := feeds || jsonb_build_object('feed', f.name, 'requests', r.requests, 'rows_landed', r.rows_landed,
											 'ok', r.ok, 'message', r.message);
		landed := landed + coalesce(r.rows_landed, 0);
		IF NOT r.ok THEN
			errors := errors || pg_catalog.format('feed %s: %s', f.name, r.message);
		END IF;
	END LOOP;
	SELECT c.model_id INTO champion FROM alphapulse.champions c WHERE c.symbol = job_ingest.symbol;
	IF champion IS NULL THEN
		built := @extschema@.ap_build_features(symbol, options ->> 'feature_set');
	ELSE
		-- the last scored bar again (its features may have gained a target), then every newer one
		SELECT max(s.ts) INTO since FROM alphapulse.signals s WHERE s.symbol = job_ingest.symbol AND s.model_id = champion;
		scored := @extschema@.ap_score(symbol, coalesce(since, '-infinity'));
	END IF;
	RETURN jsonb_strip_nulls(jsonb_build_object('feeds', feeds, 'rows_landed', landed, 'champion', champion,
					'scored_since', since, 'scored', scored, 'features_built', built,
					'error', CASE WHEN cardinality(errors) > 0 THEN array_to_string(errors, '; ') END));
END
$fn$;
COMMENT ON FUNCTION alphapulse.job_ingest(text, jsonb) IS 'Step ingest of ap_run_job: ap_ingest_now of each price feed of the symbol, then ap_score from the champion''s last signal (features are built incrementally on the way), or ap_build_features when the symbol has no champion yet';

-- Drift: one report over the last drift_window.
CREATE FUNCTION alphapulse.job_drift(symbol text, options jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	since timestamptz := pg_catalog.now() - (options ->> 'drift_window')::interval;
	report bigint;
	d jsonb;
BEGIN
	report := @extschema@.ap_drift(symbol, since, options -> 'drift_options');
	SELECT jsonb_build_object('share_drifted', r.share_drifted, 'drifted', r.drifted,
							  'current_rows', r.current_rows, 'reference_rows', r.reference_rows)
	INTO d FROM alphapulse.drift_reports r WHERE r.id = report;
	RETURN jsonb_build_object('report_id', report, 'since', since) || coalesce(d, '{}'::jsonb);
END
$fn$;
COMMENT ON FUNCTION alphapulse.job_drift(text, jsonb) IS 'Step drift of ap_run_job: ap_drift(symbol, now() - drift_window, drift_options); a drifted report queues a retraining when the symbol''s drift policy says so';

-- Retrain then evaluate: shared by the nightly retrain and the request queue.
CREATE FUNCTION alphapulse.job_retrain_evaluate(symbol text, options jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	model bigint;
	champion bigint;
	before bigint;
	evaluation bigint;
	result jsonb;
BEGIN
	model := @extschema@.ap_train(symbol, options ->> 'retrain_mode', options ->> 'algorithm',
								  options -> 'params', options ->> 'feature_set');
	SELECT c.model_id INTO champion FROM alphapulse.champions c WHERE c.symbol = job_retrain_evaluate.symbol;
	IF NOT (options -> 'evaluate')::boolean OR champion = model THEN
		-- nothing to compare: the first model of a symbol becomes its champion
		RETURN jsonb_build_object('model_id', model, 'champion', champion, 'evaluated', false);
	END IF;
	IF pg_catalog.to_regproc('@extschema@.ap_evaluate') IS NULL THEN
		-- a build without the evaluation part: the new model stays a challenger
		RETURN jsonb_build_object('model_id', model, 'champion', champion, 'evaluated', false,
								  'note', 'ap_evaluate is not installed');
	END IF;
	SELECT max(e.id) INTO before FROM alphapulse.evaluations e;
	SELECT jsonb_agg(to_jsonb(e)) INTO result FROM @extschema@.ap_evaluate(symbol, model) e;
	SELECT max(e.id) INTO evaluation FROM alphapulse.evaluations e
	WHERE e.id > coalesce(before, 0) AND e.symbol = job_retrain_evaluate.symbol;
	SELECT c.model_id INTO champion FROM alphapulse.champions c WHERE c.symbol = job_retrain_evaluate.symbol;
	RETURN jsonb_build_object('model_id', model, 'evaluated', true, 'evaluation_id', evaluation,
							  'champion', champion, 'promoted', champion = model, 'evaluation', result);
END
$fn$;
COMMENT ON FUNCTION alphapulse.job_retrain_evaluate(text, jsonb) IS 'ap_train(symbol, retrain_mode, algorithm, params, feature_set) and, when evaluate is on and the new model is not already the champion, ap_evaluate(symbol, the new model): the policy promotes it or says why not';

-- Pending retraining requests of the symbol: one retrain serves them all.
CREATE FUNCTION alphapulse.job_requests(symbol text, options jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	ids bigint[];
	result jsonb;
	msg text;
	state text;
BEGIN
	SELECT array_agg(q.id ORDER BY q.id) INTO ids FROM (
		SELECT r.id FROM alphapulse.retrain_requests r
		WHERE r.symbol = job_requests.symbol AND r.status = 'pending'
		ORDER BY r.id FOR UPDATE SKIP LOCKED) q;
	IF ids IS NULL THEN
		RETURN jsonb_build_object('requests', '[]'::jsonb);
	END IF;
	UPDATE alphapulse.retrain_requests r SET status = 'running' WHERE r.id = ANY (ids);
	BEGIN
		result := alphapulse.job_retrain_evaluate(symbol, options);
		UPDATE alphapulse.retrain_requests r
		SET status = 'done', model_id = (result ->> 'model_id')::bigint,
			evaluation_id = (result ->> 'evaluation_id')::bigint, finished_at = pg_catalog.clock_timestamp(),
			message = CASE WHEN (result -> 'promoted')::boolean THEN 'retrained; the new model was promoted'
						   WHEN (result -> 'evaluated')::boolean THEN 'retrained; the evaluation kept the champion'
						   ELSE 'retrained' END
		WHERE r.id = ANY (ids);
		RETURN jsonb_build_object('requests', to_jsonb(ids)) || result;
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, state = RETURNED_SQLSTATE;
		UPDATE alphapulse.retrain_requests r
		SET status = 'failed', finished_at = pg_catalog.clock_timestamp(), message = state || ': ' || msg
		WHERE r.id = ANY (ids);
		RETURN jsonb_build_object('requests', to_jsonb(ids), 'error', state || ': ' || msg);
	END;
END
$fn$;
COMMENT ON FUNCTION alphapulse.job_requests(text, jsonb) IS 'Step requests of ap_run_job: takes the symbol''s pending alphapulse.retrain_requests (FOR UPDATE SKIP LOCKED), retrains and evaluates once for all of them, and marks them done (model_id, evaluation_id) or failed (message)';

-- Retention: ap_prune for the symbol, and this table's own old rows.
CREATE FUNCTION alphapulse.job_prune(symbol text, options jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	pruned jsonb;
	logs bigint;
BEGIN
	SELECT jsonb_agg(to_jsonb(p)) INTO pruned FROM @extschema@.ap_prune(symbol, options -> 'prune_options') p;
	DELETE FROM alphapulse.job_log l
	WHERE l.symbol = job_prune.symbol
	  AND l.finished < pg_catalog.now() - pg_catalog.make_interval(days => (options ->> 'job_log_days')::integer);
	GET DIAGNOSTICS logs = ROW_COUNT;
	RETURN jsonb_build_object('ap_prune', pruned, 'job_log_deleted', logs);
END
$fn$;
COMMENT ON FUNCTION alphapulse.job_prune(text, jsonb) IS 'Step prune of ap_run_job: ap_prune(symbol, prune_options) (feed_runs, runs, cron.job_run_details and the rest of its retention policy) and the symbol''s alphapulse.job_log rows older than job_log_days';

-- SECURITY DEFINER: a step runs as the cron jobs do (as the extension
-- owner), whoever starts it by hand, and writes alphapulse.job_log.
CREATE FUNCTION ap_run_job(symbol text, step text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	lock_class CONSTANT integer := 1095780930;	-- "APJB", see alphapulse.job_lock_key
	key integer;
	opts jsonb;
	started timestamptz := pg_catalog.clock_timestamp();
	details jsonb;
	status text := 'succeeded';
	state text;
	msg text;
	holder integer;
BEGIN
	IF symbol IS NULL OR step IS NULL THEN
		RAISE EXCEPTION 'symbol and step must not be null' USING ERRCODE = '22004';
	END IF;
	IF NOT step = ANY (alphapulse.schedule_steps()) THEN
		RAISE EXCEPTION 'unknown job step "%"', left(step, 64) USING ERRCODE = '22023',
			HINT = 'Valid steps: ' || array_to_string(alphapulse.schedule_steps(), ', ') || '.';
	END IF;
	IF NOT EXISTS (SELECT FROM alphapulse.assets a WHERE a.symbol = ap_run_job.symbol) THEN
		RAISE EXCEPTION 'symbol "%" does not exist', left(symbol, 64) USING ERRCODE = '42704',
			HINT = 'Add it to alphapulse.assets.';
	END IF;
	key := alphapulse.job_lock_key(symbol, step);
	-- a scheduled step's row exists already (ap_schedule): the insert never waits for it
	INSERT INTO alphapulse.job_locks AS j (symbol, step) VALUES (symbol, step) ON CONFLICT DO NOTHING;
	PERFORM pg_catalog.pg_try_advisory_xact_lock(lock_class, key);
	PERFORM FROM alphapulse.job_locks j WHERE j.symbol = ap_run_job.symbol AND j.step = ap_run_job.step
	FOR UPDATE SKIP LOCKED;
	IF NOT FOUND THEN
		SELECT l.pid INTO holder FROM pg_catalog.pg_locks l
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
		  AND l.classid = lock_class::oid AND l.objid = ((key::bigint + 4294967296) % 4294967296)::oid
		LIMIT 1;
		INSERT INTO alphapulse.job_log (symbol, step, started, finished, duration_ms, status, message, details)
		VALUES (symbol, step, started, pg_catalog.clock_timestamp(),
				1000 * extract(epoch FROM pg_catalog.clock_timestamp() - started), 'skipped',
				'the previous run is still running' || coalesce(pg_catalog.format(' (pid %s)', holder), ''),
				jsonb_build_object('running_pid', holder));
		RETURN 'skipped';
	END IF;
	opts := alphapulse.schedule_options(symbol);
	BEGIN
		details := CASE step
			WHEN 'ingest' THEN alphapulse.job_ingest(symbol, opts)
			WHEN 'drift' THEN alphapulse.job_drift(symbol, opts)
			WHEN 'retrain' THEN alphapulse.job_retrain_evaluate(symbol, opts)
			WHEN 'requests' THEN alphapulse.job_requests(symbol, opts)
			WHEN 'prune' THEN alphapulse.job_prune(symbol, opts)
		END;
		IF details ? 'error' THEN
			status := 'failed';
			msg := details ->> 'error';
		END IF;
	EXCEPTION WHEN OTHERS THEN
		-- the step's changes are rolled back; the failure is kept as a row
		GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
		status := 'failed';
	END;
	INSERT INTO alphapulse.job_log (symbol, step, started, finished, duration_ms, status, sqlstate, message, details)
	VALUES (symbol, step, started, pg_catalog.clock_timestamp(),
			1000 * extract(epoch FROM pg_catalog.clock_timestamp() - started), status, state, msg, details);
	RETURN status;
END
$fn$;
COMMENT ON FUNCTION ap_run_job(text, text) IS
'Runs one step of a symbol''s loop (ingest, drift, retrain, requests, prune; see alphapulse.schedule_defaults()) with the symbol''s schedule options, under a lock per symbol and step held for its transaction (its row of alphapulse.job_locks): when the previous run still holds it, logs "skipped" and returns at once. Every run is a row in alphapulse.job_log; a failing step is rolled back and logged as failed (not raised, so the log row stays). Returns succeeded, failed or skipped. The pg_cron jobs of ap_schedule call it; it runs as the extension owner, as they do.';

CREATE FUNCTION ap_schedule(symbol text, options jsonb DEFAULT '{}')
RETURNS TABLE (step text, jobname text, jobid bigint, schedule text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	opts jsonb;
	s text;
	name text;
	cmd text;
	cron_expr text;
	id bigint;
	msg text;
BEGIN
	IF symbol IS NULL THEN
		RAISE EXCEPTION 'symbol must not be null' USING ERRCODE = '22004';
	END IF;
	IF NOT EXISTS (SELECT FROM alphapulse.assets a WHERE a.symbol = ap_schedule.symbol) THEN
		RAISE EXCEPTION 'symbol "%" does not exist', left(symbol, 64) USING ERRCODE = '42704',
			HINT = 'Add it to alphapulse.assets.';
	END IF;
	opts := alphapulse.schedule_check_options(options);
	IF pg_catalog.to_regprocedure('cron.schedule(text,text,text)') IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
			MESSAGE = 'pg_cron is not installed in this database',
			HINT = 'CREATE EXTENSION pg_cron in the database named by cron.database_name.';
	END IF;
	-- the upsert locks the symbol's row: one ap_schedule of a symbol at a time, so the jobs and the table agree
	INSERT INTO alphapulse.schedules AS t (symbol, options) VALUES (symbol, options)
	ON CONFLICT ON CONSTRAINT schedules_pkey DO UPDATE SET options = excluded.options, updated = pg_catalog.now();
	INSERT INTO alphapulse.job_locks AS l (symbol, step)
	SELECT ap_schedule.symbol, u.s FROM unnest(alphapulse.schedule_steps()) AS u(s)
	ON CONFLICT DO NOTHING;
	FOREACH s IN ARRAY alphapulse.schedule_steps() LOOP
		-- the symbol is a checked identifier (assets_symbol_format), quoted as a literal anyway
		name := 'alphapulse_' || symbol || '_' || s;
		cron_expr := opts ->> (s || '_schedule');
		IF cron_expr IS NULL THEN
			IF EXISTS (SELECT FROM alphapulse.schedule_jobs j WHERE j.jobname = name) THEN
				PERFORM cron.unschedule(name);
				DELETE FROM alphapulse.schedule_jobs j WHERE j.jobname = name;
			END IF;
			CONTINUE;
		END IF;
		cmd := pg_catalog.format('SELECT %I.ap_run_job(%L, %L)', '@extschema@', symbol, s);
		BEGIN
			id := cron.schedule(name, cron_expr, cmd);
		EXCEPTION WHEN internal_error OR invalid_parameter_value THEN
			GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
			RAISE EXCEPTION 'invalid schedule for option "%"', s || '_schedule' USING ERRCODE = '22023',
				DETAIL = pg_catalog.format('pg_cron: %s', msg);
		END;
		INSERT INTO alphapulse.schedule_jobs AS j (symbol, step, jobname, jobid, schedule, command)
		VALUES (symbol, s, name, id, cron_expr, cmd)
		ON CONFLICT ON CONSTRAINT schedule_jobs_pkey DO UPDATE
		SET jobid = excluded.jobid, schedule = excluded.schedule, command = excluded.command;
		step := s; jobname := name; jobid := id; schedule := cron_expr;
		RETURN NEXT;
	END LOOP;
END
$fn$;
COMMENT ON FUNCTION ap_schedule(text, jsonb) IS
'Installs (idempotently: again with the same options changes nothing, with other options updates the jobs in place) the pg_cron jobs alphapulse_<symbol>_<step> that run the symbol''s loop through ap_run_job: ingest, drift, retrain, requests, prune, with the schedules and options of alphapulse.schedule_defaults() overlaid by options; a step whose schedule is null is left out (and removed if it was installed). Returns the installed jobs. Jobs run as the extension owner in the database named by cron.database_name.';

CREATE FUNCTION ap_unschedule(symbol text)
RETURNS integer
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	j record;
	n integer := 0;
BEGIN
	-- locks the symbol's row against a concurrent ap_schedule
	PERFORM FROM alphapulse.schedules s WHERE s.symbol = ap_unschedule.symbol FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'symbol "%" is not scheduled', left(symbol, 64) USING ERRCODE = '42704';
	END IF;
	-- without pg_cron (dropped since) the jobs went with it: only the rows remain
	IF pg_catalog.to_regclass('cron.job') IS NOT NULL THEN
		FOR j IN SELECT sj.jobname FROM alphapulse.schedule_jobs sj WHERE sj.symbol = ap_unschedule.symbol ORDER BY sj.step LOOP
			-- a job already removed with cron.unschedule by hand is not an error
			IF EXISTS (SELECT FROM cron.job c WHERE c.jobname = j.jobname AND c.username = CURRENT_USER) THEN
				PERFORM cron.unschedule(j.jobname);
				n := n + 1;
			END IF;
		END LOOP;
	END IF;
	DELETE FROM alphapulse.schedules s WHERE s.symbol = ap_unschedule.symbol;
	RETURN n;
END
$fn$;
COMMENT ON FUNCTION ap_unschedule(text) IS 'Removes the pg_cron jobs ap_schedule installed for the symbol (and only those) and its alphapulse.schedules row; alphapulse.job_log keeps the history. Returns the number of jobs removed.';

CREATE VIEW alphapulse.jobs AS
SELECT j.symbol, j.step, j.jobname, j.jobid, j.schedule, j.command,
	   EXISTS (SELECT FROM pg_catalog.pg_locks k
			   WHERE k.locktype = 'advisory' AND k.granted AND k.objsubid = 2
				 AND k.classid = 1095780930::oid
				 AND k.objid = ((alphapulse.job_lock_key(j.symbol, j.step)::bigint + 4294967296) % 4294967296)::oid) AS running,
	   l.started AS last_started, l.finished AS last_finished, l.status AS last_status,
	   l.duration_ms AS last_duration_ms, l.message AS last_message,
	   (SELECT max(o.finished) FROM alphapulse.job_log o
		WHERE o.symbol = j.symbol AND o.step = j.step AND o.status = 'succeeded') AS last_success,
	   (SELECT count(*) FROM alphapulse.job_log o WHERE o.symbol = j.symbol AND o.step = j.step) AS runs
FROM alphapulse.schedule_jobs j
LEFT JOIN LATERAL (SELECT * FROM alphapulse.job_log o WHERE o.symbol = j.symbol AND o.step = j.step
				   ORDER BY o.id DESC LIMIT 1) l ON true;
COMMENT ON VIEW alphapulse.jobs IS 'Each scheduled job of each symbol: its pg_cron job and schedule, whether a run is in progress (its advisory lock in pg_locks), and its last run from alphapulse.job_log (start, end, succeeded/failed/skipped, duration, message), last success and number of runs';

GRANT SELECT ON alphapulse.schedules, alphapulse.schedule_jobs, alphapulse.job_log, alphapulse.jobs TO alphapulse_reader;
GRANT DELETE ON alphapulse.job_log TO alphapulse_admin;
REVOKE ALL ON FUNCTION ap_schedule(text, jsonb), ap_unschedule(text), ap_run_job(text, text),
	alphapulse.schedule_check_options(jsonb), alphapulse.schedule_options(text),
	alphapulse.job_ingest(text, jsonb), alphapulse.job_drift(text, jsonb),
	alphapulse.job_retrain_evaluate(text, jsonb), alphapulse.job_requests(text, jsonb),
	alphapulse.job_prune(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ap_schedule(text, jsonb), ap_unschedule(text), ap_run_job(text, text) TO alphapulse_admin;
GRANT EXECUTE ON FUNCTION alphapulse.schedule_options(text) TO alphapulse_reader;
SELECT pg_catalog.pg_extension_config_dump('alphapulse.schedules', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.schedule_jobs', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.job_log', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.job_log_id_seq', '');
-- END schedule
