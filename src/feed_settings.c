/*
 * feed_settings.c - the alphapulse.* settings of the feeds subsystem and the
 * hook _PG_init calls.  Only settings and worker registration happen here:
 * this runs in the postmaster when preloaded.
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/guc.h"

#include "feed.h"

char	   *feed_allowed_hosts = NULL;
char	   *feed_database = NULL;
int			feed_request_timeout_ms = 30000;
int			feed_max_response_kb = 16384;
int			feed_max_concurrent = 8;
int			feed_batch_size = 1000;
int			feed_max_retries = 3;
char	   *feed_user_agent = NULL;
bool		feed_worker_preloaded = false;
int			feed_max_requests_per_run = FEED_DEFAULT_MAX_REQUESTS_PER_RUN;
int			feed_max_retry_after_s = FEED_DEFAULT_MAX_RETRY_AFTER_S;
int			feed_max_backoff_per_run_s = FEED_DEFAULT_MAX_BACKOFF_PER_RUN_S;
int			feed_max_empty_pages = FEED_DEFAULT_MAX_EMPTY_PAGES;

/* Refuse a malformed allow list when it is set, not when a feed runs. */
static bool
FeedCheckAllowedHosts(char **newval, void **extra, GucSource source)
{
	const char *bad;
	size_t		badlen;

	if (FeedAllowListValid(*newval, &bad, &badlen))
		return true;
	GUC_check_errdetail("Entry \"%.*s\" is not host, host:port, [ipv6] or [ipv6]:port.",
						(int) Min(badlen, 200), bad);
	return false;
}

/* Define the settings; when preloaded by the postmaster, register the worker. */
void
FeedInit(void)
{
	DefineCustomStringVariable("alphapulse.allowed_hosts",
							   "Hosts feeds may fetch from (comma-separated host or host:port).",
							   "A bare host allows ports 80 and 443 only; host:port allows that port; "
							   "IPv6 as [addr] or [addr]:port. Empty allows none. Redirects are checked against the same list.",
							   &feed_allowed_hosts, "",
							   PGC_SUSET, 0, FeedCheckAllowedHosts, NULL, NULL);
	DefineCustomIntVariable("alphapulse.request_timeout",
							"Time limit of one HTTP request.",
							NULL, &feed_request_timeout_ms, 30000, 100, 3600 * 1000,
							PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("alphapulse.max_response_size",
							"Largest HTTP response body accepted.",
							NULL, &feed_max_response_kb, 16384, 1, 1024 * 1024,
							PGC_SUSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("alphapulse.max_concurrent_requests",
							"Requests the feed worker keeps in flight at once.",
							NULL, &feed_max_concurrent, 8, 1, 256,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("alphapulse.batch_size",
							"Bars asked for per request when a feed sets no page_size.",
							NULL, &feed_batch_size, 1000, 1, 100000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("alphapulse.max_retries",
							"Retries of a failed request (5xx, 429, timeout) before a run gives up.",
							NULL, &feed_max_retries, 3, 0, 100,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("alphapulse.max_requests_per_run",
							"Requests (pages and their retries) one feed run may make.",
							"A run that reaches it stops; the next run continues from the cursor. Each request follows at most " CppAsString2(FEED_MAX_REDIRECTS) " redirects.",
							&feed_max_requests_per_run, FEED_DEFAULT_MAX_REQUESTS_PER_RUN,
							1, FEED_MAX_MAX_REQUESTS_PER_RUN,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("alphapulse.max_retry_after",
							"Longest Retry-After a feed run honours.",
							"Longer waits asked for by a server are cut to this.",
							&feed_max_retry_after_s, FEED_DEFAULT_MAX_RETRY_AFTER_S,
							0, FEED_MAX_MAX_RETRY_AFTER_S,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("alphapulse.max_backoff_per_run",
							"Total time one feed run may wait between retries.",
							"A retry that would go past it ends the run as failed.",
							&feed_max_backoff_per_run_s, FEED_DEFAULT_MAX_BACKOFF_PER_RUN_S,
							0, FEED_MAX_MAX_BACKOFF_PER_RUN_S,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("alphapulse.max_empty_pages",
							"Consecutive pages landing nothing new after which a feed run stops.",
							"Window formats (coinbase, coingecko, yahoo) page through gaps; the next run starts again from the cursor.", &feed_max_empty_pages, FEED_DEFAULT_MAX_EMPTY_PAGES,
							1, FEED_MAX_MAX_EMPTY_PAGES,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("alphapulse.user_agent",
							   "User-Agent header sent to feeds.",
							   NULL, &feed_user_agent, "alphapulse/" AP_VERSION,
							   PGC_SUSET, 0, NULL, NULL, NULL);

	if (process_shared_preload_libraries_in_progress)
	{
		/* a PGC_POSTMASTER setting may only be defined while preloading */
		DefineCustomStringVariable("alphapulse.database",
								   "Database the feed worker works in.",
								   NULL, &feed_database, "postgres",
								   PGC_POSTMASTER, 0, NULL, NULL, NULL);
		feed_worker_preloaded = true;
		FeedRegisterWorker();
	}
}
