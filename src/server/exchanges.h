/* exchanges.h — the exchange scheduler of `vigil serve`: each enabled
 * exchange is fetched every exchange_interval seconds (with jitter) into
 * the live matcher. */
#ifndef VIGIL_SERVER_EXCHANGES_H
#define VIGIL_SERVER_EXCHANGES_H

#include "server_int.h"

int srv_exchanges_start(srv *s, char *err, size_t errcap);
void srv_exchanges_stop(srv *s);
/* feed_key_file's seed, loaded by srv_exchanges_start (NULL: none set,
 * feed pages go unsigned). */
const uint8_t *srv_feed_seed(void);

#endif
