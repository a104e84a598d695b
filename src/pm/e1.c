/* e1.c — design E1 of the study (§1.2, §5.5): exact-list threshold PSI
 * with associated data, Apple 2021 shape, on ristretto255.
 *
 * Table: 3-way cuckoo, slot j holds P_j = alpha * H(key) (random points in
 * empty slots); L = alpha * G. Voucher for key y, per candidate slot w:
 *   Q = beta*H(y) + gamma*G,  S = beta*P_w + gamma*L,  ct = AEAD_KDF(S,Q)(rkey)
 * The server's alpha*Q equals S exactly when P_w = alpha*H(y); otherwise
 * S is pseudorandom to it (DDH). rkey opens the outer layer: the Shamir
 * share (x, f(x)) of the account key adkey and the inner layer, evidence
 * under a key derived from adkey. Synthetic vouchers: Q = gamma*G,
 * S = gamma*L on one random slot (it always opens), a random share and a
 * random inner layer; below the threshold the server cannot tell them from
 * matches.
 *
 * Wire forms (all integers little-endian):
 *  table   = "VPE1" ver(1)=1 threshold(2) m(4) seed(32) L(32) P[m](32 each)
 *  root    = BLAKE2b-256("vigil-pm-e1-root" || header || merkle(P))
 *  voucher = ver(1)=1 { Q(32) ct(48) } x 3 outer(64 + 24 + 2 + pad + 16 + 16)
 * The client's coin (synthetic or not) is secret: both branches are always
 * computed and the result is selected by mask. */
#include <sodium.h>
#include <string.h>

#include "../core/core.h"
#include "pm_int.h"

#define HDR_BYTES 75
#define SLOT_CT 48 /* rkey 32 + tag 16 */
#define V_HEAD (1 + 3 * (32 + SLOT_CT))
#define INNER_OVER (24 + 2 + 16) /* nonce, length, tag */
#define OUTER_OVER (64 + 16)     /* x, y, tag */

struct vigil_pm_e1_server {
	uint8_t alpha[32];  /* the blinding key: secret */
	uint8_t L[32];      /* alpha * G */
	uint8_t seed[32];   /* cuckoo hash seed (public) */
	uint32_t m;         /* slots */
	unsigned threshold; /* t of the Shamir sharing */
	uint8_t (*P)[32];   /* m blinded slots */
	uint8_t root[32];
};

struct vigil_pm_e1_table {
	uint8_t L[32], seed[32];
	uint32_t m;
	unsigned threshold;
	uint8_t (*P)[32];
};

struct vigil_pm_e1_client {
	const vigil_pm_e1_table *t; /* borrowed */
	uint32_t syn_cut;           /* synthetic iff random32 < syn_cut */
	int force;                  /* tests: -1 as drawn, 0 never, 1 always */
	size_t pad;                 /* evidence bytes per voucher */
	uint8_t adkey[32];          /* account key (scalar): secret */
	uint8_t coef[254][32];      /* its polynomial's other coefficients */
	uint8_t xkey[32];           /* PRF key for share x from image id */
};

typedef struct opened {
	vigil__pm_share sh;
	uint8_t *inner; /* nonce || ct */
	size_t inner_len;
	uint8_t *evidence; /* after recovery, matched only */
	size_t ev_len;
} opened;

struct vigil_pm_e1_account {
	unsigned threshold;
	opened *v;
	size_t n, cap;
	int recovered;
	uint8_t adkey[32];
	size_t *matched; /* indexes into v */
	size_t nmatched;
	int decoded;     /* last recover: 1 if Reed–Solomon decoding found adkey */
	long trials;     /* last recover: t-subsets tried */
};

static int canonical(const uint8_t s[32]);

static void le16(uint8_t *b, unsigned v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint32_t slot(const uint8_t seed[32], uint32_t m, unsigned j, const uint8_t *key,
		     size_t len)
{
	crypto_generichash_state st;
	uint8_t h[8], jb = (uint8_t)j;
	crypto_generichash_init(&st, NULL, 0, 8);
	crypto_generichash_update(&st, (const uint8_t *)"vigil-pm-e1-slot", 16);
	crypto_generichash_update(&st, seed, 32);
	crypto_generichash_update(&st, &jb, 1);
	crypto_generichash_update(&st, key, len);
	crypto_generichash_final(&st, h, 8);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)h[i] << (8 * i);
	return (uint32_t)(v % m);
}

static int h2g(uint8_t p[32], const uint8_t *key, size_t len)
{
	static const uint8_t dst[] = "vigil-pm-e1-v1-HashToGroup";
	uint8_t u[64];
	const uint8_t *m[1] = {key};
	size_t ml[1] = {len};
	if (vigil__pm_xmd_sha512(u, 64, m, ml, 1, dst, sizeof dst - 1))
		return -1;
	crypto_core_ristretto255_from_hash(p, u);
	sodium_memzero(u, sizeof u);
	return 0;
}

static void kdf(uint8_t k[32], const char *label, const uint8_t *a, size_t al,
		const uint8_t *b, size_t bl)
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
	crypto_generichash_update(&st, a, al);
	if (b)
		crypto_generichash_update(&st, b, bl);
	crypto_generichash_final(&st, k, 32);
	sodium_memzero(&st, sizeof st);
}

