/* reports.h — the report worker of `vigil serve` (reports.c): files and
 * retracts CyberTipline reports from the work stored on each report, and
 * raises the deadline alert. */
#ifndef VIGIL_SERVER_REPORTS_H
#define VIGIL_SERVER_REPORTS_H

#include "server_int.h"

int srv_reports_start(srv *s, char *err, size_t errcap);
void srv_reports_stop(srv *s);
/* New work was committed: look now instead of at the next tick. */
void srv_reports_kick(void);
/* Held while a report's work is read and rewritten (routes and worker),
 * so a request made while the worker runs is not overwritten by it. */
void srv_reports_lock(void);
void srv_reports_unlock(void);
/* Asks the worker to do `work` on report id (since = now): the one place
 * work is queued, for the routes and automatic filing. Inside the caller's
 * transaction if one is open. */
int srv_reports_queue(vigil_store *st, int64_t id, int work, int64_t now);

#endif
