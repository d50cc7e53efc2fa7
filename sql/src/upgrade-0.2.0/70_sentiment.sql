-- BEGIN sentiment
-- News sentiment (issue 11): the lexicon-and-rules scorer ap_sentiment, its
-- lexicon as a table users can extend, HTML-to-plain-text, and scoring each
-- news item as it lands (src/sentiment.c, src/sentiment_sql.c).

-- The lexicon.  Rows of source 'builtin' are the lexicon compiled into the
-- library (generated from src/sentiment_lexicon.tsv, the one source of truth)
-- and cannot be changed; users add rows of source 'user', which win over a
-- built-in row of the same term.  A row's version is the lexicon version
-- that introduced it: the lexicon of version v is the built-in rows plus the
-- user rows of version <= v, and the current version is the highest.
CREATE TABLE alphapulse.sentiment_lexicon (
	term		text NOT NULL,
	weight		double precision NOT NULL,
	kind		text NOT NULL DEFAULT 'finance',
	version		integer NOT NULL,
	source		text NOT NULL DEFAULT 'user',
	added		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (term, kind, source),
	CONSTRAINT sentiment_lexicon_weight CHECK (weight BETWEEN -4 AND 4),
	CONSTRAINT sentiment_lexicon_kind CHECK (kind = ANY (ARRAY['general', 'finance', 'booster', 'dampener', 'negator', 'contrast'])),
	CONSTRAINT sentiment_lexicon_term CHECK (term OPERATOR(pg_catalog.=) pg_catalog.lower(term)
		AND term OPERATOR(pg_catalog.~) '^[^ ]{1,48}( [^ ]{1,48}){0,2}$'),
	CONSTRAINT sentiment_lexicon_source CHECK (source = ANY (ARRAY['builtin', 'user'])),
	CONSTRAINT sentiment_lexicon_version CHECK (version >= 1)
);
COMMENT ON TABLE alphapulse.sentiment_lexicon IS
'Sentiment lexicon: the built-in rows (source builtin, generated from src/sentiment_lexicon.tsv, read-only) and user rows (source user, winning over a built-in row of the same term). kind general or finance: a sentiment term (finance overrides general; weight -4..4; up to 3 words); booster/dampener: scales the next term; negator: flips terms up to 3 words after it; contrast: 1 = "but", 2 = "despite".';
COMMENT ON COLUMN alphapulse.sentiment_lexicon.version IS
'Lexicon version that introduced the row; a new user row defaults to the current version + 1 (rows added in one statement share it). The current version is the highest; news.lexicon_version records the one each score used.';

CREATE FUNCTION alphapulse.sentiment_lexicon_version() RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.max(version) FROM alphapulse.sentiment_lexicon $$;
COMMENT ON FUNCTION alphapulse.sentiment_lexicon_version() IS
'The current sentiment lexicon version: the highest version of any row of alphapulse.sentiment_lexicon.';
ALTER TABLE alphapulse.sentiment_lexicon
	ALTER COLUMN version SET DEFAULT alphapulse.sentiment_lexicon_version() OPERATOR(pg_catalog.+) 1;

