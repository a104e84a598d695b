/* main.c — `vigil COMMAND ...` dispatch. */
#include "cli.h"

#include <string.h>

int cmd_version(const cli_cmd *cmd, int argc, char **argv)
{
	if (cmd && argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_usage(stdout, cmd);
		return CLI_EXIT_OK;
	}
	printf("vigil %s\n", VIGIL_VERSION);
	return CLI_EXIT_OK;
}

int cmd_help(const cli_cmd *cmd, int argc, char **argv)
{
	int i;

	if (argc > 1 && cmd && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_usage(stdout, cmd);
		return CLI_EXIT_OK;
	}
	if (argc > 1 && !strcmp(argv[1], "--man")) {
		cli_man(stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 1) {
		for (i = 0; cli_commands[i].name; i++)
			if (!strcmp(cli_commands[i].name, argv[1])) {
				cli_usage(stdout, &cli_commands[i]);
				return CLI_EXIT_OK;
			}
		cli_err("vigil: no command '%s'\n", argv[1]);
		return CLI_EXIT_USAGE;
	}
	cli_help_all(stdout);
	return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
	int i;

	cli_serve_opts_init();
	if (argc < 2) {
		cli_help_all(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(NULL, 1, argv);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(NULL, 0, NULL);
	for (i = 0; cli_commands[i].name; i++)
		if (!strcmp(cli_commands[i].name, argv[1]))
			return cli_commands[i].run(&cli_commands[i], argc - 1, argv + 1);
	cli_err("vigil: unknown command '%s'\nTry 'vigil --help'.\n", argv[1]);
	return CLI_EXIT_USAGE;
}
