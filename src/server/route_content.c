/* route_content.c — the pipeline for one upload (POST /v1/content), user
 * reports (POST /v1/user-reports) and the failed webhooks list.
 *
 * One upload: hash (PDQ with its dihedral variants, MD5, SHA-1, SHA-256),
 * match every enabled bank with the widest radius any policy allows,
 * decide (vigil_decide: per-bank filters, suppression, flood quarantine,
 * precedence), then ONE transaction holds the quarantines, the case, the
 * outbox events and the audit row; the reply is sent after the commit, and
 * the delivery thread is woken. */
#include "http.h"
#include "metrics.h"
#include "pipeline.h"
#include "review.h"
#include "sync.h"
#include "work.h"
#include "bgthread.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_MATCHES 256

static const char *ctx_str(json_t *c, const char *key)
{
	const char *v = json_string_value(json_object_get(c, key));

	return v ? v : "";
}

/* The hashes and matches of one file. */
typedef struct upload {
	vigil_pdq pdq, dih[8];
	int has_pdq;
	uint8_t dig[3][VIGIL_DIGEST_MAX];
	vigil_match m[MAX_MATCHES];
	int disp[MAX_MATCHES];
	size_t n;
	vigil_bank_rule *rules;
	size_t nrules;
	vigil_decision d;
	int video;       /* hashed with vPDQ */
	size_t frames;   /* video: hashed frames */
} upload;

/* Who caused a write: the key, its roles, the client address (copied, so
 * that a video job can audit after its request has ended). */
typedef struct actor {
	char key[128];
	unsigned roles;
	char ip[64];
} actor;

static void actor_of(srv_req *r, actor *a)
{
	snprintf(a->key, sizeof(a->key), "%s", *srv_key_name(r) ? srv_key_name(r) : "-");
	a->roles = srv_key_roles(r);
	snprintf(a->ip, sizeof(a->ip), "%s", srv_client_ip(r));
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Loads the rules and the widest search any of them needs. */
static int load_rules(vigil_store *st, upload *u, int *radius, int *dihedral)
{
	size_t i;
	int rc = vigil_bank_rules_load(st, &u->rules, &u->nrules);

	*radius = 0;
	*dihedral = 0;
	if (rc)
		return rc;
	/* Search as wide as the widest policy; vigil_decide narrows per bank. */
	for (i = 0; i < u->nrules; i++) {
		if (u->rules[i].policy.pdq_distance > *radius)
			*radius = u->rules[i].policy.pdq_distance;
		*dihedral |= u->rules[i].policy.dihedral;
	}
	if (*radius > 64)
		*radius = 64;
	return VIGIL_OK;
}

/* Exact digests of the file, and their matches appended to u->m. */
static int digests(vigil_ctx *c, vigil_matcher *m, const uint8_t *file, size_t len,
		   upload *u)
{
	static const int types[3] = {VIGIL_HASH_MD5, VIGIL_HASH_SHA1, VIGIL_HASH_SHA256};
	size_t i, found;
	int rc;

	for (i = 0; i < 3; i++) {
		rc = vigil_digest(c, (vigil_digest_algo)i, file, len, u->dig[i]);
		if (rc)
			return rc;
	}
	for (i = 0; i < 3 && u->nrules && u->n < MAX_MATCHES; i++) {
		rc = vigil_matcher_digest(m, c, types[i], u->dig[i], u->m + u->n,
					  MAX_MATCHES - u->n, &found);
		if (rc)
			return rc;
		u->n += found < MAX_MATCHES - u->n ? found : MAX_MATCHES - u->n;
	}
	return VIGIL_OK;
}

static int decide(upload *u, int query_quality)
{
	return vigil_decide(u->m, u->n, query_quality, u->rules, u->nrules, srv_flood(),
			    now_ms(), u->disp, &u->d);
}

/* An image: PDQ (+ dihedral), digests, matches, decision. VIGIL_EFORMAT if
 * it is not an image. */
static int run_image(vigil_ctx *c, vigil_store *st, vigil_matcher *m,
		     const uint8_t *file, size_t len, upload *u)
{
	int radius, dihedral, rc;
	size_t found;

	rc = vigil_pdq_hash_memory(c, file, len, NULL, &u->pdq, u->dih);
	if (rc)
		return rc;
	u->has_pdq = 1;
	rc = load_rules(st, u, &radius, &dihedral);
	if (!rc && u->nrules) {
		rc = vigil_matcher_pdq(m, c, &u->pdq, dihedral ? u->dih : NULL, radius, u->m,
				       MAX_MATCHES, &found);
		u->n = found < MAX_MATCHES ? found : MAX_MATCHES;
	}
	if (!rc)
		rc = digests(c, m, file, len, u);
	return rc ? rc : decide(u, u->pdq.quality);
}

/* Collects a video's frames (bounded). */
typedef struct frames {
	vigil_vpdq_frame *v;
	size_t n, cap, max;
} frames;

static int on_frame(void *user, const vigil_vpdq_frame *f)
{
	frames *fr = user;

	if (fr->n == fr->max)
		return 1; /* a limit: stops with VIGIL_EABORTED */
	if (fr->n == fr->cap) {
		size_t cap = fr->cap ? fr->cap * 2 : 256;
		vigil_vpdq_frame *v = realloc(fr->v, cap * sizeof(*v));
		if (!v)
			return 1;
		fr->v = v;
		fr->cap = cap;
	}
	fr->v[fr->n++] = *f;
	return 0;
}

/* Whether data is a video FFmpeg can decode: its first frame is hashed,
 * then the probe stops. */
static int first_frame(void *user, const vigil_vpdq_frame *f)
{
	(void)f;
	*(int *)user = 1;
	return 1;
}

static int is_video(vigil_ctx *c, const uint8_t *file, size_t len)
{
	vigil_video_opts o;
	int got = 0;

	memset(&o, 0, sizeof(o));
	o.threads = 1;
	vigil_vpdq_hash_memory(c, file, len, &o, first_frame, &got);
	return got;
}

/* A video: vPDQ one frame a second, known images in any frame and known
 * videos (vigil_matcher_video), digests, decision. */
static int run_video(vigil_ctx *c, vigil_store *st, vigil_matcher *m, const uint8_t *file,
		     size_t len, double max_seconds, upload *u)
{
	vigil_video_opts o;
	vigil_video_match_opts mo;
	vigil_video_match *vm = NULL;
	frames fr = {NULL, 0, 0, 100000};
	size_t nvm = 0, i;
	int radius, dihedral, rc;

	u->video = 1;
	memset(&o, 0, sizeof(o));
	o.interval = 1.0;
	o.max_seconds = max_seconds;
	o.threads = 1;
	rc = vigil_vpdq_hash_memory(c, file, len, &o, on_frame, &fr);
	if (rc)
		goto out;
	u->frames = fr.n;
	rc = load_rules(st, u, &radius, &dihedral);
	if (rc || !u->nrules)
		goto digest;
	memset(&mo, 0, sizeof(mo));
	mo.radius = radius ? radius : VIGIL_RADIUS_EXACT;
	rc = vigil_matcher_video(m, c, fr.v, fr.n, &mo, &vm, &nvm);
	if (rc)
		goto out;
	for (i = 0; i < nvm && u->n < MAX_MATCHES; i++)
		u->m[u->n++] = vm[i].match;
digest:
	if (!rc)
		rc = digests(c, m, file, len, u);
	/* Frames below quality 50 were already left out by the matcher. */
	if (!rc)
		rc = decide(u, -1);
out:
	free(vm);
	free(fr.v);
	return rc;
}

static const vigil_bank_rule *rule_of(const upload *u, int64_t bank_id)
{
	size_t i;

	for (i = 0; i < u->nrules; i++)
		if (u->rules[i].bank_id == bank_id)
			return &u->rules[i];
	return NULL;
}

static json_t *matches_json(const upload *u)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < u->n; i++) {
		const vigil_match *m = &u->m[i];
		char hex[65];
		vigil_hex(m->value, vigil_hash_type_size(m->type), hex);
		json_array_append_new(
			a, json_pack("{s:s,s:I,s:s,s:s,s:i,s:s,s:s}", "bank", m->bank, "entry",
				     (json_int_t)m->entry_id, "type",
				     vigil_hash_type_name(m->type), "hash", hex, "distance",
				     m->distance, "variant",
				     m->variant < 0 ? "exact" : vigil_dihedral_name(m->variant),
				     "disposition", vigil_disposition_name(u->disp[i])));
	}
	return a;
}

