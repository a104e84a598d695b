/* route_cases.c — the review API (role review; admin for escalated cases):
 * the queue, claims that expire, and decisions with their effects.
 *
 * A decision and what it sends (the verdict webhook, report.drafted, the
 * audit row) are one transaction, so a case is decided once and its events
 * go out once (the outbox). Adding the content's hashes to the confirmed or
 * suppression bank comes after that transaction (vigil_entries_add is its
 * own); it is idempotent and the reply says if it failed. */
#include "http.h"
#include "pipeline.h"
#include "reports.h"
#include "review.h"
#include "server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIST_MAX 500 /* cases in one list answer */

static int is_admin(const srv_req *r)
{
	return (srv_key_roles(r) & SRV_ROLE_ADMIN) != 0;
}

/* The reviewer: the key's name (a person's session later). */
static const char *who_of(const srv_req *r)
{
	return *srv_key_name(r) ? srv_key_name(r) : "-";
}

static json_t *parse_or_null(const char *text)
{
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;

	return j ? j : json_null();
}

static json_t *case_json(const vigil_case *c, int full)
{
	json_t *j = json_pack("{s:I,s:s,s:i,s:b,s:I,s:i,s:s,s:s,s:s,s:I,s:I}", "id",
			      (json_int_t)c->id, "state", vigil_case_state_name(c->state),
			      "priority", c->priority, "report", c->report, "bank_id",
			      (json_int_t)c->bank_id, "uploads", c->uploads, "source",
			      c->source, "content_id", c->content_id, "user_id", c->user_id,
			      "created", (json_int_t)c->created, "updated",
			      (json_int_t)c->updated);

	if (j) {
		json_object_set_new(j, "matches", parse_or_null(c->matches));
		if (full)
			json_object_set_new(j, "contexts", parse_or_null(c->contexts));
	}
	return j;
}

static json_t *review_json(const vigil_case_review *v)
{
	json_t *j = json_pack("{s:s,s:I,s:s,s:s,s:o,s:s,s:s,s:I,s:b}", "assignee",
			      v->assignee, "claim_expires", (json_int_t)v->claim_expires,
			      "decision", vigil_case_decision_name(v->decision),
			      "classification", v->classification, "annotations",
			      parse_or_null(v->annotations), "note", v->note, "decided_by",
			      v->decided_by, "decided", (json_int_t)v->decided, "escalated",
			      v->escalated);
	return j;
}

static int case_id_of(srv_req *r, int64_t *id)
{
	return srv_param_id(r, "id", "a case", id);
}

/* Maps the review API's statuses: EEXIST is a conflict (held by someone
 * else, or decided already), EABORTED a state that does not allow it. */
static void reply_review_status(srv_req *r, int rc, const char *conflict_code)
{
	if (rc == VIGIL_EEXIST)
		srv_reply_error(r, 409, conflict_code, "%s", vigil_errmsg(srv_ctx(r)));
	else if (rc == VIGIL_EABORTED)
		srv_reply_error(r, 409, "wrong_state", "%s", vigil_errmsg(srv_ctx(r)));
	else
		srv_reply_status(r, rc, srv_ctx(r));
}

static void list_cases(srv_req *r)
{
	const char *state = srv_query(r, "state");
	const char *sort = srv_query(r, "sort");
	int want = -1, i;
	vigil_case *v = NULL;
	size_t n = 0, k;
	vigil_store *st;
	json_t *a;

	if (state && *state && strcmp(state, "all")) {
		for (i = 0; i < VIGIL__CASE_STATE_END; i++)
			if (!strcmp(state, vigil_case_state_name(i)))
				want = i;
		if (want < 0) {
			srv_reply_error(r, 400, "invalid",
					"state is open, claimed, decided, escalated or all");
			return;
		}
	}
	/* One order exists (priority, then age); the parameter is checked so
	 * a typo is not silently ignored. */
	if (sort && *sort && strcmp(sort, "priority")) {
		srv_reply_error(r, 400, "invalid", "sort is priority (then age)");
		return;
	}
	if (!(st = srv_store(r)))
		return;
	i = vigil_case_list(st, want, (int64_t)time(NULL), LIST_MAX, &v, &n);
	if (i) {
		srv_reply_status(r, i, srv_ctx(r));
		return;
	}
	a = json_array();
	for (k = 0; a && k < n; k++)
		json_array_append_new(a, case_json(&v[k], 0));
	vigil_cases_free(v, n);
	srv_reply_json(r, 200, a ? json_pack("{s:o}", "cases", a) : NULL);
}

