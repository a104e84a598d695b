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

typedef int (*vigil__entry_cb)(void *user, const vigil_entry *e);
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
	/* Bulk import, optional (NULL: the import adds rows with entry_add).
	 * Inside a transaction, entry_stage queues r for bank_id (no id is
	 * given back) and entry_stage_flush adds every queued row the bank
	 * does not already have, setting *added to how many it added (the
	 * rest were duplicates). PostgreSQL: COPY into a staging table, then
	 * one INSERT … ON CONFLICT DO NOTHING. */
	int (*entry_stage)(vigil_store *st, int64_t bank_id, const vigil__rec *r);
	int (*entry_stage_flush)(vigil_store *st, uint64_t *added);
	/* The change log (vigil/store.h), optional: NULL where one process
	 * owns the store. */
	int (*changes_head)(vigil_store *st, int64_t *seq);
	int (*changes_scan)(vigil_store *st, int64_t since, size_t max,
			    vigil_change_cb cb, void *user, int64_t *last);
	int (*changes_wait)(vigil_store *st, int timeout_ms);
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
};

extern const vigil__store_ops vigil__store_sqlite;
extern const vigil__store_ops vigil__store_postgres;

/* Appends the elements of the JSON array text add (or add itself, if it
 * is not an array) to the array text old ("" or NULL: []); NULL if either
 * is not valid JSON. The result is the caller's: free(). */
char *vigil__json_concat(const char *old, const char *add);

/* Validates a bank name: 1..VIGIL_NAME_MAX of [A-Za-z0-9._-]. */
int vigil__bank_name_ok(const char *name);

#endif
