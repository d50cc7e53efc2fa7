-- reads: the views BI tools use
\set r random(1, 2)
SELECT * FROM alphapulse.champions ORDER BY symbol;
SELECT * FROM alphapulse.features_default WHERE symbol = (ARRAY['btc', 'eth'])[:r] ORDER BY ts DESC LIMIT 10;
SELECT signal, count(*) FROM alphapulse.signals WHERE symbol = (ARRAY['btc', 'eth'])[:r] GROUP BY signal;
SELECT feature, value FROM alphapulse.feature_values
WHERE symbol = (ARRAY['btc', 'eth'])[:r] AND feature_set = 'default'
  AND ts = (SELECT max(ts) FROM alphapulse.features WHERE symbol = (ARRAY['btc', 'eth'])[:r] AND feature_set = 'default');
