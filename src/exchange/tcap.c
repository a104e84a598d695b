/* tcap.c — Tech Against Terrorism's TCAP hash list (JSON), exchanges.md §5.
 * Unlike pytx: one login per fetch (again only when the token expires),
 * `next` is fetched as it comes (same host only), extra fields are
 * ignored, and an empty first page keeps a usable checkpoint. */
#include "exchange_int.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static int check(xclient *c)
{
	if (!strchr(c->secret, ':'))
		return vigil__err(c->ctx, VIGIL_EINVAL, "tcap: credentials must be user:password");
	return VIGIL_OK;
}

static int stale(const char *checkpoint, int64_t now)
{
	(void)checkpoint;
	(void)now;
	return 0;
}

int vigil__tcap_parse(vigil_ctx *ctx, const char *body, size_t len, xpage *p,
		      xtcap_parsed *out)
{
	json_t *js = json_loadb(body, len, 0, NULL), *res, *r, *v;
	xmeta mb;
	size_t i;
	int rc = VIGIL_OK;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(js) || !json_is_array(res = json_object_get(js, "results"))) {
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "tcap: malformed hash-list response");
		goto out;
	}
	v = json_object_get(js, "checkpoint");
	if (json_is_string(v) && snprintf(out->checkpoint, sizeof(out->checkpoint), "%s",
					  json_string_value(v)) >= (int)sizeof(out->checkpoint)) {
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "tcap: checkpoint too long");
		goto out;
	}
	v = json_object_get(js, "next");
	if (json_is_string(v) && snprintf(out->next, sizeof(out->next), "%s",
					  json_string_value(v)) >= (int)sizeof(out->next)) {
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "tcap: next link too long");
		goto out;
	}
	json_array_foreach(res, i, r) {
		const char *hd = json_string_value(json_object_get(r, "hash_digest"));
		const char *alg = json_string_value(json_object_get(r, "algorithm"));
		xrec *x;
		int type;

		if (!hd || !alg || !json_is_boolean(json_object_get(r, "deleted"))) {
			rc = vigil__err(ctx, VIGIL_ECORRUPT, "tcap: a result lacks a required field");
			goto out;
		}
		x = vigil__xpage_add(p);
		if (!x) {
			rc = vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
			goto out;
		}
		if (snprintf(x->key, sizeof(x->key), "%s:%s", alg, hd) >= (int)sizeof(x->key)) {
			rc = vigil__err(ctx, VIGIL_ECORRUPT, "tcap: hash too long");
			goto out;
		}
		if (json_is_true(json_object_get(r, "deleted"))) {
			x->del = 1;
			continue;
		}
		type = !strcmp(alg, "PDQ") ? VIGIL_HASH_PDQ : !strcmp(alg, "MD5") ? VIGIL_HASH_MD5 : -1;
		if (type < 0 || vigil__xrec_hash(x, type, hd, -1))
			x->skipped++;
		/* the keys in sorted order, as vigil__xrec_meta's JSON_SORT_KEYS */
		vigil__xmeta_begin(&mb);
		vigil__xmeta_str(&mb, "algorithm", alg);
		vigil__xmeta_str(&mb, "exchange", "tcap");
		if ((v = json_object_get(r, "file_type")) && json_is_string(v))
			vigil__xmeta_str(&mb, "file_type", json_string_value(v));
		if ((v = json_object_get(r, "id")) && json_is_integer(v))
			vigil__xmeta_int(&mb, "id", (long long)json_integer_value(v));
		if ((v = json_object_get(r, "ideology")) && json_is_string(v))
			vigil__xmeta_str(&mb, "ideology", json_string_value(v));
		vigil__xmeta_end(&mb, x);
	}
out:
	json_decref(js);
	return rc;
}

