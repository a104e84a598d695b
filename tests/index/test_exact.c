/* vigil_exact: add, lookup and remove of random digests against a model,
 * through table growth and backward-shift deletion; several ids per digest;
 * algorithms kept apart; argument errors. */
#include "ixtest.h"

#include <stdlib.h>

#define ND 20000

static uint8_t dig[ND][32];
static int algo_of[ND];
static int nid[ND]; /* ids live under digest i: i*8 .. i*8+nid-1 */

static void check_all(vigil_exact *ex)
{
	uint64_t ids[16];
	size_t i, found, total = 0;
	int k;

	for (i = 0; i < ND; i++) {
		CHECK(vigil_exact_lookup(ex, algo_of[i], dig[i], ids, 16, &found) ==
		      0);
		CHECKF(found == (size_t)nid[i], "digest %zu: %zu ids, want %d", i,
		       found, nid[i]);
		for (k = 0; k < nid[i] && k < (int)found; k++)
			CHECK(ids[k] == i * 8 + (size_t)k);
		total += (size_t)nid[i];
	}
	CHECK(vigil_exact_size(ex) == total);
}

int main(void)
{
	unsigned long long s = 0xe8ac7ULL;
	uint8_t d[32] = {0};
	uint64_t ids[4];
	vigil_exact *ex;
	vigil_ctx *ctx;
	size_t i, found;
	int k;

	vigil_exact_free(NULL);
	CHECK(vigil_exact_size(NULL) == 0);
	CHECK(vigil_exact_new(NULL, NULL) == VIGIL_EINVAL);
	CHECK(vigil_ctx_new(&ctx) == 0);
	CHECK(vigil_exact_new(ctx, &ex) == 0);
	CHECK(vigil_exact_lookup(ex, VIGIL_MD5, d, ids, 4, &found) == 0 &&
	      found == 0);
	CHECK(vigil_exact_remove(ex, VIGIL_MD5, d, 1) == VIGIL_ENOENT);
	CHECK(vigil_exact_add(ex, (vigil_digest_algo)7, d, 1) == VIGIL_EINVAL);
	CHECK(strstr(vigil_errmsg(ctx), "algorithm") != NULL);
	CHECK(vigil_exact_add(ex, VIGIL_MD5, NULL, 1) == VIGIL_EINVAL);
	CHECK(vigil_exact_lookup(ex, VIGIL_MD5, d, NULL, 1, &found) ==
	      VIGIL_EINVAL);
	CHECK(vigil_exact_lookup(ex, VIGIL_MD5, d, NULL, 0, &found) == 0);

	/* the same leading bytes under each algorithm are different keys;
	 * bytes past an algorithm's size are ignored */
	memset(d, 0xab, 32);
	CHECK(vigil_exact_add(ex, VIGIL_MD5, d, 1) == 0);
	CHECK(vigil_exact_add(ex, VIGIL_SHA1, d, 2) == 0);
	CHECK(vigil_exact_add(ex, VIGIL_SHA256, d, 3) == 0);
	CHECK(vigil_exact_add(ex, VIGIL_SHA256, d, 3) == 0);
	CHECK(vigil_exact_size(ex) == 3);
	d[20] = 0; /* past SHA-1's 20 bytes */
	CHECK(vigil_exact_lookup(ex, VIGIL_SHA1, d, ids, 4, &found) == 0 &&
	      found == 1 && ids[0] == 2);
	CHECK(vigil_exact_lookup(ex, VIGIL_SHA256, d, ids, 4, &found) == 0 &&
	      found == 0);
	memset(d, 0xab, 32);
	CHECK(vigil_exact_lookup(ex, VIGIL_SHA256, d, ids, 4, &found) == 0 &&
	      found == 1 && ids[0] == 3);
	CHECK(vigil_exact_remove(ex, VIGIL_SHA256, d, 2) == VIGIL_ENOENT);
	for (k = 0; k < 3; k++)
		CHECK(vigil_exact_remove(ex, (vigil_digest_algo)k, d, (uint64_t)k + 1) ==
		      0);
	CHECK(vigil_exact_size(ex) == 0);

	/* many digests, some with several ids, through growth */
	for (i = 0; i < ND; i++) {
		for (k = 0; k < 32; k += 8) {
			unsigned long long r = test_rand(&s);

			memcpy(dig[i] + k, &r, 8);
		}
		algo_of[i] = (int)(test_rand(&s) % 3);
		nid[i] = i % 10 == 0 ? 5 : 1;
		for (k = 0; k < nid[i]; k++)
			CHECK(vigil_exact_add(ex, algo_of[i], dig[i], i * 8 + k) == 0);
		CHECK(vigil_exact_add(ex, algo_of[i], dig[i], i * 8) == 0);
	}
	check_all(ex);
	CHECK(vigil_exact_lookup(ex, algo_of[0], dig[0], ids, 2, &found) == 0 &&
	      found == 5 && ids[0] == 0 && ids[1] == 1);
	/* remove: whole digests (probe runs shift back) and single ids */
	for (i = 0; i < ND; i++) {
		if (test_rand(&s) % 3)
			continue;
		if (nid[i] == 5) { /* a middle id out: the others keep order */
			uint64_t v[5];

			CHECK(vigil_exact_remove(ex, algo_of[i], dig[i], i * 8 + 2) == 0);
			CHECK(vigil_exact_remove(ex, algo_of[i], dig[i], i * 8 + 2) ==
			      VIGIL_ENOENT);
			CHECK(vigil_exact_lookup(ex, algo_of[i], dig[i], v, 5,
						 &found) == 0 && found == 4);
			CHECK(v[0] == i * 8 && v[1] == i * 8 + 1 &&
			      v[2] == i * 8 + 3 && v[3] == i * 8 + 4);
			for (k = 3; k <= 4; k++)
				CHECK(vigil_exact_remove(ex, algo_of[i], dig[i],
							 i * 8 + (size_t)k) == 0);
			nid[i] = 2;
			continue;
		}
		while (nid[i] > 0) {
			nid[i]--;
			CHECK(vigil_exact_remove(ex, algo_of[i], dig[i],
						 i * 8 + (size_t)nid[i]) == 0);
		}
	}
	check_all(ex);
	/* re-add everything */
	for (i = 0; i < ND; i++) {
		while (nid[i] < 5 && (i % 10 == 0 || nid[i] < 1)) {
			CHECK(vigil_exact_add(ex, algo_of[i], dig[i],
					      i * 8 + (size_t)nid[i]) == 0);
			nid[i]++;
		}
	}
	check_all(ex);
	vigil_exact_free(ex);
	vigil_ctx_free(ctx);
	return test_done("exact");
}
