/* cmd_audit.c — `vigil audit verify|checkpoint|keygen|export`: the
 * tamper-evident audit trail (the chain and checkpoints: src/store/audit.c).
 *
 * An export is a JSON document that proves itself: its records chain from
 * an anchor hash, links (id and content digest, no content) carry the
 * chain on to the next signed checkpoint, and `vigil audit verify --export`
 * checks all of it without the store. */
#include "cli.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXPORT_FORMAT "vigil-audit-export-1"

static void hex(char *out, const uint8_t *b, size_t n)
{
	sodium_bin2hex(out, n * 2 + 1, b, n);
}

static int unhex(const char *s, uint8_t *b, size_t n)
{
	size_t got = 0;

	return !s || strlen(s) != n * 2 ||
	       sodium_hex2bin(b, n, s, n * 2, NULL, &got, NULL) || got != n;
}

/* A bound of --from/--to: a record id, or a UTC date YYYY-MM-DD (the
 * start of that day; `to` takes the end of it). *is_time says which. */
static int parse_bound(const char *s, int to, int64_t *out, int *is_time)
{
	struct tm tm;
	long v;
	char *end;

	if (!cli_parse_int(s, 1, 0x7fffffffffffffffL, &v)) {
		*out = v;
		*is_time = 0;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end || *end)
		return -1;
	*out = ((int64_t)timegm(&tm) + (to ? 86400 : 0)) * 1000 - (to ? 1 : 0);
	*is_time = 1;
	return 0;
}

typedef struct exporter {
	int64_t from, to;     /* bounds as given */
	int from_time, to_time;
	int64_t first, last;  /* ids of the range (pass 1) */
	int64_t link_to;      /* links up to this id (the checkpoint's) */
	json_t *records, *links;
	int oom;
} exporter;

static int range_row(void *user, const vigil_audit *a)
{
	exporter *e = user;
	int after = e->from_time ? a->time_ms >= e->from : a->id >= e->from;
	int before = e->to_time ? a->time_ms <= e->to : a->id <= e->to;

	if (after && before) {
		if (!e->first)
			e->first = a->id;
		e->last = a->id;
	}
	return 0;
}

static int export_row(void *user, const vigil_audit *a)
{
	exporter *e = user;
	char p[65], h[65], c[65];
	uint8_t content[32], hash[32];
	json_t *o;

	if (a->id > e->link_to && a->id > e->last)
		return 1;
	hex(p, a->prev, 32);
	hex(h, a->hash, 32);
	if (a->id <= e->last)
		o = json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
			      "id", (json_int_t)a->id, "time_ms", (json_int_t)a->time_ms,
			      "who", a->who ? a->who : "", "role", a->role ? a->role : "",
			      "action", a->action ? a->action : "",
			      "object", a->object ? a->object : "",
			      "detail", a->detail ? a->detail : "",
			      "source", a->source ? a->source : "", "prev", p, "hash", h);
	else {
		vigil_audit_digest(a, a->prev, content, hash);
		hex(c, content, 32);
		o = json_pack("{s:I,s:s}", "id", (json_int_t)a->id, "content", c);
	}
	if (!o || json_array_append_new(a->id <= e->last ? e->records : e->links, o)) {
		e->oom = 1;
		return 1;
	}
	return 0;
}

static json_t *cp_json(const vigil_audit_checkpoint *c)
{
	char h[65], pk[65], sig[129];

	hex(h, c->hash, 32);
	hex(pk, c->pubkey, 32);
	hex(sig, c->sig, 64);
	return json_pack("{s:I,s:I,s:I,s:s,s:s,s:s}", "id", (json_int_t)c->id,
			 "audit_id", (json_int_t)c->audit_id, "time_ms",
			 (json_int_t)c->time_ms, "hash", h, "pubkey", pk, "sig", sig);
}

