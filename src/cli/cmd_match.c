/* cmd_match.c — `vigil match`: hash files (or take hashes) and print every
 * match against the enabled banks. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { OUT_TEXT, OUT_CSV, OUT_JSONL };

#define MATCH_MAX_PER_QUERY 256
#define MATCH_LINE_MAX 1024 /* longest line accepted by --hash - */
#define MATCH_RUNAWAY (1 << 20) /* --hash -: no line break in this many bytes */
#define MATCH_MAX_BAD 1000      /* --hash -: bad lines before giving up */
/* --hash -: input ceiling unless --max-bytes is given (that limit's default
 * is for one file; a list of hashes may be larger). */
#define MATCH_STDIN_MAX_BYTES ((uint64_t)16 << 30)

typedef struct match_job {
	int video;           /* operands are videos */
	vigil_video_match_opts vopts;
	double interval;     /* --video: seconds between hashed frames */
	vigil_matcher *m;
	vigil_ctx *ctx;      /* for the emitting thread's queries */
	int radius, min_quality, dihedral, out;
	vigil_pdq_opts popts;
	vigil_match *hits;   /* MATCH_MAX_PER_QUERY */
	const char *snapshot; /* --snapshot FILE, or NULL */
	unsigned long matched;
} match_job;

static void print_match(match_job *j, const char *query, const vigil_match *mt)
{
	char hex[65];
	const char *variant = mt->variant < 0 ? "exact" : vigil_dihedral_name(mt->variant);

	vigil_hex(mt->value, mt->type == VIGIL_HASH_VPDQ ? 32 : vigil_hash_type_size(mt->type),
		  hex);
	j->matched++;
	switch (j->out) {
	case OUT_JSONL:
		printf("{\"query\":");
		cli_json_str(stdout, query);
		printf(",\"bank\":");
		cli_json_str(stdout, mt->bank);
		printf(",\"entry\":%lld,\"type\":\"%s\",\"hash\":\"%s\",\"quality\":%d,"
		       "\"distance\":%d,\"variant\":\"%s\"}\n",
		       (long long)mt->entry_id, vigil_hash_type_name(mt->type), hex,
		       mt->quality, mt->distance, variant);
		break;
	case OUT_CSV:
		cli_csv_str(stdout, query);
		putchar(',');
		cli_csv_str(stdout, mt->bank);
		printf(",%lld,%s,%s,%d,%s\n", (long long)mt->entry_id,
		       vigil_hash_type_name(mt->type), hex, mt->distance, variant);
		break;
	default:
		printf("%s: MATCH bank=%s entry=%lld type=%s distance=%d variant=%s\n",
		       query, mt->bank, (long long)mt->entry_id,
		       vigil_hash_type_name(mt->type), mt->distance, variant);
	}
}

/* Matches one query's hashes; returns 0, or 1 after reporting an error.
 * dih: h->pdq holds the eight dihedral variants (hashed from the pixels). */
static int match_hashes(match_job *j, const char *query, const cli_hashes *h,
			unsigned algos, int dih)
{
	size_t n = 0, k;
	int a, rc;

	if ((algos & CLI_ALGO_PDQ) && h->pdq[0].quality >= j->min_quality) {
		rc = vigil_matcher_pdq(j->m, j->ctx, &h->pdq[0], dih ? h->pdq : NULL,
				       j->radius, j->hits, MATCH_MAX_PER_QUERY, &n);
		if (rc) {
			cli_err("vigil: %s: %s\n", query, vigil_errmsg(j->ctx));
			return 1;
		}
		for (k = 0; k < n && k < MATCH_MAX_PER_QUERY; k++)
			print_match(j, query, &j->hits[k]);
	} else if (algos & CLI_ALGO_PDQ) {
		cli_err("vigil: %s: PDQ quality %d is below %d, not matched\n",
			query, h->pdq[0].quality, j->min_quality);
	}
	for (a = 0; a < 3; a++) {
		if (!(algos & (CLI_ALGO_MD5 << a)))
			continue;
		rc = vigil_matcher_digest(j->m, j->ctx, VIGIL_HASH_MD5 + a, h->dig[a],
					  j->hits, MATCH_MAX_PER_QUERY, &n);
		if (rc) {
			cli_err("vigil: %s: %s\n", query, vigil_errmsg(j->ctx));
			return 1;
		}
		for (k = 0; k < n && k < MATCH_MAX_PER_QUERY; k++)
			print_match(j, query, &j->hits[k]);
	}
	return 0;
}

