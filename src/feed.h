/*
 * feed.h - the feeds subsystem: settings, HTTP fetches, response parsers,
 * landing pages with their cursor, and the background worker.
 */
#ifndef FEED_H
#define FEED_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

/* Settings (feed_settings.c) */
extern char *feed_allowed_hosts;
extern char *feed_database;
extern int	feed_request_timeout_ms;
extern int	feed_max_response_kb;
extern int	feed_max_concurrent;
extern int	feed_batch_size;
extern int	feed_max_retries;
extern char *feed_user_agent;
extern bool feed_worker_preloaded;

extern void FeedInit(void);

/* Formats; the price formats in FeedFmt's order (feed_formats.h). */
typedef enum FeedFormat
{
	FEED_BINANCE,
	FEED_COINBASE,
	FEED_KRAKEN,
	FEED_COINGECKO,
	FEED_YAHOO,
	FEED_RSS
} FeedFormat;

/* feed_format.c: names and options of the formats */
extern FeedFormat FeedFormatFromName(const char *name);
extern const char *FeedFormatName(FeedFormat f);

/* bars per page: any price format's ceiling, and Coinbase's own */
#define FEED_PAGE_SIZE_MAX 100000
#define FEED_COINBASE_PAGE_MAX 300

/* One feed as stored in alphapulse.feeds, plus what a run needs. */
typedef struct FeedDef
{
	char	   *name;
	FeedFormat	format;
	char	   *url;
	char	   *symbol;			/* NULL for news */
	Jsonb	   *options;
	bool		has_cursor;
	TimestampTz cursor;			/* last closed bar / newest item landed */
	bool		has_start;
	TimestampTz start;			/* first bar wanted when there is no cursor */
	bool		has_end;
	TimestampTz end;			/* bars at or after this are not wanted */
	int			page_size;		/* bars asked for per request */
	int64		bar_usecs;		/* bar spacing, from alphapulse.assets */
	List	   *headers;		/* "Name: value" strings from the secrets table */
	List	   *keywords;		/* flat list: keyword, symbol, keyword, symbol ... */
	List	   *query_secrets;	/* "name=value" pairs, escaped, added at request time only */
	List	   *secret_values;	/* raw secret values, scrubbed from stored text */
} FeedDef;

/* Result of one HTTP exchange (after redirects). */
typedef struct FeedHttpResult
{
	long		status;			/* HTTP status, 0 when there was no response */
	char	   *body;			/* palloc'd, NUL-terminated */
	size_t		len;
	int			retry_after;	/* seconds from Retry-After, -1 when absent */
	char	   *error;			/* transport or policy failure, else NULL */
	bool		transient;		/* a retry may succeed (5xx, 429, timeout) */
	char	   *final_url;		/* palloc'd URL the body came from */
} FeedHttpResult;

/* feed_http.c */
extern bool FeedUrlSound(const char *url, char **why);
extern bool FeedUrlAllowed(const char *url, char **why);
extern void FeedCheckUrl(const char *url);
extern void FeedFetch(const char *url, List *headers, FeedHttpResult *res);

/* A request in flight, for the worker's multi handle (feed_http.c). */
typedef struct FeedRequest FeedRequest;
extern FeedRequest *FeedRequestCreate(const char *url, List *headers);
extern void *FeedRequestEasy(FeedRequest *req);
extern char *FeedRequestFinish(FeedRequest *req, int curlcode, FeedHttpResult *res);
extern void FeedRequestFree(FeedRequest *req);
extern bool FeedSameHost(const char *a, const char *b);
extern void FeedHttpGlobalInit(void);

/* Parsed bars of one page (feed_parse.c). */
typedef struct FeedBars
{
	int			n;
	int			cap;
	TimestampTz *ts;
	Datum	   *open;
	Datum	   *high;
	Datum	   *low;
	Datum	   *close;
	Datum	   *volume;
	bool	   *closed;
	int			nclosed;		/* bars known to be closed */
	TimestampTz last_closed;	/* max ts of the closed bars */
	int			nraw;			/* entries in the response, kept or not */
} FeedBars;

typedef struct FeedNews
{
	int			n;
	int			cap;
	char	  **guid;
	char	  **title;
	char	  **link;
	char	  **summary;
	TimestampTz *published;
	bool	   *published_null;
	Datum	   *symbols;		/* text[] each */
	char	   *source;
} FeedNews;

extern void FeedParseBars(FeedDef *f, const char *body, size_t len,
						  TimestampTz now, FeedBars *out);
extern void FeedParseNews(FeedDef *f, const char *body, size_t len, FeedNews *out);

