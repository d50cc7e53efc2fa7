-- scoring the last two days of a trained symbol by its champion
\set r random(1, 2)
SELECT ap_score(s, since => (SELECT max(ts) - interval '48 hours' FROM alphapulse.bars WHERE symbol = s))
FROM (SELECT (ARRAY['btc', 'eth'])[:r] AS s) q;
