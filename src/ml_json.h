/*
 * ml_json.h - building jsonb values with the server's jsonb API
 * (pushJsonbValue) instead of pasting text: keys, numbers in a chosen
 * printf format, strings, nested documents.
 */
#ifndef AP_ML_JSON_H
#define AP_ML_JSON_H

#include "postgres.h"
#include "utils/jsonb.h"

/* printf format of a double stored exactly as the text it prints */
#define AP_JSON_EXACT "%.17g"

extern void ApJsonBegin(JsonbParseState **st, bool array);
extern JsonbValue *ApJsonEnd(JsonbParseState **st, bool array);
extern void ApJsonKey(JsonbParseState **st, const char *key);
extern void ApJsonNumber(JsonbParseState **st, const char *fmt, double v);
extern void ApJsonInt(JsonbParseState **st, int64 v);
extern void ApJsonString(JsonbParseState **st, const char *s);
extern void ApJsonNull(JsonbParseState **st);
extern void ApJsonEmbed(JsonbParseState **st, Jsonb *jb);
extern Jsonb *ApJsonFinish(JsonbParseState **st, bool array);

/* key: number, for the common object member */
static inline void
ApJsonKeyNumber(JsonbParseState **st, const char *key, const char *fmt, double v)
{
	ApJsonKey(st, key);
	ApJsonNumber(st, fmt, v);
}

static inline void
ApJsonKeyInt(JsonbParseState **st, const char *key, int64 v)
{
	ApJsonKey(st, key);
	ApJsonInt(st, v);
}

#endif							/* AP_ML_JSON_H */
