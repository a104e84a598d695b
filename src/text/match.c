/* match.c — keyword matching with Vectorscan. Per folded view one literal
 * database holds the token terms padded with a space each side and the
 * substring terms; it scans the view with every non-word character turned
 * into a space and a space added at each end, so a token term only ever
 * fires on whole words (the study's "token" set-up: without it short terms
 * fire inside every longer word and the callbacks dominate). A second
 * database per view, of the unpadded token terms of 4+ characters, scans
 * only hashtag bodies. Literal terms scan the raw text. Every hit is mapped
 * back to the original span through the fold's offsets. */
#include "text_int.h"

#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One literal database: Vectorscan's, or the portable automaton (ac.c)
 * where the CPU cannot run Vectorscan or VIGIL_TEXT_ENGINE=portable. */
typedef struct litdb {
	hs_database_t *hs;
	vigil__ac *ac;
} litdb;

#define HAS(l) ((l).hs || (l).ac)

#define HITS_MAX (1 << 20)
#define TAGS_MAX 256

enum { MAIN = 0, TAG = 1, KINDS = 2 };
#define RX 3   /* scan_job.kind of the regex database */
#define BOTH 4 /* scan_job.kind of the two-view database */

/* The two-view database (matcher.both): the MAIN patterns of both folded
 * views in one Vectorscan database, scanned once over both padded,
 * space-mapped views laid end to end with SEAM between them. Its ids are
 * term * 4 + BOTH_CONS (the conservative pattern only), BOTH_AGGR (the
 * aggressive one only) or BOTH_ANY (the two are the same bytes, compiled
 * once): a hit's view is the half of the buffer it ends in, and a
 * view-only pattern ending in the other half is dropped. No pattern holds
 * the SEAM byte (patterns are folded UTF-8, where 0xFF never occurs), so
 * none can match across it; each half keeps its own padding spaces, so a
 * token term at a view's end or start still sees its space. */
enum { BOTH_CONS = 0, BOTH_AGGR = 1, BOTH_ANY = 2 };
#define SEAM '\xff'

/* Operator regexes: caseless UTF-8 with code-point classes, each match
 * reported from its leftmost start so the span is the whole match.
 * Vectorscan compiles them to automata (no backtracking), so no pattern
 * can take more than linear time; what it cannot build (too large, or no
 * leftmost start it can track) it refuses when the term is added. */
#define RX_FLAGS (HS_FLAG_CASELESS | HS_FLAG_UTF8 | HS_FLAG_UCP | HS_FLAG_SOM_LEFTMOST)

static _Thread_local char rx_why[320];

const char *vigil__regex_why(const char *pattern)
{
	hs_compile_error_t *err = NULL;
	hs_database_t *db = NULL;

	if (hs_compile(pattern, RX_FLAGS, HS_MODE_BLOCK, NULL, &db, &err) == HS_SUCCESS) {
		hs_free_database(db);
		return NULL;
	}
	snprintf(rx_why, sizeof(rx_why), "regex does not compile: %s",
		 err && err->message ? err->message : "?");
	hs_free_compile_error(err);
	return rx_why;
}

struct vigil_text_matcher {
	const vigil_folder *fo;  /* borrowed */
	vigil_termlist *terms;   /* a copy of the list */
	int engine;                         /* vigil_text_engine */
	size_t rx_unmatched;                /* regex terms the engine cannot run */
	litdb db[VIGIL__VIEW_END];          /* empty when a view has no term */
	litdb tagdb[2];                     /* token terms in hashtag bodies */
	hs_database_t *both;                /* db[0] and db[1] in one (BOTH) */
	hs_database_t *rxdb;                /* regex terms, conservative view */
	vigil__px *px;                      /* the same on the portable engine */
	uint32_t *plen[VIGIL__VIEW_END];    /* per term: its pattern's bytes in db */
	uint32_t *tlen[2];                  /* per term: folded, unpadded bytes */
	uint32_t *fcps;                     /* per term: code points, conservative */
	uint8_t *mode;                      /* per term: vigil_term_mode */
	vigil__rules rules;                 /* rule terms (rule.c): the arrays
					       above go on past the listed
					       terms with their hidden terms */
};

struct vigil_text_scanner {
	const vigil_text_matcher *m;
	hs_scratch_t *scratch;
	vigil_folded f[2];
	char *buf;   /* the padded, space-mapped view */
	size_t bcap;
	vigil_text_hit *hits;
	size_t nhits, cap;
	vigil_span tags[TAGS_MAX];
	size_t ntags;
	int folded[2]; /* the last scan folded this view into f[] */
	int full; /* HITS_MAX reached */
	int oom;  /* the hit array could not grow */
	vigil__rules_scratch rs;
	vigil__px_scratch *pxs; /* of m->px */
};

static size_t count_cps(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xC0) != 0x80;
	return k;
}

/* Copies n bytes of folded text to out with every non-word code point's
 * bytes turned into spaces (same length, so offsets still hold). */
