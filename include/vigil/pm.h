/*
 * vigil/pm.h — private matching (opt-in, research grade). Included by
 * vigil.h; do not include directly.
 *
 * Compiled in, off at run time: every entry point below that computes or
 * makes an object returns VIGIL_EINVAL until the process has called
 * vigil_pm_enable(VIGIL_PM_ACK) (getters and *_free work on what exists). Read docs/private-matching.md first:
 * what each party learns, the evasion caveat (a modified client can skip
 * scanning), and that this never replaces human review.
 *
 * Part 1: RFC 9497 OPRF / VOPRF, suite ristretto255-SHA512 (modes 0 and 1).
 * Part 2: E1, exact-list threshold PSI with associated data (Apple 2021
 *         shape): a blinded cuckoo table with a Merkle root, client
 *         vouchers, Shamir threshold per account, synthetic vouchers.
 * Byte strings are fixed-size arrays owned by the caller unless said.
 */
#ifndef VIGIL_PM_H
#define VIGIL_PM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The acknowledgement value vigil_pm_enable() wants: a caller must spell
 * it out, so the module never turns on by accident. */
#define VIGIL_PM_ACK 0x504d4f4b /* "PMOK" */

/* Turns the module on for this process (no way back). Returns VIGIL_OK, or
 * VIGIL_EINVAL for a wrong ack, or VIGIL_EINTERNAL if libsodium cannot
 * initialise. Thread-safe. */
int vigil_pm_enable(uint32_t ack);
/* 1 if enabled, else 0. */
int vigil_pm_enabled(void);

/* ------------------------------------------------------- RFC 9497 (V)OPRF */
#define VIGIL_PM_SCALAR_BYTES 32
#define VIGIL_PM_ELEMENT_BYTES 32
#define VIGIL_PM_PROOF_BYTES 64  /* c || s */
#define VIGIL_PM_OUTPUT_BYTES 64 /* SHA-512 */
#define VIGIL_PM_MAX_INPUT 65535 /* inputs are length-prefixed with 2 bytes */
#define VIGIL_PM_MAX_BATCH 1024  /* blinded elements per proof */

typedef enum vigil_pm_mode {
	VIGIL_PM_MODE_OPRF = 0,  /* modeOPRF */
	VIGIL_PM_MODE_VOPRF = 1, /* modeVOPRF (server proves its key) */
} vigil_pm_mode;

/* DeriveKeyPair (RFC 9497 §3.2.1). pk may be NULL. The caller wipes sk
 * (sodium_memzero) when done. */
int vigil_pm_derive_keypair(vigil_pm_mode mode, const uint8_t *seed, size_t seed_len,
			    const uint8_t *info, size_t info_len,
			    uint8_t sk[VIGIL_PM_SCALAR_BYTES],
			    uint8_t pk[VIGIL_PM_ELEMENT_BYTES]);

/* Client Blind (§3.3.1/§3.3.2). If fixed_blind is NULL a random blind is
 * drawn (the normal case; fixed_blind exists for known-answer tests).
 * Returns VIGIL_EINVAL if the input hashes to the identity. */
int vigil_pm_blind(vigil_pm_mode mode, const uint8_t *input, size_t input_len,
		   const uint8_t *fixed_blind, uint8_t blind[VIGIL_PM_SCALAR_BYTES],
		   uint8_t blinded[VIGIL_PM_ELEMENT_BYTES]);

/* Server BlindEvaluate for n blinded elements (n in 1..VIGIL_PM_MAX_BATCH).
 * In VOPRF mode it also writes one batched DLEQ proof (pk and proof
 * required; fixed_r is NULL except in known-answer tests). In OPRF mode pk,
 * proof and fixed_r are ignored. Returns VIGIL_EINVAL for an element that
 * does not decode or is the identity. */
int vigil_pm_blind_evaluate(vigil_pm_mode mode, const uint8_t sk[VIGIL_PM_SCALAR_BYTES],
			    const uint8_t pk[VIGIL_PM_ELEMENT_BYTES], size_t n,
			    const uint8_t (*blinded)[VIGIL_PM_ELEMENT_BYTES],
			    uint8_t (*evaluated)[VIGIL_PM_ELEMENT_BYTES],
			    const uint8_t *fixed_r, uint8_t proof[VIGIL_PM_PROOF_BYTES]);

