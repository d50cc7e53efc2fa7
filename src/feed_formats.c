/*
 * feed_formats.c - each price format's response shape, in pure C: walks the
 * JSON DOM of a body, checks every time against the date bounds and every
 * price and volume against the magnitude bounds of feed_bounds.h, and
 * returns bars whose numbers are still the response's decimal text.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "feed_formats.h"

const char *const FeedFmtNames[FEED_FMT_NPRICE] = {
	"binance", "coinbase", "kraken", "coingecko", "yahoo"
};

static const char *const FieldNames[5] = {"open", "high", "low", "close", "volume"};

static bool
IsDigit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
SameWord(const char *s, size_t len, const char *word)
{
	size_t		i;

	if (strlen(word) != len)
		return false;
	for (i = 0; i < len; i++)
		if ((s[i] | 0x20) != word[i])
			return false;
	return true;
}

/*
 * Whether s is a finite decimal within the bounds for kind.  The scale is
 * computed as numeric_in computes dscale (digits after the point minus the
 * exponent, at least 0), so this agrees with scale() in the bars' CHECK.
 */
FeedDecimalResult
FeedDecimalCheck(const char *s, size_t len, FeedDecimalKind kind)
{
	size_t		i = 0;
	bool		neg = false;
	size_t		int_start,
				int_len,
				frac_start = 0,
				frac_len = 0;
	int64_t		exp = 0;
	int64_t		first_nonzero = -1;
	int64_t		int_digits,
				scale;
	size_t		k;
	int			max_int = (kind == FEED_DEC_PRICE) ? AP_PRICE_MAX_INT_DIGITS : AP_VOLUME_MAX_INT_DIGITS;

	if (i < len && (s[i] == '-' || s[i] == '+'))
	{
		neg = (s[i] == '-');
		i++;
	}
	if (SameWord(s + i, len - i, "nan") || SameWord(s + i, len - i, "infinity") ||
		SameWord(s + i, len - i, "inf"))
		return FEED_DEC_NOT_FINITE;
	int_start = i;
	while (i < len && IsDigit(s[i]))
		i++;
	int_len = i - int_start;
	if (i < len && s[i] == '.')
	{
		frac_start = ++i;
		while (i < len && IsDigit(s[i]))
			i++;
		frac_len = i - frac_start;
	}
	if (int_len + frac_len == 0)
		return FEED_DEC_SYNTAX;
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		bool		eneg = false;
		size_t		estart;

		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			eneg = (s[i++] == '-');
		estart = i;
		while (i < len && IsDigit(s[i]))
		{
			if (exp < INT64_C(1000000000))	/* saturate: far past any bound */
				exp = exp * 10 + (s[i] - '0');
			i++;
		}
		if (i == estart)
			return FEED_DEC_SYNTAX;
		if (eneg)
			exp = -exp;
	}
	if (i != len)
		return FEED_DEC_SYNTAX;

	for (k = 0; k < int_len && first_nonzero < 0; k++)
		if (s[int_start + k] != '0')
			first_nonzero = (int64_t) k;
	for (k = 0; k < frac_len && first_nonzero < 0; k++)
		if (s[frac_start + k] != '0')
			first_nonzero = (int64_t) (int_len + k);

	if (first_nonzero < 0)
	{
		if (kind == FEED_DEC_PRICE)
			return FEED_DEC_SIGN;	/* zero */
	}
	else
	{
		if (neg)
			return FEED_DEC_SIGN;
		int_digits = (int64_t) int_len + exp - first_nonzero;
		if (int_digits > max_int)
			return FEED_DEC_TOO_BIG;
	}
	scale = (int64_t) frac_len - exp;
	if (scale > AP_MAX_SCALE)
		return FEED_DEC_TOO_PRECISE;
	return FEED_DEC_OK;
}

typedef struct FmtState
{
	FeedFmt		fmt;
	const FeedBarsContext *cx;
	FeedRawBars *out;
	FeedError  *e;
	const char *name;
} FmtState;

static bool
FmtFail(FmtState *st, FeedErrorKind kind, const char *what, const char *fmt,...)
__attribute__((format(printf, 4, 5)));

