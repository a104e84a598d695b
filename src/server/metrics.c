/* metrics.c — the Prometheus registry (see metrics.h). A flat array of
 * series under one mutex: a few hundred series, bumped a few times per
 * request; rendering copies under the lock. */
#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 14
static const double buckets[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
					 0.025,  0.05,  0.1,    0.25,  0.5,
					 1,      2.5,   5,      10};

typedef struct series {
	char *name;
	char *labels;   /* rendered: a="x",b="y" or "" */
	int type;
	double value;   /* counter/gauge; histogram: sum */
	uint64_t count; /* histogram */
	uint64_t bucket[NBUCKETS];
} series;

typedef struct def {
	char *name, *help;
	int type;
} def;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static series *all;
static size_t nall, capall;
static def *defs;
static size_t ndefs, capdefs;
static uint64_t dropped;

/* Label values are escaped as the exposition format wants (\\, \", \n);
 * over-long ones are cut. */
static void put_label(char *buf, size_t cap, size_t *used, const char *k,
		      const char *v)
{
	if (!k || !v || *used + 1 >= cap)
		return;
	*used += (size_t)snprintf(buf + *used, cap - *used, "%s%s=\"",
				  *used ? "," : "", k);
	for (const char *p = v; *p && *used + 4 < cap; p++) {
		if (*p == '\\' || *p == '"')
			buf[(*used)++] = '\\';
		if (*p == '\n') {
			buf[(*used)++] = '\\';
			buf[(*used)++] = 'n';
			continue;
		}
		buf[(*used)++] = *p;
	}
	if (*used + 2 < cap)
		buf[(*used)++] = '"';
	buf[*used] = 0;
}

static series *find(const char *name, const char *l1, const char *v1,
		    const char *l2, const char *v2, int type)
{
	char labels[512] = "";
	size_t used = 0;
	series *s;

	put_label(labels, sizeof(labels), &used, l1, v1);
	put_label(labels, sizeof(labels), &used, l2, v2);
	for (size_t i = 0; i < nall; i++)
		if (!strcmp(all[i].name, name) && !strcmp(all[i].labels, labels))
			return &all[i];
	if (nall >= SRV_METRIC_MAX_SERIES) {
		dropped++;
		return NULL;
	}
	if (nall == capall) {
		size_t cap = capall ? 2 * capall : 64;
		series *n = realloc(all, cap * sizeof(*n));
		if (!n)
			return NULL;
		all = n;
		capall = cap;
	}
	s = &all[nall];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	s->labels = strdup(labels);
	if (!s->name || !s->labels) {
		free(s->name);
		free(s->labels);
		return NULL;
	}
	s->type = type;
	for (size_t i = 0; i < ndefs; i++)
		if (!strcmp(defs[i].name, name))
			s->type = defs[i].type;
	nall++;
	return s;
}

void srv_metric_define(const char *name, int type, const char *help)
{
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < ndefs; i++)
		if (!strcmp(defs[i].name, name))
			goto out;
	if (ndefs == capdefs) {
		size_t cap = capdefs ? 2 * capdefs : 32;
		def *n = realloc(defs, cap * sizeof(*n));
		if (!n)
			goto out;
		defs = n;
		capdefs = cap;
	}
	defs[ndefs].name = strdup(name);
	defs[ndefs].help = strdup(help ? help : "");
	defs[ndefs].type = type;
	if (defs[ndefs].name && defs[ndefs].help)
		ndefs++;
	else {
		free(defs[ndefs].name);
		free(defs[ndefs].help);
	}
out:
	pthread_mutex_unlock(&mu);
}

void srv_metric_add(const char *name, const char *l1, const char *v1,
		    const char *l2, const char *v2, double delta)
{
	series *s;

	pthread_mutex_lock(&mu);
	s = find(name, l1, v1, l2, v2, SRV_COUNTER);
	if (s)
		s->value += delta;
	pthread_mutex_unlock(&mu);
}

void srv_metric_inc(const char *name, const char *l1, const char *v1)
{
	srv_metric_add(name, l1, v1, NULL, NULL, 1);
}

