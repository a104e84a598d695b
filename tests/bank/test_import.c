/* Importing hash lists: every format, malformed lines (reported with their
 * line numbers, skipped, never aborting silently), duplicates, all-or-nothing
 * on abort and on SIGKILL mid-import, export round trip, vPDQ files from the
 * reference vectors, and matching what was imported. */
#include "vigil.h"
#include "../test.h"

#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dbpath[512];

typedef struct bad_log {
	uint64_t lines[64];
	char why[64][80];
	int n;
} bad_log;

static int on_bad(void *user, uint64_t line, const char *why)
{
	bad_log *b = user;

	if (b->n < 64) {
		b->lines[b->n] = line;
		snprintf(b->why[b->n], sizeof(b->why[0]), "%s", why);
		b->n++;
	}
	return 0;
}

static int import_text(vigil_store *st, const char *bank, const char *text,
		       int format, int type, bad_log *bl, vigil_import_stats *s)
{
	vigil_import_opts o = {0};
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	o.format = format;
	o.type = type;
	o.on_bad_line = on_bad;
	o.user = bl;
	rc = vigil_bank_import(st, bank, f, &o, s);
	fclose(f);
	return rc;
}

static int64_t count(vigil_store *st, const char *bank)
{
	vigil_bank b;

	return vigil_bank_get(st, bank, &b) == 0 ? b.entries : -1;
}

static void formats(vigil_store *st)
{
	vigil_import_stats s;
	bad_log bl = {0};
	const char *hex =
		"# a comment\n"
		"d41d8cd98f00b204e9800998ecf8427e\n"          /* md5 */
		"\n"
		"A9993E364706816ABA3E25717850C26C9CD0D89D\r\n" /* sha1, CRLF */
		"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22\n"
		"zz1d8cd98f00b204e9800998ecf8427e\n"           /* bad digit: line 6 */
		"d41d8cd98f00b204e9800998ecf8427e\n"           /* duplicate */
		"abc\n"                                        /* bad length: line 8 */
		"d41d8cd98f00b204e9800998ecf84270";            /* no final newline */

	CHECK(vigil_bank_create(st, "fmt", NULL, NULL, NULL) == 0);
	CHECK(import_text(st, "fmt", hex, VIGIL_FMT_AUTO, -1, &bl, &s) == 0);
	CHECKF(s.lines == 9 && s.added == 4 && s.duplicates == 1 && s.bad == 2,
	       "lines %llu added %llu dup %llu bad %llu", (unsigned long long)s.lines,
	       (unsigned long long)s.added, (unsigned long long)s.duplicates,
	       (unsigned long long)s.bad);
	CHECK(bl.n == 2 && bl.lines[0] == 6 && bl.lines[1] == 8);
	CHECK(count(st, "fmt") == 4);

	/* The reference tool's CSV, and 64-digit hex as SHA-256 on request. */
	memset(&bl, 0, sizeof(bl));
	CHECK(import_text(st, "fmt",
			  "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100,a.jpg\n"
			  "30a10efd71cc3d429013d48d0ffffc52e34e0e17ada952a9d29685211ea9e5af,77,\"b,c.jpg\"\n"
			  "30a10efd71cc3d429013d48d0ffffc52e34e0e17ada952a9d29685211ea9e5af,101,x\n",
			  VIGIL_FMT_AUTO, -1, &bl, &s) == 0);
	CHECK(s.added == 1 && s.duplicates == 1 && s.bad == 1);
	CHECK(bl.n == 1 && bl.lines[0] == 3 && strstr(bl.why[0], "quality"));
	CHECK(import_text(st, "fmt",
			  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
			  VIGIL_FMT_HEX, VIGIL_HASH_SHA256, &bl, &s) == 0 && s.added == 1);

	/* Named-column CSV: extra columns become metadata. */
	memset(&bl, 0, sizeof(bl));
	CHECK(import_text(st, "fmt",
			  "ID,Hash,Type,note\n"
			  "case-1,0cc175b9c0f1b6a831c399e269772661,md5,\"said \"\"hi\"\"\"\n"
			  "case-2,86f7e437faa5a7fce15d1ddcb9eaeaea377667b8,sha1,\n"
			  "case-3,86f7e437faa5a7fce15d1ddcb9eaeaea377667b8,md5,wrong length\n"
			  "case-4,xyz\n",
			  VIGIL_FMT_AUTO, -1, &bl, &s) == 0);
	CHECKF(s.added == 2 && s.bad == 2, "csv added %llu bad %llu",
	       (unsigned long long)s.added, (unsigned long long)s.bad);
	CHECK(bl.n == 2 && bl.lines[0] == 4 && bl.lines[1] == 5);

	/* A CSV without a hash column: every line is reported. */
	memset(&bl, 0, sizeof(bl));
	CHECK(import_text(st, "fmt", "a,b\n1,2\n", VIGIL_FMT_CSV, -1, &bl, &s) == 0);
	CHECK(s.added == 0 && s.bad == 2);
	/* A line over the limit is one bad line, not a crash or a split. */
	{
		size_t big = 20000;
		char *t = malloc(big + 80);
		memset(t, 'a', big);
		strcpy(t + big, "\nd41d8cd98f00b204e9800998ecf8427f\n");
		memset(&bl, 0, sizeof(bl));
		CHECK(import_text(st, "fmt", t, VIGIL_FMT_HEX, -1, &bl, &s) == 0);
		CHECK(s.bad == 1 && s.added == 1 && bl.lines[0] == 1);
		CHECK(strstr(bl.why[0], "too long") != NULL);
		free(t);
	}
	/* Unknown bank. */
	CHECK(import_text(st, "nope", "abc\n", 0, -1, &bl, &s) == VIGIL_ENOENT);
}

