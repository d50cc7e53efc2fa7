/*
 * test_stream.c - every streamable kernel (src/ta_stream_list.h) against its
 * batch kernel, bit for bit, for every output field: on real bars
 * (test/fixtures/ttrc.csv), on sample bars (test/data/sample_bars.csv, each
 * symbol) and on edge-case bars, under several parameter sets and many
 * chunkings (one bar at a time, random chunk sizes, all at once; a chunk
 * pushed bar by bar or as columns), the state saved to bytes and loaded
 * back between chunks, with peeks of other bars that must change nothing.  Then the checks of load: every way of getting
 * the bytes wrong is refused with its status.  Prints TAP.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ta.h"
#include "ta_stream.h"

#define MAX_BARS	60000
#define RANDOM_PARAM_SETS 4
#define RANDOM_CHUNKINGS 4
#define PEEK_RATE	0.1			/* share of bars peeked before their push */

static int	tests = 0,
			failed = 0;

void
TaCheckInterrupts(void)
{
}

/* 8-byte aligned but not 16, as palloc's memory is */
void *
TaAlloc(size_t size)
{
	char	   *raw = malloc(size + 32);
	char	   *base;

	if (raw == NULL)
		abort();
	base = (char *) (((uintptr_t) raw + 8 + 15) & ~(uintptr_t) 15);
	((void **) base)[0] = raw;
	return base + 8;
}

void
TaFree(void *ptr)
{
	free(((void **) ptr)[-1]);
}

static void
Ok(bool cond, const char *fmt, const char *a, const char *b, const char *c)
{
	tests++;
	if (!cond)
		failed++;
	printf("%s %d - ", cond ? "ok" : "not ok", tests);
	printf(fmt, a, b, c);
	printf("\n");
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static double
Uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double) (rng >> 11) / 9007199254740992.0;
}

static int
RandInt(int lo, int hi)
{
	return lo + (int) (Uniform() * (hi - lo + 1));
}

/* bars as columns: high, low, close, volume */
typedef struct Bars
{
	char		name[32];
	int			n;
	ta_real    *col[4];
} Bars;

static Bars *
NewBars(const char *name)
{
	Bars	   *b = calloc(1, sizeof(Bars));

	snprintf(b->name, sizeof(b->name), "%s", name);
	for (int k = 0; k < 4; k++)
		b->col[k] = TaAlloc(sizeof(ta_real) * MAX_BARS);
	return b;
}

/*
 * Reads the bars of one symbol (or all rows when symbol is NULL) from a CSV
 * whose columns 3..6 (from 0) are high, low, close, volume.
 */
static Bars *
ReadCsv(const char *path, const char *symbol, const char *name)
{
	FILE	   *f = fopen(path, "r");
	char		line[512];
	Bars	   *b;

	if (f == NULL)
	{
		printf("Bail out! cannot open %s\n", path);
		exit(1);
	}
	b = NewBars(name);
	if (fgets(line, sizeof(line), f) == NULL)
		exit(1);
	while (fgets(line, sizeof(line), f) && b->n < MAX_BARS)
	{
		char	   *field[8];
		int			nf = 0;
		char	   *p = line;

		while (nf < 8 && p)
		{
			field[nf++] = p;
			p = strchr(p, ',');
			if (p)
				*p++ = '\0';
		}
		if (nf < 7 || (symbol && strcmp(field[0], symbol) != 0))
			continue;
		for (int k = 0; k < 4; k++)
			b->col[k][b->n] = strtold(field[3 + k], NULL);
		b->n++;
	}
	fclose(f);
	return b;
}

/*
 * Bars that reach the kernels' special cases: runs of equal closes and
 * typical prices, high = low, zero volume (whole windows of it), then wild
 * moves.
 */
