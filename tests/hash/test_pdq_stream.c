/* The streaming filters (SIMD lanes, bands, ring buffers) against the
 * reference filters: the 64x64 decimated images must be identical bit for
 * bit on random images of many shapes, including the edge sizes where the
 * window, the band and the decimation change. */
#include "vigil.h"
#include "../../src/hash/pdq.h"
#include "../test.h"

static void ref64(const float *img, int rows, int cols, float out[4096])
{
	float *a = malloc(sizeof(float) * rows * cols), *t = malloc(sizeof(float) * rows * cols);
	int wr = vigil__pdq_window(cols), wc = vigil__pdq_window(rows), rep, i, j;

	memcpy(a, img, sizeof(float) * rows * cols);
	for (rep = 0; rep < VIGIL__PDQ_REPS; rep++) {
		for (i = 0; i < rows; i++)
			vigil__box1d_ref(a + (size_t)i * cols, t + (size_t)i * cols, cols, 1, wr);
		for (j = 0; j < cols; j++)
			vigil__box1d_ref(t + j, a + j, rows, cols, wc);
	}
	for (i = 0; i < 64; i++)
		for (j = 0; j < 64; j++)
			out[i * 64 + j] = a[(size_t)vigil__pdq_decim(i, rows) * cols + vigil__pdq_decim(j, cols)];
	free(a);
	free(t);
}

static void one(vigil_ctx *ctx, int rows, int cols, unsigned long long *seed)
{
	float *img = malloc(sizeof(float) * rows * cols), want[4096], got[4096];
	vigil__pdq_stream *s = NULL;
	int i;

	for (i = 0; i < rows * cols; i++)
		img[i] = (float)(test_rand(seed) % 25600) / 100.0f;
	ref64(img, rows, cols, want);
	CHECK(vigil__pdq_stream_new(ctx, rows, cols, &s) == 0);
	if (s) {
		for (i = 0; i < rows; i++)
			vigil__pdq_stream_push(s, img + (size_t)i * cols);
		vigil__pdq_stream_end(s, got);
		CHECKF(memcmp(want, got, sizeof(got)) == 0, "%dx%d differs", cols, rows);
		vigil__pdq_stream_free(s);
	}
	free(img);
}

int main(void)
{
	static const int sides[] = {5, 6, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127,
				    128, 129, 255, 256, 257, 383, 512, 640, 1000};
	unsigned long long seed = 0x9e3779b97f4a7c15ULL;
	vigil_ctx *ctx;
	size_t a, b;
	int k;

	CHECK(vigil_ctx_new(&ctx) == 0);
	for (a = 0; a < sizeof(sides) / sizeof(sides[0]); a += 2)
		for (b = 1; b < sizeof(sides) / sizeof(sides[0]); b += 3)
			one(ctx, sides[a], sides[b], &seed);
	for (k = 0; k < 20; k++)
		one(ctx, 5 + (int)(test_rand(&seed) % 900), 5 + (int)(test_rand(&seed) % 900), &seed);
	one(ctx, 2000, 37, &seed);
	one(ctx, 37, 2000, &seed);
	{
		vigil__pdq_stream *tiny = NULL;
		CHECK(vigil__pdq_stream_new(ctx, 4, 100, &tiny) == VIGIL_EINVAL);
		CHECK(tiny == NULL);
	}
	vigil_ctx_free(ctx);
	return test_done("pdq_stream");
}