static void header(uint8_t h[HDR_BYTES], unsigned thr, uint32_t m, const uint8_t seed[32],
		   const uint8_t L[32])
{
	memcpy(h, "VPE1", 4);
	h[4] = 1;
	le16(h + 5, thr);
	le32(h + 7, m);
	memcpy(h + 11, seed, 32);
	memcpy(h + 43, L, 32);
}

/* Merkle root of the slots (leaf = H(0 || index || P), node = H(1 || l || r),
 * an odd node is carried up), bound to the header. */
static int compute_root(uint8_t root[32], const uint8_t hdr[HDR_BYTES], const uint8_t (*P)[32],
			uint32_t m)
{
	uint8_t(*h)[32] = vigil__malloc((size_t)m * 32);
	if (!h)
		return VIGIL_ENOMEM;
	for (uint32_t i = 0; i < m; i++) {
		uint8_t pre[5] = {0};
		le32(pre + 1, i);
		kdf(h[i], "vigil-pm-e1-leaf", pre, 5, P[i], 32);
	}
	for (uint32_t n = m; n > 1; n = (n + 1) / 2) {
		for (uint32_t i = 0; i < n / 2; i++)
			kdf(h[i], "vigil-pm-e1-node", h[2 * i], 32, h[2 * i + 1], 32);
		if (n & 1)
			memcpy(h[n / 2], h[n - 1], 32);
	}
	kdf(root, "vigil-pm-e1-root", hdr, HDR_BYTES, h[0], 32);
	vigil__free(h);
	return VIGIL_OK;
}

/* 3-way cuckoo insertion by random walk; -1 if it fails (the caller
 * retries with a new seed). */
static int cuckoo(int64_t *tab, uint32_t m, const uint8_t seed[32], const uint8_t *const *keys,
		  const size_t *lens, size_t n)
{
	for (uint32_t i = 0; i < m; i++)
		tab[i] = -1;
	for (size_t i = 0; i < n; i++) {
		int64_t cur = (int64_t)i;
		int done = 0;
		/* Duplicates: the same key already in one of its slots. */
		for (unsigned j = 0; j < 3 && !done; j++) {
			int64_t o = tab[slot(seed, m, j, keys[i], lens[i])];
			if (o >= 0 && lens[o] == lens[i] && !memcmp(keys[o], keys[i], lens[i]))
				done = 1;
		}
		for (int kick = 0; kick < 1000 && !done; kick++) {
			for (unsigned j = 0; j < 3 && !done; j++) {
				uint32_t w = slot(seed, m, j, keys[cur], lens[cur]);
				if (tab[w] < 0) {
					tab[w] = cur;
					done = 1;
				}
			}
			if (done)
				break;
			uint32_t w = slot(seed, m, randombytes_uniform(3), keys[cur], lens[cur]);
			int64_t ev = tab[w];
			tab[w] = cur;
			cur = ev;
		}
		if (!done)
			return -1;
	}
	return 0;
}

int vigil_pm_e1_server_new(vigil_pm_e1_server **out, const uint8_t *const *keys,
			   const size_t *lens, size_t n, unsigned threshold)
{
	*out = NULL;
	if (!vigil_pm_enabled() || threshold < 1 || threshold > VIGIL_PM_E1_MAX_THRESHOLD ||
	    (n && (!keys || !lens)))
		return VIGIL_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!keys[i] || lens[i] < 1 || lens[i] > VIGIL_PM_E1_MAX_KEY)
			return VIGIL_EINVAL;
	/* Load 0.8 keeps 3-way cuckoo insertion reliable. */
	uint64_t m64 = n + n / 4 + 16;
	if (m64 > VIGIL_PM_E1_MAX_SLOTS)
		return VIGIL_ETOOBIG;
	uint32_t m = (uint32_t)m64;
	int rc = VIGIL_ENOMEM;
	vigil_pm_e1_server *s = vigil__calloc(1, sizeof *s);
	int64_t *tab = vigil__malloc((size_t)m * sizeof *tab);
	if (!s || !tab)
		goto out;
	s->P = vigil__malloc((size_t)m * 32);
	if (!s->P)
		goto out;
	s->m = m;
	s->threshold = threshold;
	rc = VIGIL_EINTERNAL;
	int placed = 0;
	for (int tries = 0; tries < 8 && !placed; tries++) {
		randombytes_buf(s->seed, 32);
		placed = cuckoo(tab, m, s->seed, keys, lens, n) == 0;
	}
	if (!placed)
		goto out;
	crypto_core_ristretto255_scalar_random(s->alpha);
	crypto_scalarmult_ristretto255_base(s->L, s->alpha);
	for (uint32_t j = 0; j < m; j++) {
		if (tab[j] < 0) {
			crypto_core_ristretto255_random(s->P[j]);
			continue;
		}
		uint8_t hp[32];
		if (h2g(hp, keys[tab[j]], lens[tab[j]]) ||
		    crypto_scalarmult_ristretto255(s->P[j], s->alpha, hp))
			goto out;
	}
	uint8_t hdr[HDR_BYTES];
	header(hdr, threshold, m, s->seed, s->L);
	rc = compute_root(s->root, hdr, (const uint8_t(*)[32])s->P, m);
	if (rc)
		goto out;
	*out = s;
	s = NULL;
out:
	vigil__free(tab);
	vigil_pm_e1_server_free(s);
	return rc;
}

void vigil_pm_e1_server_free(vigil_pm_e1_server *s)
{
	if (!s)
		return;
	vigil__free(s->P);
	sodium_memzero(s, sizeof *s);
	vigil__free(s);
}

