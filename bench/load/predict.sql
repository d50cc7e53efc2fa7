-- reads: the champion's and a random model's prediction for the latest features
\set r random(1, 2)
SELECT ap_predict(f.symbol, f.x) AS champion,
	ap_predict((SELECT id FROM alphapulse.models m WHERE m.symbol = f.symbol ORDER BY random() LIMIT 1), f.x) AS any_model
FROM (SELECT symbol, x FROM alphapulse.features
	  WHERE symbol = (ARRAY['btc', 'eth'])[:r] AND feature_set = 'default'
	  ORDER BY ts DESC LIMIT 1) f;
