/*
 * bench_hooks.h - the hooks the kernels expect from their window layer
 * (scratch memory, the interrupt check), as plain C for the kernel benches.
 * Included once by each bench program.
 */
#ifndef AP_BENCH_HOOKS_H
#define AP_BENCH_HOOKS_H

#include <stdlib.h>

void *
TaAlloc(size_t size)
{
	void	   *p = malloc(size > 0 ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

void
TaFree(void *ptr)
{
	free(ptr);
}

/* the window layer's CHECK_FOR_INTERRUPTS: a flag test */
volatile int bench_interrupt_pending = 0;

void
TaCheckInterrupts(void)
{
	if (bench_interrupt_pending)
		abort();
}

#endif							/* AP_BENCH_HOOKS_H */
