/* context.c — the checks on the context JSON an upload or a user report
 * carries (hostile input: also a fuzz target, fuzz/fuzz_context.c). */
#include "pipeline.h"

#include <string.h>

#define CONTEXT_MAX_BYTES 65536

/* The upload's context as the platform sends it: content_id, user_id, ip,
 * port, upload_time, surface (all optional; strings of at most
 * VIGIL_ID_MAX bytes, port 0..65535, upload_time a string or a number).
 * Other keys are refused, so that a typo is not silently dropped.
 * Returns the object (owned by the caller) or NULL with err set. */
json_t *srv_content_context(const void *data, size_t len, char *err, size_t errcap)
{
	static const char *const text_keys[] = {"content_id", "user_id", "ip",
						"surface", "reporter", "reason", NULL};
	json_t *o, *v;
	const char *k;

	o = srv_json_parse(data, len, CONTEXT_MAX_BYTES, 4, err, errcap);
	if (!o)
		return NULL;
	if (!json_is_object(o)) {
		snprintf(err, errcap, "context: a JSON object");
		goto bad;
	}
	json_object_foreach(o, k, v) {
		int i, known = 0;
		for (i = 0; text_keys[i]; i++)
			if (!strcmp(k, text_keys[i])) {
				known = 1;
				if (!json_is_string(v) || json_string_length(v) > VIGIL_ID_MAX ||
				    strlen(json_string_value(v)) != json_string_length(v)) {
					snprintf(err, errcap,
						 "context: %s is a string of at most %d bytes", k,
						 VIGIL_ID_MAX);
					goto bad;
				}
			}
		if (known)
			continue;
		if (!strcmp(k, "port")) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > 65535) {
				snprintf(err, errcap, "context: port is an integer 0..65535");
				goto bad;
			}
		} else if (!strcmp(k, "upload_time")) {
			if (!(json_is_string(v) && json_string_length(v) <= 64) &&
			    !json_is_integer(v)) {
				snprintf(err, errcap,
					 "context: upload_time is an ISO 8601 string or unix "
					 "seconds");
				goto bad;
			}
		} else {
			snprintf(err, errcap, "context: unknown key '%.40s' (content_id, "
				 "user_id, ip, port, upload_time, surface)", k);
			goto bad;
		}
	}
	return o;
bad:
	json_decref(o);
	return NULL;
}

