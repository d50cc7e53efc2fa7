/*
 * ml_trainer.c - runs XGBoost training in a separate process
 * (alphapulse_trainer) so that the worst a training job can do is fail
 * cleanly: the child has a hard address-space limit, dies with the backend
 * (PR_SET_PDEATHSIG), and is killed and reaped at once on error, cancel or
 * backend exit.  The backend only ever waits on the pipe through its latch,
 * so cancels and terminates are served within one wait (100 ms).
 */
#include "postgres.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/string.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "catalog/pg_extension.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "ml_trainer.h"
#include "ml_util.h"
#include "trainer/trainer_proto.h"

#define TRAINER_PROGRAM "alphapulse_trainer"
/* how long one wait on the pipe lasts before interrupts are checked again */
#define TRAINER_WAIT_MS 100
/* a larger pipe moves the training matrix with fewer wake-ups */
#define TRAINER_PIPE_BYTES (1024 * 1024)

static pid_t trainer_pid = 0;
static int	to_child = -1;
static int	from_child = -1;
static bool exit_hook_registered = false;

int
XgbThreads(void)
{
	return Min(ap_xgboost_threads, ap_max_xgboost_threads);
}

bool
TrainerRunning(void)
{
	return trainer_pid > 0;
}

/* Kills and reaps the child; never leaves a zombie. Returns its wait status. */
static int
KillTrainer(void)
{
	int			status = 0;

	if (to_child >= 0)
		close(to_child);
	if (from_child >= 0)
		close(from_child);
	to_child = from_child = -1;
	if (trainer_pid > 0)
	{
		kill(trainer_pid, SIGKILL);
		while (waitpid(trainer_pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	trainer_pid = 0;
	return status;
}

void
TrainerStop(void)
{
	KillTrainer();
}

/* FATAL, pg_terminate_backend and any other exit: no orphan trainer. */
static void
TrainerAtExit(int code, Datum arg)
{
	KillTrainer();
}

/* The address-space limit of the child, in bytes. */
static rlim_t
TrainerAddressLimit(int threads)
{
	return ((rlim_t) ap_max_training_memory + AP_TRAINER_BASE_VM_MB +
			(rlim_t) threads * AP_TRAINER_STACK_MB) * 1024 * 1024;
}

/*
 * The child ended (EOF, EPIPE or an ERROR frame with text msg): reap it and
 * report why, as out of memory when the limit is the likely cause.
 */
static void
TrainerFailed(const char *msg)
{
	int			status = 0;
	int			sig = 0;
	bool		oom;
	char		limit[64];

	/* give it a moment to exit by itself so that its status tells why */
	if (trainer_pid > 0)
	{
		for (int i = 0; i < 50; i++)
		{
			pid_t		r = waitpid(trainer_pid, &status, WNOHANG);

			if (r == trainer_pid)
			{
				trainer_pid = 0;
				break;
			}
			pg_usleep(10000L);
		}
	}
	if (trainer_pid > 0)
		status = KillTrainer();
	else
		KillTrainer();
	if (WIFSIGNALED(status))
		sig = WTERMSIG(status);
	oom = (msg && (strstr(msg, "bad_alloc") || strstr(msg, "emory"))) ||
		sig == SIGKILL || sig == SIGABRT || sig == SIGSEGV || sig == SIGBUS;
	snprintf(limit, sizeof(limit), "%d MB", ap_max_training_memory);
	if (oom)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("training ran out of memory"),
				 msg ? errdetail("The training process is limited to %s by alphapulse.max_training_memory; XGBoost reported: %s.", limit, msg) :
				 errdetail("The training process is limited to %s by alphapulse.max_training_memory and ended with signal %d (%s).",
						   limit, sig, strsignal(sig)),
				 errhint("Lower num_round, max_depth, max_bin or the rows, or ask a superuser to raise alphapulse.max_training_memory.")));
	if (msg)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("xgboost training failed"),
				 errdetail("%s.", msg)));
	ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
			 errmsg("the training process ended unexpectedly"),
			 sig ? errdetail("It ended with signal %d (%s).", sig, strsignal(sig)) :
			 errdetail("It exited with status %d.", WIFEXITED(status) ? WEXITSTATUS(status) : -1)));
}

