/* test_rules — rule terms (VIGIL_TERM_RULE, ThreatExchange TREND_QUERY: AND
 * groups of OR terms, NOT terms) on both literal engines, the portable
 * Aho-Corasick automaton and Vectorscan. The expected hits are computed
 * here by a naive reference: each term and each rule part is folded with
 * vigil_fold in both views and looked for, byte by byte, as a whole token
 * (or anywhere, for a substring term) in the folded message; the rule logic
 * is then applied to those spans. Nothing expected is written down from
 * what the matcher printed. The two engines must also agree hit for hit.
 * Invented, benign text only. */
#include "vigil.h"
#include "../test.h"

static vigil_ctx *ctx;
static vigil_folder *fo;

/* ----------------------------------------------------------- the list */

typedef struct rterm {
	const char *term;
	int mode;
	/* a rule's parts: NULL-terminated, group -1 = NOT */
	const char *parts[8];
	int group[8];
	int ngroups;
} rterm;

static const rterm terms[] = {
	{"teapot", VIGIL_TERM_TOKEN, {NULL}, {0}, 0},
	{"windmill", VIGIL_TERM_SUBSTRING, {NULL}, {0}, 0},
	/* AND of two groups, one with two alternatives, and a NOT */
	{"{\"and\":[{\"or\":[\"garden\",\"orchard\"]},{\"or\":[\"ladder\"]}],"
	 "\"not\":[\"festival\"]}",
	 VIGIL_TERM_RULE, {"garden", "orchard", "ladder", "festival", NULL}, {0, 0, 1, -1}, 2},
	/* German: ß and umlauts fold (Straße = strasse) */
	{"{\"and\":[{\"or\":[\"Straße\"]},{\"or\":[\"Bäckerei\",\"Brot\"]}],\"not\":[]}",
	 VIGIL_TERM_RULE, {"Straße", "Bäckerei", "Brot", NULL}, {0, 1, 1}, 2},
	/* Arabic: library AND book, NOT closed */
	{"{\"and\":[{\"or\":[\"مكتبة\"]},{\"or\":[\"كتاب\"]}],\"not\":[\"مغلق\"]}",
	 VIGIL_TERM_RULE, {"مكتبة", "كتاب", "مغلق", NULL}, {0, 1, -1}, 2},
	/* written in leet in the messages: only the aggressive view has them */
	{"{\"and\":[{\"or\":[\"lantern\"]},{\"or\":[\"harbor\"]}]}",
	 VIGIL_TERM_RULE, {"lantern", "harbor", NULL}, {0, 1}, 2},
	/* overlapping parts (two-word tokens sharing "bird") */
	{"{\"and\":[{\"or\":[\"blue bird\"]},{\"or\":[\"bird song\"]}]}",
	 VIGIL_TERM_RULE, {"blue bird", "bird song", NULL}, {0, 1}, 2},
	/* the same term in two groups, and three groups */
	{"{\"and\":[{\"or\":[\"river\"]},{\"or\":[\"river\"]},{\"or\":[\"stone\",\"pebble\"]}],"
	 "\"not\":[\"flood\",\"storm\"]}",
	 VIGIL_TERM_RULE, {"river", "river", "stone", "pebble", "flood", "storm", NULL},
	 {0, 1, 2, 2, -1, -1}, 3},
};
#define NTERMS (sizeof(terms) / sizeof(terms[0]))

/* ------------------------------------------------------ the reference */

typedef struct ref_hit {
	uint32_t term;
	int view;
	size_t start, end;
	vigil_span parts[VIGIL_RULE_SPANS_MAX];
	size_t nparts;
} ref_hit;

typedef struct span_hit {
	size_t part; /* index among the rule's parts */
	int view;
	size_t start, end;
} span_hit;

#define REF_MAX 4096

/* A word byte for the reference: ASCII letters and digits, and every byte
 * of a non-ASCII code point (the messages hold no non-ASCII punctuation). */
