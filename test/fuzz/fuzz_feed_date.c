/*
 * fuzz_feed_date.c - the RFC 822 and RFC 3339 date parsers (src/feed_date.c).
 * An accepted date lies in FEED_MIN_YEAR..FEED_MAX_YEAR, and the C library's
 * gmtime_r of it, written back in either format, parses to the same second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feed_bounds.h"
#include "feed_date.h"

static void
Check(int64_t us)
{
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
	"Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t		t;
	struct tm	tm;
	char		buf[64];
	int64_t		back;

	if (us < 0 || us >= FEED_MAX_UNIX_SECS * INT64_C(1000000))
		abort();
	t = (time_t) (us / 1000000);
	if (gmtime_r(&t, &tm) == NULL)
		abort();
	if (tm.tm_year + 1900 < FEED_MIN_YEAR || tm.tm_year + 1900 > FEED_MAX_YEAR)
		abort();
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (!FeedParseRfc3339(buf, strlen(buf), &back) || back / 1000000 != us / 1000000)
		abort();
	snprintf(buf, sizeof(buf), "%d %s %04d %02d:%02d:%02d GMT", tm.tm_mday, mon[tm.tm_mon],
			 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (!FeedParseRfc822(buf, strlen(buf), &back) || back != (us / 1000000) * 1000000)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t		us;

	if (FeedParseRfc3339((const char *) data, size, &us))
		Check(us);
	if (FeedParseRfc822((const char *) data, size, &us))
		Check(us);
	return 0;
}
