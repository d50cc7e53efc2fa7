-- News feature kinds (news_count, news_sent_mean, news_sent_decay,
-- news_sent_max_abs): values on a hand-worked case, the point-in-time rule
-- (published before the bar's end AND landed by then), incremental builds
-- that never change stored rows, the back-fill switch, and bad parameters.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS alphapulse;
-- news.sentiment comes from the sentiment part (70_sentiment.sql); this test
-- only needs the column, and sets its values itself (dropped at the end if
-- this test added it).
CREATE TEMP TABLE had_sentiment AS
SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'alphapulse.news'::regclass
			   AND attname = 'sentiment' AND NOT attisdropped) AS had;
ALTER TABLE alphapulse.news ADD COLUMN IF NOT EXISTS sentiment double precision;
RESET client_min_messages;
SET TIME ZONE 'UTC';
\set VERBOSITY default
\set SHOW_CONTEXT never

INSERT INTO alphapulse.assets (symbol, bar_interval) VALUES ('nfa', '1 hour');
-- six hourly bars 00:00 .. 05:00: bar i ends at 01:00 + i hours
INSERT INTO alphapulse.bars (symbol, ts, open, high, low, close, volume)
SELECT 'nfa', '2024-01-01 00:00+00'::timestamptz + i * interval '1 hour', 100, 101 + i, 99, 100 + i, 1
FROM generate_series(0, 5) i;
-- a back-fill feed whose publication times are trusted
INSERT INTO alphapulse.feeds (name, kind, format, url) VALUES ('nf_archive', 'news', 'rss', 'http://archive.invalid/rss');
UPDATE alphapulse.feeds SET trust_published = true WHERE name = 'nf_archive';

-- item  published  fetched   sentiment  counts from (first bar whose end is >= arrival)
-- a     00:30      00:40      0.5       bar 0 (end 01:00)
-- b     01:00      01:00     -0.8       bar 1: published AT bar 0's end is not before it
-- c     01:10      03:30      0.2       bar 3: landed late, counts from its landing
-- d     02:20      02:25      NULL      bar 2: unscored, counted but not averaged
-- e     NULL       04:59:59   0.9       bar 4: no publication time, counts from landing
-- f     00:10      05:30     -0.4       bar 0: trusted back-fill feed, counts from published
-- g     00:05      00:06      1.0       never: another symbol
-- h     05:50      05:55     -0.6       bar 5 (mentions eth too)
INSERT INTO alphapulse.news (guid, feed, title, published, fetched, symbols) VALUES
	('a', 'nf_live', 'item a', '2024-01-01 00:30+00', '2024-01-01 00:40+00', '{nfa}'),
	('b', 'nf_live', 'item b', '2024-01-01 01:00+00', '2024-01-01 01:00+00', '{nfa}'),
	('c', 'nf_live', 'item c', '2024-01-01 01:10+00', '2024-01-01 03:30+00', '{nfa}'),
	('d', 'nf_live', 'item d', '2024-01-01 02:20+00', '2024-01-01 02:25+00', '{nfa}'),
	('e', 'nf_live', 'item e', NULL, '2024-01-01 04:59:59+00', '{nfa}'),
	('f', 'nf_archive', 'item f', '2024-01-01 00:10+00', '2024-01-01 05:30+00', '{nfa}'),
	('g', 'nf_live', 'item g', '2024-01-01 00:05+00', '2024-01-01 00:06+00', '{zzz}'),
	('h', 'nf_live', 'item h', '2024-01-01 05:50+00', '2024-01-01 05:55+00', '{eth,nfa}');
-- set after the insert: a landing-time scorer may have filled it from the title
UPDATE alphapulse.news n SET sentiment = v.s
FROM (VALUES ('a', 0.5), ('b', -0.8), ('c', 0.2), ('d', NULL), ('e', 0.9), ('f', -0.4), ('g', 1.0), ('h', -0.6)) v(guid, s)
WHERE n.guid = v.guid;

SELECT ap_feature_set('nf', '{"features": ["news_count:1", "news_count:2", "news_sent_mean:1",
	"news_sent_mean:2", "news_sent_max_abs:2", "news_sent_decay:1", "news_sent_decay:3", "ret:1"],
	"target": {"horizon": 1, "type": "regression"}}');
SELECT ap_build_features('nfa', 'nf');

