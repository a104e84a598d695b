/* layout.c — how the index is shaped and which path a query takes: the
 * number and lengths of the built part's tables for a bank size, the
 * per-table probe radii (the refined pigeonhole of index.c), and the cost
 * model that picks MIH or a linear scan per query. */
#include "index_int.h"

#define IX_BMIN 9                            /* built part: fewest tables */
#define IX_BLEN_MAX 26                       /* built part: longest substring */
#define IX_OFF_PER_ENTRY 56                  /* offset bytes allowed per entry */
#define IX_OFF_FLOOR ((size_t)8 << 20)       /* ... and at least this many */

/* Relative costs for choosing MIH or a scan, per unit: a bucket probed, a
 * candidate checked (a random access into hw[]), an entry scanned
 * (sequential, SIMD): a candidate costs ~17x a scanned entry at 1M and 10M
 * entries (BENCH_CROSSOVER=1 bench/index on a 2-core AMD EPYC, AVX-512). */
#define IX_COST_PROBE 16
#define IX_COST_CAND 16
#define IX_COST_SCAN 1

/* Per-table probe radius for a query radius r over m tables (see the
 * comment at the top of index.c): -1 means the table is not probed. */
void vigil__ix_radii(int r, int m, int *rad)
{
	int s = r / m, a = r % m, j;

	for (j = 0; j < m; j++)
		rad[j] = j <= a ? s : s - 1;
}

/* Buckets within distance rad of a len-bit value. */
double vigil__ix_ball_size(int len, int rad)
{
	double c = 1, sum = 0;
	int i;

	for (i = 0; i <= rad && i <= len; i++) {
		sum += c;
		c = c * (len - i) / (i + 1);
	}
	return sum;
}

/* The shape for a built part of n entries: the number of tables that
 * minimises the expected probes + candidates of a query at the usual radius
 * on uniform hashes, with the offset arrays capped at IX_OFF_PER_ENTRY bytes
 * per entry. Small banks get 16 x 16 bits, 10M gets 11 x 23-24 bits. */
void vigil__ix_shape_for(size_t n, struct ix_shape *sh)
{
	double best = 0;
	int m, j;

	sh->m = 0;
	for (m = IX_BMAX; m >= IX_BMIN; m--) {
		int base = 256 / m, extra = 256 % m, rad[IX_BMAX];
		double off = 0, cost = 0;

		if (base + (extra > 0) > IX_BLEN_MAX)
			continue;
		vigil__ix_radii(VIGIL_DEFAULT_RADIUS, m, rad);
		for (j = 0; j < m; j++) {
			int len = base + (j < extra);
			double ball = vigil__ix_ball_size(len, rad[j]);

			off += 4.0 * ((double)(1u << len) + 1);
			cost += ball + ball * (double)n / (double)(1u << len);
		}
		if (m < IX_BMAX &&
		    off > (double)IX_OFF_FLOOR + (double)IX_OFF_PER_ENTRY * (double)n)
			continue;
		if (sh->m && cost >= best)
			continue;
		best = cost;
		sh->m = m;
		for (j = 0; j < m; j++) {
			sh->len[j] = (uint8_t)(base + (j < extra));
			sh->bit[j] = (uint8_t)(j ? sh->bit[j - 1] + sh->len[j - 1] : 0);
		}
	}
}

/* Whether MIH beats a scan for this query: first on the expected bucket
 * sizes of uniform hashes, then, if that says yes, on the actual sizes of
 * the buckets it would probe (real banks are far from uniform). */
int vigil__ix_use_mih(const vigil_index *ix, const struct ix_plan *p,
		      const uint64_t q[4])
{
	const struct ix_shape *sh = &ix->shape;
	double probes = 0, cands = 0, scan = (double)ix->n * IX_COST_SCAN;
	double nd = (double)(ix->n - ix->nbuilt);
	int j;

	if (ix->strategy != VIGIL__IX_AUTO)
		return ix->strategy == VIGIL__IX_MIH;
	for (j = 0; j < sh->m; j++) {
		double b = p->brad[j] >= 0 ? vigil__ix_ball_size(sh->len[j], p->brad[j]) : 0;

		probes += b;
		cands += b * (double)ix->nbuilt / (double)(1u << sh->len[j]);
	}
	for (j = 0; j < IX_M && nd > 0; j++) {
		double b = p->drad[j] >= 0 ? vigil__ix_ball_size(IX_BITS, p->drad[j]) : 0;

		probes += b;
		cands += b * nd / IX_BUCKETS;
	}
	if (probes * IX_COST_PROBE + cands * IX_COST_CAND >= scan)
		return 0;
	cands = 0;
	for (j = 0; j < sh->m; j++) {
		const struct ix_blk *bk = ix->csr[j].blk;

		BALL_FOR(p->bkey[j], sh->len[j], p->brad[j], v,
			 __builtin_prefetch(bk + (v >> IX_BLK_SHIFT)));
	}
	/* A bucket counts as its block's mean (a block holds at most 63
	 * entries unless it overflowed), so no bucket is decoded twice; an
	 * overflowed block (near-identical hashes, flat images) is read
	 * exactly from its side offsets, so a huge bucket is never missed. */
	for (j = 0; j < sh->m; j++) {
		const struct ix_csr *c = &ix->csr[j];
		size_t nblk = ix_csr_nblk(sh->len[j]);
		const struct ix_blk *b;
		uint32_t k, bl;

		BALL_FOR(p->bkey[j], sh->len[j], p->brad[j], v, {
			k = v >> IX_BLK_SHIFT;
			b = c->blk + k;
			if (b->hi >> 31) {
				(void)ix_csr_range(c, v, &bl);
				cands += bl;
			} else {
				cands += ((k + 1 < nblk ? b[1].base : (uint32_t)ix->nbuilt) -
					  b->base) * (1.0 / IX_BLK_BUCKETS);
			}
		});
	}
	for (j = 0; j < IX_M && nd > 0; j++) {
		unsigned key = sub_of(q, j);

		BALL_FOR(key, IX_BITS, p->drad[j], v,
			 cands += bucket_of(ix, j, v)->len);
	}
	return probes * IX_COST_PROBE + cands * IX_COST_CAND < scan;
}
