-- bench/load.sh: the load test's bookkeeping, schema "load".  Each pgbench
-- client owns its bar symbols (client 0 the sample symbols btc and eth, the
-- others two new ones), so every symbol has one writer and its bars arrive in
-- time order, as from one feed; its clock counts committed ingest
-- transactions, and the ledger records every bar it inserted.
-- psql variables: clients.
CREATE SCHEMA load;
CREATE TABLE load.clock (client integer PRIMARY KEY, n bigint NOT NULL DEFAULT 0);
CREATE TABLE load.base (
	client integer NOT NULL REFERENCES load.clock,
	symbol text PRIMARY KEY,
	base_ts timestamptz NOT NULL,   -- bar k of the run starts at base_ts + k * step
	step interval NOT NULL,
	price numeric NOT NULL,
	bars_before bigint NOT NULL);
CREATE TABLE load.ledger (
	client integer NOT NULL,
	symbol text NOT NULL,
	seq bigint NOT NULL,
	PRIMARY KEY (symbol, seq));
INSERT INTO load.clock SELECT c FROM generate_series(0, :clients - 1) c;
INSERT INTO alphapulse.assets (symbol, description, bar_interval)
SELECT format('ld%s_%s', c, s), 'load test (bench/load.sh)', interval '1 hour'
FROM generate_series(1, :clients - 1) c, unnest(ARRAY['a', 'b']) s;
INSERT INTO load.base
SELECT CASE WHEN a.symbol IN ('btc', 'eth') THEN 0 ELSE substring(a.symbol FROM 'ld(\d+)_')::int END,
	a.symbol, coalesce(l.ts, timestamptz '2024-01-01 00:00Z'), a.bar_interval,
	coalesce(l.close, 100), (SELECT count(*) FROM alphapulse.bars b WHERE b.symbol = a.symbol)
FROM alphapulse.assets a
LEFT JOIN LATERAL (SELECT ts, close FROM alphapulse.bars b WHERE b.symbol = a.symbol
				   ORDER BY ts DESC LIMIT 1) l ON true
WHERE a.symbol IN ('btc', 'eth') OR a.symbol LIKE 'ld%';