/* VOPRF client: VerifyProof for the batch. VIGIL_OK or VIGIL_ECORRUPT. */
int vigil_pm_verify_proof(const uint8_t pk[VIGIL_PM_ELEMENT_BYTES], size_t n,
			  const uint8_t (*blinded)[VIGIL_PM_ELEMENT_BYTES],
			  const uint8_t (*evaluated)[VIGIL_PM_ELEMENT_BYTES],
			  const uint8_t proof[VIGIL_PM_PROOF_BYTES]);

/* Client Finalize for one element (after vigil_pm_verify_proof in VOPRF
 * mode): unblind and hash. The caller wipes blind afterwards. */
int vigil_pm_finalize(const uint8_t *input, size_t input_len,
		      const uint8_t blind[VIGIL_PM_SCALAR_BYTES],
		      const uint8_t evaluated[VIGIL_PM_ELEMENT_BYTES],
		      uint8_t out[VIGIL_PM_OUTPUT_BYTES]);

/* Server-side Evaluate (no client): F(sk, input). */
int vigil_pm_evaluate(vigil_pm_mode mode, const uint8_t sk[VIGIL_PM_SCALAR_BYTES],
		      const uint8_t *input, size_t input_len,
		      uint8_t out[VIGIL_PM_OUTPUT_BYTES]);


/* --------------------------------------------------------------------- E1 */
/* Exact-list threshold PSI with associated data (design study §1.2, §5.5).
 *
 * List holder / server: vigil_pm_e1_server_new() blinds a list of exact
 * keys (e.g. "sha256:" || digest) into a 3-way cuckoo table of points
 * P_j = alpha * H(key) (random points in empty slots) and keeps alpha.
 * vigil_pm_e1_table_export() gives the table the device downloads; its root
 * (vigil_pm_e1_server_root) is what is published out of band, so every
 * device can check it got the same table. The table carries the threshold.
 *
 * Device: vigil_pm_e1_table_load() checks a downloaded table against the
 * published root; vigil_pm_e1_client_new() makes the account's secrets
 * (adkey, its Shamir polynomial, the share-x PRF key); for each image
 * vigil_pm_e1_client_voucher() makes one voucher of fixed size. The device
 * cannot tell whether its voucher matches.
 *
 * Server: vigil_pm_e1_server_open() tries a voucher (no match: nothing is
 * stored, nothing learnt). Opened vouchers (real matches and synthetic ones,
 * indistinguishable below the threshold) go into the account's
 * vigil_pm_e1_account; vigil_pm_e1_account_recover() succeeds only once
 * the account holds >= threshold distinct real matches, and then opens the
 * evidence of exactly those.
 *
 * Threads: a vigil_pm_e1_server and a loaded table are read-only after
 * creation and may be shared; a client and an account are used by one
 * thread at a time (the server locks per account).
 *
 * The /v1/pm/e1/... routes of `vigil serve` (src/server/route_pm.c,
 * docs/private-matching.md) wrap these: GET /v1/pm/e1/table -> vigil_pm_e1_table_export
 * (+ root header); POST /v1/pm/e1/voucher -> vigil_pm_e1_server_open on
 * the account, kept in the store (vigil_pm_store_*), then
 * vigil_pm_e1_account_recover.
 */
#define VIGIL_PM_E1_MAX_KEY 64          /* bytes of one list key */
#define VIGIL_PM_E1_MAX_ID 256          /* bytes of an image id */
#define VIGIL_PM_E1_MAX_EVIDENCE 65536  /* evidence bytes per voucher */
#define VIGIL_PM_E1_MAX_SLOTS (1u << 25) /* 1 GiB of table */
#define VIGIL_PM_E1_MAX_THRESHOLD 255
#define VIGIL_PM_E1_ROOT_BYTES 32

typedef struct vigil_pm_e1_server vigil_pm_e1_server;
typedef struct vigil_pm_e1_table vigil_pm_e1_table;
typedef struct vigil_pm_e1_client vigil_pm_e1_client;
typedef struct vigil_pm_e1_account vigil_pm_e1_account;

