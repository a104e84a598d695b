/* bench_faiss — vigil_index against faiss's IndexBinaryMultiHash and a
 * brute-force POPCNT scan, on the same synthetic hashes, in the same run, so
 * only ratios matter on a noisy machine. Optional: built only when a C++
 * compiler and faiss (Debian: libfaiss-dev) are found; see README.md.
 *
 * Data: exactly bench_index.c's (same generator, same seed, same order of
 * draws), so with the same N and query count both programs see the same
 * hashes and queries:
 *   random     uniform random 256-bit hashes;
 *   clustered  N/8 random originals, each with 7 near-duplicates at 2..24
 *              flipped bits.
 * Queries: near-dup (a stored hash with 0..16 bits flipped) and non-member
 * (random).
 *
 * Everything single-threaded (omp_set_num_threads(1) for faiss). vigil is
 * built with one vigil_index_add_many call and queried one query per call;
 * faiss gets all queries in one range_search call (its natural use; if
 * anything it favours faiss).
 *
 * faiss settings are "NHASHxBfNFLIP": nhash tables on consecutive b-bit
 * substrings, probed at all keys within nflip bits. Its range_search is
 * exact only when nhash * (nflip + 1) > r (pigeonhole over the substrings);
 * by default each (nhash, b) gets the smallest such nflip, plus one setting
 * below it (inexact, to show what it misses). faiss's range_search keeps
 * distances d < radius, so it is called with r + 1 for d <= r.
 *
 * Recall: vigil's ids are checked against the scan on the scanned sample of
 * queries; every faiss setting is checked against vigil on all queries (and
 * so against the scan on the sample).
 *
 * usage: bench_faiss [N [queries [radius [settings]]]]
 *        defaults 1000000 2000 31 and, for r = 31,
 *        16x16f1,12x21f2,11x23f2,8x32f3,16x16f0 */
#include "vigil.h"

#include <faiss/IndexBinaryHash.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <omp.h>

#include <malloc.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#define MAXHITS 4096

namespace {

/* bench_index.c's generator, same seed */
unsigned long long rng = 0x9e3779b97f4a7c15ULL;

uint64_t rnd()
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

double now()
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Bytes currently allocated through malloc (arena + mmap), for the memory
 * of an index: the difference around its build. */
size_t heap_bytes()
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

void flip(uint64_t w[4], int k)
{
	while (k-- > 0) {
		int b = (int)(rnd() % 256);

		w[b / 64] ^= 1ULL << (b % 64);
	}
}

void to_pdq(const uint64_t w[4], vigil_pdq *h)
{
	memcpy(h->bits, w, 32);
	h->quality = 100;
}

void die(const char *msg)
{
	fprintf(stderr, "bench_faiss: %s\n", msg);
	exit(1);
}

/* The common baseline: the obvious scan, four POPCNTs per hash. */
__attribute__((target("popcnt"))) size_t
scan(const uint64_t *hw, size_t n, const uint64_t q[4], int r,
     std::vector<uint64_t> *out)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		const uint64_t *p = hw + 4 * i;
		int d = __builtin_popcountll(p[0] ^ q[0]) +
			__builtin_popcountll(p[1] ^ q[1]) +
			__builtin_popcountll(p[2] ^ q[2]) +
			__builtin_popcountll(p[3] ^ q[3]);

		if (d <= r) {
			if (out)
				out->push_back(i);
			k++;
		}
	}
	return k;
}

struct Setting {
	int nhash, b, nflip;

	bool exact(int r) const { return nhash * (nflip + 1) > r; }
	std::string name() const
	{
		return std::to_string(nhash) + "x" + std::to_string(b) + "f" +
		       std::to_string(nflip);
	}
	long probes() const /* keys looked up per query */
	{
		long per = 0, c = 1;

		for (int k = 0; k <= nflip; k++) {
			per += c;
			c = c * (b - k) / (k + 1);
		}
		return per * nhash;
	}
};

