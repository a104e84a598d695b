/* test_f2.c — F2's retrieval and comparison in one process: bucket tables
 * built from an invented bank (B measured), identical on both servers; for
 * each query the client makes 16 DPF key pairs, each server scans its
 * tables with its keys, and the two answers XOR to exactly the buckets of
 * the query's chunks (neither server's answer alone is the bucket); then the
 * servers evaluate "any candidate within 31" with GMW on client-dealt
 * triples, and the opened bit equals the plaintext answer over the same
 * candidates, and the bank-wide brute force for near-duplicates within 15
 * bits (guaranteed recall) and for random queries. */
#include <sodium.h>

#include "../../src/pm/pm_int.h"
#include "../test.h"

#define NBANK 3000
#define STASH 24

static unsigned hd(const uint8_t *a, const uint8_t *b)
{
	unsigned d = 0;
	for (int i = 0; i < 32; i++)
		d += (unsigned)__builtin_popcount(a[i] ^ b[i]);
	return d;
}

static void to_lane(uint64_t (*w)[256], size_t c, const uint8_t h[32])
{
	size_t word = c / 64, lane = c % 64;
	for (int i = 0; i < 256; i++)
		if ((h[i >> 3] >> (i & 7)) & 1)
			w[word][i] |= 1ULL << lane;
}