/* Builds the blinded table from n keys (keys[i] of lens[i] bytes, 1 ..
 * VIGIL_PM_E1_MAX_KEY; duplicates are allowed and stored once). threshold
 * in 1..VIGIL_PM_E1_MAX_THRESHOLD. *out is freed with
 * vigil_pm_e1_server_free (which wipes alpha). */
int vigil_pm_e1_server_new(vigil_pm_e1_server **out, const uint8_t *const *keys,
			   const size_t *lens, size_t n, unsigned threshold);
void vigil_pm_e1_server_free(vigil_pm_e1_server *s);
/* The published root over the table's header and every slot. */
void vigil_pm_e1_server_root(const vigil_pm_e1_server *s,
			     uint8_t root[VIGIL_PM_E1_ROOT_BYTES]);
/* The table as the device downloads it. *buf is malloc'd, freed by the
 * caller with free(). */
int vigil_pm_e1_table_export(const vigil_pm_e1_server *s, uint8_t **buf, size_t *len);

/* The server's whole state (alpha and the table) for its store, so that a
 * restart keeps the same table and root. SECRET: alpha unblinds every
 * slot; the caller wipes *buf (sodium_memzero) and frees it with free().
 * import parses bytes the server stored (checks L = alpha*G, recomputes
 * the root): VIGIL_ECORRUPT if they do not hold together. */
int vigil_pm_e1_server_export(const vigil_pm_e1_server *s, uint8_t **buf, size_t *len);
int vigil_pm_e1_server_import(vigil_pm_e1_server **out, const uint8_t *buf, size_t len);
unsigned vigil_pm_e1_server_threshold(const vigil_pm_e1_server *s);
size_t vigil_pm_e1_server_slots(const vigil_pm_e1_server *s);

/* Parses an untrusted table and checks it against root. VIGIL_ECORRUPT if
 * malformed or the root differs, VIGIL_ETOOBIG past VIGIL_PM_E1_MAX_SLOTS.
 * *out is freed with vigil_pm_e1_table_free. */
int vigil_pm_e1_table_load(vigil_pm_e1_table **out, const uint8_t *buf, size_t len,
			   const uint8_t root[VIGIL_PM_E1_ROOT_BYTES]);
void vigil_pm_e1_table_free(vigil_pm_e1_table *t);

/* The device's per-account state. t must outlive c. synthetic_p is the
 * probability that a voucher is synthetic (0 <= p < 1; Apple calibrated it
 * to the threshold). evidence_pad fixes the evidence size every voucher
 * carries (1..VIGIL_PM_E1_MAX_EVIDENCE), so all vouchers have one size. */
int vigil_pm_e1_client_new(vigil_pm_e1_client **out, const vigil_pm_e1_table *t,
			   double synthetic_p, size_t evidence_pad);
void vigil_pm_e1_client_free(vigil_pm_e1_client *c);
/* The device must keep its account state across restarts: a new state
 * means a new polynomial, and shares of two polynomials never combine.
 * export writes it (secret! the app stores it in its keystore and wipes buf
 * with sodium_memzero) into buf of cap bytes, *len set; VIGIL_ETOOBIG if
 * cap < VIGIL_PM_E1_STATE_MAX is not enough. import parses untrusted bytes
 * against the table it is used with (thresholds must agree): VIGIL_ECORRUPT
 * otherwise. */
#define VIGIL_PM_E1_STATE_MAX (15 + 64 + 32 * (VIGIL_PM_E1_MAX_THRESHOLD - 1))
int vigil_pm_e1_client_export(const vigil_pm_e1_client *c, uint8_t *buf, size_t cap,
			      size_t *len);
int vigil_pm_e1_client_import(vigil_pm_e1_client **out, const vigil_pm_e1_table *t,
			      const uint8_t *buf, size_t len);
/* The size of every voucher this client makes. */
size_t vigil_pm_e1_voucher_size(const vigil_pm_e1_client *c);
/* One voucher for an image: key as in the list, id a stable image id (the
 * same image must get the same id: its Shamir x comes from it, so a re-sent
 * image is not a new share), evidence up to evidence_pad bytes (e.g. a
 * low-resolution derivative). voucher must hold vigil_pm_e1_voucher_size()
 * bytes. */
