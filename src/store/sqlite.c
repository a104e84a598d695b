/* sqlite.c — the embedded store: one SQLite file in WAL mode.
 *
 * Durability: synchronous=FULL, so a committed import survives a kill or a
 * power cut; an import is one transaction, so a kill in the middle leaves
 * the bank as it was. Prepared statements are kept for the hot paths. */
#include "store.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SCHEMA_VERSION 3 /* 2: evidence; 3: service tables (api_keys, audit)
			    and the pipeline's (bank_policy, quarantine,
			    cases, outbox); every step of the script is
			    idempotent */

enum {
	S_ENTRY_ADD,
	S_ENTRY_SET_VALUE,
	S_FRAME_ADD,
	S_ENTRY_GET,
	S_COUNT
};

typedef struct sq {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT]; /* prepared on first use */
	int64_t wait_ms;             /* lock wait limit, < 0 none */
	vigil_store_wait_cb wait_cb; /* told while waiting, or NULL */
	void *wait_user;
	int64_t wait_start;          /* monotonic ms when this wait began */
	int64_t wait_told;           /* waited ms at the last wait_cb call */
} sq;

#define SQ_DEFAULT_WAIT_MS 10000
#define SQ_WAIT_STEP_MS 25 /* sleep between lock attempts */

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* SQLite's busy handler: count is 0 on the first retry of one wait. Sleeps
 * and retries until the limit, telling the caller once a second. */
static int busy(void *user, int count)
{
	sq *s = user;
	int64_t waited;

	if (count == 0) {
		s->wait_start = now_ms();
		s->wait_told = 0;
	}
	waited = now_ms() - s->wait_start;
	if (s->wait_ms >= 0 && waited >= s->wait_ms)
		return 0;
	if (s->wait_cb && waited - s->wait_told >= 1000) {
		s->wait_told = waited;
		if (s->wait_cb(s->wait_user, waited))
			return 0;
	}
	sqlite3_sleep(SQ_WAIT_STEP_MS);
	return 1;
}

