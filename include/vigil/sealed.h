/* vigil/sealed.h — content kept for review (and, later, evidence) is
 * sealed: encrypted at rest with a data key of its own, which is wrapped by
 * the master key of the service (part of vigil.h; do not include
 * directly).
 *
 * A sealed item is one blob:
 *   "VGS1"                                   4 bytes, the format
 *   nonce                                    24 bytes
 *   wrapped data key                         32 + 16 bytes: XChaCha20-
 *                                            Poly1305 (libsodium's AEAD)
 *                                            under the master key, with
 *                                            "VGS1" as associated data
 *   secretstream header                      24 bytes
 *   chunks                                   crypto_secretstream_xchacha20-
 *                                            poly1305 under the data key:
 *                                            each VIGIL_SEAL_CHUNK bytes of
 *                                            plaintext (the last shorter,
 *                                            tagged FINAL) + 17 bytes
 * The first VIGIL_SEAL_KEY_END bytes hold the wrapped key: overwriting them
 * (or deleting them, if kept apart) destroys the item, whatever copies of
 * the rest exist. Unsealing checks every chunk's tag and the FINAL tag, so
 * a changed, reordered, truncated or extended blob is refused (ECORRUPT),
 * and so is a blob under another master key. */
#ifndef VIGIL_SEALED_H
#define VIGIL_SEALED_H

#define VIGIL_MASTER_KEY_BYTES 32
#define VIGIL_SEAL_CHUNK 65536
#define VIGIL_SEAL_KEY_END (4 + 24 + 32 + 16) /* end of the wrapped key */
#define VIGIL_SEAL_OVERHEAD_MAX(n) \
	(VIGIL_SEAL_KEY_END + 24 + ((n) / VIGIL_SEAL_CHUNK + 1) * 17)

/* Reads a master key file: 64 hex digits (a trailing newline allowed) or
 * 32 raw bytes. Refused (VIGIL_EINVAL) if the file can be read or written
 * by group or others, so a key left world-readable is noticed; VIGIL_EIO if
 * it cannot be read; VIGIL_EFORMAT if it is neither form. */
int vigil_master_key_load(vigil_ctx *ctx, const char *path,
			  uint8_t key[VIGIL_MASTER_KEY_BYTES]);
/* Writes a new random key (hex) to path, created 0600; VIGIL_EEXIST if the
 * file exists. */
int vigil_master_key_create(vigil_ctx *ctx, const char *path);

/* Seals data[0..len) (len may be 0) under a fresh data key. *out (malloc'd,
 * owned by the caller: free()) gets the blob, *outlen its length. */
int vigil_seal(vigil_ctx *ctx, const uint8_t master[VIGIL_MASTER_KEY_BYTES],
	       const void *data, size_t len, uint8_t **out, size_t *outlen);
/* Opens a blob: *out (malloc'd, owned by the caller: free(), and wipe it if
 * it matters) gets the plaintext. VIGIL_ECORRUPT for a wrong key, a change
 * or a truncation, with nothing returned. */
int vigil_unseal(vigil_ctx *ctx, const uint8_t master[VIGIL_MASTER_KEY_BYTES],
		 const uint8_t *blob, size_t len, uint8_t **out, size_t *outlen);

#endif
