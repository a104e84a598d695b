/* route_streams.c — the live monitor of `vigil stream` inside the server:
 * POST|GET /v1/streams, DELETE /v1/streams/{id}, and nginx-rtmp's
 * on_publish / on_publish_done callbacks, so every published stream is
 * watched from its first second and a blocked or once-cut stream key is
 * refused (nginx-rtmp drops a publisher whose on_publish gets a non-2xx).
 *
 * One vigil_monitor per server, started with it (srv_streams_start, after
 * the matcher is loaded) and stopped after the HTTP side has drained
 * (srv_streams_stop). Its events become metrics and log lines; a match
 * that acted marks the stream's key as cut. Cut keys are remembered in the
 * evidence table (each cut leaves a row whose source is the stream URL),
 * so they stay refused across restarts.
 * A cut is also a `stream.cut` event in the webhook outbox (to the global
 * webhook_url and the matched bank's webhook), written with its audit row
 * in one transaction on the module's own store handle, so the platform
 * hears of it at least once even across a crash. */
#include "metrics.h"
#include "pipeline.h"
#include "server_int.h"
#include "streams.h"
#include "sync.h"
#include "work.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CUT_MAX 4096       /* cut keys remembered */
#define KEY_MAX 160        /* "app/name" */
#define EVIDENCE_SCAN 100000 /* evidence rows read at start for cut keys */

#define SHARED_MAX VIGIL_MONITOR_MAX_STREAMS

/* A stream this instance watches as a shared item. */
typedef struct shared {
	char id[VIGIL_WORK_ID_MAX + 1];
	int64_t mon_id; /* the local monitor's id */
} shared;

static struct {
	srv *s;
	vigil_monitor *mon;
	pthread_mutex_t smu;    /* sh[] */
	shared sh[SHARED_MAX];
	size_t nsh;
	pthread_mutex_t mu;     /* cut[] */
	char (*cut)[KEY_MAX];
	size_t ncut;
	vigil_ctx *ctx;         /* st's: used only from on_event (serialised) */
	vigil_store *st;        /* stream.cut events and their audit rows */
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .smu = PTHREAD_MUTEX_INITIALIZER};

/* "app/name" of an rtmp URL (its last two path segments), or -1. */
static int key_of_url(const char *url, char *key, size_t cap)
{
	const char *p = strstr(url, "://"), *slash;
	size_t n;

	if (!p)
		return -1;
	slash = strchr(p + 3, '/'); /* after the host */
	if (!slash || !slash[1])
		return -1;
	n = strlen(slash + 1);
	if (n >= cap)
		return -1;
	memcpy(key, slash + 1, n + 1);
	return strchr(key, '/') ? 0 : -1;
}

static int is_cut(const char *key)
{
	int hit = 0;

	pthread_mutex_lock(&g.mu);
	for (size_t i = 0; i < g.ncut && !hit; i++)
		hit = !strcmp(g.cut[i], key);
	pthread_mutex_unlock(&g.mu);
	return hit;
}

static void mark_cut(const char *key)
{
	if (is_cut(key))
		return;
	pthread_mutex_lock(&g.mu);
	if (g.ncut < CUT_MAX) {
		snprintf(g.cut[g.ncut], KEY_MAX, "%s", key);
		g.ncut++;
	}
	pthread_mutex_unlock(&g.mu);
}

static const char *const ev_name[] = {
	"started", "connected", "frame", "match", "action", "evidence",
	"evidence_retry", "evidence_lost", "error", "disconnected", "stopped",
};

/* Queues `stream.cut` for the platform: the global webhook and the bank's
 * own, with an audit row, in one transaction. Failures are logged (the cut
 * itself has happened; the evidence row is the monitor's). */