static void get_case(srv_req *r)
{
	vigil_case c;
	vigil_case_review v;
	vigil_store *st;
	int64_t id;
	json_t *j;
	int rc;

	if (case_id_of(r, &id) || !(st = srv_store(r)))
		return;
	rc = vigil_case_get(st, id, &c);
	if (!rc)
		rc = vigil_case_review_get(st, id, (int64_t)time(NULL), &v);
	if (rc) {
		if (c.contexts)
			vigil_case_clear(&c);
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	c.state = v.state; /* an expired claim undone */
	j = case_json(&c, 1);
	vigil_case_clear(&c);
	if (j) {
		int media = 0;
		json_object_set_new(j, "review", review_json(&v));
		if (vigil_case_media_count(st, id, &media) == VIGIL_OK)
			json_object_set_new(j, "media", json_integer(media));
	}
	srv_reply_json(r, 200, j);
}

/* The claim core, shared with the review page: 0 with *v filled, or -1
 * after replying with the error. */
int srv_case_claim(srv_req *r, const char *who, int admin, int64_t id, vigil_case_review *v)
{
	vigil_store *st = srv_store(r);
	char obj[32];
	int rc;

	if (!st)
		return -1;
	rc = vigil_case_claim(st, id, who, admin, (int64_t)time(NULL),
			      SRV_CFG(srv_of(r), claim_ttl), v);
	if (rc) {
		reply_review_status(r, rc, "claimed");
		return -1;
	}
	snprintf(obj, sizeof(obj), "%lld", (long long)id);
	{
		json_t *d = json_pack("{s:I}", "claim_expires", (json_int_t)v->claim_expires);
		srv_audit_row(r, st, who, "case.claim", obj, d);
		json_decref(d);
	}
	return 0;
}

static void claim_case(srv_req *r)
{
	vigil_case_review v;
	int64_t id;

	if (case_id_of(r, &id) || srv_case_claim(r, who_of(r), is_admin(r), id, &v))
		return;
	srv_reply_json(r, 200, json_pack("{s:I,s:s,s:s,s:I}", "id", (json_int_t)id, "state",
					 vigil_case_state_name(v.state), "assignee",
					 v.assignee, "claim_expires",
					 (json_int_t)v.claim_expires));
}

/* ------------------------------------------------------------ decision */

/* The content's hashes a decision files into a bank: the uploaded
 * picture's PDQ (the case's join key "pdq:HEX") and every exact digest
 * match (the same bytes). Not the PDQ of a matched entry: that is the
 * known picture, not this one (a near copy), and suppressing it would
 * silence every true match of that entry. */
static size_t content_hashes(const vigil_case *c, const vigil_case_review *v,
			     vigil_entry *out, size_t cap)
{
	json_t *m = json_loads(c->matches ? c->matches : "[]", 0, NULL);
	size_t n = 0, i;
	vigil_pdq p;

	if (!strncmp(v->join_key, "pdq:", 4) && !vigil_pdq_from_hex(v->join_key + 4, &p) &&
	    n < cap) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].type = VIGIL_HASH_PDQ;
		memcpy(out[n].value, p.bits, 32);
		/* The case keeps the upload's PDQ, not its quality; it acted, so
		 * it passed its bank's min_quality, and a person has decided on
		 * it: the entry is stored at full quality. */
		out[n].quality = 100;
		n++;
	}
	for (i = 0; json_is_array(m) && i < json_array_size(m) && n < cap; i++) {
		json_t *e = json_array_get(m, i);
		int type = vigil_hash_type_parse(json_string_value(json_object_get(e, "type")));
		const char *hex = json_string_value(json_object_get(e, "hash"));
		size_t sz = vigil_hash_type_size(type);
		if (type != VIGIL_HASH_MD5 && type != VIGIL_HASH_SHA1 &&
		    type != VIGIL_HASH_SHA256)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].type = type;
		out[n].quality = -1;
		if (!hex || strlen(hex) != 2 * sz || vigil_unhex(hex, out[n].value, sz))
			continue;
		n++;
	}
	json_decref(m);
	return n;
}

/* The bank a decision files hashes into, made on first use: the
 * confirmed bank blocks (a person has confirmed it), the suppression bank
 * is of kind suppression. */
