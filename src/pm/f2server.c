/* f2server.c — the process behind `vigil pm-server --role custodian|platform`: one of
 * F2's two non-colluding servers (docs/private-matching.md) as its own process over TCP.
 * The protocol steps are src/pm/f2net.c's; this file is the transport:
 * a listener for clients, the peer link (the custodian dials the
 * platform), frame limits, and SIGTERM.
 *
 * Frames, both on client connections and on the peer's hello:
 *   len(4, little-endian) type(1) body(len - 1)
 * Client requests: 'I' -> "B S k T" (what a client needs to build
 * queries); 'Q' query message -> 1 byte (0 = handled, else the status
 * vigil_status); 'S' account -> "over images opened", then (platform)
 * each opened evidence payload as one frame.
 * Peer hello (custodian -> platform, once): 'P' digest(32) of the tables'
 * inputs, so two servers built from different lists refuse each other
 * instead of computing garbage, then seq(8): the images each holds, so two
 * restored states out of step refuse each other too. Answer: 0 accepted,
 * 1 other list or parameters, 2 states out of step.
 *
 * State file (--state): vigil_seal'd under the master key,
 *   "VF2F" ver(1)=1 digest(32) party state (f2net.c's export)
 * rewritten through PATH.tmp + fsync + rename after each query that added
 * an image, before the query is answered.
 *
 * Review store (platform, opts->cases): a query after which the account
 * has more opened evidence than before opens or joins its review case
 * (pmcase.c, E1's path) before the state file is rewritten.
 *
 * Both parties must handle the same queries in the same order: before
 * each query they exchange a digest of its (account, image) header and
 * both refuse it on a mismatch or if either finds it malformed. Clients are served one connection at a
 * time (single thread): a client sends its two messages to both servers
 * before it waits for either answer. */
#include <vigil/pm.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../core/core.h"
#include "pm_int.h"

#define MAX_HASHES (1u << 24) /* 16M list entries: 512 MB of input */
#define MAX_LINE 256
#define CLIENT_TIMEOUT_S 30

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* Reads n bytes; -1 on EOF, error, or SIGTERM while waiting. */
static int rd(int fd, uint8_t *b, size_t n)
{
	while (n) {
		ssize_t r = read(fd, b, n);
		if (r < 0 && errno == EINTR && !stop)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int wr(int fd, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int send_frame(int fd, const uint8_t *b, size_t n)
{
	uint8_t h[4];
	for (int i = 0; i < 4; i++)
		h[i] = (uint8_t)(n >> (8 * i));
	return wr(fd, h, 4) || wr(fd, b, n) ? -1 : 0;
}

/* A frame of at most max bytes (*msg vigil__free'd); a longer one is
 * refused before anything is allocated for it: -2. */
static int recv_frame(int fd, size_t max, uint8_t **msg, size_t *len)
{
	uint8_t h[4];
	*msg = NULL;
	if (rd(fd, h, 4))
		return -1;
	size_t n = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16 | (size_t)h[3] << 24;
	if (n < 1 || n > max)
		return -2;
	uint8_t *b = vigil__malloc(n);
	if (!b || rd(fd, b, n)) {
		vigil__free(b);
		return -1;
	}
	*msg = b;
	*len = n;
	return 0;
}

/* HOST:PORT (HOST may be [v6]) into a socket address. */
static int listen_on(const char *spec, char *shown, size_t cap)
{
	struct addrinfo *ai;
	if (vigil__pm_resolve(spec, &ai, 1))
		return -1;
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 16)) {
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char h[NI_MAXHOST], p[NI_MAXSERV];
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) ||
	    getnameinfo((struct sockaddr *)&ss, sl, h, sizeof h, p, sizeof p,
			NI_NUMERICHOST | NI_NUMERICSERV)) {
		close(fd);
		return -1;
	}
	snprintf(shown, cap, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, p);
	return fd;
}

/* The custodian dials the platform, retrying for up to 30 s while it
 * starts. */
