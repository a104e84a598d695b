/* sqlite.c — the embedded store: one SQLite file in WAL mode.
 *
 * Durability: synchronous=FULL, so a committed import survives a kill or a
 * power cut; an import is one transaction, so a kill in the middle leaves
 * the bank as it was. Prepared statements are kept for the hot paths. */
#include "store.h"
#include "sqlite_bulk.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SCHEMA_VERSION 12 /* 12: feed_log compaction (migrate_feed_compact); 8: shared work (migrate_work); 9: grooming
			    state (migrate_groom_state); 10: text_terms.source_ref
			    (migrate_text_refs); 11: the change log's range rows
			    (kind 3, one per bulk import; migrate_bulk_log), a
			    number that keeps older vigils, which would skip
			    them, off the store;
			    2: evidence; 3: service tables (api_keys, audit)
			    and the pipeline's (bank_policy, quarantine,
			    cases, outbox); 4: view_prefs (a reviewer's
			    protected view); 5: the audit hash chain (prev,
			    hash columns, audit_checkpoints; migrate_audit);
			    6: exchanges; 7: filing inside vigil serve
			    (reports.work*, reports.overdue_alerted,
			    case_review.incident_type; migrate_report_work),
			    text banks (text_banks, text_terms), the change
			    log (changes, its triggers) and store_meta
			    (identity, log floor) for index snapshots,
			    evidence preservation (pres_items, pres_keys,
			    pres_holds), exchange_items_entry index (shared
			    hashes), leases (the scheduler's lease), feeds +
			    feed_log + triggers (published banks), private
			    matching (pm_state, pm_accounts, pm_vouchers);
			    every step of the script is idempotent */

/* The per-entry change-log trigger, also dropped and made again around a
 * bulk import's flush (s_entry_stage_flush), which logs one range row. */
#define CHANGES_ENTRY_ADD_TRIGGER                                              \
	"CREATE TRIGGER IF NOT EXISTS changes_entry_add AFTER INSERT ON entries BEGIN" \
	" INSERT INTO changes(kind,bank_id,entry_id) VALUES(0,NEW.bank_id,NEW.id); END;"
#define CHANGE_RANGE 3 /* changes.kind: entries entry_id..quality, by id */

enum {
	S_ENTRY_ADD,
	S_ENTRY_SET_VALUE,
	S_FRAME_ADD,
	S_ENTRY_GET,
	S_XITEM_SEL,  /* exchanges: per fetched record, so kept prepared */
	S_XITEM_DEL,
	S_XITEM_LINK,
	S_ENTRY_DEL,
	S_XITEM_HOLDER,
	S_GROOM_PUT, /* grooming state: once per scored message (schema 9) */
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
	vigil__bulk *bulk;           /* bulk import: rows staged, not yet flushed */
	int xcache;                  /* page cache raised for exchange pages */
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
	"SELECT entry_id FROM exchange_items WHERE exchange_id=? AND key=?",
	"DELETE FROM exchange_items WHERE exchange_id=? AND key=?",
	"INSERT OR REPLACE INTO exchange_items(exchange_id,key,entry_id,gen) VALUES(?,?,?,?)",
	"DELETE FROM entries WHERE id=?",
	"SELECT key FROM exchange_items WHERE entry_id=? ORDER BY rowid LIMIT 1",
	"INSERT OR REPLACE INTO groom_state(key,seen,state) VALUES(?,?,?)",
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
	" source TEXT NOT NULL,"
	" prev BLOB NOT NULL DEFAULT x'',"  /* 4: the chain (vigil/service.h) */
	" hash BLOB NOT NULL DEFAULT x'');"
	/* Hotline reports (vigil/report.h): the state of each step, and what
	 * was sent and answered, as it was. */
	"CREATE TABLE IF NOT EXISTS reports("
	" id INTEGER PRIMARY KEY,"
	" case_id INTEGER NOT NULL UNIQUE,"
	" state INTEGER NOT NULL DEFAULT 0,"
	" ncmec_id TEXT NOT NULL DEFAULT '',"
	" xml TEXT,"
	" files TEXT NOT NULL DEFAULT '[]',"
	" answers TEXT NOT NULL DEFAULT '[]',"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" last_code INTEGER NOT NULL DEFAULT -1,"
	" last_error TEXT NOT NULL DEFAULT '',"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS audit_checkpoints("
	" id INTEGER PRIMARY KEY,"
	" audit_id INTEGER NOT NULL,"
	" time_ms INTEGER NOT NULL,"
	" hash BLOB NOT NULL,"
	" pubkey BLOB NOT NULL,"
	" sig BLOB NOT NULL);"
	/* Review (vigil/review.h): who holds a case and what was decided,
	 * one row per case ever claimed; the case's state stays in cases. */
	"CREATE TABLE IF NOT EXISTS case_review("
	" case_id INTEGER PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,"
	" assignee TEXT NOT NULL DEFAULT '',"
	" claimed INTEGER NOT NULL DEFAULT 0,"
	" claim_expires INTEGER NOT NULL DEFAULT 0,"
	" decision TEXT NOT NULL DEFAULT 'none',"
	" classification TEXT NOT NULL DEFAULT '',"
	" annotations TEXT NOT NULL DEFAULT '[]',"
	" note TEXT NOT NULL DEFAULT '',"
	" decided_by TEXT NOT NULL DEFAULT '',"
	" decided INTEGER NOT NULL DEFAULT 0,"
	" escalated INTEGER NOT NULL DEFAULT 0);"
	/* A case's content, sealed (vigil/sealed.h): never plaintext. */
	"CREATE TABLE IF NOT EXISTS case_media("
	" case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,"
	" n INTEGER NOT NULL,"
	" content_type TEXT NOT NULL DEFAULT '',"
	" bytes INTEGER NOT NULL,"
	" sha256 BLOB NOT NULL,"
	" sealed BLOB NOT NULL,"
	" created INTEGER NOT NULL,"
	" PRIMARY KEY(case_id, n), UNIQUE(case_id, sha256));"
	/* Who saw an original, when: the reveal log. */
	"CREATE TABLE IF NOT EXISTS reveals("
	" id INTEGER PRIMARY KEY,"
	" case_id INTEGER NOT NULL,"
	" n INTEGER NOT NULL,"
	" who TEXT NOT NULL,"
	" time INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS reveals_who ON reveals(who, time);"
	/* People of the review page; sessions by the digest of the cookie. */
	"CREATE TABLE IF NOT EXISTS people("
	" name TEXT PRIMARY KEY,"
	" roles INTEGER NOT NULL,"
	" pwhash TEXT NOT NULL,"
	" failures INTEGER NOT NULL DEFAULT 0,"
	" locked_until INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS sessions("
	" digest BLOB PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" csrf TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL,"
	" ended INTEGER NOT NULL DEFAULT 0);"
	/* A reviewer's settings of the protected view (schema 4). */
	"CREATE TABLE IF NOT EXISTS view_prefs("
	" name TEXT PRIMARY KEY,"
	" blur INTEGER NOT NULL,"
	" size INTEGER NOT NULL,"
	" sepia INTEGER NOT NULL,"
	" updated INTEGER NOT NULL);"
	/* 6: hash-list exchanges (vigil/exchange.h): their settings and
	 * progress, and which entries each fetched record put in the bank.
	 * Credentials are a reference (env:, file:), never the secret. */
	"CREATE TABLE IF NOT EXISTS exchanges("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" api INTEGER NOT NULL,"
	" bank TEXT NOT NULL,"
	" settings TEXT NOT NULL,"
	" credentials TEXT NOT NULL,"
	" enabled INTEGER NOT NULL DEFAULT 1,"
	" checkpoint TEXT NOT NULL DEFAULT '',"
	" generation INTEGER NOT NULL DEFAULT 1,"
	" full INTEGER NOT NULL DEFAULT 0,"
	" up_to_date INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT NOT NULL DEFAULT '',"
	" last_attempt INTEGER NOT NULL DEFAULT 0,"
	" last_success INTEGER NOT NULL DEFAULT 0,"
	" fetched INTEGER NOT NULL DEFAULT 0,"
	" skipped INTEGER NOT NULL DEFAULT 0,"
	" errors INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS exchange_items("
	" exchange_id INTEGER NOT NULL REFERENCES exchanges(id) ON DELETE CASCADE,"
	" key TEXT NOT NULL,"
	" entry_id INTEGER NOT NULL," /* 0: the record had no usable hash */
	" gen INTEGER NOT NULL,"
	" PRIMARY KEY(exchange_id, key, entry_id));"
	"CREATE INDEX IF NOT EXISTS exchange_items_gen ON exchange_items(exchange_id, gen);"
	/* Text banks (vigil/text.h): a bank is a text bank when it has a row
	 * here; its terms are their own table so entries keep their shape. */
	"CREATE TABLE IF NOT EXISTS text_banks("
	" bank_id INTEGER PRIMARY KEY REFERENCES banks(id) ON DELETE CASCADE);"
	"CREATE TABLE IF NOT EXISTS text_terms("
	" id INTEGER PRIMARY KEY,"
	" bank_id INTEGER NOT NULL REFERENCES banks(id) ON DELETE CASCADE,"
	" term TEXT NOT NULL,"
	" category TEXT NOT NULL DEFAULT '',"
	" severity INTEGER NOT NULL,"
	" mode INTEGER NOT NULL,"
	" line INTEGER NOT NULL DEFAULT 0,"
	" added INTEGER NOT NULL,"
	" UNIQUE(bank_id, mode, term));"
	/* 7: the change log, as on PostgreSQL (vigil/store.h): what a
	 * matcher started from an index snapshot replays. Triggers, so no
	 * writer (server, CLI, exchange fetch) can miss it. An add logs only
	 * the entry's id (the scan reads its value from entries: 20 bytes a
	 * row, not 60); a removal logs the value, gone by the scan. Entries
	 * deleted with their bank are not logged one by one: the bank's own
	 * change covers them (WHEN: the cascade runs once the bank row is
	 * gone). SQLite writers are serialised, so seq order is commit
	 * order. Step 8: a bulk import logs one row of kind 3 instead of
	 * one per entry: the ids entry_id..quality (its rows got every id
	 * above the previous highest), read from entries by the scan.
	 * store_meta: the store's random identity (a snapshot of
	 * another store is refused) and the log's floor (every change after
	 * it is still in the log; pruning raises it). */
	"CREATE TABLE IF NOT EXISTS changes("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" kind INTEGER NOT NULL,"
	" bank_id INTEGER NOT NULL,"
	" entry_id INTEGER NOT NULL DEFAULT 0,"
	" type INTEGER NOT NULL DEFAULT 0,"
	" value BLOB,"
	" quality INTEGER NOT NULL DEFAULT -1);"
	"CREATE TABLE IF NOT EXISTS store_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"INSERT OR IGNORE INTO store_meta VALUES('identity', 'sqlite:' || lower(hex(randomblob(16))));"
	"INSERT OR IGNORE INTO store_meta VALUES('changes_floor', '0');"
	CHANGES_ENTRY_ADD_TRIGGER
	"CREATE TRIGGER IF NOT EXISTS changes_entry_remove AFTER DELETE ON entries"
	" WHEN EXISTS(SELECT 1 FROM banks WHERE id=OLD.bank_id) BEGIN"
	" INSERT INTO changes(kind,bank_id,entry_id,type,value,quality)"
	" VALUES(1,OLD.bank_id,OLD.id,OLD.type,OLD.value,OLD.quality); END;"
	"CREATE TRIGGER IF NOT EXISTS changes_bank_enabled AFTER UPDATE OF enabled ON banks"
	" BEGIN INSERT INTO changes(kind,bank_id,quality) VALUES(2,NEW.id,NEW.enabled); END;"
	"CREATE TRIGGER IF NOT EXISTS changes_bank_delete AFTER DELETE ON banks"
	" BEGIN INSERT INTO changes(kind,bank_id,quality) VALUES(2,OLD.id,-1); END;"
	/* 7: preserved evidence (vigil/evidence.h). body is a sealed blob
	 * without its first VIGIL_SEAL_KEY_END bytes, the wrapped data key,
	 * which is its own row in pres_keys: deleting that row (with
	 * secure_delete) destroys the item whatever copies of body exist. */
	"CREATE TABLE IF NOT EXISTS pres_items("
	" id INTEGER PRIMARY KEY,"
	" report_id INTEGER NOT NULL,"
	" case_id INTEGER NOT NULL,"
	" kind TEXT NOT NULL,"
	" n INTEGER NOT NULL,"
	" content_type TEXT NOT NULL DEFAULT '',"
	" bytes INTEGER NOT NULL,"
	" sha256 BLOB NOT NULL,"
	" body BLOB NOT NULL,"
	" preserved INTEGER NOT NULL,"
	" deleted INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE(report_id, kind, n));"
	"CREATE TABLE IF NOT EXISTS pres_keys("
	" item_id INTEGER PRIMARY KEY,"
	" wrapped BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS pres_holds("
	" id INTEGER PRIMARY KEY,"
	" item_id INTEGER NOT NULL,"
	" reason TEXT NOT NULL,"
	" who TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" released INTEGER NOT NULL DEFAULT 0,"
	" released_by TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX IF NOT EXISTS pres_holds_item ON pres_holds(item_id, released);"
	/* 7: which records hold an entry (two records of a list may carry
	 * one hash: the entry stays while any holds it), and named leases
	 * (one scheduler per exchange among servers sharing the store). */
	"CREATE INDEX IF NOT EXISTS exchange_items_entry ON exchange_items(entry_id);"
	"CREATE TABLE IF NOT EXISTS leases("
	" name TEXT PRIMARY KEY,"
	" owner TEXT NOT NULL,"
	" expires INTEGER NOT NULL);"
	/* 7: banks published as exchange feeds, and their change log (op 0:
	 * the entry as it is now, 1: removed), written by triggers only for
	 * published banks, so other banks' imports pay one indexed probe. */
	"CREATE TABLE IF NOT EXISTS feeds("
	" bank_id INTEGER PRIMARY KEY REFERENCES banks(id) ON DELETE CASCADE,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS feed_log("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" bank_id INTEGER NOT NULL,"
	" entry_id INTEGER NOT NULL,"
	" op INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS feed_log_bank ON feed_log(bank_id, seq);"
	/* Private matching (E1): the server state (secret: alpha), per-account
	 * counters, and the vouchers that opened. */
	"CREATE TABLE IF NOT EXISTS pm_state("
	" id INTEGER PRIMARY KEY CHECK(id = 1),"
	" state BLOB NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS pm_accounts("
	" account TEXT PRIMARY KEY,"
	" received INTEGER NOT NULL DEFAULT 0,"
	" opened INTEGER NOT NULL DEFAULT 0,"
	" matched INTEGER NOT NULL DEFAULT 0,"
	" recovered_at INTEGER NOT NULL DEFAULT 0,"
	" first INTEGER NOT NULL,"
	" last INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS pm_vouchers("
	" id INTEGER PRIMARY KEY,"
	" account TEXT NOT NULL REFERENCES pm_accounts(account) ON DELETE CASCADE,"
	" voucher BLOB NOT NULL);"
	"CREATE INDEX IF NOT EXISTS pm_vouchers_account ON pm_vouchers(account, id);";

/* The feed's triggers, created when a bank is first published (a store
 * that publishes nothing pays nothing on its imports). */
static const char feed_triggers[] =
	"CREATE TRIGGER IF NOT EXISTS feed_add AFTER INSERT ON entries"
	" WHEN EXISTS(SELECT 1 FROM feeds WHERE bank_id=NEW.bank_id) BEGIN"
	" INSERT INTO feed_log(bank_id,entry_id,op) VALUES(NEW.bank_id,NEW.id,0); END;"
	"CREATE TRIGGER IF NOT EXISTS feed_update AFTER UPDATE OF value,quality,metadata"
	" ON entries WHEN EXISTS(SELECT 1 FROM feeds WHERE bank_id=NEW.bank_id) BEGIN"
	" INSERT INTO feed_log(bank_id,entry_id,op) VALUES(NEW.bank_id,NEW.id,0); END;"
	"CREATE TRIGGER IF NOT EXISTS feed_delete AFTER DELETE ON entries"
	" WHEN EXISTS(SELECT 1 FROM feeds WHERE bank_id=OLD.bank_id) BEGIN"
	" INSERT INTO feed_log(bank_id,entry_id,op) VALUES(OLD.bank_id,OLD.id,1); END;";

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

static int audit_scan_rows(vigil_store *st, int64_t since_id, size_t max,
			   vigil_audit_cb cb, void *user);

/* Chains the rows an older store has (its audit table got the prev and
 * hash columns from ALTER): each row is hashed in id order, as if it had
 * been appended now. Rows before the upgrade are only as trustworthy as
 * the file was until then; the chain protects them from here on. */
struct backfill {
	vigil_store *st;
	sqlite3_stmt *upd;
	uint8_t prev[32];
	int64_t last;
};

static int backfill_row(void *user, const vigil_audit *a)
{
	struct backfill *b = user;
	uint8_t content[32], hash[32];

	vigil_audit_digest(a, b->prev, content, hash);
	sqlite3_reset(b->upd);
	sqlite3_bind_blob(b->upd, 1, b->prev, 32, SQLITE_STATIC);
	sqlite3_bind_blob(b->upd, 2, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(b->upd, 3, a->id);
	if (sqlite3_step(b->upd) != SQLITE_DONE)
		return db_err(b->st, "audit backfill");
	memcpy(b->prev, hash, 32);
	b->last = a->id;
	return 0;
}

static int migrate_audit(vigil_store *st)
{
	sqlite3_stmt *q = NULL;
	struct backfill b = {st, NULL, {0}, 0};
	int has = 0, rc;

	rc = prep(st, "SELECT count(*) FROM pragma_table_info('audit')"
		      " WHERE name='hash'", &q);
	if (rc)
		return rc;
	if (sqlite3_step(q) == SQLITE_ROW)
		has = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (has)
		return VIGIL_OK;
	rc = exec(st, "ALTER TABLE audit ADD COLUMN prev BLOB NOT NULL DEFAULT x'';"
		      "ALTER TABLE audit ADD COLUMN hash BLOB NOT NULL DEFAULT x'';");
	if (rc)
		return rc;
	rc = prep(st, "UPDATE audit SET prev=?, hash=? WHERE id=?", &b.upd);
	if (rc)
		return rc;
	/* The update changes only columns the scan does not order by, so one
	 * pass over the rows is safe. */
	rc = audit_scan_rows(st, 0, SIZE_MAX, backfill_row, &b);
	sqlite3_finalize(b.upd);
	return rc;
}

/* 7: the filing work of vigil serve on reports (what is asked, since when,
 * the next try and the tries so far, when the deadline alert went out) and
 * the incident type a reviewer gave on case_review. Each column is added
 * only if missing, so a store at 6, or at 7 from another branch, upgrades. */
static int add_column(vigil_store *st, const char *table, const char *col,
		      const char *decl)
{
	sqlite3_stmt *q = NULL;
	char sql[256];
	int has = 0, rc;

	rc = prep(st, "SELECT count(*) FROM pragma_table_info(?1) WHERE name=?2", &q);
	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, col, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		has = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (has)
		return VIGIL_OK;
	snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s;", table, col, decl);
	return exec(st, sql);
}

/* ---- schema 11: the change log's range rows ---- */
/* Nothing to convert: kind 3 rows are only ever written by this version.
 * The step exists for its number (an older vigil refuses the store rather
 * than skip a range row and serve a silently stale snapshot) and checks
 * that the trigger the flush drops and remakes is in place. */
static int migrate_bulk_log(vigil_store *st)
{
	return exec(st, CHANGES_ENTRY_ADD_TRIGGER);
}
/* ---- end of schema 11 ---- */

static int migrate_report_work(vigil_store *st)
{
	static const char *const cols[][3] = {
		{"reports", "work", "TEXT NOT NULL DEFAULT ''"},
		{"reports", "work_since", "INTEGER NOT NULL DEFAULT 0"},
		{"reports", "work_next", "INTEGER NOT NULL DEFAULT 0"},
		{"reports", "work_tries", "INTEGER NOT NULL DEFAULT 0"},
		{"reports", "work_error", "TEXT NOT NULL DEFAULT ''"},
		{"reports", "overdue_alerted", "INTEGER NOT NULL DEFAULT 0"},
		{"case_review", "incident_type", "TEXT NOT NULL DEFAULT ''"},
	};
	int rc = VIGIL_OK;

	for (size_t i = 0; !rc && i < sizeof(cols) / sizeof(cols[0]); i++)
		rc = add_column(st, cols[i][0], cols[i][1], cols[i][2]);
	return rc;
}

/* ---- schema 8: shared work (issue 11, several instances) ------------
 * Video jobs and watched streams any instance may take over (vigil/store.h
 * "shared work"). Its own step so that it merges beside other branches'. */
static int migrate_work(vigil_store *st)
{
	return exec(st, "CREATE TABLE IF NOT EXISTS shared_work("
			" id TEXT PRIMARY KEY,"
			" kind TEXT NOT NULL,"
			" state TEXT NOT NULL,"
			" owner TEXT NOT NULL DEFAULT '',"
			" created INTEGER NOT NULL,"
			" updated INTEGER NOT NULL,"
			" lease_until INTEGER NOT NULL DEFAULT 0,"
			" attempts INTEGER NOT NULL DEFAULT 0,"
			" spec TEXT NOT NULL DEFAULT '',"
			" result TEXT NOT NULL DEFAULT '',"
			" media BLOB);"
			"CREATE INDEX IF NOT EXISTS shared_work_open"
			" ON shared_work(kind, state, created);");
}
/* ---- end of schema 8 ------------------------------------------------- */
/* ---- schema 9: grooming state --------------------------------------
 * One row per (conversation, author): the 16-byte pair key, the last
 * message's time and the packed state (VIGIL_GROOM_STATE_BYTES). WITHOUT
 * ROWID, so the row lives once, in the primary key's B-tree; the index on
 * seen serves eviction by age. Idempotent. */
static int migrate_groom_state(vigil_store *st)
{
	return exec(st, "CREATE TABLE IF NOT EXISTS groom_state("
			" key BLOB PRIMARY KEY,"
			" seen INTEGER NOT NULL,"
			" state BLOB NOT NULL) WITHOUT ROWID;"
			"CREATE INDEX IF NOT EXISTS groom_state_seen ON groom_state(seen);");
}
/* ---- end of schema 9 ---- */
/* ---- schema 10: text terms fetched by an exchange ----------------------
 * A term's source_ref names the ThreatExchange record that brought it, so
 * an update or delete of that record reaches the term. Idempotent. */
static int migrate_text_refs(vigil_store *st)
{
	int rc = add_column(st, "text_terms", "source_ref", "TEXT NOT NULL DEFAULT ''");

	if (!rc)
		rc = exec(st, "CREATE INDEX IF NOT EXISTS text_terms_ref"
			      " ON text_terms(bank_id, source_ref);");
	return rc;
}
/* ---- end of schema 10 ---- */
/* ---- schema 12: feed_log compaction (vigil_feed_compact) ---------------
 * A published bank's floor (checkpoints below it are stale) and the mark
 * that times its deletes' window; an index to find each entry's latest
 * row. Idempotent. */
static int migrate_feed_compact(vigil_store *st)
{
	int rc = add_column(st, "feeds", "floor", "INTEGER NOT NULL DEFAULT 0");

	if (!rc)
		rc = add_column(st, "feeds", "mark_seq", "INTEGER NOT NULL DEFAULT 0");
	if (!rc)
		rc = add_column(st, "feeds", "mark_at", "INTEGER NOT NULL DEFAULT 0");
	if (!rc)
		rc = exec(st, "CREATE INDEX IF NOT EXISTS feed_log_entry"
			      " ON feed_log(bank_id, entry_id, seq);");
	return rc;
}
/* ---- end of schema 12 ---- */

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
	if (!rc && vigil__bulk_register(s->db, &s->bulk))
		rc = db_err(st, "vigil_bulk");
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
	if (version == SCHEMA_VERSION) {
		/* a store made at this number by a branch without every step
		 * (the change log of step 7): the script is idempotent, run it */
		rc = prep(st, "SELECT count(*) FROM sqlite_master WHERE type='trigger'"
			      " AND name='changes_bank_delete'", &v);
		if (rc)
			return rc;
		if (sqlite3_step(v) == SQLITE_ROW && !sqlite3_column_int(v, 0))
			version = 0;
		sqlite3_finalize(v);
	}
	if (version < SCHEMA_VERSION) {
		char sql[sizeof(schema) + 64];
		snprintf(sql, sizeof(sql), "BEGIN IMMEDIATE;%s", schema);
		rc = exec(st, sql);
		if (!rc)
			rc = migrate_audit(st);
		if (!rc)
			rc = migrate_report_work(st);
		if (!rc)
			rc = migrate_work(st); /* schema 8 */
		if (!rc)
			rc = migrate_groom_state(st); /* schema 9 */
		if (!rc)
			rc = migrate_text_refs(st); /* schema 10 */
		if (!rc)
			rc = migrate_bulk_log(st); /* schema 11 */
		if (!rc)
			rc = migrate_feed_compact(st); /* schema 12 */
		if (!rc) {
			snprintf(sql, sizeof(sql), "PRAGMA user_version=%d;COMMIT;",
				 SCHEMA_VERSION);
			rc = exec(st, sql);
		}
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
	vigil__bulk_free(s->bulk);
	vigil__free(s);
	st->priv = NULL;
}

static void copy_text(char *dst, size_t cap, const unsigned char *src)
{
	snprintf(dst, cap, "%s", src ? (const char *)src : "");
}

#define BANK_COLS                                                              \
	"b.id,b.name,b.description,b.labels,b.enabled,b.created,"              \
	"(SELECT count(*) FROM entries e WHERE e.bank_id=b.id)+"                \
	"(SELECT count(*) FROM text_terms t WHERE t.bank_id=b.id)"

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
	sq *s = st->priv;

	/* rows staged and never flushed are not part of the transaction */
	vigil__bulk_free(s->bulk);
	s->bulk = NULL;
	return exec(st, "COMMIT");
}

static int s_rollback(vigil_store *st)
{
	sq *s = st->priv;
	int rc = VIGIL_OK;

	/* staged rows live outside the database: drop them with it */
	vigil__bulk_free(s->bulk);
	s->bulk = NULL;
	if (!sqlite3_get_autocommit(s->db))
		rc = exec(st, "ROLLBACK");
	return rc;
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

/* ------------------------------------------------------- bulk import */
/* A hash list is random in key order, so inserting its rows one by one
 * lands each in a random leaf of the entries' unique index: past the page
 * cache every row costs a page write. Staged rows go to an external sort
 * of our own instead (src/store/sqlite_bulk.c: bounded memory, spilled to
 * one unlinked temporary file), and the flush moves them into entries in
 * index order with one INSERT … SELECT on the virtual table that reads
 * the sort's merge, so the index grows at its right edge and no staging
 * B-tree or SQLite sort is written. Everything that reaches the database
 * happens inside the caller's transaction (all or nothing: a rollback or
 * commit frees whatever is staged); of duplicate lines the first one
 * wins, as it did row by row. */
static int bulk_err(vigil_store *st, int rc)
{
	return rc == VIGIL_ENOMEM ? vigil__err(st->ctx, rc, "out of memory")
	       : rc == VIGIL_EINVAL ? vigil__err(st->ctx, rc, "stage: row too long")
				    : vigil__err(st->ctx, VIGIL_EIO,
						 "stage: temporary file: %s", strerror(errno));
}

static int s_entry_stage(vigil_store *st, int64_t bank_id, const vigil__rec *r)
{
	sq *s = st->priv;
	int rc;

	if (!s->bulk && !(s->bulk = vigil__bulk_new()))
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	rc = vigil__bulk_add(s->bulk, bank_id, r);
	return rc ? bulk_err(st, rc) : VIGIL_OK;
}

static int s_entry_stage_flush(vigil_store *st, uint64_t *added)
{
	sq *s = st->priv;
	sqlite3_stmt *q = NULL;
	int64_t lo = 0;
	int rc, ranged;

	*added = 0;
	if (!s->bulk)
		return VIGIL_OK;
	rc = vigil__bulk_finish(s->bulk);
	if (rc) {
		rc = bulk_err(st, rc);
		goto out;
	}
	/* The change log gets one row for the whole flush, not one per
	 * entry (a trigger's insert cost a quarter of an import): the new
	 * rows take the ids after the highest one (SQLite's rowid rule while
	 * that is far from the largest integer), so the range names them.
	 * The trigger is dropped and made again inside a savepoint, so no
	 * other writer ever sees it missing, and a failure brings it back. */
	rc = exec(st, "SAVEPOINT bulk");
	if (rc)
		goto out;
	rc = prep(st, "SELECT coalesce(max(id),0) FROM main.entries", &q);
	if (!rc && sqlite3_step(q) == SQLITE_ROW)
		lo = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	q = NULL;
	ranged = !rc && lo >= 0 &&
		 (uint64_t)lo <= (uint64_t)INT64_MAX / 2 - vigil__bulk_count(s->bulk);
	if (ranged)
		rc = exec(st, "DROP TRIGGER main.changes_entry_add");
	if (!rc)
		rc = prep(st, "INSERT OR IGNORE INTO main.entries(bank_id,type,value,quality,"
			      "source_ref,added,metadata) SELECT bank_id,type,value,quality,"
			      "source_ref,?1,metadata FROM vigil_bulk", &q);
	if (!rc) {
		sqlite3_bind_int64(q, 1, (sqlite3_int64)time(NULL));
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = db_err(st, "stage flush");
		else
			*added = (uint64_t)sqlite3_changes64(s->db);
	}
	sqlite3_finalize(q);
	q = NULL;
	/* every id above lo is one of this flush's rows (we hold the write
	 * lock), gaps or not */
	if (!rc && ranged && *added) {
		rc = prep(st, "INSERT INTO main.changes(kind,bank_id,entry_id,quality)"
			      " SELECT ?,0,?,max(id) FROM main.entries", &q);
		if (!rc) {
			sqlite3_bind_int(q, 1, CHANGE_RANGE);
			sqlite3_bind_int64(q, 2, lo + 1);
			if (sqlite3_step(q) != SQLITE_DONE)
				rc = db_err(st, "stage flush: change log");
		}
	}
	if (!rc && ranged)
		rc = exec(st, CHANGES_ENTRY_ADD_TRIGGER);
	if (!rc) {
		rc = exec(st, "RELEASE bulk");
	} else {
		*added = 0;
		exec(st, "ROLLBACK TO bulk");
		exec(st, "RELEASE bulk");
	}
out:
	sqlite3_finalize(q);
	vigil__bulk_free(s->bulk);
	s->bulk = NULL;
	return rc;
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
	sqlite3_stmt *q = cached(st, S_ENTRY_DEL);
	int rc = VIGIL_OK;

	if (!q)
		return VIGIL_ESTORE;
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "entry_delete");
	sqlite3_reset(q);
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

/* The head of the chain: the last record's id and hash. */
static int s_audit_head(vigil_store *st, int64_t *id, uint8_t hash[32])
{
	sqlite3_stmt *q = NULL;
	int rc, r;

	*id = 0;
	memset(hash, 0, 32);
	rc = prep(st, "SELECT id,hash FROM audit ORDER BY id DESC LIMIT 1", &q);
	if (rc)
		return rc;
	r = sqlite3_step(q);
	if (r == SQLITE_ROW) {
		*id = sqlite3_column_int64(q, 0);
		if (sqlite3_column_bytes(q, 1) == 32)
			memcpy(hash, sqlite3_column_blob(q, 1), 32);
	} else if (r != SQLITE_DONE) {
		rc = db_err(st, "audit_head");
	}
	sqlite3_finalize(q);
	return rc;
}

/* Appends under the write lock, so two writers can never chain onto the
 * same head: BEGIN IMMEDIATE when alone, a savepoint inside a caller's
 * transaction (which is BEGIN IMMEDIATE already, s_begin). The id is
 * chosen here (head + 1) because it is part of what is hashed. */
static int s_audit_append(vigil_store *st, vigil_audit *a)
{
	sq *s = st->priv;
	sqlite3_stmt *q = NULL;
	int own = sqlite3_get_autocommit(s->db), rc;
	uint8_t content[32];
	int64_t head;

	rc = exec(st, own ? "BEGIN IMMEDIATE" : "SAVEPOINT audit_append");
	if (rc)
		return rc;
	rc = s_audit_head(st, &head, a->prev);
	if (rc)
		goto out;
	a->id = head + 1;
	vigil_audit_digest(a, a->prev, content, a->hash);
	rc = prep(st, "INSERT INTO audit(id,time_ms,who,role,action,object,detail,"
		      "source,prev,hash) VALUES(?,?,?,?,?,?,?,?,?,?)", &q);
	if (rc)
		goto out;
	sqlite3_bind_int64(q, 1, a->id);
	sqlite3_bind_int64(q, 2, a->time_ms);
	sqlite3_bind_text(q, 3, a->who ? a->who : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, a->role ? a->role : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, a->action ? a->action : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, a->object ? a->object : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, a->detail ? a->detail : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 8, a->source ? a->source : "", -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 9, a->prev, 32, SQLITE_STATIC);
	sqlite3_bind_blob(q, 10, a->hash, 32, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "audit_append");
out:
	sqlite3_finalize(q);
	if (!rc)
		rc = exec(st, own ? "COMMIT" : "RELEASE audit_append");
	if (rc)
		exec(st, own ? "ROLLBACK"
			     : "ROLLBACK TO audit_append; RELEASE audit_append");
	return rc;
}

static void blob32(sqlite3_stmt *q, int col, uint8_t out[32])
{
	if (sqlite3_column_bytes(q, col) == 32)
		memcpy(out, sqlite3_column_blob(q, col), 32);
	else
		memset(out, 0, 32);
}

static int audit_scan_rows(vigil_store *st, int64_t since_id, size_t max,
			   vigil_audit_cb cb, void *user)
{
	sqlite3_stmt *q = NULL;
	int rc, r;

	rc = prep(st, "SELECT id,time_ms,who,role,action,object,detail,source,"
		      "prev,hash FROM audit WHERE id>? ORDER BY id LIMIT ?", &q);
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
			{0}, {0},
		};
		blob32(q, 8, a.prev);
		blob32(q, 9, a.hash);
		rc = cb(user, &a);
		if (rc)
			break;
	}
	if (!rc && r != SQLITE_DONE)
		rc = db_err(st, "audit_scan");
	sqlite3_finalize(q);
	return rc;
}

static int s_audit_scan(vigil_store *st, int64_t since_id, size_t max,
			vigil_audit_cb cb, void *user)
{
	return audit_scan_rows(st, since_id, max, cb, user);
}

static int s_audit_checkpoint_add(vigil_store *st, vigil_audit_checkpoint *cp)
{
	sqlite3_stmt *q = NULL;
	int rc;

	rc = prep(st, "INSERT INTO audit_checkpoints(audit_id,time_ms,hash,pubkey,sig)"
		      " VALUES(?,?,?,?,?)", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, cp->audit_id);
	sqlite3_bind_int64(q, 2, cp->time_ms);
	sqlite3_bind_blob(q, 3, cp->hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(q, 4, cp->pubkey, 32, SQLITE_STATIC);
	sqlite3_bind_blob(q, 5, cp->sig, 64, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "audit_checkpoint_add");
	else
		cp->id = sqlite3_last_insert_rowid(((sq *)st->priv)->db);
	sqlite3_finalize(q);
	return rc;
}

static int s_audit_checkpoint_list(vigil_store *st, vigil_audit_checkpoint **out,
				   size_t *n)
{
	sqlite3_stmt *q = NULL;
	vigil_audit_checkpoint *v = NULL, *t;
	size_t cap = 0;
	int rc, r;

	*out = NULL;
	*n = 0;
	rc = prep(st, "SELECT id,audit_id,time_ms,hash,pubkey,sig FROM"
		      " audit_checkpoints ORDER BY id", &q);
	if (rc)
		return rc;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		vigil_audit_checkpoint *c;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			t = realloc(v, cap * sizeof(*v));
			if (!t) {
				rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
				goto out;
			}
			v = t;
		}
		c = &v[(*n)++];
		memset(c, 0, sizeof(*c));
		c->id = sqlite3_column_int64(q, 0);
		c->audit_id = sqlite3_column_int64(q, 1);
		c->time_ms = sqlite3_column_int64(q, 2);
		blob32(q, 3, c->hash);
		blob32(q, 4, c->pubkey);
		if (sqlite3_column_bytes(q, 5) == 64)
			memcpy(c->sig, sqlite3_column_blob(q, 5), 64);
	}
	if (r != SQLITE_DONE)
		rc = db_err(st, "audit_checkpoint_list");
out:
	sqlite3_finalize(q);
	if (rc) {
		free(v);
		*n = 0;
		return rc;
	}
	*out = v;
	return VIGIL_OK;
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
			rc = vigil__ctx_merge(st, (const char *)sqlite3_column_text(q, 1),
					      c->context, &ctxs);
			if (rc)
				goto out;
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
		if (strlen(mats) > VIGIL_CASE_JSON_MAX) {
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
	rc = vigil__ctx_merge(st, NULL, c->context, &ctxs);
	if (rc)
		goto out;
	mats = vigil__json_concat("[]", c->matches ? c->matches : "[]");
	if (!mats) {
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

/* One case row (the columns of s_case_get; s_case_list's lack the last
 * two, the claim the pipeline mirrors): shared by both. */
static int row_to_case(vigil_store *st, sqlite3_stmt *q, vigil_case *c)
{
	memset(c, 0, sizeof(*c));
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
	if (sqlite3_column_count(q) > 14) {
		copy_text(c->assignee, sizeof(c->assignee), sqlite3_column_text(q, 13));
		c->claim_expires = sqlite3_column_int64(q, 14);
	}
	if (!c->contexts || !c->matches) {
		vigil_case_clear(c);
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	}
	return VIGIL_OK;
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
		rc = row_to_case(st, q, c);
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

/* The rows of state (< 0: pending and due at now_ms, oldest first), or
 * with url != NULL every row of that target, newest first. */
static int outbox_rows(vigil_store *st, int state, int64_t now_ms, const char *url,
		       size_t max, vigil_event **out, size_t *n)
{
	sqlite3_stmt *q = NULL;
	vigil_event *v = NULL;
	size_t cap = 0, k = 0;
	int rc, r;

	*out = NULL;
	*n = 0;
	rc = prep(st, url
		  ? "SELECT id,event_id,type,url,secret_ref,body,attempts,next_ms,state,"
		    "last_error,created_ms FROM outbox WHERE url=?4"
		    " ORDER BY id DESC LIMIT ?2"
		  : state < 0
		  ? "SELECT id,event_id,type,url,secret_ref,body,attempts,next_ms,state,"
		    "last_error,created_ms FROM outbox WHERE state='pending' AND next_ms<=?1"
		    " ORDER BY next_ms, id LIMIT ?2"
		  : "SELECT id,event_id,type,url,secret_ref,body,attempts,next_ms,state,"
		    "last_error,created_ms FROM outbox WHERE state=?3"
		    " ORDER BY id DESC LIMIT ?2", &q);
	if (rc)
		return rc;
	if (url)
		sqlite3_bind_text(q, 4, url, -1, SQLITE_STATIC);
	else if (state < 0)
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

static int s_outbox_select(vigil_store *st, int state, int64_t now_ms, size_t max,
			   vigil_event **out, size_t *n)
{
	return outbox_rows(st, state, now_ms, NULL, max, out, n);
}

static int s_outbox_by_url(vigil_store *st, const char *url, size_t max,
			   vigil_event **out, size_t *n)
{
	return outbox_rows(st, 0, 0, url, max, out, n);
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

/* ------------------------------------------------------------ review */

/* A case's state with an expired claim undone (back to open, or to
 * escalated if it was escalated before the admin claimed it). ?1 = now. */
#define EFFECTIVE_STATE                                                        \
	"CASE WHEN c.state='claimed' AND ifnull(r.claim_expires,0)<=?1 THEN"  \
	" (CASE WHEN ifnull(r.escalated,0) THEN 'escalated' ELSE 'open' END)"  \
	" ELSE c.state END"

static int s_case_list(vigil_store *st, int state, int64_t now, size_t max,
		       vigil_case **out, size_t *n)
{
	sqlite3_stmt *q = NULL;
	vigil_case *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc, r;

	*out = NULL;
	*n = 0;
	rc = prep(st, "SELECT c.id," EFFECTIVE_STATE " AS st,c.priority,c.report,c.bank_id,"
		      "c.uploads,c.source,c.content_id,c.user_id,c.contexts,c.matches,"
		      "c.created,c.updated FROM cases c LEFT JOIN case_review r ON"
		      " r.case_id=c.id WHERE ?2 IS NULL OR st=?2"
		      " ORDER BY c.priority DESC, c.created, c.id LIMIT ?3", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, now);
	if (state >= 0)
		sqlite3_bind_text(q, 2, vigil_case_state_name(state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)max);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		vigil_case *c;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			vigil_case *nv = vigil__realloc(v, nc * sizeof(*v));
			if (!nv) {
				rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
				goto out;
			}
			v = nv;
			cap = nc;
		}
		c = &v[cnt];
		rc = row_to_case(st, q, c);
		if (rc)
			goto out;
		cnt++;
	}
	if (r != SQLITE_DONE)
		rc = db_err(st, "case_list");
out:
	sqlite3_finalize(q);
	if (rc) {
		vigil_cases_free(v, cnt);
		return rc;
	}
	*out = v;
	*n = cnt;
	return VIGIL_OK;
}

static int s_case_review_get(vigil_store *st, int64_t id, int64_t now,
			     vigil_case_review *o)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT " EFFECTIVE_STATE ",ifnull(r.assignee,''),"
			  "ifnull(r.claimed,0),ifnull(r.claim_expires,0),"
			  "ifnull(r.decision,'none'),ifnull(r.classification,''),"
			  "ifnull(r.annotations,'[]'),ifnull(r.note,''),"
			  "ifnull(r.decided_by,''),ifnull(r.decided,0),"
			  "ifnull(r.escalated,0),c.join_key FROM cases c LEFT JOIN"
			  " case_review r ON r.case_id=c.id WHERE c.id=?2", &q);

	memset(o, 0, sizeof(*o));
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int64(q, 2, id);
	switch (sqlite3_step(q)) {
	case SQLITE_ROW:
		o->case_id = id;
		o->state = name_index(vigil_case_state_name, VIGIL__CASE_STATE_END,
				      sqlite3_column_text(q, 0));
		copy_text(o->assignee, sizeof(o->assignee), sqlite3_column_text(q, 1));
		o->claimed = sqlite3_column_int64(q, 2);
		o->claim_expires = sqlite3_column_int64(q, 3);
		o->decision = name_index(vigil_case_decision_name, VIGIL__DECISION_END,
					 sqlite3_column_text(q, 4));
		copy_text(o->classification, sizeof(o->classification),
			  sqlite3_column_text(q, 5));
		copy_text(o->annotations, sizeof(o->annotations), sqlite3_column_text(q, 6));
		copy_text(o->note, sizeof(o->note), sqlite3_column_text(q, 7));
		copy_text(o->decided_by, sizeof(o->decided_by), sqlite3_column_text(q, 8));
		o->decided = sqlite3_column_int64(q, 9);
		o->escalated = sqlite3_column_int(q, 10);
		copy_text(o->join_key, sizeof(o->join_key), sqlite3_column_text(q, 11));
		/* An expired claim holds nothing. */
		if (o->state != VIGIL_CASE_CLAIMED)
			o->assignee[0] = '\0';
		break;
	case SQLITE_DONE:
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no case %lld", (long long)id);
		break;
	default:
		rc = db_err(st, "case_review_get");
	}
	sqlite3_finalize(q);
	return rc;
}

static int step_done(vigil_store *st, sqlite3_stmt *q, const char *what)
{
	int rc = sqlite3_step(q) == SQLITE_DONE ? VIGIL_OK : db_err(st, what);

	sqlite3_finalize(q);
	return rc;
}

static int s_case_claim(vigil_store *st, int64_t id, const char *who, int admin,
			int64_t now, int64_t ttl, vigil_case_review *out)
{
	sqlite3_stmt *q = NULL;
	int rc = s_case_review_get(st, id, now, out);

	if (rc)
		return rc;
	if (out->state == VIGIL_CASE_DECIDED)
		return vigil__err(st->ctx, VIGIL_EABORTED, "case %lld is decided",
				  (long long)id);
	if (out->state == VIGIL_CASE_ESCALATED && !admin)
		return vigil__err(st->ctx, VIGIL_EABORTED,
				  "case %lld is escalated: an admin's", (long long)id);
	if (out->state == VIGIL_CASE_CLAIMED && strcmp(out->assignee, who))
		return vigil__err(st->ctx, VIGIL_EEXIST, "case %lld is claimed by %s",
				  (long long)id, out->assignee);
	rc = prep(st, "INSERT INTO case_review(case_id,assignee,claimed,claim_expires)"
		      " VALUES(?1,?2,?3,?4) ON CONFLICT(case_id) DO UPDATE SET"
		      " assignee=?2,claimed=?3,claim_expires=?4", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_text(q, 2, who, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, now);
	sqlite3_bind_int64(q, 4, now + ttl);
	rc = step_done(st, q, "case_claim");
	if (!rc)
		rc = prep(st, "UPDATE cases SET state='claimed',updated=?2,assignee=?3,"
			      "claim_expires=?4 WHERE id=?1", &q);
	if (!rc) {
		/* The pipeline's columns mirror the claim (vigil_case_get). */
		sqlite3_bind_int64(q, 1, id);
		sqlite3_bind_int64(q, 2, now);
		sqlite3_bind_text(q, 3, who, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4, now + ttl);
		rc = step_done(st, q, "case_claim");
	}
	return rc ? rc : s_case_review_get(st, id, now, out);
}

static int s_case_decide(vigil_store *st, int64_t id, const char *who, int decision,
			 const char *classification, const char *annotations,
			 const char *note, int64_t now)
{
	sqlite3_stmt *q = NULL;
	vigil_case_review cur;
	int esc = decision == VIGIL_DECISION_ESCALATE;
	int rc = s_case_review_get(st, id, now, &cur);

	if (rc)
		return rc;
	if (cur.state == VIGIL_CASE_DECIDED)
		return vigil__err(st->ctx, VIGIL_EEXIST, "case %lld was decided by %s",
				  (long long)id, cur.decided_by);
	if (cur.state != VIGIL_CASE_CLAIMED || strcmp(cur.assignee, who))
		return vigil__err(st->ctx, VIGIL_EABORTED,
				  "case %lld: claim it before deciding", (long long)id);
	if (esc && cur.escalated)
		return vigil__err(st->ctx, VIGIL_EABORTED,
				  "case %lld is escalated already", (long long)id);
	rc = prep(st, "UPDATE case_review SET decision=?2,classification=?3,annotations=?4,"
		      "note=?5,decided_by=?6,decided=?7,assignee='',claim_expires=0,"
		      "escalated=max(escalated,?8) WHERE case_id=?1", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_text(q, 2, vigil_case_decision_name(decision), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, classification ? classification : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, annotations ? annotations : "[]", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, note ? note : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, who, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 7, now);
	sqlite3_bind_int(q, 8, esc);
	rc = step_done(st, q, "case_decide");
	if (!rc)
		rc = prep(st, "UPDATE cases SET state=?2,updated=?3,assignee='',claim_expires=0"
			      " WHERE id=?1", &q);
	if (!rc) {
		sqlite3_bind_int64(q, 1, id);
		sqlite3_bind_text(q, 2, esc ? "escalated" : "decided", -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, now);
		rc = step_done(st, q, "case_decide");
	}
	return rc;
}

static int s_case_media_add(vigil_store *st, const vigil_case_media *m, int *n)
{
	sqlite3_stmt *q = NULL;
	int rc, r, have = 0;

	*n = 0;
	rc = prep(st, "SELECT n FROM case_media WHERE case_id=?1 AND sha256=?2 UNION ALL"
		      " SELECT -count(*) FROM case_media WHERE case_id=?1", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, m->case_id);
	sqlite3_bind_blob(q, 2, m->sha256, 32, SQLITE_STATIC);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		int v = sqlite3_column_int(q, 0);
		if (v > 0)
			*n = v;
		else
			have = -v;
	}
	sqlite3_finalize(q);
	if (r != SQLITE_DONE)
		return db_err(st, "case_media_add");
	if (*n)
		return VIGIL_OK;
	if (have >= VIGIL_CASE_MEDIA_MAX)
		return vigil__err(st->ctx, VIGIL_ETOOBIG, "case %lld keeps %d items at most",
				  (long long)m->case_id, VIGIL_CASE_MEDIA_MAX);
	rc = prep(st, "INSERT INTO case_media(case_id,n,content_type,bytes,sha256,sealed,"
		      "created) VALUES(?,?,?,?,?,?,?)", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, m->case_id);
	sqlite3_bind_int(q, 2, have + 1);
	sqlite3_bind_text(q, 3, m->content_type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, m->bytes);
	sqlite3_bind_blob(q, 5, m->sha256, 32, SQLITE_STATIC);
	sqlite3_bind_blob64(q, 6, m->sealed, m->sealed_len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 7, m->created ? m->created : (int64_t)time(NULL));
	rc = step_done(st, q, "case_media_add");
	if (!rc)
		*n = have + 1;
	return rc;
}

static int s_case_media_get(vigil_store *st, int64_t case_id, int n, vigil_case_media *o)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT content_type,bytes,sha256,sealed,created FROM case_media"
			  " WHERE case_id=? AND n=?", &q);

	memset(o, 0, sizeof(*o));
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, case_id);
	sqlite3_bind_int(q, 2, n);
	switch (sqlite3_step(q)) {
	case SQLITE_ROW: {
		size_t len = (size_t)sqlite3_column_bytes(q, 3);
		o->case_id = case_id;
		o->n = n;
		copy_text(o->content_type, sizeof(o->content_type), sqlite3_column_text(q, 0));
		o->bytes = sqlite3_column_int64(q, 1);
		if (sqlite3_column_bytes(q, 2) == 32)
			memcpy(o->sha256, sqlite3_column_blob(q, 2), 32);
		o->sealed = vigil__malloc(len ? len : 1);
		if (!o->sealed) {
			rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
			break;
		}
		if (len)
			memcpy(o->sealed, sqlite3_column_blob(q, 3), len);
		o->sealed_len = len;
		o->created = sqlite3_column_int64(q, 4);
		break;
	}
	case SQLITE_DONE:
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "case %lld has no item %d",
				(long long)case_id, n);
		break;
	default:
		rc = db_err(st, "case_media_get");
	}
	sqlite3_finalize(q);
	return rc;
}

