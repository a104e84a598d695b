/* vigil_index against brute force: recall and order on random and clustered
 * data at radii 0..64 through both search paths (MIH and scan) and the
 * automatic choice; adversarial layouts (one huge MIH bucket, entries at
 * exactly r and r+1 spread to defeat the pigeonhole bound); add, remove and
 * re-add; dihedral merging; argument errors.
 *
 * usage: test_index [entries [queries]]  (defaults 200000 2000; the
 * sanitizer builds pass smaller ones). All hashes are random. */
#include "ixtest.h"
#include "../../src/index/index_int.h"

#include <stdlib.h>

static const int radii[] = {0, 8, 15, 16, 31, 32, 48, 63, 64};
#define NRADII (int)(sizeof(radii) / sizeof(radii[0]))
static const int strategies[] = {VIGIL__IX_AUTO, VIGIL__IX_MIH, VIGIL__IX_SCAN};

/* The model the index is checked against: every (hash, id) ever added, with
 * whether it is currently in. */
struct model {
	vigil_pdq *h;
	uint64_t *id;
	char *alive;
	size_t n;
};

/* Every live entry within 64 of q, in index order. *out is malloc'd. */
static size_t brute(const struct model *m, const vigil_pdq *q,
		    vigil_index_hit **out)
{
	vigil_index_hit *v = NULL;
	size_t i, n = 0, cap = 0;

	for (i = 0; i < m->n; i++) {
		int d;

		if (!m->alive[i])
			continue;
		d = ref_dist(&m->h[i], q);
		if (d > VIGIL_INDEX_MAX_RADIUS)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				abort();
		}
		v[n].id = m->id[i];
		v[n].hash = m->h[i];
		v[n].distance = d;
		v[n].variant = 0;
		n++;
	}
	if (n)
		qsort(v, n, sizeof(*v), ref_hit_cmp);
	*out = v;
	return n;
}

/* Queries ix at every radius and strategy and compares with brute force,
 * including a truncated result buffer. Returns the number of mismatches. */
static int check_query(vigil_index *ix, const struct model *m,
		       const vigil_pdq *q, const char *what)
{
	static vigil_index_hit got[4096];
	vigil_index_hit *exp;
	size_t ne = brute(m, q, &exp), found, want, i;
	int ri, si, bad = 0;

	for (si = 0; si < 3; si++) {
		vigil__index_set_strategy(ix, strategies[si]);
		for (ri = 0; ri < NRADII; ri++) {
			int r = radii[ri], rc;

			for (want = 0; want < ne && exp[want].distance <= r; want++)
				;
			if (want > 4096)
				continue;
			rc = vigil_index_query(ix, q, r, got, 4096, &found);
			CHECK(rc == VIGIL_OK);
			if (found != want) {
				bad++;
				CHECKF(found == want, "%s strategy %d r=%d: found %zu want %zu",
				       what, strategies[si], r, found, want);
				continue;
			}
			for (i = 0; i < want; i++)
				if (!same_hit(&got[i], &exp[i]))
					break;
			if (i < want)
				bad++;
			CHECKF(i == want, "%s strategy %d r=%d: hit %zu differs", what,
			       strategies[si], r, i);
			/* a short buffer gets the nearest hits and the full count */
			if (want > 2) {
				rc = vigil_index_query(ix, q, r, got, 2, &found);
				CHECK(rc == VIGIL_OK && found == want);
				CHECK(same_hit(&got[0], &exp[0]) &&
				      same_hit(&got[1], &exp[1]));
			}
		}
	}
	vigil__index_set_strategy(ix, VIGIL__IX_AUTO);
	free(exp);
	return bad;
}

static void model_init(struct model *m, size_t cap)
{
	m->h = calloc(cap, sizeof(*m->h));
	m->id = calloc(cap, sizeof(*m->id));
	m->alive = calloc(cap, 1);
	m->n = 0;
	if (!m->h || !m->id || !m->alive)
		abort();
}

static void model_free(struct model *m)
{
	free(m->h);
	free(m->id);
	free(m->alive);
}

