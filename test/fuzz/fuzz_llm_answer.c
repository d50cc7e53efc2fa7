/*
 * fuzz_llm_answer.c - the LLM answer validator and request builder
 * (src/feed_llm.c).  Any bytes as a response body: an accepted answer has a
 * known label, a finite score in [-1, 1] whose sign agrees with it, and an
 * error always leaves a NUL-terminated message.  The same bytes as news text:
 * the request body stays within its bound and parses as strict JSON whose
 * user message is valid UTF-8 of at most FEED_LLM_MAX_INPUT_BYTES.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feed_llm.h"

static void *
Alloc(size_t n)
{
	return malloc(n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FeedArena	a;
	FeedError	e;
	FeedLlmAnswer ans;
	size_t		bound,
				n;
	char	   *req;
	FeedJson   *root,
			   *msgs,
			   *user;

	FeedArenaInit(&a, Alloc, free);
	if (FeedLlmParseAnswer((const char *) data, size, &a, &ans, &e))
	{
		if (!isfinite(ans.score) || ans.score < -1.0 || ans.score > 1.0 ||
			(int) ans.label < 0 || (int) ans.label > FEED_LLM_NEUTRAL ||
			(ans.label == FEED_LLM_POSITIVE && ans.score < 0) ||
			(ans.label == FEED_LLM_NEGATIVE && ans.score > 0))
			abort();
	}
	else if (memchr(e.msg, '\0', sizeof(e.msg)) == NULL ||
			 memchr(e.detail, '\0', sizeof(e.detail)) == NULL || e.kind == FEED_OK)
		abort();
	FeedArenaFree(&a);

	/* the input as news text, and a model name from its first bytes */
	bound = FeedLlmRequestBound(size < 16 ? size : 16, size);
	req = malloc(bound);
	if (req == NULL)
		return 0;
	n = FeedLlmBuildRequest(req, (const char *) data, size < 16 ? size : 16,
							(const char *) data, size);
	if (n >= bound || req[n] != '\0')
		abort();
	FeedArenaInit(&a, Alloc, free);
	root = FeedJsonParse(req, n, &a, &e);
	if (root == NULL || root->type != FJ_OBJECT)
		abort();
	msgs = FeedJsonGet(root, "messages");
	if (msgs == NULL || msgs->type != FJ_ARRAY || msgs->n != 2)
		abort();
	user = FeedJsonGet(FeedJsonAt(msgs, 1), "content");
	if (user == NULL || user->type != FJ_STRING || user->len > FEED_LLM_MAX_INPUT_BYTES ||
		!FeedUtf8Valid((const unsigned char *) user->str, user->len))
		abort();
	FeedArenaFree(&a);
	free(req);
	return 0;
}
