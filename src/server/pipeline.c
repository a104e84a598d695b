/* pipeline.c — the webhook delivery thread of `vigil serve`, and the flood
 * tracker the request threads share.
 *
 * The thread owns one store handle of its own (not one of the request
 * pool's) and loops: deliver what is due (vigil_outbox_deliver: at least
 * once, rows marked only after their attempt), publish the backlog as
 * metrics, then sleep until kicked by a request that committed events or
 * until webhook_poll ms have passed. A kill -9 loses nothing: events are
 * committed with what caused them, and the rows still pending are sent by
 * the next process. */
#include "pipeline.h"
#include "metrics.h"
#include "server_int.h"
#include "sync.h"
#include "bgthread.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ALLOW 64

static struct {
	srv *s;
	vigil_flood *flood;
	vigil_ctx *ctx;
	vigil_store *st;
	srv_bg bg;
	int kicked;
	char allow_buf[4096];
	const char *allow[MAX_ALLOW + 1];
	uint8_t audit_seed[32]; /* the checkpoint key (audit_key_file) */
	int audit_signing;      /* 1 when it was loaded */
	int64_t audit_next;     /* unix s of the next checkpoint */
} P = {.bg = SRV_BG_INIT};

vigil_flood *srv_flood(void)
{
	return P.flood;
}

vigil_matcher *srv_pipeline_matcher(srv *s)
{
	return s->matcher;
}

const char *srv_pipeline_db(srv *s)
{
	return s->cfg.db;
}

int64_t srv_pipeline_max_video_seconds(srv *s)
{
	return SRV_CFG(s, max_video_seconds);
}

int64_t srv_pipeline_max_pixels(srv *s)
{
	return SRV_CFG(s, max_pixels);
}

const char *srv_webhook_url(srv *s)
{
	return s->cfg.webhook_url;
}

int srv_outbox_fanout(vigil_store *st, srv *s, const char *bank_url,
		      const char *bank_secret, const char *type, const char *text,
		      char geid[VIGIL_EVENT_ID_LEN + 1],
		      char beid[VIGIL_EVENT_ID_LEN + 1])
{
	const char *global = srv_webhook_url(s);
	int rc = VIGIL_OK;

	*geid = *beid = '\0';
	if (*global)
		rc = vigil_outbox_add(st, type, global, "", text, geid);
	if (!rc && bank_url && *bank_url && strcmp(bank_url, global))
		rc = vigil_outbox_add(st, type, bank_url, bank_secret ? bank_secret : "",
				      text, beid);
	return rc;
}

int srv_event_queue(vigil_store *st, srv *s, const vigil_bank_rule *bank,
		    const char *type, json_t *data, json_t *actions)
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
		json_array_append_new(actions, json_pack("{s:s,s:s,s:s}", "type", "webhook",
							 "event", type, "event_id", geid));
	if (*beid)
		json_array_append_new(actions, json_pack("{s:s,s:s,s:s,s:s}", "type",
							 "webhook", "event", type,
							 "event_id", beid, "bank", bank->bank));
	return rc;
}

int srv_audit_row(srv_req *r, vigil_store *st, const char *who, const char *action,
		  const char *object, json_t *detail)
{
	char roles[64], *text = json_dumps(detail, JSON_COMPACT);
	vigil_audit a;
	int rc;

	memset(&a, 0, sizeof(a));
	srv_roles_format(srv_key_roles(r), roles, sizeof(roles));
	a.who = who;
	a.role = roles;
	a.action = action;
	a.object = object;
	a.detail = text ? text : "";
	a.source = srv_client_ip(r);
	rc = text ? vigil_audit_append(st, &a) : VIGIL_ENOMEM;
	free(text);
	return rc;
}

const vigil_bank_rule *srv_rule_find(const vigil_bank_rule *rules, size_t n, int64_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rules[i].bank_id == id)
			return &rules[i];
	return NULL;
}

void srv_pipeline_kick(void)
{
	pthread_mutex_lock(&P.bg.mu);
	P.kicked = 1;
	pthread_cond_signal(&P.bg.cv);
	pthread_mutex_unlock(&P.bg.mu);
}