int vigil_pm_e1_client_voucher(vigil_pm_e1_client *c, const uint8_t *key, size_t key_len,
			       const uint8_t *id, size_t id_len, const uint8_t *evidence,
			       size_t evidence_len, uint8_t *voucher);

/* Server-side per-account store (threshold from the server's table). */
int vigil_pm_e1_account_new(vigil_pm_e1_account **out, const vigil_pm_e1_server *s);
void vigil_pm_e1_account_free(vigil_pm_e1_account *a);
/* Tries an untrusted voucher. *opened = 1 if its outer layer opened (a real
 * match or a synthetic voucher: the server cannot tell which), then it is
 * kept in a. VIGIL_ECORRUPT for a malformed voucher. A voucher whose x
 * repeats one already held (the same image again) is not kept twice. */
int vigil_pm_e1_server_open(const vigil_pm_e1_server *s, vigil_pm_e1_account *a,
			    const uint8_t *voucher, size_t len, int *opened);
/* Outer-layer openings held (what the server learns regardless). */
size_t vigil_pm_e1_account_opened(const vigil_pm_e1_account *a);
/* Tries to reconstruct the account key from the held shares: VIGIL_OK with
 * *nmatched real matches identified once possible, VIGIL_ENOENT while not
 * (below the threshold, or past VIGIL_PM_E1_MAX_TRIALS subset trials; see
 * docs/private-matching.md for the cost). */
#define VIGIL_PM_E1_MAX_TRIALS 200000
int vigil_pm_e1_account_recover(vigil_pm_e1_account *a, size_t *nmatched);
/* After a successful recover: the i-th matched voucher's evidence (owned by
 * a, valid until a is freed). */
int vigil_pm_e1_account_evidence(const vigil_pm_e1_account *a, size_t i,
				 const uint8_t **evidence, size_t *len);

/* ------------------------------------------------------ server persistence */
/* What `vigil serve` keeps of E1 in its store (SQLite; the PostgreSQL
 * backend does not have these yet and answers VIGIL_EINVAL). One server
 * state at a time (vigil_pm_e1_server_export bytes: secret, as alpha is);
 * per account: the vouchers whose outer layer opened (nothing else of a
 * voucher is kept: a voucher that opened nothing teaches nothing and is
 * only counted) and counters. A new state deletes every account and
 * voucher in the same transaction: vouchers of another table never open
 * again. Accounts are 1..VIGIL_PM_ACCOUNT_MAX bytes of [A-Za-z0-9._:@-]. */
#define VIGIL_PM_ACCOUNT_MAX 128
typedef struct vigil_store vigil_store;
typedef struct vigil_pm_account_info {
	char account[VIGIL_PM_ACCOUNT_MAX + 1];
	int64_t received;     /* vouchers received */
	int64_t opened;       /* kept (outer layer opened, distinct images) */
	int64_t matched;      /* real matches identified (0 below threshold) */
	int64_t recovered_at; /* unix time the threshold was reached, 0 if not */
	int64_t first, last;  /* unix times of the first and last voucher */
} vigil_pm_account_info;
/* 1 if account is a valid account name. */
int vigil_pm_account_ok(const char *account);
int vigil_pm_store_state_put(vigil_store *st, const uint8_t *state, size_t len);
/* *state is malloc'd (caller wipes and frees with free()); VIGIL_ENOENT if none. */
int vigil_pm_store_state_get(vigil_store *st, uint8_t **state, size_t *len);
/* Counts one received voucher for account; with voucher non-NULL it is kept
 * as opened. One transaction. */
int vigil_pm_store_voucher_add(vigil_store *st, const char *account, const uint8_t *voucher,
			       size_t len, int64_t now);
/* The account's kept vouchers in the order received; a non-zero return of
 * cb stops the scan and is returned. */
typedef int (*vigil_pm_voucher_cb)(void *user, const uint8_t *voucher, size_t len);
int vigil_pm_store_voucher_scan(vigil_store *st, const char *account, vigil_pm_voucher_cb cb,
				void *user);
