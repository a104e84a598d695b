/* Matching videos: the vPDQ files of Meta's reference (imported as video
 * entries) against vigil's own hashing of the sample videos. A video matches
 * its own entry with every frame; a different video does not; a known image
 * (here: one frame's hash stored as an image) is found inside a video; the
 * percentages follow the thresholds. */
#include "vigil.h"
#include "../test.h"

#include <limits.h>
#include <unistd.h>

static const char *vec;

static void import_vpdq(vigil_store *st, const char *bank, const char *name)
{
	char path[PATH_MAX];
	vigil_import_opts o = {0};
	vigil_import_stats s;
	FILE *f;

	snprintf(path, sizeof(path), "%s/vpdq/hashes-debian12/%s", vec, name);
	f = fopen(path, "r");
	CHECKF(f != NULL, "%s", path);
	if (!f)
		return;
	o.source = name;
	CHECK(vigil_bank_import(st, bank, f, &o, &s) == 0 && s.added == 1);
	fclose(f);
}

static size_t match_video(vigil_ctx *ctx, vigil_matcher *m, const char *name,
			  const vigil_video_match_opts *o, vigil_video_match **out)
{
	char path[PATH_MAX];
	vigil_video_opts vo = {0};
	vigil_vpdq_frame *frames = NULL;
	size_t n = 0, nm = 0;

	snprintf(path, sizeof(path), "%s/vpdq/videos/%s", vec, name);
	vo.interval = 1;
	CHECKF(vigil_vpdq_hash_file_all(ctx, path, &vo, &frames, &n) == 0, "%s: %s", name,
	       vigil_errmsg(ctx));
	CHECK(vigil_matcher_video(m, ctx, frames, n, o, out, &nm) == 0);
	vigil_vpdq_free(frames);
	return nm;
}

int main(int argc, char **argv)
{
	char db[] = "/tmp/vigil-test-vmatch-XXXXXX", aux[64];
	vigil_ctx *ctx;
	vigil_store *st = NULL;
	vigil_matcher *m = NULL;
	vigil_video_match *r = NULL;
	vigil_video_match_opts strict = {0, 0, 80, 80};
	vigil_import_stats s;
	size_t n, i;
	int fd = mkstemp(db), found;

	vec = argc > 1 ? argv[1] : "../shared/vectors";
	close(fd);
	unlink(db);
	CHECK(vigil_ctx_new(&ctx) == 0);
	CHECK(vigil_store_open(ctx, db, &st) == 0);
	CHECK(vigil_bank_create(st, "videos", NULL, "kind=video", NULL) == 0);
	import_vpdq(st, "videos", "chair-19-sd-bar-1s.txt");
	import_vpdq(st, "videos", "doorknob-hd-no-bar-1s.txt");
	/* An image bank holding one frame of the pattern video. */
	CHECK(vigil_bank_create(st, "images", NULL, "kind=image", NULL) == 0);
	{
		char path[PATH_MAX], line[200], hex[65], list[120];
		FILE *f, *mem;
		snprintf(path, sizeof(path), "%s/vpdq/hashes-debian12/pattern-hd-no-bar-1s.txt", vec);
		f = fopen(path, "r");
		CHECK(f && fgets(line, sizeof(line), f) && fgets(line, sizeof(line), f));
		CHECK(sscanf(line, "%*d,%*d,%64[0-9a-f]", hex) == 1);
		if (f)
			fclose(f);
		snprintf(list, sizeof(list), "%s,100,pattern-frame-1s\n", hex);
		mem = fmemopen(list, strlen(list), "r");
		CHECK(vigil_bank_import(st, "images", mem, NULL, &s) == 0 && s.added == 1);
		fclose(mem);
	}
	CHECK(vigil_matcher_open(st, &m) == 0);
	if (!m)
		return test_done("video_match");

	/* The same video: its entry, every frame, both ways. */
	n = match_video(ctx, m, "chair-19-sd-bar.mp4", &strict, &r);
	found = 0;
	for (i = 0; i < n; i++)
		if (r[i].match.type == VIGIL_HASH_VPDQ && !strcmp(r[i].match.bank, "videos")) {
			vigil_entry e;
			CHECK(vigil_entry_get(st, r[i].match.entry_id, &e) == 0);
			CHECKF(strcmp(e.source_ref, "chair-19-sd-bar-1s.txt") == 0, "%s", e.source_ref);
			CHECKF(r[i].query_pct == 100 && r[i].compared_pct == 100 &&
			       r[i].match.distance == 0, "q %.1f c %.1f d %d", r[i].query_pct,
			       r[i].compared_pct, r[i].match.distance);
			found++;
		}
	CHECK(found == 1);
	free(r);

	/* An unrelated video matches no stored video; its image is found. */
	n = match_video(ctx, m, "pattern-hd-no-bar.mp4", NULL, &r);
	found = 0;
	for (i = 0; i < n; i++) {
		CHECK(r[i].match.type == VIGIL_HASH_PDQ);
		if (!strcmp(r[i].match.bank, "images")) {
			CHECKF(r[i].match.distance == 0 && r[i].seconds == 1.0,
			       "d %d at %.3f", r[i].match.distance, r[i].seconds);
			found++;
		}
	}
	CHECK(found == 1);
	free(r);

	/* Thresholds decide: over 100% nothing passes. */
	{
		vigil_video_match_opts impossible = {0, 0, 100.5, 0};
		n = match_video(ctx, m, "doorknob-hd-no-bar.mp4", &impossible, &r);
		for (i = 0; i < n; i++)
			CHECK(r[i].match.type != VIGIL_HASH_VPDQ);
		free(r);
		n = match_video(ctx, m, "doorknob-hd-no-bar.mp4", NULL, &r);
		found = 0;
		for (i = 0; i < n; i++)
			found += r[i].match.type == VIGIL_HASH_VPDQ;
		CHECK(found == 1);
		free(r);
	}
	CHECK(vigil_matcher_video(m, ctx, NULL, 3, NULL, &r, &n) == VIGIL_EINVAL);
	CHECK(vigil_matcher_video(m, ctx, NULL, 0, NULL, &r, &n) == 0 && n == 0 && !r);
	vigil_matcher_free(m);
	vigil_store_close(st);
	vigil_ctx_free(ctx);
	unlink(db);
	snprintf(aux, sizeof(aux), "%s-wal", db);
	unlink(aux);
	snprintf(aux, sizeof(aux), "%s-shm", db);
	unlink(aux);
	return test_done("video_match");
}
