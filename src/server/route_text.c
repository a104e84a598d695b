/* route_text.c — POST /v1/text: one message through the text banks
 * (keywords, hashtags, operator regexes) and the grooming scorer, then the
 * same decision, case, webhook and audit path as an upload.
 *
 * The engine (fold tables, the matcher compiled from every enabled text
 * bank, the grooming scorer) is shared by every request thread and
 * reference-counted: a request takes the current one and gives it back.
 * At most once a second (and at once after the server's own bank
 * changes) a request compares the store's text signature with the one
 * the engine was built from; if it moved, that request compiles a new
 * matcher and swaps it in while the others go on with the old one, which
 * is freed when its last user returns it.
 *
 * The grooming score comes from the model text_model names, read at
 * start: by default the shipped one (default_model), 'lexicon' for the
 * stage lexicon alone, 'off' for none.
 *
 * Grooming state: per (conversation, author), in memory and persisted in
 * the request's transaction (text_state.c).
 *
 * The message text is never logged, audited or put into an event: events
 * and cases name the message by its ids and carry the hit spans. */
#include "http.h"
#include "metrics.h"
#include "pipeline.h"
#include "server_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TEXT_MAX_BYTES (64 * 1024) /* one message */
#define TEXT_MAX_HITS 256          /* matches decided and returned */
#define TEXT_MAX_TAGS 64
#define TEXT_RECHECK_MS 1000

#define TEXT_IDLE_SCANNERS 64 /* kept per matcher; more request threads make their own */

/* Scanners of one matcher put back after use: a scanner holds Vectorscan's
 * scratch and the fold buffers, which cost more to make than a short
 * message costs to scan, so a request takes one and returns it (about one
 * per request thread stays alive) instead of making its own. */
typedef struct scanpool {
	pthread_mutex_t mu;
	vigil_text_scanner *idle[TEXT_IDLE_SCANNERS];
	int n;
} scanpool;

typedef struct engine {
	int refs;                /* under T.mu */
	vigil_text_matcher *m;   /* NULL when no text bank has a term */
	vigil_text_ref *refs_of; /* per term of m */
	size_t nterms;
	scanpool pool;           /* of m */
} engine;

static struct {
	pthread_mutex_t mu;       /* cur, sig, checked_ms, forced, refs */
	pthread_mutex_t build_mu; /* one builder at a time */
	int ready;                /* folder and groom made */
	vigil_folder *fo;
	vigil_groom *groom;
	vigil_groom_model *model; /* text_model, or NULL: the lexicon */
	int off;                  /* text_model 'off': no grooming score */
	scanpool groom_pool;      /* of vigil_groom_lexicon(groom) */
	engine *cur;
	int64_t sig[3];
	int64_t checked_ms;
	int forced;
} T = {.mu = PTHREAD_MUTEX_INITIALIZER,
       .build_mu = PTHREAD_MUTEX_INITIALIZER,
       .groom_pool = {.mu = PTHREAD_MUTEX_INITIALIZER}};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A scanner of m from the pool, or a new one (*out is the caller's until
 * pool_put). */
static int pool_take(scanpool *p, vigil_ctx *c, const vigil_text_matcher *m,
		     vigil_text_scanner **out)
{
	pthread_mutex_lock(&p->mu);
	*out = p->n ? p->idle[--p->n] : NULL;
	pthread_mutex_unlock(&p->mu);
	return *out ? VIGIL_OK : vigil_text_scanner_new(c, m, out);
}

static void pool_put(scanpool *p, vigil_text_scanner *sc)
{
	if (!sc)
		return;
	pthread_mutex_lock(&p->mu);
	if (p->n < TEXT_IDLE_SCANNERS) {
		p->idle[p->n++] = sc;
		sc = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	vigil_text_scanner_free(sc);
}

/* Frees the idle scanners (their matcher is about to go). */
static void pool_drain(scanpool *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->n)
		vigil_text_scanner_free(p->idle[--p->n]);
	pthread_mutex_unlock(&p->mu);
}

static void engine_free(engine *e)
{
	if (!e)
		return;
	pool_drain(&e->pool);
	pthread_mutex_destroy(&e->pool.mu);
	vigil_text_matcher_free(e->m);
	free(e->refs_of);
	free(e);
}

