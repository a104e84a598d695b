/* route_content.c — the pipeline for one upload (POST /v1/content), user
 * reports (POST /v1/user-reports) and the failed webhooks list.
 *
 * One upload: hash (PDQ with its dihedral variants, MD5, SHA-1, SHA-256),
 * match every enabled bank with the widest radius any policy allows,
 * decide (vigil_decide: per-bank filters, suppression, flood quarantine,
 * precedence), then ONE transaction holds the quarantines, the case, the
 * outbox events and the audit row; the reply is sent after the commit, and
 * the delivery thread is woken. */
#include "http.h"
#include "metrics.h"
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_MATCHES 256

static const char *ctx_str(json_t *c, const char *key)
{
	const char *v = json_string_value(json_object_get(c, key));

	return v ? v : "";
}

/* The hashes and matches of one file. */
typedef struct upload {
	vigil_pdq pdq, dih[8];
	int has_pdq;
	uint8_t dig[3][VIGIL_DIGEST_MAX];
	vigil_match m[MAX_MATCHES];
	int disp[MAX_MATCHES];
	size_t n;
	vigil_bank_rule *rules;
	size_t nrules;
	vigil_decision d;
} upload;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Hashes, matches and decides. Replies itself and returns -1 on failure. */
static int run(srv_req *r, const uint8_t *file, size_t len, upload *u)
{
	vigil_ctx *c = srv_ctx(r);
	vigil_store *st = srv_store(r);
	vigil_matcher *m = srv_matcher(r);
	int radius = 0, dihedral = 0, rc;
	size_t i, found;
	static const int types[3] = {VIGIL_HASH_MD5, VIGIL_HASH_SHA1, VIGIL_HASH_SHA256};

	if (!st)
		return -1;
	rc = vigil_pdq_hash_memory(c, file, len, NULL, &u->pdq, u->dih);
	if (rc == VIGIL_EFORMAT) {
		srv_reply_error(r, 415, "unsupported_media",
				"not an image vigil decodes (JPEG, PNG, WebP, GIF, TIFF, "
				"BMP, HEIC, AVIF); videos are not taken by /v1/content yet");
		return -1;
	}
	if (rc) {
		srv_reply_status(r, rc, c);
		return -1;
	}
	u->has_pdq = 1;
	for (i = 0; i < 3; i++) {
		rc = vigil_digest(c, (vigil_digest_algo)i, file, len, u->dig[i]);
		if (rc) {
			srv_reply_status(r, rc, c);
			return -1;
		}
	}
	rc = vigil_bank_rules_load(st, &u->rules, &u->nrules);
	if (rc) {
		srv_reply_status(r, rc, c);
		return -1;
	}
	/* Search as wide as the widest policy; vigil_decide narrows per bank. */
	for (i = 0; i < u->nrules; i++) {
		int d = u->rules[i].policy.pdq_distance;
		if (d > radius)
			radius = d;
		dihedral |= u->rules[i].policy.dihedral;
	}
	if (radius > 64)
		radius = 64;
	u->n = 0;
	if (u->nrules) {
		rc = vigil_matcher_pdq(m, c, &u->pdq, dihedral ? u->dih : NULL, radius, u->m,
				       MAX_MATCHES, &found);
		if (rc) {
			srv_reply_status(r, rc, c);
			return -1;
		}
		u->n = found < MAX_MATCHES ? found : MAX_MATCHES;
		for (i = 0; i < 3 && u->n < MAX_MATCHES; i++) {
			rc = vigil_matcher_digest(m, c, types[i], u->dig[i], u->m + u->n,
						  MAX_MATCHES - u->n, &found);
			if (rc) {
				srv_reply_status(r, rc, c);
				return -1;
			}
			u->n += found < MAX_MATCHES - u->n ? found : MAX_MATCHES - u->n;
		}
	}
	rc = vigil_decide(u->m, u->n, u->pdq.quality, u->rules, u->nrules, srv_flood(),
			  now_ms(), u->disp, &u->d);
	if (rc) {
		srv_reply_status(r, rc, c);
		return -1;
	}
	return 0;
}

