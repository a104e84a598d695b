/* rule.c — rule terms (VIGIL_TERM_RULE): ThreatExchange's TREND_QUERY
 * logic (every AND group has a hit, no NOT term has one) over the hits of
 * one message. A rule's own terms go into the matcher as hidden terms, with
 * ids after the listed ones, so they are found by the same scan, through the
 * same folds and on either engine. After the scan each rule that holds
 * becomes one hit of the rule, carrying the spans of its AND terms' hits,
 * and the hidden hits are dropped: a rule's terms never report on their
 * own. The rule is one listed term (one store row), so its source_ref, an
 * update, a delete or a refetch reach all of it at once. */
#include "text_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define NOT_BIT (1u << 31) /* in a rule's hit mask: a NOT term hit */

static _Thread_local char why_buf[320];

/* Appends one term of a rule (len bytes at s, in AND group g or NOT: -1). */
static const char *part_add(vigil__rule_part *p, size_t *n, const char *s, size_t len,
			    int g)
{
	size_t i, words = 0;
	int mode = VIGIL_TERM_TOKEN;
	char *t;

	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (*n >= VIGIL_RULE_TERMS_MAX)
		return "rule: more than 32 terms";
	/* "regex-/RE/": the prefix and the delimiters cut, as the reference */
	if (len > 8 && !strncmp(s, "regex-", 6)) {
		s += 7;
		len -= 8;
		mode = VIGIL_TERM_REGEX;
	}
	if (!len || len > VIGIL_TERM_MAX || memchr(s, 0, len) || memchr(s, '\n', len) ||
	    memchr(s, '\r', len))
		return "rule: a term is empty, over 256 bytes or holds a line break";
	for (i = 0; i < len;) {
		uint32_t cp;
		i += vigil__utf8_next((const unsigned char *)s, len, i, &cp);
		words += vigil__is_word(cp);
	}
	/* a token with no letter or digit folds to nothing, which the
	 * matcher refuses (and with it every term of every bank) */
	if (mode == VIGIL_TERM_TOKEN && !words)
		return "rule: a term has no letters or digits";
	t = vigil__malloc(len + 1);
	if (!t)
		return "out of memory";
	memcpy(t, s, len);
	t[len] = 0;
	if (mode == VIGIL_TERM_REGEX) {
		const char *why = vigil__regex_why(t);
		if (why) {
			snprintf(why_buf, sizeof(why_buf), "rule: %s", why);
			vigil__free(t);
			return why_buf;
		}
	}
	p[*n].term = t;
	p[*n].mode = mode;
	p[*n].group = g;
	(*n)++;
	return NULL;
}

static const char *terms_of(json_t *a, vigil__rule_part *p, size_t *n, int g)
{
	const char *why;
	json_t *t;
	size_t i;

	if (!json_is_array(a) || !json_array_size(a))
		return "rule: an \"or\" or \"not\" list is empty or not a list";
	json_array_foreach(a, i, t) {
		if (!json_is_string(t))
			return "rule: a term is not a string";
		why = part_add(p, n, json_string_value(t), json_string_length(t), g);
		if (why)
			return why;
	}
	return NULL;
}

void vigil__rule_parts_free(vigil__rule_part *p, size_t n)
{
	size_t i;

	for (i = 0; p && i < n; i++)
		vigil__free(p[i].term);
	vigil__free(p);
}

