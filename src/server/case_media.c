/* case_media.c — a case's content: kept sealed (vigil/sealed.h), shown to
 * reviewers as a protected derivative made here (greyscale, reduced, blurred:
 * the original pixels never leave the server unless a reviewer asks), and
 * the original only to the reviewer holding the case, logged and counted
 * against a daily cap. */
#include "review.h"
#include "server_int.h"


#include <png.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


/* One item of the given type sealed under the master key into *m (its
 * sealed bytes the caller's to free); case_id is set when it is stored. */
static int seal_item(srv *s, vigil_ctx *c, const uint8_t *data, size_t len, const char *type,
		     vigil_case_media *m)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->content_type, sizeof(m->content_type), "%s", type);
	m->bytes = (int64_t)len;
	crypto_hash_sha256(m->sha256, data, len);
	return vigil_seal(c, srv_master_key(s), data, len, &m->sealed, &m->sealed_len);
}

static int png_encode(const uint8_t *px, int w, int h, int ch, uint8_t **out, size_t *len);

struct srv_case_copy {
	int n;
	vigil_case_media m[VIGIL_CASE_MEDIA_MAX];
};

typedef struct keyframes {
	srv *s;
	vigil_ctx *c;
	srv_case_copy *cp;
} keyframes;

static int keep_frame(void *user, const vigil_image *img, double seconds)
{
	keyframes *k = user;
	int w = vigil_image_width(img), h = vigil_image_height(img), rc;
	uint8_t *px = malloc((size_t)w * h * 3), *png = NULL;
	size_t len = 0;

	(void)seconds;
	if (!px)
		return 1;
	for (int y = 0; y < h; y++)
		memcpy(px + (size_t)y * w * 3, vigil_image_row(img, y), (size_t)w * 3);
	rc = png_encode(px, w, h, 3, &png, &len);
	sodium_memzero(px, (size_t)w * h * 3);
	free(px);
	if (!rc && k->cp->n < VIGIL_CASE_MEDIA_MAX &&
	    !(rc = seal_item(k->s, k->c, png, len, "image/png", &k->cp->m[k->cp->n])))
		k->cp->n++;
	if (png) {
		sodium_memzero(png, len);
		free(png);
	}
	return rc ? 1 : 0;
}

srv_case_copy *srv_case_item_copy(srv *s, vigil_ctx *c, const uint8_t *data, size_t len)
{
	srv_case_copy *cp;

	if (!srv_master_key(s) || !data || !len || !(cp = calloc(1, sizeof(*cp))))
		return NULL;
	if (seal_item(s, c, data, len, vigil_media_type(data, len), &cp->m[0])) {
		srv_log(s, SRV_LOG_ERROR, "content not kept for review: %s", vigil_errmsg(c));
		srv_case_copy_free(cp);
		return NULL;
	}
	cp->n = 1;
	return cp;
}

srv_case_copy *srv_case_video_copy(srv *s, vigil_ctx *c, const uint8_t *data, size_t len)
{
	/* The video itself, sealed (for the API's original view and evidence);
	 * the page never plays it. */
	srv_case_copy *cp = srv_case_item_copy(s, c, data, len);
	keyframes k = {s, c, cp};
	int rc;

	if (!cp)
		return NULL;
	rc = vigil_video_sample_memory(c, data, len, NULL, (int)SRV_CFG(s, video_keyframes),
				       keep_frame, &k);
	if (rc)
		srv_log(s, SRV_LOG_WARN, "video: %d keyframe(s) kept for review: %s", cp->n - 1,
			vigil_errmsg(c));
	return cp;
}

int srv_case_copy_store(srv *s, vigil_store *st, int64_t case_id, srv_case_copy *cp)
{
	int rc = VIGIL_OK, n;

	for (int i = 0; cp && !rc && i < cp->n; i++) {
		cp->m[i].case_id = case_id;
		rc = vigil_case_media_add(st, &cp->m[i], &n);
	}
	if (rc == VIGIL_ETOOBIG) {
		/* A joined case already full keeps what it has (no statement
		 * failed: the transaction goes on). */
		srv_log(s, SRV_LOG_WARN, "case %lld: full, the content's copy not kept",
			(long long)case_id);
		rc = VIGIL_OK;
	}
	return rc;
}

void srv_case_copy_free(srv_case_copy *cp)
{
	for (int i = 0; cp && i < cp->n; i++)
		free(cp->m[i].sealed);
	free(cp);
}

