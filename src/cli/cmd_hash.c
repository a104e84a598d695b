/* cmd_hash.c — `vigil hash`: hash files in parallel, print in input order. */
#include "cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


typedef struct hash_job {
	unsigned algos;
	int dihedral;
	int jsonl;
	vigil_pdq_opts popts;
	int vpdq;               /* --algo vpdq: the operands are videos */
	int interval_set;       /* --interval or --every-frame was given */
	vigil_video_opts vopts;
	size_t nfiles;
} hash_job;

/* One video's frames, collected in a worker, printed in input order. */
typedef struct vpdq_result {
	int rc;
	char err[300];
	cli_frames fr; /* freed by vpdq_emit */
} vpdq_result;

static void vpdq_work(void *user, vigil_ctx *ctx, const char *path,
		      void *result)
{
	hash_job *j = user;
	vpdq_result *r = result;

	if (!ctx) {
		r->rc = VIGIL_ENOMEM;
		snprintf(r->err, sizeof(r->err), "out of memory");
		return;
	}
	if (!strcmp(path, "-")) {
		uint8_t *data;
		size_t len;
		if (cli_read_stdin(vigil_ctx_get_limit(ctx, VIGIL_LIMIT_MAX_BYTES),
				   &data, &len, r->err, sizeof(r->err))) {
			r->rc = VIGIL_EIO;
			return;
		}
		r->rc = vigil_vpdq_hash_memory(ctx, data, len, &j->vopts,
					       cli_frame_collect, &r->fr);
		free(data);
	} else {
		r->rc = vigil_vpdq_hash_file(ctx, path, &j->vopts, cli_frame_collect,
					     &r->fr);
	}
	if (r->fr.nomem)
		snprintf(r->err, sizeof(r->err), "out of memory");
	else if (r->rc)
		snprintf(r->err, sizeof(r->err), "%s", vigil_errmsg(ctx));
}

/* Prints the frames hashed (also those before a failure: a truncated
 * video's first frames are still its hashes), then the failure. */
static int vpdq_emit(void *user, const char *path, void *result)
{
	hash_job *j = user;
	vpdq_result *r = result;
	char line[VIGIL_VPDQ_LINE_MAX];
	size_t i;

	for (i = 0; i < r->fr.n; i++) {
		vigil_vpdq_format(&r->fr.f[i], line);
		fputs(line, stdout);
		if (j->nfiles > 1) {
			putchar(',');
			cli_csv_str(stdout, path);
		}
		putchar('\n');
	}
	free(r->fr.f);
	r->fr.f = NULL;
	if (r->rc) {
		cli_err_path(path, r->err);
		return 1;
	}
	return 0;
}

static void work(void *user, vigil_ctx *ctx, const char *path, void *result)
{
	hash_job *j = user;

	cli_hash_file(ctx, path, j->algos, j->dihedral, &j->popts, result);
}

static void print_csv(const hash_job *j, const char *path, const cli_hashes *r)
{
	char hex[65];
	int a, v;

	if (j->algos & CLI_ALGO_PDQ)
		for (v = 0; v < (j->dihedral ? VIGIL_DIH_COUNT : 1); v++) {
			vigil_pdq_to_hex(&r->pdq[v], hex);
			if (j->algos == CLI_ALGO_PDQ)
				printf("%s,%d,", hex, r->pdq[v].quality);
			else
				printf("pdq,%s,%d,", hex, r->pdq[v].quality);
			cli_csv_str(stdout, path);
			if (j->algos != CLI_ALGO_PDQ || j->dihedral)
				printf(",%s", vigil_dihedral_name(v));
			putchar('\n');
		}
	for (a = 0; a < 3; a++)
		if (j->algos & (CLI_ALGO_MD5 << a)) {
			vigil_hex(r->dig[a], vigil_digest_size((vigil_digest_algo)a), hex);
			printf("%s,%s,,", vigil_digest_name((vigil_digest_algo)a), hex);
			cli_csv_str(stdout, path);
			printf(",\n");
		}
}

static void print_jsonl(const hash_job *j, const char *path, const cli_hashes *r)
{
	char hex[65];
	int a, v;

	printf("{\"path\":");
	cli_json_str(stdout, path);
	if (j->algos & CLI_ALGO_PDQ) {
		vigil_pdq_to_hex(&r->pdq[0], hex);
		printf(",\"pdq\":\"%s\",\"quality\":%d", hex, r->pdq[0].quality);
		if (j->dihedral) {
			printf(",\"dihedral\":{");
			for (v = 0; v < VIGIL_DIH_COUNT; v++) {
				vigil_pdq_to_hex(&r->pdq[v], hex);
				printf("%s\"%s\":\"%s\"", v ? "," : "", vigil_dihedral_name(v),
				       hex);
			}
			printf("}");
		}
	}
	for (a = 0; a < 3; a++)
		if (j->algos & (CLI_ALGO_MD5 << a)) {
			vigil_hex(r->dig[a], vigil_digest_size((vigil_digest_algo)a), hex);
			printf(",\"%s\":\"%s\"", vigil_digest_name((vigil_digest_algo)a), hex);
		}
	printf("}\n");
}

static int emit(void *user, const char *path, void *result)
{
	hash_job *j = user;
	cli_hashes *r = result;

	if (r->rc) {
		cli_err_path(path, r->err);
		return 1;
	}
	if (j->jsonl)
		print_jsonl(j, path, r);
	else
		print_csv(j, path, r);
	return 0;
}