static json_t *hashes_json(const upload *u)
{
	char pdq[65], md5[33], sha1[41], sha256[65];

	vigil_pdq_to_hex(&u->pdq, pdq);
	vigil_hex(u->dig[0], 16, md5);
	vigil_hex(u->dig[1], 20, sha1);
	vigil_hex(u->dig[2], 32, sha256);
	if (!u->has_pdq)
		return json_pack("{s:s,s:s,s:s,s:I}", "md5", md5, "sha1", sha1, "sha256", sha256,
				 "vpdq_frames", (json_int_t)u->frames);
	return json_pack("{s:s,s:i,s:s,s:s,s:s}", "pdq", pdq, "quality", u->pdq.quality,
			 "md5", md5, "sha1", sha1, "sha256", sha256);
}

static int audit(const actor *who, vigil_store *st, const char *action,
		 const char *object, json_t *detail)
{
	char roles[64], *text = json_dumps(detail, JSON_COMPACT);
	vigil_audit a;
	int rc;

	memset(&a, 0, sizeof(a));
	srv_roles_format(who->roles, roles, sizeof(roles));
	a.who = who->key;
	a.role = roles;
	a.action = action;
	a.object = object;
	a.detail = text ? text : "";
	a.source = who->ip;
	rc = vigil_audit_append(st, &a);
	free(text);
	return rc;
}

/* Writes what the decision caused, in one transaction: quarantines (and
 * their events), the case (review verdicts, or always for a user report),
 * the verdict and case events, the audit row, and a video job's review copy
 * (copy, or NULL) as the case's media. Fills *case_id and actions. */
