-- BEGIN feeds 0.2.0
-- Feeds no role can turn against the cluster (issue 7): a floor under the bar
-- interval feeds page by, admins' feeds no writer can delete or re-point, no
-- credential stored in a URL, and secrets that may travel as query parameters.

-- A feed asks for one page per page_size bars: a 1 ms interval meant
-- thousands of requests a second.  Named to sort after
-- assets_bar_interval_positive, so a non-positive interval still says so.
ALTER TABLE alphapulse.assets
	ADD CONSTRAINT assets_bar_interval_seconds CHECK (bar_interval >= '1 second'::interval);
COMMENT ON COLUMN alphapulse.assets.bar_interval IS 'Spacing of the bars in alphapulse.bars for this symbol (at least 1 second)';

-- Feeds and their secrets are admins' objects: a writer deleting or renaming
-- an asset may not take them along.  Admins remove the feeds first.
ALTER TABLE alphapulse.feeds
	DROP CONSTRAINT feeds_symbol_fkey,
	ADD CONSTRAINT feeds_symbol_fkey FOREIGN KEY (symbol)
		REFERENCES alphapulse.assets (symbol) ON UPDATE RESTRICT ON DELETE RESTRICT;
COMMENT ON COLUMN alphapulse.feeds.symbol IS 'Asset the bars land in; an asset with feeds cannot be deleted or renamed until ap_remove_feed removes them';
COMMENT ON COLUMN alphapulse.feeds.url IS 'Base URL; paging parameters (startTime/limit, start/end/granularity, since, from/to, period1/period2) are appended. Never holds a credential: user:password@ and parameters named like keys, tokens, signatures or passwords are refused (use alphapulse.feed_secrets)';

-- Secrets as query parameters (for APIs that take a key only in the URL):
-- added to each request at fetch time, never written to feeds.url or feed_runs.url.
ALTER TABLE alphapulse.feed_secrets
	ALTER COLUMN headers SET DEFAULT '{}'::jsonb,
	ADD COLUMN query jsonb NOT NULL DEFAULT '{}'::jsonb
		CONSTRAINT feed_secrets_query_object CHECK (pg_catalog.jsonb_typeof(query) = 'object'::text);
COMMENT ON TABLE alphapulse.feed_secrets IS 'Credentials of a feed, admins only: headers (e.g. {"X-MBX-APIKEY": "..."}) sent with its requests, and query parameters (e.g. {"x_cg_demo_api_key": "..."}) added to its request URLs; both only to the feed''s own host, never stored in a URL or logged';
COMMENT ON COLUMN alphapulse.feed_secrets.headers IS 'HTTP headers sent with each request to the feed''s host: {"Name": "value"}';
COMMENT ON COLUMN alphapulse.feed_secrets.query IS 'Query parameters added to each request URL (not to redirects), percent-encoded: {"name": "value"}; feed_runs.url shows the URL without them';

COMMENT ON COLUMN alphapulse.feed_runs.url IS 'URL of the attempt, redacted: no userinfo, credential-like parameter values replaced by REDACTED, secrets from feed_secrets never added';
COMMENT ON COLUMN alphapulse.feed_runs.message IS 'Why the attempt failed (NULL when it succeeded): valid UTF-8, control characters and invalid bytes replaced by U+FFFD, at most 1000 bytes';
COMMENT ON COLUMN alphapulse.feeds.last_error IS 'Message of the last failed attempt (as in feed_runs.message)';

-- Whoever writes feeds.url (ap_add_feed, or an admin's UPDATE), no credential is stored.
CREATE FUNCTION alphapulse.feeds_check_url()
RETURNS trigger
AS 'MODULE_PATHNAME', 'ap_feeds_check_url'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION alphapulse.feeds_check_url() IS
'Trigger of alphapulse.feeds: refuses a url with user:password@ or a credential-like query parameter (api_key, key, token, access_token, secret, signature, password, ...), longer than 2048 bytes, or with control characters; the hint points to alphapulse.feed_secrets.';
REVOKE ALL ON FUNCTION alphapulse.feeds_check_url() FROM PUBLIC;
CREATE TRIGGER feeds_check_url BEFORE INSERT OR UPDATE OF url ON alphapulse.feeds
	FOR EACH ROW EXECUTE FUNCTION alphapulse.feeds_check_url();

COMMENT ON FUNCTION ap_ingest_now(text) IS
'Fetch a feed synchronously in this session, page by page until caught up (each page and the cursor land together; a bad page lands nothing). No row lock is held across the network; the feed''s advisory landing lock keeps other runs of it out until this transaction ends (the worker skips a feed so held and lands it later). Retries 5xx, 429 (honouring Retry-After up to alphapulse.max_retry_after) and timeouts with exponential backoff and jitter, up to alphapulse.max_retries and alphapulse.max_backoff_per_run in total; stops after alphapulse.max_requests_per_run requests or alphapulse.max_empty_pages pages in a row that land nothing new. A failure is returned (ok false, message) and logged in alphapulse.feed_runs, not raised.';
COMMENT ON FUNCTION ap_add_feed(text, text, text, text, text, jsonb) IS
'Register a feed. kind price (symbol required, an existing asset with a bar_interval of at least 1 second) or news; format binance, coinbase, kraken, coingecko, yahoo or rss; url http(s) on a host in alphapulse.allowed_hosts (a bare host: ports 80 and 443; host:port: that port), without credentials (put them in alphapulse.feed_secrets); options start, end, page_size (coinbase at most 300), or keywords for rss. coingecko market_chart prices become bars with open = high = low = close and volume 0.';
-- END feeds 0.2.0
