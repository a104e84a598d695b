/* test_monitor.c — the public monitor API without a live stream: argument
 * checks, streams added and removed by id while the monitor runs (against a
 * refused loopback port, so their threads cycle through failures and
 * backoff), the status snapshot, serialised callbacks that may call
 * vigil_monitor_status; and the evidence queue's bound and its retries
 * against a store another connection keeps write-locked. */
#include "../../src/stream/stream_int.h"
#include "../test.h"

#include <pthread.h>
#include <sqlite3.h>
#include <unistd.h>

typedef struct rec {
	int count[VIGIL__MON_EVENT_END];
	int64_t stopped[16];
	int nstopped;
	int inside, overlap;    /* two callbacks at once? */
	int status_calls;       /* vigil_monitor_status from inside */
	vigil_monitor *mon;     /* set once the monitor exists */
} rec;

static void on_event(void *user, const vigil_monitor_event *ev)
{
	rec *r = user;
	vigil_monitor *mon = __atomic_load_n(&r->mon, __ATOMIC_ACQUIRE);
	size_t n;

	if (__atomic_exchange_n(&r->inside, 1, __ATOMIC_ACQ_REL))
		r->overlap = 1;
	if (ev->type >= 0 && ev->type < VIGIL__MON_EVENT_END)
		__atomic_fetch_add(&r->count[ev->type], 1, __ATOMIC_ACQ_REL);
	if (ev->type == VIGIL_MON_STOPPED && r->nstopped < 16)
		r->stopped[r->nstopped++] = ev->stream_id;
	if (ev->type == VIGIL_MON_DISCONNECTED && mon) {
		vigil_monitor_status(mon, NULL, 0, &n, NULL);
		r->status_calls++;
	}
	usleep(500); /* widen the window an overlap would need */
	__atomic_store_n(&r->inside, 0, __ATOMIC_RELEASE);
}

static int count_of(rec *r, int type)
{
	return __atomic_load_n(&r->count[type], __ATOMIC_ACQUIRE);
}

static void test_args(vigil_ctx *ctx, vigil_matcher *m)
{
	vigil_monitor_opts o;
	vigil_monitor *mon = NULL;
	char err[300];

	memset(&o, 0, sizeof(o));
	CHECK(vigil_monitor_new(ctx, &o, &mon) == VIGIL_EINVAL && !mon);
	o.matcher = m;
	o.action.http = "http://x/{nope}";
	CHECK(vigil_monitor_new(ctx, &o, &mon) == VIGIL_EINVAL);
	CHECKF(strstr(vigil_errmsg(ctx), "placeholder") != NULL, "%s", vigil_errmsg(ctx));
	o.action.http = NULL;
	o.action.http_post = 1;
	CHECK(vigil_monitor_new(ctx, &o, &mon) == VIGIL_EINVAL);
	o.action.http_post = 0;
	o.interval = -1;
	CHECK(vigil_monitor_new(ctx, &o, &mon) == VIGIL_EINVAL);
	CHECK(vigil_monitor_check_url("rtmp://h/live/a", err, sizeof(err)) == 0);
	CHECK(vigil_monitor_check_url("/etc/passwd", err, sizeof(err)) == -1);
	CHECK(vigil_monitor_check_url("file:///etc/passwd", err, sizeof(err)) == -1);
	CHECK(vigil_monitor_check_url("rtmp:///x", err, sizeof(err)) == -1);
	vigil_monitor_free(NULL);
}

/* Polls until cond() holds or about 10 s pass. */
#define WAIT_FOR(cond)                                                         \
	do {                                                                   \
		int w_;                                                        \
		for (w_ = 0; w_ < 1000 && !(cond); w_++)                       \
			usleep(10000);                                         \
	} while (0)

