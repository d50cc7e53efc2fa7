-- Feed fixes after the adversarial review of 0.2.0: the landing lock is no
-- longer an advisory lock; URLs must be canonical and read alike by libcurl.
COMMENT ON FUNCTION ap_ingest_now(text) IS
'Fetch a feed synchronously in this session, page by page until caught up (each page and the cursor land together; a bad page lands nothing). No row lock is held across the network; the feed''s landing lock (an object lock only the extension''s C code can take, not an advisory lock) keeps other runs of it out until this transaction ends (the worker skips a feed so held and lands it later; another ap_ingest_now of the feed waits at most 5 s, then fails with 55P03). Retries 5xx, 429 (honouring Retry-After up to alphapulse.max_retry_after) and timeouts with exponential backoff and jitter, up to alphapulse.max_retries and alphapulse.max_backoff_per_run in total; stops after alphapulse.max_requests_per_run requests or alphapulse.max_empty_pages pages in a row that land nothing new. A failure is returned (ok false, message) and logged in alphapulse.feed_runs, not raised.';
COMMENT ON FUNCTION alphapulse.feeds_check_url() IS
'Trigger of alphapulse.feeds: refuses options that ap_add_feed would refuse for the format, and a url that is not canonical (scheme, exactly ://, a host; no whitespace, control characters or backslashes), that libcurl reads with a user name or password or with another host or port than the extension does, with user:password@, or with a credential-like query parameter (api_key, key, token, access_token, secret, signature, password, appid, sid, ...; & and ; separate parameters), or longer than 2048 bytes; the hint points to alphapulse.feed_secrets.';
-- the options of a feed are checked whenever they (or its format) are written, not first when it runs
DROP TRIGGER feeds_check_url ON alphapulse.feeds;
CREATE TRIGGER feeds_check_url BEFORE INSERT OR UPDATE OF url, format, options ON alphapulse.feeds
	FOR EACH ROW EXECUTE FUNCTION alphapulse.feeds_check_url();
