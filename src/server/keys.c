/* keys.c — API keys: making tokens, the in-memory cache, the Bearer check
 * and the per-key rate limit.
 *
 * A token is "vgl_" + 43 base64url characters (32 random bytes from
 * libsodium); the store keeps only its SHA-256. A request's token is
 * hashed and compared with every active key's digest in constant time.
 *
 * The cache is a copy of the api_keys table, re-read every key_refresh
 * seconds (by one request thread, on its own store handle, while the
 * others go on with the old copy): a key made or revoked with the CLI
 * takes effect within key_refresh seconds; a revoke through the API
 * (DELETE /v1/keys/{name}) at once. last_used is written back at the same
 * pace, not on every request. */
#include "server_int.h"
#include "vigil/server.h"

#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define TOKEN_PREFIX "vgl_"
#define TOKEN_MAX 256 /* longer Authorization values are refused unread */

typedef struct kent {
	vigil_key k;
	double tokens;   /* rate-limit bucket; < 0: not started (full) */
	double last;     /* when the bucket was last filled (monotonic) */
	int64_t used;    /* unix seconds of the last use, 0 if none since load */
} kent;

struct srv_keys {
	pthread_mutex_t mu;
	vigil_ctx *ctx;     /* for st */
	vigil_store *st;    /* used only by the thread that holds `loading` */
	kent *v;
	size_t n;
	double loaded;      /* monotonic time of the last load */
	int loading;        /* a thread is re-reading the table */
	int stale;          /* reload on the next request */
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int srv_key_token(char *token, size_t cap, uint8_t digest[VIGIL_KEY_DIGEST])
{
	uint8_t raw[32];
	size_t plen = strlen(TOKEN_PREFIX);

	if (cap < plen + sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		return -1;
	randombytes_buf(raw, sizeof(raw));
	memcpy(token, TOKEN_PREFIX, plen);
	sodium_bin2base64(token + plen, cap - plen, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
	return 0;
}

/* Re-reads the table into a new array, keeping the buckets and unsaved
 * uses of keys that are still there; writes the uses back first. Called
 * without the mutex, by the one thread that set `loading`. */
static void reload(srv *s)
{
	srv_keys *K = s->keys;
	vigil_key *keys = NULL;
	kent *v = NULL, *old;
	size_t n = 0, nold;
	struct { char name[VIGIL_NAME_MAX + 1]; int64_t used; } *uses = NULL;
	size_t nuses = 0;

	pthread_mutex_lock(&K->mu);
	if (K->n)
		uses = calloc(K->n, sizeof(*uses));
	for (size_t i = 0; uses && i < K->n; i++)
		if (K->v[i].used > K->v[i].k.last_used) {
			memcpy(uses[nuses].name, K->v[i].k.name, sizeof(uses[0].name));
			uses[nuses++].used = K->v[i].used;
		}
	pthread_mutex_unlock(&K->mu);
	for (size_t i = 0; i < nuses; i++)
		if (vigil_key_touch(K->st, uses[i].name, uses[i].used))
			srv_log(s, SRV_LOG_WARN, "keys: %s", vigil_errmsg(K->ctx));
	free(uses);

	if (vigil_key_list(K->st, &keys, &n)) {
		srv_log(s, SRV_LOG_ERROR, "keys: %s (keeping the old list)",
			vigil_errmsg(K->ctx));
		pthread_mutex_lock(&K->mu);
		K->loading = 0;
		K->loaded = mono();
		pthread_mutex_unlock(&K->mu);
		return;
	}
	v = n ? calloc(n, sizeof(*v)) : NULL;
	if (n && !v) {
		free(keys);
		pthread_mutex_lock(&K->mu);
		K->loading = 0;
		pthread_mutex_unlock(&K->mu);
		return;
	}
	pthread_mutex_lock(&K->mu);
	for (size_t i = 0; i < n; i++) {
		v[i].k = keys[i];
		v[i].tokens = -1;
		for (size_t j = 0; j < K->n; j++)
			if (!strcmp(K->v[j].k.name, keys[i].name)) {
				v[i].tokens = K->v[j].tokens;
				v[i].last = K->v[j].last;
				if (K->v[j].used > keys[i].last_used)
					v[i].used = K->v[j].used;
				/* a revoke seen by the API stays in force */
				if (K->v[j].k.revoked && !v[i].k.revoked)
					v[i].k.revoked = K->v[j].k.revoked;
			}
	}
	old = K->v;
	nold = K->n;
	K->v = v;
	K->n = n;
	K->loaded = mono();
	K->loading = 0;
	K->stale = 0;
	pthread_mutex_unlock(&K->mu);
	(void)nold;
	free(old);
	free(keys);
}

int srv__keys_open(srv *s, char *err, size_t errcap)
{
	srv_keys *K;

	if (sodium_init() < 0) {
		snprintf(err, errcap, "libsodium cannot start");
		return -1;
	}
	K = calloc(1, sizeof(*K));
	if (!K) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	s->keys = K;
	pthread_mutex_init(&K->mu, NULL);
	if (vigil_ctx_new(&K->ctx) || srv_store_open(s, K->ctx, s->cfg.db, &K->st)) {
		snprintf(err, errcap, "%s: %s", s->cfg.db,
			 K->ctx ? vigil_errmsg(K->ctx) : "out of memory");
		return -1;
	}
	K->loading = 1;
	reload(s);
	return 0;
}

void srv__keys_close(srv *s)
{
	srv_keys *K = s->keys;

	if (!K)
		return;
	if (K->st) {
		K->loading = 1;
		K->loaded = 0;
		reload(s); /* writes last uses back */
	}
	vigil_store_close(K->st);
	vigil_ctx_free(K->ctx);
	pthread_mutex_destroy(&K->mu);
	free(K->v);
	free(K);
	s->keys = NULL;
}

void srv__keys_revoked(srv *s, const char *name)
{
	srv_keys *K = s->keys;

	pthread_mutex_lock(&K->mu);
	for (size_t i = 0; i < K->n; i++)
		if (!strcmp(K->v[i].k.name, name) && !K->v[i].k.revoked)
			K->v[i].k.revoked = (int64_t)time(NULL);
	K->stale = 1;
	pthread_mutex_unlock(&K->mu);
}

void srv__keys_changed(srv *s)
{
	pthread_mutex_lock(&s->keys->mu);
	s->keys->stale = 1;
	pthread_mutex_unlock(&s->keys->mu);
}

int srv__auth(srv *s, const char *authorization, unsigned roles, char *name,
	      size_t namecap, unsigned *key_roles, int *retry_after)
{
	srv_keys *K = s->keys;
	uint8_t digest[crypto_hash_sha256_BYTES];
	const char *tok;
	size_t len;
	kent *found = NULL;
	int st = 0, do_reload = 0;
	double t = mono();

	if (namecap)
		name[0] = 0;
	*key_roles = 0;
	if (!authorization || strncasecmp(authorization, "Bearer ", 7))
		return 401;
	tok = authorization + 7;
	while (*tok == ' ')
		tok++;
	len = strnlen(tok, TOKEN_MAX + 1);
	while (len && tok[len - 1] == ' ')
		len--;
	if (!len || len > TOKEN_MAX)
		return 401;
	crypto_hash_sha256(digest, (const unsigned char *)tok, len);

	pthread_mutex_lock(&K->mu);
	if (!K->loading &&
	    (K->stale || t - K->loaded >= (double)SRV_CFG(s, key_refresh))) {
		K->loading = 1;
		do_reload = 1;
	}
	pthread_mutex_unlock(&K->mu);
	if (do_reload)
		reload(s);

	pthread_mutex_lock(&K->mu);
	/* Every active key is compared, match or not. */
	for (size_t i = 0; i < K->n; i++) {
		int eq = sodium_memcmp(digest, K->v[i].k.digest, sizeof(digest)) == 0;
		if (eq && !K->v[i].k.revoked)
			found = &K->v[i];
	}
	sodium_memzero(digest, sizeof(digest));
	if (!found) {
		st = 401;
		goto out;
	}
	snprintf(name, namecap, "%s", found->k.name);
	*key_roles = found->k.roles;
	if (!(found->k.roles & roles)) {
		st = 403;
		goto out;
	}
	{
		double rate = (double)(found->k.rate_limit ? found->k.rate_limit
							   : SRV_CFG(s, rate_limit));
		double burst = (double)SRV_CFG(s, rate_burst);
		if (rate > 0) {
			if (burst < 1)
				burst = rate < 1 ? 1 : rate;
			if (found->tokens < 0)
				found->tokens = burst;
			else
				found->tokens = fmin(burst, found->tokens +
								    (t - found->last) * rate);
			found->last = t;
			if (found->tokens < 1) {
				*retry_after = (int)ceil((1 - found->tokens) / rate);
				if (*retry_after < 1)
					*retry_after = 1;
				st = 429;
				goto out;
			}
			found->tokens -= 1;
		}
	}
	found->used = (int64_t)time(NULL);
out:
	pthread_mutex_unlock(&K->mu);
	return st;
}

static const char *const role_names[] = {"submit", "review", "admin", "metrics", "feed"};
#define NROLES ((int)(sizeof(role_names) / sizeof(role_names[0])))

int srv_roles_parse(const char *s)
{
	unsigned mask = 0;

	while (*s) {
		size_t n = strcspn(s, ",");
		int found = 0;
		for (int i = 0; i < NROLES; i++)
			if (strlen(role_names[i]) == n && !strncmp(s, role_names[i], n)) {
				mask |= 1u << i;
				found = 1;
			}
		if (!found)
			return -1;
		s += n;
		if (*s == ',')
			s++;
	}
	return mask ? (int)mask : -1;
}

const char *srv_roles_format(unsigned roles, char *buf, size_t cap)
{
	size_t used = 0;

	if (cap)
		buf[0] = 0;
	for (int i = 0; i < NROLES; i++)
		if (roles & (1u << i) && used < cap)
			used += (size_t)snprintf(buf + used, cap - used, "%s%s",
						 used ? "," : "", role_names[i]);
	return buf;
}

/* The public names of the key helpers (vigil/server.h), for programs such
 * as the vigil tool's `key` command. */
int vigil_server_key_token(char *token, size_t cap, uint8_t digest[32])
{
	return srv_key_token(token, cap, digest) ? VIGIL_EINVAL : VIGIL_OK;
}

int vigil_server_roles_parse(const char *s)
{
	return srv_roles_parse(s);
}

const char *vigil_server_roles_format(unsigned roles, char *buf, size_t cap)
{
	return srv_roles_format(roles, buf, cap);
}
