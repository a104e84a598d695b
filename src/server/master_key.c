/* master_key.c — master_key_file, loaded once for the whole server (it is
 * not reloadable), and the store handles opened with it: every handle the
 * server opens seals the report and case columns (vigil_store_set_seal_key)
 * when a key is configured. */
#include "server_int.h"

#include <pthread.h>
#include <sodium.h>

static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;
static int key_state; /* 0 not loaded, 1 loaded, -1 none / failed */
static uint8_t master[VIGIL_MASTER_KEY_BYTES];

const uint8_t *srv_master_key(srv *s)
{
	const uint8_t *k = NULL;

	pthread_mutex_lock(&key_mu);
	if (!key_state) {
		vigil_ctx *c = NULL;
		key_state = -1;
		if (!*s->cfg.master_key_file) {
			srv_log(s, SRV_LOG_WARN, "no master_key_file: the content of cases "
						 "is not kept (reviewers see match evidence only), "
						 "and reports and case contexts are stored in the clear");
		} else if (vigil_ctx_new(&c) == VIGIL_OK) {
			if (vigil_master_key_load(c, s->cfg.master_key_file, master))
				srv_log(s, SRV_LOG_ERROR, "master key: %s", vigil_errmsg(c));
			else
				key_state = 1;
			vigil_ctx_free(c);
		}
	}
	if (key_state == 1)
		k = master;
	pthread_mutex_unlock(&key_mu);
	return k;
}

int srv_store_open(srv *s, vigil_ctx *ctx, const char *db, vigil_store **st)
{
	const uint8_t *k;
	int rc;

	if (!ctx)
		return VIGIL_ENOMEM;
	rc = vigil_store_open(ctx, db, st);
	if (rc || !*s->cfg.master_key_file)
		return rc;
	/* A key that is configured but does not load must not fall back to
	 * writing in the clear. */
	k = srv_master_key(s);
	rc = k ? vigil_store_set_seal_key(*st, k) : VIGIL_EINVAL; /* logged */
	if (rc) {
		vigil_store_close(*st);
		*st = NULL;
	}
	return rc;
}
