/* vigil/review.h — the human review of cases: the queue, claims that
 * expire, and decisions (part of vigil.h; do not include directly).
 *
 * A case (vigil/pipeline.h) is opened by the pipeline; review adds, in its
 * own table keyed by case id, who holds it, until when, and what was
 * decided. The case's state moves
 *   open -> claimed (by one reviewer, until claim_expires)
 *   claimed -> open            (the claim expired: anyone may claim it)
 *   claimed -> decided         (confirm, dismiss) | escalated (escalate)
 *   escalated -> claimed       (by an admin) -> decided
 * and a decided case never changes again. */
#ifndef VIGIL_REVIEW_H
#define VIGIL_REVIEW_H

typedef enum vigil_case_decision {
	VIGIL_DECISION_NONE = 0,
	VIGIL_DECISION_CONFIRM = 1,
	VIGIL_DECISION_DISMISS = 2,
	VIGIL_DECISION_ESCALATE = 3,
	VIGIL__DECISION_END
} vigil_case_decision;
const char *vigil_case_decision_name(int d); /* "none", "confirm", ... */
int vigil_case_decision_parse(const char *name); /* -1 if unknown */

/* NCMEC's industry classification (A1, A2, B1, B2). */
int vigil_classification_ok(const char *c);

#define VIGIL_REVIEW_NOTE_MAX 4096 /* a reviewer's note */

/* The review side of one case. */
typedef struct vigil_case_review {
	int64_t case_id;
	int state;                           /* the case's vigil_case_state,
						an expired claim undone */
	char assignee[VIGIL_NAME_MAX + 1];   /* "" if none */
	int64_t claimed;                     /* unix seconds, 0 */
	int64_t claim_expires;               /* unix seconds, 0 */
	int decision;                        /* vigil_case_decision */
	char classification[8];              /* "A1"... or "" */
	char annotations[VIGIL_META_MAX + 1]; /* JSON array text, "[]" */
	char note[VIGIL_REVIEW_NOTE_MAX + 1];
	char decided_by[VIGIL_NAME_MAX + 1];
	int64_t decided;                     /* unix seconds, 0 */
	int escalated;                       /* was escalated once */
	char join_key[VIGIL_TEXT_MAX + 1];   /* the case's, e.g. "pdq:HEX" */
} vigil_case_review;

/* Cases in one state (state < 0: every state), highest priority first,
 * then oldest; at most max. A claimed case whose claim expired is listed
 * as open. *out is owned by the caller: vigil_cases_free(). */
int vigil_case_list(vigil_store *st, int state, int64_t now, size_t max,
		    vigil_case **out, size_t *n);
void vigil_cases_free(vigil_case *v, size_t n);

/* The case's review record (a case never claimed has an empty one). The
 * case's own state is in vigil_case_get, corrected for an expired claim
 * there too. VIGIL_ENOENT if there is no such case. */
int vigil_case_review_get(vigil_store *st, int64_t id, int64_t now,
			  vigil_case_review *out);

/* who claims the case until now + ttl seconds. Open cases, and escalated
 * ones when `admin`, can be claimed; so can one whose claim expired, and
 * one already held by who (the claim is renewed). VIGIL_EEXIST if someone
 * else holds it (out->assignee names them); VIGIL_EABORTED for a decided
 * case, or an escalated one without admin. out may be NULL. */
int vigil_case_claim(vigil_store *st, int64_t id, const char *who, int admin,
		     int64_t now, int64_t ttl, vigil_case_review *out);

/* Records a decision by who, who must hold an unexpired claim on the case
 * (VIGIL_EABORTED otherwise; VIGIL_EEXIST if the case is decided already).
 * confirm needs a classification; annotations is a JSON array of strings
 * (or NULL); note may be NULL. The case becomes decided (escalated for
 * escalate, and its claim is released). Inside a transaction of the
 * caller's if one is open (vigil_store_begin), else its own. */
int vigil_case_decide(vigil_store *st, int64_t id, const char *who, int decision,
		      const char *classification, const char *annotations,
		      const char *note, int64_t now);

/* ------------------------------------------------------------- media */

/* One item of a case's content, sealed (vigil/sealed.h). */
typedef struct vigil_case_media {
	int64_t case_id;
	int n;                          /* 1, 2, ... in the case */
	char content_type[64];          /* "image/jpeg", or "" */
	int64_t bytes;                  /* plaintext size */
	uint8_t sha256[32];             /* of the plaintext */
	uint8_t *sealed;                /* the blob (get only; owned: free()) */
	size_t sealed_len;
	int64_t created;
} vigil_case_media;

#define VIGIL_CASE_MEDIA_MAX 16 /* items kept per case */

/* Keeps one sealed item for a case; an item with the same sha256 already
 * in the case is not kept twice (*n = its number). VIGIL_ETOOBIG beyond
 * VIGIL_CASE_MEDIA_MAX items. */
int vigil_case_media_add(vigil_store *st, const vigil_case_media *m, int *n);
/* Item n of a case (out->sealed allocated). VIGIL_ENOENT if none. */
int vigil_case_media_get(vigil_store *st, int64_t case_id, int n,
			 vigil_case_media *out);
/* The items of a case in order, without their blobs (sealed is NULL): at
 * most cap into out, *n of them. */
int vigil_case_media_list(vigil_store *st, int64_t case_id, vigil_case_media *out, int cap,
			  int *n);
/* How many items a case has. */
int vigil_case_media_count(vigil_store *st, int64_t case_id, int *n);

/* Records that who saw the original of item n of a case at `when` (unix
 * seconds): what "viewed by the platform" in a report is made from. */
int vigil_reveal_add(vigil_store *st, int64_t case_id, int n, const char *who,
		     int64_t when);
/* Reveals by who since `since` (unix seconds), for the daily cap; with
 * case_id > 0 the reveals of that case by anyone instead. */
int vigil_reveal_count(vigil_store *st, const char *who, int64_t case_id,
		       int64_t since, int64_t *count);

#endif
