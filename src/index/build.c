/* build.c — the built part: its CSR tables (offsets + slots per table),
 * built in bulk by counting sort, and the policy for when the delta is
 * merged into it by a rebuild. */
#include "index_int.h"

void vigil__ix_csr_free(const vigil_index *ix, struct ix_csr *c, int m)
{
	int j;

	for (j = 0; j < m; j++) {
		if (!vigil__ix_mapped(ix, c[j].bits))
			vigil__free(c[j].bits);
		vigil__free(c[j].samp); /* never mapped: made at load */
		if (!vigil__ix_mapped(ix, c[j].slot))
			vigil__free(c[j].slot);
		c[j].bits = NULL;
		c[j].samp = c[j].slot = NULL;
	}
}

int vigil__ix_csr_index(struct ix_csr *c, size_t nbuilt, int len)
{
	size_t nw = ix_csr_words(nbuilt, len), nb = (size_t)1 << len;
	size_t nbits = nbuilt + nb, ns = ix_csr_nsamp(len), i, k = 1;
	uint64_t zeros = 0, ones = 0;

	/* ones in [0, nbits) must be nbuilt, and nothing set past nbits */
	for (i = 0; i < nw; i++) {
		uint64_t w = c->bits[i];

		if (i * 64 >= nbits) {
			if (w)
				return -1;
		} else if (nbits - i * 64 < 64 &&
			 (w >> (nbits - i * 64)) != 0)
			return -1;
		ones += (uint64_t)__builtin_popcountll(w);
	}
	if (ones != nbuilt)
		return -1;
	/* samp[k]: the ones before the (64k)-th zero (bucket 64k's start) */
	c->samp[0] = 0;
	for (i = 0; i < nw && k < ns; i++) {
		uint64_t z = ~c->bits[i];
		unsigned cz;

		if (i * 64 >= nbits)
			break;
		if (nbits - i * 64 < 64)
			z &= (1ULL << (nbits - i * 64)) - 1;
		cz = (unsigned)__builtin_popcountll(z);
		while (k < ns && ((uint64_t)k << IX_SAMP_SHIFT) <= zeros + cz &&
		       ((uint64_t)k << IX_SAMP_SHIFT) <= nb) {
			/* bucket 64k starts after zero number 64k-1 */
			uint64_t want = ((uint64_t)k << IX_SAMP_SHIFT) - 1 - zeros;
			uint64_t pos = i * 64 + ix_select64(z, (unsigned)want) + 1;

			c->samp[k] = (uint32_t)(pos - ((uint64_t)k << IX_SAMP_SHIFT));
			k++;
		}
		zeros += cz;
	}
	while (k < ns)
		c->samp[k++] = (uint32_t)nbuilt;
	return 0;
}

void vigil__ix_csr_encode(struct ix_csr *c, const uint32_t *off, size_t nbuilt,
		       int len)
{
	size_t nw = ix_csr_words(nbuilt, len), nb = (size_t)1 << len;
	size_t nbits = nbuilt + nb, v;

	memset(c->bits, 0xff, (nbits / 64) * 8);
	memset(c->bits + nbits / 64, 0, (nw - nbits / 64) * 8);
	if (nbits % 64)
		c->bits[nbits / 64] = (1ULL << (nbits % 64)) - 1;
	for (v = 0; v < nb; v++) {
		size_t z = (size_t)off[v + 1] + v; /* bucket v's closing zero */

		c->bits[z >> 6] &= ~(1ULL << (z & 63));
	}
	(void)vigil__ix_csr_index(c, nbuilt, len); /* cannot fail here */
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
		nc[j].bits = vigil__malloc(ix_csr_words(live, sh.len[j]) * 8);
		nc[j].samp = vigil__malloc(ix_csr_nsamp(sh.len[j]) * sizeof(uint32_t));
		nc[j].slot = vigil__malloc((live ? live : 1) * sizeof(uint32_t));
		if (!nc[j].bits || !nc[j].samp || !nc[j].slot) {
			vigil__ix_csr_free(ix, nc, sh.m);
			return -1;
		}
	}
	/* the counting sort's offsets, one table at a time */
	off = vigil__malloc((maxnb + 1) * sizeof(uint32_t));
	if (!off) {
		vigil__ix_csr_free(ix, nc, sh.m);
		return -1;
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
		vigil__ix_csr_encode(&nc[j], off, live, sh.len[j]);
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
