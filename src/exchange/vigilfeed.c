/* vigilfeed.c — the local exchange: one vigil publishes a bank as a feed
 * (GET /v1/feed/{bank}), another fetches it with --api vigil.
 *
 * The feed is the publisher's change log of that bank (table feed_log,
 * written by triggers once the bank is published): every row a sequence
 * number, in commit order. A page is
 *   {"bank":B,"records":[{"seq":N,"key":"ENTRY_ID","deleted":false,
 *     "type":"pdq","hash":HEX,"quality":Q,"metadata":{...}}, ...],
 *    "next_after":N,"more":true|false}
 * asked for with ?after=SEQ&limit=N. The key is the publisher's entry id,
 * so an update (new metadata) replaces and a delete removes; the
 * consumer's checkpoint is {"after":next_after}. A record seen twice
 * (an add logged again by an update) is harmless. */
#include "exchange_int.h"
#include "../store/store.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define FEED_MAX_PAGE 10000

/* ------------------------------------------------------- publisher */

int vigil_feed_publish(vigil_store *st, const char *bank, int on)
{
	vigil_bank b;
	int rc;

	if (!st || !bank)
		return VIGIL_EINVAL;
	rc = vigil_bank_get(st, bank, &b);
	return rc ? rc : NEED_OP(st, feed_publish, b.id, !!on, NULL);
}

int vigil_feed_published(vigil_store *st, const char *bank, int *on)
{
	vigil_bank b;
	int rc;

	if (!st || !bank || !on)
		return VIGIL_EINVAL;
	*on = 0;
	rc = vigil_bank_get(st, bank, &b);
	return rc ? rc : NEED_OP(st, feed_publish, b.id, -1, on);
}

typedef struct feed_acc {
	json_t *recs;
	int64_t last;
} feed_acc;

static int feed_row(void *user, int64_t seq, int64_t entry_id, const vigil_entry *e)
{
	feed_acc *a = user;
	char key[32], hex[65];
	json_t *r, *meta;

	a->last = seq;
	snprintf(key, sizeof(key), "%lld", (long long)entry_id);
	if (!e) {
		r = json_pack("{s:I,s:s,s:b}", "seq", (json_int_t)seq, "key", key, "deleted", 1);
	} else {
		vigil_hex(e->value, vigil_hash_type_size(e->type), hex);
		meta = e->metadata[0] ? json_loads(e->metadata, 0, NULL) : NULL;
		if (meta && !json_is_object(meta)) {
			json_decref(meta);
			meta = NULL;
		}
		r = json_pack("{s:I,s:s,s:b,s:s,s:s,s:i,s:o}", "seq", (json_int_t)seq, "key", key,
			      "deleted", 0, "type", vigil_hash_type_name(e->type), "hash", hex,
			      "quality", e->quality, "metadata", meta ? meta : json_object());
	}
	return r && !json_array_append_new(a->recs, r) ? 0 : VIGIL_ENOMEM;
}

int vigil_feed_page(vigil_store *st, const char *bank, int64_t after, size_t limit,
		    char **json)
{
	feed_acc a;
	vigil_bank b;
	json_t *page;
	int rc, on = 0;

	if (!st || !bank || !json || after < 0)
		return VIGIL_EINVAL;
	*json = NULL;
	if (!limit || limit > FEED_MAX_PAGE)
		limit = limit ? FEED_MAX_PAGE : 1000;
	rc = vigil_bank_get(st, bank, &b);
	if (!rc)
		rc = NEED_OP(st, feed_publish, b.id, -1, &on);
	if (rc)
		return rc;
	if (!on)
		return vigil__err(st->ctx, VIGIL_ENOENT, "bank %s is not published", bank);
	a.recs = json_array();
	a.last = after;
	if (!a.recs)
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	/* One more row than asked for says whether there is more. */
	rc = NEED_OP(st, feed_scan, b.id, after, limit + 1, feed_row, &a);
	if (rc) {
		json_decref(a.recs);
		return rc == VIGIL_ENOMEM ? vigil__err(st->ctx, rc, "out of memory") : rc;
	}
	{
		size_t n = json_array_size(a.recs);
		int more = n > limit;
		if (more) {
			json_array_remove(a.recs, n - 1);
			a.last = json_integer_value(json_object_get(json_array_get(a.recs, n - 2), "seq"));
		}
		page = json_pack("{s:s,s:o,s:I,s:b}", "bank", bank, "records", a.recs, "next_after",
				 (json_int_t)a.last, "more", more);
	}
	*json = page ? json_dumps(page, JSON_COMPACT) : NULL;
	json_decref(page);
	return *json ? VIGIL_OK : vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
}

