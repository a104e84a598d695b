/* oprf.c — RFC 9497 OPRF and VOPRF (modes 0 and 1), suite
 * ristretto255-SHA512, on libsodium's ristretto255. Section numbers are
 * RFC 9497's. Secrets (blinds, keys, proof nonces) are handled only by
 * libsodium's constant-time scalar and point operations and are wiped
 * before returning; no branch depends on a secret value. */
#include <sodium.h>
#include <string.h>

#include "pm_int.h"

#define IDENT "ristretto255-SHA512"

/* contextString = "OPRFV1-" || I2OSP(mode, 1) || "-" || identifier (§3.1).
 * Returns its length (27). */
static size_t context(uint8_t *buf, int mode)
{
	memcpy(buf, "OPRFV1-", 7);
	buf[7] = (uint8_t)mode;
	buf[8] = '-';
	memcpy(buf + 9, IDENT, sizeof IDENT - 1);
	return 9 + sizeof IDENT - 1;
}

/* DST = prefix || contextString. */
static size_t dst(uint8_t *buf, const char *prefix, int mode)
{
	size_t n = strlen(prefix);
	memcpy(buf, prefix, n);
	return n + context(buf + n, mode);
}

static int hash_to_group(uint8_t p[32], int mode, const uint8_t *const *m,
			 const size_t *ml, size_t nm)
{
	uint8_t d[64], u[64];
	size_t dl = dst(d, "HashToGroup-", mode);
	if (vigil__pm_xmd_sha512(u, 64, m, ml, nm, d, dl))
		return -1;
	crypto_core_ristretto255_from_hash(p, u);
	sodium_memzero(u, sizeof u);
	return 0;
}

static int hash_to_scalar(uint8_t s[32], const char *prefix, int mode,
			  const uint8_t *const *m, const size_t *ml, size_t nm)
{
	uint8_t d[64], u[64];
	size_t dl = dst(d, prefix, mode);
	if (vigil__pm_xmd_sha512(u, 64, m, ml, nm, d, dl))
		return -1;
	crypto_core_ristretto255_scalar_reduce(s, u);
	sodium_memzero(u, sizeof u);
	return 0;
}

static void i2osp2(uint8_t b[2], size_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static int check_mode(int mode)
{
	if (!vigil_pm_enabled())
		return VIGIL_EINVAL;
	return mode == VIGIL_PM_MODE_OPRF || mode == VIGIL_PM_MODE_VOPRF ? 0 : VIGIL_EINVAL;
}

int vigil_pm_derive_keypair(vigil_pm_mode mode, const uint8_t *seed, size_t seed_len,
			    const uint8_t *info, size_t info_len, uint8_t sk[32],
			    uint8_t pk[32])
{
	int rc = check_mode(mode);
	if (rc)
		return rc;
	if (info_len > VIGIL_PM_MAX_INPUT || (!seed && seed_len) || (!info && info_len))
		return VIGIL_EINVAL;
	static const uint8_t empty[1];
	uint8_t il[2], ctr;
	i2osp2(il, info_len);
	const uint8_t *m[4] = {seed ? seed : empty, il, info ? info : empty, &ctr};
	size_t ml[4] = {seed_len, 2, info_len, 1};
	/* deriveInput || I2OSP(counter, 1), counter until a non-zero scalar
	 * (§3.2.1); a zero appears with probability 2^-252, so the loop's
	 * branch leaks nothing in practice. */
	for (unsigned c = 0; c < 256; c++) {
		ctr = (uint8_t)c;
		if (hash_to_scalar(sk, "DeriveKeyPair", mode, m, ml, 4))
			return VIGIL_EINVAL;
		if (!sodium_is_zero(sk, 32)) {
			if (pk)
				crypto_scalarmult_ristretto255_base(pk, sk);
			return VIGIL_OK;
		}
	}
	return VIGIL_EINTERNAL;
}

int vigil_pm_blind(vigil_pm_mode mode, const uint8_t *input, size_t input_len,
		   const uint8_t *fixed_blind, uint8_t blind[32], uint8_t blinded[32])
{
	int rc = check_mode(mode);
	if (rc)
		return rc;
	if (input_len > VIGIL_PM_MAX_INPUT || (!input && input_len))
		return VIGIL_EINVAL;
	static const uint8_t empty[1];
	uint8_t p[32];
	const uint8_t *m[1] = {input ? input : empty};
	size_t ml[1] = {input_len};
	if (hash_to_group(p, mode, m, ml, 1))
		return VIGIL_EINVAL;
	if (fixed_blind)
		memcpy(blind, fixed_blind, 32);
	else
		crypto_core_ristretto255_scalar_random(blind);
	/* scalarmult fails only if the result is the identity, i.e. the input
	 * hashed to the identity (§3.3.1: InvalidInputError). */
	rc = crypto_scalarmult_ristretto255(blinded, blind, p) ? VIGIL_EINVAL : VIGIL_OK;
	sodium_memzero(p, sizeof p);
	return rc;
}

/* ComputeComposites (§2.2.1), with Z = k*M when k is given (the server's
 * ComputeCompositesFast). M and Z start from the first term because
 * libsodium cannot return the identity from a scalar multiplication. */
static int composites(int mode, const uint8_t B[32], size_t n, const uint8_t (*C)[32],
		      const uint8_t (*D)[32], const uint8_t *k, uint8_t M[32], uint8_t Z[32])
{
	uint8_t ctx[64], seed[64], hl[2], sl[2], il[2], cl[2], dl[2], di[32], t[32];
	size_t ctxl = dst(ctx, "Seed-", mode);
	crypto_hash_sha512_state st;
	/* seed = Hash(I2OSP(len(Bm), 2) || Bm || I2OSP(len(seedDST), 2) || seedDST) */
	i2osp2(hl, 32);
	i2osp2(sl, ctxl);
	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, hl, 2);
	crypto_hash_sha512_update(&st, B, 32);
	crypto_hash_sha512_update(&st, sl, 2);
	crypto_hash_sha512_update(&st, ctx, ctxl);
	crypto_hash_sha512_final(&st, seed);
	uint8_t seedl[2];
	i2osp2(seedl, 64);
	i2osp2(cl, 32);
	i2osp2(dl, 32);
	static const uint8_t comp[] = "Composite";
	for (size_t i = 0; i < n; i++) {
		i2osp2(il, i);
		const uint8_t *m[8] = {seedl, seed, il, cl, C[i], dl, D[i], comp};
		size_t ml[8] = {2, 64, 2, 2, 32, 2, 32, sizeof comp - 1};
		if (hash_to_scalar(di, "HashToScalar-", mode, m, ml, 8))
			return -1;
		if (crypto_scalarmult_ristretto255(i ? t : M, di, C[i]))
			return -1;
		if (i)
			crypto_core_ristretto255_add(M, M, t);
		if (!k) {
			if (crypto_scalarmult_ristretto255(i ? t : Z, di, D[i]))
				return -1;
			if (i)
				crypto_core_ristretto255_add(Z, Z, t);
		}
	}
	if (k && crypto_scalarmult_ristretto255(Z, k, M))
		return -1;
	return 0;
}

