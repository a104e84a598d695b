/* stopncii.c — StopNCII's FetchHashes (JSON), exchanges.md §3: two key
 * headers, startTimestamp + opaque page tokens. Unlike pytx, records whose
 * hashStatus is Withdrawn or Deleted delete the hash. */
#include "exchange_int.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define STALE_AFTER (30 * 86400)

/* "fetch_key,subscription_key[,feedback_key]" */
static int keys(xclient *c, char *fetch, char *sub, size_t cap)
{
	const char *a = c->secret, *b = strchr(a, ','), *e;

	if (!b)
		return -1;
	e = strchr(b + 1, ',');
	if (!e)
		e = b + strlen(b);
	if ((size_t)(b - a) >= cap || (size_t)(e - b - 1) >= cap || b == a || e == b + 1)
		return -1;
	snprintf(fetch, cap, "%.*s", (int)(b - a), a);
	snprintf(sub, cap, "%.*s", (int)(e - b - 1), b + 1);
	return 0;
}

static int check(xclient *c)
{
	char f[512], s[512];
	int bad = keys(c, f, s, sizeof(f));

	sodium_memzero(f, sizeof(f));
	sodium_memzero(s, sizeof(s));
	return bad ? vigil__err(c->ctx, VIGIL_EINVAL,
				"stopncii: credentials must be "
				"fetch_key,subscription_key[,feedback_key]")
		   : VIGIL_OK;
}

static int stale(const char *checkpoint, int64_t now)
{
	json_t *ck = json_loads(checkpoint, 0, NULL);
	int64_t last = json_integer_value(json_object_get(ck, "last_fetch"));

	json_decref(ck);
	return last && now - last > STALE_AFTER;
}

static const char *const statuses[] = {"Unknown", "Received", "Active", "Withdrawn",
				       "Deleted", NULL};
static const char *const feedbacks[] = {"Unknown", "None", "QualityUnknown",
					"PendingReview", "Blocked", "NotBlocked",
					"Withdrawn", "Deleted", NULL};

static int in(const char *const *set, const char *s)
{
	for (; s && *set; set++)
		if (!strcmp(*set, s))
			return 1;
	return 0;
}

int vigil__stopncii_parse(vigil_ctx *ctx, const char *body, size_t len, xpage *p,
			  xstopncii_parsed *out)
{
	json_error_t je;
	json_t *js = json_loadb(body, len, 0, &je), *recs, *r, *tok;
	size_t i;
	int rc = VIGIL_OK;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(js) || !json_is_integer(json_object_get(js, "nextSetTimestamp")) ||
	    !json_is_boolean(json_object_get(js, "hasMoreRecords")) ||
	    !json_is_array(recs = json_object_get(js, "hashRecords"))) {
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "stopncii: malformed FetchHashes response");
		goto out;
	}
	out->next_set_ts = json_integer_value(json_object_get(js, "nextSetTimestamp"));
	out->has_more = json_is_true(json_object_get(js, "hasMoreRecords"));
	tok = json_object_get(js, "nextPageToken");
	if (json_is_string(tok) &&
	    snprintf(out->token, sizeof(out->token), "%s", json_string_value(tok)) >=
		    (int)sizeof(out->token)) {
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "stopncii: page token too long");
		goto out;
	}
	json_array_foreach(recs, i, r) {
		const char *type = json_string_value(json_object_get(r, "signalType"));
		const char *hv = json_string_value(json_object_get(r, "hashValue"));
		const char *status = json_string_value(json_object_get(r, "hashStatus"));
		json_t *fbs = json_object_get(r, "CSPFeedbacks"), *fb, *meta;
		int ok = 1, htype;
		size_t k;
		xrec *x;

		if (!type || !hv || !status || !json_is_integer(json_object_get(r, "lastModtimestamp")) ||
		    !json_is_object(json_object_get(r, "caseNumbers"))) {
			rc = vigil__err(ctx, VIGIL_ECORRUPT,
					"stopncii: a record lacks a required field");
			goto out;
		}
		/* A record with an unknown enum value is skipped, the page kept. */
		ok = in(statuses, status);
		json_array_foreach(fbs, k, fb)
			if (!in(feedbacks, json_string_value(json_object_get(fb, "feedbackValue"))))
				ok = 0;
		if (!ok) {
			p->skipped_records++;
			continue;
		}
		htype = !strcmp(type, "ImagePDQ") ? VIGIL_HASH_PDQ
			: !strcmp(type, "VideoMD5") ? VIGIL_HASH_MD5 : -1;
		x = vigil__xpage_add(p);
		if (!x) {
			rc = vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
			goto out;
		}
		if (snprintf(x->key, sizeof(x->key), "%s:%s", type, hv) >= (int)sizeof(x->key)) {
			rc = vigil__err(ctx, VIGIL_ECORRUPT, "stopncii: hash value too long");
			goto out;
		}
		if (!strcmp(status, "Withdrawn") || !strcmp(status, "Deleted")) {
			x->del = 1;
			continue;
		}
		if (htype < 0 || vigil__xrec_hash(x, htype, hv, -1))
			x->skipped++; /* VideoTMK, Text, URL, or a malformed value */
		meta = json_pack("{s:s,s:s,s:s,s:O,s:I}", "exchange", "stopncii", "signal_type",
				 type, "status", status, "cases", json_object_get(r, "caseNumbers"),
				 "modified", json_integer_value(json_object_get(r, "lastModtimestamp")));
		if (json_is_array(fbs))
			json_object_set(meta, "feedbacks", fbs);
		vigil__xrec_meta(x, meta);
	}
out:
	json_decref(js);
	return rc;
}

