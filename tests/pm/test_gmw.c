/* test_gmw.c — the GMW comparison circuit [popcount(x ^ y) <= T] on XOR
 * shares with dealt Beaver triples, against a plaintext popcount: 64 lanes
 * per run, distances spread around each threshold (including exactly T and
 * T + 1), several thresholds, random sharings. Also: each party's output
 * share alone is not the result, a corrupted triple corrupts results (the
 * test can fail), and too few triples are refused. */
#include <sodium.h>

#include "../../src/pm/pm_int.h"
#include "../test.h"

/* lanes[l] is a 256-bit word (4 x u64); slice to w[i] bit l. */
static void slice(const uint64_t lanes[64][4], uint64_t w[256])
{
	memset(w, 0, 256 * sizeof *w);
	for (int l = 0; l < 64; l++)
		for (int i = 0; i < 256; i++)
			w[i] |= ((lanes[l][i >> 6] >> (i & 63)) & 1ULL) << l;
}

int main(void)
{
	CHECK(vigil__pm_ready() == 0);
	size_t na = vigil__pm_gmw_hd_ands();
	vigil__pm_triple *t0 = calloc(na, sizeof *t0), *t1 = calloc(na, sizeof *t1);
	CHECK(t0 && t1);
	unsigned thresholds[] = {0, 1, 31, 64, 127, 128, 200, 255};
	for (size_t ti = 0; ti < sizeof thresholds / sizeof *thresholds; ti++) {
		unsigned T = thresholds[ti];
		for (int rep = 0; rep < 3; rep++) {
			uint64_t x[64][4], y[64][4], w[256], r[256], w0[256], w1[256];
			unsigned want[64];
			for (int l = 0; l < 64; l++) {
				randombytes_buf(x[l], 32);
				memcpy(y[l], x[l], 32);
				/* distance near T: T-2 .. T+2 for most lanes, random for some */
				int d = (l < 48) ? (int)T - 2 + (l % 5) : (int)randombytes_uniform(257);
				if (d < 0)
					d = 0;
				if (d > 256)
					d = 256;
				/* flip d distinct bits */
				int flipped = 0;
				while (flipped < d) {
					unsigned b = randombytes_uniform(256);
					uint64_t m = 1ULL << (b & 63);
					if ((x[l][b >> 6] ^ y[l][b >> 6]) & m)
						continue;
					y[l][b >> 6] ^= m;
					flipped++;
				}
				unsigned pc = 0;
				for (int k = 0; k < 4; k++)
					pc += (unsigned)__builtin_popcountll(x[l][k] ^ y[l][k]);
				CHECK(pc == (unsigned)d);
				want[l] = pc <= T;
			}
			/* XOR-share w = x ^ y: party 0 gets r, party 1 gets w ^ r
			 * (in F2, x and y arrive shared separately; XOR is local). */
			uint64_t xs[256], ys[256];
			slice(x, xs);
			slice(y, ys);
			randombytes_buf(r, sizeof r);
			for (int i = 0; i < 256; i++) {
				w[i] = xs[i] ^ ys[i];
				w0[i] = r[i];
				w1[i] = w[i] ^ r[i];
			}
			vigil__pm_gmw_deal(t0, t1, na);
			uint64_t o0, o1;
			CHECK(vigil__pm_gmw_hd_le_local(w0, w1, T, t0, t1, na, &o0, &o1) == 0);
			uint64_t res = o0 ^ o1;
			unsigned wrong = 0;
			for (int l = 0; l < 64; l++)
				wrong += ((res >> l) & 1) != want[l];
			CHECKF(wrong == 0, "T=%u: %u lanes wrong", T, wrong);
			/* A share alone is pseudorandom, not the answer (equal with
			 * probability 2^-64). */
			uint64_t wantw = 0;
			for (int l = 0; l < 64; l++)
				wantw |= (uint64_t)want[l] << l;
			CHECK(o0 != wantw && o1 != wantw);
		}
	}
	/* A bad triple (c wrong in all lanes) must show up in the result. */
	{
		uint64_t w0[256], w1[256], o0, o1, g0, g1;
		randombytes_buf(w0, sizeof w0);
		randombytes_buf(w1, sizeof w1);
		vigil__pm_gmw_deal(t0, t1, na);
		CHECK(vigil__pm_gmw_hd_le_local(w0, w1, 128, t0, t1, na, &g0, &g1) == 0);
		unsigned changed = 0;
		for (size_t k = 0; k < na; k += 37) {
			t1[k].c = ~t1[k].c;
			CHECK(vigil__pm_gmw_hd_le_local(w0, w1, 128, t0, t1, na, &o0, &o1) == 0);
			changed += (o0 ^ o1) != (g0 ^ g1);
			t1[k].c = ~t1[k].c;
		}
		CHECK(changed > 0);
		CHECK(vigil__pm_gmw_hd_le_local(w0, w1, 128, t0, t1, na - 1, &o0, &o1) == -1);
		CHECK(vigil__pm_gmw_hd_le_local(w0, w1, 256, t0, t1, na, &o0, &o1) == -1);
	}
	free(t0);
	free(t1);
	return test_done("pm/gmw");
}
