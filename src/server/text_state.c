/* text_state.c — POST /v1/text's grooming state per (conversation,
 * author): a bounded cache in memory over the store's groom_state table,
 * evicted by age.
 *
 * Memory: a set-associative table (TEXT_BUCKETS x TEXT_WAYS ways of 80
 * bytes: the 16-byte pair key, the last message time, the 56-byte
 * vigil_groom_state); a new pair takes an empty way of its bucket, an
 * expired one, or the least recently seen, whose state stays in the store.
 * Store: one row per pair (key, seen, the 60-byte packed state), written
 * in the request's own transaction (with its audit row and any case), so
 * a kill -9 loses no scored message and a restart resumes every pair: the
 * risk goes on from its aggregates and an alert already raised is not
 * raised again. Pairs whose last message is older than text_state_max_age
 * are evicted from both, the store swept at most once a clock minute.
 *
 * The clock is the server's (unix seconds), or, with VIGIL_TEST_CLOCK=1 in
 * the server's environment, a message's integer "time" (tests only). */
#include "http.h"
#include "pipeline.h"
#include "server_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TEXT_BUCKETS 4096
#define TEXT_WAYS 8
#define SWEEP_EVERY 60 /* clock seconds between store sweeps */

typedef struct way {
	uint8_t key[VIGIL_GROOM_KEY_BYTES]; /* all zero: empty */
	int64_t seen;
	vigil_groom_state st;
} way;

static struct {
	pthread_mutex_t mu;
	way *ways;
	int64_t next_sweep;
	int test_clock; /* -1 unknown, 0, 1 */
} G = {.mu = PTHREAD_MUTEX_INITIALIZER, .test_clock = -1};

void srv__groom_state_stop(void)
{
	pthread_mutex_lock(&G.mu);
	free(G.ways);
	G.ways = NULL;
	G.next_sweep = 0;
	pthread_mutex_unlock(&G.mu);
}

int64_t srv_groom_clock(json_t *body)
{
	json_t *t = json_object_get(body, "time");

	if (G.test_clock < 0) {
		const char *e = getenv("VIGIL_TEST_CLOCK");
		G.test_clock = e && !strcmp(e, "1");
	}
	if (G.test_clock && json_is_integer(t))
		return (int64_t)json_integer_value(t);
	return (int64_t)time(NULL);
}

static int is_empty(const way *w)
{
	static const uint8_t zero[VIGIL_GROOM_KEY_BYTES];

	return !memcmp(w->key, zero, sizeof(zero));
}

static way *bucket_of(const uint8_t *key)
{
	uint32_t h;

	memcpy(&h, key, sizeof(h));
	return &G.ways[(size_t)(h % TEXT_BUCKETS) * TEXT_WAYS];
}

int srv_groom_state_get(vigil_store *st, int64_t max_age, const char *conv,
			const char *author, int64_t now, srv_groom_pair *p)
{
	way *b;
	int64_t seen = 0;
	size_t k;
	int rc, found = 0;

	memset(p, 0, sizeof(*p));
	vigil_groom_pair_key(conv, author, p->key);
	pthread_mutex_lock(&G.mu);
	if (!G.ways && !(G.ways = calloc((size_t)TEXT_BUCKETS * TEXT_WAYS, sizeof(way)))) {
		pthread_mutex_unlock(&G.mu);
		return VIGIL_ENOMEM;
	}
	b = bucket_of(p->key);
	for (k = 0; k < TEXT_WAYS; k++)
		if (!memcmp(b[k].key, p->key, sizeof(p->key))) {
			if (b[k].seen >= now - max_age) {
				p->st = b[k].st;
				found = 1;
			}
			break;
		}
	pthread_mutex_unlock(&G.mu);
	if (found)
		return VIGIL_OK;
	/* not in memory: the store has it if it was pushed out or the server
	 * restarted; an expired row counts as none */
	rc = vigil_groom_state_load(st, p->key, &p->st, &seen);
	if (rc == VIGIL_ENOENT || (!rc && seen < now - max_age)) {
		memset(&p->st, 0, sizeof(p->st));
		rc = VIGIL_OK;
	}
	return rc;
}

int srv_groom_state_put(vigil_store *st, int64_t max_age, const srv_groom_pair *p,
			int64_t now)
{
	int64_t sweep;
	int rc = vigil_groom_state_save(st, p->key, now, &p->st);

	if (rc)
		return rc;
	pthread_mutex_lock(&G.mu);
	sweep = now >= G.next_sweep;
	if (sweep)
		G.next_sweep = now + SWEEP_EVERY;
	pthread_mutex_unlock(&G.mu);
	return sweep ? vigil_groom_state_evict(st, now - max_age, NULL) : VIGIL_OK;
}

void srv_groom_state_keep(const srv_groom_pair *p, int64_t now)
{
	way *b;
	size_t k, slot = 0;

	pthread_mutex_lock(&G.mu);
	if (!G.ways) {
		pthread_mutex_unlock(&G.mu);
		return;
	}
	b = bucket_of(p->key);
	for (k = 0; k < TEXT_WAYS; k++) {
		if (!memcmp(b[k].key, p->key, sizeof(p->key)))
			break;
		/* an empty way first, then an expired or the stalest one */
		if (is_empty(&b[k]) || (!is_empty(&b[slot]) && b[k].seen < b[slot].seen))
			slot = k;
	}
	if (k == TEXT_WAYS)
		k = slot;
	memcpy(b[k].key, p->key, sizeof(p->key));
	/* two messages of one pair at once: the later write wins (a platform
	 * sends a conversation's messages in order) */
	b[k].seen = now;
	b[k].st = p->st;
	pthread_mutex_unlock(&G.mu);
}
