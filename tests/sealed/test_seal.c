/* test_seal.c — sealed items: round trips (empty, one byte, chunk edges,
 * several chunks), a wrong master key, every kind of damage (a flipped bit
 * in each region, a truncation at every chunk boundary and inside, bytes
 * appended, chunks swapped), the key file checks, and out of memory. */
#include "../test.h"
#include "../../src/core/core.h"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

static uint8_t K[32], K2[32];

static uint8_t *pattern(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131 + (i >> 8));
	return p;
}

static int opens(const uint8_t *blob, size_t len, const uint8_t *key)
{
	uint8_t *out = (uint8_t *)1;
	size_t n = 7;
	int rc = vigil_unseal(NULL, key, blob, len, &out, &n);

	if (!rc)
		free(out);
	else
		CHECK(out == NULL && n == 0);
	return rc;
}

static void round_trip(size_t n)
{
	uint8_t *p = pattern(n), *blob = NULL, *out = NULL;
	size_t bl = 0, ol = 0;
	int rc = vigil_seal(NULL, K, p, n, &blob, &bl);

	CHECKF(rc == 0, "seal %zu: %d", n, rc);
	CHECK(bl <= VIGIL_SEAL_OVERHEAD_MAX(n) + n);
	rc = vigil_unseal(NULL, K, blob, bl, &out, &ol);
	CHECKF(rc == 0 && ol == n && (!n || !memcmp(out, p, n)), "round trip %zu: %d", n, rc);
	/* The plaintext is not in the blob (a 16-byte window of it). */
	if (n >= 64)
		CHECK(!memmem(blob, bl, p + 32, 16));
	CHECKF(opens(blob, bl, K2) == VIGIL_ECORRUPT, "wrong key opens %zu", n);
	free(blob);
	free(out);
	free(p);
}

int main(void)
{
	static const size_t sizes[] = { 0, 1, 100, VIGIL_SEAL_CHUNK - 1, VIGIL_SEAL_CHUNK,
					VIGIL_SEAL_CHUNK + 1, 3 * VIGIL_SEAL_CHUNK + 5 };
	const size_t n = 2 * VIGIL_SEAL_CHUNK + 1000, chunk = VIGIL_SEAL_CHUNK + 17;
	const size_t body = VIGIL_SEAL_KEY_END + 24;
	uint8_t *p, *blob, *copy, *out;
	size_t bl, i, ol, cut;
	char path[] = "/tmp/vigil-keyXXXXXX";
	int fd;
	FILE *f;

	if (sodium_init() < 0)
		return 1;
	randombytes_buf(K, sizeof(K));
	memcpy(K2, K, sizeof(K));
	K2[31] ^= 1;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		round_trip(sizes[i]);

	/* Two seals of the same bytes differ (fresh key and nonce). */
	p = pattern(n);
	CHECK(vigil_seal(NULL, K, p, n, &blob, &bl) == 0);
	CHECK(vigil_seal(NULL, K, p, n, &copy, &ol) == 0 && ol == bl && memcmp(copy, blob, bl));
	free(copy);
	CHECK(bl == body + 3 * 17 + n);

	/* A flipped bit anywhere is refused: magic, nonce, wrapped key,
	 * stream header, each chunk, the last byte. */
	copy = malloc(bl);
	for (i = 0; i < bl; i += (i < body ? 1 : 997)) {
		memcpy(copy, blob, bl);
		copy[i] ^= 0x10;
		CHECKF(opens(copy, bl, K) == VIGIL_ECORRUPT, "flip at %zu opened", i);
	}
	memcpy(copy, blob, bl);
	copy[bl - 1] ^= 1;
	CHECK(opens(copy, bl, K) == VIGIL_ECORRUPT);

	/* Truncated: at each chunk boundary (no FINAL tag), inside a chunk,
	 * before the header. */
	for (cut = 0; cut < 3; cut++)
		CHECKF(opens(blob, body + cut * chunk, K) == VIGIL_ECORRUPT, "cut %zu", cut);
	CHECK(opens(blob, bl - 1, K) == VIGIL_ECORRUPT);
	CHECK(opens(blob, VIGIL_SEAL_KEY_END + 3, K) == VIGIL_ECORRUPT);
	CHECK(opens(blob, 0, K) == VIGIL_ECORRUPT);
	/* Extended. */
	copy = realloc(copy, bl + 1);
	memcpy(copy, blob, bl);
	copy[bl] = 0;
	CHECK(opens(copy, bl + 1, K) == VIGIL_ECORRUPT);
	/* The first two chunks swapped. */
	memcpy(copy, blob, bl);
	memcpy(copy + body, blob + body + chunk, chunk);
	memcpy(copy + body + chunk, blob + body, chunk);
	CHECK(opens(copy, bl, K) == VIGIL_ECORRUPT);
	/* The wrapped key destroyed: gone for good. */
	memcpy(copy, blob, bl);
	memset(copy, 0, VIGIL_SEAL_KEY_END);
	CHECK(opens(copy, bl, K) == VIGIL_ECORRUPT);
	free(copy);

	/* Out of memory: every allocation failing in turn, never a leak or a
	 * half result. */
	for (long k = 0;; k++) {
		int rc;
		out = NULL;
		vigil__fault_after(k);
		rc = vigil_unseal(NULL, K, blob, bl, &out, &ol);
		vigil__fault_after(-1);
		if (!rc) {
			CHECK(ol == n && !memcmp(out, p, n));
			free(out);
			break;
		}
		CHECK(rc == VIGIL_ENOMEM && !out);
	}
	free(blob);
	free(p);

	/* Key files. */
	fd = mkstemp(path);
	close(fd);
	unlink(path);
	CHECK(vigil_master_key_create(NULL, path) == 0);
	CHECK(vigil_master_key_create(NULL, path) == VIGIL_EEXIST);
	{
		uint8_t a[32], b[32];
		struct stat sb;
		CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
		CHECK(vigil_master_key_load(NULL, path, a) == 0);
		chmod(path, 0644);
		CHECK(vigil_master_key_load(NULL, path, b) == VIGIL_EINVAL);
		chmod(path, 0600);
		f = fopen(path, "w");
		fputs("abc\n", f);
		fclose(f);
		CHECK(vigil_master_key_load(NULL, path, b) == VIGIL_EFORMAT);
		f = fopen(path, "wb");
		fwrite(K, 1, 32, f);
		fclose(f);
		CHECK(vigil_master_key_load(NULL, path, b) == 0 && !memcmp(b, K, 32));
		CHECK(vigil_master_key_load(NULL, "/nonexistent/key", b) == VIGIL_EIO);
	}
	unlink(path);
	return test_done("sealed/seal");
}
