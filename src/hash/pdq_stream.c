/* pdq_stream.c — PDQ's filters as a row pipeline, bit-exact with
 * pdq_core.c's reference.
 *
 * The reference filters the whole float image in place: rows, then columns,
 * twice, and the column pass strides through memory. Here each pass is a
 * stage fed one row at a time:
 *   A  box along each row       (8 rows at a time, interleaved, one per lane)
 *   B  box down each column     (a running sum per column: lanes = columns)
 *   C  box along each row again (8 rows at a time; only 64 columns kept)
 *   D  box down the 64 kept columns; only the 64 decimated rows kept.
 * Every lane performs the reference's own sequence of float operations for
 * its row or column, so vectorising across lanes changes no rounding. Memory
 * is O(cols * window) instead of O(rows * cols). */
#include "pdq.h"

#include <string.h>

#define BAND 8 /* rows filtered together along the row direction */

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&          \
	!defined(VIGIL_NO_CLONES)
#define VIGIL__SIMD __attribute__((target_clones("avx2", "default")))
#else
#define VIGIL__SIMD
#endif

typedef struct colbox {
	int n;       /* rows the stream will have */
	int w;       /* window */
	int half;    /* (w + 2) / 2, as the reference */
	int lanes;   /* floats per row */
	int ri;      /* rows received */
	int cnt;     /* current window population */
	int drained; /* phase-4 rows emitted */
	float *sum;  /* lanes running sums */
	float *ring; /* last w + 1 input rows */
	float *out;  /* the row just emitted */
} colbox;

struct vigil__pdq_stream {
	int rows, cols;    /* image size */
	int wr, wc;        /* row and column windows */
	int isel[64];      /* decimated rows */
	int jsel[64];      /* decimated columns */
	int rows_in;       /* rows pushed */
	int na, nc;        /* rows waiting in band A / band C */
	int next_i;        /* next decimated row to fill */
	float *band_a, *band_a_out; /* cols x BAND, interleaved */
	float *band_c, *band_c_out; /* cols x BAND, interleaved */
	float *tmp;        /* one row */
	float row64[64];   /* one row of 64 kept columns */
	colbox b, d;       /* stages B and D */
	float *a64;        /* where stage D writes the decimated rows */
	float out64[64 * 64];
};

/* Box filter along n positions for BAND interleaved lanes: the reference's
 * four phases, each lane an independent row. */
VIGIL__SIMD
static void box_band(const float *restrict in, float *restrict out, int n, int w)
{
	float sum[BAND] = {0};
	int half = (w + 2) / 2, cnt = 0, ri = 0, li = 0, oi = 0, i, k;

	for (i = 0; i < half - 1; i++, ri++) {
		for (k = 0; k < BAND; k++)
			sum[k] += in[ri * BAND + k];
		cnt++;
	}
	for (i = 0; i < w - half + 1; i++, ri++, oi++) {
		float c;
		cnt++;
		c = (float)cnt;
		for (k = 0; k < BAND; k++) {
			sum[k] += in[ri * BAND + k];
			out[oi * BAND + k] = sum[k] / c;
		}
	}
	for (i = 0; i < n - w; i++, ri++, li++, oi++) {
		float c = (float)cnt;
		for (k = 0; k < BAND; k++) {
			sum[k] += in[ri * BAND + k];
			sum[k] -= in[li * BAND + k];
			out[oi * BAND + k] = sum[k] / c;
		}
	}
	for (i = 0; i < half - 1; i++, li++, oi++) {
		float c;
		cnt--;
		c = (float)cnt;
		for (k = 0; k < BAND; k++) {
			sum[k] -= in[li * BAND + k];
			out[oi * BAND + k] = sum[k] / c;
		}
	}
}

VIGIL__SIMD
static void lanes_add(float *restrict s, const float *restrict x, int n)
{
	for (int i = 0; i < n; i++)
		s[i] += x[i];
}

