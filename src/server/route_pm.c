/* route_pm.c — /v1/pm/e1/...: the server side of private matching's E1
 * (exact lists, Apple-2021-style threshold PSI; docs/private-matching.md). Off unless
 * the setting pm_enable is 1 (then the first request turns the module on
 * with vigil_pm_enable(VIGIL_PM_ACK)); off, every route here answers 404
 * pm_disabled.
 *
 * State: one blinded table (alpha and slots) in the store, read once and
 * kept in memory; per account the vouchers whose outer layer opened and
 * counters, all in the store. A voucher that opens nothing is only
 * counted, and costs one vigil_pm_e1_server_open. One that opens rebuilds
 * the account from its stored vouchers, is kept if it is a new image, and
 * the account's recovery is tried: evidence exists only once the account
 * holds `threshold` distinct real matches. Everything a reply acknowledges
 * is committed first, so a kill -9 loses nothing acknowledged.
 *
 * What the caller of POST /voucher learns: nothing from the body (one
 * acknowledgement whatever happened), but the time the reply takes does
 * differ when a voucher opens. That is why the route is for the platform's
 * backend (it relays its users' vouchers, naming the account), never to be
 * exposed to devices directly. Voucher bytes are never logged. */
#include "pipeline.h"
#include "review.h"
#include "server_int.h"
#include "upload.h"


#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The largest voucher: vigil_pm_e1_server_open's own bound. */
#define PM_VOUCHER_MIN (1 + 3 * 80 + 80 + 42 + 1)
#define PM_VOUCHER_MAX (1 + 3 * 80 + 80 + 42 + VIGIL_PM_E1_MAX_EVIDENCE)
#define PM_STRIPES 64 /* account locks, by hash of the name */

/* Requests hold pm_rw for reading while they use pm_srv; a new table
 * swaps it under the write lock, so no request sees it freed. */
static pthread_rwlock_t pm_rw = PTHREAD_RWLOCK_INITIALIZER;
static vigil_pm_e1_server *pm_srv; /* NULL until loaded or built */
static uint8_t pm_root[VIGIL_PM_E1_ROOT_BYTES];
static pthread_mutex_t pm_acct_mu[PM_STRIPES] = {
#define M1 PTHREAD_MUTEX_INITIALIZER
#define M8 M1, M1, M1, M1, M1, M1, M1, M1
	M8, M8, M8, M8, M8, M8, M8, M8
#undef M8
#undef M1
};

/* 0 if the module is on; else replies and returns -1. */
static int pm_on(srv_req *r)
{
	if (!SRV_CFG(srv_of(r), pm_enable)) {
		srv_reply_error(r, 404, "pm_disabled",
				"private matching is off (setting pm_enable; docs/private-matching.md)");
		return -1;
	}
	if (vigil_pm_enable(VIGIL_PM_ACK) != VIGIL_OK) {
		srv_reply_error(r, 500, "internal", "libsodium did not initialise");
		return -1;
	}
	return 0;
}

/* Loads the table from the store if none is in memory (under the write
 * lock). 0, or -1 after replying. */
static int pm_load(srv_req *r)
{
	uint8_t *state = NULL;
	size_t len = 0;
	vigil_store *st;
	int rc;

	if (pm_srv)
		return 0;
	st = srv_store(r);
	if (!st)
		return -1;
	rc = vigil_pm_store_state_get(st, &state, &len);
	if (rc == VIGIL_ENOENT) {
		srv_reply_error(r, 409, "no_table", "no table yet: POST /v1/pm/e1/table first");
		return -1;
	}
	if (rc == VIGIL_OK)
		rc = vigil_pm_e1_server_import(&pm_srv, state, len);
	if (state) {
		sodium_memzero(state, len);
		free(state);
	}
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return -1;
	}
	vigil_pm_e1_server_root(pm_srv, pm_root);
	return 0;
}

/* The current table, with pm_rw held for reading (pm_release() after
 * use); NULL (and a reply, no lock held) if there is none. */
static vigil_pm_e1_server *pm_hold(srv_req *r)
{
	for (;;) {
		pthread_rwlock_rdlock(&pm_rw);
		if (pm_srv)
			return pm_srv;
		pthread_rwlock_unlock(&pm_rw);
		pthread_rwlock_wrlock(&pm_rw);
		int rc = pm_load(r);
		pthread_rwlock_unlock(&pm_rw);
		if (rc)
			return NULL;
	}
}

