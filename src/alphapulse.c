/*
 * alphapulse.c - module entry point.  Loaded by shared_preload_libraries in
 * the postmaster, so nothing here may start threads or touch XGBoost.
 */
#include "postgres.h"

#include "fmgr.h"

#include "ml_progress.h"
#include "ml_util.h"
#include "feed.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Settings and worker registration only: cheap and fork-safe when preloaded
 * (no threads, no libcurl, no XGBoost here). */
void
_PG_init(void)
{
	MlDefineSettings();
	RunLogInit();
	ProgressInit();
	FeedInit();
}