void vigil_pm_e1_server_root(const vigil_pm_e1_server *s, uint8_t root[32])
{
	memcpy(root, s->root, 32);
}

int vigil_pm_e1_table_export(const vigil_pm_e1_server *s, uint8_t **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	if (!vigil_pm_enabled())
		return VIGIL_EINVAL;
	size_t n = HDR_BYTES + (size_t)s->m * 32;
	uint8_t *b = malloc(n); /* the caller frees with free(), as documented */
	if (!b)
		return VIGIL_ENOMEM;
	header(b, s->threshold, s->m, s->seed, s->L);
	memcpy(b + HDR_BYTES, s->P, (size_t)s->m * 32);
	*buf = b;
	*len = n;
	return VIGIL_OK;
}

/* Server state: "VPS1" ver(1)=1 alpha(32) table. The root is recomputed
 * on import and L is checked against alpha, so a damaged state is refused
 * rather than silently making a server no device agrees with. */
#define STATE_HEAD 37
int vigil_pm_e1_server_export(const vigil_pm_e1_server *s, uint8_t **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	if (!vigil_pm_enabled() || !s)
		return VIGIL_EINVAL;
	size_t n = STATE_HEAD + HDR_BYTES + (size_t)s->m * 32;
	uint8_t *b = malloc(n); /* the caller wipes and frees it */
	if (!b)
		return VIGIL_ENOMEM;
	memcpy(b, "VPS1", 4);
	b[4] = 1;
	memcpy(b + 5, s->alpha, 32);
	header(b + STATE_HEAD, s->threshold, s->m, s->seed, s->L);
	memcpy(b + STATE_HEAD + HDR_BYTES, s->P, (size_t)s->m * 32);
	*buf = b;
	*len = n;
	return VIGIL_OK;
}

int vigil_pm_e1_server_import(vigil_pm_e1_server **out, const uint8_t *buf, size_t len)
{
	*out = NULL;
	if (!vigil_pm_enabled() || !buf)
		return VIGIL_EINVAL;
	if (len < STATE_HEAD + HDR_BYTES || memcmp(buf, "VPS1", 4) || buf[4] != 1)
		return VIGIL_ECORRUPT;
	const uint8_t *h = buf + STATE_HEAD;
	if (memcmp(h, "VPE1", 4) || h[4] != 1)
		return VIGIL_ECORRUPT;
	unsigned thr = (unsigned)h[5] | (unsigned)h[6] << 8;
	uint32_t m = rd32(h + 7);
	if (m > VIGIL_PM_E1_MAX_SLOTS)
		return VIGIL_ETOOBIG;
	if (thr < 1 || thr > VIGIL_PM_E1_MAX_THRESHOLD || m < 1 ||
	    len != STATE_HEAD + HDR_BYTES + (size_t)m * 32 || !canonical(buf + 5))
		return VIGIL_ECORRUPT;
	uint8_t L[32];
	if (crypto_scalarmult_ristretto255_base(L, buf + 5) || sodium_memcmp(L, h + 43, 32))
		return VIGIL_ECORRUPT;
	int rc = VIGIL_ENOMEM;
	vigil_pm_e1_server *s = vigil__calloc(1, sizeof *s);
	if (!s)
		return rc;
	s->P = vigil__malloc((size_t)m * 32);
	if (!s->P)
		goto out;
	memcpy(s->alpha, buf + 5, 32);
	memcpy(s->L, L, 32);
	memcpy(s->seed, h + 11, 32);
	s->m = m;
	s->threshold = thr;
	memcpy(s->P, h + HDR_BYTES, (size_t)m * 32);
	rc = compute_root(s->root, h, (const uint8_t(*)[32])s->P, m);
	if (rc)
		goto out;
	*out = s;
	s = NULL;
out:
	vigil_pm_e1_server_free(s);
	return rc;
}

unsigned vigil_pm_e1_server_threshold(const vigil_pm_e1_server *s)
{
	return s->threshold;
}

size_t vigil_pm_e1_server_slots(const vigil_pm_e1_server *s)
{
	return s->m;
}

int vigil_pm_e1_table_load(vigil_pm_e1_table **out, const uint8_t *buf, size_t len,
			   const uint8_t root[32])
{
	*out = NULL;
	if (!vigil_pm_enabled() || !buf || !root)
		return VIGIL_EINVAL;
	if (len < HDR_BYTES || memcmp(buf, "VPE1", 4) || buf[4] != 1)
		return VIGIL_ECORRUPT;
	unsigned thr = (unsigned)buf[5] | (unsigned)buf[6] << 8;
	uint32_t m = rd32(buf + 7);
	if (m > VIGIL_PM_E1_MAX_SLOTS)
		return VIGIL_ETOOBIG;
	if (thr < 1 || thr > VIGIL_PM_E1_MAX_THRESHOLD || m < 1 ||
	    len != HDR_BYTES + (size_t)m * 32 || !crypto_core_ristretto255_is_valid_point(buf + 43))
		return VIGIL_ECORRUPT;
	uint8_t got[32];
	int rc = compute_root(got, buf, (const uint8_t(*)[32])(buf + HDR_BYTES), m);
	if (rc)
		return rc;
	if (sodium_memcmp(got, root, 32) != 0)
		return VIGIL_ECORRUPT;
	/* Every slot must be a valid point, or a voucher's S would be garbage
	 * (harmless, but a table like that is not one a server made). */
	for (uint32_t j = 0; j < m; j++)
		if (!crypto_core_ristretto255_is_valid_point(buf + HDR_BYTES + (size_t)j * 32))
			return VIGIL_ECORRUPT;
	vigil_pm_e1_table *t = vigil__calloc(1, sizeof *t);
	if (!t)
		return VIGIL_ENOMEM;
	t->P = vigil__malloc((size_t)m * 32);
	if (!t->P) {
		vigil__free(t);
		return VIGIL_ENOMEM;
	}
	memcpy(t->P, buf + HDR_BYTES, (size_t)m * 32);
	memcpy(t->seed, buf + 11, 32);
	memcpy(t->L, buf + 43, 32);
	t->m = m;
	t->threshold = thr;
	*out = t;
	return VIGIL_OK;
}

