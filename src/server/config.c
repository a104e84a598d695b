/* config.c — parsing of `vigil serve`'s settings from the one table in
 * config.h, for the config file and the command line alike. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { T_STR, T_INT, T_SIZE, T_LEVEL, T_LIST };
#define T_STR_ T_STR
#define TYPE_STR T_STR
#define TYPE_INT T_INT
#define TYPE_SIZE T_SIZE
#define TYPE_LEVEL T_LEVEL
#define TYPE_LIST T_LIST

typedef struct cfg_key {
	const char *key, *flag;
	int type;
	const char *def;
	int64_t min, max;
	int reload;
	const char *help;
	size_t off;   /* offset of the field in srv_config */
	size_t cap;   /* STR: the field's size */
} cfg_key;

#define SRV__CFG_ROW(k, fl, ty, de, mi, ma, re, he)                            \
	{#k, fl, TYPE_##ty, de, mi, ma, re, he, offsetof(srv_config, k),       \
	 sizeof(((srv_config *)0)->k)},
static const cfg_key keys[] = {SRV_CONFIG_MAP(SRV__CFG_ROW)};
#undef SRV__CFG_ROW

static const char *const levels[] = {"error", "warn", "info", "debug"};

int srv_config_flag(const char *flag)
{
	for (int i = 0; i < SRV_CFG__COUNT; i++)
		if (!strcmp(keys[i].flag, flag))
			return i;
	return -1;
}

static int find_key(const char *name)
{
	for (int i = 0; i < SRV_CFG__COUNT; i++)
		if (!strcmp(keys[i].key, name) || !strcmp(keys[i].flag, name))
			return i;
	return -1;
}

/* Integers in decimal; SIZE also takes a k/m/g suffix (powers of 1024). */
static int parse_num(const cfg_key *k, const char *s, int64_t *out)
{
	char *end;
	long long v;
	int64_t mul = 1;

	errno = 0;
	if (!*s || isspace((unsigned char)*s))
		return -1;
	v = strtoll(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (k->type == T_SIZE && *end) {
		switch (tolower((unsigned char)*end)) {
		case 'k': mul = 1024; break;
		case 'm': mul = 1024 * 1024; break;
		case 'g': mul = 1024 * 1024 * 1024; break;
		default: return -1;
		}
		end++;
		if (tolower((unsigned char)*end) == 'b' || tolower((unsigned char)*end) == 'i')
			end++;
	}
	if (*end)
		return -1;
	if (v < 0 || (mul > 1 && v > INT64_MAX / mul))
		return -1;
	v *= mul;
	if (v < k->min || v > k->max)
		return -1;
	*out = v;
	return 0;
}

static int set_one(srv_config *c, int i, const char *value, char *err,
		   size_t errcap)
{
	const cfg_key *k = &keys[i];
	char *field = (char *)c + k->off;
	int64_t v;

	switch (k->type) {
	case T_STR:
	case T_LIST:
		if (strlen(value) >= k->cap) {
			snprintf(err, errcap, "%s: value too long", k->key);
			return -1;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case T_LEVEL:
		for (v = 0; v < 4; v++)
			if (!strcmp(value, levels[v])) {
				memcpy(field, &v, sizeof(v));
				return 0;
			}
		snprintf(err, errcap, "%s: expected error, warn, info or debug",
			 k->key);
		return -1;
	default:
		if (parse_num(k, value, &v)) {
			snprintf(err, errcap,
				 "%s: expected %s in %lld..%lld, not '%.40s'", k->key,
				 k->type == T_SIZE ? "a size (k/m/g suffix)"
						   : "an integer",
				 (long long)k->min, (long long)k->max, value);
			return -1;
		}
		memcpy(field, &v, sizeof(v));
		return 0;
	}
}

void srv_config_defaults(srv_config *c)
{
	char err[256];

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < SRV_CFG__COUNT; i++)
		if (set_one(c, i, keys[i].def, err, sizeof(err)))
			abort(); /* a bad default in the table: a bug */
}

int srv_config_set(srv_config *c, const char *key, const char *value,
		   int from_flag, char *err, size_t errcap)
{
	int i = find_key(key);

	if (i < 0) {
		snprintf(err, errcap, "unknown setting '%.64s'", key);
		return -1;
	}
	/* A list flag given again adds to the list. */
	if (keys[i].type == T_LIST && from_flag && c->set_by_flag[i] &&
	    *((char *)c + keys[i].off)) {
		char *field = (char *)c + keys[i].off;
		size_t have = strlen(field);
		if (have + 1 + strlen(value) >= keys[i].cap) {
			snprintf(err, errcap, "%s: value too long", keys[i].key);
			return -1;
		}
		field[have] = ',';
		memcpy(field + have + 1, value, strlen(value) + 1);
		return 0;
	}
	if (set_one(c, i, value, err, errcap))
		return -1;
	if (from_flag)
		c->set_by_flag[i] = 1;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

int srv_config_load(srv_config *c, const char *path, int reload_only,
		    char *err, size_t errcap)
{
	FILE *f = fopen(path, "r");
	int rc;

	if (!f) {
		snprintf(err, errcap, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = srv_config_read(c, f, path, reload_only, err, errcap);
	fclose(f);
	return rc;
}

int srv_config_read(srv_config *c, FILE *f, const char *path, int reload_only,
		    char *err, size_t errcap)
{
	char line[8192], msg[256];
	unsigned long no = 0;
	int rc = 0;

	while (fgets(line, sizeof(line), f)) {
		char *s, *eq, *key, *val;
		int i;

		no++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errcap, "%s:%lu: line too long", path, no);
			rc = -1;
			break;
		}
		s = trim(line);
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errcap, "%s:%lu: expected 'key = value'", path, no);
			rc = -1;
			break;
		}
		*eq = 0;
		key = trim(s);
		val = trim(eq + 1);
		i = find_key(key);
		if (i < 0) {
			snprintf(err, errcap, "%s:%lu: unknown setting '%.64s'", path,
				 no, key);
			rc = -1;
			break;
		}
		if (c->set_by_flag[i] || (reload_only && !keys[i].reload))
			continue;
		if (set_one(c, i, val, msg, sizeof(msg))) {
			snprintf(err, errcap, "%s:%lu: %s", path, no, msg);
			rc = -1;
			break;
		}
	}
	return rc;
}

void srv_config_doc(FILE *f)
{
	fputs("| key | flag | default | reload | meaning |\n"
	      "|---|---|---|---|---|\n", f);
	for (int i = 0; i < SRV_CFG__COUNT; i++)
		fprintf(f, "| `%s` | `--%s` | `%s` | %s | %s |\n", keys[i].key,
			keys[i].flag, *keys[i].def ? keys[i].def : "\"\"",
			keys[i].reload ? "SIGHUP" : "restart", keys[i].help);
}

int srv_config_num(const srv_config *c, const char *key, int64_t *out)
{
	int i = find_key(key);

	if (i < 0 || keys[i].type == T_STR || keys[i].type == T_LIST)
		return -1;
	*out = *(const int64_t *)(const void *)((const char *)c + keys[i].off);
	return 0;
}

const char *srv_config_str(const srv_config *c, const char *key)
{
	int i = find_key(key);

	if (i < 0 || (keys[i].type != T_STR && keys[i].type != T_LIST))
		return NULL;
	return (const char *)c + keys[i].off;
}
