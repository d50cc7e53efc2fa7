/*
 * ml_validate.h - structural validation of stored models before any library
 * sees them.  Pure C (no PostgreSQL headers) so it can be fuzzed and
 * unit-tested on its own.
 *
 * XGBoost's model parser trusts its input: a child index out of range, a
 * cycle, a huge array count crash or hang the backend.  ApValidateXgbModel
 * accepts only what XGBoost 1.7's UBJSON writer emits for the models
 * AlphaPulse trains (gbtree, binary:logistic or reg:squarederror, one output),
 * with every count checked against the bytes left before anything is
 * allocated, and every tree checked to be a proper binary tree.
 */
#ifndef AP_ML_VALIDATE_H
#define AP_ML_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

/* trees a model may have: ap_train's num_round bound, one tree per round */
#define AP_MODEL_MAX_TREES 100000
/* nodes one tree may have (max_depth 20 needs 2^21 - 1) */
#define AP_MODEL_MAX_TREE_NODES (1 << 22)
/* nodes of all trees together (100,000 rounds of depth-6 trees fit) */
#define AP_MODEL_MAX_TOTAL_NODES (1 << 24)
/* features a model may take */
#define AP_MODEL_MAX_FEATURES 100000
/* UBJSON nesting the model schema needs (top, learner, booster, dart's gbtree, model, trees, tree, param) */
#define AP_MODEL_MAX_DEPTH 9
/* bytes a rejection reason takes, with its terminating zero */
#define AP_MODEL_REASON_LEN 160

typedef struct ApModelSummary
{
	int			num_feature;
	int			num_trees;
	long		total_nodes;
	bool		logistic;		/* binary:logistic, else reg:squarederror */
} ApModelSummary;

/*
 * Validates an XGBoost UBJSON model buffer for a model of expected_features
 * features.  Returns true when it is sound (and fills *summary when not NULL);
 * otherwise false with a short reason in reason[AP_MODEL_REASON_LEN].
 */
extern bool ApValidateXgbModel(const unsigned char *buf, size_t len, int expected_features,
							   ApModelSummary *summary, char *reason);

/*
 * Validates a linear model: n (1..AP_MODEL_MAX_FEATURES) finite coefficients
 * and means, finite positive scales and a finite intercept.
 */
extern bool ApValidateLinear(const double *coef, const double *mean, const double *scale,
							 int n, double intercept, char *reason);

/*
 * A library error message fit to show: its first line only (XGBoost appends
 * a stack trace with library addresses), no "[hh:mm:ss]" stamp or source
 * path, printable ASCII, at most outlen - 1 bytes ("unknown error" if empty).
 */
extern void ApCleanLibraryError(const char *msg, char *out, size_t outlen);

#endif							/* AP_ML_VALIDATE_H */
