/* cmd_evidence.c — `vigil evidence list|show|hold|release|export|verify|
 * sweep`: preserved evidence (vigil/evidence.h, docs/evidence.md). The
 * master key comes from --master-key or the serve config's
 * master_key_file; every access, hold, release, export and deletion is
 * audited by the library as who=cli. */
#include "cli.h"
#include "vigil/server.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *state_of(const vigil_preserved_item *it, char *buf, size_t cap)
{
	char t[32];

	if (it->deleted) {
		cli_utc_time(t, sizeof(t), it->deleted);
		snprintf(buf, cap, "deleted=%s", t);
	} else if (it->holds) {
		snprintf(buf, cap, "held=%d", it->holds);
	} else {
		snprintf(buf, cap, "kept");
	}
	return buf;
}

static int parse_id(const char *s, int64_t *out)
{
	long v;

	if (cli_parse_int(s, 1, 0x7fffffffffffffffL, &v))
		return -1;
	*out = v;
	return 0;
}

static int load_key(vigil_ctx *ctx, const char *what, const char *path, uint8_t key[32])
{
	if (!path || !*path) {
		fprintf(stderr, "vigil evidence: %s is required\n", what);
		return -1;
	}
	if (vigil_master_key_load(ctx, path, key)) {
		fprintf(stderr, "vigil evidence: %s\n", vigil_errmsg(ctx));
		return -1;
	}
	return 0;
}

/* Metadata and holds as JSON; the item is opened (an audited access) to
 * check it is intact, and its content printed only with --content. */
static int show(vigil_store *st, vigil_ctx *ctx, const uint8_t *master, int64_t id,
		int content)
{
	vigil_preserved_item it;
	vigil_legal_hold *h = NULL;
	size_t nh = 0, len = 0;
	uint8_t *plain = NULL, dig[32];
	char sha[65], t[32], st_buf[64];
	json_t *o, *holds;
	int rc;

	if (vigil_preserved_get(st, id, &it, &h, &nh)) {
		fprintf(stderr, "vigil evidence show: %s\n", vigil_errmsg(ctx));
		return CLI_EXIT_FAIL;
	}
	if (vigil_preserved_open(st, master, id, "cli", &plain, &len)) {
		fprintf(stderr, "vigil evidence show: %s\n", vigil_errmsg(ctx));
		free(h);
		return CLI_EXIT_FAIL;
	}
	crypto_hash_sha256(dig, plain, len);
	sodium_bin2hex(sha, sizeof(sha), it.sha256, 32);
	cli_utc_time(t, sizeof(t), it.preserved);
	holds = json_array();
	for (size_t i = 0; i < nh; i++) {
		char c[32], r[32];
		cli_utc_time(c, sizeof(c), h[i].created);
		cli_utc_time(r, sizeof(r), h[i].released);
		json_array_append_new(holds, json_pack("{s:I,s:s,s:s,s:s,s:s?,s:s?}", "id",
						       (json_int_t)h[i].id, "reason", h[i].reason,
						       "who", h[i].who, "created", c, "released",
						       h[i].released ? r : NULL, "released_by",
						       h[i].released ? h[i].released_by : NULL));
	}
	o = json_pack("{s:I,s:I,s:I,s:s,s:i,s:s,s:I,s:s,s:s,s:s,s:b,s:o}", "id",
		      (json_int_t)it.id, "report", (json_int_t)it.report_id, "case",
		      (json_int_t)it.case_id, "kind", it.kind, "n", it.n, "content_type",
		      it.content_type, "bytes", (json_int_t)it.bytes, "sha256", sha, "preserved",
		      t, "state", state_of(&it, st_buf, sizeof(st_buf)), "intact",
		      !sodium_memcmp(dig, it.sha256, 32), "holds", holds);
	rc = o ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	if (content) {
		fwrite(plain, 1, len, stdout);
	} else if (o) {
		json_dumpf(o, stdout, JSON_INDENT(1));
		fputc('\n', stdout);
	}
	json_decref(o);
	sodium_memzero(plain, len);
	free(plain);
	free(h);
	return rc;
}

