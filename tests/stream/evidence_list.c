/* evidence_list.c — prints a store's evidence, one tab-separated line per
 * record (source, seconds, bank, entry, distance, hash, action), for the
 * stream end-to-end test to check what `vigil stream` recorded. */
#include "vigil.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	vigil_ctx *ctx = NULL;
	vigil_store *st = NULL;
	vigil_evidence *ev = NULL;
	size_t n = 0, i;
	char hex[65];
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: evidence_list STORE\n");
		return 2;
	}
	if (vigil_ctx_new(&ctx))
		return 1;
	if (vigil_store_open(ctx, argv[1], &st) ||
	    vigil_evidence_list(st, 0, 10000, &ev, &n)) {
		fprintf(stderr, "evidence_list: %s\n", vigil_errmsg(ctx));
		goto out;
	}
	for (i = 0; i < n; i++) {
		vigil_pdq_to_hex(&ev[i].hash, hex);
		printf("%s\t%.3f\t%s\t%lld\t%d\t%s\t%s\n", ev[i].source,
		       ev[i].source_seconds, ev[i].bank, (long long)ev[i].entry_id,
		       ev[i].distance, hex, ev[i].action);
	}
	rc = 0;
out:
	free(ev);
	vigil_store_close(st);
	vigil_ctx_free(ctx);
	return rc;
}
