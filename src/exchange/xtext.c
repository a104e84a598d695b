/* xtext.c — ThreatExchange's text signals into a text bank (exchanges.md
 * §4.3, text-signals.md §4.3). A record's terms carry the record's key
 * ("TYPE:indicator") as their source_ref, so an update replaces them and a
 * delete removes them, as a hash record's entries. What is mapped:
 *  - TEXT_STRING: one token term (whole words, through both folds; HMA's
 *    5% Levenshtein tolerance is not reproduced, the folds stand in).
 *  - TREND_QUERY {"and":[{"or":[...]}],"not":[]}: a query of one OR group
 *    and no NOT terms, each term a token term, "regex-" terms (delimiters
 *    cut, as the reference does) regex terms. A query with more AND groups
 *    or with NOT terms has no per-term equivalent: it becomes one rule term
 *    (VIGIL_TERM_RULE, rule.c), the query in a canonical compact form, whose
 *    terms are matched alike and whose logic is evaluated per message.
 *  - URI, RAW_URI: the address without its scheme, as a substring term
 *    (its punctuation folds to separators, so it matches however written).
 * Category: the first descriptor tag, else the type in lower case.
 * Severity: 90 if a descriptor says MALICIOUS, else 50 (an investigation
 * seed); a record whose every descriptor says NON_MALICIOUS is a delete. */
#include "exchange_int.h"
#include "../store/store.h"
#include "../text/text_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Appends term s (n bytes) in mode to r; -1 if it cannot be used. */
static int push(xrec *r, const char *s, size_t n, int mode)
{
	size_t used = 0, i, words = 0;
	int k;

	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!n || n > VIGIL_TERM_MAX || memchr(s, 0, n) || r->nterms >= XCH_MAX_TERMS)
		return -1;
	for (k = 0; k < r->nterms; k++)
		used += strlen(r->terms + used) + 1;
	if (used + n + 1 > sizeof(r->terms))
		return -1;
	/* a term with no letter or digit folds to nothing: the matcher
	 * would refuse it, and with it every term of every bank */
	for (i = 0; i < n;) {
		uint32_t cp;
		i += vigil__utf8_next((const unsigned char *)s, n, i, &cp);
		words += vigil__is_word(cp);
	}
	if (mode != VIGIL_TERM_REGEX && !words)
		return -1;
	if (mode == VIGIL_TERM_SUBSTRING && words < 2 * VIGIL_SUBSTRING_MIN)
		mode = VIGIL_TERM_TOKEN;
	memcpy(r->terms + used, s, n);
	r->terms[used + n] = 0;
	if (mode == VIGIL_TERM_REGEX && vigil__regex_why(r->terms + used))
		return -1;
	if (memchr(s, '\n', n) || memchr(s, '\r', n))
		return -1;
	r->tmode[r->nterms++] = (uint8_t)mode;
	return 0;
}

/* Appends the whole query q as one rule term (canonical: compact, keys
 * sorted, so a record sent again maps to the same term); -1 if unusable. */
static int push_rule(xrec *r, json_t *q)
{
	char *s = json_dumps(q, JSON_COMPACT | JSON_SORT_KEYS);
	size_t used = 0, n = s ? strlen(s) : 0;
	int k, rc = -1;

	for (k = 0; k < r->nterms; k++)
		used += strlen(r->terms + used) + 1;
	if (s && n <= VIGIL_RULE_MAX && used + n + 1 <= sizeof(r->terms) &&
	    r->nterms < XCH_MAX_TERMS && !vigil__rule_why(s)) {
		memcpy(r->terms + used, s, n + 1);
		r->tmode[r->nterms++] = VIGIL_TERM_RULE;
		rc = 0;
	}
	free(s);
	return rc;
}

