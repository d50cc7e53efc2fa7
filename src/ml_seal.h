/*
 * ml_seal.h - the keyed integrity seal (HMAC-SHA256) of stored models, and
 * running registration statements as the owner of alphapulse.models.
 */
#ifndef AP_ML_SEAL_H
#define AP_ML_SEAL_H

#include "postgres.h"

/* the server-side key, relative to the data directory (the backends' cwd) */
#define AP_MODEL_KEY_FILE "alphapulse_model.key"
#define AP_MODEL_KEY_LEN 32
#define AP_MODEL_MAC_LEN 32
/* domain tag: this key's MACs mean "a model row sealed by AlphaPulse", nothing else */
#define AP_MODEL_MAC_TAG "alphapulse-model-mac-v2"
/* the search_path internal SQL runs with */
#define AP_SAFE_SEARCH_PATH "pg_catalog, pg_temp"

/*
 * What a seal binds the model to besides its bytes (issue 7 F6): the symbol,
 * the feature set and the text of the feature names (feature_names::text),
 * so that a model row cannot be relabelled to another symbol or set.
 */
typedef struct ApModelIdentity
{
	const char *symbol;
	const char *feature_set;
	const char *feature_names;
} ApModelIdentity;

extern void ApModelMac(const char *algorithm, int p, const ApModelIdentity *who,
					   const void *data, size_t len, uint8 *mac);
extern bool ApModelMacMatches(const char *algorithm, int p, const ApModelIdentity *who,
							  const void *data, size_t len, bytea *stored);
extern char *ApCoefficientsText(Datum coefficients);
extern bytea *ApSealModel(const char *algorithm, int p, const ApModelIdentity *who,
						  bytea *model, Datum coefficients, char *reason);
extern int	ApExecuteAsModelsOwner(const char *sql, int nargs, Oid *types, Datum *values,
								   const char *nulls, long tcount);
extern void ApCheckMayRegister(const char *action);
extern int	ApPinSearchPath(void);
extern void ApUnpinSearchPath(int nest);

#endif							/* AP_ML_SEAL_H */
