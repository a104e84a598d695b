/* test_dpf.c — BGI DPF over 2^16: for random points (and the domain's
 * edges), the two keys' full-domain evaluations XOR to the point function,
 * checked at every one of the 65,536 positions; each key alone is not the
 * point function (its ones are about half the domain); the wire form
 * round-trips and refuses bad control bits. */
#include <sodium.h>

#include "../../src/pm/pm_int.h"
#include "../test.h"

static int bit(const uint8_t *v, unsigned x)
{
	return (v[x >> 3] >> (x & 7)) & 1;
}

int main(void)
{
	CHECK(vigil__pm_ready() == 0);
	static uint8_t e0[8192], e1[8192];
	uint16_t pts[24] = {0, 1, 127, 128, 65535, 65408, 32768};
	for (int i = 7; i < 24; i++)
		pts[i] = (uint16_t)randombytes_uniform(65536);
	for (int p = 0; p < 24; p++) {
		vigil__pm_dpf_key k0, k1, r;
		uint16_t a = pts[p];
		CHECK(vigil__pm_dpf_gen(&k0, &k1, a) == 0);
		/* Serialize and parse both, so the wire form is what is evaluated. */
		uint8_t w[VIGIL__PM_DPF_KEY_BYTES];
		vigil__pm_dpf_serialize(w, &k0);
		CHECK(vigil__pm_dpf_parse(&r, w, sizeof w) == 0);
		vigil__pm_dpf_eval_all(&r, e0);
		vigil__pm_dpf_serialize(w, &k1);
		CHECK(vigil__pm_dpf_parse(&r, w, sizeof w) == 0);
		vigil__pm_dpf_eval_all(&r, e1);
		unsigned wrong = 0, ones0 = 0;
		for (unsigned x = 0; x < 65536; x++) {
			int f = bit(e0, x) ^ bit(e1, x);
			wrong += (unsigned)(f != (x == a));
			ones0 += (unsigned)bit(e0, x);
		}
		CHECKF(wrong == 0, "alpha=%u: %u positions wrong", a, wrong);
		/* A key alone looks random: far from the point function. */
		CHECKF(ones0 > 30000 && ones0 < 35536, "alpha=%u: key 0 has %u ones", a, ones0);
	}
	/* Parse refuses wrong lengths and control bits other than 0/1. */
	{
		vigil__pm_dpf_key k0, k1, r;
		uint8_t w[VIGIL__PM_DPF_KEY_BYTES];
		vigil__pm_dpf_gen(&k0, &k1, 5);
		vigil__pm_dpf_serialize(w, &k0);
		CHECK(vigil__pm_dpf_parse(&r, w, sizeof w - 1) == -1);
		w[16] = 2;
		CHECK(vigil__pm_dpf_parse(&r, w, sizeof w) == -1);
		vigil__pm_dpf_serialize(w, &k0);
		w[17 + 16] = 7;
		CHECK(vigil__pm_dpf_parse(&r, w, sizeof w) == -1);
	}
	CHECK(VIGIL__PM_DPF_KEY_BYTES == 195);
	return test_done("pm/dpf");
}
