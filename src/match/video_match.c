/* video_match.c — matching a video's frames against the banks.
 *
 * Every usable query frame (quality >= min_quality) is looked up in the
 * matcher's index, which holds image hashes and the frames of stored videos.
 * An image hit means a known image appears in the video. For stored videos
 * the reference's rule is applied from the hits: the share of query frames
 * that match some frame of the video, and the share of the video's frames
 * (quality >= 50, counted at load) that match some query frame. The index
 * is exact, so these are the brute-force percentages. */
#include "matcher_int.h"

#include <stdlib.h>
#include <string.h>

#define VM_DEFAULT_RADIUS 31
#define VM_DEFAULT_QUALITY VIGIL__VIDEO_MIN_QUALITY
#define VM_DEFAULT_QUERY_PCT 80.0
#define VM_MAX_HITS ((size_t)1 << 20) /* per query frame */

/* What is known so far about one matched entry. */
typedef struct vm_acc {
	vigil_video_match vm;
	int64_t last_frame;  /* last query frame counted, to count each once */
	uint64_t *seen;      /* videos: stored frame ids hit (with repeats) */
	size_t nseen, capseen;
	size_t distinct;     /* videos: distinct ids in seen, at the end */
} vm_acc;

typedef struct vm_state {
	vm_acc *acc;
	size_t n, cap;
} vm_state;

static vm_acc *acc_for(vm_state *s, const vigil_match *mt)
{
	vm_acc *a;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->acc[i].vm.match.entry_id == mt->entry_id &&
		    s->acc[i].vm.match.type == mt->type)
			return &s->acc[i];
	a = vigil__grow(s->acc, &s->cap, s->n, sizeof(*s->acc));
	if (!a)
		return NULL;
	s->acc = a;
	memset(&s->acc[s->n], 0, sizeof(s->acc[s->n]));
	s->acc[s->n].vm.match = *mt;
	s->acc[s->n].vm.match.distance = 257;
	s->acc[s->n].last_frame = -1;
	return &s->acc[s->n++];
}

static int seen_add(vm_acc *a, uint64_t frame_id)
{
	uint64_t *p = vigil__grow(a->seen, &a->capseen, a->nseen, sizeof(*p));

	if (!p)
		return -1;
	a->seen = p;
	a->seen[a->nseen++] = frame_id;
	return 0;
}

static int by_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a > b) - (a < b);
}

/* Sorts the hit frame ids and counts each once. */
static size_t distinct(vm_acc *a)
{
	size_t i, d = 0;

	qsort(a->seen, a->nseen, sizeof(*a->seen), by_u64);
	for (i = 0; i < a->nseen; i++)
		d += i == 0 || a->seen[i] != a->seen[i - 1];
	return d;
}

static int by_entry(const void *x, const void *y)
{
	const vigil_video_match *a = x, *b = y;

	if (a->match.entry_id != b->match.entry_id)
		return a->match.entry_id < b->match.entry_id ? -1 : 1;
	return a->match.type - b->match.type;
}