std::vector<Setting> parse_settings(const char *s, int r)
{
	std::vector<Setting> v;

	if (!s) {
		static const int nb[][2] = {{16, 16}, {12, 21}, {11, 23}, {8, 32}};

		for (auto &p : nb)
			v.push_back({p[0], p[1], r / p[0]});
		if (r / 16 > 0)
			v.push_back({16, 16, r / 16 - 1});
		return v;
	}
	std::string str(s);
	size_t pos = 0;

	while (pos < str.size()) {
		size_t end = str.find(',', pos);
		std::string tok = str.substr(pos, end == std::string::npos ?
						     std::string::npos : end - pos);
		Setting st;

		if (sscanf(tok.c_str(), "%dx%df%d", &st.nhash, &st.b, &st.nflip) !=
			    3 ||
		    st.nhash < 1 || st.b < 1 || st.b > 56 || st.nflip < 0 ||
		    st.nflip > st.b || st.nhash * st.b > 256)
			die("settings: NHASHxBfNFLIP[,...], nhash*b <= 256, "
			    "b <= 56");
		v.push_back(st);
		if (end == std::string::npos)
			break;
		pos = end + 1;
	}
	return v;
}

struct Row {
	std::string name;
	double build = 0;     /* s */
	double bytes = 0;     /* allocated by the index, per entry */
	double qps[2] = {0, 0}; /* near-dup, non-member */
	bool exact = true;    /* by construction (pigeonhole) */
	size_t diff = 0;      /* queries whose id set differs from the truth */
	size_t missed = 0;    /* true hits not returned */
	size_t extra = 0;     /* returned but not within r */
	size_t checked = 0;   /* queries checked */
};

using Ids = std::vector<std::vector<uint64_t>>;

/* Compares got with truth query by query (both sorted). */
void compare(const Ids &truth, const Ids &got, size_t nq, Row *row)
{
	for (size_t i = 0; i < nq; i++) {
		const auto &a = truth[i], &b = got[i];
		std::vector<uint64_t> d;

		row->checked++;
		if (a == b)
			continue;
		row->diff++;
		std::set_difference(a.begin(), a.end(), b.begin(), b.end(),
				    std::back_inserter(d));
		row->missed += d.size();
		d.clear();
		std::set_difference(b.begin(), b.end(), a.begin(), a.end(),
				    std::back_inserter(d));
		row->extra += d.size();
	}
}

/* vigil: build (one add_many), time both query kinds, and keep its ids of
 * every query (the reference for faiss, itself checked against the scan). */
Row run_vigil(const uint64_t *hw, size_t n, const uint64_t *qs[2], size_t nq,
	      int r, Ids truth[2])
{
	static vigil_index_hit h[MAXHITS];
	std::vector<vigil_pdq> pdqs(n);
	std::vector<uint64_t> ids(n);
	vigil_index *ix;
	Row row;
	size_t i, found, m0;
	double t0;

	row.name = "vigil";
	for (i = 0; i < n; i++) {
		to_pdq(hw + 4 * i, &pdqs[i]);
		ids[i] = i;
	}
	m0 = heap_bytes();
	t0 = now();
	if (vigil_index_new(NULL, &ix) ||
	    vigil_index_add_many(ix, pdqs.data(), ids.data(), n))
		die("vigil index build failed");
	row.build = now() - t0;
	row.bytes = (double)(heap_bytes() - m0) / (double)n;
	for (int k = 0; k < 2; k++) {
		size_t sink = 0;

		t0 = now();
		for (i = 0; i < nq; i++) {
			vigil_pdq q;

			to_pdq(qs[k] + 4 * i, &q);
			if (vigil_index_query(ix, &q, r, h, MAXHITS, &found))
				die("vigil query failed");
			sink += found;
		}
		row.qps[k] = (double)nq / (now() - t0);
		if (sink == (size_t)-1)
			printf("?");
	}
	for (int k = 0; k < 2; k++) {
		truth[k].assign(nq, {});
		for (i = 0; i < nq; i++) {
			vigil_pdq q;

			to_pdq(qs[k] + 4 * i, &q);
			if (vigil_index_query(ix, &q, r, h, MAXHITS, &found) ||
			    found > MAXHITS)
				die("vigil query failed (or > MAXHITS hits)");
			for (size_t j = 0; j < found; j++)
				truth[k][i].push_back(h[j].id);
			std::sort(truth[k][i].begin(), truth[k][i].end());
		}
	}
	vigil_index_free(ix);
	return row;
}

