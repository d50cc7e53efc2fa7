-- Golden test: every indicator over TTR's ttrc data set (5550 daily bars) against
-- values from an independent implementation, R's TTR package (plus two own R ports
-- of TA-Lib's KAMA and SAR, checked against TA-Lib itself); fixtures and how they
-- were made: test/fixtures/README.md.  Run from the repository root (\copy paths).
\set ECHO none
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;

BEGIN;

CREATE TEMP TABLE ttrc (
	row int PRIMARY KEY, date date,
	open numeric, high numeric, low numeric, close numeric, volume numeric);
\copy ttrc FROM 'test/fixtures/ttrc.csv' WITH (FORMAT csv, HEADER true)
-- The same bars as double precision (text -> float8 is correctly rounded, so these
-- are the very doubles TTR computed on).
CREATE TEMP TABLE ttrc_f8 AS
	SELECT row, date, open::float8 AS open, high::float8 AS high, low::float8 AS low,
		close::float8 AS close, volume::float8 AS volume
	FROM ttrc;

-- value is numeric so that TTR's 17 significant digits are kept exactly.
CREATE TEMP TABLE golden (
	indicator text, field text, row int, value numeric,
	PRIMARY KEY (indicator, field, row));
-- Generated at test time from test/fixtures/gen_ttr.R with the pinned TTR and
-- checked against test/fixtures/ttr_golden.sha256 (missing if that failed).
\! test/bin/ttr_golden.sh >/dev/null
\copy golden FROM 'build/cache/ttr_golden.csv' WITH (FORMAT csv, HEADER true)

-- What is checked.  expr is evaluated over ttrc (numeric) and ttrc_f8 (float8)
-- with WINDOW w AS (ORDER BY row).
--
-- Tolerance: |actual - expected| <= 1e-9 * greatest(|expected|, floor).
--   * 1e-9 relative: TTR works in double precision on doubles that only
--     approximate the decimal prices (3.08 is 3.0800000000000001); measured
--     against exact integer-cent arithmetic TTR is within 1e-12 relative (README),
--     so 1e-9 leaves three orders of margin and still catches any real defect (a
--     wrong seed, period or convention moves values by 1e-4 or more).
--   * floor, in the indicator's own unit, because relative error means nothing
--     where the exact value is 0 or crosses 0 by cancellation: on ttrc, where
--     exact arithmetic gives 0, TTR gives CCI 5.3e-12 (row 4733), stochastic RSI
--     -5.2e-13, APO(SMA) 3.6e-15, z-score ~1e-13.  floor 1 for prices, price
--     differences and 0-100 (or O(1)) oscillators: 1e-9 absolute there is a
--     millionth of a cent or of a percentage point; 1e-3 for small-scale series
--     (TRIX, slope, log return, CMF, bandwidth, variance); 1e3 shares for the
--     volume lines OBV/AD/ADOSC (daily volume ~5e6, values up to ~1e9).
-- first_row: rows before it must be NULL even where TTR has a value (aroon only:
-- TTR's aroon starts at row n from an n-bar window; AlphaPulse, like TA-Lib,
-- needs n+1 bars, so row 14 is NULL there).
-- key_f8: golden key for the float8 overload where it differs.  Two indicators
-- branch on price changes being equal (MFI: typical price unchanged; DI/ADX:
-- +DM = -DM), and a decimal tie is not a tie in binary (5.47+5.41+5.45 vs
-- 5.49+5.41+5.43).  The numeric overloads must see the decimal ties (golden from
-- TTR on exact integer-cent prices); the float8 ones get TTR on the raw doubles
-- for DI/ADX (high(t)-high(t-1) is exact in double, so that is the exact answer
-- for the binary inputs), and for MFI golden rows with an empty value: rows whose
-- window holds a decimal tie are not compared at all (README).
CREATE TEMP TABLE cases (
	id serial, indicator text, field text, expr text,
	floor numeric DEFAULT 1, first_row int DEFAULT 1, key_f8 text);
