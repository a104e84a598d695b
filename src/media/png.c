/* png.c — PNG through libpng: every colour type and depth, expanded to 8-bit
 * grey or RGB (palette and tRNS expanded, 16-bit rounded to 8, alpha
 * dropped). Non-interlaced images stream row by row; interlaced (Adam7) ones
 * are decoded whole, which libpng requires. */
#include "decoder.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

typedef struct png_priv {
	png_structp png;
	png_infop info;
	size_t pos;          /* read position in d->data */
	png_bytep *rows;     /* interlaced: row pointers into d->frame */
	char msg[160];       /* libpng's error text */
} png_priv;

static void on_error(png_structp png, png_const_charp msg)
{
	png_priv *p = png_get_error_ptr(png);

	snprintf(p->msg, sizeof(p->msg), "%s", msg);
	png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void on_read(png_structp png, png_bytep out, size_t n)
{
	vigil__dec *d = png_get_io_ptr(png);
	png_priv *p = d->priv;

	if (d->src) {
		while (n) {
			long got = vigil__src_read(d->ctx, d->src, out, n);
			if (got < 0)
				png_error(png, vigil_errmsg(d->ctx));
			if (got == 0)
				png_error(png, "truncated file");
			out += got;
			n -= (size_t)got;
		}
		return;
	}
	if (n > d->len - p->pos)
		png_error(png, "truncated file");
	memcpy(out, d->data + p->pos, n);
	p->pos += n;
}

static int sniff(const uint8_t *b, size_t n)
{
	return n >= 8 && png_sig_cmp((png_const_bytep)b, 0, 8) == 0;
}

static int fail(vigil__dec *d)
{
	png_priv *p = d->priv;

	return vigil__err(d->ctx, VIGIL_ECORRUPT, "png: %s", p->msg);
}

static int popen_(vigil__dec *d)
{
	png_priv *p;
	png_uint_32 w, h;
	int depth, ctype, interlace, rc, pass, npass, y;

	p = vigil__calloc(1, sizeof(*p));
	if (!p)
		return vigil__err(d->ctx, VIGIL_ENOMEM, "out of memory");
	d->priv = p;
	p->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, p, on_error,
					on_warning);
	if (!p->png)
		return vigil__err(d->ctx, VIGIL_ENOMEM, "out of memory");
	p->info = png_create_info_struct(p->png);
	if (!p->info)
		return vigil__err(d->ctx, VIGIL_ENOMEM, "out of memory");
	if (setjmp(png_jmpbuf(p->png)))
		return fail(d);
	png_set_read_fn(p->png, d, on_read);
	/* Hostile files: bound what ancillary chunks may allocate. */
	png_set_chunk_malloc_max(p->png, 8u << 20);
	png_set_user_limits(p->png, 0x7fffffff, 0x7fffffff);
	png_read_info(p->png, p->info);
	png_get_IHDR(p->png, p->info, &w, &h, &depth, &ctype, &interlace, NULL,
		     NULL);
	rc = vigil__dec_check_dims(d, w, h);
	if (rc)
		return rc;
	png_set_expand(p->png);
	if (depth == 16)
		png_set_scale_16(p->png);
	png_set_strip_alpha(p->png);
	npass = png_set_interlace_handling(p->png);
	png_read_update_info(p->png, p->info);
	d->width = (int)w;
	d->height = (int)h;
	d->channels = (int)png_get_channels(p->png, p->info);
	if (d->channels != 1 && d->channels != 3)
		return vigil__err(d->ctx, VIGIL_EFORMAT, "png: %d channels",
				  d->channels);
	if (npass == 1)
		return VIGIL_OK;
	/* Interlaced: decode the whole frame now. */
	rc = vigil__dec_alloc_frame(d);
	if (rc)
		return rc;
	p->rows = vigil__malloc(sizeof(*p->rows) * (size_t)h);
	if (!p->rows)
		return vigil__err(d->ctx, VIGIL_ENOMEM, "out of memory");
	for (y = 0; y < (int)h; y++)
		p->rows[y] = d->frame + (size_t)y * w * (size_t)d->channels;
	for (pass = 0; pass < npass; pass++)
		png_read_rows(p->png, p->rows, NULL, h);
	return VIGIL_OK;
}

static int pread(vigil__dec *d, uint8_t *dst, size_t stride, int n)
{
	png_priv *p = d->priv;
	volatile int i = 0;

	if (setjmp(png_jmpbuf(p->png)))
		return fail(d);
	for (; i < n; i++)
		png_read_row(p->png, dst + (size_t)i * stride, NULL);
	return VIGIL_OK;
}

static void pclose_(vigil__dec *d)
{
	png_priv *p = d->priv;

	if (!p)
		return;
	if (p->png)
		png_destroy_read_struct(&p->png, p->info ? &p->info : NULL, NULL);
	vigil__free(p->rows);
	vigil__free(p);
	d->priv = NULL;
}

/* The read hook is swapped for the frame server on interlaced images. */
static int pread_any(vigil__dec *d, uint8_t *dst, size_t stride, int n)
{
	size_t rowbytes = (size_t)d->width * (size_t)d->channels;
	int i;

	if (!d->frame)
		return pread(d, dst, stride, n);
	for (i = 0; i < n; i++)
		memcpy(dst + (size_t)i * stride,
		       d->frame + (size_t)(d->next_row + i) * rowbytes, rowbytes);
	return VIGIL_OK;
}

const vigil__dec_ops vigil__dec_png = {
	"png", sniff, popen_, pread_any, NULL, pclose_, 1,
};
