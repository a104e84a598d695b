/* test_oprf.c — RFC 9497 (V)OPRF, ristretto255-SHA512, against the RFC's
 * own test vectors, byte for byte: Appendix A.1.1 (OPRF mode, vectors 1 and
 * 2) and Appendix A.1.2 (VOPRF mode, vectors 1, 2 and the batch-of-2
 * vector 3). The values were read from public implementations that quote
 * the RFC's appendix (several independent ones agree on every value used
 * here); the RFC text itself was not available offline. Plus property
 * checks: a tampered proof fails, blind/evaluate/finalize equals evaluate,
 * and the module refuses to work before vigil_pm_enable(). */
#include <sodium.h>

#include "../../src/pm/pm_int.h"
#include "../test.h"
#include "vigil.h"

static size_t unhex(uint8_t *out, size_t cap, const char *h)
{
	size_t n = strlen(h) / 2;
	if (n > cap)
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			abort();
		out[i] = (uint8_t)v;
	}
	return n;
}

#define SEED "a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3"
#define KEYINFO "74657374206b6579" /* "test key" */
#define BLIND "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706"
#define IN2 "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"

struct vec {
	const char *input, *blind, *blinded, *evaluated, *output;
};

/* RFC 9497 A.1.1: OPRF(ristretto255, SHA-512), mode 0. */
static const char *oprf_sk = "5ebcea5ee37023ccb9fc2d2019f9d7737be85591ae8652ffa9ef0f4d37063b0e";
static const struct vec oprf_vec[2] = {
	{"00", BLIND, "609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c",
	 "7ec6578ae5120958eb2db1745758ff379e77cb64fe77b0b2d8cc917ea0869c7e",
	 "527759c3d9366f277d8c6020418d96bb393ba2afb20ff90df23fb7708264e2f3"
	 "ab9135e3bd69955851de4b1f9fe8a0973396719b7912ba9ee8aa7d0b5e24bcf6"},
	{IN2, BLIND, "da27ef466870f5f15296299850aa088629945a17d1f5b7f5ff043f76b3c06418",
	 "b4cbf5a4f1eeda5a63ce7b77c7d23f461db3fcab0dd28e4e17cecb5c90d02c25",
	 "f4a74c9c592497375e796aa837e907b1a045d34306a749db9f34221f7e750cb4"
	 "f2a6413a6bf6fa5e19ba6348eb673934a722a7ede2e7621306d18951e7cf2c73"},
};

/* RFC 9497 A.1.2: VOPRF(ristretto255, SHA-512), mode 1. */
static const char *voprf_sk = "e6f73f344b79b379f1a0dd37e07ff62e38d9f71345ce62ae3a9bc60b04ccd909";
static const char *voprf_pk = "c803e2cc6b05fc15064549b5920659ca4a77b2cca6f04f6b357009335476ad4e";
static const struct vec voprf_vec[2] = {
	{"00", BLIND, "863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945",
	 "aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e",
	 "b58cfbe118e0cb94d79b5fd6a6dafb98764dff49c14e1770b566e42402da1a7d"
	 "a4d8527693914139caee5bd03903af43a491351d23b430948dd50cde10d32b3c"},
	{IN2, BLIND, "cc0b2a350101881d8a4cba4c80241d74fb7dcbfde4a61fde2f91443c2bf9ef0c",
	 "60a59a57208d48aca71e9e850d22674b611f752bed48b36f7a91b372bd7ad468",
	 "8a9a2f3c7f085b65933594309041fc1898d42d0858e59f90814ae90571a6df60"
	 "356f4610bf816f27afdd84f47719e480906d27ecd994985890e5f539e7ea74b6"},
};
static const char *voprf_r = "222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e";
static const char *voprf_proof[2] = {
	"ddef93772692e535d1a53903db24367355cc2cc78de93b3be5a8ffcc6985dd06"
	"6d4346421d17bf5117a2a1ff0fcb2a759f58a539dfbe857a40bce4cf49ec600d",
	"401a0da6264f8cf45bb2f5264bc31e109155600babb3cd4e5af7d181a2c9dc0a"
	"67154fabf031fd936051dec80b0b6ae29c9503493dde7393b722eafdf5a50b02",
};
/* A.1.2 vector 3, batch size 2: inputs 00 and IN2 with blinds BLIND and
 * this one; proof nonce below. */