void vigil_pm_e1_table_free(vigil_pm_e1_table *t)
{
	if (!t)
		return;
	vigil__free(t->P);
	vigil__free(t);
}

int vigil_pm_e1_client_new(vigil_pm_e1_client **out, const vigil_pm_e1_table *t,
			   double synthetic_p, size_t evidence_pad)
{
	*out = NULL;
	if (!vigil_pm_enabled() || !t || !(synthetic_p >= 0 && synthetic_p < 1) ||
	    evidence_pad < 1 || evidence_pad > VIGIL_PM_E1_MAX_EVIDENCE)
		return VIGIL_EINVAL;
	vigil_pm_e1_client *c = vigil__calloc(1, sizeof *c);
	if (!c)
		return VIGIL_ENOMEM;
	c->t = t;
	c->syn_cut = (uint32_t)(synthetic_p * 4294967296.0);
	c->pad = evidence_pad;
	c->force = -1;
	crypto_core_ristretto255_scalar_random(c->adkey);
	vigil__pm_shamir_poly(c->coef, t->threshold);
	randombytes_buf(c->xkey, 32);
	*out = c;
	return VIGIL_OK;
}

void vigil_pm_e1_client_free(vigil_pm_e1_client *c)
{
	if (!c)
		return;
	sodium_memzero(c, sizeof *c);
	vigil__free(c);
}

/* State: "VPC1" ver(1)=1 threshold(2) pad(4) syn_cut(4) adkey(32) xkey(32)
 * coef[t-1](32 each). */
int vigil_pm_e1_client_export(const vigil_pm_e1_client *c, uint8_t *buf, size_t cap,
			      size_t *len)
{
	*len = 0;
	if (!vigil_pm_enabled() || !c || !buf)
		return VIGIL_EINVAL;
	unsigned t = c->t->threshold;
	size_t n = 15 + 64 + 32 * (size_t)(t - 1);
	if (cap < n)
		return VIGIL_ETOOBIG;
	memcpy(buf, "VPC1", 4);
	buf[4] = 1;
	le16(buf + 5, t);
	le32(buf + 7, (uint32_t)c->pad);
	le32(buf + 11, c->syn_cut);
	memcpy(buf + 15, c->adkey, 32);
	memcpy(buf + 47, c->xkey, 32);
	memcpy(buf + 79, c->coef, 32 * (size_t)(t - 1));
	*len = n;
	return VIGIL_OK;
}

static int canonical(const uint8_t s[32])
{
	uint8_t wide[64] = {0}, red[32];
	memcpy(wide, s, 32);
	crypto_core_ristretto255_scalar_reduce(red, wide);
	int ok = sodium_memcmp(red, s, 32) == 0;
	sodium_memzero(wide, sizeof wide);
	sodium_memzero(red, sizeof red);
	return ok;
}

int vigil_pm_e1_client_import(vigil_pm_e1_client **out, const vigil_pm_e1_table *t,
			      const uint8_t *buf, size_t len)
{
	*out = NULL;
	if (!vigil_pm_enabled() || !t || !buf)
		return VIGIL_EINVAL;
	if (len < 79 || memcmp(buf, "VPC1", 4) || buf[4] != 1)
		return VIGIL_ECORRUPT;
	unsigned thr = (unsigned)buf[5] | (unsigned)buf[6] << 8;
	uint32_t pad = rd32(buf + 7);
	if (thr != t->threshold || len != 79 + 32 * (size_t)(thr - 1) || pad < 1 ||
	    pad > VIGIL_PM_E1_MAX_EVIDENCE)
		return VIGIL_ECORRUPT;
	if (!canonical(buf + 15))
		return VIGIL_ECORRUPT;
	for (unsigned i = 0; i + 1 < thr; i++)
		if (!canonical(buf + 79 + 32 * (size_t)i))
			return VIGIL_ECORRUPT;
	vigil_pm_e1_client *c = vigil__calloc(1, sizeof *c);
	if (!c)
		return VIGIL_ENOMEM;
	c->t = t;
	c->pad = pad;
	c->syn_cut = rd32(buf + 11);
	c->force = -1;
	memcpy(c->adkey, buf + 15, 32);
	memcpy(c->xkey, buf + 47, 32);
	memcpy(c->coef, buf + 79, 32 * (size_t)(thr - 1));
	*out = c;
	return VIGIL_OK;
}

size_t vigil_pm_e1_voucher_size(const vigil_pm_e1_client *c)
{
	return V_HEAD + OUTER_OVER + INNER_OVER + c->pad;
}

/* dst = mask ? a : b, bytewise, mask 0xff or 0. */
static void sel(uint8_t *dst, const uint8_t *a, const uint8_t *b, size_t n, uint8_t mask)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = (uint8_t)((a[i] & mask) | (b[i] & (uint8_t)~mask));
}

