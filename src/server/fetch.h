/* fetch.h — outgoing URL fetches for HMA's `url=` parameters (and anything
 * else the server fetches on a client's behalf), guarded against SSRF.
 *
 * A URL is fetched only if:
 *  - its scheme is http or https, it has a host, and its port is numeric;
 *  - its host is on the allowlist (`fetch_allow`: a comma list of host
 *    names, each admitting itself and its subdomains, and of IP addresses
 *    or CIDR networks); an empty list refuses every fetch;
 *  - EVERY address the host resolves to is public, or inside a network
 *    listed on the allowlist: loopback, private (RFC 1918, ULA), link-local,
 *    CGNAT, multicast, unspecified and the other special ranges are refused
 *    unless listed explicitly by address. A host name on the list does not
 *    admit a private address it resolves to.
 * The checked address is then pinned (CURLOPT_RESOLVE, and the socket
 * callback refuses any other address), so a second DNS answer cannot
 * redirect the connection (DNS rebinding); proxies from the environment
 * are not used; redirects are not followed (a 3xx is a failure); the body
 * is bounded in bytes and the whole transfer in time. */
#ifndef VIGIL_SERVER_FETCH_H
#define VIGIL_SERVER_FETCH_H

#include <stddef.h>
#include <stdint.h>

enum {
	SRV_FETCH_OK = 0,
	SRV_FETCH_UNSAFE = 1,   /* refused before any connection: bad URL,
				   host not allowed, or a forbidden address */
	SRV_FETCH_FAILED = 2,   /* network error, non-2xx, a redirect */
	SRV_FETCH_TOO_BIG = 3,  /* the body is over max_bytes */
	SRV_FETCH_NOMEM = 4,
};

typedef struct srv_fetch_result {
	uint8_t *data;          /* the body; caller frees */
	size_t len;
	char content_type[128]; /* without parameters, lower-cased; "" if none */
	long status;            /* HTTP status, 0 if none */
	char error[256];        /* why, for anything but OK */
} srv_fetch_result;

/* Whether an IP address (text) is inside one of the networks of a comma
 * list of addresses and CIDRs ("10.0.0.0/8,::1"). Entries that are not
 * addresses (host names) are skipped. For --trust-network too. */
int srv_addr_listed(const char *list, const char *ip);
/* Whether every entry of a comma list is a valid address or CIDR (0), or
 * -1 with the bad entry in err. */
int srv_cidr_list_check(const char *list, char *err, size_t errcap);

/* Fetches url under the rules above. allow is the allowlist, max_bytes
 * the body ceiling, timeout_s the bound on the whole transfer. Returns a
 * SRV_FETCH_* code; res->data is set only on SRV_FETCH_OK. */
int srv_fetch(const char *url, const char *allow, int64_t max_bytes,
	      int timeout_s, srv_fetch_result *res);
/* The same checks and limits for a POST of body (body_len bytes, sent
 * with Content-Type body_type; the caller keeps it) — the classifier hook
 * (classifier.c). The answer is in res as for srv_fetch. */
int srv_fetch_post(const char *url, const char *allow, const void *body, size_t body_len,
		   const char *body_type, int64_t max_bytes, int timeout_s,
		   srv_fetch_result *res);
/* The same checks for a client that makes its own connection (the report
 * worker's CyberTipline calls, vigil/report.h): url's host on allow, every
 * address it resolves to allowed; pin gets the CURLOPT_RESOLVE entry
 * "HOST:PORT:ADDRESS" to connect to. SRV_FETCH_OK, or a code with the
 * reason in err. */
int srv_fetch_pin(const char *url, const char *allow, char *pin, size_t pincap, char *err,
		  size_t errcap);

#endif
