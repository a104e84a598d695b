/* fuzz_pm — the private-matching parsers of untrusted input. The first byte
 * picks one:
 *  0: an E1 table from the server (the device checks it against a root;
 *     also with the root the bytes themselves claim, so the post-root slot
 *     validation is reached only if the fuzzer finds the preimage — it
 *     won't, but header parsing and the Merkle pass run on every length);
 *  1: an E1 voucher from a device, against a fixed server and account;
 *  2: a valid (matching) voucher with the input XORed in from some offset
 *     and an optional truncation: the slot and outer-layer paths run on a
 *     real voucher's bytes (the AEAD rejects any change, so the share
 *     parsing behind it is reached only by unmodified bytes);
 *  3: a DPF key from the client;
 *  4: a VOPRF response (pk, n, blinded, evaluated, proof) from a server;
 *  5: a stored E1 device state for vigil_pm_e1_client_import;
 *  6: a stored E1 server state for vigil_pm_e1_server_import (the store
 *     of vigil serve), and the table it exports;
 *  7: F2 query messages for each party (vigil__pm_f2_party_query's parse,
 *     stopping before the MPC: a party with no peer fails there). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "../src/pm/pm_int.h"
#include "vigil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vigil_pm_e1_server *srv;
static vigil_pm_e1_table *tab;
static vigil_pm_e1_client *cl;
static vigil_pm_e1_account *acct;
static uint8_t *good;
static size_t goodn;
static unsigned runs;

static void setup(void)
{
	if (srv)
		return;
	if (vigil_pm_enable(VIGIL_PM_ACK))
		abort();
	static uint8_t k[8][32];
	const uint8_t *keys[8];
	size_t lens[8];
	for (int i = 0; i < 8; i++) {
		memset(k[i], i + 1, 32);
		keys[i] = k[i];
		lens[i] = 32;
	}
	uint8_t root[32], *buf;
	size_t n;
	if (vigil_pm_e1_server_new(&srv, keys, lens, 8, 2) ||
	    vigil_pm_e1_table_export(srv, &buf, &n))
		abort();
	vigil_pm_e1_server_root(srv, root);
	if (vigil_pm_e1_table_load(&tab, buf, n, root))
		abort();
	free(buf);
	if (vigil_pm_e1_client_new(&cl, tab, 0.0, 16))
		abort();
	vigil__pm_e1_force_synthetic(cl, 0);
	goodn = vigil_pm_e1_voucher_size(cl);
	good = malloc(goodn);
	if (!good || vigil_pm_e1_client_voucher(cl, k[0], 32, (const uint8_t *)"id", 2,
						(const uint8_t *)"ev", 2, good))
		abort();
}

static void fresh_account(void)
{
	/* Keep the account from growing without bound over a long run. */
	if (!acct || ++runs % 256 == 0) {
		vigil_pm_e1_account_free(acct);
		acct = NULL;
		if (vigil_pm_e1_account_new(&acct, srv))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	if (size < 1)
		return 0;
	const uint8_t *d = data + 1;
	size_t n = size - 1;
	switch (data[0] % 8) {
	case 0: {
		vigil_pm_e1_table *t = NULL;
		uint8_t root[32] = {0};
		if (n >= 32)
			memcpy(root, d, 32);
		int rc = vigil_pm_e1_table_load(&t, d, n, root);
		if ((rc == 0) != (t != NULL))
			abort();
		vigil_pm_e1_table_free(t);
		break;
	}
	case 1: {
		int op = -1;
		fresh_account();
		int rc = vigil_pm_e1_server_open(srv, acct, d, n, &op);
		if (rc != 0 && rc != VIGIL_ECORRUPT)
			abort();
		if (op == 1) /* random bytes cannot open an outer layer */
			abort();
		size_t nm;
		vigil_pm_e1_account_recover(acct, &nm);
		break;
	}
	case 2: {
		int op = -1;
		fresh_account();
		uint8_t *v = malloc(goodn);
		if (!v)
			abort();
		memcpy(v, good, goodn);
		size_t off = n ? d[0] % goodn : 0;
		for (size_t i = 1; i < n && off + i - 1 < goodn; i++)
			v[off + i - 1] ^= d[i];
		size_t len = n > 1 && (d[1] & 1) ? (size_t)d[1] * 7 % (goodn + 1) : goodn;
		int rc = vigil_pm_e1_server_open(srv, acct, v, len, &op);
		if (rc != 0 && rc != VIGIL_ECORRUPT)
			abort();
		free(v);
		break;
	}
	case 3: {
		vigil__pm_dpf_key k;
		static uint8_t out[8192];
		if (vigil__pm_dpf_parse(&k, d, n) == 0)
			vigil__pm_dpf_eval_all(&k, out);
		break;
	}
	case 4: {
		if (n < 32 + 1 + 64)
			break;
		size_t cnt = 1 + d[32] % 4;
		if (n < 33 + 64 + cnt * 64)
			break;
		const uint8_t(*bl)[32] = (const uint8_t(*)[32])(d + 33);
		const uint8_t(*ev)[32] = (const uint8_t(*)[32])(d + 33 + cnt * 32);
		int rc = vigil_pm_verify_proof(d, cnt, bl, ev, d + 33 + cnt * 64);
		if (rc != 0 && rc != VIGIL_ECORRUPT)
			abort();
		break;
	}
	case 5: {
		vigil_pm_e1_client *c = NULL;
		int rc = vigil_pm_e1_client_import(&c, tab, d, n);
		if ((rc == 0) != (c != NULL) || (rc && rc != VIGIL_ECORRUPT))
			abort();
		if (c) {
			uint8_t *v = malloc(vigil_pm_e1_voucher_size(c));
			if (!v || vigil_pm_e1_client_voucher(c, (const uint8_t *)"k", 1,
							     (const uint8_t *)"i", 1, NULL, 0, v))
				abort();
			free(v);
		}
		vigil_pm_e1_client_free(c);
		break;
	}
	case 6: {
		vigil_pm_e1_server *s = NULL;
		int rc = vigil_pm_e1_server_import(&s, d, n);
		if ((rc == 0) != (s != NULL) || (rc && rc != VIGIL_ECORRUPT && rc != VIGIL_ETOOBIG))
			abort();
		if (s) {
			uint8_t *b = NULL;
			size_t bl = 0;
			if (vigil_pm_e1_table_export(s, &b, &bl))
				abort();
			free(b);
		}
		vigil_pm_e1_server_free(s);
		break;
	}
	case 7: {
		static vigil__pm_f2_tables t2;
		static int built;
		if (!built) {
			uint8_t h[4][32] = {{1}, {2}, {3}, {4}}, seed[32] = {9};
			if (vigil__pm_f2_build(&t2, (const uint8_t(*)[32])h, 4, 2, 4, seed))
				abort();
			built = 1;
		}
		vigil__pm_f2_party *p = NULL;
		/* peer -1: the MPC's first exchange fails, so only the parse and
		 * the local fetch run. */
		if (vigil__pm_f2_party_new(&p, n & 1, -1, &t2, 3, 31))
			abort();
		int rc = vigil__pm_f2_party_query(p, d, n);
		if (rc != VIGIL_ECORRUPT && rc != VIGIL_EINTERNAL && rc != VIGIL_ENOMEM)
			abort();
		vigil__pm_f2_party_free(p);
		break;
	}
	}
	return 0;
}
