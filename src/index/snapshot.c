/* snapshot.c — a vigil_index in a snapshot file (src/core/snapfile.h):
 * its arrays are written as they are in memory and, on load, used in place
 * from the mapping — slots (hashes, ids, qualities, tombstones) and the
 * built part's CSR tables. Only the delta, at most a quarter of the
 * entries, is put into its buckets again. The mapping is private: removals
 * (tombstones) and rebuilds write to it copy-on-write, and an array that
 * must grow is copied out of it once (regrow in index.c). */
#include "index_int.h"
#include "../core/snapfile.h"

#include <sys/mman.h>

enum {
	K_META = 0, /* struct ix_snap_meta */
	K_HW,       /* 4 words a slot */
	K_IDS,
	K_QUALITY,
	K_DEAD,
	K_SIDE = 8, /* + table: side offsets (format 1 had 2^len offsets here) */
	K_SLOT = K_SIDE + IX_BMAX, /* + table: slots */
	K_BLK = K_SLOT + IX_BMAX,  /* + table: offset blocks (no format 1 table
				    * has one: those files are refused) */
};
_Static_assert(K_BLK + IX_BMAX <= VIGIL__IX_SNAP_KINDS, "kinds fit");

/* Fixed-width, so the file does not depend on the struct's padding. */
struct ix_snap_meta {
	uint64_t n, nbuilt, ndead, live;
	uint32_t m, ix_m, ix_bits, pad;
	uint8_t bit[IX_BMAX], len[IX_BMAX];
};

int vigil__ix_snap_write(vigil_index *ix, struct vigil__snapw *w, uint32_t base)
{
	struct ix_snap_meta meta;
	int rc, j;

	memset(&meta, 0, sizeof(meta));
	pthread_rwlock_rdlock(&ix->lock);
	meta.n = ix->n;
	meta.nbuilt = ix->nbuilt;
	meta.ndead = ix->ndead;
	meta.live = ix->live;
	meta.m = (uint32_t)ix->shape.m;
	meta.ix_m = IX_M;
	meta.ix_bits = IX_BITS;
	memcpy(meta.bit, ix->shape.bit, sizeof(meta.bit));
	memcpy(meta.len, ix->shape.len, sizeof(meta.len));
	rc = vigil__snapw_begin(w, base + K_META);
	if (!rc)
		rc = vigil__snapw_put(w, &meta, sizeof(meta));
	if (!rc)
		rc = vigil__snapw_begin(w, base + K_HW);
	if (!rc)
		rc = vigil__snapw_put(w, ix->hw, ix->n * 4 * sizeof(uint64_t));
	if (!rc)
		rc = vigil__snapw_begin(w, base + K_IDS);
	if (!rc)
		rc = vigil__snapw_put(w, ix->ids, ix->n * sizeof(*ix->ids));
	if (!rc)
		rc = vigil__snapw_begin(w, base + K_QUALITY);
	if (!rc)
		rc = vigil__snapw_put(w, ix->quality, ix->n * sizeof(*ix->quality));
	if (!rc)
		rc = vigil__snapw_begin(w, base + K_DEAD);
	if (!rc)
		rc = vigil__snapw_put(w, ix->dead, ix->n);
	for (j = 0; j < ix->shape.m && !rc; j++) {
		rc = vigil__snapw_begin(w, base + K_BLK + (uint32_t)j);
		if (!rc)
			rc = vigil__snapw_put(w, ix->csr[j].blk, ix_csr_nblk(ix->shape.len[j]) *
							  sizeof(struct ix_blk));
		if (!rc)
			rc = vigil__snapw_begin(w, base + K_SIDE + (uint32_t)j);
		if (!rc)
			rc = vigil__snapw_put(w, ix->csr[j].side,
					      ix->csr[j].nside * sizeof(uint32_t));
		if (!rc)
			rc = vigil__snapw_begin(w, base + K_SLOT + (uint32_t)j);
		if (!rc)
			rc = vigil__snapw_put(w, ix->csr[j].slot, ix->nbuilt * sizeof(uint32_t));
	}
	pthread_rwlock_unlock(&ix->lock);
	return rc;
}

/* A section of exactly want bytes, or NULL. */
static void *sec(const struct vigil__snapr *r, uint32_t kind, size_t want)
{
	size_t len;
	const void *p = vigil__snapr_get(r, kind, &len);

	return p && len == want ? (void *)p : NULL;
}

