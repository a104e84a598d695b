/* sync.c — several `vigil serve` instances on one PostgreSQL database:
 * bank changes made through any of them (or the CLI) reach this
 * instance's matcher without a rebuild.
 *
 * The store logs every change with a sequence number in commit order
 * (src/store/postgres.c, migration 2). The matcher knows the change up
 * to which it is current (the head read before its load, or its
 * snapshot's number); a thread then applies every change after it,
 * woken by LISTEN/NOTIFY and in any case every SYNC_POLL_MS, so a lost
 * notification or connection loses nothing: the log is read by number.
 * Changes made through this instance come back too and are no-ops
 * (re-adding an entry, removing one already gone). On SQLite (one owner
 * process) nothing starts.
 *
 * The log is kept to a window (SYNC_KEEP changes): the instance holding
 * the "changes.prune" lease deletes older ones every SYNC_PRUNE_S. An
 * instance that falls further behind than the window (stopped for long)
 * cannot catch up by reading: it says so, stops being ready and shuts
 * down, and its restart (systemd Restart=always) reloads the index whole. */
#include "sync.h"
#include "metrics.h"
#include "server_int.h"
#include "bgthread.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SYNC_POLL_MS 500   /* the longest a change waits without NOTIFY */
#define SYNC_BATCH 10000   /* changes read per query */
#define SYNC_KEEP 1000000  /* changes kept in the log */
#define SYNC_PRUNE_S 60    /* how often the lease holder prunes */

static struct {
	srv *s;
	vigil_ctx *ctx;
	vigil_store *st;
	int64_t last;       /* the last change applied */
	int64_t target;     /* the head when the thread started */
	int ready;          /* atomic: last reached target once */
	srv_bg bg;
} Y = {.bg = SRV_BG_INIT};

static int apply(void *user, const vigil_change *c)
{
	srv *s = user;

	/* logged and passed: one bad change must not stop the rest */
	if (vigil_matcher_apply_change(s->matcher, Y.st, Y.ctx, c))
		srv_log(s, SRV_LOG_WARN, "sync: change %lld: %s", (long long)c->seq,
			vigil_errmsg(Y.ctx));
	return 0;
}

/* The lease holder keeps the log to its window. */
static void prune(srv *s, time_t *next)
{
	int64_t floor;

	if (time(NULL) < *next)
		return;
	*next = time(NULL) + SYNC_PRUNE_S;
	if (!srv_lease(s, Y.ctx, Y.st, "changes.prune", 3 * SYNC_PRUNE_S * 1000))
		return;
	if (vigil_store_changes_prune(Y.st, SYNC_KEEP, &floor))
		srv_log(s, SRV_LOG_WARN, "sync: prune: %s", vigil_errmsg(Y.ctx));
}

static void *worker(void *arg)
{
	srv *s = arg;
	time_t next_prune = 0;

	while (!srv_bg_stopping(&Y.bg)) {
		int64_t before = Y.last;
		int rc = vigil_store_changes(Y.st, Y.last, SYNC_BATCH, apply, s, &Y.last);
		if (rc == VIGIL_ENOENT) { /* pruned past us: only a reload helps */
			srv_log(s, SRV_LOG_ERROR, "sync: %s; shutting down so that a "
				"restart reloads the index", vigil_errmsg(Y.ctx));
			__atomic_store_n(&Y.ready, 0, __ATOMIC_RELEASE);
			kill(getpid(), SIGTERM);
			break;
		}
		if (!__atomic_load_n(&Y.ready, __ATOMIC_RELAXED) && !rc && Y.last >= Y.target)
			__atomic_store_n(&Y.ready, 1, __ATOMIC_RELEASE);
		if (rc) {
			srv_log(s, SRV_LOG_WARN, "sync: %s", vigil_errmsg(Y.ctx));
		} else if (Y.last != before) {
			srv_metric_set("vigil_index_hashes", NULL, NULL,
				       (double)vigil_matcher_size(s->matcher));
			srv_metric_set("vigil_sync_change_seq", NULL, NULL, (double)Y.last);
			if (Y.last - before >= SYNC_BATCH)
				continue; /* more are waiting */
		}
		prune(s, &next_prune);
		vigil_store_changes_wait(Y.st, SYNC_POLL_MS);
	}
	return NULL;
}

int srv_sync_ready(void)
{
	return !Y.st || __atomic_load_n(&Y.ready, __ATOMIC_ACQUIRE);
}

/* This instance's name in leases: host, pid and start time, so a restart
 * with the same pid is a new owner. */
static char Owner[128];

static void make_owner(void)
{
	char host[64] = "";

	gethostname(host, sizeof(host) - 1);
	snprintf(Owner, sizeof(Owner), "%s:%ld:%lld", host, (long)getpid(),
		 (long long)time(NULL));
}

static pthread_once_t owner_once = PTHREAD_ONCE_INIT;

const char *srv_lease_owner(void)
{
	(void)pthread_once(&owner_once, make_owner);
	return Owner;
}

int srv_lease(srv *s, vigil_ctx *ctx, vigil_store *st, const char *name, int64_t ttl_ms)
{
	int held = 0;

	(void)pthread_once(&owner_once, make_owner);
	if (vigil_store_lease(st, name, Owner, ttl_ms, &held)) {
		srv_log(s, SRV_LOG_WARN, "lease %s: %s", name, vigil_errmsg(ctx));
		return 0;
	}
	return held;
}

int srv_sync_open(srv *s, char *err, size_t errcap)
{
	memset(&Y, 0, sizeof(Y));
	Y.s = s;
	if (!strstr(s->cfg.db, "://"))
		return 0; /* SQLite: this process owns the store */
	if (vigil_ctx_new(&Y.ctx) || srv_store_open(s, Y.ctx, s->cfg.db, &Y.st) ||
	    vigil_store_changes_head(Y.st, &Y.last)) {
		snprintf(err, errcap, "sync: %s", Y.ctx ? vigil_errmsg(Y.ctx) : "out of memory");
		return -1;
	}
	srv_metric_define("vigil_sync_change_seq", SRV_GAUGE,
			  "The last bank change (sequence number) applied to the index");
	return 0;
}

int srv_sync_start(srv *s, char *err, size_t errcap)
{
	if (!Y.st)
		return 0;
	/* where the matcher stands: the head read before a rebuild, or a
	 * snapshot's number after its replay */
	Y.last = vigil_matcher_seq(s->matcher);
	/* Ready once caught up with the head as it is now, the load done. */
	if (vigil_store_changes_head(Y.st, &Y.target)) {
		snprintf(err, errcap, "sync: %s", vigil_errmsg(Y.ctx));
		return -1;
	}
	if (srv_bg_start(&Y.bg, worker, s)) {
		snprintf(err, errcap, "cannot start the sync thread");
		return -1;
	}
	return 0;
}

void srv_sync_stop(srv *s)
{
	(void)s;
	srv_bg_stop(&Y.bg);
	vigil_store_close(Y.st);
	Y.st = NULL;
	vigil_ctx_free(Y.ctx);
	Y.ctx = NULL;
}
