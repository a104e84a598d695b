/* route_exchanges.c — hash-list exchanges over the API (admin): the same
 * as `vigil exchange` (docs/exchanges.md). A fetch runs in the request and
 * keeps the live matcher current as each page commits. */
#include "exchanges.h"
#include "pipeline.h"
#include "server_int.h"

#include <stdlib.h>
#include <string.h>

static json_t *xch_json(const vigil_exchange *x)
{
	json_t *settings = json_loads(x->settings, 0, NULL);
	json_t *ck = x->checkpoint[0] ? json_loads(x->checkpoint, 0, NULL) : NULL;

	return json_pack("{s:s,s:s,s:s,s:o,s:s,s:b,s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:s}",
			 "name", x->name, "api", vigil_exchange_api_name(x->api), "bank",
			 x->bank, "settings", settings ? settings : json_object(),
			 "credentials", x->credentials, "enabled", x->enabled, "up_to_date",
			 x->up_to_date, "full_refetch", x->full, "items", (json_int_t)x->items,
			 "fetched", (json_int_t)x->fetched, "skipped", (json_int_t)x->skipped,
			 "errors", (json_int_t)x->errors, "last_attempt",
			 (json_int_t)x->last_attempt, "last_success",
			 (json_int_t)x->last_success, "checkpoint", ck ? ck : json_null(),
			 "last_error", x->last_error);
}

static void list(srv_req *r)
{
	vigil_exchange *v = NULL;
	size_t n = 0, i;
	vigil_store *st = srv_store(r);
	json_t *a;
	int rc;

	if (!st)
		return;
	rc = vigil_exchange_list(st, &v, &n);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	a = json_array();
	for (i = 0; a && i < n; i++)
		json_array_append_new(a, xch_json(&v[i]));
	free(v);
	srv_reply_json(r, 200, json_pack("{s:o}", "exchanges", a));
}

static void get(srv_req *r)
{
	vigil_store *st = srv_store(r);
	vigil_exchange x;
	int rc;

	if (!st)
		return;
	rc = vigil_exchange_get(st, srv_param(r, "name"), &x);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
	} else {
		json_t *j = xch_json(&x);
		int64_t fc[3];
		if (j && !vigil_exchange_feedback_counts(st, x.name, fc))
			json_object_set_new(j, "feedback",
					    json_pack("{s:I,s:I,s:I}", "pending",
						      (json_int_t)fc[VIGIL_OUTBOX_PENDING], "sent",
						      (json_int_t)fc[VIGIL_OUTBOX_DELIVERED], "failed",
						      (json_int_t)fc[VIGIL_OUTBOX_FAILED]));
		srv_reply_json(r, 200, j);
	}
}

static void create(srv_req *r)
{
	json_t *j = srv_json(r, JSON_OBJECT), *set;
	vigil_store *st;
	const char *name, *api, *bank, *creds;
	char *settings = NULL;
	vigil_exchange x;
	int rc, a;

	if (!j || !(st = srv_store(r)))
		return;
	name = json_string_value(json_object_get(j, "name"));
	api = json_string_value(json_object_get(j, "api"));
	bank = json_string_value(json_object_get(j, "bank"));
	creds = json_string_value(json_object_get(j, "credentials"));
	set = json_object_get(j, "settings");
	a = vigil_exchange_api_parse(api);
	if (!name || a < 0 || !creds || (set && !json_is_object(set))) {
		srv_reply_error(r, 400, "invalid",
				"expected {\"name\":NAME,\"api\":\"ncmec|stopncii|threatexchange|"
				"tcap\",\"credentials\":\"env:NAME|file:PATH\",\"bank\":BANK,"
				"\"settings\":{...}}");
		return;
	}
	if (set)
		settings = json_dumps(set, JSON_COMPACT);
	rc = vigil_exchange_add(st, name, a, bank ? bank : name, settings, creds);
	free(settings);
	if (!rc)
		rc = vigil_exchange_get(st, name, &x);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	srv_audit(r, "exchange.create", name,
		  json_pack("{s:s,s:s}", "api", api, "bank", x.bank));
	srv_reply_json(r, 201, xch_json(&x));
}

static void patch(srv_req *r)
{
	json_t *j = srv_json(r, JSON_OBJECT), *en;
	const char *name = srv_param(r, "name");
	vigil_store *st;
	vigil_exchange x;
	int rc;

	if (!j || !(st = srv_store(r)))
		return;
	en = json_object_get(j, "enabled");
	if (!json_is_boolean(en)) {
		srv_reply_error(r, 400, "invalid", "expected {\"enabled\":true|false}");
		return;
	}
	rc = vigil_exchange_set_enabled(st, name, json_is_true(en));
	if (!rc)
		rc = vigil_exchange_get(st, name, &x);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	srv_audit(r, json_is_true(en) ? "exchange.enable" : "exchange.disable", name, NULL);
	srv_reply_json(r, 200, xch_json(&x));
}

