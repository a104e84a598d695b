/* test_fold_fast — the fast fold (src/text/fold.c: ASCII runs in bulk, skip
 * loops in the context passes) against the reference fold
 * (src/text/fold_ref.c, byte at a time): the same folded text and the same
 * ostart/oend for every byte, in both views, with and without lang "ar", on
 * random and adversarial input and on dictionary lines when given. */
#include "vigil.h"
#include "../../src/text/text_int.h"
#include "../test.h"

static vigil_folder *fo;
static vigil_ctx *ctx;
static vigil_folded fast, ref;
static unsigned long long rng = 0x9E3779B97F4A7C15ull;
static long compared;

static unsigned long long next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Pieces that each trip a rule: case, separators and spaced-out letters,
 * leet and Arabizi digits, digraphs and the aggressive i -> l, runs,
 * dropped marks after ASCII (their span joins the letter before), the
 * combining diaeresis after a/o/u, sharp s and ligatures (one code point,
 * several bytes out), width and math letters, homoglyphs, Arabic with
 * tatweel and harakat, zero-width and bidi controls, tag characters,
 * invalid and truncated UTF-8, hashtags and @mentions. */
static const char *const piece[] = {
	"a", "e", "i", "l", "o", "u", "s", "x", "H", "Q", "Z", "ae", "oe", "ue", "ij",
	"aa", "eee", "lll", "ii", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
	"@", "$", " ", " ", " ", ".", "_", "-", "*", ",", "/", "|", "+", "~", ":", "'",
	"\n", "\t", "#", "!", "?", "&", "h.e.l.l.o", "h e l l o", "w-o-r-d", "h3ll0",
	"p4$$w0rd", "105535", "2024", "3a", "7abibi", "\xCC\x88", "u\xCC\x88",
	"o\xCC\x88", "\xCC\x81", "\xC3\x9F", "\xC3\xBC", "\xC3\xA9", "\xEF\xAC\x81",
	"\xC4\xB2", "\xEF\xBC\xA8", "\xF0\x9D\x90\xA1", "\xE2\x93\x97", "\xD0\xB0",
	"\xD0\xBE", "\xCE\xBF", "\xD8\xA7", "\xD8\xA3", "\xD9\x80", "\xD9\x8E",
	"\xD9\x8A", "\xD8\xA9", "\xE2\x80\x8B", "\xE2\x80\x8D", "\xC2\xAD",
	"\xE2\x80\xAE", "\xF3\xA0\x80\x81", "\xEF\xB8\x8F", "\xF0\x9F\x91\x8D",
	"\xF0\x9F\x8F\xBD", "\xFF", "\xC3", "\xE2\x82", "\xF0\x9F\x91", "\x80",
	"\xED\xA0\x80", "\xC0\xAF", "\xEF\xBC\x83", "#tag", "@user", "\xE1\xBA\x9E",
};
#define NPIECE (sizeof(piece) / sizeof(piece[0]))

static int same(const vigil_folded *a, const vigil_folded *b)
{
	return a->len == b->len && !memcmp(a->text, b->text, a->len + 1) &&
	       !memcmp(a->ostart, b->ostart, a->len * sizeof(uint32_t)) &&
	       !memcmp(a->oend, b->oend, a->len * sizeof(uint32_t));
}

/* Folds s both ways in every view and language, the fast fold with and
 * without its SSE2 kernels; reports the first input that differs. */
static void compare(const char *s, size_t n)
{
	static const char *const langs[] = {NULL, "ar"};
	int v, l, simd, has = fo->simd;

	for (simd = 0; simd <= has; simd++)
	for (v = 0; v < 2; v++)
		for (l = 0; l < 2; l++) {
			vigil_text_opts o = {langs[l]};
			int r1;
			fo->simd = simd;
			r1 = vigil_fold(fo, ctx, v, s, n, &o, &fast);
			int r2 = vigil__fold_ref(fo, ctx, v, s, n, &o, &ref);
			compared++;
			CHECKF(r1 == r2 && (r1 || same(&fast, &ref)),
			       "simd %d view %d lang %s, %zu bytes: \"%.*s\" -> fast \"%s\" (%zu), "
			       "ref \"%s\" (%zu)",
			       simd, v, langs[l] ? langs[l] : "-", n, (int)(n < 200 ? n : 200), s,
			       fast.text, fast.len, ref.text, ref.len);
		}
	fo->simd = has;
}

static size_t build(char *buf, size_t cap, size_t pieces)
{
	size_t k, n = 0;

	for (k = 0; k < pieces; k++) {
		const char *p = piece[next() % NPIECE];
		size_t l = strlen(p);
		if (n + l > cap)
			break;
		memcpy(buf + n, p, l);
		n += l;
	}
	return n;
}

