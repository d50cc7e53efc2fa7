-- Bars: the magnitudes a feed may land (src/feed_bounds.h) are also CHECKs,
-- so a row inserted by SQL cannot carry 1e5000 either; sql/feeds_bounds.sql
-- proves the parsers and these constraints accept and refuse the same values.
-- The names sort after bars_finite_*, which are checked first (NaN, <= 0).
ALTER TABLE alphapulse.bars
	ADD CONSTRAINT bars_price_bounds CHECK (
		open < 1e15 AND high < 1e15 AND low < 1e15 AND close < 1e15 AND
		pg_catalog.scale(open) <= 30 AND pg_catalog.scale(high) <= 30 AND
		pg_catalog.scale(low) <= 30 AND pg_catalog.scale(close) <= 30) NOT VALID,
	ADD CONSTRAINT bars_volume_bounds CHECK (
		volume < 1e18 AND pg_catalog.scale(volume) <= 30) NOT VALID,
	ADD CONSTRAINT bars_ts_bounds CHECK (
		ts >= '1970-01-01 00:00:00+00'::timestamptz AND
		ts < '10000-01-01 00:00:00+00'::timestamptz) NOT VALID;

-- An upgrade over rows outside the bounds succeeds (new rows are checked);
-- the old rows are named in a warning instead of failing the upgrade.
DO $bounds$
DECLARE
	c text;
BEGIN
	FOREACH c IN ARRAY ARRAY['bars_price_bounds', 'bars_volume_bounds', 'bars_ts_bounds'] LOOP
		BEGIN
			EXECUTE pg_catalog.format('ALTER TABLE alphapulse.bars VALIDATE CONSTRAINT %I', c);
		EXCEPTION WHEN check_violation THEN
			RAISE WARNING 'alphapulse.bars holds rows outside %', c
				USING DETAIL = SQLERRM,
				HINT = pg_catalog.format('Fix or delete them, then ALTER TABLE alphapulse.bars VALIDATE CONSTRAINT %I.', c);
		END;
	END LOOP;
END
$bounds$;

COMMENT ON CONSTRAINT bars_price_bounds ON alphapulse.bars IS
'Prices below 1e15 with at most 30 decimal places: AP_PRICE_MAX_INT_DIGITS and AP_MAX_SCALE in src/feed_bounds.h, which the feed parsers enforce';
COMMENT ON CONSTRAINT bars_volume_bounds ON alphapulse.bars IS
'Volumes below 1e18 with at most 30 decimal places: AP_VOLUME_MAX_INT_DIGITS and AP_MAX_SCALE in src/feed_bounds.h';
COMMENT ON CONSTRAINT bars_ts_bounds ON alphapulse.bars IS
'Bar times from 1970-01-01 to the end of year 9999 UTC: FEED_MIN_YEAR and FEED_MAX_YEAR in src/feed_bounds.h';

CREATE FUNCTION ap_feed_bounds(
	OUT price_max_int_digits integer, OUT volume_max_int_digits integer,
	OUT max_scale integer, OUT min_year integer, OUT max_year integer)
RETURNS record
AS 'MODULE_PATHNAME', 'ap_feed_bounds'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ap_feed_bounds() IS
'The bounds the feed parsers enforce (src/feed_bounds.h): prices are > 0 and < 10^price_max_int_digits, volumes >= 0 and < 10^volume_max_int_digits, both with at most max_scale decimal places; bar times and news dates lie in years min_year..max_year (UTC). The CHECKs on alphapulse.bars spell the same numbers.';
REVOKE ALL ON FUNCTION ap_feed_bounds() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ap_feed_bounds() TO alphapulse_reader;

COMMENT ON COLUMN alphapulse.bars.ts IS 'Start of the bar (UTC instant), from 1970-01-01 to the end of year 9999';
COMMENT ON COLUMN alphapulse.bars.open IS 'First trade price in the bar; > 0 and < 1e15, at most 30 decimal places';
COMMENT ON COLUMN alphapulse.bars.high IS 'Highest trade price; >= open, close and low; < 1e15, at most 30 decimal places';
COMMENT ON COLUMN alphapulse.bars.low IS 'Lowest trade price; <= open and close, > 0, at most 30 decimal places';
COMMENT ON COLUMN alphapulse.bars.close IS 'Last trade price in the bar; > 0 and < 1e15, at most 30 decimal places';
COMMENT ON COLUMN alphapulse.bars.volume IS 'Traded quantity in base-asset units; >= 0 and < 1e18, at most 30 decimal places';

COMMENT ON FUNCTION ap_feed_parse(text, text, jsonb, interval, timestamptz) IS
'The bars a price-feed response body would land, without network or tables (for checking a feed''s output). The body must be strict JSON (UTF-8, nesting at most 64 deep); times are whole seconds or milliseconds since 1970 before year 10000; prices must be decimal numbers > 0 and < 1e15 and volumes >= 0 and < 1e18, with at most 30 decimal places (ap_feed_bounds()), else the whole page is refused (22003 out of range, 22P02 not a number, naming row and field). Prices and volumes are numeric_in of the response text, never a double; closed says whether the bar had ended at now (binance: closeTime < now; kraken: every entry but the last; others: ts + bar <= now). Errors are those a run would log.';
COMMENT ON FUNCTION ap_feed_parse_news(text, jsonb) IS
'The items an RSS 2.0 or Atom body would land, without network or tables; options may hold keywords {"word": "symbol"}. DTDs are refused; no entity is expanded and nothing is fetched. Dates are RFC 822 (RSS pubDate; a missing zone is UTC) or RFC 3339 date-times (Atom published/updated; a missing offset is UTC) between 1970 and 9999; any other date (infinity, now, epoch, BC, a date alone) refuses the page with 22007, naming the item.';