VIGIL__SIMD
static void lanes_add_sub(float *restrict s, const float *restrict x,
			  const float *restrict y, int n)
{
	for (int i = 0; i < n; i++) {
		s[i] += x[i];
		s[i] -= y[i];
	}
}

VIGIL__SIMD
static void lanes_sub(float *restrict s, const float *restrict y, int n)
{
	for (int i = 0; i < n; i++)
		s[i] -= y[i];
}

VIGIL__SIMD
static void lanes_div(float *restrict o, const float *restrict s, float c, int n)
{
	for (int i = 0; i < n; i++)
		o[i] = s[i] / c;
}

static int colbox_init(colbox *c, int n, int w, int lanes)
{
	memset(c, 0, sizeof(*c));
	c->n = n;
	c->w = w;
	c->half = (w + 2) / 2;
	c->lanes = lanes;
	c->sum = vigil__calloc((size_t)lanes, sizeof(float));
	c->ring = vigil__calloc((size_t)lanes * (size_t)(w + 1), sizeof(float));
	c->out = vigil__calloc((size_t)lanes, sizeof(float));
	return c->sum && c->ring && c->out ? 0 : -1;
}

static void colbox_free(colbox *c)
{
	vigil__free(c->sum);
	vigil__free(c->ring);
	vigil__free(c->out);
}

static float *ring_row(colbox *c, int r)
{
	return c->ring + (size_t)(r % (c->w + 1)) * (size_t)c->lanes;
}

/* Feeds the next input row; returns 1 if c->out now holds an output row. */
static int colbox_push(colbox *c, const float *in)
{
	int ri = c->ri++;

	memcpy(ring_row(c, ri), in, sizeof(float) * (size_t)c->lanes);
	if (ri < c->w) {
		lanes_add(c->sum, in, c->lanes);
		c->cnt++;
		if (ri < c->half - 1)
			return 0;
	} else {
		lanes_add_sub(c->sum, in, ring_row(c, ri - c->w), c->lanes);
	}
	lanes_div(c->out, c->sum, (float)c->cnt, c->lanes);
	return 1;
}

/* After the last input row: emits the remaining rows one per call; returns 0
 * when none is left. */
static int colbox_drain(colbox *c)
{
	if (c->drained >= c->half - 1)
		return 0;
	lanes_sub(c->sum, ring_row(c, c->n - c->w + c->drained), c->lanes);
	c->drained++;
	c->cnt--;
	lanes_div(c->out, c->sum, (float)c->cnt, c->lanes);
	return 1;
}

static void emit_d(vigil__pdq_stream *s, int oi)
{
	while (s->next_i < 64 && s->isel[s->next_i] == oi) {
		memcpy(s->out64 + s->next_i * 64, s->d.out, sizeof(float) * 64);
		s->next_i++;
	}
}

static void flush_c(vigil__pdq_stream *s)
{
	int k, j;

	if (!s->nc)
		return;
	box_band(s->band_c, s->band_c_out, s->cols, s->wr);
	for (k = 0; k < s->nc; k++) {
		for (j = 0; j < 64; j++)
			s->row64[j] = s->band_c_out[(size_t)s->jsel[j] * BAND + k];
		if (colbox_push(&s->d, s->row64))
			emit_d(s, s->d.ri - s->d.half);
	}
	s->nc = 0;
}

static void feed_c(vigil__pdq_stream *s, const float *row)
{
	float *dst = s->band_c + s->nc;
	int c;

	for (c = 0; c < s->cols; c++)
		dst[(size_t)c * BAND] = row[c];
	if (++s->nc == BAND)
		flush_c(s);
}

static void flush_a(vigil__pdq_stream *s)
{
	int k, c;

	if (!s->na)
		return;
	box_band(s->band_a, s->band_a_out, s->cols, s->wr);
	for (k = 0; k < s->na; k++) {
		for (c = 0; c < s->cols; c++)
			s->tmp[c] = s->band_a_out[(size_t)c * BAND + k];
		if (colbox_push(&s->b, s->tmp))
			feed_c(s, s->b.out);
	}
	s->na = 0;
}

