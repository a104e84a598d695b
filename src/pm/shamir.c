/* shamir.c — Shamir secret sharing over the ristretto255 scalar field
 * (Z/L, L = 2^252 + 27742317777372353535851937790883648493), using only
 * libsodium's constant-time scalar operations. Used by E1 for the
 * per-account threshold: each voucher carries one share of the account's
 * adkey. */
#include <sodium.h>
#include <string.h>

#include "pm_int.h"

int vigil__pm_shamir_poly(uint8_t (*coef)[32], unsigned t)
{
	if (t < 1 || t > 255)
		return -1;
	for (unsigned i = 0; i + 1 < t; i++)
		crypto_core_ristretto255_scalar_random(coef[i]);
	return 0;
}

void vigil__pm_shamir_eval(uint8_t y[32], const uint8_t secret[32],
			   const uint8_t (*coef)[32], unsigned t, const uint8_t x[32])
{
	/* Horner: y = (((c_{t-2} x + c_{t-3}) x + ...) x + secret */
	uint8_t acc[32] = {0};
	for (unsigned i = t - 1; i-- > 0;) {
		crypto_core_ristretto255_scalar_add(acc, acc, coef[i]);
		crypto_core_ristretto255_scalar_mul(acc, acc, x);
	}
	crypto_core_ristretto255_scalar_add(y, acc, secret);
	sodium_memzero(acc, sizeof acc);
}

static void scalar_u32(uint8_t s[32], uint32_t v)
{
	memset(s, 0, 32);
	s[0] = (uint8_t)v;
	s[1] = (uint8_t)(v >> 8);
	s[2] = (uint8_t)(v >> 16);
	s[3] = (uint8_t)(v >> 24);
}

int vigil__pm_shamir_split(vigil__pm_share *shares, unsigned n, unsigned t,
			   const uint8_t secret[32])
{
	uint8_t coef[254][32];
	if (t < 1 || t > 255 || n < t || n > 65535)
		return -1;
	vigil__pm_shamir_poly(coef, t);
	for (unsigned i = 0; i < n; i++) {
		scalar_u32(shares[i].x, i + 1);
		vigil__pm_shamir_eval(shares[i].y, secret, (const uint8_t(*)[32])coef, t,
				      shares[i].x);
	}
	sodium_memzero(coef, sizeof coef);
	return 0;
}

/* f(at) from the t points (Lagrange): sum y_i prod_{j!=i} (at - x_j)/(x_i - x_j).
 * -1 if some x_i - x_j is 0 (duplicate x). The x are public (they travel
 * with the shares), so branching on their equality leaks nothing secret. */
static int interpolate(uint8_t out[32], const vigil__pm_share *s, unsigned t,
		       const uint8_t at[32])
{
	uint8_t acc[32] = {0}, num[32], den[32], tmp[32], inv[32];
	int rc = -1;
	for (unsigned i = 0; i < t; i++) {
		if (sodium_is_zero(s[i].x, 32))
			goto out;
		memset(num, 0, 32);
		num[0] = 1;
		memcpy(den, num, 32);
		for (unsigned j = 0; j < t; j++) {
			if (j == i)
				continue;
			crypto_core_ristretto255_scalar_sub(tmp, at, s[j].x);
			crypto_core_ristretto255_scalar_mul(num, num, tmp);
			crypto_core_ristretto255_scalar_sub(tmp, s[i].x, s[j].x);
			crypto_core_ristretto255_scalar_mul(den, den, tmp);
		}
		if (crypto_core_ristretto255_scalar_invert(inv, den))
			goto out;
		crypto_core_ristretto255_scalar_mul(tmp, num, inv);
		crypto_core_ristretto255_scalar_mul(tmp, tmp, s[i].y);
		crypto_core_ristretto255_scalar_add(acc, acc, tmp);
	}
	memcpy(out, acc, 32);
	rc = 0;
out:
	sodium_memzero(acc, sizeof acc);
	sodium_memzero(tmp, sizeof tmp);
	return rc;
}

/* Lagrange at 0 with one field inversion (Montgomery's trick): the
 * inversion costs as much as ~250 multiplications, and E1's recovery may try
 * many t-subsets. secret = sum y_i * prod_j x_j / prod_j (x_j - x_i). */
int vigil__pm_shamir_combine(uint8_t secret[32], const vigil__pm_share *s, unsigned t)
{
	uint8_t num[255][32], den[255][32], pre[255][32], inv[32], acc[32] = {0}, tmp[32];
	int rc = -1;
	if (t < 1 || t > 255)
		return -1;
	for (unsigned i = 0; i < t; i++) {
		if (sodium_is_zero(s[i].x, 32))
			goto out;
		memset(num[i], 0, 32);
		num[i][0] = 1;
		memcpy(den[i], num[i], 32);
		for (unsigned j = 0; j < t; j++) {
			if (j == i)
				continue;
			crypto_core_ristretto255_scalar_mul(num[i], num[i], s[j].x);
			crypto_core_ristretto255_scalar_sub(tmp, s[j].x, s[i].x);
			crypto_core_ristretto255_scalar_mul(den[i], den[i], tmp);
		}
		if (i == 0)
			memcpy(pre[0], den[0], 32);
		else
			crypto_core_ristretto255_scalar_mul(pre[i], pre[i - 1], den[i]);
	}
	/* A zero denominator (duplicate x) makes the product zero. */
	if (crypto_core_ristretto255_scalar_invert(inv, pre[t - 1]))
		goto out;
	for (unsigned i = t; i-- > 0;) {
		/* inv = 1 / (den_0 ... den_i); 1/den_i = inv * pre_{i-1} */
		if (i > 0)
			crypto_core_ristretto255_scalar_mul(tmp, inv, pre[i - 1]);
		else
			memcpy(tmp, inv, 32);
		if (i > 0)
			crypto_core_ristretto255_scalar_mul(inv, inv, den[i]);
		crypto_core_ristretto255_scalar_mul(tmp, tmp, num[i]);
		crypto_core_ristretto255_scalar_mul(tmp, tmp, s[i].y);
		crypto_core_ristretto255_scalar_add(acc, acc, tmp);
	}
	memcpy(secret, acc, 32);
	rc = 0;
out:
	sodium_memzero(acc, sizeof acc);
	sodium_memzero(tmp, sizeof tmp);
	sodium_memzero(num, sizeof num);
	sodium_memzero(den, sizeof den);
	sodium_memzero(pre, sizeof pre);
	return rc;
}

int vigil__pm_shamir_check(const vigil__pm_share *shares, unsigned n, unsigned t)
{
	uint8_t y[32];
	int bad = 0;
	if (t < 1 || t > 255 || n < t)
		return -1;
	for (unsigned k = t; k < n; k++) {
		if (interpolate(y, shares, t, shares[k].x))
			return -1;
		/* Accumulate without an early exit, so the time does not say
		 * which share was wrong. */
		bad |= sodium_memcmp(y, shares[k].y, 32) != 0;
	}
	sodium_memzero(y, sizeof y);
	return bad;
}
