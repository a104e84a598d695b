/* pm_f2_client.c — a device for F2 against two `vigil pm-server`
 * processes over TCP (tests/pm/test_pm_server.sh).
 *   pm_f2_client gen HASHES SEED N   writes an invented list of N random
 *                                    PDQ hashes and a seed (hex)
 *   pm_f2_client run CUSTODIAN PLATFORM HASHES [DB MASTER-KEY]
 *                                    the scenario below; with the platform's
 *                                    review store (--db) and its key, also
 *                                    what that store holds at each step
 *   pm_f2_client oversize ADDR       a frame over the limit is refused,
 *                                    the server keeps serving
 *   pm_f2_client persist CUSTODIAN PLATFORM HASHES 1|2
 *                                    the two halves of a restart test: 1
 *                                    sends carol k-1 matches (nothing
 *                                    opens); 2, after the servers were
 *                                    killed and restarted from --state,
 *                                    re-sends one (not counted) and the
 *                                    k-th: exactly her k open
 * Queries, parameters and status go through the public F2 client
 * (vigil_pm_f2_client_*, include/vigil/pm.h); only the oversized frame is
 * written by hand.
 * Scenario (k from the servers): alice sends k-1 matches (near-duplicates
 * at d 4..15 of list entries), one re-sent, and 3 random non-members:
 * neither server has the threshold bit, the platform opened nothing; bob
 * sends k-1 matches; alice's k-th distinct match opens exactly her k
 * matched images' evidence at the platform, none at the custodian, none of
 * bob's; afterwards a non-member never opens and a new match opens at once. */
#include <netdb.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "vigil.h"

#include "../test.h"

#define MAXBANK 4096

static uint8_t bank[MAXBANK][32];
static size_t nbank;