static const char *const stmt_sql[S_COUNT] = {
	"INSERT OR IGNORE INTO entries(bank_id,type,value,quality,source_ref,added,metadata)"
	" VALUES(?,?,?,?,?,?,?)",
	"UPDATE entries SET value=? WHERE id=?",
	"INSERT OR REPLACE INTO vpdq_frames(entry_id,frame,quality,hash,seconds)"
	" VALUES(?,?,?,?,?)",
	/* entry_get: per match in the service's lookups, so kept prepared */
	"SELECT e.id,e.bank_id,e.type,e.value,e.quality,e.source_ref,e.added,e.metadata"
	" FROM entries e WHERE e.id=?",
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS banks("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" description TEXT NOT NULL DEFAULT '',"
	" labels TEXT NOT NULL DEFAULT '',"
	" enabled INTEGER NOT NULL DEFAULT 1,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS entries("
	" id INTEGER PRIMARY KEY,"
	" bank_id INTEGER NOT NULL REFERENCES banks(id) ON DELETE CASCADE,"
	" type INTEGER NOT NULL,"
	" value BLOB NOT NULL,"
	" quality INTEGER NOT NULL DEFAULT -1,"
	" source_ref TEXT NOT NULL DEFAULT '',"
	" added INTEGER NOT NULL,"
	" metadata TEXT NOT NULL DEFAULT '',"
	" UNIQUE(bank_id, type, value));"
	"CREATE TABLE IF NOT EXISTS vpdq_frames("
	" id INTEGER PRIMARY KEY,"
	" entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,"
	" frame INTEGER NOT NULL,"
	" quality INTEGER NOT NULL,"
	" hash BLOB NOT NULL,"
	" seconds REAL NOT NULL,"
	" UNIQUE(entry_id, frame));"
	"CREATE TABLE IF NOT EXISTS evidence("
	" id INTEGER PRIMARY KEY,"
	" created_ms INTEGER NOT NULL,"
	" source TEXT NOT NULL,"
	" source_seconds REAL NOT NULL,"
	" hash BLOB NOT NULL,"
	" quality INTEGER NOT NULL,"
	" entry_id INTEGER NOT NULL,"  /* no foreign key: evidence outlives a bank */
	" bank TEXT NOT NULL,"
	" distance INTEGER NOT NULL,"
	" variant INTEGER NOT NULL,"
	" action TEXT NOT NULL);"
	/* The pipeline's tables (vigil/pipeline.h). A bank's policy is its
	 * own row, so the banks table never changes shape. */
	"CREATE TABLE IF NOT EXISTS bank_policy("
	" bank_id INTEGER PRIMARY KEY REFERENCES banks(id) ON DELETE CASCADE,"
	" policy TEXT NOT NULL,"      /* JSON object */
	" updated INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS quarantine("
	" entry_id INTEGER PRIMARY KEY," /* no foreign key: kept as a record */
	" bank_id INTEGER NOT NULL,"
	" since INTEGER NOT NULL,"
	" reason TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS cases("
	" id INTEGER PRIMARY KEY,"
	" state TEXT NOT NULL DEFAULT 'open',"  /* open claimed decided escalated */
	" priority INTEGER NOT NULL,"
	" report INTEGER NOT NULL DEFAULT 0,"
	" bank_id INTEGER NOT NULL DEFAULT 0,"
	" source TEXT NOT NULL,"
	" content_id TEXT NOT NULL DEFAULT '',"
	" user_id TEXT NOT NULL DEFAULT '',"
	" join_key TEXT NOT NULL DEFAULT '',"
	" contexts TEXT NOT NULL DEFAULT '[]',"  /* JSON array, one per upload */
	" matches TEXT NOT NULL DEFAULT '[]',"   /* JSON array */
	" uploads INTEGER NOT NULL DEFAULT 1,"
	" assignee TEXT NOT NULL DEFAULT '',"    /* the reviewer holding a claim */
	" claim_expires INTEGER NOT NULL DEFAULT 0," /* unix s; 0 = no claim */
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS cases_join ON cases(user_id, join_key)"
	" WHERE state IN ('open','claimed') AND join_key<>'';"
	"CREATE INDEX IF NOT EXISTS cases_queue ON cases(state, priority, created);"
	"CREATE TABLE IF NOT EXISTS outbox("
	" id INTEGER PRIMARY KEY,"
	" event_id TEXT NOT NULL UNIQUE,"
	" type TEXT NOT NULL,"
	" url TEXT NOT NULL,"
	" secret_ref TEXT NOT NULL DEFAULT '',"  /* a reference, never a secret */
	" body TEXT NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_ms INTEGER NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'pending',"  /* pending delivered failed */
	" last_error TEXT NOT NULL DEFAULT '',"
	" created_ms INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_ms);"
	/* 3: the service's API keys (digests only) and audit trail. */
	"CREATE TABLE IF NOT EXISTS api_keys("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" digest BLOB NOT NULL UNIQUE,"
	" roles INTEGER NOT NULL,"
	" rate_limit INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL,"
	" revoked INTEGER NOT NULL DEFAULT 0,"
	" last_used INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS audit("
	" id INTEGER PRIMARY KEY,"
	" time_ms INTEGER NOT NULL,"
	" who TEXT NOT NULL,"
	" role TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" object TEXT NOT NULL,"
	" detail TEXT NOT NULL,"
	" source TEXT NOT NULL);";

static int db_err(vigil_store *st, const char *what)
{
	sq *s = st->priv;
	int code = s && s->db ? sqlite3_errcode(s->db) : SQLITE_ERROR;

	if (code == SQLITE_BUSY)
		return vigil__err(st->ctx, VIGIL_ESTORE,
				  "sqlite: %s: %s (another process held the lock "
				  "for the %lld ms this store waits)", what,
				  sqlite3_errmsg(s->db), (long long)s->wait_ms);
	return vigil__err(st->ctx, code == SQLITE_NOMEM ? VIGIL_ENOMEM : VIGIL_ESTORE,
			  "sqlite: %s: %s", what,
			  s && s->db ? sqlite3_errmsg(s->db) : "no database");
}

static int exec(vigil_store *st, const char *sql)
{
	sq *s = st->priv;
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = vigil__err(st->ctx, VIGIL_ESTORE, "sqlite: %s", msg ? msg : "?");
		sqlite3_free(msg);
		return rc;
	}
	return VIGIL_OK;
}

static int prep(vigil_store *st, const char *sql, sqlite3_stmt **out)
{
	sq *s = st->priv;

	if (sqlite3_prepare_v2(s->db, sql, -1, out, NULL) != SQLITE_OK)
		return db_err(st, "prepare");
	return VIGIL_OK;
}

static sqlite3_stmt *cached(vigil_store *st, int which)
{
	sq *s = st->priv;

	if (!s->stmt[which] &&
	    sqlite3_prepare_v3(s->db, stmt_sql[which], -1, SQLITE_PREPARE_PERSISTENT,
			       &s->stmt[which], NULL) != SQLITE_OK) {
		db_err(st, "prepare");
		return NULL;
	}
	sqlite3_reset(s->stmt[which]);
	sqlite3_clear_bindings(s->stmt[which]);
	return s->stmt[which];
}

static int s_open(vigil_store *st, const char *path)
{
	sq *s;
	sqlite3_stmt *v = NULL;
	int version = 0, rc;

	s = vigil__calloc(1, sizeof(*s));
	if (!s)
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	st->priv = s;
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return db_err(st, path);
	s->wait_ms = SQ_DEFAULT_WAIT_MS;
	sqlite3_busy_handler(s->db, busy, s);
	/* A 64 MiB page cache keeps a large import's B-tree in memory until
	 * commit instead of spilling it to the WAL page by page. */
	rc = exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		      "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;");
	if (rc)
		return rc;
	rc = prep(st, "PRAGMA user_version", &v);
	if (rc)
		return rc;
	if (sqlite3_step(v) == SQLITE_ROW)
		version = sqlite3_column_int(v, 0);
	sqlite3_finalize(v);
	if (version > SCHEMA_VERSION)
		return vigil__err(st->ctx, VIGIL_ESTORE,
				  "%s: schema version %d is newer than this vigil (%d)",
				  path, version, SCHEMA_VERSION);
	if (version < SCHEMA_VERSION) {
		char sql[sizeof(schema) + 64];
		snprintf(sql, sizeof(sql), "BEGIN;%sPRAGMA user_version=%d;COMMIT;",
			 schema, SCHEMA_VERSION);
		rc = exec(st, sql);
		if (rc) {
			exec(st, "ROLLBACK");
			return rc;
		}
	}
	return VIGIL_OK;
}

static void s_close(vigil_store *st)
{
	sq *s = st->priv;
	int i;

	if (!s)
		return;
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	vigil__free(s);
	st->priv = NULL;
}

static void copy_text(char *dst, size_t cap, const unsigned char *src)
{
	snprintf(dst, cap, "%s", src ? (const char *)src : "");
}

#define BANK_COLS                                                              \
	"b.id,b.name,b.description,b.labels,b.enabled,b.created,"              \
	"(SELECT count(*) FROM entries e WHERE e.bank_id=b.id)"

static void row_to_bank(sqlite3_stmt *q, vigil_bank *b)
{
	memset(b, 0, sizeof(*b));
	b->id = sqlite3_column_int64(q, 0);
	copy_text(b->name, sizeof(b->name), sqlite3_column_text(q, 1));
	copy_text(b->description, sizeof(b->description), sqlite3_column_text(q, 2));
	copy_text(b->labels, sizeof(b->labels), sqlite3_column_text(q, 3));
	b->enabled = sqlite3_column_int(q, 4);
	b->created = sqlite3_column_int64(q, 5);
	b->entries = sqlite3_column_int64(q, 6);
}

static int s_bank_get(vigil_store *st, const char *name, vigil_bank *out)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT " BANK_COLS " FROM banks b WHERE b.name=?", &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	switch (sqlite3_step(q)) {
	case SQLITE_ROW:
		row_to_bank(q, out);
		break;
	case SQLITE_DONE:
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no bank '%s'", name);
		break;
	default:
		rc = db_err(st, "bank_get");
	}
	sqlite3_finalize(q);
	return rc;
}

