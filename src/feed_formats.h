/*
 * feed_formats.h - the price formats' response shapes, in pure C: bars out
 * of a JSON body with times as Unix microseconds and prices and volumes as
 * validated decimal text (feed_bounds.h), for the glue to hand to numeric_in.
 */
#ifndef FEED_FORMATS_H
#define FEED_FORMATS_H

#include "feed_json.h"

/* Same order as FeedFormat in feed.h. */
typedef enum FeedFmt
{
	FEED_FMT_BINANCE,
	FEED_FMT_COINBASE,
	FEED_FMT_KRAKEN,
	FEED_FMT_COINGECKO,
	FEED_FMT_YAHOO,
	FEED_FMT_NPRICE				/* price formats end here */
} FeedFmt;

extern const char *const FeedFmtNames[FEED_FMT_NPRICE];

typedef enum FeedDecimalKind
{
	FEED_DEC_PRICE,				/* > 0, < 10^AP_PRICE_MAX_INT_DIGITS */
	FEED_DEC_VOLUME				/* >= 0, < 10^AP_VOLUME_MAX_INT_DIGITS */
} FeedDecimalKind;

typedef enum FeedDecimalResult
{
	FEED_DEC_OK,
	FEED_DEC_SYNTAX,			/* not a decimal number */
	FEED_DEC_NOT_FINITE,		/* NaN, Infinity */
	FEED_DEC_SIGN,				/* price <= 0 or volume < 0 */
	FEED_DEC_TOO_BIG,			/* too many digits before the point */
	FEED_DEC_TOO_PRECISE		/* more than AP_MAX_SCALE digits after it */
} FeedDecimalResult;

extern FeedDecimalResult FeedDecimalCheck(const char *s, size_t len, FeedDecimalKind kind);

typedef struct FeedRawBar
{
	int64_t		ts;				/* bar start, microseconds since 1970 UTC */
	const char *v[5];			/* open, high, low, close, volume: checked decimal text */
	bool		closed;
} FeedRawBar;

typedef struct FeedRawBars
{
	int			n;
	int			nraw;			/* entries in the response, kept or not */
	FeedRawBar *bars;
} FeedRawBars;

/* What a run knows: times in microseconds since 1970 UTC. */
typedef struct FeedBarsContext
{
	int64_t		now;
	int64_t		bar_usecs;
	bool		has_end;
	int64_t		end;			/* bars at or after this are not wanted */
} FeedBarsContext;

extern bool FeedExtractBars(FeedFmt fmt, const char *body, size_t len,
							const FeedBarsContext *cx, FeedArena *a,
							FeedRawBars *out, FeedError *e);

#endif							/* FEED_FORMATS_H */