INSERT INTO cases (indicator, field, expr, floor, first_row, key_f8) VALUES
	('sma', 'value', 'ap_sma(close, 20) OVER w', 1, 1, NULL),
	('ema', 'value', 'ap_ema(close, 20) OVER w', 1, 1, NULL),
	('wma', 'value', 'ap_wma(close, 20) OVER w', 1, 1, NULL),
	('dema', 'value', 'ap_dema(close, 20) OVER w', 1, 1, NULL),
	('tema', 'value', 'ap_tema(close, 20) OVER w', 1, 1, NULL),
	('trima20', 'value', 'ap_trima(close, 20) OVER w', 1, 1, NULL),
	('trima21', 'value', 'ap_trima(close, 21) OVER w', 1, 1, NULL),
	('kama', 'value', 'ap_kama(close, 30, 2, 30) OVER w', 1, 1, NULL),
	('kama10', 'value', 'ap_kama(close, 10, 2, 30) OVER w', 1, 1, NULL),
	('hma', 'value', 'ap_hma(close, 20) OVER w', 1, 1, NULL),
	('vwma', 'value', 'ap_vwma(close, volume, 20) OVER w', 1, 1, NULL),
	('vwap', 'value', 'ap_vwap(high, low, close, volume) OVER w', 1, 1, NULL),
	('rsi', 'value', 'ap_rsi(close, 14) OVER w', 1, 1, NULL),
	('macd', 'macd', '(ap_macd(close, 12, 26, 9) OVER w).macd', 1, 1, NULL),
	('macd', 'signal', '(ap_macd(close, 12, 26, 9) OVER w).signal', 1, 1, NULL),
	('macd', 'hist', '(ap_macd(close, 12, 26, 9) OVER w).hist', 1, 1, NULL),
	('bbands', 'lower', '(ap_bbands(close, 20, 2) OVER w).lower', 1, 1, NULL),
	('bbands', 'middle', '(ap_bbands(close, 20, 2) OVER w).middle', 1, 1, NULL),
	('bbands', 'upper', '(ap_bbands(close, 20, 2) OVER w).upper', 1, 1, NULL),
	('bbands', 'bandwidth', '(ap_bbands(close, 20, 2) OVER w).bandwidth', 1e-3, 1, NULL),
	('bbands', 'percent_b', '(ap_bbands(close, 20, 2) OVER w).percent_b', 1, 1, NULL),
	('stoch', 'k', '(ap_stoch(high, low, close, 14, 3, 3) OVER w).k', 1, 1, NULL),
	('stoch', 'd', '(ap_stoch(high, low, close, 14, 3, 3) OVER w).d', 1, 1, NULL),
	('stochrsi', 'value', 'ap_stochrsi(close, 14, 14, 3) OVER w', 1, 1, NULL),
	('willr', 'value', 'ap_willr(high, low, close, 14) OVER w', 1, 1, NULL),
	('cci', 'value', 'ap_cci(high, low, close, 20) OVER w', 1, 1, NULL),
	('mfi', 'value', 'ap_mfi(high, low, close, volume, 14) OVER w', 1, 1, 'mfi_f8'),
	('roc', 'value', 'ap_roc(close, 10) OVER w', 1, 1, NULL),
	('mom', 'value', 'ap_mom(close, 10) OVER w', 1, 1, NULL),
	('cmo', 'value', 'ap_cmo(close, 14) OVER w', 1, 1, NULL),
	('trix', 'value', 'ap_trix(close, 30) OVER w', 1e-3, 1, NULL),
	('ultosc', 'value', 'ap_ultosc(high, low, close, 7, 14, 28) OVER w', 1, 1, NULL),
	('apo_ema', 'value', 'ap_apo(close, 12, 26, ''ema'') OVER w', 1, 1, NULL),
	('apo_sma', 'value', 'ap_apo(close, 12, 26, ''sma'') OVER w', 1, 1, NULL),
	('ppo_ema', 'value', 'ap_ppo(close, 12, 26, ''ema'') OVER w', 1, 1, NULL),
	('ppo_sma', 'value', 'ap_ppo(close, 12, 26, ''sma'') OVER w', 1, 1, NULL),
	('aroon', 'up', '(ap_aroon(high, low, 14) OVER w).up', 1, 15, NULL),
	('aroon', 'down', '(ap_aroon(high, low, 14) OVER w).down', 1, 15, NULL),
	('aroon', 'oscillator', '(ap_aroon(high, low, 14) OVER w).oscillator', 1, 15, NULL),
	('plus_di', 'value', 'ap_plus_di(high, low, close, 14) OVER w', 1, 1, 'plus_di_dbl'),
	('minus_di', 'value', 'ap_minus_di(high, low, close, 14) OVER w', 1, 1, 'minus_di_dbl'),
	('adx', 'value', 'ap_adx(high, low, close, 14) OVER w', 1, 1, 'adx_dbl'),
	('trange', 'value', 'ap_trange(high, low, close) OVER w', 1, 1, NULL),
	('atr', 'value', 'ap_atr(high, low, close, 14) OVER w', 1, 1, NULL),
	('natr', 'value', 'ap_natr(high, low, close, 14) OVER w', 1, 1, NULL),
	('keltner', 'lower', '(ap_keltner(high, low, close, 20, 2, 10) OVER w).lower', 1, 1, NULL),
	('keltner', 'middle', '(ap_keltner(high, low, close, 20, 2, 10) OVER w).middle', 1, 1, NULL),
	('keltner', 'upper', '(ap_keltner(high, low, close, 20, 2, 10) OVER w).upper', 1, 1, NULL),
	('donchian', 'lower', '(ap_donchian(high, low, 20) OVER w).lower', 1, 1, NULL),
	('donchian', 'middle', '(ap_donchian(high, low, 20) OVER w).middle', 1, 1, NULL),
	('donchian', 'upper', '(ap_donchian(high, low, 20) OVER w).upper', 1, 1, NULL),
	('stddev_pop', 'value', 'ap_stddev(close, 20, false) OVER w', 1, 1, NULL),
	('stddev_samp', 'value', 'ap_stddev(close, 20, true) OVER w', 1, 1, NULL),
	('var_pop', 'value', 'ap_var(close, 20, false) OVER w', 1e-3, 1, NULL),
	('var_samp', 'value', 'ap_var(close, 20, true) OVER w', 1e-3, 1, NULL),
	('zscore', 'value', 'ap_zscore(close, 20) OVER w', 1, 1, NULL),
	('linreg_slope', 'value', 'ap_linreg_slope(close, 14) OVER w', 1e-3, 1, NULL),
	('logret', 'value', 'ap_logret(close, 1) OVER w', 1e-3, 1, NULL),
	('obv', 'value', 'ap_obv(close, volume) OVER w', 1e3, 1, NULL),
	('ad', 'value', 'ap_ad(high, low, close, volume) OVER w', 1e3, 1, NULL),
	('adosc', 'value', 'ap_adosc(high, low, close, volume, 3, 10) OVER w', 1e3, 1, NULL),
	('cmf', 'value', 'ap_cmf(high, low, close, volume, 20) OVER w', 1e-3, 1, NULL),
	('psar', 'value', 'ap_psar(high, low, 0.02, 0.2) OVER w', 1, 1, NULL);

