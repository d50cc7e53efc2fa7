SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS alphapulse; RESET client_min_messages;
-- Feed definitions: argument checks, the host allow list, permissions.
-- Network-free: nothing here reaches a server.
INSERT INTO alphapulse.assets (symbol) VALUES ('fv_btc');
-- with an empty allow list (the default) no URL is allowed
SET alphapulse.allowed_hosts = '';
SELECT ap_add_feed('fv_a', 'price', 'binance', 'http://127.0.0.1:9/klines', 'fv_btc');
SET alphapulse.allowed_hosts = '127.0.0.1, 127.0.0.1:9, feeds.example:8443';
SELECT ap_add_feed('fv_a', 'price', 'binance', 'http://127.0.0.1:9/klines?symbol=BTCUSDT', 'fv_btc',
				   '{"start": "2021-01-01", "end": "2021-02-01", "page_size": 500}');
SELECT name, kind, format, symbol, options, cursor_ts, consecutive_failures, rows_landed
FROM alphapulse.feeds;
-- port-restricted entry
SELECT ap_add_feed('fv_b', 'price', 'kraken', 'https://feeds.example:8443/0/public/OHLC', 'fv_btc');
SELECT ap_add_feed('fv_c', 'price', 'kraken', 'https://feeds.example/0/public/OHLC', 'fv_btc');
-- host not listed, scheme not http(s), not a URL
SELECT ap_add_feed('fv_c', 'price', 'binance', 'http://10.0.0.1/klines', 'fv_btc');
SELECT ap_add_feed('fv_c', 'price', 'binance', 'ftp://127.0.0.1/klines', 'fv_btc');
SELECT ap_add_feed('fv_c', 'price', 'binance', 'file:///etc/passwd', 'fv_btc');
SELECT ap_add_feed('fv_c', 'price', 'binance', 'not a url', 'fv_btc');
-- names, kinds, formats, symbols
SELECT ap_add_feed('FV', 'price', 'binance', 'http://127.0.0.1/k', 'fv_btc');
SELECT ap_add_feed('fv_c; drop table x', 'price', 'binance', 'http://127.0.0.1/k', 'fv_btc');
SELECT ap_add_feed(NULL, 'price', 'binance', 'http://127.0.0.1/k', 'fv_btc');
SELECT ap_add_feed('fv_c', 'prices', 'binance', 'http://127.0.0.1/k', 'fv_btc');
SELECT ap_add_feed('fv_c', 'price', 'bitstamp', 'http://127.0.0.1/k', 'fv_btc');
SELECT ap_add_feed('fv_c', 'price', 'rss', 'http://127.0.0.1/k', 'fv_btc');
SELECT ap_add_feed('fv_c', 'news', 'binance', 'http://127.0.0.1/k');
SELECT ap_add_feed('fv_c', 'price', 'binance', 'http://127.0.0.1/k');
SELECT ap_add_feed('fv_c', 'price', 'binance', 'http://127.0.0.1/k', 'BTC');
SELECT ap_add_feed('fv_c', 'price', 'binance', 'http://127.0.0.1/k', 'fv_nosuch');
SELECT ap_add_feed('fv_a', 'price', 'binance', 'http://127.0.0.1/k', 'fv_btc');
-- options
SELECT ap_add_feed('fv_c', 'price', 'binance', 'http://127.0.0.1/k', 'fv_btc', '{"startTime": 1}');
SELECT ap_add_feed('fv_c', 'price', 'binance', 'http://127.0.0.1/k', 'fv_btc', '[1]');
SELECT ap_add_feed('fv_c', 'price', 'binance', 'http://127.0.0.1/k', 'fv_btc', '{"start": 5}');
SELECT ap_add_feed('fv_c', 'price', 'binance', 'http://127.0.0.1/k', 'fv_btc', '{"start": "soon"}');
SELECT ap_add_feed('fv_c', 'price', 'binance', 'http://127.0.0.1/k', 'fv_btc', '{"start": "infinity"}');
SELECT ap_add_feed('fv_c', 'price', 'binance', 'http://127.0.0.1/k', 'fv_btc', '{"start": "2021-02-01", "end": "2021-01-01"}');
SELECT ap_add_feed('fv_c', 'price', 'binance', 'http://127.0.0.1/k', 'fv_btc', '{"page_size": 0}');
SELECT ap_add_feed('fv_c', 'price', 'coinbase', 'http://127.0.0.1/k', 'fv_btc', '{"page_size": 301}');
SELECT ap_add_feed('fv_c', 'price', 'binance', 'http://127.0.0.1/k', 'fv_btc', '{"keywords": {}}');
SELECT ap_add_feed('fv_n', 'news', 'rss', 'http://127.0.0.1/k', NULL, '{"keywords": {"bitcoin": "BTC"}}');
SELECT ap_add_feed('fv_n', 'news', 'rss', 'http://127.0.0.1/k', NULL, '{"keywords": ["bitcoin"]}');
SELECT ap_add_feed('fv_n', 'news', 'rss', 'http://127.0.0.1/k', NULL, '{"keywords": {"bitcoin": "fv_btc"}}');
-- a feed whose host is later taken off the list fails without touching the network
SET alphapulse.allowed_hosts = 'elsewhere.example';
SELECT requests, rows_landed, ok, message FROM ap_ingest_now('fv_a');
SELECT http_status, rows_landed, message, via FROM alphapulse.feed_runs WHERE feed = 'fv_a';
SELECT consecutive_failures, last_error FROM alphapulse.feed_status WHERE name = 'fv_a';
SELECT * FROM ap_ingest_now('fv_nosuch');
SELECT ap_remove_feed('fv_nosuch');
-- permissions: network functions are not for PUBLIC; secrets are for admins
CREATE ROLE fv_nobody;
CREATE ROLE fv_reader IN ROLE alphapulse_reader;
CREATE ROLE fv_writer IN ROLE alphapulse_writer;
CREATE ROLE fv_admin IN ROLE alphapulse_admin;
INSERT INTO alphapulse.feed_secrets VALUES ('fv_a', '{"X-MBX-APIKEY": "sekrit"}');
SET ROLE fv_nobody;
SELECT ap_add_feed('fv_x', 'price', 'binance', 'http://127.0.0.1/k', 'fv_btc');
SELECT * FROM ap_ingest_now('fv_a');
SELECT ap_remove_feed('fv_a');
SET ROLE fv_reader;
SELECT name FROM alphapulse.feeds ORDER BY name;
SELECT * FROM alphapulse.feed_secrets;
SELECT * FROM ap_ingest_now('fv_a');
SET ROLE fv_writer;
SELECT * FROM alphapulse.feed_secrets;
SELECT ap_add_feed('fv_x', 'price', 'binance', 'http://127.0.0.1/k', 'fv_btc');
SELECT ok, message FROM ap_ingest_now('fv_a');
SET alphapulse.allowed_hosts = '127.0.0.1';
SET ROLE fv_admin;
SELECT headers FROM alphapulse.feed_secrets;
SELECT ap_remove_feed('fv_b');
RESET ROLE;
SELECT ap_remove_feed('fv_a');
SELECT ap_remove_feed('fv_n');
SELECT count(*) FROM alphapulse.feed_runs;
SELECT count(*) FROM alphapulse.feed_secrets;
DELETE FROM alphapulse.assets WHERE symbol = 'fv_btc';
SELECT count(*) FROM alphapulse.feeds;
DROP ROLE fv_nobody, fv_reader, fv_writer, fv_admin;