static Bars *
EdgeBars(void)
{
	Bars	   *b = NewBars("edge cases");
	ta_real		c = 100;

	for (int i = 0; i < 3000; i++)
	{
		int			regime = (i / 150) % 4;
		ta_real		h,
					l;

		if (regime == 1)
			;					/* flat: c unchanged */
		else if (regime == 3)
			c += (Uniform() - 0.5) * 40;
		else
			c += rintl((Uniform() - 0.5) * 8) / 4;
		h = (regime == 1) ? c : c + rintl(Uniform() * 3);
		l = (regime == 1) ? c : c - rintl(Uniform() * 3);
		b->col[0][b->n] = h;
		b->col[1][b->n] = l;
		b->col[2][b->n] = c;
		b->col[3][b->n] = (regime == 2 || Uniform() < 0.1) ? 0 : rintl(Uniform() * 1000);
		b->n++;
	}
	return b;
}

/* equal to the bit, or missing in both (NaN payloads may differ) */
static bool
Same(ta_real a, ta_real b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	return memcmp(&a, &b, 10) == 0; /* the 80 value bits */
}

/* the input series of kernel k over bars b, with lead missing values first */
static void
Inputs(const TaStreamKernel *k, const Bars *b, int lead, ta_real **in)
{
	for (int j = 0; k->inputs[j]; j++)
	{
		const char *letters = "hlcv";
		int			col = k->inputs[j] == 'x' ? 2 : (int) (strchr(letters, k->inputs[j]) - letters);

		in[j] = TaAlloc(sizeof(ta_real) * (b->n + lead));
		for (int i = 0; i < lead; i++)
			in[j][i] = TA_NONE;
		memcpy(in[j] + lead, b->col[col], sizeof(ta_real) * b->n);
	}
}

/* a random parameter set in range (periods kept small enough to warm up) */
static void
RandomParams(const TaStreamKernel *k, double *params)
{
	for (int j = 0; j < k->nparams; j++)
	{
		const TaStreamParam *d = &k->params[j];

		if (d->kind == TA_PARAM_FLAG)
			params[j] = RandInt(0, 1);
		else if (d->kind == TA_PARAM_PERIOD)
			params[j] = RandInt((int) d->min, (int) fmin(d->max, d->min + 60));
		else
			params[j] = d->min + Uniform() * (fmin(d->max, d->min + 5) - d->min);
	}
}

/* saves s to bytes at an odd address and loads them into a fresh state */
static TaStream *
SaveLoad(const TaStreamKernel *k, const double *params, TaStream *s, bool *ok)
{
	size_t		size = s->size;
	char	   *raw = malloc(size + 1);
	TaStream   *t = TaAlloc(size);

	TaStreamSave(s, raw + 1);
	*ok = *ok && TaStreamLoad(k, params, raw + 1, size, t) == TA_STREAM_OK;
	free(raw);
	TaFree(s);
	return t;
}

/*
 * Streams n bars through k in chunks (chunk == 0: random sizes; else that
 * size), saving and loading between chunks and peeking at random bars;
 * every value must equal the batch's ref.  Returns the first bad bar or -1.
 */