int vigil_pm_e1_client_voucher(vigil_pm_e1_client *c, const uint8_t *key, size_t key_len,
			       const uint8_t *id, size_t id_len, const uint8_t *evidence,
			       size_t evidence_len, uint8_t *voucher)
{
	if (!vigil_pm_enabled() || !key || key_len < 1 || key_len > VIGIL_PM_E1_MAX_KEY || !id ||
	    id_len < 1 || id_len > VIGIL_PM_E1_MAX_ID || evidence_len > c->pad ||
	    (!evidence && evidence_len) || !voucher)
		return VIGIL_EINVAL;
	const vigil_pm_e1_table *t = c->t;
	size_t inner_len = INNER_OVER + c->pad, outer_pt_len = 64 + inner_len;
	int rc = VIGIL_ENOMEM;
	/* pt = outer plaintext, then room for the inner plaintext (len ||
	 * evidence || zeros) which later holds the synthetic noise (+16). */
	size_t scratch = outer_pt_len + c->pad + 2 + 16;
	uint8_t *pt = vigil__malloc(scratch);
	if (!pt)
		return rc;
	uint8_t *evpt = pt + outer_pt_len;
	uint8_t hy[32], rkey[32], beta[32], gamma[32], g2[32], a[32], b[32], Q[32], S[32], Qs[32],
		Ss[32], k[32], kad[32], wide[64], ysyn[32], coin[4], rec[3][32 + SLOT_CT];
	static const uint8_t zero_nonce[24];
	rc = VIGIL_EINVAL;
	if (h2g(hy, key, key_len))
		goto out;
	/* The coin is a PRF of the image id: the same image is always real or
	 * always synthetic, so a re-sent image (same x, which the server keeps
	 * once) can never replace a real share by noise or the reverse. */
	crypto_generichash_state cst;
	crypto_generichash_init(&cst, c->xkey, 32, 4);
	crypto_generichash_update(&cst, (const uint8_t *)"vigil-pm-e1-coin", 16);
	crypto_generichash_update(&cst, id, id_len);
	crypto_generichash_final(&cst, coin, 4);
	uint8_t syn = (uint8_t)-(uint8_t)(rd32(coin) < c->syn_cut); /* 0xff if synthetic */
	if (c->force >= 0)
		syn = (uint8_t)-(uint8_t)c->force;
	unsigned jstar = randombytes_uniform(3);
	randombytes_buf(rkey, 32);
	voucher[0] = 1;
	memset(voucher + 1, 0, 3 * (32 + SLOT_CT));
	/* A product is the identity only with probability ~2^-252 (all table
	 * points were validated on load); such a voucher is refused, without
	 * branching inside the loop. */
	int bad = 0;
	for (unsigned j = 0; j < 3; j++) {
		uint32_t w = slot(t->seed, t->m, j, key, key_len);
		/* Real: Q = beta*H(y) + gamma*G, S = beta*P_w + gamma*L. */
		crypto_core_ristretto255_scalar_random(beta);
		crypto_core_ristretto255_scalar_random(gamma);
		bad |= crypto_scalarmult_ristretto255(a, beta, hy) != 0;
		crypto_scalarmult_ristretto255_base(b, gamma);
		crypto_core_ristretto255_add(Q, a, b);
		bad |= crypto_scalarmult_ristretto255(a, beta, t->P[w]) != 0;
		bad |= crypto_scalarmult_ristretto255(b, gamma, t->L) != 0;
		crypto_core_ristretto255_add(S, a, b);
		/* Synthetic: on slot jstar, Q = g2*G, S = g2*L (always opens);
		 * elsewhere a random Q and a random S (never opens). */
		crypto_core_ristretto255_scalar_random(g2);
		crypto_scalarmult_ristretto255_base(a, g2);
		bad |= crypto_scalarmult_ristretto255(b, g2, t->L) != 0;
		crypto_core_ristretto255_random(Qs);
		crypto_core_ristretto255_random(Ss);
		uint8_t on = (uint8_t)(((j ^ jstar) - 1u) >> 8); /* 0xff iff j == jstar */
		sel(Qs, a, Qs, 32, on);
		sel(Ss, b, Ss, 32, on);
		sel(Q, Qs, Q, 32, syn);
		sel(S, Ss, S, 32, syn);
		uint8_t *slotp = rec[j];
		memcpy(slotp, Q, 32);
		kdf(k, "vigil-pm-e1-slotkey", S, 32, Q, 32);
		/* k is fresh per slot and voucher, so a fixed nonce is safe. */
		crypto_aead_xchacha20poly1305_ietf_encrypt(slotp + 32, NULL, rkey, 32, NULL, 0, NULL,
							   zero_nonce, k);
	}
	if (bad) {
		rc = VIGIL_EINTERNAL;
		goto out;
	}
	/* The three slot records go out in random order (study §1.2): cuckoo
	 * insertion prefers the first hash function, so an unshuffled real
	 * match would open at position 0 more often than a synthetic one. The
	 * records are placed by mask, not by a secret index. */
	static const uint8_t perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
					    {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
	const uint8_t *perm = perms[randombytes_uniform(6)];
	for (unsigned pos = 0; pos < 3; pos++)
		for (unsigned j = 0; j < 3; j++) {
			uint8_t m = (uint8_t)(((perm[j] ^ pos) - 1u) >> 8);
			sel(voucher + 1 + pos * (32 + SLOT_CT), rec[j],
			    voucher + 1 + pos * (32 + SLOT_CT), 32 + SLOT_CT, m);
		}
	/* Share: x = PRF(xkey, id) (same image, same x), y = f(x) or noise. */
	crypto_generichash(wide, 64, id, id_len, c->xkey, 32);
	crypto_core_ristretto255_scalar_reduce(pt, wide);
	vigil__pm_shamir_eval(pt + 32, c->adkey, (const uint8_t(*)[32])c->coef, t->threshold, pt);
	crypto_core_ristretto255_scalar_random(ysyn);
	sel(pt + 32, ysyn, pt + 32, 32, syn);
	/* Inner layer: evidence under KDF(adkey), or random bytes. */
	le16(evpt, (unsigned)evidence_len);
	if (evidence_len)
		memcpy(evpt + 2, evidence, evidence_len);
	memset(evpt + 2 + evidence_len, 0, c->pad - evidence_len);
	uint8_t *inner = pt + 64;
	randombytes_buf(inner, 24);
	kdf(kad, "vigil-pm-e1-adkey", c->adkey, 32, NULL, 0);
	crypto_aead_xchacha20poly1305_ietf_encrypt(inner + 24, NULL, evpt, c->pad + 2, NULL, 0,
						   NULL, inner, kad);
	uint8_t *noise = evpt; /* reuse: the plaintext is no longer needed */
	randombytes_buf(noise, inner_len - 24);
	sel(inner + 24, noise, inner + 24, inner_len - 24, syn);
	/* Outer layer under rkey. */
	crypto_aead_xchacha20poly1305_ietf_encrypt(voucher + V_HEAD, NULL, pt, outer_pt_len, NULL, 0,
						   NULL, zero_nonce, rkey);
	rc = VIGIL_OK;
out:
	sodium_memzero(pt, scratch);
	vigil__free(pt);
	sodium_memzero(beta, sizeof beta);
	sodium_memzero(gamma, sizeof gamma);
	sodium_memzero(g2, sizeof g2);
	sodium_memzero(rkey, sizeof rkey);
	sodium_memzero(k, sizeof k);
	sodium_memzero(kad, sizeof kad);
	sodium_memzero(S, sizeof S);
	sodium_memzero(Ss, sizeof Ss);
	sodium_memzero(hy, sizeof hy);
	sodium_memzero(wide, sizeof wide);
	sodium_memzero(a, sizeof a);
	sodium_memzero(b, sizeof b);
	return rc;
}

int vigil_pm_e1_account_new(vigil_pm_e1_account **out, const vigil_pm_e1_server *s)
{
	*out = NULL;
	if (!vigil_pm_enabled() || !s)
		return VIGIL_EINVAL;
	vigil_pm_e1_account *a = vigil__calloc(1, sizeof *a);
	if (!a)
		return VIGIL_ENOMEM;
	a->threshold = s->threshold;
	*out = a;
	return VIGIL_OK;
}

void vigil_pm_e1_account_free(vigil_pm_e1_account *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		vigil__free(a->v[i].inner);
		if (a->v[i].evidence)
			sodium_memzero(a->v[i].evidence, a->v[i].ev_len);
		vigil__free(a->v[i].evidence);
	}
	vigil__free(a->v);
	vigil__free(a->matched);
	sodium_memzero(a, sizeof *a);
	vigil__free(a);
}

