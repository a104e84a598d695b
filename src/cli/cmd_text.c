/* cmd_text.c — `vigil text match|fold|hashtags|score`: keyword lists,
 * folding and grooming-stage risk over files or standard input, one message
 * a line. */
#include "cli.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define LINE_LIMIT (1u << 20) /* a longer message line is refused */

typedef struct text_args {
	const char *terms;  /* match: the term list file */
	const char *db;     /* the store (text banks) */
	const char *bank;   /* match: only this text bank */
	const char *data;   /* train, eval: labelled JSON lines */
	const char *out;    /* train: the model file to write */
	const char *model;  /* eval, score: the model file */
	vigil_groom_train_opts train;
	int tsv;            /* score: CONVERSATION<TAB>AUTHOR<TAB>TEXT lines */
	const char *lang;   /* --lang */
	int view;           /* fold: which view */
} text_args;

static int fail(vigil_ctx *ctx, int rc, const char *what)
{
	fprintf(stderr, "vigil text: %s: %s\n", what,
		*vigil_errmsg(ctx) ? vigil_errmsg(ctx) : vigil_strerror(rc));
	return CLI_EXIT_FAIL;
}

static int on_bad(void *user, uint64_t line, const char *why)
{
	fprintf(stderr, "%s:%llu: %s\n", (const char *)user, (unsigned long long)line, why);
	return 0;
}

/* Prints s[a, b) as a JSON string. */
static void json_span(const char *s, size_t a, size_t b)
{
	char buf[1024];
	size_t n = b - a < sizeof(buf) - 1 ? b - a : sizeof(buf) - 1;

	memcpy(buf, s + a, n);
	buf[n] = 0;
	cli_json_str(stdout, buf);
}

