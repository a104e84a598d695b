/* fetch.c — SSRF-guarded URL fetches with libcurl (rules in fetch.h). The
 * URL is parsed by libcurl's own parser (CURLU), the host resolved once
 * here, every address checked, and the connection pinned to the checked
 * address. */
#include "fetch.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define LIST_ENTRY_MAX 256 /* one allowlist entry */

/* An address as 16 bytes (IPv4 as ::ffff:a.b.c.d) so one prefix compare
 * serves both families. */
typedef struct addr16 {
	uint8_t b[16];
} addr16;

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static int parse_addr(const char *s, addr16 *a)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (inet_pton(AF_INET, s, &v4) == 1) {
		memcpy(a->b, v4mapped, 12);
		memcpy(a->b + 12, &v4, 4);
		return 4;
	}
	if (inet_pton(AF_INET6, s, &v6) == 1) {
		memcpy(a->b, &v6, 16);
		return 6;
	}
	return 0;
}

static int prefix_eq(const addr16 *a, const addr16 *net, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(a->b, net->b, (size_t)whole))
		return 0;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((a->b[whole] & mask) != (net->b[whole] & mask))
			return 0;
	}
	return 1;
}

/* "ADDR" or "ADDR/BITS" into a network (bits counted on the 16-byte form).
 * 1 if it is one, 0 if the text is not an address (a host name), -1 if it
 * looks like one but is malformed. */
static int parse_net(const char *s, addr16 *net, int *bits)
{
	char buf[LIST_ENTRY_MAX];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int fam;

	if (n >= sizeof(buf))
		return slash ? -1 : 0;
	memcpy(buf, s, n);
	buf[n] = 0;
	fam = parse_addr(buf, net);
	if (!fam)
		return slash ? -1 : 0;
	*bits = 128;
	if (slash) {
		char *end;
		long v = strtol(slash + 1, &end, 10);
		long max = fam == 4 ? 32 : 128;
		if (end == slash + 1 || *end || v < 0 || v > max)
			return -1;
		*bits = (int)(fam == 4 ? 96 + v : v);
	}
	return 1;
}

/* Calls fn for each trimmed, non-empty entry of a comma list; stops at a
 * non-zero return and gives it back. */