static int s_bank_create(vigil_store *st, const char *name, const char *desc,
			 const char *labels, vigil_bank *out)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "INSERT INTO banks(name,description,labels,enabled,created)"
			  " VALUES(?,?,?,1,?)", &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, desc, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, labels, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)time(NULL));
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = sqlite3_extended_errcode(((sq *)st->priv)->db) ==
				     SQLITE_CONSTRAINT_UNIQUE
			     ? vigil__err(st->ctx, VIGIL_EEXIST,
					  "bank '%s' already exists", name)
			     : db_err(st, "bank_create");
	sqlite3_finalize(q);
	return rc ? rc : s_bank_get(st, name, out);
}

static int s_bank_list(vigil_store *st, vigil_bank **out, size_t *n)
{
	sqlite3_stmt *q = NULL;
	vigil_bank *v = NULL;
	size_t cap = 0, k = 0;
	int rc = prep(st, "SELECT " BANK_COLS " FROM banks b ORDER BY b.name", &q), r;

	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		vigil_bank *nv = vigil__grow(v, &cap, k, sizeof(*v));
		if (!nv) {
			rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
			goto out;
		}
		v = nv;
		row_to_bank(q, &v[k++]);
	}
	if (r != SQLITE_DONE) {
		rc = db_err(st, "bank_list");
		goto out;
	}
	*out = v;
	*n = k;
	v = NULL;
out:
	vigil__free(v);
	sqlite3_finalize(q);
	return rc;
}

/* Runs a one-bank UPDATE/DELETE; ENOENT if it touched nothing. */
static int bank_change(vigil_store *st, const char *sql, const char *name, int arg)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, sql, &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(q) > 1)
		sqlite3_bind_int(q, 2, arg);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "update");
	else if (sqlite3_changes(((sq *)st->priv)->db) == 0)
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no bank '%s'", name);
	sqlite3_finalize(q);
	return rc;
}

static int s_bank_set_enabled(vigil_store *st, const char *name, int enabled)
{
	return bank_change(st, "UPDATE banks SET enabled=?2 WHERE name=?1", name,
			   enabled);
}

static int s_bank_delete(vigil_store *st, const char *name)
{
	return bank_change(st, "DELETE FROM banks WHERE name=?1", name, 0);
}

#define ENTRY_COLS "e.id,e.bank_id,e.type,e.value,e.quality,e.source_ref,e.added,e.metadata"

static void row_to_entry(sqlite3_stmt *q, vigil_entry *e)
{
	int n = sqlite3_column_bytes(q, 3);

	e->id = sqlite3_column_int64(q, 0);
	e->bank_id = sqlite3_column_int64(q, 1);
	e->type = sqlite3_column_int(q, 2);
	memset(e->value, 0, sizeof(e->value));
	if (n > 0)
		memcpy(e->value, sqlite3_column_blob(q, 3),
		       (size_t)n < sizeof(e->value) ? (size_t)n : sizeof(e->value));
	e->quality = sqlite3_column_int(q, 4);
	copy_text(e->source_ref, sizeof(e->source_ref), sqlite3_column_text(q, 5));
	e->added = sqlite3_column_int64(q, 6);
	copy_text(e->metadata, sizeof(e->metadata), sqlite3_column_text(q, 7));
}

static int s_entry_get(vigil_store *st, int64_t id, vigil_entry *out)
{
	sqlite3_stmt *q = cached(st, S_ENTRY_GET);
	int rc = VIGIL_OK;

	if (!q)
		return VIGIL_ESTORE;
	sqlite3_bind_int64(q, 1, id);
	switch (sqlite3_step(q)) {
	case SQLITE_ROW:
		row_to_entry(q, out);
		break;
	case SQLITE_DONE:
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no entry %lld", (long long)id);
		break;
	default:
		rc = db_err(st, "entry_get");
	}
	/* Reset at once: a stepped statement would hold its read snapshot. */
	sqlite3_reset(q);
	return rc;
}

static int s_begin(vigil_store *st)
{
	return exec(st, "BEGIN IMMEDIATE");
}

static int s_commit(vigil_store *st)
{
	return exec(st, "COMMIT");
}

static int s_rollback(vigil_store *st)
{
	sq *s = st->priv;

	if (sqlite3_get_autocommit(s->db))
		return VIGIL_OK;
	return exec(st, "ROLLBACK");
}

static int s_entry_add(vigil_store *st, int64_t bank_id, const vigil__rec *r,
		       int64_t *id)
{
	sqlite3_stmt *q = cached(st, S_ENTRY_ADD);
	sq *s = st->priv;

	if (!q)
		return VIGIL_ESTORE;
	sqlite3_bind_int64(q, 1, bank_id);
	sqlite3_bind_int(q, 2, r->type);
	sqlite3_bind_blob(q, 3, r->value, (int)vigil_hash_type_size(r->type),
			  SQLITE_STATIC);
	sqlite3_bind_int(q, 4, r->quality);
	sqlite3_bind_text(q, 5, r->source_ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(q, 7, r->metadata, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		return db_err(st, "entry_add");
	*id = sqlite3_changes(s->db) ? sqlite3_last_insert_rowid(s->db) : 0;
	return VIGIL_OK;
}

static int s_entry_set_value(vigil_store *st, int64_t id, const uint8_t *value)
{
	sqlite3_stmt *q = cached(st, S_ENTRY_SET_VALUE);

	if (!q)
		return VIGIL_ESTORE;
	sqlite3_bind_blob(q, 1, value, 32, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, id);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sqlite3_extended_errcode(((sq *)st->priv)->db) ==
				       SQLITE_CONSTRAINT_UNIQUE
			       ? VIGIL_EEXIST
			       : db_err(st, "entry_set_value");
	return VIGIL_OK;
}

static int s_entry_delete(vigil_store *st, int64_t id)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "DELETE FROM entries WHERE id=?", &q);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "entry_delete");
	sqlite3_finalize(q);
	return rc;
}

