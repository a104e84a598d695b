/* vigil/store.h — banks of known hashes, their storage, import/export and
 * matching (part of vigil.h; do not include directly).
 *
 * A store holds banks; a bank holds entries (hashes with where they came
 * from). The embedded default is SQLite ("PATH" or "sqlite:PATH"); backends
 * sit behind one ops table so that PostgreSQL can follow. A vigil_store is
 * used by one thread at a time. */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include <stdio.h>

#define VIGIL_NAME_MAX 64    /* bank names: [A-Za-z0-9._-], 1..64 chars */
#define VIGIL_TEXT_MAX 1024  /* descriptions, labels, source refs */
#define VIGIL_META_MAX 4096  /* an entry's metadata (JSON object text) */

/* What an entry's value is. Numbers are stored: only ever appended. */
typedef enum vigil_hash_type {
	VIGIL_HASH_PDQ = 0,    /* 32 bytes, with quality */
	VIGIL_HASH_MD5 = 1,    /* 16 bytes */
	VIGIL_HASH_SHA1 = 2,   /* 20 bytes */
	VIGIL_HASH_SHA256 = 3, /* 32 bytes */
	VIGIL_HASH_VPDQ = 4,   /* a video: value is the SHA-256 of its frame
				  list; the frames are stored with it */
	VIGIL__HASH_TYPE_END
} vigil_hash_type;

const char *vigil_hash_type_name(int type); /* "pdq", "md5", ...; never NULL */
/* Parses a type name; -1 if unknown. */
int vigil_hash_type_parse(const char *name);
/* Value length in bytes of a type (0 if unknown). */
size_t vigil_hash_type_size(int type);

typedef struct vigil_store vigil_store;

/* Opens (creating if needed) the store at uri: "PATH", "sqlite:PATH".
 * *out is owned by the caller: vigil_store_close(). Errors are reported on
 * ctx, which the store keeps using (one thread at a time). */
int vigil_store_open(vigil_ctx *ctx, const char *uri, vigil_store **out);
/* The default store's path: $VIGIL_DB if set, else
 * $XDG_DATA_HOME/vigil/vigil.db, else ~/.local/share/vigil/vigil.db (the
 * folder is created, mode 0700). Written into buf (or "vigil.db" if it
 * does not fit); returns the path, which may be buf or the environment's. */
const char *vigil_store_default_path(char *buf, size_t cap);
void vigil_store_close(vigil_store *st);

/* Called about once a second while a store operation waits for a lock that
 * another process holds (a long import's write transaction), with the time
 * waited so far; a non-zero return gives up at once. */
typedef int (*vigil_store_wait_cb)(void *user, int64_t waited_ms);
/* How long an operation waits for another process's lock before it fails
 * with VIGIL_ESTORE ("... locked"): timeout_ms (default 10000 after
 * vigil_store_open; < 0 waits without a limit), calling cb (may be NULL)
 * while it waits. */
int vigil_store_set_lock_wait(vigil_store *st, int64_t timeout_ms,
			      vigil_store_wait_cb cb, void *user);

typedef struct vigil_bank {
	int64_t id;
	char name[VIGIL_NAME_MAX + 1];
	char description[VIGIL_TEXT_MAX + 1];
	char labels[VIGIL_TEXT_MAX + 1]; /* comma-separated, e.g. "source=ncmec,kind=image" */
	int enabled;                     /* matched against when non-zero */
	int64_t created;                 /* unix seconds */
	int64_t entries;                 /* number of entries */
} vigil_bank;

/* Creates a bank; VIGIL_EEXIST if the name is taken, VIGIL_EINVAL for a bad
 * name or over-long text. description/labels may be NULL. */
int vigil_bank_create(vigil_store *st, const char *name, const char *description,
		      const char *labels, vigil_bank *out);
