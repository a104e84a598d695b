/* index_int.h — internals of the index subsystem shared by its files, its
 * tests and its benchmark: the Hamming-distance kernels and the test knobs,
 * then the vigil_index layout and the functions its files (index.c,
 * layout.c, build.c, delta.c, insert.c, remove.c, results.c, search.c)
 * share. Not installed; names are vigil__. */
#ifndef VIGIL_INDEX_INT_H
#define VIGIL_INDEX_INT_H

#include "../core/core.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* Kernels never get more than this many entries per call, so callers can
 * hold their output in stack buffers. */
#define VIGIL__HAM_CHUNK 256

/* One implementation of the two hot loops over packed hashes. A hash is four
 * uint64_t words (its 32 bytes memcpy'd, native byte order); hw points at an
 * array of such 4-word hashes. Both functions write the slot of every entry
 * within distance r of q to out[] and its distance to dist[], in input order,
 * and return how many they wrote (at most n, n <= VIGIL__HAM_CHUNK). */
typedef struct vigil__ham_ops {
	const char *name; /* "ref", "popcnt", "avx2", "avx512" */
	/* Entries base .. base+n-1: hw points at entry base. */
	size_t (*scan)(const uint64_t *hw, uint32_t base, size_t n,
		       const uint64_t q[4], int r, uint32_t *out,
		       uint16_t *dist);
	/* Entries slots[0..n-1]: hw points at entry 0. */
	size_t (*gather)(const uint64_t *hw, const uint32_t *slots, size_t n,
			 const uint64_t q[4], int r, uint32_t *out,
			 uint16_t *dist);
} vigil__ham_ops;

/* The fastest implementation this CPU runs, picked once. */
const vigil__ham_ops *vigil__ham_best(void);
/* Every implementation this CPU runs, reference first; *n gets the count.
 * For tests and the benchmark. */
const vigil__ham_ops *const *vigil__ham_all(size_t *n);

/* How a vigil_index answers queries. AUTO picks per query by estimated cost;
 * the others force one path (tests check both against brute force). */
enum {
	VIGIL__IX_AUTO = 0,
	VIGIL__IX_MIH = 1,  /* multi-index hashing, whatever the radius */
	VIGIL__IX_SCAN = 2, /* linear scan */
};
void vigil__index_set_strategy(vigil_index *ix, int strategy);
/* Bytes the index has allocated (not counting malloc's own overhead). */
size_t vigil__index_bytes(vigil_index *ix);
/* Makes the index use the given kernels instead of the best ones. */
void vigil__index_set_ops(vigil_index *ix, const vigil__ham_ops *ops);
/* Whether probes decode the offsets with PDEP (1, the default where the
 * CPU has BMI2) or portably (0); for tests and the benchmark. */
void vigil__index_set_pdep(vigil_index *ix, int on);
/* Sets the delta size below which adds never rebuild the built part
 * (default 65536), so tests can exercise rebuilds with small banks. */
void vigil__index_set_delta_min(vigil_index *ix, size_t n);
/* Entries in the built (CSR) part, dead ones included. */
size_t vigil__index_built(vigil_index *ix);

/* ------------------------------------------ between the vigil_index files */
/* The layout of a vigil_index and the helpers its files share. Tests and
 * benchmarks use only the knobs above; the hot helpers are static inline so
 * the split into files costs the query loops nothing. */

#define IX_M 16                              /* delta: substrings (tables) */
#define IX_BITS 16                           /* delta: bits per substring */
#define IX_BUCKETS (1u << IX_BITS)           /* delta: buckets per table */
#define IX_BMAX 16                           /* built part: most tables */
#define IX_MAX_ENTRIES ((size_t)UINT32_MAX - 1) /* slots are uint32_t */

struct ix_bucket {
	uint32_t *slot; /* slots of the entries with this substring value */
	uint32_t len;   /* slots in use */
	uint32_t cap;   /* slots allocated */
};

/* One table of the built part, CSR with compressed offsets: the slots whose
 * substring is v are slot[off(v) .. off(v)+len(v)-1]. Instead of 2^len
 * uint32_t offsets (32 MiB a table at 23 bits, a cache and TLB miss on every
 * probe) the offsets are kept in 16-byte blocks of 32 buckets: off() of the
 * block's first bucket, then the 32 bucket sizes in unary (each size in
 * ones, then a zero) in 96 bits; 0.5 byte a bucket, and one aligned 16-byte
 * read a probe. A block whose sizes need more than 95 bits (more than 63
 * entries: near-identical hashes) sets bit 95 and keeps its 33 offsets in
 * side[] from index lo instead. */
