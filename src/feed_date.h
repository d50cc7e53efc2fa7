/*
 * feed_date.h - RFC 822 (RSS pubDate) and RFC 3339 (Atom) dates in pure C,
 * within FEED_MIN_YEAR..FEED_MAX_YEAR; no infinity, now, epoch or BC.
 */
#ifndef FEED_DATE_H
#define FEED_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Microseconds since 1970-01-01 00:00:00 UTC; false when s is not a date in range. */
extern bool FeedParseRfc822(const char *s, size_t len, int64_t *us);
extern bool FeedParseRfc3339(const char *s, size_t len, int64_t *us);

#endif							/* FEED_DATE_H */
