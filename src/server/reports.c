/* reports.c — the report worker: one thread with its own store handle that
 * carries out the filing work stored on reports (vigil/report.h:
 * vigil_report_work) with the library's step machine, and raises the
 * deadline alert.
 *
 * Durability: a submit request (POST /v1/reports/ID/submit, or automatic
 * filing in the decision's transaction) is a row update, so a kill -9
 * anywhere leaves the work in the store and the restarted worker carries
 * it on from the last step NCMEC acknowledged (file.c stores each). Each
 * run makes one try per step (max_attempts 1); a transient failure (no
 * connection, 1xxx, 5xx) is retried later with a stored, doubling backoff.
 * Anything else (an answer of 2000 and up) stops the work for a person,
 * with its reason on the report: NCMEC refused it (rejected), the credentials, or a /submit whose
 * answer was lost (unknown: never resent automatically — a report
 * interrupted while SUBMITTING becomes unknown on the next run).
 *
 * Only ncmec_url's host on fetch_allow is contacted, at an address
 * checked like any fetch (fetch.h) and pinned for the connection.
 *
 * The deadline: an unfiled report (no NCMEC id) drafted more than
 * report_deadline seconds ago is counted in vigil_reports_overdue, and
 * once per report logged (ids and ages only) and sent as a report.overdue
 * event through the outbox (global webhook and its bank's own).
 *
 * Several servers on one store (one SQLite file, or PostgreSQL): a report
 * is run by one worker at a time. The run holds the lease "report-work:ID"
 * (vigil_store_lease), taken before its work is read and given up after
 * the work row is written; a heartbeat thread (own store handle) renews it
 * every quarter of report_lease while the run lasts, since one request may take
 * report_timeout. A server that dies frees it within report_lease, and another
 * server (or the restart) resumes the stored steps. A worker that finds
 * the lease held skips the report this tick. The deadline check holds
 * "report-deadline" the same way, so an alert goes out once. */
#include "reports.h"
#include <vigil/evidence.h>
#include "fetch.h"
#include "metrics.h"
#include "pipeline.h"
#include "bgthread.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64    /* reports looked at per tick */
#define TICK_S 1    /* seconds between looks when not kicked */
#define WHO "report-worker"

static struct {
	srv_bg bg;
	pthread_mutex_t work_mu;
	int kicked, warned;
	vigil_ctx *ctx;
	vigil_store *st;
	char owner[96]; /* this server in the leases: host:pid:random */
	int64_t lease_ms; /* report_lease: a dead server's lease frees within it */
} W = {.bg = SRV_BG_INIT, .work_mu = PTHREAD_MUTEX_INITIALIZER};

/* The heartbeat: renews the lease named name while active. Renewal holds
 * mu, so once the worker has cleared active no renewal follows its
 * release. */
static struct {
	srv_bg bg;
	int active;
	char name[48];
	vigil_ctx *ctx;
	vigil_store *st;
} H = {.bg = SRV_BG_INIT};

static void *heartbeat(void *arg)
{
	srv *s = arg;

	pthread_mutex_lock(&H.bg.mu);
	while (!H.bg.stop) {
		struct timespec ts;
		int held = 0;
		if (H.active && (vigil_store_lease(H.st, H.name, W.owner, W.lease_ms, &held) ||
				 !held))
			srv_log(s, SRV_LOG_WARN, "reports: lease %s not renewed: %s", H.name,
				held ? vigil_errmsg(H.ctx) : "another server holds it");
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(W.lease_ms / 4 % 1000) * 1000000L;
		ts.tv_sec += W.lease_ms / 4 / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		if (!H.bg.stop)
			pthread_cond_timedwait(&H.bg.cv, &H.bg.mu, &ts);
	}
	pthread_mutex_unlock(&H.bg.mu);
	return NULL;
}

/* Takes the lease name for this server (*held = 0: another server has
 * it) and has the heartbeat renew it. */
