/*
 * ta_stream.h - streaming indicator state: the batch kernels of ta.h, one bar
 * at a time.  Plain C, no PostgreSQL headers (unit-tested in test/unit).
 *
 * A state is one flat block of memory whose size depends only on the kernel
 * and its parameters (ring buffers inside, no pointers), so the same bytes are
 * the working state and its saved form.  The contract of every kernel:
 *   - push(bar) gives exactly (bit for bit) the values the batch kernel gives
 *     at that bar over the whole history, in O(1) (window extremes by
 *     monotonic deques, never rescans);
 *   - peek(bar) gives what push(bar) would give, and changes nothing (a
 *     still-forming bar);
 *   - saved bytes are versioned, checksummed and bound to the kernel and its
 *     parameters; TaStreamLoad refuses anything else and validates every
 *     index, so untrusted bytes give an error, never an out-of-bounds access.
 *
 * Every streamable kernel is listed once, in ta_stream_list.h.
 */
#ifndef AP_TA_STREAM_H
#define AP_TA_STREAM_H

#include <float.h>
#include <stdint.h>
#include <string.h>

#include "ta.h"

#define TA_STREAM_MAGIC			0x41505354	/* "APST" */
#define TA_STREAM_VERSION		1
/* long doubles are saved as they are in memory: 64 bits of mantissa on x86 */
#define TA_STREAM_LAYOUT		((uint16_t) (LDBL_MANT_DIG * 256 + sizeof(ta_real)))
#define TA_STREAM_NAME_LEN		24	/* kernel name with its terminator */
#define TA_STREAM_MAX_INPUTS	4
#define TA_STREAM_MAX_PARAMS	4
#define TA_STREAM_MAX_OUTPUTS	5
/* longest period a state holds (the feature sets' AP_FEATURE_MAX_PERIOD) */
#define TA_STREAM_MAX_PERIOD	100000
/* bar counts a loaded state may hold: far beyond any history, far from overflow */
#define TA_STREAM_MAX_BARS		(INT64_C(1) << 62)

typedef enum TaParamKind
{
	TA_PARAM_PERIOD,			/* an integer in min..max */
	TA_PARAM_REAL,				/* a finite real in min..max */
	TA_PARAM_FLAG				/* 0 or 1 */
} TaParamKind;

typedef struct TaStreamParam
{
	const char *name;
	TaParamKind kind;
	double		min;
	double		max;
	double		dflt;			/* the usual value (tests and bench) */
} TaStreamParam;

/*
 * One streamable kernel.  Inputs are named by one letter each, in the order
 * push() takes them: h high, l low, c close, v volume, x any series (a
 * chainable kernel: leading missing values are skipped as the batch kernel's
 * FirstPresent does).  The body functions work on the kernel's own part of
 * the state (after the TaStream header); params are validated before any of
 * them is called.
 */
typedef struct TaStreamKernel
{
	const char *name;			/* as the SQL window function, without ap_ */
	const char *inputs;			/* e.g. "x", "cv", "hlcv" */
	int			nparams;
	const TaStreamParam *params;
	int			noutputs;
	const char *const *outputs;	/* one name per output field */
	/* bytes of the body for these params; 0 refuses them (cross-checks) */
	size_t		(*size) (const double *params);
	void		(*init) (void *body, const double *params);
	void		(*push) (void *body, const ta_real *in, ta_real *out);
	void		(*peek) (const void *body, const ta_real *in, ta_real *out);
	/* loaded bytes consistent with params: every index in range */
	bool		(*check) (const void *body, const double *params);
	/* the batch kernel, same inputs, params and outputs (n slots each) */
	void		(*batch) (const ta_real *const *in, int n, const double *params,
						  ta_real *const *out);
} TaStreamKernel;

/*
 * A state: this header, then the kernel's body (8-byte aligned).  Allocate
 * TaStreamStateSize() bytes (palloc's alignment is enough).
 */
typedef struct TaStream
{
	uint32_t	magic;
	uint16_t	version;
	uint16_t	layout;			/* TA_STREAM_LAYOUT of the machine that saved it */
	uint64_t	size;			/* bytes, header included */
	uint64_t	checksum;		/* saved form only: FNV-1a by words, this as 0 */
	char		kernel[TA_STREAM_NAME_LEN];
	double		params[TA_STREAM_MAX_PARAMS];	/* unused ones 0 */
	int64_t		bars;			/* bars pushed */
} TaStream;

