/* ac.c — the portable literal matcher: Aho–Corasick over bytes, for CPUs
 * that cannot run Vectorscan (match.c picks it). It reports what
 * Vectorscan's literal mode reports for the same patterns: every
 * occurrence of every pattern, overlapping ones included, as (id, end
 * offset), so match.c's spans, token padding and hashtag handling are the
 * same over both engines.
 *
 * Bytes that occur in no pattern share one class, so a state's row has
 * one cell per class. When every row fits (states x classes <= DFA_CELLS)
 * the automaton is a full transition table (one load per byte); past that
 * the rows are the trie's own sorted edges plus failure links. */
#include "text_int.h"

#include <stdlib.h>
#include <string.h>

#define DFA_CELLS ((size_t)16 << 20) /* 64 MiB of uint32_t transitions */

struct vigil__ac {
	uint8_t cls[256];   /* byte -> class (0: in no pattern) */
	unsigned nclass;
	uint32_t nstates;
	uint32_t *delta;    /* DFA: nstates x nclass, or NULL */
	/* the trie (kept for the sparse mode; the DFA needs only emit) */
	uint32_t *eoff;     /* per state: its edges [eoff[s], eoff[s + 1]) */
	uint8_t *ebyte;     /* edge byte, sorted per state */
	uint32_t *eto;      /* edge target */
	uint32_t *fail;
	uint32_t *emit;     /* first state with output on the suffix chain, 0 none */
	uint32_t *dict;     /* the next one after it, 0 none */
	uint32_t *ofirst;   /* per state: first index into oid, or UINT32_MAX */
	uint32_t *onext;    /* per output: the next of the same state */
	unsigned *oid;      /* per output: the pattern id */
};

/* Build-time trie node: first child / next sibling. */
typedef struct bnode {
	uint32_t child, sib;
	uint8_t byte;
} bnode;

static uint32_t child_of(const bnode *t, uint32_t s, uint8_t b)
{
	uint32_t c;

	for (c = t[s].child; c; c = t[c].sib)
		if (t[c].byte == b)
			return c;
	return 0;
}

static uint32_t go(const vigil__ac *a, uint32_t s, uint8_t b)
{
	uint32_t lo = a->eoff[s], hi = a->eoff[s + 1];

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (a->ebyte[mid] < b)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < a->eoff[s + 1] && a->ebyte[lo] == b ? a->eto[lo] : 0;
}

/* The transition from s on byte b through failure links (sparse mode). */
static uint32_t step(const vigil__ac *a, uint32_t s, uint8_t b)
{
	for (;;) {
		uint32_t t = go(a, s, b);
		if (t || !s)
			return t;
		s = a->fail[s];
	}
}

void vigil__ac_free(vigil__ac *a)
{
	if (!a)
		return;
	vigil__free(a->delta);
	vigil__free(a->eoff);
	vigil__free(a->ebyte);
	vigil__free(a->eto);
	vigil__free(a->fail);
	vigil__free(a->emit);
	vigil__free(a->dict);
	vigil__free(a->ofirst);
	vigil__free(a->onext);
	vigil__free(a->oid);
	vigil__free(a);
}

static int by_byte(const void *pa, const void *pb)
{
	const uint8_t *a = pa, *b = pb;

	return (int)a[0] - (int)b[0];
}