/* Splits webhook_allow ("a, b,c") into P.allow, in place in a copy. */
static void parse_allow(const char *list)
{
	char *p = P.allow_buf;
	int n = 0;

	snprintf(P.allow_buf, sizeof(P.allow_buf), "%s", list);
	while (*p && n < MAX_ALLOW) {
		char *start;
		while (*p == ',' || *p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		start = p;
		while (*p && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		P.allow[n++] = start;
	}
	P.allow[n] = NULL;
}

static void publish_counts(void)
{
	int64_t c[3];

	if (vigil_outbox_counts(P.st, c) == 0) {
		srv_metric_set("vigil_webhook_backlog", NULL, NULL, (double)c[0]);
		srv_metric_set("vigil_webhook_failed", NULL, NULL, (double)c[2]);
	}
}

/* Signs the audit chain's head when it has moved (vigil/service.h). A
 * failure is logged, not fatal: the chain itself still holds. */
static void audit_checkpoint(srv *s)
{
	vigil_audit_checkpoint cp;
	int rc;

	if (!P.audit_signing)
		return;
	/* One signer per tick among instances (each would sign the same head
	 * otherwise; harmless, but noise). */
	if (!srv_lease(s, P.ctx, P.st, "audit.checkpoint",
		       2000 * SRV_CFG(s, audit_checkpoint_interval)))
		return;
	rc = vigil_audit_checkpoint_make(P.st, P.audit_seed, &cp);
	if (rc && rc != VIGIL_ENOENT)
		srv_log(s, SRV_LOG_ERROR, "audit checkpoint: %s", vigil_errmsg(P.ctx));
	else if (!rc)
		srv_log(s, SRV_LOG_DEBUG, "audit checkpoint %lld at record %lld",
			(long long)cp.id, (long long)cp.audit_id);
}

static void *worker(void *arg)
{
	srv *s = arg;

	(void)s;
	for (;;) {
		vigil_deliver_opts o;
		vigil_deliver_stats st;
		struct timespec until;
		int rc;

		pthread_mutex_lock(&P.bg.mu);
		if (P.bg.stop) {
			pthread_mutex_unlock(&P.bg.mu);
			break;
		}
		P.kicked = 0;
		pthread_mutex_unlock(&P.bg.mu);

		if (P.audit_signing && time(NULL) >= P.audit_next) {
			audit_checkpoint(s);
			P.audit_next = time(NULL) + SRV_CFG(s, audit_checkpoint_interval);
		}

		memset(&o, 0, sizeof(o));
		o.allow = P.allow;
		o.secret = *s->cfg.webhook_secret ? s->cfg.webhook_secret : NULL;
		o.timeout_ms = (int)SRV_CFG(s, webhook_timeout) * 1000;
		o.backoff_ms = (int)SRV_CFG(s, webhook_backoff);
		o.max_backoff_ms = (int)SRV_CFG(s, webhook_max_backoff) * 1000;
		o.max_age_s = (int)SRV_CFG(s, webhook_max_age);
		do {
			rc = vigil_outbox_deliver(P.st, &o, &st);
			if (rc) {
				srv_log(s, SRV_LOG_ERROR, "webhooks: %s", vigil_errmsg(P.ctx));
				break;
			}
			if (st.delivered)
				srv_metric_add("vigil_webhook_deliveries_total", "result",
					       "delivered", NULL, NULL, (double)st.delivered);
			if (st.retried)
				srv_metric_add("vigil_webhook_deliveries_total", "result",
					       "retried", NULL, NULL, (double)st.retried);
			if (st.failed) {
				srv_metric_add("vigil_webhook_deliveries_total", "result",
					       "failed", NULL, NULL, (double)st.failed);
				srv_log(s, SRV_LOG_WARN, "webhooks: %zu event(s) failed "
					"for good (GET /v1/webhooks/failed)", st.failed);
			}
			/* A full batch: more may be due right now. */
		} while (st.delivered + st.retried + st.failed >= 32 &&
			 !srv_bg_stopping(&P.bg));
		publish_counts();

		clock_gettime(CLOCK_REALTIME, &until);
		{
			int64_t ms = SRV_CFG(s, webhook_poll);
			until.tv_sec += ms / 1000;
			until.tv_nsec += (ms % 1000) * 1000000;
			if (until.tv_nsec >= 1000000000) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
		}
		pthread_mutex_lock(&P.bg.mu);
		while (!P.kicked && !P.bg.stop &&
		       pthread_cond_timedwait(&P.bg.cv, &P.bg.mu, &until) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&P.bg.mu);
	}
	return NULL;
}

int srv_pipeline_start(srv *s, char *err, size_t errcap)
{
	vigil_quarantine *q = NULL;
	size_t n = 0, i;

	P.s = s;
	parse_allow(s->cfg.webhook_allow);
	srv_metric_define("vigil_verdicts_total", SRV_COUNTER,
			  "Verdicts of /v1/content by verdict");
	srv_metric_define("vigil_webhook_backlog", SRV_GAUGE,
			  "Webhook events waiting for delivery");
	srv_metric_define("vigil_webhook_failed", SRV_GAUGE,
			  "Webhook events that failed for good");
	srv_metric_define("vigil_webhook_deliveries_total", SRV_COUNTER,
			  "Webhook delivery attempts by result");
	srv_metric_define("vigil_entries_quarantined_total", SRV_COUNTER,
			  "Entries quarantined for flooding, by bank");
	if (vigil_flood_new(&P.flood) || vigil_ctx_new(&P.ctx)) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	if (srv_store_open(s, P.ctx, s->cfg.db, &P.st)) {
		snprintf(err, errcap, "webhooks: %s", vigil_errmsg(P.ctx));
		return -1;
	}
	if (*s->cfg.audit_key_file) {
		if (vigil_master_key_load(P.ctx, s->cfg.audit_key_file, P.audit_seed)) {
			snprintf(err, errcap, "audit_key_file: %s", vigil_errmsg(P.ctx));
			return -1;
		}
		P.audit_signing = 1;
		P.audit_next = time(NULL) + SRV_CFG(s, audit_checkpoint_interval);
	}
	if (vigil_quarantine_list(P.st, &q, &n)) {
		snprintf(err, errcap, "quarantine: %s", vigil_errmsg(P.ctx));
		return -1;
	}
	for (i = 0; i < n; i++)
		if (vigil_flood_quarantine(P.flood, q[i].entry_id)) {
			free(q);
			snprintf(err, errcap, "out of memory");
			return -1;
		}
	free(q);
	publish_counts();
	if (srv_bg_start(&P.bg, worker, s)) {
		snprintf(err, errcap, "cannot start the webhook thread");
		return -1;
	}
	if (srv__video_start(s)) {
		snprintf(err, errcap, "cannot start the video thread");
		return -1;
	}
	if (srv__text_start(s, err, errcap))
		return -1;
	return 0;
}

void srv_pipeline_stop(srv *s)
{
	(void)s;
	srv__video_stop();
	srv__text_stop();
	srv_bg_stop(&P.bg);
	if (P.st)
		audit_checkpoint(s); /* the trail as the server leaves it */
	sodium_memzero(P.audit_seed, sizeof(P.audit_seed));
	P.audit_signing = 0;
	vigil_store_close(P.st);
	P.st = NULL;
	vigil_ctx_free(P.ctx);
	P.ctx = NULL;
	vigil_flood_free(P.flood);
	P.flood = NULL;
}

/* ------------------------------------------------ policies over the API */

json_t *srv_bank_with_policy(srv_req *r, json_t *bank, const char *name)
{
	vigil_bank_policy p;
	char *text = NULL;
	json_t *pj;

	if (!bank)
		return NULL;
	if (vigil_bank_policy_get(srv_store(r), name, &p) ||
	    vigil_bank_policy_to_json(&p, &text))
		return bank; /* the bank as it is; the policy read failed */
	pj = json_loads(text, 0, NULL);
	free(text);
	if (pj)
		json_object_set_new(bank, "policy", pj);
	return bank;
}

int srv_policy_parse(srv_req *r, json_t *body, const char *bank, vigil_bank_policy *p,
		     int *has)
{
	json_t *pj = json_object_get(body, "policy");
	char *text;
	int rc;

	*has = 0;
	if (!pj || json_is_null(pj))
		return 0;
	if (!json_is_object(pj)) {
		srv_reply_error(r, 400, "invalid_policy", "'policy' must be an object");
		return -1;
	}
	/* An existing bank's policy is edited; a new bank starts from the
	 * defaults. */
	if (vigil_bank_policy_get(srv_store(r), bank, p))
		vigil_bank_policy_default(p);
	text = json_dumps(pj, JSON_COMPACT);
	if (!text) {
		srv_reply_error(r, 500, "internal", "out of memory");
		return -1;
	}
	rc = vigil_bank_policy_from_json(srv_ctx(r), text, p);
	free(text);
	if (rc) {
		srv_reply_error(r, 400, "invalid_policy", "%s", vigil_errmsg(srv_ctx(r)));
		return -1;
	}
	*has = 1;
	return 0;
}
