/* vigil/video.h — vPDQ: PDQ hashes of a video's frames (part of vigil.h; do
 * not include directly).
 *
 * The output is that of Meta's reference vpdq-hash-video (ThreatExchange
 * vpdq/cpp) built on the same FFmpeg: the same frames are picked, and each
 * gets the same full-size PDQ hash, quality and timestamp. See docs/vpdq.md.
 *
 * Videos are hostile input like images: the context's VIGIL_LIMIT_MAX_SIDE
 * and VIGIL_LIMIT_MAX_PIXELS bound every frame, VIGIL_LIMIT_MAX_BYTES bounds
 * a buffer given to vigil_vpdq_hash_memory, and the options below bound the
 * duration, the frame count and the time a stream may stall. */
#ifndef VIGIL_VIDEO_H
#define VIGIL_VIDEO_H

#define VIGIL_VIDEO_DEFAULT_MAX_SECONDS (4.0 * 3600) /* 4 hours */
#define VIGIL_VIDEO_DEFAULT_MAX_FRAMES ((int64_t)1000000)
#define VIGIL_VIDEO_DEFAULT_TIMEOUT_MS 30000

/* One hashed frame. */
typedef struct vigil_vpdq_frame {
	int frame;       /* index among the decoder's output frames, from 0 */
	int quality;     /* 0..100 (the same as hash.quality) */
	vigil_pdq hash;  /* full-size PDQ of the frame as RGB */
	double seconds;  /* frame / frame rate, as the reference computes it;
			    from a URL, or in a skipping decode mode, the
			    frame's own timestamp (stream time, right also
			    when joined mid-stream) */
	const vigil_pdq *dihedral; /* with vigil_video_opts.dihedral: the
				      frame's eight dihedral variants
				      (dihedral[0] == hash), valid during the
				      callback only; else NULL */
} vigil_vpdq_frame;

/* What is decoded (vigil_video_opts.decode). Only VIGIL_DECODE_ALL gives
 * vPDQ as the reference computes it (every frame decoded, every
 * (int)(interval * fps)-th one hashed); the others are for live monitoring,
 * where a sample every interval seconds of stream time is what is needed
 * and decoding every frame is most of the cost (docs/streams.md measures
 * what each costs in recall). */
typedef enum vigil_video_decode {
	VIGIL_DECODE_ALL = 0,       /* every frame */
	VIGIL_DECODE_NONREF = 1,    /* frames no other frame refers to
				       (AVDISCARD_NONREF: most B-frames in
				       H.264/HEVC) are skipped between sample
				       instants; the first frame at or after
				       each instant is decoded and hashed */
	VIGIL_DECODE_KEYFRAMES = 2, /* only keyframes reach the decoder; each
				       is hashed (a stream of keyframes only,
				       all intra: one per interval) */
	VIGIL__DECODE_END
} vigil_video_decode;

/* Options. Zero-initialise, then set what you need; 0 means the default. */
typedef struct vigil_video_opts {
	double interval;     /* seconds between hashed frames: every
				(int)(interval * fps)-th frame is hashed
				(VIGIL_DECODE_NONREF: the first frame at or
				after each instant interval s apart); 0 (the
				default) hashes every decoded frame */
	double max_seconds;  /* refuse longer videos (default 4 hours) */
	int64_t max_frames;  /* refuse videos with more decoded frames */
	int timeout_ms;      /* give up when reading stalls this long
				(default 30 s); matters for URLs */
	int threads;         /* decoder threads; 0 = one per CPU */
	volatile int *abort; /* if not NULL: set non-zero (from any thread)
				to stop early with VIGIL_EABORTED */
	int decode;          /* vigil_video_decode (0: every frame) */
	int dihedral;        /* 1: give each frame's dihedral variants too */
} vigil_video_opts;

/* Called once per hashed frame, in frame order. Return 0 to go on, non-zero
 * to stop: the hashing function then returns VIGIL_EABORTED. f is only valid
 * during the call. */
typedef int (*vigil_vpdq_cb)(void *user, const vigil_vpdq_frame *f);

/* Hashes the first video stream of a file, a buffer or a URL (http, https,
 * rtmp, ...), calling cb for each picked frame. On failure the frames
 * already passed to cb stay valid results (e.g. a truncated file gives its
 * first frames and then VIGIL_ECORRUPT). Errors: VIGIL_EIO (cannot open or
 * read), VIGIL_EFORMAT (not a video, no video stream, unknown codec),
 * VIGIL_ECORRUPT (undecodable data), VIGIL_ETOOBIG (a limit), VIGIL_EABORTED
 * (cb or opts->abort), VIGIL_ENOMEM. opts may be NULL. data is only read
 * during the call. */