static int each_entry(const char *list, int (*fn)(void *, const char *), void *u)
{
	const char *p = list ? list : "";

	while (*p) {
		char e[LIST_ENTRY_MAX];
		size_t n = strcspn(p, ",");
		const char *q = p, *end = p + n;
		int rc;

		while (q < end && isspace((unsigned char)*q))
			q++;
		while (end > q && isspace((unsigned char)end[-1]))
			end--;
		if (end > q) {
			size_t len = (size_t)(end - q);
			if (len >= sizeof(e))
				len = sizeof(e) - 1; /* cannot match: parse_net rejects */
			memcpy(e, q, len);
			e[len] = 0;
			rc = fn(u, e);
			if (rc)
				return rc;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

typedef struct in_list {
	addr16 a;
} in_list;

static int entry_has(void *u, const char *e)
{
	in_list *l = u;
	addr16 net;
	int bits;

	return parse_net(e, &net, &bits) == 1 && prefix_eq(&l->a, &net, bits);
}

static int addr_listed16(const char *list, const addr16 *a)
{
	in_list l = {*a};

	return each_entry(list, entry_has, &l);
}

int srv_addr_listed(const char *list, const char *ip)
{
	addr16 a;

	if (!parse_addr(ip, &a))
		return 0;
	return addr_listed16(list, &a);
}

typedef struct chk {
	char *err;
	size_t errcap;
} chk;

static int entry_check(void *u, const char *e)
{
	chk *c = u;
	addr16 net;
	int bits;

	if (parse_net(e, &net, &bits) != 1) {
		snprintf(c->err, c->errcap, "'%.100s' is not an IP address or CIDR "
					    "network", e);
		return -1;
	}
	return 0;
}

int srv_cidr_list_check(const char *list, char *err, size_t errcap)
{
	chk c = {err, errcap};

	return each_entry(list, entry_check, &c);
}

/* Ranges no fetch may reach unless listed: not globally routable, or
 * embedding an IPv4 address we would have to check separately. */
static const struct {
	const char *net;
} forbidden[] = {
	{"0.0.0.0/8"}, {"10.0.0.0/8"}, {"100.64.0.0/10"}, {"127.0.0.0/8"},
	{"169.254.0.0/16"}, {"172.16.0.0/12"}, {"192.0.0.0/24"},
	{"192.0.2.0/24"}, {"192.88.99.0/24"}, {"192.168.0.0/16"},
	{"198.18.0.0/15"}, {"198.51.100.0/24"}, {"203.0.113.0/24"},
	{"224.0.0.0/4"}, {"240.0.0.0/4"},
	{"::/128"}, {"::1/128"}, {"::/96"} /* IPv4-compatible */,
	{"64:ff9b::/96"}, {"64:ff9b:1::/48"}, {"100::/64"}, {"2001::/32"},
	{"2001:db8::/32"}, {"2002::/16"}, {"fc00::/7"}, {"fe80::/10"},
	{"fec0::/10"}, {"ff00::/8"},
};

static int addr_forbidden(const addr16 *a)
{
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		addr16 net;
		int bits;
		if (parse_net(forbidden[i].net, &net, &bits) == 1 &&
		    prefix_eq(a, &net, bits))
			return 1;
	}
	return 0;
}

typedef struct host_chk {
	const char *host;
} host_chk;

/* A host-name entry admits the name itself and its subdomains
 * ("example.com" admits "cdn.example.com"); an address entry admits a host
 * written as that address. */
static int entry_host(void *u, const char *e)
{
	host_chk *h = u;
	size_t hl = strlen(h->host), el = strlen(e);
	addr16 net, a;
	int bits;

	if (parse_net(e, &net, &bits) == 1)
		return parse_addr(h->host, &a) && prefix_eq(&a, &net, bits);
	if (hl == el)
		return !strcasecmp(h->host, e);
	return hl > el && h->host[hl - el - 1] == '.' &&
	       !strcasecmp(h->host + hl - el, e);
}

/* ------------------------------------------------------------- transfer */

typedef struct xfer {
	srv_fetch_result *res;
	size_t cap;
	int64_t max;
	int too_big;
	int nomem;
	addr16 pinned;
} xfer;

static size_t on_data(char *p, size_t size, size_t n, void *u)
{
	xfer *x = u;
	size_t len = size * n;
	uint8_t *d;

	if ((int64_t)(x->res->len + len) > x->max) {
		x->too_big = 1;
		return 0;
	}
	if (x->res->len + len > x->cap) {
		size_t cap = x->cap ? x->cap : 65536;
		while (cap < x->res->len + len)
			cap *= 2;
		d = realloc(x->res->data, cap);
		if (!d) {
			x->nomem = 1;
			return 0;
		}
		x->res->data = d;
		x->cap = cap;
	}
	memcpy(x->res->data + x->res->len, p, len);
	x->res->len += len;
	return len;
}

/* The last line of defence against rebinding: the socket libcurl opens
 * must go to the address checked above, whatever it resolved. */
static curl_socket_t on_open(void *u, curlsocktype purpose,
			     struct curl_sockaddr *sa)
{
	xfer *x = u;
	addr16 a;

	(void)purpose;
	if (sa->family == AF_INET) {
		memcpy(a.b, v4mapped, 12);
		memcpy(a.b + 12, &((struct sockaddr_in *)&sa->addr)->sin_addr, 4);
	} else if (sa->family == AF_INET6) {
		memcpy(a.b, &((struct sockaddr_in6 *)&sa->addr)->sin6_addr, 16);
	} else {
		return CURL_SOCKET_BAD;
	}
	if (memcmp(&a, &x->pinned, sizeof(a)))
		return CURL_SOCKET_BAD;
	return socket(sa->family, sa->socktype, sa->protocol);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static int fail(srv_fetch_result *res, int code, const char *fmt, const char *a)
{
	snprintf(res->error, sizeof(res->error), fmt, a);
	return code;
}

/* The checks before any connection (fetch.h): URL, allowlist, every
 * address; *pinned and pin (a CURLOPT_RESOLVE entry) name the address to
 * use. SRV_FETCH_OK, or a code with res->error set. */
static int vet(CURLU *u, const char *url, const char *allow, addr16 *pinned, char *pin,
	       size_t pincap, srv_fetch_result *res)
{
	struct addrinfo hints, *ai = NULL;
	char *scheme = NULL, *host = NULL, *port = NULL, addr[64];
	char hostbuf[LIST_ENTRY_MAX];
	host_chk hc;
	int rc = SRV_FETCH_UNSAFE, n = 0;
	long portnum;

	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    !*host) {
		rc = fail(res, SRV_FETCH_UNSAFE, "%s", "not a valid URL");
		goto out;
	}
	if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https")) {
		rc = fail(res, SRV_FETCH_UNSAFE, "scheme '%.20s' is not http(s)", scheme);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		rc = fail(res, SRV_FETCH_UNSAFE, "%s", "bad port");
		goto out;
	}
	portnum = strtol(port, NULL, 10);
	/* CURLU keeps IPv6 literals in brackets. */
	{
		size_t hl = strlen(host);
		const char *h = host;
		if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
			h = host + 1;
			hl -= 2;
		}
		if (hl >= sizeof(hostbuf)) {
			rc = fail(res, SRV_FETCH_UNSAFE, "%s", "host name too long");
			goto out;
		}
		memcpy(hostbuf, h, hl);
		hostbuf[hl] = 0;
	}
	hc.host = hostbuf;
	if (!each_entry(allow, entry_host, &hc)) {
		rc = fail(res, SRV_FETCH_UNSAFE, "host '%.100s' is not on fetch_allow",
			  hostbuf);
		goto out;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(hostbuf, NULL, &hints, &ai) || !ai) {
		rc = fail(res, SRV_FETCH_FAILED, "cannot resolve '%.100s'", hostbuf);
		goto out;
	}
	/* Every address must pass, not just the one we would use: the
	 * resolver's order is not ours to trust. */
	for (struct addrinfo *p = ai; p; p = p->ai_next) {
		addr16 a;
		if (p->ai_family == AF_INET) {
			memcpy(a.b, v4mapped, 12);
			memcpy(a.b + 12, &((struct sockaddr_in *)p->ai_addr)->sin_addr, 4);
		} else if (p->ai_family == AF_INET6) {
			memcpy(a.b, &((struct sockaddr_in6 *)p->ai_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		/* v4-mapped IPv6 is judged as the IPv4 address it carries
		 * (the 16-byte form already is that). */
		if (addr_forbidden(&a) && !addr_listed16(allow, &a)) {
			inet_ntop(p->ai_family,
				  p->ai_family == AF_INET
					  ? (void *)&((struct sockaddr_in *)p->ai_addr)->sin_addr
					  : (void *)&((struct sockaddr_in6 *)p->ai_addr)->sin6_addr,
				  addr, sizeof(addr));
			rc = fail(res, SRV_FETCH_UNSAFE,
				  "address %s is loopback, private or reserved and not "
				  "on fetch_allow", addr);
			goto out;
		}
		if (!n++) {
			*pinned = a;
			inet_ntop(p->ai_family,
				  p->ai_family == AF_INET
					  ? (void *)&((struct sockaddr_in *)p->ai_addr)->sin_addr
					  : (void *)&((struct sockaddr_in6 *)p->ai_addr)->sin6_addr,
				  addr, sizeof(addr));
		}
	}
	if (!n) {
		rc = fail(res, SRV_FETCH_FAILED, "no address for '%.100s'", hostbuf);
		goto out;
	}
	snprintf(pin, pincap, strchr(addr, ':') ? "%s:%ld:[%s]" : "%s:%ld:%s",
		 hostbuf, portnum, addr);
	rc = SRV_FETCH_OK;
out:
	if (ai)
		freeaddrinfo(ai);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	return rc;
}

static int fetch(const char *url, const char *allow, const void *body, size_t body_len,
		 const char *body_type, int64_t max_bytes, int timeout_s, srv_fetch_result *res)
{
	CURLU *u = NULL;
	CURL *c = NULL;
	struct curl_slist *resolve = NULL, *hdrs = NULL;
	char pin[600];
	const char *ct = NULL;
	xfer x;
	int rc;
	CURLcode cc;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	pthread_once(&curl_once, curl_init);
	u = curl_url();
	if (!u)
		return fail(res, SRV_FETCH_NOMEM, "%s", "out of memory");
	rc = vet(u, url, allow, &x.pinned, pin, sizeof(pin), res);
	if (rc)
		goto out;
	resolve = curl_slist_append(NULL, pin);
	c = curl_easy_init();
	if (!c || !resolve) {
		rc = fail(res, SRV_FETCH_NOMEM, "%s", "out of memory");
		goto out;
	}
	x.res = res;
	x.max = max_bytes;
	curl_easy_setopt(c, CURLOPT_CURLU, u);
	curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &x);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)(timeout_s < 10 ? timeout_s : 10));
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_bytes);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vigil-fetch");
	if (body) {
		char h[160];
		snprintf(h, sizeof(h), "Content-Type: %.100s", body_type);
		/* No "Expect: 100-continue": one round trip, and the timeout
		 * bounds the whole exchange anyway. */
		hdrs = curl_slist_append(NULL, h);
		if (hdrs)
			hdrs = curl_slist_append(hdrs, "Expect:");
		if (!hdrs) {
			rc = fail(res, SRV_FETCH_NOMEM, "%s", "out of memory");
			goto out;
		}
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	if (x.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		rc = fail(res, SRV_FETCH_TOO_BIG, "%s", "Content too large");
		goto out;
	}
	if (x.nomem) {
		rc = fail(res, SRV_FETCH_NOMEM, "%s", "out of memory");
		goto out;
	}
	if (cc != CURLE_OK) {
		rc = fail(res, SRV_FETCH_FAILED, "%s", curl_easy_strerror(cc));
		goto out;
	}
	if (res->status < 200 || res->status > 299) {
		char st[32];
		snprintf(st, sizeof(st), "%ld", res->status);
		rc = fail(res, SRV_FETCH_FAILED, "HTTP status %s", st);
		goto out;
	}
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct) {
		size_t i;
		for (i = 0; ct[i] && ct[i] != ';' && i + 1 < sizeof(res->content_type); i++)
			res->content_type[i] = (char)tolower((unsigned char)ct[i]);
		while (i && res->content_type[i - 1] == ' ')
			i--;
		res->content_type[i] = 0;
	}
	rc = SRV_FETCH_OK;
