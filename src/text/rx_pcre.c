/* rx_pcre.c — regex terms on the portable engine: PCRE2 where Vectorscan
 * cannot run (match.c picks it with the Aho–Corasick literal matcher).
 *
 * Same hits as Vectorscan's SOM_LEFTMOST mode: Vectorscan reports every end
 * offset at which a match ends, each with the leftmost start of a match
 * ending there. PCRE2's DFA matcher, called unanchored from p, finds the
 * leftmost start s >= p and every end of a match from s; taking the starts
 * in order (next call from s + 1) and each end the first time it appears
 * gives the same (start, end) pairs. The DFA matcher never backtracks (its
 * cost is the text's length times the pattern's live states, no
 * exponential case), and a budget per regex and message bounds the
 * restarts, so no pattern, however hostile, can hold the scanner: past the
 * budget (PX_BUDGET) that regex's further matches in that message are
 * dropped (counted in vigil__px_scratch.dropped).
 *
 * Literal prefilter: a regex whose top level holds a run of >= 3 ASCII
 * characters every match must contain (outside groups, classes and
 * optional parts) runs only on texts that contain that run. One
 * Aho–Corasick pass over the (already case-folded) view finds which. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "text_int.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#define PX_FLAGS (PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP)
#define PX_ENDS 64      /* ends taken per start (longest first) */
#define PX_WS 4096      /* DFA workspace ints */
#define PX_LIT_MIN 3    /* prefilter literal bytes */
#define PX_BUDGET(n) ((size_t)64 * (n) + 65536) /* bytes searched per regex */

struct vigil__px {
	unsigned n;
	pcre2_code **code;  /* per regex; NULL: PCRE2 cannot compile it */
	unsigned *ids;      /* per regex: the matcher's term id */
	uint8_t *always;    /* per regex: no prefilter literal */
	vigil__ac *lit;     /* the literals, ids = regex index; NULL if none */
	pcre2_match_context *mctx;
};

struct vigil__px_scratch {
	pcre2_match_data *md;
	int ws[PX_WS];
	uint8_t *cand;      /* per regex: its literal occurs in this text */
	uint8_t *seen;      /* per end offset: reported (for one regex) */
	size_t scap;
	size_t dropped;     /* regex scans cut by the budget, all time */
};

/* Skips a group or class starting at p[i] ('(' or '['); returns the index
 * after its end, or len if unterminated. */
static size_t skip(const char *p, size_t len, size_t i)
{
	int depth = 0, cls = 0;

	for (; i < len; i++) {
		char c = p[i];
		if (c == '\\') {
			i++;
			continue;
		}
		if (cls) {
			if (c == '[' && i + 1 < len && p[i + 1] == ':') { /* [:alpha:] */
				const char *q = strstr(p + i + 2, ":]");
				if (!q)
					return len;
				i = (size_t)(q - p) + 1;
				cls++;
				continue;
			}
			if (c == ']' && cls > 1)
				cls = 0;
			else
				cls++;
			if (!cls && !depth)
				return i + 1;
			continue;
		}
		if (c == '[') {
			cls = 1;
			if (i + 1 < len && p[i + 1] == '^')
				i++;
			if (i + 1 < len && p[i + 1] == ']')
				i++, cls = 2; /* "[]..." : ']' first is literal */
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0)
			return i + 1;
	}
	return len;
}

/* The longest run of ASCII characters at the top level of pattern p that
 * every match must contain, lower-cased, into out (cap bytes); its length. */
