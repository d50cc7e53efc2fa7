/*
 * feed_http.c - HTTP for feeds through libcurl: the host allow list, bounded
 * size and time, redirects re-checked by hand, Retry-After.  Curl's buffers
 * are malloc'd and freed on every path; PostgreSQL memory is only touched
 * outside curl's callbacks.
 */
#include "postgres.h"

#include <curl/curl.h>

#include "miscadmin.h"
#include "utils/builtins.h"

#include "feed.h"

struct FeedRequest
{
	CURL	   *easy;
	struct curl_slist *hdrs;
	char	   *buf;			/* malloc'd body */
	size_t		len;
	size_t		cap;
	size_t		max;
	bool		too_large;
	bool		no_memory;
	char		errbuf[CURL_ERROR_SIZE];
};

/* Bytes of an error response body quoted in the message. */
#define FEED_BODY_PREVIEW_BYTES 200

/* curl_global_init is not thread-safe and must not run in the postmaster. */
void
FeedHttpGlobalInit(void)
{
	static bool done = false;

	if (done)
		return;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not initialize libcurl")));
	done = true;
}

/* Append a chunk; refusing (return 0) makes curl stop with a write error. */
static size_t
FeedWriteBody(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	FeedRequest *req = (FeedRequest *) userdata;
	size_t		n = size * nmemb;

	if (req->len + n > req->max)
	{
		req->too_large = true;
		return 0;
	}
	if (req->len + n + 1 > req->cap)
	{
		size_t		cap = Max(req->cap * 2, req->len + n + 1);
		char	   *nb;

		cap = Max(cap, 16384);
		nb = realloc(req->buf, cap);
		if (nb == NULL)
		{
			req->no_memory = true;
			return 0;
		}
		req->buf = nb;
		req->cap = cap;
	}
	memcpy(req->buf + req->len, ptr, n);
	req->len += n;
	req->buf[req->len] = '\0';
	return n;
}

/* Let a query cancel or shutdown stop a transfer; the caller then services it. */
static int
FeedProgress(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
			 curl_off_t ultotal, curl_off_t ulnow)
{
	return InterruptPending ? 1 : 0;
}

/*
 * Whether url is canonical and libcurl reads it as the extension does: no
 * user name or password, and the same host and port.  A URL the two parsers
 * disagree on could hide a credential from the check and the redaction, or
 * reach a host other than the one the allow list was asked about.
 */
bool
FeedUrlSound(const char *url, char **why)
{
	const char *problem = FeedUrlProblem(url);
	CURLU	   *u;
	char	   *scheme = NULL,
			   *user = NULL,
			   *password = NULL,
			   *host = NULL,
			   *port = NULL;
	const char *h;
	size_t		hlen;
	int			p;
	bool		ok = false;

	if (problem != NULL)
	{
		*why = psprintf("the URL %s", problem);
		return false;
	}
	if ((u = curl_url()) == NULL)
		elog(ERROR, "out of memory in curl_url");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		*why = pstrdup("libcurl cannot parse the URL");
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
			 curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK)
		*why = pstrdup("libcurl reads a user name or password in the URL");
	else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
			 curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
			 curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
			 !FeedUrlHostPort(url, &h, &hlen, &p))
		*why = pstrdup("the URL has no host or a malformed port");
	else
	{
		long		curl_port = strtol(port, NULL, 10);
		long		own_port = p >= 0 ? p :
			strcmp(scheme, "https") == 0 ? FEED_DEFAULT_HTTPS_PORT :
			strcmp(scheme, "http") == 0 ? FEED_DEFAULT_HTTP_PORT : curl_port;

		ok = strlen(host) == hlen && pg_strncasecmp(host, h, hlen) == 0 && own_port == curl_port;
		if (!ok)
			*why = pstrdup("libcurl reads another host or port in the URL than the extension does (write the host plainly, without escapes or shorthand)");
	}
	curl_free(scheme);
	curl_free(user);
	curl_free(password);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ok;
}

