SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS alphapulse; RESET client_min_messages;
-- Response parsers, network-free: exact numeric text, each format's shape,
-- the still-open candle, and clear errors for bad bodies.
-- binance: strings kept digit for digit (trailing zeros too); closeTime decides "closed"
SELECT ts, open, high, low, close, volume, closed, open::text AS open_text
FROM ap_feed_parse('binance',
  '[[1609459200000,"29000.10","29166.7600","28903.97","29148.72","536.30660000",1609462799999,"0",1,"0","0","0"],
    [1609462800000,"0.000000012345678901234567890","1e3","0.000000012345678901234567890","999.5","0",1609466399999,"0",1,"0","0","0"]]',
  now => '2021-01-01 01:30Z');
-- coinbase: [time, low, high, open, close, volume], newest first, bare JSON numbers
SELECT ts, open, high, low, close, volume, closed
FROM ap_feed_parse('coinbase', '[[1609462800,28902.94,29481.10,29148.72,28904.19,1021.6994],[1609459200,28903.97,29166.76,29000.00,29148.72,536.3066]]',
  now => '2021-01-01 02:00Z') ORDER BY ts;
-- kraken: the last entry is the still-open frame and is never returned
SELECT ts, open, close, volume, closed
FROM ap_feed_parse('kraken', '{"error":[],"result":{"XXBTZUSD":[[1609459200,"29000.0","29166.7","28903.9","29148.7","29050.1","536.3",12],[1609462800,"29148.7","29481.1","28902.9","28904.1","29100.0","1021.6",20]],"last":1609459200}}');
SELECT * FROM ap_feed_parse('kraken', '{"error":["EQuery:Unknown asset pair"]}');
-- coingecko: a price point is a bar with open = high = low = close and volume 0
SELECT ts, open, high, low, close, volume
FROM ap_feed_parse('coingecko', '{"prices":[[1609459200000,29148.72],[1609462800000,28904.190000000002]],"market_caps":[],"total_volumes":[[1609459200000,1.5e10]]}');
-- yahoo: a row with a null is a missing bar
SELECT ts, open, high, low, close, volume
FROM ap_feed_parse('yahoo', '{"chart":{"result":[{"meta":{},"timestamp":[1609459200,1609462800],"indicators":{"quote":[{"open":[29000.5,null],"high":[29166.76,29481.1],"low":[28903.97,28902.94],"close":[29148.72,28904.19],"volume":[536,1021]}]}}],"error":null}}');
SELECT * FROM ap_feed_parse('yahoo', '{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}');
-- the end option drops bars at or after it
SELECT count(*) FROM ap_feed_parse('coinbase', '[[1609462800,1,1,1,1,1],[1609459200,1,1,1,1,1]]', '{"end": "2021-01-01 01:00Z"}');
-- empty pages are fine
SELECT count(*) FROM ap_feed_parse('binance', '[]');
-- bad bodies: each a clear error
SELECT * FROM ap_feed_parse('binance', '[[1609459200000,"29000.10","29166.76"');
SELECT * FROM ap_feed_parse('binance', '{"code":-1121,"msg":"Invalid symbol."}');
SELECT * FROM ap_feed_parse('binance', '[[1609459200000,"29000.10","29166.76","28903.97"]]');
SELECT * FROM ap_feed_parse('binance', '[[1609459200000,"12.3.4","29166.76","28903.97","29148.72","536.3066",1609462799999]]');
SELECT * FROM ap_feed_parse('binance', '[[1609459200000,"NaN","29166.76","28903.97","29148.72","536.3066",1609462799999]]');
SELECT * FROM ap_feed_parse('binance', '[[1609459200000,"Infinity","29166.76","28903.97","29148.72","536.3066",1609462799999]]');
SELECT * FROM ap_feed_parse('binance', '[[1609459200000,true,"29166.76","28903.97","29148.72","536.3066",1609462799999]]');
SELECT * FROM ap_feed_parse('binance', '[["soon","1","1","1","1","1",1609462799999]]');
SELECT * FROM ap_feed_parse('binance', '[[-5,"1","1","1","1","1",1609462799999]]');
SELECT * FROM ap_feed_parse('binance', '[[1e30,"1","1","1","1","1",1609462799999]]');
SELECT * FROM ap_feed_parse('coinbase', '{"message":"granularity too small"}');
SELECT * FROM ap_feed_parse('yahoo', '{"chart":{"result":[{"timestamp":[1609459200],"indicators":{"quote":[{"open":[1],"high":[1],"low":[1],"close":[1]}]}}],"error":null}}');
SELECT * FROM ap_feed_parse('rss', '<rss/>');
SELECT * FROM ap_feed_parse('bitstamp', '[]');
-- news: RSS 2.0 and Atom
SELECT * FROM ap_feed_parse_news(
'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
 <item><title>Bitcoin &amp; Ether rally</title><link>http://x/1</link><guid>g1</guid>
  <pubDate>Fri, 01 Jan 2021 08:00:00 GMT</pubDate><description><![CDATA[<b>BTC</b> up]]></description></item>
 <item><title>Nothing about bitcoins</title><link>http://x/2</link></item>
</channel></rss>', '{"keywords": {"bitcoin": "btc", "ether": "eth", "btc": "btc"}}');
SELECT * FROM ap_feed_parse_news(
'<feed xmlns="http://www.w3.org/2005/Atom"><title>Desk</title>
 <entry><id>urn:1</id><title>Ethereum</title><link rel="alternate" href="http://x/a"/>
  <updated>2021-01-01T10:00:00+02:00</updated><summary>eth fees</summary></entry></feed>',
'{"keywords": {"ethereum": "eth"}}');
-- hostile or broken XML: refused, nothing expanded or fetched
SELECT * FROM ap_feed_parse_news('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss><channel><item><title>&x;</title></item></channel></rss>');
SELECT * FROM ap_feed_parse_news('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><rss><channel><item><title>&lol2;</title></item></channel></rss>');
SELECT * FROM ap_feed_parse_news('<rss><channel><item><title>cut');
SELECT * FROM ap_feed_parse_news('<html><body>not a feed</body></html>');
SELECT * FROM ap_feed_parse_news('<rss><channel><item><guid>d</guid><pubDate>someday</pubDate></item></channel></rss>');
SELECT * FROM ap_feed_parse_news('<rss><channel><item><description>no id at all</description></item></channel></rss>');
