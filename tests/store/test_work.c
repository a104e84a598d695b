/* Shared work (vigil/store.h): two handles on one store play two
 * instances. The finish counts only for the last claimer and only once;
 * a finish refused inside a transaction leaves that transaction to be
 * rolled back with nothing of it written. SQLite by default, the
 * PostgreSQL database in $VIGIL_TEST_PG_URI when set (pg/work). */
#include "vigil.h"
#include "../test.h"

#include <unistd.h>

static vigil_work item(const char *id, const char *kind, const char *state, const char *owner)
{
	vigil_work w;

	memset(&w, 0, sizeof(w));
	snprintf(w.id, sizeof(w.id), "%s", id);
	snprintf(w.kind, sizeof(w.kind), "%s", kind);
	snprintf(w.state, sizeof(w.state), "%s", state);
	snprintf(w.owner, sizeof(w.owner), "%s", owner);
	w.lease_until_ms = 1;
	return w;
}

int main(void)
{
	char path[] = "/tmp/vigil-test-work-XXXXXX", db[512];
	const char *pg = getenv("VIGIL_TEST_PG_URI");
	vigil_ctx *ctx;
	vigil_store *a = NULL, *b = NULL;
	vigil_work w, got, *list = NULL;
	uint8_t media[3000];
	size_t n = 0;
	int ok, held;
	int fd = mkstemp(path);

	close(fd);
	unlink(path);
	snprintf(db, sizeof(db), pg && *pg ? "%s" : "sqlite:%s", pg && *pg ? pg : path);
	CHECK(vigil_ctx_new(&ctx) == 0);
	CHECK(vigil_store_open(ctx, db, &a) == 0);
	CHECK(vigil_store_open(ctx, db, &b) == 0);
	for (size_t i = 0; i < sizeof(media); i++)
		media[i] = (uint8_t)(i * 7);

	/* Stored by A with its upload; read back by B. */
	w = item("job-1", "video", "queued", "A");
	w.spec = "{\"context\":{}}";
	w.media = media;
	w.media_len = sizeof(media);
	CHECK(vigil_work_add(a, &w) == 0);
	CHECK(vigil_work_add(b, &w) == VIGIL_EEXIST);
	CHECK(vigil_work_get(b, "job-1", 1, &got) == 0);
	CHECK(!strcmp(got.owner, "A") && !strcmp(got.state, "queued") && got.attempts == 1 &&
	      !strcmp(got.spec, "{\"context\":{}}") && !strcmp(got.result, "") &&
	      got.media_len == sizeof(media) && !memcmp(got.media, media, sizeof(media)));
	vigil_work_clear(&got);
	CHECK(vigil_work_get(b, "job-1", 0, &got) == 0 && !got.media);
	vigil_work_clear(&got);
	CHECK(vigil_work_get(b, "job-2", 0, &got) == VIGIL_ENOENT);
	w = item("job-0", "video", "sleeping", "A");
	CHECK(vigil_work_add(a, &w) == VIGIL_EINVAL);
	w = item("", "video", "queued", "A");
	CHECK(vigil_work_add(a, &w) == VIGIL_EINVAL);
	w = item("s-1", "stream", "watching", "A");
	w.spec = "{\"url\":\"rtmp://h/live/x\"}";
	CHECK(vigil_work_add(a, &w) == 0);
	CHECK(vigil_work_open(b, "video", 10, &list, &n) == 0 && n == 1 &&
	      !strcmp(list[0].id, "job-1") && !list[0].media);
	vigil_works_free(list, n);

	/* Who may work on it is a lease: B waits while A's is alive. */
	CHECK(vigil_store_lease(a, "work:job-1", "A", 60000, &held) == 0 && held);
	CHECK(vigil_store_lease(b, "work:job-1", "B", 60000, &held) == 0 && !held);
	CHECK(vigil_store_lease(a, "work:job-1", "A", 0, &held) == 0);
	CHECK(vigil_store_lease(b, "work:job-1", "B", 60000, &held) == 0 && held);

	/* A started it; B took it over (A is slow, not dead). */
	CHECK(vigil_work_finish(a, "job-1", "A", "running", NULL, &ok) == 0 && ok);
	CHECK(vigil_work_claim(b, "job-1", "B", NULL, 5, &ok) == 0 && ok);
	CHECK(vigil_work_get(a, "job-1", 1, &got) == 0 && !strcmp(got.owner, "B") &&
	      got.attempts == 2 && !strcmp(got.state, "running") && got.lease_until_ms == 5 &&
	      got.media_len == sizeof(media));
	vigil_work_clear(&got);
	/* A's finish comes back in its transaction: refused, so A rolls back
	 * what it wrote beside it. */
	CHECK(vigil_store_begin(a) == 0);
	CHECK(vigil_bank_create(a, "written-by-a", NULL, NULL, NULL) == 0);
	CHECK(vigil_work_finish(a, "job-1", "A", "done", "{\"by\":\"A\"}", &ok) == 0 && !ok);
	vigil_store_rollback(a);
	{
		vigil_bank bk;
		CHECK(vigil_bank_get(b, "written-by-a", &bk) == VIGIL_ENOENT);
	}
	/* B's counts, once. */
	CHECK(vigil_store_begin(b) == 0);
	CHECK(vigil_work_finish(b, "job-1", "B", "done", "{\"by\":\"B\"}", &ok) == 0 && ok);
	CHECK(vigil_store_commit(b) == 0);
	CHECK(vigil_work_finish(b, "job-1", "B", "done", "{\"by\":\"B2\"}", &ok) == 0 && !ok);
	CHECK(vigil_work_finish(a, "job-1", NULL, "failed", NULL, &ok) == 0 && !ok);
	CHECK(vigil_work_claim(a, "job-1", "A", NULL, 9, &ok) == 0 && !ok);
	CHECK(vigil_work_get(a, "job-1", 1, &got) == 0 && !strcmp(got.state, "done") &&
	      !strcmp(got.owner, "B") && !strcmp(got.result, "{\"by\":\"B\"}") && !got.media);
	vigil_work_clear(&got);
	CHECK(vigil_work_open(a, "video", 10, &list, &n) == 0 && n == 0);
	vigil_works_free(list, n);

	/* A stream removed through any instance (owner NULL). */
	CHECK(vigil_work_open(b, "stream", 10, &list, &n) == 0 && n == 1 &&
	      !strcmp(list[0].spec, "{\"url\":\"rtmp://h/live/x\"}"));
	vigil_works_free(list, n);
	CHECK(vigil_work_finish(b, "s-1", NULL, "removed", "{}", &ok) == 0 && ok);
	CHECK(vigil_work_open(a, "stream", 10, &list, &n) == 0 && n == 0);
	vigil_works_free(list, n);
	CHECK(vigil_work_open(a, "stream", 0, &list, &n) == VIGIL_EINVAL);

	/* Pruning: finished items (job-1 done, s-1 removed) last updated
	 * before the cut-off go, at most max a call; an
	 * open one (job-3) stays however old. */
	w = item("job-3", "video", "queued", "A");
	CHECK(vigil_work_add(a, &w) == 0);
	{
		size_t pruned = 9;
		CHECK(vigil_work_prune(a, 1, 10, &pruned) == 0 && pruned == 0);
		int left;
		CHECK(vigil_work_prune(b, INT64_MAX, 1, &pruned) == 0 && pruned == 1);
		left = (vigil_work_get(a, "job-1", 0, &got) == 0);
		vigil_work_clear(&got);
		left += (vigil_work_get(a, "s-1", 0, &got) == 0);
		vigil_work_clear(&got);
		CHECK(left == 1);
		CHECK(vigil_work_prune(a, INT64_MAX, 10, &pruned) == 0 && pruned == 1);
		CHECK(vigil_work_get(a, "job-1", 0, &got) == VIGIL_ENOENT);
		CHECK(vigil_work_get(a, "s-1", 0, &got) == VIGIL_ENOENT);
		CHECK(vigil_work_prune(a, INT64_MAX, 10, &pruned) == 0 && pruned == 0);
		CHECK(vigil_work_get(b, "job-3", 0, &got) == 0 && !strcmp(got.state, "queued"));
		vigil_work_clear(&got);
		CHECK(vigil_work_prune(a, INT64_MAX, 0, &pruned) == VIGIL_EINVAL);
	}

	vigil_store_close(a);
	vigil_store_close(b);
	vigil_ctx_free(ctx);
	unlink(path);
	snprintf(db, sizeof(db), "%s-wal", path);
	unlink(db);
	snprintf(db, sizeof(db), "%s-shm", path);
	unlink(db);
	return test_done("work");
}
