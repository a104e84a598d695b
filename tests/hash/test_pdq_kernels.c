/* The band transposes and the luma kernels: the kernel picked for this CPU
 * against the portable reference, for every row count, awkward widths and
 * every byte value in each channel. */
#include "vigil.h"
#include "../../src/hash/pdq.h"
#include "../test.h"

/* Rows of random pixels, with the extreme values placed in each channel. */
static uint8_t *pixels(unsigned long long *seed, int cols, int channels)
{
	uint8_t *p = malloc((size_t)cols * channels);
	int i;

	for (i = 0; i < cols * channels; i++)
		p[i] = (uint8_t)(test_rand(seed) >> 7);
	for (i = 0; i < cols * channels && i < 6; i++)
		p[i] = i & 1 ? 255 : 0;
	return p;
}

/* Every (r, g, b) value of one channel against the scalar vigil__luma, and
 * the row and band kernels against their references. */
static void check_luma(unsigned long long *seed, const int *widths, size_t nw)
{
	uint8_t all[256 * 3];
	float want[256], got[256];
	size_t w;
	int ch, i, k;

	for (ch = 0; ch < 3; ch++) {
		for (i = 0; i < 256; i++) {
			all[3 * i] = (uint8_t)(ch == 0 ? i : 255 - i);
			all[3 * i + 1] = (uint8_t)(ch == 1 ? i : (i * 7) & 255);
			all[3 * i + 2] = (uint8_t)(ch == 2 ? i : (i * 13) & 255);
			want[i] = vigil__luma(all[3 * i], all[3 * i + 1], all[3 * i + 2]);
		}
		vigil__luma_row(got, all, 3, 256);
		CHECKF(memcmp(want, got, sizeof(got)) == 0, "luma of channel %d", ch);
	}
	for (ch = 1; ch <= 3; ch += 2)
		for (w = 0; w < nw; w++) {
			int cols = widths[w];
			uint8_t *px[8];
			float *r1 = malloc((size_t)cols * 4), *r2 = malloc((size_t)cols * 4);
			float *b1 = malloc((size_t)cols * 32), *b2 = malloc((size_t)cols * 32);
			for (k = 0; k < 8; k++)
				px[k] = pixels(seed, cols, ch);
			vigil__luma_row_ref(r1, px[0], ch, cols);
			vigil__luma_row(r2, px[0], ch, cols);
			CHECKF(memcmp(r1, r2, (size_t)cols * 4) == 0, "row %d ch %d", cols, ch);
			vigil__luma_band_ref(b1, (const uint8_t *const *)px, ch, cols);
			vigil__luma_band(b2, (const uint8_t *const *)px, ch, cols);
			CHECKF(memcmp(b1, b2, (size_t)cols * 32) == 0, "band %d ch %d", cols, ch);
			for (k = 0; k < 8; k++) {
				vigil__luma_row_ref(r1, px[k], ch, cols);
				for (i = 0; i < cols; i++)
					if (b1[(size_t)i * 8 + k] != r1[i])
						break;
				CHECKF(i == cols, "band %d ch %d row %d is not the row's luma", cols,
				       ch, k);
				free(px[k]);
			}
			if (ch == 3) {
				/* Sampling maps as the 512 flavour makes them: up and
				 * down, ending at the row's last pixel, plus a shuffled
				 * one. */
				int *xmap = malloc(sizeof(int) * 700), n, m;
				float *g1 = malloc(sizeof(float) * 700), *g2 = malloc(sizeof(float) * 700);
				for (m = 0; m < 3; m++) {
					n = m == 0 ? 512 : m == 1 ? 700 : cols;
					for (i = 0; i < n; i++)
						xmap[i] = m == 2 ? (int)(test_rand(seed) % (unsigned)cols)
								 : (int)((long long)i * cols / n);
					if (m < 2)
						xmap[n - 1] = cols - 1;
					px[0] = pixels(seed, cols, 3);
					vigil__luma_gather_ref(g1, px[0], xmap, n);
					vigil__luma_gather(g2, px[0], xmap, n);
					CHECKF(memcmp(g1, g2, sizeof(float) * (size_t)n) == 0,
					       "gather %d of %d, map %d", n, cols, m);
					free(px[0]);
				}
				free(xmap);
				free(g1);
				free(g2);
			}
			free(r1);
			free(r2);
			free(b1);
			free(b2);
		}
}

int main(void)
{
	static const int widths[] = {1, 5, 7, 8, 9, 10, 11, 15, 16, 17, 18, 64, 100, 513};
	unsigned long long seed = 42;
	size_t w;
	int nrows, k, c;

	vigil__transpose_init();
	vigil__luma_init();
	printf("transpose kernel: %s, luma kernel: %s\n", vigil__transpose_impl(),
	       vigil__luma_impl());
	check_luma(&seed, widths, sizeof(widths) / sizeof(widths[0]));
	for (w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
		int cols = widths[w];
		for (nrows = 1; nrows <= 8; nrows++) {
			float *rows[8], *back[8], *b1 = calloc((size_t)cols * 8, 4),
			      *b2 = calloc((size_t)cols * 8, 4);
			for (k = 0; k < 8; k++) {
				rows[k] = malloc((size_t)cols * 4);
				back[k] = calloc((size_t)cols, 4);
				for (c = 0; c < cols; c++)
					rows[k][c] = (float)(test_rand(&seed) % 100000) / 7.0f;
			}
			vigil__transpose_in_ref(b1, rows, nrows, cols);
			vigil__transpose_in(b2, rows, nrows, cols);
			CHECKF(memcmp(b1, b2, (size_t)cols * 8 * 4) == 0, "in %dx%d", nrows, cols);
			vigil__transpose_out(b2, back, nrows, cols);
			for (k = 0; k < nrows; k++)
				CHECKF(memcmp(back[k], rows[k], (size_t)cols * 4) == 0,
				       "out %dx%d row %d", nrows, cols, k);
			for (k = 0; k < 8; k++) {
				free(rows[k]);
				free(back[k]);
			}
			free(b1);
			free(b2);
		}
	}
	return test_done("pdq_kernels");
}
