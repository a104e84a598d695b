/* route_metrics.c — GET /metrics (role metrics): the registry of
 * metrics.c in Prometheus' text format, with the gauges read now. */
#include "metrics.h"
#include "server_int.h"

#include <stdlib.h>

static void metrics(srv_req *r)
{
	srv *s = srv_of(r);
	size_t len = 0;
	char *text;

	srv_metric_set("vigil_index_hashes", NULL, NULL,
		       (double)vigil_matcher_size(srv_matcher(r)));
	srv_metric_set("vigil_http_in_flight", NULL, NULL,
		       (double)__atomic_load_n(&s->inflight, __ATOMIC_RELAXED));
	srv_metric_set("vigil_http_uploads_in_flight", NULL, NULL,
		       (double)__atomic_load_n(&s->uploads, __ATOMIC_RELAXED));
	text = srv_metric_render(&len);
	if (!text) {
		srv_reply_error(r, 503, "out_of_memory", "out of memory");
		return;
	}
	srv_reply_data(r, 200, "text/plain; version=0.0.4", text, len);
	free(text);
}

const srv_route srv_routes_metrics[] = {
	{"GET", "/metrics", SRV_ROLE_METRICS, metrics, 0, "Prometheus metrics"},
	{0},
};
