/* Conformance with Meta's reference: every row of the two expected CSVs in
 * ../shared/vectors/pdq (hash_hex,quality,path) must come out identical, in
 * both flavours, through each of vigil's three paths: streaming from the
 * encoded file, hashing a decoded image, and the plain reference filters. */
#include "vigil.h"
#include "../../src/hash/pdq.h"
#include "../../src/media/image.h"
#include "../test.h"

#include <limits.h>

static char dir[PATH_MAX];

/* The reference filters over a whole decoded image (512 sampling done here
 * independently of pdq_hash.c, from the CImg rule floor(x * W / 512)). */
static int ref_hash(vigil_ctx *ctx, const vigil_image *img, int down,
		    vigil_pdq *out)
{
	int w = img->width, h = img->height, rows = h, cols = w, x, y, rc;
	float *luma;

	if (down && (w > 512 || h > 512))
		rows = cols = 512;
	else
		down = 0;
	luma = malloc(sizeof(float) * (size_t)rows * cols);
	if (!luma)
		return VIGIL_ENOMEM;
	for (y = 0; y < rows; y++)
		for (x = 0; x < cols; x++) {
			int sy = down ? (int)((long)y * h / 512) : y;
			int sx = down ? (int)((long)x * w / 512) : x;
			const uint8_t *p = vigil_image_row(img, sy) + (size_t)sx * img->channels;
			luma[(size_t)y * cols + x] = img->channels == 3
				? vigil__luma(p[0], p[1], p[2]) : (float)p[0];
		}
	rc = vigil__pdq_from_luma_ref(ctx, luma, rows, cols, out, NULL);
	free(luma);
	return rc;
}

static int run_csv(vigil_ctx *ctx, const char *csv, int down)
{
	char path[PATH_MAX + 1024], line[1024], hex[65];
	FILE *f;
	int rows = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, csv);
	f = fopen(path, "r");
	CHECKF(f != NULL, "cannot open %s", path);
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char want[65], file[512];
		int q;
		vigil_pdq got, got2, got3;
		vigil_pdq_opts opts = {down, 0};
		vigil_image *img = NULL;

		if (sscanf(line, "%64[0-9a-f],%d,%511[^\r\n]", want, &q, file) != 3)
			continue;
		rows++;
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		CHECKF(vigil_pdq_hash_file(ctx, path, &opts, &got, NULL) == 0,
		       "%s: %s", file, vigil_errmsg(ctx));
		vigil_pdq_to_hex(&got, hex);
		CHECKF(strcmp(hex, want) == 0 && got.quality == q,
		       "%s (%s): got %s,%d want %s,%d", file, csv, hex, got.quality,
		       want, q);
		CHECKF(vigil_image_load(ctx, path, &img) == 0, "%s", file);
		if (!img)
			continue;
		CHECK(vigil_pdq_hash_image(ctx, img, &opts, &got2, NULL) == 0);
		CHECKF(memcmp(&got, &got2, sizeof(got)) == 0, "%s: image path", file);
		CHECK(ref_hash(ctx, img, down, &got3) == 0);
		vigil_pdq_to_hex(&got3, hex);
		CHECKF(strcmp(hex, want) == 0 && got3.quality == q,
		       "%s: reference filters give %s,%d", file, hex, got3.quality);
		vigil_image_free(img);
	}
	fclose(f);
	return rows;
}

int main(int argc, char **argv)
{
	vigil_ctx *ctx;

	snprintf(dir, sizeof(dir), "%s", argc > 1 ? argv[1] : "../shared/vectors/pdq");
	CHECK(vigil_ctx_new(&ctx) == 0);
	CHECKF(run_csv(ctx, "expected-reference-cpp-fullsize.csv", 0) == 49,
	       "expected 49 full-size rows");
	CHECKF(run_csv(ctx, "expected-reference-cpp.csv", 512) == 49,
	       "expected 49 512-flavour rows");
	vigil_ctx_free(ctx);
	return test_done("pdq_vectors");
}
