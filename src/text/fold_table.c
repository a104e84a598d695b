/* fold_table.c — builds the per-code-point fold tables of both views from
 * ICU once, so that folding a message never calls ICU on its hot path
 * (the study measured ICU per message at 140 MB/s and uspoof at 14 MB/s).
 *
 * Conservative: NFKC_Casefold, German ä/ö/ü as ae/oe/ue, NFD, drop
 * combining marks (Mn/Me), tatweel, skin-tone modifiers and variation
 * selectors; unify Arabic letter variants (alef forms lose their hamza with
 * the marks; alef maksura, ta marbuta, Persian yeh/keheh, alef wasla are
 * mapped) and Arabic-Indic digits to ASCII digits.
 * Aggressive: the conservative form, then negative-circled/squared letters
 * and regional indicators to a..z, and each non-ASCII Latin, Cyrillic or
 * Greek letter whose UTS #39 skeleton is 1..3 ASCII letters or digits to
 * that skeleton. Skeletons are never applied to ASCII or other scripts:
 * UTS #39 maps m to rn and Arabic alef to l, which would wreck both. */
#include "text_int.h"

#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/uspoof.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#define BUF16 96

static uint32_t arabic_variant(uint32_t c)
{
	switch (c) {
	case 0x0649: return 0x064A; /* alef maksura -> ya */
	case 0x06CC: return 0x064A; /* Farsi yeh -> ya */
	case 0x0629: return 0x0647; /* ta marbuta -> ha */
	case 0x0671: return 0x0627; /* alef wasla -> alef */
	case 0x06A9: return 0x0643; /* keheh -> kaf */
	default: break;
	}
	if (c >= 0x0660 && c <= 0x0669)
		return '0' + (c - 0x0660);
	if (c >= 0x06F0 && c <= 0x06F9)
		return '0' + (c - 0x06F0);
	return c;
}

static int dropped(uint32_t c)
{
	int8_t t = u_charType((UChar32)c);

	return t == U_NON_SPACING_MARK || t == U_ENCLOSING_MARK || c == 0x0640 ||
	       (c >= 0x1F3FB && c <= 0x1F3FF) || (c >= 0xFE00 && c <= 0xFE0F) ||
	       (c >= 0xE0000 && c <= 0xE0FFF);
}

/* Appends cp as UTF-8 to out (room for VIGIL__FOLD_MAXOUT); -1 if full. */
static int put8(char *out, size_t *len, uint32_t cp)
{
	uint8_t tmp[4];
	int32_t k = 0;
	UBool err = 0;

	U8_APPEND((uint8_t *)tmp, k, 4, (UChar32)cp, err);
	if (err || *len + (size_t)k > VIGIL__FOLD_MAXOUT)
		return -1;
	memcpy(out + *len, tmp, (size_t)k);
	*len += (size_t)k;
	return 0;
}

/* The conservative fold of cp into out (UTF-8); -1 if it cannot be
 * represented (then the code point stays as written). */
static int fold_cons(const UNormalizer2 *nfkc, const UNormalizer2 *nfd,
		     uint32_t cp, char *out, size_t *len)
{
	UChar a[BUF16], b[BUF16], c[BUF16];
	int32_t na = 0, nb = 0, nc, i;
	UErrorCode st = U_ZERO_ERROR;

	U16_APPEND_UNSAFE(a, na, (UChar32)cp);
	nb = unorm2_normalize(nfkc, a, na, b, BUF16, &st);
	if (U_FAILURE(st))
		return -1;
	/* German umlauts as their two-letter spellings, before NFD splits
	 * them into a letter and a mark that would be dropped. */
	nc = 0;
	for (i = 0; i < nb; i++) {
		UChar u = b[i];
		if (nc + 2 > BUF16)
			return -1;
		if (u == 0x00E4 || u == 0x00F6 || u == 0x00FC) {
			c[nc++] = u == 0x00E4 ? 'a' : u == 0x00F6 ? 'o' : 'u';
			c[nc++] = 'e';
		} else {
			c[nc++] = u;
		}
	}
	st = U_ZERO_ERROR;
	na = unorm2_normalize(nfd, c, nc, a, BUF16, &st);
	if (U_FAILURE(st))
		return -1;
	*len = 0;
	for (i = 0; i < na;) {
		UChar32 u;
		U16_NEXT(a, i, na, u);
		if (dropped((uint32_t)u))
			continue;
		if (put8(out, len, arabic_variant((uint32_t)u)))
			return -1;
	}
	return 0;
}

/* Lowercase ASCII alnum skeleton of one code point, or 0 if none fits. */
static size_t skeleton_ascii(USpoofChecker *sp, uint32_t cp, char *out)
{
	UChar a[4], sk[BUF16];
	int32_t na = 0, ns, i;
	UErrorCode st = U_ZERO_ERROR;

	U16_APPEND_UNSAFE(a, na, (UChar32)cp);
	ns = uspoof_getSkeleton(sp, 0, a, na, sk, BUF16, &st);
	if (U_FAILURE(st) || ns < 1 || ns > 3)
		return 0;
	for (i = 0; i < ns; i++) {
		UChar u = sk[i];
		if (u >= 'A' && u <= 'Z')
			u = (UChar)(u - 'A' + 'a');
		if (!((u >= 'a' && u <= 'z') || (u >= '0' && u <= '9')))
			return 0;
		out[i] = (char)u;
	}
	return (size_t)ns;
}

