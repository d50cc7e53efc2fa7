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

#include "ml_trainer.h"
#include "ml_util.h"

int			ap_xgboost_threads = AP_DEFAULT_XGBOOST_THREADS;
int			ap_max_training_memory = AP_DEFAULT_MAX_TRAINING_MEMORY_MB;
int			ap_max_xgboost_threads = AP_DEFAULT_MAX_XGBOOST_THREADS;
bool		ap_check_training_estimate = AP_DEFAULT_CHECK_TRAINING_ESTIMATE;
int			ap_max_concurrent_trainers = AP_DEFAULT_MAX_CONCURRENT_TRAINERS;

/* Any role may lower alphapulse.xgboost_threads, none may raise it past the superuser's cap. */
static bool
CheckXgboostThreads(int *newval, void **extra, GucSource source)
{
	if (source != PGC_S_DEFAULT && *newval > ap_max_xgboost_threads)
	{
		GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
		GUC_check_errdetail("alphapulse.max_xgboost_threads is %d.", ap_max_xgboost_threads);
		GUC_check_errhint("A superuser can raise alphapulse.max_xgboost_threads.");
		return false;
	}
	return true;
}

/* Defines the settings; called from _PG_init, so it must not touch XGBoost. */
void
MlDefineSettings(void)
{
	/* the cap first, so that the check of xgboost_threads sees its configured value */
	DefineCustomIntVariable("alphapulse.max_xgboost_threads",
							"Largest value any role may give alphapulse.xgboost_threads.",
							NULL, &ap_max_xgboost_threads, AP_DEFAULT_MAX_XGBOOST_THREADS,
							1, AP_MAX_XGBOOST_THREADS,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("alphapulse.xgboost_threads",
							"Threads XGBoost may use in one backend (training and scoring).",
							"At most alphapulse.max_xgboost_threads.",
							&ap_xgboost_threads, AP_DEFAULT_XGBOOST_THREADS, 1, AP_MAX_XGBOOST_THREADS,
							PGC_USERSET, 0, CheckXgboostThreads, NULL, NULL);
	DefineCustomIntVariable("alphapulse.max_training_memory",
							"Memory one ap_train call may use: its estimate must fit, and the training process is limited to it.",
							NULL, &ap_max_training_memory, AP_DEFAULT_MAX_TRAINING_MEMORY_MB,
							AP_MIN_MAX_TRAINING_MEMORY_MB, AP_MAX_MAX_TRAINING_MEMORY_MB,
							PGC_SUSET, GUC_UNIT_MB, NULL, NULL, NULL);
	DefineCustomBoolVariable("alphapulse.training_memory_estimate",
							 "Refuse XGBoost jobs whose memory estimate exceeds alphapulse.max_training_memory.",
							 "Off, only the training process's hard limit applies.",
							 &ap_check_training_estimate, AP_DEFAULT_CHECK_TRAINING_ESTIMATE,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("alphapulse.max_concurrent_trainers",
							"Training jobs (ap_train calls) that may run at once in the cluster.",
							"Worst-case training memory is this times alphapulse.max_training_memory plus each trainer's overhead.",
							&ap_max_concurrent_trainers, AP_DEFAULT_MAX_CONCURRENT_TRAINERS,
							1, AP_MAX_MAX_CONCURRENT_TRAINERS,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	ModelsOpsDefineSettings();
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
