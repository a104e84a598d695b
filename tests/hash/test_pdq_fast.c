/* The approximate 512 path (vigil_pdq_opts.fast): off unless asked for, and
 * on the reference images no further from the exact 512 hash than the
 * reference's own two flavours are from each other. The bound comes from
 * Meta's expected hashes (expected-reference-cpp.csv for 512,
 * -fullsize.csv for full size), not from anything vigil computed:
 *   - an image too small to be scaled (a side < 1023) hashes exactly;
 *   - a scaled one is within the distance between its two exact hashes;
 *   - over the scaled ones, the mean is at most half that distance's mean. */
#include "vigil.h"
#include "../../src/media/decoder.h"
#include "../../src/media/image.h"
#include "../test.h"

#include <limits.h>

static char dir[PATH_MAX];

typedef struct ref {
	char file[512];
	vigil_pdq h512, hfull;
	int have_full;
} ref;

static ref refs[128];
static int nrefs;

static int hamming(const vigil_pdq *a, const vigil_pdq *b)
{
	int d = 0, i;

	for (i = 0; i < 32; i++)
		d += __builtin_popcount((unsigned)(a->bits[i] ^ b->bits[i]));
	return d;
}

/* The fast path's sampling, computed here on its own (in double): the
 * image decoded at 1/n, each 512 x 512 sample the bilinear mean of the
 * scaled pixels around where the exact path's sample falls (full pixel
 * floor(i * full / 512), at scaled coordinate (x + 0.5) / n - 0.5), hashed
 * by the exact path (512 x 512 is not resampled). -1: not scaled. */
static int lerp_ref(vigil_ctx *ctx, const uint8_t *data, size_t len, vigil_pdq *out)
{
	vigil__dec *d = NULL;
	vigil_image *img = NULL;
	uint8_t *px = NULL, *dst = NULL;
	int w, h, ch, n, x, y, c, rc = -1;

	if (vigil__dec_open_scaled(ctx, data, len, 512, &d) || d->scale_denom == 1)
		goto out;
	w = d->width, h = d->height, ch = d->channels, n = d->scale_denom;
	px = malloc((size_t)w * h * ch);
	dst = malloc(512 * 512 * (size_t)ch);
	if (!px || !dst || vigil__dec_read_rows(d, px, (size_t)w * ch, h))
		goto out;
	for (y = 0; y < 512; y++) {
		double v = ((double)((long long)y * d->full_height / 512) + 0.5) / n - 0.5;
		int y0, y1;
		double fy;
		if (v < 0)
			v = 0;
		y0 = (int)v, fy = v - y0;
		if (y0 >= h - 1)
			y0 = h - 1, fy = 0;
		y1 = y0 + 1 < h ? y0 + 1 : y0;
		for (x = 0; x < 512; x++) {
			double u = ((double)((long long)x * d->full_width / 512) + 0.5) / n - 0.5;
			int x0, x1;
			double fx;
			if (u < 0)
				u = 0;
			x0 = (int)u, fx = u - x0;
			if (x0 >= w - 1)
				x0 = w - 1, fx = 0;
			x1 = x0 + 1 < w ? x0 + 1 : x0;
			for (c = 0; c < ch; c++) {
				const uint8_t *r0 = px + (size_t)y0 * w * ch, *r1 = px + (size_t)y1 * w * ch;
				double a = r0[x0 * ch + c] * (1 - fx) + r0[x1 * ch + c] * fx;
				double b = r1[x0 * ch + c] * (1 - fx) + r1[x1 * ch + c] * fx;
				dst[((size_t)y * 512 + x) * ch + c] = (uint8_t)(a * (1 - fy) + b * fy + 0.5);
			}
		}
	}
	if (vigil__image_from_pixels(ctx, dst, 512, 512, ch, &img) ||
	    vigil_pdq_hash_image(ctx, img, NULL, out, NULL))
		goto out;
	rc = 0;
out:
	vigil_image_free(img);
	vigil__dec_close(d);
	free(px);
	free(dst);
	return rc;
}