static size_t literal(const char *p, char *out, size_t cap)
{
	size_t len = strlen(p), i = 0, run = 0, best = 0;
	char cur[VIGIL_TERM_MAX + 1];

	for (i = 0; i < len; i++) { /* a top-level '|': no single literal */
		if (p[i] == '\\')
			i++;
		else if (p[i] == '(' && i + 2 < len && p[i + 1] == '?' && p[i + 2] != ':')
			return 0; /* inline options ((?x) would make spaces not count) */
		else if (p[i] == '(' || p[i] == '[')
			i = skip(p, len, i) - 1;
		else if (p[i] == '|')
			return 0;
	}
	for (i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)p[i] : 0;
		int lit = -1; /* the literal byte of this atom, or -1 */
		size_t next = i + 1;
		if (c == '\\' && i + 1 < len) {
			unsigned char e = (unsigned char)p[i + 1];
			next = i + 2;
			if (e < 0x80 && !(e >= '0' && e <= '9') && !(e >= 'a' && e <= 'z') &&
			    !(e >= 'A' && e <= 'Z'))
				lit = e;
		} else if (c == '(' || c == '[') {
			next = skip(p, len, i);
		} else if (c && c < 0x80 && !strchr(".^$|)?*+{", c)) {
			lit = c;
		}
		/* a quantifier after the atom: '+' keeps one copy, the rest none */
		if (next < len && strchr("?*{", p[next])) {
			lit = -1;
		} else if (next < len && p[next] == '+' && lit >= 0) {
			if (run < sizeof(cur))
				cur[run++] = (char)(lit >= 'A' && lit <= 'Z' ? lit + 32 : lit);
			lit = -1;
		}
		if (lit >= 0 && run < sizeof(cur)) {
			cur[run++] = (char)(lit >= 'A' && lit <= 'Z' ? lit + 32 : lit);
		} else {
			if (run > best && run <= cap) {
				memcpy(out, cur, run);
				best = run;
			}
			run = 0;
		}
		if (next > i + 1)
			i = next - 1;
		while (i + 1 < len && strchr("?*+{", p[i + 1])) { /* the quantifier */
			i++;
			if (p[i] == '{')
				while (i + 1 < len && p[i] != '}')
					i++;
			if (i + 1 < len && (p[i + 1] == '?' || p[i + 1] == '+'))
				i++; /* lazy or possessive */
		}
	}
	return best >= PX_LIT_MIN ? best : 0;
}

int vigil__px_build(const char *const *rx, const unsigned *ids, unsigned n, vigil__px **out,
		    size_t *unusable)
{
	vigil__px *x;
	const char **lits = NULL;
	size_t *llen = NULL;
	unsigned *lid = NULL, nl = 0, k;
	char (*lbuf)[VIGIL_TERM_MAX + 1] = NULL;
	int rc = VIGIL_ENOMEM;

	*out = NULL;
	*unusable = 0;
	x = vigil__calloc(1, sizeof(*x));
	if (!x)
		return VIGIL_ENOMEM;
	x->n = n;
	x->code = vigil__calloc(n ? n : 1, sizeof(*x->code));
	x->ids = vigil__calloc(n ? n : 1, sizeof(*x->ids));
	x->always = vigil__calloc(n ? n : 1, 1);
	lits = vigil__calloc(n ? n : 1, sizeof(*lits));
	llen = vigil__calloc(n ? n : 1, sizeof(*llen));
	lid = vigil__calloc(n ? n : 1, sizeof(*lid));
	lbuf = vigil__calloc(n ? n : 1, sizeof(*lbuf));
	x->mctx = pcre2_match_context_create(NULL);
	if (!x->code || !x->ids || !x->always || !lits || !llen || !lid || !lbuf || !x->mctx)
		goto out;
	/* DFA matching does not recurse but for lookarounds and recursion:
	 * bound those too */
	pcre2_set_depth_limit(x->mctx, 1000);
	pcre2_set_match_limit(x->mctx, 1000000);
	pcre2_set_heap_limit(x->mctx, 20000);
	for (k = 0; k < n; k++) {
		int err;
		PCRE2_SIZE off;
		size_t l;
		x->ids[k] = ids[k];
		x->code[k] = pcre2_compile((PCRE2_SPTR)rx[k], PCRE2_ZERO_TERMINATED, PX_FLAGS, &err,
					   &off, NULL);
		if (!x->code[k]) {
			(*unusable)++; /* Vectorscan's syntax PCRE2 does not share */
			continue;
		}
		l = literal(rx[k], lbuf[k], VIGIL_TERM_MAX);
		if (!l) {
			x->always[k] = 1;
			continue;
		}
		lits[nl] = lbuf[k];
		llen[nl] = l;
		lid[nl++] = k;
	}
	if (nl && vigil__ac_build(lits, llen, lid, nl, &x->lit))
		goto out;
	*out = x;
	x = NULL;
	rc = 0;
out:
	vigil__free(lits);
	vigil__free(llen);
	vigil__free(lid);
	vigil__free(lbuf);
	vigil__px_free(x);
	return rc;
}

