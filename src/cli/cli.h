/* cli.h — the command-line tool's shared pieces. One table (commands.c)
 * drives dispatch, `vigil help`, and the man page. */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

#include "vigil.h"

#include <stdio.h>

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1  /* some input failed; the rest were processed */
#define CLI_EXIT_USAGE 2 /* bad command line */

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

/* Writes s as a JSON string (with quotes). */
void cli_json_str(FILE *f, const char *s);

int cmd_hash(const cli_cmd *cmd, int argc, char **argv);
int cmd_help(const cli_cmd *cmd, int argc, char **argv);
int cmd_version(const cli_cmd *cmd, int argc, char **argv);

#endif