static void pm_release(void)
{
	pthread_rwlock_unlock(&pm_rw);
}

static pthread_mutex_t *acct_lock(const char *account)
{
	uint8_t h[8];
	crypto_generichash(h, sizeof(h), (const uint8_t *)account, strlen(account), NULL, 0);
	return &pm_acct_mu[h[0] % PM_STRIPES];
}

static json_t *table_json(const vigil_pm_e1_server *s, const uint8_t root[32])
{
	char hex[65];
	vigil_hex(root, 32, hex);
	return json_pack("{s:s,s:I,s:I}", "root", hex, "slots",
			 (json_int_t)vigil_pm_e1_server_slots(s), "threshold",
			 (json_int_t)vigil_pm_e1_server_threshold(s));
}

/* POST /v1/pm/e1/table {"threshold":K,"hashes":[{"type","value"},...]}:
 * blinds the list keys "TYPE:" || raw bytes (e.g. "sha256:" || 32 bytes,
 * "pdq:" || 32 bytes) into a new table, which replaces the old one and
 * every account's vouchers (they cannot open against new slots). */
static void table_post(srv_req *r)
{
	json_t *body, *thr;
	srv_qhash *q = NULL;
	uint8_t (*keys)[VIGIL_PM_E1_MAX_KEY] = NULL;
	const uint8_t **kp = NULL;
	size_t *kl = NULL, n = 0, max, slen = 0;
	vigil_pm_e1_server *s = NULL;
	uint8_t *state = NULL, root[32];
	vigil_store *st;
	char err[256];
	int rc;

	if (pm_on(r) || !(body = srv_json(r, JSON_OBJECT)))
		return;
	thr = json_object_get(body, "threshold");
	if (!json_is_integer(thr) || json_integer_value(thr) < 1 ||
	    json_integer_value(thr) > VIGIL_PM_E1_MAX_THRESHOLD) {
		srv_reply_error(r, 400, "invalid", "threshold: an integer in 1..%d",
				VIGIL_PM_E1_MAX_THRESHOLD);
		return;
	}
	max = (size_t)SRV_CFG(srv_of(r), pm_max_keys);
	q = malloc(max * sizeof(*q));
	if (!q) {
		srv_reply_error(r, 503, "out_of_memory", "out of memory");
		return;
	}
	if (srv_parse_hashes(body, q, max, &n, err, sizeof(err))) {
		free(q);
		srv_reply_error(r, 400, "bad_hashes", "%s", err);
		return;
	}
	keys = malloc((n ? n : 1) * sizeof(*keys));
	kp = malloc((n ? n : 1) * sizeof(*kp));
	kl = malloc((n ? n : 1) * sizeof(*kl));
	if (!keys || !kp || !kl) {
		srv_reply_error(r, 503, "out_of_memory", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = vigil_hash_type_name(q[i].type);
		size_t nl = strlen(name), vl = (size_t)vigil_hash_type_size(q[i].type);
		memcpy(keys[i], name, nl);
		keys[i][nl] = ':';
		memcpy(keys[i] + nl + 1, q[i].value, vl);
		kp[i] = keys[i];
		kl[i] = nl + 1 + vl;
	}
	rc = vigil_pm_e1_server_new(&s, kp, kl, n, (unsigned)json_integer_value(thr));
	if (!rc)
		rc = vigil_pm_e1_server_export(s, &state, &slen);
	st = rc ? NULL : srv_store(r);
	if (!rc && !st)
		goto out; /* replied */
	json_t *j = NULL;
	pthread_rwlock_wrlock(&pm_rw);
	if (!rc)
		rc = vigil_pm_store_state_put(st, state, slen);
	if (!rc) {
		vigil_pm_e1_server_free(pm_srv);
		pm_srv = s;
		s = NULL;
		vigil_pm_e1_server_root(pm_srv, pm_root);
		memcpy(root, pm_root, 32);
		j = table_json(pm_srv, root);
	}
	pthread_rwlock_unlock(&pm_rw);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		goto out;
	}
	srv_audit(r, "pm.table", "e1", json_pack("{s:I,s:I}", "keys", (json_int_t)n, "threshold",
						 json_integer_value(thr)));
	json_object_set_new(j, "keys", json_integer((json_int_t)n));
	srv_reply_json(r, 201, j);
out:
	if (state) {
		sodium_memzero(state, slen);
		free(state);
	}
	vigil_pm_e1_server_free(s);
	if (keys)
		sodium_memzero(keys, n * sizeof(*keys));
	free(keys);
	free(kp);
	free(kl);
	free(q);
}