static void cut_event(srv *s, const vigil_monitor_event *ev, const char *key)
{
	vigil_bank_policy p;
	const vigil_match *m = ev->match;
	const char *global = srv_webhook_url(s);
	char hash[65], geid[VIGIL_EVENT_ID_LEN + 1], beid[VIGIL_EVENT_ID_LEN + 1];
	json_t *d;
	char *text = NULL;
	int rc;
	vigil_audit a;

	if (!g.st || !m)
		return;
	memset(&p, 0, sizeof(p));
	if (vigil_bank_policy_get(g.st, m->bank, &p))
		memset(&p, 0, sizeof(p));
	if (!*global && !*p.webhook_url)
		return;
	vigil_pdq_to_hex(&ev->hash, hash);
	d = json_pack("{s:I,s:s,s:s,s:f,s:s,s:s,s:I,s:i}", "stream_id",
		      (json_int_t)ev->stream_id, "url", ev->url, "key", key, "seconds",
		      ev->seconds, "hash", hash, "bank", m->bank, "entry",
		      (json_int_t)m->entry_id, "distance", m->distance);
	text = d ? json_dumps(d, JSON_COMPACT) : NULL;
	json_decref(d);
	if (!text || vigil_store_begin(g.st)) {
		srv_log(s, SRV_LOG_ERROR, "stream %lld: stream.cut not queued: %s",
			(long long)ev->stream_id, text ? vigil_errmsg(g.ctx) : "out of memory");
		free(text);
		return;
	}
	rc = srv_outbox_fanout(g.st, s, p.webhook_url, p.webhook_secret, "stream.cut",
			       text, geid, beid);
	if (!rc) {
		memset(&a, 0, sizeof(a));
		a.who = "monitor";
		a.role = "system";
		a.action = "stream.cut";
		a.object = key;
		a.detail = text;
		rc = vigil_audit_append(g.st, &a);
	}
	if (!rc)
		rc = vigil_store_commit(g.st);
	if (rc) {
		srv_log(s, SRV_LOG_ERROR, "stream %lld: stream.cut not queued: %s",
			(long long)ev->stream_id, vigil_errmsg(g.ctx));
		vigil_store_rollback(g.st);
	} else {
		srv_pipeline_kick();
	}
	free(text);
}

/* Events from the monitor's threads (serialised by the monitor). */
static void on_event(void *user, const vigil_monitor_event *ev)
{
	srv *s = user;
	char key[KEY_MAX];
	vigil_monitor_stats st;
	size_t n;

	if (ev->type < 0 || ev->type >= VIGIL__MON_EVENT_END)
		return;
	srv_metric_inc("vigil_stream_events_total", "event", ev_name[ev->type]);
	switch (ev->type) {
	case VIGIL_MON_MATCH:
		srv_metric_inc("vigil_stream_matches_total", "bank",
			       ev->match ? ev->match->bank : "");
		if (ev->acted && key_of_url(ev->url, key, sizeof(key)) == 0) {
			mark_cut(key);
			srv_metric_inc("vigil_stream_cuts_total", NULL, NULL);
			cut_event(s, ev, key);
			srv_log(s, SRV_LOG_WARN,
				"stream %lld %s: matched %s entry %lld at %.1f s "
				"(distance %d): cut",
				(long long)ev->stream_id, ev->url,
				ev->match ? ev->match->bank : "?",
				ev->match ? (long long)ev->match->entry_id : 0LL,
				ev->seconds, ev->match ? ev->match->distance : -1);
		}
		break;
	case VIGIL_MON_ACTION:
		srv_log(s, ev->ok ? SRV_LOG_INFO : SRV_LOG_WARN,
			"stream %lld: action %s (%lld ms): %s", (long long)ev->stream_id,
			ev->ok ? "ok" : "failed", (long long)ev->ms,
			ev->result ? ev->result : "");
		break;
	case VIGIL_MON_EVIDENCE_LOST:
		srv_log(s, SRV_LOG_ERROR, "stream %lld: evidence lost: %s",
			(long long)ev->stream_id, ev->reason ? ev->reason : "");
		break;
	case VIGIL_MON_STARTED:
	case VIGIL_MON_STOPPED:
		vigil_monitor_status(g.mon, NULL, 0, &n, &st);
		srv_metric_set("vigil_streams_watched", NULL, NULL, (double)st.streams);
		break;
	default:
		break;
	}
}

