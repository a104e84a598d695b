/* http.c — libmicrohttpd glue: the daemon, one srv_req per request, body
 * accumulation with a ceiling, the post processor for forms, routing, the
 * auth check, replies, the store pool and the slow-client reaper. */
#include "fetch.h"
#include "metrics.h"
#include "server_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define POST_BUF 65536 /* the post processor's buffer */

/* A connection, tracked so that the reaper can cut one whose headers (or
 * body) take too long: MHD's own timeout only counts idleness, and a
 * client sending a byte a second is never idle. */
struct srv_conn {
	srv_conn *prev, *next;
	int fd;
	int phase;    /* PH_* */
	double since; /* when the phase began (monotonic seconds) */
};
enum { PH_HEADERS, PH_BODY, PH_HANDLER };

struct srv_req {
	srv *s;
	struct MHD_Connection *c;
	srv_conn *conn;
	const srv_route *route;
	const char *method;       /* MHD's, valid for the request */
	char *path;               /* copy */
	srv_params params;
	double start;             /* monotonic */
	int64_t max_body;
	uint8_t *body;            /* raw body (not for forms) */
	size_t len, cap;
	uint64_t received;        /* body bytes seen, forms included */
	int too_big;              /* body went over max_body */
	int counted_upload;       /* holds one of s->uploads */
	struct MHD_PostProcessor *pp;
	srv_part parts[SRV_MAX_PARTS];
	size_t nparts;
	int part_open;            /* the last part may still grow */
	size_t parts_bytes;
	int form_error;
	json_t *json;
	char key_name[VIGIL_NAME_MAX + 1];
	unsigned key_roles;
	char ip[INET6_ADDRSTRLEN];
	char ctype[128];
	srv_slot *slot;
	/* the reply */
	int status;
	struct MHD_Response *resp;
	int queued;               /* resp was handed to MHD */
	char *hname[SRV_MAX_HEADERS], *hvalue[SRV_MAX_HEADERS];
	int nheaders;
	const char *route_label; /* for metrics */
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ----------------------------------------------------------------- log */

void srv_log(srv *s, int level, const char *fmt, ...)
{
	char buf[1024], ts[32];
	va_list ap;
	time_t t = time(NULL);
	struct tm tm;

	if (s && level > SRV_CFG(s, log_level))
		return;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s vigil serve: %s\n", ts, buf);
}

/* ------------------------------------------------------------ accessors */

const char *srv_method(const srv_req *r) { return r->method; }
const char *srv_path(const srv_req *r) { return r->path; }
const srv_route *srv_route_of(const srv_req *r) { return r->route; }
srv *srv_of(const srv_req *r) { return r->s; }
const char *srv_key_name(const srv_req *r) { return r->key_name; }
unsigned srv_key_roles(const srv_req *r) { return r->key_roles; }
const char *srv_client_ip(const srv_req *r) { return r->ip; }
int srv_replied(const srv_req *r) { return r->resp != NULL; }

const char *srv_param(const srv_req *r, const char *name)
{
	for (int i = 0; i < r->params.n; i++)
		if (!strcmp(r->params.name[i], name))
			return r->params.value[i];
	return NULL;
}

int srv_param_id(srv_req *r, const char *name, const char *what, int64_t *id)
{
	const char *p = srv_param(r, name);
	char *end = NULL;
	long long v = p ? strtoll(p, &end, 10) : 0;

	if (!p || !*p || *end || v <= 0) {
		srv_reply_error(r, 400, "invalid", "%s id is a positive integer", what);
		return -1;
	}
	*id = (int64_t)v;
	return 0;
}

const char *srv_query(const srv_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, name);
}

int srv_query_bool(const srv_req *r, const char *name, int def)
{
	const char *v = srv_query(r, name);

	if (!v)
		return def;
	return !strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
	       !*v;
}

const char *srv_header(const srv_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, name);
}

const char *srv_content_type(const srv_req *r) { return r->ctype; }

const uint8_t *srv_body(const srv_req *r, size_t *len)
{
	*len = r->len;
	return r->body ? r->body : (const uint8_t *)"";
}

const srv_part *srv_part_get(const srv_req *r, const char *name)
{
	for (size_t i = 0; i < r->nparts; i++)
		if (!strcmp(r->parts[i].name, name))
			return &r->parts[i];
	return NULL;
}