const char *vigil__rule_parse(const char *text, vigil__rule_part **out, size_t *nout,
			      int *ngroups)
{
	json_t *q = json_loads(text, JSON_REJECT_DUPLICATES, NULL), *and, *not, *v, *g;
	vigil__rule_part *p = vigil__calloc(VIGIL_RULE_TERMS_MAX, sizeof(*p));
	const char *why = NULL, *key;
	size_t i, n = 0;

	*out = NULL;
	*nout = 0;
	*ngroups = 0;
	if (!p) {
		why = "out of memory";
		goto out;
	}
	if (!json_is_object(q)) {
		why = "rule: not a JSON object {\"and\":[{\"or\":[...]}],\"not\":[...]}";
		goto out;
	}
	json_object_foreach(q, key, v)
		if (strcmp(key, "and") && strcmp(key, "not")) {
			why = "rule: a member other than \"and\" and \"not\"";
			goto out;
		}
	and = json_object_get(q, "and");
	not = json_object_get(q, "not");
	if (!json_is_array(and) || !json_array_size(and)) {
		why = "rule: \"and\" must list at least one {\"or\":[...]} group";
		goto out;
	}
	if (json_array_size(and) > VIGIL_RULE_GROUPS_MAX) {
		why = "rule: more than 16 AND groups";
		goto out;
	}
	json_array_foreach(and, i, g) {
		if (!json_is_object(g) || json_object_size(g) != 1) {
			why = "rule: an AND group is not {\"or\":[...]}";
			goto out;
		}
		if ((why = terms_of(json_object_get(g, "or"), p, &n, (int)i)))
			goto out;
	}
	/* "not":[] is what ThreatExchange sends for none */
	if (not && !(json_is_array(not) && !json_array_size(not)) &&
	    (why = terms_of(not, p, &n, -1)))
		goto out;
	*ngroups = (int)json_array_size(and);
out:
	json_decref(q);
	if (why) {
		vigil__rule_parts_free(p, n);
		return why;
	}
	*out = p;
	*nout = n;
	return NULL;
}

const char *vigil__rule_why(const char *text)
{
	vigil__rule_part *p;
	size_t n;
	int g;
	const char *why = vigil__rule_parse(text, &p, &n, &g);

	vigil__rule_parts_free(p, n);
	return why;
}

int vigil__rules_build(vigil_ctx *ctx, const vigil_termlist *tl, vigil__rules *r,
		       vigil__rule_part **parts, size_t *nparts)
{
	size_t n = vigil_termlist_count(tl), i, nr = 0, np = 0, cap = 0;
	vigil__rule_part *all = NULL;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	*parts = NULL;
	*nparts = 0;
	for (i = 0; i < n; i++) {
		vigil_term t;
		vigil_termlist_get(tl, i, &t);
		nr += t.mode == VIGIL_TERM_RULE;
	}
	if (!nr)
		return 0;
	r->base = (uint32_t)n;
	r->rule_term = vigil__calloc(nr, sizeof(uint32_t));
	r->rule_need = vigil__calloc(nr, sizeof(uint32_t));
	if (!r->rule_term || !r->rule_need)
		goto nomem;
	for (i = 0; i < n; i++) {
		vigil__rule_part *p;
		const char *why;
		vigil_term t;
		size_t k, m;
		int g;
		vigil_termlist_get(tl, i, &t);
		if (t.mode != VIGIL_TERM_RULE)
			continue;
		why = vigil__rule_parse(t.term, &p, &m, &g);
		if (why) {
			rc = vigil__err(ctx, VIGIL_EINVAL, "term %zu (line %llu): %s", i + 1,
					(unsigned long long)t.line, why);
			goto out;
		}
		if (np + m > cap) {
			size_t c = cap ? cap * 2 : 64;
			vigil__rule_part *q;
			uint32_t *pr;
			int8_t *pg;
			while (c < np + m)
				c *= 2;
			q = vigil__realloc(all, c * sizeof(*q));
			if (q)
				all = q;
			pr = q ? vigil__realloc(r->part_rule, c * sizeof(*pr)) : NULL;
			if (pr)
				r->part_rule = pr;
			pg = pr ? vigil__realloc(r->part_group, c) : NULL;
			if (!pg) {
				vigil__rule_parts_free(p, m);
				goto nomem;
			}
			r->part_group = pg;
			cap = c;
		}
		for (k = 0; k < m; k++) {
			all[np] = p[k];
			r->part_rule[np] = r->nrules;
			r->part_group[np++] = (int8_t)p[k].group;
		}
		vigil__free(p); /* the terms now belong to all */
		r->rule_term[r->nrules] = (uint32_t)i;
		r->rule_need[r->nrules++] = g >= 32 ? ~0u : (1u << g) - 1;
	}
	r->nparts = (uint32_t)np;
	*parts = all;
	*nparts = np;
	return 0;
nomem:
	rc = vigil__err(ctx, VIGIL_ENOMEM, "matcher: out of memory");
out:
	vigil__rule_parts_free(all, np);
	vigil__rules_free(r);
	return rc;
}

