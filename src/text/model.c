/* model.c — the trained per-message grooming model: logistic regression
 * over hashed features of the conservative fold of a message, trained by
 * plain SGD, saved in a small versioned and checksummed file.
 *
 * Features (all hashed, FNV-1a 64 with a seed per kind, into 2^dim_bits
 * slots; each occurrence adds 1, the vector is scaled by 1/sqrt(count)):
 *  - character 3-, 4- and 5-grams of code points of " folded text ",
 *  - word unigrams and bigrams (words: runs of letters and digits).
 *
 * File (little-endian; docs/text.md, "Model file"):
 *   "VIGILGRM"  u32 version (1)  u32 dim_bits  u32 nnz  f32 bias
 *   nnz x (u32 slot, f32 weight), slots ascending
 *   32 bytes: SHA-256 of everything before. */
#include "text_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "VIGILGRM"
#define MODEL_VERSION 1u
#define HEAD_BYTES 24
#define FEAT_TEXT_MAX (64 * 1024) /* folded bytes used for features */

struct vigil_groom_model {
	unsigned dim_bits;
	float bias;
	float *w; /* 2^dim_bits */
};

/* Feature slots of one text (duplicates kept: each adds 1). */
typedef struct feats {
	uint32_t *slot;
	size_t n, cap;
} feats;

