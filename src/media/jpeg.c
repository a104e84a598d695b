/* jpeg.c — streaming JPEG decoding through libjpeg-turbo.
 *
 * Decoded as ImageMagick/CImg give the PDQ reference its pixels: libjpeg's
 * default (accurate integer) IDCT and fancy upsampling, grey kept grey, CMYK
 * (Adobe, stored inverted) turned into RGB as c*k/255. On request
 * (d->min_side), a large image is decoded at 1/2, 1/4 or 1/8 in the DCT
 * domain instead: an approximation for the fast PDQ path. Corrupt data that
 * libjpeg can only warn about is an error once the input runs out
 * (a truncated file); other warnings are tolerated as decoders do. */
#include "decoder.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#define VIGIL__JPEG_MAX_SCANS 1000 /* progressive-scan bomb guard */

typedef struct jpeg_priv {
	struct jpeg_decompress_struct cinfo;
	struct jpeg_error_mgr jerr;
	struct jpeg_progress_mgr progress;
	jmp_buf jb;
	int created;    /* cinfo needs jpeg_destroy_decompress */
	int cmyk;       /* output is CMYK; convert per row */
	uint8_t *cmykrow; /* one CMYK row when cmyk */
	char msg[JMSG_LENGTH_MAX];
	struct jpeg_source_mgr fsrc; /* reading from d->src */
	vigil__dec *d;
	JOCTET *inbuf;    /* VIGIL__SRC_CHUNK bytes of the file */
} jpeg_priv;

/* A libjpeg source over the file being read (d->src), as jpeg_stdio_src
 * but through vigil__src_read, so that the bytes are also digested and
 * the byte limit holds. The end of the data is handled as jpeg_mem_src
 * does: a warning (a truncated file, refused in on_message) and an EOI. */
static void fsrc_init(j_decompress_ptr c)
{
	(void)c;
}

static boolean fsrc_fill(j_decompress_ptr c)
{
	jpeg_priv *p = (jpeg_priv *)c->client_data;
	long n = vigil__src_read(p->d->ctx, p->d->src, p->inbuf, VIGIL__SRC_CHUNK);

	if (n < 0) {
		snprintf(p->msg, sizeof(p->msg), "%s", vigil_errmsg(p->d->ctx));
		longjmp(p->jb, 1);
	}
	if (n == 0) {
		WARNMS(c, JWRN_JPEG_EOF);
		p->inbuf[0] = (JOCTET)0xFF;
		p->inbuf[1] = (JOCTET)JPEG_EOI;
		n = 2;
	}
	p->fsrc.next_input_byte = p->inbuf;
	p->fsrc.bytes_in_buffer = (size_t)n;
	return TRUE;
}

static void fsrc_skip(j_decompress_ptr c, long num)
{
	jpeg_priv *p = (jpeg_priv *)c->client_data;

	if (num <= 0)
		return;
	while ((size_t)num > p->fsrc.bytes_in_buffer) {
		num -= (long)p->fsrc.bytes_in_buffer;
		fsrc_fill(c);
	}
	p->fsrc.next_input_byte += num;
	p->fsrc.bytes_in_buffer -= (size_t)num;
}

static void fsrc_term(j_decompress_ptr c)
{
	(void)c;
}

static void on_error(j_common_ptr cinfo)
{
	jpeg_priv *p = (jpeg_priv *)cinfo->client_data;

	cinfo->err->format_message(cinfo, p->msg);
	longjmp(p->jb, 1);
}

static void on_message(j_common_ptr cinfo, int level)
{
	jpeg_priv *p = (jpeg_priv *)cinfo->client_data;

	/* A warning that the data ran out means the file is truncated: the
	 * rest of the image would be invented grey, so refuse it. */
	if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
		cinfo->err->format_message(cinfo, p->msg);
		longjmp(p->jb, 1);
	}
}

static void on_progress(j_common_ptr cinfo)
{
	j_decompress_ptr d = (j_decompress_ptr)cinfo;
	jpeg_priv *p = (jpeg_priv *)cinfo->client_data;

	if (cinfo->is_decompressor && d->input_scan_number > VIGIL__JPEG_MAX_SCANS) {
		snprintf(p->msg, sizeof(p->msg), "more than %d scans",
			 VIGIL__JPEG_MAX_SCANS);
		longjmp(p->jb, 1);
	}
}

static int sniff(const uint8_t *b, size_t n)
{
	return n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
}

static int fail(vigil__dec *d)
{
	jpeg_priv *p = d->priv;

	return vigil__err(d->ctx, VIGIL_ECORRUPT, "jpeg: %s", p->msg);
}

