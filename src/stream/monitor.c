/* monitor.c — one thread per live stream: connect, sample and hash frames
 * (vigil_vpdq_hash_url with the sampling interval), match, act, record;
 * reconnect with exponential backoff when the stream fails or ends. A slow
 * or dead stream only ever blocks its own thread. */
#include "stream_int.h"

#include "../cli/cli.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MON_MATCH_MAX 16 /* matches looked at per frame (nearest first) */
#define MON_SLEEP_STEP_MS 50

typedef struct stream_state stream_state;

struct stream_mon {
	const stream_conf *conf;
	volatile int *stop;
	pthread_mutex_t lock; /* stdout, the store, every stream's counters */
	stream_state *s;
	int n;
	int store_failures;   /* evidence that could not be stored */
};

enum { ST_CONNECTING, ST_CONNECTED, ST_WAITING };

struct stream_state {
	stream_mon *mon;
	const char *url;
	char app[256], name[STREAM_URL_MAX];
	pthread_t th;
	int started;
	vigil_ctx *ctx;       /* this thread's: decoding, hashing, matching */
	vigil_match hits[MON_MATCH_MAX];
	/* Counters and state, under mon->lock. */
	int state;
	int64_t frames, matches, actions, reconnects;
	int64_t cooldown_until; /* monotonic ms; no action before */
	char last_error[200];
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts an event line; the caller holds mon->lock, adds fields and calls
 * event_end. */
static void event_begin(stream_state *s, const char *event)
{
	printf("{\"stream\":");
	cli_json_str(stdout, s->url);
	printf(",\"event\":\"%s\",\"time_ms\":%lld", event, (long long)wall_ms());
}

static void event_end(void)
{
	printf("}\n");
	fflush(stdout);
}

static void set_state(stream_state *s, int state)
{
	pthread_mutex_lock(&s->mon->lock);
	s->state = state;
	pthread_mutex_unlock(&s->mon->lock);
}

/* Acts on a match (unless in the cooldown after the last action) and
 * records the evidence. Called from the stream's thread. */
static void on_match(stream_state *s, const vigil_vpdq_frame *f,
		     const vigil_match *m)
{
	stream_mon *mon = s->mon;
	const stream_conf *c = mon->conf;
	vigil_evidence ev;
	stream_hit hit;
	char result[STREAM_RESULT_MAX], hex[65];
	int64_t now = mono_ms(), t0;
	int act, arc = 0, src = 0;

	vigil_pdq_to_hex(&f->hash, hex);
	pthread_mutex_lock(&mon->lock);
	s->matches++;
	act = now >= s->cooldown_until;
	event_begin(s, "match");
	printf(",\"seconds\":%.3f,\"hash\":\"%s\",\"quality\":%d,\"bank\":", f->seconds,
	       hex, f->quality);
	cli_json_str(stdout, m->bank);
	printf(",\"entry\":%lld,\"distance\":%d,\"acted\":%s", (long long)m->entry_id,
	       m->distance, act ? "true" : "false");
	event_end();
	pthread_mutex_unlock(&mon->lock);
	if (!act)
		return;

	/* The action first: it is what stops the stream. */
	hit.stream = s->url;
	hit.app = s->app;
	hit.name = s->name;
	hit.seconds = f->seconds;
	hit.hash = f->hash;
	hit.m = m;
	t0 = mono_ms();
	arc = stream_action_run(&c->action, &hit, result, sizeof(result));

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.source, sizeof(ev.source), "%s", s->url);
	ev.source_seconds = f->seconds;
	ev.hash = f->hash;
	ev.entry_id = m->entry_id;
	snprintf(ev.bank, sizeof(ev.bank), "%s", m->bank);
	ev.distance = m->distance;
	ev.variant = m->variant;
	snprintf(ev.action, sizeof(ev.action), "%s", result);

	pthread_mutex_lock(&mon->lock);
	s->actions++;
	s->cooldown_until = mono_ms() + c->cooldown_ms;
	if (c->store) {
		src = vigil_evidence_add(c->store, &ev);
		if (src) {
			mon->store_failures++;
			fprintf(stderr, "vigil stream: %s: evidence not stored: %s\n",
				s->url, vigil_strerror(src));
		}
	}
	event_begin(s, "action");
	printf(",\"ok\":%s,\"ms\":%lld,\"result\":", arc ? "false" : "true",
	       (long long)(mono_ms() - t0));
	cli_json_str(stdout, result);
	if (c->store && !src)
		printf(",\"evidence\":%lld", (long long)ev.id);
	event_end();
	pthread_mutex_unlock(&mon->lock);
}

/* vPDQ callback: one sampled frame. Non-zero stops the stream (shutdown). */
static int on_frame(void *user, const vigil_vpdq_frame *f)
{
	stream_state *s = user;
	stream_mon *mon = s->mon;
	const stream_conf *c = mon->conf;
	size_t found = 0, k;
	int rc;

	if (*mon->stop)
		return 1;
	pthread_mutex_lock(&mon->lock);
	if (s->state != ST_CONNECTED) {
		s->state = ST_CONNECTED;
		event_begin(s, "connected");
		event_end();
	}
	s->frames++;
	if (c->frame_events) {
		char hex[65];
		vigil_pdq_to_hex(&f->hash, hex);
		event_begin(s, "frame");
		printf(",\"seconds\":%.3f,\"hash\":\"%s\",\"quality\":%d", f->seconds,
		       hex, f->quality);
		event_end();
	}
	pthread_mutex_unlock(&mon->lock);
	if (f->quality < c->min_quality)
		return 0;
	rc = vigil_matcher_pdq(c->matcher, s->ctx, &f->hash, NULL, c->radius, s->hits,
			       MON_MATCH_MAX, &found);
	if (rc) {
		pthread_mutex_lock(&mon->lock);
		event_begin(s, "error");
		printf(",\"error\":");
		cli_json_str(stdout, vigil_errmsg(s->ctx));
		event_end();
		pthread_mutex_unlock(&mon->lock);
		return 0;
	}
	/* The nearest match acts; the others are reported with it. */
	for (k = 0; k < found && k < MON_MATCH_MAX; k++)
		on_match(s, f, &s->hits[k]);
	return 0;
}

