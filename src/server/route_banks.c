/* route_banks.c — banks and their entries (role admin). Every change is
 * committed to the store, then applied to the live matcher, then audited,
 * before the reply: a 2xx means the next request matches accordingly. */
#include "metrics.h"
#include "pipeline.h"
#include "server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES_PER_REQUEST 10000
#define IMPORT_MAX_ERRORS 20 /* bad lines listed in an import's reply */

static json_t *bank_json(const vigil_bank *b)
{
	return json_pack("{s:s,s:s,s:s,s:b,s:I,s:I}", "name", b->name, "description",
			 b->description, "labels", b->labels, "enabled", b->enabled,
			 "created", (json_int_t)b->created, "entries",
			 (json_int_t)b->entries);
}

static void list(srv_req *r)
{
	vigil_bank *banks = NULL;
	size_t n = 0;
	json_t *a;
	int rc = vigil_bank_list(srv_store(r), &banks, &n);

	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, srv_bank_with_policy(r, bank_json(&banks[i]),
							      banks[i].name));
	free(banks);
	srv_reply_json(r, 200, json_pack("{s:o}", "banks", a));
}

/* Optional string member: NULL if absent; -1 (replied) if not a string. */
static int opt_str(srv_req *r, json_t *j, const char *key, const char **out)
{
	json_t *v = json_object_get(j, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		srv_reply_error(r, 400, "invalid", "'%s' must be a string", key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

static void create(srv_req *r)
{
	json_t *j = srv_json(r, JSON_OBJECT), *en;
	const char *name, *desc, *labels;
	vigil_bank b;
	vigil_bank_policy pol;
	int rc, haspol = 0;

	if (!j || opt_str(r, j, "name", &name) || opt_str(r, j, "description", &desc) ||
	    opt_str(r, j, "labels", &labels))
		return;
	if (name && srv_policy_parse(r, j, name, &pol, &haspol))
		return;
	en = json_object_get(j, "enabled");
	if (!name) {
		srv_reply_error(r, 400, "invalid", "expected {\"name\":NAME, "
						  "\"description\"?, \"labels\"?, \"enabled\"?}");
		return;
	}
	if (en && !json_is_boolean(en)) {
		srv_reply_error(r, 400, "invalid", "'enabled' must be true or false");
		return;
	}
	rc = vigil_bank_create(srv_store(r), name, desc, labels, &b);
	if (!rc && en && json_is_false(en)) {
		rc = vigil_bank_set_enabled(srv_store(r), name, 0);
		b.enabled = 0;
	}
	if (!rc && haspol)
		rc = vigil_bank_policy_put(srv_store(r), name, &pol);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	srv_audit(r, "bank.create", name, json_pack("{s:b}", "enabled", b.enabled));
	srv_reply_json(r, 201, srv_bank_with_policy(r, bank_json(&b), b.name));
}

static int get_bank(srv_req *r, vigil_bank *b)
{
	int rc = vigil_bank_get(srv_store(r), srv_param(r, "name"), b);

	if (rc)
		srv_reply_status(r, rc, srv_ctx(r));
	return rc;
}

static void show(srv_req *r)
{
	vigil_bank b;

	if (!get_bank(r, &b))
		srv_reply_json(r, 200, srv_bank_with_policy(r, bank_json(&b), b.name));
}

static void patch(srv_req *r)
{
	json_t *j = srv_json(r, JSON_OBJECT), *en;
	const char *name = srv_param(r, "name"), *desc, *labels;
	vigil_bank b;
	vigil_bank_policy pol;
	int rc, haspol = 0;

	if (!j || opt_str(r, j, "description", &desc) || opt_str(r, j, "labels", &labels))
		return;
	en = json_object_get(j, "enabled");
	if (en && !json_is_boolean(en)) {
		srv_reply_error(r, 400, "invalid", "'enabled' must be true or false");
		return;
	}
	if (get_bank(r, &b) || srv_policy_parse(r, j, name, &pol, &haspol))
		return;
	rc = (desc || labels) ? vigil_bank_update(srv_store(r), name, desc, labels) : 0;
	if (!rc && haspol)
		rc = vigil_bank_policy_put(srv_store(r), name, &pol);
	if (!rc && en)
		rc = vigil_bank_set_enabled(srv_store(r), name, json_is_true(en));
	/* The matcher follows: enabling loads the bank's hashes (cheap if
	 * they were loaded before), disabling stops matching it. */
	if (!rc && en && json_is_true(en))
		rc = vigil_matcher_load_bank(srv_matcher(r), srv_store(r), name);
	else if (!rc && en)
		rc = vigil_matcher_drop_bank(srv_matcher(r), b.id);
	if (!rc && en)
		srv_text_changed(); /* a text bank's terms follow at once too */
	if (!rc)
		rc = vigil_bank_get(srv_store(r), name, &b);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	srv_audit(r, "bank.update", name, json_deep_copy(j));
	srv_reply_json(r, 200, srv_bank_with_policy(r, bank_json(&b), b.name));
}

static void delete(srv_req *r)
{
	vigil_bank b;
	int rc;

	if (get_bank(r, &b))
		return;
	rc = vigil_bank_delete(srv_store(r), b.name);
	if (!rc)
		rc = vigil_matcher_drop_bank(srv_matcher(r), b.id);
	if (!rc)
		srv_text_changed();
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	srv_audit(r, "bank.delete", b.name, json_pack("{s:I}", "entries",
						      (json_int_t)b.entries));
	srv_reply_json(r, 200, json_pack("{s:s,s:b}", "name", b.name, "deleted", 1));
}

/* One entry of a JSON list: {"type"?, "value", "quality"?, "source_ref"?,
 * "metadata"? (an object)}. */
static int parse_entry(json_t *v, size_t i, vigil_entry *e, char *err, size_t cap)
{
	const char *type = json_string_value(json_object_get(v, "type"));
	const char *value = json_string_value(json_object_get(v, "value"));
	const char *ref = json_string_value(json_object_get(v, "source_ref"));
	json_t *q = json_object_get(v, "quality"), *meta = json_object_get(v, "metadata");
	size_t len;
	int t;

	memset(e, 0, sizeof(*e));
	if (!json_is_object(v) || !value) {
		snprintf(err, cap, "entries[%zu]: expected {\"type\":..,\"value\":..}", i);
		return -1;
	}
	len = strlen(value);
	t = type ? vigil_hash_type_parse(type)
		 : len == 64 ? VIGIL_HASH_PDQ : len == 32 ? VIGIL_HASH_MD5
		 : len == 40 ? VIGIL_HASH_SHA1 : -1;
	if (t < 0 || t == VIGIL_HASH_VPDQ) {
		snprintf(err, cap, "entries[%zu]: type must be pdq, md5, sha1 or sha256 "
				   "(videos: POST .../import a vPDQ file)", i);
		return -1;
	}
	if (len != 2 * vigil_hash_type_size(t) ||
	    vigil_unhex(value, e->value, vigil_hash_type_size(t))) {
		snprintf(err, cap, "entries[%zu]: a %s value is %zu hex digits", i,
			 vigil_hash_type_name(t), 2 * vigil_hash_type_size(t));
		return -1;
	}
	e->type = t;
	e->quality = t == VIGIL_HASH_PDQ ? 100 : -1;
	if (q) {
		if (!json_is_integer(q) || json_integer_value(q) < 0 ||
		    json_integer_value(q) > 100) {
			snprintf(err, cap, "entries[%zu]: quality must be 0..100", i);
			return -1;
		}
		e->quality = (int)json_integer_value(q);
	}
	if (ref && strlen(ref) >= sizeof(e->source_ref)) {
		snprintf(err, cap, "entries[%zu]: source_ref over %d bytes", i, VIGIL_TEXT_MAX);
		return -1;
	}
	if (ref)
		memcpy(e->source_ref, ref, strlen(ref) + 1);
	if (meta) {
		char *text;
		if (!json_is_object(meta)) {
			snprintf(err, cap, "entries[%zu]: metadata must be an object", i);
			return -1;
		}
		text = json_dumps(meta, JSON_COMPACT);
		if (!text || strlen(text) >= sizeof(e->metadata)) {
			free(text);
			snprintf(err, cap, "entries[%zu]: metadata over %d bytes", i, VIGIL_META_MAX);
			return -1;
		}
		memcpy(e->metadata, text, strlen(text) + 1);
		free(text);
	}
	return 0;
}

static void add_entries(srv_req *r)
{
	json_t *j = srv_json(r, -1), *list, *v, *out;
	const char *name = srv_param(r, "name");
	vigil_entry *es = NULL;
	int64_t *ids = NULL;
	size_t n, i, added = 0;
	vigil_bank b;
	char err[256];
	int rc;

	if (!j)
		return;
	list = json_is_array(j) ? j : json_object_get(j, "entries");
	if (!json_is_array(list) || !json_array_size(list)) {
		srv_reply_error(r, 400, "invalid",
				"expected a non-empty JSON list of {\"type\",\"value\"} "
				"(or {\"entries\":[...]})");
		return;
	}
	n = json_array_size(list);
	if (n > MAX_ENTRIES_PER_REQUEST) {
		srv_reply_error(r, 413, "too_many_entries",
				"at most %d entries per request (use .../import for lists)",
				MAX_ENTRIES_PER_REQUEST);
		return;
	}
	if (get_bank(r, &b))
		return;
	es = malloc(n * sizeof(*es));
	ids = calloc(n, sizeof(*ids));
	if (!es || !ids) {
		srv_reply_error(r, 503, "out_of_memory", "out of memory");
		goto out;
	}
	json_array_foreach(list, i, v) {
		if (parse_entry(v, i, &es[i], err, sizeof(err))) {
			srv_reply_error(r, 400, "invalid", "%s", err);
			goto out;
		}
	}
	rc = vigil_entries_add(srv_store(r), name, es, n, ids);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		goto out;
	}
	out = json_array();
	for (i = 0; i < n; i++) {
		if (ids[i]) {
			es[i].id = ids[i];
			es[i].bank_id = b.id;
			rc = vigil_matcher_add(srv_matcher(r), srv_ctx(r), &b, &es[i]);
			if (rc) {
				/* Stored but not live: say so; a restart loads it. */
				json_decref(out);
				srv_reply_status(r, rc, srv_ctx(r));
				goto out;
			}
			added++;
		}
		json_array_append_new(out, json_pack("{s:o,s:b}", "id",
						     ids[i] ? json_integer(ids[i]) : json_null(),
						     "duplicate", !ids[i]));
	}
	srv_metric_set("vigil_index_hashes", NULL, NULL,
		       (double)vigil_matcher_size(srv_matcher(r)));
	srv_audit(r, "bank.entries.add", name,
		  json_pack("{s:I,s:I}", "added", (json_int_t)added, "duplicates",
			    (json_int_t)(n - added)));
	srv_reply_json(r, 201, json_pack("{s:o,s:I,s:I}", "entries", out, "added",
					 (json_int_t)added, "duplicates",
					 (json_int_t)(n - added)));
out:
	free(es);
	free(ids);
}

static void delete_entry(srv_req *r)
{
	const char *name = srv_param(r, "name"), *sid = srv_param(r, "id");
	char *end;
	long long id = strtoll(sid, &end, 10);
	vigil_entry e;
	vigil_bank b;
	int rc, is = 0;

	if (*end || id <= 0) {
		srv_reply_error(r, 400, "invalid", "an entry id is a positive integer");
		return;
	}
	/* In a text bank the entry is a term (the "entry" of a text hit). */
	if (!vigil_bank_get(srv_store(r), name, &b) &&
	    !vigil_text_bank_is(srv_store(r), b.id, &is) && is) {
		rc = vigil_text_term_delete(srv_store(r), name, id);
		if (rc) {
			srv_reply_status(r, rc, srv_ctx(r));
			return;
		}
		srv_text_changed();
		srv_audit(r, "bank.terms.delete", name, json_pack("{s:I}", "term", (json_int_t)id));
		srv_reply_json(r, 200, json_pack("{s:I,s:b}", "id", (json_int_t)id, "deleted", 1));
		return;
	}
	rc = vigil_entry_get(srv_store(r), id, &e);
	if (!rc)
		rc = vigil_entry_delete(srv_store(r), name, id);
	if (!rc)
		rc = vigil_matcher_remove(srv_matcher(r), srv_ctx(r), &e);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	srv_metric_set("vigil_index_hashes", NULL, NULL,
		       (double)vigil_matcher_size(srv_matcher(r)));
	srv_audit(r, "bank.entries.delete", name, json_pack("{s:I}", "entry", (json_int_t)id));
	srv_reply_json(r, 200, json_pack("{s:I,s:b}", "id", (json_int_t)id, "deleted", 1));
}

typedef struct bad_lines {
	json_t *list;
	uint64_t n;
} bad_lines;

static int on_bad(void *user, uint64_t line, const char *reason)
{
	bad_lines *b = user;
	char msg[300];

	if (b->n++ < IMPORT_MAX_ERRORS) {
		snprintf(msg, sizeof(msg), "%llu: %s", (unsigned long long)line, reason);
		json_array_append_new(b->list, json_string(msg));
	}
	return 0;
}

/* The body (bounded by max_body) is read as a FILE, streamed through the
 * same parser as `vigil bank import`, in one transaction. */
static void import(srv_req *r)
{
	const char *name = srv_param(r, "name"), *fmt = srv_query(r, "format"),
		   *type = srv_query(r, "type");
	vigil_import_opts o = {0};
	vigil_import_stats stats = {0};
	bad_lines bad = {json_array(), 0};
	const uint8_t *data;
	size_t len;
	vigil_bank b;
	FILE *f;
	int rc;

	data = srv_file(r, "file", &len);
	if (!data || get_bank(r, &b))
		goto out;
	o.format = fmt ? vigil_list_format_parse(fmt) : VIGIL_FMT_AUTO;
	o.type = type ? vigil_hash_type_parse(type) : -1;
	if (o.format < 0 || (type && o.type < 0)) {
		srv_reply_error(r, 400, "bad_parameter",
				"?format= auto|hex|pdq-csv|csv|vpdq, ?type= pdq|sha256|md5|sha1");
		goto out;
	}
	o.on_bad_line = on_bad;
	o.user = &bad;
	o.source = srv_query(r, "source");
	f = fmemopen((void *)data, len, "r");
	if (!f) {
		srv_reply_error(r, 503, "out_of_memory", "out of memory");
		goto out;
	}
	rc = vigil_bank_import(srv_store(r), name, f, &o, &stats);
	fclose(f);
	if (rc == VIGIL_EABORTED || (rc && bad.n)) {
		srv_reply_json(r, 400, json_pack("{s:{s:s,s:s},s:O}", "error", "code",
						 "bad_list", "message",
						 "too many bad lines: nothing imported",
						 "bad_lines", bad.list));
		goto out;
	}
	if (!rc)
		rc = vigil_matcher_load_bank(srv_matcher(r), srv_store(r), name);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		goto out;
	}
	srv_metric_set("vigil_index_hashes", NULL, NULL,
		       (double)vigil_matcher_size(srv_matcher(r)));
	srv_audit(r, "bank.import", name,
		  json_pack("{s:I,s:I,s:I}", "added", (json_int_t)stats.added,
			    "duplicates", (json_int_t)stats.duplicates, "bad",
			    (json_int_t)stats.bad));
	srv_reply_json(r, 200, json_pack("{s:I,s:I,s:I,s:I,s:O}", "lines",
					 (json_int_t)stats.lines, "added",
					 (json_int_t)stats.added, "duplicates",
					 (json_int_t)stats.duplicates, "bad",
					 (json_int_t)stats.bad, "bad_lines", bad.list));
out:
	json_decref(bad.list);
}

const srv_route srv_routes_banks[] = {
	{"GET", "/v1/banks", SRV_ROLE_ADMIN, list, 0, "List banks"},
	{"POST", "/v1/banks", SRV_ROLE_ADMIN, create, 0, "Create a bank"},
	{"GET", "/v1/banks/{name}", SRV_ROLE_ADMIN, show, 0, "Show a bank"},
	{"PATCH", "/v1/banks/{name}", SRV_ROLE_ADMIN, patch, 0,
	 "Change a bank's description, labels, enabled"},
	{"DELETE", "/v1/banks/{name}", SRV_ROLE_ADMIN, delete, 0,
	 "Delete a bank and its entries"},
	{"POST", "/v1/banks/{name}/entries", SRV_ROLE_ADMIN, add_entries, 0,
	 "Add entries (a JSON list); matchable when the reply is sent"},
	{"DELETE", "/v1/banks/{name}/entries/{id}", SRV_ROLE_ADMIN, delete_entry, 0,
	 "Delete an entry; no longer matched when the reply is sent"},
	{"POST", "/v1/banks/{name}/import", SRV_ROLE_ADMIN, import, 0,
	 "Import a hash list in the CLI's formats (one transaction)"},
	{0},
};