static int s_frame_add(vigil_store *st, int64_t entry_id, const vigil__rec *r)
{
	sqlite3_stmt *q = cached(st, S_FRAME_ADD);

	if (!q)
		return VIGIL_ESTORE;
	sqlite3_bind_int64(q, 1, entry_id);
	sqlite3_bind_int(q, 2, r->frame);
	sqlite3_bind_int(q, 3, r->quality);
	sqlite3_bind_blob(q, 4, r->value, 32, SQLITE_STATIC);
	sqlite3_bind_double(q, 5, r->seconds);
	if (sqlite3_step(q) != SQLITE_DONE)
		return db_err(st, "frame_add");
	return VIGIL_OK;
}

static int s_scan(vigil_store *st, int64_t bank_id, vigil__entry_cb cb, void *user)
{
	sqlite3_stmt *q = NULL;
	vigil_entry *e;
	int rc, r;

	e = vigil__malloc(sizeof(*e));
	if (!e)
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	rc = prep(st, bank_id > 0
		  ? "SELECT " ENTRY_COLS " FROM entries e WHERE e.bank_id=?1 ORDER BY e.id"
		  : "SELECT " ENTRY_COLS " FROM entries e JOIN banks b ON b.id=e.bank_id"
		    " WHERE b.enabled ORDER BY e.id", &q);
	if (rc)
		goto out;
	if (bank_id > 0)
		sqlite3_bind_int64(q, 1, bank_id);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		row_to_entry(q, e);
		rc = cb(user, e);
		if (rc)
			goto out;
	}
	if (r != SQLITE_DONE)
		rc = db_err(st, "scan");
out:
	sqlite3_finalize(q);
	vigil__free(e);
	return rc;
}

static int s_scan_hashes(vigil_store *st, vigil__entry_cb cb, void *user)
{
	sqlite3_stmt *q = NULL;
	vigil_entry *e;
	int rc, r;

	e = vigil__calloc(1, sizeof(*e));
	if (!e)
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	rc = prep(st, "SELECT e.id,e.bank_id,e.type,e.value,e.quality FROM entries e"
		      " JOIN banks b ON b.id=e.bank_id WHERE b.enabled", &q);
	if (rc)
		goto out;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		int n = sqlite3_column_bytes(q, 3);
		e->id = sqlite3_column_int64(q, 0);
		e->bank_id = sqlite3_column_int64(q, 1);
		e->type = sqlite3_column_int(q, 2);
		memset(e->value, 0, sizeof(e->value));
		if (n > 0)
			memcpy(e->value, sqlite3_column_blob(q, 3),
			       (size_t)n < sizeof(e->value) ? (size_t)n : sizeof(e->value));
		e->quality = sqlite3_column_int(q, 4);
		rc = cb(user, e);
		if (rc)
			goto out;
	}
	if (r != SQLITE_DONE)
		rc = db_err(st, "scan_hashes");
out:
	sqlite3_finalize(q);
	vigil__free(e);
	return rc;
}

static int s_scan_frames(vigil_store *st, int64_t bank_id, int64_t entry_id,
			 vigil__frame_cb cb, void *user)
{
	sqlite3_stmt *q = NULL;
	vigil__frame f;
	int rc, r;

	rc = prep(st, "SELECT f.id,f.entry_id,e.bank_id,f.frame,f.quality,f.hash,f.seconds"
		      " FROM vpdq_frames f JOIN entries e ON e.id=f.entry_id"
		      " JOIN banks b ON b.id=e.bank_id"
		      " WHERE (?1>0 AND e.bank_id=?1 OR ?1=0 AND b.enabled)"
		      " AND (?2=0 OR f.entry_id=?2) ORDER BY f.entry_id, f.frame", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, bank_id);
	sqlite3_bind_int64(q, 2, entry_id);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&f, 0, sizeof(f));
		f.id = sqlite3_column_int64(q, 0);
		f.entry_id = sqlite3_column_int64(q, 1);
		f.bank_id = sqlite3_column_int64(q, 2);
		f.frame = sqlite3_column_int(q, 3);
		f.quality = sqlite3_column_int(q, 4);
		if (sqlite3_column_bytes(q, 5) == 32)
			memcpy(f.hash, sqlite3_column_blob(q, 5), 32);
		f.seconds = sqlite3_column_double(q, 6);
		rc = cb(user, &f);
		if (rc)
			break;
	}
	if (!rc && r != SQLITE_DONE)
		rc = db_err(st, "scan_frames");
	sqlite3_finalize(q);
	return rc;
}

static int s_evidence_add(vigil_store *st, vigil_evidence *ev)
{
	sqlite3_stmt *q = NULL;
	struct timespec ts;
	int rc;

	if (!ev->created_ms) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ev->created_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	rc = prep(st, "INSERT INTO evidence(created_ms,source,source_seconds,hash,quality,"
		      "entry_id,bank,distance,variant,action) VALUES(?,?,?,?,?,?,?,?,?,?)", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, ev->created_ms);
	sqlite3_bind_text(q, 2, ev->source, -1, SQLITE_STATIC);
	sqlite3_bind_double(q, 3, ev->source_seconds);
	sqlite3_bind_blob(q, 4, ev->hash.bits, 32, SQLITE_STATIC);
	sqlite3_bind_int(q, 5, ev->hash.quality);
	sqlite3_bind_int64(q, 6, ev->entry_id);
	sqlite3_bind_text(q, 7, ev->bank, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 8, ev->distance);
	sqlite3_bind_int(q, 9, ev->variant);
	sqlite3_bind_text(q, 10, ev->action, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "evidence_add");
	else
		ev->id = sqlite3_last_insert_rowid(((sq *)st->priv)->db);
	sqlite3_finalize(q);
	return rc;
}