/* VIGIL_ENOENT for an account that never sent a voucher. */
int vigil_pm_store_account_get(vigil_store *st, const char *account, vigil_pm_account_info *out);
int vigil_pm_store_account_set_matched(vigil_store *st, const char *account, int64_t matched,
				       int64_t now);

/* ---------------------------------------------- F2 server process */
/* One of F2's two servers as a process over TCP (`vigil pm-server`,
 * docs/private-matching.md): builds its tables from the list (hex PDQ
 * hashes, one per line) and seed files, listens for clients on listen
 * (HOST:PORT, default 127.0.0.1:7431; port 0 picks one), links to the other
 * server (the custodian dials peer, the platform accepts the first peer
 * whose list, seed, k, T and stash digest equals its own) and serves
 * clients one connection at a time until SIGTERM or SIGINT, for which it
 * installs handlers. With a state file the accounts' shares survive a
 * restart; the peer hello then also compares how many images each side
 * holds, and two servers whose states are out of step (one crashed between
 * taking a query and saving it) refuse each other instead of computing on
 * mismatched shares. It reports as a server process does: the listening
 * line on stdout, errors on stderr. VIGIL_EINVAL for bad options or unless
 * vigil_pm_enable was called; VIGIL_OK after a signal; VIGIL_EIO when
 * the tables cannot be built, the port cannot be had or the peer link
 * broke (the parties' shares are then out of step). */
typedef struct vigil_pm_f2_server_opts {
	int party;             /* 0: custodian, 1: platform */
	const char *listen;    /* NULL: 127.0.0.1:7431 */
	const char *peer;      /* the platform's HOST:PORT (custodian only) */
	const char *hashes;    /* list file, or NULL with store + bank */
	const char *seed_file; /* 32 bytes, shared by both servers */
	unsigned k;            /* threshold per account, 1..255 */
	unsigned T;            /* Hamming radius, 0..255 */
	unsigned stash;        /* stash entries, 0..4096 */
	const char *state;     /* NULL: memory only; else the state file,
				  sealed under master_key_file (required
				  with it), loaded at start, rewritten
				  (temp + fsync + rename) after every query
				  that adds an image and before its answer */
	const char *master_key_file;
	vigil_store *store;    /* with bank: the list is the bank's PDQ */
	const char *bank;      /* entries (borrowed; read once at start) */
	vigil_store *cases;    /* platform only (borrowed): each account whose
				  evidence opens (or grows past k) opens or
				  joins a review case here as E1's does
				  (source "pm", join key "pm:f2", the items
				  sealed under master_key_file, required with
				  it), in one transaction before the state
				  file records the query; a store error stops
				  the server. NULL: no cases */
	int case_priority;     /* the case's priority; 0: 90 */
} vigil_pm_f2_server_opts;
int vigil_pm_f2_server_run(const vigil_pm_f2_server_opts *o);

/* ---------------------------------------------- F2 client */
/* A device (or the platform's backend acting for one) talking to F2's two
 * servers (`vigil pm-server`, docs/private-matching.md). Each query is
 * two messages, one per server: DPF keys for the hash's 16 chunks, XOR
 * shares of the hash and of a fresh image key, the dealt AND triples, and
 * for the platform only the evidence sealed under that image key. Neither
 * message alone holds the hash. The client is single-threaded; one client
 * handle serves one connection to each server. */
typedef struct vigil_pm_f2_client vigil_pm_f2_client;
typedef struct vigil_pm_f2_params {
	unsigned B, S; /* bucket entries and stash entries per table */
	unsigned k, T; /* the servers' threshold and Hamming radius */
} vigil_pm_f2_params;
/* Dials the custodian and the platform (HOST:PORT each) and asks each for
 * its parameters, which must agree (VIGIL_ECORRUPT otherwise). timeout_ms
 * bounds every reply (0: 20 s): a server that answers never makes a call
 * fail, not hang. VIGIL_EIO if a server cannot be reached. *out is freed
 * with vigil_pm_f2_client_close. */