/* -------------------------------------------------- protected derivative */

typedef struct membuf {
	uint8_t *p;
	size_t n, cap;
	int oom;
} membuf;

static void png_write_mem(png_structp png, png_bytep data, png_size_t len)
{
	membuf *b = png_get_io_ptr(png);

	if (b->oom)
		return;
	if (b->n + len > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 65536);
		uint8_t *np;
		while (cap < b->n + len)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
}

static void png_flush_mem(png_structp png)
{
	(void)png;
}

/* An 8-bit grey (ch 1) or RGB (ch 3) PNG of px into *out (malloc'd). */
static int png_encode(const uint8_t *px, int w, int h, int ch, uint8_t **out, size_t *len)
{
	png_structp png = NULL;
	png_infop info = NULL;
	membuf mb = { 0 };
	volatile int rc = VIGIL_OK; /* survives png's longjmp */

	*out = NULL;
	*len = 0;
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png ? png_create_info_struct(png) : NULL;
	if (!info) {
		rc = VIGIL_ENOMEM;
		goto out;
	}
	if (setjmp(png_jmpbuf(png))) {
		rc = VIGIL_EINTERNAL;
		goto out;
	}
	png_set_write_fn(png, &mb, png_write_mem, png_flush_mem);
	png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8,
		     ch == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_set_compression_level(png, 3);
	png_write_info(png, info);
	for (int y = 0; y < h; y++)
		png_write_row(png, (png_const_bytep)(px + (size_t)y * w * ch));
	png_write_end(png, NULL);
	if (mb.oom) {
		rc = VIGIL_ENOMEM;
		goto out;
	}
	*out = mb.p;
	*len = mb.n;
	mb.p = NULL;
out:
	if (png)
		png_destroy_write_struct(&png, info ? &info : NULL);
	if (mb.p) {
		sodium_memzero(mb.p, mb.n);
		free(mb.p);
	}
	return rc;
}

/* One box-blur pass of radius rad over rows or columns of g (w x h). */
static void box_pass(float *g, float *tmp, int w, int h, int rad, int horizontal)
{
	int len = horizontal ? w : h, lines = horizontal ? h : w;

	for (int l = 0; l < lines; l++) {
		float *line = horizontal ? g + (size_t)l * w : NULL;
		double sum = 0;
		int i;
#define AT(i) (*(horizontal ? &line[(i)] : &g[(size_t)(i) * w + l]))
		for (i = -rad; i <= rad; i++)
			sum += AT(i < 0 ? 0 : (i >= len ? len - 1 : i));
		for (i = 0; i < len; i++) {
			int add = i + rad + 1, sub = i - rad;
			tmp[i] = (float)(sum / (2 * rad + 1));
			sum += AT(add >= len ? len - 1 : add) - AT(sub < 0 ? 0 : sub);
		}
		for (i = 0; i < len; i++)
			AT(i) = tmp[i];
#undef AT
	}
}

