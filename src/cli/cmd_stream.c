/* cmd_stream.c — `vigil stream`: watch live streams, act on matches. The
 * work is the library's monitor (vigil/stream.h); this file parses options,
 * opens the matcher, prints the monitor's events as JSON lines on standard
 * output, and waits for a signal or the end of --max-runtime. */
#include "cli.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Parses a number of seconds (decimals allowed) in [min, max]. */
static int parse_seconds(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max))
		return -1;
	*out = v;
	return 0;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct stream_args {
	vigil_monitor_opts conf;
	const char *db;
	double max_runtime, summary;
	double reload;      /* seconds between checks of the store file */
	int frame_events;   /* print a "frame" event per sample */
} stream_args;

/* Handles one option; 0 ok, -1 usage error (reported). */
static int stream_opt(stream_args *a, int c, const char *arg)
{
	vigil_monitor_opts *k = &a->conf;
	double d;
	long v;

	switch (c) {
	case CLI_OPT_DB:
		a->db = arg;
		return 0;
	case 'r':
		if (cli_parse_int(arg, 0, VIGIL_INDEX_MAX_RADIUS, &v))
			break;
		k->radius = v ? (int)v : VIGIL_RADIUS_EXACT;
		return 0;
	case CLI_OPT_MIN_QUALITY:
		if (cli_parse_int(arg, 0, 100, &v))
			break;
		k->min_quality = (int)v;
		return 0;
	case CLI_OPT_INTERVAL:
		if (parse_seconds(arg, 0, 3600, &d))
			break;
		k->interval = d;
		return 0;
	case CLI_OPT_HTTP:
		k->action.http = arg;
		return 0;
	case CLI_OPT_HTTP_POST:
		k->action.http_post = 1;
		return 0;
	case CLI_OPT_EXEC:
		if (!*arg)
			break;
		k->action.exec = arg;
		return 0;
	case CLI_OPT_ACTION_TIMEOUT:
		if (parse_seconds(arg, 0.001, 600, &d))
			break;
		k->action.timeout_ms = (int)(d * 1000);
		return 0;
	case CLI_OPT_COOLDOWN:
		if (parse_seconds(arg, 0, 86400, &d))
			break;
		k->cooldown_ms = (int)(d * 1000);
		return 0;
	case CLI_OPT_TIMEOUT:
		if (parse_seconds(arg, 0.1, 3600, &d))
			break;
		k->timeout_ms = (int)(d * 1000);
		return 0;
	case CLI_OPT_MAX_BACKOFF:
		if (parse_seconds(arg, 0.1, 3600, &d))
			break;
		k->max_backoff_ms = (int)(d * 1000);
		return 0;
	case CLI_OPT_MAX_RUNTIME:
		if (parse_seconds(arg, 0, 1e9, &d))
			break;
		a->max_runtime = d;
		return 0;
	case CLI_OPT_SUMMARY:
		if (parse_seconds(arg, 0, 86400, &d))
			break;
		a->summary = d;
		return 0;
	case CLI_OPT_FRAME_EVENTS:
		a->frame_events = 1;
		return 0;
	case CLI_OPT_DECODE:
		if (!strcmp(arg, "all"))
			k->decode = VIGIL_DECODE_ALL;
		else if (!strcmp(arg, "nonref"))
			k->decode = VIGIL_DECODE_NONREF;
		else if (!strcmp(arg, "keyframes"))
			k->decode = VIGIL_DECODE_KEYFRAMES;
		else
			break;
		return 0;
	case CLI_OPT_KEYFRAMES:
		k->decode = VIGIL_DECODE_KEYFRAMES;
		return 0;
	case CLI_OPT_NO_DIHEDRAL:
		k->no_dihedral = 1;
		return 0;
	case CLI_OPT_RELOAD:
		if (parse_seconds(arg, 0, 86400, &d))
			break;
		a->reload = d;
		return 0;
	case CLI_OPT_THREADS:
		if (cli_parse_int(arg, 1, 64, &v))
			break;
		k->threads = (int)v;
		return 0;
	case CLI_OPT_MAX_PIXELS:
		if (cli_parse_int(arg, 1, VIGIL_DEFAULT_MAX_PIXELS, &v))
			break;
		k->max_pixels = v;
		return 0;
	default:
		return -1;
	}
	fprintf(stderr, "vigil stream: bad value '%.80s' for this option\n", arg);
	return -1;
}

