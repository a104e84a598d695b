/* work.h — shared work of several `vigil serve` instances on one store
 * (work.c): video jobs and watched streams, each held by one instance
 * under a lease ("work:" + id, work_lease or stream_lease seconds) that a keeper thread
 * renews, and taken over by a survivor once a dead holder's lease
 * expired (vigil/store.h "shared work"). */
#ifndef VIGIL_SERVER_WORK_H
#define VIGIL_SERVER_WORK_H

#include "server_int.h"

/* One kind of item: what to do with an item this instance took over, and
 * when it stops being this instance's. Both are called from the keeper
 * thread, without its lock held. */
typedef struct srv_work_kind {
	const char *kind; /* "video", "stream" */
	/* w is now this instance's (lease held, claimed): 0 if taken in
	 * hand, else its lease is given back at once. ctx/st: the keeper's,
	 * for this call only. */
	int (*adopt)(srv *s, vigil_ctx *ctx, vigil_store *st, const vigil_work *w);
	/* id is no longer this instance's: its lease went to another
	 * instance, or it was finished through another instance. */
	void (*lost)(srv *s, const char *id);
	/* 1: held under stream_lease (seconds), else work_lease. */
	int short_lease;
} srv_work_kind;

/* Before srv_work_start (at most 4 kinds). */
void srv_work_register(const srv_work_kind *k);
int srv_work_start(srv *s, char *err, size_t errcap);
/* Stops the keeper and gives back every lease still held, so a
 * surviving instance takes the items over at once. */
void srv_work_stop(srv *s);

/* Takes the lease of a new item id of kind for this instance and keeps
 * it renewed: 1, or 0 if another instance holds it or the store failed.
 * ctx/st: the caller's. */
int srv_work_take(srv *s, vigil_ctx *ctx, vigil_store *st, const char *kind,
		  const char *id);
/* Stops renewing id and gives its lease back (after its finish). */
void srv_work_drop(srv *s, vigil_ctx *ctx, vigil_store *st, const char *id);
/* Now + the lease of kind (stream_lease or work_lease), unix ms (what a
 * claim records). */
int64_t srv_work_until(srv *s, const char *kind);
/* Whether this instance still holds id. */
int srv_work_held(const char *id);
/* A new random id (a UUID v4, as event ids): VIGIL_EVENT_ID_LEN + 1. */
void srv_work_new_id(char *id, size_t cap);

#endif