int vigil_pm_f2_client_open(vigil_pm_f2_client **out, const char *custodian,
			    const char *platform, unsigned timeout_ms);
/* The same over two connected stream sockets, which the client takes
 * (closed by vigil_pm_f2_client_close, also when this call fails). */
int vigil_pm_f2_client_attach(vigil_pm_f2_client **out, int custodian_fd, int platform_fd,
			      unsigned timeout_ms);
void vigil_pm_f2_client_close(vigil_pm_f2_client *c);
const vigil_pm_f2_params *vigil_pm_f2_client_params(const vigil_pm_f2_client *c);
/* The two messages of one query without sending them (a device with its
 * own transport sends msg[0] to the custodian and msg[1] to the platform):
 * account 1..64 bytes of [A-Za-z0-9._:@-] (vigil_pm_account_ok; the
 * servers refuse others), id a stable image id (the same image gets the same
 * id, so it is not counted twice), evidence up to VIGIL_PM_E1_MAX_EVIDENCE
 * bytes. msg[p] is malloc'd; the caller frees both with free(). */
int vigil_pm_f2_query_make(const vigil_pm_f2_params *p, const uint8_t x[32],
			   const char *account, const uint8_t *id, size_t id_len,
			   const uint8_t *evidence, size_t ev_len, uint8_t *msg[2], size_t len[2]);
/* Sends one query's two messages and reads both acknowledgements. VIGIL_OK
 * if both servers handled it; else the first refusal's vigil_status (a
 * server that refuses a query refuses it at both: they compare first),
 * VIGIL_EIO if a connection failed. acks (may be NULL) gets each server's
 * answer (0 = handled). */
int vigil_pm_f2_client_send(vigil_pm_f2_client *c, uint8_t *const msg[2], const size_t len[2],
			    int acks[2]);
/* make + send. */
int vigil_pm_f2_client_query(vigil_pm_f2_client *c, const uint8_t x[32], const char *account,
			     const uint8_t *id, size_t id_len, const uint8_t *evidence,
			     size_t ev_len);
/* What server party (0 custodian, 1 platform) holds for account: *over 1
 * once the account's count reached k, *images the distinct images it
 * holds, and (platform) each opened evidence passed to cb (borrowed for
 * the call; a non-zero return stops and is returned). An operator's and a
 * test's view: a deployment keeps this port to its own network. */
typedef int (*vigil_pm_f2_evidence_cb)(void *user, const uint8_t *ev, size_t len);
int vigil_pm_f2_client_status(vigil_pm_f2_client *c, int party, const char *account, int *over,
			      size_t *images, size_t *opened, vigil_pm_f2_evidence_cb cb,
			      void *user);

/* ------------------------------------------------------------ review case */
typedef struct vigil_ctx vigil_ctx;
/* An account's evidence opened: open or join its review case (pmcase.c).
 * design "e1" or "f2" gives the case's join key "pm:DESIGN", its context's
 * surface "pm-DESIGN" and its match type. */
typedef struct vigil_pm_case {
	const char *design;       /* "e1", "f2" */
	const char *account;      /* the case's user_id */
	int priority;
	size_t n;                 /* matched items (the first VIGIL_CASE_MEDIA_MAX kept) */
	/* item i of n: 0 and the bytes (borrowed), else skipped */
	int (*evidence)(const void *user, size_t i, const uint8_t **ev, size_t *len);
	const void *user;
	const uint8_t *seal;      /* the master key the items are sealed with;
				     NULL: the content is not kept */
	/* Inside the transaction, for a new case (not a join): e.g. the
	 * server's case.created event; NULL for none. context is a json_t *. */
	int (*created)(void *user, vigil_store *st, int64_t case_id, int priority,
		       void *context);
	void *created_user;
	const char *who, *role, *source; /* the pm.case audit row */
} vigil_pm_case;
/* One transaction: the case (opened or joined), its items sealed (each
 * kept once), in->created, the audit row. The caller records its new match
 * count only after this returned 0. A status; nothing written on error. */
int vigil_pm_case_record(vigil_ctx *c, vigil_store *st, const vigil_pm_case *in,
			  int64_t *case_id, int *joined);

#ifdef __cplusplus
}
#endif
#endif
