/*
 * sentiment_sql.c - SQL glue of the news sentiment scorer (src/sentiment.c):
 * ap_sentiment and friends, the built-in lexicon as rows, ap_html_to_text,
 * and the trigger that scores news as it lands.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "sentiment.h"

PG_FUNCTION_INFO_V1(ap_sentiment);
PG_FUNCTION_INFO_V1(ap_sentiment_rules);
PG_FUNCTION_INFO_V1(ap_sentiment_rule_names);
PG_FUNCTION_INFO_V1(ap_sentiment_version);
PG_FUNCTION_INFO_V1(ap_html_to_text);
PG_FUNCTION_INFO_V1(ap_sentiment_builtin_lexicon);
PG_FUNCTION_INFO_V1(ap_news_score);
PG_FUNCTION_INFO_V1(ap_sentiment_lexicon_changed);

/* The lexicon table (user rows have a version above the built-in one). */
#define SENTIMENT_LEXICON_TABLE "alphapulse.sentiment_lexicon"

/* Per-call-site cache: result row descriptor and the user lexicon of a version. */
typedef struct SentimentCache
{
	TupleDesc	tupdesc;
	bool		loaded;
	int			version;		/* lexicon version the overlay is for */
	SentimentLexicon overlay;
} SentimentCache;

static SentimentCache *
GetCache(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(SentimentCache));
	return (SentimentCache *) fcinfo->flinfo->fn_extra;
}

static int
CompareEntries(const void *a, const void *b)
{
	return strcmp(((const SentimentEntry *) a)->term, ((const SentimentEntry *) b)->term);
}

/*
 * Load the user rows of lexicon version `version` (rows with a version above
 * the built-in one, up to `version`) into cache->overlay, in fn_mcxt.  A
 * negative version means the newest; cache->version is set to the one used.
 */
static void
LoadOverlay(MemoryContext mcxt, SentimentCache *cache, int version)
{
	Datum		args[2];
	Oid			types[2] = {INT4OID, INT4OID};
	SentimentEntry *entries = NULL;
	int			n = 0,
				ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (version < 0)
	{
		bool		isnull;

		ret = SPI_execute("SELECT pg_catalog.max(version) FROM " SENTIMENT_LEXICON_TABLE, true, 1);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "reading the sentiment lexicon version failed: %d", ret);
		version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		if (isnull || version < SentimentBuiltinVersion())
			version = SentimentBuiltinVersion();
	}
	if (version > SentimentBuiltinVersion())
	{
		args[0] = Int32GetDatum(SentimentBuiltinVersion());
		args[1] = Int32GetDatum(version);
		ret = SPI_execute_with_args("SELECT term, weight, kind FROM " SENTIMENT_LEXICON_TABLE
									" WHERE version OPERATOR(pg_catalog.>) $1 AND version OPERATOR(pg_catalog.<=) $2",
									2, types, args, NULL, true, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "reading the sentiment lexicon failed: %d", ret);
		entries = MemoryContextAllocZero(mcxt, sizeof(SentimentEntry) * (SPI_processed + 1));
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	td = SPI_tuptable->tupdesc;
			bool		n1,
						n2,
						n3;
			Datum		term = SPI_getbinval(tup, td, 1, &n1);
			Datum		weight = SPI_getbinval(tup, td, 2, &n2);
			Datum		kind = SPI_getbinval(tup, td, 3, &n3);
			int			k;

			if (n1 || n2 || n3)
				continue;
			k = SentimentKindFromName(TextDatumGetCString(kind));
			if (k < 0)
				continue;		/* the table's CHECK keeps this from happening */
			entries[n].term = MemoryContextStrdup(mcxt, TextDatumGetCString(term));
			entries[n].weight = DatumGetFloat8(weight);
			entries[n].kind = (SentimentKind) k;
			n++;
		}
		qsort(entries, n, sizeof(SentimentEntry), CompareEntries);
	}
	SPI_finish();
	cache->overlay.entries = entries;
	cache->overlay.count = n;
	cache->version = version;
	cache->loaded = true;
}

/* The (compound, positive, negative, neutral) row of a score. */
static Datum
ScoreDatum(FunctionCallInfo fcinfo, SentimentCache *cache, const SentimentScore *s)
{
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (cache->tupdesc == NULL)
	{
		TupleDesc	td;
		MemoryContext old;

		if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "ap_sentiment must return a record");
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		cache->tupdesc = BlessTupleDesc(CreateTupleDescCopy(td));
		MemoryContextSwitchTo(old);
	}
	values[0] = Float8GetDatum(s->compound);
	values[1] = Float8GetDatum(s->positive);
	values[2] = Float8GetDatum(s->negative);
	values[3] = Float8GetDatum(s->neutral);
	return HeapTupleGetDatum(heap_form_tuple(cache->tupdesc, values, nulls));
}

