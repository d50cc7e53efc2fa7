-- alphapulse.assets and alphapulse.bars: what the schema creates, accepts and
-- rejects.  Each rejected row is followed by its SQLSTATE.
\set SHOW_CONTEXT never
SET TIME ZONE 'UTC';
-- start from a fresh install, whatever earlier tests left behind
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS alphapulse CASCADE;
RESET client_min_messages;
CREATE EXTENSION alphapulse;

-- objects, constraints, dump registration, roles and privileges
SELECT c.relname, c.relkind
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'alphapulse' AND c.relname IN ('assets', 'assets_pkey', 'bars', 'bars_pkey')
ORDER BY 1;
SELECT conrelid::regclass AS "table", conname, pg_get_constraintdef(oid) AS definition
FROM pg_constraint
WHERE conrelid IN ('alphapulse.assets'::regclass, 'alphapulse.bars'::regclass)
ORDER BY 1, 2;
SELECT unnest(extconfig)::regclass AS dumped FROM pg_extension WHERE extname = 'alphapulse' ORDER BY 1;
SELECT rolname, rolcanlogin,
       pg_has_role(rolname, 'alphapulse_reader', 'USAGE') AS reads,
       pg_has_role(rolname, 'alphapulse_writer', 'USAGE') AS writes
FROM pg_roles WHERE rolname IN ('alphapulse_reader', 'alphapulse_writer', 'alphapulse_admin') ORDER BY 1;
SELECT r AS role,
       has_schema_privilege(r, 'alphapulse', 'USAGE') AS usage,
       has_table_privilege(r, 'alphapulse.bars', 'SELECT') AS sel,
       has_table_privilege(r, 'alphapulse.bars', 'INSERT') AS ins,
       has_table_privilege(r, 'alphapulse.bars', 'DELETE') AS del,
       has_table_privilege(r, 'alphapulse.bars', 'TRUNCATE') AS trunc
FROM unnest(ARRAY['alphapulse_reader', 'alphapulse_writer', 'alphapulse_admin']) AS r;

-- good rows: exact NUMERIC is kept digit for digit; a flat bar with zero volume is valid
INSERT INTO alphapulse.assets (symbol, description) VALUES ('btc', 'bitcoin'), ('eth_usd', 'ether');
INSERT INTO alphapulse.assets (symbol, description, bar_interval) VALUES ('sol', NULL, '1 minute'), (repeat('z', 32), 'longest symbol allowed', '1 day');
SELECT symbol, description, bar_interval, created <= now() AS created_ok FROM alphapulse.assets ORDER BY symbol;
INSERT INTO alphapulse.bars (symbol, ts, open, high, low, close, volume) VALUES
	('btc', '2021-01-01 00:00+00', 29000.00, 29166.76, 28903.97, 29148.72, 536.3066),
	('btc', '2021-01-01 01:00+00', 29148.72, 29481.10, 28902.94, 28904.19, 1021.6994),
	('btc', '2021-01-01 02:00+00', 0.00000001, 0.00000001, 0.00000001, 0.00000001, 0),
	('eth_usd', '2021-01-01 00:00+00', 730.00, 734.75, 729.91, 731.23, 6258.8311);
SELECT * FROM alphapulse.bars ORDER BY symbol, ts;

