/* deliver.c — webhook delivery from the outbox: signed POSTs with libcurl,
 * retries with exponential backoff and jitter, at least once.
 *
 * Crash safety comes from the order of things: an event row is committed
 * (with whatever caused it) before anything is sent, and is marked
 * delivered only after its receiver answered 2xx. A kill in between sends
 * it again after the restart, with the same event id, so receivers that
 * dedupe by Vigil-Event-Id see it exactly once. */
#include "../store/store.h"
#include "../exchange/exchange_int.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SECRET_MAX 1024

int vigil_webhook_sign(const void *secret, size_t secret_len, int64_t t,
		       const void *body, size_t len, char *out, size_t cap)
{
	unsigned char mac[32];
	unsigned int maclen = 0;
	char ts[24], hex[65];
	size_t tl;
	unsigned char *msg;
	int ok;

	if (!secret || (!body && len) || !out || cap < 80 || secret_len > INT32_MAX)
		return VIGIL_EINVAL;
	snprintf(ts, sizeof(ts), "%lld", (long long)t);
	tl = strlen(ts);
	/* The signed message is T "." body, one buffer for the one-shot HMAC. */
	if (len > SIZE_MAX - tl - 1)
		return VIGIL_ETOOBIG;
	msg = vigil__malloc(tl + 1 + len);
	if (!msg)
		return VIGIL_ENOMEM;
	memcpy(msg, ts, tl);
	msg[tl] = '.';
	if (len)
		memcpy(msg + tl + 1, body, len);
	ok = HMAC(EVP_sha256(), secret, (int)secret_len, msg, tl + 1 + len, mac,
		  &maclen) != NULL;
	vigil__free(msg);
	if (!ok || maclen != 32)
		return VIGIL_EINTERNAL;
	vigil_hex(mac, 32, hex);
	OPENSSL_cleanse(mac, sizeof(mac));
	snprintf(out, cap, "t=%s,v1=%s", ts, hex);
	return VIGIL_OK;
}

/* Resolves a secret reference into buf (NUL-terminated; *len its length).
 * "" = the global secret. Returns 0, or -1 with why in err. */
static int resolve_secret(const char *ref, const char *global, char *buf,
			  size_t cap, size_t *len, char *err, size_t errcap)
{
	const char *v = NULL;

	if (!*ref) {
		v = global;
		if (!v || !*v) {
			snprintf(err, errcap, "no webhook secret configured");
			return -1;
		}
	} else if (!strncmp(ref, "env:", 4)) {
		v = getenv(ref + 4);
		if (!v || !*v) {
			snprintf(err, errcap, "secret %.200s is not set", ref);
			return -1;
		}
	} else if (!strncmp(ref, "file:", 5)) {
		FILE *f = fopen(ref + 5, "r");
		size_t n;
		if (!f) {
			snprintf(err, errcap, "secret %.200s cannot be read", ref);
			return -1;
		}
		n = fread(buf, 1, cap - 1, f);
		fclose(f);
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			n--;
		buf[n] = '\0';
		if (!n) {
			snprintf(err, errcap, "secret %.200s is empty", ref);
			return -1;
		}
		*len = n;
		return 0;
	} else {
		snprintf(err, errcap, "bad secret reference");
		return -1;
	}
	*len = strlen(v);
	if (*len >= cap) {
		snprintf(err, errcap, "secret too long");
		return -1;
	}
	memcpy(buf, v, *len + 1);
	return 0;
}

/* Whether url's host is on the allowlist (exact, case-insensitive; an
 * IPv6 literal without its brackets). Only http and https. */
static int host_allowed(const char *url, const char *const *allow, char *err,
			size_t errcap)
{
	CURLU *u = curl_url();
	char *host = NULL, *scheme = NULL;
	int ok = 0;
	size_t i;

	if (!u)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0)) {
		snprintf(err, errcap, "bad URL");
		goto out;
	}
	if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https")) {
		snprintf(err, errcap, "only http and https");
		goto out;
	}
	{
		const char *h = host;
		size_t hl = strlen(h);
		if (hl > 2 && h[0] == '[' && h[hl - 1] == ']') {
			h++;
			hl -= 2;
		}
		for (i = 0; allow && allow[i]; i++)
			if (strlen(allow[i]) == hl && !strncasecmp(allow[i], h, hl))
				ok = 1;
		if (!ok)
			snprintf(err, errcap, "host %.200s is not in webhook_allow", host);
	}
out:
	curl_free(host);
	curl_free(scheme);
	curl_url_cleanup(u);
	return ok;
}

