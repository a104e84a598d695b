/* test_snapshot — index snapshots (vigil_matcher_snapshot_write,
 * vigil_matcher_open_snapshot): a snapshot plus the replay of later
 * changes answers every query exactly as a matcher rebuilt from the store;
 * truncated, bit-flipped, other-version, other-byte-order, foreign and
 * stale snapshots are refused (and the matcher rebuilt). */
#include "vigil.h"
#include "../../src/core/snapfile.h"

#include "../test.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define N 30000    /* PDQ entries: enough for the index's built part */
#define QUERIES 400
#define MAXM 64

static void rnd(uint8_t *b, size_t n, uint64_t *s)
{
	for (size_t i = 0; i < n; i++) {
		*s ^= *s << 13;
		*s ^= *s >> 7;
		*s ^= *s << 17;
		b[i] = (uint8_t)*s;
	}
}

static vigil_pdq base[N];

/* Flips one pseudo-random bit of h. */
static void flip_one(uint8_t *h, uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1;
	h[*s >> 59] ^= (uint8_t)(1u << ((*s >> 56) & 7));
}
static vigil_pdq queries[QUERIES];
static int64_t scratch[N]; /* ids not looked at */

/* Every query's matches, as text lines: what two matchers must agree on. */
static char *answers(vigil_matcher *m, vigil_ctx *ctx, size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *out = malloc(cap);
	vigil_match mt[MAXM];
	size_t found;

	for (int i = 0; i < QUERIES && out; i++) {
		if (vigil_matcher_pdq(m, ctx, &queries[i], NULL, 31, mt, MAXM, &found))
			found = (size_t)-1;
		n += (size_t)snprintf(out + n, cap - n, "q%d %zu:", i, found);
		for (size_t k = 0; k < found && k < MAXM && n + 128 < cap; k++)
			n += (size_t)snprintf(out + n, cap - n, " %s/%lld/%d", mt[k].bank,
					      (long long)mt[k].entry_id, mt[k].distance);
		n += (size_t)snprintf(out + n, cap - n, "\n");
		if (n + 4096 > cap)
			out = realloc(out, cap *= 2);
	}
	/* digests too */
	for (int i = 0; i < 50 && out; i++) {
		uint8_t d[32];
		uint64_t s = (uint64_t)i + 1000;
		rnd(d, 16, &s);
		if (vigil_matcher_digest(m, ctx, VIGIL_HASH_MD5, d, mt, MAXM, &found))
			found = (size_t)-1;
		n += (size_t)snprintf(out + n, cap - n, "d%d %zu\n", i, found);
	}
	*len = n;
	return out;
}

static int same_answers(vigil_matcher *a, vigil_matcher *b, vigil_ctx *ctx)
{
	size_t la, lb;
	char *x = answers(a, ctx, &la), *y = answers(b, ctx, &lb);
	int same = x && y && la == lb && !memcmp(x, y, la);

	free(x);
	free(y);
	return same;
}

static int copy_file(const char *from, const char *to, long cut)
{
	FILE *f = fopen(from, "rb"), *g = fopen(to, "wb");
	char buf[65536];
	size_t k;
	long done = 0;

	if (!f || !g)
		return -1;
	while ((k = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (cut >= 0 && done + (long)k > cut)
			k = (size_t)(cut - done);
		fwrite(buf, 1, k, g);
		done += (long)k;
		if (cut >= 0 && done >= cut)
			break;
	}
	fclose(f);
	return fclose(g);
}

static void poke(const char *path, long off, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		if (pwrite(fd, p, n, off) != (ssize_t)n)
			fprintf(stderr, "poke failed\n");
		close(fd);
	}
}

static void flip_bit(const char *path, long off, int bit)
{
	int fd = open(path, O_RDWR);
	uint8_t b;

	if (fd >= 0 && pread(fd, &b, 1, off) == 1) {
		b ^= (uint8_t)(1u << bit);
		if (pwrite(fd, &b, 1, off) != 1)
			fprintf(stderr, "flip failed\n");
	}
	if (fd >= 0)
		close(fd);
}

/* Rewrites a header field and its checksum, as a writer of another version
 * or byte order would have: refused for what it says, not as corrupt. */
