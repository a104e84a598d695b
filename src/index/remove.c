/* remove.c — removing an entry: a tombstone in the built part, a swap
 * with the last slot in the delta. */
#include "index_int.h"

/* Replaces slot `from` by `to` in b (to == UINT32_MAX: deletes it, moving
 * the bucket's last slot into its place; bucket order does not matter). */
static void bucket_swap(struct ix_bucket *b, uint32_t from, uint32_t to)
{
	uint32_t i;

	for (i = 0; i < b->len; i++) {
		if (b->slot[i] != from)
			continue;
		if (to == UINT32_MAX)
			b->slot[i] = b->slot[--b->len];
		else
			b->slot[i] = to;
		return;
	}
}

/* A built slot only becomes dead (its CSR buckets cannot shrink in place;
 * the next rebuild drops it); a delta slot is replaced by the last slot,
 * which is always in the delta too. Allocates nothing. */
int vigil_index_remove(vigil_index *ix, const vigil_pdq *hash, uint64_t id)
{
	uint64_t w[4], lw[4];
	uint32_t s, last;
	long found;
	int j, rc = VIGIL_OK;

	if (!ix)
		return VIGIL_EINVAL;
	if (!hash)
		return vigil__ix_err(ix, VIGIL_EINVAL, "vigil_index_remove: hash is NULL");
	words_of(hash, w);
	pthread_rwlock_wrlock(&ix->lock);
	found = vigil__ix_find(ix, w, id);
	if (found < 0) {
		rc = vigil__ix_err(ix, VIGIL_ENOENT, "index: no entry with id %llu and that hash",
			    (unsigned long long)id);
		goto out;
	}
	s = (uint32_t)found;
	__atomic_store_n(&ix->live, ix->live - 1, __ATOMIC_RELAXED);
	if (s < ix->nbuilt) {
		ix->dead[s] = 1;
		ix->ndead++;
		goto out;
	}
	last = (uint32_t)(ix->n - 1);
	for (j = 0; j < IX_M; j++)
		bucket_swap(bucket_of(ix, j, sub_of(w, j)), s, UINT32_MAX);
	if (s != last) {
		memcpy(lw, ix->hw + 4 * (size_t)last, sizeof(lw));
		for (j = 0; j < IX_M; j++)
			bucket_swap(bucket_of(ix, j, sub_of(lw, j)), last, s);
		memcpy(ix->hw + 4 * (size_t)s, lw, sizeof(lw));
		ix->ids[s] = ix->ids[last];
		ix->quality[s] = ix->quality[last];
	}
	ix->n = last;
out:
	pthread_rwlock_unlock(&ix->lock);
	return rc;
}
