/* f2net.c — F2 (study §5.4) with its two servers in two processes: the
 * byte transport of GMW, the client's two query messages, and one
 * server party's handling of a query: DPF fetch of its bucket shares, the
 * comparison circuit with the other party, the per-account shared counter
 * (only [count >= k] is ever opened) and, once both parties open that bit
 * as 1, the release of evidence keys: K' = K_img AND m_img is computed in
 * GMW and only the custodian's (party 0's) share of K' goes to the
 * platform (party 1), which can then open exactly the matched images'
 * evidence. Below the threshold each party holds only shares.
 *
 * Semi-honest servers; nothing authenticates shares or triples (docs/private-matching.md).
 * The parties talk over a connected stream socket each (the test uses a
 * socketpair, a deployment a TCP connection between two operators).
 *
 * Query message to party p (little-endian):
 *   "VQF2" ver(1)=1 party(1) account(64, NUL-padded) image(32)
 *   16 DPF keys (195 B each) xshare(32) kshare(32) ntriples(4) triples(24 each)
 *   party 1 only: evlen(4) evidence ciphertext (nonce 24 || secretbox) */
#include <errno.h>
#include <netdb.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "../core/core.h"
#include "pm_int.h"

static int write_all(int fd, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, uint8_t *b, size_t n)
{
	while (n) {
		ssize_t r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Bytes this thread sent to the other party and exchanges made (for the
 * measurements in pm/f2_two; a party is one thread). */
static _Thread_local uint64_t xchg_bytes, xchg_rounds;

void vigil__pm_xchg_stats(uint64_t *bytes, uint64_t *rounds)
{
	*bytes = xchg_bytes;
	*rounds = xchg_rounds;
}

int vigil__pm_xchg(int fd, int party, const void *mine, void *theirs, size_t n)
{
	xchg_bytes += n;
	xchg_rounds++;
	if (party == 1)
		return write_all(fd, mine, n) || read_all(fd, theirs, n) ? -1 : 0;
	return read_all(fd, theirs, n) || write_all(fd, mine, n) ? -1 : 0;
}

int vigil__pm_resolve(const char *spec, struct addrinfo **res, int passive)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof host || !colon[1])
		return -1;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = 0;
	char *h = host;
	size_t hl = strlen(h);
	if (h[0] == '[' && hl > 2 && h[hl - 1] == ']') {
		h[hl - 1] = 0;
		h++;
	}
	struct addrinfo hints = {0};
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	return getaddrinfo(h, colon + 1, &hints, res) ? -1 : 0;
}

int vigil__pm_f2_send(int fd, const uint8_t *msg, size_t len)
{
	uint8_t h[4];
	for (int i = 0; i < 4; i++)
		h[i] = (uint8_t)(len >> (8 * i));
	return len > VIGIL__PM_F2_MAX_MSG || write_all(fd, h, 4) || write_all(fd, msg, len) ? -1 : 0;
}

int vigil__pm_f2_recv(int fd, uint8_t **msg, size_t *len)
{
	uint8_t h[4];
	*msg = NULL;
	if (read_all(fd, h, 4))
		return -1;
	size_t n = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16 | (size_t)h[3] << 24;
	if (n > VIGIL__PM_F2_MAX_MSG)
		return -1;
	uint8_t *b = vigil__malloc(n ? n : 1);
	if (!b || read_all(fd, b, n)) {
		vigil__free(b);
		return -1;
	}
	*msg = b;
	*len = n;
	return 0;
}

size_t vigil__pm_f2_ntriples(unsigned B, unsigned S)
{
	size_t nwords = (16 * ((size_t)B + S) + 63) / 64;
	return vigil__pm_gmw_any_ands(nwords) + vigil__pm_gmw_count_ands() + 4;
}

#define QHEAD (4 + 1 + 1 + 64 + 32)
#define QKEYS (16 * VIGIL__PM_DPF_KEY_BYTES)

static void put32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

