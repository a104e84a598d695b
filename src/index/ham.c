/* ham.c — Hamming-distance kernels over packed 256-bit hashes: a portable
 * reference, a POPCNT version, and AVX2 and AVX-512 (VPOPCNTDQ) scans, picked
 * once at first use (libsodium's pick_best_implementation). tests/index/
 * test_kernels.c checks each against the reference. */
#include "index_int.h"

#include <pthread.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAM_X86 1
#endif

/* ------------------------------------------------------------ reference */

static inline int dist4_ref(const uint64_t *p, const uint64_t q[4])
{
	return __builtin_popcountll(p[0] ^ q[0]) +
	       __builtin_popcountll(p[1] ^ q[1]) +
	       __builtin_popcountll(p[2] ^ q[2]) +
	       __builtin_popcountll(p[3] ^ q[3]);
}

static size_t scan_ref(const uint64_t *hw, uint32_t base, size_t n,
		       const uint64_t q[4], int r, uint32_t *out,
		       uint16_t *dist)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		int d = dist4_ref(hw + 4 * i, q);

		if (d <= r) {
			out[k] = base + (uint32_t)i;
			dist[k++] = (uint16_t)d;
		}
	}
	return k;
}

static size_t gather_ref(const uint64_t *hw, const uint32_t *slots, size_t n,
			 const uint64_t q[4], int r, uint32_t *out,
			 uint16_t *dist)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		int d = dist4_ref(hw + 4 * (size_t)slots[i], q);

		if (d <= r) {
			out[k] = slots[i];
			dist[k++] = (uint16_t)d;
		}
	}
	return k;
}

static const vigil__ham_ops ops_ref = {"ref", scan_ref, gather_ref};

#ifdef HAM_X86
/* ------------------------------------------------------------- POPCNT */

#define HAM_PREFETCH 16 /* candidates ahead: hides the random hw[] misses */

__attribute__((target("popcnt"))) static inline int
dist4_popcnt(const uint64_t *p, const uint64_t q[4])
{
	return __builtin_popcountll(p[0] ^ q[0]) +
	       __builtin_popcountll(p[1] ^ q[1]) +
	       __builtin_popcountll(p[2] ^ q[2]) +
	       __builtin_popcountll(p[3] ^ q[3]);
}

__attribute__((target("popcnt"))) static size_t
scan_popcnt(const uint64_t *hw, uint32_t base, size_t n, const uint64_t q[4],
	    int r, uint32_t *out, uint16_t *dist)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		int d = dist4_popcnt(hw + 4 * i, q);

		if (d <= r) {
			out[k] = base + (uint32_t)i;
			dist[k++] = (uint16_t)d;
		}
	}
	return k;
}

/* The MIH candidate check: slots come from one bucket, so the hashes they
 * name are scattered over hw[]; prefetching a few ahead overlaps the misses. */
__attribute__((target("popcnt"))) static size_t
gather_popcnt(const uint64_t *hw, const uint32_t *slots, size_t n,
	      const uint64_t q[4], int r, uint32_t *out, uint16_t *dist)
{
	size_t i, k = 0;

	for (i = 0; i < n && i < HAM_PREFETCH; i++)
		__builtin_prefetch(hw + 4 * (size_t)slots[i]);
	for (i = 0; i < n; i++) {
		int d;

		if (i + HAM_PREFETCH < n)
			__builtin_prefetch(hw + 4 * (size_t)slots[i + HAM_PREFETCH]);
		d = dist4_popcnt(hw + 4 * (size_t)slots[i], q);
		if (d <= r) {
			out[k] = slots[i];
			dist[k++] = (uint16_t)d;
		}
	}
	return k;
}

static const vigil__ham_ops ops_popcnt = {"popcnt", scan_popcnt,
					  gather_popcnt};

/* --------------------------------------------------------------- AVX2 */

/* Four entries at a time: per-byte popcounts by nibble lookup, summed to
 * four 16-bit partial counts per entry by VPSADBW; the four entries' partial
 * sums are packed one per 16-bit field and added horizontally, so one 64-bit
 * value ends up holding the four distances (each <= 256, no carry). */
