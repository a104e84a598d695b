/* test_engines.c — the portable matcher against Vectorscan, hit for hit:
 * one list of dictionary words (en, de, nl, ar; token terms, long words
 * also as substring terms, some as literal terms, and regex terms made
 * from dictionary words in a few shapes) and invented lines of
 * dictionary words with the terms written in several ways (capitals,
 * letters spaced out, glued into a hashtag, punctuation around), scanned
 * by three matchers: Vectorscan, the portable automaton as a full table,
 * and as sparse edges with failure links (VIGIL_TEXT_AC_SPARSE). Every
 * hit (term, view, hashtag flag, span) must be the same; the portable
 * engine runs the regex terms with PCRE2 and must leave none out. Skipped (77)
 * without the dictionaries or where the CPU cannot run Vectorscan. */
#include "vigil.h"
#include "../test.h"

#include <stdint.h>

#define LANGS 4
#define PER_LANG 2500 /* token terms per language */
#define LINES 4000    /* per language */
#define TERMLEN 64

static const char *const lang_name[LANGS] = {"en", "de", "nl", "ar"};
static char **words[LANGS];
static size_t nwords[LANGS];

static int load(int lang, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t cap = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *slash;
		size_t n;
		line[strcspn(line, "\r\n")] = 0;
		if ((slash = strchr(line, '/')))
			*slash = 0; /* hunspell's affix flags */
		n = strlen(line);
		if (n < 3 || n >= TERMLEN || strchr(line, ',') || strchr(line, '"'))
			continue;
		if (nwords[lang] == cap) {
			cap = cap ? cap * 2 : 65536;
			words[lang] = realloc(words[lang], cap * sizeof(char *));
			if (!words[lang])
				abort();
		}
		words[lang][nwords[lang]++] = strdup(line);
	}
	fclose(f);
	return nwords[lang] ? 0 : -1;
}

static vigil_ctx *ctx;
static vigil_folder *fo;

#define REGEXES 200 /* regex terms (50 per language) */

/* A regex made from word w in shape k (w's ASCII punctuation escaped):
 * the word with an optional plural, the word across any separators
 * between its halves, the word's ends with anything between, an
 * alternation of two words, the word between word boundaries, a digit
 * run after it. Writes it to out; 0, or -1 if it does not fit. */
static int regex_of(const char *w, const char *w2, unsigned k, char *out, size_t cap)
{
	char a[3 * TERMLEN], b[3 * TERMLEN];
	size_t n = strlen(w), h = n / 2, i, o = 0, o2 = 0;
	int r;

	while (h < n && ((unsigned char)w[h] & 0xC0) == 0x80)
		h++; /* cut on a code point */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)w[i];
		if (c < 0x80 && !((c | 32) >= 'a' && (c | 32) <= 'z') && !(c >= '0' && c <= '9'))
			a[o++] = '\\';
		a[o++] = (char)c;
		if (i + 1 == h)
			a[o++] = 0; /* a: first half, a + strlen(a) + 1: second */
	}
	a[o] = 0;
	for (i = 0; w2[i]; i++) {
		unsigned char c = (unsigned char)w2[i];
		if (c < 0x80 && !((c | 32) >= 'a' && (c | 32) <= 'z') && !(c >= '0' && c <= '9'))
			b[o2++] = '\\';
		b[o2++] = (char)c;
	}
	b[o2] = 0;
	switch (k % 6) {
	case 0: r = snprintf(out, cap, "%s%ss?", a, a + strlen(a) + 1); break;
	case 1: r = snprintf(out, cap, "%s\\W*%s", a, a + strlen(a) + 1); break;
	case 2: r = snprintf(out, cap, "%s\\w*%s", a, a + strlen(a) + 1); break;
	case 3: r = snprintf(out, cap, "(%s%s|%s) ?x?", a, a + strlen(a) + 1, b); break;
	case 4: r = snprintf(out, cap, "\\b%s%s\\b", a, a + strlen(a) + 1); break;
	default: r = snprintf(out, cap, "%s%s[0-9]*", a, a + strlen(a) + 1); break;
	}
	return r > 0 && (size_t)r < cap && (size_t)r <= VIGIL_TERM_MAX ? 0 : -1;
}

