/* route_openapi.c — GET /v1/openapi.json: docs/openapi.json, embedded at
 * build time (scripts/embed.py). It needs a key of any role, as every
 * route but /healthz and /readyz. */
#include "server_int.h"

extern const char srv_openapi_json[];
extern const size_t srv_openapi_json_len;

static void openapi(srv_req *r)
{
	srv_reply_data(r, 200, "application/json", srv_openapi_json,
		       srv_openapi_json_len);
}

const srv_route srv_routes_openapi[] = {
	{"GET", "/v1/openapi.json", SRV_ROLE_ALL, openapi, 0,
	 "This API's OpenAPI 3 description"},
	{0},
};
