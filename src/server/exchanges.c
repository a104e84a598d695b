/* exchanges.c — the exchange scheduler: one thread, its own store handle,
 * wakes every few seconds and fetches each enabled exchange whose last
 * attempt is older than exchange_interval (plus a per-exchange jitter of up
 * to a tenth of it). Several servers sharing one database fetch each
 * exchange one at a time: a fetch holds the lease "exchange:NAME" (table
 * leases: owner, expiry; taken in a transaction, renewed with every page,
 * taken over once expired), and due-ness is read again under the lease. A
 * backend without leases falls back to the last attempt and the per-page
 * checkpoint check. /metrics: vigil_exchange_last_success,
 * vigil_exchange_lag_seconds, vigil_exchange_items, vigil_exchange_errors.
 *
 * The same thread compacts the logs of published banks every
 * feed_compact_interval (lease "feed-compact": one server at a time), and
 * the publisher's feed key (feed_key_file) is loaded here at start. */
#include "exchanges.h"
#include "metrics.h"
#include "bgthread.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

static struct {
	srv_bg bg;
	vigil_ctx *ctx;
	vigil_store *st;
	char owner[128]; /* this server's lease owner: host:pid:random */
	int64_t compacted; /* unix time of this server's last compaction */
	int have_seed;
	uint8_t seed[32]; /* feed_key_file's Ed25519 seed */
} X = {.bg = SRV_BG_INIT};

/* A stable jitter per exchange: spreads exchanges (and servers) over the
 * interval instead of fetching all at once. */
static int64_t jitter(const char *name, int64_t interval)
{
	uint32_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return interval >= 10 ? (int64_t)(h % (uint32_t)(interval / 10)) : 0;
}

static void publish(const vigil_exchange *x, int64_t now)
{
	srv_metric_set("vigil_exchange_last_success", "exchange", x->name,
		       (double)x->last_success);
	srv_metric_set("vigil_exchange_lag_seconds", "exchange", x->name,
		       x->last_success ? (double)(now - x->last_success) : -1.0);
	srv_metric_set("vigil_exchange_items", "exchange", x->name, (double)x->items);
	srv_metric_set("vigil_exchange_errors", "exchange", x->name, (double)x->errors);
}

static void run_due(srv *s)
{
	int64_t interval = SRV_CFG(s, exchange_interval), now = (int64_t)time(NULL);
	vigil_exchange *v = NULL;
	size_t n = 0, i;

	if (vigil_exchange_list(X.st, &v, &n)) {
		srv_log(s, SRV_LOG_WARN, "exchanges: %s", vigil_errmsg(X.ctx));
		return;
	}
	for (i = 0; i < n && !srv_bg_stopping(&X.bg); i++) {
		vigil_exchange_fetch_opts o;
		vigil_exchange_stats st;
		vigil_exchange after;

		int64_t wait = interval + jitter(v[i].name, interval);
		char lease[VIGIL_NAME_MAX + 16];
		int got = 0, rc;

		publish(&v[i], now);
		if (!v[i].enabled || now - v[i].last_attempt < wait)
			continue;
		memset(&o, 0, sizeof(o));
		o.matcher = s->matcher;
		/* Under the lease, read the exchange again: another server may
		 * have fetched it since the list was read. */
		snprintf(lease, sizeof(lease), "exchange:%s", v[i].name);
		rc = vigil_store_lease(X.st, lease, X.owner, SRV_CFG(s, exchange_lease) * 1000,
				       &got);
		if (rc || !got) {
			if (rc)
				srv_log(s, SRV_LOG_WARN, "exchange %s: lease: %s", v[i].name,
					vigil_errmsg(X.ctx));
			else
				srv_log(s, SRV_LOG_DEBUG, "exchange %s: another server holds "
					"the lease", v[i].name);
			continue;
		}
		if (vigil_exchange_get(X.st, v[i].name, &after) ||
		    (int64_t)time(NULL) - after.last_attempt < wait) {
			vigil_store_lease(X.st, lease, X.owner, 0, &got);
			continue;
		}
		o.lease_owner = X.owner;
		o.lease_ttl = SRV_CFG(s, exchange_lease);
		rc = vigil_exchange_fetch(X.st, v[i].name, &o, &st);
		vigil_store_lease(X.st, lease, X.owner, 0, &got);
		if (rc)
			srv_log(s, SRV_LOG_WARN, "exchange %s: %s", v[i].name, vigil_errmsg(X.ctx));
		else
			srv_log(s, SRV_LOG_INFO, "exchange %s: %lld records, %lld added, %lld removed",
				v[i].name, (long long)st.records, (long long)st.added,
				(long long)st.removed);
		if (!vigil_exchange_get(X.st, v[i].name, &after))
			publish(&after, (int64_t)time(NULL));
	}
	free(v);
}

