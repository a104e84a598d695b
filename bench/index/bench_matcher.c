/* bench_matcher — the path a user's query takes (a store's bank loaded by
 * vigil_matcher_open, queried with vigil_matcher_pdq) against the bare
 * index (vigil_index_add_many + vigil_index_query, what bench_index
 * measures) on the same hashes and the same queries, in one run; prints
 * the ratio. bench/bench_matcher.sh adds the CLI (`vigil match --hash -`)
 * on the store this leaves behind.
 *
 *   bench_matcher N [queries [radius [DIR]]]
 *
 * N uniformly random hashes go into bank "bench" of DIR/bench.db (created;
 * default: a temporary folder, removed at the end) and into a bare index;
 * the queries are random hashes (no hits: the common case of an upload),
 * also written to DIR/queries.txt, one hex hash a line. Each path runs the
 * queries three times, alternating in chunks of 500, and keeps its best
 * time (the machine is shared and noisy); then the matcher's eight-variant query is timed
 * against eight bare queries, and the two paths' hits are compared. In the
 * same run, as the baseline every figure is read against: the obvious
 * POPCNT scan of the same hashes (on a sample of the queries, interleaved
 * with the index on the same sample), and the matcher started from a
 * snapshot file (vigil serve --snapshot: the index's arrays mapped from the
 * file instead of built). */
#include "vigil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXHITS 4096

#define BENCH_SEED 0x2545f4914f6cdd1dULL
#include "bench_util.h"

static void random_pdq(vigil_pdq *h)
{
	uint64_t w[4];
	int k;

	for (k = 0; k < 4; k++)
		w[k] = rnd();
	memcpy(h->bits, w, 32);
	h->quality = 100;
}

static void die(const char *what, vigil_ctx *ctx)
{
	fprintf(stderr, "bench_matcher: %s: %s\n", what, ctx ? vigil_errmsg(ctx) : "failed");
	exit(1);
}

static vigil_index_hit hits[MAXHITS];
static volatile size_t sink;

/* The baseline: four POPCNTs per stored hash, every hash. */
__attribute__((target("popcnt"))) static size_t
scan_popcnt(const uint64_t *hw, size_t n, const uint64_t q[4], int r)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		const uint64_t *p = hw + 4 * i;
		int d = __builtin_popcountll(p[0] ^ q[0]) +
			__builtin_popcountll(p[1] ^ q[1]) +
			__builtin_popcountll(p[2] ^ q[2]) +
			__builtin_popcountll(p[3] ^ q[3]);

		k += d <= r;
	}
	return k;
}

static double time_scan(const uint64_t *hw, size_t n, const vigil_pdq *q,
			size_t nq, int r, size_t *total)
{
	double t = now();
	size_t i;

	*total = 0;
	for (i = 0; i < nq; i++) {
		uint64_t w[4];

		memcpy(w, q[i].bits, 32);
		*total += scan_popcnt(hw, n, w, r);
	}
	return now() - t;
}
static vigil_match matches[MAXHITS];

/* Seconds for the queries q[0..nq-1] through the bare index; *total gets
 * the hits. */
static double time_index(vigil_index *ix, const vigil_pdq *q, size_t nq, int r,
			 int dih, size_t *total)
{
	double t = now();
	size_t i, n;

	*total = 0;
	for (i = 0; i < nq; i++) {
		int rc = dih ? vigil_index_query_dihedral(ix, q + 8 * i, r, hits, MAXHITS, &n)
			     : vigil_index_query(ix, q + i, r, hits, MAXHITS, &n);
		if (rc)
			die("vigil_index_query", NULL);
		*total += n;
	}
	return now() - t;
}

