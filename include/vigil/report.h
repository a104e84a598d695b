/* vigil/report.h — hotline reports: NCMEC CyberTipline reports drafted from
 * confirmed cases and filed through its Reporting API (part of vigil.h; do
 * not include directly). docs/reports.md says what is sent and why. */
#ifndef VIGIL_REPORT_H
#define VIGIL_REPORT_H

#include <stddef.h>
#include <stdint.h>

typedef enum vigil_report_state {
	VIGIL_REPORT_DRAFT = 0,      /* nothing sent yet */
	VIGIL_REPORT_SUBMITTING = 1, /* /submit sent, its answer not stored */
	VIGIL_REPORT_OPEN = 2,       /* NCMEC has it (ncmec_id); files go now */
	VIGIL_REPORT_FINISHED = 3,   /* /finish answered: filed */
	VIGIL_REPORT_RETRACTED = 4,
	VIGIL_REPORT_REJECTED = 5,   /* NCMEC refused the document (4xxx) */
	VIGIL_REPORT_UNKNOWN = 6,    /* a /submit whose answer was lost: a
					person checks with NCMEC before any
					resend, so it is never filed twice */
	VIGIL__REPORT_STATE_END
} vigil_report_state;
const char *vigil_report_state_name(int s);

#define VIGIL_REPORT_XML_MAX (1 << 20) /* one document */

/* One report. Strings are owned: vigil_report_clear(). */
typedef struct vigil_report {
	int64_t id;
	int64_t case_id;       /* one report per case */
	int state;             /* vigil_report_state */
	char ncmec_id[64];     /* NCMEC's report id, "" before submit */
	char *xml;             /* the report document as sent (NULL before) */
	char *files;           /* JSON array: {n, md5, file_id, fileinfo,
				  details (the fileDetails as sent)} */
	char *answers;         /* JSON array of NCMEC's answers, as received */
	int attempts;          /* failed tries of the current step */
	int last_code;         /* NCMEC's last responseCode, -1 none */
	char last_error[256];
	int64_t created, updated; /* unix seconds */
} vigil_report;
void vigil_report_clear(vigil_report *r);

/* Makes the draft for a case (idempotent: the case's existing report is
 * returned). *id = the report. */
int vigil_report_draft(vigil_store *st, int64_t case_id, int64_t now, int64_t *id);
int vigil_report_get(vigil_store *st, int64_t id, vigil_report *out);
/* Every report, newest first; *out: vigil_reports_free(). */
int vigil_report_list(vigil_store *st, vigil_report **out, size_t *n);
void vigil_reports_free(vigil_report *v, size_t n);

/* Who files: the reporter block and the service the user was on. */
typedef struct vigil_reporter {
	const char *email;         /* required by NCMEC */
	const char *first_name, *last_name; /* or NULL */
	const char *esp_service;   /* e.g. "Chat", or NULL */
	const char *incident_type; /* NULL: "Child Pornography (possession,
				      manufacture, and distribution)" */
} vigil_reporter;

/* The report document for a case, built now (the stored one once sent):
 * incidentSummary, reporter, personOrUserReported with every upload's IP
 * capture event and prior reports of the user (rep->email is needed
 * for a draft only: a sent report is returned as sent). Validated against the
 * schema. *xml malloc'd: free(). */
int vigil_report_xml(vigil_store *st, int64_t id, const vigil_reporter *rep,
		     int64_t now, char **xml);
/* The fileDetails document of item n (fileViewedByEsp from the reveal
 * log). ncmec_id and file_id "" give placeholders (a draft). */
int vigil_report_file_xml(vigil_store *st, int64_t id, int n, const char *ncmec_id,
			  const char *file_id, char **xml);
/* Item n's fileDetails as it was sent, else as it would be built now with
 * the ids NCMEC gave so far. *xml malloc'd: free(). */
int vigil_report_file_sent_xml(vigil_store *st, int64_t id, int n, char **xml);
/* Validates a document against docs/cybertipline.xsd (ours, written from
 * NCMEC's public documentation; compiled in). VIGIL_EINVAL with the first
 * error in the ctx's message. */
int vigil_report_validate(vigil_ctx *ctx, const char *xml, size_t len);

/* One answer of the API. */
typedef struct vigil_ncmec_response {
	int code;                 /* responseCode, -1 if absent */
	char description[256];
	char report_id[64];
	char file_id[64];
	char hash[64];            /* /upload: MD5 as NCMEC received it */
} vigil_ncmec_response;
/* Parses an answer (hostile input: no network, no entities, no DTD).
 * VIGIL_ECORRUPT if it is not XML with a responseCode. */
int vigil_ncmec_parse(const char *xml, size_t len, vigil_ncmec_response *out);

