/* exchange_int.h — what the exchange driver (exchange.c) and the API
 * clients (ncmec.c, stopncii.c, threatexchange.c, tcap.c) share. */
#ifndef VIGIL_EXCHANGE_INT_H
#define VIGIL_EXCHANGE_INT_H

#include "../core/core.h"

#define XCH_MAX_BODY ((size_t)64 << 20) /* one response */
#define XCH_MAX_HASHES 8                /* usable hashes of one record */
#define XCH_MAX_TERMS 16                /* text terms of one record (a TREND_QUERY's) */
#define XCH_TERM_BYTES 1024             /* ... and their bytes, NULs included */
#define XCH_SECRET_MAX 4096             /* a credential's text */
#define XCH_URL_MAX 4096
#define XCH_TRIES 5                     /* one try + four retries, as pytx */
#define XCH_MAX_RETRY_AFTER 300         /* seconds; longer waits fail */
#define XCH_FEED_SIG_MAX 160            /* a Vigil-Feed-Signature value */

/* A growable response body, NUL-terminated. */
typedef struct xbuf {
	char *p;
	size_t n, cap;
} xbuf;

/* One HTTP connection to a service, with pytx's retry rules: GETs retry
 * on 429 and 5xx (and on transport errors) with backoff 0, 0.4, 0.8,
 * 1.6 s, or the Retry-After the server sent; POST and PUT never retry. */
typedef struct xhttp {
	void *curl;       /* CURL * */
	vigil_ctx *ctx;
	long timeout_s;   /* per request */
	int64_t retries;  /* requests retried, in all */
	long status;      /* of the last response */
	xbuf body;        /* of the last response */
	char feed_sig[XCH_FEED_SIG_MAX + 1]; /* its Vigil-Feed-Signature, or "" */
} xhttp;

int vigil__xhttp_init(xhttp *h, vigil_ctx *ctx, long timeout_s);
void vigil__xhttp_free(xhttp *h);
/* Sends one request. hdrs: NULL-terminated header lines (may be NULL);
 * body: NULL for GET. The response lands in h->status and h->body. A
 * status outside 2xx, after retries, is VIGIL_EIO with a message naming
 * the method, the URL without its query (which may hold a token) and the
 * status. what names the service in messages. */
int vigil__xhttp(xhttp *h, const char *what, const char *method,
		 const char *url, const char *const *hdrs, const char *body);
/* url with its query and fragment cut, for messages. */
void vigil__xurl_display(const char *url, char *out, size_t cap);
/* Whether url has the scheme, host and port of base (a service's own
 * paging links must not send its credentials elsewhere). */
int vigil__xurl_same_origin(const char *base, const char *url);

/* One fetched record: a key unique in the exchange, and either a delete or
 * the hashes it carries. */
typedef struct xrec {
	char key[VIGIL_TEXT_MAX + 1];      /* also the entries' source_ref */
	int del;                           /* remove key */
	int n;                             /* usable hashes */
	struct {
		int type;                  /* vigil_hash_type */
		uint8_t value[32];
		int quality;
	} h[XCH_MAX_HASHES];
	int skipped;                       /* hashes no matcher can use */
	char meta[VIGIL_META_MAX + 1];     /* JSON object, for the entries */
	int nterms;                        /* text signals (xtext.c) */
	uint8_t tmode[XCH_MAX_TERMS];      /* vigil_term_mode of each */
	char terms[XCH_TERM_BYTES];        /* the terms, each NUL-terminated */
	char category[VIGIL_CATEGORY_MAX + 1]; /* of every term */
	int severity;
} xrec;

/* One page of a fetch: its records, in order (a later one replaces an
 * earlier one with the same key), and the checkpoint after it. */
typedef struct xpage {
	xrec *recs;
	size_t n, cap;
	char checkpoint[VIGIL_XCH_STATE_MAX + 1];
	int done;                          /* the API has nothing more */
	int skipped_records;               /* records dropped as malformed */
	int stale;                         /* the service calls the checkpoint
					      too old: refetch everything */
} xpage;

/* Appends a blank record (or NULL, out of memory). */
xrec *vigil__xpage_add(xpage *p);
void vigil__xpage_reset(xpage *p);
void vigil__xpage_free(xpage *p);

/* Parses a hex string of the right length for type into r's next slot
 * (lower- or upper-case); 0 if it was added, -1 if malformed. */
int vigil__xrec_hash(xrec *r, int type, const char *hex, int quality);
/* Serialises a jansson object into r->meta (truncated objects are dropped
 * to "{}" rather than cut mid-text). Steals obj. */
void vigil__xrec_meta(xrec *r, void *json_obj);
/* The same text written directly, without building a jansson object (a
 * page has thousands of records): keys must be added in sorted order, as
 * JSON_SORT_KEYS would, and strings must be valid UTF-8 (as jansson's
 * loaders check). An object that does not fit becomes "{}". */