static int commit(vigil_store *st, srv *s, const actor *who, upload *u,
		  json_t *context, const char *source, int always_case, const char *job,
		  srv_case_copy *copy, json_t *matches, json_t *actions, int64_t *case_id)
{
	const vigil_bank_rule *winner = rule_of(u, u->d.bank_id);
	char pdqhex[65], key[80], obj[128];
	int joined = 0, rc;
	size_t i;
	json_t *data;

	*case_id = 0;
	rc = vigil_store_begin(st);
	if (rc)
		return rc;
	for (i = 0; !rc && i < u->n; i++) {
		const vigil_bank_rule *br;
		vigil_quarantine q;
		if (u->disp[i] != VIGIL_DISP_FLOODED)
			continue;
		br = rule_of(u, u->m[i].bank_id);
		memset(&q, 0, sizeof(q));
		q.entry_id = u->m[i].entry_id;
		q.bank_id = u->m[i].bank_id;
		snprintf(q.reason, sizeof(q.reason), "more than %d matches in %d s",
			 br->policy.flood_matches, br->policy.flood_seconds);
		rc = vigil_quarantine_add(st, &q);
		if (rc)
			break;
		data = json_pack("{s:s,s:I,s:s,s:i,s:i}", "bank", br->bank, "entry",
				 (json_int_t)q.entry_id, "reason", q.reason, "flood_matches",
				 br->policy.flood_matches, "flood_seconds",
				 br->policy.flood_seconds);
		rc = data ? srv_event_queue(st, s, br, "entry.quarantined", data, actions)
			  : VIGIL_ENOMEM;
		json_decref(data);
		json_array_append_new(actions, json_pack("{s:s,s:I}", "type", "quarantine",
							 "entry", (json_int_t)q.entry_id));
		srv_metric_inc("vigil_entries_quarantined_total", "bank", br->bank);
		srv_log(s, SRV_LOG_WARN, "alert: entry %lld of bank %s quarantined (%s)",
			(long long)q.entry_id, br->bank, q.reason);
	}
	if (!rc && (u->d.verdict == VIGIL_VERDICT_REVIEW || always_case)) {
		vigil_case_new cn;
		char *ctext = json_dumps(context, JSON_COMPACT);
		char *mtext = json_dumps(matches, JSON_COMPACT);
		const char *user = ctx_str(context, "user_id");
		vigil_pdq_to_hex(&u->pdq, pdqhex);
		if (u->has_pdq)
			snprintf(key, sizeof(key), "pdq:%s", pdqhex);
		else /* a report without a file: about one content id */
			snprintf(key, sizeof(key), "content:%.70s",
				 ctx_str(context, "content_id"));
		memset(&cn, 0, sizeof(cn));
		cn.source = source;
		/* Several uploads of the same picture by the same user are one
		 * case; anonymous uploads are never joined. */
		cn.join_key = *user ? key : NULL;
		cn.priority = u->d.priority ? u->d.priority : 50;
		cn.report = u->d.report;
		cn.bank_id = u->d.bank_id;
		cn.content_id = ctx_str(context, "content_id");
		cn.user_id = user;
		cn.context = ctext;
		cn.matches = mtext;
		rc = ctext && mtext ? vigil_case_open(st, &cn, case_id, &joined) : VIGIL_ENOMEM;
		free(ctext);
		free(mtext);
		if (!rc) {
			json_array_append_new(actions, json_pack("{s:s,s:I,s:b}", "type", "case",
								 "id", (json_int_t)*case_id,
								 "joined", joined));
			if (u->d.report)
				json_array_append_new(actions,
						      json_pack("{s:s}", "type", "report_draft"));
		}
		if (!rc && !joined) {
			data = json_pack("{s:I,s:s,s:i,s:b,s:O}", "case", (json_int_t)*case_id,
					 "source", source, "priority", cn.priority, "report",
					 u->d.report, "context", context);
			rc = data ? srv_event_queue(st, s, winner, "case.created", data, actions)
				  : VIGIL_ENOMEM;
			json_decref(data);
		}
	}
	/* Images are answered in the reply, so only verdicts that do
	 * something go out; a video's verdict goes out whatever it is (its
	 * request was answered 202 with the job id). */
	if (!rc && (u->d.verdict != VIGIL_VERDICT_ALLOW || job)) {
		data = json_pack("{s:s,s:O,s:O,s:o,s:o}", "verdict",
				 vigil_verdict_name(u->d.verdict), "context", context, "matches",
				 matches, "case", *case_id ? json_integer(*case_id) : json_null(),
				 "hashes", hashes_json(u));
		if (data && job)
			json_object_set_new(data, "job", json_string(job));
		rc = data ? srv_event_queue(st, s, winner, "verdict", data, actions) : VIGIL_ENOMEM;
		json_decref(data);
	}
	if (!rc) {
		json_t *detail = json_pack("{s:s,s:s,s:s,s:I,s:I}", "verdict",
					   vigil_verdict_name(u->d.verdict), "content_id",
					   ctx_str(context, "content_id"), "user_id",
					   ctx_str(context, "user_id"), "case", (json_int_t)*case_id,
					   "matches", (json_int_t)u->n);
		snprintf(obj, sizeof(obj), "%s", ctx_str(context, "content_id"));
		if (detail && job)
			json_object_set_new(detail, "job", json_string(job));
		rc = detail ? audit(who, st, !strcmp(source, "user_report") ? "user_report"
									     : "content.verdict",
				    obj, detail)
			    : VIGIL_ENOMEM;
		json_decref(detail);
	}
	/* The job's review copy with its case: a crash after the commit
	 * cannot leave a case whose video was never kept (the job's row drops
	 * its upload when finished). */
	if (!rc && *case_id && copy)
		rc = srv_case_copy_store(s, st, *case_id, copy);
	/* A video job's finish, in the same transaction: if another instance
	 * took the job over (or finished it), nothing of this is written. */
	if (!rc && job) {
		json_t *res = json_pack("{s:s,s:o,s:I}", "verdict",
					vigil_verdict_name(u->d.verdict), "case",
					*case_id ? json_integer(*case_id) : json_null(),
					"matches", (json_int_t)u->n);
		char *text = res ? json_dumps(res, JSON_COMPACT) : NULL;
		int done = 0;
		rc = text ? vigil_work_finish(st, job, srv_lease_owner(), "done", text, &done)
			  : VIGIL_ENOMEM;
		if (!rc && !done)
			rc = VIGIL_EEXIST;
		json_decref(res);
		free(text);
	}
	if (!rc)
		rc = vigil_store_commit(st);
	if (rc) {
		vigil_store_rollback(st);
		/* Nothing was stored: the tracker must not keep a quarantine the
		 * store does not have. */
		for (i = 0; i < u->n; i++)
			if (u->disp[i] == VIGIL_DISP_FLOODED)
				vigil_flood_release(srv_flood(), u->m[i].entry_id);
		return rc;
	}
	srv_pipeline_kick();
	return VIGIL_OK;
}

