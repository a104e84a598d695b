/* exact.c — vigil_exact: (algo, digest) -> ids, an open-addressing hash
 * table with linear probing and backward-shift deletion (no tombstones).
 *
 * Most digests carry one id, held inline in the slot; a second id moves them
 * to an array. Bank files are hostile input, so slot positions come from a
 * per-table random seed mixed with the whole digest: crafted "digests" cannot
 * be lined up in one probe run without knowing the seed.
 *
 * Concurrency as for vigil_index: a writer-preferring rwlock, lookups share
 * it, add and remove take it exclusively; lookups allocate nothing. */
#include "index_int.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define EX_MIN_CAP 64                  /* first table size (power of two) */
#define EX_MAX_CAP ((size_t)1 << 31)   /* largest table, slots */
#define EX_MAX_IDS ((uint32_t)1 << 30) /* ids under one digest */

struct ex_slot {
	uint8_t digest[VIGIL_DIGEST_MAX]; /* zero-padded past the algo's size */
	uint64_t hash;                    /* of (algo, digest), seeded */
	uint32_t n;                       /* ids; 0 marks an empty slot */
	uint32_t cap;                     /* ids allocated; 0: id held inline */
	int algo;                         /* vigil_digest_algo */
	union {
		uint64_t one;   /* the id, while cap == 0 */
		uint64_t *many; /* cap ids, in the order added */
	} ids;
};

struct vigil_exact {
	vigil_ctx *ctx;          /* where messages go; not owned, may be NULL */
	pthread_rwlock_t lock;   /* shared: lookups; exclusive: add, remove */
	pthread_mutex_t errlock; /* serialises messages written to ctx */
	uint64_t seed;           /* hash seed, random per table */
	struct ex_slot *t;       /* cap slots */
	size_t cap;              /* slots, a power of two (0 before first add) */
	size_t used;             /* slots holding a digest */
	size_t n;                /* (algo, digest, id) entries (atomic) */
};

__attribute__((format(printf, 3, 4))) static int
ex_err(vigil_exact *ex, int code, const char *fmt, ...)
{
	char buf[VIGIL__ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&ex->errlock);
	vigil__err(ex->ctx, code, "%s", buf);
	pthread_mutex_unlock(&ex->errlock);
	return code;
}

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t ex_hash(const vigil_exact *ex, int algo, const uint8_t d[32])
{
	uint64_t h = ex->seed ^ (uint64_t)algo, w;
	int i;

	for (i = 0; i < 4; i++) {
		memcpy(&w, d + 8 * i, 8);
		h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
	}
	return h;
}

/* Validates (algo, digest) and copies the digest zero-padded to 32 bytes. */
static int ex_key(vigil_exact *ex, vigil_digest_algo algo,
		  const uint8_t *digest, uint8_t key[32], const char *fn)
{
	size_t len = vigil_digest_size(algo);

	if (!len)
		return ex_err(ex, VIGIL_EINVAL, "%s: unknown digest algorithm %d",
			      fn, (int)algo);
	if (!digest)
		return ex_err(ex, VIGIL_EINVAL, "%s: digest is NULL", fn);
	memset(key, 0, 32);
	memcpy(key, digest, len);
	return VIGIL_OK;
}

/* The slot holding (algo, key), or the empty slot ending its probe run.
 * Caller holds the lock and has a table (cap > 0). */
static struct ex_slot *ex_slot_of(const vigil_exact *ex, int algo,
				  const uint8_t key[32], uint64_t h)
{
	size_t mask = ex->cap - 1, i = h & mask;

	for (;; i = (i + 1) & mask) {
		struct ex_slot *s = &ex->t[i];

		if (!s->n || (s->hash == h && s->algo == algo &&
			      !memcmp(s->digest, key, 32)))
			return s;
	}
}

static const uint64_t *slot_ids(const struct ex_slot *s)
{
	return s->cap ? s->ids.many : &s->ids.one;
}