/* Starts an event line: the stream and the event's name. */
static void event_begin(const vigil_monitor_event *ev, const char *name)
{
	printf("{\"stream\":");
	cli_json_str(stdout, ev->url);
	printf(",\"event\":\"%s\",\"time_ms\":%lld", name, (long long)ev->time_ms);
}

static void event_end(void)
{
	printf("}\n");
	fflush(stdout);
}

/* The monitor's callback (calls are serialised): one JSON line per event
 * on standard output, problems with evidence on standard error. */
static void on_event(void *user, const vigil_monitor_event *ev)
{
	const stream_args *a = user;
	const vigil_match *m = ev->match;
	char hex[65];

	vigil_pdq_to_hex(&ev->hash, hex);
	switch (ev->type) {
	case VIGIL_MON_CONNECTED:
		event_begin(ev, "connected");
		break;
	case VIGIL_MON_FRAME:
		if (!a->frame_events)
			return;
		event_begin(ev, "frame");
		printf(",\"seconds\":%.3f,\"hash\":\"%s\",\"quality\":%d", ev->seconds,
		       hex, ev->hash.quality);
		break;
	case VIGIL_MON_MATCH:
		event_begin(ev, "match");
		printf(",\"seconds\":%.3f,\"hash\":\"%s\",\"quality\":%d,\"bank\":",
		       ev->seconds, hex, ev->hash.quality);
		cli_json_str(stdout, m->bank);
		printf(",\"entry\":%lld,\"distance\":%d,\"variant\":\"%s\",\"acted\":%s",
		       (long long)m->entry_id, m->distance, vigil_dihedral_name(m->variant),
		       ev->acted ? "true" : "false");
		break;
	case VIGIL_MON_ACTION:
		event_begin(ev, "action");
		printf(",\"ok\":%s,\"ms\":%lld,\"result\":", ev->ok ? "true" : "false",
		       (long long)ev->ms);
		cli_json_str(stdout, ev->result);
		break;
	case VIGIL_MON_EVIDENCE:
		event_begin(ev, "evidence");
		printf(",\"seconds\":%.3f,\"bank\":", ev->seconds);
		cli_json_str(stdout, m->bank);
		printf(",\"entry\":%lld,\"evidence\":%lld", (long long)m->entry_id,
		       (long long)ev->evidence_id);
		break;
	case VIGIL_MON_EVIDENCE_RETRY:
		fprintf(stderr, "vigil stream: %s: evidence not stored yet (%s); "
				"retrying in %d ms, %lld queued\n",
			ev->url, ev->reason, ev->retry_ms, (long long)ev->pending);
		return;
	case VIGIL_MON_EVIDENCE_LOST:
		fprintf(stderr, "vigil stream: %s: evidence not stored: %s\n", ev->url,
			ev->reason);
		event_begin(ev, "evidence_lost");
		printf(",\"seconds\":%.3f,\"reason\":", ev->seconds);
		cli_json_str(stdout, ev->reason);
		break;
	case VIGIL_MON_ERROR:
		event_begin(ev, "error");
		printf(",\"error\":");
		cli_json_str(stdout, ev->reason);
		break;
	case VIGIL_MON_DISCONNECTED:
		event_begin(ev, ev->was_connected ? "disconnected" : "error");
		printf(",\"reason\":");
		cli_json_str(stdout, ev->reason);
		printf(",\"retry_ms\":%d", ev->retry_ms);
		break;
	default: /* STARTED, STOPPED: nothing to say on the command line */
		return;
	}
	event_end();
}

