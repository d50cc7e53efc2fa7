/*
 * fuzz_model.c - model bytes through the validator (src/ml_validate.c), and
 * every buffer it accepts through XGBoost itself: load and predict one row.
 * Whatever the validator lets through must never crash or hang XGBoost.
 *
 * The expected feature count is tried as each of the corpus models' widths,
 * so mutations of any seed can be accepted.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xgboost/c_api.h>

#include "ml_validate.h"

static const int widths[] = {40, 3, 2};

static void
LoadAndPredict(const uint8_t *data, size_t size, int p)
{
	BoosterHandle b = NULL;
	double		x[AP_MODEL_MAX_FEATURES > 64 ? 64 : AP_MODEL_MAX_FEATURES];
	char		iface[256];
	const bst_ulong *shape;
	bst_ulong	dim;
	const float *res;
	static const char *config = "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
		"\"iteration_end\": 0, \"strict_shape\": false, \"cache_id\": 0, \"missing\": NaN}";

	for (int j = 0; j < p; j++)
		x[j] = (j % 3 == 0) ? NAN : 0.25 * j - 1;
	if (XGBoosterCreate(NULL, 0, &b) != 0)
		abort();
	if (XGBoosterLoadModelFromBuffer(b, data, size) == 0 &&
		XGBoosterSetParam(b, "nthread", "1") == 0)
	{
		snprintf(iface, sizeof(iface),
				 "{\"data\": [%lu, true], \"shape\": [1, %d], \"typestr\": \"<f8\", \"version\": 3}",
				 (unsigned long) (uintptr_t) x, p);
		if (XGBoosterPredictFromDense(b, iface, config, NULL, &shape, &dim, &res) == 0 &&
			dim >= 1 && shape[0] == 1)
			(void) res[0];
		else
		{
			/* gblinear predicts through a DMatrix only, as ml_xgb.c does */
			float		fx[64];
			DMatrixHandle d;
			static const char *dm_config = "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
				"\"iteration_end\": 0, \"strict_shape\": false}";

			for (int j = 0; j < p; j++)
				fx[j] = (float) x[j];
			if (XGDMatrixCreateFromMat(fx, 1, p, NAN, &d) == 0)
			{
				if (XGBoosterPredictFromDMatrix(b, d, dm_config, &shape, &dim, &res) == 0 &&
					dim >= 1 && shape[0] == 1)
					(void) res[0];
				XGDMatrixFree(d);
			}
		}
	}
	XGBoosterFree(b);
}

/* XGBoost's error text as it comes, and what users may see of it */
static const char *const xgb_error =
"[13:45:01] /workspace/src/learner.cc:1234: Check failed: base_score > 0\n"
"Stack trace:\n  [bt] (0) /usr/lib/x86_64-linux-gnu/libxgboost.so(+0x12a3f4) [0x7f3c2a3f4]\n";

int			LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char		out[200];

	ApCleanLibraryError(xgb_error, out, sizeof(out));
	if (strcmp(out, "Check failed: base_score > 0") != 0)
	{
		fprintf(stderr, "ApCleanLibraryError gave \"%s\"\n", out);
		abort();
	}
	return 0;
}

/* Any text made fit to show: one line, printable, bounded, never empty. */
static void
CheckCleaner(const uint8_t *data, size_t size)
{
	char	   *msg = malloc(size + 1);
	char		out[64];
	size_t		n;

	memcpy(msg, data, size);
	msg[size] = '\0';
	ApCleanLibraryError(msg, out, sizeof(out));
	n = strlen(out);
	if (n == 0 || n >= sizeof(out) || strstr(out, "Stack trace") != NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		if (out[i] < 32 || out[i] >= 127)
			abort();
	free(msg);
}

size_t		LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t		LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
									unsigned int seed);

/*
 * Half the mutations write a small big-endian int32 (-2 .. 41) somewhere:
 * child, parent and feature indices that are plausible, so that many
 * mutants pass the validator and XGBoost gets to load them; the rest are
 * libFuzzer's own.
 */
size_t
LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	if (size >= 8 && (seed & 1) == 0)
	{
		size_t		off = (seed >> 1) % (size - 3);
		int32_t		v = (int32_t) ((seed >> 16) % 44) - 2;
		uint32_t	u = (uint32_t) v;

		data[off] = (uint8_t) (u >> 24);
		data[off + 1] = (uint8_t) (u >> 16);
		data[off + 2] = (uint8_t) (u >> 8);
		data[off + 3] = (uint8_t) u;
		return size;
	}
	return LLVMFuzzerMutate(data, size, max_size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		reason[AP_MODEL_REASON_LEN];
	ApModelSummary s;

	CheckCleaner(data, size);

	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++)
	{
		if (!ApValidateXgbModel(data, size, widths[i], &s, reason))
		{
			/* a reason is always given, and it fits */
			if (reason[0] == '\0' || strlen(reason) >= AP_MODEL_REASON_LEN)
				abort();
			continue;
		}
		if (s.num_feature != widths[i] || s.num_trees < 0 || s.num_trees > AP_MODEL_MAX_TREES)
			abort();
		LoadAndPredict(data, size, widths[i]);
		if (getenv("FUZZ_MODEL_COUNT"))
			fprintf(stderr, "accepted %zu bytes for %d features\n", size, widths[i]);
	}
	return 0;
}
