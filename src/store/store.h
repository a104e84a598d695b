/* store.h — the storage backend interface. A backend fills a versioned
 * table of operations; store.c validates arguments and dispatches, so a
 * backend only ever sees well-formed input. */
#ifndef VIGIL_STORE_INT_H
#define VIGIL_STORE_INT_H

#include "../core/core.h"

#define VIGIL__STORE_OPS_VERSION 1

/* A parsed record of a hash list, ready to be stored. */
typedef struct vigil__rec {
	int type;                            /* vigil_hash_type */
	uint8_t value[32];                   /* the hash */
	int quality;                         /* or -1 */
	char source_ref[VIGIL_TEXT_MAX + 1]; /* the list's id for it, or "" */
	char metadata[VIGIL_META_MAX + 1];   /* JSON object text, or "" */
	int frame;                           /* vPDQ: frame number */
	double seconds;                      /* vPDQ: timestamp */
} vigil__rec;

/* One row of an exchange page for xpage_take: a record's key and one of
 * its hashes (type -1: none; value then unused). */
typedef struct vigil__xrow {
	const char *key;
	int type;
	const uint8_t *value;
	int del;                             /* the record is a delete */
} vigil__xrow;

/* A stored vPDQ frame, as scan_frames reports it. */
typedef struct vigil__frame {
	int64_t id;        /* unique among frames */
	int64_t entry_id;  /* the video entry */
	int64_t bank_id;
	int frame;
	int quality;
	uint8_t hash[32];
	double seconds;
} vigil__frame;

/* A stored term of a text bank (src/text/bank.c). The strings are the
 * backend's until the callback returns. */
typedef struct vigil__term_row {
	int64_t id;
	int64_t bank_id;
	const char *term;
	const char *category;
	int severity;
	int mode;      /* vigil_term_mode */
	uint64_t line; /* line of the imported file, 0 if none */
	const char *source_ref; /* the exchange record that brought it
				   ("TYPE:indicator"), or ""/NULL */
} vigil__term_row;

typedef int (*vigil__entry_cb)(void *user, const vigil_entry *e);
typedef int (*vigil__term_cb)(void *user, const vigil__term_row *t);
typedef int (*vigil__frame_cb)(void *user, const vigil__frame *f);

/* Backends fill this with designated initializers (.name = fn), so ops can
 * be added anywhere; one a backend lacks stays NULL and every call site
 * answers VIGIL_EINVAL for it (NEED_OP in store.c). */
