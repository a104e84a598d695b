/* fuzz_context — the checks on the context JSON of POST /v1/content and
 * the body of POST /v1/user-reports (src/server/context.c): never crashes,
 * and what it accepts is an object whose known keys have the right types. */
#include "../src/server/pipeline.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	json_t *o = srv_content_context(data, size, err, sizeof(err)), *v;
	const char *k;

	if (!o) {
		if (!*err)
			abort(); /* a refusal always says why */
		return 0;
	}
	if (!json_is_object(o))
		abort();
	json_object_foreach(o, k, v) {
		if (!strcmp(k, "port")) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > 65535)
				abort();
		} else if (strcmp(k, "upload_time")) {
			if (!json_is_string(v) || json_string_length(v) > VIGIL_ID_MAX)
				abort();
		}
	}
	json_decref(o);
	return 0;
}
