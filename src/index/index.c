/* index.c — vigil_index: exact Hamming-radius search over PDQ hashes by
 * multi-index hashing (Norouzi, Punjani & Fleet, "Fast Search in Hamming
 * Space with Multi-Index Hashing", CVPR 2012), with a linear scan when that
 * is cheaper. Design, costs and limits: docs/index.md.
 *
 * The 256 bits are cut into IX_M = 16 substrings of 16 bits; table j maps
 * each of the 65536 values of substring j to the slots of the entries that
 * have it. If d(h, q) <= r = 16*s + a (0 <= a < 16), then some table j <= a
 * has substring distance <= s, or some table j > a has it <= s - 1 (else the
 * total would be >= (a+1)(s+1) + (15-a)s = r+1). So a query probes, in table
 * j, every bucket within rad[j] of the query's substring and checks each
 * candidate's full distance. A candidate is reported only from the first
 * table whose ball holds it, which dedupes without any per-query memory.
 *
 * Entries live in slots 0..n-1, struct-of-arrays: hw[] (4 words per hash,
 * contiguous, for the scan and the candidate checks), ids[], quality[].
 * Removal moves the last entry into the hole, so the arrays stay dense.
 *
 * Concurrency: a writer-preferring pthread rwlock; queries share it, add and
 * remove take it exclusively. Queries allocate nothing: hits go straight into
 * the caller's array, kept as a bounded max-heap when there are more hits
 * than room. */
#include "index_int.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define IX_M 16                              /* substrings (tables) */
#define IX_BITS 16                           /* bits per substring */
#define IX_BUCKETS (1u << IX_BITS)           /* buckets per table */
#define IX_MAX_ENTRIES ((size_t)UINT32_MAX - 1) /* slots are uint32_t */
#define IX_MIN_CAP 1024                      /* first entry allocation */
#define IX_HUGE ((uintptr_t)2 << 20)         /* huge page size (x86-64) */

/* Relative costs for choosing MIH or a scan, per unit: a bucket probed, a
 * candidate checked (a random access into hw[]), an entry scanned
 * (sequential, SIMD): a candidate costs ~17x a scanned entry at 1M and 10M
 * entries (BENCH_CROSSOVER=1 bench/index on a 2-core AMD EPYC, AVX-512). */
#define IX_COST_PROBE 16
#define IX_COST_CAND 16
#define IX_COST_SCAN 1

struct ix_bucket {
	uint32_t *slot; /* slots of the entries with this substring value */
	uint32_t len;   /* slots in use */
	uint32_t cap;   /* slots allocated */
};

struct vigil_index {
	vigil_ctx *ctx;            /* where messages go; not owned, may be NULL */
	pthread_rwlock_t lock;     /* shared: queries; exclusive: add, remove */
	pthread_mutex_t errlock;   /* serialises messages written to ctx */
	const vigil__ham_ops *ops; /* kernels, picked at _new */
	int strategy;              /* VIGIL__IX_*; tests and benchmarks */
	size_t n;                  /* entries (written atomically) */
	size_t cap;                /* entries allocated in hw, ids, quality */
	uint64_t *hw;              /* 4*cap words: the hashes, slot order */
	uint64_t *ids;             /* cap ids */
	int32_t *quality;          /* cap qualities, as given */
	struct ix_bucket *tab;     /* IX_M * IX_BUCKETS; table j at j*IX_BUCKETS */
};

/* Where a query's hits go: the caller's array, as a max-heap on hit order
 * while it is full, sorted at the end. */
struct ix_sink {
	const vigil_index *ix;
	vigil_index_hit *hits; /* caller's array */
	size_t max;            /* its size */
	size_t held;           /* hits in it */
	size_t found;          /* hits seen in all */
	const uint64_t (*dih)[4]; /* the eight variants, or NULL */
	int variant;           /* variant being searched */
};

/* Error detail on the index's context: queries may fail concurrently, so
 * writes to ctx are serialised (a ctx is otherwise one thread's). */
__attribute__((format(printf, 3, 4))) static int
ix_err(vigil_index *ix, int code, const char *fmt, ...)
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

static inline void words_of(const vigil_pdq *h, uint64_t w[4])
{
	memcpy(w, h->bits, 32);
}

