/* f2.c — F2's bucket tables (study §5.2, §5.4 steps 1 and 6): the list's
 * PDQ hashes split into 16 chunks of 16 bits; table j has 65,536 buckets
 * (one per value of chunk j) padded to B entries of 32 bytes, B chosen from
 * the bank's measured bucket sizes so that at most S entries per table
 * overflow into a stash that every query also gets. Dummies (padding, and
 * unused stash entries) are pseudorandom hashes from a seed both servers
 * share, so the two servers' tables are byte-identical. A server answers a
 * DPF key with the XOR of the rows its evaluation selects: the two answers
 * XOR to the bucket, and neither server knows which bucket it was.
 * vigil__pm_f2_query_local runs a whole query with both servers in one
 * process. The two server processes, the counter and the evidence release
 * of F2 are not built (docs/pm.md). */
#include <sodium.h>
#include <string.h>

#include "../core/core.h"
#include "pm_int.h"

static void dummies(uint8_t *out, size_t n, const uint8_t seed[32], unsigned j, unsigned tag)
{
	uint8_t nonce[12] = {0};
	nonce[0] = (uint8_t)j;
	nonce[1] = (uint8_t)tag;
	memset(out, 0, n * 32);
	crypto_stream_chacha20_ietf_xor(out, out, n * 32, nonce, seed);
}

void vigil__pm_f2_free(vigil__pm_f2_tables *t)
{
	for (int j = 0; j < 16; j++) {
		vigil__free(t->rows[j]);
		vigil__free(t->stash[j]);
		t->rows[j] = t->stash[j] = NULL;
	}
}

int vigil__pm_f2_build(vigil__pm_f2_tables *t, const uint8_t (*h)[32], size_t n,
		       unsigned stash, unsigned max_b, const uint8_t seed[32])
{
	memset(t, 0, sizeof *t);
	uint32_t *cnt = vigil__calloc(65536, sizeof *cnt);
	if (!cnt)
		return VIGIL_ENOMEM;
	/* B: the smallest bucket size whose overflow fits the stash in every
	 * table (measured skew, not the uniform model). */
	unsigned B = 1;
	for (unsigned j = 0; j < 16; j++) {
		memset(cnt, 0, 65536 * sizeof *cnt);
		for (size_t i = 0; i < n; i++)
			cnt[vigil__pm_f2_chunk(h[i], j)]++;
		for (;;) {
			size_t over = 0;
			for (unsigned v = 0; v < 65536; v++)
				over += cnt[v] > B ? cnt[v] - B : 0;
			if (over <= stash)
				break;
			if (++B > max_b) {
				vigil__free(cnt);
				return VIGIL_ETOOBIG;
			}
		}
	}
	t->B = B;
	t->S = stash;
	int rc = VIGIL_ENOMEM;
	for (unsigned j = 0; j < 16; j++) {
		size_t rowb = (size_t)B * 32, nst = 0;
		t->rows[j] = vigil__malloc(65536 * rowb);
		t->stash[j] = vigil__malloc((size_t)(stash ? stash : 1) * 32);
		if (!t->rows[j] || !t->stash[j])
			goto out;
		dummies(t->rows[j], 65536 * (size_t)B, seed, j, 0);
		dummies(t->stash[j], stash ? stash : 1, seed, j, 1);
		memset(cnt, 0, 65536 * sizeof *cnt);
		for (size_t i = 0; i < n; i++) {
			unsigned v = vigil__pm_f2_chunk(h[i], j);
			if (cnt[v] < B)
				memcpy(t->rows[j] + (size_t)v * rowb + (size_t)cnt[v]++ * 32, h[i], 32);
			else
				memcpy(t->stash[j] + nst++ * 32, h[i], 32);
		}
	}
	rc = VIGIL_OK;
out:
	vigil__free(cnt);
	if (rc)
		vigil__pm_f2_free(t);
	return rc;
}

void vigil__pm_f2_fetch(const vigil__pm_f2_tables *t, unsigned j, const uint8_t bits[8192],
			uint8_t *out)
{
	/* Every row is read and masked, whatever the bits: the scan the study
	 * costs (about half the table's bytes change the result). */
	size_t words = (size_t)t->B * 4;
	uint64_t *o = (uint64_t *)(void *)out;
	memset(out, 0, words * 8);
	const uint8_t *r = t->rows[j];
	for (unsigned v = 0; v < 65536; v++) {
		uint64_t m = (uint64_t)0 - (uint64_t)((bits[v >> 3] >> (v & 7)) & 1);
		for (size_t k = 0; k < words; k++) {
			uint64_t x;
			memcpy(&x, r + ((size_t)v * words + k) * 8, 8);
			o[k] ^= x & m;
		}
	}
}

