/* vigil/pipeline.h — what a match means: per-bank policies, the decision
 * (verdict and actions), flood quarantine, cases and the webhook outbox
 * (part of vigil.h; do not include directly).
 *
 * The flow for one upload (see docs/pipeline.md):
 *   matches = vigil_matcher_pdq/digest(...)        with the widest radius any
 *                                                  policy allows
 *   vigil_decide(matches, rules, flood, ...)       pure but for the flood
 *                                                  tracker: verdict + what
 *                                                  happened to each match
 *   vigil_store_begin(st)
 *     vigil_quarantine_add(...)                    for entries newly
 *                                                  quarantined
 *     vigil_case_open(...)                         review/report verdicts
 *     vigil_outbox_add(...)                        one row per event and
 *                                                  target
 *     (the audit row)
 *   vigil_store_commit(st)
 *   vigil_outbox_deliver(...)                      later, from a worker:
 *                                                  at least once, signed
 */
#ifndef VIGIL_PIPELINE_H
#define VIGIL_PIPELINE_H

#define VIGIL_URL_MAX 2048 /* a webhook URL */
#define VIGIL_ID_MAX 255   /* a platform's content/user id, a surface */

/* ------------------------------------------------------------- policy */

/* What a match in a bank does. Numbers are stored: only ever appended. */
typedef enum vigil_action {
	VIGIL_ACTION_NONE = 0,   /* reported in the answer, nothing done */
	VIGIL_ACTION_REVIEW = 1, /* verdict review, a case for a person */
	VIGIL_ACTION_REPORT = 2, /* review, with a hotline report drafted */
	VIGIL_ACTION_BLOCK = 3,  /* verdict block */
	VIGIL__ACTION_END
} vigil_action;

typedef enum vigil_bank_kind {
	VIGIL_KIND_NORMAL = 0,      /* matches act as the policy says */
	VIGIL_KIND_SUPPRESSION = 1, /* a query matching it is not acted on:
				       known false positives */
	VIGIL__KIND_END
} vigil_bank_kind;

const char *vigil_action_name(int action); /* "none", ...; never NULL */
int vigil_action_parse(const char *name);  /* -1 if unknown */
const char *vigil_bank_kind_name(int kind);
int vigil_bank_kind_parse(const char *name);

#define VIGIL_POLICY_MAX_FLOOD 100000 /* largest flood_matches */

/* A bank's policy. Stored as a JSON object (the keys are the field names
 * below); a bank without one has vigil_bank_policy_default()'s. */
typedef struct vigil_bank_policy {
	int pdq_distance;  /* largest PDQ/vPDQ distance that acts, 0..256 (31) */
	int min_quality;   /* query PDQ quality below this does not act (50) */
	int dihedral;      /* rotated/flipped copies act (1) */
	int action;        /* vigil_action (review) */
	int kind;          /* vigil_bank_kind (normal) */
	int priority;      /* 0..1000, higher first in the review queue (50) */
	char webhook_url[VIGIL_URL_MAX + 1];    /* events of this bank also go
						   here ("" = none) */
	char webhook_secret[VIGIL_TEXT_MAX + 1]; /* a reference, never the
						    secret: "env:NAME",
						    "file:PATH" or "" (the
						    global webhook_secret) */
	int flood_matches; /* an entry matching more than this many times... */
	int flood_seconds; /* ...within this many seconds is quarantined;
			      0 (the default) = no flood limit */
	char incident_type[96]; /* a report's CyberTipline incident type when
				   the reviewer gives none (vigil/report.h:
				   vigil_incident_type); "" = the default */
} vigil_bank_policy;

void vigil_bank_policy_default(vigil_bank_policy *p);
/* Sets one field from text, as `vigil bank policy NAME KEY=VALUE` and the
 * API do: key is a field name above (also "flood" = "N/T" for both flood
 * fields); the value is validated. VIGIL_EINVAL with a message on ctx. */
int vigil_bank_policy_set(vigil_ctx *ctx, vigil_bank_policy *p, const char *key,
			  const char *value);
/* The policy as a JSON object (compact, keys in field order). *json is
 * owned by the caller: free(). */
int vigil_bank_policy_to_json(const vigil_bank_policy *p, char **json);
/* Applies the keys of a JSON object onto *p (keys absent stay as they are;
 * unknown keys and bad values are refused, leaving *p unchanged). Values
 * are JSON numbers, strings or booleans as their field's type. */