/* VIGIL_ENOENT if there is no such bank. */
int vigil_bank_get(vigil_store *st, const char *name, vigil_bank *out);
/* All banks, by name. *banks is owned by the caller: free() it. */
int vigil_bank_list(vigil_store *st, vigil_bank **banks, size_t *n);
int vigil_bank_set_enabled(vigil_store *st, const char *name, int enabled);
/* Deletes a bank and all its entries. */
int vigil_bank_delete(vigil_store *st, const char *name);
/* Changes a bank's description and/or labels (NULL: unchanged). */
int vigil_bank_update(vigil_store *st, const char *name, const char *description,
		      const char *labels);

/* One stored entry. */
typedef struct vigil_entry {
	int64_t id;                         /* unique in the store */
	int64_t bank_id;
	int type;                           /* vigil_hash_type */
	uint8_t value[32];                  /* vigil_hash_type_size(type) bytes */
	int quality;                        /* PDQ/vPDQ quality, or -1 */
	char source_ref[VIGIL_TEXT_MAX + 1]; /* the list's own id, or "" */
	int64_t added;                      /* unix seconds */
	char metadata[VIGIL_META_MAX + 1];  /* JSON object text, or "" */
} vigil_entry;

/* Looks an entry up by id. */
int vigil_entry_get(vigil_store *st, int64_t id, vigil_entry *out);
/* Adds n entries (type PDQ, MD5, SHA1 or SHA256; value, quality,
 * source_ref, metadata; id/bank_id/added are ignored) to bank `bank` in one
 * transaction, committed when this returns: all land or none. ids[i] gets
 * the new entry's id, or 0 if the bank already had that hash. */
int vigil_entries_add(vigil_store *st, const char *bank, const vigil_entry *in,
		      size_t n, int64_t *ids);
/* Deletes one entry (and a video's frames). VIGIL_ENOENT if there is no
 * such entry; with bank != NULL also if it is not in that bank. */
int vigil_entry_delete(vigil_store *st, const char *bank, int64_t id);

/* ------------------------------------------------------------ import */

/* Formats of hash lists. */
typedef enum vigil_list_format {
	VIGIL_FMT_AUTO = 0,    /* by content: see docs/banks.md */
	VIGIL_FMT_HEX = 1,     /* one hex hash per line */
	VIGIL_FMT_PDQ_CSV = 2, /* the reference tool's hash,quality,path */
	VIGIL_FMT_CSV = 3,     /* a header line naming columns (hash, type, id, ...) */
	VIGIL_FMT_VPDQ = 4,    /* frame,quality,pdq_hex,seconds lines: one video */
	VIGIL__FMT_END
} vigil_list_format;

const char *vigil_list_format_name(int fmt);
int vigil_list_format_parse(const char *name); /* -1 if unknown */

/* Called for each malformed line: line number (1-based) and reason. Return
 * non-zero to abort the import (nothing is then committed). */
typedef int (*vigil_bad_line_fn)(void *user, uint64_t line, const char *reason);
/* Called now and then with bytes read so far. */
typedef void (*vigil_progress_fn)(void *user, uint64_t bytes, uint64_t lines);

typedef struct vigil_import_opts {
	int format;            /* vigil_list_format */
	int type;              /* for VIGIL_FMT_HEX with 64-digit hashes: PDQ
				  (default) or VIGIL_HASH_SHA256; -1 = auto */
	int max_bad_lines;     /* abort after this many (0: default 1000) */
	const char *source;    /* vPDQ: the video's source ref (file name) */
	vigil_bad_line_fn on_bad_line;
	vigil_progress_fn on_progress;
	void *user;
	int64_t max_bytes;     /* give up past this many bytes of input (0:
				  VIGIL_IMPORT_DEFAULT_MAX_BYTES) */
} vigil_import_opts;

/* 64 GiB: a billion hex lines. A ceiling for endless input, not a target. */
#define VIGIL_IMPORT_DEFAULT_MAX_BYTES ((int64_t)64 << 30)

typedef struct vigil_import_stats {
	uint64_t lines;      /* lines read (including blank and comment lines) */
	uint64_t added;      /* new entries */
	uint64_t duplicates; /* lines whose hash the bank already had */
	uint64_t bad;        /* malformed lines (reported, skipped) */
} vigil_import_stats;

