/* What only the PostgreSQL backend has: schema versions shared by several
 * processes, a lost connection (the server ends the session) and the
 * failure-is-an-answer statements inside a transaction. Run by
 * tests/pg/pg_env.sh, which sets $VIGIL_TEST_PG_URI. */
#include "vigil.h"
#include "../../src/store/store.h"
#include "../test.h"

#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

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

typedef struct cl_log {
	int n;
	int kind[8];
	int64_t entry[8];
	int enabled[8];
} cl_log;

static int log_change(void *user, const vigil_change *c)
{
	cl_log *L = user;

	if (L->n < 8) {
		L->kind[L->n] = c->kind;
		L->entry[L->n] = c->entry.id;
		L->enabled[L->n] = c->bank.enabled;
	}
	L->n++;
	return 0;
}

/* What feed_scan handed out: seq, logged entry id, whether the entry came. */
typedef struct feed_log {
	int n;
	int64_t seq[8], id[8];
	int have[8];
	char meta[8][64];
} feed_log;

static int log_feed(void *user, int64_t seq, int64_t entry_id, const vigil_entry *e)
{
	feed_log *L = user;

	if (L->n == 8)
		return 1;
	L->seq[L->n] = seq;
	L->id[L->n] = entry_id;
	L->have[L->n] = e != NULL;
	snprintf(L->meta[L->n], sizeof(L->meta[0]), "%.63s", e ? e->metadata : "");
	L->n++;
	return 0;
}