static void work(void *user, vigil_ctx *ctx, const char *path, void *result)
{
	match_job *j = user;

	cli_hash_file(ctx, path, CLI_ALGO_ALL, j->dihedral, &j->popts, result);
}

static int emit(void *user, const char *path, void *result)
{
	cli_hashes *r = result;

	if (r->rc) {
		cli_err_path(path, r->err);
		return 1;
	}
	return match_hashes(user, path, r, CLI_ALGO_ALL, ((match_job *)user)->dihedral);
}

/* A query given as hex, optionally "TYPE:HEX"; without a type, 32 digits
 * are MD5, 40 SHA-1 and 64 PDQ. */
static int match_hex(match_job *j, const char *query)
{
	cli_hashes h;
	const char *colon = strchr(query, ':'), *hex = colon ? colon + 1 : query;
	size_t n = strlen(hex);
	int type = -1;

	memset(&h, 0, sizeof(h));
	if (colon) {
		char name[16];
		snprintf(name, sizeof(name), "%.*s", (int)(colon - query), query);
		type = vigil_hash_type_parse(name);
	} else {
		type = n == 32 ? VIGIL_HASH_MD5 : n == 40 ? VIGIL_HASH_SHA1
			: n == 64 ? VIGIL_HASH_PDQ : -1;
	}
	if (type == VIGIL_HASH_PDQ && vigil_pdq_from_hex(hex, &h.pdq[0]) == 0) {
		h.pdq[0].quality = 100; /* a given hash is matched whatever its quality */
		/* A hash alone has no dihedral variants (they are hashed from
		 * the pixels): h.pdq[1..7] are zero and must not be searched. */
		return match_hashes(j, query, &h, CLI_ALGO_PDQ, 0);
	}
	if (type >= VIGIL_HASH_MD5 && type <= VIGIL_HASH_SHA256 &&
	    vigil_unhex(hex, h.dig[type - 1], vigil_hash_type_size(type)) == 0)
		return match_hashes(j, query, &h, CLI_ALGO_MD5 << (type - 1), 0);
	cli_err("vigil: '%.80s': not a hash (PDQ: 64 hex digits, MD5: 32, "
			"SHA-1: 40, or TYPE:HEX with TYPE pdq, md5, sha1, sha256)\n",
		query);
	return 1;
}

/* Hashes from standard input, one per line. The input may be anything and
 * may never end (/dev/zero, a runaway pipe), so it is read in bounded lines
 * and stops, as an error, at a NUL byte, at a line with no line break in
 * MATCH_RUNAWAY bytes, past max_bytes in all, or after MATCH_MAX_BAD bad
 * lines. Returns 0, or 1 if any line failed. */
static int match_stdin(match_job *j, uint64_t max_bytes)
{
	char line[MATCH_LINE_MAX + 1];
	size_t n = 0, over = 0;
	uint64_t bytes = 0, lineno = 0, bad = 0;
	int ch, failed = 0;

	for (;;) {
		ch = getchar();
		if (ch != EOF && ++bytes > max_bytes) {
			cli_err("vigil match: standard input: more than %llu "
					"bytes (--max-bytes); stopped\n",
				(unsigned long long)max_bytes);
			return 1;
		}
		if (ch == '\0') {
			cli_err("vigil match: standard input: line %llu: a NUL "
					"byte (at byte %llu): not a list of hashes; "
					"stopped\n",
				(unsigned long long)lineno + 1, (unsigned long long)bytes);
			return 1;
		}
		if (ch != EOF && ch != '\n') {
			if (n < MATCH_LINE_MAX)
				line[n++] = (char)ch;
			else if (++over > MATCH_RUNAWAY) {
				cli_err("vigil match: standard input: line %llu: "
						"no line break in %d bytes: not a list of "
						"hashes; stopped\n",
					(unsigned long long)lineno + 1, MATCH_RUNAWAY);
				return 1;
			}
			continue;
		}
		if (ch == EOF && !n && !over)
			break;
		lineno++;
		line[n] = '\0';
		if (over) {
			cli_err("vigil match: standard input: line %llu: longer "
					"than %d bytes\n",
				(unsigned long long)lineno, MATCH_LINE_MAX);
			failed = 1;
			bad++;
		} else {
			while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
				line[--n] = '\0';
			if (n && line[0] != '#' && match_hex(j, line)) {
				failed = 1;
				bad++;
			}
		}
		if (bad >= MATCH_MAX_BAD) {
			cli_err("vigil match: standard input: giving up after %d "
					"bad lines\n", MATCH_MAX_BAD);
			return 1;
		}
		n = over = 0;
		if (ch == EOF)
			break;
	}
	if (ferror(stdin)) {
		cli_err("vigil match: standard input: read error\n");
		return 1;
	}
	return failed;
}

