/* vigil/index.h — in-memory indexes of hashes (part of vigil.h; do not
 * include directly).
 *
 * vigil_index holds PDQ hashes, each with a caller-chosen 64-bit id, and
 * finds every entry within a Hamming radius of a query: exact (100% recall
 * against a brute-force scan), online insert and delete, and safe for many
 * concurrent queries while one writer adds or removes entries.
 *
 * vigil_exact holds exact digests (MD5, SHA-1, SHA-256) with ids, looked up
 * by hash table. */
#ifndef VIGIL_INDEX_H
#define VIGIL_INDEX_H

#define VIGIL_INDEX_MAX_RADIUS 64 /* largest supported radius */
#define VIGIL_DEFAULT_RADIUS 31   /* the usual PDQ match threshold */

typedef struct vigil_index vigil_index;

/* One match: the entry's id, its distance, and which dihedral variant of
 * the query matched (VIGIL_DIH_ORIGINAL for plain queries). */
typedef struct vigil_index_hit {
	uint64_t id;     /* the id given to vigil_index_add */
	vigil_pdq hash;  /* the stored hash (quality as stored) */
	int distance;    /* 0..256 */
	int variant;     /* vigil_dihedral of the query that matched */
} vigil_index_hit;

/* A new empty index. *out is owned by the caller: vigil_index_free(). */
int vigil_index_new(vigil_ctx *ctx, vigil_index **out);
void vigil_index_free(vigil_index *ix);

/* Adds (hash, id). The same hash may be stored under several ids; adding an
 * existing (hash, id) pair again is a no-op returning VIGIL_OK. Thread-safe
 * against concurrent queries. */
int vigil_index_add(vigil_index *ix, const vigil_pdq *hash, uint64_t id);
/* Adds n pairs (hashes[i], ids[i]) at once, as n vigil_index_add calls
 * would, but built in bulk: this is how a bank of millions is loaded at
 * start-up. All or nothing: on VIGIL_ENOMEM the index is unchanged. */
int vigil_index_add_many(vigil_index *ix, const vigil_pdq *hashes,
			 const uint64_t *ids, size_t n);
/* Removes (hash, id); VIGIL_ENOENT if it is not there. */
int vigil_index_remove(vigil_index *ix, const vigil_pdq *hash, uint64_t id);
/* Number of (hash, id) entries. */
size_t vigil_index_size(const vigil_index *ix);

/* Every entry within `radius` (0..VIGIL_INDEX_MAX_RADIUS) of q, nearest
 * first. Writes at most `max` hits to hits[] and the total found to *found
 * (so a caller whose buffer was too small can retry with *found). */
int vigil_index_query(vigil_index *ix, const vigil_pdq *q, int radius,
		      vigil_index_hit *hits, size_t max, size_t *found);
/* The same for the eight dihedral variants of an upload (as produced by
 * vigil_pdq_hash_*'s dih[] output) in one call: each matching entry once,
 * with its smallest distance over the variants and the variant that gave
 * it. */
int vigil_index_query_dihedral(vigil_index *ix, const vigil_pdq q[8],
			       int radius, vigil_index_hit *hits, size_t max,
			       size_t *found);

typedef struct vigil_exact vigil_exact;

int vigil_exact_new(vigil_ctx *ctx, vigil_exact **out);
void vigil_exact_free(vigil_exact *ex);
/* Adds a digest (len 16, 20 or 32 bytes, algo as in vigil_digest_algo)
 * with an id; re-adding the same (algo, digest, id) is a no-op. */
int vigil_exact_add(vigil_exact *ex, vigil_digest_algo algo,
		    const uint8_t *digest, uint64_t id);
int vigil_exact_remove(vigil_exact *ex, vigil_digest_algo algo,
		       const uint8_t *digest, uint64_t id);
/* Writes up to max ids stored under (algo, digest) to ids[], the total to
 * *found. */
int vigil_exact_lookup(vigil_exact *ex, vigil_digest_algo algo,
		       const uint8_t *digest, uint64_t *ids, size_t max,
		       size_t *found);
size_t vigil_exact_size(const vigil_exact *ex);

#endif