static void engine_put(engine *e)
{
	int last;

	if (!e)
		return;
	pthread_mutex_lock(&T.mu);
	last = --e->refs == 0;
	pthread_mutex_unlock(&T.mu);
	if (last)
		engine_free(e);
}

void srv_text_changed(void)
{
	pthread_mutex_lock(&T.mu);
	T.forced = 1;
	pthread_mutex_unlock(&T.mu);
}

#ifndef VIGIL_DATA_INSTALLED /* set by meson: the installed data, the source tree's */
#define VIGIL_DATA_INSTALLED "/usr/local/share/vigil"
#endif
#ifndef VIGIL_DATA_SOURCE
#define VIGIL_DATA_SOURCE ""
#endif
#ifndef VIGIL_BUILD_ROOT
#define VIGIL_BUILD_ROOT ""
#endif
#define DEFAULT_MODEL "groom-default.vgm"

/* Where the shipped model is, for an empty text_model: a program running
 * from inside the build directory it was built in uses its source tree's
 * data/ (so a build never reads an older installed copy), any other the
 * installed DATADIR/vigil/. One rule, no search: the file it names must
 * be there, or the server does not start. */
static void default_model(char *out, size_t cap)
{
	char exe[4096], root[4096];
	size_t n;

	if (*VIGIL_BUILD_ROOT && *VIGIL_DATA_SOURCE && realpath("/proc/self/exe", exe) &&
	    realpath(VIGIL_BUILD_ROOT, root) && (n = strlen(root)) &&
	    !strncmp(exe, root, n) && exe[n] == '/') {
		snprintf(out, cap, "%s/%s", VIGIL_DATA_SOURCE, DEFAULT_MODEL);
		return;
	}
	snprintf(out, cap, "%s/%s", VIGIL_DATA_INSTALLED, DEFAULT_MODEL);
}

int srv__text_start(srv *s, char *err, size_t errcap)
{
	const char *path = s->cfg.text_model;
	char def[4096 + 32];
	vigil_ctx *c = NULL;
	int rc;

	T.off = !strcmp(path, "off");
	if (T.off || !strcmp(path, "lexicon"))
		return 0;
	if (!*path) {
		default_model(def, sizeof(def));
		path = def;
	}
	if (vigil_ctx_new(&c)) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	rc = vigil_groom_model_load(c, path, &T.model);
	if (rc && *s->cfg.text_model)
		snprintf(err, errcap, "text_model: %s", vigil_errmsg(c));
	else if (rc)
		snprintf(err, errcap, "text_model (empty: the shipped model): %s; set "
			 "text_model to a model file, 'lexicon' or 'off'", vigil_errmsg(c));
	else
		srv_log(s, SRV_LOG_INFO, "text: grooming model %s", path);
	vigil_ctx_free(c);
	return rc ? -1 : 0;
}

void srv__text_stop(void)
{
	engine *e;

	pthread_mutex_lock(&T.mu);
	e = T.cur;
	T.cur = NULL;
	pthread_mutex_unlock(&T.mu);
	engine_put(e);
	pool_drain(&T.groom_pool);
	vigil_groom_free(T.groom);
	vigil_groom_model_free(T.model);
	vigil_folder_free(T.fo);
	srv__groom_state_stop();
	T.model = NULL;
	T.groom = NULL;
	T.fo = NULL;
	T.ready = 0;
}

/* Builds an engine from the store's enabled text banks. */
static int engine_build(vigil_ctx *c, vigil_store *st, engine **out)
{
	vigil_termlist *tl = NULL;
	engine *e = calloc(1, sizeof(*e));
	int rc;

	*out = NULL;
	if (!e)
		return VIGIL_ENOMEM;
	e->refs = 1;
	pthread_mutex_init(&e->pool.mu, NULL);
	rc = vigil_termlist_new(c, &tl);
	if (!rc)
		rc = vigil_text_terms_load(st, NULL, tl, &e->refs_of, &e->nterms);
	if (!rc && e->nterms)
		rc = vigil_text_matcher_new(c, T.fo, tl, &e->m);
	vigil_termlist_free(tl);
	if (rc) {
		engine_free(e);
		return rc;
	}
	*out = e;
	return VIGIL_OK;
}

/* The current engine (a reference: engine_put it), rebuilt first if the
 * store's text banks changed. Makes the shared parts on first use. */