/* Streams a hash list from f into bank `bank` in one transaction: either
 * everything valid lands, or (on error, abort or crash) nothing does.
 * Memory stays constant whatever the list's length. Input that is not a
 * text list ends the import at once with nothing imported (VIGIL_ECORRUPT):
 * a NUL byte, or a line with no line break in 1 MiB; so does input past
 * max_bytes (VIGIL_ETOOBIG). */
int vigil_bank_import(vigil_store *st, const char *bank, FILE *f,
		      const vigil_import_opts *opts, vigil_import_stats *stats);

/* Writes a bank's entries of one format: HEX (type column implied), PDQ_CSV,
 * CSV (header, all columns). VPDQ is not an export format of a whole bank. */
int vigil_bank_export(vigil_store *st, const char *bank, int format, FILE *out,
		      uint64_t *written);

/* Writes one stored video (a VIGIL_HASH_VPDQ entry) in the vPDQ format,
 * frame,quality,pdq_hex,seconds lines, as it was imported. */
int vigil_entry_export_vpdq(vigil_store *st, int64_t entry_id, FILE *out,
			    uint64_t *written);

/* ------------------------------------------------------------- match */

typedef struct vigil_matcher vigil_matcher;

/* Loads every enabled bank's hashes into memory (PDQ and vPDQ frames into a
 * Hamming index, digests into a hash table). The matcher is a snapshot:
 * reopen it to see later changes. *out is owned by the caller. Queries on one
 * matcher may run from many threads, each with its own ctx; the live
 * changes below keep it current without reopening it. */
int vigil_matcher_open(vigil_store *st, vigil_matcher **out);
void vigil_matcher_free(vigil_matcher *m);
size_t vigil_matcher_size(const vigil_matcher *m);

typedef struct vigil_match {
	int64_t entry_id;                /* the matched entry */
	int64_t bank_id;
	char bank[VIGIL_NAME_MAX + 1];   /* its bank's name */
	int type;                        /* the entry's vigil_hash_type */
	uint8_t value[32];               /* for vPDQ: the matching frame's PDQ */
	int quality;                     /* the stored hash's quality */
	int distance;                    /* Hamming distance (0 for digests) */
	int variant;                     /* vigil_dihedral, or -1 for digests */
} vigil_match;

/* PDQ matches within radius; if dih is not NULL (all eight variants from
 * vigil_pdq_hash_*), rotated and flipped copies match too. Each entry at
 * most once, nearest first. Up to max written; *found is the total. */
int vigil_matcher_pdq(vigil_matcher *m, vigil_ctx *ctx, const vigil_pdq *q,
		      const vigil_pdq dih[8], int radius, vigil_match *out,
		      size_t max, size_t *found);
/* Exact digest matches. */
int vigil_matcher_digest(vigil_matcher *m, vigil_ctx *ctx, int type,
			 const uint8_t *value, vigil_match *out, size_t max,
			 size_t *found);

/* Live changes, for a long-running matcher (vigil serve): each is seen by
 * every query that starts after it returns, without a rebuild. They may be
 * called from any thread while queries run on others (queries take a
 * shared lock; changes are serialised among themselves). Errors are
 * reported on ctx. */
/* Adds one stored entry (PDQ or a digest; from vigil_entries_add) of bank
 * (as vigil_bank_get gives it). A bank the matcher did not have is added,
 * matched if bank->enabled. Re-adding an entry is a no-op. */
int vigil_matcher_add(vigil_matcher *m, vigil_ctx *ctx, const vigil_bank *bank,
		      const vigil_entry *e);
/* Removes one entry (e as vigil_entry_get gave it before the delete);
 * an entry the matcher does not have is not an error. */
int vigil_matcher_remove(vigil_matcher *m, vigil_ctx *ctx, const vigil_entry *e);
/* (Re)loads every entry of a bank from st, vPDQ videos included, and
 * matches the bank from now on (after an import, or when it is enabled).
 * Entries already loaded are not loaded twice. */