static int s_evidence_list(vigil_store *st, int64_t since_id, size_t max,
			   vigil_evidence **out, size_t *n)
{
	sqlite3_stmt *q = NULL;
	vigil_evidence *v = NULL;
	size_t cap = 0, k = 0;
	int rc, r;

	*out = NULL;
	*n = 0;
	rc = prep(st, "SELECT id,created_ms,source,source_seconds,hash,quality,entry_id,"
		      "bank,distance,variant,action FROM evidence WHERE id>? ORDER BY id"
		      " LIMIT ?", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, since_id);
	sqlite3_bind_int64(q, 2, max > INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		vigil_evidence *e, *nv = vigil__grow(v, &cap, k, sizeof(*v));
		if (!nv) {
			rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
			goto out;
		}
		v = nv;
		e = &v[k++];
		memset(e, 0, sizeof(*e));
		e->id = sqlite3_column_int64(q, 0);
		e->created_ms = sqlite3_column_int64(q, 1);
		copy_text(e->source, sizeof(e->source), sqlite3_column_text(q, 2));
		e->source_seconds = sqlite3_column_double(q, 3);
		if (sqlite3_column_bytes(q, 4) == 32)
			memcpy(e->hash.bits, sqlite3_column_blob(q, 4), 32);
		e->hash.quality = sqlite3_column_int(q, 5);
		e->entry_id = sqlite3_column_int64(q, 6);
		copy_text(e->bank, sizeof(e->bank), sqlite3_column_text(q, 7));
		e->distance = sqlite3_column_int(q, 8);
		e->variant = sqlite3_column_int(q, 9);
		copy_text(e->action, sizeof(e->action), sqlite3_column_text(q, 10));
	}
	if (r != SQLITE_DONE) {
		rc = db_err(st, "evidence_list");
		goto out;
	}
	*out = v;
	*n = k;
	v = NULL;
out:
	vigil__free(v);
	sqlite3_finalize(q);
	return rc;
}

static int s_set_lock_wait(vigil_store *st, int64_t timeout_ms,
			   vigil_store_wait_cb cb, void *user)
{
	sq *s = st->priv;

	s->wait_ms = timeout_ms;
	s->wait_cb = cb;
	s->wait_user = user;
	return VIGIL_OK;
}

static int s_bank_update(vigil_store *st, const char *name, const char *desc,
			 const char *labels)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "UPDATE banks SET description=coalesce(?,description),"
			  "labels=coalesce(?,labels) WHERE name=?", &q);

	if (rc)
		return rc;
	if (desc)
		sqlite3_bind_text(q, 1, desc, -1, SQLITE_STATIC);
	if (labels)
		sqlite3_bind_text(q, 2, labels, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, name, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "bank_update");
	else if (!sqlite3_changes(((sq *)st->priv)->db))
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no bank '%s'", name);
	sqlite3_finalize(q);
	return rc;
}

/* ------------------------------------------------ service: keys, audit */

static int s_key_add(vigil_store *st, const char *name, const uint8_t *digest,
		     unsigned roles, int64_t rate_limit, vigil_key *out)
{
	sqlite3_stmt *q = NULL;
	int rc, r;

	rc = prep(st, "INSERT INTO api_keys(name,digest,roles,rate_limit,created)"
		      " VALUES(?,?,?,?,?)", &q);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	memcpy(out->digest, digest, VIGIL_KEY_DIGEST);
	out->roles = roles;
	out->rate_limit = rate_limit;
	out->created = (int64_t)time(NULL);
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 2, digest, VIGIL_KEY_DIGEST, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, roles);
	sqlite3_bind_int64(q, 4, rate_limit);
	sqlite3_bind_int64(q, 5, out->created);
	r = sqlite3_step(q);
	if (r == SQLITE_CONSTRAINT)
		rc = vigil__err(st->ctx, VIGIL_EEXIST, "key '%s' already exists", name);
	else if (r != SQLITE_DONE)
		rc = db_err(st, "key_add");
	else
		out->id = sqlite3_last_insert_rowid(((sq *)st->priv)->db);
	sqlite3_finalize(q);
	return rc;
}

static int s_key_list(vigil_store *st, vigil_key **out, size_t *n)
{
	sqlite3_stmt *q = NULL;
	vigil_key *v = NULL;
	size_t cap = 0, k = 0;
	int rc, r;

	*out = NULL;
	*n = 0;
	rc = prep(st, "SELECT id,name,digest,roles,rate_limit,created,revoked,last_used"
		      " FROM api_keys ORDER BY name", &q);
	if (rc)
		return rc;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		vigil_key *e, *nv = vigil__grow(v, &cap, k, sizeof(*v));
		if (!nv) {
			rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
			goto out;
		}
		v = nv;
		e = &v[k++];
		memset(e, 0, sizeof(*e));
		e->id = sqlite3_column_int64(q, 0);
		copy_text(e->name, sizeof(e->name), sqlite3_column_text(q, 1));
		if (sqlite3_column_bytes(q, 2) == VIGIL_KEY_DIGEST)
			memcpy(e->digest, sqlite3_column_blob(q, 2), VIGIL_KEY_DIGEST);
		e->roles = (unsigned)sqlite3_column_int64(q, 3);
		e->rate_limit = sqlite3_column_int64(q, 4);
		e->created = sqlite3_column_int64(q, 5);
		e->revoked = sqlite3_column_int64(q, 6);
		e->last_used = sqlite3_column_int64(q, 7);
	}
	if (r != SQLITE_DONE)
		rc = db_err(st, "key_list");
out:
	sqlite3_finalize(q);
	if (rc) {
		vigil__free(v);
		return rc;
	}
	*out = v;
	*n = k;
	return VIGIL_OK;
}