static int trend_query(xrec *r, const char *ind)
{
	json_t *q = json_loads(ind, 0, NULL), *and, *not, *or, *t;
	size_t i;
	int rc = -1;

	and = json_object_get(q, "and");
	not = json_object_get(q, "not");
	or = json_object_get(json_array_get(and, 0), "or");
	if (json_is_array(and) && (!not || json_is_array(not)) &&
	    (json_array_size(and) > 1 || json_array_size(not))) {
		json_t *c = json_pack("{s:O}", "and", and);
		if (c && json_array_size(not))
			json_object_set(c, "not", not);
		rc = c ? push_rule(r, c) : -1;
		json_decref(c);
		goto out;
	}
	if (!json_is_array(and) || json_array_size(and) != 1 || !json_is_array(or) ||
	    !json_array_size(or) || (not && (!json_is_array(not) || json_array_size(not))))
		goto out;
	json_array_foreach(or, i, t) {
		const char *s = json_string_value(t);
		size_t n = json_string_length(t);
		if (!s)
			goto out;
		if (n > 8 && !strncmp(s, "regex-", 6)) {
			if (push(r, s + 7, n - 8, VIGIL_TERM_REGEX))
				goto out;
		} else if (push(r, s, n, VIGIL_TERM_TOKEN)) {
			goto out;
		}
	}
	rc = 0;
out:
	if (rc)
		r->nterms = 0;
	json_decref(q);
	return rc;
}

int vigil__xrec_text(xrec *r, const char *type, const char *ind, void *tags, void *statuses)
{
	const char *tag = json_string_value(json_array_get(tags, 0)), *p;
	json_t *v;
	size_t i, neg = 0;
	int rc, mal = 0;

	if (strcmp(type, "TEXT_STRING") && strcmp(type, "TREND_QUERY") && strcmp(type, "URI") &&
	    strcmp(type, "RAW_URI"))
		return 1;
	json_array_foreach((json_t *)statuses, i, v) {
		const char *sv = json_string_value(v);
		mal |= sv && !strcmp(sv, "MALICIOUS");
		neg += sv && !strcmp(sv, "NON_MALICIOUS");
	}
	if (neg && neg == json_array_size(statuses)) {
		r->del = 1;
		return 0;
	}
	if (!strcmp(type, "TEXT_STRING")) {
		rc = push(r, ind, strlen(ind), VIGIL_TERM_TOKEN);
	} else if (!strcmp(type, "TREND_QUERY")) {
		rc = trend_query(r, ind);
	} else {
		p = strstr(ind, "://");
		p = p && (size_t)(p - ind) < 16 ? p + 3 : ind;
		rc = push(r, p, strlen(p), VIGIL_TERM_SUBSTRING);
	}
	if (rc) {
		r->skipped++;
		return -1;
	}
	if (tag && strlen(tag) <= VIGIL_CATEGORY_MAX) {
		snprintf(r->category, sizeof(r->category), "%s", tag);
	} else {
		for (i = 0; type[i] && i < VIGIL_CATEGORY_MAX; i++)
			r->category[i] = (char)(type[i] >= 'A' && type[i] <= 'Z' ? type[i] + 32
										  : type[i]);
		r->category[i] = 0;
	}
	r->severity = mal ? 90 : 50;
	return 0;
}

int vigil__xtext_apply(vigil_store *st, const vigil_exchange *x, const vigil_bank *b,
		       const xrec *r, vigil_exchange_stats *s)
{
	int64_t *ids = NULL, gone = 0;
	size_t n = 0, used = 0;
	int rc, k;

	/* The item rows of a text bank hold no entry (the ids are 0). */
	rc = NEED_OP(st, xitem_take, x->id, r->key, &ids, &n);
	vigil__free(ids);
	if (!rc)
		rc = NEED_OP(st, text_ref_delete, b->id, r->key, &gone);
	if (rc)
		return rc;
	s->removed += gone;
	if (r->del)
		return VIGIL_OK;
	for (k = 0; k < r->nterms; k++) {
		vigil__term_row t;
		int64_t id = 0;
		memset(&t, 0, sizeof(t));
		t.bank_id = b->id;
		t.term = r->terms + used;
		t.category = r->category;
		t.severity = r->severity;
		t.mode = r->tmode[k];
		t.source_ref = r->key;
		used += strlen(t.term) + 1;
		/* id 0: the bank has the term already (listed by hand or by
		 * another record); it stays theirs */
		rc = NEED_OP(st, text_term_add, &t, &id);
		if (rc)
			return rc;
		s->added += id != 0;
	}
	return NEED_OP(st, xitem_link, x->id, r->key, 0, x->generation);
}

int vigil__xtext_sweep(vigil_store *st, const vigil_exchange *x, const vigil_bank *b,
		       vigil_exchange_stats *s)
{
	int64_t gone = 0;
	int rc = NEED_OP(st, text_ref_sweep, b->id, x->id, &gone);

	s->removed += gone;
	return rc;
}