static int dial(const char *spec)
{
	for (int tries = 0; tries < 300 && !stop; tries++) {
		struct addrinfo *ai;
		if (vigil__pm_resolve(spec, &ai, 0))
			return -1;
		int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && !connect(fd, ai->ai_addr, ai->ai_addrlen)) {
			freeaddrinfo(ai);
			return fd;
		}
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* The list from f (named path in messages), which is closed: one 64-digit
 * hex PDQ hash per line ('#' comments, blank lines and a trailing
 * ",quality,..." ignored). */
static int load_hashes_f(FILE *f, const char *path, uint8_t (**out)[32], size_t *n)
{
	char line[MAX_LINE];
	uint8_t(*h)[32] = NULL;
	size_t cnt = 0, cap = 0;
	long lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		size_t l = strcspn(line, ",\r\n");
		if (!l || line[0] == '#')
			continue;
		if (cnt == cap) {
			size_t nc = cap ? 2 * cap : 1024;
			uint8_t(*g)[32] = nc <= MAX_HASHES ? vigil__realloc(h, nc * sizeof *g) : NULL;
			if (!g) {
				fprintf(stderr, "vigil pm-server: %s: more than %u hashes or out of memory\n",
					path, MAX_HASHES);
				goto fail;
			}
			h = g;
			cap = nc;
		}
		size_t got = 0;
		if (l != 64 || sodium_hex2bin(h[cnt], 32, line, l, NULL, &got, NULL) || got != 32) {
			fprintf(stderr, "vigil pm-server: %s:%ld: not a 64-digit hex PDQ hash\n", path,
				lineno);
			goto fail;
		}
		cnt++;
	}
	if (ferror(f) || !cnt) {
		fprintf(stderr, "vigil pm-server: %s: %s\n", path, cnt ? "read error" : "no hashes");
		goto fail;
	}
	fclose(f);
	*out = h;
	*n = cnt;
	return 0;
fail:
	fclose(f);
	vigil__free(h);
	return -1;
}

static int load_hashes(const char *path, uint8_t (**out)[32], size_t *n)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "vigil pm-server: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return load_hashes_f(f, path, out, n);
}

/* The bank's PDQ entries, through its export (hash,quality,path lines):
 * the same parser as a list file, so both give the same tables. */
static int load_bank(vigil_store *st, const char *bank, uint8_t (**out)[32], size_t *n)
{
	FILE *f = tmpfile();
	uint64_t written = 0;
	char name[300];

	snprintf(name, sizeof name, "bank %s", bank);
	if (!f) {
		fprintf(stderr, "vigil pm-server: a temporary file: %s\n", strerror(errno));
		return -1;
	}
	int rc = vigil_bank_export(st, bank, VIGIL_FMT_PDQ_CSV, f, &written);
	if (rc || fflush(f) || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "vigil pm-server: %s: %s\n", name,
			rc ? vigil_strerror(rc) : strerror(errno));
		fclose(f);
		return -1;
	}
	return load_hashes_f(f, name, out, n);
}

static int load_seed(const char *path, uint8_t seed[32])
{
	FILE *f = fopen(path, "r");
	char line[MAX_LINE] = {0};
	size_t got = 0;
	int ok = f && fgets(line, sizeof line, f) &&
		 !sodium_hex2bin(seed, 32, line, strcspn(line, "\r\n"), NULL, &got, NULL) &&
		 got == 32;
	if (f)
		fclose(f);
	sodium_memzero(line, sizeof line);
	if (!ok)
		fprintf(stderr, "vigil pm-server: %s: want 64 hex digits (32 bytes) on the first "
				"line\n", path);
	return ok ? 0 : -1;
}

typedef struct srv {
	int party;
	vigil__pm_f2_party *p;
	vigil__pm_f2_tables t;
	unsigned k, T;
	int peer;
	size_t max_query; /* the one size a query frame can have, plus evidence */
	const char *state;            /* NULL: memory only */
	uint8_t key[VIGIL_MASTER_KEY_BYTES];
	uint8_t digest[32];           /* the tables' inputs */
	uint8_t *loaded;              /* the party state read at start */
	size_t loaded_len;
	uint64_t loaded_seq, saved_seq;
	vigil_store *cases;           /* platform: the review store, or NULL */
	int case_priority;
} srv;