static void test_random(void)
{
	static char buf[1 << 17];
	size_t i, n;

	for (i = 0; i < 20000; i++) {
		n = build(buf, sizeof(buf), 1 + next() % 40);
		compare(buf, n);
	}
	/* random bytes: every kind of broken UTF-8 */
	for (i = 0; i < 5000; i++) {
		size_t k;
		n = next() % 64;
		for (k = 0; k < n; k++)
			buf[k] = (char)(next() % 4 ? 0x20 + next() % 0x60 : next() & 0xFF);
		compare(buf, n);
	}
	/* long texts: the buffers grow mid-fold, ASCII runs cross 8-byte steps */
	for (i = 0; i < 20; i++) {
		n = build(buf, sizeof(buf), 2000 + next() % 20000);
		compare(buf, n);
	}
}

/* Edge cases: empty, one byte, runs ending at the very end, separators at
 * the ends, ASCII runs of every length around the 8-byte step. */
static void test_edges(void)
{
	static const char *const cases[] = {
		"", "a", "A", " ", "aaa", "a.b.c", "a.b.c.", ".a.b.c", "a b c d e f",
		"ab c d e", "x.y", "ae", "aee", "aaee", "oe", "i", "ii", "iii", "ij",
		"1j", "lj", "h3ll0 w0rld", "3a 7ab", "@@@", "$$$", "a@b", "a$b",
		"\xC3\x9F\xC3\x9F\xC3\x9F", "s\xC3\x9Fs", "a\xCC\x88\xCC\x88",
		"a\xE2\x80\x8B\xE2\x80\x8B" "b", "\xE2\x80\x8B" "a", "a\xE2\x80\x8B",
		"h.\xC3\xA9.l.l.o", "\xD8\xA7 \xD8\xA8 \xD8\xAA", "a\xFF" "b",
	};
	char buf[64];
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		compare(cases[i], strlen(cases[i]));
	/* the 16-byte kernels: one disturbance at every offset of a long
	 * run of distinct letters (a repeat, a digraph, i, il/li, a
	 * separator, a non-ASCII letter), at the end too */
	{
		static const char *const dist[] = {"xx", "xxx", "xxxx", "ae", "oe", "ue", "i", "il", "li",
						   "ii", "a e", "\xC3\xA9", "ee", "1", "@"};
		char run[128];
		size_t d, pos, len;
		for (d = 0; d < sizeof(dist) / sizeof(dist[0]); d++)
			for (len = 15; len <= 50; len += 7)
				for (pos = 0; pos <= len; pos++) {
					size_t m = 0, q;
					for (q = 0; q < len; q++) {
						if (q == pos) {
							memcpy(run + m, dist[d], strlen(dist[d]));
							m += strlen(dist[d]);
						}
						run[m++] = "bcdfghjkmnpqrstvwxyz"[q % 20];
					}
					if (pos == len) {
						memcpy(run + m, dist[d], strlen(dist[d]));
						m += strlen(dist[d]);
					}
					compare(run, m);
				}
	}
	for (k = 0; k < 40; k++) {
		memset(buf, 'A', k);
		buf[k] = (char)0xC3;
		buf[k + 1] = (char)0x9F;
		compare(buf, k + 2);
		compare(buf, k + 1); /* truncated at the end */
		compare(buf, k);
	}
}

/* Every line of the word lists given (the obfuscation suite's
 * dictionaries), each alone and a sentence of ten at a time. */
static void test_dicts(int argc, char **argv)
{
	char line[512], sent[4096];
	size_t sn = 0, nl = 0;
	int a;

	for (a = 1; a < argc; a++) {
		FILE *d = fopen(argv[a], "r");
		if (!d) {
			printf("(skipped %s)\n", argv[a]);
			continue;
		}
		while (fgets(line, sizeof(line), d)) {
			size_t n = strcspn(line, "\r\n");
			compare(line, n);
			if (sn + n + 1 < sizeof(sent)) {
				memcpy(sent + sn, line, n);
				sn += n;
				sent[sn++] = nl % 3 ? ' ' : '.';
			}
			if (++nl % 10 == 0) {
				compare(sent, sn);
				sn = 0;
			}
		}
		fclose(d);
	}
}

int main(int argc, char **argv)
{
	if (vigil_ctx_new(&ctx) || vigil_folder_new(ctx, &fo)) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	test_edges();
	test_random();
	test_dicts(argc, argv);
	printf("%ld folds compared\n", compared);
	vigil_folded_free(&fast);
	vigil_folded_free(&ref);
	vigil_folder_free(fo);
	vigil_ctx_free(ctx);
	return test_done("text/fold_fast");
}