const srv_part *srv_parts(const srv_req *r, size_t *n)
{
	*n = r->nparts;
	return r->parts;
}

const char *srv_form(const srv_req *r, const char *name)
{
	const srv_part *p = srv_part_get(r, name);

	return p && !p->filename ? (const char *)p->data : NULL;
}

const uint8_t *srv_file(srv_req *r, const char *field, size_t *len)
{
	if (!strcmp(r->ctype, "multipart/form-data")) {
		const srv_part *p = srv_part_get(r, field);
		if (!p || !p->len) {
			srv_reply_error(r, 400, "missing_file",
					"no multipart field '%s' with a file", field);
			return NULL;
		}
		*len = p->len;
		return p->data;
	}
	if (!r->len) {
		srv_reply_error(r, 400, "missing_file",
				"send the file as the request body or as multipart "
				"field '%s'", field);
		return NULL;
	}
	*len = r->len;
	return r->body;
}

json_t *srv_json(srv_req *r, int want)
{
	char err[256];
	size_t max = (size_t)SRV_CFG(r->s, json_max_bytes);

	if (r->json)
		return r->json;
	if (r->len > max) {
		srv_reply_error(r, 413, "json_too_large",
				"JSON body of %zu bytes is over the limit of %zu",
				r->len, max);
		return NULL;
	}
	r->json = srv_json_parse(r->body ? (const void *)r->body : "", r->len, max,
				 (int)SRV_CFG(r->s, json_max_depth), err, sizeof(err));
	if (!r->json) {
		srv_reply_error(r, 400, "bad_json", "%s", err);
		return NULL;
	}
	if ((want == JSON_OBJECT && !json_is_object(r->json)) ||
	    (want == JSON_ARRAY && !json_is_array(r->json))) {
		srv_reply_error(r, 400, "bad_json", "expected a JSON %s",
				want == JSON_OBJECT ? "object" : "array");
		json_decref(r->json);
		r->json = NULL;
		return NULL;
	}
	return r->json;
}

/* ----------------------------------------------------------- store pool */

int srv__store_pool_open(srv *s, char *err, size_t errcap)
{
	s->slots = calloc(s->nslots, sizeof(*s->slots));
	if (!s->slots) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < s->nslots; i++) {
		srv_slot *sl = &s->slots[i];
		int rc = vigil_ctx_new(&sl->ctx);
		if (!rc)
			rc = srv_store_open(s, sl->ctx, s->cfg.db, &sl->st);
		if (rc) {
			snprintf(err, errcap, "%s: %s", s->cfg.db,
				 sl->ctx ? vigil_errmsg(sl->ctx) : vigil_strerror(rc));
			return -1;
		}
	}
	pthread_mutex_init(&s->slot_mu, NULL);
	pthread_cond_init(&s->slot_cv, NULL);
	return 0;
}

void srv__store_pool_close(srv *s)
{
	if (!s->slots)
		return;
	for (size_t i = 0; i < s->nslots; i++) {
		vigil_store_close(s->slots[i].st);
		vigil_ctx_free(s->slots[i].ctx);
	}
	free(s->slots);
	s->slots = NULL;
	pthread_mutex_destroy(&s->slot_mu);
	pthread_cond_destroy(&s->slot_cv);
}

/* There is one slot per request thread, so a request always gets one
 * promptly; the wait only covers a request thread that MHD runs for a
 * connection being closed while another finishes. */
static srv_slot *slot_get(srv_req *r)
{
	srv *s = r->s;

	if (r->slot)
		return r->slot;
	pthread_mutex_lock(&s->slot_mu);
	for (;;) {
		for (size_t i = 0; i < s->nslots; i++)
			if (!s->slots[i].busy) {
				s->slots[i].busy = 1;
				r->slot = &s->slots[i];
				break;
			}
		if (r->slot)
			break;
		pthread_cond_wait(&s->slot_cv, &s->slot_mu);
	}
	pthread_mutex_unlock(&s->slot_mu);
	/* Each request starts with the configured limits. */
	vigil_ctx_set_limit(r->slot->ctx, VIGIL_LIMIT_MAX_BYTES,
			    SRV_CFG(s, max_body));
	vigil_ctx_set_limit(r->slot->ctx, VIGIL_LIMIT_MAX_PIXELS,
			    SRV_CFG(s, max_pixels));
	return r->slot;
}

