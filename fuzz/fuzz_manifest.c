/* fuzz_manifest — the parser of an evidence bundle's manifest.json
 * (vigil__manifest_parse, src/evidence/manifest.c), which reads whatever
 * came back with a bundle. Invariants: never crashes; what it accepts is at
 * most VIGIL_EVIDENCE_BUNDLE_MAX names, each "files/" + one plain name
 * (no '/', no leading '.', terminated); a refusal is ECORRUPT with nothing
 * returned. Then the same bytes, signed with a fixed key, go through the
 * whole vigil_bundle_verify over an empty files/ folder: it must accept
 * exactly the manifests the parser accepts with no file listed. */
#include "vigil.h"
#include "../src/evidence/evidence_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static uint8_t pk[32], sk[64];

static void cleanup(void)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/manifest.json", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/manifest.sig", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/files", dir);
	rmdir(p);
	rmdir(dir);
}

static void setup(void)
{
	uint8_t seed[32] = {7};
	char p[128];

	if (*dir)
		return;
	if (sodium_init() < 0)
		abort();
	crypto_sign_seed_keypair(pk, sk, seed);
	snprintf(dir, sizeof(dir), "/tmp/vigil-fuzz-manifest-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(p, sizeof(p), "%s/files", dir);
	if (mkdir(p, 0700))
		abort();
	atexit(cleanup);
}

static void put(const char *name, const void *p, size_t n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vigil_ctx *ctx = NULL;
	vigil__manifest_entry *v = (vigil__manifest_entry *)1;
	size_t n = 7;
	int rc, vrc;

	if (vigil_ctx_new(&ctx))
		return 0;
	rc = vigil__manifest_parse(ctx, (const char *)data, size, &v, &n);
	if (rc == VIGIL_OK) {
		if (n > VIGIL_EVIDENCE_BUNDLE_MAX || (n && !v))
			abort();
		for (size_t i = 0; i < n; i++) {
			const char *b = v[i].name + 6;
			if (!memchr(v[i].name, '\0', sizeof(v[i].name)) ||
			    strncmp(v[i].name, "files/", 6) || !*b || *b == '.' || strchr(b, '/'))
				abort();
		}
	} else if (rc != VIGIL_ECORRUPT || v || n) {
		if (rc != VIGIL_ENOMEM)
			abort();
	}
	if (size <= 1 << 16) {
		uint8_t sig[64];
		char hex[129];
		setup();
		crypto_sign_detached(sig, NULL, data, size, sk);
		sodium_bin2hex(hex, sizeof(hex), sig, sizeof(sig));
		put("manifest.json", data, size);
		put("manifest.sig", hex, 128);
		vrc = vigil_bundle_verify(ctx, dir, pk);
		if ((vrc == VIGIL_OK) != (rc == VIGIL_OK && n == 0))
			abort();
	}
	if (rc == VIGIL_OK)
		free(v);
	vigil_ctx_free(ctx);
	return 0;
}