-- bad assets (created is given so that the failing row shown is stable)
INSERT INTO alphapulse.assets (symbol, created) VALUES ('BTC', '2021-01-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.assets (symbol, created) VALUES ('1inch', '2021-01-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.assets (symbol, created) VALUES ('btc-usd', '2021-01-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.assets (symbol, created) VALUES (repeat('a', 33), '2021-01-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.assets (symbol, bar_interval, created) VALUES ('ada', '0 seconds', '2021-01-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.assets (symbol, created) VALUES ('btc', '2021-01-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- bad bars
-- high < low
INSERT INTO alphapulse.bars VALUES ('btc', '2021-01-02 00:00+00', 100, 99, 101, 100, 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- high below the close
INSERT INTO alphapulse.bars VALUES ('btc', '2021-01-02 00:00+00', 100, 101, 99, 102, 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- low above the open
INSERT INTO alphapulse.bars VALUES ('btc', '2021-01-02 00:00+00', 100, 102, 100.5, 101, 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- negative volume
INSERT INTO alphapulse.bars VALUES ('btc', '2021-01-02 00:00+00', 100, 101, 99, 100, -1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- NaN volume
INSERT INTO alphapulse.bars VALUES ('btc', '2021-01-02 00:00+00', 100, 101, 99, 100, 'NaN');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- NaN price (NaN sorts above every number, so only the finiteness check catches it)
INSERT INTO alphapulse.bars VALUES ('btc', '2021-01-02 00:00+00', 100, 'NaN', 99, 100, 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO alphapulse.bars VALUES ('btc', '2021-01-02 00:00+00', 100, 101, 99, 'NaN', 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- infinite price
INSERT INTO alphapulse.bars VALUES ('btc', '2021-01-02 00:00+00', 100, 'Infinity', 99, 100, 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- zero price
INSERT INTO alphapulse.bars VALUES ('btc', '2021-01-02 00:00+00', 0, 101, 0, 100, 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- missing close
INSERT INTO alphapulse.bars VALUES ('btc', '2021-01-02 00:00+00', 100, 101, 99, NULL, 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- infinite timestamp
INSERT INTO alphapulse.bars VALUES ('btc', 'infinity', 100, 101, 99, 100, 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- duplicate (symbol, ts)
INSERT INTO alphapulse.bars VALUES ('btc', '2021-01-01 00:00+00', 100, 101, 99, 100, 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- unknown symbol
INSERT INTO alphapulse.bars VALUES ('doge', '2021-01-01 00:00+00', 100, 101, 99, 100, 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- nothing above got in
SELECT symbol, count(*) FROM alphapulse.bars GROUP BY symbol ORDER BY symbol;

-- roles in practice: readers read, writers write, neither truncates
SET ROLE alphapulse_reader;
SELECT count(*) FROM alphapulse.bars;
DELETE FROM alphapulse.bars;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET ROLE alphapulse_writer;
UPDATE alphapulse.bars SET volume = 1 WHERE symbol = 'btc' AND ts = '2021-01-01 02:00+00';
TRUNCATE alphapulse.bars;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;

-- renaming an asset carries its bars along; deleting it removes them
UPDATE alphapulse.assets SET symbol = 'xbt' WHERE symbol = 'btc';
SELECT symbol, count(*) FROM alphapulse.bars GROUP BY symbol ORDER BY symbol;
DELETE FROM alphapulse.assets WHERE symbol = 'xbt';
SELECT symbol, count(*) FROM alphapulse.bars GROUP BY symbol ORDER BY symbol;

-- bars per year for annualised figures: 365 days over the bar interval unless set
INSERT INTO alphapulse.assets (symbol, bar_interval) VALUES ('hourly', '1 hour'), ('daily', '1 day'),
	('minute', '1 minute'), ('stock', '1 day');
UPDATE alphapulse.assets SET periods_per_year = 252 WHERE symbol = 'stock';
SELECT symbol, ap_periods_per_year(symbol) FROM alphapulse.assets
WHERE symbol IN ('hourly', 'daily', 'minute', 'stock') ORDER BY symbol;
SELECT ap_periods_per_year('nosuch');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
UPDATE alphapulse.assets SET periods_per_year = 0 WHERE symbol = 'stock';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE alphapulse.assets SET periods_per_year = 'NaN' WHERE symbol = 'stock';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY default
DELETE FROM alphapulse.assets WHERE symbol IN ('hourly', 'daily', 'minute', 'stock');

-- dropping the extension removes the schema; the cluster-wide roles stay
DROP EXTENSION alphapulse;
SELECT count(*) AS schemas FROM pg_namespace WHERE nspname = 'alphapulse';
SELECT count(*) AS roles FROM pg_roles WHERE rolname IN ('alphapulse_reader', 'alphapulse_writer', 'alphapulse_admin');
