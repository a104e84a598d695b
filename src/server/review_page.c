/* review_page.c — /review: the page people use to decide cases. Server-
 * rendered HTML, one small script and one stylesheet served from here (no
 * external resources), a strict Content-Security-Policy, every form with
 * the session's CSRF token, keyboard-driven (c confirm, d dismiss,
 * e escalate, n next).
 *
 * Reviewer protection: media is the protected derivative (case_media.c);
 * a case opens behind a warning naming its category; the match evidence
 * comes first; an original is shown only after a per-item click, for
 * reveal_seconds, logged, inside the page (a data: URL in the POST's
 * answer, never cached). */
#include "review.h"
#include "session.h"
#include "server_int.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_MAX (4 << 20) /* largest page (a revealed original inlined) */

static const char csp[] =
	"default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

typedef struct page {
	char *p;
	size_t n, cap;
	int oom;
} page;

static void put(page *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 8192;
		char *np;
		while (cap < b->n + n + 1)
			cap *= 2;
		if (cap > PAGE_MAX || !(np = realloc(b->p, cap))) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void raw(page *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Text into HTML (element content and quoted attributes). */
static void esc(page *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': raw(b, "&lt;"); break;
		case '>': raw(b, "&gt;"); break;
		case '&': raw(b, "&amp;"); break;
		case '"': raw(b, "&quot;"); break;
		case '\'': raw(b, "&#39;"); break;
		default: put(b, s, 1);
		}
	}
}

