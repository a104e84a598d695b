/* cli.h — the command-line tool's shared pieces. One table (commands.c)
 * drives dispatch, `vigil help`, and the man page. */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

#include "vigil.h"

#include <stdio.h>

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1  /* some input failed; the rest were processed */
#define CLI_EXIT_USAGE 2 /* bad command line */
/* `match`'s exit codes (as diff's: 0 is the "nothing found" result). */
#define CLI_MATCH_NONE 0  /* every query processed, none matched */
#define CLI_MATCH_FOUND 1 /* at least one match, no error */
#define CLI_MATCH_ERROR 3 /* an error: an input could not be processed, or
			     there was nothing to match against */

typedef struct cli_opt {
	int key;          /* short option char, or >= 256 for long-only */
	const char *name; /* long name */
	const char *arg;  /* argument name, or NULL for a flag */
	const char *help; /* one or more sentences */
} cli_opt;

typedef struct cli_cmd {
	const char *name;
	const char *synopsis;    /* after "vigil NAME " */
	const char *summary;     /* one line */
	const char *description; /* paragraphs separated by blank lines */
	const cli_opt *opts;     /* terminated by {0} */
	int (*run)(const struct cli_cmd *cmd, int argc, char **argv);
} cli_cmd;

extern const cli_cmd cli_commands[];

/* getopt_long over cmd->opts plus --help. Returns the key of the next option
 * (its argument in *arg), -1 at the end of options, '?' on error (already
 * reported), 'h' for --help. */
int cli_next_opt(const cli_cmd *cmd, int argc, char **argv, const char **arg);
/* The index of the first operand after cli_next_opt returned -1. */
int cli_optind(void);
/* A command with subcommands (vigil bank, vigil exchange): argv[1] is the
 * subcommand, shifted off into *sub (*argc, *argv updated) for
 * cli_next_opt. -1: go on; else the exit status to return (CLI_EXIT_OK
 * after --help, CLI_EXIT_USAGE when none is given, reported naming subs:
 * "create, list, ..."). */
int cli_subcommand(const cli_cmd *cmd, const char *subs, int *argc, char ***argv,
		   const char **sub);

void cli_usage(FILE *f, const cli_cmd *cmd);
void cli_help_all(FILE *f);
void cli_man(FILE *f);
int cli_parse_int(const char *s, long min, long max, long *out);

/* Input files: DIRs are walked recursively in sorted order. */
typedef struct cli_files {
	char **paths;
	size_t n, cap;
} cli_files;
int cli_collect(cli_files *f, const char *path); /* 0, or -1 (reported) */
void cli_files_free(cli_files *f);

/* A one-line progress bar on stderr (only when it is a terminal). */
typedef struct cli_progress {
	int on;
	size_t total, done, failed;
	double start, last;
} cli_progress;
void cli_progress_init(cli_progress *p, size_t total, int force);
void cli_progress_tick(cli_progress *p, int failed);
void cli_progress_end(cli_progress *p);

/* A parallel map over files with results in input order (pool.c). */
typedef struct cli_pool_spec {
	const cli_files *files;
	int jobs;              /* worker threads */
	int progress;          /* 1 always, 0 on a terminal, -1 never */
	size_t result_size;    /* bytes of one result, zeroed before work */
	/* In a worker thread, with its own ctx (NULL if it could not be
	 * made): computes path's result. */
	void (*work)(void *user, vigil_ctx *ctx, const char *path, void *result);
	/* In the calling thread, in input order: prints the result; returns
	 * non-zero if this file failed. */
	int (*emit)(void *user, const char *path, void *result);
	void *user;
	int64_t max_bytes, max_pixels; /* the workers' limits */
} cli_pool_spec;
/* Returns the number of failed files, or -1 if nothing could run. */
int cli_pool_run(const cli_pool_spec *spec);
/* Jobs = online CPUs, default limits, progress on a terminal. */
void cli_pool_defaults(cli_pool_spec *spec);
/* The options hash and match share (-j, --downsample, --max-*, --progress):
 * 0 if c was one of them, 1 if not, -1 on a usage error (reported). */
int cli_common_opt(const char *cmd, int c, const char *arg, cli_pool_spec *ps,
		   vigil_pdq_opts *popts);