static void print_video_match(match_job *j, const char *path,
			      const vigil_video_match *v)
{
	char hex[65];

	vigil_hex(v->match.value, 32, hex);
	j->matched++;
	switch (j->out) {
	case OUT_JSONL:
		printf("{\"query\":");
		cli_json_str(stdout, path);
		printf(",\"bank\":");
		cli_json_str(stdout, v->match.bank);
		printf(",\"entry\":%lld,\"type\":\"%s\",\"hash\":\"%s\",\"quality\":%d,"
		       "\"distance\":%d,\"variant\":\"orig\",\"seconds\":%.3f,"
		       "\"frames\":%d",
		       (long long)v->match.entry_id, vigil_hash_type_name(v->match.type),
		       hex, v->match.quality, v->match.distance, v->seconds, v->frames);
		if (v->match.type == VIGIL_HASH_VPDQ)
			printf(",\"query_pct\":%.1f,\"compared_pct\":%.1f", v->query_pct,
			       v->compared_pct);
		printf("}\n");
		break;
	case OUT_CSV:
		cli_csv_str(stdout, path);
		putchar(',');
		cli_csv_str(stdout, v->match.bank);
		printf(",%lld,%s,%s,%d,orig\n", (long long)v->match.entry_id,
		       vigil_hash_type_name(v->match.type), hex, v->match.distance);
		break;
	default:
		printf("%s: MATCH bank=%s entry=%lld type=%s distance=%d at=%.3fs "
		       "frames=%d", path, v->match.bank, (long long)v->match.entry_id,
		       vigil_hash_type_name(v->match.type), v->match.distance, v->seconds,
		       v->frames);
		if (v->match.type == VIGIL_HASH_VPDQ)
			printf(" query=%.1f%% compared=%.1f%%", v->query_pct, v->compared_pct);
		putchar('\n');
	}
}

/* Hashes each video (vPDQ) and matches its frames; 1 if any failed. A video
 * that fails part-way (truncated, corrupt) still has its frames read so far
 * matched and printed before the failure is reported: they are evidence. */
static int match_videos(match_job *j, const cli_files *files, int64_t max_bytes,
			int64_t max_pixels)
{
	vigil_video_opts vo = {0};
	size_t i, k;
	int failed = 0;

	vo.interval = j->interval;
	vigil_ctx_set_limit(j->ctx, VIGIL_LIMIT_MAX_BYTES, max_bytes);
	vigil_ctx_set_limit(j->ctx, VIGIL_LIMIT_MAX_PIXELS, max_pixels);
	for (i = 0; i < files->n; i++) {
		cli_frames fr = {0};
		vigil_video_match *res = NULL;
		size_t nres = 0;
		char err[512] = "";
		int rc = vigil_vpdq_hash_file(j->ctx, files->paths[i], &vo,
					      cli_frame_collect, &fr);
		if (fr.nomem)
			snprintf(err, sizeof(err), "out of memory");
		else if (rc)
			snprintf(err, sizeof(err), "%s", vigil_errmsg(j->ctx));
		if (fr.n && vigil_matcher_video(j->m, j->ctx, fr.f, fr.n, &j->vopts,
						&res, &nres) && !*err) {
			snprintf(err, sizeof(err), "%s", vigil_errmsg(j->ctx));
		}
		for (k = 0; k < nres; k++)
			print_video_match(j, files->paths[i], &res[k]);
		fflush(stdout);
		if (*err) {
			cli_err_path(files->paths[i], err);
			failed = 1;
		}
		free(res);
		free(fr.f);
	}
	return failed;
}

