/* bench_snapshot — matcher start-up from an index snapshot against a
 * rebuild from the store, in one run (bench/bench_snapshot.sh makes the
 * store): vigil_matcher_open (read every bank, build the index) vs
 * vigil_matcher_open_snapshot (map, verify the checksums, replay), best of
 * ROUNDS each, the page cache warm for both (the store's file and the
 * snapshot's were just written or read). Then REPLAY entries are added
 * after the snapshot and the start-up with their replay is timed, and the
 * answers of the snapshot's matcher and a rebuild's are compared on the
 * same queries. Prints the times and the ratio rebuild/snapshot.
 *
 *   bench_snapshot STORE SNAPSHOT [ROUNDS [REPLAY]] */
#include "vigil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int die(vigil_ctx *ctx, const char *what)
{
	fprintf(stderr, "bench_snapshot: %s: %s\n", what, vigil_errmsg(ctx));
	return 1;
}

/* Answers to Q queries near stored hashes, hashed into one number. */
static uint64_t answers(vigil_matcher *m, vigil_ctx *ctx, const vigil_pdq *q, int nq,
			size_t *hits)
{
	uint64_t h = 1469598103934665603ULL;
	vigil_match mt[64];
	size_t found;

	*hits = 0;
	for (int i = 0; i < nq; i++) {
		if (vigil_matcher_pdq(m, ctx, &q[i], NULL, 31, mt, 64, &found))
			return 0;
		*hits += found;
		h = (h ^ found) * 1099511628211ULL;
		for (size_t k = 0; k < found && k < 64; k++)
			h = (h ^ (uint64_t)mt[k].entry_id ^ ((uint64_t)mt[k].distance << 48)) *
			    1099511628211ULL;
	}
	return h;
}

int main(int argc, char **argv)
{
	vigil_ctx *ctx;
	vigil_store *st;
	vigil_matcher *m = NULL;
	vigil_snapshot_info info;
	const char *db, *snap;
	int rounds, replay;
	double best_build = 1e30, best_snap = 1e30, t, write_s, replay_s;
	struct stat sb;
	vigil_pdq q[2000];
	size_t hits_a, hits_b;
	uint64_t seed = 99, ha, hb;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_snapshot STORE SNAPSHOT [ROUNDS [REPLAY]]\n");
		return 2;
	}
	db = argv[1];
	snap = argv[2];
	rounds = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 3;
	replay = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 10000;
	if (vigil_ctx_new(&ctx) || vigil_store_open(ctx, db, &st))
		return die(ctx, db);
	for (int r = 0; r < rounds; r++) {
		t = now();
		if (vigil_matcher_open(st, &m))
			return die(ctx, "rebuild");
		t = now() - t;
		printf("rebuild  round %d: %.3f s (%zu hashes)\n", r + 1, t, vigil_matcher_size(m));
		if (t < best_build)
			best_build = t;
		if (r < rounds - 1)
			vigil_matcher_free(m);
	}
	t = now();
	if (vigil_matcher_snapshot_write(m, st, snap))
		return die(ctx, "write");
	write_s = now() - t;
	stat(snap, &sb);
	printf("snapshot written: %.3f s, %.1f MB (%.1f bytes a hash)\n", write_s,
	       (double)sb.st_size / 1e6, (double)sb.st_size / (double)vigil_matcher_size(m));
	/* queries: perturbed copies of random stored-like hashes would need the
	 * bank; random ones plus exact re-queries of the replayed adds below
	 * are what differs between the two matchers */
	for (int i = 0; i < 2000; i++) {
		for (int k = 0; k < 32; k++)
			q[i].bits[k] = (uint8_t)next(&seed);
		q[i].quality = 100;
	}
	vigil_matcher_free(m);
	for (int r = 0; r < rounds; r++) {
		t = now();
		if (vigil_matcher_open_snapshot(st, snap, &m, &info))
			return die(ctx, "snapshot");
		t = now() - t;
		if (!info.used) {
			fprintf(stderr, "bench_snapshot: snapshot not used: %s\n", info.reason);
			return 1;
		}
		printf("snapshot round %d: %.3f s (%zu hashes, %lld replayed)\n", r + 1, t,
		       vigil_matcher_size(m), (long long)info.replayed);
		if (t < best_snap)
			best_snap = t;
		vigil_matcher_free(m);
	}
	/* REPLAY adds after the snapshot, in one import transaction */
	if (replay > 0) {
		vigil_entry *e = calloc((size_t)replay, sizeof(*e));
		int64_t *ids = calloc((size_t)replay, sizeof(*ids));
		vigil_bank *banks = NULL;
		size_t nb = 0;
		if (!e || !ids || vigil_bank_list(st, &banks, &nb) || !nb)
			return die(ctx, "banks");
		for (int i = 0; i < replay; i++) {
			e[i].type = VIGIL_HASH_PDQ;
			for (int k = 0; k < 32; k++)
				e[i].value[k] = (uint8_t)next(&seed);
			e[i].quality = 100;
			if (i < 1000)
				memcpy(q[i].bits, e[i].value, 32); /* found only after replay */
		}
		if (vigil_entries_add(st, banks[0].name, e, (size_t)replay, ids))
			return die(ctx, "add");
		free(banks);
		free(e);
		free(ids);
	}
	t = now();
	if (vigil_matcher_open_snapshot(st, snap, &m, &info) || !info.used)
		return die(ctx, "snapshot + replay");
	replay_s = now() - t;
	printf("snapshot + replay of %lld changes: %.3f s\n", (long long)info.replayed, replay_s);
	ha = answers(m, ctx, q, 2000, &hits_a);
	vigil_matcher_free(m);
	t = now();
	if (vigil_matcher_open(st, &m))
		return die(ctx, "rebuild");
	printf("rebuild after the adds: %.3f s\n", now() - t);
	hb = answers(m, ctx, q, 2000, &hits_b);
	vigil_matcher_free(m);
	printf("answers on 2000 queries: snapshot+replay %zu hits, rebuild %zu hits: %s\n",
	       hits_a, hits_b, ha == hb && ha ? "identical" : "DIFFERENT");
	printf("START_REBUILD %.3f\nSTART_SNAPSHOT %.3f\nratio rebuild/snapshot %.1fx\n",
	       best_build, best_snap, best_build / best_snap);
	vigil_store_close(st);
	vigil_ctx_free(ctx);
	return ha == hb && ha ? 0 : 1;
}
