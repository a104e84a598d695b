/* gen_hashes — writes N synthetic PDQ list lines (hash,quality,id) for the
 * import benchmark: random hashes, and with -c a clustered set where each
 * base hash is followed by near-duplicates (a few bits flipped), like the
 * hashes of real images and their edits. Deterministic for a given seed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

int main(int argc, char **argv)
{
	uint64_t seed = 0x1234567, base[4] = {0}, h[4];
	long n, i;
	int clustered = argc > 2 && !strcmp(argv[2], "-c"), k;

	if (argc < 2 || (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: gen_hashes N [-c] > list.csv\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		if (!clustered || i % 8 == 0)
			for (k = 0; k < 4; k++)
				base[k] = next(&seed);
		memcpy(h, base, sizeof(h));
		if (clustered && i % 8)
			for (k = 0; k < 6; k++) {
				uint64_t bit = next(&seed) % 256;
				h[bit / 64] ^= 1ULL << (bit % 64);
			}
		printf("%016llx%016llx%016llx%016llx,%d,item-%ld\n",
		       (unsigned long long)h[0], (unsigned long long)h[1],
		       (unsigned long long)h[2], (unsigned long long)h[3],
		       50 + (int)(next(&seed) % 51), i);
	}
	return 0;
}
