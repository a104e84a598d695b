/* route_reports.c — CyberTipline reports over the API (docs/reports.md).
 * Reading (list, show, the documents) is for reviewers and admins: they
 * see the same case data on the review routes. Drafting, filing and
 * retracting are admin only. Filing and retracting are not done in the
 * request: they are stored as work for the report worker (reports.c), so
 * they survive a restart, and answer 202; the report's state and its
 * work show how far it got. Every request that changes something is
 * audited, and the worker audits every state change. */
#include "http.h"
#include "pipeline.h"
#include "reports.h"
#include "review.h"
#include "server_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int report_id_of(srv_req *r, int64_t *id)
{
	return srv_param_id(r, "id", "a report", id);
}

/* Per step: submitted (an NCMEC id), each file uploaded (its file id) and
 * described, finished. The fileDetails as sent are left to /xml?file=N. */
static json_t *steps_json(const vigil_report *rp)
{
	json_t *files = json_loads(rp->files ? rp->files : "[]", 0, NULL), *f, *out;
	size_t i;

	out = json_array();
	json_array_foreach(files, i, f) {
		const char *fid = json_string_value(json_object_get(f, "file_id"));
		json_array_append_new(out, json_pack("{s:O,s:s,s:b,s:b}", "n",
						     json_object_get(f, "n"), "file_id",
						     fid ? fid : "", "uploaded", fid && *fid,
						     "fileinfo",
						     json_is_true(json_object_get(f, "fileinfo"))));
	}
	json_decref(files);
	return json_pack("{s:b,s:o,s:b}", "submitted", *rp->ncmec_id != '\0', "files", out,
			 "finished", rp->state == VIGIL_REPORT_FINISHED);
}

static json_t *report_json(const vigil_report *rp, const vigil_report_work *w, int full)
{
	json_t *j = json_pack("{s:I,s:I,s:s,s:s,s:i,s:i,s:s,s:I,s:I}", "id", (json_int_t)rp->id,
			      "case", (json_int_t)rp->case_id, "state",
			      vigil_report_state_name(rp->state), "ncmec_id", rp->ncmec_id,
			      "attempts", rp->attempts, "last_code", rp->last_code,
			      "last_error", rp->last_error, "created", (json_int_t)rp->created,
			      "updated", (json_int_t)rp->updated);

	if (!j)
		return NULL;
	if (w)
		json_object_set_new(j, "work",
				    json_pack("{s:s,s:I,s:I,s:i,s:s}", "kind",
					      w->work ? vigil_report_work_name(w->work) : "none",
					      "since", (json_int_t)w->since, "next",
					      (json_int_t)w->next, "tries", w->tries, "error",
					      w->error));
	if (w)
		json_object_set_new(j, "overdue_alerted", json_integer(w->overdue_alerted));
	if (full) {
		json_t *ans = json_loads(rp->answers ? rp->answers : "[]", 0, NULL);
		json_object_set_new(j, "steps", steps_json(rp));
		json_object_set_new(j, "answers", ans ? ans : json_array());
	}
	return j;
}

static void reply_report(srv_req *r, vigil_store *st, int64_t id, int status, int full)
{
	vigil_report rp;
	vigil_report_work w;
	int rc = vigil_report_get(st, id, &rp);

	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	rc = vigil_report_work_get(st, id, &w);
	srv_reply_json(r, status, report_json(&rp, rc ? NULL : &w, full));
	vigil_report_clear(&rp);
}

static void list(srv_req *r)
{
	const char *state = srv_query(r, "state");
	vigil_store *st = srv_store(r);
	vigil_report *v = NULL;
	size_t n = 0;
	int want = -1, rc;
	json_t *a;

	if (!st)
		return;
	if (state && *state && strcmp(state, "all")) {
		for (int i = 0; i < VIGIL__REPORT_STATE_END; i++)
			if (!strcmp(state, vigil_report_state_name(i)))
				want = i;
		if (want < 0) {
			srv_reply_error(r, 400, "invalid", "state is draft, submitting, open, "
					"finished, retracted, rejected, unknown or all");
			return;
		}
	}
	rc = vigil_report_list(st, &v, &n);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	a = json_array();
	for (size_t i = 0; a && i < n; i++) {
		vigil_report_work w;
		if (want >= 0 && v[i].state != want)
			continue;
		json_array_append_new(a, report_json(&v[i], vigil_report_work_get(st, v[i].id, &w)
								  ? NULL : &w, 0));
	}
	vigil_reports_free(v, n);
	srv_reply_json(r, 200, json_pack("{s:o}", "reports", a));
}

