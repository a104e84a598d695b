/* snapshot.c — a matcher saved to a file and started from it: the index's
 * arrays are mapped and used in place (src/index/snapshot.c), the small
 * parts (banks, vPDQ frame map, digests) are read into memory, then every
 * store change logged after the snapshot's sequence number is replayed.
 *
 * Trust: nothing in the file is used before it is checked — format
 * version, byte order, every checksum (src/core/snapfile.c), the store's
 * identity and the change log: the snapshot's sequence number must lie
 * between the log's floor (older changes are pruned: they could not be
 * replayed) and its head (a newer number is another history: a restored
 * backup, a store made again). Any failure is a reason given back, and
 * the caller's matcher is built from the store instead.
 *
 * Why a lower bound suffices: the matcher's seq is a change up to which
 * everything is in it; changes after it may be in it too (applied live
 * before they were read back). Replaying those is a no-op: re-adding an
 * entry is one, removing an absent one is, a bank change loads or drops
 * by the bank's state now. */
#include "matcher_int.h"
#include "../core/snapfile.h"
#include "../index/index_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Bump on any change to what a section holds or how (including the
 * index's arrays and struct ix_snap_meta): an older file is then rebuilt,
 * never misread. */
#define SNAP_VERSION 2 /* 2: the index's offsets in blocks (src/index) */
#define CATCH_UP_BATCH 10000

enum {
	K_BANKS = 1,   /* struct snap_bank, in slot order */
	K_FRAMES = 2,  /* struct snap_frame, by frame id */
	K_DIGESTS = 3, /* struct snap_digest */
	K_INDEX = 0x100, /* .. + VIGIL__IX_SNAP_KINDS: the index */
};

/* Fixed-width records, so the file does not follow struct padding. */
struct snap_bank {
	int64_t id;
	int32_t enabled;
	int32_t pad;
	char name[VIGIL_NAME_MAX + 1 + 7];
};
struct snap_frame {
	uint64_t frame_id;
	int64_t entry_id;
	int32_t quality;
	int32_t pad;
};
struct snap_digest {
	uint32_t algo;
	uint32_t pad;
	uint8_t digest[VIGIL_DIGEST_MAX];
	uint64_t id;
};

/* ----------------------------------------------------------- replay */

int vigil__matcher_apply(vigil_matcher *m, vigil_store *st, vigil_ctx *ctx,
			 const vigil_change *c)
{
	int rc = VIGIL_OK;

	switch (c->kind) {
	case VIGIL_CHANGE_ADD:
		if (c->bank.enabled < 0)
			break; /* its bank has gone since */
		/* Videos come with their frames: the bank's loader reads them
		 * (entries already loaded are not loaded twice). */
		rc = c->entry.type == VIGIL_HASH_VPDQ
			     ? (c->bank.enabled ? vigil_matcher_load_bank(m, st, c->bank.name)
						: VIGIL_OK)
			     : vigil_matcher_add(m, ctx, &c->bank, &c->entry);
		break;
	case VIGIL_CHANGE_REMOVE:
		rc = vigil_matcher_remove(m, ctx, &c->entry);
		break;
	case VIGIL_CHANGE_BANK:
		rc = c->bank.enabled > 0 ? vigil_matcher_load_bank(m, st, c->bank.name)
					 : vigil_matcher_drop_bank(m, c->bank.id);
		break;
	}
	pthread_mutex_lock(&m->wlock);
	if (c->seq > m->seq)
		m->seq = c->seq;
	pthread_mutex_unlock(&m->wlock);
	return rc;
}

int vigil_matcher_apply_change(vigil_matcher *m, vigil_store *st, vigil_ctx *ctx,
			       const vigil_change *c)
{
	if (!m || !st || !c)
		return VIGIL_EINVAL;
	return vigil__matcher_apply(m, st, ctx ? ctx : st->ctx, c);
}

struct replay {
	vigil_matcher *m;
	vigil_store *st;
	int64_t applied;
	int failed;          /* changes that could not be applied */
	char first[VIGIL__ERRMSG_MAX];
};

static int replay_one(void *user, const vigil_change *c)
{
	struct replay *r = user;

	/* One bad change must not stop the rest (as sync.c): counted, the
	 * first reason kept. */
	if (vigil__matcher_apply(r->m, r->st, r->st->ctx, c) && !r->failed++)
		snprintf(r->first, sizeof(r->first), "change %lld: %s", (long long)c->seq,
			 vigil_errmsg(r->st->ctx));
	r->applied++;
	return 0;
}

int vigil_matcher_catch_up(vigil_matcher *m, vigil_store *st, int64_t *applied)
{
	struct replay r = {0};
	int64_t since, last;
	int rc;

	if (!m || !st)
		return VIGIL_EINVAL;
	r.m = m;
	r.st = st;
	pthread_mutex_lock(&m->wlock);
	since = m->seq;
	pthread_mutex_unlock(&m->wlock);
	for (;;) {
		int64_t before = r.applied;
		rc = vigil_store_changes(st, since, CATCH_UP_BATCH, replay_one, &r, &last);
		if (rc)
			break;
		pthread_mutex_lock(&m->wlock);
		if (last > m->seq)
			m->seq = last; /* past changes skipped by the scan too */
		pthread_mutex_unlock(&m->wlock);
		if (last == since || r.applied - before < CATCH_UP_BATCH)
			break;
		since = last;
	}
	if (applied)
		*applied = r.applied;
	if (!rc && r.failed)
		rc = vigil__err(st->ctx, VIGIL_ESTORE, "%d changes not applied, first %s",
				r.failed, r.first);
	return rc;
}

