/*
 * feed_json.h - a small strict JSON parser for feed bodies (pure C, no
 * PostgreSQL headers): a DOM in an arena, numbers kept as their source text,
 * strings unescaped into valid UTF-8.  Also the arena and the error record
 * the other pure-C feed parsers share.
 */
#ifndef FEED_JSON_H
#define FEED_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "feed_bounds.h"

/* Blocks come from block_alloc (palloc in the server, malloc in fuzzers). */
typedef struct FeedArenaBlock FeedArenaBlock;
typedef struct FeedArena
{
	void	   *(*block_alloc) (size_t size);	/* NULL when out of memory */
	void		(*block_free) (void *p);
	FeedArenaBlock *head;
	char	   *cur;
	size_t		left;
} FeedArena;

extern void FeedArenaInit(FeedArena *a, void *(*block_alloc) (size_t),
						  void (*block_free) (void *));
extern void *FeedArenaAlloc(FeedArena *a, size_t size);
extern char *FeedArenaStrndup(FeedArena *a, const char *s, size_t len);
extern void FeedArenaFree(FeedArena *a);

/* What went wrong, for the glue to turn into an ereport. */
typedef enum FeedErrorKind
{
	FEED_OK = 0,
	FEED_ERR_SYNTAX,			/* 22P02 malformed body or shape */
	FEED_ERR_NUMBER,			/* 22P02 a field is not a decimal number */
	FEED_ERR_RANGE,				/* 22003 a number outside the bounds */
	FEED_ERR_TIME_RANGE,		/* 22008 a time outside the bounds */
	FEED_ERR_TIME_FORMAT,		/* 22007 an unreadable date */
	FEED_ERR_XML,				/* 2200M malformed XML */
	FEED_ERR_MEMORY				/* 53200 */
} FeedErrorKind;

#define FEED_ERR_TEXT 512
typedef struct FeedError
{
	FeedErrorKind kind;
	char		msg[FEED_ERR_TEXT];		/* errmsg: lower case, no period */
	char		detail[FEED_ERR_TEXT];	/* errdetail: a sentence */
} FeedError;

extern bool FeedFail(FeedError *e, FeedErrorKind kind, const char *msg,
					 const char *fmt,...) __attribute__((format(printf, 4, 5)));
extern void FeedQuote(char *dst, size_t cap, const char *s, size_t len);

typedef enum FeedJsonType
{
	FJ_NULL,
	FJ_FALSE,
	FJ_TRUE,
	FJ_NUMBER,
	FJ_STRING,
	FJ_ARRAY,
	FJ_OBJECT
} FeedJsonType;

typedef struct FeedJson FeedJson;
struct FeedJson
{
	FeedJsonType type;
	uint32_t	n;				/* members of an array or object */
	uint32_t	len;			/* bytes of str */
	uint32_t	keylen;			/* bytes of key */
	const char *str;			/* number's source text or unescaped string, NUL-ended */
	const char *key;			/* member name when inside an object, NUL-ended */
	FeedJson  **kids;			/* the n members, in document order */
	FeedJson   *next;			/* sibling while parsing */
};

extern FeedJson *FeedJsonParse(const char *body, size_t len, FeedArena *a, FeedError *e);
extern FeedJson *FeedJsonGet(const FeedJson *obj, const char *key);
extern FeedJson *FeedJsonAt(const FeedJson *arr, uint32_t i);
extern bool FeedUtf8Valid(const unsigned char *s, size_t len);

#endif							/* FEED_JSON_H */
