/*
 * feed_xml.c - RSS 2.0 and Atom in pure C over libxml2, with network access
 * off, DTDs refused and entities never expanded; dates go through the
 * hand-written parsers of feed_date.c.  Every libxml2 object is freed on
 * every path (nothing here raises a PostgreSQL error).
 */
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "feed_date.h"
#include "feed_xml.h"

typedef struct NewsState
{
	FeedArena  *arena;
	FeedRawNews *out;
	FeedError  *e;
	int			cap;
	bool		oom;
} NewsState;

static const char *const NewsMsg = "malformed rss response";

static bool
XmlIs(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, (const xmlChar *) name) == 0;
}

static xmlNodePtr
XmlChild(xmlNodePtr parent, const char *name)
{
	xmlNodePtr	c;

	for (c = parent ? parent->children : NULL; c; c = c->next)
		if (XmlIs(c, name))
			return c;
	return NULL;
}

static bool
IsSpace(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Trimmed arena copy of s, NULL when empty (or out of memory: st->oom). */
static const char *
Keep(NewsState *st, const char *s)
{
	const char *end;
	const char *r;

	if (s == NULL)
		return NULL;
	while (*s && IsSpace((unsigned char) *s))
		s++;
	end = s + strlen(s);
	while (end > s && IsSpace((unsigned char) end[-1]))
		end--;
	if (end == s)
		return NULL;
	r = FeedArenaStrndup(st->arena, s, end - s);
	if (r == NULL)
		st->oom = true;
	return r;
}

/* Text content of a node, trimmed; NULL when absent or empty. */
static const char *
XmlText(NewsState *st, xmlNodePtr n)
{
	xmlChar    *c;
	const char *r;

	if (n == NULL || (c = xmlNodeGetContent(n)) == NULL)
		return NULL;
	r = Keep(st, (const char *) c);
	xmlFree(c);
	return r;
}

/* Atom link: rel="alternate" (or no rel) wins, else the first with an href. */
static const char *
AtomLink(NewsState *st, xmlNodePtr entry)
{
	xmlNodePtr	c;
	const char *first = NULL;

	for (c = entry->children; c; c = c->next)
	{
		xmlChar    *href;
		xmlChar    *rel;
		const char *h;
		bool		alt;

		if (!XmlIs(c, "link") || (href = xmlGetProp(c, (const xmlChar *) "href")) == NULL)
			continue;
		rel = xmlGetProp(c, (const xmlChar *) "rel");
		alt = (rel == NULL || xmlStrcmp(rel, (const xmlChar *) "alternate") == 0);
		xmlFree(rel);
		h = Keep(st, (const char *) href);
		xmlFree(href);
		if (h == NULL)
			continue;
		if (alt)
			return h;
		if (first == NULL)
			first = h;
	}
	return first;
}

/* Add an item; false with st->e set when it has no identity or a bad date. */
static bool
NewsAdd(NewsState *st, const char *guid, const char *title, const char *link,
		const char *summary, const char *when, const char *when_tag, bool rss)
{
	FeedRawNews *out = st->out;
	FeedRawItem *it;
	int			i = out->n;

	if (st->oom)
		return FeedFail(st->e, FEED_ERR_MEMORY, "out of memory", "Parsing a news body.");
	if (guid == NULL)
		guid = link ? link : title;
	if (guid == NULL)
		return FeedFail(st->e, FEED_ERR_SYNTAX, NewsMsg, "Item %d has no guid, link or title.", i + 1);
	if (out->n == st->cap)
	{
		int			cap = st->cap ? st->cap * 2 : 64;
		FeedRawItem *items = FeedArenaAlloc(st->arena, sizeof(FeedRawItem) * cap);

		if (items == NULL)
			return FeedFail(st->e, FEED_ERR_MEMORY, "out of memory", "Parsing a news body.");
		if (out->n)
			memcpy(items, out->items, sizeof(FeedRawItem) * out->n);
		out->items = items;
		st->cap = cap;
	}
	it = &out->items[i];
	memset(it, 0, sizeof(*it));
	it->guid = guid;
	it->title = title;
	it->link = link;
	it->summary = summary;
	if (when != NULL)
	{
		size_t		wl = strlen(when);
		bool		ok = rss ? FeedParseRfc822(when, wl, &it->published)
			: FeedParseRfc3339(when, wl, &it->published);

		if (!ok)
		{
			char		q[FEED_MAX_QUOTE_BYTES + 8];

			FeedQuote(q, sizeof(q), when, wl);
			FeedFail(st->e, FEED_ERR_TIME_FORMAT, "invalid date in rss response",
					 "Item %d has %s \"%s\"; dates must be %s between %d and %d.",
					 i + 1, when_tag, q, rss ? "RFC 822" : "RFC 3339",
					 FEED_MIN_YEAR, FEED_MAX_YEAR);
			return false;
		}
		it->has_published = true;
	}
	out->n++;
	return true;
}

static bool
ParseRss(NewsState *st, xmlNodePtr root)
{
	xmlNodePtr	ch = XmlChild(root, "channel");
	xmlNodePtr	c;

	st->out->source = XmlText(st, XmlChild(ch, "title"));
	for (c = ch ? ch->children : NULL; c; c = c->next)
	{
		const char *guid,
				   *title,
				   *link,
				   *summary,
				   *when;

		if (!XmlIs(c, "item"))
			continue;
		guid = XmlText(st, XmlChild(c, "guid"));
		title = XmlText(st, XmlChild(c, "title"));
		link = XmlText(st, XmlChild(c, "link"));
		summary = XmlText(st, XmlChild(c, "description"));
		when = XmlText(st, XmlChild(c, "pubDate"));
		if (!NewsAdd(st, guid, title, link, summary, when, "pubDate", true))
			return false;
	}
	return true;
}

static bool
ParseAtom(NewsState *st, xmlNodePtr root)
{
	xmlNodePtr	c;

	st->out->source = XmlText(st, XmlChild(root, "title"));
	for (c = root->children; c; c = c->next)
	{
		const char *when,
				   *tag = "published",
				   *summary,
				   *guid,
				   *title;

		if (!XmlIs(c, "entry"))
			continue;
		when = XmlText(st, XmlChild(c, "published"));
		if (when == NULL)
		{
			when = XmlText(st, XmlChild(c, "updated"));
			tag = "updated";
		}
		summary = XmlText(st, XmlChild(c, "summary"));
		if (summary == NULL)
			summary = XmlText(st, XmlChild(c, "content"));
		guid = XmlText(st, XmlChild(c, "id"));
		title = XmlText(st, XmlChild(c, "title"));
		if (!NewsAdd(st, guid, title, AtomLink(st, c), summary, when, tag, false))
			return false;
	}
	return true;
}

/* libxml2's last error as a one-line ASCII detail. */
static void
XmlFail(FeedError *e, xmlParserCtxtPtr ctxt)
{
	const xmlError *x = ctxt ? xmlCtxtGetLastError(ctxt) : NULL;
	char		q[FEED_MAX_QUOTE_BYTES + 8];

	if (x != NULL && x->message != NULL)
	{
		size_t		n = strlen(x->message);

		while (n > 0 && IsSpace((unsigned char) x->message[n - 1]))
			n--;
		FeedQuote(q, sizeof(q), x->message, n);
	}
	else
		strcpy(q, "not well-formed");
	FeedFail(e, FEED_ERR_XML, NewsMsg, "libxml2: %s", q);
}

/* Items of an RSS 2.0 or Atom body; false with *e set on a bad body. */
bool
FeedExtractNews(const char *body, size_t len, FeedArena *a, FeedRawNews *out, FeedError *e)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr	doc;
	xmlNodePtr	root;
	NewsState	st;
	bool		ok;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	st.arena = a;
	st.out = out;
	st.e = e;
	e->kind = FEED_OK;
	if (len > INT32_MAX)
		return FeedFail(e, FEED_ERR_XML, NewsMsg, "The body is too large.");
	xmlInitParser();
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL)
		return FeedFail(e, FEED_ERR_MEMORY, "out of memory", "Starting the XML parser.");
	/* No NOENT, no DTDLOAD: entities are not expanded, nothing is fetched. */
	doc = xmlCtxtReadMemory(ctxt, body, (int) len, NULL, NULL,
							XML_PARSE_NONET | XML_PARSE_NOERROR |
							XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (doc == NULL || !ctxt->wellFormed)
	{
		XmlFail(e, ctxt);
		ok = false;
	}
	else if (doc->intSubset != NULL || doc->extSubset != NULL)
		ok = FeedFail(e, FEED_ERR_XML, NewsMsg, "Documents with a DTD are not accepted.");
	else if ((root = xmlDocGetRootElement(doc)) != NULL && XmlIs(root, "rss"))
		ok = ParseRss(&st, root);
	else if (root != NULL && XmlIs(root, "feed"))
		ok = ParseAtom(&st, root);
	else
		ok = FeedFail(e, FEED_ERR_XML, NewsMsg, "The document is neither RSS 2.0 nor Atom.");
	if (ok && st.oom)
		ok = FeedFail(e, FEED_ERR_MEMORY, "out of memory", "Parsing a news body.");
	if (doc)
		xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return ok;
}
