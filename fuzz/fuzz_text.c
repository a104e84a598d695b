/* fuzz_text — the text normaliser in both views, hashtag extraction, the
 * term-list parser, and a matcher built from the parsed list scanning the
 * same input. Checks the invariants callers rely on: every folded byte maps
 * to an in-bounds, ordered original span; hashtag spans are in bounds; a
 * hit's span is in bounds and names a listed term; the fast fold equals
 * the reference fold (src/text/fold_ref.c) byte for byte and span for span,
 * with and without its SSE2 kernels. */
#include "vigil.h"
#include "../src/text/text_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int no_bad(void *user, uint64_t line, const char *why)
{
	(void)user;
	(void)line;
	if (!why || !*why)
		abort(); /* a bad line always has a reason */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static vigil_ctx *ctx;
	static vigil_folder *fo;
	static vigil_folded f, r;
	const char *s = (const char *)data;
	vigil_span sp[16];
	vigil_termlist *tl = NULL;
	vigil_text_matcher *m = NULL;
	vigil_text_scanner *sc = NULL;
	vigil_text_opts o = {size && (data[0] & 1) ? "ar" : NULL};
	size_t k, n, added;
	int v;

	if (!ctx && (vigil_ctx_new(&ctx) || vigil_folder_new(ctx, &fo)))
		abort();
	for (v = 0; v < 4; v++) {
		int simd = fo->simd;
		fo->simd = simd && v < 2; /* views 0, 1, then again without SIMD */
		k = (size_t)vigil_fold(fo, ctx, v & 1, s, size, &o, &f);
		fo->simd = simd;
		if (k || vigil__fold_ref(fo, ctx, v & 1, s, size, &o, &r) || r.len != f.len ||
		    memcmp(r.text, f.text, f.len + 1) ||
		    memcmp(r.ostart, f.ostart, f.len * sizeof(uint32_t)) ||
		    memcmp(r.oend, f.oend, f.len * sizeof(uint32_t)))
			abort();
		if (strlen(f.text) > f.len)
			abort();
		for (k = 0; k < f.len; k++)
			if (f.ostart[k] >= f.oend[k] || f.oend[k] > size ||
			    (k && f.ostart[k] < f.ostart[k - 1]))
				abort();
	}
	n = vigil_hashtags(s, size, sp, 16);
	for (k = 0; k < n && k < 16; k++)
		if (sp[k].start >= sp[k].end || sp[k].end > size ||
		    (k && sp[k].start < sp[k - 1].end))
			abort();
	if (vigil_termlist_new(ctx, &tl))
		abort();
	if (vigil_termlist_parse(tl, s, size, no_bad, NULL, &added) ||
	    added != vigil_termlist_count(tl))
		abort();
	if (added && added < 200 && !vigil_text_matcher_new(ctx, fo, tl, &m)) {
		const vigil_text_hit *h;
		size_t nh;
		if (vigil_text_scanner_new(ctx, m, &sc))
			abort();
		if (vigil_text_scan(sc, ctx, s, size, &o, &h, &nh) == 0)
			for (k = 0; k < nh; k++)
				if (h[k].start >= h[k].end || h[k].end > size ||
				    h[k].term >= added)
					abort();
	}
	vigil_text_scanner_free(sc);
	vigil_text_matcher_free(m);
	vigil_termlist_free(tl);
	return 0;
}
