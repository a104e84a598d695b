/* evidence.c — the monitor's evidence queue: stream threads push records
 * and go back to their frames at once; one writer thread, owning its own
 * store connection, writes them oldest first. A write the store refuses
 * (another process holding the write lock past SQLite's busy timeout, a
 * full disk) is retried with backoff until it succeeds: the record stays at
 * the head of the queue meanwhile, so nothing is reordered or dropped. The
 * bound on the queue is the only way to lose a record, and that is counted
 * and reported by the caller. */
#include "stream_int.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#define EVQ_MAX_RETRY_MS 5000 /* the backoff stops doubling here */

struct vigil__evq {
	vigil_ctx *ctx;            /* the writer's: the store reports on it */
	vigil_store *store;        /* used by the writer thread only */
	pthread_t th;
	int started;
	pthread_mutex_t lock;      /* everything below */
	pthread_cond_t more;       /* an item was pushed, or quit */
	pthread_cond_t drained;    /* an item was written */
	vigil__ev_item **ring;     /* cap slots, head..head+n */
	int cap, head, n;
	int quit;
	int retry_ms;              /* first retry delay */
	int64_t stored, lost, retries;
	vigil__evq_emit_fn emit;
	void *user;
};

static void item_free(vigil__ev_item *it)
{
	if (!it)
		return;
	vigil__free(it->url);
	vigil__free(it);
}

/* An absolute CLOCK_REALTIME deadline ms from now, for pthread_cond_timedwait. */
static struct timespec deadline_in(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

static void *writer_main(void *arg)
{
	vigil__evq *q = arg;
	vigil__ev_item *it;
	int delay = q->retry_ms, rc;
	int64_t pending;
	char reason[VIGIL__ERRMSG_MAX + 32];
	struct timespec until;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->n && !q->quit)
			pthread_cond_wait(&q->more, &q->lock);
		if (q->quit)
			break;
		it = q->ring[q->head];
		pthread_mutex_unlock(&q->lock);
		/* The slow part, without the lock: pushes go on meanwhile. */
		rc = vigil_evidence_add(q->store, &it->ev);
		pthread_mutex_lock(&q->lock);
		if (!rc) {
			/* Said before it leaves the queue: once a flush sees
			 * the queue empty, every EVIDENCE event is out. */
			pending = q->n - 1;
			pthread_mutex_unlock(&q->lock);
			q->emit(q->user, VIGIL_MON_EVIDENCE, it, it->ev.id, NULL, 0, pending);
			pthread_mutex_lock(&q->lock);
			q->ring[q->head] = NULL;
			q->head = (q->head + 1) % q->cap;
			q->n--;
			q->stored++;
			pthread_cond_broadcast(&q->drained);
			pthread_mutex_unlock(&q->lock);
			item_free(it);
			delay = q->retry_ms;
			pthread_mutex_lock(&q->lock);
			continue;
		}
		q->retries++;
		pending = q->n;
		pthread_mutex_unlock(&q->lock);
		snprintf(reason, sizeof(reason), "%s", vigil_errmsg(q->ctx));
		if (!reason[0])
			snprintf(reason, sizeof(reason), "%s", vigil_strerror(rc));
		q->emit(q->user, VIGIL_MON_EVIDENCE_RETRY, it, 0, reason, delay, pending);
		pthread_mutex_lock(&q->lock);
		/* Wait out the backoff, waking early only to quit. */
		until = deadline_in(delay);
		while (!q->quit &&
		       pthread_cond_timedwait(&q->more, &q->lock, &until) != ETIMEDOUT)
			;
		delay = delay > EVQ_MAX_RETRY_MS / 2 ? EVQ_MAX_RETRY_MS : 2 * delay;
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int vigil__evq_new(vigil_ctx *ctx, const char *uri, int cap, int retry_ms,
		   vigil__evq_emit_fn emit, void *user, vigil__evq **out)
{
	vigil__evq *q;
	int rc, r;

	*out = NULL;
	q = vigil__calloc(1, sizeof(*q));
	if (!q)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->more, NULL);
	pthread_cond_init(&q->drained, NULL);
	q->cap = cap;
	q->retry_ms = retry_ms;
	q->emit = emit;
	q->user = user;
	q->ring = vigil__calloc((size_t)cap, sizeof(*q->ring));
	if (!q->ring || vigil_ctx_new(&q->ctx)) {
		rc = vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
		goto fail;
	}
	rc = vigil_store_open(q->ctx, uri, &q->store);
	if (rc) {
		vigil__err(ctx, rc, "%s", vigil_errmsg(q->ctx));
		goto fail;
	}
	r = pthread_create(&q->th, NULL, writer_main, q);
	if (r) {
		rc = vigil__err(ctx, VIGIL_EINTERNAL, "cannot start a thread: %s",
				strerror(r));
		goto fail;
	}
	q->started = 1;
	*out = q;
	return VIGIL_OK;
fail:
	vigil__evq_free(q);
	return rc;
}

int vigil__evq_push(vigil__evq *q, vigil__ev_item *it)
{
	pthread_mutex_lock(&q->lock);
	if (q->n == q->cap) {
		pthread_mutex_unlock(&q->lock);
		return VIGIL_ETOOBIG;
	}
	q->ring[(q->head + q->n) % q->cap] = it;
	q->n++;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->lock);
	return VIGIL_OK;
}

void vigil__evq_count_lost(vigil__evq *q)
{
	pthread_mutex_lock(&q->lock);
	q->lost++;
	pthread_mutex_unlock(&q->lock);
}

int64_t vigil__evq_flush(vigil__evq *q, int timeout_ms)
{
	struct timespec until = deadline_in(timeout_ms > 0 ? timeout_ms : 0);
	int64_t n;

	pthread_mutex_lock(&q->lock);
	while (q->n) {
		if (timeout_ms < 0)
			pthread_cond_wait(&q->drained, &q->lock);
		else if (pthread_cond_timedwait(&q->drained, &q->lock, &until) == ETIMEDOUT)
			break;
	}
	n = q->n;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void vigil__evq_stats(vigil__evq *q, int64_t *stored, int64_t *pending,
		      int64_t *lost, int64_t *retries)
{
	pthread_mutex_lock(&q->lock);
	if (stored)
		*stored = q->stored;
	if (pending)
		*pending = q->n;
	if (lost)
		*lost = q->lost;
	if (retries)
		*retries = q->retries;
	pthread_mutex_unlock(&q->lock);
}

void vigil__evq_free(vigil__evq *q)
{
	if (!q)
		return;
	if (q->started) {
		pthread_mutex_lock(&q->lock);
		q->quit = 1;
		pthread_cond_broadcast(&q->more);
		pthread_mutex_unlock(&q->lock);
		pthread_join(q->th, NULL);
	}
	if (q->ring)
		for (; q->n; q->n--, q->head = (q->head + 1) % q->cap)
			item_free(q->ring[q->head]);
	vigil__free(q->ring);
	vigil_store_close(q->store);
	vigil_ctx_free(q->ctx);
	pthread_cond_destroy(&q->drained);
	pthread_cond_destroy(&q->more);
	pthread_mutex_destroy(&q->lock);
	vigil__free(q);
}
