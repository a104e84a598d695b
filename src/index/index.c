/* index.c — vigil_index: exact Hamming-radius search over PDQ hashes by
 * multi-index hashing (Norouzi, Punjani & Fleet, "Fast Search in Hamming
 * Space with Multi-Index Hashing", CVPR 2012), with a linear scan when that
 * is cheaper. Design, costs and limits: docs/index.md.
 *
 * Entries live in slots 0..n-1, struct-of-arrays: hw[] (4 words per hash,
 * contiguous, for the scan and the candidate checks), ids[], quality[],
 * dead[]. The slots are in two parts, each with its own MIH tables:
 *
 *   built  slots 0..nbuilt-1, in m tables (m chosen by size: 16 substrings
 *          of 16 bits for small banks, 11 of 23-24 bits at 10M) stored as
 *          compact CSR arrays (offsets + slots), built in bulk by counting
 *          sort. Removal only marks a slot dead (a tombstone).
 *   delta  slots nbuilt..n-1, in 16 tables of 16-bit substrings with
 *          growable buckets: where single adds go. Removal moves the last
 *          slot into the hole, as the delta always ends the slot range.
 *
 * When the delta outgrows a quarter of the built part (or a floor), all
 * live slots are compacted and rebuilt into the built part, so rebuilds
 * cost O(1) amortised per entry and the delta stays cheap to search.
 *
 * Pigeonhole, refined: with m tables and r = m*s + a (0 <= a < m), if
 * d(h, q) <= r then some table j <= a has substring distance <= s, or some
 * table j > a has it <= s - 1 (else the total would be >= (a+1)(s+1) +
 * (m-1-a)s = r+1), whatever the substring lengths. So a query probes, in
 * table j, every bucket within rad[j] of the query's substring and checks
 * each candidate's full distance. A candidate is reported only from the
 * first table whose ball holds it, which dedupes without per-query memory.
 *
 * Concurrency: a writer-preferring pthread rwlock; queries share it, add and
 * remove take it exclusively. Queries allocate nothing: hits go straight into
 * the caller's array, kept as a bounded max-heap when there are more hits
 * than room.
 *
 * Files: index.c the handle (lifetime, slot storage, lookup, test knobs);
 * layout.c the built part's shape and the per-query cost model; build.c the
 * CSR tables and rebuilds; delta.c the delta's buckets; insert.c adding,
 * one entry or a deduplicated batch; remove.c removal; results.c the hit
 * heap; search.c the queries. Shared layout and helpers: index_int.h. */
#include "index_int.h"

#include <stdio.h>
#include <sys/mman.h>

#define IX_DELTA_MIN 65536                   /* delta size that never rebuilds */
#define IX_MIN_CAP 1024                      /* first entry allocation */
#define IX_HUGE ((uintptr_t)2 << 20)         /* huge page size (x86-64) */

/* Error detail on the index's context: queries may fail concurrently, so
 * writes to ctx are serialised (a ctx is otherwise one thread's). */
int vigil__ix_err(vigil_index *ix, int code, const char *fmt, ...)
{
	char buf[VIGIL__ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&ix->errlock);
	vigil__err(ix->ctx, code, "%s", buf);
	pthread_mutex_unlock(&ix->errlock);
	return code;
}

/* ------------------------------------------------------------ lifetime */

