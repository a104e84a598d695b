/* parse.c — hash-list line formats:
 *   hex      one hash per line; the type from its length (32 md5, 40 sha1,
 *            64 pdq, or sha256 when the caller says so)
 *   pdq-csv  hash,quality,path (the reference tool's output)
 *   csv      a header naming columns: hash (required), type, id, quality;
 *            other columns become the entry's metadata (a JSON object)
 *   vpdq     frame,quality,pdq_hex,seconds (Meta's vpdq-hash-video output)
 * Lines starting with '#' and blank lines are skipped in every format; a
 * UTF-8 byte-order mark before the first line is dropped. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void vigil__parser_init(vigil__parser *p, int format, int type_hint)
{
	memset(p, 0, sizeof(*p));
	p->format = format;
	p->type_hint = type_hint;
	p->col_hash = p->col_type = p->col_id = p->col_quality = -1;
}

/* Digit values by byte, -1 for a non-digit: one load a digit instead of
 * two range tests (the unhex of a list was 7% of an import's time). */
#define HX(c) ((c) >= '0' && (c) <= '9'   ? (c) - '0'                           \
	       : (c) >= 'a' && (c) <= 'f' ? (c) - 'a' + 10                      \
	       : (c) >= 'A' && (c) <= 'F' ? (c) - 'A' + 10 : -1)
#define HX4(c) HX(c), HX((c) + 1), HX((c) + 2), HX((c) + 3)
#define HX16(c) HX4(c), HX4((c) + 4), HX4((c) + 8), HX4((c) + 12)
static const signed char hex_digit[256] = {
	HX16(0),   HX16(16),  HX16(32),  HX16(48),  HX16(64),  HX16(80),
	HX16(96),  HX16(112), HX16(128), HX16(144), HX16(160), HX16(176),
	HX16(192), HX16(208), HX16(224), HX16(240),
};

int vigil__unhex(const char *s, size_t len, uint8_t *out, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	int bad = 0;
	size_t i;

	if (len != 2 * n)
		return -1;
	/* no early exit: out is the caller's scratch until this says 0 */
	for (i = 0; i < n; i++) {
		int hi = hex_digit[u[2 * i]], lo = hex_digit[u[2 * i + 1]];
		bad |= hi | lo;
		out[i] = (uint8_t)((unsigned)hi << 4 | ((unsigned)lo & 15));
	}
	return bad < 0 ? -1 : 0;
}

static int all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (hex_digit[(unsigned char)s[i]] < 0)
			return 0;
	return 1;
}

static char *trim(char *s, size_t *len)
{
	size_t n = *len;

	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	s[n] = '\0';
	*len = n;
	return s;
}

/* Splits a CSV line into at most max fields (RFC 4180 quoting), in place.
 * Returns the number of fields, or -1 for an unterminated quote / too many
 * fields. */
static int split_csv(char *s, char **fields, size_t *lens, int max)
{
	int n = 0;

	for (;;) {
		char *w = s, *start = s;
		if (n == max)
			return -1;
		if (*s == '"') {
			s++;
			for (;;) {
				if (!*s)
					return -1;
				if (*s == '"' && s[1] == '"') {
					*w++ = '"';
					s += 2;
				} else if (*s == '"') {
					s++;
					break;
				} else {
					*w++ = *s++;
				}
			}
			if (*s && *s != ',')
				return -1;
		} else {
			while (*s && *s != ',')
				*w++ = *s++;
		}
		fields[n] = start;
		lens[n] = (size_t)(w - start);
		n++;
		if (!*s) {
			*w = '\0';
			return n;
		}
		s++; /* the comma */
		*w = '\0';
	}
}

/* The type of a bare hex hash from its length. */
static int type_of_hex(const vigil__parser *p, size_t n)
{
	switch (n) {
	case 32:
		return VIGIL_HASH_MD5;
	case 40:
		return VIGIL_HASH_SHA1;
	case 64:
		return p->type_hint == VIGIL_HASH_SHA256 ? VIGIL_HASH_SHA256
							  : VIGIL_HASH_PDQ;
	default:
		return -1;
	}
}

static int parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void rec_clear(vigil__rec *r)
{
	r->type = -1;
	r->quality = -1;
	r->source_ref[0] = r->metadata[0] = '\0';
	r->frame = 0;
	r->seconds = 0;
}