static int lease_take(const char *name, int *held)
{
	int rc = vigil_store_lease(W.st, name, W.owner, W.lease_ms, held);

	if (rc || !*held)
		return rc;
	pthread_mutex_lock(&H.bg.mu);
	snprintf(H.name, sizeof(H.name), "%s", name);
	H.active = 1;
	pthread_mutex_unlock(&H.bg.mu);
	return VIGIL_OK;
}

static void lease_give_up(const char *name)
{
	int held;

	pthread_mutex_lock(&H.bg.mu);
	H.active = 0;
	pthread_mutex_unlock(&H.bg.mu);
	vigil_store_lease(W.st, name, W.owner, 0, &held);
}

void srv_reports_lock(void) { pthread_mutex_lock(&W.work_mu); }
void srv_reports_unlock(void) { pthread_mutex_unlock(&W.work_mu); }

void srv_reports_kick(void)
{
	pthread_mutex_lock(&W.bg.mu);
	W.kicked = 1;
	pthread_cond_signal(&W.bg.cv);
	pthread_mutex_unlock(&W.bg.mu);
}

int srv_reports_queue(vigil_store *st, int64_t id, int work, int64_t now)
{
	vigil_report_work w;
	int rc = vigil_report_work_get(st, id, &w);

	if (rc)
		return rc;
	w.work = work;
	w.since = now;
	w.next = now;
	w.tries = 0;
	*w.error = '\0';
	return vigil_report_work_set(st, &w);
}

/* An audit row of the worker's (detail: JSON text). */
static int audit_text(const char *action, int64_t id, const char *detail)
{
	vigil_audit a;
	char obj[32];

	memset(&a, 0, sizeof(a));
	snprintf(obj, sizeof(obj), "%lld", (long long)id);
	a.who = WHO;
	a.role = "system";
	a.action = action;
	a.object = obj;
	a.detail = detail;
	return vigil_audit_append(W.st, &a);
}

/* The same for a state change, outside a transaction: a failure is
 * logged (the change itself is stored already). Takes detail. */
static void audit(srv *s, const char *action, int64_t id, json_t *detail)
{
	char *text = json_dumps(detail, JSON_COMPACT);

	if (audit_text(action, id, text ? text : "{}"))
		srv_log(s, SRV_LOG_ERROR, "report %lld: audit: %s", (long long)id,
			vigil_errmsg(W.ctx));
	free(text);
	json_decref(detail);
}

/* Everything one try needs from the settings. 0, or -1 with why in err
 * (then nothing may be sent). */
typedef struct filing {
	vigil_ncmec_opts o;
	vigil_reporter rep;
	char userpwd[1024];
	char pin[600];
	uint8_t master[VIGIL_MASTER_KEY_BYTES];
} filing;

static int prepare(srv *s, filing *f, char *err, size_t errcap)
{
	memset(f, 0, sizeof(*f));
	if (!*s->cfg.ncmec_url) {
		snprintf(err, errcap, "ncmec_url is not set: reports are not sent");
		return -1;
	}
	if (srv_fetch_pin(s->cfg.ncmec_url, s->cfg.fetch_allow, f->pin, sizeof(f->pin), err,
			  errcap) != SRV_FETCH_OK)
		return -1;
	if (vigil_ncmec_credentials(W.ctx, s->cfg.ncmec_credentials, f->userpwd,
				    sizeof(f->userpwd))) {
		snprintf(err, errcap, "%s", vigil_errmsg(W.ctx));
		return -1;
	}
	if (*s->cfg.master_key_file &&
	    vigil_master_key_load(W.ctx, s->cfg.master_key_file, f->master)) {
		snprintf(err, errcap, "%s", vigil_errmsg(W.ctx));
		return -1;
	}
	f->rep.email = s->cfg.reporter_email;
	f->rep.first_name = s->cfg.reporter_first_name;
	f->rep.last_name = s->cfg.reporter_last_name;
	f->rep.esp_service = s->cfg.esp_service;
	f->o.base_url = s->cfg.ncmec_url;
	f->o.userpwd = f->userpwd;
	f->o.reporter = &f->rep;
	f->o.master_key = *s->cfg.master_key_file ? f->master : NULL;
	f->o.max_attempts = 1; /* retries are the worker's, stored */
	f->o.timeout_ms = (int)SRV_CFG(s, report_timeout) * 1000;
	f->o.resolve = f->pin;
	return 0;
}

