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

/* Define the settings; when preloaded by the postmaster, register the worker. */
void
FeedInit(void)
{
	DefineCustomStringVariable("alphapulse.allowed_hosts",
							   "Hosts feeds may fetch from (comma-separated host or host:port).",
							   "Empty allows none. Redirects are checked against the same list.",
							   &feed_allowed_hosts, "",
							   PGC_SUSET, 0, NULL, NULL, NULL);
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
