/* action.c — what `vigil stream` does on a match: an HTTP request through
 * libcurl (e.g. nginx-rtmp's /control/drop/publisher) and/or a program run
 * with posix_spawn, the match described in its environment. Nothing from
 * the stream reaches a shell: URL values are percent-encoded, the program
 * gets no arguments from the match. */
#include "stream_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define ACTION_BODY_KEEP 64  /* bytes of the response kept for the record */
#define ACTION_ENV_MAX 512   /* environment entries passed on */
#define ACTION_POLL_MS 5     /* waitpid polling step */

static const char *const placeholders[] = {
	"stream", "app", "name", "bank", "entry", "distance", "seconds", "hash",
	NULL,
};

/* The value of placeholder k for h, in buf. */
static const char *placeholder_value(int k, const stream_hit *h, char *buf,
				     size_t cap)
{
	switch (k) {
	case 0:
		return h->stream;
	case 1:
		return h->app;
	case 2:
		return h->name;
	case 3:
		return h->m->bank;
	case 4:
		snprintf(buf, cap, "%lld", (long long)h->m->entry_id);
		return buf;
	case 5:
		snprintf(buf, cap, "%d", h->m->distance);
		return buf;
	case 6:
		snprintf(buf, cap, "%.3f", h->seconds);
		return buf;
	default:
		vigil_pdq_to_hex(&h->hash, buf);
		return buf;
	}
}

/* Index of the placeholder at p (just after '{'), with its length. */
static int placeholder_at(const char *p, size_t *len)
{
	int k;

	for (k = 0; placeholders[k]; k++) {
		size_t n = strlen(placeholders[k]);
		if (!strncmp(p, placeholders[k], n) && p[n] == '}') {
			*len = n + 1;
			return k;
		}
	}
	return -1;
}

/* Percent-encodes s (RFC 3986 unreserved characters pass) into out at *o. */
static int put_encoded(const char *s, char *out, size_t cap, size_t *o)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *u = (const unsigned char *)s;

	for (; *u; u++) {
		int plain = (*u >= 'A' && *u <= 'Z') || (*u >= 'a' && *u <= 'z') ||
			    (*u >= '0' && *u <= '9') || *u == '-' || *u == '.' ||
			    *u == '_' || *u == '~';
		if (*o + (plain ? 1 : 3) >= cap)
			return -1;
		if (plain) {
			out[(*o)++] = (char)*u;
		} else {
			out[(*o)++] = '%';
			out[(*o)++] = hex[*u >> 4];
			out[(*o)++] = hex[*u & 15];
		}
	}
	return 0;
}

int stream_expand(const char *tmpl, const stream_hit *h, char *out, size_t cap,
		  char *err, size_t errcap)
{
	char buf[80];
	size_t o = 0, n;
	const char *p;
	int k;

	for (p = tmpl; *p;) {
		if (*p == '{') {
			k = placeholder_at(p + 1, &n);
			if (k < 0) {
				snprintf(err, errcap, "unknown placeholder at '%.20s' "
					 "(known: {stream} {app} {name} {bank} {entry} "
					 "{distance} {seconds} {hash})", p);
				return -1;
			}
			if (h && put_encoded(placeholder_value(k, h, buf, sizeof(buf)), out,
					     cap, &o))
				goto toolong;
			p += 1 + n;
			continue;
		}
		if (o + 1 >= cap)
			goto toolong;
		out[o++] = *p++;
	}
	out[o] = '\0';
	return 0;
toolong:
	snprintf(err, errcap, "URL longer than %zu bytes once expanded", cap - 1);
	return -1;
}

int stream_check_http(const char *tmpl, char *err, size_t errcap)
{
	char *out;
	int rc;

	if (strncmp(tmpl, "http://", 7) && strncmp(tmpl, "https://", 8)) {
		snprintf(err, errcap, "'%.80s' is not an http:// or https:// URL", tmpl);
		return -1;
	}
	out = malloc(STREAM_ACTION_URL_MAX);
	if (!out) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	rc = stream_expand(tmpl, NULL, out, STREAM_ACTION_URL_MAX, err, errcap);
	free(out);
	return rc;
}

