/* results.c — where a query's hits go: the caller's array, kept as a
 * bounded max-heap on hit order while it is full, sorted at the end; and,
 * for dihedral queries, which variant reports a hit. */
#include "index_int.h"

/* Hit order: nearer first, then by id, then by stored hash (an id may be
 * stored under several hashes), so results are fully deterministic. */
static int hit_cmp(const vigil_index_hit *a, const vigil_index_hit *b)
{
	if (a->distance != b->distance)
		return a->distance < b->distance ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return memcmp(a->hash.bits, b->hash.bits, sizeof(a->hash.bits));
}

static void heap_down(vigil_index_hit *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		vigil_index_hit t;

		if (l < n && hit_cmp(&h[l], &h[m]) > 0)
			m = l;
		if (l + 1 < n && hit_cmp(&h[l + 1], &h[m]) > 0)
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void heap_up(vigil_index_hit *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		vigil_index_hit t;

		if (hit_cmp(&h[p], &h[i]) >= 0)
			return;
		t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

/* Takes one hit. While the caller's array has room it is a max-heap; once
 * full, a hit only goes in if it beats the worst one held. */
void vigil__ix_sink_put(struct ix_sink *k, uint32_t slot, int d)
{
	const vigil_index *ix = k->ix;
	vigil_index_hit h;

	k->found++;
	if (!k->max)
		return;
	h.id = ix->ids[slot];
	memcpy(h.hash.bits, ix->hw + 4 * (size_t)slot, 32);
	h.hash.quality = ix->quality[slot];
	h.distance = d;
	h.variant = k->variant;
	if (k->held < k->max) {
		k->hits[k->held] = h;
		heap_up(k->hits, k->held++);
	} else if (hit_cmp(&h, &k->hits[0]) < 0) {
		k->hits[0] = h;
		heap_down(k->hits, k->held, 0);
	}
}

/* For dihedral queries: an entry is reported only by the variant nearest
 * to it (the lowest-numbered one on ties), which every variant can decide
 * alone, since each search is exact. */
int vigil__ix_sink_owns(const struct ix_sink *k, uint32_t slot, int d)
{
	const uint64_t *p = k->ix->hw + 4 * (size_t)slot;
	int v;

	if (!k->dih)
		return 1;
	for (v = 0; v < VIGIL_DIH_COUNT; v++) {
		int dv;

		if (v == k->variant)
			continue;
		dv = dist4(p, k->dih[v]);
		if (dv < d || (dv == d && v < k->variant))
			return 0;
	}
	return 1;
}

/* Sorts the held hits nearest first: they already form a max-heap, so
 * this is the second half of a heapsort (in place, no allocation). */
void vigil__ix_sink_finish(struct ix_sink *k, size_t *found)
{
	size_t i;

	for (i = k->held; i > 1; i--) {
		vigil_index_hit t = k->hits[0];

		k->hits[0] = k->hits[i - 1];
		k->hits[i - 1] = t;
		heap_down(k->hits, i - 1, 0);
	}
	if (found)
		*found = k->found;
}