int srv_protect_image(vigil_ctx *ctx, const uint8_t *data, size_t len,
		      const srv_protect_opts *o, uint8_t **out, size_t *outlen)
{
	vigil_image *img = NULL;
	float *g = NULL, *tmp = NULL;
	uint8_t *px = NULL;
	int rc, w, h, ow, oh, ch, x, y;
	double scale;

	*out = NULL;
	*outlen = 0;
	rc = vigil_image_decode(ctx, data, len, &img);
	if (rc)
		return rc;
	w = vigil_image_width(img);
	h = vigil_image_height(img);
	ch = vigil_image_channels(img);
	scale = (double)o->max_side / (w > h ? w : h);
	if (scale > 1)
		scale = 1;
	ow = (int)(w * scale + 0.5);
	oh = (int)(h * scale + 0.5);
	ow = ow < 1 ? 1 : ow;
	oh = oh < 1 ? 1 : oh;
	g = calloc((size_t)ow * oh, sizeof(*g));
	tmp = malloc(sizeof(*tmp) * (size_t)(ow > oh ? ow : oh));
	px = malloc((size_t)ow * oh * 3);
	if (!g || !tmp || !px) {
		rc = VIGIL_ENOMEM;
		goto out;
	}
	/* Area average into the reduced grid, in grey (BT.601 luma): colour
	 * and detail are gone before anything is encoded. */
	{
		float *cnt = calloc((size_t)ow * oh, sizeof(*cnt));
		if (!cnt) {
			rc = VIGIL_ENOMEM;
			goto out;
		}
		for (y = 0; y < h; y++) {
			const uint8_t *src = vigil_image_row(img, y);
			int oy = (int)((int64_t)y * oh / h);
			for (x = 0; x < w; x++) {
				int ox = (int)((int64_t)x * ow / w);
				const uint8_t *p = src + (size_t)x * ch;
				float v = ch >= 3 ? 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]
						  : p[0];
				g[(size_t)oy * ow + ox] += v;
				cnt[(size_t)oy * ow + ox] += 1;
			}
		}
		for (size_t i = 0; i < (size_t)ow * oh; i++)
			g[i] = cnt[i] > 0 ? g[i] / cnt[i] : 0;
		free(cnt);
	}
	if (o->blur > 0)
		for (int pass = 0; pass < 3; pass++) {
			box_pass(g, tmp, ow, oh, o->blur, 1);
			box_pass(g, tmp, ow, oh, o->blur, 0);
		}
	for (y = 0; y < oh; y++) {
		uint8_t *row = px + (size_t)y * ow * (o->sepia ? 3 : 1);
		for (x = 0; x < ow; x++) {
			float v = g[(size_t)y * ow + x];
			v = v < 0 ? 0 : (v > 255 ? 255 : v);
			if (o->sepia) {
				float r = v * 1.07f, gg = v * 0.74f, b = v * 0.43f;
				row[3 * x] = (uint8_t)(r > 255 ? 255 : r);
				row[3 * x + 1] = (uint8_t)gg;
				row[3 * x + 2] = (uint8_t)b;
			} else {
				row[x] = (uint8_t)(v + 0.5f > 255 ? 255 : v + 0.5f);
			}
		}
	}
	rc = png_encode(px, ow, oh, o->sepia ? 3 : 1, out, outlen);
out:
	free(g);
	free(tmp);
	free(px);
	vigil_image_free(img);
	return rc;
}

/* ------------------------------------------------------------ the route */

static int int_arg(srv_req *r, const char *name, int def, int lo, int hi, int *out)
{
	const char *v = srv_query(r, name);
	char *end = NULL;
	long n;

	*out = def;
	if (!v)
		return 0;
	n = strtol(v, &end, 10);
	if (!*v || *end || n < lo || n > hi) {
		srv_reply_error(r, 400, "invalid", "%s is an integer in %d..%d", name, lo, hi);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int64_t day_start(int64_t now)
{
	return now - now % 86400; /* UTC days */
}

static int unseal_item(srv_req *r, vigil_store *st, int64_t id, int n, uint8_t **plain,
		       size_t *plen, char *type, size_t tcap)
{
	const uint8_t *k = srv_master_key(srv_of(r));
	vigil_case_media m;
	int rc;

	if (!k) {
		srv_reply_error(r, 404, "not_kept",
				"content is not kept (no master_key_file): decide from the "
				"match evidence");
		return -1;
	}
	rc = vigil_case_media_get(st, id, n, &m);
	if (!rc)
		rc = vigil_unseal(srv_ctx(r), k, m.sealed, m.sealed_len, plain, plen);
	if (!rc && type)
		snprintf(type, tcap, "%s", m.content_type);
	free(m.sealed);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return -1;
	}
	return 0;
}

int srv_case_media_original(srv_req *r, const char *who, int64_t id, int n, uint8_t **out,
			    size_t *olen, char *type, size_t tcap)
{
	srv *s = srv_of(r);
	int64_t now = (int64_t)time(NULL), today = 0;
	vigil_case_review v;
	vigil_store *st;
	char idp[32], *d;
	vigil_audit a;
	json_t *j;
	int rc;

	*out = NULL;
	*olen = 0;
	if (!(st = srv_store(r)))
		return -1;
	rc = vigil_case_review_get(st, id, now, &v);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return -1;
	}
	/* Only the reviewer holding the case sees an original, and only so
	 * many a day. */
	if (v.state != VIGIL_CASE_CLAIMED || strcmp(v.assignee, who)) {
		srv_reply_error(r, 409, "not_claimed", "claim the case before revealing an original");
		return -1;
	}
	rc = vigil_reveal_count(st, who, 0, day_start(now), &today);
	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return -1;
	}
	if (SRV_CFG(s, reveal_daily_cap) && today >= SRV_CFG(s, reveal_daily_cap)) {
		srv_reply_error(r, 429, "exposure_cap",
				"%lld originals revealed today: the daily cap; please stop for "
				"today", (long long)today);
		return -1;
	}
	if (unseal_item(r, st, id, n, out, olen, type, tcap))
		return -1;
	/* Logged before the bytes go: a reveal that was answered is always in
	 * the log. */
	snprintf(idp, sizeof(idp), "%lld", (long long)id);
	j = json_pack("{s:i,s:s,s:I}", "item", n, "content_type", type ? type : "", "today",
		      (json_int_t)(today + 1));
	d = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	memset(&a, 0, sizeof(a));
	a.who = who;
	a.role = "review";
	a.action = "case.reveal";
	a.object = idp;
	a.detail = d ? d : "";
	a.source = srv_client_ip(r);
	rc = vigil_store_begin(st);
	if (!rc)
		rc = vigil_reveal_add(st, id, n, who, now);
	if (!rc)
		rc = vigil_audit_append(st, &a);
	if (!rc)
		rc = vigil_store_commit(st);
	free(d);
	if (rc) {
		vigil_store_rollback(st);
		sodium_memzero(*out, *olen);
		free(*out);
		*out = NULL;
		srv_reply_status(r, rc, srv_ctx(r));
		return -1;
	}
	return 0;
}