static int
StreamChunked(const TaStreamKernel *k, const double *params, ta_real **in, int n,
			  ta_real **ref, int chunk)
{
	size_t		size = TaStreamStateSize(k, params);
	TaStream   *s = TaAlloc(size);
	char	   *before = malloc(size);
	int			ni = (int) strlen(k->inputs);
	int			left = 0;
	int			bad = -1;
	bool		ok = true;
	ta_real    *many[TA_STREAM_MAX_OUTPUTS];

	for (int o = 0; o < k->noutputs; o++)
		many[o] = TaAlloc(sizeof(ta_real) * n);

	TaStreamInit(k, params, s);
	for (int i = 0; i < n && bad < 0; i++)
	{
		ta_real		bar[TA_STREAM_MAX_INPUTS],
					out[TA_STREAM_MAX_OUTPUTS],
					peek[TA_STREAM_MAX_OUTPUTS];

		if (left == 0)
		{
			if (i > 0)
				s = SaveLoad(k, params, s, &ok);
			left = chunk > 0 ? chunk : RandInt(1, RandInt(1, 2) == 1 ? 8 : n / 4 + 1);
			if (left > n - i)
				left = n - i;
			/* half the chunks go in as columns, as when building from history */
			if (Uniform() < 0.5)
			{
				const ta_real *cols[TA_STREAM_MAX_INPUTS];
				ta_real    *outs[TA_STREAM_MAX_OUTPUTS];

				for (int j = 0; j < ni; j++)
					cols[j] = in[j] + i;
				for (int o = 0; o < k->noutputs; o++)
					outs[o] = many[o];
				TaStreamPushMany(k, s, cols, left, outs);
				for (int r = 0; r < left; r++)
					for (int o = 0; o < k->noutputs; o++)
						if (!Same(many[o][r], ref[o][i + r]) && bad < 0)
							bad = i + r;
				if (s->bars != i + left && bad < 0)
					bad = i;
				i += left - 1;
				left = 0;
				continue;
			}
		}
		left--;
		for (int j = 0; j < ni; j++)
			bar[j] = in[j][i];
		if (Uniform() < PEEK_RATE)
		{
			ta_real		forming[TA_STREAM_MAX_INPUTS];

			/* a forming bar: the real one moved; it must leave s as it was */
			for (int j = 0; j < ni; j++)
				forming[j] = bar[j] * (1 + (Uniform() - 0.5) / 50);
			memcpy(before, s, size);
			TaStreamPeek(k, s, forming, peek);
			TaStreamPeek(k, s, bar, peek);
			if (memcmp(before, s, size) != 0)
				bad = i;
			for (int o = 0; o < k->noutputs; o++)
				if (!Same(peek[o], ref[o][i]))
					bad = i;
		}
		TaStreamPush(k, s, bar, out);
		for (int o = 0; o < k->noutputs; o++)
			if (!Same(out[o], ref[o][i]))
				bad = i;
		if (s->bars != i + 1)
			bad = i;
	}
	if (!ok && bad < 0)
		bad = n;
	for (int o = 0; o < k->noutputs; o++)
		TaFree(many[o]);
	free(before);
	TaFree(s);
	return bad;
}

/* One kernel over one set of bars: several params, several chunkings. */
static void
TestKernel(const TaStreamKernel *k, const Bars *b)
{
	int			ni = (int) strlen(k->inputs);
	int			sets = 0,
				runs = 0;
	char		what[200] = "";

	for (int set = 0; set < 2 + RANDOM_PARAM_SETS && what[0] == '\0'; set++)
	{
		double		params[TA_STREAM_MAX_PARAMS] = {0};
		int			lead = (strcmp(k->inputs, "x") == 0 && set % 2 == 1) ? RandInt(1, 30) : 0;
		int			n = b->n + lead;
		ta_real    *in[TA_STREAM_MAX_INPUTS],
				   *ref[TA_STREAM_MAX_OUTPUTS];

		for (int j = 0; j < k->nparams; j++)
			params[j] = set == 0 ? k->params[j].dflt :
				set == 1 ? k->params[j].min : 0;
		if (set >= 2)
			RandomParams(k, params);
		if (TaStreamStateSize(k, params) == 0)
			continue;			/* refused: a cross-check of the kernel */
		sets++;
		Inputs(k, b, lead, in);
		for (int o = 0; o < k->noutputs; o++)
			ref[o] = TaAlloc(sizeof(ta_real) * n);
		k->batch((const ta_real *const *) in, n, params, ref);
		for (int c = 0; c < 3 + RANDOM_CHUNKINGS && what[0] == '\0'; c++)
		{
			int			chunk = c == 0 ? 1 : c == 1 ? n : 0;
			int			bad = StreamChunked(k, params, in, n, ref, chunk);

			runs++;
			if (bad >= 0)
				snprintf(what, sizeof(what), "differs at bar %d (chunk %d, params %g %g %g %g, lead %d)",
						 bad - lead, chunk, params[0], params[1], params[2], params[3], lead);
		}
		for (int j = 0; j < ni; j++)
			TaFree(in[j]);
		for (int o = 0; o < k->noutputs; o++)
			TaFree(ref[o]);
	}
	if (what[0] == '\0')
		snprintf(what, sizeof(what), "%d parameter sets x %d chunkings, every field equal",
				 sets, runs / (sets > 0 ? sets : 1));
	Ok(sets > 0 && strstr(what, "differs") == NULL, "%s streams as its batch on %s: %s",
	   k->name, b->name, what);
}