/* GET /v1/pm/e1/table: what devices download (the root in a header; the
 * root is also to be published out of band). */
static void table_get(srv_req *r)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char hex[65];
	int rc = VIGIL_OK;

	if (pm_on(r))
		return;
	if (!pm_hold(r))
		return;
	rc = vigil_pm_e1_table_export(pm_srv, &buf, &len);
	vigil_hex(pm_root, 32, hex);
	pm_release();
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	srv_add_header(r, "Vigil-PM-Root", hex);
	srv_reply_data(r, 200, "application/octet-stream", buf, len);
	free(buf);
}

static void root_get(srv_req *r)
{
	json_t *j = NULL;

	if (pm_on(r))
		return;
	if (!pm_hold(r))
		return;
	j = table_json(pm_srv, pm_root);
	pm_release();
	srv_reply_json(r, 200, j);
}

/* The account a request is about: ?account= (the platform's pseudonym for
 * its user), else the key's name. NULL (and a reply) if invalid. */
static const char *account_of(srv_req *r, const char *given)
{
	const char *a = given ? given : srv_key_name(r);
	if (!vigil_pm_account_ok(a)) {
		srv_reply_error(r, 400, "invalid",
				"account: 1..%d characters of A-Z a-z 0-9 . _ : @ -",
				VIGIL_PM_ACCOUNT_MAX);
		return NULL;
	}
	return a;
}

typedef struct rebuild {
	const vigil_pm_e1_server *s;
	vigil_pm_e1_account *a;
} rebuild;

static int rebuild_one(void *user, const uint8_t *v, size_t len)
{
	rebuild *b = user;
	int opened = 0;
	/* A stored voucher opened once; one that no longer does (it cannot,
	 * unless the row was damaged) is skipped rather than fatal. */
	int rc = vigil_pm_e1_server_open(b->s, b->a, v, len, &opened);
	return rc == VIGIL_ENOMEM ? rc : 0;
}

/* The account from its stored vouchers (*a: vigil_pm_e1_account_free). */
static int account_load(vigil_store *st, const vigil_pm_e1_server *s, const char *account,
			vigil_pm_e1_account **a)
{
	rebuild b = {s, NULL};
	int rc = vigil_pm_e1_account_new(&b.a, s);
	if (!rc)
		rc = vigil_pm_store_voucher_scan(st, account, rebuild_one, &b);
	if (rc) {
		vigil_pm_e1_account_free(b.a);
		return rc;
	}
	*a = b.a;
	return VIGIL_OK;
}

static int e1_evidence(const void *user, size_t i, const uint8_t **ev, size_t *len)
{
	return vigil_pm_e1_account_evidence(user, i, ev, len);
}

/* A new case's case.created event (pmcase.c calls it inside its
 * transaction). */
static int e1_created(void *user, vigil_store *st, int64_t case_id, int priority,
		      void *context)
{
	json_t *actions = json_array();
	json_t *data = json_pack("{s:I,s:s,s:i,s:b,s:O}", "case", (json_int_t)case_id, "source",
				 "pm", "priority", priority, "report", 0, "context",
				 (json_t *)context);
	int rc = data && actions ? srv_event_queue(st, user, NULL, "case.created", data, actions)
				 : VIGIL_ENOMEM;
	json_decref(data);
	json_decref(actions);
	return rc;
}

/* The account's review case, opened (or joined while still open) with
 * the matched vouchers' evidence sealed as its media: pmcase.c, shared
 * with F2's platform server. It runs before the new match count is
 * stored (pmcase.c says why in this order). */