static void del(srv_req *r)
{
	const char *name = srv_param(r, "name");
	vigil_store *st = srv_store(r);
	int rc;

	if (!st)
		return;
	rc = vigil_exchange_delete(st, name);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	srv_audit(r, "exchange.delete", name, NULL);
	srv_reply_json(r, 200, json_pack("{s:s,s:b}", "name", name, "deleted", 1));
}

static void fetch(srv_req *r)
{
	const char *name = srv_param(r, "name");
	vigil_store *st = srv_store(r);
	vigil_exchange_fetch_opts o;
	vigil_exchange_stats s;
	vigil_exchange x;
	int rc;

	if (!st)
		return;
	memset(&o, 0, sizeof(o));
	o.matcher = srv_matcher(r);
	o.matcher_ctx = srv_ctx(r);
	o.full = srv_query_bool(r, "full", 0);
	rc = vigil_exchange_fetch(st, name, &o, &s);
	if (rc == VIGIL_ENOENT || (rc == VIGIL_EINVAL && vigil_exchange_get(st, name, &x))) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	srv_audit(r, "exchange.fetch", name,
		  json_pack("{s:I,s:I,s:I,s:b}", "records", (json_int_t)s.records, "added",
			    (json_int_t)s.added, "removed", (json_int_t)s.removed, "ok", !rc));
	if (rc) {
		/* What committed before the failure stays; the reply says so. */
		srv_reply_json(r, 502, json_pack("{s:{s:s,s:s},s:I,s:I}", "error", "code",
						 "exchange_failed", "message",
						 vigil_errmsg(srv_ctx(r)), "pages",
						 (json_int_t)s.pages, "records",
						 (json_int_t)s.records));
		return;
	}
	srv_reply_json(r, 200, json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "pages",
					 (json_int_t)s.pages, "records", (json_int_t)s.records,
					 "added", (json_int_t)s.added, "removed",
					 (json_int_t)s.removed, "skipped", (json_int_t)s.skipped,
					 "retries", (json_int_t)s.retries, "up_to_date",
					 s.up_to_date));
}

/* GET: the verdicts queued for the exchange (outbox rows), newest first. */
static void feedback_list(srv_req *r)
{
	const char *name = srv_param(r, "name");
	vigil_store *st = srv_store(r);
	vigil_event *v = NULL;
	vigil_exchange x;
	size_t n = 0, i;
	json_t *a;
	int rc;

	if (!st)
		return;
	rc = vigil_exchange_get(st, name, &x);
	if (!rc)
		rc = vigil_exchange_feedback_list(st, name, 1000, &v, &n);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	a = json_array();
	for (i = 0; a && i < n; i++) {
		json_t *b = json_loads(v[i].body, 0, NULL), *d = json_object_get(b, "data");
		json_array_append_new(
			a, json_pack("{s:s,s:O?,s:O?,s:s,s:i,s:I,s:s}", "id", v[i].event_id,
				     "entry", json_object_get(json_object_get(d, "entry"), "id"),
				     "verdict", json_object_get(d, "verdict"), "state",
				     v[i].state == VIGIL_OUTBOX_DELIVERED
					     ? "sent" : vigil_outbox_state_name(v[i].state),
				     "attempts", v[i].attempts, "created",
				     (json_int_t)(v[i].created_ms / 1000), "last_error",
				     v[i].last_error));
		json_decref(b);
	}
	vigil_events_free(v, n);
	srv_reply_json(r, 200, json_pack("{s:s,s:o}", "exchange", name, "feedback", a));
}

/* POST {"entry":ID,"verdict":"confirm|dismiss","reason":GUID}: queued in
 * the outbox (202); the delivery thread sends it. */
static void feedback_add(srv_req *r)
{
	json_t *j = srv_json(r, JSON_OBJECT);
	const char *name = srv_param(r, "name"), *verdict, *reason;
	char eid[VIGIL_EVENT_ID_LEN + 1];
	vigil_store *st;
	json_int_t entry;
	int rc;

	if (!j || !(st = srv_store(r)))
		return;
	verdict = json_string_value(json_object_get(j, "verdict"));
	reason = json_string_value(json_object_get(j, "reason"));
	entry = json_integer_value(json_object_get(j, "entry"));
	if (entry <= 0 || !verdict || (strcmp(verdict, "confirm") && strcmp(verdict, "dismiss"))) {
		srv_reply_error(r, 400, "invalid",
				"expected {\"entry\":ID,\"verdict\":\"confirm|dismiss\"}");
		return;
	}
	rc = vigil_exchange_feedback_queue(st, name, (int64_t)entry, !strcmp(verdict, "confirm"),
					   reason, eid);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	srv_pipeline_kick();
	srv_audit(r, "exchange.feedback", name,
		  json_pack("{s:I,s:s,s:s}", "entry", entry, "verdict", verdict, "id", eid));
	srv_reply_json(r, 202, json_pack("{s:s,s:s}", "id", eid, "state", "pending"));
}

