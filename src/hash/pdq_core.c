/* pdq_core.c — the PDQ algorithm as published by Meta (pdq/README and
 * "The TMK+PDQF and PDQ hashing algorithms"), written from that description:
 * luma, two Jarosz (tent-approximating box) filter passes, decimation to
 * 64x64, a gradient-sum quality, a 16x16 DCT corner (skipping the DC row and
 * column), and one bit per coefficient above the median. This file is the
 * readable reference; pdq_stream.c is the fast path checked against it. */
#include "pdq.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void vigil__box1d_ref(const float *in, float *out, int n, int stride, int w)
{
	int half = (w + 2) / 2;
	int p1 = half - 1, p2 = w - half + 1, p3 = n - w, p4 = half - 1;
	int li = 0, ri = 0, oi = 0, cnt = 0, i;
	float sum = 0.0f;

	for (i = 0; i < p1; i++, ri += stride) {
		sum += in[ri];
		cnt++;
	}
	for (i = 0; i < p2; i++, ri += stride, oi += stride) {
		sum += in[ri];
		cnt++;
		out[oi] = sum / cnt;
	}
	for (i = 0; i < p3; i++, ri += stride, li += stride, oi += stride) {
		sum += in[ri];
		sum -= in[li];
		out[oi] = sum / cnt;
	}
	for (i = 0; i < p4; i++, li += stride, oi += stride) {
		sum -= in[li];
		cnt--;
		out[oi] = sum / cnt;
	}
}

static float dct_matrix[16][64]; /* rows 1..16 of the 64-point DCT-II */

static void dct_init(void)
{
	const double scale = sqrt(2.0 / 64.0);
	int i, j;

	for (i = 0; i < 16; i++)
		for (j = 0; j < 64; j++)
			dct_matrix[i][j] = (float)(scale *
				cos((M_PI / 2 / 64.0) * (i + 1) * (2 * j + 1)));
}

static const float (*dct(void))[64]
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, dct_init);
	return (const float(*)[64])dct_matrix;
}

static int quality_of(const float a[64 * 64])
{
	int sum = 0, i, j, q;

	for (i = 0; i < 63; i++)
		for (j = 0; j < 64; j++) {
			int d = (int)(((a[i * 64 + j] - a[(i + 1) * 64 + j]) * 100) / 255);
			sum += abs(d);
		}
	for (i = 0; i < 64; i++)
		for (j = 0; j < 63; j++) {
			int d = (int)(((a[i * 64 + j] - a[i * 64 + j + 1]) * 100) / 255);
			sum += abs(d);
		}
	q = sum / 90;
	return q > 100 ? 100 : q;
}

/* B = D A D^T with D the 16x64 DCT rows. Each output is a sum over k in
 * increasing order starting from 0, as in the reference; the loops run k
 * outermost so that the independent outputs of a row form vector lanes. */
static void dct64to16(const float a[64 * 64], float b[16 * 16])
{
	const float(*d)[64] = dct();
	float t[16][64], dt[64][16];
	int i, j, k;

	for (i = 0; i < 16; i++) {
		for (j = 0; j < 64; j++)
			t[i][j] = 0.0f;
		for (k = 0; k < 64; k++) {
			float dik = d[i][k];
			for (j = 0; j < 64; j++)
				t[i][j] += dik * a[k * 64 + j];
		}
	}
	for (j = 0; j < 16; j++)
		for (k = 0; k < 64; k++)
			dt[k][j] = d[j][k];
	for (i = 0; i < 16; i++) {
		float *row = b + i * 16;
		for (j = 0; j < 16; j++)
			row[j] = 0.0f;
		for (k = 0; k < 64; k++) {
			float tik = t[i][k];
			for (j = 0; j < 16; j++)
				row[j] += tik * dt[k][j];
		}
	}
}

/* The k-th smallest of a[0..n-1] (0-based), reordering a: Wirth's
 * selection, which does a fraction of a sort's work. Only the value is
 * used, and the value at rank k is the same whatever the algorithm (a
 * -0.0 standing for 0.0 compares the same in the caller). */
static float kth_smallest(float *a, int n, int k)
{
	int l = 0, m = n - 1;

	while (l < m) {
		float x = a[k];
		int i = l, j = m;
		do {
			while (a[i] < x)
				i++;
			while (x < a[j])
				j--;
			if (i <= j) {
				float t = a[i];
				a[i] = a[j];
				a[j] = t;
				i++;
				j--;
			}
		} while (i <= j);
		if (j < k)
			l = i;
		if (k < i)
			m = j;
	}
	return a[k];
}