static json_t *context_part(srv_req *r, const char *field)
{
	const srv_part *p = srv_part_get(r, field);
	char err[256];
	json_t *c;

	if (!p)
		return json_object();
	c = srv_content_context(p->data, p->len, err, sizeof(err));
	if (!c)
		srv_reply_error(r, 400, "bad_context", "%s", err);
	return c;
}

/* ------------------------------------------------------- video jobs */

/* A video is answered 202 with a job id and hashed by one worker thread.
 * The job is a shared work item (work.h, vigil/store.h "shared work"): its
 * row holds the upload sealed — under the master key (master_key_file), so
 * that any instance can open it, else under a key only this process holds
 * (a survivor taking such a job over cannot open it and fails it:
 * job.failed "upload_lost") — with its context and who sent it. The
 * instance that took the upload holds the job's lease and queues its id
 * here; a survivor that takes a dead instance's job over queues it the same
 * way. The verdict, case, events and audit row are written with the job's
 * finish in one transaction, which counts only for its last claimer: a job
 * completes once however often it was taken over. Any instance answers
 * GET /v1/jobs/{id} from the row. */
#define MAX_JOBS 16 /* jobs queued on this instance for new uploads */

typedef struct job {
	char id[VIGIL_WORK_ID_MAX + 1];
	struct job *next;
} job;

static struct {
	srv_bg bg; /* its mu guards the queue */
	job *head, *tail;
	int n;
	srv *s;
	uint8_t proc_key[VIGIL_MASTER_KEY_BYTES]; /* without a master key */
} J = {.bg = SRV_BG_INIT};

/* Queues id (taken or adopted); 0, or -1 out of memory. */
static int enqueue(const char *id)
{
	job *j = calloc(1, sizeof(*j));

	if (!j)
		return -1;
	snprintf(j->id, sizeof(j->id), "%s", id);
	pthread_mutex_lock(&J.bg.mu);
	if (J.tail)
		J.tail->next = j;
	else
		J.head = j;
	J.tail = j;
	J.n++;
	pthread_cond_signal(&J.bg.cv);
	pthread_mutex_unlock(&J.bg.mu);
	return 0;
}

static int job_adopt(srv *s, vigil_ctx *ctx, vigil_store *st, const vigil_work *w)
{
	(void)s;
	(void)ctx;
	(void)st;
	return enqueue(w->id);
}

/* Its lease went elsewhere: not started here (a running one's finish will
 * not count, see commit). */
static void job_lost(srv *s, const char *id)
{
	job **pp, *j;

	(void)s;
	pthread_mutex_lock(&J.bg.mu);
	for (pp = &J.head; (j = *pp); pp = &j->next)
		if (!strcmp(j->id, id)) {
			*pp = j->next;
			if (J.tail == j) {
				J.tail = NULL;
				for (job *k = J.head; k; k = k->next)
					J.tail = k;
			}
			J.n--;
			free(j);
			break;
		}
	pthread_mutex_unlock(&J.bg.mu);
}

static const srv_work_kind video_kind = {"video", job_adopt, job_lost, 0};

/* What a job's row says about its upload (spec), parsed. */
typedef struct job_spec {
	json_t *context;
	actor who;
	int master; /* sealed under the master key, else the process key */
} job_spec;

static int spec_parse(const char *text, job_spec *js)
{
	json_t *j = json_loads(text, 0, NULL), *w;

	memset(js, 0, sizeof(*js));
	if (!j)
		return -1;
	js->context = json_incref(json_object_get(j, "context"));
	w = json_object_get(j, "who");
	snprintf(js->who.key, sizeof(js->who.key), "%s", ctx_str(w, "key"));
	snprintf(js->who.ip, sizeof(js->who.ip), "%s", ctx_str(w, "ip"));
	js->who.roles = (unsigned)json_integer_value(json_object_get(w, "roles"));
	js->master = !strcmp(ctx_str(j, "sealed"), "master");
	json_decref(j);
	if (!json_is_object(js->context)) {
		json_decref(js->context);
		js->context = NULL;
		return -1;
	}
	return 0;
}

/* A job that cannot complete: job.failed for the platform, so it is not
 * left waiting, and the failed finish, in one transaction (once, like a
 * verdict). */
