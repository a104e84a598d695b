/* pdq_hash.c — the public PDQ entry points: pull rows from a decoder (or a
 * decoded image), sample them for the 512 flavour, and feed the streaming
 * filters. */
#include "../media/decoder.h"
#include "../media/image.h"
#include "digest.h"
#include "pdq.h"

#include <string.h>
#include <unistd.h>

#define VIGIL__PDQ_512 512

/* Where rows come from: a decoder being pulled, or a decoded image. */
typedef struct row_src {
	vigil__dec *dec;          /* or NULL */
	const vigil_image *img;   /* or NULL */
	int width, height, channels;
	int next;                 /* next row the source will give */
	uint8_t *buf;             /* SRC_BLOCK rows, for the decoder */
	int blk_first, blk_n;     /* rows of the image now in buf */
	int blk_max;              /* rows to read at once: 1 when skipping */
} row_src;

/* Reading a few rows per decoder call instead of one lets the luma pass
 * read rows the decoder finished a while ago rather than the one whose
 * stores are still in flight, and saves per-call work in libjpeg: the
 * full flavour reads every row, so it reads them in blocks. */
#define SRC_BLOCK 8

/* Returns row y (>= src->next), skipping what lies between. */
static int src_row(vigil_ctx *ctx, row_src *src, int y, const uint8_t **row)
{
	int rc;

	(void)ctx;
	if (src->img) {
		*row = vigil_image_row(src->img, y);
		src->next = y + 1;
		return VIGIL_OK;
	}
	if (y >= src->blk_first && y < src->blk_first + src->blk_n) {
		*row = src->buf + (size_t)(y - src->blk_first) * (size_t)src->width *
				      (size_t)src->channels;
		src->next = y + 1;
		return VIGIL_OK;
	}
	/* The decoder stands at blk_first + blk_n. */
	if (y > src->blk_first + src->blk_n) {
		rc = vigil__dec_skip_rows(src->dec, y - (src->blk_first + src->blk_n));
		if (rc)
			return rc;
	}
	src->blk_first = y;
	src->blk_n = src->blk_max;
	if (src->blk_n > src->height - y)
		src->blk_n = src->height - y;
	rc = vigil__dec_read_rows(src->dec, src->buf,
				  (size_t)src->width * (size_t)src->channels, src->blk_n);
	if (rc) {
		src->blk_n = 0;
		return rc;
	}
	src->next = y + 1;
	*row = src->buf;
	return VIGIL_OK;
}

static void zero(vigil_pdq *out, vigil_pdq dih[8])
{
	memset(out, 0, sizeof(*out));
	if (dih)
		memset(dih, 0, sizeof(vigil_pdq) * VIGIL_DIH_COUNT);
}

static int check_opts(vigil_ctx *ctx, const vigil_pdq_opts *opts)
{
	if (!opts)
		return VIGIL_OK;
	if (opts->downsample && opts->downsample != VIGIL__PDQ_512)
		return vigil__err(ctx, VIGIL_EINVAL,
				  "downsample must be 0 or 512, not %d",
				  opts->downsample);
	if (opts->fast && (opts->fast != VIGIL_PDQ_FAST || !opts->downsample))
		return vigil__err(ctx, VIGIL_EINVAL,
				  "the fast path is for the 512 flavour only");
	return VIGIL_OK;
}

/* What the decoder may scale down to: the 512 flavour samples 512 of
 * each side, so a DCT-scaled image with both sides still >= 512 is
 * sampled at about the same places (approximately: each scaled pixel is
 * the mean of an N x N block, not the one pixel the exact path picks). */
static int min_side(const vigil_pdq_opts *opts)
{
	return opts && opts->fast && opts->downsample ? VIGIL__PDQ_512 : 0;
}

/* Where output sample i of the 512 flavour falls in an image decoded at
 * 1/n of full (side pixels): the exact path reads full pixel
 * floor(i * full / 512); pixel k of the scaled image is the mean of full
 * pixels [n k, n k + n), centred at n k + (n - 1) / 2. So the sample sits
 * at scaled coordinate (x + 0.5) / n - 0.5, between two scaled pixels:
 * their neighbours and the weight of the second, in 1/256. */
static void lerp_map(int i, int full, int side, int n, int *k0, int *k1, int *w)
{
	int64_t x = (int64_t)i * full / VIGIL__PDQ_512;
	int64_t u = ((2 * x + 1) * 256 - 256 * (int64_t)n) / (2 * n); /* 1/256 */

	if (u < 0)
		u = 0;
	*k0 = (int)(u >> 8);
	*w = (int)(u & 255);
	if (*k0 >= side - 1) {
		*k0 = side - 1;
		*w = 0;
	}
	*k1 = *k0 + 1 < side ? *k0 + 1 : *k0;
}

/* The fast path's sampling (the decoder scaled the image by 1/n): each of
 * the 512 x 512 samples is the bilinear mean of the four scaled pixels
 * around where the exact path's sample lies, rather than the scaled pixel
 * it falls in. Mostly removes the shift of up to (n - 1) / 2 full pixels
 * that taking the pixel it falls in makes, which moves the hash by a few
 * bits on large photos. Rows are read in order, two kept. */
