/* bench_text — keyword matching and folding throughput, each against a
 * baseline measured in the same run on the same text. Times are CPU time
 * (this process, or grep's from wait), so a loaded shared machine slows
 * the numbers less than wall time would; the load average is printed:
 *   - vigil_text_scan per message (fold both views + Vectorscan) and over
 *     the whole buffer, vs `grep -F -w -f TERMS` (whole buffer) and a
 *     plain memmem loop over the terms (on a slice: it is slow);
 *   - vigil_fold (both views) vs ICU's NFKC_Casefold per message, and vs
 *     the reference fold (src/text/fold_ref.c, byte at a time: what the
 *     fast paths of fold.c replaced) per message and whole buffer.
 * The text is lines of words drawn (Zipf-like) from a dictionary, the terms
 * come from a disjoint part of it, and some are planted in the text.
 *
 * usage: bench_text [-t TERMS] [-m MB] [-p] [-k DIR] DICT   (e.g. /usr/share/dict/american-english)
 * -p: only the per-message scan, five times over (for perf record).
 * -k: also writes the list and the text to DIR/terms.txt and DIR/text.txt
 *     (for bench_text_cli.sh, which times the CLI on the same data). */
#include "vigil.h"
#include "../src/text/text_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU seconds used by waited-for children so far (grep). */
static double child_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static unsigned long long rng = 88172645463325252ULL;
static unsigned long long next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Writes the list and the text where -k asked; 0 or -1. */
static int keep_files(const char *dir, char **w, size_t nterms, const char *text, size_t len)
{
	char path[4096];
	FILE *f;
	size_t i;
	int bad;

	snprintf(path, sizeof(path), "%s/terms.txt", dir);
	if (!(f = fopen(path, "w")))
		return -1;
	for (i = 0; i < nterms; i++)
		fprintf(f, "%s\n", w[i]);
	bad = fclose(f) != 0;
	snprintf(path, sizeof(path), "%s/text.txt", dir);
	if (bad || !(f = fopen(path, "w")))
		return -1;
	bad = fwrite(text, 1, len, f) != len;
	bad |= fclose(f) != 0;
	return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
	size_t nterms = 5000, mb = 16, nw = 0, cap = 0, i, k;
	char **w = NULL, line[256], *text, tpath[] = "/tmp/vigil-bench-terms-XXXXXX",
	     xpath[] = "/tmp/vigil-bench-text-XXXXXX";
	size_t *lines = NULL, nlines = 0, lcap = 0, len = 0, target;
	vigil_ctx *ctx;
	vigil_folder *fo;
	vigil_termlist *tl;
	vigil_text_matcher *m;
	vigil_text_scanner *sc;
	vigil_folded f = {0};
	FILE *d, *tf;
	int c, tfd, xfd, profile = 0, rep;
	const char *keep = NULL;
	double t_groom, t0, t_scan, t_whole, t_grep, t_mem, t_fold, t_icu, t_port, t_ref,
		t_fwhole, t_rwhole, load[3] = {0, 0, 0};
	size_t hits = 0, hits_whole = 0, mem_bytes, mem_hits = 0, hits_port = 0;

	while ((c = getopt(argc, argv, "t:m:pk:")) != -1) {
		if (c == 'p')
			profile = 1;
		else if (c == 'k')
			keep = optarg;
		else if (c == 't')
			nterms = strtoul(optarg, NULL, 10);
		else if (c == 'm')
			mb = strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	if (optind >= argc || !(d = fopen(argv[optind], "r"))) {
		fprintf(stderr, "usage: bench_text [-t TERMS] [-m MB] DICT\n");
		return 2;
	}
	while (fgets(line, sizeof(line), d)) {
		size_t n = strcspn(line, "\r\n'");
		int ascii = n >= 3;
		line[n] = 0;
		for (k = 0; k < n; k++)
			if ((unsigned char)line[k] >= 0x80 || (line[k] >= 'A' && line[k] <= 'Z'))
				ascii = 0;
		if (!ascii)
			continue;
		if (nw == cap) {
			cap = cap ? cap * 2 : 65536;
			w = realloc(w, cap * sizeof(*w));
		}
		w[nw++] = strdup(line);
	}
	fclose(d);
	if (nw < nterms * 4) {
		fprintf(stderr, "bench_text: dictionary too small\n");
		return 1;
	}
	/* shuffle; the first nterms words are the list, the rest the text */
	for (i = nw - 1; i > 0; i--) {
		size_t j = next() % (i + 1);
		char *t = w[i];
		w[i] = w[j];
		w[j] = t;
	}
	target = mb << 20;
	text = malloc(target + 512);
	while (len < target) {
		size_t words = 8 + next() % 10, start = len;
		for (k = 0; k < words; k++) {
			/* Zipf-like: the square of a uniform number favours low ranks */
			double u = (double)(next() % 1000000) / 1e6;
			size_t r = nterms + (size_t)(u * u * (double)(nw - nterms - 1));
			const char *word = next() % 1000 == 0 ? w[next() % nterms] : w[r];
			size_t wl = strlen(word);
			memcpy(text + len, word, wl);
			len += wl;
			text[len++] = ' ';
		}
		text[len - 1] = '\n';
		if (nlines == lcap) {
			lcap = lcap ? lcap * 2 : 65536;
			lines = realloc(lines, lcap * sizeof(*lines));
		}
		lines[nlines++] = start;
	}
	text[len] = 0;
	if (vigil_ctx_new(&ctx) || vigil_folder_new(ctx, &fo) || vigil_termlist_new(ctx, &tl))
		return 1;
	tfd = mkstemp(tpath);
	tf = fdopen(tfd, "w");
	for (i = 0; i < nterms; i++) {
		vigil_termlist_add(tl, w[i], "bench", 50, VIGIL_TERM_TOKEN);
		fprintf(tf, "%s\n", w[i]);
	}
	fclose(tf);
	if (keep && keep_files(keep, w, nterms, text, len))
		return 1;
	t0 = now();
	if (vigil_text_matcher_new(ctx, fo, tl, &m) || vigil_text_scanner_new(ctx, m, &sc)) {
		fprintf(stderr, "%s\n", vigil_errmsg(ctx));
		return 1;
	}
	printf("%zu token terms compiled in %.3f s; text %.1f MB, %zu messages, %.0f B each\n",
	       nterms, now() - t0, len / 1e6, nlines, (double)len / nlines);

	/* per message */
	t0 = now();
	for (rep = 0; rep < (profile ? 5 : 1); rep++)
	for (i = 0; i < nlines; i++) {
		size_t e = i + 1 < nlines ? lines[i + 1] - 1 : len - 1;
		const vigil_text_hit *h;
		size_t nh;
		vigil_text_scan(sc, ctx, text + lines[i], e - lines[i], NULL, &h, &nh);
		hits += nh;
	}
	t_scan = now() - t0;
	if (profile) {
		printf("scan per message, 5 times: %.1f MB/s\n", 5 * len / 1e6 / t_scan);
		return 0;
	}
	/* whole buffer, twice: the first run also pays for growing the
	 * scanner's buffers (page faults); a pooled scanner pays that once */
	t_whole = 1e30;
	for (k = 0; k < 2; k++) {
		const vigil_text_hit *h;
		size_t nh;
		int rc;
		double t;
		t0 = now();
		rc = vigil_text_scan(sc, ctx, text, len, NULL, &h, &nh);
		t = now() - t0;
		hits_whole = nh;
		if (rc)
			printf("(whole buffer: %s)\n", vigil_errmsg(ctx));
		if (t < t_whole)
			t_whole = t;
	}
	/* the portable engine (src/text/ac.c), per message, same list */
	{
		vigil_text_matcher *pm = NULL;
		vigil_text_scanner *ps = NULL;
		setenv("VIGIL_TEXT_ENGINE", "portable", 1);
		if (vigil_text_matcher_new(ctx, fo, tl, &pm) || vigil_text_scanner_new(ctx, pm, &ps))
			return 1;
		unsetenv("VIGIL_TEXT_ENGINE");
		t0 = now();
		for (i = 0; i < nlines; i++) {
			size_t e = i + 1 < nlines ? lines[i + 1] - 1 : len - 1;
			const vigil_text_hit *h;
			size_t nh;
			vigil_text_scan(ps, ctx, text + lines[i], e - lines[i], NULL, &h, &nh);
			hits_port += nh;
		}
		t_port = now() - t0;
		vigil_text_scanner_free(ps);
		vigil_text_matcher_free(pm);
	}
	/* grep -F -w -f over the same text */
	xfd = mkstemp(xpath);
	if (write(xfd, text, len) != (ssize_t)len)
		return 1;
	close(xfd);
	{
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "LC_ALL=C grep -F -w -c -f %s %s > /dev/null", tpath, xpath);
		t0 = child_cpu();
		if (system(cmd) < 0)
			return 1;
		t_grep = child_cpu() - t0;
	}
	/* memmem loop over every term, on a slice of messages */
	mem_bytes = 0;
	t0 = now();
	for (i = 0; i < nlines && mem_bytes < (256u << 10); i++) {
		size_t e = i + 1 < nlines ? lines[i + 1] - 1 : len - 1, tk;
		for (tk = 0; tk < nterms; tk++)
			mem_hits += memmem(text + lines[i], e - lines[i], w[tk], strlen(w[tk])) != NULL;
		mem_bytes += e - lines[i] + 1;
	}
	t_mem = now() - t0;
	/* folding, both views, per message */
	t0 = now();
	for (i = 0; i < nlines; i++) {
		size_t e = i + 1 < nlines ? lines[i + 1] - 1 : len - 1;
		vigil_fold(fo, ctx, VIGIL_VIEW_CONSERVATIVE, text + lines[i], e - lines[i], NULL, &f);
		vigil_fold(fo, ctx, VIGIL_VIEW_AGGRESSIVE, text + lines[i], e - lines[i], NULL, &f);
	}
	t_fold = now() - t0;
	/* the reference fold (fold_ref.c), both views, per message */
	t0 = now();
	for (i = 0; i < nlines; i++) {
		size_t e = i + 1 < nlines ? lines[i + 1] - 1 : len - 1;
		vigil__fold_ref(fo, ctx, VIGIL_VIEW_CONSERVATIVE, text + lines[i], e - lines[i], NULL,
				&f);
		vigil__fold_ref(fo, ctx, VIGIL_VIEW_AGGRESSIVE, text + lines[i], e - lines[i], NULL,
				&f);
	}
	t_ref = now() - t0;
	/* both folds over the whole buffer (f's buffers have grown in a
	 * warm-up fold of each, as a pooled scanner's have) */
	vigil_fold(fo, ctx, VIGIL_VIEW_CONSERVATIVE, text, len, NULL, &f);
	t0 = now();
	vigil_fold(fo, ctx, VIGIL_VIEW_CONSERVATIVE, text, len, NULL, &f);
	vigil_fold(fo, ctx, VIGIL_VIEW_AGGRESSIVE, text, len, NULL, &f);
	t_fwhole = now() - t0;
	t0 = now();
	vigil__fold_ref(fo, ctx, VIGIL_VIEW_CONSERVATIVE, text, len, NULL, &f);
	vigil__fold_ref(fo, ctx, VIGIL_VIEW_AGGRESSIVE, text, len, NULL, &f);
	t_rwhole = now() - t0;
	/* ICU NFKC_Casefold per message: UTF-8 -> UTF-16 -> normalise -> UTF-8 */
	{
		UErrorCode st = U_ZERO_ERROR;
		const UNormalizer2 *nf = unorm2_getNFKCCasefoldInstance(&st);
		UChar a[1024], b[1024];
		char o8[4096];
		t0 = now();
		for (i = 0; i < nlines; i++) {
			size_t e = i + 1 < nlines ? lines[i + 1] - 1 : len - 1;
			int32_t na, nb, n8;
			st = U_ZERO_ERROR;
			u_strFromUTF8(a, 1024, &na, text + lines[i], (int32_t)(e - lines[i]), &st);
			nb = unorm2_normalize(nf, a, na, b, 1024, &st);
			u_strToUTF8(o8, sizeof(o8), &n8, b, nb, &st);
		}
		t_icu = now() - t0;
	}
	/* grooming scoring: the stage lexicon per message, one author state
	 * per 50 messages (a conversation) */
	{
		vigil_groom *g;
		vigil_text_scanner *gs;
		vigil_groom_state st;
		vigil_groom_result r;
		if (vigil_groom_new(ctx, fo, &g) ||
		    vigil_text_scanner_new(ctx, vigil_groom_lexicon(g), &gs))
			return 1;
		t0 = now();
		for (i = 0; i < nlines; i++) {
			size_t e = i + 1 < nlines ? lines[i + 1] - 1 : len - 1;
			if (i % 50 == 0)
				memset(&st, 0, sizeof(st));
			vigil_groom_score(g, gs, ctx, &st, text + lines[i], e - lines[i], NULL, &r);
		}
		t_groom = now() - t0;
		vigil_text_scanner_free(gs);
		vigil_groom_free(g);
	}
	if (getloadavg(load, 3) < 0)
		load[0] = load[1] = load[2] = -1;
	printf("load average %.2f %.2f %.2f; times are CPU seconds\n", load[0], load[1], load[2]);
	printf("scan per message:  %8.1f MB/s  %9.0f msg/s  (%zu hits)\n", len / 1e6 / t_scan,
	       nlines / t_scan, hits);
	if (keep)
		printf("scan per message CPU s: %.4f; grep CPU s: %.4f\n", t_scan, t_grep);
	printf("scan whole buffer: %8.1f MB/s  %9.0f msg/s  (%zu hits)\n", len / 1e6 / t_whole,
	       nlines / t_whole, hits_whole);
	printf("portable engine:   %8.1f MB/s  per message (%zu hits) -> %.2fx Vectorscan's\n",
	       len / 1e6 / t_port, hits_port, t_scan / t_port);
	printf("grep -F -w -f:     %8.1f MB/s  %9.0f lines/s (whole file)\n", len / 1e6 / t_grep,
	       nlines / t_grep);
	printf("  -> vigil per message %.2fx grep, whole buffer %.2fx grep\n", t_grep / t_scan,
	       t_grep / t_whole);
	printf("memmem loop:       %8.3f MB/s  (%zu KB, %zu hits) -> vigil per message %.0fx\n",
	       mem_bytes / 1e6 / t_mem, mem_bytes >> 10, mem_hits,
	       (len / t_scan) / (mem_bytes / t_mem));
	printf("fold both views:   %8.1f MB/s per message (%.1f MB/s per view), whole buffer "
	       "%.1f MB/s\n", len / 1e6 / t_fold, 2 * len / 1e6 / t_fold, len / 1e6 / t_fwhole);
	printf("reference fold:    %8.1f MB/s per message, whole buffer %.1f MB/s -> fast fold "
	       "%.2fx, %.2fx\n", len / 1e6 / t_ref, len / 1e6 / t_rwhole, t_ref / t_fold,
	       t_rwhole / t_fwhole);
	printf("ICU NFKC_Casefold: %8.1f MB/s per message -> vigil per view %.2fx, both views "
	       "%.2fx\n", len / 1e6 / t_icu, t_icu / (t_fold / 2), t_icu / t_fold);
	printf("grooming score:    %9.0f msg/s  -> %.2fx the 5,000-term scan per message\n",
	       nlines / t_groom, t_scan / t_groom);
	unlink(tpath);
	unlink(xpath);
	vigil_folded_free(&f);
	vigil_text_scanner_free(sc);
	vigil_text_matcher_free(m);
	vigil_termlist_free(tl);
	vigil_folder_free(fo);
	vigil_ctx_free(ctx);
	for (i = 0; i < nw; i++)
		free(w[i]);
	free(w);
	free(lines);
	free(text);
	return 0;
}
