/* pdq_luma.c — 8-bit pixels to PDQ's float luma, one row at a time or eight
 * rows straight into the interleaved band layout of pdq_transpose.c
 * (band[c * 8 + k] = luma of row k, column c), so the row filter's input is
 * written once instead of converted, stored and transposed; or a row
 * sampled through a column map (the 512 flavour).
 *
 * Every pixel goes through vigil__luma's own float operations in its order
 * (two products added, then the third; no FMA under -ffp-contract=off), so
 * the SIMD kernels give the reference's bits; tests/hash/test_pdq_kernels.c
 * checks them against the portable reference. Picked once at first use. */
#include "pdq.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(VIGIL_PORTABLE_KERNELS)
#include "pdq_avx2.h"
#define HAVE_AVX2_KERNELS 1
#endif

static inline float luma_px(const uint8_t *p, int channels)
{
	return channels == 3 ? vigil__luma(p[0], p[1], p[2]) : (float)p[0];
}

void vigil__luma_row_ref(float *dst, const uint8_t *px, int channels, int n)
{
	int c;

	for (c = 0; c < n; c++)
		dst[c] = luma_px(px + (size_t)c * (size_t)channels, channels);
}

void vigil__luma_band_ref(float *band, const uint8_t *const px[8], int channels,
			  int cols)
{
	int k, c;

	for (c = 0; c < cols; c++)
		for (k = 0; k < 8; k++)
			band[(size_t)c * 8 + k] =
				luma_px(px[k] + (size_t)c * (size_t)channels, channels);
}

void vigil__luma_gather_ref(float *dst, const uint8_t *px, const int *xmap, int n)
{
	int c;

	for (c = 0; c < n; c++) {
		const uint8_t *p = px + 3 * (size_t)xmap[c];
		dst[c] = vigil__luma(p[0], p[1], p[2]);
	}
}

#ifdef HAVE_AVX2_KERNELS
/* Pixels c..c+7 of an RGB row: bytes 3c..3c+27 are read (4 past the eight
 * pixels), so the caller keeps c + 10 <= width. Each 128-bit half holds
 * four pixels in its first 12 bytes; the shuffles widen R, G and B of each
 * to a 32-bit lane. */
__attribute__((target("avx2"))) static inline __m256 luma8_rgb(const uint8_t *p)
{
	const __m256i mr = _mm256_setr_epi8(0, -1, -1, -1, 3, -1, -1, -1, 6, -1, -1, -1,
					    9, -1, -1, -1, 0, -1, -1, -1, 3, -1, -1, -1,
					    6, -1, -1, -1, 9, -1, -1, -1);
	const __m256i mg = _mm256_setr_epi8(1, -1, -1, -1, 4, -1, -1, -1, 7, -1, -1, -1,
					    10, -1, -1, -1, 1, -1, -1, -1, 4, -1, -1, -1,
					    7, -1, -1, -1, 10, -1, -1, -1);
	const __m256i mb = _mm256_setr_epi8(2, -1, -1, -1, 5, -1, -1, -1, 8, -1, -1, -1,
					    11, -1, -1, -1, 2, -1, -1, -1, 5, -1, -1, -1,
					    8, -1, -1, -1, 11, -1, -1, -1);
	__m256i v = _mm256_loadu2_m128i((const __m128i *)(p + 12), (const __m128i *)p);
	__m256 r = _mm256_cvtepi32_ps(_mm256_shuffle_epi8(v, mr));
	__m256 g = _mm256_cvtepi32_ps(_mm256_shuffle_epi8(v, mg));
	__m256 b = _mm256_cvtepi32_ps(_mm256_shuffle_epi8(v, mb));

	return _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(0.299f), r),
					   _mm256_mul_ps(_mm256_set1_ps(0.587f), g)),
			     _mm256_mul_ps(_mm256_set1_ps(0.114f), b));
}

