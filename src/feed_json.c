/*
 * feed_json.c - strict JSON (RFC 8259) for feed bodies, with no PostgreSQL
 * headers so that it can be fuzzed: depth and node limits, numbers kept as
 * source text (money never becomes a double), strings unescaped into valid
 * UTF-8 with no NUL and no lone surrogate, nothing after the value.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "feed_json.h"

#define FEED_ARENA_BLOCK 65536

struct FeedArenaBlock
{
	FeedArenaBlock *next;
};

void
FeedArenaInit(FeedArena *a, void *(*block_alloc) (size_t), void (*block_free) (void *))
{
	memset(a, 0, sizeof(*a));
	a->block_alloc = block_alloc;
	a->block_free = block_free;
}

/* size bytes aligned for any pointer or int64; NULL when out of memory. */
void *
FeedArenaAlloc(FeedArena *a, size_t size)
{
	FeedArenaBlock *b;
	size_t		want;
	void	   *p;

	if (size > SIZE_MAX / 2)
		return NULL;
	size = (size + 7) & ~(size_t) 7;
	if (size <= a->left)
	{
		p = a->cur;
		a->cur += size;
		a->left -= size;
		return p;
	}
	want = sizeof(FeedArenaBlock) + (size > FEED_ARENA_BLOCK / 4 ? size : FEED_ARENA_BLOCK);
	if ((b = a->block_alloc(want)) == NULL)
		return NULL;
	b->next = a->head;
	a->head = b;
	p = (char *) b + sizeof(FeedArenaBlock);
	if (size <= FEED_ARENA_BLOCK / 4)
	{
		/* a fresh shared block; big requests keep theirs to themselves */
		a->cur = (char *) p + size;
		a->left = FEED_ARENA_BLOCK - size;
	}
	return p;
}

