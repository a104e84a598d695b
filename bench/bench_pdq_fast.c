/* bench_pdq_fast — the approximate 512 path (vigil_pdq_opts.fast): how far
 * its hashes are from the exact 512 flavour, and its CPU time against
 * `djpeg -scale 1/N` decoding the same file at the scale the fast path
 * chose, all measured in one run.
 *
 *   bench_pdq_fast [-v] [-r ROUNDS] [-d DJPEG] FILE|DIR...   (JPEG files)
 *
 * (-v: one line per image with its scale, quality and distances.)
 *
 * Per scale N (1 = the image was not large enough: exact), it prints the
 * image count, the mean and max Hamming distance fast-vs-exact (and, for
 * scale, exact 512 vs the full-size flavour), and best-of-ROUNDS CPU
 * times: the fast hash in this process, djpeg as a child process (its
 * user + system time, from wait4), and djpeg's fixed start-up cost (the
 * same command on an empty input, which exits after loading). Ratios:
 * fast / djpeg, and fast / (djpeg - start-up). Without djpeg the timing
 * against it is skipped, and it says so. */
#include "vigil.h"
#include "../src/media/decoder.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXSCALE 9 /* rows for N = 1, 2, 4, 8 */

typedef struct blob {
	uint8_t *data;
	size_t len;
	char *path;
} blob;

static blob *blobs;
static size_t nblobs, capblobs;

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int is_jpeg(const char *p)
{
	size_t n = strlen(p);

	return (n > 4 && !strcasecmp(p + n - 4, ".jpg")) ||
	       (n > 5 && !strcasecmp(p + n - 5, ".jpeg"));
}

static void add(vigil_ctx *ctx, const char *path)
{
	struct stat st;
	struct dirent **list;
	blob b;
	int n, i;

	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		n = scandir(path, &list, NULL, alphasort);
		for (i = 0; i < n; i++) {
			char p[4096];
			if (list[i]->d_name[0] != '.') {
				snprintf(p, sizeof(p), "%s/%s", path, list[i]->d_name);
				add(ctx, p);
			}
			free(list[i]);
		}
		free(list);
		return;
	}
	if (!is_jpeg(path))
		return;
	if (vigil_read_file(ctx, path, &b.data, &b.len)) {
		fprintf(stderr, "skip %s: %s\n", path, vigil_errmsg(ctx));
		return;
	}
	if (nblobs == capblobs) {
		capblobs = capblobs ? 2 * capblobs : 64;
		blobs = realloc(blobs, capblobs * sizeof(*blobs));
		if (!blobs)
			exit(1);
	}
	b.path = strdup(path);
	blobs[nblobs++] = b;
}

static int hamming(const vigil_pdq *a, const vigil_pdq *b)
{
	int d = 0, i;

	for (i = 0; i < 32; i++)
		d += __builtin_popcount((unsigned)(a->bits[i] ^ b->bits[i]));
	return d;
}