static int wr(int fd, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int rdn(int fd, void *b, size_t n)
{
	for (uint8_t *p = b; n;) {
		ssize_t r = read(fd, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int dial(const char *spec)
{
	char host[256];
	const char *c = strrchr(spec, ':');
	if (!c || (size_t)(c - spec) >= sizeof host)
		return -1;
	memcpy(host, spec, (size_t)(c - spec));
	host[c - spec] = 0;
	struct addrinfo hints = {0}, *ai;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, c + 1, &hints, &ai))
		return -1;
	int fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static vigil_pm_f2_client *cli;
static unsigned gB, gS, gK, gT;
static int leaks;

static void near(uint8_t x[32], size_t src, int d)
{
	memcpy(x, bank[src], 32);
	for (int f = 0; f < d;) {
		unsigned b = randombytes_uniform(256);
		if ((x[b >> 3] ^ bank[src][b >> 3]) & (1u << (b & 7)))
			continue;
		x[b >> 3] ^= (uint8_t)(1u << (b & 7));
		f++;
	}
}

/* A random hash at distance > 64 from every list entry. */
static void nonmember(uint8_t x[32])
{
	for (;;) {
		randombytes_buf(x, 32);
		int far = 1;
		for (size_t i = 0; i < nbank && far; i++) {
			int d = 0;
			for (int j = 0; j < 32; j++)
				d += __builtin_popcount(x[j] ^ bank[i][j]);
			far = d > 64;
		}
		if (far)
			return;
	}
}

static double qsec;
static int nq;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int query(const char *account, const char *id, const uint8_t x[32], const char *ev)
{
	double t0 = now();
	uint8_t *msg[2];
	size_t len[2];
	int rc = vigil_pm_f2_query_make(vigil_pm_f2_client_params(cli), x, account,
					(const uint8_t *)id, strlen(id), (const uint8_t *)ev,
					strlen(ev), msg, len);
	if (rc)
		return -1;
	for (int p = 0; p < 2; p++) {
		leaks += memmem(msg[p], len[p], x, 32) != NULL;
		for (int j = 0; j + 8 <= 32; j += 4)
			leaks += memmem(msg[p], len[p], x + j, 8) != NULL;
	}
	rc = vigil_pm_f2_client_send(cli, msg, len, NULL);
	free(msg[0]);
	free(msg[1]);
	qsec += now() - t0;
	nq++;
	return rc ? -1 : 0;
}

typedef struct evlist {
	char items[32][64];
	size_t n;
} evlist;

static int collect(void *user, const uint8_t *ev, size_t len)
{
	evlist *l = user;
	if (l->n < 32) {
		memset(l->items[l->n], 0, 64);
		memcpy(l->items[l->n++], ev, len < 63 ? len : 63);
	}
	return 0;
}

/* Status at party p; opened evidence sorted and joined by ','. */
static void status(int p, const char *account, int *over, size_t *no, char *evs, size_t cap)
{
	evlist l = {.n = 0};
	size_t ni;
	*over = -1;
	*no = 0;
	evs[0] = 0;
	if (vigil_pm_f2_client_status(cli, p, account, over, &ni, no, collect, &l))
		return;
	qsort(l.items, l.n, 64, (int (*)(const void *, const void *))strcmp);
	for (size_t i = 0; i < l.n; i++) {
		if (i)
			strncat(evs, ",", cap - strlen(evs) - 1);
		strncat(evs, l.items[i], cap - strlen(evs) - 1);
	}
}

/* The platform's review store (run with DB MASTER-KEY), read as a
 * reviewer's server would: how many cases with source "pm" it holds in
 * all, how many of them are account's, and (ncase == 1) that case's
 * items unsealed, sorted and joined by ','. -1 if the store cannot be
 * read. */
static const char *gdb, *gmk;

static int store_view(const char *account, int *npm, int *ncase, char *items, size_t cap)
{
	vigil_ctx *c = NULL;
	vigil_store *st = NULL;
	vigil_case *cs = NULL;
	size_t n = 0;
	uint8_t key[VIGIL_MASTER_KEY_BYTES];
	int rc = -1;
	evlist l = {.n = 0};

	*npm = *ncase = 0;
	items[0] = 0;
	if (vigil_ctx_new(&c) || vigil_master_key_load(c, gmk, key) ||
	    vigil_store_open(c, gdb, &st) || vigil_store_set_seal_key(st, key) ||
	    vigil_case_list(st, -1, time(NULL), 10000, &cs, &n))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(cs[i].source, "pm"))
			continue;
		(*npm)++;
		if (strcmp(cs[i].user_id, account))
			continue;
		(*ncase)++;
		int nm = 0;
		if (vigil_case_media_count(st, cs[i].id, &nm))
			goto out;
		for (int j = 1; j <= nm; j++) {
			vigil_case_media m;
			uint8_t *pt = NULL;
			size_t pl = 0;
			if (vigil_case_media_get(st, cs[i].id, j, &m))
				goto out;
			int bad = vigil_unseal(c, key, m.sealed, m.sealed_len, &pt, &pl);
			free(m.sealed);
			if (bad)
				goto out;
			collect(&l, pt, pl);
			free(pt);
		}
	}
	qsort(l.items, l.n, 64, (int (*)(const void *, const void *))strcmp);
	for (size_t i = 0; i < l.n; i++) {
		if (i)
			strncat(items, ",", cap - strlen(items) - 1);
		strncat(items, l.items[i], cap - strlen(items) - 1);
	}
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "store_view: %s\n", c ? vigil_errmsg(c) : "out of memory");
	vigil_cases_free(cs, n);
	vigil_store_close(st);
	vigil_ctx_free(c);
	sodium_memzero(key, sizeof key);
	return rc;
}

static int load_bank(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	if (!f)
		return -1;
	while (nbank < MAXBANK && fgets(line, sizeof line, f)) {
		size_t got = 0;
		if (!sodium_hex2bin(bank[nbank], 32, line, 64, NULL, &got, NULL) && got == 32)
			nbank++;
	}
	fclose(f);
	return nbank ? 0 : -1;
}

