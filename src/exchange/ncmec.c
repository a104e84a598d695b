/* ncmec.c — NCMEC's hash-sharing API v2 (XML), exchanges.md §2: Basic
 * auth, time windows (from, to] paged by relative `next` links. vigil
 * pages through one window [checkpoint, now - 5 s] instead of pytx's
 * window probing, formats times in UTC (pytx labels local time Z), and
 * keeps image MD5 and SHA-1 (pytx drops them). */
#include "exchange_int.h"

#include <curl/curl.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PAGING_URL_TTL (12 * 3600) /* NCMEC advises against old paging URLs */

static int check(xclient *c)
{
	if (!strchr(c->secret, ':'))
		return vigil__err(c->ctx, VIGIL_EINVAL,
				  "ncmec: credentials must be user:password");
	return VIGIL_OK;
}

static int stale(const char *checkpoint, int64_t now)
{
	(void)checkpoint;
	(void)now;
	return 0; /* NCMEC entries are permanent; deletes come as tombstones */
}

static const char *text_of(xmlNode *n)
{
	return n && n->children && n->children->type == XML_TEXT_NODE
		       ? (const char *)n->children->content
		       : NULL;
}

static xmlNode *child(xmlNode *n, const char *name)
{
	for (n = n ? n->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name))
			return n;
	return NULL;
}

static int wanted_member(const void *settings, long member)
{
	json_t *ids = json_object_get((const json_t *)settings, "esp_ids");
	size_t i;
	json_t *v;

	if (!json_is_array(ids) || !json_array_size(ids))
		return 1;
	json_array_foreach(ids, i, v)
		if (json_is_integer(v) && json_integer_value(v) == member)
			return 1;
	return 0;
}

/* One <image>, <video>, <deletedImage> or <deletedVideo>. */
static int parse_entry(vigil_ctx *ctx, xmlNode *e, const void *settings, xpage *p)
{
	const char *tag = (const char *)e->name;
	int del = !strncasecmp(tag, "deleted", 7);
	int video = !strcasecmp(tag, del ? "deletedVideo" : "video");
	xmlNode *m = child(e, "member"), *id = child(e, "id"), *f, *n;
	const char *ids = text_of(id), *cls;
	xmlChar *mid;
	char *end;
	long member;
	xrec *r;
	json_t *meta;

	if (!m || !ids)
		return vigil__err(ctx, VIGIL_ECORRUPT, "ncmec: an entry lacks member or id");
	mid = xmlGetProp(m, (const xmlChar *)"id");
	member = mid ? strtol((const char *)mid, &end, 10) : 0;
	if (!mid || end == (char *)mid || *end) {
		xmlFree(mid);
		return vigil__err(ctx, VIGIL_ECORRUPT, "ncmec: bad member id");
	}
	xmlFree(mid);
	if (!wanted_member(settings, member))
		return VIGIL_OK;
	r = vigil__xpage_add(p);
	if (!r)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	if (snprintf(r->key, sizeof(r->key), "%ld-%s", member, ids) >= (int)sizeof(r->key))
		return vigil__err(ctx, VIGIL_ECORRUPT, "ncmec: entry id too long");
	r->del = del;
	if (del)
		return VIGIL_OK;
	meta = json_pack("{s:s,s:s,s:I}", "exchange", "ncmec", "kind",
			 video ? "video" : "image", "member", (json_int_t)member);
	if (text_of(m))
		json_object_set_new(meta, "member_name", json_string(text_of(m)));
	if ((cls = text_of(child(e, "classification"))))
		json_object_set_new(meta, "classification", json_string(cls));
	if (text_of(child(e, "timestamp")))
		json_object_set_new(meta, "timestamp", json_string(text_of(child(e, "timestamp"))));
	f = child(e, "fingerprints");
	for (n = f ? f->children : NULL; n; n = n->next) {
		const char *fn = (const char *)n->name, *v = text_of(n);
		int type = -1;
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!strcasecmp(fn, "md5"))
			type = VIGIL_HASH_MD5;
		else if (!strcasecmp(fn, "sha1"))
			type = VIGIL_HASH_SHA1;
		else if (!strcasecmp(fn, "pdq"))
			type = VIGIL_HASH_PDQ;
		if (type >= 0 && v) {
			if (vigil__xrec_hash(r, type, v, -1))
				r->skipped++; /* malformed, as pytx logs and skips */
		} else if (v && (!strcasecmp(fn, "pdna") || !strcasecmp(fn, "netclean"))) {
			/* Proprietary: kept, not matchable. */
			json_object_set_new(meta, !strcasecmp(fn, "pdna") ? "pdna" : "netclean",
					    json_string(v));
			r->skipped++;
		} else {
			r->skipped++; /* tmk-pdqf, videntifier links, SSVH ... */
		}
	}
	vigil__xrec_meta(r, meta);
	return VIGIL_OK;
}