static void forget(filing *f)
{
	sodium_memzero(f, sizeof(*f));
}

static int64_t backoff(srv *s, int tries)
{
	int64_t ms = SRV_CFG(s, report_backoff), max = SRV_CFG(s, report_max_backoff) * 1000;

	for (int i = 1; i < tries && ms < max; i++)
		ms *= 2;
	ms = ms < max ? ms : max;
	return (ms + 999) / 1000; /* whole seconds, at least one */
}

static void run_locked(srv *s, int64_t id);

/* One try of the work on report id, by one server at a time. */
static void run_one(srv *s, int64_t id)
{
	char name[48];
	int held = 0;

	snprintf(name, sizeof(name), "report-work:%lld", (long long)id);
	if (lease_take(name, &held)) {
		srv_log(s, SRV_LOG_WARN, "report %lld: lease: %s", (long long)id,
			vigil_errmsg(W.ctx));
		return;
	}
	if (!held)
		return; /* another server is running it */
	run_locked(s, id);
	lease_give_up(name);
}

static void run_locked(srv *s, int64_t id)
{
	vigil_report_work w, now_w;
	vigil_report before, after;
	filing f;
	char err[512];
	int rc, prep_rc, have_before = 0, stopped;
	int64_t now = (int64_t)time(NULL);

	if (vigil_report_work_get(W.st, id, &w) || w.work == VIGIL_REPORT_WORK_NONE)
		return;
	if (!vigil_report_get(W.st, id, &before))
		have_before = 1;
	*err = '\0';
	prep_rc = prepare(s, &f, err, sizeof(err));
	if (!prep_rc) {
		rc = w.work == VIGIL_REPORT_WORK_SUBMIT ? vigil_report_submit(W.st, id, &f.o)
							: vigil_report_retract(W.st, id, &f.o);
		if (rc)
			snprintf(err, sizeof(err), "%s", vigil_errmsg(W.ctx));
	} else {
		rc = VIGIL_EIO; /* the settings may be mended: try later */
	}
	/* What was sent is preserved at once (vigil/evidence.h), as the CLI
	 * does; a miss is caught up by the retention job's next round. */
	if (!rc && f.o.master_key &&
	    vigil_preserve(W.st, f.master, id, now, WHO, 0, NULL))
		srv_log(s, SRV_LOG_WARN, "report %lld: preserving the evidence: %s (the "
			"retention job retries)", (long long)id, vigil_errmsg(W.ctx));
	forget(&f);
	/* A state change is audited as the CLI does (the transparency counts
	 * read report.submit / report.retract). */
	if (have_before && !vigil_report_get(W.st, id, &after)) {
		/* An I/O failure is worth a retry only when NCMEC gave no
		 * answer or its own failure (1xxx); 2xxx-5xxx will not change. */
		if (rc == VIGIL_EIO && !prep_rc && after.last_code >= 2000)
			rc = VIGIL_EABORTED;
		if (after.state != before.state)
			audit(s, w.work == VIGIL_REPORT_WORK_SUBMIT ? "report.submit"
								    : "report.retract",
			      id, json_pack("{s:s,s:s,s:s,s:s}", "state",
					    vigil_report_state_name(after.state), "was",
					    vigil_report_state_name(before.state), "ncmec_id",
					    after.ncmec_id, "by", WHO));
		vigil_report_clear(&after);
	}
	/* Transient: no connection, NCMEC's own failure, or settings not yet
	 * right. Anything else needs a person (or is done). */
	stopped = rc && rc != VIGIL_EIO;
	srv_reports_lock();
	if (!vigil_report_work_get(W.st, id, &now_w) && now_w.work == w.work &&
	    now_w.since == w.since) {
		if (!rc || stopped) {
			now_w.work = VIGIL_REPORT_WORK_NONE;
		} else {
			now_w.tries++;
			now_w.next = now + backoff(s, now_w.tries);
		}
		snprintf(now_w.error, sizeof(now_w.error), "%s", err);
		if (vigil_report_work_set(W.st, &now_w))
			srv_log(s, SRV_LOG_ERROR, "report %lld: %s", (long long)id,
				vigil_errmsg(W.ctx));
	}
	srv_reports_unlock();
	srv_metric_inc("vigil_report_tries_total", "result",
		       !rc ? "done" : stopped ? "stopped" : "retry");
	if (rc)
		srv_log(s, stopped ? SRV_LOG_ERROR : SRV_LOG_WARN, "report %lld: %s%s",
			(long long)id, stopped ? "stopped for a person: " : "will retry: ", err);
	else
		srv_log(s, SRV_LOG_INFO, "report %lld: %s done", (long long)id,
			vigil_report_work_name(w.work));
	if (have_before)
		vigil_report_clear(&before);
}