/* After the options: -1 (reported) if they do not go together. */
int cli_common_check(const char *cmd, const vigil_pdq_opts *popts);
/* Keys of long-only options (short ones use their letter). */
enum { CLI_OPT_DOWNSAMPLE = 256, CLI_OPT_MAX_BYTES, CLI_OPT_MAX_PIXELS,
       CLI_OPT_PROGRESS, CLI_OPT_NO_PROGRESS, CLI_OPT_DB, CLI_OPT_DESCRIPTION,
       CLI_OPT_LABELS, CLI_OPT_TYPE, CLI_OPT_MAX_BAD, CLI_OPT_MIN_QUALITY,
       CLI_OPT_NO_DIHEDRAL, CLI_OPT_INTERVAL, CLI_OPT_EVERY_FRAME,
       CLI_OPT_VIDEO, CLI_OPT_QUERY_PCT, CLI_OPT_COMPARED_PCT, CLI_OPT_ENTRY,
       CLI_OPT_HTTP, CLI_OPT_HTTP_POST, CLI_OPT_EXEC, CLI_OPT_ACTION_TIMEOUT,
       CLI_OPT_COOLDOWN, CLI_OPT_TIMEOUT, CLI_OPT_MAX_BACKOFF,
       CLI_OPT_MAX_RUNTIME, CLI_OPT_SUMMARY, CLI_OPT_FRAME_EVENTS,
       CLI_OPT_THREADS, CLI_OPT_LOCK_TIMEOUT, CLI_OPT_CONFIG, CLI_OPT_CONFIG_DOC, CLI_OPT_ROUTES,
       CLI_OPT_ROLE, CLI_OPT_RATE_LIMIT, CLI_OPT_ACTION, CLI_OPT_KIND,
       CLI_OPT_SUPPRESSION, CLI_OPT_LANG, CLI_OPT_VIEW, CLI_OPT_TSV,
       CLI_OPT_KEY_FILE, CLI_OPT_PUBKEY, CLI_OPT_EXPORT,
       CLI_OPT_FROM, CLI_OPT_TO, CLI_OPT_FILES,
       /* exchange */
       CLI_OPT_API, CLI_OPT_BANK, CLI_OPT_URL, CLI_OPT_CREDENTIALS, CLI_OPT_PAGE_SIZE,
       CLI_OPT_PRIVACY_GROUP, CLI_OPT_ESP_IDS, CLI_OPT_MAX_PAGES, CLI_OPT_FULL, CLI_OPT_JSON,
       CLI_OPT_VERDICT, CLI_OPT_REASON, CLI_OPT_FEEDBACK_LIST, CLI_OPT_PUBLIC_KEY,
       CLI_OPT_INSECURE_UNSIGNED, CLI_OPT_KEEP_DELETES,
       /* match --snapshot */
       CLI_OPT_SNAPSHOT,
       /* stream: decode modes, bank reloads */
       CLI_OPT_DECODE, CLI_OPT_KEYFRAMES, CLI_OPT_RELOAD,
       /* text train|eval */
       CLI_OPT_DATA, CLI_OPT_MODEL, CLI_OPT_EPOCHS, CLI_OPT_DIM_BITS, CLI_OPT_SEED,
       /* evidence */
       CLI_OPT_MASTER_KEY, CLI_OPT_REPORT, CLI_OPT_OUT, CLI_OPT_RETENTION, CLI_OPT_NOW,
       CLI_OPT_BY, CLI_OPT_CONTENT,
       /* pm-server */
       CLI_OPT_LISTEN, CLI_OPT_PEER, CLI_OPT_HASHES, CLI_OPT_SEED_FILE, CLI_OPT_STASH,
       CLI_OPT_THRESHOLD, CLI_OPT_RADIUS, CLI_OPT_PM_ACK, CLI_OPT_PM_STATE,
       CLI_OPT_PM_CASE_PRIORITY,
       /* report resend */
       CLI_OPT_CONFIRM,
       /* hash, match */
       CLI_OPT_FAST,
       CLI_OPT_SERVE = 1024 /* + i: serve's setting i (vigil_server_settings) */ };

/* Hashing shared by `hash` and `match` (hashing.c). */
#define CLI_ALGO_PDQ (1u << 0)
#define CLI_ALGO_MD5 (1u << 1)
#define CLI_ALGO_SHA1 (1u << 2)
#define CLI_ALGO_SHA256 (1u << 3)
#define CLI_ALGO_ALL 15u

typedef struct cli_hashes {
	int rc;                          /* status of this file */
	char err[300];                   /* message when rc != 0 */
	vigil_pdq pdq[8];                /* [0], or all eight with dihedral */
	uint8_t dig[3][VIGIL_DIGEST_MAX]; /* md5, sha1, sha256 as selected */
} cli_hashes;

