/* stream_int.h — the live-stream monitor behind `vigil stream`: one thread
 * per stream reads it through vigil_vpdq_hash_url (frames sampled every
 * interval), matches each sampled frame against the matcher, and on a match
 * runs the action (an HTTP request, a command) and records evidence.
 *
 * Built into the CLI, on the public API only (plus libcurl for the HTTP
 * action). Events go to standard output as JSON lines, one per line, never
 * interleaved between threads. */
#ifndef VIGIL_STREAM_INT_H
#define VIGIL_STREAM_INT_H

#include "vigil.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define STREAM_MAX 256             /* streams one process watches */
#define STREAM_URL_MAX 2048        /* longest stream URL */
#define STREAM_ACTION_URL_MAX 8192 /* an HTTP action's URL after expansion */
#define STREAM_RESULT_MAX 256      /* an action's result text */

/* What is known about a match when an action runs. All strings are owned by
 * the caller and only read during the call. */
typedef struct stream_hit {
	const char *stream;  /* the stream's URL as given */
	const char *app;     /* first path segment of the URL ("live"), or "" */
	const char *name;    /* the rest of the path, without the query, or "" */
	double seconds;      /* position of the frame since the connection */
	vigil_pdq hash;      /* the frame's PDQ */
	const vigil_match *m;
} stream_hit;

/* The configured action; both may be set (HTTP first). */
typedef struct stream_action {
	const char *http;    /* URL template, or NULL; see stream_expand */
	int http_post;       /* 1: POST a JSON body describing the match */
	const char *exec;    /* program run with VIGIL_* in its environment */
	int timeout_ms;      /* bound on each action */
	volatile int *stop;  /* set on shutdown: abandons an action early */
} stream_action;

/* Expands {stream}, {app}, {name}, {bank}, {entry}, {distance}, {seconds}
 * and {hash} in tmpl, each value percent-encoded (so a stream name cannot
 * add query parameters or path segments). Returns 0, or -1 if the result
 * would not fit in cap or a brace is unknown (message in err). */
int stream_expand(const char *tmpl, const stream_hit *h, char *out, size_t cap,
		  char *err, size_t errcap);

/* Checks an HTTP template without a match: known placeholders, http(s)
 * scheme. Returns 0, or -1 with a message in err. */
int stream_check_http(const char *tmpl, char *err, size_t errcap);

/* Splits a stream URL's path into app and name, as nginx-rtmp names them
 * (rtmp://host/APP/NAME). Empty strings when the URL has no such path. */
void stream_split_url(const char *url, char *app, size_t appcap, char *name,
		      size_t namecap);

/* Runs the actions for h. Writes a short description of what was done and
 * how it went into result ("GET http://... -> 200 '1'; exec ./x -> exit 0").
 * Returns 0 if every action succeeded (HTTP 2xx, exit status 0), else -1.
 * Thread-safe (libcurl must have been initialised by the caller). */
int stream_action_run(const stream_action *a, const stream_hit *h, char *result,
		      size_t cap);

/* The monitor's configuration; the CLI fills it in. */
typedef struct stream_conf {
	vigil_matcher *matcher; /* shared by all threads (read-only queries) */
	vigil_store *store;     /* evidence; used under the monitor's lock */
	int radius;             /* PDQ match radius */
	int min_quality;        /* frames below are not matched */
	double interval;        /* seconds between sampled frames */
	int timeout_ms;         /* a stalled stream is dropped after this */
	int backoff_ms;         /* first reconnection delay (doubles) */
	int max_backoff_ms;     /* ... up to this */
	int cooldown_ms;        /* after an action on a stream, matches are
				   only reported for this long */
	int threads;            /* decoder threads per stream */
	int frame_events;       /* also print a "frame" event per sample */
	int64_t max_pixels;     /* per-frame limits for each stream's ctx */
	int64_t max_side;
	stream_action action;
} stream_conf;

typedef struct stream_mon stream_mon;

/* Starts one thread per URL (urls and conf are kept by reference: they
 * must outlive the monitor). *out is released with stream_mon_stop().
 * Returns 0, or -1 after printing why to stderr. */
int stream_mon_start(const stream_conf *conf, char **urls, int n,
		     volatile int *stop, stream_mon **out);
/* One line per stream on f: state, frames, matches, actions, reconnects. */
void stream_mon_summary(stream_mon *mon, FILE *f);
/* Sets the stop flag, joins every thread and frees the monitor. Returns the
 * number of evidence records that could not be stored. */
int stream_mon_stop(stream_mon *mon);

#endif