int cli_each_line(const char *path, cli_line_fn fn, void *user)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	uint64_t no = 0;
	int rc = 0;

	if (!f) {
		perror(path);
		return CLI_EXIT_FAIL;
	}
	while ((got = getline(&line, &cap, f)) >= 0) {
		size_t n = (size_t)got;
		no++;
		if (n && line[n - 1] == '\n')
			n--;
		if (n && line[n - 1] == '\r')
			n--;
		if (n > LINE_LIMIT) {
			fprintf(stderr, "%s:%llu: line longer than %u bytes, skipped\n", path,
				(unsigned long long)no, LINE_LIMIT);
			rc = CLI_EXIT_FAIL;
			continue;
		}
		if (fn(user, no, line, n)) {
			rc = CLI_EXIT_FAIL;
			break;
		}
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

typedef struct match_job {
	vigil_ctx *ctx;
	vigil_text_scanner *sc;
	const vigil_text_matcher *m;
	const char *list;
	const vigil_text_ref *refs; /* terms from a store's text banks, or NULL */
	vigil_text_opts opts;
	uint64_t hits;
} match_job;

static int match_line(void *user, uint64_t no, const char *s, size_t n)
{
	match_job *j = user;
	const vigil_text_hit *h;
	size_t k, nh;
	int rc = vigil_text_scan(j->sc, j->ctx, s, n, &j->opts, &h, &nh);

	if (rc && rc != VIGIL_ETOOBIG)
		return fail(j->ctx, rc, "scan");
	for (k = 0; k < nh; k++) {
		vigil_term t;
		vigil_text_matcher_term(j->m, h[k].term, &t);
		if (j->refs) {
			printf("{\"line\":%llu,\"bank\":", (unsigned long long)no);
			cli_json_str(stdout, j->refs[h[k].term].bank);
			printf(",\"entry\":%lld,\"term\":",
			       (long long)j->refs[h[k].term].term_id);
		} else {
			printf("{\"line\":%llu,\"list\":", (unsigned long long)no);
			cli_json_str(stdout, j->list);
			printf(",\"entry\":%u,\"list_line\":%llu,\"term\":", h[k].term + 1,
			       (unsigned long long)t.line);
		}
		cli_json_str(stdout, t.term);
		printf(",\"category\":");
		cli_json_str(stdout, t.category);
		printf(",\"severity\":%d,\"mode\":\"%s\",\"start\":%zu,\"end\":%zu,"
		       "\"view\":\"%s\",\"hashtag\":%s,\"text\":",
		       t.severity, vigil_term_mode_name(t.mode), h[k].start, h[k].end,
		       vigil_text_view_name(h[k].view), h[k].in_hashtag ? "true" : "false");
		json_span(s, h[k].start, h[k].end);
		if (h[k].nparts) { /* a rule: the spans of its terms that hit */
			size_t q;
			printf(",\"parts\":[");
			for (q = 0; q < h[k].nparts; q++)
				printf("%s{\"start\":%zu,\"end\":%zu}", q ? "," : "",
				       h[k].parts[q].start, h[k].parts[q].end);
			printf("]");
		}
		printf("}\n");
	}
	j->hits += nh;
	return 0;
}

typedef struct fold_job {
	vigil_ctx *ctx;
	const vigil_folder *fo;
	vigil_folded f;
	int view;
	vigil_text_opts opts;
} fold_job;

static int fold_line(void *user, uint64_t no, const char *s, size_t n)
{
	fold_job *j = user;
	int rc = vigil_fold(j->fo, j->ctx, j->view, s, n, &j->opts, &j->f);

	(void)no;
	if (rc)
		return fail(j->ctx, rc, "fold");
	fwrite(j->f.text, 1, j->f.len, stdout);
	putchar('\n');
	return 0;
}

static int tag_line(void *user, uint64_t no, const char *s, size_t n)
{
	vigil_span sp[256];
	size_t k, nt = vigil_hashtags(s, n, sp, 256);

	(void)user;
	for (k = 0; k < nt && k < 256; k++) {
		printf("{\"line\":%llu,\"start\":%zu,\"end\":%zu,\"tag\":",
		       (unsigned long long)no, sp[k].start, sp[k].end);
		json_span(s, sp[k].start, sp[k].end);
		printf("}\n");
	}
	return 0;
}


#define PAIRS_MAX (1u << 20) /* author-conversation pairs kept by score */

typedef struct pair {
	char *key; /* conversation \t author, owned; NULL = empty slot */
	vigil_groom_state st;
} pair;

typedef struct score_job {
	vigil_ctx *ctx;
	const vigil_groom *g;
	vigil_text_scanner *sc;
	vigil_text_opts opts;
	int tsv;
	pair *tab;
	size_t cap, used;
} score_job;

static uint64_t hash_str(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* The state of the pair named key[0..n), made if new; NULL if full. */
static vigil_groom_state *pair_state(score_job *j, const char *key, size_t n)
{
	size_t i;

	if (j->used * 2 >= j->cap) {
		size_t ncap = j->cap ? j->cap * 2 : 1024, k;
		pair *nt;
		if (j->used >= PAIRS_MAX || !(nt = calloc(ncap, sizeof(*nt))))
			return NULL;
		for (k = 0; k < j->cap; k++) {
			if (!j->tab[k].key)
				continue;
			i = hash_str(j->tab[k].key, strlen(j->tab[k].key)) & (ncap - 1);
			while (nt[i].key)
				i = (i + 1) & (ncap - 1);
			nt[i] = j->tab[k];
		}
		free(j->tab);
		j->tab = nt;
		j->cap = ncap;
	}
	i = hash_str(key, n) & (j->cap - 1);
	while (j->tab[i].key) {
		if (strlen(j->tab[i].key) == n && !memcmp(j->tab[i].key, key, n))
			return &j->tab[i].st;
		i = (i + 1) & (j->cap - 1);
	}
	j->tab[i].key = strndup(key, n);
	if (!j->tab[i].key)
		return NULL;
	j->used++;
	return &j->tab[i].st;
}

static void print_stages(unsigned stages)
{
	int s, first = 1;

	putchar('[');
	for (s = 0; s < VIGIL__STAGE_END; s++)
		if (stages >> s & 1) {
			printf("%s\"%s\"", first ? "" : ",", vigil_groom_stage_name(s));
			first = 0;
		}
	putchar(']');
}

static int score_line(void *user, uint64_t no, const char *s, size_t n)
{
	score_job *j = user;
	const char *conv = "-", *author = "-", *text = s, *t1, *t2;
	size_t nc = 1, na = 1, nt = n;
	char key[2048];
	vigil_groom_state *st;
	vigil_groom_result r;
	int rc, k;

	if (j->tsv) {
		t1 = memchr(s, '\t', n);
		t2 = t1 ? memchr(t1 + 1, '\t', n - (size_t)(t1 + 1 - s)) : NULL;
		if (!t2 || t1 - s > 1000 || t2 - t1 - 1 > 1000) {
			fprintf(stderr, "line %llu: not CONVERSATION<TAB>AUTHOR<TAB>TEXT\n",
				(unsigned long long)no);
			return 0;
		}
		conv = s;
		nc = (size_t)(t1 - s);
		author = t1 + 1;
		na = (size_t)(t2 - t1 - 1);
		text = t2 + 1;
		nt = n - (size_t)(text - s);
	}
	memcpy(key, conv, nc);
	key[nc] = '\t';
	memcpy(key + nc + 1, author, na);
	st = pair_state(j, key, nc + 1 + na);
	if (!st) {
		fprintf(stderr, "vigil text score: too many conversations\n");
		return 1;
	}
	rc = vigil_groom_score(j->g, j->sc, j->ctx, st, text, nt, &j->opts, &r);
	if (rc)
		return fail(j->ctx, rc, "score");
	key[nc] = 0;
	printf("{\"line\":%llu,\"conversation\":", (unsigned long long)no);
	cli_json_str(stdout, key);
	printf(",\"author\":");
	key[nc + 1 + na] = 0;
	cli_json_str(stdout, key + nc + 1);
	printf(",\"message\":%.4f,\"risk\":%.4f,\"stages\":", r.message, r.risk);
	print_stages(r.stages);
	printf(",\"alert\":%s", r.alert ? "true" : "false");
	if (r.alert) {
		/* what fired: each stage seen, with the message it first came in */
		printf(",\"messages\":%u,\"features\":[", st->messages);
		for (k = 0, rc = 0; k < VIGIL__STAGE_END; k++)
			if (st->stages >> k & 1)
				printf("%s{\"stage\":\"%s\",\"first_message\":%u}", rc++ ? "," : "",
				       vigil_groom_stage_name(k), st->first[k]);
		printf("],\"fired\":[");
		for (k = 0, rc = 0; k < VIGIL_GROOM_NFEAT; k++)
			if (r.fired >> k & 1)
				printf("%s\"%s\"", rc++ ? "," : "", vigil_groom_feature_name(k));
		putchar(']');
	}
	printf("}\n");
	return 0;
}

static int load_matcher(vigil_ctx *ctx, const vigil_folder *fo, const char *path,
			vigil_text_matcher **m)
{
	vigil_termlist *tl = NULL;
	uint8_t *data = NULL;
	size_t len = 0, added;
	int rc;

	rc = vigil_read_file(ctx, path, &data, &len);
	if (rc)
		return fail(ctx, rc, path);
	rc = vigil_termlist_new(ctx, &tl);
	if (!rc)
		rc = vigil_termlist_parse(tl, (const char *)data, len, on_bad, (void *)path,
					  &added);
	if (!rc)
		rc = vigil_text_matcher_new(ctx, fo, tl, m);
	free(data);
	vigil_termlist_free(tl);
	return rc ? fail(ctx, rc, path) : 0;
}

/* The terms of the store's enabled text banks (or of one), compiled. */
static int load_store_matcher(vigil_ctx *ctx, const vigil_folder *fo, vigil_store *st,
			      const char *bank, vigil_text_matcher **m,
			      vigil_text_ref **refs)
{
	vigil_termlist *tl = NULL;
	size_t n = 0;
	int rc = vigil_termlist_new(ctx, &tl);

	if (!rc)
		rc = vigil_text_terms_load(st, bank, tl, refs, &n);
	if (!rc)
		rc = vigil_text_matcher_new(ctx, fo, tl, m);
	vigil_termlist_free(tl);
	return rc ? fail(ctx, rc, bank ? bank : "text banks") : 0;
}

int cli_text_import(vigil_store *st, vigil_ctx *ctx, const char *bank, const char *file)
{
	uint8_t *data = NULL;
	size_t len = 0, added = 0, dups = 0;
	int rc;

	if (!strcmp(file, "-")) {
		char err[256];
		if (cli_read_stdin(1 << 30, &data, &len, err, sizeof(err))) {
			fprintf(stderr, "vigil text: -: %s\n", err);
			return CLI_EXIT_FAIL;
		}
	} else if ((rc = vigil_read_file(ctx, file, &data, &len))) {
		return fail(ctx, rc, file);
	}
	rc = vigil_text_bank_import(st, bank, (const char *)data, len, on_bad, (void *)file,
				    &added, &dups);
	free(data);
	if (rc)
		return fail(ctx, rc, bank);
	fprintf(stderr, "%s: %zu terms added, %zu already there\n", bank, added, dups);
	return CLI_EXIT_OK;
}

/* `vigil text banks`: the text banks, one JSON line each. */
static int list_banks(vigil_ctx *ctx, vigil_store *st)
{
	vigil_bank *v = NULL;
	size_t n = 0, k;
	int rc = vigil_bank_list(st, &v, &n);

	for (k = 0; !rc && k < n; k++) {
		vigil_bank_policy p;
		int is = 0;
		rc = vigil_text_bank_is(st, v[k].id, &is);
		if (!rc && is)
			rc = vigil_bank_policy_get(st, v[k].name, &p);
		if (rc || !is)
			continue;
		printf("{\"name\":");
		cli_json_str(stdout, v[k].name);
		printf(",\"id\":%lld,\"type\":\"text\",\"enabled\":%s,\"terms\":%lld,"
		       "\"action\":\"%s\",\"kind\":\"%s\",\"priority\":%d}\n",
		       (long long)v[k].id, v[k].enabled ? "true" : "false",
		       (long long)v[k].entries, vigil_action_name(p.action),
		       vigil_bank_kind_name(p.kind), p.priority);
	}
	free(v);
	return rc ? fail(ctx, rc, "text banks") : CLI_EXIT_OK;
}

int cmd_text(const cli_cmd *cmd, int argc, char **argv)
{
	text_args a;
	vigil_ctx *ctx = NULL;
	vigil_store *st = NULL;
	vigil_text_ref *refs = NULL;
	char dbbuf[4096];
	vigil_folder *fo = NULL;
	vigil_text_matcher *m = NULL;
	const char *sub, *arg;
	const char *dash[] = {"-"};
	char **files;
	int c, nfiles, i, rc = CLI_EXIT_OK;

	memset(&a, 0, sizeof(a));
	a.view = VIGIL_VIEW_AGGRESSIVE;
	vigil_groom_train_defaults(&a.train);
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			cli_usage(stdout, cmd);
			return CLI_EXIT_OK;
		}
		fprintf(stderr, "vigil text: which subcommand? (match, fold, hashtags, score, "
				"import, banks, train, eval)\n");
		return CLI_EXIT_USAGE;
	}
	sub = argv[1];
	argc--;
	argv++;
	while ((c = cli_next_opt(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case 't':
			a.terms = arg;
			break;
		case CLI_OPT_DB:
			a.db = arg;
			break;
		case CLI_OPT_BANK:
			a.bank = arg;
			break;
		case CLI_OPT_DATA:
			a.data = arg;
			break;
		case 'o':
			a.out = arg;
			break;
		case CLI_OPT_MODEL:
			a.model = arg;
			break;
		case CLI_OPT_EPOCHS:
		case CLI_OPT_DIM_BITS:
		case CLI_OPT_SEED: {
			long v;
			if (cli_parse_int(arg, c == CLI_OPT_DIM_BITS ? 10 : 1,
					  c == CLI_OPT_DIM_BITS ? 24 : c == CLI_OPT_EPOCHS ? 1000
											  : LONG_MAX,
					  &v)) {
				fprintf(stderr, "vigil text: bad --%s '%s'\n",
					c == CLI_OPT_EPOCHS ? "epochs"
					: c == CLI_OPT_DIM_BITS ? "dim-bits" : "seed", arg);
				return CLI_EXIT_USAGE;
			}
			if (c == CLI_OPT_EPOCHS)
				a.train.epochs = (int)v;
			else if (c == CLI_OPT_DIM_BITS)
				a.train.dim_bits = (int)v;
			else
				a.train.seed = (uint64_t)v;
			break;
		}
		case CLI_OPT_LANG:
			a.lang = arg;
			break;
		case CLI_OPT_TSV:
			a.tsv = 1;
			break;
		case CLI_OPT_VIEW:
			if (!strcmp(arg, "conservative"))
				a.view = VIGIL_VIEW_CONSERVATIVE;
			else if (!strcmp(arg, "aggressive"))
				a.view = VIGIL_VIEW_AGGRESSIVE;
			else {
				fprintf(stderr, "vigil text: --view is conservative or aggressive\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h':
			cli_usage(stdout, cmd);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	nfiles = argc - cli_optind();
	files = argv + cli_optind();
	if (!nfiles) {
		files = (char **)dash;
		nfiles = 1;
	}
	if (strcmp(sub, "match") && strcmp(sub, "scan") && strcmp(sub, "fold") &&
	    strcmp(sub, "hashtags") && strcmp(sub, "score") && strcmp(sub, "import") &&
	    strcmp(sub, "banks") && strcmp(sub, "train") && strcmp(sub, "eval") &&
	    strcmp(sub, "delete")) {
		fprintf(stderr, "vigil text: unknown subcommand '%s'\n", sub);
		return CLI_EXIT_USAGE;
	}
	if ((!strcmp(sub, "match") || !strcmp(sub, "scan")) && a.terms && a.bank) {
		fprintf(stderr, "vigil text %s: --terms (a file) or --bank (the store), "
				"not both\n", sub);
		return CLI_EXIT_USAGE;
	}
	if ((!strcmp(sub, "train") && (!a.data || !a.out)) ||
	    (!strcmp(sub, "eval") && (!a.data || !a.model))) {
		fprintf(stderr, "vigil text %s: --data FILE and %s are required\n", sub,
			sub[0] == 't' ? "--out MODEL" : "--model MODEL");
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(sub, "import") && argc - cli_optind() < 1) {
		fprintf(stderr, "vigil text import: which bank?\n");
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(sub, "delete") && argc - cli_optind() < 2) {
		fprintf(stderr, "vigil text delete: BANK TERM-ID...\n");
		return CLI_EXIT_USAGE;
	}
	if (vigil_ctx_new(&ctx)) {
		fprintf(stderr, "vigil text: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	/* Text banks live in the store: match without --terms, import, banks. */
	if (!strcmp(sub, "import") || !strcmp(sub, "banks") || !strcmp(sub, "delete") ||
	    ((!strcmp(sub, "match") || !strcmp(sub, "scan")) && !a.terms)) {
		c = vigil_store_open(ctx, cli_db_path(a.db, dbbuf, sizeof(dbbuf)), &st);
		if (c) {
			rc = fail(ctx, c, "cannot open the store");
			goto out;
		}
	}
	if (!strcmp(sub, "banks")) {
		rc = list_banks(ctx, st);
		goto out;
	}
	if (!strcmp(sub, "delete")) { /* the ids are the "entry" of store hits */
		for (i = 1; i < nfiles; i++) {
			long v;
			if (cli_parse_int(files[i], 1, LONG_MAX, &v)) {
				fprintf(stderr, "vigil text delete: bad term id '%s'\n", files[i]);
				rc = CLI_EXIT_USAGE;
				continue;
			}
			c = vigil_text_term_delete(st, files[0], (int64_t)v);
			if (c) {
				c = fail(ctx, c, "delete");
				if (c > rc)
					rc = c;
				continue;
			}
			printf("deleted term %ld from %s\n", v, files[0]);
		}
		goto out;
	}
	if (!strcmp(sub, "import")) {
		const char *bank = files[0];
		if (nfiles == 1)
			rc = cli_text_import(st, ctx, bank, "-");
		for (i = 1; i < nfiles; i++) {
			c = cli_text_import(st, ctx, bank, files[i]);
			if (c > rc)
				rc = c;
		}
		goto out;
	}
	if (!strcmp(sub, "hashtags")) {
		for (i = 0; i < nfiles; i++)
			if (cli_each_line(files[i], tag_line, NULL))
				rc = CLI_EXIT_FAIL;
		goto out;
	}
	c = vigil_folder_new(ctx, &fo);
	if (c) {
		rc = fail(ctx, c, "fold tables");
		goto out;
	}
	if (!strcmp(sub, "fold")) {
		fold_job j = {ctx, fo, {0}, a.view, {a.lang}};
		for (i = 0; i < nfiles; i++)
			if (cli_each_line(files[i], fold_line, &j))
				rc = CLI_EXIT_FAIL;
		vigil_folded_free(&j.f);
		goto out;
	}
	if (!strcmp(sub, "train") || !strcmp(sub, "eval")) {
		rc = sub[0] == 't' ? cli_text_train(ctx, fo, a.data, a.out, &a.train)
				   : cli_text_eval(ctx, fo, a.data, a.model);
		goto out;
	}
	if (!strcmp(sub, "score")) {
		vigil_groom *g = NULL;
		vigil_groom_model *gm = NULL;
		score_job j = {ctx, NULL, NULL, {a.lang}, a.tsv, NULL, 0, 0};
		size_t k;
		c = a.model ? vigil_groom_model_load(ctx, a.model, &gm) : 0;
		if (!c)
			c = vigil_groom_new(ctx, fo, &g);
		if (!c) {
			vigil_groom_set_model(g, gm);
			c = vigil_text_scanner_new(ctx, vigil_groom_lexicon(g), &j.sc);
		}
		if (c) {
			rc = fail(ctx, c, "grooming scorer");
		} else {
			j.g = g;
			for (i = 0; i < nfiles; i++)
				if (cli_each_line(files[i], score_line, &j))
					rc = CLI_EXIT_FAIL;
		}
		for (k = 0; k < j.cap; k++)
			free(j.tab[k].key);
		free(j.tab);
		vigil_text_scanner_free(j.sc);
		vigil_groom_free(g);
		vigil_groom_model_free(gm);
		goto out;
	}
	rc = st ? load_store_matcher(ctx, fo, st, a.bank, &m, &refs)
		: load_matcher(ctx, fo, a.terms, &m);
	if (rc)
		goto out;
	{
		match_job j = {ctx, NULL, m, a.terms, refs, {a.lang}, 0};
		c = vigil_text_scanner_new(ctx, m, &j.sc);
		if (c) {
			rc = fail(ctx, c, "scanner");
			goto out;
		}
		for (i = 0; i < nfiles; i++)
			if (cli_each_line(files[i], match_line, &j))
				rc = CLI_EXIT_FAIL;
		vigil_text_scanner_free(j.sc);
	}
out:
	free(refs);
	vigil_text_matcher_free(m);
	vigil_store_close(st);
	vigil_folder_free(fo);
	vigil_ctx_free(ctx);
	fflush(stdout);
	return rc;
}