void stream_split_url(const char *url, char *app, size_t appcap, char *name,
		      size_t namecap)
{
	const char *p = strstr(url, "://"), *slash, *end;

	app[0] = name[0] = '\0';
	if (!p)
		return;
	p = strchr(p + 3, '/');
	if (!p)
		return;
	p++;
	end = p + strcspn(p, "?#");
	slash = memchr(p, '/', (size_t)(end - p));
	if (!slash) {
		snprintf(name, namecap, "%.*s", (int)(end - p), p);
		return;
	}
	snprintf(app, appcap, "%.*s", (int)(slash - p), p);
	snprintf(name, namecap, "%.*s", (int)(end - slash - 1), slash + 1);
}

/* ------------------------------------------------------------------ HTTP */

typedef struct http_body {
	char keep[ACTION_BODY_KEEP + 1];
	size_t n;
} http_body;

/* Keeps the start of the response (nginx-rtmp answers with the number of
 * clients dropped) and discards the rest. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	http_body *b = user;
	size_t len = size * nmemb, take = ACTION_BODY_KEEP - b->n;

	if (take > len)
		take = len;
	memcpy(b->keep + b->n, data, take);
	b->n += take;
	b->keep[b->n] = '\0';
	return len;
}

/* Lets a shutdown abandon a slow request. */
static int on_progress(void *user, curl_off_t a, curl_off_t b, curl_off_t c,
		       curl_off_t d)
{
	volatile int *stop = user;

	(void)a, (void)b, (void)c, (void)d;
	return stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE);
}

