/* audit.c — the audit trail as a hash chain with signed checkpoints.
 *
 * Each record's hash covers the hash of the record before it and a digest
 * of its own id and fields, so changing, removing or moving a record
 * breaks the chain at that record. Someone who can write the file can
 * still rewrite the whole chain from some point on, or cut its end: the
 * Ed25519-signed checkpoints (whose key is not in the store) catch both,
 * up to the last checkpoint. The id is hashed, so a record cannot be moved
 * to another place, and every field is length-prefixed, so no two
 * different records encode to the same bytes. */
#include "store.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char chain_tag[] = "vigil-audit-v1";       /* 14 bytes hashed */
static const char cp_tag[16] = "vigil-audit-cp1";       /* with its NUL */

static void be64(uint8_t *p, int64_t v)
{
	uint64_t u = (uint64_t)v;

	for (int i = 7; i >= 0; i--, u >>= 8)
		p[i] = (uint8_t)u;
}

static void put_str(crypto_hash_sha256_state *h, const char *s)
{
	uint8_t len[4];
	size_t n = s ? strlen(s) : 0;

	len[0] = (uint8_t)(n >> 24);
	len[1] = (uint8_t)(n >> 16);
	len[2] = (uint8_t)(n >> 8);
	len[3] = (uint8_t)n;
	crypto_hash_sha256_update(h, len, 4);
	if (n)
		crypto_hash_sha256_update(h, (const uint8_t *)s, n);
}

void vigil_audit_link(const uint8_t prev[32], const uint8_t content[32],
		      uint8_t hash[32])
{
	crypto_hash_sha256_state h;

	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const uint8_t *)chain_tag, sizeof(chain_tag) - 1);
	crypto_hash_sha256_update(&h, prev, 32);
	crypto_hash_sha256_update(&h, content, 32);
	crypto_hash_sha256_final(&h, hash);
}

void vigil_audit_digest(const vigil_audit *a, const uint8_t prev[32],
			uint8_t content[32], uint8_t hash[32])
{
	crypto_hash_sha256_state h;
	uint8_t num[16];

	be64(num, a->id);
	be64(num + 8, a->time_ms);
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, num, 16);
	put_str(&h, a->who);
	put_str(&h, a->role);
	put_str(&h, a->action);
	put_str(&h, a->object);
	put_str(&h, a->detail);
	put_str(&h, a->source);
	crypto_hash_sha256_final(&h, content);
	vigil_audit_link(prev, content, hash);
}

void vigil_audit_checkpoint_message(const vigil_audit_checkpoint *cp,
				    uint8_t msg[VIGIL_AUDIT_CP_MSG])
{
	memcpy(msg, cp_tag, 16);
	be64(msg + 16, cp->audit_id);
	be64(msg + 24, cp->time_ms);
	memcpy(msg + 32, cp->hash, 32);
}

void vigil_audit_pubkey(const uint8_t seed[32], uint8_t pk[32])
{
	uint8_t sk[crypto_sign_SECRETKEYBYTES];

	if (sodium_init() < 0)
		abort(); /* cannot happen once sodium has a CPU to run on */
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(sk, sizeof(sk));
}

int vigil_audit_checkpoint_list(vigil_store *st, vigil_audit_checkpoint **cps,
				size_t *n)
{
	if (!st || !cps || !n)
		return VIGIL_EINVAL;
	return NEED_OP(st, audit_checkpoint_list, cps, n);
}

