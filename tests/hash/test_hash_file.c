/* vigil_hash_file (one pass over a file: digests as it is read, PDQ decoded
 * from the file for JPEG and PNG) gives what hashing the file's bytes in
 * memory gives, for every format and for truncated copies, and sniffs the
 * format before reading the rest. */
#include "vigil.h"
#include "../test.h"

#include <limits.h>
#include <unistd.h>

static const char *const files[] = {
	"base.png", "base-interlaced.png", "base-rgba.png", "base16.png",
	"base-grey.jpg", "base-progressive.jpg", "base.webp",
	"base.gif", "base.tif", "base.bmp", "base.heic", "base.avif",
};

/* Hashes path both ways and compares; returns the file path's status. */
static int compare(vigil_ctx *ctx, const char *path, const uint8_t *d, size_t len,
		   int downsample)
{
	vigil_pdq_opts o = {downsample, 0};
	vigil_pdq h1, h2, dih1[8], dih2[8];
	uint8_t dig[VIGIL__DIGEST_END][VIGIL_DIGEST_MAX], want[VIGIL_DIGEST_MAX];
	int rc1, rc2, a;

	rc1 = vigil_hash_file(ctx, path, 7, dig, &o, &h1, dih1);
	rc2 = vigil_pdq_hash_memory(ctx, d, len, &o, &h2, dih2);
	CHECKF(rc1 == rc2, "%s: file %d, memory %d", path, rc1, rc2);
	if (rc1 || rc2)
		return rc1;
	CHECKF(!memcmp(&h1, &h2, sizeof(h1)) && !memcmp(dih1, dih2, sizeof(dih1)),
	       "%s: PDQ differs (downsample %d)", path, downsample);
	for (a = 0; a < VIGIL__DIGEST_END; a++) {
		CHECK(vigil_digest(ctx, (vigil_digest_algo)a, d, len, want) == 0);
		CHECKF(!memcmp(dig[a], want, vigil_digest_size((vigil_digest_algo)a)),
		       "%s: %s differs", path, vigil_digest_name((vigil_digest_algo)a));
	}
	return rc1;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/data";
	char path[PATH_MAX], tmp[] = "/tmp/vigil-hash-file-XXXXXX";
	vigil_ctx *ctx;
	size_t i;
	int fd;

	CHECK(vigil_ctx_new(&ctx) == 0);
	fd = mkstemp(tmp);
	CHECK(fd >= 0);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		uint8_t *d = NULL;
		size_t len = 0, cut;
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		CHECKF(vigil_read_file(ctx, path, &d, &len) == 0, "%s", path);
		CHECKF(compare(ctx, path, d, len, 0) == 0, "%s", path);
		CHECKF(compare(ctx, path, d, len, 512) == 0, "%s", path);
		/* Truncated copies fail (or not) the same way both ways. */
		for (cut = 1; cut < len; cut += len / 7 + 1) {
			CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, d, cut, 0) == (ssize_t)cut);
			compare(ctx, tmp, d, cut, 0);
		}
		free(d);
	}
	/* Digests alone read any file; PDQ refuses what is no image. */
	{
		uint8_t dig[VIGIL__DIGEST_END][VIGIL_DIGEST_MAX];
		vigil_pdq h;
		CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, "hello", 5, 0) == 5);
		CHECK(vigil_hash_file(ctx, tmp, 1, dig, NULL, NULL, NULL) == 0);
		CHECK(!memcmp(dig[0], "\x5d\x41\x40\x2a\xbc\x4b\x2a\x76\xb9\x71\x9d\x91\x10\x17\xc5\x92", 16));
		CHECK(vigil_hash_file(ctx, tmp, 1, dig, NULL, &h, NULL) == VIGIL_EFORMAT);
		CHECK(vigil_hash_file(ctx, dir, 1, dig, NULL, &h, NULL) == VIGIL_EINVAL);
	}
	close(fd);
	unlink(tmp);
	vigil_ctx_free(ctx);
	return test_done("hash_file");
}
