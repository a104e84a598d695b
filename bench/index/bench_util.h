/* What the index benchmarks share: the xorshift64* generator that makes
 * their synthetic hashes and a monotonic clock. Each benchmark defines
 * BENCH_SEED before including this (its own seed, so that its data sets
 * stay the ones its README's figures were taken on). Header-only: each
 * benchmark is a single translation unit. */
#ifndef VIGIL_BENCH_UTIL_H
#define VIGIL_BENCH_UTIL_H

#include <stdint.h>
#include <time.h>

#ifndef BENCH_SEED
#error "define BENCH_SEED (a non-zero 64-bit seed) before including bench_util.h"
#endif

static uint64_t rng = BENCH_SEED;

static inline uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
