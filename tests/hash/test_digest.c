/* Exact digests against the published test vectors for "abc" (RFC 1321,
 * FIPS 180-2) and the empty string. */
#include "vigil.h"
#include "../test.h"

static void check(vigil_ctx *ctx, vigil_digest_algo a, const char *msg,
		  const char *want)
{
	uint8_t out[VIGIL_DIGEST_MAX];
	char hex[2 * VIGIL_DIGEST_MAX + 1];

	CHECK(vigil_digest(ctx, a, msg, strlen(msg), out) == VIGIL_OK);
	vigil_hex(out, vigil_digest_size(a), hex);
	CHECKF(strcmp(hex, want) == 0, "%s(%s) = %s", vigil_digest_name(a), msg, hex);
}

int main(void)
{
	vigil_ctx *ctx;
	uint8_t out[VIGIL_DIGEST_MAX];

	CHECK(vigil_ctx_new(&ctx) == 0);
	check(ctx, VIGIL_MD5, "abc", "900150983cd24fb0d6963f7d28e17f72");
	check(ctx, VIGIL_SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d");
	check(ctx, VIGIL_SHA256, "abc",
	      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check(ctx, VIGIL_MD5, "", "d41d8cd98f00b204e9800998ecf8427e");
	check(ctx, VIGIL_SHA256, "",
	      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK(vigil_digest(ctx, VIGIL__DIGEST_END, "a", 1, out) == VIGIL_EINVAL);
	CHECK(vigil_digest(ctx, VIGIL_MD5, NULL, 1, out) == VIGIL_EINVAL);
	CHECK(vigil_digest_size(VIGIL_SHA1) == 20);
	vigil_ctx_free(ctx);
	return test_done("digest");
}
