/* monitor.c — the public live-stream monitor (vigil/stream.h): one thread
 * per stream connects, samples and hashes frames (vigil_vpdq_hash_url with
 * the sampling interval), matches, acts and queues evidence; it reconnects
 * with exponential backoff when the stream fails or ends. A slow or dead
 * stream only ever blocks its own thread, and the store blocks none (the
 * evidence queue writes from its own thread). Nothing is printed: every
 * happening is an event for the program's callback. */
#include "stream_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MON_MATCH_MAX 16 /* matches looked at per frame (nearest first) */
#define MON_SLEEP_STEP_MS 50

typedef struct mon_stream mon_stream;

struct vigil_monitor {
	vigil_monitor_opts o;       /* a copy, defaults filled in */
	int radius;                 /* what the matcher is asked for */
	vigil__evq *evq;            /* NULL without a store */
	pthread_mutex_t ev_lock;    /* one callback at a time */
	pthread_mutex_t lock;       /* the list and every stream's counters */
	pthread_rwlock_t mlock;     /* o.matcher: read by every query,
				       written by vigil_monitor_set_matcher */
	mon_stream *s[VIGIL_MONITOR_MAX_STREAMS]; /* in the order added */
	int n;
	int reserved;               /* slots of streams being added */
	int64_t next_id;
};

