/* threatexchange.c — Meta ThreatExchange threat_updates (Graph API, JSON),
 * exchanges.md §4. Unlike pytx: GETs retry with a timeout, an empty page
 * means up to date, paging links are followed only on the same host, and
 * the access token is never stored in the checkpoint (Graph's `next`
 * repeats it; it is cut out and added back on use). */
#include "exchange_int.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define STALE_AFTER (85 * 86400) /* deletion records are kept 90 days */
#define FIELDS "id,indicator,type,last_updated,should_delete,descriptors%7B" \
	       "reactions,my_reactions,owner%7Bid%7D,tags,status,added_on%7D"

static int check(xclient *c)
{
	const char *s = c->secret, *p = s;
	size_t tail;

	while (*p >= '0' && *p <= '9')
		p++;
	if (p - s >= 8 && (*p == '|' || !strncmp(p, "%7C", 3))) {
		p += *p == '|' ? 1 : 3;
		tail = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
		if (tail >= 20 && !p[tail])
			goto group;
	}
	return vigil__err(c->ctx, VIGIL_EINVAL,
			  "threatexchange: credentials must be an app access token APPID|SECRET");
group:
	if (!json_is_integer(json_object_get(c->settings, "privacy_group")) &&
	    !json_is_string(json_object_get(c->settings, "privacy_group")))
		return vigil__err(c->ctx, VIGIL_EINVAL,
				  "threatexchange: settings need privacy_group");
	return VIGIL_OK;
}

static int stale(const char *checkpoint, int64_t now)
{
	json_t *ck = json_loads(checkpoint, 0, NULL);
	int64_t last = json_integer_value(json_object_get(ck, "last_fetch"));

	json_decref(ck);
	return last && now - last > STALE_AFTER;
}

static int map_type(const char *t)
{
	if (!strcmp(t, "HASH_PDQ"))
		return VIGIL_HASH_PDQ;
	if (!strcmp(t, "HASH_VIDEO_MD5") || !strcmp(t, "HASH_MD5"))
		return VIGIL_HASH_MD5; /* photo MD5 kept as a file MD5 */
	if (!strcmp(t, "HASH_VIDEO_SHA256") || !strcmp(t, "HASH_SHA256"))
		return VIGIL_HASH_SHA256;
	return -1;
}

static void add_tags(json_t *tags, json_t *t)
{
	json_t *list = json_is_object(t) ? json_object_get(t, "data") : t, *v;
	size_t i;

	json_array_foreach(list, i, v) {
		const char *s = json_is_string(v) ? json_string_value(v)
						  : json_string_value(json_object_get(v, "text"));
		if (s)
			json_array_append_new(tags, json_string(s));
	}
}