__attribute__((target("avx2"))) static inline __m256 luma8_grey(const uint8_t *p)
{
	return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

/* Columns the vector loop may start at c for: c + slack <= n. */
#define SLACK(ch) ((ch) == 3 ? 10 : 8)

__attribute__((target("avx2"))) static void luma_row_avx2(float *dst, const uint8_t *px,
							  int channels, int n)
{
	int c = 0;

	for (; c + SLACK(channels) <= n; c += 8)
		_mm256_storeu_ps(dst + c, channels == 3 ? luma8_rgb(px + 3 * (size_t)c)
							: luma8_grey(px + c));
	vigil__luma_row_ref(dst + c, px + (size_t)c * (size_t)channels, channels, n - c);
}

/* Eight pixels picked through xmap, each read as the 32-bit word at its
 * first byte and placed in a lane by scalar loads (the hardware gather is
 * slower than that on the development machine's AMD EPYC). The word
 * reaches one byte past the pixel, so a chunk that holds the largest index
 * of the map (possibly the row's last pixel) is done by the reference. */
static inline int word_at(const uint8_t *p)
{
	int v;

	memcpy(&v, p, sizeof(v));
	return v;
}

__attribute__((target("avx2"))) static void luma_gather_avx2(float *dst, const uint8_t *px,
							     const int *xmap, int n)
{
	const __m256i lo = _mm256_set1_epi32(0xFF);
	int c, k, xmax = 0;

	for (c = 0; c < n; c++)
		if (xmap[c] > xmax)
			xmax = xmap[c];
	for (c = 0; c + 8 <= n; c += 8) {
		__m256i v;
		__m256 r, g, b;
		for (k = 0; k < 8 && xmap[c + k] < xmax; k++)
			;
		if (k < 8) {
			vigil__luma_gather_ref(dst + c, px, xmap + c, 8);
			continue;
		}
		v = _mm256_setr_epi32(word_at(px + 3 * (size_t)xmap[c]),
				      word_at(px + 3 * (size_t)xmap[c + 1]),
				      word_at(px + 3 * (size_t)xmap[c + 2]),
				      word_at(px + 3 * (size_t)xmap[c + 3]),
				      word_at(px + 3 * (size_t)xmap[c + 4]),
				      word_at(px + 3 * (size_t)xmap[c + 5]),
				      word_at(px + 3 * (size_t)xmap[c + 6]),
				      word_at(px + 3 * (size_t)xmap[c + 7]));
		r = _mm256_cvtepi32_ps(_mm256_and_si256(v, lo));
		g = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(v, 8), lo));
		b = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(v, 16), lo));
		_mm256_storeu_ps(dst + c,
				 _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(0.299f), r),
							     _mm256_mul_ps(_mm256_set1_ps(0.587f), g)),
					       _mm256_mul_ps(_mm256_set1_ps(0.114f), b)));
	}
	vigil__luma_gather_ref(dst + c, px, xmap + c, n - c);
}

__attribute__((target("avx2"))) static void luma_band_avx2(float *band,
							   const uint8_t *const px[8],
							   int channels, int cols)
{
	const uint8_t *tail[8];
	__m256 r[8];
	int c = 0, k;

	for (; c + SLACK(channels) <= cols; c += 8) {
		size_t off = (size_t)c * (size_t)channels;
		for (k = 0; k < 8; k++)
			r[k] = channels == 3 ? luma8_rgb(px[k] + off) : luma8_grey(px[k] + off);
		vigil__t8(r);
		for (k = 0; k < 8; k++)
			_mm256_storeu_ps(band + (size_t)(c + k) * 8, r[k]);
	}
	for (k = 0; k < 8; k++)
		tail[k] = px[k] + (size_t)c * (size_t)channels;
	vigil__luma_band_ref(band + (size_t)c * 8, tail, channels, cols - c);
}
#endif

typedef void (*row_fn)(float *, const uint8_t *, int, int);
typedef void (*band_fn)(float *, const uint8_t *const[8], int, int);
typedef void (*gather_fn)(float *, const uint8_t *, const int *, int);

static row_fn row_k = vigil__luma_row_ref;
static band_fn band_k = vigil__luma_band_ref;
static gather_fn gather_k = vigil__luma_gather_ref;

static void pick(void)
{
#ifdef HAVE_AVX2_KERNELS
	if (__builtin_cpu_supports("avx2")) {
		row_k = luma_row_avx2;
		band_k = luma_band_avx2;
		gather_k = luma_gather_avx2;
	}
#endif
}

void vigil__luma_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, pick);
}

void vigil__luma_row(float *dst, const uint8_t *px, int channels, int n)
{
	row_k(dst, px, channels, n);
}

void vigil__luma_band(float *band, const uint8_t *const px[8], int channels, int cols)
{
	band_k(band, px, channels, cols);
}

void vigil__luma_gather(float *dst, const uint8_t *px, const int *xmap, int n)
{
	gather_k(dst, px, xmap, n);
}

const char *vigil__luma_impl(void)
{
	vigil__luma_init();
	return row_k == vigil__luma_row_ref ? "reference" : "avx2";
}