static int jopen(vigil__dec *d)
{
	jpeg_priv *p;
	struct jpeg_decompress_struct *c;
	int rc;

	p = vigil__calloc(1, sizeof(*p));
	if (!p)
		return vigil__err(d->ctx, VIGIL_ENOMEM, "out of memory");
	d->priv = p;
	c = &p->cinfo;
	c->err = jpeg_std_error(&p->jerr);
	p->jerr.error_exit = on_error;
	p->jerr.emit_message = on_message;
	if (setjmp(p->jb))
		return fail(d);
	jpeg_create_decompress(c);
	p->created = 1;
	c->client_data = p;
	p->progress.progress_monitor = on_progress;
	c->progress = &p->progress;
	if (d->src) {
		p->d = d;
		p->inbuf = vigil__malloc(VIGIL__SRC_CHUNK);
		if (!p->inbuf)
			return vigil__err(d->ctx, VIGIL_ENOMEM, "out of memory");
		p->fsrc.init_source = fsrc_init;
		p->fsrc.fill_input_buffer = fsrc_fill;
		p->fsrc.skip_input_data = fsrc_skip;
		p->fsrc.resync_to_restart = jpeg_resync_to_restart;
		p->fsrc.term_source = fsrc_term;
		c->src = &p->fsrc;
	} else {
		jpeg_mem_src(c, d->data, (unsigned long)d->len);
	}
	jpeg_read_header(c, TRUE);
	rc = vigil__dec_check_dims(d, c->image_width, c->image_height);
	if (rc)
		return rc;
	switch (c->jpeg_color_space) {
	case JCS_GRAYSCALE:
		c->out_color_space = JCS_GRAYSCALE;
		d->channels = 1;
		break;
	case JCS_CMYK:
	case JCS_YCCK:
		c->out_color_space = JCS_CMYK;
		p->cmyk = 1;
		d->channels = 3;
		break;
	default:
		c->out_color_space = JCS_RGB;
		d->channels = 3;
		break;
	}
	c->dct_method = JDCT_ISLOW;
	c->do_fancy_upsampling = TRUE;
	if (d->min_side > 0) {
		/* The approximate path: the smallest DCT-domain scale (libjpeg's
		 * output side is ceil(side / N)) that keeps both sides at least
		 * min_side; 1 (exact) if the image is not large enough. */
		unsigned n;
		for (n = 8; n > 1; n /= 2)
			if ((c->image_width + n - 1) / n >= (unsigned)d->min_side &&
			    (c->image_height + n - 1) / n >= (unsigned)d->min_side)
				break;
		c->scale_num = 1;
		c->scale_denom = n;
		d->scale_denom = (int)n;
		d->full_width = (int)c->image_width;
		d->full_height = (int)c->image_height;
	}
	jpeg_start_decompress(c);
	d->width = (int)c->output_width;
	d->height = (int)c->output_height;
	if (p->cmyk) {
		p->cmykrow = vigil__malloc((size_t)d->width * 4);
		if (!p->cmykrow)
			return vigil__err(d->ctx, VIGIL_ENOMEM, "out of memory");
	}
	return VIGIL_OK;
}

static void cmyk_to_rgb(const uint8_t *in, uint8_t *out, int w)
{
	int x;

	for (x = 0; x < w; x++, in += 4, out += 3) {
		unsigned k = in[3];
		out[0] = (uint8_t)(in[0] * k / 255);
		out[1] = (uint8_t)(in[1] * k / 255);
		out[2] = (uint8_t)(in[2] * k / 255);
	}
}

static int jread(vigil__dec *d, uint8_t *dst, size_t stride, int n)
{
	jpeg_priv *p = d->priv;
	volatile int i = 0;

	if (setjmp(p->jb))
		return fail(d);
	for (; i < n; i++) {
		JSAMPROW row = p->cmyk ? p->cmykrow : dst + (size_t)i * stride;
		if (jpeg_read_scanlines(&p->cinfo, &row, 1) != 1) {
			snprintf(p->msg, sizeof(p->msg), "no more scanlines");
			return fail(d);
		}
		if (p->cmyk)
			cmyk_to_rgb(p->cmykrow, dst + (size_t)i * stride, d->width);
	}
	return VIGIL_OK;
}

static int jskip(vigil__dec *d, int n)
{
	jpeg_priv *p = d->priv;

	if (setjmp(p->jb))
		return fail(d);
	if (jpeg_skip_scanlines(&p->cinfo, (JDIMENSION)n) != (JDIMENSION)n) {
		snprintf(p->msg, sizeof(p->msg), "could not skip rows");
		return fail(d);
	}
	return VIGIL_OK;
}

static void jclose(vigil__dec *d)
{
	jpeg_priv *p = d->priv;

	if (!p)
		return;
	if (p->created)
		jpeg_destroy_decompress(&p->cinfo);
	vigil__free(p->cmykrow);
	vigil__free(p->inbuf);
	vigil__free(p);
	d->priv = NULL;
}

const vigil__dec_ops vigil__dec_jpeg = {
	"jpeg", sniff, jopen, jread, jskip, jclose, 1,
};
