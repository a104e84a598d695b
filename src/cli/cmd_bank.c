/* cmd_bank.c — `vigil bank SUBCOMMAND`: manage banks and their hash lists. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


typedef struct bank_args {
	const char *db, *desc, *labels, *output;
	int format;      /* list format, -1 unset */
	int type;        /* hash type for 64-digit hex */
	int max_bad;
	int jsonl;       /* list/show as JSON lines */
	long long entry; /* export --format vpdq: the video entry */
	int progress;
	long lock_timeout; /* seconds to wait for another writer's lock */
	long max_bytes;    /* import: input ceiling, 0 for the default */
	const char *action, *kind; /* create: the policy's, or NULL */
	int text;                  /* create --type text: a text bank */
} bank_args;

#define BANK_DEFAULT_LOCK_TIMEOUT 3600 /* s: an hour covers a 100M-line import */
#define BANK_MAX_LOCK_TIMEOUT 604800   /* s: a week */

/* While another process (an import) holds the store's write lock: says so
 * at 1 s and then every 10 s, so that a waiting import is not taken for a
 * hung one. */
static int on_lock_wait(void *user, int64_t waited_ms)
{
	const bank_args *a = user;
	int64_t s = waited_ms / 1000;

	if (s == 1 || s % 10 == 0)
		cli_err("vigil bank: waiting for the store's write lock held "
				"by another process... (%lld s of --lock-timeout %ld)\n",
			(long long)s, a->lock_timeout);
	return 0;
}

typedef struct import_ui {
	const char *file;
	uint64_t size;   /* 0 if unknown */
	int progress;
	double last;
} import_ui;

static int on_bad_line(void *user, uint64_t line, const char *why)
{
	import_ui *ui = user;

	if (ui->progress)
		fputs("\r\033[K", stderr);
	cli_err("%s:%llu: %s\n", ui->file, (unsigned long long)line, why);
	return 0;
}

static void on_progress(void *user, uint64_t bytes, uint64_t lines)
{
	import_ui *ui = user;

	if (!ui->progress)
		return;
	if (ui->size)
		fprintf(stderr, "\r%s: %3d%% %llu lines", ui->file,
			(int)(100.0 * bytes / ui->size), (unsigned long long)lines);
	else
		fprintf(stderr, "\r%s: %llu lines", ui->file, (unsigned long long)lines);
	fflush(stderr);
}

static int report(vigil_ctx *ctx, int rc, const char *what)
{
	cli_err("vigil bank: %s: %s\n", what,
		*vigil_errmsg(ctx) ? vigil_errmsg(ctx) : vigil_strerror(rc));
	return rc == VIGIL_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
}

static void print_bank(const vigil_bank *b, int jsonl)
{
	char when[32];
	time_t t = (time_t)b->created;
	struct tm tm;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	if (jsonl) {
		printf("{\"name\":");
		cli_json_str(stdout, b->name);
		printf(",\"id\":%lld,\"enabled\":%s,\"entries\":%lld,\"created\":\"%s\","
		       "\"description\":",
		       (long long)b->id, b->enabled ? "true" : "false",
		       (long long)b->entries, when);
		cli_json_str(stdout, b->description);
		printf(",\"labels\":");
		cli_json_str(stdout, b->labels);
		printf("}\n");
	} else {
		printf("%-24s %-8s %10lld  %s  %s%s%s\n", b->name,
		       b->enabled ? "enabled" : "disabled", (long long)b->entries, when,
		       b->labels, *b->labels && *b->description ? "  " : "",
		       b->description);
	}
}

