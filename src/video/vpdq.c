/* vpdq.c — vPDQ: picks frames as Meta's vpdq-hash-video does, converts each
 * to RGB24 with the reference's libswscale settings and hashes it with the
 * full-size PDQ (the streaming filters, fed row by row). */
#include "../hash/pdq.h"
#include "video_int.h"

#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The reference converts with SWS_AREA into RGB24 of the stream's declared
 * size. Frames are that size already, so no scaling happens, but the flag
 * still selects which converter libswscale uses, and so the pixels. */
#define VPDQ_SWS_FLAGS SWS_AREA
#define VPDQ_RGB_PAD 64 /* slack after the RGB frame for SIMD stores */

/* Every mod-th decoded frame is hashed. The reference reads the interval as
 * a float and truncates interval * fps (in double) to an int; 0 becomes 1. */
static int frame_mod(double interval, double fps)
{
	double m = (double)(float)interval * fps;

	if (!(m >= 1))
		return 1;
	if (m >= INT_MAX)
		return INT_MAX;
	return (int)m;
}

typedef struct vpdq_run {
	vigil__video *v;
	struct SwsContext *sws;
	uint8_t *rgb;     /* width * 3 * height (+ pad), rows packed */
	int mod;
	float fps;        /* the reference keeps the rate as a float */
	int dihedral;     /* give the variants too */
	vigil_pdq dih[8]; /* the last frame's variants */
} vpdq_run;

/* Hashes the decoded frame fr into f. */
static int hash_frame(vpdq_run *r, const AVFrame *fr, vigil_vpdq_frame *f)
{
	vigil__video *v = r->v;
	vigil__pdq_stream *s = NULL;
	uint8_t *dst[4] = {r->rgb, NULL, NULL, NULL};
	int dstride[4] = {v->width * 3, 0, 0, 0};
	float a[64 * 64];
	int y, rc;

	r->sws = sws_getCachedContext(r->sws, fr->width, fr->height, fr->format,
				      v->width, v->height, AV_PIX_FMT_RGB24,
				      VPDQ_SWS_FLAGS, NULL, NULL, NULL);
	if (!r->sws)
		return vigil__err(v->ctx, VIGIL_EFORMAT,
				  "video: cannot convert %s frames to RGB",
				  av_get_pix_fmt_name(fr->format) ?
					  av_get_pix_fmt_name(fr->format) : "unknown");
	sws_scale(r->sws, (const uint8_t *const *)fr->data, fr->linesize, 0,
		  fr->height, dst, dstride);
	rc = vigil__pdq_stream_new(v->ctx, v->height, v->width, &s);
	if (rc)
		return rc;
	for (y = 0; y < v->height; y++)
		vigil__pdq_stream_push_pixels(s, r->rgb + (size_t)y * dstride[0], 3,
					      NULL);
	vigil__pdq_stream_end(s, a);
	vigil__pdq_finish(a, &f->hash, r->dihedral ? r->dih : NULL);
	f->dihedral = r->dihedral ? r->dih : NULL;
	vigil__pdq_stream_free(s);
	f->quality = f->hash.quality;
	return VIGIL_OK;
}

