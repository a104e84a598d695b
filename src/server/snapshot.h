/* snapshot.h — the matcher's start-up from, and writes of, the index
 * snapshot (snapshot.c). */
#ifndef VIGIL_SRV_SNAPSHOT_H
#define VIGIL_SRV_SNAPSHOT_H

#include "server_int.h"

/* Makes s->matcher: from the snapshot setting's file when it can be
 * trusted, else from the store (st, its errors on ctx). 0, or -1 with err. */
int srv_snapshot_load(srv *s, vigil_store *st, vigil_ctx *ctx, char *err, size_t errcap);
/* Starts the thread that writes the snapshot (nothing without the
 * setting). */
int srv_snapshot_start(srv *s, char *err, size_t errcap);
/* Writes a last one if the matcher changed, and stops the thread; before
 * the matcher is freed. */
void srv_snapshot_stop(srv *s);

#endif