int vigil__ncmec_parse(vigil_ctx *ctx, const char *body, size_t len,
		       const void *settings, xpage *p, xncmec_parsed *out)
{
	xmlDoc *doc;
	xmlNode *root, *blk, *e;
	int rc = VIGIL_OK;

	out->next[0] = 0;
	if (len > INT32_MAX)
		return vigil__err(ctx, VIGIL_ETOOBIG, "ncmec: response too large");
	/* No entity expansion, no network, no DTD: a hostile document stays
	 * as small as it came. */
	doc = xmlReadMemory(body, (int)len, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return vigil__err(ctx, VIGIL_ECORRUPT, "ncmec: the response is not XML");
	root = xmlDocGetRootElement(doc);
	if (!root || strcmp((const char *)root->name, "queryResult")) {
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "ncmec: no <queryResult>");
		goto out;
	}
	for (blk = root->children; blk; blk = blk->next) {
		if (blk->type != XML_ELEMENT_NODE)
			continue;
		if (!strcmp((const char *)blk->name, "paging")) {
			const char *nx = text_of(child(blk, "next"));
			if (nx && *nx &&
			    snprintf(out->next, sizeof(out->next), "%s", nx) >=
				    (int)sizeof(out->next)) {
				rc = vigil__err(ctx, VIGIL_ECORRUPT, "ncmec: paging link too long");
				goto out;
			}
			continue;
		}
		if (strcmp((const char *)blk->name, "images") &&
		    strcmp((const char *)blk->name, "videos"))
			continue;
		for (e = blk->children; e; e = e->next) {
			const char *t = (const char *)e->name;
			if (e->type != XML_ELEMENT_NODE)
				continue;
			if (strcasecmp(t, "image") && strcasecmp(t, "video") &&
			    strcasecmp(t, "deletedImage") && strcasecmp(t, "deletedVideo")) {
				rc = vigil__err(ctx, VIGIL_ECORRUPT,
						"ncmec: unexpected <%.64s> in <%s>", t,
						(const char *)blk->name);
				goto out;
			}
			rc = parse_entry(ctx, e, settings, p);
			if (rc)
				goto out;
		}
	}
out:
	xmlFreeDoc(doc);
	return rc;
}

