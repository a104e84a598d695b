/* route_health.c — GET /healthz (the process answers) and GET /readyz (the
 * store answers, the matcher is loaded and caught up with the change log),
 * both without a key, for load
 * balancers and orchestrators. */
#include "server_int.h"
#include "sync.h"

static void healthz(srv_req *r)
{
	srv_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

static void readyz(srv_req *r)
{
	srv *s = srv_of(r);
	vigil_bank b;
	int rc;

	if (!__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&s->stopping, __ATOMIC_RELAXED)) {
		srv_reply_error(r, 503, "not_ready", "starting or stopping");
		return;
	}
	/* Several instances: the index must have caught up with the bank
	 * changes made while it loaded. */
	if (!srv_sync_ready()) {
		srv_reply_error(r, 503, "catching_up", "applying the bank changes made "
				"while the index loaded");
		return;
	}
	/* A lookup of a name that cannot exist: touches the database file
	 * without reading any bank. */
	rc = vigil_bank_get(srv_store(r), "-", &b);
	if (rc && rc != VIGIL_ENOENT && rc != VIGIL_EINVAL) {
		srv_reply_error(r, 503, "store_unavailable", "%s",
				vigil_errmsg(srv_ctx(r)));
		return;
	}
	srv_reply_json(r, 200, json_pack("{s:s,s:I}", "status", "ready", "hashes",
					 (json_int_t)vigil_matcher_size(srv_matcher(r))));
}

const srv_route srv_routes_health[] = {
	{"GET", "/healthz", SRV_OPEN, healthz, 0, "Liveness"},
	{"GET", "/readyz", SRV_OPEN, readyz, 0, "Readiness: store and matcher loaded, change log caught up"},
	{0},
};
