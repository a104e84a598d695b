/* store.c — opening a store by URI, argument checks, and the names of hash
 * types and list formats. */
#include "store.h"

#include <sodium.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char *const type_names[VIGIL__HASH_TYPE_END] = {
	"pdq", "md5", "sha1", "sha256", "vpdq"};
static const size_t type_sizes[VIGIL__HASH_TYPE_END] = {32, 16, 20, 32, 32};
static const char *const format_names[VIGIL__FMT_END] = {
	"auto", "hex", "pdq-csv", "csv", "vpdq"};

const char *vigil_hash_type_name(int t)
{
	return t >= 0 && t < VIGIL__HASH_TYPE_END ? type_names[t] : "unknown";
}

int vigil_hash_type_parse(const char *name)
{
	int t;

	for (t = 0; name && t < VIGIL__HASH_TYPE_END; t++)
		if (!strcasecmp(name, type_names[t]))
			return t;
	if (name && (!strcasecmp(name, "sha-1") || !strcasecmp(name, "sha-256")))
		return name[4] == '1' ? VIGIL_HASH_SHA1 : VIGIL_HASH_SHA256;
	return -1;
}

size_t vigil_hash_type_size(int t)
{
	return t >= 0 && t < VIGIL__HASH_TYPE_END ? type_sizes[t] : 0;
}

const char *vigil_list_format_name(int f)
{
	return f >= 0 && f < VIGIL__FMT_END ? format_names[f] : "unknown";
}

int vigil_list_format_parse(const char *name)
{
	int f;

	for (f = 0; name && f < VIGIL__FMT_END; f++)
		if (!strcmp(name, format_names[f]))
			return f;
	return -1;
}

