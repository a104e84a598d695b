/* Evidence preservation through the library (vigil/evidence.h): what a
 * filed report preserves, idempotence, opening, holds, the retention
 * sweep's clock (a year and not a day less), deletion, and bundles. */
#include "vigil.h"
#include "../test.h"
#include "../../src/store/store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY 86400

static const char picture[] = "stand-in bytes of a benign picture";

/* The item of a kind in the list, or NULL. */
static const vigil_preserved_item *find(const vigil_preserved_item *v, size_t n,
					const char *kind)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].kind, kind))
			return &v[i];
	return NULL;
}

int main(void)
{
	char path[] = "/tmp/vigil-preserve-XXXXXX", dir[64], file[128];
	uint8_t master[32], other[32], seed[32], pk[32], *blob = NULL, *plain = NULL;
	size_t blen = 0, plen = 0, n = 0, added = 0;
	int64_t cid = 0, rid = 0, hold = 0, hold2 = 0, now = 1767225600; /* 2026-01-01 */
	int joined = 0, m = 0, fd = mkstemp(path);
	vigil_ctx *ctx = NULL;
	vigil_store *st = NULL;
	vigil_case_new cn;
	vigil_case_media cm;
	vigil_report r;
	vigil_preserved_item *v = NULL;
	vigil_retention_stats s;
	vigil_bundle_opts bo;
	const vigil_preserved_item *fi, *ci;
	int64_t file_id = 0, ctx_id = 0;

	close(fd);
	unlink(path);
	CHECK(sodium_init() >= 0);
	randombytes_buf(master, 32);
	randombytes_buf(other, 32);
	randombytes_buf(seed, 32);
	CHECK(vigil_ctx_new(&ctx) == 0);
	/* $VIGIL_TEST_PG_URI (tests/pg/pg_env.sh): the same test on PostgreSQL
	 * (the bundle folders still go next to path). */
	CHECK(vigil_store_open(ctx, getenv("VIGIL_TEST_PG_URI") ? getenv("VIGIL_TEST_PG_URI")
								: path, &st) == 0);

	/* Retention: a year at least. */
	CHECK(vigil_retention_ok(ctx, 364) == VIGIL_EINVAL);
	CHECK(strstr(vigil_errmsg(ctx), "365") != NULL);
	CHECK(vigil_retention_ok(ctx, 365) == 0);
	CHECK(vigil_retention_ok(ctx, 3650) == 0);
	CHECK(vigil_retention_ok(ctx, 1000000) == VIGIL_EINVAL);
	CHECK(vigil_retention_sweep(st, master, now, 30, "t", &s) == VIGIL_EINVAL);

	/* A case with one sealed item and a report on it. */
	memset(&cn, 0, sizeof(cn));
	cn.source = "match";
	cn.priority = 50;
	cn.content_id = "c1";
	cn.user_id = "u1";
	cn.context = "{\"content_id\":\"c1\",\"ip\":\"192.0.2.1\"}";
	cn.matches = "[{\"bank\":\"b\",\"entry\":1}]";
	CHECK(vigil_case_open(st, &cn, &cid, &joined) == 0 && cid > 0);
	CHECK(vigil_seal(ctx, master, picture, sizeof(picture), &blob, &blen) == 0);
	memset(&cm, 0, sizeof(cm));
	cm.case_id = cid;
	snprintf(cm.content_type, sizeof(cm.content_type), "image/jpeg");
	cm.bytes = sizeof(picture);
	crypto_hash_sha256(cm.sha256, (const uint8_t *)picture, sizeof(picture));
	cm.sealed = blob;
	cm.sealed_len = blen;
	CHECK(vigil_case_media_add(st, &cm, &m) == 0 && m == 1);
	free(blob);
	CHECK(vigil_report_draft(st, cid, now, &rid) == 0 && rid > 0);

	/* A draft sent nothing: nothing to keep. */
	CHECK(vigil_preserve(st, master, rid, now, "t", 0, &added) == 0 && added == 0);
	CHECK(vigil_retention_sweep(st, master, now, 365, "t", &s) == 0 && s.preserved == 0);

	/* Filed: the file, the context, the report, the answers. */
	CHECK(vigil_report_get(st, rid, &r) == 0);
	r.state = VIGIL_REPORT_FINISHED;
	free(r.xml);
	free(r.answers);
	r.xml = strdup("<report>as sent</report>");
	r.answers = strdup("[{\"step\":\"submit\"},{\"step\":\"finish\"}]");
	CHECK(NEED_OP(st, report_put, &r) == 0);
	vigil_report_clear(&r);
	CHECK(vigil_retention_sweep(st, master, now, 365, "t", &s) == 0);
	CHECKF(s.preserved == 4 && s.deleted == 0 && s.kept == 4, "%zu %zu %zu", s.preserved,
	       s.deleted, s.kept);
	CHECK(vigil_preserve(st, master, rid, now + 10, "t", 0, &added) == 0 && added == 0);
	CHECK(vigil_preserved_list(st, rid, &v, &n) == 0 && n == 4);
	fi = v ? find(v, n, "file") : NULL;
	ci = v ? find(v, n, "context") : NULL;
	CHECK(fi && ci && find(v, n, "report") && find(v, n, "answers"));
	if (fi && ci) {
		file_id = fi->id;
		ctx_id = ci->id;
		CHECK(fi->bytes == (int64_t)sizeof(picture) && !memcmp(fi->sha256, cm.sha256, 32));
		CHECK(!strcmp(fi->content_type, "image/jpeg") && fi->preserved == now);
	}
	free(v);
	v = NULL;

	/* Opening: the bytes back; another master key cannot. */
	CHECK(vigil_preserved_open(st, master, file_id, "t", &plain, &plen) == 0);
	CHECK(plen == sizeof(picture) && plain && !memcmp(plain, picture, plen));
	free(plain);
	plain = NULL;
	CHECK(vigil_preserved_open(st, other, file_id, "t", &plain, &plen) == VIGIL_ECORRUPT);
	CHECK(vigil_preserved_open(st, master, ctx_id, "t", &plain, &plen) == 0);
	CHECK(plain && strstr((char *)plain, "192.0.2.1") != NULL);
	free(plain);
	plain = NULL;

	/* A bundle of the file and the context verifies; a changed byte or
	 * another key does not. */
	snprintf(dir, sizeof(dir), "%s.bundle", path);
	memset(&bo, 0, sizeof(bo));
	bo.seed = seed;
	bo.who = "t";
	bo.reason = "test";
	{
		int64_t ids[2] = {file_id, ctx_id};
		CHECK(vigil_bundle_write(st, master, ids, 2, dir, &bo) == 0);
		CHECK(vigil_bundle_write(st, master, ids, 2, dir, &bo) == VIGIL_EEXIST);
	}
	vigil_audit_pubkey(seed, pk);
	CHECK(vigil_bundle_verify(ctx, dir, pk) == 0);
	CHECK(vigil_bundle_verify(ctx, dir, (const uint8_t *)other) == VIGIL_ECORRUPT);
	snprintf(file, sizeof(file), "%s/files/%lld-file-1.jpg", dir, (long long)file_id);
	{
		FILE *f = fopen(file, "r+b");
		CHECK(f != NULL);
		if (f) {
			fputc('X', f);
			fclose(f);
		}
	}
	CHECK(vigil_bundle_verify(ctx, dir, pk) == VIGIL_ECORRUPT);
	CHECK(strstr(vigil_errmsg(ctx), "changed") != NULL);

	/* Holds: a reason is required; each is released once. */
	CHECK(vigil_legal_hold_place(st, file_id, "", "t", now, &hold) == VIGIL_EINVAL);
	CHECK(vigil_legal_hold_place(st, file_id, "court order 1", "judge", now, &hold) == 0);
	CHECK(vigil_legal_hold_place(st, file_id, "court order 2", "judge", now, &hold2) == 0);
	CHECK(hold > 0 && hold2 > hold);
	CHECK(vigil_legal_hold_release(st, hold2, "judge", now) == 0);
	CHECK(vigil_legal_hold_release(st, hold2, "judge", now) == VIGIL_EEXIST);
	CHECK(vigil_legal_hold_release(st, 999, "judge", now) == VIGIL_ENOENT);

	/* The clock: a day short of the year keeps everything; at the year
	 * what no hold keeps goes. */
	CHECK(vigil_retention_sweep(st, NULL, now + 365 * DAY - 1, 365, "t", &s) == 0);
	CHECK(s.deleted == 0 && s.kept == 4);
	CHECK(vigil_retention_sweep(st, NULL, now + 365 * DAY, 365, "t", &s) == 0);
	CHECKF(s.deleted == 3 && s.held == 1, "deleted %zu held %zu", s.deleted, s.held);
	CHECK(vigil_preserved_open(st, master, ctx_id, "t", &plain, &plen) == VIGIL_ENOENT);
	CHECK(strstr(vigil_errmsg(ctx), "was deleted") != NULL);
	CHECK(vigil_legal_hold_place(st, ctx_id, "too late", "t", now, &hold2) == VIGIL_ENOENT);
	/* An export that fails half-way (the second item is gone) leaves no
	 * directory, so no file in the clear either. */
	{
		char dir2[80];
		int64_t ids[2] = {file_id, ctx_id};
		snprintf(dir2, sizeof(dir2), "%s.failed", path);
		CHECK(vigil_bundle_write(st, master, ids, 2, dir2, &bo) == VIGIL_ENOENT);
		CHECK(access(dir2, F_OK) != 0);
	}
	CHECK(vigil_preserved_open(st, master, file_id, "t", &plain, &plen) == 0);
	free(plain);
	plain = NULL;
	/* A longer retention keeps the held one's neighbours no longer: they
	 * are gone already; a longer one on a fresh store would keep them. */
	CHECK(vigil_legal_hold_release(st, hold, "judge", now) == 0);
	CHECK(vigil_retention_sweep(st, NULL, now + 365 * DAY, 400, "t", &s) == 0);
	CHECK(s.deleted == 0 && s.kept == 1);
	CHECK(vigil_retention_sweep(st, NULL, now + 400 * DAY, 400, "t", &s) == 0);
	CHECK(s.deleted == 1 && s.kept == 0);
	CHECK(vigil_preserved_open(st, master, file_id, "t", &plain, &plen) == VIGIL_ENOENT);
	CHECK(vigil_case_media_count(st, cid, &m) == 0 && m == 0);
	{
		vigil_preserved_item it;
		CHECK(vigil_preserved_get(st, file_id, &it, NULL, NULL) == 0);
		CHECK(it.deleted == now + 400 * DAY && it.holds == 0);
	}
	/* A draft exported through another channel: its files and context
	 * are kept from then (no report document: none was sent). */
	{
		int64_t cid2 = 0, rid2 = 0;
		cn.user_id = "u2";
		cn.content_id = "c9";
		CHECK(vigil_case_open(st, &cn, &cid2, &joined) == 0 && cid2 != cid);
		CHECK(vigil_seal(ctx, master, picture, sizeof(picture), &blob, &blen) == 0);
		cm.case_id = cid2;
		cm.sealed = blob;
		cm.sealed_len = blen;
		CHECK(vigil_case_media_add(st, &cm, &m) == 0 && m == 1);
		free(blob);
		CHECK(vigil_report_draft(st, cid2, now, &rid2) == 0);
		CHECK(vigil_preserve(st, master, rid2, now, "t", 0, &added) == 0 && added == 0);
		CHECK(vigil_preserve(st, master, rid2, now, "t", VIGIL_PRESERVE_DRAFT, &added) == 0);
		CHECK(added == 2);
		CHECK(vigil_preserved_list(st, rid2, &v, &n) == 0 && n == 2 && v &&
		      find(v, n, "file") && find(v, n, "context") && !find(v, n, "report"));
		free(v);
		v = NULL;
		/* Filed with NCMEC 200 days later: the year runs from then for
		 * the files kept at the export too. */
		CHECK(vigil_report_get(st, rid2, &r) == 0);
		r.state = VIGIL_REPORT_FINISHED;
		free(r.xml);
		free(r.answers);
		r.xml = strdup("<report>later</report>");
		r.answers = strdup("[{\"step\":\"finish\"}]");
		CHECK(NEED_OP(st, report_put, &r) == 0);
		vigil_report_clear(&r);
		CHECK(vigil_preserve(st, master, rid2, now + 200 * DAY, "t", 0, &added) == 0);
		CHECK(added == 2);
		CHECK(vigil_retention_sweep(st, NULL, now + 400 * DAY, 365, "t", &s) == 0);
		CHECKF(s.deleted == 0 && s.kept == 4, "deleted %zu kept %zu", s.deleted, s.kept);
		CHECK(vigil_retention_sweep(st, NULL, now + 565 * DAY, 365, "t", &s) == 0);
		CHECKF(s.deleted == 4 && s.kept == 0, "deleted %zu kept %zu", s.deleted, s.kept);
	}
	/* The sweep does not preserve a deleted item again. */
	CHECK(vigil_preserve(st, master, rid, now + 400 * DAY, "t", 0, &added) == 0 && added == 0);

	vigil_store_close(st);
	vigil_ctx_free(ctx);
	{
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'-wal '%s'-shm '%s'", path, path, path, dir);
		CHECK(system(cmd) == 0);
	}
	return test_done("evidence/preserve");
}