/* Over max_bad_lines, the whole import is abandoned: nothing lands. */
static void abort_all_or_nothing(vigil_store *st)
{
	vigil_import_opts o = {0};
	vigil_import_stats s;
	char text[8192];
	size_t k = 0;
	int i;
	FILE *f;

	for (i = 0; i < 50; i++)
		k += (size_t)snprintf(text + k, sizeof(text) - k, "%064x\n", i + 1);
	for (i = 0; i < 20; i++)
		k += (size_t)snprintf(text + k, sizeof(text) - k, "bad line %d\n", i);
	CHECK(vigil_bank_create(st, "abort", NULL, NULL, NULL) == 0);
	f = fmemopen(text, k, "r");
	o.max_bad_lines = 10;
	CHECK(vigil_bank_import(st, "abort", f, &o, &s) == VIGIL_EABORTED);
	fclose(f);
	CHECK(s.added == 0 && count(st, "abort") == 0);
	/* The next import on the same handle starts clean: nothing staged by
	 * the abandoned one (the staging table has no journal) comes back. */
	k = 0;
	for (i = 0; i < 5; i++)
		k += (size_t)snprintf(text + k, sizeof(text) - k, "%064x\n", 1000 + i);
	f = fmemopen(text, k, "r");
	CHECK(vigil_bank_import(st, "abort", f, &o, &s) == 0);
	fclose(f);
	CHECK(s.added == 5 && count(st, "abort") == 5);
}

/* Of two lines with the same hash the first one is kept, whatever order
 * the bulk path moves rows in. */
static void first_duplicate_wins(vigil_store *st)
{
	const char *text =
		"ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000,10,second-key-order\n"
		"0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff,20,first\n"
		"0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff,30,later\n";
	vigil_import_stats s;
	bad_log bl = {0};
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	CHECK(vigil_bank_create(st, "dups", NULL, NULL, NULL) == 0);
	CHECK(import_text(st, "dups", text, VIGIL_FMT_PDQ_CSV, 0, &bl, &s) == 0);
	CHECK(s.added == 2 && s.duplicates == 1);
	f = open_memstream(&out, &len);
	CHECK(vigil_bank_export(st, "dups", VIGIL_FMT_PDQ_CSV, f, NULL) == 0);
	fclose(f);
	CHECK(out && strstr(out, ",20,first\n") && !strstr(out, "later"));
	free(out);
}

static void write_list(const char *path, int n, int salt)
{
	FILE *f = fopen(path, "w");
	int i;

	for (i = 0; i < n; i++)
		fprintf(f, "%08x%08x%08x%08x%08x%08x%08x%08x,90,item-%d\n", salt, i, i * 7,
			i ^ 0x5555, salt * 3, i, 0, 1, i);
	fclose(f);
}

