/* routes.c — every route table of the server, one line per resource file
 * (keep one line each, so that parallel branches merge cleanly). The
 * OpenAPI test reads these tables through `vigil serve --routes`. */
#include "http.h"

extern const srv_route srv_routes_health[];
extern const srv_route srv_routes_content[];
extern const srv_route srv_routes_keys[];
extern const srv_route srv_routes_match[];
extern const srv_route srv_routes_banks[];
extern const srv_route srv_routes_metrics[];
extern const srv_route srv_routes_openapi[];
extern const srv_route srv_routes_hma[];
extern const srv_route srv_routes_streams[];
extern const srv_route srv_routes_cases[];
extern const srv_route srv_routes_case_media[];
extern const srv_route srv_routes_review_page[];
extern const srv_route srv_routes_transparency[];
extern const srv_route srv_routes_exchanges[];
extern const srv_route srv_routes_reports[];
extern const srv_route srv_routes_text[];
extern const srv_route srv_routes_pm[];

const srv_route *const srv_route_tables[] = {
	srv_routes_health,
	srv_routes_content,
	srv_routes_keys,
	srv_routes_match,
	srv_routes_banks,
	srv_routes_metrics,
	srv_routes_openapi,
	srv_routes_hma,
	srv_routes_streams,
	srv_routes_cases,
	srv_routes_case_media,
	srv_routes_review_page,
	srv_routes_transparency,
	srv_routes_exchanges,
	srv_routes_reports,
	srv_routes_text,
	srv_routes_pm,
	NULL,
};