static size_t discard(char *p, size_t size, size_t n, void *user)
{
	(void)p;
	(void)user;
	return size * n;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One attempt. Returns 1 on a 2xx, 0 on a failure worth retrying, -1 on
 * one that never succeeds (not allowed, no secret); err says why. */
static int post_one(CURL *c, const vigil_event *e, const vigil_deliver_opts *o,
		    char *err, size_t errcap)
{
	char secret[SECRET_MAX + 1], sig[128], hdr[256];
	struct curl_slist *h = NULL, *nh;
	size_t slen = 0, blen = strlen(e->body);
	long status = 0;
	CURLcode cc;
	int rc = 0;

	if (!host_allowed(e->url, o->allow, err, errcap))
		return -1;
	if (resolve_secret(e->secret_ref, o->secret, secret, sizeof(secret), &slen, err,
			   errcap))
		return -1;
	rc = vigil_webhook_sign(secret, slen, (int64_t)time(NULL), e->body, blen, sig,
				sizeof(sig));
	OPENSSL_cleanse(secret, sizeof(secret));
	if (rc) {
		snprintf(err, errcap, "signing failed");
		return 0;
	}
	curl_easy_reset(c);
#define ADD(...)                                                               \
	do {                                                                   \
		snprintf(hdr, sizeof(hdr), __VA_ARGS__);                       \
		if (!(nh = curl_slist_append(h, hdr)))                         \
			goto oom;                                              \
		h = nh;                                                        \
	} while (0)
	ADD("Content-Type: application/json");
	ADD("Vigil-Event-Id: %s", e->event_id);
	ADD("Vigil-Event-Type: %s", e->type);
	ADD("Vigil-Signature: %s", sig);
	ADD("Expect:");
#undef ADD
	curl_easy_setopt(c, CURLOPT_URL, e->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, e->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* A redirect would take the event (and its signature) to a host
	 * the allowlist never saw. */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vigil/" VIGIL_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	cc = curl_easy_perform(c);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	if (cc != CURLE_OK) {
		snprintf(err, errcap, "%s", curl_easy_strerror(cc));
		return 0;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300)
		return 1;
	snprintf(err, errcap, "HTTP %ld", status);
	return 0;
oom:
	curl_slist_free_all(h);
	snprintf(err, errcap, "out of memory");
	return 0;
}

/* The delay before attempt number `attempts` + 1: backoff * 2^(attempts-1)
 * capped, minus up to half of it at random so that receivers coming back
 * are not hit by every sender at once. */
static int64_t retry_delay(const vigil_deliver_opts *o, int attempts)
{
	int64_t d = o->backoff_ms;
	uint32_t r = 0;
	int i;

	for (i = 1; i < attempts && d < o->max_backoff_ms; i++)
		d *= 2;
	if (d > o->max_backoff_ms)
		d = o->max_backoff_ms;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)rand();
	return d - (int64_t)((double)d * 0.5 * (r / 4294967296.0));
}

int vigil_outbox_deliver(vigil_store *st, const vigil_deliver_opts *opts,
			 vigil_deliver_stats *stats)
{
	vigil_deliver_opts o = {0};
	vigil_deliver_stats tmp = {0, 0, 0};
	vigil_event *ev = NULL;
	size_t n = 0, i;
	CURL *c = NULL;
	int rc;

	if (!st)
		return VIGIL_EINVAL;
	if (opts)
		o = *opts;
	if (o.timeout_ms <= 0)
		o.timeout_ms = 10000;
	if (o.backoff_ms <= 0)
		o.backoff_ms = 1000;
	if (o.max_backoff_ms <= 0)
		o.max_backoff_ms = 3600000;
	if (o.max_age_s <= 0)
		o.max_age_s = 86400;
	if (!o.batch)
		o.batch = 32;
	if (!stats)
		stats = &tmp;
	memset(stats, 0, sizeof(*stats));
	if (o.only_url) {
		/* One target's rows, all states: keep the pending ones due. */
		size_t k = 0;
		int64_t t = now_ms();
		rc = NEED_OP(st, outbox_by_url, o.only_url, o.batch, &ev, &n);
		if (!rc)
			rc = vigil__outbox_open(st, rc, &ev, &n);
		for (i = 0; !rc && i < n; i++) {
			if (ev[i].state == VIGIL_OUTBOX_PENDING && ev[i].next_ms <= t) {
				vigil_event tmp_e = ev[k];
				ev[k++] = ev[i];
				ev[i] = tmp_e;
			}
		}
		for (i = k; !rc && i < n; i++)
			vigil_event_clear(&ev[i]);
		if (!rc)
			n = k;
	} else {
		rc = vigil_outbox_due(st, now_ms(), o.batch, &ev, &n);
	}
	if (rc || !n)
		goto out;
	c = curl_easy_init();
	if (!c) {
		rc = vigil__err(st->ctx, VIGIL_ENOMEM, "curl_easy_init failed");
		goto out;
	}
	for (i = 0; i < n; i++) {
		vigil_event *e = &ev[i];
		char err[VIGIL_TEXT_MAX + 1] = "";
		int r = !strcmp(e->type, VIGIL_XCH_FEEDBACK_EVENT)
				? vigil__xfeedback_send(st, e, err, sizeof(err))
				: post_one(c, e, &o, err, sizeof(err));
		int64_t t = now_ms();
		int attempts = e->attempts + 1;
		if (r == 1) {
			rc = st->ops->outbox_update(st, e->id, VIGIL_OUTBOX_DELIVERED,
						    attempts, t, "");
			stats->delivered++;
		} else if (r < 0 || t - e->created_ms >= (int64_t)o.max_age_s * 1000) {
			rc = st->ops->outbox_update(st, e->id, VIGIL_OUTBOX_FAILED,
						    attempts, t, err);
			stats->failed++;
		} else {
			rc = st->ops->outbox_update(st, e->id, VIGIL_OUTBOX_PENDING,
						    attempts, t + retry_delay(&o, attempts),
						    err);
			stats->retried++;
		}
		if (rc)
			break;
	}
out:
	if (c)
		curl_easy_cleanup(c);
	vigil_events_free(ev, n);
	return rc;
}