/* ap_sentiment(text): the built-in lexicon and every rule; IMMUTABLE. */
Datum
ap_sentiment(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	SentimentCache *cache = GetCache(fcinfo);
	SentimentScore s;

	if (PG_NARGS() > 1)
	{
		int			v = PG_GETARG_INT32(1);

		if (v < SentimentBuiltinVersion())
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("lexicon version %d is older than the built-in lexicon", v),
					 errdetail("The built-in lexicon is version %d.", SentimentBuiltinVersion())));
		if (!cache->loaded || cache->version != v)
			LoadOverlay(fcinfo->flinfo->fn_mcxt, cache, v);
	}
	SentimentScoreText(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t),
					   cache->overlay.count > 0 ? &cache->overlay : NULL, SENT_RULE_ALL, &s);
	PG_RETURN_DATUM(ScoreDatum(fcinfo, cache, &s));
}

/* ap_sentiment_rules(text, rules text[]): built-in lexicon, only the named rules on. */
Datum
ap_sentiment_rules(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	SentimentCache *cache = GetCache(fcinfo);
	Datum	   *elems;
	bool	   *enulls;
	int			nelems;
	unsigned	rules = 0;
	SentimentScore s;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &nelems);
	for (int i = 0; i < nelems; i++)
	{
		char	   *name;
		int			r;

		if (enulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("rule names must not be null")));
		name = TextDatumGetCString(elems[i]);
		for (r = 0; r < SENT_RULE_COUNT; r++)
			if (strcmp(name, SentimentRuleName(r)) == 0)
				break;
		if (r == SENT_RULE_COUNT)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown sentiment rule \"%s\"", name),
					 errhint("ap_sentiment_rule_names() lists the rules.")));
		rules |= 1u << r;
	}
	SentimentScoreText(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), NULL, rules, &s);
	PG_RETURN_DATUM(ScoreDatum(fcinfo, cache, &s));
}

/* ap_sentiment_rule_names(): the rules ap_sentiment_rules can switch on. */
Datum
ap_sentiment_rule_names(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	for (int r = 0; r < SENT_RULE_COUNT; r++)
	{
		Datum		v = CStringGetTextDatum(SentimentRuleName(r));
		bool		isnull = false;

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &v, &isnull);
	}
	return (Datum) 0;
}

/* ap_sentiment_version(): the version of the built-in lexicon. */
Datum
ap_sentiment_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(SentimentBuiltinVersion());
}

/* Plain text of t (see SentimentHtmlToText), as a palloc'd text. */
static text *
HtmlToText(text *t)
{
	size_t		cap = Min(VARSIZE_ANY_EXHDR(t), SENTIMENT_HTML_MAX_OUTPUT_BYTES) + 1;
	char	   *buf = palloc(cap);
	size_t		n = SentimentHtmlToText(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), buf, cap);
	text	   *res = cstring_to_text_with_len(buf, (int) n);

	pfree(buf);
	return res;
}

/* ap_html_to_text(text): tags stripped, entities decoded, whitespace collapsed. */
Datum
ap_html_to_text(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(HtmlToText(PG_GETARG_TEXT_PP(0)));
}

/* The compiled lexicon as rows (term, weight, kind): CREATE EXTENSION copies it. */
Datum
ap_sentiment_builtin_lexicon(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const SentimentLexicon *lex = SentimentBuiltinLexicon();

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	for (int i = 0; i < lex->count; i++)
	{
		Datum		v[3];
		bool		nulls[3] = {false, false, false};

		v[0] = CStringGetTextDatum(lex->entries[i].term);
		v[1] = Float8GetDatum(lex->entries[i].weight);
		v[2] = CStringGetTextDatum(SentimentKindName(lex->entries[i].kind));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

/*
 * The landing trigger's lexicon: loaded once per transaction (the feed worker
 * inserts one row per statement) and again after this backend changes the
 * lexicon (sentiment_lexicon_changed); other backends' changes commit in
 * other transactions.
 */
static SentimentCache LandingLexicon;
static MemoryContext LandingContext = NULL;
static LocalTransactionId LandingLxid = InvalidLocalTransactionId;
static uint64 LexiconChanges = 0;
static uint64 LandingChanges = 0;

static SentimentCache *
LandingCache(void)
{
	if (LandingLexicon.loaded && LandingLxid == MyProc->lxid && LandingChanges == LexiconChanges)
		return &LandingLexicon;
	if (LandingContext == NULL)
		LandingContext = AllocSetContextCreate(TopMemoryContext, "alphapulse sentiment lexicon",
											   ALLOCSET_SMALL_SIZES);
	LandingLexicon.loaded = false;
	MemoryContextReset(LandingContext);
	LoadOverlay(LandingContext, &LandingLexicon, -1);
	LandingLxid = MyProc->lxid;
	LandingChanges = LexiconChanges;
	return &LandingLexicon;
}

/* Statement trigger on alphapulse.sentiment_lexicon: the landing cache is stale. */
Datum
ap_sentiment_lexicon_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("sentiment_lexicon_changed must run as a trigger")));
	LexiconChanges++;
	return PointerGetDatum(NULL);
}

