-- Properties every indicator must have, on data generated here (4 symbols x 600
-- bars, prices with 2, 4, 6 and 8 decimals, flat stretches and ties):
--   (a) no look-ahead        (b) NULL skips the bar   (c) scale invariance
--   (d) flat-window values   (e) short partitions     (f) partitions independent
--   (g) numeric and float8 agree   (h) numeric is within 1e-12 of exact
-- Reference values here come from the definitions, not from another run of the
-- same code path, except where the property itself is a relation between runs.
\set ECHO none
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;

BEGIN;

-- ---------------------------------------------------------------------------
-- Data.  u(k, i, s) is a deterministic pseudo-random number in (-1, 1).
CREATE FUNCTION pg_temp.u(k int, i int, s int) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$ SELECT (hashint4(i * 7919 + k * 1000003 + s * 104729) % 1000000) / 1e6::float8 $$;

CREATE TEMP TABLE syms (sym text, sno int, dec int, base float8, vdec int);
INSERT INTO syms VALUES
	('a2', 1, 2, 12.5, 0),		-- cents: many ties and unchanged closes
	('b4', 2, 4, 3.1415, 2),
	('c6', 3, 6, 0.75, 4),
	('d8', 4, 8, 2500, 8);

CREATE TEMP TABLE bars AS
WITH steps AS (
	SELECT s.*, i AS row,
		CASE WHEN abs(pg_temp.u(1, i, s.sno)) < 0.08 THEN 0	-- unchanged close
			 ELSE 0.02 * pg_temp.u(1, i, s.sno) END AS step,
		pg_temp.u(2, i, s.sno) AS u2, pg_temp.u(3, i, s.sno) AS u3, pg_temp.u(4, i, s.sno) AS u4
	FROM syms s, generate_series(1, 600) AS i),
walk AS (
	SELECT *, round((base * exp(sum(step) OVER (PARTITION BY sym ORDER BY row)))::numeric, dec) AS close
	FROM steps),
ohlc AS (
	SELECT *, coalesce(lag(close) OVER (PARTITION BY sym ORDER BY row), close) AS open FROM walk)
SELECT 'all'::text AS grp, sym, row, open,
	CASE WHEN abs(u2) < 0.03 AND open = close THEN close		-- some bars with high = low
		 ELSE round(greatest(open, close) * (1 + 0.01 * abs(u2))::numeric, dec) END AS high,
	CASE WHEN abs(u2) < 0.03 AND open = close THEN close
		 ELSE round(least(open, close) * (1 - 0.01 * abs(u3))::numeric, dec) END AS low,
	close,
	CASE WHEN abs(u4) < 0.01 THEN 0						-- a few zero-volume bars
		 ELSE round((1000 + 5000 * abs(u4))::numeric, vdec) END AS volume
FROM ohlc;
ALTER TABLE bars ADD PRIMARY KEY (sym, row);

CREATE TEMP TABLE bars_f8 AS
	SELECT grp, sym, row, open::float8 AS open, high::float8 AS high, low::float8 AS low,
		close::float8 AS close, volume::float8 AS volume
	FROM bars;