/* printf with every %s argument escaped: callers pass text only via %s. */
static void fmt(page *b, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void fmt(page *b, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	for (; *f; f++) {
		if (*f != '%') {
			put(b, f, 1);
			continue;
		}
		f++;
		if (*f == 's') {
			esc(b, va_arg(ap, const char *));
		} else if (*f == 'd') {
			char t[24];
			snprintf(t, sizeof(t), "%d", va_arg(ap, int));
			raw(b, t);
		} else if (*f == 'l' && f[1] == 'l' && f[2] == 'd') {
			char t[24];
			snprintf(t, sizeof(t), "%lld", va_arg(ap, long long));
			raw(b, t);
			f += 2;
		} else {
			put(b, "%", 1);
		}
	}
	va_end(ap);
}

static void head(page *b, const char *title)
{
	fmt(b, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	       "<title>%s — vigil review</title><link rel=\"stylesheet\" "
	       "href=\"/review/app.css\"><script src=\"/review/app.js\" defer></script>"
	       "</head><body>", title);
}

static void send(srv_req *r, int status, page *b)
{
	srv_add_header(r, "Content-Security-Policy", csp);
	srv_add_header(r, "Cache-Control", "no-store");
	srv_add_header(r, "X-Content-Type-Options", "nosniff");
	srv_add_header(r, "Referrer-Policy", "no-referrer");
	raw(b, "</body></html>");
	if (b->oom)
		srv_reply_error(r, 500, "internal", "page too large");
	else
		srv_reply_data(r, status, "text/html; charset=utf-8", b->p, b->n);
	free(b->p);
}

static void redirect(srv_req *r, const char *to)
{
	srv_add_header(r, "Location", to);
	srv_add_header(r, "Cache-Control", "no-store");
	srv_reply_data(r, 303, "text/plain", "", 0);
}

static void csrf_field(page *b, const srv_person *p)
{
	fmt(b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", p->csrf);
}

/* The session of a page request; without one, GETs go to the login page
 * and POSTs are refused. POSTs also need the CSRF token. */
static int need_session(srv_req *r, srv_person *p)
{
	int post = !strcmp(srv_method(r), "POST");

	if (srv_session_get(r, p)) {
		if (post)
			srv_reply_error(r, 403, "no_session", "log in first");
		else
			redirect(r, "/review/login");
		return -1;
	}
	if (post && !srv_csrf_ok(r, p)) {
		srv_reply_error(r, 403, "csrf", "the form's CSRF token is missing or wrong");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- login */

static void login_form(srv_req *r, const char *msg)
{
	page b = { 0 };
	char tok[65];

	srv_random_hex(tok, 32);
	srv_set_cookie(r, "vigil_login", tok, -1);
	head(&b, "Log in");
	raw(&b, "<main class=\"narrow\"><h1>vigil review</h1>");
	if (msg)
		fmt(&b, "<p role=\"alert\" class=\"error\">%s</p>", msg);
	fmt(&b, "<form method=\"post\" action=\"/review/login\">"
		"<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
		"<p><label for=\"name\">Name</label><br><input id=\"name\" name=\"name\" "
		"autocomplete=\"username\" required autofocus></p>"
		"<p><label for=\"password\">Password</label><br><input id=\"password\" "
		"name=\"password\" type=\"password\" autocomplete=\"current-password\" "
		"required></p><p><button type=\"submit\">Log in</button></p></form></main>",
	    tok);
	send(r, msg ? 401 : 200, &b);
}

static void login_get(srv_req *r)
{
	login_form(r, NULL);
}

static void login_post(srv_req *r)
{
	const char *name = srv_form(r, "name"), *pw = srv_form(r, "password");
	const char *f = srv_form(r, "csrf");
	char cookie[80], err[128];
	int rc;

	if (srv_cookie(r, "vigil_login", cookie, sizeof(cookie)) || !f ||
	    strlen(f) != 64 || strlen(cookie) != 64 || sodium_memcmp(f, cookie, 64)) {
		srv_reply_error(r, 403, "csrf", "the login form's CSRF token is missing or wrong");
		return;
	}
	if (!name || !pw || !*name || strlen(name) > VIGIL_NAME_MAX || strlen(pw) > 1024) {
		login_form(r, "Enter your name and password.");
		return;
	}
	rc = srv_login(r, name, pw, err, sizeof(err));
	if (rc) {
		login_form(r, err);
		return;
	}
	srv_set_cookie(r, "vigil_login", "", 0);
	redirect(r, "/review");
}

static void logout_post(srv_req *r)
{
	srv_person p;

	if (need_session(r, &p))
		return;
	srv_logout(r, &p);
	redirect(r, "/review/login");
}

/* ------------------------------------------------------------- queue */

static void nav(page *b, const srv_person *p, int exposures, int cap)
{
	fmt(b, "<header><nav aria-label=\"vigil\"><a href=\"/review\">Queue</a> "
	       "<span>Signed in as %s</span> <span id=\"exposure\">Originals revealed "
	       "today: %d", p->name, exposures);
	if (cap)
		fmt(b, " of %d", cap);
	raw(b, "</span><form method=\"post\" action=\"/review/logout\" class=\"inline\">");
	csrf_field(b, p);
	raw(b, "<button type=\"submit\">Log out</button></form></nav></header>");
}

static int exposures(srv_req *r, const srv_person *p)
{
	int64_t now = (int64_t)time(NULL), c = 0;
	vigil_store *st = srv_store(r);

	if (st)
		vigil_reveal_count(st, p->name, 0, now - now % 86400, &c);
	return (int)c;
}

/* The person's protected-view settings from the store, or the server's
 * defaults if they never saved any. */
static void view_prefs(srv_req *r, const srv_person *p, vigil_view_prefs *vp)
{
	vigil_store *st = srv_store(r);

	if (!st || vigil_view_prefs_get(st, p->name, vp)) {
		vp->blur = (int)SRV_CFG(srv_of(r), protect_blur);
		vp->size = (int)SRV_CFG(srv_of(r), protect_size);
		vp->sepia = 0;
		vp->updated = 0;
	}
}

static void queue_page(srv_req *r)
{
	srv_person p;
	vigil_case *v = NULL;
	size_t n = 0, i, shown = 0;
	vigil_store *st;
	page b = { 0 };
	int cap, ex;

	if (need_session(r, &p) || !(st = srv_store(r)))
		return;
	if (vigil_case_list(st, -1, (int64_t)time(NULL), 200, &v, &n)) {
		srv_reply_status(r, VIGIL_ESTORE, srv_ctx(r));
		return;
	}
	cap = (int)SRV_CFG(srv_of(r), reveal_daily_cap);
	ex = exposures(r, &p);
	head(&b, "Queue");
	nav(&b, &p, ex, cap);
	raw(&b, "<main><h1>Cases to review</h1>");
	if (cap && ex >= cap)
		raw(&b, "<p role=\"alert\" class=\"warn\">You have reached today's limit of "
			"revealed originals. Please stop reviewing for today and take a "
			"break.</p>");
	raw(&b, "<p class=\"help\">Keys: <kbd>n</kbd> open the next case.</p>"
		"<table><caption>Open cases, highest priority first, then oldest</caption>"
		"<thead><tr><th scope=\"col\">Case</th><th scope=\"col\">Priority</th>"
		"<th scope=\"col\">State</th><th scope=\"col\">Source</th>"
		"<th scope=\"col\">Uploads</th><th scope=\"col\">Opened</th>"
		"<th scope=\"col\">Action</th></tr></thead><tbody>");
	for (i = 0; i < n; i++) {
		const vigil_case *c = &v[i];
		char when[32];
		time_t t = (time_t)c->created;
		struct tm tm;
		int mine = 0;
		if (c->state == VIGIL_CASE_DECIDED)
			continue;
		if (c->state == VIGIL_CASE_ESCALATED && !(p.roles & SRV_ROLE_ADMIN))
			continue;
		if (c->state == VIGIL_CASE_CLAIMED) {
			vigil_case_review rv;
			if (!vigil_case_review_get(st, c->id, (int64_t)time(NULL), &rv))
				mine = !strcmp(rv.assignee, p.name);
			if (!mine)
				continue;
		}
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
		fmt(&b, "<tr><td>#%lld</td><td>%d</td><td>%s</td><td>%s</td><td>%d</td>"
			"<td>%s</td><td><form method=\"post\" action=\"/review/case/%lld/claim\" "
			"class=\"inline%s\">",
		    (long long)c->id, c->priority, vigil_case_state_name(c->state), c->source,
		    c->uploads, when, (long long)c->id, shown ? "" : " next");
		csrf_field(&b, &p);
		fmt(&b, "<button type=\"submit\" aria-label=\"Open case %lld\">Open</button>"
			"</form></td></tr>", (long long)c->id);
		shown++;
	}
	if (!shown)
		raw(&b, "<tr><td colspan=\"7\">No cases waiting.</td></tr>");
	raw(&b, "</tbody></table>");
	/* Per-reviewer settings of the protected view, kept with the
	 * account in the store (they follow the person, not the browser). */
	{
		vigil_view_prefs vp;
		int blur, size, sepia;
		view_prefs(r, &p, &vp);
		blur = vp.blur;
		size = vp.size;
		sepia = vp.sepia;
		raw(&b, "<h2>Protected view</h2><form method=\"post\" "
			"action=\"/review/settings\" class=\"settings\">");
		csrf_field(&b, &p);
		fmt(&b, "<p><label for=\"blur\">Blur strength (0–32)</label> <input id=\"blur\" "
			"name=\"blur\" type=\"number\" min=\"0\" max=\"32\" value=\"%d\"></p>"
			"<p><label for=\"size\">Size in pixels (32–1024)</label> <input id=\"size\" "
			"name=\"size\" type=\"number\" min=\"32\" max=\"1024\" value=\"%d\"></p>"
			"<p><input id=\"sepia\" name=\"sepia\" type=\"checkbox\" value=\"1\"%s> "
			"<label for=\"sepia\">Sepia instead of grey</label></p>"
			"<p><button type=\"submit\">Save</button></p></form>",
		    blur, size, sepia ? " checked" : "");
	}
	raw(&b, "</main>");
	vigil_cases_free(v, n);
	send(r, 200, &b);
}

static void settings_post(srv_req *r)
{
	srv_person p;
	const char *bl = srv_form(r, "blur"), *sz = srv_form(r, "size"),
		   *sp = srv_form(r, "sepia");
	long blur = bl ? strtol(bl, NULL, 10) : SRV_CFG(srv_of(r), protect_blur),
	     size = sz ? strtol(sz, NULL, 10) : SRV_CFG(srv_of(r), protect_size);
	vigil_view_prefs vp;
	vigil_store *st;

	if (need_session(r, &p) || !(st = srv_store(r)))
		return;
	vp.blur = (int)(blur < 0 ? 0 : blur > 32 ? 32 : blur);
	vp.size = (int)(size < 32 ? 32 : size > 1024 ? 1024 : size);
	vp.sepia = sp && !strcmp(sp, "1");
	vp.updated = (int64_t)time(NULL);
	if (vigil_view_prefs_put(st, p.name, &vp)) {
		srv_reply_status(r, VIGIL_ESTORE, srv_ctx(r));
		return;
	}
	redirect(r, "/review");
}

/* -------------------------------------------------------------- case */

static int64_t path_id(srv_req *r)
{
	const char *p = srv_param(r, "id");
	char *end = NULL;
	long long v = p ? strtoll(p, &end, 10) : 0;

	return p && *p && !*end && v > 0 ? (int64_t)v : 0;
}

static void claim_post(srv_req *r)
{
	srv_person p;
	vigil_case_review v;
	int64_t id = path_id(r);
	char to[64];

	if (need_session(r, &p))
		return;
	if (!id) {
		srv_reply_error(r, 400, "invalid", "bad case id");
		return;
	}
	if (srv_case_claim(r, p.name, (p.roles & SRV_ROLE_ADMIN) != 0, id, &v))
		return;
	snprintf(to, sizeof(to), "/review/case/%lld", (long long)id);
	redirect(r, to);
}

/* The banks' names and labels of a case's matches, for the warning. */
static void category(vigil_store *st, const vigil_case *c, page *b)
{
	json_t *m = json_loads(c->matches ? c->matches : "[]", 0, NULL);
	size_t i;
	int any = 0;

	for (i = 0; json_is_array(m) && i < json_array_size(m); i++) {
		const char *bank = json_string_value(json_object_get(json_array_get(m, i), "bank"));
		vigil_bank bk;
		if (!bank)
			continue;
		if (any++)
			raw(b, "; ");
		if (!vigil_bank_get(st, bank, &bk) && *bk.labels)
			fmt(b, "%s (%s)", bank, bk.labels);
		else
			esc(b, bank);
	}
	if (!any)
		fmt(b, "%s (no list match: reported by a %s)", "unknown", c->source);
	json_decref(m);
}

static void case_page_render(srv_req *r, const srv_person *p, int64_t id, int reveal_n,
			     const uint8_t *orig, size_t olen, const char *otype)
{
	vigil_store *st = srv_store(r);
	vigil_case c;
	vigil_case_review v;
	page b = { 0 };
	json_t *m = NULL;
	int media = 0, i, cap = (int)SRV_CFG(srv_of(r), reveal_daily_cap), video = 0, strip = 0;
	char title[48];
	vigil_view_prefs vp;
	size_t k;

	if (!st)
		return;
	if (vigil_case_get(st, id, &c)) {
		srv_reply_status(r, VIGIL_ENOENT, srv_ctx(r));
		return;
	}
	if (vigil_case_review_get(st, id, (int64_t)time(NULL), &v)) {
		vigil_case_clear(&c);
		srv_reply_status(r, VIGIL_ESTORE, srv_ctx(r));
		return;
	}
	vigil_case_media_count(st, id, &media);
	view_prefs(r, p, &vp);
	snprintf(title, sizeof(title), "Case %lld", (long long)id);
	head(&b, title);
	nav(&b, p, exposures(r, p), cap);
	fmt(&b, "<main data-case=\"%lld\" data-reveal-seconds=\"%d\">", (long long)id,
	    (int)SRV_CFG(srv_of(r), reveal_seconds));
	/* The warning first; the case stays hidden until the reviewer goes on
	 * (skipped after a reveal, which was asked for on this page). */
	fmt(&b, "<section id=\"warning\" aria-labelledby=\"wh\"%s><h1 id=\"wh\">Case #%lld: "
		"content warning</h1><p>This case is about: <strong>",
	    reveal_n ? " hidden" : "", (long long)id);
	category(st, &c, &b);
	raw(&b, "</strong>.</p><p>The match evidence is shown first; images are blurred and "
		"grey. Decide from the evidence where you can.</p><p><button type=\"button\" "
		"id=\"proceed\" autofocus>Show the evidence</button> <a href=\"/review\">Back "
		"to the queue</a></p></section>");
	fmt(&b, "<section id=\"case\" aria-labelledby=\"ch\"%s><h1 id=\"ch\">Case #%lld</h1>",
	    reveal_n ? "" : " hidden", (long long)id);
	fmt(&b, "<p>State: <strong>%s</strong>", vigil_case_state_name(v.state));
	if (*v.assignee)
		fmt(&b, " — held by %s until %lld", v.assignee, (long long)v.claim_expires);
	fmt(&b, ". Priority %d. Uploads: %d. Content %s, user %s.</p>", c.priority, c.uploads,
	    *c.content_id ? c.content_id : "-", *c.user_id ? c.user_id : "-");
	raw(&b, "<h2>Match evidence</h2><table><thead><tr><th scope=\"col\">Bank</th>"
		"<th scope=\"col\">Label</th><th scope=\"col\">Hash type</th>"
		"<th scope=\"col\">Distance</th><th scope=\"col\">Variant</th></tr></thead><tbody>");
	m = json_loads(c.matches ? c.matches : "[]", 0, NULL);
	for (k = 0; json_is_array(m) && k < json_array_size(m); k++) {
		json_t *e = json_array_get(m, k);
		const char *bank = json_string_value(json_object_get(e, "bank"));
		vigil_bank bk;
		if (!bank && json_is_number(json_object_get(e, "score"))) {
			/* No list: the platform's classifier asked for a person. */
			char sc[32];
			snprintf(sc, sizeof(sc), "%.2f",
				 json_number_value(json_object_get(e, "score")));
			fmt(&b, "<tr><td>(classifier)</td><td>no list knows it</td><td>"
				"classifier</td><td>score %s</td><td></td></tr>", sc);
			continue;
		}
		memset(&bk, 0, sizeof(bk));
		if (bank)
			vigil_bank_get(st, bank, &bk);
		fmt(&b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%d</td><td>%s</td></tr>",
		    bank ? bank : "?", bk.labels,
		    json_string_value(json_object_get(e, "type")) ?: "",
		    (int)json_integer_value(json_object_get(e, "distance")),
		    json_string_value(json_object_get(e, "variant")) ?: "");
	}
	if (!json_array_size(m))
		fmt(&b, "<tr><td colspan=\"5\">No list match (source: %s).</td></tr>", c.source);
	json_decref(m);
	raw(&b, "</tbody></table><h2>Media</h2>");
	if (!media)
		raw(&b, "<p>No content kept for this case.</p>");
	{
		vigil_case_media items[VIGIL_CASE_MEDIA_MAX];
		int nitems = 0;
		if (!vigil_case_media_list(st, id, items, VIGIL_CASE_MEDIA_MAX, &nitems))
			for (i = 0; i < nitems; i++)
				if (!strncmp(items[i].content_type, "video/", 6))
					video = items[i].n;
	}
	for (i = 1; i <= media; i++) {
		char q[64];
		if (i == video) {
			/* Never played, no sound: its keyframes follow. */
			fmt(&b, "<p id=\"video-%d\">Item %d is a video, kept sealed and never "
				"played here (no sound). Its keyframes, protected:</p><div "
				"class=\"strip\" id=\"keyframes\" aria-label=\"Keyframes of the "
				"video\">", i, i);
			strip = 1;
			continue;
		}
		snprintf(q, sizeof(q), "?blur=%d&size=%d&sepia=%d", vp.blur, vp.size, vp.sepia);
		fmt(&b, "<figure class=\"item\"><img id=\"item-%d\" src=\"/review/media/%lld/%d",
		    i, (long long)id, i);
		raw(&b, q);
		fmt(&b, "\" alt=\"Protected view of item %d: greyscale, blurred, reduced\">", i);
		if (reveal_n == i && orig) {
			/* The original inline, for reveal_seconds (app.js removes it). */
			size_t cap64 = sodium_base64_encoded_len(olen, sodium_base64_VARIANT_ORIGINAL);
			char *b64 = malloc(cap64);
			if (b64) {
				sodium_bin2base64(b64, cap64, orig, olen, sodium_base64_VARIANT_ORIGINAL);
				fmt(&b, "<img id=\"original\" class=\"original\" alt=\"Original of item "
					"%d (revealed, logged)\" src=\"data:%s;base64,", i, otype);
				raw(&b, b64);
				raw(&b, "\"><figcaption role=\"status\" id=\"reveal-status\">Original "
					"shown for a few seconds; this view was logged.</figcaption>");
				sodium_memzero(b64, cap64);
				free(b64);
			}
		} else if (v.state == VIGIL_CASE_CLAIMED && !strcmp(v.assignee, p->name)) {
			fmt(&b, "<form method=\"post\" action=\"/review/case/%lld/reveal/%d\" "
				"class=\"inline\">", (long long)id, i);
			csrf_field(&b, p);
			fmt(&b, "<button type=\"submit\" id=\"reveal-%d\">Reveal the original of "
				"item %d (logged)</button></form>", i, i);
		}
		raw(&b, "</figure>");
	}
	if (strip)
		raw(&b, "</div>");
	if (v.state == VIGIL_CASE_CLAIMED && !strcmp(v.assignee, p->name)) {
		fmt(&b, "<h2>Decision</h2><form method=\"post\" id=\"decision\" "
			"action=\"/review/case/%lld/decision\">", (long long)id);
		csrf_field(&b, p);
		/* The report's incident type; empty: the bank policy's. */
		raw(&b, "<p><label for=\"incident_type\">Incident type (for a report)</label> "
			"<select id=\"incident_type\" name=\"incident_type\"><option value=\"\">"
			"— the bank's default</option>");
		for (int k = 0; vigil_incident_type(k); k++) {
			raw(&b, "<option>");
			esc(&b, vigil_incident_type(k));
			raw(&b, "</option>");
		}
		raw(&b, "</select></p>");
		raw(&b, "<p><label for=\"classification\">Classification (for confirm)</label> "
			"<select id=\"classification\" name=\"classification\"><option value=\"\">"
			"—</option><option>A1</option><option>A2</option><option>B1</option>"
			"<option>B2</option></select></p><fieldset><legend>Annotations</legend>"
			"<input type=\"checkbox\" id=\"a-live\" name=\"annotation\" "
			"value=\"live_streaming\"> <label for=\"a-live\">Live streaming</label> "
			"<input type=\"checkbox\" id=\"a-ai\" name=\"annotation\" "
			"value=\"generative_ai\"> <label for=\"a-ai\">Generative AI</label>"
			"</fieldset><p><label for=\"note\">Note</label><br><textarea id=\"note\" "
			"name=\"note\" rows=\"2\" cols=\"50\" maxlength=\"4096\"></textarea></p>"
			"<p class=\"help\">Keys: <kbd>c</kbd> confirm, <kbd>d</kbd> dismiss, "
			"<kbd>e</kbd> escalate, <kbd>n</kbd> next case.</p><p>"
			"<button type=\"submit\" name=\"decision\" value=\"confirm\" id=\"confirm\">"
			"Confirm</button> <button type=\"submit\" name=\"decision\" value=\"dismiss\" "
			"id=\"dismiss\">Dismiss (false positive)</button> <button type=\"submit\" "
			"name=\"decision\" value=\"escalate\" id=\"escalate\">Escalate</button>"
			"</p></form>");
	} else {
		fmt(&b, "<p>Decision: %s %s %s</p>", vigil_case_decision_name(v.decision),
		    v.classification, v.decided_by);
	}
	raw(&b, "<p><a href=\"/review\" id=\"next\">Next case (queue)</a></p></section></main>");
	vigil_case_clear(&c);
	send(r, 200, &b);
}

static void case_get(srv_req *r)
{
	srv_person p;
	int64_t id = path_id(r);

	if (need_session(r, &p))
		return;
	if (!id) {
		srv_reply_error(r, 400, "invalid", "bad case id");
		return;
	}
	case_page_render(r, &p, id, 0, NULL, 0, NULL);
}

/* Reveal: the original, unsealed, checked against the claim and the cap,
 * logged, and inlined into this one answer. */
static void reveal_post(srv_req *r)
{
	srv_person p;
	int64_t id = path_id(r);
	const char *np = srv_param(r, "n");
	long n = np ? strtol(np, NULL, 10) : 0;
	uint8_t *orig = NULL;
	size_t olen = 0;
	char type[64] = "";

	if (need_session(r, &p))
		return;
	if (!id || n < 1 || n > VIGIL_CASE_MEDIA_MAX) {
		srv_reply_error(r, 400, "invalid", "bad case or item");
		return;
	}
	if (srv_case_media_original(r, p.name, id, (int)n, &orig, &olen, type, sizeof(type)))
		return;
	case_page_render(r, &p, id, (int)n, orig, olen, type);
	sodium_memzero(orig, olen);
	free(orig);
}

static void decision_post(srv_req *r)
{
	srv_person p;
	int64_t id = path_id(r);
	const char *d = srv_form(r, "decision"), *cls = srv_form(r, "classification"),
		   *note = srv_form(r, "note"), *itype = srv_form(r, "incident_type");
	json_t *ann = json_array(), *res = NULL;
	size_t np = 0, i;
	const srv_part *parts = srv_parts(r, &np);
	int decision = vigil_case_decision_parse(d);

	if (need_session(r, &p))
		goto out;
	if (!id || decision < 0) {
		srv_reply_error(r, 400, "invalid", "decision is confirm, dismiss or escalate");
		goto out;
	}
	for (i = 0; ann && parts && i < np; i++)
		if (!strcmp(parts[i].name, "annotation"))
			json_array_append_new(ann, json_string((const char *)parts[i].data));
	if (cls && !*cls)
		cls = NULL;
	if (note && !*note)
		note = NULL;
	if (!srv_case_decide(r, p.name, id, decision, cls, ann, note, itype, &res)) {
		json_decref(res);
		redirect(r, "/review");
	}
out:
	json_decref(ann);
}

/* Protected media for the page (the session's person). */
static void media_get(srv_req *r)
{
	srv_person p;
	int64_t id = path_id(r);
	const char *np = srv_param(r, "n");
	long n = np ? strtol(np, NULL, 10) : 0;

	if (need_session(r, &p))
		return;
	if (!id || n < 1 || n > VIGIL_CASE_MEDIA_MAX) {
		srv_reply_error(r, 400, "invalid", "bad case or item");
		return;
	}
	srv_case_media_reply(r, p.name, id, (int)n, 0);
}

/* ------------------------------------------------------------ assets */

static const char app_js[] =
	"'use strict';\n"
	"document.addEventListener('DOMContentLoaded', function () {\n"
	"  var w = document.getElementById('warning'), c = document.getElementById('case');\n"
	"  var go = document.getElementById('proceed');\n"
	"  if (go) go.addEventListener('click', function () {\n"
	"    w.hidden = true; c.hidden = false;\n"
	"    var h = document.getElementById('ch'); h.tabIndex = -1; h.focus();\n"
	"  });\n"
	"  var o = document.getElementById('original');\n"
	"  if (o) {\n"
	"    var s = parseInt(document.querySelector('main').dataset.revealSeconds, 10) || 10;\n"
	"    setTimeout(function () {\n"
	"      o.src = ''; o.remove();\n"
	"      var st = document.getElementById('reveal-status');\n"
	"      if (st) st.textContent = 'The original is hidden again.';\n"
	"    }, s * 1000);\n"
	"  }\n"
	"  document.addEventListener('keydown', function (e) {\n"
	"    var t = e.target.tagName;\n"
	"    if (e.ctrlKey || e.metaKey || e.altKey || t === 'INPUT' || t === 'TEXTAREA' ||\n"
	"        t === 'SELECT') return;\n"
	"    var f = document.getElementById('decision');\n"
	"    var warn = w && !w.hidden;\n"
	"    if (e.key === 'n') {\n"
	"      var q = document.querySelector('form.next');\n"
	"      if (q) q.submit(); else { var nx = document.getElementById('next'); if (nx) nx.click(); }\n"
	"      e.preventDefault(); return;\n"
	"    }\n"
	"    if (!f || warn) return;\n"
	"    var b = {c: 'confirm', d: 'dismiss', e: 'escalate'}[e.key];\n"
	"    if (!b) return;\n"
	"    e.preventDefault();\n"
	"    var cls = document.getElementById('classification');\n"
	"    if (b === 'confirm' && !cls.value) { cls.focus(); return; }\n"
	"    document.getElementById(b).click();\n"
	"  });\n"
	"});\n";

static const char app_css[] =
	"body{font:1rem/1.5 system-ui,sans-serif;margin:0;color:#111;background:#fafafa}"
	"header{background:#222;color:#fff;padding:.5rem 1rem}header a{color:#fff}"
	"nav{display:flex;flex-wrap:wrap;gap:1rem;align-items:center}"
	"main{padding:1rem;max-width:70rem}main.narrow{max-width:24rem}"
	"table{border-collapse:collapse;width:100%;margin:.5rem 0}"
	"th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;overflow-wrap:anywhere}"
	".inline{display:inline}button{font:inherit;padding:.3rem .8rem}"
	":focus{outline:3px solid #1a5fb4;outline-offset:2px}"
	".error,.warn{background:#fde;border:1px solid #c00;padding:.5rem}"
	"figure.item{display:inline-block;margin:.5rem;vertical-align:top}"
	"figure.item img{max-width:100%;height:auto;display:block}"
	".strip{display:flex;flex-wrap:wrap;gap:.25rem}"
	".strip figure.item{margin:.25rem;max-width:10rem}"
	"img.original{max-width:100%}kbd{border:1px solid #999;padding:0 .3rem;border-radius:3px}"
	"[hidden]{display:none!important}";

static void asset(srv_req *r, const char *type, const char *body)
{
	srv_add_header(r, "Cache-Control", "no-cache");
	srv_add_header(r, "X-Content-Type-Options", "nosniff");
	srv_reply_data(r, 200, type, body, strlen(body));
}

static void js_get(srv_req *r)
{
	asset(r, "text/javascript; charset=utf-8", app_js);
}

static void css_get(srv_req *r)
{
	asset(r, "text/css; charset=utf-8", app_css);
}

/* Sessions and CSRF tokens guard these routes, not API keys. */
const srv_route srv_routes_review_page[] = {
	{ "GET", "/review", SRV_OPEN, queue_page, 0, "The review page: the queue" },
	{ "GET", "/review/login", SRV_OPEN, login_get, 0, "Login form" },
	{ "POST", "/review/login", SRV_OPEN, login_post, 8192, "Log in" },
	{ "POST", "/review/logout", SRV_OPEN, logout_post, 8192, "Log out" },
	{ "POST", "/review/settings", SRV_OPEN, settings_post, 8192,
	  "Protected view settings" },
	{ "GET", "/review/case/{id}", SRV_OPEN, case_get, 0, "One case" },
	{ "POST", "/review/case/{id}/claim", SRV_OPEN, claim_post, 8192, "Claim a case" },
	{ "POST", "/review/case/{id}/reveal/{n}", SRV_OPEN, reveal_post, 8192,
	  "Reveal an original, logged" },
	{ "POST", "/review/case/{id}/decision", SRV_OPEN, decision_post, 65536,
	  "Decide a case" },
	{ "GET", "/review/media/{id}/{n}", SRV_OPEN, media_get, 0, "Protected media" },
	{ "GET", "/review/app.js", SRV_OPEN, js_get, 0, "The page's script" },
	{ "GET", "/review/app.css", SRV_OPEN, css_get, 0, "The page's stylesheet" },
	{ 0 },
};
