/*
 * ta_rolling.c - window extremes and small helpers shared by the kernels.
 */
#include "ta.h"

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
