/* cmd_exchange.c — `vigil exchange add|list|show|fetch|feedback|enable|
 * disable|delete|publish|unpublish`: hash lists fetched from NCMEC,
 * StopNCII, ThreatExchange, TCAP and other vigils, and banks published. */
#include "cli.h"

#include <jansson.h>
#include <sodium.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct xargs {
	const char *db, *api, *bank, *url, *creds, *group, *esp_ids, *verdict, *reason;
	const char *public_key, *key_file;
	long entry;
	long page_size, timeout, max_pages, keep_deletes;
	int full, json, list, insecure_unsigned, keep_deletes_set;
} xargs;

static int report(vigil_ctx *ctx, int rc, const char *what)
{
	cli_err("vigil exchange: %s: %s\n", what,
		*vigil_errmsg(ctx) ? vigil_errmsg(ctx) : vigil_strerror(rc));
	return rc == VIGIL_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
}

/* Appends ,"key":value to a JSON object under construction. */
static int put(char *s, size_t cap, const char *key, const char *val, int quote)
{
	size_t n = strlen(s);
	int w;

	w = snprintf(s + n, cap - n, "%s\"%s\":%s%s%s", n > 1 ? "," : "", key,
		     quote ? "\"" : "", val, quote ? "\"" : "");
	return w < 0 || (size_t)w >= cap - n ? -1 : 0;
}

/* Only characters that need no JSON escaping, for settings given on the
 * command line (URLs, numbers). */
