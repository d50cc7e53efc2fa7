-- ingest: one new bar for each of this client's symbols, at its next bar time
BEGIN;
UPDATE load.clock SET n = n + 1 WHERE client = :client_id RETURNING n AS seq \gset
INSERT INTO alphapulse.bars (symbol, ts, open, high, low, close, volume)
SELECT b.symbol, b.base_ts + :seq * b.step, p.o, round(greatest(p.o, p.c) * 1.001, 2),
	round(least(p.o, p.c) * 0.999, 2), p.c, round((1 + random() * 100)::numeric, 4)
FROM load.base b
CROSS JOIN LATERAL (SELECT round(b.price * (0.99 + random() * 0.02)::numeric, 2) AS o,
						   round(b.price * (0.99 + random() * 0.02)::numeric, 2) AS c) p
WHERE b.client = :client_id;
INSERT INTO load.ledger (client, symbol, seq)
SELECT client, symbol, :seq FROM load.base WHERE client = :client_id;
COMMIT;
