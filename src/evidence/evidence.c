/* evidence.c — preserving what was reported (vigil/evidence.h).
 *
 * An item is sealed with vigil_seal (a fresh data key per item, wrapped by
 * the master key) and stored in two parts: the wrapped key (the blob's
 * first VIGIL_SEAL_KEY_END bytes) in pres_keys, the rest in pres_items.
 * Deletion removes the key row: without it the ciphertext cannot be
 * opened, even from a backup that kept it. Plaintext exists only in
 * memory here, and is wiped before it is freed. */
#include "evidence_int.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DAYS (100 * 366) /* a retention beyond a century is a typo */

void vigil__evidence_audit(vigil_store *st, const char *who, const char *action, int64_t id,
			  const char *detail)
{
	vigil_audit a = {0};
	char obj[32];

	snprintf(obj, sizeof(obj), "%lld", (long long)id);
	a.who = who && *who ? who : "cli";
	a.role = "admin";
	a.action = action;
	a.object = obj;
	a.detail = detail ? detail : "";
	vigil_audit_append(st, &a);
}

int vigil_retention_ok(vigil_ctx *ctx, int64_t days)
{
	if (days < VIGIL_EVIDENCE_RETENTION_MIN_DAYS)
		return vigil__err(ctx, VIGIL_EINVAL, "evidence retention of %lld days is shorter "
				  "than the %d the law asks (REPORT Act, 2024: one year from the "
				  "report); it may only be longer", (long long)days,
				  VIGIL_EVIDENCE_RETENTION_MIN_DAYS);
	if (days > MAX_DAYS)
		return vigil__err(ctx, VIGIL_EINVAL, "evidence retention of %lld days: at most %d",
				  (long long)days, MAX_DAYS);
	return VIGIL_OK;
}

/* Seals plain and stores it as item it (its bytes and sha256 filled
 * here); *added is bumped when it was new. One transaction with its audit
 * record. */
static int keep(vigil_store *st, const uint8_t master[32], vigil_preserved_item *it,
		const void *plain, size_t len, const char *who, size_t *added)
{
	uint8_t *blob = NULL;
	size_t blen = 0;
	int64_t id = 0;
	int rc, own = 0;
	char detail[160];

	it->bytes = (int64_t)len;
	crypto_hash_sha256(it->sha256, plain, len);
	rc = vigil_seal(st->ctx, master, plain, len, &blob, &blen);
	if (rc)
		return rc;
	rc = vigil__begin_own(st, &own);
	if (rc)
		goto out;
	rc = NEED_OP(st, pres_add, it, blob, VIGIL_SEAL_KEY_END, blob + VIGIL_SEAL_KEY_END,
		     blen - VIGIL_SEAL_KEY_END, &id);
	if (!rc && id) {
		snprintf(detail, sizeof(detail),
			 "{\"report\":%lld,\"case\":%lld,\"kind\":\"%s\",\"n\":%d,\"bytes\":%lld}",
			 (long long)it->report_id, (long long)it->case_id, it->kind, it->n,
			 (long long)it->bytes);
		vigil__evidence_audit(st, who, "evidence.preserve", id, detail);
		(*added)++;
	}
	rc = vigil__end_own(st, own, rc);
out:
	sodium_memzero(blob, blen);
	free(blob);
	return rc;
}

static int has(const vigil_preserved_item *v, size_t n, const char *kind, int k)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].kind, kind) && v[i].n == k)
			return 1;
	return 0;
}

static void item_init(vigil_preserved_item *it, const vigil_report *r, const char *kind,
		      int n, const char *ct, int64_t now)
{
	memset(it, 0, sizeof(*it));
	it->report_id = r->id;
	it->case_id = r->case_id;
	snprintf(it->kind, sizeof(it->kind), "%s", kind);
	it->n = n;
	snprintf(it->content_type, sizeof(it->content_type), "%s", ct);
	it->preserved = now;
}

/* The case's files: unsealed from case_media and sealed again, so the
 * evidence copy has a key of its own. Without a master key, skipped. */
