/* test_f2_two.c — F2 with its two servers in two processes: the custodian
 * (party 0) and the platform (party 1) are forked children, each building
 * its own bucket tables from the same invented bank and seed, talking to
 * each other over a socket for every AND layer; the client (this process)
 * sends each its query message over its own socket. Shows: neither
 * message holds the query hash (nor any 8 bytes of it); below the
 * threshold k = 3 neither server has the threshold bit and the platform
 * has opened no evidence; a re-sent image does not count; at the third
 * distinct match both servers open the bit and exactly the matched images'
 * evidence opens at the platform (never at the custodian, never a
 * non-member's); another account's 2 matches stay closed; after the
 * threshold a new match opens at once and a non-member still never. */
#include <sodium.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/core/core.h"
#include "../../src/pm/pm_int.h"
#include "vigil.h"
#include "../test.h"

#define NBANK 500
#define STASH 8
#define K 3

static uint8_t bank[NBANK][32];

/* A child: one party. Requests: 'I' | 'Q' query | 'S' account, as vigil
 * pm-server reads them (the client is the public one); EOF ends it. Status
 * reply: "over images opened" then each opened evidence, one message each. */
static int party_main(int party, int client, int peer, const uint8_t seed[32])
{
	vigil__pm_f2_tables t;
	vigil__pm_f2_party *p = NULL;
	if (vigil__pm_f2_build(&t, (const uint8_t(*)[32])bank, NBANK, STASH, 64, seed) ||
	    vigil__pm_f2_party_new(&p, party, peer, &t, K, 31))
		return 1;
	for (;;) {
		uint8_t *m;
		size_t n;
		if (vigil__pm_f2_recv(client, &m, &n))
			break; /* the client closed */
		int rc = 0;
		if (n < 1) {
			vigil__free(m);
			return 1;
		} else if (m[0] == 'I') {
			char line[64];
			int l = snprintf(line, sizeof line, "%u %d %d %d", t.B, STASH, K, 31);
			vigil__pm_f2_send(client, (uint8_t *)line, (size_t)l);
		} else if (m[0] == 'Q') {
			rc = vigil__pm_f2_party_query(p, m + 1, n - 1);
			uint8_t ack = (uint8_t)rc;
			vigil__pm_f2_send(client, &ack, 1);
		} else if (m[0] == 'S') {
			char acc[65] = {0}, line[64];
			int over;
			size_t ni, no;
			memcpy(acc, m + 1, n - 1 < 64 ? n - 1 : 64);
			vigil__pm_f2_party_status(p, acc, &over, &ni, &no);
			snprintf(line, sizeof line, "%d %zu %zu", over, ni, no);
			vigil__pm_f2_send(client, (uint8_t *)line, strlen(line));
			for (size_t i = 0; i < no; i++) {
				const uint8_t *ev;
				size_t el;
				vigil__pm_f2_party_evidence(p, acc, i, &ev, &el);
				vigil__pm_f2_send(client, ev, el);
			}
		} else {
			vigil__free(m);
			return 1;
		}
		vigil__free(m);
		if (rc)
			fprintf(stderr, "party %d: query failed %d\n", party, rc);
	}
	uint64_t bytes, rounds;
	vigil__pm_xchg_stats(&bytes, &rounds);
	printf("party %d: B = %u, stash %d: sent %llu bytes to the other party in %llu rounds\n",
	       party, t.B, STASH, (unsigned long long)bytes, (unsigned long long)rounds);
	fflush(stdout);
	vigil__pm_f2_party_free(p);
	vigil__pm_f2_free(&t);
	return 0;
}

static vigil_pm_f2_client *cli;

static int near(uint8_t x[32], int src, int d)
{
	memcpy(x, bank[src], 32);
	for (int f = 0; f < d;) {
		unsigned b = randombytes_uniform(256);
		if ((x[b >> 3] ^ bank[src][b >> 3]) & (1u << (b & 7)))
			continue;
		x[b >> 3] ^= (uint8_t)(1u << (b & 7));
		f++;
	}
	return 0;
}

static int leaks;

/* One image: both messages out (checked for the hash first), both acks back. */
static int query(const char *account, const char *id, const uint8_t x[32], const char *ev)
{
	uint8_t *msg[2];
	size_t len[2];
	const vigil_pm_f2_params *par = vigil_pm_f2_client_params(cli);
	if (vigil_pm_f2_query_make(par, x, account, (const uint8_t *)id, strlen(id),
				   (const uint8_t *)ev, strlen(ev), msg, len))
		return -1;
	static int shown;
	if (!shown++)
		printf("query messages: %zu bytes to the custodian, %zu to the platform (%zu triples "
		       "each)\n", len[0], len[1], vigil__pm_f2_ntriples(par->B, par->S));
	for (int p = 0; p < 2; p++) {
		leaks += memmem(msg[p], len[p], x, 32) != NULL;
		for (int j = 0; j + 8 <= 32; j += 4)
			leaks += memmem(msg[p], len[p], x + j, 8) != NULL;
	}
	int rc = vigil_pm_f2_client_send(cli, msg, len, NULL);
	free(msg[0]);
	free(msg[1]);
	return rc ? -1 : 0;
}

