/* progress.c — a progress line on a terminal, and JSON string output. */
#include "cli.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void cli_progress_init(cli_progress *p, size_t total, int force)
{
	p->on = force > 0 || (force == 0 && isatty(2));
	p->total = total;
	p->done = p->failed = 0;
	p->start = p->last = now();
}

static void draw(cli_progress *p)
{
	double el = now() - p->start, rate = el > 0 ? p->done / el : 0;
	int pct = p->total ? (int)(100.0 * p->done / p->total) : 100, bar = pct / 5;

	fprintf(stderr, "\r[%.*s%*s] %3d%% %zu/%zu files, %zu failed, %.0f/s ",
		bar, "####################", 20 - bar, "", pct, p->done, p->total,
		p->failed, rate);
	if (rate > 0 && p->done < p->total)
		fprintf(stderr, "ETA %.0fs ", (p->total - p->done) / rate);
	fflush(stderr);
}

void cli_progress_tick(cli_progress *p, int failed)
{
	double t;

	p->done++;
	p->failed += failed != 0;
	if (!p->on)
		return;
	t = now();
	if (t - p->last >= 0.1 || p->done == p->total) {
		p->last = t;
		draw(p);
	}
}

void cli_progress_end(cli_progress *p)
{
	if (p->on) {
		draw(p);
		fputc('\n', stderr);
	}
}

void cli_json_str(FILE *f, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	fputc('"', f);
	for (; *u; u++) {
		if (*u == '"' || *u == '\\')
			fprintf(f, "\\%c", *u);
		else if (*u == '\n')
			fputs("\\n", f);
		else if (*u == '\t')
			fputs("\\t", f);
		else if (*u < 0x20 || *u == 0x7f)
			fprintf(f, "\\u%04x", *u);
		else
			fputc(*u, f);
	}
	fputc('"', f);
}

void cli_csv_str(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* Length of the valid UTF-8 sequence at p (at most n bytes) that is neither
 * a C1 control nor overlong, or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1fu;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0fu;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07u;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if (cp < 0xa0 || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void cli_err(const char *fmt, ...)
{
	char buf[8192];
	const unsigned char *p = (const unsigned char *)buf;
	va_list ap;
	int n;
	size_t len, k;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
	while (len) {
		if (*p == '\n' || (*p >= 0x20 && *p < 0x7f)) {
			fputc(*p, stderr);
			p++, len--;
		} else if (*p >= 0x80 && (k = utf8_len(p, len)) != 0) {
			fwrite(p, 1, k, stderr);
			p += k, len -= k;
		} else {
			fprintf(stderr, "\\x%02x", *p);
			p++, len--;
		}
	}
	if ((size_t)n >= sizeof(buf))
		fputs("...\n", stderr);
}

void cli_err_path(const char *path, const char *msg)
{
	size_t n = strlen(path);

	/* Library messages about opening a file already start with its path. */
	if (!strncmp(msg, path, n) && msg[n] == ':')
		cli_err("vigil: %s\n", msg);
	else
		cli_err("vigil: %s: %s\n", path, msg);
}
