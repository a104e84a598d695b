/* hashes_parse.c — the JSON body of POST /v1/match ({"hashes":[...]}), on
 * its own so that the fuzz target can link it without the daemon. */
#include "upload.h"

#include <stdio.h>
#include <string.h>

int srv_parse_hashes(const json_t *body, srv_qhash *out, size_t max, size_t *n,
		     char *err, size_t errcap)
{
	const json_t *a = json_is_object(body) ? json_object_get(body, "hashes") : NULL;
	size_t i;
	json_t *v;

	*n = 0;
	if (!json_is_array(a) || !json_array_size(a)) {
		snprintf(err, errcap, "expected {\"hashes\":[{\"type\":\"pdq\",\"value\":"
				      "\"<hex>\"},...]}");
		return -1;
	}
	if (json_array_size(a) > max) {
		snprintf(err, errcap, "at most %zu hashes per request", max);
		return -1;
	}
	json_array_foreach(a, i, v) {
		const char *type = json_string_value(json_object_get(v, "type"));
		const char *value = json_string_value(json_object_get(v, "value"));
		size_t len;
		int t;

		if (!json_is_object(v) || !value) {
			snprintf(err, errcap, "hashes[%zu]: expected {\"type\":..,\"value\":..}", i);
			return -1;
		}
		len = strlen(value);
		if (type) {
			t = vigil_hash_type_parse(type);
		} else {
			t = len == 64 ? VIGIL_HASH_PDQ : len == 32 ? VIGIL_HASH_MD5
				      : len == 40 ? VIGIL_HASH_SHA1 : -1;
		}
		if (t < 0 || t == VIGIL_HASH_VPDQ) {
			snprintf(err, errcap, "hashes[%zu]: type must be pdq, md5, sha1 or sha256", i);
			return -1;
		}
		if (len != 2 * vigil_hash_type_size(t) ||
		    vigil_unhex(value, out[*n].value, vigil_hash_type_size(t))) {
			snprintf(err, errcap, "hashes[%zu]: a %s value is %zu hex digits", i,
				 vigil_hash_type_name(t), 2 * vigil_hash_type_size(t));
			return -1;
		}
		out[*n].type = t;
		(*n)++;
	}
	return 0;
}
