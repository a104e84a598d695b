/* vigil/evidence.h — evidence preservation: what was reported to a hotline
 * (the case's files, its context, the report document as sent and the
 * hotline's answers) is kept, sealed with a data key per item, for at least
 * a year (the REPORT Act, 2024), unless a legal hold keeps it longer; then
 * it is deleted by destroying its data key. And the signed bundle that
 * hands a case to a hotline without an API, or to law enforcement (part of
 * vigil.h; do not include directly). docs/evidence.md says what is and is
 * not guaranteed. */
#ifndef VIGIL_EVIDENCE_H
#define VIGIL_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

/* Retention is never shorter than this (a year, 18 U.S.C. 2258A(h) as the
 * REPORT Act amended it); longer is allowed. */
#define VIGIL_EVIDENCE_RETENTION_MIN_DAYS 365
#define VIGIL_EVIDENCE_REASON_MAX 1024 /* bytes of a hold's reason */
#define VIGIL_EVIDENCE_BUNDLE_MAX 1000 /* items in one bundle */

/* One preserved item. Kinds: "file" (item n of the case, as uploaded),
 * "context" (the case's contexts and matches, JSON), "report" (the report
 * document as sent), "fileinfo" (file n's fileDetails as sent), "answers"
 * (the hotline's answers as received, JSON; n = how many it holds: a later
 * answer adds a newer item). */
typedef struct vigil_preserved_item {
	int64_t id;
	int64_t report_id;
	int64_t case_id;
	char kind[16];
	int n;
	char content_type[64]; /* "image/jpeg", "application/xml", ... */
	int64_t bytes;         /* of the plaintext */
	uint8_t sha256[32];    /* of the plaintext */
	int64_t preserved;     /* unix s; retention counts from here */
	int64_t deleted;       /* unix s of its deletion; 0 while kept */
	int holds;             /* active legal holds */
} vigil_preserved_item;

/* One legal hold: while it is active its item is never deleted. An item
 * may have several (one per request); each is released on its own. */
typedef struct vigil_legal_hold {
	int64_t id;
	int64_t item_id;
	char reason[VIGIL_EVIDENCE_REASON_MAX + 1];
	char who[128];         /* who placed it */
	int64_t created;       /* unix s */
	int64_t released;      /* unix s; 0 = active */
	char released_by[128];
} vigil_legal_hold;

/* Preserves what report_id sent (a report still a draft has sent nothing:
 * nothing is preserved, *added 0, unless flags has VIGIL_PRESERVE_DRAFT:
 * the case is being reported through another channel, a bundle for a
 * hotline without an API, so its files and context are kept from now).
 * Idempotent: items already kept are not kept twice. The files are
 * unsealed from the case (master key) and sealed again under fresh data
 * keys, in memory only. Each new item is audited (evidence.preserve) as
 * who. */
#define VIGIL_PRESERVE_DRAFT 1u
int vigil_preserve(vigil_store *st, const uint8_t master[32],
		   int64_t report_id, int64_t now, const char *who, unsigned flags,
		   size_t *added);
/* Items of one report (report_id > 0) or all, by id, deleted ones
 * included; *out: free(). */
int vigil_preserved_list(vigil_store *st, int64_t report_id,
			vigil_preserved_item **out, size_t *n);
/* One item and its holds (*holds: free(); holds may be NULL). */
int vigil_preserved_get(vigil_store *st, int64_t id, vigil_preserved_item *out,
		       vigil_legal_hold **holds, size_t *nholds);
/* The plaintext of an item, in memory (*plain: sodium_memzero + free()).
 * Audited (evidence.show) as who. A deleted item: VIGIL_ENOENT "was
 * deleted". */
int vigil_preserved_open(vigil_store *st, const uint8_t master[32], int64_t id,
			const char *who, uint8_t **plain, size_t *len);
/* Places a hold (reason required); *hold_id = its id. Audited. */
int vigil_legal_hold_place(vigil_store *st, int64_t item_id, const char *reason,
			const char *who, int64_t now, int64_t *hold_id);
/* Releases a hold (VIGIL_EEXIST if it was released). Audited. */
int vigil_legal_hold_release(vigil_store *st, int64_t hold_id, const char *who,
			   int64_t now);

/* Checks a retention setting: VIGIL_EINVAL (with the reason) below
 * VIGIL_EVIDENCE_RETENTION_MIN_DAYS or above 100 years. */
int vigil_retention_ok(vigil_ctx *ctx, int64_t days);

typedef struct vigil_retention_stats {
	size_t preserved; /* items added for reports filed since the last run */
	size_t deleted;   /* items whose key was destroyed */
	size_t held;      /* expired but kept by a hold */
	size_t kept;      /* not yet expired */
} vigil_retention_stats;

/* The retention job: preserves every report no longer a draft (master
 * NULL: files are skipped, the rest kept), then deletes each item whose
 * report's latest preservation is older than retention_days at now and
 * that no hold keeps: its data key row and its
 * ciphertext are removed (SQLite's secure_delete overwrites the freed
 * bytes, and the WAL is truncated), and a file item's copy in the case
 * (case_media) with it. Each deletion is audited (evidence.delete). */
int vigil_retention_sweep(vigil_store *st, const uint8_t *master, int64_t now,
			 int64_t retention_days, const char *who,
			 vigil_retention_stats *stats);

/* The signed bundle (docs/evidence.md): dir (created, must not exist,
 * mode 0700) gets manifest.json, manifest.sig (the Ed25519 signature of
 * manifest.json's bytes, hex) and files/ with one file per item. The
 * manifest lists each file's name, item, kind, bytes and SHA-256 (of the
 * plaintext). to_pk non-NULL: each file is crypto_box_seal'ed to that
 * X25519 public key (named NAME.sealed, with sealed_sha256 of what is on
 * disk) so no plaintext is written; NULL: the files are written in the
 * clear, for the operator to send. seed: the Ed25519 seed (the audit key
 * format). Audited (evidence.export) per item as who, with the reason. */
typedef struct vigil_bundle_opts {
	const uint8_t *seed;       /* 32 bytes, required */
	const uint8_t *to_pk;      /* 32 bytes, or NULL */
	const char *who;
	const char *reason;        /* the request it answers, or NULL */
	int64_t now;
} vigil_bundle_opts;
int vigil_bundle_write(vigil_store *st, const uint8_t master[32],
			  const int64_t *ids, size_t n, const char *dir,
			  const vigil_bundle_opts *o);
/* Checks a bundle against a trusted public key: the signature over
 * manifest.json, every listed file's SHA-256 (of what is on disk), and that
 * files/ holds nothing else. VIGIL_ECORRUPT naming the first problem in
 * the ctx's message; VIGIL_OK if it holds. */
int vigil_bundle_verify(vigil_ctx *ctx, const char *dir,
				 const uint8_t pk[32]);

#endif
