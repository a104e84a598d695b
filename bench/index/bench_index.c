/* bench_index — vigil_index (multi-index hashing) against a brute-force
 * scan of the same hashes, in the same run, so only ratios matter on a noisy
 * machine. Two data sets of N synthetic hashes:
 *   random     uniform random 256-bit hashes;
 *   clustered  N/8 random "originals", each with 7 near-duplicates at 2..24
 *              flipped bits (edits of the same image, as in a real bank).
 * Queries: near-duplicates (a stored hash with 0..16 bits flipped) and
 * non-members (random). Reports build time, resident bytes per entry,
 * queries/s at the radius (default 31) for the index and for two scans
 * (a scalar POPCNT loop, and the index's own SIMD scan path), and checks that
 * the index returns exactly what the scan returns. Build time is measured for
 * single adds (skip with BENCH_NO_SINGLE=1) and for add_many.
 *
 * usage: bench_index [N [queries [radius]]]   (defaults 1000000 2000 31) */
#include "vigil.h"
#include "../../src/index/index_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXHITS 4096

#define BENCH_SEED 0x9e3779b97f4a7c15ULL
#include "bench_util.h"

static int first = 1; /* the first index built in this process */

/* Resident set size in bytes, from /proc/self/status (0 if unknown). */
static long rss_bytes(void)
{
	char line[256];
	long kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

static void flip(uint64_t w[4], int k)
{
	while (k-- > 0) {
		int b = (int)(rnd() % 256);

		w[b / 64] ^= 1ULL << (b % 64);
	}
}

static void to_pdq(const uint64_t w[4], vigil_pdq *h)
{
	memcpy(h->bits, w, 32);
	h->quality = 100;
}

/* The baseline: the obvious scan, four POPCNTs per hash. Writes the
 * positions within r to out (at most max) and returns how many there are. */
__attribute__((target("popcnt"))) static size_t
scan(const uint64_t *hw, size_t n, const uint64_t q[4], int r, uint64_t *out,
     size_t max)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		const uint64_t *p = hw + 4 * i;
		int d = __builtin_popcountll(p[0] ^ q[0]) +
			__builtin_popcountll(p[1] ^ q[1]) +
			__builtin_popcountll(p[2] ^ q[2]) +
			__builtin_popcountll(p[3] ^ q[3]);

		if (d <= r) {
			if (k < max)
				out[k] = i;
			k++;
		}
	}
	return k;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Queries per second of the index (in its current strategy) over nq
 * queries; *hits gets the total number of hits. */
/* This thread's CPU seconds: on a shared machine (load above the core
 * count) wall time mostly measures the other jobs; CPU time still counts
 * memory stalls but not time spent descheduled. */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double last_cpu_qps; /* CPU-time rate of the last time_index() */

static double time_index(vigil_index *ix, const uint64_t *qs, size_t nq,
			 int r, size_t *hits)
{
	static vigil_index_hit h[MAXHITS];
	double c0 = cpu_now(), t0 = now();
	size_t i, found;

	*hits = 0;
	for (i = 0; i < nq; i++) {
		vigil_pdq q;

		to_pdq(qs + 4 * i, &q);
		if (vigil_index_query(ix, &q, r, h, MAXHITS, &found)) {
			fprintf(stderr, "query failed\n");
			exit(1);
		}
		*hits += found;
	}
	t0 = now() - t0;
	last_cpu_qps = (double)nq / (cpu_now() - c0);
	return (double)nq / t0;
}

static double time_scan(const uint64_t *hw, size_t n, const uint64_t *qs,
			size_t nq, int r)
{
	static uint64_t out[MAXHITS];
	double t0 = now();
	size_t i, sink = 0;

	for (i = 0; i < nq; i++)
		sink += scan(hw, n, qs + 4 * i, r, out, MAXHITS);
	if (sink == (size_t)-1)
		printf("?");
	return (double)nq / (now() - t0);
}