static int s_key_revoke(vigil_store *st, const char *name)
{
	sqlite3_stmt *q = NULL;
	int rc;

	rc = prep(st, "UPDATE api_keys SET revoked=? WHERE name=? AND revoked=0", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(q, 2, name, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "key_revoke");
	else if (!sqlite3_changes(((sq *)st->priv)->db))
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no active key '%s'", name);
	sqlite3_finalize(q);
	return rc;
}

static int s_key_touch(vigil_store *st, const char *name, int64_t when)
{
	sqlite3_stmt *q = NULL;
	int rc;

	rc = prep(st, "UPDATE api_keys SET last_used=max(last_used,?) WHERE name=?", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, when);
	sqlite3_bind_text(q, 2, name, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "key_touch");
	sqlite3_finalize(q);
	return rc;
}

static int s_audit_append(vigil_store *st, vigil_audit *a)
{
	sqlite3_stmt *q = NULL;
	int rc;

	rc = prep(st, "INSERT INTO audit(time_ms,who,role,action,object,detail,source)"
		      " VALUES(?,?,?,?,?,?,?)", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, a->time_ms);
	sqlite3_bind_text(q, 2, a->who ? a->who : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, a->role ? a->role : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, a->action ? a->action : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, a->object ? a->object : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, a->detail ? a->detail : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, a->source ? a->source : "", -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "audit_append");
	else
		a->id = sqlite3_last_insert_rowid(((sq *)st->priv)->db);
	sqlite3_finalize(q);
	return rc;
}

static int s_audit_scan(vigil_store *st, int64_t since_id, size_t max,
			vigil_audit_cb cb, void *user)
{
	sqlite3_stmt *q = NULL;
	int rc, r;

	rc = prep(st, "SELECT id,time_ms,who,role,action,object,detail,source FROM audit"
		      " WHERE id>? ORDER BY id LIMIT ?", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, since_id);
	sqlite3_bind_int64(q, 2, max > INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		vigil_audit a = {
			sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1),
			(const char *)sqlite3_column_text(q, 2),
			(const char *)sqlite3_column_text(q, 3),
			(const char *)sqlite3_column_text(q, 4),
			(const char *)sqlite3_column_text(q, 5),
			(const char *)sqlite3_column_text(q, 6),
			(const char *)sqlite3_column_text(q, 7),
		};
		rc = cb(user, &a);
		if (rc)
			break;
	}
	if (!rc && r != SQLITE_DONE)
		rc = db_err(st, "audit_scan");
	sqlite3_finalize(q);
	return rc;
}

/* ---------------------------------------------------------- pipeline */

static int name_index(const char *(*name)(int), int end, const unsigned char *text)
{
	int i;

	for (i = 0; text && i < end; i++)
		if (!strcmp(name(i), (const char *)text))
			return i;
	return 0;
}

static char *dup_text(const unsigned char *src)
{
	const char *t = src ? (const char *)src : "";
	size_t n = strlen(t);
	char *d = vigil__malloc(n + 1);

	if (d)
		memcpy(d, t, n + 1);
	return d;
}

static int s_policy_put(vigil_store *st, int64_t bank_id, const char *json)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "INSERT INTO bank_policy(bank_id,policy,updated) VALUES(?,?,?)"
			  " ON CONFLICT(bank_id) DO UPDATE SET policy=excluded.policy,"
			  " updated=excluded.updated", &q);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, bank_id);
	sqlite3_bind_text(q, 2, json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)time(NULL));
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "policy_put");
	sqlite3_finalize(q);
	return rc;
}

/* ------------------------------------------- edits for the service */

static int s_bank_rename(vigil_store *st, const char *name, const char *new_name)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "UPDATE banks SET name=?2 WHERE name=?1", &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, new_name, -1, SQLITE_STATIC);
	switch (sqlite3_step(q)) {
	case SQLITE_DONE:
		if (sqlite3_changes(((sq *)st->priv)->db) == 0)
			rc = vigil__err(st->ctx, VIGIL_ENOENT, "no bank '%s'", name);
		break;
	case SQLITE_CONSTRAINT:
		rc = vigil__err(st->ctx, VIGIL_EEXIST, "bank '%s' exists", new_name);
		break;
	default:
		rc = db_err(st, "bank_rename");
	}
	sqlite3_finalize(q);
	return rc;
}

static int s_quarantine_add(vigil_store *st, const vigil_quarantine *qr)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "INSERT OR IGNORE INTO quarantine(entry_id,bank_id,since,reason)"
			  " VALUES(?,?,?,?)", &q);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, qr->entry_id);
	sqlite3_bind_int64(q, 2, qr->bank_id);
	sqlite3_bind_int64(q, 3, qr->since ? qr->since : (sqlite3_int64)time(NULL));
	sqlite3_bind_text(q, 4, qr->reason, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "quarantine_add");
	sqlite3_finalize(q);
	return rc;
}

static int s_quarantine_remove(vigil_store *st, int64_t entry_id)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "DELETE FROM quarantine WHERE entry_id=?", &q);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, entry_id);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "quarantine_remove");
	else if (!sqlite3_changes(((sq *)st->priv)->db))
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "entry %lld is not quarantined",
				(long long)entry_id);
	sqlite3_finalize(q);
	return rc;
}

static int s_quarantine_list(vigil_store *st, vigil_quarantine **out, size_t *n)
{
	sqlite3_stmt *q = NULL;
	vigil_quarantine *v = NULL;
	size_t cap = 0, k = 0;
	int rc = prep(st, "SELECT entry_id,bank_id,since,reason FROM quarantine"
			  " ORDER BY since, entry_id", &q), r;

	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		vigil_quarantine *nv = vigil__grow(v, &cap, k, sizeof(*v));
		if (!nv) {
			rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
			goto out;
		}
		v = nv;
		memset(&v[k], 0, sizeof(v[k]));
		v[k].entry_id = sqlite3_column_int64(q, 0);
		v[k].bank_id = sqlite3_column_int64(q, 1);
		v[k].since = sqlite3_column_int64(q, 2);
		copy_text(v[k].reason, sizeof(v[k].reason), sqlite3_column_text(q, 3));
		k++;
	}
	if (r != SQLITE_DONE) {
		rc = db_err(st, "quarantine_list");
		goto out;
	}
	*out = v;
	*n = k;
	v = NULL;
out:
	vigil__free(v);
	sqlite3_finalize(q);
	return rc;
}