static int count_query(vigil_store *st, const char *sql, int64_t a, const char *text,
		       int64_t b, int64_t *out)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, sql, &q);

	*out = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, a);
	if (text)
		sqlite3_bind_text(q, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, b);
	if (sqlite3_step(q) == SQLITE_ROW)
		*out = sqlite3_column_int64(q, 0);
	else
		rc = db_err(st, "count");
	sqlite3_finalize(q);
	return rc;
}

static int s_case_media_count(vigil_store *st, int64_t case_id, int *n)
{
	int64_t c;
	int rc = count_query(st, "SELECT count(*) FROM case_media WHERE case_id=?1 AND"
				 " ?2 IS NULL AND ?3=0", case_id, NULL, 0, &c);

	*n = (int)c;
	return rc;
}

static int s_case_media_list(vigil_store *st, int64_t case_id, vigil_case_media *out,
			     int cap, int *n)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT n,content_type,bytes,sha256,created FROM case_media"
			  " WHERE case_id=? ORDER BY n LIMIT ?", &q), r;

	*n = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, case_id);
	sqlite3_bind_int(q, 2, cap);
	while ((r = sqlite3_step(q)) == SQLITE_ROW && *n < cap) {
		vigil_case_media *o = &out[(*n)++];
		memset(o, 0, sizeof(*o));
		o->case_id = case_id;
		o->n = sqlite3_column_int(q, 0);
		copy_text(o->content_type, sizeof(o->content_type), sqlite3_column_text(q, 1));
		o->bytes = sqlite3_column_int64(q, 2);
		if (sqlite3_column_bytes(q, 3) == 32)
			memcpy(o->sha256, sqlite3_column_blob(q, 3), 32);
		o->created = sqlite3_column_int64(q, 4);
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = db_err(st, "case_media_list");
	sqlite3_finalize(q);
	return rc;
}

