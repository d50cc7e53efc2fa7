-- News sentiment (issue 11): the scorer's rules each on and off, bad input,
-- HTML to plain text, the lexicon table, scoring at landing and re-scoring.
SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS alphapulse; RESET client_min_messages;
SET extra_float_digits = 0;

-- Rule tests.  For each rule, pairs (base, changed) of texts that differ only
-- in what the rule reads: with every rule on, the changed text scores in the
-- expected direction; with that one rule off, both score the same.  The rule
-- list comes from ap_sentiment_rule_names(), so a new rule without a case
-- shows up here as a missing row.
CREATE TEMP TABLE rule_cases (rule text, base text, changed text, direction int);
INSERT INTO rule_cases VALUES
	('negation', 'Exchange wins license', 'Exchange never wins license', -1),
	('negation', 'Bitcoin is crashing', 'Bitcoin is not crashing', 1),
	('booster', 'Bitcoin is bullish', 'Bitcoin is extremely bullish', 1),
	('booster', 'Bitcoin is bullish', 'Bitcoin is slightly bullish', -1),
	('contrast', 'Ether rallied and later crashed', 'Ether rallied but later crashed', -1),
	('contrast', 'Bitcoin gains amid market turmoil', 'Bitcoin gains despite market turmoil', 1),
	('caps', 'Bitcoin crash looms', 'Bitcoin CRASH looms', -1),
	('punctuation', 'Bitcoin rallies', 'Bitcoin rallies!!', 1),
	('punctuation', 'Bitcoin rallies', 'Bitcoin rallies?', -1),
	('phrases', 'Token pull rug', 'Token rug pull', -1),
	('phrases', 'Dogecoin squeeze short', 'Dogecoin short squeeze', 1),
	('phrases', 'Coinbase investigation under way', 'Coinbase under investigation', -1),
	('finance', 'Bitcoin today', 'Bitcoin rallies today', 1),
	('finance', 'Ether at 12%', 'Ether at +12%', 1),
	('finance', 'Exchange delists token', 'Exchange delists token after hack', -1);
SELECT n.rule, c.base IS NOT NULL AS has_case FROM ap_sentiment_rule_names() AS n(rule)
LEFT JOIN (SELECT DISTINCT ON (rule) rule, base FROM rule_cases) c USING (rule) ORDER BY 1;
WITH r AS (
	SELECT c.*, ARRAY(SELECT x FROM ap_sentiment_rule_names() x) AS all_rules,
		   ARRAY(SELECT x FROM ap_sentiment_rule_names() x WHERE x <> c.rule) AS without
	FROM rule_cases c
)
SELECT rule, changed,
	   sign((ap_sentiment_rules(changed, all_rules)).compound - (ap_sentiment_rules(base, all_rules)).compound) = direction AS on_moves,
	   (ap_sentiment_rules(changed, without)).compound = (ap_sentiment_rules(base, without)).compound AS off_same
FROM r ORDER BY rule, changed;
-- all rules named equals ap_sentiment(text)
SELECT count(*) AS differ FROM rule_cases c
WHERE ap_sentiment(c.changed) IS DISTINCT FROM ap_sentiment_rules(c.changed, ARRAY(SELECT ap_sentiment_rule_names()));
-- caps emphasis only when not every word is in capitals
SELECT (ap_sentiment('BITCOIN CRASH LOOMS')).compound = (ap_sentiment('bitcoin crash looms')).compound AS all_caps_no_emphasis;
-- negation reaches three words back, not four
SELECT (ap_sentiment('no one really gains')).compound < 0 AS three_back,
	   (ap_sentiment('no one here really gains')).compound > 0 AS four_back;
-- multi-word terms from the issue
SELECT t, (ap_sentiment(t)).compound > 0 AS positive FROM (VALUES ('BTC at all-time high'), ('Solana ETF approval'),
	('short squeeze on GME'), ('Token rug pull'), ('Exchange under investigation')) v(t) ORDER BY 1;
