/* pdq_transpose.c — moving 8 rows between row-major buffers and the
 * interleaved band layout (band[c * 8 + k] = row k, column c) that lets the
 * row-direction box filter run one row per SIMD lane. A portable reference
 * and an AVX2 version (8x8 register transposes) picked once at first use;
 * tests/hash/test_pdq_kernels.c checks them against each other. Pure data
 * movement: no arithmetic, so nothing here can change a hash bit. */
#include "pdq.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(VIGIL_PORTABLE_KERNELS)
#include "pdq_avx2.h"
#define HAVE_AVX2_KERNELS 1
#endif

void vigil__transpose_in_ref(float *band, float *const rows[8], int nrows, int cols)
{
	int k, c;

	for (k = 0; k < nrows; k++)
		for (c = 0; c < cols; c++)
			band[(size_t)c * 8 + k] = rows[k][c];
}

void vigil__transpose_out_ref(const float *band, float *const rows[8], int nrows,
			      int cols)
{
	int k, c;

	for (k = 0; k < nrows; k++)
		for (c = 0; c < cols; c++)
			rows[k][c] = band[(size_t)c * 8 + k];
}

#ifdef HAVE_AVX2_KERNELS
__attribute__((target("avx2"))) static void transpose_in_avx2(float *band,
							      float *const rows[8],
							      int nrows, int cols)
{
	__m256 r[8];
	int c = 0, k;

	if (nrows < 8) {
		vigil__transpose_in_ref(band, rows, nrows, cols);
		return;
	}
	for (; c + 8 <= cols; c += 8) {
		for (k = 0; k < 8; k++)
			r[k] = _mm256_loadu_ps(rows[k] + c);
		vigil__t8(r);
		for (k = 0; k < 8; k++)
			_mm256_storeu_ps(band + (size_t)(c + k) * 8, r[k]);
	}
	for (; c < cols; c++)
		for (k = 0; k < 8; k++)
			band[(size_t)c * 8 + k] = rows[k][c];
}

__attribute__((target("avx2"))) static void transpose_out_avx2(const float *band,
							       float *const rows[8],
							       int nrows, int cols)
{
	__m256 r[8];
	int c = 0, k;

	if (nrows < 8) {
		vigil__transpose_out_ref(band, rows, nrows, cols);
		return;
	}
	for (; c + 8 <= cols; c += 8) {
		for (k = 0; k < 8; k++)
			r[k] = _mm256_loadu_ps(band + (size_t)(c + k) * 8);
		vigil__t8(r);
		for (k = 0; k < 8; k++)
			_mm256_storeu_ps(rows[k] + c, r[k]);
	}
	for (; c < cols; c++)
		for (k = 0; k < 8; k++)
			rows[k][c] = band[(size_t)c * 8 + k];
}
#endif

typedef void (*tin_fn)(float *, float *const[8], int, int);
typedef void (*tout_fn)(const float *, float *const[8], int, int);

static tin_fn tin = vigil__transpose_in_ref;
static tout_fn tout = vigil__transpose_out_ref;

static void pick(void)
{
#ifdef HAVE_AVX2_KERNELS
	if (__builtin_cpu_supports("avx2")) {
		tin = transpose_in_avx2;
		tout = transpose_out_avx2;
	}
#endif
}

void vigil__transpose_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, pick);
}

void vigil__transpose_in(float *band, float *const rows[8], int nrows, int cols)
{
	tin(band, rows, nrows, cols);
}

void vigil__transpose_out(const float *band, float *const rows[8], int nrows,
			  int cols)
{
	tout(band, rows, nrows, cols);
}

const char *vigil__transpose_impl(void)
{
	vigil__transpose_init();
	return tin == vigil__transpose_in_ref ? "reference" : "avx2";
}
