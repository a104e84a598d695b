/* test_match — term lists (parser and limits), matching in each mode and
 * view with spans in the original, hashtags by the twitter-text grammar
 * (cases written from its documented rules: the conformance file
 * extract.yml is not on this machine nor in a Debian package). */
#include "vigil.h"
#include "../test.h"
#include "../../src/core/core.h"

static vigil_ctx *ctx;
static vigil_folder *fo;

static int bad_lines;
static uint64_t last_bad;
static int on_bad(void *user, uint64_t line, const char *why)
{
	(void)user;
	CHECK(why && *why);
	bad_lines++;
	last_bad = line;
	return 0;
}

static void test_parse(void)
{
	vigil_termlist *tl;
	vigil_term t;
	size_t added;
	const char *list =
		"term,category,severity,mode\n"
		"# a comment\n"
		"\n"
		"bluebird,birds,70\n"
		"\"quoted, with comma\",misc,10,substring\n"
		"  lonely term  \n"
		"sparrow,birds,101\n"              /* bad severity */
		"crow,birds,x\n"                   /* bad severity */
		"robin,birds,5,glob\n"             /* bad mode */
		"\"open quote,birds\n"             /* unterminated */
		"a,b,1,token,extra\n"              /* too many fields */
		"\"#tagged\",tags,20,literal\r\n"; /* CRLF, quoted hashtag */

	CHECK(!vigil_termlist_new(ctx, &tl));
	bad_lines = 0;
	CHECK(!vigil_termlist_parse(tl, list, strlen(list), on_bad, NULL, &added));
	CHECK(added == 4);
	CHECK(bad_lines == 5);
	CHECK(vigil_termlist_count(tl) == 4);
	CHECK(!vigil_termlist_get(tl, 0, &t) && !strcmp(t.term, "bluebird") &&
	      !strcmp(t.category, "birds") && t.severity == 70 &&
	      t.mode == VIGIL_TERM_TOKEN && t.line == 4);
	CHECK(!vigil_termlist_get(tl, 1, &t) && !strcmp(t.term, "quoted, with comma") &&
	      t.mode == VIGIL_TERM_SUBSTRING);
	CHECK(!vigil_termlist_get(tl, 2, &t) && !strcmp(t.term, "lonely term") &&
	      !strcmp(t.category, "") && t.severity == 50);
	CHECK(!vigil_termlist_get(tl, 3, &t) && !strcmp(t.term, "#tagged") &&
	      t.mode == VIGIL_TERM_LITERAL && t.line == 12);
	CHECK(vigil_termlist_get(tl, 4, &t) == VIGIL_ENOENT);
	/* by call */
	CHECK(vigil_termlist_add(tl, "", NULL, 1, 0) == VIGIL_EINVAL);
	CHECK(vigil_termlist_add(tl, "ok", NULL, 101, 0) == VIGIL_EINVAL);
	CHECK(vigil_termlist_add(tl, "ok", NULL, 1, 7) == VIGIL_EINVAL);
	CHECK(vigil_termlist_add(tl, "ok", NULL, 1, 0) == 0);
	vigil_termlist_free(tl);
	/* a callback can stop the parse */
	CHECK(!vigil_termlist_new(ctx, &tl));
	CHECK(vigil_termlist_parse(tl, "x,y,500\nfine\n", 13,
				   (vigil_term_bad_cb)(void (*)(void))NULL, NULL, &added) == 0);
	CHECK(added == 1);
	vigil_termlist_free(tl);
	CHECK(vigil_term_mode_parse("substring") == VIGIL_TERM_SUBSTRING);
	CHECK(vigil_term_mode_parse("nope") == -1);
}

static vigil_text_matcher *build(const char *list)
{
	vigil_termlist *tl;
	vigil_text_matcher *m = NULL;

	if (vigil_termlist_new(ctx, &tl))
		return NULL;
	bad_lines = 0;
	if (vigil_termlist_parse(tl, list, strlen(list), on_bad, NULL, NULL) || bad_lines ||
	    vigil_text_matcher_new(ctx, fo, tl, &m))
		fprintf(stderr, "build: %s\n", vigil_errmsg(ctx));
	vigil_termlist_free(tl);
	return m;
}

/* Scans s; returns the number of hits, and the first in *h. */
static size_t scan(vigil_text_scanner *sc, const char *s, vigil_text_hit *h,
		   const char *lang)
{
	const vigil_text_hit *hits;
	size_t n;
	vigil_text_opts o = {lang};

	if (vigil_text_scan(sc, ctx, s, strlen(s), &o, &hits, &n))
		return (size_t)-1;
	if (n && h)
		*h = hits[0];
	return n;
}

