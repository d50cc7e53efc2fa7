/*
 * ml_validate.c - strict UBJSON reader and structural checks for XGBoost 1.7
 * gbtree, dart and gblinear models, so that no byte XGBoost's own (trusting) parser would crash
 * or loop on ever reaches it.  Pure C: no PostgreSQL headers, no global state.
 *
 * The reader is driven by the model's schema rather than building a tree of
 * values: every object has a fixed set of keys (duplicates and unknown keys
 * are rejected), every value its one encoding as XGBoost's writer emits it
 * (lengths and counts as 'L', per-node arrays as typed arrays), and every
 * count is compared with the bytes left before it is used, so memory is
 * never sized by a number read from the input alone.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_validate.h"

/* XGBoost writes the root's parent as its 31-bit mask of -1 */
#define XGB_ROOT_PARENT 2147483647
/* string-valued objects (attributes, objective parameters) hold at most this many keys */
#define MAX_MAP_KEYS 32
/* a string parameter ("40", "5E-1") is at most this long */
#define MAX_PARAM_LEN 32

typedef struct Reader
{
	const unsigned char *start;
	const unsigned char *p;
	const unsigned char *end;
	int			depth;
	int			expected;		/* number of features the caller expects */
	char	   *reason;
	bool		failed;
	int		   *scratch;		/* per-tree work space: in-degree and stack */
	size_t		scratch_n;
	long		total_nodes;
	/* what the whole model says, cross-checked at the end */
	long		num_trees_param;
	long		num_trees;
	long		tree_info;
	bool		logistic;
} Reader;

/* The per-node arrays of one tree: payload (big-endian) and length. */
typedef struct NodeArray
{
	const char *name;
	char		type;			/* UBJSON element marker */
	bool		per_node;		/* has num_nodes entries (else must be empty) */
	bool		seen;
	const unsigned char *data;
	size_t		n;
} NodeArray;

enum
{
	NA_BASE_WEIGHTS, NA_CATEGORIES, NA_CATEGORIES_NODES, NA_CATEGORIES_SEGMENTS,
	NA_CATEGORIES_SIZES, NA_DEFAULT_LEFT, NA_LEFT, NA_LOSS_CHANGES, NA_PARENTS,
	NA_RIGHT, NA_SPLIT_CONDITIONS, NA_SPLIT_INDICES, NA_SPLIT_TYPE, NA_SUM_HESSIAN,
	NA_COUNT
};

static const NodeArray node_array_defs[NA_COUNT] = {
	{"base_weights", 'd', true, false, NULL, 0},
	{"categories", 'l', false, false, NULL, 0},
	{"categories_nodes", 'l', false, false, NULL, 0},
	{"categories_segments", 'L', false, false, NULL, 0},
	{"categories_sizes", 'L', false, false, NULL, 0},
	{"default_left", 'U', true, false, NULL, 0},
	{"left_children", 'l', true, false, NULL, 0},
	{"loss_changes", 'd', true, false, NULL, 0},
	{"parents", 'l', true, false, NULL, 0},
	{"right_children", 'l', true, false, NULL, 0},
	{"split_conditions", 'd', true, false, NULL, 0},
	{"split_indices", 'l', true, false, NULL, 0},
	{"split_type", 'U', true, false, NULL, 0},
	{"sum_hessian", 'd', true, false, NULL, 0},
};