size_t vigil_pm_e1_account_opened(const vigil_pm_e1_account *a)
{
	return a->n;
}

/* Opens v's inner layer with kad into a fresh evidence buffer. 0 if it
 * opened (a real match), -1 if not (synthetic), -2 out of memory. */
static int open_inner(opened *v, const uint8_t kad[32])
{
	size_t ptl = v->inner_len - 24 - 16;
	uint8_t *pt = vigil__malloc(ptl);
	if (!pt)
		return -2;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, NULL, NULL, v->inner + 24,
						       v->inner_len - 24, NULL, 0, v->inner, kad)) {
		vigil__free(pt);
		return -1;
	}
	size_t el = (size_t)pt[0] | (size_t)pt[1] << 8;
	if (el > ptl - 2) { /* a client bug or a lie; not evidence */
		vigil__free(pt);
		return -1;
	}
	memmove(pt, pt + 2, el);
	v->evidence = pt;
	v->ev_len = el;
	return 0;
}

int vigil_pm_e1_server_open(const vigil_pm_e1_server *s, vigil_pm_e1_account *a,
			    const uint8_t *voucher, size_t len, int *opened_out)
{
	*opened_out = 0;
	if (!vigil_pm_enabled() || !s || !a || (!voucher && len))
		return VIGIL_EINVAL;
	const size_t minlen = V_HEAD + OUTER_OVER + INNER_OVER + 1;
	if (len < minlen || len > V_HEAD + OUTER_OVER + INNER_OVER + VIGIL_PM_E1_MAX_EVIDENCE ||
	    voucher[0] != 1)
		return VIGIL_ECORRUPT;
	uint8_t S[32], k[32], rkey[32], got = 0;
	static const uint8_t zero_nonce[24];
	for (unsigned j = 0; j < 3; j++) {
		const uint8_t *p = voucher + 1 + j * (32 + SLOT_CT);
		uint8_t cand[32];
		/* An invalid Q (or alpha*Q = identity) cannot open. */
		if (crypto_scalarmult_ristretto255(S, s->alpha, p))
			continue;
		kdf(k, "vigil-pm-e1-slotkey", S, 32, p, 32);
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(cand, NULL, NULL, p + 32, SLOT_CT, NULL,
							       0, zero_nonce, k) == 0 &&
		    !got) {
			memcpy(rkey, cand, 32);
			got = 1;
		}
		sodium_memzero(cand, sizeof cand);
	}
	sodium_memzero(S, sizeof S);
	sodium_memzero(k, sizeof k);
	if (!got)
		return VIGIL_OK;
	size_t ctl = len - V_HEAD, ptl = ctl - 16;
	int rc = VIGIL_ENOMEM;
	uint8_t *pt = vigil__malloc(ptl);
	if (!pt)
		goto out;
	rc = VIGIL_ECORRUPT;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, NULL, NULL, voucher + V_HEAD, ctl, NULL, 0,
						       zero_nonce, rkey))
		goto out;
	/* x must be canonical and non-zero, y canonical. */
	uint8_t wide[64] = {0}, red[32];
	for (int h = 0; h < 2; h++) {
		memcpy(wide, pt + 32 * h, 32);
		crypto_core_ristretto255_scalar_reduce(red, wide);
		if (memcmp(red, pt + 32 * h, 32))
			goto out;
	}
	if (sodium_is_zero(pt, 32))
		goto out;
	rc = VIGIL_OK;
	*opened_out = 1;
	for (size_t i = 0; i < a->n; i++)
		if (memcmp(a->v[i].sh.x, pt, 32) == 0)
			goto out; /* the same image again: not a new share */
	rc = VIGIL_ENOMEM;
	if (a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 16;
		opened *nv = vigil__realloc(a->v, nc * sizeof *nv);
		size_t *nm = vigil__realloc(a->matched, nc * sizeof *nm);
		if (nv)
			a->v = nv;
		if (nm)
			a->matched = nm;
		if (!nv || !nm)
			goto out;
		a->cap = nc;
	}
	opened *v = &a->v[a->n];
	memset(v, 0, sizeof *v);
	v->inner_len = ptl - 64;
	v->inner = vigil__malloc(v->inner_len);
	if (!v->inner)
		goto out;
	memcpy(v->sh.x, pt, 32);
	memcpy(v->sh.y, pt + 32, 32);
	memcpy(v->inner, pt + 64, v->inner_len);
	a->n++;
	rc = VIGIL_OK;
	/* Past the threshold a new match opens at once. */
	if (a->recovered) {
		uint8_t kad[32];
		kdf(kad, "vigil-pm-e1-adkey", a->adkey, 32, NULL, 0);
		int r = open_inner(v, kad);
		sodium_memzero(kad, sizeof kad);
		if (r == 0)
			a->matched[a->nmatched++] = a->n - 1;
		else if (r == -2)
			rc = VIGIL_ENOMEM;
	}