/* Keys cut before this run: the rtmp sources of evidence rows. */
static void load_cut_keys(srv *s)
{
	vigil_evidence *ev = NULL;
	size_t n = 0;
	char key[KEY_MAX];

	if (vigil_evidence_list(s->slots[0].st, 0, EVIDENCE_SCAN, &ev, &n))
		return;
	for (size_t i = 0; i < n; i++)
		if (!strncmp(ev[i].source, "rtmp", 4) &&
		    key_of_url(ev[i].source, key, sizeof(key)) == 0)
			mark_cut(key);
	free(ev);
}

/* ---------------------------------------------- streams as shared work */

static void sh_put(const char *id, int64_t mon_id)
{
	pthread_mutex_lock(&g.smu);
	if (g.nsh < SHARED_MAX) {
		snprintf(g.sh[g.nsh].id, sizeof(g.sh[0].id), "%s", id);
		g.sh[g.nsh].mon_id = mon_id;
		g.nsh++;
	}
	pthread_mutex_unlock(&g.smu);
}

/* Removes the entry of id (by == 0) or of monitor id mon_id (by == 1);
 * 1 if there was one, its other half in *mon_id / id. */
static int sh_take(int by, char *id, int64_t *mon_id)
{
	int hit = 0;

	pthread_mutex_lock(&g.smu);
	for (size_t i = 0; i < g.nsh && !hit; i++) {
		if (by ? g.sh[i].mon_id != *mon_id : strcmp(g.sh[i].id, id))
			continue;
		if (by)
			snprintf(id, VIGIL_WORK_ID_MAX + 1, "%s", g.sh[i].id);
		else
			*mon_id = g.sh[i].mon_id;
		g.sh[i] = g.sh[--g.nsh];
		hit = 1;
	}
	pthread_mutex_unlock(&g.smu);
	return hit;
}

static void audit_system(vigil_store *st, const char *action, const char *object,
			 const char *detail)
{
	vigil_audit a;

	memset(&a, 0, sizeof(a));
	a.who = "monitor";
	a.role = "system";
	a.action = action;
	a.object = object;
	a.detail = detail ? detail : "";
	vigil_audit_append(st, &a);
}

/* Records a stream this instance just started watching as a shared item,
 * under its lease. A failure is logged: the stream is still watched here,
 * only not taken over if this instance dies. */
static void share_stream(srv *s, vigil_ctx *ctx, vigil_store *st, const char *url,
			 int64_t mon_id)
{
	vigil_work w;
	json_t *spec = json_pack("{s:s}", "url", url);
	int rc;

	memset(&w, 0, sizeof(w));
	srv_work_new_id(w.id, sizeof(w.id));
	snprintf(w.kind, sizeof(w.kind), "stream");
	snprintf(w.state, sizeof(w.state), "watching");
	snprintf(w.owner, sizeof(w.owner), "%s", srv_lease_owner());
	w.lease_until_ms = srv_work_until(s, w.kind);
	w.spec = spec ? json_dumps(spec, JSON_COMPACT) : NULL;
	json_decref(spec);
	if (!w.spec || !st || !srv_work_take(s, ctx, st, "stream", w.id)) {
		srv_log(s, SRV_LOG_WARN, "stream %lld: not shared (no lease)", (long long)mon_id);
		free(w.spec);
		return;
	}
	rc = vigil_work_add(st, &w);
	if (rc) {
		srv_work_drop(s, ctx, st, w.id);
		srv_log(s, SRV_LOG_WARN, "stream %lld: not shared: %s", (long long)mon_id,
			vigil_errmsg(ctx));
	} else {
		sh_put(w.id, mon_id);
	}
	free(w.spec);
}

/* A stream stopped through this instance: finished in the store, so that
 * whoever holds it stops too. */
static void unshare_stream(srv *s, vigil_ctx *ctx, vigil_store *st, int64_t mon_id)
{
	char id[VIGIL_WORK_ID_MAX + 1];
	int done = 0;

	if (!sh_take(1, id, &mon_id))
		return;
	if (vigil_work_finish(st, id, NULL, "removed", "{}", &done))
		srv_log(s, SRV_LOG_WARN, "stream %s: %s", id, vigil_errmsg(ctx));
	srv_work_drop(s, ctx, st, id);
}