static const vigil_bank_rule *rule_of(const upload *u, int64_t bank_id)
{
	size_t i;

	for (i = 0; i < u->nrules; i++)
		if (u->rules[i].bank_id == bank_id)
			return &u->rules[i];
	return NULL;
}

static json_t *matches_json(const upload *u)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < u->n; i++) {
		const vigil_match *m = &u->m[i];
		char hex[65];
		vigil_hex(m->value, vigil_hash_type_size(m->type), hex);
		json_array_append_new(
			a, json_pack("{s:s,s:I,s:s,s:s,s:i,s:s,s:s}", "bank", m->bank, "entry",
				     (json_int_t)m->entry_id, "type",
				     vigil_hash_type_name(m->type), "hash", hex, "distance",
				     m->distance, "variant",
				     m->variant < 0 ? "exact" : vigil_dihedral_name(m->variant),
				     "disposition", vigil_disposition_name(u->disp[i])));
	}
	return a;
}

static json_t *hashes_json(const upload *u)
{
	char pdq[65], md5[33], sha1[41], sha256[65];

	vigil_pdq_to_hex(&u->pdq, pdq);
	vigil_hex(u->dig[0], 16, md5);
	vigil_hex(u->dig[1], 20, sha1);
	vigil_hex(u->dig[2], 32, sha256);
	return json_pack("{s:s,s:i,s:s,s:s,s:s}", "pdq", pdq, "quality", u->pdq.quality,
			 "md5", md5, "sha1", sha1, "sha256", sha256);
}

/* Queues one event for the global target and, if it has one and it
 * differs, for the bank's own. Adds {"type":"webhook",...} actions. */
static int queue_event(vigil_store *st, srv *s, const vigil_bank_rule *bank,
		       const char *type, json_t *data, json_t *actions)
{
	const char *global = srv_webhook_url(s);
	char *text = json_dumps(data, JSON_COMPACT);
	char eid[VIGIL_EVENT_ID_LEN + 1];
	int rc = VIGIL_OK;

	if (!text)
		return VIGIL_ENOMEM;
	if (*global) {
		rc = vigil_outbox_add(st, type, global, "", text, eid);
		if (!rc)
			json_array_append_new(actions, json_pack("{s:s,s:s,s:s}", "type", "webhook",
								 "event", type, "event_id", eid));
	}
	if (!rc && bank && *bank->policy.webhook_url &&
	    strcmp(bank->policy.webhook_url, global)) {
		rc = vigil_outbox_add(st, type, bank->policy.webhook_url,
				      bank->policy.webhook_secret, text, eid);
		if (!rc)
			json_array_append_new(actions, json_pack("{s:s,s:s,s:s,s:s}", "type",
								 "webhook", "event", type,
								 "event_id", eid, "bank",
								 bank->bank));
	}
	free(text);
	return rc;
}

static int audit(srv_req *r, vigil_store *st, const char *action, const char *object,
		 json_t *detail)
{
	char roles[64], *text = json_dumps(detail, JSON_COMPACT);
	vigil_audit a;
	int rc;

	memset(&a, 0, sizeof(a));
	srv_roles_format(srv_key_roles(r), roles, sizeof(roles));
	a.who = *srv_key_name(r) ? srv_key_name(r) : "-";
	a.role = roles;
	a.action = action;
	a.object = object;
	a.detail = text ? text : "";
	a.source = srv_client_ip(r);
	rc = vigil_audit_append(st, &a);
	free(text);
	return rc;
}

/* Writes what the decision caused, in one transaction: quarantines (and
 * their events), the case (review verdicts, or always for a user report),
 * the verdict and case events, the audit row. Fills *case_id and actions. */
