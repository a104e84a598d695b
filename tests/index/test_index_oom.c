/* Fault injection for the index entry points: every allocation of _new and
 * of each _add is failed in turn; a failed call must return VIGIL_ENOMEM and
 * leave the index exactly as it was (LeakSanitizer checks for leaks in the
 * ASan run). Queries, lookups and removals must not allocate at all. */
#include "ixtest.h"
#include "../../src/core/core.h"
#include "../../src/index/index_int.h"

#include <stdlib.h>

#define NE 1500 /* crosses the first growth of the entry arrays (1024) */

static void index_new_oom(void)
{
	vigil_index *ix;
	long n;
	int rc;

	for (n = 0; n < 100; n++) {
		ix = (vigil_index *)1;
		vigil__fault_after(n);
		rc = vigil_index_new(NULL, &ix);
		vigil__fault_after(-1);
		CHECK(rc == VIGIL_OK || rc == VIGIL_ENOMEM);
		CHECK((rc == VIGIL_OK) == (ix != NULL));
		vigil_index_free(ix);
		if (rc == VIGIL_OK)
			break;
	}
	CHECK(n < 100);
}

static int present(vigil_index *ix, const vigil_pdq *h, uint64_t id)
{
	vigil_index_hit hits[8];
	size_t found, i;

	if (vigil_index_query(ix, h, 0, hits, 8, &found))
		return -1;
	for (i = 0; i < found && i < 8; i++)
		if (hits[i].id == id)
			return 1;
	return 0;
}

static void index_add_oom(void)
{
	unsigned long long s = 0x00111ULL;
	static vigil_pdq h[NE];
	vigil_index_hit hit;
	vigil_index *ix;
	vigil_ctx *ctx;
	size_t i, found;
	long k, fails = 0;

	CHECK(vigil_ctx_new(&ctx) == 0);
	CHECK(vigil_index_new(ctx, &ix) == 0);
	for (i = 0; i < NE; i++) {
		rand_pdq(&s, &h[i]);
		if (i % 5 == 4) { /* share some buckets */
			h[i] = h[i - 1];
			flip_k(&s, &h[i], 2);
		}
		for (k = 0; k < 100; k++) {
			int rc;

			vigil__fault_after(k);
			rc = vigil_index_add(ix, &h[i], i);
			vigil__fault_after(-1);
			CHECK(rc == VIGIL_OK || rc == VIGIL_ENOMEM);
			if (rc == VIGIL_OK)
				break;
			fails++;
			CHECK(vigil_index_size(ix) == i);
			CHECK(present(ix, &h[i], i) == 0);
		}
		CHECK(k < 100);
		CHECK(present(ix, &h[i], i) == 1);
	}
	CHECK(fails > NE); /* the first adds each allocate 16 buckets */
	CHECK(vigil_index_size(ix) == NE);
	/* nothing below allocates */
	vigil__fault_after(0);
	for (i = 0; i < NE; i++)
		CHECK(present(ix, &h[i], i) == 1);
	CHECK(vigil_index_query(ix, &h[0], 64, &hit, 1, &found) == 0 &&
	      found >= 1);
	CHECK(vigil_index_query_dihedral(ix, h, 40, &hit, 1, &found) == 0 &&
	      found >= 8);
	for (i = 0; i < NE; i += 2)
		CHECK(vigil_index_remove(ix, &h[i], i) == 0);
	CHECK(vigil_index_add(ix, &h[0], 0) == 0); /* room left by removals */
	vigil__fault_after(-1);
	CHECK(vigil_index_size(ix) == NE / 2 + 1);
	for (i = 1; i < NE; i += 2)
		CHECK(present(ix, &h[i], i) == 1);
	vigil_index_free(ix);
	vigil_ctx_free(ctx);
}

/* The same for vigil_index_add_many: batches that go to the delta and
 * batches that rebuild the CSR part (a small rebuild floor), each with
 * duplicates of its own and of earlier pairs. A failed batch leaves the
 * index as it was: same size, none of its new pairs present. */
