/* The decision: each rule on its own (filters, suppression, flood
 * quarantine, precedence, priority), with matches made by hand. */
#include "vigil.h"
#include "../test.h"

long vigil__fault_after(long n); /* src/core/alloc.c */

static vigil_match mk(int64_t bank, int64_t entry, int type, int distance, int variant)
{
	vigil_match m;

	memset(&m, 0, sizeof(m));
	m.bank_id = bank;
	m.entry_id = entry;
	m.type = type;
	m.distance = distance;
	m.variant = variant;
	snprintf(m.bank, sizeof(m.bank), "b%lld", (long long)bank);
	return m;
}

static void rule(vigil_bank_rule *r, int64_t id, int action)
{
	memset(r, 0, sizeof(*r));
	r->bank_id = id;
	snprintf(r->bank, sizeof(r->bank), "b%lld", (long long)id);
	vigil_bank_policy_default(&r->policy);
	r->policy.action = action;
}

int main(void)
{
	vigil_bank_rule R[5];
	vigil_match m[6];
	int d[6];
	vigil_decision out;
	vigil_flood *fl = NULL;
	int i;

	rule(&R[0], 1, VIGIL_ACTION_BLOCK);
	rule(&R[1], 2, VIGIL_ACTION_REVIEW);
	rule(&R[2], 3, VIGIL_ACTION_REPORT);
	rule(&R[3], 4, VIGIL_ACTION_NONE);
	rule(&R[4], 5, VIGIL_ACTION_BLOCK);
	R[4].policy.kind = VIGIL_KIND_SUPPRESSION;

	/* Nothing matched: allow. */
	CHECK(vigil_decide(NULL, 0, 90, R, 5, NULL, 0, NULL, &out) == 0);
	CHECK(out.verdict == VIGIL_VERDICT_ALLOW && out.bank_id == 0 && out.acted == 0);

	/* Precedence: block > review; block wins whatever the order. */
	m[0] = mk(2, 20, VIGIL_HASH_PDQ, 3, 0);
	m[1] = mk(1, 10, VIGIL_HASH_PDQ, 10, 0);
	CHECK(vigil_decide(m, 2, 90, R, 5, NULL, 0, d, &out) == 0);
	CHECK(out.verdict == VIGIL_VERDICT_BLOCK && out.action == VIGIL_ACTION_BLOCK);
	CHECK(out.bank_id == 1 && out.acted == 2 && d[0] == VIGIL_DISP_ACTED &&
	      d[1] == VIGIL_DISP_ACTED);
	/* Review alone: review; report: review with a report. */
	CHECK(vigil_decide(m, 1, 90, R, 5, NULL, 0, d, &out) == 0);
	CHECK(out.verdict == VIGIL_VERDICT_REVIEW && out.report == 0 && out.bank_id == 2);
	m[1] = mk(3, 30, VIGIL_HASH_PDQ, 12, 0);
	CHECK(vigil_decide(m, 2, 90, R, 5, NULL, 0, d, &out) == 0);
	CHECK(out.verdict == VIGIL_VERDICT_REVIEW && out.report == 1 &&
	      out.action == VIGIL_ACTION_REPORT && out.bank_id == 3);
	/* Action none: reported, never changes the verdict. */
	m[0] = mk(4, 40, VIGIL_HASH_PDQ, 0, 0);
	CHECK(vigil_decide(m, 1, 90, R, 5, NULL, 0, d, &out) == 0);
	CHECK(out.verdict == VIGIL_VERDICT_ALLOW && d[0] == VIGIL_DISP_NO_ACTION);
	/* A bank with no rule (deleted since the match). */
	m[0] = mk(9, 90, VIGIL_HASH_PDQ, 0, 0);
	CHECK(vigil_decide(m, 1, 90, R, 5, NULL, 0, d, &out) == 0);
	CHECK(out.verdict == VIGIL_VERDICT_ALLOW && d[0] == VIGIL_DISP_UNKNOWN_BANK);

	/* Per-bank distance: 31 by default; 20 when set. */
	m[0] = mk(1, 10, VIGIL_HASH_PDQ, 31, 0);
	CHECK(vigil_decide(m, 1, 90, R, 5, NULL, 0, d, &out) == 0 &&
	      out.verdict == VIGIL_VERDICT_BLOCK);
	m[0].distance = 32;
	CHECK(vigil_decide(m, 1, 90, R, 5, NULL, 0, d, &out) == 0 &&
	      out.verdict == VIGIL_VERDICT_ALLOW && d[0] == VIGIL_DISP_FILTERED);
	R[0].policy.pdq_distance = 20;
	m[0].distance = 21;
	CHECK(vigil_decide(m, 1, 90, R, 5, NULL, 0, d, &out) == 0 &&
	      d[0] == VIGIL_DISP_FILTERED);
	m[0].distance = 20;
	CHECK(vigil_decide(m, 1, 90, R, 5, NULL, 0, d, &out) == 0 && d[0] == VIGIL_DISP_ACTED);
	/* Digests ignore distance and dihedral. */
	m[0] = mk(1, 11, VIGIL_HASH_MD5, 0, -1);
	R[0].policy.dihedral = 0;
	CHECK(vigil_decide(m, 1, -1, R, 5, NULL, 0, d, &out) == 0 &&
	      out.verdict == VIGIL_VERDICT_BLOCK);
	/* Dihedral off: a rotated copy does not act, the original does. */
	m[0] = mk(1, 10, VIGIL_HASH_PDQ, 2, VIGIL_DIH_ROTATE90);
	CHECK(vigil_decide(m, 1, 90, R, 5, NULL, 0, d, &out) == 0 &&
	      d[0] == VIGIL_DISP_FILTERED && out.verdict == VIGIL_VERDICT_ALLOW);
	m[0].variant = VIGIL_DIH_ORIGINAL;
	CHECK(vigil_decide(m, 1, 90, R, 5, NULL, 0, d, &out) == 0 && d[0] == VIGIL_DISP_ACTED);
	R[0].policy.dihedral = 1;
	m[0].variant = VIGIL_DIH_FLIPX;
	CHECK(vigil_decide(m, 1, 90, R, 5, NULL, 0, d, &out) == 0 && d[0] == VIGIL_DISP_ACTED);
	/* Minimum quality of the query. */
	R[0].policy.min_quality = 60;
	CHECK(vigil_decide(m, 1, 59, R, 5, NULL, 0, d, &out) == 0 &&
	      d[0] == VIGIL_DISP_FILTERED);
	CHECK(vigil_decide(m, 1, 60, R, 5, NULL, 0, d, &out) == 0 && d[0] == VIGIL_DISP_ACTED);
	R[0].policy.min_quality = 50;
	R[0].policy.pdq_distance = 31;

	/* Suppression: a query that matches a suppression bank is not acted
	 * on, whatever else it matched. */
	m[0] = mk(1, 10, VIGIL_HASH_PDQ, 4, 0);
	m[1] = mk(5, 50, VIGIL_HASH_PDQ, 9, 0);
	m[2] = mk(2, 20, VIGIL_HASH_PDQ, 1, 0);
	CHECK(vigil_decide(m, 3, 90, R, 5, NULL, 0, d, &out) == 0);
	CHECK(out.verdict == VIGIL_VERDICT_ALLOW && out.suppressed == 1 && out.acted == 0);
	CHECK(d[0] == VIGIL_DISP_SUPPRESSED && d[1] == VIGIL_DISP_SUPPRESSOR &&
	      d[2] == VIGIL_DISP_SUPPRESSED);
	/* ... but a suppression match beyond its own distance does not. */
	R[4].policy.pdq_distance = 8;
	CHECK(vigil_decide(m, 3, 90, R, 5, NULL, 0, d, &out) == 0);
	CHECK(out.verdict == VIGIL_VERDICT_BLOCK && d[1] == VIGIL_DISP_FILTERED);
	R[4].policy.pdq_distance = 31;

	/* Priority: the highest acting one; ties of action go to priority. */
	R[1].policy.priority = 70;
	R[2].policy.priority = 10;
	m[0] = mk(2, 20, VIGIL_HASH_PDQ, 5, 0);
	m[1] = mk(3, 30, VIGIL_HASH_PDQ, 5, 0);
	CHECK(vigil_decide(m, 2, 90, R, 5, NULL, 0, d, &out) == 0);
	CHECK(out.priority == 70 && out.bank_id == 3 && out.report == 1);
	R[2].policy.action = VIGIL_ACTION_REVIEW;
	CHECK(vigil_decide(m, 2, 90, R, 5, NULL, 0, d, &out) == 0);
	CHECK(out.bank_id == 2 && out.report == 0);
	R[2].policy.action = VIGIL_ACTION_REPORT;

	/* Flood: more than 3 matches of one entry in 10 s quarantines it. */
	CHECK(vigil_flood_new(&fl) == 0);
	R[0].policy.flood_matches = 3;
	R[0].policy.flood_seconds = 10;
	m[0] = mk(1, 10, VIGIL_HASH_PDQ, 0, 0);
	m[1] = mk(1, 11, VIGIL_HASH_PDQ, 0, 0);
	for (i = 0; i < 3; i++) {
		CHECK(vigil_decide(m, 1, 90, R, 5, fl, 1000 + i * 1000, d, &out) == 0);
		CHECK(d[0] == VIGIL_DISP_ACTED && out.verdict == VIGIL_VERDICT_BLOCK);
	}
	/* Spread out: the 4th match 11 s after the first is not a flood. */
	CHECK(vigil_decide(m, 1, 90, R, 5, fl, 12000, d, &out) == 0 && d[0] == VIGIL_DISP_ACTED);
	CHECK(!vigil_flood_is_quarantined(fl, 10));
	/* 12001: the window (2001..12001] holds 3000, 12000 and this one:
	 * 3, not more than 3. */
	CHECK(vigil_decide(m, 1, 90, R, 5, fl, 12001, d, &out) == 0 && d[0] == VIGIL_DISP_ACTED);
	/* 12500: 3000, 12000, 12001 and this one: 4 in 10 s, a flood. */
	CHECK(vigil_decide(m, 2, 90, R, 5, fl, 12500, d, &out) == 0);
	CHECK(d[0] == VIGIL_DISP_FLOODED && out.flooded == 1 && d[1] == VIGIL_DISP_ACTED);
	CHECK(out.verdict == VIGIL_VERDICT_BLOCK && out.acted == 1);
	CHECK(vigil_flood_is_quarantined(fl, 10) && !vigil_flood_is_quarantined(fl, 11));
	/* Quarantined: it no longer acts, even much later. */
	CHECK(vigil_decide(m, 1, 90, R, 5, fl, 999999, d, &out) == 0);
	CHECK(d[0] == VIGIL_DISP_QUARANTINED && out.verdict == VIGIL_VERDICT_ALLOW);
	/* Even in a bank without a flood limit now. */
	R[0].policy.flood_matches = R[0].policy.flood_seconds = 0;
	CHECK(vigil_decide(m, 1, 90, R, 5, fl, 999999, d, &out) == 0 &&
	      d[0] == VIGIL_DISP_QUARANTINED);
	/* Released: acts again; loaded from the store: quarantined again. */
	vigil_flood_release(fl, 10);
	CHECK(vigil_decide(m, 1, 90, R, 5, fl, 999999, d, &out) == 0 && d[0] == VIGIL_DISP_ACTED);
	CHECK(vigil_flood_quarantine(fl, 10) == 0);
	CHECK(vigil_decide(m, 1, 90, R, 5, fl, 999999, d, &out) == 0 &&
	      d[0] == VIGIL_DISP_QUARANTINED);
	/* Suppressed and filtered matches do not count towards a flood. */
	R[1].policy.flood_matches = 1;
	R[1].policy.flood_seconds = 100;
	m[0] = mk(2, 21, VIGIL_HASH_PDQ, 0, 0);
	m[1] = mk(5, 50, VIGIL_HASH_PDQ, 0, 0);
	for (i = 0; i < 5; i++)
		CHECK(vigil_decide(m, 2, 90, R, 5, fl, 5000 + i, d, &out) == 0 &&
		      d[0] == VIGIL_DISP_SUPPRESSED);
	CHECK(vigil_decide(m, 1, 90, R, 5, fl, 6000, d, &out) == 0 && d[0] == VIGIL_DISP_ACTED);
	CHECK(vigil_decide(m, 1, 90, R, 5, fl, 6001, d, &out) == 0 && d[0] == VIGIL_DISP_FLOODED);
	vigil_flood_free(fl);
	vigil_flood_free(NULL);

	/* Out of memory at every allocation of the tracker: ENOMEM, never a
	 * crash or a leak, and the decisions that succeed are the same. */
	{
		long n, fails = 0;
		R[0].policy.flood_matches = 2;
		R[0].policy.flood_seconds = 10;
		m[0] = mk(1, 77, VIGIL_HASH_PDQ, 0, 0);
		for (n = 0; n < 20; n++) {
			vigil_flood *f2 = NULL;
			int rc = 0, k;
			vigil__fault_after(n);
			if (vigil_flood_new(&f2) == 0) {
				for (k = 0; k < 3 && !rc; k++)
					rc = vigil_decide(m, 1, 90, R, 5, f2, 1000 + k, d, &out);
				if (rc)
					fails++;
				CHECK(rc == 0 || rc == VIGIL_ENOMEM);
				if (!rc)
					CHECK(d[0] == VIGIL_DISP_FLOODED);
			}
			vigil__fault_after(-1);
			vigil_flood_free(f2);
		}
		CHECK(fails > 0);
	}
	CHECK(vigil_decide(m, 1, 90, R, 5, NULL, 0, NULL, &out) == VIGIL_EINVAL);
	CHECK(strcmp(vigil_verdict_name(VIGIL_VERDICT_BLOCK), "block") == 0);
	CHECK(strcmp(vigil_disposition_name(VIGIL_DISP_FLOODED), "flooded") == 0);
	return test_done("pipeline/decide");
}