static int set_text(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

static int parse_hex_line(vigil__parser *p, char *s, size_t n, vigil__rec *r,
			  const char **why)
{
	int t = type_of_hex(p, n);

	if (t < 0 || !all_hex(s, n)) {
		*why = "not a 32, 40 or 64 digit hex hash";
		return -1;
	}
	if (p->type_hint >= 0 && p->type_hint != t && !(n == 64 && p->type_hint == VIGIL_HASH_PDQ)) {
		*why = "hash length does not fit the requested type";
		return -1;
	}
	r->type = t;
	vigil__unhex(s, n, r->value, n / 2);
	return 1;
}

static int parse_pdq_csv(char *s, vigil__rec *r, const char **why)
{
	char *f[3];
	size_t l[3];
	long q;
	int n = split_csv(s, f, l, 3);

	if (n < 2) {
		*why = "expected hash,quality[,path]";
		return -1;
	}
	if (vigil__unhex(f[0], l[0], r->value, 32)) {
		*why = "PDQ hash is not 64 hex digits";
		return -1;
	}
	if (parse_int(f[1], 0, 100, &q)) {
		*why = "quality is not an integer 0..100";
		return -1;
	}
	if (n == 3 && set_text(r->source_ref, sizeof(r->source_ref), f[2], l[2])) {
		*why = "path too long";
		return -1;
	}
	r->type = VIGIL_HASH_PDQ;
	r->quality = (int)q;
	return 1;
}

static int parse_vpdq(char *s, vigil__rec *r, const char **why)
{
	char *f[4], *end;
	size_t l[4];
	long frame, q;
	double sec;
	int n = split_csv(s, f, l, 4);

	if (n != 4) {
		*why = "expected frame,quality,pdq_hex,seconds";
		return -1;
	}
	if (parse_int(f[0], 0, 100000000, &frame)) {
		*why = "frame number is not an integer 0..1e8";
		return -1;
	}
	if (parse_int(f[1], 0, 100, &q)) {
		*why = "quality is not an integer 0..100";
		return -1;
	}
	if (vigil__unhex(f[2], l[2], r->value, 32)) {
		*why = "PDQ hash is not 64 hex digits";
		return -1;
	}
	errno = 0;
	sec = strtod(f[3], &end);
	if (errno || end == f[3] || *end || !isfinite(sec) || sec < 0 ||
	    sec > VIGIL__VPDQ_MAX_SECONDS) {
		*why = "timestamp is not a number of seconds 0..1e7";
		return -1;
	}
	r->type = VIGIL_HASH_PDQ; /* a frame; the entry is the video */
	r->frame = (int)frame;
	r->quality = (int)q;
	r->seconds = sec;
	return 1;
}

static int csv_header(vigil__parser *p, char *s, const char **why)
{
	char *f[VIGIL__CSV_COLS];
	size_t l[VIGIL__CSV_COLS];
	int n = split_csv(s, f, l, VIGIL__CSV_COLS), i;

	/* A header that fails half-way must leave no column assignments. */
	p->ncols = 0;
	p->col_hash = p->col_type = p->col_id = p->col_quality = -1;
	if (n < 1) {
		*why = "bad CSV header (quotes, or more than 64 columns)";
		return -1;
	}
	for (i = 0; i < n; i++) {
		size_t k;
		if (l[i] >= sizeof(p->cols[i])) {
			*why = "CSV column name longer than 63 bytes";
			p->col_hash = p->col_type = p->col_id = p->col_quality = -1;
			return -1;
		}
		for (k = 0; k < l[i]; k++)
			p->cols[i][k] = (char)tolower((unsigned char)f[i][k]);
		p->cols[i][l[i]] = '\0';
		if (!strcmp(p->cols[i], "hash") || !strcmp(p->cols[i], "hash_hex") ||
		    !strcmp(p->cols[i], "signal_value"))
			p->col_hash = i;
		else if (!strcmp(p->cols[i], "type") || !strcmp(p->cols[i], "hash_type") ||
			 !strcmp(p->cols[i], "signal_type"))
			p->col_type = i;
		else if (!strcmp(p->cols[i], "id") || !strcmp(p->cols[i], "source_ref"))
			p->col_id = i;
		else if (!strcmp(p->cols[i], "quality"))
			p->col_quality = i;
	}
	if (p->col_hash < 0) {
		*why = "CSV header has no 'hash' column";
		return -1;
	}
	p->ncols = n;
	return 0;
}

/* Appends "key":"value" to a JSON object under construction. */
static int meta_add(char *m, size_t cap, const char *key, const char *v, size_t vn)
{
	size_t len = strlen(m), i;
	const char *k;

	if (len + 8 + strlen(key) >= cap)
		return -1;
	m[len] = len == 0 ? '{' : ',';
	len++;
	m[len++] = '"';
	for (k = key; *k; k++) {
		if (*k == '"' || *k == '\\' || (unsigned char)*k < 0x20)
			return -1;
		m[len++] = *k;
	}
	m[len++] = '"';
	m[len++] = ':';
	m[len++] = '"';
	for (i = 0; i < vn; i++) {
		unsigned char c = (unsigned char)v[i];
		if (len + 8 >= cap)
			return -1;
		if (c == '"' || c == '\\') {
			m[len++] = '\\';
			m[len++] = (char)c;
		} else if (c < 0x20) {
			len += (size_t)snprintf(m + len, cap - len, "\\u%04x", c);
		} else {
			m[len++] = (char)c;
		}
	}
	m[len++] = '"';
	m[len] = '\0';
	return 0;
}

static int parse_csv_row(vigil__parser *p, char *s, vigil__rec *r, const char **why)
{
	char *f[VIGIL__CSV_COLS];
	size_t l[VIGIL__CSV_COLS];
	int n = split_csv(s, f, l, VIGIL__CSV_COLS), i, t;
	long q;

	if (n != p->ncols) {
		*why = n < 0 ? "bad CSV quoting" : "wrong number of columns";
		return -1;
	}
	if (p->col_type >= 0) {
		t = vigil_hash_type_parse(f[p->col_type]);
		if (t < 0 || t == VIGIL_HASH_VPDQ) {
			*why = "unknown type (pdq, md5, sha1, sha256)";
			return -1;
		}
		if (vigil__unhex(f[p->col_hash], l[p->col_hash], r->value,
				 vigil_hash_type_size(t))) {
			*why = "hash does not fit its type";
			return -1;
		}
		r->type = t;
	} else {
		t = type_of_hex(p, l[p->col_hash]);
		if (t < 0 || vigil__unhex(f[p->col_hash], l[p->col_hash], r->value,
					  vigil_hash_type_size(t))) {
			*why = "hash is not 32, 40 or 64 hex digits";
			return -1;
		}
		r->type = t;
	}
	if (p->col_quality >= 0 && l[p->col_quality]) {
		if (parse_int(f[p->col_quality], 0, 100, &q)) {
			*why = "quality is not an integer 0..100";
			return -1;
		}
		r->quality = (int)q;
	}
	if (p->col_id >= 0 &&
	    set_text(r->source_ref, sizeof(r->source_ref), f[p->col_id], l[p->col_id])) {
		*why = "id too long";
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (i == p->col_hash || i == p->col_type || i == p->col_id ||
		    i == p->col_quality || !l[i])
			continue;
		if (meta_add(r->metadata, sizeof(r->metadata) - 1, p->cols[i], f[i], l[i])) {
			*why = "metadata too long or bad column name";
			return -1;
		}
	}
	if (r->metadata[0])
		strcat(r->metadata, "}");
	return 1;
}

/* Picks a format from the first meaningful line. */
static int detect(const char *s, size_t n)
{
	const char *c1 = memchr(s, ',', n), *c2, *c3;

	if (!c1)
		return VIGIL_FMT_HEX;
	c2 = memchr(c1 + 1, ',', n - (size_t)(c1 + 1 - s));
	if (c1 - s == 64 && all_hex(s, 64))
		return VIGIL_FMT_PDQ_CSV;
	if (c2 && c2 - c1 - 1 > 0) {
		c3 = memchr(c2 + 1, ',', n - (size_t)(c2 + 1 - s));
		if (c3 && c3 - c2 - 1 == 64 && all_hex(c2 + 1, 64))
			return VIGIL_FMT_VPDQ;
	}
	return VIGIL_FMT_CSV;
}

int vigil__parse_line(vigil__parser *p, char *line, size_t len, vigil__rec *r,
		      const char **why)
{
	char *s;

	*why = NULL;
	rec_clear(r);
	if (len > VIGIL__LINE_MAX) {
		*why = "line too long";
		return -1;
	}
	if (memchr(line, '\0', len)) {
		*why = "NUL byte in line";
		return -1;
	}
	line[len] = '\0';
	s = line;
	/* A UTF-8 byte-order mark, as Windows editors and spreadsheets write
	 * it, is not part of the first line's text. */
	if (!p->started && len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) {
		s += 3;
		len -= 3;
	}
	p->started = 1;
	s = trim(s, &len);
	if (!len || *s == '#')
		return 0;
	if (p->format == VIGIL_FMT_AUTO)
		p->format = detect(s, len);
	switch (p->format) {
	case VIGIL_FMT_HEX:
		return parse_hex_line(p, s, len, r, why);
	case VIGIL_FMT_PDQ_CSV:
		return parse_pdq_csv(s, r, why);
	case VIGIL_FMT_VPDQ:
		return parse_vpdq(s, r, why);
	case VIGIL_FMT_CSV:
		if (!p->ncols)
			return csv_header(p, s, why) ? -1 : 0;
		return parse_csv_row(p, s, r, why);
	default:
		*why = "unknown format";
		return -1;
	}
}