/* CPU seconds (user + system) of one run of argv, or -1. */
static double child_cpu(char *const argv[])
{
	struct rusage ru;
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) || WEXITSTATUS(st) == 127)
		return -1;
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static void hash(vigil_ctx *ctx, const blob *b, int down, int fast, vigil_pdq *h)
{
	vigil_pdq_opts o = {down, fast};

	if (vigil_pdq_hash_memory(ctx, b->data, b->len, &o, h, NULL)) {
		fprintf(stderr, "%s: %s\n", b->path, vigil_errmsg(ctx));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	const char *djpeg = "djpeg";
	struct {
		int n, dev_sum, dev_max, flav_sum, flav_max;
		double fast, exact, dj, start;
	} row[MAXSCALE];
	vigil_ctx *ctx;
	int rounds = 5, first = 1, have_dj, verbose = 0, i, r;
	size_t k;
	double start_best = 1e30;

	while (argc > first + 1 && argv[first][0] == '-') {
		if (!strcmp(argv[first], "-r"))
			rounds = atoi(argv[first + 1]) > 0 ? atoi(argv[first + 1]) : 5;
		else if (!strcmp(argv[first], "-d"))
			djpeg = argv[first + 1];
		else if (!strcmp(argv[first], "-v")) {
			verbose = 1;
			first++;
			continue;
		}
		first += 2;
	}
	vigil_ctx_new(&ctx);
	for (i = first; i < argc; i++)
		add(ctx, argv[i]);
	if (!nblobs) {
		fprintf(stderr, "usage: bench_pdq_fast [-r ROUNDS] [-d DJPEG] JPEG|DIR...\n");
		return 2;
	}
	{
		char *av[] = {(char *)djpeg, "-scale", "1/8", "-outfile", "/dev/null",
			      "/dev/null", NULL};
		have_dj = child_cpu(av) >= 0;
		for (r = 0; have_dj && r < 3 * rounds; r++) {
			double t = child_cpu(av);
			if (t >= 0 && t < start_best)
				start_best = t;
		}
	}
	if (!have_dj)
		printf("djpeg (%s) not found: the timing against it is skipped "
		       "(apt-get install libjpeg-turbo-progs)\n", djpeg);
	memset(row, 0, sizeof(row));
	for (k = 0; k < nblobs; k++) {
		vigil__dec *d = NULL;
		vigil_pdq e, f, a;
		char scale[16];
		double bf = 1e30, be = 1e30, bd = 1e30;
		int n, dev, flav;

		if (vigil__dec_open_scaled(ctx, blobs[k].data, blobs[k].len, 512, &d)) {
			fprintf(stderr, "%s: %s\n", blobs[k].path, vigil_errmsg(ctx));
			continue;
		}
		n = d->scale_denom;
		vigil__dec_close(d);
		hash(ctx, &blobs[k], 512, 0, &e);
		hash(ctx, &blobs[k], 0, 0, &f);
		hash(ctx, &blobs[k], 512, VIGIL_PDQ_FAST, &a);
		dev = hamming(&a, &e);
		flav = hamming(&e, &f);
		snprintf(scale, sizeof(scale), "1/%d", n);
		if (verbose)
			printf("%s 1/%d quality %d dev %d 512vsfull %d\n", blobs[k].path, n,
			       e.quality, dev, flav);
		for (r = 0; r < rounds; r++) {
			char *av[] = {(char *)djpeg, "-scale", scale, "-outfile", "/dev/null",
				      blobs[k].path, NULL};
			double t0 = cpu_now(), t;
			hash(ctx, &blobs[k], 512, VIGIL_PDQ_FAST, &a);
			t = cpu_now() - t0;
			if (t < bf)
				bf = t;
			t0 = cpu_now();
			hash(ctx, &blobs[k], 512, 0, &e);
			t = cpu_now() - t0;
			if (t < be)
				be = t;
			if (have_dj && (t = child_cpu(av)) >= 0 && t < bd)
				bd = t;
		}
		row[n].n++;
		row[n].dev_sum += dev;
		row[n].dev_max = dev > row[n].dev_max ? dev : row[n].dev_max;
		row[n].flav_sum += flav;
		row[n].flav_max = flav > row[n].flav_max ? flav : row[n].flav_max;
		row[n].fast += bf;
		row[n].exact += be;
		row[n].dj += have_dj ? bd : 0;
		row[n].start += have_dj ? start_best : 0;
	}
	printf("%zu JPEGs, best of %d rounds, CPU time; djpeg start-up %.2f ms\n", nblobs,
	       rounds, have_dj ? start_best * 1e3 : 0.0);
	printf("%-5s %4s %9s %8s %11s %9s %9s %9s %9s %10s %12s\n", "scale", "imgs",
	       "dev mean", "dev max", "512vsfull", "exact ms", "fast ms", "djpeg ms",
	       "fast/exa", "fast/djpeg", "fast/(dj-st)");
	for (i = 1; i < MAXSCALE; i++) {
		int n = row[i].n;
		if (!n)
			continue;
		printf("1/%-3d %4d %9.2f %8d %6.2f/%-4d %9.2f %9.2f %9.2f %8.2fx", i, n,
		       (double)row[i].dev_sum / n, row[i].dev_max,
		       (double)row[i].flav_sum / n, row[i].flav_max, row[i].exact / n * 1e3,
		       row[i].fast / n * 1e3, row[i].dj / n * 1e3,
		       row[i].fast / row[i].exact);
		if (have_dj)
			printf(" %9.2fx %11.2fx", row[i].fast / row[i].dj,
			       row[i].fast / (row[i].dj - row[i].start));
		printf("\n");
	}
	vigil_ctx_free(ctx);
	return 0;
}
