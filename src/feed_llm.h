/*
 * feed_llm.h - optional LLM scoring of news: the /chat/completions request
 * body and the strict validation of the answer.  Plain C with no PostgreSQL
 * headers (fuzzed alone); the worker glue is feed_llm_worker.c.
 */
#ifndef FEED_LLM_H
#define FEED_LLM_H

#include <stdbool.h>
#include <stddef.h>

#include "feed_json.h"

/* Scorer modes (alphapulse.llm_mode); the order matches the setting's options. */
typedef enum FeedLlmMode
{
	FEED_LLM_OFF,
	FEED_LLM_NEXT_TO,			/* store llm_* next to the lexicon score */
	FEED_LLM_INSTEAD			/* also make it news.sentiment (source 'llm') */
} FeedLlmMode;

/* Labels an answer may give; the order matches FeedLlmLabelName. */
typedef enum FeedLlmLabel
{
	FEED_LLM_POSITIVE,
	FEED_LLM_NEGATIVE,
	FEED_LLM_NEUTRAL
} FeedLlmLabel;

/* News text sent per item (bytes, cut at a character boundary). */
#define FEED_LLM_MAX_INPUT_BYTES 4000
/* Longest model name accepted (alphapulse.llm_model). */
#define FEED_LLM_MAX_MODEL_BYTES 200
/* Longest message content an answer may have (bytes); a longer one is refused. */
#define FEED_LLM_MAX_CONTENT_BYTES 1024
/* Longest score number text accepted. */
#define FEED_LLM_MAX_NUMBER_CHARS 32
/* max_tokens asked for: the answer is one small JSON object. */
#define FEED_LLM_MAX_TOKENS 60
/* Longest API key accepted (also the llm_secret CHECK). */
#define FEED_LLM_MAX_KEY_BYTES 4096

/* Settings' defaults and bounds (feed_settings.c). */
#define FEED_LLM_DEFAULT_BATCH_SIZE 20
#define FEED_LLM_MAX_BATCH_SIZE 1000
#define FEED_LLM_DEFAULT_MIN_INTERVAL_MS 1000
#define FEED_LLM_MAX_MIN_INTERVAL_MS (3600 * 1000)
/* Rounds (each with its retries) an item is tried before it keeps its lexicon score for good. */
#define FEED_LLM_DEFAULT_MAX_ATTEMPTS 3
#define FEED_LLM_MAX_MAX_ATTEMPTS 100
/* How often the worker looks for unscored news when it found none. */
#define FEED_LLM_IDLE_POLL_MS 2000
/* How long a configuration problem (no URL, host not allowed, no key) pauses scoring. */
#define FEED_LLM_CONFIG_RECHECK_MS 10000

extern const char *FeedLlmLabelName(FeedLlmLabel l);

/* Bytes FeedLlmBuildRequest may write for these lengths, NUL included. */
extern size_t FeedLlmRequestBound(size_t modellen, size_t textlen);

/*
 * Write the request body for one news text into dst (FeedLlmRequestBound
 * bytes): the model, temperature 0, a JSON answer format, a system message
 * saying the text is data, and the text as a JSON string.  text is cut to
 * FEED_LLM_MAX_INPUT_BYTES at a character boundary; invalid UTF-8 and
 * control characters become U+FFFD.  Returns the length written.
 */
extern size_t FeedLlmBuildRequest(char *dst, const char *model, size_t modellen,
								  const char *text, size_t textlen);

/* A valid answer. */
typedef struct FeedLlmAnswer
{
	FeedLlmLabel label;
	double		score;			/* finite, in [-1, 1], sign agreeing with the label */
} FeedLlmAnswer;

/*
 * Validate a /chat/completions response body: strict JSON, choices[0].message
 * .content a string of at most FEED_LLM_MAX_CONTENT_BYTES holding exactly a
 * JSON object {"label": positive|negative|neutral, "score": number in [-1, 1]}
 * (a positive label needs score >= 0, a negative one score <= 0).  Anything
 * else is refused with e set (msg and detail quote at most a few dozen bytes
 * of the offending text).  Nothing in the answer is ever interpreted further.
 */
extern bool FeedLlmParseAnswer(const char *body, size_t len, FeedArena *a,
							   FeedLlmAnswer *out, FeedError *e);

#endif							/* FEED_LLM_H */
