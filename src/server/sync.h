/* sync.h — following bank changes made by other instances (sync.c). */
#ifndef VIGIL_SRV_SYNC_H
#define VIGIL_SRV_SYNC_H

#include "server_int.h"

/* Before the matcher loads: remembers where the change log stands (a
 * no-op on SQLite). 0, or -1 with err. */
int srv_sync_open(srv *s, char *err, size_t errcap);
/* After it loaded: applies every later change, from a thread. */
int srv_sync_start(srv *s, char *err, size_t errcap);
/* Before the matcher is freed. */
void srv_sync_stop(srv *s);
/* 1 once the index has caught up with the change log's head as it was
 * when the thread started (always 1 on SQLite): GET /readyz waits for it. */
int srv_sync_ready(void);

/* Leases for work only one instance may do at a time (the audit
 * checkpoint tick, exchange rounds, pruning the change log): 1 if this
 * instance holds (took or renewed) the lease name for ttl_ms on st (ctx:
 * st's), 0 if another instance does or the store failed (logged). On
 * SQLite always 1. */
int srv_lease(srv *s, vigil_ctx *ctx, vigil_store *st, const char *name,
	      int64_t ttl_ms);
/* This instance's name as a lease owner (host:pid:start time). */
const char *srv_lease_owner(void);

#endif
