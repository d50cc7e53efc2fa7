/*
 * alphapulse_trainer - runs XGBoost training for one ap_train call, outside
 * the backend.  The backend starts it with a hard address-space limit, sends
 * the training matrix once on stdin and then FIT requests; each gets a RESULT
 * (best rounds, learning curve, predictions on the evaluation range and, when
 * asked, the model as UBJ) or an ERROR on stdout.  Any failure, including
 * running out of memory, ends only this process.  Plain C over the XGBoost C
 * API: no PostgreSQL.
 *
 * The calls mirror what the backend did in 0.1.0 (same matrices, same order
 * of parameters, same predictions), so the same seed gives the same model
 * bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xgboost/c_api.h>

#include "trainer_proto.h"

static int	threads = 1;

static void
WriteAll(const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0)
	{
		ssize_t		w = write(1, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(3);			/* the backend is gone */
		p += w;
		len -= (size_t) w;
	}
}

/* Reads exactly len bytes; returns 0 at a clean end of input before any byte. */
static int
ReadAll(void *buf, size_t len)
{
	char	   *p = buf;
	size_t		got = 0;

	while (got < len)
	{
		ssize_t		r = read(0, p + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && got == 0)
			return 0;
		if (r <= 0)
			_exit(3);
		got += (size_t) r;
	}
	return 1;
}

/* Sends an ERROR frame (first line of msg only: no library stack traces) and exits. */
static void
Fail(const char *what, const char *msg)
{
	char		text[AP_MAX_ERROR_TEXT];
	uint8_t		hdr[AP_FRAME_HEADER];
	size_t		len;

	snprintf(text, sizeof(text), "%s: %s", what, msg ? msg : "");
	len = strcspn(text, "\n");
	/* XGBoost prefixes "[time] file:line: "; keep what follows */
	ApPutFrame(hdr, AP_MSG_ERROR, (uint32_t) len);
	WriteAll(hdr, sizeof(hdr));
	WriteAll(text, len);
	exit(1);
}

static void
Check(int rc, const char *what)
{
	if (rc != 0)
		Fail(what, XGBGetLastError());
}

static void *
Alloc(size_t n)
{
	void	   *p = malloc(n ? n : 1);

	if (p == NULL)
		Fail("allocation", "std::bad_alloc");
	return p;
}

static DMatrixHandle
Matrix(const double *x, int n, int p, const double *y)
{
	DMatrixHandle h;
	char		iface[256];
	char		config[64];
	float	   *fy = Alloc(sizeof(float) * (size_t) n);

	snprintf(iface, sizeof(iface),
			 "{\"data\": [%lu, true], \"shape\": [%d, %d], \"typestr\": \"<f8\", \"version\": 3}",
			 (unsigned long) (uintptr_t) x, n, p);
	snprintf(config, sizeof(config), "{\"missing\": NaN, \"nthread\": %d}", threads);
	Check(XGDMatrixCreateFromDense(iface, config, &h), "matrix creation");
	for (int i = 0; i < n; i++)
		fy[i] = (float) y[i];
	Check(XGDMatrixSetFloatInfo(h, "label", fy, (bst_ulong) n), "setting labels");
	free(fy);
	return h;
}

/* Reads "name-metric:value" for the given eval name from an eval string. */
static double
EvalValue(const char *s, const char *name)
{
	const char *p = strstr(s, name);

	if (p == NULL)
		return NAN;
	p = strchr(p, ':');
	return p ? strtod(p + 1, NULL) : NAN;
}

static void
CopyPredictions(const bst_ulong *shape, bst_ulong dim, const float *res, double *out, int n)
{
	bst_ulong	total = 1;

	for (bst_ulong k = 0; k < dim; k++)
		total *= shape[k];
	if (total != (bst_ulong) n)
		Fail("prediction", "unexpected number of values");
	for (int i = 0; i < n; i++)
		out[i] = res[i];
}

