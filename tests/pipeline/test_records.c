/* Cases, the outbox and quarantine in the store; one transaction holds
 * them together; webhook signatures against an independent HMAC. */
#include "vigil.h"
#include "../test.h"

#include <openssl/hmac.h>
#include <unistd.h>

int main(void)
{
	vigil_ctx *ctx;
	vigil_store *st = NULL;
	char path[] = "/tmp/vigil-test-records-XXXXXX";
	char eid[VIGIL_EVENT_ID_LEN + 1], eid2[VIGIL_EVENT_ID_LEN + 1];
	vigil_case c;
	vigil_case_new cn;
	vigil_event *ev = NULL;
	size_t n = 0;
	int64_t id1 = 0, id2 = 0, id3 = 0, counts[3];
	int joined = -1;
	int fd = mkstemp(path);

	close(fd);
	unlink(path);
	CHECK(vigil_ctx_new(&ctx) == 0);
	CHECK(vigil_store_open(ctx, path, &st) == 0);

	/* A case, then a second upload of the same hash by the same user
	 * joins it; another user's opens a new one. */
	memset(&cn, 0, sizeof(cn));
	cn.source = "match";
	cn.join_key = "pdq:ab";
	cn.priority = 50;
	cn.content_id = "c1";
	cn.user_id = "u1";
	cn.context = "{\"content_id\":\"c1\",\"ip\":\"192.0.2.1\"}";
	cn.matches = "[{\"bank\":\"b\",\"entry\":1}]";
	CHECK(vigil_case_open(st, &cn, &id1, &joined) == 0 && id1 > 0 && joined == 0);
	cn.content_id = "c2";
	cn.priority = 80;
	cn.report = 1;
	cn.context = "{\"content_id\":\"c2\"}";
	CHECK(vigil_case_open(st, &cn, &id2, &joined) == 0 && id2 == id1 && joined == 1);
	cn.user_id = "u2";
	CHECK(vigil_case_open(st, &cn, &id3, &joined) == 0 && id3 != id1 && joined == 0);
	CHECK(vigil_case_get(st, id1, &c) == 0);
	CHECK(c.uploads == 2 && c.priority == 80 && c.report == 1 &&
	      c.state == VIGIL_CASE_OPEN && !strcmp(c.content_id, "c1") &&
	      !strcmp(c.user_id, "u1") && !strcmp(c.source, "match") && !*c.assignee &&
	      c.claim_expires == 0);
	CHECK(c.contexts && strstr(c.contexts, "\"c1\"") && strstr(c.contexts, "\"c2\""));
	CHECK(c.matches && c.matches[0] == '[');
	vigil_case_clear(&c);
	/* No join key: never joins. Bad JSON and oversized ids refused. */
	cn.join_key = NULL;
	cn.user_id = "u1";
	CHECK(vigil_case_open(st, &cn, &id2, &joined) == 0 && id2 != id1 && !joined);
	cn.context = "{\"a\":";
	CHECK(vigil_case_open(st, &cn, &id2, &joined) == VIGIL_EINVAL);
	cn.context = "[1]";
	CHECK(vigil_case_open(st, &cn, &id2, &joined) == VIGIL_EINVAL);
	cn.context = NULL;
	{
		char big[VIGIL_ID_MAX + 2];
		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		cn.user_id = big;
		CHECK(vigil_case_open(st, &cn, &id2, &joined) == VIGIL_ETOOBIG);
		cn.user_id = "u1";
	}
	CHECK(vigil_case_get(st, 999999, &c) == VIGIL_ENOENT);

	/* Outbox: added pending and due at once, body wraps the data. */
	CHECK(vigil_outbox_add(st, "verdict", "http://127.0.0.1:1/hook", "",
			       "{\"verdict\":\"block\"}", eid) == 0);
	CHECK(strlen(eid) == 36 && eid[14] == '4' && eid[8] == '-');
	CHECK(vigil_outbox_add(st, "case.created", "http://127.0.0.1:1/hook", "env:X",
			       "{\"case\":1}", eid2) == 0);
	CHECK(strcmp(eid, eid2) != 0);
	CHECK(vigil_outbox_add(st, "verdict", "http://x/", "", "{bad", NULL) == VIGIL_EINVAL);
	CHECK(vigil_outbox_add(st, "", "http://x/", "", "{}", NULL) == VIGIL_EINVAL);
	CHECK(vigil_outbox_due(st, (int64_t)4102444800000LL, 10, &ev, &n) == 0 && n == 2);
	CHECK(n == 2 && !strcmp(ev[0].event_id, eid) && ev[0].state == VIGIL_OUTBOX_PENDING);
	CHECK(n == 2 && strstr(ev[0].body, eid) && strstr(ev[0].body, "\"type\":\"verdict\"") &&
	      strstr(ev[0].body, "\"data\":{\"verdict\":\"block\"}"));
	CHECK(n == 2 && !strcmp(ev[1].secret_ref, "env:X"));
	vigil_events_free(ev, n);
	CHECK(vigil_outbox_due(st, 0, 10, &ev, &n) == 0 && n == 0);
	vigil_events_free(ev, n);
	CHECK(vigil_outbox_counts(st, counts) == 0 && counts[0] == 2 && counts[1] == 0);

	/* One transaction: a rolled-back decision leaves no case, no event,
	 * no quarantine; a committed one leaves all three. */
	{
		vigil_quarantine q;
		vigil_quarantine *ql = NULL;
		size_t nq = 0;
		memset(&q, 0, sizeof(q));
		q.entry_id = 42;
		q.bank_id = 1;
		snprintf(q.reason, sizeof(q.reason), "4 matches in 10 s");
		CHECK(vigil_store_begin(st) == 0);
		CHECK(vigil_store_begin(st) == VIGIL_ESTORE);
		cn.join_key = "pdq:cd";
		CHECK(vigil_case_open(st, &cn, &id2, &joined) == 0);
		CHECK(vigil_outbox_add(st, "entry.quarantined", "http://h/", "", "{}", NULL) == 0);
		CHECK(vigil_quarantine_add(st, &q) == 0);
		CHECK(vigil_store_rollback(st) == 0);
		CHECK(vigil_case_get(st, id2, &c) == VIGIL_ENOENT);
		CHECK(vigil_outbox_counts(st, counts) == 0 && counts[0] == 2);
		CHECK(vigil_quarantine_list(st, &ql, &nq) == 0 && nq == 0);
		free(ql);
		CHECK(vigil_store_begin(st) == 0);
		CHECK(vigil_case_open(st, &cn, &id2, &joined) == 0);
		CHECK(vigil_outbox_add(st, "entry.quarantined", "http://h/", "", "{}", NULL) == 0);
		CHECK(vigil_quarantine_add(st, &q) == 0);
		CHECK(vigil_quarantine_add(st, &q) == 0); /* again: no-op */
		CHECK(vigil_store_commit(st) == 0);
		CHECK(vigil_store_commit(st) == VIGIL_ESTORE);
		vigil_store_close(st);
		CHECK(vigil_store_open(ctx, path, &st) == 0);
		CHECK(vigil_case_get(st, id2, &c) == 0);
		vigil_case_clear(&c);
		CHECK(vigil_outbox_counts(st, counts) == 0 && counts[0] == 3);
		CHECK(vigil_quarantine_list(st, &ql, &nq) == 0 && nq == 1);
		CHECK(nq == 1 && ql[0].entry_id == 42 && !strcmp(ql[0].reason, "4 matches in 10 s"));
		free(ql);
		CHECK(vigil_quarantine_remove(st, 42) == 0);
		CHECK(vigil_quarantine_remove(st, 42) == VIGIL_ENOENT);
	}

	/* Signatures: t=T,v1=HEX(HMAC-SHA256(secret, "T.body")), checked
	 * against OpenSSL's HMAC computed here. */
	{
		const char *body = "{\"id\":\"x\"}";
		char sig[128], msg[64], hex[65], want[128];
		unsigned char mac[32];
		unsigned int ml = 0;
		CHECK(vigil_webhook_sign("k3y", 3, 1700000000, body, strlen(body), sig,
					 sizeof(sig)) == 0);
		snprintf(msg, sizeof(msg), "1700000000.%s", body);
		HMAC(EVP_sha256(), "k3y", 3, (const unsigned char *)msg, strlen(msg), mac, &ml);
		vigil_hex(mac, 32, hex);
		snprintf(want, sizeof(want), "t=1700000000,v1=%s", hex);
		CHECK(!strcmp(sig, want));
		CHECK(vigil_webhook_sign("k3y", 3, 1700000000, body, strlen(body), sig, 10) ==
		      VIGIL_EINVAL);
	}
	vigil_store_close(st);
	unlink(path);
	vigil_ctx_free(ctx);
	return test_done("pipeline/records");
}
