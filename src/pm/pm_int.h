/* pm_int.h — internal interface of the private-matching module (src/pm/).
 * Not installed; names are vigil__pm_. The primitives here are what the
 * E1 design (e1.c) and a later F2 build on; each has its own unit test in
 * tests/pm/. All of them need sodium_init() to have run (vigil__pm_ready). */
#ifndef VIGIL_PM_INT_H
#define VIGIL_PM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "vigil.h"

/* 0 once libsodium is initialised, -1 if it cannot be. Idempotent. */
int vigil__pm_ready(void);

/* ------------------------------------------------ RFC 9380 expand_message */
/* expand_message_xmd with SHA-512 (RFC 9380 section 5.3.1). out_len at most
 * 255*64; dst at most 255 bytes (ours are short, so the long-DST rule is not
 * implemented and longer DSTs are refused). The message may be given in up
 * to 8 pieces, concatenated, so callers need no scratch buffer. Returns 0 or
 * -1 on a length outside those limits. */
int vigil__pm_xmd_sha512(uint8_t *out, size_t out_len, const uint8_t *const *msg,
			 const size_t *msg_len, size_t nmsg, const uint8_t *dst,
			 size_t dst_len);

/* ------------------------------------------------------------------ Shamir */
/* Shamir sharing over the ristretto255 scalar field (order L). A share is
 * (x, y): x a non-zero scalar, y = f(x) for a random polynomial f of degree
 * t-1 with f(0) = secret. */
typedef struct vigil__pm_share {
	uint8_t x[32]; /* evaluation point, canonical scalar, never 0 */
	uint8_t y[32]; /* f(x), canonical scalar */
} vigil__pm_share;

/* Makes the polynomial's t-1 random coefficients (coef[0..t-2]); the caller
 * keeps them to deal shares one at a time (Apple-style: one share per
 * voucher, x from a PRF of the item id) and wipes them with sodium_memzero.
 * t in 1..255. */
int vigil__pm_shamir_poly(uint8_t (*coef)[32], unsigned t);
/* y = secret + coef[0] x + ... + coef[t-2] x^(t-1) (Horner; constant time). */
void vigil__pm_shamir_eval(uint8_t y[32], const uint8_t secret[32],
			   const uint8_t (*coef)[32], unsigned t, const uint8_t x[32]);
/* Splits secret into n shares with threshold t at x = 1..n. */
int vigil__pm_shamir_split(vigil__pm_share *shares, unsigned n, unsigned t,
			   const uint8_t secret[32]);
/* Lagrange interpolation at 0 of the first t shares. Returns -1 if two x
 * coincide or an x is 0 (such shares cannot come from a split). It cannot
 * tell a wrong share from a right one: see vigil__pm_shamir_check. */
int vigil__pm_shamir_combine(uint8_t secret[32], const vigil__pm_share *shares,
			     unsigned t);
/* Detects wrong shares: 0 if all n >= t shares lie on one polynomial of
 * degree t-1 (interpolate from the first t, check the rest), 1 if not, -1 on
 * bad x. With n == t there is no redundancy and nothing can be detected;
 * that is why E1 verifies a recovered key by decrypting with it (AEAD). */
int vigil__pm_shamir_check(const vigil__pm_share *shares, unsigned n, unsigned t);

/* Berlekamp–Welch decoding (rs.c): of n shares with distinct x, finds the
 * polynomial f of degree < t that agrees with at least n - (n-t)/2 of them
 * (unique if it exists), writes f(0) and on[i] = 1 where share i lies on f.
 * 0 if found, -1 if no such polynomial (more errors than (n-t)/2), -2 out
 * of memory. Branches on the shares: server side only. */
int vigil__pm_rs_decode(const vigil__pm_share *sh, unsigned n, unsigned t, uint8_t f0[32],
			uint8_t *on);

/* --------------------------------------------------------------------- DPF */
/* Boyle–Gilboa–Ishai distributed point function, domain 2^16, 1-bit output,
 * with early termination: the tree stops at 2^9 leaves of 128 bits each.
 * PRG: ChaCha20 (crypto_stream_chacha20_ietf) keyed by the 16-byte seed. */