static int case_for(srv_req *r, vigil_store *st, const char *account,
		    const vigil_pm_e1_account *a, size_t nm)
{
	char roles[64];
	int64_t case_id = 0;
	int joined = 0, rc;
	vigil_pm_case in = {
		.design = "e1", .account = account,
		.priority = (int)SRV_CFG(srv_of(r), pm_case_priority), .n = nm,
		.evidence = e1_evidence, .user = a, .seal = srv_master_key(srv_of(r)),
		.created = e1_created, .created_user = srv_of(r), .who = srv_key_name(r),
		.role = roles, .source = srv_client_ip(r)};

	srv_roles_format(srv_key_roles(r), roles, sizeof(roles));
	rc = vigil_pm_case_record(srv_ctx(r), st, &in, &case_id, &joined);
	if (!rc)
		srv_pipeline_kick();
	else
		srv_log(srv_of(r), SRV_LOG_ERROR, "pm: the review case of %s: %s", account,
			vigil_strerror(rc));
	return rc;
}

/* POST /v1/pm/e1/voucher?account=ID, body: one voucher (octets). */
static void voucher_post(srv_req *r)
{
	const char *account;
	const uint8_t *v;
	size_t len;
	vigil_pm_e1_server *s;
	vigil_pm_e1_account *probe = NULL, *a = NULL;
	vigil_store *st;
	pthread_mutex_t *lk;
	int opened = 0, rc;

	if (pm_on(r) || !(account = account_of(r, srv_query(r, "account"))))
		return;
	v = srv_body(r, &len);
	/* Only the public form is checked here (before any secret is used),
	 * so a 400 says nothing about the list. */
	if (len < PM_VOUCHER_MIN || len > PM_VOUCHER_MAX || v[0] != 1) {
		srv_reply_error(r, 400, "bad_voucher", "not a voucher (%d..%d bytes, version 1)",
				PM_VOUCHER_MIN, PM_VOUCHER_MAX);
		return;
	}
	st = srv_store(r);
	if (!st)
		return;
	s = pm_hold(r);
	if (!s)
		return;
	lk = acct_lock(account);
	pthread_mutex_lock(lk);
	rc = vigil_pm_e1_account_new(&probe, s);
	if (!rc) {
		rc = vigil_pm_e1_server_open(s, probe, v, len, &opened);
		if (rc == VIGIL_ECORRUPT)
			rc = VIGIL_OK, opened = 0; /* opened a slot, then not a voucher: noise */
	}
	if (!rc && !opened)
		rc = vigil_pm_store_voucher_add(st, account, NULL, 0, (int64_t)time(NULL));
	if (!rc && opened) {
		size_t before, nm = 0;
		rc = account_load(st, s, account, &a);
		if (!rc) {
			before = vigil_pm_e1_account_opened(a);
			rc = vigil_pm_e1_server_open(s, a, v, len, &opened);
		}
		if (!rc)
			rc = vigil_pm_store_voucher_add(
				st, account, vigil_pm_e1_account_opened(a) > before ? v : NULL, len,
				(int64_t)time(NULL));
		if (!rc) {
			vigil_pm_account_info info;
			int rr = vigil_pm_e1_account_recover(a, &nm);
			if (rr == VIGIL_OK)
				rr = vigil_pm_store_account_get(st, account, &info);
			/* New matches open (or add to) the review case, then the
			 * count is recorded (case_for says why in this order). */
			if (rr == VIGIL_OK && (int64_t)nm > info.matched)
				rr = case_for(r, st, account, a, nm);
			if (rr == VIGIL_OK)
				rc = vigil_pm_store_account_set_matched(st, account, (int64_t)nm,
									 (int64_t)time(NULL));
			else if (rr != VIGIL_ENOENT)
				rc = rr;
		}
	}
	pthread_mutex_unlock(lk);
	pm_release();
	vigil_pm_e1_account_free(probe);
	vigil_pm_e1_account_free(a);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	srv_reply_json(r, 202, json_pack("{s:s}", "status", "received"));
}

static json_t *info_json(const vigil_pm_account_info *i, unsigned threshold)
{
	return json_pack("{s:s,s:I,s:I,s:I,s:b,s:I,s:I,s:I}", "account", i->account, "received",
			 (json_int_t)i->received, "opened", (json_int_t)i->opened, "matched",
			 (json_int_t)i->matched, "recovered", i->recovered_at != 0, "threshold",
			 (json_int_t)threshold, "first", (json_int_t)i->first, "last",
			 (json_int_t)i->last);
}