-- ---------------------------------------------------------------------------
-- Indicators.  first_row: the documented warm-up (first non-NULL row).
-- kind: how the value depends on the price scale s ('inv' unchanged, 'lin' times
-- s, 'sq' times s^2) for (c).  unit: what a tolerance floor is measured in where
-- the value is 0 or crosses 0 ('price' = |close| of the row, 'osc' = 1 for 0-100
-- and O(1) outputs, 'small' = 1e-3, 'vol' = |volume|, 'price2' = close^2).
CREATE TEMP TABLE inds (id serial, name text, expr text, first_row int, kind text, unit text);
INSERT INTO inds (name, expr, first_row, kind, unit) VALUES
	('sma', 'ap_sma(close, 20) OVER w', 20, 'lin', 'price'),
	('ema', 'ap_ema(close, 20) OVER w', 20, 'lin', 'price'),
	('wma', 'ap_wma(close, 20) OVER w', 20, 'lin', 'price'),
	('dema', 'ap_dema(close, 20) OVER w', 39, 'lin', 'price'),
	('tema', 'ap_tema(close, 20) OVER w', 58, 'lin', 'price'),
	('trima', 'ap_trima(close, 21) OVER w', 21, 'lin', 'price'),
	('kama', 'ap_kama(close, 10, 2, 30) OVER w', 11, 'lin', 'price'),
	('hma', 'ap_hma(close, 20) OVER w', 23, 'lin', 'price'),
	('vwma', 'ap_vwma(close, volume, 20) OVER w', 20, 'lin', 'price'),
	('vwap', 'ap_vwap(high, low, close, volume) OVER w', 1, 'lin', 'price'),
	('rsi', 'ap_rsi(close, 14) OVER w', 15, 'inv', 'osc'),
	('macd.macd', '(ap_macd(close, 12, 26, 9) OVER w).macd', 26, 'lin', 'price'),
	('macd.signal', '(ap_macd(close, 12, 26, 9) OVER w).signal', 34, 'lin', 'price'),
	('macd.hist', '(ap_macd(close, 12, 26, 9) OVER w).hist', 34, 'lin', 'price'),
	('bbands.lower', '(ap_bbands(close, 20, 2) OVER w).lower', 20, 'lin', 'price'),
	('bbands.middle', '(ap_bbands(close, 20, 2) OVER w).middle', 20, 'lin', 'price'),
	('bbands.upper', '(ap_bbands(close, 20, 2) OVER w).upper', 20, 'lin', 'price'),
	('bbands.bandwidth', '(ap_bbands(close, 20, 2) OVER w).bandwidth', 20, 'inv', 'small'),
	('bbands.percent_b', '(ap_bbands(close, 20, 2) OVER w).percent_b', 20, 'inv', 'osc'),
	('stoch.k', '(ap_stoch(high, low, close, 14, 3, 3) OVER w).k', 16, 'inv', 'osc'),
	('stoch.d', '(ap_stoch(high, low, close, 14, 3, 3) OVER w).d', 18, 'inv', 'osc'),
	('stochrsi', 'ap_stochrsi(close, 14, 14, 3) OVER w', 30, 'inv', 'osc'),
	('willr', 'ap_willr(high, low, close, 14) OVER w', 14, 'inv', 'osc'),
	('cci', 'ap_cci(high, low, close, 20) OVER w', 20, 'inv', 'osc'),
	('mfi', 'ap_mfi(high, low, close, volume, 14) OVER w', 15, 'inv', 'osc'),
	('roc', 'ap_roc(close, 10) OVER w', 11, 'inv', 'osc'),
	('mom', 'ap_mom(close, 10) OVER w', 11, 'lin', 'price'),
	('cmo', 'ap_cmo(close, 14) OVER w', 15, 'inv', 'osc'),
	('trix', 'ap_trix(close, 15) OVER w', 44, 'inv', 'small'),
	('ultosc', 'ap_ultosc(high, low, close, 7, 14, 28) OVER w', 29, 'inv', 'osc'),
	('apo', 'ap_apo(close, 12, 26, ''ema'') OVER w', 26, 'lin', 'price'),
	('apo_sma', 'ap_apo(close, 12, 26, ''sma'') OVER w', 26, 'lin', 'price'),
	('ppo', 'ap_ppo(close, 12, 26, ''ema'') OVER w', 26, 'inv', 'osc'),
	('aroon.up', '(ap_aroon(high, low, 14) OVER w).up', 15, 'inv', 'osc'),
	('aroon.down', '(ap_aroon(high, low, 14) OVER w).down', 15, 'inv', 'osc'),
	('aroon.oscillator', '(ap_aroon(high, low, 14) OVER w).oscillator', 15, 'inv', 'osc'),
	('adx', 'ap_adx(high, low, close, 14) OVER w', 28, 'inv', 'osc'),
	('plus_di', 'ap_plus_di(high, low, close, 14) OVER w', 15, 'inv', 'osc'),
	('minus_di', 'ap_minus_di(high, low, close, 14) OVER w', 15, 'inv', 'osc'),
	('trange', 'ap_trange(high, low, close) OVER w', 2, 'lin', 'price'),
	('atr', 'ap_atr(high, low, close, 14) OVER w', 15, 'lin', 'price'),
	('natr', 'ap_natr(high, low, close, 14) OVER w', 15, 'inv', 'osc'),
	('keltner.lower', '(ap_keltner(high, low, close, 20, 2, 10) OVER w).lower', 20, 'lin', 'price'),
	('keltner.middle', '(ap_keltner(high, low, close, 20, 2, 10) OVER w).middle', 20, 'lin', 'price'),
	('keltner.upper', '(ap_keltner(high, low, close, 20, 2, 10) OVER w).upper', 20, 'lin', 'price'),
	('donchian.lower', '(ap_donchian(high, low, 20) OVER w).lower', 20, 'lin', 'price'),
	('donchian.middle', '(ap_donchian(high, low, 20) OVER w).middle', 20, 'lin', 'price'),
	('donchian.upper', '(ap_donchian(high, low, 20) OVER w).upper', 20, 'lin', 'price'),
	('stddev', 'ap_stddev(close, 20, false) OVER w', 20, 'lin', 'price'),
	('stddev_samp', 'ap_stddev(close, 20, true) OVER w', 20, 'lin', 'price'),
	('var', 'ap_var(close, 20, false) OVER w', 20, 'sq', 'price2'),
	('zscore', 'ap_zscore(close, 20) OVER w', 20, 'inv', 'osc'),
	('linreg_slope', 'ap_linreg_slope(close, 14) OVER w', 14, 'lin', 'price'),
	('logret', 'ap_logret(close, 1) OVER w', 2, 'inv', 'small'),
	('obv', 'ap_obv(close, volume) OVER w', 1, 'inv', 'vol'),
	('ad', 'ap_ad(high, low, close, volume) OVER w', 1, 'inv', 'vol'),
	('adosc', 'ap_adosc(high, low, close, volume, 3, 10) OVER w', 10, 'inv', 'vol'),
	('cmf', 'ap_cmf(high, low, close, volume, 20) OVER w', 20, 'inv', 'small'),
	('psar', 'ap_psar(high, low, 0.02, 0.2) OVER w', 2, 'lin', 'price');

