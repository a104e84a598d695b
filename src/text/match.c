/* match.c — keyword matching with Vectorscan: one literal database per
 * view (raw for literal terms, conservative and aggressive for the folded
 * ones), hits checked for token bounds in the folded text and mapped back
 * to the original span. */
#include "text_int.h"

#include <hs/hs.h>
#include <stdlib.h>
#include <string.h>

#define HITS_MAX (1 << 20)
#define TAGS_MAX 256

struct vigil_text_matcher {
	const vigil_folder *fo;  /* borrowed */
	vigil_termlist *terms;   /* a copy of the list */
	hs_database_t *db[VIGIL__VIEW_END]; /* NULL when a view has no term */
	uint32_t *flen[VIGIL__VIEW_END];    /* per term: its pattern's bytes */
	uint32_t *fcps;                     /* per term: code points, conservative */
};

struct vigil_text_scanner {
	const vigil_text_matcher *m;
	hs_scratch_t *scratch;
	vigil_folded f[2];
	vigil_text_hit *hits;
	size_t nhits, cap;
	vigil_span tags[TAGS_MAX];
	size_t ntags;
	int full; /* HITS_MAX reached */
	int oom;  /* the hit array could not grow */
};

static size_t count_cps(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xC0) != 0x80;
	return k;
}

/* Compiles the patterns pat/len of one view (ids = term indexes). */
static int compile(vigil_ctx *ctx, const char **pat, const size_t *len,
		   const unsigned *ids, unsigned n, hs_database_t **db)
{
	hs_compile_error_t *err = NULL;
	unsigned *flags;
	int rc = 0;

	*db = NULL;
	if (!n)
		return 0;
	flags = vigil__calloc(n, sizeof(*flags));
	if (!flags)
		return vigil__err(ctx, VIGIL_ENOMEM, "matcher: out of memory");
	if (hs_compile_lit_multi(pat, flags, ids, len, n, HS_MODE_BLOCK, NULL, db,
				 &err) != HS_SUCCESS) {
		rc = vigil__err(ctx, VIGIL_EINTERNAL, "matcher: Vectorscan: %s",
				err && err->message ? err->message : "compile failed");
		hs_free_compile_error(err);
		*db = NULL;
	}
	vigil__free(flags);
	return rc;
}

