/* digest.c — MD5, SHA-1 and SHA-256 through OpenSSL's libcrypto (hotline hash
 * lists carry these). */
#include "digest.h"

#include <openssl/evp.h>
#include <string.h>

static const EVP_MD *md_of(vigil_digest_algo a)
{
	switch (a) {
	case VIGIL_MD5:
		return EVP_md5();
	case VIGIL_SHA1:
		return EVP_sha1();
	case VIGIL_SHA256:
		return EVP_sha256();
	default:
		return NULL;
	}
}

size_t vigil_digest_size(vigil_digest_algo a)
{
	static const size_t sizes[] = {16, 20, 32};

	return (unsigned)a < VIGIL__DIGEST_END ? sizes[a] : 0;
}

const char *vigil_digest_name(vigil_digest_algo a)
{
	static const char *const names[] = {"md5", "sha1", "sha256"};

	return (unsigned)a < VIGIL__DIGEST_END ? names[a] : "unknown";
}

int vigil_digest(vigil_ctx *ctx, vigil_digest_algo algo, const void *data,
		 size_t len, uint8_t out[VIGIL_DIGEST_MAX])
{
	const EVP_MD *md = md_of(algo);
	unsigned int n = 0;

	if (!md || (!data && len) || !out)
		return vigil__err(ctx, VIGIL_EINVAL, "digest: bad argument");
	if (!EVP_Digest(data, len, out, &n, md, NULL))
		return vigil__err(ctx, VIGIL_EINTERNAL, "digest: libcrypto failed");
	return VIGIL_OK;
}

int vigil__digests_init(vigil_ctx *ctx, vigil__digests *g, unsigned mask)
{
	int a;

	memset(g, 0, sizeof(*g));
	for (a = 0; a < VIGIL__DIGEST_END; a++) {
		if (!(mask & (1u << a)))
			continue;
		g->md[a] = EVP_MD_CTX_new();
		if (!g->md[a] || !EVP_DigestInit_ex(g->md[a], md_of(a), NULL)) {
			vigil__digests_free(g);
			return vigil__err(ctx, VIGIL_ENOMEM, "digest: out of memory");
		}
	}
	return VIGIL_OK;
}

void vigil__digests_update(void *user, const uint8_t *p, size_t n)
{
	vigil__digests *g = user;
	int a;

	for (a = 0; a < VIGIL__DIGEST_END; a++)
		if (g->md[a] && !EVP_DigestUpdate(g->md[a], p, n))
			g->failed = 1;
}

int vigil__digests_final(vigil_ctx *ctx, vigil__digests *g,
			 uint8_t out[][VIGIL_DIGEST_MAX])
{
	unsigned int n;
	int a;

	if (g->failed)
		return vigil__err(ctx, VIGIL_EINTERNAL, "digest: libcrypto failed");
	for (a = 0; a < VIGIL__DIGEST_END; a++)
		if (g->md[a] && !EVP_DigestFinal_ex(g->md[a], out[a], &n))
			return vigil__err(ctx, VIGIL_EINTERNAL,
					  "digest: libcrypto failed");
	return VIGIL_OK;
}

void vigil__digests_free(vigil__digests *g)
{
	int a;

	for (a = 0; a < VIGIL__DIGEST_END; a++) {
		EVP_MD_CTX_free(g->md[a]);
		g->md[a] = NULL;
	}
}
