/* jpeg.c — streaming JPEG decoding through libjpeg-turbo.
 *
 * Decoded as ImageMagick/CImg give the PDQ reference its pixels: libjpeg's
 * default (accurate integer) IDCT and fancy upsampling, grey kept grey, CMYK
 * (Adobe, stored inverted) turned into RGB as c*k/255. Corrupt data that
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
} jpeg_priv;

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
	jpeg_mem_src(c, d->data, (unsigned long)d->len);
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
	vigil__free(p);
	d->priv = NULL;
}

const vigil__dec_ops vigil__dec_jpeg = {
	"jpeg", sniff, jopen, jread, jskip, jclose,
};
