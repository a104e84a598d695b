/* parse.h — line parsers for the hash-list formats (untrusted input: every
 * line is bounded, every field checked; see fuzz/fuzz_import.c). */
#ifndef VIGIL_BANK_PARSE_H
#define VIGIL_BANK_PARSE_H

#include "../store/store.h"

#define VIGIL__LINE_MAX 8192  /* longest accepted line, bytes */
#define VIGIL__LINE_RUNAWAY (1 << 20) /* no line break in this many bytes:
					 not a hash list, stop reading */
#define VIGIL__CSV_COLS 64    /* most columns in a named-column CSV */
#define VIGIL__VPDQ_MAX_SECONDS 1e7 /* latest frame timestamp (115 days) */

typedef struct vigil__parser {
	int format;      /* vigil_list_format; AUTO until the first real line */
	int started;     /* the first line was seen (its BOM, if any, dropped) */
	int type_hint;   /* for 64-digit hex: VIGIL_HASH_PDQ or _SHA256, -1 auto */
	int ncols;       /* CSV: number of header columns */
	int col_hash, col_type, col_id, col_quality; /* CSV: indexes or -1 */
	char cols[VIGIL__CSV_COLS][64];              /* CSV: header names */
} vigil__parser;

void vigil__parser_init(vigil__parser *p, int format, int type_hint);

/* Parses one line (without its newline; may be modified in place).
 * Returns 1 and fills r for a record, 0 for a line to skip (blank, comment,
 * header), -1 for a malformed line with *why set to a static reason. */
int vigil__parse_line(vigil__parser *p, char *line, size_t len, vigil__rec *r,
		      const char **why);

/* Decodes exactly 2*n hex digits into out; -1 on anything else. */
int vigil__unhex(const char *s, size_t len, uint8_t *out, size_t n);

#endif
