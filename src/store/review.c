/* review.c — the review API (vigil/review.h): checks arguments, then the
 * backend's ops. Claims and decisions read then write, so each runs in one
 * transaction (the caller's if one is open): two reviewers racing for one
 * case are serialised by the store's write lock, and the second sees the
 * first's claim. */
#include "store.h"

#include <jansson.h>
#include <string.h>

static const char *const decision_names[VIGIL__DECISION_END] = {
	"none", "confirm", "dismiss", "escalate",
};

const char *vigil_case_decision_name(int d)
{
	return d >= 0 && d < VIGIL__DECISION_END ? decision_names[d] : "none";
}

int vigil_case_decision_parse(const char *name)
{
	int i;

	for (i = 1; name && i < VIGIL__DECISION_END; i++)
		if (!strcmp(name, decision_names[i]))
			return i;
	return -1;
}

int vigil_classification_ok(const char *c)
{
	static const char *const ok[] = { "A1", "A2", "B1", "B2" };
	size_t i;

	for (i = 0; c && i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(c, ok[i]))
			return 1;
	return 0;
}

void vigil_cases_free(vigil_case *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		vigil_case_clear(&v[i]);
	vigil__free(v);
}

int vigil_case_list(vigil_store *st, int state, int64_t now, size_t max,
		    vigil_case **out, size_t *n)
{
	int rc;

	if (!st || !out || !n || state >= VIGIL__CASE_STATE_END)
		return VIGIL_EINVAL;
	rc = NEED_OP(st, case_list, state, now, max, out, n);
	if (rc)
		return rc;
	for (size_t i = 0; !rc && i < *n; i++)
		rc = vigil__open_text(st, "cases.contexts", &(*out)[i].contexts, 1);
	if (rc) {
		vigil_cases_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

int vigil_case_review_get(vigil_store *st, int64_t id, int64_t now,
			  vigil_case_review *out)
{
	if (!st || !out)
		return VIGIL_EINVAL;
	return NEED_OP(st, case_review_get, id, now, out);
}

int vigil_case_claim(vigil_store *st, int64_t id, const char *who, int admin,
		     int64_t now, int64_t ttl, vigil_case_review *out)
{
	vigil_case_review tmp;
	int own, rc;

	if (!st || !who || !*who || strlen(who) > VIGIL_NAME_MAX || ttl <= 0)
		return st ? vigil__err(st->ctx, VIGIL_EINVAL, "claim: bad reviewer or ttl")
			  : VIGIL_EINVAL;
	rc = vigil__begin_own(st, &own);
	if (rc)
		return rc;
	rc = NEED_OP(st, case_claim, id, who, admin, now, ttl, out ? out : &tmp);
	return vigil__end_own(st, own, rc);
}

static int annotations_ok(const char *a)
{
	json_error_t e;
	json_t *j;
	size_t i;
	int ok;

	if (!a)
		return 1;
	if (strlen(a) > VIGIL_META_MAX)
		return 0;
	j = json_loads(a, JSON_REJECT_DUPLICATES, &e);
	ok = json_is_array(j);
	for (i = 0; ok && i < json_array_size(j); i++)
		ok = json_is_string(json_array_get(j, i));
	json_decref(j);
	return ok;
}

int vigil_case_decide(vigil_store *st, int64_t id, const char *who, int decision,
		      const char *classification, const char *annotations,
		      const char *note, int64_t now)
{
	int own, rc;

	if (!st)
		return VIGIL_EINVAL;
	if (!who || !*who || strlen(who) > VIGIL_NAME_MAX || decision <= 0 ||
	    decision >= VIGIL__DECISION_END)
		return vigil__err(st->ctx, VIGIL_EINVAL, "decision: bad reviewer or decision");
	if (decision == VIGIL_DECISION_CONFIRM && !vigil_classification_ok(classification))
		return vigil__err(st->ctx, VIGIL_EINVAL,
				  "confirm needs a classification: A1, A2, B1 or B2");
	if (classification && *classification && !vigil_classification_ok(classification))
		return vigil__err(st->ctx, VIGIL_EINVAL,
				  "classification is one of A1, A2, B1, B2");
	if (!annotations_ok(annotations))
		return vigil__err(st->ctx, VIGIL_EINVAL,
				  "annotations: a JSON array of strings of at most %d bytes",
				  VIGIL_META_MAX);
	if (note && strlen(note) > VIGIL_REVIEW_NOTE_MAX)
		return vigil__err(st->ctx, VIGIL_ETOOBIG, "note: at most %d bytes",
				  VIGIL_REVIEW_NOTE_MAX);
	rc = vigil__begin_own(st, &own);
	if (rc)
		return rc;
	rc = NEED_OP(st, case_decide, id, who, decision, classification, annotations,
				  note, now);
	return vigil__end_own(st, own, rc);
}

int vigil_case_media_add(vigil_store *st, const vigil_case_media *m, int *n)
{
	int tmp;

	if (!st || !m || !m->sealed || !m->sealed_len || m->bytes < 0 ||
	    memchr(m->content_type, '\0', sizeof(m->content_type)) == NULL)
		return VIGIL_EINVAL;
	return NEED_OP(st, case_media_add, m, n ? n : &tmp);
}

int vigil_case_media_get(vigil_store *st, int64_t case_id, int n,
			 vigil_case_media *out)
{
	if (!st || !out)
		return VIGIL_EINVAL;
	return NEED_OP(st, case_media_get, case_id, n, out);
}

int vigil_case_media_list(vigil_store *st, int64_t case_id, vigil_case_media *out, int cap,
			  int *n)
{
	if (!st || !out || !n || cap < 0)
		return VIGIL_EINVAL;
	return NEED_OP(st, case_media_list, case_id, out, cap, n);
}

int vigil_case_media_count(vigil_store *st, int64_t case_id, int *n)
{
	if (!st || !n)
		return VIGIL_EINVAL;
	return NEED_OP(st, case_media_count, case_id, n);
}

int vigil_reveal_add(vigil_store *st, int64_t case_id, int n, const char *who,
		     int64_t when)
{
	if (!st || !who || !*who || strlen(who) > VIGIL_NAME_MAX)
		return VIGIL_EINVAL;
	return NEED_OP(st, reveal_add, case_id, n, who, when);
}

int vigil_reveal_count(vigil_store *st, const char *who, int64_t case_id,
		       int64_t since, int64_t *count)
{
	if (!st || !count || (case_id <= 0 && !who))
		return VIGIL_EINVAL;
	return NEED_OP(st, reveal_count, who, case_id, since, count);
}
