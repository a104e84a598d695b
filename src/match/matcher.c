/* matcher.c — a snapshot of the enabled banks in memory: PDQ hashes and
 * vPDQ frames in one Hamming index, digests in a hash table.
 *
 * Index ids pack where a hash came from, so a hit needs no lookup:
 *   bit 63     the hash is a vPDQ frame (low bits: its frame id)
 *   bits 40-62 the bank's slot in m->banks
 *   bits 0-39  the entry id (or the frame id) */
#include "matcher_int.h"

#include <stdlib.h>
#include <string.h>

#define ID_FRAME VIGIL__ID_FRAME
#define ID_BANK_SHIFT VIGIL__ID_BANK_SHIFT
#define ID_LOW_MASK VIGIL__ID_LOW_MASK
#define ID_BANK_MASK VIGIL__ID_BANK_MASK
#define MATCH_MAX_HITS 4096 /* per query, before dedupe */
#define MATCH_FEW_HITS 32   /* on the stack: a first try (1.8 KB) */
#define LOAD_MAX ((size_t)1 << 32) /* most PDQ hashes one matcher loads */

typedef struct load_state {
	vigil_matcher *m;
	vigil_store *st;
	vigil_pdq *hashes;  /* every PDQ hash to load */
	uint64_t *ids;      /* and their index ids */
	size_t n, cap;
} load_state;

/* The whole bank goes to the index in one bulk insertion: the index builds
 * its tables once (seconds for 10M hashes) instead of merging batch after
 * batch. The cost is this transient copy, 44 bytes a hash. */
static int load_flush(load_state *ls)
{
	int rc = ls->n ? vigil_index_add_many(ls->m->ix, ls->hashes, ls->ids, ls->n)
		       : VIGIL_OK;

	if (!rc)
		ls->m->entries += ls->n;
	ls->n = 0;
	return rc;
}

static int load_pdq(load_state *ls, const uint8_t *bits, int quality, uint64_t id)
{
	if (ls->n == ls->cap) {
		size_t cap = ls->cap ? 2 * ls->cap : 65536;
		vigil_pdq *h;
		uint64_t *ids;
		if (cap > LOAD_MAX)
			return vigil__err(ls->st->ctx, VIGIL_ETOOBIG, "too many hashes");
		h = vigil__realloc(ls->hashes, cap * sizeof(*h));
		if (h)
			ls->hashes = h;
		ids = h ? vigil__realloc(ls->ids, cap * sizeof(*ids)) : NULL;
		if (!h || !ids)
			return vigil__err(ls->st->ctx, VIGIL_ENOMEM,
					  "out of memory loading %zu hashes", cap);
		ls->ids = ids;
		ls->cap = cap;
	}
	memcpy(ls->hashes[ls->n].bits, bits, 32);
	ls->hashes[ls->n].quality = quality;
	ls->ids[ls->n] = id;
	ls->n++;
	return VIGIL_OK;
}

static int bank_slot(const vigil_matcher *m, int64_t bank_id)
{
	size_t i;

	for (i = 0; i < m->nbanks; i++)
		if (m->banks[i].id == bank_id)
			return (int)i;
	return -1;
}

static int load_entry(void *user, const vigil_entry *e)
{
	load_state *ls = user;
	vigil_matcher *m = ls->m;
	int slot = bank_slot(m, e->bank_id), rc = VIGIL_OK;
	uint64_t id;

	if (slot < 0 || (uint64_t)e->id > ID_LOW_MASK)
		return vigil__err(ls->st->ctx, VIGIL_EINTERNAL, "entry id out of range");
	id = (uint64_t)slot << ID_BANK_SHIFT | (uint64_t)e->id;
	if (e->type == VIGIL_HASH_PDQ)
		return load_pdq(ls, e->value, e->quality, id);
	if (e->type >= VIGIL_HASH_MD5 && e->type <= VIGIL_HASH_SHA256) {
		rc = vigil_exact_add(m->ex, (vigil_digest_algo)(e->type - 1), e->value, id);
		if (!rc)
			m->entries++;
	}
	return rc;
}

