/* xmd.c — expand_message_xmd (RFC 9380 section 5.3.1) with SHA-512, the
 * piece of hash-to-curve that libsodium 1.0.18 lacks. RFC 9497's
 * ristretto255-SHA512 suite hashes to the group as
 * from_hash(expand_message_xmd(msg, DST, 64)) and to scalars as
 * reduce(expand_message_xmd(msg, DST, 64)). */
#include <sodium.h>
#include <string.h>

#include "pm_int.h"

int vigil__pm_ready(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

int vigil__pm_xmd_sha512(uint8_t *out, size_t out_len, const uint8_t *const *msg,
			 const size_t *msg_len, size_t nmsg, const uint8_t *dst,
			 size_t dst_len)
{
	enum { B = 64, R = 128 }; /* SHA-512 output and block size */
	size_t ell = (out_len + B - 1) / B;
	if (out_len == 0 || ell > 255 || dst_len > 255 || out_len > 65535)
		return -1;
	uint8_t zpad[R] = {0};
	uint8_t lib[3] = {(uint8_t)(out_len >> 8), (uint8_t)out_len, 0};
	uint8_t dlen = (uint8_t)dst_len;
	uint8_t b0[B], bi[B], tmp[B];
	crypto_hash_sha512_state st;

	/* b_0 = H(Z_pad || msg || I2OSP(len, 2) || I2OSP(0, 1) || DST_prime) */
	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, zpad, R);
	for (size_t i = 0; i < nmsg; i++)
		crypto_hash_sha512_update(&st, msg[i], msg_len[i]);
	crypto_hash_sha512_update(&st, lib, 3);
	crypto_hash_sha512_update(&st, dst, dst_len);
	crypto_hash_sha512_update(&st, &dlen, 1);
	crypto_hash_sha512_final(&st, b0);

	/* b_i = H(strxor(b_0, b_(i-1)) || I2OSP(i, 1) || DST_prime), b_1 with
	 * b_0 alone. */
	for (size_t i = 1; i <= ell; i++) {
		uint8_t ctr = (uint8_t)i;
		if (i == 1) {
			memcpy(tmp, b0, B);
		} else {
			for (int j = 0; j < B; j++)
				tmp[j] = b0[j] ^ bi[j];
		}
		crypto_hash_sha512_init(&st);
		crypto_hash_sha512_update(&st, tmp, B);
		crypto_hash_sha512_update(&st, &ctr, 1);
		crypto_hash_sha512_update(&st, dst, dst_len);
		crypto_hash_sha512_update(&st, &dlen, 1);
		crypto_hash_sha512_final(&st, bi);
		size_t off = (i - 1) * B, n = out_len - off < B ? out_len - off : B;
		memcpy(out + off, bi, n);
	}
	/* The message may be secret (an item hash): wipe what derived from it. */
	sodium_memzero(b0, sizeof b0);
	sodium_memzero(bi, sizeof bi);
	sodium_memzero(tmp, sizeof tmp);
	sodium_memzero(&st, sizeof st);
	return 0;
}