#define VIGIL__PM_DPF_BITS 16
#define VIGIL__PM_DPF_LEVELS 9 /* 16 - log2(128) */
typedef struct vigil__pm_dpf_key {
	uint8_t seed[16];                     /* root seed */
	uint8_t t;                            /* root control bit (0 or 1) */
	uint8_t cw_s[VIGIL__PM_DPF_LEVELS][16]; /* per-level seed correction */
	uint8_t cw_t[VIGIL__PM_DPF_LEVELS][2];  /* per-level control corrections (L,R) */
	uint8_t cw_out[16];                   /* output correction (128-bit leaf) */
} vigil__pm_dpf_key;
#define VIGIL__PM_DPF_KEY_BYTES (16 + 1 + VIGIL__PM_DPF_LEVELS * 18 + 16)

/* Makes the two keys of the point function f(alpha) = 1, f(x) = 0 otherwise. */
int vigil__pm_dpf_gen(vigil__pm_dpf_key *k0, vigil__pm_dpf_key *k1, uint16_t alpha);
/* Full-domain evaluation of one key: out is 2^16 bits (8192 bytes), bit x at
 * out[x >> 3] >> (x & 7). The two keys' outputs XOR to f. */
void vigil__pm_dpf_eval_all(const vigil__pm_dpf_key *k, uint8_t out[8192]);
/* Wire form (VIGIL__PM_DPF_KEY_BYTES); parse refuses a control bit > 1. */
void vigil__pm_dpf_serialize(uint8_t *buf, const vigil__pm_dpf_key *k);
int vigil__pm_dpf_parse(vigil__pm_dpf_key *k, const uint8_t *buf, size_t len);

/* --------------------------------------------------------------------- GMW */
/* Two-party GMW over XOR shares, bit-sliced in 64-bit words (64 independent
 * instances per word), with Beaver triples dealt by a third party (the
 * client, in F2). A party's state holds its share of every wire. */
typedef struct vigil__pm_triple {
	uint64_t a, b, c; /* this party's shares; a0^a1 & b0^b1 == c0^c1 */
} vigil__pm_triple;

/* Deals n triples: t0[i], t1[i] are the two parties' shares. randombytes. */
void vigil__pm_gmw_deal(vigil__pm_triple *t0, vigil__pm_triple *t1, size_t n);

/* The comparison circuit of F2 (study §5.4): given XOR shares of 256-bit
 * words w (w = x ^ y, one candidate per bit lane), outputs shares of
 * [popcount(w) <= threshold]. Both parties run it in lock step; a round is
 * the batch of ANDs of one layer. The transport is a callback so the test can
 * run both parties in one process and the server can put it on a socket. */
typedef struct vigil__pm_gmw vigil__pm_gmw;
/* Number of AND gates (triples, in 64-lane words) the circuit uses. */
size_t vigil__pm_gmw_hd_ands(void);
/* Runs both parties in one process (the reference/test driver): shares
 * w0[256], w1[256] (bit-sliced: w[i] bit l = bit i of lane l's word), the
 * two parties' triples (vigil__pm_gmw_hd_ands() each), out0/out1 the output
 * shares. Returns 0, -1 if out of triples or T > 255, -2 if out of memory. */
int vigil__pm_gmw_hd_le_local(const uint64_t w0[256], const uint64_t w1[256],
			      unsigned threshold, const vigil__pm_triple *t0,
			      const vigil__pm_triple *t1, size_t ntriples,
			      uint64_t *out0, uint64_t *out1);

/* "Is any of nwords x 64 candidates within T?": the per-word circuit, then
 * an OR over all words and lanes, one output bit shared as out0 ^ out1 (the
 * low bit). Needs vigil__pm_gmw_any_ands(nwords) triples per party. */
size_t vigil__pm_gmw_any_ands(size_t nwords);
int vigil__pm_gmw_any_le_local(const uint64_t (*w0)[256], const uint64_t (*w1)[256],
			       size_t nwords, unsigned threshold, const vigil__pm_triple *t0,
			       const vigil__pm_triple *t1, size_t ntriples, uint8_t *out0,
			       uint8_t *out1);

