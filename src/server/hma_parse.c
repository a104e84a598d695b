/* hma_parse.c — HMA's names, ratios and signal formats (hma_parse.h). */
#include "hma_parse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int upper(char c) { return c >= 'A' && c <= 'Z'; }
static int digit(char c) { return c >= '0' && c <= '9'; }
static int lowhex(char c) { return digit(c) || (c >= 'a' && c <= 'f'); }
static int space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

int hma_bank_name_ok(const char *n)
{
	size_t len = strlen(n);

	if (!len || len > HMA_BANK_NAME_MAX || !(upper(n[0]) || n[0] == '_'))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!(upper(n[i]) || digit(n[i]) || n[i] == '_'))
			return 0;
	return 1;
}

double hma_labels_ratio(const char *labels)
{
	const char *p = labels;

	while (p && *p) {
		size_t n = strcspn(p, ",");
		if (n > 10 && !strncmp(p, "hma_ratio=", 10)) {
			char buf[64], *end;
			double v;
			size_t l = n - 10 < sizeof(buf) - 1 ? n - 10 : sizeof(buf) - 1;
			memcpy(buf, p + 10, l);
			buf[l] = 0;
			v = strtod(buf, &end);
			if (end != buf && !*end && isfinite(v))
				return v;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 1.0;
}

int hma_labels_with_ratio(const char *labels, double v, char *out, size_t cap)
{
	const char *p = labels;
	size_t o = 0;

	if (!cap)
		return -1;
	out[0] = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		if (n && strncmp(p, "hma_ratio=", 10)) {
			if (o + n + 2 > cap)
				return -1;
			if (o)
				out[o++] = ',';
			memcpy(out + o, p, n);
			o += n;
			out[o] = 0;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (v != 1.0) {
		int w = snprintf(out + o, cap - o, "%shma_ratio=%.17g", o ? "," : "", v);
		if (w < 0 || (size_t)w >= cap - o)
			return -1;
	}
	return 0;
}

int hma_signal_parse(int st, const char *v, vigil_entry *e, char *norm,
		     const char **why)
{
	memset(e, 0, sizeof(*e));
	if (st == HMA_ST_PDQ) {
		vigil_pdq h;
		size_t n = strlen(v);
		e->type = VIGIL_HASH_PDQ;
		/* HMA: exactly ^[0-9a-f]{64}$, uppercase refused. */
		for (size_t i = 0; i < n; i++)
			if (!lowhex(v[i]))
				n = 0;
		if (n != 64 || vigil_pdq_from_hex(v, &h)) {
			*why = "invalid PDQ hash";
			return -1;
		}
		memcpy(e->value, h.bits, 32);
		e->quality = 100; /* HMA keeps no quality: unknown, taken as usable */
		memcpy(norm, v, 65);
		return 0;
	}
	if (st != HMA_ST_MD5) {
		*why = "unknown signal type";
		return -1;
	}
	e->type = VIGIL_HASH_MD5;
	e->quality = -1;
	while (space(*v))
		v++;
	{
		size_t n = 0;
		for (; *v && !space(*v) && n < 33; v++) {
			char c = *v >= 'A' && *v <= 'F' ? (char)(*v - 'A' + 'a') : *v;
			if (!lowhex(c)) {
				*why = "invalid md5 hash";
				return -1;
			}
			norm[n++] = c;
		}
		while (space(*v))
			v++;
		if (n != 32 || *v) {
			*why = "invalid md5 hash";
			return -1;
		}
		norm[32] = 0;
		for (size_t i = 0; i < 32; i++) {
			int d = digit(norm[i]) ? norm[i] - '0' : norm[i] - 'a' + 10;
			e->value[i / 2] = (uint8_t)(i % 2 ? e->value[i / 2] | d : d << 4);
		}
	}
	return 0;
}