int vigil__pm_f2_client_query(const uint8_t x[32], const char *account, const uint8_t *id,
			      size_t id_len, const uint8_t *evidence, size_t ev_len, unsigned B,
			      unsigned S, uint8_t *msg[2], size_t len[2])
{
	size_t nt = vigil__pm_f2_ntriples(B, S), alen = strlen(account);
	size_t evct = 24 + crypto_secretbox_MACBYTES + ev_len;
	uint8_t r[32], k[32], k0[32];
	vigil__pm_triple *t0 = vigil__malloc(nt * sizeof *t0), *t1 = vigil__malloc(nt * sizeof *t1);
	int rc = VIGIL_ENOMEM;

	msg[0] = msg[1] = NULL;
	if (alen < 1 || alen > 64 || ev_len > VIGIL_PM_E1_MAX_EVIDENCE) {
		rc = VIGIL_EINVAL;
		goto out;
	}
	if (!t0 || !t1)
		goto out;
	for (int p = 0; p < 2; p++) {
		len[p] = QHEAD + QKEYS + 64 + 4 + nt * 24 + (p ? 4 + evct : 0);
		msg[p] = vigil__calloc(1, len[p]);
		if (!msg[p])
			goto out;
		memcpy(msg[p], "VQF2", 4);
		msg[p][4] = 1;
		msg[p][5] = (uint8_t)p;
		memcpy(msg[p] + 6, account, alen);
		/* The image's name for both servers: a hash of its id, so the
		 * same image sent twice is recognised (not counted twice). */
		crypto_generichash(msg[p] + 70, 32, id, id_len, (const uint8_t *)"vigil-f2-id", 11);
	}
	rc = VIGIL_EINTERNAL;
	for (unsigned j = 0; j < 16; j++) {
		vigil__pm_dpf_key a, b;
		if (vigil__pm_dpf_gen(&a, &b, (uint16_t)vigil__pm_f2_chunk(x, j)))
			goto out;
		vigil__pm_dpf_serialize(msg[0] + QHEAD + j * VIGIL__PM_DPF_KEY_BYTES, &a);
		vigil__pm_dpf_serialize(msg[1] + QHEAD + j * VIGIL__PM_DPF_KEY_BYTES, &b);
		sodium_memzero(&a, sizeof a);
		sodium_memzero(&b, sizeof b);
	}
	/* x and K_img XOR-shared; evidence sealed under K_img for party 1. */
	randombytes_buf(r, 32);
	randombytes_buf(k, 32);
	randombytes_buf(k0, 32);
	uint8_t *p0 = msg[0] + QHEAD + QKEYS, *p1 = msg[1] + QHEAD + QKEYS;
	for (int i = 0; i < 32; i++) {
		p0[i] = r[i];
		p1[i] = x[i] ^ r[i];
		p0[32 + i] = k0[i];
		p1[32 + i] = k[i] ^ k0[i];
	}
	vigil__pm_gmw_deal(t0, t1, nt);
	for (int p = 0; p < 2; p++) {
		uint8_t *q = msg[p] + QHEAD + QKEYS + 64;
		put32(q, (uint32_t)nt);
		memcpy(q + 4, p ? t1 : t0, nt * 24);
	}
	uint8_t *e = msg[1] + QHEAD + QKEYS + 64 + 4 + nt * 24;
	put32(e, (uint32_t)evct);
	randombytes_buf(e + 4, 24);
	crypto_secretbox_easy(e + 4 + 24, evidence, ev_len, e + 4, k);
	rc = VIGIL_OK;
out:
	if (rc)
		for (int p = 0; p < 2; p++) {
			vigil__free(msg[p]);
			msg[p] = NULL;
		}
	if (t0)
		sodium_memzero(t0, nt * sizeof *t0);
	if (t1)
		sodium_memzero(t1, nt * sizeof *t1);
	vigil__free(t0);
	vigil__free(t1);
	sodium_memzero(r, 32);
	sodium_memzero(k, 32);
	sodium_memzero(k0, 32);
	return rc;
}

/* One image a party holds for an account: its shares, the 4 triples of its
 * release, and (party 1) the evidence ciphertext. */
typedef struct img {
	char account[65];
	uint8_t id[32];
	uint8_t m;        /* share of the match bit */
	uint8_t k[32];    /* share of K_img */
	vigil__pm_triple rel[4];
	uint8_t *ev;      /* party 1: nonce || secretbox */
	size_t ev_len;
	int released;
	uint8_t *opened;  /* party 1, after release of a match: the evidence */
	size_t opened_len;
} img;

