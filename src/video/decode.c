/* decode.c — demuxing and decoding of the first video stream through
 * FFmpeg, from a file, a buffer or a URL. Opens the stream the way Meta's
 * vpdq-hash-video does (first stream of video type, its declared size and
 * frame rate) so that vpdq.c sees the same frames, numbered the same way;
 * adds what the reference lacks for hostile input: limits checked before
 * decoding, a stall timeout and an abort flag through AVIOInterruptCB,
 * protocol whitelists, and errors for truncated or corrupt data. */
#include "video_int.h"

#include <errno.h>
#include <libavutil/time.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define VIDEO_IO_BUF 65536 /* AVIOContext buffer for a memory input */

/* What each kind of input may open. A buffer may open nothing else (a
 * playlist in it must not reach files or the network); a path only files;
 * a URL the usual streaming protocols, never local files. */
#define WHITELIST_MEMORY "none"
#define WHITELIST_FILE "file"
#define WHITELIST_URL                                                          \
	"http,https,tcp,tls,udp,rtp,rtsp,rtmp,rtmps,rtmpt,rtmpts,rtmpe,"      \
	"rtmpte,srt,hls,crypto,httpproxy"

static void quiet_ffmpeg(void)
{
	/* Failures reach the caller through vigil_errmsg(); FFmpeg's log
	 * lines would only repeat them (and corrupt streams log per slice). */
	av_log_set_level(AV_LOG_QUIET);
}

/* FFmpeg polls this during blocking I/O: non-zero stops the operation.
 * The abort flag is set from another thread: read atomically. */
static int interrupt_cb(void *opaque)
{
	vigil__video *v = opaque;

	if (v->abort && __atomic_load_n(v->abort, __ATOMIC_ACQUIRE)) {
		v->interrupted = 2;
		return 1;
	}
	if (v->timeout_us > 0 && av_gettime_relative() - v->last_io > v->timeout_us) {
		v->interrupted = 1;
		return 1;
	}
	return 0;
}

static int mem_read(void *opaque, uint8_t *buf, int size)
{
	vigil__membuf *m = opaque;
	size_t n = m->len - m->pos;

	if (n == 0)
		return AVERROR_EOF;
	if (n > (size_t)size)
		n = (size_t)size;
	memcpy(buf, m->data + m->pos, n);
	m->pos += n;
	return (int)n;
}

static int64_t mem_seek(void *opaque, int64_t off, int whence)
{
	vigil__membuf *m = opaque;
	int64_t base;

	switch (whence & ~AVSEEK_FORCE) {
	case AVSEEK_SIZE:
		return (int64_t)m->len;
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (int64_t)m->pos;
		break;
	case SEEK_END:
		base = (int64_t)m->len;
		break;
	default:
		return AVERROR(EINVAL);
	}
	if (off < -base || base + off > (int64_t)m->len)
		return AVERROR(EINVAL);
	m->pos = (size_t)(base + off);
	return (int64_t)m->pos;
}

/* The status and message for an FFmpeg error while `what`. */
static int av_status(vigil__video *v, int err, const char *what)
{
	char buf[AV_ERROR_MAX_STRING_SIZE];
	int code;

	if (v->interrupted == 2)
		return vigil__err(v->ctx, VIGIL_EABORTED, "video: aborted");
	if (v->interrupted == 1)
		return vigil__err(v->ctx, VIGIL_EIO,
				  "video: %s: no data for %lld ms", what,
				  (long long)(v->timeout_us / 1000));
	if (err == AVERROR(ENOMEM))
		code = VIGIL_ENOMEM;
	else if (err == AVERROR(ENOENT) || err == AVERROR(ENOTDIR))
		code = VIGIL_ENOENT;
	else if (err == AVERROR_INVALIDDATA || err == AVERROR_EOF)
		code = VIGIL_ECORRUPT;
	else if (err == AVERROR_DECODER_NOT_FOUND ||
		 err == AVERROR_DEMUXER_NOT_FOUND ||
		 err == AVERROR_PROTOCOL_NOT_FOUND || err == AVERROR_PATCHWELCOME ||
		 err == AVERROR(ENOSYS))
		code = VIGIL_EFORMAT;
	else if (err == AVERROR(EINVAL))
		code = VIGIL_EINVAL;
	else
		code = VIGIL_EIO;
	av_strerror(err, buf, sizeof(buf));
	return vigil__err(v->ctx, code, "video: %s: %s", what, buf);
}

