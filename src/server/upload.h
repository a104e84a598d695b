/* upload.h — hashing an uploaded file and matching hashes, shared by the
 * routes that take files (/v1/hash, /v1/match, /v1/content, HMA's). */
#ifndef VIGIL_SERVER_UPLOAD_H
#define VIGIL_SERVER_UPLOAD_H

#include "http.h"

#define SRV_MAX_QUERY_HASHES 1000 /* hashes in one JSON match request */
#define SRV_MAX_MATCHES 1000      /* matches listed per query hash */

typedef struct srv_hashes {
	int video;                /* 1: a video (frames), 0: an image */
	vigil_pdq pdq;            /* image: its PDQ */
	vigil_pdq dih[8];         /* image: the 8 variants (dih[0] == pdq) */
	int have_dih;
	uint8_t md5[32], sha1[32], sha256[32]; /* 16, 20, 32 bytes used */
	vigil_vpdq_frame *frames; /* video: hashed frames (vigil_vpdq_free) */
	size_t nframes;
	double interval;          /* video: seconds between hashed frames */
} srv_hashes;

/* Hashes data (an image, or else a video): PDQ (with the eight variants if
 * dihedral), MD5, SHA-1, SHA-256; a video's frames one per `interval`
 * seconds (query ?interval=, default 1). On failure replies (400
 * bad_media, 413, 415 unsupported_media) and returns -1. Free with
 * srv_hashes_free. */
int srv_hash_upload(srv_req *r, const uint8_t *data, size_t len, int dihedral,
		    srv_hashes *out);
void srv_hashes_free(srv_hashes *h);
/* {"pdq":HEX,"quality":Q,"dihedral":{"orig":HEX,...}?,"md5":..,"sha1":..,
 * "sha256":..} or for a video {"vpdq":[{"frame","quality","pdq","seconds"}],
 * "md5",...}. */
json_t *srv_hashes_json(const srv_hashes *h, int dihedral);

/* One query hash, as parsed from a JSON match body. */
typedef struct srv_qhash {
	int type;        /* vigil_hash_type (not VPDQ) */
	uint8_t value[32];
} srv_qhash;
/* Parses {"hashes":[{"type":"pdq","value":"<hex>"},...]} (also a bare
 * "value" whose type is implied by its length: 64 pdq, 32 md5, 40 sha1;
 * "sha256" must be named). At most max. 0, or -1 with a message. */
int srv_parse_hashes(const json_t *body, srv_qhash *out, size_t max, size_t *n,
		     char *err, size_t errcap);

/* Appends to `matches` (a JSON array) every match of one hash: PDQ within
 * radius (with dih: any of its variants), digests exactly. Each element:
 * {"bank","entry","type","hash","quality","distance","variant"}. Bumps
 * vigil_matches_total{bank}. Returns the status of the matcher call. */
int srv_match_pdq(srv_req *r, const vigil_pdq *q, const vigil_pdq *dih,
		  int radius, json_t *matches);
int srv_match_digest(srv_req *r, int type, const uint8_t *value, json_t *matches);
/* All of an upload's hashes: PDQ if quality >= min_quality, the three
 * digests; a video's frames through vigil_matcher_video. */
int srv_match_upload(srv_req *r, const srv_hashes *h, int radius,
		     int min_quality, json_t *matches);
/* ?radius= (0..64, default the config's radius) and ?min_quality=
 * (0..100, default 50); -1 after replying 400 for a bad value. */
int srv_query_radius(srv_req *r);
int srv_query_min_quality(srv_req *r);

#endif