/* An error whose message is what (with %s for the format's name). */
static bool
FmtFail(FmtState *st, FeedErrorKind kind, const char *what, const char *fmt,...)
{
	va_list		ap;

	st->e->kind = kind;
	snprintf(st->e->msg, sizeof(st->e->msg), what, st->name);
	va_start(ap, fmt);
	vsnprintf(st->e->detail, sizeof(st->e->detail), fmt, ap);
	va_end(ap);
	return false;
}

#define Bad(st, ...) FmtFail((st), FEED_ERR_SYNTAX, "malformed %s response", __VA_ARGS__)

/* "The exchange said: ..." from a JSON string, quoted safely. */
static bool
BadSaid(FmtState *st, const char *who, const FeedJson *s, const char *none)
{
	char		q[FEED_MAX_QUOTE_BYTES + 8];

	if (s == NULL || s->type != FJ_STRING)
		return Bad(st, "The %s said: %s.", who, none);
	FeedQuote(q, sizeof(q), s->str, s->len);
	return Bad(st, "The %s said: %s.", who, q);
}

static bool
IsArray(const FeedJson *v, uint32_t min)
{
	return v != NULL && v->type == FJ_ARRAY && v->n >= min;
}

/* A time from a whole JSON number of units (per_sec per second) since 1970. */
static bool
FmtEpoch(FmtState *st, const FeedJson *v, int64_t per_sec, int row, int64_t *us)
{
	const char *s;
	size_t		i = 0;
	uint64_t	n = 0;
	bool		neg = false;
	char		q[FEED_MAX_QUOTE_BYTES + 8];

	if (v == NULL || v->type != FJ_NUMBER)
		return FmtFail(st, FEED_ERR_SYNTAX, "invalid time in %s response",
					   "Row %d has no numeric time.", row);
	s = v->str;
	if (s[0] == '-')
	{
		neg = true;
		i++;
	}
	for (; IsDigit(s[i]); i++)
	{
		if (n > UINT64_MAX / 100)
			break;				/* far out of range; reported below */
		n = n * 10 + (uint64_t) (s[i] - '0');
	}
	if (s[i] != '\0' || (neg && n != 0) ||
		n >= (uint64_t) FEED_MAX_UNIX_SECS * (uint64_t) per_sec)
	{
		FeedQuote(q, sizeof(q), s, v->len);
		return FmtFail(st, FEED_ERR_TIME_RANGE, "time out of range in %s response",
					   "Row %d has time %s; times are whole %s since 1970-01-01 UTC, before year %d.",
					   row, q, per_sec == 1 ? "seconds" : "milliseconds", FEED_MAX_YEAR + 1);
	}
	*us = (int64_t) (n / (uint64_t) per_sec) * INT64_C(1000000) +
		(int64_t) (n % (uint64_t) per_sec) * (INT64_C(1000000) / per_sec);
	return true;
}

/* Decimal text of a price or volume field, checked against the bounds. */
static bool
FmtDecimal(FmtState *st, const FeedJson *v, int row, const char *field,
		   FeedDecimalKind kind, const char **out)
{
	char		q[FEED_MAX_QUOTE_BYTES + 8];
	const char *range = "number out of range in %s response";

	if (v == NULL || (v->type != FJ_NUMBER && v->type != FJ_STRING))
		return FmtFail(st, FEED_ERR_NUMBER, "invalid number in %s response",
					   "Row %d, field %s is not a number or a numeric string.", row, field);
	FeedQuote(q, sizeof(q), v->str, v->len);
	switch (FeedDecimalCheck(v->str, v->len, kind))
	{
		case FEED_DEC_OK:
			*out = v->str;
			return true;
		case FEED_DEC_SYNTAX:
			return FmtFail(st, FEED_ERR_NUMBER, "invalid number in %s response",
						   "Row %d, field %s is not a decimal number: \"%s\".", row, field, q);
		case FEED_DEC_NOT_FINITE:
			return FmtFail(st, FEED_ERR_NUMBER, "invalid number in %s response",
						   "Row %d, field %s is not finite.", row, field);
		case FEED_DEC_SIGN:
			if (kind == FEED_DEC_PRICE)
				return FmtFail(st, FEED_ERR_RANGE, range,
							   "Row %d, field %s is %s; prices must be greater than 0.",
							   row, field, q);
			return FmtFail(st, FEED_ERR_RANGE, range,
						   "Row %d, field %s is %s; volumes must not be negative.", row, field, q);
		case FEED_DEC_TOO_BIG:
			return FmtFail(st, FEED_ERR_RANGE, range,
						   "Row %d, field %s is %s; %s must be less than 1e%d.", row, field, q,
						   kind == FEED_DEC_PRICE ? "prices" : "volumes",
						   kind == FEED_DEC_PRICE ? AP_PRICE_MAX_INT_DIGITS : AP_VOLUME_MAX_INT_DIGITS);
		case FEED_DEC_TOO_PRECISE:
			break;
	}
	return FmtFail(st, FEED_ERR_RANGE, range,
				   "Row %d, field %s is %s; at most %d digits after the decimal point are accepted.",
				   row, field, q, AP_MAX_SCALE);
}

