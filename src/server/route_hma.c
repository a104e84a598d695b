/* route_hma.c — the routes of Meta's Hasher-Matcher-Actioner (HMA 2.0,
 * "Open Media Match") on vigil, so that its clients switch unchanged:
 * /status, /status/live, /site-map, /h/hash, /m/lookup, /m/raw_lookup,
 * /m/index/status, /c/banks, /c/bank/<name>[/content[/<id>]|/signal].
 * The wire behaviour follows ../shared/hma-api.md; where vigil differs on
 * purpose, docs/hma.md says so and why.
 *
 * The data model maps onto vigil's banks and entries:
 *  - an HMA bank is a vigil bank; its matching_enabled_ratio is kept in the
 *    bank's labels as hma_ratio=R (absent: 1.0);
 *  - an HMA content item is a vigil entry: the content id IS the entry id
 *    (so entries added through /v1 are HMA content too). Its note, user
 *    metadata and disable_until_ts live under the "hma" key of the entry's
 *    metadata JSON. A content item with several signals (POST .../signal
 *    with pdq and video_md5) is one entry per signal: the first is the
 *    item ("more": the others' ids), the others point to it ("of");
 *  - signal pdq = VIGIL_HASH_PDQ, video_md5 = VIGIL_HASH_MD5 (the MD5 of
 *    the uploaded bytes, as in HMA).
 * Adds and removes go to the live matcher at once, so content is matchable
 * as soon as the request returns (HMA itself lags up to ~90 s). */
#include "fetch.h"
#include "hma_parse.h"
#include "metrics.h"
#include "server_int.h"

#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define HMA_MAX_MATCHES 512   /* matches one lookup reports */
#define HMA_NOTE_MAX 255
static const char *const st_name[HMA_NST] = {"pdq", "video_md5"};
static const int st_vtype[HMA_NST] = {VIGIL_HASH_PDQ, VIGIL_HASH_MD5};
/* Content type of each signal type: photo for pdq, video for video_md5. */
static const char *const st_ctype[HMA_NST] = {"photo", "video"};

static const char internal_msg[] =
	"The server encountered an internal error and was unable to complete "
	"your request. Either the server is overloaded or there is an error in "
	"the application.";

/* ------------------------------------------------------------- replies */

/* Flask sorts keys and writes compact JSON. */
static void reply(srv_req *r, int status, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(j);
	if (!text) {
		srv_reply_message(r, 500, "%s", internal_msg);
		return;
	}
	srv_reply_data(r, status, "application/json", text, strlen(text));
	free(text);
}

/* pydantic's 422 body for a missing required query field. */
static void reply_missing(srv_req *r, const char *field, json_t *input)
{
	reply(r, 422, json_pack("[{s:s,s:[s],s:s,s:o,s:s}]", "type", "missing",
				"loc", field, "msg", "Field required", "input",
				input ? input : json_object(), "url",
				"https://errors.pydantic.dev/2.13/v/missing"));
}

static void reply_bool_error(srv_req *r, const char *field, const char *value)
{
	reply(r, 422, json_pack("[{s:s,s:[s],s:s,s:s,s:s}]", "type", "bool_parsing",
				"loc", field, "msg",
				"Input should be a valid boolean, unable to interpret "
				"input",
				"input", value, "url",
				"https://errors.pydantic.dev/2.13/v/bool_parsing"));
}

static void reply_store(srv_req *r, int rc)
{
	srv_log(srv_of(r), SRV_LOG_ERROR, "%s %s: %s", srv_method(r), srv_path(r),
		vigil_errmsg(srv_ctx(r)));
	(void)rc;
	srv_reply_message(r, 500, "%s", internal_msg);
}

/* pydantic's lax bool: 1 true, 0 false, -1 not a bool. */
static int pyd_bool(const char *v)
{
	static const char *const t[] = {"1", "true", "yes", "on", "t", "y"};
	static const char *const f[] = {"0", "false", "no", "off", "f", "n"};

	for (size_t i = 0; i < 6; i++) {
		if (!strcasecmp(v, t[i]))
			return 1;
		if (!strcasecmp(v, f[i]))
			return 0;
	}
	return -1;
}

/* A pydantic bool query argument: *out, or replies 422 and returns -1. */
static int query_bool(srv_req *r, const char *name, int def, int *out)
{
	const char *v = srv_query(r, name);

	*out = def;
	if (!v)
		return 0;
	*out = pyd_bool(v);
	if (*out < 0) {
		reply_bool_error(r, name, v);
		return -1;
	}
	return 0;
}

/* --------------------------------------------------------------- banks */


/* Checks a new bank name: 0, or replies 400 and returns -1. */
static int check_new_name(srv_req *r, const char *n)
{
	if (!hma_bank_name_ok(n)) {
		srv_reply_message(r, 400, "Bank names must be UPPER_WITH_UNDERSCORE");
		return -1;
	}
	if (strlen(n) > VIGIL_NAME_MAX) {
		srv_reply_message(r, 400, "Bank names must be at most %d characters",
				  VIGIL_NAME_MAX);
		return -1;
	}
	return 0;
}



static json_t *bank_json(const vigil_bank *b)
{
	return json_pack("{s:f,s:s}", "matching_enabled_ratio", hma_labels_ratio(b->labels), "name",
			 b->name);
}

/* Lookups need each matched bank's current name (a rename is not seen by
 * the matcher) and ratio. vigil_bank_list counts every bank's entries, too
 * slow for each lookup, so lookups read a snapshot: reloaded by the HMA
 * routes that change banks before they reply, and every BANK_TTL seconds
 * for changes made elsewhere (/v1, the CLI). A bank deleted elsewhere is
 * harmless meanwhile: its entries are gone, and matches are checked against
 * the store. */
#define BANK_TTL 10.0

typedef struct hbank {
	int64_t id;
	char name[VIGIL_NAME_MAX + 1];
	double ratio;
} hbank;

static struct {
	pthread_mutex_t mu;
	hbank *b;     /* the snapshot */
	size_t n;
	double at;    /* when it was read (monotonic) */
	int loading;  /* a reload is under way */
} bc = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, 0};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Reads the banks into a new snapshot. 0, or a store status. */
static int bank_cache_reload(srv_req *r)
{
	vigil_bank *b = NULL;
	size_t n = 0;
	hbank *nb, *old;
	double t = mono();
	int rc = vigil_bank_list(srv_store(r), &b, &n);

	if (rc)
		return rc;
	nb = calloc(n ? n : 1, sizeof(*nb));
	if (!nb) {
		free(b);
		return VIGIL_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		nb[i].id = b[i].id;
		memcpy(nb[i].name, b[i].name, sizeof(nb[i].name));
		nb[i].ratio = hma_labels_ratio(b[i].labels);
	}
	free(b);
	pthread_mutex_lock(&bc.mu);
	old = bc.b;
	bc.b = nb;
	bc.n = n;
	bc.at = t;
	pthread_mutex_unlock(&bc.mu);
	free(old);
	return VIGIL_OK;
}

/* The snapshot's entry for bank id into out: 1 found, 0 not, or -1 with a
 * reply made (store error). A bank the snapshot lacks (made elsewhere
 * since) makes it reload once. */
static int bank_by_id(srv_req *r, int64_t id, hbank *out)
{
	int found = 0;

	for (int pass = 0; pass < 2 && !found; pass++) {
		int need;
		pthread_mutex_lock(&bc.mu);
		need = !bc.b || pass || (mono() - bc.at > BANK_TTL && !bc.loading);
		if (need)
			bc.loading = 1;
		pthread_mutex_unlock(&bc.mu);
		if (need) {
			int rc = bank_cache_reload(r);
			pthread_mutex_lock(&bc.mu);
			bc.loading = 0;
			pthread_mutex_unlock(&bc.mu);
			if (rc) {
				reply_store(r, rc);
				return -1;
			}
		}
		pthread_mutex_lock(&bc.mu);
		for (size_t i = 0; i < bc.n && !found; i++)
			if (bc.b[i].id == id) {
				*out = bc.b[i];
				found = 1;
			}
		pthread_mutex_unlock(&bc.mu);
	}
	return found;
}