static int stream_adopt(srv *s, vigil_ctx *ctx, vigil_store *st, const vigil_work *w)
{
	json_t *spec = json_loads(w->spec, 0, NULL);
	const char *url = json_string_value(json_object_get(spec, "url"));
	char err[256], key[KEY_MAX];
	int64_t mon_id;
	int rc = -1;

	if (!g.mon || !url || vigil_monitor_check_url(url, err, sizeof(err))) {
		srv_log(s, SRV_LOG_WARN, "stream %s: cannot take it over", w->id);
	} else if (key_of_url(url, key, sizeof(key)) == 0 && is_cut(key)) {
		/* cut already (by the instance that died): nothing to watch */
		int done = 0;
		vigil_work_finish(st, w->id, srv_lease_owner(), "removed", "{\"cut\":true}", &done);
	} else if (vigil_monitor_add(g.mon, ctx, url, &mon_id)) {
		srv_log(s, SRV_LOG_WARN, "stream %s: %s", w->id, vigil_errmsg(ctx));
	} else {
		json_t *d = json_pack("{s:s,s:I,s:s}", "id", w->id, "stream_id",
				      (json_int_t)mon_id, "from", w->owner);
		char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
		sh_put(w->id, mon_id);
		audit_system(st, "stream.takeover", url, text);
		srv_log(s, SRV_LOG_WARN, "stream %lld %s: taken over", (long long)mon_id, url);
		json_decref(d);
		free(text);
		rc = 0;
	}
	json_decref(spec);
	return rc;
}

/* Held elsewhere now, or removed through another instance. */
static void stream_lost(srv *s, const char *id)
{
	char copy[VIGIL_WORK_ID_MAX + 1];
	int64_t mon_id;
	vigil_ctx *ctx = NULL;

	snprintf(copy, sizeof(copy), "%s", id);
	if (!sh_take(0, copy, &mon_id) || !g.mon || vigil_ctx_new(&ctx))
		return;
	if (vigil_monitor_remove(g.mon, ctx, mon_id) == VIGIL_OK)
		srv_log(s, SRV_LOG_INFO, "stream %lld: no longer watched here", (long long)mon_id);
	vigil_ctx_free(ctx);
}

static const srv_work_kind stream_kind = {"stream", stream_adopt, stream_lost, 1};

int srv_streams_start(srv *s, char *err, size_t errcap)
{
	vigil_monitor_opts o;
	vigil_ctx *ctx = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	o.matcher = s->matcher;
	o.store = s->cfg.db;
	o.radius = (int)s->cfg.radius ? (int)s->cfg.radius : VIGIL_RADIUS_EXACT;
	o.interval = 0.5; /* as vigil stream */
	o.cooldown_ms = 30000;
	if (!strcmp(s->cfg.stream_decode, "all"))
		o.decode = VIGIL_DECODE_ALL;
	else if (!strcmp(s->cfg.stream_decode, "nonref"))
		o.decode = VIGIL_DECODE_NONREF;
	else if (!strcmp(s->cfg.stream_decode, "keyframes"))
		o.decode = VIGIL_DECODE_KEYFRAMES;
	else {
		snprintf(err, errcap, "stream-decode: '%s' is not all, nonref or keyframes",
			 s->cfg.stream_decode);
		return -1;
	}
	o.no_dihedral = !s->cfg.stream_dihedral;
	o.on_event = on_event;
	o.user = s;
	if (*s->cfg.stream_cut_url) {
		o.action.http = s->cfg.stream_cut_url; /* lives as long as s */
		if (vigil_monitor_check_action(&o.action, err, errcap))
			return -1;
	}
	g.cut = calloc(CUT_MAX, sizeof(*g.cut));
	if (!g.cut || curl_global_init(CURL_GLOBAL_DEFAULT) || vigil_ctx_new(&ctx)) {
		snprintf(err, errcap, "streams: out of memory");
		return -1;
	}
	g.s = s;
	if (vigil_ctx_new(&g.ctx) || srv_store_open(s, g.ctx, s->cfg.db, &g.st)) {
		snprintf(err, errcap, "streams: %s",
			 g.ctx ? vigil_errmsg(g.ctx) : "out of memory");
		vigil_ctx_free(ctx);
		return -1;
	}
	rc = vigil_monitor_new(ctx, &o, &g.mon);
	if (rc)
		snprintf(err, errcap, "streams: %s", vigil_errmsg(ctx));
	vigil_ctx_free(ctx);
	if (rc)
		return -1;
	load_cut_keys(s);
	g.nsh = 0;
	srv_work_register(&stream_kind);
	srv_metric_define("vigil_streams_watched", SRV_GAUGE, "Live streams being watched");
	srv_metric_define("vigil_stream_events_total", SRV_COUNTER,
			  "Live monitor events by type");
	srv_metric_define("vigil_stream_matches_total", SRV_COUNTER,
			  "Frames of live streams that matched, by bank");
	srv_metric_define("vigil_stream_cuts_total", SRV_COUNTER,
			  "Live streams cut on a match");
	srv_metric_set("vigil_streams_watched", NULL, NULL, 0);
	return 0;
}