static int64_t sql_int(PGconn *admin, const char *q)
{
	PGresult *r = PQexec(admin, q);
	int64_t v = -1;

	CHECKF(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s: %s", q,
	       PQerrorMessage(admin));
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
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

	/* The change log: an add, a delete and a disable by one connection,
	 * seen in order by another, which was woken by the notification. */
	{
		int64_t head = -1, last = 0;
		cl_log L = {0};
		CHECK(vigil_store_changes_head(st2, &head) == 0 && head > 0);
		CHECK(vigil_store_changes_wait(st2, 0) >= 0); /* LISTEN from now */
		memset(in.value, 0x77, 16);
		CHECK(vigil_entries_add(st, "pg", &in, 1, ids) == 0 && ids[0] > 0);
		CHECK(vigil_entry_delete(st, "pg", ids[0]) == 0);
		CHECK(vigil_bank_set_enabled(st, "pg", 0) == 0);
		CHECK(vigil_store_changes_wait(st2, 5000) == 1);
		CHECK(vigil_store_changes(st2, head, 100, log_change, &L, &last) == 0);
		CHECKF(L.n == 3 && L.kind[0] == VIGIL_CHANGE_ADD && L.kind[1] == VIGIL_CHANGE_REMOVE &&
		       L.kind[2] == VIGIL_CHANGE_BANK && L.entry[0] == ids[0] &&
		       L.entry[1] == ids[0] && L.enabled[2] == 0 && last > head,
		       "%d changes", L.n);
		CHECK(vigil_store_changes(st2, last, 100, log_change, &L, &last) == 0 && L.n == 3);
		CHECK(vigil_bank_set_enabled(st, "pg", 1) == 0);
	}

	/* Outbox claims: a due event goes to one session at a time, and to
	 * another as soon as the claiming session is gone. */
	{
		vigil_event ev, *got = NULL;
		size_t k = 0;
		vigil_store *st3 = NULL;
		memset(&ev, 0, sizeof(ev));
		snprintf(ev.event_id, sizeof(ev.event_id), "00000000-0000-4000-8000-000000000001");
		snprintf(ev.type, sizeof(ev.type), "test");
		snprintf(ev.url, sizeof(ev.url), "http://127.0.0.1:1/");
		ev.body = "{}";
		ev.created_ms = 1;
		CHECK(vigil_store_open(ctx, uri, &st3) == 0);
		CHECK(st3->ops->outbox_add(st3, &ev) == 0 && ev.id > 0);
		CHECK(vigil_outbox_due(st3, 10, 10, &got, &k) == 0 && k == 1 && got[0].id == ev.id);
		vigil_events_free(got, k);
		CHECK(vigil_outbox_due(st2, 10, 10, &got, &k) == 0 && k == 0);
		vigil_events_free(got, k);
		vigil_store_close(st3);
		k = 0;
		for (int i = 0; i < 100 && !k; i++) { /* the server notes the exit */
			CHECK(vigil_outbox_due(st2, 10, 10, &got, &k) == 0);
			vigil_events_free(got, k);
			if (!k)
				usleep(20000);
		}
		CHECK(k == 1);
	}

	/* A schema from a newer vigil is refused, with the versions. */
	vigil_store_close(st2);
	st2 = NULL;
	sql(admin, "UPDATE schema_version SET version=version+1");
	CHECK(vigil_store_open(ctx, uri, &st2) == VIGIL_ESTORE && !st2);
	CHECK(strstr(vigil_errmsg(ctx), "newer than this vigil") != NULL);
	sql(admin, "UPDATE schema_version SET version=version-1");
	CHECK(vigil_store_open(ctx, uri, &st2) == 0);

	/* The audit hash chain across processes: four processes, each with its
	 * own connection, append at once; the appends are serialised on the
	 * database, so the chain is one line (no fork: each record's prev is
	 * the record before), checkpointed and verified, and a row changed
	 * behind vigil's back is named. */
	{
		vigil_audit_verdict v;
		vigil_audit_checkpoint cp, *cps = NULL;
		uint8_t seed[32] = {7}, pk[32];
		int64_t head0 = 0, cnt = -1;
		uint8_t h0[32];
		pid_t kids[4];
		int k, status;
		size_t n = 0;

		CHECK(st->ops->audit_head(st, &head0, h0) == 0);
		for (k = 0; k < 4; k++) {
			kids[k] = fork();
			if (!kids[k]) {
				vigil_ctx *c2 = NULL;
				vigil_store *s3 = NULL;
				int j, bad = 0;
				if (vigil_ctx_new(&c2) || vigil_store_open(c2, uri, &s3))
					_exit(2);
				for (j = 0; j < 25; j++) {
					vigil_audit au = {0, 0, "proc", "admin", "test.append", "x",
							  "", "", {0}, {0}};
					bad |= vigil_audit_append(s3, &au) != 0;
				}
				vigil_store_close(s3);
				vigil_ctx_free(c2);
				_exit(bad);
			}
		}
		for (k = 0; k < 4; k++) {
			CHECK(waitpid(kids[k], &status, 0) == kids[k]);
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		}
		{
			PGresult *q = PQexec(admin, "SELECT count(*) FROM audit a JOIN audit b ON"
						    " b.id=a.id+1 AND b.prev=a.hash WHERE"
						    " length(a.hash)=32");
			CHECK(PQresultStatus(q) == PGRES_TUPLES_OK);
			cnt = atoll(PQgetvalue(q, 0, 0));
			PQclear(q);
		}
		CHECKF(cnt >= 99, "linked pairs in PostgreSQL: %lld", (long long)cnt);
		vigil_audit_pubkey(seed, pk);
		CHECK(vigil_audit_checkpoint_make(st2, seed, &cp) == 0 && cp.audit_id >= 100);
		CHECK(vigil_audit_checkpoint_list(st, &cps, &n) == 0 && n == 1 &&
		      cps[0].audit_id == cp.audit_id && !memcmp(cps[0].sig, cp.sig, 64));
		free(cps);
		CHECK(vigil_audit_verify(st, pk, &v) == 0);
		CHECKF(v.problem == VIGIL_AUDIT_OK && v.records == head0 + 100 &&
		       v.checkpoints == 1, "%s", v.text);
		sql(admin, "UPDATE audit SET object='forged' WHERE id=50");
		CHECK(vigil_audit_verify(st, pk, &v) == 0);
		CHECKF(v.problem == VIGIL_AUDIT_CHANGED && v.record == 50, "%s", v.text);
	}

	/* Leases: one holder at a time; renewed by its owner; free again when
	 * given up or expired (the database's clock). */
	{
		int held = -1;

		CHECK(vigil_store_lease(st, "job", "A", 60000, &held) == 0 && held == 1);
		CHECK(vigil_store_lease(st2, "job", "B", 60000, &held) == 0 && held == 0);
		CHECK(vigil_store_lease(st, "job", "A", 60000, &held) == 0 && held == 1);
		CHECK(vigil_store_lease(st, "job", "A", 0, &held) == 0);
		CHECK(vigil_store_lease(st2, "job", "B", 1, &held) == 0 && held == 1);
		usleep(20000);
		CHECK(vigil_store_lease(st, "job", "A", 60000, &held) == 0 && held == 1);
		CHECK(vigil_store_lease(st2, "job", "B", 60000, &held) == 0 && held == 0);
		CHECK(vigil_store_lease(st, "", "A", 1, &held) == VIGIL_EINVAL);
		CHECK(vigil_store_lease(st, "job", "A", -2, &held) == VIGIL_EINVAL);
	}

	/* Session leases (report filing): held while the holder's connection
	 * lives; given up, or the holder gone, another takes it at once. */
	{
		vigil_ctx *c3 = NULL;
		vigil_store *s3 = NULL;
		int held = -1;

		CHECK(vigil_ctx_new(&c3) == 0 && vigil_store_open(c3, uri, &s3) == 0);
		CHECK(vigil_store_lease(s3, "report:1", "C", VIGIL_LEASE_SESSION, &held) == 0 &&
		      held == 1);
		CHECK(vigil_store_lease(st, "report:1", "A", VIGIL_LEASE_SESSION, &held) == 0 &&
		      held == 0);
		vigil_store_close(s3); /* as a killed process's connection ends */
		vigil_ctx_free(c3);
		for (int k = 0; k < 100; k++) { /* the server ends the session soon after */
			CHECK(vigil_store_lease(st, "report:1", "A", VIGIL_LEASE_SESSION,
						&held) == 0);
			if (held)
				break;
			usleep(10000);
		}
		CHECK(held == 1);
		CHECK(vigil_store_lease(st2, "report:1", "B", VIGIL_LEASE_SESSION, &held) == 0 &&
		      held == 0);
		CHECK(vigil_store_lease(st, "report:1", "A", 0, &held) == 0);
		CHECK(vigil_store_lease(st2, "report:1", "B", VIGIL_LEASE_SESSION, &held) == 0 &&
		      held == 1);
		CHECK(vigil_store_lease(st2, "report:1", "B", 0, &held) == 0);
	}

	/* The change log's window: pruned to the newest 1, a reader from the
	 * start is told to reload; one at the head reads on. */
	{
		int64_t head = 0, fl = -1, last = 0;
		cl_log L = {0};

		CHECK(vigil_store_changes_head(st, &head) == 0 && head > 2);
		CHECK(vigil_store_changes_prune(st2, 1, &fl) == 0 && fl == head - 1);
		CHECK(vigil_store_changes(st, 0, 100, log_change, &L, &last) == VIGIL_ENOENT);
		CHECK(strstr(vigil_errmsg(ctx), "pruned") != NULL);
		CHECK(vigil_store_changes(st, head - 1, 100, log_change, &L, &last) == 0 &&
		      L.n == 1 && last == head);
		CHECK(vigil_store_changes_prune(st2, 1, &fl) == 0 && fl == head - 1);
	}

	/* The review ops on PostgreSQL: a claim by one instance holds against
	 * another (the row lock serialises the read-then-write). */
	{
		vigil_case_new cn = {0};
		vigil_case_review rv;
		vigil_case *cs = NULL;
		int64_t cid = 0;
		int joined = 0;
		size_t n = 0;

		cn.priority = 5;
		cn.source = "match";
		CHECK(vigil_case_open(st, &cn, &cid, &joined) == 0 && cid > 0);
		CHECK(vigil_case_claim(st, cid, "alice", 0, 1000, 600, &rv) == 0 &&
		      !strcmp(rv.assignee, "alice"));
		CHECK(vigil_case_claim(st2, cid, "bob", 0, 1001, 600, &rv) == VIGIL_EEXIST);
		CHECK(vigil_case_list(st2, VIGIL_CASE_CLAIMED, 1002, 10, &cs, &n) == 0 &&
		      n == 1 && cs[0].id == cid);
		vigil_cases_free(cs, n);
		/* ... until it expires: then the case is open again. */
		CHECK(vigil_case_list(st2, VIGIL_CASE_OPEN, 1000 + 601, 10, &cs, &n) == 0 &&
		      n == 1 && cs[0].id == cid);
		vigil_cases_free(cs, n);
	}

	/* Report filing inside vigil serve (migration 7): the work columns,
	 * due and overdue reports, a case's incident type. */
	{
		vigil_case_new cn = {0};
		vigil_report_work w = {0}, g;
		vigil_case_review rv;
		int64_t cid = 0, rid = 0, dids[4], total = -1;
		int joined = 0;
		size_t n = 9;
		char it[64];

		cn.priority = 1;
		cn.source = "match";
		CHECK(vigil_case_open(st, &cn, &cid, &joined) == 0 && cid > 0);
		CHECK(st->ops->report_draft(st, cid, 100, &rid) == 0 && rid > 0);
		CHECK(st->ops->report_work_get(st, rid, &g) == 0 && g.id == rid &&
		      g.work == VIGIL_REPORT_WORK_NONE && g.tries == 0 && !g.error[0]);
		w.id = rid;
		w.work = VIGIL_REPORT_WORK_SUBMIT;
		w.since = 100;
		w.next = 200;
		w.tries = 2;
		snprintf(w.error, sizeof(w.error), "HTTP 503");
		CHECK(st->ops->report_work_set(st, &w) == 0);
		CHECK(st2->ops->report_work_get(st2, rid, &g) == 0 &&
		      g.work == VIGIL_REPORT_WORK_SUBMIT && g.since == 100 && g.next == 200 &&
		      g.tries == 2 && !strcmp(g.error, "HTTP 503") && g.overdue_alerted == 0);
		w.id = 999999;
		CHECK(st->ops->report_work_set(st, &w) == VIGIL_ENOENT);
		CHECK(st->ops->report_work_get(st, 999999, &g) == VIGIL_ENOENT);
		CHECK(st->ops->report_work_due(st, 199, dids, 4, &n) == 0 && n == 0);
		CHECK(st->ops->report_work_due(st, 200, dids, 4, &n) == 0 && n == 1 &&
		      dids[0] == rid);
		CHECK(st->ops->report_overdue(st, 99, dids, 4, &n, &total) == 0 && n == 0 &&
		      total == 0);
		CHECK(st->ops->report_overdue(st, 100, dids, 4, &n, &total) == 0 && n == 1 &&
		      dids[0] == rid && total == 1);
		CHECK(st->ops->report_overdue_mark(st, rid, 300) == 0);
		CHECK(st->ops->report_overdue(st2, 100, dids, 4, &n, &total) == 0 && n == 0 &&
		      total == 1);
		CHECK(st->ops->report_work_get(st, rid, &g) == 0 && g.overdue_alerted == 300);
		CHECK(st->ops->case_incident_get(st, cid, it, sizeof(it)) == 0 && !it[0]);
		CHECK(st->ops->case_incident_set(st, cid, "Online Enticement") == 0);
		CHECK(st->ops->case_incident_set(st, cid, "Child Sex Trafficking") == 0);
		CHECK(st2->ops->case_incident_get(st2, cid, it, sizeof(it)) == 0 &&
		      !strcmp(it, "Child Sex Trafficking"));
		/* On a case under review the claim stays. */
		CHECK(vigil_case_claim(st, cid, "carol", 0, 1000, 600, &rv) == 0);
		CHECK(st->ops->case_incident_set(st, cid, "Other") == 0);
		CHECK(vigil_case_review_get(st, cid, 1001, &rv) == 0 &&
		      !strcmp(rv.assignee, "carol"));
	}

	/* Exchange ops (migration 6), as a page applies them (xpage_take,
	 * entry_stage, xpage_link): a hash three records of one page carry
	 * becomes one entry all three hold; an entry no record holds (a local
	 * import's) is never taken over; released by one record, the entry
	 * passes to the oldest other holder. */
	{
		vigil_bank xb;
		vigil_entry xe;
		vigil__rec rec;
		vigil__xrow rows[4];
		uint8_t shared[32], local[32];
		int64_t xid, eid = 0, lid = 0, *ids = NULL;
		size_t nids = 0;
		uint64_t added = 0;
		int held = -1, k;

		CHECK(vigil_bank_create(st, "xb", NULL, NULL, &xb) == 0);
		xid = sql_int(admin, "INSERT INTO exchanges(name,api,bank,settings,credentials)"
				     " VALUES('x1',0,'xb','{}','') RETURNING id");
		memset(shared, 0x77, sizeof(shared));
		memset(local, 0x78, sizeof(local));
		memset(&r, 0, sizeof(r));
		r.type = VIGIL_HASH_MD5;
		memcpy(r.value, local, 16);
		CHECK(st->ops->entry_add(st, xb.id, &r, &lid) == 0 && lid > 0); /* local import */
		memset(rows, 0, sizeof(rows));
		rows[0].key = "k1";
		rows[1].key = "k2";
		rows[2].key = "k3";
		rows[3].key = "k9";
		for (k = 0; k < 4; k++) {
			rows[k].type = VIGIL_HASH_MD5;
			rows[k].value = k < 3 ? shared : local;
		}
		CHECK(st->ops->begin(st) == 0);
		CHECK(st->ops->xpage_take(st, xid, xb.id, rows, 4, &ids, &nids) == 0 && nids == 0);
		free(ids);
		ids = NULL;
		memset(&rec, 0, sizeof(rec));
		rec.type = VIGIL_HASH_MD5;
		rec.quality = -1;
		memcpy(rec.value, shared, 32);
		for (k = 0; k < 3; k++) {
			snprintf(rec.source_ref, sizeof(rec.source_ref), "k%d", k + 1);
			CHECK(st->ops->entry_stage(st, xb.id, &rec) == 0);
		}
		memcpy(rec.value, local, 32);
		snprintf(rec.source_ref, sizeof(rec.source_ref), "k9");
		CHECK(st->ops->entry_stage(st, xb.id, &rec) == 0);
		CHECK(st->ops->entry_stage_flush(st, &added) == 0 && added == 1);
		CHECK(st->ops->xpage_link(st, xid, xb.id, 1, NULL, NULL) == 0);
		CHECK(st->ops->commit(st) == 0);
		eid = sql_int(admin, "SELECT entry_id FROM exchange_items WHERE key='k1'");
		CHECK(eid > 0 && eid != lid);
		{
			char q[128];
			snprintf(q, sizeof(q), "SELECT count(*) FROM exchange_items WHERE entry_id=%lld",
				 (long long)eid);
			CHECK(sql_int(admin, q) == 3); /* one entry, three holders */
		}
		CHECK(vigil_entry_get(st2, eid, &xe) == 0 && !strcmp(xe.source_ref, "k1"));
		CHECK(vigil_entry_get(st2, lid, &xe) == 0 && !xe.source_ref[0]);
		CHECK(sql_int(admin, "SELECT entry_id FROM exchange_items WHERE key='k9'") == 0);
		sql(admin, "DELETE FROM exchange_items WHERE key='k1'");
		CHECK(st->ops->xitem_release(st, eid, &held) == 0 && held == 1);
		CHECK(vigil_entry_get(st, eid, &xe) == 0 && !strcmp(xe.source_ref, "k2"));
		sql(admin, "DELETE FROM exchange_items WHERE key IN ('k2','k3')");
		CHECK(st->ops->xitem_release(st, eid, &held) == 0 && held == 0);
	}

	/* A published bank's feed: its rows when published, then every add,
	 * update and delete, in order; unpublished, the log is gone. */
	{
		vigil_bank fb;
		vigil_entry fin[2];
		int64_t fid[2], eid = 0;
		feed_log L = {0};
		int on = -1;

		CHECK(vigil_bank_create(st, "fb", NULL, NULL, &fb) == 0);
		memset(fin, 0, sizeof(fin));
		fin[0].type = fin[1].type = VIGIL_HASH_MD5;
		memset(fin[0].value, 0x11, 16);
		memset(fin[1].value, 0x12, 16);
		CHECK(vigil_entries_add(st, "fb", fin, 1, fid) == 0 && fid[0] > 0);
		CHECK(vigil_feed_published(st, "fb", &on) == 0 && on == 0);
		CHECK(vigil_feed_publish(st, "fb", 1) == 0);
		CHECK(vigil_feed_publish(st, "fb", 1) == 0); /* again: logged once */
		CHECK(vigil_feed_published(st2, "fb", &on) == 0 && on == 1);
		CHECK(vigil_entries_add(st2, "fb", fin + 1, 1, fid + 1) == 0 && fid[1] > 0);
		CHECK(vigil_entry_set_metadata(st, fid[0], "{\"v\":2}") == 0);
		CHECK(vigil_entry_delete(st, "fb", fid[1]) == 0);
		CHECK(vigil_entries_add(st, "pg", fin, 1, &eid) == 0); /* not published */
		CHECK(st2->ops->feed_scan(st2, fb.id, 0, 100, log_feed, &L) == 0);
		CHECKF(L.n == 4 && L.id[0] == fid[0] && L.have[0] && L.id[1] == fid[1] &&
		       !L.have[1] && L.id[2] == fid[0] && L.have[2] &&
		       !strcmp(L.meta[2], "{\"v\":2}") && L.id[3] == fid[1] && !L.have[3] &&
		       L.seq[0] < L.seq[1] && L.seq[1] < L.seq[2] && L.seq[2] < L.seq[3],
		       "feed: %d rows", L.n);
		{
			feed_log M = {0};
			CHECK(st->ops->feed_scan(st, fb.id, L.seq[1], 1, log_feed, &M) == 0 &&
			      M.n == 1 && M.seq[0] == L.seq[2]);
		}
		/* Compaction (migration 14): superseded rows go at once; the
		 * delete only once a mark is keep seconds old; its seq is then
		 * the floor, and an older cursor that has not seen that floor
		 * is stale. */
		{
			int64_t rm = -1, fl = -1, t0 = 1700000000;
			char *page = NULL;
			CHECK(st->ops->feed_compact(st, fb.id, 3600, t0, &rm, &fl) == 0 && rm == 2 &&
			      fl == 0);
			CHECK(st2->ops->feed_compact(st2, fb.id, 3600, t0 + 10, &rm, &fl) == 0 &&
			      rm == 0 && fl == 0);
			CHECK(sql_int(admin, "SELECT count(*) FROM feed_log") == 2);
			CHECK(st->ops->feed_compact(st, fb.id, 3600, t0 + 3601, &rm, &fl) == 0 &&
			      rm == 1 && fl == L.seq[3]);
			CHECK(sql_int(admin, "SELECT count(*) FROM feed_log") == 1);
			CHECK(st2->ops->feed_compact(st2, fb.id, -1, 0, NULL, &fl) == 0 &&
			      fl == L.seq[3]);
			CHECK(vigil_feed_page(st, "fb", L.seq[0], 0, 10, &page) == VIGIL_EABORTED &&
			      !page);
			CHECK(vigil_feed_page(st, "fb", L.seq[0], fl, 10, &page) == 0 && page &&
			      strstr(page, "\"records\":[{"));
			free(page);
			page = NULL;
			CHECK(vigil_feed_page(st, "fb", 0, 0, 10, &page) == 0 && page);
			free(page);
		}
		CHECK(vigil_feed_publish(st, "fb", 0) == 0);
		CHECK(vigil_feed_published(st, "fb", &on) == 0 && on == 0);
		CHECK(sql_int(admin, "SELECT count(*) FROM feed_log") == 0);
	}

	vigil_store_close(st);
	vigil_store_close(st2);
	PQfinish(admin);
	vigil_ctx_free(ctx);
	return test_done("pg");
}
