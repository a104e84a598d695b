/* retention.h — the evidence retention job of `vigil serve`
 * (vigil_retention_sweep every evidence_sweep_interval seconds, and once at
 * start). */
#ifndef VIGIL_SERVER_RETENTION_H
#define VIGIL_SERVER_RETENTION_H

#include "server_int.h"

int srv_retention_start(srv *s, char *err, size_t errcap);
void srv_retention_stop(srv *s);

#endif
