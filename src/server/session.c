/* session.c — people on the review page: `vigil user add`, logins with
 * lockout, session cookies with an idle timeout, and CSRF tokens.
 *
 * The cookie holds 32 random bytes (hex); the store keeps their SHA-256, so
 * a copy of the database opens no session. Each session has its own CSRF
 * token, sent in every form and compared in constant time. The login form
 * has one too, double-submitted (a cookie and a field). */
#include "session.h"
#include "server_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FAIL 5       /* failed logins in a row before a lockout */
#define LOCK_SECONDS 900 /* how long a lockout lasts */

void srv_random_hex(char *out, size_t bytes)
{
	uint8_t b[64];

	randombytes_buf(b, bytes);
	vigil_hex(b, bytes, out);
	sodium_memzero(b, sizeof(b));
}

/* The value of cookie `name` from the Cookie header into out; 0 if found. */
int srv_cookie(srv_req *r, const char *name, char *out, size_t cap)
{
	const char *h = srv_header(r, "Cookie");
	size_t nl = strlen(name);

	while (h && *h) {
		while (*h == ' ' || *h == ';')
			h++;
		if (!strncmp(h, name, nl) && h[nl] == '=') {
			const char *v = h + nl + 1, *e = strchr(v, ';');
			size_t n = e ? (size_t)(e - v) : strlen(v);
			if (n >= cap)
				return -1;
			memcpy(out, v, n);
			out[n] = '\0';
			return 0;
		}
		h = strchr(h, ';');
	}
	return -1;
}

/* Secure when the request came over TLS (vigil serve speaks plain HTTP;
 * a TLS proxy in front says so with X-Forwarded-Proto). */
void srv_set_cookie(srv_req *r, const char *name, const char *value, int max_age)
{
	const char *proto = srv_header(r, "X-Forwarded-Proto");
	char c[256];

	snprintf(c, sizeof(c), "%s=%s; Path=/review; HttpOnly; SameSite=Strict%s%s", name,
		 value, max_age == 0 ? "; Max-Age=0" : "",
		 proto && !strcmp(proto, "https") ? "; Secure" : "");
	srv_add_header(r, "Set-Cookie", c);
}

static int digest_of(const char *token, uint8_t d[32])
{
	if (strlen(token) != 64)
		return -1;
	crypto_hash_sha256(d, (const unsigned char *)token, 64);
	return 0;
}

int srv_session_get(srv_req *r, srv_person *out)
{
	char tok[80];
	uint8_t d[32];
	vigil_session s;
	vigil_person p;
	vigil_store *st;
	int64_t now = (int64_t)time(NULL);

	memset(out, 0, sizeof(*out));
	if (srv_cookie(r, "vigil_session", tok, sizeof(tok)) || digest_of(tok, d))
		return -1;
	if (!(st = srv_store(r)) || vigil_session_get(st, d, &s) || s.ended ||
	    now - s.last_seen > SRV_CFG(srv_of(r), session_idle) ||
	    vigil_person_get(st, s.name, &p))
		return -1;
	vigil_session_touch(st, d, now);
	snprintf(out->name, sizeof(out->name), "%s", s.name);
	snprintf(out->csrf, sizeof(out->csrf), "%s", s.csrf);
	memcpy(out->digest, d, 32);
	out->roles = p.roles;
	return 0;
}

int srv_csrf_ok(srv_req *r, const srv_person *p)
{
	const char *f = srv_form(r, "csrf");

	return f && strlen(f) == 64 && !sodium_memcmp(f, p->csrf, 64);
}

int srv_login(srv_req *r, const char *name, const char *password, char *err, size_t cap)
{
	vigil_store *st = srv_store(r);
	int64_t now = (int64_t)time(NULL);
	vigil_person p;
	vigil_session s;
	char tok[65];
	json_t *d;
	int ok;

	if (!st) {
		snprintf(err, cap, "the store is unavailable");
		return -1;
	}
	if (vigil_person_get(st, name, &p)) {
		/* The same answer as a wrong password. */
		snprintf(err, cap, "wrong name or password");
		return -1;
	}
	if (p.locked_until > now) {
		snprintf(err, cap, "too many failed logins: locked for %lld s",
			 (long long)(p.locked_until - now));
		return -2;
	}
	ok = !crypto_pwhash_str_verify(p.pwhash, password, strlen(password));
	vigil_person_login_result(st, name, ok, now, MAX_FAIL, LOCK_SECONDS);
	d = json_pack("{s:b}", "ok", ok);
	{
		char *t = d ? json_dumps(d, JSON_COMPACT) : NULL;
		vigil_audit a;
		memset(&a, 0, sizeof(a));
		a.who = name;
		a.role = "person";
		a.action = ok ? "login" : "login.failed";
		a.object = name;
		a.detail = t ? t : "";
		a.source = srv_client_ip(r);
		vigil_audit_append(st, &a);
		free(t);
		json_decref(d);
	}
	if (!ok) {
		snprintf(err, cap, p.failures + 1 >= MAX_FAIL
					   ? "too many failed logins: locked for %d s"
					   : "wrong name or password", LOCK_SECONDS);
		return p.failures + 1 >= MAX_FAIL ? -2 : -1;
	}
	memset(&s, 0, sizeof(s));
	srv_random_hex(tok, 32);
	digest_of(tok, s.digest);
	snprintf(s.name, sizeof(s.name), "%s", name);
	srv_random_hex(s.csrf, 32);
	s.created = now;
	if (vigil_session_add(st, &s)) {
		snprintf(err, cap, "%s", vigil_errmsg(srv_ctx(r)));
		return -1;
	}
	srv_set_cookie(r, "vigil_session", tok, -1);
	sodium_memzero(tok, sizeof(tok));
	return 0;
}

void srv_logout(srv_req *r, const srv_person *p)
{
	vigil_store *st = srv_store(r);

	if (st)
		vigil_session_end(st, p->digest, (int64_t)time(NULL));
	srv_set_cookie(r, "vigil_session", "", 0);
}