typedef struct f2acct {
	char account[65];
	uint16_t ctr; /* this party's share of the distinct-match counter */
	int over;     /* [ctr >= k] opened as 1 */
} f2acct;

struct vigil__pm_f2_party {
	int party, peer;
	const vigil__pm_f2_tables *t;
	unsigned k, T;
	uint64_t seq; /* images taken in: both parties count the same */
	img *im;
	size_t nim, capim;
	f2acct *ac;
	size_t nac, capac;
};

int vigil__pm_f2_party_new(vigil__pm_f2_party **out, int party, int peer_fd,
			   const vigil__pm_f2_tables *t, unsigned k, unsigned T)
{
	*out = NULL;
	if ((party != 0 && party != 1) || k < 1 || k > 255 || T > 255)
		return VIGIL_EINVAL;
	vigil__pm_f2_party *p = vigil__calloc(1, sizeof *p);
	if (!p)
		return VIGIL_ENOMEM;
	p->party = party;
	p->peer = peer_fd;
	p->t = t;
	p->k = k;
	p->T = T;
	*out = p;
	return VIGIL_OK;
}

void vigil__pm_f2_party_free(vigil__pm_f2_party *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nim; i++) {
		vigil__free(p->im[i].ev);
		if (p->im[i].opened)
			sodium_memzero(p->im[i].opened, p->im[i].opened_len);
		vigil__free(p->im[i].opened);
	}
	if (p->im)
		sodium_memzero(p->im, p->capim * sizeof *p->im);
	vigil__free(p->im);
	vigil__free(p->ac);
	vigil__free(p);
}

static f2acct *find_acct(vigil__pm_f2_party *p, const char *a)
{
	for (size_t i = 0; i < p->nac; i++)
		if (!strcmp(p->ac[i].account, a))
			return &p->ac[i];
	if (p->nac == p->capac) {
		size_t nc = p->capac ? 2 * p->capac : 8;
		f2acct *n = vigil__realloc(p->ac, nc * sizeof *n);
		if (!n)
			return NULL;
		p->ac = n;
		p->capac = nc;
	}
	f2acct *r = &p->ac[p->nac++];
	memset(r, 0, sizeof *r);
	memcpy(r->account, a, strlen(a) + 1);
	return r;
}

/* Releases every unreleased image of a: K' = K & m in GMW; party 0 hands
 * its K' share to party 1, which opens the evidence of those whose K' is
 * a key (the matched ones; the others' K' is 0). */
static int release(vigil__pm_f2_party *p, const f2acct *a)
{
	for (size_t i = 0; i < p->nim; i++) {
		img *m = &p->im[i];
		if (m->released || strcmp(m->account, a->account))
			continue;
		uint64_t kx[4], mm[4], kp[4], other[4];
		memcpy(kx, m->k, 32);
		for (int w = 0; w < 4; w++)
			mm[w] = (uint64_t)0 - (uint64_t)(m->m & 1); /* a shared bit, broadcast */
		if (vigil__pm_gmw_and_party(p->party, p->peer, kx, mm, kp, 4, m->rel, 4))
			return VIGIL_EINTERNAL;
		/* One way: the custodian's share goes to the platform only. */
		if (p->party == 0) {
			if (write_all(p->peer, (const uint8_t *)kp, 32))
				return VIGIL_EINTERNAL;
		} else {
			if (read_all(p->peer, (uint8_t *)other, 32))
				return VIGIL_EINTERNAL;
			uint8_t key[32];
			for (int w = 0; w < 4; w++)
				kp[w] ^= other[w];
			memcpy(key, kp, 32);
			if (!sodium_is_zero(key, 32) && m->ev && m->ev_len > 24 + crypto_secretbox_MACBYTES) {
				size_t pl = m->ev_len - 24 - crypto_secretbox_MACBYTES;
				uint8_t *pt = vigil__malloc(pl ? pl : 1);
				if (!pt)
					return VIGIL_ENOMEM;
				if (crypto_secretbox_open_easy(pt, m->ev + 24, m->ev_len - 24, m->ev, key)) {
					vigil__free(pt);
				} else {
					m->opened = pt;
					m->opened_len = pl;
				}
			}
			sodium_memzero(key, 32);
		}
		sodium_memzero(kp, sizeof kp);
		m->released = 1;
	}
	return VIGIL_OK;
}

