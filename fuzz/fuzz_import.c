/* fuzz_import — hash-list parsing in every format, and a whole import into
 * an in-memory SQLite store (auto-detected format). The first byte picks the
 * 64-digit hex type, so both readings are explored. */
#include "vigil.h"
#include "../src/bank/parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_all(const uint8_t *data, size_t size, int format, int type)
{
	static char line[VIGIL__LINE_MAX + 2];
	static vigil__rec rec;
	vigil__parser p;
	size_t pos = 0;

	vigil__parser_init(&p, format, type);
	while (pos < size) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t n = nl ? (size_t)(nl - (data + pos)) : size - pos;
		const char *why;
		int r;
		if (n <= VIGIL__LINE_MAX) {
			memcpy(line, data + pos, n);
			r = vigil__parse_line(&p, line, n, &rec, &why);
			if (r < 0 && !why)
				abort(); /* a bad line always has a reason */
			if (r > 0 && (rec.type < 0 || rec.type >= VIGIL__HASH_TYPE_END ||
				      rec.quality < -1 || rec.quality > 100 ||
				      strlen(rec.metadata) > VIGIL_META_MAX))
				abort();
		}
		pos += n + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static vigil_ctx *ctx;
	vigil_store *st = NULL;
	int f, type = size && (data[0] & 1) ? VIGIL_HASH_SHA256 : VIGIL_HASH_PDQ;
	FILE *in;

	if (!ctx && vigil_ctx_new(&ctx))
		abort();
	for (f = VIGIL_FMT_AUTO; f < VIGIL__FMT_END; f++)
		parse_all(data, size, f, type);
	if (vigil_store_open(ctx, ":memory:", &st))
		abort();
	if (vigil_bank_create(st, "fuzz", NULL, NULL, NULL))
		abort();
	in = fmemopen((void *)data, size ? size : 1, "r");
	if (in) {
		vigil_import_stats s;
		vigil_bank b;
		if (vigil_bank_import(st, "fuzz", in, NULL, &s) == VIGIL_OK &&
		    (vigil_bank_get(st, "fuzz", &b) || (uint64_t)b.entries != s.added))
			abort(); /* what was reported added is what is stored */
		fclose(in);
	}
	vigil_store_close(st);
	return 0;
}
