/* Decoders: every format decodes to the same picture as the PNG it was made
 * from (exactly where the format is lossless); damaged, truncated, empty and
 * oversized inputs give a status code, never a crash; limits are enforced
 * from the header, before the pixels are allocated. */
#include "vigil.h"
#include "../test.h"

#include <limits.h>
#include <zlib.h>

static const char *dir;

static uint8_t *slurp(const char *name, size_t *len)
{
	char path[PATH_MAX];
	uint8_t *d = NULL;
	vigil_ctx *ctx;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	vigil_ctx_new(&ctx);
	CHECKF(vigil_read_file(ctx, path, &d, len) == 0, "%s", path);
	vigil_ctx_free(ctx);
	return d;
}

/* Mean absolute difference per sample between two images of one size. */
static double mad(const vigil_image *a, const vigil_image *b)
{
	int w = vigil_image_width(a), h = vigil_image_height(a), x, y, c;
	double sum = 0;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			for (c = 0; c < 3; c++) {
				int ca = vigil_image_channels(a) == 3 ? c : 0;
				int cb = vigil_image_channels(b) == 3 ? c : 0;
				sum += abs(vigil_image_row(a, y)[x * vigil_image_channels(a) + ca] -
					   vigil_image_row(b, y)[x * vigil_image_channels(b) + cb]);
			}
	return sum / ((double)w * h * 3);
}

static void same_picture(vigil_ctx *ctx, const vigil_image *ref, const char *name,
			 const char *fmt, int channels, double max_mad)
{
	vigil_image *img = NULL;
	char path[PATH_MAX];
	double m;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CHECKF(vigil_image_load(ctx, path, &img) == 0, "%s: %s", name, vigil_errmsg(ctx));
	if (!img)
		return;
	CHECKF(strcmp(vigil_image_format(img), fmt) == 0, "%s: format %s", name,
	       vigil_image_format(img));
	CHECK(vigil_image_width(img) == 320 && vigil_image_height(img) == 200);
	CHECKF(vigil_image_channels(img) == channels, "%s: %d channels", name,
	       vigil_image_channels(img));
	m = mad(ref, img);
	CHECKF(m <= max_mad, "%s: mean abs diff %.3f > %.3f", name, m, max_mad);
	vigil_image_free(img);
}

/* Every prefix shorter than half the file must fail cleanly; random byte
 * damage must never crash (run under ASan/UBSan in `make check`). */
static void damage(vigil_ctx *ctx, const char *name)
{
	size_t len, cut;
	uint8_t *d = slurp(name, &len), *copy;
	vigil_image *img = NULL;
	vigil_pdq h;
	unsigned long long seed = 12345;
	int i, rc;

	if (!d)
		return;
	for (cut = 0; cut < len / 2; cut += 1 + cut / 3) {
		rc = vigil_image_decode(ctx, d, cut, &img);
		CHECKF(rc != VIGIL_OK && img == NULL, "%s cut at %zu decoded", name, cut);
		vigil_image_free(img);
		img = NULL;
		rc = vigil_pdq_hash_memory(ctx, d, cut, NULL, &h, NULL);
		CHECKF(rc != VIGIL_OK, "%s cut at %zu hashed", name, cut);
		CHECK(*vigil_errmsg(ctx) != '\0');
	}
	copy = malloc(len);
	for (i = 0; i < 60; i++) {
		int k, flips = 1 + (int)(test_rand(&seed) % 8);
		memcpy(copy, d, len);
		for (k = 0; k < flips; k++)
			copy[test_rand(&seed) % len] ^= (uint8_t)(1 + test_rand(&seed) % 255);
		rc = vigil_pdq_hash_memory(ctx, copy, len, NULL, &h, NULL);
		CHECK(rc == VIGIL_OK || rc == VIGIL_ECORRUPT || rc == VIGIL_EFORMAT ||
		      rc == VIGIL_ETOOBIG);
	}
	free(copy);
	free(d);
}

static void png_fix_ihdr(uint8_t *d, uint32_t w, uint32_t h)
{
	uint32_t crc;
	int i;

	for (i = 0; i < 4; i++) {
		d[16 + i] = (uint8_t)(w >> (24 - 8 * i));
		d[20 + i] = (uint8_t)(h >> (24 - 8 * i));
	}
	crc = (uint32_t)crc32(0, d + 12, 17);
	for (i = 0; i < 4; i++)
		d[29 + i] = (uint8_t)(crc >> (24 - 8 * i));
}

