/* vigil/text.h — text signals: folding of obfuscated text, keyword lists
 * and hashtags (part of vigil.h; do not include directly). docs/text.md
 * describes what is matched, how, and the limits.
 *
 * Objects and threads:
 *  - vigil_folder: the fold tables, built once from ICU (about 0.1 s);
 *    immutable afterwards, so one folder serves every thread.
 *  - vigil_termlist: a keyword list being loaded; not thread-safe.
 *  - vigil_text_matcher: a compiled list (one Vectorscan database per
 *    view); immutable, shared by every thread.
 *  - vigil_text_scanner: one thread's scratch space, fold buffers and hit
 *    array for one matcher. Make one per thread.
 *
 * All byte offsets are into the caller's original UTF-8 text. */
#ifndef VIGIL_TEXT_H
#define VIGIL_TEXT_H

#define VIGIL_TERM_MAX 256        /* bytes of one listed term */
#define VIGIL_CATEGORY_MAX 64     /* bytes of a term's category */
#define VIGIL_TERMS_MAX 1000000   /* terms in one list */
#define VIGIL_SUBSTRING_MIN 4     /* code points of a substring-mode term, folded */
#define VIGIL_HASHTAG_MIN 4       /* code points of a term matched inside a hashtag */
#define VIGIL_REGEX_MAX 1000      /* regex-mode terms in one matcher */
#define VIGIL_RULE_MAX 1000       /* bytes of a rule-mode term (its JSON) */
#define VIGIL_RULE_TERMS_MAX 32   /* terms inside one rule */
#define VIGIL_RULE_GROUPS_MAX 16  /* AND groups of one rule */
#define VIGIL_RULE_SPANS_MAX 16   /* spans reported with one rule hit */

/* The two folded views of a text (docs/text.md, "Views"). */
typedef enum vigil_text_view {
	VIGIL_VIEW_CONSERVATIVE = 0, /* NFKC_Casefold, marks, tatweel,
					Arabic letter variants, runs > 2 */
	VIGIL_VIEW_AGGRESSIVE = 1,   /* + homoglyphs, enclosed letters,
					spaced-out letters, leet (not in
					Arabizi), digraphs, every run */
	VIGIL_VIEW_RAW = 2,          /* the text as written (literal terms) */
	VIGIL__VIEW_END
} vigil_text_view;

/* Short name of a view ("conservative", "aggressive", "raw"); never NULL. */
const char *vigil_text_view_name(int view);

/* Hints about one text. Zero-initialise. */
typedef struct vigil_text_opts {
	const char *lang; /* BCP 47 language if known ("ar", "de"…), or NULL.
			     "ar" makes every Latin token with digits Arabizi,
			     so the aggressive view leaves its digits alone. */
} vigil_text_opts;

typedef struct vigil_folder vigil_folder;

/* Builds the fold tables. *out is owned by the caller (vigil_folder_free).
 * Returns VIGIL_EINTERNAL if ICU fails, VIGIL_ENOMEM. */
int vigil_folder_new(vigil_ctx *ctx, vigil_folder **out);
void vigil_folder_free(vigil_folder *fo);

/* A folded text. Caller-owned; zero-initialise, reuse across calls (the
 * buffers grow), release with vigil_folded_free. */
typedef struct vigil_folded {
	char *text;      /* len bytes of UTF-8 and a NUL */
	size_t len;
	uint32_t *ostart; /* per byte of text: the original span [ostart, oend) */
	uint32_t *oend;   /*   of the code point(s) it came from */
	size_t cap;      /* bytes allocated for each array */
} vigil_folded;

/* Frees the buffers of f (not f itself) and zeroes it. */
void vigil_folded_free(vigil_folded *f);

/* Folds n bytes of s (UTF-8; an invalid byte becomes U+FFFD) in view
 * CONSERVATIVE or AGGRESSIVE into out. n must be under the context's
 * VIGIL_LIMIT_MAX_BYTES and 4 GiB (VIGIL_ETOOBIG). opts may be NULL. The
 * folded span [a, b) of out comes from the original span
 * [out->ostart[a], out->oend[b - 1]). */