static void fail_job(srv *s, vigil_ctx *c, vigil_store *st, const char *id,
		     json_t *context, const char *code, const char *msg)
{
	json_t *d = json_pack("{s:s,s:s,s:s,s:O}", "job", id, "error", code, "message", msg,
			      "context", context ? context : json_null());
	json_t *res = json_pack("{s:s,s:s}", "error", code, "message", msg);
	char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
	char *rtext = res ? json_dumps(res, JSON_COMPACT) : NULL;
	int done = 0, rc = text && rtext ? vigil_store_begin(st) : VIGIL_ENOMEM;

	if (!rc)
		rc = vigil_work_finish(st, id, srv_lease_owner(), "failed", rtext, &done);
	if (!rc && done && *srv_webhook_url(s))
		rc = vigil_outbox_add(st, "job.failed", srv_webhook_url(s), "", text, NULL);
	if (!rc)
		rc = vigil_store_commit(st);
	if (rc)
		vigil_store_rollback(st);
	else if (done)
		srv_pipeline_kick();
	srv_log(s, SRV_LOG_WARN, "video job %s: %s: %s%s", id, code, msg,
		rc ? " (not recorded)" : done ? "" : " (finished elsewhere)");
	if (rc)
		srv_log(s, SRV_LOG_ERROR, "video job %s: %s", id, vigil_errmsg(c));
	json_decref(d);
	json_decref(res);
	free(text);
	free(rtext);
}

/* A test hook: with VIGIL_TEST_CLOCK=1, VIGIL_TEST_JOB_PAUSE_MS holds a
 * job between its start and its hashing, so a test can kill the instance
 * with the job in flight. */
