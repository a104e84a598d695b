/* test_vpdq_errors — vPDQ on synthetic videos: frame selection and
 * timestamps, file and memory agreeing, and every failure path: missing,
 * non-video, truncated and corrupt input, each limit, aborts, a stalled
 * network stream, bad options. argv[1]: a scratch directory; argv[2]: the
 * vectors' vpdq dir. With --write-seeds DIR, writes the fuzz seeds instead. */
#include "vigil.h"
#include "../../src/core/core.h"
#include "../test.h"
#include "synth.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct frames {
	vigil_vpdq_frame f[4096];
	int n;
	int stop_after; /* > 0: the callback stops after this many */
} frames;

static int keep(void *user, const vigil_vpdq_frame *f)
{
	frames *fs = user;

	if (fs->n < 4096)
		fs->f[fs->n] = *f;
	fs->n++;
	return fs->stop_after > 0 && fs->n >= fs->stop_after;
}

static char scratch[900];

static const char *tmp(const char *name)
{
	static char p[4][1024];
	static int k;

	k = (k + 1) & 3;
	snprintf(p[k], sizeof(p[k]), "%s/%s", scratch, name);
	return p[k];
}

/* 30 frames at 10 fps: every frame, 1 s (every 10th), 0.25 s (every 2nd). */
static void test_selection(vigil_ctx *ctx)
{
	static frames a, b, c, m;
	vigil_video_opts o = {0};
	const char *p = tmp("sel.mp4");
	unsigned char *data;
	size_t len = 0;
	char line[VIGIL_VPDQ_LINE_MAX];
	int i, rc;

	CHECK(synth_video(p, "mp4", AV_CODEC_ID_MPEG4, 96, 64, 30, 10, NULL) == 0);
	rc = vigil_vpdq_hash_file(ctx, p, NULL, keep, &a);
	CHECKF(rc == VIGIL_OK, "%s", vigil_errmsg(ctx));
	CHECK(a.n == 30);
	for (i = 0; i < a.n && i < 30; i++) {
		CHECK(a.f[i].frame == i);
		CHECK(a.f[i].quality == a.f[i].hash.quality);
		CHECK(a.f[i].quality > 0);
	}
	vigil_vpdq_format(&a.f[13], line);
	CHECKF(!strncmp(line, "13,", 3) && strstr(line, ",1.300"), "%s", line);
	o.interval = 1;
	CHECK(vigil_vpdq_hash_file(ctx, p, &o, keep, &b) == VIGIL_OK);
	CHECK(b.n == 3 && b.f[0].frame == 0 && b.f[1].frame == 10 &&
	      b.f[2].frame == 20);
	CHECK(!memcmp(&b.f[1].hash, &a.f[10].hash, sizeof(vigil_pdq)));
	o.interval = 0.25; /* (int)(0.25 * 10) == 2 */
	CHECK(vigil_vpdq_hash_file(ctx, p, &o, keep, &c) == VIGIL_OK);
	CHECK(c.n == 15 && c.f[7].frame == 14);
	/* A buffer gives what the file gives. */
	data = synth_slurp(p, &len);
	CHECK(data != NULL);
	rc = vigil_vpdq_hash_memory(ctx, data, len, NULL, keep, &m);
	CHECKF(rc == VIGIL_OK, "%s", vigil_errmsg(ctx));
	CHECK(m.n == a.n && !memcmp(m.f, a.f, sizeof(a.f[0]) * 30));
	free(data);
	/* The collecting form. */
	{
		vigil_vpdq_frame *arr = NULL;
		size_t n = 0;
		CHECK(vigil_vpdq_hash_file_all(ctx, p, NULL, &arr, &n) == VIGIL_OK);
		CHECK(n == 30 && arr && !memcmp(arr, a.f, sizeof(a.f[0]) * 30));
		vigil_vpdq_free(arr);
		CHECK(vigil_vpdq_hash_file_all(ctx, tmp("nope.mp4"), NULL, &arr,
					       &n) == VIGIL_ENOENT);
		CHECK(arr == NULL && n == 0);
	}
	/* Other containers and codecs. */
	CHECK(synth_video(tmp("sel.mkv"), "matroska", AV_CODEC_ID_MPEG4, 96, 64, 12,
			  25, NULL) == 0);
	a.n = 0;
	CHECK(vigil_vpdq_hash_file(ctx, tmp("sel.mkv"), NULL, keep, &a) == VIGIL_OK);
	CHECK(a.n == 12);
	CHECK(synth_video(tmp("sel.avi"), "avi", AV_CODEC_ID_MJPEG, 64, 48, 8, 5,
			  NULL) == 0);
	a.n = 0;
	CHECK(vigil_vpdq_hash_file(ctx, tmp("sel.avi"), NULL, keep, &a) == VIGIL_OK);
	CHECK(a.n == 8);
}