void srv_streams_stop(srv *s)
{
	(void)s;
	if (!g.mon)
		return;
	vigil_monitor_stop(g.mon);
	vigil_monitor_flush(g.mon, 5000);
	vigil_monitor_free(g.mon);
	g.mon = NULL;
	free(g.cut);
	g.cut = NULL;
	g.ncut = 0;
	vigil_store_close(g.st);
	g.st = NULL;
	vigil_ctx_free(g.ctx);
	g.ctx = NULL;
	curl_global_cleanup();
}

/* ---------------------------------------------------------------- routes */

static const char *const state_name[] = {"connecting", "connected", "waiting"};

static json_t *status_json(const vigil_stream_status *st)
{
	return json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:s}", "id", (json_int_t)st->id,
			 "url", st->url, "state",
			 st->state >= 0 && st->state <= 2 ? state_name[st->state] : "?",
			 "frames", (json_int_t)st->frames, "matches",
			 (json_int_t)st->matches, "actions", (json_int_t)st->actions,
			 "reconnects", (json_int_t)st->reconnects, "last_error",
			 st->last_error);
}

/* A snapshot of every stream (caller frees); NULL on out of memory. */
static vigil_stream_status *snapshot(size_t *n, vigil_monitor_stats *stats)
{
	vigil_stream_status *all = calloc(VIGIL_MONITOR_MAX_STREAMS, sizeof(*all));

	*n = 0;
	if (all)
		vigil_monitor_status(g.mon, all, VIGIL_MONITOR_MAX_STREAMS, n, stats);
	if (*n > VIGIL_MONITOR_MAX_STREAMS)
		*n = VIGIL_MONITOR_MAX_STREAMS;
	return all;
}

static int monitor_on(srv_req *r)
{
	if (!g.mon) {
		srv_reply_error(r, 503, "unavailable", "the stream monitor is not running");
		return 0;
	}
	return 1;
}

static int add_stream(srv_req *r, const char *url, int64_t *id)
{
	char err[256];
	int rc;

	if (vigil_monitor_check_url(url, err, sizeof(err))) {
		srv_reply_error(r, 400, "bad_url", "%s", err);
		return -1;
	}
	rc = vigil_monitor_add(g.mon, srv_ctx(r), url, id);
	if (rc == VIGIL_ETOOBIG) {
		srv_reply_error(r, 409, "too_many_streams", "at most %d streams",
				VIGIL_MONITOR_MAX_STREAMS);
		return -1;
	}
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return -1;
	}
	share_stream(srv_of(r), srv_ctx(r), srv_store(r), url, *id);
	return 0;
}