static void test_pause(void)
{
	const char *t = getenv("VIGIL_TEST_CLOCK"), *p = getenv("VIGIL_TEST_JOB_PAUSE_MS");
	long ms;

	if (!t || strcmp(t, "1") || !p || (ms = atol(p)) <= 0 || ms > 600000)
		return;
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* A test hook: with VIGIL_TEST_CLOCK=1, VIGIL_TEST_DIE_AFTER_VERDICT=1
 * ends the process right after a verdict committed (a job's or an upload's: a crash before
 * anything else runs), so a test can check what that commit holds. */
static void test_die(void)
{
	const char *t = getenv("VIGIL_TEST_CLOCK"), *d = getenv("VIGIL_TEST_DIE_AFTER_VERDICT");

	if (t && !strcmp(t, "1") && d && !strcmp(d, "1"))
		_exit(9);
}

static void run_job(srv *s, vigil_ctx *c, vigil_store *st, const char *id)
{
	vigil_work w;
	job_spec js = {0};
	upload *u = NULL;
	json_t *matches = NULL, *actions = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	int64_t case_id = 0;
	srv_case_copy *copy = NULL;
	int done = 0, rc;

	memset(&w, 0, sizeof(w));
	if (!srv_work_held(id))
		return; /* lost before it started */
	rc = vigil_work_get(st, id, 1, &w);
	if (rc) {
		srv_log(s, SRV_LOG_ERROR, "video job %s: %s", id, vigil_errmsg(c));
		goto drop;
	}
	/* Started: only while this instance is still its owner. */
	if (vigil_work_finish(st, id, srv_lease_owner(), "running", NULL, &done) || !done)
		goto drop;
	if (spec_parse(w.spec, &js)) {
		fail_job(s, c, st, id, NULL, "bad_job", "the job's record is unreadable");
		goto drop;
	}
	if (!w.media || (js.master && !srv_master_key(s)) ||
	    vigil_unseal(c, js.master ? srv_master_key(s) : J.proc_key, w.media, w.media_len,
			 &data, &len)) {
		fail_job(s, c, st, id, js.context, "upload_lost",
			 "the upload was sealed by an instance without master_key_file "
			 "that stopped; send it again");
		goto drop;
	}
	vigil_work_clear(&w); /* the sealed copy is not needed any more */
	test_pause();
	u = calloc(1, sizeof(*u));
	actions = json_array();
	if (!u || !actions) {
		srv_log(s, SRV_LOG_ERROR, "video job %s: out of memory", id);
		goto drop; /* its lease expires: a survivor (or a restart) retries */
	}
	rc = run_video(c, st, srv_pipeline_matcher(s), data, len,
		       (double)srv_pipeline_max_video_seconds(s), u);
	if (rc) {
		/* Not a verdict: an error event. */
		fail_job(s, c, st, id, js.context, vigil_status_name(rc), vigil_errmsg(c));
		goto drop;
	}
	matches = matches_json(u);
	if (!matches)
		goto drop;
	/* Sealed now, stored in the verdict's transaction (review.h). */
	if (u->d.verdict == VIGIL_VERDICT_REVIEW)
		copy = srv_case_video_copy(s, c, data, len);
	rc = commit(st, s, &js.who, u, js.context, "match", 0, id, copy, matches, actions,
		    &case_id);
	if (!rc)
		test_die();
	srv_case_copy_free(copy);
	copy = NULL;
	if (rc == VIGIL_EEXIST)
		srv_log(s, SRV_LOG_WARN, "video job %s: taken over by another instance; "
			"this result is dropped", id);
	else if (rc)
		srv_log(s, SRV_LOG_ERROR, "video job %s: %s", id, vigil_errmsg(c));
	else
		srv_metric_inc("vigil_verdicts_total", "verdict",
			       vigil_verdict_name(u->d.verdict));
drop:
	srv_work_drop(s, c, st, id);
	vigil_work_clear(&w);
	json_decref(js.context);
	json_decref(matches);
	json_decref(actions);
	if (data) {
		sodium_memzero(data, len);
		free(data);
	}
	if (u)
		free(u->rules);
	free(u);
}

static void *video_worker(void *arg)
{
	srv *s = arg;
	vigil_ctx *c = NULL;
	vigil_store *st = NULL;

	if (vigil_ctx_new(&c) || srv_store_open(s, c, srv_pipeline_db(s), &st)) {
		srv_log(s, SRV_LOG_ERROR, "video jobs: cannot open the store: %s",
			c ? vigil_errmsg(c) : "out of memory");
		vigil_ctx_free(c);
		return NULL;
	}
	for (;;) {
		job *j;
		pthread_mutex_lock(&J.bg.mu);
		while (!J.head && !J.bg.stop)
			pthread_cond_wait(&J.bg.cv, &J.bg.mu);
		if (J.bg.stop) {
			pthread_mutex_unlock(&J.bg.mu);
			break;
		}
		j = J.head;
		J.head = j->next;
		if (!J.head)
			J.tail = NULL;
		J.n--;
		pthread_mutex_unlock(&J.bg.mu);
		vigil_ctx_set_limit(c, VIGIL_LIMIT_MAX_PIXELS, srv_pipeline_max_pixels(s));
		run_job(s, c, st, j->id);
		free(j);
	}
	vigil_store_close(st);
	vigil_ctx_free(c);
	return NULL;
}

int srv__video_start(srv *s)
{
	J.s = s;
	randombytes_buf(J.proc_key, sizeof(J.proc_key));
	srv_work_register(&video_kind);
	if (srv_bg_start(&J.bg, video_worker, s))
		return -1;
	return 0;
}

void srv__video_stop(void)
{
	job *j, *next;

	if (!J.bg.running)
		return;
	srv_bg_stop(&J.bg);
	/* Queued jobs stay in the store: their leases run out (or were given
	 * back by srv_work_stop) and an instance takes them over. */
	for (j = J.head; j; j = next) {
		next = j->next;
		free(j);
	}
	J.head = J.tail = NULL;
	J.n = 0;
	sodium_memzero(J.proc_key, sizeof(J.proc_key));
}

/* Stores a video as a job, queued here; replies 202 with the job id, or
 * 503 when this instance's queue is full. */
static void queue_video(srv_req *r, vigil_store *st, const uint8_t *file, size_t len,
			json_t *context)
{
	srv *s = srv_of(r);
	const uint8_t *mk = srv_master_key(s);
	vigil_work w;
	actor who;
	json_t *spec = NULL;
	int full, rc;

	memset(&w, 0, sizeof(w));
	pthread_mutex_lock(&J.bg.mu);
	full = !J.bg.running || J.n >= MAX_JOBS;
	pthread_mutex_unlock(&J.bg.mu);
	if (full) {
		srv_add_header(r, "Retry-After", "5");
		srv_reply_error(r, 503, "busy", "too many videos waiting to be hashed");
		return;
	}
	if (len > VIGIL_WORK_MEDIA_MAX) {
		srv_reply_error(r, 413, "too_large", "a video job holds at most %zu bytes",
				(size_t)VIGIL_WORK_MEDIA_MAX);
		return;
	}
	actor_of(r, &who);
	srv_work_new_id(w.id, sizeof(w.id));
	snprintf(w.kind, sizeof(w.kind), "video");
	snprintf(w.state, sizeof(w.state), "queued");
	snprintf(w.owner, sizeof(w.owner), "%s", srv_lease_owner());
	w.lease_until_ms = srv_work_until(s, w.kind);
	spec = json_pack("{s:O,s:{s:s,s:I,s:s},s:s,s:I}", "context", context, "who", "key",
			 who.key, "roles", (json_int_t)who.roles, "ip", who.ip, "sealed",
			 mk ? "master" : "process", "bytes", (json_int_t)len);
	w.spec = spec ? json_dumps(spec, JSON_COMPACT) : NULL;
	json_decref(spec);
	if (!w.spec || strlen(w.spec) > VIGIL_WORK_SPEC_MAX) {
		free(w.spec);
		srv_reply_error(r, w.spec ? 413 : 500, w.spec ? "too_large" : "internal",
				w.spec ? "the context is too large" : "out of memory");
		return;
	}
	rc = vigil_seal(srv_ctx(r), mk ? mk : J.proc_key, file, len, &w.media, &w.media_len);
	/* The lease before the row: no other instance can take the job
	 * between its insert and this instance holding it. */
	if (!rc && !srv_work_take(s, srv_ctx(r), st, "video", w.id)) {
		srv_add_header(r, "Retry-After", "5");
		srv_reply_error(r, 503, "unavailable", "the job's lease could not be taken");
		goto out;
	}
	if (!rc)
		rc = vigil_work_add(st, &w);
	if (rc) {
		srv_work_drop(s, srv_ctx(r), st, w.id);
		srv_reply_status(r, rc, srv_ctx(r));
		goto out;
	}
	if (enqueue(w.id)) {
		/* stored and leased: its lease runs out and it is taken over */
		srv_log(s, SRV_LOG_ERROR, "video job %s: out of memory", w.id);
	}
	srv_reply_json(r, 202, json_pack("{s:s,s:s}", "job", w.id, "status", "queued"));
out:
	vigil_work_clear(&w);
}

/* GET /v1/jobs/{id}: a video job's state, from any instance. */
static void job_status(srv_req *r)
{
	vigil_store *st = srv_store(r);
	const char *id = srv_param(r, "id");
	vigil_work w;
	json_t *o, *res;
	int rc;

	if (!st)
		return;
	if (!*id || strlen(id) > VIGIL_WORK_ID_MAX) {
		srv_reply_error(r, 404, "not_found", "no job '%.64s'", id);
		return;
	}
	rc = vigil_work_get(st, id, 0, &w);
	if (rc == VIGIL_ENOENT || (!rc && strcmp(w.kind, "video"))) {
		vigil_work_clear(&w);
		srv_reply_error(r, 404, "not_found", "no job '%s'", id);
		return;
	}
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	o = json_pack("{s:s,s:s,s:I,s:I,s:I}", "job", w.id, "status", w.state, "attempts",
		      (json_int_t)w.attempts, "created", (json_int_t)(w.created_ms / 1000),
		      "updated", (json_int_t)(w.updated_ms / 1000));
	res = *w.result ? json_loads(w.result, 0, NULL) : NULL;
	if (o && json_is_object(res))
		json_object_update(o, res);
	json_decref(res);
	vigil_work_clear(&w);
	srv_reply_json(r, 200, o);
}

/* ---------------------------------------------------------- routes */

static void content(srv_req *r)
{
	upload *u = NULL;
	json_t *context = NULL, *matches = NULL, *actions = NULL;
	const uint8_t *file;
	size_t len = 0;
	int64_t case_id = 0;
	vigil_store *st;
	const char *source = "match";
	double score = 0;
	srv_case_copy *copy = NULL;
	actor who;
	int rc, always_case = 0;

	if (strcmp(srv_content_type(r), "multipart/form-data")) {
		srv_reply_error(r, 415, "multipart_required",
				"send multipart/form-data with a 'file' part and a "
				"'context' JSON part");
		return;
	}
	if (!(context = context_part(r, "context")))
		return;
	if (!(file = srv_file(r, "file", &len)) || !(st = srv_store(r)))
		goto out;
	u = calloc(1, sizeof(*u));
	if (!u) {
		srv_reply_error(r, 500, "internal", "out of memory");
		goto out;
	}
	rc = run_image(srv_ctx(r), st, srv_matcher(r), file, len, u);
	if (rc == VIGIL_EFORMAT && !u->has_pdq) {
		if (is_video(srv_ctx(r), file, len))
			queue_video(r, st, file, len, context);
		else
			srv_reply_error(r, 415, "unsupported_media",
					"neither an image nor a video vigil decodes");
		goto out;
	}
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		goto out;
	}
	matches = matches_json(u);
	actions = json_array();
	if (!matches || !actions) {
		srv_reply_error(r, 500, "internal", "out of memory");
		goto out;
	}
	if (u->d.verdict == VIGIL_VERDICT_BLOCK)
		json_array_append_new(actions, json_pack("{s:s}", "type", "block"));
	/* Nothing any list knows: the platform's classifier, if it has one,
	 * may ask for a person. Its score opens a case and sets its priority,
	 * nothing else: the verdict stays allow (no block, no report). */
	if (!u->n && u->d.verdict == VIGIL_VERDICT_ALLOW &&
	    srv_classify(r, file, len, &score)) {
		int pri = (int)(score * 100 + 0.5);
		u->d.priority = pri < 1 ? 1 : (pri > 100 ? 100 : pri);
		u->d.report = 0;
		json_array_append_new(matches, json_pack("{s:s,s:f}", "type", "classifier",
							 "score", score));
		source = "classifier";
		always_case = 1;
	}
	actor_of(r, &who);
	/* Sealed now, stored with the case in the verdict's transaction
	 * (review.h): a crash after the commit cannot leave a case without
	 * its content. */
	if (u->d.verdict == VIGIL_VERDICT_REVIEW || always_case)
		copy = srv_case_item_copy(srv_of(r), srv_ctx(r), file, len);
	rc = commit(st, srv_of(r), &who, u, context, source, always_case, NULL, copy, matches,
		    actions, &case_id);
	if (!rc)
		test_die();
	srv_case_copy_free(copy);
	copy = NULL;
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		goto out;
	}
	srv_metric_inc("vigil_verdicts_total", "verdict", vigil_verdict_name(u->d.verdict));
	srv_reply_json(r, 200,
		       json_pack("{s:s,s:O,s:o,s:O,s:o}", "verdict",
				 vigil_verdict_name(u->d.verdict), "matches", matches, "case",
				 case_id ? json_integer(case_id) : json_null(), "actions",
				 actions, "hashes", hashes_json(u)));
