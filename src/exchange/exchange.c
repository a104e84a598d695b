/* exchange.c — configured exchanges and the fetch driver: one page at a
 * time from the API client, each committed with its checkpoint. */
#include "exchange_int.h"
#include "../store/store.h"

#include <jansson.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const api_names[] = {"ncmec", "stopncii", "threatexchange", "tcap",
					"vigil"};

const char *vigil_exchange_api_name(int api)
{
	return api >= 0 && api < VIGIL__XCH_END ? api_names[api] : "unknown";
}

int vigil_exchange_api_parse(const char *name)
{
	int i;

	for (i = 0; name && i < VIGIL__XCH_END; i++)
		if (!strcmp(name, api_names[i]))
			return i;
	return -1;
}

static const xapi *api_of(int api)
{
	switch (api) {
	case VIGIL_XCH_NCMEC: return &vigil__xapi_ncmec;
	case VIGIL_XCH_STOPNCII: return &vigil__xapi_stopncii;
	case VIGIL_XCH_THREATEXCHANGE: return &vigil__xapi_threatexchange;
	case VIGIL_XCH_TCAP: return &vigil__xapi_tcap;
	case VIGIL_XCH_VIGIL: return &vigil__xapi_vigil;
	}
	return NULL;
}

/* ---------------------------------------------------------- records */

xrec *vigil__xpage_add(xpage *p)
{
	xrec *g = vigil__grow(p->recs, &p->cap, p->n + 1, sizeof(*p->recs));

	if (!g)
		return NULL;
	p->recs = g;
	/* Not the metadata's 4 KiB: a page holds thousands of records. */
	memset(&g[p->n], 0, offsetof(xrec, meta));
	g[p->n].meta[0] = 0;
	/* the text fields after meta: no terms until xtext.c adds some */
	g[p->n].nterms = 0;
	g[p->n].category[0] = 0;
	g[p->n].severity = 0;
	return &g[p->n++];
}

void vigil__xpage_reset(xpage *p)
{
	p->n = 0;
	p->done = 0;
	p->skipped_records = 0;
	p->checkpoint[0] = 0;
}