int vigil_fold(const vigil_folder *fo, vigil_ctx *ctx, int view,
	       const char *s, size_t n, const vigil_text_opts *opts,
	       vigil_folded *out);

/* ------------------------------------------------------------ hashtags */

typedef struct vigil_span {
	size_t start, end; /* bytes [start, end) of the original text */
} vigil_span;

/* Finds the hashtags of s by the twitter-text grammar: '#' or U+FF03, not
 * after '&' or a hashtag character, then letters, marks, digits, '_', ZWNJ
 * and ZWJ with at least one letter, not followed by U+FE0F or U+20E3.
 * Writes up to max spans of the whole tag (the '#' included) into out and
 * returns how many tags there are (which may exceed max). */
size_t vigil_hashtags(const char *s, size_t n, vigil_span *out, size_t max);

/* --------------------------------------------------------- keyword lists */

typedef enum vigil_term_mode {
	VIGIL_TERM_TOKEN = 0,     /* folded, whole tokens only (the default) */
	VIGIL_TERM_SUBSTRING = 1, /* folded, anywhere (>= VIGIL_SUBSTRING_MIN) */
	VIGIL_TERM_LITERAL = 2,   /* the bytes as written, anywhere, unfolded */
	VIGIL_TERM_REGEX = 3,     /* an operator's regular expression (Vectorscan
				     syntax, caseless, UTF-8) over the
				     conservative view; checked when added */
	VIGIL_TERM_RULE = 4,      /* a boolean rule over terms, written as
				     ThreatExchange's TREND_QUERY JSON
				     {"and":[{"or":[T,...]},...],"not":[T,...]}:
				     it matches a text in which every AND
				     group has a hit of one of its terms and
				     no NOT term has one. T is a token term,
				     or "regex-/RE/" a regex term. Its hit
				     carries the spans of the AND terms that
				     hit (vigil_text_hit.parts). */
	VIGIL__TERM_MODE_END
} vigil_term_mode;

const char *vigil_term_mode_name(int mode); /* "token", ...; never NULL */
int vigil_term_mode_parse(const char *name); /* -1 if unknown */

typedef struct vigil_term {
	const char *term;     /* as listed (owned by the list) */
	const char *category; /* "" if none */
	int severity;         /* 0..100 */
	int mode;             /* vigil_term_mode */
	uint64_t line;        /* line of the list file, 0 if added by call */
} vigil_term;

typedef struct vigil_termlist vigil_termlist;

int vigil_termlist_new(vigil_ctx *ctx, vigil_termlist **out);
void vigil_termlist_free(vigil_termlist *tl);

/* Adds one term (copied). category may be NULL. Returns VIGIL_EINVAL for an
 * empty or over-long term or category, a severity outside 0..100 or a bad
 * mode, VIGIL_ETOOBIG past VIGIL_TERMS_MAX. */
int vigil_termlist_add(vigil_termlist *tl, const char *term,
		       const char *category, int severity, int mode);

/* Called for each rejected line; a non-zero return stops the parse. */
typedef int (*vigil_term_bad_cb)(void *user, uint64_t line, const char *why);

/* Parses a term list: one term a line, or CSV `term,category,severity[,mode]`
 * (RFC 4180 quoting; a first line "term,..." is a header; lines starting
 * '#' are comments, so a hashtag term must be quoted). Adds the good lines;
 * a bad line goes to bad (may be NULL) and is skipped. *added (may be NULL)
 * counts terms added. Returns VIGIL_ECORRUPT if a callback stopped it. */
int vigil_termlist_parse(vigil_termlist *tl, const char *data, size_t len,
			 vigil_term_bad_cb bad, void *user, size_t *added);

size_t vigil_termlist_count(const vigil_termlist *tl);
/* Term i (0-based) into *out; VIGIL_ENOENT past the end. The strings stay
 * owned by the list (or by the matcher made from it). */
int vigil_termlist_get(const vigil_termlist *tl, size_t i, vigil_term *out);