static int ensure_bank(vigil_store *st, const char *name, int suppression, vigil_bank *b)
{
	vigil_bank_policy p;
	int rc = vigil_bank_get(st, name, b);

	if (rc != VIGIL_ENOENT)
		return rc;
	rc = vigil_bank_create(st, name,
			       suppression ? "known false positives (review dismissals)"
					   : "material confirmed by a reviewer",
			       suppression ? "kind=suppression" : "kind=confirmed", b);
	if (rc == VIGIL_EEXIST) /* another request made it first */
		return vigil_bank_get(st, name, b);
	if (rc)
		return rc;
	vigil_bank_policy_default(&p);
	p.action = suppression ? VIGIL_ACTION_NONE : VIGIL_ACTION_BLOCK;
	p.kind = suppression ? VIGIL_KIND_SUPPRESSION : VIGIL_KIND_NORMAL;
	return vigil_bank_policy_put(st, name, &p);
}

/* Adds the hashes to bank (stored, then live). *added = how many were new. */
static int file_hashes(srv_req *r, const vigil_bank *b, vigil_entry *es, size_t n,
		       int *added)
{
	int64_t ids[8];
	size_t i;
	int rc;

	*added = 0;
	if (!n)
		return VIGIL_OK;
	rc = vigil_entries_add(srv_store(r), b->name, es, n, ids);
	for (i = 0; !rc && i < n; i++) {
		if (!ids[i])
			continue;
		es[i].id = ids[i];
		es[i].bank_id = b->id;
		rc = vigil_matcher_add(srv_matcher(r), srv_ctx(r), b, &es[i]);
		(*added)++;
	}
	return rc;
}

/* An event to the global webhook and to the case's bank's own. */
static int queue(vigil_store *st, srv *s, const vigil_bank_rule *bank, const char *type,
		 json_t *data, json_t *events)
{
	char *text = json_dumps(data, JSON_COMPACT);
	char geid[VIGIL_EVENT_ID_LEN + 1], beid[VIGIL_EVENT_ID_LEN + 1];
	int rc;

	if (!text)
		return VIGIL_ENOMEM;
	rc = srv_outbox_fanout(st, s, bank ? bank->policy.webhook_url : NULL,
			       bank ? bank->policy.webhook_secret : NULL, type, text,
			       geid, beid);
	free(text);
	if (*geid)
		json_array_append_new(events, json_pack("{s:s,s:s}", "type", type,
							"event_id", geid));
	if (*beid)
		json_array_append_new(events, json_pack("{s:s,s:s}", "type", type,
							"event_id", beid));
	return rc;
}

/* A reviewer's confirm or dismiss of a case is a verdict on each matched
 * entry; those fetched from an exchange with a feedback API get an outbox
 * row each (vigil/exchange.h), in the decision's transaction. */
static int exchange_feedback(vigil_store *st, const vigil_case *c, int positive)
{
	json_t *m = c->matches ? json_loads(c->matches, 0, NULL) : NULL, *v;
	size_t i;
	int rc = VIGIL_OK;

	json_array_foreach(m, i, v) {
		json_int_t id = json_integer_value(json_object_get(v, "entry"));
		size_t k;
		for (k = 0; k < i; k++) /* one verdict per entry, however often matched */
			if (json_integer_value(json_object_get(json_array_get(m, k), "entry")) == id)
				break;
		if (id > 0 && k == i &&
		    (rc = vigil_exchange_feedback_for_entry(st, (int64_t)id, positive, NULL)))
			break;
	}
	json_decref(m);
	return rc;
}

/* The decision core, shared with the review page: who (a key's or a
 * person's name) decides case id. On success *result is the answer's JSON
 * and 0 is returned; otherwise it has replied with the error and returns
 * -1. */
