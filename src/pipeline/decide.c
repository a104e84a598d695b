/* decide.c — what the matches of one upload mean: per-bank filters,
 * suppression banks, flood quarantine, and the verdict's precedence.
 *
 * The flood tracker keeps, per entry that acted recently, the times of its
 * last flood_matches+1 acting matches in a ring: the entry floods when the
 * oldest of those is within flood_seconds of now, i.e. when it has matched
 * more than flood_matches times in the window. Exact, and bounded by the
 * policy's own limit per entry. */
#include "../store/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct fnode {
	int64_t entry;
	int quarantined;
	int cap;          /* ring size = flood_matches + 1 when last used */
	int head, count;
	int64_t last_ms;  /* for eviction */
	int64_t *ring;    /* times in ms */
	struct fnode *next;
} fnode;

#define NBUCKETS 4096

struct vigil_flood {
	pthread_mutex_t lock;
	fnode *bucket[NBUCKETS];
	size_t tracked;
};

static size_t slot(int64_t entry)
{
	uint64_t x = (uint64_t)entry * 0x9E3779B97F4A7C15ull;

	return (size_t)(x >> 52) % NBUCKETS;
}

int vigil_flood_new(vigil_flood **out)
{
	vigil_flood *f;

	if (!out)
		return VIGIL_EINVAL;
	*out = NULL;
	f = vigil__calloc(1, sizeof(*f));
	if (!f)
		return VIGIL_ENOMEM;
	if (pthread_mutex_init(&f->lock, NULL)) {
		vigil__free(f);
		return VIGIL_ENOMEM;
	}
	*out = f;
	return VIGIL_OK;
}

void vigil_flood_free(vigil_flood *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < NBUCKETS; i++) {
		fnode *n = f->bucket[i], *next;
		for (; n; n = next) {
			next = n->next;
			vigil__free(n->ring);
			vigil__free(n);
		}
	}
	pthread_mutex_destroy(&f->lock);
	vigil__free(f);
}

static fnode *lookup(vigil_flood *f, int64_t entry, int create)
{
	fnode **b = &f->bucket[slot(entry)], *n;

	for (n = *b; n; n = n->next)
		if (n->entry == entry)
			return n;
	if (!create)
		return NULL;
	n = vigil__calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->entry = entry;
	n->next = *b;
	*b = n;
	f->tracked++;
	return n;
}

/* Drops the least recently hit entry that is not quarantined (a linear
 * sweep, only when the table is full: rare, and bounded). */
static void evict_one(vigil_flood *f)
{
	fnode **best = NULL, **pp;
	size_t i;

	for (i = 0; i < NBUCKETS; i++)
		for (pp = &f->bucket[i]; *pp; pp = &(*pp)->next)
			if (!(*pp)->quarantined &&
			    (!best || (*pp)->last_ms < (*best)->last_ms))
				best = pp;
	if (best) {
		fnode *n = *best;
		*best = n->next;
		vigil__free(n->ring);
		vigil__free(n);
		f->tracked--;
	}
}

int vigil_flood_quarantine(vigil_flood *f, int64_t entry_id)
{
	fnode *n;
	int rc = VIGIL_OK;

	if (!f)
		return VIGIL_EINVAL;
	pthread_mutex_lock(&f->lock);
	n = lookup(f, entry_id, 1);
	if (n)
		n->quarantined = 1;
	else
		rc = VIGIL_ENOMEM;
	pthread_mutex_unlock(&f->lock);
	return rc;
}

void vigil_flood_release(vigil_flood *f, int64_t entry_id)
{
	fnode **pp;

	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	for (pp = &f->bucket[slot(entry_id)]; *pp; pp = &(*pp)->next)
		if ((*pp)->entry == entry_id) {
			fnode *n = *pp;
			*pp = n->next;
			vigil__free(n->ring);
			vigil__free(n);
			f->tracked--;
			break;
		}
	pthread_mutex_unlock(&f->lock);
}

int vigil_flood_is_quarantined(vigil_flood *f, int64_t entry_id)
{
	fnode *n;
	int q;

	if (!f)
		return 0;
	pthread_mutex_lock(&f->lock);
	n = lookup(f, entry_id, 0);
	q = n && n->quarantined;
	pthread_mutex_unlock(&f->lock);
	return q;
}

/* Counts one acting match of entry at now under a limit of more than
 * `limit` in `window_ms`. Returns 1 if this match floods the entry (it is
 * then quarantined), 0 if not, -1 if the entry was quarantined already,
 * -2 on out of memory. Called with the lock held. */
static int flood_hit(vigil_flood *f, int64_t entry, int limit, int64_t window_ms,
		     int64_t now)
{
	fnode *n = lookup(f, entry, 0);
	int cap = limit + 1, oldest;

	if (n && n->quarantined)
		return -1;
	if (!n) {
		if (f->tracked >= VIGIL_FLOOD_MAX_TRACKED)
			evict_one(f);
		n = lookup(f, entry, 1);
		if (!n)
			return -2;
	}
	if (n->cap != cap) {
		/* The limit changed (or first use): start counting afresh. */
		int64_t *r = vigil__realloc(n->ring, (size_t)cap * sizeof(*r));
		if (!r)
			return -2;
		n->ring = r;
		n->cap = cap;
		n->head = n->count = 0;
	}
	n->ring[n->head] = now;
	n->head = (n->head + 1) % cap;
	if (n->count < cap)
		n->count++;
	n->last_ms = now;
	if (n->count < cap)
		return 0;
	/* The ring is full: its oldest time is at head. */
	oldest = n->head;
	if (now - n->ring[oldest] <= window_ms) {
		n->quarantined = 1;
		return 1;
	}
	return 0;
}