#define STATE_HEAD (4 + 1 + 32)

/* Reads and opens the state file, if there is one: 0 (s->loaded set, or
 * NULL for a fresh start), -1 after saying why. */
static int state_load(srv *s)
{
	vigil_ctx *c = NULL;
	uint8_t *blob = NULL, *plain = NULL;
	size_t blen = 0, plen = 0;
	int rc = -1, r;

	if (vigil_ctx_new(&c))
		return -1;
	r = vigil_read_file(c, s->state, &blob, &blen);
	if (r == VIGIL_ENOENT) {
		fprintf(stderr, "vigil pm-server: no state file yet at %s: starting empty\n",
			s->state);
		rc = 0;
		goto out;
	}
	if (r || vigil_unseal(c, s->key, blob, blen, &plain, &plen)) {
		fprintf(stderr, "vigil pm-server: the state file %s cannot be read or opened with "
				"this master key: %s\n", s->state, vigil_errmsg(c));
		goto out;
	}
	if (plen < STATE_HEAD + 16 || memcmp(plain, "VF2F", 4) || plain[4] != 1) {
		fprintf(stderr, "vigil pm-server: %s is not a pm-server state file\n", s->state);
		goto out;
	}
	if (sodium_memcmp(plain + 5, s->digest, 32)) {
		fprintf(stderr, "vigil pm-server: the state file %s belongs to another list, seed, "
				"k, T or stash\n", s->state);
		goto out;
	}
	s->loaded_len = plen - STATE_HEAD;
	s->loaded = vigil__malloc(s->loaded_len);
	if (!s->loaded)
		goto out;
	memcpy(s->loaded, plain + STATE_HEAD, s->loaded_len);
	s->loaded_seq = 0;
	for (int i = 7; i >= 0; i--) /* the party export's seq, bytes 8..15 */
		s->loaded_seq = s->loaded_seq << 8 | s->loaded[8 + i];
	rc = 0;
out:
	if (plain) {
		sodium_memzero(plain, plen);
		free(plain);
	}
	free(blob);
	vigil_ctx_free(c);
	return rc;
}

/* Writes the party's state: 0, or -1 after saying why. */
static int state_save(srv *s)
{
	vigil_ctx *c = NULL;
	uint8_t *st = NULL, *plain = NULL, *blob = NULL;
	size_t sl = 0, bl = 0;
	int rc = -1;

	if (vigil_ctx_new(&c))
		return -1;
	if (vigil__pm_f2_party_export(s->p, &st, &sl))
		goto out;
	plain = vigil__malloc(STATE_HEAD + sl);
	if (!plain)
		goto out;
	memcpy(plain, "VF2F", 4);
	plain[4] = 1;
	memcpy(plain + 5, s->digest, 32);
	memcpy(plain + STATE_HEAD, st, sl);
	if (vigil_seal(c, s->key, plain, STATE_HEAD + sl, &blob, &bl) ||
	    vigil__write_file_atomic(c, s->state, blob, bl))
		goto out;
	s->saved_seq = vigil__pm_f2_party_seq(s->p);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "vigil pm-server: cannot save the state to %s: %s\n", s->state,
			vigil_errmsg(c));
	if (st) {
		sodium_memzero(st, sl);
		vigil__free(st);
	}
	if (plain) {
		sodium_memzero(plain, STATE_HEAD + sl);
		vigil__free(plain);
	}
	free(blob);
	vigil_ctx_free(c);
	return rc;
}

/* Whether vigil__pm_f2_party_query will refuse q before its first
 * exchange with the peer (f2net.c's layout): if one party refused while
 * the other ran the circuit, the two would be out of step. */
