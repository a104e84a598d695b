/* opts.c — option parsing, help text and the man page, all from the table. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLI_MAX_OPTS 320 /* serve has one option per setting (up to 259) */

int cli_next_opt(const cli_cmd *cmd, int argc, char **argv, const char **arg)
{
	static struct option longs[CLI_MAX_OPTS + 2];
	static char shorts[CLI_MAX_OPTS * 2 + 4];
	static const cli_cmd *built;
	int i, n = 0, k = 0, c;

	if (built != cmd) {
		built = cmd;
		optind = 1;
		shorts[k++] = ':';
		for (i = 0; cmd->opts && cmd->opts[i].name && i < CLI_MAX_OPTS; i++) {
			const cli_opt *o = &cmd->opts[i];
			longs[n].name = o->name;
			longs[n].has_arg = o->arg ? required_argument : no_argument;
			longs[n].flag = NULL;
			longs[n].val = o->key;
			n++;
			if (o->key < 256) {
				shorts[k++] = (char)o->key;
				if (o->arg)
					shorts[k++] = ':';
			}
		}
		longs[n].name = "help";
		longs[n].has_arg = no_argument;
		longs[n].flag = NULL;
		longs[n].val = 'h';
		n++;
		memset(&longs[n], 0, sizeof(longs[n]));
		shorts[k++] = 'h';
		shorts[k] = '\0';
		opterr = 0;
	}
	c = getopt_long(argc, argv, shorts, longs, NULL);
	*arg = optarg;
	if (c == '?' || c == ':') {
		if (c == ':')
			cli_err("vigil %s: option %s needs an argument\n",
				cmd->name, argv[optind - 1]);
		else
			cli_err("vigil %s: unknown option %s\n", cmd->name,
				argv[optind - 1]);
		cli_err("Try 'vigil %s --help'.\n", cmd->name);
		return '?';
	}
	return c;
}

int cli_optind(void)
{
	return optind;
}