void vigil__xpage_free(xpage *p)
{
	vigil__free(p->recs);
	memset(p, 0, sizeof(*p));
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int vigil__xrec_hash(xrec *r, int type, const char *hex, int quality)
{
	size_t need = vigil_hash_type_size(type), i;

	if (!need || !hex || strlen(hex) != need * 2 || r->n >= XCH_MAX_HASHES)
		return -1;
	for (i = 0; i < need; i++) {
		int a = hexval(hex[2 * i]), b = hexval(hex[2 * i + 1]);
		if (a < 0 || b < 0)
			return -1;
		r->h[r->n].value[i] = (uint8_t)(a << 4 | b);
	}
	r->h[r->n].type = type;
	r->h[r->n].quality = type == VIGIL_HASH_PDQ ? quality : -1;
	r->n++;
	return 0;
}

void vigil__xrec_meta(xrec *r, void *obj)
{
	char *s = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	snprintf(r->meta, sizeof(r->meta), "%s",
		 s && strlen(s) < sizeof(r->meta) ? s : "{}");
	free(s);
	json_decref(obj);
}

/* Appends "s" to b->p as jansson's json_dumps writes a string (no
 * JSON_ENSURE_ASCII: UTF-8 as is, which jansson checked on load). */
static void mjs_str(xmeta *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;

	if (b->n + 2 >= sizeof(b->p)) {
		b->over = 1;
		return;
	}
	b->p[b->n++] = '"';
	for (; *u && !b->over; u++) {
		char e = *u == '"' ? '"' : *u == '\\' ? '\\' : *u == '\b' ? 'b' : *u == '\f' ? 'f'
		       : *u == '\n' ? 'n' : *u == '\r' ? 'r' : *u == '\t' ? 't' : 0;
		if (b->n + 7 >= sizeof(b->p))
			b->over = 1;
		else if (e) {
			b->p[b->n++] = '\\';
			b->p[b->n++] = e;
		} else if (*u < 0x20) {
			memcpy(b->p + b->n, "\\u00", 4);
			b->p[b->n + 4] = hex[*u >> 4];
			b->p[b->n + 5] = hex[*u & 15];
			b->n += 6;
		} else {
			b->p[b->n++] = (char)*u;
		}
	}
	if (b->n + 1 >= sizeof(b->p))
		b->over = 1;
	else
		b->p[b->n++] = '"';
}

void vigil__xmeta_begin(xmeta *b)
{
	b->n = 0;
	b->over = 0;
	b->p[b->n++] = '{';
}

void vigil__xmeta_str(xmeta *b, const char *key, const char *val)
{
	if (b->n > 1 && b->n + 1 < sizeof(b->p))
		b->p[b->n++] = ',';
	mjs_str(b, key);
	if (b->n + 1 < sizeof(b->p))
		b->p[b->n++] = ':';
	mjs_str(b, val);
}

void vigil__xmeta_int(xmeta *b, const char *key, long long val)
{
	int k;

	if (b->n > 1 && b->n + 1 < sizeof(b->p))
		b->p[b->n++] = ',';
	mjs_str(b, key);
	k = snprintf(b->p + b->n, sizeof(b->p) - b->n, ":%lld", val);
	if (k < 0 || (size_t)k >= sizeof(b->p) - b->n)
		b->over = 1;
	else
		b->n += (size_t)k;
}

void vigil__xmeta_end(xmeta *b, xrec *r)
{
	if (b->over || b->n + 2 > sizeof(r->meta)) {
		snprintf(r->meta, sizeof(r->meta), "{}");
		return;
	}
	memcpy(r->meta, b->p, b->n);
	r->meta[b->n] = '}';
	r->meta[b->n + 1] = 0;
}

/* ------------------------------------------------------ credentials */

/* Reads the secret that ref ("env:NAME" or "file:PATH") names into out,
 * trailing line breaks cut. The secret never appears in a message. */
static int read_secret(vigil_ctx *ctx, const char *ref, char *out, size_t cap)
{
	out[0] = 0;
	if (!strncmp(ref, "env:", 4)) {
		const char *v = getenv(ref + 4);
		if (!v || !*v)
			return vigil__err(ctx, VIGIL_EINVAL,
					  "credentials: environment variable %s is not set",
					  ref + 4);
		if (strlen(v) >= cap)
			return vigil__err(ctx, VIGIL_ETOOBIG, "credentials: %s is too long",
					  ref + 4);
		memcpy(out, v, strlen(v) + 1);
	} else if (!strncmp(ref, "file:", 5)) {
		FILE *f = fopen(ref + 5, "r");
		size_t n;
		if (!f)
			return vigil__err(ctx, VIGIL_EIO, "credentials: cannot open %s",
					  ref + 5);
		n = fread(out, 1, cap - 1, f);
		fclose(f);
		out[n] = 0;
		if (n == cap - 1) {
			sodium_memzero(out, cap);
			return vigil__err(ctx, VIGIL_ETOOBIG, "credentials: %s is too long",
					  ref + 5);
		}
	} else {
		return vigil__err(ctx, VIGIL_EINVAL,
				  "credentials must be env:NAME or file:PATH");
	}
	{
		size_t n = strlen(out);
		while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
			out[--n] = 0;
	}
	return VIGIL_OK;
}

/* ---------------------------------------------------------- config */

int vigil_exchange_add(vigil_store *st, const char *name, int api,
		       const char *bank, const char *settings,
		       const char *credentials)
{
	vigil_exchange x;
	vigil_bank b;
	json_t *js;
	int rc;

	if (!st || !name || !bank || !credentials)
		return VIGIL_EINVAL;
	if (!vigil__bank_name_ok(name))
		return vigil__err(st->ctx, VIGIL_EINVAL, "bad exchange name '%s'", name);
	if (!api_of(api))
		return vigil__err(st->ctx, VIGIL_EINVAL, "unknown exchange API %d", api);
	if (strncmp(credentials, "env:", 4) && strncmp(credentials, "file:", 5))
		return vigil__err(st->ctx, VIGIL_EINVAL,
				  "credentials must be env:NAME or file:PATH (a "
				  "reference; the secret itself is never stored)");
	if (!settings || !*settings)
		settings = "{}";
	js = json_loads(settings, 0, NULL);
	if (!json_is_object(js)) {
		json_decref(js);
		return vigil__err(st->ctx, VIGIL_EINVAL, "settings must be a JSON object");
	}
	json_decref(js);
	memset(&x, 0, sizeof(x));
	if (snprintf(x.name, sizeof(x.name), "%s", name) >= (int)sizeof(x.name) ||
	    snprintf(x.bank, sizeof(x.bank), "%s", bank) >= (int)sizeof(x.bank) ||
	    snprintf(x.settings, sizeof(x.settings), "%s", settings) >=
		    (int)sizeof(x.settings) ||
	    snprintf(x.credentials, sizeof(x.credentials), "%s", credentials) >=
		    (int)sizeof(x.credentials))
		return vigil__err(st->ctx, VIGIL_EINVAL, "exchange text too long");
	x.api = api;
	rc = vigil_bank_get(st, bank, &b);
	if (rc == VIGIL_ENOENT) {
		char labels[VIGIL_TEXT_MAX + 1];
		snprintf(labels, sizeof(labels), "source=%s,exchange=%s",
			 vigil_exchange_api_name(api), name);
		rc = vigil_bank_create(st, bank, "fetched by an exchange", labels, &b);
	}
	if (rc)
		return rc;
	return NEED_OP(st, xch_add, &x);
}

int vigil_exchange_get(vigil_store *st, const char *name, vigil_exchange *out)
{
	if (!st || !name || !out)
		return VIGIL_EINVAL;
	return NEED_OP(st, xch_get, name, out);
}

int vigil_exchange_list(vigil_store *st, vigil_exchange **out, size_t *n)
{
	if (!st || !out || !n)
		return VIGIL_EINVAL;
	return NEED_OP(st, xch_list, out, n);
}

int vigil_exchange_set_enabled(vigil_store *st, const char *name, int enabled)
{
	vigil_exchange x;
	int rc = vigil_exchange_get(st, name, &x);

	if (rc)
		return rc;
	x.enabled = !!enabled;
	return NEED_OP(st, xch_save, &x);
}

int vigil_exchange_delete(vigil_store *st, const char *name)
{
	if (!st || !name)
		return VIGIL_EINVAL;
	return NEED_OP(st, xch_delete, name);
}

/* ----------------------------------------------------------- fetch */

/* What the matcher must learn once the page's commit stands: removals and
 * additions in the order they happened (an entry added and removed again
 * in one page must end up removed). */
typedef struct mchange {
	int add;
	vigil_entry e;
} mchange;

typedef struct mchanges {
	mchange *v;
	size_t n, cap;
} mchanges;

static int mpush(vigil_store *st, mchanges *m, const vigil_entry *e, int add)
{
	mchange *g = vigil__grow(m->v, &m->cap, m->n + 1, sizeof(*m->v));

	if (!g)
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	m->v = g;
	g[m->n].add = add;
	g[m->n++].e = *e;
	return VIGIL_OK;
}

/* Removes entries ids[0..n) whose item rows were just taken (recording
 * them for the matcher), except those another record still holds: two
 * records may carry one hash, and the bank holds it once. */
static int drop_entries(vigil_store *st, const int64_t *ids, size_t n,
			mchanges *gone, vigil_exchange_stats *s)
{
	size_t i;
	int rc, held;

	for (i = 0; i < n; i++) {
		rc = NEED_OP(st, xitem_release, ids[i], &held);
		if (rc)
			return rc;
		if (held)
			continue;
		if (gone) {
			vigil_entry e;
			rc = st->ops->entry_get(st, ids[i], &e);
			if (rc == VIGIL_ENOENT)
				continue; /* the bank was emptied meanwhile */
			if (rc || (rc = mpush(st, gone, &e, 0)))
				return rc;
		}
		rc = st->ops->entry_delete(st, ids[i]);
		if (rc)
			return rc;
		s->removed++;
	}
	return VIGIL_OK;
}

/* A record's place in its page, sorted by key (a later record first
 * among equal keys, so that the first of each run is the one that
 * counts), then back into page order. */
typedef struct recref {
	const char *key;
	size_t i;
} recref;

static int by_key_last(const void *a, const void *b)
{
	const recref *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : x->i < y->i ? 1 : x->i > y->i ? -1 : 0;
}

static int by_index(const void *a, const void *b)
{
	const recref *x = a, *y = b;

	return x->i < y->i ? -1 : x->i > y->i;
}

/* Applies one page inside its transaction, set-based as `vigil bank
 * import` is: a later record replaces an earlier one with the same key,
 * the keys' old items are taken at once (entries no longer held are
 * dropped), the page's hashes are staged and sorted into the bank, and
 * the items linked in one statement. Two records carrying one hash share
 * one entry; a local import's entry is never an exchange's. */
static int apply_page(vigil_store *st, const vigil_exchange *x, const vigil_bank *b,
		      const xpage *p, mchanges *m, vigil_exchange_stats *s)
{
	size_t nrec = 0, nrows = 0, i, k, nids = 0, nadd = 0;
	recref *order = NULL;
	vigil__xrow *rows = NULL;
	vigil__rec *rec = NULL;
	vigil_entry *add = NULL;
	int64_t *ids = NULL;
	uint64_t added = 0;
	int rc = VIGIL_OK, j;

	if (!p->n)
		return VIGIL_OK;
	if (!st->ops->xpage_take)
		return vigil__op_missing(st, "xpage_take");
	if (!st->ops->xpage_link)
		return vigil__op_missing(st, "xpage_link");
	if (!st->ops->entry_stage)
		return vigil__op_missing(st, "entry_stage");
	order = vigil__calloc(p->n, sizeof(*order));
	rows = vigil__calloc(p->n * XCH_MAX_HASHES, sizeof(*rows));
	rec = vigil__malloc(sizeof(*rec));
	if (!order || !rows || !rec) {
		rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < p->n; i++) {
		order[i].key = p->recs[i].key;
		order[i].i = i;
	}
	qsort(order, p->n, sizeof(*order), by_key_last);
	for (i = 0; i < p->n; i++) {
		const xrec *r = &p->recs[order[i].i];
		if (nrec && !strcmp(r->key, order[nrec - 1].key))
			continue;
		order[nrec++] = order[i];
		for (j = 0; j < (r->del ? 0 : r->n); j++) {
			rows[nrows].key = r->key;
			rows[nrows].type = r->h[j].type;
			rows[nrows++].value = r->h[j].value;
		}
		if (r->del || !r->n) {
			rows[nrows].key = r->key;
			rows[nrows].type = -1;
			rows[nrows++].del = r->del;
		}
	}
	/* Back to page order: of two records carrying one hash, the first
	 * names the entry (its source_ref), as one by one. */
	qsort(order, nrec, sizeof(*order), by_index);
	rc = st->ops->xpage_take(st, x->id, b->id, rows, nrows, &ids, &nids);
	if (!rc)
		rc = drop_entries(st, ids, nids, m, s);
	for (i = 0; !rc && i < nrec; i++) {
		const xrec *r = &p->recs[order[i].i];
		for (j = 0; !rc && j < (r->del ? 0 : r->n); j++) {
			memset(rec, 0, offsetof(vigil__rec, source_ref));
			rec->type = r->h[j].type;
			memcpy(rec->value, r->h[j].value, 32);
			rec->quality = r->h[j].quality;
			snprintf(rec->source_ref, sizeof(rec->source_ref), "%s", r->key);
			snprintf(rec->metadata, sizeof(rec->metadata), "%s", r->meta);
			rc = st->ops->entry_stage(st, b->id, rec);
		}
	}
	if (!rc)
		rc = st->ops->entry_stage_flush(st, &added);
	if (!rc)
		rc = st->ops->xpage_link(st, x->id, b->id, x->generation, m ? &add : NULL,
					 &nadd);
	s->added += (int64_t)added;
	for (k = 0; !rc && k < nadd; k++)
		rc = mpush(st, m, &add[k], 1);
out:
	vigil__free(add);
	vigil__free(ids);
	vigil__free(rec);
	vigil__free(rows);
	vigil__free(order);
	return rc;
}

static int client_open(vigil_store *st, const vigil_exchange *x, xclient *c)
{
	json_t *js, *v;
	int rc;

	memset(c, 0, sizeof(*c));
	c->ctx = st->ctx;
	c->api = api_of(x->api);
	c->now = (int64_t)time(NULL);
	if (!c->api)
		return vigil__err(st->ctx, VIGIL_EINVAL, "unknown exchange API");
	js = json_loads(x->settings, 0, NULL);
	if (!json_is_object(js)) {
		json_decref(js);
		return vigil__err(st->ctx, VIGIL_EINVAL, "%s: settings are not a JSON object",
				  x->name);
	}
	c->settings = js;
	v = json_object_get(js, "url");
	snprintf(c->base, sizeof(c->base), "%s",
		 json_is_string(v) ? json_string_value(v) : c->api->default_base);
	while (*c->base && c->base[strlen(c->base) - 1] == '/')
		c->base[strlen(c->base) - 1] = 0;
	v = json_object_get(js, "page_size");
	c->page_size = json_is_integer(v) && json_integer_value(v) > 0 &&
				       json_integer_value(v) <= 100000
			       ? (int)json_integer_value(v)
			       : c->api->default_page_size;
	v = json_object_get(js, "timeout");
	rc = vigil__xhttp_init(&c->http, st->ctx,
			       json_is_integer(v) ? (long)json_integer_value(v) : 60);
	if (rc)
		return rc;
	rc = read_secret(st->ctx, x->credentials, c->secret, sizeof(c->secret));
	if (!rc)
		rc = c->api->check(c);
	return rc;
}

static void client_close(xclient *c)
{
	vigil__xhttp_free(&c->http);
	json_decref(c->settings);
	sodium_memzero(c->secret, sizeof(c->secret));
	sodium_memzero(c->token, sizeof(c->token));
}

static void matcher_apply(const vigil_exchange_fetch_opts *o, vigil_store *st,
			  const vigil_bank *b, mchanges *m)
{
	vigil_ctx *mctx = o->matcher_ctx ? o->matcher_ctx : st->ctx;
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->v[i].add)
			vigil_matcher_add(o->matcher, mctx, b, &m->v[i].e);
		else
			vigil_matcher_remove(o->matcher, mctx, &m->v[i].e);
	}
	m->n = 0;
}