/* ts + span <= now without overflow. */
static bool
EndedBy(int64_t ts, int64_t span, int64_t now)
{
	if (span > 0 && ts > INT64_MAX - span)
		return false;
	return ts + span <= now;
}

/* Keep a bar unless it is at or past the feed's end. */
static void
FmtAdd(FmtState *st, int64_t ts, const char *const v[5], bool closed)
{
	FeedRawBar *b;

	if (st->cx->has_end && ts >= st->cx->end)
		return;
	b = &st->out->bars[st->out->n++];
	b->ts = ts;
	memcpy(b->v, v, sizeof(b->v));
	b->closed = closed;
}

/* Fields at idx[0..4] of row k (open, high, low, close, volume). */
static bool
FmtRow(FmtState *st, const FeedJson *k, const int idx[5], int row, const char *v[5])
{
	int			j;

	for (j = 0; j < 5; j++)
		if (!FmtDecimal(st, FeedJsonAt(k, (uint32_t) idx[j]), row, FieldNames[j],
						j == 4 ? FEED_DEC_VOLUME : FEED_DEC_PRICE, &v[j]))
			return false;
	return true;
}

static bool
FmtReserve(FmtState *st, FeedArena *a, uint32_t n)
{
	st->out->bars = FeedArenaAlloc(a, sizeof(FeedRawBar) * (n ? n : 1));
	if (st->out->bars == NULL)
		return FeedFail(st->e, FEED_ERR_MEMORY, "out of memory", "Collecting bars.");
	return true;
}

/* binance klines: [[openTime ms, "o","h","l","c","v", closeTime ms, ...], ...] */
static bool
FmtBinance(FmtState *st, const FeedJson *root, FeedArena *a)
{
	static const int idx[5] = {1, 2, 3, 4, 5};
	uint32_t	i;

	if (root->type != FJ_ARRAY)
		return Bad(st, "Expected an array of klines.");
	if (!FmtReserve(st, a, root->n))
		return false;
	for (i = 0; i < root->n; i++)
	{
		const FeedJson *k = root->kids[i];
		const char *v[5];
		int64_t		ts,
					close_time;

		if (!IsArray(k, 7))
			return Bad(st, "Kline %u is not an array of at least 7 fields.", i + 1);
		if (!FmtEpoch(st, k->kids[0], 1000, (int) i + 1, &ts) ||
			!FmtEpoch(st, k->kids[6], 1000, (int) i + 1, &close_time) ||
			!FmtRow(st, k, idx, (int) i + 1, v))
			return false;
		FmtAdd(st, ts, v, close_time < st->cx->now);
	}
	st->out->nraw = (int) root->n;
	return true;
}

