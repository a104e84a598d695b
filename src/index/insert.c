/* insert.c — adding entries: one at a time into the delta, or a batch,
 * deduplicated against itself (before taking the lock) and against the
 * index, that goes to the delta or straight into a rebuild. */
#include "index_int.h"

#include <stdlib.h>

#define IX_BULK_MIN 4096                     /* batch that may rebuild at once */

int vigil_index_add(vigil_index *ix, const vigil_pdq *hash, uint64_t id)
{
	uint64_t w[4];
	size_t s;
	int rc = VIGIL_OK;

	if (!ix)
		return VIGIL_EINVAL;
	if (!hash)
		return vigil__ix_err(ix, VIGIL_EINVAL, "vigil_index_add: hash is NULL");
	words_of(hash, w);
	pthread_rwlock_wrlock(&ix->lock);
	if (vigil__ix_find(ix, w, id) >= 0)
		goto out;
	if (ix->n >= IX_MAX_ENTRIES) {
		rc = vigil__ix_err(ix, VIGIL_ETOOBIG, "index: full (%zu entries)",
			    ix->n);
		goto out;
	}
	if (vigil__ix_reserve(ix, 1))
		goto oom;
	s = ix->n;
	memcpy(ix->hw + 4 * s, w, sizeof(w));
	ix->ids[s] = id;
	ix->quality[s] = hash->quality;
	ix->dead[s] = 0;
	if (vigil__ix_delta_big(ix, s + 1 - ix->nbuilt) && !vigil__ix_rebuild(ix, 1))
		goto out;
	/* a failed rebuild is no failure: the entry just goes to the delta */
	if (vigil__ix_delta_put(ix, s))
		goto oom;
	ix->n = s + 1;
	__atomic_store_n(&ix->live, ix->live + 1, __ATOMIC_RELAXED);
	goto out;
oom:
	rc = vigil__ix_err(ix, VIGIL_ENOMEM, "index: out of memory adding entry %zu",
		    ix->live);
out:
	pthread_rwlock_unlock(&ix->lock);
	return rc;
}

/* A 64-bit mix of (hash, id), to group a batch's equal pairs. */
static uint64_t pair_mix(const vigil_pdq *h, uint64_t id)
{
	uint64_t w[4], x = id ^ 0x9e3779b97f4a7c15ULL;
	int i;

	words_of(h, w);
	for (i = 0; i < 4; i++) {
		x ^= w[i];
		x *= 0xff51afd7ed558ccdULL;
		x ^= x >> 33;
	}
	return x;
}

struct pair_ctx {
	const vigil_pdq *h;
	const uint64_t *ids;
};

/* (hash, id, position): equal pairs end up adjacent, first one first. */
static int pair_cmp(const void *pa, const void *pb, void *arg)
{
	const struct pair_ctx *c = arg;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	int d = memcmp(c->h[a].bits, c->h[b].bits, 32);

	if (d)
		return d;
	if (c->ids[a] != c->ids[b])
		return c->ids[a] < c->ids[b] ? -1 : 1;
	return a < b ? -1 : a > b;
}

static int pair_eq(const struct pair_ctx *c, uint32_t a, uint32_t b)
{
	return c->ids[a] == c->ids[b] &&
	       !memcmp(c->h[a].bits, c->h[b].bits, 32);
}

/* Clears keep[i] for every pair of the batch equal to an earlier one:
 * counting sort of the positions by the top bits of pair_mix (stable, so a
 * group lists its positions in order), then a pairwise check of each small
 * group and a sort of any large one (only equal pairs, or a hostile bank
 * defeating the mix, make groups large). O(n) expected, O(n log n) worst.
 * -1 on ENOMEM. */