struct mon_stream {
	vigil_monitor *mon;
	int64_t id;
	char *url;               /* owned copy */
	char app[256], name[VIGIL_STREAM_URL_MAX];
	pthread_t th;
	volatile int stop;       /* removal or shutdown */
	vigil_ctx *ctx;          /* this thread's: decoding, hashing, matching */
	stream_action action;    /* the monitor's, with this stream's stop flag */
	vigil_match hits[MON_MATCH_MAX];
	/* Under mon->lock. */
	int state;
	int64_t frames, matches, actions, reconnects;
	int64_t cooldown_until;  /* monotonic ms; no action before */
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

/* The stop flag is also read, as a plain volatile, by FFmpeg's interrupt
 * callback and the actions' wait loops (vigil_video_opts.abort); here it
 * is written and read atomically. */
static int stopping(mon_stream *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
}

static void set_stop(mon_stream *s)
{
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
}

/* Hands ev to the program, stamped, one call at a time. */
static void emit(vigil_monitor *mon, vigil_monitor_event *ev)
{
	if (!mon->o.on_event)
		return;
	pthread_mutex_lock(&mon->ev_lock);
	ev->time_ms = wall_ms();
	mon->o.on_event(mon->o.user, ev);
	pthread_mutex_unlock(&mon->ev_lock);
}

static void stream_event(mon_stream *s, int type, vigil_monitor_event *ev)
{
	ev->type = type;
	ev->stream_id = s->id;
	ev->url = s->url;
	emit(s->mon, ev);
}

/* The evidence writer's events. */
static void on_evq(void *user, int type, const vigil__ev_item *it,
		   int64_t evidence_id, const char *reason, int retry_ms,
		   int64_t pending)
{
	vigil_monitor_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.stream_id = it->stream_id;
	ev.url = it->url;
	ev.seconds = it->ev.source_seconds;
	ev.hash = it->ev.hash;
	ev.match = &it->m;
	ev.evidence_id = evidence_id;
	ev.reason = reason;
	ev.retry_ms = retry_ms;
	ev.pending = pending;
	emit(user, &ev);
}

/* Queues the evidence of an action; never waits for the store. */
static void record(mon_stream *s, const vigil_vpdq_frame *f, const vigil_match *m,
		   const char *result)
{
	vigil_monitor *mon = s->mon;
	vigil__ev_item *it;
	vigil_monitor_event ev;
	int64_t pending = 0;
	size_t len = strlen(s->url) + 1;

	it = vigil__calloc(1, sizeof(*it));
	if (it && (it->url = vigil__malloc(len)) != NULL) {
		memcpy(it->url, s->url, len);
		snprintf(it->ev.source, sizeof(it->ev.source), "%s", s->url);
		it->ev.created_ms = wall_ms(); /* when seen, not when written */
		it->ev.source_seconds = f->seconds;
		it->ev.hash = f->hash;
		it->ev.entry_id = m->entry_id;
		snprintf(it->ev.bank, sizeof(it->ev.bank), "%s", m->bank);
		it->ev.distance = m->distance;
		it->ev.variant = m->variant;
		snprintf(it->ev.action, sizeof(it->ev.action), "%s", result);
		it->m = *m;
		it->stream_id = s->id;
		if (!vigil__evq_push(mon->evq, it))
			return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.reason = it ? "evidence queue full" : "out of memory";
	if (it)
		vigil__free(it->url);
	vigil__free(it);
	vigil__evq_count_lost(mon->evq);
	vigil__evq_stats(mon->evq, NULL, &pending, NULL, NULL);
	ev.seconds = f->seconds;
	ev.hash = f->hash;
	ev.match = m;
	ev.pending = pending;
	stream_event(s, VIGIL_MON_EVIDENCE_LOST, &ev);
}

/* Acts on a match (unless in the cooldown after the last action) and
 * queues the evidence. Called from the stream's thread. */
static void on_match(mon_stream *s, const vigil_vpdq_frame *f, const vigil_match *m)
{
	vigil_monitor *mon = s->mon;
	vigil_monitor_event ev;
	stream_hit hit;
	char result[STREAM_RESULT_MAX];
	int64_t t0;
	int act, arc;

	pthread_mutex_lock(&mon->lock);
	s->matches++;
	act = mono_ms() >= s->cooldown_until;
	pthread_mutex_unlock(&mon->lock);
	memset(&ev, 0, sizeof(ev));
	ev.seconds = f->seconds;
	ev.hash = f->hash;
	ev.match = m;
	ev.acted = act;
	stream_event(s, VIGIL_MON_MATCH, &ev);
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
	arc = stream_action_run(&s->action, &hit, result, sizeof(result));
	pthread_mutex_lock(&mon->lock);
	s->actions++;
	s->cooldown_until = mono_ms() + mon->o.cooldown_ms;
	pthread_mutex_unlock(&mon->lock);
	memset(&ev, 0, sizeof(ev));
	ev.seconds = f->seconds;
	ev.hash = f->hash;
	ev.match = m;
	ev.ok = !arc;
	ev.ms = mono_ms() - t0;
	ev.result = result;
	stream_event(s, VIGIL_MON_ACTION, &ev);
	if (mon->evq)
		record(s, f, m, result);
}

/* vPDQ callback: one sampled frame. Non-zero stops the stream. */
static int on_frame(void *user, const vigil_vpdq_frame *f)
{
	mon_stream *s = user;
	vigil_monitor *mon = s->mon;
	vigil_monitor_event ev;
	size_t found = 0, k;
	int rc, connected;

	if (stopping(s))
		return 1;
	pthread_mutex_lock(&mon->lock);
	connected = s->state != VIGIL_STREAM_CONNECTED;
	s->state = VIGIL_STREAM_CONNECTED;
	s->frames++;
	pthread_mutex_unlock(&mon->lock);
	memset(&ev, 0, sizeof(ev));
	if (connected)
		stream_event(s, VIGIL_MON_CONNECTED, &ev);
	ev.seconds = f->seconds;
	ev.hash = f->hash;
	stream_event(s, VIGIL_MON_FRAME, &ev);
	if (f->quality < mon->o.min_quality)
		return 0;
	pthread_rwlock_rdlock(&mon->mlock);
	rc = vigil_matcher_pdq(mon->o.matcher, s->ctx, &f->hash, f->dihedral,
			       mon->radius, s->hits, MON_MATCH_MAX, &found);
	pthread_rwlock_unlock(&mon->mlock);
	if (rc) {
		memset(&ev, 0, sizeof(ev));
		ev.seconds = f->seconds;
		ev.reason = vigil_errmsg(s->ctx);
		stream_event(s, VIGIL_MON_ERROR, &ev);
		return 0;
	}
	/* The nearest match acts; the others are reported with it. */
	for (k = 0; k < found && k < MON_MATCH_MAX && !stopping(s); k++)
		on_match(s, f, &s->hits[k]);
	return 0;
}

/* Sleeps ms, waking early on stop. */
static void nap(mon_stream *s, int ms)
{
	while (ms > 0 && !stopping(s)) {
		int step = ms < MON_SLEEP_STEP_MS ? ms : MON_SLEEP_STEP_MS;
		usleep((useconds_t)step * 1000);
		ms -= step;
	}
}

static void *stream_main(void *arg)
{
	mon_stream *s = arg;
	vigil_monitor *mon = s->mon;
	const vigil_monitor_opts *o = &mon->o;
	vigil_monitor_event ev;
	vigil_video_opts vo;
	char reason[sizeof(s->last_error)];
	int backoff = o->backoff_ms, rc, was;
	int64_t frames_before;

	memset(&vo, 0, sizeof(vo));
	vo.interval = o->interval;
	vo.timeout_ms = o->timeout_ms;
	vo.threads = o->threads;
	vo.abort = &s->stop;
	vo.decode = o->decode;
	vo.dihedral = !o->no_dihedral;
	/* A live stream has no end: only the frame numbering bounds it (a
	 * reconnection starts it again). */
	vo.max_seconds = 1e9;
	vo.max_frames = INT32_MAX;
	while (!stopping(s)) {
		pthread_mutex_lock(&mon->lock);
		s->state = VIGIL_STREAM_CONNECTING;
		frames_before = s->frames;
		pthread_mutex_unlock(&mon->lock);
		rc = vigil_vpdq_hash_url(s->ctx, s->url, &vo, on_frame, s);
		if (stopping(s))
			break;
		pthread_mutex_lock(&mon->lock);
		/* A connection that delivered frames resets the backoff. */
		if (s->frames > frames_before)
			backoff = o->backoff_ms;
		snprintf(s->last_error, sizeof(s->last_error), "%s",
			 rc ? vigil_errmsg(s->ctx) : "end of stream");
		snprintf(reason, sizeof(reason), "%s", s->last_error);
		was = s->state == VIGIL_STREAM_CONNECTED;
		s->state = VIGIL_STREAM_WAITING;
		s->reconnects++;
		pthread_mutex_unlock(&mon->lock);
		memset(&ev, 0, sizeof(ev));
		ev.was_connected = was;
		ev.reason = reason;
		ev.retry_ms = backoff;
		stream_event(s, VIGIL_MON_DISCONNECTED, &ev);
		nap(s, backoff);
		backoff = backoff > o->max_backoff_ms / 2 ? o->max_backoff_ms : 2 * backoff;
	}
	return NULL;
}

/* ------------------------------------------------------------- checks */

/* Protocols a stream URL may use (the video subsystem's URL whitelist). */
static const char *const stream_schemes[] = {
	"rtmp", "rtmps", "rtmpt", "rtmpts", "rtmpe", "rtmpte", "rtsp", "http",
	"https", "srt", "udp", "rtp", "tcp", "tls", NULL,
};

int vigil_monitor_check_url(const char *url, char *err, size_t errcap)
{
	const char *p = url ? strstr(url, "://") : NULL;
	int i;

	if (url && strlen(url) > VIGIL_STREAM_URL_MAX) {
		snprintf(err, errcap, "URL longer than %d bytes", VIGIL_STREAM_URL_MAX);
		return -1;
	}
	if (p && p[3] && p[3] != '/')
		for (i = 0; stream_schemes[i]; i++)
			if ((size_t)(p - url) == strlen(stream_schemes[i]) &&
			    !strncmp(url, stream_schemes[i], (size_t)(p - url)))
				return 0;
	snprintf(err, errcap, "'%.200s' is not a stream URL (rtmp://, rtsp://, "
			      "http(s)://, srt://, udp://, rtp://, tcp://)",
		 url ? url : "(null)");
	return -1;
}

int vigil_monitor_check_action(const vigil_monitor_action *a, char *err,
			       size_t errcap)
{
	if (a->http && stream_check_http(a->http, err, errcap))
		return -1;
	if (a->http_post && !a->http) {
		snprintf(err, errcap, "http_post needs an http URL");
		return -1;
	}
	if (a->exec && !a->exec[0]) {
		snprintf(err, errcap, "empty program name");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ lifetime */

int vigil_monitor_new(vigil_ctx *ctx, const vigil_monitor_opts *opts,
		      vigil_monitor **out)
{
	vigil_monitor *mon;
	vigil_monitor_opts *o;
	char err[200];
	int rc;

	if (!out)
		return vigil__err(ctx, VIGIL_EINVAL, "NULL argument");
	*out = NULL;
	if (!opts || !opts->matcher)
		return vigil__err(ctx, VIGIL_EINVAL, "monitor: no matcher");
	if (vigil_monitor_check_action(&opts->action, err, sizeof(err)))
		return vigil__err(ctx, VIGIL_EINVAL, "monitor: action: %s", err);
	if (!(opts->interval >= 0) || opts->interval > 3600 || opts->radius < -1 ||
	    opts->radius > VIGIL_INDEX_MAX_RADIUS || opts->timeout_ms < 0 ||
	    opts->backoff_ms < 0 || opts->max_backoff_ms < 0 || opts->cooldown_ms < 0 ||
	    opts->threads < 0 || opts->max_pixels < 0 || opts->max_side < 0 ||
	    opts->action.timeout_ms < 0 || opts->evidence_queue < 0 ||
	    opts->evidence_retry_ms < 0 || opts->decode < 0 ||
	    opts->decode >= VIGIL__DECODE_END)
		return vigil__err(ctx, VIGIL_EINVAL, "monitor: option out of range");
	mon = vigil__calloc(1, sizeof(*mon));
	if (!mon)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	pthread_mutex_init(&mon->lock, NULL);
	pthread_mutex_init(&mon->ev_lock, NULL);
	pthread_rwlock_init(&mon->mlock, NULL);
	mon->o = *opts;
	o = &mon->o;
	mon->radius = o->radius == VIGIL_RADIUS_EXACT ? 0
		      : o->radius	    ? o->radius
					    : VIGIL_DEFAULT_RADIUS;
	if (!o->timeout_ms)
		o->timeout_ms = 10000;
	if (!o->backoff_ms)
		o->backoff_ms = 500;
	if (!o->max_backoff_ms)
		o->max_backoff_ms = 30000;
	if (o->max_backoff_ms < o->backoff_ms)
		o->backoff_ms = o->max_backoff_ms;
	if (!o->threads)
		o->threads = 1;
	if (!o->max_pixels)
		o->max_pixels = 3840 * 2160;
	if (!o->max_side)
		o->max_side = VIGIL_DEFAULT_MAX_SIDE;
	if (!o->action.timeout_ms)
		o->action.timeout_ms = 5000;
	if (!o->evidence_queue)
		o->evidence_queue = VIGIL_EVIDENCE_QUEUE_DEFAULT;
	if (!o->evidence_retry_ms)
		o->evidence_retry_ms = 100;
	mon->next_id = 1;
	if (o->store) {
		rc = vigil__evq_new(ctx, o->store, o->evidence_queue,
				    o->evidence_retry_ms, on_evq, mon, &mon->evq);
		if (rc) {
			vigil_monitor_free(mon);
			return rc;
		}
	}
	*out = mon;
	return VIGIL_OK;
}

static void stream_free(mon_stream *s)
{
	if (!s)
		return;
	vigil_ctx_free(s->ctx);
	vigil__free(s->url);
	vigil__free(s);
}

int vigil_monitor_add(vigil_monitor *mon, vigil_ctx *ctx, const char *url,
		      int64_t *id)
{
	const vigil_monitor_opts *o;
	vigil_monitor_event ev;
	mon_stream *s;
	char err[300];
	size_t len;
	int r, rc;

	if (!mon || !url || !id)
		return vigil__err(ctx, VIGIL_EINVAL, "NULL argument");
	o = &mon->o;
	if (vigil_monitor_check_url(url, err, sizeof(err)))
		return vigil__err(ctx, VIGIL_EINVAL, "%s", err);
	len = strlen(url) + 1;
	s = vigil__calloc(1, sizeof(*s));
	if (!s || !(s->url = vigil__malloc(len)) || vigil_ctx_new(&s->ctx)) {
		stream_free(s);
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	}
	memcpy(s->url, url, len);
	s->mon = mon;
	stream_split_url(url, s->app, sizeof(s->app), s->name, sizeof(s->name));
	s->action.http = o->action.http;
	s->action.http_post = o->action.http_post;
	s->action.exec = o->action.exec;
	s->action.timeout_ms = o->action.timeout_ms;
	s->action.stop = &s->stop;
	if (vigil_ctx_set_limit(s->ctx, VIGIL_LIMIT_MAX_PIXELS, o->max_pixels) ||
	    vigil_ctx_set_limit(s->ctx, VIGIL_LIMIT_MAX_SIDE, o->max_side)) {
		stream_free(s);
		return vigil__err(ctx, VIGIL_EINVAL, "monitor: bad frame limits");
	}
	/* A slot and an id first; STARTED goes out (without the lock, which
	 * the callback may take through vigil_monitor_status) before the
	 * thread can say anything. */
	pthread_mutex_lock(&mon->lock);
	if (mon->n + mon->reserved >= VIGIL_MONITOR_MAX_STREAMS) {
		pthread_mutex_unlock(&mon->lock);
		stream_free(s);
		return vigil__err(ctx, VIGIL_ETOOBIG, "at most %d streams per monitor",
				  VIGIL_MONITOR_MAX_STREAMS);
	}
	s->id = mon->next_id++;
	s->state = VIGIL_STREAM_CONNECTING;
	mon->reserved++;
	pthread_mutex_unlock(&mon->lock);
	memset(&ev, 0, sizeof(ev));
	stream_event(s, VIGIL_MON_STARTED, &ev);
	r = pthread_create(&s->th, NULL, stream_main, s);
	pthread_mutex_lock(&mon->lock);
	mon->reserved--;
	if (r) {
		pthread_mutex_unlock(&mon->lock);
		rc = vigil__err(ctx, VIGIL_EINTERNAL, "cannot start a thread: %s",
				strerror(r));
		stream_event(s, VIGIL_MON_STOPPED, &ev);
		stream_free(s);
		return rc;
	}
	mon->s[mon->n++] = s;
	*id = s->id;
	pthread_mutex_unlock(&mon->lock);
	return VIGIL_OK;
}

/* Stops a stream already taken off the list, waits for it, frees it. */
static void stream_end(mon_stream *s)
{
	vigil_monitor_event ev;

	set_stop(s);
	pthread_join(s->th, NULL);
	memset(&ev, 0, sizeof(ev));
	stream_event(s, VIGIL_MON_STOPPED, &ev);
	stream_free(s);
}

int vigil_monitor_set_matcher(vigil_monitor *mon, vigil_matcher *m,
			      vigil_matcher **old)
{
	vigil_matcher *was;

	if (!mon || !m)
		return VIGIL_EINVAL;
	/* Queries hold the read side for one sample: the swap waits for
	 * those under way, so the old matcher is free of readers after. */
	pthread_rwlock_wrlock(&mon->mlock);
	was = mon->o.matcher;
	mon->o.matcher = m;
	pthread_rwlock_unlock(&mon->mlock);
	if (old)
		*old = was;
	return VIGIL_OK;
}

int vigil_monitor_remove(vigil_monitor *mon, vigil_ctx *ctx, int64_t id)
{
	mon_stream *s = NULL;
	int i;

	if (!mon)
		return vigil__err(ctx, VIGIL_EINVAL, "NULL argument");
	pthread_mutex_lock(&mon->lock);
	for (i = 0; i < mon->n; i++)
		if (mon->s[i]->id == id) {
			s = mon->s[i];
			memmove(&mon->s[i], &mon->s[i + 1],
				(size_t)(mon->n - i - 1) * sizeof(mon->s[0]));
			mon->n--;
			break;
		}
	pthread_mutex_unlock(&mon->lock);
	if (!s)
		return vigil__err(ctx, VIGIL_ENOENT, "no stream %lld", (long long)id);
	stream_end(s);
	return VIGIL_OK;
}

void vigil_monitor_status(vigil_monitor *mon, vigil_stream_status *out,
			  size_t max, size_t *n, vigil_monitor_stats *stats)
{
	int i;

	pthread_mutex_lock(&mon->lock);
	for (i = 0; i < mon->n && (size_t)i < max; i++) {
		mon_stream *s = mon->s[i];
		vigil_stream_status *t = &out[i];
		t->id = s->id;
		snprintf(t->url, sizeof(t->url), "%s", s->url);
		t->state = s->state;
		t->frames = s->frames;
		t->matches = s->matches;
		t->actions = s->actions;
		t->reconnects = s->reconnects;
		snprintf(t->last_error, sizeof(t->last_error), "%s", s->last_error);
	}
	if (n)
		*n = (size_t)mon->n;
	if (stats) {
		memset(stats, 0, sizeof(*stats));
		stats->streams = mon->n;
		if (mon->evq)
			vigil__evq_stats(mon->evq, &stats->evidence_stored,
					 &stats->evidence_pending, &stats->evidence_lost,
					 &stats->evidence_retries);
	}
	pthread_mutex_unlock(&mon->lock);
}

void vigil_monitor_stop(vigil_monitor *mon)
{
	mon_stream *all[VIGIL_MONITOR_MAX_STREAMS];
	int i, n;

	if (!mon)
		return;
	pthread_mutex_lock(&mon->lock);
	n = mon->n;
	memcpy(all, mon->s, (size_t)n * sizeof(all[0]));
	mon->n = 0;
	pthread_mutex_unlock(&mon->lock);
	/* Every flag first, so the threads wind down together. */
	for (i = 0; i < n; i++)
		set_stop(all[i]);
	for (i = 0; i < n; i++)
		stream_end(all[i]);
}

int64_t vigil_monitor_flush(vigil_monitor *mon, int timeout_ms)
{
	return mon && mon->evq ? vigil__evq_flush(mon->evq, timeout_ms) : 0;
}

void vigil_monitor_free(vigil_monitor *mon)
{
	if (!mon)
		return;
	vigil_monitor_stop(mon);
	vigil__evq_free(mon->evq);
	pthread_mutex_destroy(&mon->ev_lock);
	pthread_mutex_destroy(&mon->lock);
	pthread_rwlock_destroy(&mon->mlock);
	vigil__free(mon);
}
