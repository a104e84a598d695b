/* test_e1.c — E1 end to end in one process (list holder/server and device
 * objects), on an invented list of SHA-256-style keys. Shows: the device
 * rejects a table that is not the published one; the table holds no list
 * key and no unblinded H(key) in the clear; a non-member's voucher never
 * opens and has the same size and form as a member's; below the threshold
 * (real matches plus synthetic vouchers) nothing decrypts; at the threshold
 * exactly the matched images' evidence opens, and synthetic vouchers' never
 * does; a re-sent image does not count twice; malformed vouchers are
 * refused. */
#include <sodium.h>

#include "../../src/pm/pm_int.h"
#include "../test.h"
#include "vigil.h"

#define NLIST 300
#define T 5

static uint8_t list[NLIST][39]; /* "sha256:" || 32 bytes */

static void item(uint8_t out[39], int i)
{
	memcpy(out, "sha256:", 7);
	crypto_generichash(out + 7, 32, (const uint8_t *)&i, sizeof i, NULL, 0);
}

int main(void)
{
	CHECK(vigil_pm_enable(VIGIL_PM_ACK) == VIGIL_OK);
	const uint8_t *keys[NLIST];
	size_t lens[NLIST];
	for (int i = 0; i < NLIST; i++) {
		item(list[i], i); /* members: i in 0..NLIST-1 */
		keys[i] = list[i];
		lens[i] = 39;
	}
	vigil_pm_e1_server *srv = NULL;
	CHECK(vigil_pm_e1_server_new(&srv, keys, lens, NLIST, T) == VIGIL_OK);
	uint8_t root[32], *tab = NULL;
	size_t tabn = 0;
	vigil_pm_e1_server_root(srv, root);
	CHECK(vigil_pm_e1_table_export(srv, &tab, &tabn) == VIGIL_OK);

	/* No list key (nor its 32-byte digest, nor its unblinded point) in the
	 * clear in what ships to the device. */
	int leaks = 0;
	for (int i = 0; i < NLIST; i++) {
		uint8_t hp[32], u[64];
		static const uint8_t dst[] = "vigil-pm-e1-v1-HashToGroup";
		const uint8_t *m[1] = {list[i]};
		size_t ml[1] = {39};
		vigil__pm_xmd_sha512(u, 64, m, ml, 1, dst, sizeof dst - 1);
		crypto_core_ristretto255_from_hash(hp, u);
		leaks += memmem(tab, tabn, list[i] + 7, 32) != NULL;
		leaks += memmem(tab, tabn, list[i] + 7, 8) != NULL;
		leaks += memmem(tab, tabn, hp, 32) != NULL;
	}
	CHECK(leaks == 0);

	/* The device checks the table against the published root. */
	vigil_pm_e1_table *t = NULL;
	uint8_t badroot[32];
	memcpy(badroot, root, 32);
	badroot[3] ^= 1;
	CHECK(vigil_pm_e1_table_load(&t, tab, tabn, badroot) == VIGIL_ECORRUPT && !t);
	/* A swapped slot (a targeted insertion would look like this) changes
	 * the root. */
	uint8_t *tab2 = malloc(tabn);
	memcpy(tab2, tab, tabn);
	uint8_t tmp[32];
	memcpy(tmp, tab2 + 75, 32);
	memcpy(tab2 + 75, tab2 + 75 + 32, 32);
	memcpy(tab2 + 75 + 32, tmp, 32);
	CHECK(vigil_pm_e1_table_load(&t, tab2, tabn, root) == VIGIL_ECORRUPT && !t);
	tab2[5] ^= 1; /* threshold */
	CHECK(vigil_pm_e1_table_load(&t, tab2, tabn, root) == VIGIL_ECORRUPT && !t);
	CHECK(vigil_pm_e1_table_load(&t, tab, tabn - 1, root) == VIGIL_ECORRUPT && !t);
	free(tab2);
	CHECK(vigil_pm_e1_table_load(&t, tab, tabn, root) == VIGIL_OK && t);

	vigil_pm_e1_client *cl = NULL;
	CHECK(vigil_pm_e1_client_new(&cl, t, 0.0, 64) == VIGIL_OK);
	size_t vs = vigil_pm_e1_voucher_size(cl);
	uint8_t *v = malloc(vs);
	vigil_pm_e1_account *acct = NULL;
	CHECK(vigil_pm_e1_account_new(&acct, srv) == VIGIL_OK);
	int op;
	size_t nm;
	char ev[64], id[32];

	/* 20 images not on the list: nothing opens. */
	vigil__pm_e1_force_synthetic(cl, 0);
	for (int i = 0; i < 20; i++) {
		uint8_t k[39];
		item(k, 100000 + i);
		snprintf(id, sizeof id, "benign-%d", i);
		snprintf(ev, sizeof ev, "evidence of benign image %d", i);
		CHECK(vigil_pm_e1_client_voucher(cl, k, 39, (uint8_t *)id, strlen(id),
						 (uint8_t *)ev, strlen(ev), v) == VIGIL_OK);
		CHECK(v[0] == 1);
		for (int j = 0; j < 3; j++) /* the same form as a member's */
			CHECK(crypto_core_ristretto255_is_valid_point(v + 1 + j * 80));
		CHECK(vigil_pm_e1_server_open(srv, acct, v, vs, &op) == VIGIL_OK);
		CHECK(op == 0);
	}
	CHECK(vigil_pm_e1_account_opened(acct) == 0);

	/* 2 synthetic vouchers (for non-members) and T-1 real matches: T+1
	 * outer openings, all alike to the server; nothing decrypts. */
	vigil__pm_e1_force_synthetic(cl, 1);
	for (int i = 0; i < 2; i++) {
		uint8_t k[39];
		item(k, 200000 + i);
		snprintf(id, sizeof id, "syn-%d", i);
		snprintf(ev, sizeof ev, "evidence of synthetic %d", i);
		CHECK(vigil_pm_e1_client_voucher(cl, k, 39, (uint8_t *)id, strlen(id),
						 (uint8_t *)ev, strlen(ev), v) == VIGIL_OK);
		CHECK(vigil_pm_e1_server_open(srv, acct, v, vs, &op) == VIGIL_OK && op == 1);
	}
	vigil__pm_e1_force_synthetic(cl, 0);
	for (int i = 0; i < T - 1; i++) {
		snprintf(id, sizeof id, "match-%d", i);
		snprintf(ev, sizeof ev, "evidence of matched image %d", i);
		CHECK(vigil_pm_e1_client_voucher(cl, list[10 * i], 39, (uint8_t *)id, strlen(id),
						 (uint8_t *)ev, strlen(ev), v) == VIGIL_OK);
		CHECK(vigil_pm_e1_server_open(srv, acct, v, vs, &op) == VIGIL_OK && op == 1);
		CHECK(vigil_pm_e1_account_recover(acct, &nm) == VIGIL_ENOENT && nm == 0);
	}
	/* The first match sent again (same id): not a new share. */
	snprintf(id, sizeof id, "match-%d", 0);
	CHECK(vigil_pm_e1_client_voucher(cl, list[0], 39, (uint8_t *)id, strlen(id),
					 (const uint8_t *)"x", 1, v) == VIGIL_OK);
	CHECK(vigil_pm_e1_server_open(srv, acct, v, vs, &op) == VIGIL_OK && op == 1);
	CHECK(vigil_pm_e1_account_opened(acct) == T + 1);
	CHECK(vigil_pm_e1_account_recover(acct, &nm) == VIGIL_ENOENT && nm == 0);
	const uint8_t *e;
	size_t el;
	CHECK(vigil_pm_e1_account_evidence(acct, 0, &e, &el) == VIGIL_EINVAL);

	/* Tampering: a flipped byte in the outer layer, a truncation. */
	snprintf(id, sizeof id, "match-%d", T - 1);
	snprintf(ev, sizeof ev, "evidence of matched image %d", T - 1);
	CHECK(vigil_pm_e1_client_voucher(cl, list[10 * (T - 1)], 39, (uint8_t *)id, strlen(id),
					 (uint8_t *)ev, strlen(ev), v) == VIGIL_OK);
	v[vs - 5] ^= 1;
	CHECK(vigil_pm_e1_server_open(srv, acct, v, vs, &op) == VIGIL_ECORRUPT);
	v[vs - 5] ^= 1;
	CHECK(vigil_pm_e1_server_open(srv, acct, v, 100, &op) == VIGIL_ECORRUPT && op == 0);
	CHECK(vigil_pm_e1_account_opened(acct) == T + 1);

	/* The T-th distinct match: now exactly the T matched images open. */
	CHECK(vigil_pm_e1_server_open(srv, acct, v, vs, &op) == VIGIL_OK && op == 1);
	CHECK(vigil_pm_e1_account_recover(acct, &nm) == VIGIL_OK);
	CHECKF(nm == T, "nmatched %zu", nm);
	int seen[T] = {0}, other = 0;
	for (size_t i = 0; i < nm; i++) {
		CHECK(vigil_pm_e1_account_evidence(acct, i, &e, &el) == VIGIL_OK);
		int k = -1;
		for (int j = 0; j < T; j++) {
			snprintf(ev, sizeof ev, "evidence of matched image %d", j);
			if (el == strlen(ev) && memcmp(e, ev, el) == 0)
				k = j;
		}
		if (k >= 0)
			seen[k]++;
		else
			other++;
	}
	for (int j = 0; j < T; j++)
		CHECKF(seen[j] == 1, "match %d seen %d times", j, seen[j]);
	CHECK(other == 0);

	/* After the threshold a further match opens at once. */
	CHECK(vigil_pm_e1_client_voucher(cl, list[NLIST - 1], 39, (const uint8_t *)"late", 4,
					 (const uint8_t *)"late evidence", 13, v) == VIGIL_OK);
	CHECK(vigil_pm_e1_server_open(srv, acct, v, vs, &op) == VIGIL_OK && op == 1);
	CHECK(vigil_pm_e1_account_recover(acct, &nm) == VIGIL_OK && nm == T + 1);

	/* The opened slot record's position says nothing: uniform over the 3
	 * positions for real matches (cuckoo insertion alone would favour the
	 * first hash function) as for synthetic vouchers. 150 draws: each
	 * position's count stays within 50 +- 25 except with p ~ 1e-5. */
	{
		int cnt[2][3] = {{0}};
		for (int i = 0; i < 150; i++) {
			for (int sy = 0; sy < 2; sy++) {
				vigil__pm_e1_force_synthetic(cl, sy);
				snprintf(id, sizeof id, "pos-%d", i);
				CHECK(vigil_pm_e1_client_voucher(cl, list[i], 39, (uint8_t *)id,
								 strlen(id), (const uint8_t *)"p", 1,
								 v) == VIGIL_OK);
				int p = vigil__pm_e1_opened_position(srv, v);
				CHECK(p >= 0 && p < 3);
				if (p >= 0 && p < 3)
					cnt[sy][p]++;
			}
		}
		vigil__pm_e1_force_synthetic(cl, 0);
		for (int sy = 0; sy < 2; sy++)
			for (int p = 0; p < 3; p++)
				CHECKF(cnt[sy][p] >= 25 && cnt[sy][p] <= 75, "%s position %d: %d/150",
				       sy ? "synthetic" : "real", p, cnt[sy][p]);
	}

	/* Random bytes of voucher size never open. */
	for (int i = 0; i < 20; i++) {
		randombytes_buf(v, vs);
		v[0] = 1;
		CHECK(vigil_pm_e1_server_open(srv, acct, v, vs, &op) == VIGIL_OK && op == 0);
	}

	/* Another account's server state, fed vouchers of the same images from
	 * a different device, holds nothing of the first (separate keys). */
	vigil_pm_e1_account *acct2 = NULL;
	vigil_pm_e1_client *cl2 = NULL;
	CHECK(vigil_pm_e1_account_new(&acct2, srv) == VIGIL_OK);
	CHECK(vigil_pm_e1_client_new(&cl2, t, 0.0, 64) == VIGIL_OK);
	vigil__pm_e1_force_synthetic(cl2, 0);
	for (int i = 0; i < T - 1; i++) {
		snprintf(id, sizeof id, "match-%d", i);
		CHECK(vigil_pm_e1_client_voucher(cl2, list[10 * i], 39, (uint8_t *)id, strlen(id),
						 (const uint8_t *)"y", 1, v) == VIGIL_OK);
		CHECK(vigil_pm_e1_server_open(srv, acct2, v, vs, &op) == VIGIL_OK && op == 1);
	}
	CHECK(vigil_pm_e1_account_recover(acct2, &nm) == VIGIL_ENOENT);

	/* State kept across a restart: the first T-1 matches came from cl2;
	 * its exported and re-imported state makes the T-th, and the account
	 * recovers (same polynomial). A fresh client's share would not. */
	{
		uint8_t st[VIGIL_PM_E1_STATE_MAX];
		size_t sl;
		CHECK(vigil_pm_e1_client_export(cl2, st, 10, &sl) == VIGIL_ETOOBIG);
		CHECK(vigil_pm_e1_client_export(cl2, st, sizeof st, &sl) == VIGIL_OK);
		CHECK(sl == 79 + 32 * (T - 1));
		vigil_pm_e1_client *re = NULL, *fresh = NULL;
		CHECK(vigil_pm_e1_client_import(&re, t, st, sl - 1) == VIGIL_ECORRUPT && !re);
		st[5] ^= 1;
		CHECK(vigil_pm_e1_client_import(&re, t, st, sl) == VIGIL_ECORRUPT && !re);
		st[5] ^= 1;
		memset(st + 15, 0xff, 32); /* a non-canonical adkey */
		uint8_t keep[32];
		CHECK(vigil_pm_e1_client_export(cl2, keep, 0, &sl) == VIGIL_ETOOBIG);
		CHECK(vigil_pm_e1_client_import(&re, t, st, 79 + 32 * (T - 1)) == VIGIL_ECORRUPT);
		CHECK(vigil_pm_e1_client_export(cl2, st, sizeof st, &sl) == VIGIL_OK);
		CHECK(vigil_pm_e1_client_import(&re, t, st, sl) == VIGIL_OK && re);
		sodium_memzero(st, sizeof st);
		vigil__pm_e1_force_synthetic(re, 0);
		CHECK(vigil_pm_e1_client_new(&fresh, t, 0.0, 64) == VIGIL_OK);
		vigil__pm_e1_force_synthetic(fresh, 0);
		/* A fresh state's share first: T distinct matches in the account,
		 * but from two polynomials: nothing opens. */
		CHECK(vigil_pm_e1_client_voucher(fresh, list[200], 39, (const uint8_t *)"f", 1,
						 (const uint8_t *)"fresh", 5, v) == VIGIL_OK);
		CHECK(vigil_pm_e1_server_open(srv, acct2, v, vs, &op) == VIGIL_OK && op == 1);
		CHECK(vigil_pm_e1_account_recover(acct2, &nm) == VIGIL_ENOENT);
		CHECK(vigil_pm_e1_client_voucher(re, list[201], 39, (const uint8_t *)"r", 1,
						 (const uint8_t *)"restored", 8, v) == VIGIL_OK);
		CHECK(vigil_pm_e1_server_open(srv, acct2, v, vs, &op) == VIGIL_OK && op == 1);
		CHECK(vigil_pm_e1_account_recover(acct2, &nm) == VIGIL_OK && nm == T);
		vigil_pm_e1_client_free(re);
		vigil_pm_e1_client_free(fresh);
	}
	vigil_pm_e1_client_free(cl2);
	vigil_pm_e1_account_free(acct2);
	free(v);
	vigil_pm_e1_account_free(acct);
	vigil_pm_e1_client_free(cl);
	vigil_pm_e1_table_free(t);
	free(tab);
	vigil_pm_e1_server_free(srv);
	return test_done("pm/e1");
}
