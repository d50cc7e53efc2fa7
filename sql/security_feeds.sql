SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS alphapulse; RESET client_min_messages;
-- Issue 7, feed parts: writers cannot remove or re-point admins' feeds, nor
-- shrink a bar interval below a second; the allow list means ports; no URL
-- stored in feeds holds a credential.  Network-free.
CREATE ROLE sf_writer LOGIN IN ROLE alphapulse_writer;
CREATE ROLE sf_admin LOGIN IN ROLE alphapulse_admin;
INSERT INTO alphapulse.assets (symbol, created) VALUES ('sf_btc', '2021-01-01');
SET alphapulse.allowed_hosts = 'feeds.example';
SELECT ap_add_feed('sf_a', 'price', 'binance', 'https://feeds.example/api/v3/klines?symbol=BTCUSDT', 'sf_btc');
INSERT INTO alphapulse.feed_secrets (feed, headers) VALUES ('sf_a', '{"X-MBX-APIKEY": "admin-only"}');

-- finding 5: a writer's DELETE or rename of the asset used to cascade to the feed and its secret
SET ROLE sf_writer;
DELETE FROM alphapulse.assets WHERE symbol = 'sf_btc';
UPDATE alphapulse.assets SET symbol = 'sf_eth' WHERE symbol = 'sf_btc';
-- finding 4: bar intervals under a second are refused (a feed pages by them)
UPDATE alphapulse.assets SET bar_interval = '1 millisecond' WHERE symbol = 'sf_btc';
UPDATE alphapulse.assets SET bar_interval = '0.999999 seconds' WHERE symbol = 'sf_btc';
INSERT INTO alphapulse.assets (symbol, bar_interval, created) VALUES ('sf_fast', '500 milliseconds', '2021-01-01');
UPDATE alphapulse.assets SET bar_interval = '1 second' WHERE symbol = 'sf_btc';
UPDATE alphapulse.assets SET bar_interval = '1 hour' WHERE symbol = 'sf_btc';
RESET ROLE;
SELECT f.name, f.symbol, s.headers FROM alphapulse.feeds f JOIN alphapulse.feed_secrets s ON s.feed = f.name;
-- an admin removes the feed first, then the asset may go
SET ROLE sf_admin;
SELECT ap_remove_feed('sf_a');
DELETE FROM alphapulse.assets WHERE symbol = 'sf_btc';
RESET ROLE;
SELECT count(*) AS feeds, (SELECT count(*) FROM alphapulse.feed_secrets) AS secrets FROM alphapulse.feeds;
INSERT INTO alphapulse.assets (symbol, created) VALUES ('sf_btc', '2021-01-01');

-- finding 10: a bare host means ports 80 and 443; host:port that port only
SET alphapulse.allowed_hosts = 'feeds.example';
SELECT ap_add_feed('sf_p1', 'price', 'binance', 'http://feeds.example:8080/k', 'sf_btc');
SELECT ap_add_feed('sf_p1', 'price', 'binance', 'http://feeds.example:22/k', 'sf_btc');
SELECT ap_add_feed('sf_p1', 'price', 'binance', 'https://FEEDS.example/k', 'sf_btc');
SELECT ap_add_feed('sf_p2', 'price', 'binance', 'http://feeds.example/k', 'sf_btc');
SET alphapulse.allowed_hosts = 'feeds.example:8080, [::1]:9000';
SELECT ap_add_feed('sf_p3', 'price', 'binance', 'http://feeds.example:8080/k', 'sf_btc');
SELECT ap_add_feed('sf_p4', 'price', 'binance', 'https://feeds.example/k', 'sf_btc');
SELECT ap_add_feed('sf_p4', 'price', 'binance', 'http://[::1]:9000/k', 'sf_btc');
SELECT ap_add_feed('sf_p5', 'price', 'binance', 'http://[::1]/k', 'sf_btc');
-- malformed lists are refused when set
SET alphapulse.allowed_hosts = 'feeds.example:http';
SET alphapulse.allowed_hosts = 'feeds.example:0';
SET alphapulse.allowed_hosts = 'feeds.example:70000';
SET alphapulse.allowed_hosts = 'user@feeds.example';
SET alphapulse.allowed_hosts = 'feeds.example/path';
SHOW alphapulse.allowed_hosts;

