/*
 * sentiment.c - lexicon-and-rules sentiment of short financial and crypto
 * text (headlines), and the HTML-to-plain-text extractor news is scored on.
 * No PostgreSQL headers: src/sentiment_sql.c is the glue.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "sentiment.h"
#include "sentiment_lexicon.h"

/* Emphasis of an ALL-CAPS term in mixed-case text (added to |valence|). */
#define SENTIMENT_CAPS_INCREMENT 0.733
/* A negated term's valence is multiplied by this. */
#define SENTIMENT_NEGATION_SCALAR (-0.74)
/* Booster weight at distance 1, 2, 3 before the term is scaled by these. */
static const double BoosterDistanceScale[SENTIMENT_NEGATION_WINDOW] = {1.0, 0.95, 0.9};
/* "but": terms before it count this much, terms after it ... */
#define SENTIMENT_BUT_BEFORE 0.5
#define SENTIMENT_BUT_AFTER 1.5
/* "despite": terms in the clause it opens count this much. */
#define SENTIMENT_CONCESSIVE_SCALAR 0.3
/* Each '!' (at most SENTIMENT_MAX_EXCLAMATIONS) adds this to |sum|. */
#define SENTIMENT_EXCLAMATION_INCREMENT 0.292
#define SENTIMENT_MAX_EXCLAMATIONS 4
/* A single '?' (a question) makes the text less certain ... */
#define SENTIMENT_QUESTION_SCALAR 0.8
/* ... while '??' and more emphasise, this much each, at most three. */
#define SENTIMENT_QUESTIONS_INCREMENT 0.18
#define SENTIMENT_MAX_QUESTIONS 3
/* A signed percentage ("+12%", "-8.5%") under the finance rule. */
#define SENTIMENT_PERCENT_WEIGHT 1.5
/* contrast kind weights in the lexicon */
#define SENTIMENT_CONTRAST_BUT 1
#define SENTIMENT_CONTRAST_DESPITE 2

static const char *const RuleNames[SENT_RULE_COUNT] = {
	"negation", "booster", "contrast", "caps", "punctuation", "phrases", "finance"
};
static const char *const KindNames[SENT_KIND_COUNT] = {
	"general", "finance", "booster", "dampener", "negator", "contrast"
};
static const SentimentLexicon Builtin = {SentimentBuiltinEntries, SENTIMENT_LEXICON_ENTRIES};

/* One word of the text after tokenising. */
typedef struct Word
{
	char		lower[SENTIMENT_MAX_WORD_BYTES + 1];
	int			len;
	bool		caps;			/* two or more letters, none lower case */
	bool		letters;		/* has a letter (counts for "all caps text") */
	bool		clause_end;		/* followed by , ; : . ! ? */
	int			percent;		/* +1 / -1: a signed percentage, else 0 */
	/* filled by scoring */
	SentimentKind kind;
	bool		modifier;		/* booster/dampener/negator/contrast found */
	double		weight;			/* modifier weight or term weight */
	double		valence;
	int			span;			/* words the term covers (0: not a term start) */
} Word;

const char *
SentimentRuleName(int i)
{
	return (i >= 0 && i < SENT_RULE_COUNT) ? RuleNames[i] : NULL;
}

const char *
SentimentKindName(SentimentKind kind)
{
	return ((int) kind >= 0 && kind < SENT_KIND_COUNT) ? KindNames[kind] : NULL;
}

int
SentimentKindFromName(const char *name)
{
	for (int i = 0; i < SENT_KIND_COUNT; i++)
		if (strcmp(name, KindNames[i]) == 0)
			return i;
	return -1;
}

const SentimentLexicon *
SentimentBuiltinLexicon(void)
{
	return &Builtin;
}

int
SentimentBuiltinVersion(void)
{
	return SENTIMENT_LEXICON_VERSION;
}

