/* file.c — filing a report through the CyberTipline Reporting API.
 *
 * Each step (submit, each file's upload and fileinfo, finish) is stored in
 * the reports row as soon as NCMEC acknowledges it, so a run after a crash
 * resumes at the first step not acknowledged. The one step that cannot be
 * made safe is /submit itself: the API has no idempotency key, so a
 * submit whose answer was lost (the process killed, the connection cut
 * after the request went out) leaves the report UNKNOWN for a person to
 * check with NCMEC instead of sending it again. A connection that never
 * opened is known not to have sent anything and is retried. */
#include "report_int.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_MAX (64 * 1024) /* bytes of one answer kept */

static const char *const state_names[] = {
	"draft", "submitting", "open", "finished", "retracted", "rejected", "unknown"};

const char *vigil_report_state_name(int s)
{
	return s >= 0 && s < VIGIL__REPORT_STATE_END ? state_names[s] : "?";
}

void vigil_report_clear(vigil_report *r)
{
	if (!r)
		return;
	free(r->xml);
	free(r->files);
	free(r->answers);
	r->xml = r->files = r->answers = NULL;
}

void vigil_reports_free(vigil_report *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		vigil_report_clear(&v[i]);
	free(v);
}

int vigil_report_draft(vigil_store *st, int64_t case_id, int64_t now, int64_t *id)
{
	int64_t tmp;

	if (!st || case_id <= 0)
		return VIGIL_EINVAL;
	return NEED_OP(st, report_draft, case_id, now, id ? id : &tmp);
}

/* The one place report rows are opened (vigil_store_set_seal_key): a
 * listing without the key gives NULL for a sealed column. */
static int open_report(vigil_store *st, vigil_report *r, int soft)
{
	int rc = vigil__open_text(st, "reports.xml", &r->xml, soft);

	if (!rc)
		rc = vigil__open_text(st, "reports.files", &r->files, soft);
	if (!rc)
		rc = vigil__open_text(st, "reports.answers", &r->answers, soft);
	return rc;
}

int vigil_report_get(vigil_store *st, int64_t id, vigil_report *out)
{
	int rc;

	if (!st || !out)
		return VIGIL_EINVAL;
	rc = NEED_OP(st, report_get, id, out);
	if (!rc && (rc = open_report(st, out, 0)))
		vigil_report_clear(out);
	return rc;
}

