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
 * (an add logged again by an update) is harmless.
 *
 * Signing: the publisher signs each page with its Ed25519 key (server
 * setting feed_key_file) over "vigil-feed-v1" NUL BANK NUL AFTER NUL BODY,
 * sent in the header Vigil-Feed-Signature. The bank and the cursor the
 * page answers are inside the signed message, so a page cannot be served
 * for another feed or another cursor; the consumer verifies against the
 * key pinned on its exchange (setting public_key) before it reads the
 * body.
 *
 * Compaction (vigil_feed_compact): superseded rows of an entry are
 * dropped, and deletes once they are older than a window; the highest
 * dropped delete's seq becomes the feed's floor, and a consumer whose
 * checkpoint is below it is answered "stale" (HTTP 410) and refetches
 * everything, which removes what vanished. */
#include "exchange_int.h"
#include "../store/store.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FEED_MAX_PAGE 10000
#define FEED_SIG_DOMAIN "vigil-feed-v1"

/* ------------------------------------------------------- signatures */

void vigil_feed_pubkey(const uint8_t seed[32], uint8_t pk[32])
{
	uint8_t sk[crypto_sign_SECRETKEYBYTES];

	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(sk, sizeof(sk));
}

/* Ed25519ph over the domain, the bank, the cursor and the body, streamed
 * (a page is up to a few MB; no copy of it is made). */
static void sig_state(crypto_sign_state *cs, const char *bank, int64_t after,
		      const char *body, size_t len)
{
	char num[32];

	crypto_sign_init(cs);
	crypto_sign_update(cs, (const unsigned char *)FEED_SIG_DOMAIN, sizeof(FEED_SIG_DOMAIN));
	crypto_sign_update(cs, (const unsigned char *)bank, strlen(bank) + 1);
	snprintf(num, sizeof(num), "%lld", (long long)after);
	crypto_sign_update(cs, (const unsigned char *)num, strlen(num) + 1);
	crypto_sign_update(cs, (const unsigned char *)body, len);
}

int vigil_feed_sign(const uint8_t seed[32], const char *bank, int64_t after,
		    const char *body, size_t len, char sig_hex[VIGIL_FEED_SIG_HEX + 1])
{
	uint8_t pk[32], sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES];
	crypto_sign_state cs;
	int rc;

	if (!seed || !bank || (!body && len) || !sig_hex || sodium_init() < 0)
		return VIGIL_EINVAL;
	crypto_sign_seed_keypair(pk, sk, seed);
	sig_state(&cs, bank, after, body ? body : "", len);
	rc = crypto_sign_final_create(&cs, sig, NULL, sk) ? VIGIL_EINTERNAL : VIGIL_OK;
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(&cs, sizeof(cs));
	if (!rc)
		vigil_hex(sig, sizeof(sig), sig_hex);
	return rc;
}

static int unhex(const char *s, uint8_t *out, size_t n)
{
	size_t got = 0;

	if (!s || strlen(s) != 2 * n ||
	    sodium_hex2bin(out, n, s, 2 * n, NULL, &got, NULL) || got != n)
		return -1;
	return 0;
}

int vigil_feed_verify(const uint8_t pk[32], const char *bank, int64_t after,
		      const char *body, size_t len, const char *sig_hex)
{
	uint8_t sig[crypto_sign_BYTES];
	crypto_sign_state cs;

	if (!pk || !bank || (!body && len) || sodium_init() < 0)
		return VIGIL_EINVAL;
	if (unhex(sig_hex, sig, sizeof(sig)))
		return VIGIL_ECORRUPT;
	sig_state(&cs, bank, after, body ? body : "", len);
	return crypto_sign_final_verify(&cs, sig, pk) ? VIGIL_ECORRUPT : VIGIL_OK;
}

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

int vigil_feed_compact(vigil_store *st, const char *bank, int64_t keep_deletes,
		       int64_t *removed, int64_t *floor)
{
	vigil_bank b;
	int64_t rm = 0, fl = 0;
	int rc, on = 0;

	if (!st || !bank)
		return VIGIL_EINVAL;
	rc = vigil_bank_get(st, bank, &b);
	if (!rc)
		rc = NEED_OP(st, feed_publish, b.id, -1, &on);
	if (!rc && !on)
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "bank %s is not published", bank);
	if (!rc)
		rc = NEED_OP(st, feed_compact, b.id, keep_deletes, (int64_t)time(NULL), &rm, &fl);
	if (removed)
		*removed = rm;
	if (floor)
		*floor = fl;
	return rc;
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

int vigil_feed_page(vigil_store *st, const char *bank, int64_t after, int64_t floor_seen,
		    size_t limit, char **json)
{
	feed_acc a;
	vigil_bank b;
	json_t *page;
	int rc, on = 0;
	int64_t floor = 0;

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
	/* The floor is read after the scan: a compaction between the two
	 * makes the answer "stale" (a needless refetch), never a page that
	 * lacks a dropped delete. */
	if (!rc)
		rc = NEED_OP(st, feed_compact, b.id, -1, 0, NULL, &floor);
	if (!rc && after > 0 && after < floor && floor_seen < floor)
		rc = vigil__err(st->ctx, VIGIL_EABORTED,
				"checkpoint %lld is older than the feed's compacted log (%lld): "
				"refetch from 0", (long long)after, (long long)floor);
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
		page = json_pack("{s:s,s:I,s:I,s:o,s:I,s:b}", "bank", bank, "after",
				 (json_int_t)after, "floor", (json_int_t)floor, "records", a.recs,
				 "next_after", (json_int_t)a.last, "more", more);
	}
	*json = page ? json_dumps(page, JSON_COMPACT) : NULL;
	json_decref(page);
	return *json ? VIGIL_OK : vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
}