static int do_export(vigil_ctx *ctx, vigil_store *st, exporter *e)
{
	vigil_audit_checkpoint *cps = NULL, *cp = NULL;
	size_t n = 0;
	json_t *doc = NULL;
	int rc = CLI_EXIT_FAIL;

	if (vigil_audit_scan(st, 0, SIZE_MAX, range_row, e) ||
	    vigil_audit_checkpoint_list(st, &cps, &n)) {
		fprintf(stderr, "vigil audit export: %s\n", vigil_errmsg(ctx));
		goto out;
	}
	if (!e->first) {
		fprintf(stderr, "vigil audit export: no record in that range\n");
		goto out;
	}
	for (size_t i = 0; i < n && !cp; i++)
		if (cps[i].audit_id >= e->last)
			cp = &cps[i];
	e->link_to = cp ? cp->audit_id : e->last;
	e->records = json_array();
	e->links = json_array();
	doc = json_pack("{s:s,s:I,s:I,s:o,s:o,s:o}", "format", EXPORT_FORMAT,
			"from", (json_int_t)e->first, "to", (json_int_t)e->last,
			"records", e->records, "links", e->links,
			"checkpoint", cp ? cp_json(cp) : json_null());
	if (!doc || vigil_audit_scan(st, e->first - 1, SIZE_MAX, export_row, e) < 0 ||
	    e->oom) {
		fprintf(stderr, "vigil audit export: out of memory or store error\n");
		goto out;
	}
	if (json_dumpf(doc, stdout, JSON_INDENT(1)) || fputc('\n', stdout) == EOF)
		goto out;
	if (!cp)
		fprintf(stderr, "vigil audit export: no checkpoint covers record %lld "
				"yet: the export proves its order, not that it is complete "
				"(vigil audit checkpoint)\n", (long long)e->last);
	rc = CLI_EXIT_OK;
out:
	json_decref(doc);
	free(cps);
	return rc;
}

/* Checks an export without the store: each record against its hash, the
 * chain through the records and links, the checkpoint's hash and
 * signature. Prints the verdict; 0 if it holds. */