/* Pages are committed in batches (issue 13): a commit rewrites every
 * index page the batch dirtied (synchronous=FULL: and syncs it), and a
 * page of 10,000 random hashes dirties most leaves of the bank's
 * indexes, so grouping big pages saves most of that. A batch's pages are
 * first downloaded and parsed into memory with no transaction open (on
 * SQLite the write lock is store-wide: held across network I/O it would
 * stall upload verdicts and every other writer); then one transaction
 * applies them in order, each with its checkpoint, and commits. A batch
 * ends after the page that brings it to XCH_BATCH_RECORDS records or its
 * held records to XCH_HOLD_BYTES bytes, after XCH_BATCH_MS since its
 * first page (how late its records become matchable), at the last page,
 * and after any page of fewer than XCH_BATCH_MIN_PAGE records (the small
 * pages of an incremental fetch commit, and are matchable, at once). A
 * failed fetch applies and commits the pages held (whole pages, with the
 * checkpoint after the last). Memory: at most XCH_HOLD_BYTES of records
 * (plus the one page that crosses it, and XCH_HOLD_PAGES page headers). */
#define XCH_BATCH_RECORDS 100000
#define XCH_BATCH_MIN_PAGE 1000
#define XCH_BATCH_MS 5000
#define XCH_HOLD_BYTES ((size_t)256 << 20) /* ~40,000 xrec of 6,576 bytes */
#define XCH_HOLD_PAGES 64