static const char *b3_blind2 = "222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e";
static const char *b3_blinded2 = "90a0145ea9da29254c3a56be4fe185465ebb3bf2a1801f7124bbbadac751e654";
static const char *b3_eval2 = "cc5ac221950a49ceaa73c8db41b82c20372a4c8d63e5dded2db920b7eee36a2a";
static const char *b3_r = "419c4f4f5052c53c45f3da494d2b67b220d02118e0857cdbcf037f9ea84bbe0c";
static const char *b3_proof =
	"cc203910175d786927eeb44ea847328047892ddf8590e723c37205cb74600b0a"
	"5ab5337c8eb4ceae0494c2cf89529dcf94572ed267473d567aeed6ab873dee08";

static void run_vec(vigil_pm_mode mode, const struct vec *v, const uint8_t sk[32],
		    const uint8_t pk[32], const char *proof_hex, const char *r_hex)
{
	uint8_t in[64], fb[32], blind[32], blinded[32], ev[32], out[64], want[64], proof[64],
		r[32];
	size_t inl = unhex(in, sizeof in, v->input);
	unhex(fb, 32, v->blind);
	CHECK(vigil_pm_blind(mode, in, inl, fb, blind, blinded) == VIGIL_OK);
	unhex(want, 32, v->blinded);
	CHECKF(memcmp(blinded, want, 32) == 0, "mode %d BlindedElement of %s", mode, v->input);
	if (r_hex)
		unhex(r, 32, r_hex);
	CHECK(vigil_pm_blind_evaluate(mode, sk, pk, 1, (const uint8_t(*)[32])blinded,
				      (uint8_t(*)[32])ev, r_hex ? r : NULL, proof) == VIGIL_OK);
	unhex(want, 32, v->evaluated);
	CHECKF(memcmp(ev, want, 32) == 0, "mode %d EvaluationElement of %s", mode, v->input);
	if (proof_hex) {
		unhex(want, 64, proof_hex);
		CHECKF(memcmp(proof, want, 64) == 0, "Proof of %s", v->input);
		CHECK(vigil_pm_verify_proof(pk, 1, (const uint8_t(*)[32])blinded,
					    (const uint8_t(*)[32])ev, proof) == VIGIL_OK);
		/* Any flipped bit of c or s, or of the evaluation, must fail. */
		for (int bit = 0; bit < 512; bit += 37) {
			uint8_t bad[64];
			memcpy(bad, proof, 64);
			bad[bit / 8] ^= (uint8_t)(1 << (bit % 8));
			CHECK(vigil_pm_verify_proof(pk, 1, (const uint8_t(*)[32])blinded,
						    (const uint8_t(*)[32])ev, bad) != VIGIL_OK);
		}
		uint8_t other[32];
		crypto_core_ristretto255_random(other);
		CHECK(vigil_pm_verify_proof(pk, 1, (const uint8_t(*)[32])blinded,
					    (const uint8_t(*)[32])other, proof) != VIGIL_OK);
	}
	CHECK(vigil_pm_finalize(in, inl, blind, ev, out) == VIGIL_OK);
	unhex(want, 64, v->output);
	CHECKF(memcmp(out, want, 64) == 0, "mode %d Output of %s", mode, v->input);
	CHECK(vigil_pm_evaluate(mode, sk, in, inl, out) == VIGIL_OK);
	CHECKF(memcmp(out, want, 64) == 0, "mode %d Evaluate of %s", mode, v->input);
}

