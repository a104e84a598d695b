/* text_int.h — private pieces of src/text shared between its files. */
#ifndef VIGIL_TEXT_INT_H
#define VIGIL_TEXT_INT_H

#include "../core/core.h"

/* The fold tables cover U+0000..U+2FFFF; above that only the tag and
 * variation-selector block U+E0000..U+E0FFF is dropped. */
#define VIGIL__FOLD_CP_END 0x30000u
#define VIGIL__FOLD_ID 0u            /* the code point stays as written */
#define VIGIL__FOLD_DROP 0xFFFFFFFFu /* the code point vanishes */
#define VIGIL__FOLD_LEN_BITS 6       /* else: pool offset << 6 | length */
#define VIGIL__FOLD_MAXOUT 63        /* bytes one code point may fold to */

struct vigil_folder {
	uint32_t *map[2]; /* per view, per code point: ID, DROP or pool ref */
	char *pool;       /* the folded forms, UTF-8, back to back */
	size_t pool_len, pool_cap;
	int simd;         /* use the SSE2 kernels (set at start-up; tests clear it) */
};

/* Builds fo's tables from ICU (fold_table.c). */
int vigil__fold_build(vigil_ctx *ctx, struct vigil_folder *fo);

/* The reference fold (fold_ref.c): same contract and output as vigil_fold,
 * byte at a time; tests and bench_text check fold.c against it. */
int vigil__fold_ref(const vigil_folder *fo, vigil_ctx *ctx, int view, const char *s,
		    size_t n, const vigil_text_opts *opts, vigil_folded *out);

/* Decodes one UTF-8 code point of s[i..n): returns its length (1..4) and
 * sets *cp, or returns 1 with *cp = 0xFFFFFFFF for an invalid byte. */
size_t vigil__utf8_next(const unsigned char *s, size_t n, size_t i, uint32_t *cp);

/* Whether cp counts as part of a word: letters and digits (ICU). */
int vigil__is_word(uint32_t cp);

/* Why an operator regex cannot be used (Vectorscan's compile error, in a
 * per-thread buffer), or NULL if it compiles as the matcher will compile
 * it (match.c). */
const char *vigil__regex_why(const char *pattern);

/* The folded view (0 conservative, 1 aggressive) of the scanner's last
 * text, or NULL if that scan did not fold it (match.c). */
const vigil_folded *vigil__scanner_view(const vigil_text_scanner *sc, int view);

/* A model's probability for an already folded (conservative) text. */
int vigil__groom_model_prob(const vigil_groom_model *m, const char *folded, size_t n,
			    float *p);
/* The conversation model of m over x (VIGIL_GROOM_NFEAT): 1 with *risk,
 * *fired (bit f: w_f x_f > 0) and m's alert policy if m has one, else 0. */
int vigil__groom_model_conv(const vigil_groom_model *m, const float *x, float *risk,
			    uint32_t *fired, float *theta, int *k);

/* The portable literal matcher (ac.c): Aho–Corasick over n byte patterns
 * (pats[k], lens[k] > 0 bytes, reported as ids[k]). It reports what
 * Vectorscan's literal mode does: every occurrence, overlapping ones too,
 * as (id, end offset). VIGIL_ENOMEM, VIGIL_ETOOBIG, VIGIL_EINVAL (an empty
 * pattern); no message is set (the caller names the matcher). */
typedef struct vigil__ac vigil__ac;
typedef int (*vigil__ac_cb)(unsigned id, unsigned long long to, void *user); /* non-zero: stop */
int vigil__ac_build(const char *const *pats, const size_t *lens, const unsigned *ids,
		    unsigned n, vigil__ac **out);
/* 1 if cb stopped the scan, else 0. */
int vigil__ac_scan(const vigil__ac *a, const char *s, size_t n, vigil__ac_cb cb, void *user);
void vigil__ac_free(vigil__ac *a);

/* Why a term of that mode cannot go into a matcher (it folds to nothing,
 * or a substring term to under VIGIL_SUBSTRING_MIN code points), or NULL:
 * the check vigil_text_matcher_new makes, for imports (match.c). */