/* One line per stream on f: state, frames, matches, actions, reconnects. */
static void summary(vigil_monitor *mon, FILE *f)
{
	static const char *const names[] = {"connecting", "connected", "waiting"};
	vigil_stream_status *st = calloc(VIGIL_MONITOR_MAX_STREAMS, sizeof(*st));
	size_t n = 0, i;

	if (!st)
		return;
	vigil_monitor_status(mon, st, VIGIL_MONITOR_MAX_STREAMS, &n, NULL);
	for (i = 0; i < n && i < VIGIL_MONITOR_MAX_STREAMS; i++)
		fprintf(f, "vigil stream: %s: %s, %lld frames, %lld matches, %lld "
			   "actions, %lld reconnects%s%s\n",
			st[i].url, names[st[i].state], (long long)st[i].frames,
			(long long)st[i].matches, (long long)st[i].actions,
			(long long)st[i].reconnects, st[i].last_error[0] ? "; last: " : "",
			st[i].last_error);
	free(st);
}

/* After the streams stopped: waits for the evidence still queued (a busy
 * store), saying so; a second signal gives up. Returns what is left. */
static int64_t flush_evidence(vigil_monitor *mon, const sigset_t *sigs)
{
	struct timespec poll = {0, 0};
	int64_t left = vigil_monitor_flush(mon, 200);

	if (left)
		fprintf(stderr, "vigil stream: waiting for %lld evidence record%s to be "
				"stored (interrupt again to give up)\n",
			(long long)left, left == 1 ? "" : "s");
	while (left) {
		int sig = sigtimedwait(sigs, NULL, &poll);
		if (sig == SIGINT || sig == SIGTERM) {
			fprintf(stderr, "vigil stream: giving up: %lld evidence record%s "
					"not stored\n",
				(long long)left, left == 1 ? "" : "s");
			break;
		}
		left = vigil_monitor_flush(mon, 200);
	}
	return left;
}

/* What identifies a version of the store file: the database's and its
 * write-ahead log's size and modification time (a commit changes one of
 * them). 0 if neither can be read (not a file: a PostgreSQL URI). */
typedef struct store_stamp {
	struct timespec m[2];
	off_t size[2];
} store_stamp;

static int store_stamp_get(const char *db, store_stamp *out)
{
	char wal[4200];
	struct stat sb;
	int have = 0;

	memset(out, 0, sizeof(*out));
	if (!stat(db, &sb)) {
		out->m[0] = sb.st_mtim;
		out->size[0] = sb.st_size;
		have = 1;
	}
	snprintf(wal, sizeof(wal), "%s-wal", db);
	if (!stat(wal, &sb)) {
		out->m[1] = sb.st_mtim;
		out->size[1] = sb.st_size;
		have = 1;
	}
	return have;
}

static int store_stamp_same(const store_stamp *a, const store_stamp *b)
{
	int i;

	for (i = 0; i < 2; i++)
		if (a->m[i].tv_sec != b->m[i].tv_sec || a->m[i].tv_nsec != b->m[i].tv_nsec ||
		    a->size[i] != b->size[i])
			return 0;
	return 1;
}

/* A fingerprint of the banks: each one's id, enabled flag and number of
 * entries. The store file also changes when the monitor writes evidence
 * (every action): only a change here is worth reading every bank again.
 * (An entry removed and another added between two checks leaves it equal:
 * SIGHUP reloads whatever it says.) 0 on success. */
static int banks_print(vigil_ctx *ctx, const char *db, uint64_t *out)
{
	vigil_store *st = NULL;
	vigil_bank *b = NULL;
	uint64_t h = 1469598103934665603ull;
	size_t n = 0, i;
	int rc;

	rc = vigil_store_open(ctx, db, &st);
	if (!rc)
		rc = vigil_bank_list(st, &b, &n);
	for (i = 0; !rc && i < n; i++) {
		int64_t v[3] = {b[i].id, b[i].enabled, b[i].entries};
		const unsigned char *p = (const unsigned char *)v;
		size_t k;
		for (k = 0; k < sizeof(v); k++)
			h = (h ^ p[k]) * 1099511628211ull;
	}
	free(b);
	vigil_store_close(st);
	*out = h ^ n;
	return rc;
}

