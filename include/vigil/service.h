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
	/* The hash chain (set by append, read by scan; ignored on input):
	 * hash = SHA-256("vigil-audit-v1" || prev || content), content =
	 * SHA-256 of the fields above (vigil_audit_digest). */
	uint8_t prev[32];    /* hash of the record before; zeros for the first */
	uint8_t hash[32];    /* this record's hash */
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

/* The tamper-evident trail (src/store/audit.c). content gets SHA-256 of
 * the record's id and fields (each length-prefixed, so no two records
 * encode alike); hash gets the chain hash over prev and content. */
void vigil_audit_digest(const vigil_audit *a, const uint8_t prev[32],
			uint8_t content[32], uint8_t hash[32]);
/* The chain hash from prev and a content digest alone: what lets an
 * export prove records it does not show (links). */
void vigil_audit_link(const uint8_t prev[32], const uint8_t content[32],
		      uint8_t hash[32]);

/* A signed checkpoint: the head of the chain, signed with Ed25519. */
typedef struct vigil_audit_checkpoint {
	int64_t id;          /* checkpoint number */
	int64_t audit_id;    /* the last record it covers */
	int64_t time_ms;     /* when it was made */
	uint8_t hash[32];    /* that record's hash */
	uint8_t pubkey[32];  /* the signer's public key */
	uint8_t sig[64];     /* over vigil_audit_checkpoint_message() */
} vigil_audit_checkpoint;
#define VIGIL_AUDIT_CP_MSG 64 /* bytes of the signed message */
/* The bytes signed: "vigil-audit-cp1" and a NUL (16), audit_id and
 * time_ms (8 each, big-endian), hash (32). */
void vigil_audit_checkpoint_message(const vigil_audit_checkpoint *cp,
				    uint8_t msg[VIGIL_AUDIT_CP_MSG]);
/* Signs the current head with the Ed25519 key from seed (32 bytes, a key
 * file read with vigil_master_key_load) and stores it. VIGIL_ENOENT if the
 * trail is empty; if the head is already covered by the last checkpoint,
 * nothing is stored and *out (if given) is that checkpoint. */
int vigil_audit_checkpoint_make(vigil_store *st, const uint8_t seed[32],
				vigil_audit_checkpoint *out);
/* Checkpoints, oldest first. *cps malloc'd: free() it. */
int vigil_audit_checkpoint_list(vigil_store *st, vigil_audit_checkpoint **cps,
				size_t *n);
/* Ed25519 public key of a seed. */
void vigil_audit_pubkey(const uint8_t seed[32], uint8_t pk[32]);

enum vigil_audit_problem {
	VIGIL_AUDIT_OK = 0,
	VIGIL_AUDIT_CHANGED,    /* a record's content no longer matches its hash */
	VIGIL_AUDIT_REMOVED,    /* records missing from the middle */
	VIGIL_AUDIT_REORDERED,  /* a record sits where another belongs */
	VIGIL_AUDIT_BROKEN,     /* a link broken: this record or the one before */
	VIGIL_AUDIT_TRUNCATED,  /* records after the last one were removed */
	VIGIL_AUDIT_BAD_CHECKPOINT /* a checkpoint's signature or hash is wrong */
};
typedef struct vigil_audit_verdict {
	int problem;         /* enum vigil_audit_problem */
	int64_t record;      /* the first record named (0 if none) */
	int64_t records;     /* records checked */
	int64_t checkpoints; /* checkpoints checked */
	int64_t head;        /* id of the last record */
	char text[512];      /* one line for people */
} vigil_audit_verdict;
/* Walks the whole chain and the checkpoints and names the first problem.
 * pk: the trusted public key the checkpoints must be signed with; NULL
 * checks them against the key stored with them (which proves nothing
 * against someone who can write the file: say so to the user). Returns
 * VIGIL_OK when the walk completed (whatever it found; see v->problem). */
int vigil_audit_verify(vigil_store *st, const uint8_t *pk,
		       vigil_audit_verdict *v);

#endif