int vigil__te_parse(vigil_ctx *ctx, const char *body, size_t len, xpage *p,
		    xte_parsed *out)
{
	json_t *js = json_loadb(body, len, 0, NULL), *data, *u, *next;
	size_t i;
	int rc = VIGIL_OK;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(js) || !json_is_array(data = json_object_get(js, "data"))) {
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "threatexchange: malformed threat_updates");
		goto out;
	}
	next = json_object_get(json_object_get(js, "paging"), "next");
	if (json_array_size(data) && json_is_string(next) &&
	    snprintf(out->next, sizeof(out->next), "%s", json_string_value(next)) >=
		    (int)sizeof(out->next)) {
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "threatexchange: paging link too long");
		goto out;
	}
	json_array_foreach(data, i, u) {
		const char *type = json_string_value(json_object_get(u, "type"));
		const char *ind = json_string_value(json_object_get(u, "indicator"));
		json_t *ds = json_object_get(u, "descriptors"), *d, *meta, *dids, *tags, *st;
		int64_t lu = json_integer_value(json_object_get(u, "last_updated"));
		size_t k, owned = 0;
		int htype;
		xrec *x;

		if (!type || !ind || !json_is_integer(json_object_get(u, "last_updated"))) {
			rc = vigil__err(ctx, VIGIL_ECORRUPT,
					"threatexchange: an update lacks type, indicator or last_updated");
			goto out;
		}
		if (lu > out->max_updated)
			out->max_updated = lu;
		x = vigil__xpage_add(p);
		if (!x) {
			rc = vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
			goto out;
		}
		if (snprintf(x->key, sizeof(x->key), "%s:%s", type, ind) >= (int)sizeof(x->key)) {
			rc = vigil__err(ctx, VIGIL_ECORRUPT, "threatexchange: indicator too long");
			goto out;
		}
		meta = json_pack("{s:s,s:s}", "exchange", "threatexchange", "type", type);
		dids = json_array();
		tags = json_array();
		st = json_array();
		json_array_foreach(json_object_get(ds, "data"), k, d) {
			/* A descriptor without owner is Graph's visibility bug. */
			if (!json_object_get(json_object_get(d, "owner"), "id"))
				continue;
			owned++;
			if (json_is_string(json_object_get(d, "id")))
				json_array_append(dids, json_object_get(d, "id"));
			if (json_is_string(json_object_get(d, "status")))
				json_array_append(st, json_object_get(d, "status"));
			add_tags(tags, json_object_get(d, "tags"));
		}
		json_object_set_new(meta, "descriptors", dids);
		json_object_set_new(meta, "tags", tags);
		json_object_set_new(meta, "statuses", st);
		if (json_is_string(json_object_get(u, "id")))
			json_object_set(meta, "id", json_object_get(u, "id"));
		if (json_is_true(json_object_get(u, "should_delete")) || !ds || !owned) {
			x->del = 1;
			json_decref(meta);
			continue;
		}
		htype = map_type(type);
		if (htype >= 0 ? vigil__xrec_hash(x, htype, ind, -1) != 0
			       : vigil__xrec_text(x, type, ind, tags, st) == 1)
			x->skipped++; /* (a text signal that cannot be used counts itself) */
		if (x->del) { /* every descriptor called the text signal benign */
			json_decref(meta);
			continue;
		}
		vigil__xrec_meta(x, meta);
	}
out:
	json_decref(js);
	return rc;
}

/* Cuts access_token=... out of a Graph paging link, in place. */
static void strip_token(char *url)
{
	char *q = strchr(url, '?'), *p;

	if (!q)
		return;
	for (p = q + 1; *p;) {
		size_t n = strcspn(p, "&");
		if (!strncmp(p, "access_token=", 13)) {
			memmove(p, p + n + (p[n] == '&'), strlen(p + n + (p[n] == '&')) + 1);
			continue;
		}
		p += n + (p[n] == '&');
	}
	while (*url && (url[strlen(url) - 1] == '&' || url[strlen(url) - 1] == '?'))
		url[strlen(url) - 1] = 0;
}

