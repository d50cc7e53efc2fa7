-- Benchmark data: 100 symbols x 10,000 hourly bars (1,000,000 rows), a
-- deterministic random walk (setseed) rounded to NUMERIC cents, with float8
-- copies of every price column for the double precision variants.
\set ON_ERROR_STOP 1

DROP TABLE IF EXISTS bench_bars, bench_symbols;

CREATE TABLE bench_bars (
	symbol   text        NOT NULL,
	ts       timestamptz NOT NULL,
	open     numeric     NOT NULL,
	high     numeric     NOT NULL,
	low      numeric     NOT NULL,
	close    numeric     NOT NULL,
	volume   numeric     NOT NULL,
	open_f   float8      NOT NULL,
	high_f   float8      NOT NULL,
	low_f    float8      NOT NULL,
	close_f  float8      NOT NULL,
	volume_f float8      NOT NULL,
	PRIMARY KEY (symbol, ts)
);

-- random() is evaluated once per generated row in generate_series order, so
-- the same seed gives the same walk on every run.
SELECT setseed(0.20240101);

INSERT INTO bench_bars
WITH draws AS MATERIALIZED (
	SELECT s, i, random() AS r_ret, random() AS r_hi, random() AS r_lo, random() AS r_vol
	FROM generate_series(1, 100) AS s CROSS JOIN generate_series(0, 9999) AS i
), walk AS (
	-- log-price random walk, +/-1% per hour at most, from a per-symbol base price
	SELECT s, i, r_hi, r_lo, r_vol,
	       round(((10 + 5 * s) * exp(sum((r_ret - 0.5) * 0.02)
	             OVER (PARTITION BY s ORDER BY i)))::numeric, 2) AS close
	FROM draws
), bars AS (
	SELECT s, i, r_hi, r_lo, r_vol, close,
	       coalesce(lag(close) OVER (PARTITION BY s ORDER BY i), close) AS open
	FROM walk
), ohlcv AS (
	SELECT 'sym' || lpad(s::text, 3, '0') AS symbol,
	       timestamptz '2023-01-01 00:00:00+00' + i * interval '1 hour' AS ts,
	       open,
	       round((greatest(open, close) * (1 + r_hi * 0.004))::numeric, 2) AS high,
	       round((least(open, close) * (1 - r_lo * 0.004))::numeric, 2) AS low,
	       close,
	       round((100 + r_vol * 10000)::numeric, 2) AS volume
	FROM bars
)
SELECT symbol, ts, open, high, low, close, volume,
       open::float8, high::float8, low::float8, close::float8, volume::float8
FROM ohlcv
ORDER BY symbol, ts;

CREATE TABLE bench_symbols AS
SELECT symbol, row_number() OVER (ORDER BY symbol)::int AS rn
FROM (SELECT DISTINCT symbol FROM bench_bars) s;
ALTER TABLE bench_symbols ADD PRIMARY KEY (symbol);

VACUUM (ANALYZE) bench_bars;
VACUUM (ANALYZE) bench_symbols;