int vigil__ix_snap_adopt(vigil_index *ix, struct vigil__snapr *r, uint32_t base)
{
	const struct ix_snap_meta *meta = sec(r, base + K_META, sizeof(*meta));
	struct ix_csr csr[IX_BMAX] = {{0}};
	struct ix_shape sh;
	uint64_t *hw;
	uint64_t *ids;
	int32_t *quality;
	uint8_t *dead;
	size_t n, i;
	const void *side;
	size_t sidelen = 0;
	int j;

	if (!meta || meta->n > IX_MAX_ENTRIES || meta->nbuilt > meta->n ||
	    meta->ndead > meta->nbuilt || meta->live != meta->n - meta->ndead ||
	    meta->m > IX_BMAX || meta->ix_m != IX_M || meta->ix_bits != IX_BITS)
		return vigil__ix_err(ix, VIGIL_EFORMAT, "snapshot: bad index header");
	if (ix->n || ix->map)
		return vigil__ix_err(ix, VIGIL_EINTERNAL, "snapshot: index not empty");
	n = (size_t)meta->n;
	hw = sec(r, base + K_HW, n * 32);
	ids = sec(r, base + K_IDS, n * sizeof(*ids));
	quality = sec(r, base + K_QUALITY, n * sizeof(*quality));
	dead = sec(r, base + K_DEAD, n);
	if (n && (!hw || !ids || !quality || !dead))
		return vigil__ix_err(ix, VIGIL_EFORMAT, "snapshot: index arrays missing");
	memset(&sh, 0, sizeof(sh));
	sh.m = (int)meta->m;
	for (j = 0; j < sh.m; j++) {
		sh.bit[j] = meta->bit[j];
		sh.len[j] = meta->len[j];
		if (sh.len[j] < 1 || sh.len[j] > 30 || sh.bit[j] + sh.len[j] > 256)
			goto bad_shape;
		csr[j].blk = sec(r, base + K_BLK + (uint32_t)j,
				 ix_csr_nblk(sh.len[j]) * sizeof(struct ix_blk));
		csr[j].slot = sec(r, base + K_SLOT + (uint32_t)j,
				  (size_t)meta->nbuilt * sizeof(uint32_t));
		side = vigil__snapr_get(r, base + K_SIDE + (uint32_t)j, &sidelen);
		csr[j].side = (uint32_t *)side;
		csr[j].nside = side ? sidelen / sizeof(uint32_t) : 0;
		/* the checksums vouch for the bytes; this for the writer, and
		 * so that no lookup can run off the tables */
		if (!csr[j].blk || (meta->nbuilt && !csr[j].slot) ||
		    sidelen % sizeof(uint32_t) ||
		    ((uintptr_t)csr[j].blk % 8) || ((uintptr_t)side % 4) ||
		    vigil__ix_csr_check(&csr[j], (size_t)meta->nbuilt, sh.len[j]))
			return vigil__ix_err(ix, VIGIL_EFORMAT, "snapshot: bad table %d", j);
	}
	/* from here on the index is the snapshot's */
	ix->map = r->map;
	ix->maplen = r->len;
	r->map = NULL;
	ix->hw = hw;
	ix->ids = ids;
	ix->quality = quality;
	ix->dead = dead;
	ix->cap = ix->n = n;
	ix->nbuilt = (size_t)meta->nbuilt;
	ix->ndead = (size_t)meta->ndead;
	ix->shape = sh;
	memcpy(ix->csr, csr, sizeof(csr));
	for (j = 0; j < sh.m; j++) {
		vigil__ix_advise(csr[j].blk, ix_csr_nblk(sh.len[j]) * sizeof(struct ix_blk));
		vigil__ix_advise(csr[j].slot, ix->nbuilt * sizeof(uint32_t));
	}
	for (i = ix->nbuilt; i < n; i++)
		if (vigil__ix_delta_put(ix, i)) {
			/* leave an index that frees cleanly, with nothing in it */
			vigil__ix_delta_clear(ix);
			ix->n = ix->nbuilt = ix->ndead = 0;
			ix->shape.m = 0;
			memset(ix->csr, 0, sizeof(ix->csr));
			return vigil__ix_err(ix, VIGIL_ENOMEM, "snapshot: out of memory");
		}
	__atomic_store_n(&ix->live, (size_t)meta->live, __ATOMIC_RELAXED);
	return VIGIL_OK;
bad_shape:
	return vigil__ix_err(ix, VIGIL_EFORMAT, "snapshot: bad table shape");
}
