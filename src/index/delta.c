/* delta.c — the delta: 16 tables of 16-bit substrings with growable
 * buckets, where single adds go until the next rebuild. */
#include "index_int.h"

/* Room for one more slot in b; b is unchanged on failure. */
static int bucket_reserve(struct ix_bucket *b)
{
	uint32_t ncap;
	uint32_t *p;

	if (b->len < b->cap)
		return 0;
	ncap = b->cap ? b->cap + b->cap / 2 + 1 : 4;
	if (ncap < b->cap)
		return -1;
	p = vigil__realloc(b->slot, (size_t)ncap * sizeof(*p));
	if (!p)
		return -1;
	b->slot = p;
	b->cap = ncap;
	return 0;
}

/* Puts the entry in slot s into the delta's tables; -1 (nothing changed)
 * on ENOMEM. */
int vigil__ix_delta_put(vigil_index *ix, size_t s)
{
	const uint64_t *w = ix->hw + 4 * s;
	int j;

	for (j = 0; j < IX_M; j++)
		if (bucket_reserve(bucket_of(ix, j, sub_of(w, j))))
			return -1;
	for (j = 0; j < IX_M; j++) {
		struct ix_bucket *b = bucket_of(ix, j, sub_of(w, j));

		b->slot[b->len++] = (uint32_t)s;
	}
	return 0;
}

/* Takes slot s, the last one put, out of the delta's tables again. */
void vigil__ix_delta_unput(vigil_index *ix, size_t s)
{
	const uint64_t *w = ix->hw + 4 * s;
	int j;

	for (j = 0; j < IX_M; j++)
		bucket_of(ix, j, sub_of(w, j))->len--;
}

/* Empties the delta's buckets, giving their memory back. */
void vigil__ix_delta_clear(vigil_index *ix)
{
	size_t i;

	for (i = 0; i < (size_t)IX_M * IX_BUCKETS; i++) {
		struct ix_bucket *b = &ix->tab[i];

		if (b->cap) {
			vigil__free(b->slot);
			b->slot = NULL;
			b->len = b->cap = 0;
		}
	}
}