-- Tolerance floor of a value in its unit, at a row with this close and volume.
CREATE FUNCTION pg_temp.floor_of(unit text, close numeric, volume numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE unit WHEN 'price' THEN abs(close) WHEN 'price2' THEN close * close
					 WHEN 'vol' THEN greatest(abs(volume), 1) WHEN 'small' THEN 1e-3 ELSE 1 END $$;

-- ---------------------------------------------------------------------------
-- Runs: every indicator over a source (columns grp, sym, row, high, low, close,
-- volume), in long form; an error is recorded, not raised.
CREATE TEMP TABLE res (run text, name text, grp text, sym text, row int, value numeric);
CREATE TEMP TABLE errs (run text, name text, msg text);
CREATE FUNCTION pg_temp.run(tag text, src text, win text DEFAULT 'PARTITION BY grp, sym ORDER BY row')
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	i record;
BEGIN
	FOR i IN SELECT * FROM inds ORDER BY id LOOP
		BEGIN
			EXECUTE format('INSERT INTO res SELECT %L, %L, grp, sym, row, (%s)::numeric '
						   'FROM (%s) src WINDOW w AS (%s)', tag, i.name, i.expr, src, win);
		EXCEPTION WHEN OTHERS THEN
			INSERT INTO errs VALUES (tag, i.name, SQLERRM);
		END;
	END LOOP;
END $$;

-- Outcome of every check: one row per property and indicator.
CREATE TEMP TABLE outcome (prop text, name text, bad bigint, detail text);
-- Record a check from (name, bad, detail) rows plus errors of the given runs.
CREATE FUNCTION pg_temp.record(prop text, runs text[], q text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('INSERT INTO outcome SELECT %L, i.name, coalesce(r.bad, 0) + coalesce(e.n, 0), '
				   'concat_ws(''; '', e.msg, CASE WHEN r.bad > 0 THEN r.detail END) '
				   'FROM inds i LEFT JOIN (%s) r(name, bad, detail) ON r.name = i.name '
				   'LEFT JOIN (SELECT name, count(*) AS n, string_agg(run || '': '' || msg, ''; '') AS msg '
				   '           FROM errs WHERE run = ANY (%L) GROUP BY name) e ON e.name = i.name',
				   prop, q, runs);
END $$;

SELECT pg_temp.run('base', 'SELECT * FROM bars');
SELECT pg_temp.run('base_f8', 'SELECT * FROM bars_f8');
CREATE INDEX ON res (run, name, sym, row);
ANALYZE res;

-- ---------------------------------------------------------------------------
-- (a) No look-ahead: each partition truncated after row t gives the full
-- partition's values on rows <= t (identical, not approximately equal).
CREATE TEMP TABLE cuts (t int);
INSERT INTO cuts VALUES (1), (2), (15), (33), (100), (299), (599);
SELECT pg_temp.run('cut', 'SELECT t::text AS grp, sym, row, high, low, close, volume '
							 'FROM bars JOIN cuts ON row <= t');
SELECT pg_temp.run('cut_f8', 'SELECT t::text AS grp, sym, row, high, low, close, volume '
								'FROM bars_f8 JOIN cuts ON row <= t');
SELECT pg_temp.record('(a) no look-ahead', ARRAY['base', 'cut', 'base_f8', 'cut_f8'], $q$
	SELECT c.name, count(*),
		format('%s rows differ; first: %s', count(*),
			   (array_agg(format('%s %s cut after %s, row %s: truncated %s, full %s',
								 c.run, c.sym, c.grp, c.row, c.value, b.value)
						  ORDER BY c.run, c.sym, c.grp::int, c.row))[1])
	FROM res c JOIN res b ON b.run = CASE c.run WHEN 'cut' THEN 'base' ELSE 'base_f8' END
		AND b.name = c.name AND b.sym = c.sym AND b.row = c.row
	WHERE c.run IN ('cut', 'cut_f8') AND c.value IS DISTINCT FROM b.value
	GROUP BY c.name $q$);

-- ---------------------------------------------------------------------------
-- (b) NULL policy: a NULL in any input the indicator takes gives NULL on that row,
-- and every other row equals the indicator over the bars with those rows deleted;
-- a NULL in a column the indicator does not take changes nothing.  Rows 3 (inside
-- every warm-up), 40-41 (adjacent) and 200 and 450 of every symbol, one column at a
-- time.
CREATE TEMP TABLE nullrows (row int);
INSERT INTO nullrows VALUES (3), (40), (41), (200), (450);
CREATE TEMP TABLE nullcols (col text);
INSERT INTO nullcols VALUES ('high'), ('low'), ('close'), ('volume');
CREATE TEMP TABLE bars_null AS
	SELECT c.col AS grp, b.sym, b.row,
		CASE WHEN c.col = 'high' AND n.row IS NOT NULL THEN NULL ELSE b.high END AS high,
		CASE WHEN c.col = 'low' AND n.row IS NOT NULL THEN NULL ELSE b.low END AS low,
		CASE WHEN c.col = 'close' AND n.row IS NOT NULL THEN NULL ELSE b.close END AS close,
		CASE WHEN c.col = 'volume' AND n.row IS NOT NULL THEN NULL ELSE b.volume END AS volume
	FROM bars b CROSS JOIN nullcols c LEFT JOIN nullrows n ON n.row = b.row;
SELECT pg_temp.run('null', 'SELECT * FROM bars_null');
SELECT pg_temp.run('null_f8', 'SELECT grp, sym, row, high::float8 AS high, low::float8 AS low, '
							  'close::float8 AS close, volume::float8 AS volume FROM bars_null');
SELECT pg_temp.run('deleted', 'SELECT * FROM bars WHERE row NOT IN (SELECT row FROM nullrows)');
SELECT pg_temp.run('deleted_f8', 'SELECT * FROM bars_f8 WHERE row NOT IN (SELECT row FROM nullrows)');
SELECT pg_temp.record('(b) NULL input skips the bar', ARRAY['null', 'null_f8', 'deleted', 'deleted_f8'], $q$
	SELECT n.name, count(*),
		format('%s rows wrong; first: %s', count(*),
			   (array_agg(format('%s %s with NULL %s, row %s: got %s, expected %s',
								 n.run, n.sym, n.grp, n.row, coalesce(n.value::text, 'NULL'),
								 CASE WHEN x.takes_col AND x.is_null_row THEN 'NULL'
									  ELSE coalesce(r.value::text, 'NULL') END)
						  ORDER BY n.run, n.sym, n.grp, n.row))[1])
	FROM res n
	JOIN inds i ON i.name = n.name
	CROSS JOIN LATERAL (SELECT i.expr ~ ('\m' || n.grp || '\M') AS takes_col,
							   n.row IN (SELECT row FROM nullrows) AS is_null_row) x
	LEFT JOIN res r ON r.name = n.name AND r.sym = n.sym AND r.row = n.row
		AND r.run = CASE WHEN NOT x.takes_col THEN replace(n.run, 'null', 'base')
						 ELSE replace(n.run, 'null', 'deleted') END
	WHERE n.run IN ('null', 'null_f8')
	  AND CASE WHEN x.takes_col AND x.is_null_row THEN n.value IS NOT NULL
			   ELSE n.value IS DISTINCT FROM r.value END
	GROUP BY n.name $q$);

-- ---------------------------------------------------------------------------
-- (c) Scale invariance.  NUMERIC prices times 1e-8 (satoshi scale; exact in
-- NUMERIC): oscillators and ratios unchanged, averages and bands times 1e-8,
-- variance times 1e-16, all within 1e-12 relative.  float8 prices times 2^-27
-- (exact in binary), same expectations.
SELECT pg_temp.run('scaled', 'SELECT grp, sym, row, high * 0.00000001 AS high, low * 0.00000001 AS low, '
							 'close * 0.00000001 AS close, volume FROM bars');
SELECT pg_temp.run('scaled_f8', 'SELECT grp, sym, row, high * 2^(-27) AS high, low * 2^(-27) AS low, '
								'close * 2^(-27) AS close, volume FROM bars_f8');
SELECT pg_temp.record('(c) scale invariance', ARRAY['base', 'scaled', 'base_f8', 'scaled_f8'], $q$
	SELECT s.name, count(*),
		format('%s rows off; first: %s', count(*),
			   (array_agg(format('%s %s row %s: scaled back %s, unscaled %s',
								 s.run, s.sym, s.row, x.norm, b.value)
						  ORDER BY s.run, s.sym, s.row))[1])
	FROM res s
	JOIN inds i ON i.name = s.name
	JOIN bars d ON d.sym = s.sym AND d.row = s.row
	JOIN res b ON b.run = replace(s.run, 'scaled', 'base') AND b.name = s.name
		AND b.sym = s.sym AND b.row = s.row
	CROSS JOIN LATERAL (
		SELECT s.value / (CASE WHEN s.run = 'scaled' THEN 0.00000001 ELSE 0.000000007450580596923828125 END)
					   ^ (CASE i.kind WHEN 'lin' THEN 1 WHEN 'sq' THEN 2 ELSE 0 END) AS norm) x
	WHERE s.run IN ('scaled', 'scaled_f8')
	  AND ((s.value IS NULL) <> (b.value IS NULL)
		   OR abs(x.norm - b.value) > 1e-12 * greatest(abs(b.value), pg_temp.floor_of(i.unit, d.close, d.volume)))
	GROUP BY s.name $q$);

-- ---------------------------------------------------------------------------
-- (d) Flat windows give the documented values.  'flat': 120 identical bars;
-- 'move_flat': the first 60 bars of a2, then 80 bars at 12.34 with high = low =
-- close.  On 'flat' every row from the warm-up on is checked, on 'move_flat' the
-- last row, for the indicators whose window is then all flat.
CREATE TEMP TABLE bars_flat AS
	SELECT 'flat'::text AS grp, 'f'::text AS sym, i AS row, 7.25 AS high, 7.25 AS low,
		7.25 AS close, 100::numeric AS volume
	FROM generate_series(1, 120) i
	UNION ALL
	SELECT 'move_flat', 'f', row, high, low, close, volume FROM bars WHERE sym = 'a2' AND row <= 60
	UNION ALL
	SELECT 'move_flat', 'f', i, 12.34, 12.34, 12.34, 100 FROM generate_series(61, 140) i;
SELECT pg_temp.run('flat', 'SELECT * FROM bars_flat');
SELECT pg_temp.run('flat_f8', 'SELECT grp, sym, row, high::float8 AS high, low::float8 AS low, '
							  'close::float8 AS close, volume::float8 AS volume FROM bars_flat');
-- expected: the documented 0/0 value (tol 0: exactly) or the flat price (tol
-- 1e-12 relative: an EMA of a constant need not be bit-exact).  scope 'flat' or
-- 'both' (also the last row of move_flat; there the price is 12.34).
CREATE TEMP TABLE flat_expect (name text, expected numeric, tol numeric, scope text);
INSERT INTO flat_expect VALUES
	('rsi', 50, 0, 'flat'), ('stochrsi', 50, 0, 'flat'),
	('stoch.k', 50, 0, 'both'), ('stoch.d', 50, 0, 'both'),
	('willr', -50, 0, 'both'), ('cci', 0, 0, 'both'), ('cmo', 0, 0, 'both'),
	('mfi', 50, 0, 'both'), ('ultosc', 50, 0, 'both'),
	('stddev', 0, 0, 'both'), ('stddev_samp', 0, 0, 'both'), ('var', 0, 0, 'both'),
	('zscore', 0, 0, 'both'), ('bbands.percent_b', 0.5, 0, 'both'),
	('bbands.bandwidth', 0, 0, 'both'),
	('aroon.up', 100, 0, 'both'), ('aroon.down', 100, 0, 'both'),
	('aroon.oscillator', 0, 0, 'both'),
	('adx', 0, 0, 'flat'), ('plus_di', 0, 0, 'flat'), ('minus_di', 0, 0, 'flat'),
	('mom', 0, 0, 'both'), ('roc', 0, 0, 'both'), ('logret', 0, 0, 'both'),
	('trange', 0, 0, 'both'), ('atr', 0, 0, 'flat'), ('natr', 0, 0, 'flat'),
	('cmf', 0, 0, 'both'), ('ad', 0, 0, 'flat'), ('adosc', 0, 0, 'flat'), ('obv', 100, 0, 'flat'),
	('linreg_slope', 0, 1e-12, 'both'),
	('macd.macd', 0, 1e-12, 'flat'), ('macd.signal', 0, 1e-12, 'flat'),
	('macd.hist', 0, 1e-12, 'flat'), ('apo', 0, 1e-12, 'flat'), ('apo_sma', 0, 1e-12, 'both'),
	('ppo', 0, 1e-12, 'flat'), ('trix', 0, 1e-12, 'flat'),
	('sma', NULL, 0, 'both'), ('wma', NULL, 0, 'both'), ('vwma', NULL, 0, 'both'),
	('bbands.middle', NULL, 0, 'both'), ('donchian.lower', NULL, 0, 'both'),
	('donchian.middle', NULL, 0, 'both'), ('donchian.upper', NULL, 0, 'both'),
	('bbands.lower', NULL, 0, 'both'), ('bbands.upper', NULL, 0, 'both'),
	('trima', NULL, 1e-12, 'both'), ('ema', NULL, 1e-12, 'flat'), ('dema', NULL, 1e-12, 'flat'),
	('tema', NULL, 1e-12, 'flat'), ('kama', NULL, 1e-12, 'flat'), ('hma', NULL, 1e-12, 'both'),
	('vwap', NULL, 0, 'flat'), ('psar', NULL, 0, 'flat'),
	('keltner.lower', NULL, 1e-12, 'flat'), ('keltner.middle', NULL, 1e-12, 'flat'),
	('keltner.upper', NULL, 1e-12, 'flat');
SELECT pg_temp.record('(d) flat windows', ARRAY['flat', 'flat_f8'], $q$
	SELECT r.name, count(*),
		format('%s rows wrong; first: %s', count(*),
			   (array_agg(format('%s %s row %s: got %s, expected %s',
								 r.run, r.grp, r.row, coalesce(r.value::text, 'NULL'), x.want)
						  ORDER BY r.run, r.grp, r.row))[1])
	FROM res r
	JOIN flat_expect e ON e.name = r.name
	JOIN inds i ON i.name = r.name
	CROSS JOIN LATERAL (SELECT coalesce(e.expected, CASE r.grp WHEN 'flat' THEN 7.25 ELSE 12.34 END)
							   AS want) x
	WHERE r.run IN ('flat', 'flat_f8')
	  AND ((r.grp = 'flat' AND r.row >= i.first_row)
		   OR (r.grp = 'move_flat' AND e.scope = 'both' AND r.row = 140))
	  AND (r.value IS NULL OR abs(r.value - x.want) > e.tol * greatest(abs(x.want), 1))
	GROUP BY r.name $q$);

-- ---------------------------------------------------------------------------
-- (e) Partitions shorter than the warm-up give NULL on every row and no error;
-- in general row r is NULL exactly when r < first_row.  The first L bars of b4.
CREATE TEMP TABLE lens (l int);
INSERT INTO lens VALUES (1), (2), (3), (9), (13), (14), (15), (27), (43), (57), (58);
SELECT pg_temp.run('short', 'SELECT l::text AS grp, sym, row, high, low, close, volume '
							'FROM bars JOIN lens ON row <= l WHERE sym = ''b4''');
SELECT pg_temp.run('short_f8', 'SELECT l::text AS grp, sym, row, high, low, close, volume '
							   'FROM bars_f8 JOIN lens ON row <= l WHERE sym = ''b4''');
SELECT pg_temp.record('(e) short partitions', ARRAY['short', 'short_f8'], $q$
	SELECT r.name, count(*),
		format('%s rows wrong; first: %s', count(*),
			   (array_agg(format('%s partition of %s rows, row %s is %s',
								 r.run, r.grp, r.row, coalesce(r.value::text, 'NULL'))
						  ORDER BY r.run, r.grp::int, r.row))[1])
	FROM res r JOIN inds i ON i.name = r.name
	WHERE r.run IN ('short', 'short_f8') AND (r.value IS NULL) <> (r.row < i.first_row)
	GROUP BY r.name $q$);

-- ---------------------------------------------------------------------------
-- (f) Many partitions at once equal each partition computed alone.
SELECT pg_temp.run('alone_' || sym, format('SELECT * FROM bars WHERE sym = %L', sym), 'ORDER BY row')
FROM syms;
SELECT pg_temp.run('alone_f8_' || sym, format('SELECT * FROM bars_f8 WHERE sym = %L', sym), 'ORDER BY row')
FROM syms;
SELECT pg_temp.record('(f) partitions independent',
	ARRAY(SELECT 'alone_' || sym FROM syms UNION ALL SELECT 'alone_f8_' || sym FROM syms), $q$
	SELECT a.name, count(*),
		format('%s rows differ; first: %s', count(*),
			   (array_agg(format('%s row %s: alone %s, partitioned %s', a.run, a.row, a.value, b.value)
						  ORDER BY a.run, a.row))[1])
	FROM res a JOIN res b ON b.run = CASE WHEN a.run LIKE 'alone_f8_%' THEN 'base_f8' ELSE 'base' END
		AND b.name = a.name AND b.sym = a.sym AND b.row = a.row
	WHERE a.run LIKE 'alone_%' AND a.value IS DISTINCT FROM b.value
	GROUP BY a.name $q$);

-- ---------------------------------------------------------------------------
-- (g) numeric and float8 agree within 1e-9 relative (floor as above).  MFI and
-- DI/ADX branch on exact equality of price changes, which decimal ties have and
-- their binary approximations need not (test/fixtures/README.md), so for those
-- only symbols without such ties are compared (b4, c6 and d8 here).
CREATE TEMP TABLE tie_syms AS
	SELECT DISTINCT sym FROM (
		SELECT sym, high + low + close AS tp3,
			lag(high + low + close) OVER p AS prev_tp3,
			high - lag(high) OVER p AS up, lag(low) OVER p - low AS dn
		FROM bars WINDOW p AS (PARTITION BY sym ORDER BY row)) t
	WHERE tp3 = prev_tp3 OR (up = dn AND up > 0);
SELECT pg_temp.record('(g) numeric and float8 agree', ARRAY['base', 'base_f8'], $q$
	SELECT n.name, count(*),
		format('%s rows off; first: %s', count(*),
			   (array_agg(format('%s row %s: numeric %s, float8 %s', n.sym, n.row, n.value, f.value)
						  ORDER BY n.sym, n.row))[1])
	FROM res n
	JOIN inds i ON i.name = n.name
	JOIN bars d ON d.sym = n.sym AND d.row = n.row
	JOIN res f ON f.run = 'base_f8' AND f.name = n.name AND f.sym = n.sym AND f.row = n.row
	WHERE n.run = 'base'
	  AND NOT (n.name IN ('mfi', 'plus_di', 'minus_di', 'adx') AND n.sym IN (SELECT sym FROM tie_syms))
	  AND ((n.value IS NULL) <> (f.value IS NULL)
		   OR abs(f.value - n.value) > 1e-9 * greatest(abs(n.value), pg_temp.floor_of(i.unit, d.close, d.volume)))
	GROUP BY n.name $q$);

-- ---------------------------------------------------------------------------
-- (h) NUMERIC results are exact or within 1e-12 relative of exact: compared with
-- the definitions evaluated in plain NUMERIC SQL (every indicator that needs no
-- recursion; the recursive ones are covered by the golden test).  Floors as above.
CREATE TEMP TABLE exact_ref (name text, sym text, row int, value numeric);
CREATE TEMP TABLE x1 AS
SELECT sym, row, high, low, close, volume,
	lag(close) OVER p AS pc, lag(close, 10) OVER p AS c10,
	high + low + close AS tp3, lag(high + low + close) OVER p AS ptp3,
	CASE WHEN high = low THEN 0 ELSE volume * ((close - low) - (high - close)) / (high - low) END AS mfv
FROM bars WINDOW p AS (PARTITION BY sym ORDER BY row);
CREATE TEMP TABLE x2 AS
SELECT *,
	count(*) OVER w20 AS n20, avg(close) OVER w20 AS m20,
	sum(close * close) OVER w20 AS s2, sum(close) OVER w20 AS s1,
	sum(close * row) OVER w20 AS sxr,
	sum(close * volume) OVER w20 AS scv, sum(volume) OVER w20 AS sv20, avg(close) OVER w20 AS ac20,
	sum(mfv) OVER w20 AS smfv,
	max(high) OVER w14 AS hh14, min(low) OVER w14 AS ll14,
	count(*) OVER w14 AS n14,
	sum(close * row) OVER w14 AS sxy14, sum(close) OVER w14 AS sy14, sum(row) OVER w14 AS sx14,
	sum(row * row) OVER w14 AS sxx14,
	sum(greatest(close - pc, 0)) OVER w14c AS gain14, sum(greatest(pc - close, 0)) OVER w14c AS loss14,
	sum(CASE WHEN tp3 > ptp3 THEN tp3 * volume / 3 ELSE 0 END) OVER w14c AS pflow,
	sum(CASE WHEN tp3 < ptp3 THEN tp3 * volume / 3 ELSE 0 END) OVER w14c AS nflow,
	count(pc) OVER w14c AS nchg14,
	sum(mfv) OVER (PARTITION BY sym ORDER BY row) AS ad,
	sum((high + low + close) * volume) OVER (PARTITION BY sym ORDER BY row) AS stpv,
	sum(volume) OVER (PARTITION BY sym ORDER BY row) AS cumv,
	avg(high + low + close) OVER (PARTITION BY sym ORDER BY row) AS atp3
FROM x1
WINDOW w20 AS (PARTITION BY sym ORDER BY row ROWS 19 PRECEDING),
	   w14 AS (PARTITION BY sym ORDER BY row ROWS 13 PRECEDING),
	   w14c AS (PARTITION BY sym ORDER BY row ROWS 13 PRECEDING);
-- var over 20 values; rows with a full window only
CREATE TEMP TABLE x3 AS
SELECT *, (s2 - s1 * s1 / 20) / 20 AS var20 FROM x2 WHERE n20 = 20;
INSERT INTO exact_ref
SELECT 'sma', sym, row, m20 FROM x3
UNION ALL SELECT 'bbands.middle', sym, row, m20 FROM x3
UNION ALL SELECT 'wma', sym, row, (sxr - (row - 20) * s1) / 210 FROM x3
UNION ALL SELECT 'var', sym, row, var20 FROM x3
UNION ALL SELECT 'stddev', sym, row, sqrt(var20) FROM x3
UNION ALL SELECT 'stddev_samp', sym, row, sqrt(var20 * 20 / 19) FROM x3
UNION ALL SELECT 'zscore', sym, row, CASE WHEN var20 = 0 THEN 0 ELSE (close - m20) / sqrt(var20) END FROM x3
UNION ALL SELECT 'bbands.upper', sym, row, m20 + 2 * sqrt(var20) FROM x3
UNION ALL SELECT 'bbands.lower', sym, row, m20 - 2 * sqrt(var20) FROM x3
UNION ALL SELECT 'bbands.bandwidth', sym, row, 4 * sqrt(var20) / m20 FROM x3
UNION ALL SELECT 'bbands.percent_b', sym, row,
	CASE WHEN var20 = 0 THEN 0.5 ELSE (close - (m20 - 2 * sqrt(var20))) / (4 * sqrt(var20)) END FROM x3
UNION ALL SELECT 'vwma', sym, row, CASE WHEN sv20 = 0 THEN ac20 ELSE scv / sv20 END FROM x3
UNION ALL SELECT 'cmf', sym, row, CASE WHEN sv20 = 0 THEN 0 ELSE smfv / sv20 END FROM x3
UNION ALL SELECT 'mom', sym, row, close - c10 FROM x2 WHERE c10 IS NOT NULL
UNION ALL SELECT 'roc', sym, row, 100 * (close - c10) / c10 FROM x2 WHERE c10 IS NOT NULL
UNION ALL SELECT 'logret', sym, row, ln(close / pc) FROM x2 WHERE pc IS NOT NULL
UNION ALL SELECT 'willr', sym, row,
	CASE WHEN hh14 = ll14 THEN -50 ELSE -100 * (hh14 - close) / (hh14 - ll14) END FROM x2 WHERE n14 = 14
UNION ALL SELECT 'linreg_slope', sym, row,
	(14 * sxy14 - sx14 * sy14) / (14 * sxx14 - sx14 * sx14) FROM x2 WHERE n14 = 14
UNION ALL SELECT 'cmo', sym, row,
	CASE WHEN gain14 + loss14 = 0 THEN 0 ELSE 100 * (gain14 - loss14) / (gain14 + loss14) END
	FROM x2 WHERE nchg14 = 14
UNION ALL SELECT 'mfi', sym, row,
	CASE WHEN pflow + nflow = 0 THEN 50 ELSE 100 * pflow / (pflow + nflow) END FROM x2 WHERE nchg14 = 14
UNION ALL SELECT 'ad', sym, row, ad FROM x2
UNION ALL SELECT 'vwap', sym, row, CASE WHEN cumv = 0 THEN atp3 / 3 ELSE stpv / (3 * cumv) END FROM x2;
-- stochastic: raw %K, then two 3-row SMAs
INSERT INTO exact_ref
SELECT 'stoch.' || f, sym, row, v FROM (
	SELECT sym, row, k, avg(k) OVER (PARTITION BY sym ORDER BY row ROWS 2 PRECEDING) AS d,
		count(k) OVER (PARTITION BY sym ORDER BY row ROWS 2 PRECEDING) AS nk
	FROM (SELECT sym, row, avg(rk) OVER (PARTITION BY sym ORDER BY row ROWS 2 PRECEDING) AS k0,
				 count(rk) OVER (PARTITION BY sym ORDER BY row ROWS 2 PRECEDING) AS nr
		  FROM (SELECT sym, row, CASE WHEN n14 < 14 THEN NULL WHEN hh14 = ll14 THEN 50
									  ELSE 100 * (close - ll14) / (hh14 - ll14) END AS rk FROM x2) r) a
	CROSS JOIN LATERAL (SELECT CASE WHEN nr = 3 THEN k0 END AS k) kk) b
CROSS JOIN LATERAL (VALUES ('k', k), ('d', CASE WHEN nk = 3 THEN d END)) AS v(f, v)
WHERE v IS NOT NULL;
-- CCI: mean absolute deviation around the window's own mean
INSERT INTO exact_ref
SELECT 'cci', a.sym, a.row,
	CASE WHEN md.v = 0 THEN 0 ELSE (a.tp - a.mtp) / (0.015 * md.v) END
FROM (SELECT sym, row, tp3 / 3 AS tp, avg(tp3 / 3) OVER w AS mtp, count(*) OVER w AS n
	  FROM x1 WINDOW w AS (PARTITION BY sym ORDER BY row ROWS 19 PRECEDING)) a
CROSS JOIN LATERAL (SELECT avg(abs(b.tp3 / 3 - a.mtp)) AS v FROM x1 b
					WHERE b.sym = a.sym AND b.row BETWEEN a.row - 19 AND a.row) md
WHERE a.n = 20;
-- ultimate oscillator 7/14/28
INSERT INTO exact_ref
SELECT 'ultosc', sym, row, 100 * (4 * a7 + 2 * a14 + a28) / 7 FROM (
	SELECT sym, row, n,
		CASE WHEN t7 = 0 THEN 0.5 ELSE b7 / t7 END AS a7,
		CASE WHEN t14 = 0 THEN 0.5 ELSE b14 / t14 END AS a14,
		CASE WHEN t28 = 0 THEN 0.5 ELSE b28 / t28 END AS a28
	FROM (SELECT sym, row, count(bp) OVER w28 AS n,
				 sum(bp) OVER w7 AS b7, sum(tr) OVER w7 AS t7,
				 sum(bp) OVER w14 AS b14, sum(tr) OVER w14 AS t14,
				 sum(bp) OVER w28 AS b28, sum(tr) OVER w28 AS t28
		  FROM (SELECT sym, row, close - least(low, pc) AS bp,	-- least() ignores NULL:
					   greatest(high, pc) - least(low, pc) AS tr		-- bar 1 is dropped below
				FROM x1 WHERE pc IS NOT NULL) u
		  WINDOW w7 AS (PARTITION BY sym ORDER BY row ROWS 6 PRECEDING),
				 w14 AS (PARTITION BY sym ORDER BY row ROWS 13 PRECEDING),
				 w28 AS (PARTITION BY sym ORDER BY row ROWS 27 PRECEDING)) s) t
WHERE n = 28;
-- aroon 14: bars since the highest high / lowest low over 15 bars, ties to the newest
INSERT INTO exact_ref
SELECT 'aroon.' || f, sym, row, v FROM (
	SELECT a.sym, a.row, 100 * (14 - (a.row - hi.row)) / 14.0 AS up, 100 * (14 - (a.row - lo.row)) / 14.0 AS down
	FROM x1 a
	CROSS JOIN LATERAL (SELECT row FROM x1 b WHERE b.sym = a.sym AND b.row BETWEEN a.row - 14 AND a.row
						ORDER BY high DESC, row DESC LIMIT 1) hi
	CROSS JOIN LATERAL (SELECT row FROM x1 b WHERE b.sym = a.sym AND b.row BETWEEN a.row - 14 AND a.row
						ORDER BY low, row DESC LIMIT 1) lo
	WHERE a.row >= 15) t
CROSS JOIN LATERAL (VALUES ('up', up), ('down', down), ('oscillator', up - down)) AS v(f, v);

SELECT pg_temp.record('(h) numeric within 1e-12 of exact', ARRAY['base'], $q$
	SELECT e.name, count(*),
		format('%s rows off; first: %s', count(*),
			   (array_agg(format('%s row %s: got %s, exact %s', e.sym, e.row,
								 coalesce(r.value::text, 'NULL'), round(e.value, 20))
						  ORDER BY e.sym, e.row))[1])
	FROM exact_ref e
	JOIN inds i ON i.name = e.name
	JOIN bars d ON d.sym = e.sym AND d.row = e.row
	LEFT JOIN res r ON r.run = 'base' AND r.name = e.name AND r.sym = e.sym AND r.row = e.row
	WHERE r.value IS NULL
	   OR abs(r.value - e.value) > 1e-12 * greatest(abs(e.value), pg_temp.floor_of(i.unit, d.close, d.volume))
	GROUP BY e.name $q$);
-- The indicators (h) covers; the others get no (h) check at all.
DELETE FROM outcome o WHERE o.prop LIKE '(h)%' AND o.name NOT IN (SELECT name FROM exact_ref);

-- ---------------------------------------------------------------------------
CREATE FUNCTION pg_temp.report() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	o record;
BEGIN
	RETURN NEXT is((SELECT count(*) FROM bars), 2400::bigint, 'generated 4 x 600 bars');
	RETURN NEXT ok((SELECT count(DISTINCT sym) FROM syms WHERE sym NOT IN (SELECT sym FROM tie_syms)) >= 1,
				   '(g) has at least one symbol without decimal ties for MFI and DI/ADX');
	RETURN NEXT ok((SELECT count(DISTINCT name) FROM exact_ref) = 29, '(h) has exact references for 29 outputs');
	RETURN NEXT ok((SELECT count(*) FROM (SELECT close = lag(close) OVER (PARTITION BY sym ORDER BY row) AS same
										  FROM bars) t WHERE same) > 20,
				   'generated data include unchanged closes');
	FOR o IN SELECT * FROM outcome ORDER BY prop, (SELECT id FROM inds WHERE name = outcome.name) LOOP
		RETURN NEXT ok(o.bad = 0, format('%s: %s', o.prop, o.name));
		IF o.bad > 0 THEN
			RETURN NEXT diag(o.detail);
		END IF;
	END LOOP;
END $$;

SELECT plan(4 + (SELECT count(*)::int FROM outcome));
SELECT * FROM pg_temp.report();
SELECT * FROM finish();

ROLLBACK;
