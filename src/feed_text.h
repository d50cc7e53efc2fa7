/*
 * feed_text.h - network text made safe to store and log: valid UTF-8, no
 * control characters but tab and newline, clipped at a character boundary.
 * Plain C with no PostgreSQL headers, so it can be fuzzed alone.
 */
#ifndef FEED_TEXT_H
#define FEED_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* What replaces each invalid byte, surrogate, NUL or control character: U+FFFD. */
#define FEED_TEXT_REPLACEMENT "\xEF\xBF\xBD"
#define FEED_TEXT_REPLACEMENT_LEN 3

/* Longest message, error text or header value stored or logged (bytes). */
#define FEED_MAX_MESSAGE_BYTES 1000
/* Longest URL stored in feed_runs.url or a message (bytes). */
#define FEED_MAX_URL_BYTES 2048

/*
 * Copy in[0..inlen) to out as valid UTF-8 of at most max bytes, cut at a
 * character boundary, each bad byte or control replaced by U+FFFD.  out must
 * hold max + 1 bytes; it is NUL-terminated.  Returns the bytes written.
 */
extern size_t FeedTextSanitize(const char *in, size_t inlen, char *out, size_t max);

/* Whether s[0..len) is valid UTF-8 with no NUL and no control but tab and newline. */
extern bool FeedTextIsClean(const char *s, size_t len);

#endif							/* FEED_TEXT_H */
