/* The built part's compressed offsets (index_int.h, build.c): every bucket's
 * range read back from its 16-byte block equals the counting sort's offsets,
 * on bucket-size distributions that take every path of the lookup (empty
 * tables, sparse and dense blocks, a bucket longer than a 64-bit window,
 * one bucket holding everything, tables shorter than a block); the word
 * select against a bit-by-bit walk; and blocks a snapshot could carry that
 * are not valid (offsets that do not add up, a side run cut short, too few
 * zeros) refused. */
#include "ixtest.h"
#include "../../src/index/index_int.h"

#include <stdlib.h>

/* Position of the k-th set bit, walking bit by bit. */
static unsigned slow_select(uint64_t x, unsigned k)
{
	unsigned i;

	for (i = 0; i < 64; i++)
		if ((x >> i) & 1) {
			if (!k)
				return i;
			k--;
		}
	return 64;
}

/* Fills counts for 2^len buckets by pattern, returns their sum. */
static size_t make_counts(unsigned long long *s, uint32_t *cnt, size_t nb,
			  int pattern)
{
	size_t v, sum = 0;

	for (v = 0; v < nb; v++) {
		switch (pattern) {
		case 0: cnt[v] = 0; break;                              /* empty */
		case 1: cnt[v] = (uint32_t)(test_rand(s) % 3); break;   /* ~uniform */
		case 2: cnt[v] = test_rand(s) % 50 ? 0 : (uint32_t)(test_rand(s) % 300); break;
		case 3: cnt[v] = v == nb / 3 ? 5000 : 0; break;         /* one bucket */
		default: cnt[v] = (uint32_t)(test_rand(s) % 9) == 0 ? 70 : 1; break;
		}
		sum += cnt[v];
	}
	return sum;
}

static int pdep; /* the CPU has BMI2: check the PDEP decoder too */

static void check_table(unsigned long long *s, int len, int pattern)
{
	size_t nb = (size_t)1 << len, n, v;
	uint32_t *cnt = malloc(nb * sizeof(*cnt));
	uint32_t *off = malloc((nb + 1) * sizeof(*off));
	struct ix_csr c = {0};
	size_t bad = 0;

	CHECK(cnt && off);
	n = make_counts(s, cnt, nb, pattern);
	off[0] = 0;
	for (v = 0; v < nb; v++)
		off[v + 1] = off[v] + cnt[v];
	c.blk = malloc(ix_csr_nblk(len) * sizeof(*c.blk));
	c.nside = vigil__ix_csr_nside(off, len);
	c.side = malloc((c.nside ? c.nside : 1) * sizeof(uint32_t));
	CHECK(c.blk && c.side);
	vigil__ix_csr_encode(&c, off, len);
	CHECK(c.nside == vigil__ix_csr_nside(off, len));
	if (pattern == 3)
		CHECK(c.nside == 33); /* the one huge bucket's block */
	for (v = 0; v < nb; v++) {
		uint32_t l, a = ix_csr_range(&c, (uint32_t)v, &l);

		if (a != off[v] || l != cnt[v])
			bad++;
#ifdef IX_HAVE_PDEP
		if (pdep) {
			a = ix_csr_range_pdep(&c, (uint32_t)v, &l);
			if (a != off[v] || l != cnt[v])
				bad++;
		}
#endif
	}
	CHECKF(bad == 0, "len %d pattern %d: %zu of %zu buckets wrong", len,
	       pattern, bad, nb);
	/* a snapshot's tables that do not add up are refused */
	CHECK(vigil__ix_csr_check(&c, n, len) == 0);
	CHECK(vigil__ix_csr_check(&c, n + 1, len) == -1);
	if (n)
		CHECK(vigil__ix_csr_check(&c, n - 1, len) == -1);
	if (c.nside) {
		c.nside--; /* a side run cut short */
		CHECK(vigil__ix_csr_check(&c, n, len) == -1);
		c.nside++;
	}
	if (!(c.blk[0].hi >> 31)) {
		uint64_t lo = c.blk[0].lo;

		c.blk[0].lo = ~0ULL; /* too few zeros for 32 buckets */
		CHECK(vigil__ix_csr_check(&c, n, len) == -1);
		c.blk[0].lo = lo;
	}
	free(c.blk);
	free(c.side);
	free(cnt);
	free(off);
}

int main(void)
{
	unsigned long long s = 0x637372ULL;
	int i, len, pattern;

#ifdef IX_HAVE_PDEP
	__builtin_cpu_init();
	pdep = __builtin_cpu_supports("bmi2");
#endif
	printf("PDEP decoder %s\n", pdep ? "checked too" : "not available");

	for (i = 0; i < 200000; i++) {
		uint64_t x = test_rand(&s);
		unsigned k, n;

		if (i % 4 == 1)
			x &= test_rand(&s) & test_rand(&s); /* sparse */
		if (i % 4 == 2)
			x |= test_rand(&s) | test_rand(&s); /* dense */
		if (i == 0)
			x = ~0ULL;
		n = (unsigned)pc64(x);
		if (!n)
			continue;
		k = (unsigned)(test_rand(&s) % n);
		if (ix_select64(x, k) != slow_select(x, k)) {
			CHECKF(0, "select64(%016llx, %u) = %u, want %u",
			       (unsigned long long)x, k, ix_select64(x, k),
			       slow_select(x, k));
			break;
		}
	}
	for (len = 1; len <= 16; len += (len < 8 ? 1 : 4))
		for (pattern = 0; pattern < 5; pattern++)
			check_table(&s, len, pattern);
	return test_done("index/csr");
}
