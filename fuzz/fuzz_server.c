/* fuzz_server — the parsers of vigil serve's request bodies and paths.
 * The first byte picks one:
 *   0: a JSON body through srv_json_parse (size and depth limits), then
 *      the /v1/match hashes body (srv_parse_hashes);
 *   1: a request path against route patterns (srv__route_find), checking
 *      that every captured parameter is a non-empty piece of the path;
 *   2: a config file (srv_config_read), checking the limits hold. */
#include "../src/server/config.h"
#include "../src/server/server_int.h"
#include "../src/server/upload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void nop(srv_req *r) { (void)r; }

static const srv_route routes[] = {
	{"GET", "/healthz", SRV_OPEN, nop, 0, ""},
	{"GET", "/v1/banks", 1, nop, 0, ""},
	{"POST", "/v1/banks", 1, nop, 0, ""},
	{"GET", "/v1/banks/{name}", 1, nop, 0, ""},
	{"DELETE", "/v1/banks/{name}/entries/{id}", 1, nop, 0, ""},
	{"POST", "/c/bank/{name}/content/{id}", 1, nop, 0, ""},
	{"GET", "/files/{rest*}", 1, nop, 0, ""},
	{0},
};
static const srv_route *const tables[] = {routes, NULL};

static void json_case(const uint8_t *d, size_t n)
{
	char err[256];
	srv_qhash q[16];
	size_t nq = 0;
	json_t *j = srv_json_parse(d, n, 1 << 20, 32, err, sizeof(err));

	if (!j)
		return;
	if (!srv_parse_hashes(j, q, 16, &nq, err, sizeof(err)) && (nq < 1 || nq > 16))
		abort();
	json_decref(j);
}

static void route_case(const uint8_t *d, size_t n)
{
	char *path = malloc(n + 1), allow[64];
	const srv_route *r = NULL;
	srv_params p;
	int st;

	if (!path)
		return;
	memcpy(path, d, n);
	path[n] = 0;
	st = srv__route_find(tables, (n & 1) ? "GET" : "POST", path, &r, &p, allow,
			     sizeof(allow));
	if (st == 0) {
		if (!r || p.n < 0 || p.n > SRV_MAX_PARAMS)
			abort();
		for (int i = 0; i < p.n; i++)
			if (!*p.value[i] || !strstr(path, p.value[i]))
				abort();
	} else if (st != 404 && st != 405) {
		abort();
	}
	free(path);
}

static void config_case(const uint8_t *d, size_t n)
{
	srv_config c;
	char err[512];
	FILE *f = fmemopen((void *)d, n, "r");

	if (!f)
		return;
	srv_config_defaults(&c);
	if (!srv_config_read(&c, f, "fuzz", n & 1, err, sizeof(err)) &&
	    (c.max_body < 1024 || c.json_max_depth < 2 || c.radius > 64 ||
	     memchr(c.listen, 0, sizeof(c.listen)) == NULL))
		abort();
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0: json_case(data + 1, size - 1); break;
	case 1: route_case(data + 1, size - 1); break;
	default: config_case(data + 1, size - 1); break;
	}
	return 0;
}
