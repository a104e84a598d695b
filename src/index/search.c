/* search.c — the queries: plan a variant's search, then probe both parts'
 * tables (MIH) or scan every slot, checking candidates with the kernels. */
#include "index_int.h"

#define IX_BALL_MAX 1024                     /* probes per table prefetched at once */

/* Checks candidates slots[0..n-1] from built table j. An entry is reported
 * from the first table whose ball holds it, so a hit that an earlier
 * table's ball also holds was reported already. */
static void ix_check_built(struct ix_sink *k, const uint64_t q[4], int r,
			   const struct ix_plan *pl, int j,
			   const uint32_t *slots, size_t n)
{
	const vigil_index *ix = k->ix;
	uint32_t out[VIGIL__HAM_CHUNK];
	uint16_t dist[VIGIL__HAM_CHUNK];
	size_t c, i;

	c = ix->ops->gather(ix->hw, slots, n, q, r, out, dist);
	for (i = 0; i < c; i++) {
		const uint64_t *p = ix->hw + 4 * (size_t)out[i];
		int jj, dup = ix->dead[out[i]];

		for (jj = 0; jj < j && !dup; jj++) {
			uint32_t x = bsub_of(&ix->shape, p, jj) ^ pl->bkey[jj];

			dup = pl->brad[jj] >= 0 &&
			      __builtin_popcount(x) <= pl->brad[jj];
		}
		if (!dup && vigil__ix_sink_owns(k, out[i], dist[i]))
			vigil__ix_sink_put(k, out[i], dist[i]);
	}
}

/* The same for the delta's 16 tables. */
static void ix_check_delta(struct ix_sink *k, const uint64_t q[4], int r,
			   const struct ix_plan *pl, int j,
			   const uint32_t *slots, size_t n)
{
	const vigil_index *ix = k->ix;
	uint32_t out[VIGIL__HAM_CHUNK];
	uint16_t dist[VIGIL__HAM_CHUNK];
	size_t c, i;

	c = ix->ops->gather(ix->hw, slots, n, q, r, out, dist);
	for (i = 0; i < c; i++) {
		const uint64_t *p = ix->hw + 4 * (size_t)out[i];
		int jj, dup = 0;

		for (jj = 0; jj < j && !dup; jj++) {
			unsigned x = sub_of(p, jj) ^ sub_of(q, jj);

			dup = pl->drad[jj] >= 0 &&
			      __builtin_popcount(x) <= pl->drad[jj];
		}
		if (!dup && vigil__ix_sink_owns(k, out[i], dist[i]))
			vigil__ix_sink_put(k, out[i], dist[i]);
	}
}

typedef void (*ix_check_fn)(struct ix_sink *, const uint64_t *, int,
			    const struct ix_plan *, int, const uint32_t *,
			    size_t);

/* Collects the slots of one bucket into cand[] (flushing it through check
 * whenever full), so the kernel's prefetching runs across bucket
 * boundaries: the candidate checks are random accesses into hw[] and
 * dominate the query time. */
static inline void ix_collect(struct ix_sink *k, const uint64_t q[4], int r,
			      const struct ix_plan *pl, int j, ix_check_fn check,
			      uint32_t *cand, size_t *nc, const uint32_t *sl,
			      uint32_t len)
{
	uint32_t off = 0;

	if (!len)
		return;
	if (*nc + len > VIGIL__HAM_CHUNK) {
		check(k, q, r, pl, j, cand, *nc);
		*nc = 0;
	}
	for (; len - off > VIGIL__HAM_CHUNK; off += VIGIL__HAM_CHUNK)
		check(k, q, r, pl, j, sl + off, VIGIL__HAM_CHUNK);
	memcpy(cand + *nc, sl + off, (len - off) * sizeof(*cand));
	*nc += len - off;
}

/* The slot runs of buckets keys[0..nk-1] of one table, the empty ones
 * left out, into lo/hi (returns how many), prefetching each run. */
#define IX_RANGES_DEF(name, attr, range)                                     \
	static attr size_t name(const struct ix_csr *c, const uint32_t *keys, \
				size_t nk, uint32_t *lo, uint32_t *hi)        \
	{                                                                    \
		size_t i, nr = 0;                                            \
                                                                             \
		for (i = 0; i < nk; i++) {                                   \
			uint32_t bl, a = range(c, keys[i], &bl);             \
                                                                             \
			if (!bl)                                             \
				continue;                                    \
			__builtin_prefetch(c->slot + a);                     \
			lo[nr] = a;                                          \
			hi[nr++] = a + bl;                                   \
		}                                                            \
		return nr;                                                   \
	}
IX_RANGES_DEF(ix_ranges, , ix_csr_range)
#ifdef IX_HAVE_PDEP
IX_RANGES_DEF(ix_ranges_pdep, __attribute__((target("bmi,bmi2"))),
	      ix_csr_range_pdep)
#endif

/* Probes every table's ball, in both parts. In the built part the offsets
 * of the next buckets are prefetched: each probe is a random read too. */