static void space_map(const char *restrict in, size_t n, char *restrict out)
{
	size_t i = 0;

	while (i < n) {
		unsigned char b = (unsigned char)in[i];
		uint32_t cp;
		size_t l;

		if (b < 0x80) {
			/* letters and digits stay (vigil__is_word on ASCII);
			 * a branch-free loop over the ASCII run */
			size_t j = i + 1, k;
			uint64_t x;
			while (j + 8 <= n) {
				memcpy(&x, in + j, 8);
				if (x & 0x8080808080808080ull)
					break;
				j += 8;
			}
			while (j < n && (unsigned char)in[j] < 0x80)
				j++;
			for (k = i; k < j; k++) { /* vectorised: a known count */
				unsigned char c = (unsigned char)in[k];
				int word = (unsigned char)((c | 32) - 'a') < 26u ||
					   (unsigned char)(c - '0') < 10u;
				out[k] = word ? (char)c : ' ';
			}
			i = j;
			continue;
		}
		l = vigil__utf8_next((const unsigned char *)in, n, i, &cp);
		if (vigil__is_word(cp))
			memcpy(out + i, in + i, l);
		else
			memset(out + i, ' ', l);
		i += l;
	}
}

/* A growing pool of patterns, pointed at once complete. */
typedef struct pats {
	char *pool;
	size_t used, cap;
	size_t *off, *len;
	unsigned *ids;
	unsigned n;
} pats;

static int pats_add(pats *p, const char *pre, const char *s, size_t n,
		    const char *post, unsigned id)
{
	size_t a = strlen(pre), b = strlen(post), need = p->used + a + n + b;

	if (need > p->cap) {
		size_t c = p->cap ? p->cap : 4096;
		char *q;
		while (c < need)
			c *= 2;
		q = vigil__realloc(p->pool, c);
		if (!q)
			return -1;
		p->pool = q;
		p->cap = c;
	}
	memcpy(p->pool + p->used, pre, a);
	memcpy(p->pool + p->used + a, s, n);
	memcpy(p->pool + p->used + a + n, post, b);
	p->off[p->n] = p->used;
	p->len[p->n] = a + n + b;
	p->ids[p->n++] = id;
	p->used = need;
	return 0;
}

/* Compiles the patterns of p (ids = term indexes) for the engine. */
static int compile(vigil_ctx *ctx, int engine, const pats *p, litdb *db)
{
	hs_compile_error_t *err = NULL;
	const char **ptr;
	unsigned *flags;
	unsigned k;
	int rc = 0;

	db->hs = NULL;
	db->ac = NULL;
	if (!p->n)
		return 0;
	flags = vigil__calloc(p->n, sizeof(*flags));
	ptr = vigil__calloc(p->n, sizeof(*ptr));
	if (!flags || !ptr) {
		rc = vigil__err(ctx, VIGIL_ENOMEM, "matcher: out of memory");
		goto out;
	}
	for (k = 0; k < p->n; k++)
		ptr[k] = p->pool + p->off[k];
	if (engine == VIGIL_TEXT_ENGINE_PORTABLE) {
		rc = vigil__ac_build(ptr, p->len, p->ids, p->n, &db->ac);
		if (rc)
			rc = vigil__err(ctx, rc, "matcher: portable automaton: %s",
					vigil_strerror(rc));
	} else if (hs_compile_lit_multi(ptr, flags, p->ids, p->len, p->n, HS_MODE_BLOCK,
					NULL, &db->hs, &err) != HS_SUCCESS) {
		rc = vigil__err(ctx, VIGIL_EINTERNAL, "matcher: Vectorscan: %s",
				err && err->message ? err->message : "compile failed");
		hs_free_compile_error(err);
		db->hs = NULL;
	}
out:
	vigil__free(flags);
	vigil__free(ptr);
	return rc;
}

/* Compiles the MAIN patterns of both views (a, b: same terms, same order)
 * into one database (BOTH). Leaves *db NULL when they do not line up. */
static int compile_both(vigil_ctx *ctx, const pats *a, const pats *b, hs_database_t **db)
{
	pats q = {0};
	litdb l;
	unsigned k;
	int rc = 0;

	*db = NULL;
	if (!a->n || a->n != b->n || a->n > UINT32_MAX / 8)
		return 0;
	for (k = 0; k < a->n; k++)
		if (a->ids[k] != b->ids[k] || a->ids[k] > UINT32_MAX / 4)
			return 0;
	q.off = vigil__calloc(2 * (size_t)a->n, sizeof(size_t));
	q.len = vigil__calloc(2 * (size_t)a->n, sizeof(size_t));
	q.ids = vigil__calloc(2 * (size_t)a->n, sizeof(unsigned));
	if (!q.off || !q.len || !q.ids)
		goto nomem;
	for (k = 0; k < a->n; k++) {
		const char *pa = a->pool + a->off[k], *pb = b->pool + b->off[k];
		unsigned id = a->ids[k] * 4;
		if (a->len[k] == b->len[k] && !memcmp(pa, pb, a->len[k])) {
			if (pats_add(&q, "", pa, a->len[k], "", id + BOTH_ANY))
				goto nomem;
		} else if (pats_add(&q, "", pa, a->len[k], "", id + BOTH_CONS) ||
			   pats_add(&q, "", pb, b->len[k], "", id + BOTH_AGGR))
			goto nomem;
	}
	rc = compile(ctx, VIGIL_TEXT_ENGINE_VECTORSCAN, &q, &l);
	if (!rc)
		*db = l.hs;
	goto out;
nomem:
	rc = vigil__err(ctx, VIGIL_ENOMEM, "matcher: out of memory");
out:
	vigil__free(q.pool);
	vigil__free(q.off);
	vigil__free(q.len);
	vigil__free(q.ids);
	return rc;
}