#define CFG(key) (vigil_server_conf_get(cfg, key) ? vigil_server_conf_get(cfg, key) : "")

int cmd_evidence(const cli_cmd *cmd, int argc, char **argv)
{
	const char *arg, *db = NULL, *conf = NULL, *sub, *mkey = NULL, *skey = NULL,
		   *out_dir = NULL, *to = NULL, *reason = NULL, *by = "cli", *pub = NULL;
	char dbbuf[4096], err[512];
	int c, rc = CLI_EXIT_FAIL, content = 0, have_master = 0, days_given = 0;
	long days = VIGIL_EVIDENCE_RETENTION_MIN_DAYS, lv;
	int64_t report = 0, now = (int64_t)time(NULL), *ids = NULL;
	size_t nids = 0;
	uint8_t master[VIGIL_MASTER_KEY_BYTES], seed[32], topk[32], pk[32];
	vigil_ctx *ctx = NULL;
	vigil_store *st = NULL;
	vigil_server_conf *cfg = NULL;

	while ((c = cli_next_opt(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case 'h': cli_usage(stdout, cmd); return CLI_EXIT_OK;
		case CLI_OPT_DB: db = arg; break;
		case CLI_OPT_CONFIG: conf = arg; break;
		case CLI_OPT_MASTER_KEY: mkey = arg; break;
		case CLI_OPT_KEY_FILE: skey = arg; break;
		case CLI_OPT_PUBKEY: pub = arg; break;
		case CLI_OPT_OUT: out_dir = arg; break;
		case CLI_OPT_TO: to = arg; break;
		case CLI_OPT_REASON: reason = arg; break;
		case CLI_OPT_BY: by = arg; break;
		case CLI_OPT_CONTENT: content = 1; break;
		case CLI_OPT_REPORT:
			if (parse_id(arg, &report)) {
				fprintf(stderr, "vigil evidence: --report: expected a report id\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case CLI_OPT_RETENTION:
			if (cli_parse_int(arg, 0, 0x7fffffffL, &days)) {
				fprintf(stderr, "vigil evidence: --retention-days: expected days\n");
				return CLI_EXIT_USAGE;
			}
			days_given = 1;
			break;
		case CLI_OPT_NOW:
			/* A clock for tests: deleting early breaks the law, so it
			 * needs the environment's consent as well. */
			if (!getenv("VIGIL_TEST_CLOCK") || strcmp(getenv("VIGIL_TEST_CLOCK"), "1") ||
			    cli_parse_int(arg, 1, 0x7fffffffffffffffL, &lv)) {
				fprintf(stderr, "vigil evidence: --now UNIX is for tests and needs "
						"VIGIL_TEST_CLOCK=1 in the environment\n");
				return CLI_EXIT_USAGE;
			}
			now = lv;
			break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (cli_optind() >= argc) {
		cli_usage(stderr, cmd);
		return CLI_EXIT_USAGE;
	}
	sub = argv[cli_optind()];
	if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "hold") &&
	    strcmp(sub, "release") && strcmp(sub, "export") && strcmp(sub, "verify") &&
	    strcmp(sub, "sweep")) {
		fprintf(stderr, "vigil evidence: unknown subcommand '%s'\n", sub);
		return CLI_EXIT_USAGE;
	}
	if (sodium_init() < 0 || vigil_ctx_new(&ctx)) {
		fprintf(stderr, "vigil evidence: cannot start\n");
		return CLI_EXIT_FAIL;
	}
	if (!strcmp(sub, "verify")) {
		if (cli_optind() + 2 != argc || !pub || strlen(pub) != 64 ||
		    sodium_hex2bin(pk, 32, pub, 64, NULL, NULL, NULL)) {
			fprintf(stderr, "vigil evidence verify: expected BUNDLE_DIR --pubkey HEX "
					"(64 hex digits: vigil audit pubkey --key FILE)\n");
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		if (vigil_bundle_verify(ctx, argv[cli_optind() + 1], pk)) {
			fprintf(stderr, "vigil evidence verify: %s\n", vigil_errmsg(ctx));
			goto out;
		}
		printf("bundle %s: signature and every file's SHA-256 hold\n",
		       argv[cli_optind() + 1]);
		rc = CLI_EXIT_OK;
		goto out;
	}
	/* The rest: ids after the subcommand. */
	nids = (size_t)(argc - cli_optind() - 1);
	if (nids > VIGIL_EVIDENCE_BUNDLE_MAX) {
		fprintf(stderr, "vigil evidence %s: at most %d ids\n", sub,
			VIGIL_EVIDENCE_BUNDLE_MAX);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	ids = calloc(nids + 1, sizeof(*ids));
	if (!ids) {
		fprintf(stderr, "vigil evidence: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < nids; i++)
		if (parse_id(argv[cli_optind() + 1 + (int)i], &ids[i])) {
			fprintf(stderr, "vigil evidence %s: '%s' is not an id\n", sub,
				argv[cli_optind() + 1 + (int)i]);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	if ((!strcmp(sub, "list") || !strcmp(sub, "sweep")) && nids) {
		fprintf(stderr, "vigil evidence %s: takes no ids\n", sub);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if ((!strcmp(sub, "show") || !strcmp(sub, "release")) && nids != 1) {
		fprintf(stderr, "vigil evidence %s: expected one %s id\n", sub,
			strcmp(sub, "show") ? "hold" : "item");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (!strcmp(sub, "hold") && (!nids || !reason || !*reason)) {
		fprintf(stderr, "vigil evidence hold: expected ITEM... --reason TEXT\n");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (!strcmp(sub, "export") && ((!nids && !report) || !out_dir || !skey)) {
		fprintf(stderr, "vigil evidence export: expected ITEM... or --report ID, "
				"--out DIR and --key FILE (the signing key)\n");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (to && (strlen(to) != 64 || sodium_hex2bin(topk, 32, to, 64, NULL, NULL, NULL))) {
		fprintf(stderr, "vigil evidence export: --to: expected the recipient's X25519 "
				"public key, 64 hex digits\n");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (vigil_server_conf_new(&cfg)) {
		fprintf(stderr, "vigil evidence: out of memory\n");
		goto out;
	}
	if (conf && (vigil_server_conf_file(cfg, conf, err, sizeof(err)) ||
		     vigil_server_conf_load(cfg, err, sizeof(err)))) {
		fprintf(stderr, "vigil evidence: %s\n", err);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	/* The retention serve uses (evidence_retention_days of --config),
	 * unless --retention-days overrides it; never under a year. */
	if (!days_given && conf) {
		int64_t v = 0;
		if (!vigil_server_conf_get_num(cfg, "evidence_retention_days", &v))
			days = (long)v;
	}
	if (!strcmp(sub, "sweep") && vigil_retention_ok(ctx, days)) {
		fprintf(stderr, "vigil evidence sweep: %s\n", vigil_errmsg(ctx));
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (!mkey && *CFG("master_key_file"))
		mkey = CFG("master_key_file");
	if (!strcmp(sub, "show") || !strcmp(sub, "export") || mkey) {
		if (load_key(ctx, "--master-key FILE (or master_key_file in --config)", mkey,
			     master))
			goto out;
		have_master = 1;
	}
	db = db ? db : *CFG("db") ? CFG("db") : NULL;
	db = cli_db_path(db, dbbuf, sizeof(dbbuf));
	if (!db || vigil_store_open(ctx, db, &st)) {
		fprintf(stderr, "vigil evidence: %s\n", vigil_errmsg(ctx));
		goto out;
	}
	/* What the sweep preserves is read from sealed report rows. */
	if (have_master && vigil_store_set_seal_key(st, master)) {
		fprintf(stderr, "vigil evidence: %s\n", vigil_errmsg(ctx));
		goto out;
	}
	if (!strcmp(sub, "list")) {
		vigil_preserved_item *v = NULL;
		size_t n = 0;
		if (vigil_preserved_list(st, report, &v, &n)) {
			fprintf(stderr, "vigil evidence list: %s\n", vigil_errmsg(ctx));
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			char t[32], s[64];
			cli_utc_time(t, sizeof(t), v[i].preserved);
			printf("%lld %s n=%d report=%lld case=%lld bytes=%lld preserved=%s %s\n",
			       (long long)v[i].id, v[i].kind, v[i].n, (long long)v[i].report_id,
			       (long long)v[i].case_id, (long long)v[i].bytes, t,
			       state_of(&v[i], s, sizeof(s)));
		}
		free(v);
		rc = CLI_EXIT_OK;
	} else if (!strcmp(sub, "show")) {
		rc = show(st, ctx, master, ids[0], content);
	} else if (!strcmp(sub, "hold")) {
		rc = CLI_EXIT_OK;
		for (size_t i = 0; i < nids; i++) {
			int64_t hid;
			if (vigil_legal_hold_place(st, ids[i], reason, by, now, &hid)) {
				fprintf(stderr, "vigil evidence hold: %s\n", vigil_errmsg(ctx));
				rc = CLI_EXIT_FAIL;
				break;
			}
			printf("hold %lld on item %lld\n", (long long)hid, (long long)ids[i]);
		}
	} else if (!strcmp(sub, "release")) {
		if (vigil_legal_hold_release(st, ids[0], by, now)) {
			fprintf(stderr, "vigil evidence release: %s\n", vigil_errmsg(ctx));
			goto out;
		}
		printf("hold %lld released\n", (long long)ids[0]);
		rc = CLI_EXIT_OK;
	} else if (!strcmp(sub, "export")) {
		vigil_bundle_opts o;
		if (load_key(ctx, "--key FILE", skey, seed))
			goto out;
		if (report) { /* every kept item of the report */
			vigil_preserved_item *v = NULL;
			size_t n = 0;
			int64_t *t;
			/* Exporting a draft reports it through this channel: what
			 * goes out is preserved first, from now. */
			if (vigil_preserve(st, master, report, now, "cli", VIGIL_PRESERVE_DRAFT, NULL) ||
			    vigil_preserved_list(st, report, &v, &n)) {
				fprintf(stderr, "vigil evidence export: %s\n", vigil_errmsg(ctx));
				goto out;
			}
			t = realloc(ids, (nids + n + 1) * sizeof(*ids));
			if (!t) {
				free(v);
				fprintf(stderr, "vigil evidence export: out of memory\n");
				goto out;
			}
			ids = t;
			for (size_t i = 0; i < n; i++)
				if (!v[i].deleted)
					ids[nids++] = v[i].id;
			free(v);
			if (!nids) {
				fprintf(stderr, "vigil evidence export: report %lld has no kept "
						"items\n", (long long)report);
				goto out;
			}
		}
		memset(&o, 0, sizeof(o));
		o.seed = seed;
		o.to_pk = to ? topk : NULL;
		o.who = "cli";
		o.reason = reason;
		o.now = now;
		if (vigil_bundle_write(st, master, ids, nids, out_dir, &o)) {
			fprintf(stderr, "vigil evidence export: %s\n", vigil_errmsg(ctx));
			goto out;
		}
		vigil_audit_pubkey(seed, pk);
		{
			char h[65];
			sodium_bin2hex(h, sizeof(h), pk, 32);
			printf("bundle %s: %zu item(s), signed by %s%s\n", out_dir, nids, h,
			       to ? ", sealed to the recipient" : " (files in the clear)");
		}
		rc = CLI_EXIT_OK;
	} else {
		vigil_retention_stats s;
		if (vigil_retention_sweep(st, have_master ? master : NULL, now, days, "cli", &s)) {
			fprintf(stderr, "vigil evidence sweep: %s\n", vigil_errmsg(ctx));
			goto out;
		}
		printf("preserved %zu, deleted %zu, held %zu, kept %zu\n", s.preserved, s.deleted,
		       s.held, s.kept);
		rc = CLI_EXIT_OK;
	}
out:
	sodium_memzero(master, sizeof(master));
	sodium_memzero(seed, sizeof(seed));
	free(ids);
	vigil_store_close(st);
	vigil_ctx_free(ctx);
	vigil_server_conf_free(cfg);
	return rc;
}
