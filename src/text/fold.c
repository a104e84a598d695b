/* fold.c — the two folded views of a text, with every folded byte mapped
 * back to the original span it came from. One table pass (fold_table.c)
 * then, for the aggressive view, the context-dependent passes: spaced-out
 * letters, leet outside Arabizi, digraphs, and run squeezing. */
#include "text_int.h"

#include <string.h>
#include <unicode/uchar.h>

const char *vigil_text_view_name(int view)
{
	switch (view) {
	case VIGIL_VIEW_CONSERVATIVE: return "conservative";
	case VIGIL_VIEW_AGGRESSIVE: return "aggressive";
	case VIGIL_VIEW_RAW: return "raw";
	default: return "unknown";
	}
}

size_t vigil__utf8_next(const unsigned char *s, size_t n, size_t i, uint32_t *cp)
{
	unsigned char b = s[i];
	uint32_t c, min;
	size_t len, k;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xC2 && b <= 0xDF) {
		len = 2; c = b & 0x1F; min = 0x80;
	} else if (b >= 0xE0 && b <= 0xEF) {
		len = 3; c = b & 0x0F; min = 0x800;
	} else if (b >= 0xF0 && b <= 0xF4) {
		len = 4; c = b & 0x07; min = 0x10000;
	} else {
		goto bad;
	}
	if (n - i < len)
		goto bad;
	for (k = 1; k < len; k++) {
		if ((s[i + k] & 0xC0) != 0x80)
			goto bad;
		c = c << 6 | (s[i + k] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		goto bad;
	*cp = c;
	return len;
bad:
	*cp = 0xFFFFFFFFu;
	return 1;
}

int vigil__is_word(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		       (cp >= '0' && cp <= '9');
	return cp <= 0x10FFFF && u_isalnum((UChar32)cp);
}

int vigil_folder_new(vigil_ctx *ctx, vigil_folder **out)
{
	vigil_folder *fo;
	int rc;

	*out = NULL;
	fo = vigil__calloc(1, sizeof(*fo));
	if (!fo)
		return vigil__err(ctx, VIGIL_ENOMEM, "folder: out of memory");
#ifdef __SSE2__
	fo->simd = 1; /* part of x86-64: no run-time check needed */
#endif
	rc = vigil__fold_build(ctx, fo);
	if (rc) {
		vigil_folder_free(fo);
		return rc;
	}
	*out = fo;
	return 0;
}

void vigil_folder_free(vigil_folder *fo)
{
	if (!fo)
		return;
	vigil__free(fo->map[0]);
	vigil__free(fo->map[1]);
	vigil__free(fo->pool);
	vigil__free(fo);
}

void vigil_folded_free(vigil_folded *f)
{
	if (!f)
		return;
	vigil__free(f->text);
	vigil__free(f->ostart);
	vigil__free(f->oend);
	memset(f, 0, sizeof(*f));
}

/* Room for need bytes (and a NUL) in each of f's arrays. */
static int reserve(vigil_ctx *ctx, vigil_folded *f, size_t need)
{
	size_t cap = f->cap ? f->cap : 256;
	char *t;
	uint32_t *a, *b;

	if (need + 1 <= f->cap)
		return 0;
	while (cap < need + 1) {
		if (cap > (size_t)1 << 40)
			return vigil__err(ctx, VIGIL_ETOOBIG, "fold: text too large");
		cap *= 2;
	}
	t = vigil__realloc(f->text, cap);
	if (t)
		f->text = t;
	a = vigil__realloc(f->ostart, cap * sizeof(uint32_t));
	if (a)
		f->ostart = a;
	b = vigil__realloc(f->oend, cap * sizeof(uint32_t));
	if (b)
		f->oend = b;
	if (!t || !a || !b)
		return vigil__err(ctx, VIGIL_ENOMEM, "fold: out of memory");
	f->cap = cap;
	return 0;
}

/* The length of the run of ASCII bytes at s (n bytes), eight at a time. */
static size_t ascii_run(const unsigned char *s, size_t n)
{
	size_t j = 0;
	uint64_t x;

	while (j + 8 <= n) {
		memcpy(&x, s + j, 8);
		if (x & 0x8080808080808080ull)
			break;
		j += 8;
	}
	while (j < n && s[j] < 0x80)
		j++;
	return j;
}

/* Folds a run of n ASCII bytes (the first at original offset i0): each
 * byte lowercased, mapped to its own one-byte span. A loop the compiler
 * vectorises (restrict: the three outputs never overlap). */
static void ascii_fold(const unsigned char *restrict s, size_t n, uint32_t i0,
		       char *restrict t, uint32_t *restrict os, uint32_t *restrict oe)
{
	size_t k;

	for (k = 0; k < n; k++) {
		unsigned char b = s[k];
		t[k] = (char)(b + ((unsigned char)(b - 'A') < 26u ? 32 : 0));
		os[k] = i0 + (uint32_t)k;
		oe[k] = i0 + (uint32_t)k + 1;
	}
}

/* Pass 1: the table. */
static int table_pass(const vigil_folder *fo, vigil_ctx *ctx, int view,
		      const unsigned char *s, size_t n, vigil_folded *f, int *arabic)
{
	const uint32_t *map = fo->map[view];
	size_t i = 0, w = 0;
	int rc;

	rc = reserve(ctx, f, n + VIGIL__FOLD_MAXOUT);
	if (rc)
		return rc;
	while (i < n) {
		const unsigned char *src = NULL;
		size_t len, k, nout = 0;
		uint32_t cp, e;

		if (w + VIGIL__FOLD_MAXOUT + 4 > f->cap) {
			rc = reserve(ctx, f, f->cap * 2);
			if (rc)
				return rc;
		}
		if (s[i] < 0x80) { /* ASCII: NFKC_Casefold is lowercasing */
			size_t run = ascii_run(s + i, n - i);
			if (w + run + VIGIL__FOLD_MAXOUT + 4 > f->cap) {
				rc = reserve(ctx, f, w + run + VIGIL__FOLD_MAXOUT + 4);
				if (rc)
					return rc;
			}
			ascii_fold(s + i, run, (uint32_t)i, f->text + w, f->ostart + w,
				   f->oend + w);
			w += run;
			i += run;
			continue;
		}
		len = vigil__utf8_next(s, n, i, &cp);
		if (cp >= 0x0600 && cp <= 0x06FF)
			*arabic = 1; /* a lead byte D8..DB and a continuation */
		if (cp == 0xFFFFFFFFu) {
			src = (const unsigned char *)"\xEF\xBF\xBD";
			nout = 3;
		} else {
			e = cp < VIGIL__FOLD_CP_END ? map[cp]
			    : (cp >= 0xE0000 && cp <= 0xE0FFF) ? VIGIL__FOLD_DROP
							       : VIGIL__FOLD_ID;
			if (cp == 0x0308 && w &&
			    (f->text[w - 1] == 'a' || f->text[w - 1] == 'o' ||
			     f->text[w - 1] == 'u')) {
				/* a decomposed German umlaut, as precomposed */
				src = (const unsigned char *)"e";
				nout = 1;
				e = 0;
			} else if (e == VIGIL__FOLD_DROP) {
				/* a dropped mark or control belongs to the
				 * character before it, for the hit's span */
				if (w && f->oend[w - 1] == i)
					f->oend[w - 1] = (uint32_t)(i + len);
				i += len;
				continue;
			}
			if (src) {
				/* set above */
			} else if (e == VIGIL__FOLD_ID) {
				src = s + i;
				nout = len;
			} else {
				src = (const unsigned char *)fo->pool +
				      (e >> VIGIL__FOLD_LEN_BITS);
				nout = e & ((1u << VIGIL__FOLD_LEN_BITS) - 1);
			}
		}
		for (k = 0; k < nout; k++) {
			f->text[w + k] = (char)src[k];
			f->ostart[w + k] = (uint32_t)i;
			f->oend[w + k] = (uint32_t)(i + len);
		}
		w += nout;
		i += len;
	}
	f->len = w;
	f->text[w] = 0;
	return 0;
}

static inline int ascii_word(unsigned char b)
{
	return (unsigned char)((b | 32) - 'a') < 26u || (unsigned char)(b - '0') < 10u;
}

/* What collapse_spaced counts as a word byte before a letter: any byte of a
 * non-ASCII code point, or an ASCII letter or digit. */
static inline int word_byte(unsigned char b)
{
	return b >= 0x80 || ascii_word(b);
}

static int is_sep(unsigned char c)
{
	return c == ' ' || c == '.' || c == '_' || c == '-' || c == '*' ||
	       c == ',' || c == '/' || c == '|' || c == '+' || c == '~' ||
	       c == ':' || c == '\'';
}

/* The word code point at t[i], its length in *len; 0 if not a word char. */
static int word_at(const vigil_folded *f, size_t i, size_t *len)
{
	uint32_t cp;
	size_t k;

	if (i >= f->len)
		return 0;
	*len = vigil__utf8_next((const unsigned char *)f->text, f->len, i, &cp);
	if (!vigil__is_word(cp))
		return 0;
	/* what one original character folded to counts as one letter
	 * (u with diaeresis became "ue", sharp s "ss") */
	for (k = i + *len; k < f->len && f->ostart[k] == f->ostart[i]; k++)
		*len = k + 1 - i;
	return 1;
}

/* Moves k bytes of f (text and spans) from r down to w <= r. */
static inline void move_bytes(vigil_folded *f, size_t w, size_t r, size_t k)
{
	if (w == r)
		return; /* nothing removed yet: the common case */
	if (k == 1) {
		f->text[w] = f->text[r];
		f->ostart[w] = f->ostart[r];
		f->oend[w] = f->oend[r];
		return;
	}
	memmove(f->text + w, f->text + r, k);
	memmove(f->ostart + w, f->ostart + r, k * sizeof(uint32_t));
	memmove(f->oend + w, f->oend + r, k * sizeof(uint32_t));
}

/* Pass 2 (aggressive): three or more single letters or digits sharing one
 * separator (h.e.l.l.o, h e l l o) lose the separators. */
static void collapse_spaced(vigil_folded *f)
{
	size_t r = 0, w = 0, n = f->len;

	while (r < n) {
		size_t l0 = 1, l = 1, p, count = 1, end;
		unsigned char sep;
		int prev_word = 0;

		if (w == r) {
			/* Nothing removed yet, so output and input agree: skip
			 * what cannot start a run (copy_one below would keep it
			 * in place) — an ASCII byte after a word byte, or an
			 * ASCII byte that is no letter or digit. */
			const unsigned char *t = (const unsigned char *)f->text;
			const uint32_t *os = f->ostart;
			while (r < n) {
				unsigned char b = t[r];
				if (b >= 0x80 ||
				    ((r == 0 || !word_byte(t[r - 1])) && ascii_word(b) &&
				     /* a word start followed by an ASCII letter
				      * of another code point is no single letter */
				     !(r + 1 < n && ascii_word(t[r + 1]) && os[r + 1] != os[r])))
					break;
				r++;
			}
			w = r;
			if (r >= n)
				break;
		}
		if (w > 0) {
			/* the byte before r in the output is the end of
			 * a code point; a continuation byte means non-ASCII */
			unsigned char pb = (unsigned char)f->text[w - 1];
			prev_word = pb >= 0x80 || vigil__is_word(pb);
		}
		if (prev_word || !word_at(f, r, &l0) || r + l0 >= n ||
		    !is_sep((unsigned char)f->text[r + l0]) ||
		    (r + l0 + 1 < n && !word_at(f, r + l0 + 1, &l))) {
			goto copy_one;
		}
		sep = (unsigned char)f->text[r + l0];
		/* count the run: c (sep c)* where each c is a single code
		 * point followed by sep, a non-word or the end */
		p = r + l0;
		end = p;
		while (p < n && (unsigned char)f->text[p] == sep && word_at(f, p + 1, &l)) {
			size_t q = p + 1 + l, l2;
			if (q < n && word_at(f, q, &l2))
				break; /* a longer word, not a single letter */
			count++;
			end = q;
			p = q;
		}
		if (count < 3)
			goto copy_one;
		/* keep the letters, drop the separators */
		{
			size_t q = r;
			while (q < end) {
				size_t lc = 1;
				word_at(f, q, &lc);
				move_bytes(f, w, q, lc);
				w += lc;
				q += lc + 1;
			}
		}
		r = end;
		continue;
copy_one:
		{
			uint32_t cp;
			size_t lc = vigil__utf8_next((const unsigned char *)f->text, n, r, &cp);
			move_bytes(f, w, r, lc);
			w += lc;
			r += lc;
		}
	}
	f->len = w;
	f->text[w] = 0;
}

/* Whether t (n bytes) holds a digit, @ or $: the bytes leet_pass and
 * arabizi_context act on. No early exit, so the loop vectorises. */
static int has_leet_bytes(const char *t, size_t n)
{
	size_t k;
	unsigned acc = 0;

	for (k = 0; k < n; k++) {
		unsigned char c = (unsigned char)t[k];
		acc |= ((unsigned char)(c - '0') < 10u) | (c == '@') | (c == '$');
	}
	return acc != 0;
}

static char leet(unsigned char c)
{
	switch (c) {
	case '0': return 'o';
	case '1': return 'l';
	case '3': return 'e';
	case '4': return 'a';
	case '5': return 's';
	case '7': return 't';
	case '@': return 'a';
	case '$': return 's';
	default: return 0;
	}
}

static int latin_tok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '@' || c == '$';
}

