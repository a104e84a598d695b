/* decoder.h — the internal pull interface every image decoder implements.
 *
 * A decoder is opened on an encoded buffer (which it borrows, never copies or
 * frees), reports width/height/channels, then hands out rows top to bottom.
 * Streaming decoders (JPEG, non-interlaced PNG) implement read_rows and may
 * implement skip_rows cheaply; the others decode the whole frame in open()
 * into d->frame and the generic code serves rows from it. Output is 8-bit
 * grey (channels 1) or RGB (channels 3); alpha is dropped. */
#ifndef VIGIL_MEDIA_DECODER_H
#define VIGIL_MEDIA_DECODER_H

#include "../core/core.h"

typedef struct vigil__dec vigil__dec;

typedef struct vigil__dec_ops {
	const char *name; /* short format name: "jpeg", "png", ... */
	/* 1 if the first n bytes look like this format. */
	int (*sniff)(const uint8_t *p, size_t n);
	/* Parses the header, checks limits (vigil__dec_check_dims), sets width,
	 * height, channels; frame decoders also fill frame. */
	int (*open)(vigil__dec *d);
	/* Streaming only (NULL for frame decoders): the next n rows. */
	int (*read_rows)(vigil__dec *d, uint8_t *dst, size_t stride, int n);
	/* Optional: discard the next n rows cheaply. */
	int (*skip_rows)(vigil__dec *d, int n);
	/* Releases priv (not frame, which the generic code frees). */
	void (*close)(vigil__dec *d);
} vigil__dec_ops;

struct vigil__dec {
	const vigil__dec_ops *ops;
	vigil_ctx *ctx;        /* borrowed; errors are reported here */
	const uint8_t *data;   /* borrowed encoded bytes */
	size_t len;            /* their length */
	int width, height;     /* set by open */
	int channels;          /* 1 (grey) or 3 (RGB), set by open */
	int next_row;          /* rows handed out so far */
	void *priv;            /* the decoder's own state */
	uint8_t *frame;        /* frame decoders: width*channels*height bytes */
};

/* Opens the decoder that recognises data. *out is freed with
 * vigil__dec_close. VIGIL_EFORMAT if no decoder recognises it. */
int vigil__dec_open(vigil_ctx *ctx, const uint8_t *data, size_t len,
		    vigil__dec **out);
int vigil__dec_read_rows(vigil__dec *d, uint8_t *dst, size_t stride, int n);
int vigil__dec_skip_rows(vigil__dec *d, int n);
void vigil__dec_close(vigil__dec *d);

/* Checks w x h against the context's limits before anything is allocated
 * for it; reports ETOOBIG or ECORRUPT (for zero/negative sizes). */
int vigil__dec_check_dims(vigil__dec *d, int64_t w, int64_t h);
/* Allocates d->frame for width*height*channels after the limits passed. */
int vigil__dec_alloc_frame(vigil__dec *d);

extern const vigil__dec_ops vigil__dec_jpeg;
extern const vigil__dec_ops vigil__dec_png;
extern const vigil__dec_ops vigil__dec_webp;
extern const vigil__dec_ops vigil__dec_gif;
extern const vigil__dec_ops vigil__dec_tiff;
extern const vigil__dec_ops vigil__dec_heif;
extern const vigil__dec_ops vigil__dec_bmp;

#endif
