-- BEGIN ml fixes (issue 7 review of main: F6, F7, F8)

-- F7: a writer's UPDATE assets SET symbol moved a champion to another symbol,
-- and DELETE FROM assets deleted the symbol's models, through the cascading
-- foreign key.  Models are registry history: an asset with models can be
-- neither renamed nor deleted (as feeds_symbol_fkey).  Features (and the
-- bars they come from) are derived data and still follow their asset;
-- signals follow their model, which no role but the extension writes; runs
-- have no foreign key (history outlives what it names).
ALTER TABLE alphapulse.models
	DROP CONSTRAINT models_symbol_fkey,
	ADD CONSTRAINT models_symbol_fkey FOREIGN KEY (symbol)
		REFERENCES alphapulse.assets (symbol) ON UPDATE RESTRICT ON DELETE RESTRICT;

-- F8: a writer inserted runs with ids ahead of the sequence, and every later
-- ap_train failed on runs_pkey; writers could also rewrite run history.
-- Only the extension writes runs (ap_train as the table's owner, the failed-
-- run logger's worker likewise); admins keep DELETE and TRUNCATE (retention).
REVOKE INSERT, UPDATE, DELETE ON alphapulse.runs FROM alphapulse_writer;
REVOKE INSERT, UPDATE ON alphapulse.runs FROM alphapulse_admin;
REVOKE USAGE ON SEQUENCE alphapulse.runs_id_seq FROM alphapulse_writer;
REVOKE ALL ON SEQUENCE alphapulse.runs_id_seq FROM alphapulse_admin;

-- F6: writers could INSERT or UPDATE alphapulse.feature_sets directly,
-- skipping ap_feature_set's checks (a NaN threshold, feature_names that do
-- not match features, changing a set in use by a champion, whose scores were
-- then computed from other features).  A trigger applies the same rules to
-- every write, ap_feature_set's included, for every role: the table stays
-- writable (a writer's DELETE of an unused set is fine) but cannot hold a row
-- ap_feature_set would refuse.
CREATE FUNCTION alphapulse.feature_sets_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	-- the limits of ap_feature_set
	max_horizon CONSTANT integer := 10000;
	max_abs_threshold CONSTANT double precision := 10;
BEGIN
	IF NEW.features IS NULL OR NEW.feature_names IS DISTINCT FROM alphapulse.feature_names(NEW.features) THEN
		RAISE EXCEPTION 'feature_names of feature set "%" do not match its features', left(NEW.name, 64)
			USING ERRCODE = '22023',
			HINT = 'Define feature sets with ap_feature_set(name, spec), which sets feature_names.';
	END IF;
	IF NEW.threshold IS NULL OR NEW.threshold IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)
	   OR abs(NEW.threshold) > max_abs_threshold THEN
		RAISE EXCEPTION 'target threshold must be between -% and %', max_abs_threshold, max_abs_threshold
			USING ERRCODE = '22023', DETAIL = pg_catalog.format('It was %s.', NEW.threshold);
	END IF;
	IF NEW.horizon IS NULL OR NEW.horizon < 1 OR NEW.horizon > max_horizon THEN
		RAISE EXCEPTION 'target horizon must be an integer between 1 and % bars', max_horizon
			USING ERRCODE = '22023', DETAIL = pg_catalog.format('It was %s.', NEW.horizon);
	END IF;
	IF NEW.target_kind IS NULL OR NEW.target_kind NOT IN ('classification', 'regression') THEN
		RAISE EXCEPTION 'unknown target type "%"', left(NEW.target_kind, 64) USING ERRCODE = '22023',
			HINT = 'Valid types: classification, regression.';
	END IF;
	IF TG_OP = 'UPDATE'
	   AND (NEW.name, NEW.features, NEW.feature_names, NEW.horizon, NEW.target_kind, NEW.threshold)
		   IS DISTINCT FROM (OLD.name, OLD.features, OLD.feature_names, OLD.horizon, OLD.target_kind, OLD.threshold)
	   AND (EXISTS (SELECT FROM alphapulse.features f WHERE f.feature_set OPERATOR(pg_catalog.=) OLD.name)
			OR EXISTS (SELECT FROM alphapulse.models m WHERE m.feature_set OPERATOR(pg_catalog.=) OLD.name)) THEN
		RAISE EXCEPTION 'feature set "%" is in use and cannot change', left(OLD.name, 64) USING ERRCODE = '55006',
			HINT = 'Create a feature set under a new name, or delete its features and models first.';
	END IF;
	RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION alphapulse.feature_sets_check() IS
'Trigger on alphapulse.feature_sets: every written row has feature_names = alphapulse.feature_names(features), a finite threshold in [-10, 10], a horizon in 1..10000 and a known target type (22023), and a set with features or models cannot change (55006), whoever writes it. Not executable by PUBLIC';
REVOKE ALL ON FUNCTION alphapulse.feature_sets_check() FROM PUBLIC;
CREATE TRIGGER feature_sets_check
BEFORE INSERT OR UPDATE ON alphapulse.feature_sets
FOR EACH ROW EXECUTE FUNCTION alphapulse.feature_sets_check();
-- END ml fixes
