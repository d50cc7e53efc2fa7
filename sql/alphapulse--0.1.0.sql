-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION alphapulse" to load this file. \quit
-- BEGIN schema (infrastructure)

-- Tables and views live in schema alphapulse; the ap_* functions live in the
-- schema the extension is created in.  Operators below compare values of the
-- same built-in type, so they resolve to pg_catalog (searched first).

CREATE SCHEMA alphapulse;
COMMENT ON SCHEMA alphapulse IS 'AlphaPulse tables and views: market data, features, models, signals';

-- Roles are cluster-wide and outlive the extension, so create them only when
-- absent (the one conditional in this script).  admin > writer > reader.
DO $roles$
DECLARE
	r text[];
BEGIN
	FOREACH r SLICE 1 IN ARRAY ARRAY[['alphapulse_reader', NULL],
									['alphapulse_writer', 'alphapulse_reader'],
									['alphapulse_admin', 'alphapulse_writer']]
	LOOP
		IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r[1]) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r[1]);
			IF r[2] IS NOT NULL THEN
				EXECUTE pg_catalog.format('GRANT %I TO %I', r[2], r[1]);
			END IF;
		END IF;
	END LOOP;
END
$roles$;

CREATE TABLE alphapulse.assets (
	symbol			text PRIMARY KEY
					CONSTRAINT assets_symbol_format
					CHECK (symbol ~ '^[a-z][a-z0-9_]{0,31}$'::text),
	description		text,
	bar_interval	interval NOT NULL DEFAULT '1 hour'::interval
					CONSTRAINT assets_bar_interval_positive
					CHECK (bar_interval > '0'::interval),
	created			timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE alphapulse.assets IS 'Tradable symbols; every per-symbol table references this one';
COMMENT ON COLUMN alphapulse.assets.symbol IS 'Short lower-case identifier such as btc: ^[a-z][a-z0-9_]{0,31}$';
COMMENT ON COLUMN alphapulse.assets.description IS 'Free text, e.g. the exchange pair the bars come from';
COMMENT ON COLUMN alphapulse.assets.bar_interval IS 'Spacing of the bars in alphapulse.bars for this symbol (positive)';
COMMENT ON COLUMN alphapulse.assets.created IS 'When the asset was registered';

-- Constraint names sort so that the finiteness checks fire first: a NaN
-- price is reported as such, not as a broken high/low ordering.
CREATE TABLE alphapulse.bars (
	symbol		text NOT NULL
				REFERENCES alphapulse.assets (symbol) ON UPDATE CASCADE ON DELETE CASCADE,
	ts			timestamptz NOT NULL,
	open		numeric NOT NULL,
	high		numeric NOT NULL,
	low			numeric NOT NULL,
	close		numeric NOT NULL,
	volume		numeric NOT NULL,
	CONSTRAINT bars_pkey PRIMARY KEY (symbol, ts),
	CONSTRAINT bars_finite_ts CHECK (pg_catalog.isfinite(ts)),
	-- x < 'Infinity' also excludes NaN, which sorts above Infinity
	CONSTRAINT bars_finite_positive_prices CHECK (
		open > 0 AND open < 'Infinity'::numeric AND
		high > 0 AND high < 'Infinity'::numeric AND
		low > 0 AND low < 'Infinity'::numeric AND
		close > 0 AND close < 'Infinity'::numeric),
	CONSTRAINT bars_finite_nonnegative_volume CHECK (
		volume >= 0 AND volume < 'Infinity'::numeric),
	CONSTRAINT bars_high_ge_low CHECK (high >= low),
	CONSTRAINT bars_high_ge_open_close CHECK (high >= GREATEST(open, close)),
	CONSTRAINT bars_low_le_open_close CHECK (low <= LEAST(open, close))
);
COMMENT ON TABLE alphapulse.bars IS 'OHLCV bars, exact NUMERIC as received from the feed; one row per symbol and bar start';
COMMENT ON COLUMN alphapulse.bars.symbol IS 'Asset the bar belongs to (alphapulse.assets)';
COMMENT ON COLUMN alphapulse.bars.ts IS 'Start of the bar (UTC instant)';
COMMENT ON COLUMN alphapulse.bars.open IS 'First trade price in the bar; finite, > 0';
COMMENT ON COLUMN alphapulse.bars.high IS 'Highest trade price; >= open, close and low';
COMMENT ON COLUMN alphapulse.bars.low IS 'Lowest trade price; <= open and close, > 0';
COMMENT ON COLUMN alphapulse.bars.close IS 'Last trade price in the bar; finite, > 0';
COMMENT ON COLUMN alphapulse.bars.volume IS 'Traded quantity in base-asset units; finite, >= 0';

GRANT USAGE ON SCHEMA alphapulse TO alphapulse_reader;
GRANT SELECT ON alphapulse.assets, alphapulse.bars TO alphapulse_reader;
GRANT INSERT, UPDATE, DELETE ON alphapulse.assets, alphapulse.bars TO alphapulse_writer;
GRANT ALL ON alphapulse.assets, alphapulse.bars TO alphapulse_admin;

-- pg_dump keeps user rows of extension tables only when registered.
SELECT pg_catalog.pg_extension_config_dump('alphapulse.assets', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.bars', '');

-- END schema
-- BEGIN functions (lead)
-- Result types of the multi-output indicators: one per input type.
CREATE TYPE ap_macd_t AS (macd numeric, signal numeric, hist numeric);
CREATE TYPE ap_macd_f8_t AS (macd double precision, signal double precision, hist double precision);
COMMENT ON TYPE ap_macd_t IS 'Result of ap_macd over numeric input.';
COMMENT ON TYPE ap_macd_f8_t IS 'Result of ap_macd over double precision input.';
CREATE TYPE ap_bbands_t AS (lower numeric, middle numeric, upper numeric, bandwidth numeric, percent_b numeric);
CREATE TYPE ap_bbands_f8_t AS (lower double precision, middle double precision, upper double precision, bandwidth double precision, percent_b double precision);
COMMENT ON TYPE ap_bbands_t IS 'Result of ap_bbands over numeric input.';
COMMENT ON TYPE ap_bbands_f8_t IS 'Result of ap_bbands over double precision input.';
CREATE TYPE ap_stoch_t AS (k numeric, d numeric);
CREATE TYPE ap_stoch_f8_t AS (k double precision, d double precision);
COMMENT ON TYPE ap_stoch_t IS 'Result of ap_stoch over numeric input.';
COMMENT ON TYPE ap_stoch_f8_t IS 'Result of ap_stoch over double precision input.';
CREATE TYPE ap_aroon_t AS (up numeric, down numeric, oscillator numeric);
CREATE TYPE ap_aroon_f8_t AS (up double precision, down double precision, oscillator double precision);
COMMENT ON TYPE ap_aroon_t IS 'Result of ap_aroon over numeric input.';
COMMENT ON TYPE ap_aroon_f8_t IS 'Result of ap_aroon over double precision input.';
CREATE TYPE ap_keltner_t AS (lower numeric, middle numeric, upper numeric);
CREATE TYPE ap_keltner_f8_t AS (lower double precision, middle double precision, upper double precision);
COMMENT ON TYPE ap_keltner_t IS 'Result of ap_keltner over numeric input.';
COMMENT ON TYPE ap_keltner_f8_t IS 'Result of ap_keltner over double precision input.';
CREATE TYPE ap_donchian_t AS (lower numeric, middle numeric, upper numeric);
CREATE TYPE ap_donchian_f8_t AS (lower double precision, middle double precision, upper double precision);
COMMENT ON TYPE ap_donchian_t IS 'Result of ap_donchian over numeric input.';
COMMENT ON TYPE ap_donchian_f8_t IS 'Result of ap_donchian over double precision input.';

CREATE FUNCTION ap_sma(x numeric, n integer DEFAULT 30)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_sma'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_sma(numeric, integer) IS
'Simple moving average of the last n non-NULL values (default n = 30). NUMERIC input gives the exact NUMERIC average, equal to avg(x) OVER (ROWS n-1 PRECEDING) on full windows. Warm-up: the first n-1 values are NULL.';

CREATE FUNCTION ap_sma(x double precision, n integer DEFAULT 30)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_sma'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_sma(double precision, integer) IS
'Simple moving average of the last n non-NULL values (default n = 30). NUMERIC input gives the exact NUMERIC average, equal to avg(x) OVER (ROWS n-1 PRECEDING) on full windows. Warm-up: the first n-1 values are NULL.';

CREATE FUNCTION ap_ema(x numeric, n integer DEFAULT 30)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_ema'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_ema(numeric, integer) IS
'Exponential moving average, alpha = 2/(n+1), seeded with the simple average of the first n values (TA-Lib). Default n = 30. Warm-up: n-1 rows NULL. NUMERIC results are within 1e-12 relative of exact.';

CREATE FUNCTION ap_ema(x double precision, n integer DEFAULT 30)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_ema'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_ema(double precision, integer) IS
'Exponential moving average, alpha = 2/(n+1), seeded with the simple average of the first n values (TA-Lib). Default n = 30. Warm-up: n-1 rows NULL. NUMERIC results are within 1e-12 relative of exact.';

CREATE FUNCTION ap_wma(x numeric, n integer DEFAULT 30)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_wma'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_wma(numeric, integer) IS
'Linearly weighted moving average, weights 1..n with the newest value weighted n. Exact for NUMERIC input. Default n = 30. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_wma(x double precision, n integer DEFAULT 30)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_wma'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_wma(double precision, integer) IS
'Linearly weighted moving average, weights 1..n with the newest value weighted n. Exact for NUMERIC input. Default n = 30. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_dema(x numeric, n integer DEFAULT 30)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_dema'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_dema(numeric, integer) IS
'Double EMA: 2*EMA(x) - EMA(EMA(x)), each EMA SMA-seeded (TA-Lib). Default n = 30. Warm-up: 2*(n-1) rows NULL.';

CREATE FUNCTION ap_dema(x double precision, n integer DEFAULT 30)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_dema'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_dema(double precision, integer) IS
'Double EMA: 2*EMA(x) - EMA(EMA(x)), each EMA SMA-seeded (TA-Lib). Default n = 30. Warm-up: 2*(n-1) rows NULL.';

CREATE FUNCTION ap_tema(x numeric, n integer DEFAULT 30)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_tema'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_tema(numeric, integer) IS
'Triple EMA: 3*EMA1 - 3*EMA2 + EMA3, each EMA SMA-seeded (TA-Lib). Default n = 30. Warm-up: 3*(n-1) rows NULL.';

CREATE FUNCTION ap_tema(x double precision, n integer DEFAULT 30)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_tema'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_tema(double precision, integer) IS
'Triple EMA: 3*EMA1 - 3*EMA2 + EMA3, each EMA SMA-seeded (TA-Lib). Default n = 30. Warm-up: 3*(n-1) rows NULL.';

CREATE FUNCTION ap_trima(x numeric, n integer DEFAULT 30)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_trima'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_trima(numeric, integer) IS
'Triangular moving average (TA-Lib): an SMA of an SMA with periods (n+1)/2 and (n+1)/2 for odd n, n/2 and n/2+1 for even n. Default n = 30. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_trima(x double precision, n integer DEFAULT 30)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_trima'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_trima(double precision, integer) IS
'Triangular moving average (TA-Lib): an SMA of an SMA with periods (n+1)/2 and (n+1)/2 for odd n, n/2 and n/2+1 for even n. Default n = 30. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_kama(x numeric, n integer DEFAULT 30, fast integer DEFAULT 2, slow integer DEFAULT 30)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_kama'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_kama(numeric, integer, integer, integer) IS
'Kaufman adaptive moving average (TA-Lib): efficiency ratio |x(t)-x(t-n)| / sum|x(i)-x(i-1)| over n bars, smoothing constant (ER*(2/(fast+1)-2/(slow+1)) + 2/(slow+1))^2, seeded with x(n-1). A window with no movement has ER = 1. Defaults n = 30, fast = 2, slow = 30 (fast < slow). Warm-up: n rows NULL.';

CREATE FUNCTION ap_kama(x double precision, n integer DEFAULT 30, fast integer DEFAULT 2, slow integer DEFAULT 30)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_kama'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_kama(double precision, integer, integer, integer) IS
'Kaufman adaptive moving average (TA-Lib): efficiency ratio |x(t)-x(t-n)| / sum|x(i)-x(i-1)| over n bars, smoothing constant (ER*(2/(fast+1)-2/(slow+1)) + 2/(slow+1))^2, seeded with x(n-1). A window with no movement has ER = 1. Defaults n = 30, fast = 2, slow = 30 (fast < slow). Warm-up: n rows NULL.';

CREATE FUNCTION ap_hma(x numeric, n integer DEFAULT 20)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_hma'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_hma(numeric, integer) IS
'Hull moving average: WMA(2*WMA(x, n/2) - WMA(x, n), floor(sqrt(n))), n >= 2. Default n = 20. Warm-up: n-1 + floor(sqrt(n))-1 rows NULL.';

CREATE FUNCTION ap_hma(x double precision, n integer DEFAULT 20)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_hma'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_hma(double precision, integer) IS
'Hull moving average: WMA(2*WMA(x, n/2) - WMA(x, n), floor(sqrt(n))), n >= 2. Default n = 20. Warm-up: n-1 + floor(sqrt(n))-1 rows NULL.';

CREATE FUNCTION ap_vwma(close numeric, volume numeric, n integer DEFAULT 20)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_vwma'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_vwma(numeric, numeric, integer) IS
'Volume-weighted moving average sum(close*volume)/sum(volume) over the last n bars; exact for NUMERIC input. A window whose volume is all zero gives the plain average of close (equal weights). Default n = 20. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_vwma(close double precision, volume double precision, n integer DEFAULT 20)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_vwma'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_vwma(double precision, double precision, integer) IS
'Volume-weighted moving average sum(close*volume)/sum(volume) over the last n bars; exact for NUMERIC input. A window whose volume is all zero gives the plain average of close (equal weights). Default n = 20. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_vwap(high numeric, low numeric, close numeric, volume numeric)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_vwap'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_vwap(numeric, numeric, numeric, numeric) IS
'Cumulative volume-weighted average typical price sum((high+low+close)*volume) / (3*sum(volume)) from the start of the partition; exact for NUMERIC input (one division). Anchor it by partitioning, e.g. PARTITION BY symbol, date_trunc(''day'', ts) for a daily VWAP. While the cumulative volume is zero the plain average typical price is returned. No warm-up.';

CREATE FUNCTION ap_vwap(high double precision, low double precision, close double precision, volume double precision)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_vwap'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_vwap(double precision, double precision, double precision, double precision) IS
'Cumulative volume-weighted average typical price sum((high+low+close)*volume) / (3*sum(volume)) from the start of the partition; exact for NUMERIC input (one division). Anchor it by partitioning, e.g. PARTITION BY symbol, date_trunc(''day'', ts) for a daily VWAP. While the cumulative volume is zero the plain average typical price is returned. No warm-up.';

CREATE FUNCTION ap_rsi(x numeric, n integer DEFAULT 14)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_rsi'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_rsi(numeric, integer) IS
'Relative strength index, 0-100, with Wilder smoothing seeded by the simple average of the first n gains and losses (TA-Lib). A window with no movement (average gain = average loss = 0) gives 50. Default n = 14. Warm-up: n rows NULL.';

CREATE FUNCTION ap_rsi(x double precision, n integer DEFAULT 14)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_rsi'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_rsi(double precision, integer) IS
'Relative strength index, 0-100, with Wilder smoothing seeded by the simple average of the first n gains and losses (TA-Lib). A window with no movement (average gain = average loss = 0) gives 50. Default n = 14. Warm-up: n rows NULL.';

CREATE FUNCTION ap_macd(x numeric, fast integer DEFAULT 12, slow integer DEFAULT 26, signal integer DEFAULT 9)
RETURNS ap_macd_t
AS 'MODULE_PATHNAME', 'ap_macd'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_macd(numeric, integer, integer, integer) IS
'Moving average convergence/divergence: macd = EMA(x, fast) - EMA(x, slow), each leg an SMA-seeded EMA of x (so macd = ap_ema(x, fast) - ap_ema(x, slow)); signal = SMA-seeded EMA(macd, signal); hist = macd - signal. Defaults 12, 26, 9; fast < slow. Warm-up: macd is NULL for slow-1 rows, signal and hist for slow+signal-2 rows.';

CREATE FUNCTION ap_macd(x double precision, fast integer DEFAULT 12, slow integer DEFAULT 26, signal integer DEFAULT 9)
RETURNS ap_macd_f8_t
AS 'MODULE_PATHNAME', 'ap_macd'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_macd(double precision, integer, integer, integer) IS
'Moving average convergence/divergence: macd = EMA(x, fast) - EMA(x, slow), each leg an SMA-seeded EMA of x (so macd = ap_ema(x, fast) - ap_ema(x, slow)); signal = SMA-seeded EMA(macd, signal); hist = macd - signal. Defaults 12, 26, 9; fast < slow. Warm-up: macd is NULL for slow-1 rows, signal and hist for slow+signal-2 rows.';

CREATE FUNCTION ap_bbands(x numeric, n integer DEFAULT 20, k double precision DEFAULT 2.0)
RETURNS ap_bbands_t
AS 'MODULE_PATHNAME', 'ap_bbands'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_bbands(numeric, integer, double precision) IS
'Bollinger Bands: middle = SMA(x, n) (exact for NUMERIC), upper/lower = middle +/- k * population standard deviation (TA-Lib), bandwidth = (upper-lower)/middle (NULL when middle = 0), percent_b = (x-lower)/(upper-lower) (0.5 on a flat window). Defaults n = 20, k = 2. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_bbands(x double precision, n integer DEFAULT 20, k double precision DEFAULT 2.0)
RETURNS ap_bbands_f8_t
AS 'MODULE_PATHNAME', 'ap_bbands'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_bbands(double precision, integer, double precision) IS
'Bollinger Bands: middle = SMA(x, n) (exact for NUMERIC), upper/lower = middle +/- k * population standard deviation (TA-Lib), bandwidth = (upper-lower)/middle (NULL when middle = 0), percent_b = (x-lower)/(upper-lower) (0.5 on a flat window). Defaults n = 20, k = 2. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_stoch(high numeric, low numeric, close numeric, fastk integer DEFAULT 14, slowk integer DEFAULT 3, slowd integer DEFAULT 3)
RETURNS ap_stoch_t
AS 'MODULE_PATHNAME', 'ap_stoch'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_stoch(numeric, numeric, numeric, integer, integer, integer) IS
'Slow stochastic oscillator, 0-100 (TA-Lib STOCH with SMA smoothing): raw %K = 100*(close - lowest low)/(highest high - lowest low) over fastk bars (50 on a flat window), k = SMA(raw %K, slowk), d = SMA(k, slowd). Defaults 14, 3, 3. Warm-up: k is NULL for fastk+slowk-2 rows, d for fastk+slowk+slowd-3 rows.';

CREATE FUNCTION ap_stoch(high double precision, low double precision, close double precision, fastk integer DEFAULT 14, slowk integer DEFAULT 3, slowd integer DEFAULT 3)
RETURNS ap_stoch_f8_t
AS 'MODULE_PATHNAME', 'ap_stoch'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_stoch(double precision, double precision, double precision, integer, integer, integer) IS
'Slow stochastic oscillator, 0-100 (TA-Lib STOCH with SMA smoothing): raw %K = 100*(close - lowest low)/(highest high - lowest low) over fastk bars (50 on a flat window), k = SMA(raw %K, slowk), d = SMA(k, slowd). Defaults 14, 3, 3. Warm-up: k is NULL for fastk+slowk-2 rows, d for fastk+slowk+slowd-3 rows.';

CREATE FUNCTION ap_stochrsi(x numeric, n integer DEFAULT 14, k integer DEFAULT 14, smooth integer DEFAULT 3)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_stochrsi'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_stochrsi(numeric, integer, integer, integer) IS
'Stochastic RSI, 0-100: 100*(RSI - min RSI)/(max RSI - min RSI) over k bars of ap_rsi(x, n), smoothed by an SMA of smooth bars (smooth = 1 for none); a flat RSI window gives 50. Defaults n = 14, k = 14, smooth = 3. Warm-up: n + k + smooth - 2 rows NULL.';

CREATE FUNCTION ap_stochrsi(x double precision, n integer DEFAULT 14, k integer DEFAULT 14, smooth integer DEFAULT 3)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_stochrsi'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_stochrsi(double precision, integer, integer, integer) IS
'Stochastic RSI, 0-100: 100*(RSI - min RSI)/(max RSI - min RSI) over k bars of ap_rsi(x, n), smoothed by an SMA of smooth bars (smooth = 1 for none); a flat RSI window gives 50. Defaults n = 14, k = 14, smooth = 3. Warm-up: n + k + smooth - 2 rows NULL.';

CREATE FUNCTION ap_willr(high numeric, low numeric, close numeric, n integer DEFAULT 14)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_willr'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_willr(numeric, numeric, numeric, integer) IS
'Williams %R, -100..0: -100*(highest high - close)/(highest high - lowest low) over n bars; a flat window gives -50. Default n = 14. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_willr(high double precision, low double precision, close double precision, n integer DEFAULT 14)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_willr'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_willr(double precision, double precision, double precision, integer) IS
'Williams %R, -100..0: -100*(highest high - close)/(highest high - lowest low) over n bars; a flat window gives -50. Default n = 14. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_cci(high numeric, low numeric, close numeric, n integer DEFAULT 20)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_cci'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_cci(numeric, numeric, numeric, integer) IS
'Commodity channel index: (tp - SMA(tp, n)) / (0.015 * mean absolute deviation of tp around that SMA), tp = (high+low+close)/3 (TA-Lib, Lambert). A window with zero deviation gives 0. Default n = 20. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_cci(high double precision, low double precision, close double precision, n integer DEFAULT 20)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_cci'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_cci(double precision, double precision, double precision, integer) IS
'Commodity channel index: (tp - SMA(tp, n)) / (0.015 * mean absolute deviation of tp around that SMA), tp = (high+low+close)/3 (TA-Lib, Lambert). A window with zero deviation gives 0. Default n = 20. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_mfi(high numeric, low numeric, close numeric, volume numeric, n integer DEFAULT 14)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_mfi'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_mfi(numeric, numeric, numeric, numeric, integer) IS
'Money flow index, 0-100: 100*positive flow/(positive+negative flow) over n bars, flow = typical price * volume, positive when the typical price rose from the bar before, negative when it fell, neither when unchanged (TA-Lib). No flow at all gives 50. Default n = 14. Warm-up: n rows NULL.';

CREATE FUNCTION ap_mfi(high double precision, low double precision, close double precision, volume double precision, n integer DEFAULT 14)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_mfi'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_mfi(double precision, double precision, double precision, double precision, integer) IS
'Money flow index, 0-100: 100*positive flow/(positive+negative flow) over n bars, flow = typical price * volume, positive when the typical price rose from the bar before, negative when it fell, neither when unchanged (TA-Lib). No flow at all gives 50. Default n = 14. Warm-up: n rows NULL.';

CREATE FUNCTION ap_roc(x numeric, n integer DEFAULT 10)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_roc'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_roc(numeric, integer) IS
'Rate of change in percent, 100*(x(t) - x(t-n))/x(t-n) (TA-Lib ROC); exact NUMERIC division. NULL where x(t-n) = 0. Default n = 10. Warm-up: n rows NULL.';

CREATE FUNCTION ap_roc(x double precision, n integer DEFAULT 10)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_roc'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_roc(double precision, integer) IS
'Rate of change in percent, 100*(x(t) - x(t-n))/x(t-n) (TA-Lib ROC); exact NUMERIC division. NULL where x(t-n) = 0. Default n = 10. Warm-up: n rows NULL.';

CREATE FUNCTION ap_mom(x numeric, n integer DEFAULT 10)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_mom'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_mom(numeric, integer) IS
'Momentum x(t) - x(t-n); exact for NUMERIC input. Default n = 10. Warm-up: n rows NULL.';

CREATE FUNCTION ap_mom(x double precision, n integer DEFAULT 10)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_mom'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_mom(double precision, integer) IS
'Momentum x(t) - x(t-n); exact for NUMERIC input. Default n = 10. Warm-up: n rows NULL.';

CREATE FUNCTION ap_cmo(x numeric, n integer DEFAULT 14)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_cmo'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_cmo(numeric, integer) IS
'Chande momentum oscillator, -100..100: 100*(sum of gains - sum of losses)/(sum of gains + sum of losses) over the last n one-bar changes (Chande''s definition, as TTR and pandas-ta; TA-Lib''s variant instead applies Wilder smoothing). A window with no movement gives 0. Default n = 14. Warm-up: n rows NULL.';

CREATE FUNCTION ap_cmo(x double precision, n integer DEFAULT 14)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_cmo'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_cmo(double precision, integer) IS
'Chande momentum oscillator, -100..100: 100*(sum of gains - sum of losses)/(sum of gains + sum of losses) over the last n one-bar changes (Chande''s definition, as TTR and pandas-ta; TA-Lib''s variant instead applies Wilder smoothing). A window with no movement gives 0. Default n = 14. Warm-up: n rows NULL.';

CREATE FUNCTION ap_trix(x numeric, n integer DEFAULT 30)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_trix'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_trix(numeric, integer) IS
'TRIX: one-bar rate of change in percent of a triple SMA-seeded EMA, 100*(E3(t)/E3(t-1) - 1) (TA-Lib). Default n = 30. Warm-up: 3*(n-1)+1 rows NULL.';

CREATE FUNCTION ap_trix(x double precision, n integer DEFAULT 30)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_trix'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_trix(double precision, integer) IS
'TRIX: one-bar rate of change in percent of a triple SMA-seeded EMA, 100*(E3(t)/E3(t-1) - 1) (TA-Lib). Default n = 30. Warm-up: 3*(n-1)+1 rows NULL.';

CREATE FUNCTION ap_ultosc(high numeric, low numeric, close numeric, p1 integer DEFAULT 7, p2 integer DEFAULT 14, p3 integer DEFAULT 28)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_ultosc'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_ultosc(numeric, numeric, numeric, integer, integer, integer) IS
'Ultimate oscillator, 0-100: 100*(4*A1 + 2*A2 + A3)/7 with Ai = sum(buying pressure)/sum(true range) over pi bars, buying pressure = close - min(low, previous close) (TA-Lib); the periods are sorted so the shortest weighs 4. A window with zero true range counts as Ai = 0.5. Defaults 7, 14, 28. Warm-up: max(p1,p2,p3) rows NULL.';

CREATE FUNCTION ap_ultosc(high double precision, low double precision, close double precision, p1 integer DEFAULT 7, p2 integer DEFAULT 14, p3 integer DEFAULT 28)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_ultosc'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_ultosc(double precision, double precision, double precision, integer, integer, integer) IS
'Ultimate oscillator, 0-100: 100*(4*A1 + 2*A2 + A3)/7 with Ai = sum(buying pressure)/sum(true range) over pi bars, buying pressure = close - min(low, previous close) (TA-Lib); the periods are sorted so the shortest weighs 4. A window with zero true range counts as Ai = 0.5. Defaults 7, 14, 28. Warm-up: max(p1,p2,p3) rows NULL.';

CREATE FUNCTION ap_apo(x numeric, fast integer DEFAULT 12, slow integer DEFAULT 26, ma text DEFAULT 'ema')
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_apo'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_apo(numeric, integer, integer, text) IS
'Absolute price oscillator MA(x, fast) - MA(x, slow); ma is ''ema'' (SMA-seeded, the default) or ''sma'' (TA-Lib''s default). Defaults 12, 26; fast < slow. Warm-up: slow-1 rows NULL.';

CREATE FUNCTION ap_apo(x double precision, fast integer DEFAULT 12, slow integer DEFAULT 26, ma text DEFAULT 'ema')
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_apo'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_apo(double precision, integer, integer, text) IS
'Absolute price oscillator MA(x, fast) - MA(x, slow); ma is ''ema'' (SMA-seeded, the default) or ''sma'' (TA-Lib''s default). Defaults 12, 26; fast < slow. Warm-up: slow-1 rows NULL.';

CREATE FUNCTION ap_ppo(x numeric, fast integer DEFAULT 12, slow integer DEFAULT 26, ma text DEFAULT 'ema')
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_ppo'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_ppo(numeric, integer, integer, text) IS
'Percentage price oscillator 100*(MA(x, fast) - MA(x, slow))/MA(x, slow); ma is ''ema'' (default) or ''sma''. NULL where the slow average is 0. Defaults 12, 26; fast < slow. Warm-up: slow-1 rows NULL.';

CREATE FUNCTION ap_ppo(x double precision, fast integer DEFAULT 12, slow integer DEFAULT 26, ma text DEFAULT 'ema')
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_ppo'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_ppo(double precision, integer, integer, text) IS
'Percentage price oscillator 100*(MA(x, fast) - MA(x, slow))/MA(x, slow); ma is ''ema'' (default) or ''sma''. NULL where the slow average is 0. Defaults 12, 26; fast < slow. Warm-up: slow-1 rows NULL.';

CREATE FUNCTION ap_aroon(high numeric, low numeric, n integer DEFAULT 14)
RETURNS ap_aroon_t
AS 'MODULE_PATHNAME', 'ap_aroon'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_aroon(numeric, numeric, integer) IS
'Aroon (TA-Lib), 0-100: up = 100*(n - bars since the highest high)/n and down likewise for the lowest low, over the last n+1 bars (ties go to the most recent bar); oscillator = up - down. Default n = 14. Warm-up: n rows NULL.';

CREATE FUNCTION ap_aroon(high double precision, low double precision, n integer DEFAULT 14)
RETURNS ap_aroon_f8_t
AS 'MODULE_PATHNAME', 'ap_aroon'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_aroon(double precision, double precision, integer) IS
'Aroon (TA-Lib), 0-100: up = 100*(n - bars since the highest high)/n and down likewise for the lowest low, over the last n+1 bars (ties go to the most recent bar); oscillator = up - down. Default n = 14. Warm-up: n rows NULL.';

CREATE FUNCTION ap_adx(high numeric, low numeric, close numeric, n integer DEFAULT 14)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_adx'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_adx(numeric, numeric, numeric, integer) IS
'Average directional index, 0-100 (TA-Lib, TTR): +DI and -DI from Wilder''s smoothed sums of +DM, -DM and true range (the first sum is the n-th value plus (n-1)/n of the n-1 values before it), DX = 100*|+DI - -DI|/(+DI + -DI) (0 when both are 0), ADX = Wilder''s average of DX seeded with the mean of its first n values. Default n = 14. Warm-up: 2n-1 rows NULL.';

CREATE FUNCTION ap_adx(high double precision, low double precision, close double precision, n integer DEFAULT 14)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_adx'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_adx(double precision, double precision, double precision, integer) IS
'Average directional index, 0-100 (TA-Lib, TTR): +DI and -DI from Wilder''s smoothed sums of +DM, -DM and true range (the first sum is the n-th value plus (n-1)/n of the n-1 values before it), DX = 100*|+DI - -DI|/(+DI + -DI) (0 when both are 0), ADX = Wilder''s average of DX seeded with the mean of its first n values. Default n = 14. Warm-up: 2n-1 rows NULL.';

CREATE FUNCTION ap_plus_di(high numeric, low numeric, close numeric, n integer DEFAULT 14)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_plus_di'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_plus_di(numeric, numeric, numeric, integer) IS
'Plus directional indicator, 0-100 (TA-Lib, TTR): 100 * Wilder''s smoothed sum of +DM / Wilder''s smoothed sum of true range, the first sum being the n-th value plus (n-1)/n of the n-1 values before it; 0 when the true range sum is 0. Default n = 14. Warm-up: n rows NULL.';

CREATE FUNCTION ap_plus_di(high double precision, low double precision, close double precision, n integer DEFAULT 14)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_plus_di'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_plus_di(double precision, double precision, double precision, integer) IS
'Plus directional indicator, 0-100 (TA-Lib, TTR): 100 * Wilder''s smoothed sum of +DM / Wilder''s smoothed sum of true range, the first sum being the n-th value plus (n-1)/n of the n-1 values before it; 0 when the true range sum is 0. Default n = 14. Warm-up: n rows NULL.';

CREATE FUNCTION ap_minus_di(high numeric, low numeric, close numeric, n integer DEFAULT 14)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_minus_di'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_minus_di(numeric, numeric, numeric, integer) IS
'Minus directional indicator, 0-100 (TA-Lib, TTR): 100 * Wilder''s smoothed sum of -DM / Wilder''s smoothed sum of true range, the first sum being the n-th value plus (n-1)/n of the n-1 values before it; 0 when the true range sum is 0. Default n = 14. Warm-up: n rows NULL.';

CREATE FUNCTION ap_minus_di(high double precision, low double precision, close double precision, n integer DEFAULT 14)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_minus_di'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_minus_di(double precision, double precision, double precision, integer) IS
'Minus directional indicator, 0-100 (TA-Lib, TTR): 100 * Wilder''s smoothed sum of -DM / Wilder''s smoothed sum of true range, the first sum being the n-th value plus (n-1)/n of the n-1 values before it; 0 when the true range sum is 0. Default n = 14. Warm-up: n rows NULL.';

CREATE FUNCTION ap_atr(high numeric, low numeric, close numeric, n integer DEFAULT 14)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_atr'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_atr(numeric, numeric, numeric, integer) IS
'Average true range with Wilder smoothing, seeded by the simple average of the first n true ranges (TA-Lib; the first bar has no true range). Default n = 14. Warm-up: n rows NULL.';

CREATE FUNCTION ap_atr(high double precision, low double precision, close double precision, n integer DEFAULT 14)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_atr'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_atr(double precision, double precision, double precision, integer) IS
'Average true range with Wilder smoothing, seeded by the simple average of the first n true ranges (TA-Lib; the first bar has no true range). Default n = 14. Warm-up: n rows NULL.';

CREATE FUNCTION ap_natr(high numeric, low numeric, close numeric, n integer DEFAULT 14)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_natr'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_natr(numeric, numeric, numeric, integer) IS
'Normalised ATR in percent, 100*ATR(n)/close (TA-Lib); NULL where close = 0. Default n = 14. Warm-up: n rows NULL.';

CREATE FUNCTION ap_natr(high double precision, low double precision, close double precision, n integer DEFAULT 14)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_natr'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_natr(double precision, double precision, double precision, integer) IS
'Normalised ATR in percent, 100*ATR(n)/close (TA-Lib); NULL where close = 0. Default n = 14. Warm-up: n rows NULL.';

CREATE FUNCTION ap_trange(high numeric, low numeric, close numeric)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_trange'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_trange(numeric, numeric, numeric) IS
'True range max(high, previous close) - min(low, previous close); exact for NUMERIC input. Warm-up: the first row is NULL (no previous close), as in TA-Lib.';

CREATE FUNCTION ap_trange(high double precision, low double precision, close double precision)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_trange'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_trange(double precision, double precision, double precision) IS
'True range max(high, previous close) - min(low, previous close); exact for NUMERIC input. Warm-up: the first row is NULL (no previous close), as in TA-Lib.';

CREATE FUNCTION ap_keltner(high numeric, low numeric, close numeric, n integer DEFAULT 20, mult double precision DEFAULT 2.0, atr_n integer DEFAULT 10)
RETURNS ap_keltner_t
AS 'MODULE_PATHNAME', 'ap_keltner'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_keltner(numeric, numeric, numeric, integer, double precision, integer) IS
'Keltner channels: middle = SMA-seeded EMA(close, n), upper/lower = middle +/- mult * ATR(atr_n) (Wilder). Defaults n = 20, mult = 2, atr_n = 10. Warm-up: max(n-1, atr_n) rows NULL.';

CREATE FUNCTION ap_keltner(high double precision, low double precision, close double precision, n integer DEFAULT 20, mult double precision DEFAULT 2.0, atr_n integer DEFAULT 10)
RETURNS ap_keltner_f8_t
AS 'MODULE_PATHNAME', 'ap_keltner'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_keltner(double precision, double precision, double precision, integer, double precision, integer) IS
'Keltner channels: middle = SMA-seeded EMA(close, n), upper/lower = middle +/- mult * ATR(atr_n) (Wilder). Defaults n = 20, mult = 2, atr_n = 10. Warm-up: max(n-1, atr_n) rows NULL.';

CREATE FUNCTION ap_donchian(high numeric, low numeric, n integer DEFAULT 20)
RETURNS ap_donchian_t
AS 'MODULE_PATHNAME', 'ap_donchian'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_donchian(numeric, numeric, integer) IS
'Donchian channel over the last n bars: upper = highest high, lower = lowest low, middle = (upper+lower)/2; exact for NUMERIC input. Default n = 20. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_donchian(high double precision, low double precision, n integer DEFAULT 20)
RETURNS ap_donchian_f8_t
AS 'MODULE_PATHNAME', 'ap_donchian'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_donchian(double precision, double precision, integer) IS
'Donchian channel over the last n bars: upper = highest high, lower = lowest low, middle = (upper+lower)/2; exact for NUMERIC input. Default n = 20. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_stddev(x numeric, n integer DEFAULT 20, sample boolean DEFAULT false)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_stddev'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_stddev(numeric, integer, boolean) IS
'Rolling standard deviation over n values, population (divide by n, TA-Lib) unless sample is true (divide by n-1, n >= 2). A flat window gives 0. Default n = 20. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_stddev(x double precision, n integer DEFAULT 20, sample boolean DEFAULT false)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_stddev'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_stddev(double precision, integer, boolean) IS
'Rolling standard deviation over n values, population (divide by n, TA-Lib) unless sample is true (divide by n-1, n >= 2). A flat window gives 0. Default n = 20. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_var(x numeric, n integer DEFAULT 20, sample boolean DEFAULT false)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_var'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_var(numeric, integer, boolean) IS
'Rolling variance over n values, population (divide by n, TA-Lib) unless sample is true (divide by n-1, n >= 2). A flat window gives 0. Default n = 20. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_var(x double precision, n integer DEFAULT 20, sample boolean DEFAULT false)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_var'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_var(double precision, integer, boolean) IS
'Rolling variance over n values, population (divide by n, TA-Lib) unless sample is true (divide by n-1, n >= 2). A flat window gives 0. Default n = 20. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_obv(close numeric, volume numeric)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_obv'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_obv(numeric, numeric) IS
'On-balance volume (TA-Lib): starts at the first bar''s volume, then adds the volume when close rises, subtracts it when close falls, and carries it when unchanged; exact for NUMERIC input. No warm-up.';

CREATE FUNCTION ap_obv(close double precision, volume double precision)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_obv'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_obv(double precision, double precision) IS
'On-balance volume (TA-Lib): starts at the first bar''s volume, then adds the volume when close rises, subtracts it when close falls, and carries it when unchanged; exact for NUMERIC input. No warm-up.';

CREATE FUNCTION ap_ad(high numeric, low numeric, close numeric, volume numeric)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_ad'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_ad(numeric, numeric, numeric, numeric) IS
'Chaikin accumulation/distribution line: the running sum of volume*((close-low)-(high-close))/(high-low); a bar with high = low adds 0. For NUMERIC input each bar is one NUMERIC division and the sum is exact. No warm-up.';

CREATE FUNCTION ap_ad(high double precision, low double precision, close double precision, volume double precision)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_ad'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_ad(double precision, double precision, double precision, double precision) IS
'Chaikin accumulation/distribution line: the running sum of volume*((close-low)-(high-close))/(high-low); a bar with high = low adds 0. For NUMERIC input each bar is one NUMERIC division and the sum is exact. No warm-up.';

CREATE FUNCTION ap_adosc(high numeric, low numeric, close numeric, volume numeric, fast integer DEFAULT 3, slow integer DEFAULT 10)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_adosc'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_adosc(numeric, numeric, numeric, numeric, integer, integer) IS
'Chaikin A/D oscillator EMA(AD, fast) - EMA(AD, slow) of the ap_ad line, each EMA SMA-seeded (as TTR chaikinOscillator; TA-Lib seeds with the first value). Defaults 3, 10; fast < slow. Warm-up: slow-1 rows NULL.';

CREATE FUNCTION ap_adosc(high double precision, low double precision, close double precision, volume double precision, fast integer DEFAULT 3, slow integer DEFAULT 10)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_adosc'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_adosc(double precision, double precision, double precision, double precision, integer, integer) IS
'Chaikin A/D oscillator EMA(AD, fast) - EMA(AD, slow) of the ap_ad line, each EMA SMA-seeded (as TTR chaikinOscillator; TA-Lib seeds with the first value). Defaults 3, 10; fast < slow. Warm-up: slow-1 rows NULL.';

CREATE FUNCTION ap_cmf(high numeric, low numeric, close numeric, volume numeric, n integer DEFAULT 20)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_cmf'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_cmf(numeric, numeric, numeric, numeric, integer) IS
'Chaikin money flow: sum of money-flow volume volume*((close-low)-(high-close))/(high-low) over n bars divided by the sum of volume (a bar with high = low contributes 0; a window with zero volume gives 0). Default n = 20. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_cmf(high double precision, low double precision, close double precision, volume double precision, n integer DEFAULT 20)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_cmf'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_cmf(double precision, double precision, double precision, double precision, integer) IS
'Chaikin money flow: sum of money-flow volume volume*((close-low)-(high-close))/(high-low) over n bars divided by the sum of volume (a bar with high = low contributes 0; a window with zero volume gives 0). Default n = 20. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_linreg_slope(x numeric, n integer DEFAULT 14)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_linreg_slope'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_linreg_slope(numeric, integer) IS
'Slope per bar of the least-squares line through the last n values (TA-Lib LINEARREG_SLOPE), n >= 2. Default n = 14. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_linreg_slope(x double precision, n integer DEFAULT 14)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_linreg_slope'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_linreg_slope(double precision, integer) IS
'Slope per bar of the least-squares line through the last n values (TA-Lib LINEARREG_SLOPE), n >= 2. Default n = 14. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_zscore(x numeric, n integer DEFAULT 20)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_zscore'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_zscore(numeric, integer) IS
'Rolling z-score (x - SMA(x, n)) / population standard deviation over the same n values; a flat window gives 0. Default n = 20. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_zscore(x double precision, n integer DEFAULT 20)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_zscore'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_zscore(double precision, integer) IS
'Rolling z-score (x - SMA(x, n)) / population standard deviation over the same n values; a flat window gives 0. Default n = 20. Warm-up: n-1 rows NULL.';

CREATE FUNCTION ap_logret(x numeric, n integer DEFAULT 1)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_logret'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_logret(numeric, integer) IS
'Log return ln(x(t)/x(t-n)); values must be positive (an error otherwise). Default n = 1. Warm-up: n rows NULL.';

CREATE FUNCTION ap_logret(x double precision, n integer DEFAULT 1)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_logret'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_logret(double precision, integer) IS
'Log return ln(x(t)/x(t-n)); values must be positive (an error otherwise). Default n = 1. Warm-up: n rows NULL.';

CREATE FUNCTION ap_psar(high numeric, low numeric, accel double precision DEFAULT 0.02, max_accel double precision DEFAULT 0.2)
RETURNS numeric
AS 'MODULE_PATHNAME', 'ap_psar'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_psar(numeric, numeric, double precision, double precision) IS
'Parabolic SAR (TA-Lib SAR): the first direction is short if the second bar''s minus DM is positive, otherwise long; the acceleration factor starts at accel, grows by accel at each new extreme up to max_accel; the SAR never enters the last two bars'' range. Defaults 0.02, 0.2. Warm-up: the first row is NULL.';

CREATE FUNCTION ap_psar(high double precision, low double precision, accel double precision DEFAULT 0.02, max_accel double precision DEFAULT 0.2)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_psar'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ap_psar(double precision, double precision, double precision, double precision) IS
'Parabolic SAR (TA-Lib SAR): the first direction is short if the second bar''s minus DM is positive, otherwise long; the acceleration factor starts at accel, grows by accel at each new extreme up to max_accel; the SAR never enters the last two bars'' range. Defaults 0.02, 0.2. Warm-up: the first row is NULL.';

-- END functions
-- BEGIN models
-- Feature sets, feature rows, the run log, the model registry and signals.
-- Functions that touch XGBoost run only in backends (never at load time).

CREATE FUNCTION alphapulse.feature_names(features text[])
RETURNS text[]
AS 'MODULE_PATHNAME', 'ap_feature_names'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION alphapulse.feature_names(text[]) IS
'Validates feature items written kind[:p1[:p2[:p3]]] (e.g. rsi:14) and returns their column names (rsi_14); an unknown kind or a wrong parameter count is an error listing the valid kinds';

CREATE TABLE alphapulse.feature_sets (
	name			text PRIMARY KEY
					CONSTRAINT feature_sets_name_format
					CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'::text),
	spec			jsonb NOT NULL,
	features		text[] NOT NULL,
	feature_names	text[] NOT NULL,
	horizon			integer NOT NULL CHECK (horizon BETWEEN 1 AND 10000),
	target_kind		text NOT NULL CHECK (target_kind IN ('classification', 'regression')),
	threshold		double precision NOT NULL DEFAULT 0,
	created			timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE alphapulse.feature_sets IS 'Named feature sets: feature items, their column names and the target (horizon h bars; classification: forward log return > threshold; regression: the forward log return)';

CREATE TABLE alphapulse.features (
	symbol		text NOT NULL
				REFERENCES alphapulse.assets (symbol) ON UPDATE CASCADE ON DELETE CASCADE,
	feature_set	text NOT NULL
				REFERENCES alphapulse.feature_sets (name) ON DELETE CASCADE,
	ts			timestamptz NOT NULL,
	x			double precision[] NOT NULL,
	target		double precision,
	fwd_return	double precision,
	PRIMARY KEY (symbol, feature_set, ts)
);
COMMENT ON TABLE alphapulse.features IS 'One row per bar and feature set: x in the order of feature_sets.feature_names (NULL element: no value yet, warm-up); target and fwd_return (ln(close[t+h]/close[t])) are NULL for the last h bars, which are scored but never trained on';

CREATE FUNCTION ap_feature_set(name text, spec jsonb)
RETURNS text[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	items text[];
	names text[];
	tgt jsonb := coalesce(spec -> 'target', '{}'::jsonb);
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
	SELECT k INTO bad FROM jsonb_object_keys(spec) k WHERE k NOT IN ('features', 'target');
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'unknown feature set key "%"', bad
			USING ERRCODE = '22023', HINT = 'Valid keys: features, target.';
	END IF;
	SELECT k INTO bad FROM jsonb_object_keys(tgt) k WHERE k NOT IN ('horizon', 'type', 'threshold');
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'unknown target key "%"', bad
			USING ERRCODE = '22023', HINT = 'Valid keys: horizon, type, threshold.';
	END IF;
	IF EXISTS (SELECT FROM jsonb_array_elements(spec -> 'features') e WHERE jsonb_typeof(e) <> 'string') THEN
		RAISE EXCEPTION 'feature items must be strings such as "rsi:14"' USING ERRCODE = '22023';
	END IF;
	items := ARRAY(SELECT jsonb_array_elements_text(spec -> 'features'));
	names := alphapulse.feature_names(items);
	BEGIN
		h := coalesce((tgt ->> 'horizon')::integer, 1);
		thr := coalesce((tgt ->> 'threshold')::double precision, 0);
	EXCEPTION WHEN data_exception THEN
		RAISE EXCEPTION 'target horizon must be an integer and threshold a number' USING ERRCODE = '22023';
	END;
	kind := coalesce(tgt ->> 'type', 'classification');
	IF h < 1 OR h > 10000 THEN
		RAISE EXCEPTION 'target horizon must be between 1 and 10000 bars' USING ERRCODE = '22023',
			DETAIL = format('It was %s.', h);
	END IF;
	IF kind NOT IN ('classification', 'regression') THEN
		RAISE EXCEPTION 'unknown target type "%"', kind USING ERRCODE = '22023',
			HINT = 'Valid types: classification, regression.';
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
'Creates or replaces a named feature set from {"features": ["kind[:p...]", ...], "target": {"horizon": h (default 1), "type": "classification" (forward log return > threshold) | "regression" (forward log return), "threshold": 0}}; returns the feature column names. A set with features or models cannot change (55006).';

CREATE FUNCTION ap_build_features(symbol text, feature_set text DEFAULT 'default')
RETURNS bigint
AS 'MODULE_PATHNAME', 'ap_build_features'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION ap_build_features(text, text) IS
'Computes a feature set over all bars of a symbol in one C pass (the indicator kernels, from the first bar) and inserts the rows after the last stored one, filling targets that became known; returns the number of rows added (0 at once when no bar is newer than the last row). Bars inserted or changed before the last built row are not picked up: delete the symbol''s rows of the set to rebuild.';

CREATE VIEW alphapulse.feature_values AS
SELECT f.symbol, f.feature_set, f.ts, n.feature, f.x[n.i] AS value, f.target
FROM alphapulse.features f
JOIN alphapulse.feature_sets s ON s.name = f.feature_set
CROSS JOIN LATERAL pg_catalog.unnest(s.feature_names) WITH ORDINALITY AS n(feature, i);
COMMENT ON VIEW alphapulse.feature_values IS 'Features in long form by name (symbol, feature set, ts, feature, value) for BI tools';

CREATE TABLE alphapulse.runs (
	id				bigserial PRIMARY KEY,
	symbol			text NOT NULL,
	feature_set		text,
	algorithm		text,
	mode			text,
	status			text NOT NULL CHECK (status IN ('succeeded', 'failed')),
	sqlstate		text,
	message			text,
	params			jsonb,
	seed			bigint,
	splits			jsonb,
	fold_metrics	jsonb,
	learning_curves	jsonb,
	trials			jsonb,
	holdout_metrics	jsonb,
	data_from		timestamptz,
	data_to			timestamptz,
	n_rows			integer,
	n_train			integer,
	n_holdout		integer,
	model_id		bigint,
	versions		jsonb,
	started			timestamptz NOT NULL,
	finished		timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	duration_ms		double precision,
	durations		jsonb
);
CREATE INDEX runs_symbol_idx ON alphapulse.runs (symbol, id);
COMMENT ON TABLE alphapulse.runs IS 'Every ap_train attempt: parameters, seed, splits (row ranges and timestamps), fold metrics, learning curves, search trials, holdout metrics, data window, row counts, durations (total and per phase: features, load, cv, refit in ms), library versions; failures with their SQLSTATE and message';

CREATE TABLE alphapulse.models (
	id				bigserial PRIMARY KEY,
	symbol			text NOT NULL
					REFERENCES alphapulse.assets (symbol) ON UPDATE CASCADE ON DELETE CASCADE,
	version			integer NOT NULL,
	algorithm		text NOT NULL CHECK (algorithm IN ('xgboost', 'ridge', 'lasso', 'logistic')),
	feature_set		text NOT NULL REFERENCES alphapulse.feature_sets (name),
	feature_names	text[] NOT NULL,
	task			text NOT NULL CHECK (task IN ('classification', 'regression')),
	params			jsonb NOT NULL,
	n_rounds		integer,
	train_from		timestamptz NOT NULL,
	train_to		timestamptz NOT NULL,
	holdout_from	timestamptz NOT NULL,
	holdout_to		timestamptz NOT NULL,
	cv_metrics		jsonb,
	metrics			jsonb NOT NULL,
	model			bytea,
	model_sha256	bytea,
	coefficients	jsonb,
	feature_stats	jsonb NOT NULL,
	stage			text NOT NULL CHECK (stage IN ('challenger', 'champion', 'archived')),
	run_id			bigint,
	created			timestamptz NOT NULL DEFAULT pg_catalog.now(),
	promoted		timestamptz,
	CONSTRAINT models_symbol_version_key UNIQUE (symbol, version),
	CONSTRAINT models_has_model CHECK ((algorithm = 'xgboost') = (model_sha256 IS NOT NULL)
									   AND (algorithm = 'xgboost') = (model IS NOT NULL)
									   AND (algorithm <> 'xgboost') = (coefficients IS NOT NULL))
);
-- at most one champion per symbol; the constraint trigger below adds "at least one"
CREATE UNIQUE INDEX models_one_champion ON alphapulse.models (symbol) WHERE stage = 'champion';
COMMENT ON TABLE alphapulse.models IS 'Model registry: version per symbol, algorithm, feature set and names, training and holdout windows, CV and holdout metrics, the model (XGBoost UBJ bytes, with their SHA-256 checked before every load so a damaged blob is an error and never reaches the parser, or linear coefficients on standardised features), training-data statistics of each feature (for drift checks), stage challenger/champion/archived; exactly one champion per symbol that has models';

-- Checked at commit: every symbol touched that still has models has one champion.
CREATE FUNCTION alphapulse.models_check_champion()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	s text := CASE WHEN TG_OP = 'DELETE' THEN OLD.symbol ELSE NEW.symbol END;
BEGIN
	IF EXISTS (SELECT FROM alphapulse.models WHERE symbol = s)
	   AND NOT EXISTS (SELECT FROM alphapulse.models WHERE symbol = s AND stage = 'champion') THEN
		RAISE EXCEPTION 'symbol "%" would have no champion model', s USING ERRCODE = '23514',
			HINT = 'Promote another model with ap_promote(model_id) in the same transaction.';
	END IF;
	RETURN NULL;
END
$fn$;
CREATE CONSTRAINT TRIGGER models_one_champion_check
AFTER INSERT OR UPDATE OR DELETE ON alphapulse.models
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION alphapulse.models_check_champion();

-- Registry changes invalidate the per-backend model caches of every session,
-- delivered when this transaction commits (relcache invalidation).
CREATE FUNCTION alphapulse.models_invalidate()
RETURNS trigger
AS 'MODULE_PATHNAME', 'ap_models_invalidate'
LANGUAGE C;
CREATE TRIGGER models_invalidate
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON alphapulse.models
FOR EACH STATEMENT EXECUTE FUNCTION alphapulse.models_invalidate();

-- symbol has no foreign key of its own: model_id's (to a model of the same
-- symbol) already ties the row to its asset, and a second per-row check
-- would cost a third of a 200k-row ap_score
CREATE TABLE alphapulse.signals (
	symbol		text NOT NULL,
	ts			timestamptz NOT NULL,
	model_id	bigint NOT NULL REFERENCES alphapulse.models (id) ON DELETE CASCADE,
	score		double precision NOT NULL,
	signal		text NOT NULL CHECK (signal IN ('BUY', 'SELL', 'HOLD')),
	created		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (symbol, ts, model_id)
);
COMMENT ON TABLE alphapulse.signals IS 'Scores of feature rows by a model (probability of "up" for classification, forward log return for regression) and the signal from the thresholds of ap_score';

CREATE FUNCTION ap_promote(model_id bigint)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	m alphapulse.models;
BEGIN
	SELECT * INTO m FROM alphapulse.models WHERE id = model_id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'model % does not exist', model_id USING ERRCODE = '42704';
	END IF;
	-- serialise promotions of one symbol
	PERFORM FROM alphapulse.models WHERE symbol = m.symbol FOR UPDATE;
	IF m.stage = 'champion' THEN
		RETURN m.id;
	END IF;
	UPDATE alphapulse.models SET stage = 'archived' WHERE symbol = m.symbol AND stage = 'champion';
	UPDATE alphapulse.models SET stage = 'champion', promoted = pg_catalog.now() WHERE id = m.id;
	RETURN m.id;
END
$fn$;
COMMENT ON FUNCTION ap_promote(bigint) IS 'Makes a model the champion of its symbol; the previous champion is archived. Returns the model id.';

CREATE FUNCTION ap_rollback(symbol text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	cur alphapulse.models;
	prev bigint;
BEGIN
	PERFORM FROM alphapulse.models m WHERE m.symbol = ap_rollback.symbol FOR UPDATE;
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
	RETURN prev;
END
$fn$;
COMMENT ON FUNCTION ap_rollback(text) IS 'Demotes the champion of a symbol (to archived) and restores the most recently promoted earlier champion; returns its id';

-- The default set: 40 features, next-bar direction.
SELECT @extschema@.ap_feature_set('default', '{"features": ["ret:1", "ret:2", "ret:4", "ret:8", "ret:24", "ret_lag:1", "ret_lag:2", "sma_ratio:10", "sma_ratio:50", "ema_ratio:20", "rsi:7", "rsi:14", "macd:12:26:9", "macd_hist:12:26:9", "bb_pctb:20:2", "bb_width:20:2", "atr_pct:14", "adx:14", "plus_di:14", "minus_di:14", "stoch_k:14:3:3", "stoch_d:14:3:3", "willr:14", "cci:20", "mfi:14", "roc:10", "cmo:14", "ultosc:7:14:28", "ppo:12:26", "aroon_osc:25", "zscore:20", "stddev_ret:24", "vol_z:20", "vol_ratio:20", "cmf:20", "hl_range", "co_ret", "donchian_pos:20", "hour_sin", "hour_cos"], "target": {"horizon": 1, "type": "classification", "threshold": 0}}'::jsonb);

CREATE VIEW alphapulse.features_default AS
SELECT symbol, ts,
	x[1] AS ret_1,
	x[2] AS ret_2,
	x[3] AS ret_4,
	x[4] AS ret_8,
	x[5] AS ret_24,
	x[6] AS ret_lag_1,
	x[7] AS ret_lag_2,
	x[8] AS sma_ratio_10,
	x[9] AS sma_ratio_50,
	x[10] AS ema_ratio_20,
	x[11] AS rsi_7,
	x[12] AS rsi_14,
	x[13] AS macd_12_26_9,
	x[14] AS macd_hist_12_26_9,
	x[15] AS bb_pctb_20_2,
	x[16] AS bb_width_20_2,
	x[17] AS atr_pct_14,
	x[18] AS adx_14,
	x[19] AS plus_di_14,
	x[20] AS minus_di_14,
	x[21] AS stoch_k_14_3_3,
	x[22] AS stoch_d_14_3_3,
	x[23] AS willr_14,
	x[24] AS cci_20,
	x[25] AS mfi_14,
	x[26] AS roc_10,
	x[27] AS cmo_14,
	x[28] AS ultosc_7_14_28,
	x[29] AS ppo_12_26,
	x[30] AS aroon_osc_25,
	x[31] AS zscore_20,
	x[32] AS stddev_ret_24,
	x[33] AS vol_z_20,
	x[34] AS vol_ratio_20,
	x[35] AS cmf_20,
	x[36] AS hl_range,
	x[37] AS co_ret,
	x[38] AS donchian_pos_20,
	x[39] AS hour_sin,
	x[40] AS hour_cos,
	target, fwd_return
FROM alphapulse.features WHERE feature_set = 'default';
COMMENT ON VIEW alphapulse.features_default IS 'The default feature set laid out by name, one column per feature';

CREATE FUNCTION ap_train(symbol text, mode text DEFAULT 'fast', algorithm text DEFAULT 'xgboost',
	params jsonb DEFAULT '{}', feature_set text DEFAULT 'default')
RETURNS bigint
AS 'MODULE_PATHNAME', 'ap_train'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ap_train(text, text, text, jsonb, text) IS
'Builds the symbol''s features (incrementally), then trains on rows with known targets in time order: the last holdout share (default 0.2) is an out-of-time holdout, preceded by a gap of at least the target horizon; the rest is split into expanding walk-forward folds (fast: 1, full: 4), each validation block gap bars after its training rows. XGBoost (hist, early stopping per fold after early_stopping_rounds without improvement, 0 = all num_round rounds; learning curves) or ridge/lasso/logistic by coordinate descent on training-only standardisation. full runs a seeded random search (trials, default 12) scored by the mean validation log loss (rmse for regression). The chosen model is refit on all pre-holdout rows, scored once on the holdout (classification and trading metrics), registered in alphapulse.models (champion if the symbol has none) and logged in alphapulse.runs. Returns the model id.';

CREATE FUNCTION ap_predict(symbol text, x double precision[])
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_predict_symbol'
LANGUAGE C STRICT STABLE;
COMMENT ON FUNCTION ap_predict(text, double precision[]) IS
'Prediction of the symbol''s champion for one feature vector in the order of its feature set''s feature_names (NULL element: missing, XGBoost only): the probability of "up" for classification, the forward log return for regression. Models are cached per backend; a registry change invalidates the cache of every session when it commits.';

CREATE FUNCTION ap_predict(model_id bigint, x double precision[])
RETURNS double precision
AS 'MODULE_PATHNAME', 'ap_predict_model'
LANGUAGE C STRICT STABLE;
COMMENT ON FUNCTION ap_predict(bigint, double precision[]) IS
'Prediction of a given registered model for one feature vector (see ap_predict(text, double precision[]))';

CREATE FUNCTION ap_explain(symbol text, x double precision[])
RETURNS TABLE (feature text, contribution double precision)
AS 'MODULE_PATHNAME', 'ap_explain'
LANGUAGE C STRICT STABLE;
COMMENT ON FUNCTION ap_explain(text, double precision[]) IS
'Each feature''s contribution to the champion''s prediction in margin units (log-odds for classification), plus a (bias) row; they sum to the margin. XGBoost: SHAP values (pred_contribs); linear: coefficient times standardised value.';

CREATE FUNCTION ap_score(symbol text, since timestamptz DEFAULT '-infinity', buy double precision DEFAULT NULL,
	sell double precision DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'ap_score'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ap_score(text, timestamptz, double precision, double precision) IS
'Builds the symbol''s features (incrementally) and scores every row from since with complete features by the champion into alphapulse.signals (upsert): BUY when the score is above buy (default 0.55 for classification, 0 for regression), SELL below sell (0.45 / 0), else HOLD. Returns the number of rows scored.';

CREATE VIEW alphapulse.champions AS
SELECT m.symbol, m.id AS model_id, m.version, m.algorithm, m.feature_set, m.promoted,
	m.holdout_from, m.holdout_to, m.metrics AS holdout_metrics, m.cv_metrics
FROM alphapulse.models m WHERE m.stage = 'champion';
COMMENT ON VIEW alphapulse.champions IS 'The champion model of each symbol with its out-of-time holdout metrics';

GRANT SELECT ON alphapulse.feature_sets, alphapulse.features, alphapulse.runs, alphapulse.models,
	alphapulse.signals, alphapulse.feature_values, alphapulse.features_default, alphapulse.champions
	TO alphapulse_reader;
GRANT INSERT, UPDATE, DELETE ON alphapulse.feature_sets, alphapulse.features, alphapulse.runs,
	alphapulse.models, alphapulse.signals TO alphapulse_writer;
GRANT USAGE ON SEQUENCE alphapulse.runs_id_seq, alphapulse.models_id_seq TO alphapulse_writer;
GRANT ALL ON alphapulse.feature_sets, alphapulse.features, alphapulse.runs, alphapulse.models,
	alphapulse.signals TO alphapulse_admin;
SELECT pg_catalog.pg_extension_config_dump('alphapulse.feature_sets', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.features', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.runs', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.runs_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.models', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.models_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.signals', '');
-- END models
-- BEGIN feeds
-- HTTP feeds: definitions, their secrets, the run log, news, and the
-- functions that fetch.  Network functions are revoked from PUBLIC.

CREATE TABLE alphapulse.feeds (
	name			text PRIMARY KEY
					CONSTRAINT feeds_name_format CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'::text),
	kind			text NOT NULL
					CONSTRAINT feeds_kind CHECK (kind = ANY (ARRAY['price'::text, 'news'::text])),
	format			text NOT NULL
					CONSTRAINT feeds_format CHECK (format = ANY (ARRAY['binance'::text, 'coinbase'::text,
						'kraken'::text, 'coingecko'::text, 'yahoo'::text, 'rss'::text])),
	url				text NOT NULL,
	symbol			text REFERENCES alphapulse.assets (symbol) ON UPDATE CASCADE ON DELETE CASCADE,
	options			jsonb NOT NULL DEFAULT '{}'::jsonb,
	cursor_ts		timestamptz,
	last_success	timestamptz,
	last_error_at	timestamptz,
	last_error		text,
	consecutive_failures integer NOT NULL DEFAULT 0,
	rows_landed		bigint NOT NULL DEFAULT 0,
	created			timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT feeds_kind_fits_format CHECK ((kind = 'news'::text) = (format = 'rss'::text)),
	CONSTRAINT feeds_price_has_symbol CHECK (kind = 'news'::text OR symbol IS NOT NULL)
);
COMMENT ON TABLE alphapulse.feeds IS 'HTTP feeds (add with ap_add_feed) and their progress: the cursor and status counters';
COMMENT ON COLUMN alphapulse.feeds.format IS 'binance, coinbase, kraken, coingecko, yahoo (bars) or rss (RSS 2.0 and Atom news)';
COMMENT ON COLUMN alphapulse.feeds.url IS 'Base URL; paging parameters (startTime/limit, start/end/granularity, since, from/to, period1/period2) are appended';
COMMENT ON COLUMN alphapulse.feeds.options IS 'start, end (timestamps: first bar wanted, first bar not wanted), page_size (bars per request); rss: keywords {"word": "symbol"}';
COMMENT ON COLUMN alphapulse.feeds.cursor_ts IS 'Start of the last closed bar landed (news: newest item published); moves in the same transaction as the rows';
COMMENT ON COLUMN alphapulse.feeds.consecutive_failures IS 'Failed attempts since the last successful one';
COMMENT ON COLUMN alphapulse.feeds.rows_landed IS 'Rows inserted or changed by this feed, all time';

-- API keys: sent as HTTP headers, readable by admins only.
CREATE TABLE alphapulse.feed_secrets (
	feed		text PRIMARY KEY REFERENCES alphapulse.feeds (name) ON UPDATE CASCADE ON DELETE CASCADE,
	headers		jsonb NOT NULL
				CONSTRAINT feed_secrets_headers_object CHECK (pg_catalog.jsonb_typeof(headers) = 'object'::text)
);
COMMENT ON TABLE alphapulse.feed_secrets IS 'HTTP headers (e.g. {"X-MBX-APIKEY": "..."}) sent with a feed''s requests, only to its own host; admins only';

CREATE TABLE alphapulse.feed_runs (
	id			bigserial PRIMARY KEY,
	feed		text NOT NULL REFERENCES alphapulse.feeds (name) ON UPDATE CASCADE ON DELETE CASCADE,
	started		timestamptz NOT NULL,
	finished	timestamptz NOT NULL,
	url			text NOT NULL,
	http_status	integer,
	rows_landed	bigint NOT NULL,
	message		text,
	via			text NOT NULL CONSTRAINT feed_runs_via CHECK (via = ANY (ARRAY['now'::text, 'worker'::text]))
);
CREATE INDEX feed_runs_feed_id ON alphapulse.feed_runs (feed, id);
COMMENT ON TABLE alphapulse.feed_runs IS 'One row per HTTP attempt: status, rows landed, and the error message (NULL when it succeeded)';
COMMENT ON COLUMN alphapulse.feed_runs.via IS 'now: ap_ingest_now in a backend; worker: the background worker';

CREATE TABLE alphapulse.news (
	guid		text PRIMARY KEY,
	feed		text NOT NULL,
	title		text,
	link		text,
	published	timestamptz,
	summary		text,
	source		text,
	symbols		text[] NOT NULL DEFAULT '{}'::text[],
	fetched		timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX news_published ON alphapulse.news (published);
COMMENT ON TABLE alphapulse.news IS 'News items from RSS 2.0 / Atom feeds, de-duplicated by guid (Atom id; link or title when absent)';
COMMENT ON COLUMN alphapulse.news.symbols IS 'Symbols the item mentions (feed keyword map, whole words in title and summary, case-insensitive), plus the feed''s own symbol';
COMMENT ON COLUMN alphapulse.news.source IS 'Title of the channel or feed the item came from';

-- Work for the background worker: ap_ingest adds a row and wakes the worker
-- at commit; the worker deletes the row with the feed's last page.
CREATE TABLE alphapulse.feed_queue (
	id			bigserial PRIMARY KEY,
	feed		text NOT NULL REFERENCES alphapulse.feeds (name) ON UPDATE CASCADE ON DELETE CASCADE,
	requested	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	not_before	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX feed_queue_feed ON alphapulse.feed_queue (feed);
COMMENT ON TABLE alphapulse.feed_queue IS 'Feed runs waiting for or being served by the worker (rows leave when the run ends)';

CREATE VIEW alphapulse.feed_status AS
SELECT f.name, f.kind, f.format, f.symbol, f.cursor_ts, f.last_success,
	   f.last_error_at, f.last_error, f.consecutive_failures, f.rows_landed,
	   (SELECT pg_catalog.count(*) FROM alphapulse.feed_queue q WHERE q.feed = f.name) AS queued
FROM alphapulse.feeds f;
COMMENT ON VIEW alphapulse.feed_status IS 'Per feed: cursor, last success, last error, consecutive failures, rows landed, queued runs';

CREATE FUNCTION ap_add_feed(name text, kind text, format text, url text,
							symbol text DEFAULT NULL, options jsonb DEFAULT '{}'::jsonb)
RETURNS void
AS 'MODULE_PATHNAME', 'ap_add_feed'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ap_add_feed(text, text, text, text, text, jsonb) IS
'Register a feed. kind price (symbol required, an existing asset) or news; format binance, coinbase, kraken, coingecko, yahoo or rss; url http(s) on a host in alphapulse.allowed_hosts; options start, end, page_size (coinbase at most 300), or keywords for rss. coingecko market_chart prices become bars with open = high = low = close and volume 0.';

CREATE FUNCTION ap_remove_feed(name text)
RETURNS void
AS 'MODULE_PATHNAME', 'ap_remove_feed'
LANGUAGE C VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ap_remove_feed(text) IS 'Remove a feed with its secret, run log, queued runs and pg_cron job; bars and news it landed stay.';

CREATE FUNCTION ap_ingest_now(feed text, OUT requests integer, OUT rows_landed bigint,
							  OUT ok boolean, OUT message text)
RETURNS record
AS 'MODULE_PATHNAME', 'ap_ingest_now'
LANGUAGE C VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ap_ingest_now(text) IS
'Fetch a feed synchronously in this session, page by page until caught up (each page and the cursor land together; a bad page lands nothing). Retries 5xx, 429 (honouring Retry-After) and timeouts with exponential backoff and jitter, up to alphapulse.max_retries; a failure is returned (ok false, message) and logged in alphapulse.feed_runs, not raised.';

CREATE FUNCTION ap_ingest(feed text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'ap_ingest'
LANGUAGE C VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ap_ingest(text) IS
'Queue a feed for the background worker and return the queue id at once; the worker is woken when this transaction commits and runs the feed until caught up, from its cursor. Needs alphapulse in shared_preload_libraries, and works in the database named by alphapulse.database.';

CREATE FUNCTION ap_feed_parse(format text, body text, options jsonb DEFAULT '{}'::jsonb,
							  bar interval DEFAULT '1 hour'::interval,
							  now timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (ts timestamptz, open numeric, high numeric, low numeric, close numeric,
			   volume numeric, closed boolean)
AS 'MODULE_PATHNAME', 'ap_feed_parse'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ap_feed_parse(text, text, jsonb, interval, timestamptz) IS
'The bars a price-feed response body would land, without network or tables (for checking a feed''s output). Prices and volumes are numeric_in of the response text; closed says whether the bar had ended at now (binance: closeTime < now; kraken: every entry but the last; others: ts + bar <= now). Errors are those a run would log.';

CREATE FUNCTION ap_feed_parse_news(body text, options jsonb DEFAULT '{}'::jsonb)
RETURNS TABLE (guid text, title text, link text, published timestamptz, summary text,
			   source text, symbols text[])
AS 'MODULE_PATHNAME', 'ap_feed_parse_news'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ap_feed_parse_news(text, jsonb) IS
'The items an RSS 2.0 or Atom body would land, without network or tables; options may hold keywords {"word": "symbol"}. DTDs are refused; no entity is expanded and nothing is fetched.';

-- pg_cron is optional: looked up when called, not when the extension is created.
CREATE FUNCTION ap_schedule_feed(feed text, schedule text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
	IF NOT EXISTS (SELECT FROM alphapulse.feeds f WHERE f.name = feed) THEN
		RAISE EXCEPTION USING ERRCODE = 'undefined_object',
			MESSAGE = pg_catalog.format('feed "%s" does not exist', feed);
	END IF;
	IF pg_catalog.to_regprocedure('cron.schedule(text,text,text)') IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
			MESSAGE = 'pg_cron is not installed in this database',
			HINT = 'CREATE EXTENSION pg_cron in the database named by cron.database_name.';
	END IF;
	-- the name is a checked identifier (feeds_name_format) and is quoted as a literal
	RETURN cron.schedule('alphapulse_feed_' || feed, schedule,
						 pg_catalog.format('SELECT %I.ap_ingest(%L)', '@extschema@', feed));
END
$fn$;
COMMENT ON FUNCTION ap_schedule_feed(text, text) IS
'Schedule ap_ingest(feed) with pg_cron (job alphapulse_feed_<feed>, replaced if it exists) and return the cron job id; schedule is a cron expression. ap_remove_feed unschedules it.';

REVOKE ALL ON FUNCTION ap_add_feed(text, text, text, text, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION ap_remove_feed(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ap_ingest_now(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ap_ingest(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ap_schedule_feed(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ap_add_feed(text, text, text, text, text, jsonb) TO alphapulse_admin;
GRANT EXECUTE ON FUNCTION ap_remove_feed(text) TO alphapulse_admin;
GRANT EXECUTE ON FUNCTION ap_ingest_now(text) TO alphapulse_writer;
GRANT EXECUTE ON FUNCTION ap_ingest(text) TO alphapulse_writer;
GRANT EXECUTE ON FUNCTION ap_schedule_feed(text, text) TO alphapulse_admin;
REVOKE ALL ON FUNCTION ap_feed_parse(text, text, jsonb, interval, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION ap_feed_parse_news(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ap_feed_parse(text, text, jsonb, interval, timestamptz) TO alphapulse_reader;
GRANT EXECUTE ON FUNCTION ap_feed_parse_news(text, jsonb) TO alphapulse_reader;

GRANT SELECT ON alphapulse.feeds, alphapulse.feed_runs, alphapulse.feed_queue, alphapulse.news, alphapulse.feed_status TO alphapulse_reader;
GRANT UPDATE (options, url) ON alphapulse.feeds TO alphapulse_admin;
GRANT DELETE ON alphapulse.feed_runs, alphapulse.news TO alphapulse_admin;
GRANT ALL ON alphapulse.feed_secrets TO alphapulse_admin;

SELECT pg_catalog.pg_extension_config_dump('alphapulse.feeds', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.feed_secrets', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.news', '');
-- END feeds