/* --snapshot FILE, as vigil serve: the index mapped from FILE and the
 * changes since replayed, or rebuilt if FILE is missing or not to be
 * trusted (said on stderr, with the reason); then FILE is written again
 * if the index moved on, for the next run. The SQLite change log is not
 * pruned here: another snapshot of the same store (a server's) stays
 * usable. Returns 0, or -1 (reported). */
static int open_snapshot(match_job *j, vigil_store *st)
{
	vigil_snapshot_info info;

	if (vigil_matcher_open_snapshot(st, j->snapshot, &j->m, &info)) {
		cli_err("vigil match: %s\n", vigil_errmsg(j->ctx));
		return -1;
	}
	if (info.used)
		cli_err("vigil match: snapshot %s: used (change %lld, %lld replayed)\n",
			j->snapshot, (long long)info.seq, (long long)info.replayed);
	else
		cli_err("vigil match: snapshot %s: not used (%s): rebuilt\n", j->snapshot,
			info.reason);
	if ((!info.used || info.replayed) &&
	    vigil_matcher_snapshot_write(j->m, st, j->snapshot))
		/* matching goes on: only the next start is slower */
		cli_err("vigil match: snapshot %s: not written: %s\n", j->snapshot,
			vigil_errmsg(j->ctx));
	return 0;
}

/* Opens the store at db and loads its enabled banks. Having nothing to match
 * against is an error, not a clean result: a mistyped --db must not create
 * an empty store and report every upload as unknown. Returns 0, or -1
 * (reported). */
static int open_banks(match_job *j, const char *db, vigil_store **st)
{
	const char *path = strncmp(db, "sqlite:", 7) ? db : db + 7;
	vigil_bank *banks = NULL;
	size_t n = 0, i, enabled = 0;
	int64_t entries = 0;
	struct stat sb;

	/* A database server (postgresql://) is not a file; its absence is
	 * the open's error. */
	if (!strstr(db, "://") && stat(path, &sb) != 0) {
		cli_err("vigil match: no store at %s (%s); make one with "
				"'vigil bank create' and 'vigil bank import', or give "
				"--db or $VIGIL_DB\n", path, strerror(errno));
		return -1;
	}
	if (vigil_store_open(j->ctx, db, st) || vigil_bank_list(*st, &banks, &n)) {
		cli_err("vigil match: %s\n", vigil_errmsg(j->ctx));
		return -1;
	}
	for (i = 0; i < n; i++)
		if (banks[i].enabled) {
			enabled++;
			entries += banks[i].entries;
		}
	free(banks);
	if (!enabled) {
		cli_err("vigil match: %s: no enabled bank to match against "
				"(%zu disabled; see 'vigil bank list')\n", path, n);
		return -1;
	}
	if (!entries) {
		cli_err("vigil match: %s: the enabled banks hold no hashes "
				"(see 'vigil bank import')\n", path);
		return -1;
	}
	if (j->snapshot)
		return open_snapshot(j, *st);
	if (vigil_matcher_open(*st, &j->m)) {
		cli_err("vigil match: %s\n", vigil_errmsg(j->ctx));
		return -1;
	}
	return 0;
}

