/* pm_client.c — a small E1 device for the end-to-end test of vigil serve's
 * /v1/pm/e1 routes: the public client API only (what a messenger app
 * would call), plus the tests-only switch that forces a voucher to be
 * synthetic.
 *
 *   pm_client vouchers TABLE ROOTHEX STATE OUTDIR < LINES
 *
 * TABLE is the downloaded table, ROOTHEX the published root (checked), STATE
 * the device's account state file (made on first use, reused after: shares
 * of one account must come from one polynomial). Each input line is
 * "NAME MODE TYPE HEX EVIDENCE": MODE real or syn, TYPE a hash type name
 * (sha256, md5, pdq), HEX its value, EVIDENCE a word carried as the
 * voucher's evidence, or @FILE for a file's bytes (up to 1024: a small
 * image, as a device would send a low-resolution derivative). The voucher goes to OUTDIR/NAME.v. The image id is
 * NAME, so a repeated NAME is the same image. Exit 0, or 1 with a message. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/pm/pm_int.h"
#include "vigil.h"

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)n)) && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	if (b)
		*len = (size_t)n;
	fclose(f);
	return b;
}

static int spit(const char *path, const uint8_t *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(b, 1, n, f) == n;
	if (f && fclose(f))
		ok = 0;
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	uint8_t root[32], *tab, *st, state[VIGIL_PM_E1_STATE_MAX];
	size_t tabn = 0, stn = 0;
	vigil_pm_e1_table *t = NULL;
	vigil_pm_e1_client *c = NULL;
	char line[512];

	if (argc != 6 || strcmp(argv[1], "vouchers")) {
		fprintf(stderr, "usage: pm_client vouchers TABLE ROOTHEX STATE OUTDIR < LINES\n");
		return 1;
	}
	if (vigil_pm_enable(VIGIL_PM_ACK) != VIGIL_OK || vigil_unhex(argv[3], root, 32) != VIGIL_OK) {
		fprintf(stderr, "pm_client: enable or root\n");
		return 1;
	}
	tab = slurp(argv[2], &tabn);
	if (!tab || vigil_pm_e1_table_load(&t, tab, tabn, root) != VIGIL_OK) {
		fprintf(stderr, "pm_client: the table is not the published one\n");
		free(tab);
		return 1;
	}
	free(tab);
	st = slurp(argv[4], &stn);
	if (st ? vigil_pm_e1_client_import(&c, t, st, stn) : vigil_pm_e1_client_new(&c, t, 0, 1024)) {
		fprintf(stderr, "pm_client: account state\n");
		return 1;
	}
	free(st);
	if (vigil_pm_e1_client_export(c, state, sizeof state, &stn) || spit(argv[4], state, stn)) {
		fprintf(stderr, "pm_client: cannot save the state\n");
		return 1;
	}
	sodium_memzero(state, sizeof state);
	uint8_t *v = malloc(vigil_pm_e1_voucher_size(c));
	if (!v)
		return 1;
	while (fgets(line, sizeof line, stdin)) {
		char name[128], mode[8], type[16], hex[80], ev[128], path[4096];
		uint8_t key[VIGIL_PM_E1_MAX_KEY];
		if (sscanf(line, "%127s %7s %15s %79s %127s", name, mode, type, hex, ev) != 5) {
			fprintf(stderr, "pm_client: bad line: %s", line);
			return 1;
		}
		int ht = vigil_hash_type_parse(type);
		size_t tl = strlen(type), vl;
		if (ht < 0 || (vl = (size_t)vigil_hash_type_size(ht)) + tl + 1 > sizeof key ||
		    vigil_unhex(hex, key + tl + 1, vl) != VIGIL_OK) {
			fprintf(stderr, "pm_client: bad hash on: %s", line);
			return 1;
		}
		memcpy(key, type, tl);
		key[tl] = ':';
		uint8_t *evb = (uint8_t *)ev;
		size_t evl = strlen(ev);
		if (ev[0] == '@' && (!(evb = slurp(ev + 1, &evl)) || evl > 1024)) {
			fprintf(stderr, "pm_client: cannot use %s as evidence\n", ev + 1);
			return 1;
		}
		vigil__pm_e1_force_synthetic(c, !strcmp(mode, "syn") ? 1 : 0);
		int vr = vigil_pm_e1_client_voucher(c, key, tl + 1 + vl, (const uint8_t *)name,
						    strlen(name), evb, evl, v);
		if (evb != (uint8_t *)ev)
			free(evb);
		if (vr) {
			fprintf(stderr, "pm_client: voucher failed\n");
			return 1;
		}
		snprintf(path, sizeof path, "%s/%s.v", argv[5], name);
		if (spit(path, v, vigil_pm_e1_voucher_size(c))) {
			fprintf(stderr, "pm_client: cannot write %s\n", path);
			return 1;
		}
	}
	free(v);
	vigil_pm_e1_client_free(c);
	vigil_pm_e1_table_free(t);
	return 0;
}
