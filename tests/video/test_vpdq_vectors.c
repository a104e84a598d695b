/* test_vpdq_vectors — vPDQ against Meta's vpdq-hash-video: every sample
 * video of ../shared/vectors/vpdq, every frame and one frame per second,
 * must give the reference's hashes-debian12 lines exactly (same frames,
 * quality, hash and timestamp text). argv[1] is the vectors' vpdq dir. */
#include "vigil.h"
#include "../test.h"

#include <dirent.h>

#define MAX_LINES 100000

typedef struct expect {
	char **lines;
	size_t n;      /* expected lines */
	size_t got;    /* frames the callback saw */
	size_t match;  /* of which equal to their line */
	const char *name;
} expect;

static int load(const char *path, expect *e)
{
	FILE *f = fopen(path, "r");
	char buf[256];

	if (!f)
		return -1;
	e->lines = calloc(MAX_LINES, sizeof(char *));
	while (e->lines && e->n < MAX_LINES && fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\r\n")] = 0;
		if (!buf[0])
			continue;
		e->lines[e->n++] = strdup(buf);
	}
	fclose(f);
	return e->lines ? 0 : -1;
}

static void unload(expect *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->lines[i]);
	free(e->lines);
}

static int compare(void *user, const vigil_vpdq_frame *fr)
{
	expect *e = user;
	char line[VIGIL_VPDQ_LINE_MAX];

	vigil_vpdq_format(fr, line);
	if (e->got < e->n && !strcmp(line, e->lines[e->got]))
		e->match++;
	else if (e->got - e->match < 3)
		fprintf(stderr, "%s: line %zu: got %s, want %s\n", e->name,
			e->got + 1, line, e->got < e->n ? e->lines[e->got] : "(end)");
	e->got++;
	return 0;
}

static size_t total_lines, total_match, files;

static void one(vigil_ctx *ctx, const char *dir, const char *name, double interval)
{
	char vid[1024], ref[1024], label[300];
	vigil_video_opts o;
	expect e;
	size_t len = strlen(name) - 4; /* without .mp4 */
	int rc;

	memset(&e, 0, sizeof(e));
	memset(&o, 0, sizeof(o));
	o.interval = interval;
	snprintf(vid, sizeof(vid), "%s/videos/%s", dir, name);
	snprintf(ref, sizeof(ref), "%s/hashes-debian12/%.*s%s.txt", dir, (int)len,
		 name, interval > 0 ? "-1s" : "");
	snprintf(label, sizeof(label), "%.*s%s", (int)len, name,
		 interval > 0 ? " (1 s)" : "");
	e.name = label;
	if (load(ref, &e)) {
		CHECKF(0, "cannot read %s", ref);
		return;
	}
	rc = vigil_vpdq_hash_file(ctx, vid, &o, compare, &e);
	CHECKF(rc == VIGIL_OK, "%s: %s", label, vigil_errmsg(ctx));
	CHECKF(e.got == e.n && e.match == e.n, "%s: %zu of %zu lines match (%zu hashed)",
	       label, e.match, e.n, e.got);
	printf("%-40s %5zu/%5zu lines\n", label, e.match, e.n);
	total_lines += e.n;
	total_match += e.match;
	files++;
	unload(&e);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	vigil_ctx *ctx;
	char path[1024], *names[256];
	DIR *d;
	struct dirent *de;
	int n = 0, i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s VECTORS/vpdq\n", argv[0]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/videos", argv[1]);
	d = opendir(path);
	CHECKF(d != NULL, "cannot open %s", path);
	if (!d)
		return test_done("video/vpdq_vectors");
	while ((de = readdir(d)) && n < 256) {
		size_t l = strlen(de->d_name);
		if (l > 4 && !strcmp(de->d_name + l - 4, ".mp4"))
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
	CHECK(n > 0);
	CHECK(vigil_ctx_new(&ctx) == VIGIL_OK);
	for (i = 0; i < n; i++) {
		if (argc > 2 && !strstr(names[i], argv[2]))
			continue;
		one(ctx, argv[1], names[i], 0);
		one(ctx, argv[1], names[i], 1);
		free(names[i]);
	}
	printf("%zu runs, %zu/%zu lines match\n", files, total_match, total_lines);
	vigil_ctx_free(ctx);
	return test_done("video/vpdq_vectors");
}