typedef struct xmeta {
	char p[VIGIL_META_MAX + 1];
	size_t n;
	int over;
} xmeta;
void vigil__xmeta_begin(xmeta *b);
void vigil__xmeta_str(xmeta *b, const char *key, const char *val);
void vigil__xmeta_int(xmeta *b, const char *key, long long val);
void vigil__xmeta_end(xmeta *b, xrec *r);

/* Text signals (xtext.c). vigil__xrec_text reads a ThreatExchange text
 * indicator (TEXT_STRING, TREND_QUERY, URI, RAW_URI) of type into r's
 * terms, category and severity from the descriptors' tags and statuses
 * (json_t * arrays of strings): 0 if r now holds terms, 1 if type is no
 * text type, -1 if the indicator cannot be used (r->skipped counts it);
 * a record every descriptor calls NON_MALICIOUS becomes a delete. */
int vigil__xrec_text(xrec *r, const char *type, const char *indicator, void *tags,
		     void *statuses);
/* Applies record r to text bank b inside the page's transaction: the
 * terms an earlier version of the record brought go, r's terms come (with
 * r->key as their source_ref), and r is held in exchange_items (without
 * an entry) so a full refetch can tell what vanished. */
int vigil__xtext_apply(vigil_store *st, const vigil_exchange *x, const vigil_bank *b,
		       const xrec *r, vigil_exchange_stats *s);
/* After a full refetch's sweep of exchange_items: removes the terms of
 * records the refetch did not deliver again. */
int vigil__xtext_sweep(vigil_store *st, const vigil_exchange *x, const vigil_bank *b,
		       vigil_exchange_stats *s);

/* An API client: settings and credentials resolved, one connection. */
typedef struct xclient {
	const struct xapi *api;
	xhttp http;
	vigil_ctx *ctx;
	char base[XCH_URL_MAX];            /* the service's base URL */
	char secret[XCH_SECRET_MAX + 1];   /* the credential text; wiped */
	int page_size;
	void *settings;                    /* json_t *: the settings object */
	char token[XCH_SECRET_MAX + 1];    /* TCAP's session token; wiped */
	int64_t now;                       /* unix seconds at fetch start */
} xclient;

typedef struct xapi {
	const char *name;
	const char *default_base;
	int default_page_size;
	/* Checks the secret's shape before any request. */
	int (*check)(xclient *c);
	/* Fetches the page after checkpoint (""= the first fetch) into p. */
	int (*page)(xclient *c, const char *checkpoint, xpage *p);
	/* Whether a stored checkpoint is too old to resume from. */
	int (*stale)(const char *checkpoint, int64_t now);
	/* Sends a reviewer's verdict on entry e (NULL: the API has none);
	 * reason: NCMEC's reason GUID for a downvote, or NULL. */
	int (*feedback)(xclient *c, const vigil_entry *e, int positive,
			const char *reason);
} xapi;

extern const xapi vigil__xapi_ncmec, vigil__xapi_stopncii,
	vigil__xapi_threatexchange, vigil__xapi_tcap, vigil__xapi_vigil;

/* The response parsers, one per API, also the fuzz targets' entry points:
 * they read a body (len bytes, not necessarily NUL-terminated) into p's
 * records and a few facts the client needs. 0 or VIGIL_ECORRUPT (message
 * on ctx). */
typedef struct xncmec_parsed {
	char next[XCH_URL_MAX];            /* the paging link, or "" */
} xncmec_parsed;
int vigil__ncmec_parse(vigil_ctx *ctx, const char *body, size_t len,
		       const void *settings, xpage *p, xncmec_parsed *out);

typedef struct xstopncii_parsed {
	int64_t next_set_ts;
	int has_more;
	char token[XCH_URL_MAX];
} xstopncii_parsed;
int vigil__stopncii_parse(vigil_ctx *ctx, const char *body, size_t len,
			  xpage *p, xstopncii_parsed *out);

typedef struct xte_parsed {
	int64_t max_updated;
	char next[XCH_URL_MAX];
} xte_parsed;
int vigil__te_parse(vigil_ctx *ctx, const char *body, size_t len, xpage *p,
		    xte_parsed *out);

typedef struct xtcap_parsed {
	char checkpoint[256];
	char next[XCH_URL_MAX];
} xtcap_parsed;
int vigil__tcap_parse(vigil_ctx *ctx, const char *body, size_t len, xpage *p,
		      xtcap_parsed *out);

/* The local exchange's feed page (vigilfeed.c). */
int vigil__vigil_parse(vigil_ctx *ctx, const char *body, size_t len, xpage *p,
		       int64_t *next_after, int *more);

/* Sends one queued feedback row (VIGIL_XCH_FEEDBACK_EVENT) for the
 * outbox: 1 sent, 0 worth retrying, -1 never succeeds; err says why
 * (without secrets). */
int vigil__xfeedback_send(vigil_store *st, const vigil_event *e, char *err,
			  size_t errcap);

#endif