/* After a bank change made here: the next lookup sees it. */
static void banks_changed(srv_req *r)
{
	if (bank_cache_reload(r))
		srv_log(srv_of(r), SRV_LOG_ERROR, "bank snapshot: %s",
			vigil_errmsg(srv_ctx(r)));
}

/* Frees the snapshot (at exit, for leak checkers). */
static void __attribute__((destructor)) bank_cache_free(void)
{
	free(bc.b);
	bc.b = NULL;
}

/* The bank named by the route's {name}: 0, or replies 404 (HMA's text) and
 * returns -1. */
static int route_bank(srv_req *r, vigil_bank *b, const char *msg_fmt)
{
	const char *name = srv_param(r, "name");
	int rc = vigil_bank_get(srv_store(r), name, b);

	if (rc == VIGIL_OK)
		return 0;
	if (rc == VIGIL_ENOENT || rc == VIGIL_EINVAL)
		srv_reply_message(r, 404, msg_fmt, name);
	else
		reply_store(r, rc);
	return -1;
}

static void banks_list(srv_req *r)
{
	vigil_bank *b = NULL;
	size_t n = 0;
	json_t *a;
	int rc = vigil_bank_list(srv_store(r), &b, &n);

	if (rc) {
		reply_store(r, rc);
		return;
	}
	a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, bank_json(&b[i]));
	free(b);
	reply(r, 200, a);
}

static void bank_get(srv_req *r)
{
	vigil_bank b;

	if (route_bank(r, &b, "bank '%s' not found"))
		return;
	reply(r, 200, bank_json(&b));
}

/* A JSON object body for the pydantic routes: anything else is 422. */
static json_t *pyd_body(srv_req *r)
{
	size_t len;
	const uint8_t *body = srv_body(r, &len);
	char err[128];
	json_t *j = NULL;

	if (!strcmp(srv_content_type(r), "application/json"))
		j = srv_json_parse(body, len, (size_t)SRV_CFG(srv_of(r), json_max_bytes),
				   (int)SRV_CFG(srv_of(r), json_max_depth), err,
				   sizeof(err));
	if (!j || !json_is_object(j)) {
		json_decref(j);
		reply(r, 422, json_pack("[{s:s,s:[s],s:s,s:{},s:s}]", "type",
					"model_type", "loc", "body", "msg",
					"Input should be a valid dictionary or object",
					"input", "url",
					"https://errors.pydantic.dev/2.13/v/model_type"));
		return NULL;
	}
	return j;
}

/* A number field (int or float) of a pydantic model: 1 with *v, 0 if
 * absent or null, -1 (422 replied) if not a number. */
static int pyd_number(srv_req *r, json_t *o, const char *key, double *v)
{
	json_t *x = json_object_get(o, key);

	if (!x || json_is_null(x))
		return 0;
	if (json_is_number(x)) {
		*v = json_number_value(x);
		return 1;
	}
	if (json_is_string(x)) {
		char *end;
		*v = strtod(json_string_value(x), &end);
		if (end != json_string_value(x) && !*end)
			return 1;
	}
	reply(r, 422, json_pack("[{s:s,s:[s],s:s,s:O,s:s}]", "type", "float_parsing",
				"loc", key, "msg",
				"Input should be a valid number, unable to parse "
				"string as a number",
				"input", x, "url",
				"https://errors.pydantic.dev/2.13/v/float_parsing"));
	return -1;
}

static int pyd_bool_field(srv_req *r, json_t *o, const char *key, int *v)
{
	json_t *x = json_object_get(o, key);

	if (!x || json_is_null(x))
		return 0;
	if (json_is_boolean(x)) {
		*v = json_is_true(x);
		return 1;
	}
	if (json_is_string(x) && (*v = pyd_bool(json_string_value(x))) >= 0)
		return 1;
	if (json_is_integer(x) && (json_integer_value(x) == 0 || json_integer_value(x) == 1)) {
		*v = (int)json_integer_value(x);
		return 1;
	}
	reply(r, 422, json_pack("[{s:s,s:[s],s:s,s:O,s:s}]", "type", "bool_parsing",
				"loc", key, "msg", "Input should be a valid boolean",
				"input", x, "url",
				"https://errors.pydantic.dev/2.13/v/bool_parsing"));
	return -1;
}

static int set_ratio(srv_req *r, vigil_bank *b, double ratio)
{
	char labels[VIGIL_TEXT_MAX + 1];
	int rc;

	if (hma_labels_with_ratio(b->labels, ratio, labels, sizeof(labels))) {
		srv_reply_message(r, 400, "bank labels are too long to hold the ratio");
		return -1;
	}
	rc = vigil_bank_update(srv_store(r), b->name, NULL, labels);
	if (rc) {
		reply_store(r, rc);
		return -1;
	}
	memcpy(b->labels, labels, strlen(labels) + 1);
	return 0;
}

static void banks_create(srv_req *r)
{
	json_t *j = pyd_body(r), *name;
	vigil_bank b;
	double ratio = 1.0;
	int has_ratio, en = 0, has_en, rc;

	if (!j)
		return;
	name = json_object_get(j, "name");
	if (!json_is_string(name)) {
		reply_missing(r, "name", json_incref(j));
		goto out;
	}
	has_ratio = pyd_number(r, j, "enabled_ratio", &ratio);
	if (has_ratio < 0 || (has_en = pyd_bool_field(r, j, "enabled", &en)) < 0)
		goto out;
	/* As HMA codes it: enabled_ratio defaults to 1.0, so `enabled` only
	 * counts when enabled_ratio is sent as null. */
	if (!has_ratio) {
		json_t *x = json_object_get(j, "enabled_ratio");
		ratio = x && json_is_null(x) && has_en ? (en ? 1.0 : 0.0) : 1.0;
	}
	if (check_new_name(r, json_string_value(name)))
		goto out;
	rc = vigil_bank_create(srv_store(r), json_string_value(name), NULL, NULL, &b);
	if (rc == VIGIL_EEXIST) {
		srv_reply_message(r, 403, "Bank already exists");
		goto out;
	}
	if (rc) {
		reply_store(r, rc);
		goto out;
	}
	if (ratio != 1.0 && set_ratio(r, &b, ratio))
		goto out;
	banks_changed(r);
	srv_audit(r, "bank.create", b.name, json_pack("{s:s,s:f}", "via", "hma",
						       "enabled_ratio", ratio));
	reply(r, 201, bank_json(&b));
out:
	json_decref(j);
}

