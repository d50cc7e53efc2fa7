/*
 * feed_url.c - the URL policy of feeds: which host and port the allow list
 * admits, whether a URL carries a credential, and the redacted form that is
 * stored and logged.  Plain C: no PostgreSQL headers.
 */
#include <string.h>

#include "feed_url.h"

/* Parameter names that are credentials, after lower-casing and dropping - _ . and spaces. */
static const char *const CredNames[] = {
	"key", "apikey", "token", "accesstoken", "secret", "signature", "sig",
	"password", "passwd", "pwd", "pass", "auth", "authorization", "credential",
	"credentials", "session", "sessionid", "sid", "jwt", "bearer", "privatekey",
	"clientsecret", "appid"
};

/* Endings that make a parameter name a credential (x_cg_demo_api_key, refresh_token ...). */
static const char *const CredSuffixes[] = {
	"key", "token", "secret", "signature", "password", "passwd", "credential",
	"credentials", "auth"
};

static char
AsciiLower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
}

static bool
IsSpace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* One allow-list entry split up; false when it is malformed. */
static bool
ParseEntry(const char *e, size_t n, const char **host, size_t *hlen, int *port)
{
	const char *colon = NULL;
	size_t		i,
				ncolons = 0;

	*port = -1;
	if (n == 0 || n > FEED_URL_MAX_NAME)
		return false;
	for (i = 0; i < n; i++)
		if (IsSpace(e[i]) || e[i] == '/' || e[i] == '@' || e[i] == '?' || e[i] == '#' ||
			e[i] == '\\' || (unsigned char) e[i] < 0x20)
			return false;
	if (e[0] == '[')
	{
		const char *close = memchr(e, ']', n);

		if (close == NULL || close == e + 1)
			return false;
		*host = e;
		*hlen = (size_t) (close - e) + 1;
		if (*hlen == n)
			return true;
		colon = close + 1;
		if (*colon != ':')
			return false;
	}
	else
	{
		for (i = 0; i < n; i++)
			if (e[i] == ':')
			{
				ncolons++;
				colon = e + i;
			}
		*host = e;
		if (ncolons != 1)
		{
			*hlen = n;			/* a name, or a bare IPv6 literal */
			return true;
		}
		*hlen = (size_t) (colon - e);
		if (*hlen == 0)
			return false;
	}
	/* ":port" */
	{
		const char *p = colon + 1;
		const char *end = e + n;
		long		v = 0;

		if (p == end || end - p > 5)
			return false;
		for (; p < end; p++)
		{
			if (*p < '0' || *p > '9')
				return false;
			v = v * 10 + (*p - '0');
		}
		if (v < 1 || v > 65535)
			return false;
		*port = (int) v;
	}
	return true;
}

/* Case-insensitive equality of a[0..alen) and b[0..blen). */
static bool
SameHost(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t		i;

	/* a bare IPv6 entry matches the bracketed host curl reports */
	if (blen >= 2 && b[0] == '[' && b[blen - 1] == ']' && alen > 0 && a[0] != '[')
	{
		b++;
		blen -= 2;
	}
	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++)
		if (AsciiLower(a[i]) != AsciiLower(b[i]))
			return false;
	return true;
}

/* Call fn on each trimmed entry; stops (returning false) when fn does. */
typedef bool (*EntryFn) (const char *e, size_t n, void *arg);

static bool
ForEachEntry(const char *list, EntryFn fn, void *arg)
{
	const char *p = list;

	while (p && *p)
	{
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		const char *s = p;
		const char *t = end;

		while (s < t && IsSpace(*s))
			s++;
		while (t > s && IsSpace(t[-1]))
			t--;
		if (t > s && !fn(s, (size_t) (t - s), arg))
			return false;
		p = comma ? comma + 1 : NULL;
	}
	return true;
}

typedef struct MatchArg
{
	const char *host;
	int			port;
	bool		found;
} MatchArg;