static inline unsigned sub_of(const uint64_t w[4], int j)
{
	return (unsigned)(w[j >> 2] >> (IX_BITS * (j & 3))) & (IX_BUCKETS - 1);
}

static inline struct ix_bucket *bucket_of(const vigil_index *ix, int j,
					  unsigned key)
{
	return &ix->tab[(size_t)j * IX_BUCKETS + key];
}

static inline int dist4(const uint64_t *a, const uint64_t *b)
{
	return __builtin_popcountll(a[0] ^ b[0]) +
	       __builtin_popcountll(a[1] ^ b[1]) +
	       __builtin_popcountll(a[2] ^ b[2]) +
	       __builtin_popcountll(a[3] ^ b[3]);
}

/* The next larger value with the same popcount (Gosper's hack): walks a
 * table's ball, weight by weight, without any table of masks. */
static inline uint32_t next_comb(uint32_t v)
{
	uint32_t t = v | (v - 1);

	return (t + 1) | (((~t & (0u - ~t)) - 1) >> (__builtin_ctz(v) + 1));
}

/* Per-table probe radius for a query radius r (see the comment at the top):
 * -1 means the table is not probed. */
static void radii_of(int r, int rad[IX_M])
{
	int s = r / IX_M, a = r % IX_M, j;

	for (j = 0; j < IX_M; j++)
		rad[j] = j <= a ? s : s - 1;
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
	*out = ix;
	return VIGIL_OK;
}