static const vigil_bank_rule *rule_of(const vigil_bank_rule *rules, size_t n,
				      int64_t bank_id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rules[mid].bank_id < bank_id)
			lo = mid + 1;
		else if (rules[mid].bank_id > bank_id)
			hi = mid;
		else
			return &rules[mid];
	}
	return NULL;
}

static int is_perceptual(int type)
{
	return type == VIGIL_HASH_PDQ || type == VIGIL_HASH_VPDQ;
}

/* Whether a match passes its bank's filters. */
static int passes(const vigil_match *m, const vigil_bank_policy *p, int query_quality)
{
	if (!is_perceptual(m->type))
		return 1;
	if (m->distance > p->pdq_distance)
		return 0;
	if (!p->dihedral && m->variant > 0)
		return 0;
	if (query_quality >= 0 && query_quality < p->min_quality)
		return 0;
	return 1;
}

static int verdict_of(int action)
{
	switch (action) {
	case VIGIL_ACTION_BLOCK:
		return VIGIL_VERDICT_BLOCK;
	case VIGIL_ACTION_REVIEW:
	case VIGIL_ACTION_REPORT:
		return VIGIL_VERDICT_REVIEW;
	default:
		return VIGIL_VERDICT_ALLOW;
	}
}

/* Strength of an action for precedence: block > report > review > none
 * (report outranks review because it does more with the same verdict). */
static int strength(int action)
{
	static const int s[VIGIL__ACTION_END] = {0, 1, 2, 3};

	return action >= 0 && action < VIGIL__ACTION_END ? s[action] : 0;
}

int vigil_decide(const vigil_match *m, size_t n, int query_quality,
		 const vigil_bank_rule *rules, size_t nrules, vigil_flood *flood,
		 int64_t now_ms, int *disp, vigil_decision *out)
{
	const vigil_match *best = NULL;
	size_t i;
	int rc = VIGIL_OK;

	if ((n && (!m || !disp)) || (nrules && !rules) || !out)
		return VIGIL_EINVAL;
	memset(out, 0, sizeof(*out));
	out->verdict = VIGIL_VERDICT_ALLOW;
	/* Pass 1: filters, and whether a suppression bank matched. */
	for (i = 0; i < n; i++) {
		const vigil_bank_rule *r = rule_of(rules, nrules, m[i].bank_id);
		if (!r)
			disp[i] = VIGIL_DISP_UNKNOWN_BANK;
		else if (!passes(&m[i], &r->policy, query_quality))
			disp[i] = VIGIL_DISP_FILTERED;
		else if (r->policy.kind == VIGIL_KIND_SUPPRESSION) {
			disp[i] = VIGIL_DISP_SUPPRESSOR;
			out->suppressed = 1;
		} else
			disp[i] = VIGIL_DISP_ACTED; /* provisional */
	}
	/* Pass 2: suppression, then flood, then the verdict. */
	if (flood)
		pthread_mutex_lock(&flood->lock);
	for (i = 0; i < n; i++) {
		const vigil_bank_rule *r;
		if (disp[i] != VIGIL_DISP_ACTED)
			continue;
		if (out->suppressed) {
			disp[i] = VIGIL_DISP_SUPPRESSED;
			continue;
		}
		r = rule_of(rules, nrules, m[i].bank_id);
		if (r->policy.action == VIGIL_ACTION_NONE) {
			disp[i] = VIGIL_DISP_NO_ACTION;
			continue;
		}
		if (flood) {
			int h = 0;
			if (r->policy.flood_matches > 0)
				h = flood_hit(flood, m[i].entry_id, r->policy.flood_matches,
					      (int64_t)r->policy.flood_seconds * 1000, now_ms);
			else if (lookup(flood, m[i].entry_id, 0) &&
				 lookup(flood, m[i].entry_id, 0)->quarantined)
				h = -1;
			if (h == -2) {
				rc = VIGIL_ENOMEM;
				break;
			}
			if (h == -1) {
				disp[i] = VIGIL_DISP_QUARANTINED;
				continue;
			}
			if (h == 1) {
				disp[i] = VIGIL_DISP_FLOODED;
				out->flooded++;
				continue;
			}
		}
		out->acted++;
		if (r->policy.action == VIGIL_ACTION_REPORT)
			out->report = 1;
		if (r->policy.priority > out->priority)
			out->priority = r->policy.priority;
		if (!best) {
			best = &m[i];
			out->action = r->policy.action;
		} else {
			const vigil_bank_rule *br = rule_of(rules, nrules, best->bank_id);
			int s = strength(r->policy.action), bs = strength(br->policy.action);
			if (s > bs || (s == bs && (r->policy.priority > br->policy.priority ||
						   (r->policy.priority == br->policy.priority &&
						    m[i].distance < best->distance)))) {
				best = &m[i];
				out->action = r->policy.action;
			}
		}
	}
	if (flood)
		pthread_mutex_unlock(&flood->lock);
	if (rc)
		return rc;
	if (best) {
		out->bank_id = best->bank_id;
		out->verdict = verdict_of(out->action);
	}
	return VIGIL_OK;
}

static const char *const verdict_names[VIGIL__VERDICT_END] = {"allow", "review",
							       "block"};
static const char *const disp_names[VIGIL__DISP_END] = {
	"acted", "no_action", "filtered", "suppressed", "suppressor",
	"quarantined", "flooded", "unknown_bank"};

const char *vigil_verdict_name(int v)
{
	return v >= 0 && v < VIGIL__VERDICT_END ? verdict_names[v] : "unknown";
}

const char *vigil_disposition_name(int d)
{
	return d >= 0 && d < VIGIL__DISP_END ? disp_names[d] : "unknown";
}