/* Opens the banks again and hands them to the monitor; the old matcher
 * is freed once no stream uses it. A failure keeps the old one (said on
 * standard error). */
static void reload_banks(vigil_ctx *ctx, vigil_monitor *mon, const char *db,
			 vigil_matcher **cur)
{
	vigil_store *st = NULL;
	vigil_matcher *m = NULL, *old = NULL;
	struct timespec now;
	double t0 = mono_s();

	if (vigil_store_open(ctx, db, &st) || vigil_matcher_open(st, &m)) {
		fprintf(stderr, "vigil stream: reload: %s: %s (the banks loaded "
				"before stay in use)\n", db, vigil_errmsg(ctx));
		vigil_store_close(st);
		return;
	}
	vigil_store_close(st);
	vigil_monitor_set_matcher(mon, m, &old);
	*cur = m;
	vigil_matcher_free(old);
	clock_gettime(CLOCK_REALTIME, &now);
	printf("{\"event\":\"reloaded\",\"time_ms\":%lld,\"hashes\":%zu,\"ms\":%.0f}\n",
	       (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000, vigil_matcher_size(m),
	       (mono_s() - t0) * 1000);
	fflush(stdout);
}

/* The store and matcher, then the monitor until a signal or the runtime
 * bound; returns the exit status. */
static int stream_run(stream_args *a, char **urls, int n, const sigset_t *sigs)
{
	vigil_ctx *ctx = NULL;
	vigil_store *st = NULL;
	vigil_matcher *m = NULL;
	vigil_monitor *mon = NULL;
	vigil_monitor_stats stats;
	char dbbuf[4096];
	const char *db = cli_db_path(a->db, dbbuf, sizeof(dbbuf));
	double start = mono_s(), next_summary, next_reload;
	store_stamp stamp, now;
	uint64_t print = 0, print_now;
	int have_stamp;
	struct timespec tick = {0, 200 * 1000000};
	int64_t id, left;
	int rc = CLI_EXIT_FAIL, sig, i;

	if (vigil_ctx_new(&ctx)) {
		fprintf(stderr, "vigil stream: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	/* Before the banks are read: a commit while they load is seen at
	 * the first check. */
	have_stamp = store_stamp_get(db, &stamp) && !banks_print(ctx, db, &print);
	if (vigil_store_open(ctx, db, &st) || vigil_matcher_open(st, &m)) {
		fprintf(stderr, "vigil stream: %s: %s\n", db, vigil_errmsg(ctx));
		goto out;
	}
	if (vigil_matcher_size(m) == 0)
		fprintf(stderr, "vigil stream: warning: no hashes in the enabled banks "
				"of %s; nothing can match\n", db);
	/* The matcher is all the monitor needs of this connection; it writes
	 * evidence through its own. */
	vigil_store_close(st);
	st = NULL;
	a->conf.matcher = m;
	a->conf.store = db;
	a->conf.on_event = on_event;
	a->conf.user = a;
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "vigil stream: cannot initialise libcurl\n");
		goto out;
	}
	if (vigil_monitor_new(ctx, &a->conf, &mon)) {
		fprintf(stderr, "vigil stream: %s\n", vigil_errmsg(ctx));
		goto out_curl;
	}
	for (i = 0; i < n; i++)
		if (vigil_monitor_add(mon, ctx, urls[i], &id)) {
			fprintf(stderr, "vigil stream: %s\n", vigil_errmsg(ctx));
			goto out_mon;
		}
	next_summary = start + a->summary;
	next_reload = start + a->reload;
	for (;;) {
		sig = sigtimedwait(sigs, NULL, &tick);
		if (sig == SIGINT || sig == SIGTERM) {
			fprintf(stderr, "vigil stream: %s, stopping\n",
				sig == SIGINT ? "interrupted" : "terminated");
			break;
		}
		if (sig == SIGHUP) {
			have_stamp = store_stamp_get(db, &stamp) && !banks_print(ctx, db, &print);
			reload_banks(ctx, mon, db, &m);
		} else if (a->reload > 0 && have_stamp && mono_s() >= next_reload) {
			next_reload = mono_s() + a->reload;
			if (store_stamp_get(db, &now) && !store_stamp_same(&now, &stamp) &&
			    !banks_print(ctx, db, &print_now)) {
				stamp = now;
				if (print_now != print) {
					print = print_now;
					reload_banks(ctx, mon, db, &m);
				}
			}
		}
		if (a->max_runtime > 0 && mono_s() - start >= a->max_runtime)
			break;
		if (a->summary > 0 && mono_s() >= next_summary) {
			summary(mon, stderr);
			next_summary += a->summary;
		}
	}
	if (a->summary > 0)
		summary(mon, stderr);
	vigil_monitor_stop(mon);
	left = flush_evidence(mon, sigs);
	vigil_monitor_status(mon, NULL, 0, NULL, &stats);
	rc = left || stats.evidence_lost ? CLI_EXIT_FAIL : CLI_EXIT_OK;
out_mon:
	vigil_monitor_free(mon);
out_curl:
	curl_global_cleanup();
out:
	vigil_matcher_free(m);
	vigil_store_close(st);
	vigil_ctx_free(ctx);
	return rc;
}

int cmd_stream(const cli_cmd *cmd, int argc, char **argv)
{
	stream_args a;
	sigset_t sigs, old;
	const char *arg;
	char err[300];
	int c, i, n, rc;

	memset(&a, 0, sizeof(a));
	a.conf.radius = VIGIL_DEFAULT_RADIUS;
	a.conf.min_quality = 50;
	a.conf.interval = 0.5;
	a.conf.timeout_ms = 10000;
	a.conf.backoff_ms = 500;
	a.conf.max_backoff_ms = 30000;
	a.conf.cooldown_ms = 30000;
	a.conf.threads = 1;
	a.conf.max_pixels = 3840 * 2160;
	a.conf.max_side = VIGIL_DEFAULT_MAX_SIDE;
	a.conf.action.timeout_ms = 5000;
	a.conf.decode = VIGIL_DECODE_NONREF;
	a.summary = 0;
	a.reload = 2;
	while ((c = cli_next_opt(cmd, argc, argv, &arg)) != -1) {
		if (c == 'h') {
			cli_usage(stdout, cmd);
			return CLI_EXIT_OK;
		}
		if (c == '?' || stream_opt(&a, c, arg))
			return CLI_EXIT_USAGE;
	}
	n = argc - cli_optind();
	if (n < 1) {
		fprintf(stderr, "vigil stream: no stream URL\nTry 'vigil stream --help'.\n");
		return CLI_EXIT_USAGE;
	}
	if (n > VIGIL_MONITOR_MAX_STREAMS) {
		fprintf(stderr, "vigil stream: %d streams, at most %d per process\n", n,
			VIGIL_MONITOR_MAX_STREAMS);
		return CLI_EXIT_USAGE;
	}
	for (i = 0; i < n; i++)
		if (vigil_monitor_check_url(argv[cli_optind() + i], err, sizeof(err))) {
			fprintf(stderr, "vigil stream: %s\n", err);
			return CLI_EXIT_USAGE;
		}
	if (a.conf.action.http_post && !a.conf.action.http) {
		fprintf(stderr, "vigil stream: --http-post needs --http\n");
		return CLI_EXIT_USAGE;
	}
	if (vigil_monitor_check_action(&a.conf.action, err, sizeof(err))) {
		fprintf(stderr, "vigil stream: --http: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	if (a.conf.max_backoff_ms < a.conf.backoff_ms)
		a.conf.backoff_ms = a.conf.max_backoff_ms;
	/* Every thread inherits this mask: the signals wait for the main
	 * thread's sigtimedwait, so no handler runs inside a stream thread or
	 * library call. A closed socket must not kill the process. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	signal(SIGPIPE, SIG_IGN);
	rc = stream_run(&a, argv + cli_optind(), n, &sigs);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
