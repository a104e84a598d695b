/* test_decoder.c — E1's server separating real shares from synthetic ones.
 * First the Reed–Solomon (Berlekamp–Welch) decoder alone on Shamir shares
 * with e corrupted y: it returns the secret and exactly the clean shares up
 * to e = (n-t)/2 errors, and nothing past it. Then whole accounts: r real
 * matches and s synthetic vouchers, opened in a random order; recovery
 * must open exactly the r matched images' evidence, by decoding when
 * r >= t + s and by the t-subset search between t and t + s, and never
 * below t. Prints the subset trials needed per synthetic count.
 * `test_decoder --table` instead prints docs/pm.md's table at Apple's
 * t = 30 (not run by the test suite: seconds of CPU per row). */
#include <sodium.h>
#include <time.h>

#include "../../src/pm/pm_int.h"
#include "../test.h"
#include "vigil.h"

static void rs_alone(void)
{
	enum { N = 20, TT = 5 };
	uint8_t secret[32], f0[32], on[N];
	vigil__pm_share sh[N];
	crypto_core_ristretto255_scalar_random(secret);
	for (int errs = 0; errs <= 8; errs++) {
		CHECK(vigil__pm_shamir_split(sh, N, TT, secret) == 0);
		/* errs shares get a random y, spread over the positions */
		for (int i = 0; i < errs; i++)
			crypto_core_ristretto255_scalar_random(sh[(i * 7) % N].y);
		int rc = vigil__pm_rs_decode(sh, N, TT, f0, on);
		if (errs <= (N - TT) / 2) {
			CHECKF(rc == 0 && sodium_memcmp(f0, secret, 32) == 0, "errs %d rc %d", errs, rc);
			int wrong = 0;
			for (int i = 0; i < N; i++) {
				int bad = 0;
				for (int j = 0; j < errs; j++)
					bad |= (j * 7) % N == i;
				wrong += on[i] == bad;
			}
			CHECKF(wrong == 0, "errs %d: %d shares misclassified", errs, wrong);
		} else {
			CHECKF(rc == -1, "errs %d past (n-t)/2 = %d: rc %d", errs, (N - TT) / 2, rc);
		}
	}
}

/* One account: r real matches and s synthetic vouchers in random order.
 * Returns recover's status; *ok = 1 if exactly the r real evidence
 * strings opened. */
