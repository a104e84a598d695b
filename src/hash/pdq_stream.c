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
	float *ring; /* the last w + 1 input rows, and room for BAND more */
	float *out;  /* where the next output row is written */
	float *own;  /* out's default buffer */
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
	float *band_c;     /* cols x BAND, interleaved */
	float pick[64 * BAND]; /* stage C's output at the 64 kept columns */
	float *arow[BAND]; /* stage A input: luma rows, row-major */
	float *crow[BAND]; /* stage C input: stage B output rows */
	float row64[64];   /* one row of 64 kept columns */
	colbox b, d;       /* stages B and D */
	float *a64;        /* where stage D writes the decimated rows */
	float out64[64 * 64];
	uint8_t *gather;   /* cols bytes: one grey row sampled through xmap */
};

/* Eight floats, one per row of a band: GCC/clang vector arithmetic is
 * IEEE per lane, the same operations the reference does per row. */
typedef float v8f __attribute__((vector_size(32), aligned(4)));

/* Box filter along n positions for BAND interleaved lanes: the reference's
 * four phases, each lane an independent row. */
VIGIL__SIMD
static void box_band(const float *restrict in, float *restrict out, int n, int w)
{
	const v8f *vin = (const v8f *)in;
	v8f *vout = (v8f *)out, sum = {0};
	int half = (w + 2) / 2, cnt = 0, ri = 0, li = 0, oi = 0, i;

	for (i = 0; i < half - 1; i++, ri++) {
		sum += vin[ri];
		cnt++;
	}
	for (i = 0; i < w - half + 1; i++, ri++, oi++) {
		cnt++;
		sum += vin[ri];
		vout[oi] = sum / (float)cnt;
	}
	for (i = 0; i < n - w; i++, ri++, li++, oi++) {
		sum += vin[ri];
		sum -= vin[li];
		vout[oi] = sum / (float)cnt;
	}
	for (i = 0; i < half - 1; i++, li++, oi++) {
		cnt--;
		sum -= vin[li];
		vout[oi] = sum / (float)cnt;
	}
}

/* box_band for stage C, whose output is read at the 64 decimated columns
 * only: every running sum as in box_band, but a division (the costly part)
 * only where a kept column is; out[j * BAND + k] = lane k at column
 * jsel[j]. */
VIGIL__SIMD
static void box_band_pick(const float *restrict in, float *restrict out, int n, int w,
			  const int *jsel)
{
	const v8f *vin = (const v8f *)in;
	v8f *vout = (v8f *)out, sum = {0};
	int half = (w + 2) / 2, cnt = 0, ri = 0, li = 0, oi = 0, i, j = 0;
	int next = jsel[0]; /* the next kept column; -1 after the last */

#define PICK()                                                                  \
	if (oi == next) {                                                       \
		v8f q = sum / (float)cnt;                                       \
		do                                                              \
			vout[j++] = q;                                          \
		while (j < 64 && jsel[j] == oi);                                \
		next = j < 64 ? jsel[j] : -1;                                   \
	}
	for (i = 0; i < half - 1; i++, ri++) {
		sum += vin[ri];
		cnt++;
	}
	for (i = 0; i < w - half + 1; i++, ri++, oi++) {
		cnt++;
		sum += vin[ri];
		PICK();
	}
	for (i = 0; i < n - w; i++, ri++, li++, oi++) {
		sum += vin[ri];
		sum -= vin[li];
		PICK();
	}
	for (i = 0; i < half - 1; i++, li++, oi++) {
		cnt--;
		sum -= vin[li];
		PICK();
	}
#undef PICK
}

VIGIL__SIMD
static void lanes_add(float *restrict s, const float *restrict x, int n)
{
	for (int i = 0; i < n; i++)
		s[i] += x[i];
}

/* s += x, s -= y, o = s / c on each lane: the window's step and the
 * output row in one pass over the sums. */