static int64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Opens a batch's transaction: the exchange must still be where this
 * fetch left it, and the lease (if any) is renewed inside it. */
static int begin_batch(vigil_store *st, vigil_exchange *x, const vigil_exchange_fetch_opts *o,
		       const char *lease, int64_t ttl, int leased)
{
	vigil_exchange cur;
	int rc = st->ops->begin(st);

	if (rc)
		return rc;
	/* Another fetch of this exchange (another process sharing the
	 * store) moved on meanwhile: this batch is not ours to commit. */
	rc = NEED_OP(st, xch_peek, x->name, &cur);
	if (!rc && (cur.id != x->id || cur.generation != x->generation ||
		    strcmp(cur.checkpoint, x->checkpoint)))
		rc = vigil__err(st->ctx, VIGIL_EABORTED,
				"%s: another fetch of this exchange is running", x->name);
	if (rc)
		return rc;
	x->enabled = cur.enabled;
	/* The lease is renewed with the batch, or the batch is not ours
	 * (a server stalled past its lease lost the exchange). */
	if (leased) {
		int got = 0;
		rc = vigil_store_lease(st, lease, o->lease_owner, ttl * 1000, &got);
		if (!rc && !got)
			rc = vigil__err(st->ctx, VIGIL_EABORTED,
					"%s: the fetch lease was taken over", x->name);
	}
	return rc;
}

