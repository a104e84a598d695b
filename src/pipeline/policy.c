/* policy.c — per-bank policies: defaults, validation of KEY=VALUE and JSON
 * edits, storage as a JSON object in the store's bank_policy table. */
#include "../store/store.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const action_names[VIGIL__ACTION_END] = {"none", "review",
							     "report", "block"};
static const char *const kind_names[VIGIL__KIND_END] = {"normal", "suppression"};

const char *vigil_action_name(int a)
{
	return a >= 0 && a < VIGIL__ACTION_END ? action_names[a] : "unknown";
}

int vigil_action_parse(const char *name)
{
	int i;

	for (i = 0; name && i < VIGIL__ACTION_END; i++)
		if (!strcmp(name, action_names[i]))
			return i;
	return -1;
}

const char *vigil_bank_kind_name(int k)
{
	return k >= 0 && k < VIGIL__KIND_END ? kind_names[k] : "unknown";
}

int vigil_bank_kind_parse(const char *name)
{
	int i;

	for (i = 0; name && i < VIGIL__KIND_END; i++)
		if (!strcmp(name, kind_names[i]))
			return i;
	return -1;
}

void vigil_bank_policy_default(vigil_bank_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->pdq_distance = 31; /* the reference's advice */
	p->min_quality = 50;
	p->dihedral = 1;
	/* A match asks a person by default: blocking on a list nobody has
	 * looked at is a choice the operator makes per bank. */
	p->action = VIGIL_ACTION_REVIEW;
	p->kind = VIGIL_KIND_NORMAL;
	p->priority = 50;
}

/* Field table: one row per key, used by set, to_json and from_json. */
enum { F_INT, F_BOOL, F_ENUM_ACTION, F_ENUM_KIND, F_URL, F_SECRET, F_INCIDENT };
typedef struct field {
	const char *key;
	int kind;
	size_t off;
	long min, max; /* F_INT */
} field;

#define OFF(f) offsetof(vigil_bank_policy, f)
static const field fields[] = {
	{"pdq_distance", F_INT, OFF(pdq_distance), 0, 256},
	{"min_quality", F_INT, OFF(min_quality), 0, 100},
	{"dihedral", F_BOOL, OFF(dihedral), 0, 1},
	{"action", F_ENUM_ACTION, OFF(action), 0, 0},
	{"kind", F_ENUM_KIND, OFF(kind), 0, 0},
	{"priority", F_INT, OFF(priority), 0, 1000},
	{"webhook_url", F_URL, OFF(webhook_url), 0, 0},
	{"webhook_secret", F_SECRET, OFF(webhook_secret), 0, 0},
	{"flood_matches", F_INT, OFF(flood_matches), 0, VIGIL_POLICY_MAX_FLOOD},
	{"flood_seconds", F_INT, OFF(flood_seconds), 0, 86400 * 30},
	{"incident_type", F_INCIDENT, OFF(incident_type), 0, 0},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static int *ifield(vigil_bank_policy *p, const field *f)
{
	return (int *)((char *)p + f->off);
}

static int parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int url_ok(const char *v)
{
	size_t i, n = strlen(v);

	if (n == 0)
		return 1; /* "" = no webhook */
	if (n > VIGIL_URL_MAX ||
	    (strncasecmp(v, "http://", 7) && strncasecmp(v, "https://", 8)))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f)
			return 0;
	return 1;
}

static int secret_ref_ok(const char *v)
{
	size_t n = strlen(v);

	return n == 0 || (n <= VIGIL_TEXT_MAX &&
			  ((!strncmp(v, "env:", 4) && n > 4) ||
			   (!strncmp(v, "file:", 5) && n > 5)));
}

/* Both flood fields must be set together: a count without a window means
 * nothing. Checked after every edit. */
static int check_whole(vigil_ctx *ctx, const vigil_bank_policy *p)
{
	if ((p->flood_matches > 0) != (p->flood_seconds > 0))
		return vigil__err(ctx, VIGIL_EINVAL,
				  "flood_matches and flood_seconds go together "
				  "(both 0 for no flood limit)");
	return VIGIL_OK;
}

static const field *find(const char *key)
{
	size_t i;

	for (i = 0; key && i < NFIELDS; i++)
		if (!strcmp(fields[i].key, key))
			return &fields[i];
	return NULL;
}