void vigil_index_free(vigil_index *ix)
{
	size_t i;

	if (!ix)
		return;
	for (i = 0; i < (size_t)IX_M * IX_BUCKETS; i++)
		vigil__free(ix->tab[i].slot);
	vigil__free(ix->tab);
	vigil__free(ix->hw);
	vigil__free(ix->ids);
	vigil__free(ix->quality);
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

size_t vigil__index_bytes(vigil_index *ix)
{
	size_t i, bytes = sizeof(*ix) + (size_t)IX_M * IX_BUCKETS * sizeof(*ix->tab);

	pthread_rwlock_rdlock(&ix->lock);
	bytes += ix->cap * (4 * sizeof(uint64_t) + sizeof(*ix->ids) +
			    sizeof(*ix->quality));
	for (i = 0; i < (size_t)IX_M * IX_BUCKETS; i++)
		bytes += (size_t)ix->tab[i].cap * sizeof(uint32_t);
	pthread_rwlock_unlock(&ix->lock);
	return bytes;
}

size_t vigil_index_size(const vigil_index *ix)
{
	return ix ? __atomic_load_n(&ix->n, __ATOMIC_RELAXED) : 0;
}

/* ------------------------------------------------------------- writing */

/* The slot holding (w, id), or -1. Every entry is in all IX_M tables, so the
 * smallest of its IX_M buckets is searched: a bank full of near-identical
 * hashes only slows this down if they agree on every substring. Caller holds
 * the lock. */
static long ix_find(const vigil_index *ix, const uint64_t w[4], uint64_t id)
{
	const struct ix_bucket *b = NULL;
	uint32_t i;
	int j;

	for (j = 0; j < IX_M; j++) {
		const struct ix_bucket *c = bucket_of(ix, j, sub_of(w, j));

		if (!b || c->len < b->len)
			b = c;
	}
	for (i = 0; i < b->len; i++) {
		uint32_t s = b->slot[i];
		const uint64_t *p = ix->hw + 4 * (size_t)s;

		if (ix->ids[s] == id && p[0] == w[0] && p[1] == w[1] &&
		    p[2] == w[2] && p[3] == w[3])
			return (long)s;
	}
	return -1;
}

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

/* Asks for huge pages under the hash array: candidate checks are random
 * accesses, and with 4 KiB pages each one is also a TLB miss. Advisory only;
 * the kernel may ignore it. */
static void ix_advise(void *p, size_t bytes)
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

/* Room for one more entry; on failure the index is unchanged (arrays that
 * did grow simply have spare room). */
static int ix_reserve(vigil_index *ix)
{
	size_t ncap, bytes;
	void *p;

	if (ix->n < ix->cap)
		return 0;
	ncap = ix->cap ? ix->cap + ix->cap / 2 : IX_MIN_CAP;
	if (ncap > IX_MAX_ENTRIES)
		ncap = IX_MAX_ENTRIES;
	if (vigil__mul_size(ncap, 4 * sizeof(uint64_t), &bytes))
		return -1;
	if (!(p = vigil__realloc(ix->hw, bytes)))
		return -1;
	ix->hw = p;
	ix_advise(p, bytes);
	if (!(p = vigil__realloc(ix->ids, ncap * sizeof(*ix->ids))))
		return -1;
	ix->ids = p;
	if (!(p = vigil__realloc(ix->quality, ncap * sizeof(*ix->quality))))
		return -1;
	ix->quality = p;
	ix->cap = ncap;
	return 0;
}

int vigil_index_add(vigil_index *ix, const vigil_pdq *hash, uint64_t id)
{
	uint64_t w[4];
	size_t s;
	int j, rc = VIGIL_OK;

	if (!ix)
		return VIGIL_EINVAL;
	if (!hash)
		return ix_err(ix, VIGIL_EINVAL, "vigil_index_add: hash is NULL");
	words_of(hash, w);
	pthread_rwlock_wrlock(&ix->lock);
	if (ix_find(ix, w, id) >= 0)
		goto out;
	if (ix->n >= IX_MAX_ENTRIES) {
		rc = ix_err(ix, VIGIL_ETOOBIG, "index: full (%zu entries)",
			    ix->n);
		goto out;
	}
	if (ix_reserve(ix))
		goto oom;
	for (j = 0; j < IX_M; j++)
		if (bucket_reserve(bucket_of(ix, j, sub_of(w, j))))
			goto oom;
	s = ix->n;
	memcpy(ix->hw + 4 * s, w, sizeof(w));
	ix->ids[s] = id;
	ix->quality[s] = hash->quality;
	for (j = 0; j < IX_M; j++) {
		struct ix_bucket *b = bucket_of(ix, j, sub_of(w, j));

		b->slot[b->len++] = (uint32_t)s;
	}
	__atomic_store_n(&ix->n, s + 1, __ATOMIC_RELAXED);
	goto out;
oom:
	rc = ix_err(ix, VIGIL_ENOMEM, "index: out of memory adding entry %zu",
		    ix->n);
out:
	pthread_rwlock_unlock(&ix->lock);
	return rc;
}

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

int vigil_index_remove(vigil_index *ix, const vigil_pdq *hash, uint64_t id)
{
	uint64_t w[4], lw[4];
	uint32_t s, last;
	long found;
	int j, rc = VIGIL_OK;

	if (!ix)
		return VIGIL_EINVAL;
	if (!hash)
		return ix_err(ix, VIGIL_EINVAL, "vigil_index_remove: hash is NULL");
	words_of(hash, w);
	pthread_rwlock_wrlock(&ix->lock);
	found = ix_find(ix, w, id);
	if (found < 0) {
		rc = ix_err(ix, VIGIL_ENOENT, "index: no entry with id %llu and that hash",
			    (unsigned long long)id);
		goto out;
	}
	s = (uint32_t)found;
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
	__atomic_store_n(&ix->n, (size_t)last, __ATOMIC_RELAXED);
out:
	pthread_rwlock_unlock(&ix->lock);
	return rc;
}

/* ------------------------------------------------------------- results */

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
static void sink_put(struct ix_sink *k, uint32_t slot, int d)
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
static int sink_owns(const struct ix_sink *k, uint32_t slot, int d)
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

/* ------------------------------------------------------------- queries */

/* Whether MIH beats a scan for this query: first on the expected bucket
 * sizes of uniform hashes, then, if that says yes, on the actual sizes of
 * the buckets it would probe (real banks are far from uniform). */
static int ix_use_mih(const vigil_index *ix, const uint64_t q[4],
		      const int rad[IX_M])
{
	static const unsigned ball[5] = {1, 17, 137, 697, 2517};
	double probes = 0, cands = 0, scan = (double)ix->n * IX_COST_SCAN;
	int j;

	if (ix->strategy != VIGIL__IX_AUTO)
		return ix->strategy == VIGIL__IX_MIH;
	for (j = 0; j < IX_M; j++)
		if (rad[j] >= 0)
			probes += ball[rad[j]];
	cands = probes * (double)ix->n / IX_BUCKETS;
	if (probes * IX_COST_PROBE + cands * IX_COST_CAND >= scan)
		return 0;
	cands = 0;
	for (j = 0; j < IX_M; j++) {
		unsigned key = sub_of(q, j);
		int w;

		for (w = 0; w <= rad[j]; w++) {
			uint32_t m = w ? (1u << w) - 1 : 0;

			for (; m < IX_BUCKETS; m = w ? next_comb(m) : IX_BUCKETS)
				cands += bucket_of(ix, j, key ^ m)->len;
		}
	}
	return probes * IX_COST_PROBE + cands * IX_COST_CAND < scan;
}

/* Checks candidates slots[0..n-1] from table j. An entry is reported from
 * the first table whose ball holds it, so a hit that an earlier table's
 * ball also holds was reported already. */
static void ix_check(struct ix_sink *k, const uint64_t q[4], int r,
		     const int rad[IX_M], int j, const uint32_t *slots,
		     size_t n)
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

			dup = rad[jj] >= 0 && __builtin_popcount(x) <= rad[jj];
		}
		if (!dup && sink_owns(k, out[i], dist[i]))
			sink_put(k, out[i], dist[i]);
	}
}