static int check_size(vigil__video *v, int w, int h)
{
	int64_t side = vigil_ctx_get_limit(v->ctx, VIGIL_LIMIT_MAX_SIDE);
	int64_t px = vigil_ctx_get_limit(v->ctx, VIGIL_LIMIT_MAX_PIXELS);

	if (w <= 0 || h <= 0)
		return vigil__err(v->ctx, VIGIL_EFORMAT, "video: no frame size");
	if (w > side || h > side || (int64_t)w * h > px)
		return vigil__err(v->ctx, VIGIL_ETOOBIG,
				  "video: %dx%d frames exceed the limits", w, h);
	return VIGIL_OK;
}

static int alloc_video(vigil_ctx *ctx, const vigil_video_opts *opts,
		       vigil__video **out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	vigil__video *v;

	*out = NULL;
	if (opts && (opts->max_seconds < 0 || opts->max_frames < 0 ||
		     opts->timeout_ms < 0 || opts->threads < 0))
		return vigil__err(ctx, VIGIL_EINVAL, "video: negative option");
	if (opts && (opts->decode < 0 || opts->decode >= VIGIL__DECODE_END))
		return vigil__err(ctx, VIGIL_EINVAL, "video: unknown decode mode %d",
				  opts->decode);
	pthread_once(&once, quiet_ffmpeg);
	v = vigil__calloc(1, sizeof(*v));
	if (!v)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	v->ctx = ctx;
	v->stream = -1;
	v->max_seconds = opts && opts->max_seconds > 0 ? opts->max_seconds
						       : VIGIL_VIDEO_DEFAULT_MAX_SECONDS;
	v->max_frames = opts && opts->max_frames > 0 ? opts->max_frames
						     : VIGIL_VIDEO_DEFAULT_MAX_FRAMES;
	if (v->max_frames > INT32_MAX)
		v->max_frames = INT32_MAX; /* frame numbers are ints */
	v->timeout_us = 1000 * (int64_t)(opts && opts->timeout_ms > 0
						 ? opts->timeout_ms
						 : VIGIL_VIDEO_DEFAULT_TIMEOUT_MS);
	v->abort = opts ? opts->abort : NULL;
	v->decode = opts ? opts->decode : VIGIL_DECODE_ALL;
	v->due = AV_NOPTS_VALUE;
	v->fmt = avformat_alloc_context();
	v->pkt = av_packet_alloc();
	v->frame = av_frame_alloc();
	if (!v->fmt || !v->pkt || !v->frame) {
		vigil__video_close(v);
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	}
	v->fmt->interrupt_callback.callback = interrupt_cb;
	v->fmt->interrupt_callback.opaque = v;
	*out = v;
	return VIGIL_OK;
}

#define VIGIL__LIVE_ANALYZE_US 300000 /* probing of a URL's stream */