static void fmt_time(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int page(xclient *c, const char *checkpoint, xpage *p)
{
	json_t *ck = checkpoint[0] ? json_loads(checkpoint, 0, NULL) : NULL;
	int64_t from = 0, to = 0, next_ts = 0;
	char next[XCH_URL_MAX] = "", url[2 * XCH_URL_MAX], a[32], b[32];
	char auth[XCH_SECRET_MAX * 2 + 64], *hdrs[3] = {auth, "Accept: application/xml", NULL};
	xncmec_parsed res;
	json_t *out;
	char *s;
	int rc;

	if (ck) {
		from = json_integer_value(json_object_get(ck, "from"));
		to = json_integer_value(json_object_get(ck, "to"));
		next_ts = json_integer_value(json_object_get(ck, "next_ts"));
		if (json_is_string(json_object_get(ck, "next")))
			snprintf(next, sizeof(next), "%s",
				 json_string_value(json_object_get(ck, "next")));
		json_decref(ck);
	}
	if (next[0] && c->now - next_ts > PAGING_URL_TTL)
		next[0] = 0; /* start the same window again */
	if (!next[0] && !to) {
		to = c->now - 5;
		if (to <= from) { /* nothing can be new yet */
			p->done = 1;
			snprintf(p->checkpoint, sizeof(p->checkpoint), "%s", checkpoint);
			return VIGIL_OK;
		}
	}
	if (next[0]) {
		/* Only a path on the same service: its link must not lead the
		 * credentials elsewhere. */
		if (next[0] != '/' || next[1] == '/')
			return vigil__err(c->ctx, VIGIL_ECORRUPT,
					  "ncmec: paging link is not a relative path");
		snprintf(url, sizeof(url), "%s%s", c->base, next);
	} else {
		fmt_time(from, a, sizeof(a));
		fmt_time(to, b, sizeof(b));
		snprintf(url, sizeof(url), "%s/v2/entries?from=%s&to=%s", c->base, a, b);
	}
	{
		char b64[XCH_SECRET_MAX * 2];
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)c->secret,
				  strlen(c->secret), sodium_base64_VARIANT_ORIGINAL);
		snprintf(auth, sizeof(auth), "Authorization: Basic %s", b64);
		sodium_memzero(b64, sizeof(b64));
	}
	rc = vigil__xhttp(&c->http, "ncmec", "GET", url, (const char *const *)hdrs, NULL);
	sodium_memzero(auth, sizeof(auth));
	if (rc) {
		if (c->http.status == 401 || c->http.status == 403)
			return vigil__err(c->ctx, VIGIL_EIO,
					  "ncmec: the service refused the credentials (HTTP %ld)",
					  c->http.status);
		return rc;
	}
	rc = vigil__ncmec_parse(c->ctx, c->http.body.p, c->http.body.n, c->settings, p, &res);
	if (rc)
		return rc;
	if (res.next[0])
		out = json_pack("{s:I,s:I,s:s,s:I}", "from", (json_int_t)from, "to",
				(json_int_t)to, "next", res.next, "next_ts", (json_int_t)c->now);
	else
		out = json_pack("{s:I}", "from", (json_int_t)to);
	s = out ? json_dumps(out, JSON_COMPACT) : NULL;
	json_decref(out);
	if (!s || strlen(s) >= sizeof(p->checkpoint)) {
		free(s);
		return vigil__err(c->ctx, VIGIL_ENOMEM, "ncmec: checkpoint too large");
	}
	snprintf(p->checkpoint, sizeof(p->checkpoint), "%s", s);
	free(s);
	p->done = !res.next[0];
	return VIGIL_OK;
}

/* The Basic header for c's user:password into out. */
static void basic(xclient *c, char *out, size_t cap)
{
	char b64[XCH_SECRET_MAX * 2];

	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)c->secret, strlen(c->secret),
			  sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, cap, "Authorization: Basic %s", b64);
	sodium_memzero(b64, sizeof(b64));
}

static int guid_ok(const char *g)
{
	size_t n = strlen(g);

	return n >= 8 && n <= 64 && strspn(g, "0123456789abcdefABCDEF-") == n;
}

/* GET /v2/feedback/{TYPE}/reasons: the one reason's GUID into out. The
 * reference reads root/availableFeedbackReasons/reason while its fixture
 * has availableFeedbackReasons as the root: both shapes are accepted. */
