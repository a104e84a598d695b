/* video_int.h — the video subsystem's private interface: a demuxer and
 * decoder (decode.c) that hands out decoded frames of the first video
 * stream, with the limits and timeouts applied, for vpdq.c. */
#ifndef VIGIL_VIDEO_INT_H
#define VIGIL_VIDEO_INT_H

#include "../core/core.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

/* A buffer being read as a file through a custom AVIOContext. */
typedef struct vigil__membuf {
	const uint8_t *data;
	size_t len;
	size_t pos;
} vigil__membuf;

typedef struct vigil__video {
	vigil_ctx *ctx;
	AVFormatContext *fmt;
	AVCodecContext *cc;
	AVPacket *pkt;
	AVFrame *frame;            /* the last frame vigil__video_next gave */
	AVIOContext *avio;         /* ours, for a buffer; else NULL */
	vigil__membuf mem;         /* what avio reads */
	int stream;                /* index of the video stream */
	int width, height;         /* the stream's declared size: frames are
				      scaled to it, as the reference does */
	double fps;                /* avg_frame_rate, else r_frame_rate */
	int64_t frames;            /* frames decoded so far */
	int64_t max_frames;
	double max_seconds;
	int64_t timeout_us;        /* stall allowed between reads */
	int64_t last_io;           /* av_gettime_relative() of the last read */
	volatile int *abort;       /* the caller's flag, or NULL */
	int interrupted;           /* 1: timeout, 2: abort (why I/O stopped) */
	int draining;              /* the decoder has been sent its flush */
	int64_t packets;           /* packets of the stream read so far */
	int end_rc;                /* status to give after the last frame */
	int live;                  /* opened from a URL: positions are the
				      frames' timestamps (stream time) */
	int decode;                /* vigil_video_decode */
	int64_t due;               /* skipping modes: the next sample instant
				      (stream time base); AV_NOPTS_VALUE: the
				      next frame is one */
	int kf_drain;              /* keyframes mode: the decoder is being
				      drained of the last keyframe */
	int dropped;               /* keyframes mode: a packet was left out
				      since the last sample */
} vigil__video;

/* Opens a video from a file path, a buffer (kept by reference: it must
 * outlive *out) or a URL, finds its first video stream and opens a decoder.
 * *out is released with vigil__video_close. */
int vigil__video_open_file(vigil_ctx *ctx, const char *path,
			   const vigil_video_opts *opts, vigil__video **out);
int vigil__video_open_memory(vigil_ctx *ctx, const void *data, size_t len,
			     const vigil_video_opts *opts, vigil__video **out);
int vigil__video_open_url(vigil_ctx *ctx, const char *url,
			  const vigil_video_opts *opts, vigil__video **out);
/* The next decoded frame, in output order: VIGIL_OK with *out (owned by v,
 * valid until the next call), VIGIL_ENOENT after the last one, or an error.
 * v->frames - 1 is the returned frame's index. */
int vigil__video_next(vigil__video *v, AVFrame **out);
/* In a skipping decode mode: whether fr is a sample (at or after v->due),
 * and if so, moves v->due interval seconds on. */
int vigil__video_take(vigil__video *v, const AVFrame *fr, double interval);
void vigil__video_close(vigil__video *v);

#endif
