/* progress.c — a progress line on a terminal, and JSON string output. */
#include "cli.h"

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
