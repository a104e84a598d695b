/* index_int.h — internals of the index subsystem shared by its files, its
 * tests and its benchmark: the Hamming-distance kernels and the test knobs.
 * Not installed; names are vigil__. */
#ifndef VIGIL_INDEX_INT_H
#define VIGIL_INDEX_INT_H

#include "../core/core.h"

#include <stdint.h>

/* Kernels never get more than this many entries per call, so callers can
 * hold their output in stack buffers. */
#define VIGIL__HAM_CHUNK 256

/* One implementation of the two hot loops over packed hashes. A hash is four
 * uint64_t words (its 32 bytes memcpy'd, native byte order); hw points at an
 * array of such 4-word hashes. Both functions write the slot of every entry
 * within distance r of q to out[] and its distance to dist[], in input order,
 * and return how many they wrote (at most n, n <= VIGIL__HAM_CHUNK). */
typedef struct vigil__ham_ops {
	const char *name; /* "ref", "popcnt", "avx2", "avx512" */
	/* Entries base .. base+n-1: hw points at entry base. */
	size_t (*scan)(const uint64_t *hw, uint32_t base, size_t n,
		       const uint64_t q[4], int r, uint32_t *out,
		       uint16_t *dist);
	/* Entries slots[0..n-1]: hw points at entry 0. */
	size_t (*gather)(const uint64_t *hw, const uint32_t *slots, size_t n,
			 const uint64_t q[4], int r, uint32_t *out,
			 uint16_t *dist);
} vigil__ham_ops;

/* The fastest implementation this CPU runs, picked once. */
const vigil__ham_ops *vigil__ham_best(void);
/* Every implementation this CPU runs, reference first; *n gets the count.
 * For tests and the benchmark. */
const vigil__ham_ops *const *vigil__ham_all(size_t *n);

/* How a vigil_index answers queries. AUTO picks per query by estimated cost;
 * the others force one path (tests check both against brute force). */
enum {
	VIGIL__IX_AUTO = 0,
	VIGIL__IX_MIH = 1,  /* multi-index hashing, whatever the radius */
	VIGIL__IX_SCAN = 2, /* linear scan */
};
void vigil__index_set_strategy(vigil_index *ix, int strategy);
/* Bytes the index has allocated (not counting malloc's own overhead). */
size_t vigil__index_bytes(vigil_index *ix);
/* Makes the index use the given kernels instead of the best ones. */
void vigil__index_set_ops(vigil_index *ix, const vigil__ham_ops *ops);
/* Sets the delta size below which adds never rebuild the built part
 * (default 65536), so tests can exercise rebuilds with small banks. */
void vigil__index_set_delta_min(vigil_index *ix, size_t n);
/* Entries in the built (CSR) part, dead ones included. */
size_t vigil__index_built(vigil_index *ix);

#endif
