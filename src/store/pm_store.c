/* pm_store.c — what `vigil serve` keeps of private matching (vigil/pm.h,
 * "server persistence"): argument checks, then the backend. */
#include "store.h"

#include <string.h>

int vigil_pm_account_ok(const char *a)
{
	size_t n;

	if (!a)
		return 0;
	n = strlen(a);
	if (n < 1 || n > VIGIL_PM_ACCOUNT_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = a[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '@' || c == '-'))
			return 0;
	}
	return 1;
}

/* The largest state: the table's slot limit, as vigil_pm_e1_server_import. */
#define PM_STATE_MAX ((size_t)37 + 75 + (size_t)VIGIL_PM_E1_MAX_SLOTS * 32)
#define PM_VOUCHER_MAX ((size_t)1 + 3 * 80 + 80 + 42 + VIGIL_PM_E1_MAX_EVIDENCE)

int vigil_pm_store_state_put(vigil_store *st, const uint8_t *state, size_t len)
{
	if (!st || !state || len < 1 || len > PM_STATE_MAX)
		return VIGIL_EINVAL;
	return NEED_OP(st, pm_state_put, state, len);
}

int vigil_pm_store_state_get(vigil_store *st, uint8_t **state, size_t *len)
{
	if (!st || !state || !len)
		return VIGIL_EINVAL;
	*state = NULL;
	*len = 0;
	return NEED_OP(st, pm_state_get, state, len);
}

int vigil_pm_store_voucher_add(vigil_store *st, const char *account, const uint8_t *voucher,
			       size_t len, int64_t now)
{
	if (!st || !vigil_pm_account_ok(account) || (voucher && (len < 1 || len > PM_VOUCHER_MAX)))
		return VIGIL_EINVAL;
	return NEED_OP(st, pm_voucher_add, account, voucher, len, now);
}

int vigil_pm_store_voucher_scan(vigil_store *st, const char *account, vigil_pm_voucher_cb cb,
				void *user)
{
	if (!st || !vigil_pm_account_ok(account) || !cb)
		return VIGIL_EINVAL;
	return NEED_OP(st, pm_voucher_scan, account, cb, user);
}

int vigil_pm_store_account_get(vigil_store *st, const char *account, vigil_pm_account_info *out)
{
	if (!st || !vigil_pm_account_ok(account) || !out)
		return VIGIL_EINVAL;
	memset(out, 0, sizeof(*out));
	return NEED_OP(st, pm_account_get, account, out);
}

int vigil_pm_store_account_set_matched(vigil_store *st, const char *account, int64_t matched,
				       int64_t now)
{
	if (!st || !vigil_pm_account_ok(account) || matched < 0)
		return VIGIL_EINVAL;
	return NEED_OP(st, pm_account_set_matched, account, matched, now);
}
