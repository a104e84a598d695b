/* text_model.c — `vigil text train` and `vigil text eval`: the grooming
 * models trained on, and measured against, a platform's labelled messages
 * (JSON lines {"conversation", "author", "text", "label"[,
 * "conversation_label"]}, in the order the messages were sent). The
 * message model learns "label"; the conversation model learns the
 * author's label in the conversation (its "conversation_label" when a line
 * gives one, else 1 if any of its messages is labelled 1) from the
 * aggregates after every message. */
#include "cli.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DATA_MAX_LINES 10000000
#define ID_MAX 255

typedef struct msg {
	char *text;
	size_t len;
	uint8_t label;
	int8_t conv_label; /* conversation_label, -1 if the line has none */
	char *pair; /* conversation NUL author, for the per-pair state */
	size_t plen;
} msg;

typedef struct dataset {
	msg *m;
	size_t n, cap;
} dataset;

static void data_free(dataset *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->m[i].text);
		free(d->m[i].pair);
	}
	free(d->m);
}

struct reading {
	const char *path;
	dataset *d;
};

/* One labelled line into the set; a bad line is reported and skipped. */
static int data_line(void *user, uint64_t no, const char *line, size_t n)
{
	struct reading *rd = user;
	dataset *d = rd->d;
	json_error_t err;
	json_t *j, *lab, *clab;
	const char *conv, *auth, *text;
	msg *nm;
	size_t nc, na;

	if (!n)
		return 0;
	j = json_loadb(line, n, 0, &err);
	lab = j ? json_object_get(j, "label") : NULL;
	clab = j ? json_object_get(j, "conversation_label") : NULL;
	text = j ? json_string_value(json_object_get(j, "text")) : NULL;
	conv = j ? json_string_value(json_object_get(j, "conversation")) : NULL;
	auth = j ? json_string_value(json_object_get(j, "author")) : NULL;
	conv = conv ? conv : "";
	auth = auth ? auth : "";
	nc = strlen(conv);
	na = strlen(auth);
	if (!text || !(json_is_integer(lab) || json_is_boolean(lab)) || nc > ID_MAX ||
	    na > ID_MAX || (clab && !json_is_integer(clab) && !json_is_boolean(clab))) {
		fprintf(stderr, "%s:%llu: not {\"text\":STRING,\"label\":0|1[,"
				"\"conversation\",\"author\"]}\n",
			rd->path, (unsigned long long)no);
		json_decref(j);
		return 0;
	}
	if (d->n >= DATA_MAX_LINES) {
		fprintf(stderr, "%s: more than %d lines\n", rd->path, DATA_MAX_LINES);
		json_decref(j);
		return 1;
	}
	if (d->n == d->cap) {
		size_t nc2 = d->cap ? d->cap * 2 : 1024;
		nm = realloc(d->m, nc2 * sizeof(*d->m));
		if (!nm) {
			json_decref(j);
			return 1;
		}
		d->m = nm;
		d->cap = nc2;
	}
	nm = &d->m[d->n];
	nm->len = json_string_length(json_object_get(j, "text"));
	nm->text = malloc(nm->len + 1);
	nm->plen = nc + 1 + na;
	nm->pair = malloc(nm->plen + 1);
	if (!nm->text || !nm->pair) {
		free(nm->text);
		free(nm->pair);
		json_decref(j);
		return 1;
	}
	memcpy(nm->text, text, nm->len + 1);
	memcpy(nm->pair, conv, nc + 1); /* conversation NUL author */
	memcpy(nm->pair + nc + 1, auth, na + 1);
	nm->label = json_is_boolean(lab) ? json_is_true(lab) : json_integer_value(lab) != 0;
	nm->conv_label = !clab ? -1
		       : json_is_boolean(clab) ? json_is_true(clab)
					       : json_integer_value(clab) != 0;
	d->n++;
	json_decref(j);
	return 0;
}

static int data_read(const char *path, dataset *d)
{
	struct reading rd = {path, d};
	int rc;

	memset(d, 0, sizeof(*d));
	rc = cli_each_line(path, data_line, &rd);
	if (!rc && !d->n) {
		fprintf(stderr, "%s: no labelled lines\n", path);
		rc = CLI_EXIT_FAIL;
	}
	return rc;
}