int cmd_match(const cli_cmd *cmd, int argc, char **argv)
{
	match_job j;
	cli_pool_spec ps;
	cli_files files = {0};
	vigil_store *st = NULL;
	const char *arg, *db = NULL;
	char dbbuf[4096];
	int c, i, r, hashes = 0, failed = 0, rc = CLI_EXIT_OK;
	long v;

	memset(&j, 0, sizeof(j));
	j.radius = VIGIL_DEFAULT_RADIUS;
	j.min_quality = 50;
	j.dihedral = 1;
	j.interval = 1;
	cli_pool_defaults(&ps);
	while ((c = cli_next_opt(cmd, argc, argv, &arg)) != -1) {
		r = cli_common_opt("match", c, arg, &ps, &j.popts);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r == 0)
			continue;
		switch (c) {
		case CLI_OPT_DB:
			db = arg;
			break;
		case 'H':
			hashes = 1;
			break;
		case CLI_OPT_SNAPSHOT:
			j.snapshot = arg;
			break;
		case 'r':
			if (cli_parse_int(arg, 0, VIGIL_INDEX_MAX_RADIUS, &v)) {
				cli_err("vigil match: --radius takes 0..%d\n",
					VIGIL_INDEX_MAX_RADIUS);
				return CLI_EXIT_USAGE;
			}
			j.radius = (int)v;
			break;
		case CLI_OPT_MIN_QUALITY:
			if (cli_parse_int(arg, 0, 100, &v)) {
				cli_err("vigil match: --min-quality takes 0..100\n");
				return CLI_EXIT_USAGE;
			}
			j.min_quality = (int)v;
			break;
		case CLI_OPT_NO_DIHEDRAL:
			j.dihedral = 0;
			break;
		case CLI_OPT_VIDEO:
			j.video = 1;
			break;
		case CLI_OPT_INTERVAL:
		case CLI_OPT_QUERY_PCT:
		case CLI_OPT_COMPARED_PCT: {
			char *end;
			double d = strtod(arg, &end);
			if (end == arg || *end || !(d >= 0) ||
			    d > (c == CLI_OPT_INTERVAL ? 3600 : 100)) {
				cli_err("vigil match: bad value '%s' for --%s\n", arg,
					c == CLI_OPT_INTERVAL ? "interval"
					: c == CLI_OPT_QUERY_PCT ? "query-pct" : "compared-pct");
				return CLI_EXIT_USAGE;
			}
			if (c == CLI_OPT_INTERVAL)
				j.interval = d;
			else if (c == CLI_OPT_QUERY_PCT)
				j.vopts.query_pct = d;
			else
				j.vopts.compared_pct = d;
			break;
		}
		case 'f':
			if (!strcmp(arg, "jsonl"))
				j.out = OUT_JSONL;
			else if (!strcmp(arg, "csv"))
				j.out = OUT_CSV;
			else if (!strcmp(arg, "text"))
				j.out = OUT_TEXT;
			else {
				cli_err("vigil match: --format is text, csv or jsonl\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h':
			cli_usage(stdout, cmd);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (cli_common_check("match", &j.popts))
		return CLI_EXIT_USAGE;
	if (cli_optind() >= argc) {
		cli_err("vigil match: no FILE, DIR or --hash HEX given\n"
				"Try 'vigil match --help'.\n");
		return CLI_EXIT_USAGE;
	}
	j.hits = calloc(MATCH_MAX_PER_QUERY, sizeof(*j.hits));
	if (!j.hits || vigil_ctx_new(&j.ctx)) {
		cli_err("vigil: out of memory\n");
		free(j.hits);
		return CLI_MATCH_ERROR;
	}
	db = cli_db_path(db, dbbuf, sizeof(dbbuf));
	if (open_banks(&j, db, &st)) {
		rc = CLI_MATCH_ERROR;
		goto out;
	}
	j.vopts.radius = j.radius ? j.radius : VIGIL_RADIUS_EXACT;
	j.vopts.min_quality = j.min_quality;
	if (j.video) {
		for (i = cli_optind(); i < argc; i++)
			if (cli_collect(&files, argv[i]))
				failed = 1;
		failed |= match_videos(&j, &files, ps.max_bytes, ps.max_pixels);
	} else if (hashes) {
		for (i = cli_optind(); i < argc; i++)
			failed |= strcmp(argv[i], "-") ? match_hex(&j, argv[i])
				: match_stdin(&j, ps.max_bytes != VIGIL_DEFAULT_MAX_BYTES
							  ? (uint64_t)ps.max_bytes
							  : MATCH_STDIN_MAX_BYTES);
	} else {
		for (i = cli_optind(); i < argc; i++)
			if (cli_collect(&files, argv[i]))
				failed = 1;
		ps.files = &files;
		ps.result_size = sizeof(cli_hashes);
		ps.work = work;
		ps.emit = emit;
		ps.user = &j;
		if (cli_pool_run(&ps))
			failed = 1;
	}
	fflush(stdout);
	rc = failed ? CLI_MATCH_ERROR : j.matched ? CLI_MATCH_FOUND : CLI_MATCH_NONE;
out:
	cli_files_free(&files);
	vigil_matcher_free(j.m);
	vigil_store_close(st);
	vigil_ctx_free(j.ctx);
	free(j.hits);
	return rc;
}
