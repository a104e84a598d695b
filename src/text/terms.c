/* terms.c — keyword lists: terms with a category, a severity and a match
 * mode, added by call or parsed from a list file (one term a line, or CSV
 * term,category,severity[,mode]). A list is hostile input like a hash
 * list: every field has a ceiling and a bad line never stops the rest. */
#include "text_int.h"

#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES 4096 /* a longer line is rejected */

typedef struct term_rec {
	char *term;     /* owned */
	char *category; /* owned, "" if none */
	int severity;
	int mode;
	uint64_t line;
} term_rec;

struct vigil_termlist {
	vigil_ctx *ctx; /* borrowed, for errors */
	term_rec *t;
	size_t n, cap;
};

static const char *const mode_names[] = {"token", "substring", "literal", "regex", "rule"};

const char *vigil_term_mode_name(int mode)
{
	return mode >= 0 && mode < VIGIL__TERM_MODE_END ? mode_names[mode] : "unknown";
}

int vigil_term_mode_parse(const char *name)
{
	int i;

	for (i = 0; i < VIGIL__TERM_MODE_END; i++)
		if (!strcmp(name, mode_names[i]))
			return i;
	return -1;
}

int vigil_termlist_new(vigil_ctx *ctx, vigil_termlist **out)
{
	*out = vigil__calloc(1, sizeof(**out));
	if (!*out)
		return vigil__err(ctx, VIGIL_ENOMEM, "term list: out of memory");
	(*out)->ctx = ctx;
	return 0;
}

void vigil_termlist_free(vigil_termlist *tl)
{
	size_t i;

	if (!tl)
		return;
	for (i = 0; i < tl->n; i++) {
		vigil__free(tl->t[i].term);
		vigil__free(tl->t[i].category);
	}
	vigil__free(tl->t);
	vigil__free(tl);
}

static char *dup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = vigil__malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* Why a term is unacceptable, or NULL. */
static const char *term_why(const char *term, const char *cat, int severity,
			    int mode)
{
	size_t n = term ? strlen(term) : 0;

	if (!n)
		return "empty term";
	if (n > (mode == VIGIL_TERM_RULE ? VIGIL_RULE_MAX : VIGIL_TERM_MAX))
		return mode == VIGIL_TERM_RULE ? "rule longer than 1000 bytes"
					       : "term longer than 256 bytes";
	if (cat && strlen(cat) > VIGIL_CATEGORY_MAX)
		return "category longer than 64 bytes";
	if (severity < 0 || severity > 100)
		return "severity outside 0..100";
	if (mode < 0 || mode >= VIGIL__TERM_MODE_END)
		return "unknown mode";
	if (memchr(term, '\n', n) || memchr(term, '\r', n))
		return "term contains a line break";
	if (mode == VIGIL_TERM_REGEX)
		return vigil__regex_why(term);
	if (mode == VIGIL_TERM_RULE)
		return vigil__rule_why(term);
	return NULL;
}

static int add(vigil_termlist *tl, const char *term, const char *cat,
	       int severity, int mode, uint64_t line)
{
	term_rec *t, r;

	if (tl->n >= VIGIL_TERMS_MAX)
		return vigil__err(tl->ctx, VIGIL_ETOOBIG, "term list: more than %d terms",
				  VIGIL_TERMS_MAX);
	t = vigil__grow(tl->t, &tl->cap, tl->n, sizeof(*t));
	if (!t)
		return vigil__err(tl->ctx, VIGIL_ENOMEM, "term list: out of memory");
	tl->t = t;
	r.term = dup(term);
	r.category = dup(cat ? cat : "");
	if (!r.term || !r.category) {
		vigil__free(r.term);
		vigil__free(r.category);
		return vigil__err(tl->ctx, VIGIL_ENOMEM, "term list: out of memory");
	}
	r.severity = severity;
	r.mode = mode;
	r.line = line;
	tl->t[tl->n++] = r;
	return 0;
}

int vigil__termlist_copy(vigil_termlist *tl, const vigil_term *t)
{
	return add(tl, t->term, t->category, t->severity, t->mode, t->line);
}

int vigil_termlist_add(vigil_termlist *tl, const char *term,
		       const char *category, int severity, int mode)
{
	const char *why;

	if (!tl)
		return VIGIL_EINVAL;
	why = term_why(term, category, severity, mode);
	if (why)
		return vigil__err(tl->ctx, VIGIL_EINVAL, "term list: %s", why);
	return add(tl, term, category, severity, mode, 0);
}

size_t vigil_termlist_count(const vigil_termlist *tl)
{
	return tl ? tl->n : 0;
}

int vigil_termlist_get(const vigil_termlist *tl, size_t i, vigil_term *out)
{
	if (!tl || i >= tl->n)
		return VIGIL_ENOENT;
	out->term = tl->t[i].term;
	out->category = tl->t[i].category;
	out->severity = tl->t[i].severity;
	out->mode = tl->t[i].mode;
	out->line = tl->t[i].line;
	return 0;
}

