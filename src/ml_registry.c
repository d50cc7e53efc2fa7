/*
 * ml_registry.c - settings of the model subsystem and the trigger that turns
 * a change of alphapulse.models into a relcache invalidation, which other
 * sessions receive only once the change commits.
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/rel.h"

#include "ml_util.h"

int			ap_xgboost_threads = 1;

/* Defines the settings; called from _PG_init, so it must not touch XGBoost. */
void
MlDefineSettings(void)
{
	DefineCustomIntVariable("alphapulse.xgboost_threads",
							"Threads XGBoost may use in one backend (training and scoring).",
							NULL, &ap_xgboost_threads, 1, 1, 64,
							PGC_USERSET, 0, NULL, NULL, NULL);
}

PG_FUNCTION_INFO_V1(ap_models_invalidate);

/* Statement trigger on alphapulse.models: queue a relcache invalidation. */
Datum
ap_models_invalidate(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "ap_models_invalidate: not called as a trigger");
	CacheInvalidateRelcache(td->tg_relation);
	return PointerGetDatum(NULL);
}
