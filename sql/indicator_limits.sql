-- A long period cannot stall a backend (issue 7, finding 7).  The attack:
-- ap_cci over 300,000 bars with n = 150,000 ran an O(n p) kernel for 22 s
-- with no interrupt check, so a 2 s statement_timeout took 22 s.  CCI is now
-- O(log n) a row (and every kernel polls for interrupts; test/unit checks
-- that polling kernel by kernel), so the same statement finishes well inside
-- a timeout shorter than the old run: with the old kernel this file fails
-- with "canceling statement due to statement timeout".
\set VERBOSITY default
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS alphapulse;
RESET client_min_messages;
\set SHOW_CONTEXT never
-- 300,000 bars of cent prices (a slow wave plus a ripple), then 200,000 flat bars
CREATE TEMP TABLE lim AS
SELECT i,
	round((101 + 10 * sin(i / 1000.0) + (i % 5) * 0.01)::numeric, 2) AS h,
	round((99 + 10 * sin(i / 1000.0) - (i % 3) * 0.01)::numeric, 2) AS l,
	round((100 + 10 * sin(i / 1000.0) + (i % 7) * 0.01)::numeric, 2) AS c
FROM generate_series(1, 300000) i;
CREATE TEMP TABLE flat AS
SELECT i, 100.25::numeric AS h, 99.75::numeric AS l, 100.10::numeric AS c
FROM generate_series(1, 200000) i;
ANALYZE lim;
ANALYZE flat;

-- 30 s: the old kernels needed 2 x 22 s for this statement on an idle machine,
-- the new ones well under a second
SET statement_timeout = '30s';
-- the attack statement, NUMERIC and float8, kept for the checks below
CREATE TEMP TABLE got AS
SELECT i, ap_cci(h, l, c, 150000) OVER w AS cci,
	ap_cci(h::float8, l::float8, c::float8, 150000) OVER w AS cci_f8
FROM lim WINDOW w AS (ORDER BY i);
SELECT count(cci) AS rows_with_value, min(i) FILTER (WHERE cci IS NOT NULL) AS first_row,
	count(*) FILTER (WHERE (cci IS NULL) <> (cci_f8 IS NULL)) AS null_mismatch
FROM got;

-- checked against the definition in exact NUMERIC arithmetic at three rows:
-- CCI = (tp - mean tp) / (0.015 mean |tp - mean tp|) over the last 150,000
-- bars (tp scaled by 3, which cancels); within 1e-12 of it, float8 too
SELECT r.row,
	abs(g.cci - r.ref) <= 1e-12 * greatest(1, abs(r.ref)) AS numeric_ok,
	abs(g.cci_f8 - r.ref::float8) <= 1e-12 * greatest(1, abs(r.ref::float8)) AS float8_ok
FROM (SELECT t.row, (x.tp3 - m.mean) / (0.015 * d.mad) AS ref
	  FROM (VALUES (150000), (225000), (300000)) t(row)
	  CROSS JOIN LATERAL (SELECT h + l + c AS tp3 FROM lim WHERE i = t.row) x
	  CROSS JOIN LATERAL (SELECT avg(h + l + c) AS mean FROM lim
						  WHERE i BETWEEN t.row - 149999 AND t.row) m
	  CROSS JOIN LATERAL (SELECT avg(abs(h + l + c - m.mean)) AS mad FROM lim
						  WHERE i BETWEEN t.row - 149999 AND t.row) d) r
JOIN got g ON g.i = r.row
ORDER BY r.row;

-- a window without deviation gives exactly 0 (TA-Lib's value), at any period
SELECT count(v) AS rows_with_value, count(*) FILTER (WHERE v <> 0) AS nonzero,
	count(*) FILTER (WHERE v8 <> 0) AS nonzero_f8
FROM (SELECT ap_cci(h, l, c, 150000) OVER w AS v,
			 ap_cci(h::float8, l::float8, c::float8, 150000) OVER w AS v8
	  FROM flat WINDOW w AS (ORDER BY i)) s;

-- the other windowed kernels at the same period: rolling extremes, sums and
-- regressions are linear in the rows, not in the period
SELECT count(a) AS willr, count((b).up) AS aroon
FROM (SELECT ap_willr(h, l, c, 150000) OVER w AS a, ap_aroon(h, l, 150000) OVER w AS b
	  FROM lim WINDOW w AS (ORDER BY i)) s;
SELECT count(a) AS stddev, count(b) AS linreg
FROM (SELECT ap_stddev(c, 150000) OVER w AS a, ap_linreg_slope(c, 150000) OVER w AS b
	  FROM lim WINDOW w AS (ORDER BY i)) s;
SELECT count(a) AS kama, count(b) AS ultosc
FROM (SELECT ap_kama(c, 150000) OVER w AS a,
			 ap_ultosc(h, l, c, 50000, 100000, 150000) OVER w AS b
	  FROM lim WINDOW w AS (ORDER BY i)) s;

-- a statement that would run for many minutes is cancelled at the timeout
-- (57014), and the session goes on
SET statement_timeout = '1s';
SELECT count(v) FROM (SELECT ap_cci(h, l, c, 150000) OVER (PARTITION BY g ORDER BY i) AS v
					  FROM lim CROSS JOIN generate_series(1, 1000) g) s;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT 'still usable' AS session;