static int keep_files(vigil_store *st, const uint8_t *master, const vigil_report *r,
		      const vigil_preserved_item *have, size_t nhave, int64_t now,
		      const char *who, size_t *added)
{
	int nm = 0, rc;

	if (!master)
		return VIGIL_OK;
	rc = vigil_case_media_count(st, r->case_id, &nm);
	for (int k = 1; !rc && k <= nm; k++) {
		vigil_case_media m;
		vigil_preserved_item it;
		uint8_t *plain = NULL;
		size_t plen = 0;

		if (has(have, nhave, "file", k))
			continue;
		rc = vigil_case_media_get(st, r->case_id, k, &m);
		if (rc == VIGIL_ENOENT) {
			rc = VIGIL_OK; /* removed from the case: nothing to keep */
			continue;
		}
		if (rc)
			break;
		rc = vigil_unseal(st->ctx, master, m.sealed, m.sealed_len, &plain, &plen);
		free(m.sealed);
		if (rc)
			break;
		item_init(&it, r, "file", k, m.content_type, now);
		rc = keep(st, master, &it, plain, plen, who, added);
		sodium_memzero(plain, plen);
		free(plain);
	}
	return rc;
}

int vigil_preserve(vigil_store *st, const uint8_t master[32], int64_t report_id,
		   int64_t now, const char *who, unsigned flags, size_t *added)
{
	vigil_report r;
	vigil_case c;
	vigil_preserved_item *have = NULL, it;
	size_t nhave = 0, tmp = 0, i;
	json_t *files = NULL, *f, *ans = NULL, *ctx = NULL;
	char *text = NULL;
	int rc;

	if (!added)
		added = &tmp;
	*added = 0;
	if (!st || !master)
		return VIGIL_EINVAL;
	rc = vigil_report_get(st, report_id, &r);
	if (rc)
		return rc;
	memset(&c, 0, sizeof(c));
	if (r.state == VIGIL_REPORT_DRAFT && !(flags & VIGIL_PRESERVE_DRAFT))
		goto out; /* nothing was sent */
	rc = NEED_OP(st, pres_list, 0, report_id, &have, &nhave);
	if (rc)
		goto out;
	rc = keep_files(st, master, &r, have, nhave, now, who, added);
	if (rc)
		goto out;
	if (!has(have, nhave, "context", 0)) {
		rc = vigil_case_get(st, r.case_id, &c);
		if (rc)
			goto out;
		ctx = json_pack("{s:I,s:s,s:s,s:o,s:o}", "case", (json_int_t)c.id, "user_id",
				c.user_id, "content_id", c.content_id, "contexts",
				json_loads(c.contexts ? c.contexts : "[]", 0, NULL), "matches",
				json_loads(c.matches ? c.matches : "[]", 0, NULL));
		text = ctx ? json_dumps(ctx, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		if (!text) {
			rc = vigil__err(st->ctx, VIGIL_ENOMEM, "evidence: case %lld: context",
					(long long)c.id);
			goto out;
		}
		item_init(&it, &r, "context", 0, "application/json", now);
		rc = keep(st, master, &it, text, strlen(text), who, added);
		sodium_memzero(text, strlen(text));
		free(text);
		text = NULL;
		if (rc)
			goto out;
	}
	if (r.xml && !has(have, nhave, "report", 0)) {
		item_init(&it, &r, "report", 0, "application/xml", now);
		rc = keep(st, master, &it, r.xml, strlen(r.xml), who, added);
		if (rc)
			goto out;
	}
	files = json_loads(r.files ? r.files : "[]", 0, NULL);
	json_array_foreach(files, i, f) {
		const char *d = json_string_value(json_object_get(f, "details"));
		int k = (int)json_integer_value(json_object_get(f, "n"));
		if (!d || !*d || has(have, nhave, "fileinfo", k))
			continue;
		item_init(&it, &r, "fileinfo", k, "application/xml", now);
		rc = keep(st, master, &it, d, strlen(d), who, added);
		if (rc)
			goto out;
	}
	/* The answers grow (finish, retract): each count is its own item. */
	ans = json_loads(r.answers ? r.answers : "[]", 0, NULL);
	if (json_array_size(ans) && !has(have, nhave, "answers", (int)json_array_size(ans))) {
		item_init(&it, &r, "answers", (int)json_array_size(ans), "application/json", now);
		rc = keep(st, master, &it, r.answers, strlen(r.answers), who, added);
	}
out:
	json_decref(files);
	json_decref(ans);
	json_decref(ctx);
	free(have);
	vigil_case_clear(&c);
	vigil_report_clear(&r);
	return rc;
}

int vigil_preserved_list(vigil_store *st, int64_t report_id, vigil_preserved_item **out,
			size_t *n)
{
	if (!st || !out || !n)
		return VIGIL_EINVAL;
	return NEED_OP(st, pres_list, 0, report_id, out, n);
}

int vigil_preserved_get(vigil_store *st, int64_t id, vigil_preserved_item *out,
		       vigil_legal_hold **holds, size_t *nholds)
{
	vigil_preserved_item *v = NULL;
	size_t n = 0;
	int rc;

	if (!st || !out || id <= 0 || (holds && !nholds))
		return VIGIL_EINVAL;
	rc = NEED_OP(st, pres_list, id, 0, &v, &n);
	if (rc)
		return rc;
	if (!n) {
		free(v);
		return vigil__err(st->ctx, VIGIL_ENOENT, "no evidence item %lld", (long long)id);
	}
	*out = v[0];
	free(v);
	return holds ? NEED_OP(st, pres_holds, id, holds, nholds) : VIGIL_OK;
}

/* The plaintext of item id (no audit). */
static int open_item(vigil_store *st, const uint8_t master[32], int64_t id,
		     uint8_t **plain, size_t *len)
{
	uint8_t *key = NULL, *body = NULL, *blob = NULL;
	size_t kl = 0, bl = 0;
	int rc;

	rc = NEED_OP(st, pres_blob, id, &key, &kl, &body, &bl);
	if (rc)
		return rc;
	blob = malloc(kl + bl + 1);
	if (!blob) {
		rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(blob, key, kl);
	memcpy(blob + kl, body, bl);
	rc = vigil_unseal(st->ctx, master, blob, kl + bl, plain, len);
out:
	if (key)
		sodium_memzero(key, kl);
	free(key);
	free(body);
	if (blob)
		sodium_memzero(blob, kl);
	free(blob);
	return rc;
}

int vigil_preserved_open(vigil_store *st, const uint8_t master[32], int64_t id,
			const char *who, uint8_t **plain, size_t *len)
{
	int rc;

	if (!st || !master || !plain || !len)
		return VIGIL_EINVAL;
	*plain = NULL;
	*len = 0;
	rc = open_item(st, master, id, plain, len);
	vigil__evidence_audit(st, who, "evidence.show", id, rc ? "{\"result\":\"refused\"}" : "{\"result\":\"ok\"}");
	return rc;
}

int vigil_legal_hold_place(vigil_store *st, int64_t item_id, const char *reason,
			const char *who, int64_t now, int64_t *hold_id)
{
	int64_t hid = 0;
	int rc, own = 0;
	json_t *d;
	char *text;

	if (!st || !reason || !*reason)
		return st ? vigil__err(st->ctx, VIGIL_EINVAL, "a hold needs a reason") : VIGIL_EINVAL;
	if (strlen(reason) > VIGIL_EVIDENCE_REASON_MAX)
		return vigil__err(st->ctx, VIGIL_ETOOBIG, "a hold's reason is %d bytes at most",
				  VIGIL_EVIDENCE_REASON_MAX);
	rc = vigil__begin_own(st, &own);
	if (rc)
		return rc;
	rc = NEED_OP(st, pres_hold_add, item_id, reason, who && *who ? who : "cli", now, &hid);
	if (!rc) {
		d = json_pack("{s:I,s:s}", "hold", (json_int_t)hid, "reason", reason);
		text = d ? json_dumps(d, JSON_COMPACT) : NULL;
		vigil__evidence_audit(st, who, "evidence.hold", item_id, text);
		free(text);
		json_decref(d);
	}
	rc = vigil__end_own(st, own, rc);
	if (!rc && hold_id)
		*hold_id = hid;
	return rc;
}

int vigil_legal_hold_release(vigil_store *st, int64_t hold_id, const char *who, int64_t now)
{
	int64_t item = 0;
	int rc, own = 0;
	char d[64];

	if (!st)
		return VIGIL_EINVAL;
	rc = vigil__begin_own(st, &own);
	if (rc)
		return rc;
	rc = NEED_OP(st, pres_hold_release, hold_id, who && *who ? who : "cli", now, &item);
	if (!rc) {
		snprintf(d, sizeof(d), "{\"hold\":%lld}", (long long)hold_id);
		vigil__evidence_audit(st, who, "evidence.release", item, d);
	}
	return vigil__end_own(st, own, rc);
}

/* A report's latest preservation: retention counts from it, so an answer
 * or a document kept later (a retraction, a draft exported then filed)
 * keeps the whole report a full period from then. */
typedef struct latest {
	int64_t report_id, preserved;
} latest;

static int cmp_latest(const void *a, const void *b)
{
	const latest *x = a, *y = b;

	return x->report_id < y->report_id ? -1 : x->report_id > y->report_id;
}

static latest *latest_table(const vigil_preserved_item *v, size_t n, size_t *m)
{
	latest *t = malloc((n ? n : 1) * sizeof(*t));
	size_t i, k = 0;

	if (!t)
		return NULL;
	for (i = 0; i < n; i++)
		t[i] = (latest){v[i].report_id, v[i].preserved};
	qsort(t, n, sizeof(*t), cmp_latest);
	for (i = 0; i < n; i++) {
		if (k && t[k - 1].report_id == t[i].report_id) {
			if (t[i].preserved > t[k - 1].preserved)
				t[k - 1].preserved = t[i].preserved;
		} else {
			t[k++] = t[i];
		}
	}
	*m = k;
	return t;
}

int vigil_retention_sweep(vigil_store *st, const uint8_t *master, int64_t now,
			 int64_t retention_days, const char *who,
			 vigil_retention_stats *stats)
{
	vigil_retention_stats tmp;
	vigil_report *reps = NULL;
	vigil_preserved_item *v = NULL;
	latest *lt = NULL;
	size_t nr = 0, n = 0, i, nlt = 0;
	int rc;

	if (!stats)
		stats = &tmp;
	memset(stats, 0, sizeof(*stats));
	if (!st)
		return VIGIL_EINVAL;
	rc = vigil_retention_ok(st->ctx, retention_days);
	if (rc)
		return rc;
	/* First keep what was reported since the last run. */
	if (master) {
		rc = vigil_report_list(st, &reps, &nr);
		for (i = 0; !rc && i < nr; i++) {
			size_t added = 0;
			if (reps[i].state == VIGIL_REPORT_DRAFT)
				continue;
			rc = vigil_preserve(st, master, reps[i].id, now, who, 0, &added);
			stats->preserved += added;
		}
		vigil_reports_free(reps, nr);
		if (rc)
			return rc;
	}
	rc = NEED_OP(st, pres_list, 0, 0, &v, &n);
	if (rc)
		return rc;
	lt = latest_table(v, n, &nlt);
	if (!lt) {
		free(v);
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		latest key = {v[i].report_id, 0}, *l = bsearch(&key, lt, nlt, sizeof(*lt), cmp_latest);
		int64_t until = (l ? l->preserved : v[i].preserved) + retention_days * 86400;
		char d[200];
		int own = 0;

		if (v[i].deleted)
			continue;
		if (now < until) {
			stats->kept++;
			continue;
		}
		if (v[i].holds) {
			stats->held++;
			continue;
		}
		rc = vigil__begin_own(st, &own);
		if (rc)
			break;
		rc = NEED_OP(st, pres_shred, v[i].id, now);
		if (rc == VIGIL_EABORTED) { /* a hold placed since the list */
			vigil__end_own(st, own, rc);
			stats->held++;
			rc = VIGIL_OK;
			continue;
		}
		if (!rc) {
			snprintf(d, sizeof(d), "{\"report\":%lld,\"case\":%lld,\"kind\":\"%s\","
				 "\"n\":%d,\"preserved\":%lld,\"retention_days\":%lld}",
				 (long long)v[i].report_id, (long long)v[i].case_id, v[i].kind,
				 v[i].n, (long long)v[i].preserved, (long long)retention_days);
			vigil__evidence_audit(st, who, "evidence.delete", v[i].id, d);
		}
		rc = vigil__end_own(st, own, rc);
		if (rc)
			break;
		stats->deleted++;
	}
	free(v);
	free(lt);
	/* The WAL still holds the pages as they were before the deletion. */
	if (!rc && stats->deleted && st->ops->pres_flush)
		rc = st->ops->pres_flush(st);
	return rc;
}