/* The same circuits with the two parties in two processes (f2net.c
 * carries the bytes). Each party holds only its shares and its own
 * triples; every AND layer is one exchange of messages over fd (party 1
 * writes then reads, party 0 reads then writes, so neither blocks on a full
 * socket). Return 0, or -1 (out of triples, bad argument, peer gone). */
/* Sends n bytes of mine and receives n bytes of theirs. 0 or -1. */
int vigil__pm_xchg(int fd, int party, const void *mine, void *theirs, size_t n);
/* What this thread's exchanges sent so far (bytes, rounds). */
void vigil__pm_xchg_stats(uint64_t *bytes, uint64_t *rounds);
int vigil__pm_gmw_any_le_party(int party, int fd, const uint64_t (*w)[256], size_t nwords,
			       unsigned threshold, const vigil__pm_triple *t, size_t ntriples,
			       uint8_t *out);
/* F2's per-account counter: ctr is this party's share of a 9-bit counter
 * (bit i in bit i); adds the shared bit m, then opens only [ctr >= k] to
 * both parties (*ge). Uses vigil__pm_gmw_count_ands() triples. */
#define VIGIL__PM_CTR_BITS 9
size_t vigil__pm_gmw_count_ands(void);
int vigil__pm_gmw_count_party(int party, int fd, uint16_t *ctr, uint8_t m, unsigned k,
			      const vigil__pm_triple *t, size_t ntriples, int *ge);
/* n (<= 64) ANDs of shared words in one round: z = x & y. */
int vigil__pm_gmw_and_party(int party, int fd, const uint64_t *x, const uint64_t *y,
			    uint64_t *z, size_t n, const vigil__pm_triple *t, size_t ntriples);

/* ---------------------------------------------------------------------- F2 */
/* F2's bucket tables (f2.c): 16 chunk tables of 65,536 buckets x B entries
 * plus a stash of S per table. */
typedef struct vigil__pm_f2_tables {
	unsigned B, S;      /* bucket entries, stash entries per table */
	uint8_t *rows[16];  /* 65536 * B * 32 bytes */
	uint8_t *stash[16]; /* S * 32 bytes */
} vigil__pm_f2_tables;

/* Chunk j (0..15) of a hash: bits 16j..16j+15, big-endian bytes 2j, 2j+1. */
static inline unsigned vigil__pm_f2_chunk(const uint8_t h[32], unsigned j)
{
	return (unsigned)h[2 * j] << 8 | h[2 * j + 1];
}
/* Builds the tables from n hashes; B is measured (<= max_b, else
 * VIGIL_ETOOBIG); seed makes the dummies (both servers use the same). */
int vigil__pm_f2_build(vigil__pm_f2_tables *t, const uint8_t (*h)[32], size_t n,
		       unsigned stash, unsigned max_b, const uint8_t seed[32]);
void vigil__pm_f2_free(vigil__pm_f2_tables *t);
/* One server's answer for table j: XOR of the rows whose DPF bit is set;
 * out holds B * 32 bytes (8-byte aligned). */
void vigil__pm_f2_fetch(const vigil__pm_f2_tables *t, unsigned j, const uint8_t bits[8192],
			uint8_t *out);

/* Bit-slices a 32-byte word into lane c of w: bit i in w[c / 64][i], lane
 * c % 64 (how candidates enter the comparison circuit). */
void vigil__pm_to_lane(uint64_t (*w)[256], size_t c, const uint8_t h[32]);
/* One whole F2 query with both servers in this process (recall
 * measurements, tests): the client XOR-shares x and makes the 16 DPF key
 * pairs and the triples, each server fetches its share of the 16 buckets
 * (plus the stash), and GMW computes "some candidate within T"; *match is
 * the opened bit. s1 and s2 must be built from the same bank and seed.
 * 0, or VIGIL_ENOMEM / VIGIL_EINTERNAL. */
