/* Fault injection: fail the library's Nth allocation, for every N, at each
 * entry point; each call must return VIGIL_ENOMEM (or succeed) and leak
 * nothing (LeakSanitizer in the ASan run). */
#include "vigil.h"
#include "../../src/core/core.h"
#include "../test.h"

#include <limits.h>

static void loop(const char *dir, const char *name)
{
	char path[PATH_MAX];
	uint8_t *d = NULL;
	size_t len = 0;
	vigil_ctx *ctx;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CHECK(vigil_ctx_new(&ctx) == 0);
	CHECKF(vigil_read_file(ctx, path, &d, &len) == 0, "%s", path);
	for (n = 0; n < 10000; n++) {
		vigil_pdq h, dih[8];
		vigil_image *img = NULL;
		uint8_t dig[VIGIL__DIGEST_END][VIGIL_DIGEST_MAX];
		int rc1, rc2, rc3;
		long used;

		vigil__fault_after(n);
		rc1 = vigil_pdq_hash_memory(ctx, d, len, NULL, &h, dih);
		rc2 = vigil_image_decode(ctx, d, len, &img);
		rc3 = vigil_hash_file(ctx, path, 7, dig, NULL, &h, dih);
		used = vigil__fault_after(-1);
		CHECKF(rc3 == VIGIL_OK || rc3 == VIGIL_ENOMEM, "%s n=%ld rc=%d", name, n, rc3);
		CHECKF(rc1 == VIGIL_OK || rc1 == VIGIL_ENOMEM, "%s n=%ld rc=%d", name, n, rc1);
		CHECKF(rc2 == VIGIL_OK || rc2 == VIGIL_ENOMEM, "%s n=%ld rc=%d", name, n, rc2);
		CHECK((rc2 == VIGIL_OK) == (img != NULL));
		vigil_image_free(img);
		if (rc1 == VIGIL_OK && rc2 == VIGIL_OK && rc3 == VIGIL_OK && used <= n)
			break;
	}
	CHECKF(n < 10000, "%s never succeeded", name);
	free(d);
	vigil_ctx_free(ctx);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/data";

	loop(dir, "base.png");
	loop(dir, "base-interlaced.png");
	loop(dir, "base-progressive.jpg");
	loop(dir, "base.webp");
	loop(dir, "base.gif");
	loop(dir, "base.tif");
	loop(dir, "base.bmp");
	loop(dir, "base.heic");
	return test_done("oom");
}