/* GET /v1/pm/e1/accounts/{account}: what the server learns regardless
 * (volume, openings: real and synthetic alike below the threshold). */
static void account_get(srv_req *r)
{
	const char *account;
	vigil_pm_account_info info;
	vigil_pm_e1_server *s;
	vigil_store *st;
	int rc;

	if (pm_on(r) || !(account = account_of(r, srv_param(r, "account"))) ||
	    !(st = srv_store(r)))
		return;
	s = pm_hold(r);
	if (!s)
		return;
	unsigned thr = vigil_pm_e1_server_threshold(s);
	pm_release();
	rc = vigil_pm_store_account_get(st, account, &info);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	srv_reply_json(r, 200, info_json(&info, thr));
}

/* GET /v1/pm/e1/accounts/{account}/evidence: the matched vouchers'
 * evidence, base64, once the account reached the threshold; 409
 * below_threshold before (nothing can be opened then, by anyone). */
static void evidence_get(srv_req *r)
{
	const char *account;
	vigil_pm_e1_server *s;
	vigil_pm_e1_account *a = NULL;
	vigil_store *st;
	size_t nm = 0;
	json_t *list;
	int rc;

	if (pm_on(r) || !(account = account_of(r, srv_param(r, "account"))) ||
	    !(st = srv_store(r)))
		return;
	s = pm_hold(r);
	if (!s)
		return;
	pthread_mutex_lock(acct_lock(account));
	rc = account_load(st, s, account, &a);
	pthread_mutex_unlock(acct_lock(account));
	pm_release();
	if (!rc)
		rc = vigil_pm_e1_account_recover(a, &nm);
	if (rc == VIGIL_ENOENT) {
		vigil_pm_e1_account_free(a);
		srv_reply_error(r, 409, "below_threshold",
				"the account has not reached the threshold: nothing opens");
		return;
	}
	if (rc) {
		vigil_pm_e1_account_free(a);
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	list = json_array();
	for (size_t i = 0; i < nm; i++) {
		const uint8_t *ev;
		size_t el;
		char *b64;
		size_t bl = sodium_base64_ENCODED_LEN(VIGIL_PM_E1_MAX_EVIDENCE,
						      sodium_base64_VARIANT_ORIGINAL);
		if (vigil_pm_e1_account_evidence(a, i, &ev, &el))
			continue;
		b64 = malloc(bl);
		if (!b64)
			continue;
		sodium_bin2base64(b64, bl, ev, el, sodium_base64_VARIANT_ORIGINAL);
		json_array_append_new(list, json_string(b64));
		free(b64);
	}
	vigil_pm_e1_account_free(a);
	srv_audit(r, "pm.evidence", account, json_pack("{s:I}", "matched", (json_int_t)nm));
	srv_reply_json(r, 200, json_pack("{s:s,s:I,s:o}", "account", account, "matched",
					 (json_int_t)nm, "evidence", list));
}

const srv_route srv_routes_pm[] = {
	{"POST", "/v1/pm/e1/table", SRV_ROLE_ADMIN, table_post, 0,
	 "Private matching E1: blind a list into a new table (replaces the old)"},
	{"GET", "/v1/pm/e1/table", SRV_ROLE_SUBMIT | SRV_ROLE_ADMIN, table_get, 0,
	 "Private matching E1: the blinded table devices download"},
	{"GET", "/v1/pm/e1/root", SRV_ROLE_SUBMIT | SRV_ROLE_ADMIN, root_get, 0,
	 "Private matching E1: the table's published root"},
	{"POST", "/v1/pm/e1/voucher", SRV_ROLE_SUBMIT, voucher_post, PM_VOUCHER_MAX,
	 "Private matching E1: one voucher of an account"},
	{"GET", "/v1/pm/e1/accounts/{account}", SRV_ROLE_REVIEW | SRV_ROLE_ADMIN, account_get, 0,
	 "Private matching E1: an account's counters"},
	{"GET", "/v1/pm/e1/accounts/{account}/evidence", SRV_ROLE_REVIEW, evidence_get, 0,
	 "Private matching E1: matched evidence, once past the threshold"},
	{0},
};