/* Moves len bytes to or from the child, serving interrupts while waiting. */
static void
PipeIo(bool writing, void *buf, size_t len)
{
	char	   *p = buf;

	while (len > 0)
	{
		ssize_t		r;

		CHECK_FOR_INTERRUPTS();
		r = writing ? write(to_child, p, Min(len, (size_t) TRAINER_PIPE_BYTES)) :
			read(from_child, p, Min(len, (size_t) TRAINER_PIPE_BYTES));
		if (r > 0)
		{
			p += r;
			len -= (size_t) r;
			continue;
		}
		if (r == 0 || (r < 0 && errno == EPIPE))
			TrainerFailed(NULL);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
		{
			int			save = errno;

			KillTrainer();
			errno = save;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not talk to the training process: %m")));
		}
		(void) WaitLatchOrSocket(MyLatch,
								 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH |
								 (writing ? WL_SOCKET_WRITEABLE : WL_SOCKET_READABLE),
								 writing ? to_child : from_child, TRAINER_WAIT_MS,
								 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

void
TrainerStart(const double *x, const double *y, int n, int p)
{
	char		path[MAXPGPATH];
	char	   *argv[2];
	char		env_threads[32];
	char	   *envp[4];
	int			in_pipe[2],
				out_pipe[2];
	struct rlimit as,
				stack,
				nofile;
	int			threads = XgbThreads();
	int			maxfd;
	pid_t		parent = getpid();
	pid_t		pid;
	uint8_t		hdr[AP_FRAME_HEADER + AP_DATA_HEADER];
	int32_t		dh[3] = {n, p, threads};

	if (trainer_pid > 0)
		KillTrainer();
	if (!exit_hook_registered)
	{
		before_shmem_exit(TrainerAtExit, (Datum) 0);
		exit_hook_registered = true;
	}
	snprintf(path, sizeof(path), "%s/%s", pkglib_path, TRAINER_PROGRAM);
	if (access(path, X_OK) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("training program \"%s\" is not installed", path),
				 errhint("Reinstall the extension (make install installs it next to alphapulse.so).")));
	if ((uint64) n * (uint64) p > (uint64) AP_TRAINER_MAX_ROWS || p > AP_TRAINER_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training matrix of %d rows and %d features is too large", n, p)));

	/* everything the child needs is built before fork: it only calls async-signal-safe functions */
	argv[0] = path;
	argv[1] = NULL;
	snprintf(env_threads, sizeof(env_threads), "OMP_NUM_THREADS=%d", threads);
	envp[0] = "MALLOC_ARENA_MAX=2";
	envp[1] = env_threads;
	envp[2] = "PATH=/usr/bin:/bin";
	envp[3] = NULL;
	as.rlim_cur = as.rlim_max = TrainerAddressLimit(threads);
	stack.rlim_cur = stack.rlim_max = (rlim_t) AP_TRAINER_STACK_MB * 1024 * 1024;
	if (getrlimit(RLIMIT_NOFILE, &nofile) != 0 || nofile.rlim_cur > 65536)
		nofile.rlim_cur = 65536;
	maxfd = (int) nofile.rlim_cur;

	if (pipe2(in_pipe, O_CLOEXEC) != 0)
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not create a pipe: %m")));
	if (pipe2(out_pipe, O_CLOEXEC) != 0)
	{
		close(in_pipe[0]);
		close(in_pipe[1]);
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not create a pipe: %m")));
	}
	(void) fcntl(in_pipe[1], F_SETPIPE_SZ, TRAINER_PIPE_BYTES);
	(void) fcntl(out_pipe[0], F_SETPIPE_SZ, TRAINER_PIPE_BYTES);

	pid = fork();
	if (pid == 0)
	{
		/* child: async-signal-safe calls only, then exec */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
			_exit(126);
		if (dup2(in_pipe[0], 0) < 0 || dup2(out_pipe[1], 1) < 0)
			_exit(126);
		for (int fd = 3; fd < maxfd; fd++)
			close(fd);
		if (setrlimit(RLIMIT_AS, &as) != 0 || setrlimit(RLIMIT_STACK, &stack) != 0)
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		execve(path, argv, envp);
		_exit(127);
	}
	close(in_pipe[0]);
	close(out_pipe[1]);
	if (pid < 0)
	{
		close(in_pipe[1]);
		close(out_pipe[0]);
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start the training process: %m")));
	}
	trainer_pid = pid;
	elog(DEBUG1, "training process %d started, address space limited to %lu MB",
		 (int) pid, (unsigned long) (as.rlim_cur / (1024 * 1024)));
	to_child = in_pipe[1];
	from_child = out_pipe[0];
	if (fcntl(to_child, F_SETFL, O_NONBLOCK) != 0 || fcntl(from_child, F_SETFL, O_NONBLOCK) != 0)
	{
		KillTrainer();
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not set up the training pipe: %m")));
	}

	ApPutFrame(hdr, AP_MSG_DATA, (uint32) ApDataLength(n, p));
	memcpy(hdr + AP_FRAME_HEADER, dh, sizeof(dh));
	if (ApDataLength(n, p) > UINT32_MAX)
	{
		KillTrainer();
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training matrix of %d rows and %d features is too large", n, p),
				 errdetail("The matrix and labels must fit in 4 GB.")));
	}
	PipeIo(true, hdr, sizeof(hdr));
	PipeIo(true, (void *) x, sizeof(double) * (size_t) n * p);
	PipeIo(true, (void *) y, sizeof(double) * (size_t) n);
}

void
TrainerRun(const TrainerFit *f, const XgbParams *ps, TrainerOut *out)
{
	ApFitRequest req;
	uint8_t		buf[AP_FRAME_HEADER + AP_MAX_FIT_REQUEST];
	uint8_t		rh[AP_FRAME_HEADER];
	int			len;
	uint32		type,
				rlen;
	char	   *res;
	ApResultHeader h;
	uint32_t	model_len;
	const char *err;
	int			ne = f->eval_to - f->eval_from;
	uint64		max_len;

	if (trainer_pid <= 0)
		elog(ERROR, "the training process is not running");
	memset(&req, 0, sizeof(req));
	req.train_from = f->train_from;
	req.train_to = f->train_to;
	req.eval_from = f->eval_from;
	req.eval_to = f->eval_to;
	req.max_rounds = f->max_rounds;
	req.es_rounds = f->es_rounds;
	req.early_stop = f->early_stop;
	req.want_model = f->want_model;
	req.nparams = ps->n;
	for (int i = 0; i < ps->n; i++)
	{
		strlcpy(req.name[i], ps->name[i], AP_TRAINER_NAME_LEN);
		strlcpy(req.value[i], ps->value[i], AP_TRAINER_VALUE_LEN);
	}
	len = ApEncodeFit(&req, buf + AP_FRAME_HEADER, AP_MAX_FIT_REQUEST);
	if (len < 0)
		elog(ERROR, "could not encode a training request");
	ApPutFrame(buf, AP_MSG_FIT, (uint32) len);
	PipeIo(true, buf, AP_FRAME_HEADER + len);

	PipeIo(false, rh, sizeof(rh));
	ApGetFrame(rh, &type, &rlen);
	if (type == AP_MSG_ERROR && rlen <= AP_MAX_ERROR_TEXT)
	{
		char		text[AP_MAX_ERROR_TEXT + 1];

		PipeIo(false, text, rlen);
		text[rlen] = '\0';
		pg_clean_ascii(text);
		TrainerFailed(text);
	}
	/* the result can hold a model of up to 1 GB besides the curve and predictions */
	max_len = AP_RESULT_HEADER + 16 * (uint64) f->max_rounds + 8 * (uint64) ne + 4 + MaxAllocSize;
	if (type != AP_MSG_RESULT || rlen < AP_RESULT_HEADER || rlen > max_len)
	{
		KillTrainer();
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("invalid message from the training process")));
	}
	res = MemoryContextAllocHuge(CurrentMemoryContext, rlen);
	PipeIo(false, res, rlen);
	if ((err = ApDecodeResult((uint8_t *) res, rlen, f->max_rounds, ne, &h, &model_len)) != NULL)
	{
		KillTrainer();
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("invalid result from the training process"),
				 errdetail("%s.", err)));
	}
	out->rounds = h.rounds;
	out->rounds_run = h.rounds_run;
	out->best_metric = h.best_metric;
	out->curve = palloc(sizeof(double) * (2 * (size_t) h.rounds_run + 1));
	memcpy(out->curve, res + AP_RESULT_HEADER, sizeof(double) * 2 * (size_t) h.rounds_run);
	out->pred = palloc(sizeof(double) * ((size_t) ne + 1));
	memcpy(out->pred, res + AP_RESULT_HEADER + 16 * (size_t) h.rounds_run, sizeof(double) * ne);
	out->model = NULL;
	if (f->want_model)
	{
		if ((Size) model_len + VARHDRSZ > MaxAllocSize || model_len == 0)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the trained model is too large to store"),
					 errdetail("It has %u bytes; a model must fit in 1 GB.", model_len),
					 errhint("Lower num_round or max_depth.")));
		out->model = palloc(VARHDRSZ + model_len);
		SET_VARSIZE(out->model, VARHDRSZ + model_len);
		memcpy(VARDATA(out->model), res + rlen - model_len, model_len);
	}
	pfree(res);
}