int vigil_bank_policy_from_json(vigil_ctx *ctx, const char *json,
				vigil_bank_policy *p);

/* A bank's stored policy, or the default if it has none. */
int vigil_bank_policy_get(vigil_store *st, const char *bank,
			  vigil_bank_policy *out);
/* Stores a bank's policy (validated again). */
int vigil_bank_policy_put(vigil_store *st, const char *bank,
			  const vigil_bank_policy *p);

/* A bank and its policy, as the decision needs them. */
typedef struct vigil_bank_rule {
	int64_t bank_id;
	char bank[VIGIL_NAME_MAX + 1];
	vigil_bank_policy policy;
} vigil_bank_rule;

/* Every bank's rule, sorted by bank id. *rules is owned by the caller:
 * free(). */
int vigil_bank_rules_load(vigil_store *st, vigil_bank_rule **rules, size_t *n);

/* ------------------------------------------------------- flood tracker */

/* Counts recent acting matches per entry, and knows which entries are
 * quarantined. Shared by every request thread (internally locked).
 * Memory: one small ring per entry that matched within its window, at
 * most VIGIL_FLOOD_MAX_TRACKED entries (the oldest are dropped beyond). */
typedef struct vigil_flood vigil_flood;
#define VIGIL_FLOOD_MAX_TRACKED 65536

int vigil_flood_new(vigil_flood **out);
void vigil_flood_free(vigil_flood *f);
/* Marks an entry quarantined (e.g. from vigil_quarantine_list at start). */
int vigil_flood_quarantine(vigil_flood *f, int64_t entry_id);
/* Lifts a quarantine and forgets the entry's count. */
void vigil_flood_release(vigil_flood *f, int64_t entry_id);
int vigil_flood_is_quarantined(vigil_flood *f, int64_t entry_id);

/* ------------------------------------------------------------ decision */

typedef enum vigil_verdict {
	VIGIL_VERDICT_ALLOW = 0,
	VIGIL_VERDICT_REVIEW = 1,
	VIGIL_VERDICT_BLOCK = 2,
	VIGIL__VERDICT_END
} vigil_verdict;
const char *vigil_verdict_name(int verdict); /* "allow", "review", "block" */

/* What happened to one match. */
typedef enum vigil_disposition {
	VIGIL_DISP_ACTED = 0,        /* counted towards the verdict */
	VIGIL_DISP_NO_ACTION = 1,    /* its bank's action is none */
	VIGIL_DISP_FILTERED = 2,     /* beyond its bank's distance, a rotated
					copy with dihedral off, or a query
					below its bank's min_quality */
	VIGIL_DISP_SUPPRESSED = 3,   /* the query matched a suppression bank */
	VIGIL_DISP_SUPPRESSOR = 4,   /* the suppression match itself */
	VIGIL_DISP_QUARANTINED = 5,  /* the entry was quarantined already */
	VIGIL_DISP_FLOODED = 6,      /* this match quarantined the entry: the
					caller stores it and raises an alert */
	VIGIL_DISP_UNKNOWN_BANK = 7, /* no rule for the bank (deleted?) */
	VIGIL__DISP_END
} vigil_disposition;
const char *vigil_disposition_name(int d);

typedef struct vigil_decision {
	int verdict;      /* vigil_verdict */
	int action;       /* the strongest acting vigil_action (NONE if none) */
	int priority;     /* highest priority among acting matches (0 if none) */
	int64_t bank_id;  /* the bank that decided (strongest action, then
			     priority, then the nearest match); 0 if none */
	int report;       /* an acting match's bank drafts a report */
	int suppressed;   /* a suppression bank matched */
	size_t acted;     /* matches with VIGIL_DISP_ACTED */
	size_t flooded;   /* matches with VIGIL_DISP_FLOODED */
} vigil_decision;

/* Decides what the matches of one query mean.
 *   m[0..n): the matcher's matches (searched with a radius and dihedral
 *     setting at least as wide as any rule's); disp[0..n) receives each
 *     one's vigil_disposition.
 *   query_quality: the query's PDQ quality (-1 if only digests were
 *     matched; quality filters then do not apply).
 *   rules[0..nrules): sorted by bank_id (vigil_bank_rules_load).
 *   flood: may be NULL (no flood limits, nothing quarantined); otherwise
 *     each acting match of a bank with a flood limit is counted at now_ms,
 *     and entries quarantined there do not act.
 * Precedence: block > review (report) > allow; a bank whose action is none
 * never changes the verdict. Digest matches ignore distance and dihedral.
 * Never fails but for EINVAL (NULL arguments) and ENOMEM (the tracker). */