out:
	if (rc != SRV_FETCH_OK) {
		free(res->data);
		res->data = NULL;
		res->len = 0;
	}
	curl_slist_free_all(resolve);
	curl_slist_free_all(hdrs);
	if (c)
		curl_easy_cleanup(c);
	curl_url_cleanup(u);
	return rc;
}

int srv_fetch(const char *url, const char *allow, int64_t max_bytes,
	      int timeout_s, srv_fetch_result *res)
{
	return fetch(url, allow, NULL, 0, NULL, max_bytes, timeout_s, res);
}

int srv_fetch_post(const char *url, const char *allow, const void *body, size_t body_len,
		   const char *body_type, int64_t max_bytes, int timeout_s,
		   srv_fetch_result *res)
{
	return fetch(url, allow, body ? body : "", body_len, body_type, max_bytes, timeout_s,
		     res);
}

int srv_fetch_pin(const char *url, const char *allow, char *pin, size_t pincap, char *err,
		  size_t errcap)
{
	srv_fetch_result res;
	addr16 pinned;
	CURLU *u;
	int rc;

	memset(&res, 0, sizeof(res));
	pthread_once(&curl_once, curl_init);
	u = curl_url();
	rc = u ? vet(u, url, allow, &pinned, pin, pincap, &res)
	       : fail(&res, SRV_FETCH_NOMEM, "%s", "out of memory");
	curl_url_cleanup(u);
	snprintf(err, errcap, "%s", res.error);
	return rc;
}
