/* build.c — the built part: its CSR tables (offsets + slots per table),
 * built in bulk by counting sort, and the policy for when the delta is
 * merged into it by a rebuild. */
#include "index_int.h"

void vigil__ix_csr_free(const vigil_index *ix, struct ix_csr *c, int m)
{
	int j;

	for (j = 0; j < m; j++) {
		if (!vigil__ix_mapped(ix, c[j].blk))
			vigil__free(c[j].blk);
		if (!vigil__ix_mapped(ix, c[j].side))
			vigil__free(c[j].side);
		if (!vigil__ix_mapped(ix, c[j].slot))
			vigil__free(c[j].slot);
		c[j].blk = NULL;
		c[j].side = c[j].slot = NULL;
		c[j].nside = 0;
	}
}

/* off() at bucket v, the past-the-end buckets of a short table included. */
static inline uint32_t off_at(const uint32_t *off, size_t nb, size_t v)
{
	return off[v < nb ? v : nb];
}

size_t vigil__ix_csr_nside(const uint32_t *off, int len)
{
	size_t nb = (size_t)1 << len, k, nblk = ix_csr_nblk(len), n = 0;

	for (k = 0; k < nblk; k++)
		if (off_at(off, nb, (k + 1) << IX_BLK_SHIFT) -
			    off[k << IX_BLK_SHIFT] > IX_BLK_MAXONES)
			n += IX_BLK_BUCKETS + 1;
	return n;
}

void vigil__ix_csr_encode(struct ix_csr *c, const uint32_t *off, int len)
{
	size_t nb = (size_t)1 << len, k, nblk = ix_csr_nblk(len), ns = 0, t;

	for (k = 0; k < nblk; k++) {
		struct ix_blk *b = &c->blk[k];
		size_t v0 = k << IX_BLK_SHIFT;
		uint32_t base = off[v0], pos = 0;
		uint64_t u[2] = {0, 0};

		b->base = base;
		if (off_at(off, nb, v0 + IX_BLK_BUCKETS) - base > IX_BLK_MAXONES) {
			for (t = 0; t <= IX_BLK_BUCKETS; t++)
				c->side[ns + t] = off_at(off, nb, v0 + t);
			b->lo = ns;
			b->hi = 1u << 31;
			ns += IX_BLK_BUCKETS + 1;
			continue;
		}
		for (t = 0; t < IX_BLK_BUCKETS; t++) {
			uint32_t n = off_at(off, nb, v0 + t + 1) - off_at(off, nb, v0 + t);

			for (; n; n--, pos++)
				u[pos >> 6] |= 1ULL << (pos & 63);
			pos++; /* the closing zero */
		}
		b->lo = u[0];
		b->hi = (uint32_t)u[1];
	}
	c->nside = ns;
}

int vigil__ix_csr_check(const struct ix_csr *c, size_t nbuilt, int len)
{
	size_t nb = (size_t)1 << len, k, nblk = ix_csr_nblk(len), t;
	uint64_t sum = 0;

	for (k = 0; k < nblk; k++) {
		const struct ix_blk *b = &c->blk[k];

		if (b->base != sum)
			return -1;
		if (b->hi >> 31) {
			if (b->lo > c->nside ||
			    c->nside - b->lo < IX_BLK_BUCKETS + 1)
				return -1;
		} else if (__builtin_popcountll(~b->lo) +
				   __builtin_popcount(~b->hi) < (int)IX_BLK_BUCKETS) {
			return -1;
		}
		for (t = 0; t < IX_BLK_BUCKETS; t++) {
			uint32_t l, a = ix_csr_range(c, (uint32_t)((k << IX_BLK_SHIFT) + t), &l);

			if (a != sum)
				return -1;
			if ((k << IX_BLK_SHIFT) + t >= nb && l)
				return -1;
			sum += l;
			if (sum > nbuilt)
				return -1;
		}
	}
	return sum == nbuilt ? 0 : -1;
}

/* Builds the built part anew from every live slot plus the `more` entries
 * written after slot n (not yet counted): allocates the new tables first,
 * so on failure (-1) nothing has changed; then compacts the slots (dropping
 * the dead, keeping order), fills the tables by counting sort and empties
 * the delta. O(n) per table, no per-entry allocation. */