/* coinbase candles, newest first: [[time s, low, high, open, close, volume], ...] */
static bool
FmtCoinbase(FmtState *st, const FeedJson *root, FeedArena *a)
{
	static const int idx[5] = {3, 2, 1, 4, 5};
	uint32_t	i;

	if (root->type != FJ_ARRAY)
	{
		const FeedJson *msg = FeedJsonGet(root, "message");

		if (msg && msg->type == FJ_STRING)
			return BadSaid(st, "exchange", msg, "");
		return Bad(st, "Expected an array of candles.");
	}
	if (!FmtReserve(st, a, root->n))
		return false;
	for (i = 0; i < root->n; i++)
	{
		const FeedJson *k = root->kids[i];
		const char *v[5];
		int64_t		ts;

		if (!IsArray(k, 6))
			return Bad(st, "Candle %u is not an array of 6 fields.", i + 1);
		if (!FmtEpoch(st, k->kids[0], 1, (int) i + 1, &ts) ||
			!FmtRow(st, k, idx, (int) i + 1, v))
			return false;
		FmtAdd(st, ts, v, EndedBy(ts, st->cx->bar_usecs, st->cx->now));
	}
	st->out->nraw = (int) root->n;
	return true;
}

/*
 * kraken OHLC: {"error":[],"result":{"PAIR":[[time s,"o","h","l","c","vwap",
 * "volume",count],...],"last":N}}.  The last entry is the still-open frame:
 * it is never landed.
 */
static bool
FmtKraken(FmtState *st, const FeedJson *root, FeedArena *a)
{
	static const int idx[5] = {1, 2, 3, 4, 6};
	const FeedJson *errs;
	const FeedJson *result;
	const FeedJson *rows = NULL;
	uint32_t	i;

	if (root->type != FJ_OBJECT)
		return Bad(st, "Expected an object with error and result.");
	errs = FeedJsonGet(root, "error");
	if (IsArray(errs, 1))
		return BadSaid(st, "exchange", errs->kids[0], "(unreadable error)");
	result = FeedJsonGet(root, "result");
	if (result == NULL || result->type != FJ_OBJECT)
		return Bad(st, "No result object.");
	/* The pair's key is not known in advance: the one array under result. */
	for (i = 0; i < result->n && rows == NULL; i++)
		if (result->kids[i]->type == FJ_ARRAY)
			rows = result->kids[i];
	if (rows == NULL)
		return Bad(st, "No OHLC array under result.");
	if (!FmtReserve(st, a, rows->n))
		return false;
	for (i = 0; i + 1 < rows->n; i++)
	{
		const FeedJson *k = rows->kids[i];
		const char *v[5];
		int64_t		ts;

		if (!IsArray(k, 7))
			return Bad(st, "Entry %u is not an array of 8 fields.", i + 1);
		if (!FmtEpoch(st, k->kids[0], 1, (int) i + 1, &ts) ||
			!FmtRow(st, k, idx, (int) i + 1, v))
			return false;
		FmtAdd(st, ts, v, true);
	}
	st->out->nraw = (int) rows->n;
	return true;
}

/*
 * coingecko market_chart: {"prices":[[ms, price],...], ...}.  A price point
 * becomes a bar with open = high = low = close = price and volume 0: the
 * total_volumes series is a rolling 24-hour figure, not the bar's volume.
 */
static bool
FmtCoingecko(FmtState *st, const FeedJson *root, FeedArena *a)
{
	const FeedJson *prices = FeedJsonGet(root, "prices");
	uint32_t	i;

	if (prices == NULL || prices->type != FJ_ARRAY)
		return Bad(st, "Expected an object with a prices array.");
	if (!FmtReserve(st, a, prices->n))
		return false;
	for (i = 0; i < prices->n; i++)
	{
		const FeedJson *k = prices->kids[i];
		const char *v[5];
		int64_t		ts;

		if (!IsArray(k, 2))
			return Bad(st, "Price %u is not a [time, price] pair.", i + 1);
		if (!FmtEpoch(st, k->kids[0], 1000, (int) i + 1, &ts) ||
			!FmtDecimal(st, k->kids[1], (int) i + 1, "price", FEED_DEC_PRICE, &v[0]))
			return false;
		v[1] = v[2] = v[3] = v[0];
		v[4] = "0";
		FmtAdd(st, ts, v, EndedBy(ts, st->cx->bar_usecs, st->cx->now));
	}
	st->out->nraw = (int) prices->n;
	return true;
}

/*
 * yahoo chart: {"chart":{"result":[{"timestamp":[...],"indicators":{"quote":
 * [{"open":[...],...}]}}],"error":null}}.  A row with a null field is a
 * missing bar and is skipped.
 */
