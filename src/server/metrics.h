/* metrics.h — a small registry of Prometheus counters, gauges and
 * histograms that any route can bump, rendered by GET /metrics.
 *
 * Series are identified by name plus at most SRV_METRIC_LABELS label pairs.
 * The registry is thread-safe (one mutex; bumps are a few hundred ns) and
 * bounded: beyond SRV_METRIC_MAX_SERIES series new ones are dropped (and
 * counted in vigil_metrics_dropped_total), so hostile label values (bank
 * names, routes) cannot grow memory without limit. Names and label values
 * are copied. */
#ifndef VIGIL_SERVER_METRICS_H
#define VIGIL_SERVER_METRICS_H

#include <stddef.h>

#define SRV_METRIC_LABELS 2
#define SRV_METRIC_MAX_SERIES 4096

enum { SRV_COUNTER = 0, SRV_GAUGE = 1, SRV_HISTOGRAM = 2 };

/* Declares a metric's type and help text (optional for counters; needed
 * for histograms before observing). Idempotent. */
void srv_metric_define(const char *name, int type, const char *help);
/* counter += 1. l1/v1, l2/v2: label name and value, or NULL. */
void srv_metric_inc(const char *name, const char *l1, const char *v1);
void srv_metric_add(const char *name, const char *l1, const char *v1,
		    const char *l2, const char *v2, double delta);
/* gauge = v */
void srv_metric_set(const char *name, const char *l1, const char *v1,
		    double v);
/* histogram: one observation (seconds for latencies). */
void srv_metric_observe(const char *name, const char *l1, const char *v1,
			double v);
/* Prometheus text exposition format into a malloc'd NUL-terminated buffer
 * (caller frees), or NULL on out of memory. */
char *srv_metric_render(size_t *len);
/* Frees every series (at exit, so leak checkers stay quiet). */
void srv_metric_reset(void);

#endif