out:
	json_decref(context);
	json_decref(matches);
	json_decref(actions);
	if (u)
		free(u->rules);
	free(u);
}

/* A user's report: JSON {content_id, user_id, reporter, reason, ...} (or
 * multipart with a 'report' JSON part and an optional 'file' image). With
 * a file, it goes through the matcher like an upload; either way it opens
 * (or joins) a case. */
static void user_report(srv_req *r)
{
	upload *u = NULL;
	json_t *report = NULL, *matches = NULL, *actions = NULL;
	const srv_part *fp = NULL;
	int64_t case_id = 0;
	vigil_store *st;
	srv_case_copy *copy = NULL;
	actor who;
	int rc;

	if (!strcmp(srv_content_type(r), "multipart/form-data")) {
		if (!(report = context_part(r, "report")))
			return;
		fp = srv_part_get(r, "file");
	} else {
		size_t len = 0;
		const uint8_t *b = srv_body(r, &len);
		char err[256];
		report = srv_content_context(b, len, err, sizeof(err));
		if (!report) {
			srv_reply_error(r, 400, "bad_report", "%s", err);
			return;
		}
	}
	if (!*ctx_str(report, "content_id") && !*ctx_str(report, "user_id")) {
		srv_reply_error(r, 400, "bad_report",
				"a report names the content_id or the user_id it is about");
		goto out;
	}
	if (!(st = srv_store(r)))
		goto out;
	u = calloc(1, sizeof(*u));
	actions = json_array();
	if (!u || !actions) {
		srv_reply_error(r, 500, "internal", "out of memory");
		goto out;
	}
	if (fp && fp->len) {
		rc = run_image(srv_ctx(r), st, srv_matcher(r), fp->data, fp->len, u);
		if (rc) {
			srv_reply_status(r, rc, srv_ctx(r));
			goto out;
		}
	}
	matches = matches_json(u);
	if (!matches) {
		srv_reply_error(r, 500, "internal", "out of memory");
		goto out;
	}
	actor_of(r, &who);
	if (fp && fp->len) /* stored in the transaction, as for an upload */
		copy = srv_case_item_copy(srv_of(r), srv_ctx(r), fp->data, fp->len);
	rc = commit(st, srv_of(r), &who, u, report, "user_report", 1, NULL, copy, matches, actions,
		    &case_id);
	srv_case_copy_free(copy);
	copy = NULL;
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		goto out;
	}
	srv_reply_json(r, 201,
		       json_pack("{s:I,s:s,s:O,s:O}", "case", (json_int_t)case_id, "verdict",
				 vigil_verdict_name(u->d.verdict), "matches", matches,
				 "actions", actions));
