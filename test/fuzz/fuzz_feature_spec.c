/*
 * fuzz_feature_spec.c - libFuzzer harness for the feature-item parser
 * (ParseFeatureItem, src/ml_featspec.c): any bytes, as the text of one item.
 * Checks the parser's contract: success gives a known kind, the right number
 * of in-range parameters and a NUL-terminated column name no longer than the
 * item; failure gives a NUL-terminated message.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ml_features.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text = malloc(size + 1);
	FeatureItem item;
	char		err[AP_FEATURE_ERRLEN];

	memcpy(text, data, size);
	text[size] = '\0';			/* SQL text has no NUL: the item ends at the first */
	memset(err, 0x7f, sizeof(err));
	if (ParseFeatureItem(text, &item, err, sizeof(err)))
	{
		assert(item.kind >= 0 && item.kind < FeatureKindCount());
		assert(item.nparams == FeatureKindParams(item.kind));
		assert(memchr(item.name, '\0', sizeof(item.name)) != NULL);
		assert(strlen(item.name) == strlen(text));
		for (int i = 0; i < item.nparams; i++)
			assert(item.params[i] > 0 && item.params[i] <= AP_FEATURE_MAX_PERIOD);
	}
	else
		assert(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
	free(text);
	return 0;
}
