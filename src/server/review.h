/* review.h — the review side of `vigil serve` (case_media.c): keeping a
 * case's content sealed, and the protected derivative reviewers see. */
#ifndef VIGIL_SERVER_REVIEW_H
#define VIGIL_SERVER_REVIEW_H

#include "http.h"

/* A video's review copy (from the video worker, which has no request): the
 * video sealed, then video_keyframes frames sampled over its length, each
 * sealed as a PNG item — the strip reviewers see, each frame as a
 * protected derivative. Sealed before the verdict's transaction (no
 * decoding under the store's write lock) and stored inside it
 * (srv_case_copy_store), so a crash cannot leave a case without its
 * media. NULL without a master key or if the video could not be sealed
 * (logged); frames that failed are logged and left out. */
typedef struct srv_case_copy srv_case_copy;
srv_case_copy *srv_case_video_copy(srv *s, vigil_ctx *c, const uint8_t *data, size_t len);
/* An upload's review copy, the same way: its bytes sealed as one item
 * (an image's page shows the protected derivative of it). NULL without a
 * master key or if sealing failed (logged). */
srv_case_copy *srv_case_item_copy(srv *s, vigil_ctx *c, const uint8_t *data, size_t len);
/* Stores cp (NULL: nothing) as case case_id's media, in the caller's
 * transaction: 0 or a status (the caller rolls back). */
int srv_case_copy_store(srv *s, vigil_store *st, int64_t case_id, srv_case_copy *cp);
void srv_case_copy_free(srv_case_copy *cp);

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

/* The review API's cores (route_cases.c, case_media.c), shared by the API
 * (a key's name) and the page (a person's name). Each returns 0 on
 * success, or -1 after replying with the error itself. */
int srv_case_claim(srv_req *r, const char *who, int admin, int64_t id,
		   vigil_case_review *v);
int srv_case_decide(srv_req *r, const char *who, int64_t id, int decision,
		    const char *cls, json_t *ann, const char *note, const char *incident,
		    json_t **result);
/* Replies with item n of case id as view (protected / original) for who. */
void srv_case_media_reply(srv_req *r, const char *who, int64_t id, int n, int original);
/* The original of item n for who (claim held, under the daily cap), the
 * reveal logged (reveals + audit) before it is returned: *out malloc'd,
 * the caller wipes and frees it. */
int srv_case_media_original(srv_req *r, const char *who, int64_t id, int n, uint8_t **out,
			    size_t *olen, char *type, size_t tcap);

/* The classifier hook (classifier.c): for an image upload that matched
 * nothing. Without classifier_url, 0 at once. Otherwise sends the
 * protected derivative (or the original, classifier_send) to the hook and
 * returns 1 if its score (*score, 0..1) is at or above
 * classifier_threshold. Any failure (unreachable, slow, bad answer) is
 * counted and logged without content and returns 0: it never fails the
 * upload. */
int srv_classify(srv_req *r, const uint8_t *data, size_t len, double *score);

#endif