const char *vigil__term_fold_why(const vigil_folder *fo, vigil_ctx *ctx, const char *term,
				 int mode);

/* Rule terms (rule.c). One term inside a rule: its text (owned), mode
 * (token or regex) and AND group (0..VIGIL_RULE_GROUPS_MAX-1; -1: NOT). */
typedef struct vigil__rule_part {
	char *term;
	int mode;
	int group;
} vigil__rule_part;
/* Parses a rule term's JSON: NULL with *parts (the caller's:
 * vigil__rule_parts_free), *n and *ngroups, or why it is refused. */
const char *vigil__rule_parse(const char *text, vigil__rule_part **parts, size_t *n,
			      int *ngroups);
void vigil__rule_parts_free(vigil__rule_part *p, size_t n);
/* Why a rule term cannot be used, or NULL (a per-thread buffer). */
const char *vigil__rule_why(const char *text);

/* qsort order of vigil_text_hit: by start, then term (match.c). */
int vigil__hit_by_start(const void *a, const void *b);

/* A matcher's rules: the hidden terms of its rules have ids base.. */
typedef struct vigil__rules {
	uint32_t base;        /* the listed terms' count */
	uint32_t nrules, nparts;
	uint32_t *rule_term;  /* per rule: its listed term */
	uint32_t *rule_need;  /* per rule: one bit per AND group */
	uint32_t *part_rule;  /* per hidden term (id - base): its rule */
	int8_t *part_group;   /* per hidden term: AND group, -1 NOT */
} vigil__rules;
/* Builds r from tl's rule terms; *parts (nparts: hidden term id - base)
 * are the caller's (vigil__rule_parts_free). */
int vigil__rules_build(vigil_ctx *ctx, const vigil_termlist *tl, vigil__rules *r,
		       vigil__rule_part **parts, size_t *nparts);
void vigil__rules_free(vigil__rules *r);
/* One scanner's room for evaluating them. */
typedef struct vigil__rules_scratch {
	uint32_t *got;     /* per rule: groups hit, bit 31 a NOT term */
	uint32_t *touched; /* rules with a hidden hit in this scan */
	vigil_span *spans; /* of the rule hits */
	size_t nspans, cap;
} vigil__rules_scratch;
int vigil__rules_scratch_new(const vigil__rules *r, vigil__rules_scratch *x);
void vigil__rules_scratch_free(vigil__rules_scratch *x);
/* Replaces the hidden terms' hits among h[0..*nh) (sorted by start) by
 * one hit per rule that holds, sorted again. VIGIL_ENOMEM. */
int vigil__rules_eval(const vigil__rules *r, vigil__rules_scratch *x, vigil_text_hit *h,
		      size_t *nh);

/* Regex terms on the portable engine (rx_pcre.c): PCRE2 behind a literal
 * prefilter, reporting what Vectorscan's SOM_LEFTMOST mode reports. n
 * regexes rx[k] (term ids[k]); *unusable counts those PCRE2 cannot
 * compile (left out). VIGIL_ENOMEM. */
typedef struct vigil__px vigil__px;
typedef struct vigil__px_scratch vigil__px_scratch;
typedef int (*vigil__px_cb)(unsigned id, unsigned long long from, unsigned long long to,
			    unsigned flags, void *user); /* non-zero: stop */
int vigil__px_build(const char *const *rx, const unsigned *ids, unsigned n, vigil__px **out,
		    size_t *unusable);
void vigil__px_free(vigil__px *x);
int vigil__px_scratch_new(const vigil__px *x, vigil__px_scratch **out);
void vigil__px_scratch_free(vigil__px_scratch *s);
/* Every regex over n bytes of s (a conservative view). VIGIL_ENOMEM. */
int vigil__px_scan(const vigil__px *x, vigil__px_scratch *sc, const char *s, size_t n,
		   vigil__px_cb cb, void *user);
/* Regex scans of one message that the budget or a PCRE2 limit cut short. */
size_t vigil__px_dropped(const vigil__px_scratch *s);

/* Appends a copy of t (already validated), keeping its line number. */
int vigil__termlist_copy(vigil_termlist *tl, const vigil_term *t);

#endif