-- One check per overload and case; every case must have golden rows.
CREATE TEMP TABLE checks AS
	SELECT c.*, v.variant, v.src,
		CASE WHEN v.variant = 'float8' THEN coalesce(c.key_f8, c.indicator) ELSE c.indicator END
			AS golden_key
	FROM cases c
	CROSS JOIN (VALUES ('numeric', 'ttrc'), ('float8', 'ttrc_f8')) AS v(variant, src);

-- Indicator outputs in long form; an error in one expression is recorded and
-- fails that check only.
CREATE TEMP TABLE ap_out (variant text, indicator text, field text, row int, value numeric);
CREATE TEMP TABLE ap_err (variant text, indicator text, field text, msg text);
CREATE FUNCTION pg_temp.capture(ch checks) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('INSERT INTO ap_out SELECT %L, %L, %L, row, (%s)::numeric FROM %I '
				   'WINDOW w AS (ORDER BY row)',
				   ch.variant, ch.indicator, ch.field, ch.expr, ch.src);
EXCEPTION WHEN OTHERS THEN
	INSERT INTO ap_err VALUES (ch.variant, ch.indicator, ch.field, SQLERRM);
END $$;
SELECT count(pg_temp.capture(ch)) FROM checks ch \g /dev/null
CREATE INDEX ON ap_out (variant, indicator, field, row);
ANALYZE ap_out;

-- Row-by-row comparison over all 5550 rows of every check.
CREATE TEMP TABLE cmp AS
SELECT ch.id, ch.variant, t.row, g.value AS expected, a.value AS actual,
	(g.row IS NOT NULL AND g.value IS NULL) AS skipped,
	CASE WHEN g.value IS NOT NULL AND a.value IS NOT NULL THEN
		abs(a.value - g.value) / (1e-9 * greatest(abs(g.value), ch.floor)) END AS ratio
FROM checks ch
CROSS JOIN ttrc t
LEFT JOIN golden g
	ON g.indicator = ch.golden_key AND g.field = ch.field AND g.row = t.row
	AND t.row >= ch.first_row
LEFT JOIN ap_out a
	ON a.variant = ch.variant AND a.indicator = ch.indicator AND a.field = ch.field
	AND a.row = t.row;