static void model_add(vigil_index *ix, struct model *m, const vigil_pdq *h,
		      uint64_t id)
{
	CHECK(vigil_index_add(ix, h, id) == VIGIL_OK);
	m->h[m->n] = *h;
	m->id[m->n] = id;
	m->alive[m->n++] = 1;
}

/* Random and clustered entries (a quarter are near-duplicates of earlier
 * ones, some exact duplicates under a new id), queried with near-duplicates
 * of stored entries at 0..70 flipped bits and with random non-members. */
static void test_recall(size_t n, size_t nq)
{
	unsigned long long s = 0x1d8e4e27c47d124fULL;
	struct model m;
	vigil_index *ix;
	size_t i;
	int bad = 0;

	model_init(&m, n);
	CHECK(vigil_index_new(NULL, &ix) == VIGIL_OK);
	for (i = 0; i < n; i++) {
		vigil_pdq h;

		if (i > 0 && test_rand(&s) % 4 == 0) {
			h = m.h[test_rand(&s) % i];
			flip_k(&s, &h, (int)(test_rand(&s) % 40));
		} else {
			rand_pdq(&s, &h);
		}
		model_add(ix, &m, &h, i * 7 + 1);
	}
	CHECK(vigil_index_size(ix) == n);
	for (i = 0; i < nq && bad < 10; i++) {
		vigil_pdq q;

		if (i % 2) {
			rand_pdq(&s, &q);
		} else {
			q = m.h[test_rand(&s) % n];
			flip_k(&s, &q, (int)(test_rand(&s) % 71));
		}
		/* the last quarter with the portable offset decoder (the
		 * rest with PDEP where the CPU has it) */
		if (i == nq - nq / 4)
			vigil__index_set_pdep(ix, 0);
		bad += check_query(ix, &m, &q, i % 2 ? "random" : "near");
	}
	vigil_index_free(ix);
	model_free(&m);
}

/* d bits of q flipped, spread round-robin over the 16 substrings from
 * substring `start` (two bits of a substring never coincide). This is the
 * layout the pigeonhole bound is tight on: for d = 31 every substring but
 * one differs in 2 bits. */
static void spread(vigil_pdq *h, int d, int start)
{
	int k;

	for (k = 0; k < d; k++) {
		int sub = (start + k) % 16, nth = k / 16;

		/* substring `sub` is bytes 2*sub, 2*sub+1 of the word layout
		 * on little-endian; any fixed choice of distinct bits works */
		flip_bit(h, sub * 16 + (nth * 5) % 16);
	}
}

/* Entries at exactly r and r+1, spread evenly, so at most one table holds
 * them in its ball; and a bank where every entry shares 12 of the 16
 * substrings (MIH degenerates to huge buckets). */
static void test_adversarial(size_t n)
{
	unsigned long long s = 0x5eedULL;
	vigil_pdq base, q;
	struct model m;
	vigil_index *ix;
	size_t i;
	int r, st;

	model_init(&m, 64 * 2 * 16 + n + 64);
	CHECK(vigil_index_new(NULL, &ix) == VIGIL_OK);
	rand_pdq(&s, &base);
	for (r = 0; r < 64; r++) {
		for (st = 0; st < 16; st++) {
			vigil_pdq h = base;

			spread(&h, r, st);
			CHECK(ref_dist(&h, &base) == r);
			model_add(ix, &m, &h, (uint64_t)(r * 16 + st));
		}
	}
	check_query(ix, &m, &base, "spread");
	for (r = 0; r <= VIGIL_INDEX_MAX_RADIUS; r++) {
		size_t found = 0;

		CHECK(vigil_index_query(ix, &base, r, NULL, 0, &found) == 0);
		CHECKF(found == (size_t)(r < 64 ? r + 1 : 64) * 16, "r=%d found %zu",
		       r, found);
	}
	/* one bucket: words 0..2 fixed, so substrings 0..11 are the same */
	for (i = 0; i < n; i++) {
		vigil_pdq h = base;
		int k;

		for (k = 24; k < 32; k++)
			h.bits[k] = (uint8_t)test_rand(&s);
		model_add(ix, &m, &h, 1000000 + i);
	}
	for (i = 0; i < 20; i++) {
		q = m.h[m.n - 1 - test_rand(&s) % n];
		flip_k(&s, &q, (int)(test_rand(&s) % 40));
		check_query(ix, &m, &q, "one-bucket");
	}
	vigil_index_free(ix);
	model_free(&m);
}