int vigil__bank_name_ok(const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0 || n > VIGIL_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int vigil_store_open(vigil_ctx *ctx, const char *uri, vigil_store **out)
{
	vigil_store *st;
	const vigil__store_ops *ops = &vigil__store_sqlite;
	const char *path = uri;
	int rc;

	if (!ctx || !uri || !out)
		return vigil__err(ctx, VIGIL_EINVAL, "store_open: NULL argument");
	*out = NULL;
	if (!strncmp(uri, "sqlite:", 7))
		path = uri + 7;
	else if (!strncmp(uri, "postgresql://", 13) || !strncmp(uri, "postgres://", 11))
		ops = &vigil__store_postgres; /* libpq takes the whole URI */
	else if (strstr(uri, "://"))
		return vigil__err(ctx, VIGIL_EINVAL,
				  "%.200s: unsupported store (sqlite: or postgresql://)",
				  uri);
	if (!*path)
		return vigil__err(ctx, VIGIL_EINVAL, "empty store path");
	st = vigil__calloc(1, sizeof(*st));
	if (!st)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	st->ctx = ctx;
	st->ops = ops;
	rc = st->ops->open(st, path);
	if (rc) {
		st->ops->close(st);
		vigil__free(st);
		return rc;
	}
	*out = st;
	return VIGIL_OK;
}

int vigil_store_set_lock_wait(vigil_store *st, int64_t timeout_ms,
			      vigil_store_wait_cb cb, void *user)
{
	if (!st)
		return VIGIL_EINVAL;
	return st->ops->set_lock_wait(st, timeout_ms, cb, user);
}

void vigil_store_close(vigil_store *st)
{
	if (!st)
		return;
	st->ops->close(st);
	sodium_memzero(st->seal, sizeof(st->seal));
	vigil__free(st);
}

static int check_name(vigil_store *st, const char *name)
{
	if (!st)
		return VIGIL_EINVAL;
	if (!vigil__bank_name_ok(name))
		return vigil__err(st->ctx, VIGIL_EINVAL,
				  "bad bank name '%.80s' (1-%d of A-Z a-z 0-9 . _ -)",
				  name ? name : "(null)", VIGIL_NAME_MAX);
	return VIGIL_OK;
}

int vigil_bank_create(vigil_store *st, const char *name, const char *desc,
		      const char *labels, vigil_bank *out)
{
	vigil_bank tmp;
	int rc = check_name(st, name);

	if (rc)
		return rc;
	if ((desc && strlen(desc) > VIGIL_TEXT_MAX) ||
	    (labels && strlen(labels) > VIGIL_TEXT_MAX))
		return vigil__err(st->ctx, VIGIL_EINVAL,
				  "description and labels are limited to %d bytes",
				  VIGIL_TEXT_MAX);
	return st->ops->bank_create(st, name, desc ? desc : "", labels ? labels : "",
				    out ? out : &tmp);
}

int vigil_bank_get(vigil_store *st, const char *name, vigil_bank *out)
{
	int rc = check_name(st, name);

	return rc ? rc : st->ops->bank_get(st, name, out);
}

int vigil_bank_list(vigil_store *st, vigil_bank **banks, size_t *n)
{
	if (!st || !banks || !n)
		return VIGIL_EINVAL;
	return st->ops->bank_list(st, banks, n);
}

int vigil_bank_set_enabled(vigil_store *st, const char *name, int enabled)
{
	int rc = check_name(st, name);

	return rc ? rc : st->ops->bank_set_enabled(st, name, enabled != 0);
}

int vigil_bank_delete(vigil_store *st, const char *name)
{
	int rc = check_name(st, name);

	return rc ? rc : st->ops->bank_delete(st, name);
}

int vigil_entry_get(vigil_store *st, int64_t id, vigil_entry *out)
{
	if (!st || !out)
		return VIGIL_EINVAL;
	return st->ops->entry_get(st, id, out);
}

int vigil_evidence_add(vigil_store *st, vigil_evidence *ev)
{
	if (!st || !ev)
		return VIGIL_EINVAL;
	if (!memchr(ev->source, '\0', sizeof(ev->source)) ||
	    !memchr(ev->bank, '\0', sizeof(ev->bank)) ||
	    !memchr(ev->action, '\0', sizeof(ev->action)))
		return vigil__err(st->ctx, VIGIL_EINVAL, "evidence: unterminated text");
	return st->ops->evidence_add(st, ev);
}

int vigil_evidence_list(vigil_store *st, int64_t since_id, size_t max,
			vigil_evidence **out, size_t *n)
{
	if (!st || !out || !n)
		return VIGIL_EINVAL;
	return st->ops->evidence_list(st, since_id, max, out, n);
}

/* ------------------------------------------------ service: keys, audit */

int vigil_key_add(vigil_store *st, const char *name,
		  const uint8_t digest[VIGIL_KEY_DIGEST], unsigned roles,
		  int64_t rate_limit, vigil_key *out)
{
	vigil_key tmp;

	if (!st || !digest)
		return VIGIL_EINVAL;
	if (!vigil__bank_name_ok(name))
		return vigil__err(st->ctx, VIGIL_EINVAL,
				  "bad key name '%.80s' (1-%d of A-Z a-z 0-9 . _ -)",
				  name ? name : "(null)", VIGIL_NAME_MAX);
	if (!roles || rate_limit < 0)
		return vigil__err(st->ctx, VIGIL_EINVAL,
				  "a key needs at least one role and a rate limit >= 0");
	return st->ops->key_add(st, name, digest, roles, rate_limit, out ? out : &tmp);
}

int vigil_key_list(vigil_store *st, vigil_key **keys, size_t *n)
{
	if (!st || !keys || !n)
		return VIGIL_EINVAL;
	return st->ops->key_list(st, keys, n);
}

int vigil_key_revoke(vigil_store *st, const char *name)
{
	if (!st || !name)
		return VIGIL_EINVAL;
	if (!vigil__bank_name_ok(name))
		return vigil__err(st->ctx, VIGIL_ENOENT, "no active key '%.80s'", name);
	return st->ops->key_revoke(st, name);
}

int vigil_key_touch(vigil_store *st, const char *name, int64_t when)
{
	if (!st || !name)
		return VIGIL_EINVAL;
	return st->ops->key_touch(st, name, when);
}

/* Valid UTF-8 without NUL, so the row reads back as the same text. */
static int utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1
				      : (*p & 0xF0) == 0xE0 ? 2
				      : (*p & 0xF8) == 0xF0 ? 3 : -1;
		if (n < 0 || (n == 1 && *p < 0xC2))
			return 0;
		p++;
		for (int i = 0; i < n; i++, p++)
			if ((*p & 0xC0) != 0x80)
				return 0;
	}
	return 1;
}