static int verify_export(const char *path, const uint8_t *pk)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr), *r, *cpj;
	uint8_t prev[32], content[32], hash[32], want[32];
	vigil_audit_checkpoint cp;
	size_t i;
	int64_t id = 0, expect_id = 0;
	int ok = 0;

	if (!doc) {
		fprintf(stderr, "vigil audit verify: %s: %s\n", path, jerr.text);
		return CLI_EXIT_FAIL;
	}
	if (strcmp(json_string_value(json_object_get(doc, "format")) ? json_string_value(json_object_get(doc, "format")) : "", EXPORT_FORMAT)) {
		printf("%s: not a vigil audit export\n", path);
		goto out;
	}
	json_array_foreach(json_object_get(doc, "records"), i, r) {
		vigil_audit a;
		memset(&a, 0, sizeof(a));
		a.id = json_integer_value(json_object_get(r, "id"));
		a.time_ms = json_integer_value(json_object_get(r, "time_ms"));
		a.who = json_string_value(json_object_get(r, "who"));
		a.role = json_string_value(json_object_get(r, "role"));
		a.action = json_string_value(json_object_get(r, "action"));
		a.object = json_string_value(json_object_get(r, "object"));
		a.detail = json_string_value(json_object_get(r, "detail"));
		a.source = json_string_value(json_object_get(r, "source"));
		if (unhex(json_string_value(json_object_get(r, "prev")), a.prev, 32) ||
		    unhex(json_string_value(json_object_get(r, "hash")), want, 32)) {
			printf("record %lld: malformed\n", (long long)a.id);
			goto out;
		}
		if (i && (a.id != expect_id || memcmp(a.prev, prev, 32))) {
			printf("record %lld: does not follow record %lld\n",
			       (long long)a.id, (long long)id);
			goto out;
		}
		vigil_audit_digest(&a, a.prev, content, hash);
		if (memcmp(hash, want, 32)) {
			printf("record %lld changed: its content does not match its hash\n",
			       (long long)a.id);
			goto out;
		}
		memcpy(prev, hash, 32);
		id = a.id;
		expect_id = id + 1;
	}
	if (!id) {
		printf("%s: no records\n", path);
		goto out;
	}
	json_array_foreach(json_object_get(doc, "links"), i, r) {
		int64_t lid = json_integer_value(json_object_get(r, "id"));
		if (lid != expect_id ||
		    unhex(json_string_value(json_object_get(r, "content")), content, 32)) {
			printf("link %lld: malformed or out of order\n", (long long)lid);
			goto out;
		}
		vigil_audit_link(prev, content, prev);
		id = lid;
		expect_id = id + 1;
	}
	cpj = json_object_get(doc, "checkpoint");
	if (!json_is_object(cpj)) {
		printf("ok: records %lld..%lld chain; no checkpoint covers them, so "
		       "nothing proves they are complete\n",
		       (long long)json_integer_value(json_object_get(doc, "from")),
		       (long long)json_integer_value(json_object_get(doc, "to")));
		ok = 1;
		goto out;
	}
	memset(&cp, 0, sizeof(cp));
	cp.id = json_integer_value(json_object_get(cpj, "id"));
	cp.audit_id = json_integer_value(json_object_get(cpj, "audit_id"));
	cp.time_ms = json_integer_value(json_object_get(cpj, "time_ms"));
	if (unhex(json_string_value(json_object_get(cpj, "hash")), cp.hash, 32) ||
	    unhex(json_string_value(json_object_get(cpj, "pubkey")), cp.pubkey, 32) ||
	    unhex(json_string_value(json_object_get(cpj, "sig")), cp.sig, 64)) {
		printf("checkpoint: malformed\n");
		goto out;
	}
	{
		uint8_t msg[VIGIL_AUDIT_CP_MSG];
		vigil_audit_checkpoint_message(&cp, msg);
		if ((pk && memcmp(pk, cp.pubkey, 32)) ||
		    crypto_sign_verify_detached(cp.sig, msg, sizeof(msg),
						pk ? pk : cp.pubkey)) {
			printf("checkpoint %lld: the signature does not verify%s\n",
			       (long long)cp.id, pk ? " with the trusted key" : "");
			goto out;
		}
	}
	if (cp.audit_id != id || memcmp(cp.hash, prev, 32)) {
		printf("checkpoint %lld (record %lld) does not match the chain of the "
		       "export\n", (long long)cp.id, (long long)cp.audit_id);
		goto out;
	}
	printf("ok: records %lld..%lld chain to checkpoint %lld (record %lld)%s\n",
	       (long long)json_integer_value(json_object_get(doc, "from")),
	       (long long)json_integer_value(json_object_get(doc, "to")),
	       (long long)cp.id, (long long)cp.audit_id,
	       pk ? ", signed by the trusted key"
		  : ", signed by the key it names (give --pubkey to trust it)");
	ok = 1;
out:
	json_decref(doc);
	return ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

static int load_seed(vigil_ctx *ctx, const char *path, uint8_t seed[32])
{
	if (!path) {
		fprintf(stderr, "vigil audit: --key FILE is required\n");
		return -1;
	}
	if (vigil_master_key_load(ctx, path, seed)) {
		fprintf(stderr, "vigil audit: %s\n", vigil_errmsg(ctx));
		return -1;
	}
	return 0;
}