/* One bit per coefficient strictly above the median (the lower middle of the
 * 256 values, which is what Torben's selection returns). Bit k = 16i+j. */
static void to_bits(const float b[256], int quality, vigil_pdq *out)
{
	float sorted[256], med;
	int k;

	memcpy(sorted, b, sizeof(sorted));
	med = kth_smallest(sorted, 256, 127);
	memset(out->bits, 0, sizeof(out->bits));
	for (k = 0; k < 256; k++)
		if (b[k] > med)
			out->bits[31 - (k >> 3)] |= (uint8_t)(1u << (k & 7));
	out->quality = quality;
}

/* The dihedral images of the DCT corner. Because the corner starts at
 * frequency 1, a flip along an axis negates the coefficients of odd
 * frequency along it (even index), and a transpose swaps i and j. */
static void dihedral(const float a[256], int variant, float b[256])
{
	int i, j;

	for (i = 0; i < 16; i++)
		for (j = 0; j < 16; j++) {
			float v = a[i * 16 + j];
			int ni = (i & 1) == 0, nj = (j & 1) == 0;
			switch (variant) {
			case VIGIL_DIH_ROTATE90:
				b[j * 16 + i] = nj ? -v : v;
				break;
			case VIGIL_DIH_ROTATE180:
				b[i * 16 + j] = (ni ^ nj) ? -v : v;
				break;
			case VIGIL_DIH_ROTATE270:
				b[j * 16 + i] = ni ? -v : v;
				break;
			case VIGIL_DIH_FLIPX:
				b[i * 16 + j] = ni ? -v : v;
				break;
			case VIGIL_DIH_FLIPY:
				b[i * 16 + j] = nj ? -v : v;
				break;
			case VIGIL_DIH_FLIPPLUS1:
				b[j * 16 + i] = v;
				break;
			case VIGIL_DIH_FLIPMINUS1:
				b[j * 16 + i] = (ni ^ nj) ? -v : v;
				break;
			default:
				b[i * 16 + j] = v;
			}
		}
}

void vigil__pdq_finish(const float a[64 * 64], vigil_pdq *out, vigil_pdq dih[8])
{
	float b[256], t[256];
	int q = quality_of(a), v;

	dct64to16(a, b);
	to_bits(b, q, out);
	if (!dih)
		return;
	dih[0] = *out;
	for (v = 1; v < VIGIL_DIH_COUNT; v++) {
		dihedral(b, v, t);
		to_bits(t, q, &dih[v]);
	}
}

static void zero_hash(vigil_pdq *out, vigil_pdq dih[8])
{
	int v;

	memset(out, 0, sizeof(*out));
	if (dih)
		for (v = 0; v < VIGIL_DIH_COUNT; v++)
			memset(&dih[v], 0, sizeof(dih[v]));
}

int vigil__pdq_from_luma_ref(vigil_ctx *ctx, float *luma, int rows, int cols,
			     vigil_pdq *out, vigil_pdq dih[8])
{
	float a[64 * 64], *tmp;
	int wr, wc, rep, i, j;
	size_t n;

	if (rows < VIGIL__PDQ_MIN_DIM || cols < VIGIL__PDQ_MIN_DIM) {
		zero_hash(out, dih);
		return VIGIL_OK;
	}
	if (vigil__mul_size((size_t)rows * (size_t)cols, sizeof(float), &n))
		return vigil__err(ctx, VIGIL_ETOOBIG, "image too large");
	tmp = vigil__malloc(n);
	if (!tmp)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	wr = vigil__pdq_window(cols);
	wc = vigil__pdq_window(rows);
	for (rep = 0; rep < VIGIL__PDQ_REPS; rep++) {
		for (i = 0; i < rows; i++)
			vigil__box1d_ref(luma + (size_t)i * cols, tmp + (size_t)i * cols,
					 cols, 1, wr);
		for (j = 0; j < cols; j++)
			vigil__box1d_ref(tmp + j, luma + j, rows, cols, wc);
	}
	for (i = 0; i < 64; i++)
		for (j = 0; j < 64; j++)
			a[i * 64 + j] = luma[(size_t)vigil__pdq_decim(i, rows) * cols +
					     vigil__pdq_decim(j, cols)];
	vigil__free(tmp);
	vigil__pdq_finish(a, out, dih);
	return VIGIL_OK;
}