static int expect_rc(vigil_ctx *ctx, const void *d, size_t n,
		     const vigil_video_opts *o, int *nframes)
{
	static frames fs;

	fs.n = 0;
	fs.stop_after = 0;
	int rc = vigil_vpdq_hash_memory(ctx, d, n, o, keep, &fs);
	if (nframes)
		*nframes = fs.n;
	return rc;
}

static void test_bad_input(vigil_ctx *ctx, const char *vectors)
{
	static const char text[] = "frame,quality,hash\nthis is not a video\n";
	unsigned char rnd[4096], *data;
	unsigned long long s = 42;
	size_t len = 0, i;
	char p[1024];
	int rc, n, k;

	CHECK(vigil_vpdq_hash_file(ctx, tmp("missing.mp4"), NULL, NULL, NULL) ==
	      VIGIL_ENOENT);
	CHECK(expect_rc(ctx, text, sizeof(text) - 1, NULL, NULL) == VIGIL_EFORMAT);
	CHECK(expect_rc(ctx, "", 0, NULL, NULL) == VIGIL_EFORMAT);
	for (i = 0; i < sizeof(rnd); i++)
		rnd[i] = (unsigned char)test_rand(&s);
	rc = expect_rc(ctx, rnd, sizeof(rnd), NULL, NULL);
	CHECKF(rc == VIGIL_EFORMAT || rc == VIGIL_ECORRUPT, "%d %s", rc,
	       vigil_errmsg(ctx));
	/* Audio only: a WAV header with silence. */
	{
		unsigned char wav[44 + 800] = "RIFF\0\0\0\0WAVEfmt \x10\0\0\0\1\0\1\0"
					      "\x40\x1f\0\0\x80\x3e\0\0\2\0\x10\0data";
		uint32_t dl = 800, rl = 36 + 800;
		memcpy(wav + 4, &rl, 4);
		memcpy(wav + 40, &dl, 4);
		rc = expect_rc(ctx, wav, sizeof(wav), NULL, NULL);
		CHECKF(rc == VIGIL_EFORMAT && strstr(vigil_errmsg(ctx), "no video"),
		       "%d %s", rc, vigil_errmsg(ctx));
	}
	/* A sample video cut in half: moov is in front, so the frames before
	 * the cut are hashed, then the truncation is reported. */
	snprintf(p, sizeof(p), "%s/videos/doorknob-hd-no-bar.mp4", vectors);
	data = synth_slurp(p, &len);
	CHECKF(data != NULL, "%s", p);
	if (data) {
		rc = expect_rc(ctx, data, len / 2, NULL, &n);
		CHECKF(rc == VIGIL_ECORRUPT, "%d %s", rc, vigil_errmsg(ctx));
		CHECKF(n > 10 && n < 120, "%d frames", n);
		/* Damage in the middle: any status, no crash (ASan). */
		for (k = 0; k < 3; k++) {
			unsigned char *cp = malloc(len);
			memcpy(cp, data, len);
			for (i = len / 3; i < len; i += 997 + 1000 * (size_t)k)
				cp[i] ^= (unsigned char)(0x55 + k);
			rc = expect_rc(ctx, cp, len, NULL, &n);
			CHECKF(rc == VIGIL_OK || rc == VIGIL_ECORRUPT, "%d %s", rc,
			       vigil_errmsg(ctx));
			free(cp);
		}
		/* Cut in the header. */
		rc = expect_rc(ctx, data, 2000, NULL, NULL);
		CHECKF(rc == VIGIL_EFORMAT || rc == VIGIL_ECORRUPT, "%d %s", rc,
		       vigil_errmsg(ctx));
		free(data);
	}
	/* An mp4 with moov at the end, cut: not a usable container. */
	CHECK(synth_video(tmp("cut.mp4"), "mp4", AV_CODEC_ID_MPEG4, 64, 48, 20, 10,
			  NULL) == 0);
	data = synth_slurp(tmp("cut.mp4"), &len);
	if (data) {
		rc = expect_rc(ctx, data, len * 2 / 3, NULL, NULL);
		CHECKF(rc == VIGIL_EFORMAT || rc == VIGIL_ECORRUPT, "%d %s", rc,
		       vigil_errmsg(ctx));
		free(data);
	}
	/* Frames too small for PDQ, as the reference refuses them. */
	if (synth_video(tmp("tiny.mkv"), "matroska", AV_CODEC_ID_MPEG4, 4, 4, 3, 10,
			NULL) == 0)
		CHECK(vigil_vpdq_hash_file(ctx, tmp("tiny.mkv"), NULL, NULL, NULL) ==
		      VIGIL_EFORMAT);
}