int cli_common_check(const char *cmd, const vigil_pdq_opts *popts)
{
	if (popts->fast && popts->downsample != 512) {
		cli_err("vigil %s: --fast is for --downsample 512 only\n", cmd);
		return -1;
	}
	return 0;
}

/* Options shared by hash and match (see commands.c); returns 0 if handled,
 * 1 if not ours, -1 on a usage error (reported). */
int cli_common_opt(const char *cmd, int c, const char *arg, cli_pool_spec *ps,
		   vigil_pdq_opts *popts)
{
	long v;

	switch (c) {
	case 'j':
		if (cli_parse_int(arg, 1, 256, &v)) {
			cli_err("vigil %s: -j takes 1..256\n", cmd);
			return -1;
		}
		ps->jobs = (int)v;
		return 0;
	case CLI_OPT_DOWNSAMPLE:
		if (!strcmp(arg, "none") || !strcmp(arg, "0"))
			popts->downsample = 0;
		else if (!strcmp(arg, "512"))
			popts->downsample = 512;
		else {
			cli_err("vigil %s: --downsample is 512 or none\n", cmd);
			return -1;
		}
		return 0;
	case CLI_OPT_FAST:
		popts->fast = VIGIL_PDQ_FAST;
		return 0;
	case CLI_OPT_MAX_BYTES:
	case CLI_OPT_MAX_PIXELS:
		if (cli_parse_int(arg, 1, LONG_MAX, &v)) {
			cli_err("vigil %s: bad limit '%s'\n", cmd, arg);
			return -1;
		}
		if (c == CLI_OPT_MAX_BYTES)
			ps->max_bytes = v;
		else
			ps->max_pixels = v;
		return 0;
	case CLI_OPT_PROGRESS:
		ps->progress = 1;
		return 0;
	case CLI_OPT_NO_PROGRESS:
		ps->progress = -1;
		return 0;
	default:
		return 1;
	}
}

void cli_pool_defaults(cli_pool_spec *ps)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(ps, 0, sizeof(*ps));
	ps->jobs = n > 0 ? (int)n : 1;
	ps->max_bytes = VIGIL_DEFAULT_MAX_BYTES;
	ps->max_pixels = VIGIL_DEFAULT_MAX_PIXELS;
}

int cmd_hash(const cli_cmd *cmd, int argc, char **argv)
{
	hash_job j;
	cli_files files = {0};
	cli_pool_spec ps;
	int c, i, failed = 0, r;
	const char *arg;

	memset(&j, 0, sizeof(j));
	j.algos = CLI_ALGO_PDQ;
	cli_pool_defaults(&ps);
	while ((c = cli_next_opt(cmd, argc, argv, &arg)) != -1) {
		r = cli_common_opt("hash", c, arg, &ps, &j.popts);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r == 0)
			continue;
		switch (c) {
		case 'a':
			if (!strcmp(arg, "vpdq")) {
				j.vpdq = 1;
				break;
			}
			j.vpdq = 0;
			if (cli_parse_algos(arg, &j.algos)) {
				cli_err("vigil hash: bad --algo '%s' (pdq, md5, "
						"sha1, sha256, all, comma-separated; "
						"or vpdq)\n", arg);
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
				cli_err("vigil hash: --format is csv or jsonl\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case CLI_OPT_INTERVAL: {
			char *end;
			double v = strtod(arg, &end);
			if (end == arg || *end || !(v >= 0) || v > 1e6) {
				cli_err("vigil hash: --interval takes "
						"seconds >= 0\n");
				return CLI_EXIT_USAGE;
			}
			j.vopts.interval = v;
			j.interval_set = 1;
			break;
		}
		case CLI_OPT_EVERY_FRAME:
			j.vopts.interval = 0;
			j.interval_set = 1;
			break;
		case 'h':
			cli_usage(stdout, cmd);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (cli_common_check("hash", &j.popts))
		return CLI_EXIT_USAGE;
	if (cli_optind() >= argc) {
		cli_err("vigil hash: no FILE or DIR given\nTry 'vigil hash "
				"--help'.\n");
		return CLI_EXIT_USAGE;
	}
	if (j.vpdq && (j.dihedral || j.jsonl)) {
		cli_err("vigil hash: --algo vpdq prints csv only, without "
				"--dihedral\n");
		return CLI_EXIT_USAGE;
	}
	if (!j.vpdq && j.interval_set) {
		cli_err("vigil hash: --interval and --every-frame need "
				"--algo vpdq\n");
		return CLI_EXIT_USAGE;
	}
	for (i = cli_optind(); i < argc; i++)
		if (cli_collect(&files, argv[i]))
			failed = 1;
	ps.files = &files;
	ps.result_size = sizeof(cli_hashes);
	ps.work = work;
	ps.emit = emit;
	if (j.vpdq) {
		j.nfiles = files.n;
		/* One video: the decoder's threads use the CPUs; several: one
		 * decoder thread per video, and the pool's jobs in parallel. */
		j.vopts.threads = files.n > 1 && ps.jobs > 1 ? 1 : 0;
		ps.result_size = sizeof(vpdq_result);
		ps.work = vpdq_work;
		ps.emit = vpdq_emit;
	}
	ps.user = &j;
	if (cli_pool_run(&ps))
		failed = 1;
	cli_files_free(&files);
	return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
