/* fold_ref.c — the reference fold: the plain byte-at-a-time passes that
 * fold.c's fast paths must reproduce exactly (text, ostart and oend of
 * both views). Kept unoptimised on purpose: test_fold_fast compares the two
 * on random and adversarial input, and bench_text times fold.c against it
 * in the same run. Do not speed this file up; change both together when a
 * fold rule changes. */
#include "text_int.h"

#include <string.h>

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

/* Pass 1: the table. */
static int table_pass(const vigil_folder *fo, vigil_ctx *ctx, int view,
		      const unsigned char *s, size_t n, vigil_folded *f)
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
			unsigned char b = s[i];
			f->text[w] = (char)(b >= 'A' && b <= 'Z' ? b + 32 : b);
			f->ostart[w] = (uint32_t)i;
			f->oend[w] = (uint32_t)i + 1;
			w++;
			i++;
			continue;
		}
		len = vigil__utf8_next(s, n, i, &cp);
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
static int arabizi_context(const unsigned char *s, size_t n, const vigil_folded *f)
{
	size_t i;

	for (i = 0; i + 1 < n; i++)
		if (s[i] >= 0xD8 && s[i] <= 0xDB && (s[i + 1] & 0xC0) == 0x80)
			return 1;
	for (i = 0; i < f->len; i++) {
		unsigned char c = (unsigned char)f->text[i];
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

/* Last pass: squeeze runs of one code point to max (2 conservative, 1
 * aggressive); in the aggressive view first ae/oe/ue -> a/o/u and i -> l
 * (so 1, l and i agree, and Dutch ij, 1j and lj). A squeezed code point's span grows over
 * the run. */
static void squeeze(vigil_folded *f, int aggressive)
{
	size_t r = 0, w = 0, n = f->len, pw = 0, plen = 0, run = 0;
	size_t max = aggressive ? 1 : 2;

	while (r < n) {
		uint32_t cp;
		size_t len = vigil__utf8_next((const unsigned char *)f->text, n, r, &cp);
		uint32_t last_end = f->oend[r + len - 1];

		if (aggressive && len == 1) {
			char c = f->text[r], nx = r + 1 < n ? f->text[r + 1] : 0;
			if ((c == 'a' || c == 'o' || c == 'u') && nx == 'e') {
				f->text[r + 1] = c;
				f->ostart[r + 1] = f->ostart[r];
				r++;
				continue;
			}
			if (c == 'i')
				f->text[r] = 'l';
		}
		if (plen == len && (len == 1 ? f->text[pw] == f->text[r]
					     : !memcmp(f->text + pw, f->text + r, len))) {
			if (++run > max) {
				size_t k;
				for (k = pw; k < pw + plen; k++)
					f->oend[k] = last_end;
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
	f->text[w] = 0;
}

int vigil__fold_ref(const vigil_folder *fo, vigil_ctx *ctx, int view,
		    const char *s, size_t n, const vigil_text_opts *opts,
		    vigil_folded *out)
{
	const unsigned char *u = (const unsigned char *)s;
	int rc, arabizi;

	if (!fo || !out || (!s && n) ||
	    (view != VIGIL_VIEW_CONSERVATIVE && view != VIGIL_VIEW_AGGRESSIVE))
		return vigil__err(ctx, VIGIL_EINVAL, "fold: bad arguments");
	if ((ctx && (int64_t)n > ctx->limits[VIGIL_LIMIT_MAX_BYTES]) ||
	    n >= (size_t)UINT32_MAX)
		return vigil__err(ctx, VIGIL_ETOOBIG, "fold: %zu bytes is over the limit", n);
	rc = table_pass(fo, ctx, view, u, n, out);
	if (rc)
		return rc;
	if (view == VIGIL_VIEW_AGGRESSIVE) {
		arabizi = (opts && opts->lang && !strncmp(opts->lang, "ar", 2) &&
			   (!opts->lang[2] || opts->lang[2] == '-')) ||
			  arabizi_context(u, n, out);
		collapse_spaced(out);
		leet_pass(out, arabizi);
	}
	squeeze(out, view == VIGIL_VIEW_AGGRESSIVE);
	return 0;
}
