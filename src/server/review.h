/* review.h — the review side of `vigil serve` (case_media.c): keeping a
 * case's content sealed, and the protected derivative reviewers see. */
#ifndef VIGIL_SERVER_REVIEW_H
#define VIGIL_SERVER_REVIEW_H

#include "http.h"

/* Keeps an upload's bytes for case case_id, sealed under the master key
 * (master_key_file). Without a master key nothing is kept (logged once).
 * Failures are logged, not returned: the upload's answer stands. */
void srv_case_keep(srv_req *r, vigil_store *st, int64_t case_id, const uint8_t *data,
		   size_t len);

/* The protected derivative of an image: greyscale (or sepia), reduced to
 * fit max_side, box-blurred three times (close to a gaussian) with the
 * given radius in output pixels, as a PNG. *png is malloc'd (free()). */
typedef struct srv_protect_opts {
	int max_side; /* 32..1024 */
	int blur;     /* 0..32 */
	int sepia;    /* tint instead of plain grey */
} srv_protect_opts;
int srv_protect_image(vigil_ctx *ctx, const uint8_t *data, size_t len,
		      const srv_protect_opts *o, uint8_t **png, size_t *pnglen);

#endif
