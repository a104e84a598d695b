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
	int i, scaled = 0, moved = 0, dev_sum = 0, flav_sum = 0;

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
			dev_sum += dev;
			flav_sum += flav;
		}
		free(data);
	}
	/* The path must really be taken (exif-rotn/: 4032x3024, at 1/4). */
	CHECKF(scaled >= 4, "%d images scaled", scaled);
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