static bool
MatchOne(const char *e, size_t n, void *arg)
{
	MatchArg   *m = (MatchArg *) arg;
	const char *h;
	size_t		hlen;
	int			port;

	if (!ParseEntry(e, n, &h, &hlen, &port))
		return true;			/* a malformed entry admits nothing */
	if (!SameHost(h, hlen, m->host, strlen(m->host)))
		return true;
	if (m->port == FEED_ANY_PORT ||
		(port >= 0 ? port == m->port
		 : (m->port == FEED_DEFAULT_HTTP_PORT || m->port == FEED_DEFAULT_HTTPS_PORT)))
	{
		m->found = true;
		return false;
	}
	return true;
}

bool
FeedAllowListMatch(const char *list, const char *host, int port)
{
	MatchArg	m;

	if (list == NULL || host == NULL || host[0] == '\0')
		return false;
	m.host = host;
	m.port = port;
	m.found = false;
	ForEachEntry(list, MatchOne, &m);
	return m.found;
}

typedef struct ValidArg
{
	const char *bad;
	size_t		badlen;
} ValidArg;

static bool
ValidOne(const char *e, size_t n, void *arg)
{
	ValidArg   *v = (ValidArg *) arg;
	const char *h;
	size_t		hlen;
	int			port;

	if (ParseEntry(e, n, &h, &hlen, &port))
		return true;
	v->bad = e;
	v->badlen = n;
	return false;
}

bool
FeedAllowListValid(const char *list, const char **bad, size_t *badlen)
{
	ValidArg	v = {NULL, 0};
	bool		ok = list == NULL || ForEachEntry(list, ValidOne, &v);

	if (bad)
		*bad = v.bad;
	if (badlen)
		*badlen = v.badlen;
	return ok;
}

static int
HexVal(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = AsciiLower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool
FeedParamIsCredential(const char *name, size_t len)
{
	char		norm[FEED_URL_MAX_NAME + 1];
	size_t		n = 0,
				i;

	/* percent-decode, lower-case, and drop separators, so Api-Key = api_key = apikey */
	for (i = 0; i < len; i++)
	{
		char		c = name[i];

		if (c == '%' && i + 2 < len &&
			HexVal(name[i + 1]) >= 0 && HexVal(name[i + 2]) >= 0)
		{
			c = (char) (HexVal(name[i + 1]) * 16 + HexVal(name[i + 2]));
			i += 2;
		}
		else if (c == '+')
			c = ' ';
		c = AsciiLower(c);
		if (c == '-' || c == '_' || c == '.' || IsSpace(c))
			continue;
		if (n == FEED_URL_MAX_NAME)
			return true;		/* absurdly long names are treated as suspect */
		norm[n++] = c;
	}
	norm[n] = '\0';
	if (n == 0)
		return false;
	for (i = 0; i < sizeof(CredNames) / sizeof(CredNames[0]); i++)
		if (strcmp(norm, CredNames[i]) == 0)
			return true;
	for (i = 0; i < sizeof(CredSuffixes) / sizeof(CredSuffixes[0]); i++)
	{
		size_t		sl = strlen(CredSuffixes[i]);

		if (n > sl && memcmp(norm + n - sl, CredSuffixes[i], sl) == 0)
			return true;
	}
	return false;
}

/* Where the parts of a URL are; offsets into it. */
typedef struct UrlParts
{
	size_t		auth_start;		/* after "scheme://", or 0 when there is none */
	size_t		auth_end;
	size_t		user_end;		/* just past the last '@' of the authority, else auth_start */
	size_t		query_start;	/* at '?' or len */
	size_t		frag_start;		/* at '#' or len */
	size_t		len;
} UrlParts;

/* Length of a scheme at the start of url ([A-Za-z][A-Za-z0-9+.-]*), 0 when there is none. */
static size_t
SchemeLen(const char *url)
{
	size_t		i = 0;

	for (;; i++)
	{
		char		c = AsciiLower(url[i]);

		if (!((c >= 'a' && c <= 'z') || (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))))
			return i;
	}
}

/*
 * Split a URL the way libcurl does for http(s): the authority starts after
 * "scheme:" and any run of slashes or backslashes, so "http:/u:p@h" and
 * "http:///u:p@h" show their userinfo to the credential check and the
 * redaction even though FeedUrlProblem refuses them.
 */
