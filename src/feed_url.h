/*
 * feed_url.h - the URL policy of feeds in plain C (no PostgreSQL headers, so
 * it can be fuzzed): host/port allow-list matching, credentials in URLs, and
 * redaction of what is stored and logged.
 */
#ifndef FEED_URL_H
#define FEED_URL_H

#include <stdbool.h>
#include <stddef.h>

/* A bare host in alphapulse.allowed_hosts allows only these (HTTP and HTTPS) ports. */
#define FEED_DEFAULT_HTTP_PORT 80
#define FEED_DEFAULT_HTTPS_PORT 443
/* What replaces a credential's value in stored and logged URLs. */
#define FEED_URL_REDACTED "REDACTED"
/* Longest allow-list entry or query parameter name considered (bytes). */
#define FEED_URL_MAX_NAME 256

/*
 * Whether the allow list (comma-separated "host", "host:port", "[v6]" or
 * "[v6]:port") lets a request go to host:port.  A bare host means ports 80
 * and 443 only.  Hosts compare case-insensitively.
 */
extern bool FeedAllowListMatch(const char *list, const char *host, int port);

/* Whether the list is well formed; else *bad points at the first bad entry. */
extern bool FeedAllowListValid(const char *list, const char **bad, size_t *badlen);

/* What FeedUrlCredential found. */
typedef enum FeedUrlCred
{
	FEED_URL_CRED_NONE,
	FEED_URL_CRED_USERINFO,		/* user:password@host */
	FEED_URL_CRED_PARAM			/* a credential-like query or fragment parameter */
} FeedUrlCred;

/*
 * Whether url carries a credential: userinfo, or a query/fragment parameter
 * named like one (api_key, token, secret, signature, password, ...) with a
 * value other than FEED_URL_REDACTED.  The parameter's name goes to name
 * (NUL-terminated, at most namelen - 1 bytes) when namelen > 0.
 */
extern FeedUrlCred FeedUrlCredential(const char *url, char *name, size_t namelen);

/* Whether a (decoded) parameter name looks like a credential. */
extern bool FeedParamIsCredential(const char *name, size_t len);

/*
 * url without userinfo and with every credential parameter's value replaced
 * by FEED_URL_REDACTED, written like snprintf: at most outsz - 1 bytes and a
 * NUL; returns the length the whole result needs.
 */
extern size_t FeedUrlRedact(const char *url, char *out, size_t outsz);

/* s percent-encoded (RFC 3986 unreserved kept) like snprintf; returns the length needed. */
extern size_t FeedUrlEscape(const char *s, size_t len, char *out, size_t outsz);

/*
 * Why url is not in the canonical form feeds require (a scheme, exactly
 * "://", then a host; no whitespace, control characters or backslashes),
 * or NULL when it is.  Other forms are read differently by different
 * parsers (libcurl reads "http:/u:p@h" as user u, password p, host h).
 */
extern const char *FeedUrlProblem(const char *url);

/*
 * The host (brackets kept for IPv6) and port of url's authority as this
 * splitter reads it; *port is -1 when none is given.  False when the
 * authority has no host or a malformed port.
 */
extern bool FeedUrlHostPort(const char *url, const char **host, size_t *hostlen, int *port);

/* Whether the allow list names host at all (with any port). */
#define FEED_ANY_PORT (-2)
extern bool FeedAllowListHasHost(const char *list, const char *host);

#endif							/* FEED_URL_H */
