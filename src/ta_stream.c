/*
 * ta_stream.c - the list of streamable kernels and what every state shares:
 * parameter checks, the header, save and the checks of load.
 */
#include "ta_stream.h"

#define TA_STREAM_KERNEL(name) &ta_stream_##name,
const TaStreamKernel *const ta_stream_kernels[] = {
#include "ta_stream_list.h"
};
#undef TA_STREAM_KERNEL

const int	ta_stream_nkernels = sizeof(ta_stream_kernels) / sizeof(ta_stream_kernels[0]);

const TaStreamKernel *
TaStreamFind(const char *name)
{
	for (int i = 0; i < ta_stream_nkernels; i++)
		if (strcmp(ta_stream_kernels[i]->name, name) == 0)
			return ta_stream_kernels[i];
	return NULL;
}

/* Every parameter in its range (periods integral), then the kernel's own cross-checks. */
TaStreamStatus
TaStreamCheckParams(const TaStreamKernel *k, const double *params)
{
	for (int i = 0; i < k->nparams; i++)
	{
		const TaStreamParam *d = &k->params[i];
		double		v = params[i];

		if (!isfinite(v) || v < d->min || v > d->max)
			return TA_STREAM_BAD_PARAMS;
		if (d->kind != TA_PARAM_REAL && v != floor(v))
			return TA_STREAM_BAD_PARAMS;
	}
	if (k->size(params) == 0)
		return TA_STREAM_BAD_PARAMS;
	return TA_STREAM_OK;
}

size_t
TaStreamStateSize(const TaStreamKernel *k, const double *params)
{
	if (TaStreamCheckParams(k, params) != TA_STREAM_OK)
		return 0;
	/* bodies are made of 8-byte aligned members: keep the total a multiple */
	return sizeof(TaStream) + ((k->size(params) + 7) & ~(size_t) 7);
}

bool
TaStreamInit(const TaStreamKernel *k, const double *params, TaStream *s)
{
	size_t		size = TaStreamStateSize(k, params);

	if (size == 0)
		return false;
	/* zero everything: padding bytes end up in saved states */
	memset(s, 0, size);
	s->magic = TA_STREAM_MAGIC;
	s->version = TA_STREAM_VERSION;
	s->layout = TA_STREAM_LAYOUT;
	s->size = size;
	strncpy(s->kernel, k->name, TA_STREAM_NAME_LEN - 1);
	for (int i = 0; i < k->nparams; i++)
		s->params[i] = params[i];
	k->init(TA_STREAM_BODY(s), params);
	return true;
}

void
TaStreamPush(const TaStreamKernel *k, TaStream *s, const ta_real *in, ta_real *out)
{
	k->push(TA_STREAM_BODY(s), in, out);
	s->bars++;
}

void
TaStreamPushMany(const TaStreamKernel *k, TaStream *s, const ta_real *const *in, int n,
				 ta_real *const *out)
{
	int			ni = (int) strlen(k->inputs);

	for (int i = 0; i < n; i++)
	{
		ta_real		bar[TA_STREAM_MAX_INPUTS],
					o[TA_STREAM_MAX_OUTPUTS];

		TA_POLL(i);
		for (int j = 0; j < ni; j++)
			bar[j] = in[j][i];
		k->push(TA_STREAM_BODY(s), bar, o);
		if (out)
			for (int j = 0; j < k->noutputs; j++)
				out[j][i] = o[j];
	}
	s->bars += n;
}

void
TaStreamPeek(const TaStreamKernel *k, const TaStream *s, const ta_real *in, ta_real *out)
{
	k->peek(TA_STREAM_CBODY(s), in, out);
}

/*
 * FNV-1a 64 over 8-byte words (states are whole words), the checksum field
 * read as zeros: any change of a single byte changes the sum.
 */