/* Opens url (with v->fmt prepared), finds the stream and the decoder. */
static int open_stream(vigil__video *v, const char *url, const char *whitelist,
		       const vigil_video_opts *opts)
{
	AVDictionary *o = NULL;
	const AVCodec *codec;
	AVCodecParameters *par;
	AVStream *st;
	AVRational rate;
	unsigned i;
	int r, rc;

	av_dict_set(&o, "protocol_whitelist", whitelist, 0);
	if (v->timeout_us > 0)
		av_dict_set_int(&o, "rw_timeout", v->timeout_us, 0);
	if (!strcmp(whitelist, WHITELIST_URL)) {
		/* Live input: FFmpeg's default probing buffers up to 5 s of
		 * frames before the first one is decoded, and every monitored
		 * stream then runs that far behind live. A short probe
		 * (0.3 s) is enough for the codec parameters of a live stream.
		 * The packets read while probing stay buffered and are
		 * decoded first: they hold the stream's first keyframe, and
		 * "fflags nobuffer" (which drops them) left every frame up
		 * to the next keyframe unhashed (issue 7.1). */
		av_dict_set_int(&o, "analyzeduration", VIGIL__LIVE_ANALYZE_US, 0);
	}
	v->last_io = av_gettime_relative();
	r = avformat_open_input(&v->fmt, url, NULL, &o);
	av_dict_free(&o);
	/* Demuxers that probed the bytes and then gave up say "invalid
	 * argument" as often as "invalid data"; for a file or buffer both mean
	 * the bytes, not the call. */
	if ((r == AVERROR_INVALIDDATA ||
	     (r == AVERROR(EINVAL) && strcmp(whitelist, WHITELIST_URL))) &&
	    !v->interrupted)
		return vigil__err(v->ctx, VIGIL_EFORMAT,
				  "video: not a recognised video container");
	if (r < 0)
		return av_status(v, r, "cannot open");
	v->last_io = av_gettime_relative();
	r = avformat_find_stream_info(v->fmt, NULL);
	if (r < 0)
		return av_status(v, r, "cannot read stream info");
	/* The reference takes the first stream of video type (not FFmpeg's
	 * "best" one): the same stream gives the same frames. */
	for (i = 0; i < v->fmt->nb_streams; i++)
		if (v->fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
			v->stream = (int)i;
			break;
		}
	if (v->stream < 0)
		return vigil__err(v->ctx, VIGIL_EFORMAT, "video: no video stream");
	st = v->fmt->streams[v->stream];
	par = st->codecpar;
	rc = check_size(v, par->width, par->height);
	if (rc)
		return rc;
	v->width = par->width;
	v->height = par->height;
	if (v->fmt->duration != AV_NOPTS_VALUE &&
	    (double)v->fmt->duration / AV_TIME_BASE > v->max_seconds)
		return vigil__err(v->ctx, VIGIL_ETOOBIG,
				  "video: %.0f s long, over the %.0f s limit",
				  (double)v->fmt->duration / AV_TIME_BASE,
				  v->max_seconds);
	rate = st->avg_frame_rate;
	if (!rate.num || !rate.den)
		rate = st->r_frame_rate;
	if (!rate.num || !rate.den || (double)rate.num / rate.den <= 0)
		return vigil__err(v->ctx, VIGIL_EFORMAT, "video: no frame rate");
	v->fps = (double)rate.num / (double)rate.den;
	codec = avcodec_find_decoder(par->codec_id);
	if (!codec)
		return vigil__err(v->ctx, VIGIL_EFORMAT, "video: no decoder for %s",
				  avcodec_get_name(par->codec_id));
	v->cc = avcodec_alloc_context3(codec);
	if (!v->cc)
		return vigil__err(v->ctx, VIGIL_ENOMEM, "out of memory");
	r = avcodec_parameters_to_context(v->cc, par);
	if (r < 0)
		return av_status(v, r, "codec parameters");
	/* Threads change speed, not pixels: FFmpeg's frame and slice threads
	 * output the same frames as one thread. */
	v->cc->thread_count = opts ? opts->threads : 0;
	v->cc->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
	/* The decoder itself refuses frames over the pixel limit, even if a
	 * later header grows them. */
	v->cc->max_pixels = vigil_ctx_get_limit(v->ctx, VIGIL_LIMIT_MAX_PIXELS);
	/* A still image (image2, jpeg_pipe, png_pipe ... demuxers) is one
	 * frame: a truncated one would be concealed into an invented picture,
	 * which `vigil hash` refuses, so here too any damage is an error.
	 * Videos keep FFmpeg's usual tolerance, as the reference has it. */
	if (v->fmt->iformat && (!strcmp(v->fmt->iformat->name, "image2") ||
				strstr(v->fmt->iformat->name, "_pipe")))
		v->cc->err_recognition |= AV_EF_EXPLODE;
	r = avcodec_open2(v->cc, codec, NULL);
	if (r < 0)
		return av_status(v, r, "cannot open the decoder");
	return VIGIL_OK;
}