static int s_reveal_add(vigil_store *st, int64_t case_id, int n, const char *who,
			int64_t when)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "INSERT INTO reveals(case_id,n,who,time) VALUES(?,?,?,?)", &q);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, case_id);
	sqlite3_bind_int(q, 2, n);
	sqlite3_bind_text(q, 3, who, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, when);
	return step_done(st, q, "reveal_add");
}

static int s_reveal_count(vigil_store *st, const char *who, int64_t case_id,
			  int64_t since, int64_t *count)
{
	if (case_id > 0)
		return count_query(st, "SELECT count(*) FROM reveals WHERE case_id=?1 AND"
				       " ?2 IS NULL AND time>=?3", case_id, NULL, since, count);
	return count_query(st, "SELECT count(*) FROM reveals WHERE ?1=0 AND who=?2 AND"
			       " time>=?3", 0, who, since, count);
}

static int s_person_add(vigil_store *st, const char *name, unsigned roles,
			const char *pwhash)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "INSERT INTO people(name,roles,pwhash,created) VALUES(?,?,?,?)", &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, roles);
	sqlite3_bind_text(q, 3, pwhash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)time(NULL));
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = sqlite3_extended_errcode(((sq *)st->priv)->db) ==
				     SQLITE_CONSTRAINT_PRIMARYKEY
			     ? vigil__err(st->ctx, VIGIL_EEXIST, "user %s exists", name)
			     : db_err(st, "person_add");
	sqlite3_finalize(q);
	return rc;
}