char *
FeedArenaStrndup(FeedArena *a, const char *s, size_t len)
{
	char	   *d = FeedArenaAlloc(a, len + 1);

	if (d == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

void
FeedArenaFree(FeedArena *a)
{
	while (a->head)
	{
		FeedArenaBlock *n = a->head->next;

		a->block_free(a->head);
		a->head = n;
	}
	a->cur = NULL;
	a->left = 0;
}

/* Record an error; returns false so callers can "return FeedFail(...)". */
bool
FeedFail(FeedError *e, FeedErrorKind kind, const char *msg, const char *fmt,...)
{
	va_list		ap;

	e->kind = kind;
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
	return false;
}

/*
 * Copy at most FEED_MAX_QUOTE_BYTES of s for an error text: printable ASCII
 * kept, other bytes as '?', so a quote is always valid in any encoding.
 */
void
FeedQuote(char *dst, size_t cap, const char *s, size_t len)
{
	size_t		i,
				n = 0;
	size_t		lim = len < FEED_MAX_QUOTE_BYTES ? len : FEED_MAX_QUOTE_BYTES;

	if (cap == 0)
		return;
	for (i = 0; i < lim && n + 4 < cap; i++)
	{
		unsigned char c = (unsigned char) s[i];

		dst[n++] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
	}
	if (lim < len && n + 4 < cap)
	{
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
}

/* Length of the UTF-8 sequence at s (1-4), or 0 when it is not valid. */
static int
Utf8SeqLen(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (left >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF)
	{
		if (left < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && s[1] < 0xA0)
			return 0;			/* overlong */
		if (c == 0xED && s[1] >= 0xA0)
			return 0;			/* UTF-16 surrogate */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4)
	{
		if (left < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
			(s[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && s[1] < 0x90)
			return 0;			/* overlong */
		if (c == 0xF4 && s[1] >= 0x90)
			return 0;			/* past U+10FFFF */
		return 4;
	}
	return 0;
}

/* Whether s is valid UTF-8 with no NUL. */
bool
FeedUtf8Valid(const unsigned char *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		int			k;

		if (s[i] == 0 || (k = Utf8SeqLen(s + i, len - i)) == 0)
			return false;
		i += k;
	}
	return true;
}

typedef struct JsonParser
{
	const unsigned char *p;
	const unsigned char *start;
	const unsigned char *end;
	FeedArena  *arena;
	FeedError  *err;
	size_t		nodes;
} JsonParser;

static bool
JsonBad(JsonParser *ps, const char *what)
{
	return FeedFail(ps->err, FEED_ERR_SYNTAX, "malformed json",
					"Invalid JSON at byte %zu: %s.", (size_t) (ps->p - ps->start), what);
}

static void
JsonSkipSpace(JsonParser *ps)
{
	while (ps->p < ps->end &&
		   (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static FeedJson *
JsonNode(JsonParser *ps, FeedJsonType type)
{
	FeedJson   *v;

	if (++ps->nodes > FEED_JSON_MAX_NODES)
	{
		FeedFail(ps->err, FEED_ERR_SYNTAX, "malformed json",
				 "The body has more than %d JSON values.", FEED_JSON_MAX_NODES);
		return NULL;
	}
	v = FeedArenaAlloc(ps->arena, sizeof(FeedJson));
	if (v == NULL)
	{
		FeedFail(ps->err, FEED_ERR_MEMORY, "out of memory", "Parsing a JSON body.");
		return NULL;
	}
	memset(v, 0, sizeof(*v));
	v->type = type;
	return v;
}

static int
JsonHex4(const unsigned char *p)
{
	int			i,
				v = 0;

	for (i = 0; i < 4; i++)
	{
		int			c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static size_t
Utf8Put(unsigned char *d, unsigned cp)
{
	if (cp < 0x80)
	{
		d[0] = (unsigned char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		d[0] = (unsigned char) (0xC0 | (cp >> 6));
		d[1] = (unsigned char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		d[0] = (unsigned char) (0xE0 | (cp >> 12));
		d[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
		d[2] = (unsigned char) (0x80 | (cp & 0x3F));
		return 3;
	}
	d[0] = (unsigned char) (0xF0 | (cp >> 18));
	d[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3F));
	d[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
	d[3] = (unsigned char) (0x80 | (cp & 0x3F));
	return 4;
}

/* A string at ps->p (the opening quote); unescaped copy into *out. */
static bool
JsonString(JsonParser *ps, const char **out, uint32_t *outlen)
{
	const unsigned char *s = ++ps->p;
	const unsigned char *q = s;
	bool		escapes = false;
	unsigned char *d;
	size_t		n = 0;

	/* first pass: find the end, check bytes */
	while (q < ps->end && *q != '"')
	{
		if (*q == '\\')
		{
			escapes = true;
			q += 2;
			continue;
		}
		if (*q < 0x20)
		{
			ps->p = q;
			return JsonBad(ps, "control character in a string");
		}
		if (*q < 0x80)
			q++;
		else
		{
			int			k = Utf8SeqLen(q, ps->end - q);

			if (k == 0)
			{
				ps->p = q;
				return JsonBad(ps, "invalid UTF-8 in a string");
			}
			q += k;
		}
	}
	if (q >= ps->end)
	{
		ps->p = ps->end;
		return JsonBad(ps, "unterminated string");
	}
	if (!escapes)
	{
		*out = FeedArenaStrndup(ps->arena, (const char *) s, q - s);
		*outlen = (uint32_t) (q - s);
		ps->p = q + 1;
		if (*out == NULL)
			return FeedFail(ps->err, FEED_ERR_MEMORY, "out of memory", "Parsing a JSON body.");
		return true;
	}
	/* escapes never make a string longer */
	d = FeedArenaAlloc(ps->arena, (q - s) + 1);
	if (d == NULL)
		return FeedFail(ps->err, FEED_ERR_MEMORY, "out of memory", "Parsing a JSON body.");
	ps->p = s;
	while (ps->p < q)
	{
		unsigned	cp;

		if (*ps->p != '\\')
		{
			d[n++] = *ps->p++;
			continue;
		}
		switch (ps->p[1])
		{
			case '"':
			case '\\':
			case '/':
				d[n++] = ps->p[1];
				ps->p += 2;
				continue;
			case 'b':
				d[n++] = '\b';
				ps->p += 2;
				continue;
			case 'f':
				d[n++] = '\f';
				ps->p += 2;
				continue;
			case 'n':
				d[n++] = '\n';
				ps->p += 2;
				continue;
			case 'r':
				d[n++] = '\r';
				ps->p += 2;
				continue;
			case 't':
				d[n++] = '\t';
				ps->p += 2;
				continue;
			case 'u':
				break;
			default:
				return JsonBad(ps, "invalid escape in a string");
		}
		if (q - ps->p < 6 || (int) (cp = JsonHex4(ps->p + 2)) < 0)
			return JsonBad(ps, "invalid \\u escape");
		if (cp == 0)
			return JsonBad(ps, "\\u0000 in a string");
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			return JsonBad(ps, "lone low surrogate");
		if (cp >= 0xD800 && cp <= 0xDBFF)
		{
			int			lo;

			if (q - ps->p < 12 || ps->p[6] != '\\' || ps->p[7] != 'u' ||
				(lo = JsonHex4(ps->p + 8)) < 0xDC00 || lo > 0xDFFF)
				return JsonBad(ps, "lone high surrogate");
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			ps->p += 6;
		}
		ps->p += 6;
		n += Utf8Put(d + n, cp);
	}
	d[n] = '\0';
	*out = (const char *) d;
	*outlen = (uint32_t) n;
	ps->p = q + 1;
	return true;
}

/* A number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, kept as text. */
static bool
JsonNumber(JsonParser *ps, FeedJson *v)
{
	const unsigned char *s = ps->p;
	const unsigned char *p = s;
	const unsigned char *e = ps->end;

	if (p < e && *p == '-')
		p++;
	if (p < e && *p == '0')
		p++;
	else if (p < e && *p >= '1' && *p <= '9')
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	else
	{
		ps->p = p;
		return JsonBad(ps, "invalid number");
	}
	if (p < e && *p == '.')
	{
		p++;
		if (p >= e || *p < '0' || *p > '9')
		{
			ps->p = p;
			return JsonBad(ps, "invalid number");
		}
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E'))
	{
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
		{
			ps->p = p;
			return JsonBad(ps, "invalid number");
		}
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	v->str = FeedArenaStrndup(ps->arena, (const char *) s, p - s);
	if (v->str == NULL)
		return FeedFail(ps->err, FEED_ERR_MEMORY, "out of memory", "Parsing a JSON body.");
	v->len = (uint32_t) (p - s);
	ps->p = p;
	return true;
}

static bool
JsonLiteral(JsonParser *ps, const char *word)
{
	size_t		n = strlen(word);

	if ((size_t) (ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return JsonBad(ps, "unexpected character");
	ps->p += n;
	return true;
}

static FeedJson *JsonValue(JsonParser *ps, int depth);

/* Turn the sibling list into the kids array. */
static bool
JsonCollect(JsonParser *ps, FeedJson *c, FeedJson *first)
{
	FeedJson   *k;
	uint32_t	i = 0;

	if (c->n == 0)
		return true;
	c->kids = FeedArenaAlloc(ps->arena, sizeof(FeedJson *) * c->n);
	if (c->kids == NULL)
		return FeedFail(ps->err, FEED_ERR_MEMORY, "out of memory", "Parsing a JSON body.");
	for (k = first; k; k = k->next)
		c->kids[i++] = k;
	return true;
}

/* An array or object at ps->p (the bracket). */
static FeedJson *
JsonContainer(JsonParser *ps, int depth, bool object)
{
	FeedJson   *c = JsonNode(ps, object ? FJ_OBJECT : FJ_ARRAY);
	FeedJson   *first = NULL;
	FeedJson   *last = NULL;
	char		close = object ? '}' : ']';

	if (c == NULL)
		return NULL;
	if (depth >= FEED_JSON_MAX_DEPTH)
	{
		FeedFail(ps->err, FEED_ERR_SYNTAX, "malformed json",
				 "Invalid JSON at byte %zu: nested deeper than %d.",
				 (size_t) (ps->p - ps->start), FEED_JSON_MAX_DEPTH);
		return NULL;
	}
	ps->p++;
	JsonSkipSpace(ps);
	if (ps->p < ps->end && *ps->p == close)
	{
		ps->p++;
		return c;
	}
	for (;;)
	{
		FeedJson   *k;
		const char *key = NULL;
		uint32_t	keylen = 0;

		JsonSkipSpace(ps);
		if (object)
		{
			if (ps->p >= ps->end || *ps->p != '"')
				return JsonBad(ps, ps->p >= ps->end ? "unexpected end of input" : "expected a member name"), NULL;
			if (!JsonString(ps, &key, &keylen))
				return NULL;
			JsonSkipSpace(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return JsonBad(ps, ps->p >= ps->end ? "unexpected end of input" : "expected ':'"), NULL;
			ps->p++;
		}
		if ((k = JsonValue(ps, depth + 1)) == NULL)
			return NULL;
		k->key = key;
		k->keylen = keylen;
		if (last)
			last->next = k;
		else
			first = k;
		last = k;
		c->n++;
		JsonSkipSpace(ps);
		if (ps->p >= ps->end)
			return JsonBad(ps, "unexpected end of input"), NULL;
		if (*ps->p == close)
		{
			ps->p++;
			break;
		}
		if (*ps->p != ',')
			return JsonBad(ps, object ? "expected ',' or '}'" : "expected ',' or ']'"), NULL;
		ps->p++;
	}
	return JsonCollect(ps, c, first) ? c : NULL;
}

static FeedJson *
JsonValue(JsonParser *ps, int depth)
{
	FeedJson   *v;

	JsonSkipSpace(ps);
	if (ps->p >= ps->end)
		return JsonBad(ps, "unexpected end of input"), NULL;
	switch (*ps->p)
	{
		case '[':
			return JsonContainer(ps, depth, false);
		case '{':
			return JsonContainer(ps, depth, true);
		case '"':
			if ((v = JsonNode(ps, FJ_STRING)) == NULL || !JsonString(ps, &v->str, &v->len))
				return NULL;
			return v;
		case 't':
			return JsonLiteral(ps, "true") ? JsonNode(ps, FJ_TRUE) : NULL;
		case 'f':
			return JsonLiteral(ps, "false") ? JsonNode(ps, FJ_FALSE) : NULL;
		case 'n':
			return JsonLiteral(ps, "null") ? JsonNode(ps, FJ_NULL) : NULL;
		default:
			if ((v = JsonNode(ps, FJ_NUMBER)) == NULL || !JsonNumber(ps, v))
				return NULL;
			return v;
	}
}

/* Parse a whole body; NULL with *e set when it is not one JSON value. */
FeedJson *
FeedJsonParse(const char *body, size_t len, FeedArena *a, FeedError *e)
{
	JsonParser	ps;
	FeedJson   *v;

	e->kind = FEED_OK;
	ps.start = ps.p = (const unsigned char *) body;
	ps.end = ps.p + len;
	ps.arena = a;
	ps.err = e;
	ps.nodes = 0;
	if (len >= UINT32_MAX)
	{
		FeedFail(e, FEED_ERR_SYNTAX, "malformed json", "The body is too large.");
		return NULL;
	}
	if ((v = JsonValue(&ps, 0)) == NULL)
		return NULL;
	JsonSkipSpace(&ps);
	if (ps.p != ps.end)
	{
		JsonBad(&ps, "trailing data after the value");
		return NULL;
	}
	return v;
}

/* The member named key (the last one, as jsonb keeps), or NULL. */
FeedJson *
FeedJsonGet(const FeedJson *obj, const char *key)
{
	size_t		kl = strlen(key);
	uint32_t	i;

	if (obj == NULL || obj->type != FJ_OBJECT)
		return NULL;
	for (i = obj->n; i > 0; i--)
	{
		FeedJson   *k = obj->kids[i - 1];

		if (k->keylen == kl && memcmp(k->key, key, kl) == 0)
			return k;
	}
	return NULL;
}

/* Element i of an array, or NULL. */
FeedJson *
FeedJsonAt(const FeedJson *arr, uint32_t i)
{
	if (arr == NULL || arr->type != FJ_ARRAY || i >= arr->n)
		return NULL;
	return arr->kids[i];
}
