/* alloc.c — the library's allocator, with a fault-injection switch that the
 * OOM tests use to fail the Nth allocation. */
#include "core.h"

#include <stdlib.h>

static long fault_countdown = -1; /* < 0: off */
static long alloc_count;

/* Every thread allocates through here (a monitor's streams, a server's
 * requests): the counters are touched atomically, so the switch costs no
 * data race when it is off. Counting down is for single-threaded tests. */
static int should_fail(void)
{
	__atomic_fetch_add(&alloc_count, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&fault_countdown, __ATOMIC_RELAXED) < 0)
		return 0;
	if (fault_countdown == 0)
		return 1;
	fault_countdown--;
	return 0;
}

long vigil__fault_after(long n)
{
	long c = alloc_count;

	fault_countdown = n;
	alloc_count = 0;
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