out:
	json_decref(report);
	json_decref(matches);
	json_decref(actions);
	if (u)
		free(u->rules);
	free(u);
}

static void webhooks_failed(srv_req *r)
{
	vigil_store *st = srv_store(r);
	vigil_event *ev = NULL;
	const char *lim = srv_query(r, "limit");
	size_t n = 0, i, max = 100;
	json_t *a;
	int rc;

	if (!st)
		return;
	if (lim) {
		char *end;
		unsigned long v = strtoul(lim, &end, 10);
		if (*end || !*lim || v == 0 || v > 1000) {
			srv_reply_error(r, 400, "bad_limit", "limit is 1..1000");
			return;
		}
		max = v;
	}
	rc = vigil_outbox_list(st, VIGIL_OUTBOX_FAILED, max, &ev, &n);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	a = json_array();
	for (i = 0; a && i < n; i++)
		json_array_append_new(
			a, json_pack("{s:I,s:s,s:s,s:s,s:i,s:s,s:I}", "id", (json_int_t)ev[i].id,
				     "event_id", ev[i].event_id, "type", ev[i].type, "url",
				     ev[i].url, "attempts", ev[i].attempts, "last_error",
				     ev[i].last_error, "created",
				     (json_int_t)(ev[i].created_ms / 1000)));
	vigil_events_free(ev, n);
	srv_reply_json(r, 200, a ? json_pack("{s:o}", "events", a) : NULL);
}

static void quarantine_list(srv_req *r)
{
	vigil_store *st = srv_store(r);
	vigil_quarantine *q = NULL;
	size_t n = 0, i;
	json_t *a;
	int rc;

	if (!st)
		return;
	rc = vigil_quarantine_list(st, &q, &n);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	a = json_array();
	for (i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:I,s:I,s:I,s:s}", "entry",
						   (json_int_t)q[i].entry_id, "bank_id",
						   (json_int_t)q[i].bank_id, "since",
						   (json_int_t)q[i].since, "reason", q[i].reason));
	free(q);
	srv_reply_json(r, 200, a ? json_pack("{s:o}", "entries", a) : NULL);
}

/* Lifts a quarantine: the entry acts again (its flood count starts afresh). */
static void quarantine_lift(srv_req *r)
{
	vigil_store *st = srv_store(r);
	const char *p = srv_param(r, "entry");
	char *end;
	long long id;
	int rc;

	if (!st)
		return;
	id = strtoll(p, &end, 10);
	if (!*p || *end || id <= 0) {
		srv_reply_error(r, 400, "invalid", "entry: a positive integer");
		return;
	}
	rc = vigil_quarantine_remove(st, id);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	vigil_flood_release(srv_flood(), id);
	srv_audit(r, "quarantine.lift", p, NULL);
	srv_reply_json(r, 200, json_pack("{s:I,s:b}", "entry", (json_int_t)id, "lifted", 1));
}

const srv_route srv_routes_content[] = {
	{"POST", "/v1/content", SRV_ROLE_SUBMIT, content, 0,
	 "The pipeline for one upload: hashes, matches, verdict, case, webhooks"},
	{"POST", "/v1/user-reports", SRV_ROLE_SUBMIT, user_report, 0,
	 "A user's report about content or an account: opens or joins a case"},
	{"GET", "/v1/jobs/{id}", SRV_ROLE_SUBMIT, job_status, 0,
	 "A video job's state (queued, running, done, failed) and its verdict, from any instance"},
	{"GET", "/v1/webhooks/failed", SRV_ROLE_ADMIN, webhooks_failed, 0,
	 "Webhook events that could not be delivered within webhook_max_age"},
	{"GET", "/v1/quarantine", SRV_ROLE_ADMIN, quarantine_list, 0,
	 "Entries quarantined for flooding"},
	{"DELETE", "/v1/quarantine/{entry}", SRV_ROLE_ADMIN, quarantine_lift, 0,
	 "Lift an entry's quarantine: it acts again"},
	{0},
};
