/* Webhook delivery against a real receiver (receiver.py): signatures it
 * can verify, 2xx = delivered, retries with backoff, failed after max age,
 * hosts outside the allowlist and missing secrets refused, no redelivery
 * of what was delivered. */
#include "vigil.h"
#include "../test.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char logpath[256];

static int count_lines(const char *prefix, const char *eid)
{
	char line[4096];
	int n = 0;
	FILE *f = fopen(logpath, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, prefix, strlen(prefix)) && strstr(line, eid))
			n++;
	fclose(f);
	return n;
}

static vigil_event get(vigil_store *st, const char *eid, int state, int *found)
{
	vigil_event *v = NULL, e;
	size_t n = 0, i;

	memset(&e, 0, sizeof(e));
	*found = 0;
	if (vigil_outbox_list(st, state, 100, &v, &n) == 0)
		for (i = 0; i < n; i++)
			if (!strcmp(v[i].event_id, eid)) {
				e = v[i];
				e.body = NULL;
				*found = 1;
			}
	vigil_events_free(v, n);
	return e;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/vigil-test-deliver-XXXXXX", portfile[256], db[256];
	char url_ok[128], url_flaky[128], url_fail[128];
	char e1[40], e2[40], e3[40], e4[40], e5[40], e6[40];
	const char *allow[] = {"127.0.0.1", NULL};
	vigil_deliver_opts o;
	vigil_deliver_stats s;
	vigil_ctx *ctx;
	vigil_store *st = NULL;
	vigil_event e;
	struct timespec ts = {0, 20000000};
	int port = 0, i, found;
	pid_t pid;
	FILE *f;

	if (argc < 2) {
		fprintf(stderr, "usage: test_deliver RECEIVER.py\n");
		return 2;
	}
	CHECK(mkdtemp(dir) != NULL);
	snprintf(portfile, sizeof(portfile), "%s/port", dir);
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	snprintf(db, sizeof(db), "%s/v.db", dir);
	pid = fork();
	if (pid == 0) {
		execlp("python3", "python3", argv[1], portfile, logpath, "s3cret", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && !(f = fopen(portfile, "r")); i++)
		nanosleep(&ts, NULL);
	CHECK(f != NULL);
	if (!f)
		goto out;
	CHECK(fscanf(f, "%d", &port) == 1);
	fclose(f);
	snprintf(url_ok, sizeof(url_ok), "http://127.0.0.1:%d/hook", port);
	snprintf(url_flaky, sizeof(url_flaky), "http://127.0.0.1:%d/flaky", port);
	snprintf(url_fail, sizeof(url_fail), "http://127.0.0.1:%d/fail", port);

	CHECK(vigil_ctx_new(&ctx) == 0);
	CHECK(vigil_store_open(ctx, db, &st) == 0);
	setenv("VIGIL_TEST_HOOK_SECRET", "s3cret", 1);
	CHECK(vigil_outbox_add(st, "verdict", url_ok, "", "{\"verdict\":\"block\"}", e1) == 0);
	CHECK(vigil_outbox_add(st, "case.created", url_ok, "env:VIGIL_TEST_HOOK_SECRET",
			       "{\"case\":7}", e2) == 0);
	CHECK(vigil_outbox_add(st, "verdict", url_flaky, "", "{}", e3) == 0);
	CHECK(vigil_outbox_add(st, "verdict", url_fail, "", "{}", e4) == 0);
	/* localhost is not 127.0.0.1 on the allowlist: refused at once. */
	{
		char u[128];
		snprintf(u, sizeof(u), "http://localhost:%d/hook", port);
		CHECK(vigil_outbox_add(st, "verdict", u, "", "{}", e5) == 0);
	}
	CHECK(vigil_outbox_add(st, "verdict", url_ok, "env:VIGIL_TEST_UNSET_SECRET", "{}",
			       e6) == 0);

	memset(&o, 0, sizeof(o));
	o.allow = allow;
	o.secret = "s3cret";
	o.backoff_ms = 1;
	o.max_backoff_ms = 2;
	o.max_age_s = 1;
	CHECK(vigil_outbox_deliver(st, &o, &s) == 0);
	CHECKF(s.delivered == 2 && s.retried == 2 && s.failed == 2, "%zu %zu %zu",
	       s.delivered, s.retried, s.failed);
	CHECK(count_lines("new ", e1) == 1 && count_lines("new ", e2) == 1);
	CHECK(count_lines("error ", e3) == 1 && count_lines("error ", e4) == 1);
	CHECK(count_lines("", e5) == 0 && count_lines("", e6) == 0);
	e = get(st, e3, VIGIL_OUTBOX_PENDING, &found);
	CHECK(found && e.attempts == 1 && strstr(e.last_error, "HTTP 500"));
	e = get(st, e5, VIGIL_OUTBOX_FAILED, &found);
	CHECK(found && strstr(e.last_error, "webhook_allow"));
	e = get(st, e6, VIGIL_OUTBOX_FAILED, &found);
	CHECK(found && strstr(e.last_error, "is not set"));
	/* The global secret is never written into an error. */
	CHECK(!strstr(e.last_error, "s3cret"));

	/* The retry: flaky now succeeds, fail still fails. */
	nanosleep(&ts, NULL);
	CHECK(vigil_outbox_deliver(st, &o, &s) == 0);
	CHECK(s.delivered == 1 && s.retried == 1 && s.failed == 0);
	CHECK(count_lines("new ", e3) == 1);
	e = get(st, e3, VIGIL_OUTBOX_DELIVERED, &found);
	CHECK(found && e.attempts == 2);
	/* Past max_age_s a failing event is marked failed. */
	sleep(1);
	nanosleep(&ts, NULL);
	CHECK(vigil_outbox_deliver(st, &o, &s) == 0);
	CHECK(s.failed == 1 && s.delivered == 0);
	e = get(st, e4, VIGIL_OUTBOX_FAILED, &found);
	CHECK(found && e.attempts == 3);
	/* Nothing delivered is sent again; nothing was ever badly signed. */
	CHECK(vigil_outbox_deliver(st, &o, &s) == 0 && s.delivered + s.retried + s.failed == 0);
	CHECK(count_lines("dup ", "") == 0 && count_lines("badsig", "") == 0);
	{
		int64_t c[3];
		CHECK(vigil_outbox_counts(st, c) == 0 && c[0] == 0 && c[1] == 3 && c[2] == 3);
	}
	/* A wrong secret: the receiver refuses it (its check can fail). */
	CHECK(vigil_outbox_add(st, "verdict", url_ok, "", "{}", e1) == 0);
	o.secret = "not-the-secret";
	CHECK(vigil_outbox_deliver(st, &o, &s) == 0 && s.retried == 1);
	CHECK(count_lines("badsig ", e1) == 1);
	vigil_store_close(st);
	vigil_ctx_free(ctx);
out:
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd)) {
		}
	}
	return test_done("pipeline/deliver");
}