static void index_add_many_oom(void)
{
	enum { NB = 10, BS = 300 };
	unsigned long long s = 0x0add11ULL;
	static vigil_pdq h[NB * BS];
	static uint64_t id[NB * BS];
	vigil_index *ix;
	size_t i, b, before;
	long k, fails = 0;

	CHECK(vigil_index_new(NULL, &ix) == 0);
	vigil__index_set_delta_min(ix, 100);
	for (i = 0; i < NB * BS; i++) {
		rand_pdq(&s, &h[i]);
		id[i] = i;
		if (i % BS >= BS - 20 && i >= BS) { /* repeats an earlier pair */
			size_t src = test_rand(&s) % (i - i % BS);

			h[i] = h[src];
			id[i] = id[src];
		} else if (i % 7 == 6 && i % BS) { /* repeats one of its own */
			h[i] = h[i - 1];
			id[i] = id[i - 1];
		}
	}
	for (b = 0; b < NB; b++) {
		const vigil_pdq *bh = h + b * BS;
		const uint64_t *bid = id + b * BS;

		before = vigil_index_size(ix);
		for (k = 0; k < 200; k++) {
			int rc;

			vigil__fault_after(k);
			rc = vigil_index_add_many(ix, bh, bid, BS);
			vigil__fault_after(-1);
			CHECK(rc == VIGIL_OK || rc == VIGIL_ENOMEM);
			if (rc == VIGIL_OK)
				break;
			fails++;
			CHECK(vigil_index_size(ix) == before);
			CHECK(present(ix, &bh[0], bid[0]) == 0);
			CHECK(present(ix, &bh[BS / 2], bid[BS / 2]) == 0);
		}
		CHECK(k < 200);
		for (i = 0; i < BS; i++)
			CHECK(present(ix, &bh[i], bid[i]) == 1);
	}
	CHECK(fails > NB);
	vigil__fault_after(0);
	for (i = 0; i < NB * BS; i++)
		CHECK(present(ix, &h[i], id[i]) == 1);
	vigil__fault_after(-1);
	vigil_index_free(ix);
}

static void exact_oom(void)
{
	uint8_t d[32];
	uint64_t ids[8];
	vigil_exact *ex;
	size_t i, found;
	long k;
	int j;

	for (k = 0; k < 100; k++) {
		int rc;

		ex = (vigil_exact *)1;
		vigil__fault_after(k);
		rc = vigil_exact_new(NULL, &ex);
		vigil__fault_after(-1);
		CHECK(rc == VIGIL_OK || rc == VIGIL_ENOMEM);
		CHECK((rc == VIGIL_OK) == (ex != NULL));
		if (rc == VIGIL_OK)
			break;
	}
	CHECK(ex != NULL);
	for (i = 0; i < 500; i++) {
		unsigned long long seed = 0x5000 + i;

		for (j = 0; j < 32; j++)
			d[j] = (uint8_t)test_rand(&seed);
		/* every third digest takes a second id: the inline->array move */
		for (j = 0; j < (i % 3 == 0 ? 2 : 1); j++) {
			for (k = 0; k < 100; k++) {
				int rc;

				vigil__fault_after(k);
				rc = vigil_exact_add(ex, VIGIL_SHA256, d, i * 2 + j);
				vigil__fault_after(-1);
				CHECK(rc == VIGIL_OK || rc == VIGIL_ENOMEM);
				if (rc == VIGIL_OK)
					break;
				CHECK(vigil_exact_lookup(ex, VIGIL_SHA256, d, ids, 8,
							 &found) == 0 &&
				      found == (size_t)j);
			}
			CHECK(k < 100);
		}
	}
	vigil__fault_after(0);
	for (i = 0; i < 500; i++) {
		unsigned long long seed = 0x5000 + i;

		for (j = 0; j < 32; j++)
			d[j] = (uint8_t)test_rand(&seed);
		CHECK(vigil_exact_lookup(ex, VIGIL_SHA256, d, ids, 8, &found) == 0);
		CHECK(found == (i % 3 == 0 ? 2u : 1u) && ids[0] == i * 2);
		CHECK(vigil_exact_remove(ex, VIGIL_SHA256, d, i * 2) == 0);
	}
	vigil__fault_after(-1);
	CHECK(vigil_exact_size(ex) == 167);
	vigil_exact_free(ex);
}

int main(void)
{
	index_new_oom();
	index_add_oom();
	index_add_many_oom();
	exact_oom();
	return test_done("index-oom");
}
