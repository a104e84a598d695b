/* route_match.c — POST /v1/hash (a file's hashes) and POST /v1/match (a
 * file's, or given hashes', matches in the live banks). Role: submit. */
#include "server_int.h"
#include "upload.h"

#include <stdlib.h>
#include <string.h>

static void hash(srv_req *r)
{
	int dih = srv_query_bool(r, "dihedral", 0);
	const uint8_t *data;
	size_t len;
	srv_hashes h;

	data = srv_file(r, "file", &len);
	if (!data || srv_hash_upload(r, data, len, dih, &h))
		return;
	srv_reply_json(r, 200, srv_hashes_json(&h, dih));
	srv_hashes_free(&h);
}

static void match_hashes(srv_req *r, int radius)
{
	json_t *body = srv_json(r, JSON_OBJECT), *matches, *echo;
	srv_qhash *q;
	size_t n = 0;
	char err[256];
	int rc = 0;

	if (!body)
		return;
	q = malloc(SRV_MAX_QUERY_HASHES * sizeof(*q));
	if (!q) {
		srv_reply_error(r, 503, "out_of_memory", "out of memory");
		return;
	}
	if (srv_parse_hashes(body, q, SRV_MAX_QUERY_HASHES, &n, err, sizeof(err))) {
		free(q);
		srv_reply_error(r, 400, "bad_hashes", "%s", err);
		return;
	}
	matches = json_array();
	echo = json_array();
	for (size_t i = 0; !rc && i < n; i++) {
		char hex[65];
		size_t before = json_array_size(matches);
		vigil_hex(q[i].value, vigil_hash_type_size(q[i].type), hex);
		if (q[i].type == VIGIL_HASH_PDQ) {
			vigil_pdq p;
			memcpy(p.bits, q[i].value, 32);
			p.quality = 100;
			rc = srv_match_pdq(r, &p, NULL, radius, matches);
		} else {
			rc = srv_match_digest(r, q[i].type, q[i].value, matches);
		}
		/* Each match says which query hash it answers. */
		for (size_t k = before; k < json_array_size(matches); k++)
			json_object_set_new(json_array_get(matches, k), "query",
					    json_integer((json_int_t)i));
		json_array_append_new(echo, json_pack("{s:s,s:s}", "type",
						      vigil_hash_type_name(q[i].type),
						      "value", hex));
	}
	free(q);
	if (rc) {
		json_decref(matches);
		json_decref(echo);
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	srv_reply_json(r, 200, json_pack("{s:o,s:o}", "matches", matches, "hashes", echo));
}

/* A raw body that opens with '{' is a JSON query whatever its content
 * type (curl -d labels everything urlencoded); no image format starts so. */
static int body_is_json(const srv_req *r)
{
	size_t len, i = 0;
	const uint8_t *b = srv_body(r, &len);

	if (!strcmp(srv_content_type(r), "multipart/form-data"))
		return 0;
	while (i < len && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'))
		i++;
	return i < len && b[i] == '{';
}

static void match(srv_req *r)
{
	int radius = srv_query_radius(r), minq, dih;
	const uint8_t *data;
	size_t len;
	srv_hashes h;
	json_t *matches;
	int rc;

	if (radius < 0)
		return;
	if (!strcmp(srv_content_type(r), "application/json") || body_is_json(r)) {
		match_hashes(r, radius);
		return;
	}
	minq = srv_query_min_quality(r);
	if (minq < 0)
		return;
	dih = srv_query_bool(r, "dihedral", 1);
	data = srv_file(r, "file", &len);
	if (!data || srv_hash_upload(r, data, len, dih, &h))
		return;
	matches = json_array();
	rc = srv_match_upload(r, &h, radius, minq, matches);
	if (rc) {
		json_decref(matches);
		srv_hashes_free(&h);
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	srv_reply_json(r, 200, json_pack("{s:o,s:o}", "matches", matches, "hashes",
					 srv_hashes_json(&h, 0)));
	srv_hashes_free(&h);
}

const srv_route srv_routes_match[] = {
	{"POST", "/v1/hash", SRV_ROLE_SUBMIT, hash, 0,
	 "Hash a file: PDQ (+dihedral), MD5, SHA-1, SHA-256; vPDQ for a video"},
	{"POST", "/v1/match", SRV_ROLE_SUBMIT, match, 0,
	 "Match a file, or a JSON list of hashes, against the enabled banks"},
	{0},
};