static void test_matching(void)
{
	vigil_text_matcher *m = build(
		"bluebird,birds,70\n"          /* 0: token */
		"featherweight,birds,40,substring\n" /* 1 */
		"\"#Exact\",tags,20,literal\n"  /* 2 */
		"3adi,arabizi,10\n"            /* 3 */
		"stra\xC3\x9F" "e,de,10\n"     /* 4 */
		"\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7,ar,10\n" /* 5 */
		"meadow lark,birds,30\n");     /* 6: two words */
	vigil_text_scanner *sc = NULL;
	vigil_text_hit h;
	const char *s;

	CHECK(m != NULL);
	if (!m)
		return;
	CHECK(vigil_text_matcher_count(m) == 7);
	{
		vigil_term t;
		CHECK(!vigil_text_matcher_term(m, 6, &t) && t.line == 7 &&
		      !strcmp(t.term, "meadow lark") && t.severity == 30);
	}
	CHECK(!vigil_text_scanner_new(ctx, m, &sc));
	/* token: bounded, in the original span */
	s = "I saw a BlueBird today";
	CHECK(scan(sc, s, &h, NULL) == 1 && h.term == 0 && h.start == 8 && h.end == 16 &&
	      h.view == VIGIL_VIEW_CONSERVATIVE);
	CHECK(scan(sc, "bluebirds everywhere", NULL, NULL) == 0);
	CHECK(scan(sc, "xbluebird", NULL, NULL) == 0);
	/* obfuscated: only the aggressive view sees it; span is what was written */
	s = "look: b.l.u.e.b.i.r.d!";
	CHECK(scan(sc, s, &h, NULL) == 1 && h.term == 0 && h.view == VIGIL_VIEW_AGGRESSIVE &&
	      h.start == 6 && h.end == 21);
	s = "a \xF0\x9D\x90\x9B" "lu3b1rd";
	CHECK(scan(sc, s, &h, NULL) == 1 && h.term == 0 && h.start == 2 && h.end == strlen(s));
	/* substring inside a compound */
	CHECK(scan(sc, "superfeatherweightclass", &h, NULL) == 1 && h.term == 1 &&
	      h.start == 5 && h.end == 18);
	/* literal: exact bytes only */
	CHECK(scan(sc, "see #Exact now", &h, NULL) == 1 && h.term == 2 && h.start == 4 &&
	      h.end == 10 && h.view == VIGIL_VIEW_RAW);
	CHECK(scan(sc, "see #exact now", NULL, NULL) == 0);
	/* token term inside a hashtag body (>= 4 letters) */
	CHECK(scan(sc, "#mybluebirdpics", &h, NULL) == 1 && h.term == 0 && h.in_hashtag &&
	      h.start == 3 && h.end == 11);
	CHECK(scan(sc, "mybluebirdpics", NULL, NULL) == 0);
	/* Arabizi term in Arabizi text; Arabic term with tatweel and harakat */
	CHECK(scan(sc, "wallah 3adi", &h, NULL) == 1 && h.term == 3);
	s = "\xD9\x85\xD9\x80\xD8\xB1\xD9\x92\xD8\xAD\xD8\xA8\xD8\xA7 x";
	CHECK(scan(sc, s, &h, NULL) == 1 && h.term == 5 && h.start == 0 && h.end == strlen(s) - 2);
	/* German */
	CHECK(scan(sc, "die STRASSE", &h, NULL) == 1 && h.term == 4 && h.start == 4);
	/* two-word terms */
	CHECK(scan(sc, "a Meadow  Lark sang", &h, NULL) == 1 && h.term == 6 &&
	      h.view == VIGIL_VIEW_AGGRESSIVE); /* spaces squeezed */
	CHECK(scan(sc, "a Meadow Lark sang", &h, NULL) == 1 && h.term == 6);
	/* one hit per occurrence, in order; none in empty text */
	CHECK(scan(sc, "bluebird bluebird", NULL, NULL) == 2);
	CHECK(scan(sc, "", NULL, NULL) == 0);
	vigil_text_scanner_free(sc);
	vigil_text_matcher_free(m);
	/* terms that cannot match are refused with their line */
	CHECK(build("\xE2\x80\x8B,x,1\n") == NULL); /* a lone ZWSP */
	CHECK(build("abc,x,1,substring\n") == NULL);
}

static size_t tags(const char *s, vigil_span *sp)
{
	return vigil_hashtags(s, strlen(s), sp, 8);
}

/* Operator regexes: checked when listed (a clear reason), matched over the
 * conservative view with the whole match's original span, the count
 * limited per matcher. */