/* Commits the open batch, then tells the matcher and the caller. */
static int commit_batch(vigil_store *st, const vigil_exchange_fetch_opts *o,
			const vigil_bank *b, const vigil_exchange *x, mchanges *changes,
			vigil_exchange_stats *s, size_t *npend)
{
	int rc = st->ops->commit(st);

	if (rc)
		return rc;
	s->pages += (int64_t)*npend;
	*npend = 0;
	if (o->matcher)
		matcher_apply(o, st, b, changes);
	if (o->on_page)
		o->on_page(o->user, x);
	return VIGIL_OK;
}

/* Records a failed fetch on the exchange, keeping what was committed. */
static void note_error(vigil_store *st, vigil_exchange *x)
{
	vigil_exchange cur;
	char msg[VIGIL_TEXT_MAX + 1];

	snprintf(msg, sizeof(msg), "%s", vigil_errmsg(st->ctx));
	st->ops->rollback(st);
	if (NEED_OP(st, xch_get, x->name, &cur))
		return;
	snprintf(cur.last_error, sizeof(cur.last_error), "%s", msg);
	cur.errors++;
	cur.up_to_date = 0;
	cur.last_attempt = (int64_t)time(NULL);
	NEED_OP(st, xch_save, &cur);
	/* The fetch's own message stays the one the caller reads. */
	vigil__err(st->ctx, VIGIL_EIO, "%s", msg);
}

/* Applies one held page inside the open batch and leaves the exchange
 * with the checkpoint after it, so that the batch can commit after any
 * of its pages. */
static int apply_held(vigil_store *st, const vigil_exchange_fetch_opts *o, vigil_exchange *x,
		      const vigil_bank *b, int text, const xpage *p, mchanges *changes,
		      vigil_exchange_stats *s)
{
	size_t i;
	int rc = VIGIL_OK, k;

	/* A text bank takes the page's text signals record by record
	 * (xtext.c); a hash bank the hashes, set-based (apply_page). */
	if (text) {
		for (i = 0; i < p->n && !rc; i++)
			rc = vigil__xtext_apply(st, x, b, &p->recs[i], s);
	} else {
		rc = apply_page(st, x, b, p, o->matcher ? changes : NULL, s);
	}
	if (rc)
		return rc;
	for (i = 0; i < p->n; i++) {
		/* a signal the bank cannot hold (hashes in a text bank,
		 * text in a hash bank) is skipped too */
		k = p->recs[i].skipped + (text ? p->recs[i].n : p->recs[i].nterms > 0);
		s->skipped += k;
		x->skipped += k;
	}
	s->records += (int64_t)p->n;
	x->fetched += (int64_t)p->n;
	snprintf(x->checkpoint, sizeof(x->checkpoint), "%s", p->checkpoint);
	x->last_attempt = (int64_t)time(NULL);
	if (p->done) {
		if (x->full) {
			int64_t *ids = NULL;
			size_t n = 0;
			rc = NEED_OP(st, xitem_sweep, x->id, x->generation, &ids, &n);
			if (!rc)
				rc = drop_entries(st, ids, n, o->matcher ? changes : NULL, s);
			vigil__free(ids);
			if (!rc && text)
				rc = vigil__xtext_sweep(st, x, b, s);
			if (rc)
				return rc;
			x->full = 0;
		}
		x->up_to_date = 1;
		x->last_success = x->last_attempt;
		x->last_error[0] = 0;
	} else {
		x->up_to_date = 0;
	}
	return NEED_OP(st, xch_save, x);
}

/* The batch's one transaction: the held pages, in order, then commit.
 * *nheld is 0 after, whatever happened (a failure leaves the
 * transaction for note_error to roll back). */
