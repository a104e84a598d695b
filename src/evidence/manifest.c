/* manifest.c — reading a bundle's manifest.json back (vigil_bundle_verify):
 * the bytes come from wherever the bundle travelled, so they are parsed as
 * hostile input (fuzz/fuzz_manifest.c). Only the listing is read: the
 * format, and per file its name and SHA-256 (of the sealed file, for a
 * bundle sealed to a recipient). */
#include "evidence_int.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* A listed name must be files/ and one plain file name. */
static int name_ok(const char *name)
{
	const char *b;

	if (!name || strncmp(name, "files/", 6) || strlen(name) >= VIGIL__MANIFEST_NAME_MAX)
		return 0;
	b = name + 6;
	return *b && *b != '.' && !strchr(b, '/');
}

int vigil__manifest_parse(vigil_ctx *ctx, const char *man, size_t len,
			  vigil__manifest_entry **out, size_t *n)
{
	json_t *doc, *files, *f;
	const char *fmt;
	vigil__manifest_entry *v = NULL;
	size_t i;
	int rc = VIGIL_OK;

	*out = NULL;
	*n = 0;
	doc = json_loadb(man, len, 0, NULL);
	files = json_object_get(doc, "files");
	fmt = json_string_value(json_object_get(doc, "format"));
	if (!json_is_array(files) || !fmt || strcmp(fmt, VIGIL__BUNDLE_FORMAT)) {
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "manifest.json: not a %s manifest",
				VIGIL__BUNDLE_FORMAT);
		goto out;
	}
	if (json_array_size(files) > VIGIL_EVIDENCE_BUNDLE_MAX) {
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "manifest.json: more than %d files",
				VIGIL_EVIDENCE_BUNDLE_MAX);
		goto out;
	}
	v = calloc(json_array_size(files) + 1, sizeof(*v));
	if (!v) {
		rc = vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(files, i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		const char *h = json_string_value(json_object_get(f, "sealed_sha256"));
		size_t hl;
		if (!h)
			h = json_string_value(json_object_get(f, "sha256"));
		hl = h ? strlen(h) : 0;
		if (!name_ok(name) || hl != 64 ||
		    sodium_hex2bin(v[i].sha256, 32, h, hl, NULL, NULL, NULL)) {
			rc = vigil__err(ctx, VIGIL_ECORRUPT, "manifest.json: entry %zu is malformed",
					i);
			goto out;
		}
		strcpy(v[i].name, name);
	}
	*out = v;
	*n = json_array_size(files);
	v = NULL;
out:
	free(v);
	json_decref(doc);
	return rc;
}
