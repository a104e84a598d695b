/* What only the PostgreSQL backend has: schema versions shared by several
 * processes, a lost connection (the server ends the session) and the
 * failure-is-an-answer statements inside a transaction. Run by
 * tests/pg/pg_env.sh, which sets $VIGIL_TEST_PG_URI. */
#include "vigil.h"
#include "../../src/store/store.h"
#include "../test.h"

#include <libpq-fe.h>

/* Ends every other session on the database, as a server restart or a
 * failover would. */
static void kill_sessions(PGconn *admin)
{
	PGresult *r = PQexec(admin, "SELECT count(pg_terminate_backend(pid)) FROM"
				    " pg_stat_activity WHERE pid<>pg_backend_pid()"
				    " AND datname=current_database()");
	CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && atoi(PQgetvalue(r, 0, 0)) >= 1);
	PQclear(r);
}

static void sql(PGconn *admin, const char *q)
{
	PGresult *r = PQexec(admin, q);
	CHECKF(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
	       "%s: %s", q, PQerrorMessage(admin));
	PQclear(r);
}

int main(void)
{
	const char *uri = getenv("VIGIL_TEST_PG_URI");
	vigil_ctx *ctx;
	vigil_store *st = NULL, *st2 = NULL;
	vigil_bank b;
	vigil_entry in, e;
	int64_t id = 0, ids[1];
	PGconn *admin;
	vigil__rec r;

	if (!uri) {
		fprintf(stderr, "run me through tests/pg/pg_env.sh\n");
		return 77;
	}
	admin = PQconnectdb(uri);
	CHECK(PQstatus(admin) == CONNECTION_OK);
	CHECK(vigil_ctx_new(&ctx) == 0);

	/* Two opens: the first migrates, the second finds the version. */
	CHECK(vigil_store_open(ctx, uri, &st) == 0);
	CHECK(vigil_store_open(ctx, uri, &st2) == 0);
	{
		PGresult *v = PQexec(admin, "SELECT version FROM schema_version");
		CHECK(PQresultStatus(v) == PGRES_TUPLES_OK && PQntuples(v) == 1 &&
		      atoi(PQgetvalue(v, 0, 0)) >= 1);
		PQclear(v);
	}
	CHECK(vigil_bank_create(st, "pg", NULL, NULL, &b) == 0);
	memset(&in, 0, sizeof(in));
	in.type = VIGIL_HASH_MD5;
	memset(in.value, 0x5a, 16);
	CHECK(vigil_entries_add(st, "pg", &in, 1, ids) == 0 && ids[0] > 0);
	/* The other connection sees the committed row. */
	CHECK(vigil_entry_get(st2, ids[0], &e) == 0 && e.value[15] == 0x5a &&
	      e.bank_id == b.id);

	/* Lost connection, then a read: reconnected and retried. */
	kill_sessions(admin);
	CHECK(vigil_bank_get(st, "pg", &b) == 0 && b.entries == 1);
	CHECK(vigil_entry_get(st2, ids[0], &e) == 0);
	/* Lost connection, then a write: a clear error, never a blind retry;
	 * the next call works on the new connection. */
	kill_sessions(admin);
	CHECK(vigil_bank_create(st, "pg2", NULL, NULL, NULL) == VIGIL_ESTORE);
	CHECK(strstr(vigil_errmsg(ctx), "connection lost") != NULL);
	CHECK(vigil_bank_create(st, "pg2", NULL, NULL, NULL) == 0);
	/* Lost inside a transaction: the server rolled it back; said so. */
	CHECK(st->ops->begin(st) == 0);
	memset(&r, 0, sizeof(r));
	r.type = VIGIL_HASH_MD5;
	memset(r.value, 0x11, 16);
	r.quality = -1;
	CHECK(st->ops->entry_add(st, b.id, &r, &id) == 0 && id > 0);
	kill_sessions(admin);
	memset(r.value, 0x12, 16);
	CHECK(st->ops->entry_add(st, b.id, &r, &id) == VIGIL_ESTORE);
	CHECK(strstr(vigil_errmsg(ctx), "inside a transaction") != NULL);
	CHECK(st->ops->rollback(st) == 0 && !st->ops->in_transaction(st));
	CHECK(vigil_bank_get(st, "pg", &b) == 0 && b.entries == 1);

	/* An expected failure inside a transaction (unique violation) is an
	 * answer, and the transaction goes on. */
	CHECK(st->ops->begin(st) == 0);
	CHECK(vigil_bank_create(st, "pg", NULL, NULL, NULL) == VIGIL_EEXIST);
	CHECK(st->ops->entry_add(st, b.id, &r, &id) == 0 && id > 0);
	memset(r.value, 0x5a, 16);
	CHECK(st->ops->entry_add(st, b.id, &r, &ids[0]) == 0 && ids[0] == 0);
	CHECK(st->ops->commit(st) == 0);
	CHECK(vigil_bank_get(st, "pg", &b) == 0 && b.entries == 2);

	/* A schema from a newer vigil is refused, with the versions. */
	vigil_store_close(st2);
	st2 = NULL;
	sql(admin, "UPDATE schema_version SET version=version+1");
	CHECK(vigil_store_open(ctx, uri, &st2) == VIGIL_ESTORE && !st2);
	CHECK(strstr(vigil_errmsg(ctx), "newer than this vigil") != NULL);
	sql(admin, "UPDATE schema_version SET version=version-1");
	CHECK(vigil_store_open(ctx, uri, &st2) == 0);

	vigil_store_close(st);
	vigil_store_close(st2);
	PQfinish(admin);
	vigil_ctx_free(ctx);
	return test_done("pg");
}