static int s_person_get(vigil_store *st, const char *name, vigil_person *o)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT roles,pwhash,failures,locked_until,created FROM people"
			  " WHERE name=?", &q);

	memset(o, 0, sizeof(*o));
	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	switch (sqlite3_step(q)) {
	case SQLITE_ROW:
		copy_text(o->name, sizeof(o->name), (const unsigned char *)name);
		o->roles = (unsigned)sqlite3_column_int64(q, 0);
		copy_text(o->pwhash, sizeof(o->pwhash), sqlite3_column_text(q, 1));
		o->failures = sqlite3_column_int(q, 2);
		o->locked_until = sqlite3_column_int64(q, 3);
		o->created = sqlite3_column_int64(q, 4);
		break;
	case SQLITE_DONE:
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no user %s", name);
		break;
	default:
		rc = db_err(st, "person_get");
	}
	sqlite3_finalize(q);
	return rc;
}

static int s_person_login_result(vigil_store *st, const char *name, int ok, int64_t now,
				 int max_fail, int64_t lock_seconds)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, ok ? "UPDATE people SET failures=0,locked_until=0 WHERE name=?1"
			     : "UPDATE people SET failures=failures+1,locked_until=CASE WHEN"
			       " failures+1>=?3 THEN ?2+?4 ELSE locked_until END WHERE name=?1",
		      &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	if (!ok) {
		sqlite3_bind_int64(q, 2, now);
		sqlite3_bind_int(q, 3, max_fail);
		sqlite3_bind_int64(q, 4, lock_seconds);
	}
	return step_done(st, q, "person_login_result");
}

static int s_session_add(vigil_store *st, const vigil_session *s)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "INSERT INTO sessions(digest,name,csrf,created,last_seen)"
			  " VALUES(?,?,?,?,?)", &q);

	if (rc)
		return rc;
	sqlite3_bind_blob(q, 1, s->digest, 32, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, s->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, s->csrf, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, s->created);
	sqlite3_bind_int64(q, 5, s->created);
	return step_done(st, q, "session_add");
}

static int s_session_get(vigil_store *st, const uint8_t *digest, vigil_session *o)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT name,csrf,created,last_seen,ended FROM sessions WHERE"
			  " digest=?", &q);

	memset(o, 0, sizeof(*o));
	if (rc)
		return rc;
	sqlite3_bind_blob(q, 1, digest, 32, SQLITE_STATIC);
	switch (sqlite3_step(q)) {
	case SQLITE_ROW:
		memcpy(o->digest, digest, 32);
		copy_text(o->name, sizeof(o->name), sqlite3_column_text(q, 0));
		copy_text(o->csrf, sizeof(o->csrf), sqlite3_column_text(q, 1));
		o->created = sqlite3_column_int64(q, 2);
		o->last_seen = sqlite3_column_int64(q, 3);
		o->ended = sqlite3_column_int64(q, 4);
		break;
	case SQLITE_DONE:
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no such session");
		break;
	default:
		rc = db_err(st, "session_get");
	}
	sqlite3_finalize(q);
	return rc;
}

static int s_session_set(vigil_store *st, const uint8_t *digest, int64_t now, int end)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, end ? "UPDATE sessions SET ended=?2 WHERE digest=?1 AND ended=0"
			      : "UPDATE sessions SET last_seen=?2 WHERE digest=?1", &q);

	if (rc)
		return rc;
	sqlite3_bind_blob(q, 1, digest, 32, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, now);
	return step_done(st, q, "session_set");
}

static int s_view_prefs_get(vigil_store *st, const char *name, vigil_view_prefs *o)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT blur,size,sepia,updated FROM view_prefs WHERE name=?", &q);

	memset(o, 0, sizeof(*o));
	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	switch (sqlite3_step(q)) {
	case SQLITE_ROW:
		o->blur = sqlite3_column_int(q, 0);
		o->size = sqlite3_column_int(q, 1);
		o->sepia = sqlite3_column_int(q, 2);
		o->updated = sqlite3_column_int64(q, 3);
		break;
	case SQLITE_DONE:
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no view settings for %s", name);
		break;
	default:
		rc = db_err(st, "view_prefs_get");
	}
	sqlite3_finalize(q);
	return rc;
}

/* ------------------------------------------- preserved evidence (7) */

static int s_pres_add(vigil_store *st, const vigil_preserved_item *it, const uint8_t *key,
		      size_t keylen, const uint8_t *body, size_t bodylen, int64_t *id)
{
	sqlite3_stmt *q = NULL;
	int rc, r;

	*id = 0;
	rc = prep(st, "INSERT INTO pres_items(report_id,case_id,kind,n,content_type,bytes,"
		      "sha256,body,preserved) VALUES(?,?,?,?,?,?,?,?,?)"
		      " ON CONFLICT(report_id,kind,n) DO NOTHING RETURNING id", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, it->report_id);
	sqlite3_bind_int64(q, 2, it->case_id);
	sqlite3_bind_text(q, 3, it->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, it->n);
	sqlite3_bind_text(q, 5, it->content_type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, it->bytes);
	sqlite3_bind_blob(q, 7, it->sha256, 32, SQLITE_STATIC);
	sqlite3_bind_blob64(q, 8, body, bodylen, SQLITE_STATIC);
	sqlite3_bind_int64(q, 9, it->preserved);
	r = sqlite3_step(q);
	if (r == SQLITE_ROW)
		*id = sqlite3_column_int64(q, 0);
	else if (r != SQLITE_DONE)
		rc = db_err(st, "pres_add");
	sqlite3_finalize(q);
	if (rc || !*id)
		return rc;
	rc = prep(st, "INSERT INTO pres_keys(item_id,wrapped) VALUES(?,?)", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, *id);
	sqlite3_bind_blob64(q, 2, key, keylen, SQLITE_STATIC);
	return step_done(st, q, "pres_add");
}

static int s_pres_list(vigil_store *st, int64_t id, int64_t report_id,
		       vigil_preserved_item **out, size_t *n)
{
	sqlite3_stmt *q = NULL;
	vigil_preserved_item *v = NULL, *t;
	size_t cap = 0;
	int rc, r;

	*out = NULL;
	*n = 0;
	rc = prep(st, "SELECT i.id,i.report_id,i.case_id,i.kind,i.n,i.content_type,i.bytes,"
		      "i.sha256,i.preserved,i.deleted,(SELECT count(*) FROM pres_holds h"
		      " WHERE h.item_id=i.id AND h.released=0) FROM pres_items i"
		      " WHERE (?1=0 OR i.id=?1) AND (?2=0 OR i.report_id=?2) ORDER BY i.id", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, report_id);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		vigil_preserved_item *o;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			t = realloc(v, cap * sizeof(*v));
			if (!t) {
				rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
				break;
			}
			v = t;
		}
		o = &v[(*n)++];
		memset(o, 0, sizeof(*o));
		o->id = sqlite3_column_int64(q, 0);
		o->report_id = sqlite3_column_int64(q, 1);
		o->case_id = sqlite3_column_int64(q, 2);
		copy_text(o->kind, sizeof(o->kind), sqlite3_column_text(q, 3));
		o->n = sqlite3_column_int(q, 4);
		copy_text(o->content_type, sizeof(o->content_type), sqlite3_column_text(q, 5));
		o->bytes = sqlite3_column_int64(q, 6);
		if (sqlite3_column_bytes(q, 7) == 32)
			memcpy(o->sha256, sqlite3_column_blob(q, 7), 32);
		o->preserved = sqlite3_column_int64(q, 8);
		o->deleted = sqlite3_column_int64(q, 9);
		o->holds = sqlite3_column_int(q, 10);
	}
	if (!rc && r != SQLITE_DONE)
		rc = db_err(st, "pres_list");
	sqlite3_finalize(q);
	if (rc) {
		free(v);
		*n = 0;
		return rc;
	}
	*out = v;
	return VIGIL_OK;
}

static uint8_t *dup_blob(const void *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);

	if (d && n)
		memcpy(d, p, n);
	return d;
}

static int s_pres_blob(vigil_store *st, int64_t id, uint8_t **key, size_t *keylen,
		       uint8_t **body, size_t *bodylen)
{
	sqlite3_stmt *q = NULL;
	int rc, r;

	*key = *body = NULL;
	*keylen = *bodylen = 0;
	rc = prep(st, "SELECT k.wrapped,i.body FROM pres_items i JOIN pres_keys k"
		      " ON k.item_id=i.id WHERE i.id=? AND i.deleted=0", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, id);
	r = sqlite3_step(q);
	if (r == SQLITE_ROW) {
		*keylen = (size_t)sqlite3_column_bytes(q, 0);
		*key = dup_blob(sqlite3_column_blob(q, 0), *keylen);
		*bodylen = (size_t)sqlite3_column_bytes(q, 1);
		*body = dup_blob(sqlite3_column_blob(q, 1), *bodylen);
		if (!*key || !*body) {
			free(*key);
			free(*body);
			*key = *body = NULL;
			rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		}
	} else if (r == SQLITE_DONE) {
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "evidence item %lld: no such item, or it "
				"was deleted (its data key is gone)", (long long)id);
	} else {
		rc = db_err(st, "pres_blob");
	}
	sqlite3_finalize(q);
	return rc;
}

static int s_pres_hold_add(vigil_store *st, int64_t item_id, const char *reason,
			   const char *who, int64_t now, int64_t *hold_id)
{
	sqlite3_stmt *q = NULL;
	int rc, r;

	rc = prep(st, "INSERT INTO pres_holds(item_id,reason,who,created) SELECT id,?2,?3,?4"
		      " FROM pres_items WHERE id=?1 AND deleted=0 RETURNING id", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, item_id);
	sqlite3_bind_text(q, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, who, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, now);
	r = sqlite3_step(q);
	if (r == SQLITE_ROW)
		*hold_id = sqlite3_column_int64(q, 0);
	else if (r == SQLITE_DONE)
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "evidence item %lld: no such item, or it "
				"was deleted", (long long)item_id);
	else
		rc = db_err(st, "pres_hold_add");
	sqlite3_finalize(q);
	return rc;
}

static int s_pres_hold_release(vigil_store *st, int64_t hold_id, const char *who,
			       int64_t now, int64_t *item_id)
{
	sqlite3_stmt *q = NULL;
	int rc, r;

	rc = prep(st, "SELECT item_id,released FROM pres_holds WHERE id=?", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, hold_id);
	r = sqlite3_step(q);
	if (r == SQLITE_ROW) {
		*item_id = sqlite3_column_int64(q, 0);
		if (sqlite3_column_int64(q, 1))
			rc = vigil__err(st->ctx, VIGIL_EEXIST, "hold %lld was released already",
					(long long)hold_id);
	} else {
		rc = r == SQLITE_DONE ? vigil__err(st->ctx, VIGIL_ENOENT, "no hold %lld",
						   (long long)hold_id)
				      : db_err(st, "pres_hold_release");
	}
	sqlite3_finalize(q);
	if (rc)
		return rc;
	rc = prep(st, "UPDATE pres_holds SET released=?2,released_by=?3 WHERE id=?1", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, hold_id);
	sqlite3_bind_int64(q, 2, now > 0 ? now : 1);
	sqlite3_bind_text(q, 3, who, -1, SQLITE_STATIC);
	return step_done(st, q, "pres_hold_release");
}

static int s_pres_holds(vigil_store *st, int64_t item_id, vigil_legal_hold **out,
			size_t *n)
{
	sqlite3_stmt *q = NULL;
	vigil_legal_hold *v = NULL, *t;
	size_t cap = 0;
	int rc, r;

	*out = NULL;
	*n = 0;
	rc = prep(st, "SELECT id,item_id,reason,who,created,released,released_by FROM"
		      " pres_holds WHERE item_id=? ORDER BY id", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, item_id);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		vigil_legal_hold *o;
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			t = realloc(v, cap * sizeof(*v));
			if (!t) {
				rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
				break;
			}
			v = t;
		}
		o = &v[(*n)++];
		memset(o, 0, sizeof(*o));
		o->id = sqlite3_column_int64(q, 0);
		o->item_id = sqlite3_column_int64(q, 1);
		copy_text(o->reason, sizeof(o->reason), sqlite3_column_text(q, 2));
		copy_text(o->who, sizeof(o->who), sqlite3_column_text(q, 3));
		o->created = sqlite3_column_int64(q, 4);
		o->released = sqlite3_column_int64(q, 5);
		copy_text(o->released_by, sizeof(o->released_by), sqlite3_column_text(q, 6));
	}
	if (!rc && r != SQLITE_DONE)
		rc = db_err(st, "pres_holds");
	sqlite3_finalize(q);
	if (rc) {
		free(v);
		*n = 0;
		return rc;
	}
	*out = v;
	return VIGIL_OK;
}

/* secure_delete makes SQLite overwrite what a DELETE/UPDATE frees with
 * zeros instead of leaving it in free pages; it stays on for the
 * connection (it only costs on deletes). */
static int s_pres_shred(vigil_store *st, int64_t id, int64_t now)
{
	sqlite3_stmt *q = NULL;
	sq *s = st->priv;
	int rc = exec(st, "PRAGMA secure_delete=ON");

	if (rc)
		return rc;
	rc = prep(st, "UPDATE pres_items SET body=x'',deleted=?2 WHERE id=?1 AND deleted=0"
		      " AND NOT EXISTS(SELECT 1 FROM pres_holds WHERE item_id=?1 AND released=0)",
		  &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now > 0 ? now : 1);
	rc = step_done(st, q, "pres_shred");
	if (rc)
		return rc;
	if (!sqlite3_changes(s->db))
		return vigil__err(st->ctx, VIGIL_EABORTED, "evidence item %lld: held, deleted "
				  "already or unknown", (long long)id);
	rc = prep(st, "DELETE FROM pres_keys WHERE item_id=?", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, id);
	rc = step_done(st, q, "pres_shred");
	if (rc)
		return rc;
	/* The review copy of a file is the same content under the case's
	 * own key: it goes too. */
	rc = prep(st, "DELETE FROM case_media WHERE (case_id,n) IN (SELECT case_id,n FROM"
		      " pres_items WHERE id=? AND kind='file')", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, id);
	return step_done(st, q, "pres_shred");
}

static int s_pres_flush(vigil_store *st)
{
	return exec(st, "PRAGMA wal_checkpoint(TRUNCATE)");
}

/* ------------------------------------------------------------ reports */

static int s_report_draft(vigil_store *st, int64_t case_id, int64_t now, int64_t *id)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "INSERT INTO reports(case_id,created,updated) VALUES(?1,?2,?2)"
			  " ON CONFLICT(case_id) DO UPDATE SET case_id=case_id"
			  " RETURNING id", &q);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, case_id);
	sqlite3_bind_int64(q, 2, now);
	if (sqlite3_step(q) == SQLITE_ROW)
		*id = sqlite3_column_int64(q, 0);
	else
		rc = db_err(st, "report_draft");
	sqlite3_finalize(q);
	return rc;
}

static int s_view_prefs_put(vigil_store *st, const char *name, const vigil_view_prefs *p)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "INSERT INTO view_prefs(name,blur,size,sepia,updated) VALUES(?,?,?,?,?)"
			  " ON CONFLICT(name) DO UPDATE SET blur=excluded.blur,"
			  " size=excluded.size, sepia=excluded.sepia, updated=excluded.updated",
		      &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, p->blur);
	sqlite3_bind_int(q, 3, p->size);
	sqlite3_bind_int(q, 4, p->sepia);
	sqlite3_bind_int64(q, 5, p->updated);
	return step_done(st, q, "view_prefs_put");
}