/* Whether url is http(s) to an allowed host; *why says why not (palloc'd). */
bool
FeedUrlAllowed(const char *url, char **why)
{
	CURLU	   *u = curl_url();
	char	   *scheme = NULL;
	char	   *host = NULL;
	char	   *port = NULL;
	char	   *problem = NULL;
	bool		ok = false;

	if (u == NULL)
		elog(ERROR, "out of memory in curl_url");
	if (!FeedUrlSound(url, &problem))
		;
	else if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		problem = psprintf("\"%s\" is not a valid URL", FeedRedactUrl(url));
	else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
			 (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		problem = psprintf("only http and https URLs are allowed, not \"%s\"", FeedRedactUrl(url));
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		problem = psprintf("URL \"%s\" has no host", FeedRedactUrl(url));
	else
	{
		long		portnum = 0;

		if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK && port)
			portnum = strtol(port, NULL, 10);
		/* a bare host admits ports 80 and 443 only; host:port that port */
		ok = FeedAllowListMatch(feed_allowed_hosts ? feed_allowed_hosts : "", host, (int) portnum);
		if (!ok)
		{
			char	   *h = FeedCleanText(host, FEED_MAX_URL_BYTES);

			if (FeedAllowListHasHost(feed_allowed_hosts ? feed_allowed_hosts : "", host))
				problem = psprintf("port %ld of host \"%s\" is not in alphapulse.allowed_hosts", portnum, h);
			else
				problem = psprintf("host \"%s\" is not in alphapulse.allowed_hosts", h);
		}
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	if (why)
		*why = problem;
	return ok;
}

/* Raise a clear error unless url may be fetched. */
void
FeedCheckUrl(const char *url)
{
	char	   *why;

	if (!FeedUrlAllowed(url, &why))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feed url not allowed"),
				 errdetail("%s.", why),
				 errhint("Only http and https are allowed; a superuser lists hosts in alphapulse.allowed_hosts (a bare host allows ports 80 and 443, host:port that port).")));
}

/* Whether two URLs name the same host and port (secrets follow only then). */
bool
FeedSameHost(const char *a, const char *b)
{
	CURLU	   *ua = curl_url();
	CURLU	   *ub = curl_url();
	char	   *ha = NULL,
			   *hb = NULL,
			   *pa = NULL,
			   *pb = NULL;
	bool		same = false;

	if (ua && ub &&
		curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
		curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK &&
		curl_url_get(ua, CURLUPART_HOST, &ha, 0) == CURLUE_OK &&
		curl_url_get(ub, CURLUPART_HOST, &hb, 0) == CURLUE_OK &&
		curl_url_get(ua, CURLUPART_PORT, &pa, CURLU_DEFAULT_PORT) == CURLUE_OK &&
		curl_url_get(ub, CURLUPART_PORT, &pb, CURLU_DEFAULT_PORT) == CURLUE_OK)
		same = pg_strcasecmp(ha, hb) == 0 && strcmp(pa, pb) == 0;
	curl_free(ha);
	curl_free(hb);
	curl_free(pa);
	curl_free(pb);
	curl_url_cleanup(ua);
	curl_url_cleanup(ub);
	return same;
}

/* An easy handle with every bound set; free with FeedRequestFree. */
FeedRequest *
FeedRequestCreate(const char *url, List *headers)
{
	FeedRequest *req;
	ListCell   *lc;
	CURL	   *e;

	FeedHttpGlobalInit();
	req = calloc(1, sizeof(FeedRequest));
	if (req == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	req->max = (size_t) feed_max_response_kb * 1024;
	req->easy = e = curl_easy_init();
	if (e == NULL)
	{
		free(req);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("could not create a curl handle")));
	}
	foreach(lc, headers)
	{
		struct curl_slist *l = curl_slist_append(req->hdrs, (char *) lfirst(lc));

		if (l == NULL)
		{
			FeedRequestFree(req);
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		}
		req->hdrs = l;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long) feed_request_timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long) Min(feed_request_timeout_ms, 10000));
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) req->max);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, FeedWriteBody);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, FeedProgress);
	curl_easy_setopt(e, CURLOPT_USERAGENT, feed_user_agent ? feed_user_agent : "alphapulse");
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, req);
	if (req->hdrs)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->hdrs);
	return req;
}

void *
FeedRequestEasy(FeedRequest *req)
{
	return req->easy;
}

/* Release everything curl and the body buffer hold. */
void
FeedRequestFree(FeedRequest *req)
{
	if (req == NULL)
		return;
	if (req->easy)
		curl_easy_cleanup(req->easy);
	curl_slist_free_all(req->hdrs);
	free(req->buf);
	free(req);
}