int vigil_text_matcher_new(vigil_ctx *ctx, const vigil_folder *fo,
			   const vigil_termlist *tl, vigil_text_matcher **out)
{
	vigil_text_matcher *m = NULL;
	vigil_folded f = {0};
	const char **pat[VIGIL__VIEW_END] = {0};
	char *copies[2] = {0};
	size_t *len[VIGIL__VIEW_END] = {0}, used[2] = {0}, cap[2] = {0};
	unsigned *ids[VIGIL__VIEW_END] = {0}, np[VIGIL__VIEW_END] = {0};
	size_t n, i, v;
	int rc = 0;

	*out = NULL;
	if (!fo || !tl)
		return vigil__err(ctx, VIGIL_EINVAL, "matcher: bad arguments");
	if (hs_valid_platform() != HS_SUCCESS)
		return vigil__err(ctx, VIGIL_EFORMAT,
				  "matcher: this CPU cannot run Vectorscan (needs SSE4.2)");
	n = vigil_termlist_count(tl);
	m = vigil__calloc(1, sizeof(*m));
	if (!m || vigil_termlist_new(ctx, &m->terms))
		goto nomem;
	m->fo = fo;
	m->fcps = vigil__calloc(n ? n : 1, sizeof(uint32_t));
	for (v = 0; v < VIGIL__VIEW_END; v++) {
		m->flen[v] = vigil__calloc(n ? n : 1, sizeof(uint32_t));
		pat[v] = vigil__calloc(n ? n : 1, sizeof(char *));
		len[v] = vigil__calloc(n ? n : 1, sizeof(size_t));
		ids[v] = vigil__calloc(n ? n : 1, sizeof(unsigned));
		if (!m->flen[v] || !pat[v] || !len[v] || !ids[v])
			goto nomem;
	}
	if (!m->fcps)
		goto nomem;
	/* Every folded pattern is kept in one growing buffer per view and
	 * pointed at after the loop, since the buffer moves as it grows. */
	for (i = 0; i < n; i++) {
		vigil_term t;
		vigil_termlist_get(tl, i, &t);
		rc = vigil__termlist_copy(m->terms, &t);
		if (rc)
			goto out;
		if (t.mode == VIGIL_TERM_LITERAL) {
			pat[VIGIL_VIEW_RAW][np[2]] = t.term;
			len[VIGIL_VIEW_RAW][np[2]] = strlen(t.term);
			m->flen[VIGIL_VIEW_RAW][i] = (uint32_t)strlen(t.term);
			ids[VIGIL_VIEW_RAW][np[2]++] = (unsigned)i;
			continue;
		}
		for (v = 0; v < 2; v++) {
			rc = vigil_fold(fo, ctx, (int)v, t.term, strlen(t.term), NULL, &f);
			if (rc)
				goto out;
			if (!f.len || (v == 0 && f.text[0] == ' ') ||
			    (f.len && f.text[f.len - 1] == ' ' && v == 0)) {
				rc = vigil__err(ctx, VIGIL_EINVAL,
						"term %zu (line %llu) folds to nothing usable",
						i + 1, (unsigned long long)t.line);
				goto out;
			}
			if (v == 0) {
				m->fcps[i] = (uint32_t)count_cps(f.text, f.len);
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
			if (used[v] + f.len > cap[v]) {
				size_t c = cap[v] ? cap[v] : 4096;
				char *p;
				while (c < used[v] + f.len)
					c *= 2;
				p = vigil__realloc(copies[v], c);
				if (!p)
					goto nomem;
				copies[v] = p;
				cap[v] = c;
			}
			memcpy(copies[v] + used[v], f.text, f.len);
			len[v][np[v]] = f.len;
			m->flen[v][i] = (uint32_t)f.len;
			ids[v][np[v]++] = (unsigned)i;
			used[v] += f.len;
		}
	}
	for (v = 0; v < 2; v++) {
		size_t off = 0, k;
		for (k = 0; k < np[v]; k++) {
			pat[v][k] = copies[v] + off;
			off += len[v][k];
		}
	}
	for (v = 0; v < VIGIL__VIEW_END; v++) {
		rc = compile(ctx, pat[v], len[v], ids[v], np[v], &m->db[v]);
		if (rc)
			goto out;
	}
	*out = m;
	m = NULL;
	goto out;
nomem:
	rc = vigil__err(ctx, VIGIL_ENOMEM, "matcher: out of memory");
out:
	for (v = 0; v < VIGIL__VIEW_END; v++) {
		vigil__free(pat[v]);
		vigil__free(len[v]);
		vigil__free(ids[v]);
	}
	vigil__free(copies[0]);
	vigil__free(copies[1]);
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
		hs_free_database(m->db[v]);
		vigil__free(m->flen[v]);
	}
	vigil__free(m->fcps);
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
		if (m->db[v] && hs_alloc_scratch(m->db[v], &sc->scratch) != HS_SUCCESS) {
			vigil_text_scanner_free(sc);
			return vigil__err(ctx, VIGIL_ENOMEM, "scanner: Vectorscan scratch");
		}
	}
	*out = sc;
	return 0;
}

void vigil_text_scanner_free(vigil_text_scanner *sc)
{
	if (!sc)
		return;
	hs_free_scratch(sc->scratch);
	vigil_folded_free(&sc->f[0]);
	vigil_folded_free(&sc->f[1]);
	vigil__free(sc->hits);
	vigil__free(sc);
}

typedef struct scan_job {
	vigil_text_scanner *sc;
	int view;
	const char *text; /* the view's text */
	size_t len;
	const vigil_folded *f; /* NULL for the raw view */
} scan_job;

/* Whether the code point ending just before i / starting at i is a word
 * character (false at the ends). */
static int word_before(const char *t, size_t i)
{
	size_t k = i;
	uint32_t cp;

	if (!i)
		return 0;
	do
		k--;
	while (k && ((unsigned char)t[k] & 0xC0) == 0x80);
	vigil__utf8_next((const unsigned char *)t, i, k, &cp);
	return vigil__is_word(cp);
}

