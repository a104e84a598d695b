/* route_transparency.c — GET /v1/transparency?from=DATE&to=DATE (admin):
 * the per-day counts of vigil_transparency() (docs/transparency.md). */
#include "server_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void transparency(srv_req *r)
{
	char *text = NULL;
	int rc;

	rc = vigil_transparency_range(srv_store(r), srv_query(r, "from"), srv_query(r, "to"),
				      &text);
	if (rc == VIGIL_EINVAL) {
		srv_reply_error(r, 400, "invalid", "%s", vigil_errmsg(srv_ctx(r)));
		return;
	}
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	srv_reply_data(r, 200, "application/json", text, strlen(text));
	free(text);
}

const srv_route srv_routes_transparency[] = {
	{"GET", "/v1/transparency", SRV_ROLE_ADMIN, transparency, 0,
	 "Transparency counts per day"},
	{0},
};