int vigil__pm_f2_party_query(vigil__pm_f2_party *p, const uint8_t *q, size_t len)
{
	const vigil__pm_f2_tables *t = p->t;
	size_t B = t->B, S = t->S, nwords = (16 * (B + S) + 63) / 64;
	size_t nt = vigil__pm_f2_ntriples(t->B, t->S), base = QHEAD + QKEYS + 64 + 4 + nt * 24;
	char account[65] = {0};
	int rc = VIGIL_ECORRUPT;

	if (len < base + (p->party ? 4 : 0) || memcmp(q, "VQF2", 4) || q[4] != 1 ||
	    q[5] != p->party || get32(q + QHEAD + QKEYS + 64) != nt)
		return rc;
	memcpy(account, q + 6, 64);
	if (!account[0])
		return rc;
	size_t evl = p->party ? get32(q + base) : 0;
	if (len != base + (p->party ? 4 + evl : 0))
		return rc;
	/* The same image again: not a new image, not counted twice. */
	for (size_t i = 0; i < p->nim; i++)
		if (!strcmp(p->im[i].account, account) && !memcmp(p->im[i].id, q + 70, 32))
			return VIGIL_OK;
	const vigil__pm_triple *tr = (const vigil__pm_triple *)(const void *)(q + QHEAD + QKEYS + 68);
	vigil__pm_triple *trip = vigil__malloc(nt * sizeof *trip);
	uint64_t(*w)[256] = vigil__calloc(nwords, sizeof *w);
	uint8_t *ans = vigil__malloc(B * 32 + 8), *bits = vigil__malloc(8192);
	const uint8_t *xs = q + QHEAD + QKEYS;
	uint8_t lane[32];
	rc = VIGIL_ENOMEM;
	if (!trip || !w || !ans || !bits)
		goto out;
	memcpy(trip, tr, nt * sizeof *trip); /* aligned copy */
	size_t c = 0;
	for (unsigned j = 0; j < 16; j++) {
		vigil__pm_dpf_key key;
		rc = VIGIL_ECORRUPT;
		if (vigil__pm_dpf_parse(&key, q + QHEAD + j * VIGIL__PM_DPF_KEY_BYTES,
					VIGIL__PM_DPF_KEY_BYTES))
			goto out;
		vigil__pm_dpf_eval_all(&key, bits);
		sodium_memzero(&key, sizeof key);
		vigil__pm_f2_fetch(t, j, bits, ans);
		for (size_t e = 0; e < B + S; e++, c++) {
			for (int i = 0; i < 32; i++) {
				uint8_t y = e < B ? ans[e * 32 + i]
						  : p->party == 0 ? t->stash[j][(e - B) * 32 + i] : 0;
				lane[i] = xs[i] ^ y;
			}
			vigil__pm_to_lane(w, c, lane);
		}
	}
	if (p->party == 0) { /* padding lanes: distance 256 (party 0 holds the ones) */
		memset(lane, 0xff, 32);
		for (; c < nwords * 64; c++)
			vigil__pm_to_lane(w, c, lane);
	}
	uint8_t m = 0;
	rc = VIGIL_EINTERNAL;
	size_t na = vigil__pm_gmw_any_ands(nwords);
	if (vigil__pm_gmw_any_le_party(p->party, p->peer, (const uint64_t(*)[256])w, nwords, p->T,
				       trip, na, &m))
		goto out;
	f2acct *a = find_acct(p, account);
	rc = VIGIL_ENOMEM;
	if (!a)
		goto out;
	if (p->nim == p->capim) {
		size_t nc = p->capim ? 2 * p->capim : 16;
		img *n = vigil__realloc(p->im, nc * sizeof *n);
		if (!n)
			goto out;
		p->im = n;
		p->capim = nc;
	}
	img *im = &p->im[p->nim];
	memset(im, 0, sizeof *im);
	memcpy(im->account, account, sizeof account);
	memcpy(im->id, q + 70, 32);
	im->m = m;
	memcpy(im->k, q + QHEAD + QKEYS + 32, 32);
	memcpy(im->rel, trip + na + vigil__pm_gmw_count_ands(), sizeof im->rel);
	if (p->party) {
		im->ev = vigil__malloc(evl ? evl : 1);
		if (!im->ev)
			goto out;
		memcpy(im->ev, q + base + 4, evl);
		im->ev_len = evl;
	}
	p->nim++;
	/* The counter: only [count >= k] opens, to both parties. */
	int ge = 0;
	rc = VIGIL_EINTERNAL;
	if (vigil__pm_gmw_count_party(p->party, p->peer, &a->ctr, m, p->k, trip + na,
				      vigil__pm_gmw_count_ands(), &ge))
		goto out;
	if (ge)
		a->over = 1;
	rc = a->over ? release(p, a) : VIGIL_OK;
	if (!rc)
		p->seq++;
out:
	if (w)
		sodium_memzero(w, nwords * sizeof *w);
	if (trip)
		sodium_memzero(trip, nt * sizeof *trip);
	vigil__free(trip);
	vigil__free(w);
	vigil__free(ans);
	vigil__free(bits);
	sodium_memzero(lane, sizeof lane);
	return rc;
}