/* Compiles the regex terms (rx[k] is term ids[k], NUL-terminated). */
static int compile_rx(vigil_ctx *ctx, const char **rx, const unsigned *ids,
		      unsigned n, hs_database_t **db)
{
	hs_compile_error_t *err = NULL;
	unsigned *flags, k;
	int rc = 0;

	*db = NULL;
	if (!n)
		return 0;
	flags = vigil__calloc(n, sizeof(*flags));
	if (!flags)
		return vigil__err(ctx, VIGIL_ENOMEM, "matcher: out of memory");
	for (k = 0; k < n; k++)
		flags[k] = RX_FLAGS;
	if (hs_compile_multi(rx, flags, ids, n, HS_MODE_BLOCK, NULL, db, &err) !=
	    HS_SUCCESS) {
		rc = vigil__err(ctx, VIGIL_EINVAL, "matcher: regex term %u: %s",
				err && err->expression >= 0 ? ids[err->expression] + 1 : 0,
				err && err->message ? err->message : "compile failed");
		hs_free_compile_error(err);
		*db = NULL;
	}
	vigil__free(flags);
	return rc;
}

/* Trims the spaces space_map left at both ends of n bytes at *s. */
static size_t trim(const char **s, size_t len)
{
	while (len && **s == ' ') {
		(*s)++;
		len--;
	}
	while (len && (*s)[len - 1] == ' ')
		len--;
	return len;
}

const char *vigil__term_fold_why(const vigil_folder *fo, vigil_ctx *ctx, const char *term,
				 int mode)
{
	vigil_folded f = {0};
	const char *why = NULL;
	char *tmp = NULL;
	int v;

	if (mode == VIGIL_TERM_RULE) {
		vigil__rule_part *p;
		size_t n, k;
		int g;
		if ((why = vigil__rule_parse(term, &p, &n, &g)))
			return why;
		for (k = 0; k < n && !why; k++)
			why = vigil__term_fold_why(fo, ctx, p[k].term, p[k].mode);
		vigil__rule_parts_free(p, n);
		return why;
	}
	if (mode == VIGIL_TERM_REGEX || mode == VIGIL_TERM_LITERAL)
		return NULL;
	for (v = 0; v < 2 && !why; v++) {
		const char *s;
		size_t len;
		if (vigil_fold(fo, ctx, v, term, strlen(term), NULL, &f) ||
		    !(tmp = vigil__realloc(tmp, f.len + 1))) {
			why = "cannot be folded";
			break;
		}
		space_map(f.text, f.len, tmp);
		s = tmp;
		len = trim(&s, f.len);
		if (!len)
			why = "no letters or digits once folded";
		else if (v == 0 && mode == VIGIL_TERM_SUBSTRING &&
			 count_cps(s, len) < VIGIL_SUBSTRING_MIN)
			why = "a substring term needs 4 letters";
	}
	vigil__free(tmp);
	vigil_folded_free(&f);
	return why;
}