static int s_case_open(vigil_store *st, const vigil_case_new *c, int64_t *id,
		       int *joined)
{
	sq *s = st->priv;
	sqlite3_stmt *q = NULL;
	char *ctxs = NULL, *mats = NULL;
	const char *key = c->join_key ? c->join_key : "";
	const char *user = c->user_id ? c->user_id : "";
	sqlite3_int64 now = (sqlite3_int64)time(NULL);
	int rc, r;

	*id = 0;
	*joined = 0;
	if (*key) {
		rc = prep(st, "SELECT id,contexts,matches FROM cases WHERE user_id=? AND"
			      " join_key=? AND state IN ('open','claimed') AND join_key<>''"
			      " ORDER BY id LIMIT 1", &q);
		if (rc)
			return rc;
		sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, key, -1, SQLITE_STATIC);
		r = sqlite3_step(q);
		if (r == SQLITE_ROW) {
			*id = sqlite3_column_int64(q, 0);
			ctxs = c->context
				       ? vigil__json_concat((const char *)sqlite3_column_text(q, 1),
						     c->context)
				       : dup_text(sqlite3_column_text(q, 1));
			mats = c->matches
				       ? vigil__json_concat((const char *)sqlite3_column_text(q, 2),
						     c->matches)
				       : dup_text(sqlite3_column_text(q, 2));
			if (!ctxs || !mats) {
				rc = vigil__err(st->ctx, VIGIL_EINVAL,
						"case: context/matches are not valid JSON");
				goto out;
			}
		} else if (r != SQLITE_DONE) {
			rc = db_err(st, "case_open");
			goto out;
		}
		sqlite3_finalize(q);
		q = NULL;
	}
	if (*id) {
		if (strlen(ctxs) > VIGIL_CASE_JSON_MAX || strlen(mats) > VIGIL_CASE_JSON_MAX) {
			rc = vigil__err(st->ctx, VIGIL_ETOOBIG,
					"case %lld: too many joined uploads", (long long)*id);
			goto out;
		}
		rc = prep(st, "UPDATE cases SET contexts=?,matches=?,uploads=uploads+1,"
			      "priority=max(priority,?),report=max(report,?),updated=?"
			      " WHERE id=?", &q);
		if (rc)
			goto out;
		sqlite3_bind_text(q, 1, ctxs, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, mats, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 3, c->priority);
		sqlite3_bind_int(q, 4, c->report != 0);
		sqlite3_bind_int64(q, 5, now);
		sqlite3_bind_int64(q, 6, *id);
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = db_err(st, "case_open");
		else
			*joined = 1;
		goto out;
	}
	ctxs = vigil__json_concat("[]", c->context ? c->context : "[]");
	mats = vigil__json_concat("[]", c->matches ? c->matches : "[]");
	if (!ctxs || !mats) {
		rc = vigil__err(st->ctx, VIGIL_EINVAL,
				"case: context/matches are not valid JSON");
		goto out;
	}
	rc = prep(st, "INSERT INTO cases(state,priority,report,bank_id,source,content_id,"
		      "user_id,join_key,contexts,matches,uploads,created,updated)"
		      " VALUES('open',?,?,?,?,?,?,?,?,?,1,?,?)", &q);
	if (rc)
		goto out;
	sqlite3_bind_int(q, 1, c->priority);
	sqlite3_bind_int(q, 2, c->report != 0);
	sqlite3_bind_int64(q, 3, c->bank_id);
	sqlite3_bind_text(q, 4, c->source ? c->source : "match", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, c->content_id ? c->content_id : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 8, ctxs, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 9, mats, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 10, now);
	sqlite3_bind_int64(q, 11, now);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "case_open");
	else
		*id = sqlite3_last_insert_rowid(s->db);
out:
	sqlite3_finalize(q);
	free(ctxs);
	free(mats);
	return rc;
}

static int s_case_get(vigil_store *st, int64_t id, vigil_case *c)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT id,state,priority,report,bank_id,uploads,source,"
			  "content_id,user_id,contexts,matches,created,updated,assignee,"
			  "claim_expires FROM cases WHERE id=?", &q);

	memset(c, 0, sizeof(*c));
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, id);
	switch (sqlite3_step(q)) {
	case SQLITE_ROW:
		c->id = sqlite3_column_int64(q, 0);
		c->state = name_index(vigil_case_state_name, VIGIL__CASE_STATE_END,
				      sqlite3_column_text(q, 1));
		c->priority = sqlite3_column_int(q, 2);
		c->report = sqlite3_column_int(q, 3);
		c->bank_id = sqlite3_column_int64(q, 4);
		c->uploads = sqlite3_column_int(q, 5);
		copy_text(c->source, sizeof(c->source), sqlite3_column_text(q, 6));
		copy_text(c->content_id, sizeof(c->content_id), sqlite3_column_text(q, 7));
		copy_text(c->user_id, sizeof(c->user_id), sqlite3_column_text(q, 8));
		c->contexts = dup_text(sqlite3_column_text(q, 9));
		c->matches = dup_text(sqlite3_column_text(q, 10));
		c->created = sqlite3_column_int64(q, 11);
		c->updated = sqlite3_column_int64(q, 12);
		copy_text(c->assignee, sizeof(c->assignee), sqlite3_column_text(q, 13));
		c->claim_expires = sqlite3_column_int64(q, 14);
		if (!c->contexts || !c->matches) {
			vigil_case_clear(c);
			rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		}
		break;
	case SQLITE_DONE:
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no case %lld", (long long)id);
		break;
	default:
		rc = db_err(st, "case_get");
	}
	sqlite3_finalize(q);
	return rc;
}

static int s_outbox_add(vigil_store *st, vigil_event *e)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "INSERT INTO outbox(event_id,type,url,secret_ref,body,attempts,"
			  "next_ms,state,last_error,created_ms) VALUES(?,?,?,?,?,0,?,"
			  "'pending','',?)", &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, e->event_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, e->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, e->url, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, e->secret_ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, e->body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, e->created_ms);
	sqlite3_bind_int64(q, 7, e->created_ms);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "outbox_add");
	else
		e->id = sqlite3_last_insert_rowid(((sq *)st->priv)->db);
	sqlite3_finalize(q);
	return rc;
}

static int s_entry_set_metadata(vigil_store *st, int64_t id, const char *metadata)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "UPDATE entries SET metadata=?2 WHERE id=?1", &q);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_text(q, 2, metadata, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "entry_set_metadata");
	else if (sqlite3_changes(((sq *)st->priv)->db) == 0)
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no entry %lld", (long long)id);
	sqlite3_finalize(q);
	return rc;
}

