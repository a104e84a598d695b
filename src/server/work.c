/* work.c — the keeper of shared work (work.h): one thread with its own
 * store handle that, for each kind every third of its lease (work_lease,
 * or stream_lease for streams: a stream unwatched for a whole job lease
 * would miss seconds of live video, a job only waits),
 *   1. renews the lease of every item this instance holds; an item whose
 *      lease went to another instance is lost (the kind is told);
 *   2. lists the open items of the kind: one it holds that is no longer
 *      open was finished through another instance (lost too); one it does
 *      not hold whose lease it can take had a holder that died (or gave it
 *      back at shutdown): it claims it and the kind adopts it.
 * Once a minute, one instance at a time (lease work.prune) deletes the
 * items finished more than work_retention ago, so the table stays the size
 * of the recent work.
 * A lease says who may work on an item; the claim and the conditional
 * finish (vigil_work_finish) make sure only its last claimer's finish
 * counts, so an item is finished once even if a slow holder comes back. */
#include "work.h"
#include "metrics.h"
#include "sync.h"
#include "bgthread.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_KINDS 4
#define MAX_HELD 1024  /* items one instance holds */
#define SCAN_MAX 1024  /* open items read per kind and round */
#define PRUNE_EVERY_MS 60000
#define PRUNE_BATCH 1000 /* rows deleted per transaction */

typedef struct held {
	char id[VIGIL_WORK_ID_MAX + 1];
	const srv_work_kind *k;
	uint64_t gen; /* the round in which it was taken */
	int64_t renewed_ms; /* last taken or renewed, unix ms */
} held;

static struct {
	srv_bg bg; /* its mu guards held[], n, gen */
	const srv_work_kind *kinds[MAX_KINDS];
	int64_t scanned_ms[MAX_KINDS]; /* keeper thread only */
	int64_t pruned_ms;             /* keeper thread only */
	int nkinds;
	held *held;
	size_t n;
	uint64_t gen;
	vigil_ctx *ctx;
	vigil_store *st;
} W = {.bg = SRV_BG_INIT};

void srv_work_register(const srv_work_kind *k)
{
	for (int i = 0; i < W.nkinds; i++)
		if (W.kinds[i] == k)
			return;
	if (W.nkinds < MAX_KINDS)
		W.kinds[W.nkinds++] = k;
}

