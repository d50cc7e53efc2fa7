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
BEGIN
	ALTER TABLE alphapulse.bars VALIDATE CONSTRAINT bars_price_bounds;
	ALTER TABLE alphapulse.bars VALIDATE CONSTRAINT bars_volume_bounds;
	ALTER TABLE alphapulse.bars VALIDATE CONSTRAINT bars_ts_bounds;
EXCEPTION WHEN check_violation THEN
	RAISE WARNING 'alphapulse.bars holds rows outside the price, volume or time bounds'
		USING DETAIL = SQLERRM,
		HINT = 'Fix or delete them, then ALTER TABLE alphapulse.bars VALIDATE CONSTRAINT for bars_price_bounds, bars_volume_bounds and bars_ts_bounds.';
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
