/* sealed_columns.c — the store's column sealing (vigil_store_set_seal_key): the
 * working copies of what a report sends (the report XML, each fileDetails,
 * NCMEC's answers) and a case's contexts (the user, every upload's IP, port
 * and time) are written as "vs1:" + base64(nonce || XChaCha20-Poly1305
 * ciphertext) under a subkey of the master key, so that they are not at
 * rest in the clear. The column's name is the associated data: a sealed
 * value moved into another column does not open. Text without the prefix
 * is a row written before sealing (or without a key) and reads as it is;
 * the next write of it seals it. Both backends go through here: the
 * report code seals and opens around the report ops, the case code around
 * case_get/case_list, and case_open merges through vigil__ctx_merge. */
#include "store.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "vs1:"
#define PREFIX_LEN 4
#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define B64 sodium_base64_VARIANT_ORIGINAL

int vigil_store_set_seal_key(vigil_store *st, const uint8_t master[32])
{
	if (!st)
		return VIGIL_EINVAL;
	if (!master) {
		sodium_memzero(st->seal, sizeof(st->seal));
		st->sealing = 0;
		return VIGIL_OK;
	}
	if (sodium_init() < 0)
		return vigil__err(st->ctx, VIGIL_EINTERNAL, "libsodium did not start");
	/* A subkey of its own, so these columns never share a key (or a
	 * nonce space) with the sealed store or the evidence items. */
	crypto_kdf_derive_from_key(st->seal, sizeof(st->seal), 1, "vgstore1", master);
	st->sealing = 1;
	return VIGIL_OK;
}

int vigil_store_sealing(const vigil_store *st)
{
	return st && st->sealing;
}

int vigil__is_sealed(const char *text)
{
	return text && !strncmp(text, PREFIX, PREFIX_LEN);
}

int vigil__seal_text(vigil_store *st, const char *column, const char *clear, char **out)
{
	size_t n, blen, b64cap;
	uint8_t *blob = NULL;
	char *res = NULL;

	*out = NULL;
	if (!clear)
		return VIGIL_OK;
	n = strlen(clear);
	if (!st->sealing) {
		res = malloc(n + 1);
		if (!res)
			return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		memcpy(res, clear, n + 1);
		*out = res;
		return VIGIL_OK;
	}
	blen = NONCE + n + TAG;
	b64cap = sodium_base64_ENCODED_LEN(blen, B64);
	blob = malloc(blen);
	res = malloc(PREFIX_LEN + b64cap);
	if (!blob || !res) {
		free(blob);
		free(res);
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	}
	randombytes_buf(blob, NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(blob + NONCE, NULL, (const uint8_t *)clear,
						   n, (const uint8_t *)column, strlen(column),
						   NULL, blob, st->seal);
	memcpy(res, PREFIX, PREFIX_LEN);
	sodium_bin2base64(res + PREFIX_LEN, b64cap, blob, blen, B64);
	free(blob);
	*out = res;
	return VIGIL_OK;
}

int vigil__open_text(vigil_store *st, const char *column, char **field, int soft)
{
	const char *t = *field, *b64;
	size_t b64len, cap, blen, n;
	uint8_t *blob = NULL;
	char *clear = NULL;
	unsigned long long clen;
	int rc = VIGIL_OK;

	if (!vigil__is_sealed(t))
		return VIGIL_OK;
	if (!st->sealing) {
		if (soft) {
			vigil__free(*field);
			*field = NULL;
			return VIGIL_OK;
		}
		return vigil__err(st->ctx, VIGIL_EINVAL,
				  "%s is sealed: the store's seal key is not set "
				  "(master_key_file)", column);
	}
	b64 = t + PREFIX_LEN;
	b64len = strlen(b64);
	cap = b64len / 4 * 3 + 3;
	blob = malloc(cap);
	if (!blob)
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	if (sodium_base642bin(blob, cap, b64, b64len, NULL, &blen, NULL, B64) ||
	    blen < NONCE + TAG) {
		rc = vigil__err(st->ctx, VIGIL_ECORRUPT, "%s: sealed value is malformed", column);
		goto out;
	}
	n = blen - NONCE - TAG;
	clear = vigil__malloc(n + 1);
	if (!clear) {
		rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((uint8_t *)clear, &clen, NULL,
						       blob + NONCE, blen - NONCE,
						       (const uint8_t *)column, strlen(column),
						       blob, st->seal)) {
		rc = vigil__err(st->ctx, VIGIL_ECORRUPT,
				"%s does not open: another master key, or changed", column);
		vigil__free(clear);
		goto out;
	}
	clear[clen] = '\0';
	vigil__free(*field);
	*field = clear;
out:
	free(blob);
	return rc;
}

int vigil__ctx_merge(vigil_store *st, const char *stored, const char *add, char **out)
{
	char *old = NULL, *merged = NULL;
	int rc;

	*out = NULL;
	if (stored) {
		old = vigil__malloc(strlen(stored) + 1);
		if (!old)
			return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		strcpy(old, stored);
		rc = vigil__open_text(st, "cases.contexts", &old, 0);
		if (rc)
			goto out;
	}
	merged = vigil__json_concat(old ? old : "[]", add ? add : "[]");
	if (!merged) {
		rc = vigil__err(st->ctx, VIGIL_EINVAL, "case: context is not valid JSON");
		goto out;
	}
	if (strlen(merged) > VIGIL_CASE_JSON_MAX) {
		rc = vigil__err(st->ctx, VIGIL_ETOOBIG, "case: too many joined uploads");
		goto out;
	}
	rc = vigil__seal_text(st, "cases.contexts", merged, out);
out:
	if (old)
		sodium_memzero(old, strlen(old));
	vigil__free(old);
	if (merged)
		sodium_memzero(merged, strlen(merged));
	free(merged);
	return rc;
}
