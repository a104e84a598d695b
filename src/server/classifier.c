/* classifier.c — the optional classifier hook: cases for material no list
 * knows yet. An image upload that matched nothing is sent to the
 * platform's own endpoint (classifier_url) — by default as the protected
 * derivative reviewers see, so the platform's model or vendor never gets
 * more than a person would — and its score decides whether a person looks
 * at it. The score only opens a case: it never blocks, reports or acts on
 * an account (commit() in route_content.c keeps the verdict allow).
 *
 * The call is made under the same SSRF rules as url= fetches (fetch.h:
 * the host on fetch_allow, addresses checked and pinned, no redirects, a
 * bounded answer) and bounded in time; any failure is counted and logged
 * without content, and the upload's answer stands. */
#include "fetch.h"
#include "metrics.h"
#include "review.h"
#include "server_int.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define ANSWER_MAX 4096 /* {"score":0.93} and some room */

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void define_metrics(void)
{
	srv_metric_define("vigil_classifier_calls_total", SRV_COUNTER,
			  "Classifier hook calls by result (case, below, error)");
}

int srv_classify(srv_req *r, const uint8_t *data, size_t len, double *score)
{
	srv *s = srv_of(r);
	srv_protect_opts po;
	srv_fetch_result res;
	uint8_t *png = NULL;
	const uint8_t *body = data;
	size_t blen = len;
	const char *type;
	json_t *j = NULL, *sc;
	int rc, out = 0;

	*score = 0;
	if (!*s->cfg.classifier_url)
		return 0;
	pthread_once(&once, define_metrics);
	memset(&res, 0, sizeof(res));
	type = vigil_media_type(data, len);
	if (strcmp(s->cfg.classifier_send, "original")) {
		po.max_side = (int)SRV_CFG(s, protect_size);
		po.blur = (int)SRV_CFG(s, protect_blur);
		po.sepia = 0;
		rc = srv_protect_image(srv_ctx(r), data, len, &po, &png, &blen);
		if (rc) {
			srv_metric_inc("vigil_classifier_calls_total", "result", "error");
			srv_log(s, SRV_LOG_WARN, "classifier: no protected derivative (%s); "
						 "not classified", vigil_strerror(rc));
			return 0;
		}
		body = png;
		type = "image/png";
	}
	rc = srv_fetch_post(s->cfg.classifier_url, s->cfg.fetch_allow, body, blen, type,
			    ANSWER_MAX, (int)SRV_CFG(s, classifier_timeout), &res);
	free(png);
	if (rc != SRV_FETCH_OK) {
		srv_metric_inc("vigil_classifier_calls_total", "result", "error");
		srv_log(s, SRV_LOG_WARN, "classifier: %s; the upload is not classified",
			res.error);
		return 0;
	}
	j = json_loadb((const char *)res.data, res.len, JSON_REJECT_DUPLICATES, NULL);
	sc = json_object_get(j, "score");
	if (!json_is_number(sc) || !isfinite(json_number_value(sc)) ||
	    json_number_value(sc) < 0 || json_number_value(sc) > 1) {
		srv_metric_inc("vigil_classifier_calls_total", "result", "error");
		srv_log(s, SRV_LOG_WARN, "classifier: the answer is not {\"score\": 0..1}; "
					 "the upload is not classified");
		goto done;
	}
	*score = json_number_value(sc);
	out = *score * 100 >= (double)SRV_CFG(s, classifier_threshold) - 1e-9;
	srv_metric_inc("vigil_classifier_calls_total", "result", out ? "case" : "below");
done:
	json_decref(j);
	free(res.data);
	return out;
}
