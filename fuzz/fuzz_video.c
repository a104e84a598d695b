/* fuzz_video — vPDQ of arbitrary bytes taken as a video: every demuxer and
 * decoder FFmpeg probes, the limits and the frame conversion. */
#include "vigil.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(void *user, const vigil_vpdq_frame *f)
{
	int *last = user;

	/* Frames come in order, each with a sane quality. */
	if (f->frame <= *last || f->quality < 0 || f->quality > 100 ||
	    f->quality != f->hash.quality || !(f->seconds >= 0))
		abort();
	*last = f->frame;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static vigil_ctx *ctx;
	vigil_video_opts o = {0};
	int last = -1;

	if (!ctx) {
		if (vigil_ctx_new(&ctx))
			abort();
		/* Keep each input cheap: small videos find the same bugs. */
		vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_PIXELS, 1 << 20);
		vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_SIDE, 4096);
	}
	o.max_frames = 200;
	o.max_seconds = 600;
	o.threads = 1;
	o.timeout_ms = 5000;
	vigil_vpdq_hash_memory(ctx, data, size, &o, check, &last);
	o.interval = 1;
	last = -1;
	vigil_vpdq_hash_memory(ctx, data, size, &o, check, &last);
	return 0;
}
