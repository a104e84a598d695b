/* bench_groom_store — what persisting the grooming state costs per
 * message: N transactions shaped like POST /v1/text's (one audit row,
 * committed with synchronous=FULL), without and with the pair's state
 * upsert inside, alternated, best of ROUNDS, wall and CPU time; then P
 * distinct pairs written, for the store's bytes per pair (read them with
 * sqlite3's dbstat: bench/bench_groom_store.sh).
 *
 * usage: bench_groom_store [-n N] [-r ROUNDS] [-p PAIRS] STORE-URI */
#include "vigil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double clk(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int round_(vigil_store *st, int n, int with_state, double *wall, double *cpu)
{
	vigil_groom_state gs;
	uint8_t key[VIGIL_GROOM_KEY_BYTES];
	double w0 = clk(CLOCK_MONOTONIC), c0 = clk(CLOCK_PROCESS_CPUTIME_ID);
	char conv[32];
	int i, rc = 0;

	memset(&gs, 0, sizeof(gs));
	for (i = 0; !rc && i < n; i++) {
		vigil_audit a = {0};
		a.who = "bench";
		a.role = "submit";
		a.action = "text.verdict";
		a.object = "m";
		a.detail = "{\"verdict\":\"allow\",\"conversation_id\":\"c\",\"user_id\":\"a\"}";
		rc = vigil_store_begin(st);
		if (!rc)
			rc = vigil_audit_append(st, &a);
		if (!rc && with_state) {
			snprintf(conv, sizeof(conv), "c%d", i % 1000);
			vigil_groom_pair_key(conv, "a", key);
			gs.messages++;
			rc = vigil_groom_state_save(st, key, 2000000000 + i, &gs);
		}
		if (!rc)
			rc = vigil_store_commit(st);
	}
	*wall = clk(CLOCK_MONOTONIC) - w0;
	*cpu = clk(CLOCK_PROCESS_CPUTIME_ID) - c0;
	return rc;
}

int main(int argc, char **argv)
{
	vigil_ctx *ctx;
	vigil_store *st;
	double bw[2] = {1e9, 1e9}, bc[2] = {1e9, 1e9}, w, c;
	int n = 500, rounds = 5, pairs = 100000, opt, r, k, i;

	while ((opt = getopt(argc, argv, "n:r:p:")) != -1)
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'p')
			pairs = atoi(optarg);
	if (argc - optind != 1 || n < 1 || rounds < 1 || pairs < 0) {
		fprintf(stderr, "usage: bench_groom_store [-n N] [-r ROUNDS] [-p PAIRS] STORE-URI\n");
		return 2;
	}
	if (vigil_ctx_new(&ctx) || vigil_store_open(ctx, argv[optind], &st)) {
		fprintf(stderr, "open: %s\n", vigil_errmsg(ctx));
		return 1;
	}
	for (r = 0; r < rounds; r++)
		for (k = 0; k < 2; k++) {
			if (round_(st, n, k, &w, &c)) {
				fprintf(stderr, "round: %s\n", vigil_errmsg(ctx));
				return 1;
			}
			bw[k] = w < bw[k] ? w : bw[k];
			bc[k] = c < bc[k] ? c : bc[k];
		}
	printf("%d transactions per round, best of %d, alternated\n", n, rounds);
	printf("audit row only:          %7.1f tx/s wall  %7.1f us CPU/tx\n", n / bw[0],
	       1e6 * bc[0] / n);
	printf("audit row + pair state:  %7.1f tx/s wall  %7.1f us CPU/tx  -> %.2fx wall, %.2fx CPU\n",
	       n / bw[1], 1e6 * bc[1] / n, bw[1] / bw[0], bc[1] / bc[0]);
	/* distinct pairs, in one transaction, for the size per pair */
	if (pairs) {
		vigil_groom_state gs;
		uint8_t key[VIGIL_GROOM_KEY_BYTES];
		char conv[32];
		memset(&gs, 0, sizeof(gs));
		if (vigil_store_begin(st))
			return 1;
		for (i = 0; i < pairs; i++) {
			snprintf(conv, sizeof(conv), "p%d", i);
			vigil_groom_pair_key(conv, "author", key);
			gs.messages = (uint32_t)i;
			if (vigil_groom_state_save(st, key, 2000000000 + i, &gs))
				return 1;
		}
		if (vigil_store_commit(st))
			return 1;
		printf("%d more pairs written\n", pairs);
	}
	vigil_store_close(st);
	vigil_ctx_free(ctx);
	return 0;
}