static void slot_put(srv_req *r)
{
	srv *s = r->s;

	if (!r->slot)
		return;
	pthread_mutex_lock(&s->slot_mu);
	r->slot->busy = 0;
	r->slot = NULL;
	pthread_cond_signal(&s->slot_cv);
	pthread_mutex_unlock(&s->slot_mu);
}

vigil_store *srv_store(srv_req *r) { return slot_get(r)->st; }
vigil_ctx *srv_ctx(srv_req *r) { return slot_get(r)->ctx; }
vigil_matcher *srv_matcher(srv_req *r) { return r->s->matcher; }

/* -------------------------------------------------------------- replies */

static void set_response(srv_req *r, int status, struct MHD_Response *resp)
{
	if (!resp)
		return;
	if (r->resp) { /* a second reply: keep the first */
		MHD_destroy_response(resp);
		return;
	}
	r->status = status;
	r->resp = resp;
}

void srv_reply_data(srv_req *r, int status, const char *content_type,
		    const void *data, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, (void *)data, MHD_RESPMEM_MUST_COPY);

	if (resp && content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					content_type);
	set_response(r, status, resp);
}

void srv_reply_json(srv_req *r, int status, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	struct MHD_Response *resp;

	json_decref(j);
	if (!text) {
		srv_reply_data(r, 500, "application/json",
			       "{\"error\":{\"code\":\"internal\",\"message\":"
			       "\"out of memory\"}}", 58);
		return;
	}
	resp = MHD_create_response_from_buffer(strlen(text), text,
					       MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/json");
	set_response(r, status, resp);
}

static void reply_errorv(srv_req *r, int status, const char *code, int hma,
			 const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (hma)
		srv_reply_json(r, status, json_pack("{s:s}", "message", msg));
	else
		srv_reply_json(r, status, json_pack("{s:{s:s,s:s}}", "error", "code",
						    code, "message", msg));
}

void srv_reply_error(srv_req *r, int status, const char *code,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_errorv(r, status, code, r->route && (r->route->roles & SRV_HMA), fmt, ap);
	va_end(ap);
}

void srv_reply_message(srv_req *r, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_errorv(r, status, "", 1, fmt, ap);
	va_end(ap);
}

void srv_reply_status(srv_req *r, int rc, vigil_ctx *ctx)
{
	const char *msg = ctx && *vigil_errmsg(ctx) ? vigil_errmsg(ctx)
						   : vigil_strerror(rc);

	switch (rc) {
	case VIGIL_ENOENT: srv_reply_error(r, 404, "not_found", "%s", msg); break;
	case VIGIL_EEXIST: srv_reply_error(r, 409, "conflict", "%s", msg); break;
	case VIGIL_EINVAL:
	case VIGIL_EFORMAT:
	case VIGIL_ECORRUPT: srv_reply_error(r, 400, "invalid", "%s", msg); break;
	case VIGIL_ETOOBIG: srv_reply_error(r, 413, "too_large", "%s", msg); break;
	default:
		srv_log(r->s, SRV_LOG_ERROR, "%s %s: %s", r->method, r->path, msg);
		srv_reply_error(r, 500, "internal", "%s", msg);
	}
}

void srv_add_header(srv_req *r, const char *name, const char *value)
{
	if (r->nheaders == SRV_MAX_HEADERS)
		return;
	r->hname[r->nheaders] = strdup(name);
	r->hvalue[r->nheaders] = strdup(value);
	if (!r->hname[r->nheaders] || !r->hvalue[r->nheaders]) {
		free(r->hname[r->nheaders]);
		free(r->hvalue[r->nheaders]);
		return;
	}
	r->nheaders++;
}

/* ------------------------------------------------------- connection info */

static void conn_phase(srv *s, srv_conn *c, int phase)
{
	if (!c)
		return;
	pthread_mutex_lock(&s->conn_mu);
	c->phase = phase;
	c->since = now_mono();
	pthread_mutex_unlock(&s->conn_mu);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode toe)
{
	srv *s = cls;
	srv_conn *sc;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		sc = calloc(1, sizeof(*sc));
		if (!sc || !ci) {
			free(sc);
			*socket_ctx = NULL;
			return;
		}
		sc->fd = ci->connect_fd;
		sc->phase = PH_HEADERS;
		sc->since = now_mono();
		pthread_mutex_lock(&s->conn_mu);
		sc->next = s->conns;
		if (s->conns)
			s->conns->prev = sc;
		s->conns = sc;
		pthread_mutex_unlock(&s->conn_mu);
		*socket_ctx = sc;
		return;
	}
	/* MHD_CONNECTION_NOTIFY_CLOSED comes before MHD closes the socket, so
	 * the reaper never sees a reused descriptor. */
	sc = *socket_ctx;
	if (!sc)
		return;
	pthread_mutex_lock(&s->conn_mu);
	if (sc->prev)
		sc->prev->next = sc->next;
	else
		s->conns = sc->next;
	if (sc->next)
		sc->next->prev = sc->prev;
	pthread_mutex_unlock(&s->conn_mu);
	free(sc);
	*socket_ctx = NULL;
}