static int load_frame(void *user, const vigil__frame *f)
{
	load_state *ls = user;
	vigil_matcher *m = ls->m;
	int slot = bank_slot(m, f->bank_id);
	frame_map *p;

	if (slot < 0 || (uint64_t)f->id > ID_LOW_MASK)
		return vigil__err(ls->st->ctx, VIGIL_EINTERNAL, "frame id out of range");
	p = vigil__grow(m->frames, &m->capframes, m->nframes, sizeof(*p));
	if (!p)
		return vigil__err(ls->st->ctx, VIGIL_ENOMEM, "out of memory");
	m->frames = p;
	m->frames[m->nframes].frame_id = (uint64_t)f->id;
	m->frames[m->nframes].entry_id = f->entry_id;
	m->frames[m->nframes].quality = f->quality;
	m->nframes++;
	return load_pdq(ls, f->hash, f->quality,
			ID_FRAME | (uint64_t)slot << ID_BANK_SHIFT | (uint64_t)f->id);
}

static int by_entry_id(const void *a, const void *b)
{
	int64_t x = ((const video_count *)a)->entry_id, y = ((const video_count *)b)->entry_id;

	return (x > y) - (x < y);
}

/* Per stored video, how many of its frames have usable quality: the
 * denominator of the "compared" percentage of video matching. */
int vigil__matcher_count_videos(vigil_matcher *m, vigil_ctx *ctx)
{
	size_t i, k = 0;

	vigil__free(m->videos);
	m->videos = NULL;
	m->nvideos = 0;
	if (!m->nframes)
		return VIGIL_OK;
	m->videos = vigil__calloc(m->nframes, sizeof(*m->videos));
	if (!m->videos)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	for (i = 0; i < m->nframes; i++) {
		m->videos[i].entry_id = m->frames[i].entry_id;
		m->videos[i].frames = m->frames[i].quality >= VIGIL__VIDEO_MIN_QUALITY;
	}
	qsort(m->videos, m->nframes, sizeof(*m->videos), by_entry_id);
	for (i = 1; i < m->nframes; i++) {
		if (m->videos[i].entry_id == m->videos[k].entry_id)
			m->videos[k].frames += m->videos[i].frames;
		else
			m->videos[++k] = m->videos[i];
	}
	m->nvideos = k + 1;
	return VIGIL_OK;
}

size_t vigil__matcher_video_frames(const vigil_matcher *m, int64_t entry_id)
{
	video_count key = {entry_id, 0};
	const video_count *v = m->nvideos ? bsearch(&key, m->videos, m->nvideos,
						    sizeof(*m->videos), by_entry_id)
					  : NULL;

	return v ? v->frames : 0;
}

int vigil__matcher_by_frame_id(const void *a, const void *b)
{
	uint64_t x = ((const frame_map *)a)->frame_id, y = ((const frame_map *)b)->frame_id;

	return (x > y) - (x < y);
}

