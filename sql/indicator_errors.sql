-- Bad input to the indicator window functions: each case names the problem
-- and carries a SQLSTATE.
\set VERBOSITY default
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS alphapulse;
RESET client_min_messages;
\set SHOW_CONTEXT never
CREATE TEMP TABLE px (ts int, x numeric, f float8, h numeric, l numeric);
INSERT INTO px SELECT i, 100 + i, 100 + i, 101 + i, 99 + i FROM generate_series(1, 10) i;

-- periods must be positive and not absurd
SELECT ap_sma(x, 0) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_rsi(x, -3) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_ema(x, 2000000000) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_sma(x, NULL) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- some need two values
SELECT ap_hma(x, 1) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_linreg_slope(x, 1) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_stddev(x, 1, sample => true) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- a period may not change between the rows of a partition
SELECT ap_sma(x, ts % 3 + 1) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- fast must be shorter than slow
SELECT (ap_macd(x, 26, 12, 9) OVER (ORDER BY ts)).macd FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_apo(x, 10, 10) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_kama(x, 10, 30, 2) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_adosc(h, l, x, x, 10, 3) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_ppo(x, 12, 26, 'wma') OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- multipliers and accelerations must be in range
SELECT (ap_bbands(x, 5, -1) OVER (ORDER BY ts)).upper FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT (ap_bbands(x, 5, 'NaN') OVER (ORDER BY ts)).upper FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_psar(h, l, 0.2, 0.02) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_psar(h, l, 0, 0.2) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- NaN and infinities are not prices: an error, not a silent NULL
UPDATE px SET f = 'NaN', x = 'NaN' WHERE ts = 4;
SELECT ap_ema(f, 3) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_ema(x, 3) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE px SET f = '-Infinity', x = 'Infinity' WHERE ts = 4;
SELECT ap_rsi(f, 3) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_sma(x, 3) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- NUMERIC beyond the range the kernels compute in is refused, not rounded to infinity
SELECT ap_ema(v, 2) OVER (ORDER BY i) FROM (VALUES (1, 1e5000::numeric), (2, 1)) AS t(i, v);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- NULL is the way to say missing
UPDATE px SET f = NULL, x = NULL WHERE ts = 4;
SELECT ts, ap_sma(x, 3) OVER w AS sma, ap_sma(f, 3) OVER w AS sma_f8
FROM px WINDOW w AS (ORDER BY ts) ORDER BY ts;

-- log returns need positive prices
UPDATE px SET x = 0 WHERE ts = 6;
SELECT ap_logret(x) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- wrong argument counts and types are rejected by the parser
SELECT ap_rsi() OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_atr(h, l) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_sma(x, 5, 7) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT ap_sma('abc'::text, 5) OVER (ORDER BY ts) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- they are window functions
SELECT ap_sma(x, 5) FROM px;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