static void
SplitUrl(const char *url, UrlParts *p)
{
	size_t		sl = SchemeLen(url);
	size_t		i;

	memset(p, 0, sizeof(*p));
	p->len = strlen(url);
	if (sl > 0 && url[sl] == ':' && (url[sl + 1] == '/' || url[sl + 1] == '\\'))
	{
		i = sl + 1;
		while (url[i] == '/' || url[i] == '\\')
			i++;
		p->auth_start = i;
	}
	p->auth_end = p->auth_start;
	if (p->auth_start > 0)
		while (p->auth_end < p->len && strchr("/?#\\", url[p->auth_end]) == NULL)
			p->auth_end++;
	p->user_end = p->auth_start;
	for (i = p->auth_start; i < p->auth_end; i++)
		if (url[i] == '@')
			p->user_end = i + 1;
	p->frag_start = p->len;
	for (i = p->auth_end; i < p->len; i++)
		if (url[i] == '#')
		{
			p->frag_start = i;
			break;
		}
	p->query_start = p->frag_start;
	for (i = p->auth_end; i < p->frag_start; i++)
		if (url[i] == '?')
		{
			p->query_start = i;
			break;
		}
}

/* '&', or ';' which some servers also take between query parameters. */
static bool
IsParamSep(char c)
{
	return c == '&' || c == ';';
}

/* A parameter's value, other than empty or already redacted, is a secret. */
static bool
ValueIsSecret(const char *v, size_t n)
{
	size_t		rl = strlen(FEED_URL_REDACTED);

	return n > 0 && !(n == rl && memcmp(v, FEED_URL_REDACTED, rl) == 0);
}

/*
 * One '&'- or ';'-separated parameter of s[0..n) starting at *i: its name is
 * s[*i .. *eq), its end (separator or n) *end; *i moves past the separator.
 * True when it holds a credential (a credential-like name with a secret value).
 */
static bool
NextParam(const char *s, size_t n, size_t *i, size_t *eq, size_t *end)
{
	size_t		start = *i,
				j = start,
				e;

	while (j < n && !IsParamSep(s[j]))
		j++;
	e = start;
	while (e < j && s[e] != '=')
		e++;
	*eq = e;
	*end = j;
	*i = j + 1;
	return FeedParamIsCredential(s + start, e - start) &&
		ValueIsSecret(s + e + 1, e < j ? j - e - 1 : 0);
}

/* Look through the parameters of s[0..n) for a credential; name gets its name. */
static bool
ParamsHaveCredential(const char *s, size_t n, char *name, size_t namelen)
{
	size_t		i = 0;

	while (i < n)
	{
		size_t		start = i,
					eq,
					end;

		if (!NextParam(s, n, &i, &eq, &end))
			continue;
		if (namelen > 0)
		{
			size_t		k = eq - start < namelen - 1 ? eq - start : namelen - 1;

			memcpy(name, s + start, k);
			name[k] = '\0';
		}
		return true;
	}
	return false;
}

FeedUrlCred
FeedUrlCredential(const char *url, char *name, size_t namelen)
{
	UrlParts	p;

	if (namelen > 0)
		name[0] = '\0';
	if (url == NULL)
		return FEED_URL_CRED_NONE;
	SplitUrl(url, &p);
	if (p.user_end > p.auth_start)
		return FEED_URL_CRED_USERINFO;
	if (p.query_start < p.frag_start &&
		ParamsHaveCredential(url + p.query_start + 1, p.frag_start - p.query_start - 1, name, namelen))
		return FEED_URL_CRED_PARAM;
	if (p.frag_start < p.len &&
		ParamsHaveCredential(url + p.frag_start + 1, p.len - p.frag_start - 1, name, namelen))
		return FEED_URL_CRED_PARAM;
	return FEED_URL_CRED_NONE;
}

/* snprintf-like output: writes what fits, counts everything. */
typedef struct Out
{
	char	   *buf;
	size_t		size;
	size_t		need;
} Out;

static void
Put(Out *o, const char *s, size_t n)
{
	if (o->size > 0 && o->need < o->size - 1)
	{
		size_t		room = o->size - 1 - o->need;

		memcpy(o->buf + o->need, s, n < room ? n : room);
	}
	o->need += n;
}

static void
PutRedactedParams(Out *o, const char *s, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		size_t		start = i,
					eq,
					j;

		if (NextParam(s, n, &i, &eq, &j))
		{
			Put(o, s + start, eq - start);
			Put(o, "=", 1);
			Put(o, FEED_URL_REDACTED, strlen(FEED_URL_REDACTED));
		}
		else
			Put(o, s + start, j - start);
		if (j < n)
			Put(o, s + j, 1);
	}
}