void srv_case_media_reply(srv_req *r, const char *who, int64_t id, int n, int original)
{
	srv *s = srv_of(r);
	srv_protect_opts po;
	uint8_t *plain = NULL, *png = NULL;
	size_t plen = 0, pnglen = 0;
	char type[64] = "";
	vigil_store *st;
	int rc, grey = 1;

	if (int_arg(r, "size", (int)SRV_CFG(s, protect_size), 32, 1024, &po.max_side) ||
	    int_arg(r, "blur", (int)SRV_CFG(s, protect_blur), 0, 32, &po.blur) ||
	    int_arg(r, "sepia", 0, 0, 1, &po.sepia) || int_arg(r, "greyscale", 1, 1, 1, &grey))
		return;
	if (original) {
		if (srv_case_media_original(r, who, id, n, &plain, &plen, type, sizeof(type)))
			return;
	} else {
		if (!(st = srv_store(r)) || unseal_item(r, st, id, n, &plain, &plen, NULL, 0))
			return;
	}
	srv_add_header(r, "Cache-Control", "no-store");
	srv_add_header(r, "X-Content-Type-Options", "nosniff");
	srv_add_header(r, "Content-Security-Policy", "default-src 'none'; sandbox");
	if (original) {
		srv_reply_data(r, 200, type, plain, plen);
		goto out;
	}
	rc = srv_protect_image(srv_ctx(r), plain, plen, &po, &png, &pnglen);
	if (rc) {
		srv_reply_error(r, 415, "no_derivative",
				"no protected view of this item (%s): decide from the evidence",
				vigil_strerror(rc));
		goto out;
	}
	srv_reply_data(r, 200, "image/png", png, pnglen);
out:
	if (plain) {
		sodium_memzero(plain, plen);
		free(plain);
	}
	free(png);
}

static void case_media(srv_req *r)
{
	const char *view = srv_query(r, "view");
	const char *idp = srv_param(r, "id"), *np = srv_param(r, "n");
	char *end = NULL, *end2 = NULL;
	long long id = idp ? strtoll(idp, &end, 10) : 0;
	long n = np ? strtol(np, &end2, 10) : 0;

	if (id <= 0 || !end || *end || n <= 0 || n > VIGIL_CASE_MEDIA_MAX || !end2 || *end2) {
		srv_reply_error(r, 400, "invalid", "a case id and an item number from 1");
		return;
	}
	if (view && strcmp(view, "protected") && strcmp(view, "original")) {
		srv_reply_error(r, 400, "invalid", "view is protected or original");
		return;
	}
	srv_case_media_reply(r, *srv_key_name(r) ? srv_key_name(r) : "-", (int64_t)id, (int)n,
			     view && !strcmp(view, "original"));
}

const srv_route srv_routes_case_media[] = {
	{ "GET", "/v1/cases/{id}/media/{n}", SRV_ROLE_REVIEW | SRV_ROLE_ADMIN, case_media, 0,
	  "A case's item: protected derivative, or the original (claimed, logged, capped)" },
	{ 0 },
};