/* Sets one field from its text form, without the whole-policy check. */
static int set_one(vigil_ctx *ctx, vigil_bank_policy *p, const field *f,
		   const char *value)
{
	long v;
	int e;

	switch (f->kind) {
	case F_INT:
		if (parse_long(value, &v) || v < f->min || v > f->max)
			return vigil__err(ctx, VIGIL_EINVAL, "%s: an integer %ld..%ld, not '%.40s'",
					  f->key, f->min, f->max, value);
		*ifield(p, f) = (int)v;
		return VIGIL_OK;
	case F_BOOL:
		if (!strcmp(value, "on") || !strcmp(value, "true") || !strcmp(value, "1") ||
		    !strcmp(value, "yes"))
			*ifield(p, f) = 1;
		else if (!strcmp(value, "off") || !strcmp(value, "false") ||
			 !strcmp(value, "0") || !strcmp(value, "no"))
			*ifield(p, f) = 0;
		else
			return vigil__err(ctx, VIGIL_EINVAL, "%s: on or off, not '%.40s'",
					  f->key, value);
		return VIGIL_OK;
	case F_ENUM_ACTION:
		if ((e = vigil_action_parse(value)) < 0)
			return vigil__err(ctx, VIGIL_EINVAL,
					  "action: block, review, report or none, not '%.40s'",
					  value);
		*ifield(p, f) = e;
		return VIGIL_OK;
	case F_ENUM_KIND:
		if ((e = vigil_bank_kind_parse(value)) < 0)
			return vigil__err(ctx, VIGIL_EINVAL,
					  "kind: normal or suppression, not '%.40s'", value);
		*ifield(p, f) = e;
		return VIGIL_OK;
	case F_URL:
		if (!url_ok(value))
			return vigil__err(ctx, VIGIL_EINVAL,
					  "webhook_url: an http:// or https:// URL of at most "
					  "%d bytes, or empty", VIGIL_URL_MAX);
		snprintf(p->webhook_url, sizeof(p->webhook_url), "%s", value);
		return VIGIL_OK;
	case F_SECRET:
		/* The secret itself never goes into the store (it would be in
		 * every backup); only where to find it. */
		if (!secret_ref_ok(value))
			return vigil__err(ctx, VIGIL_EINVAL,
					  "webhook_secret: a reference, env:NAME or file:PATH "
					  "(or empty for the global webhook_secret), not a "
					  "secret");
		snprintf(p->webhook_secret, sizeof(p->webhook_secret), "%s", value);
		return VIGIL_OK;
	case F_INCIDENT:
		if (*value && !vigil_incident_type_ok(value))
			return vigil__err(ctx, VIGIL_EINVAL,
					  "incident_type: a CyberTipline incident type (e.g. "
					  "'Child Sex Trafficking'; docs/reports.md lists them), "
					  "or empty");
		snprintf(p->incident_type, sizeof(p->incident_type), "%s", value);
		return VIGIL_OK;
	}
	return vigil__err(ctx, VIGIL_EINTERNAL, "policy field kind");
}

int vigil_bank_policy_set(vigil_ctx *ctx, vigil_bank_policy *p, const char *key,
			  const char *value)
{
	vigil_bank_policy tmp;
	const field *f;
	int rc;

	if (!p || !key || !value)
		return vigil__err(ctx, VIGIL_EINVAL, "policy_set: NULL argument");
	tmp = *p;
	if (!strcmp(key, "flood")) {
		/* "N/T", or "off" */
		const char *slash = strchr(value, '/');
		char n[32];
		if (!strcmp(value, "off") || !strcmp(value, "0")) {
			p->flood_matches = p->flood_seconds = 0;
			return VIGIL_OK;
		}
		if (!slash || (size_t)(slash - value) >= sizeof(n))
			return vigil__err(ctx, VIGIL_EINVAL,
					  "flood: N/T (more than N matches of one entry in T "
					  "seconds) or off");
		memcpy(n, value, (size_t)(slash - value));
		n[slash - value] = '\0';
		rc = set_one(ctx, &tmp, find("flood_matches"), n);
		if (!rc)
			rc = set_one(ctx, &tmp, find("flood_seconds"), slash + 1);
	} else if (!(f = find(key))) {
		return vigil__err(ctx, VIGIL_EINVAL,
				  "unknown policy key '%.40s' (pdq_distance, min_quality, "
				  "dihedral, action, kind, priority, webhook_url, "
				  "webhook_secret, flood_matches, flood_seconds, flood, "
				  "incident_type)", key);
	} else {
		rc = set_one(ctx, &tmp, f, value);
	}
	/* Setting only one flood field at a time must be possible from the
	 * CLI: the other one follows with a sensible partner. */
	if (!rc && tmp.flood_matches > 0 && tmp.flood_seconds == 0)
		tmp.flood_seconds = 60;
	if (!rc && tmp.flood_seconds > 0 && tmp.flood_matches == 0 &&
	    !strcmp(key, "flood_seconds"))
		rc = vigil__err(ctx, VIGIL_EINVAL, "set flood_matches first (or flood=N/T)");
	if (!rc && !strcmp(key, "flood_matches") && tmp.flood_matches == 0)
		tmp.flood_seconds = 0;
	if (!rc)
		rc = check_whole(ctx, &tmp);
	if (!rc)
		*p = tmp;
	return rc;
}

