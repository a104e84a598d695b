/* server_int.h — the insides of `vigil serve` shared by the plumbing files
 * (http.c, route.c, json.c, keys.c, serve.c). Route files use http.h only. */
#ifndef VIGIL_SERVER_INT_H
#define VIGIL_SERVER_INT_H

#include "config.h"
#include "http.h"

#include <pthread.h>

#define SRV_MAX_PARAMS 8   /* {param}s in one pattern */
#define SRV_MAX_PARTS 64   /* multipart parts / form fields per request */
#define SRV_MAX_HEADERS 8  /* extra reply headers */

/* Reloadable settings are read by request threads while SIGHUP writes
 * them: always through these. */
#define SRV_CFG(s, field) __atomic_load_n(&(s)->cfg.field, __ATOMIC_RELAXED)

typedef struct srv_slot {
	vigil_ctx *ctx;    /* errors of st, and the request's limits */
	vigil_store *st;
	int busy;
} srv_slot;

typedef struct srv_conn srv_conn; /* a tracked connection (slow clients) */
typedef struct srv_keys srv_keys; /* the key cache (keys.c) */

struct srv {
	srv_config cfg;
	struct MHD_Daemon *d;
	int port;                 /* bound */
	srv_slot *slots;          /* the store pool */
	size_t nslots;
	pthread_mutex_t slot_mu;
	pthread_cond_t slot_cv;
	vigil_matcher *matcher;   /* live, shared */
	srv_keys *keys;
	int64_t inflight;         /* requests being handled (atomic) */
	int64_t uploads;          /* requests with a body (atomic) */
	int ready;                /* 1 once the matcher is loaded (atomic) */
	pthread_mutex_t conn_mu;
	srv_conn *conns;          /* tracked connections, a list */
	pthread_t reaper;
	int reaper_on;
	int stopping;             /* atomic */
	int64_t cut_slow;         /* connections cut by the reaper (atomic) */
};

/* Route matching (route.c). Finds the route for (method, path) in
 * srv_route_tables: 0 and *out (with params) when found; 404 if no
 * pattern matches; 405 if one matches under another method (allow gets
 * the methods, comma-separated). Values point into p->buf. A path longer
 * than p->buf matches nothing. */
typedef struct srv_params {
	char buf[2048];  /* the split copy of the path the values point into */
	int n;
	char name[SRV_MAX_PARAMS][32];
	const char *value[SRV_MAX_PARAMS];
} srv_params;
int srv__route_find(const srv_route *const *tables, const char *method,
		    const char *path, const srv_route **out, srv_params *p,
		    char *allow, size_t allowcap);
/* Whether one pattern matches path (params filled). For tests/fuzzing. */
int srv__route_match(const char *pattern, const char *path, srv_params *p);

/* Keys (keys.c). */
int srv__keys_open(srv *s, char *err, size_t errcap);
void srv__keys_close(srv *s);
/* Checks the Authorization header for a route needing `roles`: 0 (with
 * name/roles filled) or an HTTP status (401, 403, 429) with *retry_after
 * set for 429. */
int srv__auth(srv *s, const char *authorization, unsigned roles,
	      char *name, size_t namecap, unsigned *key_roles,
	      int *retry_after);

/* The cache saw a revoke (at once) / a new key (on the next request). */
void srv__keys_revoked(srv *s, const char *name);
void srv__keys_changed(srv *s);

/* The daemon (http.c). */
int srv__start(srv *s, char *err, size_t errcap);
void srv__stop(srv *s); /* drain, then stop */
int srv__store_pool_open(srv *s, char *err, size_t errcap);
void srv__store_pool_close(srv *s);

#endif
