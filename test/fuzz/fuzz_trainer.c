/*
 * fuzz_trainer.c - the trainer's request decoders (src/trainer/trainer_proto.c)
 * on arbitrary bytes: a FIT request, a DATA header and a RESULT must be
 * accepted only when well-formed and never read past their buffer; an
 * accepted FIT request must survive an encode/decode round trip unchanged.
 * The first 4 bytes choose the row count the ranges are checked against.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/trainer_proto.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int32_t		n;
	ApFitRequest r,
				r2;
	ApDataHeader h;
	ApResultHeader rh;
	uint32_t	mlen;
	uint8_t    *copy;
	uint8_t		enc[AP_MAX_FIT_REQUEST];

	if (size < 4)
		return 0;
	memcpy(&n, data, 4);
	data += 4;
	size -= 4;
	/* an exact-size heap copy, so ASan sees any read past the message */
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);

	if (ApDecodeFit(copy, size, n, &r) == NULL)
	{
		int			len;

		if (r.train_from < 0 || r.train_to > n || r.train_from >= r.train_to ||
			r.eval_from < 0 || r.eval_to > n || r.nparams > AP_TRAINER_MAX_PARAMS)
			abort();
		for (int i = 0; i < r.nparams; i++)
			if (strlen(r.name[i]) >= AP_TRAINER_NAME_LEN || strlen(r.value[i]) >= AP_TRAINER_VALUE_LEN)
				abort();
		len = ApEncodeFit(&r, enc, sizeof(enc));
		if (len < 0 || (size_t) len != size || memcmp(enc, copy, size) != 0)
			abort();
		if (ApDecodeFit(enc, (size_t) len, n, &r2) != NULL || memcmp(&r, &r2, sizeof(r)) != 0)
			abort();
	}
	if (ApDecodeDataHeader(copy, size, size >= 8 ? size - 8 : size, &h) == NULL)
	{
		if (h.n < 1 || h.p < 1 || ApDataLength(h.n, h.p) != (size >= 8 ? size - 8 : size))
			abort();
	}
	if (ApDecodeResult(copy, size, n > 0 ? n % 100000 : 10, size > 8 ? copy[0] : 0, &rh, &mlen) == NULL)
	{
		if (mlen > size || rh.rounds > rh.rounds_run)
			abort();
	}
	free(copy);
	return 0;
}
