/* bench_pdq — PDQ hashing speed as a ratio to a plain decode of the same
 * files with the same library, all measured in one run.
 *
 *   bench_pdq [-c] [-r ROUNDS] [-m MODE] FILE|DIR...
 *
 * (-m runs one mode only, for profiling: decode, full, 512 or reference.)
 *
 * For each set of files (loaded into memory first, so no I/O is timed) it
 * times, interleaved round by round to share the machine's noise:
 *   decode     vigil_image_decode: the whole image to 8-bit RGB
 *   full       vigil_pdq_hash_memory, full-size flavour (streaming filters)
 *   512        vigil_pdq_hash_memory, --downsample 512 flavour
 *   reference  decode + the reference whole-image float filters (the shape
 *              of Meta's C++ code), for scale
 * and prints images/s and each one's time relative to decode. */
#include "vigil.h"
#include "../src/hash/pdq.h"
#include "../src/media/image.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct blob {
	uint8_t *data;
	size_t len;
	char *name;
} blob;

static blob *blobs;
static size_t nblobs, capblobs;

/* -c: the process's CPU time instead of wall time, for a machine shared
 * with other jobs (time spent waiting for a core is then not counted). */
static clockid_t clock_id = CLOCK_MONOTONIC;

static double now(void)
{
	struct timespec ts;

	clock_gettime(clock_id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void add_file(vigil_ctx *ctx, const char *path)
{
	blob b;

	if (vigil_read_file(ctx, path, &b.data, &b.len)) {
		fprintf(stderr, "skip %s: %s\n", path, vigil_errmsg(ctx));
		return;
	}
	if (nblobs == capblobs) {
		capblobs = capblobs ? 2 * capblobs : 64;
		blobs = realloc(blobs, capblobs * sizeof(*blobs));
		if (!blobs)
			exit(1);
	}
	b.name = strdup(path);
	blobs[nblobs++] = b;
}

static void add(vigil_ctx *ctx, const char *path)
{
	struct stat st;
	struct dirent **list;
	int n, i;

	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
		add_file(ctx, path);
		return;
	}
	n = scandir(path, &list, NULL, alphasort);
	for (i = 0; i < n; i++) {
		char p[4096];
		if (list[i]->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", path, list[i]->d_name);
			add(ctx, p);
		}
		free(list[i]);
	}
	free(list);
}

static int ref_hash(vigil_ctx *ctx, const blob *b, vigil_pdq *out)
{
	vigil_image *img = NULL;
	float *luma;
	int rc, x, y;

	rc = vigil_image_decode(ctx, b->data, b->len, &img);
	if (rc)
		return rc;
	luma = malloc(sizeof(float) * (size_t)img->width * img->height);
	for (y = 0; y < img->height; y++) {
		const uint8_t *r = vigil_image_row(img, y);
		for (x = 0; x < img->width; x++)
			luma[(size_t)y * img->width + x] = img->channels == 3
				? vigil__luma(r[3 * x], r[3 * x + 1], r[3 * x + 2])
				: (float)r[x];
	}
	rc = vigil__pdq_from_luma_ref(ctx, luma, img->height, img->width, out, NULL);
	free(luma);
	vigil_image_free(img);
	return rc;
}

enum { M_DECODE, M_FULL, M_512, M_REF, M_COUNT };
static const char *const mode_names[M_COUNT] = {"decode", "full", "512", "reference"};

static double run(vigil_ctx *ctx, int mode)
{
	double t0 = now();
	size_t i;

	for (i = 0; i < nblobs; i++) {
		vigil_pdq h;
		vigil_image *img = NULL;
		vigil_pdq_opts o = {mode == M_512 ? 512 : 0, 0};
		int rc;
		switch (mode) {
		case M_DECODE:
			rc = vigil_image_decode(ctx, blobs[i].data, blobs[i].len, &img);
			vigil_image_free(img);
			break;
		case M_REF:
			rc = ref_hash(ctx, &blobs[i], &h);
			break;
		default:
			rc = vigil_pdq_hash_memory(ctx, blobs[i].data, blobs[i].len, &o, &h, NULL);
		}
		if (rc) {
			fprintf(stderr, "%s: %s\n", blobs[i].name, vigil_errmsg(ctx));
			exit(1);
		}
	}
	return now() - t0;
}

int main(int argc, char **argv)
{
	vigil_ctx *ctx;
	double best[M_COUNT], pixels = 0;
	int rounds = 5, i, r, m, first = 1, only = -1;
	size_t k;

	vigil_ctx_new(&ctx);
	while (argc > first + 1 && argv[first][0] == '-') {
		if (!strcmp(argv[first], "-c")) {
			clock_id = CLOCK_PROCESS_CPUTIME_ID;
			first++;
			continue;
		}
		if (!strcmp(argv[first], "-r"))
			rounds = atoi(argv[first + 1]) > 0 ? atoi(argv[first + 1]) : 5;
		else if (!strcmp(argv[first], "-m"))
			for (m = 0; m < M_COUNT; m++)
				if (!strcmp(argv[first + 1], mode_names[m]))
					only = m;
		first += 2;
	}
	for (i = first; i < argc; i++)
		add(ctx, argv[i]);
	if (!nblobs) {
		fprintf(stderr, "usage: bench_pdq [-c] [-r ROUNDS] [-m MODE] FILE|DIR...\n");
		return 2;
	}
	for (k = 0; k < nblobs; k++) {
		vigil_image *img = NULL;
		if (vigil_image_decode(ctx, blobs[k].data, blobs[k].len, &img) == 0)
			pixels += (double)img->width * img->height;
		vigil_image_free(img);
	}
	for (m = 0; m < M_COUNT; m++)
		best[m] = 1e30;
	/* Interleave the modes round by round; keep each one's best round. */
	for (r = 0; r < rounds; r++)
		for (m = 0; m < M_COUNT; m++) {
			double t;
			if (only >= 0 && m != only)
				continue;
			t = run(ctx, m);
			if (t < best[m])
				best[m] = t;
		}
	printf("%zu images, %.1f megapixels on average, best of %d rounds\n",
	       nblobs, pixels / nblobs / 1e6, rounds);
	printf("%-10s %10s %12s\n", "mode", "images/s", "x decode");
	for (m = 0; m < M_COUNT; m++)
		if (only < 0 || m == only)
			printf("%-10s %10.1f %11.2fx\n", mode_names[m], nblobs / best[m],
			       only < 0 ? best[m] / best[M_DECODE] : 0);
	vigil_ctx_free(ctx);
	return 0;
}
