/* pdq_hex.c — PDQ hex form, distance and dihedral names. */
#include "../core/core.h"

#include <string.h>

void vigil_pdq_to_hex(const vigil_pdq *h, char hex[65])
{
	vigil_hex(h->bits, 32, hex);
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int vigil_pdq_from_hex(const char *hex, vigil_pdq *h)
{
	uint8_t b[32];
	int i;

	if (!hex || !h)
		return VIGIL_EINVAL;
	for (i = 0; i < 32; i++) {
		int hi = nibble(hex[2 * i]), lo;
		if (hi < 0)
			return VIGIL_EINVAL;
		lo = nibble(hex[2 * i + 1]);
		if (lo < 0)
			return VIGIL_EINVAL;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	if (hex[64] != '\0')
		return VIGIL_EINVAL;
	memcpy(h->bits, b, 32);
	return VIGIL_OK;
}

int vigil_pdq_distance(const vigil_pdq *a, const vigil_pdq *b)
{
	uint64_t x, y;
	int i, d = 0;

	for (i = 0; i < 4; i++) {
		memcpy(&x, a->bits + 8 * i, 8);
		memcpy(&y, b->bits + 8 * i, 8);
		d += __builtin_popcountll(x ^ y);
	}
	return d;
}

const char *vigil_dihedral_name(int v)
{
	static const char *const names[VIGIL_DIH_COUNT] = {
		"orig", "rot90", "rot180", "rot270",
		"flipx", "flipy", "flipplus1", "flipminus1"};

	return v >= 0 && v < VIGIL_DIH_COUNT ? names[v] : "unknown";
}
