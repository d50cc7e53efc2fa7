-- BEGIN realtime
-- Real time (issue 9): the streaming state of each (symbol, feature set) so
-- ap_build_features costs O(1) a new bar; bars inserted, updated or deleted
-- at or before the last built row rebuild the rows from that bar on and
-- re-score their signals; ap_realtime scores a symbol's new bars with its
-- champion as they land and announces them with NOTIFY alphapulse_signals
-- (src/ml_featstate.c, src/ml_realtime.c).  Everything runs in the
-- transaction that changes the bars: see README, Real time.

CREATE TABLE alphapulse.feature_state (
	symbol		text NOT NULL
				REFERENCES alphapulse.assets (symbol) ON UPDATE CASCADE ON DELETE CASCADE,
	feature_set	text NOT NULL
				REFERENCES alphapulse.feature_sets (name) ON DELETE CASCADE,
	last_ts		timestamptz NOT NULL,
	version		integer NOT NULL,
	state		bytea NOT NULL,
	updated		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (symbol, feature_set)
);
COMMENT ON TABLE alphapulse.feature_state IS
'The streaming state of a symbol''s feature set after its last built row (last_ts): every indicator''s state and the recent bars the features look back on, in format version "version". ap_build_features continues from it (O(1) a new bar) and saves it again; bytes that are corrupt, of another version, of another feature set or not at last_ts are never used: the rows are then built in one pass over the history, which saves a fresh state. Dumped with the features it continues (restored bytes are checked like any others).';

CREATE TABLE alphapulse.realtime (
	symbol		text PRIMARY KEY
				REFERENCES alphapulse.assets (symbol) ON UPDATE CASCADE ON DELETE CASCADE,
	enabled		boolean NOT NULL DEFAULT true,
	buy			double precision
				CONSTRAINT realtime_buy_finite CHECK (buy > '-Infinity' AND buy < 'Infinity'),
	sell		double precision
				CONSTRAINT realtime_sell_finite CHECK (sell > '-Infinity' AND sell < 'Infinity'),
	last_error	text,
	last_error_at timestamptz,
	created		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	updated		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT realtime_thresholds_ordered CHECK (sell <= buy)
);
COMMENT ON TABLE alphapulse.realtime IS
'Symbols scored on arrival (ap_realtime): when enabled, bars of the symbol that land (any INSERT, UPDATE or COPY, the feed worker''s included) get their features from the saved state, are scored by the champion into alphapulse.signals (BUY above buy, SELL below sell; NULL: ap_score''s defaults) and announced by NOTIFY alphapulse_signals, in the transaction that lands them. last_error: why the last scoring failed (the bars were kept), cleared by the next success.';

CREATE FUNCTION ap_realtime(symbol text, enabled boolean DEFAULT true,
	buy double precision DEFAULT NULL, sell double precision DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'ap_realtime'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ap_realtime(text, boolean, double precision, double precision) IS
'Turns scoring on arrival on (enabled => true) or off for a symbol and returns enabled. While on, each statement that lands bars of the symbol builds their features from the saved streaming state, scores the rows with complete features by the champion (the champion at that moment) into alphapulse.signals, and sends NOTIFY alphapulse_signals with {"symbol", "ts", "model_id", "score", "signal"} per signal, delivered when the transaction commits (never for a rolled-back one). A scoring failure keeps the bars (a WARNING, and alphapulse.realtime.last_error). buy, sell: thresholds (NULL: ap_score''s defaults, 0.55/0.45 for classification, 0/0 for regression). Enabling builds the champion''s feature set now. Errors (nothing is written): unknown symbol or no champion (42704), thresholds not finite or sell above buy (22023).';

CREATE FUNCTION alphapulse.bars_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'ap_bars_changed'
LANGUAGE C
SET search_path = pg_catalog, pg_temp
-- the payload's score is float8 text: shortest exact, whatever the session's setting
SET extra_float_digits = 1;
COMMENT ON FUNCTION alphapulse.bars_changed() IS
'Statement trigger of alphapulse.bars: for each symbol a statement touched, feature rows at or after its first inserted, changed or deleted bar are rebuilt from that bar (targets of the rows before it refreshed) and the signals on them re-scored by the same models over the same span; then the new bars of a real-time symbol are scored (ap_realtime). TRUNCATE clears every feature row, state and signal.';

-- Transition tables need one trigger per event.
CREATE TRIGGER bars_inserted AFTER INSERT ON alphapulse.bars
	REFERENCING NEW TABLE AS ap_new
	FOR EACH STATEMENT EXECUTE FUNCTION alphapulse.bars_changed();
CREATE TRIGGER bars_updated AFTER UPDATE ON alphapulse.bars
	REFERENCING OLD TABLE AS ap_old NEW TABLE AS ap_new
	FOR EACH STATEMENT EXECUTE FUNCTION alphapulse.bars_changed();
CREATE TRIGGER bars_deleted AFTER DELETE ON alphapulse.bars
	REFERENCING OLD TABLE AS ap_old
	FOR EACH STATEMENT EXECUTE FUNCTION alphapulse.bars_changed();
CREATE TRIGGER bars_truncated AFTER TRUNCATE ON alphapulse.bars
	FOR EACH STATEMENT EXECUTE FUNCTION alphapulse.bars_changed();

-- Features and signals are written for whoever changes the bars (writers);
-- the state's bytes are checked on every load, so writers may hold them too.
GRANT SELECT ON alphapulse.feature_state, alphapulse.realtime TO alphapulse_reader;
GRANT INSERT, UPDATE, DELETE ON alphapulse.feature_state, alphapulse.realtime TO alphapulse_writer;
GRANT ALL ON alphapulse.feature_state, alphapulse.realtime TO alphapulse_admin;
REVOKE ALL ON FUNCTION ap_realtime(text, boolean, double precision, double precision) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ap_realtime(text, boolean, double precision, double precision) TO alphapulse_writer;
REVOKE ALL ON FUNCTION alphapulse.bars_changed() FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('alphapulse.feature_state', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.realtime', '');
-- END realtime