/* Whether the text reads as Arabizi: Arabic script in it, or a Latin token
 * with one of the digits Arabizi uses that leet does not (2, 6, 8, 9). */
static int arabizi_context(int arabic, const vigil_folded *f)
{
	const char *t = f->text;
	size_t i;

	/* Arabic script (U+0600..U+06FF) the table pass saw */
	if (arabic)
		return 1;
	for (i = 0; i < f->len; i++) {
		unsigned char c = (unsigned char)t[i];
		if ((unsigned char)(c - '0') >= 10u)
			continue;
		if ((c == '2' || c == '6' || c == '8' || c == '9') &&
		    ((i > 0 && f->text[i - 1] >= 'a' && f->text[i - 1] <= 'z') ||
		     (i + 1 < f->len && f->text[i + 1] >= 'a' && f->text[i + 1] <= 'z')))
			return 1;
	}
	return 0;
}

/* Pass 3 (aggressive): leet digits and @/$ inside Latin tokens that have a
 * letter, unless the text is Arabizi. @ and $ only between two token
 * characters, so @mentions and prices keep their meaning. */
static void leet_pass(vigil_folded *f, int arabizi)
{
	size_t i = 0, n = f->len;

	if (arabizi)
		return;
	while (i < n) {
		size_t j = i, k;
		int letter = 0;

		if (!latin_tok((unsigned char)f->text[i])) {
			i++;
			continue;
		}
		while (j < n && latin_tok((unsigned char)f->text[j])) {
			if (f->text[j] >= 'a' && f->text[j] <= 'z')
				letter = 1;
			j++;
		}
		/* a token glued to non-ASCII letters is not a Latin token; an
		 * all-digit one is leet only if every digit has a letter
		 * value and it is 3 long or more (105535, not 2024 or 42) */
		if (!letter && j - i >= 3) {
			letter = 1;
			for (k = i; k < j; k++)
				if (!leet((unsigned char)f->text[k]) ||
				    f->text[k] == '@' || f->text[k] == '$')
					letter = 0;
		}
		if (letter && !(i > 0 && (unsigned char)f->text[i - 1] >= 0x80) &&
		    !(j < n && (unsigned char)f->text[j] >= 0x80)) {
			for (k = i; k < j; k++) {
				unsigned char c = (unsigned char)f->text[k];
				char to = leet(c);
				if (!to)
					continue;
				if ((c == '@' || c == '$') && (k == i || k + 1 == j))
					continue;
				f->text[k] = to;
			}
		}
		i = j;
	}
}

