/* people.c — accounts and sessions of the review page (vigil/people.h):
 * argument checks, then the backend. */
#include "store.h"

#include <string.h>

int vigil_person_add(vigil_store *st, const char *name, unsigned roles,
		     const char *pwhash)
{
	if (!st || !name || !pwhash)
		return VIGIL_EINVAL;
	if (!vigil__bank_name_ok(name) || !roles || !*pwhash ||
	    strlen(pwhash) > VIGIL_PWHASH_MAX)
		return vigil__err(st->ctx, VIGIL_EINVAL,
				  "user: a name like a bank's, a role and a password hash");
	return NEED_OP(st, person_add, name, roles, pwhash);
}

int vigil_person_get(vigil_store *st, const char *name, vigil_person *out)
{
	if (!st || !name || !out)
		return VIGIL_EINVAL;
	return NEED_OP(st, person_get, name, out);
}

int vigil_person_login_result(vigil_store *st, const char *name, int ok,
			      int64_t now, int max_fail, int64_t lock_seconds)
{
	if (!st || !name || max_fail < 1 || lock_seconds < 0)
		return VIGIL_EINVAL;
	return NEED_OP(st, person_login_result, name, ok, now, max_fail, lock_seconds);
}

int vigil_session_add(vigil_store *st, const vigil_session *s)
{
	if (!st || !s || !*s->name || strlen(s->csrf) != 64)
		return VIGIL_EINVAL;
	return NEED_OP(st, session_add, s);
}

int vigil_session_get(vigil_store *st, const uint8_t digest[32], vigil_session *out)
{
	if (!st || !digest || !out)
		return VIGIL_EINVAL;
	return NEED_OP(st, session_get, digest, out);
}

int vigil_session_touch(vigil_store *st, const uint8_t digest[32], int64_t now)
{
	if (!st || !digest)
		return VIGIL_EINVAL;
	return NEED_OP(st, session_set, digest, now, 0);
}

int vigil_session_end(vigil_store *st, const uint8_t digest[32], int64_t now)
{
	if (!st || !digest)
		return VIGIL_EINVAL;
	return NEED_OP(st, session_set, digest, now, 1);
}

int vigil_view_prefs_get(vigil_store *st, const char *name, vigil_view_prefs *out)
{
	if (!st || !name || !out)
		return VIGIL_EINVAL;
	return NEED_OP(st, view_prefs_get, name, out);
}

int vigil_view_prefs_put(vigil_store *st, const char *name, const vigil_view_prefs *p)
{
	if (!st || !name || !*name || !p || p->blur < 0 || p->blur > 32 || p->size < 32 ||
	    p->size > 1024 || (p->sepia != 0 && p->sepia != 1))
		return VIGIL_EINVAL;
	return NEED_OP(st, view_prefs_put, name, p);
}
