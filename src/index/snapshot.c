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
	K_OFF = 8,  /* + table: uint32_t offsets (format 1: refused) */
	K_SLOT = K_OFF + IX_BMAX, /* + table: slots */
	K_BITS = K_SLOT + IX_BMAX, /* + table: the offsets' unary string */
};
_Static_assert(K_BITS + IX_BMAX <= VIGIL__IX_SNAP_KINDS, "kinds fit");

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
		size_t nw = ix_csr_words(ix->nbuilt, ix->shape.len[j]);
		rc = vigil__snapw_begin(w, base + K_BITS + (uint32_t)j);
		if (!rc)
			rc = vigil__snapw_put(w, ix->csr[j].bits, nw * 8);
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
	int j, bad = 0;

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
		csr[j].bits = sec(r, base + K_BITS + (uint32_t)j,
				  ix_csr_words((size_t)meta->nbuilt, sh.len[j]) * 8);
		csr[j].slot = sec(r, base + K_SLOT + (uint32_t)j,
				  (size_t)meta->nbuilt * sizeof(uint32_t));
		csr[j].samp = vigil__malloc(ix_csr_nsamp(sh.len[j]) * sizeof(uint32_t));
		if (!csr[j].samp) {
			bad = VIGIL_ENOMEM;
			goto fail;
		}
		/* the checksums vouch for the bytes; this for the writer, and
		 * so that no lookup can run off the string */
		if (!csr[j].bits || (meta->nbuilt && !csr[j].slot) ||
		    vigil__ix_csr_index(&csr[j], (size_t)meta->nbuilt, sh.len[j])) {
			bad = VIGIL_EFORMAT;
			goto fail;
		}
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
	for (i = ix->nbuilt; i < n; i++)
		if (vigil__ix_delta_put(ix, i)) {
			/* leave an index that frees cleanly, with nothing in it */
			vigil__ix_delta_clear(ix);
			for (j = 0; j < sh.m; j++)
				vigil__free(ix->csr[j].samp);
			ix->n = ix->nbuilt = ix->ndead = 0;
			ix->shape.m = 0;
			memset(ix->csr, 0, sizeof(ix->csr));
			return vigil__ix_err(ix, VIGIL_ENOMEM, "snapshot: out of memory");
		}
	__atomic_store_n(&ix->live, (size_t)meta->live, __ATOMIC_RELAXED);
	return VIGIL_OK;
bad_shape:
	for (j = 0; j < IX_BMAX; j++)
		vigil__free(csr[j].samp);
	return vigil__ix_err(ix, VIGIL_EFORMAT, "snapshot: bad table shape");
fail:
	for (i = 0; i < IX_BMAX; i++)
		vigil__free(csr[i].samp);
	if (bad == VIGIL_ENOMEM)
		return vigil__ix_err(ix, VIGIL_ENOMEM, "snapshot: out of memory");
	return vigil__ix_err(ix, VIGIL_EFORMAT, "snapshot: bad table %d", j);
}
