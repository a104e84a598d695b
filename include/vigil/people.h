/* vigil/people.h — accounts of the people who use the review page, and
 * their sessions (part of vigil.h; do not include directly). Passwords
 * are kept only as an Argon2id hash string (libsodium crypto_pwhash_str);
 * sessions only as the SHA-256 of their cookie. */
#ifndef VIGIL_PEOPLE_H
#define VIGIL_PEOPLE_H

#define VIGIL_PWHASH_MAX 128 /* crypto_pwhash_STRBYTES */

typedef struct vigil_person {
	char name[VIGIL_NAME_MAX + 1];
	unsigned roles;                   /* the service's role bits */
	char pwhash[VIGIL_PWHASH_MAX + 1];
	int failures;                     /* failed logins in a row */
	int64_t locked_until;             /* unix seconds; 0 */
	int64_t created;
} vigil_person;

/* VIGIL_EEXIST if the name is taken; VIGIL_EINVAL for a bad name. */
int vigil_person_add(vigil_store *st, const char *name, unsigned roles,
		     const char *pwhash);
int vigil_person_get(vigil_store *st, const char *name, vigil_person *out);
/* After a login attempt: ok resets the failures; a failure counts, and the
 * max_fail-th in a row locks the account until now + lock_seconds. */
int vigil_person_login_result(vigil_store *st, const char *name, int ok,
			      int64_t now, int max_fail, int64_t lock_seconds);

typedef struct vigil_session {
	uint8_t digest[32];       /* SHA-256 of the cookie value */
	char name[VIGIL_NAME_MAX + 1];
	char csrf[65];            /* the session's form token (hex) */
	int64_t created, last_seen, ended; /* unix seconds; ended 0 = live */
} vigil_session;

int vigil_session_add(vigil_store *st, const vigil_session *s);
/* VIGIL_ENOENT if there is no such session (ended ones are returned). */
int vigil_session_get(vigil_store *st, const uint8_t digest[32], vigil_session *out);
int vigil_session_touch(vigil_store *st, const uint8_t digest[32], int64_t now);
int vigil_session_end(vigil_store *st, const uint8_t digest[32], int64_t now);

/* A reviewer's settings of the protected view, kept with the account (so
 * they follow the person to any browser). */
typedef struct vigil_view_prefs {
	int blur;        /* 0..32 */
	int size;        /* longest side, 32..1024 */
	int sepia;       /* 0 grey, 1 sepia */
	int64_t updated; /* unix seconds */
} vigil_view_prefs;
/* VIGIL_ENOENT if the person never saved any (use the server's defaults). */
int vigil_view_prefs_get(vigil_store *st, const char *name, vigil_view_prefs *out);
/* Saves them (VIGIL_EINVAL out of range). */
int vigil_view_prefs_put(vigil_store *st, const char *name, const vigil_view_prefs *p);

#endif