/* The aggressive fold: each code point of the conservative form cons[0..n)
 * goes through the enclosed-letter and skeleton maps. */
static int fold_aggr(USpoofChecker *sp, const char *cons, size_t n, char *out,
		     size_t *len)
{
	size_t i = 0;

	*len = 0;
	while (i < n) {
		uint32_t c;
		char sk[4];
		size_t k;
		UScriptCode sc;
		UErrorCode st = U_ZERO_ERROR;

		i += vigil__utf8_next((const unsigned char *)cons, n, i, &c);
		if (c >= 0x1F1E6 && c <= 0x1F1FF)
			c = 'a' + (c - 0x1F1E6);
		else if (c >= 0x1F150 && c <= 0x1F169)
			c = 'a' + (c - 0x1F150);
		else if (c >= 0x1F170 && c <= 0x1F189)
			c = 'a' + (c - 0x1F170);
		if (c >= 0x80) {
			sc = uscript_getScript((UChar32)c, &st);
			if (U_SUCCESS(st) && (sc == USCRIPT_LATIN || sc == USCRIPT_CYRILLIC ||
					      sc == USCRIPT_GREEK) &&
			    u_isalpha((UChar32)c) && (k = skeleton_ascii(sp, c, sk))) {
				if (*len + k > VIGIL__FOLD_MAXOUT)
					return -1;
				memcpy(out + *len, sk, k);
				*len += k;
				continue;
			}
		}
		if (put8(out, len, c))
			return -1;
	}
	return 0;
}

/* Stores the fold of cp (original UTF-8 orig[0..no)) into map[cp]. */
static int store(vigil_ctx *ctx, struct vigil_folder *fo, uint32_t *map,
		 uint32_t cp, const char *orig, size_t no, const char *f, size_t nf)
{
	if (nf == no && !memcmp(orig, f, nf)) {
		map[cp] = VIGIL__FOLD_ID;
		return 0;
	}
	if (!nf) {
		map[cp] = VIGIL__FOLD_DROP;
		return 0;
	}
	if (fo->pool_len + nf > fo->pool_cap) {
		size_t cap = fo->pool_cap ? fo->pool_cap * 2 : 1u << 16;
		char *p = vigil__realloc(fo->pool, cap);
		if (!p)
			return vigil__err(ctx, VIGIL_ENOMEM, "fold table: out of memory");
		fo->pool = p;
		fo->pool_cap = cap;
	}
	memcpy(fo->pool + fo->pool_len, f, nf);
	map[cp] = (uint32_t)(fo->pool_len << VIGIL__FOLD_LEN_BITS) | (uint32_t)nf;
	fo->pool_len += nf;
	return 0;
}

int vigil__fold_build(vigil_ctx *ctx, struct vigil_folder *fo)
{
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *nfkc = unorm2_getNFKCCasefoldInstance(&st);
	const UNormalizer2 *nfd = unorm2_getNFDInstance(&st);
	USpoofChecker *sp;
	uint32_t cp;
	int rc = 0;

	if (U_FAILURE(st))
		return vigil__err(ctx, VIGIL_EINTERNAL, "ICU normalizers: %s",
				  u_errorName(st));
	sp = uspoof_open(&st);
	if (U_FAILURE(st))
		return vigil__err(ctx, VIGIL_EINTERNAL, "ICU uspoof_open: %s",
				  u_errorName(st));
	fo->map[0] = vigil__calloc(VIGIL__FOLD_CP_END, sizeof(uint32_t));
	fo->map[1] = vigil__calloc(VIGIL__FOLD_CP_END, sizeof(uint32_t));
	if (!fo->map[0] || !fo->map[1]) {
		rc = vigil__err(ctx, VIGIL_ENOMEM, "fold table: out of memory");
		goto out;
	}
	for (cp = 0; cp < VIGIL__FOLD_CP_END; cp++) {
		char orig[4], cons[VIGIL__FOLD_MAXOUT], aggr[VIGIL__FOLD_MAXOUT];
		size_t no = 0, nc, na;
		int8_t t = u_charType((UChar32)cp);

		if (t == U_UNASSIGNED || t == U_SURROGATE || t == U_PRIVATE_USE_CHAR)
			continue; /* VIGIL__FOLD_ID from calloc */
		if (put8(orig, &no, cp) ||
		    fold_cons(nfkc, nfd, cp, cons, &nc))
			continue;
		rc = store(ctx, fo, fo->map[0], cp, orig, no, cons, nc);
		if (rc)
			goto out;
		if (fold_aggr(sp, cons, nc, aggr, &na))
			memcpy(aggr, cons, na = nc);
		rc = store(ctx, fo, fo->map[1], cp, orig, no, aggr, na);
		if (rc)
			goto out;
	}
out:
	uspoof_close(sp);
	return rc;
}