#ifdef __SSE2__
#include <emmintrin.h>

/* squeeze's keep loop sixteen bytes at a time (SSE2, which every x86-64
 * has): from r (w bytes written) the ASCII bytes that make no run over the
 * view's maximum with the output before them and, in the aggressive view,
 * are no a/o/u before an e; i becomes l there first, as the scalar loop
 * does. Stops at the first byte it cannot keep. Moves the
 * kept bytes (and spans) to w. Returns how many input bytes it consumed;
 * the scalar loop takes over at the first block it cannot keep whole.
 * The scalar loop is the reference (and all a non-SSE2 build runs);
 * tests/text/test_fold_fast checks both against fold_ref.c. */
static size_t squeeze_sse2(char *t, uint32_t *os, uint32_t *oe, size_t w, size_t r, size_t n,
			   int aggressive)
{
	const __m128i ci = _mm_set1_epi8('i'), cl = _mm_set1_epi8('l'),
		      ca = _mm_set1_epi8('a'), co = _mm_set1_epi8('o'),
		      cu = _mm_set1_epi8('u'), ce = _mm_set1_epi8('e');
	size_t r0 = r;

	/* t[n] is the NUL the passes keep, so the next-byte load may reach it */
	while (r + 16 <= n) {
		__m128i x = _mm_loadu_si128((const __m128i *)(t + r)), p, pp;
		int bad = _mm_movemask_epi8(x);
		/* the two bytes written last: a run of equal ASCII bytes
		 * in the output is what the run counter counts (0x80 where
		 * there is none: it equals no ASCII byte) */
		unsigned b1 = w >= 1 ? (unsigned char)t[w - 1] : 0x80,
			 b2 = w >= 2 ? (unsigned char)t[w - 2] : 0x80;
		if (aggressive) {
			__m128i nx = _mm_loadu_si128((const __m128i *)(t + r + 1));
			__m128i xi = _mm_cmpeq_epi8(x, ci);
			__m128i v = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, ca),
							      _mm_cmpeq_epi8(x, co)),
						 _mm_cmpeq_epi8(x, cu));
			bad |= _mm_movemask_epi8(_mm_and_si128(v, _mm_cmpeq_epi8(nx, ce)));
			x = _mm_or_si128(_mm_andnot_si128(xi, x), _mm_and_si128(xi, cl));
		}
		/* p[k], pp[k]: the output bytes one and two before x[k] */
		p = _mm_or_si128(_mm_slli_si128(x, 1), _mm_cvtsi32_si128((int)b1));
		pp = _mm_or_si128(_mm_slli_si128(x, 2), _mm_cvtsi32_si128((int)(b2 | b1 << 8)));
		if (aggressive) /* runs of two squeezed to one */
			bad |= _mm_movemask_epi8(_mm_cmpeq_epi8(x, p));
		else /* runs of three to two */
			bad |= _mm_movemask_epi8(
				_mm_and_si128(_mm_cmpeq_epi8(x, p), _mm_cmpeq_epi8(p, pp)));
		if (bad) {
			/* the lanes before the first bad one are kept all the
			 * same (each lane's test looks only at itself, the
			 * lanes before it and the next input byte) */
			unsigned ok = (unsigned)__builtin_ctz((unsigned)bad), k;
			if (w == r) {
				/* the whole store only turns i into l in lanes
				 * not yet consumed, as the scalar loop will */
				_mm_storeu_si128((__m128i *)(t + w), x);
			} else {
				char tmp[16];
				_mm_storeu_si128((__m128i *)tmp, x);
				for (k = 0; k < ok; k++) {
					t[w + k] = tmp[k];
					os[w + k] = os[r + k];
					oe[w + k] = oe[r + k];
				}
			}
			w += ok;
			r += ok;
			break;
		}
		_mm_storeu_si128((__m128i *)(t + w), x);
		if (w != r) {
			__m128i a0 = _mm_loadu_si128((const __m128i *)(os + r));
			__m128i a1 = _mm_loadu_si128((const __m128i *)(os + r + 4));
			__m128i a2 = _mm_loadu_si128((const __m128i *)(os + r + 8));
			__m128i a3 = _mm_loadu_si128((const __m128i *)(os + r + 12));
			__m128i b0 = _mm_loadu_si128((const __m128i *)(oe + r));
			__m128i b1 = _mm_loadu_si128((const __m128i *)(oe + r + 4));
			__m128i b2 = _mm_loadu_si128((const __m128i *)(oe + r + 8));
			__m128i b3 = _mm_loadu_si128((const __m128i *)(oe + r + 12));
			_mm_storeu_si128((__m128i *)(os + w), a0);
			_mm_storeu_si128((__m128i *)(os + w + 4), a1);
			_mm_storeu_si128((__m128i *)(os + w + 8), a2);
			_mm_storeu_si128((__m128i *)(os + w + 12), a3);
			_mm_storeu_si128((__m128i *)(oe + w), b0);
			_mm_storeu_si128((__m128i *)(oe + w + 4), b1);
			_mm_storeu_si128((__m128i *)(oe + w + 8), b2);
			_mm_storeu_si128((__m128i *)(oe + w + 12), b3);
		}
		w += 16;
		r += 16;
	}
	return r - r0;
}
#endif

