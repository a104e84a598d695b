/* test_fold — each fold rule of both views on invented strings, and the
 * offsets back to the original. */
#include "vigil.h"
#include "../test.h"

static vigil_folder *fo;
static vigil_ctx *ctx;

static const char *fold(int view, const char *s, const char *lang)
{
	static vigil_folded f;
	vigil_text_opts o = {lang};

	if (vigil_fold(fo, ctx, view, s, strlen(s), &o, &f))
		return "(error)";
	return f.text;
}

#define C VIGIL_VIEW_CONSERVATIVE
#define A VIGIL_VIEW_AGGRESSIVE
#define EQ(view, in, want)                                                     \
	do {                                                                   \
		const char *got_ = fold(view, in, NULL);                       \
		CHECKF(!strcmp(got_, want), "%s: %s -> \"%s\", want \"%s\"", \
		       #view, #in, got_, want);                                \
	} while (0)
#define EQL(view, in, lang, want)                                              \
	do {                                                                   \
		const char *got_ = fold(view, in, lang);                       \
		CHECKF(!strcmp(got_, want), "%s: %s -> \"%s\", want \"%s\"", \
		       #view, #in, got_, want);                                \
	} while (0)

static void test_unicode(void)
{
	/* width, case, compatibility and mathematical letters */
	EQ(C, "\xEF\xBC\xA8\xEF\xBC\xA5\xEF\xBC\xAC\xEF\xBC\xAC\xEF\xBC\xAF", "hello");
	EQ(C, "\xF0\x9D\x90\xA1\xF0\x9D\x90\x9E\xF0\x9D\x90\xA5\xF0\x9D\x90\xA5\xF0\x9D\x90\xA8", "hello");
	/* circled letters (enclosed alphanumerics) */
	EQ(C, "\xE2\x93\x97\xE2\x93\x94\xE2\x93\x9B\xE2\x93\x9B\xE2\x93\x9E", "hello");
	/* zero-width space, ZWJ, soft hyphen, bidi controls inside */
	EQ(C, "h\xE2\x80\x8B" "el\xE2\x80\x8Dlo", "hello");
	EQ(C, "h\xC2\xAD" "ello", "hello");
	EQ(C, "he\xE2\x80\xAEllo\xE2\x80\xAC", "hello");
	/* combining marks, precomposed and decomposed */
	EQ(C, "he\xCC\x81llo", "hello");
	EQ(C, "h\xC3\xA9llo", "hello");
	/* German: ß and umlauts, precomposed or combining */
	EQ(C, "Stra\xC3\x9F" "e", "strasse");
	EQ(C, "STRASSE", "strasse");
	EQ(C, "Gr\xC3\xBC\xC3\x9F" "e", "gruesse");
	EQ(C, "Gru\xCC\x88\xC3\x9F" "e", "gruesse");
	EQ(C, "Gruesse", "gruesse");
	/* Dutch ij ligature */
	EQ(C, "\xC4\xB2sselmeer", "ijsselmeer");
	/* repeated letters: runs over two squeezed to two */
	EQ(C, "heeeellllooo", "heelloo");
	/* skin tone and variation selector dropped */
	EQ(C, "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD", "\xF0\x9F\x91\x8D");
	EQ(C, "\xE2\x9D\xA4\xEF\xB8\x8F", "\xE2\x9D\xA4");
	/* invalid UTF-8 becomes U+FFFD */
	EQ(C, "a\xFF" "b", "a\xEF\xBF\xBD" "b");
	/* Latin homoglyphs are not folded conservatively */
	EQ(C, "h\xD0\xB5llo", "h\xD0\xB5llo");
}

static void test_arabic(void)
{
	/* marhaba with tatweel */
	EQ(C, "\xD9\x85\xD9\x80\xD9\x80\xD8\xB1\xD8\xAD\xD9\x80\xD8\xA8\xD8\xA7",
	   "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7");
	/* with harakat (fatha, sukun, fatha, fathatan) */
	EQ(C, "\xD9\x85\xD9\x8E\xD8\xB1\xD9\x92\xD8\xAD\xD9\x8E\xD8\xA8\xD9\x8B\xD8\xA7",
	   "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7");
	/* presentation forms */
	EQ(C, "\xEF\xBB\xA3\xEF\xBA\xAE\xEF\xBA\xA3\xEF\xBA\x92\xEF\xBA\x8E",
	   "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7");
	/* alef with hamza above / below / madda -> bare alef */
	EQ(C, "\xD8\xA3\xD9\x87\xD9\x84\xD8\xA7", "\xD8\xA7\xD9\x87\xD9\x84\xD8\xA7");
	EQ(C, "\xD8\xA5", "\xD8\xA7");
	EQ(C, "\xD8\xA2", "\xD8\xA7");
	/* alef maksura -> ya, ta marbuta -> ha */
	EQ(C, "\xD9\x89", "\xD9\x8A");
	EQ(C, "\xD8\xA9", "\xD9\x87");
	/* Arabic-Indic digits */
	EQ(C, "\xD9\xA1\xD9\xA2\xD9\xA3", "123");
	/* the aggressive view keeps Arabic letters (no alef -> l skeleton) */
	EQ(A, "\xD8\xA7\xD9\x87\xD9\x84\xD8\xA7", "\xD8\xA7\xD9\x87\xD9\x84\xD8\xA7");
}

static void test_aggressive(void)
{
	/* Cyrillic and Greek lookalikes */
	EQ(A, "h\xD0\xB5ll\xD0\xBE", "helo");
	EQ(A, "\xCE\x9F\xCE\x91", "oa");
	/* negative squared and regional indicator letters */
	EQ(A, "\xF0\x9F\x85\xB7\xF0\x9F\x85\xB4\xF0\x9F\x85\xBB\xF0\x9F\x85\xBB\xF0\x9F\x85\xBE", "helo");
	EQ(A, "\xF0\x9F\x87\xAD\xF0\x9F\x87\xAA\xF0\x9F\x87\xB1\xF0\x9F\x87\xB1\xF0\x9F\x87\xB4", "helo");
	/* leet */
	EQ(A, "h3ll0", "helo");
	EQ(A, "p4$$w0rd", "pasword");
	EQ(A, "@home $5 2024", "@home $5 2024");
	/* separators inside a word, three single letters or more */
	EQ(A, "h.e.l.l.o", "helo");
	EQ(A, "h e l l o world", "helo world");
	EQ(A, "h_e_l_l_o", "helo");
	EQ(A, "a b cat", "a b cat");
	/* repeats squeezed to one; 1, i and l agree */
	EQ(A, "heeeellllooo", "helo");
	EQ(A, "k1ll", "kl");
	EQ(A, "kill", "kl");
	/* German digraphs meet the dotless spelling */
	EQ(A, "Gr\xC3\xBC\xC3\x9F" "e", "gruse");
	EQ(A, "Grusse", "gruse");
	/* Dutch ij (ligature or not) agrees with its leet spellings */
	EQ(A, "\xC4\xB2s", "ljs");
	EQ(A, "b1j", "blj");
	/* all-digit tokens: leet only when every digit has a letter value */
	EQ(A, "105535 2024 42 100", "loses 2024 42 lo");
}

static void test_arabizi(void)
{
	/* a marker digit (2, 6, 8, 9) makes the text Arabizi: no leet */
	EQ(A, "shlonak 3adi 7abibi 9a7", "shlonak 3adl 7ablbl 9a7");
	/* Arabic script in the message does too */
	EQ(A, "3adi \xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7", "3adl \xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7");
	/* and the caller's language hint */
	EQL(A, "3adi", "ar", "3adl");
	EQL(A, "3adi", "ar-EG", "3adl");
	/* without any of these it is leet */
	EQ(A, "3adi", "eadl");
	EQL(A, "3adi", "arz", "eadl");
}

static void test_offsets(void)
{
	static vigil_folded f;
	/* "Ｘ" (3 bytes) "ß" (2) "e\xCC\x81" (3) " h.e.y" */
	const char *s = "\xEF\xBC\xB8\xC3\x9F" "e\xCC\x81" " h.e.y";

	CHECK(!vigil_fold(fo, ctx, C, s, strlen(s), NULL, &f));
	CHECK(!strcmp(f.text, "xsse h.e.y"));
	CHECK(f.ostart[0] == 0 && f.oend[0] == 3);   /* x <- Ｘ */
	CHECK(f.ostart[1] == 3 && f.oend[2] == 5);   /* ss <- ß */
	CHECK(f.ostart[3] == 5 && f.oend[3] == 8);   /* e <- e + mark */
	CHECK(!vigil_fold(fo, ctx, A, s, strlen(s), NULL, &f));
	CHECK(!strcmp(f.text, "xse hey"));
	/* "hey" spans the original h.e.y */
	CHECK(f.ostart[4] == 9 && f.oend[6] == 14);
	/* a squeezed run's span covers the whole run */
	CHECK(!vigil_fold(fo, ctx, A, "nooooo!", 7, NULL, &f));
	CHECK(!strcmp(f.text, "no!") && f.ostart[1] == 1 && f.oend[1] == 6);
	vigil_folded_free(&f);
	CHECK(f.text == NULL);
}

static void test_limits(void)
{
	static vigil_folded f;
	vigil_ctx *small;

	CHECK(vigil_fold(fo, ctx, VIGIL_VIEW_RAW, "a", 1, NULL, &f) == VIGIL_EINVAL);
	CHECK(!vigil_ctx_new(&small));
	CHECK(!vigil_ctx_set_limit(small, VIGIL_LIMIT_MAX_BYTES, 4));
	CHECK(vigil_fold(fo, small, C, "hello", 5, NULL, &f) == VIGIL_ETOOBIG);
	CHECK(!vigil_fold(fo, small, C, "", 0, NULL, &f) && f.len == 0);
	vigil_ctx_free(small);
	vigil_folded_free(&f);
}

int main(void)
{
	static vigil_folded f;
	const char *s = "Grüße";

	if (vigil_ctx_new(&ctx) || vigil_folder_new(ctx, &fo)) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	test_unicode();
	test_arabic();
	test_aggressive();
	test_arabizi();
	test_offsets();
	test_limits();
	/* both views are a function of the input alone (no state kept) */
	CHECK(!vigil_fold(fo, ctx, A, s, strlen(s), NULL, &f));
	CHECK(!strcmp(fold(A, s, NULL), f.text));
	vigil_folded_free(&f);
	fold(C, "", NULL);
	vigil_folder_free(fo);
	vigil_ctx_free(ctx);
	return test_done("text/fold");
}