static char *dup_col(sqlite3_stmt *q, int col)
{
	const unsigned char *t = sqlite3_column_text(q, col);
	size_t n = (size_t)sqlite3_column_bytes(q, col);
	char *d;

	if (!t)
		return NULL;
	d = vigil__malloc(n + 1);
	if (d) {
		memcpy(d, t, n);
		d[n] = '\0';
	}
	return d;
}

#define REPORT_COLS "id,case_id,state,ncmec_id,xml,files,answers,attempts," \
		    "last_code,last_error,created,updated"

static int report_row(vigil_store *st, sqlite3_stmt *q, vigil_report *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(q, 0);
	r->case_id = sqlite3_column_int64(q, 1);
	r->state = sqlite3_column_int(q, 2);
	copy_text(r->ncmec_id, sizeof(r->ncmec_id), sqlite3_column_text(q, 3));
	r->xml = dup_col(q, 4);
	r->files = dup_col(q, 5);
	r->answers = dup_col(q, 6);
	r->attempts = sqlite3_column_int(q, 7);
	r->last_code = sqlite3_column_int(q, 8);
	copy_text(r->last_error, sizeof(r->last_error), sqlite3_column_text(q, 9));
	r->created = sqlite3_column_int64(q, 10);
	r->updated = sqlite3_column_int64(q, 11);
	if ((sqlite3_column_type(q, 4) != SQLITE_NULL && !r->xml) || !r->files ||
	    !r->answers) {
		vigil_report_clear(r);
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	}
	return VIGIL_OK;
}

static int s_report_get(vigil_store *st, int64_t id, vigil_report *out)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT " REPORT_COLS " FROM reports WHERE id=?", &q), r;

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, id);
	r = sqlite3_step(q);
	if (r == SQLITE_ROW)
		rc = report_row(st, q, out);
	else if (r == SQLITE_DONE)
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no report %lld", (long long)id);
	else
		rc = db_err(st, "report_get");
	sqlite3_finalize(q);
	return rc;
}

static int s_report_list(vigil_store *st, vigil_report **out, size_t *n)
{
	sqlite3_stmt *q = NULL;
	vigil_report *v = NULL, *t;
	size_t cap = 0;
	int rc = prep(st, "SELECT " REPORT_COLS " FROM reports ORDER BY id DESC", &q), r;

	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			t = realloc(v, cap * sizeof(*v));
			if (!t) {
				rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
				break;
			}
			v = t;
		}
		rc = report_row(st, q, &v[*n]);
		if (rc)
			break;
		(*n)++;
	}
	if (!rc && r != SQLITE_DONE)
		rc = db_err(st, "report_list");
	sqlite3_finalize(q);
	if (rc) {
		vigil_reports_free(v, *n);
		*n = 0;
		return rc;
	}
	*out = v;
	return VIGIL_OK;
}

static int s_report_put(vigil_store *st, const vigil_report *r)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "UPDATE reports SET state=?,ncmec_id=?,xml=?,files=?,answers=?,"
			  "attempts=?,last_code=?,last_error=?,updated=? WHERE id=?", &q);

	if (rc)
		return rc;
	sqlite3_bind_int(q, 1, r->state);
	sqlite3_bind_text(q, 2, r->ncmec_id, -1, SQLITE_STATIC);
	if (r->xml)
		sqlite3_bind_text(q, 3, r->xml, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, r->files ? r->files : "[]", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, r->answers ? r->answers : "[]", -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 6, r->attempts);
	sqlite3_bind_int(q, 7, r->last_code);
	sqlite3_bind_text(q, 8, r->last_error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 9, r->updated);
	sqlite3_bind_int64(q, 10, r->id);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "report_put");
	sqlite3_finalize(q);
	return rc;
}

/* ------------------------------------------- report filing in vigil serve */

static int s_report_work_get(vigil_store *st, int64_t id, vigil_report_work *out)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT work,work_since,work_next,work_tries,overdue_alerted,"
			  "work_error"
			  " FROM reports WHERE id=?", &q), r;
	const unsigned char *w;

	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	out->id = id;
	sqlite3_bind_int64(q, 1, id);
	r = sqlite3_step(q);
	if (r == SQLITE_ROW) {
		w = sqlite3_column_text(q, 0);
		out->work = w && !strcmp((const char *)w, "submit")    ? VIGIL_REPORT_WORK_SUBMIT
			    : w && !strcmp((const char *)w, "retract") ? VIGIL_REPORT_WORK_RETRACT
								       : VIGIL_REPORT_WORK_NONE;
		out->since = sqlite3_column_int64(q, 1);
		out->next = sqlite3_column_int64(q, 2);
		out->tries = sqlite3_column_int(q, 3);
		out->overdue_alerted = sqlite3_column_int64(q, 4);
		copy_text(out->error, sizeof(out->error), sqlite3_column_text(q, 5));
	} else if (r == SQLITE_DONE) {
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no report %lld", (long long)id);
	} else {
		rc = db_err(st, "report_work_get");
	}
	sqlite3_finalize(q);
	return rc;
}

static int s_report_work_set(vigil_store *st, const vigil_report_work *w)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "UPDATE reports SET work=?,work_since=?,work_next=?,work_tries=?,"
			  "work_error=? WHERE id=?", &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, vigil_report_work_name(w->work), -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, w->since);
	sqlite3_bind_int64(q, 3, w->next);
	sqlite3_bind_int(q, 4, w->tries);
	sqlite3_bind_text(q, 5, w->error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, w->id);
	rc = step_done(st, q, "report_work_set");
	if (!rc && !sqlite3_changes(((sq *)st->priv)->db))
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no report %lld", (long long)w->id);
	return rc;
}

static int id_rows(vigil_store *st, sqlite3_stmt *q, int64_t *ids, size_t max, size_t *n,
		   const char *what)
{
	int r;

	*n = 0;
	while ((r = sqlite3_step(q)) == SQLITE_ROW)
		if (*n < max)
			ids[(*n)++] = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return r == SQLITE_DONE ? VIGIL_OK : db_err(st, what);
}

static int s_report_work_due(vigil_store *st, int64_t now, int64_t *ids, size_t max,
			     size_t *n)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT id FROM reports WHERE work<>'' AND work_next<=?"
			  " ORDER BY work_next, id", &q);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, now);
	return id_rows(st, q, ids, max, n, "report_work_due");
}

/* Not filed: no NCMEC id and draft, submitting, rejected or unknown. */
#define REPORT_NOT_FILED "ncmec_id='' AND state IN (0,1,5,6)"

static int s_report_overdue(vigil_store *st, int64_t before, int64_t *ids, size_t max,
			    size_t *n, int64_t *total)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT count(*) FROM reports WHERE " REPORT_NOT_FILED
			  " AND created<=?", &q);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, before);
	*total = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_finalize(q);
	rc = prep(st, "SELECT id FROM reports WHERE " REPORT_NOT_FILED
		      " AND created<=? AND overdue_alerted=0 ORDER BY id", &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, before);
	return id_rows(st, q, ids, max, n, "report_overdue");
}

static int s_report_overdue_mark(vigil_store *st, int64_t id, int64_t now)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "UPDATE reports SET overdue_alerted=? WHERE id=?", &q);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int64(q, 2, id);
	return step_done(st, q, "report_overdue_mark");
}

static int s_case_incident_set(vigil_store *st, int64_t case_id, const char *type)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "INSERT INTO case_review(case_id,incident_type) VALUES(?1,?2)"
			  " ON CONFLICT(case_id) DO UPDATE SET incident_type=?2", &q);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, case_id);
	sqlite3_bind_text(q, 2, type, -1, SQLITE_STATIC);
	return step_done(st, q, "case_incident_set");
}

static int s_case_incident_get(vigil_store *st, int64_t case_id, char *out, size_t cap)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT incident_type FROM case_review WHERE case_id=?", &q);

	if (rc)
		return rc;
	*out = '\0';
	sqlite3_bind_int64(q, 1, case_id);
	if (sqlite3_step(q) == SQLITE_ROW)
		copy_text(out, cap, sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return VIGIL_OK;
}

static int s_reveal_count_item(vigil_store *st, int64_t case_id, int n, int64_t *count)
{
	return count_query(st, "SELECT count(*) FROM reveals WHERE case_id=?1 AND ?2 IS NULL"
			       " AND n=?3", case_id, NULL, n, count);
}

/* ------------------------------------------------------------ exchanges */

#define XCH_COLS0 "id,name,api,bank,settings,credentials,enabled,checkpoint,"   \
		  "generation,full,up_to_date,last_error,last_attempt,"        \
		  "last_success,fetched,skipped,errors,"
#define XCH_COLS XCH_COLS0                                                      \
		 "(SELECT COUNT(DISTINCT key) FROM exchange_items i"           \
		 " WHERE i.exchange_id=exchanges.id)"

static void row_to_xch(sqlite3_stmt *q, vigil_exchange *x)
{
	memset(x, 0, sizeof(*x));
	x->id = sqlite3_column_int64(q, 0);
	copy_text(x->name, sizeof(x->name), sqlite3_column_text(q, 1));
	x->api = sqlite3_column_int(q, 2);
	copy_text(x->bank, sizeof(x->bank), sqlite3_column_text(q, 3));
	copy_text(x->settings, sizeof(x->settings), sqlite3_column_text(q, 4));
	copy_text(x->credentials, sizeof(x->credentials), sqlite3_column_text(q, 5));
	x->enabled = sqlite3_column_int(q, 6);
	copy_text(x->checkpoint, sizeof(x->checkpoint), sqlite3_column_text(q, 7));
	x->generation = sqlite3_column_int64(q, 8);
	x->full = sqlite3_column_int(q, 9);
	x->up_to_date = sqlite3_column_int(q, 10);
	copy_text(x->last_error, sizeof(x->last_error), sqlite3_column_text(q, 11));
	x->last_attempt = sqlite3_column_int64(q, 12);
	x->last_success = sqlite3_column_int64(q, 13);
	x->fetched = sqlite3_column_int64(q, 14);
	x->skipped = sqlite3_column_int64(q, 15);
	x->errors = sqlite3_column_int64(q, 16);
	x->items = sqlite3_column_int64(q, 17);
}

static int s_xch_add(vigil_store *st, vigil_exchange *x)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "INSERT INTO exchanges(name,api,bank,settings,credentials)"
			  " VALUES(?,?,?,?,?)", &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, x->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, x->api);
	sqlite3_bind_text(q, 3, x->bank, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, x->settings, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, x->credentials, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = sqlite3_extended_errcode(((sq *)st->priv)->db) ==
				     SQLITE_CONSTRAINT_UNIQUE
			     ? vigil__err(st->ctx, VIGIL_EEXIST,
					  "exchange '%s' exists", x->name)
			     : db_err(st, "exchange_add");
	else
		x->id = sqlite3_last_insert_rowid(((sq *)st->priv)->db);
	sqlite3_finalize(q);
	return rc;
}

static int xch_get(vigil_store *st, const char *name, vigil_exchange *out, int count)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, count ? "SELECT " XCH_COLS " FROM exchanges WHERE name=?"
				: "SELECT " XCH_COLS0 "0 FROM exchanges WHERE name=?", &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	switch (sqlite3_step(q)) {
	case SQLITE_ROW:
		row_to_xch(q, out);
		break;
	case SQLITE_DONE:
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no exchange '%s'", name);
		break;
	default:
		rc = db_err(st, "exchange_get");
	}
	sqlite3_finalize(q);
	return rc;
}

static int s_xch_get(vigil_store *st, const char *name, vigil_exchange *out)
{
	return xch_get(st, name, out, 1);
}

static int s_xch_peek(vigil_store *st, const char *name, vigil_exchange *out)
{
	return xch_get(st, name, out, 0);
}

static int s_xch_list(vigil_store *st, vigil_exchange **out, size_t *n)
{
	sqlite3_stmt *q = NULL;
	vigil_exchange *v = NULL;
	size_t cap = 0, k = 0;
	int rc = prep(st, "SELECT " XCH_COLS " FROM exchanges ORDER BY name", &q);
	int step;

	if (rc)
		return rc;
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		vigil_exchange *g = vigil__grow(v, &cap, k + 1, sizeof(*v));
		if (!g) {
			rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
			goto out;
		}
		v = g;
		row_to_xch(q, &v[k++]);
	}
	if (step != SQLITE_DONE)
		rc = db_err(st, "exchange_list");
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

static int s_xch_save(vigil_store *st, const vigil_exchange *x)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "UPDATE exchanges SET enabled=?,checkpoint=?,generation=?,"
			  "full=?,up_to_date=?,last_error=?,last_attempt=?,"
			  "last_success=?,fetched=?,skipped=?,errors=? WHERE id=?", &q);

	if (rc)
		return rc;
	sqlite3_bind_int(q, 1, x->enabled);
	sqlite3_bind_text(q, 2, x->checkpoint, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, x->generation);
	sqlite3_bind_int(q, 4, x->full);
	sqlite3_bind_int(q, 5, x->up_to_date);
	sqlite3_bind_text(q, 6, x->last_error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 7, x->last_attempt);
	sqlite3_bind_int64(q, 8, x->last_success);
	sqlite3_bind_int64(q, 9, x->fetched);
	sqlite3_bind_int64(q, 10, x->skipped);
	sqlite3_bind_int64(q, 11, x->errors);
	sqlite3_bind_int64(q, 12, x->id);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "exchange_save");
	else if (!sqlite3_changes(((sq *)st->priv)->db))
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "exchange %lld is gone",
				(long long)x->id);
	sqlite3_finalize(q);
	return rc;
}

static int s_xch_delete(vigil_store *st, const char *name)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "DELETE FROM exchanges WHERE name=?", &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "exchange_delete");
	else if (!sqlite3_changes(((sq *)st->priv)->db))
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no exchange '%s'", name);
	sqlite3_finalize(q);
	return rc;
}

/* Collects the entry ids of the rows q selects (bound by the caller), then
 * runs del (bound the same way) to remove those rows. */
static int take_ids(vigil_store *st, sqlite3_stmt *q, sqlite3_stmt *del,
		    int64_t **ids, size_t *n)
{
	int64_t *v = NULL;
	size_t cap = 0, k = 0;
	int step, rc = VIGIL_OK;

	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		int64_t *g;
		if (!id)
			continue;
		g = vigil__grow(v, &cap, k + 1, sizeof(*v));
		if (!g) {
			vigil__free(v);
			return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		}
		v = g;
		v[k++] = id;
	}
	if (step != SQLITE_DONE || sqlite3_step(del) != SQLITE_DONE) {
		vigil__free(v);
		return db_err(st, "exchange_items");
	}
	*ids = v;
	*n = k;
	return rc;
}

static int s_xitem_take(vigil_store *st, int64_t xid, const char *key,
			int64_t **ids, size_t *n)
{
	sqlite3_stmt *q = cached(st, S_XITEM_SEL), *d;
	int rc;

	if (!q)
		return VIGIL_ESTORE;
	sqlite3_bind_int64(q, 1, xid);
	sqlite3_bind_text(q, 2, key, -1, SQLITE_STATIC);
	d = cached(st, S_XITEM_DEL);
	if (!d) {
		sqlite3_reset(q);
		return VIGIL_ESTORE;
	}
	sqlite3_bind_int64(d, 1, xid);
	sqlite3_bind_text(d, 2, key, -1, SQLITE_STATIC);
	rc = take_ids(st, q, d, ids, n);
	sqlite3_reset(q);
	sqlite3_reset(d);
	return rc;
}

static int s_xitem_sweep(vigil_store *st, int64_t xid, int64_t gen,
			 int64_t **ids, size_t *n)
{
	sqlite3_stmt *q = NULL, *d = NULL;
	int rc = prep(st, "SELECT entry_id FROM exchange_items WHERE exchange_id=? AND gen<?", &q);

	if (!rc)
		rc = prep(st, "DELETE FROM exchange_items WHERE exchange_id=? AND gen<?", &d);
	if (!rc) {
		sqlite3_bind_int64(q, 1, xid);
		sqlite3_bind_int64(q, 2, gen);
		sqlite3_bind_int64(d, 1, xid);
		sqlite3_bind_int64(d, 2, gen);
		rc = take_ids(st, q, d, ids, n);
	}
	sqlite3_finalize(q);
	sqlite3_finalize(d);
	return rc;
}

static int s_xitem_link(vigil_store *st, int64_t xid, const char *key,
			int64_t entry_id, int64_t gen)
{
	sqlite3_stmt *q = cached(st, S_XITEM_LINK);
	int rc = VIGIL_OK;

	if (!q)
		return VIGIL_ESTORE;
	sqlite3_bind_int64(q, 1, xid);
	sqlite3_bind_text(q, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, entry_id);
	sqlite3_bind_int64(q, 4, gen);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "exchange_item_link");
	sqlite3_reset(q);
	return rc;
}

/* ------------------------------------------------------------ text banks */

static int s_text_bank_mark(vigil_store *st, int64_t bank_id)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "INSERT OR IGNORE INTO text_banks(bank_id) VALUES(?)", &q);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, bank_id);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "text_bank_mark");
	sqlite3_finalize(q);
	return rc;
}

