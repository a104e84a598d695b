/* test_shamir.c — Shamir over the ristretto255 scalar field: any t of n
 * shares give the secret back; t-1 shares give something else; a wrong
 * share is detected when there is redundancy (n > t) and changes the result
 * when there is not; duplicate and zero x are refused. */
#include <sodium.h>

#include "../../src/pm/pm_int.h"
#include "../test.h"

int main(void)
{
	CHECK(vigil__pm_ready() == 0);
	unsigned long long rs = 15;
	for (int round = 0; round < 40; round++) {
		unsigned t = 1 + (unsigned)(test_rand(&rs) % 12);
		unsigned n = t + (unsigned)(test_rand(&rs) % 6);
		uint8_t secret[32], got[32];
		vigil__pm_share sh[20], pick[20];
		crypto_core_ristretto255_scalar_random(secret);
		CHECK(vigil__pm_shamir_split(sh, n, t, secret) == 0);
		/* A random t-subset, in random order. */
		for (unsigned i = 0; i < n; i++)
			pick[i] = sh[i];
		for (unsigned i = n; i > 1; i--) {
			unsigned j = (unsigned)(test_rand(&rs) % i);
			vigil__pm_share tmp = pick[i - 1];
			pick[i - 1] = pick[j];
			pick[j] = tmp;
		}
		CHECK(vigil__pm_shamir_combine(got, pick, t) == 0);
		CHECKF(memcmp(got, secret, 32) == 0, "t=%u n=%u", t, n);
		CHECK(vigil__pm_shamir_check(pick, n, t) == 0);
		if (t > 1) {
			/* t-1 shares: interpolating a degree t-2 polynomial misses. */
			CHECK(vigil__pm_shamir_combine(got, pick, t - 1) == 0);
			CHECK(memcmp(got, secret, 32) != 0);
		}
		/* One wrong share. */
		unsigned w = (unsigned)(test_rand(&rs) % n);
		pick[w].y[0] ^= 1;
		if (n > t)
			CHECKF(vigil__pm_shamir_check(pick, n, t) == 1, "t=%u n=%u w=%u", t, n, w);
		if (w < t) {
			CHECK(vigil__pm_shamir_combine(got, pick, t) == 0);
			CHECK(memcmp(got, secret, 32) != 0);
		}
		/* Duplicate x. */
		if (t >= 2) {
			pick[1] = pick[0];
			CHECK(vigil__pm_shamir_combine(got, pick, t) == -1);
		}
	}
	/* Dealing one share at a time (E1's way) equals split's. */
	{
		uint8_t secret[32], coef[4][32], y[32];
		crypto_core_ristretto255_scalar_random(secret);
		CHECK(vigil__pm_shamir_poly(coef, 5) == 0);
		vigil__pm_share mine[5];
		for (int i = 0; i < 5; i++) {
			memset(mine[i].x, 0, 32);
			crypto_core_ristretto255_scalar_random(mine[i].x);
			vigil__pm_shamir_eval(mine[i].y, secret, (const uint8_t(*)[32])coef, 5,
					      mine[i].x);
		}
		CHECK(vigil__pm_shamir_combine(y, mine, 5) == 0);
		CHECK(memcmp(y, secret, 32) == 0);
		vigil__pm_share z = mine[0];
		memset(z.x, 0, 32);
		mine[0] = z;
		CHECK(vigil__pm_shamir_combine(y, mine, 5) == -1);
	}
	{
		uint8_t secret[32] = {1};
		vigil__pm_share sh[3];
		CHECK(vigil__pm_shamir_split(sh, 3, 0, secret) == -1);
		CHECK(vigil__pm_shamir_split(sh, 2, 3, secret) == -1);
	}
	return test_done("pm/shamir");
}
