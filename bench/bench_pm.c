/* bench_pm — E1 and the primitives, against a baseline measured in the same
 * run: one variable-base crypto_scalarmult_ristretto255 (the unit the design
 * study costs E1 in: 57 us on its machine). Prints per-operation times and
 * each as a multiple of that scalar multiplication.
 *
 *   build/bench/bench_pm [list_entries=100000] [seconds_per_item=1]
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/pm/pm_int.h"
#include "vigil.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile int sink;

int main(int argc, char **argv)
{
	size_t nlist = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 100000;
	double secs = argc > 2 ? strtod(argv[2], NULL) : 1.0;
	if (vigil_pm_enable(VIGIL_PM_ACK))
		return 1;

	/* Baseline: variable-base scalar multiplication, chained (each result
	 * is the next base point, so nothing can be hoisted). */
	uint8_t s[32], p[32], q[32];
	crypto_core_ristretto255_scalar_random(s);
	crypto_core_ristretto255_random(p);
	long n = 0;
	double t0 = now(), t1;
	do {
		for (int i = 0; i < 100; i++) {
			sink += crypto_scalarmult_ristretto255(q, s, p);
			memcpy(p, q, 32);
		}
		n += 100;
	} while ((t1 = now()) - t0 < secs);
	double us_mul = (t1 - t0) / (double)n * 1e6;
	printf("baseline scalarmult_ristretto255: %.1f us\n", us_mul);

	/* Table build. */
	uint8_t(*keys)[32] = malloc(nlist * 32);
	const uint8_t **kp = malloc(nlist * sizeof *kp);
	size_t *lens = malloc(nlist * sizeof *lens);
	if (!keys || !kp || !lens)
		return 1;
	for (size_t i = 0; i < nlist; i++) {
		randombytes_buf(keys[i], 32);
		kp[i] = keys[i];
		lens[i] = 32;
	}
	vigil_pm_e1_server *srv;
	t0 = now();
	if (vigil_pm_e1_server_new(&srv, kp, lens, nlist, 30))
		return 1;
	t1 = now();
	printf("E1 table build, %zu entries: %.2f s = %.1f us/entry = %.2fx scalarmult\n", nlist,
	       t1 - t0, (t1 - t0) / (double)nlist * 1e6,
	       (t1 - t0) / (double)nlist * 1e6 / us_mul);
	uint8_t root[32], *buf;
	size_t bn;
	vigil_pm_e1_server_root(srv, root);
	vigil_pm_e1_table_export(srv, &buf, &bn);
	vigil_pm_e1_table *tab;
	t0 = now();
	if (vigil_pm_e1_table_load(&tab, buf, bn, root))
		return 1;
	t1 = now();
	printf("E1 table: %zu bytes (%.1f B/entry); device load + root check %.3f s\n", bn,
	       (double)bn / (double)nlist, t1 - t0);

	/* Vouchers (client) and openings (server): half members, half not. */
	vigil_pm_e1_client *cl;
	vigil_pm_e1_account *acct;
	size_t pad = 1024;
	if (vigil_pm_e1_client_new(&cl, tab, 0.0, pad) || vigil_pm_e1_account_new(&acct, srv))
		return 1;
	size_t vs = vigil_pm_e1_voucher_size(cl);
	enum { NV = 256 };
	uint8_t *v = malloc((size_t)NV * vs), ev[1024];
	randombytes_buf(ev, sizeof ev);
	long nv = 0;
	t0 = now();
	do {
		for (int i = 0; i < NV; i++) {
			uint8_t key[32], id[8];
			if (i & 1)
				memcpy(key, keys[(size_t)(nv + i) % nlist], 32);
			else
				randombytes_buf(key, 32);
			memcpy(id, &nv, sizeof id);
			id[0] ^= (uint8_t)i;
			if (vigil_pm_e1_client_voucher(cl, key, 32, id, 8, ev, sizeof ev,
						       v + (size_t)i * vs))
				return 1;
		}
		nv += NV;
	} while ((t1 = now()) - t0 < secs);
	double us_v = (t1 - t0) / (double)nv * 1e6;
	printf("E1 client voucher (%zu B, %zu B evidence): %.1f us = %.0f vouchers/s = %.2fx "
	       "scalarmult\n",
	       vs, pad, us_v, 1e6 / us_v, us_v / us_mul);
	long no = 0, opened = 0;
	t0 = now();
	do {
		for (int i = 0; i < NV; i++) {
			int op;
			/* Open into a fresh account each round so it does not grow. */
			if (vigil_pm_e1_server_open(srv, acct, v + (size_t)i * vs, vs, &op))
				return 1;
			opened += op;
		}
		no += NV;
		vigil_pm_e1_account_free(acct);
		vigil_pm_e1_account_new(&acct, srv);
	} while ((t1 = now()) - t0 < secs);
	double us_o = (t1 - t0) / (double)no * 1e6;
	printf("E1 server open (half members): %.1f us = %.0f vouchers/s = %.2fx scalarmult "
	       "(opened %.2f)\n",
	       us_o, 1e6 / us_o, us_o / us_mul, (double)opened / (double)no);

	/* Primitives. */
	vigil__pm_dpf_key k0, k1;
	static uint8_t out[8192];
	long nd = 0;
	t0 = now();
	do {
		vigil__pm_dpf_gen(&k0, &k1, (uint16_t)nd);
		vigil__pm_dpf_eval_all(&k0, out);
		nd++;
	} while ((t1 = now()) - t0 < secs);
	double us_d = (t1 - t0) / (double)nd * 1e6;
	printf("DPF 2^16 gen + full-domain eval: %.1f us = %.2fx scalarmult\n", us_d, us_d / us_mul);
	size_t na = vigil__pm_gmw_hd_ands();
	vigil__pm_triple *ta = malloc(na * sizeof *ta), *tb = malloc(na * sizeof *tb);
	uint64_t w0[256], w1[256], o0, o1;
	randombytes_buf(w0, sizeof w0);
	randombytes_buf(w1, sizeof w1);
	vigil__pm_gmw_deal(ta, tb, na);
	long ng = 0;
	t0 = now();
	do {
		vigil__pm_gmw_hd_le_local(w0, w1, 31, ta, tb, na, &o0, &o1);
		ng++;
	} while ((t1 = now()) - t0 < secs);
	double us_g = (t1 - t0) / (double)ng * 1e6;
	printf("GMW popcount<=31, 64 candidates, both parties in one process: %.1f us "
	       "(%.2f us/candidate, %zu ANDs/word) = %.2fx scalarmult\n",
	       us_g, us_g / 64, na, us_g / us_mul);
	free(ta);
	free(tb);

	/* F2: bucket tables from the same number of (random) PDQ-like hashes,
	 * one server's 16 DPF evaluations + table scans for one query. */
	vigil__pm_f2_tables ft;
	uint8_t fseed[32];
	randombytes_buf(fseed, 32);
	t0 = now();
	if (vigil__pm_f2_build(&ft, (const uint8_t(*)[32])keys, nlist, 64, 4096, fseed))
		return 1;
	t1 = now();
	double tbytes = 16.0 * 65536.0 * ft.B * 32.0;
	printf("F2 tables, %zu hashes: B = %u (stash 64), %.0f MB per server, built in %.2f s\n",
	       nlist, ft.B, tbytes / 1e6, t1 - t0);
	uint8_t *ans = malloc((size_t)ft.B * 32);
	long nf = 0;
	t0 = now();
	do {
		for (unsigned j = 0; j < 16; j++) {
			vigil__pm_dpf_gen(&k0, &k1, (uint16_t)(nf * 16 + j));
			vigil__pm_dpf_eval_all(&k0, out);
			vigil__pm_f2_fetch(&ft, j, out, ans);
		}
		nf++;
	} while ((t1 = now()) - t0 < secs);
	double s_f = (t1 - t0) / (double)nf;
	printf("F2 one server, one query (16 DPF evals + scans): %.1f ms = %.0fx scalarmult, "
	       "scan %.1f GB/s\n",
	       s_f * 1e3, s_f * 1e6 / us_mul, tbytes / s_f / 1e9);
	free(ans);
	vigil__pm_f2_free(&ft);
	free(v);
	vigil_pm_e1_account_free(acct);
	vigil_pm_e1_client_free(cl);
	vigil_pm_e1_table_free(tab);
	free(buf);
	vigil_pm_e1_server_free(srv);
	free(keys);
	free(kp);
	free(lens);
	return sink == 12345 ? 2 : 0;
}
