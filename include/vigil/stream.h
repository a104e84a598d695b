/* vigil/stream.h — the live-stream monitor (part of vigil.h; do not include
 * directly).
 *
 * A monitor watches live streams (RTMP, RTSP, HTTP, SRT, ...): one thread
 * per stream reads it with vigil_vpdq_hash_url, matches every sampled frame
 * against a matcher, runs the configured action on a match (an HTTP request
 * through libcurl, a program) and records evidence in a store. Streams are
 * added and removed by id while it runs. It prints nothing: everything it
 * does reaches the program as events through one callback, which `vigil
 * stream` turns into JSON lines and a server into webhooks, logs, metrics.
 *
 * Evidence never waits for the store: it is queued in memory (bounded) and
 * written by the monitor's own writer thread, on its own store connection,
 * which retries with backoff until the store accepts it (a bank import
 * holding the write lock for minutes delays evidence, never loses it, and
 * never stalls a stream). See docs/streams.md. */
#ifndef VIGIL_STREAM_H
#define VIGIL_STREAM_H

#define VIGIL_MONITOR_MAX_STREAMS 256  /* streams one monitor watches */
#define VIGIL_STREAM_URL_MAX 2048      /* longest stream URL (bytes) */
#define VIGIL_ACTION_RESULT_MAX 256    /* an action's result text */
#define VIGIL_EVIDENCE_QUEUE_DEFAULT 1024 /* evidence records held in memory */

typedef struct vigil_monitor vigil_monitor;

/* What to do on a match; both may be set (HTTP first). The strings are
 * borrowed: they must outlive the monitor. */
typedef struct vigil_monitor_action {
	const char *http; /* URL template or NULL: {stream} {app} {name} {bank}
			     {entry} {distance} {seconds} {hash}, each value
			     percent-encoded; GET, or POST with http_post */
	int http_post;    /* 1: POST a JSON body describing the match */
	const char *exec; /* program run with VIGIL_* variables describing the
			     match (no arguments; stdout goes to stderr) */
	int timeout_ms;   /* bound on each action (0: 5 s) */
} vigil_monitor_action;

/* Kinds of event. Numbers are only ever appended. */
typedef enum vigil_monitor_event_type {
	VIGIL_MON_STARTED = 0,      /* a stream was added */
	VIGIL_MON_CONNECTED = 1,    /* its first frame of a connection */
	VIGIL_MON_FRAME = 2,        /* a sampled, hashed frame */
	VIGIL_MON_MATCH = 3,        /* a frame matched (acted: the action runs) */
	VIGIL_MON_ACTION = 4,       /* the action ran: ok, ms, result */
	VIGIL_MON_EVIDENCE = 5,     /* an evidence record was stored: evidence_id */
	VIGIL_MON_EVIDENCE_RETRY = 6, /* the store refused a record (reason);
				       retried after retry_ms, nothing lost */
	VIGIL_MON_EVIDENCE_LOST = 7,  /* the queue was full: this record was
				       not kept (reason) */
	VIGIL_MON_ERROR = 8,        /* a frame could not be matched (reason) */
	VIGIL_MON_DISCONNECTED = 9, /* the connection ended (was_connected) or
				       could not be made; retry in retry_ms */
	VIGIL_MON_STOPPED = 10,     /* a stream was removed or the monitor
				       stopped: its thread has ended */
	VIGIL__MON_EVENT_END
} vigil_monitor_event_type;

/* One event. Pointers are valid only during the callback. Fields not named
 * for a type are zero / NULL. */
typedef struct vigil_monitor_event {
	int type;                 /* vigil_monitor_event_type */
	int64_t stream_id;        /* from vigil_monitor_add */
	const char *url;          /* the stream's URL */
	int64_t time_ms;          /* wall clock, unix ms */
	double seconds;           /* FRAME, MATCH, ACTION, EVIDENCE*: position
				     of the frame in the stream */
	vigil_pdq hash;           /* FRAME, MATCH, EVIDENCE*: the frame's PDQ
				     (with its quality) */
	const vigil_match *match; /* MATCH, ACTION, EVIDENCE* */
	int acted;                /* MATCH: 1 if the action runs (not in the
				     stream's cooldown) */
	int ok;                   /* ACTION: every action succeeded */
	int64_t ms;               /* ACTION: how long it took */
	const char *result;       /* ACTION: what was done, how it went */
	int64_t evidence_id;      /* EVIDENCE: the stored record's id */
	int was_connected;        /* DISCONNECTED: 1 if frames had come */
	const char *reason;       /* DISCONNECTED, ERROR, EVIDENCE_RETRY/LOST */
	int retry_ms;             /* DISCONNECTED, EVIDENCE_RETRY */
	int64_t pending;          /* EVIDENCE*: records still queued */
} vigil_monitor_event;

/* Receives every event. Calls are serialised (never two at once), made from
 * the monitor's threads; the callback should be quick (a stream's frames
 * wait for it) and may call vigil_monitor_status, not the other
 * vigil_monitor_* functions. */
typedef void (*vigil_monitor_cb)(void *user, const vigil_monitor_event *ev);