/* The index's answers must equal the scan's, id for id (ids are
 * positions). Returns the number of queries that differ. */
/* One query with more than MAXHITS hits, compared in full. */
static size_t recall_big(vigil_index *ix, const uint64_t *hw, size_t n,
			 const uint64_t q4[4], int r, size_t want)
{
	uint64_t *a = malloc(want * sizeof(*a)), *b = malloc(want * sizeof(*b));
	vigil_index_hit *h = malloc(want * sizeof(*h));
	size_t ns, found, j, bad = 1;
	vigil_pdq q;

	if (!a || !b || !h) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	to_pdq(q4, &q);
	ns = scan(hw, n, q4, r, a, want);
	if (!vigil_index_query(ix, &q, r, h, want, &found) && found == ns &&
	    ns == want) {
		for (j = 0; j < found; j++)
			b[j] = h[j].id;
		qsort(b, found, sizeof(*b), cmp_u64);
		bad = memcmp(a, b, found * sizeof(*a)) != 0;
	}
	free(a);
	free(b);
	free(h);
	return bad;
}

static size_t recall_check(vigil_index *ix, const uint64_t *hw, size_t n,
			   const uint64_t *qs, size_t nq, int r)
{
	static vigil_index_hit h[MAXHITS];
	static uint64_t a[MAXHITS], b[MAXHITS];
	size_t i, j, bad = 0;

	for (i = 0; i < nq; i++) {
		size_t ns, found;
		vigil_pdq q;

		to_pdq(qs + 4 * i, &q);
		ns = scan(hw, n, qs + 4 * i, r, a, MAXHITS);
		if (vigil_index_query(ix, &q, r, h, MAXHITS, &found) ||
		    found != ns) {
			bad++;
			continue;
		}
		if (found > MAXHITS) {
			/* more hits than the buffers (flat images): the scan
			 * keeps the first, the index the nearest; compare all */
			bad += recall_big(ix, hw, n, qs + 4 * i, r, found);
			continue;
		}
		for (j = 0; j < found && j < MAXHITS; j++)
			b[j] = h[j].id;
		qsort(b, j, sizeof(*b), cmp_u64);
		if (memcmp(a, b, j * sizeof(*a)))
			bad++;
	}
	return bad;
}

static vigil_pdq *pdqs;   /* the set as vigil_pdq, for add_many */
static uint64_t *ids;     /* 0..n-1 */

/* Seconds to build an index of hw[0..n-1] by one vigil_index_add each. */
static double build_single(const uint64_t *hw, size_t n)
{
	vigil_index *ix;
	double t0 = now();
	size_t i;

	if (vigil_index_new(NULL, &ix)) {
		fprintf(stderr, "vigil_index_new failed\n");
		exit(1);
	}
	for (i = 0; i < n; i++) {
		vigil_pdq h;

		to_pdq(hw + 4 * i, &h);
		if (vigil_index_add(ix, &h, i)) {
			fprintf(stderr, "add failed at %zu\n", i);
			exit(1);
		}
	}
	t0 = now() - t0;
	vigil_index_free(ix);
	return t0;
}

/* Seconds to build it by vigil_index_add_many in batches of `batch`
 * (conversion to vigil_pdq not counted: a loader has them already). The
 * index goes to *out, or is freed if out is NULL. */
static double build_many(const uint64_t *hw, size_t n, size_t batch,
			 vigil_index **out)
{
	vigil_index *ix;
	double t0;
	size_t i;

	for (i = 0; i < n; i++) {
		to_pdq(hw + 4 * i, &pdqs[i]);
		ids[i] = i;
	}
	if (vigil_index_new(NULL, &ix)) {
		fprintf(stderr, "vigil_index_new failed\n");
		exit(1);
	}
	t0 = now();
	for (i = 0; i < n; i += batch)
		if (vigil_index_add_many(ix, pdqs + i, ids + i,
					 n - i < batch ? n - i : batch)) {
			fprintf(stderr, "add_many failed at %zu\n", i);
			exit(1);
		}
	t0 = now() - t0;
	if (out)
		*out = ix;
	else
		vigil_index_free(ix);
	return t0;
}