/* The challenge c = HashToScalar(len||B || len||M || len||Z || len||t2 ||
 * len||t3 || "Challenge") of GenerateProof / VerifyProof (§2.2). */
static int challenge(uint8_t c[32], int mode, const uint8_t B[32], const uint8_t M[32],
		     const uint8_t Z[32], const uint8_t t2[32], const uint8_t t3[32])
{
	uint8_t l[2], buf[5 * 34 + 9];
	i2osp2(l, 32);
	const uint8_t *parts[5] = {B, M, Z, t2, t3};
	size_t o = 0;
	for (int i = 0; i < 5; i++) {
		memcpy(buf + o, l, 2);
		memcpy(buf + o + 2, parts[i], 32);
		o += 34;
	}
	memcpy(buf + o, "Challenge", 9);
	o += 9;
	const uint8_t *m[1] = {buf};
	size_t ml[1] = {o};
	return hash_to_scalar(c, "HashToScalar-", mode, m, ml, 1);
}

static int valid_elements(size_t n, const uint8_t (*e)[32])
{
	for (size_t i = 0; i < n; i++)
		if (!crypto_core_ristretto255_is_valid_point(e[i]))
			return 0;
	return 1;
}

int vigil_pm_blind_evaluate(vigil_pm_mode mode, const uint8_t sk[32], const uint8_t pk[32],
			    size_t n, const uint8_t (*blinded)[32], uint8_t (*evaluated)[32],
			    const uint8_t *fixed_r, uint8_t proof[64])
{
	int rc = check_mode(mode);
	if (rc)
		return rc;
	if (n == 0 || n > VIGIL_PM_MAX_BATCH || !blinded || !evaluated ||
	    !valid_elements(n, blinded))
		return VIGIL_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (crypto_scalarmult_ristretto255(evaluated[i], sk, blinded[i]))
			return VIGIL_EINVAL;
	if (mode == VIGIL_PM_MODE_OPRF)
		return VIGIL_OK;
	if (!pk || !proof)
		return VIGIL_EINVAL;
	/* GenerateProof(k, A = G, B = pkS, C = blinded, D = evaluated). */
	uint8_t M[32], Z[32], r[32], t2[32], t3[32], c[32], ck[32];
	rc = VIGIL_EINTERNAL;
	if (composites(mode, pk, n, blinded, (const uint8_t(*)[32])evaluated, sk, M, Z))
		goto out;
	if (fixed_r)
		memcpy(r, fixed_r, 32);
	else
		crypto_core_ristretto255_scalar_random(r);
	crypto_scalarmult_ristretto255_base(t2, r);
	if (crypto_scalarmult_ristretto255(t3, r, M))
		goto out;
	if (challenge(c, mode, pk, M, Z, t2, t3))
		goto out;
	/* s = r - c*k */
	crypto_core_ristretto255_scalar_mul(ck, c, sk);
	memcpy(proof, c, 32);
	crypto_core_ristretto255_scalar_sub(proof + 32, r, ck);
	rc = VIGIL_OK;
out:
	sodium_memzero(r, sizeof r);
	sodium_memzero(ck, sizeof ck);
	return rc;
}