int vigil__video_open_file(vigil_ctx *ctx, const char *path,
			   const vigil_video_opts *opts, vigil__video **out)
{
	vigil__video *v;
	int rc;

	if (!ctx || !path || !out)
		return vigil__err(ctx, VIGIL_EINVAL, "NULL argument");
	/* FFmpeg's file protocol would block on a FIFO (or read a device
	 * forever): only regular files are opened. */
	{
		int fd;
		int64_t size;
		rc = vigil__open_regular(ctx, path, &fd, &size);
		if (rc)
			return rc;
		close(fd);
	}
	rc = alloc_video(ctx, opts, &v);
	if (rc)
		return rc;
	/* "file:" so that a path with a colon is not taken for a protocol. */
	{
		size_t n = strlen(path) + 6;
		char *url = vigil__malloc(n);
		if (!url) {
			vigil__video_close(v);
			return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
		}
		snprintf(url, n, "file:%s", path);
		rc = open_stream(v, url, WHITELIST_FILE, opts);
		vigil__free(url);
	}
	if (rc) {
		vigil__video_close(v);
		return rc;
	}
	*out = v;
	return VIGIL_OK;
}

int vigil__video_open_memory(vigil_ctx *ctx, const void *data, size_t len,
			     const vigil_video_opts *opts, vigil__video **out)
{
	vigil__video *v;
	uint8_t *buf;
	int rc;

	if (!ctx || (!data && len) || !out)
		return vigil__err(ctx, VIGIL_EINVAL, "NULL argument");
	if ((int64_t)len > vigil_ctx_get_limit(ctx, VIGIL_LIMIT_MAX_BYTES))
		return vigil__err(ctx, VIGIL_ETOOBIG,
				  "video: %zu bytes, over the limit", len);
	rc = alloc_video(ctx, opts, &v);
	if (rc)
		return rc;
	v->mem.data = data;
	v->mem.len = len;
	buf = av_malloc(VIDEO_IO_BUF);
	v->avio = buf ? avio_alloc_context(buf, VIDEO_IO_BUF, 0, &v->mem, mem_read,
					   NULL, mem_seek)
		      : NULL;
	if (!v->avio) {
		av_free(buf);
		vigil__video_close(v);
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	}
	v->fmt->pb = v->avio;
	v->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
	rc = open_stream(v, "", WHITELIST_MEMORY, opts);
	if (rc) {
		vigil__video_close(v);
		return rc;
	}
	*out = v;
	return VIGIL_OK;
}

int vigil__video_open_url(vigil_ctx *ctx, const char *url,
			  const vigil_video_opts *opts, vigil__video **out)
{
	vigil__video *v;
	int rc;

	if (!ctx || !url || !out)
		return vigil__err(ctx, VIGIL_EINVAL, "NULL argument");
	rc = alloc_video(ctx, opts, &v);
	if (rc)
		return rc;
	v->live = 1;
	rc = open_stream(v, url, WHITELIST_URL, opts);
	if (rc) {
		vigil__video_close(v);
		return rc;
	}
	*out = v;
	return VIGIL_OK;
}

/* Checks a frame the decoder gave against the limits. */
static int check_frame(vigil__video *v)
{
	if (v->frames > v->max_frames)
		return vigil__err(v->ctx, VIGIL_ETOOBIG,
				  "video: more than %lld frames",
				  (long long)v->max_frames);
	if ((double)(v->frames - 1) / v->fps > v->max_seconds)
		return vigil__err(v->ctx, VIGIL_ETOOBIG,
				  "video: longer than %.0f s", v->max_seconds);
	return check_size(v, v->frame->width, v->frame->height);
}

/* At the end of the input: a container that declared more frames than it
 * delivered was cut short. */
