/* vigil/exchange.h — hash lists fetched from sharing services (part of
 * vigil.h; do not include directly).
 *
 * An exchange is a configured source of one bank: NCMEC's hash-sharing API,
 * StopNCII, Meta's ThreatExchange or Tech Against Terrorism's TCAP. A fetch
 * takes what changed since the stored checkpoint and commits each page of
 * records together with the checkpoint it reached, so a crash resumes where
 * the last commit left off. docs/exchanges.md describes each API. */
#ifndef VIGIL_EXCHANGE_H
#define VIGIL_EXCHANGE_H

#define VIGIL_XCH_STATE_MAX 8192 /* a checkpoint's JSON text */

typedef enum vigil_exchange_api {
	VIGIL_XCH_NCMEC = 0,
	VIGIL_XCH_STOPNCII = 1,
	VIGIL_XCH_THREATEXCHANGE = 2,
	VIGIL_XCH_TCAP = 3,
	VIGIL_XCH_VIGIL = 4,  /* another vigil's published bank (the feed) */
	VIGIL__XCH_END
} vigil_exchange_api;

const char *vigil_exchange_api_name(int api); /* "ncmec", ...; never NULL */
int vigil_exchange_api_parse(const char *name); /* -1 if unknown */

/* One configured exchange and its progress. */
typedef struct vigil_exchange {
	int64_t id;
	char name[VIGIL_NAME_MAX + 1];       /* bank-name rule */
	int api;                             /* vigil_exchange_api */
	char bank[VIGIL_NAME_MAX + 1];       /* where its entries go */
	char settings[VIGIL_TEXT_MAX + 1];   /* JSON object: url, page_size, ... */
	char credentials[VIGIL_TEXT_MAX + 1]; /* "env:NAME" or "file:PATH": a
						 reference, never the secret */
	int enabled;
	char checkpoint[VIGIL_XCH_STATE_MAX + 1]; /* the API's JSON, or "" */
	int64_t generation;    /* bumped by a full refetch; items of older
				  generations are removed when it completes */
	int full;              /* a full refetch is under way */
	int up_to_date;        /* the last fetch reached the end */
	char last_error[VIGIL_TEXT_MAX + 1];
	int64_t last_attempt;  /* unix seconds, 0 if never */
	int64_t last_success;  /* unix seconds, 0 if never */
	int64_t fetched;       /* records received, in all */
	int64_t skipped;       /* hashes that no matcher can use, in all */
	int64_t errors;        /* failed fetches, in all */
	int64_t items;         /* records currently held */
} vigil_exchange;

/* Adds an exchange; the bank is created if missing. settings may be NULL
 * ("{}"); credentials must be "env:NAME" or "file:PATH". VIGIL_EEXIST if
 * the name is taken. */
int vigil_exchange_add(vigil_store *st, const char *name, int api,
		       const char *bank, const char *settings,
		       const char *credentials);
int vigil_exchange_get(vigil_store *st, const char *name, vigil_exchange *out);
/* All exchanges, by name; *out is the caller's: free() it. */
int vigil_exchange_list(vigil_store *st, vigil_exchange **out, size_t *n);
int vigil_exchange_set_enabled(vigil_store *st, const char *name, int enabled);
/* Deletes the exchange and its record of what it fetched; the bank and its
 * entries stay. */
int vigil_exchange_delete(vigil_store *st, const char *name);

typedef struct vigil_exchange_fetch_opts {
	int max_pages;          /* stop after this many pages (0: no limit);
				   the next fetch resumes */
	int full;               /* start a full refetch now */
	vigil_matcher *matcher; /* if not NULL: kept current as pages commit */
	vigil_ctx *matcher_ctx; /* errors of the matcher (default: the store's) */
	void (*on_page)(void *user, const vigil_exchange *x); /* after a commit */
	void *user;
	/* If not NULL: the fetch holds lease "exchange:NAME" for this owner
	 * (vigil_store_lease): taken before the first request, renewed
	 * for lease_ttl seconds inside every page's transaction, released at
	 * the end. VIGIL_EEXIST if another owner holds it; a page whose
	 * renewal finds the lease taken over is not committed
	 * (VIGIL_EABORTED). */
	const char *lease_owner;
	int64_t lease_ttl;      /* seconds (default 300) */
} vigil_exchange_fetch_opts;

typedef struct vigil_exchange_stats {
	int64_t pages;    /* pages committed */
	int64_t records;  /* records received */
	int64_t added;    /* entries added */
	int64_t removed;  /* entries removed (updates, deletes, vanished) */
	int64_t skipped;  /* unusable hashes */
	int64_t retries;  /* HTTP requests retried */
	int up_to_date;   /* the fetch reached the end */
} vigil_exchange_stats;

/* Fetches exchange `name` from its checkpoint until the API says it is up
 * to date (or opts->max_pages). Pages commit in batches (big pages are
 * grouped up to 100,000 records or 5 s), each atomically with the
 * checkpoint after its last page. A failure keeps what was committed, records the error
 * (without credentials) on the exchange, and is returned. opts and stats
 * may be NULL. */
int vigil_exchange_fetch(vigil_store *st, const char *name,
			 const vigil_exchange_fetch_opts *opts,
			 vigil_exchange_stats *stats);

/* ------------------------------------------ the local exchange (feed)
 *
 * A bank published as a feed logs its entries (as they are when
 * published) and every later add, update and delete; GET /v1/feed/{bank}
 * of vigil serve pages through that log, and another vigil fetches it as
 * an exchange with api "vigil" (docs/exchanges.md). Both backends. */
