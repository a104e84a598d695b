/* stream_int.h — the stream subsystem's private interface, behind the
 * public monitor (include/vigil/stream.h, monitor.c): the actions
 * (action.c) and the evidence queue (evidence.c). */
#ifndef VIGIL_STREAM_INT_H
#define VIGIL_STREAM_INT_H

#include "../core/core.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define STREAM_URL_MAX VIGIL_STREAM_URL_MAX
#define STREAM_ACTION_URL_MAX 8192 /* an HTTP action's URL after expansion */
#define STREAM_RESULT_MAX VIGIL_ACTION_RESULT_MAX

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

/* The evidence queue and its writer thread (evidence.c): records are
 * pushed by stream threads without waiting and written by one thread that
 * owns the store connection, retrying with backoff. */
typedef struct vigil__evq vigil__evq;

/* One queued record and what its events say. */
typedef struct vigil__ev_item {
	vigil_evidence ev;   /* what is written */
	vigil_match m;       /* the match, for the events */
	int64_t stream_id;
	char *url;           /* owned: the stream's full URL */
} vigil__ev_item;

/* Called by the writer for EVIDENCE / EVIDENCE_RETRY events. */
typedef void (*vigil__evq_emit_fn)(void *user, int type, const vigil__ev_item *it,
				   int64_t evidence_id, const char *reason,
				   int retry_ms, int64_t pending);

/* Opens the store at uri on a context of its own and starts the writer.
 * Errors on ctx. */
int vigil__evq_new(vigil_ctx *ctx, const char *uri, int cap, int retry_ms,
		   vigil__evq_emit_fn emit, void *user, vigil__evq **out);
/* Queues it (taken over: freed by the queue) unless the queue is full:
 * then returns VIGIL_ETOOBIG and it stays the caller's. */
int vigil__evq_push(vigil__evq *q, vigil__ev_item *it);
/* Waits up to timeout_ms (< 0: forever) for an empty queue; returns what is
 * still pending. */
int64_t vigil__evq_flush(vigil__evq *q, int timeout_ms);
/* Counters (any pointer may be NULL). */
void vigil__evq_stats(vigil__evq *q, int64_t *stored, int64_t *pending,
		      int64_t *lost, int64_t *retries);
/* Counts a record refused by vigil__evq_push as lost. */
void vigil__evq_count_lost(vigil__evq *q);
/* Stops the writer (after a write under way), drops what is queued, closes
 * the store. NULL is a no-op. */
void vigil__evq_free(vigil__evq *q);

#endif
