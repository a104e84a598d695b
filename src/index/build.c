/* build.c — the built part: its CSR tables (offsets + slots per table),
 * built in bulk by counting sort, and the policy for when the delta is
 * merged into it by a rebuild. */
#include "index_int.h"

void vigil__ix_csr_free(const vigil_index *ix, struct ix_csr *c, int m)
{
	int j;

	for (j = 0; j < m; j++) {
		if (!vigil__ix_mapped(ix, c[j].off))
			vigil__free(c[j].off);
		if (!vigil__ix_mapped(ix, c[j].slot))
			vigil__free(c[j].slot);
		c[j].off = c[j].slot = NULL;
	}
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
	size_t total = ix->n + more, live = total - ix->ndead, i, s;
	int j;

	vigil__ix_shape_for(live, &sh);
	for (j = 0; j < sh.m; j++) {
		size_t nb = ((size_t)1 << sh.len[j]) + 1;

		nc[j].off = vigil__malloc(nb * sizeof(uint32_t));
		nc[j].slot = vigil__malloc((live ? live : 1) * sizeof(uint32_t));
		if (!nc[j].off || !nc[j].slot) {
			vigil__ix_csr_free(ix, nc, sh.m);
			return -1;
		}
		vigil__ix_advise(nc[j].off, nb * sizeof(uint32_t));
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
		uint32_t *off = nc[j].off;
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
	}
	vigil__ix_csr_free(ix, ix->csr, ix->shape.m);
	memcpy(ix->csr, nc, sizeof(nc));
	ix->shape = sh;
	vigil__ix_delta_clear(ix);
	ix->n = ix->nbuilt = live;
	ix->ndead = 0;
	__atomic_store_n(&ix->live, live, __ATOMIC_RELAXED);
	return 0;
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