static void show(srv_req *r)
{
	vigil_store *st;
	int64_t id;

	if (report_id_of(r, &id) || !(st = srv_store(r)))
		return;
	reply_report(r, st, id, 200, 1);
}

/* The report document (?file=N: that file's fileDetails): as sent once
 * sent, else as it would be built now. */
static void xml(srv_req *r)
{
	srv *s = srv_of(r);
	const char *fq = srv_query(r, "file");
	vigil_reporter rep = {s->cfg.reporter_email, s->cfg.reporter_first_name,
			      s->cfg.reporter_last_name, s->cfg.esp_service, NULL};
	vigil_store *st;
	vigil_report rp;
	char *doc = NULL, *end = NULL;
	int64_t id;
	long n = 0;
	int rc;

	if (report_id_of(r, &id) || !(st = srv_store(r)))
		return;
	if (fq && (!*fq || (n = strtol(fq, &end, 10)) <= 0 || *end || n > 100000)) {
		srv_reply_error(r, 400, "invalid", "file is an item number, 1, 2, ...");
		return;
	}
	rc = vigil_report_get(st, id, &rp);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	if (!fq && !rp.xml && !*rep.email) {
		srv_reply_error(r, 409, "not_configured",
				"a report needs the reporter's email (reporter_email)");
		goto out;
	}
	if (fq) {
		rc = vigil_report_file_sent_xml(st, id, (int)n, &doc);
	} else {
		rc = vigil_report_xml(st, id, &rep, (int64_t)time(NULL), &doc);
	}
	if (rc)
		srv_reply_status(r, rc, srv_ctx(r));
	else
		srv_reply_data(r, 200, "application/xml; charset=utf-8", doc, strlen(doc));
	free(doc);
out:
	vigil_report_clear(&rp);
}

static void audit(srv_req *r, const char *action, int64_t id, json_t *detail)
{
	char obj[32];

	snprintf(obj, sizeof(obj), "%lld", (long long)id);
	srv_audit(r, action, obj, detail); /* takes detail */
}

/* POST /v1/reports {"case": ID}: the draft of a confirmed case (the same
 * report again if it has one). */
static void draft(srv_req *r)
{
	json_t *body = srv_json(r, JSON_OBJECT), *cj;
	vigil_store *st;
	vigil_case_review v;
	int64_t cid, id, now = (int64_t)time(NULL);
	int rc;

	if (!body || !(st = srv_store(r)))
		return;
	cj = json_object_get(body, "case");
	if (!json_is_integer(cj) || json_integer_value(cj) <= 0) {
		srv_reply_error(r, 400, "invalid", "case is a case id (a positive integer)");
		return;
	}
	cid = (int64_t)json_integer_value(cj);
	rc = vigil_case_review_get(st, cid, now, &v);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	if (v.decision != VIGIL_DECISION_CONFIRM) {
		srv_reply_error(r, 409, "wrong_state", "case %lld is not confirmed: only a "
				"confirmed case is reported", (long long)cid);
		return;
	}
	rc = vigil_report_draft(st, cid, now, &id);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	audit(r, "report.draft", id, json_pack("{s:I}", "case", (json_int_t)cid));
	reply_report(r, st, id, 201, 1);
}

/* Queues work (submit or retract) on a report in a state that allows it;
 * a report already where the work would take it answers 200 unchanged. */
