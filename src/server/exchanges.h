/* exchanges.h — the exchange scheduler of `vigil serve`: each enabled
 * exchange is fetched every exchange_interval seconds (with jitter) into
 * the live matcher. */
#ifndef VIGIL_SERVER_EXCHANGES_H
#define VIGIL_SERVER_EXCHANGES_H

#include "server_int.h"

int srv_exchanges_start(srv *s, char *err, size_t errcap);
void srv_exchanges_stop(srv *s);

#endif