int vigil_matcher_load_bank(vigil_matcher *m, vigil_store *st, const char *bank);
/* Stops matching a bank (disabled or deleted); its hashes stay in memory
 * until the matcher is freed, so enabling it again is cheap. */
int vigil_matcher_drop_bank(vigil_matcher *m, int64_t bank_id);

/* Bank changes by every process on one shared database (PostgreSQL):
 * each entry added or removed and each bank enabled, disabled or deleted
 * is logged with a change sequence number, in commit order. A matcher
 * that read vigil_store_changes_head before loading stays current by
 * applying vigil_store_changes since then. SQLite logs the same changes
 * (triggers; for index snapshots, vigil_matcher_open_snapshot), but has
 * no vigil_store_changes_wait: one process owns an SQLite store. */
typedef enum vigil_change_kind {
	VIGIL_CHANGE_ADD = 0,    /* entry (id, bank_id, type, value, quality) */
	VIGIL_CHANGE_REMOVE = 1, /* entry, as it was */
	VIGIL_CHANGE_BANK = 2    /* bank.enabled is its state now; -1: deleted */
} vigil_change_kind;

typedef struct vigil_change {
	int64_t seq;
	int kind;          /* vigil_change_kind */
	vigil_entry entry; /* ADD, REMOVE: only the matcher's fields are set */
	vigil_bank bank;   /* the bank now (id always; name, enabled unless
			      deleted; entries not counted) */
} vigil_change;

typedef int (*vigil_change_cb)(void *user, const vigil_change *c);

/* *seq = the newest change's number (0: none yet). */
int vigil_store_changes_head(vigil_store *st, int64_t *seq);
/* Calls cb for up to max changes after since, oldest first; a non-zero
 * return stops and is returned. *last = the last one given (or since).
 * SQLite logs a bulk import as one change: cb gets one ADD for each of its
 * entries, all with that change's seq (so more than max calls may come),
 * and *last reaches it only once all of them were given. */
int vigil_store_changes(vigil_store *st, int64_t since, size_t max,
			vigil_change_cb cb, void *user, int64_t *last);
/* Waits up to timeout_ms for a change notification (LISTEN): 1 if one
 * came, 0 if not (or the connection was lost and remade: then read the
 * changes anyway, nothing is lost, they are in the log). */
int vigil_store_changes_wait(vigil_store *st, int timeout_ms);
/* Forgets the changes up to upto (SQLite; VIGIL_EINVAL elsewhere): a
 * snapshot older than that is then stale, and rebuilt when used. */
int vigil_store_changes_prune_upto(vigil_store *st, int64_t upto);

/* ------------------------------------------------- index snapshots */
/* A matcher saved to a file and started from it (docs/snapshots.md): the
 * big arrays of the index are mapped and used in place, then the store's
 * changes since the snapshot are replayed. The file is checksummed and
 * tagged with the store's identity and change sequence number; a
 * corrupt, foreign or stale file is never used. */
typedef struct vigil_snapshot_info {
	int used;          /* 1: started from the snapshot; 0: rebuilt */
	int64_t seq;       /* the snapshot's change number (if it was read) */
	int64_t replayed;  /* changes replayed after it */
	char reason[256];  /* why it was not used ("" if it was) */
} vigil_snapshot_info;

/* Starts a matcher from the snapshot at path, or, if it is missing or not
 * to be trusted, from the store as vigil_matcher_open does (info says
 * which and why; may be NULL). Errors are those of the rebuild. */
int vigil_matcher_open_snapshot(vigil_store *st, const char *path,
				vigil_matcher **out, vigil_snapshot_info *info);
/* Writes m's snapshot to path atomically (a temporary beside it, fsync,
 * rename): readers see the old file or the new one. Live changes wait
 * while it is written (queries do not). */
int vigil_matcher_snapshot_write(vigil_matcher *m, vigil_store *st, const char *path);
/* Applies every change logged after the matcher's own sequence number;
 * *applied (may be NULL) gets how many. */
int vigil_matcher_catch_up(vigil_matcher *m, vigil_store *st, int64_t *applied);
/* Applies one logged change and advances the matcher's sequence number
 * (what a sync thread calls; ctx for errors, NULL: the store's). */
