-- promotion: a random non-champion model of a trained symbol becomes champion
\set r random(1, 2)
SELECT ap_promote(id) FROM (SELECT id FROM alphapulse.models
	WHERE symbol = (ARRAY['btc', 'eth'])[:r] AND stage <> 'champion' ORDER BY random() LIMIT 1) m;
