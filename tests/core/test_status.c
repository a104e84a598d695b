/* Status table: every code has a distinct description and name, unknown
 * codes are named as such, and the numbering is stable. */
#include "vigil.h"
#include "../../src/core/core.h"
#include "../test.h"

int main(void)
{
	vigil_ctx *ctx = NULL;
	int i, j;

	CHECK(VIGIL_OK == 0);
	CHECK(VIGIL_ENOMEM == 1);
	CHECK(VIGIL_EINTERNAL == 8);
	for (i = 0; i < VIGIL__STATUS_END; i++) {
		CHECK(vigil_strerror(i) && *vigil_strerror(i));
		CHECK(strncmp(vigil_status_name(i), "VIGIL_", 6) == 0);
		for (j = 0; j < i; j++)
			CHECK(strcmp(vigil_strerror(i), vigil_strerror(j)) != 0);
	}
	CHECK(strcmp(vigil_strerror(-1), "unknown status") == 0);
	CHECK(strcmp(vigil_strerror(VIGIL__STATUS_END), "unknown status") == 0);
	CHECK(strcmp(vigil_status_name(VIGIL_ETOOBIG), "VIGIL_ETOOBIG") == 0);

	CHECK(vigil_ctx_new(&ctx) == VIGIL_OK);
	CHECK(*vigil_errmsg(ctx) == '\0');
	CHECK(vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_PIXELS, 0) == VIGIL_EINVAL);
	CHECK(*vigil_errmsg(ctx) != '\0');
	CHECK(vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_PIXELS, 10) == VIGIL_OK);
	CHECK(vigil_ctx_get_limit(ctx, VIGIL_LIMIT_MAX_PIXELS) == 10);
	CHECK(vigil_ctx_get_limit(ctx, VIGIL__LIMIT_END) == -1);
	vigil_ctx_free(ctx);
	vigil_ctx_free(NULL);

	/* Growable arrays: room is made only when full; failure keeps the
	 * array; an overflowing size is refused. */
	{
		size_t cap = 0, i;
		int *a = NULL, *g;
		for (i = 0; i < 100; i++) {
			g = vigil__grow(a, &cap, i, sizeof(*a));
			CHECK(g != NULL && cap > i);
			a = g;
			a[i] = (int)i;
		}
		CHECK(cap == 128 && a[99] == 99);
		vigil__fault_after(0);
		CHECK(vigil__grow(a, &cap, 128, sizeof(*a)) == NULL && cap == 128);
		CHECK(vigil__grow(a, &cap, 5, sizeof(*a)) == a); /* no allocation */
		vigil__fault_after(-1);
		cap = (size_t)1 << 62;
		CHECK(vigil__grow(a, &cap, cap, 16) == NULL);
		vigil__free(a);
	}

	/* Allocation failure at context creation is reported, not a crash. */
	vigil__fault_after(0);
	CHECK(vigil_ctx_new(&ctx) == VIGIL_ENOMEM);
	CHECK(ctx == NULL);
	vigil__fault_after(-1);
	return test_done("status");
}