static void test_add_remove(vigil_ctx *ctx, vigil_matcher *m)
{
	vigil_monitor_opts o;
	vigil_monitor *mon = NULL;
	vigil_stream_status st[8];
	vigil_monitor_stats stats;
	rec r;
	int64_t id[4];
	size_t n = 0;
	int i;

	memset(&r, 0, sizeof(r));
	memset(&o, 0, sizeof(o));
	o.matcher = m;
	o.backoff_ms = 20;
	o.max_backoff_ms = 40;
	o.timeout_ms = 2000;
	o.on_event = on_event;
	o.user = &r;
	CHECK(vigil_monitor_new(ctx, &o, &mon) == VIGIL_OK);
	if (!mon)
		return;
	__atomic_store_n(&r.mon, mon, __ATOMIC_RELEASE);
	/* Port 1 on loopback refuses: each thread fails and retries. */
	CHECK(vigil_monitor_add(mon, ctx, "tcp://127.0.0.1:1/a", &id[0]) == VIGIL_OK);
	CHECK(vigil_monitor_add(mon, ctx, "tcp://127.0.0.1:1/b", &id[1]) == VIGIL_OK);
	CHECK(vigil_monitor_add(mon, ctx, "tcp://127.0.0.1:1/c", &id[2]) == VIGIL_OK);
	CHECK(id[0] != id[1] && id[1] != id[2] && id[0] != id[2]);
	CHECK(vigil_monitor_add(mon, ctx, "/etc/passwd", &id[3]) == VIGIL_EINVAL);
	CHECK(count_of(&r, VIGIL_MON_STARTED) == 3);
	vigil_monitor_status(mon, st, 8, &n, &stats);
	CHECK(n == 3 && stats.streams == 3);
	CHECK(n == 3 && st[0].id == id[0] && st[1].id == id[1] && st[2].id == id[2]);
	CHECK(n == 3 && !strcmp(st[1].url, "tcp://127.0.0.1:1/b"));
	/* Each stream fails at least twice (one retry seen). */
	WAIT_FOR(count_of(&r, VIGIL_MON_DISCONNECTED) >= 6);
	CHECK(count_of(&r, VIGIL_MON_DISCONNECTED) >= 6);
	CHECK(count_of(&r, VIGIL_MON_CONNECTED) == 0);
	vigil_monitor_status(mon, st, 8, &n, NULL);
	for (i = 0; i < (int)n && i < 8; i++)
		CHECKF(st[i].reconnects >= 1 && st[i].last_error[0], "%s: %lld, '%s'",
		       st[i].url, (long long)st[i].reconnects, st[i].last_error);

	/* Removed while running: its thread ends (STOPPED), the others go on. */
	CHECK(vigil_monitor_remove(mon, ctx, id[1]) == VIGIL_OK);
	CHECK(r.nstopped == 1 && r.stopped[0] == id[1]);
	CHECK(vigil_monitor_remove(mon, ctx, id[1]) == VIGIL_ENOENT);
	vigil_monitor_status(mon, st, 8, &n, NULL);
	CHECK(n == 2 && st[0].id == id[0] && st[1].id == id[2]);
	CHECK(vigil_monitor_add(mon, ctx, "tcp://127.0.0.1:1/d", &id[3]) == VIGIL_OK);
	CHECK(id[3] != id[0] && id[3] != id[1] && id[3] != id[2]);
	vigil_monitor_status(mon, st, 1, &n, NULL); /* max 1: n is still the total */
	CHECK(n == 3 && st[0].id == id[0]);

	vigil_monitor_stop(mon);
	CHECK(r.nstopped == 4);
	vigil_monitor_status(mon, st, 8, &n, NULL);
	CHECK(n == 0);
	CHECK(vigil_monitor_flush(mon, 0) == 0); /* no store: nothing queued */
	CHECK(count_of(&r, VIGIL_MON_STARTED) == 4);
	CHECK(!r.overlap);
	CHECK(r.status_calls > 0);
	vigil_monitor_free(mon);
}

/* ---------------------------------------------------- evidence queue */

typedef struct evq_rec {
	int stored, retries;
	int64_t last_id;
} evq_rec;

static void on_evq(void *user, int type, const vigil__ev_item *it, int64_t evid,
		   const char *reason, int retry_ms, int64_t pending)
{
	evq_rec *r = user;

	(void)it, (void)pending;
	if (type == VIGIL_MON_EVIDENCE) {
		r->stored++;
		CHECK(evid > r->last_id); /* written in order */
		r->last_id = evid;
	} else if (type == VIGIL_MON_EVIDENCE_RETRY) {
		r->retries++;
		CHECK(reason && reason[0] && retry_ms > 0);
	}
}

static vigil__ev_item *item(int k)
{
	vigil__ev_item *it = calloc(1, sizeof(*it));

	if (!it)
		return NULL;
	it->url = malloc(32);
	if (!it->url) {
		free(it);
		return NULL;
	}
	snprintf(it->url, 32, "rtmp://h/live/%d", k);
	snprintf(it->ev.source, sizeof(it->ev.source), "%s", it->url);
	snprintf(it->ev.bank, sizeof(it->ev.bank), "known");
	snprintf(it->ev.action, sizeof(it->ev.action), "test %d", k);
	it->ev.entry_id = k;
	it->ev.variant = -1;
	return it;
}

