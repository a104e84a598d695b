/* groom_store.c — per-pair grooming state in a store (vigil/text.h,
 * "Per-pair state"): the pair key, the packed state, argument checks,
 * then the backend. */
#include "text_int.h"
#include "../store/store.h"

#include <sodium.h>
#include <string.h>

void vigil_groom_pair_key(const char *conversation, const char *author,
			  uint8_t key[VIGIL_GROOM_KEY_BYTES])
{
	crypto_generichash_state h;
	static const uint8_t nul = 0;

	/* ids hold no NUL (the API refuses them), so the pair is unambiguous */
	crypto_generichash_init(&h, NULL, 0, VIGIL_GROOM_KEY_BYTES);
	crypto_generichash_update(&h, (const uint8_t *)conversation, strlen(conversation));
	crypto_generichash_update(&h, &nul, 1);
	crypto_generichash_update(&h, (const uint8_t *)author, strlen(author));
	crypto_generichash_final(&h, key, VIGIL_GROOM_KEY_BYTES);
}

int vigil_groom_state_load(vigil_store *st, const uint8_t *key, vigil_groom_state *out,
			   int64_t *seen)
{
	uint8_t buf[VIGIL_GROOM_STATE_BYTES + 1];
	size_t len = 0;
	int rc;

	if (!st || !key || !out || !seen)
		return VIGIL_EINVAL;
	memset(out, 0, sizeof(*out));
	*seen = 0;
	rc = NEED_OP(st, groom_state_get, key, buf, sizeof(buf), &len, seen);
	if (rc)
		return rc;
	if (vigil_groom_state_unpack(buf, len, out))
		return vigil__err(st->ctx, VIGIL_ECORRUPT, "grooming state: bad stored row");
	return VIGIL_OK;
}

int vigil_groom_state_save(vigil_store *st, const uint8_t *key, int64_t seen,
			   const vigil_groom_state *s)
{
	uint8_t buf[VIGIL_GROOM_STATE_BYTES];

	if (!st || !key || !s)
		return VIGIL_EINVAL;
	vigil_groom_state_pack(s, buf);
	return NEED_OP(st, groom_state_put, key, seen, buf, sizeof(buf));
}

int vigil_groom_state_evict(vigil_store *st, int64_t before, int64_t *deleted)
{
	int64_t d = 0;
	int rc;

	if (!st)
		return VIGIL_EINVAL;
	rc = NEED_OP(st, groom_state_evict, before, &d);
	if (deleted)
		*deleted = d;
	return rc;
}