#define IX_BLK_SHIFT 5
#define IX_BLK_BUCKETS (1u << IX_BLK_SHIFT)
#define IX_BLK_MAXONES 63 /* 32 zeros + 63 ones: bit 95 stays clear */
struct ix_blk {
	uint32_t base; /* off() of the block's first bucket */
	uint32_t hi;   /* unary bits 64..95; bit 31 (95): overflow */
	uint64_t lo;   /* unary bits 0..63, or side index when overflowed */
};
struct ix_csr {
	struct ix_blk *blk; /* ix_csr_nblk() blocks */
	uint32_t *side;     /* 33 offsets per overflowed block, or NULL */
	size_t nside;       /* uint32_t in side */
	uint32_t *slot;     /* nbuilt slots grouped by substring value */
};

static inline size_t ix_csr_nblk(int len)
{
	return (((size_t)1 << len) + IX_BLK_BUCKETS - 1) >> IX_BLK_SHIFT;
}

/* Position of the k-th (from 0) set bit of x, which has more than k;
 * branch-free and portable (no PDEP): the byte by prefix counts in every
 * lane at once, then the bit within it the same way. */
static inline unsigned ix_select64(uint64_t x, unsigned k)
{
	const uint64_t ones = 0x0101010101010101ULL, hi = 0x8080808080808080ULL;
	uint64_t s = x - ((x >> 1) & 0x5555555555555555ULL);
	uint64_t b, geq, y;
	unsigned i, before;

	s = (s & 0x3333333333333333ULL) + ((s >> 2) & 0x3333333333333333ULL);
	s = (s + (s >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	b = s * ones; /* byte i: set bits in bytes 0..i */
	geq = ((b | hi) - (uint64_t)(k + 1) * ones) & hi;
	i = (unsigned)__builtin_ctzll(geq) >> 3;
	before = (unsigned)((b << 8) >> (8 * i)) & 0xff;
	k -= before;
	/* byte i's bits, one per byte lane, then their prefix counts */
	y = (((x >> (8 * i)) & 0xff) * ones) & 0x8040201008040201ULL;
	y = ((y + 0x7f7f7f7f7f7f7f7fULL) >> 7) & ones;
	y *= ones;
	geq = ((y | hi) - (uint64_t)(k + 1) * ones) & hi;
	return 8 * i + ((unsigned)__builtin_ctzll(geq) >> 3);
}

/* Bucket v's slots: returns off(v), *len gets its size. Written once as a
 * macro so the probe loop can also have it with PDEP (search.c). */
#define IX_CSR_RANGE_DEF(name, attr, select)                                  \
	static inline attr uint32_t name(const struct ix_csr *c, uint32_t v,  \
					 uint32_t *len)                       \
	{                                                                     \
		const struct ix_blk *b = &c->blk[v >> IX_BLK_SHIFT];          \
		unsigned t = v & (IX_BLK_BUCKETS - 1), e, st, c0;             \
		uint64_t z0, z1, m;                                           \
                                                                              \
		if (__builtin_expect(b->hi >> 31, 0)) {                       \
			const uint32_t *o = c->side + b->lo + t;              \
                                                                              \
			*len = o[1] - o[0];                                   \
			return o[0];                                          \
		}                                                             \
		z0 = ~b->lo;                                                  \
		z1 = ~(uint64_t)b->hi;                                        \
		c0 = (unsigned)__builtin_popcountll(z0);                      \
		/* e: bucket v's closing zero, st: just after the one before */ \
		e = t < c0 ? select(z0, t) : 64 + select(z1, t - c0);         \
		if (!t) {                                                     \
			st = 0;                                               \
		} else if (e < 64) {                                          \
			st = 64 - (unsigned)__builtin_clzll(z0 & ((1ULL << e) - 1)); \
		} else {                                                      \
			m = z1 & ((1ULL << (e - 64)) - 1);                    \
			st = m ? 128 - (unsigned)__builtin_clzll(m)           \
			       : 64 - (unsigned)__builtin_clzll(z0);          \
		}                                                             \
		*len = e - st;                                                \
		return b->base + st - t;                                      \
	}
IX_CSR_RANGE_DEF(ix_csr_range, , ix_select64)

#if defined(__x86_64__) && defined(__GNUC__)
#define IX_HAVE_PDEP 1
#include <immintrin.h>
/* The same select in one PDEP (BMI2): the probe loop's version on CPUs that
 * have it (vigil_index.bmi2); the portable one costs ~30 instructions. */
__attribute__((target("bmi,bmi2"))) static inline unsigned
ix_select64_pdep(uint64_t x, unsigned k)
{
	return (unsigned)__builtin_ctzll(_pdep_u64(1ULL << k, x));
}
IX_CSR_RANGE_DEF(ix_csr_range_pdep, __attribute__((target("bmi,bmi2"))),
		 ix_select64_pdep)
#endif

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
	int bmi2;                  /* probes decode offsets with PDEP */
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
	void *map;                 /* a snapshot the arrays may point into, or NULL */
	size_t maplen;             /* (snapshot.c): never freed, only unmapped */
};

/* Whether p points into the index's mapped snapshot (not to be freed). */
static inline int vigil__ix_mapped(const vigil_index *ix, const void *p)
{
	return ix->map && (const char *)p >= (const char *)ix->map &&
	       (const char *)p < (const char *)ix->map + ix->maplen;
}

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

/* A query's plan: the probe radius of every table of both parts, and the
 * query's substrings in the built part's tables. */
struct ix_plan {
	int brad[IX_BMAX];     /* built part */
	uint32_t bkey[IX_BMAX];
	int drad[IX_M];        /* delta */
};

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

/* index.c: the handle, slot storage and lookup */
/* Error detail on ix->ctx, serialised (queries may fail concurrently). */
__attribute__((format(printf, 3, 4))) int
vigil__ix_err(vigil_index *ix, int code, const char *fmt, ...);
/* The live slot holding (w, id), or -1; caller holds the lock. */
long vigil__ix_find(const vigil_index *ix, const uint64_t w[4], uint64_t id);
/* Room for `more` more slots; -1 (index unchanged) on ENOMEM. */
int vigil__ix_reserve(vigil_index *ix, size_t more);
/* Asks for huge pages under a big array (advisory). */
void vigil__ix_advise(void *p, size_t bytes);

/* layout.c: the built part's shape and the cost model */
/* Per-table probe radius for radius r over m tables; -1: not probed. */
void vigil__ix_radii(int r, int m, int *rad);
/* Buckets within distance rad of a len-bit value. */
double vigil__ix_ball_size(int len, int rad);
/* The built part's shape for n entries. */
void vigil__ix_shape_for(size_t n, struct ix_shape *sh);
/* Whether MIH beats a scan for the query q planned in p. */
int vigil__ix_use_mih(const vigil_index *ix, const struct ix_plan *p,
		      const uint64_t q[4]);

/* build.c: the CSR tables of the built part */
/* Frees tables 0..m-1 of c (those not in ix's snapshot). */
void vigil__ix_csr_free(const vigil_index *ix, struct ix_csr *c, int m);
/* The side offsets c needs for offsets off[0..2^len]: 33 a block with more
 * than IX_BLK_MAXONES entries. */
size_t vigil__ix_csr_nside(const uint32_t *off, int len);
/* Writes offsets off[0..2^len] (off[0] = 0) as c's blocks (c->blk, and
 * c->side of vigil__ix_csr_nside() entries, allocated by the caller). */
void vigil__ix_csr_encode(struct ix_csr *c, const uint32_t *off, int len);
/* Whether c's blocks are well-formed for a table of nbuilt entries: every
 * lookup stays inside them and the offsets add up (a snapshot's tables are
 * checked so that no lookup runs off them). 0 if so, else -1. */
int vigil__ix_csr_check(const struct ix_csr *c, size_t nbuilt, int len);
/* Rebuilds the built part from every live slot plus the `more` written
 * past n; -1 (nothing changed) on ENOMEM. */
int vigil__ix_rebuild(vigil_index *ix, size_t more);
/* Whether a delta of d slots should be merged into the built part. */
int vigil__ix_delta_big(const vigil_index *ix, size_t d);

/* delta.c: the delta's growable buckets */
/* Puts slot s into the delta's tables; -1 (nothing changed) on ENOMEM. */
int vigil__ix_delta_put(vigil_index *ix, size_t s);
/* Takes slot s, the last one put, out of the delta's tables again. */
void vigil__ix_delta_unput(vigil_index *ix, size_t s);
/* Empties the delta's buckets, giving their memory back. */
void vigil__ix_delta_clear(vigil_index *ix);

/* results.c: where a query's hits go */
/* Takes one hit into k's bounded max-heap. */
void vigil__ix_sink_put(struct ix_sink *k, uint32_t slot, int d);
/* Whether this variant reports the hit (dihedral queries). */
int vigil__ix_sink_owns(const struct ix_sink *k, uint32_t slot, int d);
/* Sorts the held hits nearest first; *found (if not NULL) gets the count. */
void vigil__ix_sink_finish(struct ix_sink *k, size_t *found);

/* exact.c: calls cb for every (algo, digest, id) held, under the table's
 * read lock (the matcher's snapshot); a non-zero return stops and is
 * returned. */
int vigil__exact_each(vigil_exact *ex,
		      int (*cb)(void *user, int algo, const uint8_t *digest,
				uint64_t id),
		      void *user);

/* snapshot.c: the index in a snapshot file (src/core/snapfile.h). Section
 * kinds base .. base+VIGIL__IX_SNAP_KINDS-1 are the index's. */
#define VIGIL__IX_SNAP_KINDS 64
struct vigil__snapw;
struct vigil__snapr;
/* Writes the index's arrays as sections (under its read lock: queries go
 * on, changes wait). */
int vigil__ix_snap_write(vigil_index *ix, struct vigil__snapw *w, uint32_t base);
/* Makes the empty index ix use the arrays of r in place; on success the
 * index owns the mapping (r->map is NULL after). VIGIL_EFORMAT if the
 * sections do not fit together. */
int vigil__ix_snap_adopt(vigil_index *ix, struct vigil__snapr *r, uint32_t base);

#endif