int vigil_vpdq_hash_file(vigil_ctx *ctx, const char *path,
			 const vigil_video_opts *opts, vigil_vpdq_cb cb,
			 void *user);
int vigil_vpdq_hash_memory(vigil_ctx *ctx, const void *data, size_t len,
			   const vigil_video_opts *opts, vigil_vpdq_cb cb,
			   void *user);
int vigil_vpdq_hash_url(vigil_ctx *ctx, const char *url,
			const vigil_video_opts *opts, vigil_vpdq_cb cb,
			void *user);

/* The same as vigil_vpdq_hash_file, collecting the frames: *frames is a new
 * array of *n entries owned by the caller, released with vigil_vpdq_free()
 * (NULL with *n == 0 if no frame was hashed). On failure *frames is NULL. */
int vigil_vpdq_hash_file_all(vigil_ctx *ctx, const char *path,
			     const vigil_video_opts *opts,
			     vigil_vpdq_frame **frames, size_t *n);
void vigil_vpdq_free(vigil_vpdq_frame *frames);

/* The reference's line for a frame, "frame,quality,hex,seconds" with three
 * decimals, NUL-terminated, without a newline. Returns its length. */
#define VIGIL_VPDQ_LINE_MAX 128
int vigil_vpdq_format(const vigil_vpdq_frame *f, char line[VIGIL_VPDQ_LINE_MAX]);

/* ------------------------------------------------------ sampled frames */

#define VIGIL_VIDEO_SAMPLE_MAX 64

/* Called with each sampled frame (RGB, the stream's declared size) and its
 * position in seconds. frame is only valid during the call. Return 0 to go
 * on, non-zero to stop (the sampler then returns VIGIL_EABORTED). */
typedef int (*vigil_video_frame_cb)(void *user, const vigil_image *frame, double seconds);

/* Decodes a video held in memory and gives cb up to count (1..
 * VIGIL_VIDEO_SAMPLE_MAX) frames spread over its declared length (the
 * middle frame of each of count equal parts; without a declared length,
 * one frame a second from the start) — e.g. for a strip of keyframes. The
 * same limits as vigil_vpdq_hash_memory (opts may be NULL); the same
 * errors. A video shorter than count frames gives fewer. */
int vigil_video_sample_memory(vigil_ctx *ctx, const void *data, size_t len,
			      const vigil_video_opts *opts, int count,
			      vigil_video_frame_cb cb, void *user);

/* ---------------------------------------------------- matching videos */

#define VIGIL_RADIUS_EXACT (-1)

/* How a video is matched against the banks (see docs/vpdq.md). Zero means
 * the default. */
typedef struct vigil_video_match_opts {
	int radius;          /* per-frame PDQ distance that matches (0: 31;
				VIGIL_RADIUS_EXACT for distance 0 only) */
	int min_quality;     /* query frames below this are ignored (50) */
	double query_pct;    /* a stored video matches when at least this % of
				the query's frames match one of its frames (80) */
	double compared_pct; /* ... and at least this % of its frames match one
				of the query's (default 0: a clip of a known
				video is a match, however long the original) */
} vigil_video_match_opts;

/* One thing found in a video: a known image (type VIGIL_HASH_PDQ) seen in
 * some frame, or a known video (VIGIL_HASH_VPDQ) that passes the
 * percentages. */
typedef struct vigil_video_match {
	vigil_match match;     /* entry, bank, best distance, best stored hash */
	double seconds;        /* where in the query it was first seen */
	int frames;            /* query frames that matched it */
	double query_pct;      /* videos: % of the query's frames matched */
	double compared_pct;   /* videos: % of the stored video's frames matched */
} vigil_video_match;

/* Matches the frames of a video (from vigil_vpdq_hash_*) against m: every
 * known image found in a frame, and every known video that passes the
 * thresholds, ordered by entry. *out is a new array owned by the caller
 * (free()), NULL when *n is 0. */
int vigil_matcher_video(vigil_matcher *m, vigil_ctx *ctx,
			const vigil_vpdq_frame *frames, size_t nframes,
			const vigil_video_match_opts *opts,
			vigil_video_match **out, size_t *n);

#endif