static const srv_work_kind *kind_of(const char *kind)
{
	for (int i = 0; i < W.nkinds; i++)
		if (!strcmp(W.kinds[i]->kind, kind))
			return W.kinds[i];
	return NULL;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The lease of an item of kind k, ms. */
static int64_t ttl_ms(srv *s, const srv_work_kind *k)
{
	return (k && k->short_lease ? SRV_CFG(s, stream_lease) : SRV_CFG(s, work_lease)) * 1000;
}

int64_t srv_work_until(srv *s, const char *kind)
{
	return wall_ms() + ttl_ms(s, kind_of(kind));
}

void srv_work_new_id(char *id, size_t cap)
{
	uint8_t b[16];
	char hex[33];

	randombytes_buf(b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	vigil_hex(b, 16, hex);
	snprintf(id, cap, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
		 hex + 20);
}

static void lease_name(char *name, size_t cap, const char *id)
{
	snprintf(name, cap, "work:%s", id);
}

/* With W.bg.mu held. */
static long find(const char *id)
{
	for (size_t i = 0; i < W.n; i++)
		if (!strcmp(W.held[i].id, id))
			return (long)i;
	return -1;
}

static void forget(size_t i)
{
	W.held[i] = W.held[--W.n];
}

static int keep(const srv_work_kind *k, const char *id)
{
	int ok = 1;

	pthread_mutex_lock(&W.bg.mu);
	if (find(id) < 0) {
		if (W.n < MAX_HELD && W.held) {
			snprintf(W.held[W.n].id, sizeof(W.held[0].id), "%s", id);
			W.held[W.n].k = k;
			W.held[W.n].gen = W.gen;
			W.held[W.n].renewed_ms = wall_ms();
			W.n++;
		} else {
			ok = 0;
		}
	}
	pthread_mutex_unlock(&W.bg.mu);
	return ok;
}

int srv_work_take(srv *s, vigil_ctx *ctx, vigil_store *st, const char *kind,
		  const char *id)
{
	const srv_work_kind *k = kind_of(kind);
	char name[VIGIL_WORK_ID_MAX + 8];

	lease_name(name, sizeof(name), id);
	if (!k || !srv_lease(s, ctx, st, name, ttl_ms(s, k)))
		return 0;
	if (!keep(k, id)) {
		srv_lease(s, ctx, st, name, 0);
		srv_log(s, SRV_LOG_WARN, "work: more than %d items held", MAX_HELD);
		return 0;
	}
	return 1;
}

void srv_work_drop(srv *s, vigil_ctx *ctx, vigil_store *st, const char *id)
{
	char name[VIGIL_WORK_ID_MAX + 8];
	long i;

	/* Forgotten first (under the lock the renewals take), so the keeper
	 * cannot renew the lease after it is given back. */
	pthread_mutex_lock(&W.bg.mu);
	if ((i = find(id)) >= 0)
		forget((size_t)i);
	pthread_mutex_unlock(&W.bg.mu);
	lease_name(name, sizeof(name), id);
	srv_lease(s, ctx, st, name, 0);
}

int srv_work_held(const char *id)
{
	int h;

	pthread_mutex_lock(&W.bg.mu);
	h = find(id) >= 0;
	pthread_mutex_unlock(&W.bg.mu);
	return h;
}

/* A list of (kind, id) to tell about, outside the lock. */
typedef struct told {
	const srv_work_kind *k;
	char id[VIGIL_WORK_ID_MAX + 1];
} told;

static void tell_lost(srv *s, told *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		srv_log(s, SRV_LOG_WARN, "work: %s %s is no longer this instance's",
			t[i].k->kind, t[i].id);
		srv_metric_inc("vigil_work_lost_total", "kind", t[i].k->kind);
		t[i].k->lost(s, t[i].id);
	}
}

/* 1. Renews every held lease a third or more of whose time went by
 * (less a keeper step's slack: the next round may come a step late); the
 * ones lost are forgotten and told. */
static void renew(srv *s, told *t, int64_t step)
{
	char name[VIGIL_WORK_ID_MAX + 8];
	size_t n = 0;

	pthread_mutex_lock(&W.bg.mu);
	for (size_t i = 0; i < W.n;) {
		int64_t ttl = ttl_ms(s, W.held[i].k), now = wall_ms();
		if (now - W.held[i].renewed_ms < ttl / 3 - step / 2) {
			i++;
			continue;
		}
		lease_name(name, sizeof(name), W.held[i].id);
		if (srv_lease(s, W.ctx, W.st, name, ttl)) {
			W.held[i].renewed_ms = now;
			i++;
			continue;
		}
		/* A store failure also lands here: not renewed means another
		 * instance may take it from now on, so this one stops. */
		t[n].k = W.held[i].k;
		snprintf(t[n].id, sizeof(t[n].id), "%s", W.held[i].id);
		n++;
		forget(i);
	}
	W.gen++;
	pthread_mutex_unlock(&W.bg.mu);
	tell_lost(s, t, n);
}

/* 2. Items of kind k finished elsewhere, and items free to take over. */
static void scan(srv *s, const srv_work_kind *k, told *t)
{
	vigil_work *w = NULL;
	size_t n = 0, nt = 0;
	uint64_t gen;
	char name[VIGIL_WORK_ID_MAX + 8];

	pthread_mutex_lock(&W.bg.mu);
	gen = W.gen;
	pthread_mutex_unlock(&W.bg.mu);
	if (vigil_work_open(W.st, k->kind, SCAN_MAX, &w, &n)) {
		srv_log(s, SRV_LOG_WARN, "work: %s", vigil_errmsg(W.ctx));
		return;
	}
	/* Held, taken before the list was read, and not in it: finished,
	 * if its row says so (not yet stored is not finished). */
	pthread_mutex_lock(&W.bg.mu);
	for (size_t i = 0; i < W.n && n < SCAN_MAX; i++) {
		size_t j;
		if (W.held[i].k != k || W.held[i].gen >= gen)
			continue;
		for (j = 0; j < n && strcmp(w[j].id, W.held[i].id); j++)
			;
		if (j == n) {
			t[nt].k = k;
			snprintf(t[nt].id, sizeof(t[nt].id), "%s", W.held[i].id);
			nt++;
		}
	}
	pthread_mutex_unlock(&W.bg.mu);
	for (size_t i = 0; i < nt;) {
		vigil_work x = {0};
		int gone = !vigil_work_get(W.st, t[i].id, 0, &x) &&
			   strcmp(x.state, "queued") && strcmp(x.state, "running") &&
			   strcmp(x.state, "watching");
		long at;
		vigil_work_clear(&x);
		pthread_mutex_lock(&W.bg.mu);
		at = gone ? find(t[i].id) : -1;
		if (at >= 0)
			forget((size_t)at);
		pthread_mutex_unlock(&W.bg.mu);
		if (at >= 0) {
			lease_name(name, sizeof(name), t[i].id);
			srv_lease(s, W.ctx, W.st, name, 0);
			i++;
		} else {
			t[i] = t[--nt];
		}
	}
	tell_lost(s, t, nt);
	for (size_t j = 0; j < n && !srv_bg_stopping(&W.bg); j++) {
		int got = 0;
		char was[VIGIL_TEXT_MAX + 1];
		if (srv_work_held(w[j].id))
			continue;
		lease_name(name, sizeof(name), w[j].id);
		if (!srv_lease(s, W.ctx, W.st, name, ttl_ms(s, k)))
			continue; /* its holder is alive */
		snprintf(was, sizeof(was), "%s", w[j].owner);
		if (vigil_work_claim(W.st, w[j].id, srv_lease_owner(), NULL,
				     wall_ms() + ttl_ms(s, k), &got) ||
		    !got || !keep(k, w[j].id)) {
			srv_lease(s, W.ctx, W.st, name, 0); /* finished meanwhile */
			continue;
		}
		snprintf(w[j].owner, sizeof(w[j].owner), "%s", srv_lease_owner());
		srv_log(s, SRV_LOG_WARN, "work: taking over %s %s from %s", k->kind, w[j].id,
			*was ? was : "-");
		srv_metric_inc("vigil_work_takeovers_total", "kind", k->kind);
		if (k->adopt(s, W.ctx, W.st, &w[j]))
			srv_work_drop(s, W.ctx, W.st, w[j].id);
	}
	vigil_works_free(w, n);
}

/* 3. Finished items older than work_retention, if this instance holds
 * the pruning lease (kept a minute: the others skip meanwhile). */
static void prune(srv *s)
{
	int64_t keep = SRV_CFG(s, work_retention), now = wall_ms();
	size_t n = 0, total = 0;

	if (!keep || now - W.pruned_ms < PRUNE_EVERY_MS)
		return;
	W.pruned_ms = now;
	if (!srv_lease(s, W.ctx, W.st, "work.prune", PRUNE_EVERY_MS)) {
		srv_metric_inc("vigil_work_prunes_skipped_total", NULL, NULL);
		return; /* another instance's turn */
	}
	do {
		if (vigil_work_prune(W.st, now - keep * 1000, PRUNE_BATCH, &n)) {
			srv_log(s, SRV_LOG_WARN, "work: prune: %s", vigil_errmsg(W.ctx));
			break;
		}
		total += n;
	} while (n == PRUNE_BATCH && !srv_bg_stopping(&W.bg));
	srv_metric_inc("vigil_work_prunes_total", NULL, NULL);
	if (total) {
		srv_metric_add("vigil_work_pruned_total", NULL, NULL, NULL, NULL, (double)total);
		srv_log(s, SRV_LOG_INFO, "work: %zu finished items pruned", total);
	}
}

static void *keeper(void *arg)
{
	srv *s = arg;
	told *t = calloc(MAX_HELD > SCAN_MAX ? MAX_HELD : SCAN_MAX, sizeof(*t));

	if (!t) {
		srv_log(s, SRV_LOG_ERROR, "work: out of memory: nothing is taken over");
		return NULL;
	}
	pthread_mutex_lock(&W.bg.mu);
	while (!W.bg.stop) {
		struct timespec ts;
		int64_t step = ttl_ms(s, NULL) / 3;
		/* A round every third of the shortest lease; each kind is
		 * scanned every third of its own. */
		for (int i = 0; i < W.nkinds; i++)
			if (ttl_ms(s, W.kinds[i]) / 3 < step)
				step = ttl_ms(s, W.kinds[i]) / 3;
		pthread_mutex_unlock(&W.bg.mu);
		renew(s, t, step);
		for (int i = 0; i < W.nkinds; i++) {
			int64_t now = wall_ms();
			if (now - W.scanned_ms[i] < ttl_ms(s, W.kinds[i]) / 3 - step / 2)
				continue;
			W.scanned_ms[i] = now;
			scan(s, W.kinds[i], t);
		}
		prune(s);
		pthread_mutex_lock(&W.bg.mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += step / 1000;
		ts.tv_nsec += (step % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		while (!W.bg.stop && pthread_cond_timedwait(&W.bg.cv, &W.bg.mu, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&W.bg.mu);
	free(t);
	return NULL;
}

int srv_work_start(srv *s, char *err, size_t errcap)
{
	W.n = 0;
	memset(W.scanned_ms, 0, sizeof(W.scanned_ms));
	W.pruned_ms = 0;
	srv_metric_define("vigil_work_takeovers_total", SRV_COUNTER,
			  "Video jobs and streams taken over from an instance that died");
	srv_metric_define("vigil_work_lost_total", SRV_COUNTER,
			  "Video jobs and streams this instance stopped holding (lease "
			  "lost, or finished through another instance)");
	srv_metric_define("vigil_work_prunes_total", SRV_COUNTER,
			  "Prunes of finished video jobs and streams run by this instance");
	srv_metric_define("vigil_work_prunes_skipped_total", SRV_COUNTER,
			  "Prunes left to the instance holding the work.prune lease");
	srv_metric_define("vigil_work_pruned_total", SRV_COUNTER,
			  "Finished video jobs and streams deleted after work_retention");
	W.held = calloc(MAX_HELD, sizeof(*W.held));
	if (!W.held || vigil_ctx_new(&W.ctx)) {
		snprintf(err, errcap, "work: out of memory");
		return -1;
	}
	if (srv_store_open(s, W.ctx, s->cfg.db, &W.st)) {
		snprintf(err, errcap, "work: %s", vigil_errmsg(W.ctx));
		return -1;
	}
	if (srv_bg_start(&W.bg, keeper, s)) {
		snprintf(err, errcap, "cannot start the work keeper");
		return -1;
	}
	return 0;
}

void srv_work_stop(srv *s)
{
	char name[VIGIL_WORK_ID_MAX + 8];

	srv_bg_stop(&W.bg);
	/* A clean stop hands every item over now rather than at expiry. */
	pthread_mutex_lock(&W.bg.mu);
	for (size_t i = 0; W.st && i < W.n; i++) {
		lease_name(name, sizeof(name), W.held[i].id);
		srv_lease(s, W.ctx, W.st, name, 0);
	}
	W.n = 0;
	pthread_mutex_unlock(&W.bg.mu);
	vigil_store_close(W.st);
	W.st = NULL;
	vigil_ctx_free(W.ctx);
	W.ctx = NULL;
	free(W.held);
	W.held = NULL;
}
