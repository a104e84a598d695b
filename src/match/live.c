/* live.c — changes to a running matcher (vigil serve): entries added and
 * removed one by one, banks loaded, enabled and dropped, while queries go
 * on in other threads.
 *
 * Locking: m->wlock serialises changes. The index and the digest table
 * take their own locks for each add/remove. banks[] and the vPDQ frame
 * maps are read by queries under m->lock (shared), so they change only
 * under m->lock exclusive, held for a copy or a flag, never for I/O. */
#include "matcher_int.h"

#include <stdlib.h>
#include <string.h>

#define BATCH 65536 /* hashes per vigil_index_add_many in load_bank */

static int find_slot(const vigil_matcher *m, int64_t bank_id)
{
	for (size_t i = 0; i < m->nbanks; i++)
		if (m->banks[i].id == bank_id)
			return (int)i;
	return -1;
}

/* The bank's slot, made if needed (with wlock held). */
static int slot_for(vigil_matcher *m, vigil_ctx *ctx, const vigil_bank *b,
		    int enable)
{
	int slot = find_slot(m, b->id);

	pthread_rwlock_wrlock(&m->lock);
	if (slot < 0) {
		if (m->nbanks >= VIGIL__ID_BANK_MASK) {
			pthread_rwlock_unlock(&m->lock);
			return -vigil__err(ctx, VIGIL_ETOOBIG, "too many banks");
		}
		if (m->nbanks == m->capbanks) {
			size_t cap = m->capbanks ? 2 * m->capbanks : 8;
			vigil_bank *nb = vigil__realloc(m->banks, cap * sizeof(*nb));
			if (!nb) {
				pthread_rwlock_unlock(&m->lock);
				return -vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
			}
			m->banks = nb;
			m->capbanks = cap;
		}
		slot = (int)m->nbanks;
		m->banks[slot] = *b;
		m->banks[slot].enabled = b->enabled != 0;
		m->nbanks++;
	}
	if (enable)
		m->banks[slot].enabled = 1;
	pthread_rwlock_unlock(&m->lock);
	return slot;
}

static void recount(vigil_matcher *m)
{
	__atomic_store_n(&m->entries, vigil_index_size(m->ix) + vigil_exact_size(m->ex),
			 __ATOMIC_RELAXED);
}

static int add_one(vigil_matcher *m, vigil_ctx *ctx, int slot, const vigil_entry *e)
{
	uint64_t id;

	if ((uint64_t)e->id > VIGIL__ID_LOW_MASK || e->id <= 0)
		return vigil__err(ctx, VIGIL_EINVAL, "entry id out of range");
	id = (uint64_t)slot << VIGIL__ID_BANK_SHIFT | (uint64_t)e->id;
	if (e->type == VIGIL_HASH_PDQ) {
		vigil_pdq h;
		memcpy(h.bits, e->value, 32);
		h.quality = e->quality;
		return vigil_index_add(m->ix, &h, id);
	}
	if (e->type >= VIGIL_HASH_MD5 && e->type <= VIGIL_HASH_SHA256)
		return vigil_exact_add(m->ex, (vigil_digest_algo)(e->type - 1), e->value, id);
	return vigil__err(ctx, VIGIL_EINVAL,
			  "matcher_add: a video is loaded with vigil_matcher_load_bank");
}

int vigil_matcher_add(vigil_matcher *m, vigil_ctx *ctx, const vigil_bank *bank,
		      const vigil_entry *e)
{
	int slot, rc;

	if (!m || !bank || !e || e->bank_id != bank->id)
		return vigil__err(ctx, VIGIL_EINVAL, "matcher_add: bad argument");
	pthread_mutex_lock(&m->wlock);
	slot = slot_for(m, ctx, bank, 0);
	rc = slot < 0 ? -slot : add_one(m, ctx, slot, e);
	recount(m);
	pthread_mutex_unlock(&m->wlock);
	return rc;
}

int vigil_matcher_remove(vigil_matcher *m, vigil_ctx *ctx, const vigil_entry *e)
{
	int slot, rc = VIGIL_OK;
	uint64_t id;

	if (!m || !e)
		return vigil__err(ctx, VIGIL_EINVAL, "matcher_remove: bad argument");
	pthread_mutex_lock(&m->wlock);
	slot = find_slot(m, e->bank_id);
	if (slot < 0 || e->id <= 0 || (uint64_t)e->id > VIGIL__ID_LOW_MASK)
		goto out;
	id = (uint64_t)slot << VIGIL__ID_BANK_SHIFT | (uint64_t)e->id;
	if (e->type == VIGIL_HASH_PDQ) {
		vigil_pdq h;
		memcpy(h.bits, e->value, 32);
		h.quality = e->quality;
		rc = vigil_index_remove(m->ix, &h, id);
	} else if (e->type >= VIGIL_HASH_MD5 && e->type <= VIGIL_HASH_SHA256) {
		rc = vigil_exact_remove(m->ex, (vigil_digest_algo)(e->type - 1), e->value, id);
	}
	/* A video's frames stay in the index; queries map them to an entry
	 * that is gone, so they are dropped by the frame map below. */
	if (e->type == VIGIL_HASH_VPDQ) {
		pthread_rwlock_wrlock(&m->lock);
		for (size_t i = 0; i < m->nframes; i++)
			if (m->frames[i].entry_id == e->id)
				m->frames[i].entry_id = 0;
		pthread_rwlock_unlock(&m->lock);
	}
	if (rc == VIGIL_ENOENT)
		rc = VIGIL_OK;
out:
	recount(m);
	pthread_mutex_unlock(&m->wlock);
	return rc;
}

