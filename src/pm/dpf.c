/* dpf.c — Boyle–Gilboa–Ishai distributed point function (CCS 2016, Fig. 1)
 * over the domain 2^16 with 1-bit outputs, for F2's two-server bucket fetch.
 * Early termination: the tree has 9 levels over the top 9 bits; each leaf
 * carries 128 output bits for the low 7 bits, so a key is 16 + 1 + 9*18 + 16
 * = 195 bytes and a full-domain evaluation costs 511 PRG calls.
 *
 * Secrets: alpha (the client's chunk value) steers only which half is kept
 * in Gen; that choice is made with masks, not branches. Eval has no secret
 * branch either (the control bit selects corrections by mask). */
#include <sodium.h>
#include <string.h>

#include "pm_int.h"

/* G(s): 2 x (16-byte seed, control bit) from a ChaCha20 keystream keyed by
 * s. "conv" selects the output-conversion stream instead (a different
 * nonce), which expands a leaf seed to its 128 output bits. */
static void prg(uint8_t out[64], const uint8_t s[16], int conv)
{
	uint8_t key[32] = {0}, nonce[12] = {0};
	memcpy(key, s, 16);
	nonce[0] = (uint8_t)(conv ? 2 : 1);
	memset(out, 0, 64);
	crypto_stream_chacha20_ietf_xor(out, out, 64, nonce, key);
	sodium_memzero(key, sizeof key);
}

/* Copy of a in dst where mask is 0xff, b where it is 0 (no branch). */
static void sel16(uint8_t *dst, const uint8_t *a, const uint8_t *b, uint8_t mask)
{
	for (int i = 0; i < 16; i++)
		dst[i] = (uint8_t)((a[i] & mask) | (b[i] & (uint8_t)~mask));
}

int vigil__pm_dpf_gen(vigil__pm_dpf_key *k0, vigil__pm_dpf_key *k1, uint16_t alpha)
{
	uint8_t s[2][16], t[2], g[2][64], keep[2][16], lose[2][16];
	memset(k0, 0, sizeof *k0);
	memset(k1, 0, sizeof *k1);
	randombytes_buf(s[0], 16);
	randombytes_buf(s[1], 16);
	t[0] = 0;
	t[1] = 1;
	memcpy(k0->seed, s[0], 16);
	memcpy(k1->seed, s[1], 16);
	k0->t = 0;
	k1->t = 1;
	for (int lv = 0; lv < VIGIL__PM_DPF_LEVELS; lv++) {
		uint8_t a = (uint8_t)((alpha >> (15 - lv)) & 1);
		uint8_t am = (uint8_t)-a; /* 0xff if the path goes right */
		for (int b = 0; b < 2; b++) {
			prg(g[b], s[b], 0);
			/* g = sL(0..15) sR(16..31) tL(32) tR(33) */
			sel16(keep[b], g[b] + 16, g[b], am);
			sel16(lose[b], g[b], g[b] + 16, am);
		}
		uint8_t scw[16], tl[2], tr[2];
		for (int i = 0; i < 16; i++)
			scw[i] = lose[0][i] ^ lose[1][i];
		for (int b = 0; b < 2; b++) {
			tl[b] = g[b][32] & 1;
			tr[b] = g[b][33] & 1;
		}
		uint8_t tcwl = tl[0] ^ tl[1] ^ a ^ 1;
		uint8_t tcwr = tr[0] ^ tr[1] ^ a;
		memcpy(k0->cw_s[lv], scw, 16);
		memcpy(k1->cw_s[lv], scw, 16);
		k0->cw_t[lv][0] = k1->cw_t[lv][0] = tcwl;
		k0->cw_t[lv][1] = k1->cw_t[lv][1] = tcwr;
		uint8_t tcwkeep = (uint8_t)((tcwr & a) | (tcwl & (a ^ 1)));
		for (int b = 0; b < 2; b++) {
			uint8_t tm = (uint8_t)-t[b];
			uint8_t tkeep = (uint8_t)((tr[b] & a) | (tl[b] & (a ^ 1)));
			for (int i = 0; i < 16; i++)
				s[b][i] = keep[b][i] ^ (scw[i] & tm);
			t[b] = tkeep ^ (t[b] & tcwkeep);
		}
	}
	/* Output correction: beta is the 128-bit leaf with bit (alpha & 127)
	 * set; CW = beta ^ Convert(s0) ^ Convert(s1). The bit is set by a
	 * mask per byte rather than an index, so alpha's low bits do not pick a
	 * memory address. */
	uint8_t c0[64], c1[64];
	prg(c0, s[0], 1);
	prg(c1, s[1], 1);
	unsigned low = alpha & 127;
	for (unsigned i = 0; i < 16; i++) {
		uint8_t eq = (uint8_t)(((i ^ (low >> 3)) - 1u) >> 8); /* 0xff iff i == low>>3 */
		uint8_t beta = (uint8_t)((1u << (low & 7)) & eq);
		k0->cw_out[i] = k1->cw_out[i] = beta ^ c0[i] ^ c1[i];
	}
	sodium_memzero(s, sizeof s);
	sodium_memzero(g, sizeof g);
	sodium_memzero(keep, sizeof keep);
	sodium_memzero(lose, sizeof lose);
	sodium_memzero(c0, sizeof c0);
	sodium_memzero(c1, sizeof c1);
	return 0;
}

