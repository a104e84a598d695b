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

#endif