/* Add/remove/re-add: duplicates are no-ops, removing what is not there is
 * ENOENT, the same hash under several ids, and queries stay exact while
 * entries move slots. */
static void test_add_remove(size_t n)
{
	unsigned long long s = 0xabcdefULL;
	vigil_index_hit hit;
	struct model m;
	vigil_index *ix;
	vigil_ctx *ctx;
	vigil_pdq h, q;
	size_t i, found;

	model_init(&m, 2 * n + 16);
	CHECK(vigil_ctx_new(&ctx) == VIGIL_OK);
	CHECK(vigil_index_new(ctx, &ix) == VIGIL_OK);
	rand_pdq(&s, &h);
	CHECK(vigil_index_remove(ix, &h, 1) == VIGIL_ENOENT);
	CHECK(strlen(vigil_errmsg(ctx)) > 0);
	CHECK(vigil_index_query(ix, &h, 31, &hit, 1, &found) == 0 && found == 0);
	CHECK(vigil_index_add(ix, &h, 1) == VIGIL_OK);
	CHECK(vigil_index_add(ix, &h, 1) == VIGIL_OK);
	CHECK(vigil_index_size(ix) == 1);
	CHECK(vigil_index_add(ix, &h, 2) == VIGIL_OK);
	CHECK(vigil_index_size(ix) == 2);
	CHECK(vigil_index_query(ix, &h, 0, &hit, 1, &found) == 0 && found == 2);
	CHECK(hit.id == 1 && hit.distance == 0 && hit.variant == 0 &&
	      hit.hash.quality == h.quality && !memcmp(hit.hash.bits, h.bits, 32));
	q = h;
	flip_bit(&q, 3);
	CHECK(vigil_index_remove(ix, &q, 1) == VIGIL_ENOENT);
	CHECK(vigil_index_remove(ix, &h, 3) == VIGIL_ENOENT);
	CHECK(vigil_index_remove(ix, &h, 1) == VIGIL_OK);
	CHECK(vigil_index_remove(ix, &h, 1) == VIGIL_ENOENT);
	CHECK(vigil_index_size(ix) == 1);
	CHECK(vigil_index_query(ix, &q, 1, &hit, 1, &found) == 0 && found == 1 &&
	      hit.id == 2 && hit.distance == 1);
	CHECK(vigil_index_remove(ix, &h, 2) == VIGIL_OK);
	CHECK(vigil_index_size(ix) == 0);
	CHECK(vigil_index_query(ix, &h, 64, &hit, 1, &found) == 0 && found == 0);

	/* churn against the model */
	for (i = 0; i < n; i++) {
		rand_pdq(&s, &h);
		if (i % 3 == 0 && i)
			h = m.h[test_rand(&s) % m.n]; /* same hash, new id */
		model_add(ix, &m, &h, 100 + i);
	}
	for (i = 0; i < m.n; i += 2) {
		CHECK(vigil_index_remove(ix, &m.h[i], m.id[i]) == VIGIL_OK);
		m.alive[i] = 0;
	}
	CHECK(vigil_index_size(ix) == m.n - (m.n + 1) / 2);
	for (i = 0; i < 30; i++) {
		q = m.h[test_rand(&s) % m.n];
		flip_k(&s, &q, (int)(test_rand(&s) % 20));
		check_query(ix, &m, &q, "after-remove");
	}
	/* re-add half of the removed ones */
	for (i = 0; i < m.n; i += 4) {
		CHECK(vigil_index_add(ix, &m.h[i], m.id[i]) == VIGIL_OK);
		m.alive[i] = 1;
	}
	for (i = 0; i < 30; i++) {
		q = m.h[test_rand(&s) % m.n];
		flip_k(&s, &q, (int)(test_rand(&s) % 20));
		check_query(ix, &m, &q, "after-readd");
	}
	/* empty it completely */
	for (i = 0; i < m.n; i++)
		if (m.alive[i]) {
			CHECK(vigil_index_remove(ix, &m.h[i], m.id[i]) == 0);
			m.alive[i] = 0;
		}
	CHECK(vigil_index_size(ix) == 0);
	CHECK(vigil_index_query(ix, &m.h[0], 64, NULL, 0, &found) == 0 &&
	      found == 0);
	vigil_index_free(ix);
	vigil_ctx_free(ctx);
	model_free(&m);
}

