/* serve.c — `vigil serve`: settings (flags over the config file), the
 * store pool, the live matcher, the daemon, and the signal loop (SIGTERM
 * and SIGINT drain and exit 0; SIGHUP reloads the reloadable settings). */
#include "vigil/server.h"

#include "config.h"
#include "exchanges.h"
#include "retention.h"
#include "fetch.h"
#include "metrics.h"
#include "pipeline.h"
#include "reports.h"
#include "snapshot.h"
#include "sync.h"
#include "server_int.h"
#include "streams.h"
#include "work.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* SIGHUP: re-read the file into a copy, then publish the reloadable
 * fields one by one (request threads read them with SRV_CFG). */
static void reload(srv *s)
{
	srv_config c = s->cfg;
	char err[512];

	if (!*s->cfg.config_file) {
		srv_log(s, SRV_LOG_INFO, "SIGHUP: no --config file to reload");
		return;
	}
	if (srv_config_load(&c, s->cfg.config_file, 1, err, sizeof(err))) {
		srv_log(s, SRV_LOG_ERROR, "SIGHUP: %s (settings unchanged)", err);
		return;
	}
#define PUB(f) __atomic_store_n(&s->cfg.f, c.f, __ATOMIC_RELAXED)
	PUB(max_body); PUB(json_max_bytes); PUB(json_max_depth); PUB(max_uploads);
	PUB(header_timeout); PUB(body_timeout); PUB(rate_limit); PUB(rate_burst);
	PUB(key_refresh); PUB(max_pixels); PUB(max_video_seconds); PUB(radius);
	PUB(log_level); PUB(fetch_max_bytes); PUB(fetch_timeout);
#undef PUB
	srv_log(s, SRV_LOG_INFO, "SIGHUP: reloaded %s", s->cfg.config_file);
}

static int write_port_file(const char *path, int port)
{
	char tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%d\n", port);
	if (fclose(f) || rename(tmp, path))
		return -1;
	return 0;
}

/* ------------------------------------------------- the public face */

struct vigil_server_conf {
	srv_config cfg; /* defaults, then flags; the file is read by _run */
};

