/* The band transposes: the kernel picked for this CPU against the portable
 * reference, for every row count and awkward widths. */
#include "vigil.h"
#include "../../src/hash/pdq.h"
#include "../test.h"

int main(void)
{
	static const int widths[] = {1, 5, 7, 8, 9, 15, 16, 17, 64, 100, 513};
	unsigned long long seed = 42;
	size_t w;
	int nrows, k, c;

	vigil__transpose_init();
	printf("transpose kernel: %s\n", vigil__transpose_impl());
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