/* How to reach the API. */
typedef struct vigil_ncmec_opts {
	const char *base_url;       /* ".../ispws", no trailing slash */
	const char *userpwd;        /* "user:password" (HTTP Basic) */
	const vigil_reporter *reporter;
	const uint8_t *master_key;  /* to unseal the files (NULL: none sent) */
	int max_attempts;           /* per step in one run (0: 5) */
	int backoff_ms;             /* first wait (0: 500), doubling */
	int timeout_ms;             /* per request (0: 30000) */
	const char *resolve;        /* a CURLOPT_RESOLVE entry
				       "HOST:PORT:ADDRESS" pinning the
				       address checked against an allowlist
				       (vigil serve's fetch_allow), or NULL;
				       given one, no proxy is used either */
} vigil_ncmec_opts;

/* Reads the API's HTTP Basic credentials ("user:password") that ref names
 * ("env:VAR" or "file:PATH", first line) into out. The secret never
 * appears in a message; wipe out after use (sodium_memzero). */
int vigil_ncmec_credentials(vigil_ctx *ctx, const char *ref, char *out, size_t cap);

/* Files report id: submit, each file's upload and fileinfo, finish — each
 * step stored when done, so a run after a crash resumes where the last
 * stopped and nothing is sent twice that NCMEC acknowledged. Transient
 * failures (network, 1xxx, HTTP 5xx) retry with backoff; 4100/4110 make
 * the report rejected; a lost /submit answer makes it unknown. */
int vigil_report_submit(vigil_store *st, int64_t id, const vigil_ncmec_opts *o);
/* After a person confirmed with NCMEC that an unknown report never
 * arrived: makes it a draft again (its stored document is what the next
 * submit sends), so that it can be submitted. VIGIL_EABORTED unless the
 * report is unknown. The caller audits it. */
int vigil_report_resend(vigil_store *st, int64_t id);
/* Withdraws an open report (5101 counts as done). */
int vigil_report_retract(vigil_store *st, int64_t id, const vigil_ncmec_opts *o);

/* ------------------------------------------- filing inside vigil serve */

/* The CyberTipline incident types (docs/cybertipline.xsd), including the
 * REPORT Act's child sex trafficking and online enticement. i from 0;
 * NULL past the last. */
const char *vigil_incident_type(int i);
/* Whether t is one of them, exactly. */
int vigil_incident_type_ok(const char *t);
/* A case's incident type, as a reviewer gave it on decision ("" none:
 * the report takes its bank policy's, else the reporter's default). */
int vigil_case_incident_set(vigil_store *st, int64_t case_id, const char *type);
int vigil_case_incident_get(vigil_store *st, int64_t case_id, char *out, size_t cap);

/* Work the server's report worker owes a report: asked for by a route
 * (or by automatic filing), stored, so a restart carries it on. */
typedef enum vigil_report_work_kind {
	VIGIL_REPORT_WORK_NONE = 0,
	VIGIL_REPORT_WORK_SUBMIT = 1,  /* file it: submit, files, finish */
	VIGIL_REPORT_WORK_RETRACT = 2, /* withdraw it */
} vigil_report_work_kind;
const char *vigil_report_work_name(int w); /* "", "submit", "retract" */

typedef struct vigil_report_work {
	int64_t id;              /* the report */
	int work;                /* vigil_report_work_kind */
	int64_t since;           /* unix s the work was asked for */
	int64_t next;            /* unix s of the next try */
	int tries;               /* failed tries so far */
	int64_t overdue_alerted; /* unix s the deadline alert went out, 0 */
	char error[256];         /* why the last try failed, or why the work
				    stopped for a person ("" none) */
} vigil_report_work;
int vigil_report_work_get(vigil_store *st, int64_t id, vigil_report_work *out);
/* Writes work, since, next, tries and error (not overdue_alerted). */
int vigil_report_work_set(vigil_store *st, const vigil_report_work *w);
/* Reports with work due at now (next <= now), soonest first; at most max
 * ids into ids. */
int vigil_report_work_due(vigil_store *st, int64_t now, int64_t *ids, size_t max,
			  size_t *n);
/* Reports not filed (no NCMEC id: draft, submitting, rejected, unknown)
 * drafted at or before `before`: *total counts them all; ids gets (at most
 * max) those not yet alerted. */
int vigil_report_overdue(vigil_store *st, int64_t before, int64_t *ids, size_t max,
			 size_t *n, int64_t *total);
/* Records that report id's deadline alert went out (once per report). */
int vigil_report_overdue_mark(vigil_store *st, int64_t id, int64_t now);

/* Transparency counts for the UTC days [from, to] (unix seconds, from the
 * start of the first day to the end of the last), per day, as a JSON
 * document (docs/transparency.md): items checked, verdicts, matches by
 * bank and hash type, cases opened and decided, the median seconds from
 * upload to decision, reports filed and retracted, user reports, streams
 * cut. Counted from the audit trail and the cases. *json malloc'd: free(). */
int vigil_transparency(vigil_store *st, int64_t from, int64_t to, char **json);
/* The same for from and to as "YYYY-MM-DD" (UTC days, to included), what
 * the CLI and GET /v1/transparency take: VIGIL_EINVAL with the reason for
 * a malformed date or to before from. Also counted: evidence preserved
 * and deleted (vigil/evidence.h). */
int vigil_transparency_range(vigil_store *st, const char *from, const char *to,
			     char **json);

#endif
