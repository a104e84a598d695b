/* http.c — one libcurl connection per exchange client, with the retry
 * rules of Meta's clients (exchanges.md §1.1) and the GET-only retries
 * ThreatExchange's reference forgot. */
#include "exchange_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct rx {
	xbuf *b;
	long retry_after; /* seconds, or -1 */
	int toobig;
	char *feed_sig;   /* xhttp.feed_sig */
} rx;

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	rx *r = user;
	size_t n = size * nmemb;
	xbuf *b = r->b;

	if (b->n + n + 1 > XCH_MAX_BODY) {
		r->toobig = 1;
		return 0;
	}
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		char *p;
		while (cap < b->n + n + 1)
			cap *= 2;
		p = vigil__realloc(b->p, cap);
		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
	b->p[b->n] = 0;
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
	rx *r = user;
	size_t n = size * nmemb;

	if (n > 12 && !strncasecmp(data, "Retry-After:", 12)) {
		char tmp[32];
		size_t k = n - 12 < sizeof(tmp) - 1 ? n - 12 : sizeof(tmp) - 1;
		char *end;
		long v;
		memcpy(tmp, data + 12, k);
		tmp[k] = 0;
		errno = 0;
		v = strtol(tmp, &end, 10);
		/* Only delta-seconds; an HTTP date falls back to the backoff. */
		if (!errno && end != tmp && v >= 0)
			r->retry_after = v;
	}
	/* A vigil feed page's signature (vigilfeed.c checks it). */
	if (n > 21 && !strncasecmp(data, "Vigil-Feed-Signature:", 21)) {
		size_t i = 21, k = 0;
		while (i < n && (data[i] == ' ' || data[i] == '\t'))
			i++;
		while (i < n && k < XCH_FEED_SIG_MAX && data[i] != '\r' && data[i] != '\n')
			r->feed_sig[k++] = data[i++];
		r->feed_sig[k] = 0;
	}
	return n;
}

int vigil__xhttp_init(xhttp *h, vigil_ctx *ctx, long timeout_s)
{
	memset(h, 0, sizeof(*h));
	h->ctx = ctx;
	h->timeout_s = timeout_s > 0 ? timeout_s : 60;
	h->curl = curl_easy_init();
	if (!h->curl)
		return vigil__err(ctx, VIGIL_ENOMEM, "curl_easy_init failed");
	return VIGIL_OK;
}

void vigil__xhttp_free(xhttp *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	vigil__free(h->body.p);
	memset(h, 0, sizeof(*h));
}

void vigil__xurl_display(const char *url, char *out, size_t cap)
{
	size_t k = strcspn(url, "?#");

	snprintf(out, cap, "%.*s", (int)k, url);
}

/* Length of "scheme://host[:port]" at the start of url, or 0. */
static size_t origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	if (!p)
		return 0;
	p += 3;
	return (size_t)(p - url) + strcspn(p, "/?#");
}

int vigil__xurl_same_origin(const char *base, const char *url)
{
	size_t a = origin_len(base), b = origin_len(url);

	return a && a == b && !strncasecmp(base, url, a);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int vigil__xhttp(xhttp *h, const char *what, const char *method,
		 const char *url, const char *const *hdrs, const char *body)
{
	CURL *c = h->curl;
	struct curl_slist *list = NULL;
	char shown[512], cerr[CURL_ERROR_SIZE];
	int get = !strcmp(method, "GET");
	int attempt, rc = VIGIL_OK;
	rx r;

	vigil__xurl_display(url, shown, sizeof(shown));
	for (; hdrs && *hdrs; hdrs++) {
		struct curl_slist *l = curl_slist_append(list, *hdrs);
		if (!l) {
			curl_slist_free_all(list);
			return vigil__err(h->ctx, VIGIL_ENOMEM, "out of memory");
		}
		list = l;
	}
	for (attempt = 0; attempt < XCH_TRIES; attempt++) {
		CURLcode cc;
		long wait_ms;

		h->body.n = 0;
		if (h->body.p)
			h->body.p[0] = 0;
		r.b = &h->body;
		r.retry_after = -1;
		r.toobig = 0;
		r.feed_sig = h->feed_sig;
		h->feed_sig[0] = 0;
		cerr[0] = 0;
		curl_easy_reset(c);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, h->timeout_s);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
		/* Redirects are not followed: they could carry a token to
		 * another host. */
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
		if (!get) {
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		}
		cc = curl_easy_perform(c);
		if (r.toobig) {
			rc = vigil__err(h->ctx, VIGIL_ETOOBIG, "%s: %s %s: response over %zu bytes",
					what, method, shown, XCH_MAX_BODY);
			goto out;
		}
		if (cc != CURLE_OK) {
			rc = vigil__err(h->ctx, VIGIL_EIO, "%s: %s %s: %s", what, method,
					shown, cerr[0] ? cerr : curl_easy_strerror(cc));
			/* A POST that may have reached the server is not sent
			 * again: it may have been applied. */
			if (!get)
				goto out;
			h->status = 0;
		} else {
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status);
			if (h->status >= 200 && h->status < 300) {
				rc = VIGIL_OK;
				goto out;
			}
			rc = vigil__err(h->ctx, VIGIL_EIO, "%s: %s %s: HTTP %ld", what,
					method, shown, h->status);
			if (!get || (h->status != 429 && h->status < 500))
				goto out;
		}
		if (attempt + 1 == XCH_TRIES)
			break;
		wait_ms = attempt ? 200L << attempt : 0;
		if (r.retry_after >= 0 &&
		    (h->status == 429 || h->status == 503 || h->status == 413)) {
			if (r.retry_after > XCH_MAX_RETRY_AFTER) {
				rc = vigil__err(h->ctx, VIGIL_EIO,
						"%s: %s %s: HTTP %ld, Retry-After %ld s is "
						"too long; try later", what, method, shown,
						h->status, r.retry_after);
				goto out;
			}
			wait_ms = r.retry_after * 1000;
		}
		h->retries++;
		sleep_ms(wait_ms);
	}
	rc = vigil__err(h->ctx, VIGIL_EIO, "%s: %s %s: %s after %d tries", what, method,
			shown, h->status ? "still failing" : "no answer", XCH_TRIES);
	if (h->status)
		rc = vigil__err(h->ctx, VIGIL_EIO, "%s: %s %s: HTTP %ld after %d tries",
				what, method, shown, h->status, XCH_TRIES);
out:
	curl_slist_free_all(list);
	if (!h->body.p) {
		h->body.p = vigil__malloc(1);
		if (!h->body.p)
			return vigil__err(h->ctx, VIGIL_ENOMEM, "out of memory");
		h->body.p[0] = 0;
		h->body.cap = 1;
	}
	return rc;
}
