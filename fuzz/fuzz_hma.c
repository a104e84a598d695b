/* fuzz_hma — the parsers of the HMA-compatible routes' parameters and the
 * URL-fetch allowlist. The first byte picks one; the rest is split at the
 * first NUL into two strings where a case takes two:
 *   0: a signal value as pdq and as video_md5 (hma_signal_parse): what is
 *      accepted normalises to a form that parses to the same value;
 *   1: bank labels and a ratio (hma_labels_with_ratio, hma_labels_ratio):
 *      the ratio reads back, the other labels stay;
 *   2: a bank name (hma_bank_name_ok) against the rule, char by char;
 *   3: an address list and an address (srv_cidr_list_check,
 *      srv_addr_listed): a valid list that names the address exactly
 *      lists it. */
#include "../src/server/fetch.h"
#include "../src/server/hma_parse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void signal_case(const char *s)
{
	for (int st = 0; st < HMA_NST; st++) {
		vigil_entry e, e2;
		char norm[65], norm2[65];
		const char *why = NULL;
		if (hma_signal_parse(st, s, &e, norm, &why)) {
			if (!why)
				abort();
			continue;
		}
		if (hma_signal_parse(st, norm, &e2, norm2, &why) ||
		    memcmp(e.value, e2.value, sizeof(e.value)) || strcmp(norm, norm2) ||
		    strlen(norm) != (st == HMA_ST_PDQ ? 64u : 32u))
			abort();
	}
}

static void labels_case(const char *labels, const char *num)
{
	char out[1100];
	double v = strtod(num, NULL);

	if (!isfinite(v) || strlen(labels) > 1024)
		return;
	if (hma_labels_with_ratio(labels, v, out, sizeof(out)))
		return;
	if (strlen(out) >= sizeof(out))
		abort();
	/* The ratio reads back unless a label before ours looks like one. */
	if (!strstr(labels, "hma_ratio=") && hma_labels_ratio(out) != v)
		abort();
}

static void name_case(const char *n)
{
	size_t len = strlen(n);
	int want = len > 0 && len <= HMA_BANK_NAME_MAX &&
		   ((n[0] >= 'A' && n[0] <= 'Z') || n[0] == '_');

	for (size_t i = 0; want && i < len; i++)
		want = (n[i] >= 'A' && n[i] <= 'Z') || (n[i] >= '0' && n[i] <= '9') ||
		       n[i] == '_';
	if (hma_bank_name_ok(n) != want)
		abort();
}

static void addr_case(const char *list, const char *ip)
{
	char err[256], both[600];
	int plain;

	(void)srv_cidr_list_check(list, err, sizeof(err));
	(void)srv_addr_listed(list, ip);
	/* An address on the list is listed, wherever it stands. */
	plain = *ip && !strpbrk(ip, ",/ \t\n\r\v\f") &&
		srv_cidr_list_check(ip, err, sizeof(err)) == 0;
	if (!plain || strlen(list) + strlen(ip) + 2 > sizeof(both))
		return;
	memcpy(both, list, strlen(list));
	both[strlen(list)] = ',';
	memcpy(both + strlen(list) + 1, ip, strlen(ip) + 1);
	if (!srv_addr_listed(ip, ip) || !srv_addr_listed(both, ip))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char *a, *b;

	if (!n || n > 4096)
		return 0;
	a = malloc(n + 1);
	if (!a)
		return 0;
	memcpy(a, d + 1, n - 1);
	a[n - 1] = 0;
	a[n] = 0;
	b = a + strlen(a) + 1;
	if (b > a + n - 1)
		b = a + n; /* "" */
	switch (d[0] % 4) {
	case 0: signal_case(a); break;
	case 1: labels_case(a, b); break;
	case 2: name_case(a); break;
	default: addr_case(a, b); break;
	}
	free(a);
	return 0;
}