int vigil_audit_append(vigil_store *st, vigil_audit *a)
{
	const char *f[5];
	struct timespec ts;

	if (!st || !a)
		return VIGIL_EINVAL;
	f[0] = a->who;
	f[1] = a->role;
	f[2] = a->action;
	f[3] = a->object;
	f[4] = a->source;
	for (int i = 0; i < 5; i++)
		if (f[i] && (strnlen(f[i], VIGIL_AUDIT_FIELD_MAX + 1) >
				     VIGIL_AUDIT_FIELD_MAX || !utf8_ok(f[i])))
			return vigil__err(st->ctx, VIGIL_EINVAL,
					  "audit: a field is over %d bytes or not UTF-8",
					  VIGIL_AUDIT_FIELD_MAX);
	if (a->detail && (strnlen(a->detail, VIGIL_AUDIT_DETAIL_MAX + 1) >
				  VIGIL_AUDIT_DETAIL_MAX || !utf8_ok(a->detail)))
		return vigil__err(st->ctx, VIGIL_EINVAL,
				  "audit: detail is over %d bytes or not UTF-8",
				  VIGIL_AUDIT_DETAIL_MAX);
	if (!a->time_ms) {
		clock_gettime(CLOCK_REALTIME, &ts);
		a->time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	return st->ops->audit_append(st, a);
}

int vigil_audit_scan(vigil_store *st, int64_t since_id, size_t max,
		     vigil_audit_cb cb, void *user)
{
	if (!st || !cb)
		return VIGIL_EINVAL;
	return st->ops->audit_scan(st, since_id, max, cb, user);
}

/* ------------------------------------------------ entries, one by one */

int vigil_bank_update(vigil_store *st, const char *name, const char *desc,
		      const char *labels)
{
	int rc = check_name(st, name);

	if (rc)
		return rc;
	if ((desc && strlen(desc) > VIGIL_TEXT_MAX) ||
	    (labels && strlen(labels) > VIGIL_TEXT_MAX))
		return vigil__err(st->ctx, VIGIL_EINVAL,
				  "description and labels are limited to %d bytes",
				  VIGIL_TEXT_MAX);
	return st->ops->bank_update(st, name, desc, labels);
}

int vigil_entries_add(vigil_store *st, const char *bank, const vigil_entry *in,
		      size_t n, int64_t *ids)
{
	vigil_bank b;
	vigil__rec *r;
	int rc = check_name(st, bank);

	if (rc)
		return rc;
	if ((n && (!in || !ids)))
		return vigil__err(st->ctx, VIGIL_EINVAL, "entries_add: NULL argument");
	for (size_t i = 0; i < n; i++) {
		if (in[i].type < VIGIL_HASH_PDQ || in[i].type > VIGIL_HASH_SHA256)
			return vigil__err(st->ctx, VIGIL_EINVAL,
					  "entry %zu: type must be pdq, md5, sha1 or sha256", i);
		if (!memchr(in[i].source_ref, 0, sizeof(in[i].source_ref)) ||
		    !memchr(in[i].metadata, 0, sizeof(in[i].metadata)))
			return vigil__err(st->ctx, VIGIL_EINVAL,
					  "entry %zu: unterminated text", i);
		if (in[i].type == VIGIL_HASH_PDQ &&
		    (in[i].quality < 0 || in[i].quality > 100))
			return vigil__err(st->ctx, VIGIL_EINVAL,
					  "entry %zu: PDQ quality must be 0..100", i);
	}
	rc = st->ops->bank_get(st, bank, &b);
	if (rc)
		return rc;
	r = vigil__malloc(sizeof(*r));
	if (!r)
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	rc = st->ops->begin(st);
	for (size_t i = 0; !rc && i < n; i++) {
		memset(r, 0, sizeof(*r));
		r->type = in[i].type;
		memcpy(r->value, in[i].value, 32);
		r->quality = in[i].type == VIGIL_HASH_PDQ ? in[i].quality : -1;
		memcpy(r->source_ref, in[i].source_ref, sizeof(r->source_ref));
		memcpy(r->metadata, in[i].metadata, sizeof(r->metadata));
		rc = st->ops->entry_add(st, b.id, r, &ids[i]);
	}
	if (!rc)
		rc = st->ops->commit(st);
	if (rc)
		st->ops->rollback(st);
	vigil__free(r);
	return rc;
}

int vigil_entry_delete(vigil_store *st, const char *bank, int64_t id)
{
	vigil_entry e;
	vigil_bank b;
	int rc;

	if (!st)
		return VIGIL_EINVAL;
	rc = st->ops->entry_get(st, id, &e);
	if (rc)
		return rc;
	if (bank) {
		rc = check_name(st, bank);
		if (!rc)
			rc = st->ops->bank_get(st, bank, &b);
		if (rc)
			return rc;
		if (b.id != e.bank_id)
			return vigil__err(st->ctx, VIGIL_ENOENT,
					  "no entry %lld in bank '%s'", (long long)id, bank);
	}
	return st->ops->entry_delete(st, id);
}

/* ------------------------------------------- edits for the service */

int vigil_bank_rename(vigil_store *st, const char *name, const char *new_name)
{
	int rc = check_name(st, name);

	if (!rc)
		rc = check_name(st, new_name);
	return rc ? rc : st->ops->bank_rename(st, name, new_name);
}

int vigil_entry_set_metadata(vigil_store *st, int64_t id, const char *metadata)
{
	if (!st || !metadata)
		return VIGIL_EINVAL;
	if (strlen(metadata) > VIGIL_META_MAX)
		return vigil__err(st->ctx, VIGIL_ETOOBIG,
				  "metadata is limited to %d bytes", VIGIL_META_MAX);
	return st->ops->entry_set_metadata(st, id, metadata);
}

int vigil_entry_type_stats(vigil_store *st, int type, int64_t *count,
			   int64_t *newest)
{
	if (!st || !count || !newest || type < 0 || type >= VIGIL__HASH_TYPE_END)
		return VIGIL_EINVAL;
	return st->ops->entry_type_stats(st, type, count, newest);
}

/* ------------------------------------------------------- change log */

static int no_changes(vigil_store *st)
{
	return vigil__err(st->ctx, VIGIL_EINVAL,
			  "the change log is not supported by the %s backend "
			  "(use postgresql:// for several instances)", st->ops->scheme);
}

int vigil_store_changes_head(vigil_store *st, int64_t *seq)
{
	if (!st || !seq)
		return VIGIL_EINVAL;
	return st->ops->changes_head ? st->ops->changes_head(st, seq) : no_changes(st);
}

int vigil_store_changes(vigil_store *st, int64_t since, size_t max,
			vigil_change_cb cb, void *user, int64_t *last)
{
	if (!st || !cb || !last)
		return VIGIL_EINVAL;
	*last = since;
	return st->ops->changes_scan ? st->ops->changes_scan(st, since, max, cb, user, last)
				     : no_changes(st);
}

int vigil_store_changes_wait(vigil_store *st, int timeout_ms)
{
	if (!st)
		return VIGIL_EINVAL;
	return st->ops->changes_wait ? st->ops->changes_wait(st, timeout_ms)
				     : no_changes(st);
}

int vigil_store_changes_prune_upto(vigil_store *st, int64_t upto)
{
	if (!st || upto < 0)
		return VIGIL_EINVAL;
	return NEED_OP(st, changes_prune_upto, upto);
}

int vigil_store_changes_prune(vigil_store *st, int64_t keep, int64_t *floor)
{
	if (!st || !floor || keep < 0)
		return VIGIL_EINVAL;
	*floor = 0;
	return st->ops->changes_prune ? st->ops->changes_prune(st, keep, floor)
				      : no_changes(st);
}

int vigil_store_lease(vigil_store *st, const char *name, const char *owner,
		      int64_t ttl_ms, int *held)
{
	if (!st || !name || !*name || !owner || !*owner || !held ||
	    (ttl_ms < 0 && ttl_ms != VIGIL_LEASE_SESSION) ||
	    strlen(name) > VIGIL_TEXT_MAX || strlen(owner) > VIGIL_TEXT_MAX)
		return VIGIL_EINVAL;
	*held = 0;
	return NEED_OP(st, lease, name, owner, ttl_ms, held);
}

/* ------------------------------------------- shared by the backends */

/* Appends the elements of the JSON array text add to the array text old;
 * the result is owned by the caller (free()). */
char *vigil__json_concat(const char *old, const char *add)
{
	json_t *a = json_loads(old && *old ? old : "[]", 0, NULL);
	json_t *b = json_loads(add, JSON_DECODE_ANY, NULL);
	char *res = NULL;

	if (!json_is_array(a) || !b)
		goto out;
	if (json_is_array(b)) {
		if (json_array_extend(a, b))
			goto out;
	} else if (json_array_append(a, b)) {
		goto out;
	}
	res = json_dumps(a, JSON_COMPACT);
out:
	json_decref(a);
	json_decref(b);
	return res;
}

/* Creates dir and its parents (mode 0700: the store is sensitive). */
static void mkdirs(char *dir)
{
	for (char *s = dir + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(dir, 0700);
			*s = '/';
		}
	mkdir(dir, 0700);
}

const char *vigil_store_default_path(char *buf, size_t cap)
{
	const char *env = getenv("VIGIL_DB"), *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	size_t n;

	if (env && *env)
		return env;
	if (xdg && *xdg)
		snprintf(buf, cap, "%s/vigil", xdg);
	else
		snprintf(buf, cap, "%s/.local/share/vigil", home && *home ? home : ".");
	mkdirs(buf);
	n = strlen(buf);
	if (n + sizeof("/vigil.db") > cap)
		return "vigil.db";
	memcpy(buf + n, "/vigil.db", sizeof("/vigil.db"));
	return buf;
}

int vigil__op_missing(vigil_store *st, const char *op)
{
	return vigil__err(st->ctx, VIGIL_EINVAL, "not supported by the %s backend yet: %s",
			  st->ops->scheme, op);
}

int vigil__begin_own(vigil_store *st, int *own)
{
	*own = !st->ops->in_transaction(st);
	return *own ? st->ops->begin(st) : VIGIL_OK;
}

int vigil__end_own(vigil_store *st, int own, int rc)
{
	if (!own)
		return rc;
	if (rc) {
		st->ops->rollback(st);
		return rc;
	}
	return st->ops->commit(st);
}