int srv_case_decide(srv_req *r, const char *who, int64_t id, int decision, const char *cls,
		    json_t *ann, const char *note, const char *incident, json_t **result)
{
	json_t *events = NULL, *data = NULL, *detail = NULL, *res = NULL;
	char *ann_text = NULL, obj[32];
	vigil_case c;
	vigil_case_review v;
	vigil_bank_rule *rules = NULL;
	const vigil_bank_rule *rule;
	vigil_bank target;
	vigil_entry es[8];
	size_t nrules = 0, nh = 0;
	vigil_store *st;
	int64_t now = (int64_t)time(NULL);
	int rc, added = 0, file_rc = 0, have_case = 0, ret = -1, queued = 0;
	int64_t rid = 0;
	const char *itype = "";
	srv *s = srv_of(r);

	*result = NULL;
	memset(&c, 0, sizeof(c));
	snprintf(obj, sizeof(obj), "%lld", (long long)id);
	if (incident && *incident && !vigil_incident_type_ok(incident)) {
		srv_reply_error(r, 400, "invalid_incident_type",
				"incident_type is one of the CyberTipline incident types "
				"(docs/reports.md)");
		return -1;
	}
	if (json_is_array(ann) && !(ann_text = json_dumps(ann, JSON_COMPACT))) {
		srv_reply_error(r, 500, "internal", "out of memory");
		return -1;
	}
	if (!(st = srv_store(r)))
		goto out;
	rc = vigil_case_get(st, id, &c);
	have_case = !rc;
	if (!rc)
		rc = vigil_case_review_get(st, id, now, &v);
	if (!rc)
		rc = vigil_bank_rules_load(st, &rules, &nrules);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		goto out;
	}
	rule = srv_rule_find(rules, nrules, c.bank_id);
	events = json_array();
	if (!events) {
		srv_reply_error(r, 500, "internal", "out of memory");
		goto out;
	}
	rc = vigil_store_begin(st);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		goto out;
	}
	rc = vigil_case_decide(st, id, who, decision, cls, ann_text, note, now);
	if (!rc && decision != VIGIL_DECISION_ESCALATE) {
		/* The verdict a person gave: confirm = block (remove the content,
		 * act on the account); dismiss = allow. */
		data = json_pack("{s:s,s:I,s:s,s:s,s:O,s:s,s:s,s:s,s:o}", "verdict",
				 decision == VIGIL_DECISION_CONFIRM ? "block" : "allow", "case",
				 (json_int_t)id, "decision", vigil_case_decision_name(decision),
				 "classification", cls ? cls : "", "annotations",
				 ann ? ann : json_null(), "content_id", c.content_id, "user_id",
				 c.user_id, "reviewed_by", who, "contexts",
				 parse_or_null(c.contexts));
		rc = data ? queue(st, s, rule, "verdict", data, events) : VIGIL_ENOMEM;
		json_decref(data);
		data = NULL;
	}
	if (!rc && decision == VIGIL_DECISION_CONFIRM) {
		/* The incident type a report of it carries: the reviewer's, else
		 * the bank policy's (else the report's default). */
		itype = incident && *incident ? incident : rule ? rule->policy.incident_type : "";
		if (*itype)
			rc = vigil_case_incident_set(st, id, itype);
	}
	if (!rc && decision != VIGIL_DECISION_ESCALATE)
		rc = exchange_feedback(st, &c, decision == VIGIL_DECISION_CONFIRM);
	if (!rc && decision == VIGIL_DECISION_CONFIRM && c.report) {
		/* The event says a hotline report was drafted. */
		data = json_pack("{s:I,s:s,s:s}", "case", (json_int_t)id, "classification", cls,
				 "status", "drafted");
		rc = data ? queue(st, s, rule, "report.drafted", data, events) : VIGIL_ENOMEM;
		/* The draft itself (vigil/report.h), in the same transaction;
		 * with report_auto_file its filing is queued in it too. */
		if (!rc)
			rc = vigil_report_draft(st, id, now, &rid);
		if (!rc && SRV_CFG(s, report_auto_file)) {
			rc = srv_reports_queue(st, rid, VIGIL_REPORT_WORK_SUBMIT, now);
			queued = !rc;
		}
		json_decref(data);
		data = NULL;
	}
	if (!rc && decision == VIGIL_DECISION_ESCALATE) {
		data = json_pack("{s:I,s:s}", "case", (json_int_t)id, "escalated_by", who);
		rc = data ? queue(st, s, rule, "case.escalated", data, events) : VIGIL_ENOMEM;
		json_decref(data);
		data = NULL;
	}
	if (!rc) {
		detail = json_pack("{s:s,s:s,s:O,s:s,s:b,s:s}", "decision",
				   vigil_case_decision_name(decision), "classification",
				   cls ? cls : "", "annotations", ann ? ann : json_null(), "note",
				   note ? note : "", "report", c.report, "incident_type", itype);
		rc = detail ? srv_audit_row(r, st, who, "case.decision", obj, detail)
			    : VIGIL_ENOMEM;
	}
	if (!rc)
		rc = vigil_store_commit(st);
	if (rc) {
		vigil_store_rollback(st);
		reply_review_status(r, rc, "decided");
		goto out;
	}
	srv_pipeline_kick();
	if (queued)
		srv_reports_kick();
	/* The hashes go to their bank after the decision is stored. */
	if (decision != VIGIL_DECISION_ESCALATE) {
		int supp = decision == VIGIL_DECISION_DISMISS;
		nh = content_hashes(&c, &v, es, sizeof(es) / sizeof(es[0]));
		file_rc = ensure_bank(st, supp ? s->cfg.suppression_bank
					       : s->cfg.confirmed_bank,
				      supp, &target);
		if (!file_rc)
			file_rc = file_hashes(r, &target, es, nh, &added);
		if (file_rc)
			srv_log(s, SRV_LOG_ERROR, "case %lld: hashes not filed: %s",
				(long long)id, vigil_errmsg(srv_ctx(r)));
	}
	res = json_pack("{s:I,s:s,s:s,s:o}", "id", (json_int_t)id, "state",
			decision == VIGIL_DECISION_ESCALATE ? "escalated" : "decided",
			"decision", vigil_case_decision_name(decision), "events", events);
	events = NULL;
	if (res && rid)
		json_object_set_new(res, "report",
				    json_pack("{s:I,s:s,s:b}", "id", (json_int_t)rid,
					      "incident_type", *itype ? itype : "",
					      "filing", queued));
	if (res && decision != VIGIL_DECISION_ESCALATE)
		json_object_set_new(res, "bank",
				    json_pack("{s:s,s:i,s:i,s:b}", "name",
					      decision == VIGIL_DECISION_DISMISS
						      ? s->cfg.suppression_bank
						      : s->cfg.confirmed_bank,
					      "hashes", (int)nh, "added", added, "ok",
					      file_rc == 0));
	if (!res) {
		srv_reply_error(r, 500, "internal", "out of memory");
		goto out;
	}
	*result = res;
	ret = 0;