static int check_complete(vigil__video *v)
{
	int64_t packets = v->packets;
	int64_t declared = v->fmt->streams[v->stream]->nb_frames;

	if (declared > 0 && packets < declared)
		return vigil__err(v->ctx, VIGIL_ECORRUPT,
				  "video: truncated (%lld of %lld frames)",
				  (long long)packets, (long long)declared);
	return VIGIL_OK;
}

/* A read failure on an MP4/MOV input that cannot seek: the mov demuxer
 * found the index only after reading past the data (the default layout
 * without -movflags +faststart) and then could not seek back to the data,
 * which FFmpeg reports as a bare I/O error. */
static int unseekable_mp4(const vigil__video *v)
{
	return !v->interrupted && v->fmt && v->fmt->iformat && v->fmt->pb &&
	       strstr(v->fmt->iformat->name, "mp4") &&
	       !(v->fmt->pb->seekable & AVIO_SEEKABLE_NORMAL);
}

/* A decoding failure once the whole input was read is a cut file: say so
 * (the frames before the cut were given). */
static int decode_error(vigil__video *v, int r)
{
	AVIOContext *pb = v->fmt->pb;

	if (r != AVERROR(ENOMEM) && pb &&
	    (pb->eof_reached ||
	     (avio_size(pb) > 0 && avio_tell(pb) >= avio_size(pb))))
		return vigil__err(v->ctx, VIGIL_ECORRUPT,
				  "video: truncated (cut in frame %lld)",
				  (long long)v->frames + 1);
	return av_status(v, r, "cannot decode");
}

/* A packet's position (stream time base), or AV_NOPTS_VALUE. */
static int64_t packet_ts(const AVPacket *p)
{
	return p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
}

/* Whether pkt goes to the decoder, and how much of it is decoded: in the
 * non-reference mode, a packet before the next sample instant may be
 * dropped by the decoder if no other frame refers to it (the decoder knows
 * which: nal_ref_idc in H.264, the picture type elsewhere); from the
 * instant on, it is decoded in full, so that the sample is the first frame
 * at or after it, as in the every-frame mode. skip_frame is read by the
 * decoder for each packet sent (and copied to its frame threads), so it
 * can change between packets. */
static int admit_packet(vigil__video *v, const AVPacket *pkt)
{
	enum AVDiscard want = AVDISCARD_DEFAULT;
	int64_t ts;

	switch (v->decode) {
	case VIGIL_DECODE_KEYFRAMES:
		/* Keyframes decode alone: nothing else needs to be read by
		 * the decoder at all (cheaper than skip_frame, which still
		 * parses every slice header). */
		if (pkt->flags & AV_PKT_FLAG_KEY)
			return 1;
		v->dropped = 1;
		return 0;
	case VIGIL_DECODE_NONREF:
		ts = packet_ts(pkt);
		if (v->due != AV_NOPTS_VALUE && ts != AV_NOPTS_VALUE && ts < v->due)
			want = AVDISCARD_NONREF;
		if (v->cc->skip_frame != want)
			v->cc->skip_frame = want;
		return 1;
	default:
		return 1;
	}
}

int vigil__video_take(vigil__video *v, const AVFrame *fr, double interval)
{
	AVRational tb = v->fmt->streams[v->stream]->time_base;
	int64_t ts = fr->best_effort_timestamp, step, half;

	if (ts == AV_NOPTS_VALUE)
		ts = fr->pts;
	/* In the keyframes mode, a keyframe after frames that were left out
	 * is always a sample, however soon after the last: an encoder puts an
	 * IDR frame at a scene cut (the image's onset), often well before the
	 * interval is up, and the next keyframe may come after the image is
	 * gone. The interval only thins out streams of keyframes alone (all
	 * intra), where the decode is as costly as in the every-frame mode. */
	if (v->decode == VIGIL_DECODE_KEYFRAMES && v->dropped) {
		v->dropped = 0;
	} else if (v->due != AV_NOPTS_VALUE && ts != AV_NOPTS_VALUE && ts < v->due) {
		return 0;
	}
	if (ts == AV_NOPTS_VALUE) {
		/* No timestamps: the mode cannot place instants, so every
		 * decoded frame is a sample. */
		v->due = AV_NOPTS_VALUE;
		return 1;
	}
	/* The instant interval seconds on, less half a frame, so that a frame
	 * a rounding error early (millisecond timestamps) still counts. */
	step = tb.num > 0 ? (int64_t)(interval * tb.den / tb.num) : 0;
	half = tb.num > 0 && v->fps > 0 ? (int64_t)(0.5 * tb.den / (tb.num * v->fps)) : 0;
	v->due = ts + (step - half > 1 ? step - half : 1);
	return 1;
}