static int batch_dedupe(const vigil_pdq *h, const uint64_t *ids, size_t n,
			uint8_t *keep)
{
	struct pair_ctx c = {h, ids};
	uint32_t *cnt = NULL, *ord = NULL, *key = NULL;
	size_t nb, i, g, e;
	int bits = 1, rc = -1;

	memset(keep, 1, n);
	if (n < 2)
		return 0;
	while (bits < 31 && ((size_t)1 << bits) < n)
		bits++;
	nb = (size_t)1 << bits;
	cnt = vigil__calloc(nb + 1, sizeof(*cnt));
	ord = vigil__malloc(n * sizeof(*ord));
	key = vigil__malloc(n * sizeof(*key));
	if (!cnt || !ord || !key)
		goto out;
	for (i = 0; i < n; i++) {
		key[i] = (uint32_t)(pair_mix(&h[i], ids[i]) >> (64 - bits));
		cnt[key[i] + 1]++;
	}
	for (i = 1; i <= nb; i++)
		cnt[i] += cnt[i - 1];
	for (i = 0; i < n; i++)
		ord[cnt[key[i]]++] = (uint32_t)i;
	/* cnt[k] is now the end of group k */
	for (g = 0, i = 0; g < nb; g++) {
		e = cnt[g];
		if (e - i > 16) {
			qsort_r(ord + i, e - i, sizeof(*ord), pair_cmp, &c);
			for (; i + 1 < e; i++)
				if (pair_eq(&c, ord[i], ord[i + 1]))
					keep[ord[i + 1]] = 0;
		} else {
			size_t a, b;

			for (a = i; a < e; a++)
				for (b = a + 1; keep[ord[a]] && b < e; b++)
					if (keep[ord[b]] && pair_eq(&c, ord[a], ord[b]))
						keep[ord[b]] = 0;
		}
		i = e;
	}
	rc = 0;
out:
	vigil__free(cnt);
	vigil__free(ord);
	vigil__free(key);
	return rc;
}

int vigil_index_add_many(vigil_index *ix, const vigil_pdq *hashes,
			 const uint64_t *ids, size_t n)
{
	uint8_t *keep = NULL;
	size_t i, k = 0, s0;
	int rc = VIGIL_OK;

	if (!ix)
		return VIGIL_EINVAL;
	if (!n)
		return VIGIL_OK;
	if (!hashes || !ids)
		return vigil__ix_err(ix, VIGIL_EINVAL,
			      "vigil_index_add_many: hashes or ids is NULL");
	if (n > IX_MAX_ENTRIES)
		return vigil__ix_err(ix, VIGIL_ETOOBIG, "index: batch of %zu too big", n);
	/* the batch's own duplicates are found before taking the lock */
	keep = vigil__malloc(n);
	if (!keep || batch_dedupe(hashes, ids, n, keep)) {
		vigil__free(keep);
		return vigil__ix_err(ix, VIGIL_ENOMEM,
			      "index: out of memory adding %zu entries", n);
	}
	pthread_rwlock_wrlock(&ix->lock);
	for (i = 0; i < n; i++) {
		uint64_t w[4];

		if (!keep[i])
			continue;
		words_of(&hashes[i], w);
		if (ix->live && vigil__ix_find(ix, w, ids[i]) >= 0)
			keep[i] = 0;
		else
			k++;
	}
	if (!k)
		goto out;
	if (k > IX_MAX_ENTRIES - ix->n) {
		rc = vigil__ix_err(ix, VIGIL_ETOOBIG, "index: full (%zu entries)",
			    ix->n);
		goto out;
	}
	if (vigil__ix_reserve(ix, k))
		goto oom;
	/* written past n: not part of the index until n moves */
	for (i = 0, s0 = ix->n; i < n; i++) {
		if (!keep[i])
			continue;
		words_of(&hashes[i], ix->hw + 4 * s0);
		ix->ids[s0] = ids[i];
		ix->quality[s0] = hashes[i].quality;
		ix->dead[s0++] = 0;
	}
	s0 = ix->n;
	/* a rebuild costs about what putting ~1/8 of its entries into the
	 * delta does, so a batch that big rebuilds right away */
	if (vigil__ix_delta_big(ix, s0 + k - ix->nbuilt) ||
	    (k >= IX_BULK_MIN && 8 * k >= ix->live + k)) {
		if (vigil__ix_rebuild(ix, k))
			goto oom;
		goto out;
	}
	for (i = 0; i < k; i++) {
		if (vigil__ix_delta_put(ix, s0 + i)) {
			while (i-- > 0)
				vigil__ix_delta_unput(ix, s0 + i);
			goto oom;
		}
	}
	ix->n = s0 + k;
	__atomic_store_n(&ix->live, ix->live + k, __ATOMIC_RELAXED);
	goto out;
oom:
	rc = vigil__ix_err(ix, VIGIL_ENOMEM, "index: out of memory adding %zu entries",
		    k);
out:
	pthread_rwlock_unlock(&ix->lock);
	vigil__free(keep);
	return rc;
}