static void ix_search_mih(struct ix_sink *k, const uint64_t q[4], int r,
			  const struct ix_plan *pl)
{
	const vigil_index *ix = k->ix;
	uint32_t cand[VIGIL__HAM_CHUNK];
	int j;

	for (j = 0; j < ix->shape.m; j++) {
		const struct ix_csr *c = &ix->csr[j];
		uint32_t keys[IX_BALL_MAX], lo[IX_BALL_MAX], hi[IX_BALL_MAX];
		size_t nc = 0, nk = 0, nr = 0, i;
		int len = ix->shape.len[j];

		if (pl->brad[j] < 0)
			continue;
		if (vigil__ix_ball_size(len, pl->brad[j]) > IX_BALL_MAX) {
			uint32_t bl, a;

			BALL_FOR(pl->bkey[j], len, pl->brad[j], v, {
				a = ix_csr_range(c, v, &bl);
				ix_collect(k, q, r, pl, j, ix_check_built, cand,
					   &nc, c->slot + a, bl);
			});
		} else {
			/* three passes, so the random reads of each pass are
			 * all in flight at once: the offset blocks, then the
			 * slot runs, then (in the kernel) the hashes */
			BALL_FOR(pl->bkey[j], len, pl->brad[j], v, {
				__builtin_prefetch(c->blk + (v >> IX_BLK_SHIFT));
				keys[nk++] = v;
			});
#ifdef IX_HAVE_PDEP
			if (ix->bmi2)
				nr = ix_ranges_pdep(c, keys, nk, lo, hi);
			else
#endif
				nr = ix_ranges(c, keys, nk, lo, hi);
			for (i = 0; i < nr; i++)
				ix_collect(k, q, r, pl, j, ix_check_built, cand, &nc,
					   c->slot + lo[i], hi[i] - lo[i]);
		}
		if (nc)
			ix_check_built(k, q, r, pl, j, cand, nc);
	}
	for (j = 0; j < IX_M && ix->n > ix->nbuilt; j++) {
		unsigned key = sub_of(q, j);
		size_t nc = 0;

		BALL_FOR(key, IX_BITS, pl->drad[j], v, {
			const struct ix_bucket *b = bucket_of(ix, j, v);

			ix_collect(k, q, r, pl, j, ix_check_delta, cand, &nc,
				   b->slot, b->len);
		});
		if (nc)
			ix_check_delta(k, q, r, pl, j, cand, nc);
	}
}

static void ix_search_scan(struct ix_sink *k, const uint64_t q[4], int r)
{
	const vigil_index *ix = k->ix;
	uint32_t out[VIGIL__HAM_CHUNK];
	uint16_t dist[VIGIL__HAM_CHUNK];
	size_t base;

	for (base = 0; base < ix->n; base += VIGIL__HAM_CHUNK) {
		size_t n = ix->n - base, c, i;

		if (n > VIGIL__HAM_CHUNK)
			n = VIGIL__HAM_CHUNK;
		c = ix->ops->scan(ix->hw + 4 * base, (uint32_t)base, n, q, r,
				  out, dist);
		for (i = 0; i < c; i++)
			if (!ix->dead[out[i]] && vigil__ix_sink_owns(k, out[i], dist[i]))
				vigil__ix_sink_put(k, out[i], dist[i]);
	}
}

/* One variant's search; caller holds the lock shared. */
static void ix_search(struct ix_sink *k, const uint64_t q[4], int r)
{
	const vigil_index *ix = k->ix;
	struct ix_plan pl;
	int j;

	vigil__ix_radii(r, IX_M, pl.drad);
	if (ix->shape.m)
		vigil__ix_radii(r, ix->shape.m, pl.brad);
	for (j = 0; j < ix->shape.m; j++)
		pl.bkey[j] = bsub_of(&ix->shape, q, j);
	if (vigil__ix_use_mih(ix, &pl, q))
		ix_search_mih(k, q, r, &pl);
	else
		ix_search_scan(k, q, r);
}

static int query_args(vigil_index *ix, const void *q, int radius,
		      const vigil_index_hit *hits, size_t max, const char *fn)
{
	if (!q)
		return vigil__ix_err(ix, VIGIL_EINVAL, "%s: query is NULL", fn);
	if (radius < 0 || radius > VIGIL_INDEX_MAX_RADIUS)
		return vigil__ix_err(ix, VIGIL_EINVAL, "%s: radius %d not in 0..%d",
			      fn, radius, VIGIL_INDEX_MAX_RADIUS);
	if (!hits && max)
		return vigil__ix_err(ix, VIGIL_EINVAL, "%s: hits is NULL", fn);
	return VIGIL_OK;
}

int vigil_index_query(vigil_index *ix, const vigil_pdq *q, int radius,
		      vigil_index_hit *hits, size_t max, size_t *found)
{
	struct ix_sink k = {0};
	uint64_t w[4];
	int rc;

	if (found)
		*found = 0;
	if (!ix)
		return VIGIL_EINVAL;
	rc = query_args(ix, q, radius, hits, max, "vigil_index_query");
	if (rc)
		return rc;
	words_of(q, w);
	k.ix = ix;
	k.hits = hits;
	k.max = max;
	pthread_rwlock_rdlock(&ix->lock);
	if (ix->live)
		ix_search(&k, w, radius);
	pthread_rwlock_unlock(&ix->lock);
	vigil__ix_sink_finish(&k, found);
	return VIGIL_OK;
}

int vigil_index_query_dihedral(vigil_index *ix, const vigil_pdq q[8],
			       int radius, vigil_index_hit *hits, size_t max,
			       size_t *found)
{
	struct ix_sink k = {0};
	uint64_t w[VIGIL_DIH_COUNT][4];
	int rc, v;

	if (found)
		*found = 0;
	if (!ix)
		return VIGIL_EINVAL;
	rc = query_args(ix, q, radius, hits, max,
			"vigil_index_query_dihedral");
	if (rc)
		return rc;
	for (v = 0; v < VIGIL_DIH_COUNT; v++)
		words_of(&q[v], w[v]);
	k.ix = ix;
	k.hits = hits;
	k.max = max;
	k.dih = (const uint64_t (*)[4])w;
	pthread_rwlock_rdlock(&ix->lock);
	for (v = 0; v < VIGIL_DIH_COUNT && ix->live; v++) {
		k.variant = v;
		ix_search(&k, w[v], radius);
	}
	pthread_rwlock_unlock(&ix->lock);
	vigil__ix_sink_finish(&k, found);
	return VIGIL_OK;
}
