/* image.h — the decoded image behind the public vigil_image handle. */
#ifndef VIGIL_MEDIA_IMAGE_H
#define VIGIL_MEDIA_IMAGE_H

#include "../core/core.h"

struct vigil_image {
	int width, height, channels; /* channels 1 or 3 */
	const char *format;          /* static name of the source format */
	uint8_t *pixels;             /* height rows of width*channels bytes */
};

/* Wraps caller pixels in a new image (copies them). */
int vigil__image_from_pixels(vigil_ctx *ctx, const uint8_t *px, int w, int h,
			     int channels, vigil_image **out);

#endif