int cmd_audit(const cli_cmd *cmd, int argc, char **argv)
{
	const char *arg, *db = NULL, *sub, *keyfile = NULL, *pkhex = NULL,
		   *export_file = NULL, *from = NULL, *to = NULL;
	char dbbuf[4096], hx[65];
	uint8_t seed[32], pk[32];
	int c, rc = CLI_EXIT_FAIL, have_pk = 0;
	vigil_ctx *ctx = NULL;
	vigil_store *st = NULL;

	while ((c = cli_next_opt(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case 'h': cli_usage(stdout, cmd); return CLI_EXIT_OK;
		case CLI_OPT_DB: db = arg; break;
		case CLI_OPT_KEY_FILE: keyfile = arg; break;
		case CLI_OPT_PUBKEY: pkhex = arg; break;
		case CLI_OPT_EXPORT: export_file = arg; break;
		case CLI_OPT_FROM: from = arg; break;
		case CLI_OPT_TO: to = arg; break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (cli_optind() >= argc) {
		cli_usage(stderr, cmd);
		return CLI_EXIT_USAGE;
	}
	sub = argv[cli_optind()];
	if (strcmp(sub, "verify") && strcmp(sub, "checkpoint") && strcmp(sub, "keygen") &&
	    strcmp(sub, "export") && strcmp(sub, "pubkey")) {
		fprintf(stderr, "vigil audit: unknown subcommand '%s'\n", sub);
		return CLI_EXIT_USAGE;
	}
	if (pkhex) {
		if (unhex(pkhex, pk, 32)) {
			fprintf(stderr, "vigil audit: --pubkey: expected 64 hex digits\n");
			return CLI_EXIT_USAGE;
		}
		have_pk = 1;
	}
	if (sodium_init() < 0 || vigil_ctx_new(&ctx)) {
		fprintf(stderr, "vigil audit: cannot start\n");
		goto out;
	}
	if (!strcmp(sub, "keygen") || !strcmp(sub, "pubkey")) {
		if (!strcmp(sub, "keygen") && vigil_master_key_create(ctx, keyfile ? keyfile : "")) {
			fprintf(stderr, "vigil audit keygen: %s\n", vigil_errmsg(ctx));
			goto out;
		}
		if (load_seed(ctx, keyfile, seed))
			goto out;
		vigil_audit_pubkey(seed, pk);
		sodium_memzero(seed, sizeof(seed));
		hex(hx, pk, 32);
		printf("%s\n", hx);
		rc = CLI_EXIT_OK;
		goto out;
	}
	if (!strcmp(sub, "verify") && export_file) {
		rc = verify_export(export_file, have_pk ? pk : NULL);
		goto out;
	}
	if (keyfile && !have_pk && !strcmp(sub, "verify")) {
		if (load_seed(ctx, keyfile, seed))
			goto out;
		vigil_audit_pubkey(seed, pk);
		sodium_memzero(seed, sizeof(seed));
		have_pk = 1;
	}
	db = cli_db_path(db, dbbuf, sizeof(dbbuf));
	if (!db || vigil_store_open(ctx, db, &st)) {
		fprintf(stderr, "vigil audit: %s\n", vigil_errmsg(ctx));
		goto out;
	}
	if (!strcmp(sub, "verify")) {
		vigil_audit_verdict v;
		if (vigil_audit_verify(st, have_pk ? pk : NULL, &v)) {
			fprintf(stderr, "vigil audit verify: %s\n", vigil_errmsg(ctx));
			goto out;
		}
		printf("%s\n", v.text);
		rc = v.problem ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	} else if (!strcmp(sub, "checkpoint")) {
		vigil_audit_checkpoint cp;
		if (load_seed(ctx, keyfile, seed))
			goto out;
		c = vigil_audit_checkpoint_make(st, seed, &cp);
		sodium_memzero(seed, sizeof(seed));
		if (c) {
			fprintf(stderr, "vigil audit checkpoint: %s\n", vigil_errmsg(ctx));
			goto out;
		}
		hex(hx, cp.hash, 32);
		printf("checkpoint %lld: record %lld %s\n", (long long)cp.id,
		       (long long)cp.audit_id, hx);
		rc = CLI_EXIT_OK;
	} else {
		exporter e;
		memset(&e, 0, sizeof(e));
		if (parse_bound(from ? from : "1", 0, &e.from, &e.from_time) ||
		    (to && parse_bound(to, 1, &e.to, &e.to_time))) {
			fprintf(stderr, "vigil audit export: --from/--to: a record id or "
					"YYYY-MM-DD\n");
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		if (!to)
			e.to = INT64_MAX;
		rc = do_export(ctx, st, &e);
	}
out:
	vigil_store_close(st);
	vigil_ctx_free(ctx);
	return rc;
}
