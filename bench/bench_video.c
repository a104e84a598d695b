/* bench_video — seconds of video hashed per second of wall time, for one
 * file (or the sample videos given), in one run: a plain full decode of the
 * stream (the floor: every frame must be decoded), vPDQ at one frame per
 * second, and vPDQ of every frame. Usage: bench_video [-t THREADS] VIDEO... */
#include "vigil.h"
#include "../src/video/video_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Decodes every frame and nothing else; returns the video's seconds. */
static double decode_only(vigil_ctx *ctx, const char *path,
			  const vigil_video_opts *o)
{
	vigil__video *v;
	AVFrame *f;
	double secs;
	int rc;

	if (vigil__video_open_file(ctx, path, o, &v))
		return -1;
	while ((rc = vigil__video_next(v, &f)) == VIGIL_OK)
		;
	secs = (double)v->frames / v->fps;
	vigil__video_close(v);
	return rc == VIGIL_ENOENT ? secs : -1;
}

int main(int argc, char **argv)
{
	vigil_video_opts o = {0};
	vigil_ctx *ctx;
	double video = 0, t, td = 0, t1 = 0, t0 = 0, s;
	int i = 1, rep;

	if (argc > 2 && !strcmp(argv[1], "-t")) {
		o.threads = atoi(argv[2]);
		i = 3;
	}
	if (i >= argc || vigil_ctx_new(&ctx)) {
		fprintf(stderr, "usage: %s [-t THREADS] VIDEO...\n", argv[0]);
		return 2;
	}
	for (; i < argc; i++)
		for (rep = 0; rep < 2; rep++) { /* second pass: warm cache */
			t = now();
			s = decode_only(ctx, argv[i], &o);
			if (s < 0) {
				fprintf(stderr, "%s: %s\n", argv[i], vigil_errmsg(ctx));
				return 1;
			}
			if (!rep)
				continue;
			td += now() - t;
			video += s;
			o.interval = 1;
			t = now();
			vigil_vpdq_hash_file(ctx, argv[i], &o, NULL, NULL);
			t1 += now() - t;
			o.interval = 0;
			t = now();
			vigil_vpdq_hash_file(ctx, argv[i], &o, NULL, NULL);
			t0 += now() - t;
		}
	printf("%.1f s of video, decoder threads %d (0 = auto)\n", video, o.threads);
	printf("decode only     %8.1f video-s/s\n", video / td);
	printf("vpdq 1 frame/s  %8.1f video-s/s (%.0f%% of decode only)\n",
	       video / t1, 100 * td / t1);
	printf("vpdq all frames %8.1f video-s/s\n", video / t0);
	vigil_ctx_free(ctx);
	return 0;
}
