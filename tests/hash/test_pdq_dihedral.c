/* The eight dih/ images (one photo rotated and flipped, re-encoded by an
 * outside tool) map onto the original's dihedral hashes: each image's own
 * hash is nearest to the variant of the original named for its transform,
 * and within the usual match distance. And the mapping is consistent from
 * every image, not just the original: variant v of image a ≈ image b. */
#include "vigil.h"
#include "../test.h"

#include <limits.h>

static const char *files[8] = {
	"bridge-1-original.jpg",  "bridge-2-rotate-90.jpg",
	"bridge-3-rotate-180.jpg", "bridge-4-rotate-270.jpg",
	"bridge-5-flipx.jpg",     "bridge-6-flipy.jpg",
	"bridge-7-flip-plus-1.jpg", "bridge-8-flip-minus-1.jpg",
};

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "../shared/vectors/pdq";
	vigil_pdq dih[8][8], plain[8];
	vigil_ctx *ctx;
	char path[PATH_MAX];
	int i, v, best, bestd;

	CHECK(vigil_ctx_new(&ctx) == 0);
	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "%s/dih/%s", dir, files[i]);
		CHECKF(vigil_pdq_hash_file(ctx, path, NULL, &plain[i], dih[i]) == 0,
		       "%s: %s", path, vigil_errmsg(ctx));
		CHECK(memcmp(&plain[i], &dih[i][0], sizeof(vigil_pdq)) == 0);
	}
	for (i = 0; i < 8; i++) {
		best = -1;
		bestd = 257;
		for (v = 0; v < 8; v++) {
			int d = vigil_pdq_distance(&dih[0][v], &plain[i]);
			if (d < bestd) {
				bestd = d;
				best = v;
			}
		}
		CHECKF(best == i && bestd <= 16, "%s: nearest variant %s at %d",
		       files[i], vigil_dihedral_name(best), bestd);
		/* Unrelated variants are far apart. */
		for (v = 0; v < 8; v++)
			if (v != i)
				CHECKF(vigil_pdq_distance(&dih[0][v], &plain[i]) > 64,
				       "%s vs %s", files[i], vigil_dihedral_name(v));
	}
	/* From the rotated image back to the original: rot270 of rot90 is
	 * the original, flips are their own inverse. */
	CHECK(vigil_pdq_distance(&dih[1][VIGIL_DIH_ROTATE270], &plain[0]) <= 16);
	CHECK(vigil_pdq_distance(&dih[3][VIGIL_DIH_ROTATE90], &plain[0]) <= 16);
	CHECK(vigil_pdq_distance(&dih[2][VIGIL_DIH_ROTATE180], &plain[0]) <= 16);
	for (i = 4; i < 8; i++)
		CHECK(vigil_pdq_distance(&dih[i][i], &plain[0]) <= 16);
	vigil_ctx_free(ctx);
	return test_done("pdq_dihedral");
}
