/*
 * fuzz_url.c - the feed URL policy: the allow-list matcher and validator
 * never crash, a redacted URL carries no credential (and redacting again
 * changes nothing), and escaping yields only unreserved characters and %XX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feed_url.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s;
	char	   *list;
	const char *bad;
	size_t		badlen,
				need,
				need2;
	char	   *red,
			   *red2,
			   *esc;
	char		name[64];
	const char *nl;
	size_t		i;
	int			port;

	if (size < 2)
		return 0;
	port = (data[0] << 8) | data[1];
	s = malloc(size - 1);
	memcpy(s, data + 2, size - 2);
	s[size - 2] = '\0';

	/* input "list\nhost": match and validate the list */
	nl = strchr(s, '\n');
	list = strdup(s);
	if (nl)
	{
		list[nl - s] = '\0';
		(void) FeedAllowListMatch(list, nl + 1, port);
		if (FeedAllowListMatch(list, nl + 1, port) && !FeedAllowListValid(list, &bad, &badlen))
		{
			/* a match may come before the bad entry: only check bad's bounds */
			if (bad < list || bad + badlen > list + strlen(list))
				abort();
		}
	}
	if (!FeedAllowListValid(list, &bad, &badlen) &&
		(bad < list || bad + badlen > list + strlen(list) || badlen == 0))
		abort();
	free(list);

	/* the canonical-form check and the host/port splitter stay inside the string */
	{
		const char *h;
		size_t		hlen;
		int			p;

		if (FeedUrlProblem(s) == NULL && FeedUrlCredential(s, name, sizeof(name)) == FEED_URL_CRED_USERINFO &&
			strchr(s, '@') == NULL)
			abort();
		if (FeedUrlHostPort(s, &h, &hlen, &p) &&
			(h < s || h + hlen > s + strlen(s) || hlen == 0 || p < -1 || p > 65535))
			abort();
		(void) FeedAllowListHasHost(s, "h");
	}

	/* redaction: size it, write it, and check it is free of credentials */
	need = FeedUrlRedact(s, NULL, 0);
	red = malloc(need + 1);
	if (FeedUrlRedact(s, red, need + 1) != need || strlen(red) != need)
		abort();
	if (FeedUrlCredential(red, name, sizeof(name)) != FEED_URL_CRED_NONE)
		abort();
	need2 = FeedUrlRedact(red, NULL, 0);
	red2 = malloc(need2 + 1);
	FeedUrlRedact(red, red2, need2 + 1);
	if (need2 != need || strcmp(red, red2) != 0)
		abort();
	/* a clean URL is stored as given */
	if (FeedUrlCredential(s, name, sizeof(name)) == FEED_URL_CRED_NONE && strcmp(red, s) != 0)
		abort();
	/* truncated output stays NUL-terminated within its buffer */
	if (need > 3)
	{
		char		small[4];

		FeedUrlRedact(s, small, sizeof(small));
		if (strlen(small) != 3)
			abort();
	}

	need = FeedUrlEscape(s, strlen(s), NULL, 0);
	esc = malloc(need + 1);
	FeedUrlEscape(s, strlen(s), esc, need + 1);
	for (i = 0; esc[i]; i++)
		if (!(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%", esc[i])))
			abort();
	free(esc);
	free(red);
	free(red2);
	free(s);
	return 0;
}