static int page(xclient *c, const char *checkpoint, xpage *p)
{
	json_t *ck = checkpoint[0] ? json_loads(checkpoint, 0, NULL) : NULL, *o;
	json_t *pg = json_object_get(c->settings, "privacy_group");
	int64_t since = 0;
	char next[XCH_URL_MAX] = "", url[3 * XCH_URL_MAX], group[64];
	char *tok;
	xte_parsed res;
	char *s;
	int rc;

	if (json_is_integer(pg))
		snprintf(group, sizeof(group), "%lld", (long long)json_integer_value(pg));
	else
		snprintf(group, sizeof(group), "%s", json_string_value(pg));
	if (strspn(group, "0123456789") != strlen(group) || !group[0])
		return vigil__err(c->ctx, VIGIL_EINVAL, "threatexchange: bad privacy_group");
	if (ck) {
		since = json_integer_value(json_object_get(ck, "update_time"));
		if (json_is_string(json_object_get(ck, "next")))
			snprintf(next, sizeof(next), "%s",
				 json_string_value(json_object_get(ck, "next")));
		json_decref(ck);
	}
	tok = curl_easy_escape(c->http.curl, c->secret, 0);
	if (!tok)
		return vigil__err(c->ctx, VIGIL_ENOMEM, "out of memory");
	if (next[0])
		snprintf(url, sizeof(url), "%s%saccess_token=%s", next,
			 strchr(next, '?') ? "&" : "?", tok);
	else if (since)
		snprintf(url, sizeof(url), "%s/%s/threat_updates/?access_token=%s&limit=%d"
			 "&fields=%s&start_time=%lld", c->base, group, tok,
			 c->page_size, FIELDS, (long long)since);
	else
		snprintf(url, sizeof(url), "%s/%s/threat_updates/?access_token=%s&limit=%d"
			 "&fields=%s", c->base, group, tok, c->page_size, FIELDS);
	sodium_memzero(tok, strlen(tok));
	curl_free(tok);
	rc = vigil__xhttp(&c->http, "threatexchange", "GET", url, NULL, NULL);
	sodium_memzero(url, sizeof(url));
	if (rc) {
		if (c->http.status == 400 || c->http.status == 401 || c->http.status == 403)
			return vigil__err(c->ctx, VIGIL_EIO,
					  "threatexchange: the service refused the access token "
					  "(HTTP %ld)", c->http.status);
		return rc;
	}
	rc = vigil__te_parse(c->ctx, c->http.body.p, c->http.body.n, p, &res);
	if (rc)
		return rc;
	if (res.next[0] && !vigil__xurl_same_origin(c->base, res.next))
		return vigil__err(c->ctx, VIGIL_ECORRUPT,
				  "threatexchange: paging link leads to another host");
	strip_token(res.next);
	if (res.max_updated > since)
		since = res.max_updated;
	if (res.next[0])
		o = json_pack("{s:I,s:s,s:I}", "update_time", (json_int_t)since, "next",
			      res.next, "last_fetch", (json_int_t)c->now);
	else
		o = json_pack("{s:I,s:I}", "update_time", (json_int_t)since, "last_fetch",
			      (json_int_t)c->now);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!s || strlen(s) >= sizeof(p->checkpoint)) {
		free(s);
		return vigil__err(c->ctx, VIGIL_ENOMEM, "threatexchange: checkpoint too large");
	}
	snprintf(p->checkpoint, sizeof(p->checkpoint), "%s", s);
	free(s);
	p->done = !res.next[0];
	return VIGIL_OK;
}

/* POST /{descriptor}/?access_token&reactions=HELPFUL|NOT_HELPFUL for each
 * descriptor of the record, checking the status and {"success":true}
 * (the reference checks neither). */
static int feedback(xclient *c, const vigil_entry *e, int positive, const char *reason)
{
	json_t *meta = json_loads(e->metadata, 0, NULL), *ds = json_object_get(meta, "descriptors"), *d;
	const char *react = positive ? "HELPFUL" : "NOT_HELPFUL";
	char url[XCH_URL_MAX + XCH_SECRET_MAX * 3], body[64];
	size_t i;
	char *tok;
	int rc = VIGIL_OK;

	(void)reason;
	if (!json_array_size(ds)) {
		json_decref(meta);
		return vigil__err(c->ctx, VIGIL_EINVAL, "threatexchange: entry %lld has no "
				  "descriptor ids", (long long)e->id);
	}
	tok = curl_easy_escape(c->http.curl, c->secret, 0);
	if (!tok) {
		json_decref(meta);
		return vigil__err(c->ctx, VIGIL_ENOMEM, "out of memory");
	}
	snprintf(body, sizeof(body), "reactions=%s", react);
	json_array_foreach(ds, i, d) {
		const char *id = json_string_value(d);
		json_t *res;
		if (!id || !*id || strspn(id, "0123456789") != strlen(id))
			continue;
		snprintf(url, sizeof(url), "%s/%s/?access_token=%s&reactions=%s", c->base, id, tok,
			 react);
		rc = vigil__xhttp(&c->http, "threatexchange", "POST", url, NULL, body);
		sodium_memzero(url, sizeof(url));
		if (rc)
			break;
		res = json_loadb(c->http.body.p, c->http.body.n, 0, NULL);
		if (!json_is_true(json_object_get(res, "success")))
			rc = vigil__err(c->ctx, VIGIL_EIO, "threatexchange: reaction on %s was "
					"not accepted", id);
		json_decref(res);
		if (rc)
			break;
	}
	sodium_memzero(tok, strlen(tok));
	curl_free(tok);
	json_decref(meta);
	return rc;
}

const xapi vigil__xapi_threatexchange = {"threatexchange", "https://graph.facebook.com/v21.0",
					 100, check, page, stale, feedback};