/* Last pass: squeeze runs of one code point to max (2 conservative, 1
 * aggressive); in the aggressive view first ae/oe/ue -> a/o/u and i -> l
 * (so 1, l and i agree, and Dutch ij, 1j and lj). A squeezed code point's span grows over
 * the run. */
static void squeeze(vigil_folded *f, int aggressive, int simd)
{
	char *restrict t = f->text;
	uint32_t *restrict os = f->ostart, *restrict oe = f->oend;
	size_t r = 0, w = 0, n = f->len, pw = 0, plen = 0, run = 0;
	size_t max = aggressive ? 1 : 2;

	(void)simd; /* (no kernel without SSE2) */
	while (r < n) {
		uint32_t cp, last_end;
		size_t len, r0;
		unsigned char b;

		/* The ASCII bytes that are kept as they are — not the byte
		 * before again, no digraph, no i — each a new run of one,
		 * in a tight loop (while plen is 1, pw is always w - 1);
		 * nothing to move while nothing was removed. */
#ifdef __SSE2__
		if (simd && r + 16 <= n) {
			size_t k = squeeze_sse2(t, os, oe, w, r, n, aggressive);
			if (k) {
				w += k;
				r += k;
				pw = w - 1;
				plen = 1;
				/* the conservative kernel keeps pairs: the
				 * output may end in one */
				run = w >= 2 && t[w - 1] == t[w - 2] ? 2 : 1;
				if (r >= n)
					break;
			}
		}
#endif
		r0 = r;
		if (w == r) {
			while (r < n) {
				b = (unsigned char)t[r];
				if (b >= 0x80 || (plen == 1 && (unsigned char)t[r - 1] == b))
					break;
				if (aggressive &&
				    (b == 'i' || ((b == 'a' || b == 'o' || b == 'u') &&
						  r + 1 < n && t[r + 1] == 'e')))
					break;
				plen = 1;
				r++;
			}
			w = r;
		} else {
			while (r < n) {
				b = (unsigned char)t[r];
				if (b >= 0x80 || (plen == 1 && (unsigned char)t[w - 1] == b))
					break;
				if (aggressive &&
				    (b == 'i' || ((b == 'a' || b == 'o' || b == 'u') &&
						  r + 1 < n && t[r + 1] == 'e')))
					break;
				t[w] = (char)b;
				os[w] = os[r];
				oe[w] = oe[r];
				plen = 1;
				r++;
				w++;
			}
		}
		if (r > r0) {
			pw = w - 1;
			run = 1;
		}
		if (r >= n)
			break;
		b = (unsigned char)t[r];
		if (b < 0x80) {
			/* the same steps as below for a one-byte code point */
			if (aggressive) {
				char nx = r + 1 < n ? t[r + 1] : 0;
				if ((b == 'a' || b == 'o' || b == 'u') && nx == 'e') {
					t[r + 1] = (char)b;
					os[r + 1] = os[r];
					r++;
					continue;
				}
				if (b == 'i')
					t[r] = (char)(b = 'l');
			}
			if (plen == 1 && (unsigned char)t[pw] == b) {
				if (++run > max) {
					oe[pw] = oe[r];
					r++;
					continue;
				}
			} else {
				run = 1;
			}
			if (w != r) {
				t[w] = (char)b;
				os[w] = os[r];
				oe[w] = oe[r];
			}
			pw = w;
			plen = 1;
			w++;
			r++;
			continue;
		}
		len = vigil__utf8_next((const unsigned char *)t, n, r, &cp);
		last_end = oe[r + len - 1];
		if (plen == len && !memcmp(t + pw, t + r, len)) {
			if (++run > max) {
				size_t k;
				for (k = pw; k < pw + plen; k++)
					oe[k] = last_end;
				r += len;
				continue;
			}
		} else {
			run = 1;
		}
		move_bytes(f, w, r, len);
		pw = w;
		plen = len;
		w += len;
		r += len;
	}
	f->len = w;
	t[w] = 0;
}