typedef struct evlist {
	char items[16][64];
	size_t n;
} evlist;

static int collect(void *user, const uint8_t *ev, size_t len)
{
	evlist *l = user;
	if (l->n < 16) {
		memset(l->items[l->n], 0, 64);
		memcpy(l->items[l->n++], ev, len < 63 ? len : 63);
	}
	return 0;
}

/* Status of an account at party p; the opened evidence, sorted, joined
 * by ',' into evs. */
static void status(int p, const char *account, int *over, size_t *ni, size_t *no, char *evs,
		   size_t cap)
{
	evlist l = {.n = 0};
	*over = -1;
	*ni = *no = 0;
	evs[0] = 0;
	if (vigil_pm_f2_client_status(cli, p, account, over, ni, no, collect, &l))
		return;
	qsort(l.items, l.n, 64, (int (*)(const void *, const void *))strcmp);
	for (size_t i = 0; i < l.n; i++) {
		if (i)
			strncat(evs, ",", cap - strlen(evs) - 1);
		strncat(evs, l.items[i], cap - strlen(evs) - 1);
	}
}

int main(void)
{
	CHECK(vigil_pm_enable(VIGIL_PM_ACK) == 0);
	randombytes_buf(bank, sizeof bank);
	uint8_t seed[32];
	randombytes_buf(seed, 32);
	int peer[2], c0[2], c1[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, peer) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, c0) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, c1) == 0);
	fflush(NULL);
	pid_t pid[2];
	for (int p = 0; p < 2; p++) {
		pid[p] = fork();
		if (pid[p] == 0) {
			int mine = p ? c1[1] : c0[1];
			close(p ? c0[1] : c1[1]);
			close(c0[0]);
			close(c1[0]);
			close(peer[p ^ 1]);
			_exit(party_main(p, mine, peer[p], seed));
		}
	}
	close(peer[0]);
	close(peer[1]);
	close(c0[1]);
	close(c1[1]);
	CHECK(vigil_pm_f2_client_attach(&cli, c0[0], c1[0], 20000) == 0);
	if (!cli)
		return test_done("pm/f2_two");

	uint8_t x[32];
	int over;
	size_t ni, no;
	char evs[1024];
	/* alice: 2 matches (d 4 and 12), 3 non-members, match 1 again. */
	near(x, 10, 4);
	CHECK(query("alice", "a-m1", x, "ev-a-m1") == 0);
	CHECK(query("alice", "a-m1", x, "ev-a-m1") == 0); /* re-sent */
	near(x, 20, 12);
	CHECK(query("alice", "a-m2", x, "ev-a-m2") == 0);
	for (int i = 0; i < 3; i++) {
		char id[16], ev[16];
		snprintf(id, sizeof id, "a-n%d", i);
		snprintf(ev, sizeof ev, "ev-a-n%d", i);
		randombytes_buf(x, 32);
		CHECK(query("alice", id, x, ev) == 0);
	}
	for (int p = 0; p < 2; p++) {
		status(p, "alice", &over, &ni, &no, evs, sizeof evs);
		CHECKF(over == 0 && ni == 5 && no == 0,
		       "party %d below k: over %d images %zu opened %zu", p, over, ni, no);
	}
	/* bob: 2 matches, his own account. */
	near(x, 30, 0);
	CHECK(query("bob", "b-m1", x, "ev-b-m1") == 0);
	near(x, 31, 8);
	CHECK(query("bob", "b-m2", x, "ev-b-m2") == 0);
	/* alice's third distinct match (d 15: guaranteed recall). */
	near(x, 40, 15);
	CHECK(query("alice", "a-m3", x, "ev-a-m3") == 0);
	status(1, "alice", &over, &ni, &no, evs, sizeof evs);
	CHECKF(over == 1 && no == 3 && !strcmp(evs, "ev-a-m1,ev-a-m2,ev-a-m3"),
	       "platform at k: over %d opened %zu [%s]", over, no, evs);
	status(0, "alice", &over, &ni, &no, evs, sizeof evs);
	CHECKF(over == 1 && no == 0, "custodian at k: over %d, opened %zu (must be 0)", over, no);
	status(1, "bob", &over, &ni, &no, evs, sizeof evs);
	CHECKF(over == 0 && no == 0, "bob: over %d opened %zu", over, no);
	/* After the threshold: a new match opens at once, a non-member never. */
	randombytes_buf(x, 32);
	CHECK(query("alice", "a-n9", x, "ev-a-n9") == 0);
	near(x, 50, 2);
	CHECK(query("alice", "a-m4", x, "ev-a-m4") == 0);
	status(1, "alice", &over, &ni, &no, evs, sizeof evs);
	CHECKF(no == 4 && !strcmp(evs, "ev-a-m1,ev-a-m2,ev-a-m3,ev-a-m4"), "after k: [%s]", evs);
	CHECKF(leaks == 0, "%d query messages hold the query hash in the clear", leaks);

	vigil_pm_f2_client_close(cli); /* the parties read EOF and stop */
	for (int p = 0; p < 2; p++) {
		int st = 0;
		waitpid(pid[p], &st, 0);
		CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "party %d exit %d", p, st);
	}
	return test_done("pm/f2_two");
}
