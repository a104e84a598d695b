/* groom.c — grooming risk per message and per author in a conversation,
 * after every message (early detection), from the stage lexicon.
 *
 * Message score: logistic(B_MSG + W_STAGE * distinct stages in it).
 * Conversation risk: logistic(B_CONV + W_COVER * distinct stages seen so
 * far + W_EMA * EMA of message scores + W_MAX * max). An alert is raised
 * when the risk stays over VIGIL_GROOM_THETA for VIGIL_GROOM_K consecutive
 * messages (eSPD "skepticism"). The weights are set by hand so that one or
 * two stages never alert and four distinct stages do: a stand-in for the
 * trained models of the study, which need labelled data vigil does not
 * have.
 *
 * With a trained model (vigil_groom_set_model, model.c) the message score
 * is the model's probability and the risk the EMA of those from 0; the
 * lexicon's stages are still recorded (they say what fired). */
#include "text_int.h"
#include "groom_int.h"

#include <math.h>
#include <string.h>

#define B_MSG -3.0f
#define W_STAGE 3.0f
#define B_CONV -6.5f
#define W_COVER 1.5f
#define W_EMA 1.0f
#define W_MAX 1.0f
#define EMA_ALPHA 0.3f

struct vigil_groom {
	const vigil_groom_model *model; /* borrowed, or NULL: the lexicon scores */
	vigil_text_matcher *m; /* the lexicon; term category = stage name */
	int *stage;            /* per lexicon term: its stage */
};

static const char *const stage_names[VIGIL__STAGE_END] = {
	"age", "location", "alone", "secrecy", "platform", "gifts", "images", "meeting",
};

const char *vigil_groom_stage_name(int stage)
{
	return stage >= 0 && stage < VIGIL__STAGE_END ? stage_names[stage] : "unknown";
}

int vigil_groom_new(vigil_ctx *ctx, const vigil_folder *fo, vigil_groom **out)
{
	vigil_termlist *tl = NULL;
	vigil_groom *g;
	size_t i, n = 0;
	int rc;

	*out = NULL;
	g = vigil__calloc(1, sizeof(*g));
	if (!g)
		return vigil__err(ctx, VIGIL_ENOMEM, "groom: out of memory");
	while (vigil__groom_lexicon[n].phrase)
		n++;
	g->stage = vigil__calloc(n, sizeof(int));
	rc = g->stage ? vigil_termlist_new(ctx, &tl)
		      : vigil__err(ctx, VIGIL_ENOMEM, "groom: out of memory");
	for (i = 0; !rc && i < n; i++) {
		g->stage[i] = vigil__groom_lexicon[i].stage;
		rc = vigil_termlist_add(tl, vigil__groom_lexicon[i].phrase,
					stage_names[g->stage[i]], 50, VIGIL_TERM_TOKEN);
	}
	if (!rc)
		rc = vigil_text_matcher_new(ctx, fo, tl, &g->m);
	vigil_termlist_free(tl);
	if (rc) {
		vigil_groom_free(g);
		return rc;
	}
	*out = g;
	return 0;
}

void vigil_groom_free(vigil_groom *g)
{
	if (!g)
		return;
	vigil_text_matcher_free(g->m);
	vigil__free(g->stage);
	vigil__free(g);
}

const vigil_text_matcher *vigil_groom_lexicon(const vigil_groom *g)
{
	return g ? g->m : NULL;
}

void vigil_groom_set_model(vigil_groom *g, const vigil_groom_model *m)
{
	if (g)
		g->model = m;
}

static float logistic(float x)
{
	return 1.0f / (1.0f + expf(-x));
}

static int popcount16(unsigned v)
{
	int c = 0;

	for (; v; v &= v - 1)
		c++;
	return c;
}

static uint16_t inc16(uint16_t v)
{
	return (uint16_t)(v < 65535 ? v + 1 : 65535);
}