/* vigil_index_add_many against single adds and brute force: the same bank
 * loaded one by one, in batches of assorted sizes (each with duplicates of
 * its own pairs and of pairs already in), and all at once must answer
 * every query alike. Small rebuild floors make the batches go through both
 * the delta and the rebuilt CSR part; removals then leave tombstones in the
 * built part, and re-adds and a rebuild must clear them. */
static void test_add_many(size_t n, size_t nq)
{
	static const size_t batch[] = {1, 7, 300, 1000, 4096, 65536};
	unsigned long long s = 0x5eed0add5ULL;
	struct model m;
	vigil_index *one = NULL, *many = NULL, *all = NULL;
	vigil_pdq *bh;
	uint64_t *bid;
	size_t i, k, b, nb, found;
	int bad = 0;

	model_init(&m, n);
	bh = calloc(2 * n + 64, sizeof(*bh));
	bid = calloc(2 * n + 64, sizeof(*bid));
	CHECK(bh && bid);
	for (i = 0; i < n; i++) {
		vigil_pdq h;

		if (i > 0 && test_rand(&s) % 4 == 0) {
			h = m.h[test_rand(&s) % i];
			if (test_rand(&s) % 3)
				flip_k(&s, &h, (int)(test_rand(&s) % 40));
		} else {
			rand_pdq(&s, &h);
		}
		m.h[i] = h;
		m.id[i] = i * 3 + 5;
		m.alive[i] = 1;
	}
	m.n = n;
	CHECK(vigil_index_new(NULL, &one) == 0 && vigil_index_new(NULL, &many) == 0 &&
	      vigil_index_new(NULL, &all) == 0);
	vigil__index_set_delta_min(one, 500);
	vigil__index_set_delta_min(many, 500);
	vigil__index_set_delta_min(all, 1000);
	for (i = 0; i < n; i++)
		CHECK(vigil_index_add(one, &m.h[i], m.id[i]) == 0);
	/* batches: each also repeats some of its own pairs and some earlier */
	for (i = 0, k = 0; i < n; i += nb, k++) {
		nb = batch[k % 6];
		if (nb > n - i)
			nb = n - i;
		for (b = 0; b < nb; b++) {
			bh[b] = m.h[i + b];
			bid[b] = m.id[i + b];
		}
		for (b = nb; b < nb + nb / 3; b++) {
			size_t src = i ? test_rand(&s) % (i + nb) : test_rand(&s) % nb;

			bh[b] = m.h[src];
			bid[b] = m.id[src];
		}
		CHECK(vigil_index_add_many(many, bh, bid, b) == 0);
		CHECK(vigil_index_size(many) == i + nb);
	}
	/* all at once, every pair twice */
	for (i = 0; i < 2 * n; i++) {
		bh[i] = m.h[i % n];
		bid[i] = m.id[i % n];
	}
	CHECK(vigil_index_add_many(all, bh, bid, 2 * n) == 0);
	CHECK(vigil_index_add_many(all, bh, bid, n / 2) == 0); /* all present */
	CHECK(vigil_index_size(one) == n && vigil_index_size(many) == n &&
	      vigil_index_size(all) == n);
	CHECK(vigil__index_built(all) == n);
	CHECK(vigil__index_built(many) > n / 2);
	for (i = 0; i < nq && bad < 10; i++) {
		vigil_pdq q;

		if (i % 2) {
			rand_pdq(&s, &q);
		} else {
			q = m.h[test_rand(&s) % n];
			flip_k(&s, &q, (int)(test_rand(&s) % 50));
		}
		bad += check_query(one, &m, &q, "add");
		bad += check_query(many, &m, &q, "add_many batches");
		bad += check_query(all, &m, &q, "add_many all");
	}
	/* tombstones: remove a third, re-add some of them in a batch */
	for (i = 0; i < n; i += 3) {
		CHECK(vigil_index_remove(all, &m.h[i], m.id[i]) == 0);
		CHECK(vigil_index_remove(all, &m.h[i], m.id[i]) == VIGIL_ENOENT);
		m.alive[i] = 0;
	}
	CHECK(vigil_index_size(all) == n - (n + 2) / 3);
	for (i = 0, k = 0; i < n; i += 6) {
		bh[k] = m.h[i];
		bid[k++] = m.id[i];
		m.alive[i] = 1;
	}
	CHECK(vigil_index_add_many(all, bh, bid, k) == 0);
	for (i = 0; i < nq / 4 && bad < 10; i++) {
		vigil_pdq q = m.h[test_rand(&s) % n];

		flip_k(&s, &q, (int)(test_rand(&s) % 40));
		bad += check_query(all, &m, &q, "add_many after remove");
	}
	/* a big batch of new entries rebuilds, dropping the tombstones */
	vigil__index_set_delta_min(all, 0);
	for (i = 0; i < n; i += 3)
		if (!m.alive[i]) {
			CHECK(vigil_index_add(all, &m.h[i], m.id[i]) == 0);
			m.alive[i] = 1;
		}
	CHECK(vigil_index_size(all) == n);
	for (i = 0; i < nq / 4 && bad < 10; i++) {
		vigil_pdq q = m.h[test_rand(&s) % n];

		flip_k(&s, &q, (int)(test_rand(&s) % 40));
		bad += check_query(all, &m, &q, "add_many after rebuild");
	}
	CHECK(vigil_index_query(all, &m.h[0], 0, NULL, 0, &found) == 0 &&
	      found >= 1);
	CHECK(vigil_index_add_many(all, NULL, bid, 1) == VIGIL_EINVAL);
	CHECK(vigil_index_add_many(all, bh, NULL, 1) == VIGIL_EINVAL);
	CHECK(vigil_index_add_many(all, NULL, NULL, 0) == VIGIL_OK);
	CHECK(vigil_index_add_many(NULL, bh, bid, 1) == VIGIL_EINVAL);
	vigil_index_free(one);
	vigil_index_free(many);
	vigil_index_free(all);
	free(bh);
	free(bid);
	model_free(&m);
}

