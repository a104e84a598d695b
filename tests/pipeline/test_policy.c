/* Per-bank policies: defaults, KEY=VALUE validation, JSON round trip and
 * refusal of bad JSON, storage through the store. */
#include "vigil.h"
#include "../test.h"

#include <unistd.h>

int main(void)
{
	vigil_ctx *ctx;
	vigil_store *st = NULL;
	vigil_bank_policy p, q;
	char path[] = "/tmp/vigil-test-policy-XXXXXX";
	char *json = NULL;
	int fd = mkstemp(path);

	close(fd);
	unlink(path);
	CHECK(vigil_ctx_new(&ctx) == 0);
	vigil_bank_policy_default(&p);
	CHECK(p.pdq_distance == 31 && p.min_quality == 50 && p.dihedral == 1);
	CHECK(p.action == VIGIL_ACTION_REVIEW && p.kind == VIGIL_KIND_NORMAL);
	CHECK(p.flood_matches == 0 && p.flood_seconds == 0 && !*p.webhook_url);

	/* KEY=VALUE: every key, and refusals that leave p unchanged. */
	CHECK(vigil_bank_policy_set(ctx, &p, "action", "block") == 0 &&
	      p.action == VIGIL_ACTION_BLOCK);
	CHECK(vigil_bank_policy_set(ctx, &p, "action", "delete") == VIGIL_EINVAL &&
	      p.action == VIGIL_ACTION_BLOCK);
	CHECK(vigil_bank_policy_set(ctx, &p, "pdq_distance", "20") == 0 &&
	      p.pdq_distance == 20);
	CHECK(vigil_bank_policy_set(ctx, &p, "pdq_distance", "257") == VIGIL_EINVAL);
	CHECK(vigil_bank_policy_set(ctx, &p, "pdq_distance", "12x") == VIGIL_EINVAL);
	CHECK(vigil_bank_policy_set(ctx, &p, "pdq_distance", "") == VIGIL_EINVAL);
	CHECK(p.pdq_distance == 20);
	CHECK(vigil_bank_policy_set(ctx, &p, "min_quality", "101") == VIGIL_EINVAL);
	CHECK(vigil_bank_policy_set(ctx, &p, "dihedral", "off") == 0 && p.dihedral == 0);
	CHECK(vigil_bank_policy_set(ctx, &p, "dihedral", "maybe") == VIGIL_EINVAL);
	CHECK(vigil_bank_policy_set(ctx, &p, "kind", "suppression") == 0 &&
	      p.kind == VIGIL_KIND_SUPPRESSION);
	CHECK(vigil_bank_policy_set(ctx, &p, "kind", "normal") == 0 &&
	      p.kind == VIGIL_KIND_NORMAL);
	CHECK(vigil_bank_policy_set(ctx, &p, "priority", "900") == 0 && p.priority == 900);
	CHECK(vigil_bank_policy_set(ctx, &p, "webhook_url", "ftp://x/") == VIGIL_EINVAL);
	CHECK(vigil_bank_policy_set(ctx, &p, "webhook_url", "http://a b/") == VIGIL_EINVAL);
	CHECK(vigil_bank_policy_set(ctx, &p, "webhook_url", "https://hooks.example/v") == 0);
	/* A literal secret is refused: only a reference is stored. */
	CHECK(vigil_bank_policy_set(ctx, &p, "webhook_secret", "hunter2") == VIGIL_EINVAL);
	CHECK(strstr(vigil_errmsg(ctx), "reference") != NULL);
	CHECK(vigil_bank_policy_set(ctx, &p, "webhook_secret", "env:HOOK_KEY") == 0);
	CHECK(vigil_bank_policy_set(ctx, &p, "flood", "10/60") == 0 &&
	      p.flood_matches == 10 && p.flood_seconds == 60);
	CHECK(vigil_bank_policy_set(ctx, &p, "flood", "10") == VIGIL_EINVAL);
	CHECK(vigil_bank_policy_set(ctx, &p, "flood_matches", "0") == 0 &&
	      p.flood_matches == 0 && p.flood_seconds == 0);
	CHECK(vigil_bank_policy_set(ctx, &p, "flood_seconds", "30") == VIGIL_EINVAL);
	CHECK(vigil_bank_policy_set(ctx, &p, "flood", "5/2") == 0);
	CHECK(vigil_bank_policy_set(ctx, &p, "nope", "1") == VIGIL_EINVAL);

	/* JSON round trip. */
	CHECK(vigil_bank_policy_to_json(&p, &json) == 0 && json);
	vigil_bank_policy_default(&q);
	CHECK(vigil_bank_policy_from_json(ctx, json, &q) == 0);
	CHECK(memcmp(&p, &q, sizeof(p)) == 0);
	CHECK(strstr(json, "\"action\":\"block\"") != NULL);
	free(json);
	/* Partial edits; refusals leave q as it was. */
	CHECK(vigil_bank_policy_from_json(ctx, "{\"action\":\"report\",\"dihedral\":true}",
					  &q) == 0);
	CHECK(q.action == VIGIL_ACTION_REPORT && q.dihedral == 1 && q.priority == 900);
	CHECK(vigil_bank_policy_from_json(ctx, "{\"priority\":\"high\"}", &q) == VIGIL_EINVAL);
	CHECK(vigil_bank_policy_from_json(ctx, "{\"priority\":5000}", &q) == VIGIL_EINVAL);
	CHECK(vigil_bank_policy_from_json(ctx, "{\"colour\":1}", &q) == VIGIL_EINVAL);
	CHECK(vigil_bank_policy_from_json(ctx, "[1]", &q) == VIGIL_EINVAL);
	CHECK(vigil_bank_policy_from_json(ctx, "{\"action\":\"block\"", &q) == VIGIL_EINVAL);
	CHECK(vigil_bank_policy_from_json(ctx, "{\"flood_matches\":3,\"flood_seconds\":0}",
					  &q) == VIGIL_EINVAL);
	CHECK(vigil_bank_policy_from_json(ctx, "{\"action\":\"block\",\"action\":\"none\"}",
					  &q) == VIGIL_EINVAL);
	CHECK(q.action == VIGIL_ACTION_REPORT && q.priority == 900);

	/* Stored: default until put, kept across a reopen, gone with the bank. */
	CHECK(vigil_store_open(ctx, path, &st) == 0);
	CHECK(vigil_bank_create(st, "known", NULL, NULL, NULL) == 0);
	CHECK(vigil_bank_create(st, "fp", NULL, NULL, NULL) == 0);
	CHECK(vigil_bank_policy_get(st, "known", &q) == 0 && q.action == VIGIL_ACTION_REVIEW);
	CHECK(vigil_bank_policy_put(st, "known", &p) == 0);
	CHECK(vigil_bank_policy_put(st, "nope", &p) == VIGIL_ENOENT);
	vigil_store_close(st);
	CHECK(vigil_store_open(ctx, path, &st) == 0);
	vigil_bank_policy_default(&q);
	CHECK(vigil_bank_policy_get(st, "known", &q) == 0 && memcmp(&p, &q, sizeof(p)) == 0);
	{
		vigil_bank_rule *r = NULL;
		size_t n = 0;
		CHECK(vigil_bank_rules_load(st, &r, &n) == 0 && n == 2);
		CHECK(n == 2 && r[0].bank_id < r[1].bank_id);
		CHECK(n == 2 && !strcmp(r[0].bank, "known") &&
		      r[0].policy.action == VIGIL_ACTION_BLOCK &&
		      r[1].policy.action == VIGIL_ACTION_REVIEW);
		free(r);
	}
	CHECK(vigil_bank_delete(st, "known") == 0);
	CHECK(vigil_bank_create(st, "known", NULL, NULL, NULL) == 0);
	CHECK(vigil_bank_policy_get(st, "known", &q) == 0 && q.action == VIGIL_ACTION_REVIEW);
	vigil_store_close(st);
	unlink(path);
	vigil_ctx_free(ctx);
	return test_done("pipeline/policy");
}
