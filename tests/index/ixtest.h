/* ixtest.h — helpers shared by the index tests: synthetic hashes (random, or
 * a stored hash with bits flipped) and a brute-force reference that does not
 * share code with the library's kernels. All data here is random. */
#ifndef VIGIL_IXTEST_H
#define VIGIL_IXTEST_H

#include "vigil.h"
#include "../test.h"

#include <stdint.h>
#include <string.h>

static inline void rand_pdq(unsigned long long *s, vigil_pdq *h)
{
	int i;

	for (i = 0; i < 32; i += 8) {
		unsigned long long r = test_rand(s);

		memcpy(h->bits + i, &r, 8);
	}
	h->quality = (int)(test_rand(s) % 101);
}

static inline void flip_bit(vigil_pdq *h, int b)
{
	h->bits[b >> 3] ^= (uint8_t)(1u << (b & 7));
}

/* Flips k distinct random bits of h. */
static inline void flip_k(unsigned long long *s, vigil_pdq *h, int k)
{
	uint8_t done[256] = {0};

	while (k > 0) {
		int b = (int)(test_rand(s) % 256);

		if (done[b])
			continue;
		done[b] = 1;
		flip_bit(h, b);
		k--;
	}
}

/* SWAR popcount: deliberately not __builtin_popcountll, so the reference
 * shares nothing with the code under test. */
static inline int pc64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (int)((x * 0x0101010101010101ULL) >> 56);
}

static inline int ref_dist(const vigil_pdq *a, const vigil_pdq *b)
{
	int i, d = 0;

	for (i = 0; i < 32; i += 8) {
		uint64_t x, y;

		memcpy(&x, a->bits + i, 8);
		memcpy(&y, b->bits + i, 8);
		d += pc64(x ^ y);
	}
	return d;
}

/* The order the index promises: distance, then id, then hash bytes. */
static inline int ref_hit_cmp(const void *pa, const void *pb)
{
	const vigil_index_hit *a = pa, *b = pb;

	if (a->distance != b->distance)
		return a->distance < b->distance ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return memcmp(a->hash.bits, b->hash.bits, 32);
}

static inline int same_hit(const vigil_index_hit *a, const vigil_index_hit *b)
{
	return a->id == b->id && a->distance == b->distance &&
	       a->variant == b->variant &&
	       !memcmp(a->hash.bits, b->hash.bits, 32) &&
	       a->hash.quality == b->hash.quality;
}

#endif
