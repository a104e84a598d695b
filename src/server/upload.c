/* upload.c — see upload.h. */
#include "metrics.h"
#include "server_int.h"
#include "upload.h"

#include <stdlib.h>
#include <string.h>

#define VPDQ_MAX_FRAMES 100000 /* frames kept for one uploaded video */

typedef struct frames_acc {
	vigil_vpdq_frame *v;
	size_t n, cap;
} frames_acc;

static int on_frame(void *user, const vigil_vpdq_frame *f)
{
	frames_acc *a = user;

	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 64;
		vigil_vpdq_frame *nv;
		if (cap > VPDQ_MAX_FRAMES)
			return 1;
		nv = realloc(a->v, cap * sizeof(*nv));
		if (!nv)
			return 1;
		a->v = nv;
		a->cap = cap;
	}
	a->v[a->n++] = *f;
	return 0;
}

static int query_double(srv_req *r, const char *name, double min, double max,
			double def, double *out)
{
	const char *v = srv_query(r, name);
	char *end;

	*out = def;
	if (!v)
		return 0;
	*out = strtod(v, &end);
	if (end == v || *end || !(*out >= min && *out <= max)) {
		srv_reply_error(r, 400, "bad_parameter", "?%s= must be a number in %g..%g",
				name, min, max);
		return -1;
	}
	return 0;
}

int srv_query_radius(srv_req *r)
{
	double v;

	if (query_double(r, "radius", 0, 64, (double)SRV_CFG(srv_of(r), radius), &v))
		return -1;
	return (int)v;
}

int srv_query_min_quality(srv_req *r)
{
	double v;

	if (query_double(r, "min_quality", 0, 100, 50, &v))
		return -1;
	return (int)v;
}

int srv_hash_upload(srv_req *r, const uint8_t *data, size_t len, int dihedral,
		    srv_hashes *h)
{
	vigil_ctx *ctx = srv_ctx(r);
	vigil_pdq_opts po = {0};
	int rc;

	memset(h, 0, sizeof(*h));
	if (vigil_digest(ctx, VIGIL_MD5, data, len, h->md5) ||
	    vigil_digest(ctx, VIGIL_SHA1, data, len, h->sha1) ||
	    vigil_digest(ctx, VIGIL_SHA256, data, len, h->sha256)) {
		srv_reply_status(r, VIGIL_EINTERNAL, ctx);
		return -1;
	}
	rc = vigil_pdq_hash_memory(ctx, data, len, &po, &h->pdq, dihedral ? h->dih : NULL);
	if (!rc) {
		h->have_dih = dihedral;
		return 0;
	}
	if (rc == VIGIL_EFORMAT) {
		/* Not an image we know: perhaps a video. */
		vigil_video_opts vo = {0};
		frames_acc a = {0};
		char msg[300];
		if (query_double(r, "interval", 0, 3600, 1, &h->interval))
			return -1;
		vo.interval = h->interval;
		vo.max_seconds = (double)SRV_CFG(srv_of(r), max_video_seconds);
		vo.threads = 1;
		snprintf(msg, sizeof(msg), "%s", vigil_errmsg(ctx));
		rc = vigil_vpdq_hash_memory(ctx, data, len, &vo, on_frame, &a);
		if (!rc && a.n) {
			h->video = 1;
			h->frames = a.v;
			h->nframes = a.n;
			return 0;
		}
		free(a.v);
		if (rc == VIGIL_ETOOBIG) {
			srv_reply_error(r, 413, "too_large", "%s", vigil_errmsg(ctx));
			return -1;
		}
		if (rc == VIGIL_EABORTED || (!rc && !a.n)) {
			srv_reply_error(r, 400, "bad_media", "%s",
					rc ? "the video has too many frames"
					   : "the video has no frames");
			return -1;
		}
		srv_reply_error(r, 415, "unsupported_media",
				"neither an image nor a video vigil can decode (%s)", msg);
		return -1;
	}
	if (rc == VIGIL_ETOOBIG)
		srv_reply_error(r, 413, "too_large", "%s", vigil_errmsg(ctx));
	else if (rc == VIGIL_ENOMEM)
		srv_reply_error(r, 503, "out_of_memory", "%s", vigil_errmsg(ctx));
	else
		srv_reply_error(r, 400, "bad_media", "%s", vigil_errmsg(ctx));
	return -1;
}

void srv_hashes_free(srv_hashes *h)
{
	free(h->frames);
	h->frames = NULL;
}

static json_t *hex_json(const uint8_t *b, size_t n)
{
	char hex[65];

	vigil_hex(b, n, hex);
	return json_string(hex);
}