int vigil_audit_checkpoint_make(vigil_store *st, const uint8_t seed[32],
				vigil_audit_checkpoint *out)
{
	vigil_audit_checkpoint cp, *all = NULL;
	uint8_t sk[crypto_sign_SECRETKEYBYTES], msg[VIGIL_AUDIT_CP_MSG];
	struct timespec ts;
	size_t n = 0;
	int rc;

	if (!st || !seed)
		return VIGIL_EINVAL;
	if (sodium_init() < 0)
		return vigil__err(st->ctx, VIGIL_EINTERNAL, "libsodium did not initialise");
	memset(&cp, 0, sizeof(cp));
	rc = st->ops->begin(st);
	if (rc)
		return rc;
	rc = NEED_OP(st, audit_head, &cp.audit_id, cp.hash);
	if (rc)
		goto out;
	if (!cp.audit_id) {
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "the audit trail is empty");
		goto out;
	}
	rc = NEED_OP(st, audit_checkpoint_list, &all, &n);
	if (rc)
		goto out;
	if (n && all[n - 1].audit_id == cp.audit_id &&
	    !memcmp(all[n - 1].hash, cp.hash, 32)) {
		cp = all[n - 1]; /* nothing new to cover */
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	cp.time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	crypto_sign_seed_keypair(cp.pubkey, sk, seed);
	vigil_audit_checkpoint_message(&cp, msg);
	crypto_sign_detached(cp.sig, NULL, msg, sizeof(msg), sk);
	sodium_memzero(sk, sizeof(sk));
	rc = NEED_OP(st, audit_checkpoint_add, &cp);
out:
	free(all);
	if (rc)
		st->ops->rollback(st);
	else
		rc = st->ops->commit(st);
	if (!rc && out)
		*out = cp;
	return rc;
}

/* ------------------------------------------------------------- verify */

typedef struct link {
	int64_t id;
	uint8_t prev[32];    /* as stored */
	uint8_t hash[32];    /* as stored */
	uint8_t content[32]; /* computed from the fields */
} link;

typedef struct walk {
	vigil_ctx *ctx;
	link *v;
	size_t n, cap;
	int oom;
} walk;

static int collect(void *user, const vigil_audit *a)
{
	walk *w = user;
	uint8_t h[32];

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1024;
		link *t = realloc(w->v, cap * sizeof(*t));
		if (!t) {
			w->oom = 1;
			return vigil__err(w->ctx, VIGIL_ENOMEM, "out of memory");
		}
		w->v = t;
		w->cap = cap;
	}
	w->v[w->n].id = a->id;
	memcpy(w->v[w->n].prev, a->prev, 32);
	memcpy(w->v[w->n].hash, a->hash, 32);
	vigil_audit_digest(a, a->prev, w->v[w->n].content, h);
	w->n++;
	return 0;
}

/* For a record whose content does not match: does it hold the content of
 * another record (rows swapped or moved)? Returns that record's id, or 0. */
struct moved {
	const walk *w;
	int64_t found;
};

static int find_moved(void *user, const vigil_audit *a)
{
	struct moved *m = user;
	vigil_audit b = *a;
	uint8_t content[32], h[32];

	for (size_t j = 0; j < m->w->n; j++) {
		const link *l = &m->w->v[j];
		if (l->id == a->id)
			continue;
		b.id = l->id;
		vigil_audit_digest(&b, l->prev, content, h);
		if (!memcmp(h, l->hash, 32)) {
			m->found = l->id;
			break;
		}
	}
	return 1; /* one row only */
}