static int well_formed(const srv *s, const uint8_t *q, size_t len)
{
	size_t nt = vigil__pm_f2_ntriples(s->t.B, s->t.S);
	size_t base = 102 + 16 * VIGIL__PM_DPF_KEY_BYTES + 64 + 4 + nt * 24;
	if (len < base + (s->party ? 4 : 0) || memcmp(q, "VQF2", 4) || q[4] != 1 ||
	    q[5] != s->party || !q[6])
		return 0;
	{ /* the account: a name a review case can carry, NUL-padded */
		char acc[65] = {0};
		memcpy(acc, q + 6, 64);
		for (size_t i = strlen(acc); i < 64; i++)
			if (q[6 + i])
				return 0;
		if (!vigil_pm_account_ok(acc))
			return 0;
	}
	const uint8_t *c = q + 102 + 16 * VIGIL__PM_DPF_KEY_BYTES + 64;
	if (((size_t)c[0] | (size_t)c[1] << 8 | (size_t)c[2] << 16 | (size_t)c[3] << 24) != nt)
		return 0;
	if (s->party) {
		const uint8_t *e = q + base;
		size_t evl = (size_t)e[0] | (size_t)e[1] << 8 | (size_t)e[2] << 16 | (size_t)e[3] << 24;
		if (len != base + 4 + evl)
			return 0;
	} else if (len != base) {
		return 0;
	}
	for (unsigned j = 0; j < 16; j++) {
		vigil__pm_dpf_key k;
		int bad = vigil__pm_dpf_parse(&k, q + 102 + j * VIGIL__PM_DPF_KEY_BYTES,
					      VIGIL__PM_DPF_KEY_BYTES);
		sodium_memzero(&k, sizeof k);
		if (bad)
			return 0;
	}
	return 1;
}

/* Both parties agree on the query before running it: the same (account,
 * image) in the same order, and well formed at both. 0 to run it, 1 to
 * refuse it (at both), -1 if the peer is gone. */
static int same_query(srv *s, const uint8_t *q, size_t len)
{
	uint8_t mine[33], theirs[33];
	/* account(64) and image(32) at offset 6; not the party byte */
	if (len < 102)
		memset(mine, 0, 32);
	else
		crypto_generichash(mine, 32, q + 6, 96, NULL, 0);
	mine[32] = (uint8_t)well_formed(s, q, len);
	if (vigil__pm_xchg(s->peer, s->party, mine, theirs, 33))
		return -1;
	return sodium_memcmp(mine, theirs, 32) || !mine[32] || !theirs[32] ? 1 : 0;
}

typedef struct f2_items {
	const srv *s;
	const char *account;
} f2_items;

static int f2_evidence(const void *user, size_t i, const uint8_t **ev, size_t *len)
{
	const f2_items *u = user;
	return vigil__pm_f2_party_evidence(u->s->p, u->account, i, ev, len);
}

/* The platform's review case for an account whose evidence opened (or
 * grew): the same path as E1's (pmcase.c), in one transaction, before the
 * state file records the query. 0, or -1 after saying why. */
static int case_for(srv *s, const char *account, size_t nopened)
{
	vigil_ctx *c = NULL;
	f2_items u = {s, account};
	int64_t id = 0;
	int joined = 0, rc;
	vigil_pm_case in = {.design = "f2", .account = account, .priority = s->case_priority,
			     .n = nopened, .evidence = f2_evidence, .user = &u, .seal = s->key,
			     .who = "pm-server", .role = "platform", .source = ""};

	rc = vigil_ctx_new(&c);
	if (!rc)
		rc = vigil_pm_case_record(c, s->cases, &in, &id, &joined);
	if (rc)
		fprintf(stderr, "vigil pm-server: the review case of %s: %s (%s)\n", account,
			vigil_strerror(rc), c ? vigil_errmsg(c) : "");
	else
		fprintf(stderr, "vigil pm-server: case %lld %s: %zu item(s) of %s\n",
			(long long)id, joined ? "joined" : "opened", nopened, account);
	vigil_ctx_free(c);
	return rc ? -1 : 0;
}