int vigil_bank_policy_to_json(const vigil_bank_policy *p, char **json)
{
	json_t *o;
	size_t i;
	int bad = 0;

	if (!p || !json)
		return VIGIL_EINVAL;
	*json = NULL;
	o = json_object();
	if (!o)
		return VIGIL_ENOMEM;
	for (i = 0; i < NFIELDS; i++) {
		const field *f = &fields[i];
		/* Only the integer fields are read as int (the text fields
		 * are char arrays at any alignment). */
		const int v = f->kind == F_URL || f->kind == F_SECRET || f->kind == F_INCIDENT
				      ? 0
				      : *ifield((vigil_bank_policy *)p, f);
		json_t *j;
		switch (f->kind) {
		case F_INT:
			j = json_integer(v);
			break;
		case F_BOOL:
			j = json_boolean(v);
			break;
		case F_ENUM_ACTION:
			j = json_string(vigil_action_name(v));
			break;
		case F_ENUM_KIND:
			j = json_string(vigil_bank_kind_name(v));
			break;
		case F_URL:
			j = json_string(p->webhook_url);
			break;
		case F_INCIDENT:
			j = json_string(p->incident_type);
			break;
		default:
			j = json_string(p->webhook_secret);
		}
		bad |= json_object_set_new(o, f->key, j) != 0;
	}
	if (!bad)
		*json = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return *json ? VIGIL_OK : VIGIL_ENOMEM;
}

int vigil_bank_policy_from_json(vigil_ctx *ctx, const char *json,
				vigil_bank_policy *p)
{
	vigil_bank_policy tmp;
	json_error_t err;
	json_t *o, *v;
	const char *key;
	int rc = VIGIL_OK;

	if (!json || !p)
		return vigil__err(ctx, VIGIL_EINVAL, "policy_from_json: NULL argument");
	o = json_loads(json, JSON_REJECT_DUPLICATES, &err);
	if (!json_is_object(o)) {
		json_decref(o);
		return vigil__err(ctx, VIGIL_EINVAL, "policy: not a JSON object%s%.100s",
				  o ? "" : ": ", o ? "" : err.text);
	}
	tmp = *p;
	json_object_foreach(o, key, v) {
		const field *f = find(key);
		const char *text = NULL;
		if (!f) {
			rc = vigil__err(ctx, VIGIL_EINVAL, "policy: unknown key '%.40s'", key);
			break;
		}
		if (f->kind == F_INT && json_is_integer(v)) {
			json_int_t n = json_integer_value(v);
			if (n < f->min || n > f->max) {
				rc = vigil__err(ctx, VIGIL_EINVAL, "%s: an integer %ld..%ld",
						f->key, f->min, f->max);
				break;
			}
			*ifield(&tmp, f) = (int)n;
			continue;
		}
		if (f->kind == F_BOOL && json_is_boolean(v)) {
			*ifield(&tmp, f) = json_is_true(v);
			continue;
		}
		if (f->kind != F_INT && f->kind != F_BOOL && json_is_string(v))
			text = json_string_value(v);
		if (!text || strlen(text) != json_string_length(v)) {
			rc = vigil__err(ctx, VIGIL_EINVAL, "%s: wrong type of value", f->key);
			break;
		}
		rc = set_one(ctx, &tmp, f, text);
		if (rc)
			break;
	}
	json_decref(o);
	if (!rc)
		rc = check_whole(ctx, &tmp);
	if (!rc)
		*p = tmp;
	return rc;
}