int main(void)
{
	uint8_t seed[32], info[8], sk[32], pk[32], want[32];
	unhex(seed, 32, SEED);
	unhex(info, 8, KEYINFO);

	/* Off by default. */
	CHECK(!vigil_pm_enabled());
	CHECK(vigil_pm_derive_keypair(VIGIL_PM_MODE_OPRF, seed, 32, info, 8, sk, pk) ==
	      VIGIL_EINVAL);
	CHECK(vigil_pm_enable(1234) == VIGIL_EINVAL);
	CHECK(!vigil_pm_enabled());
	CHECK(vigil_pm_enable(VIGIL_PM_ACK) == VIGIL_OK);
	CHECK(vigil_pm_enabled());

	/* A.1.1 */
	CHECK(vigil_pm_derive_keypair(VIGIL_PM_MODE_OPRF, seed, 32, info, 8, sk, pk) == VIGIL_OK);
	unhex(want, 32, oprf_sk);
	CHECKF(memcmp(sk, want, 32) == 0, "A.1.1 skSm");
	for (int i = 0; i < 2; i++)
		run_vec(VIGIL_PM_MODE_OPRF, &oprf_vec[i], sk, NULL, NULL, NULL);

	/* A.1.2 */
	CHECK(vigil_pm_derive_keypair(VIGIL_PM_MODE_VOPRF, seed, 32, info, 8, sk, pk) ==
	      VIGIL_OK);
	unhex(want, 32, voprf_sk);
	CHECKF(memcmp(sk, want, 32) == 0, "A.1.2 skSm");
	unhex(want, 32, voprf_pk);
	CHECKF(memcmp(pk, want, 32) == 0, "A.1.2 pkSm");
	for (int i = 0; i < 2; i++)
		run_vec(VIGIL_PM_MODE_VOPRF, &voprf_vec[i], sk, pk, voprf_proof[i], voprf_r);

	/* A.1.2 vector 3, batch of 2 with one proof. */
	{
		uint8_t in2[17], fb[2][32], blind[2][32], bl[2][32], ev[2][32], proof[64], r[32],
			w[64], out[64];
		unhex(in2, 17, IN2);
		unhex(fb[0], 32, BLIND);
		unhex(fb[1], 32, b3_blind2);
		const uint8_t zero = 0;
		CHECK(vigil_pm_blind(VIGIL_PM_MODE_VOPRF, &zero, 1, fb[0], blind[0], bl[0]) == 0);
		CHECK(vigil_pm_blind(VIGIL_PM_MODE_VOPRF, in2, 17, fb[1], blind[1], bl[1]) == 0);
		unhex(w, 32, voprf_vec[0].blinded);
		CHECK(memcmp(bl[0], w, 32) == 0);
		unhex(w, 32, b3_blinded2);
		CHECKF(memcmp(bl[1], w, 32) == 0, "A.1.2.3 BlindedElement 2");
		unhex(r, 32, b3_r);
		CHECK(vigil_pm_blind_evaluate(VIGIL_PM_MODE_VOPRF, sk, pk, 2,
					      (const uint8_t(*)[32])bl, ev, r, proof) == 0);
		unhex(w, 32, b3_eval2);
		CHECKF(memcmp(ev[1], w, 32) == 0, "A.1.2.3 EvaluationElement 2");
		unhex(w, 64, b3_proof);
		CHECKF(memcmp(proof, w, 64) == 0, "A.1.2.3 Proof");
		CHECK(vigil_pm_verify_proof(pk, 2, (const uint8_t(*)[32])bl,
					    (const uint8_t(*)[32])ev, proof) == VIGIL_OK);
		/* Swapping the two evaluations must break the batch proof. */
		uint8_t sw[2][32];
		memcpy(sw[0], ev[1], 32);
		memcpy(sw[1], ev[0], 32);
		CHECK(vigil_pm_verify_proof(pk, 2, (const uint8_t(*)[32])bl,
					    (const uint8_t(*)[32])sw, proof) != VIGIL_OK);
		CHECK(vigil_pm_finalize(in2, 17, blind[1], ev[1], out) == 0);
		unhex(w, 64, voprf_vec[1].output);
		CHECK(memcmp(out, w, 64) == 0);
	}

	/* Random blinds and nonces: the protocol still agrees with Evaluate and
	 * the proof still verifies. */
	for (int i = 0; i < 8; i++) {
		uint8_t in[40], blind[32], bl[32], ev[32], proof[64], o1[64], o2[64];
		randombytes_buf(in, sizeof in);
		CHECK(vigil_pm_blind(VIGIL_PM_MODE_VOPRF, in, sizeof in, NULL, blind, bl) == 0);
		CHECK(vigil_pm_blind_evaluate(VIGIL_PM_MODE_VOPRF, sk, pk, 1,
					      (const uint8_t(*)[32])bl, (uint8_t(*)[32])ev, NULL,
					      proof) == 0);
		CHECK(vigil_pm_verify_proof(pk, 1, (const uint8_t(*)[32])bl,
					    (const uint8_t(*)[32])ev, proof) == 0);
		CHECK(vigil_pm_finalize(in, sizeof in, blind, ev, o1) == 0);
		CHECK(vigil_pm_evaluate(VIGIL_PM_MODE_VOPRF, sk, in, sizeof in, o2) == 0);
		CHECK(memcmp(o1, o2, 64) == 0);
	}

	/* Garbage elements are refused. */
	{
		uint8_t bad[32], ev[32];
		memset(bad, 0xff, 32);
		CHECK(vigil_pm_blind_evaluate(VIGIL_PM_MODE_OPRF, sk, pk, 1,
					      (const uint8_t(*)[32])bad, (uint8_t(*)[32])ev, NULL,
					      NULL) == VIGIL_EINVAL);
		memset(bad, 0, 32); /* identity */
		CHECK(vigil_pm_blind_evaluate(VIGIL_PM_MODE_OPRF, sk, pk, 1,
					      (const uint8_t(*)[32])bad, (uint8_t(*)[32])ev, NULL,
					      NULL) == VIGIL_EINVAL);
	}
	sodium_memzero(sk, sizeof sk);
	return test_done("pm/oprf");
}