static void
RunFit(const ApFitRequest *r, const double *x, const double *y, int p)
{
	int			nt = r->train_to - r->train_from,
				ne = r->eval_to - r->eval_from;
	DMatrixHandle cache[2] = {NULL, NULL};
	BoosterHandle b;
	char		buf[16];
	double	   *curve = Alloc(sizeof(double) * 2 * (size_t) r->max_rounds);
	double	   *pred = Alloc(sizeof(double) * (size_t) ne);
	int			best = 0,
				i;
	double		best_val = NAN;
	const bst_ulong *shape;
	bst_ulong	dim;
	const float *res;
	bst_ulong	model_len = 0;
	const char *model = NULL;
	uint8_t		hdr[AP_FRAME_HEADER + AP_RESULT_HEADER];
	int32_t		ints[3];
	uint32_t	mlen;
	uint64_t	total;

	cache[0] = Matrix(x + (size_t) r->train_from * p, nt, p, y + r->train_from);
	if (r->early_stop)
		cache[1] = Matrix(x + (size_t) r->eval_from * p, ne, p, y + r->eval_from);
	Check(XGBoosterCreate(cache, r->early_stop ? 2 : 1, &b), "booster creation");
	snprintf(buf, sizeof(buf), "%d", threads);
	Check(XGBoosterSetParam(b, "nthread", buf), "setting nthread");
	for (int k = 0; k < r->nparams; k++)
		Check(XGBoosterSetParam(b, r->name[k], r->value[k]), "setting a parameter");

	for (i = 0; i < r->max_rounds; i++)
	{
		const char *names[2] = {"train", "valid"};
		const char *out;
		double		v;

		Check(XGBoosterUpdateOneIter(b, i, cache[0]), "boosting");
		if (!r->early_stop)
		{
			/* a refit with a fixed round count: no curve, no evaluation cost */
			curve[2 * i] = curve[2 * i + 1] = NAN;
			continue;
		}
		Check(XGBoosterEvalOneIter(b, i, cache, names, 2, &out), "evaluation");
		curve[2 * i] = EvalValue(out, "train-");
		v = EvalValue(out, "valid-");
		curve[2 * i + 1] = v;
		if (i == 0 || v < best_val)
		{
			best_val = v;
			best = i;
		}
		else if (r->es_rounds > 0 && i - best >= r->es_rounds)
		{
			i++;
			break;
		}
	}
	ints[1] = i;
	ints[0] = (r->early_stop && r->es_rounds > 0) ? best + 1 : i;
	ints[2] = ne;

	if (r->early_stop)
	{
		char		config[256];

		snprintf(config, sizeof(config),
				 "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
				 "\"iteration_end\": %d, \"strict_shape\": false}", ints[0]);
		Check(XGBoosterPredictFromDMatrix(b, cache[1], config, &shape, &dim, &res), "prediction");
	}
	else
	{
		char		iface[256];
		static const char *config = "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
			"\"iteration_end\": 0, \"strict_shape\": false, \"cache_id\": 0, \"missing\": NaN}";

		snprintf(iface, sizeof(iface),
				 "{\"data\": [%lu, true], \"shape\": [%d, %d], \"typestr\": \"<f8\", \"version\": 3}",
				 (unsigned long) (uintptr_t) (x + (size_t) r->eval_from * p), ne, p);
		if (XGBoosterPredictFromDense(b, iface, config, NULL, &shape, &dim, &res) != 0)
		{
			/* gblinear has no in-place prediction: through a DMatrix */
			static const char *dm_config = "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
				"\"iteration_end\": 0, \"strict_shape\": false}";

			cache[1] = Matrix(x + (size_t) r->eval_from * p, ne, p, y + r->eval_from);
			Check(XGBoosterPredictFromDMatrix(b, cache[1], dm_config, &shape, &dim, &res), "prediction");
		}
	}
	CopyPredictions(shape, dim, res, pred, ne);
	if (r->want_model)
	{
		Check(XGBoosterSaveModelToBuffer(b, "{\"format\": \"ubj\"}", &model_len, &model),
			  "saving the model");
		if (model_len > 0xFFFFFFF0u)
			Fail("saving the model", "model too large");
	}
	mlen = (uint32_t) model_len;
	total = AP_RESULT_HEADER + 16 * (uint64_t) ints[1] + 8 * (uint64_t) ne + 4 + mlen;
	if (total > 0xFFFFFFFFu)
		Fail("sending the result", "result too large");
	ApPutFrame(hdr, AP_MSG_RESULT, (uint32_t) total);
	memcpy(hdr + AP_FRAME_HEADER, ints, sizeof(ints));
	memcpy(hdr + AP_FRAME_HEADER + 12, &best_val, 8);
	WriteAll(hdr, sizeof(hdr));
	WriteAll(curve, sizeof(double) * 2 * (size_t) ints[1]);
	WriteAll(pred, sizeof(double) * (size_t) ne);
	WriteAll(&mlen, 4);
	if (mlen)
		WriteAll(model, mlen);
	free(curve);
	free(pred);
	XGBoosterFree(b);
	XGDMatrixFree(cache[0]);
	if (cache[1])
		XGDMatrixFree(cache[1]);
}

int
main(void)
{
	uint8_t		hdr[AP_FRAME_HEADER];
	uint8_t		dh[AP_DATA_HEADER];
	uint8_t		req[AP_MAX_FIT_REQUEST];
	uint32_t	type,
				len;
	ApDataHeader d;
	ApFitRequest fit;
	const char *err;
	double	   *x,
			   *y;
	int			fd;

	/* if memory runs out anyway, the kernel should pick this process */
	fd = open("/proc/self/oom_score_adj", O_WRONLY);
	if (fd >= 0)
	{
		if (write(fd, "1000", 4) < 0)
			(void) 0;
		close(fd);
	}
	if (!ReadAll(hdr, sizeof(hdr)))
		return 0;
	ApGetFrame(hdr, &type, &len);
	if (type != AP_MSG_DATA || len < AP_DATA_HEADER)
		Fail("protocol", "expected the training data");
	ReadAll(dh, sizeof(dh));
	if ((err = ApDecodeDataHeader(dh, sizeof(dh), len, &d)) != NULL)
		Fail("protocol", err);
	threads = d.threads;
	x = Alloc(sizeof(double) * (size_t) d.n * (size_t) d.p);
	y = Alloc(sizeof(double) * (size_t) d.n);
	ReadAll(x, sizeof(double) * (size_t) d.n * (size_t) d.p);
	ReadAll(y, sizeof(double) * (size_t) d.n);

	while (ReadAll(hdr, sizeof(hdr)))
	{
		ApGetFrame(hdr, &type, &len);
		if (type != AP_MSG_FIT || len > AP_MAX_FIT_REQUEST)
			Fail("protocol", "expected a fit request");
		ReadAll(req, len);
		if ((err = ApDecodeFit(req, len, d.n, &fit)) != NULL)
			Fail("protocol", err);
		RunFit(&fit, x, y, d.p);
	}
	return 0;
}