#define SRV__ARG_STR "VALUE"
#define SRV__ARG_INT "N"
#define SRV__ARG_SIZE "BYTES"
#define SRV__ARG_LEVEL "LEVEL"
#define SRV__ARG_LIST "LIST"
#define SRV__PUB_ROW(k, fl, ty, de, mi, ma, re, he)                            \
	{#k, fl, SRV__ARG_##ty, de, he, re},
static const vigil_server_setting settings[] = {SRV_CONFIG_MAP(SRV__PUB_ROW)};
#undef SRV__PUB_ROW

const vigil_server_setting *vigil_server_settings(size_t *n)
{
	*n = sizeof(settings) / sizeof(settings[0]);
	return settings;
}

int vigil_server_conf_new(vigil_server_conf **out)
{
	vigil_server_conf *c = calloc(1, sizeof(*c));

	*out = c;
	if (!c)
		return VIGIL_ENOMEM;
	srv_config_defaults(&c->cfg);
	return VIGIL_OK;
}

void vigil_server_conf_free(vigil_server_conf *c)
{
	free(c);
}

int vigil_server_conf_set(vigil_server_conf *c, const char *name,
			  const char *value, char *err, size_t errcap)
{
	return srv_config_set(&c->cfg, name, value, 1, err, errcap) ? VIGIL_EINVAL
								   : VIGIL_OK;
}

int vigil_server_conf_file(vigil_server_conf *c, const char *path, char *err,
			   size_t errcap)
{
	size_t n = strlen(path);

	if (n >= sizeof(c->cfg.config_file)) {
		snprintf(err, errcap, "config file path too long");
		return VIGIL_EINVAL;
	}
	memcpy(c->cfg.config_file, path, n + 1);
	return VIGIL_OK;
}

int vigil_server_conf_load(vigil_server_conf *c, char *err, size_t errcap)
{
	if (!*c->cfg.config_file)
		return VIGIL_OK;
	return srv_config_load(&c->cfg, c->cfg.config_file, 0, err, errcap)
		       ? VIGIL_EINVAL
		       : VIGIL_OK;
}

const char *vigil_server_conf_get(const vigil_server_conf *c, const char *key)
{
	return srv_config_str(&c->cfg, key);
}

int vigil_server_conf_get_num(const vigil_server_conf *c, const char *key, int64_t *out)
{
	return srv_config_num(&c->cfg, key, out) ? VIGIL_EINVAL : VIGIL_OK;
}

void vigil_server_config_doc(FILE *f)
{
	srv_config_doc(f);
}

void vigil_server_routes(FILE *f)
{
	for (int t = 0; srv_route_tables[t]; t++)
		for (const srv_route *r = srv_route_tables[t]; r->method; r++)
			fprintf(f, "%s %s\n", r->method, r->pattern);
}

/* Exit statuses of vigil_server_run (those of the vigil tool). */
enum { RUN_OK = 0, RUN_FAIL = 1, RUN_USAGE = 2 };

int vigil_server_run(vigil_server_conf *conf)
{
	srv s;
	char err[512], dbbuf[4096];
	int rc = RUN_FAIL;
	long ncpu;
	sigset_t set;

	memset(&s, 0, sizeof(s));
	s.cfg = conf->cfg;
	if (*s.cfg.config_file &&
	    srv_config_load(&s.cfg, s.cfg.config_file, 0, err, sizeof(err))) {
		fprintf(stderr, "vigil serve: %s\n", err);
		return RUN_USAGE;
	}
	if (!*s.cfg.db) {
		const char *p = vigil_store_default_path(dbbuf, sizeof(dbbuf));
		if (!p || strlen(p) >= sizeof(s.cfg.db)) {
			fprintf(stderr, "vigil serve: no store path (use --db)\n");
			return RUN_USAGE;
		}
		memcpy(s.cfg.db, p, strlen(p) + 1);
	}
	if (srv_cidr_list_check(s.cfg.trust_network, err, sizeof(err))) {
		fprintf(stderr, "vigil serve: trust_network: %s\n", err);
		return RUN_USAGE;
	}
	if (strcmp(s.cfg.classifier_send, "protected") && strcmp(s.cfg.classifier_send, "original")) {
		fprintf(stderr, "vigil serve: classifier_send is protected or original\n");
		return RUN_USAGE;
	}
	/* A reference, never the secret itself (it would sit in the config
	 * and in `ps`). */
	if (*s.cfg.ncmec_credentials && strncmp(s.cfg.ncmec_credentials, "env:", 4) &&
	    strncmp(s.cfg.ncmec_credentials, "file:", 5)) {
		fprintf(stderr, "vigil serve: ncmec_credentials is env:VAR or file:PATH\n");
		return RUN_USAGE;
	}
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;
	s.nslots = s.cfg.threads ? (size_t)s.cfg.threads : (size_t)(2 * ncpu);

	/* Signals are taken by sigwait in this thread only: block them before
	 * any thread starts, so every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	srv_metric_define("vigil_http_requests_total", SRV_COUNTER,
			  "HTTP requests by route pattern and status");
	srv_metric_define("vigil_http_request_duration_seconds", SRV_HISTOGRAM,
			  "HTTP request latency by route pattern");
	srv_metric_define("vigil_http_slow_clients_cut_total", SRV_COUNTER,
			  "Connections cut for late headers or body");

	if (srv__store_pool_open(&s, err, sizeof(err)) ||
	    srv__keys_open(&s, err, sizeof(err))) {
		fprintf(stderr, "vigil serve: %s\n", err);
		goto out;
	}
	/* Where the change log stands before the load: every later change
	 * is applied after it (several instances on one database). */
	if (srv_sync_open(&s, err, sizeof(err))) {
		fprintf(stderr, "vigil serve: %s\n", err);
		goto out;
	}
	if (srv_snapshot_load(&s, s.slots[0].st, s.slots[0].ctx, err, sizeof(err))) {
		fprintf(stderr, "vigil serve: %s\n", err);
		goto out;
	}
	srv_metric_set("vigil_index_hashes", NULL, NULL,
		       (double)vigil_matcher_size(s.matcher));
	if (srv_sync_start(&s, err, sizeof(err)) ||
	    srv_snapshot_start(&s, err, sizeof(err)) ||
	    srv_pipeline_start(&s, err, sizeof(err)) ||
	    srv_streams_start(&s, err, sizeof(err)) ||
	    srv_exchanges_start(&s, err, sizeof(err)) ||
	    srv_reports_start(&s, err, sizeof(err)) ||
	    srv_retention_start(&s, err, sizeof(err)) ||
	    srv_work_start(&s, err, sizeof(err))) {
		fprintf(stderr, "vigil serve: %s\n", err);
		goto out;
	}
	__atomic_store_n(&s.ready, 1, __ATOMIC_RELEASE);
	if (srv__start(&s, err, sizeof(err))) {
		fprintf(stderr, "vigil serve: %s\n", err);
		goto out;
	}
	{
		const char *l = s.cfg.listen;
		const char *colon = l[0] == '[' ? strchr(l, ']') + 1 : strrchr(l, ':');
		fprintf(stderr, "vigil serve: listening on http://%.*s:%d (%zu threads, "
				"%zu hashes, store %s)\n",
			(int)(colon - l), l, s.port, s.nslots,
			vigil_matcher_size(s.matcher), s.cfg.db);
	}
	if (*s.cfg.port_file && write_port_file(s.cfg.port_file, s.port)) {
		fprintf(stderr, "vigil serve: %s: %s\n", s.cfg.port_file, strerror(errno));
		goto out;
	}
	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGHUP) {
			reload(&s);
			continue;
		}
		srv_log(&s, SRV_LOG_INFO, "%s: draining %lld request(s) in flight",
			sig == SIGTERM ? "SIGTERM" : "SIGINT",
			(long long)__atomic_load_n(&s.inflight, __ATOMIC_RELAXED));
		break;
	}
	rc = RUN_OK;
out:
	srv__stop(&s);
	srv_work_stop(&s); /* hands its jobs and streams over */
	srv_reports_stop(&s);
	srv_retention_stop(&s);
	srv_exchanges_stop(&s); /* it updates the matcher */
	srv_streams_stop(&s); /* its streams query the matcher */
	srv_pipeline_stop(&s);
	srv_sync_stop(&s);
	srv_snapshot_stop(&s); /* after sync: its last write has every change */
	vigil_matcher_free(s.matcher);
	srv__keys_close(&s);
	srv__store_pool_close(&s);
	srv_metric_reset();
	if (rc == RUN_OK)
		srv_log(&s, SRV_LOG_INFO, "stopped");
	return rc;
}