/* a state of k after 200 bars of b, saved: its bytes and length */
static char *
SavedState(const TaStreamKernel *k, const double *params, const Bars *b, size_t *len)
{
	size_t		size = TaStreamStateSize(k, params);
	TaStream   *s = TaAlloc(size);
	char	   *buf = malloc(size);
	int			ni = (int) strlen(k->inputs);

	TaStreamInit(k, params, s);
	for (int i = 0; i < 200 && i < b->n; i++)
	{
		ta_real		bar[TA_STREAM_MAX_INPUTS],
					out[TA_STREAM_MAX_OUTPUTS];

		for (int j = 0; j < ni; j++)
			bar[j] = b->col[k->inputs[j] == 'x' ? 2 : (int) (strchr("hlcv", k->inputs[j]) - "hlcv")][i];
		TaStreamPush(k, s, bar, out);
	}
	TaStreamSave(s, buf);
	*len = size;
	TaFree(s);
	return buf;
}

/* re-signs edited bytes as TaStreamSave would */
static void
Resign(char *buf)
{
	TaStream   *h = TaAlloc(((TaStream *) buf)->size);

	memcpy(h, buf, ((TaStream *) buf)->size);
	TaStreamSave(h, buf);
	TaFree(h);
}

/* Every kind of wrong bytes is refused with its own status. */
static void
TestLoadChecks(const TaStreamKernel *k, const TaStreamKernel *other, const Bars *b)
{
	double		params[TA_STREAM_MAX_PARAMS] = {0},
				oparams[TA_STREAM_MAX_PARAMS] = {0};
	size_t		len,
				olen;
	char	   *good,
			   *bad,
			   *obuf;
	TaStream   *s;
	bool		ok = true;
	char		what[160] = "";

	for (int j = 0; j < k->nparams; j++)
		params[j] = k->params[j].dflt;
	for (int j = 0; j < other->nparams; j++)
		oparams[j] = other->params[j].dflt;
	good = SavedState(k, params, b, &len);
	obuf = SavedState(other, oparams, b, &olen);
	bad = malloc(len + 16);
	s = TaAlloc(len);
#define EXPECT(cond, msg) do { if (ok && !(cond)) { ok = false; snprintf(what, sizeof(what), "%s", msg); } } while (0)
	EXPECT(TaStreamLoad(k, params, good, len, s) == TA_STREAM_OK, "good bytes refused");
	EXPECT(TaStreamLoad(k, params, good, len - 1, s) == TA_STREAM_BAD_LENGTH, "short bytes");
	EXPECT(TaStreamLoad(k, params, good, 3, s) == TA_STREAM_BAD_LENGTH, "3 bytes");
	memcpy(bad, good, len);
	bad[len] = 0;
	EXPECT(TaStreamLoad(k, params, bad, len + 1, s) == TA_STREAM_BAD_LENGTH, "long bytes");
	/* any one byte changed */
	for (int t = 0; t < 64; t++)
	{
		size_t		at = (size_t) RandInt(0, (int) len - 1);

		memcpy(bad, good, len);
		bad[at] ^= (char) RandInt(1, 255);
		EXPECT(TaStreamLoad(k, params, bad, len, s) != TA_STREAM_OK, "a changed byte accepted");
	}
	memcpy(bad, good, len);
	bad[0] ^= 1;
	EXPECT(TaStreamLoad(k, params, bad, len, s) == TA_STREAM_BAD_MAGIC, "magic");
	memcpy(bad, good, len);
	((TaStream *) bad)->version++;
	Resign(bad);
	EXPECT(TaStreamLoad(k, params, bad, len, s) == TA_STREAM_BAD_VERSION, "version");
	memcpy(bad, good, len);
	((TaStream *) bad)->layout ^= 0x100;
	Resign(bad);
	EXPECT(TaStreamLoad(k, params, bad, len, s) == TA_STREAM_BAD_VERSION, "layout");
	if (other != k)
		EXPECT(TaStreamLoad(k, params, obuf, olen, s) == TA_STREAM_OTHER_KERNEL, "other kernel");
	if (k->nparams > 0)
	{
		double		p2[TA_STREAM_MAX_PARAMS];

		memcpy(p2, params, sizeof(p2));
		p2[0] = p2[0] + 1 <= k->params[0].max ? p2[0] + 1 : p2[0] - 1;
		if (TaStreamStateSize(k, p2) > 0)
		{
			TaStream   *s2 = TaAlloc(TaStreamStateSize(k, p2));

			EXPECT(TaStreamLoad(k, p2, good, len, s2) == TA_STREAM_OTHER_PARAMS, "other params");
			TaFree(s2);
		}
		p2[0] = -1;
		EXPECT(TaStreamLoad(k, p2, good, len, s) == TA_STREAM_BAD_PARAMS, "bad params");
	}
	memcpy(bad, good, len);
	((TaStream *) bad)->bars = -1;
	Resign(bad);
	EXPECT(TaStreamLoad(k, params, bad, len, s) == TA_STREAM_CORRUPT, "negative bar count");
	/* a well-signed body of garbage: the kernel's own check refuses it */
	memcpy(bad, good, len);
	memset(bad + sizeof(TaStream), 0xFF, len - sizeof(TaStream));
	Resign(bad);
	EXPECT(TaStreamLoad(k, params, bad, len, s) == TA_STREAM_CORRUPT, "garbage body accepted");
	/* a refused load leaves no half state */
	EXPECT(s->magic == 0, "refused load left a state");
#undef EXPECT
	Ok(ok, "%s refuses wrong state bytes%s%s", k->name, ok ? "" : ": ", what);
	free(good);
	free(obuf);
	free(bad);
	TaFree(s);
}