static int push_lerp(vigil_ctx *ctx, row_src *src, vigil__pdq_stream *s)
{
	const int n = src->dec->scale_denom, ch = src->channels, w = src->width;
	int x0[VIGIL__PDQ_512], x1[VIGIL__PDQ_512], wx[VIGIL__PDQ_512];
	uint8_t *keep[2] = {NULL, NULL}, *out = NULL;
	int have[2] = {-1, -1}, y, i, c, rc = VIGIL_OK;

	for (i = 0; i < VIGIL__PDQ_512; i++)
		lerp_map(i, src->dec->full_width, w, n, &x0[i], &x1[i], &wx[i]);
	keep[0] = vigil__malloc((size_t)w * (size_t)ch);
	keep[1] = vigil__malloc((size_t)w * (size_t)ch);
	out = vigil__malloc((size_t)VIGIL__PDQ_512 * (size_t)ch);
	if (!keep[0] || !keep[1] || !out) {
		rc = vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	for (y = 0; y < VIGIL__PDQ_512; y++) {
		const uint8_t *r[2];
		int k[2], wy, j;
		lerp_map(y, src->dec->full_height, src->height, n, &k[0], &k[1], &wy);
		for (j = 0; j < 2; j++) {
			int slot = have[0] == k[j] ? 0 : have[1] == k[j] ? 1 : -1;
			if (slot < 0) {
				const uint8_t *row;
				/* the slot not holding the other row we need */
				slot = j == 1 && have[0] == k[0] ? 1 : 0;
				rc = src_row(ctx, src, k[j], &row);
				if (rc)
					goto out;
				memcpy(keep[slot], row, (size_t)w * (size_t)ch);
				have[slot] = k[j];
			}
			r[j] = keep[slot];
		}
		for (i = 0; i < VIGIL__PDQ_512; i++)
			for (c = 0; c < ch; c++) {
				int a = r[0][x0[i] * ch + c] * (256 - wx[i]) +
					r[0][x1[i] * ch + c] * wx[i];
				int b = r[1][x0[i] * ch + c] * (256 - wx[i]) +
					r[1][x1[i] * ch + c] * wx[i];
				out[i * ch + c] =
					(uint8_t)((a * (256 - wy) + b * wy + (1 << 15)) >> 16);
			}
		vigil__pdq_stream_push_pixels(s, out, ch, NULL);
	}
out:
	vigil__free(keep[0]);
	vigil__free(keep[1]);
	vigil__free(out);
	return rc;
}

static int hash_src(vigil_ctx *ctx, row_src *src, const vigil_pdq_opts *opts,
		    vigil_pdq *out, vigil_pdq dih[8])
{
	vigil__pdq_stream *s = NULL;
	int xmap[VIGIL__PDQ_512];
	const uint8_t *row = NULL;
	float a[64 * 64];
	int down = opts && opts->downsample, rows, cols, y, rc;

	rc = check_opts(ctx, opts);
	if (rc)
		return rc;
	if (src->width < VIGIL__PDQ_MIN_DIM || src->height < VIGIL__PDQ_MIN_DIM) {
		zero(out, dih);
		return VIGIL_OK;
	}
	/* The C++ tool resizes any image with a side over 512 to 512x512 by
	 * nearest neighbour: output x reads input floor(x * W / 512). */
	down = down && (src->width > VIGIL__PDQ_512 || src->height > VIGIL__PDQ_512);
	rows = down ? VIGIL__PDQ_512 : src->height;
	cols = down ? VIGIL__PDQ_512 : src->width;
	if (down)
		for (y = 0; y < VIGIL__PDQ_512; y++)
			xmap[y] = (int)((int64_t)y * src->width / VIGIL__PDQ_512);
	/* Sampling down skips rows: read those it needs one by one. */
	src->blk_max = down && src->height > VIGIL__PDQ_512 ? 1 : SRC_BLOCK;
	rc = vigil__pdq_stream_new(ctx, rows, cols, &s);
	if (rc)
		return rc;
	if (!down) {
		/* Whole bands of rows go straight into the filter's layout. */
		for (y = 0; y < rows; y += SRC_BLOCK) {
			const uint8_t *px[SRC_BLOCK];
			int n = rows - y < SRC_BLOCK ? rows - y : SRC_BLOCK, k;
			for (k = 0; k < n; k++) {
				rc = src_row(ctx, src, y + k, &px[k]);
				if (rc)
					goto out;
			}
			vigil__pdq_stream_push_block(s, px, n, src->channels);
		}
	}
	if (down && src->dec && src->dec->scale_denom > 1) {
		rc = push_lerp(ctx, src, s);
		if (rc)
			goto out;
		down = 0;
	}
	for (y = 0; down && y < rows; y++) {
		int sy = (int)((int64_t)y * src->height / VIGIL__PDQ_512);
		if (sy < src->next - 1 || sy >= src->height) {
			rc = vigil__err(ctx, VIGIL_EINTERNAL, "row order");
			goto out;
		}
		if (sy == src->next - 1 && y > 0) {
			/* Upsampled rows repeat: the same luma again. */
			vigil__pdq_stream_push_repeat(s);
			continue;
		}
		rc = src_row(ctx, src, sy, &row);
		if (rc)
			goto out;
		vigil__pdq_stream_push_pixels(s, row, src->channels, xmap);
	}
	vigil__pdq_stream_end(s, a);
	vigil__pdq_finish(a, out, dih);
out:
	vigil__pdq_stream_free(s);
	return rc;
}

/* Hashes what decoder d gives; d stays the caller's. */
static int hash_dec(vigil_ctx *ctx, vigil__dec *d, const vigil_pdq_opts *opts,
		    vigil_pdq *out, vigil_pdq dih[8])
{
	row_src src;
	int rc;

	memset(&src, 0, sizeof(src));
	src.dec = d;
	src.width = d->width;
	src.height = d->height;
	src.channels = d->channels;
	src.buf = vigil__malloc((size_t)d->width * (size_t)d->channels * SRC_BLOCK);
	if (!src.buf)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	rc = hash_src(ctx, &src, opts, out, dih);
	vigil__free(src.buf);
	return rc;
}

int vigil_pdq_hash_memory(vigil_ctx *ctx, const void *data, size_t len,
			  const vigil_pdq_opts *opts, vigil_pdq *out,
			  vigil_pdq dih[8])
{
	vigil__dec *d = NULL;
	int rc;

	if (!ctx || !out)
		return vigil__err(ctx, VIGIL_EINVAL, "NULL argument");
	rc = check_opts(ctx, opts);
	if (rc)
		return rc;
	rc = vigil__dec_open_scaled(ctx, data, len, min_side(opts), &d);
	if (rc)
		return rc;
	rc = hash_dec(ctx, d, opts, out, dih);
	vigil__dec_close(d);
	return rc;
}

int vigil_hash_file(vigil_ctx *ctx, const char *path, unsigned digests,
		    uint8_t dig[][VIGIL_DIGEST_MAX], const vigil_pdq_opts *opts,
		    vigil_pdq *pdq, vigil_pdq dih[8])
{
	vigil__digests g;
	vigil__src *src = NULL;
	vigil__dec *d = NULL;
	int64_t size, max;
	int fd = -1, rc;

	if (!ctx || !path || (digests && !dig) || (!pdq && dih))
		return vigil__err(ctx, VIGIL_EINVAL, "hash_file: bad argument");
	digests &= (1u << VIGIL__DIGEST_END) - 1;
	rc = vigil__digests_init(ctx, &g, digests);
	if (rc)
		return rc;
	max = ctx->limits[VIGIL_LIMIT_MAX_BYTES];
	rc = vigil__open_regular(ctx, path, &fd, &size);
	if (rc)
		goto out;
	if (size > max) {
		rc = vigil__err(ctx, VIGIL_ETOOBIG,
				"%s: %lld bytes exceeds the limit of %lld", path,
				(long long)size, (long long)max);
		goto out;
	}
	src = vigil__malloc(sizeof(*src));
	if (!src) {
		rc = vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	rc = vigil__src_init(ctx, src, fd, path, (uint64_t)max,
			     digests ? vigil__digests_update : NULL, &g);
	if (rc)
		goto out;
	if (pdq) {
		rc = check_opts(ctx, opts);
		if (rc)
			goto out;
		rc = vigil__dec_open_src_scaled(ctx, src, min_side(opts), &d);
		if (rc)
			goto out;
		rc = hash_dec(ctx, d, opts, pdq, dih);
		if (rc)
			goto out;
	}
	if (digests) {
		rc = vigil__src_drain(ctx, src);
		if (!rc)
			rc = vigil__digests_final(ctx, &g, dig);
	}
out:
	vigil__dec_close(d);
	vigil__free(src);
	vigil__digests_free(&g);
	if (fd >= 0)
		close(fd);
	return rc;
}

int vigil_pdq_hash_file(vigil_ctx *ctx, const char *path,
			const vigil_pdq_opts *opts, vigil_pdq *out,
			vigil_pdq dih[8])
{
	if (!out)
		return vigil__err(ctx, VIGIL_EINVAL, "NULL argument");
	return vigil_hash_file(ctx, path, 0, NULL, opts, out, dih);
}

int vigil_pdq_hash_image(vigil_ctx *ctx, const vigil_image *img,
			 const vigil_pdq_opts *opts, vigil_pdq *out,
			 vigil_pdq dih[8])
{
	row_src src;

	if (!ctx || !img || !out)
		return vigil__err(ctx, VIGIL_EINVAL, "NULL argument");
	memset(&src, 0, sizeof(src));
	src.img = img;
	src.width = vigil_image_width(img);
	src.height = vigil_image_height(img);
	src.channels = vigil_image_channels(img);
	return hash_src(ctx, &src, opts, out, dih);
}
