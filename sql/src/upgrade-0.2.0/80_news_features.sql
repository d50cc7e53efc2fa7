-- News features (issue 11): news_count, news_sent_mean, news_sent_decay and
-- news_sent_max_abs in feature sets, computed by ap_build_features from
-- alphapulse.news point in time.  This part adds the back-fill switch of a
-- feed, the index the per-symbol news read uses, and the documentation.

ALTER TABLE alphapulse.feeds ADD COLUMN trust_published boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN alphapulse.feeds.trust_published IS
'News feeds: true makes the news features count this feed''s items from their published time alone, ignoring when they landed (fetched). For an admin''s deliberate back-fill from an archive whose publication times are trusted; off (the default), a back-filled item counts only from its landing. Feature rows already built are not revised: after switching it on, delete the affected rows of alphapulse.features and build again';
GRANT UPDATE (trust_published) ON alphapulse.feeds TO alphapulse_admin;

COMMENT ON COLUMN alphapulse.news.fetched IS
'When the item landed; the news features count an item for a bar only once it has landed by the bar''s end (unless its feed has trust_published)';

-- ap_build_features reads the news of one symbol: symbols @> ARRAY[symbol].
CREATE INDEX news_symbols ON alphapulse.news USING gin (symbols);

COMMENT ON FUNCTION @extschema@.ap_build_features(text, text) IS
'Computes a feature set over all bars of a symbol in one C pass (the indicator kernels, from the first bar) and inserts the rows after the last stored one, filling targets that became known; returns the number of rows added (0 at once when no bar is newer than the last row). Bars inserted or changed before the last built row are not picked up: delete the symbol''s rows of the set to rebuild. News kinds (news_count:h, news_sent_mean:h, news_sent_decay:halflife, news_sent_max_abs:h; h and halflife in bars) read the items of alphapulse.news whose symbols contain the symbol, point in time: an item counts for bar t only if it was published before t''s end (ts + the asset''s bar_interval) and had landed (fetched) by then, so it counts from the first bar whose end is at or after max(published, fetched) (published NULL: from fetched; a feed with trust_published: from published). The window of h bars at t holds the items that arrived in (end of bar t-h, end of bar t]. news_count is 0 without items; the sentiment kinds read news.sentiment, skip unscored (NULL) items and are NULL when no scored item is in the window (news_sent_decay: sum of sentiment times 2^(-age in bars / halflife), NULL until the first scored item). An item that lands later counts only from its landing bar on, so rows already built never change; a row built before its bar ended holds the news landed by the build. Sentiment is the item''s current score: a re-score is used by later rows and rebuilds, never revises built rows.';
