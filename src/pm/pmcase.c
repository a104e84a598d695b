/* pmcase.c — the review case of an account whose evidence opened, for
 * both designs: E1 in `vigil serve` (src/server/route_pm.c) and F2 at the
 * platform's pm-server (f2server.c). Each opened item is kept sealed as
 * one of the case's media, so reviewers see it only through the case
 * routes with the review protections (a protected derivative, the
 * original only to the claimant, counted). The case, its items, the
 * caller's event and the audit row are one transaction; the caller
 * records its new match count after it, so a crash between the two
 * repeats this at the next opening, and the join plus the media's digest
 * check keep each item once. */
#include "pm_int.h"

#include "../core/core.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seals one item into the case (kept once: the store skips a digest the
 * case already holds). */
static int keep(vigil_ctx *c, vigil_store *st, const uint8_t key[32], int64_t case_id,
		const uint8_t *data, size_t len)
{
	vigil_case_media m;
	int n = 0, rc;

	memset(&m, 0, sizeof(m));
	m.case_id = case_id;
	snprintf(m.content_type, sizeof(m.content_type), "%s", vigil_media_type(data, len));
	m.bytes = (int64_t)len;
	crypto_hash_sha256(m.sha256, data, len);
	rc = vigil_seal(c, key, data, len, &m.sealed, &m.sealed_len);
	if (!rc)
		rc = vigil_case_media_add(st, &m, &n);
	free(m.sealed);
	return rc;
}

int vigil_pm_case_record(vigil_ctx *c, vigil_store *st, const vigil_pm_case *in,
			  int64_t *case_id, int *joined)
{
	char surface[16], join[16];
	json_t *context, *matches, *detail = NULL;
	char *ctext = NULL, *mtext = NULL, *dtext = NULL;
	vigil_case_new cn;
	vigil_audit au;
	int rc = VIGIL_ENOMEM;

	*case_id = 0;
	*joined = 0;
	/* surface "pm-e1", join key "pm:e1", match type "pm_e1" */
	snprintf(surface, sizeof surface, "pm-%s", in->design);
	snprintf(join, sizeof join, "pm:%s", in->design);
	context = json_pack("{s:s,s:s}", "surface", surface, "user_id", in->account);
	matches = json_pack("[{s:s,s:I}]", "type", in->design[0] == 'e' ? "pm_e1" : "pm_f2",
			    "matched", (json_int_t)in->n);
	ctext = context ? json_dumps(context, JSON_COMPACT) : NULL;
	mtext = matches ? json_dumps(matches, JSON_COMPACT) : NULL;
	if (!ctext || !mtext)
		goto out;
	memset(&cn, 0, sizeof(cn));
	cn.source = "pm";
	cn.join_key = join;
	cn.priority = in->priority;
	cn.user_id = in->account;
	cn.context = ctext;
	cn.matches = mtext;
	rc = vigil_store_begin(st);
	if (rc)
		goto out;
	rc = vigil_case_open(st, &cn, case_id, joined);
	for (size_t i = 0; !rc && in->seal && i < in->n && i < VIGIL_CASE_MEDIA_MAX; i++) {
		const uint8_t *ev;
		size_t el;
		if (!in->evidence(in->user, i, &ev, &el) && el)
			rc = keep(c, st, in->seal, *case_id, ev, el);
	}
	if (!rc && !*joined && in->created)
		rc = in->created(in->created_user, st, *case_id, cn.priority, context);
	if (!rc) {
		detail = json_pack("{s:I,s:I,s:b}", "case", (json_int_t)*case_id, "matched",
				   (json_int_t)in->n, "joined", *joined);
		dtext = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
		memset(&au, 0, sizeof(au));
		au.who = in->who && *in->who ? in->who : "-";
		au.role = in->role ? in->role : "";
		au.action = "pm.case";
		au.object = in->account;
		au.detail = dtext;
		au.source = in->source ? in->source : "";
		rc = dtext ? vigil_audit_append(st, &au) : VIGIL_ENOMEM;
	}
	if (!rc)
		rc = vigil_store_commit(st);
	if (rc)
		vigil_store_rollback(st);
out:
	json_decref(context);
	json_decref(matches);
	json_decref(detail);
	free(ctext);
	free(mtext);
	free(dtext);
	return rc;
}
