/*
 * alphapulse.c - module entry point.  Loaded by shared_preload_libraries in
 * the postmaster, so nothing here may start threads or touch XGBoost.
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Nothing to set up yet; kept so preloading is cheap and fork-safe. */
void
_PG_init(void)
{
}
