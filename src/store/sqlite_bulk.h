/* sqlite_bulk.h — the SQLite bulk import's sorter (src/store/sqlite_bulk.c):
 * staged rows sorted in key order in bounded memory, spilled as sorted runs
 * to one unlinked temporary file, merged back and read by SQLite through
 * the eponymous virtual table vigil_bulk, so a flush is one INSERT … SELECT
 * with no staging B-tree and no SQLite sort. Internal to src/store. */
#ifndef VIGIL_STORE_SQLITE_BULK_H
#define VIGIL_STORE_SQLITE_BULK_H

#include "store.h"

#include <sqlite3.h>

typedef struct vigil__bulk vigil__bulk;

/* Bytes of rows sorted in memory at once, and runs merged at once, for
 * sorters made from now on (tests lower them to reach the spill and
 * multi-pass merge paths with small lists). */
extern size_t vigil__bulk_chunk_bytes;
extern size_t vigil__bulk_fanin;

/* A new, empty sorter (NULL: out of memory). Owned by the caller:
 * vigil__bulk_free. */
vigil__bulk *vigil__bulk_new(void);
/* Queues r for bank_id. VIGIL_OK, VIGIL_ENOMEM, or VIGIL_EIO (the spill
 * file; errno says why). */
int vigil__bulk_add(vigil__bulk *b, int64_t bank_id, const vigil__rec *r);
/* Rows queued so far. */
uint64_t vigil__bulk_count(const vigil__bulk *b);
/* Ends the queueing: the rows are then read once, in (bank_id, type,
 * value) order, each key once (the first queued of equal keys), by a
 * SELECT on vigil_bulk. VIGIL_OK, VIGIL_ENOMEM or VIGIL_EIO. */
int vigil__bulk_finish(vigil__bulk *b);
/* Frees b and its temporary file (NULL: no-op). */
void vigil__bulk_free(vigil__bulk *b);
/* Makes vigil_bulk known on db; it reads whatever sorter *slot holds when
 * a statement starts (no rows while *slot is NULL or not finished). slot
 * must outlive db. */
int vigil__bulk_register(sqlite3 *db, vigil__bulk **slot);

#endif
