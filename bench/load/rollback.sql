-- rollback when there is an earlier champion; the symbol's registry is locked
-- first, in the order every registry writer uses (the asset row, then its
-- model rows by id: alphapulse.lock_symbol), so that the check and the call
-- see the same registry and never deadlock with ap_promote or ap_evaluate
\set r random(1, 2)
BEGIN;
SELECT count(*) FROM (SELECT FROM alphapulse.assets WHERE symbol = (ARRAY['btc', 'eth'])[:r] FOR NO KEY UPDATE) a;
SELECT count(*) FROM (SELECT FROM alphapulse.models WHERE symbol = (ARRAY['btc', 'eth'])[:r] ORDER BY id FOR UPDATE) l;
SELECT ap_rollback(c.symbol) FROM alphapulse.models c
WHERE c.symbol = (ARRAY['btc', 'eth'])[:r] AND c.stage = 'champion'
  AND EXISTS (SELECT FROM alphapulse.models m WHERE m.symbol = c.symbol AND m.stage = 'archived'
			  AND m.promoted IS NOT NULL AND m.promoted <= c.promoted AND m.id <> c.id);
COMMIT;