static bool Fail(Reader *r, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* Records the first (innermost) reason and returns false. */
static bool
Fail(Reader *r, const char *fmt,...)
{
	va_list		ap;

	if (r->failed)
		return false;
	r->failed = true;
	va_start(ap, fmt);
	vsnprintf(r->reason, AP_MODEL_REASON_LEN, fmt, ap);
	va_end(ap);
	return false;
}

static size_t
Left(const Reader *r)
{
	return (size_t) (r->end - r->p);
}

static size_t
Offset(const Reader *r)
{
	return (size_t) (r->p - r->start);
}

static bool
Need(Reader *r, size_t n)
{
	if (Left(r) < n)
		return Fail(r, "truncated at byte %zu", Offset(r));
	return true;
}

static uint64_t
BigEndian(const unsigned char *p, int n)
{
	uint64_t	v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static int32_t
I32At(const unsigned char *data, size_t i)
{
	return (int32_t) (uint32_t) BigEndian(data + 4 * i, 4);
}

static float
F32At(const unsigned char *data, size_t i)
{
	uint32_t	v = (uint32_t) BigEndian(data + 4 * i, 4);
	float		f;

	memcpy(&f, &v, sizeof(f));
	return f;
}

static size_t
ElemSize(char type)
{
	switch (type)
	{
		case 'U':
		case 'i':
			return 1;
		case 'I':
			return 2;
		case 'l':
		case 'd':
			return 4;
		default:
			return 8;			/* 'L', 'D' */
	}
}

static bool
Expect(Reader *r, char marker, const char *what)
{
	if (!Need(r, 1))
		return false;
	if (*r->p != (unsigned char) marker)
		return Fail(r, "byte %zu: expected %s", Offset(r), what);
	r->p++;
	return true;
}

/*
 * A length or count: 'L' and a non-negative int64 such that n elements of
 * elem bytes fit in what is left (elem 0: no such check).
 */
static bool
ReadCount(Reader *r, size_t elem, size_t *n)
{
	int64_t		v;

	if (!Expect(r, 'L', "an int64 length") || !Need(r, 8))
		return false;
	v = (int64_t) BigEndian(r->p, 8);
	r->p += 8;
	if (v < 0)
		return Fail(r, "byte %zu: negative length %lld", Offset(r) - 9, (long long) v);
	if (elem > 0 && (uint64_t) v > Left(r) / elem)
		return Fail(r, "byte %zu: count %lld exceeds the %zu bytes left", Offset(r) - 9,
					(long long) v, Left(r));
	*n = (size_t) v;
	return true;
}

/* The body of a key or string: length and bytes. */
static bool
ReadStrBody(Reader *r, const char **s, size_t *len)
{
	if (!ReadCount(r, 1, len))
		return false;
	*s = (const char *) r->p;
	r->p += *len;
	return true;
}

static bool
ReadString(Reader *r, const char **s, size_t *len)
{
	return Expect(r, 'S', "a string") && ReadStrBody(r, s, len);
}

/* An integer value in any of the markers XGBoost's writer uses. */
static bool
ReadInt(Reader *r, int64_t *v)
{
	char		t;
	size_t		n;
	uint64_t	raw;

	if (!Need(r, 1))
		return false;
	t = (char) *r->p;
	if (t != 'i' && t != 'U' && t != 'I' && t != 'l' && t != 'L')
		return Fail(r, "byte %zu: expected an integer", Offset(r));
	r->p++;
	n = ElemSize(t);
	if (!Need(r, n))
		return false;
	raw = BigEndian(r->p, (int) n);
	r->p += n;
	switch (t)
	{
		case 'i':
			*v = (int8_t) raw;
			break;
		case 'U':
			*v = (uint8_t) raw;
			break;
		case 'I':
			*v = (int16_t) raw;
			break;
		case 'l':
			*v = (int32_t) raw;
			break;
		default:
			*v = (int64_t) raw;
	}
	return true;
}

static bool
KeyIs(const char *k, size_t klen, const char *name)
{
	return strlen(name) == klen && memcmp(k, name, klen) == 0;
}

static bool
ObjBegin(Reader *r)
{
	if (!Expect(r, '{', "an object"))
		return false;
	if (++r->depth > AP_MODEL_MAX_DEPTH)
		return Fail(r, "nesting deeper than %d", AP_MODEL_MAX_DEPTH);
	return true;
}

/* The next key of an object, or *more = false at its end. */
static bool
ObjNext(Reader *r, bool *more, const char **k, size_t *klen)
{
	if (!Need(r, 1))
		return false;
	if (*r->p == '}')
	{
		r->p++;
		r->depth--;
		*more = false;
		return true;
	}
	*more = true;
	return ReadStrBody(r, k, klen);
}

/*
 * Marks key index i of an object as seen; a second occurrence is an error
 * (XGBoost would keep one of them silently).
 */
static bool
Once(Reader *r, unsigned *seen, int i, const char *k, size_t klen)
{
	if (*seen & (1u << i))
		return Fail(r, "duplicate key \"%.*s\"", (int) (klen < 40 ? klen : 40), k);
	*seen |= 1u << i;
	return true;
}

static bool
Unknown(Reader *r, const char *where, const char *k, size_t klen)
{
	return Fail(r, "%s: unexpected key \"%.*s\"", where, (int) (klen < 40 ? klen : 40), k);
}

/* Every key of names[] must have been seen. */
static bool
AllSeen(Reader *r, const char *where, unsigned seen, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!(seen & (1u << i)))
			return Fail(r, "%s: missing \"%s\"", where, names[i]);
	return true;
}

static int
KeyIndex(const char *k, size_t klen, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (KeyIs(k, klen, names[i]))
			return i;
	return -1;
}

/* A canonical decimal int32: "0" or digits without a leading zero. */
static bool
Decimal(const char *s, size_t n, long *v)
{
	long		x = 0;

	if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (s[i] - '0');
	}
	if (x > INT32_MAX)
		return false;
	*v = x;
	return true;
}

/* A string parameter holding a canonical decimal. */
static bool
ReadDecimalParam(Reader *r, const char *name, long *v)
{
	const char *s;
	size_t		n;

	if (!ReadString(r, &s, &n))
		return false;
	if (!Decimal(s, n, v))
		return Fail(r, "%s is not a decimal integer", name);
	return true;
}

static bool
ReadDecimalIs(Reader *r, const char *name, long want)
{
	long		v;

	if (!ReadDecimalParam(r, name, &v))
		return false;
	if (v != want)
		return Fail(r, "%s is %ld, expected %ld", name, v, want);
	return true;
}

