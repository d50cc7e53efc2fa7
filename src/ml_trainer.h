/*
 * ml_trainer.h - the backend side of the XGBoost trainer process: settings
 * that bound it, the memory estimate, and the calls that start it, run fits
 * and stop it.
 */
#ifndef AP_ML_TRAINER_H
#define AP_ML_TRAINER_H

#include "postgres.h"

#include "ml_xgb.h"

/* alphapulse.max_training_memory in MB: the estimate's limit and the trainer's address space */
#define AP_DEFAULT_MAX_TRAINING_MEMORY_MB 1024
#define AP_MIN_MAX_TRAINING_MEMORY_MB 32
#define AP_MAX_MAX_TRAINING_MEMORY_MB (1024 * 1024)
/* alphapulse.max_xgboost_threads: the cap on alphapulse.xgboost_threads */
#define AP_DEFAULT_MAX_XGBOOST_THREADS 4
#define AP_DEFAULT_XGBOOST_THREADS 1
#define AP_MAX_XGBOOST_THREADS 64
/* alphapulse.training_memory_estimate: refuse jobs whose estimate exceeds the limit */
#define AP_DEFAULT_CHECK_TRAINING_ESTIMATE true
/* alphapulse.max_concurrent_trainers: training jobs running at once, cluster-wide */
#define AP_DEFAULT_MAX_CONCURRENT_TRAINERS 2
#define AP_MAX_MAX_CONCURRENT_TRAINERS 1024
/* objsubid of the training slot locks (LOCKTAG_OBJECT on pg_extension, objid = slot) */
#define AP_TRAINER_SLOT_LOCK_SUBID 0x4150

/*
 * Address space the trainer needs besides its data and XGBoost's working
 * memory: the program, libxgboost, libgomp and libc mappings (~40 MB), two
 * malloc arenas (MALLOC_ARENA_MAX=2: 2 x 64 MB reserved) and one 8 MB stack
 * per thread.  Added to alphapulse.max_training_memory for RLIMIT_AS.
 */
#define AP_TRAINER_BASE_VM_MB 256
#define AP_TRAINER_STACK_MB 8

extern int	ap_max_training_memory;
extern int	ap_max_xgboost_threads;
extern bool ap_check_training_estimate;

/* threads XGBoost may use now: alphapulse.xgboost_threads, capped */
extern int	XgbThreads(void);

/* One request to the trainer. */
typedef struct TrainerFit
{
	int			train_from,
				train_to,
				eval_from,
				eval_to;
	int			max_rounds;
	int			es_rounds;
	bool		early_stop;
	bool		want_model;
} TrainerFit;

/* What a fit returns (palloc'd in the current context). */
typedef struct TrainerOut
{
	int			rounds;
	int			rounds_run;
	double		best_metric;
	double	   *curve;			/* 2 * rounds_run: train, valid */
	double	   *pred;			/* eval_to - eval_from */
	bytea	   *model;			/* UBJ when want_model, else NULL */
} TrainerOut;

/* Starts the trainer with the rows x (n x p, row-major) and labels y. */
extern void TrainerStart(const double *x, const double *y, int n, int p);
extern void TrainerRun(const TrainerFit *f, const XgbParams *ps, TrainerOut *out);
/* Kills and reaps the trainer if one runs (safe to call at any time). */
extern void TrainerStop(void);
extern int	ap_max_concurrent_trainers;
extern void TrainerSlotAcquire(void);
extern void TrainerSlotRelease(void);
extern bool TrainerRunning(void);

#endif							/* AP_ML_TRAINER_H */