size_t
FeedUrlRedact(const char *url, char *out, size_t outsz)
{
	UrlParts	p;
	Out			o;

	o.buf = out;
	o.size = outsz;
	o.need = 0;
	if (url == NULL)
		url = "";
	SplitUrl(url, &p);
	Put(&o, url, p.auth_start);
	if (p.user_end > p.auth_start && p.user_end == p.auth_end)
	{
		/* userinfo and no host: the rest could re-form an authority, so drop it all */
		if (outsz > 0)
			out[o.need < outsz - 1 ? o.need : outsz - 1] = '\0';
		return o.need;
	}
	Put(&o, url + p.user_end, p.query_start - p.user_end);	/* host and path, no userinfo */
	if (p.query_start < p.frag_start)
	{
		Put(&o, "?", 1);
		PutRedactedParams(&o, url + p.query_start + 1, p.frag_start - p.query_start - 1);
	}
	if (p.frag_start < p.len)
	{
		Put(&o, "#", 1);
		PutRedactedParams(&o, url + p.frag_start + 1, p.len - p.frag_start - 1);
	}
	if (outsz > 0)
		out[o.need < outsz - 1 ? o.need : outsz - 1] = '\0';
	return o.need;
}

size_t
FeedUrlEscape(const char *s, size_t len, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	Out			o;
	size_t		i;

	o.buf = out;
	o.size = outsz;
	o.need = 0;
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '.' || c == '_' || c == '~')
			Put(&o, (const char *) &s[i], 1);
		else
		{
			char		e[3] = {'%', hex[c >> 4], hex[c & 15]};

			Put(&o, e, 3);
		}
	}
	if (outsz > 0)
		out[o.need < outsz - 1 ? o.need : outsz - 1] = '\0';
	return o.need;
}

const char *
FeedUrlProblem(const char *url)
{
	size_t		sl = SchemeLen(url);
	UrlParts	p;
	const char *c;

	for (c = url; *c; c++)
		if ((unsigned char) *c <= 0x20 || *c == 0x7f || *c == '\\')
			return "contains whitespace, a control character or a backslash";
	if (sl == 0 || strncmp(url + sl, "://", 3) != 0 || url[sl + 3] == '/')
		return "does not start with scheme://host";
	SplitUrl(url, &p);
	if (p.user_end == p.auth_end || url[p.user_end] == ':')
		return "has no host";
	return NULL;
}

bool
FeedUrlHostPort(const char *url, const char **host, size_t *hostlen, int *port)
{
	UrlParts	p;
	const char *h,
			   *end,
			   *colon = NULL,
			   *c;
	long		v = 0;

	SplitUrl(url, &p);
	h = url + p.user_end;
	end = url + p.auth_end;
	*port = -1;
	if (h == end)
		return false;
	if (*h == '[')
	{
		const char *close = memchr(h, ']', (size_t) (end - h));

		if (close == NULL)
			return false;
		if (close + 1 < end)
		{
			if (close[1] != ':')
				return false;
			colon = close + 1;
		}
		*hostlen = (size_t) (close + 1 - h);
	}
	else
	{
		for (c = h; c < end; c++)
			if (*c == ':')
				colon = c;
		*hostlen = (size_t) ((colon ? colon : end) - h);
	}
	*host = h;
	if (colon == NULL || colon + 1 == end)
		return *hostlen > 0;	/* "host:" means the default port, as for curl */
	if (end - colon - 1 > 5)
		return false;
	for (c = colon + 1; c < end; c++)
	{
		if (*c < '0' || *c > '9')
			return false;
		v = v * 10 + (*c - '0');
	}
	if (v > 65535)
		return false;
	*port = (int) v;
	return *hostlen > 0;
}

bool
FeedAllowListHasHost(const char *list, const char *host)
{
	MatchArg	m;

	if (list == NULL || host == NULL || host[0] == '\0')
		return false;
	m.host = host;
	m.port = FEED_ANY_PORT;
	m.found = false;
	ForEachEntry(list, MatchOne, &m);
	return m.found;
}