static int by_f_desc(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

static const dataset *sort_d;

static int by_pair(const void *a, const void *b)
{
	const msg *x = &sort_d->m[*(const size_t *)a], *y = &sort_d->m[*(const size_t *)b];
	size_t n = x->plen < y->plen ? x->plen : y->plen;
	int c = memcmp(x->pair, y->pair, n);

	if (c)
		return c;
	if (x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1; /* sent order */
}

/* The messages grouped by pair, each pair's in the order sent: *idx
 * (free()) lists message indices; a pair starts where its key changes. */
static size_t *pair_order(const dataset *d)
{
	size_t *idx = malloc(d->n * sizeof(*idx)), i;

	if (!idx)
		return NULL;
	for (i = 0; i < d->n; i++)
		idx[i] = i;
	sort_d = d;
	qsort(idx, d->n, sizeof(*idx), by_pair);
	return idx;
}

static int same_pair(const msg *a, const msg *b)
{
	return a->plen == b->plen && !memcmp(a->pair, b->pair, a->plen);
}

/* The author's label in the conversation of the pair at idx[i0..i1). */
static uint8_t pair_label(const dataset *d, const size_t *idx, size_t i0, size_t i1)
{
	uint8_t any = 0;
	size_t i;

	for (i = i0; i < i1; i++)
		if (d->m[idx[i]].conv_label >= 0)
			return (uint8_t)d->m[idx[i]].conv_label;
	for (i = i0; i < i1; i++)
		any |= d->m[idx[i]].label;
	return any;
}

/* The alert threshold from the training pairs' cross-fitted samples: the
 * lowest (not under opts' theta) at which at most one benign pair in
 * 10,000 (floor(benign / 10,000) of them) would alert, i.e. keep its risk
 * over it for k messages in a row. */
static int set_theta(vigil_groom_model *m, const dataset *d, const size_t *idx,
		     const float *x, const uint8_t *y, const vigil_groom_train_opts *o)
{
	float *peak = malloc((d->n ? d->n : 1) * sizeof(float)), ring[1000], theta;
	size_t i0, i1, i, nneg = 0, allowed;
	uint32_t run;

	if (!peak)
		return VIGIL_ENOMEM;
	for (i0 = 0; i0 < d->n; i0 = i1) {
		float pk = 0;
		for (i1 = i0 + 1; i1 < d->n && same_pair(&d->m[idx[i0]], &d->m[idx[i1]]); i1++)
			;
		if (y[i0])
			continue;
		for (i = i0, run = 0; i < i1; i++, run++) {
			float lo = 1;
			int k;
			ring[run % (uint32_t)o->k] = vigil_groom_model_risk(m, x + i * VIGIL_GROOM_NFEAT);
			if (run + 1 < (uint32_t)o->k)
				continue;
			for (k = 0; k < o->k; k++)
				lo = ring[k] < lo ? ring[k] : lo;
			pk = lo > pk ? lo : pk;
		}
		peak[nneg++] = pk;
	}
	allowed = nneg / 10000;
	/* the (allowed + 1)-th highest benign peak: alerts need risk > theta */
	qsort(peak, nneg, sizeof(float), by_f_desc);
	theta = nneg > allowed ? peak[allowed] : 0;
	free(peak);
	if (theta < o->theta)
		theta = o->theta;
	if (theta > 0.9999f)
		theta = 0.9999f;
	return vigil_groom_model_set_policy(m, theta, o->k);
}

/* The conversation model of m: every pair's messages through a message
 * model and the lexicon, a sample of the aggregates after each message
 * labelled with the pair's label. The message scores it learns from are
 * cross-fitted: pairs are split in two folds (by a hash of the
 * conversation id),
 * a message model is trained on each fold and scores the other's pairs,
 * so the conversation model sees scores as unseen data gets them, not
 * the full model's near-perfect scores on its own training data. */
static int train_conv(vigil_ctx *ctx, const vigil_folder *fo, const dataset *d,
		      vigil_groom_model *m, const vigil_groom_train_opts *o, size_t *npairs,
		      size_t *ppairs)
{
	vigil_groom *g[2] = {NULL, NULL};
	vigil_text_scanner *sc[2] = {NULL, NULL};
	vigil_groom_model *fm[2] = {NULL, NULL};
	size_t *idx = pair_order(d), i0, i1, i, nf[2] = {0, 0}, f;
	float *x = malloc(d->n * VIGIL_GROOM_NFEAT * sizeof(float));
	uint8_t *y = malloc(d->n), *fold = malloc(d->n ? d->n : 1);
	const char **texts = calloc(d->n, sizeof(*texts));
	size_t *lens = calloc(d->n, sizeof(*lens));
	uint8_t *labels = calloc(d->n, 1);
	int r = !idx || !x || !y || !fold || !texts || !lens || !labels ? VIGIL_ENOMEM : 0;

	*npairs = *ppairs = 0;
	for (i0 = 0; !r && i0 < d->n; i0 = i1) {
		for (i1 = i0 + 1; i1 < d->n && same_pair(&d->m[idx[i0]], &d->m[idx[i1]]); i1++)
			;
		/* by conversation, so both of its sides fall in one fold */
		uint64_t h = 1469598103934665603ULL;
		const char *c = d->m[idx[i0]].pair;
		for (; *c; c++)
			h = (h ^ (unsigned char)*c) * 1099511628211ULL;
		for (i = i0; i < i1; i++)
			fold[i] = (uint8_t)(h >> 32 & 1);
		nf[h >> 32 & 1] += i1 - i0;
		(*npairs)++;
	}
	for (f = 0; !r && f < 2; f++) {
		size_t n = 0;
		if (!nf[0] || !nf[1]) /* one pair: no fold to hold out */
			break;
		for (i = 0; i < d->n; i++)
			if (fold[i] == f) {
				texts[n] = d->m[idx[i]].text;
				lens[n] = d->m[idx[i]].len;
				labels[n++] = d->m[idx[i]].label;
			}
		r = vigil_groom_train(ctx, fo, texts, lens, labels, n, o, &fm[f]);
	}
	for (f = 0; !r && f < 2; f++) {
		r = vigil_groom_new(ctx, fo, &g[f]);
		if (!r) {
			/* fold f's pairs are scored by the other fold's model */
			vigil_groom_set_model(g[f], fm[!f] ? fm[!f] : m);
			r = vigil_text_scanner_new(ctx, vigil_groom_lexicon(g[f]), &sc[f]);
		}
	}
	for (i0 = 0; !r && i0 < d->n; i0 = i1) {
		vigil_groom_state st;
		uint8_t lab;
		for (i1 = i0 + 1; i1 < d->n && same_pair(&d->m[idx[i0]], &d->m[idx[i1]]); i1++)
			;
		lab = pair_label(d, idx, i0, i1);
		*ppairs += lab;
		f = fold[i0];
		memset(&st, 0, sizeof(st));
		for (i = i0; !r && i < i1; i++) {
			vigil_groom_result res;
			const msg *mm = &d->m[idx[i]];
			r = vigil_groom_score(g[f], sc[f], ctx, &st, mm->text, mm->len, NULL, &res);
			vigil_groom_features(&st, x + i * VIGIL_GROOM_NFEAT);
			y[i] = lab;
		}
	}
	/* g may score with m: done with before m changes */
	for (f = 0; f < 2; f++) {
		vigil_text_scanner_free(sc[f]);
		vigil_groom_free(g[f]);
		vigil_groom_model_free(fm[f]);
	}
	if (!r)
		r = vigil_groom_train_conv(ctx, m, x, y, d->n, o);
	if (!r)
		r = set_theta(m, d, idx, x, y, o);
	free(idx);
	free(x);
	free(y);
	free(fold);
	free(texts);
	free(lens);
	free(labels);
	return r;
}

int cli_text_train(vigil_ctx *ctx, const vigil_folder *fo, const char *data,
		   const char *out, const vigil_groom_train_opts *o)
{
	dataset d;
	vigil_groom_model *m = NULL;
	const char **texts = NULL;
	size_t *lens = NULL, i, pos = 0, right = 0, npairs = 0, ppairs = 0;
	float theta = 0;
	int kk = 0;
	uint8_t *labels = NULL;
	int rc = data_read(data, &d), r;

	if (rc)
		goto out;
	texts = calloc(d.n, sizeof(*texts));
	lens = calloc(d.n, sizeof(*lens));
	labels = calloc(d.n, 1);
	if (!texts || !lens || !labels) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < d.n; i++) {
		texts[i] = d.m[i].text;
		lens[i] = d.m[i].len;
		labels[i] = d.m[i].label;
		pos += labels[i];
	}
	r = vigil_groom_train(ctx, fo, texts, lens, labels, d.n, o, &m);
	if (!r)
		for (i = 0; !r && i < d.n; i++) {
			float p;
			r = vigil_groom_model_predict(m, fo, ctx, texts[i], lens[i], &p);
			right += (p > 0.5f) == (labels[i] != 0);
		}
	if (!r)
		r = train_conv(ctx, fo, &d, m, o, &npairs, &ppairs);
	if (!r)
		vigil_groom_model_policy(m, &theta, &kk);
	if (!r)
		r = vigil_groom_model_save(m, ctx, out);
	if (r) {
		fprintf(stderr, "vigil text train: %s\n", vigil_errmsg(ctx));
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	printf("{\"messages\":%zu,\"positive\":%zu,\"epochs\":%d,\"dim_bits\":%d,"
	       "\"training_accuracy\":%.4f,\"pairs\":%zu,\"positive_pairs\":%zu,"
	       "\"theta\":%.4f,\"k\":%d,\"model\":",
	       d.n, pos, o->epochs, o->dim_bits, (double)right / (double)d.n, npairs, ppairs,
	       (double)theta, kk);
	cli_json_str(stdout, out);
	printf("}\n");
out:
	free(texts);
	free(lens);
	free(labels);
	vigil_groom_model_free(m);
	data_free(&d);
	return rc;
}

typedef struct scored {
	float p;
	uint8_t label;
} scored;

static int by_p_desc(const void *a, const void *b)
{
	float x = ((const scored *)a)->p, y = ((const scored *)b)->p;

	return x < y ? 1 : x > y ? -1 : 0;
}

static double fbeta(double prec, double rec, double beta)
{
	double b2 = beta * beta;

	return prec + rec > 0 ? (1 + b2) * prec * rec / (b2 * prec + rec) : 0;
}

static int by_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Per (conversation, author): its label, first alert and the score the
 * alert rule thresholds. */
typedef struct pairst {
	int positive;       /* the author's conversation-level label */
	uint32_t first_pos; /* message (1-based) of its first labelled 1, 0 none */
	uint32_t alerted_at;
	uint32_t messages;
	float peak;         /* max over k consecutive messages of their least risk:
			       the pair alerts at threshold t iff peak > t */
} pairst;

static int by_peak_desc(const void *a, const void *b)
{
	float x = ((const pairst *)a)->peak, y = ((const pairst *)b)->peak;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Recall among positive pairs at the lowest threshold that leaves at most
 * one alert per 10,000 benign pairs (floor(benign / 10,000) of them);
 * ps sorted by peak, descending. *thr: that threshold. */
static double recall_at_fa(const pairst *ps, size_t np, size_t npos, size_t nneg,
			   double *thr)
{
	size_t allowed = nneg / 10000, fa = 0, tp = 0, i, best = 0;

	*thr = 1;
	for (i = 0; i < np; i++) {
		/* a threshold just under ps[i].peak alerts ps[0..i] and every tie */
		size_t j = i;
		while (j + 1 < np && ps[j + 1].peak == ps[i].peak)
			j++;
		for (; i <= j; i++) {
			fa += !ps[i].positive;
			tp += ps[i].positive;
		}
		i = j;
		if (fa > allowed)
			break;
		best = tp;
		*thr = ps[j].peak;
	}
	return npos ? (double)best / (double)npos : 0;
}

int cli_text_eval(vigil_ctx *ctx, const vigil_folder *fo, const char *data,
		  const char *model)
{
	dataset d;
	vigil_groom_model *m = NULL;
	vigil_groom *g = NULL;
	vigil_text_scanner *sc = NULL;
	scored *s = NULL;
	pairst *pairs = NULL;
	uint32_t *lat = NULL, *len_pos = NULL;
	size_t *idx = NULL;
	float *ring = NULL, theta = VIGIL_GROOM_THETA;
	size_t i, i0, i1, k, np = 0, tp = 0, fp = 0, fn = 0, npos = 0, ptp = 0, pfp = 0,
						pfn = 0, pneg = 0, nlat = 0, cap;
	double ap = 0, prec, rec, pprec, prec_at_k, prec_cap, lat_speed = 0, lat_f1, prec_r,
	       rec_fa, thr_fa, lat_p = 0;
	int rc = data_read(data, &d), r, kk = VIGIL_GROOM_K;

	if (rc)
		goto out;
	r = vigil_groom_model_load(ctx, model, &m);
	if (!r)
		vigil_groom_model_policy(m, &theta, &kk);
	if (!r)
		r = vigil_groom_new(ctx, fo, &g);
	if (!r) {
		vigil_groom_set_model(g, m);
		r = vigil_text_scanner_new(ctx, vigil_groom_lexicon(g), &sc);
	}
	s = calloc(d.n, sizeof(*s));
	pairs = calloc(d.n, sizeof(*pairs));
	lat = calloc(d.n, sizeof(*lat));
	len_pos = calloc(d.n, sizeof(*len_pos));
	ring = calloc((size_t)kk, sizeof(*ring));
	idx = r ? NULL : pair_order(&d);
	if (!r && (!s || !pairs || !lat || !len_pos || !ring || !idx))
		r = VIGIL_ENOMEM;
	/* Pair by pair, each pair's messages in order: each message scored
	 * alone (message level) and through the pair's running state
	 * (author level, early detection). */
	for (i0 = 0; !r && i0 < d.n; i0 = i1) {
		vigil_groom_state st;
		pairst *ps = &pairs[np++];
		for (i1 = i0 + 1; i1 < d.n && same_pair(&d.m[idx[i0]], &d.m[idx[i1]]); i1++)
			;
		memset(&st, 0, sizeof(st));
		ps->positive = pair_label(&d, idx, i0, i1);
		for (i = i0; !r && i < i1; i++) {
			vigil_groom_result res;
			const msg *mm = &d.m[idx[i]];
			float lo;
			r = vigil_groom_score(g, sc, ctx, &st, mm->text, mm->len, NULL, &res);
			s[i].p = res.message;
			s[i].label = mm->label;
			if (mm->label && !ps->first_pos)
				ps->first_pos = st.messages;
			ring[(st.messages - 1) % (uint32_t)kk] = res.risk;
			if (st.messages >= (uint32_t)kk) {
				for (k = 0, lo = 1; k < (size_t)kk; k++)
					lo = ring[k] < lo ? ring[k] : lo;
				ps->peak = lo > ps->peak ? lo : ps->peak;
			}
		}
		ps->alerted_at = st.alerted_at;
		ps->messages = st.messages;
	}
	if (r) {
		fprintf(stderr, "vigil text eval: %s\n", vigil_errmsg(ctx));
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < d.n; i++) {
		int yes = s[i].p > VIGIL_GROOM_THETA;
		npos += s[i].label;
		tp += yes && s[i].label;
		fp += yes && !s[i].label;
		fn += !yes && s[i].label;
	}
	/* average precision: the area under the precision-recall curve */
	qsort(s, d.n, sizeof(*s), by_p_desc);
	for (i = 0, k = 0; i < d.n; i++)
		if (s[i].label) {
			k++;
			ap += (double)k / (double)(i + 1);
		}
	ap = npos ? ap / (double)npos : 0;
	for (i = 0, k = 0; i < np; i++)
		if (pairs[i].positive)
			len_pos[k++] = pairs[i].messages;
	qsort(len_pos, k, sizeof(*len_pos), by_u32);
	/* latency-weighted F1 (Sadeque et al. 2018): a true alert after j
	 * messages of the author costs -1 + 2 / (1 + e^(-p (j - 1))) of
	 * itself, p set so that the cost is 0.5 at the median length of a
	 * positive pair; speed = 1 - median cost; F_latency = F1 x speed */
	if (k && len_pos[k / 2] > 1)
		lat_p = log(3.0) / (double)(len_pos[k / 2] - 1);
	for (i = 0; i < np; i++) {
		int alert = pairs[i].alerted_at != 0;
		pneg += !pairs[i].positive;
		ptp += alert && pairs[i].positive;
		pfp += alert && !pairs[i].positive;
		pfn += !alert && pairs[i].positive;
		/* messages from the first labelled one to the alert */
		if (alert && pairs[i].positive)
			lat[nlat++] = pairs[i].alerted_at >= pairs[i].first_pos
					      ? pairs[i].alerted_at - pairs[i].first_pos + 1
					      : 0;
	}
	{
		double *cost = calloc(np ? np : 1, sizeof(double));
		size_t nc = 0;
		if (!cost) {
			rc = CLI_EXIT_FAIL;
			goto out;
		}
		for (i = 0; i < np; i++)
			if (pairs[i].alerted_at && pairs[i].positive)
				cost[nc++] = -1.0 + 2.0 / (1.0 + exp(-lat_p * (pairs[i].alerted_at - 1.0)));
		for (i = 1; i < nc; i++) /* insertion sort: a few thousand at most */
			for (k = i; k > 0 && cost[k - 1] > cost[k]; k--) {
				double t = cost[k];
				cost[k] = cost[k - 1];
				cost[k - 1] = t;
			}
		lat_speed = nc ? 1.0 - cost[nc / 2] : 0;
		free(cost);
	}
	qsort(lat, nlat, sizeof(*lat), by_u32);
	prec = tp + fp ? (double)tp / (double)(tp + fp) : 0;
	rec = tp + fn ? (double)tp / (double)(tp + fn) : 0;
	pprec = ptp + pfp ? (double)ptp / (double)(ptp + pfp) : 0;
	prec_r = ptp + pfn ? (double)ptp / (double)(ptp + pfn) : 0;
	lat_f1 = fbeta(pprec, prec_r, 1) * lat_speed;
	/* precision among the top npos messages: a reviewer with that
	 * capacity */
	for (i = 0, k = 0; i < npos && i < d.n; i++)
		k += s[i].label;
	prec_at_k = npos ? (double)k / (double)npos : 0;
	/* pairs by their peak risk: reviewers who can open as many cases as
	 * there are positive pairs, and recall at <= 1 per 10,000 benign */
	qsort(pairs, np, sizeof(*pairs), by_peak_desc);
	cap = np - pneg;
	for (i = 0, k = 0; i < cap; i++)
		k += pairs[i].positive;
	prec_cap = cap ? (double)k / (double)cap : 0;
	rec_fa = recall_at_fa(pairs, np, np - pneg, pneg, &thr_fa);
	printf("{\"messages\":%zu,\"positive\":%zu,\"message_precision\":%.4f,"
	       "\"message_recall\":%.4f,\"message_f0_5\":%.4f,\"message_pr_auc\":%.4f,"
	       "\"precision_at_capacity\":%.4f,\"pairs\":%zu,\"positive_pairs\":%zu,"
	       "\"pair_precision\":%.4f,\"pair_recall\":%.4f,\"pair_f0_5\":%.4f,"
	       "\"false_alerts_per_10000_benign_pairs\":%.1f,"
	       "\"median_messages_to_alert\":%u,\"latency_weighted_f1\":%.4f,"
	       "\"latency_speed\":%.4f,\"pair_precision_at_capacity\":%.4f,"
	       "\"recall_at_1_per_10000_benign\":%.4f,\"threshold_at_1_per_10000_benign\":%.4f,"
	       "\"conversation_model\":%s}\n",
	       d.n, npos, prec, rec, fbeta(prec, rec, 0.5), ap, prec_at_k, np, np - pneg,
	       pprec, prec_r, fbeta(pprec, prec_r, 0.5),
	       pneg ? 10000.0 * (double)pfp / (double)pneg : 0, nlat ? lat[nlat / 2] : 0,
	       lat_f1, lat_speed, prec_cap, rec_fa, thr_fa,
	       vigil_groom_model_has_conv(m) ? "true" : "false");
out:
	free(s);
	free(pairs);
	free(lat);
	free(len_pos);
	free(ring);
	free(idx);
	vigil_text_scanner_free(sc);
	vigil_groom_free(g);
	vigil_groom_model_free(m);
	data_free(&d);
	return rc;
}
