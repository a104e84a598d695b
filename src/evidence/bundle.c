/* bundle.c — the signed bundle of preserved items (vigil/evidence.h), for a
 * hotline without an API or a law-enforcement request: a directory with
 * manifest.json, manifest.sig and files/. The signature covers the
 * manifest's bytes; the manifest carries every file's SHA-256, so changing,
 * removing or adding a file, or any byte of the manifest, is detected by
 * vigil_bundle_verify with nothing but the signer's public key. */
#include "evidence_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BUNDLE_FORMAT VIGIL__BUNDLE_FORMAT
#define MANIFEST_MAX (16 << 20) /* bytes of a manifest we read back */
#define NAME_MAX_LEN VIGIL__MANIFEST_NAME_MAX

static const char *ext_of(const char *ct)
{
	static const char *const map[][2] = {
		{"image/jpeg", ".jpg"}, {"image/png", ".png"}, {"image/gif", ".gif"},
		{"image/webp", ".webp"}, {"image/bmp", ".bmp"}, {"image/tiff", ".tif"},
		{"video/mp4", ".mp4"}, {"application/xml", ".xml"},
		{"application/json", ".json"},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(ct, map[i][0]))
			return map[i][1];
	return ".bin";
}

static int write_file(vigil_ctx *ctx, const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	const uint8_t *b = p;
	size_t off = 0;
	int rc = VIGIL_OK;

	if (fd < 0)
		return vigil__err(ctx, VIGIL_EIO, "%s: %s", path, strerror(errno));
	while (off < n) {
		ssize_t w = write(fd, b + off, n - off);
		if (w <= 0) {
			rc = vigil__err(ctx, VIGIL_EIO, "%s: %s", path, strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	if (!rc && fsync(fd))
		rc = vigil__err(ctx, VIGIL_EIO, "%s: %s", path, strerror(errno));
	if (close(fd) && !rc)
		rc = vigil__err(ctx, VIGIL_EIO, "%s: %s", path, strerror(errno));
	return rc;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, b, n);
}

/* One item into dir/files: its manifest entry is appended to arr. */
static int put_item(vigil_store *st, const uint8_t master[32], const char *dir, int64_t id,
		    const vigil_bundle_opts *o, json_t *arr)
{
	vigil_preserved_item it;
	uint8_t *plain = NULL, *sealed = NULL, dig[32];
	size_t plen = 0, slen = 0;
	char name[NAME_MAX_LEN], path[4096 + NAME_MAX_LEN + 16], h[65];
	json_t *e;
	int rc;

	rc = vigil_preserved_get(st, id, &it, NULL, NULL);
	if (rc)
		return rc;
	rc = vigil_preserved_open(st, master, id, o->who, &plain, &plen);
	if (rc)
		return rc;
	snprintf(name, sizeof(name), "files/%lld-%s-%d%s%s", (long long)id, it.kind, it.n,
		 ext_of(it.content_type), o->to_pk ? ".sealed" : "");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	crypto_hash_sha256(dig, plain, plen);
	hex(dig, 32, h);
	e = json_pack("{s:s,s:I,s:I,s:I,s:s,s:i,s:s,s:I,s:s}", "name", name, "item",
		      (json_int_t)id, "report", (json_int_t)it.report_id, "case",
		      (json_int_t)it.case_id, "kind", it.kind, "n", it.n, "content_type",
		      it.content_type, "bytes", (json_int_t)plen, "sha256", h);
	if (!e) {
		rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	if (o->to_pk) {
		slen = plen + crypto_box_SEALBYTES;
		sealed = malloc(slen);
		if (!sealed || crypto_box_seal(sealed, plain, plen, o->to_pk)) {
			rc = vigil__err(st->ctx, sealed ? VIGIL_EINVAL : VIGIL_ENOMEM,
					"bundle: cannot seal to the recipient's key");
			json_decref(e);
			goto out;
		}
		crypto_hash_sha256(dig, sealed, slen);
		hex(dig, 32, h);
		json_object_set_new(e, "sealed_sha256", json_string(h));
		rc = write_file(st->ctx, path, sealed, slen);
	} else {
		rc = write_file(st->ctx, path, plain, plen);
	}
	if (rc || json_array_append_new(arr, e)) {
		if (!rc) {
			json_decref(e);
			rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		}
		goto out;
	}
	{
		json_t *d = json_pack("{s:s,s:s,s:b}", "dir", dir, "reason",
				      o->reason ? o->reason : "", "sealed", o->to_pk != NULL);
		char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
		vigil__evidence_audit(st, o->who, "evidence.export", id, text);
		free(text);
		json_decref(d);
	}
out:
	if (plain)
		sodium_memzero(plain, plen);
	free(plain);
	free(sealed);
	return rc;
}

/* A failed export leaves nothing behind: no half bundle, and no file
 * written in the clear. */
static void remove_partial(const char *dir, json_t *arr)
{
	char path[4200];
	json_t *f;
	size_t i;

	json_array_foreach(arr, i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		if (name) {
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			unlink(path);
		}
	}
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/manifest.sig", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/files", dir);
	rmdir(path);
	rmdir(dir);
}

int vigil_bundle_write(vigil_store *st, const uint8_t master[32], const int64_t *ids,
			  size_t n, const char *dir, const vigil_bundle_opts *o)
{
	uint8_t pk[32], sk[64], sig[64];
	char path[4200], pkhex[65], sighex[129], when[32];
	json_t *doc = NULL, *arr = NULL;
	char *text = NULL;
	struct tm tm;
	time_t tt;
	int rc;

	if (!st || !master || !ids || !n || !dir || !o || !o->seed)
		return VIGIL_EINVAL;
	if (n > VIGIL_EVIDENCE_BUNDLE_MAX)
		return vigil__err(st->ctx, VIGIL_ETOOBIG, "a bundle holds %d items at most",
				  VIGIL_EVIDENCE_BUNDLE_MAX);
	if (sodium_init() < 0)
		return vigil__err(st->ctx, VIGIL_EINTERNAL, "libsodium did not initialise");
	if (strlen(dir) > 4000)
		return vigil__err(st->ctx, VIGIL_EINVAL, "bundle: directory name too long");
	if (mkdir(dir, 0700))
		return vigil__err(st->ctx, errno == EEXIST ? VIGIL_EEXIST : VIGIL_EIO,
				  "%s: %s (a bundle goes into a new directory)", dir,
				  strerror(errno));
	snprintf(path, sizeof(path), "%s/files", dir);
	if (mkdir(path, 0700))
		return vigil__err(st->ctx, VIGIL_EIO, "%s: %s", path, strerror(errno));
	crypto_sign_seed_keypair(pk, sk, o->seed);
	hex(pk, 32, pkhex);
	tt = (time_t)(o->now ? o->now : time(NULL));
	gmtime_r(&tt, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	arr = json_array();
	doc = json_pack("{s:s,s:s,s:s,s:s,s:O}", "format", BUNDLE_FORMAT, "created", when,
			"signer", pkhex, "reason", o->reason ? o->reason : "", "files", arr);
	if (!doc) {
		rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	if (o->to_pk) {
		char to[65];
		hex(o->to_pk, 32, to);
		json_object_set_new(doc, "sealed_to", json_string(to));
	}
	for (size_t i = 0; i < n; i++) {
		rc = put_item(st, master, dir, ids[i], o, arr);
		if (rc)
			goto out;
	}
	text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!text) {
		rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	crypto_sign_detached(sig, NULL, (const uint8_t *)text, strlen(text), sk);
	hex(sig, 64, sighex);
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	rc = write_file(st->ctx, path, text, strlen(text));
	if (!rc) {
		snprintf(path, sizeof(path), "%s/manifest.sig", dir);
		sighex[128] = '\n';
		rc = write_file(st->ctx, path, sighex, 129);
	}
out:
	if (rc)
		remove_partial(dir, arr);
	sodium_memzero(sk, sizeof(sk));
	free(text);
	json_decref(doc);
	json_decref(arr);
	return rc;
}

/* ----------------------------------------------------------- verify */

static int read_small(vigil_ctx *ctx, const char *path, size_t max, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	size_t n;

	if (!f)
		return vigil__err(ctx, VIGIL_ECORRUPT, "%s: %s", path, strerror(errno));
	b = malloc(max + 1);
	if (!b) {
		fclose(f);
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	}
	n = fread(b, 1, max + 1, f);
	fclose(f);
	if (n > max) {
		free(b);
		return vigil__err(ctx, VIGIL_ECORRUPT, "%s: larger than %zu bytes", path, max);
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return VIGIL_OK;
}

static int hash_file(vigil_ctx *ctx, const char *path, uint8_t dig[32])
{
	crypto_hash_sha256_state s;
	uint8_t buf[65536];
	FILE *f = fopen(path, "rb");
	size_t n;
	int bad;

	if (!f)
		return vigil__err(ctx, VIGIL_ECORRUPT, "%s: listed in the manifest, missing (%s)",
				  path, strerror(errno));
	crypto_hash_sha256_init(&s);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		crypto_hash_sha256_update(&s, buf, n);
	bad = ferror(f);
	fclose(f);
	if (bad)
		return vigil__err(ctx, VIGIL_ECORRUPT, "%s: read error", path);
	crypto_hash_sha256_final(&s, dig);
	return VIGIL_OK;
}

int vigil_bundle_verify(vigil_ctx *ctx, const char *dir, const uint8_t pk[32])
{
	char path[4200], *man = NULL, *sig = NULL;
	size_t mlen = 0, slen = 0, i;
	uint8_t sigb[64], dig[32];
	vigil__manifest_entry *ents = NULL;
	size_t nents = 0;
	DIR *d = NULL;
	struct dirent *de;
	int rc;

	if (!dir || !pk)
		return VIGIL_EINVAL;
	if (sodium_init() < 0)
		return vigil__err(ctx, VIGIL_EINTERNAL, "libsodium did not initialise");
	if (strlen(dir) > 4000)
		return vigil__err(ctx, VIGIL_EINVAL, "bundle: directory name too long");
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	rc = read_small(ctx, path, MANIFEST_MAX, &man, &mlen);
	if (rc)
		goto out;
	snprintf(path, sizeof(path), "%s/manifest.sig", dir);
	rc = read_small(ctx, path, 256, &sig, &slen);
	if (rc)
		goto out;
	while (slen && (sig[slen - 1] == '\n' || sig[slen - 1] == '\r'))
		sig[--slen] = '\0';
	if (slen != 128 || sodium_hex2bin(sigb, 64, sig, slen, NULL, NULL, NULL)) {
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "manifest.sig: not 128 hex digits");
		goto out;
	}
	if (crypto_sign_verify_detached(sigb, (const uint8_t *)man, mlen, pk)) {
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "manifest.json: the signature does not "
				"match (the manifest was changed, or another key signed it)");
		goto out;
	}
	rc = vigil__manifest_parse(ctx, man, mlen, &ents, &nents);
	if (rc)
		goto out;
	for (i = 0; i < nents; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i].name);
		rc = hash_file(ctx, path, dig);
		if (rc)
			goto out;
		if (sodium_memcmp(dig, ents[i].sha256, 32)) {
			rc = vigil__err(ctx, VIGIL_ECORRUPT, "%s: changed (its SHA-256 is not the "
					"manifest's)", ents[i].name);
			goto out;
		}
	}
	/* Nothing beside what is listed (names are unique: item ids). */
	snprintf(path, sizeof(path), "%s/files", dir);
	d = opendir(path);
	if (!d) {
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "%s: %s", path, strerror(errno));
		goto out;
	}
	while ((de = readdir(d))) {
		int found = 0;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		for (i = 0; i < nents && !found; i++)
			found = !strcmp(ents[i].name + 6, de->d_name);
		if (!found) {
			rc = vigil__err(ctx, VIGIL_ECORRUPT, "files/%s: not in the manifest",
					de->d_name);
			goto out;
		}
	}
out:
	if (d)
		closedir(d);
	free(ents);
	free(man);
	free(sig);
	return rc;
}