static int video_locked(vigil_matcher *m, vigil_ctx *ctx,
			const vigil_vpdq_frame *frames, size_t nframes,
			const vigil_video_match_opts *opts,
			vigil_video_match **out, size_t *nout)
{
	vigil_video_match_opts o = {0};
	vigil_index_hit *hits = NULL;
	vm_state s = {0};
	vigil_video_match *res = NULL;
	size_t cap = 4096, usable = 0, i, k, nres = 0;
	int rc = VIGIL_OK;

	if (!m || !out || !nout || (nframes && !frames))
		return vigil__err(ctx, VIGIL_EINVAL, "matcher_video: bad argument");
	*out = NULL;
	*nout = 0;
	if (opts)
		o = *opts;
	if (!o.radius)
		o.radius = VM_DEFAULT_RADIUS;
	else if (o.radius == VIGIL_RADIUS_EXACT)
		o.radius = 0;
	if (!o.min_quality)
		o.min_quality = VM_DEFAULT_QUALITY;
	if (o.query_pct <= 0)
		o.query_pct = VM_DEFAULT_QUERY_PCT;
	hits = vigil__malloc(cap * sizeof(*hits));
	if (!hits)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	for (i = 0; i < nframes; i++) {
		size_t found = 0;
		if (frames[i].quality < o.min_quality)
			continue;
		usable++;
		for (;;) {
			rc = vigil_index_query(m->ix, &frames[i].hash, o.radius, hits, cap,
					       &found);
			if (rc || found <= cap || cap >= VM_MAX_HITS)
				break;
			cap = found < VM_MAX_HITS ? found : VM_MAX_HITS;
			vigil__free(hits);
			hits = vigil__malloc(cap * sizeof(*hits));
			if (!hits) {
				rc = vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
				goto out;
			}
		}
		if (rc)
			goto out;
		for (k = 0; k < found && k < cap; k++) {
			vigil_match mt;
			vm_acc *a;
			if (!vigil__matcher_active(m, hits[k].id))
				continue;
			vigil__matcher_describe(m, hits[k].id, &mt);
			if (mt.type == VIGIL_HASH_VPDQ && !mt.entry_id)
				continue; /* removed while running (live.c) */
			if (mt.type != VIGIL_HASH_VPDQ)
				mt.type = VIGIL_HASH_PDQ;
			a = acc_for(&s, &mt);
			/* The stored video's share counts only its frames of
			 * usable quality, as its total does. */
			if (!a || (mt.type == VIGIL_HASH_VPDQ &&
				   hits[k].hash.quality >= VIGIL__VIDEO_MIN_QUALITY &&
				   seen_add(a, hits[k].id & VIGIL__ID_LOW_MASK))) {
				rc = vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
				goto out;
			}
			if (hits[k].distance < a->vm.match.distance) {
				a->vm.match.distance = hits[k].distance;
				memcpy(a->vm.match.value, hits[k].hash.bits, 32);
				a->vm.match.quality = hits[k].hash.quality;
				a->vm.match.variant = VIGIL_DIH_ORIGINAL;
			}
			if (a->last_frame != (int64_t)i) {
				if (a->last_frame < 0)
					a->vm.seconds = frames[i].seconds;
				a->last_frame = (int64_t)i;
				a->vm.frames++;
			}
		}
	}
	res = vigil__calloc(s.n ? s.n : 1, sizeof(*res));
	if (!res) {
		rc = vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < s.n; i++) {
		vm_acc *a = &s.acc[i];
		if (a->vm.match.type == VIGIL_HASH_VPDQ) {
			size_t total = vigil__matcher_video_frames(m, a->vm.match.entry_id);
			a->vm.query_pct = usable ? 100.0 * a->vm.frames / usable : 0;
			a->vm.compared_pct = total ? 100.0 * distinct(a) / total : 0;
			if (a->vm.compared_pct > 100)
				a->vm.compared_pct = 100;
			if (a->vm.query_pct < o.query_pct ||
			    a->vm.compared_pct < o.compared_pct)
				continue;
		}
		res[nres++] = a->vm;
	}
	qsort(res, nres, sizeof(*res), by_entry);
	*out = nres ? res : NULL;
	*nout = nres;
	if (nres)
		res = NULL;
out:
	for (i = 0; i < s.n; i++)
		vigil__free(s.acc[i].seen);
	vigil__free(s.acc);
	vigil__free(res);
	vigil__free(hits);
	return rc;
}

/* Under the matcher's read lock, as the image queries. */
int vigil_matcher_video(vigil_matcher *m, vigil_ctx *ctx,
			const vigil_vpdq_frame *frames, size_t nframes,
			const vigil_video_match_opts *opts,
			vigil_video_match **out, size_t *nout)
{
	int rc;

	if (!m)
		return vigil__err(ctx, VIGIL_EINVAL, "matcher_video: bad argument");
	pthread_rwlock_rdlock(&m->lock);
	rc = video_locked(m, ctx, frames, nframes, opts, out, nout);
	pthread_rwlock_unlock(&m->lock);
	return rc;
}
