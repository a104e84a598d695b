/* Hex form and Hamming distance of PDQ hashes. */
#include "vigil.h"
#include "../test.h"

int main(void)
{
	const char *hex = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
	vigil_pdq a, b;
	char out[65];
	int i;

	CHECK(vigil_pdq_from_hex(hex, &a) == VIGIL_OK);
	vigil_pdq_to_hex(&a, out);
	CHECK(strcmp(out, hex) == 0);
	CHECK(a.bits[0] == 0xf8 && a.bits[31] == 0x22);
	CHECK(vigil_pdq_from_hex("F8F8F0CEE0F4A84F06370A22038F63F0B36E2ED596621E1D33E6B39C4E9C9B22", &b) == VIGIL_OK);
	CHECK(vigil_pdq_distance(&a, &b) == 0);
	b.bits[5] ^= 0x81;
	b.bits[31] ^= 0x01;
	CHECK(vigil_pdq_distance(&a, &b) == 3);
	for (i = 0; i < 32; i++)
		b.bits[i] = (uint8_t)~a.bits[i];
	CHECK(vigil_pdq_distance(&a, &b) == 256);
	/* Wrong length, bad digits, trailing junk, NULL. */
	CHECK(vigil_pdq_from_hex("f8f8", &b) == VIGIL_EINVAL);
	CHECK(vigil_pdq_from_hex("g8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22", &b) == VIGIL_EINVAL);
	CHECK(vigil_pdq_from_hex("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22 ", &b) == VIGIL_EINVAL);
	CHECK(vigil_pdq_from_hex(NULL, &b) == VIGIL_EINVAL);
	CHECK(strcmp(vigil_dihedral_name(VIGIL_DIH_ROTATE90), "rot90") == 0);
	CHECK(strcmp(vigil_dihedral_name(99), "unknown") == 0);
	return test_done("pdq_hex");
}
