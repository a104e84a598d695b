/*
 * vigil.h — the one public header of libvigil.
 *
 * What is not declared here is not API. Conventions (see docs/API.md):
 *  - Every function that can fail returns an int status: 0 (VIGIL_OK) or a
 *    positive VIGIL_E* code; vigil_strerror() names it and vigil_errmsg()
 *    gives the detail of the last failure on that context.
 *  - Long-lived objects are opaque handles made by *_new and released by
 *    *_free; *_free(NULL) is a no-op.
 *  - Small hot values (a PDQ hash with its quality) are plain structs the
 *    caller owns.
 *  - The library never aborts on out-of-memory; it returns VIGIL_ENOMEM.
 *  - A vigil_ctx is used by one thread at a time; use one per thread.
 */
#ifndef VIGIL_H
#define VIGIL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIGIL_VERSION "0.1.0"

/* Status codes. Only ever appended: a code's number never changes. */
#define VIGIL_STATUS_MAP(X)                                                    \
	X(OK, 0, "success")                                                    \
	X(ENOMEM, 1, "out of memory")                                          \
	X(EINVAL, 2, "invalid argument")                                       \
	X(EIO, 3, "input/output error")                                        \
	X(ENOENT, 4, "not found")                                              \
	X(EFORMAT, 5, "unrecognised or unsupported format")                    \
	X(ECORRUPT, 6, "corrupt or truncated data")                            \
	X(ETOOBIG, 7, "input exceeds a configured limit")                      \
	X(EINTERNAL, 8, "internal error")                                      \
	X(EEXIST, 9, "already exists")                                         \
	X(ESTORE, 10, "storage error")                                         \
	X(EABORTED, 11, "aborted")

typedef enum vigil_status {
#define VIGIL__ENUM(name, num, text) VIGIL_##name = num,
	VIGIL_STATUS_MAP(VIGIL__ENUM)
#undef VIGIL__ENUM
	VIGIL__STATUS_END
} vigil_status;

/* A static English description of a status code; never NULL. Unknown
 * codes give "unknown status". */
const char *vigil_strerror(int code);

/* The symbolic name ("VIGIL_ENOMEM") of a status code; never NULL. */
const char *vigil_status_name(int code);

/* ---------------------------------------------------------------- context */

typedef struct vigil_ctx vigil_ctx;

/* Resource limits, checked before any large allocation. */
typedef enum vigil_limit {
	VIGIL_LIMIT_MAX_BYTES = 0,  /* largest input file/buffer, bytes */
	VIGIL_LIMIT_MAX_PIXELS = 1, /* largest width*height of a decoded image */
	VIGIL_LIMIT_MAX_SIDE = 2,   /* largest width or height */
	VIGIL__LIMIT_END
} vigil_limit;

#define VIGIL_DEFAULT_MAX_BYTES ((int64_t)256 << 20)   /* 256 MiB */
#define VIGIL_DEFAULT_MAX_PIXELS ((int64_t)200000000)  /* 200 megapixels */
#define VIGIL_DEFAULT_MAX_SIDE ((int64_t)65535)

/* Makes a context with default limits. *out is owned by the caller and
 * released with vigil_ctx_free(). Returns VIGIL_ENOMEM or VIGIL_OK. */
int vigil_ctx_new(vigil_ctx **out);
void vigil_ctx_free(vigil_ctx *ctx);

/* The detail of the last failure on ctx ("" if none). The string belongs to
 * ctx and is valid until the next call on ctx. */
const char *vigil_errmsg(const vigil_ctx *ctx);

/* Sets a limit; value must be > 0. Returns VIGIL_EINVAL otherwise. */
int vigil_ctx_set_limit(vigil_ctx *ctx, vigil_limit which, int64_t value);
int64_t vigil_ctx_get_limit(const vigil_ctx *ctx, vigil_limit which);

/* ------------------------------------------------------------------ images */

/* A decoded 8-bit image: grey (channels 1) or RGB (channels 3), rows top to
 * bottom, alpha dropped without compositing (what the PDQ reference does). */
typedef struct vigil_image vigil_image;

/* The media type of content by its first bytes (a static string: JPEG, PNG, WebP, GIF, MP4,
 * WebM), else "application/octet-stream". */
const char *vigil_media_type(const uint8_t *d, size_t n);

/* Decodes a whole image from memory (JPEG, PNG, WebP, GIF first frame, TIFF
 * first page, BMP, HEIC/AVIF). data is only read, and not kept. *out is owned
 * by the caller (vigil_image_free). */
int vigil_image_decode(vigil_ctx *ctx, const void *data, size_t len,
		       vigil_image **out);
int vigil_image_load(vigil_ctx *ctx, const char *path, vigil_image **out);
void vigil_image_free(vigil_image *img);
int vigil_image_width(const vigil_image *img);
int vigil_image_height(const vigil_image *img);
int vigil_image_channels(const vigil_image *img);
/* Row y (0-based) of width*channels bytes; owned by img. */
const uint8_t *vigil_image_row(const vigil_image *img, int y);
/* The short name of the format the image was decoded from ("jpeg", ...). */
const char *vigil_image_format(const vigil_image *img);

/* -------------------------------------------------------------------- PDQ */

/* A PDQ hash: 256 bits as 32 bytes in the order of its 64-digit hex form
 * (byte 0 = the first two hex digits), and its quality 0..100. */
typedef struct vigil_pdq {
	uint8_t bits[32]; /* big-endian; bit k of the reference is bit k of the number */
	int quality;      /* 0..100; the reference advises ignoring < 50 */
} vigil_pdq;

