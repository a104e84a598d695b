/* bank.c — text banks in a store: a bank marked as text holds terms (the
 * text_terms table) instead of hashes. Imports are one transaction, like a
 * hash list's; loading gathers every enabled text bank's terms into one
 * term list, with a reference per term back to its bank and id, so the
 * matcher compiled from it can answer with the bank's policy. */
#include "text_int.h"
#include "../store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vigil_text_bank_create(vigil_store *st, const char *name, const char *description,
			   const char *labels, vigil_bank *out)
{
	vigil_bank tmp, *b = out ? out : &tmp;
	int rc;

	if (!st)
		return VIGIL_EINVAL;
	rc = vigil_bank_create(st, name, description, labels, b);
	if (rc)
		return rc;
	rc = NEED_OP(st, text_bank_mark, b->id);
	if (rc) {
		/* not a half-made bank: an unmarked one would take hashes */
		vigil_ctx *ctx = st->ctx;
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", vigil_errmsg(ctx));
		vigil_bank_delete(st, name);
		return vigil__err(ctx, rc, "%s", msg);
	}
	return VIGIL_OK;
}

int vigil_text_bank_is(vigil_store *st, int64_t bank_id, int *is)
{
	int64_t *ids = NULL;
	size_t n = 0, i;
	int rc;

	*is = 0;
	if (!st)
		return VIGIL_EINVAL;
	rc = NEED_OP(st, text_bank_ids, &ids, &n);
	for (i = 0; !rc && i < n; i++)
		if (ids[i] == bank_id)
			*is = 1;
	vigil__free(ids);
	return rc;
}

int vigil_text_bank_import(vigil_store *st, const char *bank, const char *data,
			   size_t len, vigil_term_bad_cb bad, void *user,
			   size_t *added, size_t *dups)
{
	vigil_termlist *tl = NULL;
	vigil_folder *fo = NULL;
	const char *why;
	vigil_bank b;
	size_t i, n, na = 0, nd = 0;
	int is, rc;

	if (added)
		*added = 0;
	if (dups)
		*dups = 0;
	if (!st || !bank || (!data && len))
		return VIGIL_EINVAL;
	rc = vigil_bank_get(st, bank, &b);
	if (!rc)
		rc = vigil_text_bank_is(st, b.id, &is);
	if (rc)
		return rc;
	if (!is)
		return vigil__err(st->ctx, VIGIL_EINVAL,
				  "bank '%s' is not a text bank (create it with "
				  "vigil text bank-create)", bank);
	rc = vigil_termlist_new(st->ctx, &tl);
	if (!rc)
		rc = vigil_termlist_parse(tl, data, len, bad, user, &n);
	/* the matcher's own check, so one bad term cannot stop every text
	 * bank of the store from matching */
	if (!rc)
		rc = vigil_folder_new(st->ctx, &fo);
	if (rc)
		goto out;
	rc = vigil_store_begin(st);
	if (rc)
		goto out;
	for (i = 0; !rc && i < vigil_termlist_count(tl); i++) {
		vigil_term t;
		vigil__term_row r;
		int64_t id;
		vigil_termlist_get(tl, i, &t);
		why = vigil__term_fold_why(fo, st->ctx, t.term, t.mode);
		if (why) {
			if (bad && bad(user, t.line, why))
				rc = vigil__err(st->ctx, VIGIL_ECORRUPT, "import stopped at line %llu",
						(unsigned long long)t.line);
			continue;
		}
		memset(&r, 0, sizeof(r));
		r.bank_id = b.id;
		r.term = t.term;
		r.category = t.category;
		r.severity = t.severity;
		r.mode = t.mode;
		r.line = t.line;
		rc = NEED_OP(st, text_term_add, &r, &id);
		if (!rc && id)
			na++;
		else if (!rc)
			nd++;
	}
	if (!rc)
		rc = vigil_store_commit(st);
	else
		vigil_store_rollback(st);
	if (!rc) {
		if (added)
			*added = na;
		if (dups)
			*dups = nd;
	}
out:
	vigil_folder_free(fo);
	vigil_termlist_free(tl);
	return rc;
}

int vigil_text_term_delete(vigil_store *st, const char *bank, int64_t term_id)
{
	vigil_bank b;
	int64_t n = 0;
	int is, rc;

	if (!st || !bank || term_id <= 0)
		return VIGIL_EINVAL;
	rc = vigil_bank_get(st, bank, &b);
	if (!rc)
		rc = vigil_text_bank_is(st, b.id, &is);
	if (rc)
		return rc;
	if (!is)
		return vigil__err(st->ctx, VIGIL_EINVAL, "bank '%s' is not a text bank", bank);
	rc = NEED_OP(st, text_term_delete, b.id, term_id, &n);
	if (!rc && !n)
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "text bank '%s' has no term %lld", bank,
				(long long)term_id);
	return rc;
}

/* Gathering terms into a list. */
typedef struct load {
	vigil_store *st;
	vigil_termlist *tl;
	vigil_text_ref *refs;
	size_t n, cap;
	vigil_bank *banks; /* for the names */
	size_t nbanks;
} load;

static int load_term(void *user, const vigil__term_row *t)
{
	load *l = user;
	vigil_text_ref *r;
	size_t i;
	int rc;

	rc = vigil_termlist_add(l->tl, t->term, t->category, t->severity, t->mode);
	if (rc)
		return rc;
	r = vigil__grow(l->refs, &l->cap, l->n, sizeof(*r));
	if (!r)
		return vigil__err(l->st->ctx, VIGIL_ENOMEM, "text terms: out of memory");
	l->refs = r;
	r = &l->refs[l->n++];
	memset(r, 0, sizeof(*r));
	r->term_id = t->id;
	r->bank_id = t->bank_id;
	for (i = 0; i < l->nbanks; i++)
		if (l->banks[i].id == t->bank_id)
			memcpy(r->bank, l->banks[i].name, sizeof(r->bank));
	return 0;
}

int vigil_text_terms_load(vigil_store *st, const char *bank, vigil_termlist *tl,
			  vigil_text_ref **refs, size_t *n)
{
	load l;
	int64_t bank_id = 0;
	size_t i;
	int rc;

	*refs = NULL;
	*n = 0;
	if (!st || !tl)
		return VIGIL_EINVAL;
	memset(&l, 0, sizeof(l));
	l.st = st;
	l.tl = tl;
	rc = vigil_bank_list(st, &l.banks, &l.nbanks);
	if (rc)
		return rc;
	if (bank) {
		int is = 0;
		for (i = 0; i < l.nbanks; i++)
			if (!strcmp(l.banks[i].name, bank))
				bank_id = l.banks[i].id;
		if (!bank_id) {
			rc = vigil__err(st->ctx, VIGIL_ENOENT, "no bank '%s'", bank);
			goto out;
		}
		rc = vigil_text_bank_is(st, bank_id, &is);
		if (!rc && !is)
			rc = vigil__err(st->ctx, VIGIL_EINVAL, "bank '%s' is not a text bank",
					bank);
		if (rc)
			goto out;
	}
	rc = NEED_OP(st, text_term_scan, bank_id, load_term, &l);
	if (rc) {
		vigil__free(l.refs);
		goto out;
	}
	*refs = l.refs;
	*n = l.n;
out:
	free(l.banks);
	return rc;
}

int vigil_text_terms_sig(vigil_store *st, int64_t sig[3])
{
	sig[0] = sig[1] = sig[2] = 0;
	return st ? NEED_OP(st, text_sig, sig) : VIGIL_EINVAL;
}