int vigil_text_matcher_new(vigil_ctx *ctx, const vigil_folder *fo,
			   const vigil_termlist *tl, vigil_text_matcher **out)
{
	vigil_text_matcher *m = NULL;
	vigil_folded f = {0};
	pats p[VIGIL__VIEW_END][KINDS];
	char *tmp = NULL;
	const char **rx = NULL;
	unsigned *rxids = NULL, nrx = 0;
	vigil__rule_part *parts = NULL;
	size_t n, i, v, k, tcap = 0, nparts = 0, nl;
	int rc = 0;

	*out = NULL;
	memset(p, 0, sizeof(p));
	if (!fo || !tl)
		return vigil__err(ctx, VIGIL_EINVAL, "matcher: bad arguments");
	n = vigil_termlist_count(tl);
	m = vigil__calloc(1, sizeof(*m));
	if (!m || vigil_termlist_new(ctx, &m->terms))
		goto nomem;
	m->engine = vigil_text_engine();
	if (m->engine < 0) {
		rc = vigil__err(ctx, VIGIL_EFORMAT, "matcher: VIGIL_TEXT_ENGINE=vectorscan, but "
				"this CPU cannot run Vectorscan (needs SSE4.2)");
		goto out;
	}
	m->fo = fo;
	/* n: the listed terms, then the hidden terms of the rules */
	rc = vigil__rules_build(ctx, tl, &m->rules, &parts, &nparts);
	if (rc)
		goto out;
	nl = n;
	n += nparts;
	m->fcps = vigil__calloc(n ? n : 1, sizeof(uint32_t));
	m->mode = vigil__calloc(n ? n : 1, 1);
	rx = vigil__calloc(n ? n : 1, sizeof(*rx));
	rxids = vigil__calloc(n ? n : 1, sizeof(*rxids));
	if (!m->fcps || !m->mode || !rx || !rxids)
		goto nomem;
	for (v = 0; v < VIGIL__VIEW_END; v++) {
		m->plen[v] = vigil__calloc(n ? n : 1, sizeof(uint32_t));
		if (!m->plen[v])
			goto nomem;
		if (v < 2 && !(m->tlen[v] = vigil__calloc(n ? n : 1, sizeof(uint32_t))))
			goto nomem;
		for (k = 0; k < KINDS; k++) {
			p[v][k].off = vigil__calloc(n ? n : 1, sizeof(size_t));
			p[v][k].len = vigil__calloc(n ? n : 1, sizeof(size_t));
			p[v][k].ids = vigil__calloc(n ? n : 1, sizeof(unsigned));
			if (!p[v][k].off || !p[v][k].len || !p[v][k].ids)
				goto nomem;
		}
	}
	for (i = 0; i < n; i++) {
		vigil_term t;
		if (i < nl) {
			vigil_termlist_get(tl, i, &t);
			rc = vigil__termlist_copy(m->terms, &t);
			if (rc)
				goto out;
		} else { /* a rule's term: reported through its rule */
			vigil_termlist_get(tl, m->rules.rule_term[m->rules.part_rule[i - nl]], &t);
			t.term = parts[i - nl].term;
			t.mode = parts[i - nl].mode;
		}
		m->mode[i] = (uint8_t)t.mode;
		if (t.mode == VIGIL_TERM_RULE)
			continue;
		if (t.mode == VIGIL_TERM_REGEX) {
			vigil_term c;
			if (nrx >= VIGIL_REGEX_MAX) {
				rc = vigil__err(ctx, VIGIL_ETOOBIG,
						"matcher: more than %d regex terms",
						VIGIL_REGEX_MAX);
				goto out;
			}
			if (i < nl) /* the copy outlives rx (so do parts) */
				vigil_termlist_get(m->terms, i, &c);
			rx[nrx] = i < nl ? c.term : t.term;
			rxids[nrx++] = (unsigned)i;
			continue;
		}
		if (t.mode == VIGIL_TERM_LITERAL) {
			m->plen[VIGIL_VIEW_RAW][i] = (uint32_t)strlen(t.term);
			if (pats_add(&p[VIGIL_VIEW_RAW][MAIN], "", t.term, strlen(t.term), "",
				     (unsigned)i))
				goto nomem;
			continue;
		}
		for (v = 0; v < 2; v++) {
			const char *s;
			size_t len;
			rc = vigil_fold(fo, ctx, (int)v, t.term, strlen(t.term), NULL, &f);
			if (rc)
				goto out;
			if (f.len > tcap) {
				char *q = vigil__realloc(tmp, f.len);
				if (!q)
					goto nomem;
				tmp = q;
				tcap = f.len;
			}
			space_map(f.text, f.len, tmp);
			s = tmp;
			len = f.len;
			while (len && *s == ' ') {
				s++;
				len--;
			}
			while (len && s[len - 1] == ' ')
				len--;
			if (!len) {
				rc = vigil__err(ctx, VIGIL_EINVAL,
						"term %zu (line %llu) has no letters or digits once folded",
						i + 1, (unsigned long long)t.line);
				goto out;
			}
			if (v == 0) {
				m->fcps[i] = (uint32_t)count_cps(s, len);
				if (t.mode == VIGIL_TERM_SUBSTRING &&
				    m->fcps[i] < VIGIL_SUBSTRING_MIN) {
					rc = vigil__err(ctx, VIGIL_EINVAL,
							"term %zu (line %llu): a substring term "
							"needs %d letters", i + 1,
							(unsigned long long)t.line,
							VIGIL_SUBSTRING_MIN);
					goto out;
				}
			}
			m->tlen[v][i] = (uint32_t)len;
			if (t.mode == VIGIL_TERM_TOKEN) {
				m->plen[v][i] = (uint32_t)len + 2;
				if (pats_add(&p[v][MAIN], " ", s, len, " ", (unsigned)i))
					goto nomem;
				if (m->fcps[i] >= VIGIL_HASHTAG_MIN &&
				    pats_add(&p[v][TAG], "", s, len, "", (unsigned)i))
					goto nomem;
			} else {
				m->plen[v][i] = (uint32_t)len;
				if (pats_add(&p[v][MAIN], "", s, len, "", (unsigned)i))
					goto nomem;
			}
		}
	}
	for (v = 0; v < VIGIL__VIEW_END; v++) {
		rc = compile(ctx, m->engine, &p[v][MAIN], &m->db[v]);
		if (!rc && v < 2)
			rc = compile(ctx, m->engine, &p[v][TAG], &m->tagdb[v]);
		if (rc)
			goto out;
	}
#ifndef VIGIL_TEXT_TWO_SCANS /* (bench: the two-scan variant, to compare) */
	if (m->engine != VIGIL_TEXT_ENGINE_PORTABLE && m->db[0].hs && m->db[1].hs) {
		rc = compile_both(ctx, &p[0][MAIN], &p[1][MAIN], &m->both);
		if (rc)
			goto out;
	}
#endif
	/* The portable engine runs regexes with PCRE2 (rx_pcre.c); those
	 * PCRE2 cannot compile it leaves out and counts. */
	if (m->engine == VIGIL_TEXT_ENGINE_PORTABLE && nrx &&
	    vigil__px_build(rx, rxids, nrx, &m->px, &m->rx_unmatched))
		rc = vigil__err(ctx, VIGIL_ENOMEM, "matcher: out of memory");
	else if (m->engine != VIGIL_TEXT_ENGINE_PORTABLE)
		rc = compile_rx(ctx, rx, rxids, nrx, &m->rxdb);
	if (rc)
		goto out;
	*out = m;
	m = NULL;
	goto out;
nomem:
	rc = vigil__err(ctx, VIGIL_ENOMEM, "matcher: out of memory");
out:
	for (v = 0; v < VIGIL__VIEW_END; v++)
		for (k = 0; k < KINDS; k++) {
			vigil__free(p[v][k].pool);
			vigil__free(p[v][k].off);
			vigil__free(p[v][k].len);
			vigil__free(p[v][k].ids);
		}
	vigil__free(tmp);
	vigil__free(rx);
	vigil__free(rxids);
	vigil__rule_parts_free(parts, nparts);
	vigil_folded_free(&f);
	vigil_text_matcher_free(m);
	return rc;
}

