/*
 * alphapulse.c - module entry point.  Loaded by shared_preload_libraries in
 * the postmaster, so nothing here may start threads or touch XGBoost.
 */
#include "postgres.h"

#include "fmgr.h"

#include "ml_util.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Defines settings only; kept cheap and fork-safe (no threads, no XGBoost). */
void
_PG_init(void)
{
	MlDefineSettings();
}