static int engine_get(srv *s, vigil_ctx *c, vigil_store *st, engine **out)
{
	int64_t now = mono_ms(), sig[3];
	int check, have, rc = VIGIL_OK;
	engine *e;

	*out = NULL;
	pthread_mutex_lock(&T.build_mu);
	if (!T.ready) {
		rc = vigil_folder_new(c, &T.fo);
		if (!rc)
			rc = vigil_groom_new(c, T.fo, &T.groom);
		if (!rc)
			vigil_groom_set_model(T.groom, T.model); /* NULL: the lexicon */
		if (rc) {
			vigil_groom_free(T.groom);
			vigil_folder_free(T.fo);
			T.groom = NULL;
			T.fo = NULL;
			pthread_mutex_unlock(&T.build_mu);
			return rc;
		}
		T.ready = 1;
		T.forced = 1;
	}
	pthread_mutex_unlock(&T.build_mu);
	pthread_mutex_lock(&T.mu);
	have = T.cur != NULL;
	check = T.forced || !have || now - T.checked_ms >= TEXT_RECHECK_MS;
	pthread_mutex_unlock(&T.mu);
	/* One request rebuilds; the others keep the engine they have (with
	 * none yet, they wait for it). */
	if (check && (!have ? pthread_mutex_lock(&T.build_mu) == 0
			    : pthread_mutex_trylock(&T.build_mu) == 0)) {
		engine *cur;
		pthread_mutex_lock(&T.mu);
		cur = T.cur;
		T.forced = 0;
		T.checked_ms = now;
		pthread_mutex_unlock(&T.mu);
		rc = vigil_text_terms_sig(st, sig);
		if (!rc && (!cur || memcmp(sig, T.sig, sizeof(sig)))) {
			engine *ne = NULL, *old;
			rc = engine_build(c, st, &ne);
			if (!rc) {
				pthread_mutex_lock(&T.mu);
				old = T.cur;
				T.cur = ne;
				memcpy(T.sig, sig, sizeof(sig));
				pthread_mutex_unlock(&T.mu);
				cur = ne;
				srv_log(s, SRV_LOG_INFO, "text banks: %zu terms compiled",
					ne->nterms);
				engine_put(old);
			}
		}
		pthread_mutex_unlock(&T.build_mu);
		if (rc && !cur)
			return rc;
		if (rc) /* keep matching with the engine we have */
			srv_log(s, SRV_LOG_ERROR, "text banks: rebuild failed: %s",
				vigil_errmsg(c));
	}
	pthread_mutex_lock(&T.mu);
	e = T.cur;
	if (e)
		e->refs++;
	pthread_mutex_unlock(&T.mu);
	*out = e;
	return e ? VIGIL_OK : VIGIL_EINTERNAL;
}

/* Scores one message of the pair p (its state loaded), updating p->st. */
static int groom_score(vigil_ctx *c, const char *text, size_t n, const vigil_text_opts *o,
		       srv_groom_pair *p, vigil_groom_result *res)
{
	vigil_text_scanner *sc = NULL;
	int rc = pool_take(&T.groom_pool, c, vigil_groom_lexicon(T.groom), &sc);

	if (!rc)
		rc = vigil_groom_score(T.groom, sc, c, &p->st, text, n, o, res);
	pool_put(&T.groom_pool, sc);
	return rc;
}

static json_t *fired_json(uint32_t fired)
{
	json_t *a = json_array();
	int k;

	for (k = 0; a && k < VIGIL_GROOM_NFEAT; k++)
		if (fired >> k & 1)
			json_array_append_new(a, json_string(vigil_groom_feature_name(k)));
	return a;
}

static const char *str_of(json_t *body, const char *key)
{
	const char *v = json_string_value(json_object_get(body, key));

	return v ? v : "";
}

/* Checks the body: text (required), and optional ids. NULL if good. */
static const char *body_why(json_t *body)
{
	static const char *const ids[] = {"conversation_id", "author_id", "recipient_id",
					  "message_id", "lang", NULL};
	const char *key;
	json_t *v;
	int i, known;

	json_object_foreach(body, key, v) {
		known = !strcmp(key, "text") || !strcmp(key, "time");
		for (i = 0; ids[i]; i++)
			known |= !strcmp(key, ids[i]);
		if (!known)
			return "unknown member (text, conversation_id, author_id, "
			       "recipient_id, message_id, lang, time)";
		if (!strcmp(key, "time")) {
			if (!json_is_integer(v) && !json_is_string(v))
				return "time: unix seconds or a string";
			continue;
		}
		if (!json_is_string(v))
			return "text and ids are strings";
		if (strcmp(key, "text") && json_string_length(v) > VIGIL_ID_MAX)
			return "an id is longer than 255 bytes";
		if (strcmp(key, "text") && memchr(json_string_value(v), 0, json_string_length(v)))
			return "an id holds a NUL byte";
	}
	if (!json_is_string(json_object_get(body, "text")))
		return "text (a string) is required";
	if (json_string_length(json_object_get(body, "text")) > TEXT_MAX_BYTES)
		return "text is longer than 65536 bytes";
	return NULL;
}