typedef struct vigil_text_matcher vigil_text_matcher;

/* Compiles the list for matching. Every term is folded in both views with
 * fo (which must outlive the matcher). Terms that fold to nothing or are
 * too short for their mode are rejected with VIGIL_EINVAL naming the line.
 * The matcher copies what it needs: tl may be freed afterwards. *out is
 * owned by the caller (vigil_text_matcher_free). Runs on the engine
 * vigil_text_engine() picks. */
int vigil_text_matcher_new(vigil_ctx *ctx, const vigil_folder *fo,
			   const vigil_termlist *tl, vigil_text_matcher **out);
void vigil_text_matcher_free(vigil_text_matcher *m);
size_t vigil_text_matcher_count(const vigil_text_matcher *m);
int vigil_text_matcher_term(const vigil_text_matcher *m, size_t i,
			    vigil_term *out);

/* The literal engine a matcher runs on. Vectorscan needs SSE4.2; without
 * it (or with VIGIL_TEXT_ENGINE=portable in the environment) matchers are
 * built on a portable Aho-Corasick automaton that gives the same hits for
 * token, substring and literal terms, and runs regex terms with PCRE2
 * (the same hits; a pattern PCRE2 cannot compile is left out, counted by
 * vigil_text_matcher_engine). */
typedef enum vigil_text_engine_id {
	VIGIL_TEXT_ENGINE_VECTORSCAN = 0,
	VIGIL_TEXT_ENGINE_PORTABLE = 1
} vigil_text_engine_id;

/* The engine a matcher made now would use (CPU check, then the
 * VIGIL_TEXT_ENGINE variable: "portable" or "vectorscan"); -1 if
 * "vectorscan" is asked for on a CPU that cannot run it (matcher_new then
 * fails with VIGIL_EFORMAT). */
int vigil_text_engine(void);
const char *vigil_text_engine_name(int engine); /* "vectorscan", "portable" */
/* m's engine; *regex_unmatched (may be NULL) = its regex terms it leaves out. */
int vigil_text_matcher_engine(const vigil_text_matcher *m, size_t *regex_unmatched);

/* One hit of a listed term. */
typedef struct vigil_text_hit {
	uint32_t term;   /* index into the list */
	int view;        /* vigil_text_view in which it matched */
	int in_hashtag;  /* 1 if it matched inside a hashtag's body */
	size_t start;    /* the original bytes [start, end) */
	size_t end;
	/* A rule term's hit (VIGIL_TERM_RULE): the hits of its AND groups'
	 * terms, by start, at most VIGIL_RULE_SPANS_MAX (owned by the
	 * scanner, like the hit); [start, end) covers them. NULL and 0 for
	 * any other term. */
	const vigil_span *parts;
	size_t nparts;
} vigil_text_hit;

typedef struct vigil_text_scanner vigil_text_scanner;

int vigil_text_scanner_new(vigil_ctx *ctx, const vigil_text_matcher *m,
			   vigil_text_scanner **out);
void vigil_text_scanner_free(vigil_text_scanner *sc);

/* Matches one text. *hits points into the scanner (valid until its next
 * scan or free), ordered by start, then term; one hit per (term, span),
 * from the first view it matched in (raw, conservative, aggressive). A
 * token term also matches inside a hashtag body when it folds to at least
 * VIGIL_HASHTAG_MIN code points. At most 2^20 hits (before merging the
 * views) are kept: VIGIL_ETOOBIG past that, with those found returned. */
int vigil_text_scan(vigil_text_scanner *sc, vigil_ctx *ctx, const char *s,
		    size_t n, const vigil_text_opts *opts,
		    const vigil_text_hit **hits, size_t *nhits);

/* ------------------------------------------------ text banks in a store */

/* A bank of type text holds terms instead of hashes; it is an ordinary
 * bank otherwise (listed, enabled, deleted, given a policy like any bank).
 * A term's entry id (vigil_text_ref.term_id) is its own id among terms,
 * not an entry id of a hash. */