/* A child imports a long list and is killed at a random moment: the bank
 * then holds either nothing or everything, never part. */
static void kill_during_import(vigil_ctx *ctx)
{
	char list[] = "/tmp/vigil-test-list-XXXXXX";
	unsigned long long seed = (unsigned long long)time(NULL) | 1;
	int fd = mkstemp(list), round, none = 0, all = 0;
	const int lines = 60000;

	close(fd);
	write_list(list, lines, 7);
	for (round = 0; round < 6; round++) {
		char bank[32];
		vigil_store *st = NULL;
		pid_t pid;
		int64_t got;

		snprintf(bank, sizeof(bank), "kill%d", round);
		CHECK(vigil_store_open(ctx, dbpath, &st) == 0);
		CHECK(vigil_bank_create(st, bank, NULL, NULL, NULL) == 0);
		vigil_store_close(st);
		pid = fork();
		if (pid == 0) {
			vigil_ctx *c2;
			vigil_store *s2;
			FILE *f = fopen(list, "r");
			vigil_ctx_new(&c2);
			if (vigil_store_open(c2, dbpath, &s2) ||
			    vigil_bank_import(s2, bank, f, NULL, NULL))
				_exit(3);
			_exit(0);
		}
		/* Kill somewhere between "before it starts" and "after it ends". */
		usleep((useconds_t)(test_rand(&seed) % 400000));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		CHECK(vigil_store_open(ctx, dbpath, &st) == 0);
		got = count(st, bank);
		CHECKF(got == 0 || got == lines, "round %d: %lld of %d entries", round,
		       (long long)got, lines);
		none += got == 0;
		all += got == lines;
		vigil_store_close(st);
	}
	printf("kill test: %d rounds empty, %d complete\n", none, all);
	unlink(list);
}

static void export_roundtrip(vigil_store *st)
{
	char *buf = NULL;
	size_t len = 0;
	uint64_t n = 0;
	vigil_import_stats s;
	bad_log bl = {0};
	FILE *f = open_memstream(&buf, &len);

	CHECK(vigil_bank_export(st, "fmt", VIGIL_FMT_CSV, f, &n) == 0);
	fclose(f);
	CHECK(n == (uint64_t)count(st, "fmt"));
	CHECK(vigil_bank_create(st, "copy", NULL, NULL, NULL) == 0);
	CHECK(import_text(st, "copy", buf, VIGIL_FMT_AUTO, -1, &bl, &s) == 0);
	CHECKF(s.bad == 0 && (int64_t)s.added == count(st, "fmt"), "re-import %llu bad %llu",
	       (unsigned long long)s.added, (unsigned long long)s.bad);
	free(buf);
	CHECK(vigil_bank_export(st, "fmt", VIGIL_FMT_VPDQ, stdout, NULL) == VIGIL_EINVAL);
}

/* vPDQ files from Meta's reference: one video entry each, every frame kept;
 * importing the same video twice is a duplicate; a frame matches its video. */
static void vpdq(vigil_ctx *ctx, vigil_store *st, const char *vec)
{
	static const char *const names[] = {"chair-19-sd-bar-1s.txt",
					    "doorknob-hd-no-bar-1s.txt"};
	vigil_import_opts o = {0};
	vigil_import_stats s;
	vigil_matcher *m = NULL;
	char path[PATH_MAX], line[256], hex[65];
	size_t i;

	CHECK(vigil_bank_create(st, "videos", NULL, "kind=video", NULL) == 0);
	for (i = 0; i < 2; i++) {
		FILE *f;
		int frames = 0;
		snprintf(path, sizeof(path), "%s/vpdq/hashes-debian12/%s", vec, names[i]);
		f = fopen(path, "r");
		CHECKF(f != NULL, "%s", path);
		if (!f)
			return;
		while (fgets(line, sizeof(line), f))
			frames += line[0] >= '0' && line[0] <= '9';
		rewind(f);
		o.source = names[i];
		CHECKF(vigil_bank_import(st, "videos", f, &o, &s) == 0, "%s", vigil_errmsg(ctx));
		CHECK(s.added == 1 && s.bad == 0 && (int)s.lines >= frames);
		rewind(f);
		CHECK(vigil_bank_import(st, "videos", f, &o, &s) == 0);
		CHECK(s.added == 0 && s.duplicates == 1);
		rewind(f);
		if (i == 0 && fgets(line, sizeof(line), f))
			CHECK(sscanf(line, "%*d,%*d,%64[0-9a-f]", hex) == 1);
		fclose(f);
	}
	CHECK(count(st, "videos") == 2);
	CHECK(vigil_matcher_open(st, &m) == 0);
	if (m) {
		vigil_pdq q;
		vigil_match out[8];
		vigil_entry e;
		size_t found = 0;
		CHECK(vigil_pdq_from_hex(hex, &q) == 0);
		CHECK(vigil_matcher_pdq(m, ctx, &q, NULL, 0, out, 8, &found) == 0);
		CHECK(found == 1 && out[0].type == VIGIL_HASH_VPDQ &&
		      strcmp(out[0].bank, "videos") == 0 && out[0].distance == 0);
		CHECK(found && vigil_entry_get(st, out[0].entry_id, &e) == 0 &&
		      strcmp(e.source_ref, names[0]) == 0);
		vigil_matcher_free(m);
	}
}