int vigil_feed_publish(vigil_store *st, const char *bank, int on);
int vigil_feed_published(vigil_store *st, const char *bank, int *on);
/* The page after sequence number `after` (at most limit records, 0: 1000,
 * capped at 10000) as JSON text (*json: free()). VIGIL_ENOENT if the bank
 * is missing or not published. */
int vigil_feed_page(vigil_store *st, const char *bank, int64_t after, int64_t floor_seen,
		    size_t limit, char **json);
/* ... and VIGIL_EABORTED if a compaction dropped deletes the fetcher may
 * not have seen: after (> 0) is below the feed's floor and the floor rose
 * past floor_seen (the "floor" of the fetcher's last page; a full pass
 * learns it from its page after 0). It must start again from 0 (the
 * route answers 410 stale_checkpoint). */

/* Compacts a published bank's log: of each entry only its latest row is
 * kept, and a latest row that is a delete only while it is younger than
 * keep_deletes seconds (at least; up to twice that, as compaction marks
 * the log's end once per window). The highest seq of a dropped delete
 * becomes the feed's floor (*floor). *removed (may be NULL): rows
 * dropped. keep_deletes < 0 only reads the floor. Both backends. */
int vigil_feed_compact(vigil_store *st, const char *bank, int64_t keep_deletes,
		       int64_t *removed, int64_t *floor);

/* Feed signing. The publisher's key is an Ed25519 seed of 32 bytes (a
 * file in vigil_master_key_load's format, 0600: server setting
 * feed_key_file). A page's signature (header Vigil-Feed-Signature, 128
 * hex digits) is Ed25519ph over "vigil-feed-v1" NUL bank NUL after (in
 * decimal) NUL body: bound to the feed and the cursor it answers. */
#define VIGIL_FEED_SIG_HEX 128
#define VIGIL_FEED_SIG_HEADER "Vigil-Feed-Signature"
void vigil_feed_pubkey(const uint8_t seed[32], uint8_t pk[32]);
int vigil_feed_sign(const uint8_t seed[32], const char *bank, int64_t after,
		    const char *body, size_t len, char sig_hex[VIGIL_FEED_SIG_HEX + 1]);
/* VIGIL_OK if sig_hex is pk's signature of that page, else VIGIL_ECORRUPT. */
int vigil_feed_verify(const uint8_t pk[32], const char *bank, int64_t after,
		      const char *body, size_t len, const char *sig_hex);

/* ------------------------------------------------ feedback, queued
 *
 * A verdict becomes a row of the durable outbox (vigil/pipeline.h), type
 * VIGIL_XCH_FEEDBACK_EVENT, target url "exchange:NAME", committed with
 * whatever caused it; vigil_outbox_deliver (the thread of vigil serve)
 * sends it with vigil_exchange_feedback's request, credentials read at
 * each attempt (never stored), and retries 429/5xx/transport failures with
 * the outbox's backoff until webhook_max_age: each API's feedback call
 * sets a state (NCMEC's PUT of this member's vote, StopNCII's feedback
 * value of this platform for a hash, a ThreatExchange reaction), so a
 * repeat after a lost answer changes nothing. Other 4xx fail at once. */
#define VIGIL_XCH_FEEDBACK_EVENT "exchange.feedback"

/* Queues a verdict on entry entry_id of exchange name's bank (checked as
 * vigil_exchange_feedback does, without a request). The row carries the
 * entry as it is now (a later delete of the entry does not lose it).
 * event_id may be NULL. */
int vigil_exchange_feedback_queue(vigil_store *st, const char *name,
				  int64_t entry_id, int positive,
				  const char *reason,
				  char event_id[VIGIL_EVENT_ID_LEN + 1]);
/* Queues a verdict for every enabled exchange with a feedback API whose
 * bank holds entry_id (a reviewer's decision on a match); *queued counts
 * the rows (may be NULL). An entry of no exchange's bank queues none. */
int vigil_exchange_feedback_for_entry(vigil_store *st, int64_t entry_id,
				      int positive, size_t *queued);
/* Sends the queued feedback of exchange name that is due now (the CLI's
 * way, without a server). */
int vigil_exchange_feedback_deliver(vigil_store *st, const char *name,
				    vigil_deliver_stats *stats);
/* The queued and sent feedback of exchange name, newest first, at most
 * max: outbox rows (vigil_events_free). */
int vigil_exchange_feedback_list(vigil_store *st, const char *name, size_t max,
				 vigil_event **out, size_t *n);

/* How many of exchange name's queued verdicts are pending, sent and
 * failed (counts[VIGIL_OUTBOX_PENDING], [.._DELIVERED], [.._FAILED]). */
int vigil_exchange_feedback_counts(vigil_store *st, const char *name, int64_t counts[3]);

/* Sends a reviewer's verdict on entry entry_id (of the exchange's bank)
 * back to the service: NCMEC an up/down vote (PUT .../feedback; a downvote
 * needs reason, a reason GUID, unless the service lists exactly one),
 * StopNCII SubmitFeedback (Blocked / NotBlocked; needs the third key of the
 * credentials), ThreatExchange a HELPFUL / NOT_HELPFUL reaction on each of
 * the record's descriptors. TCAP has no feedback API (VIGIL_EINVAL). Not
 * retried: the request may have been applied. */
int vigil_exchange_feedback(vigil_store *st, const char *name, int64_t entry_id,
			    int positive, const char *reason);

#endif