/* feed_run.c */
extern bool FeedSymbolValid(const char *s);
extern void FeedCheckOptions(FeedFormat format, Jsonb *options);
extern void FeedReadOptions(FeedDef *f);
extern void FeedDefForParse(FeedDef *f, FeedFormat format, Jsonb *options, int64 bar_usecs);
extern FeedDef *FeedLoad(const char *name, bool for_update);
extern char *FeedNextUrl(FeedDef *f, TimestampTz pos, TimestampTz now, TimestampTz *window_end);
extern TimestampTz FeedStartPos(FeedDef *f);

/* Outcome of landing one response. */
typedef struct FeedPageOutcome
{
	bool		ok;
	int64		rows;			/* rows inserted or changed */
	int			nclosed;
	int			nraw;
	bool		progressed;		/* the cursor moved */
	TimestampTz cursor;
	char	   *message;
} FeedPageOutcome;

extern void FeedLandResponse(FeedDef *f, FeedHttpResult *res, TimestampTz now,
							 FeedPageOutcome *out);
extern void FeedLogAttempt(const char *feed, TimestampTz started, const char *url,
						   long status, int64 rows, const char *message,
						   const char *via);
extern int	FeedBackoffMs(int attempt, int retry_after);
extern bool FeedAdvance(FeedDef *f, FeedPageOutcome *out, TimestampTz window_end,
						TimestampTz *pos);

/* feed_worker.c */
extern void FeedRegisterWorker(void);
extern void FeedWakeWorkerAtCommit(void);

/* ---- bounds on what a run may do (issue 7); limits and defaults named once ---- */
#include "feed_text.h"
#include "feed_url.h"

#define FEED_MAX_REDIRECTS 5
/* Shortest bar interval a feed accepts (also the assets_bar_interval_seconds CHECK). */
#define FEED_MIN_BAR_USECS USECS_PER_SEC
#define FEED_DEFAULT_MAX_REQUESTS_PER_RUN 1000
#define FEED_MAX_MAX_REQUESTS_PER_RUN 1000000
#define FEED_DEFAULT_MAX_RETRY_AFTER_S 300
#define FEED_MAX_MAX_RETRY_AFTER_S 3600
#define FEED_DEFAULT_MAX_BACKOFF_PER_RUN_S 900
#define FEED_MAX_MAX_BACKOFF_PER_RUN_S 86400
#define FEED_DEFAULT_MAX_EMPTY_PAGES 100
#define FEED_MAX_MAX_EMPTY_PAGES 100000
/* The worker waits at most this long for any lock, then leaves the feed for later. */
#define FEED_WORKER_LOCK_TIMEOUT_MS 100
/* A feed another session has locked is tried again after this long ... */
#define FEED_BUSY_RETRY_MS 1000
/* ... and its run given up (queue rows kept for later) after this long. */
#define FEED_MAX_BUSY_MS (10 * 60 * 1000)
/* ap_ingest_now waits this long for another run of its feed, polling this often. */
#define FEED_NOW_LOCK_WAIT_MS 5000
#define FEED_NOW_LOCK_POLL_MS 10

extern int	feed_max_requests_per_run;
extern int	feed_max_retry_after_s;
extern int	feed_max_backoff_per_run_s;
extern int	feed_max_empty_pages;

/* Counters one run keeps against its bounds. */
typedef struct FeedRunBounds
{
	int			requests;		/* HTTP requests made, redirects included */
	int			empty_pages;	/* consecutive pages that landed nothing new */
	int64		backoff_ms;		/* waited before retries so far */
} FeedRunBounds;

/* feed_run.c */
extern char *FeedCleanText(const char *s, size_t max);
extern char *FeedRedactUrl(const char *url);
extern char *FeedScrubSecrets(FeedDef *f, const char *text);
extern char *FeedUrlWithSecrets(FeedDef *f, const char *url);
extern void FeedCheckUrlPolicy(const char *url);
extern char *FeedRunStopReason(FeedRunBounds *b);
extern char *FeedBackoffRefused(FeedRunBounds *b, int delay_ms);
extern bool FeedNoteEmptyPage(FeedRunBounds *b, FeedPageOutcome *out);
extern void FeedLockLanding(const char *name);
extern bool FeedTryLockLanding(const char *name);

/* Optional LLM scoring of news (feed_llm_worker.c; pure C in feed_llm.c). */
extern int	feed_llm_mode;
extern char *feed_llm_url;
extern char *feed_llm_model;
extern int	feed_llm_batch_size;
extern int	feed_llm_min_interval_ms;
extern int	feed_llm_max_attempts;

extern void FeedLlmWork(void *multi);
extern bool FeedLlmTransferDone(void *multi, FeedRequest *req, int curlcode);
extern long FeedLlmTimeoutMs(void);

#endif							/* FEED_H */