#define TA_STREAM_BODY(s)		((void *) ((char *) (s) + sizeof(TaStream)))
#define TA_STREAM_CBODY(s)		((const void *) ((const char *) (s) + sizeof(TaStream)))

typedef enum TaStreamStatus
{
	TA_STREAM_OK = 0,
	TA_STREAM_BAD_PARAMS,		/* params out of range for the kernel */
	TA_STREAM_BAD_LENGTH,		/* not the size these params need */
	TA_STREAM_BAD_MAGIC,		/* not a streaming state at all */
	TA_STREAM_BAD_VERSION,		/* saved by another format version or machine */
	TA_STREAM_OTHER_KERNEL,		/* saved for another kernel */
	TA_STREAM_OTHER_PARAMS,		/* saved with other parameters */
	TA_STREAM_BAD_CHECKSUM,		/* bytes changed since saved */
	TA_STREAM_CORRUPT			/* checksum right, contents inconsistent */
} TaStreamStatus;

/* the list (ta_stream_list.h), in a fixed order */
extern const TaStreamKernel *const ta_stream_kernels[];
extern const int ta_stream_nkernels;

extern const TaStreamKernel *TaStreamFind(const char *name);
extern TaStreamStatus TaStreamCheckParams(const TaStreamKernel *k, const double *params);
/* 0 when params are refused */
extern size_t TaStreamStateSize(const TaStreamKernel *k, const double *params);
/* s has TaStreamStateSize() bytes; false (nothing written) if params are refused */
extern bool TaStreamInit(const TaStreamKernel *k, const double *params, TaStream *s);
extern void TaStreamPush(const TaStreamKernel *k, TaStream *s, const ta_real *in,
						 ta_real *out);
extern void TaStreamPeek(const TaStreamKernel *k, const TaStream *s, const ta_real *in,
						 ta_real *out);
/*
 * pushes n bars given as input columns (a state built from history);
 * out: noutputs columns of n slots, or NULL; polls for interrupts
 */
extern void TaStreamPushMany(const TaStreamKernel *k, TaStream *s,
							 const ta_real *const *in, int n, ta_real *const *out);
/* writes s->size bytes */
extern void TaStreamSave(const TaStream *s, void *buf);
/* s has TaStreamStateSize(k, params) bytes; on error s is left zeroed */
extern TaStreamStatus TaStreamLoad(const TaStreamKernel *k, const double *params,
								   const void *buf, size_t len, TaStream *s);
extern const char *TaStreamStatusText(TaStreamStatus st);

/* declarations of every kernel of the list */
#define TA_STREAM_KERNEL(name) extern const TaStreamKernel ta_stream_##name;
#include "ta_stream_list.h"
#undef TA_STREAM_KERNEL

/*
 * Building blocks for the kernels' bodies (inline: their batch twins use
 * the same arithmetic in the same order).
 */

/* period parameter i as an int (validated already) */
#define TA_P(params, i)		((int) (params)[i])
#define TA_LENGTHOF(a)		((int) (sizeof(a) / sizeof((a)[0])))

/*
 * Defines ta_stream_ID from functions Prefix##Size, Init, Push, Peek, Check
 * and Batch, with its parameter and output arrays.
 */
#define TA_STREAM_DEFINE(id, inputs, params, outputs, Prefix) \
	const TaStreamKernel ta_stream_##id = { \
		#id, inputs, TA_LENGTHOF(params), params, TA_LENGTHOF(outputs), outputs, \
		Prefix##Size, Prefix##Init, Prefix##Push, Prefix##Peek, Prefix##Check, \
		Prefix##Batch \
	}

/* ring of the last cap values of a series */
typedef struct TaRing
{
	int32_t		cap;
	int32_t		pos;			/* slot of the oldest value, next written */
	int32_t		count;			/* values held, saturating at cap */
	int32_t		pad;
} TaRing;

static inline void
TaRingInit(TaRing *r, int cap)
{
	r->cap = cap;
	r->pos = 0;
	r->count = 0;
	r->pad = 0;
}

/* the value pushed cap bars ago (valid once full) */
static inline ta_real
TaRingOldest(const TaRing *r, const ta_real *slots)
{
	return slots[r->pos];
}

/* the value pushed k bars ago, 1 <= k <= count */
static inline ta_real
TaRingAgo(const TaRing *r, const ta_real *slots, int k)
{
	int			i = r->pos - k;

	return slots[i < 0 ? i + r->cap : i];
}