void vigil_text_matcher_free(vigil_text_matcher *m)
{
	size_t v;

	if (!m)
		return;
	for (v = 0; v < VIGIL__VIEW_END; v++) {
		hs_free_database(m->db[v].hs);
		vigil__ac_free(m->db[v].ac);
		vigil__free(m->plen[v]);
		if (v < 2) {
			hs_free_database(m->tagdb[v].hs);
			vigil__ac_free(m->tagdb[v].ac);
			vigil__free(m->tlen[v]);
		}
	}
	hs_free_database(m->both);
	hs_free_database(m->rxdb);
	vigil__px_free(m->px);
	vigil__rules_free(&m->rules);
	vigil__free(m->fcps);
	vigil__free(m->mode);
	vigil_termlist_free(m->terms);
	vigil__free(m);
}

size_t vigil_text_matcher_count(const vigil_text_matcher *m)
{
	return m ? vigil_termlist_count(m->terms) : 0;
}

int vigil_text_matcher_term(const vigil_text_matcher *m, size_t i, vigil_term *out)
{
	return m ? vigil_termlist_get(m->terms, i, out) : VIGIL_ENOENT;
}

int vigil_text_engine(void)
{
	const char *e = getenv("VIGIL_TEXT_ENGINE");
	int ok = hs_valid_platform() == HS_SUCCESS;

	if (e && !strcmp(e, "portable"))
		return VIGIL_TEXT_ENGINE_PORTABLE;
	if (e && !strcmp(e, "vectorscan"))
		return ok ? VIGIL_TEXT_ENGINE_VECTORSCAN : -1;
	return ok ? VIGIL_TEXT_ENGINE_VECTORSCAN : VIGIL_TEXT_ENGINE_PORTABLE;
}

const char *vigil_text_engine_name(int engine)
{
	return engine == VIGIL_TEXT_ENGINE_VECTORSCAN ? "vectorscan"
	       : engine == VIGIL_TEXT_ENGINE_PORTABLE ? "portable" : "unknown";
}

int vigil_text_matcher_engine(const vigil_text_matcher *m, size_t *regex_unmatched)
{
	if (regex_unmatched)
		*regex_unmatched = m ? m->rx_unmatched : 0;
	return m ? m->engine : -1;
}

int vigil_text_scanner_new(vigil_ctx *ctx, const vigil_text_matcher *m,
			   vigil_text_scanner **out)
{
	vigil_text_scanner *sc;
	size_t v;

	*out = NULL;
	if (!m)
		return vigil__err(ctx, VIGIL_EINVAL, "scanner: no matcher");
	sc = vigil__calloc(1, sizeof(*sc));
	if (!sc)
		return vigil__err(ctx, VIGIL_ENOMEM, "scanner: out of memory");
	sc->m = m;
	for (v = 0; v < VIGIL__VIEW_END; v++) {
		if ((m->db[v].hs && hs_alloc_scratch(m->db[v].hs, &sc->scratch) != HS_SUCCESS) ||
		    (v < 2 && m->tagdb[v].hs &&
		     hs_alloc_scratch(m->tagdb[v].hs, &sc->scratch) != HS_SUCCESS)) {
			vigil_text_scanner_free(sc);
			return vigil__err(ctx, VIGIL_ENOMEM, "scanner: Vectorscan scratch");
		}
	}
	if ((m->rxdb && hs_alloc_scratch(m->rxdb, &sc->scratch) != HS_SUCCESS) ||
	    (m->both && hs_alloc_scratch(m->both, &sc->scratch) != HS_SUCCESS)) {
		vigil_text_scanner_free(sc);
		return vigil__err(ctx, VIGIL_ENOMEM, "scanner: Vectorscan scratch");
	}
	if (vigil__rules_scratch_new(&m->rules, &sc->rs) ||
	    (m->px && vigil__px_scratch_new(m->px, &sc->pxs))) {
		vigil_text_scanner_free(sc);
		return vigil__err(ctx, VIGIL_ENOMEM, "scanner: out of memory");
	}
	*out = sc;
	return 0;
}