/* Bit-slices a 32-byte word into lane c of w (bit i of the word in w[c /
 * 64][i], lane c % 64). */
void vigil__pm_to_lane(uint64_t (*w)[256], size_t c, const uint8_t h[32])
{
	size_t word = c / 64;
	uint64_t bit = (uint64_t)1 << (c % 64);
	for (int i = 0; i < 256; i++)
		if ((h[i >> 3] >> (i & 7)) & 1)
			w[word][i] |= bit;
}

int vigil__pm_f2_query_local(const vigil__pm_f2_tables *s1, const vigil__pm_f2_tables *s2,
			     const uint8_t x[32], unsigned T, int *match)
{
	size_t B = s1->B, S = s1->S, ncand = 16 * (B + S), nwords = (ncand + 63) / 64;
	size_t na = vigil__pm_gmw_any_ands(nwords);
	uint64_t(*w0)[256] = vigil__calloc(nwords, sizeof *w0);
	uint64_t(*w1)[256] = vigil__calloc(nwords, sizeof *w1);
	vigil__pm_triple *t0 = vigil__malloc(na * sizeof *t0), *t1 = vigil__malloc(na * sizeof *t1);
	uint8_t *a0 = vigil__malloc(B * 32 + 8), *a1 = vigil__malloc(B * 32 + 8);
	uint8_t *bits0 = vigil__malloc(8192), *bits1 = vigil__malloc(8192);
	uint8_t r[32], x2[32], p0[32], p1[32], ones[32];
	int rc = VIGIL_ENOMEM;

	*match = 0;
	if (!w0 || !w1 || !t0 || !t1 || !a0 || !a1 || !bits0 || !bits1)
		goto out;
	/* Client: S1 gets r, S2 gets x ^ r. */
	randombytes_buf(r, 32);
	for (int i = 0; i < 32; i++)
		x2[i] = x[i] ^ r[i];
	size_t c = 0;
	for (unsigned j = 0; j < 16; j++) {
		vigil__pm_dpf_key k1, k2;
		rc = VIGIL_EINTERNAL;
		if (vigil__pm_dpf_gen(&k1, &k2, (uint16_t)vigil__pm_f2_chunk(x, j)))
			goto out;
		vigil__pm_dpf_eval_all(&k1, bits0); /* S1 */
		vigil__pm_dpf_eval_all(&k2, bits1); /* S2 */
		vigil__pm_f2_fetch(s1, j, bits0, a0);
		vigil__pm_f2_fetch(s2, j, bits1, a1);
		sodium_memzero(&k1, sizeof k1);
		sodium_memzero(&k2, sizeof k2);
		/* Candidates: the bucket's B entries (shared), then the stash (S1
		 * holds it in the clear, S2 zeros). Each party's lane word is its
		 * share of x ^ y. */
		for (size_t e = 0; e < B + S; e++, c++) {
			for (int i = 0; i < 32; i++) {
				p0[i] = r[i] ^ (e < B ? a0[e * 32 + i] : s1->stash[j][(e - B) * 32 + i]);
				p1[i] = x2[i] ^ (e < B ? a1[e * 32 + i] : 0);
			}
			vigil__pm_to_lane(w0, c, p0);
			vigil__pm_to_lane(w1, c, p1);
		}
	}
	/* Padding lanes: distance 256. */
	memset(ones, 0xff, 32);
	for (; c < nwords * 64; c++)
		vigil__pm_to_lane(w0, c, ones);
	vigil__pm_gmw_deal(t0, t1, na);
	uint8_t o0, o1;
	rc = VIGIL_EINTERNAL;
	if (vigil__pm_gmw_any_le_local((const uint64_t(*)[256])w0, (const uint64_t(*)[256])w1,
				       nwords, T, t0, t1, na, &o0, &o1))
		goto out;
	*match = (o0 ^ o1) & 1;
	rc = VIGIL_OK;
out:
	if (w0)
		sodium_memzero(w0, nwords * sizeof *w0);
	if (w1)
		sodium_memzero(w1, nwords * sizeof *w1);
	sodium_memzero(r, 32);
	sodium_memzero(x2, 32);
	sodium_memzero(p0, 32);
	sodium_memzero(p1, 32);
	vigil__free(w0);
	vigil__free(w1);
	vigil__free(t0);
	vigil__free(t1);
	vigil__free(a0);
	vigil__free(a1);
	vigil__free(bits0);
	vigil__free(bits1);
	return rc;
}