/* GET /v1/feed/{bank}?after=SEQ&floor=F&limit=N: a published bank's change log
 * (vigil/exchange.h), for another vigil's --api vigil exchange. */
static void feed(srv_req *r)
{
	const char *bank = srv_param(r, "bank"), *a = srv_query(r, "after"),
		   *l = srv_query(r, "limit"), *fl = srv_query(r, "floor");
	vigil_store *st = srv_store(r);
	char *text = NULL, *end;
	long long after = 0, limit = 1000, floor_seen = 0;
	const uint8_t *seed;
	int rc;

	if (!st)
		return;
	if (a && *a) {
		after = strtoll(a, &end, 10);
		if (*end || after < 0) {
			srv_reply_error(r, 400, "invalid", "after must be a sequence number");
			return;
		}
	}
	if (l && *l) {
		limit = strtoll(l, &end, 10);
		if (*end || limit < 1 || limit > 10000) {
			srv_reply_error(r, 400, "invalid", "limit must be 1..10000");
			return;
		}
	}
	if (fl && *fl) {
		floor_seen = strtoll(fl, &end, 10);
		if (*end || floor_seen < 0) {
			srv_reply_error(r, 400, "invalid", "floor must be a sequence number");
			return;
		}
	}
	rc = vigil_feed_page(st, bank, (int64_t)after, (int64_t)floor_seen, (size_t)limit, &text);
	if (rc == VIGIL_EABORTED) {
		srv_reply_error(r, 410, "stale_checkpoint", "%s", vigil_errmsg(srv_ctx(r)));
		return;
	}
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	/* The bytes sent are the bytes signed (bank and cursor bound in). */
	seed = srv_feed_seed();
	if (seed) {
		char sig[VIGIL_FEED_SIG_HEX + 1];
		if (vigil_feed_sign(seed, bank, (int64_t)after, text, strlen(text), sig)) {
			free(text);
			srv_reply_error(r, 500, "internal", "cannot sign the page");
			return;
		}
		srv_add_header(r, VIGIL_FEED_SIG_HEADER, sig);
	}
	srv_reply_data(r, 200, "application/json", text, strlen(text));
	free(text);
}

/* GET /v1/feed-key: the public key of feed_key_file, for a peer to pin
 * (vigil exchange add --public-key). */
static void feed_key(srv_req *r)
{
	const uint8_t *seed = srv_feed_seed();
	uint8_t pk[32];
	char hx[65];

	if (!seed) {
		srv_reply_error(r, 404, "not_found", "feed_key_file is not set: feed pages "
			       "are unsigned");
		return;
	}
	vigil_feed_pubkey(seed, pk);
	vigil_hex(pk, sizeof(pk), hx);
	srv_reply_json(r, 200, json_pack("{s:s,s:s}", "algorithm", "ed25519", "public_key", hx));
}

const srv_route srv_routes_exchanges[] = {
	{"GET", "/v1/exchanges", SRV_ROLE_ADMIN, list, 0, "List exchanges"},
	{"POST", "/v1/exchanges", SRV_ROLE_ADMIN, create, 0, "Add an exchange"},
	{"GET", "/v1/exchanges/{name}", SRV_ROLE_ADMIN, get, 0, "Show an exchange"},
	{"PATCH", "/v1/exchanges/{name}", SRV_ROLE_ADMIN, patch, 0, "Enable or disable an exchange"},
	{"DELETE", "/v1/exchanges/{name}", SRV_ROLE_ADMIN, del, 0, "Delete an exchange"},
	{"POST", "/v1/exchanges/{name}/fetch", SRV_ROLE_ADMIN, fetch, 0, "Fetch an exchange now"},
	{"GET", "/v1/exchanges/{name}/feedback", SRV_ROLE_ADMIN, feedback_list, 0,
	 "Verdicts queued for an exchange, with their state"},
	{"POST", "/v1/exchanges/{name}/feedback", SRV_ROLE_ADMIN, feedback_add, 0,
	 "Queue a verdict on an exchange's entry"},
	{"GET", "/v1/feed/{bank}", SRV_ROLE_FEED | SRV_ROLE_ADMIN, feed, 0,
	 "A published bank's changes, for another vigil (the local exchange)"},
	{"GET", "/v1/feed-key", SRV_ROLE_FEED | SRV_ROLE_ADMIN, feed_key, 0,
	 "The public key that signs feed pages, for a peer to pin"},
	{0},
};
