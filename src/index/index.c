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
 * than room. */
#include "index_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define IX_M 16                              /* delta: substrings (tables) */
#define IX_BITS 16                           /* delta: bits per substring */
#define IX_BUCKETS (1u << IX_BITS)           /* delta: buckets per table */
#define IX_BMAX 16                           /* built part: most tables */
#define IX_BMIN 9                            /* built part: fewest tables */
#define IX_BLEN_MAX 26                       /* built part: longest substring */
#define IX_OFF_PER_ENTRY 56                  /* offset bytes allowed per entry */
#define IX_OFF_FLOOR ((size_t)8 << 20)       /* ... and at least this many */
#define IX_DELTA_MIN 65536                   /* delta size that never rebuilds */
#define IX_BULK_MIN 4096                     /* batch that may rebuild at once */
#define IX_BALL_MAX 1024                     /* probes per table prefetched at once */
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

/* One table of the built part, CSR: the slots whose substring is v are
 * slot[off[v] .. off[v+1]-1]. */
struct ix_csr {
	uint32_t *off;  /* 2^len + 1 offsets */
	uint32_t *slot; /* nbuilt slots grouped by substring value */
};

/* The shape of the built part: table j holds bits off[j] .. off[j]+len[j]-1
 * of the hash (bit b is bit b%64 of word b/64). */
struct ix_shape {
	int m;                  /* tables; 0: no built part */
	uint8_t bit[IX_BMAX];   /* first bit of each substring */
	uint8_t len[IX_BMAX];   /* its length, IX_BITS..IX_BLEN_MAX */
};

