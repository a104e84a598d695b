/* cmd_hash.c — `vigil hash`: hash files in parallel, print in input order. */
#include "cli.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ALGO_PDQ (1u << 0)
#define ALGO_MD5 (1u << 1)
#define ALGO_SHA1 (1u << 2)
#define ALGO_SHA256 (1u << 3)
#define ALGO_ALL 15u
#define HASH_WINDOW 1024   /* results held ahead of the printer, at most */
#define HASH_MAX_JOBS 256

enum { OPT_DOWNSAMPLE = 256, OPT_MAX_BYTES, OPT_MAX_PIXELS, OPT_PROGRESS,
       OPT_NO_PROGRESS };

typedef struct result {
	int done;           /* filled by a worker */
	int rc;             /* status of this file */
	char err[300];      /* message when rc != 0 */
	vigil_pdq pdq[8];   /* [0] or all eight */
	uint8_t dig[3][VIGIL_DIGEST_MAX];
} result;

typedef struct job {
	const cli_files *files;
	unsigned algos;
	int dihedral;
	int jsonl;
	vigil_pdq_opts popts;
	int64_t max_bytes, max_pixels;
	result *ring;            /* HASH_WINDOW slots, index i % HASH_WINDOW */
	size_t next;             /* next file to hand out */
	size_t printed;          /* files printed so far */
	pthread_mutex_t mu;
	pthread_cond_t cv;
} job;

static void hash_one(job *j, vigil_ctx *ctx, const char *path, result *r)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int a;

	r->rc = vigil_read_file(ctx, path, &data, &len);
	if (r->rc)
		goto out;
	for (a = 0; a < 3; a++)
		if (j->algos & (ALGO_MD5 << a)) {
			r->rc = vigil_digest(ctx, (vigil_digest_algo)a, data, len,
					     r->dig[a]);
			if (r->rc)
				goto out;
		}
	if (j->algos & ALGO_PDQ)
		r->rc = vigil_pdq_hash_memory(ctx, data, len, &j->popts, &r->pdq[0],
					      j->dihedral ? r->pdq : NULL);
out:
	if (r->rc)
		snprintf(r->err, sizeof(r->err), "%s",
			 *vigil_errmsg(ctx) ? vigil_errmsg(ctx)
					    : vigil_strerror(r->rc));
	free(data);
}

static void *worker(void *arg)
{
	job *j = arg;
	vigil_ctx *ctx = NULL;
	int ctx_rc = vigil_ctx_new(&ctx);

	if (!ctx_rc) {
		vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_BYTES, j->max_bytes);
		vigil_ctx_set_limit(ctx, VIGIL_LIMIT_MAX_PIXELS, j->max_pixels);
	}
	for (;;) {
		size_t i;
		result *r;
		pthread_mutex_lock(&j->mu);
		while (j->next < j->files->n && j->next >= j->printed + HASH_WINDOW)
			pthread_cond_wait(&j->cv, &j->mu);
		if (j->next >= j->files->n) {
			pthread_mutex_unlock(&j->mu);
			break;
		}
		i = j->next++;
		pthread_mutex_unlock(&j->mu);
		r = &j->ring[i % HASH_WINDOW];
		memset(r, 0, sizeof(*r));
		if (ctx_rc) {
			r->rc = ctx_rc;
			snprintf(r->err, sizeof(r->err), "out of memory");
		} else {
			hash_one(j, ctx, j->files->paths[i], r);
		}
		pthread_mutex_lock(&j->mu);
		r->done = 1;
		pthread_cond_broadcast(&j->cv);
		pthread_mutex_unlock(&j->mu);
	}
	vigil_ctx_free(ctx);
	return NULL;
}

static void print_csv(const job *j, const char *path, const result *r)
{
	char hex[65];
	int a, v;

	if (j->algos & ALGO_PDQ)
		for (v = 0; v < (j->dihedral ? VIGIL_DIH_COUNT : 1); v++) {
			vigil_pdq_to_hex(&r->pdq[v], hex);
			if (j->algos == ALGO_PDQ && !j->dihedral)
				printf("%s,%d,%s\n", hex, r->pdq[v].quality, path);
			else if (j->algos == ALGO_PDQ)
				printf("%s,%d,%s,%s\n", hex, r->pdq[v].quality, path,
				       vigil_dihedral_name(v));
			else
				printf("pdq,%s,%d,%s,%s\n", hex, r->pdq[v].quality,
				       path, vigil_dihedral_name(v));
		}
	for (a = 0; a < 3; a++)
		if (j->algos & (ALGO_MD5 << a)) {
			vigil_hex(r->dig[a], vigil_digest_size((vigil_digest_algo)a), hex);
			printf("%s,%s,,%s,\n", vigil_digest_name((vigil_digest_algo)a),
			       hex, path);
		}
}

static void print_jsonl(const job *j, const char *path, const result *r)
{
	char hex[65];
	int a, v;

	printf("{\"path\":");
	cli_json_str(stdout, path);
	if (j->algos & ALGO_PDQ) {
		vigil_pdq_to_hex(&r->pdq[0], hex);
		printf(",\"pdq\":\"%s\",\"quality\":%d", hex, r->pdq[0].quality);
		if (j->dihedral) {
			printf(",\"dihedral\":{");
			for (v = 0; v < VIGIL_DIH_COUNT; v++) {
				vigil_pdq_to_hex(&r->pdq[v], hex);
				printf("%s\"%s\":\"%s\"", v ? "," : "",
				       vigil_dihedral_name(v), hex);
			}
			printf("}");
		}
	}
	for (a = 0; a < 3; a++)
		if (j->algos & (ALGO_MD5 << a)) {
			vigil_hex(r->dig[a], vigil_digest_size((vigil_digest_algo)a), hex);
			printf(",\"%s\":\"%s\"", vigil_digest_name((vigil_digest_algo)a),
			       hex);
		}
	printf("}\n");
}