out:
	if (have_case)
		vigil_case_clear(&c);
	free(rules);
	free(ann_text);
	json_decref(events);
	json_decref(detail);
	return ret;
}

static void decide_case(srv_req *r)
{
	json_t *body, *ann, *res = NULL;
	const char *dname, *cls, *note, *itype;
	int64_t id;
	int decision;

	if (case_id_of(r, &id) || !(body = srv_json(r, JSON_OBJECT)))
		return;
	dname = json_string_value(json_object_get(body, "decision"));
	cls = json_string_value(json_object_get(body, "classification"));
	note = json_string_value(json_object_get(body, "note"));
	ann = json_object_get(body, "annotations");
	itype = json_string_value(json_object_get(body, "incident_type"));
	decision = vigil_case_decision_parse(dname);
	if (decision < 0) {
		srv_reply_error(r, 400, "invalid", "decision is confirm, dismiss or escalate");
		return;
	}
	if ((json_object_get(body, "classification") && !cls &&
	     !json_is_null(json_object_get(body, "classification"))) ||
	    (json_object_get(body, "note") && !note &&
	     !json_is_null(json_object_get(body, "note"))) ||
	    (json_object_get(body, "incident_type") && !itype &&
	     !json_is_null(json_object_get(body, "incident_type"))) ||
	    (ann && !json_is_array(ann) && !json_is_null(ann))) {
		srv_reply_error(r, 400, "invalid", "classification, note and incident_type "
				"are strings, annotations an array");
		return;
	}
	if (!srv_case_decide(r, who_of(r), id, decision, cls, ann, note, itype, &res))
		srv_reply_json(r, 200, res);
}

const srv_route srv_routes_cases[] = {
	{ "GET", "/v1/cases", SRV_ROLE_REVIEW | SRV_ROLE_ADMIN, list_cases, 0,
	  "The review queue: cases by priority, then age" },
	{ "GET", "/v1/cases/{id}", SRV_ROLE_REVIEW | SRV_ROLE_ADMIN, get_case, 0,
	  "One case with its contexts, matches and review" },
	{ "POST", "/v1/cases/{id}/claim", SRV_ROLE_REVIEW | SRV_ROLE_ADMIN, claim_case, 0,
	  "Claim a case for a while (409 if someone else holds it)" },
	{ "POST", "/v1/cases/{id}/decision", SRV_ROLE_REVIEW | SRV_ROLE_ADMIN, decide_case,
	  0, "Confirm, dismiss or escalate a claimed case" },
	{ 0 },
};