SELECT * FROM ap_sentiment_rules('Bitcoin rallies', '{nosuchrule}');

-- Bad input.
SELECT * FROM ap_sentiment(NULL);
SELECT * FROM ap_sentiment('');
SELECT * FROM ap_sentiment('   ');
SELECT * FROM ap_sentiment('Bitcoin and Ether');
-- very long text: only the first 4096 bytes are read (the rallies after
-- them do not count), in bounded time and memory
SELECT (ap_sentiment(repeat('crash ', 1000) || repeat('rally ', 1000000))).compound < 0 AS bounded,
	   (ap_sentiment(repeat('x', 10000000))).compound AS one_huge_word;
SELECT s.compound BETWEEN -1 AND 1 AND abs(s.positive + s.negative + s.neutral - 1) < 1e-9 AS sane
FROM ap_sentiment(repeat('RALLY!!! not crash but SURGE?? ', 500)) s;
SELECT * FROM ap_sentiment('Bitcoin rallies', 0);

-- HTML and entities to plain text.
SELECT ap_html_to_text('<p>BTC rallied as <b>ether</b> lagged.</p>');
SELECT ap_html_to_text('<![CDATA[Q1 &amp; Q2: &quot;up&quot; &#8212; &#x1F680;]]>');
SELECT ap_html_to_text(E'a<br/>b\n\n  c&nbsp;d <!-- hidden --> <script>var x = "<b>";</script>e');
SELECT ap_html_to_text('BTC < $50k & ETH > $3k &bogus; &#0; &#xD800; &#99999999;');
SELECT ap_html_to_text('<a href="x>y">link</a> <style>p{}</style>end');
SELECT length(ap_html_to_text(repeat('<b>é</b>', 100000))) AS clipped;
SELECT (ap_sentiment(ap_html_to_text('<p>Bitcoin <b>plunges</b> &amp; exchange hacked</p>'))).compound < 0 AS html_scored;

-- The lexicon table: built-in rows equal the compiled lexicon; a weight out
-- of range, a bad kind or term, and changes to built-in rows are refused.
SELECT count(*) = (SELECT count(*) FROM ap_sentiment_builtin_lexicon()) AS same_size,
	   min(version) = ap_sentiment_version() AND max(version) = ap_sentiment_version() AS one_version
FROM alphapulse.sentiment_lexicon WHERE source = 'builtin';
\set VERBOSITY terse
INSERT INTO alphapulse.sentiment_lexicon (term, weight) VALUES ('moonshot', 5);
INSERT INTO alphapulse.sentiment_lexicon (term, weight) VALUES ('moonshot', -4.5);
INSERT INTO alphapulse.sentiment_lexicon (term, weight, kind) VALUES ('moonshot', 1, 'emoji');
INSERT INTO alphapulse.sentiment_lexicon (term, weight) VALUES ('Moonshot', 1);
INSERT INTO alphapulse.sentiment_lexicon (term, weight) VALUES ('a b c d', 1);
\set VERBOSITY default
UPDATE alphapulse.sentiment_lexicon SET weight = 0 WHERE term = 'rally' AND kind = 'finance';
DELETE FROM alphapulse.sentiment_lexicon WHERE term = 'rally';
INSERT INTO alphapulse.sentiment_lexicon (term, weight, source) VALUES ('moonshot', 1, 'builtin');

-- Scoring at landing (the trigger), then a lexicon change and ap_rescore_news.
DELETE FROM alphapulse.news;
INSERT INTO alphapulse.news (guid, feed, title, summary, published) VALUES
	('s1', 'f', '<p>Bitcoin <b>surges</b> to all-time high</p>', NULL, '2024-01-02'),
	('s2', 'f', 'Exchange hacked &amp; funds drained', '<![CDATA[Users &amp; traders hit]]>', '2024-01-03'),
	('s3', 'f', NULL, NULL, '2024-01-04'),
	('s4', 'f', 'Token moonshot', 'Analysts see moonshot', '2024-01-05');