static void streams_add(srv_req *r)
{
	json_t *j, *url;
	int64_t id;

	if (!monitor_on(r) || !(j = srv_json(r, JSON_OBJECT)))
		return;
	url = json_object_get(j, "url");
	if (!json_is_string(url)) {
		srv_reply_error(r, 400, "bad_request", "expected {\"url\": \"rtmp://...\"}");
		return;
	}
	if (add_stream(r, json_string_value(url), &id))
		return;
	srv_audit(r, "stream.add", json_string_value(url),
		  json_pack("{s:I}", "id", (json_int_t)id));
	srv_reply_json(r, 201, json_pack("{s:I,s:s}", "id", (json_int_t)id, "url",
					 json_string_value(url)));
}

/* Every stream watched by the instances on this store, and by whom. */
static json_t *shared_json(vigil_store *st)
{
	vigil_work *w = NULL;
	size_t n = 0;
	json_t *a = json_array();

	if (!a || !st || vigil_work_open(st, "stream", SHARED_MAX * 4, &w, &n))
		return a ? a : json_null();
	for (size_t i = 0; i < n; i++) {
		json_t *spec = json_loads(w[i].spec, 0, NULL);
		json_array_append_new(
			a, json_pack("{s:s,s:O,s:s,s:b,s:I}", "id", w[i].id, "url",
				     json_object_get(spec, "url") ? json_object_get(spec, "url")
								   : json_null(),
				     "owner", w[i].owner, "here",
				     !strcmp(w[i].owner, srv_lease_owner()) && srv_work_held(w[i].id),
				     "attempts", (json_int_t)w[i].attempts));
		json_decref(spec);
	}
	vigil_works_free(w, n);
	return a;
}

static void streams_list(srv_req *r)
{
	vigil_monitor_stats stats;
	size_t n;
	vigil_stream_status *all;
	json_t *a;

	if (!monitor_on(r))
		return;
	all = snapshot(&n, &stats);
	if (!all) {
		srv_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, status_json(&all[i]));
	free(all);
	srv_reply_json(r, 200,
		       json_pack("{s:o,s:o,s:{s:I,s:I,s:I,s:I}}", "streams", a, "shared",
				 shared_json(srv_store(r)), "evidence",
				 "stored", (json_int_t)stats.evidence_stored, "pending",
				 (json_int_t)stats.evidence_pending, "lost",
				 (json_int_t)stats.evidence_lost, "retries",
				 (json_int_t)stats.evidence_retries));
}

static void streams_delete(srv_req *r)
{
	const char *t = srv_param(r, "id");
	char *end;
	long long id;
	int rc;

	if (!monitor_on(r))
		return;
	errno = 0;
	id = strtoll(t, &end, 10);
	if (errno || end == t || *end) {
		srv_reply_error(r, 404, "not_found", "no stream '%s'", t);
		return;
	}
	rc = vigil_monitor_remove(g.mon, srv_ctx(r), id);
	if (rc == VIGIL_OK)
		unshare_stream(srv_of(r), srv_ctx(r), srv_store(r), id);
	if (rc == VIGIL_ENOENT) {
		srv_reply_error(r, 404, "not_found", "no stream %lld", id);
		return;
	}
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	srv_audit(r, "stream.remove", t, NULL);
	srv_reply_json(r, 200, json_pack("{s:I}", "removed", (json_int_t)id));
}

/* nginx-rtmp's app and name: the characters of a URL path segment we can
 * put into rtmp://HOST/APP/NAME without escaping. */
static int segment_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return 0;
	return 1;
}