int vigil_index_new(vigil_ctx *ctx, vigil_index **out)
{
	pthread_rwlockattr_t attr;
	vigil_index *ix;

	if (!out)
		return vigil__err(ctx, VIGIL_EINVAL, "vigil_index_new: out is NULL");
	*out = NULL;
	ix = vigil__calloc(1, sizeof(*ix));
	if (!ix)
		return vigil__err(ctx, VIGIL_ENOMEM, "index: out of memory");
	ix->tab = vigil__calloc((size_t)IX_M * IX_BUCKETS, sizeof(*ix->tab));
	if (!ix->tab) {
		vigil__free(ix);
		return vigil__err(ctx, VIGIL_ENOMEM, "index: out of memory");
	}
	/* Writer preference: a steady stream of queries must not starve the
	 * thread that loads a bank update. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
		PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	if (pthread_rwlock_init(&ix->lock, &attr)) {
		pthread_rwlockattr_destroy(&attr);
		vigil__free(ix->tab);
		vigil__free(ix);
		return vigil__err(ctx, VIGIL_EINTERNAL, "index: rwlock init failed");
	}
	pthread_rwlockattr_destroy(&attr);
	if (pthread_mutex_init(&ix->errlock, NULL)) {
		pthread_rwlock_destroy(&ix->lock);
		vigil__free(ix->tab);
		vigil__free(ix);
		return vigil__err(ctx, VIGIL_EINTERNAL, "index: mutex init failed");
	}
	ix->ctx = ctx;
	ix->ops = vigil__ham_best();
	vigil__index_set_pdep(ix, 1);
	ix->delta_min = IX_DELTA_MIN;
	*out = ix;
	return VIGIL_OK;
}

void vigil_index_free(vigil_index *ix)
{
	if (!ix)
		return;
	vigil__ix_delta_clear(ix);
	vigil__ix_csr_free(ix, ix->csr, ix->shape.m);
	vigil__free(ix->tab);
	if (!vigil__ix_mapped(ix, ix->hw))
		vigil__free(ix->hw);
	if (!vigil__ix_mapped(ix, ix->ids))
		vigil__free(ix->ids);
	if (!vigil__ix_mapped(ix, ix->quality))
		vigil__free(ix->quality);
	if (!vigil__ix_mapped(ix, ix->dead))
		vigil__free(ix->dead);
	if (ix->map)
		munmap(ix->map, ix->maplen);
	pthread_mutex_destroy(&ix->errlock);
	pthread_rwlock_destroy(&ix->lock);
	vigil__free(ix);
}

void vigil__index_set_strategy(vigil_index *ix, int strategy)
{
	pthread_rwlock_wrlock(&ix->lock);
	ix->strategy = strategy;
	pthread_rwlock_unlock(&ix->lock);
}

void vigil__index_set_ops(vigil_index *ix, const vigil__ham_ops *ops)
{
	pthread_rwlock_wrlock(&ix->lock);
	ix->ops = ops;
	pthread_rwlock_unlock(&ix->lock);
}

void vigil__index_set_delta_min(vigil_index *ix, size_t n)
{
	pthread_rwlock_wrlock(&ix->lock);
	ix->delta_min = n;
	pthread_rwlock_unlock(&ix->lock);
}

size_t vigil__index_built(vigil_index *ix)
{
	size_t n;

	pthread_rwlock_rdlock(&ix->lock);
	n = ix->nbuilt;
	pthread_rwlock_unlock(&ix->lock);
	return n;
}

size_t vigil__index_bytes(vigil_index *ix)
{
	size_t i, bytes = sizeof(*ix) + (size_t)IX_M * IX_BUCKETS * sizeof(*ix->tab);
	int j;

	pthread_rwlock_rdlock(&ix->lock);
	bytes += ix->cap * (4 * sizeof(uint64_t) + sizeof(*ix->ids) +
			    sizeof(*ix->quality) + sizeof(*ix->dead));
	for (i = 0; i < (size_t)IX_M * IX_BUCKETS; i++)
		bytes += (size_t)ix->tab[i].cap * sizeof(uint32_t);
	for (j = 0; j < ix->shape.m; j++)
		bytes += ix_csr_nblk(ix->shape.len[j]) * sizeof(struct ix_blk) +
			 (ix->csr[j].nside + ix->nbuilt) * sizeof(uint32_t);
	pthread_rwlock_unlock(&ix->lock);
	return bytes;
}

void vigil__index_set_pdep(vigil_index *ix, int on)
{
#ifdef IX_HAVE_PDEP
	__builtin_cpu_init();
	ix->bmi2 = on && __builtin_cpu_supports("bmi2");
#else
	(void)on;
	ix->bmi2 = 0;
#endif
}

size_t vigil_index_size(const vigil_index *ix)
{
	return ix ? __atomic_load_n(&ix->live, __ATOMIC_RELAXED) : 0;
}

/* ------------------------------------------------- slot storage, lookup */

static inline int same_entry(const vigil_index *ix, uint32_t s,
			     const uint64_t w[4], uint64_t id)
{
	const uint64_t *p = ix->hw + 4 * (size_t)s;

	return p[0] == w[0] && p[1] == w[1] && p[2] == w[2] && p[3] == w[3] &&
	       ix->ids[s] == id;
}

/* The live slot holding (w, id), or -1. Every entry is in all the tables of
 * its part, so the smallest of its buckets is searched: a bank full of
 * near-identical hashes only slows this down if they agree on every
 * substring. Caller holds the lock. */
long vigil__ix_find(const vigil_index *ix, const uint64_t w[4], uint64_t id)
{
	const struct ix_bucket *b = NULL;
	const uint32_t *sl = NULL;
	uint32_t i, len = 0;
	int j;

	for (j = 0; j < ix->shape.m; j++) {
		const struct ix_csr *c = &ix->csr[j];
		uint32_t k = bsub_of(&ix->shape, w, j), bl;
		uint32_t a = ix_csr_range(c, k, &bl);

		if (!sl || bl < len) {
			sl = c->slot + a;
			len = bl;
		}
	}
	for (i = 0; i < len; i++)
		if (same_entry(ix, sl[i], w, id) && !ix->dead[sl[i]])
			return (long)sl[i];
	if (ix->n == ix->nbuilt)
		return -1;
	for (j = 0; j < IX_M; j++) {
		const struct ix_bucket *c = bucket_of(ix, j, sub_of(w, j));

		if (!b || c->len < b->len)
			b = c;
	}
	for (i = 0; i < b->len; i++)
		if (same_entry(ix, b->slot[i], w, id))
			return (long)b->slot[i];
	return -1;
}

/* Asks for huge pages under a big array: candidate checks and probes are
 * random accesses, and with 4 KiB pages each one is also a TLB miss.
 * Advisory only; the kernel may ignore it. */
void vigil__ix_advise(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
	uintptr_t a = ((uintptr_t)p + IX_HUGE - 1) & ~(IX_HUGE - 1);
	uintptr_t e = ((uintptr_t)p + bytes) & ~(IX_HUGE - 1);

	if (e > a)
		madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
	(void)p;
	(void)bytes;
#endif
}

/* realloc, for an array that may live in the mapped snapshot: that one is
 * copied out (once: the copy is the index's own from then on). */
static void *regrow(vigil_index *ix, void *p, size_t used, size_t bytes)
{
	void *q;

	if (!vigil__ix_mapped(ix, p))
		return vigil__realloc(p, bytes);
	if (!(q = vigil__malloc(bytes)))
		return NULL;
	memcpy(q, p, used);
	return q;
}

/* Room for `more` more slots; on failure the index is unchanged (arrays
 * that did grow simply have spare room). Grows by 1.5x at least, so batches
 * of any size cost amortised O(1) copies per entry. */
int vigil__ix_reserve(vigil_index *ix, size_t more)
{
	size_t ncap, bytes;
	void *p;

	if (more <= ix->cap - ix->n)
		return 0;
	ncap = ix->cap ? ix->cap + ix->cap / 2 : IX_MIN_CAP;
	if (ncap < ix->n + more)
		ncap = ix->n + more;
	if (ncap > IX_MAX_ENTRIES)
		ncap = IX_MAX_ENTRIES;
	if (vigil__mul_size(ncap, 4 * sizeof(uint64_t), &bytes))
		return -1;
	if (!(p = regrow(ix, ix->hw, ix->n * 4 * sizeof(uint64_t), bytes)))
		return -1;
	ix->hw = p;
	vigil__ix_advise(p, bytes);
	if (!(p = regrow(ix, ix->ids, ix->n * sizeof(*ix->ids), ncap * sizeof(*ix->ids))))
		return -1;
	ix->ids = p;
	if (!(p = regrow(ix, ix->quality, ix->n * sizeof(*ix->quality),
			 ncap * sizeof(*ix->quality))))
		return -1;
	ix->quality = p;
	if (!(p = regrow(ix, ix->dead, ix->n, ncap * sizeof(*ix->dead))))
		return -1;
	ix->dead = p;
	ix->cap = ncap;
	return 0;
}