static int flush_batch(vigil_store *st, const vigil_exchange_fetch_opts *o, vigil_exchange *x,
		       const vigil_bank *b, int text, const xpage *held, size_t *nheld,
		       mchanges *changes, vigil_exchange_stats *s, const char *lease,
		       int64_t ttl, int leased)
{
	size_t i, n = *nheld, npend = 0;
	int rc;

	*nheld = 0;
	if (!n)
		return VIGIL_OK;
	rc = begin_batch(st, x, o, lease, ttl, leased);
	for (i = 0; i < n && !rc; i++) {
		rc = apply_held(st, o, x, b, text, &held[i], changes, s);
		npend += !rc;
	}
	if (!rc)
		rc = commit_batch(st, o, b, x, changes, s, &npend);
	return rc;
}

int vigil_exchange_fetch(vigil_store *st, const char *name,
			 const vigil_exchange_fetch_opts *opts,
			 vigil_exchange_stats *stats)
{
	static const vigil_exchange_fetch_opts none;
	const vigil_exchange_fetch_opts *o = opts ? opts : &none;
	vigil_exchange_stats s0, *s = stats ? stats : &s0;
	vigil_exchange x;
	vigil_bank b;
	xclient c;
	xpage *held = NULL;            /* the batch's pages, downloaded */
	size_t nheld = 0, nalloc = 0;
	mchanges changes = {0};
	int rc, opened = 0, leased = 0, text = 0;
	int64_t ttl = o->lease_ttl > 0 ? o->lease_ttl : 300;
	char lease[VIGIL_NAME_MAX + 16];
	size_t i, batch_recs = 0, batch_bytes = 0;
	int64_t batch_t0 = 0;

	memset(s, 0, sizeof(*s));
	if (!st || !name)
		return VIGIL_EINVAL;

	if (o->lease_owner) {
		int got = 0;
		snprintf(lease, sizeof(lease), "exchange:%s", name);
		rc = vigil_store_lease(st, lease, o->lease_owner, ttl * 1000, &got);
		if (rc)
			return rc;
		if (!got)
			return vigil__err(st->ctx, VIGIL_EEXIST,
					  "%s: another instance holds the fetch lease", name);
		leased = 1;
	}
	held = vigil__calloc(XCH_HOLD_PAGES, sizeof(*held));
	if (!held) {
		rc = VIGIL_ENOMEM;
		goto out;
	}
	nalloc = XCH_HOLD_PAGES;
	rc = NEED_OP(st, xch_get, name, &x);
	if (rc)
		goto out;
	if (!x.enabled) {
		rc = vigil__err(st->ctx, VIGIL_EINVAL, "exchange '%s' is disabled", name);
		goto out;
	}
	rc = vigil_bank_get(st, x.bank, &b);
	if (!rc) /* a text bank takes the text signals (xtext.c) */
		rc = vigil_text_bank_is(st, b.id, &text);
	if (rc)
		goto fail;
	rc = client_open(st, &x, &c);
	opened = 1;
	if (rc)
		goto fail;
	if (o->full || (x.checkpoint[0] && c.api->stale(x.checkpoint, c.now))) {
	full:
		/* A full refetch: everything is fetched again under a new
		 * generation; what the old one held and the new one did not
		 * deliver is removed when the refetch completes. */
		x.full = 1;
		x.generation++;
		x.checkpoint[0] = 0;
		rc = NEED_OP(st, xch_save, &x);
		if (rc)
			goto fail;
	}
	for (;;) {
		/* The next page follows the last one held (not yet in x). */
		const char *cp = nheld ? held[nheld - 1].checkpoint : x.checkpoint;
		xpage *p = &held[nheld];

		vigil__xpage_reset(p);
		/* No transaction is open here: the download takes no lock. */
		rc = c.api->page(&c, cp, p);
		s->retries = c.http.retries;
		if (rc) {
			/* The held pages are whole, each with its checkpoint:
			 * they stand; the failed page is fetched again next time. */
			char msg[VIGIL_TEXT_MAX + 1];
			snprintf(msg, sizeof(msg), "%s", vigil_errmsg(st->ctx));
			if (flush_batch(st, o, &x, &b, text, held, &nheld, &changes, s,
					lease, ttl, leased))
				goto fail;
			vigil__err(st->ctx, rc, "%s", msg);
			goto fail;
		}
		/* The service answered that the checkpoint is older than what
		 * it still serves (a vigil feed's compacted log, vigilfeed.c):
		 * the held pages stand, then everything is fetched again. */
		if (p->stale && cp[0]) {
			rc = flush_batch(st, o, &x, &b, text, held, &nheld, &changes, s,
					 lease, ttl, leased);
			if (rc)
				goto fail;
			goto full;
		}
		if (!nheld++) {
			batch_recs = 0;
			batch_bytes = 0;
			batch_t0 = mono_ms();
		}
		batch_recs += p->n;
		batch_bytes += p->cap * sizeof(*p->recs);
		if (p->done || p->n < XCH_BATCH_MIN_PAGE || batch_recs >= XCH_BATCH_RECORDS ||
		    batch_bytes >= XCH_HOLD_BYTES || nheld >= XCH_HOLD_PAGES ||
		    mono_ms() - batch_t0 >= XCH_BATCH_MS ||
		    (o->max_pages && s->pages + (int64_t)nheld >= o->max_pages)) {
			int done = p->done;
			rc = flush_batch(st, o, &x, &b, text, held, &nheld, &changes, s,
					 lease, ttl, leased);
			if (rc)
				goto fail;
			if (done) {
				s->up_to_date = 1;
				break;
			}
		}
		if (o->max_pages && s->pages >= o->max_pages)
			break;
	}
	goto out;
fail:
	note_error(st, &x);
out:
	if (opened)
		client_close(&c);
	if (leased) {
		int held;
		vigil_store_lease(st, lease, o->lease_owner, 0, &held);
	}
	for (i = 0; i < nalloc; i++)
		vigil__xpage_free(&held[i]);
	vigil__free(held);
	vigil__free(changes.v);
	return rc;
}

