/* hma_parse.h — the pure parsers behind the HMA-compatible routes
 * (route_hma.c), apart so that fuzz/fuzz_hma.c can reach them. */
#ifndef VIGIL_SERVER_HMA_PARSE_H
#define VIGIL_SERVER_HMA_PARSE_H

#include "vigil.h"

#include <stddef.h>

#define HMA_ST_PDQ 0   /* signal type "pdq" */
#define HMA_ST_MD5 1   /* signal type "video_md5" */
#define HMA_NST 2
#define HMA_BANK_NAME_MAX 255

/* HMA's bank-name rule: ^[A-Z_][A-Z0-9_]*$, at most 255 characters. */
int hma_bank_name_ok(const char *name);
/* The matching_enabled_ratio kept in a bank's labels as hma_ratio=R
 * (absent or malformed: 1.0). */
double hma_labels_ratio(const char *labels);
/* labels with hma_ratio set to v (dropped when v is 1.0) into out; -1 if
 * it does not fit in cap. */
int hma_labels_with_ratio(const char *labels, double v, char *out, size_t cap);
/* Validates and normalises one HMA signal value of type st (HMA_ST_*):
 * pdq exactly 64 lowercase hex digits; video_md5 32 hex digits, trimmed
 * and lowercased. 0 with e (type, value, quality) and norm (NUL-terminated,
 * cap 65), or -1 with HMA's reason in *why. */
int hma_signal_parse(int st, const char *v, vigil_entry *e, char *norm,
		     const char **why);

#endif