/* {"key": "string", ...}: attributes and objective parameters. */
static bool
ReadStringMap(Reader *r, const char *where)
{
	const char *keys[MAX_MAP_KEYS];
	size_t		lens[MAX_MAP_KEYS];
	int			nkeys = 0;
	bool		more;
	const char *k;
	size_t		klen;

	if (!ObjBegin(r))
		return false;
	for (;;)
	{
		const char *s;
		size_t		n;

		if (!ObjNext(r, &more, &k, &klen))
			return false;
		if (!more)
			return true;
		for (int i = 0; i < nkeys; i++)
			if (lens[i] == klen && memcmp(keys[i], k, klen) == 0)
				return Fail(r, "%s: duplicate key \"%.*s\"", where, (int) (klen < 40 ? klen : 40), k);
		if (nkeys == MAX_MAP_KEYS)
			return Fail(r, "%s: more than %d keys", where, MAX_MAP_KEYS);
		keys[nkeys] = k;
		lens[nkeys++] = klen;
		if (!ReadString(r, &s, &n))
			return false;
	}
}

/*
 * Feature names and types: empty, as AlphaPulse trains (types could mark
 * features categorical, which the models never are).
 */
static bool
ReadEmptyArray(Reader *r, const char *name)
{
	size_t		n;

	if (!Expect(r, '[', "an array") || !Expect(r, '#', "a counted array") ||
		!ReadCount(r, 2, &n))
		return false;
	if (n != 0)
		return Fail(r, "%s has %zu entries, expected none", name, n);
	return true;
}

/* [$<type>#L<n> payload]: a typed array, payload left in place. */
static bool
ReadTypedArray(Reader *r, char type, const char *name, const unsigned char **data, size_t *n)
{
	if (!Expect(r, '[', "an array") || !Expect(r, '$', "a typed array"))
		return false;
	if (!Need(r, 1))
		return false;
	if (*r->p != (unsigned char) type)
		return Fail(r, "%s: element type '%c', expected '%c'", name,
					(*r->p >= 32 && *r->p < 127) ? *r->p : '?', type);
	r->p++;
	if (!Expect(r, '#', "an element count") || !ReadCount(r, ElemSize(type), n))
		return false;
	*data = r->p;
	r->p += *n * ElemSize(type);
	return true;
}

static bool
ReadTreeParam(Reader *r, int t, long *num_nodes)
{
	static const char *const names[] = {"num_deleted", "num_feature", "num_nodes", "size_leaf_vector"};
	unsigned	seen = 0;
	bool		more;
	const char *k;
	size_t		klen;
	char		what[48];

	if (!ObjBegin(r))
		return false;
	for (;;)
	{
		int			i;

		if (!ObjNext(r, &more, &k, &klen))
			return false;
		if (!more)
			break;
		i = KeyIndex(k, klen, names, 4);
		if (i < 0)
			return Unknown(r, "tree_param", k, klen);
		if (!Once(r, &seen, i, k, klen))
			return false;
		snprintf(what, sizeof(what), "tree %d %s", t, names[i]);
		switch (i)
		{
			case 0:
				if (!ReadDecimalIs(r, what, 0))
					return false;
				break;
			case 1:
				if (!ReadDecimalIs(r, what, r->expected))
					return false;
				break;
			case 2:
				if (!ReadDecimalParam(r, what, num_nodes))
					return false;
				if (*num_nodes < 1 || *num_nodes > AP_MODEL_MAX_TREE_NODES)
					return Fail(r, "tree %d: %ld nodes, expected 1 to %d", t, *num_nodes,
								AP_MODEL_MAX_TREE_NODES);
				break;
			default:
				if (!ReadDecimalIs(r, what, 0))
					return false;
		}
	}
	return AllSeen(r, "tree_param", seen, names, 4);
}

/*
 * The nodes of tree t form one binary tree rooted at node 0: children both
 * -1 (leaf) or both in [1, n) and distinct, each non-root node the child of
 * exactly one node which its parents[] entry names, and every node reached
 * from the root exactly once; feature indices in range, numbers finite.
 */