/* A bank's id and stored policy JSON by name, without counting its
 * entries (vigil_bank_get does: slow for a big bank). */
typedef struct find_acc {
	const char *name;
	int64_t id;
	char *json; /* vigil__malloc'd copy, or NULL */
	int nomem;
} find_acc;

static int find_bank(void *user, int64_t id, const char *name, const char *json)
{
	find_acc *f = user;

	if (!name || strcmp(name, f->name))
		return 0;
	f->id = id;
	if (json) {
		size_t n = strlen(json);
		f->json = vigil__malloc(n + 1);
		if (!f->json) {
			f->nomem = 1;
			return 1;
		}
		memcpy(f->json, json, n + 1);
	}
	return 1; /* found: stop */
}

static int lookup(vigil_store *st, const char *bank, find_acc *f)
{
	int rc;

	memset(f, 0, sizeof(*f));
	f->name = bank;
	if (!vigil__bank_name_ok(bank))
		return vigil__err(st->ctx, VIGIL_EINVAL, "bad bank name '%.80s'",
				  bank ? bank : "(null)");
	rc = st->ops->policy_scan(st, find_bank, f);
	if (f->nomem)
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	if (rc && rc != 1)
		return rc;
	if (!f->id)
		return vigil__err(st->ctx, VIGIL_ENOENT, "no bank '%s'", bank);
	return VIGIL_OK;
}

int vigil_bank_policy_get(vigil_store *st, const char *bank, vigil_bank_policy *out)
{
	find_acc f;
	int rc;

	if (!st || !out)
		return VIGIL_EINVAL;
	rc = lookup(st, bank, &f);
	if (rc)
		return rc;
	vigil_bank_policy_default(out);
	if (f.json)
		rc = vigil_bank_policy_from_json(st->ctx, f.json, out);
	vigil__free(f.json);
	return rc;
}

int vigil_bank_policy_put(vigil_store *st, const char *bank,
			  const vigil_bank_policy *p)
{
	vigil_bank_policy check;
	find_acc f;
	char *json = NULL;
	int rc;

	if (!st || !p)
		return VIGIL_EINVAL;
	rc = lookup(st, bank, &f);
	vigil__free(f.json);
	if (rc)
		return rc;
	rc = vigil_bank_policy_to_json(p, &json);
	if (rc)
		return vigil__err(st->ctx, rc, "out of memory");
	/* Validate by reading back what would be stored. */
	vigil_bank_policy_default(&check);
	rc = vigil_bank_policy_from_json(st->ctx, json, &check);
	if (!rc)
		rc = st->ops->policy_put(st, f.id, json);
	free(json);
	return rc;
}

typedef struct rules_acc {
	vigil_store *st;
	vigil_bank_rule *v;
	size_t n, cap;
} rules_acc;

static int add_rule(void *user, int64_t bank_id, const char *name, const char *json)
{
	rules_acc *a = user;
	vigil_bank_rule *nv = vigil__grow(a->v, &a->cap, a->n, sizeof(*a->v)), *r;

	if (!nv)
		return vigil__err(a->st->ctx, VIGIL_ENOMEM, "out of memory");
	a->v = nv;
	r = &a->v[a->n];
	memset(r, 0, sizeof(*r));
	r->bank_id = bank_id;
	snprintf(r->bank, sizeof(r->bank), "%s", name ? name : "");
	vigil_bank_policy_default(&r->policy);
	if (json) {
		int rc = vigil_bank_policy_from_json(a->st->ctx, json, &r->policy);
		if (rc)
			return rc;
	}
	a->n++;
	return VIGIL_OK;
}

/* One query (banks joined with their policies, in id order): this runs on
 * every upload, so it must not count a bank's entries as vigil_bank_list
 * does. */
int vigil_bank_rules_load(vigil_store *st, vigil_bank_rule **rules, size_t *n)
{
	rules_acc a = {st, NULL, 0, 0};
	int rc;

	if (!st || !rules || !n)
		return VIGIL_EINVAL;
	*rules = NULL;
	*n = 0;
	rc = st->ops->policy_scan(st, add_rule, &a);
	if (rc) {
		vigil__free(a.v);
		return rc;
	}
	*rules = a.v;
	*n = a.n;
	return VIGIL_OK;
}
