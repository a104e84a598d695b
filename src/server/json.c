/* json.c — JSON request bodies: jansson does the parsing; this adds the
 * size ceiling and a nesting-depth check made before parsing (jansson's
 * own limit is a compile-time 2048, far more than any request needs). */
#include "server_int.h"

#include <string.h>

/* The deepest nesting of [ and { outside strings; stops counting past max
 * (returns max + 1). Malformed text is left to the parser. */
static int depth_of(const unsigned char *s, size_t len, int max)
{
	int depth = 0, in_str = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				return depth;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return 0;
}

json_t *srv_json_parse(const void *data, size_t len, size_t max_bytes,
		       int max_depth, char *err, size_t errcap)
{
	json_error_t je;
	json_t *j;

	if (len > max_bytes) {
		snprintf(err, errcap, "JSON body of %zu bytes is over the limit of %zu",
			 len, max_bytes);
		return NULL;
	}
	if (depth_of(data, len, max_depth) > max_depth) {
		snprintf(err, errcap, "JSON nested deeper than %d levels", max_depth);
		return NULL;
	}
	j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		snprintf(err, errcap, "bad JSON at line %d column %d: %s", je.line,
			 je.column, je.text);
		return NULL;
	}
	return j;
}