/* ---------------------------------------------------------- client */

static int check(xclient *c)
{
	if (!*c->base)
		return vigil__err(c->ctx, VIGIL_EINVAL, "vigil: --url (the feed's URL, "
				  "http://HOST:PORT/v1/feed/BANK) is required");
	if (!*c->secret)
		return vigil__err(c->ctx, VIGIL_EINVAL, "vigil: the credentials are the "
				  "publisher's API key (role feed)");
	return VIGIL_OK;
}

static int stale(const char *checkpoint, int64_t now)
{
	(void)checkpoint;
	(void)now;
	return 0; /* the log keeps everything since the bank was published */
}

int vigil__vigil_parse(vigil_ctx *ctx, const char *body, size_t len, xpage *p,
		       int64_t *next_after, int *more)
{
	json_t *js = json_loadb(body, len, 0, NULL), *recs, *r;
	size_t i;
	int rc = VIGIL_OK;

	*next_after = 0;
	*more = 0;
	recs = json_object_get(js, "records");
	if (!json_is_object(js) || !json_is_array(recs) ||
	    !json_is_integer(json_object_get(js, "next_after"))) {
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "vigil: malformed feed page");
		goto out;
	}
	*next_after = (int64_t)json_integer_value(json_object_get(js, "next_after"));
	*more = json_is_true(json_object_get(js, "more"));
	json_array_foreach(recs, i, r) {
		const char *key = json_string_value(json_object_get(r, "key"));
		xrec *x;
		if (!key || !*key || strlen(key) > 64) {
			p->skipped_records++;
			continue;
		}
		if (!(x = vigil__xpage_add(p))) {
			rc = vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
			goto out;
		}
		snprintf(x->key, sizeof(x->key), "%s", key);
		if (json_is_true(json_object_get(r, "deleted"))) {
			x->del = 1;
			continue;
		}
		{
			int type = vigil_hash_type_parse(json_string_value(json_object_get(r, "type")));
			json_t *q = json_object_get(r, "quality"), *m = json_object_get(r, "metadata");
			if (type < 0 || type == VIGIL_HASH_VPDQ ||
			    vigil__xrec_hash(x, type, json_string_value(json_object_get(r, "hash")),
					     json_is_integer(q) ? (int)json_integer_value(q) : -1))
				x->skipped++;
			vigil__xrec_meta(x, json_is_object(m) ? json_incref(m) : json_object());
		}
	}
out:
	json_decref(js);
	return rc;
}

static int page(xclient *c, const char *checkpoint, xpage *p)
{
	char url[XCH_URL_MAX + 64], auth[XCH_SECRET_MAX + 32];
	const char *hdrs[] = {auth, NULL};
	json_t *ck = *checkpoint ? json_loads(checkpoint, 0, NULL) : NULL;
	int64_t after = (int64_t)json_integer_value(json_object_get(ck, "after")), next;
	int rc, more;

	json_decref(ck);
	snprintf(url, sizeof(url), "%s?after=%lld&limit=%d", c->base, (long long)after,
		 c->page_size);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->secret);
	rc = vigil__xhttp(&c->http, "vigil", "GET", url, hdrs, NULL);
	sodium_memzero(auth, sizeof(auth));
	if (rc) {
		if (c->http.status == 401 || c->http.status == 403)
			return vigil__err(c->ctx, VIGIL_EIO, "vigil: the publisher refused the "
					  "key (HTTP %ld)", c->http.status);
		return rc;
	}
	rc = vigil__vigil_parse(c->ctx, c->http.body.p, c->http.body.n, p, &next, &more);
	if (rc)
		return rc;
	if (next < after)
		return vigil__err(c->ctx, VIGIL_ECORRUPT, "vigil: the feed went back");
	snprintf(p->checkpoint, sizeof(p->checkpoint), "{\"after\":%lld}", (long long)next);
	p->done = !more;
	return VIGIL_OK;
}

const xapi vigil__xapi_vigil = {"vigil", "", 1000, check, page, stale, NULL};
