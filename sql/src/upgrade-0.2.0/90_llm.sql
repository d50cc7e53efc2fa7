-- BEGIN llm 0.2.0
-- Optional LLM scoring of news (issue 11): the feed worker, and only the
-- worker, asks an OpenAI-compatible /chat/completions endpoint
-- (alphapulse.llm_url, alphapulse.llm_model, alphapulse.llm_mode) for a label
-- and a score of each news item, validates the answer strictly, and stores it
-- here; every call is a row in alphapulse.llm_log.  No function is added: the
-- answer never reaches SQL except as a parameter.

ALTER TABLE alphapulse.news
	ADD COLUMN llm_score double precision
		CONSTRAINT news_llm_score_range CHECK (llm_score >= -1 AND llm_score <= 1),
	ADD COLUMN llm_label text
		CONSTRAINT news_llm_label CHECK (llm_label = ANY (ARRAY['positive'::text, 'negative'::text, 'neutral'::text])),
	ADD COLUMN llm_model text
		CONSTRAINT news_llm_model_length CHECK (pg_catalog.octet_length(llm_model) <= 200),
	ADD COLUMN llm_scored_at timestamptz,
	ADD COLUMN llm_attempts integer NOT NULL DEFAULT 0
		CONSTRAINT news_llm_attempts_nonnegative CHECK (llm_attempts >= 0),
	ADD CONSTRAINT news_llm_complete CHECK ((llm_scored_at IS NULL) = (llm_score IS NULL)
		AND (llm_score IS NULL) = (llm_label IS NULL));
COMMENT ON COLUMN alphapulse.news.llm_score IS 'Sentiment score in [-1, 1] from the LLM scorer (alphapulse.llm_mode next_to or instead); NULL when not scored or every attempt failed (see alphapulse.llm_log)';
COMMENT ON COLUMN alphapulse.news.llm_label IS 'positive, negative or neutral, from the LLM scorer (its sign agrees with llm_score)';
COMMENT ON COLUMN alphapulse.news.llm_model IS 'alphapulse.llm_model that gave llm_score';
COMMENT ON COLUMN alphapulse.news.llm_scored_at IS 'When llm_score was stored';
COMMENT ON COLUMN alphapulse.news.llm_attempts IS 'Failed LLM scoring rounds of this item (each with its retries); at alphapulse.llm_max_attempts the item keeps its lexicon score';

-- The worker looks for unscored items newest first.
CREATE INDEX news_llm_unscored ON alphapulse.news (fetched) WHERE llm_scored_at IS NULL;

-- The API key: one row, admins only, sent only as "Authorization: Bearer"
-- to alphapulse.llm_url's host; scrubbed from every logged text.
CREATE TABLE alphapulse.llm_secret (
	id			boolean PRIMARY KEY DEFAULT true CONSTRAINT llm_secret_one_row CHECK (id),
	api_key		text NOT NULL
				CONSTRAINT llm_secret_api_key_form CHECK (
					pg_catalog.octet_length(api_key) BETWEEN 1 AND 4096
					AND api_key !~ '[\x01-\x1f\x7f ]'::text)
);
COMMENT ON TABLE alphapulse.llm_secret IS 'API key of the LLM endpoint (alphapulse.llm_url), admins only: at most one row; sent as an Authorization: Bearer header to that host only (redirects are not followed), never stored in a URL or logged';
COMMENT ON COLUMN alphapulse.llm_secret.api_key IS 'The key: 1 to 4096 bytes, no spaces or control characters';

CREATE TABLE alphapulse.llm_log (
	id			bigserial PRIMARY KEY,
	news_guid	text REFERENCES alphapulse.news (guid) ON UPDATE CASCADE ON DELETE CASCADE,
	started		timestamptz NOT NULL,
	finished	timestamptz NOT NULL,
	model		text,
	attempt		integer NOT NULL,
	http_status	integer,
	ok			boolean NOT NULL,
	label		text,
	score		double precision,
	message		text
				CONSTRAINT llm_log_message_length CHECK (pg_catalog.octet_length(message) <= 1000)
);
CREATE INDEX llm_log_news ON alphapulse.llm_log (news_guid, id);
COMMENT ON TABLE alphapulse.llm_log IS 'One row per LLM scoring request of the feed worker (and per configuration problem, news_guid NULL): HTTP status, the valid label and score, or why the answer was refused';
COMMENT ON COLUMN alphapulse.llm_log.attempt IS '0 for the first request of an item in a round, then 1, 2 ... for its retries';
COMMENT ON COLUMN alphapulse.llm_log.ok IS 'The answer was valid and stored in alphapulse.news';
COMMENT ON COLUMN alphapulse.llm_log.message IS 'Why the request or its answer failed (NULL when ok): valid UTF-8, control characters replaced by U+FFFD, the API key replaced by REDACTED, at most 1000 bytes';

GRANT SELECT ON alphapulse.llm_log TO alphapulse_reader;
GRANT DELETE ON alphapulse.llm_log TO alphapulse_admin;
GRANT ALL ON alphapulse.llm_secret TO alphapulse_admin;
SELECT pg_catalog.pg_extension_config_dump('alphapulse.llm_secret', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.llm_log', '');
SELECT pg_catalog.pg_extension_config_dump('alphapulse.llm_log_id_seq', '');
-- END llm 0.2.0