/* First index whose term is >= key (entries sorted by strcmp). */
static int
LowerBound(const SentimentLexicon *lex, const char *key)
{
	int			lo = 0,
				hi = lex->count;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (strcmp(lex->entries[mid].term, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Open-addressing hash of the built-in lexicon, built on first use (the
 * table is constant, so this is deterministic): terms, and the first words
 * of multi-word terms.  Slots hold an entry index + 1, 0 when empty.
 */
#define SENT_HASH_SLOTS 4096
#if SENTIMENT_LEXICON_ENTRIES * 2 > SENT_HASH_SLOTS
#error "SENT_HASH_SLOTS must be at least twice the built-in lexicon"
#endif
static int	TermSlots[SENT_HASH_SLOTS];
static int	PrefixSlots[SENT_HASH_SLOTS];
static bool HashReady = false;

static uint32_t
HashBytes(const char *s, size_t n)
{
	uint32_t	h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char) s[i]) * 16777619u;
	return h;
}

static void
BuildHash(void)
{
	for (int i = 0; i < SENTIMENT_LEXICON_ENTRIES; i++)
	{
		const char *t = SentimentBuiltinEntries[i].term;
		const char *sp = strchr(t, ' ');
		uint32_t	h;

		if (i == 0 || strcmp(t, SentimentBuiltinEntries[i - 1].term) != 0)
		{
			for (h = HashBytes(t, strlen(t)) & (SENT_HASH_SLOTS - 1); TermSlots[h]; h = (h + 1) & (SENT_HASH_SLOTS - 1))
				;
			TermSlots[h] = i + 1;
		}
		if (sp != NULL)
		{
			size_t		n = (size_t) (sp - t);

			for (h = HashBytes(t, n) & (SENT_HASH_SLOTS - 1); PrefixSlots[h]; h = (h + 1) & (SENT_HASH_SLOTS - 1))
				if (strncmp(SentimentBuiltinEntries[PrefixSlots[h] - 1].term, t, n + 1) == 0)
					break;
			if (!PrefixSlots[h])
				PrefixSlots[h] = i + 1;
		}
	}
	HashReady = true;
}

/* Index of the first built-in entry for key[0..n), or -1. */
static int
BuiltinIndex(const char *key, size_t n)
{
	if (!HashReady)
		BuildHash();
	for (uint32_t h = HashBytes(key, n) & (SENT_HASH_SLOTS - 1); TermSlots[h]; h = (h + 1) & (SENT_HASH_SLOTS - 1))
	{
		const char *t = SentimentBuiltinEntries[TermSlots[h] - 1].term;

		if (strncmp(t, key, n) == 0 && t[n] == '\0')
			return TermSlots[h] - 1;
	}
	return -1;
}

/* Whether a built-in multi-word term starts with the word w[0..n). */
static bool
BuiltinHasPrefix(const char *w, size_t n)
{
	if (!HashReady)
		BuildHash();
	for (uint32_t h = HashBytes(w, n) & (SENT_HASH_SLOTS - 1); PrefixSlots[h]; h = (h + 1) & (SENT_HASH_SLOTS - 1))
	{
		const char *t = SentimentBuiltinEntries[PrefixSlots[h] - 1].term;

		if (strncmp(t, w, n) == 0 && t[n] == ' ')
			return true;
	}
	return false;
}

/* Whether some term of lex starts with prefix (prefix ends in a space). */
static bool
HasPrefix(const SentimentLexicon *lex, const char *prefix, size_t plen)
{
	int			i;

	if (lex == NULL || lex->count == 0)
		return false;
	i = LowerBound(lex, prefix);
	return i < lex->count && strncmp(lex->entries[i].term, prefix, plen) == 0;
}

/*
 * The entry for key in lex under the rules: a finance entry wins over a
 * general one when the finance rule is on and is ignored when it is off.
 */
static const SentimentEntry *
FindIn(const SentimentLexicon *lex, const char *key, unsigned rules)
{
	const SentimentEntry *best = NULL;
	int			i;

	if (lex == NULL || lex->count == 0)
		return NULL;
	if (lex == &Builtin)
	{
		if ((i = BuiltinIndex(key, strlen(key))) < 0)
			return NULL;
	}
	else
		i = LowerBound(lex, key);
	for (; i < lex->count && strcmp(lex->entries[i].term, key) == 0; i++)
	{
		const SentimentEntry *e = &lex->entries[i];

		if (e->kind == SENT_KIND_FINANCE)
		{
			if (rules & SENT_RULE_FINANCE)
				return e;
			continue;
		}
		if (best == NULL)
			best = e;
	}
	return best;
}

static const SentimentEntry *
Find(const SentimentLexicon *extra, const char *key, unsigned rules)
{
	const SentimentEntry *e = FindIn(extra, key, rules);

	return e ? e : FindIn(&Builtin, key, rules);
}

static bool
IsSpace(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Trailing punctuation stripped from a word; some of it ends a clause. */
static bool
IsTrailing(unsigned char c)
{
	return strchr(".,;:!?\"')]}*", c) != NULL && c != '\0';
}

static bool
IsLeading(unsigned char c)
{
	return strchr("\"'([{*", c) != NULL && c != '\0';
}

/* Fill w from raw[0..n): lower case, curly apostrophes made straight. */
static bool
MakeWord(const char *raw, size_t n, Word *w)
{
	size_t		a = 0,
				b = n;
	int			upper = 0,
				lowerc = 0;

	memset(w, 0, sizeof(*w));
	while (a < b && IsLeading((unsigned char) raw[a]))
		a++;
	while (b > a && IsTrailing((unsigned char) raw[b - 1]))
	{
		if (strchr(",;:.!?", raw[b - 1]))
			w->clause_end = true;
		b--;
	}
	for (size_t i = a; i < b; i++)
	{
		unsigned char c = (unsigned char) raw[i];

		if (w->len >= SENTIMENT_MAX_WORD_BYTES)
			return false;
		if (c == 0xE2 && i + 2 < b && (unsigned char) raw[i + 1] == 0x80 &&
			((unsigned char) raw[i + 2] == 0x99 || (unsigned char) raw[i + 2] == 0x98))
		{
			w->lower[w->len++] = '\'';
			i += 2;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
		{
			upper++;
			c = (unsigned char) (c - 'A' + 'a');
		}
		else if (c >= 'a' && c <= 'z')
			lowerc++;
		w->lower[w->len++] = (char) c;
	}
	w->lower[w->len] = '\0';
	/* possessive: "bitcoin's", "users'" */
	if (w->len > 2 && strcmp(w->lower + w->len - 2, "'s") == 0)
		w->lower[w->len -= 2] = '\0';
	else if (w->len > 1 && w->lower[w->len - 1] == '\'')
		w->lower[--w->len] = '\0';
	w->letters = upper + lowerc > 0;
	w->caps = upper >= 2 && lowerc == 0;
	if (w->len >= 3 && (w->lower[0] == '+' || w->lower[0] == '-') &&
		w->lower[w->len - 1] == '%' && w->lower[1] >= '0' && w->lower[1] <= '9')
	{
		bool		num = true;

		for (int i = 1; i < w->len - 1; i++)
			if (!((w->lower[i] >= '0' && w->lower[i] <= '9') || w->lower[i] == '.'))
				num = false;
		if (num)
			w->percent = w->lower[0] == '+' ? 1 : -1;
	}
	return w->len > 0;
}

/* Split text into at most SENTIMENT_MAX_WORDS words; counts ! and ?. */
static int
Tokenise(const char *text, size_t len, Word *words, int *excl, int *quest)
{
	int			n = 0;
	size_t		i = 0;

	*excl = *quest = 0;
	if (len > SENTIMENT_MAX_INPUT_BYTES)
	{
		/* cut at a word boundary so no word (or character) is split */
		len = SENTIMENT_MAX_INPUT_BYTES;
		while (len > 0 && !IsSpace((unsigned char) text[len]))
			len--;
	}
	while (i < len && n < SENTIMENT_MAX_WORDS)
	{
		size_t		start;

		while (i < len && IsSpace((unsigned char) text[i]))
			i++;
		start = i;
		while (i < len && !IsSpace((unsigned char) text[i]))
		{
			if (text[i] == '!')
				(*excl)++;
			else if (text[i] == '?')
				(*quest)++;
			i++;
		}
		if (i > start && MakeWord(text + start, i - start, &words[n]))
			n++;
		else if (i > start && n > 0 && strchr(",;:.!?-", text[start]))
			words[n - 1].clause_end = true;	/* a lone " - " or "!" */
	}
	return n;
}

/* Longest lexicon term starting at word i (phrases only under that rule). */
static const SentimentEntry *
MatchTerm(Word *words, int n, int i, const SentimentLexicon *extra, unsigned rules, int *span)
{
	char		key[SENTIMENT_MAX_TERM_WORDS * (SENTIMENT_MAX_WORD_BYTES + 1) + 1];
	size_t		klen = (size_t) words[i].len;
	int			maxk = 1;

	memcpy(key, words[i].lower, klen);
	if ((rules & SENT_RULE_PHRASES) && i + 1 < n && !words[i].clause_end)
	{
		key[klen] = ' ';
		key[klen + 1] = '\0';
		if (BuiltinHasPrefix(key, klen) || HasPrefix(extra, key, klen + 1))
			maxk = SENTIMENT_MAX_TERM_WORDS;
	}
	for (int k = maxk; k >= 1; k--)
	{
		size_t		len = 0;
		const SentimentEntry *e;
		bool		ok = i + k <= n;

		for (int j = 0; ok && j < k; j++)
		{
			if (j > 0)
			{
				if (words[i + j - 1].clause_end)
					ok = false;
				key[len++] = ' ';
			}
			memcpy(key + len, words[i + j].lower, (size_t) words[i + j].len);
			len += (size_t) words[i + j].len;
		}
		if (!ok)
			continue;
		key[len] = '\0';
		if ((e = Find(extra, key, rules)) != NULL)
		{
			*span = k;
			return e;
		}
	}
	return NULL;
}

static double
Sign(double x)
{
	return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0);
}

/* Boosters, dampeners and negators in the window before word i. */
static double
ApplyModifiers(const Word *words, int i, double s, unsigned rules)
{
	for (int d = 1; d <= SENTIMENT_NEGATION_WINDOW && i - d >= 0; d++)
	{
		const Word *m = &words[i - d];

		if (m->clause_end)
			break;				/* a modifier does not cross , ; : . */
		if (m->modifier && (rules & SENT_RULE_BOOSTER) &&
			(m->kind == SENT_KIND_BOOSTER || m->kind == SENT_KIND_DAMPENER))
			s += Sign(s) * fabs(m->weight) * (m->kind == SENT_KIND_DAMPENER ? -1.0 : 1.0) *
				BoosterDistanceScale[d - 1];
	}
	if (rules & SENT_RULE_NEGATION)
	{
		for (int d = 1; d <= SENTIMENT_NEGATION_WINDOW && i - d >= 0; d++)
		{
			const Word *m = &words[i - d];

			if (m->clause_end)
				break;
			if (m->modifier && m->kind == SENT_KIND_NEGATOR)
			{
				s *= SENTIMENT_NEGATION_SCALAR;
				break;
			}
		}
	}
	return s;
}

/* "but" shifts weight to what follows; "despite" discounts its clause. */
static void
ApplyContrast(Word *words, int n)
{
	int			but = -1;

	for (int i = 0; i < n; i++)
		if (words[i].modifier && words[i].kind == SENT_KIND_CONTRAST &&
			(int) words[i].weight == SENTIMENT_CONTRAST_BUT)
		{
			but = i;
			break;
		}
	if (but >= 0)
		for (int i = 0; i < n; i++)
			words[i].valence *= i < but ? SENTIMENT_BUT_BEFORE : (i > but ? SENTIMENT_BUT_AFTER : 1.0);
	for (int i = 0; i < n; i++)
	{
		if (!(words[i].modifier && words[i].kind == SENT_KIND_CONTRAST &&
			  (int) words[i].weight == SENTIMENT_CONTRAST_DESPITE))
			continue;
		for (int j = i + 1; j < n; j++)
		{
			words[j].valence *= SENTIMENT_CONCESSIVE_SCALAR;
			if (words[j].clause_end)
				break;
		}
	}
}

void
SentimentScoreText(const char *text, size_t len, const SentimentLexicon *extra,
				   unsigned rules, SentimentScore *out)
{
	Word		words[SENTIMENT_MAX_WORDS];
	int			n,
				excl,
				quest,
				neutral = 0;
	bool		all_caps = true;
	double		sum = 0,
				pos = 0,
				neg = 0,
				punct = 0;

	n = Tokenise(text, len, words, &excl, &quest);
	for (int i = 0; i < n; i++)
		if (words[i].letters && !words[i].caps)
			all_caps = false;

	/* pass 1: terms and modifiers */
	for (int i = 0; i < n;)
	{
		int			span = 1;
		const SentimentEntry *e = MatchTerm(words, n, i, extra, rules, &span);

		if (e == NULL)
		{
			if ((rules & SENT_RULE_FINANCE) && words[i].percent != 0)
			{
				words[i].weight = words[i].percent * SENTIMENT_PERCENT_WEIGHT;
				words[i].span = 1;
			}
			i++;
			continue;
		}
		words[i].kind = e->kind;
		words[i].weight = e->weight;
		if (e->kind == SENT_KIND_GENERAL || e->kind == SENT_KIND_FINANCE)
		{
			words[i].span = span;
			for (int j = 1; j < span; j++)
				words[i].caps = words[i].caps && words[i + j].caps;
			if (span > 1)
				words[i].clause_end = words[i + span - 1].clause_end;
		}
		else
			words[i].modifier = true;
		i += span;
	}

	/* pass 2: valence of each term */
	for (int i = 0; i < n; i++)
	{
		double		s = words[i].weight;

		if (words[i].span == 0 || s == 0)
			continue;
		if ((rules & SENT_RULE_CAPS) && !all_caps && words[i].caps)
			s += Sign(s) * SENTIMENT_CAPS_INCREMENT;
		words[i].valence = ApplyModifiers(words, i, s, rules);
	}
	if (rules & SENT_RULE_CONTRAST)
		ApplyContrast(words, n);

	for (int i = 0; i < n; i++)
	{
		double		v = words[i].valence;

		sum += v;
		if (v > 0)
			pos += v + 1;
		else if (v < 0)
			neg += -v + 1;
		else
			neutral++;
	}
	if ((rules & SENT_RULE_PUNCT) && sum != 0)
	{
		punct = (excl < SENTIMENT_MAX_EXCLAMATIONS ? excl : SENTIMENT_MAX_EXCLAMATIONS) *
			SENTIMENT_EXCLAMATION_INCREMENT;
		if (quest > 1)
			punct += (quest < SENTIMENT_MAX_QUESTIONS ? quest : SENTIMENT_MAX_QUESTIONS) *
				SENTIMENT_QUESTIONS_INCREMENT;
		else if (quest == 1)
			sum *= SENTIMENT_QUESTION_SCALAR;
		sum += Sign(sum) * punct;
		if (sum > 0)
			pos += punct;
		else
			neg += punct;
	}

	out->words = n;
	out->compound = sum == 0 ? 0.0 : sum / sqrt(sum * sum + SENTIMENT_NORM_ALPHA);
	if (out->compound > 1.0)
		out->compound = 1.0;
	else if (out->compound < -1.0)
		out->compound = -1.0;
	if (pos + neg + neutral == 0)
	{
		out->positive = out->negative = 0.0;
		out->neutral = 1.0;
	}
	else
	{
		double		total = pos + neg + neutral;

		out->positive = pos / total;
		out->negative = neg / total;
		out->neutral = neutral / total;
	}
}

/* ---- HTML to plain text ---- */

typedef struct HtmlOut
{
	char	   *buf;
	size_t		len;
	size_t		cap;			/* bytes available for text (excluding NUL) */
	bool		space;			/* a space is pending */
	bool		full;
} HtmlOut;

static void
EmitSpace(HtmlOut *o)
{
	if (o->len > 0)
		o->space = true;
}

/* Append one whole character (n bytes) or stop for good when it does not fit. */
static void
EmitChar(HtmlOut *o, const char *s, size_t n)
{
	if (o->full)
		return;
	if (o->len + (o->space ? 1 : 0) + n > o->cap)
	{
		o->full = true;
		return;
	}
	if (o->space)
	{
		o->buf[o->len++] = ' ';
		o->space = false;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void
EmitCodePoint(HtmlOut *o, uint32_t cp)
{
	char		u[4];

	if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		cp = 0xFFFD;
	if (cp < 0x20 || cp == 0x7F || cp == 0xA0 || (cp >= 0x80 && cp < 0xA0))
	{
		EmitSpace(o);
		return;
	}
	if (cp < 0x80)
		u[0] = (char) cp, EmitChar(o, u, 1);
	else if (cp < 0x800)
	{
		u[0] = (char) (0xC0 | (cp >> 6));
		u[1] = (char) (0x80 | (cp & 0x3F));
		EmitChar(o, u, 2);
	}
	else if (cp < 0x10000)
	{
		u[0] = (char) (0xE0 | (cp >> 12));
		u[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char) (0x80 | (cp & 0x3F));
		EmitChar(o, u, 3);
	}
	else
	{
		u[0] = (char) (0xF0 | (cp >> 18));
		u[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char) (0x80 | (cp & 0x3F));
		EmitChar(o, u, 4);
	}
}

typedef struct NamedEntity
{
	const char *name;
	uint32_t	cp;
} NamedEntity;

static const NamedEntity Entities[] = {
	{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''},
	{"nbsp", 0xA0}, {"ndash", 0x2013}, {"mdash", 0x2014}, {"hellip", 0x2026},
	{"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C}, {"rdquo", 0x201D},
	{"laquo", 0xAB}, {"raquo", 0xBB}, {"copy", 0xA9}, {"reg", 0xAE},
	{"trade", 0x2122}, {"euro", 0x20AC}, {"pound", 0xA3}, {"yen", 0xA5},
	{"cent", 0xA2}, {"deg", 0xB0}, {"times", 0xD7}, {"bull", 0x2022},
	{"middot", 0xB7}, {"percnt", '%'}, {"dollar", '$'}, {"minus", 0x2212},
};

/* Longest entity name or number we decode (between & and ;). */
#define HTML_MAX_ENTITY 10

/* Decode the entity at s[0] == '&'; returns bytes consumed (0: not one). */
static size_t
DecodeEntity(const char *s, size_t n, HtmlOut *o)
{
	size_t		semi = 1;

	while (semi < n && semi <= HTML_MAX_ENTITY + 1 && s[semi] != ';')
		semi++;
	if (semi >= n || s[semi] != ';' || semi < 2)
		return 0;
	if (s[1] == '#')
	{
		uint32_t	cp = 0;
		bool		hex = semi > 2 && (s[2] == 'x' || s[2] == 'X');
		size_t		i = hex ? 3 : 2;

		if (i >= semi)
			return 0;
		for (; i < semi; i++)
		{
			int			c = (unsigned char) s[i],
						d;

			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (hex && c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else if (hex && c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else
				return 0;
			cp = cp * (hex ? 16 : 10) + (uint32_t) d;
			if (cp > 0x10FFFF)
				cp = 0x110000;	/* stays out of range, no overflow */
		}
		EmitCodePoint(o, cp);
		return semi + 1;
	}
	for (size_t k = 0; k < sizeof(Entities) / sizeof(Entities[0]); k++)
		if (strlen(Entities[k].name) == semi - 1 && memcmp(Entities[k].name, s + 1, semi - 1) == 0)
		{
			EmitCodePoint(o, Entities[k].cp);
			return semi + 1;
		}
	return 0;
}

static bool
StartsCI(const char *s, size_t n, const char *lit)
{
	size_t		l = strlen(lit);

	if (n < l)
		return false;
	for (size_t i = 0; i < l; i++)
	{
		char		c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char) (c - 'A' + 'a');
		if (c != lit[i])
			return false;
	}
	return true;
}

/* Index of lit in s[from..n) (case-insensitive), or n. */
static size_t
FindCI(const char *s, size_t n, size_t from, const char *lit)
{
	for (size_t i = from; i < n; i++)
		if (StartsCI(s + i, n - i, lit))
			return i;
	return n;
}

/* Inline tags join words ("e<b>th</b>er"); any other tag separates them. */
static bool
IsInlineTag(const char *name, size_t n)
{
	static const char *const inl[] = {"b", "i", "u", "em", "strong", "span", "a", "font", "small", "sup", "sub", "abbr", "code", "mark", "s"};

	for (size_t k = 0; k < sizeof(inl) / sizeof(inl[0]); k++)
		if (strlen(inl[k]) == n && StartsCI(name, n, inl[k]))
			return true;
	return false;
}

/* Skip the tag at s[0] == '<'; returns bytes consumed. */
static size_t
SkipTag(const char *s, size_t n, HtmlOut *o)
{
	size_t		i = 1,
				name,
				nlen = 0;
	char		quote = 0;

	if (StartsCI(s, n, "<!--"))
	{
		size_t		e = FindCI(s, n, 4, "-->");

		EmitSpace(o);
		return e < n ? e + 3 : n;
	}
	if (StartsCI(s, n, "<![cdata["))
		return 9;
	if (s[1] == '/')
		i++;
	name = i;
	while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
		i++, nlen++;
	for (; i < n; i++)
	{
		if (quote)
		{
			if (s[i] == quote)
				quote = 0;
		}
		else if (s[i] == '"' || s[i] == '\'')
			quote = s[i];
		else if (s[i] == '>')
			break;
	}
	i = i < n ? i + 1 : n;
	if (!IsInlineTag(s + name, nlen))
		EmitSpace(o);
	/* the body of script and style is not text */
	if (s[1] != '/' && nlen > 0 &&
		((nlen == 6 && StartsCI(s + name, nlen, "script")) || (nlen == 5 && StartsCI(s + name, nlen, "style"))))
	{
		size_t		e = FindCI(s, n, i, nlen == 6 ? "</script" : "</style");
		size_t		g = e < n ? FindCI(s, n, e, ">") : n;

		return g < n ? g + 1 : n;
	}
	return i;
}

/* Bytes in the UTF-8 sequence led by c (1 for a stray byte). */
static size_t
Utf8Len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0)
		return 2;
	if ((c & 0xF0) == 0xE0)
		return 3;
	if ((c & 0xF8) == 0xF0)
		return 4;
	return 1;
}

/* Whether s[0..k) is one valid UTF-8 character (k from Utf8Len). */
static bool
Utf8Valid(const unsigned char *s, size_t k)
{
	uint32_t	cp;

	if (k == 1)
		return s[0] < 0x80;
	cp = s[0] & (k == 2 ? 0x1F : (k == 3 ? 0x0F : 0x07));
	for (size_t j = 1; j < k; j++)
	{
		if ((s[j] & 0xC0) != 0x80)
			return false;
		cp = (cp << 6) | (s[j] & 0x3F);
	}
	return !((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
			 cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF));
}

size_t
SentimentHtmlToText(const char *in, size_t len, char *out, size_t outcap)
{
	HtmlOut		o;
	size_t		i = 0;

	if (outcap == 0)
		return 0;
	o.buf = out;
	o.len = 0;
	o.cap = outcap - 1 < SENTIMENT_HTML_MAX_OUTPUT_BYTES ? outcap - 1 : SENTIMENT_HTML_MAX_OUTPUT_BYTES;
	o.space = false;
	o.full = false;
	if (len > SENTIMENT_HTML_MAX_INPUT_BYTES)
		len = SENTIMENT_HTML_MAX_INPUT_BYTES;
	while (i < len && !o.full)
	{
		unsigned char c = (unsigned char) in[i];
		size_t		k;

		if (c == '<' && i + 1 < len &&
			(((in[i + 1] | 0x20) >= 'a' && (in[i + 1] | 0x20) <= 'z') ||
			 in[i + 1] == '/' || in[i + 1] == '!' || in[i + 1] == '?'))
			i += SkipTag(in + i, len - i, &o);
		else if (c == ']' && StartsCI(in + i, len - i, "]]>"))
			i += 3;
		else if (c == '&' && (k = DecodeEntity(in + i, len - i, &o)) > 0)
			i += k;
		else if (IsSpace(c) || c < 0x20 || c == 0x7F)
		{
			EmitSpace(&o);
			i++;
		}
		else if (c == 0xC2 && i + 1 < len && (unsigned char) in[i + 1] == 0xA0)
		{
			EmitSpace(&o);		/* no-break space */
			i += 2;
		}
		else
		{
			k = Utf8Len(c);
			if (i + k > len)
				break;			/* a character cut by the input bound */
			if (Utf8Valid((const unsigned char *) in + i, k))
				EmitChar(&o, in + i, k);
			else
			{
				EmitCodePoint(&o, 0xFFFD);	/* not reachable from the server */
				k = 1;
			}
			i += k;
		}
	}
	out[o.len] = '\0';
	return o.len;
}