out:
	if (pt) {
		sodium_memzero(pt, ptl);
		vigil__free(pt);
	}
	sodium_memzero(rkey, sizeof rkey);
	return rc;
}

/* Next t-subset of 0..n-1 in lexicographic order; 0 when done. */
static int next_comb(unsigned *idx, unsigned t, unsigned n)
{
	for (unsigned i = t; i-- > 0;) {
		if (idx[i] < n - t + i) {
			idx[i]++;
			for (unsigned j = i + 1; j < t; j++)
				idx[j] = idx[j - 1] + 1;
			return 1;
		}
	}
	return 0;
}

/* A uniformly random t-subset of 0..n-1 (partial Fisher–Yates on perm). */
static void rand_comb(unsigned *idx, unsigned *perm, unsigned t, unsigned n)
{
	for (unsigned i = 0; i < t; i++) {
		unsigned j = i + randombytes_uniform(n - i), tmp = perm[i];
		perm[i] = perm[j];
		perm[j] = tmp;
		idx[i] = perm[i];
	}
}

/* C(n, t), saturated at cap + 1. */
static long binom_cap(unsigned n, unsigned t, long cap)
{
	double c = 1;
	if (t > n - t) /* C(n,t) = C(n,n-t): the short product stays below the result */
		t = n - t;
	for (unsigned i = 0; i < t; i++) {
		c = c * (n - i) / (i + 1);
		if (c > (double)cap)
			return cap + 1;
	}
	return (long)(c + 0.5);
}

static void close_all(vigil_pm_e1_account *a)
{
	for (size_t i = 0; i < a->n; i++) {
		opened *v = &a->v[i];
		if (v->evidence) {
			sodium_memzero(v->evidence, v->ev_len);
			vigil__free(v->evidence);
			v->evidence = NULL;
			v->ev_len = 0;
		}
	}
}

/* Tries cand as adkey: it must open the inner layer of every share in
 * sel (nsel >= t of them). On success opens every held voucher it can and
 * marks the account recovered: 1. 0 if cand is wrong, -2 out of memory. */
static int try_key(vigil_pm_e1_account *a, const uint8_t cand[32], const unsigned *sel,
		   unsigned nsel)
{
	uint8_t kad[32];
	int ok = 1;
	kdf(kad, "vigil-pm-e1-adkey", cand, 32, NULL, 0);
	for (unsigned i = 0; i < nsel && ok == 1; i++) {
		int r = open_inner(&a->v[sel[i]], kad);
		ok = r == 0 ? 1 : r == -2 ? -2 : 0;
	}
	if (ok == 1) {
		for (size_t i = 0; i < a->n && ok == 1; i++) {
			int r = a->v[i].evidence ? 0 : open_inner(&a->v[i], kad);
			if (r == -2)
				ok = -2;
			else if (r == 0)
				a->matched[a->nmatched++] = i;
		}
		if (ok == 1) {
			memcpy(a->adkey, cand, 32);
			a->recovered = 1;
		}
	}
	if (ok != 1) {
		close_all(a);
		a->nmatched = 0;
	}
	sodium_memzero(kad, sizeof kad);
	return ok;
}