/* The dihedral query against brute force: each entry once, at its smallest
 * distance over the variants, credited to the first variant giving it. */
static void test_dihedral(void)
{
	unsigned long long s = 0xd1ed7a1ULL;
	static vigil_index_hit got[8192], exp[8192];
	vigil_pdq var[8];
	struct model m;
	vigil_index *ix;
	size_t i, ne, found;
	int t, r, v, si;

	model_init(&m, 6000);
	CHECK(vigil_index_new(NULL, &ix) == VIGIL_OK);
	for (v = 0; v < 8; v++)
		rand_pdq(&s, &var[v]);
	var[5] = var[2]; /* a symmetric image: two variants coincide */
	var[6] = var[1];
	flip_k(&s, &var[6], 3);
	for (i = 0; i < 6000; i++) {
		vigil_pdq h;

		if (i % 3 == 0) {
			rand_pdq(&s, &h);
		} else {
			h = var[test_rand(&s) % 8];
			flip_k(&s, &h, (int)(test_rand(&s) % 60));
		}
		model_add(ix, &m, &h, i);
	}
	for (t = 0; t < 3; t++) {
		for (si = 0; si < 3; si++) {
			vigil__index_set_strategy(ix, strategies[si]);
			for (r = 0; r <= 64; r += (t == 0 ? 1 : 13)) {
				ne = 0;
				for (i = 0; i < m.n; i++) {
					int best = 999, bv = 0;

					for (v = 0; v < 8; v++) {
						int d = ref_dist(&m.h[i], &var[v]);

						if (d < best) {
							best = d;
							bv = v;
						}
					}
					if (best > r)
						continue;
					exp[ne].id = m.id[i];
					exp[ne].hash = m.h[i];
					exp[ne].distance = best;
					exp[ne++].variant = bv;
				}
				qsort(exp, ne, sizeof(*exp), ref_hit_cmp);
				CHECK(vigil_index_query_dihedral(ix, var, r, got, 8192,
								 &found) == 0);
				CHECKF(found == ne, "dihedral r=%d found %zu want %zu", r,
				       found, ne);
				for (i = 0; i < ne && i < found; i++)
					if (!same_hit(&got[i], &exp[i]))
						break;
				CHECKF(i == ne, "dihedral r=%d: hit %zu differs", r, i);
			}
		}
		/* new variants for the next round */
		for (v = 0; v < 8; v++) {
			var[v] = m.h[test_rand(&s) % m.n];
			flip_k(&s, &var[v], (int)(test_rand(&s) % 10));
		}
	}
	vigil_index_free(ix);
	model_free(&m);
}