Row run_faiss(const Setting &st, const uint64_t *hw, size_t n,
	      const uint64_t *qs[2], size_t nq, int r, const Ids truth[2])
{
	Row row;
	size_t m0;
	double t0;

	row.name = "faiss " + st.name();
	row.exact = st.exact(r);
	m0 = heap_bytes();
	t0 = now();
	{
		faiss::IndexBinaryMultiHash ix(256, st.nhash, st.b);

		ix.nflip = st.nflip;
		/* hw is padded: add() reads 8 bytes at the last substring */
		ix.add((faiss::Index::idx_t)n, (const uint8_t *)hw);
		row.build = now() - t0;
		row.bytes = (double)(heap_bytes() - m0) / (double)n;
		for (int k = 0; k < 2; k++) {
			faiss::RangeSearchResult res((faiss::Index::idx_t)nq);
			Ids got(nq);

			t0 = now();
			/* faiss keeps d < radius */
			ix.range_search((faiss::Index::idx_t)nq,
					(const uint8_t *)qs[k], r + 1, &res);
			row.qps[k] = (double)nq / (now() - t0);
			for (size_t i = 0; i < nq; i++) {
				for (size_t j = res.lims[i]; j < res.lims[i + 1];
				     j++)
					got[i].push_back(
						(uint64_t)res.labels[j]);
				std::sort(got[i].begin(), got[i].end());
			}
			compare(truth[k], got, nq, &row);
		}
	}
	malloc_trim(0);
	return row;
}

void print_row(const Row &row, const Row &scan_row, const Row &vigil_row)
{
	char rec[128];

	if (row.checked == 0)
		snprintf(rec, sizeof(rec), "(truth)");
	else
		snprintf(rec, sizeof(rec), "%zu/%zu differ, %zu missed, %zu extra",
			 row.diff, row.checked, row.missed, row.extra);
	printf("  %-16s %5s %8.2f %8.0f %10.0f %10.0f %8.1f %8.1f %7.2f %7.2f  %s\n",
	       row.name.c_str(), row.exact ? "yes" : "NO", row.build,
	       row.bytes, row.qps[0], row.qps[1], row.qps[0] / scan_row.qps[0],
	       row.qps[1] / scan_row.qps[1], vigil_row.qps[0] / row.qps[0],
	       vigil_row.qps[1] / row.qps[1], rec);
	fflush(stdout);
}

