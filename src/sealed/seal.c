/* seal.c — sealed items (vigil/sealed.h) with libsodium: a random data key
 * per item, wrapped by the master key with XChaCha20-Poly1305, and the
 * content in secretstream chunks, so a long item is never held twice in
 * memory as one AEAD message would need and a truncation is detected by
 * the missing FINAL tag. */
#include "../core/core.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t magic[4] = { 'V', 'G', 'S', '1' };
#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define WRAPPED (crypto_secretstream_xchacha20poly1305_KEYBYTES + \
		 crypto_aead_xchacha20poly1305_ietf_ABYTES)
#define HDR crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES

_Static_assert(4 + NONCE + WRAPPED == VIGIL_SEAL_KEY_END, "key layout");
_Static_assert(ABYTES == 17, "chunk overhead");

static int ready(vigil_ctx *ctx)
{
	if (sodium_init() < 0)
		return vigil__err(ctx, VIGIL_EINTERNAL, "libsodium did not initialise");
	return VIGIL_OK;
}

int vigil_master_key_load(vigil_ctx *ctx, const char *path,
			  uint8_t key[VIGIL_MASTER_KEY_BYTES])
{
	char buf[130];
	struct stat sb;
	size_t n, hexlen;
	int fd, rc = VIGIL_OK;
	ssize_t got;

	if (!path || !key)
		return VIGIL_EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vigil__err(ctx, VIGIL_EIO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return vigil__err(ctx, VIGIL_EIO, "%s: not a regular file", path);
	}
	if (sb.st_mode & 077) {
		close(fd);
		return vigil__err(ctx, VIGIL_EINVAL,
				  "%s: group or others may read it (chmod 600)", path);
	}
	n = 0;
	while (n < sizeof(buf) && (got = read(fd, buf + n, sizeof(buf) - n)) > 0)
		n += (size_t)got;
	close(fd);
	if (n == VIGIL_MASTER_KEY_BYTES) {
		memcpy(key, buf, n);
		goto out;
	}
	hexlen = n;
	while (hexlen && (buf[hexlen - 1] == '\n' || buf[hexlen - 1] == '\r'))
		hexlen--;
	if (hexlen != 2 * VIGIL_MASTER_KEY_BYTES) {
		rc = vigil__err(ctx, VIGIL_EFORMAT,
				"%s: a master key is 64 hex digits or 32 bytes", path);
		goto out;
	}
	buf[hexlen] = '\0';
	if (vigil_unhex(buf, key, VIGIL_MASTER_KEY_BYTES))
		rc = vigil__err(ctx, VIGIL_EFORMAT, "%s: not hex", path);
out:
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

int vigil_master_key_create(vigil_ctx *ctx, const char *path)
{
	uint8_t key[VIGIL_MASTER_KEY_BYTES];
	char hex[2 * VIGIL_MASTER_KEY_BYTES + 2];
	int fd, rc = ready(ctx);
	size_t len;

	if (rc)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return vigil__err(ctx, errno == EEXIST ? VIGIL_EEXIST : VIGIL_EIO, "%s: %s",
				  path, strerror(errno));
	randombytes_buf(key, sizeof(key));
	vigil_hex(key, sizeof(key), hex);
	len = strlen(hex);
	hex[len++] = '\n';
	if (write(fd, hex, len) != (ssize_t)len || fsync(fd))
		rc = vigil__err(ctx, VIGIL_EIO, "%s: %s", path, strerror(errno));
	if (close(fd) && !rc)
		rc = vigil__err(ctx, VIGIL_EIO, "%s: %s", path, strerror(errno));
	sodium_memzero(key, sizeof(key));
	sodium_memzero(hex, sizeof(hex));
	return rc;
}

int vigil_seal(vigil_ctx *ctx, const uint8_t master[VIGIL_MASTER_KEY_BYTES],
	       const void *data, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t dk[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	crypto_secretstream_xchacha20poly1305_state s;
	const uint8_t *p = data;
	uint8_t *blob, *w;
	size_t cap, off = 0;
	int rc = ready(ctx);

	if (rc)
		return rc;
	if (!master || !out || !outlen || (!data && len))
		return VIGIL_EINVAL;
	*out = NULL;
	*outlen = 0;
	if (len > SIZE_MAX / 2)
		return vigil__err(ctx, VIGIL_ETOOBIG, "seal: too large");
	cap = VIGIL_SEAL_OVERHEAD_MAX(len) + len;
	blob = vigil__malloc(cap);
	if (!blob)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	crypto_secretstream_xchacha20poly1305_keygen(dk);
	memcpy(blob, magic, 4);
	randombytes_buf(blob + 4, NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(blob + 4 + NONCE, NULL, dk, sizeof(dk),
						   magic, 4, NULL, blob + 4, master);
	w = blob + VIGIL_SEAL_KEY_END;
	crypto_secretstream_xchacha20poly1305_init_push(&s, w, dk);
	w += HDR;
	/* At least one chunk, so an empty item still ends with FINAL. */
	do {
		size_t n = len - off < VIGIL_SEAL_CHUNK ? len - off : VIGIL_SEAL_CHUNK;
		unsigned char tag = off + n == len ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
						   : 0;
		unsigned long long clen;
		crypto_secretstream_xchacha20poly1305_push(&s, w, &clen, p + off, n, NULL, 0,
							   tag);
		w += clen;
		off += n;
	} while (off < len);
	sodium_memzero(dk, sizeof(dk));
	sodium_memzero(&s, sizeof(s));
	*out = blob;
	*outlen = (size_t)(w - blob);
	return VIGIL_OK;
}

int vigil_unseal(vigil_ctx *ctx, const uint8_t master[VIGIL_MASTER_KEY_BYTES],
		 const uint8_t *blob, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t dk[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	crypto_secretstream_xchacha20poly1305_state s;
	uint8_t *plain = NULL;
	size_t off, got = 0;
	unsigned char tag = 0;
	int rc = ready(ctx);

	if (rc)
		return rc;
	if (!master || !out || !outlen || (!blob && len))
		return VIGIL_EINVAL;
	*out = NULL;
	*outlen = 0;
	if (len < VIGIL_SEAL_KEY_END + HDR + ABYTES || memcmp(blob, magic, 4))
		return vigil__err(ctx, VIGIL_ECORRUPT, "sealed item: truncated or not sealed");
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(dk, NULL, NULL, blob + 4 + NONCE,
						       WRAPPED, magic, 4, blob + 4, master))
		return vigil__err(ctx, VIGIL_ECORRUPT,
				  "sealed item: wrong master key or its key was changed");
	off = VIGIL_SEAL_KEY_END;
	if (crypto_secretstream_xchacha20poly1305_init_pull(&s, blob + off, dk)) {
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "sealed item: bad header");
		goto out;
	}
	off += HDR;
	/* The plaintext is never longer than the ciphertext. */
	plain = vigil__malloc(len - off + 1);
	if (!plain) {
		rc = vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	while (off < len && tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
		size_t c = len - off < VIGIL_SEAL_CHUNK + ABYTES ? len - off
								 : VIGIL_SEAL_CHUNK + ABYTES;
		unsigned long long m;
		if (crypto_secretstream_xchacha20poly1305_pull(&s, plain + got, &m, &tag,
							       blob + off, c, NULL, 0)) {
			rc = vigil__err(ctx, VIGIL_ECORRUPT,
					"sealed item: changed at byte %zu", off);
			goto out;
		}
		got += (size_t)m;
		off += c;
	}
	if (tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL)
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "sealed item: truncated");
	else if (off != len)
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "sealed item: bytes after its end");
out:
	sodium_memzero(dk, sizeof(dk));
	sodium_memzero(&s, sizeof(s));
	if (rc) {
		if (plain) {
			sodium_memzero(plain, got);
			vigil__free(plain);
		}
		return rc;
	}
	*out = plain;
	*outlen = got;
	return VIGIL_OK;
}