int64_t vigil_matcher_seq(vigil_matcher *m)
{
	int64_t seq;

	if (!m)
		return 0;
	pthread_mutex_lock(&m->wlock);
	seq = m->seq;
	pthread_mutex_unlock(&m->wlock);
	return seq;
}

/* ------------------------------------------------------------ write */

static int put_digest(void *user, int algo, const uint8_t *digest, uint64_t id)
{
	struct snap_digest d;

	memset(&d, 0, sizeof(d));
	d.algo = (uint32_t)algo;
	memcpy(d.digest, digest, VIGIL_DIGEST_MAX);
	d.id = id;
	return vigil__snapw_put(user, &d, sizeof(d));
}

int vigil_matcher_snapshot_write(vigil_matcher *m, vigil_store *st, const char *path)
{
	vigil__snap_tag tag;
	vigil__snapw *w = NULL;
	size_t i;
	int rc;

	if (!m || !st || !path || !*path)
		return VIGIL_EINVAL;
	if (!st->ops->store_identity || !st->ops->changes_head)
		return vigil__op_missing(st, "store_identity");
	memset(&tag, 0, sizeof(tag));
	rc = st->ops->store_identity(st, tag.identity, sizeof(tag.identity));
	if (!rc)
		rc = vigil__snapw_open(st->ctx, path, SNAP_VERSION, &w);
	if (rc)
		return rc;
	/* wlock: no change lands between the content and its seq; m->lock
	 * (shared): banks[] and frames[] hold still, queries go on. */
	pthread_mutex_lock(&m->wlock);
	pthread_rwlock_rdlock(&m->lock);
	tag.seq = m->seq;
	tag.created = (int64_t)time(NULL);
	rc = vigil__snapw_begin(w, K_BANKS);
	for (i = 0; !rc && i < m->nbanks; i++) {
		struct snap_bank b;
		memset(&b, 0, sizeof(b));
		b.id = m->banks[i].id;
		b.enabled = m->banks[i].enabled;
		snprintf(b.name, sizeof(b.name), "%s", m->banks[i].name);
		rc = vigil__snapw_put(w, &b, sizeof(b));
	}
	if (!rc)
		rc = vigil__snapw_begin(w, K_FRAMES);
	for (i = 0; !rc && i < m->nframes; i++) {
		struct snap_frame f;
		memset(&f, 0, sizeof(f));
		f.frame_id = m->frames[i].frame_id;
		f.entry_id = m->frames[i].entry_id;
		f.quality = m->frames[i].quality;
		rc = vigil__snapw_put(w, &f, sizeof(f));
	}
	if (!rc)
		rc = vigil__snapw_begin(w, K_DIGESTS);
	if (!rc)
		rc = vigil__exact_each(m->ex, put_digest, w);
	if (!rc)
		rc = vigil__ix_snap_write(m->ix, w, K_INDEX);
	pthread_rwlock_unlock(&m->lock);
	pthread_mutex_unlock(&m->wlock);
	if (rc) {
		vigil__snapw_abort(w);
		return rc;
	}
	return vigil__snapw_commit(w, &tag);
}

/* ------------------------------------------------------------- read */

/* Bank names as the store has them now (renames are not logged): from
 * policy_scan, which, unlike vigil_bank_list, counts no entries (a count
 * is a scan of the bank: as long as the rest of the start-up at 1M). */
struct names {
	vigil_matcher *m;
	uint8_t *seen;
};

static int take_name(void *user, int64_t bank_id, const char *name, const char *json)
{
	struct names *n = user;

	(void)json;
	for (size_t i = 0; i < n->m->nbanks; i++)
		if (n->m->banks[i].id == bank_id) {
			snprintf(n->m->banks[i].name, sizeof(n->m->banks[i].name), "%s",
				 name ? name : "");
			n->seen[i] = 1;
		}
	return 0;
}

