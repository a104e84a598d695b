/* streams.h — the server's live-stream monitor (route_streams.c): one
 * vigil_monitor, started after the matcher is loaded and stopped after the
 * HTTP side has drained. */
#ifndef VIGIL_SERVER_STREAMS_H
#define VIGIL_SERVER_STREAMS_H

#include "http.h"

#include <stddef.h>

/* Starts the monitor on s->matcher (evidence into s->cfg.db); 0, or -1
 * with a message in err. */
int srv_streams_start(srv *s, char *err, size_t errcap);
/* Stops every stream, writes queued evidence (up to 5 s), frees it. */
void srv_streams_stop(srv *s);

#endif