int main(void)
{
	CHECK(vigil__pm_ready() == 0);
	static uint8_t bank[NBANK][32];
	randombytes_buf(bank, sizeof bank);
	/* Skew: 18 hashes share chunk 0 (a flat-image cluster), so B is
	 * driven by measurement, and the stash is used. */
	for (int i = 0; i < 18; i++) {
		bank[i][0] = 0xab;
		bank[i][1] = 0xcd;
	}
	uint8_t seed[32];
	randombytes_buf(seed, 32);
	vigil__pm_f2_tables s1, s2;
	CHECK(vigil__pm_f2_build(&s1, (const uint8_t(*)[32])bank, NBANK, STASH, 64, seed) == 0);
	CHECK(vigil__pm_f2_build(&s2, (const uint8_t(*)[32])bank, NBANK, STASH, 64, seed) == 0);
	CHECK(s1.B == s2.B && s1.B >= 2);
	int same = 1;
	for (int j = 0; j < 16; j++)
		same &= memcmp(s1.rows[j], s2.rows[j], 65536 * (size_t)s1.B * 32) == 0 &&
			memcmp(s1.stash[j], s2.stash[j], STASH * 32) == 0;
	CHECK(same);
	printf("B = %u, stash = %u\n", s1.B, STASH);
	/* Too small a ceiling for B is refused. */
	vigil__pm_f2_tables bad;
	CHECK(vigil__pm_f2_build(&bad, (const uint8_t(*)[32])bank, NBANK, 0, 1, seed) ==
	      VIGIL_ETOOBIG);

	size_t B = s1.B, ncand = 16 * (B + STASH), nwords = (ncand + 63) / 64;
	size_t na = vigil__pm_gmw_any_ands(nwords);
	uint64_t(*w0)[256] = calloc(nwords, sizeof *w0), (*w1)[256] = calloc(nwords, sizeof *w1);
	vigil__pm_triple *t0 = calloc(na, sizeof *t0), *t1 = calloc(na, sizeof *t1);
	uint64_t *a0 = malloc(B * 32), *a1 = malloc(B * 32);
	static uint8_t bits0[8192], bits1[8192];
	CHECK(w0 && w1 && t0 && t1 && a0 && a1);

	int dists[] = {0, 3, 15, 15, 24, 31, 40, -1, -1, -1};
	for (size_t q = 0; q < sizeof dists / sizeof *dists; q++) {
		uint8_t x[32];
		if (dists[q] < 0) {
			randombytes_buf(x, 32);
		} else {
			int src = q == 1 ? 7 : (int)(100 + q); /* q 1: inside the skewed cluster */
			memcpy(x, bank[src], 32);
			for (int f = 0; f < dists[q];) {
				unsigned b = randombytes_uniform(256);
				if ((x[b >> 3] ^ bank[src][b >> 3]) & (1u << (b & 7)))
					continue;
				x[b >> 3] ^= (uint8_t)(1u << (b & 7));
				f++;
			}
		}
		/* Client: XOR-share x (S1 gets r, S2 gets x ^ r). */
		uint8_t r[32], x2[32];
		randombytes_buf(r, 32);
		for (int i = 0; i < 32; i++)
			x2[i] = x[i] ^ r[i];
		memset(w0, 0, nwords * sizeof *w0);
		memset(w1, 0, nwords * sizeof *w1);
		size_t c = 0;
		int plain_any = 0;
		unsigned plain_best = 256;
		for (unsigned j = 0; j < 16; j++) {
			vigil__pm_dpf_key k1, k2;
			unsigned cj = vigil__pm_f2_chunk(x, j);
			CHECK(vigil__pm_dpf_gen(&k1, &k2, (uint16_t)cj) == 0);
			vigil__pm_dpf_eval_all(&k1, bits0);
			vigil__pm_dpf_eval_all(&k2, bits1);
			vigil__pm_f2_fetch(&s1, j, bits0, (uint8_t *)a0);
			vigil__pm_f2_fetch(&s2, j, bits1, (uint8_t *)a1);
			uint8_t row[64 * 32];
			for (size_t k = 0; k < B * 4; k++)
				((uint64_t *)(void *)row)[k] = a0[k] ^ a1[k];
			CHECK(memcmp(row, s1.rows[j] + (size_t)cj * B * 32, B * 32) == 0);
			CHECK(memcmp(a0, s1.rows[j] + (size_t)cj * B * 32, B * 32) != 0);
			/* Candidates: the bucket's B entries (shared), then the stash
			 * (S1 holds it in the clear, S2 holds zeros). */
			for (size_t e = 0; e < B + STASH; e++, c++) {
				uint8_t y0[32], y1[32], p0[32], p1[32], y[32];
				if (e < B) {
					memcpy(y0, (uint8_t *)a0 + e * 32, 32);
					memcpy(y1, (uint8_t *)a1 + e * 32, 32);
				} else {
					memcpy(y0, s1.stash[j] + (e - B) * 32, 32);
					memset(y1, 0, 32);
				}
				for (int i = 0; i < 32; i++) {
					p0[i] = r[i] ^ y0[i];
					p1[i] = x2[i] ^ y1[i];
					y[i] = y0[i] ^ y1[i];
				}
				to_lane(w0, c, p0);
				to_lane(w1, c, p1);
				unsigned d = hd(x, y);
				plain_any |= d <= 31;
				plain_best = d < plain_best ? d : plain_best;
			}
		}
		/* Padding lanes: w = all ones (distance 256). */
		for (; c < nwords * 64; c++) {
			uint8_t ones[32];
			memset(ones, 0xff, 32);
			to_lane(w0, c, ones);
		}
		int bank_any = 0;
		for (int i = 0; i < NBANK; i++)
			bank_any |= hd(x, bank[i]) <= 31;
		vigil__pm_gmw_deal(t0, t1, na);
		uint8_t o0, o1;
		CHECK(vigil__pm_gmw_any_le_local((const uint64_t(*)[256])w0,
						 (const uint64_t(*)[256])w1, nwords, 31, t0, t1, na,
						 &o0, &o1) == 0);
		int got = o0 ^ o1;
		CHECKF(got == plain_any, "query %zu (d=%d): mpc %d, plaintext candidates %d (best %u)",
		       q, dists[q], got, plain_any, plain_best);
		if (dists[q] >= 0 && dists[q] <= 15)
			CHECKF(got == 1 && bank_any, "query %zu: guaranteed recall", q);
		if (dists[q] < 0)
			CHECK(got == 0 && bank_any == 0);
		if (dists[q] > 15 && dists[q] <= 31) /* bucket recall may miss; never a false 1 */
			CHECK(!got || bank_any);
	}
	free(w0);
	free(w1);
	free(t0);
	free(t1);
	free(a0);
	free(a1);
	vigil__pm_f2_free(&s1);
	vigil__pm_f2_free(&s2);
	return test_done("pm/f2");
}
