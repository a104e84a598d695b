/* digest.h — incremental exact digests, for hashing a file as it is read. */
#ifndef VIGIL_HASH_DIGEST_H
#define VIGIL_HASH_DIGEST_H

#include "../core/core.h"

/* The digests selected by a mask of (1u << vigil_digest_algo) bits. */
typedef struct vigil__digests {
	void *md[VIGIL__DIGEST_END]; /* EVP_MD_CTX, or NULL if not selected */
	int failed;                  /* an update failed in libcrypto */
} vigil__digests;

int vigil__digests_init(vigil_ctx *ctx, vigil__digests *g, unsigned mask);
/* A vigil__tap_fn: user is the vigil__digests. */
void vigil__digests_update(void *user, const uint8_t *p, size_t n);
/* Writes each selected digest into out[algo]. */
int vigil__digests_final(vigil_ctx *ctx, vigil__digests *g,
			 uint8_t out[][VIGIL_DIGEST_MAX]);
void vigil__digests_free(vigil__digests *g);

#endif