int vigil__pdq_stream_new(vigil_ctx *ctx, int rows, int cols,
			  vigil__pdq_stream **out)
{
	vigil__pdq_stream *s;
	size_t band;
	int i;

	*out = NULL;
	if (rows < VIGIL__PDQ_MIN_DIM || cols < VIGIL__PDQ_MIN_DIM)
		return vigil__err(ctx, VIGIL_EINVAL, "stream: %dx%d too small",
				  cols, rows);
	s = vigil__calloc(1, sizeof(*s));
	if (!s)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	s->rows = rows;
	s->cols = cols;
	s->wr = vigil__pdq_window(cols);
	s->wc = vigil__pdq_window(rows);
	for (i = 0; i < 64; i++) {
		s->isel[i] = vigil__pdq_decim(i, rows);
		s->jsel[i] = vigil__pdq_decim(i, cols);
	}
	band = (size_t)cols * BAND;
	s->band_a = vigil__calloc(band, sizeof(float));
	s->band_a_out = vigil__calloc(band, sizeof(float));
	s->band_c = vigil__calloc(band, sizeof(float));
	s->band_c_out = vigil__calloc(band, sizeof(float));
	s->tmp = vigil__calloc((size_t)cols, sizeof(float));
	if (!s->band_a || !s->band_a_out || !s->band_c || !s->band_c_out ||
	    !s->tmp || colbox_init(&s->b, rows, s->wc, cols) ||
	    colbox_init(&s->d, rows, s->wc, 64)) {
		vigil__pdq_stream_free(s);
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	}
	*out = s;
	return VIGIL_OK;
}

void vigil__pdq_stream_free(vigil__pdq_stream *s)
{
	if (!s)
		return;
	vigil__free(s->band_a);
	vigil__free(s->band_a_out);
	vigil__free(s->band_c);
	vigil__free(s->band_c_out);
	vigil__free(s->tmp);
	colbox_free(&s->b);
	colbox_free(&s->d);
	vigil__free(s);
}

static void row_done(vigil__pdq_stream *s)
{
	s->rows_in++;
	if (++s->na == BAND)
		flush_a(s);
}

void vigil__pdq_stream_push(vigil__pdq_stream *s, const float *luma)
{
	float *dst = s->band_a + s->na;
	int c;

	for (c = 0; c < s->cols; c++)
		dst[(size_t)c * BAND] = luma[c];
	row_done(s);
}

VIGIL__SIMD
static void luma_rgb(float *restrict dst, const uint8_t *restrict px, int n)
{
	for (int c = 0; c < n; c++, px += 3)
		dst[(size_t)c * BAND] = vigil__luma(px[0], px[1], px[2]);
}

void vigil__pdq_stream_push_pixels(vigil__pdq_stream *s, const uint8_t *px,
				   int channels, const int *xmap)
{
	float *dst = s->band_a + s->na;
	int c;

	if (xmap && channels == 3)
		for (c = 0; c < s->cols; c++) {
			const uint8_t *p = px + 3 * (size_t)xmap[c];
			dst[(size_t)c * BAND] = vigil__luma(p[0], p[1], p[2]);
		}
	else if (xmap)
		for (c = 0; c < s->cols; c++)
			dst[(size_t)c * BAND] = (float)px[xmap[c]];
	else if (channels == 3)
		luma_rgb(dst, px, s->cols);
	else
		for (c = 0; c < s->cols; c++)
			dst[(size_t)c * BAND] = (float)px[c];
	row_done(s);
}

void vigil__pdq_stream_end(vigil__pdq_stream *s, float a[64 * 64])
{
	flush_a(s);
	while (colbox_drain(&s->b))
		feed_c(s, s->b.out);
	flush_c(s);
	while (colbox_drain(&s->d))
		emit_d(s, s->d.n - s->d.half + s->d.drained);
	memcpy(a, s->out64, sizeof(s->out64));
}