static int account(const vigil_pm_e1_server *srv, const vigil_pm_e1_table *t,
		   const uint8_t (*list)[39], int r, int s, int *decoded, long *trials, int *ok)
{
	vigil_pm_e1_client *cl = NULL;
	vigil_pm_e1_account *acct = NULL;
	CHECK(vigil_pm_e1_client_new(&cl, t, 0.0, 32) == VIGIL_OK);
	CHECK(vigil_pm_e1_account_new(&acct, srv) == VIGIL_OK);
	size_t vs = vigil_pm_e1_voucher_size(cl), nm = 0;
	uint8_t *v = malloc(vs);
	int order[128], n = r + s, op, rc;
	for (int i = 0; i < n; i++)
		order[i] = i;
	for (int i = n - 1; i > 0; i--) {
		int j = (int)randombytes_uniform((uint32_t)i + 1), tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
	for (int k = 0; k < n; k++) {
		int i = order[k], syn = i >= r;
		char id[32], ev[32];
		uint8_t key[39];
		snprintf(id, sizeof id, "img-%d", i);
		snprintf(ev, sizeof ev, syn ? "syn-%d" : "real-%d", i);
		memcpy(key, syn ? list[0] : list[i], 39);
		if (syn)
			key[38] ^= 0x55; /* not on the list */
		vigil__pm_e1_force_synthetic(cl, syn);
		CHECK(vigil_pm_e1_client_voucher(cl, key, 39, (uint8_t *)id, strlen(id),
						 (uint8_t *)ev, strlen(ev), v) == VIGIL_OK);
		CHECK(vigil_pm_e1_server_open(srv, acct, v, vs, &op) == VIGIL_OK && op == 1);
	}
	rc = vigil_pm_e1_account_recover(acct, &nm);
	vigil__pm_e1_recover_stats(acct, decoded, trials);
	*ok = 0;
	if (rc == VIGIL_OK && nm == (size_t)r) {
		int seen = 0;
		for (size_t i = 0; i < nm; i++) {
			const uint8_t *e;
			size_t el;
			CHECK(vigil_pm_e1_account_evidence(acct, i, &e, &el) == VIGIL_OK);
			seen += el > 5 && memcmp(e, "real-", 5) == 0;
		}
		*ok = seen == r;
	}
	free(v);
	vigil_pm_e1_account_free(acct);
	vigil_pm_e1_client_free(cl);
	return rc;
}

enum { NL = 64 };

/* An invented list of NL SHA-256-style keys, its server at threshold t and
 * the table a device loaded (checked against the root). 0 or -1. */
static int setup(unsigned t, uint8_t list[NL][39], vigil_pm_e1_server **srv,
		 vigil_pm_e1_table **tab)
{
	const uint8_t *keys[NL];
	size_t lens[NL], n;
	uint8_t root[32], *buf;
	for (int i = 0; i < NL; i++) {
		memcpy(list[i], "sha256:", 7);
		crypto_generichash(list[i] + 7, 32, (const uint8_t *)&i, sizeof i, NULL, 0);
		keys[i] = list[i];
		lens[i] = 39;
	}
	if (vigil_pm_e1_server_new(srv, keys, lens, NL, t) ||
	    vigil_pm_e1_table_export(*srv, &buf, &n))
		return -1;
	vigil_pm_e1_server_root(*srv, root);
	int rc = vigil_pm_e1_table_load(tab, buf, n, root) ? -1 : 0;
	free(buf);
	return rc;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double binom(int n, int k)
{
	double c = 1;
	for (int i = 0; i < k; i++)
		c = c * (n - i) / (i + 1);
	return c;
}

/* t = 30: at r = t (subset search; expected C(n,t)/C(r,t) = C(t+s,t)
 * trials) and at r = t + s (decoding). */
static int table(const vigil_pm_e1_server *srv, const vigil_pm_e1_table *t,
		 const uint8_t (*list)[39])
{
	printf("| synthetic s | subsets at r = t: expected C(t+s,t) | measured trials | time | decoding at r = t+s: time |\n|---|---|---|---|---|\n");
	static const int ss[] = {0, 1, 2, 3, 4, 5, 10, 20, 30};
	for (size_t i = 0; i < sizeof ss / sizeof ss[0]; i++) {
		int s = ss[i], dec, ok;
		long trials = 0;
		char m[64] = "not measured (over 6000)", tm[32] = "-";
		if (binom(30 + s, 30) <= 6000) {
			double t0 = now_s();
			int rc = account(srv, t, list, 30, s, &dec, &trials, &ok);
			snprintf(m, sizeof m, "%ld (%s)", trials, rc == VIGIL_OK && ok ? "recovered" : "FAILED");
			snprintf(tm, sizeof tm, "%.2f s", now_s() - t0);
		}
		double t1 = now_s();
		int rc = account(srv, t, list, 30 + s, s, &dec, &trials, &ok);
		printf("| %d | %.0f | %s | %s | %.2f s (%s) |\n", s, binom(30 + s, 30), m, tm,
		       now_s() - t1,
		       rc != VIGIL_OK || !ok ? "FAILED"
		       : dec		     ? "decoded"
					     : "n < t + 2: by subsets");
	}
	return 0;
}

int main(int argc, char **argv)
{
	enum { TT = 5 };
	int tab30 = argc > 1 && !strcmp(argv[1], "--table");
	CHECK(vigil_pm_enable(VIGIL_PM_ACK) == VIGIL_OK);
	static uint8_t list[NL][39];
	vigil_pm_e1_server *srv = NULL;
	vigil_pm_e1_table *t = NULL;
	if (setup(tab30 ? 30 : TT, list, &srv, &t))
		return 1;
	if (tab30) {
		table(srv, t, (const uint8_t(*)[39])list);
		vigil_pm_e1_table_free(t);
		vigil_pm_e1_server_free(srv);
		return test_failures ? 1 : 0;
	}
	rs_alone();

	printf("t=%d: real r, synthetic s -> how recovery found the key\n", TT);
	static const int cases[][2] = {{5, 0},  {5, 1},  {5, 2},  {5, 4},  {5, 8}, {6, 1},
				       {7, 2},  {9, 4},  {13, 8}, {10, 10}, {4, 0}, {4, 6}, {8, 30},
				       {20, 15}};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		int r = cases[c][0], s = cases[c][1], dec = 0, ok = 0;
		long trials = 0;
		int rc = account(srv, t, (const uint8_t(*)[39])list, r, s, &dec, &trials, &ok);
		printf("  r=%2d s=%2d: %s, %s, %ld subset trials\n", r, s,
		       rc == VIGIL_OK ? "recovered" : "closed", dec ? "decoded" : "no decode", trials);
		if (r < TT) {
			CHECKF(rc == VIGIL_ENOENT, "r=%d < t must stay closed", r);
		} else {
			CHECKF(rc == VIGIL_OK && ok, "r=%d s=%d: rc %d ok %d", r, s, rc, ok);
			/* decoding alone suffices once r >= t + s (n >= t + 2s) */
			if (r >= TT + s && r + s >= TT + 2)
				CHECKF(dec == 1 && trials == 0, "r=%d s=%d should decode", r, s);
		}
	}
	vigil_pm_e1_table_free(t);
	vigil_pm_e1_server_free(srv);
	return test_done("pm/decoder");
}