static int do_import(vigil_store *st, vigil_ctx *ctx, const char *bank,
		     const char *file, const bank_args *a)
{
	vigil_import_opts o = {0};
	vigil_import_stats s = {0};
	import_ui ui = {file, 0, 0, 0};
	struct stat sb;
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	int rc;

	if (!f) {
		cli_err("vigil bank: %s: %s\n", file, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode))
		ui.size = (uint64_t)sb.st_size;
	ui.progress = a->progress > 0 || (a->progress == 0 && isatty(2));
	o.format = a->format < 0 ? VIGIL_FMT_AUTO : a->format;
	o.type = a->type;
	o.max_bad_lines = a->max_bad;
	o.max_bytes = a->max_bytes;
	o.source = file;
	o.on_bad_line = on_bad_line;
	o.on_progress = on_progress;
	o.user = &ui;
	rc = vigil_bank_import(st, bank, f, &o, &s);
	if (f != stdin)
		fclose(f);
	if (ui.progress)
		fputs("\r\033[K", stderr);
	if (rc) {
		report(ctx, rc, file);
		cli_err("vigil bank: %s: nothing imported\n", file);
		return CLI_EXIT_FAIL;
	}
	cli_err("%s: %llu lines, %llu added, %llu duplicates, %llu bad\n", file,
		(unsigned long long)s.lines, (unsigned long long)s.added,
		(unsigned long long)s.duplicates, (unsigned long long)s.bad);
	return s.bad ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* Reports an entry that is not in the bank (the store's message would be
 * about the last lookup, not this one). */
static int no_entry(vigil_ctx *ctx, long long entry, const char *bank)
{
	(void)ctx;
	cli_err("vigil bank: no video entry %lld in bank '%s'\n", entry, bank);
	return VIGIL_ENOENT;
}

/* `bank policy NAME [KEY=VALUE...]`: prints the policy, or applies every
 * KEY=VALUE (all of them or none) and prints the result. */
static int do_policy(vigil_store *st, vigil_ctx *ctx, int argc, char **argv, int i)
{
	vigil_bank_policy p;
	char *json = NULL;
	int k, r;

	if (i >= argc) {
		fprintf(stderr, "vigil bank policy: which bank?\nTry 'vigil bank --help'.\n");
		return CLI_EXIT_USAGE;
	}
	r = vigil_bank_policy_get(st, argv[i], &p);
	if (r)
		return report(ctx, r, argv[i]);
	for (k = i + 1; k < argc; k++) {
		char key[64];
		const char *eq = strchr(argv[k], '=');
		if (!eq || eq == argv[k] || (size_t)(eq - argv[k]) >= sizeof(key)) {
			fprintf(stderr, "vigil bank policy: '%s' is not KEY=VALUE\n", argv[k]);
			return CLI_EXIT_USAGE;
		}
		memcpy(key, argv[k], (size_t)(eq - argv[k]));
		key[eq - argv[k]] = '\0';
		r = vigil_bank_policy_set(ctx, &p, key, eq + 1);
		if (r) {
			fprintf(stderr, "vigil bank policy: %s\n", vigil_errmsg(ctx));
			return CLI_EXIT_USAGE;
		}
	}
	if (k > i + 1 && (r = vigil_bank_policy_put(st, argv[i], &p)))
		return report(ctx, r, argv[i]);
	if (vigil_bank_policy_to_json(&p, &json)) {
		fprintf(stderr, "vigil: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	printf("%s\n", json);
	free(json);
	return CLI_EXIT_OK;
}

static int need_name(int argc, int i, const char *sub)
{
	if (i >= argc) {
		cli_err("vigil bank %s: which bank?\nTry 'vigil bank --help'.\n",
			sub);
		return 0;
	}
	return 1;
}

int cmd_bank(const cli_cmd *cmd, int argc, char **argv)
{
	bank_args a = {NULL, NULL, NULL, NULL, -1, -1, 0, 0, 0, 0,
		       BANK_DEFAULT_LOCK_TIMEOUT, 0, NULL, NULL, 0};
	vigil_ctx *ctx = NULL;
	vigil_store *st = NULL;
	char dbbuf[4096];
	const char *arg, *sub;
	int c, i, rc = CLI_EXIT_OK;

	if ((c = cli_subcommand(cmd, "create, list, show, policy, import, export, enable, "
				"disable, delete", &argc, &argv, &sub)) >= 0)
		return c;
	while ((c = cli_next_opt(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case CLI_OPT_DB:
			a.db = arg;
			break;
		case CLI_OPT_DESCRIPTION:
			a.desc = arg;
			break;
		case CLI_OPT_LABELS:
			a.labels = arg;
			break;
		case 'f':
			if (!strcmp(arg, "jsonl")) {
				a.jsonl = 1;
			} else if ((a.format = vigil_list_format_parse(arg)) < 0) {
				cli_err("vigil bank: bad --format '%s'\n", arg);
				return CLI_EXIT_USAGE;
			}
			break;
		case CLI_OPT_TYPE:
			if (!strcmp(arg, "text")) {
				a.text = 1;
				break;
			}
			a.type = vigil_hash_type_parse(arg);
			if (a.type != VIGIL_HASH_PDQ && a.type != VIGIL_HASH_SHA256 &&
			    a.type != VIGIL_HASH_MD5 && a.type != VIGIL_HASH_SHA1) {
				cli_err("vigil bank: --type is pdq, md5, sha1, sha256 (hex hashes of "
					"an import) or text (create: a text bank)\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case CLI_OPT_MAX_BAD: {
			long v;
			if (cli_parse_int(arg, 1, 1000000000, &v)) {
				cli_err("vigil bank: bad --max-bad '%s'\n", arg);
				return CLI_EXIT_USAGE;
			}
			a.max_bad = (int)v;
			break;
		}
		case 'o':
			a.output = arg;
			break;
		case CLI_OPT_ENTRY: {
			long v;
			if (cli_parse_int(arg, 1, LONG_MAX, &v)) {
				cli_err("vigil bank: bad --entry '%s'\n", arg);
				return CLI_EXIT_USAGE;
			}
			a.entry = v;
			break;
		}
		case CLI_OPT_PROGRESS:
			a.progress = 1;
			break;
		case CLI_OPT_MAX_BYTES:
			if (cli_parse_int(arg, 1, LONG_MAX, &a.max_bytes)) {
				cli_err("vigil bank: bad --max-bytes '%s'\n", arg);
				return CLI_EXIT_USAGE;
			}
			break;
		case CLI_OPT_LOCK_TIMEOUT:
			if (cli_parse_int(arg, 0, BANK_MAX_LOCK_TIMEOUT, &a.lock_timeout)) {
				cli_err("vigil bank: --lock-timeout takes 0..%d "
						"seconds\n", BANK_MAX_LOCK_TIMEOUT);
				return CLI_EXIT_USAGE;
			}
			break;
		case CLI_OPT_ACTION:
			if (vigil_action_parse(arg) < 0) {
				fprintf(stderr, "vigil bank: --action is block, review, report "
						"or none\n");
				return CLI_EXIT_USAGE;
			}
			a.action = arg;
			break;
		case CLI_OPT_KIND:
		case CLI_OPT_SUPPRESSION:
			if (c == CLI_OPT_SUPPRESSION)
				arg = "suppression";
			if (vigil_bank_kind_parse(arg) < 0) {
				fprintf(stderr, "vigil bank: --kind is normal or suppression\n");
				return CLI_EXIT_USAGE;
			}
			a.kind = arg;
			break;
		case CLI_OPT_NO_PROGRESS:
			a.progress = -1;
			break;
		case 'h':
			cli_usage(stdout, cmd);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	i = cli_optind();
	if (vigil_ctx_new(&ctx)) {
		cli_err("vigil: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	if (vigil_store_open(ctx, cli_db_path(a.db, dbbuf, sizeof(dbbuf)), &st)) {
		rc = report(ctx, VIGIL_ESTORE, "cannot open the store");
		goto out;
	}
	vigil_store_set_lock_wait(st, (int64_t)a.lock_timeout * 1000, on_lock_wait, &a);
	if (!strcmp(sub, "create")) {
		vigil_bank b;
		int r;
		if (!need_name(argc, i, sub)) {
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		/* The bank and its policy land together or not at all. */
		r = vigil_store_begin(st);
		if (!r)
			r = a.text ? vigil_text_bank_create(st, argv[i], a.desc, a.labels, &b)
				   : vigil_bank_create(st, argv[i], a.desc, a.labels, &b);
		if (!r && (a.action || a.kind)) {
			vigil_bank_policy p;
			vigil_bank_policy_default(&p);
			if (a.action)
				r = vigil_bank_policy_set(ctx, &p, "action", a.action);
			if (!r && a.kind)
				r = vigil_bank_policy_set(ctx, &p, "kind", a.kind);
			if (!r)
				r = vigil_bank_policy_put(st, argv[i], &p);
		}
		if (!r)
			r = vigil_store_commit(st);
		if (r)
			vigil_store_rollback(st);
		rc = r ? report(ctx, r, argv[i]) : CLI_EXIT_OK;
		if (!r)
			print_bank(&b, a.jsonl);
	} else if (!strcmp(sub, "policy")) {
		rc = do_policy(st, ctx, argc, argv, i);
	} else if (!strcmp(sub, "list")) {
		vigil_bank *v = NULL;
		size_t n = 0, k;
		int r = vigil_bank_list(st, &v, &n);
		if (r) {
			rc = report(ctx, r, "list");
			goto out;
		}
		if (!a.jsonl)
			printf("%-24s %-8s %10s  %-20s  %s\n", "NAME", "STATE",
			       "ENTRIES", "CREATED", "LABELS  DESCRIPTION");
		for (k = 0; k < n; k++)
			print_bank(&v[k], a.jsonl);
		free(v);
	} else if (!strcmp(sub, "show")) {
		vigil_bank b;
		int r;
		if (!need_name(argc, i, sub)) {
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		r = vigil_bank_get(st, argv[i], &b);
		if (r) {
			rc = report(ctx, r, argv[i]);
			goto out;
		}
		if (a.jsonl) {
			print_bank(&b, 1);
		} else {
			printf("name:        %s\nid:          %lld\nenabled:     %s\n"
			       "entries:     %lld\nlabels:      %s\ndescription: %s\n",
			       b.name, (long long)b.id, b.enabled ? "yes" : "no",
			       (long long)b.entries, b.labels, b.description);
		}
	} else if (!strcmp(sub, "import")) {
		vigil_bank b;
		int k, is = 0;
		if (!need_name(argc, i, sub)) {
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		/* A text bank takes a term list (vigil text import). */
		if (!vigil_bank_get(st, argv[i], &b) && !vigil_text_bank_is(st, b.id, &is) &&
		    is) {
			if (i + 1 >= argc)
				rc = cli_text_import(st, ctx, argv[i], "-");
			for (k = i + 1; k < argc; k++) {
				int r = cli_text_import(st, ctx, argv[i], argv[k]);
				if (r > rc)
					rc = r;
			}
			goto out;
		}
		if (i + 1 >= argc)
			rc = do_import(st, ctx, argv[i], "-", &a);
		for (k = i + 1; k < argc; k++) {
			int r = do_import(st, ctx, argv[i], argv[k], &a);
			if (r > rc)
				rc = r;
		}
	} else if (!strcmp(sub, "export")) {
		FILE *f = stdout;
		uint64_t n = 0;
		int r;
		if (!need_name(argc, i, sub)) {
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		if (a.format == VIGIL_FMT_VPDQ && !a.entry) {
			cli_err("vigil bank export: --format vpdq needs --entry ID\n");
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		if (a.output && !(f = fopen(a.output, "w"))) {
			cli_err("vigil bank: %s: %s\n", a.output, strerror(errno));
			rc = CLI_EXIT_FAIL;
			goto out;
		}
		if (a.format == VIGIL_FMT_VPDQ) {
			vigil_bank b;
			vigil_entry e;
			/* The entry must be a video of the bank named. */
			r = vigil_bank_get(st, argv[i], &b);
			if (!r && (vigil_entry_get(st, a.entry, &e) || e.bank_id != b.id))
				r = no_entry(ctx, a.entry, argv[i]);
			if (!r)
				r = vigil_entry_export_vpdq(st, a.entry, f, &n);
		} else {
			r = vigil_bank_export(st, argv[i], a.format < 0 ? VIGIL_FMT_CSV
								     : a.format,
					      f, &n);
		}
		if (f == stdout) {
			if (fflush(f) && !r)
				r = VIGIL_EIO;
		} else if (fclose(f) && !r) {
			r = VIGIL_EIO;
		}
		rc = r ? report(ctx, r, argv[i]) : CLI_EXIT_OK;
		if (!r)
			cli_err("%s: %llu entries exported\n", argv[i],
				(unsigned long long)n);
	} else if (!strcmp(sub, "enable") || !strcmp(sub, "disable") ||
		   !strcmp(sub, "delete")) {
		int r;
		if (!need_name(argc, i, sub)) {
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		r = !strcmp(sub, "delete") ? vigil_bank_delete(st, argv[i])
					   : vigil_bank_set_enabled(st, argv[i],
								    sub[0] == 'e');
		rc = r ? report(ctx, r, argv[i]) : CLI_EXIT_OK;
	} else {
		cli_err("vigil bank: unknown subcommand '%s'\n", sub);
		rc = CLI_EXIT_USAGE;
	}
out:
	vigil_store_close(st);
	vigil_ctx_free(ctx);
	return rc;
}