/* Sleeps ms, waking early on shutdown. */
static void nap(stream_mon *mon, int ms)
{
	while (ms > 0 && !*mon->stop) {
		int step = ms < MON_SLEEP_STEP_MS ? ms : MON_SLEEP_STEP_MS;
		usleep((useconds_t)step * 1000);
		ms -= step;
	}
}

static void *stream_main(void *arg)
{
	stream_state *s = arg;
	stream_mon *mon = s->mon;
	const stream_conf *c = mon->conf;
	vigil_video_opts vo;
	int backoff = c->backoff_ms, rc;
	int64_t frames_before;

	memset(&vo, 0, sizeof(vo));
	vo.interval = c->interval;
	vo.timeout_ms = c->timeout_ms;
	vo.threads = c->threads;
	vo.abort = mon->stop;
	/* A live stream has no end: only the frame numbering bounds it (a
	 * reconnection starts it again). */
	vo.max_seconds = 1e9;
	vo.max_frames = INT32_MAX;
	while (!*mon->stop) {
		set_state(s, ST_CONNECTING);
		pthread_mutex_lock(&mon->lock);
		frames_before = s->frames;
		pthread_mutex_unlock(&mon->lock);
		rc = vigil_vpdq_hash_url(s->ctx, s->url, &vo, on_frame, s);
		if (*mon->stop)
			break;
		pthread_mutex_lock(&mon->lock);
		/* A connection that delivered frames resets the backoff. */
		if (s->frames > frames_before)
			backoff = c->backoff_ms;
		snprintf(s->last_error, sizeof(s->last_error), "%s",
			 rc ? vigil_errmsg(s->ctx) : "end of stream");
		event_begin(s, s->state == ST_CONNECTED ? "disconnected" : "error");
		printf(",\"reason\":");
		cli_json_str(stdout, s->last_error);
		printf(",\"retry_ms\":%d", backoff);
		event_end();
		s->state = ST_WAITING;
		s->reconnects++;
		pthread_mutex_unlock(&mon->lock);
		nap(mon, backoff);
		backoff = backoff > c->max_backoff_ms / 2 ? c->max_backoff_ms : 2 * backoff;
	}
	return NULL;
}

int stream_mon_start(const stream_conf *conf, char **urls, int n,
		     volatile int *stop, stream_mon **out)
{
	stream_mon *mon;
	int i, r;

	*out = NULL;
	mon = calloc(1, sizeof(*mon));
	if (!mon || !(mon->s = calloc((size_t)n, sizeof(*mon->s)))) {
		fprintf(stderr, "vigil stream: out of memory\n");
		free(mon);
		return -1;
	}
	mon->conf = conf;
	mon->stop = stop;
	mon->n = n;
	pthread_mutex_init(&mon->lock, NULL);
	for (i = 0; i < n; i++) {
		stream_state *s = &mon->s[i];
		s->mon = mon;
		s->url = urls[i];
		stream_split_url(urls[i], s->app, sizeof(s->app), s->name, sizeof(s->name));
		if (vigil_ctx_new(&s->ctx) ||
		    vigil_ctx_set_limit(s->ctx, VIGIL_LIMIT_MAX_PIXELS, conf->max_pixels) ||
		    vigil_ctx_set_limit(s->ctx, VIGIL_LIMIT_MAX_SIDE, conf->max_side)) {
			fprintf(stderr, "vigil stream: out of memory\n");
			goto fail;
		}
	}
	for (i = 0; i < n; i++) {
		r = pthread_create(&mon->s[i].th, NULL, stream_main, &mon->s[i]);
		if (r) {
			fprintf(stderr, "vigil stream: cannot start a thread: %s\n",
				strerror(r));
			goto fail;
		}
		mon->s[i].started = 1;
	}
	*out = mon;
	return 0;
fail:
	stream_mon_stop(mon);
	return -1;
}

void stream_mon_summary(stream_mon *mon, FILE *f)
{
	static const char *const names[] = {"connecting", "connected", "waiting"};
	int i;

	pthread_mutex_lock(&mon->lock);
	for (i = 0; i < mon->n; i++) {
		stream_state *s = &mon->s[i];
		fprintf(f, "vigil stream: %s: %s, %lld frames, %lld matches, %lld "
			   "actions, %lld reconnects%s%s\n",
			s->url, names[s->state], (long long)s->frames,
			(long long)s->matches, (long long)s->actions,
			(long long)s->reconnects, s->last_error[0] ? "; last: " : "",
			s->last_error);
	}
	pthread_mutex_unlock(&mon->lock);
}

int stream_mon_stop(stream_mon *mon)
{
	int i, failures;

	if (!mon)
		return 0;
	*mon->stop = 1;
	for (i = 0; i < mon->n; i++)
		if (mon->s[i].started)
			pthread_join(mon->s[i].th, NULL);
	for (i = 0; i < mon->n; i++)
		vigil_ctx_free(mon->s[i].ctx);
	failures = mon->store_failures;
	pthread_mutex_destroy(&mon->lock);
	free(mon->s);
	free(mon);
	return failures;
}