/* -------------------------------------------------------- feedback */

int vigil_exchange_feedback(vigil_store *st, const char *name, int64_t entry_id,
			    int positive, const char *reason)
{
	vigil_exchange x;
	vigil_bank b;
	vigil_entry e;
	xclient c;
	int rc;

	if (!st || !name)
		return VIGIL_EINVAL;
	rc = NEED_OP(st, xch_get, name, &x);
	if (!rc)
		rc = vigil_bank_get(st, x.bank, &b);
	if (!rc)
		rc = st->ops->entry_get(st, entry_id, &e);
	if (rc)
		return rc;
	if (e.bank_id != b.id)
		return vigil__err(st->ctx, VIGIL_EINVAL, "entry %lld is not in bank %s",
				  (long long)entry_id, x.bank);
	if (!api_of(x.api)->feedback)
		return vigil__err(st->ctx, VIGIL_EINVAL, "%s: %s has no feedback API", name,
				  vigil_exchange_api_name(x.api));
	rc = client_open(st, &x, &c);
	if (!rc)
		rc = c.api->feedback(&c, &e, positive, reason);
	client_close(&c);
	return rc;
}

/* ------------------------------------------------ feedback, queued */

#define FEEDBACK_URL_MAX (VIGIL_NAME_MAX + 16)

static void feedback_url(const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "exchange:%s", name);
}

/* The checks both paths share: the exchange, its bank holding the entry,
 * an API with feedback. */
static int feedback_target(vigil_store *st, const char *name, int64_t entry_id,
			   vigil_exchange *x, vigil_entry *e)
{
	vigil_bank b;
	int rc = NEED_OP(st, xch_get, name, x);

	if (!rc)
		rc = vigil_bank_get(st, x->bank, &b);
	if (!rc)
		rc = st->ops->entry_get(st, entry_id, e);
	if (rc)
		return rc;
	if (e->bank_id != b.id)
		return vigil__err(st->ctx, VIGIL_EINVAL, "entry %lld is not in bank %s",
				  (long long)entry_id, x->bank);
	if (!api_of(x->api)->feedback)
		return vigil__err(st->ctx, VIGIL_EINVAL, "%s: %s has no feedback API", name,
				  vigil_exchange_api_name(x->api));
	return VIGIL_OK;
}

int vigil_exchange_feedback_queue(vigil_store *st, const char *name,
				  int64_t entry_id, int positive,
				  const char *reason,
				  char event_id[VIGIL_EVENT_ID_LEN + 1])
{
	vigil_exchange x;
	vigil_entry e;
	char hex[65], url[FEEDBACK_URL_MAX];
	json_t *d;
	char *text;
	int rc;

	if (!st || !name)
		return VIGIL_EINVAL;
	if (reason && strlen(reason) > 128)
		return vigil__err(st->ctx, VIGIL_EINVAL, "feedback reason too long");
	rc = feedback_target(st, name, entry_id, &x, &e);
	if (rc)
		return rc;
	vigil_hex(e.value, vigil_hash_type_size(e.type), hex);
	d = json_pack("{s:s,s:s,s:s,s:s?,s:{s:I,s:i,s:s,s:i,s:s,s:s}}", "exchange", name,
		      "api", vigil_exchange_api_name(x.api), "verdict",
		      positive ? "confirm" : "dismiss", "reason",
		      reason && *reason ? reason : NULL, "entry", "id", (json_int_t)e.id,
		      "type", e.type, "value", hex, "quality", e.quality, "source_ref",
		      e.source_ref, "metadata", e.metadata);
	text = d ? json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(d);
	if (!text)
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	feedback_url(name, url, sizeof(url));
	rc = vigil_outbox_add(st, VIGIL_XCH_FEEDBACK_EVENT, url, "", text, event_id);
	free(text);
	return rc;
}

