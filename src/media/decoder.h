/* decoder.h — the internal pull interface every image decoder implements.
 *
 * A decoder is opened on an encoded buffer (which it borrows, never copies or
 * frees), or on a file (vigil__src) that decoders marked `streams` pull from
 * as they decode, so that the file is never held in memory; it reports
 * width/height/channels, then hands out rows top to bottom.
 * Streaming decoders (JPEG, non-interlaced PNG) implement read_rows and may
 * implement skip_rows cheaply; the others decode the whole frame in open()
 * into d->frame and the generic code serves rows from it. Output is 8-bit
 * grey (channels 1) or RGB (channels 3); alpha is dropped. */
#ifndef VIGIL_MEDIA_DECODER_H
#define VIGIL_MEDIA_DECODER_H

#include "../core/core.h"

typedef struct vigil__dec vigil__dec;

#define VIGIL__SNIFF_BYTES 4096 /* read first; enough for every sniff() */
#define VIGIL__SRC_CHUNK 65536  /* read size when pulling from a file */

/* Sees every byte read from a file, in order (to digest it on the way). */
typedef void (*vigil__tap_fn)(void *user, const uint8_t *p, size_t n);

/* A file being read once, front to back. The first bytes are read at init
 * for sniffing; decoders then pull the rest with vigil__src_read. */
typedef struct vigil__src {
	int fd;                          /* borrowed, open for reading */
	const char *path;                /* for messages */
	uint8_t head[VIGIL__SNIFF_BYTES];
	size_t head_len, head_pos;       /* bytes in head, handed out */
	uint64_t done;                   /* bytes read from fd so far */
	uint64_t max;                    /* reading past this is ETOOBIG */
	int eof;                         /* read() returned 0 */
	int err;                         /* status of the read that failed */
	vigil__tap_fn tap;               /* or NULL */
	void *tap_user;
} vigil__src;

/* Reads the first bytes of fd (through tap). max: the byte limit. */
int vigil__src_init(vigil_ctx *ctx, vigil__src *s, int fd, const char *path,
		    uint64_t max, vigil__tap_fn tap, void *tap_user);
/* Up to n bytes into buf: the count, 0 at the end, or -1 on an error
 * (reported on ctx). */
long vigil__src_read(vigil_ctx *ctx, vigil__src *s, uint8_t *buf, size_t n);
/* Reads (and taps) whatever the decoder left unread, to the end. */
int vigil__src_drain(vigil_ctx *ctx, vigil__src *s);

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
	/* 1 if open() can pull its input from d->src (when it is set) instead
	 * of d->data; other decoders get the whole file read into memory. */
	int streams;
} vigil__dec_ops;

struct vigil__dec {
	const vigil__dec_ops *ops;
	vigil_ctx *ctx;        /* borrowed; errors are reported here */
	const uint8_t *data;   /* borrowed encoded bytes (NULL with src) */
	size_t len;            /* their length */
	vigil__src *src;       /* borrowed: the file a streaming decoder pulls */
	uint8_t *owned;        /* the file read whole, for a frame decoder */
	int width, height;     /* set by open */
	int channels;          /* 1 (grey) or 3 (RGB), set by open */
	int next_row;          /* rows handed out so far */
	int min_side;          /* 0, or the caller accepts an approximation
				  decoded smaller (JPEG: DCT-domain 1/2, 1/4,
				  1/8) while both sides stay >= min_side */
	int scale_denom;       /* set by open: 1, or the scale it chose */
	int full_width, full_height; /* set by open with scale_denom > 1: the
					image's own size, before scaling */
	void *priv;            /* the decoder's own state */
	uint8_t *frame;        /* frame decoders: width*channels*height bytes */
};

/* Opens the decoder that recognises data. *out is freed with
 * vigil__dec_close. VIGIL_EFORMAT if no decoder recognises it. */
int vigil__dec_open(vigil_ctx *ctx, const uint8_t *data, size_t len,
		    vigil__dec **out);
/* Opens the decoder that recognises the file's first bytes: a streaming
 * one pulls from src as it decodes; for the others the whole file is read
 * (bounded by src->max) and owned by the decoder. */
int vigil__dec_open_src(vigil_ctx *ctx, vigil__src *src, vigil__dec **out);
/* The same with d->min_side set before the decoder opens (0: exact). */
int vigil__dec_open_scaled(vigil_ctx *ctx, const uint8_t *data, size_t len,
			   int min_side, vigil__dec **out);
int vigil__dec_open_src_scaled(vigil_ctx *ctx, vigil__src *src, int min_side,
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