int vigil_decide(const vigil_match *m, size_t n, int query_quality,
		 const vigil_bank_rule *rules, size_t nrules, vigil_flood *flood,
		 int64_t now_ms, int *disp, vigil_decision *out);

/* ------------------------------------------------------- transactions */

/* One writing transaction on st: the pipeline's calls below (and any other
 * store write on st) between begin and commit land together or not at all.
 * Not nestable: VIGIL_ESTORE if one is open. */
int vigil_store_begin(vigil_store *st);
int vigil_store_commit(vigil_store *st);
int vigil_store_rollback(vigil_store *st); /* no-op if none is open */

/* --------------------------------------------------------- quarantine */

typedef struct vigil_quarantine {
	int64_t entry_id;
	int64_t bank_id;
	int64_t since;                  /* unix seconds */
	char reason[VIGIL_TEXT_MAX + 1]; /* e.g. "41 matches in 60 s" */
} vigil_quarantine;

/* Records a quarantined entry (again: no-op). */
int vigil_quarantine_add(vigil_store *st, const vigil_quarantine *q);
/* Lifts it; VIGIL_ENOENT if it was not quarantined. */
int vigil_quarantine_remove(vigil_store *st, int64_t entry_id);
/* All of them, oldest first. *out is owned by the caller: free(). */
int vigil_quarantine_list(vigil_store *st, vigil_quarantine **out, size_t *n);

/* --------------------------------------------------------------- cases */

typedef enum vigil_case_state {
	VIGIL_CASE_OPEN = 0,
	VIGIL_CASE_CLAIMED = 1,
	VIGIL_CASE_DECIDED = 2,
	VIGIL_CASE_ESCALATED = 3,
	VIGIL__CASE_STATE_END
} vigil_case_state;
const char *vigil_case_state_name(int s);

#define VIGIL_CASE_JSON_MAX (1 << 20) /* context/matches JSON of one case */

/* What opens or joins a case. */
typedef struct vigil_case_new {
	const char *source;     /* "match", "user_report", "stream", ... */
	const char *join_key;   /* e.g. "pdq:HEX"; a case still open or
				   claimed with the same user_id and join_key
				   is joined instead of opening a new one;
				   NULL or "" never joins */
	int priority;           /* a join keeps the higher */
	int report;             /* a report is to be drafted */
	int64_t bank_id;        /* the deciding bank, or 0 */
	const char *content_id; /* the platform's, or NULL */
	const char *user_id;    /* the platform's, or NULL */
	const char *context;    /* JSON object text (appended to the case's
				   list of contexts), or NULL */
	const char *matches;    /* JSON array text (appended), or NULL */
} vigil_case_new;

typedef struct vigil_case {
	int64_t id;
	int state;                          /* vigil_case_state */
	int priority;
	int report;
	int64_t bank_id;
	int uploads;                        /* how many joined it */
	char source[VIGIL_NAME_MAX + 1];
	char content_id[VIGIL_ID_MAX + 1];  /* the first upload's */
	char user_id[VIGIL_ID_MAX + 1];
	char *contexts;                     /* JSON array text; owned by the
					       case: vigil_case_clear() */
	char *matches;                      /* JSON array text; likewise */
	int64_t created, updated;           /* unix seconds */
	char assignee[VIGIL_NAME_MAX + 1];  /* who holds the claim ("" none;
					       set by the review queue) */
	int64_t claim_expires;              /* unix seconds; 0 = unclaimed */
} vigil_case;

/* Opens a case, or joins one (see join_key). *id = the case; *joined = 1
 * if it existed. Oversized text: VIGIL_ETOOBIG. */
int vigil_case_open(vigil_store *st, const vigil_case_new *c, int64_t *id,
		    int *joined);
/* Reads a case; out->contexts/matches are allocated: vigil_case_clear(). */
int vigil_case_get(vigil_store *st, int64_t id, vigil_case *out);
void vigil_case_clear(vigil_case *c);

/* -------------------------------------------------------------- outbox */

