/* rs.c — Reed–Solomon decoding of Shamir shares with errors
 * (Berlekamp–Welch), over the ristretto255 scalar field. E1's server uses
 * it to separate real shares from synthetic ones (random y at a real x):
 * the real shares lie on the account's polynomial f of degree < t, the
 * synthetic ones are errors. With n shares of which s are synthetic,
 * decoding is unique and succeeds whenever n >= t + 2s, i.e. once the
 * account holds r >= t + s real matches; between t and t + s real ones the
 * server falls back to searching t-subsets (e1.c).
 *
 * Apple's design decodes interleaved codes (Coppersmith–Sudan), which
 * corrects more errors; that decoder is not built.
 *
 * Server side only: the shares' x, which points lie on f and f(0) are the
 * protocol's output to the server, so this code may branch on them. The
 * cost is one Gaussian elimination of an n x (t + 2e) system: O(n^3)
 * scalar multiplications (about 0.1 s at n = 60). */
#include <sodium.h>
#include <string.h>

#include "../core/core.h"
#include "pm_int.h"

#define MUL crypto_core_ristretto255_scalar_mul
#define SUB crypto_core_ristretto255_scalar_sub
#define ADD crypto_core_ristretto255_scalar_add

/* Solves the m x k system A z = b (A row-major, b its last column, so
 * rows of k + 1) by elimination; free unknowns are 0. -1 if inconsistent. */
static int solve(uint8_t (*a)[32], unsigned m, unsigned k, uint8_t (*z)[32])
{
	unsigned w = k + 1, row = 0;
	unsigned *piv = vigil__calloc(k ? k : 1, sizeof *piv);
	uint8_t inv[32], f[32], tmp[32];
	int rc = -2;

	if (!piv)
		return rc;
	for (unsigned c = 0; c < k && row < m; c++) {
		unsigned p = row;
		while (p < m && sodium_is_zero(a[(size_t)p * w + c], 32))
			p++;
		if (p == m) {
			piv[c] = (unsigned)-1;
			continue;
		}
		if (p != row)
			for (unsigned j = 0; j < w; j++) {
				memcpy(tmp, a[(size_t)p * w + j], 32);
				memcpy(a[(size_t)p * w + j], a[(size_t)row * w + j], 32);
				memcpy(a[(size_t)row * w + j], tmp, 32);
			}
		crypto_core_ristretto255_scalar_invert(inv, a[(size_t)row * w + c]);
		for (unsigned j = c; j < w; j++)
			MUL(a[(size_t)row * w + j], a[(size_t)row * w + j], inv);
		for (unsigned i = 0; i < m; i++) {
			if (i == row || sodium_is_zero(a[(size_t)i * w + c], 32))
				continue;
			memcpy(f, a[(size_t)i * w + c], 32);
			for (unsigned j = c; j < w; j++) {
				MUL(tmp, f, a[(size_t)row * w + j]);
				SUB(a[(size_t)i * w + j], a[(size_t)i * w + j], tmp);
			}
		}
		piv[c] = row++;
	}
	/* Rows past the rank must read 0 = 0. */
	rc = -1;
	for (unsigned i = row; i < m; i++)
		if (!sodium_is_zero(a[(size_t)i * w + k], 32))
			goto out;
	for (unsigned c = 0; c < k; c++) {
		if (c < k && piv[c] != (unsigned)-1 && piv[c] < row)
			memcpy(z[c], a[(size_t)piv[c] * w + k], 32);
		else
			memset(z[c], 0, 32);
	}
	rc = 0;
out:
	vigil__free(piv);
	return rc;
}

static void horner(uint8_t y[32], const uint8_t (*c)[32], unsigned deg1, const uint8_t x[32])
{
	uint8_t acc[32] = {0};
	for (unsigned i = deg1; i-- > 0;) {
		MUL(acc, acc, x);
		ADD(acc, acc, c[i]);
	}
	memcpy(y, acc, 32);
}

int vigil__pm_rs_decode(const vigil__pm_share *sh, unsigned n, unsigned t, uint8_t f0[32],
			uint8_t *on)
{
	if (t < 1 || n < t || n > 4096)
		return -1;
	unsigned e = (n - t) / 2, k = t + 2 * e, w = k + 1;
	uint8_t (*a)[32] = vigil__calloc((size_t)n * w, 32);
	uint8_t (*z)[32] = vigil__calloc(k, 32);
	uint8_t (*q)[32] = vigil__calloc(t + e, 32);
	uint8_t pw[32], tmp[32], y[32];
	int rc = -2;

	if (!a || !z || !q)
		goto out;
	/* Row i: sum_j Q_j x^j - y sum_{j<e} E_j x^j = y x^e (E monic, deg e). */
	for (unsigned i = 0; i < n; i++) {
		uint8_t(*row)[32] = a + (size_t)i * w;
		memset(pw, 0, 32);
		pw[0] = 1;
		for (unsigned j = 0; j < t + e; j++) {
			memcpy(row[j], pw, 32);
			if (j < e) {
				MUL(tmp, sh[i].y, pw);
				crypto_core_ristretto255_scalar_negate(row[t + e + j], tmp);
			}
			if (j == e)
				MUL(row[k], sh[i].y, pw);
			MUL(pw, pw, sh[i].x);
		}
	}
	rc = solve(a, n, k, z);
	if (rc)
		goto out;
	/* f = Q / E by long division; the remainder must be 0. */
	memcpy(q, z, (size_t)(t + e) * 32);
	uint8_t(*E)[32] = z + t + e; /* E_0..E_{e-1}, E_e = 1 */
	uint8_t (*f)[32] = a;        /* reuse: t coefficients */
	for (unsigned d = t + e; d-- > e;) {
		unsigned j = d - e;
		memcpy(f[j], q[d], 32);
		for (unsigned i = 0; i < e; i++) {
			MUL(tmp, f[j], E[i]);
			SUB(q[j + i], q[j + i], tmp);
		}
		memset(q[d], 0, 32);
	}
	rc = -1;
	for (unsigned i = 0; i < e; i++)
		if (!sodium_is_zero(q[i], 32))
			goto out;
	/* Unique decoding: f must agree with at least n - e shares. */
	unsigned agree = 0;
	for (unsigned i = 0; i < n; i++) {
		horner(y, (const uint8_t(*)[32])f, t, sh[i].x);
		on[i] = sodium_memcmp(y, sh[i].y, 32) == 0;
		agree += on[i];
	}
	if (agree < n - e || agree < t)
		goto out;
	memcpy(f0, f[0], 32);
	rc = 0;
out:
	if (a)
		sodium_memzero(a, (size_t)n * w * 32);
	vigil__free(a);
	vigil__free(z);
	vigil__free(q);
	sodium_memzero(pw, sizeof pw);
	sodium_memzero(y, sizeof y);
	return rc;
}