static vigil_text_matcher *make(const vigil_termlist *tl, const char *engine, int sparse)
{
	vigil_text_matcher *m = NULL;

	setenv("VIGIL_TEXT_ENGINE", engine, 1);
	if (sparse)
		setenv("VIGIL_TEXT_AC_SPARSE", "1", 1);
	else
		unsetenv("VIGIL_TEXT_AC_SPARSE");
	if (vigil_text_matcher_new(ctx, fo, tl, &m))
		fprintf(stderr, "matcher (%s): %s\n", engine, vigil_errmsg(ctx));
	unsetenv("VIGIL_TEXT_AC_SPARSE");
	unsetenv("VIGIL_TEXT_ENGINE");
	return m;
}

/* Appends w to line as the obfuscation k writes it. */
static void put(char *line, size_t cap, const char *w, unsigned k)
{
	size_t n = strlen(line), i;

	switch (k % 5) {
	case 0: /* as listed */
		snprintf(line + n, cap - n, "%s ", w);
		break;
	case 1: /* capitals (ASCII letters) */
		for (i = 0; w[i] && n + 2 < cap; i++)
			line[n++] = (char)(w[i] >= 'a' && w[i] <= 'z' ? w[i] - 32 : w[i]);
		line[n++] = ' ';
		line[n] = 0;
		break;
	case 2: /* letters spaced out with dots (ASCII words only) */
		for (i = 0; w[i] && n + 3 < cap; i++) {
			line[n++] = w[i];
			if (w[i + 1] && !((unsigned char)w[i] & 0x80) && !((unsigned char)w[i + 1] & 0x80))
				line[n++] = '.';
		}
		line[n++] = ' ';
		line[n] = 0;
		break;
	case 3: /* glued into a hashtag */
		snprintf(line + n, cap - n, "#my%sday ", w);
		break;
	default: /* punctuation around */
		snprintf(line + n, cap - n, "(%s)!! ", w);
		break;
	}
}