/* Creates a text bank (vigil_bank_create, then marks it). */
int vigil_text_bank_create(vigil_store *st, const char *name, const char *description,
			   const char *labels, vigil_bank *out);
/* *is = 1 if the bank with that id is a text bank. */
int vigil_text_bank_is(vigil_store *st, int64_t bank_id, int *is);
/* Imports a term list (vigil_termlist_parse's format) into a text bank in
 * one transaction. Bad lines go to bad (may be NULL) and are skipped; a
 * term the bank already has in that mode is counted in *dups (may be NULL)
 * and not added again. VIGIL_EINVAL if the bank is not a text bank. */
int vigil_text_bank_import(vigil_store *st, const char *bank, const char *data,
			   size_t len, vigil_term_bad_cb bad, void *user,
			   size_t *added, size_t *dups);

/* Deletes one term (its id: vigil_text_ref.term_id, the "entry" of a
 * hit) from a text bank. VIGIL_ENOENT if the bank has no such term,
 * VIGIL_EINVAL if the bank is not a text bank. A term an exchange fetched
 * comes back if the exchange sends its record again. */
int vigil_text_term_delete(vigil_store *st, const char *bank, int64_t term_id);

/* Where term i of a list loaded from a store came from. */
typedef struct vigil_text_ref {
	int64_t term_id;
	int64_t bank_id;
	char bank[VIGIL_NAME_MAX + 1];
} vigil_text_ref;

/* Appends to tl the terms of one text bank (bank != NULL) or of every
 * enabled text bank (NULL), in id order; (*refs)[k] describes term
 * (count before + k) of tl. *refs is the caller's: free(). */
int vigil_text_terms_load(vigil_store *st, const char *bank, vigil_termlist *tl,
			  vigil_text_ref **refs, size_t *n);

/* A signature of the enabled text banks' terms: it changes when a term is
 * added or removed or a text bank is enabled, disabled or deleted (a
 * long-running matcher rebuilds when it moves). */
int vigil_text_terms_sig(vigil_store *st, int64_t sig[3]);

/* ------------------------------------------------- grooming risk (stages) */

/* The stages of the hand-written lexicon (docs/text.md, "Grooming risk").
 * This is scoring machinery with a tiny lexicon, not a trained model: it
 * recognises the listed stage phrases (through every fold) and nothing
 * more. */
typedef enum vigil_groom_stage {
	VIGIL_STAGE_AGE = 0,      /* asking the child's age or school year */
	VIGIL_STAGE_LOCATION = 1, /* where they live, which school */
	VIGIL_STAGE_ALONE = 2,    /* whether they are alone */
	VIGIL_STAGE_SECRECY = 3,  /* keeping the contact secret */
	VIGIL_STAGE_PLATFORM = 4, /* moving to another app or a private chat */
	VIGIL_STAGE_GIFTS = 5,    /* gifts, money, in-game currency */
	VIGIL_STAGE_IMAGES = 6,   /* asking for pictures or the camera */
	VIGIL_STAGE_MEETING = 7,  /* meeting in person */
	VIGIL__STAGE_END
} vigil_groom_stage;

const char *vigil_groom_stage_name(int stage); /* "age", ...; never NULL */

typedef struct vigil_groom vigil_groom;

/* The scorer: the stage lexicon compiled with fo (which must outlive it).
 * Immutable; shared by threads. Each thread scans with its own
 * vigil_text_scanner made from vigil_groom_lexicon(g). */
int vigil_groom_new(vigil_ctx *ctx, const vigil_folder *fo, vigil_groom **out);
void vigil_groom_free(vigil_groom *g);
const vigil_text_matcher *vigil_groom_lexicon(const vigil_groom *g);

/* Alert policy. */
#define VIGIL_GROOM_THETA 0.5f /* conversation risk over which a message counts */
#define VIGIL_GROOM_K 2        /* consecutive such messages that raise an alert */

/* The running state of one author in one conversation: the aggregates the
 * conversation model reads (docs/text.md, "Per-pair state"). Caller-owned
 * plain data, zero-initialise for a new pair; persist it with
 * vigil_groom_state_pack (a fixed little-endian layout), not as raw bytes. */
