/* heif.c — HEIC and AVIF (the primary image) through libheif, which applies
 * the container's own rotation/mirror properties. */
#include "decoder.h"

#include <libheif/heif.h>
#include <string.h>

static int sniff(const uint8_t *b, size_t n)
{
	static const char *const brands[] = {"heic", "heix", "heim", "heis",
					     "hevc", "hevx", "mif1", "msf1",
					     "avif", "avis"};
	size_t i;

	if (n < 12 || memcmp(b + 4, "ftyp", 4) != 0)
		return 0;
	for (i = 0; i < sizeof(brands) / sizeof(brands[0]); i++)
		if (memcmp(b + 8, brands[i], 4) == 0)
			return 1;
	return 0;
}

static int hopen(vigil__dec *d)
{
	struct heif_context *hc = NULL;
	struct heif_image_handle *hh = NULL;
	struct heif_image *img = NULL;
	struct heif_error e;
	const uint8_t *plane;
	int stride = 0, rc, y;

	hc = heif_context_alloc();
	if (!hc)
		return vigil__err(d->ctx, VIGIL_ENOMEM, "out of memory");
	e = heif_context_read_from_memory_without_copy(hc, d->data, d->len, NULL);
	if (e.code != heif_error_Ok) {
		rc = vigil__err(d->ctx, VIGIL_ECORRUPT, "heif: %s", e.message);
		goto out;
	}
	e = heif_context_get_primary_image_handle(hc, &hh);
	if (e.code != heif_error_Ok) {
		rc = vigil__err(d->ctx, VIGIL_ECORRUPT, "heif: %s", e.message);
		goto out;
	}
	rc = vigil__dec_check_dims(d, heif_image_handle_get_width(hh),
				   heif_image_handle_get_height(hh));
	if (rc)
		goto out;
	e = heif_decode_image(hh, &img, heif_colorspace_RGB,
			      heif_chroma_interleaved_RGB, NULL);
	if (e.code != heif_error_Ok) {
		rc = vigil__err(d->ctx, e.code == heif_error_Memory_allocation_error
					       ? VIGIL_ENOMEM
					       : VIGIL_ECORRUPT,
				"heif: %s", e.message);
		goto out;
	}
	d->width = heif_image_get_width(img, heif_channel_interleaved);
	d->height = heif_image_get_height(img, heif_channel_interleaved);
	d->channels = 3;
	rc = vigil__dec_check_dims(d, d->width, d->height);
	if (rc)
		goto out;
	plane = heif_image_get_plane_readonly(img, heif_channel_interleaved, &stride);
	if (!plane || stride < d->width * 3) {
		rc = vigil__err(d->ctx, VIGIL_ECORRUPT, "heif: no pixels");
		goto out;
	}
	rc = vigil__dec_alloc_frame(d);
	if (rc)
		goto out;
	for (y = 0; y < d->height; y++)
		memcpy(d->frame + (size_t)y * d->width * 3,
		       plane + (size_t)y * stride, (size_t)d->width * 3);
out:
	heif_image_release(img);
	heif_image_handle_release(hh);
	heif_context_free(hc);
	return rc;
}

const vigil__dec_ops vigil__dec_heif = {
	"heif", sniff, hopen, NULL, NULL, NULL, 0,
};