typedef struct vigil__store_ops {
	int version;        /* VIGIL__STORE_OPS_VERSION */
	const char *scheme; /* "sqlite" */
	int (*open)(vigil_store *st, const char *path);
	void (*close)(vigil_store *st);
	int (*bank_create)(vigil_store *st, const char *name, const char *desc,
			   const char *labels, vigil_bank *out);
	int (*bank_get)(vigil_store *st, const char *name, vigil_bank *out);
	int (*bank_list)(vigil_store *st, vigil_bank **out, size_t *n);
	int (*bank_set_enabled)(vigil_store *st, const char *name, int enabled);
	int (*bank_delete)(vigil_store *st, const char *name);
	int (*entry_get)(vigil_store *st, int64_t id, vigil_entry *out);
	/* One writing transaction at a time, for imports. */
	int (*begin)(vigil_store *st);
	int (*commit)(vigil_store *st);
	int (*rollback)(vigil_store *st);
	/* Adds r to the bank; *id = its new id, or 0 if the bank already had
	 * (type, value). */
	int (*entry_add)(vigil_store *st, int64_t bank_id, const vigil__rec *r,
			 int64_t *id);
	/* Sets a (vPDQ) entry's value once its frames are known; VIGIL_EEXIST
	 * if the bank already has that value. */
	int (*entry_set_value)(vigil_store *st, int64_t id, const uint8_t *value);
	int (*entry_delete)(vigil_store *st, int64_t id);
	int (*frame_add)(vigil_store *st, int64_t entry_id, const vigil__rec *r);
	/* Entries of one bank (bank_id > 0) or of all enabled banks (0), in id
	 * order; a non-zero return from cb stops the scan and is returned. */
	int (*scan)(vigil_store *st, int64_t bank_id, vigil__entry_cb cb, void *user);
	/* The same over enabled banks, filling only id, bank_id, type, value
	 * and quality (what a matcher loads; the text columns stay unread). */
	int (*scan_hashes)(vigil_store *st, vigil__entry_cb cb, void *user);
	int (*scan_frames)(vigil_store *st, int64_t bank_id, int64_t entry_id,
			   vigil__frame_cb cb, void *user);
	int (*evidence_add)(vigil_store *st, vigil_evidence *ev);
	int (*evidence_list)(vigil_store *st, int64_t since_id, size_t max,
			     vigil_evidence **out, size_t *n);
	/* See vigil_store_set_lock_wait. */
	int (*set_lock_wait)(vigil_store *st, int64_t timeout_ms,
			     vigil_store_wait_cb cb, void *user);
	/* Pipeline (vigil/pipeline.h). Policies are read with policy_scan
	 * (below). */
	int (*policy_put)(vigil_store *st, int64_t bank_id, const char *json);
	int (*quarantine_add)(vigil_store *st, const vigil_quarantine *q);
	int (*quarantine_remove)(vigil_store *st, int64_t entry_id);
	int (*quarantine_list)(vigil_store *st, vigil_quarantine **out, size_t *n);
	int (*case_open)(vigil_store *st, const vigil_case_new *c, int64_t *id,
			 int *joined);
	int (*case_get)(vigil_store *st, int64_t id, vigil_case *out);
	/* e->body, event_id, type, url, secret_ref, created_ms are set;
	 * fills e->id. */
	int (*outbox_add)(vigil_store *st, vigil_event *e);
	/* state >= 0: list that state newest first; state < 0: pending rows
	 * due at now_ms, oldest first. */
	int (*outbox_select)(vigil_store *st, int state, int64_t now_ms,
			     size_t max, vigil_event **out, size_t *n);
	int (*outbox_update)(vigil_store *st, int64_t id, int state, int attempts,
			     int64_t next_ms, const char *last_error);
	int (*outbox_counts)(vigil_store *st, int64_t counts[3]);
	int (*in_transaction)(vigil_store *st);
	/* Every bank's id, name and stored policy JSON (NULL if none), by id,
	 * in one query: what a decision needs, without counting entries. */
	int (*policy_scan)(vigil_store *st,
			   int (*cb)(void *user, int64_t bank_id, const char *name,
				     const char *json),
			   void *user);
	int (*bank_update)(vigil_store *st, const char *name, const char *desc,
			   const char *labels);
	/* The service's keys and audit trail (vigil/service.h). */
	int (*key_add)(vigil_store *st, const char *name, const uint8_t *digest,
		       unsigned roles, int64_t rate_limit, vigil_key *out);
	int (*key_list)(vigil_store *st, vigil_key **out, size_t *n);
	int (*key_revoke)(vigil_store *st, const char *name);
	int (*key_touch)(vigil_store *st, const char *name, int64_t when);
	int (*audit_append)(vigil_store *st, vigil_audit *a);
	int (*audit_scan)(vigil_store *st, int64_t since_id, size_t max,
			  vigil_audit_cb cb, void *user);
	/* Edits for the service (vigil/store.h). */
	int (*bank_rename)(vigil_store *st, const char *name, const char *new_name);
	int (*entry_set_metadata)(vigil_store *st, int64_t id, const char *metadata);
	int (*entry_type_stats)(vigil_store *st, int type, int64_t *count,
				int64_t *newest);
	/* Review (vigil/review.h): arguments validated by src/store/review.c. */
	int (*case_list)(vigil_store *st, int state, int64_t now, size_t max,
			 vigil_case **out, size_t *n);
	int (*case_review_get)(vigil_store *st, int64_t id, int64_t now,
			       vigil_case_review *out);
	int (*case_claim)(vigil_store *st, int64_t id, const char *who, int admin,
			  int64_t now, int64_t ttl, vigil_case_review *out);
	int (*case_decide)(vigil_store *st, int64_t id, const char *who, int decision,
			   const char *classification, const char *annotations,
			   const char *note, int64_t now);
	int (*case_media_add)(vigil_store *st, const vigil_case_media *m, int *n);
	int (*case_media_get)(vigil_store *st, int64_t case_id, int n,
			      vigil_case_media *out);
	int (*case_media_count)(vigil_store *st, int64_t case_id, int *n);
	int (*case_media_list)(vigil_store *st, int64_t case_id, vigil_case_media *out,
			       int cap, int *n);
	int (*reveal_add)(vigil_store *st, int64_t case_id, int n, const char *who,
			  int64_t when);
	int (*reveal_count)(vigil_store *st, const char *who, int64_t case_id,
			    int64_t since, int64_t *count);
	/* People and sessions (vigil/people.h). */
	int (*person_add)(vigil_store *st, const char *name, unsigned roles,
			  const char *pwhash);
	int (*person_get)(vigil_store *st, const char *name, vigil_person *out);
	int (*person_login_result)(vigil_store *st, const char *name, int ok,
				   int64_t now, int max_fail, int64_t lock_seconds);
	int (*session_add)(vigil_store *st, const vigil_session *s);
	int (*session_get)(vigil_store *st, const uint8_t *digest, vigil_session *out);
	int (*session_set)(vigil_store *st, const uint8_t *digest, int64_t now, int end);
	int (*view_prefs_get)(vigil_store *st, const char *name, vigil_view_prefs *out);
	int (*view_prefs_put)(vigil_store *st, const char *name, const vigil_view_prefs *p);
	/* The audit chain's head (id 0 and zero hash when empty) and its
	 * signed checkpoints (src/store/audit.c). */
	int (*audit_head)(vigil_store *st, int64_t *id, uint8_t hash[32]);
	int (*audit_checkpoint_add)(vigil_store *st, vigil_audit_checkpoint *cp);
	int (*audit_checkpoint_list)(vigil_store *st, vigil_audit_checkpoint **out,
				     size_t *n);
	/* Hotline reports (vigil/report.h; src/report/). */
	int (*report_draft)(vigil_store *st, int64_t case_id, int64_t now, int64_t *id);
	int (*report_get)(vigil_store *st, int64_t id, vigil_report *out);
	int (*report_list)(vigil_store *st, vigil_report **out, size_t *n);
	int (*report_put)(vigil_store *st, const vigil_report *r);
	int (*reveal_count_item)(vigil_store *st, int64_t case_id, int n, int64_t *count);
	/* Filing inside vigil serve and the deadline alert (vigil/report.h,
	 * src/report/work.c; reports.work* columns) and a case's incident
	 * type (case_review.incident_type). */
	int (*report_work_get)(vigil_store *st, int64_t id, vigil_report_work *out);
	int (*report_work_set)(vigil_store *st, const vigil_report_work *w);
	int (*report_work_due)(vigil_store *st, int64_t now, int64_t *ids, size_t max,
			       size_t *n);
	int (*report_overdue)(vigil_store *st, int64_t before, int64_t *ids, size_t max,
			      size_t *n, int64_t *total);
	int (*report_overdue_mark)(vigil_store *st, int64_t id, int64_t now);
	int (*case_incident_set)(vigil_store *st, int64_t case_id, const char *type);
	int (*case_incident_get)(vigil_store *st, int64_t case_id, char *out, size_t cap);
	/* Exchanges (vigil/exchange.h). xch_save writes the progress fields
	 * and enabled. xitem_take removes a record's item rows and returns
	 * their entry ids (*ids: vigil__free); xitem_sweep does the same for
	 * every row of a generation below gen. */
	int (*xch_add)(vigil_store *st, vigil_exchange *x);
	int (*xch_get)(vigil_store *st, const char *name, vigil_exchange *out);
	int (*xch_list)(vigil_store *st, vigil_exchange **out, size_t *n);
	int (*xch_save)(vigil_store *st, const vigil_exchange *x);
	int (*xch_delete)(vigil_store *st, const char *name);
	int (*xitem_take)(vigil_store *st, int64_t xid, const char *key,
			  int64_t **ids, size_t *n);
	int (*xitem_sweep)(vigil_store *st, int64_t xid, int64_t gen,
			   int64_t **ids, size_t *n);
	int (*xitem_link)(vigil_store *st, int64_t xid, const char *key,
			  int64_t entry_id, int64_t gen);
	/* Evidence preservation (vigil/evidence.h; src/evidence/): items
	 * with their wrapped data key kept apart (pres_keys), legal holds.
	 * pres_add: *id 0 if (report, kind, n) is kept
	 * already. pres_list: one item (id > 0), one report's (report_id >
	 * 0) or all. pres_blob: the wrapped key and the rest of the sealed
	 * blob (both malloc'd: free()); VIGIL_ENOENT once deleted.
	 * pres_hold_release: *item_id = the hold's item. pres_shred: removes
	 * the key row and the ciphertext (and a file item's case_media row)
	 * unless a hold is active (VIGIL_EABORTED); pres_flush truncates the
	 * WAL so freed pages are not kept there (SQLite; NULL on PostgreSQL). */
	int (*pres_add)(vigil_store *st, const vigil_preserved_item *it,
			const uint8_t *key, size_t keylen, const uint8_t *body,
			size_t bodylen, int64_t *id);
	int (*pres_list)(vigil_store *st, int64_t id, int64_t report_id,
			 vigil_preserved_item **out, size_t *n);
	int (*pres_blob)(vigil_store *st, int64_t id, uint8_t **key, size_t *keylen,
			 uint8_t **body, size_t *bodylen);
	int (*pres_hold_add)(vigil_store *st, int64_t item_id, const char *reason,
			     const char *who, int64_t now, int64_t *hold_id);
	int (*pres_hold_release)(vigil_store *st, int64_t hold_id, const char *who,
				 int64_t now, int64_t *item_id);
	int (*pres_holds)(vigil_store *st, int64_t item_id, vigil_legal_hold **out,
			  size_t *n);
	int (*pres_shred)(vigil_store *st, int64_t id, int64_t now);
	int (*pres_flush)(vigil_store *st);
	/* Exchanges, session 3 (shared hashes, the feedback listing).
	 * xitem_release: after a record's rows were taken, whether another
	 * record still holds entry id (*held = 1; the entry's source_ref then
	 * names that record). */
	int (*xitem_release)(vigil_store *st, int64_t entry_id, int *held);
	/* An exchange page applied set-based (issue 13), in the page's
	 * transaction, in this order: xpage_take stages rows[0..n) (one
	 * record key each, its last occurrence in the page; a record without
	 * a usable hash, or a delete, has one row of type -1), notes per row
	 * whether its (bank, type, value) entry is held by a record outside
	 * this page (shared: link it), by none (a local import: leave it),
	 * or by this page's keys only (it is dropped next and added again),
	 * then removes the keys' item rows and gives back their non-zero
	 * entry ids (*ids: vigil__free; the caller drops those no longer
	 * held). The caller then stages the rows' entries (entry_stage,
	 * entry_stage_flush). xpage_link links every non-delete row to its
	 * entry (a row whose only entry is a local import's, or without a
	 * hash, holds entry 0) under generation gen and, if added is not
	 * NULL, gives back the entries this page added (*added:
	 * vigil__free), in id order. */
	int (*xpage_take)(vigil_store *st, int64_t xid, int64_t bank_id,
			  const vigil__xrow *rows, size_t n, int64_t **ids, size_t *nids);
	int (*xpage_link)(vigil_store *st, int64_t xid, int64_t bank_id, int64_t gen,
			  vigil_entry **added, size_t *nadded);
	/* xch_get without the item count (items = 0), which scans the
	 * exchange's items: what a fetch reads before each batch. */
	int (*xch_peek)(vigil_store *st, const char *name, vigil_exchange *out);
	/* Outbox rows of one target url (any state), newest first. */
	int (*outbox_by_url)(vigil_store *st, const char *url, size_t max,
			     vigil_event **out, size_t *n);
	/* A bank published as an exchange feed (the local "vigil" API):
	 * feed_publish on = 1 logs the bank's entries as adds (once) and
	 * every later add, update and delete of them (triggers, table
	 * feed_log); on = 0 stops and forgets the log; on = -1 only reads
	 * the state into *state. feed_scan calls cb for up to max log rows
	 * after seq `after`, oldest first; e is NULL for a delete (or an add
	 * whose entry is gone since). */
	int (*feed_publish)(vigil_store *st, int64_t bank_id, int on, int *state);
	/* vigil_feed_compact (vigil/exchange.h) on bank_id's log, at unix time
	 * now, in one transaction; keep_deletes < 0 only reads *floor. The
	 * state is in feeds(floor, mark_seq, mark_at): deletes at or below
	 * mark_seq, marked at least keep_deletes ago, may go. */
	int (*feed_compact)(vigil_store *st, int64_t bank_id, int64_t keep_deletes,
			    int64_t now, int64_t *removed, int64_t *floor);
	int (*feed_scan)(vigil_store *st, int64_t bank_id, int64_t after, size_t max,
			 int (*cb)(void *user, int64_t seq, int64_t entry_id,
				   const vigil_entry *e),
			 void *user);
	/* Bulk import, optional (NULL: the import adds rows with entry_add).
	 * Inside a transaction, entry_stage queues r for bank_id (no id is
	 * given back) and entry_stage_flush adds every queued row the bank
	 * does not already have, setting *added to how many it added (the
	 * rest were duplicates). Rows staged and not flushed are dropped at
	 * commit and rollback. SQLite: an external sort of its own read by
	 * one INSERT … SELECT (src/store/sqlite_bulk.c), one change-log row
	 * per flush. PostgreSQL: COPY into a staging table, then one
	 * INSERT … ON CONFLICT DO NOTHING. */
	int (*entry_stage)(vigil_store *st, int64_t bank_id, const vigil__rec *r);
	int (*entry_stage_flush)(vigil_store *st, uint64_t *added);
	/* Text banks (vigil/text.h, src/text/bank.c): text_bank_mark makes a
	 * bank a text bank (again: no-op); text_bank_ids lists them (*ids:
	 * vigil__free); text_term_add adds a term (*id = 0 if the bank already
	 * has that term in that mode); text_term_scan walks the terms of one
	 * bank (bank_id > 0) or of every enabled text bank (0), in id order. */
	int (*text_bank_mark)(vigil_store *st, int64_t bank_id);
	int (*text_bank_ids)(vigil_store *st, int64_t **ids, size_t *n);
	int (*text_term_add)(vigil_store *st, const vigil__term_row *t, int64_t *id);
	int (*text_term_scan)(vigil_store *st, int64_t bank_id, vigil__term_cb cb,
			      void *user);
	/* What the matcher of every enabled text bank was built from: terms,
	 * highest term id, sum of their bank ids (a change moves one). */
	int (*text_sig)(vigil_store *st, int64_t sig[3]);
	/* Deleting terms (src/text/bank.c, src/exchange/xtext.c):
	 * text_term_delete removes term id of bank_id (*n = 1, or 0 if it was
	 * not there); text_ref_delete removes the bank's terms brought by
	 * exchange record source_ref; text_ref_sweep removes the bank's
	 * exchange terms whose record exchange_id no longer holds (no
	 * exchange_items row for it). *n counts the terms removed. */
	int (*text_term_delete)(vigil_store *st, int64_t bank_id, int64_t id, int64_t *n);
	int (*text_ref_delete)(vigil_store *st, int64_t bank_id, const char *source_ref,
			       int64_t *n);
	int (*text_ref_sweep)(vigil_store *st, int64_t bank_id, int64_t exchange_id,
			      int64_t *n);
	/* The change log (vigil/store.h), optional: NULL where one process
	 * owns the store. */
	int (*changes_head)(vigil_store *st, int64_t *seq);
	int (*changes_scan)(vigil_store *st, int64_t since, size_t max,
			    vigil_change_cb cb, void *user, int64_t *last);
	int (*changes_wait)(vigil_store *st, int timeout_ms);
	/* Index snapshots (src/match/snapshot.c): a text naming this store
	 * (not another with the same schema), the change log's floor (every
	 * change after it is in the log) and pruning up to a number. */
	int (*store_identity)(vigil_store *st, char *buf, size_t cap);
	int (*changes_floor)(vigil_store *st, int64_t *floor);
	int (*changes_prune_upto)(vigil_store *st, int64_t upto);
	/* Leases and the change log's window (issue 11, several instances):
	 * see vigil_store_lease and vigil_store_changes_prune. */
	int (*lease)(vigil_store *st, const char *name, const char *owner,
		     int64_t ttl_ms, int *held);
	int (*changes_prune)(vigil_store *st, int64_t keep, int64_t *floor);
	/* Shared work (vigil_work_*, issue 11): video jobs and watched
	 * streams any instance may take over. */
	int (*work_add)(vigil_store *st, const vigil_work *w);
	int (*work_get)(vigil_store *st, const char *id, int with_media, vigil_work *out);
	int (*work_open)(vigil_store *st, const char *kind, size_t max, vigil_work **out,
			 size_t *n);
	int (*work_claim)(vigil_store *st, const char *id, const char *owner,
			  const char *state, int64_t lease_until_ms, int *got);
	int (*work_finish)(vigil_store *st, const char *id, const char *owner,
			   const char *state, const char *result, int *done);
	int (*work_prune)(vigil_store *st, int64_t before_ms, size_t max, size_t *n);
	/* Private matching, E1 server state (vigil/pm.h "server persistence";
	 * src/store/pm_store.c, src/server/route_pm.c). */
	int (*pm_state_put)(vigil_store *st, const uint8_t *state, size_t len);
	int (*pm_state_get)(vigil_store *st, uint8_t **state, size_t *len);
	int (*pm_voucher_add)(vigil_store *st, const char *account, const uint8_t *voucher,
			      size_t len, int64_t now);
	int (*pm_voucher_scan)(vigil_store *st, const char *account,
			       int (*cb)(void *user, const uint8_t *v, size_t len), void *user);
	int (*pm_account_get)(vigil_store *st, const char *account,
			      vigil_pm_account_info *out);
	int (*pm_account_set_matched)(vigil_store *st, const char *account, int64_t matched,
				      int64_t now);
	/* Grooming state per (conversation, author) (vigil/text.h, "Per-pair
	 * state"; src/text/groom_store.c): a 16-byte key, the pair's last
	 * message time (unix s, the caller's clock) and the packed state.
	 * groom_state_get: VIGIL_ENOENT if none, else up to cap bytes into
	 * state; groom_state_put: insert or replace (inside the caller's
	 * transaction when one is open); groom_state_evict: deletes pairs
	 * last seen before `before`, *deleted how many. */
	int (*groom_state_get)(vigil_store *st, const uint8_t *key, uint8_t *state, size_t cap,
			       size_t *len, int64_t *seen);
	int (*groom_state_put)(vigil_store *st, const uint8_t *key, int64_t seen,
			       const uint8_t *state, size_t len);
	int (*groom_state_evict)(vigil_store *st, int64_t before, int64_t *deleted);
} vigil__store_ops;

