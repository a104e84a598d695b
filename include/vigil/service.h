/* vigil/service.h — what the service (vigil serve) keeps in the store: API
 * keys and the audit trail (part of vigil.h; do not include directly).
 *
 * Keys are stored only as the SHA-256 digest of their token; the token
 * itself is shown once, when the key is made, and never stored. Roles are
 * a bit set whose meaning belongs to the service (submit=1, review=2,
 * admin=4, metrics=8). */
#ifndef VIGIL_SERVICE_H
#define VIGIL_SERVICE_H

#define VIGIL_KEY_DIGEST 32 /* SHA-256 of the token */

typedef struct vigil_key {
	int64_t id;
	char name[VIGIL_NAME_MAX + 1];   /* unique, same rule as bank names */
	uint8_t digest[VIGIL_KEY_DIGEST]; /* SHA-256 of the token */
	unsigned roles;                  /* bit set */
	int64_t rate_limit;              /* requests/s; 0 = the server's default */
	int64_t created;                 /* unix seconds */
	int64_t revoked;                 /* unix seconds; 0 = active */
	int64_t last_used;               /* unix seconds; 0 = never */
} vigil_key;

/* Stores a new key. VIGIL_EEXIST if the name is taken (also by a revoked
 * key: names are never reused, so the audit trail stays unambiguous);
 * VIGIL_EINVAL for a bad name or no roles. out may be NULL. */
int vigil_key_add(vigil_store *st, const char *name,
		  const uint8_t digest[VIGIL_KEY_DIGEST], unsigned roles,
		  int64_t rate_limit, vigil_key *out);
/* Every key, revoked ones included, by name. *keys is owned by the caller:
 * free() it. */
int vigil_key_list(vigil_store *st, vigil_key **keys, size_t *n);
/* Revokes a key (keeps the row). VIGIL_ENOENT if there is no such active
 * key. */
int vigil_key_revoke(vigil_store *st, const char *name);
/* Records that a key was used at `when` (unix seconds). */
int vigil_key_touch(vigil_store *st, const char *name, int64_t when);

/* One audit row: who did what to which object, when, from where. The
 * strings are the caller's (append) or the store's, valid during the
 * callback (scan). NULL strings are stored as "". */
typedef struct vigil_audit {
	int64_t id;          /* set by append; increasing */
	int64_t time_ms;     /* unix ms; 0 = now */
	const char *who;     /* a key name, "cli" for the command line */
	const char *role;    /* the roles it acted with, "admin" ... */
	const char *action;  /* "bank.create", "key.revoke", ... */
	const char *object;  /* what it acted on: a bank name, an entry id */
	const char *detail;  /* a JSON object text, or "" */
	const char *source;  /* client IP address, or "" */
} vigil_audit;

#define VIGIL_AUDIT_FIELD_MAX 4096 /* who/role/action/object/source */
#define VIGIL_AUDIT_DETAIL_MAX 65536

/* Appends a row, committed when this returns (a->id and, if 0, a->time_ms
 * are set). VIGIL_EINVAL if a field is over its limit or detail is not
 * valid UTF-8 text. */
int vigil_audit_append(vigil_store *st, vigil_audit *a);
typedef int (*vigil_audit_cb)(void *user, const vigil_audit *a);
/* Rows with id > since_id, oldest first, at most max; a non-zero return of
 * cb stops the scan and is returned. */
int vigil_audit_scan(vigil_store *st, int64_t since_id, size_t max,
		     vigil_audit_cb cb, void *user);

#endif