int vigil_exact_new(vigil_ctx *ctx, vigil_exact **out)
{
	pthread_rwlockattr_t attr;
	struct timespec ts;
	vigil_exact *ex;

	if (!out)
		return vigil__err(ctx, VIGIL_EINVAL, "vigil_exact_new: out is NULL");
	*out = NULL;
	ex = vigil__calloc(1, sizeof(*ex));
	if (!ex)
		return vigil__err(ctx, VIGIL_ENOMEM, "exact: out of memory");
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
		PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	if (pthread_rwlock_init(&ex->lock, &attr)) {
		pthread_rwlockattr_destroy(&attr);
		vigil__free(ex);
		return vigil__err(ctx, VIGIL_EINTERNAL, "exact: rwlock init failed");
	}
	pthread_rwlockattr_destroy(&attr);
	if (pthread_mutex_init(&ex->errlock, NULL)) {
		pthread_rwlock_destroy(&ex->lock);
		vigil__free(ex);
		return vigil__err(ctx, VIGIL_EINTERNAL, "exact: mutex init failed");
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ex->seed = mix64((uint64_t)(uintptr_t)ex ^ mix64((uint64_t)ts.tv_nsec ^
							 ((uint64_t)ts.tv_sec << 32)));
	ex->ctx = ctx;
	*out = ex;
	return VIGIL_OK;
}

void vigil_exact_free(vigil_exact *ex)
{
	size_t i;

	if (!ex)
		return;
	for (i = 0; i < ex->cap; i++)
		if (ex->t[i].n && ex->t[i].cap)
			vigil__free(ex->t[i].ids.many);
	vigil__free(ex->t);
	pthread_mutex_destroy(&ex->errlock);
	pthread_rwlock_destroy(&ex->lock);
	vigil__free(ex);
}

size_t vigil_exact_size(const vigil_exact *ex)
{
	return ex ? __atomic_load_n(&ex->n, __ATOMIC_RELAXED) : 0;
}

/* Room for one more digest at load <= 0.7; unchanged on failure. */
static int ex_reserve(vigil_exact *ex)
{
	struct ex_slot *nt;
	size_t ncap, i;

	if (ex->cap && (ex->used + 1) * 10 <= ex->cap * 7)
		return VIGIL_OK;
	ncap = ex->cap ? ex->cap * 2 : EX_MIN_CAP;
	if (ncap > EX_MAX_CAP)
		return ex_err(ex, VIGIL_ETOOBIG, "exact: table full (%zu digests)",
			      ex->used);
	nt = vigil__calloc(ncap, sizeof(*nt));
	if (!nt)
		return ex_err(ex, VIGIL_ENOMEM, "exact: out of memory growing to %zu",
			      ncap);
	for (i = 0; i < ex->cap; i++) {
		size_t j;

		if (!ex->t[i].n)
			continue;
		for (j = ex->t[i].hash & (ncap - 1); nt[j].n; j = (j + 1) & (ncap - 1))
			;
		nt[j] = ex->t[i];
	}
	vigil__free(ex->t);
	ex->t = nt;
	ex->cap = ncap;
	return VIGIL_OK;
}

/* Appends id to a slot that holds ids already. */
static int slot_push(vigil_exact *ex, struct ex_slot *s, uint64_t id)
{
	if (s->n >= EX_MAX_IDS)
		return ex_err(ex, VIGIL_ETOOBIG, "exact: over %u ids for one digest",
			      (unsigned)EX_MAX_IDS);
	if (s->n == s->cap || !s->cap) {
		uint32_t ncap = s->cap ? s->cap * 2 : 4;
		uint64_t *p;

		p = vigil__realloc(s->cap ? s->ids.many : NULL,
				   (size_t)ncap * sizeof(*p));
		if (!p)
			return ex_err(ex, VIGIL_ENOMEM, "exact: out of memory");
		if (!s->cap)
			p[0] = s->ids.one;
		s->ids.many = p;
		s->cap = ncap;
	}
	s->ids.many[s->n++] = id;
	return VIGIL_OK;
}

int vigil_exact_add(vigil_exact *ex, vigil_digest_algo algo,
		    const uint8_t *digest, uint64_t id)
{
	struct ex_slot *s;
	uint8_t key[32];
	uint64_t h;
	uint32_t i;
	int rc;

	if (!ex)
		return VIGIL_EINVAL;
	rc = ex_key(ex, algo, digest, key, "vigil_exact_add");
	if (rc)
		return rc;
	h = ex_hash(ex, (int)algo, key);
	pthread_rwlock_wrlock(&ex->lock);
	if (ex->cap) {
		s = ex_slot_of(ex, (int)algo, key, h);
		if (s->n) {
			const uint64_t *ids = slot_ids(s);

			for (i = 0; i < s->n; i++)
				if (ids[i] == id)
					goto out;
			rc = slot_push(ex, s, id);
			if (!rc)
				__atomic_store_n(&ex->n, ex->n + 1, __ATOMIC_RELAXED);
			goto out;
		}
	}
	rc = ex_reserve(ex);
	if (rc)
		goto out;
	s = ex_slot_of(ex, (int)algo, key, h);
	memcpy(s->digest, key, 32);
	s->hash = h;
	s->algo = (int)algo;
	s->n = 1;
	s->cap = 0;
	s->ids.one = id;
	ex->used++;
	__atomic_store_n(&ex->n, ex->n + 1, __ATOMIC_RELAXED);
out:
	pthread_rwlock_unlock(&ex->lock);
	return rc;
}

/* Empties slot s and shifts later members of its probe run back into the
 * hole, so every digest stays reachable from its home slot. */
static void ex_delete(vigil_exact *ex, struct ex_slot *s)
{
	size_t mask = ex->cap - 1, i = (size_t)(s - ex->t), j = i;

	if (s->cap)
		vigil__free(s->ids.many);
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!ex->t[j].n)
			break;
		home = ex->t[j].hash & mask;
		/* t[j] may move to i unless its home lies cyclically in (i, j] */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			ex->t[i] = ex->t[j];
			i = j;
		}
	}
	memset(&ex->t[i], 0, sizeof(ex->t[i]));
	ex->used--;
}