static int run(vigil__video *v, const vigil_video_opts *opts, vigil_vpdq_cb cb,
	       void *user)
{
	vpdq_run r;
	AVFrame *fr;
	vigil_vpdq_frame f;
	double interval = opts ? opts->interval : 0;
	int64_t idx;
	int rc;

	memset(&r, 0, sizeof(r));
	if (!(interval >= 0) || isinf(interval))
		return vigil__err(v->ctx, VIGIL_EINVAL, "video: bad interval");
	/* The reference refuses frames too small for PDQ. */
	if (v->width < VIGIL__PDQ_MIN_DIM || v->height < VIGIL__PDQ_MIN_DIM)
		return vigil__err(v->ctx, VIGIL_EFORMAT,
				  "video: %dx%d frames are too small to hash",
				  v->width, v->height);
	r.v = v;
	r.mod = frame_mod(interval, v->fps);
	r.fps = (float)v->fps;
	r.dihedral = opts && opts->dihedral;
	/* check_size() bounded width * height by the pixel limit. */
	r.rgb = av_malloc((size_t)v->width * 3 * (size_t)v->height + VPDQ_RGB_PAD);
	if (!r.rgb)
		return vigil__err(v->ctx, VIGIL_ENOMEM, "out of memory");
	while ((rc = vigil__video_next(v, &fr)) == VIGIL_OK) {
		idx = v->frames - 1;
		/* Unpicked frames are decoded (later frames depend on them)
		 * but neither converted nor hashed. The skipping modes pick
		 * by time: their frame count has gaps. */
		if (v->decode == VIGIL_DECODE_ALL ? idx % r.mod != 0
						   : !vigil__video_take(v, fr, interval))
			continue;
		memset(&f, 0, sizeof(f));
		rc = hash_frame(&r, fr, &f);
		if (rc)
			break;
		f.frame = (int)idx;
		/* float / float, as the reference; printed from the double. */
		f.seconds = (double)((float)idx / r.fps);
		/* A live stream joined (or re-joined) mid-way: its frames'
		 * own timestamps say where in the stream they are, which the
		 * count since this connection cannot. */
		if ((v->live || v->decode != VIGIL_DECODE_ALL) &&
		    fr->best_effort_timestamp != AV_NOPTS_VALUE)
			f.seconds = (double)fr->best_effort_timestamp *
				    av_q2d(v->fmt->streams[v->stream]->time_base);
		if (cb && cb(user, &f)) {
			rc = vigil__err(v->ctx, VIGIL_EABORTED,
					"video: stopped by the callback");
			break;
		}
	}
	if (rc == VIGIL_ENOENT)
		rc = VIGIL_OK;
	sws_freeContext(r.sws);
	av_free(r.rgb);
	return rc;
}

int vigil_vpdq_hash_file(vigil_ctx *ctx, const char *path,
			 const vigil_video_opts *opts, vigil_vpdq_cb cb,
			 void *user)
{
	vigil__video *v;
	int rc = vigil__video_open_file(ctx, path, opts, &v);

	if (rc)
		return rc;
	rc = run(v, opts, cb, user);
	vigil__video_close(v);
	return rc;
}

int vigil_vpdq_hash_memory(vigil_ctx *ctx, const void *data, size_t len,
			   const vigil_video_opts *opts, vigil_vpdq_cb cb,
			   void *user)
{
	vigil__video *v;
	int rc = vigil__video_open_memory(ctx, data, len, opts, &v);

	if (rc)
		return rc;
	rc = run(v, opts, cb, user);
	vigil__video_close(v);
	return rc;
}

int vigil_vpdq_hash_url(vigil_ctx *ctx, const char *url,
			const vigil_video_opts *opts, vigil_vpdq_cb cb,
			void *user)
{
	vigil__video *v;
	int rc = vigil__video_open_url(ctx, url, opts, &v);

	if (rc)
		return rc;
	rc = run(v, opts, cb, user);
	vigil__video_close(v);
	return rc;
}

/* A growing array of frames for vigil_vpdq_hash_file_all. */
typedef struct frame_list {
	vigil_vpdq_frame *a;
	size_t n, cap;
	int nomem;
} frame_list;

static int collect(void *user, const vigil_vpdq_frame *f)
{
	frame_list *l = user;

	vigil_vpdq_frame *a = vigil__grow(l->a, &l->cap, l->n, sizeof(*a));

	if (!a) {
		l->nomem = 1;
		return 1;
	}
	l->a = a;
	l->a[l->n] = *f;
	l->a[l->n++].dihedral = NULL; /* only valid during the callback */
	return 0;
}

int vigil_vpdq_hash_file_all(vigil_ctx *ctx, const char *path,
			     const vigil_video_opts *opts,
			     vigil_vpdq_frame **frames, size_t *n)
{
	frame_list l = {0};
	int rc;

	if (!frames || !n)
		return vigil__err(ctx, VIGIL_EINVAL, "NULL argument");
	*frames = NULL;
	*n = 0;
	rc = vigil_vpdq_hash_file(ctx, path, opts, collect, &l);
	if (l.nomem)
		rc = vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	if (rc) {
		vigil__free(l.a);
		return rc;
	}
	*frames = l.a;
	*n = l.n;
	return VIGIL_OK;
}

void vigil_vpdq_free(vigil_vpdq_frame *frames)
{
	vigil__free(frames);
}

int vigil_vpdq_format(const vigil_vpdq_frame *f, char line[VIGIL_VPDQ_LINE_MAX])
{
	char hex[65];

	vigil_pdq_to_hex(&f->hash, hex);
	return snprintf(line, VIGIL_VPDQ_LINE_MAX, "%d,%d,%s,%.3f", f->frame,
			f->quality, hex, f->seconds);
}