/* Zero-initialise, then set what you need; 0 means the default. */
typedef struct vigil_monitor_opts {
	vigil_matcher *matcher;  /* required; borrowed, queried from every
				    stream thread; must outlive the monitor */
	const char *store;       /* URI of the evidence store (as for
				    vigil_store_open); the monitor opens its own
				    connection. NULL: no evidence is kept */
	int radius;              /* PDQ match radius (0: VIGIL_DEFAULT_RADIUS;
				    VIGIL_RADIUS_EXACT: distance 0 only) */
	int min_quality;         /* frames below are not matched (0: none) */
	double interval;         /* seconds between sampled frames; 0 hashes
				    every frame (`vigil stream` uses 0.5) */
	int timeout_ms;          /* a stalled stream is dropped (0: 10 s) */
	int backoff_ms;          /* first reconnection delay, doubling (0: 500) */
	int max_backoff_ms;      /* ... up to this (0: 30 s) */
	int cooldown_ms;         /* after an action on a stream, matches are
				    only reported for this long (0: none) */
	int threads;             /* decoder threads per stream (0: 1) */
	int64_t max_pixels;      /* per-frame limits (0: 3840x2160, and */
	int64_t max_side;        /*   VIGIL_DEFAULT_MAX_SIDE) */
	vigil_monitor_action action;
	int evidence_queue;      /* records held while the store is busy
				    (0: VIGIL_EVIDENCE_QUEUE_DEFAULT) */
	int evidence_retry_ms;   /* first retry delay, doubling up to 5 s
				    (0: 100 ms) */
	vigil_monitor_cb on_event; /* may be NULL */
	void *user;              /* passed to on_event */
	int decode;              /* vigil_video_decode: what is decoded
				    (0: every frame; `vigil stream` and vigil
				    serve default to VIGIL_DECODE_NONREF) */
	int no_dihedral;         /* 1: match samples as they are only; by
				    default their rotated and mirrored copies
				    match too (a mirrored webcam) */
} vigil_monitor_opts;

/* Checks a stream URL (scheme we read, length) and an action (known
 * placeholders, http(s) scheme) before a monitor sees them. Return 0, or -1
 * with a message in err. */
int vigil_monitor_check_url(const char *url, char *err, size_t errcap);
int vigil_monitor_check_action(const vigil_monitor_action *a, char *err,
			       size_t errcap);

/* Makes a monitor watching nothing yet: opens the evidence store and starts
 * the evidence writer. opts is copied (its strings and matcher are
 * borrowed). libcurl must have been initialised (curl_global_init) if an
 * HTTP action is set. Errors on ctx (only used during the call). *out is
 * owned by the caller: vigil_monitor_free(). */
int vigil_monitor_new(vigil_ctx *ctx, const vigil_monitor_opts *opts,
		      vigil_monitor **out);
/* Starts watching url (copied) in a new thread; *id names it from now on.
 * VIGIL_EINVAL for a bad URL, VIGIL_ETOOBIG past
 * VIGIL_MONITOR_MAX_STREAMS, VIGIL_ENOMEM. Thread-safe. */
int vigil_monitor_add(vigil_monitor *mon, vigil_ctx *ctx, const char *url,
		      int64_t *id);
/* Replaces the matcher the streams query (e.g. reopened after the banks
 * changed): every sample matched after this returns uses m. *old (if not
 * NULL) receives the one replaced, which no stream uses any more: the
 * caller may free it. m is borrowed as opts->matcher was. Thread-safe. */
int vigil_monitor_set_matcher(vigil_monitor *mon, vigil_matcher *m,
			      vigil_matcher **old);
/* Stops watching stream id and waits for its thread (an action under way
 * is abandoned); its queued evidence is still written. VIGIL_ENOENT if no
 * such stream. Thread-safe. */
int vigil_monitor_remove(vigil_monitor *mon, vigil_ctx *ctx, int64_t id);

typedef enum vigil_stream_state {
	VIGIL_STREAM_CONNECTING = 0,
	VIGIL_STREAM_CONNECTED = 1,
	VIGIL_STREAM_WAITING = 2, /* before a reconnection */
} vigil_stream_state;

/* A snapshot of one stream. */
typedef struct vigil_stream_status {
	int64_t id;
	char url[VIGIL_STREAM_URL_MAX + 1];
	int state;                /* vigil_stream_state */
	int64_t frames, matches, actions, reconnects;
	char last_error[200];     /* why the last connection ended, or "" */
} vigil_stream_status;

/* A snapshot of the monitor. */
typedef struct vigil_monitor_stats {
	int64_t streams;          /* being watched */
	int64_t evidence_stored;  /* records written */
	int64_t evidence_pending; /* queued, not yet written */
	int64_t evidence_lost;    /* refused because the queue was full */
	int64_t evidence_retries; /* failed writes (each retried) */
} vigil_monitor_stats;

/* Copies up to max streams' status into out (in the order they were
 * added), *n the number of streams; stats (if not NULL) the totals. One
 * consistent snapshot; thread-safe. */
void vigil_monitor_status(vigil_monitor *mon, vigil_stream_status *out,
			  size_t max, size_t *n, vigil_monitor_stats *stats);

/* Stops every stream and waits for their threads; new streams may still be
 * added afterwards. The evidence writer goes on. */
void vigil_monitor_stop(vigil_monitor *mon);
/* Waits up to timeout_ms (< 0: without bound) for the evidence queue to be
 * written. Returns the number of records still pending. */
int64_t vigil_monitor_flush(vigil_monitor *mon, int timeout_ms);
/* Stops everything and frees the monitor. Records still queued are dropped:
 * call vigil_monitor_flush first. A write under way is waited for (at most
 * the store's busy timeout). */
void vigil_monitor_free(vigil_monitor *mon);

#endif