static bool
CheckNodes(Reader *r, int t, const NodeArray *a, long n)
{
	const unsigned char *left = a[NA_LEFT].data,
			   *right = a[NA_RIGHT].data,
			   *parents = a[NA_PARENTS].data,
			   *split = a[NA_SPLIT_INDICES].data;
	int		   *indeg,
			   *stack;
	long		internal = 0,
				top = 0,
				visited = 0;

	if ((size_t) n * 2 > r->scratch_n)
	{
		int		   *s = realloc(r->scratch, sizeof(int) * (size_t) n * 2);

		if (s == NULL)
			return Fail(r, "out of memory checking tree %d", t);
		r->scratch = s;
		r->scratch_n = (size_t) n * 2;
	}
	indeg = r->scratch;
	stack = r->scratch + n;
	memset(indeg, 0, sizeof(int) * (size_t) n);

	for (long i = 0; i < n; i++)
	{
		int32_t		lc = I32At(left, i),
					rc = I32At(right, i),
					si = I32At(split, i);
		float		cond = F32At(a[NA_SPLIT_CONDITIONS].data, i),
					w = F32At(a[NA_BASE_WEIGHTS].data, i),
					loss = F32At(a[NA_LOSS_CHANGES].data, i),
					hess = F32At(a[NA_SUM_HESSIAN].data, i);
		int32_t		c[2] = {lc, rc};

		if (si < 0 || si >= r->expected)
			return Fail(r, "tree %d node %ld: split index %d out of range [0, %d)", t, i, si,
						r->expected);
		if (!isfinite(cond) || !isfinite(w) || !isfinite(loss) || !isfinite(hess) || hess < 0)
			return Fail(r, "tree %d node %ld: a non-finite split condition, weight or statistic", t, i);
		if (a[NA_DEFAULT_LEFT].data[i] > 1)
			return Fail(r, "tree %d node %ld: default_left %d is not 0 or 1", t, i,
						a[NA_DEFAULT_LEFT].data[i]);
		if (a[NA_SPLIT_TYPE].data[i] != 0)
			return Fail(r, "tree %d node %ld: categorical split", t, i);
		if (i == 0 ? I32At(parents, 0) != XGB_ROOT_PARENT : (I32At(parents, i) < 0 || I32At(parents, i) >= n))
			return Fail(r, "tree %d node %ld: parent %d out of range", t, i, I32At(parents, i));
		if (lc == -1 && rc == -1)
			continue;
		if (lc == -1 || rc == -1)
			return Fail(r, "tree %d node %ld: only one child", t, i);
		if (lc == rc)
			return Fail(r, "tree %d node %ld: both children are node %d", t, i, lc);
		for (int k = 0; k < 2; k++)
		{
			if (c[k] == i)
				return Fail(r, "tree %d node %ld: is its own child", t, i);
			if (c[k] < 1 || c[k] >= n)
				return Fail(r, "tree %d node %ld: child index %d out of range [1, %ld)", t, i, c[k], n);
			if (++indeg[c[k]] > 1)
				return Fail(r, "tree %d node %d: has two parents", t, c[k]);
			if (I32At(parents, c[k]) != i)
				return Fail(r, "tree %d node %d: parents[] says %d, but node %ld is its parent", t, c[k],
							I32At(parents, c[k]), i);
		}
		internal++;
	}
	/* a binary tree has one node more than twice its splits: every non-root node has a parent */
	if (2 * internal != n - 1)
		return Fail(r, "tree %d: %ld nodes with %ld splits are not one tree", t, n, internal);
	/* from the root: with one parent each, reaching every node means no cycle and nothing detached */
	stack[top++] = 0;
	while (top > 0)
	{
		int			i = stack[--top];
		int32_t		lc = I32At(left, i);

		visited++;
		if (lc != -1)
		{
			if (top + 2 > n)
				return Fail(r, "tree %d: a cycle", t);
			stack[top++] = lc;
			stack[top++] = I32At(right, i);
		}
		if (visited > n)
			return Fail(r, "tree %d: a cycle", t);
	}
	if (visited != n)
		return Fail(r, "tree %d: %ld of %ld nodes are not reached from the root", t, n - visited, n);
	return true;
}

static bool
ReadTree(Reader *r, int t)
{
	NodeArray	a[NA_COUNT];
	bool		seen_id = false,
				seen_param = false,
				more;
	long		num_nodes = 0;
	const char *k;
	size_t		klen;

	memcpy(a, node_array_defs, sizeof(a));
	if (!ObjBegin(r))
		return false;
	for (;;)
	{
		int			i = -1;

		if (!ObjNext(r, &more, &k, &klen))
			return false;
		if (!more)
			break;
		if (KeyIs(k, klen, "id"))
		{
			int64_t		id;

			if (seen_id)
				return Fail(r, "tree %d: duplicate key \"id\"", t);
			seen_id = true;
			if (!ReadInt(r, &id))
				return false;
			if (id != t)
				return Fail(r, "tree %d has id %lld", t, (long long) id);
			continue;
		}
		if (KeyIs(k, klen, "tree_param"))
		{
			if (seen_param)
				return Fail(r, "tree %d: duplicate key \"tree_param\"", t);
			seen_param = true;
			if (!ReadTreeParam(r, t, &num_nodes))
				return false;
			continue;
		}
		for (int j = 0; j < NA_COUNT; j++)
			if (KeyIs(k, klen, a[j].name))
				i = j;
		if (i < 0)
			return Unknown(r, "tree", k, klen);
		if (a[i].seen)
			return Fail(r, "tree %d: duplicate key \"%s\"", t, a[i].name);
		a[i].seen = true;
		if (!ReadTypedArray(r, a[i].type, a[i].name, &a[i].data, &a[i].n))
			return false;
	}
	if (!seen_id || !seen_param)
		return Fail(r, "tree %d: missing \"%s\"", t, seen_id ? "tree_param" : "id");
	for (int j = 0; j < NA_COUNT; j++)
	{
		if (!a[j].seen)
			return Fail(r, "tree %d: missing \"%s\"", t, a[j].name);
		if (a[j].per_node ? a[j].n != (size_t) num_nodes : a[j].n != 0)
			return Fail(r, "tree %d: %s has %zu entries, expected %ld", t, a[j].name, a[j].n,
						a[j].per_node ? num_nodes : 0L);
	}
	r->total_nodes += num_nodes;
	if (r->total_nodes > AP_MODEL_MAX_TOTAL_NODES)
		return Fail(r, "more than %d nodes in all", AP_MODEL_MAX_TOTAL_NODES);
	return CheckNodes(r, t, a, num_nodes);
}

