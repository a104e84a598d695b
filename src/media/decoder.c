/* decoder.c — format dispatch, limits and the generic row server. */
#include "decoder.h"

#include <string.h>

static const vigil__dec_ops *const decoders[] = {
	&vigil__dec_jpeg, &vigil__dec_png,  &vigil__dec_webp, &vigil__dec_gif,
	&vigil__dec_tiff, &vigil__dec_heif, &vigil__dec_bmp,
};

int vigil__dec_check_dims(vigil__dec *d, int64_t w, int64_t h)
{
	vigil_ctx *ctx = d->ctx;
	int64_t side = ctx->limits[VIGIL_LIMIT_MAX_SIDE];
	int64_t pixels = ctx->limits[VIGIL_LIMIT_MAX_PIXELS];

	if (w <= 0 || h <= 0)
		return vigil__err(ctx, VIGIL_ECORRUPT, "%s: bad dimensions %lldx%lld",
				  d->ops->name, (long long)w, (long long)h);
	if (w > side || h > side || w > INT32_MAX / h || w * h > pixels)
		return vigil__err(ctx, VIGIL_ETOOBIG,
				  "%s: %lldx%lld exceeds the limits (side %lld, "
				  "%lld pixels)",
				  d->ops->name, (long long)w, (long long)h,
				  (long long)side, (long long)pixels);
	return VIGIL_OK;
}

int vigil__dec_alloc_frame(vigil__dec *d)
{
	size_t n;

	if (vigil__mul_size((size_t)d->width * (size_t)d->channels,
			    (size_t)d->height, &n))
		return vigil__err(d->ctx, VIGIL_ETOOBIG, "frame size overflow");
	d->frame = vigil__malloc(n);
	if (!d->frame)
		return vigil__err(d->ctx, VIGIL_ENOMEM,
				  "%s: no memory for a %dx%d frame", d->ops->name,
				  d->width, d->height);
	return VIGIL_OK;
}

int vigil__dec_open(vigil_ctx *ctx, const uint8_t *data, size_t len,
		    vigil__dec **out)
{
	vigil__dec *d = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if (!data && len)
		return vigil__err(ctx, VIGIL_EINVAL, "NULL data");
	if (len > (uint64_t)ctx->limits[VIGIL_LIMIT_MAX_BYTES])
		return vigil__err(ctx, VIGIL_ETOOBIG,
				  "%zu bytes exceeds the limit of %lld", len,
				  (long long)ctx->limits[VIGIL_LIMIT_MAX_BYTES]);
	for (i = 0; i < sizeof(decoders) / sizeof(decoders[0]); i++)
		if (decoders[i]->sniff(data, len))
			break;
	if (i == sizeof(decoders) / sizeof(decoders[0]))
		return vigil__err(ctx, VIGIL_EFORMAT,
				  len ? "not a recognised image format"
				      : "empty input");
	d = vigil__calloc(1, sizeof(*d));
	if (!d)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	d->ops = decoders[i];
	d->ctx = ctx;
	d->data = data;
	d->len = len;
	rc = d->ops->open(d);
	if (rc)
		goto out;
	if (d->channels != 1 && d->channels != 3) {
		rc = vigil__err(ctx, VIGIL_EINTERNAL, "%s: %d channels",
				d->ops->name, d->channels);
		goto out;
	}
	*out = d;
	d = NULL;
out:
	vigil__dec_close(d);
	return rc;
}

int vigil__dec_read_rows(vigil__dec *d, uint8_t *dst, size_t stride, int n)
{
	size_t rowbytes = (size_t)d->width * (size_t)d->channels;
	int rc, i;

	if (n < 0 || n > d->height - d->next_row)
		return vigil__err(d->ctx, VIGIL_EINVAL, "read past the last row");
	if (d->ops->read_rows) {
		rc = d->ops->read_rows(d, dst, stride, n);
		if (rc)
			return rc;
	} else {
		for (i = 0; i < n; i++)
			memcpy(dst + (size_t)i * stride,
			       d->frame + (size_t)(d->next_row + i) * rowbytes,
			       rowbytes);
	}
	d->next_row += n;
	return VIGIL_OK;
}

int vigil__dec_skip_rows(vigil__dec *d, int n)
{
	uint8_t *tmp;
	int rc = VIGIL_OK, i;

	if (n < 0 || n > d->height - d->next_row)
		return vigil__err(d->ctx, VIGIL_EINVAL, "skip past the last row");
	if (!d->ops->read_rows || n == 0) {
		d->next_row += n;
		return VIGIL_OK;
	}
	if (d->ops->skip_rows) {
		rc = d->ops->skip_rows(d, n);
		if (!rc)
			d->next_row += n;
		return rc;
	}
	tmp = vigil__malloc((size_t)d->width * (size_t)d->channels);
	if (!tmp)
		return vigil__err(d->ctx, VIGIL_ENOMEM, "out of memory");
	for (i = 0; i < n && !rc; i++)
		rc = vigil__dec_read_rows(d, tmp, 0, 1);
	vigil__free(tmp);
	return rc;
}

void vigil__dec_close(vigil__dec *d)
{
	if (!d)
		return;
	if (d->ops && d->ops->close)
		d->ops->close(d);
	vigil__free(d->frame);
	vigil__free(d);
}