-- finding 10: credentials in URLs are refused, with a pointer to feed_secrets
SET alphapulse.allowed_hosts = 'feeds.example';
SELECT ap_add_feed('sf_k', 'price', 'binance', 'https://user:pw@feeds.example/k', 'sf_btc');
SELECT ap_add_feed('sf_k', 'price', 'binance', 'https://feeds.example/k?symbol=BTCUSDT&api_key=abc123', 'sf_btc');
SELECT ap_add_feed('sf_k', 'price', 'binance', 'https://feeds.example/k?X-Api-Key=abc123', 'sf_btc');
SELECT ap_add_feed('sf_k', 'price', 'coingecko', 'https://feeds.example/k?vs_currency=usd&x_cg_demo_api_key=CG-1', 'sf_btc');
SELECT ap_add_feed('sf_k', 'price', 'binance', 'https://feeds.example/k?access%5Ftoken=t0k3n', 'sf_btc');
SELECT ap_add_feed('sf_k', 'price', 'binance', 'https://feeds.example/k?signature=deadbeef&timestamp=1', 'sf_btc');
SELECT ap_add_feed('sf_k', 'price', 'binance', 'https://feeds.example/k#token=abc', 'sf_btc');
SELECT ap_add_feed('sf_k', 'news', 'rss', 'https://feeds.example/rss?password=hunter2');
SELECT ap_add_feed('sf_k', 'price', 'binance', 'https://feeds.example/k?symbol=BTCUSDT' || repeat('&x=1', 600), 'sf_btc');
-- URLs not in canonical form: libcurl reads "http:/u:p@h" and "http:///u:p@h" as user u, password p
SET alphapulse.allowed_hosts = 'feeds.example, example.com';
SELECT ap_add_feed('sf_k', 'price', 'binance', 'http:/user:SEKRIT2@example.com/a', 'sf_btc');
SELECT ap_add_feed('sf_k', 'price', 'binance', 'http:///user:SEKRIT3@example.com/a', 'sf_btc');
SELECT ap_add_feed('sf_k', 'price', 'binance', 'http:\\user:SEKRIT4@example.com/a', 'sf_btc');
SELECT ap_add_feed('sf_k', 'price', 'binance', 'http:/example.com/a', 'sf_btc');
SELECT ap_add_feed('sf_k', 'price', 'binance', 'http:///example.com/a', 'sf_btc');
SELECT ap_add_feed('sf_k', 'price', 'binance', 'http://evil.example\@feeds.example/a', 'sf_btc');
SELECT ap_add_feed('sf_k', 'price', 'binance', 'http://feeds.example/a b', 'sf_btc');
SELECT ap_add_feed('sf_k', 'price', 'binance', 'http://feeds%2eexample/a', 'sf_btc');
SELECT ap_add_feed('sf_k', 'price', 'binance', 'http://:80/a', 'sf_btc');
SELECT ap_add_feed('sf_k', 'price', 'binance', 'http://u@feeds.example/a', 'sf_btc');
-- ';' separates parameters too; appid, app_id and sid are credentials
SELECT ap_add_feed('sf_k', 'price', 'binance', 'https://feeds.example/k?symbol=BTCUSDT;apikey=abc123', 'sf_btc');
SELECT ap_add_feed('sf_k', 'price', 'binance', 'https://feeds.example/k?q=London&appid=abc123', 'sf_btc');
SELECT ap_add_feed('sf_k', 'price', 'binance', 'https://feeds.example/k?app_id=abc123', 'sf_btc');
SELECT ap_add_feed('sf_k', 'price', 'binance', 'https://feeds.example/k?sid=abc123', 'sf_btc');
SELECT count(*) AS stored FROM alphapulse.feeds WHERE url LIKE '%SEKRIT%' OR url LIKE '%abc123%';
SET alphapulse.allowed_hosts = 'feeds.example';
-- ordinary parameters are fine
SELECT ap_add_feed('sf_k', 'price', 'binance', 'https://feeds.example/k?symbol=BTCUSDT&interval=1h&keywords=x', 'sf_btc');
-- an admin's UPDATE of the url is checked the same way
SET ROLE sf_admin;
UPDATE alphapulse.feeds SET url = 'https://feeds.example/k?symbol=BTCUSDT&apikey=zzz' WHERE name = 'sf_k';
UPDATE alphapulse.feeds SET url = 'https://admin:pw@feeds.example/k' WHERE name = 'sf_k';
UPDATE alphapulse.feeds SET url = 'http:/u:SEKRIT@127.0.0.1:18080/x' WHERE name = 'sf_k';
UPDATE alphapulse.feeds SET url = 'http:///u:SEKRIT@127.0.0.1:18080/x' WHERE name = 'sf_k';
UPDATE alphapulse.feeds SET url = 'http://127.1:18080/x' WHERE name = 'sf_k';
UPDATE alphapulse.feeds SET url = 'https://feeds.example/k?symbol=ETHUSDT' WHERE name = 'sf_k';
-- options are checked on UPDATE too, not first when the feed runs
UPDATE alphapulse.feeds SET options = '{"page_size": 0}' WHERE name = 'sf_k';
UPDATE alphapulse.feeds SET options = '{"start": "not a date"}' WHERE name = 'sf_k';
UPDATE alphapulse.feeds SET options = '{"page_size": 100}' WHERE name = 'sf_k';
-- the key goes in feed_secrets.query instead (sent at request time, never stored in a URL)
INSERT INTO alphapulse.feed_secrets (feed, query) VALUES ('sf_k', '{"apikey": "zzz"}');
INSERT INTO alphapulse.feed_secrets (feed, query) VALUES ('sf_p2', '["not", "an", "object"]');
SELECT feed, headers, query FROM alphapulse.feed_secrets ORDER BY feed;
RESET ROLE;
SET ROLE sf_writer;
SELECT * FROM alphapulse.feed_secrets;
UPDATE alphapulse.feeds SET url = 'https://feeds.example/other' WHERE name = 'sf_k';
RESET ROLE;
SELECT name, url FROM alphapulse.feeds ORDER BY name;

-- the parsers refuse a body over alphapulse.max_response_size before parsing it (a reader's 403 MB body peaked at 1.27 GB)
CREATE ROLE sf_reader LOGIN IN ROLE alphapulse_reader;
SET alphapulse.max_response_size = '1kB';
SET ROLE sf_reader;
SELECT count(*) FROM ap_feed_parse('binance', '[' || repeat('[1,"1","1","1","1","1",2],', 40) || '[1,"1","1","1","1","1",2]]');
SELECT count(*) FROM ap_feed_parse_news('<rss><channel>' || repeat('<item><title>t</title></item>', 40) || '</channel></rss>');
SELECT count(*) FROM ap_feed_parse('binance', '[[1,"1","1","1","1","1",2]]');
RESET ROLE;
RESET alphapulse.max_response_size;

-- clean up
SELECT ap_remove_feed(name) FROM alphapulse.feeds WHERE name LIKE 'sf\_%' ORDER BY name;
DELETE FROM alphapulse.assets WHERE symbol = 'sf_btc';
DROP ROLE sf_writer;
DROP ROLE sf_admin;
DROP ROLE sf_reader;
