/* cmd_serve.c — `vigil serve`: the command line over the server's public
 * face (vigil/server.h). The options are the server's settings table, made
 * into the command's option list at start-up (cli_serve_opts_init). */
#include "cli.h"
#include "vigil/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --config, --config-doc, --routes, then one option per setting. */
#define SERVE_FIXED 3
#define SERVE_OPTS_MAX (SERVE_FIXED + 256)
cli_opt cli_serve_opts[SERVE_OPTS_MAX + 1] = {
	{CLI_OPT_CONFIG, "config", "FILE",
	 "Read settings from FILE: 'key = value' lines ('#' starts a comment); "
	 "the keys are the options below with '_' for '-'. Options on the "
	 "command line win over the file. SIGHUP re-reads it (see "
	 "docs/server.md for which keys reload)."},
	{CLI_OPT_CONFIG_DOC, "config-doc", NULL,
	 "Print the settings as a Markdown table and exit."},
	{CLI_OPT_ROUTES, "routes", NULL,
	 "Print every route (METHOD PATTERN) and exit."},
};

/* Each setting's help, as the man page shows it: its text, its config key
 * and default, and whether SIGHUP reloads it. Built once; lives as long as
 * the process. */
void cli_serve_opts_init(void)
{
	size_t n, i;
	const vigil_server_setting *t = vigil_server_settings(&n);

	if (n > SERVE_OPTS_MAX - SERVE_FIXED)
		n = SERVE_OPTS_MAX - SERVE_FIXED; /* a table this big is a bug */
	for (i = 0; i < n; i++) {
		cli_opt *o = &cli_serve_opts[SERVE_FIXED + i];
		size_t cap = strlen(t[i].help) + strlen(t[i].key) + strlen(t[i].def) + 80;
		char *h = malloc(cap);

		if (h)
			snprintf(h, cap, "%s Config key: %s; default: '%s'.%s", t[i].help,
				 t[i].key, t[i].def,
				 t[i].reloadable ? " SIGHUP reloads it." : "");
		o->key = CLI_OPT_SERVE + (int)i;
		o->name = t[i].flag;
		o->arg = t[i].arg;
		o->help = h ? h : t[i].help;
	}
}

int cmd_serve(const cli_cmd *cmd, int argc, char **argv)
{
	vigil_server_conf *conf = NULL;
	const vigil_server_setting *t;
	const char *arg;
	char err[512];
	size_t n;
	int c, rc = CLI_EXIT_USAGE;

	t = vigil_server_settings(&n);
	if (vigil_server_conf_new(&conf)) {
		cli_err("vigil serve: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	while ((c = cli_next_opt(cmd, argc, argv, &arg)) != -1) {
		if (c == 'h') {
			cli_usage(stdout, cmd);
			rc = CLI_EXIT_OK;
			goto out;
		}
		if (c == '?')
			goto out;
		if (c == CLI_OPT_CONFIG) {
			if (vigil_server_conf_file(conf, arg, err, sizeof(err))) {
				cli_err("vigil serve: --config: %s\n", err);
				goto out;
			}
		} else if (c == CLI_OPT_CONFIG_DOC) {
			vigil_server_config_doc(stdout);
			rc = CLI_EXIT_OK;
			goto out;
		} else if (c == CLI_OPT_ROUTES) {
			vigil_server_routes(stdout);
			rc = CLI_EXIT_OK;
			goto out;
		} else if (c >= CLI_OPT_SERVE && (size_t)(c - CLI_OPT_SERVE) < n) {
			const char *flag = t[c - CLI_OPT_SERVE].flag;
			if (vigil_server_conf_set(conf, flag, arg, err, sizeof(err))) {
				cli_err("vigil serve: --%s: %s\n", flag, err);
				goto out;
			}
		}
	}
	if (cli_optind() < argc) {
		cli_err("vigil serve: unexpected argument '%s'\n", argv[cli_optind()]);
		goto out;
	}
	rc = vigil_server_run(conf);
out:
	vigil_server_conf_free(conf);
	return rc;
}
