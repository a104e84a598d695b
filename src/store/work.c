/* work.c — shared work (vigil/store.h "shared work"): argument checks and
 * the struct's memory, then the backend. */
#include "store.h"

#include <stdlib.h>
#include <string.h>

void vigil_work_clear(vigil_work *w)
{
	if (!w)
		return;
	free(w->spec);
	free(w->result);
	free(w->media);
	memset(w, 0, sizeof(*w));
}

void vigil_works_free(vigil_work *w, size_t n)
{
	for (size_t i = 0; w && i < n; i++)
		vigil_work_clear(&w[i]);
	free(w);
}

static int text_ok(const char *s, size_t max)
{
	return s && *s && strlen(s) <= max;
}

static int state_ok(const char *s)
{
	static const char *const names[] = {"queued", "running", "watching",
					    "done",   "failed",  "removed"};

	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return 1;
	return 0;
}

int vigil_work_add(vigil_store *st, const vigil_work *w)
{
	if (!st || !w || !text_ok(w->id, VIGIL_WORK_ID_MAX) || !text_ok(w->kind, 15) ||
	    !state_ok(w->state) || strlen(w->owner) > VIGIL_TEXT_MAX ||
	    (w->spec && strlen(w->spec) > VIGIL_WORK_SPEC_MAX) ||
	    w->media_len > VIGIL_WORK_MEDIA_MAX || (w->media_len && !w->media))
		return VIGIL_EINVAL;
	return NEED_OP(st, work_add, w);
}

int vigil_work_get(vigil_store *st, const char *id, int with_media, vigil_work *out)
{
	if (!st || !text_ok(id, VIGIL_WORK_ID_MAX) || !out)
		return VIGIL_EINVAL;
	memset(out, 0, sizeof(*out));
	return NEED_OP(st, work_get, id, with_media, out);
}

int vigil_work_open(vigil_store *st, const char *kind, size_t max, vigil_work **out,
		    size_t *n)
{
	if (!st || !text_ok(kind, 15) || !max || max > 100000 || !out || !n)
		return VIGIL_EINVAL;
	*out = NULL;
	*n = 0;
	return NEED_OP(st, work_open, kind, max, out, n);
}

int vigil_work_claim(vigil_store *st, const char *id, const char *owner, const char *state,
		     int64_t lease_until_ms, int *got)
{
	if (!st || !text_ok(id, VIGIL_WORK_ID_MAX) || !text_ok(owner, VIGIL_TEXT_MAX) ||
	    (state && !state_ok(state)) || !got)
		return VIGIL_EINVAL;
	*got = 0;
	return NEED_OP(st, work_claim, id, owner, state, lease_until_ms, got);
}

int vigil_work_finish(vigil_store *st, const char *id, const char *owner, const char *state,
		      const char *result, int *done)
{
	if (!st || !text_ok(id, VIGIL_WORK_ID_MAX) || (owner && !text_ok(owner, VIGIL_TEXT_MAX)) ||
	    !state_ok(state) || (result && strlen(result) > VIGIL_WORK_SPEC_MAX) || !done)
		return VIGIL_EINVAL;
	*done = 0;
	return NEED_OP(st, work_finish, id, owner, state, result, done);
}

int vigil_work_prune(vigil_store *st, int64_t before_ms, size_t max, size_t *n)
{
	if (!st || !max || max > 100000 || !n)
		return VIGIL_EINVAL;
	*n = 0;
	return NEED_OP(st, work_prune, before_ms, max, n);
}