json_t *srv_hashes_json(const srv_hashes *h, int dihedral)
{
	json_t *o = json_object();
	char hex[65];

	if (!o)
		return NULL;
	if (h->video) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < h->nframes; i++) {
			vigil_pdq_to_hex(&h->frames[i].hash, hex);
			json_array_append_new(a, json_pack("{s:i,s:i,s:s,s:f}", "frame",
							   h->frames[i].frame, "quality",
							   h->frames[i].quality, "pdq", hex,
							   "seconds", h->frames[i].seconds));
		}
		json_object_set_new(o, "vpdq", a ? a : json_null());
		json_object_set_new(o, "interval", json_real(h->interval));
	} else {
		vigil_pdq_to_hex(&h->pdq, hex);
		json_object_set_new(o, "pdq", json_string(hex));
		json_object_set_new(o, "quality", json_integer(h->pdq.quality));
		if (dihedral && h->have_dih) {
			json_t *d = json_object();
			for (int i = 0; d && i < 8; i++) {
				vigil_pdq_to_hex(&h->dih[i], hex);
				json_object_set_new(d, vigil_dihedral_name(i), json_string(hex));
			}
			json_object_set_new(o, "dihedral", d ? d : json_null());
		}
	}
	json_object_set_new(o, "md5", hex_json(h->md5, 16));
	json_object_set_new(o, "sha1", hex_json(h->sha1, 20));
	json_object_set_new(o, "sha256", hex_json(h->sha256, 32));
	return o;
}

static json_t *match_json(const vigil_match *m)
{
	char hex[65];

	vigil_hex(m->value, m->type == VIGIL_HASH_PDQ || m->type == VIGIL_HASH_VPDQ
				    ? 32 : vigil_hash_type_size(m->type), hex);
	return json_pack("{s:s,s:I,s:s,s:s,s:i,s:i,s:s}", "bank", m->bank, "entry",
			 (json_int_t)m->entry_id, "type", vigil_hash_type_name(m->type),
			 "hash", hex, "quality", m->quality, "distance", m->distance,
			 "variant", m->variant < 0 ? "exact" : vigil_dihedral_name(m->variant));
}

static int emit(srv_req *r, vigil_match *v, size_t n, json_t *matches)
{
	(void)r;
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(matches, match_json(&v[i]));
		srv_metric_inc("vigil_matches_total", "bank", v[i].bank);
	}
	return 0;
}

int srv_match_pdq(srv_req *r, const vigil_pdq *q, const vigil_pdq *dih,
		  int radius, json_t *matches)
{
	vigil_match few[32], *v = few;
	size_t found = 0;
	int rc;

	/* Most queries match nothing or a little: a stack buffer, and a
	 * second query with a heap one only when there are more. */
	rc = vigil_matcher_pdq(srv_matcher(r), srv_ctx(r), q, dih, radius, few, 32,
			       &found);
	if (!rc && found > 32) {
		size_t cap = found < SRV_MAX_MATCHES ? found : SRV_MAX_MATCHES;
		v = malloc(cap * sizeof(*v));
		if (!v)
			return VIGIL_ENOMEM;
		rc = vigil_matcher_pdq(srv_matcher(r), srv_ctx(r), q, dih, radius, v,
				       cap, &found);
		if (found > cap)
			found = cap;
	}
	if (!rc)
		emit(r, v, found, matches);
	if (v != few)
		free(v);
	return rc;
}

int srv_match_digest(srv_req *r, int type, const uint8_t *value, json_t *matches)
{
	vigil_match v[64];
	size_t found = 0;
	int rc = vigil_matcher_digest(srv_matcher(r), srv_ctx(r), type, value, v, 64,
				      &found);

	if (!rc)
		emit(r, v, found < 64 ? found : 64, matches);
	return rc;
}

int srv_match_upload(srv_req *r, const srv_hashes *h, int radius, int min_quality,
		     json_t *matches)
{
	int rc = 0;

	if (h->video) {
		vigil_video_match_opts o = {0};
		vigil_video_match *vm = NULL;
		size_t n = 0;
		o.radius = radius ? radius : VIGIL_RADIUS_EXACT;
		o.min_quality = min_quality ? min_quality : 1;
		rc = vigil_matcher_video(srv_matcher(r), srv_ctx(r), h->frames, h->nframes,
					 &o, &vm, &n);
		for (size_t i = 0; !rc && i < n; i++) {
			json_t *j = match_json(&vm[i].match);
			json_object_set_new(j, "seconds", json_real(vm[i].seconds));
			json_object_set_new(j, "frames", json_integer(vm[i].frames));
			if (vm[i].match.type == VIGIL_HASH_VPDQ) {
				json_object_set_new(j, "query_pct", json_real(vm[i].query_pct));
				json_object_set_new(j, "compared_pct",
						    json_real(vm[i].compared_pct));
			}
			json_array_append_new(matches, j);
			srv_metric_inc("vigil_matches_total", "bank", vm[i].match.bank);
		}
		free(vm);
	} else if (h->pdq.quality >= min_quality) {
		rc = srv_match_pdq(r, &h->pdq, h->have_dih ? h->dih : NULL, radius, matches);
	}
	if (!rc)
		rc = srv_match_digest(r, VIGIL_HASH_MD5, h->md5, matches);
	if (!rc)
		rc = srv_match_digest(r, VIGIL_HASH_SHA1, h->sha1, matches);
	if (!rc)
		rc = srv_match_digest(r, VIGIL_HASH_SHA256, h->sha256, matches);
	return rc;
}