static int commit(srv_req *r, upload *u, json_t *context, const char *source,
		  int always_case, json_t *matches, json_t *actions, int64_t *case_id)
{
	vigil_store *st = srv_store(r);
	srv *s = srv_of(r);
	const vigil_bank_rule *winner = rule_of(u, u->d.bank_id);
	char pdqhex[65], key[80], obj[128];
	int joined = 0, rc;
	size_t i;
	json_t *data;

	*case_id = 0;
	rc = vigil_store_begin(st);
	if (rc)
		return rc;
	for (i = 0; !rc && i < u->n; i++) {
		const vigil_bank_rule *br;
		vigil_quarantine q;
		if (u->disp[i] != VIGIL_DISP_FLOODED)
			continue;
		br = rule_of(u, u->m[i].bank_id);
		memset(&q, 0, sizeof(q));
		q.entry_id = u->m[i].entry_id;
		q.bank_id = u->m[i].bank_id;
		snprintf(q.reason, sizeof(q.reason), "more than %d matches in %d s",
			 br->policy.flood_matches, br->policy.flood_seconds);
		rc = vigil_quarantine_add(st, &q);
		if (rc)
			break;
		data = json_pack("{s:s,s:I,s:s,s:i,s:i}", "bank", br->bank, "entry",
				 (json_int_t)q.entry_id, "reason", q.reason, "flood_matches",
				 br->policy.flood_matches, "flood_seconds",
				 br->policy.flood_seconds);
		rc = data ? queue_event(st, s, br, "entry.quarantined", data, actions)
			  : VIGIL_ENOMEM;
		json_decref(data);
		json_array_append_new(actions, json_pack("{s:s,s:I}", "type", "quarantine",
							 "entry", (json_int_t)q.entry_id));
		srv_metric_inc("vigil_entries_quarantined_total", "bank", br->bank);
		srv_log(s, SRV_LOG_WARN, "alert: entry %lld of bank %s quarantined (%s)",
			(long long)q.entry_id, br->bank, q.reason);
	}
	if (!rc && (u->d.verdict == VIGIL_VERDICT_REVIEW || always_case)) {
		vigil_case_new cn;
		char *ctext = json_dumps(context, JSON_COMPACT);
		char *mtext = json_dumps(matches, JSON_COMPACT);
		const char *user = ctx_str(context, "user_id");
		vigil_pdq_to_hex(&u->pdq, pdqhex);
		if (u->has_pdq)
			snprintf(key, sizeof(key), "pdq:%s", pdqhex);
		else /* a report without a file: about one content id */
			snprintf(key, sizeof(key), "content:%.70s",
				 ctx_str(context, "content_id"));
		memset(&cn, 0, sizeof(cn));
		cn.source = source;
		/* Several uploads of the same picture by the same user are one
		 * case; anonymous uploads are never joined. */
		cn.join_key = *user ? key : NULL;
		cn.priority = u->d.priority ? u->d.priority : 50;
		cn.report = u->d.report;
		cn.bank_id = u->d.bank_id;
		cn.content_id = ctx_str(context, "content_id");
		cn.user_id = user;
		cn.context = ctext;
		cn.matches = mtext;
		rc = ctext && mtext ? vigil_case_open(st, &cn, case_id, &joined) : VIGIL_ENOMEM;
		free(ctext);
		free(mtext);
		if (!rc) {
			json_array_append_new(actions, json_pack("{s:s,s:I,s:b}", "type", "case",
								 "id", (json_int_t)*case_id,
								 "joined", joined));
			if (u->d.report)
				json_array_append_new(actions,
						      json_pack("{s:s}", "type", "report_draft"));
		}
		if (!rc && !joined) {
			data = json_pack("{s:I,s:s,s:i,s:b,s:O}", "case", (json_int_t)*case_id,
					 "source", source, "priority", cn.priority, "report",
					 u->d.report, "context", context);
			rc = data ? queue_event(st, s, winner, "case.created", data, actions)
				  : VIGIL_ENOMEM;
			json_decref(data);
		}
	}
	if (!rc && u->d.verdict != VIGIL_VERDICT_ALLOW) {
		data = json_pack("{s:s,s:O,s:O,s:o,s:o}", "verdict",
				 vigil_verdict_name(u->d.verdict), "context", context, "matches",
				 matches, "case", *case_id ? json_integer(*case_id) : json_null(),
				 "hashes", hashes_json(u));
		rc = data ? queue_event(st, s, winner, "verdict", data, actions) : VIGIL_ENOMEM;
		json_decref(data);
	}
	if (!rc) {
		json_t *detail = json_pack("{s:s,s:s,s:s,s:I,s:I}", "verdict",
					   vigil_verdict_name(u->d.verdict), "content_id",
					   ctx_str(context, "content_id"), "user_id",
					   ctx_str(context, "user_id"), "case", (json_int_t)*case_id,
					   "matches", (json_int_t)u->n);
		snprintf(obj, sizeof(obj), "%s", ctx_str(context, "content_id"));
		rc = detail ? audit(r, st, !strcmp(source, "user_report") ? "user_report"
									   : "content.verdict",
				    obj, detail)
			    : VIGIL_ENOMEM;
		json_decref(detail);
	}
	if (!rc)
		rc = vigil_store_commit(st);
	if (rc) {
		vigil_store_rollback(st);
		/* Nothing was stored: the tracker must not keep a quarantine the
		 * store does not have. */
		for (i = 0; i < u->n; i++)
			if (u->disp[i] == VIGIL_DISP_FLOODED)
				vigil_flood_release(srv_flood(), u->m[i].entry_id);
		return rc;
	}
	srv_pipeline_kick();
	return VIGIL_OK;
}

