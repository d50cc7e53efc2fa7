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
#include "feed_llm.h"

char	   *feed_allowed_hosts = NULL;
char	   *feed_database = NULL;
int			feed_request_timeout_ms = 30000;
int			feed_max_response_kb = 16384;
int			feed_max_concurrent = 8;
int			feed_batch_size = 1000;
int			feed_max_retries = 3;
char	   *feed_user_agent = NULL;
bool		feed_worker_preloaded = false;
int			feed_llm_mode = FEED_LLM_OFF;
char	   *feed_llm_url = NULL;
char	   *feed_llm_model = NULL;
int			feed_llm_batch_size = FEED_LLM_DEFAULT_BATCH_SIZE;
int			feed_llm_min_interval_ms = FEED_LLM_DEFAULT_MIN_INTERVAL_MS;
int			feed_llm_max_attempts = FEED_LLM_DEFAULT_MAX_ATTEMPTS;

static const struct config_enum_entry feed_llm_mode_options[] = {
	{"off", FEED_LLM_OFF, false},
	{"next_to", FEED_LLM_NEXT_TO, false},
	{"instead", FEED_LLM_INSTEAD, false},
	{NULL, 0, false}
};
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

/* The LLM URL is visible to every role (SHOW): no credential, bounded, clean. */
static bool
FeedCheckLlmUrl(char **newval, void **extra, GucSource source)
{
	const char *u = *newval;
	char		name[64];

	if (u == NULL || u[0] == '\0')
		return true;
	if (strlen(u) > FEED_MAX_URL_BYTES || !FeedTextIsClean(u, strlen(u)))
	{
		GUC_check_errdetail("The URL must have at most %d bytes and no control characters.", FEED_MAX_URL_BYTES);
		return false;
	}
	if (pg_strncasecmp(u, "http://", 7) != 0 && pg_strncasecmp(u, "https://", 8) != 0)
	{
		GUC_check_errdetail("Only http and https URLs are allowed.");
		return false;
	}
	if (FeedUrlCredential(u, name, sizeof(name)) != FEED_URL_CRED_NONE)
	{
		GUC_check_errdetail("The URL must not hold a user name, password or credential-like parameter.");
		GUC_check_errhint("Put the API key in alphapulse.llm_secret.");
		return false;
	}
	return true;
}

/* The model name is sent and stored: bounded and clean. */
static bool
FeedCheckLlmModel(char **newval, void **extra, GucSource source)
{
	const char *m = *newval;

	if (m == NULL || (strlen(m) <= FEED_LLM_MAX_MODEL_BYTES && FeedTextIsClean(m, strlen(m))))
		return true;
	GUC_check_errdetail("The model name must have at most %d bytes and no control characters.",
						FEED_LLM_MAX_MODEL_BYTES);
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
							NULL, &feed_batch_size, 1000, 1, FEED_PAGE_SIZE_MAX,
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

	/* LLM scoring: only the feed worker reads these, from the server's configuration */
	DefineCustomEnumVariable("alphapulse.llm_mode",
							 "Whether the feed worker scores news with an LLM: off, next_to (llm_* columns only) or instead (also news.sentiment).",
							 NULL, &feed_llm_mode, FEED_LLM_OFF, feed_llm_mode_options,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("alphapulse.llm_url",
							   "OpenAI-compatible chat completions URL the feed worker scores news with.",
							   "Its host must be in alphapulse.allowed_hosts; no credentials (the key is in alphapulse.llm_secret).",
							   &feed_llm_url, "",
							   PGC_SIGHUP, 0, FeedCheckLlmUrl, NULL, NULL);
	DefineCustomStringVariable("alphapulse.llm_model",
							   "Model name sent to alphapulse.llm_url.",
							   NULL, &feed_llm_model, "",
							   PGC_SIGHUP, 0, FeedCheckLlmModel, NULL, NULL);
	DefineCustomIntVariable("alphapulse.llm_batch_size",
							"News items the feed worker takes per LLM scoring round.",
							NULL, &feed_llm_batch_size, FEED_LLM_DEFAULT_BATCH_SIZE,
							1, FEED_LLM_MAX_BATCH_SIZE,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("alphapulse.llm_min_interval",
							"Least time between two requests to the LLM endpoint (rate limit).",
							NULL, &feed_llm_min_interval_ms, FEED_LLM_DEFAULT_MIN_INTERVAL_MS,
							0, FEED_LLM_MAX_MIN_INTERVAL_MS,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("alphapulse.llm_max_attempts",
							"LLM scoring rounds an item gets (each with alphapulse.max_retries retries) before it keeps its lexicon score.",
							NULL, &feed_llm_max_attempts, FEED_LLM_DEFAULT_MAX_ATTEMPTS,
							1, FEED_LLM_MAX_MAX_ATTEMPTS,
							PGC_SIGHUP, 0, NULL, NULL, NULL);

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