/* Once a second: cut connections whose headers or body are late. The
 * socket is shut down, not closed: MHD sees the error and closes it. */
static void *reaper(void *arg)
{
	srv *s = arg;

	while (!__atomic_load_n(&s->stopping, __ATOMIC_RELAXED)) {
		double t = now_mono();
		int64_t ht = SRV_CFG(s, header_timeout), bt = SRV_CFG(s, body_timeout);

		pthread_mutex_lock(&s->conn_mu);
		for (srv_conn *c = s->conns; c; c = c->next) {
			if ((c->phase == PH_HEADERS && t - c->since > (double)ht) ||
			    (c->phase == PH_BODY && t - c->since > (double)bt)) {
				shutdown(c->fd, SHUT_RDWR);
				c->phase = -1; /* once */
				__atomic_add_fetch(&s->cut_slow, 1, __ATOMIC_RELAXED);
				srv_metric_inc("vigil_http_slow_clients_cut_total", NULL,
					       NULL);
			}
		}
		pthread_mutex_unlock(&s->conn_mu);
		for (int i = 0; i < 10 && !__atomic_load_n(&s->stopping, __ATOMIC_RELAXED); i++)
			usleep(100000);
	}
	return NULL;
}

/* -------------------------------------------------------------- requests */

static enum MHD_Result post_iter(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *filename,
				 const char *content_type,
				 const char *transfer_encoding, const char *data,
				 uint64_t off, size_t size)
{
	srv_req *r = cls;
	srv_part *p = r->nparts ? &r->parts[r->nparts - 1] : NULL;
	uint8_t *d;

	(void)kind;
	(void)transfer_encoding;
	/* A new part starts at offset 0, except the data call that follows
	 * MHD's zero-length announcement of the same part. */
	if (!p || off == 0) {
		int same = p && off == 0 && p->len == 0 && !strcmp(p->name, key) &&
			   !((p->filename == NULL) != (filename == NULL));
		if (!same) {
			if (r->nparts == SRV_MAX_PARTS) {
				r->form_error = 1;
				return MHD_NO;
			}
			p = &r->parts[r->nparts++];
			memset(p, 0, sizeof(*p));
			p->name = strdup(key ? key : "");
			p->filename = filename ? strdup(filename) : NULL;
			p->content_type = content_type ? strdup(content_type) : NULL;
			p->data = calloc(1, 1);
			if (!p->name || !p->data || (filename && !p->filename) ||
			    (content_type && !p->content_type)) {
				r->form_error = 1;
				return MHD_NO;
			}
		}
	}
	if (!size)
		return MHD_YES;
	if (off != p->len || (uint64_t)r->parts_bytes + size > (uint64_t)r->max_body) {
		r->form_error = 1;
		return MHD_NO;
	}
	d = realloc((void *)p->data, p->len + size + 1);
	if (!d) {
		r->form_error = 1;
		return MHD_NO;
	}
	memcpy(d + p->len, data, size);
	p->len += size;
	d[p->len] = 0;
	p->data = d;
	r->parts_bytes += size;
	return MHD_YES;
}

static void req_free(srv_req *r)
{
	if (r->pp)
		MHD_destroy_post_processor(r->pp);
	for (size_t i = 0; i < r->nparts; i++) {
		free((void *)r->parts[i].name);
		free((void *)r->parts[i].filename);
		free((void *)r->parts[i].content_type);
		free((void *)r->parts[i].data);
	}
	for (int i = 0; i < r->nheaders; i++) {
		free(r->hname[i]);
		free(r->hvalue[i]);
	}
	if (r->resp)
		MHD_destroy_response(r->resp);
	json_decref(r->json);
	slot_put(r);
	free(r->body);
	free(r->path);
	free(r);
}