typedef struct vigil_groom_state {
	uint32_t messages;     /* scored so far */
	uint32_t alerted_at;   /* 1-based message that raised the alert, 0 if none */
	float ema;             /* exponential moving average of message scores */
	float max;             /* highest message score */
	float sum;             /* sum of message scores (mean = sum / messages) */
	uint16_t stages;       /* bit s: stage s seen */
	uint16_t over;         /* consecutive messages with risk > theta */
	uint16_t first[VIGIL__STAGE_END]; /* message (1-based, capped) where stage s was first seen */
	uint16_t count[VIGIL__STAGE_END]; /* messages that showed stage s (capped at 65535) */
} vigil_groom_state;

/* Packed state: byte 0 the layout version (1), byte 1..3 zero, then
 * messages, alerted_at (u32), ema, max, sum (f32), stages, over (u16),
 * first[8], count[8] (u16), all little-endian: 60 bytes. */
#define VIGIL_GROOM_STATE_BYTES 60
void vigil_groom_state_pack(const vigil_groom_state *st, uint8_t out[VIGIL_GROOM_STATE_BYTES]);
/* VIGIL_EFORMAT if in is not n = 60 bytes of layout 1. */
int vigil_groom_state_unpack(const uint8_t *in, size_t n, vigil_groom_state *st);

/* The conversation model's inputs, computed from a state after each
 * message: 0..7 log(1 + messages showing stage s), 8 the highest message
 * score, 9 the mean message score, 10 log(1 + messages), 11 distinct
 * stages / 8, 12 the EMA of message scores (alpha 0.3: the recent level,
 * which lets the risk fall again after one high message), 13..16 1 if at
 * least 2, 3, 4, 5 distinct stages were seen (a linear model needs these
 * steps: two stages are everyday talk, five are a pattern). */
#define VIGIL_GROOM_NFEAT 17
void vigil_groom_features(const vigil_groom_state *st, float x[VIGIL_GROOM_NFEAT]);
/* "stage:age" .. "stage:meeting", "max_score", "mean_score", "messages",
 * "distinct_stages", "recent_score", "stages>=2" .. "stages>=5"; never
 * NULL. */
const char *vigil_groom_feature_name(int f);

typedef struct vigil_groom_result {
	float message;    /* this message's score, 0..1 */
	float risk;       /* the author's risk in the conversation after it, 0..1 */
	uint16_t stages;  /* stages this message showed */
	int alert;        /* 1 if this message raised the alert (once per pair) */
	uint32_t fired;   /* bit f: feature f (vigil_groom_feature_name) pushed the
			     risk up (conversation model: weight x value > 0;
			     otherwise the stages seen) */
} vigil_groom_result;

/* Per-pair state in a store (vigil serve persists it; docs/text.md): the
 * pair key is BLAKE2b-128 of conversation NUL author (vigil_groom_pair_key),
 * seen the pair's last message time in unix seconds. _load: VIGIL_ENOENT
 * when the store has no state for key. _save: insert or replace (inside
 * the caller's transaction if one is open). _evict: deletes pairs last
 * seen before `before`; *deleted (may be NULL) how many. */
#define VIGIL_GROOM_KEY_BYTES 16
void vigil_groom_pair_key(const char *conversation, const char *author,
			  uint8_t key[VIGIL_GROOM_KEY_BYTES]);
int vigil_groom_state_load(vigil_store *st, const uint8_t *key, vigil_groom_state *out,
			   int64_t *seen);
int vigil_groom_state_save(vigil_store *st, const uint8_t *key, int64_t seen,
			   const vigil_groom_state *s);
int vigil_groom_state_evict(vigil_store *st, int64_t before, int64_t *deleted);

/* ------------------------------------------- grooming risk (trained model) */

/* A per-message logistic-regression model over hashed features of the
 * conservative fold (character 3-5-grams, word 1-2-grams), trained with
 * vigil_groom_train on a platform's labelled messages. Immutable once
 * made; shared by threads. docs/text.md describes the file format. */