/* The eight dihedral variants, in the reference's order. */
typedef enum vigil_dihedral {
	VIGIL_DIH_ORIGINAL = 0,
	VIGIL_DIH_ROTATE90 = 1,
	VIGIL_DIH_ROTATE180 = 2,
	VIGIL_DIH_ROTATE270 = 3,
	VIGIL_DIH_FLIPX = 4,
	VIGIL_DIH_FLIPY = 5,
	VIGIL_DIH_FLIPPLUS1 = 6,
	VIGIL_DIH_FLIPMINUS1 = 7,
	VIGIL_DIH_COUNT = 8
} vigil_dihedral;

/* Short name of a dihedral variant ("orig", "rot90", ...); never NULL. */
const char *vigil_dihedral_name(int variant);

/* PDQ options. Zero-initialise, then set what you need. */
typedef struct vigil_pdq_opts {
	int downsample; /* 0: full-size (Java/HMA/pdqhash flavour, default);
			   512: the C++ tool's nearest-neighbour 512x512
			   for images with a side over 512 */
	int fast;       /* 0 (default): bit-exact. VIGIL_PDQ_FAST, with
			   downsample 512 only: an approximation that decodes
			   a JPEG whose sides are both 1023 or more at 1/2,
			   1/4 or 1/8 in the DCT domain (the smallest scale
			   keeping both sides >= 512) before the 512x512
			   sampling; other images hash exactly. Not for
			   vigil_pdq_hash_image (already decoded: exact).
			   Deviation: docs/pdq.md */
} vigil_pdq_opts;

#define VIGIL_PDQ_FAST 1 /* vigil_pdq_opts.fast */

/* Hashes an encoded image held in memory. out receives the hash; dih, if not
 * NULL, receives all eight dihedral variants (dih[0] == *out). Streams the
 * decoder's rows through the filters, so memory is O(width), not
 * O(width*height), for JPEG and PNG. */
int vigil_pdq_hash_memory(vigil_ctx *ctx, const void *data, size_t len,
			  const vigil_pdq_opts *opts, vigil_pdq *out,
			  vigil_pdq dih[8]);
int vigil_pdq_hash_file(vigil_ctx *ctx, const char *path,
			const vigil_pdq_opts *opts, vigil_pdq *out,
			vigil_pdq dih[8]);
/* Hashes an already decoded image (e.g. a video frame). */
int vigil_pdq_hash_image(vigil_ctx *ctx, const vigil_image *img,
			 const vigil_pdq_opts *opts, vigil_pdq *out,
			 vigil_pdq dih[8]);

/* Hex form: writes 64 hex digits and a NUL into hex[65]. */
void vigil_pdq_to_hex(const vigil_pdq *h, char hex[65]);
/* Parses exactly 64 hex digits (either case); quality is left untouched.
 * Returns VIGIL_EINVAL on anything else. */
int vigil_pdq_from_hex(const char *hex, vigil_pdq *h);
/* Number of differing bits, 0..256. */
int vigil_pdq_distance(const vigil_pdq *a, const vigil_pdq *b);

/* -------------------------------------------------------- exact digests */

typedef enum vigil_digest_algo {
	VIGIL_MD5 = 0,
	VIGIL_SHA1 = 1,
	VIGIL_SHA256 = 2,
	VIGIL__DIGEST_END
} vigil_digest_algo;

#define VIGIL_DIGEST_MAX 32

/* Digest of a buffer: writes vigil_digest_size(algo) bytes into out. */
int vigil_digest(vigil_ctx *ctx, vigil_digest_algo algo, const void *data,
		 size_t len, uint8_t out[VIGIL_DIGEST_MAX]);
size_t vigil_digest_size(vigil_digest_algo algo);
const char *vigil_digest_name(vigil_digest_algo algo);

/* Hashes the file at path in one pass as it is read: the exact digests
 * selected by digests (bits 1u << vigil_digest_algo) into dig[algo], and,
 * if pdq is not NULL, its PDQ hash (dih as for vigil_pdq_hash_memory). The
 * format is sniffed from the first bytes, so a file that is no image fails
 * before the rest is read (unless digests are asked for, which read it all).
 * JPEG and PNG are decoded from the file as it is read, so memory holds
 * rows, not the file; the other formats are read whole first. Only regular
 * files are opened (see vigil_read_file), within VIGIL_LIMIT_MAX_BYTES. */
int vigil_hash_file(vigil_ctx *ctx, const char *path, unsigned digests,
		    uint8_t dig[][VIGIL_DIGEST_MAX], const vigil_pdq_opts *opts,
		    vigil_pdq *pdq, vigil_pdq dih[8]);

/* Reads a whole file into a new buffer, refusing files over the context's
 * VIGIL_LIMIT_MAX_BYTES and anything but a regular file (a FIFO or device is
 * refused before it is opened, VIGIL_EINVAL: it could block or never end).
 * *data is owned by the caller: free() it. */
int vigil_read_file(vigil_ctx *ctx, const char *path, uint8_t **data,
		    size_t *len);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void vigil_hex(const uint8_t *bytes, size_t n, char *out);
/* Decodes a NUL-terminated string of exactly 2n hex digits (either case)
 * into out[n]. Returns VIGIL_EINVAL on anything else. */
int vigil_unhex(const char *hex, uint8_t *out, size_t n);

#include "vigil/index.h"
#include "vigil/store.h"
#include "vigil/service.h"
#include "vigil/text.h"
#include "vigil/video.h"
#include "vigil/stream.h"
#include "vigil/pipeline.h"
#include "vigil/pm.h"
#include "vigil/review.h"
#include "vigil/sealed.h"
#include "vigil/people.h"
#include "vigil/report.h"
#include "vigil/exchange.h"
#include "vigil/evidence.h"

#ifdef __cplusplus
}
#endif
#endif /* VIGIL_H */