static void test_queue(vigil_ctx *ctx, const char *dir)
{
	char path[512];
	vigil_store *st = NULL;
	vigil__evq *q = NULL;
	vigil__ev_item *it;
	vigil_evidence *ev = NULL;
	sqlite3 *db = NULL;
	evq_rec r;
	int64_t stored = -1, pending = -1, lost = -1, retries = -1;
	size_t n = 0;
	int k;

	memset(&r, 0, sizeof(r));
	snprintf(path, sizeof(path), "%s/test_monitor_%d.db", dir, (int)getpid());
	unlink(path);
	CHECK(vigil_store_open(ctx, path, &st) == VIGIL_OK); /* the schema */
	vigil_store_close(st);
	st = NULL;
	/* Another writer holds the lock from before the first record. */
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(vigil__evq_new(ctx, path, 3, 10, on_evq, &r, &q) == VIGIL_OK);
	if (!q)
		goto out;
	for (k = 1; k <= 3; k++) {
		it = item(k);
		CHECK(it && vigil__evq_push(q, it) == VIGIL_OK);
	}
	/* Full: the fourth stays the caller's. */
	it = item(4);
	CHECK(it && vigil__evq_push(q, it) == VIGIL_ETOOBIG);
	if (it) {
		free(it->url);
		free(it);
	}
	vigil__evq_count_lost(q);
	CHECK(vigil__evq_flush(q, 50) == 3);
	vigil__evq_stats(q, &stored, &pending, &lost, &retries);
	CHECK(stored == 0 && pending == 3 && lost == 1);
	/* Released: everything queued is written, in order. */
	CHECK(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(vigil__evq_flush(q, -1) == 0);
	vigil__evq_stats(q, &stored, &pending, &lost, &retries);
	CHECK(stored == 3 && pending == 0 && lost == 1);
	CHECK(r.stored == 3);
	vigil__evq_free(q);
	q = NULL;
	CHECK(vigil_store_open(ctx, path, &st) == VIGIL_OK);
	CHECK(st && vigil_evidence_list(st, 0, 100, &ev, &n) == VIGIL_OK);
	CHECK(n == 3);
	for (k = 0; k < (int)n && k < 3; k++)
		CHECK(ev[k].entry_id == k + 1);
out:
	free(ev);
	vigil_store_close(st);
	vigil__evq_free(q);
	sqlite3_close(db);
	unlink(path);
}

/* Every allocation of new and add failing in turn: VIGIL_ENOMEM, nothing
 * leaked (the ASan build checks), until both succeed. */
static void test_oom(vigil_ctx *ctx, vigil_matcher *m, const char *dir)
{
	vigil_monitor_opts o;
	vigil_monitor *mon;
	char path[512];
	int64_t id;
	long n;
	int rc, rc2, done = 0;

	snprintf(path, sizeof(path), "%s/test_monitor_oom_%d.db", dir, (int)getpid());
	memset(&o, 0, sizeof(o));
	o.matcher = m;
	o.store = path;
	o.backoff_ms = 1000;
	for (n = 0; n < 200 && !done; n++) {
		mon = NULL;
		rc2 = -1;
		vigil__fault_after(n);
		rc = vigil_monitor_new(ctx, &o, &mon);
		if (!rc)
			rc2 = vigil_monitor_add(mon, ctx, "tcp://127.0.0.1:1/x", &id);
		vigil__fault_after(-1);
		CHECKF(rc == VIGIL_OK || rc == VIGIL_ENOMEM || rc == VIGIL_ESTORE,
		       "n=%ld rc=%d", n, rc);
		CHECKF(rc || rc2 == VIGIL_OK || rc2 == VIGIL_ENOMEM, "n=%ld rc2=%d", n, rc2);
		CHECK(rc || mon);
		done = !rc && !rc2;
		vigil_monitor_free(mon);
	}
	CHECK(done);
	unlink(path);
}

int main(int argc, char **argv)
{
	vigil_ctx *ctx = NULL;
	vigil_store *st = NULL;
	vigil_matcher *m = NULL;

	if (vigil_ctx_new(&ctx) || vigil_store_open(ctx, ":memory:", &st) ||
	    vigil_matcher_open(st, &m)) {
		fprintf(stderr, "setup: %s\n", ctx ? vigil_errmsg(ctx) : "no memory");
		return 1;
	}
	test_args(ctx, m);
	test_add_remove(ctx, m);
	test_queue(ctx, argc > 1 ? argv[1] : ".");
	test_oom(ctx, m, argc > 1 ? argv[1] : ".");
	vigil_matcher_free(m);
	vigil_store_close(st);
	vigil_ctx_free(ctx);
	return test_done("stream/monitor");
}
