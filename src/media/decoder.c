/* decoder.c — format dispatch, limits and the generic row server. */
#include "decoder.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

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

static const vigil__dec_ops *sniff_ops(const uint8_t *data, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(decoders) / sizeof(decoders[0]); i++)
		if (decoders[i]->sniff(data, len))
			return decoders[i];
	return NULL;
}

/* Opens d (ops, ctx and the input set) and hands it to *out, or frees it. */
static int finish_open(vigil__dec *d, vigil__dec **out)
{
	int rc;

	d->scale_denom = 1;
	rc = d->ops->open(d);

	if (rc)
		goto out;
	if (d->channels != 1 && d->channels != 3) {
		rc = vigil__err(d->ctx, VIGIL_EINTERNAL, "%s: %d channels",
				d->ops->name, d->channels);
		goto out;
	}
	*out = d;
	d = NULL;
out:
	vigil__dec_close(d);
	return rc;
}

int vigil__dec_open(vigil_ctx *ctx, const uint8_t *data, size_t len,
		    vigil__dec **out)
{
	return vigil__dec_open_scaled(ctx, data, len, 0, out);
}

int vigil__dec_open_scaled(vigil_ctx *ctx, const uint8_t *data, size_t len,
			   int min_side, vigil__dec **out)
{
	const vigil__dec_ops *ops;
	vigil__dec *d;

	*out = NULL;
	if (!data && len)
		return vigil__err(ctx, VIGIL_EINVAL, "NULL data");
	if (len > (uint64_t)ctx->limits[VIGIL_LIMIT_MAX_BYTES])
		return vigil__err(ctx, VIGIL_ETOOBIG,
				  "%zu bytes exceeds the limit of %lld", len,
				  (long long)ctx->limits[VIGIL_LIMIT_MAX_BYTES]);
	ops = sniff_ops(data, len);
	if (!ops)
		return vigil__err(ctx, VIGIL_EFORMAT,
				  len ? "not a recognised image format"
				      : "empty input");
	d = vigil__calloc(1, sizeof(*d));
	if (!d)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	d->ops = ops;
	d->ctx = ctx;
	d->data = data;
	d->len = len;
	d->min_side = min_side;
	return finish_open(d, out);
}

int vigil__src_init(vigil_ctx *ctx, vigil__src *s, int fd, const char *path,
		    uint64_t max, vigil__tap_fn tap, void *tap_user)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->path = path;
	s->max = max;
	s->tap = tap;
	s->tap_user = tap_user;
	while (s->head_len < sizeof(s->head) && !s->eof) {
		long n;
		s->head_pos = s->head_len; /* nothing pending while filling */
		n = vigil__src_read(ctx, s, s->head + s->head_len,
				    sizeof(s->head) - s->head_len);
		if (n < 0)
			return s->err;
		s->head_len += (size_t)n;
	}
	/* Those bytes were read for sniffing: hand them out first. */
	s->head_pos = 0;
	return VIGIL_OK;
}

long vigil__src_read(vigil_ctx *ctx, vigil__src *s, uint8_t *buf, size_t n)
{
	ssize_t got;

	if (s->head_pos < s->head_len) {
		size_t k = s->head_len - s->head_pos;
		if (k > n)
			k = n;
		memcpy(buf, s->head + s->head_pos, k);
		s->head_pos += k;
		return (long)k;
	}
	if (s->eof || !n)
		return 0;
	do
		got = read(s->fd, buf, n);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		s->err = vigil__err(ctx, VIGIL_EIO, "%s: %s", s->path,
				    strerror(errno));
		return -1;
	}
	if (got == 0) {
		s->eof = 1;
		return 0;
	}
	s->done += (uint64_t)got;
	if (s->done > s->max) {
		s->err = vigil__err(ctx, VIGIL_ETOOBIG, "%s: more than the limit "
				    "of %llu bytes", s->path,
				    (unsigned long long)s->max);
		return -1;
	}
	if (s->tap)
		s->tap(s->tap_user, buf, (size_t)got);
	return (long)got;
}

int vigil__src_drain(vigil_ctx *ctx, vigil__src *s)
{
	uint8_t *buf;
	long n;

	s->head_pos = s->head_len;
	if (s->eof)
		return VIGIL_OK;
	buf = vigil__malloc(VIGIL__SRC_CHUNK);
	if (!buf)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	while ((n = vigil__src_read(ctx, s, buf, VIGIL__SRC_CHUNK)) > 0)
		;
	vigil__free(buf);
	return n < 0 ? s->err : VIGIL_OK;
}

int vigil__dec_open_src(vigil_ctx *ctx, vigil__src *src, vigil__dec **out)
{
	return vigil__dec_open_src_scaled(ctx, src, 0, out);
}

int vigil__dec_open_src_scaled(vigil_ctx *ctx, vigil__src *src, int min_side,
			       vigil__dec **out)
{
	const vigil__dec_ops *ops;
	vigil__dec *d;
	size_t cap, len;

	*out = NULL;
	ops = sniff_ops(src->head, src->head_len);
	if (!ops)
		return vigil__err(ctx, VIGIL_EFORMAT,
				  src->head_len ? "not a recognised image format"
						: "empty input");
	d = vigil__calloc(1, sizeof(*d));
	if (!d)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	d->ops = ops;
	d->ctx = ctx;
	d->min_side = min_side;
	if (ops->streams) {
		d->src = src;
		return finish_open(d, out);
	}
	/* A frame decoder wants the whole encoded image: read it now, in
	 * chunks, bounded by the limit (the file may grow meanwhile). */
	len = 0;
	cap = 0;
	for (;;) {
		long n;
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : (size_t)1 << 20;
			uint8_t *p;
			if (ncap > src->max + 1)
				ncap = (size_t)src->max + 1;
			if (ncap <= cap) {
				vigil__dec_close(d);
				return vigil__err(ctx, VIGIL_ETOOBIG, "%s: more than "
						  "the limit of %llu bytes", src->path,
						  (unsigned long long)src->max);
			}
			p = vigil__realloc(d->owned, ncap);
			if (!p) {
				vigil__dec_close(d);
				return vigil__err(ctx, VIGIL_ENOMEM, "%s: out of memory",
						  src->path);
			}
			d->owned = p;
			cap = ncap;
		}
		n = vigil__src_read(ctx, src, d->owned + len, cap - len);
		if (n < 0) {
			vigil__dec_close(d);
			return src->err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	d->data = d->owned;
	d->len = len;
	return finish_open(d, out);
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
	vigil__free(d->owned);
	vigil__free(d);
}
