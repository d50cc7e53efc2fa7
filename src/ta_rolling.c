/*
 * ta_rolling.c - window extremes and small helpers shared by the kernels.
 */
#include "ta.h"
#include "ta_stream.h"

/* Index of the first present value, or n when there is none. */
int
FirstPresent(const ta_real *x, int n)
{
	int			i = 0;

	while (i < n && !TA_HAS(x[i]))
	{
		TA_POLL(i);
		i++;
	}
	return i;
}

/* Mark every output slot as having no value. */
void
FillNone(ta_real *out, int n)
{
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		out[i] = TA_NONE;
	}
}

/*
 * Highest (sign = 1) or lowest (sign = -1) of the last p values, and its age in
 * bars; ties go to the most recent bar.  O(n) with a monotonic deque.
 */
static void
RollingExtreme(const ta_real *x, int n, int p, int sign, ta_real *out, int *age)
{
	int			first = FirstPresent(x, n);
	int			cap = (p < n ? p : n) + 1;	/* the deque never holds more */
	int		   *dq = TaAlloc(sizeof(int) * (size_t) cap);
	int			head = 0,
				tail = 0;		/* ring buffer of indices */

	FillNone(out, n);
	for (int i = first; i < n; i++)
	{
		ta_real		v = x[i] * sign;

		TA_POLL(i);
		while (tail != head)
		{
			int			back = dq[(tail - 1 + cap) % cap];

			if (x[back] * sign <= v)
				tail = (tail - 1 + cap) % cap;
			else
				break;
		}
		dq[tail] = i;
		tail = (tail + 1) % cap;
		if (dq[head] <= i - p)
			head = (head + 1) % cap;
		if (i - first >= p - 1)
		{
			out[i] = x[dq[head]];
			if (age)
				age[i] = i - dq[head];
		}
	}
	TaFree(dq);
}

void
ComputeRollingMax(const ta_real *x, int n, int p, ta_real *out, int *age)
{
	RollingExtreme(x, n, p, 1, out, age);
}

void
ComputeRollingMin(const ta_real *x, int n, int p, ta_real *out, int *age)
{
	RollingExtreme(x, n, p, -1, out, age);
}

/*
 * Streaming forms (ta_stream.h): the same deque, its slots holding values
 * rather than indexes into the input.
 */

static const char *const extreme_outputs[] = {"value", "age"};
static const TaStreamParam period_param[] = {
	{"n", TA_PARAM_PERIOD, 1, TA_STREAM_MAX_PERIOD, 20}
};

typedef struct ExtremeBody
{
	int32_t		started;
	int32_t		pad;
	TaDeque		d;
	TaDequeSlot slots[];
} ExtremeBody;

static size_t
ExtremeSize(const double *params)
{
	return offsetof(ExtremeBody, slots) +
		sizeof(TaDequeSlot) * TA_DEQUE_SLOTS(TA_P(params, 0));
}

static void
ExtremeInit(ExtremeBody *b, int p, int sign)
{
	b->started = 0;
	b->pad = 0;
	TaDequeInit(&b->d, p, sign);
}

/* value and age (as a real), TA_NONE before the window fills */
static void
ExtremeOut(ta_real v, int64_t age, ta_real *out)
{
	out[0] = v;
	out[1] = TA_HAS(v) ? (ta_real) age : TA_NONE;
}

static void
ExtremePush(void *body, const ta_real *in, ta_real *out)
{
	ExtremeBody *b = body;
	ta_real		v;
	int64_t		age = 0;

	if (!b->started && !TA_HAS(in[0]))
	{
		out[0] = out[1] = TA_NONE;
		return;
	}
	b->started = 1;
	v = TaDequePush(&b->d, b->slots, in[0], &age);
	ExtremeOut(v, age, out);
}

static void
ExtremePeek(const void *body, const ta_real *in, ta_real *out)
{
	const ExtremeBody *b = body;
	ta_real		v;
	int64_t		age = 0;

	if (!b->started && !TA_HAS(in[0]))
	{
		out[0] = out[1] = TA_NONE;
		return;
	}
	v = TaDequePeek(&b->d, b->slots, in[0], &age);
	ExtremeOut(v, age, out);
}

static bool
ExtremeCheck(const ExtremeBody *b, int p, int sign)
{
	return TaDequeValid(&b->d, b->slots, p, sign) &&
		(b->started == 1 || (b->started == 0 && b->d.next == 0));
}

/* the batch kernel with its ages as a second output */
static void
ExtremeBatch(const ta_real *x, int n, int p, int sign, ta_real *out, ta_real *age_out)
{
	int		   *age = TaAlloc(sizeof(int) * (size_t) (n > 0 ? n : 1));

	if (sign > 0)
		ComputeRollingMax(x, n, p, out, age);
	else
		ComputeRollingMin(x, n, p, out, age);
	for (int i = 0; i < n; i++)
	{
		TA_POLL(i);
		age_out[i] = TA_HAS(out[i]) ? (ta_real) age[i] : TA_NONE;
	}
	TaFree(age);
}

#define RollingMaxSize ExtremeSize
#define RollingMaxPush ExtremePush
#define RollingMaxPeek ExtremePeek
#define RollingMinSize ExtremeSize
#define RollingMinPush ExtremePush
#define RollingMinPeek ExtremePeek

static void
RollingMaxInit(void *body, const double *params)
{
	ExtremeInit(body, TA_P(params, 0), 1);
}

static bool
RollingMaxCheck(const void *body, const double *params)
{
	return ExtremeCheck(body, TA_P(params, 0), 1);
}

static void
RollingMaxBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ExtremeBatch(in[0], n, TA_P(params, 0), 1, out[0], out[1]);
}

TA_STREAM_DEFINE(rolling_max, "x", period_param, extreme_outputs, RollingMax);

static void
RollingMinInit(void *body, const double *params)
{
	ExtremeInit(body, TA_P(params, 0), -1);
}

static bool
RollingMinCheck(const void *body, const double *params)
{
	return ExtremeCheck(body, TA_P(params, 0), -1);
}

static void
RollingMinBatch(const ta_real *const *in, int n, const double *params, ta_real *const *out)
{
	ExtremeBatch(in[0], n, TA_P(params, 0), -1, out[0], out[1]);
}

TA_STREAM_DEFINE(rolling_min, "x", period_param, extreme_outputs, RollingMin);