static int gen(const char *hp, const char *sp, long n)
{
	FILE *h = fopen(hp, "w"), *s = fopen(sp, "w");
	char hex[65];
	uint8_t b[32];
	if (!h || !s)
		return 1;
	fprintf(h, "# invented list: random PDQ hashes\n");
	for (long i = 0; i < n; i++) {
		randombytes_buf(b, 32);
		fprintf(h, "%s\n", sodium_bin2hex(hex, sizeof hex, b, 32));
	}
	randombytes_buf(b, 32);
	fprintf(s, "%s\n", sodium_bin2hex(hex, sizeof hex, b, 32));
	return fclose(h) | fclose(s) ? 1 : 0;
}

/* A server that still answers: its parameter line ('I'). */
static int info(int fd)
{
	uint8_t h[5] = {1, 0, 0, 0, 'I'}, r[4];
	char line[64] = {0};
	if (wr(fd, h, 5) || rdn(fd, r, 4))
		return -1;
	size_t n = (size_t)r[0] | (size_t)r[1] << 8 | (size_t)r[2] << 16 | (size_t)r[3] << 24;
	if (n > 63 || rdn(fd, line, n))
		return -1;
	unsigned b, s, k, t;
	return sscanf(line, "%u %u %u %u", &b, &s, &k, &t) == 4 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (vigil_pm_enable(VIGIL_PM_ACK))
		return 1;
	if (argc == 5 && !strcmp(argv[1], "gen"))
		return gen(argv[2], argv[3], atol(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "oversize")) {
		int fd = dial(argv[2]);
		CHECK(fd >= 0);
		uint8_t h[5] = {0xff, 0xff, 0xff, 0x0f, 'Q'}; /* 256 MB announced; closed (or reset: 'Q' unread) */
		CHECK(wr(fd, h, 5) == 0);
		uint8_t b;
		CHECKF(read(fd, &b, 1) <= 0, "the server did not close an oversized frame's connection");
		close(fd);
		fd = dial(argv[2]);
		CHECKF(fd >= 0 && info(fd) == 0, "the server stopped serving after an oversized frame");
		if (fd >= 0)
			close(fd);
		return test_done("pm/server oversize");
	}
	if (argc == 6 && !strcmp(argv[1], "persist")) {
		CHECK(load_bank(argv[4]) == 0 && nbank >= 200);
		CHECK(vigil_pm_f2_client_open(&cli, argv[2], argv[3], 20000) == 0);
		if (!cli)
			return test_done("pm/server persist");
		gK = vigil_pm_f2_client_params(cli)->k;
		uint8_t x[32];
		char id[32], ev[32], evs[2048], want[2048] = "";
		int over;
		size_t no;
		for (unsigned i = 0; i < gK; i++) {
			snprintf(ev, sizeof ev, "ev-c-%u", i);
			strncat(want, want[0] ? "," : "", sizeof want - strlen(want) - 1);
			strncat(want, ev, sizeof want - strlen(want) - 1);
		}
		if (!strcmp(argv[5], "1")) {
			for (unsigned i = 0; i + 1 < gK; i++) {
				near(x, 100 + i, 7);
				snprintf(id, sizeof id, "c-%u", i);
				snprintf(ev, sizeof ev, "ev-c-%u", i);
				CHECK(query("carol", id, x, ev) == 0);
			}
			for (int p = 0; p < 2; p++) {
				status(p, "carol", &over, &no, evs, sizeof evs);
				CHECKF(over == 0 && no == 0, "party %d below k: over %d opened %zu", p, over,
				       no);
			}
		} else {
			near(x, 100, 9); /* image c-0 again: the restored state knows it */
			CHECK(query("carol", "c-0", x, "ev-c-0") == 0);
			status(1, "carol", &over, &no, evs, sizeof evs);
			CHECKF(over == 0 && no == 0, "after the restart, a re-sent image opened: over %d "
			       "opened %zu", over, no);
			near(x, 100 + gK, 3);
			snprintf(id, sizeof id, "c-%u", gK - 1);
			snprintf(ev, sizeof ev, "ev-c-%u", gK - 1);
			CHECK(query("carol", id, x, ev) == 0);
			status(1, "carol", &over, &no, evs, sizeof evs);
			CHECKF(over == 1 && no == gK && !strcmp(evs, want),
			       "after the restart, the k-th match: over %d opened %zu [%s], want [%s]",
			       over, no, evs, want);
			status(0, "carol", &over, &no, evs, sizeof evs);
			CHECKF(over == 1 && no == 0, "custodian: over %d opened %zu (must be 0)", over, no);
		}
		vigil_pm_f2_client_close(cli);
		return test_done("pm/server persist");
	}
	if ((argc != 5 && argc != 7) || strcmp(argv[1], "run")) {
		fprintf(stderr, "usage: pm_f2_client gen|run|oversize|persist ...\n");
		return 2;
	}
	CHECK(load_bank(argv[4]) == 0 && nbank >= 64);
	CHECK(vigil_pm_f2_client_open(&cli, argv[2], argv[3], 20000) == 0);
	if (!cli)
		return test_done("pm/server");
	if (argc == 7)
		gdb = argv[5], gmk = argv[6];
	int npm, ncase;
	char items[2048];
	const vigil_pm_f2_params *par = vigil_pm_f2_client_params(cli);
	gB = par->B, gS = par->S, gK = par->k, gT = par->T;
	CHECKF(gK >= 2 && gK <= 8 && gT >= 15, "parameters: %u %u %u %u", gB, gS, gK, gT);
	printf("servers: B = %u, stash %u, k = %u, T = %u\n", gB, gS, gK, gT);
	if (test_failures)
		return test_done("pm/server");

	uint8_t x[32];
	int over;
	size_t no;
	char evs[2048], want[2048] = "", id[32], ev[32];
	const int dist[4] = {4, 12, 15, 8};
	/* alice: k-1 distinct matches, the first re-sent, 3 non-members. */
	for (unsigned i = 0; i + 1 < gK; i++) {
		near(x, 10 + i, dist[i % 4]);
		snprintf(id, sizeof id, "a-m%u", i);
		snprintf(ev, sizeof ev, "ev-a-m%u", i);
		CHECK(query("alice", id, x, ev) == 0);
		if (i == 0)
			CHECK(query("alice", id, x, ev) == 0); /* re-sent: not counted */
		strncat(want, want[0] ? "," : "", sizeof want - strlen(want) - 1);
		strncat(want, ev, sizeof want - strlen(want) - 1);
	}
	for (int i = 0; i < 3; i++) {
		snprintf(id, sizeof id, "a-n%d", i);
		snprintf(ev, sizeof ev, "ev-a-n%d", i);
		nonmember(x);
		CHECK(query("alice", id, x, ev) == 0);
	}
	{ /* a bad DPF key at the custodian only: both refuse, and stay in step */
		uint8_t *msg[2];
		size_t len[2];
		int acks[2] = {0, 0};
		nonmember(x);
		CHECK(vigil_pm_f2_query_make(par, x, "alice", (const uint8_t *)"a-sw", 4,
					     (const uint8_t *)"ev-sw", 5, msg, len) == 0);
		msg[0][102 + 16] = 2; /* the first key's root control bit: not 0 or 1 */
		int rc = vigil_pm_f2_client_send(cli, msg, len, acks);
		free(msg[0]);
		free(msg[1]);
		int refused = (acks[0] > 0) + (acks[1] > 0);
		CHECKF(rc > 0 && refused == 2, "a bad key at one server: %d of 2 servers refused",
		       refused);
		if (refused != 2) /* the servers are out of step: nothing after this means anything */
			return test_done("pm/server");
	}
	{ /* an account no case could carry (a space, via a hand-edited message): both refuse */
		uint8_t *msg[2];
		size_t len[2];
		int acks[2] = {0, 0};
		nonmember(x);
		CHECK(vigil_pm_f2_query_make(par, x, "alice", (const uint8_t *)"a-acc", 5,
					     (const uint8_t *)"ev-acc", 6, msg, len) == 0);
		uint8_t *m2[2];
		size_t l2[2];
		CHECK(vigil_pm_f2_query_make(par, x, "al ice", (const uint8_t *)"a-acc", 5,
					     (const uint8_t *)"ev-acc", 6, m2, l2) != 0);
		msg[0][6 + 2] = msg[1][6 + 2] = ' '; /* "al ce" at both */
		int rc = vigil_pm_f2_client_send(cli, msg, len, acks);
		free(msg[0]);
		free(msg[1]);
		CHECKF(rc > 0 && acks[0] > 0 && acks[1] > 0,
		       "an account with a space: custodian %d platform %d (both must refuse)", acks[0],
		       acks[1]);
	}
	for (int p = 0; p < 2; p++) {
		status(p, "alice", &over, &no, evs, sizeof evs);
		CHECKF(over == 0 && no == 0, "party %d below k: over %d opened %zu [%s]", p, over, no,
		       evs);
	}
	/* bob: k-1 matches on his own account. */
	for (unsigned i = 0; i + 1 < gK; i++) {
		near(x, 30 + i, 2);
		snprintf(id, sizeof id, "b-m%u", i);
		snprintf(ev, sizeof ev, "ev-b-m%u", i);
		CHECK(query("bob", id, x, ev) == 0);
	}
	if (gdb) { /* below k for both accounts: no case, so no evidence, in the store */
		CHECK(store_view("alice", &npm, &ncase, items, sizeof items) == 0);
		CHECKF(npm == 0, "below k: the platform's store holds %d pm case(s)", npm);
	}
	/* alice's k-th distinct match (d 15: within guaranteed recall). */
	near(x, 50, 15);
	snprintf(ev, sizeof ev, "ev-a-m%u", gK - 1);
	CHECK(query("alice", "a-mk", x, ev) == 0);
	strncat(want, ",", sizeof want - strlen(want) - 1);
	strncat(want, ev, sizeof want - strlen(want) - 1);
	status(1, "alice", &over, &no, evs, sizeof evs);
	CHECKF(over == 1 && no == gK && !strcmp(evs, want),
	       "platform at k: over %d opened %zu [%s], want [%s]", over, no, evs, want);
	status(0, "alice", &over, &no, evs, sizeof evs);
	CHECKF(over == 1 && no == 0, "custodian at k: over %d opened %zu (must be 0)", over, no);
	status(1, "bob", &over, &no, evs, sizeof evs);
	CHECKF(over == 0 && no == 0, "bob below k: over %d opened %zu [%s]", over, no, evs);
	if (gdb) { /* at k: one case, alice's, holding exactly her k matched images */
		CHECK(store_view("alice", &npm, &ncase, items, sizeof items) == 0);
		CHECKF(npm == 1 && ncase == 1 && !strcmp(items, want),
		       "at k: %d pm case(s), %d of alice's, items [%s], want [%s]", npm, ncase, items,
		       want);
		CHECK(store_view("bob", &npm, &ncase, items, sizeof items) == 0);
		CHECKF(ncase == 0, "bob below k has %d case(s)", ncase);
	}
	/* After k: a non-member never opens, a new match at once. */
	nonmember(x);
	CHECK(query("alice", "a-n9", x, "ev-a-n9") == 0);
	near(x, 60, 6);
	CHECK(query("alice", "a-late", x, "ev-a-late") == 0);
	char want2[2100];
	snprintf(want2, sizeof want2, "ev-a-late,%s", want); /* sorted: 'l' < 'm' */
	status(1, "alice", &over, &no, evs, sizeof evs);
	CHECKF(no == gK + 1 && !strcmp(evs, want2) && !strstr(evs, "ev-a-n"),
	       "after k: [%s], want [%s]", evs, want2);
	if (gdb) { /* the later match joined the case; no non-member ever entered it */
		CHECK(store_view("alice", &npm, &ncase, items, sizeof items) == 0);
		CHECKF(npm == 1 && ncase == 1 && !strcmp(items, want2) && !strstr(items, "ev-a-n"),
		       "after k: %d pm case(s), %d of alice's, items [%s], want [%s]", npm, ncase,
		       items, want2);
	}
	printf("%d queries, %.1f ms each (client + both servers on loopback; informational)\n", nq,
	       1e3 * qsec / nq);
	CHECKF(leaks == 0, "%d query messages hold the query hash in the clear", leaks);
	vigil_pm_f2_client_close(cli);
	return test_done("pm/server");
}