static const vigil_bank_rule *rule_for(const vigil_bank_rule *v, size_t n, int64_t bank)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].bank_id == bank)
			return &v[i];
	return NULL;
}

/* The deadline alert for one report: the event, the mark and the audit
 * row in one transaction, so it goes out once. */
static void alert_one(srv *s, int64_t id, int64_t now, const vigil_bank_rule *rules,
		      size_t nrules)
{
	vigil_report r;
	vigil_case c;
	const vigil_bank_rule *rule = NULL;
	char geid[VIGIL_EVENT_ID_LEN + 1], beid[VIGIL_EVENT_ID_LEN + 1], *text = NULL;
	json_t *ev;
	int rc, have_case;

	if (vigil_report_get(W.st, id, &r))
		return;
	have_case = !vigil_case_get(W.st, r.case_id, &c);
	if (have_case)
		rule = rule_for(rules, nrules, c.bank_id);
	ev = json_pack("{s:I,s:I,s:s,s:I,s:I,s:I}", "report", (json_int_t)id, "case",
		       (json_int_t)r.case_id, "state", vigil_report_state_name(r.state),
		       "drafted", (json_int_t)r.created, "deadline_seconds",
		       (json_int_t)SRV_CFG(s, report_deadline), "overdue_seconds",
		       (json_int_t)(now - r.created - SRV_CFG(s, report_deadline)));
	text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
	rc = text ? vigil_store_begin(W.st) : VIGIL_ENOMEM;
	if (!rc) {
		rc = srv_outbox_fanout(W.st, s, rule ? rule->policy.webhook_url : NULL,
				       rule ? rule->policy.webhook_secret : NULL,
				       "report.overdue", text, geid, beid);
		if (!rc)
			rc = vigil_report_overdue_mark(W.st, id, now);
		if (!rc)
			rc = audit_text("report.overdue", id, text);
		if (!rc)
			rc = vigil_store_commit(W.st);
		if (rc)
			vigil_store_rollback(W.st);
	}
	if (rc) {
		srv_log(s, SRV_LOG_ERROR, "report %lld: overdue alert not recorded: %s",
			(long long)id, vigil_errmsg(W.ctx));
	} else {
		srv_pipeline_kick();
		srv_metric_inc("vigil_report_overdue_alerts_total", NULL, NULL);
		/* Ids, state and ages only: never what the report holds. */
		srv_log(s, SRV_LOG_WARN, "report %lld (case %lld) is overdue: drafted %lld s "
					 "ago, still %s (deadline %lld s)",
			(long long)id, (long long)r.case_id, (long long)(now - r.created),
			vigil_report_state_name(r.state),
			(long long)SRV_CFG(s, report_deadline));
	}
	free(text);
	json_decref(ev);
	if (have_case)
		vigil_case_clear(&c);
	vigil_report_clear(&r);
}

