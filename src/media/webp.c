/* webp.c — WebP (lossy, lossless, with alpha; first frame of an animation is
 * not supported by the simple API and is refused) through libwebp. */
#include "decoder.h"

#include <webp/decode.h>

static int sniff(const uint8_t *b, size_t n)
{
	return n >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' &&
	       b[3] == 'F' && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' &&
	       b[11] == 'P';
}

static int wopen(vigil__dec *d)
{
	WebPBitstreamFeatures f;
	int rc;

	if (WebPGetFeatures(d->data, d->len, &f) != VP8_STATUS_OK)
		return vigil__err(d->ctx, VIGIL_ECORRUPT, "webp: bad header");
	if (f.has_animation)
		return vigil__err(d->ctx, VIGIL_EFORMAT,
				  "webp: animated WebP is not supported");
	rc = vigil__dec_check_dims(d, f.width, f.height);
	if (rc)
		return rc;
	d->width = f.width;
	d->height = f.height;
	d->channels = 3;
	rc = vigil__dec_alloc_frame(d);
	if (rc)
		return rc;
	if (!WebPDecodeRGBInto(d->data, d->len, d->frame,
			       (size_t)d->width * 3 * (size_t)d->height,
			       d->width * 3))
		return vigil__err(d->ctx, VIGIL_ECORRUPT,
				  "webp: corrupt or truncated data");
	return VIGIL_OK;
}

const vigil__dec_ops vigil__dec_webp = {
	"webp", sniff, wopen, NULL, NULL, NULL, 0,
};