static void test_args(void)
{
	vigil_index_hit hit;
	vigil_index *ix;
	vigil_ctx *ctx;
	vigil_pdq h = {{0}, 50}, d8[8];
	size_t found = 7;

	vigil_index_free(NULL);
	CHECK(vigil_index_size(NULL) == 0);
	CHECK(vigil_index_new(NULL, NULL) == VIGIL_EINVAL);
	CHECK(vigil_ctx_new(&ctx) == 0);
	CHECK(vigil_index_new(ctx, &ix) == 0);
	CHECK(vigil_index_add(NULL, &h, 1) == VIGIL_EINVAL);
	CHECK(vigil_index_add(ix, NULL, 1) == VIGIL_EINVAL);
	CHECK(vigil_index_remove(ix, NULL, 1) == VIGIL_EINVAL);
	CHECK(vigil_index_query(ix, &h, -1, &hit, 1, &found) == VIGIL_EINVAL);
	CHECK(found == 0);
	CHECK(strstr(vigil_errmsg(ctx), "radius") != NULL);
	CHECK(vigil_index_query(ix, &h, 65, &hit, 1, &found) == VIGIL_EINVAL);
	CHECK(vigil_index_query(ix, NULL, 3, &hit, 1, &found) == VIGIL_EINVAL);
	CHECK(vigil_index_query(ix, &h, 3, NULL, 1, &found) == VIGIL_EINVAL);
	CHECK(vigil_index_query(ix, &h, 3, NULL, 0, NULL) == VIGIL_OK);
	CHECK(vigil_index_query(NULL, &h, 3, &hit, 1, &found) == VIGIL_EINVAL);
	memset(d8, 0, sizeof(d8));
	CHECK(vigil_index_query_dihedral(ix, d8, 65, &hit, 1, &found) ==
	      VIGIL_EINVAL);
	CHECK(vigil_index_query_dihedral(ix, NULL, 3, &hit, 1, &found) ==
	      VIGIL_EINVAL);
	CHECK(vigil_index_add(ix, &h, 1) == 0);
	CHECK(vigil_index_query_dihedral(ix, d8, 0, &hit, 1, &found) == 0);
	CHECK(found == 1 && hit.variant == 0 && hit.id == 1 &&
	      hit.hash.quality == 50);
	vigil_index_free(ix);
	vigil_ctx_free(ctx);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
	size_t nq = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000;

	test_args();
	test_add_remove(n / 20);
	test_adversarial(n / 20);
	test_dihedral();
	test_add_many(n / 4, nq / 8);
	test_recall(n, nq);
	return test_done("index");
}