static bool
ReadGbtreeModel(Reader *r)
{
	static const char *const names[] = {"gbtree_model_param", "tree_info", "trees"};
	unsigned	seen = 0;
	bool		more;
	const char *k;
	size_t		klen;

	if (!ObjBegin(r))
		return false;
	for (;;)
	{
		int			i;
		size_t		n;

		if (!ObjNext(r, &more, &k, &klen))
			return false;
		if (!more)
			break;
		i = KeyIndex(k, klen, names, 3);
		if (i < 0)
			return Unknown(r, "model", k, klen);
		if (!Once(r, &seen, i, k, klen))
			return false;
		if (i == 0)
		{
			static const char *const pnames[] = {"num_parallel_tree", "num_trees", "size_leaf_vector"};
			unsigned	pseen = 0;

			if (!ObjBegin(r))
				return false;
			for (;;)
			{
				int			j;

				if (!ObjNext(r, &more, &k, &klen))
					return false;
				if (!more)
					break;
				j = KeyIndex(k, klen, pnames, 3);
				if (j < 0)
					return Unknown(r, "gbtree_model_param", k, klen);
				if (!Once(r, &pseen, j, k, klen))
					return false;
				if (j == 1)
				{
					if (!ReadDecimalParam(r, "num_trees", &r->num_trees_param))
						return false;
				}
				else if (!ReadDecimalIs(r, pnames[j], j == 0 ? 1 : 0))
					return false;
			}
			if (!AllSeen(r, "gbtree_model_param", pseen, pnames, 3))
				return false;
			continue;
		}
		/* tree_info and trees: counted arrays of at least 2 bytes an element */
		if (!Expect(r, '[', "an array") || !Expect(r, '#', "a counted array") ||
			!ReadCount(r, 2, &n))
			return false;
		if (n > AP_MODEL_MAX_TREES)
			return Fail(r, "%zu trees, at most %d allowed", n, AP_MODEL_MAX_TREES);
		if (i == 1)
		{
			r->tree_info = (long) n;
			for (size_t t = 0; t < n; t++)
			{
				int64_t		g;

				if (!ReadInt(r, &g))
					return false;
				if (g != 0)
					return Fail(r, "tree_info[%zu] is %lld, expected 0 (one output group)", t, (long long) g);
			}
		}
		else
		{
			r->num_trees = (long) n;
			for (size_t t = 0; t < n; t++)
				if (!ReadTree(r, (int) t))
					return false;
		}
	}
	if (!AllSeen(r, "model", seen, names, 3))
		return false;
	if (r->num_trees_param != r->num_trees || r->tree_info != r->num_trees)
		return Fail(r, "num_trees %ld, %ld trees and %ld tree_info entries disagree",
					r->num_trees_param, r->num_trees, r->tree_info);
	return true;
}

/* gblinear's model: the rounds run and (features + 1) finite weights, the bias last. */
static bool
ReadLinearModel(Reader *r)
{
	static const char *const names[] = {"boosted_rounds", "weights"};
	unsigned	seen = 0;
	bool		more;
	const char *k;
	size_t		klen;

	if (!ObjBegin(r))
		return false;
	for (;;)
	{
		int			i;

		if (!ObjNext(r, &more, &k, &klen))
			return false;
		if (!more)
			break;
		i = KeyIndex(k, klen, names, 2);
		if (i < 0)
			return Unknown(r, "gblinear model", k, klen);
		if (!Once(r, &seen, i, k, klen))
			return false;
		if (i == 0)
		{
			int64_t		rounds;

			if (!ReadInt(r, &rounds))
				return false;
			if (rounds < 0 || rounds > AP_MODEL_MAX_TREES)
				return Fail(r, "boosted_rounds %lld out of range [0, %d]", (long long) rounds, AP_MODEL_MAX_TREES);
		}
		else
		{
			const unsigned char *data;
			size_t		n;

			if (!ReadTypedArray(r, 'd', "weights", &data, &n))
				return false;
			if (n != (size_t) r->expected + 1)
				return Fail(r, "gblinear has %zu weights, expected %d (one per feature and the bias)",
							n, r->expected + 1);
			for (size_t j = 0; j < n; j++)
				if (!isfinite(F32At(data, j)))
					return Fail(r, "gblinear weight %zu is not finite", j);
		}
	}
	return AllSeen(r, "gblinear model", seen, names, 2);
}

