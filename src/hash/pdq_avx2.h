/* pdq_avx2.h — AVX2 helpers shared by the PDQ kernels (pdq_transpose.c,
 * pdq_luma.c). Include only where HAVE_AVX2_KERNELS is being defined. */
#ifndef VIGIL_HASH_PDQ_AVX2_H
#define VIGIL_HASH_PDQ_AVX2_H

#include <immintrin.h>

/* In-register transpose of r[0..7] (8x8 floats). */
__attribute__((target("avx2"))) static inline void vigil__t8(__m256 r[8])
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

#endif
