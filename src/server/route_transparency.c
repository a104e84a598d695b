/* route_transparency.c — GET /v1/transparency?from=DATE&to=DATE (admin):
 * the per-day counts of vigil_transparency() (docs/transparency.md). */
#include "server_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int day(const char *s, int64_t *out)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	end = s ? strptime(s, "%Y-%m-%d", &tm) : NULL;
	if (!end || *end)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static void transparency(srv_req *r)
{
	int64_t f, t;
	char *text = NULL;
	int rc;

	if (day(srv_query(r, "from"), &f) || day(srv_query(r, "to"), &t) || t < f) {
		srv_reply_error(r, 400, "invalid", "expected from=YYYY-MM-DD&to=YYYY-MM-DD, "
				"to not before from");
		return;
	}
	rc = vigil_transparency(srv_store(r), f, t, &text);
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
