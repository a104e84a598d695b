/* One background thread of vigil serve (the exchange scheduler, the report
 * worker and its heartbeat, the retention sweep, the snapshot writer, the
 * sync follower, the lease keeper, the pipeline and video workers): the lock
 * and wake-up it shares with the module that owns it, and the flag that ends
 * its loop. Each module keeps one in static storage, initialised with
 * SRV_BG_INIT. */
#ifndef VIGIL_SRV_BGTHREAD_H
#define VIGIL_SRV_BGTHREAD_H

#include <pthread.h>

typedef struct {
	pthread_t thread;
	pthread_mutex_t mu; /* the owner's state and stop */
	pthread_cond_t cv;  /* signalled by srv_bg_stop and by the owner's kicks */
	int running;        /* started and not yet joined; the owner's thread only */
	int stop;           /* written under mu; read under it or srv_bg_stopping */
} srv_bg;

#define SRV_BG_INIT {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER}

/* Clears stop and runs fn(arg) on a new thread. 0, or -1 when no thread
 * could be made (nothing started, running stays 0). */
int srv_bg_start(srv_bg *b, void *(*fn)(void *), void *arg);

/* Sets stop, wakes the thread and waits for it to end. Does nothing when it
 * is not running; afterwards it is not, and may be started again. */
void srv_bg_stop(srv_bg *b);

/* Whether srv_bg_stop has asked the thread to end, read without mu (for
 * long loops that look between items). */
static inline int srv_bg_stopping(srv_bg *b)
{
	return __atomic_load_n(&b->stop, __ATOMIC_RELAXED);
}

#endif
