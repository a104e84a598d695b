/* pdq.h — PDQ internals shared by the reference path, the streaming path and
 * the tests. The float arithmetic here follows the reference's order of
 * operations exactly; the build uses -ffp-contract=off so no FMA changes a
 * rounding. */
#ifndef VIGIL_HASH_PDQ_H
#define VIGIL_HASH_PDQ_H

#include "../core/core.h"

#include <pthread.h>

#define VIGIL__PDQ_MIN_DIM 5   /* below this on a side: zero hash, quality 0 */
#define VIGIL__PDQ_REPS 2      /* Jarosz passes (rows then columns), twice */

/* Jarosz box-filter window for a side of `old` pixels decimated to 64. */
static inline int vigil__pdq_window(int old)
{
	return (old + 2 * 64 - 1) / (2 * 64);
}

/* Index of the input row/column that decimation to 64 samples for output i. */
static inline int vigil__pdq_decim(int i, int n)
{
	return (int)(((i + 0.5) * n) / 64);
}

/* Luma of an 8-bit RGB pixel, as the reference computes it. */
static inline float vigil__luma(unsigned r, unsigned g, unsigned b)
{
	return 0.299f * (float)r + 0.587f * (float)g + 0.114f * (float)b;
}

/* The reference 1-D box filter over n samples spaced `stride` apart. */
void vigil__box1d_ref(const float *in, float *out, int n, int stride, int w);

/* Reference PDQ of a rows x cols float luma image. luma is destroyed (used as
 * scratch); out/dih as in vigil_pdq_hash_memory. */
int vigil__pdq_from_luma_ref(vigil_ctx *ctx, float *luma, int rows, int cols,
			     vigil_pdq *out, vigil_pdq dih[8]);

/* From the 64x64 decimated image: quality, DCT, bits (and the dihedrals if
 * dih != NULL). */
void vigil__pdq_finish(const float a[64 * 64], vigil_pdq *out, vigil_pdq dih[8]);

/* The streaming path: rows pushed one at a time, O(cols) memory. */
typedef struct vigil__pdq_stream vigil__pdq_stream;
int vigil__pdq_stream_new(vigil_ctx *ctx, int rows, int cols,
			  vigil__pdq_stream **out);
/* One row of luma (cols floats), in order. */
void vigil__pdq_stream_push(vigil__pdq_stream *s, const float *luma);
/* One row of 8-bit pixels (channels 1 or 3); if xmap is not NULL, column c
 * of the hashed row is pixel xmap[c] of this one (the 512 flavour's
 * nearest-neighbour sampling). */
void vigil__pdq_stream_push_pixels(vigil__pdq_stream *s, const uint8_t *px,
				   int channels, const int *xmap);
/* n <= 8 consecutive rows of 8-bit pixels (px[0..n-1], each cols pixels):
 * the same as n push_pixels calls without xmap, but a whole band is
 * converted straight into the row filter's layout. */
void vigil__pdq_stream_push_block(vigil__pdq_stream *s, const uint8_t *const px[8],
				  int n, int channels);
/* The previous row again (the 512 flavour repeats rows of a short image);
 * at least one row must have been pushed. */
void vigil__pdq_stream_push_repeat(vigil__pdq_stream *s);
/* After all rows: fills the 64x64 decimated image. */
void vigil__pdq_stream_end(vigil__pdq_stream *s, float a[64 * 64]);
void vigil__pdq_stream_free(vigil__pdq_stream *s);

/* Band transposes (pdq_transpose.c): band[c * 8 + k] <-> rows[k][c] for
 * k < nrows. The _ref versions are the portable reference; the plain names
 * dispatch to the best kernel for this CPU (call vigil__transpose_init()
 * once first). */
void vigil__transpose_in_ref(float *band, float *const rows[8], int nrows, int cols);
void vigil__transpose_out_ref(const float *band, float *const rows[8], int nrows,
			      int cols);
void vigil__transpose_init(void);
void vigil__transpose_in(float *band, float *const rows[8], int nrows, int cols);
void vigil__transpose_out(const float *band, float *const rows[8], int nrows,
			  int cols);
const char *vigil__transpose_impl(void); /* "avx2" or "reference" */

/* Luma kernels (pdq_luma.c), each pixel exactly vigil__luma (or the grey
 * value): a row of n pixels into dst, or rows px[0..7] of cols pixels into
 * band[c * 8 + k]. _ref is the portable reference; the plain names dispatch
 * (call vigil__luma_init() once first). */
void vigil__luma_row_ref(float *dst, const uint8_t *px, int channels, int n);
void vigil__luma_band_ref(float *band, const uint8_t *const px[8], int channels,
			  int cols);
/* RGB only: dst[c] = luma of pixel xmap[c] of px, for c < n. */
void vigil__luma_gather_ref(float *dst, const uint8_t *px, const int *xmap, int n);
void vigil__luma_init(void);
void vigil__luma_row(float *dst, const uint8_t *px, int channels, int n);
void vigil__luma_band(float *band, const uint8_t *const px[8], int channels, int cols);
void vigil__luma_gather(float *dst, const uint8_t *px, const int *xmap, int n);
const char *vigil__luma_impl(void); /* "avx2" or "reference" */

#endif