static void from_seeds(const uint8_t (*seed)[32], size_t ns, uint64_t w[4]);

/* Non-member queries are random, or (seed != NULL) fresh hashes of the
 * realistic model. */
static void run_q(const char *name, const uint64_t *hw, size_t n, size_t nq,
		  int r, const uint8_t (*seed)[32], size_t ns)
{
	uint64_t *qn = malloc(nq * 32), *qr = malloc(nq * 32);
	size_t i, nscan, hits_n, hits_r, bad;
	long rss0, rss1;
	double build, single, batched, ix_n, ix_r, sc_n, sc_r, simd_n, simd_r;
	double cpu_n, cpu_r, scpu_n, scpu_r;
	vigil_index *ix;

	if (!qn || !qr) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	for (i = 0; i < nq; i++) {
		memcpy(qn + 4 * i, hw + 4 * (rnd() % n), 32);
		flip(qn + 4 * i, (int)(rnd() % 17));
		qr[4 * i] = rnd(), qr[4 * i + 1] = rnd();
		qr[4 * i + 2] = rnd(), qr[4 * i + 3] = rnd();
		if (seed)
			from_seeds(seed, ns, qr + 4 * i);
	}
	/* scans are slow: enough of them for a stable rate */
	nscan = (size_t)(4e8 / (double)n);
	nscan = nscan < 20 ? 20 : nscan > nq ? nq : nscan;

	/* three builds: one add per hash, add_many in 64K batches (as the
	 * matcher loads a bank), and add_many of everything at once, which is
	 * the index queried below */
	single = getenv("BENCH_NO_SINGLE") ? 0 : build_single(hw, n);
	batched = getenv("BENCH_NO_BATCHED") ? 0 : build_many(hw, n, 65536, NULL);
	rss0 = rss_bytes();
	build = build_many(hw, n, n, &ix);
	rss1 = rss_bytes();

	ix_n = time_index(ix, qn, nq, r, &hits_n);
	cpu_n = last_cpu_qps;
	ix_r = time_index(ix, qr, nq, r, &hits_r);
	cpu_r = last_cpu_qps;
	sc_n = time_scan(hw, n, qn, nscan, r);
	sc_r = time_scan(hw, n, qr, nscan, r);
	vigil__index_set_strategy(ix, VIGIL__IX_SCAN);
	simd_n = time_index(ix, qn, nscan, r, &i);
	scpu_n = last_cpu_qps;
	simd_r = time_index(ix, qr, nscan, r, &i);
	scpu_r = last_cpu_qps;
	vigil__index_set_strategy(ix, VIGIL__IX_AUTO);
	bad = recall_check(ix, hw, n, qn, nscan, r) +
	      recall_check(ix, hw, n, qr, nscan, r);

	printf("%s: N=%zu r=%d kernel=%s\n", name, n, r, vigil__ham_best()->name);
	/* RSS only means something for the first index of the process:
	 * later ones reuse the pages freed by earlier ones */
	printf("  build: add %.2f s, add_many 64K batches %.2f s, add_many "
	       "all %.2f s (%.1fx faster than add)\n", single, batched, build,
	       single / build);
	printf("  allocated %.1f bytes/entry; "
	       "RSS +%.1f MiB = %.1f bytes/entry%s\n",
	       (double)vigil__index_bytes(ix) / (double)n,
	       (double)(rss1 - rss0) / 1048576.0,
	       (double)(rss1 - rss0) / (double)n,
	       first ? "" : " (pages reused: see the first set)");
	first = 0;
	printf("  %-12s %12s %14s %14s %10s %10s\n", "queries", "index q/s",
	       "popcnt scan", "simd scan", "x popcnt", "x simd");
	printf("  %-12s %12.0f %14.1f %14.1f %10.1f %10.1f   (%.2f hits/query)\n",
	       "near-dup", ix_n, sc_n, simd_n, ix_n / sc_n, ix_n / simd_n,
	       (double)hits_n / (double)nq);
	printf("  %-12s %12.0f %14.1f %14.1f %10.1f %10.1f   (%.2f hits/query)\n",
	       "non-member", ix_r, sc_r, simd_r, ix_r / sc_r, ix_r / simd_r,
	       (double)hits_r / (double)nq);
	printf("  cpu-time q/s: index %.0f / %.0f, simd scan %.1f / %.1f "
	       "(near-dup / non-member): x simd %.1f / %.1f\n", cpu_n, cpu_r,
	       scpu_n, scpu_r, cpu_n / scpu_n, cpu_r / scpu_r);
	{
		double la[3] = {0};

		if (getloadavg(la, 3) == 3)
			printf("  load average %.2f %.2f %.2f\n", la[0], la[1], la[2]);
	}
	printf("  recall check: %zu of %zu queries differ from the scan\n", bad,
	       2 * nscan);
	fflush(stdout);
	vigil_index_free(ix);
	free(qn);
	free(qr);
	if (bad)
		exit(1);
}