SELECT guid, text_plain, round(sentiment::numeric, 4) AS sentiment, round((sentiment_pos + sentiment_neg + sentiment_neu)::numeric, 6) AS props,
	   sentiment_source, lexicon_version FROM alphapulse.news ORDER BY guid;
-- the stored score is ap_sentiment of text_plain
SELECT count(*) AS mismatched FROM alphapulse.news n
WHERE n.sentiment IS DISTINCT FROM (ap_sentiment(n.text_plain)).compound;
-- an LLM score (set by another UPDATE) is not overwritten by updates of other columns
UPDATE alphapulse.news SET sentiment = 0.9, sentiment_source = 'llm' WHERE guid = 's2';
UPDATE alphapulse.news SET link = 'http://example.com/s2' WHERE guid = 's2';
SELECT guid, sentiment, sentiment_source FROM alphapulse.news WHERE guid = 's2';
-- a restored row keeps its score
INSERT INTO alphapulse.news (guid, feed, title, sentiment, sentiment_source) VALUES ('s5', 'f', 'Bitcoin crashes', 0.5, 'llm');
SELECT guid, sentiment, sentiment_source, text_plain FROM alphapulse.news WHERE guid = 's5';
DELETE FROM alphapulse.news WHERE guid = 's5';
-- a new title is scored again
UPDATE alphapulse.news SET title = 'Bitcoin crashes' WHERE guid = 's1';
SELECT guid, text_plain, sentiment < 0 AS negative FROM alphapulse.news WHERE guid = 's1';
-- a user row: a new lexicon version; ap_sentiment(text) does not see it
-- (IMMUTABLE, built-in lexicon), ap_sentiment(text, version) does
INSERT INTO alphapulse.sentiment_lexicon (term, weight) VALUES ('moonshot', 2.5);
SELECT term, weight, kind, version, source FROM alphapulse.sentiment_lexicon WHERE source = 'user';
SELECT (ap_sentiment('Token moonshot')).compound AS builtin_only,
	   round((ap_sentiment('Token moonshot', 2)).compound::numeric, 4) AS with_v2,
	   (ap_sentiment('Token moonshot', 1)).compound AS with_v1;
-- a user row wins over the built-in row of the same term
INSERT INTO alphapulse.sentiment_lexicon (term, weight, kind) VALUES ('rally', -2, 'finance');
SELECT (ap_sentiment('Bitcoin rally', 3)).compound < 0 AS user_wins;
SELECT ap_rescore_news('2024-01-04');
SELECT guid, round(sentiment::numeric, 4) AS sentiment, sentiment_source, lexicon_version FROM alphapulse.news ORDER BY guid;
SELECT ap_rescore_news('-infinity');
SELECT ap_rescore_news('-infinity');
SELECT guid, sentiment_source, lexicon_version FROM alphapulse.news ORDER BY guid;
-- new rows land with the current version
INSERT INTO alphapulse.news (guid, feed, title) VALUES ('s6', 'f', 'Another moonshot');
SELECT guid, round(sentiment::numeric, 4) AS sentiment, lexicon_version FROM alphapulse.news WHERE guid = 's6';
-- the landing trigger caches the lexicon per transaction, but a change in
-- the same transaction is seen by the next row
BEGIN;
INSERT INTO alphapulse.news (guid, feed, title) VALUES ('s7', 'f', 'Token dogpile');
INSERT INTO alphapulse.sentiment_lexicon (term, weight) VALUES ('dogpile', -3);
INSERT INTO alphapulse.news (guid, feed, title) VALUES ('s8', 'f', 'Token dogpile');
COMMIT;
SELECT guid, sentiment < 0 AS negative, lexicon_version FROM alphapulse.news WHERE guid IN ('s7', 's8') ORDER BY guid;
DELETE FROM alphapulse.news;
DELETE FROM alphapulse.sentiment_lexicon WHERE source = 'user';
