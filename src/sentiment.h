/*
 * sentiment.h - the news sentiment scorer (lexicon and rules) and the
 * HTML-to-plain-text extractor used when news lands.  Plain C with no
 * PostgreSQL headers, so both can be unit-tested, benchmarked and fuzzed alone.
 */
#ifndef SENTIMENT_H
#define SENTIMENT_H

#include <stdbool.h>
#include <stddef.h>

/* The scorer reads at most this many bytes of its text (cut at a word). */
#define SENTIMENT_MAX_INPUT_BYTES 4096
/* ... and at most this many words of them. */
#define SENTIMENT_MAX_WORDS 512
/* Longer words are skipped (no term is this long). */
#define SENTIMENT_MAX_WORD_BYTES 48
/* Longest multi-word term, in words. */
#define SENTIMENT_MAX_TERM_WORDS 3
/* A negator flips the terms up to this many words after it. */
#define SENTIMENT_NEGATION_WINDOW 3
/* A lexicon weight lies in [-SENTIMENT_MAX_WEIGHT, SENTIMENT_MAX_WEIGHT]. */
#define SENTIMENT_MAX_WEIGHT 4.0
/* compound = sum / sqrt(sum^2 + SENTIMENT_NORM_ALPHA). */
#define SENTIMENT_NORM_ALPHA 15.0
/* Label cut: compound >= this is positive, <= -this negative. */
#define SENTIMENT_LABEL_THRESHOLD 0.05

/* The HTML extractor reads at most this many bytes of its input. */
#define SENTIMENT_HTML_MAX_INPUT_BYTES 65536
/* ... and writes at most this many (news.text_plain is clipped there). */
#define SENTIMENT_HTML_MAX_OUTPUT_BYTES 8192

typedef enum SentimentKind
{
	SENT_KIND_GENERAL,			/* everyday sentiment word or phrase */
	SENT_KIND_FINANCE,			/* market / crypto sense, overrides general */
	SENT_KIND_BOOSTER,			/* scales the next sentiment term up */
	SENT_KIND_DAMPENER,			/* ... or down (negative weight) */
	SENT_KIND_NEGATOR,			/* flips terms in the window after it */
	SENT_KIND_CONTRAST,			/* 1: "but" (weight to what follows); 2: "despite" */
	SENT_KIND_COUNT
} SentimentKind;

/* Rules, each of which can be switched off (the rule tests do). */
#define SENT_RULE_NEGATION	0x01	/* negator within the window flips a term */
#define SENT_RULE_BOOSTER	0x02	/* boosters and dampeners */
#define SENT_RULE_CONTRAST	0x04	/* "but" shifts weight; "despite" discounts */
#define SENT_RULE_CAPS		0x08	/* ALL-CAPS term emphasised (not all-caps text) */
#define SENT_RULE_PUNCT		0x10	/* ! and ? amplify */
#define SENT_RULE_PHRASES	0x20	/* multi-word terms */
#define SENT_RULE_FINANCE	0x40	/* finance entries and signed percentages */
#define SENT_RULE_COUNT		7
#define SENT_RULE_ALL		0x7f

typedef struct SentimentEntry
{
	const char *term;			/* lower case; words separated by one space */
	double		weight;
	SentimentKind kind;
} SentimentEntry;

/* A lexicon: entries sorted by strcmp of term (then any order of kind). */
typedef struct SentimentLexicon
{
	const SentimentEntry *entries;
	int			count;
} SentimentLexicon;

typedef struct SentimentScore
{
	double		compound;		/* [-1, 1] */
	double		positive;		/* proportions, summing to 1 */
	double		negative;
	double		neutral;
	int			words;			/* words scored (after the bounds) */
} SentimentScore;

/* Name of rule bit i (0 .. SENT_RULE_COUNT-1), as SQL spells it. */
extern const char *SentimentRuleName(int i);
/* Name of a kind, as the lexicon and SQL spell it; NULL when out of range. */
extern const char *SentimentKindName(SentimentKind kind);
/* Kind by name, or -1. */
extern int	SentimentKindFromName(const char *name);

/* The lexicon compiled from src/sentiment_lexicon.tsv, and its version. */
extern const SentimentLexicon *SentimentBuiltinLexicon(void);
extern int	SentimentBuiltinVersion(void);

/*
 * Score text[0..len): extra (may be NULL) is consulted before the built-in
 * lexicon.  Deterministic; reads at most SENTIMENT_MAX_INPUT_BYTES and
 * allocates nothing.  Empty text scores compound 0, neutral 1.
 */
extern void SentimentScoreText(const char *text, size_t len,
							   const SentimentLexicon *extra, unsigned rules,
							   SentimentScore *out);

/*
 * Plain text of an HTML fragment: tags, comments, script/style bodies and
 * CDATA markers dropped, named and numeric entities decoded, whitespace
 * collapsed and trimmed.  Reads at most SENTIMENT_HTML_MAX_INPUT_BYTES, writes
 * at most min(outcap - 1, SENTIMENT_HTML_MAX_OUTPUT_BYTES) bytes, cut at a
 * character boundary, NUL-terminated.  The output is always valid UTF-8 (a
 * byte that is not, which the server never passes, becomes U+FFFD).
 * Returns the bytes written.
 */
extern size_t SentimentHtmlToText(const char *in, size_t len, char *out, size_t outcap);

#endif							/* SENTIMENT_H */