static enum MHD_Result queue(srv_req *r)
{
	enum MHD_Result ret;
	char status[8];

	if (!r->resp)
		srv_reply_error(r, 500, "internal", "the handler did not reply");
	if (!r->resp)
		return MHD_NO;
	for (int i = 0; i < r->nheaders; i++)
		MHD_add_response_header(r->resp, r->hname[i], r->hvalue[i]);
	ret = MHD_queue_response(r->c, (unsigned)r->status, r->resp);
	r->queued = 1;
	snprintf(status, sizeof(status), "%d", r->status);
	srv_metric_add("vigil_http_requests_total", "route", r->route_label,
		       "status", status, 1);
	if (r->status >= 400 || SRV_CFG(r->s, log_level) >= SRV_LOG_INFO)
		srv_log(r->s, r->status >= 500 ? SRV_LOG_ERROR : SRV_LOG_INFO,
			"%s %s %d %.1fms key=%s ip=%s", r->method, r->route_label,
			r->status, (now_mono() - r->start) * 1e3,
			*r->key_name ? r->key_name : "-", r->ip);
	return ret;
}

static void client_ip(struct MHD_Connection *c, char *buf, size_t cap)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	snprintf(buf, cap, "?");
	if (!ci || !ci->client_addr)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)ci->client_addr)->sin_addr,
			  buf, (socklen_t)cap);
	else if (ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((struct sockaddr_in6 *)ci->client_addr)->sin6_addr, buf,
			  (socklen_t)cap);
}

/* The first call for a request: its headers are in. Routing, auth and the
 * size checks happen here, before a byte of the body is read; a reply
 * queued now makes MHD skip the body and close the connection. */
static int begin(srv_req *r, const char *url)
{
	srv *s = r->s;
	const char *cl, *auth, *ct;
	char allow[64];
	int st, retry = 0;

	r->path = strdup(url);
	if (!r->path)
		return -1;
	ct = srv_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ct) {
		size_t i;
		for (i = 0; ct[i] && ct[i] != ';' && i + 1 < sizeof(r->ctype); i++)
			r->ctype[i] = (char)tolower((unsigned char)ct[i]);
		while (i && r->ctype[i - 1] == ' ')
			i--;
		r->ctype[i] = 0;
	}
	client_ip(r->c, r->ip, sizeof(r->ip));
	st = srv__route_find(srv_route_tables, r->method, r->path, &r->route,
			     &r->params, allow, sizeof(allow));
	r->route_label = r->route ? r->route->pattern : "unmatched";
	if (st == 404) {
		srv_reply_error(r, 404, "route_not_found", "no route %s %s", r->method,
				r->path);
		return 0;
	}
	if (st == 405) {
		srv_add_header(r, "Allow", allow);
		srv_reply_error(r, 405, "method_not_allowed",
				"%s is not allowed on %s (allowed: %s)", r->method,
				r->path, allow);
		return 0;
	}
	/* --trust-network: HMA clients and callbacks that cannot send a
	 * header. */
	if (!(r->route->roles & SRV_OPEN) &&
	    !((r->route->roles & (SRV_HMA | SRV_HOOK)) && *s->cfg.trust_network &&
	      srv_addr_listed(s->cfg.trust_network, r->ip))) {
		auth = srv_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
		st = srv__auth(s, auth, r->route->roles & SRV_ROLE_ALL, r->key_name,
			       sizeof(r->key_name), &r->key_roles, &retry);
		if (st == 401) {
			srv_add_header(r, "WWW-Authenticate", "Bearer");
			srv_reply_error(r, 401, "unauthorized",
					"%s", auth ? "the API key is unknown or revoked"
						   : "send an API key: Authorization: "
						     "Bearer TOKEN");
			return 0;
		}
		if (st == 403) {
			srv_reply_error(r, 403, "forbidden",
					"key '%s' lacks the role this route needs",
					r->key_name);
			return 0;
		}
		if (st == 429) {
			char ra[16];
			snprintf(ra, sizeof(ra), "%d", retry > 0 ? retry : 1);
			srv_add_header(r, "Retry-After", ra);
			srv_reply_error(r, 429, "rate_limited",
					"key '%s' is over its rate limit", r->key_name);
			return 0;
		}
		if (st) {
			srv_reply_error(r, 503, "unavailable", "keys cannot be read");
			return 0;
		}
	}
	r->max_body = r->route->max_body ? r->route->max_body : SRV_CFG(s, max_body);
	cl = srv_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		char *end;
		unsigned long long v;
		errno = 0;
		v = strtoull(cl, &end, 10);
		if (errno || *end || v > (unsigned long long)r->max_body) {
			srv_reply_error(r, 413, "body_too_large",
					"the body is over the limit of %lld bytes",
					(long long)r->max_body);
			return 0;
		}
	}
	if ((cl && strcmp(cl, "0")) ||
	    srv_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		int64_t max = SRV_CFG(s, max_uploads);
		if (max <= 0)
			max = (int64_t)s->nslots;
		if (__atomic_add_fetch(&s->uploads, 1, __ATOMIC_RELAXED) > max) {
			__atomic_sub_fetch(&s->uploads, 1, __ATOMIC_RELAXED);
			srv_add_header(r, "Retry-After", "1");
			srv_reply_error(r, 503, "busy", "too many uploads at once");
			return 0;
		}
		r->counted_upload = 1;
	}
	if (!strcmp(r->ctype, "multipart/form-data") ||
	    !strcmp(r->ctype, "application/x-www-form-urlencoded")) {
		r->pp = MHD_create_post_processor(r->c, POST_BUF, post_iter, r);
		if (!r->pp) {
			srv_reply_error(r, 400, "bad_form",
					"cannot parse this form (multipart needs a "
					"boundary)");
			return 0;
		}
	}
	conn_phase(s, r->conn, PH_BODY);
	return 0;
}

