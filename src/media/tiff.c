/* tiff.c — the first page of a TIFF through libtiff's RGBA interface, which
 * handles every photometric, depth and compression libtiff knows. */
#include "decoder.h"

#include <string.h>
#include <tiffio.h>

typedef struct tiff_src {
	const uint8_t *data;
	toff_t len, pos;
} tiff_src;

static tmsize_t t_read(thandle_t h, void *buf, tmsize_t n)
{
	tiff_src *s = h;
	toff_t k = (toff_t)n;

	if (n < 0)
		return -1;
	if (s->pos >= s->len)
		return 0;
	if (k > s->len - s->pos)
		k = s->len - s->pos;
	memcpy(buf, s->data + s->pos, (size_t)k);
	s->pos += k;
	return (tmsize_t)k;
}

static tmsize_t t_write(thandle_t h, void *buf, tmsize_t n)
{
	(void)h;
	(void)buf;
	(void)n;
	return -1;
}

static toff_t t_seek(thandle_t h, toff_t off, int whence)
{
	tiff_src *s = h;
	toff_t base = whence == SEEK_CUR ? s->pos : whence == SEEK_END ? s->len : 0;

	s->pos = base + off;
	return s->pos;
}

static int t_close(thandle_t h)
{
	(void)h;
	return 0;
}

static toff_t t_size(thandle_t h)
{
	return ((tiff_src *)h)->len;
}

static int t_map(thandle_t h, void **base, toff_t *size)
{
	tiff_src *s = h;

	*base = (void *)s->data;
	*size = s->len;
	return 1;
}

static void t_unmap(thandle_t h, void *base, toff_t size)
{
	(void)h;
	(void)base;
	(void)size;
}

static void quiet(const char *mod, const char *fmt, va_list ap)
{
	(void)mod;
	(void)fmt;
	(void)ap;
}

static int sniff(const uint8_t *b, size_t n)
{
	return n >= 4 && ((b[0] == 'I' && b[1] == 'I' && b[2] == 42 && b[3] == 0) ||
			  (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 42) ||
			  (b[0] == 'I' && b[1] == 'I' && b[2] == 43 && b[3] == 0) ||
			  (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 43));
}

static int topen(vigil__dec *d)
{
	tiff_src src = {d->data, d->len, 0};
	TIFF *t;
	uint32_t w = 0, h = 0, *rgba = NULL;
	size_t i, n;
	int rc;

	TIFFSetErrorHandler(quiet);
	TIFFSetWarningHandler(quiet);
	t = TIFFClientOpen("mem", "rm", &src, t_read, t_write, t_seek, t_close,
			   t_size, t_map, t_unmap);
	if (!t)
		return vigil__err(d->ctx, VIGIL_ECORRUPT, "tiff: cannot parse header");
	TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
	TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
	rc = vigil__dec_check_dims(d, w, h);
	if (rc)
		goto out;
	d->width = (int)w;
	d->height = (int)h;
	d->channels = 3;
	n = (size_t)w * h;
	rgba = vigil__malloc(n * 4);
	if (!rgba) {
		rc = vigil__err(d->ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	if (!TIFFReadRGBAImageOriented(t, w, h, rgba, ORIENTATION_TOPLEFT, 0)) {
		rc = vigil__err(d->ctx, VIGIL_ECORRUPT, "tiff: cannot decode image");
		goto out;
	}
	rc = vigil__dec_alloc_frame(d);
	if (rc)
		goto out;
	for (i = 0; i < n; i++) {
		d->frame[3 * i] = (uint8_t)TIFFGetR(rgba[i]);
		d->frame[3 * i + 1] = (uint8_t)TIFFGetG(rgba[i]);
		d->frame[3 * i + 2] = (uint8_t)TIFFGetB(rgba[i]);
	}
out:
	vigil__free(rgba);
	TIFFClose(t);
	return rc;
}

const vigil__dec_ops vigil__dec_tiff = {
	"tiff", sniff, topen, NULL, NULL, NULL, 0,
};