static void check_deadline(srv *s)
{
	int64_t ids[BATCH], total = 0, now = (int64_t)time(NULL);
	vigil_bank_rule *rules = NULL;
	size_t n = 0, nrules = 0;

	int held = 0;

	if (lease_take("report-deadline", &held) || !held)
		return;
	if (vigil_report_overdue(W.st, now - SRV_CFG(s, report_deadline), ids, BATCH, &n,
				 &total))
		goto out;
	srv_metric_set("vigil_reports_overdue", NULL, NULL, (double)total);
	if (n && vigil_bank_rules_load(W.st, &rules, &nrules))
		goto out;
	for (size_t i = 0; i < n && !srv_bg_stopping(&W.bg); i++)
		alert_one(s, ids[i], now, rules, nrules);
	free(rules);
out:
	lease_give_up("report-deadline");
}

static void tick(srv *s)
{
	int64_t ids[BATCH];
	size_t n = 0;

	if (vigil_report_work_due(W.st, (int64_t)time(NULL), ids, BATCH, &n)) {
		/* A backend without the ops (PostgreSQL): say so once. */
		if (!W.warned++)
			srv_log(s, SRV_LOG_WARN, "reports: %s", vigil_errmsg(W.ctx));
		return;
	}
	for (size_t i = 0; i < n && !srv_bg_stopping(&W.bg); i++)
		run_one(s, ids[i]);
	check_deadline(s);
}

static void *worker(void *arg)
{
	srv *s = arg;

	pthread_mutex_lock(&W.bg.mu);
	while (!W.bg.stop) {
		struct timespec ts;
		W.kicked = 0;
		pthread_mutex_unlock(&W.bg.mu);
		tick(s);
		pthread_mutex_lock(&W.bg.mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += TICK_S;
		if (!W.bg.stop && !W.kicked)
			pthread_cond_timedwait(&W.bg.cv, &W.bg.mu, &ts);
	}
	pthread_mutex_unlock(&W.bg.mu);
	return NULL;
}

int srv_reports_start(srv *s, char *err, size_t errcap)
{
	W.warned = 0;
	srv_metric_define("vigil_reports_overdue", SRV_GAUGE,
			  "Reports not filed past report_deadline");
	srv_metric_define("vigil_report_overdue_alerts_total", SRV_COUNTER,
			  "Deadline alerts raised (one per report)");
	srv_metric_define("vigil_report_tries_total", SRV_COUNTER,
			  "Filing tries of the report worker by result (done, retry, stopped)");
	srv_metric_set("vigil_reports_overdue", NULL, NULL, 0);
	if (vigil_ctx_new(&W.ctx)) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	if (srv_store_open(s, W.ctx, s->cfg.db, &W.st)) {
		snprintf(err, errcap, "reports: %s", vigil_errmsg(W.ctx));
		return -1;
	}
	{
		char host[48] = "";
		uint8_t rnd[6];
		char hex[13];
		gethostname(host, sizeof(host) - 1);
		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
		snprintf(W.owner, sizeof(W.owner), "%s:%ld:%s", host, (long)getpid(), hex);
	}
	W.lease_ms = s->cfg.report_lease * 1000;
	H.active = 0;
	if (vigil_ctx_new(&H.ctx) || srv_store_open(s, H.ctx, s->cfg.db, &H.st)) {
		snprintf(err, errcap, "reports: %s", H.ctx ? vigil_errmsg(H.ctx) : "out of memory");
		return -1;
	}
	if (srv_bg_start(&H.bg, heartbeat, s)) {
		snprintf(err, errcap, "cannot start the report lease heartbeat");
		return -1;
	}
	if (srv_bg_start(&W.bg, worker, s)) {
		snprintf(err, errcap, "cannot start the report worker");
		return -1;
	}
	return 0;
}

void srv_reports_stop(srv *s)
{
	(void)s;
	srv_bg_stop(&W.bg);
	srv_bg_stop(&H.bg);
	vigil_store_close(H.st);
	H.st = NULL;
	vigil_ctx_free(H.ctx);
	H.ctx = NULL;
	vigil_store_close(W.st);
	W.st = NULL;
	vigil_ctx_free(W.ctx);
	W.ctx = NULL;
}
