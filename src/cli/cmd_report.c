/* cmd_report.c — `vigil report list|show|xml|draft|submit|retract`: hotline
 * reports (vigil/report.h) with the API settings of the serve config file
 * (ncmec_url, ncmec_credentials, reporter_*, master_key_file). */
#include "cli.h"
#include "vigil/server.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void audit(vigil_store *st, const char *action, int64_t id, const char *detail)
{
	vigil_audit a = {0};
	char obj[32];

	snprintf(obj, sizeof(obj), "%lld", (long long)id);
	a.who = "cli";
	a.role = "admin";
	a.action = action;
	a.object = obj;
	a.detail = detail;
	vigil_audit_append(st, &a);
}

static void when(char *buf, size_t cap, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The record, with the work vigil serve's report worker owes it. */
static int show(vigil_store *st, const vigil_report *r)
{
	vigil_report_work w;
	json_t *o = json_pack("{s:I,s:I,s:s,s:s,s:o,s:o,s:i,s:i,s:s,s:I,s:I}", "id",
			      (json_int_t)r->id, "case", (json_int_t)r->case_id, "state",
			      vigil_report_state_name(r->state), "ncmec_id", r->ncmec_id,
			      "files", json_loads(r->files ? r->files : "[]", 0, NULL),
			      "answers", json_loads(r->answers ? r->answers : "[]", 0, NULL),
			      "attempts", r->attempts, "last_code", r->last_code,
			      "last_error", r->last_error, "created", (json_int_t)r->created,
			      "updated", (json_int_t)r->updated);
	if (!o)
		return CLI_EXIT_FAIL;
	if (!vigil_report_work_get(st, r->id, &w))
		json_object_set_new(o, "work",
				    json_pack("{s:s,s:I,s:I,s:i,s:s,s:I}", "kind",
					      w.work ? vigil_report_work_name(w.work) : "none",
					      "since", (json_int_t)w.since, "next",
					      (json_int_t)w.next, "tries", w.tries, "error", w.error,
					      "overdue_alerted", (json_int_t)w.overdue_alerted));
	json_dumpf(o, stdout, JSON_INDENT(1));
	fputc('\n', stdout);
	json_decref(o);
	return CLI_EXIT_OK;
}

/* A text setting of the serve config (never NULL for the keys used here). */
#define CFG(key) (vigil_server_conf_get(cfg, key) ? vigil_server_conf_get(cfg, key) : "")

int cmd_report(const cli_cmd *cmd, int argc, char **argv)
{
	const char *arg, *db = NULL, *conf = NULL, *sub;
	char dbbuf[4096], err[512], userpwd[1024], t[32];
	int c, rc = CLI_EXIT_FAIL, files = 0, have_key = 0, confirm = 0;
	long idl = 0;
	int64_t id = 0;
	uint8_t master[VIGIL_MASTER_KEY_BYTES];
	vigil_ctx *ctx = NULL;
	vigil_store *st = NULL;
	vigil_server_conf *cfg = NULL;

	while ((c = cli_next_opt(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case 'h': cli_usage(stdout, cmd); return CLI_EXIT_OK;
		case CLI_OPT_DB: db = arg; break;
		case CLI_OPT_CONFIG: conf = arg; break;
		case CLI_OPT_FILES: files = 1; break;
		case CLI_OPT_CONFIRM: confirm = 1; break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (cli_optind() >= argc) {
		cli_usage(stderr, cmd);
		return CLI_EXIT_USAGE;
	}
	sub = argv[cli_optind()];
	if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "xml") &&
	    strcmp(sub, "draft") && strcmp(sub, "submit") && strcmp(sub, "retract") &&
	    strcmp(sub, "resend")) {
		fprintf(stderr, "vigil report: unknown subcommand '%s'\n", sub);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(sub, "list")) {
		if (cli_optind() + 2 != argc ||
		    cli_parse_int(argv[cli_optind() + 1], 1, 0x7fffffffffffffffL, &idl)) {
			fprintf(stderr, "vigil report %s: expected one %s\n", sub,
				strcmp(sub, "draft") ? "report ID" : "case ID");
			return CLI_EXIT_USAGE;
		}
		id = idl;
	}
	if (!strcmp(sub, "resend") && !confirm) {
		fprintf(stderr, "vigil report resend: a report whose /submit answer was lost may "
				"be at NCMEC already; check with NCMEC, then pass --confirm if "
				"it never arrived\n");
		return CLI_EXIT_USAGE;
	}
	if (vigil_server_conf_new(&cfg)) {
		fprintf(stderr, "vigil report: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	if (conf && (vigil_server_conf_file(cfg, conf, err, sizeof(err)) ||
		     vigil_server_conf_load(cfg, err, sizeof(err)))) {
		fprintf(stderr, "vigil report: %s\n", err);
		vigil_server_conf_free(cfg);
		return CLI_EXIT_USAGE;
	}
	if (sodium_init() < 0 || vigil_ctx_new(&ctx)) {
		fprintf(stderr, "vigil report: cannot start\n");
		goto out;
	}
	db = db ? db : *CFG("db") ? CFG("db") : NULL;
	db = cli_db_path(db, dbbuf, sizeof(dbbuf));
	if (!db || vigil_store_open(ctx, db, &st)) {
		fprintf(stderr, "vigil report: %s\n", vigil_errmsg(ctx));
		goto out;
	}
	/* The report rows and case contexts are sealed under master_key_file
	 * (vigil_store_set_seal_key), as vigil serve writes them. */
	if (*CFG("master_key_file")) {
		if (vigil_master_key_load(ctx, CFG("master_key_file"), master) ||
		    vigil_store_set_seal_key(st, master)) {
			fprintf(stderr, "vigil report: %s\n", vigil_errmsg(ctx));
			goto out;
		}
		have_key = 1;
	}
	vigil_reporter rep = {CFG("reporter_email"), CFG("reporter_first_name"),
			      CFG("reporter_last_name"), CFG("esp_service"), NULL};
	if (!strcmp(sub, "list")) {
		vigil_report *v = NULL;
		size_t n = 0;
		if (vigil_report_list(st, &v, &n)) {
			fprintf(stderr, "vigil report: %s\n", vigil_errmsg(ctx));
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			when(t, sizeof(t), v[i].updated);
			printf("%lld %s case=%lld ncmec=%s updated=%s\n", (long long)v[i].id,
			       vigil_report_state_name(v[i].state), (long long)v[i].case_id,
			       *v[i].ncmec_id ? v[i].ncmec_id : "-", t);
		}
		vigil_reports_free(v, n);
		rc = CLI_EXIT_OK;
	} else if (!strcmp(sub, "draft")) {
		int64_t rid;
		if (vigil_report_draft(st, id, (int64_t)time(NULL), &rid)) {
			fprintf(stderr, "vigil report draft: %s\n", vigil_errmsg(ctx));
			goto out;
		}
		audit(st, "report.draft", rid, "");
		printf("%lld\n", (long long)rid);
		rc = CLI_EXIT_OK;
	} else if (!strcmp(sub, "show")) {
		vigil_report r;
		if (vigil_report_get(st, id, &r)) {
			fprintf(stderr, "vigil report show: %s\n", vigil_errmsg(ctx));
			goto out;
		}
		rc = show(st, &r);
		vigil_report_clear(&r);
	} else if (!strcmp(sub, "xml")) {
		vigil_report r;
		char *doc = NULL;
		if (vigil_report_get(st, id, &r)) {
			fprintf(stderr, "vigil report xml: %s\n", vigil_errmsg(ctx));
			goto out;
		}
		if (!files) {
			if (vigil_report_xml(st, id, &rep, (int64_t)time(NULL), &doc)) {
				fprintf(stderr, "vigil report xml: %s\n", vigil_errmsg(ctx));
				vigil_report_clear(&r);
				goto out;
			}
			fputs(doc, stdout);
			free(doc);
		} else {
			int nm = 0;
			vigil_case_media_count(st, r.case_id, &nm);
			for (int k = 1; k <= nm; k++) {
				if (vigil_report_file_sent_xml(st, id, k, &doc)) {
					fprintf(stderr, "vigil report xml: %s\n", vigil_errmsg(ctx));
					vigil_report_clear(&r);
					goto out;
				}
				fputs(doc, stdout);
				free(doc);
			}
		}
		vigil_report_clear(&r);
		rc = CLI_EXIT_OK;
	} else {
		vigil_ncmec_opts o;
		int r2, was = -1;
		if (!*CFG("ncmec_url")) {
			fprintf(stderr, "vigil report %s: ncmec_url is not set in the config\n", sub);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		if (vigil_ncmec_credentials(ctx, CFG("ncmec_credentials"), userpwd,
					    sizeof(userpwd))) {
			fprintf(stderr, "vigil report %s: ncmec_credentials: expected env:VAR or "
					"file:PATH holding user:password\n", sub);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		memset(&o, 0, sizeof(o));
		o.base_url = CFG("ncmec_url");
		o.userpwd = userpwd;
		o.reporter = &rep;
		o.master_key = have_key ? master : NULL;
		o.backoff_ms = 200;
		{
			vigil_report b;
			if (!vigil_report_get(st, id, &b)) {
				was = b.state;
				vigil_report_clear(&b);
			}
		}
		if (!strcmp(sub, "resend")) {
			/* Made a draft and audited before anything is sent,
			 * so the record says who decided it. */
			char d[96];
			if (vigil_report_resend(st, id)) {
				fprintf(stderr, "vigil report resend: %s\n", vigil_errmsg(ctx));
				goto out;
			}
			snprintf(d, sizeof(d), "{\"was\":\"unknown\",\"confirmed\":true}");
			audit(st, "report.resend", id, d);
			was = VIGIL_REPORT_DRAFT;
		}
		r2 = strcmp(sub, "retract") ? vigil_report_submit(st, id, &o)
					    : vigil_report_retract(st, id, &o);
		sodium_memzero(userpwd, sizeof(userpwd));
		{
			vigil_report r;
			if (!vigil_report_get(st, id, &r)) {
				char d[160];
				snprintf(d, sizeof(d), "{\"state\":\"%s\",\"was\":\"%s\","
					 "\"ncmec_id\":\"%s\"}", vigil_report_state_name(r.state),
					 vigil_report_state_name(was), r.ncmec_id);
				audit(st, strcmp(sub, "retract") ? "report.submit" : "report.retract",
				      id, d);
				printf("report %lld: %s%s%s\n", (long long)id,
				       vigil_report_state_name(r.state), *r.ncmec_id ? " ncmec=" : "",
				       r.ncmec_id);
				vigil_report_clear(&r);
			}
		}
		if (r2) {
			fprintf(stderr, "vigil report %s: %s\n", sub, vigil_errmsg(ctx));
			goto out;
		}
		/* What was sent is preserved now (vigil/evidence.h); the
		 * retention job of vigil serve catches up on any miss. */
		if (have_key && vigil_preserve(st, master, id, (int64_t)time(NULL), "cli", 0, NULL))
			fprintf(stderr, "vigil report %s: preserving the evidence: %s (vigil "
				"evidence sweep retries)\n", sub, vigil_errmsg(ctx));
		rc = CLI_EXIT_OK;
	}
out:
	sodium_memzero(master, sizeof(master));
	vigil_store_close(st);
	vigil_ctx_free(ctx);
	vigil_server_conf_free(cfg);
	return rc;
}