static json_t *stages_json(unsigned stages)
{
	json_t *a = json_array();
	int k;

	for (k = 0; a && k < VIGIL__STAGE_END; k++)
		if (stages >> k & 1)
			json_array_append_new(a, json_string(vigil_groom_stage_name(k)));
	return a;
}

/* One transaction: the case (a review verdict or a grooming alert), the
 * events, the audit row. */
static int commit(srv_req *r, vigil_store *st, json_t *body, const vigil_decision *d,
		  const vigil_bank_rule *winner, int alert, json_t *matches,
		  json_t *grooming, json_t *actions, const srv_groom_pair *gp,
		  int64_t now, int64_t *case_id)
{
	const char *conv = str_of(body, "conversation_id"), *author = str_of(body, "author_id");
	json_t *context = NULL, *data, *detail;
	char key[2 * VIGIL_ID_MAX + 16];
	int joined = 0, rc;

	*case_id = 0;
	/* A message with no hit and no alert makes no case, no event and
	 * nothing to audit: its only write is the pair's grooming state, and
	 * without one there is no (synchronous) transaction at all. */
	int quiet = d->verdict == VIGIL_VERDICT_ALLOW && !alert && !json_array_size(matches);
	if (quiet && !gp)
		return VIGIL_OK;
	context = json_pack("{s:s,s:s,s:s,s:s,s:s}", "content_id", str_of(body, "message_id"),
			    "user_id", author, "conversation_id", conv, "recipient_id",
			    str_of(body, "recipient_id"), "surface", "text");
	if (!context)
		return VIGIL_ENOMEM;
	rc = vigil_store_begin(st);
	if (rc)
		goto out;
	if (gp) /* the pair's state commits with the message's case and audit */
		rc = srv_groom_state_put(st, srv_of(r)->cfg.text_state_max_age, gp, now);
	if (!rc && (d->verdict == VIGIL_VERDICT_REVIEW || alert)) {
		vigil_case_new cn;
		char *ctext = json_dumps(context, JSON_COMPACT);
		json_t *all = json_deep_copy(matches);
		char *mtext;
		if (alert && all)
			json_array_append(all, grooming);
		mtext = all ? json_dumps(all, JSON_COMPACT) : NULL;
		json_decref(all);
		/* One author's messages in one conversation are one case. */
		snprintf(key, sizeof(key), "text:%s\x1f%s", conv, author);
		memset(&cn, 0, sizeof(cn));
		cn.source = alert && d->verdict != VIGIL_VERDICT_REVIEW ? "grooming" : "text";
		cn.join_key = *conv && *author ? key : NULL;
		cn.priority = d->priority ? d->priority : 50;
		cn.report = d->report;
		cn.bank_id = d->bank_id;
		cn.content_id = str_of(body, "message_id");
		cn.user_id = author;
		cn.context = ctext;
		cn.matches = mtext;
		rc = ctext && mtext ? vigil_case_open(st, &cn, case_id, &joined) : VIGIL_ENOMEM;
		free(ctext);
		free(mtext);
		if (!rc)
			json_array_append_new(actions, json_pack("{s:s,s:I,s:b}", "type", "case",
								 "id", (json_int_t)*case_id,
								 "joined", joined));
		if (!rc && !joined) {
			data = json_pack("{s:I,s:s,s:i,s:b,s:O}", "case", (json_int_t)*case_id,
					 "source", cn.source, "priority", cn.priority, "report",
					 d->report, "context", context);
			rc = data ? srv_event_queue(st, srv_of(r), winner, "case.created", data, actions)
				  : VIGIL_ENOMEM;
			json_decref(data);
		}
	}
	if (!rc && (d->verdict != VIGIL_VERDICT_ALLOW || alert)) {
		data = json_pack("{s:s,s:O,s:O,s:O,s:o}", "verdict", vigil_verdict_name(d->verdict),
				 "context", context, "matches", matches, "grooming",
				 grooming ? grooming : json_null(), "case",
				 *case_id ? json_integer(*case_id) : json_null());
		rc = data ? srv_event_queue(st, srv_of(r), winner, "text.verdict", data, actions)
			  : VIGIL_ENOMEM;
		json_decref(data);
	}
	if (!rc && !quiet) {
		detail = json_pack("{s:s,s:s,s:s,s:I,s:I,s:b}", "verdict",
				   vigil_verdict_name(d->verdict), "conversation_id", conv,
				   "user_id", author, "case", (json_int_t)*case_id, "matches",
				   (json_int_t)json_array_size(matches), "alert", alert);
		rc = detail ? srv_audit_row(r, st, *srv_key_name(r) ? srv_key_name(r) : "-",
					    "text.verdict", str_of(body, "message_id"), detail)
			    : VIGIL_ENOMEM;
		json_decref(detail);
	}
	if (!rc)
		rc = vigil_store_commit(st);
	if (rc)
		vigil_store_rollback(st);
	else
		srv_pipeline_kick();
out:
	json_decref(context);
	return rc;
}