struct vigil_index {
	vigil_ctx *ctx;            /* where messages go; not owned, may be NULL */
	pthread_rwlock_t lock;     /* shared: queries; exclusive: add, remove */
	pthread_mutex_t errlock;   /* serialises messages written to ctx */
	const vigil__ham_ops *ops; /* kernels, picked at _new */
	int strategy;              /* VIGIL__IX_*; tests and benchmarks */
	size_t live;               /* entries (written atomically) */
	size_t n;                  /* slots in use, dead ones included */
	size_t cap;                /* slots allocated in hw, ids, quality, dead */
	size_t nbuilt;             /* slots 0..nbuilt-1 are the built part */
	size_t ndead;              /* dead slots (all in the built part) */
	size_t delta_min;          /* delta size below which nothing rebuilds */
	uint64_t *hw;              /* 4*cap words: the hashes, slot order */
	uint64_t *ids;             /* cap ids */
	int32_t *quality;          /* cap qualities, as given */
	uint8_t *dead;             /* cap flags: removed from the built part */
	struct ix_shape shape;     /* of the built part */
	struct ix_csr csr[IX_BMAX]; /* its tables */
	struct ix_bucket *tab;     /* delta: IX_M * IX_BUCKETS; table j at j*IX_BUCKETS */
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

/* Bits b .. b+len-1 of a hash (len <= 32; may straddle two words). */
static inline uint32_t bits_of(const uint64_t w[4], unsigned b, unsigned len)
{
	unsigned k = b >> 6, sh = b & 63;
	uint64_t v = w[k] >> sh;

	if (sh + len > 64)
		v |= w[k + 1] << (64 - sh);
	return (uint32_t)(v & ((1ULL << len) - 1));
}

static inline uint32_t bsub_of(const struct ix_shape *sh, const uint64_t w[4],
			       int j)
{
	return bits_of(w, sh->bit[j], sh->len[j]);
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

/* Per-table probe radius for a query radius r over m tables (see the
 * comment at the top): -1 means the table is not probed. */
static void radii_of(int r, int m, int *rad)
{
	int s = r / m, a = r % m, j;

	for (j = 0; j < m; j++)
		rad[j] = j <= a ? s : s - 1;
}

/* Buckets within distance rad of a len-bit value. */
static double ball_size(int len, int rad)
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
static void shape_for(size_t n, struct ix_shape *sh)
{
	double best = 0;
	int m, j;

	sh->m = 0;
	for (m = IX_BMAX; m >= IX_BMIN; m--) {
		int base = 256 / m, extra = 256 % m, rad[IX_BMAX];
		double off = 0, cost = 0;

		if (base + (extra > 0) > IX_BLEN_MAX)
			continue;
		radii_of(VIGIL_DEFAULT_RADIUS, m, rad);
		for (j = 0; j < m; j++) {
			int len = base + (j < extra);
			double ball = ball_size(len, rad[j]);

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
	ix->delta_min = IX_DELTA_MIN;
	*out = ix;
	return VIGIL_OK;
}

static void csr_free(struct ix_csr *c, int m)
{
	int j;

	for (j = 0; j < m; j++) {
		vigil__free(c[j].off);
		vigil__free(c[j].slot);
		c[j].off = c[j].slot = NULL;
	}
}

/* Empties the delta's buckets, giving their memory back. */
static void delta_clear(vigil_index *ix)
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

void vigil_index_free(vigil_index *ix)
{
	if (!ix)
		return;
	delta_clear(ix);
	csr_free(ix->csr, ix->shape.m);
	vigil__free(ix->tab);
	vigil__free(ix->hw);
	vigil__free(ix->ids);
	vigil__free(ix->quality);
	vigil__free(ix->dead);
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
		bytes += (((size_t)1 << ix->shape.len[j]) + 1 + ix->nbuilt) *
			 sizeof(uint32_t);
	pthread_rwlock_unlock(&ix->lock);
	return bytes;
}

size_t vigil_index_size(const vigil_index *ix)
{
	return ix ? __atomic_load_n(&ix->live, __ATOMIC_RELAXED) : 0;
}

/* ------------------------------------------------------------- writing */

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
static long ix_find(const vigil_index *ix, const uint64_t w[4], uint64_t id)
{
	const struct ix_bucket *b = NULL;
	const uint32_t *sl = NULL;
	uint32_t i, len = 0;
	int j;

	for (j = 0; j < ix->shape.m; j++) {
		const struct ix_csr *c = &ix->csr[j];
		uint32_t k = bsub_of(&ix->shape, w, j);

		if (!sl || c->off[k + 1] - c->off[k] < len) {
			sl = c->slot + c->off[k];
			len = c->off[k + 1] - c->off[k];
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

/* Asks for huge pages under a big array: candidate checks and probes are
 * random accesses, and with 4 KiB pages each one is also a TLB miss.
 * Advisory only; the kernel may ignore it. */
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

/* Room for `more` more slots; on failure the index is unchanged (arrays
 * that did grow simply have spare room). Grows by 1.5x at least, so batches
 * of any size cost amortised O(1) copies per entry. */
static int ix_reserve(vigil_index *ix, size_t more)
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
	if (!(p = vigil__realloc(ix->dead, ncap * sizeof(*ix->dead))))
		return -1;
	ix->dead = p;
	ix->cap = ncap;
	return 0;
}

/* Builds the built part anew from every live slot plus the `more` entries
 * written after slot n (not yet counted): allocates the new tables first,
 * so on failure (-1) nothing has changed; then compacts the slots (dropping
 * the dead, keeping order), fills the tables by counting sort and empties
 * the delta. O(n) per table, no per-entry allocation. */
static int ix_rebuild(vigil_index *ix, size_t more)
{
	struct ix_csr nc[IX_BMAX] = {{0}};
	struct ix_shape sh;
	size_t total = ix->n + more, live = total - ix->ndead, i, s;
	int j;

	shape_for(live, &sh);
	for (j = 0; j < sh.m; j++) {
		size_t nb = ((size_t)1 << sh.len[j]) + 1;

		nc[j].off = vigil__malloc(nb * sizeof(uint32_t));
		nc[j].slot = vigil__malloc((live ? live : 1) * sizeof(uint32_t));
		if (!nc[j].off || !nc[j].slot) {
			csr_free(nc, sh.m);
			return -1;
		}
		ix_advise(nc[j].off, nb * sizeof(uint32_t));
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
	csr_free(ix->csr, ix->shape.m);
	memcpy(ix->csr, nc, sizeof(nc));
	ix->shape = sh;
	delta_clear(ix);
	ix->n = ix->nbuilt = live;
	ix->ndead = 0;
	__atomic_store_n(&ix->live, live, __ATOMIC_RELAXED);
	return 0;
}

/* Whether a delta of d slots should be merged into the built part: past a
 * floor, when it exceeds a quarter of the built part, so that every entry
 * is rebuilt O(1) times on average (the sizes grow geometrically) and
 * the delta's 16 x 16 tables never carry much of the bank. */
static int ix_delta_big(const vigil_index *ix, size_t d)
{
	return (d > ix->delta_min && d > (ix->nbuilt - ix->ndead) / 4) ||
	       (ix->ndead > ix->delta_min && ix->ndead > ix->nbuilt / 2);
}

/* Puts the entry in slot s into the delta's tables; -1 (nothing changed)
 * on ENOMEM. */
static int delta_put(vigil_index *ix, size_t s)
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
static void delta_unput(vigil_index *ix, size_t s)
{
	const uint64_t *w = ix->hw + 4 * s;
	int j;

	for (j = 0; j < IX_M; j++)
		bucket_of(ix, j, sub_of(w, j))->len--;
}

int vigil_index_add(vigil_index *ix, const vigil_pdq *hash, uint64_t id)
{
	uint64_t w[4];
	size_t s;
	int rc = VIGIL_OK;

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
	if (ix_reserve(ix, 1))
		goto oom;
	s = ix->n;
	memcpy(ix->hw + 4 * s, w, sizeof(w));
	ix->ids[s] = id;
	ix->quality[s] = hash->quality;
	ix->dead[s] = 0;
	if (ix_delta_big(ix, s + 1 - ix->nbuilt) && !ix_rebuild(ix, 1))
		goto out;
	/* a failed rebuild is no failure: the entry just goes to the delta */
	if (delta_put(ix, s))
		goto oom;
	ix->n = s + 1;
	__atomic_store_n(&ix->live, ix->live + 1, __ATOMIC_RELAXED);
	goto out;
oom:
	rc = ix_err(ix, VIGIL_ENOMEM, "index: out of memory adding entry %zu",
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
		return ix_err(ix, VIGIL_EINVAL,
			      "vigil_index_add_many: hashes or ids is NULL");
	if (n > IX_MAX_ENTRIES)
		return ix_err(ix, VIGIL_ETOOBIG, "index: batch of %zu too big", n);
	/* the batch's own duplicates are found before taking the lock */
	keep = vigil__malloc(n);
	if (!keep || batch_dedupe(hashes, ids, n, keep)) {
		vigil__free(keep);
		return ix_err(ix, VIGIL_ENOMEM,
			      "index: out of memory adding %zu entries", n);
	}
	pthread_rwlock_wrlock(&ix->lock);
	for (i = 0; i < n; i++) {
		uint64_t w[4];

		if (!keep[i])
			continue;
		words_of(&hashes[i], w);
		if (ix->live && ix_find(ix, w, ids[i]) >= 0)
			keep[i] = 0;
		else
			k++;
	}
	if (!k)
		goto out;
	if (k > IX_MAX_ENTRIES - ix->n) {
		rc = ix_err(ix, VIGIL_ETOOBIG, "index: full (%zu entries)",
			    ix->n);
		goto out;
	}
	if (ix_reserve(ix, k))
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
	if (ix_delta_big(ix, s0 + k - ix->nbuilt) ||
	    (k >= IX_BULK_MIN && 8 * k >= ix->live + k)) {
		if (ix_rebuild(ix, k))
			goto oom;
		goto out;
	}
	for (i = 0; i < k; i++) {
		if (delta_put(ix, s0 + i)) {
			while (i-- > 0)
				delta_unput(ix, s0 + i);
			goto oom;
		}
	}
	ix->n = s0 + k;
	__atomic_store_n(&ix->live, ix->live + k, __ATOMIC_RELAXED);
	goto out;
oom:
	rc = ix_err(ix, VIGIL_ENOMEM, "index: out of memory adding %zu entries",
		    k);
out:
	pthread_rwlock_unlock(&ix->lock);
	vigil__free(keep);
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

/* A query's plan: the probe radius of every table of both parts, and the
 * query's substrings in the built part's tables. */
struct ix_plan {
	int brad[IX_BMAX];     /* built part */
	uint32_t bkey[IX_BMAX];
	int drad[IX_M];        /* delta */
};

/* Walks the ball of radius rad around key in a len-bit table: calls
 * body with each bucket value, weight by weight. */
#define BALL_FOR(key, len, rad, v, body)                                     \
	do {                                                                 \
		int w_;                                                      \
		for (w_ = 0; w_ <= (rad); w_++) {                            \
			uint32_t m_ = w_ ? (1u << w_) - 1 : 0;               \
			uint32_t lim_ = (uint32_t)1 << (len);                \
			if (w_ > (int)(len))                                 \
				break;                                       \
			for (; m_ < lim_; m_ = w_ ? next_comb(m_) : lim_) {  \
				uint32_t v = (key) ^ m_;                     \
				body;                                        \
			}                                                    \
		}                                                            \
	} while (0)

/* Whether MIH beats a scan for this query: first on the expected bucket
 * sizes of uniform hashes, then, if that says yes, on the actual sizes of
 * the buckets it would probe (real banks are far from uniform). */
static int ix_use_mih(const vigil_index *ix, const struct ix_plan *p,
		      const uint64_t q[4])
{
	const struct ix_shape *sh = &ix->shape;
	double probes = 0, cands = 0, scan = (double)ix->n * IX_COST_SCAN;
	double nd = (double)(ix->n - ix->nbuilt);
	int j;

	if (ix->strategy != VIGIL__IX_AUTO)
		return ix->strategy == VIGIL__IX_MIH;
	for (j = 0; j < sh->m; j++) {
		double b = p->brad[j] >= 0 ? ball_size(sh->len[j], p->brad[j]) : 0;

		probes += b;
		cands += b * (double)ix->nbuilt / (double)(1u << sh->len[j]);
	}
	for (j = 0; j < IX_M && nd > 0; j++) {
		double b = p->drad[j] >= 0 ? ball_size(IX_BITS, p->drad[j]) : 0;

		probes += b;
		cands += b * nd / IX_BUCKETS;
	}
	if (probes * IX_COST_PROBE + cands * IX_COST_CAND >= scan)
		return 0;
	cands = 0;
	for (j = 0; j < sh->m; j++) {
		const uint32_t *off = ix->csr[j].off;

		BALL_FOR(p->bkey[j], sh->len[j], p->brad[j], v,
			 __builtin_prefetch(off + v));
	}
	for (j = 0; j < sh->m; j++) {
		const uint32_t *off = ix->csr[j].off;

		BALL_FOR(p->bkey[j], sh->len[j], p->brad[j], v,
			 cands += off[v + 1] - off[v]);
	}
	for (j = 0; j < IX_M && nd > 0; j++) {
		unsigned key = sub_of(q, j);

		BALL_FOR(key, IX_BITS, p->drad[j], v,
			 cands += bucket_of(ix, j, v)->len);
	}
	return probes * IX_COST_PROBE + cands * IX_COST_CAND < scan;
}

/* Checks candidates slots[0..n-1] from built table j. An entry is reported
 * from the first table whose ball holds it, so a hit that an earlier
 * table's ball also holds was reported already. */
static void ix_check_built(struct ix_sink *k, const uint64_t q[4], int r,
			   const struct ix_plan *pl, int j,
			   const uint32_t *slots, size_t n)
{
	const vigil_index *ix = k->ix;
	uint32_t out[VIGIL__HAM_CHUNK];
	uint16_t dist[VIGIL__HAM_CHUNK];
	size_t c, i;

	c = ix->ops->gather(ix->hw, slots, n, q, r, out, dist);
	for (i = 0; i < c; i++) {
		const uint64_t *p = ix->hw + 4 * (size_t)out[i];
		int jj, dup = ix->dead[out[i]];

		for (jj = 0; jj < j && !dup; jj++) {
			uint32_t x = bsub_of(&ix->shape, p, jj) ^ pl->bkey[jj];

			dup = pl->brad[jj] >= 0 &&
			      __builtin_popcount(x) <= pl->brad[jj];
		}
		if (!dup && sink_owns(k, out[i], dist[i]))
			sink_put(k, out[i], dist[i]);
	}
}

/* The same for the delta's 16 tables. */
static void ix_check_delta(struct ix_sink *k, const uint64_t q[4], int r,
			   const struct ix_plan *pl, int j,
			   const uint32_t *slots, size_t n)
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

			dup = pl->drad[jj] >= 0 &&
			      __builtin_popcount(x) <= pl->drad[jj];
		}
		if (!dup && sink_owns(k, out[i], dist[i]))
			sink_put(k, out[i], dist[i]);
	}
}

typedef void (*ix_check_fn)(struct ix_sink *, const uint64_t *, int,
			    const struct ix_plan *, int, const uint32_t *,
			    size_t);

/* Collects the slots of one bucket into cand[] (flushing it through check
 * whenever full), so the kernel's prefetching runs across bucket
 * boundaries: the candidate checks are random accesses into hw[] and
 * dominate the query time. */
static inline void ix_collect(struct ix_sink *k, const uint64_t q[4], int r,
			      const struct ix_plan *pl, int j, ix_check_fn check,
			      uint32_t *cand, size_t *nc, const uint32_t *sl,
			      uint32_t len)
{
	uint32_t off = 0;

	if (!len)
		return;
	if (*nc + len > VIGIL__HAM_CHUNK) {
		check(k, q, r, pl, j, cand, *nc);
		*nc = 0;
	}
	for (; len - off > VIGIL__HAM_CHUNK; off += VIGIL__HAM_CHUNK)
		check(k, q, r, pl, j, sl + off, VIGIL__HAM_CHUNK);
	memcpy(cand + *nc, sl + off, (len - off) * sizeof(*cand));
	*nc += len - off;
}

/* Probes every table's ball, in both parts. In the built part the offsets
 * of the next buckets are prefetched: each probe is a random read too. */
static void ix_search_mih(struct ix_sink *k, const uint64_t q[4], int r,
			  const struct ix_plan *pl)
{
	const vigil_index *ix = k->ix;
	uint32_t cand[VIGIL__HAM_CHUNK];
	int j;

	for (j = 0; j < ix->shape.m; j++) {
		const struct ix_csr *c = &ix->csr[j];
		uint32_t keys[IX_BALL_MAX], lo[IX_BALL_MAX], hi[IX_BALL_MAX];
		size_t nc = 0, nk = 0, nr = 0, i;
		int len = ix->shape.len[j];

		if (pl->brad[j] < 0)
			continue;
		if (ball_size(len, pl->brad[j]) > IX_BALL_MAX) {
			BALL_FOR(pl->bkey[j], len, pl->brad[j], v,
				 ix_collect(k, q, r, pl, j, ix_check_built, cand,
					    &nc, c->slot + c->off[v],
					    c->off[v + 1] - c->off[v]));
		} else {
			/* three passes, so the random reads of each pass are
			 * all in flight at once: the offsets, then the slot
			 * runs, then (in the kernel) the hashes */
			BALL_FOR(pl->bkey[j], len, pl->brad[j], v, {
				__builtin_prefetch(c->off + v);
				keys[nk++] = v;
			});
			for (i = 0; i < nk; i++) {
				uint32_t a = c->off[keys[i]], b = c->off[keys[i] + 1];

				if (a == b)
					continue;
				__builtin_prefetch(c->slot + a);
				lo[nr] = a;
				hi[nr++] = b;
			}
			for (i = 0; i < nr; i++)
				ix_collect(k, q, r, pl, j, ix_check_built, cand, &nc,
					   c->slot + lo[i], hi[i] - lo[i]);
		}
		if (nc)
			ix_check_built(k, q, r, pl, j, cand, nc);
	}
	for (j = 0; j < IX_M && ix->n > ix->nbuilt; j++) {
		unsigned key = sub_of(q, j);
		size_t nc = 0;

		BALL_FOR(key, IX_BITS, pl->drad[j], v, {
			const struct ix_bucket *b = bucket_of(ix, j, v);

			ix_collect(k, q, r, pl, j, ix_check_delta, cand, &nc,
				   b->slot, b->len);
		});
		if (nc)
			ix_check_delta(k, q, r, pl, j, cand, nc);
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
			if (!ix->dead[out[i]] && sink_owns(k, out[i], dist[i]))
				sink_put(k, out[i], dist[i]);
	}
}

/* One variant's search; caller holds the lock shared. */
static void ix_search(struct ix_sink *k, const uint64_t q[4], int r)
{
	const vigil_index *ix = k->ix;
	struct ix_plan pl;
	int j;

	radii_of(r, IX_M, pl.drad);
	if (ix->shape.m)
		radii_of(r, ix->shape.m, pl.brad);
	for (j = 0; j < ix->shape.m; j++)
		pl.bkey[j] = bsub_of(&ix->shape, q, j);
	if (ix_use_mih(ix, &pl, q))
		ix_search_mih(k, q, r, &pl);
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
	if (ix->live)
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
	for (v = 0; v < VIGIL_DIH_COUNT && ix->live; v++) {
		k.variant = v;
		ix_search(&k, w[v], radius);
	}
	pthread_rwlock_unlock(&ix->lock);
	sink_finish(&k, found);
	return VIGIL_OK;
}