/* A scalar from the wire must be canonical (< L): reduce a copy and compare. */
static int canonical_scalar(const uint8_t s[32])
{
	uint8_t wide[64] = {0}, red[32];
	memcpy(wide, s, 32);
	crypto_core_ristretto255_scalar_reduce(red, wide);
	return memcmp(red, s, 32) == 0;
}

int vigil_pm_verify_proof(const uint8_t pk[32], size_t n, const uint8_t (*blinded)[32],
			  const uint8_t (*evaluated)[32], const uint8_t proof[64])
{
	const int mode = VIGIL_PM_MODE_VOPRF;
	if (!vigil_pm_enabled())
		return VIGIL_EINVAL;
	if (n == 0 || n > VIGIL_PM_MAX_BATCH || !crypto_core_ristretto255_is_valid_point(pk) ||
	    !valid_elements(n, blinded) || !valid_elements(n, evaluated) ||
	    !canonical_scalar(proof) || !canonical_scalar(proof + 32))
		return VIGIL_ECORRUPT;
	uint8_t M[32], Z[32], t2[32], t3[32], a[32], b[32], c[32];
	if (composites(mode, pk, n, blinded, evaluated, NULL, M, Z))
		return VIGIL_ECORRUPT;
	/* t2 = s*G + c*pkS, t3 = s*M + c*Z. A zero s or c would make a term
	 * the identity, which libsodium's scalarmult refuses: such a proof is
	 * not one an honest server makes, so it is rejected. */
	crypto_scalarmult_ristretto255_base(a, proof + 32);
	if (crypto_scalarmult_ristretto255(b, proof, pk))
		return VIGIL_ECORRUPT;
	crypto_core_ristretto255_add(t2, a, b);
	if (crypto_scalarmult_ristretto255(a, proof + 32, M) ||
	    crypto_scalarmult_ristretto255(b, proof, Z))
		return VIGIL_ECORRUPT;
	crypto_core_ristretto255_add(t3, a, b);
	if (challenge(c, mode, pk, M, Z, t2, t3))
		return VIGIL_ECORRUPT;
	return sodium_memcmp(c, proof, 32) == 0 ? VIGIL_OK : VIGIL_ECORRUPT;
}

/* Hash(I2OSP(len(input), 2) || input || I2OSP(32, 2) || N || "Finalize"). */
static void finalize_hash(uint8_t out[64], const uint8_t *input, size_t len,
			  const uint8_t N[32])
{
	uint8_t l[2];
	crypto_hash_sha512_state st;
	crypto_hash_sha512_init(&st);
	i2osp2(l, len);
	crypto_hash_sha512_update(&st, l, 2);
	crypto_hash_sha512_update(&st, input, len);
	i2osp2(l, 32);
	crypto_hash_sha512_update(&st, l, 2);
	crypto_hash_sha512_update(&st, N, 32);
	crypto_hash_sha512_update(&st, (const uint8_t *)"Finalize", 8);
	crypto_hash_sha512_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

int vigil_pm_finalize(const uint8_t *input, size_t input_len, const uint8_t blind[32],
		      const uint8_t evaluated[32], uint8_t out[64])
{
	if (!vigil_pm_enabled() || input_len > VIGIL_PM_MAX_INPUT || (!input && input_len))
		return VIGIL_EINVAL;
	static const uint8_t empty[1];
	uint8_t inv[32], N[32];
	int rc = VIGIL_EINVAL;
	if (crypto_core_ristretto255_scalar_invert(inv, blind))
		goto out;
	if (crypto_scalarmult_ristretto255(N, inv, evaluated))
		goto out;
	finalize_hash(out, input ? input : empty, input_len, N);
	rc = VIGIL_OK;
out:
	sodium_memzero(inv, sizeof inv);
	sodium_memzero(N, sizeof N);
	return rc;
}

int vigil_pm_evaluate(vigil_pm_mode mode, const uint8_t sk[32], const uint8_t *input,
		      size_t input_len, uint8_t out[64])
{
	int rc = check_mode(mode);
	if (rc)
		return rc;
	if (input_len > VIGIL_PM_MAX_INPUT || (!input && input_len))
		return VIGIL_EINVAL;
	static const uint8_t empty[1];
	uint8_t p[32], N[32];
	const uint8_t *m[1] = {input ? input : empty};
	size_t ml[1] = {input_len};
	rc = VIGIL_EINVAL;
	if (hash_to_group(p, mode, m, ml, 1))
		goto out;
	if (crypto_scalarmult_ristretto255(N, sk, p))
		goto out;
	finalize_hash(out, input ? input : empty, input_len, N);
	rc = VIGIL_OK;
out:
	sodium_memzero(p, sizeof p);
	sodium_memzero(N, sizeof N);
	return rc;
}