const uint8_t *srv_feed_seed(void)
{
	return X.have_seed ? X.seed : NULL;
}

/* Compacts each published bank's feed log, under a lease so that servers
 * sharing the store do it once per interval between them. */
static void compact_feeds(srv *s)
{
	int64_t every = SRV_CFG(s, feed_compact_interval), now = (int64_t)time(NULL);
	vigil_bank *b = NULL;
	size_t n = 0, i;
	int got = 0, on;

	if (every <= 0 || now - X.compacted < every)
		return;
	X.compacted = now;
	if (vigil_store_lease(X.st, "feed-compact", X.owner, every * 1000, &got) || !got)
		return; /* another server compacts this round (the lease is not released) */
	if (vigil_bank_list(X.st, &b, &n)) {
		srv_log(s, SRV_LOG_WARN, "feed compaction: %s", vigil_errmsg(X.ctx));
		return;
	}
	for (i = 0; i < n; i++) {
		int64_t removed = 0, floor = 0;
		if (vigil_feed_published(X.st, b[i].name, &on) || !on)
			continue;
		if (vigil_feed_compact(X.st, b[i].name, SRV_CFG(s, feed_keep_deletes), &removed,
				       &floor))
			srv_log(s, SRV_LOG_WARN, "feed %s: compaction: %s", b[i].name,
				vigil_errmsg(X.ctx));
		else if (removed)
			srv_log(s, SRV_LOG_INFO, "feed %s: compacted, %lld log rows dropped, "
				"floor %lld", b[i].name, (long long)removed, (long long)floor);
	}
	free(b);
}

static void *worker(void *arg)
{
	srv *s = arg;

	pthread_mutex_lock(&X.bg.mu);
	while (!X.bg.stop) {
		struct timespec ts;
		pthread_mutex_unlock(&X.bg.mu);
		if (SRV_CFG(s, exchange_interval) > 0)
			run_due(s);
		compact_feeds(s);
		pthread_mutex_lock(&X.bg.mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 5; /* how often due exchanges are looked for */
		if (!X.bg.stop)
			pthread_cond_timedwait(&X.bg.cv, &X.bg.mu, &ts);
	}
	pthread_mutex_unlock(&X.bg.mu);
	return NULL;
}

int srv_exchanges_start(srv *s, char *err, size_t errcap)
{
	srv_metric_define("vigil_exchange_last_success", SRV_GAUGE,
			  "Unix time of each exchange's last complete fetch (0: never)");
	srv_metric_define("vigil_exchange_lag_seconds", SRV_GAUGE,
			  "Seconds since each exchange's last complete fetch (-1: never)");
	srv_metric_define("vigil_exchange_items", SRV_GAUGE, "Records each exchange holds");
	srv_metric_define("vigil_exchange_errors", SRV_GAUGE, "Failed fetches of each exchange");
	{
		char host[64] = "";
		gethostname(host, sizeof(host) - 1);
		snprintf(X.owner, sizeof(X.owner), "%.63s:%ld:%08x", host, (long)getpid(),
			 (unsigned)randombytes_random());
	}
	if (vigil_ctx_new(&X.ctx)) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	X.have_seed = 0;
	X.compacted = 0;
	if (*s->cfg.feed_key_file) {
		uint8_t pk[32];
		char hx[65];
		/* made at first start (0600); an existing one is never replaced */
		if (access(s->cfg.feed_key_file, F_OK) &&
		    vigil_master_key_create(X.ctx, s->cfg.feed_key_file) == VIGIL_OK)
			srv_log(s, SRV_LOG_INFO, "feed_key_file: made a new feed key");
		if (vigil_master_key_load(X.ctx, s->cfg.feed_key_file, X.seed)) {
			snprintf(err, errcap, "feed_key_file: %s", vigil_errmsg(X.ctx));
			return -1;
		}
		X.have_seed = 1;
		vigil_feed_pubkey(X.seed, pk);
		sodium_bin2hex(hx, sizeof(hx), pk, sizeof(pk));
		srv_log(s, SRV_LOG_INFO, "feed pages are signed; public key %s", hx);
	}
	if (srv_store_open(s, X.ctx, s->cfg.db, &X.st)) {
		snprintf(err, errcap, "exchanges: %s", vigil_errmsg(X.ctx));
		return -1;
	}
	if (srv_bg_start(&X.bg, worker, s)) {
		snprintf(err, errcap, "cannot start the exchange thread");
		return -1;
	}
	return 0;
}

void srv_exchanges_stop(srv *s)
{
	(void)s;
	srv_bg_stop(&X.bg);
	vigil_store_close(X.st);
	X.st = NULL;
	vigil_ctx_free(X.ctx);
	X.ctx = NULL;
	sodium_memzero(X.seed, sizeof(X.seed));
	X.have_seed = 0;
}