-- Worked by hand (windows of h bars: arrivals in (end of bar t-h, end of bar t]):
--   news_count:1      2, 1, 1, 1, 1, 1
--   news_count:2      2 (a f), 3 (a f b), 2 (b d), 2 (d c), 2 (c e), 2 (e h)
--   news_sent_mean:1  (0.5-0.4)/2, -0.8, NULL (only d, unscored), 0.2, 0.9, -0.6
--   news_sent_mean:2  0.05, (0.5-0.4-0.8)/3, -0.8, 0.2, (0.2+0.9)/2, (0.9-0.6)/2
--   news_sent_max_abs:2  0.5, 0.8, 0.8, 0.2, 0.9, 0.9
--   news_sent_decay:p  sum of s * 2^(-(end - arrival) / (p hours)); bar 0 with
--     p = 1: 0.5 * 2^(-20/60) - 0.4 * 2^(-(50/60 - 1 us)) = 0.172357853; the
--     rest computed independently in Python from the same item table.
CREATE TEMP TABLE hand (i int, cnt1 float8, cnt2 float8, mean1 float8, mean2 float8,
						maxabs2 float8, decay1 float8, decay3 float8);
INSERT INTO hand VALUES
	(0, 2, 2, 0.05, 0.05, 0.5, 0.172357853, 0.132993118),
	(1, 1, 3, -0.8, -0.7 / 3, 0.8, -0.313821073, -0.529403713),
	(2, 1, 2, NULL, -0.8, 0.8, -0.156910537, -0.420188005),
	(3, 1, 2, 0.2, 0.2, 0.2, 0.062966088, -0.155323697),
	(4, 1, 2, 0.9, 0.55, 0.9, 0.931309774, 0.776661739),
	(5, 1, 2, -0.6, 0.15, 0.9, -0.100669701, 0.027878778);
SELECT h.i, f.x[1] = h.cnt1 AS cnt1, f.x[2] = h.cnt2 AS cnt2,
	   coalesce(abs(f.x[3] - h.mean1) < 1e-12, f.x[3] IS NULL AND h.mean1 IS NULL) AS mean1,
	   abs(f.x[4] - h.mean2) < 1e-12 AS mean2, abs(f.x[5] - h.maxabs2) < 1e-12 AS maxabs2,
	   abs(f.x[6] - h.decay1) < 1e-8 AS decay1, abs(f.x[7] - h.decay3) < 1e-8 AS decay3
FROM alphapulse.features f
JOIN hand h ON f.ts = '2024-01-01 00:00+00'::timestamptz + h.i * interval '1 hour'
WHERE f.symbol = 'nfa' AND f.feature_set = 'nf' ORDER BY h.i;
SELECT ts, ARRAY(SELECT round(v::numeric, 9) FROM unnest(x[1:7]) WITH ORDINALITY u(v, o) ORDER BY o) AS x
FROM alphapulse.features WHERE symbol = 'nfa' AND feature_set = 'nf' ORDER BY ts;

CREATE TEMP TABLE before AS
SELECT ts, x FROM alphapulse.features WHERE symbol = 'nfa' AND feature_set = 'nf';