int vigil__matcher_alloc(vigil_ctx *ctx, size_t nbanks, vigil_matcher **out)
{
	vigil_matcher *m;
	pthread_rwlockattr_t attr;
	int rc;

	*out = NULL;
	m = vigil__calloc(1, sizeof(*m));
	if (!m)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	rc = vigil_index_new(ctx, &m->ix);
	if (!rc)
		rc = vigil_exact_new(ctx, &m->ex);
	if (rc) {
		vigil_matcher_free(m);
		return rc;
	}
	/* Writer-preferring, as the index's: live changes must not starve
	 * behind a steady stream of queries. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&m->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	pthread_mutex_init(&m->wlock, NULL);
	m->banks = vigil__calloc(nbanks ? nbanks : 1, sizeof(*m->banks));
	m->capbanks = nbanks ? nbanks : 1;
	if (!m->banks) {
		pthread_rwlock_destroy(&m->lock);
		pthread_mutex_destroy(&m->wlock);
		vigil_matcher_free(m);
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	}
	*out = m;
	return VIGIL_OK;
}

int vigil_matcher_open(vigil_store *st, vigil_matcher **out)
{
	vigil_matcher *m = NULL;
	vigil_bank *all = NULL;
	load_state ls = {0};
	size_t n = 0, i;
	int64_t seq = 0;
	int rc = VIGIL_OK;

	if (!st || !out)
		return VIGIL_EINVAL;
	*out = NULL;
	/* The log's head before anything is read: a lower bound of what
	 * the load sees, so replaying from it (snapshots, sync) misses
	 * nothing. */
	if (st->ops->changes_head)
		rc = st->ops->changes_head(st, &seq);
	if (!rc)
		rc = vigil_bank_list(st, &all, &n);
	if (!rc)
		rc = vigil__matcher_alloc(st->ctx, n, &m);
	if (rc)
		goto out;
	m->seq = seq;
	for (i = 0; i < n; i++)
		if (all[i].enabled)
			m->banks[m->nbanks++] = all[i];
	if (m->nbanks > ID_BANK_MASK) {
		rc = vigil__err(st->ctx, VIGIL_ETOOBIG, "too many banks");
		goto out;
	}
	ls.m = m;
	ls.st = st;
	rc = st->ops->scan_hashes(st, load_entry, &ls);
	if (!rc)
		rc = st->ops->scan_frames(st, 0, 0, load_frame, &ls);
	if (!rc)
		rc = load_flush(&ls);
	if (rc)
		goto out;
	if (m->nframes)
		qsort(m->frames, m->nframes, sizeof(*m->frames), vigil__matcher_by_frame_id);
	rc = vigil__matcher_count_videos(m, st->ctx);
	if (rc)
		goto out;
	*out = m;
	m = NULL;
out:
	vigil__free(ls.hashes);
	vigil__free(ls.ids);
	free(all);
	vigil_matcher_free(m);
	return rc;
}

void vigil_matcher_free(vigil_matcher *m)
{
	if (!m)
		return;
	vigil_index_free(m->ix);
	vigil_exact_free(m->ex);
	if (m->banks) {
		pthread_rwlock_destroy(&m->lock);
		pthread_mutex_destroy(&m->wlock);
	}
	vigil__free(m->banks);
	vigil__free(m->frames);
	vigil__free(m->videos);
	vigil__free(m);
}

size_t vigil_matcher_size(const vigil_matcher *m)
{
	return m ? __atomic_load_n(&m->entries, __ATOMIC_RELAXED) : 0;
}

int vigil__matcher_active(const vigil_matcher *m, uint64_t id)
{
	size_t slot = (size_t)((id >> ID_BANK_SHIFT) & ID_BANK_MASK);

	return slot < m->nbanks && m->banks[slot].enabled;
}

static int64_t frame_entry(const vigil_matcher *m, uint64_t frame_id)
{
	frame_map key = {frame_id, 0, 0};
	const frame_map *f = m->nframes ? bsearch(&key, m->frames, m->nframes,
						  sizeof(*m->frames), vigil__matcher_by_frame_id)
					: NULL;

	return f ? f->entry_id : 0;
}

void vigil__matcher_describe(const vigil_matcher *m, uint64_t id, vigil_match *o)
{
	size_t slot = (size_t)((id >> ID_BANK_SHIFT) & ID_BANK_MASK);

	memset(o, 0, sizeof(*o));
	o->bank_id = m->banks[slot].id;
	memcpy(o->bank, m->banks[slot].name, sizeof(o->bank));
	if (id & ID_FRAME) {
		o->type = VIGIL_HASH_VPDQ;
		o->entry_id = frame_entry(m, id & ID_LOW_MASK);
	} else {
		o->entry_id = (int64_t)(id & ID_LOW_MASK);
	}
}

