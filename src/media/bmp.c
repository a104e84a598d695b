/* bmp.c — BMP through FFmpeg's libavcodec (every depth, palette, bitfields,
 * RLE), converted to RGB24 by libswscale; alpha is dropped. */
#include "decoder.h"

#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <pthread.h>
#include <string.h>

static void quiet_ffmpeg(void)
{
	/* Failures reach the caller through vigil_errmsg(); FFmpeg's own log
	 * lines on stderr would only repeat them, per file, in a batch run. */
	av_log_set_level(AV_LOG_QUIET);
}

static int sniff(const uint8_t *b, size_t n)
{
	return n >= 26 && b[0] == 'B' && b[1] == 'M';
}

static int bopen(vigil__dec *d)
{
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_BMP);
	AVCodecContext *cc = NULL;
	AVPacket *pkt = NULL;
	AVFrame *fr = NULL;
	struct SwsContext *sws = NULL;
	uint8_t *dst[4] = {0};
	int dstride[4] = {0};
	int rc = VIGIL_OK, w, h;

	static pthread_once_t once = PTHREAD_ONCE_INIT;
	uint32_t declared;

	pthread_once(&once, quiet_ffmpeg);
	if (d->len > INT32_MAX - AV_INPUT_BUFFER_PADDING_SIZE)
		return vigil__err(d->ctx, VIGIL_ETOOBIG, "bmp: too large");
	/* FFmpeg decodes a truncated BMP "anyway", inventing the rest; a file
	 * shorter than its header's own size is refused instead. */
	declared = (uint32_t)d->data[2] | (uint32_t)d->data[3] << 8 |
		   (uint32_t)d->data[4] << 16 | (uint32_t)d->data[5] << 24;
	if (declared > d->len)
		return vigil__err(d->ctx, VIGIL_ECORRUPT,
				  "bmp: truncated (%zu of %u bytes)", d->len, declared);
	/* The header holds the size: refuse before the codec allocates. */
	w = (int)(d->data[18] | d->data[19] << 8 | d->data[20] << 16 |
		  (uint32_t)d->data[21] << 24);
	h = (int)(d->data[22] | d->data[23] << 8 | d->data[24] << 16 |
		  (uint32_t)d->data[25] << 24);
	rc = vigil__dec_check_dims(d, w, h < 0 ? -(int64_t)h : h);
	if (rc)
		return rc;
	cc = codec ? avcodec_alloc_context3(codec) : NULL;
	pkt = av_packet_alloc();
	fr = av_frame_alloc();
	if (!codec || !cc || !pkt || !fr) {
		rc = vigil__err(d->ctx, codec ? VIGIL_ENOMEM : VIGIL_EFORMAT,
				"bmp: cannot set up the decoder");
		goto out;
	}
	if (avcodec_open2(cc, codec, NULL) < 0) {
		rc = vigil__err(d->ctx, VIGIL_EFORMAT, "bmp: cannot open decoder");
		goto out;
	}
	if (av_new_packet(pkt, (int)d->len) < 0) {
		rc = vigil__err(d->ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(pkt->data, d->data, d->len);
	if (avcodec_send_packet(cc, pkt) < 0 ||
	    avcodec_receive_frame(cc, fr) < 0) {
		rc = vigil__err(d->ctx, VIGIL_ECORRUPT, "bmp: corrupt data");
		goto out;
	}
	rc = vigil__dec_check_dims(d, fr->width, fr->height);
	if (rc)
		goto out;
	d->width = fr->width;
	d->height = fr->height;
	d->channels = 3;
	rc = vigil__dec_alloc_frame(d);
	if (rc)
		goto out;
	sws = sws_getContext(fr->width, fr->height, fr->format, fr->width,
			     fr->height, AV_PIX_FMT_RGB24, SWS_POINT, NULL, NULL,
			     NULL);
	if (!sws) {
		rc = vigil__err(d->ctx, VIGIL_EFORMAT, "bmp: unsupported pixel format");
		goto out;
	}
	dst[0] = d->frame;
	dstride[0] = d->width * 3;
	sws_scale(sws, (const uint8_t *const *)fr->data, fr->linesize, 0,
		  fr->height, dst, dstride);
out:
	sws_freeContext(sws);
	av_frame_free(&fr);
	av_packet_free(&pkt);
	avcodec_free_context(&cc);
	return rc;
}

const vigil__dec_ops vigil__dec_bmp = {
	"bmp", sniff, bopen, NULL, NULL, NULL, 0,
};
