/* pdq_transpose.c — moving 8 rows between row-major buffers and the
 * interleaved band layout (band[c * 8 + k] = row k, column c) that lets the
 * row-direction box filter run one row per SIMD lane. A portable reference
 * and an AVX2 version (8x8 register transposes) picked once at first use;
 * tests/hash/test_pdq_kernels.c checks them against each other. Pure data
 * movement: no arithmetic, so nothing here can change a hash bit. */
#include "pdq.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(VIGIL_PORTABLE_KERNELS)
#include <immintrin.h>
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
/* In-register transpose of r[0..7] (8x8 floats). */
__attribute__((target("avx2"))) static inline void t8(__m256 r[8])
{
	__m256 a0 = _mm256_unpacklo_ps(r[0], r[1]), a1 = _mm256_unpackhi_ps(r[0], r[1]);
	__m256 a2 = _mm256_unpacklo_ps(r[2], r[3]), a3 = _mm256_unpackhi_ps(r[2], r[3]);
	__m256 a4 = _mm256_unpacklo_ps(r[4], r[5]), a5 = _mm256_unpackhi_ps(r[4], r[5]);
	__m256 a6 = _mm256_unpacklo_ps(r[6], r[7]), a7 = _mm256_unpackhi_ps(r[6], r[7]);
	__m256 b0 = _mm256_shuffle_ps(a0, a2, 0x44), b1 = _mm256_shuffle_ps(a0, a2, 0xEE);
	__m256 b2 = _mm256_shuffle_ps(a1, a3, 0x44), b3 = _mm256_shuffle_ps(a1, a3, 0xEE);
	__m256 b4 = _mm256_shuffle_ps(a4, a6, 0x44), b5 = _mm256_shuffle_ps(a4, a6, 0xEE);
	__m256 b6 = _mm256_shuffle_ps(a5, a7, 0x44), b7 = _mm256_shuffle_ps(a5, a7, 0xEE);

	r[0] = _mm256_permute2f128_ps(b0, b4, 0x20);
	r[1] = _mm256_permute2f128_ps(b1, b5, 0x20);
	r[2] = _mm256_permute2f128_ps(b2, b6, 0x20);
	r[3] = _mm256_permute2f128_ps(b3, b7, 0x20);
	r[4] = _mm256_permute2f128_ps(b0, b4, 0x31);
	r[5] = _mm256_permute2f128_ps(b1, b5, 0x31);
	r[6] = _mm256_permute2f128_ps(b2, b6, 0x31);
	r[7] = _mm256_permute2f128_ps(b3, b7, 0x31);
}

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
		t8(r);
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
		t8(r);
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
