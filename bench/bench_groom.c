/* bench_groom — grooming scoring throughput per core (CPU time, best of
 * N), against the fold alone measured in the same run on the same
 * messages:
 *   fold:    vigil_fold, conservative + aggressive view, per message (what
 *            every scan does first: the baseline);
 *   lexicon: vigil_groom_score with the stage lexicon (fold + scan);
 *   model:   vigil_groom_score with a model file (fold + scan + the
 *            message model's hashed n-grams + the conversation model).
 * One author state per 20 messages (a conversation).
 *
 * usage: bench_groom [-r ROUNDS] MODEL MESSAGES   (one message a line;
 *        bench/bench_groom.sh makes them from data/groom_default.py) */
#include "vigil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *text;
static size_t *off, *len, n;

static double run_fold(vigil_ctx *ctx, vigil_folder *fo)
{
	vigil_folded a = {0}, b = {0};
	double t0 = cpu();
	size_t i;

	for (i = 0; i < n; i++) {
		vigil_fold(fo, ctx, VIGIL_VIEW_CONSERVATIVE, text + off[i], len[i], NULL, &a);
		vigil_fold(fo, ctx, VIGIL_VIEW_AGGRESSIVE, text + off[i], len[i], NULL, &b);
	}
	t0 = cpu() - t0;
	vigil_folded_free(&a);
	vigil_folded_free(&b);
	return t0;
}

static double run_groom(vigil_ctx *ctx, vigil_groom *g, vigil_text_scanner *sc, size_t *alerts)
{
	vigil_groom_state st;
	vigil_groom_result r;
	double t0 = cpu();
	size_t i;

	*alerts = 0;
	for (i = 0; i < n; i++) {
		if (i % 20 == 0)
			memset(&st, 0, sizeof(st));
		vigil_groom_score(g, sc, ctx, &st, text + off[i], len[i], NULL, &r);
		*alerts += r.alert;
	}
	return cpu() - t0;
}

int main(int argc, char **argv)
{
	vigil_ctx *ctx;
	vigil_folder *fo;
	vigil_groom *g;
	vigil_groom_model *m;
	vigil_text_scanner *sc;
	double best[3] = {1e9, 1e9, 1e9}, t;
	size_t cap = 0, bytes = 0, al[2] = {0, 0};
	int rounds = 5, r, opt;
	char line[4096];
	FILE *f;

	while ((opt = getopt(argc, argv, "r:")) != -1)
		rounds = opt == 'r' ? atoi(optarg) : rounds;
	if (argc - optind != 2 || rounds < 1) {
		fprintf(stderr, "usage: bench_groom [-r ROUNDS] MODEL MESSAGES\n");
		return 2;
	}
	f = fopen(argv[optind + 1], "r");
	if (!f) {
		perror(argv[optind + 1]);
		return 1;
	}
	text = malloc(1);
	while (fgets(line, sizeof(line), f)) {
		size_t l = strcspn(line, "\n");
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			off = realloc(off, cap * sizeof(*off));
			len = realloc(len, cap * sizeof(*len));
		}
		text = realloc(text, bytes + l + 1);
		memcpy(text + bytes, line, l);
		off[n] = bytes;
		len[n++] = l;
		bytes += l;
	}
	fclose(f);
	if (vigil_ctx_new(&ctx) || vigil_folder_new(ctx, &fo) || vigil_groom_new(ctx, fo, &g) ||
	    vigil_text_scanner_new(ctx, vigil_groom_lexicon(g), &sc) ||
	    vigil_groom_model_load(ctx, argv[optind], &m)) {
		fprintf(stderr, "setup: %s\n", vigil_errmsg(ctx));
		return 1;
	}
	for (r = 0; r < rounds; r++) {
		t = run_fold(ctx, fo);
		best[0] = t < best[0] ? t : best[0];
		vigil_groom_set_model(g, NULL);
		t = run_groom(ctx, g, sc, &al[0]);
		best[1] = t < best[1] ? t : best[1];
		vigil_groom_set_model(g, m);
		t = run_groom(ctx, g, sc, &al[1]);
		best[2] = t < best[2] ? t : best[2];
	}
	printf("messages %zu (%.1f bytes each), best of %d rounds, CPU time\n", n,
	       (double)bytes / (double)n, rounds);
	printf("fold (2 views):  %9.0f msg/s per core  (baseline)\n", n / best[0]);
	printf("lexicon score:   %9.0f msg/s per core  %.2fx the fold's time  (%zu alerts)\n",
	       n / best[1], best[1] / best[0], al[0]);
	printf("model score:     %9.0f msg/s per core  %.2fx the fold's time  (%zu alerts)\n",
	       n / best[2], best[2] / best[0], al[1]);
	vigil_text_scanner_free(sc);
	vigil_groom_free(g);
	vigil_groom_model_free(m);
	vigil_folder_free(fo);
	vigil_ctx_free(ctx);
	free(text);
	free(off);
	free(len);
	return 0;
}