/* Probes every table's ball. A table's buckets are gathered first, so the
 * kernel's prefetching runs across bucket boundaries: the candidate checks
 * are random accesses into hw[] and dominate the query time. */
static void ix_search_mih(struct ix_sink *k, const uint64_t q[4], int r,
			  const int rad[IX_M])
{
	const vigil_index *ix = k->ix;
	uint32_t cand[VIGIL__HAM_CHUNK];
	int j;

	for (j = 0; j < IX_M; j++) {
		unsigned key = sub_of(q, j);
		size_t nc = 0;
		int w;

		for (w = 0; w <= rad[j]; w++) {
			uint32_t m = w ? (1u << w) - 1 : 0;

			for (; m < IX_BUCKETS; m = w ? next_comb(m) : IX_BUCKETS) {
				const struct ix_bucket *b =
					bucket_of(ix, j, key ^ m);
				uint32_t off = 0;

				if (!b->len)
					continue;
				if (nc + b->len > VIGIL__HAM_CHUNK) {
					ix_check(k, q, r, rad, j, cand, nc);
					nc = 0;
				}
				for (; b->len - off > VIGIL__HAM_CHUNK;
				     off += VIGIL__HAM_CHUNK)
					ix_check(k, q, r, rad, j, b->slot + off,
						 VIGIL__HAM_CHUNK);
				memcpy(cand + nc, b->slot + off,
				       (b->len - off) * sizeof(*cand));
				nc += b->len - off;
			}
		}
		if (nc)
			ix_check(k, q, r, rad, j, cand, nc);
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
			if (sink_owns(k, out[i], dist[i]))
				sink_put(k, out[i], dist[i]);
	}
}

/* One variant's search; caller holds the lock shared. */
static void ix_search(struct ix_sink *k, const uint64_t q[4], int r)
{
	int rad[IX_M];

	radii_of(r, rad);
	if (ix_use_mih(k->ix, q, rad))
		ix_search_mih(k, q, r, rad);
	else
		ix_search_scan(k, q, r);
}

static int query_args(vigil_index *ix, const void *q, int radius,
		      const vigil_index_hit *hits, size_t max, const char *fn)
{
	if (!q)
		return ix_err(ix, VIGIL_EINVAL, "%s: query is NULL", fn);
	if (radius < 0 || radius > VIGIL_INDEX_MAX_RADIUS)
		return ix_err(ix, VIGIL_EINVAL, "%s: radius %d not in 0..%d",
			      fn, radius, VIGIL_INDEX_MAX_RADIUS);
	if (!hits && max)
		return ix_err(ix, VIGIL_EINVAL, "%s: hits is NULL", fn);
	return VIGIL_OK;
}

/* Sorts the held hits nearest first: they already form a max-heap, so
 * this is the second half of a heapsort (in place, no allocation). */
static void sink_finish(struct ix_sink *k, size_t *found)
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
	if (ix->n)
		ix_search(&k, w, radius);
	pthread_rwlock_unlock(&ix->lock);
	sink_finish(&k, found);
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
	for (v = 0; v < VIGIL_DIH_COUNT && ix->n; v++) {
		k.variant = v;
		ix_search(&k, w[v], radius);
	}
	pthread_rwlock_unlock(&ix->lock);
	sink_finish(&k, found);
	return VIGIL_OK;
}
