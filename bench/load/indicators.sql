-- reads: indicators over the last 300 bars of a symbol
\set r random(1, 2)
SELECT ts, close, ap_rsi(close, 14) OVER w AS rsi, (ap_macd(close) OVER w).signal AS macd_signal,
	(ap_bbands(close) OVER w).upper AS bb_upper, ap_atr(high, low, close) OVER w AS atr,
	ap_adx(high, low, close) OVER w AS adx, ap_cci(high, low, close) OVER w AS cci
FROM (SELECT * FROM alphapulse.bars WHERE symbol = (ARRAY['btc', 'eth'])[:r]
	  ORDER BY ts DESC LIMIT 300) b
WINDOW w AS (ORDER BY ts)
ORDER BY ts DESC LIMIT 5;
