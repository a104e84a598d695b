/* bench_pm_recall.c — recall of F2 (fuzzy PDQ <= 31, two servers; here both
 * in one process) at each distance 0..31, against the plaintext answer on
 * the same pairs.
 *
 *   bench_pm_recall [PER_D [FILLER]] < PAIRS
 *
 * PAIRS: lines "ORIG_HEX EDIT_HEX LABEL" (bench/pm_recall.sh makes them
 * from benign images and their ffmpeg edits). The list is every ORIG plus
 * FILLER random hashes (default 10000: buckets hold more than the
 * originals, so B and the stash are exercised). Each EDIT is one F2 query;
 * the plaintext answer is hd(orig, edit) <= 31. Then PER_D (default 20)
 * synthetic near-duplicates per distance d (d random bits of a listed
 * original flipped). Prints a Markdown table: per d, edits / plaintext
 * hits / F2 hits, and synthetic queries / F2 hits. F2 can only miss (a
 * pair whose 16 chunks all differ); a false hit is counted too. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/pm/pm_int.h"

#define MAXP 4096

static unsigned hd(const uint8_t *a, const uint8_t *b)
{
	unsigned d = 0;
	for (int i = 0; i < 32; i++)
		d += (unsigned)__builtin_popcount(a[i] ^ b[i]);
	return d;
}

int main(int argc, char **argv)
{
	int per_d = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 20;
	long filler = argc > 2 ? strtol(argv[2], NULL, 10) : 10000;
	static uint8_t orig[MAXP][32], edit[MAXP][32];
	static char label[MAXP][64];
	char line[512], oh[80], eh[80], lb[64];
	size_t np = 0;

	if (per_d < 0 || per_d > 100000 || filler < 0 || filler > 10000000 ||
	    vigil_pm_enable(VIGIL_PM_ACK) != VIGIL_OK)
		return 2;
	while (np < MAXP && fgets(line, sizeof line, stdin))
		if (sscanf(line, "%79s %79s %63s", oh, eh, lb) == 3 &&
		    vigil_unhex(oh, orig[np], 32) == VIGIL_OK && vigil_unhex(eh, edit[np], 32) == VIGIL_OK) {
			memcpy(label[np], lb, sizeof lb);
			np++;
		}
	size_t nl = np + (size_t)filler;
	uint8_t(*list)[32] = malloc(nl * 32 + 32);
	if (!list)
		return 2;
	size_t nu = 0; /* distinct originals (each has several edits) */
	for (size_t i = 0; i < np; i++) {
		size_t k = 0;
		while (k < nu && memcmp(list[k], orig[i], 32))
			k++;
		if (k == nu)
			memcpy(list[nu++], orig[i], 32);
	}
	randombytes_buf(list[nu], (size_t)filler * 32);
	nl = nu + (size_t)filler;
	uint8_t seed[32];
	randombytes_buf(seed, 32);
	vigil__pm_f2_tables s1, s2;
	if (vigil__pm_f2_build(&s1, (const uint8_t(*)[32])list, nl, 64, 256, seed) ||
	    vigil__pm_f2_build(&s2, (const uint8_t(*)[32])list, nl, 64, 256, seed))
		return 2;
	fprintf(stderr, "list %zu (%zu originals + %ld random), B = %u, stash %u\n", nl, nu,
		filler, s1.B, s1.S);
	long e_n[33] = {0}, e_plain[33] = {0}, e_f2[33] = {0}, s_n[32] = {0}, s_f2[32] = {0};
	long false_hit = 0;
	for (size_t i = 0; i < np; i++) {
		unsigned d = hd(orig[i], edit[i]);
		int m;
		if (vigil__pm_f2_query_local(&s1, &s2, edit[i], 31, &m))
			return 2;
		/* plaintext over the whole list, as the index would answer */
		int plain = 0;
		for (size_t k = 0; k < nl && !plain; k++)
			plain = hd(edit[i], list[k]) <= 31;
		unsigned b = d > 31 ? 32 : d;
		e_n[b]++;
		e_plain[b] += plain;
		e_f2[b] += m;
		false_hit += m && !plain;
		fprintf(stderr, "%s d=%u plain=%d f2=%d\n", label[i], d, plain, m);
	}
	for (int d = 0; d < 32 && np; d++)
		for (int q = 0; q < per_d; q++) {
			uint8_t x[32];
			size_t src = randombytes_uniform((uint32_t)nu);
			memcpy(x, list[src], 32);
			for (int f = 0; f < d;) {
				unsigned b = randombytes_uniform(256);
				if ((x[b >> 3] ^ list[src][b >> 3]) & (1u << (b & 7)))
					continue;
				x[b >> 3] ^= (uint8_t)(1u << (b & 7));
				f++;
			}
			int m;
			if (vigil__pm_f2_query_local(&s1, &s2, x, 31, &m))
				return 2;
			s_n[d]++;
			s_f2[d] += m;
		}
	printf("| d | benign edits | plaintext hits | F2 hits | F2 recall (edits) | synthetic flips | F2 hits | F2 recall (flips) |\n");
	printf("|---|---|---|---|---|---|---|---|\n");
	for (int d = 0; d <= 32; d++) {
		char er[16] = "-", sr[16] = "-";
		if (e_plain[d])
			snprintf(er, sizeof er, "%.3f", (double)e_f2[d] / (double)e_plain[d]);
		if (d < 32 && s_n[d])
			snprintf(sr, sizeof sr, "%.3f", (double)s_f2[d] / (double)s_n[d]);
		if (d < 32)
			printf("| %d | %ld | %ld | %ld | %s | %ld | %ld | %s |\n", d, e_n[d], e_plain[d],
			       e_f2[d], er, s_n[d], s_f2[d], sr);
		else
			printf("| > 31 | %ld | %ld | %ld | - | - | - | - |\n", e_n[d], e_plain[d], e_f2[d]);
	}
	long tn = 0, tp = 0, tf = 0;
	for (int d = 0; d < 32; d++) {
		tn += e_n[d];
		tp += e_plain[d];
		tf += e_f2[d];
	}
	printf("\nedits within 31: %ld, plaintext %ld, F2 %ld (recall %.3f); F2 hits the plaintext "
	       "answer did not have: %ld\n",
	       tn, tp, tf, tp ? (double)tf / (double)tp : 0.0, false_hit);
	vigil__pm_f2_free(&s1);
	vigil__pm_f2_free(&s2);
	free(list);
	return 0;
}