static int word_byte(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

/* Folds s in a view into a fresh NUL-terminated string with non-word bytes
 * turned into spaces; *f keeps the offsets. */
static char *fold_map(int view, const char *s, vigil_folded *f)
{
	char *o;
	size_t i;

	if (vigil_fold(fo, ctx, view, s, strlen(s), NULL, f))
		return NULL;
	o = malloc(f->len + 1);
	if (!o)
		return NULL;
	for (i = 0; i < f->len; i++)
		o[i] = word_byte((unsigned char)f->text[i]) ? f->text[i] : ' ';
	o[f->len] = 0;
	return o;
}

/* Every occurrence of needle (folded) in the folded message fm of view v,
 * whole tokens only if token; appends original spans to out (deduplicated
 * by span: one hit per (term, span), from the first view). */
static size_t find_all(const char *fm, const vigil_folded *f, const char *needle, int token,
		       size_t part, int view, span_hit *out, size_t n)
{
	size_t nl = strlen(needle), i, k;

	if (!nl || nl > f->len)
		return n;
	for (i = 0; i + nl <= f->len; i++) {
		size_t a = i, b = i + nl;
		int dup = 0;
		if (memcmp(fm + i, needle, nl))
			continue;
		if (token && ((a > 0 && fm[a - 1] != ' ') || (b < f->len && fm[b] != ' ')))
			continue;
		for (k = 0; k < n; k++)
			dup |= out[k].part == part && out[k].start == f->ostart[a] &&
			       out[k].end == f->oend[b - 1];
		if (dup || n >= REF_MAX)
			continue;
		out[n].part = part;
		out[n].view = view;
		out[n].start = f->ostart[a];
		out[n].end = f->oend[b - 1];
		n++;
	}
	return n;
}

/* The spans of one term (or rule part) t in message msg, both views. */
static size_t term_spans(const char *msg, char *const fm[2], vigil_folded *const f[2],
			 const char *t, int token, size_t part, span_hit *out, size_t n)
{
	vigil_folded tf = {0};
	int v;

	(void)msg;
	for (v = VIGIL_VIEW_CONSERVATIVE; v <= VIGIL_VIEW_AGGRESSIVE; v++) {
		char *ft = fold_map(v, t, &tf);
		size_t a = 0, b;
		if (!ft)
			continue;
		b = strlen(ft);
		while (a < b && ft[a] == ' ') /* the term's own ends are trimmed */
			a++;
		while (b > a && ft[b - 1] == ' ')
			b--;
		ft[b] = 0;
		n = find_all(fm[v], f[v], ft + a, token, part, v, out, n);
		free(ft);
	}
	vigil_folded_free(&tf);
	return n;
}

static int by_start_part(const void *x, const void *y)
{
	const span_hit *a = x, *b = y;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->part < b->part ? -1 : a->part > b->part;
}

static int ref_cmp(const void *x, const void *y)
{
	const ref_hit *a = x, *b = y;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->term != b->term)
		return a->term < b->term ? -1 : 1;
	return a->end < b->end ? -1 : a->end > b->end;
}

/* The hits the matcher should give for msg, into out; returns how many. */
static size_t reference(const char *msg, ref_hit *out)
{
	static span_hit sp[REF_MAX];
	vigil_folded f0 = {0}, f1 = {0};
	vigil_folded *f[2] = {&f0, &f1};
	char *fm[2];
	size_t t, n = 0, i;

	fm[0] = fold_map(VIGIL_VIEW_CONSERVATIVE, msg, &f0);
	fm[1] = fold_map(VIGIL_VIEW_AGGRESSIVE, msg, &f1);
	CHECK(fm[0] && fm[1]);
	if (!fm[0] || !fm[1])
		goto out;
	for (t = 0; t < NTERMS; t++) {
		const rterm *r = &terms[t];
		size_t ns = 0, p;
		uint32_t got = 0, need = (1u << r->ngroups) - 1;
		int not_hit = 0;
		if (r->mode != VIGIL_TERM_RULE) {
			ns = term_spans(msg, fm, f, r->term, r->mode == VIGIL_TERM_TOKEN, 0, sp, 0);
			for (i = 0; i < ns && n < REF_MAX; i++, n++) {
				memset(&out[n], 0, sizeof(out[n]));
				out[n].term = (uint32_t)t;
				out[n].view = sp[i].view;
				out[n].start = sp[i].start;
				out[n].end = sp[i].end;
			}
			continue;
		}
		for (p = 0; r->parts[p]; p++)
			ns = term_spans(msg, fm, f, r->parts[p], 1, p, sp, ns);
		for (i = 0; i < ns; i++) {
			int g = r->group[sp[i].part];
			if (g < 0)
				not_hit = 1;
			else
				got |= 1u << g;
		}
		if (not_hit || got != need || n >= REF_MAX)
			continue;
		/* the AND parts' spans, by start then part, the first 16 kept;
		 * the hit covers all of them */
		qsort(sp, ns, sizeof(*sp), by_start_part);
		memset(&out[n], 0, sizeof(out[n]));
		out[n].term = (uint32_t)t;
		for (i = 0; i < ns; i++) {
			if (r->group[sp[i].part] < 0)
				continue;
			if (!out[n].nparts) {
				out[n].view = sp[i].view;
				out[n].start = sp[i].start;
				out[n].end = sp[i].end;
			}
			if (sp[i].start < out[n].start)
				out[n].start = sp[i].start;
			if (sp[i].end > out[n].end)
				out[n].end = sp[i].end;
			if (out[n].nparts < VIGIL_RULE_SPANS_MAX) {
				out[n].parts[out[n].nparts].start = sp[i].start;
				out[n].parts[out[n].nparts++].end = sp[i].end;
			}
		}
		n++;
	}
	qsort(out, n, sizeof(*out), ref_cmp);
out:
	free(fm[0]);
	free(fm[1]);
	vigil_folded_free(&f0);
	vigil_folded_free(&f1);
	return n;
}