/* dart's weight_drop: one finite, non-negative float per tree (a counted array of 'd'). */
static bool
ReadWeightDrop(Reader *r, size_t *count)
{
	if (!Expect(r, '[', "an array") || !Expect(r, '#', "a counted array") ||
		!ReadCount(r, 5, count))
		return false;
	if (*count > AP_MODEL_MAX_TREES)
		return Fail(r, "%zu tree weights, at most %d allowed", *count, AP_MODEL_MAX_TREES);
	for (size_t t = 0; t < *count; t++)
	{
		float		w;

		if (!Expect(r, 'd', "a float32") || !Need(r, 4))
			return false;
		w = F32At(r->p, 0);
		r->p += 4;
		if (!isfinite(w) || w < 0)
			return Fail(r, "weight_drop[%zu] is not a finite non-negative number", t);
	}
	return true;
}

/* The first key of the object at r->p, without consuming anything. */
static bool
PeekFirstKey(Reader *r, const char **k, size_t *klen)
{
	const unsigned char *save = r->p;
	int			depth = r->depth;
	bool		more,
				ok;

	ok = ObjBegin(r) && ObjNext(r, &more, k, klen);
	if (ok && !more)
		ok = Fail(r, "empty model object");
	r->p = save;
	r->depth = depth;
	return ok;
}

/*
 * gradient_booster: gbtree {model, name}, dart {gbtree: a gbtree booster,
 * name, weight_drop: one per tree} or gblinear {model, name}.  Keys come in
 * any order, so the model's kind is told by its first key and checked
 * against the name at the end.  inner: the gbtree inside a dart booster.
 */
static bool
ReadBooster(Reader *r, bool inner)
{
	static const char *const names[] = {"gbtree", "model", "name", "weight_drop"};
	unsigned	seen = 0;
	bool		more,
				linear = false;
	const char *k;
	size_t		klen;
	const char *name = NULL;
	size_t		name_len = 0,
				drops = 0;

	if (!ObjBegin(r))
		return false;
	for (;;)
	{
		int			i;

		if (!ObjNext(r, &more, &k, &klen))
			return false;
		if (!more)
			break;
		i = KeyIndex(k, klen, names, 4);
		if (i < 0)
			return Unknown(r, "gradient_booster", k, klen);
		if (!Once(r, &seen, i, k, klen))
			return false;
		if (i == 0)
		{
			if (inner || !ReadBooster(r, true))
				return inner ? Fail(r, "a dart booster inside a dart booster") : false;
		}
		else if (i == 1)
		{
			const char *fk;
			size_t		fklen;

			if (!PeekFirstKey(r, &fk, &fklen))
				return false;
			linear = KeyIs(fk, fklen, "boosted_rounds") || KeyIs(fk, fklen, "weights");
			if (!(linear ? ReadLinearModel(r) : ReadGbtreeModel(r)))
				return false;
		}
		else if (i == 2)
		{
			if (!ReadString(r, &name, &name_len))
				return false;
		}
		else if (!ReadWeightDrop(r, &drops))
			return false;
	}
	if (name == NULL)
		return Fail(r, "gradient_booster: missing \"name\"");
	if (KeyIs(name, name_len, "gbtree") || (!inner && KeyIs(name, name_len, "gblinear")))
	{
		bool		want_linear = KeyIs(name, name_len, "gblinear");

		if (seen != ((1u << 1) | (1u << 2)))
			return Fail(r, "a %s booster has exactly \"model\" and \"name\"", want_linear ? "gblinear" : "gbtree");
		if (linear != want_linear)
			return Fail(r, "booster \"%s\" holds a %s model", want_linear ? "gblinear" : "gbtree",
						linear ? "linear" : "tree");
		return true;
	}
	if (!inner && KeyIs(name, name_len, "dart"))
	{
		if (seen != ((1u << 0) | (1u << 2) | (1u << 3)))
			return Fail(r, "a dart booster has exactly \"gbtree\", \"name\" and \"weight_drop\"");
		if ((long) drops != r->num_trees)
			return Fail(r, "dart has %zu tree weights for %ld trees", drops, r->num_trees);
		return true;
	}
	return Fail(r, "booster \"%.*s\", expected gbtree, dart or gblinear", (int) (name_len < 40 ? name_len : 40), name);
}