/* A matcher from a verified snapshot, before any replay. */
static int from_snapshot(vigil_store *st, vigil__snapr *r, vigil_matcher **out)
{
	const struct snap_bank *b;
	const struct snap_frame *f;
	const struct snap_digest *d;
	vigil_matcher *m = NULL;
	struct names names = {0};
	size_t nb, nf, nd, i;
	int rc;

	*out = NULL;
	b = vigil__snapr_get(r, K_BANKS, &nb);
	f = vigil__snapr_get(r, K_FRAMES, &nf);
	d = vigil__snapr_get(r, K_DIGESTS, &nd);
	if (!b || !f || !d || nb % sizeof(*b) || nf % sizeof(*f) || nd % sizeof(*d))
		return vigil__err(st->ctx, VIGIL_EFORMAT, "snapshot: sections missing");
	nb /= sizeof(*b);
	nf /= sizeof(*f);
	nd /= sizeof(*d);
	if (nb > VIGIL__ID_BANK_MASK)
		return vigil__err(st->ctx, VIGIL_EFORMAT, "snapshot: too many banks");
	rc = vigil__matcher_alloc(st->ctx, nb, &m);
	if (rc)
		return rc;
	for (i = 0; i < nb; i++) {
		m->banks[i].id = b[i].id;
		m->banks[i].enabled = b[i].enabled;
		memcpy(m->banks[i].name, b[i].name, sizeof(m->banks[i].name) - 1);
	}
	m->nbanks = nb;
	/* enabled as in the snapshot (later changes are replayed); a bank
	 * gone from the store is not matched */
	names.m = m;
	names.seen = vigil__calloc(nb ? nb : 1, 1);
	if (!names.seen) {
		rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	rc = NEED_OP(st, policy_scan, take_name, &names);
	if (rc)
		goto out;
	for (i = 0; i < nb; i++)
		if (!names.seen[i])
			m->banks[i].enabled = 0;
	if (nf) {
		m->frames = vigil__malloc(nf * sizeof(*m->frames));
		if (!m->frames) {
			rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
			goto out;
		}
		m->nframes = m->capframes = nf;
		for (i = 0; i < nf; i++) {
			m->frames[i].frame_id = f[i].frame_id;
			m->frames[i].entry_id = f[i].entry_id;
			m->frames[i].quality = f[i].quality;
		}
	}
	for (i = 0; i < nd && !rc; i++) {
		if (d[i].algo >= VIGIL__DIGEST_END) {
			rc = vigil__err(st->ctx, VIGIL_EFORMAT, "snapshot: bad digest");
			break;
		}
		rc = vigil_exact_add(m->ex, (vigil_digest_algo)d[i].algo, d[i].digest, d[i].id);
	}
	if (!rc)
		rc = vigil__matcher_count_videos(m, st->ctx);
	if (!rc)
		rc = vigil__ix_snap_adopt(m->ix, r, K_INDEX);
	if (rc)
		goto out;
	m->seq = r->tag.seq;
	m->entries = vigil_index_size(m->ix) + vigil_exact_size(m->ex);
	*out = m;
	m = NULL;
out:
	vigil__free(names.seen);
	vigil_matcher_free(m);
	return rc;
}

/* The snapshot at path, checked, then brought up to date; VIGIL_OK or a
 * failure whose message says why it was not used. */
static int try_snapshot(vigil_store *st, const char *path, vigil_matcher **out,
			vigil_snapshot_info *info)
{
	vigil__snapr r;
	char id[VIGIL__SNAP_IDMAX];
	int64_t head = 0, floor = 0;
	vigil_matcher *m = NULL;
	int rc;

	if (!st->ops->store_identity || !st->ops->changes_head || !st->ops->changes_floor)
		return vigil__op_missing(st, "store_identity");
	rc = vigil__snapr_open(st->ctx, path, SNAP_VERSION, &r);
	if (rc)
		return rc;
	info->seq = r.tag.seq;
	rc = st->ops->store_identity(st, id, sizeof(id));
	if (!rc && strcmp(id, r.tag.identity))
		rc = vigil__err(st->ctx, VIGIL_EFORMAT,
				"%s: made from another store (%s, this is %s)", path,
				r.tag.identity, id);
	if (!rc)
		rc = st->ops->changes_head(st, &head);
	if (!rc)
		rc = st->ops->changes_floor(st, &floor);
	if (!rc && r.tag.seq < floor)
		rc = vigil__err(st->ctx, VIGIL_EFORMAT,
				"%s: stale (change %lld; the log was pruned up to %lld)",
				path, (long long)r.tag.seq, (long long)floor);
	if (!rc && r.tag.seq > head)
		rc = vigil__err(st->ctx, VIGIL_EFORMAT,
				"%s: ahead of the store (change %lld; the log ends at %lld)",
				path, (long long)r.tag.seq, (long long)head);
	if (!rc)
		rc = from_snapshot(st, &r, &m);
	vigil__snapr_close(&r); /* a no-op for the part the index kept */
	if (!rc)
		rc = vigil_matcher_catch_up(m, st, &info->replayed);
	if (rc) {
		vigil_matcher_free(m);
		return rc;
	}
	*out = m;
	return VIGIL_OK;
}

int vigil_matcher_open_snapshot(vigil_store *st, const char *path,
				vigil_matcher **out, vigil_snapshot_info *info)
{
	vigil_snapshot_info dummy;
	int rc;

	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	if (!st || !path || !out)
		return VIGIL_EINVAL;
	*out = NULL;
	rc = try_snapshot(st, path, out, info);
	if (!rc) {
		info->used = 1;
		return VIGIL_OK;
	}
	snprintf(info->reason, sizeof(info->reason), "%s", vigil_errmsg(st->ctx));
	return vigil_matcher_open(st, out);
}