static int blocked(srv *s, const char *app, const char *name, const char *key)
{
	const char *p = s->cfg.stream_block;

	while (*p) {
		size_t n = strcspn(p, ",");
		if ((n == strlen(name) && !strncmp(p, name, n)) ||
		    (n == strlen(key) && !strncmp(p, key, n)))
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	(void)app;
	return is_cut(key);
}

/* The hook's app and name; 0, or -1 with 400 replied. */
static int hook_fields(srv_req *r, const char **app, const char **name,
		       char *key, char *url, size_t urlcap)
{
	*app = srv_form(r, "app");
	*name = srv_form(r, "name");
	if (!segment_ok(*app) || !segment_ok(*name)) {
		srv_reply_error(r, 400, "bad_request",
				"expected form fields app and name ([A-Za-z0-9._-]{1,64})");
		return -1;
	}
	snprintf(key, KEY_MAX, "%s/%s", *app, *name);
	snprintf(url, urlcap, "rtmp://%s/%s/%s", srv_of(r)->cfg.rtmp_host, *app, *name);
	return 0;
}

static void hook_publish(srv_req *r)
{
	const char *app, *name;
	char key[KEY_MAX], url[512];
	int64_t id;

	if (!monitor_on(r) || hook_fields(r, &app, &name, key, url, sizeof(url)))
		return;
	if (blocked(srv_of(r), app, name, key)) {
		srv_metric_inc("vigil_stream_refused_total", NULL, NULL);
		srv_log(srv_of(r), SRV_LOG_WARN, "on_publish %s from %s: blocked key",
			key, srv_form(r, "addr") ? srv_form(r, "addr") : "?");
		srv_audit(r, "stream.refuse", key, NULL);
		srv_reply_error(r, 403, "stream_blocked", "stream key '%s' is blocked", key);
		return;
	}
	if (add_stream(r, url, &id))
		return;
	srv_audit(r, "stream.publish", key, json_pack("{s:I,s:s}", "id", (json_int_t)id,
						       "url", url));
	srv_reply_json(r, 200, json_pack("{s:I,s:s}", "id", (json_int_t)id, "url", url));
}

/* Streams of url another instance watches: finished in the store (their
 * holder stops at its next round). How many. */
static size_t unshare_url(srv *s, vigil_ctx *ctx, vigil_store *st, const char *url)
{
	vigil_work *w = NULL;
	size_t n = 0, k = 0;

	if (!st || vigil_work_open(st, "stream", SHARED_MAX * 4, &w, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		json_t *spec = json_loads(w[i].spec, 0, NULL);
		const char *u = json_string_value(json_object_get(spec, "url"));
		int done = 0;
		if (u && !strcmp(url, u)) {
			if (vigil_work_finish(st, w[i].id, NULL, "removed", "{}", &done))
				srv_log(s, SRV_LOG_WARN, "stream %s: %s", w[i].id, vigil_errmsg(ctx));
			else if (done)
				k++;
		}
		json_decref(spec);
	}
	vigil_works_free(w, n);
	return k;
}

static void hook_publish_done(srv_req *r)
{
	const char *app, *name;
	char key[KEY_MAX], url[512];
	vigil_stream_status *all;
	size_t n, removed = 0;

	if (!monitor_on(r) || hook_fields(r, &app, &name, key, url, sizeof(url)))
		return;
	all = snapshot(&n, NULL);
	if (!all) {
		srv_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(all[i].url, url) &&
		    vigil_monitor_remove(g.mon, srv_ctx(r), all[i].id) == VIGIL_OK) {
			unshare_stream(srv_of(r), srv_ctx(r), srv_store(r), all[i].id);
			removed++;
		}
	free(all);
	removed += unshare_url(srv_of(r), srv_ctx(r), srv_store(r), url);
	srv_reply_json(r, 200, json_pack("{s:I}", "removed", (json_int_t)removed));
}

const srv_route srv_routes_streams[] = {
	{"POST", "/v1/streams", SRV_ROLE_ADMIN, streams_add, 0,
	 "Watch a live stream (the monitor of vigil stream)"},
	{"GET", "/v1/streams", SRV_ROLE_ADMIN, streams_list, 0,
	 "Streams being watched and their state"},
	{"DELETE", "/v1/streams/{id}", SRV_ROLE_ADMIN, streams_delete, 0,
	 "Stop watching a stream"},
	{"POST", "/v1/hooks/nginx-rtmp/on_publish", SRV_ROLE_ADMIN | SRV_HOOK,
	 hook_publish, 0, "nginx-rtmp on_publish: watch the stream, or refuse a blocked key"},
	{"POST", "/v1/hooks/nginx-rtmp/on_publish_done", SRV_ROLE_ADMIN | SRV_HOOK,
	 hook_publish_done, 0, "nginx-rtmp on_publish_done: stop watching"},
	{0},
};
