/* The SQLite bulk import's external sort (src/store/sqlite_bulk.c) with
 * chunks of a few rows, so a small list spills many sorted runs and needs
 * merge passes: every distinct hash lands once, the first line of each
 * wins across runs, rows already in the bank win over the list, entries
 * come out in hash order, an aborted import leaves nothing (and no open
 * spill file), and the change log gets one row per import. */
#include "vigil.h"
#include "../../src/store/sqlite_bulk.h"
#include "../test.h"

#include <dirent.h>
#include <unistd.h>

#define LINES 6000
#define DISTINCT 3500

static void value_of(int v, uint8_t out[32])
{
	uint64_t x = 0x9e3779b97f4a7c15ULL * (uint64_t)(v + 1);
	for (int i = 0; i < 32; i++) {
		x ^= x >> 29;
		x *= 0xbf58476d1ce4e5b9ULL;
		out[i] = (uint8_t)(x >> 56);
	}
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static char *list_text(const int *vals, int n, const char *tag, size_t *len)
{
	char *t = malloc((size_t)n * 100 + 1);
	size_t k = 0;
	uint8_t v[32];
	char hex[65];

	for (int i = 0; i < n; i++) {
		value_of(vals[i], v);
		vigil_hex(v, 32, hex);
		k += (size_t)sprintf(t + k, "%s,50,%s-%d\n", hex, tag, i);
	}
	*len = k;
	return t;
}

static int import(vigil_store *st, const char *bank, const char *text, size_t len,
		  int max_bad, vigil_import_stats *s)
{
	vigil_import_opts o = {0};
	FILE *f = fmemopen((void *)text, len, "r");
	int rc;

	o.format = VIGIL_FMT_PDQ_CSV;
	o.max_bad_lines = max_bad;
	rc = vigil_bank_import(st, bank, f, &o, s);
	fclose(f);
	return rc;
}

static int vals[LINES], first[DISTINCT], distinct;

/* One round in a new bank, with sorters of chunk bytes merging fanin runs. */
static void round_trip(vigil_store *st, const char *bank, size_t chunk, size_t fanin)
{
	vigil_import_stats s;
	int fds;
	int64_t h0, h1;
	char *text, *out = NULL, *line, prev[65] = "", aux[65];
	size_t len, olen = 0;
	FILE *f;

	printf("%s: chunks of %zu bytes, %zu runs a merge\n", bank, chunk, fanin);
	vigil__bulk_chunk_bytes = chunk;
	vigil__bulk_fanin = fanin;
	CHECK(vigil_bank_create(st, bank, NULL, NULL, NULL) == 0);

	/* an import that spills and then aborts leaves nothing, no fd open */
	fds = open_fds();
	text = list_text(vals, LINES, "line", &len);
	{
		char *bad = malloc(len + 32);
		memcpy(bad, text, len);
		memcpy(bad + len, "not a hash\nnor this\n", 21);
		CHECK(import(st, bank, bad, len + 21, 1, &s) == VIGIL_EABORTED);
		free(bad);
	}
	CHECK(open_fds() == fds);
	CHECK(vigil_store_changes_head(st, &h0) == 0);

	CHECK(import(st, bank, text, len, 0, &s) == 0);
	CHECKF(s.added == (uint64_t)distinct && s.duplicates == (uint64_t)(LINES - distinct),
	       "added %llu duplicates %llu, want %d", (unsigned long long)s.added,
	       (unsigned long long)s.duplicates, distinct);
	CHECK(open_fds() == fds);
	CHECK(vigil_store_changes_head(st, &h1) == 0);
	CHECKF(h1 == h0 + 1, "the import logged %lld changes, not one", (long long)(h1 - h0));

	/* each hash once, with its first line, in hash order */
	f = open_memstream(&out, &olen);
	CHECK(vigil_bank_export(st, bank, VIGIL_FMT_PDQ_CSV, f, NULL) == 0);
	fclose(f);
	{
		int rows = 0, wrong = 0, unordered = 0;
		for (line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
			char hex[65];
			int n = -1;
			uint8_t v[32];
			if (sscanf(line, "%64[0-9a-f],50,line-%d", hex, &n) != 2 || n < 0 ||
			    n >= LINES) {
				wrong++;
				continue;
			}
			value_of(vals[n], v);
			vigil_hex(v, 32, aux);
			wrong += strcmp(aux, hex) != 0 || first[vals[n]] != n;
			unordered += strcmp(prev, hex) >= 0;
			snprintf(prev, sizeof(prev), "%s", hex);
			rows++;
		}
		CHECKF(rows == distinct && !wrong && !unordered,
		       "%d rows (want %d), %d not the first line, %d out of order", rows,
		       distinct, wrong, unordered);
	}
	free(out);

	/* again, renamed: everything is a duplicate, the stored rows stay */
	{
		char *again = list_text(vals, LINES, "again", &len);
		CHECK(import(st, bank, again, len, 0, &s) == 0);
		CHECK(s.added == 0 && s.duplicates == LINES);
		free(again);
		out = NULL;
		f = open_memstream(&out, &olen);
		CHECK(vigil_bank_export(st, bank, VIGIL_FMT_PDQ_CSV, f, NULL) == 0);
		fclose(f);
		CHECK(out && !strstr(out, "again"));
		free(out);
	}
	free(text);
}

int main(void)
{
	char tmpl[] = "/tmp/vigil-test-bulk-XXXXXX", aux[600];
	vigil_ctx *ctx;
	vigil_store *st;
	uint64_t seed = 99;
	int fd = mkstemp(tmpl);

	close(fd);
	unlink(tmpl);
	for (int i = 0; i < DISTINCT; i++)
		first[i] = -1;
	for (int i = 0; i < LINES; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		vals[i] = (int)((seed >> 33) % DISTINCT);
		if (first[vals[i]] < 0) {
			first[vals[i]] = i;
			distinct++;
		}
	}
	CHECK(vigil_ctx_new(&ctx) == 0);
	CHECK(vigil_store_open(ctx, tmpl, &st) == 0);
	/* ~60 rows a chunk: ~100 runs, merged 3 at a time (sorted by qsort) */
	round_trip(st, "small", 4096, 3);
	/* ~4,500 rows, then the rest: the counting sort, then qsort, 2 runs */
	round_trip(st, "large", 320 << 10, 64);
	/* all in one chunk: no spill file */
	round_trip(st, "memory", 32u << 20, 64);
	vigil_store_close(st);
	vigil_ctx_free(ctx);
	unlink(tmpl);
	snprintf(aux, sizeof(aux), "%s-wal", tmpl);
	unlink(aux);
	snprintf(aux, sizeof(aux), "%s-shm", tmpl);
	unlink(aux);
	return test_done("bulk");
}