void run(const char *name, const uint64_t *hw, size_t n, size_t nq, int r,
	 const std::vector<Setting> &settings)
{
	/* +8 bytes: faiss reads 8 bytes at each substring's start */
	std::vector<uint64_t> qn(4 * nq + 1), qr(4 * nq + 1);
	const uint64_t *qs[2] = {qn.data(), qr.data()};
	Ids truth[2], sc[2];
	size_t i, nscan;
	Row vig, scan_row, vig_check;
	std::vector<Row> rows;

	/* the same draws, in the same order, as bench_index.c's run() */
	for (i = 0; i < nq; i++) {
		memcpy(&qn[4 * i], hw + 4 * (rnd() % n), 32);
		flip(&qn[4 * i], (int)(rnd() % 17));
		qr[4 * i] = rnd(), qr[4 * i + 1] = rnd();
		qr[4 * i + 2] = rnd(), qr[4 * i + 3] = rnd();
	}
	nscan = (size_t)(4e8 / (double)n);
	nscan = nscan < 20 ? 20 : nscan > nq ? nq : nscan;

	printf("%s: N=%zu r=%d, %zu queries of each kind (scan: %zu), "
	       "single-threaded\n", name, n, r, nq, nscan);
	fflush(stdout);
	vig = run_vigil(hw, n, qs, nq, r, truth);

	/* the scan: its rate, and the truth on its sample */
	scan_row.name = "popcnt scan";
	for (int k = 0; k < 2; k++) {
		double t0 = now();
		size_t sink = 0;

		sc[k].assign(nscan, {});
		for (i = 0; i < nscan; i++)
			sink += scan(hw, n, qs[k] + 4 * i, r, &sc[k][i]);
		scan_row.qps[k] = (double)nscan / (now() - t0);
		if (sink == (size_t)-1)
			printf("?");
	}
	vig_check = vig;
	compare(sc[0], truth[0], nscan, &vig_check);
	compare(sc[1], truth[1], nscan, &vig_check);

	for (const Setting &st : settings)
		rows.push_back(run_faiss(st, hw, n, qs, nq, r, truth));

	printf("  %-16s %5s %8s %8s %10s %10s %8s %8s %7s %7s  %s\n", "method",
	       "exact", "build s", "B/entry", "near q/s", "non q/s", "xscan nd",
	       "xscan nm", "vig/ nd", "vig/ nm", "recall (ids vs truth)");
	print_row(vig_check, scan_row, vig);
	vig.checked = 0;
	for (const Row &row : rows)
		print_row(row, scan_row, vig);
	printf("  %-16s %5s %8s %8s %10.1f %10.1f %8.1f %8.1f %7.1f %7.1f  %s\n",
	       "popcnt scan", "yes", "-", "32", scan_row.qps[0], scan_row.qps[1],
	       1.0, 1.0, vig.qps[0] / scan_row.qps[0],
	       vig.qps[1] / scan_row.qps[1], "(truth for vigil)");

	/* faiss best: the fastest (geometric mean of both kinds) among the
	 * settings exact by construction that returned exactly vigil's ids */
	const Row *best = nullptr;
	for (const Row &row : rows)
		if (row.exact && row.diff == 0 &&
		    (!best || row.qps[0] * row.qps[1] >
				      best->qps[0] * best->qps[1]))
			best = &row;
	if (best)
		printf("  faiss best (exact): %s; vigil/faiss = %.1fx near-dup, "
		       "%.1fx non-member; faiss/scan = %.1fx, %.1fx\n",
		       best->name.c_str() + 6, vig.qps[0] / best->qps[0],
		       vig.qps[1] / best->qps[1],
		       best->qps[0] / scan_row.qps[0],
		       best->qps[1] / scan_row.qps[1]);
	else
		printf("  faiss best: no setting returned the exact ids\n");
	for (const Row &row : rows)
		if (row.diff && row.exact)
			printf("  NOTE: %s should be exact (pigeonhole) but "
			       "differs\n", row.name.c_str());
	fflush(stdout);
	if (vig_check.diff)
		die("vigil differs from the scan");
}

} // namespace

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	size_t nq = argc > 2 ? strtoull(argv[2], NULL, 10) : 2000;
	int r = argc > 3 ? atoi(argv[3]) : VIGIL_DEFAULT_RADIUS;
	std::vector<Setting> settings;
	size_t i;

	if (n < 8 || nq < 1 || r < 0 || r > VIGIL_INDEX_MAX_RADIUS) {
		fprintf(stderr, "usage: bench_faiss [N [queries [radius "
				"[NHASHxBfNFLIP,...]]]]\n");
		return 2;
	}
	settings = parse_settings(argc > 4 ? argv[4] : NULL, r);
	omp_set_num_threads(1);
	printf("faiss settings (nhash x b f nflip, keys probed per query):");
	for (const Setting &st : settings)
		printf(" %s (%ld%s)", st.name().c_str(), st.probes(),
		       st.exact(r) ? "" : ", inexact");
	printf("\ncolumns: build seconds; bytes allocated per entry; queries/s "
	       "near-dup and non-member; speed-up over the scan; vigil's "
	       "speed-up over the row\n");

	/* +1 word of padding: faiss reads 8 bytes at the last substring */
	std::vector<uint64_t> hw(4 * n + 1);
	for (i = 0; i < 4 * n; i++)
		hw[i] = rnd();
	run("random", hw.data(), n, nq, r, settings);
	/* clustered: every 8th hash an original, the next 7 its edits */
	for (i = 0; i < n; i++) {
		if (i % 8 == 0)
			continue;
		memcpy(&hw[4 * i], &hw[4 * (i - i % 8)], 32);
		flip(&hw[4 * i], 2 + (int)(rnd() % 23));
	}
	run("clustered", hw.data(), n, nq, r, settings);
	return 0;
}