static int one_reason(xclient *c, const char *type, const char *auth, char *out, size_t cap)
{
	const char *hdrs[] = {auth, NULL};
	char url[XCH_URL_MAX + 128];
	xmlDoc *doc;
	xmlNode *root, *list, *n;
	int found = 0, rc;

	snprintf(url, sizeof(url), "%s/v2/feedback/%s/reasons", c->base, type);
	rc = vigil__xhttp(&c->http, "ncmec", "GET", url, hdrs, NULL);
	if (rc)
		return rc;
	doc = xmlReadMemory(c->http.body.p, (int)c->http.body.n, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		xmlFreeDoc(doc);
		return vigil__err(c->ctx, VIGIL_ECORRUPT, "ncmec: feedback reasons are not XML");
	}
	list = !strcmp((const char *)root->name, "availableFeedbackReasons")
		       ? root : child(root, "availableFeedbackReasons");
	for (n = list ? list->children : NULL; n; n = n->next) {
		xmlChar *g;
		if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "reason"))
			continue;
		g = xmlGetProp(n, (const xmlChar *)"guid");
		if (g && !found)
			snprintf(out, cap, "%s", (const char *)g);
		xmlFree(g);
		found++;
	}
	xmlFreeDoc(doc);
	if (found != 1)
		return vigil__err(c->ctx, VIGIL_EINVAL,
				  "ncmec: the service lists %d feedback reasons for %s; "
				  "name one (its GUID)", found, type);
	return VIGIL_OK;
}

static int feedback(xclient *c, const vigil_entry *e, int positive, const char *reason)
{
	const char *type = e->type == VIGIL_HASH_MD5 ? "MD5" : e->type == VIGIL_HASH_SHA1 ? "SHA1"
			   : e->type == VIGIL_HASH_PDQ ? "PDQ" : NULL;
	const char *dash = strchr(e->source_ref, '-');
	json_t *meta = json_loads(e->metadata, 0, NULL), *esp;
	char auth[XCH_SECRET_MAX * 2 + 64], url[XCH_URL_MAX * 2], guid[80] = "", body[512];
	char *id = NULL;
	const char *hdrs[] = {auth, "Content-Type: application/xml; charset=utf-8", NULL};
	long long member;
	int rc;

	/* The entry's uploader goes in {espId} (entries are unique per member),
	 * overridable with the settings' feedback_esp_id. */
	esp = json_object_get(c->settings, "feedback_esp_id");
	member = json_is_integer(esp) ? (long long)json_integer_value(esp)
				      : (long long)json_integer_value(json_object_get(meta, "member"));
	json_decref(meta);
	if (!type || !dash || member <= 0)
		return vigil__err(c->ctx, VIGIL_EINVAL, "ncmec: entry %lld is not an NCMEC "
				  "MD5/SHA-1/PDQ record", (long long)e->id);
	basic(c, auth, sizeof(auth));
	if (!positive) {
		if (reason && *reason)
			snprintf(guid, sizeof(guid), "%s", reason);
		else if ((rc = one_reason(c, type, auth, guid, sizeof(guid))))
			goto out;
		if (!guid_ok(guid)) {
			rc = vigil__err(c->ctx, VIGIL_EINVAL, "ncmec: a reason is a GUID");
			goto out;
		}
		snprintf(body, sizeof(body), "<feedbackSubmission xmlns=\"https://hashsharing.ncmec.org/"
			 "hashsharing/v2\"><negative><reasonIds><guid>%s</guid></reasonIds>"
			 "</negative></feedbackSubmission>", guid);
	} else {
		snprintf(body, sizeof(body), "<feedbackSubmission xmlns=\"https://hashsharing.ncmec.org/"
			 "hashsharing/v2\"><affirmative /></feedbackSubmission>");
	}
	id = curl_easy_escape(c->http.curl, dash + 1, 0);
	if (!id) {
		rc = vigil__err(c->ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(url, sizeof(url), "%s/v2/entries/%lld/%s/%s/feedback", c->base, member, id, type);
	rc = vigil__xhttp(&c->http, "ncmec", "PUT", url, hdrs, body);
out:
	curl_free(id);
	sodium_memzero(auth, sizeof(auth));
	return rc;
}

const xapi vigil__xapi_ncmec = {"ncmec", "https://report.cybertip.org/hashsharing",
				1000, check, page, stale, feedback};