static inline void
TaRingPut(TaRing *r, ta_real *slots, ta_real v)
{
	slots[r->pos] = v;
	if (++r->pos == r->cap)
		r->pos = 0;
	if (r->count < r->cap)
		r->count++;
}

static inline bool
TaRingValid(const TaRing *r, int cap)
{
	return r->cap == cap && r->pos >= 0 && r->pos < cap &&
		r->count >= 0 && r->count <= cap;
}

/*
 * A RollSum (ta.h) whose count of nonzero terms matches the values a valid
 * ring holds (a sum over the ring's window), so pushes keep it consistent.
 */
static inline bool
TaRollSumMatches(const RollSum *s, const TaRing *r, const ta_real *slots)
{
	int			nonzero = 0;

	for (int k = 1; k <= r->count; k++)
		nonzero += (TaRingAgo(r, slots, k) != 0);
	return s->nonzero == nonzero;
}

/*
 * Monotonic deque of the highest (sign 1) or lowest (sign -1) value of the
 * last p values of a series and its age; ties go to the most recent value.
 * p + 1 slots; ComputeRollingMax/Min's arithmetic.
 */
typedef struct TaDequeSlot
{
	ta_real		v;
	int64_t		idx;
} TaDequeSlot;

typedef struct TaDeque
{
	int32_t		p;
	int32_t		sign;
	int32_t		head;
	int32_t		tail;
	int64_t		next;			/* index of the next value */
} TaDeque;

#define TA_DEQUE_SLOTS(p)	((p) + 1)

static inline void
TaDequeInit(TaDeque *d, int p, int sign)
{
	d->p = p;
	d->sign = sign;
	d->head = d->tail = 0;
	d->next = 0;
}

/* adds x; returns the window's extreme once p values are in (else TA_NONE) */
static inline ta_real
TaDequePush(TaDeque *d, TaDequeSlot *s, ta_real x, int64_t *age)
{
	int			cap = d->p + 1;
	int64_t		i = d->next++;
	ta_real		v = x * d->sign;

	while (d->tail != d->head)
	{
		int			back = d->tail == 0 ? cap - 1 : d->tail - 1;

		if (s[back].v * d->sign <= v)
			d->tail = back;
		else
			break;
	}
	s[d->tail].v = x;
	s[d->tail].idx = i;
	if (++d->tail == cap)
		d->tail = 0;
	if (s[d->head].idx <= i - d->p && ++d->head == cap)
		d->head = 0;
	if (i < d->p - 1)
		return TA_NONE;
	if (age)
		*age = i - s[d->head].idx;
	return s[d->head].v;
}

/* what TaDequePush(x) would return, without changing anything */
static inline ta_real
TaDequePeek(const TaDeque *d, const TaDequeSlot *s, ta_real x, int64_t *age)
{
	int			cap = d->p + 1;
	int64_t		i = d->next;
	int			j = d->head;

	if (i < d->p - 1)
		return TA_NONE;
	if (j != d->tail && s[j].idx <= i - d->p && ++j == cap)
		j = 0;
	if (j != d->tail && s[j].v * d->sign > x * d->sign)
	{
		if (age)
			*age = i - s[j].idx;
		return s[j].v;
	}
	if (age)
		*age = 0;
	return x;
}

/* indexes in range, entries in the window and in order */
static inline bool
TaDequeValid(const TaDeque *d, const TaDequeSlot *s, int p, int sign)
{
	int			cap = p + 1;
	int64_t		prev;

	if (d->p != p || d->sign != sign || d->head < 0 || d->head >= cap ||
		d->tail < 0 || d->tail >= cap || d->next < 0 || d->next > TA_STREAM_MAX_BARS)
		return false;
	prev = d->next - p - 1;
	for (int j = d->head; j != d->tail; j = (j + 1 == cap) ? 0 : j + 1)
	{
		if (s[j].idx <= prev || s[j].idx >= d->next)
			return false;
		prev = s[j].idx;
	}
	return true;
}

/*
 * Averages as building blocks (the batch kernels' arithmetic, ta_average.c).
 * Each has a Step that updates only its scalars and returns the new value,
 * reading its ring as it was, and (for ring ones) a Put that then stores the
 * value: push is Step then Put, peek is Step on a copy of the scalars, so
 * the two cannot disagree.  A series starts at its first present value, as
 * FirstPresent: missing values before it give TA_NONE and are not stored.
 */