int vigil_report_list(vigil_store *st, vigil_report **out, size_t *n)
{
	int rc;

	if (!st || !out || !n)
		return VIGIL_EINVAL;
	rc = NEED_OP(st, report_list, out, n);
	if (rc)
		return rc;
	for (size_t i = 0; !rc && i < *n; i++)
		rc = open_report(st, &(*out)[i], 1);
	if (rc) {
		vigil_reports_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

int vigil_ncmec_credentials(vigil_ctx *ctx, const char *ref, char *out, size_t cap)
{
	FILE *f;
	size_t n;

	if (!ctx || !ref || !out || cap < 2)
		return VIGIL_EINVAL;
	*out = '\0';
	if (!strncmp(ref, "env:", 4)) {
		const char *v = getenv(ref + 4);
		if (!v || !*v || strlen(v) >= cap)
			goto bad;
		snprintf(out, cap, "%s", v);
	} else if (!strncmp(ref, "file:", 5) && (f = fopen(ref + 5, "r"))) {
		if (!fgets(out, (int)cap, f))
			*out = '\0';
		fclose(f);
	} else {
		goto bad;
	}
	n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	if (n && strchr(out, ':'))
		return VIGIL_OK;
bad:
	sodium_memzero(out, cap);
	return vigil__err(ctx, VIGIL_EINVAL, "ncmec_credentials: expected env:VAR or "
			  "file:PATH holding user:password");
}

/* ------------------------------------------------------------- HTTP */

typedef struct buf {
	char *p;
	size_t n;
} buf;

static size_t sink(char *d, size_t sz, size_t nm, void *user)
{
	buf *b = user;
	size_t n = sz * nm;
	char *t;

	if (b->n + n > ANSWER_MAX)
		return 0; /* an answer this big is not NCMEC's: stop */
	t = realloc(b->p, b->n + n + 1);
	if (!t)
		return 0;
	memcpy(t + b->n, d, n);
	b->n += n;
	t[b->n] = '\0';
	b->p = t;
	return n;
}

/* The outcome of one request. */
enum { SENT_OK, NOT_SENT, MAYBE_SENT };

typedef struct answer {
	int how;                 /* SENT_OK / NOT_SENT / MAYBE_SENT */
	long http;
	vigil_ncmec_response r;  /* code -1 if no parsable answer */
	buf body;
	char err[200];
} answer;

/* kind: 0 XML body, 1 form id=, 2 multipart id + file. */
static void request(const vigil_ncmec_opts *o, const char *path, int kind,
		    const char *body, const char *id, const uint8_t *file,
		    size_t file_len, const char *file_name, answer *a)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL, *pin = NULL;
	curl_mime *mime = NULL;
	char url[2048], *form = NULL;
	CURLcode cc;

	memset(a, 0, sizeof(*a));
	a->r.code = -1;
	a->how = NOT_SENT;
	if (!c) {
		snprintf(a->err, sizeof(a->err), "curl: out of memory");
		return;
	}
	snprintf(url, sizeof(url), "%s%s", o->base_url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(c, CURLOPT_USERPWD, o->userpwd);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(o->timeout_ms ? o->timeout_ms : 30000));
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a->body);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	if (o->resolve) {
		/* The address the caller checked against its allowlist, and no
		 * proxy between. */
		pin = curl_slist_append(NULL, o->resolve);
		curl_easy_setopt(c, CURLOPT_RESOLVE, pin);
		curl_easy_setopt(c, CURLOPT_PROXY, "");
	}
	if (kind == 0) {
		h = curl_slist_append(h, "Content-Type: text/xml; charset=utf-8");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	} else if (kind == 1) {
		form = curl_easy_escape(c, id, 0);
		if (form) {
			size_t n = strlen(form) + 4;
			char *f = malloc(n);
			if (f)
				snprintf(f, n, "id=%s", form);
			curl_free(form);
			form = f;
		}
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form ? form : "");
	} else if (kind == 2) {
		curl_mimepart *p;
		mime = curl_mime_init(c);
		p = curl_mime_addpart(mime);
		curl_mime_name(p, "id");
		curl_mime_data(p, id, CURL_ZERO_TERMINATED);
		p = curl_mime_addpart(mime);
		curl_mime_name(p, "file");
		curl_mime_filename(p, file_name);
		curl_mime_data(p, (const char *)file, file_len);
		curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK) {
		a->how = SENT_OK;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->http);
		if (!a->body.p || vigil_ncmec_parse(a->body.p, a->body.n, &a->r))
			a->r.code = -1;
	} else {
		/* Only a connection that never opened certainly sent nothing. */
		a->how = cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST
				 ? NOT_SENT : MAYBE_SENT;
		snprintf(a->err, sizeof(a->err), "%s", curl_easy_strerror(cc));
	}
	free(form);
	curl_mime_free(mime);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	curl_slist_free_all(pin);
}

/* A failure worth retrying: nothing reached NCMEC, or it says its side
 * failed (1xxx) or answered 5xx without a code. */