static void bank_update(srv_req *r)
{
	json_t *j, *name, *out;
	vigil_bank b;
	double ratio = 0;
	int has_ratio, en = 0, has_en, rc, int_ratio = 0;

	rc = vigil_bank_get(srv_store(r), srv_param(r, "name"), &b);
	if (rc == VIGIL_ENOENT || rc == VIGIL_EINVAL) {
		srv_reply_message(r, 404, "Bank not found");
		return;
	}
	if (rc) {
		reply_store(r, rc);
		return;
	}
	if (!(j = pyd_body(r)))
		return;
	has_ratio = pyd_number(r, j, "enabled_ratio", &ratio);
	if (has_ratio < 0 || (has_en = pyd_bool_field(r, j, "enabled", &en)) < 0)
		goto out;
	name = json_object_get(j, "name");
	if (name && !json_is_null(name)) {
		if (!json_is_string(name)) {
			srv_reply_message(r, 400, "Bank names must be UPPER_WITH_UNDERSCORE");
			goto out;
		}
		if (strcmp(json_string_value(name), b.name)) {
			if (check_new_name(r, json_string_value(name)))
				goto out;
			rc = vigil_bank_rename(srv_store(r), b.name, json_string_value(name));
			if (rc == VIGIL_EEXIST) {
				srv_reply_message(r, 403, "Bank name already exists");
				goto out;
			}
			if (rc) {
				reply_store(r, rc);
				goto out;
			}
			snprintf(b.name, sizeof(b.name), "%s", json_string_value(name));
		}
	}
	if (has_en && !has_ratio) {
		ratio = en ? 1.0 : 0.0;
		int_ratio = 1; /* HMA answers the integer 0 or 1 here */
	}
	if ((has_en || has_ratio) && set_ratio(r, &b, ratio))
		goto out;
	banks_changed(r);
	srv_audit(r, "bank.update", b.name, json_pack("{s:s,s:O}", "via", "hma",
						       "change", j));
	out = bank_json(&b);
	if (int_ratio)
		json_object_set_new(out, "matching_enabled_ratio",
				    json_integer((json_int_t)ratio));
	reply(r, 200, out);
out:
	json_decref(j);
}

static void bank_delete(srv_req *r)
{
	vigil_bank b;
	const char *name = srv_param(r, "name");

	/* HMA answers Done whether or not the bank existed. */
	if (vigil_bank_get(srv_store(r), name, &b) == VIGIL_OK) {
		int rc = vigil_bank_delete(srv_store(r), name);
		if (rc && rc != VIGIL_ENOENT) {
			reply_store(r, rc);
			return;
		}
		vigil_matcher_drop_bank(srv_matcher(r), b.id);
		banks_changed(r);
		srv_audit(r, "bank.delete", name, json_pack("{s:s}", "via", "hma"));
	}
	reply(r, 200, json_pack("{s:s}", "message", "Done"));
}

/* ------------------------------------------------------------- signals */


static int st_parse(const char *name)
{
	for (int i = 0; i < HMA_NST; i++)
		if (!strcmp(name, st_name[i]))
			return i;
	return -1;
}

