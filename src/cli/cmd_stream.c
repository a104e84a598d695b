/* cmd_stream.c — `vigil stream`: watch live streams, act on matches. The
 * work is in src/stream/; this file parses options, opens the store and the
 * matcher, and waits for a signal or the end of --max-runtime. */
#include "cli.h"

#include "../stream/stream_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Protocols a stream URL may use (the video subsystem's URL whitelist). */
static const char *const stream_schemes[] = {
	"rtmp", "rtmps", "rtmpt", "rtmpts", "rtmpe", "rtmpte", "rtsp", "http",
	"https", "srt", "udp", "rtp", "tcp", "tls", NULL,
};

/* 0 if url looks like SCHEME://HOST... with a scheme we read. */
static int check_url(const char *url)
{
	const char *p = strstr(url, "://");
	int i;

	if (strlen(url) > STREAM_URL_MAX) {
		fprintf(stderr, "vigil stream: URL longer than %d bytes\n", STREAM_URL_MAX);
		return -1;
	}
	if (p && p[3] && p[3] != '/')
		for (i = 0; stream_schemes[i]; i++)
			if ((size_t)(p - url) == strlen(stream_schemes[i]) &&
			    !strncmp(url, stream_schemes[i], (size_t)(p - url)))
				return 0;
	fprintf(stderr, "vigil stream: '%.200s' is not a stream URL (rtmp://, "
			"rtsp://, http(s)://, srt://, udp://, rtp://, tcp://)\n",
		url);
	return -1;
}

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
	stream_conf conf;
	const char *db;
	double max_runtime, summary;
} stream_args;

/* Handles one option; 0 ok, -1 usage error (reported). */
static int stream_opt(stream_args *a, int c, const char *arg)
{
	stream_conf *k = &a->conf;
	double d;
	long v;

	switch (c) {
	case CLI_OPT_DB:
		a->db = arg;
		return 0;
	case 'r':
		if (cli_parse_int(arg, 0, VIGIL_INDEX_MAX_RADIUS, &v))
			break;
		k->radius = (int)v;
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
		k->frame_events = 1;
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

/* The store and matcher, then the monitor until a signal or the runtime
 * bound; returns the exit status. */
static int stream_run(stream_args *a, char **urls, int n, const sigset_t *sigs)
{
	static volatile int stop;
	vigil_ctx *ctx = NULL;
	vigil_store *st = NULL;
	vigil_matcher *m = NULL;
	stream_mon *mon = NULL;
	char dbbuf[4096];
	const char *db = cli_db_path(a->db, dbbuf, sizeof(dbbuf));
	double start = mono_s(), next_summary;
	struct timespec tick = {0, 200 * 1000000};
	int rc = CLI_EXIT_FAIL, sig;

	if (vigil_ctx_new(&ctx)) {
		fprintf(stderr, "vigil stream: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	if (vigil_store_open(ctx, db, &st) || vigil_matcher_open(st, &m)) {
		fprintf(stderr, "vigil stream: %s: %s\n", db, vigil_errmsg(ctx));
		goto out;
	}
	if (vigil_matcher_size(m) == 0)
		fprintf(stderr, "vigil stream: warning: no hashes in the enabled banks "
				"of %s; nothing can match\n", db);
	a->conf.matcher = m;
	a->conf.store = st;
	a->conf.action.stop = &stop;
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "vigil stream: cannot initialise libcurl\n");
		goto out;
	}
	if (stream_mon_start(&a->conf, urls, n, &stop, &mon))
		goto out_curl;
	next_summary = start + a->summary;
	for (;;) {
		sig = sigtimedwait(sigs, NULL, &tick);
		if (sig == SIGINT || sig == SIGTERM) {
			fprintf(stderr, "vigil stream: %s, stopping\n",
				sig == SIGINT ? "interrupted" : "terminated");
			break;
		}
		if (a->max_runtime > 0 && mono_s() - start >= a->max_runtime)
			break;
		if (a->summary > 0 && mono_s() >= next_summary) {
			stream_mon_summary(mon, stderr);
			next_summary += a->summary;
		}
	}
	if (a->summary > 0)
		stream_mon_summary(mon, stderr);
	rc = stream_mon_stop(mon) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
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
	char err[200];
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
	a.summary = 0;
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
	if (n > STREAM_MAX) {
		fprintf(stderr, "vigil stream: %d streams, at most %d per process\n", n,
			STREAM_MAX);
		return CLI_EXIT_USAGE;
	}
	for (i = 0; i < n; i++)
		if (check_url(argv[cli_optind() + i]))
			return CLI_EXIT_USAGE;
	if (a.conf.action.http && stream_check_http(a.conf.action.http, err, sizeof(err))) {
		fprintf(stderr, "vigil stream: --http: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	if (a.conf.action.http_post && !a.conf.action.http) {
		fprintf(stderr, "vigil stream: --http-post needs --http\n");
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
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	signal(SIGPIPE, SIG_IGN);
	rc = stream_run(&a, argv + cli_optind(), n, &sigs);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
