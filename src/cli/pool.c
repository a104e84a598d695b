/* pool.c — a parallel map over a file list whose results come out in input
 * order: workers take files in turn; the calling thread emits results as
 * soon as the next one in order is ready. At most POOL_WINDOW results are
 * held, whatever the number of files. */
#include "cli.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define POOL_WINDOW 1024
#define POOL_MAX_JOBS 256

typedef struct pool {
	const cli_pool_spec *spec;
	unsigned char *ring;  /* POOL_WINDOW results of spec->result_size */
	char *done;           /* POOL_WINDOW ready flags */
	size_t next;          /* next file to hand out */
	size_t emitted;       /* results emitted so far */
	pthread_mutex_t mu;
	pthread_cond_t cv;
} pool;

static void *slot(pool *p, size_t i)
{
	return p->ring + (i % POOL_WINDOW) * p->spec->result_size;
}

static void *worker(void *arg)
{
	pool *p = arg;
	const cli_pool_spec *s = p->spec;
	vigil_ctx *ctx = NULL;

	if (vigil_ctx_new(&ctx) == 0) {
		vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_BYTES, s->max_bytes);
		vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_PIXELS, s->max_pixels);
	}
	for (;;) {
		size_t i;
		pthread_mutex_lock(&p->mu);
		while (p->next < s->files->n && p->next >= p->emitted + POOL_WINDOW)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->next >= s->files->n) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		i = p->next++;
		pthread_mutex_unlock(&p->mu);
		memset(slot(p, i), 0, s->result_size);
		s->work(s->user, ctx, s->files->paths[i], slot(p, i));
		pthread_mutex_lock(&p->mu);
		p->done[i % POOL_WINDOW] = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	vigil_ctx_free(ctx);
	return NULL;
}

int cli_pool_run(const cli_pool_spec *s)
{
	pool p;
	pthread_t th[POOL_MAX_JOBS];
	cli_progress prog;
	int nth, i, failed = 0, jobs = s->jobs;

	memset(&p, 0, sizeof(p));
	p.spec = s;
	p.ring = calloc(POOL_WINDOW, s->result_size);
	p.done = calloc(POOL_WINDOW, 1);
	if (!p.ring || !p.done) {
		cli_err("vigil: out of memory\n");
		free(p.ring);
		free(p.done);
		return -1;
	}
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	if (jobs > POOL_MAX_JOBS)
		jobs = POOL_MAX_JOBS;
	if ((size_t)jobs > s->files->n)
		jobs = s->files->n ? (int)s->files->n : 1;
	for (nth = 0; nth < jobs; nth++)
		if (pthread_create(&th[nth], NULL, worker, &p))
			break;
	if (!nth) {
		cli_err("vigil: cannot start a thread\n");
		failed = -1;
		goto out;
	}
	cli_progress_init(&prog, s->files->n, s->progress);
	pthread_mutex_lock(&p.mu);
	while (p.emitted < s->files->n) {
		size_t i = p.emitted;
		int bad;
		if (!p.done[i % POOL_WINDOW]) {
			pthread_cond_wait(&p.cv, &p.mu);
			continue;
		}
		pthread_mutex_unlock(&p.mu);
		if (prog.on)
			fputs("\r\033[K", stderr);
		bad = s->emit(s->user, s->files->paths[i], slot(&p, i));
		failed += bad != 0;
		cli_progress_tick(&prog, bad);
		pthread_mutex_lock(&p.mu);
		p.done[i % POOL_WINDOW] = 0;
		p.emitted++;
		pthread_cond_broadcast(&p.cv);
	}
	pthread_mutex_unlock(&p.mu);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	cli_progress_end(&prog);
out:
	fflush(stdout);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
	free(p.ring);
	free(p.done);
	return failed;
}
