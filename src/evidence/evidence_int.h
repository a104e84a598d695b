/* evidence_int.h — shared inside src/evidence. */
#ifndef VIGIL_EVIDENCE_INT_H
#define VIGIL_EVIDENCE_INT_H

#include "../store/store.h"

/* Appends an audit record of an evidence action on item id (who "" or
 * NULL: "cli"; role admin). A failure to audit is not the action's: the
 * chain itself shows what was recorded. */
void vigil__evidence_audit(vigil_store *st, const char *who, const char *action,
			   int64_t id, const char *detail);

/* A bundle's manifest (src/evidence/manifest.c). */
#define VIGIL__BUNDLE_FORMAT "vigil-evidence-bundle-1"
#define VIGIL__MANIFEST_NAME_MAX 128 /* bytes of a listed name, with its NUL */
typedef struct vigil__manifest_entry {
	char name[VIGIL__MANIFEST_NAME_MAX]; /* "files/NAME": one plain name */
	uint8_t sha256[32];                  /* of the file as it lies there */
} vigil__manifest_entry;
/* Parses manifest.json's bytes (any input): *out (free()) gets its n
 * files, each name checked (files/ + a plain name, no dot first) and its
 * SHA-256 64 hex digits; at most VIGIL_EVIDENCE_BUNDLE_MAX. VIGIL_ECORRUPT
 * (nothing returned) for anything else. */
int vigil__manifest_parse(vigil_ctx *ctx, const char *man, size_t len,
			  vigil__manifest_entry **out, size_t *n);

#endif