static int s_text_bank_ids(vigil_store *st, int64_t **ids, size_t *n)
{
	sqlite3_stmt *q = NULL;
	size_t cap = 0;
	int rc = prep(st, "SELECT bank_id FROM text_banks ORDER BY bank_id", &q), r;

	*ids = NULL;
	*n = 0;
	if (rc)
		return rc;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t *v = vigil__grow(*ids, &cap, *n, sizeof(**ids));
		if (!v) {
			rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
			break;
		}
		*ids = v;
		(*ids)[(*n)++] = sqlite3_column_int64(q, 0);
	}
	if (!rc && r != SQLITE_DONE)
		rc = db_err(st, "text_bank_ids");
	sqlite3_finalize(q);
	if (rc) {
		vigil__free(*ids);
		*ids = NULL;
		*n = 0;
	}
	return rc;
}

static int s_text_term_add(vigil_store *st, const vigil__term_row *t, int64_t *id)
{
	sqlite3_stmt *q = NULL;
	sq *s = st->priv;
	int rc = prep(st, "INSERT OR IGNORE INTO text_terms(bank_id,term,category,severity,"
			  "mode,line,added,source_ref) VALUES(?,?,?,?,?,?,?,?)", &q);

	*id = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, t->bank_id);
	sqlite3_bind_text(q, 2, t->term, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, t->category ? t->category : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, t->severity);
	sqlite3_bind_int(q, 5, t->mode);
	sqlite3_bind_int64(q, 6, (sqlite3_int64)t->line);
	sqlite3_bind_int64(q, 7, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(q, 8, t->source_ref ? t->source_ref : "", -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "text_term_add");
	else if (sqlite3_changes(s->db))
		*id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(q);
	return rc;
}

static int s_text_term_scan(vigil_store *st, int64_t bank_id, vigil__term_cb cb,
			    void *user)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, bank_id > 0
			      ? "SELECT id,bank_id,term,category,severity,mode,line,source_ref"
				" FROM text_terms WHERE bank_id=? ORDER BY id"
			      : "SELECT t.id,t.bank_id,t.term,t.category,t.severity,t.mode,"
				"t.line,t.source_ref FROM text_terms t JOIN banks b ON"
				" b.id=t.bank_id WHERE b.enabled ORDER BY t.id", &q), r;

	if (rc)
		return rc;
	if (bank_id > 0)
		sqlite3_bind_int64(q, 1, bank_id);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		vigil__term_row t;
		t.id = sqlite3_column_int64(q, 0);
		t.bank_id = sqlite3_column_int64(q, 1);
		t.term = (const char *)sqlite3_column_text(q, 2);
		t.category = (const char *)sqlite3_column_text(q, 3);
		t.severity = sqlite3_column_int(q, 4);
		t.mode = sqlite3_column_int(q, 5);
		t.line = (uint64_t)sqlite3_column_int64(q, 6);
		t.source_ref = (const char *)sqlite3_column_text(q, 7);
		if (!t.term || !t.category || !t.source_ref) {
			rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
			break;
		}
		rc = cb(user, &t);
		if (rc)
			break;
	}
	if (!rc && r != SQLITE_DONE)
		rc = db_err(st, "text_term_scan");
	sqlite3_finalize(q);
	return rc;
}

static int s_text_sig(vigil_store *st, int64_t sig[3])
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT count(*),ifnull(max(t.id),0),ifnull(sum(t.bank_id),0)"
			  " FROM text_terms t JOIN banks b ON b.id=t.bank_id WHERE b.enabled",
		      &q), k;

	if (rc)
		return rc;
	if (sqlite3_step(q) != SQLITE_ROW)
		rc = db_err(st, "text_sig");
	for (k = 0; !rc && k < 3; k++)
		sig[k] = sqlite3_column_int64(q, k);
	sqlite3_finalize(q);
	return rc;
}

/* Runs one DELETE on text_terms with up to two integer parameters and an
 * optional text one (in that order), *n = rows removed. */
static int text_del(vigil_store *st, const char *what, const char *sql, int64_t a,
		    int64_t b, const char *t, int64_t *n)
{
	sqlite3_stmt *q = NULL;
	sq *s = st->priv;
	int rc = prep(st, sql, &q);

	*n = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, a);
	if (t)
		sqlite3_bind_text(q, 2, t, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(q, 2, b);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, what);
	else
		*n = sqlite3_changes(s->db);
	sqlite3_finalize(q);
	return rc;
}

static int s_text_term_delete(vigil_store *st, int64_t bank_id, int64_t id, int64_t *n)
{
	return text_del(st, "text_term_delete", "DELETE FROM text_terms WHERE bank_id=? AND id=?",
			bank_id, id, NULL, n);
}

static int s_text_ref_delete(vigil_store *st, int64_t bank_id, const char *ref, int64_t *n)
{
	return text_del(st, "text_ref_delete",
			"DELETE FROM text_terms WHERE bank_id=? AND source_ref=?", bank_id, 0,
			ref, n);
}

static int s_text_ref_sweep(vigil_store *st, int64_t bank_id, int64_t exchange_id, int64_t *n)
{
	return text_del(st, "text_ref_sweep",
			"DELETE FROM text_terms WHERE bank_id=?1 AND source_ref<>'' AND"
			" source_ref NOT IN (SELECT key FROM exchange_items WHERE exchange_id=?2)",
			bank_id, exchange_id, NULL, n);
}

/* ------------------------------------------------------- change log */
/* For index snapshots (src/match/snapshot.c): the same log as PostgreSQL's,
 * fed by the triggers of schema step 7. */

static int s_changes_head(vigil_store *st, int64_t *seq)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT coalesce(max(seq),0),"
		      " (SELECT coalesce(max(seq),0) FROM sqlite_sequence WHERE name='changes')"
		      " FROM changes", &q);

	if (rc)
		return rc;
	if (sqlite3_step(q) != SQLITE_ROW) {
		rc = db_err(st, "changes_head");
	} else {
		/* an emptied (pruned) log keeps counting in sqlite_sequence */
		int64_t a = sqlite3_column_int64(q, 0), b = sqlite3_column_int64(q, 1);
		*seq = a > b ? a : b;
	}
	sqlite3_finalize(q);
	return rc;
}

/* A range row (a bulk import, CHANGE_RANGE) as one add per entry still
 * there, all numbered with the row's seq, in id order. */
static int changes_range(vigil_store *st, vigil_change *c, int64_t lo, int64_t hi,
			 vigil_change_cb cb, void *user)
{
	sqlite3_stmt *q = NULL;
	int64_t seq = c->seq;
	int rc, step;

	rc = prep(st, "SELECT e.id,e.bank_id,e.type,e.value,e.quality,b.name,b.enabled,"
		      "b.description,b.labels,b.created FROM entries e"
		      " JOIN banks b ON b.id=e.bank_id WHERE e.id BETWEEN ? AND ? ORDER BY e.id",
		  &q);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, lo);
	sqlite3_bind_int64(q, 2, hi);
	while (!rc && (step = sqlite3_step(q)) == SQLITE_ROW) {
		const void *v = sqlite3_column_blob(q, 3);
		size_t vn = (size_t)sqlite3_column_bytes(q, 3);
		memset(c, 0, sizeof(*c));
		c->seq = seq;
		c->kind = VIGIL_CHANGE_ADD;
		c->entry.id = sqlite3_column_int64(q, 0);
		c->bank.id = c->entry.bank_id = sqlite3_column_int64(q, 1);
		c->entry.type = sqlite3_column_int(q, 2);
		if (v)
			memcpy(c->entry.value, v,
			       vn < sizeof(c->entry.value) ? vn : sizeof(c->entry.value));
		c->entry.quality = sqlite3_column_int(q, 4);
		copy_text(c->bank.name, sizeof(c->bank.name), sqlite3_column_text(q, 5));
		c->bank.enabled = sqlite3_column_int(q, 6);
		copy_text(c->bank.description, sizeof(c->bank.description),
			  sqlite3_column_text(q, 7));
		copy_text(c->bank.labels, sizeof(c->bank.labels), sqlite3_column_text(q, 8));
		c->bank.created = sqlite3_column_int64(q, 9);
		rc = cb(user, c);
	}
	if (!rc && step != SQLITE_DONE)
		rc = db_err(st, "changes");
	sqlite3_finalize(q);
	return rc;
}

static int s_changes_scan(vigil_store *st, int64_t since, size_t max,
			  vigil_change_cb cb, void *user, int64_t *last)
{
	sqlite3_stmt *q = NULL;
	vigil_change *c;
	int rc, step;

	c = vigil__calloc(1, sizeof(*c));
	if (!c)
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	/* An add's value is read from its entry; an add whose entry has gone
	 * since is passed over (its removal follows in the log). */
	rc = prep(st, "SELECT c.seq,c.kind,coalesce(e.bank_id,c.bank_id),c.entry_id,"
		      "coalesce(e.type,c.type),coalesce(e.value,c.value),"
		      "coalesce(e.quality,c.quality),b.name,b.enabled,b.description,"
		      "b.labels,b.created,c.quality,c.kind=0 AND e.id IS NULL"
		      " FROM changes c LEFT JOIN entries e ON c.kind=0 AND e.id=c.entry_id"
		      " LEFT JOIN banks b ON b.id=coalesce(e.bank_id,c.bank_id)"
		      " WHERE c.seq>? ORDER BY c.seq LIMIT ?", &q);
	if (rc)
		goto out;
	sqlite3_bind_int64(q, 1, since);
	sqlite3_bind_int64(q, 2, max > INT64_MAX ? INT64_MAX : (int64_t)max);
	while (!rc && (step = sqlite3_step(q)) == SQLITE_ROW) {
		const void *v = sqlite3_column_blob(q, 5);
		int vn = sqlite3_column_bytes(q, 5);
		memset(c, 0, sizeof(*c));
		c->seq = sqlite3_column_int64(q, 0);
		if (sqlite3_column_int(q, 13)) {
			*last = c->seq;
			continue;
		}
		c->kind = sqlite3_column_int(q, 1);
		if (c->kind == CHANGE_RANGE) {
			/* *last moves past it only once all of it is given */
			int64_t seq = c->seq;
			rc = changes_range(st, c, sqlite3_column_int64(q, 3),
					   sqlite3_column_int64(q, 12), cb, user);
			if (!rc)
				*last = seq;
			continue;
		}
		c->bank.id = c->entry.bank_id = sqlite3_column_int64(q, 2);
		c->entry.id = sqlite3_column_int64(q, 3);
		c->entry.type = sqlite3_column_int(q, 4);
		if (v && vn > 0)
			memcpy(c->entry.value, v,
			       (size_t)vn < sizeof(c->entry.value) ? (size_t)vn
								   : sizeof(c->entry.value));
		c->entry.quality = sqlite3_column_int(q, 6);
		copy_text(c->bank.name, sizeof(c->bank.name), sqlite3_column_text(q, 7));
		c->bank.enabled = sqlite3_column_type(q, 8) == SQLITE_NULL
					  ? -1 : sqlite3_column_int(q, 8);
		copy_text(c->bank.description, sizeof(c->bank.description),
			  sqlite3_column_text(q, 9));
		copy_text(c->bank.labels, sizeof(c->bank.labels), sqlite3_column_text(q, 10));
		c->bank.created = sqlite3_column_int64(q, 11);
		if (c->kind == VIGIL_CHANGE_BANK && sqlite3_column_int(q, 12) < 0)
			c->bank.enabled = -1; /* logged as deleted */
		rc = cb(user, c);
		if (!rc)
			*last = c->seq;
	}
	if (!rc && step != SQLITE_DONE)
		rc = db_err(st, "changes");
out:
	sqlite3_finalize(q);
	vigil__free(c);
	return rc;
}

static int meta_get(vigil_store *st, const char *key, char *buf, size_t cap)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT value FROM store_meta WHERE key=?", &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		copy_text(buf, cap, sqlite3_column_text(q, 0));
	else
		rc = vigil__err(st->ctx, VIGIL_ESTORE, "store_meta: no %s", key);
	sqlite3_finalize(q);
	return rc;
}

static int s_store_identity(vigil_store *st, char *buf, size_t cap)
{
	return meta_get(st, "identity", buf, cap);
}

static int s_changes_floor(vigil_store *st, int64_t *floor)
{
	char buf[32];
	int rc = meta_get(st, "changes_floor", buf, sizeof(buf));

	if (!rc)
		*floor = strtoll(buf, NULL, 10);
	return rc;
}

/* Forgets the changes up to upto (a snapshot at upto or later no longer
 * needs them); the floor says so to an older snapshot. */
static int s_changes_prune_upto(vigil_store *st, int64_t upto)
{
	sqlite3_stmt *q = NULL;
	int rc = exec(st, "SAVEPOINT prune");

	if (rc)
		return rc;
	rc = prep(st, "DELETE FROM changes WHERE seq<=?", &q);
	if (!rc) {
		sqlite3_bind_int64(q, 1, upto);
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = db_err(st, "changes_prune");
		sqlite3_finalize(q);
		q = NULL;
	}
	if (!rc)
		rc = prep(st, "UPDATE store_meta SET value=max(CAST(value AS INTEGER),?)"
			      " WHERE key='changes_floor'", &q);
	if (!rc) {
		sqlite3_bind_int64(q, 1, upto);
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = db_err(st, "changes_prune");
		sqlite3_finalize(q);
	}
	if (rc) {
		exec(st, "ROLLBACK TO prune");
		exec(st, "RELEASE prune");
		return rc;
	}
	return exec(st, "RELEASE prune");
}

/* ------------------------------ exchanges, session 3: shared hashes,
 * the scheduler's lease, the feedback listing */

static int s_xitem_release(vigil_store *st, int64_t entry_id, int *held)
{
	sqlite3_stmt *q = cached(st, S_XITEM_HOLDER), *u = NULL;
	int step, rc = VIGIL_OK;

	*held = 0;
	if (!q)
		return VIGIL_ESTORE;
	sqlite3_bind_int64(q, 1, entry_id);
	step = sqlite3_step(q);
	if (step == SQLITE_ROW) {
		/* Ownership passes to the oldest remaining holder. */
		*held = 1;
		rc = prep(st, "UPDATE entries SET source_ref=? WHERE id=?", &u);
		if (!rc) {
			sqlite3_bind_text(u, 1, (const char *)sqlite3_column_text(q, 0), -1,
					  SQLITE_TRANSIENT);
			sqlite3_bind_int64(u, 2, entry_id);
			rc = step_done(st, u, "exchange_release");
		}
	} else if (step != SQLITE_DONE) {
		rc = db_err(st, "exchange_release");
	}
	sqlite3_reset(q);
	return rc;
}