int vigil_pm_e1_account_recover(vigil_pm_e1_account *a, size_t *nmatched)
{
	*nmatched = 0;
	if (!vigil_pm_enabled() || !a)
		return VIGIL_EINVAL;
	if (a->recovered) {
		*nmatched = a->nmatched;
		return VIGIL_OK;
	}
	a->decoded = 0;
	a->trials = 0;
	unsigned t = a->threshold;
	if (a->n < t || a->n > 4096)
		return VIGIL_ENOENT;
	unsigned n = (unsigned)a->n, idx[VIGIL_PM_E1_MAX_THRESHOLD];
	vigil__pm_share sub[VIGIL_PM_E1_MAX_THRESHOLD];
	vigil__pm_share *all = vigil__malloc((size_t)n * sizeof *all);
	unsigned *sel = vigil__malloc((size_t)n * sizeof *sel);
	uint8_t *on = vigil__malloc(n);
	uint8_t cand[32];
	int rc = VIGIL_ENOMEM, r;
	if (!all || !sel || !on)
		goto out;
	/* 1. Reed–Solomon decoding (rs.c): exact once the account holds
	 * r >= t + s real shares among s synthetic ones. Needs redundancy. */
	for (unsigned i = 0; i < n; i++)
		all[i] = a->v[i].sh;
	if (n >= t + 2) {
		r = vigil__pm_rs_decode(all, n, t, cand, on);
		if (r == -2)
			goto out;
		if (r == 0) {
			unsigned ns = 0;
			for (unsigned i = 0; i < n; i++)
				if (on[i])
					sel[ns++] = i;
			r = try_key(a, cand, sel, ns);
			if (r == -2)
				goto out;
			if (r == 1) {
				a->decoded = 1;
				rc = VIGIL_OK;
				goto out;
			}
		}
	}
	/* 2. Between t and t + s real shares: t-subsets. A t-subset of real
	 * shares gives adkey, which the inner layers' AEAD confirms; any other
	 * gives a key that opens nothing. All subsets in order when there are
	 * few (so a hopeless account stops early), else random ones: expected
	 * C(n,t)/C(r,t) trials; at most VIGIL_PM_E1_MAX_TRIALS. */
	long total = binom_cap(n, t, VIGIL_PM_E1_MAX_TRIALS);
	int exhaustive = total <= VIGIL_PM_E1_MAX_TRIALS;
	for (unsigned i = 0; i < n; i++)
		sel[i] = i;
	for (unsigned i = 0; i < t; i++)
		idx[i] = i;
	rc = VIGIL_ENOENT;
	for (long trial = 0; trial < VIGIL_PM_E1_MAX_TRIALS; trial++) {
		if (!exhaustive)
			rand_comb(idx, sel, t, n);
		a->trials++;
		for (unsigned i = 0; i < t; i++)
			sub[i] = a->v[idx[i]].sh;
		if (vigil__pm_shamir_combine(cand, sub, t) == 0) {
			r = try_key(a, cand, idx, t);
			if (r == -2) {
				rc = VIGIL_ENOMEM;
				goto out;
			}
			if (r == 1) {
				rc = VIGIL_OK;
				goto out;
			}
		}
		if (exhaustive && !next_comb(idx, t, n))
			break;
	}
out:
	if (rc == VIGIL_OK)
		*nmatched = a->nmatched;
	if (all)
		sodium_memzero(all, (size_t)n * sizeof *all);
	vigil__free(all);
	vigil__free(sel);
	vigil__free(on);
	sodium_memzero(cand, sizeof cand);
	sodium_memzero(sub, sizeof sub);
	return rc;
}

void vigil__pm_e1_recover_stats(const vigil_pm_e1_account *a, int *decoded, long *trials)
{
	*decoded = a->decoded;
	*trials = a->trials;
}

int vigil_pm_e1_account_evidence(const vigil_pm_e1_account *a, size_t i,
				 const uint8_t **evidence, size_t *len)
{
	if (!a || !a->recovered || i >= a->nmatched)
		return VIGIL_EINVAL;
	const opened *v = &a->v[a->matched[i]];
	*evidence = v->evidence;
	*len = v->ev_len;
	return VIGIL_OK;
}

void vigil__pm_e1_force_synthetic(vigil_pm_e1_client *c, int mode)
{
	c->force = mode;
}

int vigil__pm_e1_opened_position(const vigil_pm_e1_server *s, const uint8_t *voucher)
{
	static const uint8_t zero_nonce[24];
	for (unsigned j = 0; j < 3; j++) {
		const uint8_t *p = voucher + 1 + j * (32 + SLOT_CT);
		uint8_t S[32], k[32], cand[32];
		if (crypto_scalarmult_ristretto255(S, s->alpha, p))
			continue;
		kdf(k, "vigil-pm-e1-slotkey", S, 32, p, 32);
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(cand, NULL, NULL, p + 32, SLOT_CT, NULL,
							       0, zero_nonce, k) == 0)
			return (int)j;
	}
	return -1;
}