/* POST /token-auth/tcap/ (form): the session token into c->token. */
static int login(xclient *c)
{
	const char *colon = strchr(c->secret, ':');
	char user[1024], url[XCH_URL_MAX + 64], body[XCH_SECRET_MAX * 4];
	const char *hdrs[] = {"Content-Type: application/x-www-form-urlencoded",
			      "Accept: application/json", NULL};
	char *eu, *ep;
	json_t *js;
	int rc;

	snprintf(user, sizeof(user), "%.*s", (int)(colon - c->secret), c->secret);
	eu = curl_easy_escape(c->http.curl, user, 0);
	ep = curl_easy_escape(c->http.curl, colon + 1, 0);
	sodium_memzero(user, sizeof(user));
	if (!eu || !ep) {
		curl_free(eu);
		curl_free(ep);
		return vigil__err(c->ctx, VIGIL_ENOMEM, "out of memory");
	}
	snprintf(body, sizeof(body), "username=%s&password=%s&resend=False", eu, ep);
	sodium_memzero(ep, strlen(ep));
	curl_free(eu);
	curl_free(ep);
	snprintf(url, sizeof(url), "%s/token-auth/tcap/", c->base);
	rc = vigil__xhttp(&c->http, "tcap", "POST", url, hdrs, body);
	sodium_memzero(body, sizeof(body));
	if (rc) {
		if (c->http.status >= 400 && c->http.status < 500)
			return vigil__err(c->ctx, VIGIL_EIO,
					  "tcap: login refused (HTTP %ld): check the credentials",
					  c->http.status);
		return rc;
	}
	js = json_loadb(c->http.body.p, c->http.body.n, 0, NULL);
	if (!json_is_string(json_object_get(js, "token")) ||
	    strlen(json_string_value(json_object_get(js, "token"))) >= sizeof(c->token) - 1) {
		json_decref(js);
		return vigil__err(c->ctx, VIGIL_ECORRUPT, "tcap: login gave no token");
	}
	snprintf(c->token, sizeof(c->token), "%s", json_string_value(json_object_get(js, "token")));
	json_decref(js);
	return VIGIL_OK;
}

static int page(xclient *c, const char *checkpoint, xpage *p)
{
	json_t *ck = checkpoint[0] ? json_loads(checkpoint, 0, NULL) : NULL, *o;
	char after[256] = "", next[XCH_URL_MAX] = "", url[2 * XCH_URL_MAX];
	char auth[XCH_SECRET_MAX + 64];
	const char *hdrs[] = {auth, "Accept: application/json", NULL};
	xtcap_parsed res;
	char *s, *ea;
	int rc, tries;

	if (ck) {
		if (json_is_string(json_object_get(ck, "after")))
			snprintf(after, sizeof(after), "%s",
				 json_string_value(json_object_get(ck, "after")));
		if (json_is_string(json_object_get(ck, "next")))
			snprintf(next, sizeof(next), "%s",
				 json_string_value(json_object_get(ck, "next")));
		json_decref(ck);
	}
	if (next[0]) {
		if (!vigil__xurl_same_origin(c->base, next))
			return vigil__err(c->ctx, VIGIL_ECORRUPT,
					  "tcap: next link leads to another host");
		snprintf(url, sizeof(url), "%s", next);
	} else {
		ea = curl_easy_escape(c->http.curl, after, 0);
		if (!ea)
			return vigil__err(c->ctx, VIGIL_ENOMEM, "out of memory");
		snprintf(url, sizeof(url), "%s/api/hash-list/v2/all?order=asc&limit=%d&after=%s",
			 c->base, c->page_size, ea);
		curl_free(ea);
	}
	/* A token that expired between pages gets one new login. */
	for (tries = 0;; tries++) {
		if (!c->token[0] && (rc = login(c)))
			return rc;
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		rc = vigil__xhttp(&c->http, "tcap", "GET", url, hdrs, NULL);
		sodium_memzero(auth, sizeof(auth));
		if (rc && c->http.status == 401 && !tries) {
			sodium_memzero(c->token, sizeof(c->token));
			continue;
		}
		break;
	}
	if (rc) {
		if (c->http.status == 401 || c->http.status == 403)
			return vigil__err(c->ctx, VIGIL_EIO,
					  "tcap: the service refused the token (HTTP %ld)",
					  c->http.status);
		return rc;
	}
	rc = vigil__tcap_parse(c->ctx, c->http.body.p, c->http.body.n, p, &res);
	if (rc)
		return rc;
	if (res.next[0] && !vigil__xurl_same_origin(c->base, res.next))
		return vigil__err(c->ctx, VIGIL_ECORRUPT, "tcap: next link leads to another host");
	if (res.next[0])
		o = json_pack("{s:s,s:s,s:s}", "after", after, "next", res.next, "last",
			      res.checkpoint[0] ? res.checkpoint : after);
	else
		o = json_pack("{s:s}", "after", res.checkpoint[0] ? res.checkpoint : after);
	/* Resuming from a stored next keeps the best checkpoint seen. */
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!s || strlen(s) >= sizeof(p->checkpoint)) {
		free(s);
		return vigil__err(c->ctx, VIGIL_ENOMEM, "tcap: checkpoint too large");
	}
	snprintf(p->checkpoint, sizeof(p->checkpoint), "%s", s);
	free(s);
	p->done = !res.next[0];
	return VIGIL_OK;
}

const xapi vigil__xapi_tcap = {"tcap", "https://app.terrorismanalytics.org", 1000, check,
			       page, stale, NULL};