CREATE FUNCTION ap_sentiment_builtin_lexicon(OUT term text, OUT weight double precision, OUT kind text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ap_sentiment_builtin_lexicon'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ap_sentiment_builtin_lexicon() IS
'The lexicon compiled into the library (from src/sentiment_lexicon.tsv), as rows; CREATE EXTENSION copies it into alphapulse.sentiment_lexicon. Pure and cheap: PUBLIC.';

CREATE FUNCTION ap_sentiment_version() RETURNS integer
AS 'MODULE_PATHNAME', 'ap_sentiment_version'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ap_sentiment_version() IS
'Version of the lexicon compiled into the library, the one ap_sentiment(text) uses. Pure: PUBLIC.';

INSERT INTO alphapulse.sentiment_lexicon (term, weight, kind, version, source)
SELECT l.term, l.weight, l.kind, @extschema@.ap_sentiment_version(), 'builtin'
FROM @extschema@.ap_sentiment_builtin_lexicon() AS l;

-- Built-in rows are the compiled lexicon: changing them here would not change
-- ap_sentiment(text), so they are read-only (add a user row instead).
CREATE FUNCTION alphapulse.sentiment_lexicon_protect() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.source = 'builtin' THEN
		RAISE EXCEPTION 'built-in lexicon rows cannot be changed'
			USING ERRCODE = 'insufficient_privilege',
				DETAIL = pg_catalog.format('Term "%s" (%s) is part of the lexicon compiled into the library.', OLD.term, OLD.kind),
				HINT = 'Insert a row with source ''user'' for the same term and kind: it wins over the built-in one.';
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.source = 'builtin' THEN
		RAISE EXCEPTION 'only the extension adds built-in lexicon rows'
			USING ERRCODE = 'insufficient_privilege', HINT = 'Use source ''user''.';
	END IF;
	IF TG_OP = 'DELETE' THEN
		RETURN OLD;
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION alphapulse.sentiment_lexicon_protect() IS
'Trigger on alphapulse.sentiment_lexicon: built-in rows are read-only and only the extension script adds them.';
CREATE TRIGGER sentiment_lexicon_protect BEFORE INSERT OR UPDATE OR DELETE ON alphapulse.sentiment_lexicon
	FOR EACH ROW EXECUTE FUNCTION alphapulse.sentiment_lexicon_protect();

-- The landing trigger caches the lexicon for a transaction; a change in this
-- backend's own transaction tells it to reload.
CREATE FUNCTION alphapulse.sentiment_lexicon_changed() RETURNS trigger
AS 'MODULE_PATHNAME', 'ap_sentiment_lexicon_changed'
LANGUAGE C;
COMMENT ON FUNCTION alphapulse.sentiment_lexicon_changed() IS
'Trigger (AFTER each statement changing alphapulse.sentiment_lexicon): the news landing trigger reloads the lexicon.';
CREATE TRIGGER sentiment_lexicon_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON alphapulse.sentiment_lexicon
	FOR EACH STATEMENT EXECUTE FUNCTION alphapulse.sentiment_lexicon_changed();
-- the current version is max(version): an index, not a scan, per landing transaction
CREATE INDEX sentiment_lexicon_version_idx ON alphapulse.sentiment_lexicon (version);

-- pg_dump keeps the user rows; CREATE EXTENSION recreates the built-in ones.
SELECT pg_catalog.pg_extension_config_dump('alphapulse.sentiment_lexicon', 'WHERE source = ''user''');

-- The scorer.
CREATE FUNCTION ap_sentiment(text, OUT compound double precision, OUT positive double precision,
							 OUT negative double precision, OUT neutral double precision)
AS 'MODULE_PATHNAME', 'ap_sentiment'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ap_sentiment(text) IS
'Sentiment of a short financial or crypto text with the built-in lexicon (version ap_sentiment_version()) and every rule: compound in [-1, 1] (>= 0.05 positive, <= -0.05 negative) and the positive/negative/neutral proportions (sum 1). Empty text: (0, 0, 0, 1). Reads at most the first 4096 bytes / 512 words. Pure and cheap: PUBLIC.';

CREATE FUNCTION ap_sentiment(text, lexicon_version integer, OUT compound double precision, OUT positive double precision,
							 OUT negative double precision, OUT neutral double precision)
AS 'MODULE_PATHNAME', 'ap_sentiment'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ap_sentiment(text, integer) IS
'ap_sentiment with the lexicon of the given version: the built-in rows plus the user rows of alphapulse.sentiment_lexicon with version <= lexicon_version (reads the table, so STABLE). Readers.';

CREATE FUNCTION ap_sentiment_rules(text, rules text[], OUT compound double precision, OUT positive double precision,
								   OUT negative double precision, OUT neutral double precision)
AS 'MODULE_PATHNAME', 'ap_sentiment_rules'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ap_sentiment_rules(text, text[]) IS
'ap_sentiment with only the named rules on (the others off), built-in lexicon: for tests and to see what each rule does. Rules: ap_sentiment_rule_names(). Pure: PUBLIC.';

CREATE FUNCTION ap_sentiment_rule_names() RETURNS SETOF text
AS 'MODULE_PATHNAME', 'ap_sentiment_rule_names'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ap_sentiment_rule_names() IS
'Rules of the sentiment scorer: negation, booster, contrast, caps, punctuation, phrases, finance (finance entries, finance phrases and signed percentages). Pure: PUBLIC.';

CREATE FUNCTION ap_html_to_text(text) RETURNS text
AS 'MODULE_PATHNAME', 'ap_html_to_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ap_html_to_text(text) IS
'Plain text of an HTML fragment: tags, comments, script/style bodies and CDATA markers dropped, named and numeric entities decoded (once), whitespace collapsed and trimmed; reads at most 65536 bytes and returns at most 8192, cut at a character boundary. Pure: PUBLIC.';

-- Scoring at landing.
ALTER TABLE alphapulse.news
	ADD COLUMN text_plain text,
	ADD COLUMN sentiment double precision,
	ADD COLUMN sentiment_pos double precision,
	ADD COLUMN sentiment_neg double precision,
	ADD COLUMN sentiment_neu double precision,
	ADD COLUMN sentiment_source text,
	ADD COLUMN lexicon_version integer,
	ADD CONSTRAINT news_sentiment_range CHECK (sentiment BETWEEN -1 AND 1),
	ADD CONSTRAINT news_sentiment_source CHECK (sentiment_source = ANY (ARRAY['lexicon', 'llm']));
COMMENT ON COLUMN alphapulse.news.text_plain IS 'Title and summary as plain text (ap_html_to_text of each, joined by a newline); NULL when both are empty';
COMMENT ON COLUMN alphapulse.news.sentiment IS 'Compound sentiment in [-1, 1] (lexicon: ap_sentiment of text_plain; or the LLM score); NULL when there is no text';
COMMENT ON COLUMN alphapulse.news.sentiment_pos IS 'Positive proportion of the lexicon score';
COMMENT ON COLUMN alphapulse.news.sentiment_neg IS 'Negative proportion of the lexicon score';
COMMENT ON COLUMN alphapulse.news.sentiment_neu IS 'Neutral proportion of the lexicon score';
COMMENT ON COLUMN alphapulse.news.sentiment_source IS 'lexicon or llm: who set sentiment';
COMMENT ON COLUMN alphapulse.news.lexicon_version IS 'Lexicon version the lexicon score used';

CREATE FUNCTION alphapulse.news_score() RETURNS trigger
AS 'MODULE_PATHNAME', 'ap_news_score'
LANGUAGE C;
COMMENT ON FUNCTION alphapulse.news_score() IS
'Trigger (BEFORE INSERT OR UPDATE OF title, summary on alphapulse.news): fills text_plain and the lexicon score with the current lexicon version. An INSERT that already carries sentiment_source (a restore) keeps its score.';
CREATE TRIGGER news_score BEFORE INSERT OR UPDATE OF title, summary ON alphapulse.news
	FOR EACH ROW EXECUTE FUNCTION alphapulse.news_score();

CREATE FUNCTION ap_rescore_news(since timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v integer := alphapulse.sentiment_lexicon_version();
	n bigint;
BEGIN
	WITH s AS (
		SELECT o.guid, r.compound, r.positive, r.negative, r.neutral
		FROM alphapulse.news AS o,
			 @extschema@.ap_sentiment(o.text_plain, v) AS r
		WHERE coalesce(o.published, o.fetched) >= since
		  AND o.text_plain IS NOT NULL
		  AND o.sentiment_source IS DISTINCT FROM 'llm'
	)
	UPDATE alphapulse.news AS n
	SET sentiment = s.compound, sentiment_pos = s.positive, sentiment_neg = s.negative,
		sentiment_neu = s.neutral, sentiment_source = 'lexicon', lexicon_version = v
	FROM s
	WHERE n.guid = s.guid
	  AND (n.sentiment, n.sentiment_pos, n.sentiment_neg, n.sentiment_neu, n.lexicon_version)
		  IS DISTINCT FROM (s.compound, s.positive, s.negative, s.neutral, v);
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION ap_rescore_news(timestamptz) IS
'Re-score, with the current lexicon version, the news published (or, without a date, landed) at or after since, after a lexicon change; items the LLM scored keep their score. Returns the rows whose score or lexicon version changed. Writers.';

-- Items landed before this version: plain text and a score.
UPDATE alphapulse.news SET title = title;

-- Privileges: the pure scorer functions stay PUBLIC (see their comments).
REVOKE ALL ON FUNCTION @extschema@.ap_sentiment(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.ap_sentiment(text, integer) TO alphapulse_reader;
REVOKE ALL ON FUNCTION @extschema@.ap_rescore_news(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.ap_rescore_news(timestamptz) TO alphapulse_writer;
REVOKE ALL ON FUNCTION alphapulse.sentiment_lexicon_version() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION alphapulse.sentiment_lexicon_version() TO alphapulse_reader;
REVOKE ALL ON FUNCTION alphapulse.news_score() FROM PUBLIC;
REVOKE ALL ON FUNCTION alphapulse.sentiment_lexicon_protect() FROM PUBLIC;
REVOKE ALL ON FUNCTION alphapulse.sentiment_lexicon_changed() FROM PUBLIC;
GRANT SELECT ON alphapulse.sentiment_lexicon TO alphapulse_reader;
GRANT INSERT, UPDATE, DELETE ON alphapulse.sentiment_lexicon TO alphapulse_admin;
-- END sentiment