int vigil__pm_f2_party_status(const vigil__pm_f2_party *p, const char *account, int *over,
			      size_t *nimages, size_t *nopened)
{
	*over = 0;
	*nimages = *nopened = 0;
	for (size_t i = 0; i < p->nac; i++)
		if (!strcmp(p->ac[i].account, account))
			*over = p->ac[i].over;
	for (size_t i = 0; i < p->nim; i++)
		if (!strcmp(p->im[i].account, account)) {
			(*nimages)++;
			*nopened += p->im[i].opened != NULL;
		}
	return VIGIL_OK;
}

int vigil__pm_f2_party_evidence(const vigil__pm_f2_party *p, const char *account, size_t i,
				const uint8_t **ev, size_t *len)
{
	for (size_t j = 0; j < p->nim; j++) {
		const img *m = &p->im[j];
		if (strcmp(m->account, account) || !m->opened)
			continue;
		if (i-- == 0) {
			*ev = m->opened;
			*len = m->opened_len;
			return VIGIL_OK;
		}
	}
	return VIGIL_ENOENT;
}

/* ------------------------------------------------------------ persistence */
/* A party's state, for the server's state file (f2server.c seals it):
 *   "VF2S" ver(1)=1 party(1) k(1) T(1) seq(8) nac(4) nim(4)
 *   nac x { account(65) ctr(2) over(1) }
 *   nim x { account(65) id(32) m(1) k(32) rel(4 x 24) released(1)
 *           evlen(4) ev  openedlen(4, 0xffffffff = not opened) opened }
 * little-endian. Shares only, but the platform's part holds the opened
 * evidence in the clear: the caller seals it. */
#define ST_HEAD 24
#define ST_ACCT (65 + 2 + 1)
#define ST_IMG (65 + 32 + 1 + 32 + 4 * 24 + 1 + 4 + 4)
#define ST_NONE 0xffffffffu

static void put64(uint8_t *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *b)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

uint64_t vigil__pm_f2_party_seq(const vigil__pm_f2_party *p)
{
	return p->seq;
}

int vigil__pm_f2_party_export(const vigil__pm_f2_party *p, uint8_t **buf, size_t *len)
{
	size_t n = ST_HEAD + p->nac * ST_ACCT;
	for (size_t i = 0; i < p->nim; i++)
		n += ST_IMG + p->im[i].ev_len + (p->im[i].opened ? p->im[i].opened_len : 0);
	uint8_t *b = vigil__malloc(n), *w = b;
	*buf = NULL;
	if (!b)
		return VIGIL_ENOMEM;
	memcpy(w, "VF2S", 4);
	w[4] = 1;
	w[5] = (uint8_t)p->party;
	w[6] = (uint8_t)p->k;
	w[7] = (uint8_t)p->T;
	put64(w + 8, p->seq);
	put32(w + 16, (uint32_t)p->nac);
	put32(w + 20, (uint32_t)p->nim);
	w += ST_HEAD;
	for (size_t i = 0; i < p->nac; i++, w += ST_ACCT) {
		memcpy(w, p->ac[i].account, 65);
		w[65] = (uint8_t)p->ac[i].ctr;
		w[66] = (uint8_t)(p->ac[i].ctr >> 8);
		w[67] = (uint8_t)p->ac[i].over;
	}
	for (size_t i = 0; i < p->nim; i++) {
		const img *m = &p->im[i];
		memcpy(w, m->account, 65);
		memcpy(w + 65, m->id, 32);
		w[97] = m->m;
		memcpy(w + 98, m->k, 32);
		memcpy(w + 130, m->rel, 4 * 24);
		w[226] = (uint8_t)m->released;
		put32(w + 227, (uint32_t)m->ev_len);
		w += 231;
		if (m->ev_len)
			memcpy(w, m->ev, m->ev_len);
		w += m->ev_len;
		put32(w, m->opened ? (uint32_t)m->opened_len : ST_NONE);
		w += 4;
		if (m->opened && m->opened_len)
			memcpy(w, m->opened, m->opened_len);
		w += m->opened ? m->opened_len : 0;
	}
	*buf = b;
	*len = n;
	return VIGIL_OK;
}