/* The list itself: unique names, sane descriptors, defaults accepted. */
static void
TestList(void)
{
	bool		ok = ta_stream_nkernels > 0;

	for (int i = 0; i < ta_stream_nkernels; i++)
	{
		const TaStreamKernel *k = ta_stream_kernels[i];
		double		params[TA_STREAM_MAX_PARAMS] = {0};

		for (int j = 0; j < k->nparams; j++)
			params[j] = k->params[j].dflt;
		ok = ok && TaStreamFind(k->name) == k && strlen(k->name) < TA_STREAM_NAME_LEN &&
			k->nparams <= TA_STREAM_MAX_PARAMS && k->noutputs >= 1 &&
			k->noutputs <= TA_STREAM_MAX_OUTPUTS && strlen(k->inputs) >= 1 &&
			strlen(k->inputs) <= TA_STREAM_MAX_INPUTS &&
			strspn(k->inputs, "hlcvx") == strlen(k->inputs) &&
			TaStreamStateSize(k, params) > 0;
	}
	Ok(ok && TaStreamFind("no such kernel") == NULL,
	   "the list of %s streamable kernels is well formed%s%s", "all", "", "");
}

int
main(int argc, char **argv)
{
	const char *fixtures = argc > 1 ? argv[1] : "../fixtures/ttrc.csv";
	const char *sample = argc > 2 ? argv[2] : "../data/sample_bars.csv";
	Bars	   *sets[4];

	sets[0] = ReadCsv(fixtures, NULL, "ttrc (real)");
	sets[1] = ReadCsv(sample, "btc", "sample btc");
	sets[2] = ReadCsv(sample, "eth", "sample eth");
	sets[3] = EdgeBars();
	TestList();
	for (int d = 0; d < 4; d++)
		Ok(sets[d]->n > 1000, "%s has bars%s%s", sets[d]->name, "", "");
	for (int i = 0; i < ta_stream_nkernels; i++)
		for (int d = 0; d < 4; d++)
			TestKernel(ta_stream_kernels[i], sets[d]);
	for (int i = 0; i < ta_stream_nkernels; i++)
		TestLoadChecks(ta_stream_kernels[i],
					   ta_stream_kernels[(i + 1) % ta_stream_nkernels], sets[0]);
	printf("1..%d\n", tests);
	for (int d = 0; d < 4; d++)
	{
		for (int k = 0; k < 4; k++)
			TaFree(sets[d]->col[k]);
		free(sets[d]);
	}
	return failed ? 1 : 0;
}