VIGIL__SIMD
static void lanes_add_sub_div(float *restrict s, const float *restrict x,
			      const float *restrict y, float *restrict o, float c, int n)
{
	for (int i = 0; i < n; i++) {
		float t = s[i] + x[i];
		t -= y[i];
		s[i] = t;
		o[i] = t / c;
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
	/* Only rows already written are ever read back. */
	c->ring = vigil__malloc(sizeof(float) * (size_t)lanes * (size_t)(w + 1 + BAND));
	c->own = c->out = vigil__calloc((size_t)lanes, sizeof(float));
	return c->sum && c->ring && c->own ? 0 : -1;
}

static void colbox_free(colbox *c)
{
	vigil__free(c->sum);
	vigil__free(c->ring);
	vigil__free(c->own);
}

/* The ring holds w + 1 + BAND rows, so that a band's rows can be written
 * ahead (colbox_slot) while the rows they will replace are still needed. */
static float *ring_row(colbox *c, int r)
{
	return c->ring + (size_t)(r % (c->w + 1 + BAND)) * (size_t)c->lanes;
}

/* Where input row (rows received + k) is to be written, k < BAND. */
static float *colbox_slot(colbox *c, int k)
{
	return ring_row(c, c->ri + k);
}

/* Takes the next input row, already written to colbox_slot(c, 0); returns 1
 * if c->out now holds an output row. */
static int colbox_commit(colbox *c)
{
	int ri = c->ri++;
	const float *in = ring_row(c, ri);

	if (ri < c->w) {
		lanes_add(c->sum, in, c->lanes);
		c->cnt++;
		if (ri < c->half - 1)
			return 0;
	} else {
		lanes_add_sub_div(c->sum, in, ring_row(c, ri - c->w), c->out,
				  (float)c->cnt, c->lanes);
		return 1;
	}
	lanes_div(c->out, c->sum, (float)c->cnt, c->lanes);
	return 1;
}

static int colbox_push(colbox *c, const float *in)
{
	memcpy(colbox_slot(c, 0), in, sizeof(float) * (size_t)c->lanes);
	return colbox_commit(c);
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
	vigil__transpose_in(s->band_c, s->crow, s->nc, s->cols);
	box_band_pick(s->band_c, s->pick, s->cols, s->wr, s->jsel);
	for (k = 0; k < s->nc; k++) {
		for (j = 0; j < 64; j++)
			s->row64[j] = s->pick[j * BAND + k];
		if (colbox_push(&s->d, s->row64))
			emit_d(s, s->d.ri - s->d.half);
	}
	s->nc = 0;
}

/* Stage B's output rows land directly in stage C's input rows. */
static void b_emitted(vigil__pdq_stream *s)
{
	if (++s->nc == BAND)
		flush_c(s);
	s->b.out = s->crow[s->nc];
}

/* Stage A on the band_a already filled with s->na rows. */
static void filter_a(vigil__pdq_stream *s)
{
	float *slots[BAND];
	int k;

	box_band(s->band_a, s->band_a_out, s->cols, s->wr);
	for (k = 0; k < s->na; k++)
		slots[k] = colbox_slot(&s->b, k);
	vigil__transpose_out(s->band_a_out, slots, s->na, s->cols);
	for (k = 0; k < s->na; k++)
		if (colbox_commit(&s->b))
			b_emitted(s);
	s->na = 0;
}

static void flush_a(vigil__pdq_stream *s)
{
	if (!s->na)
		return;
	vigil__transpose_in(s->band_a, s->arow, s->na, s->cols);
	filter_a(s);
}

int vigil__pdq_stream_new(vigil_ctx *ctx, int rows, int cols,
			  vigil__pdq_stream **out)
{
	vigil__pdq_stream *s;
	size_t band;
	int i;

	*out = NULL;
	vigil__transpose_init();
	vigil__luma_init();
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
	/* One block: three bands and sixteen rows. A short last band leaves
	 * lanes of band_a and band_c unwritten that the filters still compute
	 * on (and discard): those two start as zeros, the rest is always
	 * written before it is read. */
	s->band_a = vigil__malloc(band * 5 * sizeof(float));
	s->gather = vigil__malloc((size_t)cols);
	if (!s->band_a || !s->gather || colbox_init(&s->b, rows, s->wc, cols) ||
	    colbox_init(&s->d, rows, s->wc, 64)) {
		vigil__pdq_stream_free(s);
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	}
	s->band_a_out = s->band_a + band;
	s->band_c = s->band_a + 2 * band;
	memset(s->band_a, 0, band * sizeof(float));
	memset(s->band_c, 0, band * sizeof(float));
	for (i = 0; i < BAND; i++) {
		s->arow[i] = s->band_a + 3 * band + (size_t)i * cols;
		s->crow[i] = s->band_a + 4 * band + (size_t)i * cols;
	}
	s->b.out = s->crow[0];
	*out = s;
	return VIGIL_OK;
}

void vigil__pdq_stream_free(vigil__pdq_stream *s)
{
	if (!s)
		return;
	vigil__free(s->band_a);
	vigil__free(s->gather);
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
	memcpy(s->arow[s->na], luma, sizeof(float) * (size_t)s->cols);
	row_done(s);
}

void vigil__pdq_stream_push_pixels(vigil__pdq_stream *s, const uint8_t *px,
				   int channels, const int *xmap)
{
	int c;

	if (xmap && channels == 3) {
		vigil__luma_gather(s->arow[s->na], px, xmap, s->cols);
		row_done(s);
		return;
	}
	if (xmap) {
		for (c = 0; c < s->cols; c++)
			s->gather[c] = px[xmap[c]];
		px = s->gather;
	}
	vigil__luma_row(s->arow[s->na], px, channels, s->cols);
	row_done(s);
}

void vigil__pdq_stream_push_block(vigil__pdq_stream *s, const uint8_t *const px[8],
				  int n, int channels)
{
	int k;

	if (s->na || n != BAND) {
		for (k = 0; k < n; k++)
			vigil__pdq_stream_push_pixels(s, px[k], channels, NULL);
		return;
	}
	vigil__luma_band(s->band_a, px, channels, s->cols);
	s->rows_in += BAND;
	s->na = BAND;
	filter_a(s);
}

void vigil__pdq_stream_push_repeat(vigil__pdq_stream *s)
{
	/* arow[] keeps its rows after a flush, so the last row pushed through
	 * push_pixels is the one before na (cyclically). */
	memcpy(s->arow[s->na], s->arow[(s->na + BAND - 1) % BAND],
	       sizeof(float) * (size_t)s->cols);
	row_done(s);
}

void vigil__pdq_stream_end(vigil__pdq_stream *s, float a[64 * 64])
{
	flush_a(s);
	while (colbox_drain(&s->b))
		b_emitted(s);
	flush_c(s);
	while (colbox_drain(&s->d))
		emit_d(s, s->d.n - s->d.half + s->d.drained);
	memcpy(a, s->out64, sizeof(s->out64));
}