static int plain(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

static int settings_json(const xargs *a, char *s, size_t cap)
{
	char num[32];

	snprintf(s, cap, "{");
	if (a->url && (!plain(a->url) || put(s, cap, "url", a->url, 1)))
		return -1;
	if (a->page_size) {
		snprintf(num, sizeof(num), "%ld", a->page_size);
		if (put(s, cap, "page_size", num, 0))
			return -1;
	}
	if (a->timeout) {
		snprintf(num, sizeof(num), "%ld", a->timeout);
		if (put(s, cap, "timeout", num, 0))
			return -1;
	}
	if (a->group) {
		if (strspn(a->group, "0123456789") != strlen(a->group) || !*a->group ||
		    put(s, cap, "privacy_group", a->group, 1))
			return -1;
	}
	if (a->esp_ids) {
		char list[VIGIL_TEXT_MAX];
		if (strspn(a->esp_ids, "0123456789,") != strlen(a->esp_ids) || !*a->esp_ids ||
		    a->esp_ids[0] == ',' || strstr(a->esp_ids, ",,") ||
		    a->esp_ids[strlen(a->esp_ids) - 1] == ',')
			return -1;
		snprintf(list, sizeof(list), "[%s]", a->esp_ids);
		if (put(s, cap, "esp_ids", list, 0))
			return -1;
	}
	if (a->public_key) {
		if (strlen(a->public_key) != 64 ||
		    strspn(a->public_key, "0123456789abcdefABCDEF") != 64 ||
		    put(s, cap, "public_key", a->public_key, 1))
			return -1;
	}
	if (a->insecure_unsigned && put(s, cap, "insecure_unsigned", "true", 0))
		return -1;
	if (strlen(s) + 2 > cap)
		return -1;
	strcat(s, "}");
	return 0;
}

static void print_time(const char *label, int64_t t)
{
	char buf[32] = "never";
	time_t tt = (time_t)t;
	struct tm tm;

	if (t) {
		gmtime_r(&tt, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	printf("%-14s %s\n", label, buf);
}

static void print_json(const vigil_exchange *x)
{
	printf("{\"name\":\"%s\",\"api\":\"%s\",\"bank\":\"%s\",\"settings\":%s,"
	       "\"credentials\":", x->name, vigil_exchange_api_name(x->api), x->bank,
	       x->settings);
	cli_json_str(stdout, x->credentials);
	printf(",\"enabled\":%s,\"up_to_date\":%s,\"full_refetch\":%s,\"items\":%lld,"
	       "\"fetched\":%lld,\"skipped\":%lld,\"errors\":%lld,\"last_attempt\":%lld,"
	       "\"last_success\":%lld,\"checkpoint\":%s,\"last_error\":",
	       x->enabled ? "true" : "false", x->up_to_date ? "true" : "false",
	       x->full ? "true" : "false", (long long)x->items, (long long)x->fetched,
	       (long long)x->skipped, (long long)x->errors, (long long)x->last_attempt,
	       (long long)x->last_success, x->checkpoint[0] ? x->checkpoint : "null");
	cli_json_str(stdout, x->last_error);
	printf("}\n");
}

static void print_show(const vigil_exchange *x)
{
	printf("%-14s %s\n%-14s %s\n%-14s %s\n%-14s %s\n%-14s %s\n%-14s %s\n", "name",
	       x->name, "api", vigil_exchange_api_name(x->api), "bank", x->bank,
	       "settings", x->settings, "credentials", x->credentials, "enabled",
	       x->enabled ? "yes" : "no");
	printf("%-14s %lld\n%-14s %lld\n%-14s %lld\n%-14s %lld\n", "items",
	       (long long)x->items, "fetched", (long long)x->fetched, "skipped",
	       (long long)x->skipped, "errors", (long long)x->errors);
	printf("%-14s %s\n", "up to date", x->up_to_date ? "yes" : "no");
	if (x->full)
		printf("%-14s %s\n", "refetch", "a full refetch is under way");
	print_time("last attempt", x->last_attempt);
	print_time("last success", x->last_success);
	printf("%-14s %s\n", "checkpoint", x->checkpoint[0] ? x->checkpoint : "(none)");
	if (x->last_error[0])
		printf("%-14s %s\n", "last error", x->last_error);
}

/* "sent" for the outbox's delivered: what a verdict's row means here. */
static const char *fb_state(int state)
{
	return state == VIGIL_OUTBOX_DELIVERED ? "sent" : vigil_outbox_state_name(state);
}

/* The verdict and entry a feedback row's body carries. */
static void fb_fields(const vigil_event *e, char *verdict, size_t vcap, long long *entry)
{
	json_t *b = json_loads(e->body, 0, NULL), *d = json_object_get(b, "data");
	const char *v = json_string_value(json_object_get(d, "verdict"));

	snprintf(verdict, vcap, "%s", v ? v : "?");
	*entry = (long long)json_integer_value(json_object_get(json_object_get(d, "entry"), "id"));
	json_decref(b);
}

static int feedback_list(vigil_ctx *ctx, vigil_store *st, const char *name, int json)
{
	vigil_event *v = NULL;
	vigil_exchange x;
	size_t n = 0, k;
	int r = vigil_exchange_get(st, name, &x);

	if (!r)
		r = vigil_exchange_feedback_list(st, name, 1000, &v, &n);
	if (r)
		return report(ctx, r, name);
	for (k = 0; k < n; k++) {
		char verdict[16];
		long long entry;
		fb_fields(&v[k], verdict, sizeof(verdict), &entry);
		if (json) {
			printf("{\"id\":\"%s\",\"entry\":%lld,\"verdict\":\"%s\",\"state\":\"%s\","
			       "\"attempts\":%d,\"created\":%lld,\"last_error\":", v[k].event_id,
			       entry, verdict, fb_state(v[k].state), v[k].attempts,
			       (long long)(v[k].created_ms / 1000));
			cli_json_str(stdout, v[k].last_error);
			printf("}\n");
		} else {
			printf("%s\tentry %lld\t%s\t%s\t%d attempts%s%s\n", v[k].event_id, entry,
			       verdict, fb_state(v[k].state), v[k].attempts,
			       v[k].last_error[0] ? "\t" : "", v[k].last_error);
		}
	}
	vigil_events_free(v, n);
	return CLI_EXIT_OK;
}

/* Sends what is due of the exchange's feedback (the new row among it) and
 * says where the new one stands. */
static int feedback_send(vigil_ctx *ctx, vigil_store *st, const char *name,
			 const char *eid, const char *verdict, long entry)
{
	vigil_deliver_stats ds;
	vigil_event *v = NULL;
	size_t n = 0, k;
	int r = vigil_exchange_feedback_deliver(st, name, &ds), rc = CLI_EXIT_FAIL;

	if (!r)
		r = vigil_exchange_feedback_list(st, name, 1000, &v, &n);
	if (r)
		return report(ctx, r, name);
	for (k = 0; k < n && strcmp(v[k].event_id, eid); k++)
		;
	if (k == n) {
		cli_err("vigil exchange feedback: %s: the queued verdict is gone\n", name);
	} else if (v[k].state == VIGIL_OUTBOX_DELIVERED) {
		printf("%s: %s sent for entry %ld\n", name, verdict, entry);
		rc = CLI_EXIT_OK;
	} else if (v[k].state == VIGIL_OUTBOX_FAILED) {
		cli_err("vigil exchange feedback: %s: %s\n", name, v[k].last_error);
	} else {
		cli_err("vigil exchange feedback: %s: not sent yet (%s); queued, retried by "
			"vigil serve or the next feedback command\n", name, v[k].last_error);
	}
	vigil_events_free(v, n);
	return rc;
}

/* feed-key --key FILE: the publisher's feed key (made 0600 if missing),
 * its public half printed for peers to pin. */
static int feed_key(const char *path)
{
	vigil_ctx *ctx = NULL;
	uint8_t seed[32], pk[32];
	char hx[65];
	int rc = CLI_EXIT_FAIL;

	if (!path) {
		cli_err("vigil exchange feed-key: --key FILE (vigil serve's feed_key_file) is "
			"required\n");
		return CLI_EXIT_USAGE;
	}
	if (vigil_ctx_new(&ctx)) {
		cli_err("vigil: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	if (access(path, F_OK) && vigil_master_key_create(ctx, path)) {
		report(ctx, VIGIL_EIO, path);
		goto out;
	}
	if (vigil_master_key_load(ctx, path, seed)) {
		report(ctx, VIGIL_EIO, path);
		goto out;
	}
	vigil_feed_pubkey(seed, pk);
	sodium_memzero(seed, sizeof(seed));
	vigil_hex(pk, sizeof(pk), hx);
	printf("%s\n", hx);
	rc = CLI_EXIT_OK;
out:
	vigil_ctx_free(ctx);
	return rc;
}

int cmd_exchange(const cli_cmd *cmd, int argc, char **argv)
{
	xargs a = {0};
	vigil_ctx *ctx = NULL;
	vigil_store *st = NULL;
	char dbbuf[4096];
	const char *arg, *sub;
	int c, i, r, rc = CLI_EXIT_OK;

	if ((c = cli_subcommand(cmd, "add, list, show, fetch, feedback, enable, disable, "
				"delete, publish, unpublish, compact, feed-key", &argc, &argv,
				&sub)) >= 0)
		return c;
	while ((c = cli_next_opt(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case CLI_OPT_DB: a.db = arg; break;
		case CLI_OPT_API: a.api = arg; break;
		case CLI_OPT_BANK: a.bank = arg; break;
		case CLI_OPT_URL: a.url = arg; break;
		case CLI_OPT_CREDENTIALS: a.creds = arg; break;
		case CLI_OPT_PRIVACY_GROUP: a.group = arg; break;
		case CLI_OPT_ESP_IDS: a.esp_ids = arg; break;
		case CLI_OPT_FULL: a.full = 1; break;
		case CLI_OPT_JSON: a.json = 1; break;
		case CLI_OPT_VERDICT: a.verdict = arg; break;
		case CLI_OPT_REASON: a.reason = arg; break;
		case CLI_OPT_FEEDBACK_LIST: a.list = 1; break;
		case CLI_OPT_PUBLIC_KEY: a.public_key = arg; break;
		case CLI_OPT_INSECURE_UNSIGNED: a.insecure_unsigned = 1; break;
		case CLI_OPT_KEY_FILE: a.key_file = arg; break;
		case CLI_OPT_KEEP_DELETES:
			if (cli_parse_int(arg, 0, 31536000L, &a.keep_deletes))
				return CLI_EXIT_USAGE;
			a.keep_deletes_set = 1;
			break;
		case CLI_OPT_ENTRY:
			if (cli_parse_int(arg, 1, 0x7fffffffL, &a.entry))
				return CLI_EXIT_USAGE;
			break;
		case CLI_OPT_PAGE_SIZE:
			if (cli_parse_int(arg, 1, 100000, &a.page_size))
				return CLI_EXIT_USAGE;
			break;
		case CLI_OPT_TIMEOUT:
			if (cli_parse_int(arg, 1, 3600, &a.timeout))
				return CLI_EXIT_USAGE;
			break;
		case CLI_OPT_MAX_PAGES:
			if (cli_parse_int(arg, 1, 1000000000L, &a.max_pages))
				return CLI_EXIT_USAGE;
			break;
		case 'h':
			cli_usage(stdout, cmd);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	i = cli_optind();
	if (!strcmp(sub, "feed-key"))
		return feed_key(a.key_file);
	if (strcmp(sub, "list") && i >= argc) {
		cli_err("vigil exchange %s: which exchange?\n", sub);
		return CLI_EXIT_USAGE;
	}
	if (vigil_ctx_new(&ctx)) {
		cli_err("vigil: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	if (vigil_store_open(ctx, cli_db_path(a.db, dbbuf, sizeof(dbbuf)), &st)) {
		rc = report(ctx, VIGIL_ESTORE, "cannot open the store");
		goto out;
	}
	if (!strcmp(sub, "add")) {
		char settings[VIGIL_TEXT_MAX + 1];
		int api = vigil_exchange_api_parse(a.api);
		if (api < 0) {
			cli_err("vigil exchange add: --api must be ncmec, stopncii, "
				"threatexchange, tcap or vigil\n");
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		if (!a.creds) {
			cli_err("vigil exchange add: --credentials env:NAME or file:PATH is "
				"required\n");
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		if (api == VIGIL_XCH_VIGIL && !a.public_key && !a.insecure_unsigned) {
			cli_err("vigil exchange add: --api vigil needs --public-key HEX (the "
				"publisher's vigil exchange feed-key or GET /v1/feed-key), or "
				"--insecure-unsigned to take unsigned pages\n");
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		if (settings_json(&a, settings, sizeof(settings))) {
			cli_err("vigil exchange add: bad --url, --privacy-group, --esp-ids or "
				"--public-key\n");
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		r = vigil_exchange_add(st, argv[i], api, a.bank ? a.bank : argv[i], settings,
				       a.creds);
		if (r)
			rc = report(ctx, r, argv[i]);
	} else if (!strcmp(sub, "list")) {
		vigil_exchange *v = NULL;
		size_t n = 0, k;
		r = vigil_exchange_list(st, &v, &n);
		if (r) {
			rc = report(ctx, r, "list");
			goto out;
		}
		for (k = 0; k < n; k++) {
			if (a.json)
				print_json(&v[k]);
			else
				printf("%s\t%s\t%s\t%s\t%lld items\t%s\n", v[k].name,
				       vigil_exchange_api_name(v[k].api), v[k].bank,
				       v[k].enabled ? "enabled" : "disabled", (long long)v[k].items,
				       v[k].last_error[0] ? "error" : v[k].up_to_date ? "up to date"
										   : "behind");
		}
		free(v);
	} else if (!strcmp(sub, "show")) {
		vigil_exchange x;
		r = vigil_exchange_get(st, argv[i], &x);
		if (r)
			rc = report(ctx, r, argv[i]);
		else if (a.json)
			print_json(&x);
		else {
			int64_t fc[3];
			print_show(&x);
			if (!vigil_exchange_feedback_counts(st, argv[i], fc))
				printf("%-14s %lld pending, %lld sent, %lld failed\n", "feedback",
				       (long long)fc[VIGIL_OUTBOX_PENDING],
				       (long long)fc[VIGIL_OUTBOX_DELIVERED],
				       (long long)fc[VIGIL_OUTBOX_FAILED]);
		}
	} else if (!strcmp(sub, "fetch")) {
		vigil_exchange_fetch_opts o = {0};
		vigil_exchange_stats s;
		o.max_pages = (int)a.max_pages;
		o.full = a.full;
		r = vigil_exchange_fetch(st, argv[i], &o, &s);
		printf("%s: %lld pages, %lld records, %lld entries added, %lld removed, "
		       "%lld hashes skipped, %lld retries, %s\n", argv[i], (long long)s.pages,
		       (long long)s.records, (long long)s.added, (long long)s.removed,
		       (long long)s.skipped, (long long)s.retries,
		       r ? "failed" : s.up_to_date ? "up to date" : "stopped early");
		if (r)
			rc = report(ctx, r, argv[i]);
	} else if (!strcmp(sub, "feedback") && a.list) {
		rc = feedback_list(ctx, st, argv[i], a.json);
	} else if (!strcmp(sub, "feedback")) {
		int pos = a.verdict && !strcmp(a.verdict, "confirm");
		char eid[VIGIL_EVENT_ID_LEN + 1];
		if (!a.entry || !a.verdict || (!pos && strcmp(a.verdict, "dismiss"))) {
			cli_err("vigil exchange feedback: --entry ID and --verdict confirm|dismiss "
				"are required (or --list)\n");
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		r = vigil_exchange_feedback_queue(st, argv[i], a.entry, pos, a.reason, eid);
		if (r) {
			rc = report(ctx, r, argv[i]);
			goto out;
		}
		rc = feedback_send(ctx, st, argv[i], eid, a.verdict, a.entry);
	} else if (!strcmp(sub, "publish") || !strcmp(sub, "unpublish")) {
		r = vigil_feed_publish(st, argv[i], !strcmp(sub, "publish"));
		if (r)
			rc = report(ctx, r, argv[i]);
		else
			printf("%s: %s\n", argv[i], !strcmp(sub, "publish")
					     ? "published at /v1/feed/NAME (keys with role feed)"
					     : "no longer published; its change log is dropped");
	} else if (!strcmp(sub, "compact")) {
		int64_t removed = 0, floor = 0;
		r = vigil_feed_compact(st, argv[i], a.keep_deletes_set ? a.keep_deletes : 604800,
				       &removed, &floor);
		if (r)
			rc = report(ctx, r, argv[i]);
		else
			printf("%s: %lld log rows dropped; checkpoints below %lld refetch "
			       "everything\n", argv[i], (long long)removed, (long long)floor);
	} else if (!strcmp(sub, "enable") || !strcmp(sub, "disable")) {
		r = vigil_exchange_set_enabled(st, argv[i], !strcmp(sub, "enable"));
		if (r)
			rc = report(ctx, r, argv[i]);
	} else if (!strcmp(sub, "delete")) {
		r = vigil_exchange_delete(st, argv[i]);
		if (r)
			rc = report(ctx, r, argv[i]);
	} else {
		cli_err("vigil exchange: unknown subcommand '%s'\n", sub);
		rc = CLI_EXIT_USAGE;
	}
out:
	vigil_store_close(st);
	vigil_ctx_free(ctx);
	return rc;
}