static void text(srv_req *r)
{
	json_t *body, *matches = NULL, *tags = NULL, *grooming = NULL, *actions = NULL;
	vigil_ctx *c = srv_ctx(r);
	vigil_store *st;
	vigil_text_scanner *sc = NULL;
	vigil_bank_rule *rules = NULL;
	vigil_match *m = NULL;
	vigil_span spans[TEXT_MAX_TAGS];
	vigil_decision d;
	vigil_groom_result gr;
	srv_groom_pair gp;
	int64_t now = 0;
	vigil_text_opts o;
	const vigil_text_hit *h = NULL;
	const char *s, *why;
	size_t n, nh = 0, nr = 0, k, ntags;
	int disp[TEXT_MAX_HITS], rc, alert = 0, admin;
	int64_t case_id = 0;
	engine *e = NULL;

	if (!(body = srv_json(r, JSON_OBJECT)))
		return;
	if ((why = body_why(body))) {
		srv_reply_error(r, 400, "bad_text", "%s", why);
		return;
	}
	if (!(st = srv_store(r)))
		return;
	s = json_string_value(json_object_get(body, "text"));
	n = json_string_length(json_object_get(body, "text"));
	memset(&o, 0, sizeof(o));
	o.lang = *str_of(body, "lang") ? str_of(body, "lang") : NULL;
	admin = (srv_key_roles(r) & SRV_ROLE_ADMIN) != 0;
	rc = engine_get(srv_of(r), c, st, &e);
	if (!rc && e->m)
		rc = pool_take(&e->pool, c, e->m, &sc);
	if (!rc && sc) {
		rc = vigil_text_scan(sc, c, s, n, &o, &h, &nh);
		if (rc == VIGIL_ETOOBIG)
			rc = VIGIL_OK; /* decide on the hits found */
	}
	if (!rc)
		rc = vigil_bank_rules_load(st, &rules, &nr);
	if (rc) {
		srv_reply_status(r, rc, c);
		goto out;
	}
	if (nh > TEXT_MAX_HITS)
		nh = TEXT_MAX_HITS;
	m = calloc(nh ? nh : 1, sizeof(*m));
	matches = json_array();
	actions = json_array();
	tags = json_array();
	if (!m || !matches || !actions || !tags) {
		srv_reply_error(r, 500, "internal", "out of memory");
		goto out;
	}
	/* A term hit is an exact match: a digest-like match of its bank,
	 * so the bank's action, kind (suppression) and priority apply and
	 * the distance filters do not. Text terms have no flood limit. */
	for (k = 0; k < nh; k++) {
		const vigil_text_ref *ref = &e->refs_of[h[k].term];
		m[k].entry_id = ref->term_id;
		m[k].bank_id = ref->bank_id;
		memcpy(m[k].bank, ref->bank, sizeof(m[k].bank));
		m[k].type = VIGIL_HASH_SHA256;
		m[k].quality = -1;
		m[k].variant = -1;
	}
	rc = vigil_decide(m, nh, -1, rules, nr, NULL, 0, disp, &d);
	if (rc) {
		srv_reply_status(r, rc, c);
		goto out;
	}
	for (k = 0; k < nh; k++) {
		vigil_term t;
		json_t *j;
		vigil_text_matcher_term(e->m, h[k].term, &t);
		j = json_pack("{s:s,s:I,s:s,s:i,s:s,s:s,s:I,s:I,s:b,s:s}", "bank", m[k].bank,
			      "entry", (json_int_t)m[k].entry_id, "category", t.category,
			      "severity", t.severity, "mode", vigil_term_mode_name(t.mode), "view",
			      vigil_text_view_name(h[k].view), "start", (json_int_t)h[k].start,
			      "end", (json_int_t)h[k].end, "hashtag", h[k].in_hashtag,
			      "disposition", vigil_disposition_name(disp[k]));
		if (j && h[k].nparts) { /* a rule: the spans of its terms that hit */
			json_t *pa = json_array();
			size_t q;
			for (q = 0; pa && q < h[k].nparts; q++)
				json_array_append_new(pa, json_pack("{s:I,s:I}", "start",
					(json_int_t)h[k].parts[q].start, "end",
					(json_int_t)h[k].parts[q].end));
			json_object_set_new(j, "parts", pa);
		}
		/* the listed term only to admins (lists can be licensed) */
		if (j && admin)
			json_object_set_new(j, "term", json_string(t.term));
		json_array_append_new(matches, j);
	}
	ntags = vigil_hashtags(s, n, spans, TEXT_MAX_TAGS);
	for (k = 0; k < ntags && k < TEXT_MAX_TAGS; k++)
		json_array_append_new(tags, json_pack("{s:I,s:I}", "start",
						      (json_int_t)spans[k].start, "end",
						      (json_int_t)spans[k].end));
	if (!T.off && *str_of(body, "conversation_id") && *str_of(body, "author_id")) {
		now = srv_groom_clock(body);
		rc = srv_groom_state_get(st, srv_of(r)->cfg.text_state_max_age,
					 str_of(body, "conversation_id"), str_of(body, "author_id"),
					 now, &gp);
		if (!rc)
			rc = groom_score(c, s, n, &o, &gp, &gr);
		if (rc) {
			srv_reply_status(r, rc, c);
			goto out;
		}
		alert = gr.alert;
		grooming = json_pack("{s:s,s:f,s:f,s:o,s:o,s:I,s:b,s:o}", "type", "grooming",
				     "message", (double)gr.message, "risk", (double)gr.risk,
				     "stages", stages_json(gr.stages), "seen",
				     stages_json(gp.st.stages), "messages",
				     (json_int_t)gp.st.messages, "alert", alert, "fired",
				     fired_json(gr.fired));
		if (!grooming) {
			srv_reply_error(r, 500, "internal", "out of memory");
			goto out;
		}
	}
	if (d.verdict == VIGIL_VERDICT_BLOCK)
		json_array_append_new(actions, json_pack("{s:s}", "type", "block"));
	rc = commit(r, st, body, &d, srv_rule_find(rules, nr, d.bank_id), alert, matches, grooming,
		    actions, grooming ? &gp : NULL, now, &case_id);
	if (rc) {
		srv_reply_status(r, rc, c);
		goto out;
	}
	if (grooming)
		srv_groom_state_keep(&gp, now);
	srv_metric_inc("vigil_text_verdicts_total", "verdict", vigil_verdict_name(d.verdict));
	if (alert)
		srv_metric_inc("vigil_text_grooming_alerts_total", NULL, NULL);
	srv_reply_json(r, 200,
		       json_pack("{s:s,s:O,s:o,s:O,s:o,s:O}", "verdict",
				 vigil_verdict_name(d.verdict), "matches", matches, "hashtags",
				 tags, "grooming", grooming ? grooming : json_null(),
				 "case", case_id ? json_integer(case_id) : json_null(), "actions",
				 actions));
	tags = NULL;
out:
	json_decref(matches);
	json_decref(tags);
	json_decref(grooming);
	json_decref(actions);
	if (e)
		pool_put(&e->pool, sc);
	engine_put(e);
	free(rules);
	free(m);
}

const srv_route srv_routes_text[] = {
	{"POST", "/v1/text", SRV_ROLE_SUBMIT, text, 1 << 20,
	 "One message through the text banks and the grooming scorer: hits, verdict, case"},
	{0},
};