int vigil__pm_f2_party_import(vigil__pm_f2_party *p, const uint8_t *b, size_t len)
{
	const uint8_t *r = b, *end = b + len;
	if (p->nac || p->nim)
		return VIGIL_EINVAL;
	if (len < ST_HEAD || memcmp(b, "VF2S", 4) || b[4] != 1)
		return VIGIL_ECORRUPT;
	if (b[5] != p->party || b[6] != p->k || b[7] != p->T)
		return VIGIL_EINVAL; /* another role or parameters */
	uint64_t seq = get64(b + 8);
	size_t nac = get32(b + 16), nim = get32(b + 20);
	r += ST_HEAD;
	if (nac > (size_t)(end - r) / ST_ACCT || nim > (size_t)(end - r) / ST_IMG)
		return VIGIL_ECORRUPT;
	int rc = VIGIL_ENOMEM;
	if (nac && !(p->ac = vigil__calloc(nac, sizeof *p->ac)))
		goto fail;
	p->capac = nac;
	for (; p->nac < nac; p->nac++, r += ST_ACCT) {
		f2acct *a = &p->ac[p->nac];
		memcpy(a->account, r, 65);
		a->account[64] = 0;
		a->ctr = (uint16_t)(r[65] | r[66] << 8);
		a->over = r[67] != 0;
	}
	if (nim && !(p->im = vigil__calloc(nim, sizeof *p->im)))
		goto fail;
	p->capim = nim;
	for (; p->nim < nim;) {
		rc = VIGIL_ECORRUPT;
		if ((size_t)(end - r) < 231)
			goto fail;
		img *m = &p->im[p->nim];
		memcpy(m->account, r, 65);
		m->account[64] = 0;
		memcpy(m->id, r + 65, 32);
		m->m = r[97] & 1;
		memcpy(m->k, r + 98, 32);
		memcpy(m->rel, r + 130, 4 * 24);
		m->released = r[226] != 0;
		size_t el = get32(r + 227);
		r += 231;
		if (el > (size_t)(end - r) || (size_t)(end - r) - el < 4 ||
		    (!p->party && el) || el > VIGIL__PM_F2_MAX_MSG)
			goto fail;
		rc = VIGIL_ENOMEM;
		if (p->party && !(m->ev = vigil__malloc(el ? el : 1)))
			goto fail;
		if (el)
			memcpy(m->ev, r, el);
		m->ev_len = el;
		r += el;
		uint32_t ol = get32(r);
		r += 4;
		p->nim++; /* owned from here: freed with the party */
		if (ol != ST_NONE) {
			rc = VIGIL_ECORRUPT;
			if (!p->party || ol > (size_t)(end - r))
				goto fail;
			rc = VIGIL_ENOMEM;
			if (!(m->opened = vigil__malloc(ol ? ol : 1)))
				goto fail;
			memcpy(m->opened, r, ol);
			m->opened_len = ol;
			r += ol;
		}
	}
	if (r != end) {
		rc = VIGIL_ECORRUPT;
		goto fail;
	}
	p->seq = seq;
	return VIGIL_OK;
fail:
	/* Back to an empty party: the caller may still start afresh. */
	for (size_t i = 0; i < p->nim; i++) {
		vigil__free(p->im[i].ev);
		vigil__free(p->im[i].opened);
	}
	vigil__free(p->im);
	vigil__free(p->ac);
	p->im = NULL;
	p->ac = NULL;
	p->nim = p->capim = p->nac = p->capac = 0;
	return rc;
}