static void test_limits(vigil_ctx *ctx)
{
	const char *p = tmp("lim.mp4");
	vigil_video_opts o = {0};
	static frames fs;
	volatile int stop = 1;
	unsigned char *data;
	size_t len = 0;

	CHECK(synth_video(p, "mp4", AV_CODEC_ID_MPEG4, 160, 120, 40, 10, NULL) == 0);
	vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_SIDE, 100);
	CHECK(vigil_vpdq_hash_file(ctx, p, NULL, NULL, NULL) == VIGIL_ETOOBIG);
	vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_SIDE, VIGIL_DEFAULT_MAX_SIDE);
	vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_PIXELS, 160 * 120 - 1);
	CHECK(vigil_vpdq_hash_file(ctx, p, NULL, NULL, NULL) == VIGIL_ETOOBIG);
	vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_PIXELS, VIGIL_DEFAULT_MAX_PIXELS);
	o.max_seconds = 2; /* the container says 4 s: refused up front */
	CHECK(vigil_vpdq_hash_file(ctx, p, &o, keep, &fs) == VIGIL_ETOOBIG);
	CHECK(fs.n == 0);
	o.max_seconds = 0;
	o.max_frames = 25;
	CHECK(vigil_vpdq_hash_file(ctx, p, &o, keep, &fs) == VIGIL_ETOOBIG);
	CHECK(fs.n == 25);
	o.max_frames = 40;
	CHECK(vigil_vpdq_hash_file(ctx, p, &o, NULL, NULL) == VIGIL_OK);
	data = synth_slurp(p, &len);
	if (data) {
		vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_BYTES, (int64_t)len - 1);
		CHECK(vigil_vpdq_hash_memory(ctx, data, len, NULL, NULL, NULL) ==
		      VIGIL_ETOOBIG);
		vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_BYTES, VIGIL_DEFAULT_MAX_BYTES);
		free(data);
	}
	/* Stopping: by the callback, and by the flag. */
	fs.n = 0;
	fs.stop_after = 5;
	CHECK(vigil_vpdq_hash_file(ctx, p, NULL, keep, &fs) == VIGIL_EABORTED);
	CHECK(fs.n == 5);
	fs.stop_after = 0;
	memset(&o, 0, sizeof(o));
	o.abort = &stop;
	CHECK(vigil_vpdq_hash_file(ctx, p, &o, NULL, NULL) == VIGIL_EABORTED);
	/* Bad options. */
	memset(&o, 0, sizeof(o));
	o.interval = -1;
	CHECK(vigil_vpdq_hash_file(ctx, p, &o, NULL, NULL) == VIGIL_EINVAL);
	o.interval = 0;
	o.max_frames = -1;
	CHECK(vigil_vpdq_hash_file(ctx, p, &o, NULL, NULL) == VIGIL_EINVAL);
	CHECK(vigil_vpdq_hash_file(ctx, NULL, NULL, NULL, NULL) == VIGIL_EINVAL);
}

/* Failing the Nth of the library's allocations, for every N: each entry
 * point returns VIGIL_ENOMEM (or succeeds) and leaks nothing (ASan). */