static int parse_algos(const char *s, unsigned *out)
{
	static const struct { const char *name; unsigned bit; } names[] = {
		{"pdq", ALGO_PDQ},   {"md5", ALGO_MD5},       {"sha1", ALGO_SHA1},
		{"sha256", ALGO_SHA256}, {"all", ALGO_ALL},
	};
	unsigned bits = 0;
	const char *p = s;

	while (*p) {
		size_t n = strcspn(p, ","), i;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == n && !strncmp(p, names[i].name, n))
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return -1;
		bits |= names[i].bit;
		p += n;
		if (*p == ',')
			p++;
	}
	*out = bits;
	return bits ? 0 : -1;
}

int cmd_hash(const cli_cmd *cmd, int argc, char **argv)
{
	job j;
	cli_files files = {0};
	cli_progress prog;
	pthread_t th[HASH_MAX_JOBS];
	long jobs = sysconf(_SC_NPROCESSORS_ONLN), v;
	int c, i, nth = 0, progress = 0, failed = 0;
	const char *arg;

	memset(&j, 0, sizeof(j));
	j.algos = ALGO_PDQ;
	j.max_bytes = VIGIL_DEFAULT_MAX_BYTES;
	j.max_pixels = VIGIL_DEFAULT_MAX_PIXELS;
	while ((c = cli_next_opt(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case 'a':
			if (parse_algos(arg, &j.algos)) {
				fprintf(stderr, "vigil hash: bad --algo '%s' (pdq, md5, "
						"sha1, sha256, all; comma-separated)\n", arg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'd':
			j.dihedral = 1;
			break;
		case 'f':
			if (!strcmp(arg, "jsonl"))
				j.jsonl = 1;
			else if (strcmp(arg, "csv")) {
				fprintf(stderr, "vigil hash: --format is csv or jsonl\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'j':
			if (cli_parse_int(arg, 1, HASH_MAX_JOBS, &jobs)) {
				fprintf(stderr, "vigil hash: -j takes 1..%d\n", HASH_MAX_JOBS);
				return CLI_EXIT_USAGE;
			}
			break;
		case OPT_DOWNSAMPLE:
			if (!strcmp(arg, "none") || !strcmp(arg, "0"))
				j.popts.downsample = 0;
			else if (!strcmp(arg, "512"))
				j.popts.downsample = 512;
			else {
				fprintf(stderr, "vigil hash: --downsample is 512 or none\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case OPT_MAX_BYTES:
		case OPT_MAX_PIXELS:
			if (cli_parse_int(arg, 1, INT64_MAX > LONG_MAX ? LONG_MAX : INT64_MAX, &v)) {
				fprintf(stderr, "vigil hash: bad limit '%s'\n", arg);
				return CLI_EXIT_USAGE;
			}
			if (c == OPT_MAX_BYTES)
				j.max_bytes = v;
			else
				j.max_pixels = v;
			break;
		case OPT_PROGRESS:
			progress = 1;
			break;
		case OPT_NO_PROGRESS:
			progress = -1;
			break;
		case 'h':
			cli_usage(stdout, cmd);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (cli_optind() >= argc) {
		fprintf(stderr, "vigil hash: no FILE or DIR given\nTry 'vigil hash "
				"--help'.\n");
		return CLI_EXIT_USAGE;
	}
	for (i = cli_optind(); i < argc; i++)
		if (cli_collect(&files, argv[i]))
			failed = 1;
	j.files = &files;
	j.ring = calloc(HASH_WINDOW, sizeof(result));
	if (!j.ring) {
		fprintf(stderr, "vigil: out of memory\n");
		cli_files_free(&files);
		return CLI_EXIT_FAIL;
	}
	pthread_mutex_init(&j.mu, NULL);
	pthread_cond_init(&j.cv, NULL);
	if ((size_t)jobs > files.n)
		jobs = files.n ? (long)files.n : 1;
	for (nth = 0; nth < jobs; nth++)
		if (pthread_create(&th[nth], NULL, worker, &j))
			break;
	cli_progress_init(&prog, files.n, progress);
	pthread_mutex_lock(&j.mu);
	while (j.printed < files.n) {
		result *r = &j.ring[j.printed % HASH_WINDOW];
		if (!nth) {
			r->rc = VIGIL_ENOMEM;
			snprintf(r->err, sizeof(r->err), "cannot start a thread");
		} else if (!r->done) {
			pthread_cond_wait(&j.cv, &j.mu);
			continue;
		}
		pthread_mutex_unlock(&j.mu);
		if (r->rc) {
			if (prog.on)
				fputc('\n', stderr);
			fprintf(stderr, "vigil: %s: %s\n", files.paths[j.printed], r->err);
			failed = 1;
		} else if (j.jsonl) {
			print_jsonl(&j, files.paths[j.printed], r);
		} else {
			print_csv(&j, files.paths[j.printed], r);
		}
		cli_progress_tick(&prog, r->rc);
		pthread_mutex_lock(&j.mu);
		r->done = 0;
		j.printed++;
		pthread_cond_broadcast(&j.cv);
	}
	pthread_mutex_unlock(&j.mu);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	cli_progress_end(&prog);
	fflush(stdout);
	pthread_mutex_destroy(&j.mu);
	pthread_cond_destroy(&j.cv);
	free(j.ring);
	cli_files_free(&files);
	return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