/* Splits one CSV line (RFC 4180 quotes; no line breaks inside quotes) into
 * at most max fields, unquoted in place into buf. Returns the field count,
 * or -1 with *why for a malformed line. Leading and trailing blanks of an
 * unquoted field are kept: a term may begin with a space on purpose only if
 * quoted, so they are trimmed by the caller. */
static int split_csv(const char *line, size_t n, char *buf, char **field,
		     int max, const char **why)
{
	size_t i = 0, w = 0;
	int nf = 0;

	for (;;) {
		if (nf == max) {
			*why = "too many fields";
			return -1;
		}
		field[nf++] = buf + w;
		if (i < n && line[i] == '"') {
			i++;
			for (;;) {
				if (i >= n) {
					*why = "unterminated quote";
					return -1;
				}
				if (line[i] == '"') {
					if (i + 1 < n && line[i + 1] == '"') {
						buf[w++] = '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				buf[w++] = line[i++];
			}
			if (i < n && line[i] != ',') {
				*why = "text after a closing quote";
				return -1;
			}
		} else {
			while (i < n && line[i] != ',') {
				if (line[i] == '"') {
					*why = "quote inside an unquoted field";
					return -1;
				}
				buf[w++] = line[i++];
			}
		}
		buf[w++] = 0;
		if (i >= n)
			return nf;
		i++; /* the comma */
	}
}

static char *trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = 0;
	return s;
}

/* Parses one line; 1 and the fields if it is a term, 0 if it is blank, a
 * comment or the header, -1 with *why if it is bad. */
static int parse_line(const char *line, size_t n, uint64_t lineno, char *buf,
		      const char **term, const char **cat, int *sev, int *mode,
		      const char **why)
{
	char *f[4];
	int nf;
	size_t i;

	*why = NULL;
	if (n && line[n - 1] == '\r')
		n--;
	if (lineno == 1 && n >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) {
		line += 3; /* a UTF-8 byte-order mark */
		n -= 3;
	}
	for (i = 0; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == n || line[i] == '#')
		return 0;
	if (n > LINE_MAX_BYTES) {
		*why = "line longer than 4096 bytes";
		return -1;
	}
	if (memchr(line, 0, n)) {
		*why = "NUL byte in line";
		return -1;
	}
	nf = split_csv(line, n, buf, f, 4, why);
	if (nf < 0)
		return -1;
	*term = trim(f[0]);
	if (lineno == 1 && !strcmp(*term, "term") && nf > 1)
		return 0; /* the header */
	*cat = nf > 1 ? trim(f[1]) : "";
	*sev = 50;
	if (nf > 2) {
		char *sv = trim(f[2]), *end;
		long v;
		if (*sv) {
			v = strtol(sv, &end, 10);
			if (*end || v < 0 || v > 100) {
				*why = "severity is not a number 0..100";
				return -1;
			}
			*sev = (int)v;
		}
	}
	*mode = VIGIL_TERM_TOKEN;
	if (nf > 3 && *trim(f[3])) {
		*mode = vigil_term_mode_parse(trim(f[3]));
		if (*mode < 0) {
			*why = "mode is not token, substring, literal or regex";
			return -1;
		}
	}
	*why = term_why(*term, *cat, *sev, *mode);
	return *why ? -1 : 1;
}

int vigil_termlist_parse(vigil_termlist *tl, const char *data, size_t len,
			 vigil_term_bad_cb bad, void *user, size_t *added)
{
	static const size_t bufsz = LINE_MAX_BYTES + 8;
	char *buf;
	size_t pos = 0, count = 0;
	uint64_t lineno = 0;
	int rc = 0;

	if (added)
		*added = 0;
	if (!tl || (!data && len))
		return VIGIL_EINVAL;
	buf = vigil__malloc(bufsz);
	if (!buf)
		return vigil__err(tl->ctx, VIGIL_ENOMEM, "term list: out of memory");
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (data + pos)) : len - pos;
		const char *term, *cat, *why;
		int sev, mode, r;

		lineno++;
		r = parse_line(data + pos, n, lineno, buf, &term, &cat, &sev, &mode, &why);
		pos += n + 1;
		if (r == 0)
			continue;
		if (r < 0) {
			if (bad && bad(user, lineno, why)) {
				rc = vigil__err(tl->ctx, VIGIL_ECORRUPT,
						"term list: stopped at line %llu: %s",
						(unsigned long long)lineno, why);
				goto out;
			}
			continue;
		}
		rc = add(tl, term, cat, sev, mode, lineno);
		if (rc)
			goto out;
		count++;
	}
out:
	vigil__free(buf);
	if (added)
		*added = count;
	return rc;
}