int vigil__ix_rebuild(vigil_index *ix, size_t more)
{
	struct ix_csr nc[IX_BMAX] = {{0}};
	struct ix_shape sh;
	size_t total = ix->n + more, live = total - ix->ndead, i, s, maxnb = 1;
	uint32_t *off;
	int j;

	vigil__ix_shape_for(live, &sh);
	for (j = 0; j < sh.m; j++) {
		if (((size_t)1 << sh.len[j]) > maxnb)
			maxnb = (size_t)1 << sh.len[j];
		nc[j].blk = vigil__malloc(ix_csr_nblk(sh.len[j]) * sizeof(struct ix_blk));
		nc[j].slot = vigil__malloc((live ? live : 1) * sizeof(uint32_t));
		if (!nc[j].blk || !nc[j].slot)
			goto oom;
		/* huge pages: every probe and slot run is a random read, and
		 * with 4 KiB pages a TLB miss too */
		vigil__ix_advise(nc[j].blk, ix_csr_nblk(sh.len[j]) * sizeof(struct ix_blk));
		vigil__ix_advise(nc[j].slot, live * sizeof(uint32_t));
	}
	/* the counting sort's offsets, one table at a time */
	off = vigil__malloc((maxnb + 1) * sizeof(uint32_t));
	if (!off)
		goto oom;
	/* the side offsets of the blocks that overflow, sized from the
	 * entries that will be kept, before anything moves */
	for (j = 0; j < sh.m; j++) {
		size_t nb = (size_t)1 << sh.len[j], ns;

		memset(off, 0, (nb + 1) * sizeof(*off));
		for (i = 0; i < total; i++)
			if (i >= ix->n || !ix->dead[i])
				off[bsub_of(&sh, ix->hw + 4 * i, j) + 1]++;
		for (i = 1; i <= nb; i++)
			off[i] += off[i - 1];
		ns = vigil__ix_csr_nside(off, sh.len[j]);
		if (ns && !(nc[j].side = vigil__malloc(ns * sizeof(uint32_t)))) {
			vigil__free(off);
			goto oom;
		}
	}
	/* from here on nothing fails */
	if (ix->ndead) {
		for (i = s = 0; i < total; i++) {
			if (i < ix->n && ix->dead[i])
				continue;
			if (s != i) {
				memcpy(ix->hw + 4 * s, ix->hw + 4 * i, 32);
				ix->ids[s] = ix->ids[i];
				ix->quality[s] = ix->quality[i];
			}
			s++;
		}
	}
	memset(ix->dead, 0, live);
	for (j = 0; j < sh.m; j++) {
		size_t nb = (size_t)1 << sh.len[j];
		uint32_t sum = 0;

		/* count into off[k+1], prefix-sum to bucket starts, scatter
		 * advancing off[k] to its bucket's end, then shift back */
		memset(off, 0, (nb + 1) * sizeof(*off));
		for (i = 0; i < live; i++)
			off[bsub_of(&sh, ix->hw + 4 * i, j) + 1]++;
		for (i = 0; i <= nb; i++) {
			sum += off[i];
			off[i] = sum;
		}
		for (i = 0; i < live; i++)
			nc[j].slot[off[bsub_of(&sh, ix->hw + 4 * i, j)]++] =
				(uint32_t)i;
		memmove(off + 1, off, nb * sizeof(*off));
		off[0] = 0;
		vigil__ix_csr_encode(&nc[j], off, sh.len[j]);
	}
	vigil__free(off);
	vigil__ix_csr_free(ix, ix->csr, ix->shape.m);
	memcpy(ix->csr, nc, sizeof(nc));
	ix->shape = sh;
	vigil__ix_delta_clear(ix);
	ix->n = ix->nbuilt = live;
	ix->ndead = 0;
	__atomic_store_n(&ix->live, live, __ATOMIC_RELAXED);
	return 0;
oom:
	vigil__ix_csr_free(ix, nc, sh.m);
	return -1;
}

/* Whether a delta of d slots should be merged into the built part: past a
 * floor, when it exceeds a quarter of the built part, so that every entry
 * is rebuilt O(1) times on average (the sizes grow geometrically) and
 * the delta's 16 x 16 tables never carry much of the bank. */
int vigil__ix_delta_big(const vigil_index *ix, size_t d)
{
	return (d > ix->delta_min && d > (ix->nbuilt - ix->ndead) / 4) ||
	       (ix->ndead > ix->delta_min && ix->ndead > ix->nbuilt / 2);
}
