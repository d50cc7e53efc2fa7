-- feature building: half on the trained symbols (26k bars), half on a
-- client symbol
\set r random(0, 3)
SELECT ap_build_features(CASE WHEN :r < 2 THEN (ARRAY['btc', 'eth'])[:r + 1]
	ELSE (SELECT symbol FROM load.base WHERE client > 0 ORDER BY random() LIMIT 1) END);