static json_t *context_part(srv_req *r, const char *field)
{
	const srv_part *p = srv_part_get(r, field);
	char err[256];
	json_t *c;

	if (!p)
		return json_object();
	c = srv_content_context(p->data, p->len, err, sizeof(err));
	if (!c)
		srv_reply_error(r, 400, "bad_context", "%s", err);
	return c;
}

static void content(srv_req *r)
{
	upload *u = NULL;
	json_t *context = NULL, *matches = NULL, *actions = NULL;
	const uint8_t *file;
	size_t len = 0;
	int64_t case_id = 0;
	int rc;

	if (strcmp(srv_content_type(r), "multipart/form-data")) {
		srv_reply_error(r, 415, "multipart_required",
				"send multipart/form-data with a 'file' part and a "
				"'context' JSON part");
		return;
	}
	if (!(context = context_part(r, "context")))
		return;
	if (!(file = srv_file(r, "file", &len)))
		goto out;
	u = calloc(1, sizeof(*u));
	if (!u) {
		srv_reply_error(r, 500, "internal", "out of memory");
		goto out;
	}
	if (run(r, file, len, u))
		goto out;
	matches = matches_json(u);
	actions = json_array();
	if (!matches || !actions) {
		srv_reply_error(r, 500, "internal", "out of memory");
		goto out;
	}
	if (u->d.verdict == VIGIL_VERDICT_BLOCK)
		json_array_append_new(actions, json_pack("{s:s}", "type", "block"));
	rc = commit(r, u, context, "match", 0, matches, actions, &case_id);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		goto out;
	}
	srv_metric_inc("vigil_verdicts_total", "verdict", vigil_verdict_name(u->d.verdict));
	srv_reply_json(r, 200,
		       json_pack("{s:s,s:O,s:o,s:O,s:o}", "verdict",
				 vigil_verdict_name(u->d.verdict), "matches", matches, "case",
				 case_id ? json_integer(case_id) : json_null(), "actions",
				 actions, "hashes", hashes_json(u)));
out:
	json_decref(context);
	json_decref(matches);
	json_decref(actions);
	if (u)
		free(u->rules);
	free(u);
}