/* One client connection until it closes. Returns -1 if the peer link
 * failed (the server must stop: the parties are out of step). */
static int serve_client(srv *s, int fd)
{
	struct timeval tv = {CLIENT_TIMEOUT_S, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	while (!stop) {
		uint8_t *m;
		size_t n;
		int r = recv_frame(fd, s->max_query, &m, &n);
		if (r == -2)
			fprintf(stderr, "vigil pm-server: a client frame over %zu bytes: connection "
					"closed\n", s->max_query);
		if (r)
			return 0;
		int fail = 0;
		if (m[0] == 'I') {
			char line[64];
			int l = snprintf(line, sizeof line, "%u %u %u %u", s->t.B, s->t.S, s->k, s->T);
			fail = send_frame(fd, (const uint8_t *)line, (size_t)l);
		} else if (m[0] == 'Q') {
			int same = same_query(s, m + 1, n - 1);
			if (same < 0) {
				vigil__free(m);
				return -1;
			}
			char acc[65] = {0};
			size_t no0 = 0, no1 = 0, ni;
			int over;
			if (!same && s->cases) { /* well formed at both: the account is valid */
				memcpy(acc, m + 1 + 6, 64);
				vigil__pm_f2_party_status(s->p, acc, &over, &ni, &no0);
			}
			int rc = same ? VIGIL_EINVAL : vigil__pm_f2_party_query(s->p, m + 1, n - 1);
			if (rc == VIGIL_EINTERNAL) { /* the GMW exchange with the peer broke */
				vigil__free(m);
				return -1;
			}
			/* Newly opened evidence goes to the review case first, then
			 * the state records the query (pmcase.c says why in this
			 * order); a store that fails stops the server as a state
			 * file that fails does. */
			if (!rc && s->cases) {
				vigil__pm_f2_party_status(s->p, acc, &over, &ni, &no1);
				if (no1 > no0 && case_for(s, acc, no1)) {
					vigil__free(m);
					return -1;
				}
			}
			/* Saved before the answer: what a client was told was taken
			 * survives a crash. */
			if (!rc && s->state && vigil__pm_f2_party_seq(s->p) != s->saved_seq &&
			    state_save(s)) {
				vigil__free(m);
				return -1;
			}
			uint8_t ack = (uint8_t)rc; /* a vigil_status: small, positive */
			fail = send_frame(fd, &ack, 1);
		} else if (m[0] == 'S' && n >= 2 && n <= 65) {
			char acc[65] = {0}, line[64];
			int over;
			size_t ni, no;
			memcpy(acc, m + 1, n - 1);
			vigil__pm_f2_party_status(s->p, acc, &over, &ni, &no);
			int l = snprintf(line, sizeof line, "%d %zu %zu", over, ni, no);
			fail = send_frame(fd, (const uint8_t *)line, (size_t)l);
			for (size_t i = 0; i < no && !fail; i++) {
				const uint8_t *ev;
				size_t el;
				fail = vigil__pm_f2_party_evidence(s->p, acc, i, &ev, &el) ||
				       send_frame(fd, ev, el);
			}
		} else {
			fail = 1;
		}
		vigil__free(m);
		if (fail)
			return 0;
	}
	return 0;
}

static const char *const role_names[2] = {"custodian", "platform"};


int vigil_pm_f2_server_run(const vigil_pm_f2_server_opts *o)
{
	const char *listen_spec, *peer_spec;
	long k, T, stash, max_b = 1024;
	int party;

	if (!o || (o->party != 0 && o->party != 1) || !o->hashes == !(o->store && o->bank) ||
	    !o->seed_file ||
	    (o->party == 0 && !o->peer) || o->k < 1 || o->k > 255 || o->T > 255 ||
	    o->stash > 4096)
		return VIGIL_EINVAL;
	if (!vigil_pm_enabled() || ((o->state || o->cases) && !o->master_key_file) ||
	    (o->cases && o->party != 1) || o->case_priority < 0 || o->case_priority > 1000)
		return VIGIL_EINVAL;
	party = o->party;
	listen_spec = o->listen ? o->listen : "127.0.0.1:7431";
	peer_spec = o->peer;
	k = (long)o->k;
	T = (long)o->T;
	stash = (long)o->stash;
	const char *hashes = o->hashes, *seed_file = o->seed_file;
	if (vigil__pm_ready()) {
		fprintf(stderr, "vigil pm-server: libsodium cannot be initialised\n");
		return VIGIL_EIO;
	}

	srv s = {.party = party, .k = (unsigned)k, .T = (unsigned)T, .peer = -1, .state = o->state,
		 .cases = o->cases, .case_priority = o->case_priority ? o->case_priority : 90};
	uint8_t(*h)[32] = NULL, seed[32], *digest = s.digest;
	size_t nh = 0;
	int lfd = -1, rcode = VIGIL_EIO, built = 0;
	char shown[NI_MAXHOST + NI_MAXSERV + 4];

	struct sigaction sa = {0};
	sa.sa_handler = on_term; /* no SA_RESTART: accept and read return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if ((hashes ? load_hashes(hashes, &h, &nh) : load_bank(o->store, o->bank, &h, &nh)) ||
	    load_seed(seed_file, seed))
		goto out;
	int brc = vigil__pm_f2_build(&s.t, (const uint8_t(*)[32])h, nh, (unsigned)stash,
				     (unsigned)max_b, seed);
	if (brc) {
		fprintf(stderr, "vigil pm-server: building the tables: %s\n",
			brc == VIGIL_ETOOBIG ? "a bucket needs more than 1024 entries (raise --stash)"
					     : "out of memory");
		goto out;
	}
	built = 1;
	{ /* what both servers must share: the list, the seed, k, T, stash */
		crypto_generichash_state st;
		uint8_t par[16] = {'V', 'P', 'F', '2', (uint8_t)k, (uint8_t)T};
		par[6] = (uint8_t)stash;
		par[7] = (uint8_t)(stash >> 8);
		crypto_generichash_init(&st, NULL, 0, 32);
		crypto_generichash_update(&st, par, sizeof par);
		crypto_generichash_update(&st, seed, 32);
		crypto_generichash_update(&st, (const uint8_t *)h, nh * 32);
		crypto_generichash_final(&st, digest, 32);
	}
	if (s.state || s.cases) {
		vigil_ctx *c = NULL;
		int kr = vigil_ctx_new(&c) ? VIGIL_ENOMEM
					   : vigil_master_key_load(c, o->master_key_file, s.key);
		if (kr)
			fprintf(stderr, "vigil pm-server: master key %s: %s\n", o->master_key_file,
				c ? vigil_errmsg(c) : "out of memory");
		vigil_ctx_free(c);
		if (kr || (s.state && state_load(&s)))
			goto out;
		/* The case columns sealed as vigil serve seals them. */
		if (s.cases && vigil_store_set_seal_key(s.cases, s.key)) {
			fprintf(stderr, "vigil pm-server: the review store cannot take the seal key\n");
			goto out;
		}
	}
	/* A query frame: 'Q' + the fixed part (f2net.c's layout) + at most
	 * the largest evidence; anything longer is refused unread. */
	s.max_query = 1 + 102 + 16 * VIGIL__PM_DPF_KEY_BYTES + 64 + 4 +
		      vigil__pm_f2_ntriples(s.t.B, s.t.S) * 24 + 4 + 24 +
		      crypto_secretbox_MACBYTES + VIGIL_PM_E1_MAX_EVIDENCE;
	lfd = listen_on(listen_spec, shown, sizeof shown);
	if (lfd < 0) {
		fprintf(stderr, "vigil pm-server: cannot listen on %s\n", listen_spec);
		goto out;
	}
	printf("vigil pm-server: %s listening on %s (%zu hashes, B = %u, stash %u, k = %ld, "
	       "T = %ld, query frames up to %zu bytes)\n",
	       role_names[party], shown, nh, s.t.B, s.t.S, k, T, s.max_query);
	fflush(stdout);

	if (party == 0) {
		s.peer = dial(peer_spec);
		uint8_t hello[41] = {'P'};
		memcpy(hello + 1, digest, 32);
		for (int i = 0; i < 8; i++)
			hello[33 + i] = (uint8_t)(s.loaded_seq >> (8 * i));
		uint8_t *a = NULL;
		size_t al = 0;
		if (s.peer < 0 || send_frame(s.peer, hello, sizeof hello) ||
		    recv_frame(s.peer, 1, &a, &al) || a[0] != 0) {
			fprintf(stderr, "vigil pm-server: the platform at %s %s\n", peer_spec,
				!a ? "is unreachable"
				: a[0] == 2 ? "refused us: our saved states are out of step (one "
					      "server took a query the other did not save)"
					    : "refused us: its list, seed, k, T or stash differ");
			vigil__free(a);
			goto out;
		}
		vigil__free(a);
	} else {
		/* The first connection with a matching hello is the custodian. */
		while (!stop && s.peer < 0) {
			int fd = accept(lfd, NULL, NULL);
			if (fd < 0)
				continue;
			uint8_t *m = NULL;
			size_t n = 0;
			struct timeval tv = {CLIENT_TIMEOUT_S, 0};
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
			int ok = !recv_frame(fd, 41, &m, &n) && n == 41 && m[0] == 'P' &&
				 !sodium_memcmp(m + 1, digest, 32);
			uint64_t their = 0;
			for (int i = 7; ok && i >= 0; i--)
				their = their << 8 | m[33 + i];
			uint8_t r = !ok ? 1 : their != s.loaded_seq ? 2 : 0;
			send_frame(fd, &r, 1);
			vigil__free(m);
			if (r) {
				if (r == 2)
					fprintf(stderr, "vigil pm-server: refused the custodian: its saved "
							"state holds %llu images, ours %llu (out of step)\n",
						(unsigned long long)their,
						(unsigned long long)s.loaded_seq);
				else
					fprintf(stderr, "vigil pm-server: refused a peer whose list, seed, "
							"k, T or stash differ (or not a peer)\n");
				close(fd);
				continue;
			}
			tv.tv_sec = 0; /* the peer link waits as long as queries take */
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
			s.peer = fd;
		}
	}
	if (stop) {
		rcode = VIGIL_OK;
		goto out;
	}
	fprintf(stderr, "vigil pm-server: %s: peer connected\n", role_names[party]);
	if (vigil__pm_f2_party_new(&s.p, party, s.peer, &s.t, s.k, s.T))
		goto out;
	if (s.loaded) {
		int ir = vigil__pm_f2_party_import(s.p, s.loaded, s.loaded_len);
		if (ir) {
			fprintf(stderr, "vigil pm-server: the state file %s is damaged (%s)\n",
				s.state, vigil_strerror(ir));
			goto out;
		}
		s.saved_seq = s.loaded_seq;
		fprintf(stderr, "vigil pm-server: %s: state restored (%llu images)\n",
			role_names[party], (unsigned long long)s.loaded_seq);
	}
	while (!stop) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		int r = serve_client(&s, fd);
		close(fd);
		if (r) {
			fprintf(stderr, "vigil pm-server: the link to the other server broke, or "
					"the state file or review store failed; stopping (the "
					"parties' shares are out of step)\n");
			goto out;
		}
	}
	rcode = VIGIL_OK;
	fprintf(stderr, "vigil pm-server: %s: stopped\n", role_names[party]);
out:
	vigil__pm_f2_party_free(s.p);
	if (built)
		vigil__pm_f2_free(&s.t);
	if (s.peer >= 0)
		close(s.peer);
	if (lfd >= 0)
		close(lfd);
	vigil__free(h);
	if (s.loaded) {
		sodium_memzero(s.loaded, s.loaded_len);
		vigil__free(s.loaded);
	}
	sodium_memzero(s.key, sizeof s.key);
	sodium_memzero(seed, sizeof seed);
	return rcode;
}