__attribute__((target("avx2,popcnt"))) static size_t
scan_avx2(const uint64_t *hw, uint32_t base, size_t n, const uint64_t q[4],
	  int r, uint32_t *out, uint16_t *dist)
{
	const __m256i lut = _mm256_setr_epi8(
		0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1,
		2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
	const __m256i low = _mm256_set1_epi8(0x0f);
	const __m256i zero = _mm256_setzero_si256();
	const __m256i qq = _mm256_loadu_si256((const __m256i *)q);
	size_t i = 0, k = 0;

	for (; i + 4 <= n; i += 4) {
		__m256i s[4], t;
		__m128i h;
		uint64_t v;
		int j;

		for (j = 0; j < 4; j++) {
			__m256i x = _mm256_xor_si256(
				_mm256_loadu_si256(
					(const __m256i *)(hw + 4 * (i + j))),
				qq);
			__m256i lo = _mm256_and_si256(x, low);
			__m256i hi =
				_mm256_and_si256(_mm256_srli_epi16(x, 4), low);
			__m256i c = _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo),
						    _mm256_shuffle_epi8(lut, hi));
			s[j] = _mm256_sad_epu8(c, zero);
		}
		t = _mm256_or_si256(
			_mm256_or_si256(s[0], _mm256_slli_epi64(s[1], 16)),
			_mm256_or_si256(_mm256_slli_epi64(s[2], 32),
					_mm256_slli_epi64(s[3], 48)));
		h = _mm_add_epi64(_mm256_castsi256_si128(t),
				  _mm256_extracti128_si256(t, 1));
		v = (uint64_t)_mm_cvtsi128_si64(h) +
		    (uint64_t)_mm_extract_epi64(h, 1);
		for (j = 0; j < 4; j++) {
			int d = (int)(v >> (16 * j) & 0xffff);

			if (d <= r) {
				out[k] = base + (uint32_t)(i + j);
				dist[k++] = (uint16_t)d;
			}
		}
	}
	for (; i < n; i++) {
		int d = dist4_popcnt(hw + 4 * i, q);

		if (d <= r) {
			out[k] = base + (uint32_t)i;
			dist[k++] = (uint16_t)d;
		}
	}
	return k;
}

static const vigil__ham_ops ops_avx2 = {"avx2", scan_avx2, gather_popcnt};

/* ------------------------------------------------------------ AVX-512 */

/* Two entries per 512-bit register, VPOPCNTQ on the XOR, then two shuffles
 * and adds leave each entry's distance in all four of its lanes; a compare
 * against r gives a mask whose bits 0 and 4 are the two entries. Hits are
 * rare, so their distances are recomputed in scalar code. */
__attribute__((target("avx512f,avx512vpopcntdq,popcnt"))) static size_t
scan_avx512(const uint64_t *hw, uint32_t base, size_t n, const uint64_t q[4],
	    int r, uint32_t *out, uint16_t *dist)
{
	const __m512i qq = _mm512_broadcast_i64x4(
		_mm256_loadu_si256((const __m256i *)q));
	const __m512i rr = _mm512_set1_epi64(r);
	size_t i = 0, k = 0;

	for (; i + 8 <= n; i += 8) {
		unsigned m = 0;
		int j;

		for (j = 0; j < 4; j++) {
			__m512i x = _mm512_popcnt_epi64(_mm512_xor_si512(
				_mm512_loadu_si512(hw + 4 * (i + 2 * j)), qq));

			x = _mm512_add_epi64(
				x, _mm512_shuffle_epi32(x, (_MM_PERM_ENUM)0x4e));
			x = _mm512_add_epi64(x, _mm512_shuffle_i64x2(x, x, 0xb1));
			m |= (unsigned)(_mm512_cmple_epu64_mask(x, rr) & 0x11)
			     << j;
		}
		if (!m)
			continue;
		for (j = 0; j < 8; j++) {
			/* entry 2a+b is bit 4b+a of m */
			if (m >> ((j & 1) * 4 + j / 2) & 1) {
				out[k] = base + (uint32_t)(i + j);
				dist[k++] = (uint16_t)dist4_popcnt(
					hw + 4 * (i + j), q);
			}
		}
	}
	for (; i < n; i++) {
		int d = dist4_popcnt(hw + 4 * i, q);

		if (d <= r) {
			out[k] = base + (uint32_t)i;
			dist[k++] = (uint16_t)d;
		}
	}
	return k;
}

static const vigil__ham_ops ops_avx512 = {"avx512", scan_avx512,
					  gather_popcnt};
#endif /* HAM_X86 */

/* ------------------------------------------------------------- picking */

static const vigil__ham_ops *ham_list[4];
static size_t ham_count;
static pthread_once_t ham_once = PTHREAD_ONCE_INIT;

static void ham_pick(void)
{
	ham_list[ham_count++] = &ops_ref;
#ifdef HAM_X86
	__builtin_cpu_init();
	if (__builtin_cpu_supports("popcnt"))
		ham_list[ham_count++] = &ops_popcnt;
	if (__builtin_cpu_supports("popcnt") && __builtin_cpu_supports("avx2"))
		ham_list[ham_count++] = &ops_avx2;
	if (__builtin_cpu_supports("popcnt") &&
	    __builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512vpopcntdq"))
		ham_list[ham_count++] = &ops_avx512;
#endif
}

const vigil__ham_ops *const *vigil__ham_all(size_t *n)
{
	pthread_once(&ham_once, ham_pick);
	*n = ham_count;
	return ham_list;
}

const vigil__ham_ops *vigil__ham_best(void)
{
	pthread_once(&ham_once, ham_pick);
	return ham_list[ham_count - 1];
}
