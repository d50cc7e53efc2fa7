/*
 * feed_bounds.h - the magnitudes and dates a feed may land, named once: the
 * pure-C parsers check them, ap_feed_bounds() reports them, and the CHECK
 * constraints on alphapulse.bars (sql/src/upgrade-0.2.0/40_bars_bounds.sql)
 * spell the same numbers (sql/feeds_bounds.sql proves they agree).
 * No PostgreSQL headers: the fuzzers include this.
 */
#ifndef FEED_BOUNDS_H
#define FEED_BOUNDS_H

/* Prices are > 0 and < 10^AP_PRICE_MAX_INT_DIGITS. */
#define AP_PRICE_MAX_INT_DIGITS 15
/* Volumes are >= 0 and < 10^AP_VOLUME_MAX_INT_DIGITS. */
#define AP_VOLUME_MAX_INT_DIGITS 18
/* At most this many digits after the decimal point (NUMERIC's scale). */
#define AP_MAX_SCALE 30

/* Bar times and news dates: 1970-01-01 00:00:00 UTC <= t < FEED_MAX_YEAR + 1. */
#define FEED_MIN_YEAR 1970
#define FEED_MAX_YEAR 9999
/* Seconds from 1970-01-01 to 10000-01-01 00:00:00 UTC (exclusive bound). */
#define FEED_MAX_UNIX_SECS INT64_C(253402300800)

/* JSON bodies: nesting depth and node count the tokenizer accepts. */
#define FEED_JSON_MAX_DEPTH 64
#define FEED_JSON_MAX_NODES 2000000
/* An exchange's error text is quoted in errors up to this many bytes. */
#define FEED_MAX_QUOTE_BYTES 200

#endif							/* FEED_BOUNDS_H */