static void test_oom(vigil_ctx *ctx)
{
	const char *p = tmp("oom.mkv");
	unsigned char *data;
	size_t len = 0, n;
	vigil_vpdq_frame *arr;
	long k;
	int rc = -1, rc2 = -1;

	CHECK(synth_video(p, "matroska", AV_CODEC_ID_MPEG4, 32, 32, 12, 25,
			  NULL) == 0);
	data = synth_slurp(p, &len);
	for (k = 0; k < 1000 && (rc || rc2); k++) {
		vigil__fault_after(k);
		rc = vigil_vpdq_hash_file_all(ctx, p, NULL, &arr, &n);
		vigil__fault_after(k);
		rc2 = vigil_vpdq_hash_memory(ctx, data, len, NULL, NULL, NULL);
		vigil__fault_after(-1);
		CHECKF(rc == VIGIL_OK || rc == VIGIL_ENOMEM, "%ld: %d", k, rc);
		CHECKF(rc2 == VIGIL_OK || rc2 == VIGIL_ENOMEM, "%ld: %d", k, rc2);
		if (rc == VIGIL_OK) {
			CHECK(n == 12);
			vigil_vpdq_free(arr);
		}
	}
	CHECK(rc == VIGIL_OK && rc2 == VIGIL_OK);
	free(data);
}

/* A server that accepts one connection and never answers. */
static void *silent_server(void *arg)
{
	int fd = *(int *)arg, c = accept(fd, NULL, NULL);

	char buf[512];

	if (c >= 0) {
		/* Reads the request, and waits for the client to give up. */
		while (recv(c, buf, sizeof(buf), 0) > 0)
			;
		close(c);
	}
	return NULL;
}

static void test_url(vigil_ctx *ctx)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	vigil_video_opts o = {0};
	struct timespec t0, t1;
	pthread_t th;
	char url[128];
	int fd, rc;
	double secs;

	/* Local files are not reachable through the URL entry point. */
	snprintf(url, sizeof(url), "file:%s", tmp("lim.mp4"));
	CHECK(vigil_vpdq_hash_url(ctx, url, NULL, NULL, NULL) != VIGIL_OK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, 1) || getsockname(fd, (struct sockaddr *)&a, &al)) {
		CHECK(0);
		return;
	}
	pthread_create(&th, NULL, silent_server, &fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v.mp4", ntohs(a.sin_port));
	o.timeout_ms = 300;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = vigil_vpdq_hash_url(ctx, url, &o, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECKF(rc == VIGIL_EIO, "%d %s", rc, vigil_errmsg(ctx));
	CHECKF(secs < 2.5, "took %.2f s", secs);
	pthread_join(th, NULL);
	close(fd);
}

/* The fuzz corpus: small synthetic videos in several containers. */
static int write_seeds(const char *dir)
{
	char p[1024];
	int bad = 0;

	snprintf(p, sizeof(p), "%s/mpeg4-16x16.mp4", dir);
	bad |= synth_video(p, "mp4", AV_CODEC_ID_MPEG4, 16, 16, 6, 5, "faststart");
	snprintf(p, sizeof(p), "%s/mpeg4-24x16.mkv", dir);
	bad |= synth_video(p, "matroska", AV_CODEC_ID_MPEG4, 24, 16, 5, 10, NULL);
	snprintf(p, sizeof(p), "%s/mjpeg-16x8.avi", dir);
	bad |= synth_video(p, "avi", AV_CODEC_ID_MJPEG, 16, 8, 3, 2, NULL);
	snprintf(p, sizeof(p), "%s/mpeg4-32x24.mp4", dir);
	bad |= synth_video(p, "mp4", AV_CODEC_ID_MPEG4, 32, 24, 12, 24, NULL);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	vigil_ctx *ctx;

	if (argc == 3 && !strcmp(argv[1], "--write-seeds"))
		return write_seeds(argv[2]);
	if (argc < 3) {
		fprintf(stderr, "usage: %s SCRATCH VECTORS/vpdq\n", argv[0]);
		return 2;
	}
	snprintf(scratch, sizeof(scratch), "%s/vpdq-XXXXXX", argv[1]);
	if (!mkdtemp(scratch)) {
		perror(scratch);
		return 1;
	}
	CHECK(vigil_ctx_new(&ctx) == VIGIL_OK);
	test_selection(ctx);
	test_bad_input(ctx, argv[2]);
	test_limits(ctx);
	test_oom(ctx);
	test_url(ctx);
	vigil_ctx_free(ctx);
	{
		char cmd[1100];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
		if (system(cmd))
			fprintf(stderr, "cannot remove %s\n", scratch);
	}
	return test_done("video/vpdq_errors");
}
