/* retention.c — the retention job: one thread with its own store handle
 * runs vigil_retention_sweep at start and then every
 * evidence_sweep_interval seconds (both settings reload on SIGHUP). A
 * failed run is logged and retried at the next tick: deleting late is
 * safe, deleting early is what the job never does. Several instances on
 * one database run it once per interval between them: a run needs the
 * "evidence.retention" lease, taken for one interval, so the holder
 * renews it at its next tick and a survivor takes it once a dead
 * holder's interval is over. /metrics:
 * vigil_evidence_preserved_total, vigil_evidence_deleted_total,
 * vigil_evidence_held (expired items a hold keeps). */
#include "retention.h"
#include "metrics.h"
#include "sync.h"
#include "bgthread.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static struct {
	srv_bg bg;
	int have_master;
	int unsupported; /* the store has no evidence ops (PostgreSQL) */
	uint8_t master[VIGIL_MASTER_KEY_BYTES];
	vigil_ctx *ctx;
	vigil_store *st;
} R = {.bg = SRV_BG_INIT};

static void run(srv *s)
{
	vigil_retention_stats st;
	int rc;

	if (R.unsupported)
		return;
	if (!srv_lease(s, R.ctx, R.st, "evidence.retention",
		       SRV_CFG(s, evidence_sweep_interval) * 1000)) {
		srv_metric_inc("vigil_evidence_sweeps_skipped_total", NULL, NULL);
		return; /* another instance's turn */
	}
	rc = vigil_retention_sweep(R.st, R.have_master ? R.master : NULL, (int64_t)time(NULL),
				   SRV_CFG(s, evidence_retention_days), "vigil-serve", &st);
	if (rc == VIGIL_EINVAL && strstr(vigil_errmsg(R.ctx), "not supported")) {
		/* PostgreSQL has no evidence ops yet: said once, not hourly. */
		srv_log(s, SRV_LOG_WARN, "evidence retention: %s", vigil_errmsg(R.ctx));
		R.unsupported = 1;
		return;
	}
	if (rc) {
		srv_log(s, SRV_LOG_ERROR, "evidence retention: %s", vigil_errmsg(R.ctx));
		return;
	}
	srv_metric_add("vigil_evidence_preserved_total", NULL, NULL, NULL, NULL,
		       (double)st.preserved);
	srv_metric_add("vigil_evidence_deleted_total", NULL, NULL, NULL, NULL, (double)st.deleted);
	srv_metric_set("vigil_evidence_held", NULL, NULL, (double)st.held);
	if (st.preserved || st.deleted)
		srv_log(s, SRV_LOG_INFO, "evidence retention: preserved %zu, deleted %zu, "
			"held %zu, kept %zu", st.preserved, st.deleted, st.held, st.kept);
}

static void *worker(void *arg)
{
	srv *s = arg;

	pthread_mutex_lock(&R.bg.mu);
	while (!R.bg.stop) {
		struct timespec ts;
		pthread_mutex_unlock(&R.bg.mu);
		run(s);
		pthread_mutex_lock(&R.bg.mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += SRV_CFG(s, evidence_sweep_interval);
		while (!R.bg.stop && pthread_cond_timedwait(&R.bg.cv, &R.bg.mu, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&R.bg.mu);
	return NULL;
}

int srv_retention_start(srv *s, char *err, size_t errcap)
{
	srv_metric_define("vigil_evidence_preserved_total", SRV_COUNTER,
			  "Evidence items preserved by the retention job");
	srv_metric_define("vigil_evidence_deleted_total", SRV_COUNTER,
			  "Evidence items deleted (data key destroyed) by the retention job");
	srv_metric_define("vigil_evidence_sweeps_skipped_total", SRV_COUNTER,
			  "Retention ticks left to the instance holding the retention lease");
	srv_metric_define("vigil_evidence_held", SRV_GAUGE,
			  "Expired evidence items kept by a legal hold");
	if (vigil_ctx_new(&R.ctx)) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	if (srv_store_open(s, R.ctx, s->cfg.db, &R.st)) {
		snprintf(err, errcap, "evidence retention: %s", vigil_errmsg(R.ctx));
		return -1;
	}
	if (*s->cfg.master_key_file) {
		if (vigil_master_key_load(R.ctx, s->cfg.master_key_file, R.master)) {
			snprintf(err, errcap, "master_key_file: %s", vigil_errmsg(R.ctx));
			return -1;
		}
		R.have_master = 1;
	}
	if (srv_bg_start(&R.bg, worker, s)) {
		snprintf(err, errcap, "cannot start the retention thread");
		return -1;
	}
	return 0;
}

void srv_retention_stop(srv *s)
{
	srv_bg_stop(&R.bg);
	/* a clean stop hands the next run to another instance (or a restart) */
	if (R.st && !R.unsupported)
		srv_lease(s, R.ctx, R.st, "evidence.retention", 0);
	sodium_memzero(R.master, sizeof(R.master));
	R.have_master = 0;
	R.unsupported = 0;
	vigil_store_close(R.st);
	R.st = NULL;
	vigil_ctx_free(R.ctx);
	R.ctx = NULL;
}
