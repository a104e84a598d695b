/* model.c — the trained per-message grooming model: logistic regression
 * over hashed features of the conservative fold of a message, trained by
 * plain SGD, saved in a small versioned and checksummed file.
 *
 * Features (all hashed, FNV-1a 64 with a seed per kind, into 2^dim_bits
 * slots; each occurrence adds 1, the vector is scaled by 1/sqrt(count)):
 *  - character 3-, 4- and 5-grams of code points of " folded text ",
 *  - word unigrams and bigrams (words: runs of letters and digits).
 *
 * The conversation model (file version 2): logistic regression over the
 * VIGIL_GROOM_NFEAT aggregates of an author's state (vigil_groom_features),
 * applied after every message, with the alert policy (theta, k).
 *
 * File (little-endian; docs/text.md, "Model file"):
 *   "VIGILGRM"  u32 version (2)  u32 dim_bits  u32 nnz  f32 bias
 *   nnz x (u32 slot, f32 weight), slots ascending
 *   version 2 only: u32 nconv (0 or 17)  f32 theta  u32 k  f32 conv_bias
 *                   nconv x f32 conv_weight
 *   32 bytes: SHA-256 of everything before.
 * Version 1 files (no conversation part) still load: their risk is the
 * EMA of message scores. */
#include "text_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "VIGILGRM"
#define MODEL_VERSION 2u /* written; 1 and 2 are read */
#define HEAD_BYTES 24
#define CONV_HEAD_BYTES 16 /* nconv, theta, k, conv_bias */
#define FEAT_TEXT_MAX (64 * 1024) /* folded bytes used for features */

struct vigil_groom_model {
	unsigned dim_bits;
	float bias;
	float *w; /* 2^dim_bits */
	int has_conv;
	float theta;
	uint32_t k;
	float cbias;
	float cw[VIGIL_GROOM_NFEAT];
};

/* Feature slots of one text (duplicates kept: each adds 1). With w set,
 * slots are not kept: push adds w[slot] to sum (scoring needs only the
 * dot product, so it allocates nothing). */
typedef struct feats {
	uint32_t *slot;
	size_t n, cap;
	const float *w;
	float sum;
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
	if (f->w) {
		f->sum += f->w[h & ((1u << bits) - 1)];
		f->n++;
		return 0;
	}
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
	char *pad, pad_s[512];
	size_t cps_s[512];
	int inword = 0, have_prev = 0, rc = -1;

	f->n = 0;
	f->sum = 0;
	if (n > FEAT_TEXT_MAX)
		n = FEAT_TEXT_MAX;
	/* a short message (nearly all) on the stack */
	pad = n + 2 <= sizeof(pad_s) ? pad_s : vigil__malloc(n + 2);
	cps = n + 3 <= sizeof(cps_s) / sizeof(cps_s[0]) ? cps_s
						       : vigil__malloc((n + 3) * sizeof(*cps));
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
	if (pad != pad_s)
		vigil__free(pad);
	if (cps != cps_s)
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

	f.w = m->w;
	if (featurize(folded, n, m->dim_bits, &f))
		return VIGIL_ENOMEM;
	/* the same sum in the same order as dot() in training */
	*p = logistic(m->bias + (f.n ? f.sum / sqrtf((float)f.n) : 0));
	return 0;
}

int vigil__groom_model_conv(const vigil_groom_model *m, const float *x, float *risk,
			    uint32_t *fired, float *theta, int *k)
{
	float z;
	int i;

	if (!m->has_conv)
		return 0;
	z = m->cbias;
	*fired = 0;
	for (i = 0; i < VIGIL_GROOM_NFEAT; i++) {
		float c = m->cw[i] * x[i];
		z += c;
		if (c > 0)
			*fired |= 1u << i;
	}
	*risk = logistic(z);
	*theta = m->theta;
	*k = (int)m->k;
	return 1;
}

int vigil_groom_model_has_conv(const vigil_groom_model *m)
{
	return m && m->has_conv;
}

void vigil_groom_model_policy(const vigil_groom_model *m, float *theta, int *k)
{
	*theta = m && m->has_conv ? m->theta : VIGIL_GROOM_THETA;
	*k = m && m->has_conv ? (int)m->k : VIGIL_GROOM_K;
}

int vigil_groom_model_set_policy(vigil_groom_model *m, float theta, int k)
{
	if (!m || !m->has_conv || !(theta > 0 && theta < 1) || k < 1 || k > 1000)
		return VIGIL_EINVAL;
	m->theta = theta;
	m->k = (uint32_t)k;
	return 0;
}