static uint64_t
StateChecksum(const unsigned char *b, size_t len)
{
	uint64_t	h = UINT64_C(14695981039346656037);
	size_t		i;

	for (i = 0; i + sizeof(uint64_t) <= len; i += sizeof(uint64_t))
	{
		uint64_t	w = 0;

		if (i != offsetof(TaStream, checksum))
			memcpy(&w, b + i, sizeof(w));
		h = (h ^ w) * UINT64_C(1099511628211);
	}
	for (; i < len; i++)
		h = (h ^ b[i]) * UINT64_C(1099511628211);
	return h;
}

void
TaStreamSave(const TaStream *s, void *buf)
{
	uint64_t	sum;

	memcpy(buf, s, s->size);
	sum = StateChecksum(buf, s->size);
	memcpy((char *) buf + offsetof(TaStream, checksum), &sum, sizeof(sum));
}

/* The header checks, in the order that gives the most useful error. */
static TaStreamStatus
CheckHeader(const TaStreamKernel *k, const double *params, const TaStream *h,
			size_t len, size_t want)
{
	if (h->magic != TA_STREAM_MAGIC)
		return TA_STREAM_BAD_MAGIC;
	if (h->version != TA_STREAM_VERSION || h->layout != TA_STREAM_LAYOUT)
		return TA_STREAM_BAD_VERSION;
	if (memchr(h->kernel, '\0', TA_STREAM_NAME_LEN) == NULL ||
		strcmp(h->kernel, k->name) != 0)
		return TA_STREAM_OTHER_KERNEL;
	for (int i = 0; i < TA_STREAM_MAX_PARAMS; i++)
		if (h->params[i] != (i < k->nparams ? params[i] : 0))
			return TA_STREAM_OTHER_PARAMS;
	if (h->size != want || len != want)
		return TA_STREAM_BAD_LENGTH;
	if (h->bars < 0 || h->bars > TA_STREAM_MAX_BARS)
		return TA_STREAM_CORRUPT;
	return TA_STREAM_OK;
}

TaStreamStatus
TaStreamLoad(const TaStreamKernel *k, const double *params, const void *buf,
			 size_t len, TaStream *s)
{
	size_t		want = TaStreamStateSize(k, params);
	TaStreamStatus st;

	if (want == 0)
		return TA_STREAM_BAD_PARAMS;
	memset(s, 0, want);
	if (len < sizeof(TaStream))
		return TA_STREAM_BAD_LENGTH;
	/* read the header through a copy: buf may be unaligned */
	memcpy(s, buf, sizeof(TaStream));
	st = CheckHeader(k, params, s, len, want);
	if (st == TA_STREAM_OK && StateChecksum(buf, len) != s->checksum)
		st = TA_STREAM_BAD_CHECKSUM;
	if (st == TA_STREAM_OK)
	{
		memcpy(s, buf, want);
		if (!k->check(TA_STREAM_CBODY(s), params))
			st = TA_STREAM_CORRUPT;
	}
	if (st != TA_STREAM_OK)
		memset(s, 0, want);
	return st;
}

const char *
TaStreamStatusText(TaStreamStatus st)
{
	switch (st)
	{
		case TA_STREAM_OK:
			return "ok";
		case TA_STREAM_BAD_PARAMS:
			return "parameters out of range for this indicator";
		case TA_STREAM_BAD_LENGTH:
			return "state has the wrong length for these parameters";
		case TA_STREAM_BAD_MAGIC:
			return "bytes are not an indicator state";
		case TA_STREAM_BAD_VERSION:
			return "state was saved by another format version or machine";
		case TA_STREAM_OTHER_KERNEL:
			return "state belongs to another indicator";
		case TA_STREAM_OTHER_PARAMS:
			return "state was saved with other parameters";
		case TA_STREAM_BAD_CHECKSUM:
			return "state bytes were changed since saved";
		case TA_STREAM_CORRUPT:
			return "state contents are inconsistent";
	}
	return "unknown state status";
}
