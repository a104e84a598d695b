/* fuzz_exchange — the exchange response parsers (src/exchange): the first
 * byte picks NCMEC (XML), StopNCII, ThreatExchange or TCAP (JSON) by its
 * value mod 5, or, 250 and above, a vigil feed page (the local exchange);
 * the rest is the response body. Never crashes; every accepted record has
 * a non-empty NUL-terminated key, at most XCH_MAX_HASHES hashes of known
 * types, and metadata that is empty or a JSON object in jansson's compact
 * sorted form. */
#include "../src/exchange/exchange_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_page(const xpage *p)
{
	size_t i;
	int k;

	for (i = 0; i < p->n; i++) {
		const xrec *r = &p->recs[i];
		if (!r->key[0] || memchr(r->key, 0, sizeof(r->key)) == NULL)
			abort();
		if (r->n < 0 || r->n > XCH_MAX_HASHES || (r->del && r->n))
			abort();
		for (k = 0; k < r->n; k++)
			if (!vigil_hash_type_size(r->h[k].type))
				abort();
		if (r->meta[0]) {
			json_t *m = json_loads(r->meta, 0, NULL);
			char *d;
			if (!json_is_object(m))
				abort();
			/* written as json_dumps writes it (the readers that build
			 * the text directly, vigil__xmeta_*, must agree) */
			d = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
			if (!d || strcmp(d, r->meta))
				abort();
			free(d);
			json_decref(m);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *settings;
	vigil_ctx *ctx = NULL;
	xpage p;
	int rc = VIGIL_OK;

	if (size < 1 || vigil_ctx_new(&ctx))
		return 0;
	if (!settings)
		settings = json_pack("{s:[i,i]}", "esp_ids", 42, 43);
	memset(&p, 0, sizeof(p));
	if (data[0] >= 250) {
		int64_t next;
		int more;
		rc = vigil__vigil_parse(ctx, (const char *)data + 1, size - 1, &p, &next, &more);
		goto parsed;
	}
	switch (data[0] % 5) {
	case 0: {
		xncmec_parsed o;
		rc = vigil__ncmec_parse(ctx, (const char *)data + 1, size - 1, NULL, &p, &o);
		if (!rc && memchr(o.next, 0, sizeof(o.next)) == NULL)
			abort();
		break;
	}
	case 1: {
		xncmec_parsed o;
		rc = vigil__ncmec_parse(ctx, (const char *)data + 1, size - 1, settings, &p, &o);
		break;
	}
	case 2: {
		xstopncii_parsed o;
		rc = vigil__stopncii_parse(ctx, (const char *)data + 1, size - 1, &p, &o);
		break;
	}
	case 3: {
		xte_parsed o;
		rc = vigil__te_parse(ctx, (const char *)data + 1, size - 1, &p, &o);
		break;
	}
	default: {
		xtcap_parsed o;
		rc = vigil__tcap_parse(ctx, (const char *)data + 1, size - 1, &p, &o);
		break;
	}
	}
parsed:
	if (rc != VIGIL_OK && rc != VIGIL_ECORRUPT && rc != VIGIL_ENOMEM && rc != VIGIL_ETOOBIG)
		abort();
	if (rc && !*vigil_errmsg(ctx))
		abort(); /* a refusal always says why */
	if (!rc)
		check_page(&p);
	vigil__xpage_free(&p);
	vigil_ctx_free(ctx);
	return 0;
}
