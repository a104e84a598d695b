/* Every Hamming kernel this CPU runs (POPCNT, AVX2, AVX-512) against the
 * portable reference, on random data with near entries planted, at all
 * lengths up to a chunk (so every tail path runs) and every radius. */
#include "ixtest.h"
#include "../../src/index/index_int.h"

#include <stdlib.h>

#define N VIGIL__HAM_CHUNK

int main(void)
{
	unsigned long long s = 0x6b65726e656cULL;
	static uint64_t hw[4 * (N + 8)];
	uint32_t slots[N], o0[N], o1[N];
	uint16_t d0[N], d1[N];
	const vigil__ham_ops *const *all;
	size_t nops, k, i, len;
	uint64_t q[4];
	int round;

	all = vigil__ham_all(&nops);
	CHECK(nops >= 1 && !strcmp(all[0]->name, "ref"));
	CHECK(vigil__ham_best() == all[nops - 1]);
	for (k = 0; k < nops; k++)
		printf("kernel %s\n", all[k]->name);
	for (round = 0; round < 40; round++) {
		for (i = 0; i < 4; i++)
			q[i] = test_rand(&s);
		for (i = 0; i < N + 8; i++) {
			int b, flips = (int)(test_rand(&s) % 80);

			memcpy(&hw[4 * i], q, 32);
			if (test_rand(&s) % 4 == 0) { /* far: random */
				for (b = 0; b < 4; b++)
					hw[4 * i + b] = test_rand(&s);
				continue;
			}
			while (flips--) {
				b = (int)(test_rand(&s) % 256);
				hw[4 * i + b / 64] ^= 1ULL << (b % 64);
			}
		}
		if (round == 0) /* all bits differ: distance 256 */
			for (i = 0; i < 4; i++)
				hw[i] = ~q[i];
		for (i = 0; i < N; i++)
			slots[i] = (uint32_t)(test_rand(&s) % (N + 8));
		for (len = 0; len <= N; len += round < 2 ? 1 : 37) {
			int r = round == 1 ? 256 : (int)(test_rand(&s) % 100);
			uint32_t base = (uint32_t)(test_rand(&s) % 1000);
			size_t c0, c1;

			c0 = all[0]->scan(hw + 4, base, len, q, r, o0, d0);
			for (k = 1; k < nops; k++) {
				c1 = all[k]->scan(hw + 4, base, len, q, r, o1, d1);
				CHECKF(c1 == c0 && !memcmp(o0, o1, c0 * 4) &&
				       !memcmp(d0, d1, c0 * 2),
				       "%s scan len %zu r %d", all[k]->name, len, r);
			}
			for (i = 0, c1 = 0; i < len; i++) {
				int d = 0, b;

				for (b = 0; b < 4; b++)
					d += pc64(hw[4 * (i + 1) + b] ^ q[b]);
				c1 += d <= r;
			}
			CHECKF(c1 == c0, "ref scan len %zu r %d: %zu of %zu", len, r,
			       c0, c1);
			for (i = 0; i < c0; i++) {
				uint32_t e = o0[i] - base + 1;
				int d = 0, b;

				for (b = 0; b < 4; b++)
					d += pc64(hw[4 * e + b] ^ q[b]);
				CHECK(d == d0[i] && d <= r);
			}
			c0 = all[0]->gather(hw, slots, len, q, r, o0, d0);
			for (k = 1; k < nops; k++) {
				c1 = all[k]->gather(hw, slots, len, q, r, o1, d1);
				CHECKF(c1 == c0 && !memcmp(o0, o1, c0 * 4) &&
				       !memcmp(d0, d1, c0 * 2),
				       "%s gather len %zu r %d", all[k]->name, len, r);
			}
		}
		{
			/* the scan of round 0 must have seen distance 256 */
			size_t c = all[nops - 1]->scan(hw, 0, 1, q, 256, o1, d1);

			if (round == 0)
				CHECK(c == 1 && d1[0] == 256);
		}
	}
	return test_done("index-kernels");
}
