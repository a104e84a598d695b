/* session.h — people's sessions on the review page (session.c). */
#ifndef VIGIL_SERVER_SESSION_H
#define VIGIL_SERVER_SESSION_H

#include "http.h"

typedef struct srv_person {
	char name[VIGIL_NAME_MAX + 1];
	unsigned roles;
	char csrf[65];
	uint8_t digest[32];
} srv_person;

/* The request's live session (cookie vigil_session, not ended, not idle
 * for more than session_idle); touched. 0, or -1 if none. */
int srv_session_get(srv_req *r, srv_person *out);
/* The form's csrf field is the session's token. */
int srv_csrf_ok(srv_req *r, const srv_person *p);
/* Checks a password (lockout after 5 failures in a row for 15 min), opens a
 * session and sets its cookie: 0; -1 wrong, -2 locked (err says). */
int srv_login(srv_req *r, const char *name, const char *password, char *err, size_t cap);
void srv_logout(srv_req *r, const srv_person *p);
int srv_cookie(srv_req *r, const char *name, char *out, size_t cap);
void srv_set_cookie(srv_req *r, const char *name, const char *value, int max_age);
/* bytes random bytes as hex into out (2 * bytes + 1). */
void srv_random_hex(char *out, size_t bytes);

#endif