static double time_matcher(vigil_matcher *m, vigil_ctx *ctx, const vigil_pdq *q,
			   size_t nq, int r, int dih, size_t *total)
{
	double t = now();
	size_t i, n;

	*total = 0;
	for (i = 0; i < nq; i++) {
		const vigil_pdq *x = dih ? q + 8 * i : q + i;
		if (vigil_matcher_pdq(m, ctx, x, dih ? x : NULL, r, matches, MAXHITS, &n))
			die("vigil_matcher_pdq", ctx);
		*total += n;
	}
	return now() - t;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	size_t nq = argc > 2 ? strtoul(argv[2], NULL, 10) : 20000;
	int r = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 31;
	char dir[4096], path[4200];
	int tmp = argc <= 4;
	vigil_ctx *ctx = NULL;
	vigil_store *st = NULL;
	vigil_matcher *m = NULL;
	vigil_index *ix = NULL;
	vigil_pdq *bank, *q, *q8;
	uint64_t *ids;
	vigil_import_opts io = {0};
	vigil_import_stats is;
	FILE *f;
	size_t i, hi, hm, nq8 = nq / 8 ? nq / 8 : 1;
	double ti = 1e30, tm = 1e30, t, ti8, tm8, load, tscan = 0, tsi = 0;
	size_t nscan = 0;
	int round;

	if (!n || !nq || r < 0 || r > 64) {
		fprintf(stderr, "usage: bench_matcher N [queries [radius [DIR]]]\n");
		return 2;
	}
	if (tmp) {
		snprintf(dir, sizeof(dir), "%s/vigil-bm-XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(dir))
			die("mkdtemp", NULL);
	} else {
		snprintf(dir, sizeof(dir), "%s", argv[4]);
	}
	bank = malloc(n * sizeof(*bank));
	ids = malloc(n * sizeof(*ids));
	q = malloc(nq * sizeof(*q));
	q8 = malloc(8 * nq8 * sizeof(*q8));
	if (!bank || !ids || !q || !q8 || vigil_ctx_new(&ctx))
		die("out of memory", NULL);
	for (i = 0; i < n; i++) {
		random_pdq(&bank[i]);
		ids[i] = i + 1;
	}
	for (i = 0; i < nq; i++)
		random_pdq(&q[i]);
	for (i = 0; i < 8 * nq8; i++)
		random_pdq(&q8[i]); /* stand-ins for an image's eight variants */

	/* The store: the hashes as a hex list, imported as a user would. */
	snprintf(path, sizeof(path), "%s/list.txt", dir);
	f = fopen(path, "w");
	for (i = 0; f && i < n; i++) {
		char hex[65];
		vigil_pdq_to_hex(&bank[i], hex);
		fprintf(f, "%s\n", hex);
	}
	if (!f || fclose(f))
		die("writing the list", NULL);
	snprintf(path, sizeof(path), "%s/queries.txt", dir);
	f = fopen(path, "w");
	for (i = 0; f && i < nq; i++) {
		char hex[65];
		vigil_pdq_to_hex(&q[i], hex);
		fprintf(f, "%s\n", hex);
	}
	if (!f || fclose(f))
		die("writing the queries", NULL);
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	if (vigil_store_open(ctx, path, &st) ||
	    vigil_bank_create(st, "bench", NULL, NULL, NULL))
		die("store", ctx);
	snprintf(path, sizeof(path), "%s/list.txt", dir);
	f = fopen(path, "r");
	if (!f || vigil_bank_import(st, "bench", f, &io, &is))
		die("import", ctx);
	fclose(f);
	unlink(path);
	t = now();
	if (vigil_matcher_open(st, &m))
		die("vigil_matcher_open", ctx);
	load = now() - t;

	/* The bare index, built as bench_index builds it. */
	t = now();
	if (vigil_index_new(ctx, &ix) || vigil_index_add_many(ix, bank, ids, n))
		die("index", ctx);
	t = now() - t;
	printf("N=%zu queries=%zu radius=%d: matcher load %.2f s (from SQLite), "
	       "index add_many %.2f s\n", n, nq, r, load, t);

	/* Alternating in chunks of 500 queries, so both paths see the same
	 * load from other jobs; best of three rounds. */
	for (round = 0; round < 3; round++) {
		double a = 0, b = 0;
		size_t c, s1, s2;
		hi = hm = 0;
		for (c = 0; c < nq; c += 500) {
			size_t k = nq - c < 500 ? nq - c : 500;
			a += time_index(ix, q + c, k, r, 0, &s1);
			b += time_matcher(m, ctx, q + c, k, r, 0, &s2);
			hi += s1;
			hm += s2;
		}
		ti = a < ti ? a : ti;
		tm = b < tm ? b : tm;
	}
	printf("index    %9.0f q/s  (hits %zu)\n", nq / ti, hi);
	printf("matcher  %9.0f q/s  (hits %zu)\n", nq / tm, hm);
	printf("ratio index/matcher %.2fx\n", ti > 0 ? tm / ti : 0);
	if (hi != hm)
		printf("WARNING: the two paths found different numbers of hits\n");
	/* The POPCNT scan on a sample, interleaved with the index on it. */
	{
		size_t ns = 400000000 / n, c, s1, s2;
		double a = 1e30, b = 1e30;
		uint64_t *hw = malloc(n * 32);

		ns = ns < 20 ? 20 : ns > nq ? nq : ns;
		if (!hw)
			die("out of memory", NULL);
		for (i = 0; i < n; i++)
			memcpy(hw + 4 * i, bank[i].bits, 32);
		for (round = 0; round < 3; round++) {
			double x = 0, y = 0;
			for (c = 0; c < ns; c += 10) {
				size_t k = ns - c < 10 ? ns - c : 10;
				x += time_scan(hw, n, q + c, k, r, &s1);
				sink += s1; /* keeps the scan from being optimised out */
				y += time_index(ix, q + c, k, r, 0, &s2);
			}
			a = x < a ? x : a;
			b = y < b ? y : b;
		}
		free(hw);
		tscan = a;
		tsi = b;
		nscan = ns;
	}
	printf("scan     %9.0f q/s  (POPCNT, %zu queries; index on the same: %.0f q/s)\n",
	       nscan / tscan, nscan, nscan / tsi);
	printf("ratio index/scan %.1fx  matcher/scan %.1fx\n", tscan / nscan / (ti / nq),
	       tscan / nscan / (tm / nq));
	/* The matcher from a snapshot file, as vigil serve --snapshot starts. */
	snprintf(path, sizeof(path), "%s/snap.bin", dir);
	{
		vigil_matcher *ms = NULL;
		vigil_snapshot_info si;
		double a = 1e30, b = 1e30;
		size_t c, s1, s2, h1 = 0, h2 = 0;

		if (vigil_matcher_snapshot_write(m, st, path) ||
		    vigil_matcher_open_snapshot(st, path, &ms, &si) || !si.used)
			die("snapshot", ctx);
		for (round = 0; round < 3; round++) {
			double x = 0, y = 0;
			h1 = h2 = 0;
			for (c = 0; c < nq; c += 500) {
				size_t k = nq - c < 500 ? nq - c : 500;
				x += time_index(ix, q + c, k, r, 0, &s1);
				y += time_matcher(ms, ctx, q + c, k, r, 0, &s2);
				h1 += s1;
				h2 += s2;
			}
			a = x < a ? x : a;
			b = y < b ? y : b;
		}
		printf("snapshot matcher %9.0f q/s against index %.0f q/s: ratio index/snapshot %.2fx%s\n",
		       nq / b, nq / a, b / a, h1 != h2 ? " (DIFFERENT HITS)" : "");
		vigil_matcher_free(ms);
		unlink(path);
	}
	ti8 = tm8 = 0;
	for (i = 0; i < nq8; i += 100) {
		size_t k = nq8 - i < 100 ? nq8 - i : 100;
		ti8 += time_index(ix, q8 + 8 * i, k, r, 1, &hi);
		tm8 += time_matcher(m, ctx, q8 + 8 * i, k, r, 1, &hm);
	}
	printf("dihedral (8 variants a query, %zu queries): index %.0f q/s, "
	       "matcher %.0f q/s, ratio %.2fx\n", nq8, nq8 / ti8, nq8 / tm8, tm8 / ti8);
	/* machine-readable, for bench_matcher.sh */
	printf("INDEX_QPS %.0f\nMATCHER_QPS %.0f\nSCAN_QPS %.1f\nLOAD_S %.3f\n", nq / ti,
	       nq / tm, nscan / tscan, load);

	vigil_matcher_free(m);
	vigil_store_close(st);
	vigil_index_free(ix);
	vigil_ctx_free(ctx);
	free(bank);
	free(ids);
	free(q);
	free(q8);
	if (tmp) {
		const char *rm[] = {"queries.txt", "bench.db", "bench.db-wal", "bench.db-shm"};
		for (i = 0; i < sizeof(rm) / sizeof(*rm); i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, rm[i]);
			unlink(path);
		}
		rmdir(dir);
	}
	return 0;
}
