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
} vigil__store_ops;

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
