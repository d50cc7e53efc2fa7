/*
 * ml_json.c - small wrappers over pushJsonbValue so that training, evaluation
 * and the registry build their JSON as jsonb values, never as pasted text.
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/numeric.h"

#include "ml_json.h"

/* WJB_VALUE inside an object, WJB_ELEM inside an array */
static JsonbIteratorToken
Slot(JsonbParseState **st)
{
	return (*st)->contVal.type == jbvArray ? WJB_ELEM : WJB_VALUE;
}

void
ApJsonBegin(JsonbParseState **st, bool array)
{
	pushJsonbValue(st, array ? WJB_BEGIN_ARRAY : WJB_BEGIN_OBJECT, NULL);
}

/* Closes the innermost container; returns the document when it was the outermost. */
JsonbValue *
ApJsonEnd(JsonbParseState **st, bool array)
{
	return pushJsonbValue(st, array ? WJB_END_ARRAY : WJB_END_OBJECT, NULL);
}

void
ApJsonKey(JsonbParseState **st, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.len = strlen(key);
	v.val.string.val = pstrdup(key);	/* the state keeps the pointer */
	pushJsonbValue(st, WJB_KEY, &v);
}

/*
 * A number as the numeric its printf text reads as (so "%g" of 0.001 is
 * 0.001, not 0.001000000000000000021); null when not finite.
 */
void
ApJsonNumber(JsonbParseState **st, const char *fmt, double d)
{
	JsonbValue	v;
	char		buf[64];

	if (!isfinite(d))
	{
		ApJsonNull(st);
		return;
	}
	snprintf(buf, sizeof(buf), fmt, d);
	v.type = jbvNumeric;
	v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
														ObjectIdGetDatum(InvalidOid),
														Int32GetDatum(-1)));
	pushJsonbValue(st, Slot(st), &v);
}

void
ApJsonInt(JsonbParseState **st, int64 i)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(i);
	pushJsonbValue(st, Slot(st), &v);
}

void
ApJsonString(JsonbParseState **st, const char *s)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.len = strlen(s);
	v.val.string.val = pstrdup(s);	/* the state keeps the pointer */
	pushJsonbValue(st, Slot(st), &v);
}

void
ApJsonNull(JsonbParseState **st)
{
	JsonbValue	v;

	v.type = jbvNull;
	pushJsonbValue(st, Slot(st), &v);
}

/* Inserts a finished document (object or array) as the next value. */
void
ApJsonEmbed(JsonbParseState **st, Jsonb *jb)
{
	JsonbValue	v;

	v.type = jbvBinary;
	v.val.binary.data = &jb->root;
	v.val.binary.len = VARSIZE(jb) - VARHDRSZ;
	pushJsonbValue(st, Slot(st), &v);
}

/* Closes the outermost container and returns the document. */
Jsonb *
ApJsonFinish(JsonbParseState **st, bool array)
{
	JsonbValue *root = ApJsonEnd(st, array);

	Assert(*st == NULL);
	return JsonbValueToJsonb(root);
}