static int body_chunk(srv_req *r, const char *data, size_t size)
{
	r->received += size;
	if (r->too_big || r->received > (uint64_t)r->max_body) {
		/* A chunked body went over: the rest is read and dropped (MHD
		 * cannot reply mid-body); body_timeout bounds how long. */
		r->too_big = 1;
		return 0;
	}
	if (r->pp) {
		if (!r->form_error &&
		    MHD_post_process(r->pp, data, size) != MHD_YES)
			r->form_error = 1;
		/* A urlencoded body is also kept raw: curl -d sends JSON with
		 * that content type. Multipart bodies are only kept as parts. */
		if (strcmp(r->ctype, "application/x-www-form-urlencoded"))
			return 0;
	}
	if (r->len + size > r->cap) {
		size_t cap = r->cap ? r->cap : 16384;
		uint8_t *b;
		while (cap < r->len + size)
			cap *= 2;
		if (cap > (size_t)r->max_body)
			cap = (size_t)r->max_body;
		b = realloc(r->body, cap);
		if (!b)
			return -1;
		r->body = b;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, size);
	r->len += size;
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	srv *s = cls;
	srv_req *r = *req_cls;

	(void)version;
	if (!r) {
		const union MHD_ConnectionInfo *ci;
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->s = s;
		r->c = c;
		r->method = method;
		r->start = now_mono();
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		r->conn = ci ? ci->socket_context : NULL;
		*req_cls = r;
		__atomic_add_fetch(&s->inflight, 1, __ATOMIC_RELAXED);
		if (begin(r, url))
			return MHD_NO;
		/* An early reply to a request with a body goes out now, so the
		 * body is never read (MHD then closes the connection); without
		 * a body it waits for the final call and keeps the connection. */
		if (r->resp && (srv_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH) ||
				srv_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING)))
			return queue(r);
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (body_chunk(r, upload_data, *upload_data_size))
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->queued)
		return MHD_YES;
	if (r->resp) /* an early reply, held for the end of the request */
		return queue(r);
	conn_phase(s, r->conn, PH_HANDLER);
	if (r->too_big)
		srv_reply_error(r, 413, "body_too_large",
				"the body is over the limit of %lld bytes",
				(long long)r->max_body);
	else if (r->form_error && !strcmp(r->ctype, "multipart/form-data"))
		srv_reply_error(r, 400, "bad_form", "malformed or oversized form body");
	else {
		if (r->pp) {
			MHD_destroy_post_processor(r->pp);
			r->pp = NULL;
		}
		r->route->fn(r);
	}
	return queue(r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	srv *s = cls;
	srv_req *r = *req_cls;

	(void)c;
	(void)toe;
	if (!r)
		return;
	srv_metric_observe("vigil_http_request_duration_seconds", "route",
			   r->route_label ? r->route_label : "unmatched",
			   now_mono() - r->start);
	if (r->counted_upload)
		__atomic_sub_fetch(&s->uploads, 1, __ATOMIC_RELAXED);
	conn_phase(s, r->conn, PH_HEADERS);
	req_free(r);
	*req_cls = NULL;
	__atomic_sub_fetch(&s->inflight, 1, __ATOMIC_RELAXED);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = 0;
	srv_log(cls, SRV_LOG_DEBUG, "libmicrohttpd: %s", buf);
}