CREATE TEMP TABLE summary AS
SELECT ch.id, ch.variant, ch.indicator, ch.field, ch.expr, ch.golden_key,
	(SELECT count(*) FROM golden g WHERE g.indicator = ch.golden_key AND g.field = ch.field)
		AS n_golden,
	(SELECT string_agg(e.msg, '; ') FROM ap_err e
	 WHERE (e.variant, e.indicator, e.field) = (ch.variant, ch.indicator, ch.field)) AS error,
	s.n_cmp, s.n_skipped, s.n_missing, s.first_missing, s.n_extra, s.first_extra, s.n_bad,
	f.row AS first_bad_row, f.expected AS first_bad_expected, f.actual AS first_bad_actual,
	w.row AS worst_row, w.expected AS worst_expected, w.actual AS worst_actual, w.ratio AS worst_ratio
FROM checks ch
LEFT JOIN LATERAL (
	SELECT count(c.ratio) AS n_cmp,
		count(*) FILTER (WHERE c.expected IS NOT NULL AND c.actual IS NULL) AS n_missing,
		min(c.row) FILTER (WHERE c.expected IS NOT NULL AND c.actual IS NULL) AS first_missing,
		count(*) FILTER (WHERE c.expected IS NULL AND c.actual IS NOT NULL AND NOT c.skipped)
			AS n_extra,
		min(c.row) FILTER (WHERE c.expected IS NULL AND c.actual IS NOT NULL AND NOT c.skipped)
			AS first_extra,
		count(*) FILTER (WHERE c.skipped) AS n_skipped,
		count(*) FILTER (WHERE c.ratio > 1) AS n_bad
	FROM cmp c WHERE c.id = ch.id AND c.variant = ch.variant) s ON true
LEFT JOIN LATERAL (
	SELECT c.row, c.expected, c.actual, c.ratio FROM cmp c
	WHERE c.id = ch.id AND c.variant = ch.variant AND c.ratio IS NOT NULL
	ORDER BY c.ratio DESC, c.row LIMIT 1) w ON true
LEFT JOIN LATERAL (
	SELECT c.row, c.expected, c.actual FROM cmp c
	WHERE c.id = ch.id AND c.variant = ch.variant AND c.ratio > 1
	ORDER BY c.row LIMIT 1) f ON true;

-- Exact NUMERIC results, compared with =, on the full-window rows.
CREATE TEMP TABLE exact AS
SELECT row, close, high, low, volume,
	ap_sma(close, 20) OVER w AS sma,
	avg(close) OVER (w ROWS 19 PRECEDING) AS sma_ref,
	(ap_bbands(close, 20, 2) OVER w).middle AS bb_middle,
	ap_mom(close, 10) OVER w AS mom,
	close - lag(close, 10) OVER w AS mom_ref,
	ap_trange(high, low, close) OVER w AS trange,
	greatest(high, lag(close) OVER w) - least(low, lag(close) OVER w) AS trange_ref,
	ap_obv(close, volume) OVER w AS obv,
	NULL::numeric AS obv_ref,
	ap_vwma(close, volume, 20) OVER w AS vwma,
	sum(close * volume) OVER (w ROWS 19 PRECEDING) / sum(volume) OVER (w ROWS 19 PRECEDING)
		AS vwma_ref,
	ap_vwap(high, low, close, volume) OVER w AS vwap,
	sum((high + low + close) * volume) OVER w / (3 * sum(volume) OVER w) AS vwap_ref,
	(ap_donchian(high, low, 20) OVER w).upper AS dc_upper,
	max(high) OVER (w ROWS 19 PRECEDING) AS dc_upper_ref,
	(ap_donchian(high, low, 20) OVER w).lower AS dc_lower,
	min(low) OVER (w ROWS 19 PRECEDING) AS dc_lower_ref
FROM ttrc
WINDOW w AS (ORDER BY row);
-- OBV's reference needs lag() inside sum() OVER, so it is filled in two steps.
UPDATE exact e SET obv_ref = r.obv_ref
FROM (SELECT row, sum(dv) OVER (ORDER BY row) AS obv_ref
	  FROM (SELECT row, CASE WHEN row = 1 THEN volume
							 WHEN close > lag(close) OVER (ORDER BY row) THEN volume
							 WHEN close < lag(close) OVER (ORDER BY row) THEN -volume
							 ELSE 0 END AS dv
			FROM ttrc) d) r
WHERE r.row = e.row;