static int page(xclient *c, const char *checkpoint, xpage *p)
{
	json_t *ck = checkpoint[0] ? json_loads(checkpoint, 0, NULL) : NULL, *o;
	int64_t start = 10, max = 0;
	char token[XCH_URL_MAX] = "", url[2 * XCH_URL_MAX + 64];
	char fk[512], sk[512], h1[600], h2[600];
	const char *hdrs[] = {h1, h2, "Accept: application/json", NULL};
	xstopncii_parsed res;
	char *s;
	int rc;

	if (ck) {
		if (json_is_integer(json_object_get(ck, "start")))
			start = json_integer_value(json_object_get(ck, "start"));
		max = json_integer_value(json_object_get(ck, "max"));
		if (json_is_string(json_object_get(ck, "token")))
			snprintf(token, sizeof(token), "%s",
				 json_string_value(json_object_get(ck, "token")));
		json_decref(ck);
	}
	if (token[0]) {
		char *esc = curl_easy_escape(c->http.curl, token, 0);
		if (!esc)
			return vigil__err(c->ctx, VIGIL_ENOMEM, "out of memory");
		snprintf(url, sizeof(url), "%s/FetchHashes?startTimestamp=%lld&pageSize=%d"
			 "&nextPageToken=%s", c->base, (long long)start, c->page_size, esc);
		curl_free(esc);
	} else {
		snprintf(url, sizeof(url), "%s/FetchHashes?startTimestamp=%lld&pageSize=%d",
			 c->base, (long long)start, c->page_size);
	}
	keys(c, fk, sk, sizeof(fk));
	snprintf(h1, sizeof(h1), "Ocp-Apim-Subscription-Key: %s", sk);
	snprintf(h2, sizeof(h2), "x-functions-key: %s", fk);
	sodium_memzero(fk, sizeof(fk));
	sodium_memzero(sk, sizeof(sk));
	rc = vigil__xhttp(&c->http, "stopncii", "GET", url, hdrs, NULL);
	sodium_memzero(h1, sizeof(h1));
	sodium_memzero(h2, sizeof(h2));
	if (rc) {
		if (c->http.status == 401 || c->http.status == 403)
			return vigil__err(c->ctx, VIGIL_EIO,
					  "stopncii: the service refused the keys (HTTP %ld)",
					  c->http.status);
		return rc;
	}
	rc = vigil__stopncii_parse(c->ctx, c->http.body.p, c->http.body.n, p, &res);
	if (rc)
		return rc;
	/* Never let the checkpoint go back (the reference's fixtures do). */
	if (res.next_set_ts > max)
		max = res.next_set_ts;
	if (res.has_more && res.token[0])
		o = json_pack("{s:I,s:s,s:I,s:I}", "start", (json_int_t)start, "token",
			      res.token, "max", (json_int_t)max, "last_fetch", (json_int_t)c->now);
	else
		o = json_pack("{s:I,s:I,s:I}", "start", (json_int_t)(max > start ? max : start),
			      "max", (json_int_t)max, "last_fetch", (json_int_t)c->now);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!s || strlen(s) >= sizeof(p->checkpoint)) {
		free(s);
		return vigil__err(c->ctx, VIGIL_ENOMEM, "stopncii: checkpoint too large");
	}
	snprintf(p->checkpoint, sizeof(p->checkpoint), "%s", s);
	free(s);
	p->done = !(res.has_more && res.token[0]);
	return VIGIL_OK;
}

/* POST /v1/SubmitFeedback with the third key: Blocked (reviewed, it is
 * NCII) or NotBlocked (reviewed, inconclusive). */
static int feedback(xclient *c, const vigil_entry *e, int positive, const char *reason)
{
	const char *k1 = strchr(c->secret, ','), *k2 = k1 ? strchr(k1 + 1, ',') : NULL;
	const char *colon = strchr(e->source_ref, ':');
	char fk[512], sk[512], h1[600], h2[600], url[XCH_URL_MAX + 32];
	const char *hdrs[] = {h1, h2, "Content-Type: application/json", NULL};
	json_t *body;
	char *text;
	int rc;

	(void)reason;
	if (!k2 || !k2[1])
		return vigil__err(c->ctx, VIGIL_EINVAL, "stopncii: feedback needs the "
				  "SubmitFeedback key: fetch_key,subscription_key,feedback_key");
	if (!colon)
		return vigil__err(c->ctx, VIGIL_EINVAL, "stopncii: entry %lld is not a "
				  "StopNCII record", (long long)e->id);
	keys(c, fk, sk, sizeof(fk));
	snprintf(h1, sizeof(h1), "Ocp-Apim-Subscription-Key: %s", sk);
	snprintf(h2, sizeof(h2), "x-functions-key: %s", k2 + 1);
	sodium_memzero(fk, sizeof(fk));
	sodium_memzero(sk, sizeof(sk));
	body = json_pack("{s:i,s:[{s:s,s:s,s:[]}]}", "count", 1, "hashFeedbacks", "hashValue",
			 colon + 1, "feedbackValue", positive ? "Blocked" : "NotBlocked", "tags");
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text)
		return vigil__err(c->ctx, VIGIL_ENOMEM, "out of memory");
	snprintf(url, sizeof(url), "%s/SubmitFeedback", c->base);
	rc = vigil__xhttp(&c->http, "stopncii", "POST", url, hdrs, text);
	free(text);
	sodium_memzero(h1, sizeof(h1));
	sodium_memzero(h2, sizeof(h2));
	return rc;
}

const xapi vigil__xapi_stopncii = {"stopncii", "https://api.stopncii.org/v1", 800,
				   check, page, stale, feedback};