static void hex_of(const vigil_entry *e, char *out)
{
	if (e->type == VIGIL_HASH_PDQ) {
		vigil_pdq h;
		memcpy(h.bits, e->value, 32);
		vigil_pdq_to_hex(&h, out);
		return;
	}
	for (size_t i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", e->value[i]);
}

/* --------------------------------------------------------------- hashing */

/* The signal types to compute for a content type, from ?types= (CSV,
 * trimmed, empties skipped). mask of HMA_ST_*, or -1 (400 replied). */
static int type_selection(srv_req *r, const char *ctype)
{
	const char *types = srv_query(r, "types");
	int all = 0, mask = 0;

	for (int i = 0; i < HMA_NST; i++)
		if (!strcmp(st_ctype[i], ctype))
			all |= 1 << i;
	if (!types)
		return all;
	for (const char *p = types; *p;) {
		char item[64];
		size_t n = strcspn(p, ","), a = 0, b = n;
		while (a < b && isspace((unsigned char)p[a]))
			a++;
		while (b > a && isspace((unsigned char)p[b - 1]))
			b--;
		if (b > a) {
			int st;
			size_t l = b - a < sizeof(item) - 1 ? b - a : sizeof(item) - 1;
			memcpy(item, p + a, l);
			item[l] = 0;
			st = st_parse(item);
			if (st < 0) {
				srv_reply_message(r, 400,
						  "signal type '%s' doesn't exist or is "
						  "disabled",
						  item);
				return -1;
			}
			mask |= 1 << st;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	mask &= all;
	if (!mask) {
		srv_reply_message(r, 400, "empty signal type selection");
		return -1;
	}
	return mask;
}

/* The computed signals of one piece of content. hex[st] is "" for a PDQ of
 * too low quality (HMA's empty hash). */
typedef struct hma_hashes {
	int mask;                 /* HMA_ST_* computed */
	char hex[HMA_NST][65];
	vigil_entry e[HMA_NST];   /* values, for matching and adding */
} hma_hashes;

/* Hashes data as content type ctype ("photo"/"video"); 0, or -1 with a
 * reply made. */
static int hash_content(srv_req *r, const char *ctype, const uint8_t *data,
			size_t len, int mask, hma_hashes *h)
{
	vigil_ctx *ctx = srv_ctx(r);

	memset(h, 0, sizeof(*h));
	h->mask = mask;
	if (mask & (1 << HMA_ST_PDQ)) {
		vigil_pdq q;
		int rc = vigil_pdq_hash_memory(ctx, data, len, NULL, &q, NULL);
		if (rc == VIGIL_ETOOBIG) {
			srv_reply_message(r, 413, "%s", vigil_errmsg(ctx));
			return -1;
		}
		if (rc) {
			/* HMA: a 500 from PIL; an undecodable upload is the
			 * client's error, so 400 here. */
			srv_reply_message(r, 400, "could not decode the %s: %s", ctype,
					  vigil_errmsg(ctx));
			return -1;
		}
		h->e[HMA_ST_PDQ].type = VIGIL_HASH_PDQ;
		memcpy(h->e[HMA_ST_PDQ].value, q.bits, 32);
		h->e[HMA_ST_PDQ].quality = q.quality;
		if (q.quality >= 50)
			vigil_pdq_to_hex(&q, h->hex[HMA_ST_PDQ]);
	}
	if (mask & (1 << HMA_ST_MD5)) {
		int rc = vigil_digest(ctx, VIGIL_MD5, data, len, h->e[HMA_ST_MD5].value);
		if (rc) {
			reply_store(r, rc);
			return -1;
		}
		h->e[HMA_ST_MD5].type = VIGIL_HASH_MD5;
		h->e[HMA_ST_MD5].quality = -1;
		hex_of(&h->e[HMA_ST_MD5], h->hex[HMA_ST_MD5]);
	}
	return 0;
}

/* The one uploaded file of a multipart body, named by its content type;
 * NULL (400 replied) if there is none, several, or the name is not one. */
static const srv_part *upload_part(srv_req *r)
{
	size_t n, files = 0;
	const srv_part *parts = srv_parts(r, &n), *f = NULL;

	if (strcmp(srv_content_type(r), "multipart/form-data")) {
		srv_reply_message(r, 400, "Missing multipart/form-data file upload");
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (parts[i].filename) {
			files++;
			f = &parts[i];
		}
	if (!files) {
		srv_reply_message(r, 400, "Missing multipart/form-data file upload");
		return NULL;
	}
	if (files > 1) {
		srv_reply_message(r, 400, "Only one file allowed per request");
		return NULL;
	}
	if (strcmp(f->name, "photo") && strcmp(f->name, "video")) {
		srv_reply_message(r, 400, "no such content_type: '%s'", f->name);
		return NULL;
	}
	return f;
}

static int hash_upload(srv_req *r, hma_hashes *h)
{
	const srv_part *f = upload_part(r);
	int mask;

	if (!f)
		return -1;
	mask = type_selection(r, f->name);
	if (mask < 0)
		return -1;
	return hash_content(r, f->name, f->data, f->len, mask, h);
}

/* GET ...?url=: fetch under the SSRF rules (fetch.h), then hash. */
static int hash_url(srv_req *r, const char *url, hma_hashes *h)
{
	srv *s = srv_of(r);
	const char *ct = srv_query(r, "content_type");
	char ctype[16];
	srv_fetch_result res;
	int64_t max = SRV_CFG(s, fetch_max_bytes);
	int rc, mask;

	if (ct && strcmp(ct, "photo") && strcmp(ct, "video")) {
		srv_reply_message(r, 400, "no such content_type: '%s'", ct);
		return -1;
	}
	if (max > SRV_CFG(s, max_body))
		max = SRV_CFG(s, max_body);
	rc = srv_fetch(url, s->cfg.fetch_allow, max, (int)SRV_CFG(s, fetch_timeout),
		       &res);
	if (rc == SRV_FETCH_UNSAFE) {
		srv_log(s, SRV_LOG_WARN, "url fetch refused: %s", res.error);
		srv_reply_message(r, 400, "Invalid or unsafe URL provided");
		return -1;
	}
	if (rc == SRV_FETCH_TOO_BIG) {
		srv_reply_message(r, 413, "Content too large");
		return -1;
	}
	if (rc) {
		srv_reply_message(r, 400, "Failed to fetch URL: %s", res.error);
		return -1;
	}
	srv_metric_inc("vigil_hma_url_fetches_total", NULL, NULL);
	if (ct)
		snprintf(ctype, sizeof(ctype), "%s", ct);
	else if (!strncmp(res.content_type, "image/", 6))
		snprintf(ctype, sizeof(ctype), "photo");
	else if (!strncmp(res.content_type, "video/", 6))
		snprintf(ctype, sizeof(ctype), "video");
	else {
		srv_reply_message(r, 400,
				  "unsupported url ContentType: '%s', if you know the "
				  "expected type, provide it with the content_type "
				  "query param",
				  res.content_type);
		free(res.data);
		return -1;
	}
	mask = type_selection(r, ctype);
	rc = mask < 0 ? -1 : hash_content(r, ctype, res.data, res.len, mask, h);
	free(res.data);
	return rc;
}

static json_t *hashes_json(const hma_hashes *h)
{
	json_t *o = json_object();

	for (int i = 0; o && i < HMA_NST; i++)
		if (h->mask & (1 << i))
			json_object_set_new(o, st_name[i], json_string(h->hex[i]));
	return o;
}

static void h_hash_post(srv_req *r)
{
	hma_hashes h;

	if (!hash_upload(r, &h))
		reply(r, 200, hashes_json(&h));
}

static void h_hash_get(srv_req *r)
{
	const char *url = srv_query(r, "url");
	hma_hashes h;

	if (!url) {
		reply_missing(r, "url", NULL);
		return;
	}
	if (!hash_url(r, url, &h))
		reply(r, 200, hashes_json(&h));
}

/* ------------------------------------------------------ content records */

/* The entry's "hma" object (borrowed from root, which the caller frees),
 * or NULL; root is the whole metadata object (never NULL on success). */
static json_t *entry_hma(const vigil_entry *e, json_t **root)
{
	json_t *h;

	*root = *e->metadata ? json_loads(e->metadata, 0, NULL) : NULL;
	if (!*root || !json_is_object(*root)) {
		json_decref(*root);
		*root = json_object();
	}
	h = json_object_get(*root, "hma");
	return json_is_object(h) ? h : NULL;
}

static int64_t hma_int(json_t *h, const char *key, int64_t def)
{
	json_t *x = h ? json_object_get(h, key) : NULL;

	return json_is_integer(x) ? (int64_t)json_integer_value(x) : def;
}

/* disable_until_ts: 0 disabled, 1 enabled, else enabled from that time. */
static int enabled_now(int64_t until)
{
	return until == 1 || (until != 0 && until <= (int64_t)time(NULL));
}

/* The content id an entry belongs to ("of", else itself). */
static int64_t content_of(const vigil_entry *e)
{
	json_t *root, *h = entry_hma(e, &root);
	int64_t id = hma_int(h, "of", e->id);

	json_decref(root);
	return id;
}

/* HMA's metadata object from the stored user metadata: always all four
 * keys, null where unset. */
static json_t *metadata_json(json_t *m)
{
	json_t *o = json_pack("{s:n,s:n,s:n,s:n}", "collab", "content_id",
			      "content_uri", "json");
	const char *k;
	json_t *v;

	json_object_foreach(m, k, v)
		json_object_set(o, k, v);
	return o;
}

/* Validates HMA's metadata: only content_id, content_uri (strings) and
 * json (object); collab is dropped. NULL with a 400 replied. */
static json_t *check_metadata(srv_req *r, json_t *m)
{
	json_t *out, *v;
	const char *k;

	if (!json_is_object(m)) {
		srv_reply_message(r, 400, "metadata should be a json object");
		return NULL;
	}
	out = json_object();
	json_object_foreach(m, k, v) {
		if (!strcmp(k, "collab"))
			continue;
		if ((!strcmp(k, "content_id") || !strcmp(k, "content_uri")) &&
		    (json_is_string(v) || json_is_null(v))) {
			json_object_set(out, k, v);
			continue;
		}
		if (!strcmp(k, "json") && (json_is_object(v) || json_is_null(v))) {
			json_object_set(out, k, v);
			continue;
		}
		srv_reply_message(r, 400, "Invalid metadata: %s: not a valid field or "
					  "type", k);
		json_decref(out);
		return NULL;
	}
	return out;
}

/* Checks a note (JSON value): 0 with *note ("" = none), or -1 (400). */
static int check_note(srv_req *r, json_t *v, const char **note)
{
	*note = "";
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		srv_reply_message(r, 400, "note should be a string");
		return -1;
	}
	if (json_string_length(v) > HMA_NOTE_MAX) {
		srv_reply_message(r, 400, "note must be at most %d characters",
				  HMA_NOTE_MAX);
		return -1;
	}
	*note = json_string_value(v);
	return 0;
}

/* Writes the entry metadata text {"hma":{...}} (plus keys of old that are
 * not ours) into e->metadata; -1 (400 replied) if it does not fit. */
static int put_meta(srv_req *r, vigil_entry *e, json_t *old, json_t *hma)
{
	json_t *root = old ? json_deep_copy(old) : json_object();
	char *text;
	int rc = 0;

	json_object_set(root, "hma", hma);
	text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	if (!text || strlen(text) > VIGIL_META_MAX) {
		srv_reply_message(r, 400, "metadata and note must fit in %d bytes",
				  VIGIL_META_MAX);
		rc = -1;
	} else {
		memcpy(e->metadata, text, strlen(text) + 1);
	}
	free(text);
	return rc;
}

/* The existing entry holding e's hash in bank b (a bank keeps each hash
 * once), through the matcher: its id, or 0. */
static int64_t existing_entry(srv_req *r, const vigil_bank *b, const vigil_entry *e)
{
	vigil_match m[64];
	size_t found = 0, n;
	int rc;

	if (e->type == VIGIL_HASH_PDQ) {
		vigil_pdq q;
		memcpy(q.bits, e->value, 32);
		q.quality = e->quality;
		rc = vigil_matcher_pdq(srv_matcher(r), srv_ctx(r), &q, NULL, 0, m, 64,
				       &found);
	} else {
		rc = vigil_matcher_digest(srv_matcher(r), srv_ctx(r), e->type, e->value,
					  m, 64, &found);
	}
	n = found < 64 ? found : 64;
	for (size_t i = 0; !rc && i < n; i++)
		if (m[i].bank_id == b->id && m[i].type == e->type && m[i].distance == 0)
			return m[i].entry_id;
	return 0;
}

/* Adds one content item of n signals (e[0..n), values set) to bank b with
 * note and user metadata (may be NULL): replies {"id","signals"}. */
static void add_content(srv_req *r, vigil_bank *b, vigil_entry *e, size_t n,
			const char *note, json_t *meta)
{
	int64_t ids[HMA_NST] = {0}, id0 = 0, dup0 = 0;
	int fresh[HMA_NST] = {0};
	json_t *hma = json_object(), *signals = json_object();
	vigil_store *st = srv_store(r);
	int rc;

	if (!n) {
		srv_reply_message(r, 400, "No signals given");
		goto out;
	}
	if (*note)
		json_object_set_new(hma, "note", json_string(note));
	if (meta && json_object_size(meta))
		json_object_set(hma, "metadata", meta);
	for (size_t i = 0; i < n; i++)
		if (put_meta(r, &e[i], NULL, hma))
			goto out;
	rc = vigil_entries_add(st, b->name, e, n, ids);
	if (rc) {
		reply_store(r, rc);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		vigil_entry got;
		char hex[65];
		if (!ids[i]) {
			/* The bank had this hash (a bank keeps each hash once):
			 * that item stays as it is. */
			ids[i] = existing_entry(r, b, &e[i]);
			if (ids[i] && vigil_entry_get(st, ids[i], &got) == VIGIL_OK)
				ids[i] = content_of(&got);
			if (!dup0)
				dup0 = ids[i];
		} else if ((rc = vigil_entry_get(st, ids[i], &got)) == VIGIL_OK) {
			fresh[i] = 1;
			rc = vigil_matcher_add(srv_matcher(r), srv_ctx(r), b, &got);
			if (rc) {
				reply_store(r, rc);
				goto out;
			}
		}
		hex_of(&e[i], hex);
		json_object_set_new(signals,
				    e[i].type == VIGIL_HASH_PDQ ? "pdq" : "video_md5",
				    json_string(hex));
		if (!id0 && fresh[i])
			id0 = ids[i];
	}
	/* The item is the first new entry; the other new ones join it. With
	 * no new entry, it is the item the bank already had. */
	if (!id0)
		id0 = dup0;
	if (n > 1 && id0 && id0 != dup0) {
		json_t *more = json_array();
		for (size_t i = 0; i < n; i++)
			if (fresh[i] && ids[i] != id0) {
				vigil_entry x;
				json_t *xh = json_deep_copy(hma);
				json_array_append_new(more, json_integer(ids[i]));
				json_object_set_new(xh, "of", json_integer(id0));
				if (!put_meta(r, &x, NULL, xh))
					vigil_entry_set_metadata(st, ids[i], x.metadata);
				json_decref(xh);
			}
		if (json_array_size(more)) {
			vigil_entry x;
			json_object_set_new(hma, "more", more);
			if (!put_meta(r, &x, NULL, hma))
				vigil_entry_set_metadata(st, id0, x.metadata);
		} else {
			json_decref(more);
		}
	}
	if (srv_replied(r))
		goto out;
	srv_audit(r, "entry.add", b->name,
		  json_pack("{s:s,s:I,s:O}", "via", "hma", "id", (json_int_t)id0,
			    "signals", signals));
	reply(r, 200, json_pack("{s:I,s:O}", "id", (json_int_t)id0, "signals", signals));
out:
	json_decref(hma);
	json_decref(signals);
}

static void bank_signal(srv_req *r)
{
	vigil_bank b;
	json_t *j, *v;
	vigil_entry e[HMA_NST];
	const char *k, *note = "";
	size_t n = 0;
	int seen = 0;

	if (route_bank(r, &b, "bank '%s' not found"))
		return;
	if (strcmp(srv_content_type(r), "application/json")) {
		srv_reply_message(r, 415, "Did not attempt to load JSON data because the "
					  "request Content-Type was not "
					  "'application/json'.");
		return;
	}
	{
		size_t len;
		const uint8_t *body = srv_body(r, &len);
		char err[128];
		j = srv_json_parse(body, len, (size_t)SRV_CFG(srv_of(r), json_max_bytes),
				   (int)SRV_CFG(srv_of(r), json_max_depth), err,
				   sizeof(err));
	}
	if (!j) {
		srv_reply_message(r, 400, "The browser (or proxy) sent a request that "
					  "this server could not understand.");
		return;
	}
	if (!json_is_object(j)) {
		srv_reply_message(r, 400, "No signals given");
		goto out;
	}
	if (check_note(r, json_object_get(j, "note"), &note))
		goto out;
	json_object_foreach(j, k, v) {
		int st;
		char norm[65];
		const char *why;
		if (!strcmp(k, "note"))
			continue;
		st = st_parse(k);
		if (st < 0) {
			srv_reply_message(r, 400, "No such signal type %s", k);
			goto out;
		}
		if (!json_is_string(v) ||
		    hma_signal_parse(st, json_string_value(v), &e[n], norm, &why)) {
			srv_reply_message(r, 400, "Invalid %s signal: %s", k,
					  json_is_string(v) ? why : "not a string");
			goto out;
		}
		if (!(seen & (1 << st)))
			n++;
		seen |= 1 << st;
	}
	add_content(r, &b, e, n, note, NULL);
out:
	json_decref(j);
}

static void bank_content_add(srv_req *r)
{
	vigil_bank b;
	hma_hashes h;
	vigil_entry e[HMA_NST];
	json_t *meta = NULL, *body = NULL, *m;
	const char *url = srv_query(r, "url"), *note = "";
	json_t *note_v = NULL;
	size_t n = 0;

	if (route_bank(r, &b, "bank '%s' not found"))
		return;
	if (url) {
		size_t len;
		const uint8_t *raw = srv_body(r, &len);
		if (len && !strcmp(srv_content_type(r), "application/json")) {
			char err[128];
			body = srv_json_parse(raw, len,
					      (size_t)SRV_CFG(srv_of(r), json_max_bytes),
					      (int)SRV_CFG(srv_of(r), json_max_depth),
					      err, sizeof(err));
			if (!body) {
				srv_reply_message(r, 400, "The browser (or proxy) sent a "
							  "request that this server "
							  "could not understand.");
				return;
			}
			if (json_is_object(body)) {
				m = json_object_get(body, "metadata");
				if (m && !json_is_null(m) && !(meta = check_metadata(r, m)))
					goto out;
				note_v = json_object_get(body, "note");
			}
		}
		if (check_note(r, note_v, &note) || hash_url(r, url, &h))
			goto out;
	} else if (!strcmp(srv_content_type(r), "multipart/form-data")) {
		const char *mt = srv_form(r, "metadata"), *nt = srv_form(r, "note");
		if (mt) {
			json_t *mj = json_loads(mt, JSON_DECODE_ANY, NULL);
			if (!mj) {
				srv_reply_message(r, 400, "metadata form field must be valid "
							  "JSON");
				goto out;
			}
			meta = check_metadata(r, mj);
			json_decref(mj);
			if (!meta)
				goto out;
		}
		if (nt) {
			note_v = json_string(nt);
			if (check_note(r, note_v, &note)) {
				json_decref(note_v);
				note_v = NULL;
				goto out;
			}
		}
		if (hash_upload(r, &h))
			goto out_note;
	} else {
		srv_reply_message(r, 400, "Neither `url` nor multipart file upload was "
					  "received");
		goto out;
	}
	for (int i = 0; i < HMA_NST; i++) {
		if (!(h.mask & (1 << i)))
			continue;
		if (!*h.hex[i]) {
			srv_reply_message(r, 400, "Invalid %s signal: invalid PDQ hash",
					  st_name[i]);
			goto out_note;
		}
		e[n] = h.e[i];
		*e[n].source_ref = 0;
		n++;
	}
	add_content(r, &b, e, n, note, meta);
out_note:
	if (!url)
		json_decref(note_v);
out:
	json_decref(meta);
	json_decref(body);
}

/* The content id of the route: 0 and the entry, or -1 (404 replied). */
static int route_content(srv_req *r, vigil_bank *b, vigil_entry *e)
{
	const char *idt = srv_param(r, "id");
	char *end;
	long long id;
	int rc;

	if (route_bank(r, b, "bank '%s' not found"))
		return -1;
	errno = 0;
	id = strtoll(idt, &end, 10);
	if (errno || end == idt || *end || id <= 0) {
		srv_reply_message(r, 404, "content '%s' not found", idt);
		return -1;
	}
	rc = vigil_entry_get(srv_store(r), id, e);
	if (rc == VIGIL_ENOENT || (rc == VIGIL_OK && content_of(e) != e->id)) {
		srv_reply_message(r, 404, "content '%lld' not found", id);
		return -1;
	}
	if (rc) {
		reply_store(r, rc);
		return -1;
	}
	return 0;
}

/* The bank an entry really belongs to (HMA shows the owner, not the
 * route's bank). */
static json_t *owner_json(srv_req *r, int64_t bank_id)
{
	vigil_bank *b = NULL;
	size_t n = 0;
	json_t *o = NULL;

	if (vigil_bank_list(srv_store(r), &b, &n) == VIGIL_OK)
		for (size_t i = 0; i < n; i++)
			if (b[i].id == bank_id)
				o = bank_json(&b[i]);
	free(b);
	return o ? o : json_null();
}

/* The entries of one content item: the item and its "more". */
static size_t content_entries(srv_req *r, const vigil_entry *e, json_t *h,
			      vigil_entry *out, size_t cap)
{
	json_t *more = h ? json_object_get(h, "more") : NULL, *v;
	size_t n = 0, i;

	out[n++] = *e;
	json_array_foreach(more, i, v)
		if (n < cap && json_is_integer(v) &&
		    vigil_entry_get(srv_store(r), json_integer_value(v), &out[n]) ==
			    VIGIL_OK)
			n++;
	return n;
}

static void content_get(srv_req *r)
{
	vigil_bank b;
	vigil_entry e, all[HMA_NST + 2];
	json_t *root, *h, *o, *m;
	const char *is = srv_query(r, "include_signals");
	int sig = is && !strcasecmp(is, "true"), md;

	if (query_bool(r, "include_metadata", 1, &md) || route_content(r, &b, &e))
		return;
	h = entry_hma(&e, &root);
	o = json_pack("{s:o,s:I,s:I,s:n}", "bank", owner_json(r, e.bank_id),
		      "disable_until_ts", (json_int_t)hma_int(h, "disable_until_ts", 1),
		      "id", (json_int_t)e.id, "original_media_uri");
	m = h ? json_object_get(h, "metadata") : NULL;
	if (md && json_is_object(m) && json_object_size(m))
		json_object_set_new(o, "metadata", metadata_json(m));
	if (h && json_is_string(json_object_get(h, "note")))
		json_object_set(o, "note", json_object_get(h, "note"));
	if (sig) {
		json_t *s = json_object();
		size_t n = content_entries(r, &e, h, all, HMA_NST + 2);
		for (size_t i = 0; i < n; i++) {
			char hex[65];
			if (all[i].type != VIGIL_HASH_PDQ && all[i].type != VIGIL_HASH_MD5)
				continue;
			hex_of(&all[i], hex);
			json_object_set_new(s, all[i].type == VIGIL_HASH_PDQ ? "pdq"
									     : "video_md5",
					    json_string(hex));
		}
		if (json_object_size(s))
			json_object_set_new(o, "signals", s);
		else
			json_decref(s);
	}
	json_decref(root);
	reply(r, 200, o);
}

static void content_put(srv_req *r)
{
	vigil_bank b;
	vigil_entry e, all[HMA_NST + 2];
	json_t *j = NULL, *root, *h, *v, *m;
	const char *note = NULL;
	size_t n;
	int rc;

	if (route_content(r, &b, &e))
		return;
	if (strcmp(srv_content_type(r), "application/json")) {
		srv_reply_message(r, 415, "Did not attempt to load JSON data because the "
					  "request Content-Type was not "
					  "'application/json'.");
		return;
	}
	{
		size_t len;
		const uint8_t *body = srv_body(r, &len);
		char err[128];
		j = srv_json_parse(body, len, (size_t)SRV_CFG(srv_of(r), json_max_bytes),
				   (int)SRV_CFG(srv_of(r), json_max_depth), err,
				   sizeof(err));
	}
	if (!j || !json_is_object(j)) {
		json_decref(j);
		srv_reply_message(r, 400, "The browser (or proxy) sent a request that "
					  "this server could not understand.");
		return;
	}
	h = entry_hma(&e, &root);
	h = h ? json_deep_copy(h) : json_object();
	v = json_object_get(j, "disable_until_ts");
	if (v && !json_is_null(v)) {
		long long t = -1;
		char *end;
		if (json_is_integer(v))
			t = json_integer_value(v);
		else if (json_is_string(v)) {
			errno = 0;
			t = strtoll(json_string_value(v), &end, 10);
			if (errno || end == json_string_value(v) || *end)
				t = -1;
		}
		if (t < 0) {
			srv_reply_message(r, 400, "disable_until_ts must be a non-negative "
						  "integer");
			goto out;
		}
		if (t > (long long)time(NULL) + 5LL * 365 * 86400) {
			srv_reply_message(r, 400, "disable_until_ts must be less than 5 "
						  "years in the future");
			goto out;
		}
		json_object_set_new(h, "disable_until_ts", json_integer(t));
	}
	v = json_object_get(j, "note");
	if (v) {
		if (check_note(r, v, &note))
			goto out;
		if (*note)
			json_object_set_new(h, "note", json_string(note));
		else
			json_object_del(h, "note");
	}
	/* Every signal of the item carries the same state. */
	n = content_entries(r, &e, h, all, HMA_NST + 2);
	for (size_t i = 0; i < n; i++) {
		json_t *xroot, *xh = entry_hma(&all[i], &xroot), *nh = json_deep_copy(h);
		if (i)
			json_object_del(nh, "more");
		if (xh && json_object_get(xh, "of"))
			json_object_set(nh, "of", json_object_get(xh, "of"));
		rc = put_meta(r, &all[i], xroot, nh);
		json_decref(nh);
		json_decref(xroot);
		if (rc)
			goto out;
		rc = vigil_entry_set_metadata(srv_store(r), all[i].id, all[i].metadata);
		if (rc) {
			reply_store(r, rc);
			goto out;
		}
	}
	srv_audit(r, "entry.update", b.name,
		  json_pack("{s:s,s:I,s:O}", "via", "hma", "id", (json_int_t)e.id,
			    "change", j));
	m = json_object_get(h, "metadata");
	reply(r, 200,
	      json_pack("{s:o,s:{},s:I,s:I,s:o,s:n,s:o}", "bank",
			owner_json(r, e.bank_id), "collab_metadata", "disable_until_ts",
			(json_int_t)hma_int(h, "disable_until_ts", 1), "id",
			(json_int_t)e.id, "note",
			json_is_string(json_object_get(h, "note"))
				? json_incref(json_object_get(h, "note"))
				: json_null(),
			"original_media_uri", "user_metadata",
			json_is_object(m) && json_object_size(m) ? metadata_json(m)
								  : json_null()));
out:
	json_decref(h);
	json_decref(root);
	json_decref(j);
}

static void content_delete(srv_req *r)
{
	vigil_bank b;
	vigil_entry e, all[HMA_NST + 2];
	json_t *root, *h;
	const char *idt;
	char *end;
	long long id;
	size_t n;
	int rc;

	if (route_bank(r, &b, "bank '%s' not found"))
		return;
	idt = srv_param(r, "id");
	errno = 0;
	id = strtoll(idt, &end, 10);
	if (errno || end == idt || *end || id <= 0 ||
	    vigil_entry_get(srv_store(r), id, &e) != VIGIL_OK || content_of(&e) != e.id) {
		reply(r, 200, json_pack("{s:i}", "deleted", 0));
		return;
	}
	h = entry_hma(&e, &root);
	n = content_entries(r, &e, h, all, HMA_NST + 2);
	json_decref(root);
	for (size_t i = 0; i < n; i++) {
		rc = vigil_entry_delete(srv_store(r), NULL, all[i].id);
		if (rc && rc != VIGIL_ENOENT) {
			reply_store(r, rc);
			return;
		}
		vigil_matcher_remove(srv_matcher(r), srv_ctx(r), &all[i]);
	}
	srv_audit(r, "entry.delete", b.name,
		  json_pack("{s:s,s:I}", "via", "hma", "id", (json_int_t)id));
	reply(r, 200, json_pack("{s:i}", "deleted", 1));
}

/* ------------------------------------------------------------- lookups */

typedef struct lookup_opts {
	const char *banks;  /* CSV filter or NULL */
	double coin;        /* a bank takes part iff ratio >= coin */
	int raw;            /* raw_lookup: no coinflip, no enabled check */
	int distances;      /* raw: with distances */
} lookup_opts;

static int in_csv(const char *csv, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = csv; *p;) {
		size_t n = strcspn(p, ",");
		if (n == nl && !strncmp(p, name, n))
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* The draw of the coinflip: r in [0,1). With a seed it is a function of
 * the seed (the same for every signal type and request with that seed, as
 * in HMA; not CPython's Mersenne Twister, see docs/hma.md). */
static double coin(const char *seed, int bypass)
{
	uint8_t d[32];
	uint64_t v = 0;

	if (bypass)
		return 0.0;
	if (seed)
		crypto_hash_sha256(d, (const uint8_t *)seed, strlen(seed));
	else
		randombytes_buf(d, sizeof(d));
	for (int i = 0; i < 8; i++)
		v = v << 8 | d[i];
	return (double)(v >> 11) / 9007199254740992.0; /* 53 bits / 2^53 */
}

/* Matches one signal: {bank: [{"bank_content_id","distance"}]} (or the raw
 * list). NULL with a reply made on error. */
static json_t *match_signal(srv_req *r, int st, const vigil_entry *q,
			    const lookup_opts *o)
{
	vigil_match *m = malloc(HMA_MAX_MATCHES * sizeof(*m));
	size_t found = 0, n;
	json_t *res = o->raw ? json_array() : json_object();
	int rc;

	if (!m || !res) {
		srv_reply_message(r, 500, "%s", internal_msg);
		goto fail;
	}
	if (st == HMA_ST_PDQ) {
		vigil_pdq p;
		memcpy(p.bits, q->value, 32);
		p.quality = 100;
		rc = vigil_matcher_pdq(srv_matcher(r), srv_ctx(r), &p, NULL,
				       VIGIL_DEFAULT_RADIUS, m, HMA_MAX_MATCHES, &found);
	} else {
		rc = vigil_matcher_digest(srv_matcher(r), srv_ctx(r), VIGIL_HASH_MD5,
					  q->value, m, HMA_MAX_MATCHES, &found);
	}
	if (rc) {
		reply_store(r, rc);
		goto fail;
	}
	n = found < HMA_MAX_MATCHES ? found : HMA_MAX_MATCHES;
	for (size_t i = 0; i < n; i++) {
		hbank hb, *b = &hb;
		vigil_entry e;
		json_t *root, *h, *item, *list;
		int64_t cid;
		char dist[16];
		int got;

		if (m[i].type != st_vtype[st])
			continue; /* vPDQ frames, other digests */
		got = bank_by_id(r, m[i].bank_id, &hb);
		if (got < 0)
			goto fail;
		/* A bank deleted since: the matcher still has its hashes. */
		if (!got || (o->banks && !in_csv(o->banks, b->name)))
			continue;
		if (!o->raw && b->ratio < o->coin)
			continue;
		if (vigil_entry_get(srv_store(r), m[i].entry_id, &e) != VIGIL_OK)
			continue; /* deleted */
		h = entry_hma(&e, &root);
		cid = hma_int(h, "of", e.id);
		if (!o->raw && !enabled_now(hma_int(h, "disable_until_ts", 1))) {
			json_decref(root);
			continue;
		}
		json_decref(root);
		if (st == HMA_ST_PDQ)
			snprintf(dist, sizeof(dist), "%d", m[i].distance);
		else
			snprintf(dist, sizeof(dist), "-");
		srv_metric_inc("vigil_hma_matches_total", "bank", b->name);
		if (o->raw && !o->distances) {
			json_array_append_new(res, json_integer(cid));
			continue;
		}
		item = json_pack("{s:I,s:s}", "bank_content_id", (json_int_t)cid,
				 "distance", dist);
		if (o->raw) {
			json_array_append_new(res, item);
			continue;
		}
		list = json_object_get(res, b->name);
		if (!list) {
			list = json_array();
			json_object_set_new(res, b->name, list);
		}
		json_array_append_new(list, item);
	}
	free(m);
	return res;
fail:
	free(m);
	json_decref(res);
	return NULL;
}

/* Matches every computed signal: {type: bank map}. */
static json_t *match_hashes(srv_req *r, const hma_hashes *h, const char *seed,
			    int bypass, const char *banks_csv)
{
	json_t *out = json_object();

	for (int i = 0; i < HMA_NST; i++) {
		lookup_opts o = {banks_csv, 0, 0, 0};
		json_t *one;
		if (!(h->mask & (1 << i)))
			continue;
		if (!*h->hex[i]) {
			srv_reply_message(r, 400, "invalid signal: invalid PDQ hash");
			json_decref(out);
			return NULL;
		}
		/* Without a seed each type draws its own r, as in HMA. */
		o.coin = coin(seed, bypass);
		one = match_signal(r, i, &h->e[i], &o);
		if (!one) {
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, st_name[i], one);
	}
	return out;
}

static int matcher_ready(srv_req *r)
{
	if (!__atomic_load_n(&srv_of(r)->ready, __ATOMIC_ACQUIRE)) {
		srv_reply_message(r, 503, "index not yet ready");
		return 0;
	}
	return 1;
}

static void m_lookup_get(srv_req *r)
{
	const char *url = srv_query(r, "url"), *sig = srv_query(r, "signal"),
		   *stn = srv_query(r, "signal_type");
	int bypass;

	/* HMA parses bypass_coinflip on GET but ignores it; its docs say it
	 * works, and so it does here. */
	if (query_bool(r, "bypass_coinflip", 0, &bypass) || !matcher_ready(r))
		return;
	if (sig && stn) {
		int st = st_parse(stn);
		vigil_entry q;
		char norm[65];
		const char *why;
		lookup_opts o = {srv_query(r, "banks"), 0, 0, 0};
		json_t *res;
		if (st < 0) {
			srv_reply_message(r, 400, "No such SignalType '%s'", stn);
			return;
		}
		if (hma_signal_parse(st, sig, &q, norm, &why)) {
			srv_reply_message(r, 400, "invalid signal: %s", why);
			return;
		}
		o.coin = coin(srv_query(r, "seed"), bypass);
		res = match_signal(r, st, &q, &o);
		if (res)
			reply(r, 200, res);
		return;
	}
	if (url) {
		hma_hashes h;
		json_t *res, *one;
		if (hash_url(r, url, &h))
			return;
		res = match_hashes(r, &h, srv_query(r, "seed"), bypass,
				   srv_query(r, "banks"));
		if (!res)
			return;
		if (stn) {
			one = json_object_get(res, stn);
			one = one ? json_incref(one) : json_object();
			json_decref(res);
			res = one;
		}
		reply(r, 200, res);
		return;
	}
	srv_reply_message(r, 400, "Either url or both signal and signal_type are "
				  "required");
}

static void m_lookup_post(srv_req *r)
{
	const char *bc = srv_query(r, "bypass_coinflip");
	hma_hashes h;
	json_t *res;

	if (!matcher_ready(r) || hash_upload(r, &h))
		return;
	res = match_hashes(r, &h, srv_query(r, "seed"), bc && !strcmp(bc, "true"),
			   srv_query(r, "banks"));
	if (res)
		reply(r, 200, res);
}

static void m_raw_lookup(srv_req *r)
{
	const char *sig = srv_query(r, "signal"), *stn = srv_query(r, "signal_type");
	lookup_opts o = {srv_query(r, "banks"), 0, 1, 0};
	vigil_entry q;
	char norm[65];
	const char *why;
	json_t *res;
	int st;

	if (!sig || !stn) {
		json_t *in = json_object();
		if (sig)
			json_object_set_new(in, "signal", json_string(sig));
		if (stn)
			json_object_set_new(in, "signal_type", json_string(stn));
		reply_missing(r, sig ? "signal_type" : "signal", in);
		return;
	}
	if (query_bool(r, "include_distance", 0, &o.distances) || !matcher_ready(r))
		return;
	st = st_parse(stn);
	if (st < 0) {
		srv_reply_message(r, 400, "No such SignalType '%s'", stn);
		return;
	}
	if (hma_signal_parse(st, sig, &q, norm, &why)) {
		srv_reply_message(r, 400, "invalid signal: %s", why);
		return;
	}
	res = match_signal(r, st, &q, &o);
	if (res)
		reply(r, 200, json_pack("{s:o}", "matches", res));
}

static void m_index_status(srv_req *r)
{
	const char *stn = srv_query(r, "signal_type");
	int only = -1, ready = __atomic_load_n(&srv_of(r)->ready, __ATOMIC_ACQUIRE);
	json_t *out = json_object();

	if (stn && (only = st_parse(stn)) < 0) {
		json_decref(out);
		srv_reply_message(r, 400, "No such signal type '%s'", stn);
		return;
	}
	for (int i = 0; i < HMA_NST; i++) {
		int64_t count = 0, newest = -1;
		int rc;
		if (only >= 0 && i != only)
			continue;
		/* The live matcher is kept current, so the stored entries are
		 * what it matches: the "build" is always up to date. */
		rc = vigil_entry_type_stats(srv_store(r), st_vtype[i], &count, &newest);
		if (rc) {
			json_decref(out);
			reply_store(r, rc);
			return;
		}
		json_object_set_new(out, st_name[i],
				    json_pack("{s:I,s:b,s:I}", "built_to",
					      (json_int_t)(ready ? newest : -1), "present",
					      ready, "size",
					      (json_int_t)(ready ? count : 0)));
	}
	reply(r, 200, out);
}

/* ---------------------------------------------------------------- core */

static void status(srv_req *r)
{
	if (!__atomic_load_n(&srv_of(r)->ready, __ATOMIC_ACQUIRE)) {
		srv_reply_data(r, 503, "text/html; charset=utf-8", "INDEX-NOT-LOADED", 16);
		return;
	}
	srv_reply_data(r, 200, "text/html; charset=utf-8", "I-AM-ALIVE", 10);
}

static void status_live(srv_req *r)
{
	srv_reply_data(r, 200, "text/html; charset=utf-8", "I-AM-ALIVE", 10);
}

extern const srv_route srv_routes_hma[];

/* Flask's rule strings of the HMA routes served here ({x} -> <x>, the
 * content id as <int:content_id>), deduplicated and sorted. */
static void site_map(srv_req *r)
{
	json_t *a = json_array();
	const char *prev = "";
	const char *rules[32];
	size_t n = 0;

	for (const srv_route *rt = srv_routes_hma; rt->method && n < 32; rt++)
		rules[n++] = rt->summary;
	/* The summaries begin with the rule; sort by it. */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && strcmp(rules[k - 1], rules[k]) > 0; k--) {
			const char *t = rules[k];
			rules[k] = rules[k - 1];
			rules[k - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		size_t l = strcspn(rules[i], " ");
		if (strcspn(prev, " ") == l && !strncmp(prev, rules[i], l))
			continue;
		json_array_append_new(a, json_stringn(rules[i], l));
		prev = rules[i];
	}
	reply(r, 200, a);
}

/* Roles: /h and /m hash and match (submit), /c curates (admin), the core
 * routes take any key. Every route is SRV_HMA: {"message"} errors, and no
 * key needed from --trust-network. The summary starts with HMA's rule
 * string (for /site-map). */
#define H (SRV_HMA | SRV_ROLE_SUBMIT)
#define C (SRV_HMA | SRV_ROLE_ADMIN)
#define ANY (SRV_HMA | SRV_ROLE_ALL)
const srv_route srv_routes_hma[] = {
	{"GET", "/status", ANY, status, 0, "/status HMA: readiness (I-AM-ALIVE)"},
	{"GET", "/status/live", ANY, status_live, 0, "/status/live HMA: liveness"},
	{"GET", "/site-map", ANY, site_map, 0, "/site-map HMA: the HMA routes"},
	{"GET", "/h/hash", H, h_hash_get, 0, "/h/hash HMA: hash content at a URL"},
	{"POST", "/h/hash", H, h_hash_post, 0, "/h/hash HMA: hash an upload"},
	{"GET", "/m/lookup", H, m_lookup_get, 0,
	 "/m/lookup HMA: look up a hash, or the content at a URL"},
	{"POST", "/m/lookup", H, m_lookup_post, 0, "/m/lookup HMA: hash and look up an upload"},
	{"GET", "/m/raw_lookup", H, m_raw_lookup, 0, "/m/raw_lookup HMA: ids in the index"},
	{"GET", "/m/index/status", H, m_index_status, 0, "/m/index/status HMA: index sizes"},
	{"GET", "/c/banks", C, banks_list, 0, "/c/banks HMA: list banks"},
	{"POST", "/c/banks", C, banks_create, 0, "/c/banks HMA: create a bank"},
	{"GET", "/c/bank/{name}", C, bank_get, 0, "/c/bank/<bank_name> HMA: a bank"},
	{"PUT", "/c/bank/{name}", C, bank_update, 0,
	 "/c/bank/<bank_name> HMA: rename, enable, set the ratio"},
	{"DELETE", "/c/bank/{name}", C, bank_delete, 0,
	 "/c/bank/<bank_name> HMA: delete a bank"},
	{"POST", "/c/bank/{name}/content", C, bank_content_add, 0,
	 "/c/bank/<bank_name>/content HMA: hash and add content"},
	{"GET", "/c/bank/{name}/content/{id}", C, content_get, 0,
	 "/c/bank/<bank_name>/content/<int:content_id> HMA: a content item"},
	{"PUT", "/c/bank/{name}/content/{id}", C, content_put, 0,
	 "/c/bank/<bank_name>/content/<int:content_id> HMA: disable, note"},
	{"DELETE", "/c/bank/{name}/content/{id}", C, content_delete, 0,
	 "/c/bank/<bank_name>/content/<int:content_id> HMA: delete"},
	{"POST", "/c/bank/{name}/signal", C, bank_signal, 0,
	 "/c/bank/<bank_name>/signal HMA: add content by its hashes"},
	{0},
};