-- Point in time 1: an item published at 02:30 (before bar 2's end) that lands
-- only now, and one published after bar 5's end: neither changes any row,
-- not incrementally and not in a rebuild from scratch.
INSERT INTO alphapulse.news (guid, feed, title, published, fetched, symbols) VALUES
	('late', 'nf_live', 'late', '2024-01-01 02:30+00', now(), '{nfa}'),
	('future', 'nf_live', 'future', '2024-01-01 06:30+00', '2024-01-01 06:31+00', '{nfa}');
UPDATE alphapulse.news SET sentiment = 0.7 WHERE guid IN ('late', 'future');
SELECT ap_build_features('nfa', 'nf') AS added_nothing;
DELETE FROM alphapulse.features WHERE symbol = 'nfa' AND feature_set = 'nf';
SELECT ap_build_features('nfa', 'nf') AS rebuilt;
SELECT count(*) AS changed_rows FROM before b
JOIN alphapulse.features f ON f.ts = b.ts AND f.symbol = 'nfa' AND f.feature_set = 'nf'
WHERE f.x IS DISTINCT FROM b.x;

-- Point in time 2: an item that lands during a later bar (published 03:15,
-- landed 06:10, in bar 6) counts from bar 6 on: the next incremental build
-- adds bar 6 with it and leaves rows 0..5 as they were; a full rebuild agrees.
INSERT INTO alphapulse.news (guid, feed, title, published, fetched, symbols)
VALUES ('landed6', 'nf_live', 'landed at 06:10', '2024-01-01 03:15+00', '2024-01-01 06:10+00', '{nfa}');
UPDATE alphapulse.news SET sentiment = -0.3 WHERE guid = 'landed6';
INSERT INTO alphapulse.bars (symbol, ts, open, high, low, close, volume)
VALUES ('nfa', '2024-01-01 06:00+00', 105, 107, 104, 106, 1);
SELECT ap_build_features('nfa', 'nf') AS added;
SELECT count(*) AS changed_rows FROM before b
JOIN alphapulse.features f ON f.ts = b.ts AND f.symbol = 'nfa' AND f.feature_set = 'nf'
WHERE f.x IS DISTINCT FROM b.x;
-- bar 6 (end 07:00): window of 1 bar holds future (06:31, 0.7) and landed6 (-0.3)
SELECT ts, x[1] AS cnt1, round(x[3]::numeric, 12) AS mean1, x[5] AS maxabs2
FROM alphapulse.features WHERE symbol = 'nfa' AND feature_set = 'nf' AND ts = '2024-01-01 06:00+00';
CREATE TEMP TABLE incremental AS
SELECT ts, x FROM alphapulse.features WHERE symbol = 'nfa' AND feature_set = 'nf';
DELETE FROM alphapulse.features WHERE symbol = 'nfa' AND feature_set = 'nf';
SELECT ap_build_features('nfa', 'nf') AS rebuilt;
SELECT count(*) AS differing FROM incremental i
JOIN alphapulse.features f ON f.ts = i.ts AND f.symbol = 'nfa' AND f.feature_set = 'nf'
WHERE f.x IS DISTINCT FROM i.x;

-- The back-fill switch: without trust_published, f counts only from its
-- landing (05:30, bar 5), so bar 0 sees a alone.
UPDATE alphapulse.feeds SET trust_published = false WHERE name = 'nf_archive';
DELETE FROM alphapulse.features WHERE symbol = 'nfa' AND feature_set = 'nf';
SELECT ap_build_features('nfa', 'nf') AS rebuilt;
SELECT ts, x[1] AS cnt1, x[3] AS mean1 FROM alphapulse.features
WHERE symbol = 'nfa' AND feature_set = 'nf' AND ts IN ('2024-01-01 00:00+00', '2024-01-01 05:00+00') ORDER BY ts;

-- A symbol without news: counts are 0, sentiment kinds NULL (missing).
INSERT INTO alphapulse.assets (symbol, bar_interval) VALUES ('nfb', '1 hour');
INSERT INTO alphapulse.bars (symbol, ts, open, high, low, close, volume)
SELECT 'nfb', '2024-01-01 00:00+00'::timestamptz + i * interval '1 hour', 100, 101, 99, 100, 1
FROM generate_series(0, 2) i;
SELECT ap_build_features('nfb', 'nf');
SELECT ts, x[1:7] FROM alphapulse.features WHERE symbol = 'nfb' ORDER BY ts;

-- Bad parameters: 22023 with the parser's message.
DO $$
DECLARE
	spec text;
BEGIN
	FOREACH spec IN ARRAY ARRAY['news_count:0', 'news_count:-1', 'news_count:100001', 'news_count:01',
		'news_sent_mean:1.5', 'news_sent_decay', 'news_sent_max_abs:2:3', 'news_sent_decay:+4', 'news_sent:3']
	LOOP
		BEGIN
			PERFORM ap_feature_set('nf_bad', jsonb_build_object('features', jsonb_build_array(spec)));
			RAISE NOTICE '% accepted', spec;
		EXCEPTION WHEN OTHERS THEN
			RAISE NOTICE '% -> % %', spec, SQLSTATE, SQLERRM;
		END;
	END LOOP;
END
$$;

DROP TABLE before, incremental, hand;
DELETE FROM alphapulse.features WHERE feature_set = 'nf';
DELETE FROM alphapulse.feature_sets WHERE name = 'nf';
DELETE FROM alphapulse.news WHERE feed IN ('nf_live', 'nf_archive');
DELETE FROM alphapulse.feeds WHERE name = 'nf_archive';
DELETE FROM alphapulse.bars WHERE symbol IN ('nfa', 'nfb');
DELETE FROM alphapulse.assets WHERE symbol IN ('nfa', 'nfb');
DO $$
BEGIN
	IF NOT (SELECT had FROM had_sentiment) THEN
		ALTER TABLE alphapulse.news DROP COLUMN sentiment;
	END IF;
END
$$;
DROP TABLE had_sentiment;