int vigil_matcher_apply_change(vigil_matcher *m, vigil_store *st, vigil_ctx *ctx,
			       const vigil_change *c);
/* The change up to which every change is in m (0: no change log). */
int64_t vigil_matcher_seq(vigil_matcher *m);

/* Keeps the newest keep changes and deletes older ones; *floor = the
 * number below which changes are gone (0: none pruned yet). A reader
 * whose position is below the floor has missed changes: it must reload
 * (vigil_store_changes then answers VIGIL_ENOENT). SQLite: VIGIL_EINVAL. */
int vigil_store_changes_prune(vigil_store *st, int64_t keep, int64_t *floor);

/* Sealing at rest: with a key set, the working copies of what reports
 * send (reports.xml, reports.files with each fileDetails, reports.answers)
 * and cases' contexts (user, uploads with IP, port, time) are written
 * encrypted (XChaCha20-Poly1305 under a subkey derived from master, the
 * 32-byte key of master_key_file) and opened on read; rows written before
 * (or without a key) read as they are and are sealed when next written.
 * Without a key nothing is sealed; reading a sealed value then fails
 * (VIGIL_EINVAL), except in listings (vigil_case_list, vigil_report_list),
 * which give NULL for it. master NULL forgets the key. The key is copied;
 * vigil_store_close wipes it. */
int vigil_store_set_seal_key(vigil_store *st, const uint8_t master[32]);
/* Whether st has a seal key. */
int vigil_store_sealing(const vigil_store *st);

/* Leases: work only one of several processes on one store may do at a
 * time (a scheduler's round, a checkpoint tick). Takes or renews the lease
 * called name for owner (any text naming this process) for ttl_ms: *held
 * = 1 if owner holds it now, 0 if another owner's lease has not expired.
 * ttl_ms 0 gives it up. Expiry is the database server's clock, so the
 * processes' clocks need not agree; a process that dies loses its lease
 * when it expires. ttl_ms VIGIL_LEASE_SESSION: held until given up or
 * until this handle's connection ends (a process that dies frees it at
 * once: for work a restart must resume). SQLite (one process owns the
 * store): always held. */
#define VIGIL_LEASE_SESSION (-1)
int vigil_store_lease(vigil_store *st, const char *name, const char *owner,
		      int64_t ttl_ms, int *held);

/* ------------------------------------------------------- shared work
 * Work that any of several `vigil serve` instances on one store may do
 * and that a survivor takes over when the instance doing it dies: a video
 * job (kind "video": its upload sealed in media) or a watched live stream
 * (kind "stream": spec holds the URL). Who may work on an item is a lease
 * ("work:" + id, vigil_store_lease); owner names the instance that claimed
 * it last. Finishing is conditional on being that owner and the item being
 * still open, in the caller's transaction if one is open, so whatever an
 * item's finish writes beside it (a verdict, a case, events) is written
 * once, however many instances took the item over. */
#define VIGIL_WORK_ID_MAX 64
#define VIGIL_WORK_SPEC_MAX 65536          /* spec and result texts */
#define VIGIL_WORK_MEDIA_MAX ((size_t)1 << 30)

typedef struct vigil_work {
	char id[VIGIL_WORK_ID_MAX + 1];
	char kind[16];                  /* "video", "stream" */
	char state[16];                 /* open: queued, running, watching;
					   finished: done, failed, removed */
	char owner[VIGIL_TEXT_MAX + 1]; /* the last claimer, "" none */
	int64_t created_ms, updated_ms; /* unix ms (the caller's clock) */
	int64_t lease_until_ms;         /* the owner's renewal + ttl, by its clock
					   (informational: the lease decides) */
	int64_t attempts;               /* claims so far */
	char *spec;                     /* JSON text, never NULL once read */
	char *result;                   /* JSON text, "" while open */
	uint8_t *media;                 /* NULL unless asked for / none */
	size_t media_len;
} vigil_work;