CREATE TEMP TABLE exact_checks (id serial, name text, from_row int, a text, b text);
INSERT INTO exact_checks (name, from_row, a, b) VALUES
	('ap_sma(close, 20) = avg(close) OVER (ROWS 19 PRECEDING)', 20, 'sma', 'sma_ref'),
	('(ap_bbands(close, 20, 2)).middle = avg(close) OVER (ROWS 19 PRECEDING)', 20, 'bb_middle', 'sma_ref'),
	('ap_mom(close, 10) = close - lag(close, 10)', 11, 'mom', 'mom_ref'),
	('ap_trange = greatest(high, prev close) - least(low, prev close)', 2, 'trange', 'trange_ref'),
	('ap_obv = numeric running sum of signed volume', 1, 'obv', 'obv_ref'),
	('ap_vwma(close, volume, 20) = sum(close*volume)/sum(volume) over 20 rows', 20, 'vwma', 'vwma_ref'),
	('ap_vwap = sum((h+l+c)*v)/(3*sum(v)) from the first row', 1, 'vwap', 'vwap_ref'),
	('(ap_donchian(high, low, 20)).upper = max(high) over 20 rows', 20, 'dc_upper', 'dc_upper_ref'),
	('(ap_donchian(high, low, 20)).lower = min(low) over 20 rows', 20, 'dc_lower', 'dc_lower_ref');

CREATE FUNCTION pg_temp.report() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	s record;
	pass boolean;
	n_bad bigint;
	first_bad record;
BEGIN
	RETURN NEXT is((SELECT count(*) FROM ttrc), 5550::bigint, 'ttrc fixture has 5550 bars');
	FOR s IN SELECT * FROM summary ORDER BY id, variant DESC LOOP
		pass := s.error IS NULL AND s.n_golden > 0 AND s.n_cmp > 0
			AND s.n_missing = 0 AND s.n_extra = 0 AND s.n_bad = 0;
		RETURN NEXT ok(pass, format('%s %s.%s matches TTR on %s rows%s (%s)',
			s.variant, s.indicator, s.field, s.n_cmp,
			CASE WHEN s.n_skipped > 0 THEN format(', %s tie rows not compared', s.n_skipped) END,
			s.expr));
		IF NOT pass THEN
			IF s.error IS NOT NULL THEN
				RETURN NEXT diag(format('error: %s', s.error));
			END IF;
			IF s.n_golden = 0 THEN
				RETURN NEXT diag(format('no golden rows for key %s.%s', s.golden_key, s.field));
			END IF;
			IF s.n_missing > 0 THEN
				RETURN NEXT diag(format('%s rows NULL where a value is expected, first row %s',
					s.n_missing, s.first_missing));
			END IF;
			IF s.n_extra > 0 THEN
				RETURN NEXT diag(format('%s rows non-NULL where NULL is expected, first row %s',
					s.n_extra, s.first_extra));
			END IF;
			IF s.n_bad > 0 THEN
				RETURN NEXT diag(format('%s rows outside tolerance; first row %s: expected %s, got %s; '
					'worst row %s: expected %s, got %s (%s x tolerance)',
					s.n_bad, s.first_bad_row, s.first_bad_expected, s.first_bad_actual,
					s.worst_row, s.worst_expected, s.worst_actual, round(s.worst_ratio, 1)));
			END IF;
		END IF;
	END LOOP;
	FOR s IN SELECT * FROM exact_checks ORDER BY id LOOP
		EXECUTE format('SELECT count(*) FROM exact WHERE row >= $1 AND %I IS DISTINCT FROM %I',
					   s.a, s.b) INTO n_bad USING s.from_row;
		RETURN NEXT ok(n_bad = 0, 'numeric exact: ' || s.name);
		IF n_bad > 0 THEN
			EXECUTE format('SELECT row, %I::text AS a, %I::text AS b FROM exact '
						   'WHERE row >= $1 AND %I IS DISTINCT FROM %I ORDER BY row LIMIT 1',
						   s.a, s.b, s.a, s.b) INTO first_bad USING s.from_row;
			RETURN NEXT diag(format('%s rows differ; first row %s: got %s, exact %s',
				n_bad, first_bad.row, first_bad.a, first_bad.b));
		END IF;
	END LOOP;
END $$;

SELECT plan(1 + (SELECT count(*)::int FROM checks) + (SELECT count(*)::int FROM exact_checks));
SELECT * FROM pg_temp.report();
SELECT * FROM finish();

ROLLBACK;