void vigil__rules_free(vigil__rules *r)
{
	vigil__free(r->rule_term);
	vigil__free(r->rule_need);
	vigil__free(r->part_rule);
	vigil__free(r->part_group);
	memset(r, 0, sizeof(*r));
}

int vigil__rules_scratch_new(const vigil__rules *r, vigil__rules_scratch *x)
{
	memset(x, 0, sizeof(*x));
	if (!r->nrules)
		return 0;
	x->got = vigil__calloc(r->nrules, sizeof(uint32_t));
	x->touched = vigil__calloc(r->nrules, sizeof(uint32_t));
	if (!x->got || !x->touched) {
		vigil__rules_scratch_free(x);
		return VIGIL_ENOMEM;
	}
	return 0;
}

void vigil__rules_scratch_free(vigil__rules_scratch *x)
{
	vigil__free(x->got);
	vigil__free(x->touched);
	vigil__free(x->spans);
	memset(x, 0, sizeof(*x));
}

int vigil__rules_eval(const vigil__rules *r, vigil__rules_scratch *x, vigil_text_hit *h,
		      size_t *nh)
{
	size_t k, w, t, nt = 0, nrh = 0, nparthits = 0;
	vigil_text_hit *rh;

	for (k = 0; k < *nh; k++) {
		uint32_t j, ri;
		if (h[k].term < r->base)
			continue;
		j = h[k].term - r->base;
		ri = r->part_rule[j];
		if (!x->got[ri])
			x->touched[nt++] = ri;
		x->got[ri] |= r->part_group[j] < 0 ? NOT_BIT : 1u << r->part_group[j];
		nparthits++;
	}
	if (!nparthits)
		return 0;
	/* Spans: at most VIGIL_RULE_SPANS_MAX per rule that holds. */
	if (x->cap < nt * VIGIL_RULE_SPANS_MAX) {
		vigil_span *q = vigil__realloc(x->spans, nt * VIGIL_RULE_SPANS_MAX * sizeof(*q));
		if (!q)
			goto nomem;
		x->spans = q;
		x->cap = nt * VIGIL_RULE_SPANS_MAX;
	}
	/* The rule hits go to the tail of the hidden hits' room: there are
	 * no more of them than rules with a hidden hit, each with one at least. */
	rh = vigil__calloc(nt, sizeof(*rh));
	if (!rh)
		goto nomem;
	x->nspans = 0;
	for (t = 0; t < nt; t++) {
		uint32_t ri = x->touched[t];
		vigil_text_hit *o = &rh[nrh];
		size_t first = x->nspans;
		if (x->got[ri] != r->rule_need[ri])
			continue; /* a group without a hit, or a NOT term hit */
		memset(o, 0, sizeof(*o));
		o->term = r->rule_term[ri];
		for (k = 0; k < *nh; k++) {
			uint32_t j = h[k].term - r->base;
			if (h[k].term < r->base || r->part_rule[j] != ri || r->part_group[j] < 0)
				continue;
			if (x->nspans == first) {
				o->view = h[k].view;
				o->start = h[k].start;
				o->end = h[k].end;
			}
			o->in_hashtag |= h[k].in_hashtag;
			if (h[k].start < o->start)
				o->start = h[k].start;
			if (h[k].end > o->end)
				o->end = h[k].end;
			if (x->nspans - first < VIGIL_RULE_SPANS_MAX) {
				x->spans[x->nspans].start = h[k].start;
				x->spans[x->nspans++].end = h[k].end;
			}
		}
		o->parts = (const vigil_span *)(uintptr_t)first; /* an index until the end */
		o->nparts = x->nspans - first;
		nrh++;
	}
	for (t = 0; t < nt; t++)
		x->got[x->touched[t]] = 0;
	for (k = w = 0; k < *nh; k++)
		if (h[k].term < r->base)
			h[w++] = h[k];
	for (t = 0; t < nrh; t++) {
		rh[t].parts = x->spans + (size_t)(uintptr_t)rh[t].parts;
		h[w++] = rh[t];
	}
	vigil__free(rh);
	*nh = w;
	if (nrh && w > 1)
		qsort(h, w, sizeof(*h), vigil__hit_by_start);
	return 0;
nomem:
	for (t = 0; t < nt; t++)
		x->got[x->touched[t]] = 0;
	return VIGIL_ENOMEM;
}
