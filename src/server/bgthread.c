/* Start and stop of serve's background threads (bgthread.h). */
#include "bgthread.h"

int srv_bg_start(srv_bg *b, void *(*fn)(void *), void *arg)
{
	__atomic_store_n(&b->stop, 0, __ATOMIC_RELAXED);
	if (pthread_create(&b->thread, NULL, fn, arg))
		return -1;
	b->running = 1;
	return 0;
}

void srv_bg_stop(srv_bg *b)
{
	if (!b->running)
		return;
	pthread_mutex_lock(&b->mu);
	__atomic_store_n(&b->stop, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->thread, NULL);
	b->running = 0;
}
