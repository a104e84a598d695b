/* test_live — live changes to a running matcher (vigil_matcher_add,
 * _remove, _load_bank, _drop_bank): each is seen by the next query, and
 * queries on other threads run meanwhile without errors. Store in
 * ":memory:"-like temp file. */
#include "vigil.h"

#include "../test.h"

#include <pthread.h>
#include <unistd.h>

#define WRITES 2000
#define READERS 3

static vigil_matcher *M;
static int stop_readers;
static int reader_errors;

static void rnd(uint8_t *b, size_t n, uint64_t *s)
{
	for (size_t i = 0; i < n; i++) {
		*s ^= *s << 13;
		*s ^= *s >> 7;
		*s ^= *s << 17;
		b[i] = (uint8_t)*s;
	}
}

static void *reader(void *arg)
{
	vigil_ctx *ctx;
	uint64_t seed = (uint64_t)(uintptr_t)arg * 7919 + 1;
	vigil_match out[16];
	size_t found;

	if (vigil_ctx_new(&ctx))
		return NULL;
	while (!__atomic_load_n(&stop_readers, __ATOMIC_RELAXED)) {
		vigil_pdq q;
		rnd(q.bits, 32, &seed);
		q.quality = 100;
		if (vigil_matcher_pdq(M, ctx, &q, NULL, 31, out, 16, &found))
			__atomic_add_fetch(&reader_errors, 1, __ATOMIC_RELAXED);
	}
	vigil_ctx_free(ctx);
	return NULL;
}

static int has(vigil_ctx *ctx, const vigil_entry *e)
{
	vigil_match out[16];
	size_t found = 0;
	int rc;

	if (e->type == VIGIL_HASH_PDQ) {
		vigil_pdq q;
		memcpy(q.bits, e->value, 32);
		q.quality = 100;
		rc = vigil_matcher_pdq(M, ctx, &q, NULL, 0, out, 16, &found);
	} else {
		rc = vigil_matcher_digest(M, ctx, e->type, e->value, out, 16, &found);
	}
	if (rc)
		return -1;
	for (size_t i = 0; i < found && i < 16; i++)
		if (out[i].entry_id == e->id)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	char path[4096];
	vigil_ctx *ctx;
	vigil_store *st;
	vigil_bank b, b2;
	pthread_t th[READERS];
	uint64_t seed = 42;
	int seen = 0, gone = 0;

	snprintf(path, sizeof(path), "%s/test_live.db", argc > 1 ? argv[1] : ".");
	unlink(path);
	CHECK(vigil_ctx_new(&ctx) == 0);
	CHECK(vigil_store_open(ctx, path, &st) == 0);
	CHECK(vigil_bank_create(st, "a", NULL, NULL, &b) == 0);
	CHECK(vigil_matcher_open(st, &M) == 0);
	CHECK(vigil_matcher_size(M) == 0);
	for (int i = 0; i < READERS; i++)
		pthread_create(&th[i], NULL, reader, (void *)(uintptr_t)(i + 1));

	/* Add and remove entries one by one while the readers query. */
	for (int i = 0; i < WRITES; i++) {
		vigil_entry e = {0};
		int64_t id;
		e.type = i % 4 == 3 ? VIGIL_HASH_MD5 : VIGIL_HASH_PDQ;
		rnd(e.value, 32, &seed);
		e.quality = e.type == VIGIL_HASH_PDQ ? 100 : -1;
		CHECK(vigil_entries_add(st, "a", &e, 1, &id) == 0);
		e.id = id;
		e.bank_id = b.id;
		CHECK(vigil_matcher_add(M, ctx, &b, &e) == 0);
		seen += has(ctx, &e) == 1;
		if (i % 2) {
			CHECK(vigil_entry_delete(st, "a", id) == 0);
			CHECK(vigil_matcher_remove(M, ctx, &e) == 0);
			gone += has(ctx, &e) == 0;
		}
	}
	CHECKF(seen == WRITES, "%d of %d adds seen by the next query", seen, WRITES);
	CHECKF(gone == WRITES / 2, "%d of %d removes seen", gone, WRITES / 2);
	CHECK(vigil_matcher_size(M) == WRITES / 2);

	/* A bank made and filled behind the matcher's back: load_bank brings
	 * it in; drop_bank stops it; loading again is not a duplicate. */
	{
		vigil_entry e = {0};
		int64_t id;
		CHECK(vigil_bank_create(st, "b", NULL, NULL, &b2) == 0);
		rnd(e.value, 32, &seed);
		e.type = VIGIL_HASH_PDQ;
		e.quality = 90;
		CHECK(vigil_entries_add(st, "b", &e, 1, &id) == 0);
		e.id = id;
		e.bank_id = b2.id;
		CHECK(has(ctx, &e) == 0);
		CHECK(vigil_matcher_load_bank(M, st, "b") == 0);
		CHECK(has(ctx, &e) == 1);
		CHECK(vigil_matcher_load_bank(M, st, "b") == 0);
		CHECK(vigil_matcher_size(M) == WRITES / 2 + 1);
		CHECK(vigil_matcher_drop_bank(M, b2.id) == 0);
		CHECK(has(ctx, &e) == 0);
		CHECK(vigil_matcher_load_bank(M, st, "b") == 0);
		CHECK(has(ctx, &e) == 1);
	}
	/* More hits than the matcher's first, small buffer holds: every one
	 * is reported, nearest first, and the caller's max still bounds out[]. */
	{
		enum { NEAR = 100 };
		vigil_bank b3;
		vigil_entry e = {0};
		vigil_match out[2 * NEAR];
		vigil_pdq q;
		size_t found = 0, i;
		int64_t id;
		int sorted = 1;
		CHECK(vigil_bank_create(st, "near", NULL, NULL, &b3) == 0);
		rnd(q.bits, 32, &seed);
		q.quality = 100;
		for (i = 0; i < NEAR; i++) {
			memcpy(e.value, q.bits, 32);
			e.value[i % 32] ^= (uint8_t)(1 + i / 32); /* 1 or 2 bits, all distinct */
			e.type = VIGIL_HASH_PDQ;
			e.quality = 100;
			CHECK(vigil_entries_add(st, "near", &e, 1, &id) == 0);
		}
		CHECK(vigil_matcher_load_bank(M, st, "near") == 0);
		CHECK(vigil_matcher_pdq(M, ctx, &q, NULL, 31, out, 2 * NEAR, &found) == 0);
		for (i = 1; i < found && i < 2 * NEAR; i++)
			sorted &= out[i - 1].distance <= out[i].distance;
		CHECKF(found == NEAR, "%zu of %d near hits found", found, NEAR);
		CHECK(sorted && out[0].distance == 1 && out[NEAR - 1].distance == 2);
		CHECK(vigil_matcher_pdq(M, ctx, &q, NULL, 31, out, 10, &found) == 0);
		CHECK(found == NEAR && out[9].distance == 1);
	}
	__atomic_store_n(&stop_readers, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);
	CHECK(reader_errors == 0);
	vigil_matcher_free(M);
	vigil_store_close(st);
	vigil_ctx_free(ctx);
	unlink(path);
	return test_done("match/live");
}