static void test_regex(void)
{
	vigil_termlist *tl = NULL;
	vigil_text_matcher *m;
	vigil_text_scanner *sc = NULL;
	vigil_text_hit h;
	const vigil_text_hit *hits;
	size_t n, k;
	int rc;

	CHECK(!vigil_termlist_new(ctx, &tl));
	CHECK(vigil_termlist_add(tl, "(open", NULL, 50, VIGIL_TERM_REGEX) == VIGIL_EINVAL);
	CHECK(strstr(vigil_errmsg(ctx), "regex does not compile") != NULL);
	CHECK(vigil_termlist_add(tl, "a*", NULL, 50, VIGIL_TERM_REGEX) == VIGIL_EINVAL);
	CHECK(vigil_termlist_count(tl) == 0);
	bad_lines = 0;
	last_bad = 0;
	{
		const char *list = "\"x(y\",c,1,regex\nok,c,1\n";
		CHECK(!vigil_termlist_parse(tl, list, strlen(list), on_bad, NULL, &n) && n == 1 &&
		      bad_lines == 1 && last_bad == 1);
	}
	vigil_termlist_free(tl);
	m = build("\"blue ?fish[0-9]+\",rx,60,regex\nbluebird,birds,70\n");
	CHECK(m != NULL);
	if (!m)
		return;
	/* both engines run regexes (the portable one with PCRE2) */
	vigil_text_matcher_engine(m, &n);
	CHECK(n == 0);
	CHECK(!vigil_text_scanner_new(ctx, m, &sc));
	/* caseless, the longest end, the span in the original bytes (the
	 * fullwidth letters fold to ASCII first) */
	CHECK(scan(sc, "saw BlueFish42 there", &h, NULL) == 1 && h.term == 0 &&
	      h.start == 4 && h.end == 14 && h.view == VIGIL_VIEW_CONSERVATIVE);
	CHECK(scan(sc, "\xEF\xBD\x82lue fish7", &h, NULL) == 1 && h.start == 0 &&
	      h.end == 12);
	CHECK(scan(sc, "bluefish alone", &h, NULL) == 0);
	/* both kinds in one text, ordered by start */
	CHECK(!vigil_text_scan(sc, ctx, "bluebird bluefish1", 18, NULL, &hits, &n) && n == 2 &&
	      hits[0].term == 1 && hits[1].term == 0 && hits[1].start == 9);
	vigil_text_scanner_free(sc);
	vigil_text_matcher_free(m);
	/* Hostile shapes over a long text (nothing but a scan that ends is
	 * asserted about time: the test's timeout): nested repetition that a
	 * backtracker takes exponential time on, and a pattern matching from
	 * every other start to the end (the portable engine's restarts hit
	 * its budget, and the hit is still the one span Vectorscan gives). */
	m = build("\"(x|xy|y)+z\",rx,60,regex\n\"x[a-z]*\",rx,60,regex\n");
	CHECK(m != NULL);
	if (m) {
		size_t len = 60000;
		char *t = malloc(len + 1);
		CHECK(vigil_text_matcher_engine(m, &n) >= 0 && n == 0);
		CHECK(t && !vigil_text_scanner_new(ctx, m, &sc));
		for (k = 0; t && k < len; k++)
			t[k] = k % 2 ? 'y' : 'x';
		CHECK(t && !vigil_text_scan(sc, ctx, t, len, NULL, &hits, &n) && n == 1 &&
		      hits[0].term == 1 && hits[0].start == 0 && hits[0].end == len);
		free(t);
		vigil_text_scanner_free(sc);
		vigil_text_matcher_free(m);
	}
	/* more than VIGIL_REGEX_MAX in one matcher: refused */
	CHECK(!vigil_termlist_new(ctx, &tl));
	for (k = 0, rc = 0; !rc && k <= VIGIL_REGEX_MAX; k++) {
		char p[32];
		snprintf(p, sizeof(p), "w%zu[0-9]", k);
		rc = vigil_termlist_add(tl, p, NULL, 50, VIGIL_TERM_REGEX);
	}
	CHECK(!rc);
	m = NULL;
	CHECK(vigil_text_matcher_new(ctx, fo, tl, &m) == VIGIL_ETOOBIG && !m);
	vigil_termlist_free(tl);
}

