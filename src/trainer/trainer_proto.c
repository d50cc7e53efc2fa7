/*
 * trainer_proto.c - encoder and strict decoders of the trainer pipe protocol
 * (see trainer_proto.h).  Plain C: linked into the backend, the trainer and
 * the fuzz harness.
 */
#include "trainer_proto.h"

#include <string.h>

static int32_t
GetI32(const uint8_t *p)
{
	int32_t		v;

	memcpy(&v, p, sizeof(v));
	return v;
}

void
ApPutFrame(uint8_t *buf, uint32_t type, uint32_t len)
{
	memcpy(buf, &type, 4);
	memcpy(buf + 4, &len, 4);
}

void
ApGetFrame(const uint8_t *buf, uint32_t *type, uint32_t *len)
{
	memcpy(type, buf, 4);
	memcpy(len, buf + 4, 4);
}

uint64_t
ApDataLength(int32_t n, int32_t p)
{
	/* both are bounded (checked by the caller), so this cannot overflow */
	return AP_DATA_HEADER + 8 * (uint64_t) n * (uint64_t) p + 8 * (uint64_t) n;
}

const char *
ApDecodeDataHeader(const uint8_t *buf, size_t len, uint64_t frame_len, ApDataHeader *h)
{
	if (len < AP_DATA_HEADER)
		return "data header too short";
	h->n = GetI32(buf);
	h->p = GetI32(buf + 4);
	h->threads = GetI32(buf + 8);
	if (h->n < 1 || h->n > AP_TRAINER_MAX_ROWS)
		return "row count out of range";
	if (h->p < 1 || h->p > AP_TRAINER_MAX_FEATURES)
		return "feature count out of range";
	if (h->threads < 1 || h->threads > AP_TRAINER_MAX_THREADS)
		return "thread count out of range";
	if (frame_len != ApDataLength(h->n, h->p))
		return "data length does not match its shape";
	return NULL;
}

static int
NameChar(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || c == '_';
}

static int
ValueChar(uint8_t c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Reads one length-prefixed word into out (cap bytes with the zero). */
static const char *
GetWord(const uint8_t *buf, size_t len, size_t *pos, char *out, size_t cap, int name)
{
	size_t		wl;

	if (*pos >= len)
		return "truncated parameter";
	wl = buf[(*pos)++];
	if (wl == 0 || wl >= cap)
		return "parameter name or value length out of range";
	if (len - *pos < wl)
		return "truncated parameter";
	for (size_t i = 0; i < wl; i++)
	{
		uint8_t		c = buf[*pos + i];

		if (name ? !NameChar(c) : !ValueChar(c))
			return "invalid character in a parameter";
		out[i] = (char) c;
	}
	out[wl] = '\0';
	*pos += wl;
	return NULL;
}

const char *
ApDecodeFit(const uint8_t *buf, size_t len, int32_t n, ApFitRequest *r)
{
	size_t		pos = 27;
	const char *err;

	memset(r, 0, sizeof(*r));
	if (len < 27)
		return "fit request too short";
	if (len > AP_MAX_FIT_REQUEST)
		return "fit request too long";
	r->train_from = GetI32(buf);
	r->train_to = GetI32(buf + 4);
	r->eval_from = GetI32(buf + 8);
	r->eval_to = GetI32(buf + 12);
	r->max_rounds = GetI32(buf + 16);
	r->es_rounds = GetI32(buf + 20);
	r->early_stop = buf[24];
	r->want_model = buf[25];
	r->nparams = buf[26];
	if (r->train_from < 0 || r->train_from >= r->train_to || r->train_to > n)
		return "training range out of range";
	if (r->eval_from < 0 || r->eval_from >= r->eval_to || r->eval_to > n)
		return "evaluation range out of range";
	if (r->max_rounds < 1 || r->max_rounds > AP_TRAINER_MAX_ROUNDS)
		return "round count out of range";
	if (r->es_rounds < 0 || r->es_rounds > AP_TRAINER_MAX_ROUNDS)
		return "early stopping rounds out of range";
	if (r->early_stop > 1 || r->want_model > 1)
		return "flag out of range";
	if (r->nparams > AP_TRAINER_MAX_PARAMS)
		return "too many parameters";
	for (int i = 0; i < r->nparams; i++)
	{
		if ((err = GetWord(buf, len, &pos, r->name[i], AP_TRAINER_NAME_LEN, 1)) != NULL ||
			(err = GetWord(buf, len, &pos, r->value[i], AP_TRAINER_VALUE_LEN, 0)) != NULL)
			return err;
	}
	if (pos != len)
		return "trailing bytes after the parameters";
	return NULL;
}

int
ApEncodeFit(const ApFitRequest *r, uint8_t *buf, size_t cap)
{
	int32_t		ints[6] = {r->train_from, r->train_to, r->eval_from, r->eval_to,
	r->max_rounds, r->es_rounds};
	size_t		pos = 27;

	if (cap < 27 || r->nparams < 0 || r->nparams > AP_TRAINER_MAX_PARAMS)
		return -1;
	memcpy(buf, ints, sizeof(ints));
	buf[24] = r->early_stop;
	buf[25] = r->want_model;
	buf[26] = (uint8_t) r->nparams;
	for (int i = 0; i < r->nparams; i++)
	{
		const char *w[2] = {r->name[i], r->value[i]};

		for (int k = 0; k < 2; k++)
		{
			size_t		wl = strlen(w[k]);

			if (wl == 0 || wl > 255 || pos + 1 + wl > cap)
				return -1;
			buf[pos++] = (uint8_t) wl;
			memcpy(buf + pos, w[k], wl);
			pos += wl;
		}
	}
	return (int) pos;
}

const char *
ApDecodeResult(const uint8_t *buf, size_t len, int32_t max_rounds, int32_t npred,
			   ApResultHeader *h, uint32_t *model_len)
{
	uint64_t	need;

	if (len < AP_RESULT_HEADER)
		return "result too short";
	h->rounds = GetI32(buf);
	h->rounds_run = GetI32(buf + 4);
	h->npred = GetI32(buf + 8);
	memcpy(&h->best_metric, buf + 12, 8);
	if (h->rounds_run < 0 || h->rounds_run > max_rounds ||
		h->rounds < 0 || h->rounds > h->rounds_run)
		return "round counts out of range";
	if (h->npred != npred)
		return "prediction count does not match the request";
	need = AP_RESULT_HEADER + 16 * (uint64_t) h->rounds_run + 8 * (uint64_t) h->npred + 4;
	if (len < need)
		return "result truncated";
	memcpy(model_len, buf + need - 4, 4);
	if (len - need != *model_len)
		return "model length does not match the result";
	return NULL;
}