typedef struct vigil_groom_model vigil_groom_model;

typedef struct vigil_groom_train_opts {
	int dim_bits;  /* 2^dim_bits feature slots, 10..24 (18) */
	int epochs;    /* passes over the data, 1..1000 (20) */
	float rate;    /* SGD step, divided by sqrt(1 + epoch) (0.5) */
	float l2;      /* weight decay per update (1e-5) */
	uint64_t seed; /* the shuffle's; same data + options = same model (1) */
	float theta;   /* alert policy stored with the conversation model: */
	int k;         /* risk > theta for k messages in a row (0.5, 2) */
} vigil_groom_train_opts;

void vigil_groom_train_defaults(vigil_groom_train_opts *o);
/* Trains on n messages texts[i] (lens[i] bytes, UTF-8) labelled labels[i]
 * (1 = part of grooming, 0 = not). opts may be NULL (the defaults). *out
 * is the caller's (vigil_groom_model_free). Deterministic. */
int vigil_groom_train(vigil_ctx *ctx, const vigil_folder *fo, const char *const *texts,
		      const size_t *lens, const uint8_t *labels, size_t n,
		      const vigil_groom_train_opts *opts, vigil_groom_model **out);
/* The probability (0..1) that one message is part of grooming. */
int vigil_groom_model_predict(const vigil_groom_model *m, const vigil_folder *fo,
			      vigil_ctx *ctx, const char *text, size_t n, float *p);
/* Writes / reads the model file (versioned, SHA-256 checksummed): a
 * damaged file is VIGIL_ECORRUPT, another format or version
 * VIGIL_EFORMAT. */
int vigil_groom_model_save(const vigil_groom_model *m, vigil_ctx *ctx, const char *path);
int vigil_groom_model_load(vigil_ctx *ctx, const char *path, vigil_groom_model **out);
void vigil_groom_model_free(vigil_groom_model *m);

/* The second model (file version 2): logistic regression over
 * vigil_groom_features of the state after every message, trained on
 * samples x[i] (n of them, VIGIL_GROOM_NFEAT floats each) labelled y[i]
 * (the author's conversation-level label), with opts' epochs, rate, l2,
 * seed, theta and k. Attaches it to m (replacing one it had).
 * Deterministic. */
int vigil_groom_train_conv(vigil_ctx *ctx, vigil_groom_model *m, const float *x,
			   const uint8_t *y, size_t n, const vigil_groom_train_opts *opts);
/* 1 if m has a conversation model (file version 2 with one). */
int vigil_groom_model_has_conv(const vigil_groom_model *m);
/* m's alert policy (VIGIL_GROOM_THETA and _K without a conversation model). */
void vigil_groom_model_policy(const vigil_groom_model *m, float *theta, int *k);
/* Sets it (theta in (0, 1), k 1..1000; VIGIL_EINVAL without a conversation
 * model). */
int vigil_groom_model_set_policy(vigil_groom_model *m, float theta, int k);
/* The conversation model's risk for aggregates x (0 without one). */
float vigil_groom_model_risk(const vigil_groom_model *m, const float *x);

/* Makes g score messages with model m (borrowed: it must outlive g; NULL
 * goes back to the lexicon). With a model the message score is the
 * model's probability; the risk is the conversation model's probability
 * over the aggregates when m has one (alerting by m's theta and k), else
 * the EMA (alpha 0.3, from 0) of the message scores (a version 1 file).
 * The lexicon's stages are recorded either way. Not thread-safe: set it
 * before sharing g. */
void vigil_groom_set_model(vigil_groom *g, const vigil_groom_model *m);

/* Scores one message by the author whose state is st, updating st. sc must
 * come from vigil_groom_lexicon(g). */
int vigil_groom_score(const vigil_groom *g, vigil_text_scanner *sc,
		      vigil_ctx *ctx, vigil_groom_state *st, const char *text,
		      size_t n, const vigil_text_opts *opts,
		      vigil_groom_result *out);

#endif