int vigil__ac_build(const char *const *pats, const size_t *lens, const unsigned *ids,
		    unsigned n, vigil__ac **out)
{
	vigil__ac *a = NULL;
	bnode *t = NULL;
	uint32_t *queue = NULL, *order = NULL;
	size_t total = 1, k, i;
	uint32_t ns = 1, q0, q1, s;
	int rc = VIGIL_ENOMEM;

	*out = NULL;
	for (k = 0; k < n; k++) {
		if (!lens[k])
			return VIGIL_EINVAL;
		total += lens[k];
	}
	if (total >= UINT32_MAX / 2)
		return VIGIL_ETOOBIG;
	a = vigil__calloc(1, sizeof(*a));
	t = vigil__calloc(total, sizeof(*t));
	if (!a || !t)
		goto out;
	a->ofirst = vigil__calloc(total, sizeof(uint32_t));
	a->onext = vigil__calloc(n ? n : 1, sizeof(uint32_t));
	a->oid = vigil__calloc(n ? n : 1, sizeof(unsigned));
	if (!a->ofirst || !a->onext || !a->oid)
		goto out;
	memset(a->ofirst, 0xFF, total * sizeof(uint32_t));
	/* the trie; outputs kept in insertion order per state */
	for (k = 0; k < n; k++) {
		const uint8_t *p = (const uint8_t *)pats[k];
		uint32_t *last;
		s = 0;
		for (i = 0; i < lens[k]; i++) {
			uint32_t c = child_of(t, s, p[i]);
			if (!c) {
				c = ns++;
				t[c].byte = p[i];
				t[c].sib = t[s].child;
				t[s].child = c;
			}
			s = c;
			a->cls[p[i]] = 1;
		}
		a->oid[k] = ids[k];
		a->onext[k] = UINT32_MAX;
		for (last = &a->ofirst[s]; *last != UINT32_MAX; last = &a->onext[*last])
			;
		*last = (uint32_t)k;
	}
	a->nstates = ns;
	a->nclass = 1;
	for (i = 0; i < 256; i++)
		a->cls[i] = a->cls[i] ? (uint8_t)a->nclass++ : 0;
	/* edges, sorted by byte, in a flat array per state */
	a->eoff = vigil__calloc((size_t)ns + 1, sizeof(uint32_t));
	a->ebyte = vigil__calloc(ns, 1);
	a->eto = vigil__calloc(ns, sizeof(uint32_t));
	a->fail = vigil__calloc(ns, sizeof(uint32_t));
	a->emit = vigil__calloc(ns, sizeof(uint32_t));
	a->dict = vigil__calloc(ns, sizeof(uint32_t));
	queue = vigil__calloc(ns, sizeof(uint32_t));
	order = vigil__calloc(2 * (size_t)ns, sizeof(uint32_t)); /* (byte, target) pairs */
	if (!a->eoff || !a->ebyte || !a->eto || !a->fail || !a->emit || !a->dict || !queue ||
	    !order)
		goto out;
	{
		uint32_t e = 0;
		for (s = 0; s < ns; s++) {
			uint32_t c, m = 0;
			a->eoff[s] = e;
			for (c = t[s].child; c; c = t[c].sib) {
				order[2 * m] = t[c].byte;
				order[2 * m + 1] = c;
				m++;
			}
			qsort(order, m, 2 * sizeof(uint32_t), by_byte);
			for (c = 0; c < m; c++) {
				a->ebyte[e] = (uint8_t)order[2 * c];
				a->eto[e++] = order[2 * c + 1];
			}
		}
		a->eoff[ns] = e;
	}
	/* failure links and output chains, breadth first */
	q0 = q1 = 0;
	for (k = a->eoff[0]; k < a->eoff[1]; k++)
		queue[q1++] = a->eto[k];
	while (q0 < q1) {
		uint32_t r = queue[q0++];
		a->emit[r] = a->ofirst[r] != UINT32_MAX ? r : a->emit[a->fail[r]];
		for (k = a->eoff[r]; k < a->eoff[r + 1]; k++) {
			uint32_t c = a->eto[k];
			a->fail[c] = step(a, a->fail[r], a->ebyte[k]);
			queue[q1++] = c;
		}
	}
	/* dict of an emitting state: the next emitting state on its chain */
	for (s = 1; s < ns; s++)
		a->dict[s] = a->emit[s] == s ? a->emit[a->fail[s]] : 0;
	/* VIGIL_TEXT_AC_SPARSE: the sparse form at any size (for the tests,
	 * which compare both forms with Vectorscan) */
	if ((size_t)ns * a->nclass <= DFA_CELLS && !getenv("VIGIL_TEXT_AC_SPARSE")) {
		a->delta = vigil__calloc((size_t)ns * a->nclass, sizeof(uint32_t));
		if (!a->delta)
			goto out;
		/* states in BFS order, so a failure target's row is complete */
		for (i = 0; i < 256; i++)
			if (a->cls[i])
				a->delta[a->cls[i]] = go(a, 0, (uint8_t)i);
		for (q0 = 0; q0 < q1; q0++) {
			uint32_t r = queue[q0];
			const uint32_t *fr = a->delta + (size_t)a->fail[r] * a->nclass;
			uint32_t *row = a->delta + (size_t)r * a->nclass;
			memcpy(row, fr, a->nclass * sizeof(uint32_t));
			for (k = a->eoff[r]; k < a->eoff[r + 1]; k++)
				row[a->cls[a->ebyte[k]]] = a->eto[k];
		}
	}
	*out = a;
	a = NULL;
	rc = VIGIL_OK;
out:
	vigil__free(t);
	vigil__free(queue);
	vigil__free(order);
	vigil__ac_free(a);
	return rc;
}

/* Reports every pattern ending at state s (offset to). */
static int report(const vigil__ac *a, uint32_t s, size_t to, vigil__ac_cb cb, void *user)
{
	uint32_t x, o;

	for (x = a->emit[s]; x; x = a->dict[x])
		for (o = a->ofirst[x]; o != UINT32_MAX; o = a->onext[o])
			if (cb(a->oid[o], (unsigned long long)to, user))
				return 1;
	return 0;
}

int vigil__ac_scan(const vigil__ac *a, const char *text, size_t n, vigil__ac_cb cb, void *user)
{
	const uint8_t *p = (const uint8_t *)text;
	uint32_t s = 0;
	size_t i;

	if (a->delta) {
		const uint32_t *d = a->delta;
		const unsigned nc = a->nclass;
		for (i = 0; i < n; i++) {
			s = d[(size_t)s * nc + a->cls[p[i]]];
			if (a->emit[s] && report(a, s, i + 1, cb, user))
				return 1;
		}
		return 0;
	}
	for (i = 0; i < n; i++) {
		s = a->cls[p[i]] ? step(a, s, p[i]) : 0;
		if (a->emit[s] && report(a, s, i + 1, cb, user))
			return 1;
	}
	return 0;
}