void vigil_text_scanner_free(vigil_text_scanner *sc)
{
	if (!sc)
		return;
	hs_free_scratch(sc->scratch);
	vigil__rules_scratch_free(&sc->rs);
	vigil__px_scratch_free(sc->pxs);
	vigil_folded_free(&sc->f[0]);
	vigil_folded_free(&sc->f[1]);
	vigil__free(sc->buf);
	vigil__free(sc->hits);
	vigil__free(sc);
}

const vigil_folded *vigil__scanner_view(const vigil_text_scanner *sc, int view)
{
	return sc && view >= 0 && view < 2 && sc->folded[view] ? &sc->f[view] : NULL;
}

typedef struct scan_job {
	vigil_text_scanner *sc;
	int view;
	int kind;              /* MAIN, TAG or RX */
	size_t base;           /* TAG: the body's first byte in the view */
	size_t len;            /* bytes of the view (not padded) */
	const vigil_folded *f; /* NULL for the raw view */
	size_t seam;           /* BOTH: the aggressive half's first byte */
} scan_job;

static int in_tag(const vigil_text_scanner *sc, size_t s, size_t e)
{
	size_t k;

	for (k = 0; k < sc->ntags && k < TAGS_MAX; k++)
		if (s > sc->tags[k].start && e <= sc->tags[k].end)
			return 1;
	return 0;
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
		    unsigned flags, void *ctxp)
{
	scan_job *j = ctxp;
	vigil_text_scanner *sc = j->sc;
	const vigil_text_matcher *m = sc->m;
	vigil_text_hit *h;
	size_t a, b, s, e, t = (size_t)to;

	(void)flags;
	/* [a, b): the term's bytes in the view's coordinates */
	if (j->kind == RX) {
		a = (size_t)from; /* the view itself, unpadded */
		b = t;
	} else if (j->view == VIGIL_VIEW_RAW) {
		a = t - m->plen[VIGIL_VIEW_RAW][id];
		b = t;
	} else if (j->kind == TAG) {
		a = j->base + t - m->tlen[j->view][id];
		b = j->base + t;
	} else if (m->mode[id] == VIGIL_TERM_TOKEN) {
		/* " term " in the padded buffer, which is the view shifted by 1 */
		a = t - m->plen[j->view][id];
		b = t - 2;
	} else {
		if (t < m->plen[j->view][id] + 1)
			return 0;
		a = t - m->plen[j->view][id] - 1;
		b = t - 1;
	}
	if (b <= a || b > j->len)
		return 0;
	if (j->f) {
		s = j->f->ostart[a];
		e = j->f->oend[b - 1];
	} else {
		s = a;
		e = b;
	}
	if (sc->nhits >= HITS_MAX) {
		sc->full = 1;
		return 1;
	}
	if (sc->nhits == sc->cap) {
		h = vigil__grow(sc->hits, &sc->cap, sc->nhits, sizeof(*h));
		if (!h) {
			sc->oom = 1;
			return 1;
		}
		sc->hits = h;
	}
	h = &sc->hits[sc->nhits++];
	h->term = id;
	h->view = j->view;
	h->in_hashtag = j->kind == TAG || in_tag(sc, s, e);
	h->start = s;
	h->end = e;
	h->parts = NULL;
	h->nparts = 0;
	return 0;
}

static int by_term(const void *pa, const void *pb)
{
	const vigil_text_hit *a = pa, *b = pb;

	if (a->term != b->term)
		return a->term < b->term ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	/* raw (2) first, then conservative, then aggressive */
	return (a->view + 1) % 3 - (b->view + 1) % 3;
}

int vigil__hit_by_start(const void *pa, const void *pb)
{
	const vigil_text_hit *a = pa, *b = pb;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->term != b->term)
		return a->term < b->term ? -1 : 1;
	return 0;
}

/* Keeps one hit per occurrence: of a term's overlapping hits, the first
 * (by start, then view order); a regex's spans through its longest end. */
static void dedupe(vigil_text_scanner *sc)
{
	size_t r, w = 0;

	if (sc->nhits < 2)
		return; /* (and qsort must not see the NULL of an empty array) */
	qsort(sc->hits, sc->nhits, sizeof(*sc->hits), by_term);
	for (r = 0; r < sc->nhits; r++) {
		if (w && sc->hits[w - 1].term == sc->hits[r].term &&
		    sc->hits[r].start < sc->hits[w - 1].end) {
			sc->hits[w - 1].in_hashtag |= sc->hits[r].in_hashtag;
			/* a regex reports every end of a match: keep the longest */
			if (sc->m->mode[sc->hits[r].term] == VIGIL_TERM_REGEX &&
			    sc->hits[r].end > sc->hits[w - 1].end)
				sc->hits[w - 1].end = sc->hits[r].end;
			continue;
		}
		sc->hits[w++] = sc->hits[r];
	}
	sc->nhits = w;
	qsort(sc->hits, sc->nhits, sizeof(*sc->hits), vigil__hit_by_start);
}

