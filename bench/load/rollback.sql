-- rollback when there is an earlier champion; the symbol's models are locked
-- first so that the check and the call see the same registry
\set r random(1, 2)
BEGIN;
SELECT count(*) FROM (SELECT FROM alphapulse.models WHERE symbol = (ARRAY['btc', 'eth'])[:r] ORDER BY id FOR UPDATE) l;
SELECT ap_rollback(c.symbol) FROM alphapulse.models c
WHERE c.symbol = (ARRAY['btc', 'eth'])[:r] AND c.stage = 'champion'
  AND EXISTS (SELECT FROM alphapulse.models m WHERE m.symbol = c.symbol AND m.stage = 'archived'
			  AND m.promoted IS NOT NULL AND m.promoted <= c.promoted AND m.id <> c.id);
COMMIT;