/* The JSON body of a POST: the match, as the events describe it. */
static char *post_body(const stream_hit *h)
{
	char *buf = NULL, hex[65];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	vigil_pdq_to_hex(&h->hash, hex);
	fputs("{\"stream\":", f);
	vigil__json_str(f, h->stream);
	fputs(",\"app\":", f);
	vigil__json_str(f, h->app);
	fputs(",\"name\":", f);
	vigil__json_str(f, h->name);
	fputs(",\"bank\":", f);
	vigil__json_str(f, h->m->bank);
	fprintf(f, ",\"entry\":%lld,\"distance\":%d,\"seconds\":%.3f,\"hash\":\"%s\"}",
		(long long)h->m->entry_id, h->m->distance, h->seconds, hex);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int run_http(const stream_action *a, const stream_hit *h, char *res,
		    size_t cap)
{
	char *url = malloc(STREAM_ACTION_URL_MAX), *body = NULL;
	char err[CURL_ERROR_SIZE + 64] = "";
	http_body resp = {.n = 0};
	CURL *c = NULL;
	long status = 0;
	CURLcode cr;
	int rc = -1;

	resp.keep[0] = '\0';
	if (!url) {
		snprintf(res, cap, "http: out of memory");
		return -1;
	}
	if (stream_expand(a->http, h, url, STREAM_ACTION_URL_MAX, err, sizeof(err))) {
		snprintf(res, cap, "http: %s", err);
		goto out;
	}
	c = curl_easy_init();
	if (!c || (a->http_post && !(body = post_body(h)))) {
		snprintf(res, cap, "http: out of memory");
		goto out;
	}
	err[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM */
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)a->timeout_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)a->stop);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vigil/" VIGIL_VERSION);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		/* A const header list: curl copies nothing, keep it static. */
		static struct curl_slist json = {"Content-Type: application/json", NULL};
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, &json);
	}
	cr = curl_easy_perform(c);
	if (cr != CURLE_OK) {
		snprintf(res, cap, "%s %.120s -> %s", body ? "POST" : "GET", url,
			 err[0] ? err : curl_easy_strerror(cr));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	/* The body, on one line, for the record. */
	for (char *p = resp.keep; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	snprintf(res, cap, "%s %.120s -> %ld '%.40s'", body ? "POST" : "GET", url,
		 status, resp.keep);
	rc = status >= 200 && status < 300 ? 0 : -1;
out:
	curl_easy_cleanup(c);
	free(body);
	free(url);
	return rc;
}

/* ------------------------------------------------------------------ exec */

/* environ without VIGIL_* entries (ours replace them), then ours. */
static char **child_env(char vars[][STREAM_URL_MAX + 32], int nvars)
{
	char **env;
	size_t n = 0, k = 0, i;

	while (environ && environ[n] && n < ACTION_ENV_MAX)
		n++;
	env = calloc(n + (size_t)nvars + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "VIGIL_", 6))
			env[k++] = environ[i];
	for (i = 0; i < (size_t)nvars; i++)
		env[k++] = vars[i];
	env[k] = NULL;
	return env;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs a->exec with the match in VIGIL_* variables, its standard output sent
 * to our standard error (ours carries the JSON events) and its input from
 * /dev/null; kills it at the timeout. */
static int run_exec(const stream_action *a, const stream_hit *h, char *res,
		    size_t cap)
{
	char vars[8][STREAM_URL_MAX + 32], hex[65];
	char *argv[2] = {(char *)a->exec, NULL};
	char **env;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	pid_t pid;
	int64_t deadline;
	int st = 0, r, killed = 0;

	vigil_pdq_to_hex(&h->hash, hex);
	snprintf(vars[0], sizeof(vars[0]), "VIGIL_STREAM=%s", h->stream);
	snprintf(vars[1], sizeof(vars[1]), "VIGIL_BANK=%s", h->m->bank);
	snprintf(vars[2], sizeof(vars[2]), "VIGIL_ENTRY=%lld", (long long)h->m->entry_id);
	snprintf(vars[3], sizeof(vars[3]), "VIGIL_DISTANCE=%d", h->m->distance);
	snprintf(vars[4], sizeof(vars[4]), "VIGIL_SECONDS=%.3f", h->seconds);
	snprintf(vars[5], sizeof(vars[5]), "VIGIL_HASH=%s", hex);
	snprintf(vars[6], sizeof(vars[6]), "VIGIL_APP=%s", h->app);
	snprintf(vars[7], sizeof(vars[7]), "VIGIL_NAME=%s", h->name);
	env = child_env(vars, 8);
	if (!env) {
		snprintf(res, cap, "exec: out of memory");
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);
	/* Our threads block SIGINT/SIGTERM and ignore SIGPIPE: the child
	 * starts with the defaults. */
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	r = posix_spawnp(&pid, a->exec, &fa, &at, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(env);
	if (r) {
		snprintf(res, cap, "exec %.200s -> %s", a->exec, strerror(r));
		return -1;
	}
	deadline = now_ms() + a->timeout_ms;
	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			break;
		if (!killed && (now_ms() > deadline ||
				(a->stop && __atomic_load_n(a->stop, __ATOMIC_ACQUIRE)))) {
			kill(pid, SIGKILL);
			killed = 1;
		}
		usleep(ACTION_POLL_MS * 1000);
	}
	if (r < 0) {
		snprintf(res, cap, "exec %.200s -> waitpid: %s", a->exec, strerror(errno));
		return -1;
	}
	if (killed) {
		snprintf(res, cap, "exec %.200s -> killed after %d ms", a->exec,
			 a->timeout_ms);
		return -1;
	}
	if (WIFEXITED(st)) {
		snprintf(res, cap, "exec %.200s -> exit %d", a->exec, WEXITSTATUS(st));
		return WEXITSTATUS(st) ? -1 : 0;
	}
	snprintf(res, cap, "exec %.200s -> signal %d", a->exec,
		 WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return -1;
}

int stream_action_run(const stream_action *a, const stream_hit *h, char *result,
		      size_t cap)
{
	char one[STREAM_RESULT_MAX];
	int rc = 0;

	result[0] = '\0';
	if (a->http) {
		rc |= run_http(a, h, one, sizeof(one));
		snprintf(result, cap, "%s", one);
	}
	if (a->exec) {
		size_t n = strlen(result);
		rc |= run_exec(a, h, one, sizeof(one));
		snprintf(result + n, cap - n, "%s%s", n ? "; " : "", one);
	}
	if (!a->http && !a->exec)
		snprintf(result, cap, "none");
	return rc;
}
