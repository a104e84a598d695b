/* snapshot.c — vigil serve's index snapshot (docs/snapshots.md): the
 * matcher is started from the snapshot file when one is set, and the file
 * is rewritten from a thread after the load, every snapshot_interval when
 * the matcher has changed, and at shutdown.
 *
 * The thread has its own store connection (SQLite connections are not
 * shared between threads here). On SQLite the server applies its own
 * changes to the matcher without reading them back, so before each write
 * the thread replays the log from the matcher's number (no-ops for what
 * is already in) to move that number on; on PostgreSQL the sync thread
 * does it (sync.c). On SQLite the log up to a written snapshot is
 * pruned: nothing else reads it. */
#include "snapshot.h"
#include "metrics.h"
#include "bgthread.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static struct {
	srv *s;
	vigil_ctx *ctx;
	vigil_store *st;
	int64_t written;     /* seq of the file on disk, -1: none */
	srv_bg bg;
} N = {.bg = SRV_BG_INIT};

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static int sqlite_store(const srv *s)
{
	return !strstr(s->cfg.db, "://");
}

int srv_snapshot_load(srv *s, vigil_store *st, vigil_ctx *ctx, char *err, size_t errcap)
{
	vigil_snapshot_info info;
	struct timespec t0;
	int rc;

	N.written = -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!*s->cfg.snapshot) {
		rc = vigil_matcher_open(st, &s->matcher);
		/* nobody reads the SQLite log without a snapshot: keep it short */
		if (!rc && sqlite_store(s))
			vigil_store_changes_prune_upto(st, vigil_matcher_seq(s->matcher));
	} else {
		rc = vigil_matcher_open_snapshot(st, s->cfg.snapshot, &s->matcher, &info);
		if (!rc && info.used) {
			N.written = info.seq;
			srv_log(s, SRV_LOG_INFO,
				"snapshot %s: change %lld, %lld replayed, %zu hashes, %.0f ms",
				s->cfg.snapshot, (long long)info.seq, (long long)info.replayed,
				vigil_matcher_size(s->matcher), ms_since(&t0));
		} else if (!rc) {
			srv_log(s, SRV_LOG_INFO, "snapshot not used (%s): rebuilt, %zu hashes, %.0f ms",
				info.reason, vigil_matcher_size(s->matcher), ms_since(&t0));
		}
	}
	if (rc)
		snprintf(err, errcap, "loading the banks: %s", vigil_errmsg(ctx));
	return rc ? -1 : 0;
}

/* Writes the snapshot if the matcher moved on since the last one. */
static void write_now(srv *s)
{
	struct timespec t0;
	int64_t seq;

	if (sqlite_store(s) && vigil_matcher_catch_up(s->matcher, N.st, NULL))
		srv_log(s, SRV_LOG_WARN, "snapshot: catch-up: %s", vigil_errmsg(N.ctx));
	seq = vigil_matcher_seq(s->matcher);
	if (seq == N.written)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (vigil_matcher_snapshot_write(s->matcher, N.st, s->cfg.snapshot)) {
		srv_log(s, SRV_LOG_WARN, "snapshot: %s", vigil_errmsg(N.ctx));
		return;
	}
	N.written = seq;
	srv_metric_set("vigil_snapshot_change_seq", NULL, NULL, (double)seq);
	srv_log(s, SRV_LOG_INFO, "snapshot %s written (change %lld, %.0f ms)",
		s->cfg.snapshot, (long long)seq, ms_since(&t0));
	if (sqlite_store(s) && vigil_store_changes_prune_upto(N.st, seq))
		srv_log(s, SRV_LOG_WARN, "snapshot: pruning the log: %s", vigil_errmsg(N.ctx));
}

static void *worker(void *arg)
{
	srv *s = arg;

	write_now(s);
	pthread_mutex_lock(&N.bg.mu);
	while (!N.bg.stop) {
		int64_t every = SRV_CFG(s, snapshot_interval);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += every > 0 ? every : 3600;
		if (pthread_cond_timedwait(&N.bg.cv, &N.bg.mu, &until) == ETIMEDOUT &&
		    !N.bg.stop && SRV_CFG(s, snapshot_interval) > 0) {
			pthread_mutex_unlock(&N.bg.mu);
			write_now(s);
			pthread_mutex_lock(&N.bg.mu);
		}
	}
	pthread_mutex_unlock(&N.bg.mu);
	write_now(s); /* at shutdown */
	return NULL;
}

int srv_snapshot_start(srv *s, char *err, size_t errcap)
{
	if (!*s->cfg.snapshot)
		return 0;
	N.s = s;
	srv_metric_define("vigil_snapshot_change_seq", SRV_GAUGE,
			  "The change sequence number of the last index snapshot written");
	if (vigil_ctx_new(&N.ctx) || srv_store_open(s, N.ctx, s->cfg.db, &N.st)) {
		snprintf(err, errcap, "snapshot: %s", N.ctx ? vigil_errmsg(N.ctx) : "out of memory");
		vigil_ctx_free(N.ctx);
		N.ctx = NULL;
		return -1;
	}
	if (srv_bg_start(&N.bg, worker, s)) {
		snprintf(err, errcap, "cannot start the snapshot thread");
		return -1;
	}
	return 0;
}

void srv_snapshot_stop(srv *s)
{
	(void)s;
	srv_bg_stop(&N.bg);
	vigil_store_close(N.st);
	N.st = NULL;
	vigil_ctx_free(N.ctx);
	N.ctx = NULL;
}
