/*
 * fuzz_stream.c - streaming states loaded from untrusted bytes (they are
 * stored in a table and read back): TaStreamLoad must refuse them or give a
 * state that pushes, peeks and saves without any invalid access.
 *
 * Input: byte 0 picks the kernel, byte 1 the mode (bit 0: take the bytes
 * as they come, header and checksum included; otherwise the bytes are the
 * body under a well-formed, well-signed header, so the kernel's own check
 * is what stands between them and push), bytes 2.. the state, then bars.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ta_stream.h"

#define FUZZ_PERIOD_LIMIT 64	/* periods drawn from the input stay small */

void *
TaAlloc(size_t size)
{
	void	   *p = malloc(size > 0 ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

void
TaFree(void *ptr)
{
	free(ptr);
}

void
TaCheckInterrupts(void)
{
}

/* parameters: the defaults, periods replaced by small values from the input */
static void
PickParams(const TaStreamKernel *k, const uint8_t *data, size_t size, double *params)
{
	memset(params, 0, sizeof(double) * TA_STREAM_MAX_PARAMS);
	for (int j = 0; j < k->nparams; j++)
	{
		params[j] = k->params[j].dflt;
		if (k->params[j].kind == TA_PARAM_PERIOD && size > 2 + (size_t) j)
			params[j] = k->params[j].min + data[2 + j] % FUZZ_PERIOD_LIMIT;
	}
	if (TaStreamStateSize(k, params) == 0)
		for (int j = 0; j < k->nparams; j++)
			params[j] = k->params[j].dflt;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const TaStreamKernel *k;
	double		params[TA_STREAM_MAX_PARAMS];
	size_t		want;
	uint8_t    *bytes;
	TaStream   *s;
	size_t		used;
	TaStreamStatus st;

	if (size < 2)
		return 0;
	k = ta_stream_kernels[data[0] % ta_stream_nkernels];
	PickParams(k, data, size, params);
	want = TaStreamStateSize(k, params);
	bytes = calloc(1, want);
	s = malloc(want);
	if (data[1] & 1)
	{
		used = size - 2 < want ? size - 2 : want;
		memcpy(bytes, data + 2, used);
		/* the raw bytes at their own length: the checks see any length */
		if (TaStreamLoad(k, params, data + 2, size - 2, s) != TA_STREAM_OK)
			goto done;
	}
	else
	{
		TaStream   *h = malloc(want);

		TaStreamInit(k, params, h);
		used = size - 2 < want - sizeof(TaStream) ? size - 2 : want - sizeof(TaStream);
		memcpy(TA_STREAM_BODY(h), data + 2, used);
		TaStreamSave(h, bytes);
		free(h);
		if (TaStreamLoad(k, params, bytes, want, s) != TA_STREAM_OK)
			goto done;
	}
	/* accepted: it must work, fed with the rest of the input as bars */
	for (size_t at = 2 + used;; at += 4)
	{
		ta_real		bar[TA_STREAM_MAX_INPUTS],
					out[TA_STREAM_MAX_OUTPUTS];

		for (int j = 0; j < TA_STREAM_MAX_INPUTS; j++)
			bar[j] = (at + j < size) ? 100 + data[at + j] : 100;
		TaStreamPeek(k, s, bar, out);
		TaStreamPush(k, s, bar, out);
		if (at + 4 >= size)
			break;
	}
	/*
	 * What it saves loads again, unless a count in the fuzzed bytes was
	 * pushed past its bound (TA_STREAM_MAX_BARS): then it is refused as
	 * corrupt, never misread.
	 */
	TaStreamSave(s, bytes);
	st = TaStreamLoad(k, params, bytes, want, s);
	if (st != TA_STREAM_OK && st != TA_STREAM_CORRUPT)
		abort();
done:
	free(bytes);
	free(s);
	return 0;
}
