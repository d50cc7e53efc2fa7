-- BEGIN backtest
-- Backtests (issue 8): ap_backtest (one summary row) and ap_backtest_equity
-- (the curve per bar) score a symbol's feature rows with a registered model
-- and trade its signals by one stated rule (src/backtest.c, src/backtest_sql.c).
-- They only read: readers may run them.

CREATE TYPE ap_backtest_t AS (
	symbol			text,
	model_id		bigint,
	first_ts		timestamptz,
	last_ts			timestamptz,
	bars			integer,
	in_sample		boolean,
	in_sample_bars	integer,
	periods_per_year double precision,
	buy				double precision,
	sell			double precision,
	total_return	double precision,
	cagr			double precision,
	sharpe			double precision,
	sortino			double precision,
	max_drawdown	double precision,
	calmar			double precision,
	hit_rate		double precision,
	trades			integer,
	exposure		double precision,
	turnover		double precision,
	bh_total_return	double precision,
	bh_sharpe		double precision,
	bh_max_drawdown	double precision
);
COMMENT ON TYPE ap_backtest_t IS
'The summary row of ap_backtest: the model and window backtested (first_ts, last_ts: the first and last bar t of the curve; bars: their number; in_sample: some bar is at or before the end of the model''s training window, in_sample_bars of them; periods_per_year: ap_periods_per_year(symbol); buy, sell: the thresholds used), the strategy''s statistics and buy-and-hold''s (bh_*). NULL where a statistic is undefined (see ap_backtest).';

CREATE FUNCTION ap_backtest(symbol text, model_id bigint DEFAULT NULL,
	"from" timestamptz DEFAULT NULL, "to" timestamptz DEFAULT NULL,
	fee_bps double precision DEFAULT 10, slippage_bps double precision DEFAULT 0,
	buy double precision DEFAULT NULL, sell double precision DEFAULT NULL,
	allow_short boolean DEFAULT false, allow_in_sample boolean DEFAULT false)
RETURNS ap_backtest_t
AS 'MODULE_PATHNAME', 'ap_backtest'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ap_backtest(text, bigint, timestamptz, timestamptz, double precision, double precision,
	double precision, double precision, boolean, boolean) IS
'Backtests a model of the symbol (default its champion) and returns one summary row. Rule, over the symbol''s bars in time order (t+1 is the next bar of alphapulse.bars): each bar t from "from" to "to" (inclusive; NULL: unbounded) that has complete features (no NULL element) in the model''s feature set and two later bars is scored by the model (feature rows are read, not built: bars without them are left out, with a NOTICE); BUY when the score is above buy, SELL below sell, else HOLD (defaults as ap_score: 0.55/0.45 for classification, 0/0 for regression); the position p(t) is 1 after BUY, 0 after SELL (-1 with allow_short), p(t-1) after HOLD, from 0 before the first bar; it is held from the open of t+1 to the open of t+2, r(t) = open(t+2)/open(t+1) - 1; cost(t) = (fee_bps + slippage_bps)/10000 x |p(t) - p(t-1)|; equity(t) = equity(t-1) x (1 - cost(t)) x (1 + p(t) r(t)) from 1; the bar return is equity(t)/equity(t-1) - 1. Buy-and-hold: p = 1 on every bar, the cost paid once on the first. Only bars after the model''s training window (ts > models.train_to) unless allow_in_sample (then in_sample says so). Fields, with N bars and P = ap_periods_per_year(symbol) bars per year: total_return = final equity - 1; cagr = final equity^(P/N) - 1 (N bars are N/P years; -1 once equity <= 0); sharpe = mean / standard deviation (n-1) of the bar returns x sqrt(P); sortino = mean / downside deviation x sqrt(P), downside deviation = sqrt(sum of min(bar return, 0)^2 / (N-1)) over every bar; max_drawdown = largest 1 - equity/running peak, the peak starting at 1; calmar = cagr / max_drawdown; hit_rate = share of the bars with p != 0 whose bar return (after costs) is > 0; trades = bars where p changes; exposure = share of bars with p != 0; turnover = sum of |p(t) - p(t-1)| (a long round trip is 2); bh_total_return, bh_sharpe, bh_max_drawdown likewise for buy-and-hold. Undefined statistics are NULL: sharpe/sortino with N < 2 or a zero deviation, calmar with no drawdown, hit_rate with no bar in the market. Errors (nothing is written): unknown symbol or model (42704), a model of another symbol, fees < 0 or fee_bps + slippage_bps > 5000, "from" >= "to", thresholds not finite, outside [0, 1] for a probability or sell > buy (22023), fewer than 2 bars (22000). Reports its progress in alphapulse.progress (loading bars, loading and scoring features, equity).';

CREATE FUNCTION ap_backtest_equity(symbol text, model_id bigint DEFAULT NULL,
	"from" timestamptz DEFAULT NULL, "to" timestamptz DEFAULT NULL,
	fee_bps double precision DEFAULT 10, slippage_bps double precision DEFAULT 0,
	buy double precision DEFAULT NULL, sell double precision DEFAULT NULL,
	allow_short boolean DEFAULT false, allow_in_sample boolean DEFAULT false)
RETURNS TABLE (ts timestamptz, score double precision, signal text, "position" integer,
	cost double precision, asset_return double precision, bar_return double precision,
	equity double precision, bh_equity double precision, drawdown double precision,
	in_sample boolean)
AS 'MODULE_PATHNAME', 'ap_backtest_equity'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ap_backtest_equity(text, bigint, timestamptz, timestamptz, double precision, double precision,
	double precision, double precision, boolean, boolean) IS
'The curve of ap_backtest (same arguments, same rule), one row per bar t in time order: ts (bar t), score (the model''s score of t''s features), signal (BUY/SELL/HOLD), position p(t), cost(t), asset_return r(t) = open(t+2)/open(t+1) - 1 (the return over the holding, open of t+1 to open of t+2), bar_return = equity(t)/equity(t-1) - 1, equity(t), bh_equity (buy-and-hold, one entry cost on the first bar), drawdown = 1 - equity/running peak (peak from 1), in_sample (t at or before the model''s train_to).';

-- Readers run backtests: they read bars, features and models, and write nothing.
REVOKE ALL ON FUNCTION ap_backtest(text, bigint, timestamptz, timestamptz, double precision, double precision,
	double precision, double precision, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION ap_backtest_equity(text, bigint, timestamptz, timestamptz, double precision, double precision,
	double precision, double precision, boolean, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ap_backtest(text, bigint, timestamptz, timestamptz, double precision, double precision,
	double precision, double precision, boolean, boolean) TO alphapulse_reader;
GRANT EXECUTE ON FUNCTION ap_backtest_equity(text, bigint, timestamptz, timestamptz, double precision, double precision,
	double precision, double precision, boolean, boolean) TO alphapulse_reader;
-- END backtest
