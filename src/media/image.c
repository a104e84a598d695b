/* image.c — whole-image decoding for API users that want pixels. */
#include "image.h"
#include "decoder.h"

#include <string.h>

static int image_alloc(vigil_ctx *ctx, int w, int h, int ch, vigil_image **out)
{
	vigil_image *img;
	size_t n;

	*out = NULL;
	if (vigil__mul_size((size_t)w * (size_t)ch, (size_t)h, &n))
		return vigil__err(ctx, VIGIL_ETOOBIG, "image too large");
	img = vigil__calloc(1, sizeof(*img));
	if (!img)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	img->pixels = vigil__malloc(n);
	if (!img->pixels) {
		vigil__free(img);
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	}
	img->width = w;
	img->height = h;
	img->channels = ch;
	img->format = "raw";
	*out = img;
	return VIGIL_OK;
}

int vigil__image_from_pixels(vigil_ctx *ctx, const uint8_t *px, int w, int h,
			     int channels, vigil_image **out)
{
	int rc;

	if (w <= 0 || h <= 0 || (channels != 1 && channels != 3) || !px)
		return vigil__err(ctx, VIGIL_EINVAL, "bad image geometry");
	rc = image_alloc(ctx, w, h, channels, out);
	if (rc)
		return rc;
	memcpy((*out)->pixels, px, (size_t)w * h * channels);
	return VIGIL_OK;
}

int vigil_image_decode(vigil_ctx *ctx, const void *data, size_t len,
		       vigil_image **out)
{
	vigil__dec *d = NULL;
	vigil_image *img = NULL;
	int rc;

	if (!ctx || !out)
		return vigil__err(ctx, VIGIL_EINVAL, "NULL argument");
	*out = NULL;
	rc = vigil__dec_open(ctx, data, len, &d);
	if (rc)
		return rc;
	rc = image_alloc(ctx, d->width, d->height, d->channels, &img);
	if (rc)
		goto out;
	img->format = d->ops->name;
	rc = vigil__dec_read_rows(d, img->pixels,
				  (size_t)d->width * (size_t)d->channels, d->height);
	if (rc)
		goto out;
	*out = img;
	img = NULL;
out:
	vigil_image_free(img);
	vigil__dec_close(d);
	return rc;
}

int vigil_image_load(vigil_ctx *ctx, const char *path, vigil_image **out)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc;

	if (out)
		*out = NULL;
	rc = vigil_read_file(ctx, path, &data, &len);
	if (rc)
		return rc;
	rc = vigil_image_decode(ctx, data, len, out);
	vigil__free(data);
	return rc;
}

void vigil_image_free(vigil_image *img)
{
	if (!img)
		return;
	vigil__free(img->pixels);
	vigil__free(img);
}

int vigil_image_width(const vigil_image *img) { return img ? img->width : 0; }
int vigil_image_height(const vigil_image *img) { return img ? img->height : 0; }
int vigil_image_channels(const vigil_image *img) { return img ? img->channels : 0; }
const char *vigil_image_format(const vigil_image *img)
{
	return img ? img->format : "";
}

const uint8_t *vigil_image_row(const vigil_image *img, int y)
{
	if (!img || y < 0 || y >= img->height)
		return NULL;
	return img->pixels + (size_t)y * img->width * img->channels;
}
