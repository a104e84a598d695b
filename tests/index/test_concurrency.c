/* Four query threads against one writer adding and removing entries, on a
 * vigil_index and a vigil_exact. Entries that are never removed must always
 * be found; every hit returned must be a real entry at its true distance, in
 * order. Bounded by the writer's operation count, never by time. Also built
 * with ThreadSanitizer as index/concurrency-tsan.
 *
 * usage: test_concurrency [writer-ops]  (default 100000) */
#include "ixtest.h"

#include <pthread.h>
#include <stdlib.h>

#define NSTABLE 20000   /* never removed: ids 0.. */
#define NCHURN 4000     /* added and removed: ids CHURN_ID.. */
#define CHURN_ID 1000000
#define NREADERS 4
#define MAXHITS 64

static vigil_pdq stable[NSTABLE], churn[NCHURN];
static uint8_t sdig[NSTABLE][32], cdig[NCHURN][32];
static vigil_index *ix;
static vigil_exact *ex;
static int writer_done;   /* atomic */
static long writer_ops;

struct reader {
	pthread_t t;
	unsigned long long seed;
	long queries; /* queries made */
	long bad;     /* inconsistent results seen */
};

static void report(struct reader *rd, const char *what, long a, long b)
{
	if (rd->bad++ < 5)
		fprintf(stderr, "reader: %s (%ld, %ld)\n", what, a, b);
}

/* Checks one result list: true distances (to the variant credited), in
 * order, real entries. nq is 1 or 8 query variants. */
static void check_hits(struct reader *rd, const vigil_pdq *q, int nq, int r,
		       const vigil_index_hit *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const vigil_pdq *want;

		if (h[i].variant < 0 || h[i].variant >= nq) {
			report(rd, "bad variant", h[i].variant, nq);
			continue;
		}

		if (h[i].id < NSTABLE)
			want = &stable[h[i].id];
		else if (h[i].id >= CHURN_ID && h[i].id < CHURN_ID + NCHURN)
			want = &churn[h[i].id - CHURN_ID];
		else {
			report(rd, "unknown id", (long)h[i].id, 0);
			continue;
		}
		if (memcmp(want->bits, h[i].hash.bits, 32) ||
		    want->quality != h[i].hash.quality)
			report(rd, "hash does not match id", (long)h[i].id, 0);
		if (h[i].distance != ref_dist(&q[h[i].variant], &h[i].hash) ||
		    h[i].distance > r)
			report(rd, "wrong distance", h[i].distance, r);
		if (i && ref_hit_cmp(&h[i - 1], &h[i]) >= 0)
			report(rd, "out of order", (long)i, 0);
	}
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	vigil_index_hit hits[MAXHITS];
	vigil_pdq q, d8[8];
	uint64_t ids[8];

	while (!__atomic_load_n(&writer_done, __ATOMIC_ACQUIRE) ||
	       rd->queries < 200) {
		size_t e = test_rand(&rd->seed) % NSTABLE, found, i;
		int k = (int)(test_rand(&rd->seed) % 12), r, v, rc;

		q = stable[e];
		flip_k(&rd->seed, &q, k);
		r = k + (int)(test_rand(&rd->seed) % (32 - k));
		rd->queries++;
		if (rd->queries % 8 == 0) {
			/* dihedral: the stable entry near variant v */
			v = (int)(test_rand(&rd->seed) % 8);
			for (i = 0; i < 8; i++)
				rand_pdq(&rd->seed, &d8[i]);
			d8[v] = q;
			rc = vigil_index_query_dihedral(ix, d8, r, hits, MAXHITS,
							&found);
		} else {
			v = 0;
			rc = vigil_index_query(ix, &q, r, hits, MAXHITS, &found);
		}
		if (rc) {
			report(rd, "query failed", rc, 0);
			continue;
		}
		if (rd->queries % 8 == 0)
			check_hits(rd, d8, 8, r, hits,
				   found < MAXHITS ? found : MAXHITS);
		else
			check_hits(rd, &q, 1, r, hits,
				   found < MAXHITS ? found : MAXHITS);
		for (i = 0; i < found && i < MAXHITS; i++)
			if (hits[i].id == e)
				break;
		if (found <= MAXHITS && (i == found || hits[i].variant != v))
			report(rd, "stable entry missing", (long)e, r);
		/* the exact index: stable digests always there */
		rc = vigil_exact_lookup(ex, (vigil_digest_algo)(e % 3), sdig[e],
					ids, 8, &found);
		if (rc || found != 1 || ids[0] != e)
			report(rd, "stable digest missing", (long)e, (long)found);
		if (vigil_index_size(ix) < NSTABLE)
			report(rd, "size too small", (long)vigil_index_size(ix), 0);
	}
	return NULL;
}

static void *writer_main(void *arg)
{
	static char in[NCHURN];
	unsigned long long s = 0x77717e5ULL;
	long op, *bad = arg;

	for (op = 0; op < writer_ops; op++) {
		size_t c = test_rand(&s) % NCHURN;
		uint64_t id = CHURN_ID + c;
		int rc, rc2;

		if (in[c]) {
			rc = vigil_index_remove(ix, &churn[c], id);
			rc2 = vigil_exact_remove(ex, VIGIL_MD5, cdig[c], id);
		} else {
			rc = vigil_index_add(ix, &churn[c], id);
			rc2 = vigil_exact_add(ex, VIGIL_MD5, cdig[c], id);
		}
		in[c] = !in[c];
		if (rc || rc2)
			++*bad;
	}
	__atomic_store_n(&writer_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long long s = 0xc0ffeeULL;
	struct reader rd[NREADERS];
	pthread_t w;
	long wbad = 0, total = 0;
	size_t i;
	int k;

	writer_ops = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
	CHECK(vigil_index_new(NULL, &ix) == 0);
	CHECK(vigil_exact_new(NULL, &ex) == 0);
	for (i = 0; i < NSTABLE; i++) {
		rand_pdq(&s, &stable[i]);
		for (k = 0; k < 32; k++)
			sdig[i][k] = (uint8_t)test_rand(&s);
		CHECK(vigil_index_add(ix, &stable[i], i) == 0);
		CHECK(vigil_exact_add(ex, (vigil_digest_algo)(i % 3), sdig[i], i) ==
		      0);
	}
	/* churn entries sit near stable ones, so they show up in results */
	for (i = 0; i < NCHURN; i++) {
		churn[i] = stable[test_rand(&s) % NSTABLE];
		flip_k(&s, &churn[i], (int)(test_rand(&s) % 20));
		for (k = 0; k < 32; k++)
			cdig[i][k] = (uint8_t)test_rand(&s);
	}
	for (k = 0; k < NREADERS; k++) {
		rd[k].seed = 0x1234567ULL * (unsigned long long)(k + 1);
		rd[k].queries = rd[k].bad = 0;
		CHECK(pthread_create(&rd[k].t, NULL, reader_main, &rd[k]) == 0);
	}
	CHECK(pthread_create(&w, NULL, writer_main, &wbad) == 0);
	pthread_join(w, NULL);
	for (k = 0; k < NREADERS; k++) {
		pthread_join(rd[k].t, NULL);
		CHECKF(rd[k].bad == 0, "reader %d: %ld bad results", k, rd[k].bad);
		total += rd[k].queries;
	}
	CHECK(wbad == 0);
	printf("%ld writer ops, %ld queries\n", writer_ops, total);
	vigil_index_free(ix);
	vigil_exact_free(ex);
	return test_done("index-concurrency");
}