/*
 * Training slots (alphapulse.max_concurrent_trainers): slot i is an exclusive
 * lock on a shared LOCKTAG_OBJECT tag that no SQL function can name, so only
 * ap_train takes it; a slot is never waited for, and an aborting transaction
 * frees it.  No shared memory is needed.
 */
static int	held_slot = -1;

static void
TrainerSlotTag(LOCKTAG *tag, int slot)
{
	SET_LOCKTAG_OBJECT(*tag, InvalidOid, ExtensionRelationId, (Oid) slot,
					   AP_TRAINER_SLOT_LOCK_SUBID);
}

void
TrainerSlotAcquire(void)
{
	int			cap = ap_max_concurrent_trainers;

	if (held_slot >= 0)
		return;
	for (int i = 0; i < cap; i++)
	{
		LOCKTAG		tag;

		TrainerSlotTag(&tag, i);
		if (LockAcquire(&tag, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL)
		{
			held_slot = i;
			return;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
			 errmsg("too many training jobs are running"),
			 errdetail("alphapulse.max_concurrent_trainers is %d, and every slot is taken.", cap),
			 errhint("Retry when a training job has finished, or ask a superuser to raise alphapulse.max_concurrent_trainers.")));
}

/* Frees the slot at once (a transaction end would free it too). */
void
TrainerSlotRelease(void)
{
	LOCKTAG		tag;

	if (held_slot < 0)
		return;
	TrainerSlotTag(&tag, held_slot);
	held_slot = -1;
	LockRelease(&tag, ExclusiveLock, false);
}