float vigil_groom_model_risk(const vigil_groom_model *m, const float *x)
{
	float r = 0, t;
	uint32_t fired;
	int k;

	if (m && vigil__groom_model_conv(m, x, &r, &fired, &t, &k))
		return r;
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
	o->theta = VIGIL_GROOM_THETA;
	o->k = VIGIL_GROOM_K;
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

int vigil_groom_train_conv(vigil_ctx *ctx, vigil_groom_model *m, const float *x,
			   const uint8_t *y, size_t n, const vigil_groom_train_opts *opts)
{
	vigil_groom_train_opts o;
	float w[VIGIL_GROOM_NFEAT] = {0}, b = 0;
	size_t *order, i, k;
	uint64_t rs;
	int e, f;

	if (opts)
		o = *opts;
	else
		vigil_groom_train_defaults(&o);
	if (!m || !x || !y || !n || o.epochs < 1 || o.epochs > 1000 || !(o.rate > 0) ||
	    !(o.l2 >= 0) || !(o.theta > 0 && o.theta < 1) || o.k < 1 || o.k > 1000)
		return vigil__err(ctx, VIGIL_EINVAL, "train: bad arguments");
	order = vigil__calloc(n, sizeof(*order));
	if (!order)
		return vigil__err(ctx, VIGIL_ENOMEM, "train: out of memory");
	for (i = 0; i < n; i++)
		order[i] = i;
	/* another stream than the message model's shuffle, from the seed */
	rs = (o.seed ? o.seed : 1) ^ 0x9E3779B97F4A7C15ULL;
	for (e = 0; e < o.epochs; e++) {
		float lr = o.rate / sqrtf(1.0f + (float)e);
		for (i = n - 1; i > 0; i--) {
			size_t j = (size_t)(xorshift(&rs) % (i + 1)), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (k = 0; k < n; k++) {
			const float *xi = x + order[k] * VIGIL_GROOM_NFEAT;
			float z = b, g;
			for (f = 0; f < VIGIL_GROOM_NFEAT; f++)
				z += w[f] * xi[f];
			g = logistic(z) - (y[order[k]] ? 1.0f : 0.0f);
			for (f = 0; f < VIGIL_GROOM_NFEAT; f++)
				w[f] -= lr * (g * xi[f] + o.l2 * w[f]);
			b -= lr * g;
		}
	}
	vigil__free(order);
	for (f = 0; f < VIGIL_GROOM_NFEAT; f++)
		if (!isfinite(w[f]))
			return vigil__err(ctx, VIGIL_EINVAL, "train: the conversation model diverged");
	if (!isfinite(b))
		return vigil__err(ctx, VIGIL_EINVAL, "train: the conversation model diverged");
	memcpy(m->cw, w, sizeof(w));
	m->cbias = b;
	m->theta = o.theta;
	m->k = (uint32_t)o.k;
	m->has_conv = 1;
	return 0;
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
	len = HEAD_BYTES + 8 * nnz + CONV_HEAD_BYTES +
	      (m->has_conv ? 4 * VIGIL_GROOM_NFEAT : 0) + 32;
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
	put32(buf + at, m->has_conv ? VIGIL_GROOM_NFEAT : 0);
	put32(buf + at + 4, fbits(m->has_conv ? m->theta : 0));
	put32(buf + at + 8, m->has_conv ? m->k : 0);
	put32(buf + at + 12, fbits(m->has_conv ? m->cbias : 0));
	at += CONV_HEAD_BYTES;
	for (i = 0; m->has_conv && i < VIGIL_GROOM_NFEAT; i++, at += 4)
		put32(buf + at, fbits(m->cw[i]));
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
	size_t len = 0, i, nnz, body, nconv = 0;
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
	if (version != 1 && version != MODEL_VERSION) {
		rc = vigil__err(ctx, VIGIL_EFORMAT,
				"%s: model version %u (this vigil reads 1 and %u)", path, version,
				MODEL_VERSION);
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
	body = HEAD_BYTES + 8 * nnz;
	if (version >= 2 && nnz <= len && body + CONV_HEAD_BYTES + 32 <= len)
		nconv = get32(data + body);
	if (nnz > len || len != body + (version >= 2 ? CONV_HEAD_BYTES + 4 * nconv : 0) + 32 ||
	    (nconv != 0 && nconv != VIGIL_GROOM_NFEAT)) {
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
	if (nconv) {
		const uint8_t *c = data + body;
		m->has_conv = 1;
		m->theta = bitsf(get32(c + 4));
		m->k = get32(c + 8);
		m->cbias = bitsf(get32(c + 12));
		for (i = 0; i < VIGIL_GROOM_NFEAT; i++)
			m->cw[i] = bitsf(get32(c + CONV_HEAD_BYTES + 4 * i));
		for (i = 0; i < VIGIL_GROOM_NFEAT && isfinite(m->cw[i]); i++)
			;
		if (i < VIGIL_GROOM_NFEAT || !isfinite(m->cbias) || !(m->theta > 0) ||
		    !(m->theta < 1) || m->k < 1 || m->k > 1000) {
			rc = vigil__err(ctx, VIGIL_ECORRUPT, "%s: bad conversation model", path);
			goto out;
		}
	}
	*out = m;
	m = NULL;
out:
	vigil_groom_model_free(m);
	free(data);
	return rc;
}
