/* bench_threads — how the index's queries scale with threads (issue 14:
 * "2 threads >= 1.8x"). One index of N uniform random hashes; the same nq
 * queries (half near-duplicates of stored hashes with 0..16 bits flipped,
 * half random non-members) are answered by 1 thread, then split between
 * T threads, in alternating rounds; prints the wall-time speed-up of each
 * round and the median. Queries take the index's shared lock only, so the
 * threads share nothing but the read-only tables and memory bandwidth.
 *
 * Wall time is the quantity here (CPU time cannot show scaling), so the
 * result means something only when T cores are free: the load average at
 * the start and the end is printed next to it.
 *
 *   bench_threads [N [queries [radius [threads [rounds]]]]]
 *                 (default 1000000 20000 31 2 5) */
#include "vigil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXHITS 4096
#define MAXT 16

#define BENCH_SEED 0x2545f4914f6cdd1dULL
#include "bench_util.h"

/* The load average as text, as bench_index prints it ("?" if unknown). */
static void load(char *buf, size_t n)
{
	double la[3];

	if (getloadavg(la, 3) == 3)
		snprintf(buf, n, "%.2f %.2f %.2f", la[0], la[1], la[2]);
	else
		snprintf(buf, n, "?");
}

typedef struct job {
	vigil_index *ix;
	const vigil_pdq *q;
	size_t n;
	int r;
	size_t hits; /* out */
	int failed;  /* out */
} job;

static void *run(void *arg)
{
	job *j = arg;
	vigil_index_hit *h = malloc(sizeof(*h) * MAXHITS);
	size_t i, found;

	j->hits = 0;
	j->failed = !h;
	for (i = 0; h && i < j->n; i++) {
		if (vigil_index_query(j->ix, &j->q[i], j->r, h, MAXHITS, &found)) {
			j->failed = 1;
			break;
		}
		j->hits += found;
	}
	free(h);
	return NULL;
}

/* Answers q[0..nq) with t threads (contiguous slices); returns the wall
 * seconds and the total hits in *hits, or a negative time on failure. */
static double answer(vigil_index *ix, const vigil_pdq *q, size_t nq, int r,
		     int t, size_t *hits)
{
	pthread_t th[MAXT];
	job jobs[MAXT];
	double t0;
	int i, bad = 0;

	*hits = 0;
	t0 = now();
	for (i = 0; i < t; i++) {
		size_t a = nq * (size_t)i / (size_t)t, b = nq * (size_t)(i + 1) / (size_t)t;

		jobs[i] = (job){ix, q + a, b - a, r, 0, 0};
		if (pthread_create(&th[i], NULL, run, &jobs[i])) {
			fprintf(stderr, "bench_threads: pthread_create failed\n");
			exit(1);
		}
	}
	for (i = 0; i < t; i++) {
		pthread_join(th[i], NULL);
		*hits += jobs[i].hits;
		bad |= jobs[i].failed;
	}
	return bad ? -1.0 : now() - t0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	size_t nq = argc > 2 ? strtoull(argv[2], NULL, 10) : 20000;
	int r = argc > 3 ? atoi(argv[3]) : 31;
	int t = argc > 4 ? atoi(argv[4]) : 2;
	int rounds = argc > 5 ? atoi(argv[5]) : 5;
	vigil_ctx *ctx = NULL;
	vigil_index *ix = NULL;
	vigil_pdq *h = NULL, *q = NULL;
	uint64_t *ids = NULL;
	double sp[64], t1, tt;
	size_t i, hits1, hitst;
	char la[128];
	int k, rc = 1;

	if (n < 1 || nq < 2 || t < 2 || t > MAXT || rounds < 1 || rounds > 64 ||
	    r < 0 || r > 64) {
		fprintf(stderr, "usage: bench_threads [N [queries [radius [threads(2..%d) "
				"[rounds(1..64)]]]]]\n", MAXT);
		return 2;
	}
	h = malloc(sizeof(*h) * n);
	ids = malloc(sizeof(*ids) * n);
	q = malloc(sizeof(*q) * nq);
	if (!h || !ids || !q || vigil_ctx_new(&ctx) || vigil_index_new(ctx, &ix)) {
		fprintf(stderr, "bench_threads: out of memory\n");
		goto out;
	}
	for (i = 0; i < n; i++) {
		uint64_t w[4] = {rnd(), rnd(), rnd(), rnd()};

		memcpy(h[i].bits, w, 32);
		h[i].quality = 100;
		ids[i] = i + 1;
	}
	if (vigil_index_add_many(ix, h, ids, n)) {
		fprintf(stderr, "bench_threads: build failed: %s\n", vigil_errmsg(ctx));
		goto out;
	}
	for (i = 0; i < nq; i++) {
		if (i % 2 == 0) {
			int f = (int)(rnd() % 17);

			q[i] = h[rnd() % n];
			while (f-- > 0) {
				int b = (int)(rnd() % 256);

				q[i].bits[b / 8] ^= (uint8_t)(1u << (b % 8));
			}
		} else {
			uint64_t w[4] = {rnd(), rnd(), rnd(), rnd()};

			memcpy(q[i].bits, w, 32);
			q[i].quality = 100;
		}
	}
	load(la, sizeof(la));
	printf("index of %zu random hashes, %zu queries (half near-dup), r=%d, "
	       "1 vs %d threads, %d rounds; load at start: %s\n", n, nq, r, t, rounds, la);
	for (k = 0; k < rounds; k++) {
		t1 = answer(ix, q, nq, r, 1, &hits1);
		tt = answer(ix, q, nq, r, t, &hitst);
		if (t1 < 0 || tt < 0) {
			fprintf(stderr, "bench_threads: a query failed: %s\n", vigil_errmsg(ctx));
			goto out;
		}
		if (hits1 != hitst) { /* the split must not change the answers */
			fprintf(stderr, "bench_threads: %zu hits with 1 thread, %zu with %d\n",
				hits1, hitst, t);
			goto out;
		}
		sp[k] = t1 / tt;
		printf("round %d: 1 thread %.0f q/s, %d threads %.0f q/s: %.2fx\n", k + 1,
		       (double)nq / t1, t, (double)nq / tt, sp[k]);
	}
	qsort(sp, (size_t)rounds, sizeof(sp[0]), cmp_d);
	load(la, sizeof(la));
	printf("speed-up with %d threads: median %.2fx (min %.2fx, max %.2fx); "
	       "load at end: %s\n", t, sp[rounds / 2], sp[0], sp[rounds - 1], la);
	rc = 0;
out:
	vigil_index_free(ix);
	vigil_ctx_free(ctx);
	free(h);
	free(ids);
	free(q);
	return rc;
}
