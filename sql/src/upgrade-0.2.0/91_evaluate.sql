-- evaluate (issue 8): champion/challenger evaluation on one out-of-time
-- window, the promotion policy, the model event log, promotions and
-- rollbacks ordered by commit, and the champion's signals.

-- Every stage change of a model.  Written only through
-- alphapulse.log_model_event (C, as the registry's owner); by_user is the
-- role that asked (the session's current role, not a SECURITY DEFINER's).
CREATE TABLE alphapulse.model_events (
	id			bigserial PRIMARY KEY,
	symbol		text NOT NULL,
	model_id	bigint,
	event		text NOT NULL CHECK (event IN ('registered', 'promoted', 'archived', 'rolled_back', 'refused', 'imported')),
	at			timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	by_user		text NOT NULL,
	reason		text,
	details		jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX model_events_symbol_idx ON alphapulse.model_events (symbol, id);
COMMENT ON TABLE alphapulse.model_events IS 'Every stage change of a model: registered (ap_train), promoted, archived, rolled_back, refused (ap_evaluate), imported; at = clock time of the change (made under the symbol''s lock, so ids and times follow commit order), by_user = the role that asked, reason, and the numbers that decided it in details';
SELECT pg_catalog.pg_extension_config_dump('alphapulse.model_events', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.model_events_id_seq', '');

CREATE FUNCTION alphapulse.log_model_event(symbol text, model_id bigint, event text, reason text, details jsonb)
RETURNS bigint
AS 'MODULE_PATHNAME', 'ap_log_model_event'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION alphapulse.log_model_event(text, bigint, text, text, jsonb) IS
'Appends a row to alphapulse.model_events as the registry''s owner, with by_user = the calling session''s current role (outside any SECURITY DEFINER); for the extension''s own functions only. Returns the event id';
REVOKE ALL ON FUNCTION alphapulse.log_model_event(text, bigint, text, text, jsonb) FROM PUBLIC;

-- Promotion policy per symbol; a symbol without a row uses the defaults of
-- the columns (documented in the README: the task's loss, any improvement
-- whose 95% interval is above 0, at least 100 rows, automatic).
CREATE TABLE alphapulse.promotion_policies (
	symbol			text PRIMARY KEY
					REFERENCES alphapulse.assets (symbol) ON UPDATE CASCADE ON DELETE CASCADE,
	metric			text CHECK (metric IN ('auc', 'logloss', 'brier', 'accuracy', 'f1', 'rmse', 'mae', 'r2',
										   'directional_accuracy', 'sharpe', 'strategy_return')),
	min_improvement	double precision NOT NULL DEFAULT 0,
	min_rows		integer NOT NULL DEFAULT 100,
	confidence		double precision NOT NULL DEFAULT 0.95,
	mode			text NOT NULL DEFAULT 'automatic' CHECK (mode IN ('automatic', 'manual')),
	block_length	integer,
	resamples		integer NOT NULL DEFAULT 1000,
	seed			bigint NOT NULL DEFAULT 42,
	fee				double precision NOT NULL DEFAULT 0.001
);
COMMENT ON TABLE alphapulse.promotion_policies IS 'How ap_evaluate decides, per symbol: metric (NULL: logloss for classification, rmse for regression), min_improvement (in the metric''s units, better direction), min_rows of the window, confidence of the paired block-bootstrap interval whose lower end must exceed min_improvement, mode automatic (promote) or manual (record only), block_length (NULL: ceil(rows^(1/3))), resamples, seed, fee for sharpe/strategy_return. A symbol without a row uses the column defaults';
SELECT pg_catalog.pg_extension_config_dump('alphapulse.promotion_policies', '');

-- The limits of an evaluation, whose one home is ml_evaluate.c.
CREATE FUNCTION alphapulse.evaluation_limits(OUT min_rows integer, OUT min_resamples integer,
											 OUT max_resamples integer)
AS 'MODULE_PATHNAME', 'ap_evaluation_limits'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION alphapulse.evaluation_limits() IS
'ap_evaluate''s limits: the fewest rows of an evaluation window (30) and the range of bootstrap resamples (100 to 100000); the promotion policy trigger checks against them';
-- the trigger runs as whoever writes a policy: writers
REVOKE ALL ON FUNCTION alphapulse.evaluation_limits() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION alphapulse.evaluation_limits() TO alphapulse_writer;

-- A policy that could never pass, or whose numbers contradict each other, is
-- refused when written (22023) rather than when ap_evaluate runs.
CREATE FUNCTION alphapulse.promotion_policies_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	lim record;
BEGIN
	SELECT * INTO lim FROM alphapulse.evaluation_limits();
	IF NEW.metric IS NOT NULL AND NEW.metric NOT IN ('auc', 'logloss', 'brier', 'accuracy', 'f1', 'rmse', 'mae', 'r2',
													 'directional_accuracy', 'sharpe', 'strategy_return') THEN
		RAISE EXCEPTION 'unknown metric "%"', NEW.metric USING ERRCODE = '22023',
			HINT = 'Metrics: auc, logloss, brier, accuracy, f1 (classification), rmse, mae, r2, directional_accuracy (regression), sharpe, strategy_return (either), or NULL for the task''s loss.';
	END IF;
	IF NEW.mode IS DISTINCT FROM 'automatic' AND NEW.mode IS DISTINCT FROM 'manual' THEN
		RAISE EXCEPTION 'mode must be automatic or manual' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('It was %s.', NEW.mode);
	END IF;
	IF NOT (NEW.confidence > 0 AND NEW.confidence < 1) THEN
		RAISE EXCEPTION 'confidence must be between 0 and 1 (exclusive)' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('It was %s.', NEW.confidence);
	END IF;
	IF NEW.min_improvement < 0 OR NEW.min_improvement = 'Infinity' OR NEW.min_improvement = 'NaN' THEN
		RAISE EXCEPTION 'min_improvement must be a finite number of at least 0' USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('It was %s.', NEW.min_improvement),
			HINT = 'It is the least improvement, in the metric''s better direction, that promotes.';
	END IF;
	IF NEW.metric IN ('auc', 'brier', 'accuracy', 'f1', 'directional_accuracy') AND NEW.min_improvement >= 1 THEN
		RAISE EXCEPTION 'a policy on % with min_improvement % can never promote', NEW.metric, NEW.min_improvement
			USING ERRCODE = '22023', DETAIL = pg_catalog.format('%s lies between 0 and 1, so no difference reaches 1.', NEW.metric);
	END IF;
	IF NEW.min_rows < lim.min_rows THEN
		RAISE EXCEPTION 'min_rows must be at least %', lim.min_rows USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('It was %s.', NEW.min_rows);
	END IF;
	IF NEW.resamples < lim.min_resamples OR NEW.resamples > lim.max_resamples THEN
		RAISE EXCEPTION 'resamples must be between % and %', lim.min_resamples, lim.max_resamples USING ERRCODE = '22023',
			DETAIL = pg_catalog.format('It was %s.', NEW.resamples);
	END IF;
	IF NEW.block_length IS NOT NULL AND (NEW.block_length < 1 OR NEW.block_length > NEW.min_rows / 2) THEN
		RAISE EXCEPTION 'block_length % contradicts min_rows %', NEW.block_length, NEW.min_rows USING ERRCODE = '22023',
			DETAIL = 'A window of min_rows rows must hold at least two blocks.',
			HINT = 'Lower block_length, raise min_rows, or leave block_length NULL (ceil(rows^(1/3))).';
	END IF;
	IF NOT (NEW.fee >= 0 AND NEW.fee <= 0.1) THEN
		RAISE EXCEPTION 'fee must be between 0 and 0.1' USING ERRCODE = '22023', DETAIL = pg_catalog.format('It was %s.', NEW.fee);
	END IF;
	IF NEW.seed < 0 THEN
		RAISE EXCEPTION 'seed must be at least 0' USING ERRCODE = '22023';
	END IF;
	RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION alphapulse.promotion_policies_check() IS
'Trigger on alphapulse.promotion_policies: a known metric, confidence in (0, 1), min_improvement finite and >= 0 (< 1 for metrics bounded by 1), min_rows >= 30, resamples 100..100000, block_length at most min_rows / 2, fee 0..0.1 (22023)';
REVOKE ALL ON FUNCTION alphapulse.promotion_policies_check() FROM PUBLIC;
CREATE TRIGGER promotion_policies_check
BEFORE INSERT OR UPDATE ON alphapulse.promotion_policies
FOR EACH ROW EXECUTE FUNCTION alphapulse.promotion_policies_check();

-- The policy in effect for a symbol: its row, or the columns' defaults (the
-- one place the default policy is written down).
CREATE FUNCTION alphapulse.promotion_policy(symbol text)
RETURNS alphapulse.promotion_policies
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	p alphapulse.promotion_policies;
	cols text;
BEGIN
	SELECT * INTO p FROM alphapulse.promotion_policies x WHERE x.symbol = promotion_policy.symbol;
	IF FOUND THEN
		RETURN p;
	END IF;
	SELECT pg_catalog.string_agg(pg_catalog.format('%s AS %I', pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attname), ', ')
	INTO cols
	FROM pg_catalog.pg_attrdef d
	JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
	WHERE d.adrelid = 'alphapulse.promotion_policies'::pg_catalog.regclass;
	EXECUTE pg_catalog.format('SELECT * FROM pg_catalog.jsonb_populate_record(NULL::alphapulse.promotion_policies, '
							  '(SELECT pg_catalog.to_jsonb(x) FROM (SELECT %s) x))', cols) INTO p;
	p.symbol := promotion_policy.symbol;
	RETURN p;
END
$fn$;
COMMENT ON FUNCTION alphapulse.promotion_policy(text) IS
'The promotion policy ap_evaluate applies to a symbol: its row of alphapulse.promotion_policies, or the table''s column defaults when it has none';
REVOKE ALL ON FUNCTION alphapulse.promotion_policy(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION alphapulse.promotion_policy(text) TO alphapulse_reader;

-- One row per challenger evaluated against the champion.
CREATE TABLE alphapulse.evaluations (
	id					bigserial PRIMARY KEY,
	symbol				text NOT NULL
						REFERENCES alphapulse.assets (symbol) ON UPDATE CASCADE ON DELETE CASCADE,
	champion_id			bigint NOT NULL REFERENCES alphapulse.models (id) ON DELETE CASCADE,
	challenger_id		bigint NOT NULL REFERENCES alphapulse.models (id) ON DELETE CASCADE,
	window_from			timestamptz NOT NULL,
	window_to			timestamptz NOT NULL,
	rows				integer NOT NULL,
	metric				text NOT NULL,
	higher_is_better	boolean NOT NULL,
	champion_metrics	jsonb NOT NULL,
	challenger_metrics	jsonb NOT NULL,
	difference			double precision,
	ci_low				double precision,
	ci_high				double precision,
	confidence			double precision NOT NULL,
	block_length		integer NOT NULL,
	resamples			integer NOT NULL,
	seed				bigint NOT NULL,
	policy				jsonb NOT NULL,
	verdict				text NOT NULL CHECK (verdict IN ('promoted', 'passed', 'refused')),
	reason				text NOT NULL,
	by_user				text NOT NULL,
	evaluated_at		timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
);
CREATE INDEX evaluations_symbol_idx ON alphapulse.evaluations (symbol, id);
COMMENT ON TABLE alphapulse.evaluations IS 'ap_evaluate''s results: champion and challenger, the out-of-time window and its rows, the metrics of each (as models.metrics), difference = challenger - champion of the policy metric with the paired block-bootstrap percentile interval [ci_low, ci_high] at confidence, block length, resamples and seed, the policy applied, verdict promoted / passed (manual policy, or a better challenger won) / refused, and why';
SELECT pg_catalog.pg_extension_config_dump('alphapulse.evaluations', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.evaluations_id_seq', '');

CREATE FUNCTION ap_evaluate(symbol text, challenger bigint DEFAULT NULL,
							window_from timestamptz DEFAULT NULL, window_to timestamptz DEFAULT NULL)
RETURNS SETOF alphapulse.evaluations
AS 'MODULE_PATHNAME', 'ap_evaluate'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ap_evaluate(text, bigint, timestamptz, timestamptz) IS
'Scores the champion and a challenger (default: every challenger newer than the champion) on the same out-of-time window, by default the bars after the later of their training windows (the newer model''s holdout and every bar since); the window may not reach into either model''s training or selection rows. Metrics as models.metrics; the difference of the policy metric with a seeded paired circular block-bootstrap percentile interval. Promotes (automatic policy) the passing challenger with the largest improvement, records every result in alphapulse.evaluations and refusals in alphapulse.model_events, and returns the rows';
REVOKE ALL ON FUNCTION ap_evaluate(text, bigint, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ap_evaluate(text, bigint, timestamptz, timestamptz) TO alphapulse_writer;

-- Promotion and rollback: one lock order everywhere (the symbol's asset row,
-- as ap_train's registration takes it, then the model rows in id order), so
-- no two of them deadlock; the time of a promotion is the clock after that
-- lock, so promotions of a symbol are ordered as they commit (0.1.0 used
-- now(), the transaction's start: a promotion that waited for another could
-- record an earlier time and be skipped by ap_rollback).
CREATE FUNCTION alphapulse.lock_symbol(symbol text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
	PERFORM FROM alphapulse.assets a WHERE a.symbol = lock_symbol.symbol FOR NO KEY UPDATE;
	PERFORM FROM alphapulse.models m WHERE m.symbol = lock_symbol.symbol ORDER BY m.id FOR UPDATE;
END
$fn$;
COMMENT ON FUNCTION alphapulse.lock_symbol(text) IS
'Takes a symbol''s registry locks in the one order every writer of alphapulse.models uses: the asset row (FOR NO KEY UPDATE), then its model rows by id';
REVOKE ALL ON FUNCTION alphapulse.lock_symbol(text) FROM PUBLIC;

CREATE FUNCTION alphapulse.promote_model(model_id bigint, reason text, details jsonb)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	s text;
	m alphapulse.models;
	prev_id bigint;
	t timestamptz;
BEGIN
	IF model_id IS NULL THEN
		RAISE EXCEPTION 'model_id must not be null' USING ERRCODE = '22004';
	END IF;
	SELECT x.symbol INTO s FROM alphapulse.models x WHERE x.id = model_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'model % does not exist', model_id USING ERRCODE = '42704';
	END IF;
	PERFORM alphapulse.lock_symbol(s);
	SELECT * INTO m FROM alphapulse.models x WHERE x.id = model_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'model % does not exist', model_id USING ERRCODE = '42704';
	END IF;
	IF m.stage = 'champion' THEN
		RETURN m.id;
	END IF;
	t := pg_catalog.clock_timestamp();
	UPDATE alphapulse.models x SET stage = 'archived' WHERE x.symbol = m.symbol AND x.stage = 'champion'
	RETURNING x.id INTO prev_id;
	UPDATE alphapulse.models x SET stage = 'champion', promoted = t WHERE x.id = m.id;
	IF prev_id IS NOT NULL THEN
		PERFORM alphapulse.log_model_event(m.symbol, prev_id, 'archived',
			pg_catalog.format('replaced by model %s', m.id), details);
	END IF;
	PERFORM alphapulse.log_model_event(m.symbol, m.id, 'promoted', reason,
		details OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('previous_champion', prev_id));
	RETURN m.id;
END
$fn$;
COMMENT ON FUNCTION alphapulse.promote_model(bigint, text, jsonb) IS
'Makes a model the champion under the symbol''s locks (alphapulse.lock_symbol), archives the previous one, stamps promoted with the clock after the locks and logs archived/promoted events; for ap_promote and ap_evaluate';
REVOKE ALL ON FUNCTION alphapulse.promote_model(bigint, text, jsonb) FROM PUBLIC;

DROP FUNCTION @extschema@.ap_promote(bigint);
CREATE FUNCTION @extschema@.ap_promote(model_id bigint)
RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT alphapulse.promote_model(model_id, 'ap_promote', '{}'::jsonb);
$fn$;
COMMENT ON FUNCTION @extschema@.ap_promote(bigint) IS 'Makes a model the champion of its symbol; the previous champion is archived; both changes are logged in alphapulse.model_events. Returns the model id. Runs as the registry''s owner (writers may call it); promotions, rollbacks, evaluations and registrations of one symbol lock in one order (asset row, then model rows by id) and are stamped by the clock after the locks, so their order is their commit order.';

DROP FUNCTION @extschema@.ap_rollback(text);
CREATE FUNCTION @extschema@.ap_rollback(symbol text)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	cur alphapulse.models;
	prev bigint;
BEGIN
	IF ap_rollback.symbol IS NULL THEN
		RAISE EXCEPTION 'symbol must not be null' USING ERRCODE = '22004';
	END IF;
	PERFORM alphapulse.lock_symbol(ap_rollback.symbol);
	SELECT * INTO cur FROM alphapulse.models m WHERE m.symbol = ap_rollback.symbol AND m.stage = 'champion';
	IF NOT FOUND THEN
		RAISE EXCEPTION 'symbol "%" has no champion model', symbol USING ERRCODE = '42704';
	END IF;
	SELECT m.id INTO prev FROM alphapulse.models m
	WHERE m.symbol = ap_rollback.symbol AND m.stage = 'archived' AND m.promoted IS NOT NULL
	  AND m.promoted <= cur.promoted AND m.id <> cur.id
	ORDER BY m.promoted DESC, m.id DESC LIMIT 1;
	IF prev IS NULL THEN
		RAISE EXCEPTION 'symbol "%" has no earlier champion to roll back to', symbol USING ERRCODE = '55000';
	END IF;
	UPDATE alphapulse.models m SET stage = 'archived', promoted = NULL WHERE m.id = cur.id;
	UPDATE alphapulse.models m SET stage = 'champion' WHERE m.id = prev;
	PERFORM alphapulse.log_model_event(cur.symbol, cur.id, 'rolled_back',
		pg_catalog.format('rolled back to model %s', prev),
		pg_catalog.jsonb_build_object('restored', prev, 'promoted', cur.promoted));
	PERFORM alphapulse.log_model_event(cur.symbol, prev, 'promoted', 'restored by ap_rollback',
		pg_catalog.jsonb_build_object('previous_champion', cur.id));
	RETURN prev;
END
$fn$;
COMMENT ON FUNCTION @extschema@.ap_rollback(text) IS 'Demotes the champion of a symbol (to archived) and restores the most recently promoted earlier champion (promotion times follow commit order); logs rolled_back and promoted events; returns its id. Runs as the registry''s owner (writers may call it).';
REVOKE ALL ON FUNCTION @extschema@.ap_promote(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ap_rollback(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.ap_promote(bigint) TO alphapulse_writer;
GRANT EXECUTE ON FUNCTION @extschema@.ap_rollback(text) TO alphapulse_writer;

-- The current champion's signals only (alphapulse.signals keeps every model's).
CREATE VIEW alphapulse.champion_signals AS
SELECT s.symbol, s.ts, s.model_id, m.version, s.score, s.signal, s.created
FROM alphapulse.signals s
JOIN alphapulse.models m ON m.id OPERATOR(pg_catalog.=) s.model_id
	AND m.symbol OPERATOR(pg_catalog.=) s.symbol
	AND m.stage OPERATOR(pg_catalog.=) 'champion';
COMMENT ON VIEW alphapulse.champion_signals IS 'Signals of each symbol''s current champion only (alphapulse.signals keeps the scores of every model that ever scored)';

GRANT SELECT ON alphapulse.model_events, alphapulse.evaluations, alphapulse.promotion_policies,
	alphapulse.champion_signals TO alphapulse_reader;
GRANT INSERT, UPDATE, DELETE ON alphapulse.promotion_policies TO alphapulse_writer;
-- not TRIGGER: a cascade from assets deletes policies as their owner, and a
-- trigger of the admin's would run with that identity
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON alphapulse.promotion_policies TO alphapulse_admin;
GRANT DELETE ON alphapulse.model_events, alphapulse.evaluations TO alphapulse_admin;