/* Attribute number of a news column the trigger fills, or an error. */
static int
NewsColumn(TupleDesc td, const char *name)
{
	int			a = SPI_fnumber(td, name);

	if (a <= 0)
		elog(ERROR, "alphapulse.news has no column \"%s\"", name);
	return a;
}

/* Plain text of one column (NULL or empty: returns NULL). */
static text *
PlainColumn(HeapTuple tup, TupleDesc td, int attnum)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, attnum, td, &isnull);
	text	   *p;

	if (isnull)
		return NULL;
	p = HtmlToText(DatumGetTextPP(d));
	if (VARSIZE_ANY_EXHDR(p) == 0)
		return NULL;
	return p;
}

/*
 * BEFORE INSERT OR UPDATE OF title, summary on alphapulse.news: fill
 * text_plain and the lexicon score with the newest lexicon version (user
 * rows included), read once per statement.
 */
Datum
ap_news_score(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	SentimentCache *cache;
	TupleDesc	desc;
	HeapTuple	tup;
	text	   *title,
			   *summary,
			   *plain = NULL;
	int			cols[7];
	Datum		values[7];
	bool		nulls[7];
	SentimentScore s;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || TRIGGER_FIRED_BY_DELETE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ap_news_score must run as a BEFORE INSERT OR UPDATE row trigger")));
	desc = RelationGetDescr(td->tg_relation);
	tup = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	/* a row restored (pg_dump) or back-filled with its score keeps it */
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event) &&
		!heap_attisnull(tup, NewsColumn(desc, "sentiment_source"), desc))
		return PointerGetDatum(tup);

	cache = LandingCache();
	title = PlainColumn(tup, desc, NewsColumn(desc, "title"));
	summary = PlainColumn(tup, desc, NewsColumn(desc, "summary"));
	if (title && summary)
	{
		StringInfoData b;

		initStringInfo(&b);
		appendBinaryStringInfo(&b, VARDATA_ANY(title), VARSIZE_ANY_EXHDR(title));
		appendStringInfoChar(&b, '\n');
		appendBinaryStringInfo(&b, VARDATA_ANY(summary), VARSIZE_ANY_EXHDR(summary));
		plain = cstring_to_text_with_len(b.data, b.len);
	}
	else
		plain = title ? title : summary;

	cols[0] = NewsColumn(desc, "text_plain");
	cols[1] = NewsColumn(desc, "sentiment");
	cols[2] = NewsColumn(desc, "sentiment_pos");
	cols[3] = NewsColumn(desc, "sentiment_neg");
	cols[4] = NewsColumn(desc, "sentiment_neu");
	cols[5] = NewsColumn(desc, "sentiment_source");
	cols[6] = NewsColumn(desc, "lexicon_version");
	for (int i = 0; i < 7; i++)
		nulls[i] = (plain == NULL);
	if (plain != NULL)
	{
		SentimentScoreText(VARDATA_ANY(plain), VARSIZE_ANY_EXHDR(plain),
						   cache->overlay.count > 0 ? &cache->overlay : NULL, SENT_RULE_ALL, &s);
		values[0] = PointerGetDatum(plain);
		values[1] = Float8GetDatum(s.compound);
		values[2] = Float8GetDatum(s.positive);
		values[3] = Float8GetDatum(s.negative);
		values[4] = Float8GetDatum(s.neutral);
		values[5] = CStringGetTextDatum("lexicon");
		values[6] = Int32GetDatum(cache->version);
	}
	else
		memset(values, 0, sizeof(values));
	return PointerGetDatum(heap_modify_tuple_by_cols(tup, desc, 7, cols, values, nulls));
}
