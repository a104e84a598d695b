/* http.h — the plumbing every route of `vigil serve` shares: the route
 * table, request accessors, reply helpers, roles, store/matcher access,
 * metrics and audit. Built on libmicrohttpd (thread pool) and jansson.
 *
 * The server code (src/server/) uses only the public headers ("vigil.h")
 *  plus the headers of src/server.
 *
 * How a request flows:
 *  1. MHD accepts it on a pool thread; the headers arrive; the route is
 *     looked up (404 route_not_found / 405 method_not_allowed), then the
 *     key is checked (401 unauthorized / 403 forbidden / 429 rate_limited)
 *     before any body byte is read.
 *     A reply made at this point to a request that has a body goes out at
 *     once, the body is never read and MHD closes the connection.
 *  2. The body is accumulated up to the route's ceiling (srv_config
 *     max_body, or a route's own max_body): a Content-Length over it gets
 *     413 body_too_large before the body is read; a chunked body that
 *     grows over it is dropped as it arrives and gets 413 at its end
 *     (body_timeout bounds how long that can take). Beyond max_uploads
 *     bodies at once: 503 busy with Retry-After. multipart/form-data and
 *     x-www-form-urlencoded bodies are parsed by MHD's post processor into
 *     parts as they stream in.
 *  3. The handler runs once, with the whole body, on the same pool thread.
 *     It must reply exactly once (srv_reply_*); if it does not, the
 *     plumbing answers 500 internal.
 *
 * Errors made by the plumbing (401, 403, 405, 413, 429, 503) take the
 * route's shape: HMA's {"message":...} on SRV_HMA routes, else the native
 * {"error":{"code","message"}}; 404 route_not_found is always native.
 *
 * Threading: handlers run concurrently on up to `threads` pool threads
 * (default twice the CPUs; a handler may block its thread, e.g. hashing,
 * while the other threads go on polling their connections).
 * Everything reached through srv_req is owned by that request and valid
 * until the handler returns. The store: each request that calls
 * srv_store() borrows one handle from a pool of store handles (each with
 * its own vigil_ctx; SQLite in WAL mode, so reads run in parallel and
 * writes queue on SQLite's busy timeout); it is given back when the
 * request ends. The matcher (srv_matcher) is one shared live matcher: it
 * takes queries from many threads and adds/removes from any (see
 * vigil_matcher_add in vigil/store.h).
 */
#ifndef VIGIL_SERVER_HTTP_H
#define VIGIL_SERVER_HTTP_H

#include "vigil.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct srv srv;         /* the running server */
typedef struct srv_req srv_req; /* one request */

/* Roles of an API key (a key holds a set). SRV_OPEN on a route: no key is
 * needed (healthz, readyz). A route lists the roles any one of which
 * admits a key. */
enum {
	SRV_ROLE_SUBMIT = 1,   /* hash, match, content, user reports */
	SRV_ROLE_REVIEW = 2,   /* cases (issue 9) */
	SRV_ROLE_ADMIN = 4,    /* banks, keys, streams, config */
	SRV_ROLE_METRICS = 8,  /* /metrics */
	SRV_ROLE_FEED = 16,    /* GET /v1/feed/{bank}: a peer fetching a
				  published bank (the local exchange) */
	SRV_ROLE_ALL = 31,
	SRV_OPEN = 0x100,      /* route flag: no key needed */
	SRV_HMA = 0x200,       /* route flag: errors as HMA's {"message":...};
				  --trust-network sources need no key */
	SRV_HOOK = 0x400,      /* route flag: a callback (nginx-rtmp) that cannot
				  send a key: --trust-network sources need none */
};

/* A new API token ("vgl_" + 43 base64url characters, NUL-terminated, so
 * cap >= 48) and its SHA-256 digest (what the store keeps). 0, or -1 if
 * cap is too small. The caller wipes token after showing it. */
int srv_key_token(char *token, size_t cap, uint8_t digest[32]);
/* "submit,admin" -> mask; -1 if a name is unknown. */
int srv_roles_parse(const char *s);
/* mask -> "submit,admin" into buf. */
const char *srv_roles_format(unsigned roles, char *buf, size_t cap);

typedef void (*srv_handler)(srv_req *r);

typedef struct srv_route {
	const char *method;  /* "GET", "POST", "PATCH", "DELETE", ... */
	const char *pattern; /* "/v1/banks/{name}/entries/{id}": literal
				segments and {param} segments (one whole
				segment each); a last segment "{param*}"
				takes the rest of the path */
	unsigned roles;      /* SRV_ROLE_* any of which admits, | SRV_OPEN,
				| SRV_HMA */
	srv_handler fn;
	int64_t max_body;    /* this route's body ceiling; 0 = the config's
				max_body */
	const char *summary; /* one line, for the OpenAPI check and logs */
} srv_route;

/* Each resource file exports a table terminated by {0}; routes.c lists the
 * tables (srv_route_tables, NULL-terminated). */
extern const srv_route *const srv_route_tables[];

/* ------------------------------------------------------------ request */

const char *srv_method(const srv_req *r);
const char *srv_path(const srv_req *r);        /* without the query */
const srv_route *srv_route_of(const srv_req *r);
/* A {param} of the route's pattern, percent-decoded; NULL if none. */
const char *srv_param(const srv_req *r, const char *name);
/* A {param} that is an id (a positive integer) into *id: 0, or -1 after
 * replying 400 invalid "WHAT id is a positive integer" (what: "a case"). */
