/* alloc.c — the library's allocator, with a fault-injection switch that the
 * OOM tests use to fail the Nth allocation. */
#include "core.h"

#include <stdlib.h>

/* Relaxed atomics: allocations happen on many threads (the server's, the
 * CLI's pool); the OOM tests that use the countdown are single-threaded. */
static long fault_countdown = -1; /* < 0: off */
static long alloc_count;

static int should_fail(void)
{
	long c;

	__atomic_add_fetch(&alloc_count, 1, __ATOMIC_RELAXED);
	c = __atomic_load_n(&fault_countdown, __ATOMIC_RELAXED);
	if (c < 0)
		return 0;
	if (c == 0)
		return 1;
	__atomic_sub_fetch(&fault_countdown, 1, __ATOMIC_RELAXED);
	return 0;
}

long vigil__fault_after(long n)
{
	long c = __atomic_load_n(&alloc_count, __ATOMIC_RELAXED);

	__atomic_store_n(&fault_countdown, n, __ATOMIC_RELAXED);
	__atomic_store_n(&alloc_count, 0, __ATOMIC_RELAXED);
	return c;
}

void *vigil__malloc(size_t n)
{
	return should_fail() ? NULL : malloc(n ? n : 1);
}

void *vigil__calloc(size_t n, size_t size)
{
	return should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1);
}

void *vigil__realloc(void *p, size_t n)
{
	return should_fail() ? NULL : realloc(p, n ? n : 1);
}

void vigil__free(void *p)
{
	free(p);
}

void *vigil__grow(void *array, size_t *cap, size_t n, size_t elem)
{
	size_t c, bytes;
	void *p;

	if (n < *cap)
		return array;
	c = *cap ? 2 * *cap : 16;
	if (c < *cap || vigil__mul_size(c, elem, &bytes))
		return NULL;
	p = vigil__realloc(array, bytes);
	if (p)
		*cap = c;
	return p;
}