/* base_score: a finite number written as a string ("5E-1"). */
static bool
ReadBaseScore(Reader *r)
{
	const char *s;
	size_t		n;
	char		buf[MAX_PARAM_LEN + 1];
	char	   *end;
	double		v;

	if (!ReadString(r, &s, &n))
		return false;
	if (n == 0 || n > MAX_PARAM_LEN)
		return Fail(r, "base_score is not a number");
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789.eE+-", s[i]) || s[i] == '\0')
			return Fail(r, "base_score is not a number");
	memcpy(buf, s, n);
	buf[n] = '\0';
	v = strtod(buf, &end);
	if (*end != '\0' || !isfinite(v) || !isfinite((float) v))
		return Fail(r, "base_score is not a finite number");
	/* the logistic objective takes its logit */
	if (r->logistic && !(v > 0 && v < 1))
		return Fail(r, "base_score %g is not a probability", v);
	return true;
}

static bool
ReadLearnerParam(Reader *r, const unsigned char **bs_at)
{
	static const char *const names[] = {"base_score", "boost_from_average", "num_class",
	"num_feature", "num_target"};
	unsigned	seen = 0;
	bool		more;
	const char *k;
	size_t		klen;

	if (!ObjBegin(r))
		return false;
	for (;;)
	{
		int			i;
		bool		ok;

		if (!ObjNext(r, &more, &k, &klen))
			return false;
		if (!more)
			break;
		i = KeyIndex(k, klen, names, 5);
		if (i < 0)
			return Unknown(r, "learner_model_param", k, klen);
		if (!Once(r, &seen, i, k, klen))
			return false;
		switch (i)
		{
			case 0:
				/* checked once the objective is known */
				*bs_at = r->p;
				ok = Expect(r, 'S', "a string") && ReadStrBody(r, &k, &klen);
				break;
			case 1:
				{
					long		v;

					ok = ReadDecimalParam(r, "boost_from_average", &v);
					if (ok && v > 1)
						ok = Fail(r, "boost_from_average is %ld", v);
					break;
				}
			case 2:
				ok = ReadDecimalIs(r, "num_class", 0);
				break;
			case 3:
				ok = ReadDecimalIs(r, "num_feature", r->expected);
				break;
			default:
				ok = ReadDecimalIs(r, "num_target", 1);
		}
		if (!ok)
			return false;
	}
	return AllSeen(r, "learner_model_param", seen, names, 5);
}

static bool
ReadObjective(Reader *r, bool *have_name)
{
	bool		more;
	const char *k;
	size_t		klen;
	bool		seen_param = false;

	if (!ObjBegin(r))
		return false;
	for (;;)
	{
		if (!ObjNext(r, &more, &k, &klen))
			return false;
		if (!more)
			break;
		if (KeyIs(k, klen, "name"))
		{
			const char *s;
			size_t		n;

			if (*have_name)
				return Fail(r, "objective: duplicate key \"name\"");
			*have_name = true;
			if (!ReadString(r, &s, &n))
				return false;
			if (KeyIs(s, n, "binary:logistic"))
				r->logistic = true;
			else if (!KeyIs(s, n, "reg:squarederror"))
				return Fail(r, "objective \"%.*s\", expected binary:logistic or reg:squarederror",
							(int) (n < 40 ? n : 40), s);
		}
		else if (KeyIs(k, klen, "reg_loss_param"))
		{
			if (seen_param)
				return Fail(r, "objective: duplicate key \"reg_loss_param\"");
			seen_param = true;
			if (!ReadStringMap(r, "reg_loss_param"))
				return false;
		}
		else
			return Unknown(r, "objective", k, klen);
	}
	if (!*have_name)
		return Fail(r, "objective: missing \"name\"");
	return true;
}

static bool
ReadLearner(Reader *r)
{
	static const char *const names[] = {"attributes", "feature_names", "feature_types",
	"gradient_booster", "learner_model_param", "objective"};
	unsigned	seen = 0;
	bool		more,
				have_name = false;
	const char *k;
	size_t		klen;
	const unsigned char *bs_at = NULL;

	if (!ObjBegin(r))
		return false;
	for (;;)
	{
		int			i;
		bool		ok;

		if (!ObjNext(r, &more, &k, &klen))
			return false;
		if (!more)
			break;
		i = KeyIndex(k, klen, names, 6);
		if (i < 0)
			return Unknown(r, "learner", k, klen);
		if (!Once(r, &seen, i, k, klen))
			return false;
		switch (i)
		{
			case 0:
				ok = ReadStringMap(r, "attributes");
				break;
			case 1:
			case 2:
				ok = ReadEmptyArray(r, names[i]);
				break;
			case 3:
				ok = ReadBooster(r, false);
				break;
			case 4:
				ok = ReadLearnerParam(r, &bs_at);
				break;
			default:
				ok = ReadObjective(r, &have_name);
		}
		if (!ok)
			return false;
	}
	if (!AllSeen(r, "learner", seen, names, 6))
		return false;
	/* base_score needs the objective, which may come after it */
	{
		const unsigned char *save = r->p;
		bool		ok;

		r->p = bs_at;
		ok = ReadBaseScore(r);
		r->p = save;
		return ok;
	}
}