void srv_metric_set(const char *name, const char *l1, const char *v1, double v)
{
	series *s;

	pthread_mutex_lock(&mu);
	s = find(name, l1, v1, NULL, NULL, SRV_GAUGE);
	if (s)
		s->value = v;
	pthread_mutex_unlock(&mu);
}

void srv_metric_observe(const char *name, const char *l1, const char *v1,
			double v)
{
	series *s;

	pthread_mutex_lock(&mu);
	s = find(name, l1, v1, NULL, NULL, SRV_HISTOGRAM);
	if (s) {
		s->type = SRV_HISTOGRAM;
		s->value += v;
		s->count++;
		for (int i = 0; i < NBUCKETS; i++)
			if (v <= buckets[i])
				s->bucket[i]++;
	}
	pthread_mutex_unlock(&mu);
}

typedef struct outbuf {
	char *p;
	size_t len, cap;
	int fail;
} outbuf;

static void out(outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(outbuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->fail)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->fail = 1;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		char *np = realloc(o->p, o->cap * 2 + (size_t)n);
		if (!np) {
			o->fail = 1;
			return;
		}
		o->p = np;
		o->cap = o->cap * 2 + (size_t)n;
	}
}

static const char *type_name(int t)
{
	return t == SRV_GAUGE ? "gauge" : t == SRV_HISTOGRAM ? "histogram" : "counter";
}

char *srv_metric_render(size_t *len)
{
	outbuf o = {malloc(8192), 0, 8192, 0};

	if (!o.p)
		return NULL;
	o.p[0] = 0;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < nall; i++) {
		series *s = &all[i];
		int first = 1;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(all[j].name, s->name))
				first = 0;
		if (!first)
			continue;
		/* Every series of this name, grouped under one TYPE line. */
		const char *help = "";
		for (size_t d = 0; d < ndefs; d++)
			if (!strcmp(defs[d].name, s->name))
				help = defs[d].help;
		if (*help)
			out(&o, "# HELP %s %s\n", s->name, help);
		out(&o, "# TYPE %s %s\n", s->name, type_name(s->type));
		for (size_t j = i; j < nall; j++) {
			series *t = &all[j];
			const char *sep = *t->labels ? "," : "";
			if (strcmp(t->name, s->name))
				continue;
			if (t->type != SRV_HISTOGRAM) {
				out(&o, "%s%s%s%s %.17g\n", t->name, *t->labels ? "{" : "",
				    t->labels, *t->labels ? "}" : "", t->value);
				continue;
			}
			for (int b = 0; b < NBUCKETS; b++)
				out(&o, "%s_bucket{%s%sle=\"%g\"} %llu\n", t->name, t->labels,
				    sep, buckets[b], (unsigned long long)t->bucket[b]);
			out(&o, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", t->name, t->labels,
			    sep, (unsigned long long)t->count);
			out(&o, "%s_sum%s%s%s %.17g\n", t->name, *t->labels ? "{" : "",
			    t->labels, *t->labels ? "}" : "", t->value);
			out(&o, "%s_count%s%s%s %llu\n", t->name, *t->labels ? "{" : "",
			    t->labels, *t->labels ? "}" : "", (unsigned long long)t->count);
		}
	}
	out(&o, "# TYPE vigil_metrics_dropped_total counter\n"
		"vigil_metrics_dropped_total %llu\n", (unsigned long long)dropped);
	pthread_mutex_unlock(&mu);
	if (o.fail) {
		free(o.p);
		return NULL;
	}
	*len = o.len;
	return o.p;
}

void srv_metric_reset(void)
{
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < nall; i++) {
		free(all[i].name);
		free(all[i].labels);
	}
	for (size_t i = 0; i < ndefs; i++) {
		free(defs[i].name);
		free(defs[i].help);
	}
	free(all);
	free(defs);
	all = NULL;
	defs = NULL;
	nall = capall = ndefs = capdefs = 0;
	pthread_mutex_unlock(&mu);
}