/* ------------------------------------------------------------ engines */

static vigil_text_matcher *build(const char *engine)
{
	vigil_termlist *tl = NULL;
	vigil_text_matcher *m = NULL;
	size_t i;

	setenv("VIGIL_TEXT_ENGINE", engine, 1);
	if (vigil_termlist_new(ctx, &tl))
		return NULL;
	for (i = 0; i < NTERMS; i++)
		CHECKF(!vigil_termlist_add(tl, terms[i].term, "test", 50, terms[i].mode),
		       "term %zu: %s", i, vigil_errmsg(ctx));
	if (vigil_text_matcher_new(ctx, fo, tl, &m))
		fprintf(stderr, "build (%s): %s\n", engine, vigil_errmsg(ctx));
	vigil_termlist_free(tl);
	return m;
}

/* A copy of one scan's hits (the scanner's array is reused). */
typedef struct got {
	ref_hit h[REF_MAX];
	size_t n;
	int in_order; /* hits by start, parts by start */
} got;

static int scan(vigil_text_scanner *sc, const char *msg, size_t len, got *g)
{
	const vigil_text_hit *h;
	size_t n, i, k;

	g->n = 0;
	g->in_order = 1;
	if (vigil_text_scan(sc, ctx, msg, len, NULL, &h, &n))
		return -1;
	for (i = 0; i < n && i < REF_MAX; i++) {
		ref_hit *o = &g->h[i];
		memset(o, 0, sizeof(*o));
		o->term = h[i].term;
		o->view = h[i].view;
		o->start = h[i].start;
		o->end = h[i].end;
		o->nparts = h[i].nparts;
		if (i && h[i].start < h[i - 1].start)
			g->in_order = 0;
		for (k = 0; k < h[i].nparts && k < VIGIL_RULE_SPANS_MAX; k++) {
			o->parts[k] = h[i].parts[k];
			if (k && h[i].parts[k].start < h[i].parts[k - 1].start)
				g->in_order = 0;
		}
		/* a non-rule hit carries no parts */
		if (terms[h[i].term].mode != VIGIL_TERM_RULE && (h[i].parts || h[i].nparts))
			g->in_order = 0;
	}
	g->n = n;
	return 0;
}

static int same(const ref_hit *a, const ref_hit *b)
{
	size_t k;

	if (a->term != b->term || a->view != b->view || a->start != b->start ||
	    a->end != b->end || a->nparts != b->nparts)
		return 0;
	for (k = 0; k < a->nparts; k++)
		if (a->parts[k].start != b->parts[k].start || a->parts[k].end != b->parts[k].end)
			return 0;
	return 1;
}

static void show(const char *who, const ref_hit *h, size_t n)
{
	size_t i, k;

	for (i = 0; i < n && i < 20; i++) {
		fprintf(stderr, "  %s: term %u view %d [%zu,%zu) parts", who, h[i].term, h[i].view,
			h[i].start, h[i].end);
		for (k = 0; k < h[i].nparts; k++)
			fprintf(stderr, " [%zu,%zu)", h[i].parts[k].start, h[i].parts[k].end);
		fputc('\n', stderr);
	}
}

/* Hits of the rule terms (by term) in a list: a bit per term. */
static unsigned rule_terms_hit(const ref_hit *h, size_t n)
{
	unsigned bits = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (terms[h[i].term].mode == VIGIL_TERM_RULE)
			bits |= 1u << h[i].term;
	return bits;
}