static const link *by_id(const walk *w, int64_t id)
{
	size_t lo = 0, hi = w->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->v[mid].id == id)
			return &w->v[mid];
		if (w->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void say(vigil_audit_verdict *v, int problem, int64_t record,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void say(vigil_audit_verdict *v, int problem, int64_t record,
		const char *fmt, ...)
{
	va_list ap;

	v->problem = problem;
	v->record = record;
	va_start(ap, fmt);
	vsnprintf(v->text, sizeof(v->text), fmt, ap);
	va_end(ap);
}

static void walk_chain(vigil_store *st, const walk *w, vigil_audit_verdict *v)
{
	static const uint8_t zero[32];
	const uint8_t *expect = zero;
	int64_t prev_id = 0;

	for (size_t i = 0; i < w->n; i++, v->records++) {
		const link *l = &w->v[i];
		uint8_t h[32];

		if (memcmp(l->prev, expect, 32)) {
			if (l->id != prev_id + 1) {
				say(v, VIGIL_AUDIT_REMOVED, prev_id + 1,
				    "record %lld removed (records %lld..%lld are missing "
				    "before record %lld)", (long long)(prev_id + 1),
				    (long long)(prev_id + 1), (long long)(l->id - 1),
				    (long long)l->id);
				return;
			}
			for (size_t k = 0; k < w->n; k++)
				if (k != i && !memcmp(w->v[k].hash, l->prev, 32)) {
					say(v, VIGIL_AUDIT_REORDERED, l->id,
					    "record %lld reordered: it follows the record "
					    "now at id %lld, not record %lld",
					    (long long)l->id, (long long)w->v[k].id,
					    (long long)prev_id);
					return;
				}
			say(v, VIGIL_AUDIT_BROKEN, l->id,
			    "record %lld does not link to record %lld: one of them was "
			    "rewritten", (long long)l->id, (long long)prev_id);
			return;
		}
		vigil_audit_link(l->prev, l->content, h);
		if (memcmp(h, l->hash, 32)) {
			struct moved m = {w, 0};
			st->ops->audit_scan(st, l->id - 1, 1, find_moved, &m);
			if (m.found)
				say(v, VIGIL_AUDIT_REORDERED, l->id,
				    "record %lld reordered: it holds the content of "
				    "record %lld", (long long)l->id, (long long)m.found);
			else
				say(v, VIGIL_AUDIT_CHANGED, l->id,
				    "record %lld changed: its content does not match its "
				    "hash", (long long)l->id);
			return;
		}
		expect = l->hash;
		prev_id = l->id;
	}
}

static void check_points(const walk *w, const vigil_audit_checkpoint *cps,
			 size_t n, const uint8_t *pk, vigil_audit_verdict *v)
{
	for (size_t i = 0; i < n; i++, v->checkpoints++) {
		const vigil_audit_checkpoint *c = &cps[i];
		uint8_t msg[VIGIL_AUDIT_CP_MSG];
		const link *l;

		vigil_audit_checkpoint_message(c, msg);
		if ((pk && memcmp(pk, c->pubkey, 32)) ||
		    crypto_sign_verify_detached(c->sig, msg, sizeof(msg),
						pk ? pk : c->pubkey)) {
			say(v, VIGIL_AUDIT_BAD_CHECKPOINT, c->audit_id,
			    "checkpoint %lld (record %lld): the signature does not "
			    "verify%s", (long long)c->id, (long long)c->audit_id,
			    pk ? " with the trusted key" : "");
			return;
		}
		l = by_id(w, c->audit_id);
		if (!l && c->audit_id > v->head) {
			say(v, VIGIL_AUDIT_TRUNCATED, v->head + 1,
			    "truncated: record %lld and after removed (checkpoint %lld "
			    "covers records up to %lld)", (long long)(v->head + 1),
			    (long long)c->id, (long long)c->audit_id);
			return;
		}
		if (!l || memcmp(l->hash, c->hash, 32)) {
			say(v, VIGIL_AUDIT_BAD_CHECKPOINT, c->audit_id,
			    "checkpoint %lld does not match record %lld: the chain was "
			    "rewritten at or before record %lld", (long long)c->id,
			    (long long)c->audit_id, (long long)c->audit_id);
			return;
		}
	}
}

int vigil_audit_verify(vigil_store *st, const uint8_t *pk,
		       vigil_audit_verdict *v)
{
	walk w;
	vigil_audit_checkpoint *cps = NULL;
	size_t ncp = 0;
	int rc;

	if (!st || !v)
		return VIGIL_EINVAL;
	if (sodium_init() < 0)
		return vigil__err(st->ctx, VIGIL_EINTERNAL, "libsodium did not initialise");
	memset(v, 0, sizeof(*v));
	memset(&w, 0, sizeof(w));
	w.ctx = st->ctx;
	/* One read transaction, so appends by a running server do not land
	 * between the walk and the checkpoints. */
	rc = st->ops->begin(st);
	if (rc)
		return rc;
	rc = st->ops->audit_scan(st, 0, SIZE_MAX, collect, &w);
	if (!rc)
		rc = NEED_OP(st, audit_checkpoint_list, &cps, &ncp);
	st->ops->rollback(st);
	if (rc)
		goto out;
	v->head = w.n ? w.v[w.n - 1].id : 0;
	walk_chain(st, &w, v);
	if (!v->problem)
		check_points(&w, cps, ncp, pk, v);
	if (!v->problem)
		snprintf(v->text, sizeof(v->text),
			 "ok: %lld records, %lld checkpoints%s", (long long)v->records,
			 (long long)v->checkpoints,
			 ncp ? (pk ? " (signed by the trusted key)"
				   : " (signatures checked against the key stored with "
				     "them only: give the public key to trust them)")
			     : " (no checkpoint: a truncated end cannot be seen)");
out:
	free(w.v);
	free(cps);
	return rc;
}