/* ------------------------------ exchanges, issue 13: a page set-based.
 * The page's rows go to temp.vigil_xstage (thrown away like the import's
 * staging table: the temp journal is off, so each take starts afresh);
 * state: 0 the entry is absent or will be dropped with this page's keys
 * (added again by the flush), 1 held by a record outside the page, 2 a
 * local import's (never linked). */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int s_xpage_take(vigil_store *st, int64_t xid, int64_t bank_id,
			const vigil__xrow *rows, size_t n, int64_t **ids, size_t *nids)
{
	sqlite3_stmt *q = NULL;
	size_t i;
	int rc;

	*ids = NULL;
	*nids = 0;
	/* A batch of pages inserts random keys across the entries and item
	 * indexes; past the connection's 64 MiB cache each insert rereads
	 * its leaf. 256 MiB holds those of a bank of a few million entries
	 * (the cache fills only as pages are read). */
	if (!((sq *)st->priv)->xcache) {
		rc = exec(st, "PRAGMA cache_size=-262144");
		if (rc)
			return rc;
		((sq *)st->priv)->xcache = 1;
	}
	rc = exec(st, "DROP TABLE IF EXISTS temp.vigil_xstage;"
		      "CREATE TEMP TABLE vigil_xstage(key TEXT, type INTEGER, value BLOB,"
		      " del INTEGER, state INTEGER NOT NULL DEFAULT 0);");
	if (!rc)
		rc = prep(st, "INSERT INTO temp.vigil_xstage(key,type,value,del)"
			      " VALUES(?,?,?,?)", &q);
	for (i = 0; !rc && i < n; i++) {
		sqlite3_bind_text(q, 1, rows[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 2, rows[i].type);
		if (rows[i].type >= 0)
			sqlite3_bind_blob(q, 3, rows[i].value,
					  (int)vigil_hash_type_size(rows[i].type),
					  SQLITE_STATIC);
		else
			sqlite3_bind_null(q, 3);
		sqlite3_bind_int(q, 4, rows[i].del);
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = db_err(st, "exchange page");
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (rc)
		return rc;
	rc = exec(st, "CREATE INDEX temp.vigil_xstage_key ON vigil_xstage(key)");
	if (!rc)
		rc = prep(st, "UPDATE temp.vigil_xstage SET state=coalesce((SELECT CASE"
			      " WHEN EXISTS(SELECT 1 FROM main.exchange_items i WHERE"
			      " i.entry_id=e.id AND NOT (i.exchange_id=?2 AND i.key IN"
			      " (SELECT key FROM temp.vigil_xstage))) THEN 1"
			      " WHEN EXISTS(SELECT 1 FROM main.exchange_items i WHERE"
			      " i.entry_id=e.id) THEN 0 ELSE 2 END FROM main.entries e"
			      " WHERE e.bank_id=?1 AND e.type=vigil_xstage.type AND"
			      " e.value=vigil_xstage.value), 0) WHERE del=0 AND type>=0 AND"
			      /* rows of new hashes, most of a page, are not rewritten */
			      " EXISTS(SELECT 1 FROM main.entries e WHERE e.bank_id=?1 AND"
			      " e.type=vigil_xstage.type AND e.value=vigil_xstage.value)", &q);
	if (!rc) {
		sqlite3_bind_int64(q, 1, bank_id);
		sqlite3_bind_int64(q, 2, xid);
		rc = step_done(st, q, "exchange page");
	}
	if (!rc)
		rc = prep(st, "DELETE FROM main.exchange_items WHERE exchange_id=?1 AND"
			      " key IN (SELECT key FROM temp.vigil_xstage) RETURNING entry_id", &q);
	if (!rc) {
		int64_t *v = NULL;
		size_t cap = 0, k = 0, j;
		int step;
		sqlite3_bind_int64(q, 1, xid);
		while ((step = sqlite3_step(q)) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(q, 0), *g;
			if (!id)
				continue;
			if (!(g = vigil__grow(v, &cap, k + 1, sizeof(*v)))) {
				rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
				break;
			}
			v = g;
			v[k++] = id;
		}
		if (!rc && step != SQLITE_DONE)
			rc = db_err(st, "exchange page");
		sqlite3_finalize(q);
		/* In id order, each once (two keys may have held one entry). */
		if (k > 1)
			qsort(v, k, sizeof(*v), cmp_i64);
		for (i = j = 0; i < k; i++)
			if (!j || v[j - 1] != v[i])
				v[j++] = v[i];
		if (rc) {
			vigil__free(v);
			return rc;
		}
		*ids = v;
		*nids = j;
	}
	return rc;
}

static int s_xpage_link(vigil_store *st, int64_t xid, int64_t bank_id, int64_t gen,
			vigil_entry **added, size_t *nadded)
{
	sqlite3_stmt *q = NULL;
	int rc, step;

	if (added) {
		*added = NULL;
		*nadded = 0;
	}
	/* Key order: the item index grows in order within the page. */
	rc = prep(st, "INSERT OR IGNORE INTO main.exchange_items(exchange_id,key,entry_id,gen)"
		      " SELECT ?1,x.key,e.id,?3 FROM temp.vigil_xstage x JOIN main.entries e"
		      " ON e.bank_id=?2 AND e.type=x.type AND e.value=x.value"
		      " WHERE x.del=0 AND x.type>=0 AND x.state<2 ORDER BY x.key", &q);
	if (!rc) {
		sqlite3_bind_int64(q, 1, xid);
		sqlite3_bind_int64(q, 2, bank_id);
		sqlite3_bind_int64(q, 3, gen);
		rc = step_done(st, q, "exchange page");
	}
	/* A record is held even without an entry of its own, so that a full
	 * refetch can tell it from one that vanished. */
	if (!rc)
		rc = prep(st, "INSERT OR IGNORE INTO main.exchange_items(exchange_id,key,"
			      "entry_id,gen) SELECT DISTINCT ?1,x.key,0,?2 FROM temp.vigil_xstage x"
			      " WHERE x.del=0 AND (x.type<0 OR x.state=2) AND NOT EXISTS(SELECT 1"
			      " FROM main.exchange_items i"
			      " WHERE i.exchange_id=?1 AND i.key=x.key)", &q);
	if (!rc) {
		sqlite3_bind_int64(q, 1, xid);
		sqlite3_bind_int64(q, 2, gen);
		rc = step_done(st, q, "exchange page");
	}
	if (!rc && added)
		rc = prep(st, "SELECT DISTINCT e.id,e.type,e.value,e.quality FROM"
			      " temp.vigil_xstage x JOIN main.entries e ON e.bank_id=?1 AND"
			      " e.type=x.type AND e.value=x.value WHERE x.del=0 AND x.type>=0"
			      " AND x.state=0 ORDER BY e.id", &q);
	if (!rc && added) {
		size_t cap = 0;
		sqlite3_bind_int64(q, 1, bank_id);
		while ((step = sqlite3_step(q)) == SQLITE_ROW) {
			vigil_entry *g = vigil__grow(*added, &cap, *nadded + 1, sizeof(**added));
			int len = sqlite3_column_bytes(q, 2);
			if (!g) {
				rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
				break;
			}
			*added = g;
			g += (*nadded)++;
			memset(g, 0, sizeof(*g));
			g->id = sqlite3_column_int64(q, 0);
			g->bank_id = bank_id;
			g->type = sqlite3_column_int(q, 1);
			memcpy(g->value, sqlite3_column_blob(q, 2),
			       len > 32 ? 32 : (size_t)len);
			g->quality = sqlite3_column_int(q, 3);
		}
		if (!rc && step != SQLITE_DONE)
			rc = db_err(st, "exchange page");
		sqlite3_finalize(q);
	}
	if (!rc)
		rc = exec(st, "DROP TABLE temp.vigil_xstage");
	if (rc && added) {
		vigil__free(*added);
		*added = NULL;
		*nadded = 0;
	}
	return rc;
}

/* Takes lease name when free, expired or owner's already (a renewal),
 * until now + ttl: *got = 1. In the caller's transaction if one is open
 * (an exchange page renews its lease in its own commit). */
static int lease_take(vigil_store *st, const char *name, const char *owner,
		      int64_t now, int64_t ttl, int *got)
{
	sqlite3_stmt *q = NULL;
	int rc, own = !s_in_transaction(st);

	*got = 0;
	/* One statement decides: insert a free lease, or take over one that
	 * expired or is already ours; a live lease of another owner is left
	 * alone (the WHERE of the upsert fails, nothing changes). */
	if (own && (rc = exec(st, "BEGIN IMMEDIATE")))
		return rc;
	rc = prep(st, "INSERT INTO leases(name,owner,expires) VALUES(?1,?2,?3+?4)"
		      " ON CONFLICT(name) DO UPDATE SET owner=?2, expires=?3+?4"
		      " WHERE leases.owner=?2 OR leases.expires<=?3", &q);
	if (!rc) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, owner, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, now);
		sqlite3_bind_int64(q, 4, ttl);
		rc = step_done(st, q, "lease_take");
		if (!rc)
			*got = sqlite3_changes(((sq *)st->priv)->db) > 0;
	}
	if (own) {
		if (!rc)
			rc = exec(st, "COMMIT");
		if (rc)
			exec(st, "ROLLBACK");
	}
	return rc;
}

static int lease_release(vigil_store *st, const char *name, const char *owner)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "DELETE FROM leases WHERE name=? AND owner=?", &q);

	if (!rc) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, owner, -1, SQLITE_STATIC);
		rc = step_done(st, q, "lease_release");
	}
	return rc;
}

static int s_feed_publish(vigil_store *st, int64_t bank_id, int on, int *state)
{
	sqlite3_stmt *q = NULL;
	int rc, own;

	if (on < 0) {
		rc = prep(st, "SELECT count(*) FROM feeds WHERE bank_id=?", &q);
		if (rc)
			return rc;
		sqlite3_bind_int64(q, 1, bank_id);
		rc = sqlite3_step(q) == SQLITE_ROW ? VIGIL_OK : db_err(st, "feed");
		if (state)
			*state = !rc && sqlite3_column_int(q, 0) > 0;
		sqlite3_finalize(q);
		return rc;
	}
	own = !s_in_transaction(st);
	if (own && (rc = exec(st, "BEGIN IMMEDIATE")))
		return rc;
	if (on && (rc = exec(st, feed_triggers)))
		goto end;
	rc = prep(st, on ? "INSERT OR IGNORE INTO feeds(bank_id,created) VALUES(?,strftime('%s','now'))"
		         : "DELETE FROM feeds WHERE bank_id=?", &q);
	if (!rc) {
		sqlite3_bind_int64(q, 1, bank_id);
		rc = step_done(st, q, "feed_publish");
	}
	/* Newly published: what the bank holds now is the log's start. */
	if (!rc && on && sqlite3_changes(((sq *)st->priv)->db) > 0) {
		rc = prep(st, "INSERT INTO feed_log(bank_id,entry_id,op)"
			      " SELECT bank_id,id,0 FROM entries WHERE bank_id=? ORDER BY id", &q);
		if (!rc) {
			sqlite3_bind_int64(q, 1, bank_id);
			rc = step_done(st, q, "feed_publish");
		}
	}
	if (!rc && !on) {
		rc = prep(st, "DELETE FROM feed_log WHERE bank_id=?", &q);
		if (!rc) {
			sqlite3_bind_int64(q, 1, bank_id);
			rc = step_done(st, q, "feed_publish");
		}
	}
end:
	if (own) {
		if (!rc)
			rc = exec(st, "COMMIT");
		if (rc)
			exec(st, "ROLLBACK");
	}
	if (!rc && state)
		*state = on;
	return rc;
}

static int s_feed_scan(vigil_store *st, int64_t bank_id, int64_t after, size_t max,
		       int (*cb)(void *user, int64_t seq, int64_t entry_id,
				 const vigil_entry *e),
		       void *user)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT l.seq,l.entry_id,l.op,e.id,e.type,e.value,e.quality,"
			  "e.source_ref,e.metadata FROM feed_log l LEFT JOIN entries e"
			  " ON e.id=l.entry_id AND l.op=0 WHERE l.bank_id=? AND l.seq>?"
			  " ORDER BY l.seq LIMIT ?", &q), step;

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, bank_id);
	sqlite3_bind_int64(q, 2, after);
	sqlite3_bind_int64(q, 3, max > INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		vigil_entry e;
		int have = sqlite3_column_type(q, 3) != SQLITE_NULL;
		if (have) {
			size_t n = (size_t)sqlite3_column_bytes(q, 5);
			memset(&e, 0, sizeof(e));
			e.id = sqlite3_column_int64(q, 3);
			e.bank_id = bank_id;
			e.type = sqlite3_column_int(q, 4);
			memcpy(e.value, sqlite3_column_blob(q, 5), n < 32 ? n : 32);
			e.quality = sqlite3_column_int(q, 6);
			copy_text(e.source_ref, sizeof(e.source_ref), sqlite3_column_text(q, 7));
			copy_text(e.metadata, sizeof(e.metadata), sqlite3_column_text(q, 8));
		}
		rc = cb(user, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1),
			have ? &e : NULL);
		if (rc)
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = db_err(st, "feed_scan");
	sqlite3_finalize(q);
	return rc;
}

static int feed_i64(vigil_store *st, const char *sql, int64_t bank_id, int64_t a,
		    int64_t *out)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, sql, &q);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, bank_id);
	sqlite3_bind_int64(q, 2, a);
	if (out) {
		rc = sqlite3_step(q) == SQLITE_ROW ? VIGIL_OK : db_err(st, "feed_compact");
		*out = rc ? 0 : sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
		return rc;
	}
	return step_done(st, q, "feed_compact");
}

static int s_feed_compact(vigil_store *st, int64_t bank_id, int64_t keep, int64_t now,
			  int64_t *removed, int64_t *floor)
{
	sqlite3 *db = ((sq *)st->priv)->db;
	int64_t mark_seq = 0, mark_at = 0, cut = 0, top = 0, fl = 0, rm = 0;
	int rc, own;

	if (keep < 0)
		return feed_i64(st, "SELECT coalesce((SELECT floor FROM feeds WHERE bank_id=?1),0)"
				    " WHERE ?2=?2", bank_id, 0, floor);
	own = !s_in_transaction(st);
	if (own && (rc = exec(st, "BEGIN IMMEDIATE")))
		return rc;
	rc = feed_i64(st, "SELECT mark_seq FROM feeds WHERE bank_id=?1 AND ?2=?2", bank_id, 0,
		      &mark_seq);
	if (!rc)
		rc = feed_i64(st, "SELECT mark_at FROM feeds WHERE bank_id=?1 AND ?2=?2", bank_id, 0,
			      &mark_at);
	if (!rc)
		rc = feed_i64(st, "SELECT coalesce(max(seq),0) FROM feed_log WHERE bank_id=?1"
				  " AND ?2=?2", bank_id, 0, &top);
	/* Each entry's latest row only. */
	if (!rc)
		rc = feed_i64(st, "DELETE FROM feed_log WHERE bank_id=?1 AND ?2=?2 AND EXISTS("
				  "SELECT 1 FROM feed_log g WHERE g.bank_id=?1 AND"
				  " g.entry_id=feed_log.entry_id AND g.seq>feed_log.seq)",
			      bank_id, 0, NULL);
	if (!rc)
		rm += sqlite3_changes(db);
	/* Deletes logged before a mark at least keep old (keep 0: all). */
	cut = !keep ? top : mark_at <= now - keep ? mark_seq : 0;
	if (!rc && cut > 0)
		rc = feed_i64(st, "SELECT coalesce(max(seq),0) FROM feed_log WHERE bank_id=?1"
				  " AND op=1 AND seq<=?2", bank_id, cut, &fl);
	if (!rc && fl > 0)
		rc = feed_i64(st, "DELETE FROM feed_log WHERE bank_id=?1 AND op=1 AND seq<=?2",
			      bank_id, cut, NULL);
	if (!rc && fl > 0) {
		rm += sqlite3_changes(db);
		rc = feed_i64(st, "UPDATE feeds SET floor=max(floor,?2) WHERE bank_id=?1", bank_id,
			      fl, NULL);
	}
	if (!rc && (!keep || mark_at <= now - keep)) {
		sqlite3_stmt *q = NULL;
		rc = prep(st, "UPDATE feeds SET mark_seq=?2,mark_at=?3 WHERE bank_id=?1", &q);
		if (!rc) {
			sqlite3_bind_int64(q, 1, bank_id);
			sqlite3_bind_int64(q, 2, top);
			sqlite3_bind_int64(q, 3, now);
			rc = step_done(st, q, "feed_compact");
		}
	}
	if (!rc)
		rc = feed_i64(st, "SELECT floor FROM feeds WHERE bank_id=?1 AND ?2=?2", bank_id, 0,
			      &fl);
	if (own) {
		if (!rc)
			rc = exec(st, "COMMIT");
		if (rc)
			exec(st, "ROLLBACK");
	}
	if (!rc) {
		if (removed)
			*removed = rm;
		if (floor)
			*floor = fl;
	}
	return rc;
}

/* ------------------------------------------------ several instances */

/* The lease of vigil/store.h (vigil_store_lease) over table leases, in
 * whole seconds of this process's clock (lease_take rounds up). A session
 * lease (the holder's connection) is always held: an SQLite store has no
 * sessions to tie it to. */
static int s_lease(vigil_store *st, const char *name, const char *owner,
		   int64_t ttl_ms, int *held)
{
	*held = 0;
	if (ttl_ms == VIGIL_LEASE_SESSION) {
		*held = 1;
		return VIGIL_OK;
	}
	if (!ttl_ms) {
		*held = 0;
		return lease_release(st, name, owner);
	}
	return lease_take(st, name, owner, (int64_t)time(NULL), (ttl_ms + 999) / 1000, held);
}

/* ---- shared work (vigil/store.h; issue 11) ------------------------- */
#define WORK_COLS "id,kind,state,owner,created,updated,lease_until,attempts,spec,result"
#define WORK_OPEN "state IN ('queued','running','watching')"

static char *col_dup(sqlite3_stmt *q, int col)
{
	const unsigned char *t = sqlite3_column_text(q, col);
	size_t n = t ? strlen((const char *)t) : 0;
	char *d = malloc(n + 1); /* vigil_work_clear frees it */

	if (d) {
		if (n)
			memcpy(d, t, n);
		d[n] = 0;
	}
	return d;
}

static int work_row(vigil_store *st, sqlite3_stmt *q, vigil_work *o, int with_media)
{
	copy_text(o->id, sizeof(o->id), sqlite3_column_text(q, 0));
	copy_text(o->kind, sizeof(o->kind), sqlite3_column_text(q, 1));
	copy_text(o->state, sizeof(o->state), sqlite3_column_text(q, 2));
	copy_text(o->owner, sizeof(o->owner), sqlite3_column_text(q, 3));
	o->created_ms = sqlite3_column_int64(q, 4);
	o->updated_ms = sqlite3_column_int64(q, 5);
	o->lease_until_ms = sqlite3_column_int64(q, 6);
	o->attempts = sqlite3_column_int64(q, 7);
	o->spec = col_dup(q, 8);
	o->result = col_dup(q, 9);
	if (!o->spec || !o->result)
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	if (with_media && sqlite3_column_type(q, 10) == SQLITE_BLOB) {
		size_t n = (size_t)sqlite3_column_bytes(q, 10);
		o->media = malloc(n ? n : 1);
		if (!o->media)
			return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		if (n)
			memcpy(o->media, sqlite3_column_blob(q, 10), n);
		o->media_len = n;
	}
	return VIGIL_OK;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int s_work_add(vigil_store *st, const vigil_work *w)
{
	sqlite3_stmt *q = NULL;
	int64_t now = w->created_ms ? w->created_ms : wall_ms();
	int rc = prep(st, "INSERT INTO shared_work(" WORK_COLS ",media)"
			  " VALUES(?1,?2,?3,?4,?5,?5,?6,?7,?8,'',?9)", &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, w->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, w->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, w->state, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, w->owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, now);
	sqlite3_bind_int64(q, 6, w->lease_until_ms);
	sqlite3_bind_int64(q, 7, *w->owner ? 1 : 0);
	sqlite3_bind_text(q, 8, w->spec ? w->spec : "", -1, SQLITE_STATIC);
	if (w->media)
		sqlite3_bind_blob64(q, 9, w->media, w->media_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 9);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		return VIGIL_OK;
	if (rc == SQLITE_CONSTRAINT)
		return vigil__err(st->ctx, VIGIL_EEXIST, "work item %s exists", w->id);
	return db_err(st, "work_add");
}

static int s_work_get(vigil_store *st, const char *id, int with_media, vigil_work *out)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, with_media ? "SELECT " WORK_COLS ",media FROM shared_work WHERE id=?"
				     : "SELECT " WORK_COLS " FROM shared_work WHERE id=?", &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	switch (sqlite3_step(q)) {
	case SQLITE_ROW:
		rc = work_row(st, q, out, with_media);
		break;
	case SQLITE_DONE:
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no work item %s", id);
		break;
	default:
		rc = db_err(st, "work_get");
	}
	sqlite3_finalize(q);
	if (rc)
		vigil_work_clear(out);
	return rc;
}