typedef struct load_ctx {
	vigil_matcher *m;
	vigil_ctx *ctx;
	int slot;
	vigil_pdq *h;
	uint64_t *ids;
	size_t n;
	frame_map *fr;      /* new frames */
	size_t nfr, capfr;
} load_ctx;

static int flush(load_ctx *l)
{
	int rc = l->n ? vigil_index_add_many(l->m->ix, l->h, l->ids, l->n) : VIGIL_OK;

	l->n = 0;
	return rc;
}

static int push(load_ctx *l, const uint8_t *bits, int quality, uint64_t id)
{
	memcpy(l->h[l->n].bits, bits, 32);
	l->h[l->n].quality = quality;
	l->ids[l->n++] = id;
	return l->n == BATCH ? flush(l) : VIGIL_OK;
}

static int load_one(void *user, const vigil_entry *e)
{
	load_ctx *l = user;

	if (e->type == VIGIL_HASH_VPDQ)
		return VIGIL_OK; /* its frames come from scan_frames */
	if ((uint64_t)e->id > VIGIL__ID_LOW_MASK)
		return vigil__err(l->ctx, VIGIL_EINTERNAL, "entry id out of range");
	if (e->type == VIGIL_HASH_PDQ)
		return push(l, e->value, e->quality,
			    (uint64_t)l->slot << VIGIL__ID_BANK_SHIFT | (uint64_t)e->id);
	return add_one(l->m, l->ctx, l->slot, e);
}

static int known_frame(const vigil_matcher *m, uint64_t fid)
{
	frame_map key = {fid, 0, 0};

	return m->nframes && bsearch(&key, m->frames, m->nframes, sizeof(*m->frames),
				     vigil__matcher_by_frame_id) != NULL;
}

static int load_frame(void *user, const vigil__frame *f)
{
	load_ctx *l = user;
	frame_map *p;

	if ((uint64_t)f->id > VIGIL__ID_LOW_MASK)
		return vigil__err(l->ctx, VIGIL_EINTERNAL, "frame id out of range");
	if (known_frame(l->m, (uint64_t)f->id)) /* wlock: frames[] is stable */
		return VIGIL_OK;
	p = vigil__grow(l->fr, &l->capfr, l->nfr, sizeof(*p));
	if (!p)
		return vigil__err(l->ctx, VIGIL_ENOMEM, "out of memory");
	l->fr = p;
	l->fr[l->nfr].frame_id = (uint64_t)f->id;
	l->fr[l->nfr].entry_id = f->entry_id;
	l->fr[l->nfr].quality = f->quality;
	l->nfr++;
	return push(l, f->hash, f->quality,
		    VIGIL__ID_FRAME | (uint64_t)l->slot << VIGIL__ID_BANK_SHIFT |
			    (uint64_t)f->id);
}

/* The new frames join the map before their hashes reach the index, so a
 * query never sees a frame it cannot map. */
static int merge_frames(load_ctx *l)
{
	vigil_matcher *m = l->m;
	frame_map *all;
	size_t n = m->nframes + l->nfr;
	int rc;

	if (!l->nfr)
		return VIGIL_OK;
	all = vigil__malloc(n * sizeof(*all));
	if (!all)
		return vigil__err(l->ctx, VIGIL_ENOMEM, "out of memory");
	memcpy(all, m->frames, m->nframes * sizeof(*all));
	memcpy(all + m->nframes, l->fr, l->nfr * sizeof(*all));
	qsort(all, n, sizeof(*all), vigil__matcher_by_frame_id);
	pthread_rwlock_wrlock(&m->lock);
	vigil__free(m->frames);
	m->frames = all;
	m->nframes = m->capframes = n;
	rc = vigil__matcher_count_videos(m, l->ctx);
	pthread_rwlock_unlock(&m->lock);
	return rc;
}

int vigil_matcher_load_bank(vigil_matcher *m, vigil_store *st, const char *bank)
{
	load_ctx l = {0};
	vigil_bank b;
	int rc;

	if (!m || !st)
		return VIGIL_EINVAL;
	rc = vigil_bank_get(st, bank, &b);
	if (rc)
		return rc;
	l.m = m;
	l.ctx = st->ctx;
	l.h = vigil__malloc(BATCH * sizeof(*l.h));
	l.ids = vigil__malloc(BATCH * sizeof(*l.ids));
	if (!l.h || !l.ids) {
		rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		goto out2;
	}
	pthread_mutex_lock(&m->wlock);
	l.slot = slot_for(m, st->ctx, &b, 0);
	if (l.slot < 0) {
		rc = -l.slot;
		goto out;
	}
	rc = st->ops->scan(st, b.id, load_one, &l);
	if (!rc)
		rc = st->ops->scan_frames(st, b.id, 0, load_frame, &l);
	if (!rc)
		rc = merge_frames(&l);
	if (!rc)
		rc = flush(&l);
	if (!rc && b.enabled)
		slot_for(m, st->ctx, &b, 1);
out:
	recount(m);
	pthread_mutex_unlock(&m->wlock);
out2:
	vigil__free(l.h);
	vigil__free(l.ids);
	vigil__free(l.fr);
	return rc;
}

int vigil_matcher_drop_bank(vigil_matcher *m, int64_t bank_id)
{
	int slot;

	if (!m)
		return VIGIL_EINVAL;
	pthread_mutex_lock(&m->wlock);
	slot = find_slot(m, bank_id);
	if (slot >= 0) {
		pthread_rwlock_wrlock(&m->lock);
		m->banks[slot].enabled = 0;
		pthread_rwlock_unlock(&m->lock);
	}
	pthread_mutex_unlock(&m->wlock);
	return VIGIL_OK;
}
