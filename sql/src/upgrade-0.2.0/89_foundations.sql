-- BEGIN foundations
-- Shared by evaluation, backtests and drift: how many bars make a year, and the
-- progress of long calls.

ALTER TABLE alphapulse.assets ADD COLUMN periods_per_year double precision
	CONSTRAINT assets_periods_per_year_range
	CHECK (periods_per_year > 0 AND periods_per_year < 1e9);
COMMENT ON COLUMN alphapulse.assets.periods_per_year IS 'Bars per year for annualised figures (Sharpe, CAGR); NULL: 365 days / bar_interval (8,760 for hourly bars). Set 252 for a stock''s daily bars';

CREATE FUNCTION ap_periods_per_year(symbol text)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_periods_per_year'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ap_periods_per_year(text) IS
'Bars per year of a symbol, used by every annualised figure (holdout and backtest Sharpe, Sortino, CAGR): alphapulse.assets.periods_per_year when set, else 365 days divided by its bar_interval (8,760 for hourly bars, 365 for daily).';

CREATE FUNCTION ap_progress(OUT pid integer, OUT userid oid, OUT symbol text, OUT function text,
	OUT phase text, OUT step bigint, OUT steps bigint, OUT rows bigint, OUT started timestamptz,
	OUT elapsed_s double precision, OUT remaining_s double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ap_progress'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION ap_progress() IS
'The rows of alphapulse.progress: long AlphaPulse calls running in this database (needs alphapulse in shared_preload_libraries).';

CREATE VIEW alphapulse.progress AS
SELECT p.pid, r.rolname AS username, p.symbol, p.function, p.phase, p.step, p.steps, p.rows,
	p.started,
	pg_catalog.make_interval(secs => p.elapsed_s) AS elapsed,
	pg_catalog.make_interval(secs => p.remaining_s) AS remaining
FROM ap_progress() p
LEFT JOIN pg_catalog.pg_roles r ON r.oid = p.userid;
COMMENT ON VIEW alphapulse.progress IS 'Long AlphaPulse calls in progress in this database (ap_train, ap_build_features, ap_evaluate, ap_drift, ap_backtest): session pid, user, symbol, function, phase, step of steps, rows, start, elapsed and estimated remaining time (elapsed × steps left / steps done; NULL while unknown)';

REVOKE ALL ON FUNCTION ap_periods_per_year(text), ap_progress() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ap_periods_per_year(text), ap_progress() TO alphapulse_reader;
GRANT SELECT ON alphapulse.progress TO alphapulse_reader;
-- END foundations