void cli_hash_file(vigil_ctx *ctx, const char *path, unsigned algos,
		   int dihedral, const vigil_pdq_opts *popts, cli_hashes *out);
int cli_parse_algos(const char *s, unsigned *out);
/* Frames of one video, collected by cli_frame_collect (a vigil_vpdq_cb):
 * f is realloc'd, freed by the caller with free(). */
typedef struct cli_frames {
	vigil_vpdq_frame *f;
	size_t n, cap;
	int nomem; /* set when growing failed (the callback then stops) */
} cli_frames;
int cli_frame_collect(void *user, const vigil_vpdq_frame *f);

/* t (unix s) as YYYY-MM-DDTHH:MM:SSZ into buf; 0 as "-". */
void cli_utc_time(char *buf, size_t cap, int64_t t);
/* The store to use: --db, else $VIGIL_DB, else the per-user data dir. */
const char *cli_db_path(const char *opt, char *buf, size_t cap);

/* Prints a message on standard error with every control byte and every
 * byte that is not valid UTF-8 written as \xNN (newlines kept): messages
 * carry file names and input lines, whose escape sequences a terminal
 * would otherwise run. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "vigil: PATH: MSG" on standard error (via cli_err), naming path once
 * when msg already starts with it. */
void cli_err_path(const char *path, const char *msg);
/* Reads standard input whole, up to max bytes: 0 and *buf (free() it), or
 * -1 with err set. */
int cli_read_stdin(int64_t max, uint8_t **buf, size_t *len, char *err,
		   size_t errcap);

/* Calls fn for every line of path ("-" is standard input), without its
 * line break; lines over 1 MiB are reported and skipped. A non-zero
 * return from fn stops it. Returns 0, or CLI_EXIT_FAIL (reported). */
typedef int (*cli_line_fn)(void *user, uint64_t lineno, const char *s, size_t n);
int cli_each_line(const char *path, cli_line_fn fn, void *user);

/* vigil text train / eval (text_model.c): labelled JSON lines in data;
 * train writes the model to out, eval reads model. 0 or CLI_EXIT_*. */
int cli_text_train(vigil_ctx *ctx, const vigil_folder *fo, const char *data,
		   const char *out, const vigil_groom_train_opts *o);
int cli_text_eval(vigil_ctx *ctx, const vigil_folder *fo, const char *data,
		  const char *model);

/* Imports a term list file ("-": standard input) into a text bank
 * (cmd_text.c; `vigil bank import` of a text bank calls it too). */
int cli_text_import(vigil_store *st, vigil_ctx *ctx, const char *bank, const char *file);

/* Writes s as a JSON string (with quotes). */
void cli_json_str(FILE *f, const char *s);
/* Writes s as one CSV field: as it is, or quoted per RFC 4180 when it holds
 * a comma, a double quote, CR or LF. */
void cli_csv_str(FILE *f, const char *s);

int cmd_hash(const cli_cmd *cmd, int argc, char **argv);
int cmd_bank(const cli_cmd *cmd, int argc, char **argv);
int cmd_match(const cli_cmd *cmd, int argc, char **argv);
int cmd_stream(const cli_cmd *cmd, int argc, char **argv);
int cmd_serve(const cli_cmd *cmd, int argc, char **argv);
/* serve's options, filled from the server's settings table by
 * cli_serve_opts_init() (main calls it first). */
extern cli_opt cli_serve_opts[];
void cli_serve_opts_init(void);
int cmd_key(const cli_cmd *cmd, int argc, char **argv);
int cmd_text(const cli_cmd *cmd, int argc, char **argv);
int cmd_user(const cli_cmd *cmd, int argc, char **argv);
int cmd_audit(const cli_cmd *cmd, int argc, char **argv);
int cmd_report(const cli_cmd *cmd, int argc, char **argv);
int cmd_transparency(const cli_cmd *cmd, int argc, char **argv);
int cmd_evidence(const cli_cmd *cmd, int argc, char **argv);
int cmd_pm_server(const cli_cmd *cmd, int argc, char **argv);
int cmd_exchange(const cli_cmd *cmd, int argc, char **argv);
int cmd_help(const cli_cmd *cmd, int argc, char **argv);
int cmd_version(const cli_cmd *cmd, int argc, char **argv);

#endif