int vigil_groom_score(const vigil_groom *g, vigil_text_scanner *sc,
		      vigil_ctx *ctx, vigil_groom_state *st, const char *text,
		      size_t n, const vigil_text_opts *opts,
		      vigil_groom_result *out)
{
	const vigil_text_hit *h;
	size_t nh, k;
	unsigned stages = 0;
	float s, r, theta = VIGIL_GROOM_THETA;
	int rc, s_i, kk = VIGIL_GROOM_K;

	if (!g || !sc || !st || !out)
		return vigil__err(ctx, VIGIL_EINVAL, "groom: bad arguments");
	memset(out, 0, sizeof(*out));
	rc = vigil_text_scan(sc, ctx, text, n, opts, &h, &nh);
	if (rc && rc != VIGIL_ETOOBIG)
		return rc;
	for (k = 0; k < nh; k++)
		stages |= 1u << g->stage[h[k].term];
	if (st->messages < UINT32_MAX)
		st->messages++;
	for (s_i = 0; s_i < VIGIL__STAGE_END; s_i++)
		if (stages >> s_i & 1) {
			if (!(st->stages >> s_i & 1))
				st->first[s_i] = (uint16_t)(st->messages < 65535 ? st->messages : 65535);
			st->count[s_i] = inc16(st->count[s_i]);
		}
	st->stages |= (uint16_t)stages;
	if (g->model) {
		const vigil_folded *f = vigil__scanner_view(sc, VIGIL_VIEW_CONSERVATIVE);
		float x[VIGIL_GROOM_NFEAT];
		if (!f)
			return vigil__err(ctx, VIGIL_EINTERNAL, "groom: message not folded");
		if (vigil__groom_model_prob(g->model, f->text, f->len, &s))
			return vigil__err(ctx, VIGIL_ENOMEM, "groom: out of memory");
		st->ema = EMA_ALPHA * s + (1 - EMA_ALPHA) * st->ema;
		st->sum += s;
		if (s > st->max)
			st->max = s;
		vigil_groom_features(st, x);
		/* the conversation model over the aggregates; a version 1 file
		 * has none: the EMA from 0, so one high message alone does not
		 * cross theta */
		if (!vigil__groom_model_conv(g->model, x, &r, &out->fired, &theta, &kk)) {
			r = st->ema;
			out->fired = st->stages;
		}
	} else {
		s = logistic(B_MSG + W_STAGE * (float)popcount16(stages));
		st->ema = st->messages == 1 ? s : EMA_ALPHA * s + (1 - EMA_ALPHA) * st->ema;
		st->sum += s;
		if (s > st->max)
			st->max = s;
		r = logistic(B_CONV + W_COVER * (float)popcount16(st->stages) +
			     W_EMA * st->ema + W_MAX * st->max);
		out->fired = st->stages;
	}
	st->over = r > theta ? inc16(st->over) : 0;
	out->message = s;
	out->risk = r;
	out->stages = (uint16_t)stages;
	if (st->over >= kk && !st->alerted_at) {
		st->alerted_at = st->messages;
		out->alert = 1;
	}
	return 0;
}

void vigil_groom_features(const vigil_groom_state *st, float x[VIGIL_GROOM_NFEAT])
{
	int s;

	for (s = 0; s < VIGIL__STAGE_END; s++)
		x[s] = logf(1.0f + (float)st->count[s]);
	x[8] = st->max;
	x[9] = st->messages ? st->sum / (float)st->messages : 0;
	x[10] = logf(1.0f + (float)st->messages);
	x[11] = (float)popcount16(st->stages) / (float)VIGIL__STAGE_END;
	x[12] = st->ema;
	for (s = 0; s < 4; s++)
		x[13 + s] = popcount16(st->stages) >= s + 2 ? 1.0f : 0.0f;
}

const char *vigil_groom_feature_name(int f)
{
	static const char *const names[VIGIL_GROOM_NFEAT] = {
		"stage:age", "stage:location", "stage:alone", "stage:secrecy",
		"stage:platform", "stage:gifts", "stage:images", "stage:meeting",
		"max_score", "mean_score", "messages", "distinct_stages", "recent_score",
		"stages>=2", "stages>=3", "stages>=4", "stages>=5",
	};
	return f >= 0 && f < VIGIL_GROOM_NFEAT ? names[f] : "unknown";
}

/* ------------------------------------------------------- packed state */

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v & 0xFFFF);
	put16(p + 2, v >> 16);
}

static void putf(uint8_t *p, float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	put32(p, u);
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static float getf(const uint8_t *p)
{
	uint32_t u = get32(p);
	float f;

	memcpy(&f, &u, 4);
	return f;
}

void vigil_groom_state_pack(const vigil_groom_state *st, uint8_t out[VIGIL_GROOM_STATE_BYTES])
{
	int s;

	memset(out, 0, VIGIL_GROOM_STATE_BYTES);
	out[0] = 1;
	put32(out + 4, st->messages);
	put32(out + 8, st->alerted_at);
	putf(out + 12, st->ema);
	putf(out + 16, st->max);
	putf(out + 20, st->sum);
	put16(out + 24, st->stages);
	put16(out + 26, st->over);
	for (s = 0; s < VIGIL__STAGE_END; s++) {
		put16(out + 28 + 2 * s, st->first[s]);
		put16(out + 44 + 2 * s, st->count[s]);
	}
}

int vigil_groom_state_unpack(const uint8_t *in, size_t n, vigil_groom_state *st)
{
	int s;

	memset(st, 0, sizeof(*st));
	if (!in || n != VIGIL_GROOM_STATE_BYTES || in[0] != 1)
		return VIGIL_EFORMAT;
	st->messages = get32(in + 4);
	st->alerted_at = get32(in + 8);
	st->ema = getf(in + 12);
	st->max = getf(in + 16);
	st->sum = getf(in + 20);
	st->stages = (uint16_t)get16(in + 24);
	st->over = (uint16_t)get16(in + 26);
	for (s = 0; s < VIGIL__STAGE_END; s++) {
		st->first[s] = (uint16_t)get16(in + 28 + 2 * s);
		st->count[s] = (uint16_t)get16(in + 44 + 2 * s);
	}
	if (!isfinite(st->ema) || !isfinite(st->max) || !isfinite(st->sum)) {
		memset(st, 0, sizeof(*st));
		return VIGIL_EFORMAT;
	}
	return 0;
}