static void patch_header(const char *path, long off, uint32_t v)
{
	uint8_t h[VIGIL__SNAP_PAGE];
	uint32_t hdr_size, crc[4];
	int fd = open(path, O_RDWR);

	if (fd < 0 || pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	memcpy(h + off, &v, 4);
	memcpy(&hdr_size, h + 16, 4);
	memset(h + hdr_size - 16, 0, 16);
	vigil__snap_crc(h, hdr_size, crc);
	memcpy(h + hdr_size - 16, crc, 16);
	if (pwrite(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
		fprintf(stderr, "patch failed\n");
	close(fd);
}

/* Opens from the snapshot at p; checks whether it was used as expected
 * and that the answers equal a rebuild's. */
static void expect(vigil_store *st, vigil_ctx *ctx, const char *p, int used,
		   const char *reason_has, const char *what)
{
	vigil_matcher *m = NULL, *r = NULL;
	vigil_snapshot_info info;

	CHECKF(vigil_matcher_open_snapshot(st, p, &m, &info) == 0, "%s: %s", what,
	       vigil_errmsg(ctx));
	CHECKF(info.used == used, "%s: used %d, reason '%s'", what, info.used, info.reason);
	if (reason_has)
		CHECKF(strstr(info.reason, reason_has) != NULL, "%s: reason '%s' lacks '%s'",
		       what, info.reason, reason_has);
	CHECK(vigil_matcher_open(st, &r) == 0);
	if (m && r)
		CHECKF(same_answers(m, r, ctx), "%s: answers differ from a rebuild", what);
	printf("%s: used=%d replayed=%lld reason='%s'\n", what, info.used,
	       (long long)info.replayed, info.reason);
	vigil_matcher_free(m);
	vigil_matcher_free(r);
}

int main(int argc, char **argv)
{
	char db[4096], db2[4096], snap[4096], bad[4096];
	const char *dir = argc > 1 ? argv[1] : ".";
	vigil_ctx *ctx;
	vigil_store *st, *st2;
	vigil_matcher *m, *r;
	vigil_entry *e;
	int64_t *ids, head;
	uint64_t seed = 7;
	struct stat sb;

	/* 0. the checksum sees every single flipped bit of a buffer whose
	 * length is no multiple of its 32-byte blocks, and its length */
	{
		static uint8_t buf[4099];
		uint32_t c0[4], c1[4];
		int missed = 0;
		rnd(buf, sizeof(buf), &seed);
		vigil__snap_crc(buf, sizeof(buf), c0);
		for (size_t bit = 0; bit < 8 * sizeof(buf); bit++) {
			buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			vigil__snap_crc(buf, sizeof(buf), c1);
			missed += !memcmp(c0, c1, sizeof(c0));
			buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		CHECKF(missed == 0, "%d single-bit flips not detected", missed);
		vigil__snap_crc(buf, sizeof(buf) - 1, c1);
		CHECK(memcmp(c0, c1, sizeof(c0)) != 0);
	}

	snprintf(db, sizeof(db), "%s/test_snapshot.db", dir);
	snprintf(db2, sizeof(db2), "%s/test_snapshot2.db", dir);
	snprintf(snap, sizeof(snap), "%s/test_snapshot.snap", dir);
	snprintf(bad, sizeof(bad), "%s/test_snapshot.bad", dir);
	unlink(db);
	unlink(db2);
	unlink(snap);
	CHECK(vigil_ctx_new(&ctx) == 0);
	CHECK(vigil_store_open(ctx, db, &st) == 0);
	CHECK(vigil_bank_create(st, "a", NULL, NULL, NULL) == 0);
	CHECK(vigil_bank_create(st, "b", NULL, NULL, NULL) == 0);
	e = calloc(N, sizeof(*e));
	ids = calloc(N, sizeof(*ids));
	if (!e || !ids)
		return 1;
	/* clusters: 3000 centres, 10 near copies each */
	for (int i = 0; i < N; i++) {
		e[i].type = VIGIL_HASH_PDQ;
		if (i % 10 == 0) {
			rnd(base[i].bits, 32, &seed);
		} else {
			base[i] = base[i - i % 10];
			for (int k = 0; k < 12; k++)
				flip_one(base[i].bits, &seed);
		}
		memcpy(e[i].value, base[i].bits, 32);
		e[i].quality = 100;
	}
	for (int i = 0; i < QUERIES; i++) {
		queries[i] = base[(i * 7919) % N];
		queries[i].quality = 100;
		for (int k = 0; k < 10; k++)
			flip_one(queries[i].bits, &seed);
	}
	CHECK(vigil_entries_add(st, "a", e, N - 1000, ids) == 0);
	CHECK(vigil_entries_add(st, "b", e + N - 1000, 1000, ids + N - 1000) == 0);
	{
		vigil_entry d[40] = {{0}};
		for (int i = 0; i < 40; i++) {
			uint64_t s = (uint64_t)i + 1000;
			d[i].type = VIGIL_HASH_MD5;
			rnd(d[i].value, 16, &s);
		}
		CHECK(vigil_entries_add(st, "b", d, 40, scratch) == 0);
	}

	/* 1. written and read back at once: the same answers, nothing to replay */
	CHECK(vigil_matcher_open(st, &m) == 0);
	CHECK(vigil_matcher_seq(m) > 0);
	CHECKF(vigil_matcher_snapshot_write(m, st, snap) == 0, "%s", vigil_errmsg(ctx));
	CHECK(stat(snap, &sb) == 0 && sb.st_size > 1000000);
	vigil_matcher_free(m);
	expect(st, ctx, snap, 1, NULL, "fresh");

	/* 2. changes after it (adds, removes, a digest, a bank disabled then
	 * one enabled, a rename) are replayed: still a rebuild's answers */
	{
		vigil_entry more[500];
		for (int i = 0; i < 500; i++) {
			memset(&more[i], 0, sizeof(more[i]));
			more[i].type = VIGIL_HASH_PDQ;
			memcpy(more[i].value, queries[i % QUERIES].bits, 32);
			more[i].value[0] ^= (uint8_t)(i >> 2);
			more[i].quality = 90;
		}
		CHECK(vigil_entries_add(st, "a", more, 500, scratch) == 0);
		for (int i = 0; i < 300; i++)
			CHECK(vigil_entry_delete(st, "a", ids[i * 17]) == 0);
		CHECK(vigil_bank_set_enabled(st, "b", 0) == 0);
		CHECK(vigil_bank_create(st, "c", NULL, NULL, NULL) == 0);
		CHECK(vigil_bank_set_enabled(st, "c", 0) == 0);
		CHECK(vigil_entries_add(st, "c", more, 50, scratch) == 0);
		CHECK(vigil_bank_set_enabled(st, "c", 1) == 0);
		CHECK(vigil_bank_rename(st, "a", "a2") == 0);
	}
	expect(st, ctx, snap, 1, NULL, "replayed");

	/* 2b. a bulk import is one change-log row (a range of entry ids),
	 * which the replay expands: still a rebuild's answers */
	{
		static char list[300 * 70];
		vigil_import_stats is;
		int64_t h0 = 0, h1 = 0;
		size_t k = 0;
		FILE *f;
		for (int i = 0; i < 300; i++) {
			uint8_t v[32];
			char hex[65];
			memcpy(v, queries[(i * 13) % QUERIES].bits, 32);
			v[1] ^= (uint8_t)(i + 1);
			vigil_hex(v, 32, hex);
			k += (size_t)snprintf(list + k, sizeof(list) - k, "%s\n", hex);
		}
		CHECK(vigil_store_changes_head(st, &h0) == 0);
		f = fmemopen(list, k, "r");
		CHECK(f && vigil_bank_import(st, "a2", f, NULL, &is) == 0);
		if (f)
			fclose(f);
		CHECK(is.added > 250);
		CHECK(vigil_store_changes_head(st, &h1) == 0);
		CHECKF(h1 == h0 + 1, "the import logged %lld changes", (long long)(h1 - h0));
	}
	expect(st, ctx, snap, 1, NULL, "replayed after a bulk import");

	/* 3. corrupt: truncated (at a page, mid-section, to the header) */
	CHECK(stat(snap, &sb) == 0);
	CHECK(copy_file(snap, bad, sb.st_size - 4096) == 0);
	expect(st, ctx, bad, 0, "truncated", "truncated by a page");
	CHECK(copy_file(snap, bad, sb.st_size / 2 + 123) == 0);
	expect(st, ctx, bad, 0, "truncated", "truncated in half");
	CHECK(copy_file(snap, bad, 100) == 0);
	expect(st, ctx, bad, 0, "truncated", "truncated to 100 bytes");
	/* one bit flipped: in the hashes, the last table, the header */
	CHECK(copy_file(snap, bad, -1) == 0);
	flip_bit(bad, sb.st_size / 3, 3);
	expect(st, ctx, bad, 0, "checksum", "bit flipped at a third");
	CHECK(copy_file(snap, bad, -1) == 0);
	flip_bit(bad, sb.st_size - 4096 - 5, 0);
	expect(st, ctx, bad, 0, "checksum", "bit flipped near the end");
	CHECK(copy_file(snap, bad, -1) == 0);
	flip_bit(bad, 40, 6);
	expect(st, ctx, bad, 0, "header checksum", "bit flipped in the header");
	/* another format version, the other byte order (checksums right) */
	CHECK(copy_file(snap, bad, -1) == 0);
	patch_header(bad, 8, 999);
	expect(st, ctx, bad, 0, "version", "version 999");
	CHECK(copy_file(snap, bad, -1) == 0);
	patch_header(bad, 12, 0x04030201u);
	expect(st, ctx, bad, 0, "byte order", "other byte order");
	/* not a snapshot at all, and none there */
	poke(bad, 0, "NOTASNAP", 8);
	expect(st, ctx, bad, 0, NULL, "garbage magic");
	unlink(bad);
	expect(st, ctx, bad, 0, "no snapshot", "missing");

	/* 4. another store's snapshot (same banks, same content) */
	CHECK(vigil_store_open(ctx, db2, &st2) == 0);
	CHECK(vigil_bank_create(st2, "a", NULL, NULL, NULL) == 0);
	CHECK(vigil_entries_add(st2, "a", e, 100, scratch) == 0);
	expect(st2, ctx, snap, 0, "another store", "foreign");
	vigil_store_close(st2);

	/* 5. stale: the log pruned past it */
	CHECK(vigil_store_changes_head(st, &head) == 0);
	CHECK(vigil_store_changes_prune_upto(st, head) == 0);
	expect(st, ctx, snap, 0, "stale", "pruned");
	/* a fresh one at the head is good again; the head survives pruning */
	CHECK(vigil_matcher_open(st, &m) == 0);
	CHECK(vigil_matcher_seq(m) == head);
	CHECK(vigil_matcher_snapshot_write(m, st, snap) == 0);
	vigil_matcher_free(m);
	expect(st, ctx, snap, 1, NULL, "rewritten after pruning");
	{
		vigil_entry one = e[5];
		one.value[3] ^= 0x40;
		CHECK(vigil_entries_add(st, "a2", &one, 1, scratch) == 0);
		CHECK(vigil_entry_delete(st, "a2", ids[1]) == 0);
	}
	expect(st, ctx, snap, 1, NULL, "replayed after pruning");

	/* 6. a snapshot's matcher takes live changes (arrays copied out of
	 * the mapping as they grow) and writes a snapshot of its own */
	{
		vigil_snapshot_info info;
		vigil_bank a2;
		vigil_entry one = e[9];
		int64_t id;
		CHECK(vigil_matcher_open_snapshot(st, snap, &m, &info) == 0 && info.used);
		one.value[7] ^= 0x11;
		CHECK(vigil_entries_add(st, "a2", &one, 1, &id) == 0);
		CHECK(vigil_bank_get(st, "a2", &a2) == 0);
		one.id = id;
		one.bank_id = a2.id;
		CHECK(vigil_matcher_add(m, ctx, &a2, &one) == 0);
		CHECK(vigil_entry_delete(st, "a2", ids[2]) == 0);
		CHECK(vigil_entry_get(st, ids[3], &one) == 0);
		CHECK(vigil_entry_delete(st, "a2", ids[3]) == 0);
		CHECK(vigil_matcher_remove(m, ctx, &one) == 0);
		CHECK(vigil_matcher_catch_up(m, st, NULL) == 0);
		CHECK(vigil_matcher_open(st, &r) == 0);
		CHECK(same_answers(m, r, ctx));
		CHECK(vigil_matcher_snapshot_write(m, st, snap) == 0);
		vigil_matcher_free(m);
		vigil_matcher_free(r);
		expect(st, ctx, snap, 1, NULL, "snapshot of a snapshot");
	}

	vigil_store_close(st);
	vigil_ctx_free(ctx);
	free(e);
	free(ids);
	unlink(db);
	unlink(db2);
	unlink(snap);
	return test_done("test_snapshot");
}