static void test_hashtags(void)
{
	vigil_span sp[8];

	CHECK(tags("#hello world", sp) == 1 && sp[0].start == 0 && sp[0].end == 6);
	CHECK(tags("a #one and #two_2", sp) == 2 && sp[1].start == 11 && sp[1].end == 17);
	CHECK(tags("#16 is a number", sp) == 0);                 /* all digits */
	CHECK(tags("#2night", sp) == 1);                        /* a letter */
	CHECK(tags("&#39; entity", sp) == 0);                   /* after & */
	CHECK(tags("abc#def", sp) == 0);                        /* after a letter */
	CHECK(tags("\xEF\xBC\x83" "fullwidth", sp) == 1 && sp[0].end == 12);
	CHECK(tags("#\xEF\xB8\x8F\xE2\x83\xA3 keycap", sp) == 0);
	CHECK(tags("#\xE2\x83\xA3", sp) == 0);
	CHECK(tags("#foo#bar", sp) == 0);                       /* followed by # */
	CHECK(tags("#foo://x", sp) == 0);                       /* a URL scheme */
	CHECK(tags("(#paren)", sp) == 1 && sp[0].start == 1 && sp[0].end == 7);
	CHECK(tags("#caf\xC3\xA9 ok", sp) == 1 && sp[0].end == 6);
	CHECK(tags("#e\xCC\x81t\xC3\xA9", sp) == 1 && sp[0].end == 7); /* marks */
	CHECK(tags("#\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7", sp) == 1);
	CHECK(tags("\xF0\x9F\x98\x80#emoji", sp) == 1 && sp[0].start == 4);
	CHECK(tags("# space", sp) == 0);
	CHECK(tags("##double", sp) == 1 && sp[0].start == 1);
	CHECK(tags("#a\xE2\x80\x8C" "b", sp) == 1 && sp[0].end == 6); /* ZWNJ */
	CHECK(tags("#x.y", sp) == 1 && sp[0].end == 2);
	/* more tags than room: counted, first ones kept */
	CHECK(vigil_hashtags("#a #b #c", 8, sp, 2) == 3 && sp[1].start == 3);
}


/* Every allocation of the text entry points failing in turn: each returns
 * VIGIL_ENOMEM (or succeeds), never crashes or leaks (ASan checks). The
 * folder (a handful of large allocations) is tried on its own. */
static void test_oom(void)
{
	const char *list = "bluebird,birds,70\nfeatherweight,b,1,substring\n\"#x\",t,1,literal\n";
	const char *msg = "a b.l.u.e.b.i.r.d #featherweights #x";
	long n;
	int done = 0;

	for (n = 0; n < 100 && !done; n++) {
		vigil_folder *f2 = NULL;
		int rc;
		vigil__fault_after(n);
		rc = vigil_folder_new(ctx, &f2);
		vigil__fault_after(-1);
		CHECKF(rc == 0 || rc == VIGIL_ENOMEM, "folder fault at %ld: %d", n, rc);
		done = !rc;
		vigil_folder_free(f2);
	}
	CHECK(done);
	for (n = 0, done = 0; n < 10000 && !done; n++) {
		vigil_termlist *tl = NULL;
		vigil_text_matcher *m = NULL;
		vigil_text_scanner *sc = NULL;
		vigil_groom *g = NULL;
		const vigil_text_hit *h;
		size_t nh = 0;
		int rc;

		vigil__fault_after(n);
		rc = vigil_termlist_new(ctx, &tl);
		if (!rc)
			rc = vigil_termlist_parse(tl, list, strlen(list), NULL, NULL, NULL);
		if (!rc)
			rc = vigil_text_matcher_new(ctx, fo, tl, &m);
		if (!rc)
			rc = vigil_text_scanner_new(ctx, m, &sc);
		if (!rc)
			rc = vigil_text_scan(sc, ctx, msg, strlen(msg), NULL, &h, &nh);
		if (!rc)
			rc = vigil_groom_new(ctx, fo, &g);
		vigil__fault_after(-1);
		CHECKF(rc == 0 || rc == VIGIL_ENOMEM, "fault at %ld: %d", n, rc);
		if (!rc) {
			CHECK(nh == 3);
			done = 1;
		}
		vigil_groom_free(g);
		vigil_text_scanner_free(sc);
		vigil_text_matcher_free(m);
		vigil_termlist_free(tl);
	}
	CHECK(done);
	printf("oom: every one of %ld allocation failures handled\n", n - 1);
}

int main(void)
{
	if (vigil_ctx_new(&ctx) || vigil_folder_new(ctx, &fo))
		return 1;
	printf("engine: %s\n", vigil_text_engine_name(vigil_text_engine()));
	test_parse();
	test_matching();
	test_regex();
	test_hashtags();
	test_oom();
	vigil_folder_free(fo);
	vigil_ctx_free(ctx);
	return test_done("text/match");
}
