/*
 * fuzz_feed_json.c - the feed JSON tokenizer (src/feed_json.c).  Whatever it
 * accepts must round-trip: the DOM written back out as JSON (by the
 * independent writer below) parses to an identical DOM, and every string in
 * it is valid UTF-8 without NUL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed_json.h"

typedef struct Buf
{
	char	   *p;
	size_t		n;
	size_t		cap;
} Buf;

static void
Put(Buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap)
	{
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

/* RFC 8259 string: escape quote, backslash and control characters only. */
static void
PutString(Buf *b, const char *s, size_t n)
{
	size_t		i;

	Put(b, "\"", 1);
	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];
		char		esc[8];

		if (c == '"' || c == '\\')
		{
			esc[0] = '\\';
			esc[1] = (char) c;
			Put(b, esc, 2);
		}
		else if (c < 0x20)
		{
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			Put(b, esc, 6);
		}
		else
			Put(b, (const char *) &s[i], 1);
	}
	Put(b, "\"", 1);
}

static void
Write(Buf *b, const FeedJson *v)
{
	uint32_t	i;

	switch (v->type)
	{
		case FJ_NULL:
			Put(b, "null", 4);
			break;
		case FJ_TRUE:
			Put(b, "true", 4);
			break;
		case FJ_FALSE:
			Put(b, "false", 5);
			break;
		case FJ_NUMBER:
			Put(b, v->str, v->len);
			break;
		case FJ_STRING:
			PutString(b, v->str, v->len);
			break;
		case FJ_ARRAY:
		case FJ_OBJECT:
			Put(b, v->type == FJ_ARRAY ? "[" : "{", 1);
			for (i = 0; i < v->n; i++)
			{
				if (i)
					Put(b, ",", 1);
				if (v->type == FJ_OBJECT)
				{
					PutString(b, v->kids[i]->key, v->kids[i]->keylen);
					Put(b, ":", 1);
				}
				Write(b, v->kids[i]);
			}
			Put(b, v->type == FJ_ARRAY ? "]" : "}", 1);
			break;
	}
}

static void
Same(const FeedJson *a, const FeedJson *b)
{
	uint32_t	i;

	if (a->type != b->type || a->n != b->n || a->len != b->len)
		abort();
	if ((a->type == FJ_NUMBER || a->type == FJ_STRING) &&
		(memcmp(a->str, b->str, a->len) != 0 || a->str[a->len] != '\0'))
		abort();
	if (a->type == FJ_STRING && !FeedUtf8Valid((const unsigned char *) a->str, a->len))
		abort();
	for (i = 0; i < a->n; i++)
	{
		if (a->type == FJ_OBJECT &&
			(a->kids[i]->keylen != b->kids[i]->keylen ||
			 memcmp(a->kids[i]->key, b->kids[i]->key, a->kids[i]->keylen) != 0 ||
			 !FeedUtf8Valid((const unsigned char *) a->kids[i]->key, a->kids[i]->keylen)))
			abort();
		Same(a->kids[i], b->kids[i]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FeedArena	a1,
				a2;
	FeedError	e;
	FeedJson   *v,
			   *w;
	Buf			b = {NULL, 0, 0};

	FeedArenaInit(&a1, malloc, free);
	FeedArenaInit(&a2, malloc, free);
	v = FeedJsonParse((const char *) data, size, &a1, &e);
	if (v == NULL)
	{
		if (e.kind == FEED_OK || e.detail[0] == '\0')
			abort();
	}
	else
	{
		Write(&b, v);
		w = FeedJsonParse(b.p, b.n, &a2, &e);
		if (w == NULL)
		{
			fprintf(stderr, "re-parse failed: %s\n", e.detail);
			abort();
		}
		Same(v, w);
	}
	free(b.p);
	FeedArenaFree(&a1);
	FeedArenaFree(&a2);
	return 0;
}
