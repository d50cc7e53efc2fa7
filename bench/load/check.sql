-- bench/load.sh, after the run: one row per assertion (name, ok, detail).
-- Run after a final ap_build_features of every symbol.
CREATE TEMP TABLE load_check (name text, ok boolean, detail text);
-- every client's clock counts its committed ingest transactions: the ledger
-- holds exactly seq 1..n for each of its symbols
INSERT INTO load_check
SELECT 'ledger complete', count(*) = 0, coalesce(string_agg(format('%s: %s', symbol, problem), '; '), '')
FROM (SELECT b.symbol, format('ledger has %s rows, seq %s..%s, clock %s', count(l.seq), min(l.seq), max(l.seq), c.n) AS problem
	  FROM load.base b JOIN load.clock c USING (client) LEFT JOIN load.ledger l USING (symbol)
	  GROUP BY b.symbol, c.n
	  HAVING count(l.seq) <> c.n OR coalesce(min(l.seq), 1) <> 1 OR coalesce(max(l.seq), 0) <> c.n) x;
-- every ledger bar is in alphapulse.bars, and nothing else was added after the base
INSERT INTO load_check
SELECT 'bars: no lost row', count(*) = 0, format('%s ledger bars missing', count(*))
FROM load.ledger l JOIN load.base b USING (symbol)
WHERE NOT EXISTS (SELECT FROM alphapulse.bars x WHERE x.symbol = l.symbol AND x.ts = b.base_ts + l.seq * b.step);
INSERT INTO load_check
SELECT 'bars: no extra or doubled row', bool_and(nb = b.bars_before + c.n),
	coalesce(string_agg(format('%s has %s bars, expected %s', symbol, nb, b.bars_before + c.n), '; ')
		FILTER (WHERE nb <> b.bars_before + c.n), '')
FROM load.base b JOIN load.clock c USING (client)
CROSS JOIN LATERAL (SELECT count(*) AS nb FROM alphapulse.bars x WHERE x.symbol = b.symbol) n;
-- features: one row per bar of each symbol, none without its bar
INSERT INTO load_check
SELECT 'features: one row per bar', count(*) = 0,
	coalesce(string_agg(format('%s: %s bars without a feature row', symbol, n), '; '), '')
FROM (SELECT x.symbol, count(*) AS n FROM alphapulse.bars x JOIN load.base USING (symbol)
	  WHERE NOT EXISTS (SELECT FROM alphapulse.features f WHERE f.symbol = x.symbol
						AND f.feature_set = 'default' AND f.ts = x.ts)
	  GROUP BY x.symbol) m;
INSERT INTO load_check
SELECT 'features: no row without a bar', count(*) = 0, format('%s feature rows without a bar', count(*))
FROM alphapulse.features f
WHERE NOT EXISTS (SELECT FROM alphapulse.bars x WHERE x.symbol = f.symbol AND x.ts = f.ts);
-- the registry: exactly one champion per symbol with models
INSERT INTO load_check
SELECT 'models: one champion per symbol', count(*) = 0,
	coalesce(string_agg(format('%s has %s champions', symbol, c), '; '), '')
FROM (SELECT symbol, count(*) FILTER (WHERE stage = 'champion') AS c
	  FROM alphapulse.models GROUP BY symbol) m WHERE c <> 1;
-- signals point at a feature row of their symbol
INSERT INTO load_check
SELECT 'signals: each for a feature row', count(*) = 0, format('%s signals without a feature row', count(*))
FROM alphapulse.signals s
WHERE NOT EXISTS (SELECT FROM alphapulse.features f WHERE f.symbol = s.symbol AND f.ts = s.ts);
SELECT name, ok, detail FROM load_check;
