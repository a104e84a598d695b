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
 * process) nothing starts. */
#include "sync.h"
#include "metrics.h"
#include "server_int.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define SYNC_POLL_MS 500   /* the longest a change waits without NOTIFY */
#define SYNC_BATCH 10000   /* changes read per query */

static struct {
	srv *s;
	vigil_ctx *ctx;
	vigil_store *st;
	int64_t last;       /* the last change applied */
	int stop;           /* atomic */
	int running;
	pthread_t thread;
} Y;

static int apply(void *user, const vigil_change *c)
{
	srv *s = user;

	/* logged and passed: one bad change must not stop the rest */
	if (vigil_matcher_apply_change(s->matcher, Y.st, Y.ctx, c))
		srv_log(s, SRV_LOG_WARN, "sync: change %lld: %s", (long long)c->seq,
			vigil_errmsg(Y.ctx));
	return 0;
}

static void *worker(void *arg)
{
	srv *s = arg;

	while (!__atomic_load_n(&Y.stop, __ATOMIC_RELAXED)) {
		int64_t before = Y.last;
		if (vigil_store_changes(Y.st, Y.last, SYNC_BATCH, apply, s, &Y.last)) {
			srv_log(s, SRV_LOG_WARN, "sync: %s", vigil_errmsg(Y.ctx));
		} else if (Y.last != before) {
			srv_metric_set("vigil_index_hashes", NULL, NULL,
				       (double)vigil_matcher_size(s->matcher));
			srv_metric_set("vigil_sync_change_seq", NULL, NULL, (double)Y.last);
			if (Y.last - before >= SYNC_BATCH)
				continue; /* more are waiting */
		}
		vigil_store_changes_wait(Y.st, SYNC_POLL_MS);
	}
	return NULL;
}

int srv_sync_open(srv *s, char *err, size_t errcap)
{
	memset(&Y, 0, sizeof(Y));
	Y.s = s;
	if (!strstr(s->cfg.db, "://"))
		return 0; /* SQLite: this process owns the store */
	if (vigil_ctx_new(&Y.ctx) || vigil_store_open(Y.ctx, s->cfg.db, &Y.st) ||
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
	if (pthread_create(&Y.thread, NULL, worker, s)) {
		snprintf(err, errcap, "cannot start the sync thread");
		return -1;
	}
	Y.running = 1;
	return 0;
}

void srv_sync_stop(srv *s)
{
	(void)s;
	if (Y.running) {
		__atomic_store_n(&Y.stop, 1, __ATOMIC_RELAXED);
		pthread_join(Y.thread, NULL);
		Y.running = 0;
	}
	vigil_store_close(Y.st);
	Y.st = NULL;
	vigil_ctx_free(Y.ctx);
	Y.ctx = NULL;
}