static void run(const char *name, const uint64_t *hw, size_t n, size_t nq,
		int r)
{
	run_q(name, hw, n, nq, r, NULL, 0);
}

/* MIH vs scan vs the automatic choice at larger radii, non-member and
 * near-duplicate queries mixed: where the cost model switches over. */
static void crossover(const uint64_t *hw, size_t n)
{
	static const int radii[] = {24, 31, 32, 40, 48, 56, 64};
	uint64_t qs[4 * 40];
	vigil_index *ix;
	size_t i, hits;
	int k;

	build_many(hw, n, n, &ix);
	for (i = 0; i < 40; i++) {
		memcpy(qs + 4 * i, hw + 4 * (rnd() % n), 32);
		flip(qs + 4 * i, i % 2 ? 128 : (int)(rnd() % 17));
	}
	printf("crossover (random set, N=%zu): queries/s\n", n);
	printf("  %-6s %10s %10s %10s\n", "radius", "mih", "scan", "auto");
	for (k = 0; k < (int)(sizeof(radii) / sizeof(radii[0])); k++) {
		double m, s, a;

		vigil__index_set_strategy(ix, VIGIL__IX_MIH);
		m = time_index(ix, qs, 40, radii[k], &hits);
		vigil__index_set_strategy(ix, VIGIL__IX_SCAN);
		s = time_index(ix, qs, 40, radii[k], &hits);
		vigil__index_set_strategy(ix, VIGIL__IX_AUTO);
		a = time_index(ix, qs, 40, radii[k], &hits);
		printf("  %-6d %10.0f %10.0f %10.0f\n", radii[k], m, s, a);
	}
	vigil_index_free(ix);
}

/* One "new image" from the seeds: each byte taken from a random seed at
 * the same position (the bytes' own statistics and, within a byte, the
 * bits' correlations are the real hashes'), then 10% of the bits flipped. */
static void from_seeds(const uint8_t (*seed)[32], size_t ns, uint64_t w[4])
{
	uint8_t b[32];
	int i;

	for (i = 0; i < 32; i++)
		b[i] = seed[rnd() % ns][i];
	memcpy(w, b, 32);
	for (i = 0; i < 256; i++)
		if (rnd() % 10 == 0)
			w[i / 64] ^= 1ULL << (i % 64);
}

/* The realistic set (BENCH_SEEDS=FILE of hex PDQ hashes of real benign
 * images, e.g. `vigil hash --dihedral` of Debian's own pictures): N/8
 * "originals" made from the seeds byte by byte, each followed by 7 edits
 * at 2..24 flipped bits; then 2% of all entries replaced by near copies
 * (0..10 bits) of the seeds' four flattest hashes (fewest set bits, the
 * way flat images hash alike). Queries: near-dup as above, non-member
 * fresh hashes of the same model. */