/* Calls an op a backend may leave NULL (PostgreSQL does not have every
 * op SQLite has yet): an absent op is an error through the store's
 * context, never a NULL call. Every op it wraps returns an int status. */
int vigil__op_missing(vigil_store *st, const char *op);
#define NEED_OP(st, op, ...)                                                   \
	((st)->ops->op ? (st)->ops->op((st), __VA_ARGS__)                      \
		       : vigil__op_missing((st), #op))

struct vigil_store {
	const vigil__store_ops *ops;
	vigil_ctx *ctx;  /* borrowed: where errors are reported */
	void *priv;      /* the backend's state */
	uint8_t seal[32]; /* subkey for sealed columns (src/store/sealed_columns.c) */
	int sealing;      /* whether seal is set */
};

extern const vigil__store_ops vigil__store_sqlite;
extern const vigil__store_ops vigil__store_postgres;

/* Appends the elements of the JSON array text add (or add itself, if it
 * is not an array) to the array text old ("" or NULL: []); NULL if either
 * is not valid JSON. The result is the caller's: free(). */
char *vigil__json_concat(const char *old, const char *add);

/* Runs what follows in the caller's transaction, or in one of its own:
 * *own says which; vigil__end_own commits an own one (rc 0) or rolls it
 * back, and returns rc or the commit's failure. */
int vigil__begin_own(vigil_store *st, int *own);
int vigil__end_own(vigil_store *st, int own, int rc);

/* Sealed columns (src/store/sealed_columns.c). vigil__seal_text: *out (free()) the
 * text to store for column ("reports.xml"...): sealed if the store has a
 * seal key, else a copy; NULL for NULL. vigil__open_text: replaces a
 * sealed *field (vigil__malloc'd) by its plaintext; clear text is left
 * as it is; without a key a sealed field is an error, or with soft set to
 * NULL (a listing that need not show it). vigil__ctx_merge: the contexts
 * to store when a case's stored contexts (or NULL) get add appended:
 * opened, merged, checked against VIGIL_CASE_JSON_MAX, sealed; free(). */
int vigil__is_sealed(const char *text);
int vigil__seal_text(vigil_store *st, const char *column, const char *clear, char **out);
int vigil__open_text(vigil_store *st, const char *column, char **field, int soft);
int vigil__ctx_merge(vigil_store *st, const char *stored, const char *add, char **out);
/* The outbox rows a select returned (rc: the select's status), their
 * bodies opened (src/pipeline/records.c): on any failure the rows are
 * freed and the status returned. */
int vigil__outbox_open(vigil_store *st, int rc, vigil_event **out, size_t *n);

/* Validates a bank name: 1..VIGIL_NAME_MAX of [A-Za-z0-9._-]. */
int vigil__bank_name_ok(const char *name);

#endif