static int pdq_locked(vigil_matcher *m, vigil_ctx *ctx, const vigil_pdq *q,
		      const vigil_pdq dih[8], int radius, vigil_match *out,
		      size_t max, size_t *found)
{
	vigil_index_hit few[MATCH_FEW_HITS], *hits = few;
	size_t n = 0, i, k = 0;
	int rc;

	if (!m || !q || !found || (max && !out))
		return vigil__err(ctx, VIGIL_EINVAL, "matcher_pdq: bad argument");
	*found = 0;
	/* Most queries hit nothing or a few entries: a stack buffer first,
	 * and only with more hits than it holds the full one (229 KB: from
	 * malloc on every query it cost page faults, issue 14), asked again. */
	rc = dih ? vigil_index_query_dihedral(m->ix, dih, radius, few,
					      MATCH_FEW_HITS, &n)
		 : vigil_index_query(m->ix, q, radius, few, MATCH_FEW_HITS, &n);
	if (!rc && n > MATCH_FEW_HITS) {
		hits = vigil__malloc(sizeof(*hits) * MATCH_MAX_HITS);
		if (!hits)
			return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
		rc = dih ? vigil_index_query_dihedral(m->ix, dih, radius, hits,
						      MATCH_MAX_HITS, &n)
			 : vigil_index_query(m->ix, q, radius, hits, MATCH_MAX_HITS, &n);
	}
	if (rc)
		goto out;
	if (n > (hits == few ? MATCH_FEW_HITS : MATCH_MAX_HITS))
		n = hits == few ? MATCH_FEW_HITS : MATCH_MAX_HITS;
	/* Hits come nearest first; several frames of one video collapse into
	 * its nearest. */
	for (i = 0; i < n; i++) {
		vigil_match mt;
		size_t j;
		int dup = 0;
		if (!vigil__matcher_active(m, hits[i].id))
			continue;
		vigil__matcher_describe(m, hits[i].id, &mt);
		if (mt.type == VIGIL_HASH_VPDQ && !mt.entry_id)
			continue; /* a video removed while running (live.c) */
		if (mt.type == VIGIL_HASH_VPDQ)
			for (j = 0; j < k && j < max; j++)
				if (out[j].entry_id == mt.entry_id)
					dup = 1;
		if (dup)
			continue;
		if (mt.type != VIGIL_HASH_VPDQ)
			mt.type = VIGIL_HASH_PDQ;
		memcpy(mt.value, hits[i].hash.bits, 32);
		mt.quality = hits[i].hash.quality;
		mt.distance = hits[i].distance;
		mt.variant = hits[i].variant;
		if (k < max)
			out[k] = mt;
		k++;
	}
	*found = k;
out:
	if (hits != few)
		vigil__free(hits);
	return rc;
}

/* Queries hold the matcher's read lock: live changes (live.c) may grow
 * banks[] meanwhile. */
int vigil_matcher_pdq(vigil_matcher *m, vigil_ctx *ctx, const vigil_pdq *q,
		      const vigil_pdq dih[8], int radius, vigil_match *out,
		      size_t max, size_t *found)
{
	int rc;

	if (!m)
		return vigil__err(ctx, VIGIL_EINVAL, "matcher_pdq: bad argument");
	pthread_rwlock_rdlock(&m->lock);
	rc = pdq_locked(m, ctx, q, dih, radius, out, max, found);
	pthread_rwlock_unlock(&m->lock);
	return rc;
}

static int digest_locked(vigil_matcher *m, vigil_ctx *ctx, int type,
			 const uint8_t *value, vigil_match *out, size_t max,
			 size_t *found)
{
	uint64_t ids[64];
	size_t n = 0, i, k;
	int rc;

	if (!m || !value || !found || (max && !out) || type < VIGIL_HASH_MD5 ||
	    type > VIGIL_HASH_SHA256)
		return vigil__err(ctx, VIGIL_EINVAL, "matcher_digest: bad argument");
	rc = vigil_exact_lookup(m->ex, (vigil_digest_algo)(type - 1), value, ids, 64, &n);
	if (rc)
		return rc;
	if (n > 64)
		n = 64;
	for (i = 0, k = 0; i < n; i++) {
		if (!vigil__matcher_active(m, ids[i]))
			continue;
		if (k < max) {
			vigil__matcher_describe(m, ids[i], &out[k]);
			out[k].type = type;
			memcpy(out[k].value, value, vigil_hash_type_size(type));
			out[k].quality = -1;
			out[k].variant = -1;
		}
		k++;
	}
	*found = k;
	return VIGIL_OK;
}

int vigil_matcher_digest(vigil_matcher *m, vigil_ctx *ctx, int type,
			 const uint8_t *value, vigil_match *out, size_t max,
			 size_t *found)
{
	int rc;

	if (!m)
		return vigil__err(ctx, VIGIL_EINVAL, "matcher_digest: bad argument");
	pthread_rwlock_rdlock(&m->lock);
	rc = digest_locked(m, ctx, type, value, out, max, found);
	pthread_rwlock_unlock(&m->lock);
	return rc;
}
