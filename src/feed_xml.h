/*
 * feed_xml.h - RSS 2.0 and Atom items out of an XML body (pure C over
 * libxml2: no network, no DTD, no entity expansion).
 */
#ifndef FEED_XML_H
#define FEED_XML_H

#include "feed_json.h"

typedef struct FeedRawItem
{
	const char *guid;			/* UTF-8, never NULL (falls back to link, title) */
	const char *title;			/* UTF-8 or NULL */
	const char *link;
	const char *summary;
	bool		has_published;
	int64_t		published;		/* microseconds since 1970 UTC */
} FeedRawItem;

typedef struct FeedRawNews
{
	int			n;
	FeedRawItem *items;
	const char *source;			/* channel or feed title, or NULL */
} FeedRawNews;

extern bool FeedExtractNews(const char *body, size_t len, FeedArena *a,
							FeedRawNews *out, FeedError *e);

#endif							/* FEED_XML_H */