static void request_work(srv_req *r, int work)
{
	srv *s = srv_of(r);
	vigil_store *st;
	vigil_report rp;
	int64_t id;
	int rc, state, ok, done;

	if (report_id_of(r, &id) || !(st = srv_store(r)))
		return;
	if (!*s->cfg.ncmec_url) {
		srv_reply_error(r, 409, "not_configured",
				"ncmec_url is not set: reports are drafted, never sent");
		return;
	}
	rc = vigil_report_get(st, id, &rp);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	state = rp.state;
	vigil_report_clear(&rp);
	if (work == VIGIL_REPORT_WORK_SUBMIT) {
		ok = state == VIGIL_REPORT_DRAFT || state == VIGIL_REPORT_OPEN;
		done = state == VIGIL_REPORT_FINISHED;
	} else {
		ok = state == VIGIL_REPORT_OPEN;
		done = state == VIGIL_REPORT_RETRACTED;
	}
	if (done) {
		reply_report(r, st, id, 200, 1);
		return;
	}
	if (!ok) {
		srv_reply_error(r, 409, "wrong_state", "report %lld is %s: %s", (long long)id,
				vigil_report_state_name(state),
				work == VIGIL_REPORT_WORK_RETRACT
					? "only an open report can be retracted"
				: state == VIGIL_REPORT_UNKNOWN
					? "its /submit answer was lost; check with NCMEC whether "
					  "it arrived before anything is sent again"
					: "it is not sent again");
		return;
	}
	srv_reports_lock();
	rc = srv_reports_queue(st, id, work, (int64_t)time(NULL));
	srv_reports_unlock();
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	audit(r, work == VIGIL_REPORT_WORK_SUBMIT ? "report.submit.requested"
						  : "report.retract.requested",
	      id, json_pack("{s:s}", "state", vigil_report_state_name(state)));
	srv_reports_kick();
	reply_report(r, st, id, 202, 1);
}

static void submit(srv_req *r) { request_work(r, VIGIL_REPORT_WORK_SUBMIT); }
static void retract(srv_req *r) { request_work(r, VIGIL_REPORT_WORK_RETRACT); }

/* POST /v1/reports/{id}/resend {"confirm": true}: an unknown report (its
 * /submit answer was lost) sent again, once a person confirmed with NCMEC
 * that it never arrived. The draft and the queued work are one
 * transaction, so the worker sends it once. */
static void resend(srv_req *r)
{
	srv *s = srv_of(r);
	json_t *body = srv_json(r, JSON_OBJECT);
	vigil_store *st;
	int64_t id;
	int rc;

	if (!body || report_id_of(r, &id) || !(st = srv_store(r)))
		return;
	if (!json_is_true(json_object_get(body, "confirm"))) {
		srv_reply_error(r, 400, "invalid", "confirm must be true: a person confirmed with "
				"NCMEC that the report never arrived");
		return;
	}
	if (!*s->cfg.ncmec_url) {
		srv_reply_error(r, 409, "not_configured",
				"ncmec_url is not set: reports are drafted, never sent");
		return;
	}
	srv_reports_lock();
	rc = vigil_store_begin(st);
	if (!rc) {
		rc = vigil_report_resend(st, id);
		if (!rc)
			rc = srv_reports_queue(st, id, VIGIL_REPORT_WORK_SUBMIT, (int64_t)time(NULL));
		rc = rc ? (vigil_store_rollback(st), rc) : vigil_store_commit(st);
	}
	srv_reports_unlock();
	if (rc == VIGIL_EABORTED) {
		srv_reply_error(r, 409, "wrong_state", "%s", vigil_errmsg(srv_ctx(r)));
		return;
	}
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	audit(r, "report.resend", id, json_pack("{s:s,s:b}", "was", "unknown", "confirmed", 1));
	srv_reports_kick();
	reply_report(r, st, id, 202, 1);
}

const srv_route srv_routes_reports[] = {
	{ "GET", "/v1/reports", SRV_ROLE_REVIEW | SRV_ROLE_ADMIN, list, 0,
	  "CyberTipline reports, newest first (?state= filters)" },
	{ "POST", "/v1/reports", SRV_ROLE_ADMIN, draft, 0,
	  "Draft the report of a confirmed case" },
	{ "GET", "/v1/reports/{id}", SRV_ROLE_REVIEW | SRV_ROLE_ADMIN, show, 0,
	  "One report: state, steps, NCMEC ids, work, errors, NCMEC's answers" },
	{ "GET", "/v1/reports/{id}/xml", SRV_ROLE_REVIEW | SRV_ROLE_ADMIN, xml, 0,
	  "The report document as sent (or as it would be); ?file=N a fileDetails" },
	{ "POST", "/v1/reports/{id}/submit", SRV_ROLE_ADMIN, submit, 0,
	  "File the report (queued for the report worker: 202)" },
	{ "POST", "/v1/reports/{id}/retract", SRV_ROLE_ADMIN, retract, 0,
	  "Withdraw an open report (queued for the report worker: 202)" },
	{ "POST", "/v1/reports/{id}/resend", SRV_ROLE_ADMIN, resend, 0,
	  "Send an unknown report again once NCMEC confirmed it never arrived "
	  "({\"confirm\":true}; queued: 202)" },
	{ 0 },
};