int vigil_exact_remove(vigil_exact *ex, vigil_digest_algo algo,
		       const uint8_t *digest, uint64_t id)
{
	struct ex_slot *s = NULL;
	uint8_t key[32];
	uint64_t *ids;
	uint32_t i;
	int rc;

	if (!ex)
		return VIGIL_EINVAL;
	rc = ex_key(ex, algo, digest, key, "vigil_exact_remove");
	if (rc)
		return rc;
	pthread_rwlock_wrlock(&ex->lock);
	if (ex->cap)
		s = ex_slot_of(ex, (int)algo, key, ex_hash(ex, (int)algo, key));
	for (i = 0; s && i < s->n; i++)
		if (slot_ids(s)[i] == id)
			break;
	if (!s || i == s->n) {
		rc = ex_err(ex, VIGIL_ENOENT, "exact: no %s digest with id %llu",
			    vigil_digest_name(algo), (unsigned long long)id);
		goto out;
	}
	if (s->n == 1) {
		ex_delete(ex, s);
	} else {
		ids = s->ids.many;
		memmove(ids + i, ids + i + 1, (s->n - i - 1) * sizeof(*ids));
		s->n--;
	}
	__atomic_store_n(&ex->n, ex->n - 1, __ATOMIC_RELAXED);
out:
	pthread_rwlock_unlock(&ex->lock);
	return rc;
}

int vigil_exact_lookup(vigil_exact *ex, vigil_digest_algo algo,
		       const uint8_t *digest, uint64_t *ids, size_t max,
		       size_t *found)
{
	const struct ex_slot *s;
	uint8_t key[32];
	size_t n = 0;
	int rc;

	if (found)
		*found = 0;
	if (!ex)
		return VIGIL_EINVAL;
	rc = ex_key(ex, algo, digest, key, "vigil_exact_lookup");
	if (rc)
		return rc;
	if (!ids && max)
		return ex_err(ex, VIGIL_EINVAL, "vigil_exact_lookup: ids is NULL");
	pthread_rwlock_rdlock(&ex->lock);
	if (ex->cap) {
		s = ex_slot_of(ex, (int)algo, key, ex_hash(ex, (int)algo, key));
		n = s->n;
		if (n && max)
			memcpy(ids, slot_ids(s), (n < max ? n : max) * sizeof(*ids));
	}
	pthread_rwlock_unlock(&ex->lock);
	if (found)
		*found = n;
	return VIGIL_OK;
}

int vigil__exact_each(vigil_exact *ex,
		      int (*cb)(void *user, int algo, const uint8_t *digest,
				uint64_t id),
		      void *user)
{
	int rc = 0;

	pthread_rwlock_rdlock(&ex->lock);
	for (size_t i = 0; i < ex->cap && !rc; i++) {
		const struct ex_slot *s = &ex->t[i];
		for (uint32_t k = 0; k < s->n && !rc; k++)
			rc = cb(user, s->algo, s->digest,
				s->cap ? s->ids.many[k] : s->ids.one);
	}
	pthread_rwlock_unlock(&ex->lock);
	return rc;
}