/* simple average of the last p values (ComputeSma); ring of p slots */
typedef struct TaSma
{
	TaRing		r;
	int32_t		started;
	int32_t		pad;
	ta_real		sum;
} TaSma;

static inline void
TaSmaInit(TaSma *s, int p)
{
	TaRingInit(&s->r, p);
	s->started = 0;
	s->pad = 0;
	s->sum = 0;
}

static inline ta_real
TaSmaStep(TaSma *s, const ta_real *slots, ta_real x)
{
	if (!s->started)
	{
		if (!TA_HAS(x))
			return TA_NONE;
		s->started = 1;
	}
	s->sum += x;
	if (s->r.count == s->r.cap)
		s->sum -= TaRingOldest(&s->r, slots);
	return (s->r.count + 1 >= s->r.cap) ? s->sum / s->r.cap : TA_NONE;
}

static inline void
TaSmaPut(TaSma *s, ta_real *slots, ta_real x)
{
	if (s->started)
		TaRingPut(&s->r, slots, x);
}

static inline bool
TaSmaValid(const TaSma *s, int p)
{
	return TaRingValid(&s->r, p) &&
		(s->started == 1 || (s->started == 0 && s->r.count == 0));
}

/*
 * exponential smoothing seeded by the SMA of the first p values: factor
 * 2/(p+1) (ComputeEma) or 1/p (ComputeWilder); no ring
 */
typedef struct TaEma
{
	int32_t		p;
	int32_t		count;			/* values seen, saturating at p */
	int32_t		started;
	int32_t		pad;
	ta_real		a;
	ta_real		e;
} TaEma;

static inline ta_real
TaEmaFactor(int p, bool wilder)
{
	return wilder ? (ta_real) 1 / p : (ta_real) 2 / (p + 1);
}

static inline void
TaEmaInit(TaEma *s, int p, bool wilder)
{
	s->p = p;
	s->count = 0;
	s->started = 0;
	s->pad = 0;
	s->a = TaEmaFactor(p, wilder);
	s->e = 0;
}

static inline ta_real
TaEmaStep(TaEma *s, ta_real x)
{
	if (!s->started)
	{
		if (!TA_HAS(x))
			return TA_NONE;
		s->started = 1;
	}
	if (s->count < s->p)
	{
		s->e += x;
		if (++s->count < s->p)
			return TA_NONE;
		s->e /= s->p;
		return s->e;
	}
	s->e += s->a * (x - s->e);
	return s->e;
}

static inline bool
TaEmaValid(const TaEma *s, int p, bool wilder)
{
	ta_real		a = TaEmaFactor(p, wilder);

	return s->p == p && s->count >= 0 && s->count <= p &&
		(s->started == 1 || (s->started == 0 && s->count == 0)) &&
		memcmp(&s->a, &a, 10) == 0;
}

/* linearly weighted average, newest weight p (ComputeWma); ring of p slots */
typedef struct TaWma
{
	TaRing		r;
	int32_t		started;
	int32_t		pad;
	ta_real		sum;			/* plain sum of the window */
	ta_real		num;			/* weighted sum of the window */
} TaWma;

static inline void
TaWmaInit(TaWma *s, int p)
{
	TaRingInit(&s->r, p);
	s->started = 0;
	s->pad = 0;
	s->sum = 0;
	s->num = 0;
}

static inline ta_real
TaWmaStep(TaWma *s, const ta_real *slots, ta_real x)
{
	int			p = s->r.cap;

	if (!s->started)
	{
		if (!TA_HAS(x))
			return TA_NONE;
		s->started = 1;
	}
	if (s->r.count < p)
	{
		s->num += (ta_real) (s->r.count + 1) * x;
		s->sum += x;
	}
	else
	{
		s->num += p * x - s->sum;
		s->sum += x - TaRingOldest(&s->r, slots);
	}
	return (s->r.count + 1 >= p) ? s->num / ((ta_real) p * (p + 1) / 2) : TA_NONE;
}

static inline void
TaWmaPut(TaWma *s, ta_real *slots, ta_real x)
{
	if (s->started)
		TaRingPut(&s->r, slots, x);
}

static inline bool
TaWmaValid(const TaWma *s, int p)
{
	return TaRingValid(&s->r, p) &&
		(s->started == 1 || (s->started == 0 && s->r.count == 0));
}

#endif							/* AP_TA_STREAM_H */