static int s_work_open(vigil_store *st, const char *kind, size_t max, vigil_work **out,
		       size_t *n)
{
	sqlite3_stmt *q = NULL;
	vigil_work *v = NULL;
	size_t k = 0, cap = 0;
	int s = SQLITE_DONE, rc = prep(st, "SELECT " WORK_COLS " FROM shared_work WHERE kind=?"
				       " AND " WORK_OPEN " ORDER BY created,id LIMIT ?", &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, (int64_t)max);
	while (!rc && (s = sqlite3_step(q)) == SQLITE_ROW) {
		if (k == cap) {
			size_t nc = cap ? cap * 2 : 16;
			vigil_work *nv = realloc(v, nc * sizeof(*nv));
			if (!nv) {
				rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
				break;
			}
			v = nv;
			cap = nc;
		}
		memset(&v[k], 0, sizeof(v[k]));
		rc = work_row(st, q, &v[k++], 0);
	}
	if (!rc && s != SQLITE_DONE)
		rc = db_err(st, "work_open");
	sqlite3_finalize(q);
	if (rc) {
		vigil_works_free(v, k);
		return rc;
	}
	*out = v;
	*n = k;
	return VIGIL_OK;
}

static int s_work_claim(vigil_store *st, const char *id, const char *owner,
			const char *state, int64_t lease_until_ms, int *got)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "UPDATE shared_work SET attempts=attempts+(owner<>?2),owner=?2,"
			  "state=coalesce(?3,state),lease_until=?4,updated=?5"
			  " WHERE id=?1 AND " WORK_OPEN, &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, owner, -1, SQLITE_STATIC);
	if (state)
		sqlite3_bind_text(q, 3, state, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 3);
	sqlite3_bind_int64(q, 4, lease_until_ms);
	sqlite3_bind_int64(q, 5, wall_ms());
	rc = step_done(st, q, "work_claim");
	if (!rc)
		*got = sqlite3_changes(((sq *)st->priv)->db) > 0;
	return rc;
}

static int s_work_finish(vigil_store *st, const char *id, const char *owner,
			 const char *state, const char *result, int *done)
{
	sqlite3_stmt *q = NULL;
	/* an open state moves the item on and keeps its media */
	int fin = strcmp(state, "queued") && strcmp(state, "running") && strcmp(state, "watching");
	int rc = prep(st, fin ? "UPDATE shared_work SET state=?3,result=coalesce(?4,result),"
				"media=NULL,updated=?5 WHERE id=?1 AND (?2 IS NULL OR owner=?2)"
				" AND " WORK_OPEN
			      : "UPDATE shared_work SET state=?3,result=coalesce(?4,result),"
				"updated=?5 WHERE id=?1 AND (?2 IS NULL OR owner=?2) AND " WORK_OPEN,
		      &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	if (owner)
		sqlite3_bind_text(q, 2, owner, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 2);
	sqlite3_bind_text(q, 3, state, -1, SQLITE_STATIC);
	if (result)
		sqlite3_bind_text(q, 4, result, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 4);
	sqlite3_bind_int64(q, 5, wall_ms());
	rc = step_done(st, q, "work_finish");
	if (!rc)
		*done = sqlite3_changes(((sq *)st->priv)->db) > 0;
	return rc;
}

static int s_work_prune(vigil_store *st, int64_t before_ms, size_t max, size_t *n)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "DELETE FROM shared_work WHERE id IN (SELECT id FROM shared_work"
			  " WHERE state IN ('done','failed','removed') AND updated<?1"
			  " ORDER BY updated LIMIT ?2)", &q);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, before_ms);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)max);
	rc = step_done(st, q, "work_prune");
	if (!rc)
		*n = (size_t)sqlite3_changes(((sq *)st->priv)->db);
	return rc;
}
/* ---- end of shared work ---------------------------------------------- */

/* ---- private matching (E1 server state; vigil/pm.h) ---------------- */
/* Each op is one transaction (the callers do not open one), so a kill -9
 * between two requests loses nothing acknowledged. */
static int s_pm_state_put(vigil_store *st, const uint8_t *state, size_t len)
{
	sqlite3_stmt *q = NULL;
	int rc = exec(st, "BEGIN IMMEDIATE;DELETE FROM pm_vouchers;DELETE FROM pm_accounts;");

	if (rc)
		return rc;
	rc = prep(st, "INSERT OR REPLACE INTO pm_state(id,state,created) VALUES(1,?,?)", &q);
	if (!rc) {
		sqlite3_bind_blob64(q, 1, state, len, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, (sqlite3_int64)time(NULL));
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = db_err(st, "pm_state_put");
		sqlite3_finalize(q);
	}
	if (!rc)
		rc = exec(st, "COMMIT");
	if (rc)
		exec(st, "ROLLBACK");
	return rc;
}

static int s_pm_state_get(vigil_store *st, uint8_t **state, size_t *len)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT state FROM pm_state WHERE id=1", &q);

	if (rc)
		return rc;
	switch (sqlite3_step(q)) {
	case SQLITE_ROW: {
		size_t n = (size_t)sqlite3_column_bytes(q, 0);
		const void *b = sqlite3_column_blob(q, 0);
		uint8_t *out = malloc(n ? n : 1); /* the caller frees with free() */
		if (!out) {
			rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
			break;
		}
		if (n)
			memcpy(out, b, n);
		*state = out;
		*len = n;
		break;
	}
	case SQLITE_DONE:
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no private-matching table yet");
		break;
	default:
		rc = db_err(st, "pm_state_get");
	}
	sqlite3_finalize(q);
	return rc;
}

static int s_pm_voucher_add(vigil_store *st, const char *account, const uint8_t *voucher,
			    size_t len, int64_t now)
{
	sqlite3_stmt *q = NULL;
	int rc = exec(st, "BEGIN IMMEDIATE");

	if (rc)
		return rc;
	rc = prep(st, "INSERT INTO pm_accounts(account,received,opened,first,last)"
		      " VALUES(?1,1,?2,?3,?3) ON CONFLICT(account) DO UPDATE SET"
		      " received=received+1, opened=opened+?2, last=?3", &q);
	if (!rc) {
		sqlite3_bind_text(q, 1, account, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 2, voucher != NULL);
		sqlite3_bind_int64(q, 3, now);
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = db_err(st, "pm_voucher_add");
		sqlite3_finalize(q);
	}
	if (!rc && voucher) {
		rc = prep(st, "INSERT INTO pm_vouchers(account,voucher) VALUES(?,?)", &q);
		if (!rc) {
			sqlite3_bind_text(q, 1, account, -1, SQLITE_STATIC);
			sqlite3_bind_blob64(q, 2, voucher, len, SQLITE_STATIC);
			if (sqlite3_step(q) != SQLITE_DONE)
				rc = db_err(st, "pm_voucher_add");
			sqlite3_finalize(q);
		}
	}
	if (!rc)
		rc = exec(st, "COMMIT");
	if (rc)
		exec(st, "ROLLBACK");
	return rc;
}

static int s_pm_voucher_scan(vigil_store *st, const char *account,
			     int (*cb)(void *user, const uint8_t *v, size_t len), void *user)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT voucher FROM pm_vouchers WHERE account=? ORDER BY id", &q), r;

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, account, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		rc = cb(user, sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0));
		if (rc)
			break;
	}
	if (!rc && r != SQLITE_DONE)
		rc = db_err(st, "pm_voucher_scan");
	sqlite3_finalize(q);
	return rc;
}

static int s_pm_account_get(vigil_store *st, const char *account, vigil_pm_account_info *o)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT received,opened,matched,recovered_at,first,last"
			  " FROM pm_accounts WHERE account=?", &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, account, -1, SQLITE_STATIC);
	switch (sqlite3_step(q)) {
	case SQLITE_ROW:
		copy_text(o->account, sizeof(o->account), (const unsigned char *)account);
		o->received = sqlite3_column_int64(q, 0);
		o->opened = sqlite3_column_int64(q, 1);
		o->matched = sqlite3_column_int64(q, 2);
		o->recovered_at = sqlite3_column_int64(q, 3);
		o->first = sqlite3_column_int64(q, 4);
		o->last = sqlite3_column_int64(q, 5);
		break;
	case SQLITE_DONE:
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no such account");
		break;
	default:
		rc = db_err(st, "pm_account_get");
	}
	sqlite3_finalize(q);
	return rc;
}

/* ------------------------------------------- grooming state (schema 9) */

static int s_groom_state_get(vigil_store *st, const uint8_t *key, uint8_t *state, size_t cap,
			     size_t *len, int64_t *seen)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "SELECT seen,state FROM groom_state WHERE key=?", &q);
	size_t n;

	*len = 0;
	*seen = 0;
	if (rc)
		return rc;
	sqlite3_bind_blob(q, 1, key, 16, SQLITE_STATIC);
	switch (sqlite3_step(q)) {
	case SQLITE_ROW:
		*seen = sqlite3_column_int64(q, 0);
		n = (size_t)sqlite3_column_bytes(q, 1);
		*len = n < cap ? n : cap;
		if (*len)
			memcpy(state, sqlite3_column_blob(q, 1), *len);
		break;
	case SQLITE_DONE:
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no grooming state for this pair");
		break;
	default:
		rc = db_err(st, "groom_state_get");
	}
	sqlite3_finalize(q);
	return rc;
}

static int s_groom_state_put(vigil_store *st, const uint8_t *key, int64_t seen,
			     const uint8_t *state, size_t len)
{
	sqlite3_stmt *q = cached(st, S_GROOM_PUT);
	int rc = VIGIL_OK;

	if (!q)
		return VIGIL_ESTORE;
	sqlite3_bind_blob(q, 1, key, 16, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, seen);
	sqlite3_bind_blob(q, 3, state, (int)len, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "groom_state_put");
	sqlite3_reset(q);
	return rc;
}

static int s_groom_state_evict(vigil_store *st, int64_t before, int64_t *deleted)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "DELETE FROM groom_state WHERE seen<?", &q);

	*deleted = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, before);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "groom_state_evict");
	else
		*deleted = sqlite3_changes(((sq *)st->priv)->db);
	sqlite3_finalize(q);
	return rc;
}

static int s_pm_account_set_matched(vigil_store *st, const char *account, int64_t matched,
				    int64_t now)
{
	sqlite3_stmt *q = NULL;
	int rc = prep(st, "UPDATE pm_accounts SET matched=?2, recovered_at=CASE WHEN"
			  " recovered_at=0 AND ?2>0 THEN ?3 ELSE recovered_at END WHERE account=?1",
		      &q);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, matched);
	sqlite3_bind_int64(q, 3, now);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(st, "pm_account_set_matched");
	else if (sqlite3_changes(((sq *)st->priv)->db) == 0)
		rc = vigil__err(st->ctx, VIGIL_ENOENT, "no such account");
	sqlite3_finalize(q);
	return rc;
}

const vigil__store_ops vigil__store_sqlite = {
	.version = VIGIL__STORE_OPS_VERSION,
	.scheme = "sqlite",
	.open = s_open,
	.close = s_close,
	.bank_create = s_bank_create,
	.bank_get = s_bank_get,
	.bank_list = s_bank_list,
	.bank_set_enabled = s_bank_set_enabled,
	.bank_delete = s_bank_delete,
	.entry_get = s_entry_get,
	.begin = s_begin,
	.commit = s_commit,
	.rollback = s_rollback,
	.entry_add = s_entry_add,
	.entry_set_value = s_entry_set_value,
	.entry_delete = s_entry_delete,
	.frame_add = s_frame_add,
	.scan = s_scan,
	.scan_hashes = s_scan_hashes,
	.scan_frames = s_scan_frames,
	.evidence_add = s_evidence_add,
	.evidence_list = s_evidence_list,
	.set_lock_wait = s_set_lock_wait,
	.policy_put = s_policy_put,
	.quarantine_add = s_quarantine_add,
	.quarantine_remove = s_quarantine_remove,
	.quarantine_list = s_quarantine_list,
	.case_open = s_case_open,
	.case_get = s_case_get,
	.outbox_add = s_outbox_add,
	.outbox_select = s_outbox_select,
	.outbox_update = s_outbox_update,
	.outbox_counts = s_outbox_counts,
	.in_transaction = s_in_transaction,
	.policy_scan = s_policy_scan,
	.bank_update = s_bank_update,
	.key_add = s_key_add,
	.key_list = s_key_list,
	.key_revoke = s_key_revoke,
	.key_touch = s_key_touch,
	.audit_append = s_audit_append,
	.audit_scan = s_audit_scan,
	.bank_rename = s_bank_rename,
	.entry_set_metadata = s_entry_set_metadata,
	.entry_type_stats = s_entry_type_stats,
	.case_list = s_case_list,
	.case_review_get = s_case_review_get,
	.case_claim = s_case_claim,
	.case_decide = s_case_decide,
	.case_media_add = s_case_media_add,
	.case_media_get = s_case_media_get,
	.case_media_count = s_case_media_count,
	.case_media_list = s_case_media_list,
	.reveal_add = s_reveal_add,
	.reveal_count = s_reveal_count,
	.person_add = s_person_add,
	.person_get = s_person_get,
	.person_login_result = s_person_login_result,
	.session_add = s_session_add,
	.session_get = s_session_get,
	.session_set = s_session_set,
	.view_prefs_get = s_view_prefs_get,
	.view_prefs_put = s_view_prefs_put,
	.audit_head = s_audit_head,
	.audit_checkpoint_add = s_audit_checkpoint_add,
	.audit_checkpoint_list = s_audit_checkpoint_list,
	.report_draft = s_report_draft,
	.report_get = s_report_get,
	.report_list = s_report_list,
	.report_put = s_report_put,
	/* Filing inside vigil serve, the deadline alert, incident types. */
	.report_work_get = s_report_work_get,
	.report_work_set = s_report_work_set,
	.report_work_due = s_report_work_due,
	.report_overdue = s_report_overdue,
	.report_overdue_mark = s_report_overdue_mark,
	.case_incident_set = s_case_incident_set,
	.case_incident_get = s_case_incident_get,
	.reveal_count_item = s_reveal_count_item,
	/* exchanges, session 3 */
	.xitem_release = s_xitem_release,
	.xpage_take = s_xpage_take, /* issue 13: a page set-based */
	.xpage_link = s_xpage_link,
	.xch_peek = s_xch_peek,
	.outbox_by_url = s_outbox_by_url,
	.feed_publish = s_feed_publish,
	.feed_compact = s_feed_compact,
	.feed_scan = s_feed_scan,
	.xch_add = s_xch_add,
	.xch_get = s_xch_get,
	.xch_list = s_xch_list,
	.xch_save = s_xch_save,
	.xch_delete = s_xch_delete,
	.xitem_take = s_xitem_take,
	.xitem_sweep = s_xitem_sweep,
	.xitem_link = s_xitem_link,
	.text_bank_mark = s_text_bank_mark, /* text banks */
	.text_bank_ids = s_text_bank_ids,
	.text_term_add = s_text_term_add,
	.text_term_scan = s_text_term_scan,
	.text_sig = s_text_sig,
	.text_term_delete = s_text_term_delete,
	.text_ref_delete = s_text_ref_delete,
	.text_ref_sweep = s_text_ref_sweep,
	/* Evidence preservation (vigil/evidence.h). */
	.pres_add = s_pres_add,
	.pres_list = s_pres_list,
	.pres_blob = s_pres_blob,
	.pres_hold_add = s_pres_hold_add,
	.pres_hold_release = s_pres_hold_release,
	.pres_holds = s_pres_holds,
	.pres_shred = s_pres_shred,
	.pres_flush = s_pres_flush,
	.entry_stage = s_entry_stage, /* bulk import: staged, then sorted in */
	.entry_stage_flush = s_entry_stage_flush,
	.changes_head = s_changes_head, /* changes: for index snapshots */
	.changes_scan = s_changes_scan,
	.changes_wait = NULL, /* one process owns an SQLite store: nobody to wait for */
	/* Index snapshots (src/match/snapshot.c). */
	.store_identity = s_store_identity,
	.changes_floor = s_changes_floor,
	.changes_prune_upto = s_changes_prune_upto,
	.changes_prune = NULL, /* pruned by the snapshot writer (changes_prune_upto) */
	.lease = s_lease,
	/* shared work (issue 11) */
	.work_add = s_work_add,
	.work_get = s_work_get,
	.work_open = s_work_open,
	.work_claim = s_work_claim,
	.work_finish = s_work_finish,
	.work_prune = s_work_prune,
	/* private matching (E1 server state) */
	.pm_state_put = s_pm_state_put,
	.pm_state_get = s_pm_state_get,
	.pm_voucher_add = s_pm_voucher_add,
	.pm_voucher_scan = s_pm_voucher_scan,
	.pm_account_get = s_pm_account_get,
	.pm_account_set_matched = s_pm_account_set_matched,
	/* grooming state (schema 9) */
	.groom_state_get = s_groom_state_get,
	.groom_state_put = s_groom_state_put,
	.groom_state_evict = s_groom_state_evict,
};