/* One message: both engines against the reference and each other. want is
 * the set of rule terms the message is written to fire (bit per term), a
 * check on the reference itself. */
static ref_hit ref[REF_MAX]; /* the last message's expected hits */
static size_t nref;

static void check_msg(vigil_text_scanner *sc[2], const char *name, const char *msg, size_t len,
		      unsigned want)
{
	static got g[2];
	size_t nr = nref = reference(msg, ref), i;
	int e;

	CHECKF(rule_terms_hit(ref, nr) == want, "%s: the reference fires rules %#x, written for %#x",
	       name, rule_terms_hit(ref, nr), want);
	for (e = 0; e < 2; e++) {
		int ok;
		if (!sc[e])
			continue;
		CHECKF(!scan(sc[e], msg, len, &g[e]), "%s: scan: %s", name, vigil_errmsg(ctx));
		CHECKF(g[e].in_order, "%s: engine %d: hits or parts out of order", name, e);
		/* the engine's order is (start, term); sort a copy like the reference
		 * so ties on start compare alike */
		qsort(g[e].h, g[e].n, sizeof(g[e].h[0]), ref_cmp);
		ok = g[e].n == nr;
		for (i = 0; ok && i < nr; i++)
			ok = same(&g[e].h[i], &ref[i]);
		CHECKF(ok, "%s: engine %s: %zu hits, the reference %zu", name,
		       e ? "vectorscan" : "portable", g[e].n, nr);
		if (!ok) {
			show("engine", g[e].h, g[e].n);
			show("reference", ref, nr);
		}
	}
	if (sc[0] && sc[1]) {
		int ok = g[0].n == g[1].n;
		for (i = 0; ok && i < g[0].n; i++)
			ok = same(&g[0].h[i], &g[1].h[i]);
		CHECKF(ok, "%s: the two engines differ", name);
	}
}

/* The last reference's hit of the one rule in want (NULL if not one). */
static const ref_hit *find_rule(unsigned want)
{
	size_t i;

	for (i = 0; i < nref; i++)
		if (want == 1u << ref[i].term)
			return &ref[i];
	return NULL;
}

#define R_GARDEN (1u << 2)
#define R_STRASSE (1u << 3)
#define R_ARABIC (1u << 4)
#define R_LEET (1u << 5)
#define R_BIRD (1u << 6)
#define R_RIVER (1u << 7)