int vigil__pm_f2_query_local(const vigil__pm_f2_tables *s1, const vigil__pm_f2_tables *s2,
			     const uint8_t x[32], unsigned T, int *match);

/* F2 with its two servers in two processes (f2net.c). */
#define VIGIL__PM_F2_MAX_MSG (64u << 20)
/* HOST:PORT (HOST may be [IPv6]) for a stream socket, as both the servers
 * and the client take it: 0 with *res (freeaddrinfo), or -1. passive for
 * a listening address. */
struct addrinfo;
int vigil__pm_resolve(const char *spec, struct addrinfo **res, int passive);
/* Length-prefixed messages on a stream socket. recv: *msg vigil__free'd. */
int vigil__pm_f2_send(int fd, const uint8_t *msg, size_t len);
int vigil__pm_f2_recv(int fd, uint8_t **msg, size_t *len);
/* Triples the client deals per query and party for tables of B and S. */
size_t vigil__pm_f2_ntriples(unsigned B, unsigned S);
/* Client: the two query messages (msg[p] for party p, vigil__free'd) for
 * PDQ x of an account (1..64 bytes), a stable image id, and evidence that
 * only party 1 receives, sealed under a fresh K_img that is XOR-shared. */
int vigil__pm_f2_client_query(const uint8_t x[32], const char *account, const uint8_t *id,
			      size_t id_len, const uint8_t *evidence, size_t ev_len, unsigned B,
			      unsigned S, uint8_t *msg[2], size_t len[2]);
/* One server party (0: custodian, 1: platform) with its tables (borrowed),
 * threshold k and radius T, talking to the other over peer_fd. */
typedef struct vigil__pm_f2_party vigil__pm_f2_party;
int vigil__pm_f2_party_new(vigil__pm_f2_party **out, int party, int peer_fd,
			   const vigil__pm_f2_tables *t, unsigned k, unsigned T);
void vigil__pm_f2_party_free(vigil__pm_f2_party *p);
/* Handles one client query (both parties must handle the same queries in
 * the same order): fetch, comparison, counter, and release once the
 * account's count reaches k. */
int vigil__pm_f2_party_query(vigil__pm_f2_party *p, const uint8_t *q, size_t len);
/* What the party holds for an account: whether the threshold opened, its
 * images, and (party 1) how many evidence payloads opened. */
int vigil__pm_f2_party_status(const vigil__pm_f2_party *p, const char *account, int *over,
			      size_t *nimages, size_t *nopened);
int vigil__pm_f2_party_evidence(const vigil__pm_f2_party *p, const char *account, size_t i,
				const uint8_t **ev, size_t *len);
/* Queries that added an image so far (the two parties' counts agree
 * while they are in step). */
uint64_t vigil__pm_f2_party_seq(const vigil__pm_f2_party *p);
/* The party's state as bytes (*buf vigil__free'd; the platform's holds
 * opened evidence in the clear: seal it), and back into a party just made
 * with the same role, k and T (VIGIL_EINVAL otherwise; VIGIL_ECORRUPT for
 * damaged bytes, the party then left empty). */
int vigil__pm_f2_party_export(const vigil__pm_f2_party *p, uint8_t **buf, size_t *len);
int vigil__pm_f2_party_import(vigil__pm_f2_party *p, const uint8_t *buf, size_t len);

/* ---------------------------------------------------------------------- E1 */
/* Tests only: -1 draws the synthetic coin as configured, 0 never makes a
 * synthetic voucher, 1 always does. */
void vigil__pm_e1_force_synthetic(vigil_pm_e1_client *c, int mode);
/* Tests and benchmarks: how the last vigil_pm_e1_account_recover found the
 * key: *decoded 1 if by Reed–Solomon decoding, *trials the t-subsets it
 * tried (0 if decoding sufficed). */
void vigil__pm_e1_recover_stats(const vigil_pm_e1_account *a, int *decoded, long *trials);
/* Tests only: which of the voucher's 3 slot records opens (-1: none). */
int vigil__pm_e1_opened_position(const vigil_pm_e1_server *s, const uint8_t *voucher);


#endif