static void matching(vigil_ctx *ctx, vigil_store *st)
{
	vigil_matcher *m = NULL;
	vigil_match out[16];
	vigil_pdq q;
	uint8_t md5[16];
	size_t found;

	CHECK(vigil_matcher_open(st, &m) == 0);
	if (!m)
		return;
	/* Within the radius: 3 bits off the stored hash. */
	CHECK(vigil_pdq_from_hex("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22", &q) == 0);
	q.bits[0] ^= 0x07;
	CHECK(vigil_matcher_pdq(m, ctx, &q, NULL, 31, out, 16, &found) == 0);
	CHECK(found >= 1 && out[0].distance == 3 && out[0].variant == VIGIL_DIH_ORIGINAL);
	CHECK(vigil_matcher_pdq(m, ctx, &q, NULL, 2, out, 16, &found) == 0 && found == 0);
	CHECK(vigil_unhex("d41d8cd98f00b204e9800998ecf8427e", md5, 16) == 0);
	CHECK(vigil_matcher_digest(m, ctx, VIGIL_HASH_MD5, md5, out, 16, &found) == 0);
	CHECK(found >= 1 && out[0].variant == -1);
	vigil_matcher_free(m);
	/* A disabled bank is not matched. */
	CHECK(vigil_bank_set_enabled(st, "fmt", 0) == 0);
	CHECK(vigil_bank_set_enabled(st, "copy", 0) == 0);
	CHECK(vigil_matcher_open(st, &m) == 0);
	CHECK(vigil_matcher_digest(m, ctx, VIGIL_HASH_MD5, md5, out, 16, &found) == 0 &&
	      found == 0);
	vigil_matcher_free(m);
}

int main(int argc, char **argv)
{
	const char *vec = argc > 1 ? argv[1] : "../shared/vectors";
	char tmpl[] = "/tmp/vigil-test-import-XXXXXX", aux[600];
	vigil_ctx *ctx;
	vigil_store *st = NULL;
	int fd = mkstemp(tmpl);

	close(fd);
	unlink(tmpl);
	/* $VIGIL_TEST_PG_URI (tests/pg/pg_env.sh): the same test on PostgreSQL. */
	snprintf(dbpath, sizeof(dbpath), "%s",
		 getenv("VIGIL_TEST_PG_URI") ? getenv("VIGIL_TEST_PG_URI") : tmpl);
	CHECK(vigil_ctx_new(&ctx) == 0);
	CHECK(vigil_store_open(ctx, dbpath, &st) == 0);
	formats(st);
	abort_all_or_nothing(st);
	first_duplicate_wins(st);
	export_roundtrip(st);
	vpdq(ctx, st, vec);
	matching(ctx, st);
	vigil_store_close(st);
	kill_during_import(ctx);
	vigil_ctx_free(ctx);
	unlink(dbpath);
	snprintf(aux, sizeof(aux), "%s-wal", dbpath);
	unlink(aux);
	snprintf(aux, sizeof(aux), "%s-shm", dbpath);
	unlink(aux);
	return test_done("import");
}