/* Frees what w holds (spec, result, media) and zeroes it. */
void vigil_work_clear(vigil_work *w);
void vigil_works_free(vigil_work *w, size_t n);
/* Stores a new item (id, kind, state, owner, created_ms, lease_until_ms,
 * spec, media; attempts starts at 1 if owner is set). VIGIL_EEXIST if the
 * id is taken. */
int vigil_work_add(vigil_store *st, const vigil_work *w);
/* The item id (*out: the caller's, vigil_work_clear), its media only if
 * with_media. VIGIL_ENOENT if there is none. */
int vigil_work_get(vigil_store *st, const char *id, int with_media, vigil_work *out);
/* Open items of kind, oldest first, at most max, without media (*out: the
 * caller's, vigil_works_free). */
int vigil_work_open(vigil_store *st, const char *kind, size_t max, vigil_work **out,
		    size_t *n);
/* Makes owner the item's owner (state, if not NULL, set too; lease_until
 * recorded; attempts + 1 when the owner changes) if it is still open:
 * *got = 1, else 0. Call it only holding the item's lease. */
int vigil_work_claim(vigil_store *st, const char *id, const char *owner, const char *state,
		     int64_t lease_until_ms, int *got);
/* Finishes an open item owned by owner (NULL: whoever owns it): state (a
 * finished one, or an open one to move it on), result (JSON text or NULL),
 * media dropped if state is finished. *done = 1 if it happened, 0 if the
 * item was finished already or is another owner's. */
int vigil_work_finish(vigil_store *st, const char *id, const char *owner, const char *state,
		      const char *result, int *done);
/* Deletes at most max finished items (done, failed, removed) last updated
 * before before_ms (unix ms), oldest first; *n: how many. Open items are
 * never deleted. One transaction (or part of the caller's). */
int vigil_work_prune(vigil_store *st, int64_t before_ms, size_t max, size_t *n);

/* ---------------------------------------------------------- evidence */

/* What was seen where, what it matched, and what was done about it: the
 * record a live-stream cut or an upload block leaves behind. */
typedef struct vigil_evidence {
	int64_t id;                          /* set by vigil_evidence_add */
	int64_t created_ms;                  /* unix ms; 0 = now */
	char source[VIGIL_TEXT_MAX + 1];     /* stream URL or name, file path */
	double source_seconds;               /* position in the source */
	vigil_pdq hash;                      /* the frame's or image's PDQ */
	int64_t entry_id;                    /* the matched entry */
	char bank[VIGIL_NAME_MAX + 1];       /* its bank */
	int distance;                        /* Hamming distance */
	int variant;                         /* vigil_dihedral, or -1 */
	char action[VIGIL_TEXT_MAX + 1];     /* what was done, and its result */
} vigil_evidence;

/* Stores ev (its id and, if 0, created_ms are filled in). Committed when
 * this returns. */
int vigil_evidence_add(vigil_store *st, vigil_evidence *ev);
/* Evidence with id > since_id, oldest first, at most max rows. *out is
 * owned by the caller: free() it. */
int vigil_evidence_list(vigil_store *st, int64_t since_id, size_t max,
			vigil_evidence **out, size_t *n);

/* ------------------------------------------- edits for the service */

/* Renames a bank (its entries, id and settings stay). VIGIL_ENOENT if
 * there is no bank `name`, VIGIL_EEXIST if `new_name` is taken, VIGIL_EINVAL
 * for a bad name. A running matcher keeps reporting the old name in
 * vigil_match.bank: map matches by bank_id. */
int vigil_bank_rename(vigil_store *st, const char *name, const char *new_name);
/* Replaces an entry's metadata (a JSON object text, or "" for none; at
 * most VIGIL_META_MAX bytes). VIGIL_ENOENT if there is no such entry. */
int vigil_entry_set_metadata(vigil_store *st, int64_t id, const char *metadata);
/* How many entries of one type the enabled banks hold, and when the newest
 * was added (unix seconds, -1 if none): what a matcher loaded from this
 * store matches, when it is kept current. */
int vigil_entry_type_stats(vigil_store *st, int type, int64_t *count,
			   int64_t *newest);

#endif