static int s_outbox_select(vigil_store *st, int state, int64_t now_ms, size_t max,
			   vigil_event **out, size_t *n)
{
	sqlite3_stmt *q = NULL;
	vigil_event *v = NULL;
	size_t cap = 0, k = 0;
	int rc, r;

	*out = NULL;
	*n = 0;
	rc = prep(st, state < 0
		  ? "SELECT id,event_id,type,url,secret_ref,body,attempts,next_ms,state,"
		    "last_error,created_ms FROM outbox WHERE state='pending' AND next_ms<=?1"
		    " ORDER BY next_ms, id LIMIT ?2"
		  : "SELECT id,event_id,type,url,secret_ref,body,attempts,next_ms,state,"
		    "last_error,created_ms FROM outbox WHERE state=?3"
		    " ORDER BY id DESC LIMIT ?2", &q);
	if (rc)
		return rc;
	if (state < 0)
		sqlite3_bind_int64(q, 1, now_ms);
	else
		sqlite3_bind_text(q, 3, vigil_outbox_state_name(state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, max > INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		vigil_event *e, *nv = vigil__grow(v, &cap, k, sizeof(*v));
		if (!nv) {
			rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
			goto out;
		}
		v = nv;
		e = &v[k];
		memset(e, 0, sizeof(*e));
		e->id = sqlite3_column_int64(q, 0);
		copy_text(e->event_id, sizeof(e->event_id), sqlite3_column_text(q, 1));
		copy_text(e->type, sizeof(e->type), sqlite3_column_text(q, 2));
		copy_text(e->url, sizeof(e->url), sqlite3_column_text(q, 3));
		copy_text(e->secret_ref, sizeof(e->secret_ref), sqlite3_column_text(q, 4));
		e->body = dup_text(sqlite3_column_text(q, 5));
		e->attempts = sqlite3_column_int(q, 6);
		e->next_ms = sqlite3_column_int64(q, 7);
		e->state = name_index(vigil_outbox_state_name, VIGIL__OUTBOX_STATE_END,
				      sqlite3_column_text(q, 8));
		copy_text(e->last_error, sizeof(e->last_error), sqlite3_column_text(q, 9));
		e->created_ms = sqlite3_column_int64(q, 10);
		k++;
		if (!e->body) {
			rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (r != SQLITE_DONE) {
		rc = db_err(st, "outbox_select");
		goto out;
	}
	*out = v;
	*n = k;
	v = NULL;
out:
	if (v)
		vigil_events_free(v, k);
	sqlite3_finalize(q);
	return rc;
}

static int s_entry_type_stats(vigil_store *st, int type, int64_t *count,
			      int64_t *newest)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT count(*), coalesce(max(e.added),-1) FROM entries e"
			  " JOIN banks b ON b.id=e.bank_id WHERE b.enabled AND e.type=?",
		      &q);

	if (rc)
		return rc;
	sqlite3_bind_int(q, 1, type);
	if (sqlite3_step(q) == SQLITE_ROW) {
		*count = sqlite3_column_int64(q, 0);
		*newest = sqlite3_column_int64(q, 1);
	} else {
		rc = db_err(st, "entry_type_stats");
	}
	sqlite3_finalize(q);
	return rc;
}

static int s_outbox_update(vigil_store *st, int64_t id, int state, int attempts,
			   int64_t next_ms, const char *last_error)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "UPDATE outbox SET state=?,attempts=?,next_ms=?,last_error=?"
			  " WHERE id=?", &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, vigil_outbox_state_name(state), -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, attempts);
	sqlite3_bind_int64(q, 3, next_ms);
	sqlite3_bind_text(q, 4, last_error ? last_error : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, id);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "outbox_update");
	sqlite3_finalize(q);
	return rc;
}

static int s_outbox_counts(vigil_store *st, int64_t counts[3])
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT state,count(*) FROM outbox GROUP BY state", &q), r;

	counts[0] = counts[1] = counts[2] = 0;
	if (rc)
		return rc;
	while ((r = sqlite3_step(q)) == SQLITE_ROW)
		counts[name_index(vigil_outbox_state_name, VIGIL__OUTBOX_STATE_END,
				  sqlite3_column_text(q, 0))] = sqlite3_column_int64(q, 1);
	if (r != SQLITE_DONE)
		rc = db_err(st, "outbox_counts");
	sqlite3_finalize(q);
	return rc;
}

static int s_policy_scan(vigil_store *st,
			 int (*cb)(void *user, int64_t bank_id, const char *name,
				   const char *json),
			 void *user)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT b.id,b.name,p.policy FROM banks b LEFT JOIN bank_policy p"
			  " ON p.bank_id=b.id ORDER BY b.id", &q), r;

	if (rc)
		return rc;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		rc = cb(user, sqlite3_column_int64(q, 0),
			(const char *)sqlite3_column_text(q, 1),
			(const char *)sqlite3_column_text(q, 2));
		if (rc)
			break;
	}
	if (!rc && r != SQLITE_DONE)
		rc = db_err(st, "policy_scan");
	sqlite3_finalize(q);
	return rc;
}

static int s_in_transaction(vigil_store *st)
{
	return !sqlite3_get_autocommit(((sq *)st->priv)->db);
}

const vigil__store_ops vigil__store_sqlite = {
	VIGIL__STORE_OPS_VERSION,
	"sqlite",
	s_open,
	s_close,
	s_bank_create,
	s_bank_get,
	s_bank_list,
	s_bank_set_enabled,
	s_bank_delete,
	s_entry_get,
	s_begin,
	s_commit,
	s_rollback,
	s_entry_add,
	s_entry_set_value,
	s_entry_delete,
	s_frame_add,
	s_scan,
	s_scan_hashes,
	s_scan_frames,
	s_evidence_add,
	s_evidence_list,
	s_set_lock_wait,
	s_policy_put,
	s_quarantine_add,
	s_quarantine_remove,
	s_quarantine_list,
	s_case_open,
	s_case_get,
	s_outbox_add,
	s_outbox_select,
	s_outbox_update,
	s_outbox_counts,
	s_in_transaction,
	s_policy_scan,
	s_bank_update,
	s_key_add,
	s_key_list,
	s_key_revoke,
	s_key_touch,
	s_audit_append,
	s_audit_scan,
	s_bank_rename,
	s_entry_set_metadata,
	s_entry_type_stats,
	NULL, /* entry_stage: SQLite's per-row insert is as fast as a batch */
	NULL,
	NULL, /* changes: one process owns an SQLite store */
	NULL,
	NULL,
};