static void test_rules(vigil_text_scanner *sc[2])
{
	static const struct {
		const char *name, *msg;
		unsigned want;
	} cases[] = {
		{"and-both", "We carried the ladder to the garden.", R_GARDEN},
		{"and-alternative", "An ORCHARD, a Ladder and a teapot", R_GARDEN},
		{"and-one-missing", "the garden was quiet", 0},
		{"and-other-missing", "a ladder and a windmill", 0},
		{"not-present", "garden ladder for the festival", 0},
		{"not-inside-word", "garden ladder festivals", R_GARDEN}, /* tokens only */
		{"part-inside-word", "gardens and ladders", 0},
		{"repeated-parts", "garden ladder garden orchard ladder garden", R_GARDEN},
		{"german", "In der Straße ist eine BÄCKEREI.", R_STRASSE},
		{"german-folded", "strasse und brot", R_STRASSE},
		{"german-missing", "Die Straße ist lang.", 0},
		{"arabic", "في المدينة مكتبة فيها كتاب جميل", R_ARABIC},
		{"arabic-tatweel", "مكتـــبة و كتاب", R_ARABIC},
		{"arabic-not", "مكتبة كتاب مغلق", 0},
		{"arabic-missing", "مكتبة كبيرة", 0},
		{"aggressive-only", "the l4nt3rn by the h4rb0r", R_LEET},
		{"aggressive-half", "the l4nt3rn by the sea", 0},
		{"conservative-too", "lantern harbor", R_LEET},
		{"overlap", "a blue bird song at dawn", R_BIRD},
		{"overlap-apart", "blue bird, then a bird song", R_BIRD},
		{"overlap-one", "a blue bird only", 0},
		{"same-term-two-groups", "the river and a stone", R_RIVER},
		{"three-groups-missing", "the river, twice: river", 0},
		{"two-nots", "river pebble storm", 0},
		/* with Arabic script in the text, digits in Latin tokens are read as
		 * Arabizi and the aggressive view leaves them: no leet rule */
		{"everything", "garden ladder Straße Brot مكتبة كتاب blue bird song river stone "
			       "l4nt3rn h4rb0r teapot windmills",
		 R_GARDEN | R_STRASSE | R_ARABIC | R_BIRD | R_RIVER},
		{"everything-latin", "garden ladder Straße Brot blue bird song river stone "
				     "l4nt3rn h4rb0r teapot windmills",
		 R_GARDEN | R_STRASSE | R_LEET | R_BIRD | R_RIVER},
		{"empty", "", 0},
		{"nothing", "plain words with no listed term", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const ref_hit *r;
		check_msg(sc, cases[i].name, cases[i].msg, strlen(cases[i].msg), cases[i].want);
		/* the cases test what they say they test (on the reference,
		 * which the engines just matched) */
		r = find_rule(cases[i].want);
		if (!strcmp(cases[i].name, "aggressive-only"))
			CHECK(r && r->view == VIGIL_VIEW_AGGRESSIVE && r->nparts == 2);
		if (!strcmp(cases[i].name, "conservative-too"))
			CHECK(r && r->view == VIGIL_VIEW_CONSERVATIVE);
		if (!strcmp(cases[i].name, "overlap"))
			CHECK(r && r->nparts == 2 && r->parts[0].end > r->parts[1].start);
		if (!strcmp(cases[i].name, "repeated-parts"))
			CHECK(r && r->nparts == 6);
		if (!strcmp(cases[i].name, "same-term-two-groups"))
			CHECK(r && r->nparts == 3 && r->parts[0].start == r->parts[1].start);
	}
}

/* Long messages: 100 KB of filler with parts far apart, more than 16
 * part hits (the spans are capped, the hit still covers all of them), and
 * the same with a NOT term at the very end. */
static void test_long(vigil_text_scanner *sc[2])
{
	size_t cap = 200000, n = 0, i;
	char *s = malloc(cap);

	CHECK(s);
	if (!s)
		return;
	n += (size_t)snprintf(s + n, cap - n, "garden ");
	for (i = 0; i < 12000; i++) {
		n += (size_t)snprintf(s + n, cap - n, "%s ", i % 500 == 7 ? "ladder" : "meadow");
		if (i % 1000 == 3)
			n += (size_t)snprintf(s + n, cap - n, "orchard ");
	}
	n += (size_t)snprintf(s + n, cap - n, "river stone teapot");
	check_msg(sc, "long", s, n, R_GARDEN | R_RIVER);
	/* 1 + 24 + 12 part hits: 16 spans kept, the hit covers all of them */
	CHECK(nref == 3 && ref[0].term == 2 && ref[0].nparts == VIGIL_RULE_SPANS_MAX &&
	      ref[0].start == 0 && ref[0].end > ref[0].parts[VIGIL_RULE_SPANS_MAX - 1].end);
	n += (size_t)snprintf(s + n, cap - n, " festival");
	check_msg(sc, "long-not-at-end", s, n, R_RIVER);
	free(s);
}

int main(void)
{
	vigil_text_matcher *m[2] = {NULL, NULL};
	vigil_text_scanner *sc[2] = {NULL, NULL};
	int e, vs;

	if (vigil_ctx_new(&ctx) || vigil_folder_new(ctx, &fo))
		return 1;
	m[0] = build("portable");
	CHECK(m[0] && vigil_text_matcher_engine(m[0], NULL) == VIGIL_TEXT_ENGINE_PORTABLE);
	setenv("VIGIL_TEXT_ENGINE", "vectorscan", 1);
	vs = vigil_text_engine() == VIGIL_TEXT_ENGINE_VECTORSCAN;
	if (vs) {
		m[1] = build("vectorscan");
		CHECK(m[1] && vigil_text_matcher_engine(m[1], NULL) == VIGIL_TEXT_ENGINE_VECTORSCAN);
	} else {
		printf("this CPU cannot run Vectorscan: the portable engine only\n");
	}
	unsetenv("VIGIL_TEXT_ENGINE");
	for (e = 0; e < 2; e++)
		if (m[e])
			CHECK(!vigil_text_scanner_new(ctx, m[e], &sc[e]));
	if (sc[0] || sc[1]) {
		test_rules(sc);
		test_long(sc);
	}
	for (e = 0; e < 2; e++) {
		vigil_text_scanner_free(sc[e]);
		vigil_text_matcher_free(m[e]);
	}
	vigil_folder_free(fo);
	vigil_ctx_free(ctx);
	return test_done("text/rules");
}