int srv_param_id(srv_req *r, const char *name, const char *what, int64_t *id);
/* A query argument (percent-decoded by MHD); NULL if absent. */
const char *srv_query(const srv_req *r, const char *name);
/* A query argument as a boolean: "1", "true", "yes" -> 1; absent -> def. */
int srv_query_bool(const srv_req *r, const char *name, int def);
/* A request header (case-insensitive); NULL if absent. */
const char *srv_header(const srv_req *r, const char *name);
/* Content-Type without parameters, lower-cased ("" if none). */
const char *srv_content_type(const srv_req *r);

/* The raw body (not NUL-terminated; *len may be 0). A multipart body is
 * not kept raw: use srv_part_get / srv_file. A urlencoded body is kept
 * raw and parsed into fields (srv_form), since curl -d sends JSON under
 * that content type. */
const uint8_t *srv_body(const srv_req *r, size_t *len);

/* One multipart/form-data part (or urlencoded field). */
typedef struct srv_part {
	const char *name;         /* field name */
	const char *filename;     /* or NULL */
	const char *content_type; /* or NULL */
	const uint8_t *data;      /* NUL-terminated for convenience */
	size_t len;
} srv_part;
/* The first part named name; NULL if none. */
const srv_part *srv_part_get(const srv_req *r, const char *name);
/* All parts, in order (for HMA's "content type as the field name"). */
const srv_part *srv_parts(const srv_req *r, size_t *n);
/* A urlencoded (or multipart, without filename) field as text; NULL if
 * absent. */
const char *srv_form(const srv_req *r, const char *name);

/* The file a route works on: the multipart part `field` if the body is
 * multipart, else the raw body. NULL (and replies 400 missing_file itself)
 * if there is none. */
const uint8_t *srv_file(srv_req *r, const char *field, size_t *len);

/* The body parsed as JSON, bounded by the config's json_max_bytes and
 * json_max_depth. On bad JSON (or a non-object/array top level when
 * `want` is JSON_OBJECT/JSON_ARRAY; pass -1 for any) it replies 400
 * bad_json itself and returns NULL. The value belongs to the request. */
json_t *srv_json(srv_req *r, int want);
/* The same checks on any buffer (used by srv_json and the fuzz target):
 * NULL on error with a message in err. Caller owns the result. */
json_t *srv_json_parse(const void *data, size_t len, size_t max_bytes,
		       int max_depth, char *err, size_t errcap);

/* The authenticated key ("" and 0 on an open route / trusted network). */
const char *srv_key_name(const srv_req *r);
unsigned srv_key_roles(const srv_req *r);
const char *srv_client_ip(const srv_req *r); /* "127.0.0.1", "::1" */
srv *srv_of(const srv_req *r);

/* The request's store handle (borrowed from the pool on first call, given
 * back when the request ends) and its ctx (errors of store calls are in
 * vigil_errmsg(srv_ctx(r))). NULL (and a 503 store_unavailable reply) if
 * none could be had. */
vigil_store *srv_store(srv_req *r);
/* A per-request ctx with the server's limits (for hashing and matching). */
vigil_ctx *srv_ctx(srv_req *r);
/* The live matcher, shared by every request. */
vigil_matcher *srv_matcher(srv_req *r);

/* ------------------------------------------------------------- replies */

/* Reply with a JSON value (steals j; NULL j replies 500). */
void srv_reply_json(srv_req *r, int status, json_t *j);
/* Reply with bytes (copied) of a content type. */
void srv_reply_data(srv_req *r, int status, const char *content_type,
		    const void *data, size_t len);
/* Native error: {"error":{"code":CODE,"message":MSG}}. On an SRV_HMA route
 * the same call replies HMA's {"message":MSG} instead. */
void srv_reply_error(srv_req *r, int status, const char *code,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* HMA's {"message": MSG} whatever the route. */
void srv_reply_message(srv_req *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A store/library status mapped to HTTP: ENOENT 404 not_found, EEXIST 409
 * conflict, EINVAL/EFORMAT/ECORRUPT 400 invalid, ETOOBIG 413 too_large,
 * else 500 internal; the message is vigil_errmsg(ctx) or the strerror. */
void srv_reply_status(srv_req *r, int vigil_rc, vigil_ctx *ctx);
/* An extra header on the reply (before srv_reply_*). Copied. */
void srv_add_header(srv_req *r, const char *name, const char *value);
int srv_replied(const srv_req *r);

/* --------------------------------------------------------------- audit */

/* Appends to the audit table, who = the key's name, role = its roles,
 * source = the client ip. detail is a JSON object (stolen; may be NULL).
 * Failures are logged, not returned: an audit row never blocks a reply
 * that has already taken effect — callers that need the audit in the same
 * transaction use the store API directly. */
void srv_audit(srv_req *r, const char *action, const char *object,
	       json_t *detail);

/* ---------------------------------------------------------------- logs */

enum { SRV_LOG_ERROR = 0, SRV_LOG_WARN = 1, SRV_LOG_INFO = 2,
       SRV_LOG_DEBUG = 3 };
/* One line on stderr when level <= the configured log_level. Never pass
 * tokens or bodies. */
/* master_key_file's key, loaded once (NULL: none configured, or it did
 * not load: logged). srv_store_open opens db like vigil_store_open and
 * gives the handle the seal key when master_key_file is set (refusing the
 * handle if the key does not load): every handle of the server uses it. */
const uint8_t *srv_master_key(srv *s);
int srv_store_open(srv *s, vigil_ctx *ctx, const char *db, vigil_store **st);

void srv_log(srv *s, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