int vigil_fold(const vigil_folder *fo, vigil_ctx *ctx, int view,
	       const char *s, size_t n, const vigil_text_opts *opts,
	       vigil_folded *out)
{
	const unsigned char *u = (const unsigned char *)s;
	int rc, arabizi, arabic = 0;

	if (!fo || !out || (!s && n) ||
	    (view != VIGIL_VIEW_CONSERVATIVE && view != VIGIL_VIEW_AGGRESSIVE))
		return vigil__err(ctx, VIGIL_EINVAL, "fold: bad arguments");
	if ((ctx && (int64_t)n > ctx->limits[VIGIL_LIMIT_MAX_BYTES]) ||
	    n >= (size_t)UINT32_MAX)
		return vigil__err(ctx, VIGIL_ETOOBIG, "fold: %zu bytes is over the limit", n);
	rc = table_pass(fo, ctx, view, u, n, out, &arabic);
	if (rc)
		return rc;
	if (view == VIGIL_VIEW_AGGRESSIVE) {
		/* without a digit, @ or $ the leet pass changes nothing and
		 * arabizi_context (digits only, past the script check) need
		 * not run: arabizi = 1 makes leet_pass return at once */
		int leetish = has_leet_bytes(out->text, out->len);
		arabizi = !leetish ||
			  (opts && opts->lang && !strncmp(opts->lang, "ar", 2) &&
			   (!opts->lang[2] || opts->lang[2] == '-')) ||
			  arabizi_context(arabic, out);
		collapse_spaced(out);
		leet_pass(out, arabizi);
	}
	squeeze(out, view == VIGIL_VIEW_AGGRESSIVE, fo->simd);
	return 0;
}