/* HOST:PORT or [V6]:PORT into a socket address. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss,
			int *v6, char *err, size_t errcap)
{
	char host[256];
	const char *colon;
	long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');
		if (!rb || rb[1] != ':' || (size_t)(rb - spec - 1) >= sizeof(host))
			goto bad;
		memcpy(host, spec + 1, (size_t)(rb - spec - 1));
		host[rb - spec - 1] = 0;
		colon = rb + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= sizeof(host))
			goto bad;
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = 0;
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port < 0 || port > 65535)
		goto bad;
	if (!*host)
		snprintf(host, sizeof(host), "0.0.0.0");
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		*v6 = 0;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
		*v6 = 1;
		return 0;
	}
bad:
	snprintf(err, errcap, "--listen: expected HOST:PORT or [IPV6]:PORT with a "
			      "numeric address, not '%.100s'", spec);
	return -1;
}

int srv__start(srv *s, char *err, size_t errcap)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *di;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG | MHD_USE_SUPPRESS_DATE_NO_CLOCK;
	int v6;

	if (parse_listen(s->cfg.listen, &ss, &v6, err, errcap))
		return -1;
#ifdef __linux__
	flags |= MHD_USE_EPOLL;
#else
	flags |= MHD_USE_POLL;
#endif
	if (v6)
		flags |= MHD_USE_IPv6;
	pthread_mutex_init(&s->conn_mu, NULL);
	s->d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->nslots,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->cfg.max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)s->cfg.max_connections_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->cfg.idle_timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)s->cfg.connection_memory,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
		MHD_OPTION_END);
	if (!s->d) {
		snprintf(err, errcap, "cannot listen on %s: %s", s->cfg.listen,
			 strerror(errno));
		return -1;
	}
	di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : 0;
	if (pthread_create(&s->reaper, NULL, reaper, s) == 0)
		s->reaper_on = 1;
	return 0;
}

void srv__stop(srv *s)
{
	double deadline;
	MHD_socket lsock;

	if (!s->d)
		return;
	/* Stop accepting; requests in flight finish (up to drain_timeout). */
	lsock = MHD_quiesce_daemon(s->d);
	deadline = now_mono() + (double)s->cfg.drain_timeout;
	while (__atomic_load_n(&s->inflight, __ATOMIC_RELAXED) > 0 &&
	       now_mono() < deadline)
		usleep(20000);
	__atomic_store_n(&s->stopping, 1, __ATOMIC_RELAXED);
	if (s->reaper_on)
		pthread_join(s->reaper, NULL);
	s->reaper_on = 0;
	MHD_stop_daemon(s->d);
	if (lsock != MHD_INVALID_SOCKET)
		close(lsock);
	s->d = NULL;
	pthread_mutex_destroy(&s->conn_mu);
}

/* ---------------------------------------------------------------- audit */

void srv_audit(srv_req *r, const char *action, const char *object,
	       json_t *detail)
{
	char roles[64], *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
	vigil_audit a = {0};
	int rc;

	json_decref(detail);
	srv_roles_format(r->key_roles, roles, sizeof(roles));
	a.who = *r->key_name ? r->key_name : "-";
	a.role = roles;
	a.action = action;
	a.object = object ? object : "";
	a.detail = text ? text : "";
	a.source = r->ip;
	rc = vigil_audit_append(srv_store(r), &a);
	if (rc)
		srv_log(r->s, SRV_LOG_ERROR, "audit %s %s: %s", action, a.object,
			vigil_errmsg(srv_ctx(r)));
	free(text);
}