int vigil_exchange_feedback_for_entry(vigil_store *st, int64_t entry_id,
				      int positive, size_t *queued)
{
	vigil_exchange *v = NULL;
	vigil_entry e;
	vigil_bank b;
	size_t n = 0, i, k = 0;
	int rc;

	if (queued)
		*queued = 0;
	if (!st)
		return VIGIL_EINVAL;
	if (!st->ops->xch_list)
		return VIGIL_OK; /* a backend without exchanges has none to tell */
	rc = st->ops->entry_get(st, entry_id, &e);
	if (rc == VIGIL_ENOENT)
		return VIGIL_OK; /* deleted since the match: nothing to address */
	if (!rc)
		rc = vigil_exchange_list(st, &v, &n);
	for (i = 0; !rc && i < n; i++) {
		if (!v[i].enabled || !api_of(v[i].api)->feedback)
			continue;
		rc = vigil_bank_get(st, v[i].bank, &b);
		if (rc == VIGIL_ENOENT) {
			rc = VIGIL_OK;
			continue;
		}
		if (!rc && b.id == e.bank_id) {
			rc = vigil_exchange_feedback_queue(st, v[i].name, entry_id, positive,
							   NULL, NULL);
			k += !rc;
		}
	}
	free(v);
	if (queued)
		*queued = k;
	return rc;
}

int vigil_exchange_feedback_list(vigil_store *st, const char *name, size_t max,
				 vigil_event **out, size_t *n)
{
	char url[FEEDBACK_URL_MAX];

	if (!st || !name || !out || !n)
		return VIGIL_EINVAL;
	feedback_url(name, url, sizeof(url));
	int rc = NEED_OP(st, outbox_by_url, url, max, out, n);
	return rc ? rc : vigil__outbox_open(st, rc, out, n);
}

int vigil_exchange_feedback_counts(vigil_store *st, const char *name, int64_t counts[3])
{
	vigil_event *v = NULL;
	size_t n = 0, i;
	int rc;

	if (!counts)
		return VIGIL_EINVAL;
	counts[0] = counts[1] = counts[2] = 0;
	rc = vigil_exchange_feedback_list(st, name, SIZE_MAX, &v, &n);
	for (i = 0; !rc && i < n; i++)
		if (v[i].state >= 0 && v[i].state < VIGIL__OUTBOX_STATE_END)
			counts[v[i].state]++;
	vigil_events_free(v, n);
	return rc;
}

int vigil_exchange_feedback_deliver(vigil_store *st, const char *name,
				    vigil_deliver_stats *stats)
{
	vigil_deliver_opts o;
	char url[FEEDBACK_URL_MAX];

	if (!st || !name)
		return VIGIL_EINVAL;
	feedback_url(name, url, sizeof(url));
	memset(&o, 0, sizeof(o));
	o.only_url = url;
	o.backoff_ms = 2000;
	return vigil_outbox_deliver(st, &o, stats);
}

int vigil__xfeedback_send(vigil_store *st, const vigil_event *ev, char *err, size_t errcap)
{
	json_t *body = json_loads(ev->body, 0, NULL), *d = json_object_get(body, "data");
	json_t *je = json_object_get(d, "entry");
	const char *name = json_string_value(json_object_get(d, "exchange"));
	const char *hex = json_string_value(json_object_get(je, "value"));
	const char *reason = json_string_value(json_object_get(d, "reason"));
	vigil_exchange x;
	vigil_entry e;
	xclient c;
	int rc, ret = -1, opened = 0;

	memset(&e, 0, sizeof(e));
	e.id = (int64_t)json_integer_value(json_object_get(je, "id"));
	e.type = (int)json_integer_value(json_object_get(je, "type"));
	e.quality = (int)json_integer_value(json_object_get(je, "quality"));
	snprintf(e.source_ref, sizeof(e.source_ref), "%s",
		 json_string_value(json_object_get(je, "source_ref")) ?
			 json_string_value(json_object_get(je, "source_ref")) : "");
	snprintf(e.metadata, sizeof(e.metadata), "%s",
		 json_string_value(json_object_get(je, "metadata")) ?
			 json_string_value(json_object_get(je, "metadata")) : "");
	if (!name || !hex || vigil_unhex(hex, e.value, vigil_hash_type_size(e.type)) != VIGIL_OK) {
		snprintf(err, errcap, "not a feedback row");
		goto out;
	}
	rc = NEED_OP(st, xch_get, name, &x);
	if (rc == VIGIL_ENOENT) {
		snprintf(err, errcap, "exchange %s was deleted", name);
		goto out;
	}
	if (rc) {
		snprintf(err, errcap, "%s", vigil_errmsg(st->ctx));
		ret = 0;
		goto out;
	}
	rc = client_open(st, &x, &c);
	opened = 1;
	if (!rc)
		rc = c.api->feedback(&c, &e, !strcmp(json_string_value(json_object_get(d,
				"verdict")) ? json_string_value(json_object_get(d, "verdict")) : "",
				"confirm"), reason);
	if (!rc) {
		ret = 1;
		goto out;
	}
	snprintf(err, errcap, "%s", vigil_errmsg(st->ctx));
	/* Retried: no answer, 408, 429, 5xx (the call sets a state, so a
	 * repeat is harmless). Anything else (a refused request, no key, not
	 * a record of the API) would fail again. */
	if (rc == VIGIL_EIO && (c.http.status == 0 || c.http.status == 408 ||
				c.http.status == 429 || c.http.status >= 500))
		ret = 0;
out:
	if (opened)
		client_close(&c);
	json_decref(body);
	return ret;
}
