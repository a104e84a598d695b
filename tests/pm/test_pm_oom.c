/* test_pm_oom.c — every allocating E1 entry point under fault injection:
 * fail the Nth allocation for N = 0, 1, ... until the whole flow succeeds;
 * each failure must be VIGIL_ENOMEM (or the flow's clean "not opened")
 * with nothing leaked (ASan's leak checker runs this too), and the gmw
 * driver must report -2. */
#include <sodium.h>

#include "../../src/core/core.h"
#include "../../src/pm/pm_int.h"
#include "../test.h"
#include "vigil.h"

static int flow(const uint8_t *const *keys, const size_t *lens, int n)
{
	vigil_pm_e1_server *srv = NULL;
	vigil_pm_e1_table *t = NULL;
	vigil_pm_e1_client *cl = NULL;
	vigil_pm_e1_account *a = NULL;
	uint8_t root[32], *buf = NULL, *v = NULL;
	size_t bn, nm;
	int rc, op;
	if ((rc = vigil_pm_e1_server_new(&srv, keys, lens, (size_t)n, 2)))
		goto out;
	CHECK(srv != NULL);
	vigil_pm_e1_server_root(srv, root);
	if ((rc = vigil_pm_e1_table_export(srv, &buf, &bn)))
		goto out;
	if ((rc = vigil_pm_e1_table_load(&t, buf, bn, root)))
		goto out;
	if ((rc = vigil_pm_e1_client_new(&cl, t, 0.0, 8)))
		goto out;
	vigil__pm_e1_force_synthetic(cl, 0);
	if ((rc = vigil_pm_e1_account_new(&a, srv)))
		goto out;
	v = malloc(vigil_pm_e1_voucher_size(cl));
	for (int i = 0; i < 3; i++) {
		uint8_t id = (uint8_t)i;
		if ((rc = vigil_pm_e1_client_voucher(cl, keys[i], lens[i], &id, 1,
						     (const uint8_t *)"e", 1, v)))
			goto out;
		if ((rc = vigil_pm_e1_server_open(srv, a, v, vigil_pm_e1_voucher_size(cl), &op)))
			goto out;
		CHECK(op == 1);
	}
	rc = vigil_pm_e1_account_recover(a, &nm);
	if (rc == VIGIL_OK)
		CHECK(nm == 3);
out:
	free(v);
	vigil_pm_e1_account_free(a);
	vigil_pm_e1_client_free(cl);
	vigil_pm_e1_table_free(t);
	free(buf);
	vigil_pm_e1_server_free(srv);
	return rc;
}

int main(void)
{
	CHECK(vigil_pm_enable(VIGIL_PM_ACK) == VIGIL_OK);
	uint8_t k[10][32];
	const uint8_t *keys[10];
	size_t lens[10];
	for (int i = 0; i < 10; i++) {
		memset(k[i], 0x30 + i, 32);
		keys[i] = k[i];
		lens[i] = 32;
	}
	long n;
	for (n = 0; n < 1000; n++) {
		vigil__fault_after(n);
		int rc = flow(keys, lens, 10);
		long used = vigil__fault_after(-1);
		/* open_inner's ENOMEM during recovery surfaces as ENOMEM too. */
		CHECKF(rc == VIGIL_OK || rc == VIGIL_ENOMEM, "n=%ld rc=%d", n, rc);
		if (rc == VIGIL_OK && used <= n)
			break;
	}
	CHECKF(n < 1000, "never succeeded");
	printf("E1 flow succeeded with %ld allocations allowed\n", n);
	{
		size_t na = vigil__pm_gmw_hd_ands();
		vigil__pm_triple *t0 = calloc(na, sizeof *t0), *t1 = calloc(na, sizeof *t1);
		uint64_t w0[256] = {0}, w1[256] = {0}, o0, o1;
		vigil__pm_gmw_deal(t0, t1, na);
		vigil__fault_after(0);
		CHECK(vigil__pm_gmw_hd_le_local(w0, w1, 3, t0, t1, na, &o0, &o1) == -2);
		vigil__fault_after(-1);
		free(t0);
		free(t1);
	}
	return test_done("pm/oom");
}