static void limits(vigil_ctx *ctx)
{
	size_t len;
	uint8_t *d = slurp("base.png", &len);
	vigil_image *img = NULL;
	vigil_pdq h;

	if (!d)
		return;
	/* A header claiming 60000 x 60000 pixels: refused from the header. */
	png_fix_ihdr(d, 60000, 60000);
	CHECK(vigil_image_decode(ctx, d, len, &img) == VIGIL_ETOOBIG);
	CHECK(strstr(vigil_errmsg(ctx), "exceeds") != NULL);
	CHECK(vigil_pdq_hash_memory(ctx, d, len, NULL, &h, NULL) == VIGIL_ETOOBIG);
	png_fix_ihdr(d, 320, 200);
	CHECK(vigil_pdq_hash_memory(ctx, d, len, NULL, &h, NULL) == VIGIL_OK);
	vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_PIXELS, 320 * 200 - 1);
	CHECK(vigil_pdq_hash_memory(ctx, d, len, NULL, &h, NULL) == VIGIL_ETOOBIG);
	vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_PIXELS, VIGIL_DEFAULT_MAX_PIXELS);
	vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_SIDE, 319);
	CHECK(vigil_pdq_hash_memory(ctx, d, len, NULL, &h, NULL) == VIGIL_ETOOBIG);
	vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_SIDE, VIGIL_DEFAULT_MAX_SIDE);
	vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_BYTES, (int64_t)len - 1);
	CHECK(vigil_pdq_hash_memory(ctx, d, len, NULL, &h, NULL) == VIGIL_ETOOBIG);
	vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_BYTES, VIGIL_DEFAULT_MAX_BYTES);
	free(d);
}

int main(int argc, char **argv)
{
	static const char *const all[] = {
		"base.png", "base-interlaced.png", "base16.png", "base-rgba.png",
		"base.bmp", "base.tif", "base.gif", "base-progressive.jpg",
		"base-grey.jpg", "base.webp", "base.heic", "base.avif"};
	vigil_ctx *ctx;
	vigil_image *ref = NULL, *img = NULL;
	vigil_pdq h;
	char path[PATH_MAX];
	size_t i;

	dir = argc > 1 ? argv[1] : "tests/data";
	CHECK(vigil_ctx_new(&ctx) == 0);
	snprintf(path, sizeof(path), "%s/base.png", dir);
	CHECKF(vigil_image_load(ctx, path, &ref) == 0, "%s", vigil_errmsg(ctx));
	if (!ref)
		return test_done("decode");
	same_picture(ctx, ref, "base-interlaced.png", "png", 3, 0);
	same_picture(ctx, ref, "base16.png", "png", 3, 0);
	same_picture(ctx, ref, "base-rgba.png", "png", 3, 0);
	same_picture(ctx, ref, "base.bmp", "bmp", 3, 0);
	same_picture(ctx, ref, "base.tif", "tiff", 3, 0);
	same_picture(ctx, ref, "base.gif", "gif", 3, 6);
	same_picture(ctx, ref, "base-progressive.jpg", "jpeg", 3, 4);
	same_picture(ctx, ref, "base-grey.jpg", "jpeg", 1, 40);
	same_picture(ctx, ref, "base.webp", "webp", 3, 5);
	same_picture(ctx, ref, "base.heic", "heif", 3, 6);
	same_picture(ctx, ref, "base.avif", "heif", 3, 8);
	/* Same picture, nearly the same PDQ, from every format. */
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		vigil_pdq b0;
		snprintf(path, sizeof(path), "%s/%s", dir, all[i]);
		CHECKF(vigil_pdq_hash_file(ctx, path, NULL, &h, NULL) == 0, "%s", all[i]);
		CHECK(vigil_pdq_hash_image(ctx, ref, NULL, &b0, NULL) == 0);
		CHECKF(vigil_pdq_distance(&h, &b0) <= 8, "%s: distance %d", all[i],
		       vigil_pdq_distance(&h, &b0));
	}
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		damage(ctx, all[i]);
	limits(ctx);
	CHECK(vigil_image_decode(ctx, "hello", 5, &img) == VIGIL_EFORMAT && !img);
	CHECK(vigil_image_decode(ctx, "", 0, &img) == VIGIL_EFORMAT);
	CHECK(vigil_pdq_hash_memory(ctx, "\xff\xd8\xff", 3, NULL, &h, NULL) == VIGIL_ECORRUPT);
	CHECK(vigil_pdq_hash_file(ctx, "/nonexistent/x.jpg", NULL, &h, NULL) == VIGIL_ENOENT);
	CHECK(vigil_pdq_hash_file(ctx, dir, NULL, &h, NULL) == VIGIL_EINVAL);
	{
		vigil_pdq_opts bad = {300, 0};
		snprintf(path, sizeof(path), "%s/base.png", dir);
		CHECK(vigil_pdq_hash_file(ctx, path, &bad, &h, NULL) == VIGIL_EINVAL);
	}
	vigil_image_free(ref);
	vigil_ctx_free(ctx);
	return test_done("decode");
}