/* Seconds from a Retry-After header (delta or HTTP date), -1 when absent. */
static int
FeedRetryAfter(CURL *e)
{
	struct curl_header *h;
	const char *v;
	char	   *end;
	long		secs;

	if (curl_easy_header(e, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return -1;
	v = h->value;
	secs = strtol(v, &end, 10);
	if (end != v && *end == '\0' && secs >= 0)
		return (int) Min(secs, feed_max_retry_after_s);
	else
	{
		time_t		t = curl_getdate(v, NULL);

		if (t < 0)
			return -1;
		secs = (long) (t - time(NULL));
		return (int) Min(Max(secs, 0), feed_max_retry_after_s);
	}
}

/* The start of an error body as clean text (bytes past the bound and bad bytes never stored). */
static char *
FeedBodyPreview(const char *body, size_t len)
{
	char	   *out = palloc(FEED_BODY_PREVIEW_BYTES + 1);

	FeedTextSanitize(body, Min(len, FEED_BODY_PREVIEW_BYTES), out, FEED_BODY_PREVIEW_BYTES);
	return out;
}

/*
 * Fill res from a finished transfer.  Returns the absolute redirect target
 * (palloc'd) when the response is a redirect, else NULL.
 */
char *
FeedRequestFinish(FeedRequest *req, int curlcode, FeedHttpResult *res)
{
	CURL	   *e = req->easy;
	CURLcode	code = (CURLcode) curlcode;
	char	   *redirect = NULL;
	char	   *eurl = NULL;

	memset(res, 0, sizeof(*res));
	res->retry_after = -1;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &res->status);
	if (curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &eurl) == CURLE_OK && eurl)
		res->final_url = FeedRedactUrl(eurl);
	if (req->len > 0)
	{
		res->body = palloc(req->len + 1);
		memcpy(res->body, req->buf, req->len);
		res->body[req->len] = '\0';
		res->len = req->len;
	}
	else
		res->body = pstrdup("");

	if (code == CURLE_OK)
	{
		res->retry_after = FeedRetryAfter(e);
		if (res->status >= 300 && res->status < 400)
		{
			char	   *loc = NULL;

			if (curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc)
				redirect = pstrdup(loc);
			else
				res->error = psprintf("HTTP %ld redirect without a Location", res->status);
		}
		else if (res->status >= 400)
		{
			res->error = psprintf("HTTP %ld: %s", res->status, FeedBodyPreview(res->body, res->len));
			res->transient = (res->status == 429 || res->status == 408 ||
							  res->status >= 500);
		}
	}
	else if (req->too_large || code == CURLE_FILESIZE_EXCEEDED)
		res->error = psprintf("response larger than alphapulse.max_response_size (%d kB)",
							  feed_max_response_kb);
	else if (req->no_memory)
		res->error = pstrdup("out of memory reading the response");
	else if (code == CURLE_OPERATION_TIMEDOUT)
	{
		res->error = psprintf("request timed out after %d ms (alphapulse.request_timeout)",
							  feed_request_timeout_ms);
		res->transient = true;
	}
	else if (code == CURLE_ABORTED_BY_CALLBACK)
		res->error = pstrdup("request interrupted");
	else if (code == CURLE_PARTIAL_FILE)
	{
		res->error = psprintf("truncated response: %s",
							  FeedCleanText(req->errbuf[0] ? req->errbuf : curl_easy_strerror(code),
											FEED_MAX_MESSAGE_BYTES));
		res->transient = true;
	}
	else
	{
		res->error = FeedCleanText(req->errbuf[0] ? req->errbuf : curl_easy_strerror(code),
								   FEED_MAX_MESSAGE_BYTES);
		res->transient = (code == CURLE_COULDNT_CONNECT || code == CURLE_RECV_ERROR ||
						  code == CURLE_SEND_ERROR || code == CURLE_GOT_NOTHING ||
						  code == CURLE_COULDNT_RESOLVE_HOST);
	}
	return redirect;
}

/* One transfer in this process; the handle is freed on every path. */
static char *
FeedPerformOnce(const char *url, List *headers, FeedHttpResult *res)
{
	FeedRequest *req = FeedRequestCreate(url, headers);
	char	   *redirect = NULL;

	PG_TRY();
	{
		redirect = FeedRequestFinish(req, curl_easy_perform(req->easy), res);
	}
	PG_CATCH();
	{
		FeedRequestFree(req);
		PG_RE_THROW();
	}
	PG_END_TRY();
	FeedRequestFree(req);
	return redirect;
}

/* Fetch url in this process, following allowed redirects; never throws on HTTP. */
void
FeedFetch(const char *url, List *headers, FeedHttpResult *res)
{
	const char *cur = url;
	int			hops;

	for (hops = 0;; hops++)
	{
		char	   *why;
		char	   *redirect;

		if (!FeedUrlAllowed(cur, &why))
		{
			memset(res, 0, sizeof(*res));
			res->retry_after = -1;
			res->error = hops > 0 ? psprintf("redirect refused: %s", why) : why;
			res->final_url = FeedRedactUrl(cur);
			return;
		}
		redirect = FeedPerformOnce(cur, headers, res);
		CHECK_FOR_INTERRUPTS();
		if (redirect == NULL)
			return;
		if (hops >= FEED_MAX_REDIRECTS)
		{
			res->error = psprintf("more than %d redirects", FEED_MAX_REDIRECTS);
			return;
		}
		if (!FeedSameHost(cur, redirect))
			headers = NIL;		/* API keys stay with the host they are for */
		cur = redirect;
	}
}
