/* synth.h — synthetic test videos made with libavcodec/libavformat (the
 * machine has no ffmpeg CLI): a moving gradient, any size, frame count,
 * rate, codec and container. For the video tests and the fuzz seeds. */
#ifndef VIGIL_TEST_SYNTH_H
#define VIGIL_TEST_SYNTH_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <stdio.h>
#include <stdlib.h>

static int synth_encode(AVFormatContext *oc, AVCodecContext *cc, AVStream *st,
			AVFrame *f)
{
	AVPacket *pkt = av_packet_alloc();
	int r = avcodec_send_frame(cc, f);

	while (r >= 0) {
		r = avcodec_receive_packet(cc, pkt);
		if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) {
			r = 0;
			break;
		}
		if (r < 0)
			break;
		av_packet_rescale_ts(pkt, cc->time_base, st->time_base);
		pkt->stream_index = st->index;
		r = av_interleaved_write_frame(oc, pkt);
	}
	av_packet_free(&pkt);
	return r;
}

/* Writes n frames of w x h at fps frames/s, encoded with codec id, in the
 * container fmt ("mp4", "matroska", "avi"), to path. movflags, if not
 * NULL, goes to the mp4 muxer (e.g. "faststart"). Returns 0 or -1. */
static int synth_video(const char *path, const char *fmt, enum AVCodecID id,
		       int w, int h, int n, int fps, const char *movflags)
{
	const AVCodec *c = avcodec_find_encoder(id);
	AVFormatContext *oc = NULL;
	AVCodecContext *cc = NULL;
	AVFrame *f = NULL;
	AVDictionary *o = NULL;
	AVStream *st;
	int i, x, y, r = -1;

	if (!c || avformat_alloc_output_context2(&oc, NULL, fmt, path) < 0)
		return -1;
	st = avformat_new_stream(oc, NULL);
	cc = avcodec_alloc_context3(c);
	f = av_frame_alloc();
	if (!st || !cc || !f)
		goto out;
	cc->width = w;
	cc->height = h;
	cc->time_base = (AVRational){1, fps};
	cc->framerate = (AVRational){fps, 1};
	cc->pix_fmt = id == AV_CODEC_ID_MJPEG ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P;
	cc->gop_size = 10;
	cc->max_b_frames = 0;
	if (oc->oformat->flags & AVFMT_GLOBALHEADER)
		cc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
	if (avcodec_open2(cc, c, NULL) < 0 ||
	    avcodec_parameters_from_context(st->codecpar, cc) < 0)
		goto out;
	st->time_base = cc->time_base;
	st->avg_frame_rate = cc->framerate;
	if (avio_open(&oc->pb, path, AVIO_FLAG_WRITE) < 0)
		goto out;
	if (movflags)
		av_dict_set(&o, "movflags", movflags, 0);
	if (avformat_write_header(oc, &o) < 0)
		goto out;
	f->format = cc->pix_fmt;
	f->width = w;
	f->height = h;
	if (av_frame_get_buffer(f, 0) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (av_frame_make_writable(f) < 0)
			goto out;
		for (y = 0; y < h; y++)
			for (x = 0; x < w; x++)
				f->data[0][y * f->linesize[0] + x] =
					(uint8_t)((x * 255 / w + y * 3 + 7 * i) ^ (x * y / 5));
		for (y = 0; y < (h + 1) / 2; y++)
			for (x = 0; x < (w + 1) / 2; x++) {
				f->data[1][y * f->linesize[1] + x] = (uint8_t)(128 + x - i);
				f->data[2][y * f->linesize[2] + x] = (uint8_t)(128 - y + i);
			}
		f->pts = i;
		if (synth_encode(oc, cc, st, f) < 0)
			goto out;
	}
	if (synth_encode(oc, cc, st, NULL) < 0 || av_write_trailer(oc) < 0)
		goto out;
	r = 0;
out:
	av_dict_free(&o);
	av_frame_free(&f);
	avcodec_free_context(&cc);
	if (oc && oc->pb)
		avio_closep(&oc->pb);
	avformat_free_context(oc);
	return r;
}

/* Reads a whole file into a malloc'd buffer. */
static unsigned char *synth_slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *b = NULL;
	long n;

	if (!fp)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 && (b = malloc((size_t)n + 1)) &&
	    fread(b, 1, (size_t)n, fp) == (size_t)n)
		*len = (size_t)n;
	else {
		free(b);
		b = NULL;
	}
	fclose(fp);
	return b;
}

#endif