int vigil__video_next(vigil__video *v, AVFrame **out)
{
	int r, rc;

	for (;;) {
		r = avcodec_receive_frame(v->cc, v->frame);
		if (r == 0) {
			v->frames++;
			rc = check_frame(v);
			if (rc)
				return rc;
			*out = v->frame;
			return VIGIL_OK;
		}
		if (r == AVERROR_EOF && v->kf_drain) {
			/* The keyframe is out: ready for the next one. */
			avcodec_flush_buffers(v->cc);
			v->kf_drain = 0;
			continue;
		}
		if (r == AVERROR_EOF)
			return v->end_rc ? v->end_rc : VIGIL_ENOENT;
		if (r != AVERROR(EAGAIN))
			return decode_error(v, r);
		if (v->draining)
			return v->end_rc ? v->end_rc : VIGIL_ENOENT;
		if (v->abort && __atomic_load_n(v->abort, __ATOMIC_ACQUIRE))
			return vigil__err(v->ctx, VIGIL_EABORTED, "video: aborted");
		r = av_read_frame(v->fmt, v->pkt);
		v->last_io = av_gettime_relative();
		if (r == AVERROR_EOF) {
			/* Flush: the decoder gives what it holds back, and
			 * then a truncation is reported. */
			v->end_rc = check_complete(v);
			v->draining = 1;
			r = avcodec_send_packet(v->cc, NULL);
			if (r < 0 && r != AVERROR_EOF)
				return av_status(v, r, "cannot decode");
			continue;
		}
		if (r < 0 && unseekable_mp4(v))
			return vigil__err(v->ctx, VIGIL_EFORMAT,
					  "video: an MP4 with its index (moov atom) at "
					  "the end needs seeking, which this input (HTTP "
					  "without range requests, a pipe) cannot do; "
					  "remux it with -movflags +faststart");
		if (r < 0)
			return av_status(v, r, "cannot read");
		if (v->pkt->stream_index != v->stream) {
			av_packet_unref(v->pkt);
			continue;
		}
		v->packets++;
		if (!admit_packet(v, v->pkt)) {
			av_packet_unref(v->pkt);
			continue;
		}
		r = avcodec_send_packet(v->cc, v->pkt);
		av_packet_unref(v->pkt);
		if (r < 0)
			return decode_error(v, r == AVERROR(EAGAIN) ? AVERROR_BUG : r);
		/* Fed keyframes alone, a decoder that reorders (H.264 with
		 * B-frames holds frames back for it) would give each keyframe
		 * only after the next ones came: two keyframes late at x264's
		 * defaults, 4 s behind live at a 2 s interval. A keyframe (IDR)
		 * needs nothing before or after it, so the decoder is drained
		 * after each one and reset (the codec's extradata stays). */
		if (v->decode == VIGIL_DECODE_KEYFRAMES) {
			r = avcodec_send_packet(v->cc, NULL);
			if (r < 0 && r != AVERROR_EOF)
				return av_status(v, r, "cannot decode");
			v->kf_drain = 1;
		}
	}
}

void vigil__video_close(vigil__video *v)
{
	if (!v)
		return;
	avcodec_free_context(&v->cc);
	avformat_close_input(&v->fmt);
	if (v->avio) {
		av_freep(&v->avio->buffer);
		avio_context_free(&v->avio);
	}
	av_packet_free(&v->pkt);
	av_frame_free(&v->frame);
	vigil__free(v);
}