int cli_parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void wrap(FILE *f, const char *text, int indent)
{
	const char *p = text;
	int col = indent, width = 78;

	fprintf(f, "%*s", indent, "");
	while (*p) {
		const char *w = p;
		int len;
		if (*p == '\n') {
			fprintf(f, "\n\n%*s", indent, "");
			col = indent;
			while (*p == '\n')
				p++;
			continue;
		}
		while (*w && *w != ' ' && *w != '\n')
			w++;
		len = (int)(w - p);
		if (col > indent && col + 1 + len > width) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, (size_t)len, f);
		col += len;
		p = w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

static void opt_label(char *buf, size_t n, const cli_opt *o)
{
	if (o->key < 256)
		snprintf(buf, n, "-%c, --%s%s%s", o->key, o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
	else
		snprintf(buf, n, "    --%s%s%s", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
}

void cli_usage(FILE *f, const cli_cmd *cmd)
{
	char label[96];
	int i;

	fprintf(f, "Usage: vigil %s %s\n\n", cmd->name, cmd->synopsis);
	wrap(f, cmd->summary, 0);
	fputc('\n', f);
	wrap(f, cmd->description, 0);
	if (cmd->opts && cmd->opts[0].name) {
		fprintf(f, "\nOptions:\n");
		for (i = 0; cmd->opts[i].name; i++) {
			opt_label(label, sizeof(label), &cmd->opts[i]);
			fprintf(f, "  %s\n", label);
			wrap(f, cmd->opts[i].help, 8);
		}
	}
	fprintf(f, "  -h, --help\n        Show this help.\n");
}

void cli_help_all(FILE *f)
{
	int i;

	fprintf(f, "Usage: vigil COMMAND [OPTIONS] [ARGS]\n\n"
		   "vigil finds known harmful images by perceptual (PDQ) and exact "
		   "(MD5/SHA) hashes.\n\nCommands:\n");
	for (i = 0; cli_commands[i].name; i++)
		fprintf(f, "  %-10s %s\n", cli_commands[i].name,
			cli_commands[i].summary);
	fprintf(f, "\n'vigil COMMAND --help' describes a command; 'man vigil' all "
		   "of them\n(installed by 'make install'; in the build tree: "
		   "'man build/vigil.1').\n");
}

/* Roff-escapes backslashes and leading dots/quotes. */
static void roff(FILE *f, const char *s)
{
	int bol = 1;

	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else if (*s == '\n') {
			while (s[1] == '\n')
				s++;
			fputs("\n.PP\n", f);
			bol = 1;
			continue;
		} else
			fputc(*s, f);
		bol = 0;
	}
	fputc('\n', f);
}

void cli_man(FILE *f)
{
	char label[96];
	int i, j;

	fprintf(f, ".TH VIGIL 1 \"\" \"vigil %s\" \"User Commands\"\n", VIGIL_VERSION);
	fprintf(f, ".SH NAME\nvigil \\- find known harmful images by PDQ and "
		   "exact hashes\n.SH SYNOPSIS\n");
	for (i = 0; cli_commands[i].name; i++) {
		fprintf(f, ".B vigil %s\n", cli_commands[i].name);
		roff(f, cli_commands[i].synopsis);
		fprintf(f, ".br\n");
	}
	fprintf(f, ".SH COMMANDS\n");
	for (i = 0; cli_commands[i].name; i++) {
		const cli_cmd *c = &cli_commands[i];
		fprintf(f, ".SS %s\n", c->name);
		roff(f, c->summary);
		fprintf(f, ".PP\n");
		roff(f, c->description);
		for (j = 0; c->opts && c->opts[j].name; j++) {
			opt_label(label, sizeof(label), &c->opts[j]);
			fprintf(f, ".TP\n.B ");
			roff(f, label + (label[0] == ' ' ? 4 : 0));
			roff(f, c->opts[j].help);
		}
	}
	fprintf(f, ".SH ENVIRONMENT\n"
		   ".TP\n.B VIGIL_DB\nThe store when \\-\\-db is not given: a "
		   "path, or sqlite:PATH.\n"
		   ".TP\n.B XDG_DATA_HOME\nWithout \\-\\-db and VIGIL_DB, the "
		   "store is $XDG_DATA_HOME/vigil/vigil.db.\n"
		   ".TP\n.B HOME\nWithout XDG_DATA_HOME, the store is "
		   "$HOME/.local/share/vigil/vigil.db.\n"
		   ".SH FILES\n"
		   ".TP\n.I ~/.local/share/vigil/vigil.db\nThe default store "
		   "(an SQLite database; its directory is made with mode 0700). "
		   "bank creates it; match never does, and fails without it.\n");
	fprintf(f, ".SH EXIT STATUS\n0 on success; 1 if any input failed (each "
		   "failure is reported on standard error and the others are still "
		   "processed); 2 on a usage error.\n.PP\n"
		   ".B vigil match\nis the exception (as diff(1), 0 is the "
		   "clean result):\n"
		   ".TP\n.B 0\nnothing matched\n"
		   ".TP\n.B 1\nsomething matched (and no error)\n"
		   ".TP\n.B 2\na bad command line\n"
		   ".TP\n.B 3\nan error: an input could not be read or hashed, "
		   "or there was nothing to match against (no store, no enabled "
		   "bank, no hashes); the matches found are still printed\n");
}

void cli_utc_time(char *buf, size_t cap, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!t) {
		snprintf(buf, cap, "-");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int cli_subcommand(const cli_cmd *cmd, const char *subs, int *argc, char ***argv,
		   const char **sub)
{
	char **v = *argv;

	if (*argc < 2 || v[1][0] == '-') {
		if (*argc >= 2 && (!strcmp(v[1], "--help") || !strcmp(v[1], "-h"))) {
			cli_usage(stdout, cmd);
			return CLI_EXIT_OK;
		}
		cli_err("vigil %s: which subcommand? (%s)\n", cmd->name, subs);
		return CLI_EXIT_USAGE;
	}
	*sub = v[1];
	(*argc)--;
	(*argv)++;
	return -1;
}
