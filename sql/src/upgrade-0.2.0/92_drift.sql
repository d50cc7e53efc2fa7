-- BEGIN drift (issue 8): ap_drift compares the champion's features and
-- predictions over a recent window with its training window, stores a
-- report, and queues a retraining when the report drifted and the symbol's
-- policy says so.

-- Checks a drift options object (keys, methods, ranges); raises 22023 when
-- it is invalid, so a policy that contradicts itself cannot be stored.
CREATE FUNCTION alphapulse.drift_check_options(options jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'ap_drift_check_options'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION alphapulse.drift_check_options(jsonb) IS
'Validates ap_drift options (see ap_drift) and returns true; an unknown key or method, a threshold out of range or a wrong type is an error (22023)';

CREATE TABLE alphapulse.drift_policies (
	symbol				text PRIMARY KEY
						REFERENCES alphapulse.assets (symbol) ON UPDATE CASCADE ON DELETE CASCADE,
	options				jsonb NOT NULL DEFAULT '{}'::jsonb
						CONSTRAINT drift_policies_options_valid
						CHECK (alphapulse.drift_check_options(options)),
	retrain_on_drift	boolean NOT NULL DEFAULT true,
	updated				timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT drift_policies_retrain_in_column
	CHECK (NOT options OPERATOR(pg_catalog.?) 'retrain_on_drift')
);
COMMENT ON CONSTRAINT drift_policies_retrain_in_column ON alphapulse.drift_policies IS
'A policy says whether a drifted report queues a retraining in its retrain_on_drift column only: the same key in options would contradict it (ap_drift''s options argument may still override it per call)';
COMMENT ON TABLE alphapulse.drift_policies IS
'Per-symbol drift settings: options (the same keys as ap_drift''s options argument, which override them per call) and whether a drifted report queues a retraining (default true, also for symbols without a row)';

CREATE TABLE alphapulse.drift_reports (
	id					bigserial PRIMARY KEY,
	symbol				text NOT NULL
						REFERENCES alphapulse.assets (symbol) ON UPDATE CASCADE ON DELETE CASCADE,
	model_id			bigint REFERENCES alphapulse.models (id) ON DELETE SET NULL,
	reference_from		timestamptz NOT NULL,
	reference_to		timestamptz NOT NULL,
	current_from		timestamptz NOT NULL,
	current_to			timestamptz NOT NULL,
	reference_rows		integer NOT NULL CHECK (reference_rows > 0),
	current_rows		integer NOT NULL CHECK (current_rows > 0),
	share_drifted		double precision NOT NULL CHECK (share_drifted BETWEEN 0 AND 1),
	drifted				boolean NOT NULL,
	drift_share			double precision NOT NULL,
	since				timestamptz NOT NULL,
	options				jsonb NOT NULL,
	created				timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	duration_ms			double precision
);
CREATE INDEX drift_reports_symbol_idx ON alphapulse.drift_reports (symbol, id);
COMMENT ON TABLE alphapulse.drift_reports IS
'One row per ap_drift call: the champion, the reference window (its training rows) and the current window (feature rows from since), their row counts, the share of features that drifted and whether the dataset drifted (share_drifted >= drift_share), the options in force (policy merged with the call''s)';

CREATE TABLE alphapulse.drift_features (
	report_id			bigint NOT NULL REFERENCES alphapulse.drift_reports (id) ON DELETE CASCADE,
	feature				text NOT NULL,
	method				text NOT NULL CHECK (method IN ('ks', 'chisquare', 'wasserstein', 'jensenshannon', 'psi')),
	statistic			double precision,
	p_value				double precision,
	threshold			double precision NOT NULL,
	drifted				boolean,
	reference_values	integer NOT NULL,
	current_values		integer NOT NULL,
	distinct_values		integer NOT NULL,
	position			integer NOT NULL,
	PRIMARY KEY (report_id, feature)
);
COMMENT ON TABLE alphapulse.drift_features IS
'Per feature of a drift report (and "prediction", the champion''s scores on both windows): the method, its statistic (KS D, chi-square, normalised Wasserstein distance, Jensen-Shannon distance or PSI), the p-value for ks and chisquare, the threshold, whether it drifted (NULL: not testable, a window without values), the non-NULL values compared and the distinct values of both windows';

CREATE TABLE alphapulse.retrain_requests (
	id					bigserial PRIMARY KEY,
	symbol				text NOT NULL
						REFERENCES alphapulse.assets (symbol) ON UPDATE CASCADE ON DELETE CASCADE,
	requested_at		timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	reason				text NOT NULL,
	drift_report_id		bigint REFERENCES alphapulse.drift_reports (id) ON DELETE SET NULL,
	status				text NOT NULL DEFAULT 'pending'
						CHECK (status IN ('pending', 'running', 'done', 'failed', 'skipped')),
	model_id			bigint REFERENCES alphapulse.models (id) ON DELETE SET NULL,
	evaluation_id		bigint,
	finished_at			timestamptz,
	message				text,
	CONSTRAINT retrain_requests_finished CHECK ((finished_at IS NULL) OR status IN ('done', 'failed', 'skipped'))
);
-- at most one pending request per symbol: a second drifted report joins the first
CREATE UNIQUE INDEX retrain_requests_one_pending ON alphapulse.retrain_requests (symbol) WHERE status = 'pending';
CREATE INDEX retrain_requests_symbol_idx ON alphapulse.retrain_requests (symbol, id);
COMMENT ON TABLE alphapulse.retrain_requests IS
'Retrainings asked for (by a drifted report when the symbol''s drift policy has retrain_on_drift): status pending -> running -> done/failed/skipped, at most one pending per symbol; the job runner records the new model and its evaluation';

CREATE FUNCTION ap_drift(symbol text, since timestamptz DEFAULT pg_catalog.now() - '7 days'::interval,
						 options jsonb DEFAULT '{}'::jsonb)
RETURNS bigint
AS 'MODULE_PATHNAME', 'ap_drift'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ap_drift(text, timestamptz, jsonb) IS
'Compares each feature of the champion''s feature set over the current window (feature rows with ts >= since) with the reference (the champion''s training rows, train_from..train_to), NULLs skipped, and the champion''s predictions on both windows; stores alphapulse.drift_reports and drift_features and returns the report id. Defaults as Evidently''s: reference <= 1000 values: KS (p < 0.05) for more than 5 distinct values, else chi-square (p < 0.05); above: Wasserstein distance / reference population std (>= 0.1), else Jensen-Shannon distance (>= 0.1); PSI (>= 0.1) on request; drifted when >= half the features drifted. Options (per call, over alphapulse.drift_policies): method, feature_methods {feature: method}, threshold, ks_threshold, chisquare_threshold, wasserstein_threshold, jensenshannon_threshold, psi_threshold, drift_share, small_reference, low_cardinality, min_rows, retrain_on_drift. A drifted report queues a retraining in alphapulse.retrain_requests (one pending per symbol) unless the policy says no.';

GRANT SELECT ON alphapulse.drift_policies, alphapulse.drift_reports, alphapulse.drift_features,
	alphapulse.retrain_requests TO alphapulse_reader;
GRANT INSERT, UPDATE, DELETE ON alphapulse.drift_policies, alphapulse.drift_reports,
	alphapulse.drift_features, alphapulse.retrain_requests TO alphapulse_writer;
GRANT USAGE ON SEQUENCE alphapulse.drift_reports_id_seq, alphapulse.retrain_requests_id_seq TO alphapulse_writer;
GRANT ALL ON alphapulse.drift_policies, alphapulse.drift_reports, alphapulse.drift_features,
	alphapulse.retrain_requests TO alphapulse_admin;
REVOKE ALL ON FUNCTION ap_drift(text, timestamptz, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ap_drift(text, timestamptz, jsonb) TO alphapulse_writer;
SELECT pg_catalog.pg_extension_config_dump('alphapulse.drift_policies', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.drift_reports', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.drift_reports_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.drift_features', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.retrain_requests', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.retrain_requests_id_seq', '');
-- END drift