static bool
FmtYahoo(FmtState *st, const FeedJson *root, FeedArena *a)
{
	const FeedJson *chart = FeedJsonGet(root, "chart");
	const FeedJson *err;
	const FeedJson *results;
	const FeedJson *r0;
	const FeedJson *times;
	const FeedJson *quote;
	const FeedJson *cols[5];
	uint32_t	i,
				n;
	int			j;

	if (chart == NULL || chart->type != FJ_OBJECT)
		return Bad(st, "Expected an object with a chart object.");
	err = FeedJsonGet(chart, "error");
	if (err != NULL && err->type != FJ_NULL)
		return BadSaid(st, "service", FeedJsonGet(err, "description"), "(no description)");
	results = FeedJsonGet(chart, "result");
	if (!IsArray(results, 1) || (r0 = results->kids[0])->type != FJ_OBJECT)
		return Bad(st, "No chart result.");
	times = FeedJsonGet(r0, "timestamp");
	if (times == NULL || times->type != FJ_ARRAY)
	{
		st->out->nraw = 0;		/* a window without trading */
		return FmtReserve(st, a, 0);
	}
	quote = FeedJsonGet(FeedJsonGet(r0, "indicators"), "quote");
	if (!IsArray(quote, 1))
		return Bad(st, "No indicators.quote array.");
	quote = quote->kids[0];
	n = times->n;
	for (j = 0; j < 5; j++)
	{
		cols[j] = FeedJsonGet(quote, FieldNames[j]);
		if (cols[j] == NULL || cols[j]->type != FJ_ARRAY || cols[j]->n != n)
			return Bad(st, "Quote column %s is missing or not as long as timestamp.", FieldNames[j]);
	}
	if (!FmtReserve(st, a, n))
		return false;
	for (i = 0; i < n; i++)
	{
		const char *v[5];
		int64_t		ts;
		bool		missing = false;

		for (j = 0; j < 5; j++)
			missing |= (cols[j]->kids[i]->type == FJ_NULL);
		if (missing)
			continue;
		if (!FmtEpoch(st, times->kids[i], 1, (int) i + 1, &ts))
			return false;
		for (j = 0; j < 5; j++)
			if (!FmtDecimal(st, cols[j]->kids[i], (int) i + 1, FieldNames[j],
							j == 4 ? FEED_DEC_VOLUME : FEED_DEC_PRICE, &v[j]))
				return false;
		FmtAdd(st, ts, v, EndedBy(ts, st->cx->bar_usecs, st->cx->now));
	}
	st->out->nraw = (int) n;
	return true;
}

/* Bars of one price response; false with *e set on a bad body. */
bool
FeedExtractBars(FeedFmt fmt, const char *body, size_t len, const FeedBarsContext *cx,
				FeedArena *a, FeedRawBars *out, FeedError *e)
{
	FmtState	st;
	FeedJson   *root;

	memset(out, 0, sizeof(*out));
	e->kind = FEED_OK;
	if ((int) fmt < 0 || fmt >= FEED_FMT_NPRICE)
		return FeedFail(e, FEED_ERR_SYNTAX, "unknown price format", "Format %d.", (int) fmt);
	st.fmt = fmt;
	st.cx = cx;
	st.out = out;
	st.e = e;
	st.name = FeedFmtNames[fmt];
	root = FeedJsonParse(body, len, a, e);
	if (root == NULL)
	{
		if (e->kind == FEED_ERR_SYNTAX)
			snprintf(e->msg, sizeof(e->msg), "malformed %s response", st.name);
		return false;
	}
	switch (fmt)
	{
		case FEED_FMT_BINANCE:
			return FmtBinance(&st, root, a);
		case FEED_FMT_COINBASE:
			return FmtCoinbase(&st, root, a);
		case FEED_FMT_KRAKEN:
			return FmtKraken(&st, root, a);
		case FEED_FMT_COINGECKO:
			return FmtCoingecko(&st, root, a);
		case FEED_FMT_YAHOO:
			return FmtYahoo(&st, root, a);
		case FEED_FMT_NPRICE:
			break;
	}
	return false;
}