static uint64_t fnv(uint64_t seed, const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL ^ seed;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static int push(feats *f, uint64_t h, unsigned bits)
{
	if (f->n == f->cap) {
		uint32_t *p = vigil__grow(f->slot, &f->cap, f->n, sizeof(*p));
		if (!p)
			return -1;
		f->slot = p;
	}
	f->slot[f->n++] = (uint32_t)(h & ((1u << bits) - 1));
	return 0;
}

/* The features of folded text t[0..n) (its first FEAT_TEXT_MAX bytes). */
static int featurize(const char *t, size_t n, unsigned bits, feats *f)
{
	size_t *cps, ncp = 0, i, k, w0 = 0, prev_a = 0, prev_b = 0;
	char *pad;
	int inword = 0, have_prev = 0, rc = -1;

	f->n = 0;
	if (n > FEAT_TEXT_MAX)
		n = FEAT_TEXT_MAX;
	pad = vigil__malloc(n + 2);
	cps = vigil__malloc((n + 3) * sizeof(*cps));
	if (!pad || !cps)
		goto out;
	pad[0] = ' ';
	if (n)
		memcpy(pad + 1, t, n);
	pad[n + 1] = ' ';
	n += 2;
	for (i = 0; i < n; i++)
		if (((unsigned char)pad[i] & 0xC0) != 0x80)
			cps[ncp++] = i;
	cps[ncp] = n;
	for (i = 0; i < ncp; i++)
		for (k = 3; k <= 5 && i + k <= ncp; k++)
			if (push(f, fnv(k, pad + cps[i], cps[i + k] - cps[i]), bits))
				goto out;
	/* words: runs of letters and digits */
	for (i = 0; i <= ncp; i++) {
		int word = 0;
		if (i < ncp) {
			uint32_t cp;
			vigil__utf8_next((const unsigned char *)pad, n, cps[i], &cp);
			word = cp != 0xFFFFFFFFu && vigil__is_word(cp);
		}
		if (word && !inword) {
			w0 = cps[i];
			inword = 1;
		} else if (!word && inword) {
			size_t w1 = cps[i];
			inword = 0;
			if (push(f, fnv(101, pad + w0, w1 - w0), bits))
				goto out;
			if (have_prev) {
				/* the bigram: previous word, a space, this one */
				uint64_t h = fnv(102, pad + prev_a, prev_b - prev_a);
				h = (h ^ ' ') * 1099511628211ULL;
				for (k = w0; k < w1; k++)
					h = (h ^ (unsigned char)pad[k]) * 1099511628211ULL;
				if (push(f, h, bits))
					goto out;
			}
			prev_a = w0;
			prev_b = w1;
			have_prev = 1;
		}
	}
	rc = 0;
out:
	vigil__free(pad);
	vigil__free(cps);
	return rc;
}

static float dot(const vigil_groom_model *m, const feats *f)
{
	float s = 0;
	size_t i;

	for (i = 0; i < f->n; i++)
		s += m->w[f->slot[i]];
	return f->n ? s / sqrtf((float)f->n) : 0;
}

static float logistic(float x)
{
	return 1.0f / (1.0f + expf(-x));
}

static int model_alloc(vigil_ctx *ctx, unsigned bits, vigil_groom_model **out)
{
	vigil_groom_model *m;

	*out = NULL;
	if (bits < 10 || bits > 24)
		return vigil__err(ctx, VIGIL_EINVAL, "model: dim_bits must be 10..24");
	m = vigil__calloc(1, sizeof(*m));
	if (!m || !(m->w = vigil__calloc((size_t)1 << bits, sizeof(float)))) {
		vigil__free(m);
		return vigil__err(ctx, VIGIL_ENOMEM, "model: out of memory");
	}
	m->dim_bits = bits;
	*out = m;
	return 0;
}

void vigil_groom_model_free(vigil_groom_model *m)
{
	if (!m)
		return;
	vigil__free(m->w);
	vigil__free(m);
}

int vigil__groom_model_prob(const vigil_groom_model *m, const char *folded, size_t n,
			    float *p)
{
	feats f = {0};

	if (featurize(folded, n, m->dim_bits, &f)) {
		vigil__free(f.slot);
		return VIGIL_ENOMEM;
	}
	*p = logistic(m->bias + dot(m, &f));
	vigil__free(f.slot);
	return 0;
}

int vigil_groom_model_predict(const vigil_groom_model *m, const vigil_folder *fo,
			      vigil_ctx *ctx, const char *text, size_t n, float *p)
{
	vigil_folded f = {0};
	int rc;

	*p = 0;
	if (!m || !fo || (!text && n))
		return vigil__err(ctx, VIGIL_EINVAL, "model: bad arguments");
	rc = vigil_fold(fo, ctx, VIGIL_VIEW_CONSERVATIVE, text, n, NULL, &f);
	if (!rc && vigil__groom_model_prob(m, f.text, f.len, p))
		rc = vigil__err(ctx, VIGIL_ENOMEM, "model: out of memory");
	vigil_folded_free(&f);
	return rc;
}

void vigil_groom_train_defaults(vigil_groom_train_opts *o)
{
	o->dim_bits = 18;
	o->epochs = 20;
	o->rate = 0.5f;
	o->l2 = 1e-5f;
	o->seed = 1;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int vigil_groom_train(vigil_ctx *ctx, const vigil_folder *fo, const char *const *texts,
		      const size_t *lens, const uint8_t *labels, size_t n,
		      const vigil_groom_train_opts *opts, vigil_groom_model **out)
{
	vigil_groom_train_opts o;
	vigil_groom_model *m = NULL;
	vigil_folded fd = {0};
	feats *fs = NULL;
	size_t *order = NULL, i, k;
	uint64_t rs;
	int rc, e;

	*out = NULL;
	if (opts)
		o = *opts;
	else
		vigil_groom_train_defaults(&o);
	if (!fo || !texts || !lens || !labels || !n || o.epochs < 1 || o.epochs > 1000 ||
	    !(o.rate > 0) || !(o.l2 >= 0))
		return vigil__err(ctx, VIGIL_EINVAL, "train: bad arguments");
	rc = model_alloc(ctx, (unsigned)o.dim_bits, &m);
	if (rc)
		return rc;
	fs = vigil__calloc(n, sizeof(*fs));
	order = vigil__calloc(n, sizeof(*order));
	if (!fs || !order) {
		rc = vigil__err(ctx, VIGIL_ENOMEM, "train: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		rc = vigil_fold(fo, ctx, VIGIL_VIEW_CONSERVATIVE, texts[i], lens[i], NULL, &fd);
		if (rc)
			goto out;
		if (featurize(fd.text, fd.len, m->dim_bits, &fs[i])) {
			rc = vigil__err(ctx, VIGIL_ENOMEM, "train: out of memory");
			goto out;
		}
		order[i] = i;
	}
	rs = o.seed ? o.seed : 1;
	for (e = 0; e < o.epochs; e++) {
		float lr = o.rate / sqrtf(1.0f + (float)e);
		/* a fresh order each epoch, from the seed: the same data and
		 * options give the same model */
		for (i = n - 1; i > 0; i--) {
			size_t j = (size_t)(xorshift(&rs) % (i + 1)), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (k = 0; k < n; k++) {
			const feats *f = &fs[order[k]];
			float scale = f->n ? 1.0f / sqrtf((float)f->n) : 0;
			float g = logistic(m->bias + dot(m, f)) - (labels[order[k]] ? 1.0f : 0.0f);
			for (i = 0; i < f->n; i++) {
				float *w = &m->w[f->slot[i]];
				*w -= lr * (g * scale + o.l2 * *w);
			}
			m->bias -= lr * g;
		}
	}
	*out = m;
	m = NULL;
out:
	for (i = 0; fs && i < n; i++)
		vigil__free(fs[i].slot);
	vigil__free(fs);
	vigil__free(order);
	vigil_folded_free(&fd);
	vigil_groom_model_free(m);
	return rc;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint32_t fbits(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

static float bitsf(uint32_t u)
{
	float f;

	memcpy(&f, &u, 4);
	return f;
}

int vigil_groom_model_save(const vigil_groom_model *m, vigil_ctx *ctx, const char *path)
{
	size_t dim, nnz = 0, i, len, at;
	uint8_t *buf, dig[VIGIL_DIGEST_MAX];
	FILE *f;
	int rc;

	if (!m || !path)
		return vigil__err(ctx, VIGIL_EINVAL, "model: bad arguments");
	dim = (size_t)1 << m->dim_bits;
	for (i = 0; i < dim; i++)
		nnz += m->w[i] != 0;
	len = HEAD_BYTES + 8 * nnz + 32;
	buf = vigil__malloc(len);
	if (!buf)
		return vigil__err(ctx, VIGIL_ENOMEM, "model: out of memory");
	memcpy(buf, MAGIC, 8);
	put32(buf + 8, MODEL_VERSION);
	put32(buf + 12, m->dim_bits);
	put32(buf + 16, (uint32_t)nnz);
	put32(buf + 20, fbits(m->bias));
	for (i = 0, at = HEAD_BYTES; i < dim; i++)
		if (m->w[i] != 0) {
			put32(buf + at, (uint32_t)i);
			put32(buf + at + 4, fbits(m->w[i]));
			at += 8;
		}
	rc = vigil_digest(ctx, VIGIL_SHA256, buf, at, dig);
	if (!rc) {
		memcpy(buf + at, dig, 32);
		f = fopen(path, "wb");
		if (!f || fwrite(buf, 1, len, f) != len) {
			rc = vigil__err(ctx, VIGIL_EIO, "model: cannot write %s", path);
		}
		if (f && fclose(f) && !rc)
			rc = vigil__err(ctx, VIGIL_EIO, "model: cannot write %s", path);
	}
	vigil__free(buf);
	return rc;
}

int vigil_groom_model_load(vigil_ctx *ctx, const char *path, vigil_groom_model **out)
{
	uint8_t *data = NULL, dig[VIGIL_DIGEST_MAX];
	size_t len = 0, i, nnz;
	uint32_t version, bits, prev = 0;
	vigil_groom_model *m = NULL;
	int rc;

	*out = NULL;
	rc = vigil_read_file(ctx, path, &data, &len);
	if (rc)
		return rc;
	if (len < HEAD_BYTES + 32 || memcmp(data, MAGIC, 8)) {
		rc = vigil__err(ctx, VIGIL_EFORMAT, "%s: not a vigil grooming model", path);
		goto out;
	}
	version = get32(data + 8);
	if (version != MODEL_VERSION) {
		rc = vigil__err(ctx, VIGIL_EFORMAT, "%s: model version %u (this vigil reads %u)",
				path, version, MODEL_VERSION);
		goto out;
	}
	rc = vigil_digest(ctx, VIGIL_SHA256, data, len - 32, dig);
	if (rc)
		goto out;
	if (memcmp(dig, data + len - 32, 32)) {
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "%s: checksum mismatch (damaged file)", path);
		goto out;
	}
	bits = get32(data + 12);
	nnz = get32(data + 16);
	if (len != HEAD_BYTES + 8 * nnz + 32) {
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "%s: size does not match its header", path);
		goto out;
	}
	rc = model_alloc(ctx, bits, &m);
	if (rc)
		goto out;
	m->bias = bitsf(get32(data + 20));
	for (i = 0; i < nnz; i++) {
		uint32_t slot = get32(data + HEAD_BYTES + 8 * i);
		float w = bitsf(get32(data + HEAD_BYTES + 8 * i + 4));
		if (slot >> bits || (i && slot <= prev) || !isfinite(w)) {
			rc = vigil__err(ctx, VIGIL_ECORRUPT, "%s: bad weight %zu", path, i);
			goto out;
		}
		m->w[slot] = w;
		prev = slot;
	}
	if (!isfinite(m->bias)) {
		rc = vigil__err(ctx, VIGIL_ECORRUPT, "%s: bad bias", path);
		goto out;
	}
	*out = m;
	m = NULL;
out:
	vigil_groom_model_free(m);
	free(data);
	return rc;
}