static void realistic(uint64_t *hw, size_t n, size_t nq, int r,
		      const char *path)
{
	static uint8_t seed[4096][32];
	size_t ns = 0, i, flat[4] = {0};
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		exit(1);
	}
	while (ns < 4096 && fgets(line, sizeof(line), f)) {
		int k;

		for (k = 0; k < 32; k++) {
			unsigned x;

			if (sscanf(line + 2 * k, "%2x", &x) != 1)
				break;
			seed[ns][k] = (uint8_t)x;
		}
		if (k == 32)
			ns++;
	}
	fclose(f);
	if (ns < 8) {
		fprintf(stderr, "%s: fewer than 8 hashes\n", path);
		exit(1);
	}
	for (i = 0; i < 4; i++) {
		size_t j, best = 0;
		int bw = 257;

		for (j = 0; j < ns; j++) {
			int k, wgt = 0, taken = 0;
			size_t t;

			for (t = 0; t < i; t++)
				taken |= flat[t] == j;
			if (taken)
				continue;
			for (k = 0; k < 32; k++)
				wgt += __builtin_popcount(seed[j][k]);
			if (wgt < bw)
				bw = wgt, best = j;
		}
		flat[i] = best;
	}
	for (i = 0; i < n; i++) {
		if (i % 8 == 0) {
			from_seeds((const uint8_t (*)[32])seed, ns, hw + 4 * i);
		} else {
			memcpy(hw + 4 * i, hw + 4 * (i - i % 8), 32);
			flip(hw + 4 * i, 2 + (int)(rnd() % 23));
		}
	}
	for (i = 0; i < n / 50; i++) {
		size_t k = rnd() % n;

		memcpy(hw + 4 * k, seed[flat[rnd() % 4]], 32);
		flip(hw + 4 * k, (int)(rnd() % 11));
	}
	printf("realistic set from %zu seed hashes of %s\n", ns, path);
	run_q("realistic", hw, n, nq, r, (const uint8_t (*)[32])seed, ns);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	size_t nq = argc > 2 ? strtoull(argv[2], NULL, 10) : 2000;
	int r = argc > 3 ? atoi(argv[3]) : VIGIL_DEFAULT_RADIUS;
	uint64_t *hw;
	size_t i;

	if (n < 8 || nq < 1 || r < 0 || r > VIGIL_INDEX_MAX_RADIUS) {
		fprintf(stderr, "usage: bench_index [N [queries [radius]]]\n");
		return 2;
	}
	hw = malloc(n * 32);
	pdqs = malloc(n * sizeof(*pdqs));
	ids = malloc(n * sizeof(*ids));
	if (!hw || !pdqs || !ids) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	for (i = 0; i < 4 * n; i++)
		hw[i] = rnd();
	if (getenv("BENCH_SEEDS")) {
		realistic(hw, n, nq, r, getenv("BENCH_SEEDS"));
		goto out;
	}
	if (!getenv("BENCH_NO_RANDOM"))
		run("random", hw, n, nq, r);
	if (getenv("BENCH_NO_CLUSTERED"))
		goto out;
	/* clustered: every 8th hash an original, the next 7 its edits */
	for (i = 0; i < n; i++) {
		if (i % 8 == 0)
			continue;
		memcpy(hw + 4 * i, hw + 4 * (i - i % 8), 32);
		flip(hw + 4 * i, 2 + (int)(rnd() % 23));
	}
	run("clustered", hw, n, nq, r);
	if (getenv("BENCH_CROSSOVER")) {
		for (i = 0; i < 4 * n; i++)
			hw[i] = rnd();
		crossover(hw, n);
	}
out:
	free(hw);
	free(pdqs);
	free(ids);
	return 0;
}