typedef enum vigil_outbox_state {
	VIGIL_OUTBOX_PENDING = 0,
	VIGIL_OUTBOX_DELIVERED = 1,
	VIGIL_OUTBOX_FAILED = 2,
	VIGIL__OUTBOX_STATE_END
} vigil_outbox_state;
const char *vigil_outbox_state_name(int s);

#define VIGIL_EVENT_ID_LEN 36 /* xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx */
#define VIGIL_EVENT_MAX (1 << 20) /* body bytes of one event */

/* One event for one target. */
typedef struct vigil_event {
	int64_t id;                             /* row id */
	char event_id[VIGIL_EVENT_ID_LEN + 1];  /* random, unique: the
						   receiver's dedupe key */
	char type[VIGIL_NAME_MAX + 1];          /* "verdict", "case.created",
						   "entry.quarantined", ... */
	char url[VIGIL_URL_MAX + 1];            /* target */
	char secret_ref[VIGIL_TEXT_MAX + 1];    /* see vigil_bank_policy */
	char *body;                             /* the JSON POSTed; owned:
						   vigil_event_clear() */
	int attempts;
	int64_t next_ms;                        /* next attempt, unix ms */
	int state;                              /* vigil_outbox_state */
	char last_error[VIGIL_TEXT_MAX + 1];
	int64_t created_ms;
} vigil_event;
void vigil_event_clear(vigil_event *e);
void vigil_events_free(vigil_event *v, size_t n); /* clears each, frees v */

/* Adds an event for url: the body is {"id":EVENT_ID,"type":TYPE,
 * "created":UNIX,"data":DATA} with data a JSON value's text. Due at once.
 * event_id (may be NULL) receives the new id. */
int vigil_outbox_add(vigil_store *st, const char *type, const char *url,
		     const char *secret_ref, const char *data,
		     char event_id[VIGIL_EVENT_ID_LEN + 1]);
/* Pending events due at now_ms, oldest first, at most max. */
int vigil_outbox_due(vigil_store *st, int64_t now_ms, size_t max,
		     vigil_event **out, size_t *n);
/* Events in one state, newest first, at most max. */
int vigil_outbox_list(vigil_store *st, int state, size_t max,
		      vigil_event **out, size_t *n);
/* Counts of events per state (counts[VIGIL__OUTBOX_STATE_END]). */
int vigil_outbox_counts(vigil_store *st, int64_t counts[3]);

/* The signature header value for a body sent at unix time t:
 * "t=T,v1=HEX(HMAC-SHA256(secret, T "." body))" into out (>= 80 bytes). */
int vigil_webhook_sign(const void *secret, size_t secret_len, int64_t t,
		       const void *body, size_t len, char *out, size_t cap);

/* How deliveries are made. Zero-initialise, then set what you need. */
typedef struct vigil_deliver_opts {
	const char *const *allow;  /* host names/addresses events may go to
				      (NULL-terminated); an event for any
				      other host fails at once */
	const char *secret;        /* the global secret (events whose
				      secret_ref is ""), or NULL */
	int timeout_ms;            /* per request (default 10000) */
	int backoff_ms;            /* first retry delay (default 1000); each
				      attempt doubles it, with jitter of
				      -50%..0 */
	int max_backoff_ms;        /* ceiling of one delay (default 3600000) */
	int max_age_s;             /* after this long since it was created an
				      event that still fails is marked failed
				      (default 86400) */
	size_t batch;              /* events per call (default 32) */
	const char *only_url;      /* if not NULL: only the events of this
				      target (vigil exchange feedback) */
} vigil_deliver_opts;

typedef struct vigil_deliver_stats {
	size_t delivered, retried, failed;
} vigil_deliver_stats;

/* Delivers the events due now: POSTs each body with Content-Type
 * application/json, Vigil-Event-Id, Vigil-Event-Type and Vigil-Signature;
 * a 2xx marks it delivered, anything else schedules a retry (or fails it
 * past max_age_s). A row is marked only after its attempt, so a crash
 * mid-way delivers it again (at least once; receivers dedupe by event id).
 * Secrets are never logged nor stored in last_error. Rows of type
 * "exchange.feedback" (vigil/exchange.h) are sent to their exchange's API
 * instead of POSTed. */
int vigil_outbox_deliver(vigil_store *st, const vigil_deliver_opts *o,
			 vigil_deliver_stats *stats);

#endif
