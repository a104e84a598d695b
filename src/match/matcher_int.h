/* matcher_int.h — the matcher's insides, shared by matcher.c (loading,
 * image and digest queries) and video_match.c (video queries).
 *
 * Index ids pack where a hash came from, so a hit needs no lookup:
 *   bit 63     the hash is a vPDQ frame (low bits: its frame id)
 *   bits 40-62 the bank's slot in m->banks
 *   bits 0-39  the entry id (or the frame id) */
#ifndef VIGIL_MATCHER_INT_H
#define VIGIL_MATCHER_INT_H

#include "../store/store.h"

#include <pthread.h>

#define VIGIL__ID_FRAME (1ULL << 63)
#define VIGIL__ID_BANK_SHIFT 40
#define VIGIL__ID_LOW_MASK ((1ULL << VIGIL__ID_BANK_SHIFT) - 1)
#define VIGIL__ID_BANK_MASK ((1ULL << 23) - 1)
#define VIGIL__VIDEO_MIN_QUALITY 50 /* stored frames counted in percentages */

typedef struct frame_map {
	uint64_t frame_id; /* vpdq_frames.id */
	int64_t entry_id;  /* its video entry */
	int quality;       /* its PDQ quality */
} frame_map;

typedef struct video_count {
	int64_t entry_id;  /* a stored video */
	size_t frames;     /* its frames of quality >= VIGIL__VIDEO_MIN_QUALITY */
} video_count;

struct vigil_matcher {
	vigil_index *ix;       /* PDQ entries and vPDQ frames */
	vigil_exact *ex;       /* MD5/SHA-1/SHA-256 */
	vigil_bank *banks;     /* banks loaded; slot = index; a slot whose
				  .enabled is 0 is not matched (disabled or
				  deleted while running: live.c) */
	size_t nbanks, capbanks;
	pthread_rwlock_t lock; /* readers: queries (describe); writer: live
				  changes to banks[] (live.c). The index and
				  the digest table lock themselves. */
	pthread_mutex_t wlock; /* serialises live changes */
	frame_map *frames;     /* sorted by frame_id */
	size_t nframes, capframes;
	video_count *videos;   /* sorted by entry_id */
	size_t nvideos;
	size_t entries;        /* hashes loaded */
	int64_t seq;           /* every store change up to this one is in
				  (later ones may be too: replaying them is a
				  no-op); 0 without a change log. Under wlock. */
};

/* Fills bank, entry and type (VPDQ for frames, else 0) from an index id. */
void vigil__matcher_describe(const vigil_matcher *m, uint64_t id, vigil_match *o);
/* Per stored video, its usable frames (m->frames sorted by frame_id). */
int vigil__matcher_count_videos(vigil_matcher *m, vigil_ctx *ctx);
int vigil__matcher_by_frame_id(const void *a, const void *b);
/* Whether a hit's bank is still matched (call under m->lock). */
int vigil__matcher_active(const vigil_matcher *m, uint64_t id);
/* The number of usable frames of a stored video (0 if unknown). */
size_t vigil__matcher_video_frames(const vigil_matcher *m, int64_t entry_id);

/* An empty matcher with room for nbanks banks (locks made). */
int vigil__matcher_alloc(vigil_ctx *ctx, size_t nbanks, vigil_matcher **out);
/* Applies one logged change (with wlock not held). */
int vigil__matcher_apply(vigil_matcher *m, vigil_store *st, vigil_ctx *ctx,
			 const vigil_change *c);

#endif
