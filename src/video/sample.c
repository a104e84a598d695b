/* sample.c — a few frames of a video as decoded images, spread over its
 * length: what a reviewer sees of a video case (a strip of protected
 * keyframes, never the moving picture or its sound). */
#include "../media/image.h"
#include "video_int.h"

#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <string.h>

#define SAMPLE_RGB_PAD 64 /* slack after the RGB frame for SIMD stores */

int vigil_video_sample_memory(vigil_ctx *ctx, const void *data, size_t len,
			      const vigil_video_opts *opts, int count,
			      vigil_video_frame_cb cb, void *user)
{
	vigil__video *v = NULL;
	struct SwsContext *sws = NULL;
	uint8_t *rgb = NULL;
	AVFrame *fr;
	int64_t step, total = 0;
	int rc, given = 0;

	if (!ctx || !data || !cb || count < 1 || count > VIGIL_VIDEO_SAMPLE_MAX)
		return vigil__err(ctx, VIGIL_EINVAL, "video sample: bad arguments");
	rc = vigil__video_open_memory(ctx, data, len, opts, &v);
	if (rc)
		return rc;
	/* Spread over the declared length; without one (or a rate), one
	 * frame a second from the start. */
	if (v->fmt->duration != AV_NOPTS_VALUE && v->fmt->duration > 0 && v->fps > 0)
		total = (int64_t)((double)v->fmt->duration / AV_TIME_BASE * v->fps);
	if (total >= count)
		step = total / count;
	else
		step = v->fps >= 1 ? (int64_t)(v->fps + 0.5) : 1;
	if (step < 1)
		step = 1;
	/* check_size() bounded width * height by the pixel limit. */
	rgb = av_malloc((size_t)v->width * 3 * (size_t)v->height + SAMPLE_RGB_PAD);
	if (!rgb) {
		rc = vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	while (given < count && (rc = vigil__video_next(v, &fr)) == VIGIL_OK) {
		int64_t idx = v->frames - 1;
		uint8_t *dst[4] = {rgb, NULL, NULL, NULL};
		int dstride[4] = {v->width * 3, 0, 0, 0};
		vigil_image im;
		/* The middle of each step: not the (often black) first frame. */
		if (idx % step != step / 2)
			continue;
		sws = sws_getCachedContext(sws, fr->width, fr->height, fr->format, v->width,
					   v->height, AV_PIX_FMT_RGB24, SWS_AREA, NULL, NULL,
					   NULL);
		if (!sws) {
			rc = vigil__err(ctx, VIGIL_EFORMAT, "video: cannot convert %s frames to RGB",
					av_get_pix_fmt_name(fr->format) ?
						av_get_pix_fmt_name(fr->format) : "unknown");
			goto out;
		}
		sws_scale(sws, (const uint8_t *const *)fr->data, fr->linesize, 0, fr->height, dst,
			  dstride);
		im.width = v->width;
		im.height = v->height;
		im.channels = 3;
		im.format = "video";
		im.pixels = rgb;
		given++;
		if (cb(user, &im, v->fps > 0 ? (double)idx / v->fps : 0)) {
			rc = vigil__err(ctx, VIGIL_EABORTED, "video: stopped by the callback");
			goto out;
		}
	}
	if (rc == VIGIL_ENOENT || given == count)
		rc = VIGIL_OK;
out:
	sws_freeContext(sws);
	av_free(rgb);
	vigil__video_close(v);
	return rc;
}
