/* test_action.c — the stream actions' pure parts: URL templates (every value
 * percent-encoded, unknown placeholders refused, lengths bounded), the
 * app/name split of stream URLs, and the program action's environment. */
#include "../../src/stream/stream_int.h"
#include "../test.h"

#include <sys/stat.h>
#include <unistd.h>

static void test_split(void)
{
	char app[64], name[64];

	stream_split_url("rtmp://127.0.0.1:1935/live/cam1", app, sizeof(app), name,
			 sizeof(name));
	CHECK(!strcmp(app, "live") && !strcmp(name, "cam1"));
	stream_split_url("rtmp://h/app/a/b?token=x#f", app, sizeof(app), name,
			 sizeof(name));
	CHECK(!strcmp(app, "app") && !strcmp(name, "a/b"));
	stream_split_url("rtsp://h/only", app, sizeof(app), name, sizeof(name));
	CHECK(!strcmp(app, "") && !strcmp(name, "only"));
	stream_split_url("rtmp://h", app, sizeof(app), name, sizeof(name));
	CHECK(!app[0] && !name[0]);
	stream_split_url("nonsense", app, sizeof(app), name, sizeof(name));
	CHECK(!app[0] && !name[0]);
}

static void test_expand(void)
{
	vigil_match m;
	stream_hit h;
	char out[256], err[200];

	memset(&m, 0, sizeof(m));
	snprintf(m.bank, sizeof(m.bank), "known");
	m.entry_id = 42;
	m.distance = 3;
	memset(&h, 0, sizeof(h));
	h.stream = "rtmp://h/live/a b&c=d";
	h.app = "live";
	h.name = "a b&c=d/../x";
	h.seconds = 6.24;
	h.m = &m;
	CHECK(stream_expand("http://x/drop?app={app}&name={name}&e={entry}&d={distance}"
			    "&s={seconds}&b={bank}",
			    &h, out, sizeof(out), err, sizeof(err)) == 0);
	/* The stream's name cannot add parameters or path segments. */
	CHECKF(!strcmp(out, "http://x/drop?app=live&name=a%20b%26c%3Dd%2F..%2Fx&e=42&d=3"
			    "&s=6.240&b=known"), "%s", out);
	CHECK(stream_expand("http://x/{hash}", &h, out, sizeof(out), err, sizeof(err)) == 0);
	CHECK(strlen(out) == strlen("http://x/") + 64);
	CHECK(stream_expand("http://x/{stream}", &h, out, 20, err, sizeof(err)) == -1);
	CHECK(strstr(err, "longer") != NULL);
	CHECK(stream_expand("http://x/{nope}", &h, out, sizeof(out), err, sizeof(err)) == -1);
	CHECK(strstr(err, "unknown placeholder") != NULL);
	CHECK(stream_expand("http://x/{name", &h, out, sizeof(out), err, sizeof(err)) == -1);
	CHECK(stream_check_http("http://127.0.0.1/{app}", err, sizeof(err)) == 0);
	CHECK(stream_check_http("https://h/", err, sizeof(err)) == 0);
	CHECK(stream_check_http("file:///etc/passwd", err, sizeof(err)) == -1);
	CHECK(stream_check_http("http://h/{x}", err, sizeof(err)) == -1);
}

/* The program gets the match in VIGIL_* variables and nothing from the
 * stream on its command line; a failing or missing program is a failure. */
static void test_exec(const char *dir)
{
	vigil_match m;
	stream_hit h;
	stream_action a;
	char prog[512], env[512], line[512], res[STREAM_RESULT_MAX];
	FILE *f;
	int seen = 0;

	snprintf(prog, sizeof(prog), "%s/test_action_prog.sh", dir);
	snprintf(env, sizeof(env), "%s/test_action_prog.env", dir);
	f = fopen(prog, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "#!/bin/sh\n[ $# -eq 0 ] || exit 3\nenv > '%s'\nexit 0\n", env);
	fclose(f);
	chmod(prog, 0755);
	memset(&m, 0, sizeof(m));
	snprintf(m.bank, sizeof(m.bank), "known");
	m.entry_id = 7;
	memset(&h, 0, sizeof(h));
	h.stream = "rtmp://h/live/$(touch pwned)";
	h.app = "live";
	h.name = "$(touch pwned)";
	h.m = &m;
	memset(&a, 0, sizeof(a));
	a.exec = prog;
	a.timeout_ms = 5000;
	CHECKF(stream_action_run(&a, &h, res, sizeof(res)) == 0, "%s", res);
	CHECK(strstr(res, "exit 0") != NULL);
	f = fopen(env, "r");
	CHECK(f != NULL);
	while (f && fgets(line, sizeof(line), f)) {
		seen += !strcmp(line, "VIGIL_STREAM=rtmp://h/live/$(touch pwned)\n");
		seen += !strcmp(line, "VIGIL_ENTRY=7\n");
		seen += !strcmp(line, "VIGIL_BANK=known\n");
	}
	if (f)
		fclose(f);
	CHECK(seen == 3);
	CHECK(access("pwned", F_OK) != 0);
	a.exec = "/nonexistent/program";
	CHECK(stream_action_run(&a, &h, res, sizeof(res)) == -1);
	CHECK(strstr(res, "No such file") != NULL);
	/* A program that hangs is killed at the timeout. */
	f = fopen(prog, "w");
	if (f) {
		fprintf(f, "#!/bin/sh\nexec sleep 30\n");
		fclose(f);
	}
	a.exec = prog;
	a.timeout_ms = 200;
	CHECK(stream_action_run(&a, &h, res, sizeof(res)) == -1);
	CHECKF(strstr(res, "killed") != NULL, "%s", res);
	unlink(prog);
	unlink(env);
}

int main(int argc, char **argv)
{
	test_split();
	test_expand();
	test_exec(argc > 1 ? argv[1] : ".");
	return test_done("stream/action");
}