/* ---------------------------------------------------------- client */

/* The publisher's key pinned on the exchange (setting public_key, 64 hex
 * digits) into pk, *unsigned_ok 0; or *unsigned_ok 1 if the exchange takes
 * unsigned pages instead (setting insecure_unsigned: true, and no key).
 * With neither, VIGIL_EINVAL: nothing is fetched. */
static int pinned_key(xclient *c, uint8_t pk[32], int *unsigned_ok)
{
	json_t *k = json_object_get(c->settings, "public_key");

	*unsigned_ok = 0;
	if (k) {
		if (unhex(json_string_value(k), pk, 32))
			return vigil__err(c->ctx, VIGIL_EINVAL, "vigil: public_key must be "
					  "the publisher's feed key, 64 hex digits");
		return VIGIL_OK;
	}
	if (json_is_true(json_object_get(c->settings, "insecure_unsigned"))) {
		*unsigned_ok = 1;
		return VIGIL_OK;
	}
	return vigil__err(c->ctx, VIGIL_EINVAL, "vigil: no publisher key pinned: add the "
			  "exchange with --public-key HEX (`vigil exchange feed-key` on the "
			  "publisher, or its GET /v1/feed-key), or --insecure-unsigned to "
			  "accept unsigned pages");
}

/* The feed's bank: the last path segment of its URL
 * (http://HOST:PORT/v1/feed/BANK), which the signature binds. */
static void feed_bank(const char *base, char *out, size_t cap)
{
	size_t n = strcspn(base, "?#"), e;

	while (n && base[n - 1] == '/')
		n--;
	e = n;
	while (n && base[n - 1] != '/')
		n--;
	snprintf(out, cap, "%.*s", (int)(e - n), base + n);
}

static int check(xclient *c)
{
	if (!*c->base)
		return vigil__err(c->ctx, VIGIL_EINVAL, "vigil: --url (the feed's URL, "
				  "http://HOST:PORT/v1/feed/BANK) is required");
	if (!*c->secret)
		return vigil__err(c->ctx, VIGIL_EINVAL, "vigil: the credentials are the "
				  "publisher's API key (role feed)");
	{
		uint8_t pk[32];
		int u;
		return pinned_key(c, pk, &u);
	}
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
	int64_t after = (int64_t)json_integer_value(json_object_get(ck, "after")), next,
		seen = (int64_t)json_integer_value(json_object_get(ck, "floor")), floor;
	char bank[VIGIL_NAME_MAX + 64];
	uint8_t pk[32];
	int rc, more, unsigned_ok;

	json_decref(ck);
	p->stale = 0;
	if ((rc = pinned_key(c, pk, &unsigned_ok)))
		return rc;
	snprintf(url, sizeof(url), "%s?after=%lld&floor=%lld&limit=%d", c->base,
		 (long long)after, (long long)seen, c->page_size);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->secret);
	rc = vigil__xhttp(&c->http, "vigil", "GET", url, hdrs, NULL);
	sodium_memzero(auth, sizeof(auth));
	if (rc) {
		if (c->http.status == 410) { /* the publisher compacted past us */
			p->stale = 1;
			return VIGIL_OK;
		}
		if (c->http.status == 401 || c->http.status == 403)
			return vigil__err(c->ctx, VIGIL_EIO, "vigil: the publisher refused the "
					  "key (HTTP %ld)", c->http.status);
		return rc;
	}
	/* Nothing of the page is read before its signature checks out. */
	if (!unsigned_ok) {
		feed_bank(c->base, bank, sizeof(bank));
		if (!c->http.feed_sig[0])
			return vigil__err(c->ctx, VIGIL_ECORRUPT, "vigil: the page is not "
					  "signed (the publisher has no feed_key_file?)");
		if (vigil_feed_verify(pk, bank, after, c->http.body.p, c->http.body.n,
				      c->http.feed_sig))
			return vigil__err(c->ctx, VIGIL_ECORRUPT, "vigil: bad signature on the "
					  "page after %lld of feed %s (not the pinned key, or "
					  "altered in transit): nothing applied", (long long)after,
					  bank);
	}
	rc = vigil__vigil_parse(c->ctx, c->http.body.p, c->http.body.n, p, &next, &more);
	if (rc)
		return rc;
	if (next < after)
		return vigil__err(c->ctx, VIGIL_ECORRUPT, "vigil: the feed went back");
	/* The floor the page was served under (signed with it), for the
	 * publisher's stale rule (vigil_feed_page); absent from an older
	 * publisher's pages. */
	floor = seen;
	{
		/* vigil_feed_page writes it before "records" (jansson keeps the
		 * order): only that head is searched, not the records' metadata. */
		const char *body = c->http.body.p, *rec = strstr(body, "\"records\":"),
			   *f = strstr(body, "\"floor\":");
		if (f && rec && f < rec)
			floor = strtoll(f + 8, NULL, 10);
	}
	snprintf(p->checkpoint, sizeof(p->checkpoint), "{\"after\":%lld,\"floor\":%lld}",
		 (long long)next, (long long)(floor > seen ? floor : seen));
	p->done = !more;
	return VIGIL_OK;
}

const xapi vigil__xapi_vigil = {"vigil", "", 1000, check, page, stale, NULL};
