/* text_model.c — `vigil text train` and `vigil text eval`: the grooming
 * model trained on, and measured against, a platform's labelled messages
 * (JSON lines {"conversation", "author", "text", "label"}, in the order
 * the messages were sent). */
#include "cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define DATA_MAX_LINES 10000000
#define ID_MAX 255

typedef struct msg {
	char *text;
	size_t len;
	uint8_t label;
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
	json_t *j, *lab;
	const char *conv, *auth, *text;
	msg *nm;
	size_t nc, na;

	if (!n)
		return 0;
	j = json_loadb(line, n, 0, &err);
	lab = j ? json_object_get(j, "label") : NULL;
	text = j ? json_string_value(json_object_get(j, "text")) : NULL;
	conv = j ? json_string_value(json_object_get(j, "conversation")) : NULL;
	auth = j ? json_string_value(json_object_get(j, "author")) : NULL;
	conv = conv ? conv : "";
	auth = auth ? auth : "";
	nc = strlen(conv);
	na = strlen(auth);
	if (!text || !(json_is_integer(lab) || json_is_boolean(lab)) || nc > ID_MAX ||
	    na > ID_MAX) {
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

int cli_text_train(vigil_ctx *ctx, const vigil_folder *fo, const char *data,
		   const char *out, const vigil_groom_train_opts *o)
{
	dataset d;
	vigil_groom_model *m = NULL;
	const char **texts = NULL;
	size_t *lens = NULL, i, pos = 0, right = 0;
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
		r = vigil_groom_model_save(m, ctx, out);
	if (r) {
		fprintf(stderr, "vigil text train: %s\n", vigil_errmsg(ctx));
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	printf("{\"messages\":%zu,\"positive\":%zu,\"epochs\":%d,\"dim_bits\":%d,"
	       "\"training_accuracy\":%.4f,\"model\":",
	       d.n, pos, o->epochs, o->dim_bits, (double)right / (double)d.n);
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

/* Per (conversation, author): its state, label and first alert. */
typedef struct pairst {
	const char *key;
	size_t klen;
	vigil_groom_state st;
	int positive;       /* any message labelled 1 */
	uint32_t first_pos; /* message (1-based) of the first labelled 1 */
} pairst;

static int by_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
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
	uint32_t *lat = NULL;
	size_t i, k, np = 0, tp = 0, fp = 0, fn = 0, npos = 0, ptp = 0, pfp = 0, pfn = 0,
		     pneg = 0, nlat = 0;
	double ap = 0, prec, rec, pprec, prec_at_k;
	int rc = data_read(data, &d), r;

	if (rc)
		goto out;
	r = vigil_groom_model_load(ctx, model, &m);
	if (!r)
		r = vigil_groom_new(ctx, fo, &g);
	if (!r) {
		vigil_groom_set_model(g, m);
		r = vigil_text_scanner_new(ctx, vigil_groom_lexicon(g), &sc);
	}
	s = calloc(d.n, sizeof(*s));
	pairs = calloc(d.n, sizeof(*pairs));
	lat = calloc(d.n, sizeof(*lat));
	if (!r && (!s || !pairs || !lat))
		r = VIGIL_ENOMEM;
	/* Messages in order: each scored alone (message level) and through
	 * its pair's running state (author level, early detection). The
	 * pair lookup is linear: eval files are small. */
	for (i = 0; !r && i < d.n; i++) {
		vigil_groom_result res;
		pairst *ps = NULL;
		for (k = np; k-- > 0;)
			if (pairs[k].klen == d.m[i].plen &&
			    !memcmp(pairs[k].key, d.m[i].pair, d.m[i].plen)) {
				ps = &pairs[k];
				break;
			}
		if (!ps) {
			ps = &pairs[np++];
			ps->key = d.m[i].pair;
			ps->klen = d.m[i].plen;
		}
		r = vigil_groom_score(g, sc, ctx, &ps->st, d.m[i].text, d.m[i].len, NULL, &res);
		s[i].p = res.message;
		s[i].label = d.m[i].label;
		if (d.m[i].label && !ps->positive) {
			ps->positive = 1;
			ps->first_pos = ps->st.messages;
		}
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
	for (i = 0; i < np; i++) {
		int alert = pairs[i].st.alerted_at != 0;
		pneg += !pairs[i].positive;
		ptp += alert && pairs[i].positive;
		pfp += alert && !pairs[i].positive;
		pfn += !alert && pairs[i].positive;
		/* messages from the first labelled one to the alert */
		if (alert && pairs[i].positive)
			lat[nlat++] = pairs[i].st.alerted_at >= pairs[i].first_pos
					      ? pairs[i].st.alerted_at - pairs[i].first_pos + 1
					      : 0;
	}
	qsort(lat, nlat, sizeof(*lat), by_u32);
	prec = tp + fp ? (double)tp / (double)(tp + fp) : 0;
	rec = tp + fn ? (double)tp / (double)(tp + fn) : 0;
	pprec = ptp + pfp ? (double)ptp / (double)(ptp + pfp) : 0;
	/* precision among the top npos messages: a reviewer with that
	 * capacity */
	for (i = 0, k = 0; i < npos && i < d.n; i++)
		k += s[i].label;
	prec_at_k = npos ? (double)k / (double)npos : 0;
	printf("{\"messages\":%zu,\"positive\":%zu,\"message_precision\":%.4f,"
	       "\"message_recall\":%.4f,\"message_f0_5\":%.4f,\"message_pr_auc\":%.4f,"
	       "\"precision_at_capacity\":%.4f,\"pairs\":%zu,\"positive_pairs\":%zu,"
	       "\"pair_precision\":%.4f,\"pair_recall\":%.4f,\"pair_f0_5\":%.4f,"
	       "\"false_alerts_per_10000_benign_pairs\":%.1f,"
	       "\"median_messages_to_alert\":%u}\n",
	       d.n, npos, prec, rec, fbeta(prec, rec, 0.5), ap, prec_at_k, np, np - pneg,
	       pprec, ptp + pfn ? (double)ptp / (double)(ptp + pfn) : 0,
	       fbeta(pprec, ptp + pfn ? (double)ptp / (double)(ptp + pfn) : 0, 0.5),
	       pneg ? 10000.0 * (double)pfp / (double)pneg : 0,
	       nlat ? lat[nlat / 2] : 0);
out:
	free(s);
	free(pairs);
	free(lat);
	vigil_text_scanner_free(sc);
	vigil_groom_free(g);
	vigil_groom_model_free(m);
	data_free(&d);
	return rc;
}