static bool
ReadVersion(Reader *r)
{
	size_t		n;
	int64_t		v[3];

	if (!Expect(r, '[', "an array") || !Expect(r, '#', "a counted array") ||
		!ReadCount(r, 2, &n))
		return false;
	if (n != 3)
		return Fail(r, "version has %zu parts", n);
	for (int i = 0; i < 3; i++)
		if (!ReadInt(r, &v[i]))
			return false;
	if (v[0] != 1 || v[1] < 0 || v[2] < 0)
		return Fail(r, "XGBoost version %lld.%lld.%lld, expected 1.x",
					(long long) v[0], (long long) v[1], (long long) v[2]);
	return true;
}

static bool
ReadModel(Reader *r)
{
	static const char *const names[] = {"learner", "version"};
	unsigned	seen = 0;
	bool		more;
	const char *k;
	size_t		klen;

	if (Left(r) == 0)
		return Fail(r, "empty buffer");
	if (*r->p != '{')
		return Fail(r, "not a UBJSON model (old binary format or other data)");
	if (Left(r) > 1 && r->p[1] != 'L' && r->p[1] != '}')
		return Fail(r, "not a UBJSON model (JSON text models are not accepted)");
	if (!ObjBegin(r))
		return false;
	for (;;)
	{
		int			i;

		if (!ObjNext(r, &more, &k, &klen))
			return false;
		if (!more)
			break;
		i = KeyIndex(k, klen, names, 2);
		if (i < 0)
			return Unknown(r, "model", k, klen);
		if (!Once(r, &seen, i, k, klen))
			return false;
		if (!(i == 0 ? ReadLearner(r) : ReadVersion(r)))
			return false;
	}
	if (!AllSeen(r, "top level", seen, names, 2))
		return false;
	if (Left(r) != 0)
		return Fail(r, "%zu trailing bytes after the model", Left(r));
	return true;
}

bool
ApValidateXgbModel(const unsigned char *buf, size_t len, int expected_features,
				   ApModelSummary *summary, char *reason)
{
	Reader		r;
	bool		ok;

	memset(&r, 0, sizeof(r));
	r.start = r.p = buf;
	r.end = buf + len;
	r.expected = expected_features;
	r.reason = reason;
	reason[0] = '\0';
	if (expected_features < 1 || expected_features > AP_MODEL_MAX_FEATURES)
		ok = Fail(&r, "expected feature count %d out of range [1, %d]", expected_features,
				  AP_MODEL_MAX_FEATURES);
	else if (buf == NULL)
		ok = Fail(&r, "empty buffer");
	else
		ok = ReadModel(&r);
	free(r.scratch);
	if (ok && summary)
	{
		summary->num_feature = expected_features;
		summary->num_trees = (int) r.num_trees;
		summary->total_nodes = r.total_nodes;
		summary->logistic = r.logistic;
	}
	return ok;
}

bool
ApValidateLinear(const double *coef, const double *mean, const double *scale,
				 int n, double intercept, char *reason)
{
	reason[0] = '\0';
	if (n < 1 || n > AP_MODEL_MAX_FEATURES)
	{
		snprintf(reason, AP_MODEL_REASON_LEN, "%d coefficients", n);
		return false;
	}
	if (!isfinite(intercept))
	{
		snprintf(reason, AP_MODEL_REASON_LEN, "the intercept is not finite");
		return false;
	}
	for (int j = 0; j < n; j++)
		if (!isfinite(coef[j]) || !isfinite(mean[j]) || !isfinite(scale[j]) || !(scale[j] > 0))
		{
			snprintf(reason, AP_MODEL_REASON_LEN,
					 "feature %d: coefficient, mean or scale is not finite (or the scale not positive)",
					 j + 1);
			return false;
		}
	return true;
}

void
ApCleanLibraryError(const char *msg, char *out, size_t outlen)
{
	const char *p = msg;
	const char *colon;
	const char *trace;
	size_t		len = 0;

	if (outlen == 0)
		return;
	if (p == NULL)
		p = "";
	/* "[13:45:01] " */
	if (p[0] == '[')
	{
		const char *q = strchr(p, ']');

		if (q != NULL && q - p < 32)
			p = q + 1;
	}
	while (*p == ' ')
		p++;
	/* "/build/xgboost/src/learner.cc:123: Check failed: ..." */
	colon = strstr(p, ": ");
	if (colon != NULL && memchr(p, ' ', colon - p) == NULL && memchr(p, '/', colon - p) != NULL)
		p = colon + 2;
	trace = strstr(p, "Stack trace");
	while (p[len] != '\0' && p[len] != '\n' && p + len != trace && len < outlen - 1)
	{
		out[len] = (p[len] >= 32 && p[len] < 127) ? p[len] : '?';
		len++;
	}
	while (len > 0 && out[len - 1] == ' ')
		len--;
	out[len] = '\0';
	if (len == 0)
		snprintf(out, outlen, "unknown error");
}