void vigil__px_free(vigil__px *x)
{
	unsigned k;

	if (!x)
		return;
	for (k = 0; x->code && k < x->n; k++)
		pcre2_code_free(x->code[k]);
	vigil__free(x->code);
	vigil__free(x->ids);
	vigil__free(x->always);
	vigil__ac_free(x->lit);
	pcre2_match_context_free(x->mctx);
	vigil__free(x);
}

int vigil__px_scratch_new(const vigil__px *x, vigil__px_scratch **out)
{
	vigil__px_scratch *s = vigil__calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return VIGIL_ENOMEM;
	s->md = pcre2_match_data_create(PX_ENDS, NULL);
	s->cand = vigil__calloc(x->n ? x->n : 1, 1);
	if (!s->md || !s->cand) {
		vigil__px_scratch_free(s);
		return VIGIL_ENOMEM;
	}
	*out = s;
	return 0;
}

void vigil__px_scratch_free(vigil__px_scratch *s)
{
	if (!s)
		return;
	pcre2_match_data_free(s->md);
	vigil__free(s->cand);
	vigil__free(s->seen);
	vigil__free(s);
}

size_t vigil__px_dropped(const vigil__px_scratch *s)
{
	return s ? s->dropped : 0;
}

static int on_lit(unsigned id, unsigned long long to, void *user)
{
	(void)to;
	((uint8_t *)user)[id] = 1;
	return 0;
}

/* One regex over s[0..n): every (leftmost start, end) pair; 1 if cb
 * stopped the scan. */
static int one(const vigil__px *x, vigil__px_scratch *sc, unsigned k, const char *s,
	       size_t n, vigil__px_cb cb, void *user)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->md);
	size_t p = 0, spent = 0, budget = PX_BUDGET(n), e;
	int rc, i, stop = 0;

	memset(sc->seen, 0, n + 1);
	while (p < n) {
		if (spent > budget) {
			sc->dropped++;
			break;
		}
		spent += n - p;
		/* the UTF-8 is checked on the first call only (a view is
		 * valid UTF-8: the fold writes U+FFFD for a bad byte) */
		rc = pcre2_dfa_match(x->code[k], (PCRE2_SPTR)s, n, p, p ? PCRE2_NO_UTF_CHECK : 0,
				     sc->md, x->mctx, sc->ws, PX_WS);
		if (rc == 0)
			rc = PX_ENDS; /* more ends than room: the longest PX_ENDS */
		if (rc < 0) {
			if (rc != PCRE2_ERROR_NOMATCH)
				sc->dropped++; /* a limit: this regex stops here */
			break;
		}
		for (i = 0; i < rc && !stop; i++) {
			e = ov[2 * i + 1];
			if (e <= ov[0] || e > n || sc->seen[e])
				continue;
			sc->seen[e] = 1;
			stop = cb(x->ids[k], ov[0], e, 0, user);
		}
		if (stop)
			return 1;
		p = ov[0] + 1;
		while (p < n && ((unsigned char)s[p] & 0xC0) == 0x80)
			p++; /* the next code point */
	}
	return 0;
}

int vigil__px_scan(const vigil__px *x, vigil__px_scratch *sc, const char *s, size_t n,
		   vigil__px_cb cb, void *user)
{
	unsigned k;

	if (!x->n)
		return 0;
	if (n + 1 > sc->scap) {
		uint8_t *q = vigil__realloc(sc->seen, n + 1);
		if (!q)
			return VIGIL_ENOMEM;
		sc->seen = q;
		sc->scap = n + 1;
	}
	memset(sc->cand, 0, x->n);
	if (x->lit)
		vigil__ac_scan(x->lit, s, n, on_lit, sc->cand);
	for (k = 0; k < x->n; k++)
		if (x->code[k] && (x->always[k] || sc->cand[k]) && one(x, sc, k, s, n, cb, user))
			break;
	return 0;
}