/* A user's report: JSON {content_id, user_id, reporter, reason, ...} (or
 * multipart with a 'report' JSON part and an optional 'file'). With a
 * file, it goes through the matcher like an upload; either way it opens
 * (or joins) a case. */
static void user_report(srv_req *r)
{
	upload *u = NULL;
	json_t *report = NULL, *matches = NULL, *actions = NULL;
	const srv_part *fp = NULL;
	int64_t case_id = 0;
	int rc;

	if (!strcmp(srv_content_type(r), "multipart/form-data")) {
		if (!(report = context_part(r, "report")))
			return;
		fp = srv_part_get(r, "file");
	} else {
		size_t len = 0;
		const uint8_t *b = srv_body(r, &len);
		char err[256];
		report = srv_content_context(b, len, err, sizeof(err));
		if (!report) {
			srv_reply_error(r, 400, "bad_report", "%s", err);
			return;
		}
	}
	if (!*ctx_str(report, "content_id") && !*ctx_str(report, "user_id")) {
		srv_reply_error(r, 400, "bad_report",
				"a report names the content_id or the user_id it is about");
		goto out;
	}
	u = calloc(1, sizeof(*u));
	actions = json_array();
	if (!u || !actions) {
		srv_reply_error(r, 500, "internal", "out of memory");
		goto out;
	}
	if (fp && fp->len) {
		if (run(r, fp->data, fp->len, u))
			goto out;
	} else if (!srv_store(r)) {
		goto out;
	}
	matches = matches_json(u);
	if (!matches) {
		srv_reply_error(r, 500, "internal", "out of memory");
		goto out;
	}
	rc = commit(r, u, report, "user_report", 1, matches, actions, &case_id);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		goto out;
	}
	srv_reply_json(r, 201,
		       json_pack("{s:I,s:s,s:O,s:O}", "case", (json_int_t)case_id, "verdict",
				 vigil_verdict_name(u->d.verdict), "matches", matches,
				 "actions", actions));
out:
	json_decref(report);
	json_decref(matches);
	json_decref(actions);
	if (u)
		free(u->rules);
	free(u);
}

static void webhooks_failed(srv_req *r)
{
	vigil_store *st = srv_store(r);
	vigil_event *ev = NULL;
	const char *lim = srv_query(r, "limit");
	size_t n = 0, i, max = 100;
	json_t *a;
	int rc;

	if (!st)
		return;
	if (lim) {
		char *end;
		unsigned long v = strtoul(lim, &end, 10);
		if (*end || !*lim || v == 0 || v > 1000) {
			srv_reply_error(r, 400, "bad_limit", "limit is 1..1000");
			return;
		}
		max = v;
	}
	rc = vigil_outbox_list(st, VIGIL_OUTBOX_FAILED, max, &ev, &n);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	a = json_array();
	for (i = 0; a && i < n; i++)
		json_array_append_new(
			a, json_pack("{s:I,s:s,s:s,s:s,s:i,s:s,s:I}", "id", (json_int_t)ev[i].id,
				     "event_id", ev[i].event_id, "type", ev[i].type, "url",
				     ev[i].url, "attempts", ev[i].attempts, "last_error",
				     ev[i].last_error, "created",
				     (json_int_t)(ev[i].created_ms / 1000)));
	vigil_events_free(ev, n);
	srv_reply_json(r, 200, a ? json_pack("{s:o}", "events", a) : NULL);
}

const srv_route srv_routes_content[] = {
	{"POST", "/v1/content", SRV_ROLE_SUBMIT, content, 0,
	 "The pipeline for one upload: hashes, matches, verdict, case, webhooks"},
	{"POST", "/v1/user-reports", SRV_ROLE_SUBMIT, user_report, 0,
	 "A user's report about content or an account: opens or joins a case"},
	{"GET", "/v1/webhooks/failed", SRV_ROLE_ADMIN, webhooks_failed, 0,
	 "Webhook events that could not be delivered within webhook_max_age"},
	{0},
};