static int transient(const answer *a)
{
	if (a->how == NOT_SENT)
		return 1;
	if (a->how == MAYBE_SENT)
		return 0;
	if (a->r.code >= 1000 && a->r.code < 2000)
		return 1;
	return a->r.code < 0 && a->http >= 500;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Keeps what NCMEC answered (the body as received, at most ANSWER_MAX). */
static void remember(vigil_report *r, const char *step, int n, const answer *a)
{
	json_t *arr = json_loads(r->answers ? r->answers : "[]", 0, NULL);
	json_t *o = json_pack("{s:s,s:i,s:I,s:i,s:s,s:s}", "step", step, "n", n, "http",
			      (json_int_t)a->http, "code", a->r.code, "body",
			      a->body.p ? a->body.p : "", "error", a->err);
	char *text;

	if (!json_is_array(arr)) {
		json_decref(arr);
		arr = json_array();
	}
	if (o && arr && !json_array_append_new(arr, o) &&
	    (text = json_dumps(arr, JSON_COMPACT))) {
		free(r->answers);
		r->answers = text;
	}
	json_decref(arr);
}

/* One step with retries: returns with *a filled by the last try. */
static void step(const vigil_ncmec_opts *o, vigil_report *r, const char *name, int n,
		 const char *path, int kind, const char *body, const uint8_t *file,
		 size_t file_len, const char *file_name, answer *a)
{
	int tries = o->max_attempts > 0 ? o->max_attempts : 5;
	int wait = o->backoff_ms > 0 ? o->backoff_ms : 500;

	for (int i = 0;; i++) {
		request(o, path, kind, body, r->ncmec_id, file, file_len, file_name, a);
		remember(r, name, n, a);
		r->last_code = a->r.code;
		snprintf(r->last_error, sizeof(r->last_error), "%s: http %ld code %d %.100s%.100s",
			 name, a->http, a->r.code, a->err, a->r.description);
		if (a->how == SENT_OK && a->r.code == 0)
			return;
		if (!transient(a) || i + 1 >= tries)
			return;
		free(a->body.p);
		a->body.p = NULL;
		sleep_ms(wait);
		if (wait < 60000)
			wait *= 2;
	}
}

/* The one place report rows are written: the sealed columns go to the
 * backend sealed (when the store has a key), r itself stays clear. */
static int put(vigil_store *st, vigil_report *r)
{
	vigil_report s = *r;
	int rc;

	r->updated = s.updated = (int64_t)time(NULL);
	s.xml = s.files = s.answers = NULL;
	rc = vigil__seal_text(st, "reports.xml", r->xml, &s.xml);
	if (!rc)
		rc = vigil__seal_text(st, "reports.files", r->files ? r->files : "[]", &s.files);
	if (!rc)
		rc = vigil__seal_text(st, "reports.answers", r->answers ? r->answers : "[]",
				      &s.answers);
	if (!rc)
		rc = NEED_OP(st, report_put, &s);
	free(s.xml);
	free(s.files);
	free(s.answers);
	return rc;
}

/* ------------------------------------------------------------ submit */

static int do_submit(vigil_store *st, vigil_report *r, const vigil_ncmec_opts *o)
{
	answer a;
	int rc, nmedia = 0;
	json_t *files;
	char *text;

	if (!r->xml) {
		rc = vigil_report_xml(st, r->id, o->reporter, (int64_t)time(NULL), &r->xml);
		if (rc)
			return rc;
	}
	/* Stored before it goes: a crash from here to the answer's store is
	 * seen as SUBMITTING by the next run. */
	r->state = VIGIL_REPORT_SUBMITTING;
	rc = put(st, r);
	if (rc)
		return rc;
	step(o, r, "submit", 0, "/submit", 0, r->xml, NULL, 0, NULL, &a);
	if (a.how == SENT_OK && a.r.code == 0 && *a.r.report_id) {
		r->state = VIGIL_REPORT_OPEN;
		snprintf(r->ncmec_id, sizeof(r->ncmec_id), "%s", a.r.report_id);
		r->attempts = 0;
		rc = vigil_case_media_count(st, r->case_id, &nmedia);
		files = json_array();
		for (int i = 1; !rc && files && i <= nmedia; i++)
			json_array_append_new(files, json_pack("{s:i,s:s,s:s,s:b,s:s}", "n", i,
							       "file_id", "", "md5", "",
							       "fileinfo", 0, "details", ""));
		text = files ? json_dumps(files, JSON_COMPACT) : NULL;
		json_decref(files);
		if (!rc && !text)
			rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		if (text) {
			free(r->files);
			r->files = text;
		}
		if (!rc)
			rc = put(st, r);
		free(a.body.p);
		return rc;
	}
	if (a.how == NOT_SENT || (a.how == SENT_OK && transient(&a))) {
		r->state = VIGIL_REPORT_DRAFT; /* certainly not filed: try later */
		r->attempts++;
		rc = vigil__err(st->ctx, VIGIL_EIO, "report %lld: %s", (long long)r->id,
				r->last_error);
	} else if (a.how == SENT_OK && (a.r.code == 4000 || a.r.code == 4100 ||
					a.r.code == 4110)) {
		r->state = VIGIL_REPORT_REJECTED;
		rc = vigil__err(st->ctx, VIGIL_EABORTED, "report %lld rejected by NCMEC (%d): %s",
				(long long)r->id, a.r.code, a.r.description);
	} else if (a.how == SENT_OK && a.r.code >= 2000 && a.r.code < 4000) {
		r->state = VIGIL_REPORT_DRAFT; /* not accepted: credentials */
		rc = vigil__err(st->ctx, VIGIL_EABORTED, "report %lld: NCMEC refused the "
				"credentials (%d): %s", (long long)r->id, a.r.code,
				a.r.description);
	} else {
		r->state = VIGIL_REPORT_UNKNOWN;
		rc = vigil__err(st->ctx, VIGIL_EABORTED, "report %lld: the answer to /submit "
				"was lost (%s); it may have been filed: check with NCMEC before "
				"sending it again", (long long)r->id, r->last_error);
	}
	free(a.body.p);
	put(st, r);
	return rc;
}

static int set_file(json_t *f, const char *key, json_t *v)
{
	return json_object_set_new(f, key, v);
}

static int save_files(vigil_store *st, vigil_report *r, json_t *files)
{
	char *text = json_dumps(files, JSON_COMPACT);

	if (!text)
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	free(r->files);
	r->files = text;
	return put(st, r);
}

/* Uploads and describes every file not yet acknowledged. */
static int do_files(vigil_store *st, vigil_report *r, const vigil_ncmec_opts *o)
{
	json_t *files = json_loads(r->files ? r->files : "[]", 0, NULL), *f;
	size_t i;
	int rc = VIGIL_OK;

	if (!json_is_array(files)) {
		json_decref(files);
		return vigil__err(st->ctx, VIGIL_ECORRUPT, "report %lld: bad files record",
				  (long long)r->id);
	}
	json_array_foreach(files, i, f) {
		int n = (int)json_integer_value(json_object_get(f, "n"));
		const char *fid = json_string_value(json_object_get(f, "file_id"));
		answer a;

		if (!fid || !*fid) {
			vigil_case_media m;
			uint8_t *plain = NULL, dig[VIGIL_DIGEST_MAX];
			size_t plen = 0;
			char md5[33], name[64];

			if (!o->master_key) {
				rc = vigil__err(st->ctx, VIGIL_EINVAL, "report %lld: the master key "
						"is needed to send its files", (long long)r->id);
				break;
			}
			rc = vigil_case_media_get(st, r->case_id, n, &m);
			if (rc)
				break;
			/* In memory only: the plaintext never touches the disk. */
			rc = vigil_unseal(st->ctx, o->master_key, m.sealed, m.sealed_len, &plain,
					  &plen);
			free(m.sealed);
			if (rc)
				break;
			vigil_digest(st->ctx, VIGIL_MD5, plain, plen, dig);
			for (int k = 0; k < 16; k++)
				snprintf(md5 + 2 * k, 3, "%02x", dig[k]);
			snprintf(name, sizeof(name), "case-%lld-item-%d", (long long)r->case_id, n);
			step(o, r, "upload", n, "/upload", 2, NULL, plain, plen, name, &a);
			sodium_memzero(plain, plen);
			free(plain);
			if (!(a.how == SENT_OK && a.r.code == 0 && *a.r.file_id)) {
				free(a.body.p);
				put(st, r);
				rc = vigil__err(st->ctx, VIGIL_EIO, "report %lld: upload of file %d: %s",
						(long long)r->id, n, r->last_error);
				break;
			}
			if (*a.r.hash && strcasecmp(a.r.hash, md5)) {
				free(a.body.p);
				put(st, r);
				rc = vigil__err(st->ctx, VIGIL_EIO, "report %lld: file %d arrived "
						"damaged (NCMEC's MD5 %s, ours %s)", (long long)r->id, n,
						a.r.hash, md5);
				break;
			}
			set_file(f, "file_id", json_string(a.r.file_id));
			set_file(f, "md5", json_string(md5));
			free(a.body.p);
			rc = save_files(st, r, files);
			if (rc)
				break;
			fid = json_string_value(json_object_get(f, "file_id"));
		}
		if (!json_is_true(json_object_get(f, "fileinfo"))) {
			char *doc = NULL;
			rc = vigil__report_file_doc(st, r, n, r->ncmec_id, fid,
						    json_string_value(json_object_get(f, "md5")), &doc);
			if (rc)
				break;
			step(o, r, "fileinfo", n, "/fileinfo", 0, doc, NULL, 0, NULL, &a);
			free(a.body.p);
			if (!(a.how == SENT_OK && a.r.code == 0)) {
				free(doc);
				put(st, r);
				rc = vigil__err(st->ctx, a.r.code == 4100 || a.r.code == 4110
								 ? VIGIL_EABORTED : VIGIL_EIO,
						"report %lld: fileinfo of file %d: %s",
						(long long)r->id, n, r->last_error);
				break;
			}
			set_file(f, "fileinfo", json_true());
			set_file(f, "details", json_string(doc));
			free(doc);
			rc = save_files(st, r, files);
			if (rc)
				break;
		}
	}
	json_decref(files);
	return rc;
}

static int do_finish(vigil_store *st, vigil_report *r, const vigil_ncmec_opts *o)
{
	answer a;
	int rc = VIGIL_OK;

	step(o, r, "finish", 0, "/finish", 1, NULL, NULL, 0, NULL, &a);
	/* 5102: finished already (an earlier run's finish whose answer was
	 * lost): the state asked for. */
	if (a.how == SENT_OK && (a.r.code == 0 || a.r.code == 5102)) {
		r->state = VIGIL_REPORT_FINISHED;
		r->attempts = 0;
	} else {
		rc = vigil__err(st->ctx, VIGIL_EIO, "report %lld: finish: %s", (long long)r->id,
				r->last_error);
	}
	free(a.body.p);
	put(st, r);
	return rc;
}

static int submit_run(vigil_store *st, int64_t id, const vigil_ncmec_opts *o)
{
	vigil_report r;
	int rc;

	rc = vigil_report_get(st, id, &r);
	if (rc)
		return rc;
	switch (r.state) {
	case VIGIL_REPORT_FINISHED:
		goto out;
	case VIGIL_REPORT_SUBMITTING:
		/* The last run died between sending /submit and storing its
		 * answer: NCMEC may have the report. */
		r.state = VIGIL_REPORT_UNKNOWN;
		snprintf(r.last_error, sizeof(r.last_error), "submit: interrupted before its "
			 "answer was stored");
		put(st, &r);
		/* fall through */
	case VIGIL_REPORT_UNKNOWN:
	case VIGIL_REPORT_RETRACTED:
	case VIGIL_REPORT_REJECTED:
		rc = vigil__err(st->ctx, VIGIL_EABORTED, "report %lld is %s: not sent again%s",
				(long long)id, vigil_report_state_name(r.state),
				r.state == VIGIL_REPORT_UNKNOWN
					? " (check with NCMEC whether it arrived)" : "");
		goto out;
	case VIGIL_REPORT_DRAFT:
		rc = do_submit(st, &r, o);
		if (rc)
			goto out;
		/* fall through */
	default:
		break;
	}
	rc = do_files(st, &r, o);
	if (!rc)
		rc = do_finish(st, &r, o);
out:
	vigil_report_clear(&r);
	return rc;
}

int vigil_report_submit(vigil_store *st, int64_t id, const vigil_ncmec_opts *o)
{
	char lease[48], owner[96], host[64] = "";
	int rc, held = 0;

	if (!st || !o || !o->base_url || !o->userpwd || !o->reporter)
		return VIGIL_EINVAL;
	/* One run per report among processes on a shared store (instances,
	 * the CLI on two hosts): a second run would take the first's
	 * SUBMITTING for a crash and give up on the report. The lease lasts
	 * as long as this run's connection, so a run killed mid-way frees it
	 * and the next one resumes. */
	gethostname(host, sizeof(host) - 1);
	snprintf(lease, sizeof(lease), "report:%lld", (long long)id);
	snprintf(owner, sizeof(owner), "%s:%ld", host, (long)getpid());
	rc = vigil_store_lease(st, lease, owner, VIGIL_LEASE_SESSION, &held);
	if (rc)
		return rc;
	if (!held)
		return vigil__err(st->ctx, VIGIL_EEXIST,
				  "report %lld is being filed by another process", (long long)id);
	rc = submit_run(st, id, o);
	vigil_store_lease(st, lease, owner, 0, &held);
	return rc;
}

int vigil_report_resend(vigil_store *st, int64_t id)
{
	vigil_report r;
	int own, rc;

	if (!st)
		return VIGIL_EINVAL;
	rc = vigil__begin_own(st, &own);
	if (rc)
		return rc;
	rc = vigil_report_get(st, id, &r);
	if (rc)
		return vigil__end_own(st, own, rc);
	if (r.state != VIGIL_REPORT_UNKNOWN) {
		rc = vigil__err(st->ctx, VIGIL_EABORTED, "report %lld is %s: only an unknown "
				"report is resent", (long long)id,
				vigil_report_state_name(r.state));
	} else {
		r.state = VIGIL_REPORT_DRAFT;
		r.attempts = 0;
		r.last_code = -1;
		snprintf(r.last_error, sizeof(r.last_error),
			 "resend: confirmed with NCMEC that it never arrived");
		rc = put(st, &r);
	}
	vigil_report_clear(&r);
	return vigil__end_own(st, own, rc);
}

int vigil_report_retract(vigil_store *st, int64_t id, const vigil_ncmec_opts *o)
{
	vigil_report r;
	answer a;
	int rc;

	if (!st || !o || !o->base_url || !o->userpwd)
		return VIGIL_EINVAL;
	rc = vigil_report_get(st, id, &r);
	if (rc)
		return rc;
	if (r.state == VIGIL_REPORT_RETRACTED)
		goto out;
	if (r.state != VIGIL_REPORT_OPEN) {
		rc = vigil__err(st->ctx, VIGIL_EABORTED, "report %lld is %s: only an open "
				"report can be retracted", (long long)id,
				vigil_report_state_name(r.state));
		goto out;
	}
	step(o, &r, "retract", 0, "/retract", 1, NULL, NULL, 0, NULL, &a);
	if (a.how == SENT_OK && (a.r.code == 0 || a.r.code == 5101))
		r.state = VIGIL_REPORT_RETRACTED;
	else
		rc = vigil__err(st->ctx, VIGIL_EIO, "report %lld: retract: %s", (long long)id,
				r.last_error);
	free(a.body.p);
	put(st, &r);
out:
	vigil_report_clear(&r);
	return rc;
}