void vigil__pm_dpf_eval_all(const vigil__pm_dpf_key *k, uint8_t out[8192])
{
	/* Breadth-first: level lv holds 2^lv (seed, bit) nodes. 512 leaves of
	 * 16 bytes + 1 bit at the last level. */
	static const int NL = 1 << VIGIL__PM_DPF_LEVELS;
	uint8_t(*cur)[16] = (uint8_t(*)[16])out; /* reuse out as scratch: 512*16 = 8192 */
	uint8_t tb[512];
	uint8_t tmp_s[512 / 2][16];
	uint8_t tmp_t[512 / 2];
	memcpy(cur[0], k->seed, 16);
	tb[0] = k->t;
	int n = 1;
	for (int lv = 0; lv < VIGIL__PM_DPF_LEVELS; lv++) {
		/* Expand in reverse so children (2i, 2i+1) do not overwrite
		 * unexpanded parents; parents are copied aside first. */
		memcpy(tmp_s, cur, (size_t)n * 16);
		memcpy(tmp_t, tb, (size_t)n);
		for (int i = 0; i < n; i++) {
			uint8_t g[64];
			prg(g, tmp_s[i], 0);
			uint8_t tm = (uint8_t)-tmp_t[i];
			for (int j = 0; j < 16; j++) {
				cur[2 * i][j] = g[j] ^ (k->cw_s[lv][j] & tm);
				cur[2 * i + 1][j] = g[16 + j] ^ (k->cw_s[lv][j] & tm);
			}
			tb[2 * i] = (g[32] & 1) ^ (k->cw_t[lv][0] & tmp_t[i]);
			tb[2 * i + 1] = (g[33] & 1) ^ (k->cw_t[lv][1] & tmp_t[i]);
		}
		n *= 2;
	}
	for (int i = 0; i < NL; i++) {
		uint8_t c[64];
		prg(c, cur[i], 1);
		uint8_t tm = (uint8_t)-tb[i];
		for (int j = 0; j < 16; j++)
			cur[i][j] = c[j] ^ (k->cw_out[j] & tm);
	}
	/* Leaf i covers x = i*128 .. i*128+127, bit (x & 127) of its 16 bytes:
	 * byte order in out is exactly x >> 3. */
	sodium_memzero(tmp_s, sizeof tmp_s);
}

void vigil__pm_dpf_serialize(uint8_t *buf, const vigil__pm_dpf_key *k)
{
	memcpy(buf, k->seed, 16);
	buf[16] = k->t;
	uint8_t *p = buf + 17;
	for (int lv = 0; lv < VIGIL__PM_DPF_LEVELS; lv++) {
		memcpy(p, k->cw_s[lv], 16);
		p[16] = k->cw_t[lv][0];
		p[17] = k->cw_t[lv][1];
		p += 18;
	}
	memcpy(p, k->cw_out, 16);
}

int vigil__pm_dpf_parse(vigil__pm_dpf_key *k, const uint8_t *buf, size_t len)
{
	if (len != VIGIL__PM_DPF_KEY_BYTES || buf[16] > 1)
		return -1;
	memcpy(k->seed, buf, 16);
	k->t = buf[16];
	const uint8_t *p = buf + 17;
	for (int lv = 0; lv < VIGIL__PM_DPF_LEVELS; lv++) {
		if (p[16] > 1 || p[17] > 1)
			return -1;
		memcpy(k->cw_s[lv], p, 16);
		k->cw_t[lv][0] = p[16];
		k->cw_t[lv][1] = p[17];
		p += 18;
	}
	memcpy(k->cw_out, p, 16);
	return 0;
}
