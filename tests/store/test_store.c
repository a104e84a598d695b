/* The store: banks' life cycle, argument checks, reopening. SQLite by
 * default; the PostgreSQL database in $VIGIL_TEST_PG_URI when that is set
 * (tests/pg/pg_env.sh: the same checks against both backends). */
#include "vigil.h"
#include "../test.h"

#include <unistd.h>

int main(void)
{
	char path[] = "/tmp/vigil-test-store-XXXXXX";
	char db[512];
	const char *pg = getenv("VIGIL_TEST_PG_URI");
	vigil_ctx *ctx;
	vigil_store *st = NULL;
	vigil_bank b, *all = NULL;
	vigil_entry e;
	size_t n = 0;
	char longtext[VIGIL_TEXT_MAX + 2];
	int fd = mkstemp(path);

	close(fd);
	unlink(path);
	if (pg && *pg)
		snprintf(db, sizeof(db), "%s", pg);
	else
		snprintf(db, sizeof(db), "sqlite:%s", path);
	CHECK(vigil_ctx_new(&ctx) == 0);
	CHECK(vigil_store_open(ctx, db, &st) == VIGIL_OK);
	CHECK(vigil_bank_create(st, "hotline", "from the hotline", "source=hotline", &b) == 0);
	CHECK(b.id > 0 && b.enabled == 1 && b.entries == 0);
	CHECK(strcmp(b.labels, "source=hotline") == 0);
	CHECK(vigil_bank_create(st, "hotline", NULL, NULL, NULL) == VIGIL_EEXIST);
	CHECK(strstr(vigil_errmsg(ctx), "already exists") != NULL);
	CHECK(vigil_bank_create(st, "bad name", NULL, NULL, NULL) == VIGIL_EINVAL);
	CHECK(vigil_bank_create(st, "", NULL, NULL, NULL) == VIGIL_EINVAL);
	CHECK(vigil_bank_create(st, "a;drop table banks", NULL, NULL, NULL) == VIGIL_EINVAL);
	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	CHECK(vigil_bank_create(st, "long", longtext, NULL, NULL) == VIGIL_EINVAL);
	CHECK(vigil_bank_create(st, "own-list_2.v1", NULL, NULL, NULL) == 0);
	CHECK(vigil_bank_list(st, &all, &n) == 0 && n == 2);
	CHECK(n == 2 && strcmp(all[0].name, "hotline") == 0 &&
	      strcmp(all[1].name, "own-list_2.v1") == 0);
	free(all);
	CHECK(vigil_bank_set_enabled(st, "hotline", 0) == 0);
	CHECK(vigil_bank_get(st, "hotline", &b) == 0 && b.enabled == 0);
	CHECK(vigil_bank_set_enabled(st, "nope", 1) == VIGIL_ENOENT);
	CHECK(vigil_bank_get(st, "nope", &b) == VIGIL_ENOENT);
	CHECK(vigil_entry_get(st, 12345, &e) == VIGIL_ENOENT);
	vigil_store_close(st);

	/* Reopened: everything committed is there. */
	CHECK(vigil_store_open(ctx, pg && *pg ? db : path, &st) == 0);
	CHECK(vigil_bank_get(st, "hotline", &b) == 0 && b.enabled == 0);
	/* Evidence: stored, listed in order, kept after its bank goes. */
	{
		vigil_evidence ev, *list = NULL;
		size_t k = 0;
		memset(&ev, 0, sizeof(ev));
		snprintf(ev.source, sizeof(ev.source), "rtmp://127.0.0.1/live/cam1");
		ev.source_seconds = 12.5;
		ev.hash.bits[0] = 0xab;
		ev.hash.quality = 90;
		ev.entry_id = 7;
		snprintf(ev.bank, sizeof(ev.bank), "hotline");
		ev.distance = 3;
		ev.variant = 0;
		snprintf(ev.action, sizeof(ev.action), "drop publisher: HTTP 200");
		CHECK(vigil_evidence_add(st, &ev) == 0 && ev.id > 0 && ev.created_ms > 0);
		ev.source_seconds = 13;
		CHECK(vigil_evidence_add(st, &ev) == 0);
		CHECK(vigil_evidence_list(st, 0, 100, &list, &k) == 0 && k == 2);
		CHECK(k == 2 && list[0].id < list[1].id && list[0].source_seconds == 12.5 &&
		      list[0].hash.bits[0] == 0xab && list[0].hash.quality == 90 &&
		      strcmp(list[1].action, "drop publisher: HTTP 200") == 0);
		free(list);
		CHECK(vigil_evidence_list(st, ev.id, 100, &list, &k) == 0 && k == 0);
		free(list);
	}

	CHECK(vigil_bank_delete(st, "hotline") == 0);
	CHECK(vigil_bank_delete(st, "hotline") == VIGIL_ENOENT);
	{
		vigil_evidence *list = NULL;
		size_t k = 0;
		CHECK(vigil_evidence_list(st, 0, 1, &list, &k) == 0 && k == 1);
		free(list);
	}
	CHECK(vigil_bank_list(st, &all, &n) == 0 && n == 1);
	free(all);
	vigil_store_close(st);
	vigil_store_close(NULL);

	CHECK(vigil_store_open(ctx, "mysql://x", &st) == VIGIL_EINVAL);
	/* A PostgreSQL URI picks that backend: nothing listens here. */
	CHECK(vigil_store_open(ctx, "postgresql://127.0.0.1:1/x?connect_timeout=2", &st) ==
		      VIGIL_ESTORE && !st);
	CHECK(strstr(vigil_errmsg(ctx), "postgresql: connect") != NULL);
	CHECK(vigil_store_open(ctx, "/nonexistent-dir/x/y.db", &st) == VIGIL_ESTORE && !st);
	CHECK(vigil_hash_type_parse("SHA256") == VIGIL_HASH_SHA256);
	CHECK(vigil_hash_type_parse("sha-1") == VIGIL_HASH_SHA1);
	CHECK(vigil_hash_type_parse("crc") == -1);
	CHECK(vigil_hash_type_size(VIGIL_HASH_SHA1) == 20);
	CHECK(vigil_list_format_parse("pdq-csv") == VIGIL_FMT_PDQ_CSV);
	unlink(path);
	snprintf(db, sizeof(db), "%s-wal", path);
	unlink(db);
	snprintf(db, sizeof(db), "%s-shm", path);
	unlink(db);
	vigil_ctx_free(ctx);
	return test_done("store");
}