static void load(const char *csv, int full)
{
	char path[PATH_MAX + 64], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, csv);
	f = fopen(path, "r");
	CHECKF(f != NULL, "cannot open %s", path);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char hex[65], file[512];
		vigil_pdq h;
		int q, i;
		size_t n;
		if (sscanf(line, "%64[0-9a-f],%d,%511[^\r\n]", hex, &q, file) != 3)
			continue;
		n = strlen(file);
		if (n < 4 || strcmp(file + n - 4, ".jpg"))
			continue;
		CHECK(vigil_pdq_from_hex(hex, &h) == 0);
		for (i = 0; i < nrefs && strcmp(refs[i].file, file); i++)
			;
		if (i == nrefs) {
			if (full || nrefs == (int)(sizeof(refs) / sizeof(refs[0])))
				continue; /* only images in both files */
			snprintf(refs[nrefs++].file, sizeof(refs[0].file), "%s", file);
		}
		if (full) {
			refs[i].hfull = h;
			refs[i].have_full = 1;
		} else {
			refs[i].h512 = h;
		}
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	vigil_ctx *ctx;
	int i, scaled = 0, moved = 0, lerp_off = 0, dev_sum = 0, flav_sum = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: test_pdq_fast VECTORS_DIR\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	CHECK(vigil_ctx_new(&ctx) == 0);
	load("expected-reference-cpp.csv", 0);
	load("expected-reference-cpp-fullsize.csv", 1);
	CHECKF(nrefs >= 20, "%d JPEGs in the expected files", nrefs);

	for (i = 0; i < nrefs; i++) {
		char path[PATH_MAX + 1024];
		vigil_pdq_opts dflt, fast = {512, VIGIL_PDQ_FAST};
		vigil_pdq e, a, af;
		vigil__dec *d = NULL;
		uint8_t *data;
		size_t len;
		int n, dev, flav;

		if (!refs[i].have_full)
			continue;
		snprintf(path, sizeof(path), "%s/%.511s", dir, refs[i].file);
		if (vigil_read_file(ctx, path, &data, &len)) {
			CHECKF(0, "%s: %s", path, vigil_errmsg(ctx));
			continue;
		}
		/* Off by default: zero-initialised options are the exact 512
		 * flavour, the reference's bits. */
		memset(&dflt, 0, sizeof(dflt));
		dflt.downsample = 512;
		CHECK(vigil_pdq_hash_memory(ctx, data, len, &dflt, &e, NULL) == 0);
		CHECKF(!memcmp(e.bits, refs[i].h512.bits, 32), "%s: default is not exact",
		       refs[i].file);
		CHECK(vigil_pdq_hash_memory(ctx, data, len, &fast, &a, NULL) == 0);
		CHECK(vigil_hash_file(ctx, path, 0, NULL, &fast, &af, NULL) == 0);
		CHECKF(!memcmp(&a, &af, sizeof(a)), "%s: file and memory differ", refs[i].file);
		CHECK(vigil__dec_open_scaled(ctx, data, len, 512, &d) == 0);
		n = d ? d->scale_denom : 0;
		vigil__dec_close(d);
		dev = hamming(&a, &refs[i].h512);
		flav = hamming(&refs[i].h512, &refs[i].hfull);
		if (n == 1) {
			CHECKF(dev == 0, "%s: not scaled, yet %d bits off", refs[i].file, dev);
		} else {
			printf("%s: scale 1/%d, %d bits from the exact 512 hash (flavours "
			       "%d apart)\n", refs[i].file, n, dev, flav);
			CHECKF(dev <= flav, "%s: %d bits off, flavours %d apart", refs[i].file,
			       dev, flav);
			scaled++;
			moved += dev > 0;
			/* bilinear, not the scaled pixel the sample falls in
			 * (that is 2-6 bits from this on these images) */
			CHECK(lerp_ref(ctx, data, len, &e) == 0);
			lerp_off += hamming(&a, &e);
			dev_sum += dev;
			flav_sum += flav;
		}
		free(data);
	}
	/* The path must really be taken (exif-rotn/: 4032x3024, at 1/4). */
	CHECKF(scaled >= 4, "%d images scaled", scaled);
	printf("fast path vs the bilinear sampling done here: %d bits over %d images\n",
	       lerp_off, scaled);
	CHECKF(4 * lerp_off <= scaled, "fast path %d bits from bilinear sampling over %d images",
	       lerp_off, scaled);
	CHECKF(moved >= 1, "no scaled image changed a bit: is the fast path used?");
	CHECKF(2 * dev_sum <= flav_sum, "mean deviation %d/%d over half the flavours' %d/%d",
	       dev_sum, scaled, flav_sum, scaled);

	/* Only for the 512 flavour, and only the one defined value. */
	{
		vigil_pdq_opts bad1 = {0, VIGIL_PDQ_FAST}, bad2 = {512, 2};
		vigil_pdq h;
		char path[PATH_MAX + 64];
		snprintf(path, sizeof(path), "%s/exif-rotn/exif-rotn-1.jpg", dir);
		CHECK(vigil_pdq_hash_file(ctx, path, &bad1, &h, NULL) == VIGIL_EINVAL);
		CHECK(vigil_pdq_hash_file(ctx, path, &bad2, &h, NULL) == VIGIL_EINVAL);
	}
	vigil_ctx_free(ctx);
	return test_done("pdq_fast");
}
