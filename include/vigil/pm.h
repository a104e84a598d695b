/*
 * vigil/pm.h — private matching (opt-in, research grade). Included by
 * vigil.h; do not include directly.
 *
 * Compiled in, off at run time: every entry point below except
 * vigil_pm_enable() and vigil_pm_enabled() returns VIGIL_EINVAL until the
 * process has called vigil_pm_enable(VIGIL_PM_ACK). Read docs/pm.md first:
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

#ifdef __cplusplus
}
#endif
#endif