int main(int argc, char **argv)
{
	vigil_termlist *tl;
	vigil_text_matcher *m[3];
	static const char *src[LANGS * PER_LANG + REGEXES]; /* a regex term's word */
	size_t nrx = 0, unmatched[3];
	vigil_text_scanner *sc[3];
	unsigned long long seed = 21;
	size_t l, i, k, total = 0, lines = 0, differ = 0, nterms = 0;
	int e;

	if (argc != 5) {
		fprintf(stderr, "usage: test_engines EN DE NL AR\n");
		return 2;
	}
	for (l = 0; l < LANGS; l++)
		if (load((int)l, argv[1 + l])) {
			printf("skipped: no dictionary %s\n", argv[1 + l]);
			return 77;
		}
	setenv("VIGIL_TEXT_ENGINE", "vectorscan", 1);
	e = vigil_text_engine();
	unsetenv("VIGIL_TEXT_ENGINE");
	if (e < 0) {
		printf("skipped: this CPU cannot run Vectorscan, nothing to compare with\n");
		return 77;
	}
	if (vigil_ctx_new(&ctx) || vigil_folder_new(ctx, &fo) || vigil_termlist_new(ctx, &tl))
		return 1;
	for (l = 0; l < LANGS; l++)
		for (k = 0; k < PER_LANG; k++) {
			const char *w = words[l][test_rand(&seed) % nwords[l]];
			int mode = strlen(w) >= 9 && k % 4 == 0 ? VIGIL_TERM_SUBSTRING
				   : k % 50 == 0 ? VIGIL_TERM_LITERAL : VIGIL_TERM_TOKEN;
			/* a term that folds to nothing, or a duplicate: skip */
			if (!vigil_termlist_add(tl, w, lang_name[l], 50, mode))
				nterms++;
		}
	for (l = 0; l < LANGS; l++)
		for (k = 0; k < REGEXES / LANGS; k++) {
			const char *w = words[l][test_rand(&seed) % nwords[l]];
			const char *w2 = words[l][test_rand(&seed) % nwords[l]];
			char rx[4 * TERMLEN];
			if (regex_of(w, w2, (unsigned)k, rx, sizeof(rx)) ||
			    vigil_termlist_add(tl, rx, lang_name[l], 50, VIGIL_TERM_REGEX))
				continue; /* one Vectorscan refuses (or too long) */
			src[nterms++] = w;
			nrx++;
		}
	m[0] = make(tl, "vectorscan", 0);
	m[1] = make(tl, "portable", 0);
	m[2] = make(tl, "portable", 1);
	if (!m[0] || !m[1] || !m[2])
		return 1;
	CHECK(vigil_text_matcher_engine(m[0], &unmatched[0]) == VIGIL_TEXT_ENGINE_VECTORSCAN);
	CHECK(vigil_text_matcher_engine(m[1], &unmatched[1]) == VIGIL_TEXT_ENGINE_PORTABLE);
	CHECK(vigil_text_matcher_engine(m[2], &unmatched[2]) == VIGIL_TEXT_ENGINE_PORTABLE);
	printf("%zu regex terms; left out: %zu, %zu, %zu\n", nrx, unmatched[0], unmatched[1],
	       unmatched[2]);
	CHECK(nrx >= REGEXES * 3 / 4); /* the rest Vectorscan refuses */
	CHECK(unmatched[0] == 0 && unmatched[1] == 0 && unmatched[2] == 0);
	for (e = 0; e < 3; e++)
		CHECK(!vigil_text_scanner_new(ctx, m[e], &sc[e]));
	printf("%zu terms\n", nterms);
	size_t rxhits[3] = {0, 0, 0};
	for (l = 0; l < LANGS; l++)
		for (i = 0; i < LINES; i++) {
			char line[2048] = "";
			const vigil_text_hit *h[3];
			size_t nh[3], w;
			for (w = 0; w < 12 && strlen(line) < sizeof(line) - 200; w++) {
				vigil_term t;
				unsigned r = (unsigned)test_rand(&seed);
				if (r % 3 == 0 && !vigil_termlist_get(tl, r / 3 % nterms, &t))
					put(line, sizeof(line), src[r / 3 % nterms] ? src[r / 3 % nterms]
										 : t.term, r / 7);
				else
					put(line, sizeof(line), words[l][r / 3 % nwords[l]], 0);
			}
			for (e = 0; e < 3; e++)
				CHECK(!vigil_text_scan(sc[e], ctx, line, strlen(line), NULL, &h[e], &nh[e]));
			lines++;
			total += nh[0];
			for (e = 0; e < 3; e++)
				for (k = 0; k < nh[e]; k++)
					rxhits[e] += src[h[e][k].term] != NULL;
			for (e = 1; e < 3; e++) {
				int same = nh[e] == nh[0];
				for (k = 0; same && k < nh[0]; k++)
					same = h[e][k].term == h[0][k].term && h[e][k].view == h[0][k].view &&
					       h[e][k].in_hashtag == h[0][k].in_hashtag &&
					       h[e][k].start == h[0][k].start && h[e][k].end == h[0][k].end;
				if (!same && differ++ < 5)
					fprintf(stderr, "engines differ (%s): %zu vs %zu hits: %s\n",
						e == 1 ? "table" : "sparse", nh[0], nh[e], line);
			}
		}
	printf("%zu lines, %zu hits (Vectorscan), %zu lines differ\n", lines, total, differ);
	printf("regex hits: %zu (Vectorscan), %zu (table), %zu (sparse)\n", rxhits[0], rxhits[1],
	       rxhits[2]);
	CHECK(total > lines); /* the comparison covered hits, not silence */
	CHECK(rxhits[0] > 500 && rxhits[1] == rxhits[0] && rxhits[2] == rxhits[0]);
	CHECK(differ == 0);
	for (e = 0; e < 3; e++) {
		vigil_text_scanner_free(sc[e]);
		vigil_text_matcher_free(m[e]);
	}
	vigil_termlist_free(tl);
	vigil_folder_free(fo);
	vigil_ctx_free(ctx);
	for (l = 0; l < LANGS; l++) {
		for (i = 0; i < nwords[l]; i++)
			free(words[l][i]);
		free(words[l]);
	}
	return test_done("text/engines");
}
