/* fuzz_image — decode + PDQ (both flavours, with dihedrals) of arbitrary
 * bytes. Every decoder is reachable: the sniffers pick by magic bytes. */
#include "vigil.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static vigil_ctx *ctx;
	vigil_pdq h, dih[8];
	vigil_pdq_opts o512 = {512, 0};
	vigil_image *img = NULL;

	if (!ctx) {
		if (vigil_ctx_new(&ctx))
			abort();
		/* Keep each input cheap: small images find the same bugs. */
		vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_PIXELS, 4 << 20);
		vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_SIDE, 8192);
	}
	if (vigil_pdq_hash_memory(ctx, data, size, NULL, &h, dih) == VIGIL_OK &&
	    (h.quality < 0 || h.quality > 100))
		abort();
	vigil_pdq_hash_memory(ctx, data, size, &o512, &h, NULL);
	if (vigil_image_decode(ctx, data, size, &img) == VIGIL_OK) {
		vigil_pdq a, b;
		/* The two hashing paths must agree on what decodes. */
		if (vigil_pdq_hash_image(ctx, img, NULL, &a, NULL) != VIGIL_OK ||
		    vigil_pdq_hash_memory(ctx, data, size, NULL, &b, NULL) != VIGIL_OK ||
		    vigil_pdq_distance(&a, &b) != 0)
			abort();
	}
	vigil_image_free(img);
	return 0;
}