static int word_after(const char *t, size_t n, size_t i)
{
	uint32_t cp;

	if (i >= n)
		return 0;
	vigil__utf8_next((const unsigned char *)t, n, i, &cp);
	return vigil__is_word(cp);
}

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
	size_t a, s, e;
	int tag;

	(void)from;
	(void)flags;
	a = (size_t)to - m->flen[j->view][id];
	if (j->f) {
		s = j->f->ostart[a];
		e = j->f->oend[to - 1];
	} else {
		s = a;
		e = (size_t)to;
	}
	tag = in_tag(sc, s, e);
	if (j->view != VIGIL_VIEW_RAW &&
	    m->terms && vigil_termlist_count(m->terms) > id) {
		vigil_term t;
		vigil_termlist_get(m->terms, id, &t);
		if (t.mode == VIGIL_TERM_TOKEN &&
		    (word_before(j->text, a) || word_after(j->text, j->len, (size_t)to)) &&
		    !(tag && m->fcps[id] >= VIGIL_HASHTAG_MIN))
			return 0;
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
	h->in_hashtag = tag;
	h->start = s;
	h->end = e;
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

static int by_start(const void *pa, const void *pb)
{
	const vigil_text_hit *a = pa, *b = pb;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->term != b->term)
		return a->term < b->term ? -1 : 1;
	return 0;
}

/* Keeps one hit per occurrence: of a term's overlapping hits, the first
 * (by start, then view order). */
static void dedupe(vigil_text_scanner *sc)
{
	size_t r, w = 0;

	if (sc->nhits < 2)
		return; /* (and qsort must not see the NULL of an empty array) */
	qsort(sc->hits, sc->nhits, sizeof(*sc->hits), by_term);
	for (r = 0; r < sc->nhits; r++) {
		if (w && sc->hits[w - 1].term == sc->hits[r].term &&
		    sc->hits[r].start < sc->hits[w - 1].end)
			continue;
		sc->hits[w++] = sc->hits[r];
	}
	sc->nhits = w;
	qsort(sc->hits, sc->nhits, sizeof(*sc->hits), by_start);
}

int vigil_text_scan(vigil_text_scanner *sc, vigil_ctx *ctx, const char *s,
		    size_t n, const vigil_text_opts *opts,
		    const vigil_text_hit **hits, size_t *nhits)
{
	const vigil_text_matcher *m;
	static const int order[VIGIL__VIEW_END] = {VIGIL_VIEW_RAW,
		VIGIL_VIEW_CONSERVATIVE, VIGIL_VIEW_AGGRESSIVE};
	size_t k;
	int rc = 0;

	*hits = NULL;
	*nhits = 0;
	if (!sc || (!s && n))
		return vigil__err(ctx, VIGIL_EINVAL, "scan: bad arguments");
	if (n >= (size_t)UINT32_MAX || (ctx && (int64_t)n > ctx->limits[VIGIL_LIMIT_MAX_BYTES]))
		return vigil__err(ctx, VIGIL_ETOOBIG, "scan: %zu bytes is over the limit", n);
	m = sc->m;
	sc->nhits = 0;
	sc->full = 0;
	sc->oom = 0;
	sc->ntags = vigil_hashtags(s, n, sc->tags, TAGS_MAX);
	for (k = 0; k < VIGIL__VIEW_END; k++) {
		int v = order[k];
		scan_job j = {sc, v, s, n, NULL};
		hs_error_t e;

		if (!m->db[v])
			continue;
		if (v != VIGIL_VIEW_RAW) {
			rc = vigil_fold(m->fo, ctx, v, s, n, opts, &sc->f[v]);
			if (rc)
				return rc;
			j.text = sc->f[v].text;
			j.len = sc->f[v].len;
			j.f = &sc->f[v];
		}
		if (j.len > UINT32_MAX)
			return vigil__err(ctx, VIGIL_ETOOBIG, "scan: folded text too large");
		e = hs_scan(m->db[v], j.text ? j.text : "", (unsigned)j.len, 0,
			    sc->scratch, on_match, &j);
		if (sc->oom)
			return vigil__err(ctx, VIGIL_ENOMEM, "scan: out of memory");
		if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
			return vigil__err(ctx, VIGIL_EINTERNAL, "scan: Vectorscan error %d", e);
		if (sc->full)
			break;
	}
	dedupe(sc);
	*hits = sc->hits;
	*nhits = sc->nhits;
	if (sc->full)
		return vigil__err(ctx, VIGIL_ETOOBIG, "scan: more than %d hits", HITS_MAX);
	return 0;
}