static int on_ac(unsigned id, unsigned long long to, void *j)
{
	return on_match(id, 0, to, 0, j);
}

/* Scans n bytes of s with one literal database of either engine. */
static int lit_scan(vigil_text_scanner *sc, vigil_ctx *ctx, const litdb *db, const char *s,
		    size_t n, scan_job *j)
{
	hs_error_t e;

	if (db->ac) {
		vigil__ac_scan(db->ac, s, n, on_ac, j);
		return 0;
	}
	e = hs_scan(db->hs, n ? s : "", (unsigned)n, 0, sc->scratch, on_match, j);
	if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
		return vigil__err(ctx, VIGIL_EINTERNAL, "scan: Vectorscan error %d", e);
	return 0;
}

/* The first folded byte whose original start is >= pos. */
static size_t lower_bound(const vigil_folded *f, size_t pos)
{
	size_t lo = 0, hi = f->len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->ostart[mid] < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The two-view database's hit: its view from the half it ends in. */
static int on_both(unsigned id, unsigned long long from, unsigned long long to,
		   unsigned flags, void *ctxp)
{
	const scan_job *j0 = ctxp;
	scan_job j = *j0;
	int v = to > j0->seam ? VIGIL_VIEW_AGGRESSIVE : VIGIL_VIEW_CONSERVATIVE;

	if ((id & 3) != BOTH_ANY && (int)(id & 3) != v)
		return 0; /* the other view's pattern */
	j.view = v;
	j.kind = MAIN;
	j.f = &j.sc->f[v];
	j.len = j.f->len;
	if (v == VIGIL_VIEW_AGGRESSIVE)
		to -= j0->seam;
	return on_match(id >> 2, from, to, flags, &j);
}

/* Folds view v of s into sc->f[v]. */
static int fold_view(vigil_text_scanner *sc, vigil_ctx *ctx, int v, const char *s, size_t n,
		     const vigil_text_opts *opts)
{
	int rc = vigil_fold(sc->m->fo, ctx, v, s, n, opts, &sc->f[v]);

	if (rc)
		return rc;
	sc->folded[v] = 1;
	if (sc->f[v].len + 2 > UINT32_MAX / 2 - 8)
		return vigil__err(ctx, VIGIL_ETOOBIG, "scan: folded text too large");
	return 0;
}

static int buf_reserve(vigil_text_scanner *sc, vigil_ctx *ctx, size_t need)
{
	size_t c = sc->bcap ? sc->bcap : 256;
	char *q;

	if (need <= sc->bcap)
		return 0;
	while (c < need)
		c *= 2;
	q = vigil__realloc(sc->buf, c);
	if (!q)
		return vigil__err(ctx, VIGIL_ENOMEM, "scan: out of memory");
	sc->buf = q;
	sc->bcap = c;
	return 0;
}

/* dst[0 .. len + 2): view v padded with a space each side, space-mapped. */
static void map_view(const vigil_text_scanner *sc, int v, char *dst)
{
	const vigil_folded *f = &sc->f[v];

	dst[0] = ' ';
	space_map(f->text, f->len, dst + 1);
	dst[f->len + 1] = ' ';
}

/* What follows a view's literal scan: the regexes (conservative view) and
 * the hashtag bodies; pb is the view's padded buffer (map_view). */
static int scan_rest(vigil_text_scanner *sc, vigil_ctx *ctx, int v, const char *pb)
{
	const vigil_text_matcher *m = sc->m;
	vigil_folded *f = &sc->f[v];
	scan_job j = {sc, v, MAIN, 0, f->len, f, 0};
	size_t k;
	hs_error_t e;
	int rc;

	if (v == VIGIL_VIEW_CONSERVATIVE && m->rxdb && !sc->full && !sc->oom) {
		j.kind = RX;
		e = hs_scan(m->rxdb, f->len ? f->text : "", (unsigned)f->len, 0, sc->scratch,
			    on_match, &j);
		j.kind = MAIN;
		if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
			return vigil__err(ctx, VIGIL_EINTERNAL, "scan: Vectorscan error %d", e);
	}
	if (v == VIGIL_VIEW_CONSERVATIVE && m->px && !sc->full && !sc->oom) {
		j.kind = RX;
		rc = vigil__px_scan(m->px, sc->pxs, f->text, f->len, on_match, &j);
		j.kind = MAIN;
		if (rc)
			return vigil__err(ctx, rc, "scan: out of memory");
	}
	if (!HAS(m->tagdb[v]))
		return 0;
	j.kind = TAG;
	for (k = 0; k < sc->ntags && k < TAGS_MAX && !sc->full && !sc->oom; k++) {
		size_t fa = lower_bound(f, sc->tags[k].start + 1);
		size_t fb = lower_bound(f, sc->tags[k].end);
		if (fb <= fa)
			continue;
		j.base = fa;
		rc = lit_scan(sc, ctx, &m->tagdb[v], pb + 1 + fa, fb - fa, &j);
		if (rc)
			return rc;
	}
	return 0;
}

static int scan_view(vigil_text_scanner *sc, vigil_ctx *ctx, int v,
		     const char *s, size_t n, const vigil_text_opts *opts)
{
	const vigil_text_matcher *m = sc->m;
	vigil_folded *f = &sc->f[v];
	scan_job j = {sc, v, MAIN, 0, 0, f, 0};
	int rc;

	rc = fold_view(sc, ctx, v, s, n, opts);
	if (!rc)
		rc = buf_reserve(sc, ctx, f->len + 2);
	if (rc)
		return rc;
	map_view(sc, v, sc->buf);
	j.len = f->len;
	if (HAS(m->db[v])) {
		rc = lit_scan(sc, ctx, &m->db[v], sc->buf, f->len + 2, &j);
		if (rc)
			return rc;
	}
	return scan_rest(sc, ctx, v, sc->buf);
}

/* Both views with one literal scan (matcher.both): the buffer is
 * " conservative " SEAM " aggressive ". */
static int scan_both(vigil_text_scanner *sc, vigil_ctx *ctx, const char *s, size_t n,
		     const vigil_text_opts *opts)
{
	const vigil_text_matcher *m = sc->m;
	scan_job j = {sc, VIGIL_VIEW_CONSERVATIVE, BOTH, 0, 0, NULL, 0};
	size_t lc, la;
	hs_error_t e;
	int rc;

	rc = fold_view(sc, ctx, VIGIL_VIEW_CONSERVATIVE, s, n, opts);
	if (!rc)
		rc = fold_view(sc, ctx, VIGIL_VIEW_AGGRESSIVE, s, n, opts);
	lc = sc->f[0].len;
	la = sc->f[1].len;
	if (!rc)
		rc = buf_reserve(sc, ctx, lc + la + 5);
	if (rc)
		return rc;
	map_view(sc, VIGIL_VIEW_CONSERVATIVE, sc->buf);
	sc->buf[lc + 2] = SEAM;
	map_view(sc, VIGIL_VIEW_AGGRESSIVE, sc->buf + lc + 3);
	j.seam = lc + 3;
	e = hs_scan(m->both, sc->buf, (unsigned)(lc + la + 5), 0, sc->scratch, on_both, &j);
	if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
		return vigil__err(ctx, VIGIL_EINTERNAL, "scan: Vectorscan error %d", e);
	rc = scan_rest(sc, ctx, VIGIL_VIEW_CONSERVATIVE, sc->buf);
	if (!rc && !sc->full && !sc->oom)
		rc = scan_rest(sc, ctx, VIGIL_VIEW_AGGRESSIVE, sc->buf + lc + 3);
	return rc;
}

int vigil_text_scan(vigil_text_scanner *sc, vigil_ctx *ctx, const char *s,
		    size_t n, const vigil_text_opts *opts,
		    const vigil_text_hit **hits, size_t *nhits)
{
	const vigil_text_matcher *m;
	int rc = 0;

	*hits = NULL;
	*nhits = 0;
	if (!sc || (!s && n))
		return vigil__err(ctx, VIGIL_EINVAL, "scan: bad arguments");
	if (n >= (size_t)UINT32_MAX || (ctx && (int64_t)n > ctx->limits[VIGIL_LIMIT_MAX_BYTES]))
		return vigil__err(ctx, VIGIL_ETOOBIG, "scan: %zu bytes is over the limit", n);
	m = sc->m;
	sc->nhits = 0;
	sc->folded[0] = sc->folded[1] = 0;
	sc->full = 0;
	sc->oom = 0;
	sc->ntags = HAS(m->tagdb[0]) || HAS(m->tagdb[1])
			    ? vigil_hashtags(s, n, sc->tags, TAGS_MAX) : 0;
	if (HAS(m->db[VIGIL_VIEW_RAW])) {
		scan_job j = {sc, VIGIL_VIEW_RAW, MAIN, 0, n, NULL, 0};
		rc = lit_scan(sc, ctx, &m->db[VIGIL_VIEW_RAW], s, n, &j);
		if (rc)
			return rc;
	}
	if (m->both && !sc->full && !sc->oom)
		rc = scan_both(sc, ctx, s, n, opts);
	else if (!sc->full && !sc->oom &&
		 (HAS(m->db[VIGIL_VIEW_CONSERVATIVE]) || m->rxdb || m->px))
		rc = scan_view(sc, ctx, VIGIL_VIEW_CONSERVATIVE, s, n, opts);
	if (!m->both && !rc && !sc->full && !sc->oom && HAS(m->db[VIGIL_VIEW_AGGRESSIVE]))
		rc = scan_view(sc, ctx, VIGIL_VIEW_AGGRESSIVE, s, n, opts);
	if (rc)
		return rc;
	if (sc->oom)
		return vigil__err(ctx, VIGIL_ENOMEM, "scan: out of memory");
	dedupe(sc);
	if (m->rules.nrules && vigil__rules_eval(&m->rules, &sc->rs, sc->hits, &sc->nhits))
		return vigil__err(ctx, VIGIL_ENOMEM, "scan: out of memory");
	*hits = sc->hits;
	*nhits = sc->nhits;
	if (sc->full)
		return vigil__err(ctx, VIGIL_ETOOBIG, "scan: more than %d hits", HITS_MAX);
	return 0;
}
